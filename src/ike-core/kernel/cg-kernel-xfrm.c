/* cg-kernel-xfrm.c: the Linux XFRM data plane over netlink (libmnl).
 *
 * SPIs come from XFRM_MSG_ALLOCSPI (a larval SA the inbound SA later
 * fills with XFRM_MSG_UPDSA), SAs and policies from NEWSA/UPDPOLICY,
 * address moves from XFRM_MSG_MIGRATE (MOBIKE, RFC 4555), lifetimes and
 * acquires from the kernel's multicast groups. The IKE sockets get a
 * per-socket bypass policy and the NAT-T socket UDP_ENCAP_ESPINUDP so the
 * kernel takes ESP-in-UDP off it (RFC 3948). */
#include "kernel/cg-xfrm-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <glib-unix.h>

#include "crypto/cg-crypto.h"
#include "config/cg-config.h"
#include "kernel/cg-ip.h"
#include "log/cg-log.h"

#ifndef IPPROTO_ESP
#define IPPROTO_ESP 50
#endif

typedef struct {
    guint32 spi;
    gboolean inbound;
    guint32 reqid;
    CgXfrmAddr src, dst;
    char *conn_name;
} XfrmSa;

typedef struct {
    guint32 reqid;
    GArray *policies; /* CgXfrmPolicy */
} XfrmPolicySet;

typedef struct {
    CgKernel base;
    CgNl *nl;   /* NETLINK_XFRM: SAs and policies */
    CgNl *rtnl; /* NETLINK_ROUTE: virtual IPs (an rtnetlink message on the
                 * XFRM socket would be read as an XFRM one of the same number) */
    struct mnl_socket *events;
    guint events_source;
    GHashTable *sas;          /* guint64 (spi << 1 | inbound) -> XfrmSa* */
    GHashTable *allocated;    /* spi -> TRUE: larval SAs from ALLOCSPI */
    GHashTable *policy_sets;  /* reqid -> XfrmPolicySet* */
    GHashTable *policy_owner; /* policy key -> reqid whose template is installed */
    GPtrArray *vips;          /* CgIpPrefix* on lo */
} CgXfrm;

static guint64 *
sa_key(guint32 spi, gboolean inbound)
{
    guint64 *k = g_new(guint64, 1);
    *k = (guint64)spi << 1 | (inbound ? 1 : 0);
    return k;
}

static XfrmSa *
find_sa(CgXfrm *x, guint32 spi, gboolean inbound, GError **error)
{
    guint64 k = (guint64)spi << 1 | (inbound ? 1 : 0);
    XfrmSa *sa = g_hash_table_lookup(x->sas, &k);
    if (!sa)
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "no %s SA %08x",
                    inbound ? "inbound" : "outbound", spi);
    return sa;
}

static void
xfrm_sa_free(gpointer p)
{
    XfrmSa *sa = p;
    g_free(sa->conn_name);
    g_free(sa);
}

static void
policy_set_free(gpointer p)
{
    XfrmPolicySet *s = p;
    g_array_unref(s->policies);
    g_free(s);
}

static char *
policy_key(const CgXfrmPolicy *p)
{
    g_autofree char *hex
        = g_compute_checksum_for_data(G_CHECKSUM_SHA1, (const guint8 *)&p->sel, sizeof(p->sel));
    return g_strdup_printf("%s/%u", hex, p->dir);
}

static gboolean
xfrm_get_spi(CgKernel *k, GInetAddress *src, GInetAddress *dst, guint32 reqid, guint32 *spi_out,
             GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    CgXfrmAddr s, d;
    cg_xfrm_addr_from_inet(src, &s);
    cg_xfrm_addr_from_inet(dst, &d);
    if (!cg_xfrm_msg_alloc_spi(x->nl, &s, &d, reqid, spi_out, error))
        return FALSE;
    g_hash_table_add(x->allocated, GUINT_TO_POINTER(*spi_out));
    return TRUE;
}

