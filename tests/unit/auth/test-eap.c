/* test-eap.c: EAP (src/ike-core/auth/cg-eap*.c): the MS-CHAPv2 vectors of
 * RFC 2759 9.2 and RFC 3079 3.5.3, whole conversations between our peer
 * and our server, wrong passwords, Nak, and hostile messages. */
#include <stdio.h>
#include <string.h>

#include "auth/cg-creds.h"
#include "auth/cg-eap-private.h"
#include "crypto/cg-crypto.h"
#include "crypto/cg-legacy.h"

static void
hex(const guint8 *data, gsize len, char *out)
{
    for (gsize i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02X", data[i]);
}

static void
unhex(const char *text, guint8 *out)
{
    for (gsize i = 0; text[2 * i]; i++)
        out[i] = (guint8)(g_ascii_xdigit_value(text[2 * i]) << 4
                          | g_ascii_xdigit_value(text[2 * i + 1]));
}

/* RFC 2759 9.2 and RFC 3079 3.5.3 */
static void
test_mschapv2_vectors(void)
{
    guint8 auth_challenge[16], peer_challenge[16], nt[24], hash[16], msk[64];
    char text[72];
    unhex("5B5D7C7D7B3F2F3E3C2C602132262628", auth_challenge);
    unhex("21402324255E262A28295F2B3A337C7E", peer_challenge);
    g_autoptr(GBytes) password = g_bytes_new_static("clientPass", 10);
    g_assert_true(cg_mschapv2_password_hash(password, hash));
    hex(hash, 16, text);
    g_assert_cmpstr(text, ==, "44EBBA8D5312B8D611474411F56989AE");
    g_autoptr(GError) error = NULL;
    g_assert_true(
        cg_mschapv2_nt_response(auth_challenge, peer_challenge, "User", hash, nt, &error));
    g_assert_no_error(error);
    hex(nt, 24, text);
    g_assert_cmpstr(text, ==, "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
    char auth[43];
    cg_mschapv2_authenticator_response(hash, nt, peer_challenge, auth_challenge, "User", auth);
    g_assert_cmpstr(auth, ==, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
    /* the domain is not hashed */
    guint8 nt2[24];
    g_assert_true(cg_mschapv2_nt_response(auth_challenge, peer_challenge, "EXAMPLE\\User", hash,
                                          nt2, &error));
    g_assert_cmpmem(nt, 24, nt2, 24);
    /* RFC 3079 3.5.3: MasterKey FDECE371..., the server's send key (its
     * sample SendStartKey128) second, its receive key (Magic2) first */
    cg_mschapv2_msk(hash, nt, msk);
    hex(msk, 32, text);
    g_assert_cmpstr(text, ==,
                    "D5F0E9521E3EA9589645E86051C82226"
                    "8B7CDC149B993A1BA118CB153F56DCCB");
    for (int i = 32; i < 64; i++)
        g_assert_cmpuint(msk[i], ==, 0);
}

typedef struct {
    const char *user;
    const char *password;
} Users;

static GBytes *
lookup(const char *identity, gpointer user_data)
{
    const Users *u = user_data;
    if (strcmp(identity, u->user) != 0)
        return NULL;
    return g_bytes_new(u->password, strlen(u->password));
}

/* Runs peer against server; returns the peer's final status. */
static CgEapStatus
converse(CgEapPeer *peer, CgEapServer *server, CgEapStatus *server_status, GError **peer_error,
         GError **server_error)
{
    g_autoptr(GBytes) req = cg_eap_server_start(server);
    *server_status = CG_EAP_CONTINUE;
    for (int round = 0; round < 10; round++) {
        g_autoptr(GBytes) resp = NULL;
        CgEapStatus ps = cg_eap_peer_process(peer, g_bytes_get_data(req, NULL),
                                             g_bytes_get_size(req), &resp, peer_error);
        if (ps != CG_EAP_CONTINUE && !resp)
            return ps;
        if (!resp)
            return ps;
        g_clear_pointer(&req, g_bytes_unref);
        *server_status = cg_eap_server_process(server, g_bytes_get_data(resp, NULL),
                                               g_bytes_get_size(resp), &req, server_error);
        if (ps == CG_EAP_FAILURE)
            return ps;
        if (*server_status != CG_EAP_CONTINUE) {
            /* the EAP-Success / EAP-Failure for the peer */
            g_autoptr(GBytes) last = NULL;
            return cg_eap_peer_process(peer, g_bytes_get_data(req, NULL), g_bytes_get_size(req),
                                       &last, peer_error);
        }
    }
    return CG_EAP_FAILURE;
}

static void
test_mschapv2_conversation(void)
{
    Users users = { "alice@test", "correct horse" };
    g_autoptr(GBytes) pw = g_bytes_new_static("correct horse", 13);
    CgEapPeerParams params
        = { .method = CG_EAP_MSCHAPV2, .identity = "alice@test", .password = pw };
    g_autoptr(CgEapPeer) peer = cg_eap_peer_new(&params);
    g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_MSCHAPV2, "gw", lookup, &users);
    g_autoptr(GError) pe = NULL, se = NULL;
    CgEapStatus ss;
    g_assert_cmpint(converse(peer, server, &ss, &pe, &se), ==, CG_EAP_SUCCESS);
    g_assert_no_error(pe);
    g_assert_no_error(se);
    g_assert_cmpint(ss, ==, CG_EAP_SUCCESS);
    g_assert_true(cg_eap_peer_server_authenticated(peer));
    g_assert_cmpstr(cg_eap_server_identity(server), ==, "alice@test");
    g_autoptr(GBytes) m1 = cg_eap_peer_msk(peer);
    g_autoptr(GBytes) m2 = cg_eap_server_msk(server);
    g_assert_nonnull(m1);
    g_assert_true(g_bytes_equal(m1, m2));
    g_assert_cmpuint(g_bytes_get_size(m1), ==, 64);
}

static void
test_mschapv2_wrong_password(void)
{
    Users users = { "alice@test", "correct horse" };
    g_autoptr(GBytes) pw = g_bytes_new_static("wrong", 5);
    CgEapPeerParams params = { .method = CG_EAP_ANY, .identity = "alice@test", .password = pw };
    g_autoptr(CgEapPeer) peer = cg_eap_peer_new(&params);
    g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_ANY, "gw", lookup, &users);
    g_autoptr(GError) pe = NULL, se = NULL;
    CgEapStatus ss;
    g_assert_cmpint(converse(peer, server, &ss, &pe, &se), ==, CG_EAP_FAILURE);
    g_assert_error(pe, CG_EAP_ERROR, CG_EAP_ERROR_CREDENTIALS);
    g_assert_nonnull(strstr(pe->message, "wrong user name or password"));
    g_assert_cmpint(ss, ==, CG_EAP_FAILURE);
    g_assert_error(se, CG_EAP_ERROR, CG_EAP_ERROR_CREDENTIALS);
    g_assert_nonnull(strstr(se->message, "wrong password for 'alice@test'"));
    g_assert_null(cg_eap_server_msk(server));

    /* an unknown user looks the same to the client */
    g_autoptr(CgEapPeer) peer2 = cg_eap_peer_new(
        &(CgEapPeerParams){ .method = CG_EAP_ANY, .identity = "mallory", .password = pw });
    g_autoptr(CgEapServer) server2 = cg_eap_server_new(CG_EAP_ANY, "gw", lookup, &users);
    g_autoptr(GError) pe2 = NULL, se2 = NULL;
    g_assert_cmpint(converse(peer2, server2, &ss, &pe2, &se2), ==, CG_EAP_FAILURE);
    g_assert_nonnull(strstr(pe2->message, "MS-CHAP error 691"));
    g_assert_nonnull(strstr(se2->message, "no EAP password for 'mallory'"));
}

static void
test_nak(void)
{
    /* a client that insists on EAP-TLS refuses MSCHAPv2 */
    CgEapPeerParams params = { .method = CG_EAP_TLS, .identity = "bob" };
    g_autoptr(CgEapPeer) peer = cg_eap_peer_new(&params);
    g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_MSCHAPV2, "gw", lookup, NULL);
    g_autoptr(GError) pe = NULL, se = NULL;
    CgEapStatus ss;
    g_assert_cmpint(converse(peer, server, &ss, &pe, &se), ==, CG_EAP_FAILURE);
    g_assert_cmpint(ss, ==, CG_EAP_FAILURE);
    g_assert_error(se, CG_EAP_ERROR, CG_EAP_ERROR_NO_METHOD);
}

