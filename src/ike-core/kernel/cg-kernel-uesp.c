/* cg-kernel-uesp.c: ESP in user space over a TUN device: the backend's
 * face to the engine (SAs, policies, virtual IPs, lifetimes, counters).
 * The packet paths live in cg-uesp-tx.c and cg-uesp-rx.c. */
#include "kernel/cg-uesp-private.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <glib-unix.h>

#include "config/cg-config.h"
#include "kernel/cg-ip.h"
#include "log/cg-log.h"

#define SPI_RESERVATION_US (10 * 60 * G_USEC_PER_SEC)
#define TIMER_INTERVAL_S   1
#define LOG_BUDGET_PER_S   10
/* RFC 4303 3.3.3: without ESN the 32-bit counter must never cycle; ask for
 * a rekey this many packets before the end */
#define SEQ_SOFT_MARGIN (G_GUINT64_CONSTANT(1) << 24)
#define SEQ_LIMIT_32    G_GUINT64_CONSTANT(0xffffffff)

/* ---- helpers shared with the packet paths -------------------------------- */

char *
cg_uesp_sockaddr_string(const struct sockaddr *sa)
{
    if (!sa)
        return g_strdup("?");
    gsize len
        = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    g_autoptr(GSocketAddress) g = g_socket_address_new_from_native((gpointer)sa, len);
    if (!g || !G_IS_INET_SOCKET_ADDRESS(g))
        return g_strdup("?");
    return cg_sockaddr_to_string(g);
}

