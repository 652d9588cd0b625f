/* test-policy-rules.c: cygnet-policy without NetworkManager: the policy
 * file (every error names its line, and a file with one is refused
 * whole), the trust rules, the decisions, and the memory of what the
 * user chose by hand on a network. */
#include <glib/gstdio.h>
#include <string.h>

#include "cygnet-policy-config.h"
#include "cygnet-policy-decide.h"
#include "cygnet-policy-state.h"

static PolicyConfig *
parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    PolicyConfig *c = policy_config_parse("test.conf", text, strlen(text), &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    return c;
}

static void
assert_parse_error(const char *text, const char *message)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(PolicyConfig) c = policy_config_parse("test.conf", text, strlen(text), &error);
    g_assert_null(c);
    g_assert_error(error, POLICY_CONFIG_ERROR, POLICY_CONFIG_ERROR_SYNTAX);
    if (g_strcmp0(error->message, message) != 0)
        g_error("for %s\n got: %s\nwant: %s", text, error->message, message);
}

static void
test_config_good(void)
{
    g_autoptr(PolicyConfig) c = parse_ok("# comment\n"
                                         "; another\n"
                                         "\n"
                                         "[policy]\n"
                                         "  vpn =  corp  \n"
                                         "down-on-trusted = no\n"
                                         "[ trusted ]\n"
                                         "connection = home\n"
                                         "connection = 0a2c9b44-6b5c-4a4e-9a4a-1d2f3e4a5b6c\n"
                                         "ssid = Cafe #1 free\n"
                                         "ssid = \"  spaced \\\"quoted\\\" \\\\ \"\n"
                                         "bssid = 00:11:22:aa:bb:cc\n"
                                         "bssid = 00-11-22-AA-BB-CD\n"
                                         "type = wifi\n"
                                         "type = 802-3-ethernet\r\n");
    g_assert_cmpstr(c->vpn, ==, "corp");
    g_assert_false(c->down_on_trusted);
    g_assert_cmpuint(c->trusted->len, ==, 8);
    const PolicyMatch *m = c->trusted->pdata[2];
    g_assert_cmpint(m->kind, ==, POLICY_MATCH_SSID);
    g_assert_cmpstr(m->value, ==, "Cafe #1 free"); /* '#' inside a value is no comment */
    g_assert_cmpuint(m->line, ==, 10);
    m = c->trusted->pdata[3];
    g_assert_cmpstr(m->value, ==, "  spaced \"quoted\" \\ ");
    m = c->trusted->pdata[4];
    g_assert_cmpstr(m->value, ==, "00:11:22:AA:BB:CC");
    m = c->trusted->pdata[5];
    g_assert_cmpstr(m->value, ==, "00:11:22:AA:BB:CD");
    m = c->trusted->pdata[6];
    g_assert_cmpstr(m->value, ==, "802-11-wireless");
    m = c->trusted->pdata[7];
    g_assert_cmpstr(m->value, ==, "802-3-ethernet");

    /* defaults: down on trusted networks, nothing trusted */
    g_autoptr(PolicyConfig) d = parse_ok("[policy]\nvpn=x");
    g_assert_true(d->down_on_trusted);
    g_assert_cmpuint(d->trusted->len, ==, 0);
}

