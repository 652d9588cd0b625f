/* cg-uesp-rx.c: the inbound path of user-space ESP.
 *
 * RFC 4303 3.4: find the SA by SPI, check the sequence number against the
 * replay window, verify and decrypt, move the window, then check that the
 * inner packet belongs to the SA's selectors (RFC 4301 5.2 step 4) before
 * it goes into the TUN device. Every drop is counted under one reason and
 * costs at most one decryption. ESP in UDP arrives on cg-net's NAT-T
 * thread; plain ESP (IP protocol 50) on a raw socket read here. */
#include "kernel/cg-uesp-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kernel/cg-ip.h"
#include "log/cg-log.h"

#define RAW_BATCH   32
#define RAW_BUF_LEN 65536
#ifndef IPPROTO_ESP
#define IPPROTO_ESP 50
#endif

static void
log_drop(CgUesp *u, const struct sockaddr *from, guint32 spi, guint64 seq, const char *why)
{
    if (!cg_log_enabled(CG_LOG_DEBUG))
        return;
    g_autofree char *peer = cg_uesp_sockaddr_string(from);
    cg_uesp_log_drop(u, "dropped ESP from %s, SPI %08x, seq %" G_GUINT64_FORMAT ": %s", peer, spi,
                     seq, why);
}

/* Hands the inner packet to the kernel: the virtio header goes into the
 * bytes the ESP header and IV occupied. The packet was authenticated, so
 * the kernel may skip verifying its checksums (DATA_VALID), as WireGuard
 * does for what it decrypts. With a coalescer, TCP segments of one batch
 * are joined first (cg-gro.c). */
static void
deliver(CgUesp *u, CgGro *gro, guint8 *inner, gsize len)
{
    uesp_count(&u->counters.packets_in, 1);
    uesp_count(&u->counters.bytes_in, len);
    if (gro) {
        cg_gro_add(gro, inner, len);
        return;
    }
    struct iovec iov = { .iov_base = inner, .iov_len = len };
    if (u->tun.vnet_hdr) {
        CgVnetHdr vh = { .flags = CG_VNET_F_DATA_VALID };
        iov.iov_base = inner - CG_VNET_HDR_LEN;
        iov.iov_len += CG_VNET_HDR_LEN;
        cg_vnet_hdr_write(iov.iov_base, &vh);
    }
    cg_uesp_tun_write(u, &iov, 1);
}