static gboolean
xfrm_add_sa(CgKernel *k, const CgKernelSa *ksa, GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    /* the inbound SA fills the larval SA its SPI allocation left */
    gboolean update
        = ksa->inbound && g_hash_table_contains(x->allocated, GUINT_TO_POINTER(ksa->spi));
    if (!cg_xfrm_msg_sa(x->nl, update, ksa, error))
        return FALSE;
    g_hash_table_remove(x->allocated, GUINT_TO_POINTER(ksa->spi));
    XfrmSa *sa = g_new0(XfrmSa, 1);
    sa->spi = ksa->spi;
    sa->inbound = ksa->inbound;
    sa->reqid = ksa->reqid;
    cg_xfrm_addr_from_inet(ksa->src, &sa->src);
    cg_xfrm_addr_from_inet(ksa->dst, &sa->dst);
    sa->conn_name = g_strdup(ksa->conn_name);
    g_hash_table_replace(x->sas, sa_key(sa->spi, sa->inbound), sa);
    cg_debug(ksa->conn_name, "xfrm: added %s SA %08x, reqid %u%s",
             ksa->inbound ? "inbound" : "outbound", ksa->spi, ksa->reqid,
             ksa->encap_dst_port ? " (ESP in UDP)" : "");
    return TRUE;
}

static gboolean
xfrm_update_sa(CgKernel *k, guint32 spi, gboolean inbound, GInetAddress *new_src,
               GInetAddress *new_dst, guint16 encap_src_port, guint16 encap_dst_port,
               GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    XfrmSa *sa = find_sa(x, spi, inbound, error);
    if (!sa)
        return FALSE;
    XfrmPolicySet *set = g_hash_table_lookup(x->policy_sets, GUINT_TO_POINTER(sa->reqid));
    if (!set) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_UNSUPPORTED,
                    "SA %08x has no policies to migrate with it", spi);
        return FALSE;
    }
    CgXfrmAddr s, d;
    cg_xfrm_addr_from_inet(new_src, &s);
    cg_xfrm_addr_from_inet(new_dst, &d);
    /* XFRM_MSG_MIGRATE moves a policy and the SAs of its template; the
     * direction of the SA says which of the set's policies to move */
    guint moved = 0;
    for (guint i = 0; i < set->policies->len; i++) {
        CgXfrmPolicy *p = &g_array_index(set->policies, CgXfrmPolicy, i);
        gboolean in_dir = p->dir == XFRM_POLICY_IN || p->dir == XFRM_POLICY_FWD;
        if (in_dir != inbound)
            continue;
        if (!cg_xfrm_msg_migrate(x->nl, p, &s, &d, encap_src_port, encap_dst_port, error))
            return FALSE;
        p->tmpl_src = s;
        p->tmpl_dst = d;
        moved++;
    }
    sa->src = s;
    sa->dst = d;
    cg_debug(sa->conn_name, "xfrm: migrated SA %08x with %u policies", spi, moved);
    return TRUE;
}

static gboolean
xfrm_del_sa(CgKernel *k, guint32 spi, gboolean inbound, GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    XfrmSa *sa = find_sa(x, spi, inbound, error);
    if (!sa)
        return FALSE;
    gboolean ok = cg_xfrm_msg_del_sa(x->nl, &sa->dst, spi, error);
    guint64 key = (guint64)spi << 1 | (inbound ? 1 : 0);
    g_hash_table_remove(x->sas, &key);
    return ok;
}

static gboolean
xfrm_query_sa(CgKernel *k, guint32 spi, gboolean inbound, CgKernelSaStats *out, GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    XfrmSa *sa = find_sa(x, spi, inbound, error);
    return sa && cg_xfrm_msg_get_sa(x->nl, &sa->dst, spi, out, error);
}

static gboolean xfrm_del_policies(CgKernel *k, guint32 reqid, GError **error);