void
cg_uesp_read_counters(CgUesp *u, UespCounters *out)
{
    const guint64 *src = (const guint64 *)&u->counters;
    guint64 *dst = (guint64 *)out;
    for (gsize i = 0; i < sizeof(*out) / sizeof(guint64); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void
cg_uesp_log_drop(CgUesp *u, const char *fmt, ...)
{
    if (!cg_log_enabled(CG_LOG_DEBUG))
        return;
    /* a flood of bad packets must not become a flood of log lines */
    gint64 now = g_get_monotonic_time();
    gint64 window = __atomic_load_n(&u->log_budget_at_us, __ATOMIC_RELAXED);
    if (now - window > G_USEC_PER_SEC) {
        __atomic_store_n(&u->log_budget_at_us, now, __ATOMIC_RELAXED);
        g_atomic_int_set(&u->log_budget, LOG_BUDGET_PER_S);
    }
    if (g_atomic_int_add(&u->log_budget, -1) <= 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    cg_debug(NULL, "uesp: %s", msg);
}

void
cg_uesp_notify(CgUesp *u)
{
    guint64 one = 1;
    if (write(u->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        cg_warn(NULL, "uesp: cannot signal the main context: %s", g_strerror(errno));
}

/* Last-use times need no precision: the coarse clock is a plain read of
 * the kernel's tick (no TSC access), cheap enough per packet. */
static gint64
coarse_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

void
cg_uesp_sa_account(CgUesp *u, UespSa *sa, gsize inner_len)
{
    sa->bytes += inner_len;
    sa->packets++;
    sa->last_use_us = coarse_monotonic_us();
    gboolean notify = FALSE;
    if (!sa->soft_hit
        && ((sa->soft_bytes && sa->bytes >= sa->soft_bytes)
            || (sa->soft_packets && sa->packets >= sa->soft_packets)
            || (!sa->inbound && !sa->xf.esn && sa->seq >= SEQ_LIMIT_32 - SEQ_SOFT_MARGIN))) {
        sa->soft_hit = TRUE;
        g_atomic_int_set(&sa->soft_pending, 1);
        notify = TRUE;
    }
    if (!sa->hard_hit
        && ((sa->hard_bytes && sa->bytes >= sa->hard_bytes)
            || (sa->hard_packets && sa->packets >= sa->hard_packets)
            || (!sa->inbound && !sa->xf.esn && sa->seq >= SEQ_LIMIT_32))) {
        /* RFC 4301 4.4.2.1: past the hard lifetime the SA carries nothing */
        sa->hard_hit = TRUE;
        sa->dead = TRUE;
        g_atomic_int_set(&sa->hard_pending, 1);
        notify = TRUE;
    }
    if (notify)
        cg_uesp_notify(u);
}

gboolean
cg_uesp_ts_allows(const GArray *ts, guint8 version, const guint8 *addr, guint8 protocol,
                  guint16 port)
{
    for (guint i = 0; i < ts->len; i++)
        if (cg_ts_match(&g_array_index(ts, CgTrafficSelector, i), version, addr, protocol, port))
            return TRUE;
    return FALSE;
}

UespSa *
cg_uesp_lookup_out(CgUesp *u, guint8 version, const guint8 *src, const guint8 *dst, guint8 protocol,
                   guint16 sport, guint16 dport, guint32 *reqid_out)
{
    *reqid_out = 0;
    /* newest policy first: during a rekey both generations match and the
     * new SA takes over (make before break) */
    for (guint i = u->policies->len; i-- > 0;) {
        UespPolicy *p = u->policies->pdata[i];
        if (!cg_uesp_ts_allows(p->remote_ts, version, dst, protocol, dport)
            || !cg_uesp_ts_allows(p->local_ts, version, src, protocol, sport))
            continue;
        *reqid_out = p->reqid;
        UespSa *sa = g_hash_table_lookup(u->out_by_reqid, GUINT_TO_POINTER(p->reqid));
        if (sa && !sa->dead)
            return sa;
    }
    return NULL;
}

/* ---- SAs -------------------------------------------------------------------- */

static void
sa_free(gpointer p)
{
    UespSa *sa = p;
    cg_esp_xform_clear(&sa->xf);
    g_clear_pointer(&sa->local_ts, g_array_unref);
    g_clear_pointer(&sa->remote_ts, g_array_unref);
    g_free(sa->conn_name);
    g_mutex_clear(&sa->lock);
    g_free(sa);
}

static void
policy_free(gpointer p)
{
    UespPolicy *pol = p;
    g_array_unref(pol->local_ts);
    g_array_unref(pol->remote_ts);
    g_array_unref(pol->prefixes);
    g_free(pol->conn_name);
    g_free(pol);
}

static GArray *
ts_copy(const CgTrafficSelector *ts, guint n)
{
    GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(CgTrafficSelector), n);
    g_array_append_vals(a, ts, n);
    return a;
}

static socklen_t
to_sockaddr(GInetAddress *addr, guint16 port, struct sockaddr_storage *out)
{
    g_autoptr(GSocketAddress) g = g_inet_socket_address_new(addr, port);
    gssize n = g_socket_address_get_native_size(g);
    memset(out, 0, sizeof(*out));
    if (n <= 0 || !g_socket_address_to_native(g, out, (gsize)n, NULL))
        return 0;
    return (socklen_t)n;
}

/* The MTU towards the peer: a connected (bypass-marked) UDP socket asks
 * the kernel's route and path MTU cache. */
static guint32
path_mtu(const UespSa *sa)
{
    int fd = socket(sa->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    guint32 mtu = 1500;
    if (fd < 0)
        return mtu;
    guint32 mark = CG_UESP_BYPASS_MARK;
    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
    int val = 0;
    socklen_t len = sizeof(val);
    if (connect(fd, (const struct sockaddr *)&sa->peer, sa->addr_len) == 0
        && getsockopt(fd, sa->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                      sa->family == AF_INET6 ? IPV6_MTU : IP_MTU, &val, &len)
               == 0
        && val >= 576)
        mtu = (guint32)val;
    close(fd);
    return mtu;
}

static guint32
compute_max_inner(const UespSa *sa)
{
    gsize outer = (sa->family == AF_INET6 ? 40 : 20) + (sa->encap ? 8 : 0);
    guint32 mtu = path_mtu(sa);
    if (mtu <= outer)
        return 0;
    return (guint32)cg_esp_max_payload(&sa->xf, mtu - outer);
}

static gboolean
uesp_get_spi(CgKernel *k, GInetAddress *src, GInetAddress *dst, guint32 reqid, guint32 *spi_out,
             GError **error)
{
    CgUesp *u = (CgUesp *)k;
    gint64 now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer key, value;
    /* reservations of exchanges that never finished do not pile up */
    g_hash_table_iter_init(&it, u->reserved_spis);
    while (g_hash_table_iter_next(&it, &key, &value))
        if (now - *(gint64 *)value > SPI_RESERVATION_US)
            g_hash_table_iter_remove(&it);
    guint32 spi;
    /* RFC 4303 2.1: 1-255 are reserved by IANA, 0 is never sent */
    do
        spi = g_random_int();
    while (spi < 256 || g_hash_table_contains(u->in_sas, GUINT_TO_POINTER(spi))
           || g_hash_table_contains(u->reserved_spis, GUINT_TO_POINTER(spi)));
    gint64 *at = g_new(gint64, 1);
    *at = now;
    g_hash_table_insert(u->reserved_spis, GUINT_TO_POINTER(spi), at);
    *spi_out = spi;
    return TRUE;
}

static gboolean
uesp_add_sa(CgKernel *k, const CgKernelSa *ksa, GError **error)
{
    CgUesp *u = (CgUesp *)k;
    if (ksa->mode != CG_MODE_TUNNEL) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_UNSUPPORTED,
                    "the uesp data plane does tunnel mode only (SA %08x asks for transport)",
                    ksa->spi);
        return FALSE;
    }
    GHashTable *table = ksa->inbound ? u->in_sas : u->out_sas;
    if (g_hash_table_contains(table, GUINT_TO_POINTER(ksa->spi))) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "%s SA %08x exists already",
                    ksa->inbound ? "inbound" : "outbound", ksa->spi);
        return FALSE;
    }
    UespSa *sa = g_new0(UespSa, 1);
    g_mutex_init(&sa->lock);
    sa->spi = ksa->spi;
    sa->inbound = ksa->inbound;
    sa->reqid = ksa->reqid;
    sa->conn_name = g_strdup(ksa->conn_name);
    sa->mode = ksa->mode;
    sa->encap = ksa->encap_dst_port != 0;
    GInetAddress *local = ksa->inbound ? ksa->dst : ksa->src;
    GInetAddress *peer = ksa->inbound ? ksa->src : ksa->dst;
    guint16 local_port = ksa->inbound ? ksa->encap_dst_port : ksa->encap_src_port;
    guint16 peer_port = ksa->inbound ? ksa->encap_src_port : ksa->encap_dst_port;
    sa->addr_len = to_sockaddr(peer, peer_port, &sa->peer);
    to_sockaddr(local, local_port, &sa->local);
    sa->family = sa->peer.ss_family;
    sa->local_ts = ts_copy(ksa->local_ts, ksa->n_local_ts);
    sa->remote_ts = ts_copy(ksa->remote_ts, ksa->n_remote_ts);
    sa->soft_bytes = ksa->soft_bytes;
    sa->hard_bytes = ksa->hard_bytes;
    sa->soft_packets = ksa->soft_packets;
    sa->hard_packets = ksa->hard_packets;
    sa->soft_time_s = ksa->soft_time_s;
    sa->hard_time_s = ksa->hard_time_s;
    sa->added_us = g_get_monotonic_time();
    if (!sa->addr_len) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "SA %08x: bad peer address",
                    ksa->spi);
        sa_free(sa);
        return FALSE;
    }
    if (!cg_esp_xform_init(&sa->xf, ksa->spi, ksa->encr_id, ksa->encr_key_bits, ksa->integ_id,
                           ksa->encr_key, ksa->encr_key_len, ksa->integ_key, ksa->integ_key_len,
                           ksa->esn, error)) {
        sa_free(sa);
        return FALSE;
    }
    if (ksa->inbound)
        cg_replay_init(&sa->replay, ksa->replay_window, ksa->esn);
    else
        sa->max_inner = compute_max_inner(sa);
    if (!sa->encap && !cg_uesp_raw_start(u, sa->family, error)) {
        sa_free(sa);
        return FALSE;
    }
    if (sa->encap && u->natt_fd[sa->family == AF_INET6] < 0) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                    "SA %08x is UDP encapsulated, but the engine has no %s NAT-T socket", ksa->spi,
                    sa->family == AF_INET6 ? "IPv6" : "IPv4");
        sa_free(sa);
        return FALSE;
    }

    g_rw_lock_writer_lock(&u->lock);
    g_hash_table_insert(table, GUINT_TO_POINTER(sa->spi), sa);
    if (!sa->inbound)
        g_hash_table_insert(u->out_by_reqid, GUINT_TO_POINTER(sa->reqid), sa);
    u->generation++;
    g_rw_lock_writer_unlock(&u->lock);
    if (sa->inbound)
        g_hash_table_remove(u->reserved_spis, GUINT_TO_POINTER(sa->spi));
    else
        cg_uesp_update_mtu(u);

    g_autofree char *peer_s = cg_uesp_sockaddr_string((const struct sockaddr *)&sa->peer);
    cg_debug(sa->conn_name, "uesp: added %s SA %08x %s %s%s, %s%s, reqid %u",
             sa->inbound ? "inbound" : "outbound", sa->spi, sa->inbound ? "from" : "to", peer_s,
             sa->encap ? " (ESP in UDP)" : " (ESP)",
             cg_encr_name_bits(ksa->encr_id, ksa->encr_key_bits), ksa->esn ? " with ESN" : "",
             sa->reqid);
    if (!sa->inbound)
        cg_debug(sa->conn_name, "uesp: SA %08x carries inner packets up to %u bytes", sa->spi,
                 sa->max_inner);
    return TRUE;
}

