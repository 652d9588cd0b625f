/* test-engine.c: two engines in one process, talking IKEv2 over real UDP
 * sockets on loopback: IKE_SA_INIT, IKE_AUTH with PSK and a virtual IP,
 * CHILD_SA and IKE_SA rekeys (also colliding), delete, wrong PSK,
 * INVALID_KE_PAYLOAD, COOKIE and liveness. */
#include <string.h>

#include "crypto/cg-crypto.h"
#include "engine/cg-engine.h"
#include "log/cg-log.h"
#include "cg-test-engine-pair.h"
#include "cg-test-loop.h"

#define TIMEOUT_MS 8000

/* the gateway ("gw") and the initiator ("rw"), their recorders, and
 * the gateway's pool "vpn" (as gw_pool) */
typedef CgTestEnginePair Fixture;

static CgConnConfig *
gw_config(const char *ike, const char *esp)
{
    CgConnConfig *c = cg_conn_config_new("gw");
    g_free(c->local_addr);
    c->local_addr = g_strdup("127.0.0.1");
    cg_test_set_identity(&c->local_id, "gw.test");
    c->local_auth = c->remote_auth = CG_AUTH_BY_PSK;
    c->psk = g_bytes_new_static("correct horse battery", 21);
    if (ike) {
        g_array_unref(c->ike_proposals);
        c->ike_proposals = cg_test_proposals(ike, CG_PROTO_IKE);
    }
    if (!c->pools)
        c->pools = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(c->pools, g_strdup("vpn"));
    if (!c->dns)
        c->dns = g_ptr_array_new_with_free_func(g_object_unref);
    g_ptr_array_add(c->dns, g_inet_address_new_from_string("10.9.0.53"));
    g_ptr_array_add(c->dns_domains, g_strdup("corp.test"));
    cg_test_add_child(c, "gw", "10.1.0.0/16", "dynamic");
    cg_test_set_esp_proposals(c, esp ? esp : "aes256gcm16,aes128-sha256");
    return c;
}

static CgConnConfig *
rw_config(guint16 port, const char *psk, const char *ike, const char *esp)
{
    CgConnConfig *c = cg_conn_config_new("rw");
    g_free(c->remote_addr);
    c->remote_addr = g_strdup("127.0.0.1");
    c->remote_port = port;
    g_free(c->local_addr);
    c->local_addr = g_strdup("127.0.0.1");
    cg_test_set_identity(&c->local_id, "rw@test");
    cg_test_set_identity(&c->remote_id, "gw.test");
    c->local_auth = c->remote_auth = CG_AUTH_BY_PSK;
    c->psk = g_bytes_new(psk, strlen(psk));
    c->request_vip4 = TRUE;
    c->retransmit_timeout_ms = 200;
    c->retransmit_tries = 3;
    if (ike) {
        g_array_unref(c->ike_proposals);
        c->ike_proposals = cg_test_proposals(ike, CG_PROTO_IKE);
    }
    cg_test_add_child(c, "rw", "dynamic", "10.1.0.0/16");
    cg_test_set_esp_proposals(c, esp ? esp : "aes256gcm16");
    return c;
}

static void
fixture_setup_full(Fixture *f, const char *gw_ike, const char *rw_ike, const char *psk,
                   guint cookie_threshold)
{
    CgEngineOptions gw_options, rw_options;
    cg_test_loopback_options(&gw_options);
    gw_options.crypto_workers = 2;
    gw_options.cookie_threshold = cookie_threshold;
    rw_options = gw_options;
    rw_options.crypto_workers = 1;
    cg_test_engine_pair_init(f, &gw_options, &rw_options);
    cg_test_engine_pair_add_pool(f, "vpn", "10.9.0.0/24");

    g_autoptr(CgConnConfig) gw = gw_config(gw_ike, NULL);
    g_autoptr(CgConnConfig) rw = rw_config(cg_engine_get_ike_port(f->gw),
                                           psk ? psk : "correct horse battery", rw_ike, NULL);
    cg_test_engine_pair_load(f, gw, rw);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    fixture_setup_full(f, NULL, NULL, NULL, 50);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_clear(f);
}