gboolean
cg_uesp_tun_write(gpointer user_data, const struct iovec *iov, int n_iov)
{
    CgUesp *u = user_data;
    if (writev(u->tun.fd, iov, n_iov) < 0) {
        uesp_count(&u->counters.drop_io, 1);
        cg_uesp_log_drop(u, "TUN write: %s", g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

void
cg_uesp_rx_one(CgUesp *u, guint8 *pkt, gsize len, const struct sockaddr *from, gboolean encap,
               CgGro *gro)
{
    if (len < CG_ESP_HDR_LEN) {
        uesp_count(&u->counters.drop_malformed, 1);
        log_drop(u, from, 0, 0, "shorter than an ESP header");
        return;
    }
    guint32 spi = cg_esp_spi(pkt);
    guint32 seq_lo = cg_esp_seq_lo(pkt);
    UespSa *sa = g_hash_table_lookup(u->in_sas, GUINT_TO_POINTER(spi));
    if (!sa) {
        /* RFC 4303 3.4.2: no SA, discard (and audit) */
        uesp_count(&u->counters.drop_unknown_spi, 1);
        log_drop(u, from, spi, seq_lo, "unknown SPI");
        return;
    }
    /* checks that need no crypto first: a packet too short for this SA
     * costs nothing */
    if (len < cg_esp_payload_offset(&sa->xf) + sa->xf.icv_len + 2) {
        uesp_count(&u->counters.drop_malformed, 1);
        log_drop(u, from, spi, seq_lo, "truncated");
        return;
    }
    gsize off, inner_len;
    guint8 nh;
    guint64 seq;
    g_mutex_lock(&sa->lock);
    if (sa->dead) {
        g_mutex_unlock(&sa->lock);
        uesp_count(&u->counters.drop_expired, 1);
        log_drop(u, from, spi, seq_lo, "SA past its hard lifetime");
        return;
    }
    CgReplayResult rr = cg_replay_check(&sa->replay, seq_lo, &seq);
    if (rr != CG_REPLAY_OK) {
        g_mutex_unlock(&sa->lock);
        uesp_count(&u->counters.drop_replay, 1);
        log_drop(u, from, spi, seq, cg_replay_result_to_string(rr));
        return;
    }
    CgEspStatus st = cg_esp_open(&sa->xf, seq, pkt, len, &off, &inner_len, &nh);
    if (st != CG_ESP_OK) {
        g_mutex_unlock(&sa->lock);
        uesp_count(st == CG_ESP_AUTH_FAILED ? &u->counters.drop_auth : &u->counters.drop_malformed,
                   1);
        log_drop(u, from, spi, seq, cg_esp_status_to_string(st));
        return;
    }
    /* RFC 4303 3.4.3: the window moves only for authenticated packets */
    cg_replay_update(&sa->replay, seq);
    cg_uesp_sa_account(u, sa, inner_len);
    g_mutex_unlock(&sa->lock);

    guint8 *inner = pkt + off;
    /* RFC 4303 2.6: a dummy packet (TFC) is authenticated and discarded */
    if (nh == CG_ESP_NH_DUMMY)
        return;
    CgIpInfo info;
    const char *reason = "next header is not IPv4 or IPv6 (tunnel mode)";
    if ((nh != CG_ESP_NH_IPV4 && nh != CG_ESP_NH_IPV6)
        || !cg_ip_parse(inner, inner_len, &info, &reason)
        || info.version != (nh == CG_ESP_NH_IPV4 ? 4 : 6)) {
        uesp_count(&u->counters.drop_malformed, 1);
        log_drop(u, from, spi, seq, reason);
        return;
    }
    /* RFC 4301 5.2 step 4: the inner packet must match the SA's selectors */
    if (!cg_uesp_ts_allows(sa->remote_ts, info.version, info.src, info.protocol, info.src_port)
        || !cg_uesp_ts_allows(sa->local_ts, info.version, info.dst, info.protocol, info.dst_port)) {
        uesp_count(&u->counters.drop_policy, 1);
        log_drop(u, from, spi, seq, "inner addresses outside the SA's traffic selectors");
        return;
    }
    deliver(u, gro, inner, info.total_len);
}

void
cg_uesp_rx_batch(gpointer user_data, CgNetEspPacket *pkts, guint n_pkts)
{
    CgUesp *u = user_data;
    g_rw_lock_reader_lock(&u->lock);
    for (guint i = 0; i < n_pkts; i++)
        cg_uesp_rx_one(u, pkts[i].data, pkts[i].len, pkts[i].from, TRUE, u->gro_natt);
    g_rw_lock_reader_unlock(&u->lock);
    cg_gro_flush(u->gro_natt);
}

/* ---- plain ESP on raw sockets ---------------------------------------------- */

typedef struct {
    CgUesp *u;
    guint8 *bufs;
    struct mmsghdr msgs[RAW_BATCH];
    struct iovec iovs[RAW_BATCH];
    struct sockaddr_storage names[RAW_BATCH];
} RawState;

static void
raw_drain(RawState *r, int fd, int family)
{
    CgUesp *u = r->u;
    for (guint i = 0; i < RAW_BATCH; i++) {
        r->iovs[i].iov_base = r->bufs + (gsize)i * RAW_BUF_LEN;
        r->iovs[i].iov_len = RAW_BUF_LEN;
        memset(&r->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
        r->msgs[i].msg_hdr.msg_name = &r->names[i];
        r->msgs[i].msg_hdr.msg_namelen = sizeof(r->names[i]);
        r->msgs[i].msg_hdr.msg_iov = &r->iovs[i];
        r->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, r->msgs, RAW_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
        return;
    g_rw_lock_reader_lock(&u->lock);
    for (int i = 0; i < n; i++) {
        guint8 *data = r->iovs[i].iov_base;
        gsize len = r->msgs[i].msg_len;
        if (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
            uesp_count(&u->counters.drop_malformed, 1);
            continue;
        }
        if (family == AF_INET) {
            /* IPv4 raw sockets deliver the IP header too */
            gsize ihl = len ? (gsize)(data[0] & 0x0f) * 4 : 0;
            if (ihl < 20 || ihl > len) {
                uesp_count(&u->counters.drop_malformed, 1);
                continue;
            }
            data += ihl;
            len -= ihl;
        }
        cg_uesp_rx_one(u, data, len, (const struct sockaddr *)&r->names[i], FALSE, u->gro_raw);
    }
    g_rw_lock_reader_unlock(&u->lock);
    cg_gro_flush(u->gro_raw);
}

static gpointer
raw_main(gpointer data)
{
    RawState *r = data;
    CgUesp *u = r->u;
    while (!g_atomic_int_get(&u->stopping)) {
        struct pollfd p[3];
        int fams[3];
        guint n = 0;
        for (int i = 0; i < 2; i++) {
            int fd = g_atomic_int_get(&u->raw_fd[i]);
            if (fd >= 0) {
                fams[n] = i ? AF_INET6 : AF_INET;
                p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
            }
        }
        p[n++] = (struct pollfd){ .fd = u->stop_fd, .events = POLLIN };
        /* a second family may be opened later: look again every second */
        if (poll(p, n, 1000) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (guint i = 0; i + 1 < n; i++)
            if (p[i].revents & POLLIN)
                raw_drain(r, p[i].fd, fams[i]);
    }
    g_free(r->bufs);
    g_free(r);
    return NULL;
}

gboolean
cg_uesp_raw_start(CgUesp *u, int family, GError **error)
{
    int i = family == AF_INET6;
    if (u->raw_fd[i] >= 0)
        return TRUE;
    int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ESP);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                    "raw ESP socket for a SA without UDP encapsulation: %s", g_strerror(e));
        return FALSE;
    }
    guint32 mark = CG_UESP_BYPASS_MARK;
    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
    int sndbuf = 4 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
    g_atomic_int_set(&u->raw_fd[i], fd);
    if (!u->raw_thread) {
        RawState *r = g_new0(RawState, 1);
        r->u = u;
        r->bufs = g_malloc((gsize)RAW_BATCH * RAW_BUF_LEN);
        u->raw_thread = g_thread_try_new("cg-uesp-raw", raw_main, r, error);
        if (!u->raw_thread) {
            g_free(r->bufs);
            g_free(r);
            return FALSE;
        }
    }
    cg_info(NULL, "uesp: plain ESP (IP protocol 50) over %s", family == AF_INET6 ? "IPv6" : "IPv4");
    return TRUE;
}