/* A server that claims success without proving the password. */
static void
test_early_success(void)
{
    g_autoptr(GBytes) pw = g_bytes_new_static("pw", 2);
    CgEapPeerParams params = { .method = CG_EAP_ANY, .identity = "a", .password = pw };
    g_autoptr(CgEapPeer) peer = cg_eap_peer_new(&params);
    static const guint8 success[] = { CG_EAP_CODE_SUCCESS, 1, 0, 4 };
    g_autoptr(GBytes) out = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_cmpint(cg_eap_peer_process(peer, success, sizeof success, &out, &error), ==,
                    CG_EAP_FAILURE);
    g_assert_error(error, CG_EAP_ERROR, CG_EAP_ERROR_PEER_AUTH);
    g_assert_null(cg_eap_peer_msk(peer));
}

/* A forged MS-CHAPv2 success (wrong authenticator response). */
static void
test_forged_authenticator(void)
{
    Users users = { "a", "pw" };
    g_autoptr(GBytes) pw = g_bytes_new_static("pw", 2);
    CgEapPeerParams params = { .method = CG_EAP_MSCHAPV2, .identity = "a", .password = pw };
    g_autoptr(CgEapPeer) peer = cg_eap_peer_new(&params);
    g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_MSCHAPV2, "gw", lookup, &users);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) req = cg_eap_server_start(server);
    GBytes *resp = NULL;
    for (int i = 0; i < 2; i++) {
        g_assert_cmpint(cg_eap_peer_process(peer, g_bytes_get_data(req, NULL),
                                            g_bytes_get_size(req), &resp, &error),
                        ==, CG_EAP_CONTINUE);
        g_clear_pointer(&req, g_bytes_unref);
        g_assert_cmpint(cg_eap_server_process(server, g_bytes_get_data(resp, NULL),
                                              g_bytes_get_size(resp), &req, &error),
                        ==, CG_EAP_CONTINUE);
        g_clear_pointer(&resp, g_bytes_unref);
    }
    /* req is the MS-CHAPv2 success request: flip a digit of S= */
    gsize len;
    const guint8 *success_req = g_bytes_get_data(req, &len);
    guint8 *forged = g_memdup2(success_req, len);
    forged[5 + 4 + 2] = forged[5 + 4 + 2] == 'A' ? 'B' : 'A';
    g_assert_cmpint(cg_eap_peer_process(peer, forged, len, &resp, &error), ==, CG_EAP_FAILURE);
    g_assert_error(error, CG_EAP_ERROR, CG_EAP_ERROR_PEER_AUTH);
    g_clear_pointer(&resp, g_bytes_unref);
    g_free(forged);
}