static void
assert_children_paired(Fixture *f, guint n)
{
    g_autoptr(CgIkeSnapshot) a = cg_test_only_sa(f->rw);
    g_autoptr(CgIkeSnapshot) b = cg_test_only_sa(f->gw);
    g_assert_cmpuint(a->children->len, ==, n);
    g_assert_cmpuint(b->children->len, ==, n);
    for (guint i = 0; i < a->children->len; i++) {
        CgChildSnapshot *ca = a->children->pdata[i];
        gboolean found = FALSE;
        for (guint j = 0; j < b->children->len; j++) {
            CgChildSnapshot *cb = b->children->pdata[j];
            if (ca->spi_in == cb->spi_out && ca->spi_out == cb->spi_in) {
                /* and both agree on the selectors */
                g_assert_cmpstr(ca->local_ts->pdata[0], ==, cb->remote_ts->pdata[0]);
                g_assert_cmpstr(ca->remote_ts->pdata[0], ==, cb->local_ts->pdata[0]);
                found = TRUE;
            }
        }
        g_assert_true(found);
    }
}

static void
test_establish(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(CgIkeSnapshot) rw = cg_test_only_sa(f->rw);
    g_autoptr(CgIkeSnapshot) gw = cg_test_only_sa(f->gw);
    g_assert_cmpint(rw->state, ==, CG_IKE_STATE_ESTABLISHED);
    g_assert_cmpint(gw->state, ==, CG_IKE_STATE_ESTABLISHED);
    g_assert_true(memcmp(rw->spi_i, gw->spi_i, 8) == 0);
    g_assert_true(memcmp(rw->spi_r, gw->spi_r, 8) == 0);
    /* the default proposal leads with AES-GCM and X25519 */
    g_assert_true(g_str_has_prefix(rw->proposal, "aes256gcm16"));
    g_assert_nonnull(strstr(rw->proposal, "x25519"));
    g_assert_cmpstr(rw->remote_id, ==, "gw.test");
    g_assert_cmpstr(gw->remote_id, ==, "rw@test");
    /* virtual IP from the pool and DNS */
    g_assert_cmpuint(rw->local_vips->len, ==, 1);
    g_assert_cmpuint(gw->remote_vips->len, ==, 1);
    g_assert_cmpstr(rw->local_vips->pdata[0], ==, gw->remote_vips->pdata[0]);
    g_assert_true(g_str_has_prefix(rw->local_vips->pdata[0], "10.9.0."));
    g_assert_cmpuint(rw->dns->len, ==, 1);
    g_assert_cmpstr(rw->dns->pdata[0], ==, "10.9.0.53");
    /* RFC 8598 search domain */
    g_assert_cmpuint(rw->dns_domains->len, ==, 1);
    g_assert_cmpstr(rw->dns_domains->pdata[0], ==, "corp.test");
    /* the CHILD_SA is narrowed to the virtual IP */
    CgChildSnapshot *c = rw->children->pdata[0];
    g_autofree char *vip_ts = g_strdup_printf("%s/32", (char *)rw->local_vips->pdata[0]);
    g_assert_cmpstr(c->local_ts->pdata[0], ==, vip_ts);
    g_assert_cmpstr(c->remote_ts->pdata[0], ==, "10.1.0.0/16");
    assert_children_paired(f, 1);
    g_assert_cmpuint(cg_pool_in_use(f->gw_pool), ==, 1);
}

static gboolean
child_rekeyed_both(Fixture *f)
{
    return cg_test_engine_pair_both_saw(f, CG_EVENT_CHILD_REKEYED, 1);
}

