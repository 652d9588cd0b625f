/* test-pkcs11.c: a private key on a PKCS#11 token (SoftHSM2 as a real
 * token): load the module, find the certificate by "token:label", log in
 * with the PIN, sign, and verify with the certificate; a wrong PIN fails
 * cleanly; then two engines where the client's key lives on the token.
 * Skips (77) without softhsm2-util / pkcs11-tool. */
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "auth/cg-creds.h"
#include "crypto/cg-cert.h"
#include "crypto/cg-crypto.h"
#include "crypto/cg-sign.h"
#include "engine/cg-engine.h"
#include "log/cg-log.h"
#include "cg-test-cert-pair.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN          "cygnet-test"
#define PIN            "2468"

static char *tmp_dir;

static char *
data_path(const char *name)
{
    return g_build_filename(AUTH_DATA_DIR, name, NULL);
}

static void
run(const char *cmd)
{
    g_autofree char *out = NULL, *err = NULL;
    gint status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_command_line_sync(cmd, &out, &err, &status, &error)
        || !g_spawn_check_wait_status(status, NULL))
        g_error("'%s' failed: %s %s", cmd, error ? error->message : "", err ? err : "");
}

/* A token holding rw-ec's key and certificate, and gw's certificate too
 * (so the search by label must pick the right one). */
static void
make_token(void)
{
    tmp_dir = g_dir_make_tmp("cg-pkcs11-XXXXXX", NULL);
    g_autofree char *tokens = g_build_filename(tmp_dir, "tokens", NULL);
    g_mkdir(tokens, 0700);
    g_autofree char *conf = g_build_filename(tmp_dir, "softhsm2.conf", NULL);
    g_autofree char *text
        = g_strdup_printf("directories.tokendir = %s\nobjectstore.backend = file\n", tokens);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_setenv("SOFTHSM2_CONF", conf, TRUE);
    run("softhsm2-util --init-token --free --label " TOKEN " --so-pin 13579 --pin " PIN);
    /* softhsm2-util imports PKCS#8 PEM keys */
    g_autofree char *key = data_path("rw-ec.key");
    g_autofree char *p8 = g_build_filename(tmp_dir, "rw.p8", NULL);
    g_autofree char *conv
        = g_strdup_printf("openssl pkcs8 -topk8 -nocrypt -in %s -out %s", key, p8);
    run(conv);
    g_autofree char *import = g_strdup_printf(
        "softhsm2-util --import %s --token " TOKEN " --label rw --id 01 --pin " PIN, p8);
    run(import);
    g_autofree char *cert = data_path("rw-ec.pem");
    g_autofree char *der = g_build_filename(tmp_dir, "rw.der", NULL);
    g_autofree char *conv2 = g_strdup_printf("openssl x509 -in %s -outform DER -out %s", cert, der);
    run(conv2);
    g_autofree char *write
        = g_strdup_printf("pkcs11-tool --module " SOFTHSM_MODULE " --token-label " TOKEN
                          " --login --pin " PIN " --write-object %s --type cert --id 01 --label rw",
                          der);
    run(write);
}

static void
test_token_sign(void)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_pkcs11_load_module(SOFTHSM_MODULE, &error));
    g_assert_no_error(error);
    g_assert_true(cg_pkcs11_load_module(SOFTHSM_MODULE, &error)); /* again: no-op */
    /* a wrong PIN: refused, once (no retry loop that would lock the token) */
    g_autoptr(GBytes) wrong = g_bytes_new_static("0000", 4);
    g_assert_false(cg_pkcs11_login(TOKEN, wrong, &error));
    g_assert_nonnull(strstr(error->message, "PIN of token '" TOKEN "' was not accepted"));
    g_clear_error(&error);
    g_assert_false(cg_pkcs11_login("no such token", wrong, &error));
    g_assert_nonnull(strstr(error->message, "no token labelled 'no such token'"));
    g_clear_error(&error);
    g_autoptr(GBytes) pin = g_bytes_new_static(PIN, strlen(PIN));
    g_assert_true(cg_pkcs11_login(TOKEN, pin, &error));
    g_assert_no_error(error);
    g_autoptr(CgCert) cert = cg_cert_find_nickname(TOKEN ":rw", &error);
    g_assert_no_error(error);
    g_autofree char *subject = cg_cert_subject(cert);
    g_assert_cmpstr(subject, ==, "CN=rw@test,O=Cygnet Test,C=CH");

    g_autoptr(CgPrivKey) key = cg_privkey_find_for_cert(cert, pin, &error);
    g_assert_no_error(error);
    g_assert_nonnull(key);
    g_assert_true(cg_privkey_matches_cert(key, cert));
    static const guint8 msg[] = "signed on the token";
    CgIov iov = { msg, sizeof msg };
    CgSigScheme s = { CG_SIG_ECDSA, CG_HASH_SHA256, 0 };
    g_autoptr(GBytes) sig = NULL;
    g_assert_true(cg_sign(key, &s, &iov, 1, &sig, &error));
    g_assert_no_error(error);
    g_assert_true(
        cg_verify(cert, &s, &iov, 1, g_bytes_get_data(sig, NULL), g_bytes_get_size(sig), &error));
    g_assert_no_error(error);
}

/* ---- two engines: the client's key on the token ---------------------------- */

static void
test_engine_with_token(void)
{
    CgTestCertPair pair;
    cg_test_cert_pair_init(&pair, AUTH_DATA_DIR);
    CgConnConfig *r = pair.rw_config;
    r->pkcs11_module = g_strdup(SOFTHSM_MODULE);
    r->cert_nickname = g_strdup(TOKEN ":rw");
    /* the PIN from the secrets store, by token label (as cygnetd's [pin]) */
    g_autoptr(GBytes) pin = g_bytes_new_static(PIN, strlen(PIN));
    cg_creds_add_key_secret(TOKEN, pin);
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
    g_autofree char *util = g_find_program_in_path("softhsm2-util");
    g_autofree char *tool = g_find_program_in_path("pkcs11-tool");
    if (!util || !tool || !g_file_test(SOFTHSM_MODULE, G_FILE_TEST_EXISTS)) {
        g_printerr("SKIP: softhsm2 and opensc are needed (scripts/install-deps.sh)\n");
        return 77;
    }
    make_token();
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error))
        g_error("%s", error->message);
    g_test_add_func("/pkcs11/token-sign", test_token_sign);
    g_test_add_func("/pkcs11/engine", test_engine_with_token);
    int rc = g_test_run();
    g_autofree char *rm = g_strdup_printf("rm -rf %s", tmp_dir);
    run(rm);
    return rc;
}
