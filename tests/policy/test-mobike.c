/* test-mobike.c: two engines in one process over loopback UDP, the
 * initiator ("rw") moving between 127.0.0.1 and 127.0.0.2:
 *  - MOBIKE (RFC 4555): MOBIKE_SUPPORTED both ways, UPDATE_SA_ADDRESSES
 *    with NAT detection and COOKIE2, the gateway's return routability
 *    check, the same IKE_SA on both sides afterwards, liveness and a
 *    second move back;
 *  - a gateway without MOBIKE: the IKE_SA is re-established from the new
 *    address and listeners see IKE_REKEYED old -> new;
 *  - nothing moves when nothing changed; after a resume the initiator
 *    checks liveness at once; bad arguments are refused;
 *  - the routing lookup the engine uses. */
#include <string.h>

#include "crypto/cg-crypto.h"
#include "engine/cg-engine.h"
#include "log/cg-log.h"
#include "cg-test-engine-pair.h"
#include "cg-test-loop.h"
#include "net/cg-netmon.h"

#define TIMEOUT_MS 8000

/* the gateway and the roaming initiator, with every engine's log lines */
typedef CgTestEnginePair Fixture;

static CgConnConfig *
gw_config(gboolean mobike)
{
    CgConnConfig *c = cg_conn_config_new("gw");
    cg_test_set_identity(&c->local_id, "gw.test");
    c->local_auth = c->remote_auth = CG_AUTH_BY_PSK;
    c->psk = g_bytes_new_static("correct horse battery", 21);
    c->mobike = mobike;
    c->retransmit_timeout_ms = 200;
    c->retransmit_tries = 3;
    if (!c->pools)
        c->pools = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(c->pools, g_strdup("vpn"));
    cg_test_add_child(c, "gw", "10.1.0.0/16", "dynamic");
    cg_test_set_esp_proposals(c, "aes256gcm16");
    return c;
}

/* no local address: the engine picks (and may change) it */
static CgConnConfig *
rw_config(guint16 port)
{
    CgConnConfig *c = cg_conn_config_new("rw");
    g_free(c->remote_addr);
    c->remote_addr = g_strdup("127.0.0.1");
    c->remote_port = port;
    g_clear_pointer(&c->local_addr, g_free);
    cg_test_set_identity(&c->local_id, "rw@test");
    cg_test_set_identity(&c->remote_id, "gw.test");
    c->local_auth = c->remote_auth = CG_AUTH_BY_PSK;
    c->psk = g_bytes_new_static("correct horse battery", 21);
    c->request_vip4 = TRUE;
    c->retransmit_timeout_ms = 200;
    c->retransmit_tries = 3;
    cg_test_add_child(c, "rw", "dynamic", "10.1.0.0/16");
    cg_test_set_esp_proposals(c, "aes256gcm16");
    return c;
}

static void
setup(Fixture *f, gboolean gw_mobike)
{
    CgEngineOptions gw_options, rw_options;
    cg_test_loopback_options(&gw_options);
    /* the roaming side listens everywhere: it sends from 127.0.0.2 too */
    cg_test_loopback_options(&rw_options);
    rw_options.bind_address = NULL;
    cg_test_engine_pair_init(f, &gw_options, &rw_options);
    cg_test_engine_pair_capture_log(f);
    cg_test_engine_pair_add_pool(f, "vpn", "10.9.0.0/24");
    g_autoptr(CgConnConfig) gw = gw_config(gw_mobike);
    g_autoptr(CgConnConfig) rw = rw_config(cg_engine_get_ike_port(f->gw));
    cg_test_engine_pair_load(f, gw, rw);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    setup(f, TRUE);
}

static void
fixture_setup_no_mobike(Fixture *f, gconstpointer data)
{
    setup(f, FALSE);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_clear(f);
}

static char *
address_of(GInetSocketAddress *a)
{
    return g_inet_address_to_string(g_inet_socket_address_get_address(a));
}

static gboolean
gw_children_moved(Fixture *f)
{
    return cg_test_engine_pair_count_log(f, "[gw]", "CHILD_SA moved to") >= 1;
}

static gboolean
rw_followed(Fixture *f)
{
    return cg_test_engine_pair_count_log(f, "[rw]", "the peer follows us to") >= 1;
}

static gboolean
moved_twice(Fixture *f)
{
    return cg_test_engine_pair_count_log(f, "[gw]", "CHILD_SA moved to") >= 2
           && cg_test_engine_pair_count_log(f, "[rw]", "the peer follows us to") >= 2;
}

