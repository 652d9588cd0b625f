/* test-nm-settings: vpn.data / vpn.secrets of a Cygnet connection, as the
 * service checks them at connect time (src/service/nm/nm-cygnet-settings.c).
 * Every refusal names the key; no message contains a secret; the input
 * tables are never changed. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "nm-cygnet-keys.h"
#include "nm-cygnet-settings.h"

#define TEST_PSK "test-psk-do-not-leak"

static GHashTable *table_new(const char *first_key, ...) G_GNUC_NULL_TERMINATED;

/* key, value, key, value, ..., NULL */
static GHashTable *
table_new(const char *first_key, ...)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    va_list ap;
    va_start(ap, first_key);
    for (const char *k = first_key; k; k = va_arg(ap, const char *))
        g_hash_table_insert(t, g_strdup(k), g_strdup(va_arg(ap, const char *)));
    va_end(ap);
    return t;
}

static GHashTable *
secrets_new(void)
{
    return table_new(NM_CYGNET_SECRET_PSK, TEST_PSK, NULL);
}

static void
test_defaults(void)
{
    g_autoptr(GHashTable) data = table_new(NM_CYGNET_KEY_GATEWAY, "vpn.example.org", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(s->gateway, ==, "vpn.example.org");
    g_assert_cmpuint(s->port, ==, 500);
    g_assert_true(s->vip4);
    g_assert_false(s->vip6);
    g_assert_cmpuint(s->mtu, ==, 0); /* the data plane chooses */
    g_assert_cmpstr(s->dataplane, ==, "auto");
    g_assert_null(s->psk);
    g_assert_true(nm_cygnet_settings_psk_required(s));
    CgConnConfig *c = s->conn;
    g_assert_true(c->request_vip4);
    g_assert_cmpuint(c->dpd_delay_s, ==, 30);
    g_assert_cmpuint(c->ike_rekey_time_s, ==, 14400);
    g_assert_cmpuint(c->children->len, ==, 1);
    CgChildConfig *child = c->children->pdata[0];
    g_assert_cmpuint(child->remote_ts->len, ==, 1);
    g_autofree char *ts = cg_ts_config_to_string(&g_array_index(child->remote_ts, CgTsConfig, 0));
    g_assert_cmpstr(ts, ==, "0.0.0.0/0");
    g_assert_cmpuint(child->life_time_s, >, child->rekey_time_s);

    /* without a PSK the engine's connection is refused, naming the key */
    g_autoptr(CgConnConfig) none = nm_cygnet_settings_to_conn(s, "corp", &error);
    g_assert_null(none);
    g_assert_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_MISSING);
    g_assert_nonnull(strstr(error->message, "vpn.secrets key 'psk'"));
}