static void
test_config_errors(void)
{
    assert_parse_error("", "test.conf: no 'vpn = NAME' in [policy]: which VPN guards untrusted "
                           "networks?");
    assert_parse_error("vpn = corp\n", "test.conf:1: 'vpn' before any section ([policy] or "
                                       "[trusted])");
    assert_parse_error("[policy]\nvpn = a\nvpn = b\n",
                       "test.conf:3: 'vpn' given twice (first on line 2)");
    assert_parse_error("[policy]\nvpn = a\ndown-on-trusted = maybe\n",
                       "test.conf:3: down-on-trusted: 'maybe' is not a boolean (yes, no, true, "
                       "false, on, off, 1, 0)");
    assert_parse_error("[policy]\nvpn = a\nvnp = b\n",
                       "test.conf:3: unknown key 'vnp' in [policy] (vpn, down-on-trusted)");
    assert_parse_error("[policy]\nvpn = a\n[trustd]\n",
                       "test.conf:3: unknown section [trustd] (policy, trusted)");
    assert_parse_error("[policy\n", "test.conf:1: a section header must look like [name]");
    assert_parse_error("[policy]\nvpn\n", "test.conf:2: expected 'key = value', got 'vpn'");
    assert_parse_error("[policy]\n = corp\n", "test.conf:2: a key is missing before '='");
    assert_parse_error("[policy]\nvpn =   \n", "test.conf:2: 'vpn' has an empty value");
    assert_parse_error("[policy]\nvpn = a\n[trusted]\nsid = x\n",
                       "test.conf:4: unknown key 'sid' in [trusted] (connection, ssid, bssid, "
                       "type)");
    assert_parse_error("[policy]\nvpn = a\n[trusted]\nbssid = 00:11:22:33:44\n",
                       "test.conf:4: bssid '00:11:22:33:44' is not six hexadecimal octets like "
                       "00:11:22:33:44:55");
    assert_parse_error("[policy]\nvpn = a\n[trusted]\nbssid = 00:11:22:33:44:5g\n",
                       "test.conf:4: bssid '00:11:22:33:44:5g' is not six hexadecimal octets "
                       "like 00:11:22:33:44:55");
    assert_parse_error("[policy]\nvpn = a\n[trusted]\ntype = ethernett\n",
                       "test.conf:4: unknown connection type 'ethernett' (ethernet, wifi, gsm, "
                       "cdma, bluetooth, bond, bridge, vlan, ... or NetworkManager's own type "
                       "names)");
    assert_parse_error("[policy]\nvpn = a\n[trusted]\nssid = 0123456789abcdef0123456789abcdefX\n",
                       "test.conf:4: ssid '0123456789abcdef0123456789abcdefX' is 33 bytes long "
                       "(at most 32)");
    assert_parse_error("[policy]\nvpn = \"corp\n",
                       "test.conf:2: the quoted value has no closing '\"'");
    assert_parse_error("[policy]\nvpn = \"corp\" x\n",
                       "test.conf:2: text after the closing quote: 'x'");
    assert_parse_error("[policy]\nvpn = \"c\\orp\"\n",
                       "test.conf:2: unknown escape '\\o' in a quoted value (only \\\" and \\\\)");
    assert_parse_error("[policy]\nvpn = \xff\xfe\n", "test.conf:2: not UTF-8 text");

    /* a NUL byte and an overlong line */
    g_autoptr(GError) error = NULL;
    const char nul[] = "[policy]\nvpn = a\0b\n";
    g_autoptr(PolicyConfig) c = policy_config_parse("test.conf", nul, sizeof(nul) - 1, &error);
    g_assert_null(c);
    g_assert_cmpstr(error->message, ==, "test.conf:2: a NUL byte in the line");
    g_clear_error(&error);
    g_autofree char *filler = g_strnfill(POLICY_MAX_LINE + 1, 'x');
    g_autofree char *longline = g_strdup_printf("[policy]\nvpn = a\n# %s\n", filler);
    g_autoptr(PolicyConfig) l
        = policy_config_parse("test.conf", longline, strlen(longline), &error);
    g_assert_null(l);
    g_autofree char *want = g_strdup_printf("test.conf:3: line of %u bytes (at most %u)",
                                            POLICY_MAX_LINE + 3, POLICY_MAX_LINE);
    g_assert_cmpstr(error->message, ==, want);
}

static const PolicyNetwork cafe = {
    .uuid = "uuid-cafe",
    .id = "cafe",
    .type = "802-11-wireless",
    .iface = "wlan0",
    .ssid = "Cafe Free",
    .bssid = "00:11:22:33:44:55",
    .activated = TRUE,
};
static const PolicyNetwork home = {
    .uuid = "uuid-home",
    .id = "home",
    .type = "802-11-wireless",
    .iface = "wlan0",
    .ssid = "HomeNet",
    .bssid = "66:77:88:99:AA:BB",
    .activated = TRUE,
};
static const PolicyNetwork office = {
    .uuid = "uuid-office",
    .id = "office-wired",
    .type = "802-3-ethernet",
    .iface = "eth0",
    .activated = TRUE,
};

