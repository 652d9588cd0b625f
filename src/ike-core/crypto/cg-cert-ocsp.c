/* cg-cert-ocsp.c: the end entity certificate's revocation status from its
 * OCSP responder (RFC 6960) through NSS: NSS builds the request for the
 * URL in the certificate's authorityInfoAccess (RFC 5280 4.2.2.1), posts
 * it with its built-in HTTP client, and checks the response (signed by the
 * issuing CA or a responder it delegated to, RFC 6960 4.2.2.2). Here the
 * answer becomes a status with a sentence, and soft- or hard-fail is
 * decided (see CgOcspMode in config/cg-ocsp-mode.h). */
#include "cg-cert-private.h"

#include <string.h>

#include <certdb.h>
#include <ocsp.h>
#include <prerror.h>
#include <secerr.h>

/* Process-wide NSS settings, once: failures are reported to us (we decide
 * soft or hard), a bounded wait, and no memory of a failed fetch (a
 * responder that was down must be asked again on the next attempt). */
static void
ocsp_setup_once(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        CERT_SetOCSPFailureMode(ocspMode_FailureIsVerificationFailure);
        CERT_SetOCSPTimeout(CG_OCSP_TIMEOUT_S);
        CERT_OCSPCacheSettings(256, 0, 3600);
        g_once_init_leave(&once, 1);
    }
}

/* An answer that is there but cannot be used: never accepted. */
static gboolean
is_bad_answer(PRErrorCode code)
{
    switch (code) {
        case SEC_ERROR_OCSP_UNKNOWN_CERT:
        case SEC_ERROR_OCSP_FUTURE_RESPONSE:
        case SEC_ERROR_OCSP_OLD_RESPONSE:
        case SEC_ERROR_OCSP_UNAUTHORIZED_RESPONSE:
        case SEC_ERROR_OCSP_INVALID_SIGNING_CERT:
        case SEC_ERROR_OCSP_RESPONDER_CERT_INVALID:
        case SEC_ERROR_BAD_SIGNATURE:
        case SEC_ERROR_OCSP_BAD_SIGNATURE:
        case SEC_ERROR_UNKNOWN_SIGNER:
        case SEC_ERROR_UNKNOWN_ISSUER:
        case SEC_ERROR_UNTRUSTED_ISSUER:
            return TRUE;
        default:
            return FALSE;
    }
}

static const char *
answer_text(PRErrorCode code)
{
    switch (code) {
        case SEC_ERROR_OCSP_UNKNOWN_CERT:
            return "the responder does not know the certificate (status \"unknown\")";
        case SEC_ERROR_OCSP_FUTURE_RESPONSE:
        case SEC_ERROR_OCSP_OLD_RESPONSE:
            return "the response is not current";
        case SEC_ERROR_OCSP_UNAUTHORIZED_RESPONSE:
        case SEC_ERROR_OCSP_INVALID_SIGNING_CERT:
        case SEC_ERROR_OCSP_RESPONDER_CERT_INVALID:
        case SEC_ERROR_UNKNOWN_SIGNER:
        case SEC_ERROR_UNKNOWN_ISSUER:
        case SEC_ERROR_UNTRUSTED_ISSUER:
            return "the response is not signed by the CA or a responder it authorized";
        case SEC_ERROR_BAD_SIGNATURE:
        case SEC_ERROR_OCSP_BAD_SIGNATURE:
            return "the response's signature is invalid";
        case PR_CONNECT_REFUSED_ERROR:
            return "connection refused";
        case PR_IO_TIMEOUT_ERROR:
            return "no answer in time";
        case PR_NETWORK_UNREACHABLE_ERROR:
        case PR_HOST_UNREACHABLE_ERROR:
            return "the responder is unreachable";
        case SEC_ERROR_OCSP_BAD_HTTP_RESPONSE:
            return "a bad HTTP response";
        case SEC_ERROR_OCSP_SERVER_ERROR:
            /* also what NSS's HTTP client reports when it cannot connect */
            return "unreachable, or it reported an error";
        case SEC_ERROR_OCSP_TRY_SERVER_LATER:
            return "it asks to try later";
        case SEC_ERROR_OCSP_MALFORMED_RESPONSE:
            return "a malformed response";
        default: {
            const char *name = PR_ErrorToName(code);
            return name ? name : "unknown error";
        }
    }
}

/* The certificate database's trust, which a validation without explicit
 * anchors (the system's CAs) relies on, changes only under the writer
 * lock: checks may run on a worker thread while the engine validates
 * another connection's certificate. */
static GRWLock db_trust_lock;

void
cg_cert_db_trust_read_lock(void)
{
    g_rw_lock_reader_lock(&db_trust_lock);
}

void
cg_cert_db_trust_read_unlock(void)
{
    g_rw_lock_reader_unlock(&db_trust_lock);
}

/* Asks the responder at `url` about `leaf` (RFC 6960 4.1: a request for
 * one certificate, by its issuer's name and key hashes and its serial
 * number), over NSS's HTTP client with its timeout. No lock: this is the
 * part that may wait. NULL with the NSS error set on failure. */