static void
test_full(void)
{
    g_autoptr(GHashTable) data = table_new(
        NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_PORT, "4500", NM_CYGNET_KEY_LOCAL_ID,
        "client@example.org", NM_CYGNET_KEY_REMOTE_ID, "@gw.example.org", NM_CYGNET_KEY_AUTH, "psk",
        NM_CYGNET_KEY_IKE, "aes256gcm16-prfsha256-x25519,aes256-sha256-modp2048", NM_CYGNET_KEY_ESP,
        "aes256gcm16", NM_CYGNET_KEY_VIRTUAL_IP, "both", NM_CYGNET_KEY_LOCAL_TS, "dynamic",
        NM_CYGNET_KEY_REMOTE_TS, "10.1.0.0/16,fd00:1::/64", NM_CYGNET_KEY_DPD_DELAY, "10s",
        NM_CYGNET_KEY_REKEY_TIME, "1h", NM_CYGNET_KEY_REAUTH_TIME, "0",
        NM_CYGNET_KEY_CHILD_REKEY_TIME, "20m", NM_CYGNET_KEY_CHILD_LIFE_TIME, "30m",
        NM_CYGNET_KEY_RETRANSMIT_TIMEOUT, "500ms", NM_CYGNET_KEY_RETRANSMIT_TRIES, "3",
        NM_CYGNET_KEY_ENCAP, "yes", NM_CYGNET_KEY_MOBIKE, "no", NM_CYGNET_KEY_DATAPLANE, "uesp",
        NM_CYGNET_KEY_MTU, "1380", NM_CYGNET_KEY_PSK_FLAGS, "1", NULL);
    g_autoptr(GHashTable) secrets = secrets_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, secrets, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(s->port, ==, 4500);
    g_assert_true(s->vip4 && s->vip6);
    g_assert_cmpuint(s->mtu, ==, 1380);
    g_assert_cmpstr(s->dataplane, ==, "uesp");
    g_assert_cmpuint(s->psk_flags, ==, 1);
    g_assert_false(nm_cygnet_settings_psk_required(s));
    g_assert_cmpmem(g_bytes_get_data(s->psk, NULL), g_bytes_get_size(s->psk), TEST_PSK,
                    strlen(TEST_PSK));
    CgConnConfig *c = s->conn;
    g_assert_cmpuint(c->remote_port, ==, 4500);
    g_assert_cmpuint(c->ike_proposals->len, ==, 2);
    g_assert_cmpuint(c->dpd_delay_s, ==, 10);
    g_assert_cmpuint(c->ike_rekey_time_s, ==, 3600);
    g_assert_cmpuint(c->rand_time_s, ==, 360);
    g_assert_cmpuint(c->retransmit_timeout_ms, ==, 500);
    g_assert_cmpuint(c->retransmit_tries, ==, 3);
    g_assert_true(c->force_encap);
    g_assert_false(c->mobike);
    g_autofree char *lid = cg_identity_to_string(&c->local_id);
    g_assert_cmpstr(lid, ==, "client@example.org");
    CgChildConfig *child = c->children->pdata[0];
    g_assert_cmpuint(child->rekey_time_s, ==, 1200);
    g_assert_cmpuint(child->life_time_s, ==, 1800);
    g_assert_cmpuint(child->remote_ts->len, ==, 2);

    g_autoptr(CgConnConfig) conn = nm_cygnet_settings_to_conn(s, "corp-vpn", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(conn->name, ==, "corp-vpn");
    g_assert_true(g_bytes_equal(conn->psk, s->psk));
    g_assert_cmpstr(conn->dataplane, ==, "uesp");
}

/* One bad value per key: refused, and the message names the key. */
static void
test_bad_values(void)
{
    static const struct {
        const char *key, *value;
    } cases[] = {
        { NM_CYGNET_KEY_GATEWAY, "bad host!" },
        { NM_CYGNET_KEY_GATEWAY, "-leadingdash" },
        { NM_CYGNET_KEY_PORT, "0" },
        { NM_CYGNET_KEY_PORT, "65536" },
        { NM_CYGNET_KEY_PORT, "5OO" },
        { NM_CYGNET_KEY_LOCAL_ID, "two words" },
        { NM_CYGNET_KEY_REMOTE_ID, "@" },
        { NM_CYGNET_KEY_AUTH, "password" },
        { NM_CYGNET_KEY_IKE, "aes999-sha256-modp2048" },
        { NM_CYGNET_KEY_ESP, "aes256gcm16-sha256" },
        { NM_CYGNET_KEY_VIRTUAL_IP, "yes" },
        { NM_CYGNET_KEY_LOCAL_TS, "10.0.0.0/33" },
        { NM_CYGNET_KEY_REMOTE_TS, "10.1.0.5/16" },
        { NM_CYGNET_KEY_DPD_DELAY, "30 seconds" },
        { NM_CYGNET_KEY_DPD_DELAY, "500ms" },
        { NM_CYGNET_KEY_REKEY_TIME, "-1" },
        { NM_CYGNET_KEY_REAUTH_TIME, "99999999999999d" },
        { NM_CYGNET_KEY_CHILD_REKEY_TIME, "1w" },
        { NM_CYGNET_KEY_CHILD_LIFE_TIME, "x" },
        { NM_CYGNET_KEY_RETRANSMIT_TIMEOUT, "0" },
        { NM_CYGNET_KEY_RETRANSMIT_TIMEOUT, "2m" },
        { NM_CYGNET_KEY_RETRANSMIT_TRIES, "0" },
        { NM_CYGNET_KEY_RETRANSMIT_TRIES, "21" },
        { NM_CYGNET_KEY_ENCAP, "maybe" },
        { NM_CYGNET_KEY_MOBIKE, "2" },
        { NM_CYGNET_KEY_DATAPLANE, "kernel" },
        { NM_CYGNET_KEY_MTU, "100" },
        { NM_CYGNET_KEY_MTU, "70000" },
        { NM_CYGNET_KEY_PSK_FLAGS, "8" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GHashTable) data
            = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", cases[i].key, cases[i].value, NULL);
        g_autoptr(GHashTable) secrets = secrets_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, secrets, &error);
        g_autofree char *want = g_strdup_printf("vpn.data key '%s': ", cases[i].key);
        if (s || !error || !strstr(error->message, want))
            g_error("%s=%s: expected a refusal naming the key, got %s", cases[i].key,
                    cases[i].value, error ? error->message : "success");
        g_assert_null(strstr(error->message, TEST_PSK));
        g_test_message("%s", error->message);
    }
}

