/* ocsp-verify: cg_cert_verify with OCSP, as the engine calls it for a
 * peer's certificate, for tests/auth/test-ocsp.sh:
 *
 *   ocsp-verify MODE CA-FILE CERT-FILE      (MODE: no, soft, hard)
 *
 * Prints "status NAME" and, when there is one, "detail TEXT", then
 * "without-anchors NAME": the same certificate checked again against the
 * database's trust alone (which must not have kept the CA); exits 0
 * when the certificate is accepted, 1 when it is rejected, 2 on a usage
 * or file error. NSS without a database, as in nm-cygnet-service. */
#include "crypto/cg-cert.h"
#include "crypto/cg-crypto.h"

#include <stdio.h>

static const char *
status_name(CgCertStatus st)
{
    switch (st) {
        case CG_CERT_OK:
            return "ok";
        case CG_CERT_UNTRUSTED:
            return "untrusted";
        case CG_CERT_EXPIRED:
            return "expired";
        case CG_CERT_NOT_YET_VALID:
            return "not-yet-valid";
        case CG_CERT_REVOKED:
            return "revoked";
        case CG_CERT_INVALID:
            return "invalid";
        case CG_CERT_STATUS_UNKNOWN:
            return "status-unknown";
    }
    return "?";
}

int
main(int argc, char **argv)
{
    CgOcspMode mode;
    if (argc != 4 || !cg_ocsp_mode_from_string(argv[1], &mode)) {
        fprintf(stderr, "usage: %s no|soft|hard CA-FILE CERT-FILE\n", argv[0]);
        return 2;
    }
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error)) {
        fprintf(stderr, "crypto: %s\n", error->message);
        return 2;
    }
    g_autoptr(GPtrArray) anchors = cg_cert_load_file(argv[2], &error);
    g_autoptr(GPtrArray) certs = anchors ? cg_cert_load_file(argv[3], &error) : NULL;
    if (!certs) {
        fprintf(stderr, "%s\n", error->message);
        return 2;
    }
    CgCertPolicy policy = { anchors, NULL, 0, mode };
    g_autofree char *detail = NULL;
    gint64 t0 = g_get_monotonic_time();
    CgCertStatus st = cg_cert_verify(certs->pdata[0], NULL, &policy, &detail);
    printf("status %s\n", status_name(st));
    if (detail)
        printf("detail %s\n", detail);
    printf("took %" G_GINT64_FORMAT " ms\n", (g_get_monotonic_time() - t0) / 1000);
    /* The OCSP step lends the CA database trust for a moment: afterwards a
     * validation that relies on the database (no anchors, as with the
     * system's CAs) must not trust that CA. */
    CgCertPolicy db_policy = { NULL, NULL, 0, CG_OCSP_OFF };
    g_autofree char *db_detail = NULL;
    printf("without-anchors %s\n",
           status_name(cg_cert_verify(certs->pdata[0], NULL, &db_policy, &db_detail)));
    return st == CG_CERT_OK ? 0 : 1;
}
