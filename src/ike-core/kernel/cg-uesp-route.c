/* cg-uesp-route.c: steering traffic into the TUN device: a routing table
 * of its own with a route per remote selector prefix, a rule that makes
 * every packet but our own marked ones look there first, virtual IPs on
 * the device, and its MTU. Main context only. */
#include "kernel/cg-uesp-private.h"

#include <netinet/in.h>
#include <string.h>
#include <arpa/inet.h>

#include "kernel/cg-ip.h"
#include "log/cg-log.h"

#define IPV6_MIN_MTU 1280
#define IPV4_MIN_MTU 576

static char *
prefix_key(const CgIpPrefix *p)
{
    char text[INET6_ADDRSTRLEN];
    inet_ntop(p->family, p->addr, text, sizeof(text));
    return g_strdup_printf("%s/%u", text, p->prefix_len);
}

gboolean
cg_uesp_routing_init(CgUesp *u, GError **error)
{
    u->route_table = CG_UESP_TABLE_BASE + (guint32)u->tun.ifindex;
    u->rule_priority = CG_UESP_RULE_PRIO_MIN + (guint32)u->tun.ifindex % CG_UESP_RULE_PRIO_N;
    /* "not fwmark MARK lookup TABLE": everything but our own sockets. A
     * rule that exists already (EEXIST) is left by an instance that died
     * with the same ifindex: ours now. Its routes went with its device. */
    if (!cg_rtnl_rule(u->nl, TRUE, AF_INET, u->rule_priority, u->route_table, CG_UESP_BYPASS_MARK,
                      CG_UESP_BYPASS_MASK, TRUE, error))
        return FALSE;
    g_autoptr(GError) v6_error = NULL;
    if (!cg_rtnl_rule(u->nl, TRUE, AF_INET6, u->rule_priority, u->route_table, CG_UESP_BYPASS_MARK,
                      CG_UESP_BYPASS_MASK, TRUE, &v6_error))
        cg_info(NULL, "uesp: no IPv6 routing rule (%s): IPv6 selectors will not be routed",
                v6_error->message);
    u->rules_added = TRUE;
    cg_info(NULL, "uesp: routing table %u, rule priority %u for %s", u->route_table,
            u->rule_priority, u->tun.name);
    return TRUE;
}

void
cg_uesp_routing_cleanup(CgUesp *u)
{
    if (!u->nl)
        return;
    if (u->rules_added) {
        cg_rtnl_rule(u->nl, FALSE, AF_INET, u->rule_priority, u->route_table, CG_UESP_BYPASS_MARK,
                     CG_UESP_BYPASS_MASK, TRUE, NULL);
        cg_rtnl_rule(u->nl, FALSE, AF_INET6, u->rule_priority, u->route_table, CG_UESP_BYPASS_MARK,
                     CG_UESP_BYPASS_MASK, TRUE, NULL);
        u->rules_added = FALSE;
    }
    for (guint i = 0; u->vips && i < u->vips->len; i++) {
        CgIpPrefix *v = u->vips->pdata[i];
        cg_rtnl_addr(u->nl, FALSE, u->tun.ifindex, v->family, v->addr, v->prefix_len, NULL);
    }
}

/* Is addr inside one of the selectors' address ranges (whatever their
 * protocol and ports)? */
static gboolean
ts_contains_addr(const GArray *ts, int family, const guint8 *addr)
{
    gsize n = family == AF_INET6 ? 16 : 4;
    for (guint i = 0; i < ts->len; i++) {
        const CgTrafficSelector *t = &g_array_index(ts, CgTrafficSelector, i);
        if ((t->ts_type == CG_TS_IPV6_ADDR_RANGE) == (family == AF_INET6)
            && memcmp(addr, t->start_addr, n) >= 0 && memcmp(addr, t->end_addr, n) <= 0)
            return TRUE;
    }
    return FALSE;
}