/* A file that exists, for the file keys (never read here). */
static char *
temp_file(void)
{
    g_autoptr(GError) error = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("nm-settings-XXXXXX", &path, &error);
    g_assert_no_error(error);
    close(fd);
    return path;
}

static void
test_eap_auth(void)
{
    g_autofree char *ca = temp_file();
    g_autoptr(GHashTable) data
        = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_AUTH, "eap",
                    NM_CYGNET_KEY_USER, "alice", NM_CYGNET_KEY_CA_CERT, ca, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(s->conn->local_auth, ==, CG_AUTH_BY_EAP);
    g_assert_cmpint(s->conn->remote_auth, ==, CG_AUTH_BY_PUBKEY);
    g_assert_cmpint(s->conn->local_eap, ==, CG_EAP_MSCHAPV2);
    g_assert_cmpstr(s->conn->eap_identity, ==, "alice");
    g_assert_cmpstr(nm_cygnet_settings_missing_secret(s), ==, NM_CYGNET_SECRET_PASSWORD);
    g_autoptr(CgConnConfig) refused = nm_cygnet_settings_to_conn(s, "t", &error);
    g_assert_null(refused);
    g_assert_nonnull(strstr(error->message, "vpn.secrets key 'password': required for auth=eap"));
    g_clear_error(&error);

    g_autoptr(GHashTable) secrets = table_new(NM_CYGNET_SECRET_PASSWORD, "0xnot-hex", NULL);
    g_assert_true(nm_cygnet_settings_update_secrets(s, secrets, &error));
    g_assert_null(nm_cygnet_settings_missing_secret(s));
    g_autoptr(CgConnConfig) conn = nm_cygnet_settings_to_conn(s, "t", &error);
    g_assert_no_error(error);
    /* taken as written, not as hex */
    g_assert_cmpuint(g_bytes_get_size(conn->eap_password), ==, strlen("0xnot-hex"));
    g_assert_cmpstr(conn->cacerts->pdata[0], ==, ca);
    g_assert_false(s->system_cas);
    g_unlink(ca);
}

static void
test_cert_auth(void)
{
    g_autofree char *file = temp_file();
    static const struct {
        const char *keys[6]; /* after gateway and auth=cert: key, value, ... */
        const char *missing_secret;
        const char *error; /* NULL: parses */
    } cases[] = {
        { { "cert", "FILE", "key", "FILE" }, NULL, NULL },
        { { "pkcs12", "FILE" }, "key-passphrase", NULL },
        { { "pkcs12", "FILE", "key-passphrase-flags", "4" }, NULL, NULL },
        { { "cert-nickname", "tok:me", "pkcs11-module", "FILE" }, "pin", NULL },
        { { NULL }, NULL, "vpn.data key 'cert': auth=cert needs our certificate" },
        { { "cert", "FILE" }, NULL, "vpn.data key 'key': required with 'cert'" },
        { { "cert", "FILE", "key", "FILE", "pkcs12", "FILE" }, NULL, "(2 are set)" },
        { { "cert", "relative.pem" },
          NULL,
          "vpn.data key 'cert': 'relative.pem' is not an "
          "absolute path" },
        { { "ca-cert", "/nonexistent/ca.pem" },
          NULL,
          "vpn.data key 'ca-cert': "
          "'/nonexistent/ca.pem' is not a file" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GHashTable) data
            = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_AUTH, "cert", NULL);
        for (guint k = 0; k + 1 < G_N_ELEMENTS(cases[i].keys) && cases[i].keys[k]; k += 2) {
            const char *v = cases[i].keys[k + 1];
            g_hash_table_insert(data, g_strdup(cases[i].keys[k]),
                                g_strdup(strcmp(v, "FILE") == 0 ? file : v));
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
        if (cases[i].error) {
            g_assert_null(s);
            g_assert_nonnull(error);
            if (!strstr(error->message, cases[i].error))
                g_error("case %u: '%s' lacks '%s'", i, error->message, cases[i].error);
            continue;
        }
        g_assert_no_error(error);
        g_assert_cmpint(s->conn->local_auth, ==, CG_AUTH_BY_PUBKEY);
        g_assert_cmpstr(nm_cygnet_settings_missing_secret(s), ==, cases[i].missing_secret);
        /* no ca-cert: the system's CAs, when the system has them */
        if (g_file_test(NM_CYGNET_SYSTEM_CA_FILE, G_FILE_TEST_EXISTS))
            g_assert_true(s->system_cas);
    }
    g_unlink(file);
}

