/* cg-uesp-tx.c: the outbound path of user-space ESP.
 *
 * One thread reads the TUN device (super-packets of up to 64 KiB with
 * TSO), finds the outbound SA from the installed policies, cuts and seals
 * the packets into slots, and sends them in as few system calls as it can:
 * sendmmsg, and UDP GSO (UDP_SEGMENT) for runs of equally sized ESP-in-UDP
 * packets to the same peer, leaving from the engine's NAT-T socket
 * (RFC 3948: port 4500, like IKE). */
#include "kernel/cg-uesp-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "kernel/cg-ip.h"
#include "log/cg-log.h"

#define TX_SLOTS          256
#define TX_SLOT_LEN       2048
#define TX_SLOTS_PER_READ 128 /* a 64 KiB super-packet cut at 536 bytes needs 123 */
#define TX_READS_PER_WAKE 64
#define GSO_MAX_SEGMENTS  64    /* UDP_MAX_SEGMENTS of older kernels */
#define GSO_MAX_BYTES     60000 /* one UDP datagram before segmentation */
#define READ_BUF_LEN      (CG_VNET_HDR_LEN + 65536)
#define SEND_RETRIES      20
#define SEND_WAIT_MS      50
#define CONTROL_LEN       (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(guint16)))

typedef struct {
    guint8 *data;
    gsize len;
    int family;
    gboolean encap;
    struct sockaddr_storage dst;
    socklen_t dst_len;
    guint8 src[16]; /* outer source, 4 or 16 bytes; all zero = let routing pick */
} TxEntry;

typedef struct {
    CgUesp *u;
    guint8 *read_buf;
    guint8 *slots;
    guint n_entries;
    TxEntry entries[TX_SLOTS];
    struct mmsghdr msgs[TX_SLOTS];
    int msg_fd[TX_SLOTS];
    guint msg_first[TX_SLOTS]; /* first entry of each message */
    struct iovec iovs[TX_SLOTS];
    guint8 controls[TX_SLOTS][CONTROL_LEN];
    guint8 icmp_buf[CG_VNET_HDR_LEN + 1400];
    gboolean gso_ok;

    /* the last lookup, valid while the tables' generation is unchanged */
    guint cache_generation;
    gboolean cache_valid;
    CgIpInfo cache_key;
    UespSa *cache_sa;
} TxState;

static guint8 *
slot(TxState *t, guint i)
{
    return t->slots + (gsize)i * TX_SLOT_LEN;
}

static gboolean
same_flow(const CgIpInfo *a, const CgIpInfo *b)
{
    gsize n = a->version == 6 ? 16 : 4;
    return a->version == b->version && a->protocol == b->protocol && a->src_port == b->src_port
           && a->dst_port == b->dst_port && memcmp(a->src, b->src, n) == 0
           && memcmp(a->dst, b->dst, n) == 0;
}

static UespSa *
lookup(TxState *t, const CgIpInfo *info)
{
    CgUesp *u = t->u;
    if (t->cache_valid && t->cache_generation == u->generation && same_flow(&t->cache_key, info))
        return t->cache_sa;
    guint32 reqid;
    UespSa *sa = cg_uesp_lookup_out(u, info->version, info->src, info->dst, info->protocol,
                                    info->src_port, info->dst_port, &reqid);
    t->cache_valid = TRUE;
    t->cache_generation = u->generation;
    t->cache_key = *info;
    t->cache_sa = sa;
    return sa;
}

/* RFC 1191 / RFC 8201: tell the sender the largest packet that fits. */
static void
send_too_big(TxState *t, const guint8 *pkt, gsize len, guint32 mtu)
{
    CgUesp *u = t->u;
    CgIpInfo info;
    const char *reason;
    if (!cg_ip_parse(pkt, len, &info, &reason))
        return;
    guint8 *out = t->icmp_buf + (u->tun.vnet_hdr ? CG_VNET_HDR_LEN : 0);
    gsize cap = sizeof(t->icmp_buf) - (gsize)(out - t->icmp_buf);
    /* from the far end of the tunnel, the address the packet was for */
    gsize n = cg_icmp_too_big(pkt, len, &info, mtu, info.dst, out, cap);
    if (n == 0)
        return;
    if (u->tun.vnet_hdr)
        memset(t->icmp_buf, 0, CG_VNET_HDR_LEN);
    if (write(u->tun.fd, t->icmp_buf, n + (gsize)(out - t->icmp_buf)) < 0)
        uesp_count(&u->counters.drop_io, 1);
}

