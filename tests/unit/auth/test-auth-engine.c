/* test-auth-engine.c: two engines in one process over loopback UDP,
 * authenticating with certificates (RSA gateway with an intermediate CA,
 * ECDSA client), with EAP-MSCHAPv2 and EAP-only (RFC 5998), over IKE
 * fragmentation (RFC 7383); and every rejection with its own reason:
 * wrong CA, expired, revoked, wrong identity, wrong password. */
#include <string.h>

#include "auth/cg-creds.h"
#include "crypto/cg-crypto.h"
#include "engine/cg-engine.h"
#include "log/cg-log.h"
#include "cg-test-engine-pair.h"
#include "cg-test-loop.h"

#define TIMEOUT_MS 8000

/* the gateway ("gw") and the road warrior ("rw") with every log line */
typedef CgTestEnginePair Fixture;

static gboolean
both_up(Fixture *f)
{
    return cg_test_engine_pair_both_saw(f, CG_EVENT_IKE_UP, 1);
}

static gboolean
rw_down(Fixture *f)
{
    return cg_test_count_events(f->rw_rec.events, CG_EVENT_IKE_DOWN) >= 1;
}

/* the log lines captured so far that hold needle */
static guint
logged(Fixture *f, const char *needle)
{
    return cg_test_engine_pair_count_log(f, NULL, needle);
}

static char *
data_path(const char *name)
{
    return g_build_filename(AUTH_DATA_DIR, name, NULL);
}

/* the gateway: certificate (with the intermediate), CA for clients */
static CgConnConfig *
gw_config(const char *cert, const char *key, CgAuthBy remote_auth)
{
    CgConnConfig *c = cg_conn_config_new("gw");
    c->local_addr = g_strdup("127.0.0.1");
    cg_test_set_identity(&c->local_id, "gw.test");
    c->local_auth = CG_AUTH_BY_PUBKEY;
    c->remote_auth = remote_auth;
    c->remote_eap = CG_EAP_MSCHAPV2;
    c->cert = data_path(cert);
    c->key = data_path(key);
    g_ptr_array_add(c->cacerts, data_path("ca.pem"));
    cg_test_add_child(c, "gw", "10.1.0.0/16", "dynamic");
    return c;
}

/* the road warrior: trusts ca.pem, expects gw.test */
static CgConnConfig *
rw_config(guint16 port, CgAuthBy local_auth)
{
    CgConnConfig *c = cg_conn_config_new("rw");
    c->remote_addr = g_strdup("127.0.0.1");
    c->local_addr = g_strdup("127.0.0.1");
    c->remote_port = port;
    cg_test_set_identity(&c->remote_id, "gw.test");
    c->local_auth = local_auth;
    c->remote_auth = CG_AUTH_BY_PUBKEY;
    c->local_eap = CG_EAP_MSCHAPV2;
    g_ptr_array_add(c->cacerts, data_path("ca.pem"));
    if (local_auth == CG_AUTH_BY_PUBKEY) {
        c->cert = data_path("rw-ec.pem");
        c->key = data_path("rw-ec.key");
    }
    c->retransmit_timeout_ms = 200;
    c->retransmit_tries = 3;
    cg_test_add_child(c, "rw", "dynamic", "10.1.0.0/16");
    return c;
}

static void
fixture_engines(Fixture *f)
{
    CgEngineOptions options;
    cg_test_loopback_options(&options);
    cg_test_engine_pair_init(f, &options, &options);
    cg_test_engine_pair_capture_log(f);
}

static void
fixture_load(Fixture *f, CgConnConfig *gw, CgConnConfig *rw)
{
    g_autoptr(GError) error = NULL;
    cg_test_engine_pair_load(f, gw, rw);
    g_assert_cmpuint(cg_engine_initiate(f->rw, "rw", NULL, NULL, &error), >, 0);
    g_assert_no_error(error);
}

static void
fixture_free(Fixture *f)
{
    cg_test_engine_pair_clear(f);
    cg_creds_clear();
}

