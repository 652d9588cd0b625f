/* test-nm-ipconfig: what NetworkManager is told about an established
 * tunnel (src/service/nm/nm-cygnet-ipconfig.c): Config, Ip4Config and
 * Ip6Config from IKE_SA snapshots, in NetworkManager's encodings. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <NetworkManager.h>

#include "nm-cygnet-ipconfig.h"

/* ---- building snapshots --------------------------------------------------- */

static GPtrArray *strings(const char *first, ...) G_GNUC_NULL_TERMINATED;

static GPtrArray *
strings(const char *first, ...)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        g_ptr_array_add(a, g_strdup(s));
    va_end(ap);
    return a;
}

static GInetSocketAddress *
sockaddr(const char *ip, guint16 port)
{
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);
    return G_INET_SOCKET_ADDRESS(g_inet_socket_address_new(a, port));
}

/* A snapshot of an IKE_SA from 10.80.0.2 to gateway 10.80.0.1 with one
 * CHILD_SA whose remote selectors are given; vips and dns may be NULL. */
static CgIkeSnapshot *
snapshot(GPtrArray *vips, GPtrArray *dns, GPtrArray *remote_ts)
{
    CgIkeSnapshot *s = g_new0(CgIkeSnapshot, 1);
    s->conn_name = g_strdup("corp");
    s->state = CG_IKE_STATE_ESTABLISHED;
    s->initiator = TRUE;
    s->local = sockaddr("10.80.0.2", 40000);
    s->remote = sockaddr("10.80.0.1", 4500);
    s->proposal = g_strdup("aes256gcm16-prfsha256-x25519");
    s->local_id = g_strdup("client.test");
    s->remote_id = g_strdup("gw.test");
    s->local_vips = vips ? vips : strings(NULL, NULL);
    s->remote_vips = strings(NULL, NULL);
    s->dns = dns ? dns : strings(NULL, NULL);
    s->split_subnets = strings(NULL, NULL);
    s->children = g_ptr_array_new_with_free_func((GDestroyNotify)cg_child_snapshot_free);
    CgChildSnapshot *c = g_new0(CgChildSnapshot, 1);
    c->name = g_strdup("tunnel");
    c->proposal = g_strdup("aes256gcm16");
    c->local_ts = strings("10.3.0.1/32", NULL);
    c->remote_ts = remote_ts;
    g_ptr_array_add(s->children, c);
    return s;
}

/* ---- reading the dictionaries ------------------------------------------------ */

static char *
ip4_text(guint32 network_order)
{
    g_autoptr(GInetAddress) a
        = g_inet_address_new_from_bytes((const guint8 *)&network_order, G_SOCKET_FAMILY_IPV4);
    return g_inet_address_to_string(a);
}

static char *
ip6_text(GVariant *bytes)
{
    gsize n;
    const guint8 *b = g_variant_get_fixed_array(bytes, &n, 1);
    g_assert_cmpuint(n, ==, 16);
    g_autoptr(GInetAddress) a = g_inet_address_new_from_bytes(b, G_SOCKET_FAMILY_IPV6);
    return g_inet_address_to_string(a);
}