/* Seals n packets (already in their slots) with sa; table lock held. */
static void
seal_all(TxState *t, UespSa *sa, guint first, guint n, const gsize *lens, guint8 next_header)
{
    CgUesp *u = t->u;
    gsize off = cg_esp_payload_offset(&sa->xf);
    g_mutex_lock(&sa->lock);
    for (guint i = 0; i < n; i++) {
        guint8 *s = slot(t, first + i);
        gsize inner = lens[i];
        if (sa->dead) {
            uesp_count(&u->counters.drop_expired, 1);
            continue;
        }
        if (sa->max_inner && inner > sa->max_inner) {
            CgIpInfo info;
            const char *reason;
            gboolean df = !cg_ip_parse(s + off, inner, &info, &reason) || info.dont_fragment;
            if (df) {
                send_too_big(t, s + off, inner, sa->max_inner);
                uesp_count(&u->counters.drop_too_big, 1);
                cg_uesp_log_drop(u,
                                 "%" G_GSIZE_FORMAT "-byte packet for SA %08x exceeds its %u; "
                                 "ICMP too big sent",
                                 inner, sa->spi, sa->max_inner);
                continue;
            }
            /* IPv4 without DF: the outer packet gets fragmented instead */
        }
        guint64 seq = ++sa->seq;
        gsize esp_len = cg_esp_seal(&sa->xf, seq, next_header, s, inner, NULL);
        if (esp_len == 0) {
            uesp_count(&u->counters.drop_io, 1);
            continue;
        }
        cg_uesp_sa_account(u, sa, inner);
        TxEntry *e = &t->entries[t->n_entries++];
        e->data = s;
        e->len = esp_len;
        e->family = sa->family;
        e->encap = sa->encap;
        e->dst = sa->peer;
        e->dst_len = sa->addr_len;
        if (sa->local.ss_family == AF_INET)
            memcpy(e->src, &((struct sockaddr_in *)&sa->local)->sin_addr, 4);
        else
            memcpy(e->src, &((struct sockaddr_in6 *)&sa->local)->sin6_addr, 16);
        uesp_count(&u->counters.packets_out, 1);
        uesp_count(&u->counters.bytes_out, inner);
    }
    g_mutex_unlock(&sa->lock);
}