static void
test_certificates(void)
{
    Fixture f = { 0 };
    fixture_engines(&f);
    g_autoptr(CgConnConfig) gw = gw_config("gw-chain.pem", "gw.key", CG_AUTH_BY_PUBKEY);
    g_autoptr(CgConnConfig) rw = rw_config(cg_engine_get_ike_port(f.gw), CG_AUTH_BY_PUBKEY);
    cg_test_set_identity(&rw->local_id, "rw@test");
    fixture_load(&f, gw, rw);
    g_assert_true(cg_test_engine_pair_run_until(&f, both_up, TIMEOUT_MS));

    g_autoptr(CgIkeSnapshot) rs = cg_test_only_sa(f.rw);
    g_assert_cmpstr(rs->local_auth, ==, "pubkey");
    g_assert_cmpstr(rs->remote_auth, ==, "pubkey");
    g_assert_cmpstr(rs->remote_id, ==, "gw.test");
    g_assert_nonnull(rs->peer_cert_der);
    g_autoptr(CgIkeSnapshot) gs = cg_test_only_sa(f.gw);
    g_assert_cmpstr(gs->remote_id, ==, "rw@test");
    g_assert_nonnull(gs->peer_cert_der);
    /* RFC 7427: both announced hashes, so both signed with method 14 */
    g_assert_cmpuint(logged(&f, "signed AUTH with RSA-PKCS1/SHA-256 (method 14)"), >, 0);
    g_assert_cmpuint(logged(&f, "signed AUTH with ECDSA/SHA-256 (method 14)"), >, 0);
    fixture_free(&f);
}

/* a client identified by its certificate's subject DN (no local-id) */
static void
test_certificate_dn_identity(void)
{
    Fixture f = { 0 };
    fixture_engines(&f);
    g_autoptr(CgConnConfig) gw = gw_config("gw-chain.pem", "gw.key", CG_AUTH_BY_PUBKEY);
    g_autoptr(CgConnConfig) rw = rw_config(cg_engine_get_ike_port(f.gw), CG_AUTH_BY_PUBKEY);
    g_free(rw->cert);
    g_free(rw->key);
    rw->cert = data_path("rw-p384.pem");
    rw->key = data_path("rw-p384.key");
    rw->rsa_pss = TRUE;
    gw->rsa_pss = TRUE;
    fixture_load(&f, gw, rw);
    g_assert_true(cg_test_engine_pair_run_until(&f, both_up, TIMEOUT_MS));
    g_autoptr(CgIkeSnapshot) gs = cg_test_only_sa(f.gw);
    g_assert_nonnull(strstr(gs->remote_id, "CN=rw384.test"));
    g_assert_cmpuint(logged(&f, "signed AUTH with RSA-PSS/SHA-256 (method 14)"), >, 0);
    g_assert_cmpuint(logged(&f, "signed AUTH with ECDSA/SHA-384 (method 14)"), >, 0);
    fixture_free(&f);
}

/* the gateway's certificate fails the road warrior's checks */
static void
expect_rejection(const char *gw_cert, const char *gw_key, const char *gw_id, const char *rw_ca,
                 const char *crl, const char *rw_remote_id, CgReason want, const char *want_text)
{
    Fixture f = { 0 };
    fixture_engines(&f);
    g_autoptr(CgConnConfig) gw = gw_config(gw_cert, gw_key, CG_AUTH_BY_PUBKEY);
    if (gw_id)
        cg_test_set_identity(&gw->local_id, gw_id);
    g_autoptr(CgConnConfig) rw = rw_config(cg_engine_get_ike_port(f.gw), CG_AUTH_BY_PUBKEY);
    if (rw_ca) {
        g_ptr_array_set_size(rw->cacerts, 0);
        g_ptr_array_add(rw->cacerts, data_path(rw_ca));
    }
    if (crl)
        g_ptr_array_add(rw->crls, data_path(crl));
    if (rw_remote_id)
        cg_test_set_identity(&rw->remote_id, rw_remote_id);
    fixture_load(&f, gw, rw);
    g_assert_true(cg_test_engine_pair_run_until(&f, rw_down, TIMEOUT_MS));
    g_assert_cmpuint(cg_test_count_events(f.rw_rec.events, CG_EVENT_IKE_UP), ==, 0);
    g_assert_cmpint(cg_test_recorder_last_reason(&f.rw_rec, CG_EVENT_IKE_DOWN), ==, want);
    g_assert_cmpint(f.rw_rec.last_auth_failure, ==, want);
    if (!strstr(f.rw_rec.last_down_message, want_text))
        g_error("'%s' not in '%s'", want_text, f.rw_rec.last_down_message);
    fixture_free(&f);
}

