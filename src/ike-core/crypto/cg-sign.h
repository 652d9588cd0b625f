/* cg-sign.h: private keys and digital signatures through NSS, for IKEv2
 * AUTH payloads (RFC 7296 2.15, RFC 7427, RFC 4754).
 *
 * A private key comes from a file (PKCS#8, PKCS#1 or SEC1; PEM or DER),
 * from a PKCS#12 file, or from the NSS database / a PKCS#11 token by the
 * certificate it belongs to. Key bytes read from files are wiped after
 * NSS imported them; PINs and passphrases are never kept.
 */
#pragma once

#include <glib.h>

#include "cg-cert.h"
#include "cg-crypto.h"

G_BEGIN_DECLS

/* Hash algorithm identifiers as RFC 7427 4 numbers them. */
typedef enum {
    CG_HASH_ANY = 0, /* verification of PKCS#1 v1.5: whatever the DigestInfo names */
    CG_HASH_SHA1 = 1,
    CG_HASH_SHA256 = 2,
    CG_HASH_SHA384 = 3,
    CG_HASH_SHA512 = 4,
    CG_HASH_IDENTITY = 5, /* RFC 8420: EdDSA signs the octets themselves */
} CgHash;
const char *cg_hash_name(CgHash hash); /* "SHA-256" */
gsize cg_hash_len(CgHash hash);        /* 0 for ANY and IDENTITY */

typedef enum {
    CG_SIG_RSA_PKCS1 = 1, /* RSASSA-PKCS1-v1_5 (RFC 8017 8.2) */
    CG_SIG_RSA_PSS,       /* RSASSA-PSS, MGF1 with the same hash (RFC 8017 8.1) */
    CG_SIG_ECDSA,         /* signature value DER Ecdsa-Sig-Value (RFC 7427 3, RFC 3279) */
    CG_SIG_ECDSA_RAW,     /* r | s, each as long as the curve order (RFC 4754 7) */
    CG_SIG_ED25519,       /* RFC 8420 (not in NSS 3.87: always UNSUPPORTED) */
} CgSigKind;

typedef struct {
    CgSigKind kind;
    CgHash hash;
    guint salt_len; /* RSA-PSS; 0 = the hash length */
} CgSigScheme;

/* "RSA-PSS/SHA-256", "ECDSA/SHA-384", ... */
char *cg_sig_scheme_to_string(const CgSigScheme *scheme);

typedef struct CgPrivKey CgPrivKey;

/* A private key file: PEM ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE
 * KEY") or DER of PKCS#8 / PKCS#1 / SEC1. Encrypted PEM keys are refused
 * (use PKCS#12). */
CgPrivKey *cg_privkey_load_file(const char *path, GError **error);
/* A PKCS#12 file (RFC 7292): the key, its certificate and any CA
 * certificates in it (*chain, CgCert*, may be empty). `password` may be
 * NULL for an unprotected file. */
CgPrivKey *cg_privkey_load_pkcs12(const char *path, GBytes *password, CgCert **cert,
                                  GPtrArray **chain, GError **error);
/* The private key of `cert` in the NSS database or on the PKCS#11 token
 * that holds it; `pin` (may be NULL) logs in to the token when needed. */
CgPrivKey *cg_privkey_find_for_cert(CgCert *cert, GBytes *pin, GError **error);
void cg_privkey_free(CgPrivKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgPrivKey, cg_privkey_free)
CgKeyType cg_privkey_type(const CgPrivKey *key, guint *bits);
/* TRUE when key and cert form a pair (proved with a test signature). */
gboolean cg_privkey_matches_cert(CgPrivKey *key, CgCert *cert);

/* Signs the concatenated iov with `scheme`. ECDSA and RSA keys only take
 * their own kinds. */
gboolean cg_sign(CgPrivKey *key, const CgSigScheme *scheme, const CgIov *iov, guint n_iov,
                 GBytes **signature, GError **error);
/* Verifies a signature over the concatenated iov with the certificate's
 * public key. CG_SIG_RSA_PKCS1 with CG_HASH_ANY accepts SHA-1..SHA-512 as
 * the DigestInfo says (the classic RSA method of RFC 7296 3.8). */
gboolean cg_verify(CgCert *cert, const CgSigScheme *scheme, const CgIov *iov, guint n_iov,
                   const guint8 *signature, gsize signature_len, GError **error);

/* ---- PKCS#11 modules ----------------------------------------------------- */

/* Loads a PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so) once per
 * process under `name`; loading it again is a no-op. */
gboolean cg_pkcs11_load_module(const char *path, GError **error);
/* Logs in to the token labelled `token` with `pin` unless it needs no
 * login or is logged in already (tokens that demand a login before they
 * show their certificates need this before cg_cert_find_nickname). A
 * wrong PIN is tried once, never again (no token lock-out). */
gboolean cg_pkcs11_login(const char *token, GBytes *pin, GError **error);

G_END_DECLS