static gboolean
xfrm_add_policies(CgKernel *k, guint32 reqid, const CgKernelSa *out_sa, GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    if (g_hash_table_contains(x->policy_sets, GUINT_TO_POINTER(reqid)))
        xfrm_del_policies(k, reqid, NULL);
    XfrmPolicySet *set = g_new0(XfrmPolicySet, 1);
    set->reqid = reqid;
    set->policies = g_array_new(FALSE, FALSE, sizeof(CgXfrmPolicy));
    CgXfrmAddr us, peer;
    cg_xfrm_addr_from_inet(out_sa->src, &us);
    cg_xfrm_addr_from_inet(out_sa->dst, &peer);
    /* RFC 4301 4.4.1: out for what we send, in and fwd for what arrives
     * (fwd: a gateway forwarding the peer's traffic on) */
    static const guint8 dirs[] = { XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD };
    for (guint d = 0; d < G_N_ELEMENTS(dirs); d++) {
        guint before = set->policies->len;
        cg_xfrm_selectors(out_sa->local_ts, out_sa->n_local_ts, out_sa->remote_ts,
                          out_sa->n_remote_ts, dirs[d], set->policies);
        for (guint i = before; i < set->policies->len; i++) {
            CgXfrmPolicy *p = &g_array_index(set->policies, CgXfrmPolicy, i);
            p->reqid = reqid;
            p->tmpl_src = dirs[d] == XFRM_POLICY_OUT ? us : peer;
            p->tmpl_dst = dirs[d] == XFRM_POLICY_OUT ? peer : us;
        }
    }
    for (guint i = 0; i < set->policies->len; i++) {
        CgXfrmPolicy *p = &g_array_index(set->policies, CgXfrmPolicy, i);
        if (!cg_xfrm_msg_policy(x->nl, TRUE, p, error)) {
            /* take back what went in */
            g_array_set_size(set->policies, i);
            g_hash_table_insert(x->policy_sets, GUINT_TO_POINTER(reqid), set);
            for (guint j = 0; j < i; j++) {
                CgXfrmPolicy *done = &g_array_index(set->policies, CgXfrmPolicy, j);
                g_hash_table_insert(x->policy_owner, policy_key(done), GUINT_TO_POINTER(reqid));
            }
            xfrm_del_policies(k, reqid, NULL);
            return FALSE;
        }
        /* a rekeyed CHILD_SA's policy replaced its predecessor's in place */
        g_hash_table_insert(x->policy_owner, policy_key(p), GUINT_TO_POINTER(reqid));
    }
    g_hash_table_insert(x->policy_sets, GUINT_TO_POINTER(reqid), set);
    cg_debug(out_sa->conn_name, "xfrm: %u policies for reqid %u", set->policies->len, reqid);
    return TRUE;
}

static gboolean
xfrm_del_policies(CgKernel *k, guint32 reqid, GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    XfrmPolicySet *set = g_hash_table_lookup(x->policy_sets, GUINT_TO_POINTER(reqid));
    if (!set) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "no policies for reqid %u",
                    reqid);
        return FALSE;
    }
    gboolean ok = TRUE;
    for (guint i = 0; i < set->policies->len; i++) {
        CgXfrmPolicy *p = &g_array_index(set->policies, CgXfrmPolicy, i);
        g_autofree char *key = policy_key(p);
        /* a newer reqid owns this selector now (make before break) */
        if (GPOINTER_TO_UINT(g_hash_table_lookup(x->policy_owner, key)) != reqid)
            continue;
        g_hash_table_remove(x->policy_owner, key);
        g_autoptr(GError) local_error = NULL;
        if (!cg_xfrm_msg_policy(x->nl, FALSE, p, &local_error)) {
            cg_debug(NULL, "xfrm: %s", local_error->message);
            if (ok)
                g_propagate_error(error, g_steal_pointer(&local_error));
            ok = FALSE;
        }
    }
    g_hash_table_remove(x->policy_sets, GUINT_TO_POINTER(reqid));
    return ok;
}

