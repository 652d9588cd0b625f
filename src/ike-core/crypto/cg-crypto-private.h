/* cg-crypto-private.h: what the crypto module's files share, plus a few
 * hooks for its unit tests. Nothing outside src/ike-core/crypto and
 * tests/unit/crypto includes this. */
#pragma once

#include "cg-crypto.h"

#include <pk11pub.h>

G_BEGIN_DECLS

/* Slots looked up once by cg_crypto_init() (PK11_GetBestSlot is a list walk
 * with locks; doing it per packet or per handshake would cost). NULL when
 * no token offers the mechanism. Valid until cg_crypto_shutdown(). */
typedef enum {
    CG_SLOT_HMAC,     /* CKM_SHA*_HMAC */
    CG_SLOT_AES_GCM,  /* CKM_AES_GCM */
    CG_SLOT_CHACHA20, /* CKM_CHACHA20_POLY1305 */
    CG_SLOT_AES_CBC,  /* CKM_AES_CBC */
    CG_SLOT_EC,       /* CKM_EC_KEY_PAIR_GEN + CKM_ECDH1_DERIVE */
    CG_SLOT_DH,       /* CKM_DH_PKCS_KEY_PAIR_GEN + CKM_DH_PKCS_DERIVE */
    CG_SLOT_COUNT,
} CgSlotKind;

PK11SlotInfo *cg_crypto_slot(CgSlotKind kind);

/* TRUE once cg_crypto_init() succeeded. */
gboolean cg_crypto_ready(void);

/* Sets CG_CRYPTO_ERROR_FAILED with "what failed: NSS_ERROR_NAME (code)". */
void cg_crypto_set_nss_error(GError **error, const char *what);

/* Fails with CG_CRYPTO_ERROR_FAILED unless cg_crypto_init() has run. */
gboolean cg_crypto_check_ready(GError **error);

/* HMAC mechanism and output length of a PRF or integrity transform, or 0. */
CK_MECHANISM_TYPE cg_prf_hmac_mech(guint16 prf_id);
CK_MECHANISM_TYPE cg_integ_hmac_mech(guint16 integ_id);
gsize cg_integ_icv_len(guint16 integ_id);

/* Imports raw HMAC key bytes into the HMAC slot (for signing only). */
PK11SymKey *cg_hmac_key_import(const guint8 *key, gsize key_len, GError **error);
/* A signing context for `mech` with `key`; reset it with PK11_DigestBegin. */
PK11Context *cg_hmac_context_new(CK_MECHANISM_TYPE mech, PK11SymKey *key, GError **error);
/* One HMAC over the scatter list through an existing context. */
gboolean cg_hmac_context_run(PK11Context *ctx, const CgIov *iov, guint n_iov, guint8 *out,
                             gsize out_len, GError **error);

/* RFC 3526 MODP primes (cg-dh-primes.c). */
extern const guint8 cg_modp2048_prime[256];
extern const guint8 cg_modp3072_prime[384];
extern const guint8 cg_modp4096_prime[512];

/* DER OID of an EC group's curve, as NSS takes EC key parameters; NULL
 * for MODP and unknown groups. */
const SECItem *cg_dh_ec_params(guint16 group);
/* A CgDh owning `priv`, with `pub` (cg_dh_public_len bytes) copied. */
CgDh *cg_dh_wrap(guint16 group, SECKEYPrivateKey *priv, const guint8 *pub);

/* ---- test hooks --------------------------------------------------------- */

/* A key pair from a known private value, so the RFC 7748 and RFC 5903
 * vectors can be checked: X25519 takes the 32-byte RFC 7748 scalar, ECP
 * the big-endian scalar. `pub` is the matching public value in KE payload
 * encoding (NSS 3.87 cannot import an EC private key without it). MODP is
 * not supported (UNSUPPORTED). */
CgDh *cg_dh_new_with_private(guint16 group, const guint8 *priv, gsize priv_len, const guint8 *pub,
                             gsize pub_len, GError **error);

/* Drops the cached slots and shuts NSS down, so leak checkers see a clean
 * exit. Only for tests: the module cannot be initialised again after it. */
void cg_crypto_shutdown(void);

G_END_DECLS