static void
test_child_rekey(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(CgIkeSnapshot) before = cg_test_only_sa(f->rw);
    guint32 old_spi = ((CgChildSnapshot *)before->children->pdata[0])->spi_in;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_engine_rekey_child(f->rw, f->rw_rec.last_child_up, &error));
    g_assert_true(cg_test_engine_pair_run_until(f, child_rekeyed_both, TIMEOUT_MS));
    g_assert_true(cg_test_engine_pair_run_until(f, cg_test_engine_pair_one_child_each, TIMEOUT_MS));
    g_autoptr(CgIkeSnapshot) after = cg_test_only_sa(f->rw);
    g_assert_cmpuint(((CgChildSnapshot *)after->children->pdata[0])->spi_in, !=, old_spi);
    assert_children_paired(f, 1);
}

static void
test_child_rekey_collision(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(GError) error = NULL;
    /* both sides rekey the same CHILD_SA at once (RFC 7296 2.8.1) */
    g_assert_true(cg_engine_rekey_child(f->rw, f->rw_rec.last_child_up, &error));
    g_assert_true(cg_engine_rekey_child(f->gw, f->gw_rec.last_child_up, &error));
    g_assert_true(cg_test_engine_pair_run_until(f, child_rekeyed_both, TIMEOUT_MS));
    cg_test_spin(500);
    g_assert_true(cg_test_engine_pair_run_until(f, cg_test_engine_pair_one_child_each, TIMEOUT_MS));
    assert_children_paired(f, 1);
}

static gboolean
ike_rekeyed_both(Fixture *f)
{
    return cg_test_engine_pair_both_saw(f, CG_EVENT_IKE_REKEYED, 1);
}

static void
test_ike_rekey(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(CgIkeSnapshot) before = cg_test_only_sa(f->gw);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_engine_rekey_ike(f->gw, before->unique_id, &error));
    g_assert_true(cg_test_engine_pair_run_until(f, ike_rekeyed_both, TIMEOUT_MS));
    cg_test_spin(300);
    g_autoptr(CgIkeSnapshot) after = cg_test_only_sa(f->gw);
    g_autoptr(CgIkeSnapshot) rw = cg_test_only_sa(f->rw);
    g_assert_cmpuint(after->unique_id, !=, before->unique_id);
    g_assert_false(memcmp(after->spi_i, before->spi_i, 8) == 0);
    g_assert_true(memcmp(after->spi_i, rw->spi_i, 8) == 0);
    g_assert_true(memcmp(after->spi_r, rw->spi_r, 8) == 0);
    /* children and the virtual IP moved over, nothing went down */
    assert_children_paired(f, 1);
    g_assert_cmpuint(after->remote_vips->len, ==, 1);
    g_assert_cmpuint(cg_test_count_events(f->rw_rec.events, CG_EVENT_IKE_DOWN), ==, 0);
    g_assert_cmpuint(cg_test_count_events(f->gw_rec.events, CG_EVENT_IKE_DOWN), ==, 0);
    /* the new SA works: rekey a child through it */
    g_assert_true(cg_engine_rekey_child(f->rw, f->rw_rec.last_child_up, &error));
    g_assert_true(cg_test_engine_pair_run_until(f, child_rekeyed_both, TIMEOUT_MS));
    g_assert_true(cg_test_engine_pair_run_until(f, cg_test_engine_pair_one_child_each, TIMEOUT_MS));
}

static void
test_ike_rekey_collision(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(CgIkeSnapshot) a = cg_test_only_sa(f->gw);
    g_autoptr(CgIkeSnapshot) b = cg_test_only_sa(f->rw);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_engine_rekey_ike(f->gw, a->unique_id, &error));
    g_assert_true(cg_engine_rekey_ike(f->rw, b->unique_id, &error));
    g_assert_true(cg_test_engine_pair_run_until(f, ike_rekeyed_both, TIMEOUT_MS));
    cg_test_spin(1000);
    g_autoptr(CgIkeSnapshot) ga = cg_test_only_sa(f->gw);
    g_autoptr(CgIkeSnapshot) ra = cg_test_only_sa(f->rw);
    g_assert_true(memcmp(ga->spi_i, ra->spi_i, 8) == 0);
    g_assert_true(memcmp(ga->spi_r, ra->spi_r, 8) == 0);
    assert_children_paired(f, 1);
}