static void
test_mobike_move(Fixture *f, gconstpointer data)
{
    guint32 rw_id = cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(CgIkeSnapshot) gw_before = cg_test_only_sa(f->gw);
    g_autofree char *gw_remote_before = address_of(gw_before->remote);
    g_assert_cmpstr(gw_remote_before, ==, "127.0.0.1");
    /* RFC 4555 3.3: both sides announced it in IKE_AUTH */
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, "[rw]", "the peer supports MOBIKE"), ==, 1);
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, "[gw]", "the peer supports MOBIKE"), ==, 1);

    g_autoptr(GError) error = NULL;
    gint64 t0 = g_get_monotonic_time();
    g_assert_true(cg_engine_migrate_ike(f->rw, rw_id, "127.0.0.2", &error));
    g_assert_no_error(error);
    g_assert_true(cg_test_engine_pair_run_until(f, rw_followed, TIMEOUT_MS));
    g_assert_true(cg_test_engine_pair_run_until(f, gw_children_moved, TIMEOUT_MS));
    g_test_message("MOBIKE move confirmed by both sides after %" G_GINT64_FORMAT " us",
                   g_get_monotonic_time() - t0);
    g_assert_cmpuint(
        cg_test_engine_pair_count_log(f, "[rw]", "sending UPDATE_SA_ADDRESSES from 127.0.0.2"), ==,
        1);
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, "[gw]", "the peer moves from 127.0.0.1"), ==,
                     1);
    /* the gateway checked return routability before moving ESP */
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, "[gw]", "is reachable (COOKIE2 echoed)"), ==,
                     1);

    /* the same IKE_SA on both sides, now at 127.0.0.2 */
    g_autoptr(CgIkeSnapshot) rw_after = cg_test_only_sa(f->rw);
    g_autoptr(CgIkeSnapshot) gw_after = cg_test_only_sa(f->gw);
    g_assert_cmpuint(rw_after->unique_id, ==, rw_id);
    g_assert_cmpuint(gw_after->unique_id, ==, gw_before->unique_id);
    g_assert_true(memcmp(rw_after->spi_i, gw_before->spi_i, 8) == 0);
    g_autofree char *rw_local = address_of(rw_after->local);
    g_autofree char *gw_remote = address_of(gw_after->remote);
    g_assert_cmpstr(rw_local, ==, "127.0.0.2");
    g_assert_cmpstr(gw_remote, ==, "127.0.0.2");
    g_assert_cmpuint(rw_after->children->len, ==, 1);
    g_assert_cmpuint(gw_after->children->len, ==, 1);
    g_assert_cmpuint(cg_test_count_events(f->rw_rec.events, CG_EVENT_IKE_DOWN), ==, 0);
    g_assert_cmpuint(cg_test_count_events(f->gw_rec.events, CG_EVENT_IKE_DOWN), ==, 0);

    /* and back */
    g_assert_true(cg_engine_migrate_ike(f->rw, rw_id, "127.0.0.1", &error));
    g_assert_no_error(error);
    g_assert_true(cg_test_engine_pair_run_until(f, moved_twice, TIMEOUT_MS));
    g_autoptr(CgIkeSnapshot) gw_back = cg_test_only_sa(f->gw);
    g_autofree char *gw_remote_back = address_of(gw_back->remote);
    g_assert_cmpstr(gw_remote_back, ==, "127.0.0.1");
    g_assert_cmpuint(gw_back->unique_id, ==, gw_before->unique_id);
}

/* nothing changed: a network event moves nothing */
static void
test_no_change(Fixture *f, gconstpointer data)
{
    guint32 rw_id = cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    cg_engine_network_changed(f->rw);
    cg_engine_network_changed(f->gw);
    cg_test_spin(200);
    g_autoptr(CgIkeSnapshot) rw = cg_test_only_sa(f->rw);
    g_assert_cmpuint(rw->unique_id, ==, rw_id);
    g_autofree char *local = address_of(rw->local);
    g_assert_cmpstr(local, ==, "127.0.0.1");
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, NULL, "UPDATE_SA_ADDRESSES"), ==, 0);
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, NULL, "re-establishing"), ==, 0);

    /* after a resume: a liveness check at once, answered */
    CgEngineStats before, after;
    cg_engine_get_stats(f->gw, &before);
    cg_engine_resumed(f->rw);
    cg_test_spin(300);
    cg_engine_get_stats(f->gw, &after);
    g_assert_cmpuint(after.packets_in, ==, before.packets_in + 1);
    g_assert_cmpuint(
        cg_test_engine_pair_count_log(f, "[rw]", "checking that the peer is still there"), ==, 1);
    g_assert_cmpuint(cg_test_count_events(f->rw_rec.events, CG_EVENT_IKE_DOWN), ==, 0);
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, NULL, "UPDATE_SA_ADDRESSES"), ==, 0);
}