/* The source address for routes of p's family: a virtual IP inside the
 * local selectors, else the local selector itself when it is one host. */
static const guint8 *
pick_source(CgUesp *u, const UespPolicy *p, int family)
{
    for (guint i = 0; i < u->vips->len; i++) {
        CgIpPrefix *v = u->vips->pdata[i];
        if (v->family == family && ts_contains_addr(p->local_ts, family, v->addr))
            return v->addr;
    }
    gsize n = family == AF_INET6 ? 16 : 4;
    for (guint i = 0; i < p->local_ts->len; i++) {
        const CgTrafficSelector *t = &g_array_index(p->local_ts, CgTrafficSelector, i);
        if ((t->ts_type == CG_TS_IPV6_ADDR_RANGE) == (family == AF_INET6)
            && memcmp(t->start_addr, t->end_addr, n) == 0)
            return t->start_addr;
    }
    return NULL;
}

static gboolean
install_route(CgUesp *u, const CgIpPrefix *pfx, const guint8 *src, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    if (cg_rtnl_route(u->nl, TRUE, u->route_table, pfx->family, pfx->addr, pfx->prefix_len,
                      u->tun.ifindex, src, 0, &local_error))
        return TRUE;
    if (!src) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    /* the selector's address is not ours (yet): route without a source */
    g_autofree char *key = prefix_key(pfx);
    cg_debug(NULL, "uesp: route %s with a source address failed (%s), adding it without", key,
             local_error->message);
    return cg_rtnl_route(u->nl, TRUE, u->route_table, pfx->family, pfx->addr, pfx->prefix_len,
                         u->tun.ifindex, NULL, 0, error);
}

gboolean
cg_uesp_routes_add(CgUesp *u, UespPolicy *p, GError **error)
{
    for (guint i = 0; i < p->prefixes->len; i++) {
        CgIpPrefix *pfx = &g_array_index(p->prefixes, CgIpPrefix, i);
        char *key = prefix_key(pfx);
        guint refs = GPOINTER_TO_UINT(g_hash_table_lookup(u->routes, key));
        /* a rekeyed SA's policy routes the same prefixes: (re)install so
         * the source address follows the newest policy */
        if (!install_route(u, pfx, pick_source(u, p, pfx->family), error)) {
            g_free(key);
            /* undo what this policy added */
            for (guint j = 0; j < i; j++) {
                CgIpPrefix *done = &g_array_index(p->prefixes, CgIpPrefix, j);
                g_autofree char *k = prefix_key(done);
                guint r = GPOINTER_TO_UINT(g_hash_table_lookup(u->routes, k));
                if (r <= 1) {
                    cg_rtnl_route(u->nl, FALSE, u->route_table, done->family, done->addr,
                                  done->prefix_len, u->tun.ifindex, NULL, 0, NULL);
                    g_hash_table_remove(u->routes, k);
                } else
                    g_hash_table_insert(u->routes, g_strdup(k), GUINT_TO_POINTER(r - 1));
            }
            return FALSE;
        }
        g_hash_table_insert(u->routes, key, GUINT_TO_POINTER(refs + 1));
    }
    return TRUE;
}

void
cg_uesp_routes_del(CgUesp *u, UespPolicy *p)
{
    for (guint i = 0; i < p->prefixes->len; i++) {
        CgIpPrefix *pfx = &g_array_index(p->prefixes, CgIpPrefix, i);
        g_autofree char *key = prefix_key(pfx);
        guint refs = GPOINTER_TO_UINT(g_hash_table_lookup(u->routes, key));
        if (refs > 1) {
            g_hash_table_insert(u->routes, g_strdup(key), GUINT_TO_POINTER(refs - 1));
            continue;
        }
        g_hash_table_remove(u->routes, key);
        g_autoptr(GError) error = NULL;
        if (!cg_rtnl_route(u->nl, FALSE, u->route_table, pfx->family, pfx->addr, pfx->prefix_len,
                           u->tun.ifindex, NULL, 0, &error))
            cg_debug(NULL, "uesp: removing route %s: %s", key, error->message);
    }
}