static SECItem *
fetch_response(PLArenaPool *arena, CERTCertificate *leaf, const char *url, PRTime now)
{
    CERTCertList *list = CERT_NewCertList();
    if (!list)
        return NULL;
    CERT_AddCertToListTail(list, CERT_DupCertificate(leaf));
    CERTOCSPRequest *req = CERT_CreateOCSPRequest(list, now, PR_FALSE, NULL);
    SECItem *response = NULL;
    if (req
        && CERT_AddOCSPAcceptableResponses(req, SEC_OID_PKIX_OCSP_BASIC_RESPONSE) == SECSuccess) {
        SECItem *encoded = CERT_EncodeOCSPRequest(arena, req, NULL);
        if (encoded)
            response = CERT_PostOCSPRequest(arena, url, encoded);
    }
    PRErrorCode code = response ? 0 : PORT_GetError();
    if (req)
        CERT_DestroyOCSPRequest(req);
    CERT_DestroyCertList(list);
    if (!response)
        PORT_SetError(code);
    return response;
}

/* NSS checks the response's signer with its classic verifier, which
 * knows only the trust of the certificate database, while our anchors are
 * temporary certificates trusted for one validation at a time. So the
 * path's anchor is trusted as a CA just while the fetched response is
 * checked (a signer that is the CA itself, or a responder it delegated to,
 * RFC 6960 4.2.2.2), then its trust is put back, under the writer lock,
 * which validations relying on the database's trust take as readers; an
 * anchor the database trusts already needs only the reader lock. The
 * check takes milliseconds: the fetch happened before. (Validations with
 * explicit anchors never look at this trust.) */
static SECStatus
check_with_anchor_trusted(CERTCertificate *leaf, CERTCertificate *anchor, const char *url,
                          PRTime now)
{
    PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
    if (!arena)
        return SECFailure;
    SECItem *response = fetch_response(arena, leaf, url, now);
    if (!response) {
        PRErrorCode code = PORT_GetError();
        PORT_FreeArena(arena, PR_FALSE);
        PORT_SetError(code);
        return SECFailure;
    }
    CERTCertDBHandle *db = CERT_GetDefaultCertDB();
    CERTCertTrust old;
    g_rw_lock_writer_lock(&db_trust_lock);
    gboolean had_trust = anchor && CERT_GetCertTrust(anchor, &old) == SECSuccess;
    gboolean changed = anchor && (!had_trust || (old.sslFlags & CERTDB_TRUSTED_CA) == 0);
    if (!changed) {
        g_rw_lock_writer_unlock(&db_trust_lock);
        g_rw_lock_reader_lock(&db_trust_lock);
    } else {
        const unsigned int ca_flags = CERTDB_TRUSTED_CA | CERTDB_VALID_CA;
        CERTCertTrust ca = { ca_flags, ca_flags, ca_flags };
        CERT_ChangeCertTrust(db, anchor, &ca);
    }
    /* verifies the response (signer, freshness, this certificate) and
     * succeeds only on "good" */
    SECStatus rv = CERT_CacheOCSPResponseFromSideChannel(db, leaf, now, response, NULL);
    PRErrorCode code = rv == SECSuccess ? 0 : PORT_GetError();
    if (changed) {
        /* NSS ignores an all-zero trust (it would leave the CA trusted for
         * good): "a CA, trusted for nothing" takes the lent trust back */
        const unsigned int valid_ca = CERTDB_VALID_CA;
        CERTCertTrust untrusted = { valid_ca, valid_ca, valid_ca };
        CERT_ChangeCertTrust(db, anchor, had_trust ? &old : &untrusted);
        g_rw_lock_writer_unlock(&db_trust_lock);
    } else {
        g_rw_lock_reader_unlock(&db_trust_lock);
    }
    PORT_FreeArena(arena, PR_FALSE);
    if (rv != SECSuccess)
        PORT_SetError(code);
    return rv;
}

CgCertStatus
cg_cert_ocsp_check(CERTCertificate *leaf, CERTCertificate *anchor, CgOcspMode mode, PRTime now,
                   char **detail)
{
    if (mode == CG_OCSP_OFF)
        return CG_CERT_OK;
    ocsp_setup_once();
    g_autofree char *subject = cg_nss_name_string(&leaf->subject, "?");
    char *aia = CERT_GetOCSPAuthorityInfoAccessLocation(leaf);
    if (!aia) {
        /* NSS would call such a certificate good without asking anyone */
        *detail = g_strdup_printf("the revocation status of certificate '%s' is unknown: it "
                                  "names no OCSP responder (authorityInfoAccess)",
                                  subject);
        return mode == CG_OCSP_HARD ? CG_CERT_STATUS_UNKNOWN : CG_CERT_OK;
    }
    g_autofree char *url = g_strdup(aia);
    PORT_Free(aia);

    SECStatus rv = check_with_anchor_trusted(leaf, anchor, url, now);
    if (rv == SECSuccess)
        return CG_CERT_OK;
    PRErrorCode code = PORT_GetError();
    if (code == SEC_ERROR_REVOKED_CERTIFICATE) {
        *detail = g_strdup_printf("certificate '%s' is revoked according to the OCSP responder "
                                  "%s",
                                  subject, url);
        return CG_CERT_REVOKED;
    }
    if (is_bad_answer(code)) {
        const char *name = PR_ErrorToName(code);
        *detail = g_strdup_printf("the OCSP responder %s gave no acceptable answer for "
                                  "certificate '%s': %s (%s)",
                                  url, subject, answer_text(code), name ? name : "?");
        return CG_CERT_STATUS_UNKNOWN;
    }
    /* no answer at all: what soft-fail forgives */
    *detail = g_strdup_printf("the revocation status of certificate '%s' is unknown: the OCSP "
                              "responder %s did not answer (%s)",
                              subject, url, answer_text(code));
    return mode == CG_OCSP_HARD ? CG_CERT_STATUS_UNKNOWN : CG_CERT_OK;
}