static void
test_bad_auth(void)
{
    g_autoptr(GHashTable) data = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_AUTH,
                                           "xauth", NM_CYGNET_KEY_EAP_METHOD, "md5", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_null(s);
    g_assert_nonnull(strstr(error->message, "vpn.data key 'auth': 'xauth' is not an "
                                            "authentication method (psk, cert, eap)"));
    g_clear_error(&error);
    g_hash_table_insert(data, g_strdup(NM_CYGNET_KEY_AUTH), g_strdup("eap"));
    g_assert_null(nm_cygnet_settings_parse(data, NULL, &error));
    g_assert_nonnull(strstr(error->message, "vpn.data key 'eap-method': 'md5' is not one of"));
}

static void
test_unknown_keys(void)
{
    g_autoptr(GHashTable) data
        = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", "zeta", "1", "alpha-typo", "2", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_null(s);
    g_assert_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_UNKNOWN_KEY);
    /* the first in sorted order, so the message is stable */
    g_assert_nonnull(strstr(error->message, "vpn.data: unknown key 'alpha-typo'"));
    g_clear_error(&error);

    g_autoptr(GHashTable) data2 = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NULL);
    g_autoptr(GHashTable) secrets = table_new("passwd", TEST_PSK, NULL);
    g_autoptr(NmCygnetSettings) s2 = nm_cygnet_settings_parse(data2, secrets, &error);
    g_assert_null(s2);
    g_assert_nonnull(strstr(error->message, "vpn.secrets: unknown key 'passwd'"));
    g_assert_null(strstr(error->message, TEST_PSK));
}

static void
test_missing_gateway(void)
{
    g_autoptr(GHashTable) data = table_new(NM_CYGNET_KEY_PORT, "500", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_null(s);
    g_assert_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_MISSING);
    g_assert_nonnull(strstr(error->message, "vpn.data key 'gateway'"));
}

static void
test_child_lifetimes(void)
{
    g_autoptr(GHashTable) data
        = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_CHILD_REKEY_TIME, "1h",
                    NM_CYGNET_KEY_CHILD_LIFE_TIME, "30m", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_null(s);
    g_assert_nonnull(strstr(error->message, "vpn.data key 'child-rekey-time'"));
    g_clear_error(&error);

    /* a short IKE rekey time moves the jitter with it: still valid */
    g_autoptr(GHashTable) data2
        = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_REKEY_TIME, "60", NULL);
    g_autoptr(GHashTable) secrets = secrets_new();
    g_autoptr(NmCygnetSettings) s2 = nm_cygnet_settings_parse(data2, secrets, &error);
    g_assert_no_error(error);
    g_autoptr(CgConnConfig) conn = nm_cygnet_settings_to_conn(s2, "short", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(conn->rand_time_s, ==, 6);
}

static void
test_families(void)
{
    g_autoptr(GHashTable) data
        = table_new(NM_CYGNET_KEY_GATEWAY, "2001:db8::1", NM_CYGNET_KEY_VIRTUAL_IP, "ipv6", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_no_error(error);
    g_assert_false(s->vip4);
    g_assert_true(s->vip6);
    CgChildConfig *child = s->conn->children->pdata[0];
    g_autofree char *ts = cg_ts_config_to_string(&g_array_index(child->remote_ts, CgTsConfig, 0));
    g_assert_cmpstr(ts, ==, "::/0");
}

static void
test_empty_is_default(void)
{
    g_autoptr(GHashTable) data
        = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_PORT, "", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(s->port, ==, 500);
}

static void
test_secret_forms(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) plain = nm_cygnet_parse_secret("abc", &error);
    g_assert_no_error(error);
    g_assert_cmpmem(g_bytes_get_data(plain, NULL), g_bytes_get_size(plain), "abc", 3);
    g_autoptr(GBytes) hex = nm_cygnet_parse_secret("0x00ff10", &error);
    g_assert_no_error(error);
    g_assert_cmpmem(g_bytes_get_data(hex, NULL), g_bytes_get_size(hex), "\x00\xff\x10", 3);
    g_autoptr(GBytes) b64 = nm_cygnet_parse_secret("0sYWJj", &error);
    g_assert_no_error(error);
    g_assert_cmpmem(g_bytes_get_data(b64, NULL), g_bytes_get_size(b64), "abc", 3);

    static const char *const bad[] = { "0x", "0x123", "0xzz" TEST_PSK, "0s*" TEST_PSK, "" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        GBytes *b = nm_cygnet_parse_secret(bad[i], &error);
        g_assert_null(b);
        g_assert_nonnull(error);
        g_assert_null(strstr(error->message, TEST_PSK));
        g_clear_error(&error);
    }

    /* through the table: the message names the key, never the value */
    g_autoptr(GHashTable) data = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NULL);
    g_autoptr(GHashTable) secrets = table_new(NM_CYGNET_SECRET_PSK, "0x" TEST_PSK, NULL);
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, secrets, &error);
    g_assert_null(s);
    g_assert_nonnull(strstr(error->message, "vpn.secrets key 'psk'"));
    g_assert_null(strstr(error->message, TEST_PSK));
}

