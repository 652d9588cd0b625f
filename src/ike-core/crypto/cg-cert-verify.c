/* cg-cert-verify.c: certification path validation (RFC 5280 6) through
 * NSS's libpkix with explicit trust anchors, and revocation from CRL files
 * (RFC 5280 5) and OCSP (cg-cert-ocsp.c), each failure with its own
 * status and a sentence that says which certificate and why. */
#include "cg-cert-private.h"
#include "cg-der.h"

#include <string.h>

#include <certdb.h>
#include <prerror.h>
#include <secder.h>
#include <secerr.h>

#define CRL_FILE_MAX (16 * 1024 * 1024)

struct CgCrl {
    CERTSignedCrl *nss;
};

/* ---- CRLs --------------------------------------------------------------- */

void
cg_crl_free(CgCrl *crl)
{
    if (!crl)
        return;
    if (crl->nss)
        SEC_DestroyCrl(crl->nss);
    g_free(crl);
}

static CgCrl *
crl_from_der(const guint8 *der, gsize len, GError **error)
{
    SECItem item = { siBuffer, (unsigned char *)der, (unsigned int)len };
    /* the default options copy the DER: the item may go away */
    CERTSignedCrl *nss
        = CERT_DecodeDERCrlWithFlags(NULL, &item, SEC_CRL_TYPE, CRL_DECODE_DEFAULT_OPTIONS);
    if (!nss) {
        cg_crypto_set_nss_error(error, "parsing a CRL");
        return NULL;
    }
    CgCrl *crl = g_new0(CgCrl, 1);
    crl->nss = nss;
    return crl;
}

GPtrArray *
cg_crl_load_file(const char *path, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return NULL;
    g_autofree char *contents = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &contents, &len, error))
        return NULL;
    if (len == 0 || len > CRL_FILE_MAX || len > G_MAXUINT) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "%s: a CRL file of %zu bytes (1..%d allowed)", path, len, CRL_FILE_MAX);
        return NULL;
    }
    static const char *const labels[] = { "X509 CRL", NULL };
    gboolean pem = FALSE;
    g_autoptr(GPtrArray) ders
        = cg_pem_or_der_objects((const guint8 *)contents, len, labels, &pem, error);
    if (!ders) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    g_autoptr(GPtrArray) crls = g_ptr_array_new_with_free_func((GDestroyNotify)cg_crl_free);
    for (guint i = 0; i < ders->len; i++) {
        gsize der_len;
        const guint8 *der = g_bytes_get_data(ders->pdata[i], &der_len);
        CgCrl *crl = crl_from_der(der, der_len, error);
        if (!crl) {
            g_prefix_error(error, "%s: ", path);
            return NULL;
        }
        g_ptr_array_add(crls, crl);
    }
    if (crls->len == 0) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED, "%s holds no CRL", path);
        return NULL;
    }
    return g_steal_pointer(&crls);
}

char *
cg_crl_issuer(const CgCrl *crl)
{
    return cg_nss_name_string(&crl->nss->crl.name, "(unprintable name)");
}

/* RFC 5280 6.3: is `cert` listed in a CRL of `issuer` (verified with the
 * issuer's key)? Sets *detail when it is. */