static void
test_trust(void)
{
    g_autoptr(PolicyConfig) c = parse_ok("[policy]\nvpn = corp\n[trusted]\nssid = HomeNet\n"
                                         "connection = uuid-office\n");
    g_assert_null(policy_trusted_match(c, &cafe));
    const PolicyMatch *m = policy_trusted_match(c, &home);
    g_assert_nonnull(m);
    g_assert_cmpint(m->kind, ==, POLICY_MATCH_SSID);
    m = policy_trusted_match(c, &office);
    g_assert_nonnull(m);
    g_assert_cmpint(m->kind, ==, POLICY_MATCH_CONNECTION);

    g_autoptr(PolicyConfig) by_bssid = parse_ok("[policy]\nvpn = corp\n[trusted]\n"
                                                "bssid = 00:11:22:33:44:55\n");
    g_assert_nonnull(policy_trusted_match(by_bssid, &cafe));
    g_assert_null(policy_trusted_match(by_bssid, &home));
    g_autoptr(PolicyConfig) by_type = parse_ok("[policy]\nvpn = corp\n[trusted]\ntype = "
                                               "ethernet\n");
    g_assert_nonnull(policy_trusted_match(by_type, &office));
    g_assert_null(policy_trusted_match(by_type, &home));
    g_autoptr(PolicyConfig) by_name = parse_ok("[policy]\nvpn = corp\n[trusted]\nconnection = "
                                               "office-wired\n");
    g_assert_nonnull(policy_trusted_match(by_name, &office));
}

static void
assert_decision(const PolicyConfig *c, PolicyState *st, const PolicyNetwork *net,
                PolicyVpnState vpn, PolicyAction want, const char *reason_part)
{
    g_autofree char *reason = NULL;
    PolicyAction got = policy_decide(c, st, net, vpn, g_get_real_time(), &reason);
    g_assert_nonnull(reason);
    if (got != want || !strstr(reason, reason_part))
        g_error("decision %d (want %d): %s\n(want the reason to say: %s)", got, want, reason,
                reason_part);
}

static void
test_decisions(void)
{
    g_autoptr(PolicyConfig) c = parse_ok("[policy]\nvpn = corp\n[trusted]\nssid = HomeNet\n");
    g_autoptr(PolicyState) st = g_new0(PolicyState, 1);
    assert_decision(c, st, NULL, POLICY_VPN_DOWN, POLICY_ACT_NONE, "no network");
    assert_decision(c, st, &cafe, POLICY_VPN_DOWN, POLICY_ACT_UP,
                    "network 'cafe' (Wi-Fi 'Cafe Free' 00:11:22:33:44:55 on wlan0) is not trusted");
    g_assert_cmpint(st->pending, ==, POLICY_CHOICE_UP);
    assert_decision(c, st, &cafe, POLICY_VPN_ACTIVATING, POLICY_ACT_NONE, "coming up already");
    assert_decision(c, st, &cafe, POLICY_VPN_UP, POLICY_ACT_NONE, "is up already");
    assert_decision(c, st, &home, POLICY_VPN_UP, POLICY_ACT_DOWN,
                    "is trusted (line 4: ssid = HomeNet): taking 'corp' down");
    g_assert_cmpint(st->pending, ==, POLICY_CHOICE_DOWN);
    assert_decision(c, st, &home, POLICY_VPN_DOWN, POLICY_ACT_NONE, "down already");
    assert_decision(c, st, &cafe, POLICY_VPN_MISSING, POLICY_ACT_NONE, "does not exist");
    /* a network still coming up is decided on by its own 'up' event */
    PolicyNetwork coming = cafe;
    coming.activated = FALSE;
    assert_decision(c, st, &coming, POLICY_VPN_DOWN, POLICY_ACT_NONE, "not fully up yet");

    g_autoptr(PolicyConfig) keep = parse_ok("[policy]\nvpn = corp\ndown-on-trusted = no\n"
                                            "[trusted]\nssid = HomeNet\n");
    assert_decision(keep, st, &home, POLICY_VPN_UP, POLICY_ACT_NONE,
                    "down-on-trusted = no: 'corp' stays up");
}

