/* nm-cygnet-ipconfig.c: IKE_SA snapshot -> Config, Ip4Config, Ip6Config.
 *
 * Encodings are those of NetworkManager's VPN plugin interface
 * (nm-vpn-dbus-interface.h): IPv4 addresses as a uint32 holding the
 * address in network byte order, IPv6 addresses as byte arrays, IPv4
 * routes as arrays of [network, prefix, next hop, metric], IPv6 routes as
 * (network, prefix, next hop, metric).
 */
#include "config.h"

#include "nm-cygnet-ipconfig.h"

#include <string.h>
#include <sys/socket.h>

#include <NetworkManager.h>

#include "config/cg-config.h"

G_DEFINE_QUARK(nm - cygnet - ip - config - error - quark, nm_cygnet_ip_config_error)

/* Bounds what a gateway's selectors can make us install. */
#define MAX_ROUTES_PER_FAMILY 256
/* Bounds the DNS domains a gateway can make NetworkManager route. */
#define MAX_DNS_DOMAINS 32

typedef struct {
    int family;
    GInetAddress *address; /* virtual IP, or our outer address */
    guint prefix;
    GPtrArray *routes;    /* "net/len" */
    gboolean full_tunnel; /* a selector covers the whole address space */
    GPtrArray *dns;       /* GInetAddress* */
    GPtrArray *domains;   /* char*, owned by the snapshot */
} FamilyConfig;

static void
family_config_clear(FamilyConfig *f)
{
    g_clear_object(&f->address);
    g_clear_pointer(&f->routes, g_ptr_array_unref);
    g_clear_pointer(&f->dns, g_ptr_array_unref);
    g_clear_pointer(&f->domains, g_ptr_array_unref);
}

void
nm_cygnet_ip_config_clear(NmCygnetIpConfig *config)
{
    g_clear_pointer(&config->config, g_variant_unref);
    g_clear_pointer(&config->ip4, g_variant_unref);
    g_clear_pointer(&config->ip6, g_variant_unref);
}

/* ---- ranges and CIDRs -------------------------------------------------------- */

static gboolean
bit_is_set(const guint8 *addr, guint bit)
{
    return (addr[bit / 8] >> (7 - bit % 8)) & 1;
}

/* addr with its last host_bits bits set */
static void
fill_host_bits(guint8 *out, const guint8 *addr, guint addr_len, guint host_bits)
{
    memcpy(out, addr, addr_len);
    for (guint i = 0; i < host_bits; i++) {
        guint bit = addr_len * 8 - 1 - i;
        out[bit / 8] |= (guint8)(1u << (7 - bit % 8));
    }
}

/* addr += 1; FALSE on overflow (addr was all ones) */
static gboolean
increment(guint8 *addr, guint addr_len)
{
    for (guint i = addr_len; i > 0; i--) {
        if (++addr[i - 1] != 0)
            return TRUE;
    }
    return FALSE;
}