static UespSa *
find_sa(CgUesp *u, guint32 spi, gboolean inbound, GError **error)
{
    UespSa *sa = g_hash_table_lookup(inbound ? u->in_sas : u->out_sas, GUINT_TO_POINTER(spi));
    if (!sa)
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "no %s SA %08x",
                    inbound ? "inbound" : "outbound", spi);
    return sa;
}

static gboolean
uesp_update_sa(CgKernel *k, guint32 spi, gboolean inbound, GInetAddress *new_src,
               GInetAddress *new_dst, guint16 encap_src_port, guint16 encap_dst_port,
               GError **error)
{
    CgUesp *u = (CgUesp *)k;
    UespSa *sa = find_sa(u, spi, inbound, error);
    if (!sa)
        return FALSE;
    GInetAddress *local = inbound ? new_dst : new_src;
    GInetAddress *peer = inbound ? new_src : new_dst;
    struct sockaddr_storage new_peer, new_local;
    socklen_t len = to_sockaddr(peer, inbound ? encap_src_port : encap_dst_port, &new_peer);
    to_sockaddr(local, inbound ? encap_dst_port : encap_src_port, &new_local);
    gboolean encap = encap_dst_port != 0;
    if (!len) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "SA %08x: bad new address",
                    spi);
        return FALSE;
    }
    if (!encap && !cg_uesp_raw_start(u, new_peer.ss_family, error))
        return FALSE;
    g_rw_lock_writer_lock(&u->lock);
    sa->peer = new_peer;
    sa->local = new_local;
    sa->addr_len = len;
    sa->family = new_peer.ss_family;
    sa->encap = encap;
    if (!inbound)
        sa->max_inner = compute_max_inner(sa);
    u->generation++;
    g_rw_lock_writer_unlock(&u->lock);
    if (!inbound)
        cg_uesp_update_mtu(u);
    g_autofree char *s = cg_uesp_sockaddr_string((const struct sockaddr *)&new_peer);
    cg_debug(sa->conn_name, "uesp: SA %08x moved to peer %s", spi, s);
    return TRUE;
}