/* One read from the TUN device: a packet, or a super-packet to cut. */
static void
tx_packet(TxState *t, guint8 *buf, gsize n)
{
    CgUesp *u = t->u;
    CgVnetHdr vh = { 0 };
    guint8 *pkt = buf;
    gsize len = n;
    const char *reason = NULL;

    if (u->tun.vnet_hdr) {
        if (n < CG_VNET_HDR_LEN) {
            uesp_count(&u->counters.drop_malformed, 1);
            return;
        }
        cg_vnet_hdr_read(buf, &vh);
        pkt += CG_VNET_HDR_LEN;
        len -= CG_VNET_HDR_LEN;
    }
    CgIpInfo info;
    if (!cg_ip_parse(pkt, len, &info, &reason)) {
        uesp_count(&u->counters.drop_malformed, 1);
        cg_uesp_log_drop(u, "dropped a %" G_GSIZE_FORMAT "-byte packet from the TUN: %s", len,
                         reason);
        return;
    }
    g_rw_lock_reader_lock(&u->lock);
    UespSa *sa = lookup(t, &info);
    if (!sa) {
        g_rw_lock_reader_unlock(&u->lock);
        uesp_count(&u->counters.drop_no_sa, 1);
        char src[64], dst[64];
        g_autoptr(GInetAddress) s = g_inet_address_new_from_bytes(
            info.src, info.version == 6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
        g_autoptr(GInetAddress) d = g_inet_address_new_from_bytes(
            info.dst, info.version == 6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
        g_autofree char *ss = g_inet_address_to_string(s);
        g_autofree char *ds = g_inet_address_to_string(d);
        g_strlcpy(src, ss, sizeof(src));
        g_strlcpy(dst, ds, sizeof(dst));
        cg_uesp_log_drop(u, "no outbound SA for %s -> %s (protocol %u)", src, dst, info.protocol);
        return;
    }
    gsize off = cg_esp_payload_offset(&sa->xf);
    gsize cap = TX_SLOT_LEN - off - cg_esp_trailer_max(&sa->xf);
    guint8 nh = info.version == 6 ? CG_ESP_NH_IPV6 : CG_ESP_NH_IPV4;
    guint first = t->n_entries;
    guint free_slots = TX_SLOTS - first;
    guint8 *outs[TX_SLOTS_PER_READ];
    gsize lens[TX_SLOTS_PER_READ];
    guint n_pkts;

    if ((vh.gso_type & ~CG_VNET_GSO_ECN) != CG_VNET_GSO_NONE) {
        guint n_outs = MIN(free_slots, TX_SLOTS_PER_READ);
        for (guint i = 0; i < n_outs; i++)
            outs[i] = slot(t, first + i) + off;
        n_pkts = cg_gso_segment(&vh, pkt, len, outs, n_outs, cap, lens, &reason);
        if (n_pkts == 0) {
            g_rw_lock_reader_unlock(&u->lock);
            uesp_count(&u->counters.drop_malformed, 1);
            cg_uesp_log_drop(u, "cannot cut a %" G_GSIZE_FORMAT "-byte super-packet: %s", len,
                             reason);
            return;
        }
    } else {
        if (!cg_gso_finish_csum(&vh, pkt, len)) {
            g_rw_lock_reader_unlock(&u->lock);
            uesp_count(&u->counters.drop_malformed, 1);
            return;
        }
        if (len > cap) {
            /* larger than any path: only a misconfigured MTU gets here */
            send_too_big(t, pkt, len, sa->max_inner);
            g_rw_lock_reader_unlock(&u->lock);
            uesp_count(&u->counters.drop_too_big, 1);
            return;
        }
        memcpy(slot(t, first) + off, pkt, len);
        lens[0] = len;
        n_pkts = 1;
    }
    seal_all(t, sa, first, n_pkts, lens, nh);
    g_rw_lock_reader_unlock(&u->lock);
}

/* ---- sending ------------------------------------------------------------------ */

static int
entry_fd(CgUesp *u, const TxEntry *e)
{
    int i = e->family == AF_INET6;
    return e->encap ? u->natt_fd[i] : u->raw_fd[i];
}

static gboolean
same_peer(const TxEntry *a, const TxEntry *b)
{
    return a->encap == b->encap && a->dst_len == b->dst_len
           && memcmp(&a->dst, &b->dst, a->dst_len) == 0
           && memcmp(a->src, b->src, sizeof(a->src)) == 0;
}

static void
put_control(struct msghdr *mh, guint8 *buf, const TxEntry *e, guint16 gso_size)
{
    static const guint8 zero[16];
    gsize used = 0;
    mh->msg_control = buf;
    mh->msg_controllen = CONTROL_LEN;
    struct cmsghdr *c = CMSG_FIRSTHDR(mh);
    gsize alen = e->family == AF_INET6 ? 16 : 4;
    if (memcmp(e->src, zero, alen) != 0) {
        if (e->family == AF_INET) {
            struct in_pktinfo pi = { 0 };
            memcpy(&pi.ipi_spec_dst, e->src, 4);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(pi));
            memcpy(CMSG_DATA(c), &pi, sizeof(pi));
            used += CMSG_SPACE(sizeof(pi));
        } else {
            struct in6_pktinfo pi = { 0 };
            memcpy(&pi.ipi6_addr, e->src, 16);
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(pi));
            memcpy(CMSG_DATA(c), &pi, sizeof(pi));
            used += CMSG_SPACE(sizeof(pi));
        }
        c = CMSG_NXTHDR(mh, c);
    }
    if (gso_size) {
        /* the kernel cuts this datagram into gso_size pieces */
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(guint16));
        memcpy(CMSG_DATA(c), &gso_size, sizeof(guint16));
        used += CMSG_SPACE(sizeof(guint16));
    }
    mh->msg_controllen = used;
    if (used == 0)
        mh->msg_control = NULL;
}

/* Waits until fd takes more, or the threads stop. */
static gboolean
wait_writable(CgUesp *u, int fd)
{
    struct pollfd p[2]
        = { { .fd = fd, .events = POLLOUT }, { .fd = u->stop_fd, .events = POLLIN } };
    if (poll(p, 2, SEND_WAIT_MS) < 0 && errno != EINTR)
        return FALSE;
    return !g_atomic_int_get(&u->stopping);
}

/* Sends messages [first, first + n) on fd; resends a refused GSO message
 * piece by piece (and stops using GSO). */
