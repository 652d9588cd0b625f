/* cg-cert.h: X.509 certificates and CRLs through NSS, for IKEv2
 * certificate authentication (RFC 7296 3.6, 3.7; RFC 4945).
 *
 * Certificates parsed here live as NSS temporary certificates, so NSS's
 * path builder finds the intermediates a peer sent. Everything from the
 * network goes through cg_cert_new_from_der, which never trusts a length
 * and fails cleanly on garbage. Main-context use; verification may run on
 * a crypto worker (NSS is thread-safe once initialised).
 */
#pragma once

#include <glib.h>

#include "config/cg-ocsp-mode.h"

G_BEGIN_DECLS

typedef struct CgCert CgCert;
typedef struct CgCrl CgCrl;

typedef enum {
    CG_KEY_NONE = 0,
    CG_KEY_RSA,
    CG_KEY_ECDSA_P256,
    CG_KEY_ECDSA_P384,
    CG_KEY_ECDSA_P521,
    CG_KEY_ED25519,
} CgKeyType;
const char *cg_key_type_name(CgKeyType type); /* "RSA", "ECDSA P-256", ... */

/* One DER certificate (as in a CERT payload with encoding 4). */
CgCert *cg_cert_new_from_der(const guint8 *der, gsize len, GError **error);
CgCert *cg_cert_ref(CgCert *cert);
void cg_cert_unref(CgCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgCert, cg_cert_unref)

/* Every certificate in a file: PEM "CERTIFICATE" blocks in file order, or
 * one DER certificate. CgCert* with a free func; never empty. */
GPtrArray *cg_cert_load_file(const char *path, GError **error);
/* A certificate in the NSS database or on a PKCS#11 token, by nickname
 * ("name" or "token label:name"). */
CgCert *cg_cert_find_nickname(const char *nickname, GError **error);

GBytes *cg_cert_der(const CgCert *cert);
gboolean cg_cert_equal(const CgCert *a, const CgCert *b);
/* RFC 4514-style text ("CN=gw.test,O=Cygnet"), for logs and messages. */
char *cg_cert_subject(const CgCert *cert);
char *cg_cert_issuer(const CgCert *cert);
char *cg_cert_serial(const CgCert *cert); /* "0x1a2b" */
/* subjectAltNames as text ("DNS:gw.test, IP:10.0.0.1"), "" when none. */
char *cg_cert_alt_names(const CgCert *cert);
/* DER of the subject Name (what ID_DER_ASN1_DN carries). */
GBytes *cg_cert_subject_der(const CgCert *cert);
/* Unix seconds of notBefore / notAfter. */
gint64 cg_cert_not_before(const CgCert *cert);
gint64 cg_cert_not_after(const CgCert *cert);
gboolean cg_cert_is_ca(const CgCert *cert);
/* SHA-1 of the DER subjectPublicKeyInfo: a CERTREQ's CA hash (RFC 7296
 * 3.7) and the key identifier of cg_cert_issued_by_hash. */
void cg_cert_spki_sha1(const CgCert *cert, guint8 out[20]);
CgKeyType cg_cert_key_type(const CgCert *cert, guint *bits);

/* RFC 4945 3.1: does the certificate carry this IKE identity? IPv4/IPv6
 * and FQDN / RFC822 are looked up in subjectAltName (iPAddress, dNSName
 * case-insensitively, rfc822Name), DER_ASN1_DN is compared with the
 * subject. Other types never match. */
gboolean cg_cert_matches_id(const CgCert *cert, guint8 id_type, const guint8 *data, gsize len);
/* A DER Name as text, or NULL when it does not parse. */
char *cg_dn_to_string(const guint8 *der, gsize len);
/* "CN=x, O=y" (RFC 4514 text) to DER, or NULL with an error. */
GBytes *cg_dn_from_string(const char *text, GError **error);

/* ---- CRLs -------------------------------------------------------------- */

/* Every CRL in a file: PEM "X509 CRL" blocks, or one DER CRL (CgCrl*). */
GPtrArray *cg_crl_load_file(const char *path, GError **error);
void cg_crl_free(CgCrl *crl);
char *cg_crl_issuer(const CgCrl *crl);

/* ---- path validation --------------------------------------------------- */

typedef enum {
    CG_CERT_OK = 0,
    CG_CERT_UNTRUSTED,      /* no path to a trusted CA */
    CG_CERT_EXPIRED,        /* a certificate of the path is past notAfter */
    CG_CERT_NOT_YET_VALID,  /* ... or before notBefore */
    CG_CERT_REVOKED,        /* listed in a CRL of its issuer */
    CG_CERT_INVALID,        /* bad signature, wrong key usage, malformed */
    CG_CERT_STATUS_UNKNOWN, /* OCSP: no usable answer about revocation */
} CgCertStatus;

/* Asking the end entity certificate's OCSP responder (RFC 6960), the one
 * its authorityInfoAccess names (RFC 5280 4.2.2.1), over HTTP:
 *  - OFF: never;
 *  - SOFT: a "revoked" answer rejects; no answer at all (no responder
 *    named, unreachable, timeout, HTTP or server error) is accepted, and
 *    *detail then says so, for a warning in the log. What an attacker who
 *    can drop packets can do anyway, so it only protects against
 *    certificates revoked while the responder is reachable;
 *  - HARD: anything but a "good" answer rejects (CG_CERT_STATUS_UNKNOWN).
 * In both modes an answer that IS there but is not acceptable (bad
 * signature, unauthorized signer, stale, "unknown" certificate) rejects.
 * The responder is asked synchronously (the engine calls this on a worker
 * thread, auth/cg-auth-cert-check.c): NSS's HTTP client waits up to
 * CG_OCSP_TIMEOUT_S for a silent responder. */
#define CG_OCSP_TIMEOUT_S 5

typedef struct {
    GPtrArray *anchors; /* CgCert*: trusted CAs; NULL/empty: the NSS database's trust */
    GPtrArray *crls;    /* CgCrl*: checked for every certificate of the path; may be NULL */
    gint64 now_s;       /* validation time, Unix seconds; 0: now */
    CgOcspMode ocsp;    /* OCSP for the end entity certificate; default off */
} CgCertPolicy;

/* Builds and checks a path from `cert` through `intermediates` (CgCert*,
 * may be NULL) to a trust anchor (RFC 5280 6), then its revocation status
 * (CRLs, OCSP). On failure *detail says what and where ("certificate
 * 'CN=gw' expired at 2024-01-01 00:00:00 UTC"), to be shown to users. On
 * success *detail is normally NULL; with soft-fail OCSP it may note that
 * the status could not be checked (log it as a warning). */
CgCertStatus cg_cert_verify(CgCert *cert, GPtrArray *intermediates, const CgCertPolicy *policy,
                            char **detail);

G_END_DECLS