static gboolean
uesp_del_sa(CgKernel *k, guint32 spi, gboolean inbound, GError **error)
{
    CgUesp *u = (CgUesp *)k;
    g_hash_table_remove(u->reserved_spis, GUINT_TO_POINTER(spi));
    UespSa *sa = find_sa(u, spi, inbound, error);
    if (!sa)
        return FALSE;
    g_rw_lock_writer_lock(&u->lock);
    g_hash_table_steal(inbound ? u->in_sas : u->out_sas, GUINT_TO_POINTER(spi));
    if (!inbound && g_hash_table_lookup(u->out_by_reqid, GUINT_TO_POINTER(sa->reqid)) == sa) {
        g_hash_table_remove(u->out_by_reqid, GUINT_TO_POINTER(sa->reqid));
        /* another outbound SA of the same reqid takes over, if any */
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, u->out_sas);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
            UespSa *other = value;
            if (other->reqid == sa->reqid)
                g_hash_table_insert(u->out_by_reqid, GUINT_TO_POINTER(sa->reqid), other);
        }
    }
    u->generation++;
    g_rw_lock_writer_unlock(&u->lock);
    cg_debug(sa->conn_name,
             "uesp: deleted %s SA %08x (%" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
             " bytes)",
             inbound ? "inbound" : "outbound", spi, sa->packets, sa->bytes);
    sa_free(sa);
    if (!inbound)
        cg_uesp_update_mtu(u);
    return TRUE;
}

