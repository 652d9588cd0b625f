/* cg-test-cert-pair.c: see cg-test-cert-pair.h. */
#include "cg-test-cert-pair.h"

#include "cg-test-engine-pair.h"
#include "cg-test-loop.h"

CgEngine *
cg_test_loopback_engine(void)
{
    g_autoptr(GError) error = NULL;
    CgEngineOptions options;
    cg_test_loopback_options(&options);
    CgEngine *engine = cg_engine_new(&options, &error);
    g_assert_no_error(error);
    return engine;
}

static void
count_ike_up(const CgEvent *ev, gpointer user_data)
{
    if (ev->type == CG_EVENT_IKE_UP)
        (*(guint *)user_data)++;
}

void
cg_test_cert_pair_init(CgTestCertPair *pair, const char *data_dir)
{
    g_autoptr(GError) error = NULL;
    *pair = (CgTestCertPair){ 0 };
    pair->gw = cg_test_loopback_engine();
    pair->rw = cg_test_loopback_engine();
    cg_engine_subscribe(pair->gw, count_ike_up, &pair->gw_ike_up);
    cg_engine_subscribe(pair->rw, count_ike_up, &pair->rw_ike_up);

    g_autoptr(CgConnConfig) gw = cg_conn_config_new("gw");
    gw->local_addr = g_strdup("127.0.0.1");
    cg_test_set_identity(&gw->local_id, "gw.test");
    gw->local_auth = gw->remote_auth = CG_AUTH_BY_PUBKEY;
    gw->cert = g_build_filename(data_dir, "gw-chain.pem", NULL);
    gw->key = g_build_filename(data_dir, "gw.key", NULL);
    g_ptr_array_add(gw->cacerts, g_build_filename(data_dir, "ca.pem", NULL));
    cg_test_add_child(gw, "gw", "10.1.0.0/16", "dynamic");
    g_assert_true(cg_engine_load_connection(pair->gw, gw, &error));
    g_assert_no_error(error);

    CgConnConfig *rw = cg_conn_config_new("rw");
    rw->local_addr = g_strdup("127.0.0.1");
    rw->remote_addr = g_strdup("127.0.0.1");
    rw->remote_port = cg_engine_get_ike_port(pair->gw);
    cg_test_set_identity(&rw->local_id, "rw@test");
    cg_test_set_identity(&rw->remote_id, "gw.test");
    rw->local_auth = rw->remote_auth = CG_AUTH_BY_PUBKEY;
    g_ptr_array_add(rw->cacerts, g_build_filename(data_dir, "ca.pem", NULL));
    cg_test_add_child(rw, "rw", "dynamic", "10.1.0.0/16");
    pair->rw_config = rw;
}

void
cg_test_cert_pair_connect(CgTestCertPair *pair, guint timeout_ms)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_engine_load_connection(pair->rw, pair->rw_config, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(cg_engine_initiate(pair->rw, "rw", NULL, NULL, &error), >, 0);
    g_assert_no_error(error);
    CgTestDeadline deadline;
    cg_test_deadline_start(&deadline, timeout_ms);
    while (!(pair->gw_ike_up && pair->rw_ike_up) && !cg_test_deadline_passed(&deadline))
        g_main_context_iteration(NULL, TRUE);
    cg_test_deadline_stop(&deadline);
}

void
cg_test_cert_pair_clear(CgTestCertPair *pair)
{
    g_clear_pointer(&pair->rw_config, cg_conn_config_unref);
    g_clear_pointer(&pair->rw, cg_engine_free);
    g_clear_pointer(&pair->gw, cg_engine_free);
}