static void
test_reject_wrong_ca(void)
{
    expect_rejection("gw-chain.pem", "gw.key", NULL, "other-ca.pem", NULL, NULL,
                     CG_REASON_CERT_UNTRUSTED, "not issued by a trusted CA");
}

static void
test_reject_expired(void)
{
    expect_rejection("expired.pem", "expired.key", "expired.test", NULL, NULL, "expired.test",
                     CG_REASON_CERT_EXPIRED, "expired on 2020-12-31");
}

static void
test_reject_revoked(void)
{
    expect_rejection("revoked.pem", "revoked.key", "revoked.test", NULL, "ca.crl", "revoked.test",
                     CG_REASON_CERT_REVOKED, "was revoked on");
}

/* the gateway says gw.test, we expect another name */
static void
test_reject_wrong_remote_id(void)
{
    expect_rejection("gw-chain.pem", "gw.key", NULL, NULL, NULL, "vpn.test", CG_REASON_ID_MISMATCH,
                     "not as the configured 'vpn.test'");
}

/* the gateway claims an identity its certificate does not hold */
static void
test_reject_identity_not_in_cert(void)
{
    expect_rejection("gw-chain.pem", "gw.key", "vpn.test", NULL, NULL, "vpn.test",
                     CG_REASON_ID_MISMATCH, "which its certificate 'CN=gw.test");
}

/* the road warrior trusts no CA, only the pinned gateway certificate */
static void
start_pinned(Fixture *f, const char *pinned_cert)
{
    fixture_engines(f);
    g_autoptr(CgConnConfig) gw = gw_config("gw-chain.pem", "gw.key", CG_AUTH_BY_PUBKEY);
    g_autoptr(CgConnConfig) rw = rw_config(cg_engine_get_ike_port(f->gw), CG_AUTH_BY_PUBKEY);
    g_ptr_array_set_size(rw->cacerts, 0);
    rw->remote_cert = data_path(pinned_cert);
    fixture_load(f, gw, rw);
}

