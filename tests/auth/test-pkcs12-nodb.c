/* PKCS#12 files without an NSS database (NSS_NoDB_Init, as in
 * nm-cygnet-service): the key becomes a session object. Files as
 * `openssl pkcs12 -export` writes them today (PBES2 with AES, the password
 * as UTF-8) and with -legacy (PKCS#12 PBE with 3DES and RC2, the password
 * as a BMPString), with RSA and ECDSA keys; each key signs, the
 * certificate verifies. A wrong password and a damaged file fail with a
 * clear message.
 * Usage: test-pkcs12-nodb DATA-DIR (tests/unit/auth/data: keys and certs) */
#include "crypto/cg-cert.h"
#include "crypto/cg-crypto.h"
#include "crypto/cg-sign.h"

#include <glib/gstdio.h>
#include <string.h>

static const char *data_dir;
static char *tmp_dir;

/* openssl pkcs12 -export of NAME.pem and NAME.key into a temporary file */
static char *
export_p12(const char *name, const char *password, gboolean legacy)
{
    g_autofree char *cert = g_strdup_printf("%s/%s.pem", data_dir, name);
    g_autofree char *key = g_strdup_printf("%s/%s.key", data_dir, name);
    char *out = g_strdup_printf("%s/%s%s.p12", tmp_dir, name, legacy ? "-legacy" : "");
    g_autofree char *pass = g_strdup_printf("pass:%s", password);
    const char *argv[]
        = { "openssl", "pkcs12", "-export",  "-in", cert,    "-inkey", key,
            "-out",    out,      "-passout", pass,  "-name", name,     legacy ? "-legacy" : NULL,
            NULL };
    g_autoptr(GError) error = NULL;
    gint status = 0;
    g_autofree char *err = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                      NULL, NULL, NULL, &err, &status, &error)
        || !g_spawn_check_wait_status(status, NULL)) {
        if (legacy) {
            g_free(out);
            return NULL; /* OpenSSL 3 without its legacy provider */
        }
        g_error("openssl pkcs12 -export failed: %s", error ? error->message : err);
    }
    return out;
}

static void
check_loads_and_signs(const char *path, const char *password)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) pw = g_bytes_new(password, strlen(password));
    CgCert *cert = NULL;
    GPtrArray *chain = NULL;
    g_autoptr(CgPrivKey) key = cg_privkey_load_pkcs12(path, pw, &cert, &chain, &error);
    g_assert_no_error(error);
    g_assert_nonnull(key);
    g_assert_nonnull(cert);
    g_assert_true(cg_privkey_matches_cert(key, cert));
    guint bits = 0;
    CgKeyType type = cg_cert_key_type(cert, &bits);
    CgSigScheme scheme = { type == CG_KEY_RSA ? CG_SIG_RSA_PSS : CG_SIG_ECDSA, CG_HASH_SHA256, 0 };
    CgIov iov = { (const guint8 *)"signed octets", 13 };
    g_autoptr(GBytes) sig = NULL;
    g_assert_true(cg_sign(key, &scheme, &iov, 1, &sig, &error));
    g_assert_no_error(error);
    gsize sig_len;
    const guint8 *sig_data = g_bytes_get_data(sig, &sig_len);
    g_assert_true(cg_verify(cert, &scheme, &iov, 1, sig_data, sig_len, &error));
    g_assert_no_error(error);
    cg_cert_unref(cert);
    g_ptr_array_unref(chain);
}

static void
check_wrong_password(const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) pw = g_bytes_new_static("not the password", 16);
    CgCert *cert = NULL;
    GPtrArray *chain = NULL;
    g_assert_null(cg_privkey_load_pkcs12(path, pw, &cert, &chain, &error));
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "wrong password"));
    g_assert_null(cert);
    g_assert_null(chain);
}

static void
test_case(gconstpointer data)
{
    const char *const *c = data; /* name, "legacy" or "" */
    gboolean legacy = strcmp(c[1], "legacy") == 0;
    const char *password = "pässwörd 12"; /* UTF-8 beyond ASCII: both encodings matter */
    g_autofree char *path = export_p12(c[0], password, legacy);
    if (!path) {
        g_test_skip("openssl cannot write legacy PKCS#12 files here");
        return;
    }
    check_loads_and_signs(path, password);
    check_wrong_password(path);
    g_unlink(path);
}

static void
test_damaged(void)
{
    g_autofree char *path = export_p12("rw-ec", "x", FALSE);
    gsize len;
    g_autofree char *contents = NULL;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    for (gsize cut = 1; cut < len; cut += len / 7 + 1) {
        g_assert_true(g_file_set_contents(path, contents, (gssize)cut, NULL));
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) pw = g_bytes_new_static("x", 1);
        CgCert *cert = NULL;
        GPtrArray *chain = NULL;
        g_assert_null(cg_privkey_load_pkcs12(path, pw, &cert, &chain, &error));
        g_assert_nonnull(error);
    }
    g_unlink(path);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (argc != 2) {
        g_printerr("usage: %s DATA-DIR\n", argv[0]);
        return 2;
    }
    data_dir = argv[1];
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error))
        g_error("%s", error->message);
    tmp_dir = g_dir_make_tmp("cg-pkcs12-nodb-XXXXXX", &error);
    g_assert_no_error(error);
    static const char *const ec[] = { "rw-ec", "" };
    static const char *const ec_legacy[] = { "rw-ec", "legacy" };
    static const char *const rsa[] = { "gw", "" };
    static const char *const rsa_legacy[] = { "gw", "legacy" };
    g_test_add_data_func("/pkcs12-nodb/ecdsa-pbes2", ec, test_case);
    g_test_add_data_func("/pkcs12-nodb/ecdsa-legacy", ec_legacy, test_case);
    g_test_add_data_func("/pkcs12-nodb/rsa-pbes2", rsa, test_case);
    g_test_add_data_func("/pkcs12-nodb/rsa-legacy", rsa_legacy, test_case);
    g_test_add_func("/pkcs12-nodb/damaged", test_damaged);
    int rc = g_test_run();
    g_rmdir(tmp_dir);
    g_free(tmp_dir);
    return rc;
}
