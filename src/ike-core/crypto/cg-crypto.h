/* cg-crypto.h: every cryptographic primitive the engine uses, through NSS.
 *
 * This is the only place that includes NSS algorithm headers; callers speak
 * in IKEv2 transform IDs (IANA "IKEv2 Parameters", RFC 7296 3.3.2).
 * All functions are thread-safe once cg_crypto_init() has run, so the
 * engine's crypto workers can call them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_CRYPTO_ERROR (cg_crypto_error_quark())
GQuark cg_crypto_error_quark(void);

typedef enum {
    CG_CRYPTO_ERROR_UNSUPPORTED, /* algorithm or key size not supported */
    CG_CRYPTO_ERROR_INVALID_KEY, /* bad public value (RFC 6989) or key length */
    CG_CRYPTO_ERROR_AUTH,        /* ICV / tag mismatch */
    CG_CRYPTO_ERROR_FAILED,      /* NSS failed; message says where */
} CgCryptoError;

/* Encryption transform IDs */
#define CG_ENCR_AES_CBC 12
#define CG_ENCR_AES_GCM_16 20
#define CG_ENCR_CHACHA20_POLY1305 28
/* PRF transform IDs */
#define CG_PRF_HMAC_SHA1 2
#define CG_PRF_HMAC_SHA2_256 5
#define CG_PRF_HMAC_SHA2_384 6
#define CG_PRF_HMAC_SHA2_512 7
/* Integrity transform IDs */
#define CG_INTEG_NONE 0
#define CG_INTEG_HMAC_SHA1_96 2
#define CG_INTEG_HMAC_SHA2_256_128 12
#define CG_INTEG_HMAC_SHA2_384_192 13
#define CG_INTEG_HMAC_SHA2_512_256 14
/* Key exchange (DH group) transform IDs */
#define CG_DH_NONE 0
#define CG_DH_MODP2048 14
#define CG_DH_MODP3072 15
#define CG_DH_MODP4096 16
#define CG_DH_ECP256 19
#define CG_DH_ECP384 20
#define CG_DH_X25519 31
/* ESN transform IDs */
#define CG_ESN_NO 0
#define CG_ESN_YES 1

/* Initialises NSS once per process (NSS_NoDB_Init when nss_dir is NULL,
 * otherwise the database in nss_dir, read-write). Safe to call again. */
gboolean cg_crypto_init(const char *nss_dir, GError **error);

void cg_random_bytes(guint8 *out, gsize len);

/* ---- hashes and PRFs -------------------------------------------------- */

void cg_sha1(const guint8 *data, gsize len, guint8 out[20]);
void cg_sha256(const guint8 *data, gsize len, guint8 out[32]);

gboolean cg_prf_supported(guint16 prf_id);
gsize cg_prf_output_len(guint16 prf_id); /* also its preferred key length */

/* A scatter list for PRF input, so callers need not concatenate. */
typedef struct {
    const guint8 *data;
    gsize len;
} CgIov;

/* out must hold cg_prf_output_len(prf_id) bytes. */
gboolean cg_prf(guint16 prf_id, const guint8 *key, gsize key_len, const CgIov *iov, guint n_iov,
                guint8 *out, GError **error);

/* prf+ (RFC 7296 2.13): fills out_len bytes. out_len <= 255 * prf size. */
gboolean cg_prf_plus(guint16 prf_id, const guint8 *key, gsize key_len, const guint8 *seed,
                     gsize seed_len, guint8 *out, gsize out_len, GError **error);

/* ---- IKE SA key material (RFC 7296 2.14) -------------------------------- */

typedef struct {
    guint16 prf_id;
    guint16 encr_id;
    guint16 encr_key_bits; /* AES: 128/192/256; ChaCha20: 256 */
    guint16 integ_id;      /* CG_INTEG_NONE for AEAD */
} CgIkeAlgs;

/* Sizes for one direction: key bytes for the encryption transform
 * including the salt of AEAD ciphers (4 bytes for GCM RFC 5282 and
 * ChaCha20-Poly1305 RFC 7634), and the integrity key bytes. */
gsize cg_encr_keymat_len(guint16 encr_id, guint16 key_bits);
gsize cg_integ_key_len(guint16 integ_id);
gboolean cg_encr_is_aead(guint16 encr_id);

typedef struct {
    gsize prf_len; /* length of SK_d, SK_pi, SK_pr */
    gsize encr_len;
    gsize integ_len;
    guint8 sk_d[64];
    guint8 sk_ai[64], sk_ar[64];
    guint8 sk_ei[36], sk_er[36];
    guint8 sk_pi[64], sk_pr[64];
} CgIkeKeys;

/* SKEYSEED = prf(Ni | Nr, g^ir); then prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 * For an IKE_SA rekey (2.18) pass old_sk_d: SKEYSEED = prf(SK_d(old),
 * g^ir (new) | Ni | Nr) with the new nonces and SPIs. */
gboolean cg_ike_keys_derive(const CgIkeAlgs *algs, const guint8 *shared, gsize shared_len,
                            const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                            const guint8 spi_i[8], const guint8 spi_r[8], const guint8 *old_sk_d,
                            gsize old_sk_d_len, CgIkeKeys *out, GError **error);