static gboolean
vip_prefix(GInetAddress *addr, guint prefix, CgIpPrefix *out)
{
    memset(out, 0, sizeof(*out));
    gboolean v6 = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6;
    out->family = v6 ? AF_INET6 : AF_INET;
    out->prefix_len = (guint8)MIN(prefix, v6 ? 128u : 32u);
    memcpy(out->addr, g_inet_address_to_bytes(addr), v6 ? 16 : 4);
    return TRUE;
}

/* With policy-based IPsec the virtual IP only has to be ours; it goes on
 * the loopback device, and packets from it match the out policy. */
static gboolean
xfrm_add_vip(CgKernel *k, GInetAddress *addr, guint prefix, GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    CgIpPrefix v;
    vip_prefix(addr, prefix, &v);
    if (!cg_rtnl_addr(x->rtnl, TRUE, (int)if_nametoindex("lo"), v.family, v.addr, v.prefix_len,
                      error))
        return FALSE;
    g_ptr_array_add(x->vips, g_memdup2(&v, sizeof(v)));
    return TRUE;
}

static gboolean
xfrm_del_vip(CgKernel *k, GInetAddress *addr, guint prefix, GError **error)
{
    CgXfrm *x = (CgXfrm *)k;
    CgIpPrefix v;
    vip_prefix(addr, prefix, &v);
    for (guint i = 0; i < x->vips->len; i++)
        if (memcmp(((CgIpPrefix *)x->vips->pdata[i])->addr, v.addr, 16) == 0) {
            g_ptr_array_remove_index(x->vips, i);
            break;
        }
    return cg_rtnl_addr(x->rtnl, FALSE, (int)if_nametoindex("lo"), v.family, v.addr, v.prefix_len,
                        error);
}

static gboolean
xfrm_bypass_socket(CgKernel *k, int fd, int family, GError **error)
{
    return cg_xfrm_socket_bypass(fd, family, error);
}