static gboolean
uesp_query_sa(CgKernel *k, guint32 spi, gboolean inbound, CgKernelSaStats *out, GError **error)
{
    CgUesp *u = (CgUesp *)k;
    UespSa *sa = find_sa(u, spi, inbound, error);
    if (!sa)
        return FALSE;
    g_mutex_lock(&sa->lock);
    out->bytes = sa->bytes;
    out->packets = sa->packets;
    out->last_use_us = sa->last_use_us;
    g_mutex_unlock(&sa->lock);
    return TRUE;
}

/* ---- policies ----------------------------------------------------------------- */

static gboolean
uesp_add_policies(CgKernel *k, guint32 reqid, const CgKernelSa *out_sa, GError **error)
{
    CgUesp *u = (CgUesp *)k;
    UespPolicy *p = g_new0(UespPolicy, 1);
    p->reqid = reqid;
    p->local_ts = ts_copy(out_sa->local_ts, out_sa->n_local_ts);
    p->remote_ts = ts_copy(out_sa->remote_ts, out_sa->n_remote_ts);
    p->prefixes = g_array_new(FALSE, FALSE, sizeof(CgIpPrefix));
    p->conn_name = g_strdup(out_sa->conn_name);
    for (guint i = 0; i < out_sa->n_remote_ts; i++)
        cg_ts_to_prefixes(&out_sa->remote_ts[i], p->prefixes);
    if (!cg_uesp_routes_add(u, p, error)) {
        policy_free(p);
        return FALSE;
    }
    g_rw_lock_writer_lock(&u->lock);
    g_ptr_array_add(u->policies, p);
    u->generation++;
    g_rw_lock_writer_unlock(&u->lock);
    cg_debug(p->conn_name, "uesp: policies for reqid %u: %u local x %u remote selectors, %u routes",
             reqid, out_sa->n_local_ts, out_sa->n_remote_ts, p->prefixes->len);
    return TRUE;
}

static gboolean
uesp_del_policies(CgKernel *k, guint32 reqid, GError **error)
{
    CgUesp *u = (CgUesp *)k;
    UespPolicy *found = NULL;
    g_rw_lock_writer_lock(&u->lock);
    for (guint i = 0; i < u->policies->len; i++) {
        UespPolicy *p = u->policies->pdata[i];
        if (p->reqid == reqid) {
            found = g_ptr_array_steal_index(u->policies, i);
            break;
        }
    }
    u->generation++;
    g_rw_lock_writer_unlock(&u->lock);
    if (!found) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "no policies for reqid %u",
                    reqid);
        return FALSE;
    }
    cg_uesp_routes_del(u, found);
    cg_debug(found->conn_name, "uesp: deleted policies for reqid %u", reqid);
    policy_free(found);
    return TRUE;
}

static gboolean
uesp_add_vip(CgKernel *k, GInetAddress *addr, guint prefix, GError **error)
{
    return cg_uesp_vip_add((CgUesp *)k, addr, prefix, error);
}

static gboolean
uesp_del_vip(CgKernel *k, GInetAddress *addr, guint prefix, GError **error)
{
    return cg_uesp_vip_del((CgUesp *)k, addr, prefix, error);
}