static void
send_run(TxState *t, int fd, guint first, guint n)
{
    CgUesp *u = t->u;
    guint done = 0, retries = 0;
    while (done < n) {
        int r = sendmmsg(fd, t->msgs + first + done, n - done, 0);
        if (r > 0) {
            done += (guint)r;
            continue;
        }
        if ((errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
            && retries++ < SEND_RETRIES && wait_writable(u, fd))
            continue;
        if (errno == EINTR)
            continue;
        struct msghdr *mh = &t->msgs[first + done].msg_hdr;
        guint pieces = (guint)mh->msg_iovlen;
        if (pieces > 1 && (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP) && t->gso_ok) {
            cg_warn(NULL,
                    "uesp: UDP segmentation offload refused (%s); sending ESP packets one "
                    "by one from now on",
                    g_strerror(errno));
            t->gso_ok = FALSE;
            struct iovec *iov = mh->msg_iov;
            guint entry = t->msg_first[first + done];
            for (guint i = 0; i < pieces; i++) {
                struct msghdr one = *mh;
                one.msg_iov = &iov[i];
                one.msg_iovlen = 1;
                put_control(&one, t->controls[first + done], &t->entries[entry + i], 0);
                if (sendmsg(fd, &one, 0) < 0)
                    uesp_count(&u->counters.drop_io, 1);
            }
        } else {
            uesp_count(&u->counters.drop_io, pieces);
            cg_uesp_log_drop(u, "sending ESP: %s", g_strerror(errno));
        }
        done++;
    }
}

static void
tx_flush(TxState *t)
{
    CgUesp *u = t->u;
    guint n_msgs = 0;
    for (guint i = 0; i < t->n_entries;) {
        TxEntry *e = &t->entries[i];
        guint j = i + 1;
        gsize total = e->len;
        /* UDP_SEGMENT: equal pieces to one peer, only the last may be shorter */
        if (e->encap && t->gso_ok) {
            while (j < t->n_entries && j - i < GSO_MAX_SEGMENTS && t->entries[j - 1].len == e->len
                   && t->entries[j].len <= e->len && total + t->entries[j].len <= GSO_MAX_BYTES
                   && same_peer(e, &t->entries[j])) {
                total += t->entries[j].len;
                j++;
            }
        }
        for (guint k = i; k < j; k++) {
            t->iovs[k].iov_base = t->entries[k].data;
            t->iovs[k].iov_len = t->entries[k].len;
        }
        struct msghdr *mh = &t->msgs[n_msgs].msg_hdr;
        memset(mh, 0, sizeof(*mh));
        mh->msg_name = &e->dst;
        mh->msg_namelen = e->dst_len;
        mh->msg_iov = &t->iovs[i];
        mh->msg_iovlen = j - i;
        put_control(mh, t->controls[n_msgs], e, j - i > 1 ? (guint16)e->len : 0);
        t->msg_fd[n_msgs] = entry_fd(u, e);
        t->msg_first[n_msgs] = i;
        n_msgs++;
        i = j;
    }
    for (guint m = 0; m < n_msgs;) {
        guint end = m + 1;
        while (end < n_msgs && t->msg_fd[end] == t->msg_fd[m])
            end++;
        if (t->msg_fd[m] >= 0)
            send_run(t, t->msg_fd[m], m, end - m);
        else
            for (guint k = m; k < end; k++)
                uesp_count(&u->counters.drop_io, t->msgs[k].msg_hdr.msg_iovlen);
        m = end;
    }
    t->n_entries = 0;
}

static gpointer
tx_main(gpointer data)
{
    TxState *t = data;
    CgUesp *u = t->u;
    struct pollfd p[2]
        = { { .fd = u->tun.fd, .events = POLLIN }, { .fd = u->stop_fd, .events = POLLIN } };

    while (!g_atomic_int_get(&u->stopping)) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            cg_warn(NULL, "uesp: TUN poll: %s", g_strerror(errno));
            break;
        }
        if (!(p[0].revents & POLLIN))
            continue;
        for (int r = 0; r < TX_READS_PER_WAKE; r++) {
            if (TX_SLOTS - t->n_entries < TX_SLOTS_PER_READ)
                tx_flush(t);
            ssize_t n = read(u->tun.fd, t->read_buf, READ_BUF_LEN);
            if (n < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    uesp_count(&u->counters.drop_io, 1);
                    cg_uesp_log_drop(u, "TUN read: %s", g_strerror(errno));
                }
                break;
            }
            tx_packet(t, t->read_buf, (gsize)n);
        }
        tx_flush(t);
    }
    g_free(t->read_buf);
    g_free(t->slots);
    g_free(t);
    return NULL;
}

gboolean
cg_uesp_tx_start(CgUesp *u, GError **error)
{
    TxState *t = g_new0(TxState, 1);
    t->u = u;
    t->read_buf = g_malloc(READ_BUF_LEN);
    t->slots = g_malloc((gsize)TX_SLOTS * TX_SLOT_LEN);
    t->gso_ok = TRUE;
    u->tx_thread = g_thread_try_new("cg-uesp-tx", tx_main, t, error);
    if (!u->tx_thread) {
        g_free(t->read_buf);
        g_free(t->slots);
        g_free(t);
        return FALSE;
    }
    return TRUE;
}

void
cg_uesp_threads_stop(CgUesp *u)
{
    g_atomic_int_set(&u->stopping, 1);
    guint64 one = 1;
    if (u->stop_fd >= 0 && write(u->stop_fd, &one, sizeof(one)) < 0)
        cg_warn(NULL, "uesp: cannot wake the packet threads: %s", g_strerror(errno));
    if (u->tx_thread)
        g_thread_join(u->tx_thread);
    if (u->raw_thread)
        g_thread_join(u->raw_thread);
    u->tx_thread = u->raw_thread = NULL;
}
