/* cg-gro.c: joining TCP segments into super-packets for the TUN device.
 *
 * A run is a sequence of segments of one flow in sequence order whose
 * headers agree in everything but the sequence number and lengths (the
 * rules Linux's own TCP GRO applies): same addresses, ports, TTL/hop
 * limit, TOS, acknowledgment, window and TCP options, ACK with at most PSH,
 * equal payload sizes with only the last one shorter. The joined packet
 * carries the first segment's headers with new lengths and a partial
 * checksum (the pseudo-header sum, as virtio NEEDS_CSUM wants it); the
 * payload was authenticated by ESP. It is written with one writev: our
 * copy of the headers, then every segment's payload where it lies. */
#include "kernel/cg-gro.h"

#include <string.h>

#include "kernel/cg-ip.h"
#include "kernel/cg-tun.h"

#define MAX_TOTAL 65535
#define MAX_SEGS  64
#define PROTO_TCP 6
#define TCP_ACK   0x10
#define TCP_PSH   0x08
#define IPV4_HDR  20
#define IPV6_HDR  40

struct CgGro {
    gboolean vnet_hdr;
    CgGroWriteFunc write;
    gpointer user_data;
    guint8 hdr_buf[CG_VNET_HDR_LEN + 60 + 60]; /* virtio header + IP + TCP headers */
    struct iovec iov[MAX_SEGS + 1];            /* hdr_buf, then each payload */

    guint n;       /* segments in the run, 0 = no run */
    guint8 *first; /* the first segment, in the caller's buffer */
    gsize first_len;
    gboolean v6;
    gsize ip_len, hdr_len; /* IP header; IP + TCP headers */
    gsize mss;             /* the first segment's payload */
    gsize total;           /* bytes of the joined packet so far */
    guint32 next_seq;
    gboolean closed; /* a short or PSH segment ended it */

    guint64 offered, super_packets, merged;
};

static guint16
get_be16(const guint8 *p)
{
    return (guint16)(p[0] << 8 | p[1]);
}