/* a pinned gateway certificate needs no CA; another one is refused */
static void
test_pinned_certificate(void)
{
    Fixture f = { 0 };
    start_pinned(&f, "gw.pem");
    g_assert_true(cg_test_engine_pair_run_until(&f, both_up, TIMEOUT_MS));
    fixture_free(&f);

    Fixture g = { 0 };
    start_pinned(&g, "stranger.pem");
    g_assert_true(cg_test_engine_pair_run_until(&g, rw_down, TIMEOUT_MS));
    g_assert_cmpint(cg_test_recorder_last_reason(&g.rw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_CERT_UNTRUSTED);
    g_assert_nonnull(strstr(g.rw_rec.last_down_message, "is not the pinned one"));
    fixture_free(&g);
}

static void
setup_eap(Fixture *f, const char *user, const char *client_password, gboolean eap_only)
{
    const char *ids[] = { "alice@test", NULL };
    g_autoptr(GBytes) secret = g_bytes_new_static("correct horse battery", 21);
    cg_creds_add_eap_secret(ids, secret);
    g_autoptr(CgConnConfig) gw = gw_config("gw-chain.pem", "gw.key", CG_AUTH_BY_EAP);
    gw->eap_only = eap_only;
    g_autoptr(CgConnConfig) rw = rw_config(cg_engine_get_ike_port(f->gw), CG_AUTH_BY_EAP);
    cg_test_set_identity(&rw->local_id, "10.99.0.1");
    rw->eap_identity = g_strdup(user);
    rw->eap_password = g_bytes_new(client_password, strlen(client_password));
    rw->eap_only = eap_only;
    fixture_load(f, gw, rw);
}

static void
test_eap_mschapv2(void)
{
    Fixture f = { 0 };
    fixture_engines(&f);
    setup_eap(&f, "alice@test", "correct horse battery", FALSE);
    g_assert_true(cg_test_engine_pair_run_until(&f, both_up, TIMEOUT_MS));
    g_autoptr(CgIkeSnapshot) rs = cg_test_only_sa(f.rw);
    g_assert_cmpstr(rs->local_auth, ==, "eap-mschapv2");
    g_assert_cmpstr(rs->remote_auth, ==, "pubkey");
    g_autoptr(CgIkeSnapshot) gs = cg_test_only_sa(f.gw);
    g_assert_cmpstr(gs->eap_identity, ==, "alice@test");
    g_assert_cmpstr(gs->remote_id, ==, "alice@test");
    g_assert_cmpstr(gs->remote_auth, ==, "eap-mschapv2");
    fixture_free(&f);
}

/* RFC 5998 4 rules MSCHAPv2 out for EAP-only: asked for it, the gateway
 * still signs, and the connection comes up */
static void
test_eap_only_refused_for_mschapv2(void)
{
    Fixture f = { 0 };
    fixture_engines(&f);
    setup_eap(&f, "alice@test", "correct horse battery", TRUE);
    g_assert_true(cg_test_engine_pair_run_until(&f, both_up, TIMEOUT_MS));
    g_assert_cmpuint(logged(&f, "EAP-only authentication (RFC 5998)"), ==, 0);
    g_assert_cmpuint(logged(&f, "signed AUTH with RSA"), >, 0);
    fixture_free(&f);
}

static void
test_eap_wrong_password(void)
{
    Fixture f = { 0 };
    fixture_engines(&f);
    setup_eap(&f, "alice@test", "Tr0ub4dor&3", FALSE);
    gint64 start = g_get_monotonic_time();
    g_assert_true(cg_test_engine_pair_run_until(&f, rw_down, TIMEOUT_MS));
    /* promptly: no retransmission waits */
    g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
    g_assert_cmpuint(cg_test_count_events(f.rw_rec.events, CG_EVENT_IKE_UP), ==, 0);
    g_assert_cmpint(cg_test_recorder_last_reason(&f.rw_rec, CG_EVENT_IKE_DOWN), ==,
                    CG_REASON_AUTH_FAILED);
    g_assert_nonnull(strstr(f.rw_rec.last_down_message, "wrong user name or password"));
    /* never the password in a log line */
    g_assert_cmpuint(logged(&f, "Tr0ub4dor"), ==, 0);
    g_assert_cmpuint(logged(&f, "correct horse"), ==, 0);
    fixture_free(&f);
}

/* RFC 7383: fragments of 576 bytes carry the certificate chain */
static void
test_fragmentation(void)
{
    Fixture f = { 0 };
    fixture_engines(&f);
    g_autoptr(CgConnConfig) gw = gw_config("gw-chain.pem", "gw.key", CG_AUTH_BY_PUBKEY);
    g_autoptr(CgConnConfig) rw = rw_config(cg_engine_get_ike_port(f.gw), CG_AUTH_BY_PUBKEY);
    gw->fragment_size = 576;
    rw->fragment_size = 576;
    fixture_load(&f, gw, rw);
    g_assert_true(cg_test_engine_pair_run_until(&f, both_up, TIMEOUT_MS));
    g_assert_cmpuint(logged(&f, "IKE_AUTH response 1 of"), >, 0);
    g_assert_cmpuint(logged(&f, "reassembled IKE_AUTH 1 from"), >, 0);
    fixture_free(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error))
        g_error("%s", error->message);
    cg_log_set_level(CG_LOG_DEBUG);
    g_test_add_func("/auth-engine/certificates", test_certificates);
    g_test_add_func("/auth-engine/certificate-dn-identity", test_certificate_dn_identity);
    g_test_add_func("/auth-engine/reject-wrong-ca", test_reject_wrong_ca);
    g_test_add_func("/auth-engine/reject-expired", test_reject_expired);
    g_test_add_func("/auth-engine/reject-revoked", test_reject_revoked);
    g_test_add_func("/auth-engine/reject-wrong-remote-id", test_reject_wrong_remote_id);
    g_test_add_func("/auth-engine/reject-identity-not-in-cert", test_reject_identity_not_in_cert);
    g_test_add_func("/auth-engine/pinned-certificate", test_pinned_certificate);
    g_test_add_func("/auth-engine/eap-mschapv2", test_eap_mschapv2);
    g_test_add_func("/auth-engine/eap-only-mschapv2", test_eap_only_refused_for_mschapv2);
    g_test_add_func("/auth-engine/eap-wrong-password", test_eap_wrong_password);
    g_test_add_func("/auth-engine/fragmentation", test_fragmentation);
    return g_test_run();
}