static void
test_user_choice(void)
{
    g_autoptr(PolicyConfig) c = parse_ok("[policy]\nvpn = corp\n[trusted]\nssid = HomeNet\n");
    g_autoptr(PolicyState) st = g_new0(PolicyState, 1);
    gint64 now = g_get_real_time();
    g_autofree char *r = NULL;
    g_assert_cmpint(policy_decide(c, st, &cafe, POLICY_VPN_DOWN, now, &r), ==, POLICY_ACT_UP);
    /* the policy's own request comes back as vpn-up: not the user's */
    g_autofree char *n1 = policy_note_vpn_event(c, st, POLICY_EVENT_VPN_UP, &cafe, now);
    g_assert_nonnull(strstr(n1, "as the policy asked"));
    g_assert_cmpint(st->user_choice, ==, POLICY_CHOICE_NONE);

    /* the user takes it down: vpn-pre-down without a request of ours */
    g_autofree char *n2 = policy_note_vpn_event(c, st, POLICY_EVENT_VPN_PRE_DOWN, &cafe, now);
    g_assert_nonnull(strstr(n2, "taken down by hand on network 'cafe'"));
    g_autofree char *n3 = policy_note_vpn_event(c, st, POLICY_EVENT_VPN_DOWN, &cafe, now);
    g_assert_nonnull(strstr(n3, "taken down by hand"));
    g_assert_cmpint(st->user_choice, ==, POLICY_CHOICE_DOWN);
    /* ... and it stays down on this network, also after a lost network */
    assert_decision(c, st, &cafe, POLICY_VPN_DOWN, POLICY_ACT_NONE,
                    "taken down by hand on it: it stays down until the network changes");
    assert_decision(c, st, NULL, POLICY_VPN_DOWN, POLICY_ACT_NONE, "no network");
    assert_decision(c, st, &cafe, POLICY_VPN_DOWN, POLICY_ACT_NONE, "it stays down");
    /* the network changes: forgotten */
    assert_decision(c, st, &home, POLICY_VPN_DOWN, POLICY_ACT_NONE,
                    "the network changed from 'cafe'");
    g_assert_cmpint(st->user_choice, ==, POLICY_CHOICE_NONE);
    assert_decision(c, st, &cafe, POLICY_VPN_DOWN, POLICY_ACT_UP, "bringing 'corp' up");

    /* a failure (vpn-down without vpn-pre-down) is no choice */
    g_autofree char *n4 = policy_note_vpn_event(c, st, POLICY_EVENT_VPN_UP, &cafe, now);
    g_assert_nonnull(strstr(n4, "as the policy asked"));
    g_autofree char *n5 = policy_note_vpn_event(c, st, POLICY_EVENT_VPN_DOWN, &cafe, now);
    g_assert_nonnull(strstr(n5, "failed or lost its network"));
    g_assert_cmpint(st->user_choice, ==, POLICY_CHOICE_NONE);
    /* nor is a VPN that goes down with its network */
    PolicyNetwork leaving = cafe;
    leaving.activated = FALSE;
    g_autofree char *n6 = policy_note_vpn_event(c, st, POLICY_EVENT_VPN_PRE_DOWN, &leaving, now);
    g_assert_nonnull(strstr(n6, "with its network"));
    g_assert_cmpint(st->user_choice, ==, POLICY_CHOICE_NONE);

    /* brought up by hand on a trusted network: left up there */
    g_autofree char *n7 = policy_note_vpn_event(c, st, POLICY_EVENT_VPN_UP, &home, now);
    g_assert_nonnull(strstr(n7, "brought up by hand"));
    assert_decision(c, st, &home, POLICY_VPN_UP, POLICY_ACT_NONE, "brought up by hand on it");

    /* a request of the policy that never came true expires */
    st->user_choice = POLICY_CHOICE_NONE;
    st->pending = POLICY_CHOICE_UP;
    st->pending_until_us = now - 1;
    g_autofree char *n8 = policy_note_vpn_event(c, st, POLICY_EVENT_VPN_UP, &home, now);
    g_assert_nonnull(strstr(n8, "by hand"));
}