/* Hostile bytes at every stage: truncations and bit flips of a real
 * conversation, and short junk, must fail cleanly. */
static void
test_hostile(void)
{
    Users users = { "a", "pw" };
    g_autoptr(GBytes) pw = g_bytes_new_static("pw", 2);
    static const guint8 junk[][9] = {
        { 1 },
        { 1, 1, 0, 2 },
        { 1, 1, 0, 5, 26 },
        { 1, 1, 0, 9, 26, 1, 1, 0, 9 },
        { 1, 1, 0, 9, 26, 1, 1, 0, 4 },
        { 1, 1, 0, 9, 26, 3, 1, 0, 4 },
        { 2, 1, 0, 5, 1 },
        { 3, 1, 0, 5, 0 },
        { 9, 1, 0, 4 },
        { 1, 1, 0, 5, 254 },
    };
    static const gsize junk_len[] = { 1, 4, 5, 9, 9, 9, 5, 5, 4, 5 };
    for (guint i = 0; i < G_N_ELEMENTS(junk); i++) {
        CgEapPeerParams params = { .method = CG_EAP_ANY, .identity = "a", .password = pw };
        g_autoptr(CgEapPeer) peer = cg_eap_peer_new(&params);
        g_autoptr(GBytes) out = NULL;
        g_autoptr(GError) error = NULL;
        cg_eap_peer_process(peer, junk[i], junk_len[i], &out, &error);
        g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_ANY, "gw", lookup, &users);
        g_autoptr(GBytes) start = cg_eap_server_start(server);
        g_assert_nonnull(start);
        g_autoptr(GBytes) sout = NULL;
        g_autoptr(GError) serror = NULL;
        g_assert_cmpint(cg_eap_server_process(server, junk[i], junk_len[i], &sout, &serror), ==,
                        CG_EAP_FAILURE);
    }
    /* every prefix and a flipped byte of each server request */
    for (int flip = 0; flip < 2; flip++) {
        g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_ANY, "gw", lookup, &users);
        CgEapPeerParams params = { .method = CG_EAP_ANY, .identity = "a", .password = pw };
        g_autoptr(CgEapPeer) good = cg_eap_peer_new(&params);
        g_autoptr(GBytes) req = cg_eap_server_start(server);
        for (int round = 0; round < 3 && req; round++) {
            gsize len;
            const guint8 *data = g_bytes_get_data(req, &len);
            for (gsize cut = 0; cut <= len; cut++) {
                g_autoptr(CgEapPeer) victim = cg_eap_peer_new(&params);
                g_autofree guint8 *copy = g_memdup2(data, len ? len : 1);
                if (flip && cut < len)
                    copy[cut] ^= 0x5a;
                g_autoptr(GBytes) out = NULL;
                g_autoptr(GError) error = NULL;
                cg_eap_peer_process(victim, copy, flip ? len : cut, &out, &error);
            }
            g_autoptr(GBytes) resp = NULL;
            g_autoptr(GError) error = NULL;
            if (cg_eap_peer_process(good, data, len, &resp, &error) != CG_EAP_CONTINUE || !resp)
                break;
            GBytes *next = NULL;
            g_autoptr(GError) serror = NULL;
            cg_eap_server_process(server, g_bytes_get_data(resp, NULL), g_bytes_get_size(resp),
                                  &next, &serror);
            g_clear_pointer(&req, g_bytes_unref);
            req = next;
        }
    }
}

