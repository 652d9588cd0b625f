/* The EAP-TLS server (auth/cg-eap-tls-server.c, crypto/cg-tls.c) against
 * our EAP-TLS peer, in process, message by message as IKE_AUTH carries
 * them: the gateway's certificate comes with an intermediate, the
 * peer's is checked against the CA; both ends agree on the MSK. A peer
 * certificate from another CA, and a peer without one, are refused with a
 * reason. Garbage from the peer ends the method cleanly.
 * Usage: test-eap-tls-server DATA-DIR (tests/unit/auth/data) */
#include "auth/cg-eap.h"
#include "crypto/cg-cert.h"
#include "crypto/cg-crypto.h"
#include "crypto/cg-sign.h"

#include <string.h>

static const char *data_dir;

typedef struct {
    GPtrArray *certs; /* CgCert*: [0] ours, then intermediates */
    CgPrivKey *key;
} Creds;

static void
creds_load(Creds *c, const char *cert_file, const char *key_file)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *cert_path = g_build_filename(data_dir, cert_file, NULL);
    g_autofree char *key_path = g_build_filename(data_dir, key_file, NULL);
    c->certs = cg_cert_load_file(cert_path, &error);
    g_assert_no_error(error);
    c->key = cg_privkey_load_file(key_path, &error);
    g_assert_no_error(error);
}

static void
creds_clear(Creds *c)
{
    g_clear_pointer(&c->certs, g_ptr_array_unref);
    g_clear_pointer(&c->key, cg_privkey_free);
}

static GPtrArray *
anchors_load(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(data_dir, "ca.pem", NULL);
    GPtrArray *a = cg_cert_load_file(path, &error);
    g_assert_no_error(error);
    return a;
}

/* Runs server and peer until one ends; returns the server's status. */
static CgEapStatus
run(Creds *server_creds, Creds *peer_creds, GBytes **server_msk, GBytes **peer_msk,
    char **server_error)
{
    g_autoptr(GPtrArray) anchors = anchors_load();
    g_autoptr(GPtrArray) chain = g_ptr_array_new();
    for (guint i = 1; i < server_creds->certs->len; i++)
        g_ptr_array_add(chain, server_creds->certs->pdata[i]);
    g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_TLS, "gw.test", NULL, NULL);
    CgEapServerTls tls = { server_creds->certs->pdata[0], chain, server_creds->key, anchors };
    cg_eap_server_set_tls(server, &tls);
    CgEapPeerParams params = {
        .method = CG_EAP_TLS,
        .identity = "rw@test",
        .tls_cert = peer_creds && peer_creds->certs ? peer_creds->certs->pdata[0] : NULL,
        .tls_key = peer_creds ? peer_creds->key : NULL,
        .tls_anchors = anchors,
        .tls_server_name = "gw.test",
    };
    g_autoptr(CgEapPeer) peer = cg_eap_peer_new(&params);
    g_autoptr(GBytes) request = cg_eap_server_start(server);
    CgEapStatus server_st = CG_EAP_CONTINUE;
    for (int round = 0; round < 64 && server_st == CG_EAP_CONTINUE; round++) {
        g_autoptr(GError) peer_error = NULL;
        g_autoptr(GBytes) response = NULL;
        gsize len;
        const guint8 *data = g_bytes_get_data(request, &len);
        CgEapStatus peer_st = cg_eap_peer_process(peer, data, len, &response, &peer_error);
        if (peer_st == CG_EAP_FAILURE && !response) {
            *server_error = g_strdup_printf("peer: %s", peer_error ? peer_error->message : "?");
            return CG_EAP_FAILURE;
        }
        g_assert_nonnull(response);
        g_autoptr(GError) error = NULL;
        g_clear_pointer(&request, g_bytes_unref);
        data = g_bytes_get_data(response, &len);
        server_st = cg_eap_server_process(server, data, len, &request, &error);
        if (server_st == CG_EAP_FAILURE)
            *server_error = g_strdup(error ? error->message : "?");
    }
    if (server_st == CG_EAP_SUCCESS) {
        /* the EAP-Success to the peer */
        g_autoptr(GBytes) none = NULL;
        gsize len;
        const guint8 *data = g_bytes_get_data(request, &len);
        g_assert_cmpint(cg_eap_peer_process(peer, data, len, &none, NULL), ==, CG_EAP_SUCCESS);
        g_assert_true(cg_eap_peer_server_authenticated(peer));
        *server_msk = cg_eap_server_msk(server);
        *peer_msk = cg_eap_peer_msk(peer);
    }
    return server_st;
}