static gboolean
uesp_bypass_socket(CgKernel *k, int fd, int family, GError **error)
{
    /* the policy-routing rule sends everything but marked packets to the
     * tunnel's table */
    guint32 mark = CG_UESP_BYPASS_MARK;
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
        int e = errno;
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                    "marking an IKE socket to bypass the tunnel: %s", g_strerror(e));
        cg_warn(NULL, "uesp: marking an IKE socket to bypass the tunnel: %s", g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

static gboolean
uesp_deliver_esp(CgKernel *k, const guint8 *pkt, gsize len, GInetSocketAddress *from,
                 GInetSocketAddress *to)
{
    CgUesp *u = (CgUesp *)k;
    struct sockaddr_storage ss = { 0 };
    g_socket_address_to_native(G_SOCKET_ADDRESS(from), &ss, sizeof(ss), NULL);
    g_autofree guint8 *copy = g_memdup2(pkt, len);
    g_rw_lock_reader_lock(&u->lock);
    cg_uesp_rx_one(u, copy, len, (const struct sockaddr *)&ss, TRUE, NULL);
    g_rw_lock_reader_unlock(&u->lock);
    return TRUE;
}

static gboolean
uesp_attach_net(CgKernel *k, CgNet *net, GError **error)
{
    CgUesp *u = (CgUesp *)k;
    u->net = net;
    for (int i = 0; i < 2; i++) {
        int fd = cg_net_fd(net, i ? AF_INET6 : AF_INET, TRUE);
        if (fd < 0)
            continue;
        /* our own handle on the same socket: ESP leaves from port 4500
         * (RFC 3948) and the TX thread never races cg_net_free */
        u->natt_fd[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (u->natt_fd[i] < 0) {
            g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                        "duplicating the NAT-T socket: %s", g_strerror(errno));
            return FALSE;
        }
        int sndbuf = 4 * 1024 * 1024;
        setsockopt(u->natt_fd[i], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    }
    return cg_net_start_esp_thread(net, cg_uesp_rx_batch, u, error);
}

static void
uesp_get_stats(CgKernel *k, CgKernelStats *out)
{
    CgUesp *u = (CgUesp *)k;
    UespCounters c;
    cg_uesp_read_counters(u, &c);
    memset(out, 0, sizeof(*out));
    out->packets_in = c.packets_in;
    out->bytes_in = c.bytes_in;
    out->packets_out = c.packets_out;
    out->bytes_out = c.bytes_out;
    out->drop_replay = c.drop_replay;
    out->drop_auth = c.drop_auth;
    out->drop_malformed = c.drop_malformed;
    out->drop_unknown_spi = c.drop_unknown_spi;
    out->drop_policy = c.drop_policy;
    out->drop_no_sa = c.drop_no_sa;
    out->drop_too_big = c.drop_too_big;
    out->drop_expired = c.drop_expired;
    out->drop_io = c.drop_io;
}

static const char *
uesp_tunnel_ifname(CgKernel *k)
{
    return ((CgUesp *)k)->tun.name;
}

/* ---- main context: lifetimes and counters --------------------------------------- */

typedef struct {
    guint32 reqid, spi;
    gboolean inbound, hard;
} ExpireEvent;

static void
collect_expiries(GHashTable *table, gint64 now, GArray *events)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        UespSa *sa = value;
        gint64 age_s = (now - sa->added_us) / G_USEC_PER_SEC;
        if (sa->soft_time_s && age_s >= sa->soft_time_s)
            g_atomic_int_set(&sa->soft_pending, 1);
        if (sa->hard_time_s && age_s >= sa->hard_time_s) {
            g_mutex_lock(&sa->lock);
            sa->dead = TRUE;
            g_mutex_unlock(&sa->lock);
            g_atomic_int_set(&sa->hard_pending, 1);
        }
        if (g_atomic_int_get(&sa->hard_pending) && !sa->hard_reported) {
            sa->hard_reported = sa->soft_reported = TRUE;
            ExpireEvent e = { sa->reqid, sa->spi, sa->inbound, TRUE };
            g_array_append_val(events, e);
        } else if (g_atomic_int_get(&sa->soft_pending) && !sa->soft_reported) {
            sa->soft_reported = TRUE;
            ExpireEvent e = { sa->reqid, sa->spi, sa->inbound, FALSE };
            g_array_append_val(events, e);
        }
    }
}