gboolean
nm_cygnet_range_to_cidrs(int family, const guint8 *start, const guint8 *end, guint max_out,
                         GPtrArray *out)
{
    guint addr_len = family == AF_INET6 ? 16 : 4;
    guint bits = addr_len * 8;
    guint8 cursor[16], block_end[16];
    memcpy(cursor, start, addr_len);
    if (memcmp(cursor, end, addr_len) > 0)
        return TRUE; /* empty */
    for (guint n = 0;; n++) {
        if (n == max_out)
            return FALSE;
        /* the largest aligned block starting at cursor that ends <= end */
        guint host_bits = 0;
        while (host_bits < bits && !bit_is_set(cursor, bits - 1 - host_bits))
            host_bits++;
        for (;;) {
            fill_host_bits(block_end, cursor, addr_len, host_bits);
            if (memcmp(block_end, end, addr_len) <= 0)
                break;
            host_bits--;
        }
        g_autoptr(GInetAddress) net = g_inet_address_new_from_bytes(
            cursor, family == AF_INET6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
        g_autofree char *text = g_inet_address_to_string(net);
        g_ptr_array_add(out, g_strdup_printf("%s/%u", text, bits - host_bits));
        if (memcmp(block_end, end, addr_len) == 0)
            return TRUE;
        memcpy(cursor, block_end, addr_len);
        if (!increment(cursor, addr_len))
            return TRUE;
    }
}

/* ---- collecting a family ------------------------------------------------------ */

static int
family_of(GInetAddress *a)
{
    return g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
}

static gboolean
string_known(GPtrArray *strings, const char *wanted)
{
    for (guint i = 0; i < strings->len; i++)
        if (strcmp(strings->pdata[i], wanted) == 0)
            return TRUE;
    return FALSE;
}

/* Remote selectors of every CHILD_SA -> CIDR routes of f's family. */
static void
collect_routes(const CgIkeSnapshot *ike, FamilyConfig *f)
{
    guint8 ts_type = f->family == AF_INET6 ? CG_TS_IPV6_ADDR_RANGE : CG_TS_IPV4_ADDR_RANGE;
    for (guint i = 0; ike->children && i < ike->children->len; i++) {
        const CgChildSnapshot *child = ike->children->pdata[i];
        for (guint j = 0; child->remote_ts && j < child->remote_ts->len; j++) {
            CgTsConfig ts;
            if (!cg_ts_parse(child->remote_ts->pdata[j], &ts, NULL) || ts.dynamic
                || ts.ts.ts_type != ts_type)
                continue;
            g_autoptr(GPtrArray) cidrs = g_ptr_array_new_with_free_func(g_free);
            nm_cygnet_range_to_cidrs(f->family, ts.ts.start_addr, ts.ts.end_addr,
                                     MAX_ROUTES_PER_FAMILY, cidrs);
            for (guint k = 0; k < cidrs->len; k++) {
                const char *cidr = cidrs->pdata[k];
                if (g_str_has_suffix(cidr, "/0")) {
                    f->full_tunnel = TRUE;
                    continue;
                }
                if (f->routes->len < MAX_ROUTES_PER_FAMILY && !string_known(f->routes, cidr))
                    g_ptr_array_add(f->routes, g_strdup(cidr));
            }
        }
    }
}

static void
collect_family(const CgIkeSnapshot *ike, int family, FamilyConfig *f)
{
    f->family = family;
    f->routes = g_ptr_array_new_with_free_func(g_free);
    f->dns = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; ike->local_vips && i < ike->local_vips->len && !f->address; i++) {
        GInetAddress *vip = g_inet_address_new_from_string(ike->local_vips->pdata[i]);
        if (vip && family_of(vip) == family)
            f->address = g_object_ref(vip);
        g_clear_object(&vip);
    }
    collect_routes(ike, f);
    if (!f->address && (f->routes->len || f->full_tunnel) && ike->local) {
        /* no virtual IP: traffic leaves with our own address */
        GInetAddress *outer = g_inet_socket_address_get_address(ike->local);
        if (family_of(outer) == family)
            f->address = g_object_ref(outer);
    }
    f->prefix = family == AF_INET6 ? 128 : 32;
    for (guint i = 0; ike->dns && i < ike->dns->len; i++) {
        GInetAddress *dns = g_inet_address_new_from_string(ike->dns->pdata[i]);
        if (dns && family_of(dns) == family)
            g_ptr_array_add(f->dns, g_steal_pointer(&dns));
        g_clear_object(&dns);
    }
    /* RFC 8598 4: INTERNAL_DNS_DOMAIN names the domains the gateway's DNS
     * servers resolve. NetworkManager sends queries for them (and only
     * them, on a split tunnel) to this connection's servers: split DNS
     * with its dnsmasq or systemd-resolved plugins. They carry no address
     * family, so each family's config names them with its own servers. */
    f->domains = g_ptr_array_new();
    for (guint i = 0; ike->dns_domains && i < ike->dns_domains->len; i++) {
        const char *domain = ike->dns_domains->pdata[i];
        if (f->domains->len < MAX_DNS_DOMAINS && domain && *domain
            && !string_known(f->domains, domain))
            g_ptr_array_add(f->domains, (gpointer)domain);
    }
}

/* ---- encoding ---------------------------------------------------------------- */

static guint32
ip4_as_u32(GInetAddress *a)
{
    guint32 u;
    memcpy(&u, g_inet_address_to_bytes(a), 4); /* stays in network byte order */
    return u;
}

static GVariant *
ip6_as_bytes(GInetAddress *a)
{
    return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, g_inet_address_to_bytes(a), 16, 1);
}

/* NetworkManager's "domains" (as): the search domains of a VPN config */
static GVariant *
domains_as_strv(const FamilyConfig *f)
{
    return g_variant_new_strv((const char *const *)f->domains->pdata, f->domains->len);
}

static void
split_cidr(const char *cidr, GInetAddress **net, guint *prefix)
{
    g_auto(GStrv) parts = g_strsplit(cidr, "/", 2);
    *net = g_inet_address_new_from_string(parts[0]);
    *prefix = (guint)g_ascii_strtoull(parts[1], NULL, 10);
}

static GVariant *
build_ip4(const FamilyConfig *f, gboolean never_default)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_ADDRESS,
                          g_variant_new_uint32(ip4_as_u32(f->address)));
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_PREFIX,
                          g_variant_new_uint32(f->prefix));
    if (f->dns->len) {
        GVariantBuilder dns;
        g_variant_builder_init(&dns, G_VARIANT_TYPE("au"));
        for (guint i = 0; i < f->dns->len; i++)
            g_variant_builder_add(&dns, "u", ip4_as_u32(f->dns->pdata[i]));
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_DNS,
                              g_variant_builder_end(&dns));
    }
    if (f->domains->len)
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_DOMAINS, domains_as_strv(f));
    if (f->routes->len) {
        GVariantBuilder routes;
        g_variant_builder_init(&routes, G_VARIANT_TYPE("aau"));
        for (guint i = 0; i < f->routes->len; i++) {
            g_autoptr(GInetAddress) net = NULL;
            guint prefix;
            split_cidr(f->routes->pdata[i], &net, &prefix);
            guint32 route[4] = { ip4_as_u32(net), prefix, 0 /* next hop: on link */, 0 };
            g_variant_builder_add_value(
                &routes, g_variant_new_fixed_array(G_VARIANT_TYPE_UINT32, route, 4, 4));
        }
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_ROUTES,
                              g_variant_builder_end(&routes));
    }
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT,
                          g_variant_new_boolean(never_default));
    return g_variant_ref_sink(g_variant_builder_end(&b));
}