static gboolean
both_down(Fixture *f)
{
    return cg_test_engine_pair_both_saw(f, CG_EVENT_IKE_DOWN, 1);
}

static void
test_delete(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(GError) error = NULL;
    g_assert_cmpuint(cg_engine_terminate(f->rw, "rw", NULL, &error), ==, 1);
    g_assert_true(cg_test_engine_pair_run_until(f, both_down, TIMEOUT_MS));
    g_assert_cmpint(cg_test_recorder_last_reason(&f->rw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_USER);
    g_assert_cmpint(cg_test_recorder_last_reason(&f->gw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_PEER_DELETE);
    g_assert_cmpuint(cg_test_count_events(f->gw_rec.events, CG_EVENT_CHILD_DOWN), ==, 1);
    cg_test_spin(50);
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(f->gw, NULL);
    g_assert_cmpuint(sas->len, ==, 0);
    /* the virtual IP went back to the pool */
    g_assert_cmpuint(cg_pool_in_use(f->gw_pool), ==, 0);
    /* and it comes up again */
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
}

static void
test_delete_from_responder(Fixture *f, gconstpointer data)
{
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(GError) error = NULL;
    g_assert_cmpuint(cg_engine_terminate(f->gw, "gw", NULL, &error), ==, 1);
    g_assert_true(cg_test_engine_pair_run_until(f, both_down, TIMEOUT_MS));
    g_assert_cmpint(cg_test_recorder_last_reason(&f->rw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_PEER_DELETE);
}

static gboolean
rw_down(Fixture *f)
{
    return cg_test_count_events(f->rw_rec.events, CG_EVENT_IKE_DOWN) >= 1;
}

static void
test_wrong_psk(void)
{
    Fixture f = { 0 };
    fixture_setup_full(&f, NULL, NULL, "wrong secret", 50);
    g_autoptr(GError) error = NULL;
    cg_engine_initiate(f.rw, "rw", NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(cg_test_engine_pair_run_until(&f, rw_down, TIMEOUT_MS));
    g_assert_cmpint(cg_test_recorder_last_reason(&f.rw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_AUTH_FAILED);
    g_assert_cmpuint(cg_test_count_events(f.gw_rec.events, CG_EVENT_IKE_UP), ==, 0);
    g_assert_cmpuint(cg_test_count_events(f.rw_rec.events, CG_EVENT_IKE_UP), ==, 0);
    fixture_teardown(&f, NULL);
}

static void
test_invalid_ke(void)
{
    Fixture f = { 0 };
    /* the initiator's KE is ECP-256; the gateway only takes X25519 */
    fixture_setup_full(&f, "aes256gcm16-prfsha256-x25519", "aes256gcm16-prfsha256-ecp256-x25519",
                       NULL, 50);
    cg_test_engine_pair_bring_up(&f, TIMEOUT_MS);
    g_autoptr(CgIkeSnapshot) rw = cg_test_only_sa(f.rw);
    g_assert_nonnull(strstr(rw->proposal, "x25519"));
    fixture_teardown(&f, NULL);
}

static void
test_no_proposal(void)
{
    Fixture f = { 0 };
    fixture_setup_full(&f, "aes256gcm16-prfsha256-x25519", "aes128-sha256-modp2048", NULL, 50);
    g_autoptr(GError) error = NULL;
    cg_engine_initiate(f.rw, "rw", NULL, NULL, &error);
    g_assert_true(cg_test_engine_pair_run_until(&f, rw_down, TIMEOUT_MS));
    g_assert_cmpint(cg_test_recorder_last_reason(&f.rw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_NO_PROPOSAL);
    fixture_teardown(&f, NULL);
}

static gboolean
three_up(Fixture *f)
{
    return cg_test_engine_pair_both_saw(f, CG_EVENT_IKE_UP, 3);
}

static void
test_cookie(void)
{
    Fixture f = { 0 };
    /* demand a COOKIE as soon as one SA is half-open */
    fixture_setup_full(&f, NULL, NULL, NULL, 1);
    CgConnConfig *rw = cg_engine_get_connection(f.rw, "rw");
    rw->unique_ids = FALSE;
    CgConnConfig *gw = cg_engine_get_connection(f.gw, "gw");
    gw->unique_ids = FALSE;
    g_autoptr(GError) error = NULL;
    for (int i = 0; i < 3; i++) {
        cg_engine_initiate(f.rw, "rw", NULL, NULL, &error);
        g_assert_no_error(error);
    }
    g_assert_true(cg_test_engine_pair_run_until(&f, three_up, TIMEOUT_MS));
    CgEngineStats st;
    cg_engine_get_stats(f.gw, &st);
    g_assert_cmpuint(st.cookies_sent, >=, 1);
    g_assert_cmpuint(st.ike_sas_current, ==, 3);
    /* one identity holds one lease, however many SAs it has */
    g_assert_cmpuint(cg_pool_in_use(f.gw_pool), ==, 1);
    fixture_teardown(&f, NULL);
}

static void
test_dead_peer(void)
{
    Fixture f = { 0 };
    fixture_setup_full(&f, NULL, NULL, NULL, 50);
    CgConnConfig *rw = cg_engine_get_connection(f.rw, "rw");
    rw->dpd_delay_s = 1;
    cg_test_engine_pair_bring_up(&f, TIMEOUT_MS);
    /* the gateway vanishes without a word */
    cg_engine_free(f.gw);
    f.gw = NULL;
    g_assert_true(cg_test_engine_pair_run_until(&f, rw_down, TIMEOUT_MS));
    g_assert_cmpint(cg_test_recorder_last_reason(&f.rw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_DEAD_PEER);
    fixture_teardown(&f, NULL);
}

static void
test_unreachable(void)
{
    Fixture f = { 0 };
    fixture_setup_full(&f, NULL, NULL, NULL, 50);
    /* point the initiator at a port where nobody answers */
    CgConnConfig *rw = cg_engine_get_connection(f.rw, "rw");
    rw->remote_port = 9;
    g_autoptr(GError) error = NULL;
    cg_engine_initiate(f.rw, "rw", NULL, NULL, &error);
    g_assert_true(cg_test_engine_pair_run_until(&f, rw_down, TIMEOUT_MS));
    g_assert_cmpint(cg_test_recorder_last_reason(&f.rw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_PEER_UNREACHABLE);
    fixture_teardown(&f, NULL);
}

static CgConnConfig *
peer_config(const char *me, const char *them, guint16 their_port)
{
    CgConnConfig *c = cg_conn_config_new("peer");
    g_free(c->local_addr);
    c->local_addr = g_strdup("127.0.0.1");
    g_free(c->remote_addr);
    c->remote_addr = g_strdup("127.0.0.1");
    c->remote_port = their_port;
    cg_test_set_identity(&c->local_id, me);
    cg_test_set_identity(&c->remote_id, them);
    c->local_auth = c->remote_auth = CG_AUTH_BY_PSK;
    c->psk = g_bytes_new_static("shortcut", 8);
    c->unique_ids = FALSE;
    cg_test_add_child(c, "peer", "dynamic", "dynamic");
    return c;
}

static gboolean
settled_one_pair(Fixture *f)
{
    return cg_test_engine_pair_one_child_each(f)
           && cg_test_engine_pair_both_saw(f, CG_EVENT_IKE_UP, 1);
}

/* The NHRP shortcut race: both peers initiate at the same moment and
 * must end with one working pair of SAs. */
static void
test_simultaneous_initiate(void)
{
    g_autoptr(GError) error = NULL;
    CgEngineOptions o;
    cg_test_loopback_options(&o);
    o.crypto_workers = 0; /* one per CPU */
    for (int round = 0; round < 5; round++) {
        Fixture f = { 0 };
        cg_test_engine_pair_init(&f, &o, &o);
        g_autoptr(CgConnConfig) a = peer_config("a.test", "b.test", cg_engine_get_ike_port(f.rw));
        g_autoptr(CgConnConfig) b = peer_config("b.test", "a.test", cg_engine_get_ike_port(f.gw));
        cg_test_engine_pair_load(&f, a, b);
        cg_engine_initiate(f.gw, "peer", NULL, NULL, &error);
        g_assert_no_error(error);
        cg_engine_initiate(f.rw, "peer", NULL, NULL, &error);
        g_assert_no_error(error);
        cg_test_spin(300);
        g_assert_true(cg_test_engine_pair_run_until(&f, settled_one_pair, TIMEOUT_MS));
        cg_test_spin(300);
        g_assert_true(cg_test_engine_pair_one_child_each(&f));
        assert_children_paired(&f, 1);
        fixture_teardown(&f, NULL);
    }
}

/* Hostile datagrams: garbage, truncated and mutated IKE messages are
 * dropped (counted), and the engine still serves a real peer. */
static void
test_hostile_input(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocket) sock
        = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
    g_assert_no_error(error);
    g_autoptr(GInetAddress) lo = g_inet_address_new_from_string("127.0.0.1");
    g_autoptr(GSocketAddress) to = g_inet_socket_address_new(lo, cg_engine_get_ike_port(f->gw));
    GRand *rand = g_rand_new_with_seed(1234);
    guint8 buf[600];
    for (guint i = 0; i < 3000; i++) {
        gsize len = g_rand_int_range(rand, 1, sizeof(buf));
        for (gsize j = 0; j < len; j++)
            buf[j] = (guint8)g_rand_int(rand);
        if (i % 2 == 0 && len >= 28) {
            /* plausible header: version 2, IKE_SA_INIT or IKE_AUTH, our length */
            buf[17] = 0x20;
            buf[18] = 34 + (i % 4);
            buf[19] &= 0x28;
            guint32 l = GUINT32_TO_BE((guint32)len);
            memcpy(buf + 24, &l, 4);
            memset(buf + 20, 0, i % 3 == 0 ? 4 : 0);
        }
        g_socket_send_to(sock, to, (const char *)buf, len, NULL, NULL);
        if (i % 100 == 0)
            while (g_main_context_iteration(NULL, FALSE))
                ;
    }
    g_rand_free(rand);
    cg_test_spin(200);
    CgEngineStats st;
    cg_engine_get_stats(f->gw, &st);
    g_assert_cmpuint(st.packets_dropped, >, 1000);
    /* half-open SAs from garbage that parsed are bounded and harmless */
    cg_test_engine_pair_bring_up(f, TIMEOUT_MS);
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(f->rw, NULL);
    g_assert_cmpuint(sas->len, ==, 1);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("CG_TEST_VERBOSE"))
        cg_log_set_level(CG_LOG_WARNING);
    else
        cg_log_set_level(CG_LOG_DEBUG);
    g_assert_true(cg_crypto_init(NULL, NULL));
#define ADD(name, fn) g_test_add(name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/engine/establish", test_establish);
    ADD("/engine/child-rekey", test_child_rekey);
    ADD("/engine/child-rekey-collision", test_child_rekey_collision);
    ADD("/engine/ike-rekey", test_ike_rekey);
    ADD("/engine/ike-rekey-collision", test_ike_rekey_collision);
    ADD("/engine/delete", test_delete);
    ADD("/engine/delete-from-responder", test_delete_from_responder);
    ADD("/engine/hostile-input", test_hostile_input);
    g_test_add_func("/engine/wrong-psk", test_wrong_psk);
    g_test_add_func("/engine/invalid-ke", test_invalid_ke);
    g_test_add_func("/engine/no-proposal", test_no_proposal);
    g_test_add_func("/engine/cookie", test_cookie);
    g_test_add_func("/engine/dead-peer", test_dead_peer);
    g_test_add_func("/engine/simultaneous-initiate", test_simultaneous_initiate);
    g_test_add_func("/engine/unreachable", test_unreachable);
    return g_test_run();
}
