/* cg-gso.c: cutting TCP/UDP super-packets from the TUN device into
 * packets (what a NIC does for TSO/USO), and finishing checksums the
 * kernel left to the device. Every offset comes from the packet or the
 * virtio header and is checked against the packet's length first. */
#include "kernel/cg-tun.h"

#include <string.h>

#include "kernel/cg-ip.h"

#define PROTO_TCP    6
#define PROTO_UDP    17
#define IPV4_MIN_HDR 20
#define IPV6_HDR     40
#define TCP_MIN_HDR  20
#define UDP_HDR      8
#define TCP_FIN      0x01
#define TCP_PSH      0x08
#define TCP_CWR      0x80

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

gboolean
cg_gso_finish_csum(const CgVnetHdr *h, guint8 *pkt, gsize len)
{
    if (!(h->flags & CG_VNET_F_NEEDS_CSUM))
        return TRUE;
    gsize start = h->csum_start, field = (gsize)h->csum_start + h->csum_offset;
    if (start >= len || field + 2 > len)
        return FALSE;
    /* the field holds the pseudo-header sum already: sum from csum_start
     * to the end, field included, and store the complement */
    guint16 csum = cg_csum_fold(cg_csum_add(0, pkt + start, len - start));
    /* RFC 768: a computed UDP checksum of zero is sent as all ones; TCP
     * never yields zero from a non-zero pseudo header, so this is safe */
    if (csum == 0)
        csum = 0xffff;
    put_be16(pkt + field, csum);
    return TRUE;
}

/* The pseudo-header sum (RFC 793 3.1, RFC 768, RFC 8200 8.1) for an L4
 * segment of l4_len bytes. */
static guint32
pseudo_sum(const guint8 *ip, gboolean v6, guint8 proto, gsize l4_len)
{
    guint8 tail[8] = { 0 };
    if (v6) {
        tail[0] = (guint8)(l4_len >> 24);
        tail[1] = (guint8)(l4_len >> 16);
        tail[2] = (guint8)(l4_len >> 8);
        tail[3] = (guint8)l4_len;
        tail[7] = proto;
        return cg_csum_add(cg_csum_add(0, ip + 8, 32), tail, 8);
    }
    tail[1] = proto;
    tail[2] = (guint8)(l4_len >> 8);
    tail[3] = (guint8)l4_len;
    return cg_csum_add(cg_csum_add(0, ip + 12, 8), tail, 4);
}

guint
cg_gso_segment(const CgVnetHdr *h, const guint8 *pkt, gsize len, guint8 *const *outs, guint n_outs,
               gsize out_cap, gsize *out_lens, const char **reason)
{
    guint8 gso = h->gso_type & ~CG_VNET_GSO_ECN;
    gboolean tcp = gso == CG_VNET_GSO_TCPV4 || gso == CG_VNET_GSO_TCPV6;
    if (!tcp && gso != CG_VNET_GSO_UDP_L4) {
        *reason = "unsupported segmentation type";
        return 0;
    }
    if (len < 1 || h->gso_size == 0) {
        *reason = "empty packet or segment size 0";
        return 0;
    }
    gboolean v6 = (pkt[0] >> 4) == 6;
    gsize ip_len;
    guint8 proto;
    if (v6) {
        if (len < IPV6_HDR) {
            *reason = "shorter than an IPv6 header";
            return 0;
        }
        ip_len = IPV6_HDR;
        proto = pkt[6]; /* extension headers are not offloaded to us */
    } else {
        if (len < IPV4_MIN_HDR || (pkt[0] >> 4) != 4) {
            *reason = "not an IPv4 or IPv6 packet";
            return 0;
        }
        ip_len = (gsize)(pkt[0] & 0x0f) * 4;
        proto = pkt[9];
        if (ip_len < IPV4_MIN_HDR || ip_len > len) {
            *reason = "bad IPv4 header length";
            return 0;
        }
    }
    if (proto != (tcp ? PROTO_TCP : PROTO_UDP)) {
        *reason = "transport protocol does not match the segmentation type";
        return 0;
    }
    gsize l4_hdr;
    if (tcp) {
        if (len < ip_len + TCP_MIN_HDR) {
            *reason = "shorter than its TCP header";
            return 0;
        }
        l4_hdr = (gsize)(pkt[ip_len + 12] >> 4) * 4;
        if (l4_hdr < TCP_MIN_HDR || ip_len + l4_hdr > len) {
            *reason = "bad TCP header length";
            return 0;
        }
    } else {
        l4_hdr = UDP_HDR;
        if (len < ip_len + UDP_HDR) {
            *reason = "shorter than its UDP header";
            return 0;
        }
    }
    gsize hdrs = ip_len + l4_hdr;
    gsize payload = len - hdrs;
    gsize mss = h->gso_size;
    guint n = payload == 0 ? 1 : (guint)((payload + mss - 1) / mss);
    if (n > n_outs) {
        *reason = "more segments than buffers";
        return 0;
    }
    if (hdrs + MIN(mss, payload) > out_cap) {
        *reason = "segment larger than the buffer";
        return 0;
    }

    guint32 seq0 = 0;
    if (tcp) {
        const guint8 *t = pkt + ip_len;
        seq0 = (guint32)t[4] << 24 | (guint32)t[5] << 16 | (guint32)t[6] << 8 | t[7];
    }
    guint16 id0 = v6 ? 0 : get_be16(pkt + 4);
    for (guint i = 0; i < n; i++) {
        gsize off = (gsize)i * mss;
        gsize chunk = MIN(mss, payload - off);
        guint8 *o = outs[i];
        gsize total = hdrs + chunk;
        memcpy(o, pkt, hdrs);
        memcpy(o + hdrs, pkt + hdrs + off, chunk);
        if (v6) {
            put_be16(o + 4, (guint16)(total - IPV6_HDR));
        } else {
            put_be16(o + 2, (guint16)total);
            put_be16(o + 4, (guint16)(id0 + i));
            put_be16(o + 10, 0);
            put_be16(o + 10, cg_csum_fold(cg_csum_add(0, o, ip_len)));
        }
        guint8 *l4 = o + ip_len;
        gsize l4_len = total - ip_len;
        if (tcp) {
            guint32 seq = seq0 + (guint32)off;
            l4[4] = (guint8)(seq >> 24);
            l4[5] = (guint8)(seq >> 16);
            l4[6] = (guint8)(seq >> 8);
            l4[7] = (guint8)seq;
            /* FIN and PSH belong to the last piece, CWR to the first */
            if (i + 1 < n)
                l4[13] &= (guint8) ~(TCP_FIN | TCP_PSH);
            if (i > 0)
                l4[13] &= (guint8)~TCP_CWR;
            put_be16(l4 + 16, 0);
            put_be16(l4 + 16,
                     cg_csum_fold(cg_csum_add(pseudo_sum(o, v6, PROTO_TCP, l4_len), l4, l4_len)));
        } else {
            put_be16(l4 + 4, (guint16)l4_len);
            put_be16(l4 + 6, 0);
            guint16 c = cg_csum_fold(cg_csum_add(pseudo_sum(o, v6, PROTO_UDP, l4_len), l4, l4_len));
            put_be16(l4 + 6, c ? c : 0xffff);
        }
        out_lens[i] = total;
    }
    return n;
}
