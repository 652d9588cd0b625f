/* test-pkcs12.c: certificate and key from a PKCS#12 file, imported into
 * an NSS database (made with certutil for the test): wrong and right
 * password, the CA that came along, and two engines where the client's
 * credentials come from the file with the password from the secrets
 * store. Skips (77) without certutil. */
#include <string.h>

#include <glib/gstdio.h>

#include "auth/cg-creds.h"
#include "crypto/cg-cert.h"
#include "crypto/cg-crypto.h"
#include "crypto/cg-sign.h"
#include "engine/cg-engine.h"
#include "cg-test-cert-pair.h"

static char *
data_path(const char *name)
{
    return g_build_filename(AUTH_DATA_DIR, name, NULL);
}

static void
test_pkcs12(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = data_path("rw-ec.p12");
    CgCert *cert = NULL;
    GPtrArray *chain = NULL;
    g_autoptr(GBytes) wrong = g_bytes_new_static("p12 secreT", 10);
    g_assert_null(cg_privkey_load_pkcs12(path, wrong, &cert, &chain, &error));
    g_assert_nonnull(strstr(error->message, "wrong password"));
    g_assert_null(cert);
    g_clear_error(&error);

    g_autoptr(GBytes) right = g_bytes_new_static("p12 secret", 10);
    g_autoptr(CgPrivKey) key = cg_privkey_load_pkcs12(path, right, &cert, &chain, &error);
    g_assert_no_error(error);
    g_assert_nonnull(key);
    g_autofree char *subject = cg_cert_subject(cert);
    g_assert_cmpstr(subject, ==, "CN=rw@test,O=Cygnet Test,C=CH");
    g_assert_true(cg_privkey_matches_cert(key, cert));
    g_assert_cmpuint(chain->len, ==, 1);
    g_assert_true(cg_cert_is_ca(chain->pdata[0]));
    cg_cert_unref(cert);
    g_ptr_array_unref(chain);

    /* not a PKCS#12 file at all */
    g_autofree char *pem = data_path("ca.pem");
    g_assert_null(cg_privkey_load_pkcs12(pem, right, &cert, &chain, &error));
    g_assert_nonnull(error);
}

static void
test_engine_pkcs12(void)
{
    CgTestCertPair pair;
    cg_test_cert_pair_init(&pair, AUTH_DATA_DIR);
    CgConnConfig *r = pair.rw_config;
    r->pkcs12 = data_path("rw-ec.p12");
    /* the password from the secrets store, by file (as cygnetd's [pin]) */
    g_autoptr(GBytes) pw = g_bytes_new_static("p12 secret", 10);
    cg_creds_add_key_secret(r->pkcs12, pw);
    cg_test_cert_pair_connect(&pair, 8000);
    g_assert_cmpuint(pair.rw_ike_up, ==, 1);
    g_assert_cmpuint(pair.gw_ike_up, ==, 1);
    cg_test_cert_pair_clear(&pair);
    cg_creds_clear();
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autofree char *certutil = g_find_program_in_path("certutil");
    if (!certutil) {
        g_printerr("SKIP: certutil (libnss3-tools) is needed\n");
        return 77;
    }
    g_autofree char *dir = g_dir_make_tmp("cg-pkcs12-XXXXXX", NULL);
    g_autofree char *cmd = g_strdup_printf("certutil -N --empty-password -d sql:%s", dir);
    gint status = 0;
    if (!g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL)
        || !g_spawn_check_wait_status(status, NULL))
        g_error("'%s' failed", cmd);
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(dir, &error))
        g_error("%s", error->message);
    g_test_add_func("/pkcs12/load", test_pkcs12);
    g_test_add_func("/pkcs12/engine", test_engine_pkcs12);
    int rc = g_test_run();
    g_autofree char *rm = g_strdup_printf("rm -rf %s", dir);
    g_spawn_command_line_sync(rm, NULL, NULL, NULL, NULL);
    return rc;
}