static gboolean
xfrm_attach_net(CgKernel *k, CgNet *net, GError **error)
{
    for (int i = 0; i < 2; i++) {
        int fd = cg_net_fd(net, i ? AF_INET6 : AF_INET, TRUE);
        if (fd < 0)
            continue;
        /* RFC 3948: the kernel decapsulates ESP-in-UDP itself and leaves
         * IKE (behind the non-ESP marker) to us */
        int type = UDP_ENCAP_ESPINUDP;
        if (setsockopt(fd, SOL_UDP, UDP_ENCAP, &type, sizeof(type)) < 0) {
            g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                        "UDP_ENCAP_ESPINUDP on the NAT-T socket: %s", g_strerror(errno));
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- kernel events ---------------------------------------------------------- */

static void
ts_from_selector(const struct xfrm_selector *sel, gboolean source, CgTrafficSelector *out)
{
    memset(out, 0, sizeof(*out));
    gboolean v6 = sel->family == AF_INET6;
    gsize n = v6 ? 16 : 4;
    out->ts_type = v6 ? CG_TS_IPV6_ADDR_RANGE : CG_TS_IPV4_ADDR_RANGE;
    out->ip_protocol = sel->proto;
    guint plen = source ? sel->prefixlen_s : sel->prefixlen_d;
    const guint8 *addr = (const guint8 *)(source ? &sel->saddr : &sel->daddr);
    for (gsize i = 0; i < n; i++) {
        guint bits = plen > i * 8 ? MIN(plen - i * 8, 8) : 0;
        guint8 mask = (guint8)(0xff00 >> bits);
        out->start_addr[i] = addr[i] & mask;
        out->end_addr[i] = (guint8)(addr[i] | ~mask);
    }
    __be16 port = source ? sel->sport : sel->dport;
    __be16 mask = source ? sel->sport_mask : sel->dport_mask;
    out->start_port = mask ? ntohs(port) : 0;
    out->end_port = mask ? ntohs(port) : 0xffff;
}

static int
on_event_msg(const struct nlmsghdr *nlh, void *data)
{
    CgXfrm *x = data;
    CgKernelListener *l = &x->base.listener;
    if (nlh->nlmsg_type == XFRM_MSG_EXPIRE
        && mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct xfrm_user_expire)) {
        const struct xfrm_user_expire *e = mnl_nlmsg_get_payload(nlh);
        if (e->state.id.proto != IPPROTO_ESP)
            return MNL_CB_OK;
        guint32 spi = ntohl(e->state.id.spi);
        XfrmSa *sa = find_sa(x, spi, TRUE, NULL);
        if (!sa)
            sa = find_sa(x, spi, FALSE, NULL);
        if (!sa)
            return MNL_CB_OK; /* not ours, or a larval SA timing out */
        cg_info(sa->conn_name, "xfrm: %s SA %08x reached its %s lifetime",
                sa->inbound ? "inbound" : "outbound", spi, e->hard ? "hard" : "soft");
        if (l->expire)
            l->expire(l->user_data, sa->reqid, spi, sa->inbound, e->hard != 0);
    } else if (nlh->nlmsg_type == XFRM_MSG_ACQUIRE
               && mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct xfrm_user_acquire)) {
        const struct xfrm_user_acquire *a = mnl_nlmsg_get_payload(nlh);
        CgTrafficSelector src, dst;
        ts_from_selector(&a->sel, TRUE, &src);
        ts_from_selector(&a->sel, FALSE, &dst);
        /* the template's reqid is not in the message body; the engine
         * matches by selectors */
        if (l->acquire)
            l->acquire(l->user_data, 0, &src, &dst);
    }
    return MNL_CB_OK;
}

static gboolean
on_events(gint fd, GIOCondition cond, gpointer user_data)
{
    CgXfrm *x = user_data;
    guint8 buf[CG_NL_BUF_LEN];
    ssize_t n = mnl_socket_recvfrom(x->events, buf, sizeof(buf));
    if (n > 0)
        mnl_cb_run(buf, (size_t)n, 0, 0, on_event_msg, x);
    return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ----------------------------------------------------------------- */

static void
xfrm_free(CgKernel *k)
{
    CgXfrm *x = (CgXfrm *)k;
    if (x->events_source)
        g_source_remove(x->events_source);
    if (x->events)
        mnl_socket_close(x->events);
    /* what the engine did not take down itself goes now */
    if (x->policy_sets && x->nl) {
        GList *reqids = g_hash_table_get_keys(x->policy_sets);
        for (GList *l = reqids; l; l = l->next)
            xfrm_del_policies(k, GPOINTER_TO_UINT(l->data), NULL);
        g_list_free(reqids);
    }
    if (x->sas && x->nl) {
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, x->sas);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
            XfrmSa *sa = value;
            cg_xfrm_msg_del_sa(x->nl, &sa->dst, sa->spi, NULL);
        }
    }
    for (guint i = 0; x->vips && x->rtnl && i < x->vips->len; i++) {
        CgIpPrefix *v = x->vips->pdata[i];
        cg_rtnl_addr(x->rtnl, FALSE, (int)if_nametoindex("lo"), v->family, v->addr, v->prefix_len,
                     NULL);
    }
    g_clear_pointer(&x->sas, g_hash_table_unref);
    g_clear_pointer(&x->allocated, g_hash_table_unref);
    g_clear_pointer(&x->policy_sets, g_hash_table_unref);
    g_clear_pointer(&x->policy_owner, g_hash_table_unref);
    g_clear_pointer(&x->vips, g_ptr_array_unref);
    g_clear_pointer(&x->nl, cg_nl_close);
    g_clear_pointer(&x->rtnl, cg_nl_close);
    g_free(x);
}