static void
test_bad_arguments(Fixture *f, gconstpointer data)
{
    guint32 rw_id = cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_engine_migrate_ike(f->rw, rw_id, "not-an-address", &error));
    g_assert_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_false(cg_engine_migrate_ike(f->rw, rw_id + 1000, "127.0.0.2", &error));
    g_assert_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_false(cg_engine_migrate_ike(f->rw, rw_id, "::1", &error));
    g_assert_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID);
    g_clear_error(&error);
    /* RFC 4555 3.4: the responder does not move an IKE_SA */
    g_autoptr(CgIkeSnapshot) gw = cg_test_only_sa(f->gw);
    g_assert_false(cg_engine_migrate_ike(f->gw, gw->unique_id, "127.0.0.1", &error));
    g_assert_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID);
}

static gboolean
reestablished(Fixture *f)
{
    if (!f->rw_rec.rekeyed_to || f->rw_rec.last_ike_up != f->rw_rec.rekeyed_to)
        return FALSE;
    return cg_test_engine_pair_one_child_each(f);
}

static void
test_reestablish(Fixture *f, gconstpointer data)
{
    guint32 rw_id = cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, "[rw]", "the peer supports MOBIKE"), ==, 0);
    g_autoptr(GError) error = NULL;
    gint64 t0 = g_get_monotonic_time();
    g_assert_true(cg_engine_migrate_ike(f->rw, rw_id, "127.0.0.2", &error));
    g_assert_no_error(error);
    g_assert_true(cg_test_engine_pair_run_until(f, reestablished, TIMEOUT_MS));
    g_test_message("re-established after %" G_GINT64_FORMAT " us", g_get_monotonic_time() - t0);
    g_assert_cmpuint(f->rw_rec.rekeyed_from, ==, rw_id);
    g_assert_cmpuint(cg_test_engine_pair_count_log(f, "[rw]", "has no MOBIKE: re-establishing"), ==,
                     1);
    /* listeners follow the successor: the old SA is not reported down */
    g_assert_cmpuint(cg_test_count_events(f->rw_rec.events, CG_EVENT_IKE_DOWN), ==, 0);
    g_autoptr(CgIkeSnapshot) rw = cg_test_only_sa(f->rw);
    g_autoptr(CgIkeSnapshot) gw = cg_test_only_sa(f->gw);
    g_assert_cmpuint(rw->unique_id, ==, f->rw_rec.rekeyed_to);
    g_autofree char *local = address_of(rw->local);
    g_autofree char *remote = address_of(gw->remote);
    g_assert_cmpstr(local, ==, "127.0.0.2");
    g_assert_cmpstr(remote, ==, "127.0.0.2");
    g_assert_true(memcmp(rw->spi_i, gw->spi_i, 8) == 0);
}

static void
test_route_source(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GInetAddress) src = cg_netmon_route_source(lo, 0, &error);
    g_assert_no_error(error);
    g_assert_true(g_inet_address_equal(src, lo));
    g_autoptr(GInetAddress) two = g_inet_address_new_from_string("127.0.0.2");
    g_autoptr(GInetAddress) src2 = cg_netmon_route_source(two, 0, &error);
    g_assert_no_error(error);
    g_assert_true(g_inet_address_get_is_loopback(src2));
    /* a netmon starts and stops cleanly */
    g_autoptr(CgNetmon) nm = cg_netmon_new(NULL, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(cg_netmon_change_count(nm), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    cg_log_set_level(CG_LOG_DEBUG);
    if (!g_getenv("CG_TEST_VERBOSE"))
        g_assert_true(cg_log_set_file("/dev/null", NULL));
    g_assert_true(cg_crypto_init(NULL, NULL));
    g_test_add("/mobike/move", Fixture, NULL, fixture_setup, test_mobike_move, fixture_teardown);
    g_test_add("/mobike/no-change", Fixture, NULL, fixture_setup, test_no_change, fixture_teardown);
    g_test_add("/mobike/bad-arguments", Fixture, NULL, fixture_setup, test_bad_arguments,
               fixture_teardown);
    g_test_add("/mobike/reestablish-without-mobike", Fixture, NULL, fixture_setup_no_mobike,
               test_reestablish, fixture_teardown);
    g_test_add_func("/mobike/route-source", test_route_source);
    return g_test_run();
}