static void
test_new_secrets(void)
{
    g_autoptr(GHashTable) data = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, NULL, &error);
    g_assert_true(nm_cygnet_settings_psk_required(s));
    g_autoptr(GHashTable) secrets = secrets_new();
    g_assert_true(nm_cygnet_settings_update_secrets(s, secrets, &error));
    g_assert_false(nm_cygnet_settings_psk_required(s));

    /* "not required" flags keep NetworkManager from asking first; the
     * connection still needs one (asked for mid-connect) */
    g_autoptr(GHashTable) data2
        = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_PSK_FLAGS, "4", NULL);
    g_autoptr(NmCygnetSettings) s2 = nm_cygnet_settings_parse(data2, NULL, &error);
    g_assert_cmpuint(s2->psk_flags, ==, 4);
    g_assert_true(nm_cygnet_settings_psk_required(s2));
}

/* The service hands the tables NetworkManager gave it: never changed. */
static void
test_input_untouched(void)
{
    g_autoptr(GHashTable) data
        = table_new(NM_CYGNET_KEY_GATEWAY, "192.0.2.1", NM_CYGNET_KEY_IKE, "default",
                    NM_CYGNET_KEY_REMOTE_TS, "10.0.0.0/8", NM_CYGNET_KEY_PSK_FLAGS, "0", NULL);
    g_autoptr(GHashTable) secrets = secrets_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) s = nm_cygnet_settings_parse(data, secrets, &error);
    g_assert_no_error(error);
    g_assert_nonnull(s);
    g_assert_cmpuint(g_hash_table_size(data), ==, 4);
    g_assert_cmpstr(g_hash_table_lookup(data, NM_CYGNET_KEY_IKE), ==, "default");
    g_assert_cmpstr(g_hash_table_lookup(data, NM_CYGNET_KEY_REMOTE_TS), ==, "10.0.0.0/8");
    g_assert_cmpuint(g_hash_table_size(secrets), ==, 1);
    g_assert_cmpstr(g_hash_table_lookup(secrets, NM_CYGNET_SECRET_PSK), ==, TEST_PSK);
}

static void
test_durations(void)
{
    static const struct {
        const char *text;
        guint64 ms;
    } good[] = { { "0", 0 },        { "30", 30000 },    { "30s", 30000 },  { "500ms", 500 },
                 { "10m", 600000 }, { "4h", 14400000 }, { "1d", 86400000 } };
    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        guint64 ms;
        g_assert_true(nm_cygnet_parse_duration_ms(good[i].text, &ms));
        g_assert_cmpuint(ms, ==, good[i].ms);
    }
    static const char *const bad[] = { "", "s", "1.5s", "-1", "1 s", "1w", "1000000000000s" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        guint64 ms;
        g_assert_false(nm_cygnet_parse_duration_ms(bad[i], &ms));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nm/settings/defaults", test_defaults);
    g_test_add_func("/nm/settings/full", test_full);
    g_test_add_func("/nm/settings/bad-values", test_bad_values);
    g_test_add_func("/nm/settings/eap-auth", test_eap_auth);
    g_test_add_func("/nm/settings/cert-auth", test_cert_auth);
    g_test_add_func("/nm/settings/bad-auth", test_bad_auth);
    g_test_add_func("/nm/settings/unknown-keys", test_unknown_keys);
    g_test_add_func("/nm/settings/missing-gateway", test_missing_gateway);
    g_test_add_func("/nm/settings/child-lifetimes", test_child_lifetimes);
    g_test_add_func("/nm/settings/families", test_families);
    g_test_add_func("/nm/settings/empty-is-default", test_empty_is_default);
    g_test_add_func("/nm/settings/secret-forms", test_secret_forms);
    g_test_add_func("/nm/settings/new-secrets", test_new_secrets);
    g_test_add_func("/nm/settings/input-untouched", test_input_untouched);
    g_test_add_func("/nm/settings/durations", test_durations);
    return g_test_run();
}