static gboolean
vip_to_prefix(GInetAddress *addr, guint prefix, CgIpPrefix *out, GError **error)
{
    memset(out, 0, sizeof(*out));
    gboolean v6 = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6;
    out->family = v6 ? AF_INET6 : AF_INET;
    if (prefix > (v6 ? 128u : 32u)) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                    "prefix length %u is too long for the address", prefix);
        return FALSE;
    }
    out->prefix_len = (guint8)prefix;
    memcpy(out->addr, g_inet_address_to_bytes(addr), v6 ? 16 : 4);
    return TRUE;
}

/* Routes of policies whose local side holds addr pick it up as their
 * source address. */
static void
refresh_routes_for(CgUesp *u, const CgIpPrefix *vip)
{
    for (guint i = 0; i < u->policies->len; i++) {
        UespPolicy *p = u->policies->pdata[i];
        if (!ts_contains_addr(p->local_ts, vip->family, vip->addr))
            continue;
        for (guint j = 0; j < p->prefixes->len; j++) {
            CgIpPrefix *pfx = &g_array_index(p->prefixes, CgIpPrefix, j);
            if (pfx->family == vip->family)
                install_route(u, pfx, vip->addr, NULL);
        }
    }
}

gboolean
cg_uesp_vip_add(CgUesp *u, GInetAddress *addr, guint prefix, GError **error)
{
    CgIpPrefix v;
    if (!vip_to_prefix(addr, prefix, &v, error)
        || !cg_rtnl_addr(u->nl, TRUE, u->tun.ifindex, v.family, v.addr, v.prefix_len, error))
        return FALSE;
    g_ptr_array_add(u->vips, g_memdup2(&v, sizeof(v)));
    refresh_routes_for(u, &v);
    g_autofree char *s = g_inet_address_to_string(addr);
    cg_info(NULL, "uesp: virtual IP %s/%u on %s", s, prefix, u->tun.name);
    return TRUE;
}

gboolean
cg_uesp_vip_del(CgUesp *u, GInetAddress *addr, guint prefix, GError **error)
{
    CgIpPrefix v;
    if (!vip_to_prefix(addr, prefix, &v, error))
        return FALSE;
    for (guint i = 0; i < u->vips->len; i++) {
        CgIpPrefix *have = u->vips->pdata[i];
        if (have->family == v.family && memcmp(have->addr, v.addr, 16) == 0) {
            g_ptr_array_remove_index(u->vips, i);
            break;
        }
    }
    return cg_rtnl_addr(u->nl, FALSE, u->tun.ifindex, v.family, v.addr, v.prefix_len, error);
}

void
cg_uesp_update_mtu(CgUesp *u)
{
    /* the smallest inner packet size any outbound SA's path carries; the
     * kernel then segments TCP to fit and sends ICMP for the rest */
    guint32 mtu = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, u->out_sas);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        UespSa *sa = value;
        if (sa->max_inner && (mtu == 0 || sa->max_inner < mtu))
            mtu = sa->max_inner;
    }
    if (mtu == 0)
        mtu = CG_UESP_DEFAULT_MTU;
    /* an interface with IPv6 needs 1280; below that the outer packets
     * are fragmented instead */
    if (mtu < IPV6_MIN_MTU)
        mtu = MAX(mtu, IPV4_MIN_MTU);
    if (mtu == u->tun_mtu)
        return;
    g_autoptr(GError) error = NULL;
    if (!cg_tun_set_mtu(&u->tun, mtu, &error)) {
        cg_warn(NULL, "uesp: %s", error->message);
        return;
    }
    cg_info(NULL, "uesp: MTU of %s now %u (was %u)", u->tun.name, mtu, u->tun_mtu);
    u->tun_mtu = mtu;
}