static const CgKernelOps xfrm_ops = {
    .name = "xfrm",
    .get_spi = xfrm_get_spi,
    .add_sa = xfrm_add_sa,
    .update_sa = xfrm_update_sa,
    .del_sa = xfrm_del_sa,
    .query_sa = xfrm_query_sa,
    .add_policies = xfrm_add_policies,
    .del_policies = xfrm_del_policies,
    .add_vip = xfrm_add_vip,
    .del_vip = xfrm_del_vip,
    .bypass_socket = xfrm_bypass_socket,
    .attach_net = xfrm_attach_net,
    .free = xfrm_free,
};

CgKernel *
cg_kernel_xfrm_new(const CgKernelListener *listener, GError **error)
{
    CgXfrm *x = g_new0(CgXfrm, 1);
    x->base.ops = &xfrm_ops;
    if (listener)
        x->base.listener = *listener;
    x->sas = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, xfrm_sa_free);
    x->allocated = g_hash_table_new(g_direct_hash, g_direct_equal);
    x->policy_sets = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, policy_set_free);
    x->policy_owner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    x->vips = g_ptr_array_new_with_free_func(g_free);
    x->nl = cg_nl_open(NETLINK_XFRM, error);
    x->rtnl = x->nl ? cg_nl_open(NETLINK_ROUTE, error) : NULL;
    if (!x->rtnl) {
        xfrm_free(&x->base);
        return NULL;
    }
    x->events = mnl_socket_open(NETLINK_XFRM);
    unsigned int groups = 1u << (XFRMNLGRP_ACQUIRE - 1) | 1u << (XFRMNLGRP_EXPIRE - 1);
    if (!x->events || mnl_socket_bind(x->events, groups, MNL_SOCKET_AUTOPID) < 0) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                    "subscribing to XFRM events: %s", g_strerror(errno));
        xfrm_free(&x->base);
        return NULL;
    }
    x->events_source = g_unix_fd_add(mnl_socket_get_fd(x->events), G_IO_IN, on_events, x);
    return &x->base;
}

/* ---- can the kernel hold ESP SAs? --------------------------------------------- */

gboolean
cg_kernel_xfrm_esp_available(const char **why)
{
    static gsize once = 0;
    static gboolean available;
    static char reason[256];
    if (g_once_init_enter(&once)) {
        g_autoptr(GError) error = NULL;
        g_autoptr(CgNl) nl = cg_nl_open(NETLINK_XFRM, &error);
        if (!nl) {
            g_snprintf(reason, sizeof(reason), "no XFRM netlink: %s", error->message);
        } else {
            /* a throwaway transport-mode SA between loopback addresses */
            static const guint8 key[32] = { 1 };
            g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
            CgKernelSa sa = {
                .spi = 0x100 + g_random_int_range(0, 0x1000000),
                .src = lo,
                .dst = lo,
                .mode = CG_MODE_TRANSPORT,
                .encr_id = CG_ENCR_AES_CBC,
                .encr_key_bits = 128,
                .integ_id = CG_INTEG_HMAC_SHA2_256_128,
                .encr_key = key,
                .encr_key_len = 16,
                .integ_key = key,
                .integ_key_len = 32,
            };
            if (cg_xfrm_msg_sa(nl, FALSE, &sa, &error)) {
                CgXfrmAddr dst;
                cg_xfrm_addr_from_inet(lo, &dst);
                cg_xfrm_msg_del_sa(nl, &dst, sa.spi, NULL);
                available = TRUE;
                g_snprintf(reason, sizeof(reason), "the kernel accepted a test ESP SA");
            } else
                g_snprintf(reason, sizeof(reason), "the kernel refused a test ESP SA: %s",
                           error->message);
        }
        g_once_init_leave(&once, 1);
    }
    if (why)
        *why = reason;
    return available;
}