static char *
lookup_ip4(GVariant *dict, const char *key)
{
    guint32 u;
    g_assert_true(g_variant_lookup(dict, key, "u", &u));
    return ip4_text(u);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "net/prefix" lines of an Ip4Config's routes, sorted */
static char *
ip4_routes(GVariant *ip4)
{
    g_autoptr(GVariant) routes
        = g_variant_lookup_value(ip4, NM_VPN_PLUGIN_IP4_CONFIG_ROUTES, G_VARIANT_TYPE("aau"));
    if (!routes)
        return g_strdup("");
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    for (gsize i = 0; i < g_variant_n_children(routes); i++) {
        g_autoptr(GVariant) r = g_variant_get_child_value(routes, i);
        gsize n;
        const guint32 *v = g_variant_get_fixed_array(r, &n, sizeof(guint32));
        g_assert_cmpuint(n, ==, 4);
        g_assert_cmpuint(v[2], ==, 0); /* next hop: on link */
        g_autofree char *net = ip4_text(v[0]);
        g_ptr_array_add(lines, g_strdup_printf("%s/%u", net, v[1]));
    }
    g_ptr_array_sort(lines, compare_strings);
    g_ptr_array_add(lines, NULL);
    return g_strjoinv(" ", (char **)lines->pdata);
}

static gboolean
lookup_bool(GVariant *dict, const char *key)
{
    gboolean b;
    g_assert_true(g_variant_lookup(dict, key, "b", &b));
    return b;
}

/* ---- tests ------------------------------------------------------------------- */

static void
test_split_tunnel(void)
{
    g_autoptr(CgIkeSnapshot) ike
        = snapshot(strings("10.3.0.1", NULL), strings("10.3.0.53", "fd00::53", NULL),
                   strings("10.72.0.0/16", "10.73.0.1-10.73.0.9", "10.74.0.0/24[tcp/443]", NULL));
    NmCygnetIpOptions options = { 0 };
    NmCygnetIpConfig config;
    g_autoptr(GError) error = NULL;
    g_assert_true(nm_cygnet_ip_config_build(ike, &options, &config, &error));
    g_assert_no_error(error);

    g_autofree char *gw = lookup_ip4(config.config, NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY);
    g_assert_cmpstr(gw, ==, "10.80.0.1");
    g_assert_true(lookup_bool(config.config, NM_VPN_PLUGIN_CONFIG_HAS_IP4));
    g_assert_false(lookup_bool(config.config, NM_VPN_PLUGIN_CONFIG_HAS_IP6));
    g_assert_false(g_variant_lookup(config.config, NM_VPN_PLUGIN_CONFIG_TUNDEV, "&s", NULL));
    g_assert_false(g_variant_lookup(config.config, NM_VPN_PLUGIN_CONFIG_MTU, "u", NULL));
    const char *banner = NULL;
    g_assert_true(g_variant_lookup(config.config, NM_VPN_PLUGIN_CONFIG_BANNER, "&s", &banner));
    g_assert_cmpstr(banner, ==,
                    "IKEv2 with gw.test (10.80.0.1): IKE aes256gcm16-prfsha256-x25519, ESP "
                    "aes256gcm16");

    g_assert_nonnull(config.ip4);
    g_assert_null(config.ip6);
    g_autofree char *addr = lookup_ip4(config.ip4, NM_VPN_PLUGIN_IP4_CONFIG_ADDRESS);
    g_assert_cmpstr(addr, ==, "10.3.0.1");
    guint32 prefix;
    g_assert_true(g_variant_lookup(config.ip4, NM_VPN_PLUGIN_IP4_CONFIG_PREFIX, "u", &prefix));
    g_assert_cmpuint(prefix, ==, 32);
    g_autoptr(GVariant) dns
        = g_variant_lookup_value(config.ip4, NM_VPN_PLUGIN_IP4_CONFIG_DNS, G_VARIANT_TYPE("au"));
    g_assert_nonnull(dns);
    g_assert_cmpuint(g_variant_n_children(dns), ==, 1); /* the IPv6 one goes to Ip6Config */
    g_autofree char *routes = ip4_routes(config.ip4);
    g_assert_cmpstr(routes, ==,
                    "10.72.0.0/16 10.73.0.1/32 10.73.0.2/31 10.73.0.4/30 10.73.0.8/31 "
                    "10.74.0.0/24");
    /* a split tunnel never takes the default route */
    g_assert_true(lookup_bool(config.ip4, NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT));
    nm_cygnet_ip_config_clear(&config);
}

static void
test_full_tunnel(void)
{
    g_autoptr(CgIkeSnapshot) ike
        = snapshot(strings("10.3.0.7", NULL), NULL, strings("0.0.0.0/0", NULL));
    NmCygnetIpOptions options = { .tundev = "cgtun0", .mtu = 1400 };
    NmCygnetIpConfig config;
    g_assert_true(nm_cygnet_ip_config_build(ike, &options, &config, NULL));
    const char *tundev = NULL;
    g_assert_true(g_variant_lookup(config.config, NM_VPN_PLUGIN_CONFIG_TUNDEV, "&s", &tundev));
    g_assert_cmpstr(tundev, ==, "cgtun0");
    guint32 mtu;
    g_assert_true(g_variant_lookup(config.config, NM_VPN_PLUGIN_CONFIG_MTU, "u", &mtu));
    g_assert_cmpuint(mtu, ==, 1400);
    g_autofree char *routes = ip4_routes(config.ip4);
    g_assert_cmpstr(routes, ==, "");
    /* the whole address space: the default route goes through the VPN */
    g_assert_false(lookup_bool(config.ip4, NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT));
    nm_cygnet_ip_config_clear(&config);

    /* ... unless the user said never-default */
    options.never_default4 = TRUE;
    g_assert_true(nm_cygnet_ip_config_build(ike, &options, &config, NULL));
    g_assert_true(lookup_bool(config.ip4, NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT));
    nm_cygnet_ip_config_clear(&config);
}

static void
test_ipv6(void)
{
    g_autoptr(CgIkeSnapshot) ike = snapshot(strings("fd00:3::1", NULL), strings("fd00:3::53", NULL),
                                            strings("::/0", "fd00:72::/48", NULL));
    NmCygnetIpOptions options = { 0 };
    NmCygnetIpConfig config;
    g_assert_true(nm_cygnet_ip_config_build(ike, &options, &config, NULL));
    g_assert_false(lookup_bool(config.config, NM_VPN_PLUGIN_CONFIG_HAS_IP4));
    g_assert_true(lookup_bool(config.config, NM_VPN_PLUGIN_CONFIG_HAS_IP6));
    g_assert_null(config.ip4);
    g_assert_nonnull(config.ip6);
    g_autoptr(GVariant) addr = g_variant_lookup_value(config.ip6, NM_VPN_PLUGIN_IP6_CONFIG_ADDRESS,
                                                      G_VARIANT_TYPE("ay"));
    g_autofree char *addr_text = ip6_text(addr);
    g_assert_cmpstr(addr_text, ==, "fd00:3::1");
    g_autoptr(GVariant) dns
        = g_variant_lookup_value(config.ip6, NM_VPN_PLUGIN_IP6_CONFIG_DNS, G_VARIANT_TYPE("aay"));
    g_assert_cmpuint(g_variant_n_children(dns), ==, 1);
    g_autoptr(GVariant) routes = g_variant_lookup_value(config.ip6, NM_VPN_PLUGIN_IP6_CONFIG_ROUTES,
                                                        G_VARIANT_TYPE("a(ayuayu)"));
    g_assert_cmpuint(g_variant_n_children(routes), ==, 1);
    g_autoptr(GVariant) dest = NULL, next_hop = NULL;
    guint32 prefix, metric;
    g_variant_get_child(routes, 0, "(@ayu@ayu)", &dest, &prefix, &next_hop, &metric);
    g_autofree char *dest_text = ip6_text(dest);
    g_assert_cmpstr(dest_text, ==, "fd00:72::");
    g_assert_cmpuint(prefix, ==, 48);
    g_assert_false(lookup_bool(config.ip6, NM_VPN_PLUGIN_IP6_CONFIG_NEVER_DEFAULT));
    nm_cygnet_ip_config_clear(&config);
}

/* The gateway's DNS domains (RFC 8598) become the VPN's domains in both
 * families, once each: NetworkManager's dnsmasq and systemd-resolved
 * plugins route those names, and only those, to the VPN's servers. */
static void
test_dns_domains(void)
{
    g_autoptr(CgIkeSnapshot) ike
        = snapshot(strings("10.3.0.1", "fd00:3::1", NULL), strings("10.72.0.53", NULL),
                   strings("10.72.0.0/16", "fd00:72::/48", NULL));
    ike->dns_domains = strings("corp.test", "corp.test", "eng.corp.test", NULL);
    NmCygnetIpOptions options = { 0 };
    NmCygnetIpConfig config;
    g_assert_true(nm_cygnet_ip_config_build(ike, &options, &config, NULL));
    const char *keys[] = { NM_VPN_PLUGIN_IP4_CONFIG_DOMAINS, NM_VPN_PLUGIN_IP6_CONFIG_DOMAINS };
    GVariant *dicts[] = { config.ip4, config.ip6 };
    for (guint i = 0; i < 2; i++) {
        g_assert_nonnull(dicts[i]);
        g_autoptr(GVariant) domains
            = g_variant_lookup_value(dicts[i], keys[i], G_VARIANT_TYPE_STRING_ARRAY);
        g_assert_nonnull(domains);
        g_autofree const char **list = g_variant_get_strv(domains, NULL);
        g_assert_cmpuint(g_strv_length((char **)list), ==, 2);
        g_assert_cmpstr(list[0], ==, "corp.test");
        g_assert_cmpstr(list[1], ==, "eng.corp.test");
    }
    nm_cygnet_ip_config_clear(&config);

    /* none received: no domains key at all */
    g_autoptr(CgIkeSnapshot) plain
        = snapshot(strings("10.3.0.1", NULL), NULL, strings("10.72.0.0/16", NULL));
    g_assert_true(nm_cygnet_ip_config_build(plain, &options, &config, NULL));
    g_autoptr(GVariant) none
        = g_variant_lookup_value(config.ip4, NM_VPN_PLUGIN_IP4_CONFIG_DOMAINS, NULL);
    g_assert_null(none);
    nm_cygnet_ip_config_clear(&config);
}

/* No virtual IP: the tunnel carries our own address. */
static void
test_no_virtual_ip(void)
{
    g_autoptr(CgIkeSnapshot) ike = snapshot(NULL, NULL, strings("10.72.0.0/16", NULL));
    NmCygnetIpOptions options = { 0 };
    NmCygnetIpConfig config;
    g_assert_true(nm_cygnet_ip_config_build(ike, &options, &config, NULL));
    g_autofree char *addr = lookup_ip4(config.ip4, NM_VPN_PLUGIN_IP4_CONFIG_ADDRESS);
    g_assert_cmpstr(addr, ==, "10.80.0.2");
    nm_cygnet_ip_config_clear(&config);
}

static void
test_nothing_to_configure(void)
{
    /* no address for us, and only IPv6 selectors with an IPv4 outer address */
    g_autoptr(CgIkeSnapshot) ike = snapshot(NULL, NULL, strings("fd00::/64", NULL));
    NmCygnetIpOptions options = { 0 };
    NmCygnetIpConfig config;
    g_autoptr(GError) error = NULL;
    g_assert_false(nm_cygnet_ip_config_build(ike, &options, &config, &error));
    g_assert_nonnull(error);
    g_assert_null(config.config);
}

static void
check_cidrs(int family, const char *start, const char *end, const char *want)
{
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(start);
    g_autoptr(GInetAddress) b = g_inet_address_new_from_string(end);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(nm_cygnet_range_to_cidrs(family, g_inet_address_to_bytes(a),
                                           g_inet_address_to_bytes(b), 300, out));
    g_ptr_array_add(out, NULL);
    g_autofree char *got = g_strjoinv(" ", (char **)out->pdata);
    g_assert_cmpstr(got, ==, want);
}

static void
test_ranges(void)
{
    check_cidrs(AF_INET, "0.0.0.0", "255.255.255.255", "0.0.0.0/0");
    check_cidrs(AF_INET, "10.0.0.0", "10.0.0.255", "10.0.0.0/24");
    check_cidrs(AF_INET, "10.0.0.5", "10.0.0.5", "10.0.0.5/32");
    check_cidrs(AF_INET, "10.0.0.255", "10.0.1.0", "10.0.0.255/32 10.0.1.0/32");
    check_cidrs(AF_INET, "255.255.255.254", "255.255.255.255", "255.255.255.254/31");
    check_cidrs(AF_INET, "10.0.0.9", "10.0.0.1", ""); /* empty */
    check_cidrs(AF_INET6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0");
    check_cidrs(AF_INET6, "fd00::1", "fd00::2", "fd00::1/128 fd00::2/128");
    /* the worst case of a /32 split is 62 CIDRs; a bound cuts it short */
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string("0.0.0.1");
    g_autoptr(GInetAddress) b = g_inet_address_new_from_string("255.255.255.254");
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_assert_false(nm_cygnet_range_to_cidrs(AF_INET, g_inet_address_to_bytes(a),
                                            g_inet_address_to_bytes(b), 10, out));
    g_assert_cmpuint(out->len, ==, 10);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nm/ipconfig/split-tunnel", test_split_tunnel);
    g_test_add_func("/nm/ipconfig/full-tunnel", test_full_tunnel);
    g_test_add_func("/nm/ipconfig/ipv6", test_ipv6);
    g_test_add_func("/nm/ipconfig/dns-domains", test_dns_domains);
    g_test_add_func("/nm/ipconfig/no-virtual-ip", test_no_virtual_ip);
    g_test_add_func("/nm/ipconfig/nothing-to-configure", test_nothing_to_configure);
    g_test_add_func("/nm/ipconfig/ranges", test_ranges);
    return g_test_run();
}