/* IKE SA rekey when the PRF changes: RFC 7296 2.18 computes SKEYSEED with
 * the old SA's PRF (old_prf_id) and the prf+ with the new one
 * (algs->prf_id). cg_ike_keys_derive with old_sk_d uses algs->prf_id for
 * both, which is the same when the PRF did not change. */
gboolean cg_ike_keys_derive_rekey(const CgIkeAlgs *algs, guint16 old_prf_id, const guint8 *old_sk_d,
                                  gsize old_sk_d_len, const guint8 *shared, gsize shared_len,
                                  const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                                  const guint8 spi_i[8], const guint8 spi_r[8], CgIkeKeys *out,
                                  GError **error);

/* CHILD_SA keys (2.17): KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr).
 * out_len = 2 * (encr keymat + integ key); order: initiator-to-responder
 * encr, integ, then responder-to-initiator encr, integ. */
gboolean cg_child_keymat(guint16 prf_id, const guint8 *sk_d, gsize sk_d_len, const guint8 *dh_shared,
                         gsize dh_shared_len, const guint8 *ni, gsize ni_len, const guint8 *nr,
                         gsize nr_len, guint8 *out, gsize out_len, GError **error);

/* ---- the SK payload / ESP cipher ------------------------------------- */

/* One direction of protection, created once per SA and reused; the NSS
 * contexts it holds are re-keyed never. Works for both IKE's SK payload
 * and ESP (the caller decides what is AAD):
 *  - AEAD (GCM, ChaCha20-Poly1305): nonce = salt | iv, tag over aad.
 *  - AES-CBC + HMAC: the ICV is the truncated HMAC over aad | iv | ciphertext.
 * Thread-safe for concurrent use only if each thread has its own CgCipher. */
typedef struct CgCipher CgCipher;

CgCipher *cg_cipher_new(guint16 encr_id, guint16 key_bits, guint16 integ_id, const guint8 *encr_key,
                        gsize encr_key_len, const guint8 *integ_key, gsize integ_key_len,
                        GError **error);
void cg_cipher_free(CgCipher *c);
/* Transient: keep no NSS objects (sessions, keys, contexts) between
 * messages, only the raw keys. For IKE SAs, which are many and see few
 * messages; ESP keeps the default for speed. */
void cg_cipher_set_transient(CgCipher *c, gboolean transient);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgCipher, cg_cipher_free)

gsize cg_cipher_iv_len(const CgCipher *c);    /* 8 for AEAD, 16 for CBC */
gsize cg_cipher_icv_len(const CgCipher *c);   /* 16 for AEAD, integ trunc length for CBC */
gsize cg_cipher_block_len(const CgCipher *c); /* 16 for CBC, 1 for AEAD (pad alignment) */

/* Encrypts len bytes of buf in place (len must be a multiple of the block
 * length) and writes the ICV to icv_out. iv is cg_cipher_iv_len bytes. */
gboolean cg_cipher_encrypt(CgCipher *c, const guint8 *aad, gsize aad_len, const guint8 *iv,
                           guint8 *buf, gsize len, guint8 *icv_out, GError **error);
/* Verifies the ICV first (CBC: HMAC before decrypting), then decrypts in
 * place. Fails with CG_CRYPTO_ERROR_AUTH on a mismatch. */
gboolean cg_cipher_decrypt(CgCipher *c, const guint8 *aad, gsize aad_len, const guint8 *iv,
                           guint8 *buf, gsize len, const guint8 *icv, GError **error);

/* ---- key exchange ------------------------------------------------------ */

gboolean cg_dh_supported(guint16 group);
gsize cg_dh_public_len(guint16 group); /* KE payload data length */

typedef struct CgDh CgDh;
/* Generates a fresh key pair for the group. */
CgDh *cg_dh_new(guint16 group, GError **error);
void cg_dh_free(CgDh *dh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgDh, cg_dh_free)
guint16 cg_dh_group(const CgDh *dh);
/* Our public value in KE payload encoding: X25519 32 bytes (RFC 8031),
 * ECP x | y (RFC 5903), MODP big-endian padded to the prime length. */
const guint8 *cg_dh_public(const CgDh *dh, gsize *len);
/* Computes the shared secret g^ir. Validates the peer's value first:
 * length, RFC 6989 checks (MODP: 1 < y < p-1; ECP: point on the curve;
 * X25519: not all-zero result, RFC 8031 2.3). */
gboolean cg_dh_compute(CgDh *dh, const guint8 *peer, gsize peer_len, guint8 *shared_out,
                       gsize *shared_len, GError **error); /* shared_out >= 512 bytes */

/* Wipes memory holding secrets (not optimised away). */
void cg_memzero(void *p, gsize len);
/* Constant-time comparison. */
gboolean cg_memeq_const(const void *a, const void *b, gsize len);

/* Family name without key size ("aes", "aesgcm16", "chacha20poly1305"). */
const char *cg_encr_name(guint16 id);
/* With the key size, as strongSwan writes it: "aes128", "aes256gcm16",
 * "chacha20poly1305". */
const char *cg_encr_name_bits(guint16 id, guint16 key_bits);
const char *cg_prf_name(guint16 id);
const char *cg_integ_name(guint16 id);
const char *cg_dh_name(guint16 id);

G_END_DECLS
