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

static guint gw_up, rw_up;

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
test_engine_pkcs12(void)
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
    r->pkcs12 = data_path("rw-ec.p12");
    g_ptr_array_add(r->cacerts, data_path("ca.pem"));
    add_child(r, "dynamic", "10.1.0.0/16");
    /* the password from the secrets store, by file (as cygnetd's [pin]) */
    g_autoptr(GBytes) pw = g_bytes_new_static("p12 secret", 10);
    cg_creds_add_key_secret(r->pkcs12, pw);
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