static gboolean
crl_revokes(GPtrArray *crls, CERTCertificate *cert, CERTCertificate *issuer, PRTime now,
            char **detail)
{
    for (guint i = 0; crls && i < crls->len; i++) {
        CgCrl *crl = crls->pdata[i];
        CERTCrl *c = &crl->nss->crl;
        if (CERT_CompareName(&c->name, &issuer->subject) != SECEqual)
            continue;
        if (CERT_VerifySignedDataWithPublicKeyInfo(&crl->nss->signatureWrap,
                                                   &issuer->subjectPublicKeyInfo, NULL)
            != SECSuccess)
            continue; /* not really from this issuer: worthless */
        for (guint j = 0; c->entries && c->entries[j]; j++) {
            CERTCrlEntry *e = c->entries[j];
            if (!SECITEM_ItemsAreEqual(&e->serialNumber, &cert->serialNumber))
                continue;
            PRTime when = 0;
            if (DER_DecodeTimeChoice(&when, &e->revocationDate) == SECSuccess && when > now)
                continue; /* revoked only from a later date on */
            g_autofree char *subject = cg_nss_name_string(&cert->subject, "?");
            g_autofree char *crl_issuer = cg_crl_issuer(crl);
            g_autoptr(CgCert) tmp = cg_cert_wrap(CERT_DupCertificate(cert));
            g_autofree char *serial = cg_cert_serial(tmp);
            g_autofree char *when_text = cg_prtime_to_string(when);
            *detail = g_strdup_printf("certificate '%s' (serial %s) was revoked on %s by '%s'",
                                      subject, serial, when_text, crl_issuer);
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- validation ---------------------------------------------------------- */

static char *
subject_of(CERTCertificate *c)
{
    return cg_nss_name_string(&c->subject, "?");
}

static char *
issuer_of(CERTCertificate *c)
{
    return cg_nss_name_string(&c->issuer, "?");
}

/* The validity period first: it gives the clearest message, and a path
 * through an expired certificate is no path. */
static CgCertStatus
check_times(CERTCertificate *c, PRTime now, const char *role, char **detail)
{
    PRTime nb = 0, na = 0;
    if (CERT_GetCertTimes(c, &nb, &na) != SECSuccess) {
        g_autofree char *s = subject_of(c);
        *detail = g_strdup_printf("%s '%s' has a malformed validity period", role, s);
        return CG_CERT_INVALID;
    }
    if (now > na) {
        g_autofree char *s = subject_of(c);
        g_autofree char *t = cg_prtime_to_string(na);
        *detail = g_strdup_printf("%s '%s' expired on %s", role, s, t);
        return CG_CERT_EXPIRED;
    }
    if (now < nb) {
        g_autofree char *s = subject_of(c);
        g_autofree char *t = cg_prtime_to_string(nb);
        *detail = g_strdup_printf("%s '%s' is not valid before %s", role, s, t);
        return CG_CERT_NOT_YET_VALID;
    }
    return CG_CERT_OK;
}

static CgCertStatus
status_from_nss(PRErrorCode code)
{
    switch (code) {
        case SEC_ERROR_UNKNOWN_ISSUER:
        case SEC_ERROR_UNTRUSTED_ISSUER:
        case SEC_ERROR_UNTRUSTED_CERT:
        case SEC_ERROR_CA_CERT_INVALID:
        case SEC_ERROR_UNKNOWN_CERT:
        case SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID:
            return CG_CERT_UNTRUSTED;
        case SEC_ERROR_EXPIRED_CERTIFICATE:
        case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE:
            return CG_CERT_EXPIRED;
        case SEC_ERROR_REVOKED_CERTIFICATE:
        case SEC_ERROR_REVOKED_KEY:
            return CG_CERT_REVOKED;
        default:
            return CG_CERT_INVALID;
    }
}

static void
set_nss_detail(CERTCertificate *c, PRErrorCode code, char **detail)
{
    g_autofree char *s = subject_of(c);
    g_autofree char *issuer = issuer_of(c);
    const char *name = PR_ErrorToName(code);
    switch (status_from_nss(code)) {
        case CG_CERT_UNTRUSTED:
            *detail = g_strdup_printf("certificate '%s' is not issued by a trusted CA (issuer "
                                      "'%s')",
                                      s, issuer);
            break;
        case CG_CERT_EXPIRED:
            *detail
                = g_strdup_printf("the issuer of certificate '%s' ('%s') has expired", s, issuer);
            break;
        case CG_CERT_REVOKED:
            *detail = g_strdup_printf("certificate '%s' is revoked", s);
            break;
        default:
            *detail = g_strdup_printf("certificate '%s' failed validation: %s (%d)", s,
                                      name ? name : "unknown NSS error", (int)code);
            break;
    }
}

/* The trust anchor a validated path ends at: its last certificate when
 * that is self-issued, else the anchor that issued it; NULL without
 * explicit anchors. */
static CERTCertificate *
anchor_of(CERTCertList *chain, const CgCertPolicy *policy)
{
    if (!policy->anchors || !policy->anchors->len || CERT_LIST_EMPTY(chain))
        return NULL;
    CERTCertificate *last = CERT_LIST_TAIL(chain)->cert;
    for (guint i = 0; i < policy->anchors->len; i++) {
        CERTCertificate *a = cg_cert_nss(policy->anchors->pdata[i]);
        if (CERT_CompareName(&a->subject, &last->issuer) == SECEqual)
            return a;
    }
    return NULL;
}

/* Revocation checking is ours (CRL files, no network): NSS's is off. */
static PRUint64 rev_method_flags[cert_revocation_method_count] = {
    CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD | CERT_REV_M_FORBID_NETWORK_FETCHING,
    CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD | CERT_REV_M_FORBID_NETWORK_FETCHING,
};

CgCertStatus
cg_cert_verify(CgCert *cert, GPtrArray *intermediates, const CgCertPolicy *policy, char **detail)
{
    char *unused = NULL;
    if (!detail)
        detail = &unused;
    *detail = NULL;
    if (!cg_crypto_ready()) {
        *detail = g_strdup("crypto is not initialised");
        return CG_CERT_INVALID;
    }
    PRTime now = policy && policy->now_s ? (PRTime)policy->now_s * PR_USEC_PER_SEC : PR_Now();
    CERTCertificate *leaf = cg_cert_nss(cert);

    CgCertStatus st = check_times(leaf, now, "certificate", detail);
    for (guint i = 0; st == CG_CERT_OK && intermediates && i < intermediates->len; i++) {
        CERTCertificate *c = cg_cert_nss(intermediates->pdata[i]);
        /* an unrelated extra certificate must not fail the check */
        if (CERT_CompareName(&c->subject, &leaf->issuer) == SECEqual || CERT_IsCACert(c, NULL))
            st = check_times(c, now, "intermediate CA certificate", detail);
    }
    if (st != CG_CERT_OK) {
        g_free(unused);
        return st;
    }

    CERTRevocationFlags rev = {
        .leafTests = { cert_revocation_method_count, rev_method_flags, 0, NULL, 0 },
        .chainTests = { cert_revocation_method_count, rev_method_flags, 0, NULL, 0 },
    };
    CERTCertList *anchors = NULL;
    CERTValInParam in[6];
    int n = 0;
    in[n].type = cert_pi_date;
    in[n++].value.scalar.time = now;
    in[n].type = cert_pi_revocationFlags;
    in[n++].value.pointer.revocation = &rev;
    in[n].type = cert_pi_useAIACertFetch;
    in[n++].value.scalar.b = PR_FALSE;
    if (policy && policy->anchors && policy->anchors->len) {
        anchors = CERT_NewCertList();
        for (guint i = 0; i < policy->anchors->len; i++)
            CERT_AddCertToListTail(anchors,
                                   CERT_DupCertificate(cg_cert_nss(policy->anchors->pdata[i])));
        in[n].type = cert_pi_trustAnchors;
        in[n++].value.pointer.chain = anchors;
        in[n].type = cert_pi_useOnlyTrustAnchors;
        in[n++].value.scalar.b = PR_TRUE;
    }
    in[n].type = cert_pi_end;
    CERTValOutParam out[2];
    out[0].type = cert_po_certList;
    out[0].value.pointer.chain = NULL;
    out[1].type = cert_po_end;

    /* RFC 4945 5.1.3.12: IPsec usage accepts any or no EKU among the
     * usual ones */
    if (!anchors)
        cg_cert_db_trust_read_lock();
    SECStatus rv = CERT_PKIXVerifyCert(leaf, certificateUsageIPsec, in, out, NULL);
    PRErrorCode code = rv == SECSuccess ? 0 : PORT_GetError();
    if (!anchors)
        cg_cert_db_trust_read_unlock();
    CERTCertList *chain = out[0].value.pointer.chain;
    if (rv != SECSuccess) {
        if (anchors)
            CERT_DestroyCertList(anchors);
        if (chain)
            CERT_DestroyCertList(chain);
        set_nss_detail(leaf, code, detail);
        g_free(unused);
        return status_from_nss(code);
    }

    /* RFC 5280 6.3: each certificate against its issuer's CRLs */
    st = CG_CERT_OK;
    if (chain && policy && policy->crls && policy->crls->len) {
        for (CERTCertListNode *node = CERT_LIST_HEAD(chain); !CERT_LIST_END(node, chain);
             node = CERT_LIST_NEXT(node)) {
            CERTCertificate *c = node->cert;
            if (CERT_CompareName(&c->subject, &c->issuer) == SECEqual)
                break; /* a self-issued trust anchor ends the path */
            CERTCertListNode *up = CERT_LIST_NEXT(node);
            CERTCertificate *issuer = CERT_LIST_END(up, chain) ? NULL : up->cert;
            for (guint i = 0; !issuer && policy->anchors && i < policy->anchors->len; i++) {
                CERTCertificate *a = cg_cert_nss(policy->anchors->pdata[i]);
                if (CERT_CompareName(&a->subject, &c->issuer) == SECEqual)
                    issuer = a;
            }
            if (issuer && crl_revokes(policy->crls, c, issuer, now, detail)) {
                st = CG_CERT_REVOKED;
                break;
            }
        }
    }
    /* RFC 6960: the end entity's status from its OCSP responder, last
     * (it costs a round trip, and only a valid path is worth asking
     * about); the path's anchor vouches for the responder */
    if (st == CG_CERT_OK && chain && policy && policy->ocsp != CG_OCSP_OFF)
        st = cg_cert_ocsp_check(leaf, anchor_of(chain, policy), policy->ocsp, now, detail);
    if (chain)
        CERT_DestroyCertList(chain);
    if (anchors)
        CERT_DestroyCertList(anchors);
    g_free(unused);
    return st;
}