static void
test_success(void)
{
    Creds gw = { 0 }, rw = { 0 };
    creds_load(&gw, "gw-chain.pem", "gw.key");
    creds_load(&rw, "rw-ec.pem", "rw-ec.key");
    g_autoptr(GBytes) server_msk = NULL;
    g_autoptr(GBytes) peer_msk = NULL;
    g_autofree char *why = NULL;
    CgEapStatus st = run(&gw, &rw, &server_msk, &peer_msk, &why);
    if (why)
        g_test_message("failure: %s", why);
    g_assert_cmpint(st, ==, CG_EAP_SUCCESS);
    g_assert_nonnull(server_msk);
    g_assert_nonnull(peer_msk);
    g_assert_cmpuint(g_bytes_get_size(server_msk), ==, CG_EAP_MSK_LEN);
    g_assert_true(g_bytes_equal(server_msk, peer_msk));
    creds_clear(&gw);
    creds_clear(&rw);
}

static void
test_untrusted_peer(void)
{
    Creds gw = { 0 }, stranger = { 0 };
    creds_load(&gw, "gw-chain.pem", "gw.key");
    creds_load(&stranger, "stranger.pem", "stranger.key");
    g_autoptr(GBytes) server_msk = NULL;
    g_autoptr(GBytes) peer_msk = NULL;
    g_autofree char *why = NULL;
    g_assert_cmpint(run(&gw, &stranger, &server_msk, &peer_msk, &why), ==, CG_EAP_FAILURE);
    g_test_message("refused: %s", why);
    g_assert_nonnull(strstr(why, "not issued by a trusted CA"));
    g_assert_null(server_msk);
    creds_clear(&gw);
    creds_clear(&stranger);
}

static void
test_no_peer_cert(void)
{
    Creds gw = { 0 };
    creds_load(&gw, "gw-chain.pem", "gw.key");
    g_autoptr(GBytes) server_msk = NULL;
    g_autoptr(GBytes) peer_msk = NULL;
    g_autofree char *why = NULL;
    /* our peer refuses to start without a certificate: the server must
     * not get further either way */
    g_assert_cmpint(run(&gw, NULL, &server_msk, &peer_msk, &why), ==, CG_EAP_FAILURE);
    g_test_message("refused: %s", why);
    g_assert_null(server_msk);
    creds_clear(&gw);
}

static void
test_garbage(void)
{
    Creds gw = { 0 };
    creds_load(&gw, "gw-chain.pem", "gw.key");
    g_autoptr(GPtrArray) anchors = anchors_load();
    for (int i = 0; i < 200; i++) {
        g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_TLS, "gw.test", NULL, NULL);
        CgEapServerTls tls = { gw.certs->pdata[0], NULL, gw.key, anchors };
        cg_eap_server_set_tls(server, &tls);
        g_autoptr(GBytes) start = cg_eap_server_start(server);
        guint8 id = ((const guint8 *)g_bytes_get_data(start, NULL))[1];
        /* Identity, then a random EAP-TLS response */
        guint8 ident[] = { CG_EAP_CODE_RESPONSE, id, 0, 9, 1, 'a', '@', 'b', '.' };
        g_autoptr(GBytes) req = NULL;
        g_assert_cmpint(cg_eap_server_process(server, ident, sizeof ident, &req, NULL), ==,
                        CG_EAP_CONTINUE);
        guint8 next_id = ((const guint8 *)g_bytes_get_data(req, NULL))[1];
        guint8 msg[64];
        gsize body = (gsize)g_test_rand_int_range(0, 40);
        msg[0] = CG_EAP_CODE_RESPONSE;
        msg[1] = next_id;
        msg[2] = 0;
        msg[3] = (guint8)(5 + body);
        msg[4] = CG_EAP_TLS;
        for (gsize j = 0; j < body; j++)
            msg[5 + j] = (guint8)g_test_rand_int_range(0, 256);
        g_autoptr(GBytes) out = NULL;
        g_autoptr(GError) error = NULL;
        CgEapStatus st = cg_eap_server_process(server, msg, 5 + body, &out, &error);
        g_assert_true(st == CG_EAP_CONTINUE || st == CG_EAP_FAILURE);
    }
    creds_clear(&gw);
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
    g_test_add_func("/eap-tls-server/success", test_success);
    g_test_add_func("/eap-tls-server/untrusted-peer", test_untrusted_peer);
    g_test_add_func("/eap-tls-server/no-peer-cert", test_no_peer_cert);
    g_test_add_func("/eap-tls-server/garbage", test_garbage);
    return g_test_run();
}