static void
test_state_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("policy-state-XXXXXX", &error);
    g_assert_no_error(error);
    g_autofree char *path = g_build_filename(dir, "state", NULL);
    g_autofree char *warning = NULL;
    g_autoptr(PolicyState) fresh = policy_state_load(path, &warning);
    g_assert_null(warning);
    g_assert_null(fresh->network);
    PolicyState st = { .network = (char *)"uuid-cafe",
                       .network_name = (char *)"cafe",
                       .user_choice = POLICY_CHOICE_DOWN,
                       .pending = POLICY_CHOICE_UP,
                       .pending_until_us = 1234,
                       .going_down_by = POLICY_DOWN_BY_USER };
    g_assert_true(policy_state_save(&st, path, &error));
    g_autoptr(PolicyState) back = policy_state_load(path, &warning);
    g_assert_null(warning);
    g_assert_cmpstr(back->network, ==, "uuid-cafe");
    g_assert_cmpstr(back->network_name, ==, "cafe");
    g_assert_cmpint(back->user_choice, ==, POLICY_CHOICE_DOWN);
    g_assert_cmpint(back->pending, ==, POLICY_CHOICE_UP);
    g_assert_cmpint(back->pending_until_us, ==, 1234);
    g_assert_cmpint(back->going_down_by, ==, POLICY_DOWN_BY_USER);
    /* a damaged file is a fresh state with a warning */
    g_assert_true(g_file_set_contents(path, "garbage\n[[[", -1, NULL));
    g_autoptr(PolicyState) damaged = policy_state_load(path, &warning);
    g_assert_nonnull(warning);
    g_assert_null(damaged->network);
    g_assert_cmpint(damaged->user_choice, ==, POLICY_CHOICE_NONE);
    g_unlink(path);
    g_rmdir(dir);
}

static void
test_events(void)
{
    g_assert_cmpint(policy_event_parse("up"), ==, POLICY_EVENT_NETWORK);
    g_assert_cmpint(policy_event_parse("down"), ==, POLICY_EVENT_NETWORK);
    g_assert_cmpint(policy_event_parse("dhcp4-change"), ==, POLICY_EVENT_NETWORK);
    g_assert_cmpint(policy_event_parse("connectivity-change"), ==, POLICY_EVENT_NETWORK);
    g_assert_cmpint(policy_event_parse("vpn-up"), ==, POLICY_EVENT_VPN_UP);
    g_assert_cmpint(policy_event_parse("vpn-pre-down"), ==, POLICY_EVENT_VPN_PRE_DOWN);
    g_assert_cmpint(policy_event_parse("vpn-down"), ==, POLICY_EVENT_VPN_DOWN);
    g_assert_cmpint(policy_event_parse("pre-up"), ==, POLICY_EVENT_IGNORED);
    g_assert_cmpint(policy_event_parse("hostname"), ==, POLICY_EVENT_IGNORED);
    g_assert_cmpint(policy_event_parse(NULL), ==, POLICY_EVENT_IGNORED);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/policy/config/good", test_config_good);
    g_test_add_func("/policy/config/errors", test_config_errors);
    g_test_add_func("/policy/trust", test_trust);
    g_test_add_func("/policy/decisions", test_decisions);
    g_test_add_func("/policy/user-choice", test_user_choice);
    g_test_add_func("/policy/state-file", test_state_file);
    g_test_add_func("/policy/events", test_events);
    return g_test_run();
}
