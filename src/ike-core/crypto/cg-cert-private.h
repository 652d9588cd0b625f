/* cg-cert-private.h: what cg-cert.c and cg-sign.c share (the NSS objects
 * behind CgCert). Only src/ike-core/crypto includes this. */
#pragma once

#include "cg-cert.h"
#include "cg-crypto-private.h"

#include <cert.h>
#include <keyhi.h>

G_BEGIN_DECLS

/* Borrowed: valid while the CgCert lives. */
CERTCertificate *cg_cert_nss(const CgCert *cert);
/* A CgCert owning `nss` (one reference taken over). */
CgCert *cg_cert_wrap(CERTCertificate *nss);
CgKeyType cg_public_key_type(const SECKEYPublicKey *key, guint *bits);
/* Borrowed: valid while the CgPrivKey lives (cg-sign.c). */
typedef struct CgPrivKey CgPrivKey;
SECKEYPrivateKey *cg_privkey_nss(const CgPrivKey *key);
/* A CgPrivKey owning `nss`. */
CgPrivKey *cg_privkey_wrap(SECKEYPrivateKey *nss);
/* The private key of the PKCS#12 file `pfx` whose certificate is `cert`,
 * imported as a session object (NSS without a database); `bmp` is the
 * password as a BMPString (cg-pkcs12-session.c). */
CgPrivKey *cg_pkcs12_session_key(const guint8 *pfx, gsize pfx_len, GBytes *password,
                                 const SECItem *bmp, CERTCertificate *cert, GError **error);
/* The OCSP step of cg_cert_verify for `leaf`, whose validated path ends
 * at the trust anchor `anchor` (NULL: the database's trust), which also
 * vouches for the responder (cg-cert-ocsp.c); see CgOcspMode. */
CgCertStatus cg_cert_ocsp_check(CERTCertificate *leaf, CERTCertificate *anchor, CgOcspMode mode,
                                PRTime now, char **detail);
/* Held around a validation that relies on the certificate database's
 * trust (no explicit anchors): an OCSP check elsewhere may change that
 * trust for a moment under the writer lock (cg-cert-ocsp.c). */
void cg_cert_db_trust_read_lock(void);
void cg_cert_db_trust_read_unlock(void);
/* A distinguished name as text ("CN=gw,O=Example"), or `unprintable`. */
char *cg_nss_name_string(CERTName *name, const char *unprintable);
/* "2024-01-01 00:00:00 UTC" */
char *cg_prtime_to_string(PRTime t);

G_END_DECLS