static void
put_be16(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static guint32
get_be32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

CgGro *
cg_gro_new(gboolean vnet_hdr, CgGroWriteFunc write, gpointer user_data)
{
    CgGro *g = g_new0(CgGro, 1);
    g->vnet_hdr = vnet_hdr;
    g->write = write;
    g->user_data = user_data;
    return g;
}

void
cg_gro_free(CgGro *g)
{
    g_free(g);
}

/* A segment that may start or join a run: TCP with data, ACK or ACK|PSH,
 * no IP options, extension headers or fragments. Fills the header sizes. */
static gboolean
candidate(const guint8 *p, gsize len, gboolean *v6, gsize *ip_len, gsize *hdr_len)
{
    if (len < IPV4_HDR)
        return FALSE;
    if ((p[0] >> 4) == 4) {
        if (p[0] != 0x45 || p[9] != PROTO_TCP || (get_be16(p + 6) & 0x3fff) != 0
            || get_be16(p + 2) != len)
            return FALSE;
        *v6 = FALSE;
        *ip_len = IPV4_HDR;
    } else if ((p[0] >> 4) == 6) {
        if (len < IPV6_HDR || p[6] != PROTO_TCP || (gsize)get_be16(p + 4) + IPV6_HDR != len)
            return FALSE;
        *v6 = TRUE;
        *ip_len = IPV6_HDR;
    } else
        return FALSE;
    if (len < *ip_len + 20)
        return FALSE;
    const guint8 *t = p + *ip_len;
    gsize tcp_len = (gsize)(t[12] >> 4) * 4;
    guint8 flags = t[13];
    if (tcp_len < 20 || tcp_len > 60 || *ip_len + tcp_len >= len)
        return FALSE; /* pure ACKs and bad lengths go as they are */
    if (flags != TCP_ACK && flags != (TCP_ACK | TCP_PSH))
        return FALSE;
    *hdr_len = *ip_len + tcp_len;
    return TRUE;
}

static gboolean
can_join(const CgGro *g, const guint8 *p, gsize len)
{
    gboolean v6;
    gsize ip_len, hdr_len;
    if (g->closed || g->n >= MAX_SEGS || !candidate(p, len, &v6, &ip_len, &hdr_len) || v6 != g->v6
        || hdr_len != g->hdr_len)
        return FALSE;
    const guint8 *f = g->first;
    gsize payload = len - hdr_len;
    if (payload > g->mss || g->total + payload > MAX_TOTAL)
        return FALSE;
    if (v6) {
        /* version, class, flow label; next header and hop limit; addresses */
        if (memcmp(p, f, 4) != 0 || memcmp(p + 6, f + 6, 34) != 0)
            return FALSE;
    } else {
        /* TOS; DF; TTL and protocol; addresses */
        if (p[1] != f[1] || p[6] != f[6] || memcmp(p + 8, f + 8, 2) != 0
            || memcmp(p + 12, f + 12, 8) != 0)
            return FALSE;
    }
    const guint8 *t = p + ip_len, *ft = f + ip_len;
    /* ports; acknowledgment; header length; window; options */
    if (memcmp(t, ft, 4) != 0 || memcmp(t + 8, ft + 8, 5) != 0 || memcmp(t + 14, ft + 14, 2) != 0
        || memcmp(t + 20, ft + 20, hdr_len - ip_len - 20) != 0)
        return FALSE;
    return get_be32(t + 4) == g->next_seq;
}

static void
write_single(CgGro *g, guint8 *p, gsize len)
{
    struct iovec iov;
    if (!g->vnet_hdr) {
        iov = (struct iovec){ .iov_base = p, .iov_len = len };
        g->write(g->user_data, &iov, 1);
        return;
    }
    /* authenticated by ESP: the kernel may skip the checksums */
    CgVnetHdr vh = { .flags = CG_VNET_F_DATA_VALID };
    cg_vnet_hdr_write(p - CG_VNET_HDR_LEN, &vh);
    iov = (struct iovec){ .iov_base = p - CG_VNET_HDR_LEN, .iov_len = len + CG_VNET_HDR_LEN };
    g->write(g->user_data, &iov, 1);
}

void
cg_gro_flush(CgGro *g)
{
    if (g->n == 0)
        return;
    if (g->n == 1) {
        write_single(g, g->first, g->first_len);
        g->n = 0;
        return;
    }
    guint8 *p = g->hdr_buf + CG_VNET_HDR_LEN;
    gsize l4_len = g->total - g->ip_len;
    if (g->v6)
        put_be16(p + 4, (guint16)(g->total - IPV6_HDR));
    else {
        put_be16(p + 2, (guint16)g->total);
        put_be16(p + 10, 0);
        put_be16(p + 10, cg_csum_fold(cg_csum_add(0, p, IPV4_HDR)));
    }
    /* NEEDS_CSUM: the field holds the uncomplemented pseudo-header sum */
    guint8 tail[8] = { 0 };
    guint32 sum;
    if (g->v6) {
        tail[0] = (guint8)(l4_len >> 24);
        tail[1] = (guint8)(l4_len >> 16);
        tail[2] = (guint8)(l4_len >> 8);
        tail[3] = (guint8)l4_len;
        tail[7] = PROTO_TCP;
        sum = cg_csum_add(cg_csum_add(0, p + 8, 32), tail, 8);
    } else {
        tail[1] = PROTO_TCP;
        tail[2] = (guint8)(l4_len >> 8);
        tail[3] = (guint8)l4_len;
        sum = cg_csum_add(cg_csum_add(0, p + 12, 8), tail, 4);
    }
    put_be16(p + g->ip_len + 16, (guint16)~cg_csum_fold(sum));
    CgVnetHdr vh = {
        .flags = CG_VNET_F_NEEDS_CSUM,
        .gso_type = g->v6 ? CG_VNET_GSO_TCPV6 : CG_VNET_GSO_TCPV4,
        .hdr_len = (guint16)g->hdr_len,
        .gso_size = (guint16)g->mss,
        .csum_start = (guint16)g->ip_len,
        .csum_offset = 16,
    };
    cg_vnet_hdr_write(g->hdr_buf, &vh);
    g->iov[0].iov_base = g->hdr_buf;
    g->iov[0].iov_len = CG_VNET_HDR_LEN + g->hdr_len;
    g->write(g->user_data, g->iov, (int)g->n + 1);
    g->super_packets++;
    g->merged += g->n;
    g->n = 0;
}

void
cg_gro_add(CgGro *g, guint8 *p, gsize len)
{
    g->offered++;
    if (!g->vnet_hdr) {
        write_single(g, p, len);
        return;
    }
    if (g->n && can_join(g, p, len)) {
        if (g->n == 1)
            /* our own copy of the headers, to rewrite at the flush */
            memcpy(g->hdr_buf + CG_VNET_HDR_LEN, g->first, g->hdr_len);
        gsize payload = len - g->hdr_len;
        g->iov[g->n + 1].iov_base = p + g->hdr_len;
        g->iov[g->n + 1].iov_len = payload;
        g->total += payload;
        g->next_seq += (guint32)payload;
        g->n++;
        guint8 flags = p[g->ip_len + 13];
        if (payload < g->mss || (flags & TCP_PSH)) {
            g->hdr_buf[CG_VNET_HDR_LEN + g->ip_len + 13] |= flags & TCP_PSH;
            g->closed = TRUE;
        }
        return;
    }
    cg_gro_flush(g);
    gboolean v6;
    gsize ip_len, hdr_len;
    if (!candidate(p, len, &v6, &ip_len, &hdr_len)) {
        write_single(g, p, len);
        return;
    }
    g->n = 1;
    g->first = p;
    g->first_len = len;
    g->total = len;
    g->iov[1].iov_base = p + hdr_len;
    g->iov[1].iov_len = len - hdr_len;
    g->v6 = v6;
    g->ip_len = ip_len;
    g->hdr_len = hdr_len;
    g->mss = len - hdr_len;
    g->next_seq = get_be32(p + ip_len + 4) + (guint32)g->mss;
    g->closed = (p[ip_len + 13] & TCP_PSH) != 0;
}

void
cg_gro_stats(const CgGro *g, guint64 *offered, guint64 *super_packets, guint64 *merged)
{
    *offered = g->offered;
    *super_packets = g->super_packets;
    *merged = g->merged;
}