static void
report_expiries(CgUesp *u)
{
    gint64 now = g_get_monotonic_time();
    g_autoptr(GArray) events = g_array_new(FALSE, FALSE, sizeof(ExpireEvent));
    collect_expiries(u->in_sas, now, events);
    collect_expiries(u->out_sas, now, events);
    /* the listener may delete SAs: call it only after the walk */
    for (guint i = 0; i < events->len; i++) {
        ExpireEvent *e = &g_array_index(events, ExpireEvent, i);
        cg_info(NULL, "uesp: %s SA %08x reached its %s lifetime",
                e->inbound ? "inbound" : "outbound", e->spi, e->hard ? "hard" : "soft");
        if (u->base.listener.expire)
            u->base.listener.expire(u->base.listener.user_data, e->reqid, e->spi, e->inbound,
                                    e->hard);
    }
}

static gboolean
on_event(gint fd, GIOCondition cond, gpointer user_data)
{
    CgUesp *u = user_data;
    guint64 n;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        cg_debug(NULL, "uesp event: %s", g_strerror(errno));
    report_expiries(u);
    return G_SOURCE_CONTINUE;
}

/* One line when something was dropped since the last one: what the
 * tests and an admin read (the control API reads get_stats). */
static void
log_counters(CgUesp *u)
{
    UespCounters c;
    cg_uesp_read_counters(u, &c);
    UespCounters *l = &u->last_logged;
    gboolean dropped = c.drop_replay != l->drop_replay || c.drop_auth != l->drop_auth
                       || c.drop_malformed != l->drop_malformed
                       || c.drop_unknown_spi != l->drop_unknown_spi
                       || c.drop_policy != l->drop_policy || c.drop_no_sa != l->drop_no_sa
                       || c.drop_too_big != l->drop_too_big || c.drop_expired != l->drop_expired
                       || c.drop_io != l->drop_io;
    if (!dropped)
        return;
    *l = c;
    cg_info(NULL,
            "uesp counters: in %" G_GUINT64_FORMAT " packets, out %" G_GUINT64_FORMAT
            " packets; dropped replay=%" G_GUINT64_FORMAT " auth=%" G_GUINT64_FORMAT
            " malformed=%" G_GUINT64_FORMAT " unknown-spi=%" G_GUINT64_FORMAT
            " policy=%" G_GUINT64_FORMAT " no-sa=%" G_GUINT64_FORMAT " too-big=%" G_GUINT64_FORMAT
            " expired=%" G_GUINT64_FORMAT " io=%" G_GUINT64_FORMAT,
            c.packets_in, c.packets_out, c.drop_replay, c.drop_auth, c.drop_malformed,
            c.drop_unknown_spi, c.drop_policy, c.drop_no_sa, c.drop_too_big, c.drop_expired,
            c.drop_io);
}