static GVariant *
build_ip6(const FamilyConfig *f, gboolean never_default)
{
    static const guint8 unspecified[16] = { 0 };
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_ADDRESS, ip6_as_bytes(f->address));
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_PREFIX,
                          g_variant_new_uint32(f->prefix));
    if (f->dns->len) {
        GVariantBuilder dns;
        g_variant_builder_init(&dns, G_VARIANT_TYPE("aay"));
        for (guint i = 0; i < f->dns->len; i++)
            g_variant_builder_add_value(&dns, ip6_as_bytes(f->dns->pdata[i]));
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_DNS,
                              g_variant_builder_end(&dns));
    }
    if (f->domains->len)
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_DOMAINS, domains_as_strv(f));
    if (f->routes->len) {
        GVariantBuilder routes;
        g_variant_builder_init(&routes, G_VARIANT_TYPE("a(ayuayu)"));
        for (guint i = 0; i < f->routes->len; i++) {
            g_autoptr(GInetAddress) net = NULL;
            guint prefix;
            split_cidr(f->routes->pdata[i], &net, &prefix);
            g_variant_builder_add(
                &routes, "(@ayu@ayu)", ip6_as_bytes(net), prefix,
                g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, unspecified, 16, 1), 0);
        }
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_ROUTES,
                              g_variant_builder_end(&routes));
    }
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_NEVER_DEFAULT,
                          g_variant_new_boolean(never_default));
    return g_variant_ref_sink(g_variant_builder_end(&b));
}

/* One line a user sees in `nmcli connection show` (VPN.BANNER). */
static char *
build_banner(const CgIkeSnapshot *ike, GInetAddress *gateway)
{
    g_autofree char *gw = g_inet_address_to_string(gateway);
    const CgChildSnapshot *child
        = ike->children && ike->children->len ? ike->children->pdata[0] : NULL;
    return g_strdup_printf(
        "IKEv2 with %s (%s): IKE %s, ESP %s", ike->remote_id ? ike->remote_id : "?", gw,
        ike->proposal ? ike->proposal : "?", child && child->proposal ? child->proposal : "?");
}

gboolean
nm_cygnet_ip_config_build(const CgIkeSnapshot *ike, const NmCygnetIpOptions *options,
                          NmCygnetIpConfig *out, GError **error)
{
    memset(out, 0, sizeof(*out));
    if (!ike->remote) {
        g_set_error_literal(error, NM_CYGNET_IP_CONFIG_ERROR, 0,
                            "the IKE_SA has no gateway address");
        return FALSE;
    }
    FamilyConfig v4 = { 0 }, v6 = { 0 };
    collect_family(ike, AF_INET, &v4);
    collect_family(ike, AF_INET6, &v6);
    if (!v4.address && !v6.address) {
        family_config_clear(&v4);
        family_config_clear(&v6);
        g_set_error_literal(error, NM_CYGNET_IP_CONFIG_ERROR, 0,
                            "the gateway assigned no virtual address and the tunnel's traffic "
                            "selectors cover no network to route");
        return FALSE;
    }

    GInetAddress *gateway = g_inet_socket_address_get_address(ike->remote);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    if (family_of(gateway) == AF_INET)
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY,
                              g_variant_new_uint32(ip4_as_u32(gateway)));
    else
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY, ip6_as_bytes(gateway));
    if (options->tundev) {
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_TUNDEV,
                              g_variant_new_string(options->tundev));
        if (options->mtu)
            g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_MTU,
                                  g_variant_new_uint32(options->mtu));
    }
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_HAS_IP4,
                          g_variant_new_boolean(v4.address != NULL));
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_HAS_IP6,
                          g_variant_new_boolean(v6.address != NULL));
    g_autofree char *banner = build_banner(ike, gateway);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_BANNER, g_variant_new_string(banner));
    out->config = g_variant_ref_sink(g_variant_builder_end(&b));

    /* A split tunnel never takes the default route; a full one does unless
     * the user said otherwise. */
    if (v4.address)
        out->ip4 = build_ip4(&v4, !v4.full_tunnel || options->never_default4);
    if (v6.address)
        out->ip6 = build_ip6(&v6, !v6.full_tunnel || options->never_default6);
    family_config_clear(&v4);
    family_config_clear(&v6);
    return TRUE;
}
