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

static guint rw_up, gw_up;

static void
on_event(const CgEvent *ev, gpointer user_data)
{
    if (ev->type == CG_EVENT_IKE_UP)
        (*(guint *)user_data)++;
}

static gboolean
on_timeout(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

static void
add_child(CgConnConfig *c, const char *local, const char *remote)
{
    CgChildConfig *cc = cg_child_config_new(c->name);
    g_array_unref(cc->local_ts);
    cc->local_ts = cg_ts_list_parse(local, NULL);
    g_array_unref(cc->remote_ts);
    cc->remote_ts = cg_ts_list_parse(remote, NULL);
    g_ptr_array_add(c->children, cc);
}

static void
test_engine_with_token(void)
{
    g_autoptr(GError) error = NULL;
    CgEngineOptions o;
    cg_engine_options_init(&o);
    o.bind_address = "127.0.0.1";
    o.ike_port = 0;
    o.natt_port = 0;
    o.crypto_workers = 1;
    g_autoptr(CgEngine) gw = cg_engine_new(&o, &error);
    g_assert_no_error(error);
    g_autoptr(CgEngine) rw = cg_engine_new(&o, &error);
    g_assert_no_error(error);
    cg_engine_subscribe(gw, on_event, &gw_up);
    cg_engine_subscribe(rw, on_event, &rw_up);

    g_autoptr(CgConnConfig) g = cg_conn_config_new("gw");
    g->local_addr = g_strdup("127.0.0.1");
    cg_identity_parse("gw.test", &g->local_id, NULL);
    g->local_auth = g->remote_auth = CG_AUTH_BY_PUBKEY;
    g->cert = data_path("gw-chain.pem");
    g->key = data_path("gw.key");
    g_ptr_array_add(g->cacerts, data_path("ca.pem"));
    add_child(g, "10.1.0.0/16", "dynamic");
    g_assert_true(cg_engine_load_connection(gw, g, &error));

    g_autoptr(CgConnConfig) r = cg_conn_config_new("rw");
    r->local_addr = g_strdup("127.0.0.1");
    r->remote_addr = g_strdup("127.0.0.1");
    r->remote_port = cg_engine_get_ike_port(gw);
    cg_identity_parse("rw@test", &r->local_id, NULL);
    cg_identity_parse("gw.test", &r->remote_id, NULL);
    r->local_auth = r->remote_auth = CG_AUTH_BY_PUBKEY;
    r->pkcs11_module = g_strdup(SOFTHSM_MODULE);
    r->cert_nickname = g_strdup(TOKEN ":rw");
    g_ptr_array_add(r->cacerts, data_path("ca.pem"));
    add_child(r, "dynamic", "10.1.0.0/16");
    /* the PIN from the secrets store, by token label (as cygnetd's [pin]) */
    g_autoptr(GBytes) pin = g_bytes_new_static(PIN, strlen(PIN));
    cg_creds_add_key_secret(TOKEN, pin);
    g_assert_true(cg_engine_load_connection(rw, r, &error));
    g_assert_cmpuint(cg_engine_initiate(rw, "rw", NULL, NULL, &error), >, 0);

    gboolean timed_out = FALSE;
    guint id = g_timeout_add(8000, on_timeout, &timed_out);
    while (!(rw_up && gw_up) && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);
    g_assert_cmpuint(rw_up, ==, 1);
    g_assert_cmpuint(gw_up, ==, 1);
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