static gboolean
on_timer(gpointer user_data)
{
    CgUesp *u = user_data;
    report_expiries(u);
    log_counters(u);
    return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void
uesp_free(CgKernel *k)
{
    CgUesp *u = (CgUesp *)k;
    cg_uesp_threads_stop(u);
    for (int i = 0; i < 2; i++) {
        CgGro *g = i ? u->gro_raw : u->gro_natt;
        guint64 offered, joined_into, merged;
        if (!g)
            continue;
        cg_gro_stats(g, &offered, &joined_into, &merged);
        if (offered)
            cg_debug(NULL,
                     "uesp: %s receive: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
                     " of them joined into %" G_GUINT64_FORMAT " super-packets",
                     i ? "plain ESP" : "ESP-in-UDP", offered, merged, joined_into);
    }
    if (u->timer_source)
        g_source_remove(u->timer_source);
    if (u->event_source)
        g_source_remove(u->event_source);
    log_counters(u);
    if (u->policies) {
        while (u->policies->len) {
            UespPolicy *p = g_ptr_array_steal_index(u->policies, u->policies->len - 1);
            cg_uesp_routes_del(u, p);
            policy_free(p);
        }
    }
    cg_uesp_routing_cleanup(u);
    g_clear_pointer(&u->in_sas, g_hash_table_unref);
    g_clear_pointer(&u->out_sas, g_hash_table_unref);
    g_clear_pointer(&u->out_by_reqid, g_hash_table_unref);
    g_clear_pointer(&u->policies, g_ptr_array_unref);
    g_clear_pointer(&u->reserved_spis, g_hash_table_unref);
    g_clear_pointer(&u->routes, g_hash_table_unref);
    g_clear_pointer(&u->vips, g_ptr_array_unref);
    for (int i = 0; i < 2; i++) {
        if (u->natt_fd[i] >= 0)
            close(u->natt_fd[i]);
        if (u->raw_fd[i] >= 0)
            close(u->raw_fd[i]);
    }
    if (u->event_fd >= 0)
        close(u->event_fd);
    if (u->stop_fd >= 0)
        close(u->stop_fd);
    cg_tun_close(&u->tun);
    g_clear_pointer(&u->gro_natt, cg_gro_free);
    g_clear_pointer(&u->gro_raw, cg_gro_free);
    g_clear_pointer(&u->nl, cg_nl_close);
    g_rw_lock_clear(&u->lock);
    if (u->context)
        g_main_context_unref(u->context);
    g_free(u);
}

static const CgKernelOps uesp_ops = {
    .name = "uesp",
    .get_spi = uesp_get_spi,
    .add_sa = uesp_add_sa,
    .update_sa = uesp_update_sa,
    .del_sa = uesp_del_sa,
    .query_sa = uesp_query_sa,
    .add_policies = uesp_add_policies,
    .del_policies = uesp_del_policies,
    .add_vip = uesp_add_vip,
    .del_vip = uesp_del_vip,
    .bypass_socket = uesp_bypass_socket,
    .deliver_esp = uesp_deliver_esp,
    .attach_net = uesp_attach_net,
    .get_stats = uesp_get_stats,
    .tunnel_ifname = uesp_tunnel_ifname,
    .free = uesp_free,
};

CgKernel *
cg_kernel_uesp_new(const CgKernelListener *listener, GError **error)
{
    CgUesp *u = g_new0(CgUesp, 1);
    u->base.ops = &uesp_ops;
    if (listener)
        u->base.listener = *listener;
    u->context = g_main_context_ref_thread_default();
    g_rw_lock_init(&u->lock);
    u->in_sas = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, sa_free);
    u->out_sas = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, sa_free);
    u->out_by_reqid = g_hash_table_new(g_direct_hash, g_direct_equal);
    u->policies = g_ptr_array_new();
    u->reserved_spis = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    u->routes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    u->vips = g_ptr_array_new_with_free_func(g_free);
    u->natt_fd[0] = u->natt_fd[1] = u->raw_fd[0] = u->raw_fd[1] = -1;
    u->tun.fd = -1;
    u->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    u->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (u->event_fd < 0 || u->stop_fd < 0) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "eventfd: %s",
                    g_strerror(errno));
        uesp_free(&u->base);
        return NULL;
    }
    u->nl = cg_nl_open(NETLINK_ROUTE, error);
    if (!u->nl || !cg_tun_open(&u->tun, CG_UESP_TUN_NAME, error)) {
        uesp_free(&u->base);
        return NULL;
    }
    u->gro_natt = cg_gro_new(u->tun.vnet_hdr, cg_uesp_tun_write, u);
    u->gro_raw = cg_gro_new(u->tun.vnet_hdr, cg_uesp_tun_write, u);
    u->tun_mtu = CG_UESP_DEFAULT_MTU;
    g_autoptr(GError) v6_error = NULL;
    if (!cg_rtnl_link_no_ipv6_autoconf(u->nl, u->tun.ifindex, &v6_error))
        cg_debug(NULL, "uesp: %s", v6_error->message);
    if (!cg_tun_set_mtu(&u->tun, u->tun_mtu, error) || !cg_tun_set_up(&u->tun, error)
        || !cg_uesp_routing_init(u, error) || !cg_uesp_tx_start(u, error)) {
        uesp_free(&u->base);
        return NULL;
    }
    u->event_source = g_unix_fd_add(u->event_fd, G_IO_IN, on_event, u);
    u->timer_source = g_timeout_add_seconds(TIMER_INTERVAL_S, on_timer, u);
    cg_info(NULL, "uesp: ESP in user space on %s (MTU %u%s)", u->tun.name, u->tun_mtu,
            u->tun.vnet_hdr ? (u->tun.uso ? ", TSO and USO offloads" : ", TSO offload") : "");
    return &u->base;
}