static void
test_creds_store(void)
{
    g_autoptr(GBytes) a = g_bytes_new_static("A", 1), b = g_bytes_new_static("B", 1);
    const char *ids_a[] = { "alice@test", NULL };
    const char *ids_any[] = { "%any", NULL };
    const char *ids_domain[] = { "*@corp.test", NULL };
    cg_creds_clear();
    cg_creds_add_eap_secret(ids_any, b);
    cg_creds_add_eap_secret(ids_a, a);
    g_autoptr(GBytes) s1 = cg_creds_find_eap_secret("alice@test");
    g_autoptr(GBytes) s2 = cg_creds_find_eap_secret("bob");
    g_assert_true(g_bytes_equal(s1, a));
    g_assert_true(g_bytes_equal(s2, b));
    cg_creds_clear();
    cg_creds_add_eap_secret(ids_domain, a);
    g_autoptr(GBytes) s3 = cg_creds_find_eap_secret("carol@corp.test");
    g_autoptr(GBytes) s4 = cg_creds_find_eap_secret("carol@other.test");
    g_assert_nonnull(s3);
    g_assert_null(s4);
    cg_creds_add_key_secret("SoftHSM", a);
    g_autoptr(GBytes) pin = cg_creds_find_key_secret("SoftHSM");
    g_assert_true(g_bytes_equal(pin, a));
    cg_creds_clear();
    g_autoptr(GBytes) none = cg_creds_find_key_secret("SoftHSM");
    g_assert_null(none);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error))
        g_error("%s", error->message);
    g_test_add_func("/eap/mschapv2-vectors", test_mschapv2_vectors);
    g_test_add_func("/eap/mschapv2-conversation", test_mschapv2_conversation);
    g_test_add_func("/eap/mschapv2-wrong-password", test_mschapv2_wrong_password);
    g_test_add_func("/eap/nak", test_nak);
    g_test_add_func("/eap/early-success", test_early_success);
    g_test_add_func("/eap/forged-authenticator", test_forged_authenticator);
    g_test_add_func("/eap/hostile", test_hostile);
    g_test_add_func("/eap/creds-store", test_creds_store);
    return g_test_run();
}
