/* cg-ip.c: inner packet fields, checksums, ICMP "too big", prefixes. */
#include "kernel/cg-ip.h"

#include <string.h>
#include <sys/socket.h>

#define IPPROTO_ICMP_NUM   1
#define IPPROTO_TCP_NUM    6
#define IPPROTO_UDP_NUM    17
#define IPPROTO_ICMPV6_NUM 58
#define IPPROTO_SCTP_NUM   132
#define IPPROTO_UDPLITE    136
#define IPV4_MIN_HDR       20
#define IPV6_HDR           40
#define ICMP_HDR           8
#define IPV6_MIN_MTU       1280

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

static gboolean
has_ports(guint8 protocol)
{
    return protocol == IPPROTO_TCP_NUM || protocol == IPPROTO_UDP_NUM
           || protocol == IPPROTO_SCTP_NUM || protocol == IPPROTO_UDPLITE;
}

static void
read_ports(const guint8 *l4, gsize l4_len, CgIpInfo *out)
{
    if (has_ports(out->protocol) && l4_len >= 4) {
        out->src_port = get_be16(l4);
        out->dst_port = get_be16(l4 + 2);
    } else if ((out->protocol == IPPROTO_ICMP_NUM || out->protocol == IPPROTO_ICMPV6_NUM)
               && l4_len >= 2) {
        /* RFC 4301 4.4.1.1: type and code as one 16-bit "port" */
        out->src_port = out->dst_port = get_be16(l4);
    }
}

gboolean
cg_ip_parse(const guint8 *pkt, gsize len, CgIpInfo *out, const char **reason)
{
    memset(out, 0, sizeof(*out));
    if (len < 1) {
        *reason = "empty packet";
        return FALSE;
    }
    out->version = pkt[0] >> 4;
    if (out->version == 4) {
        if (len < IPV4_MIN_HDR) {
            *reason = "shorter than an IPv4 header";
            return FALSE;
        }
        gsize ihl = (gsize)(pkt[0] & 0x0f) * 4;
        gsize total = get_be16(pkt + 2);
        if (ihl < IPV4_MIN_HDR || ihl > len || total < ihl || total > len) {
            *reason = "IPv4 header or total length inconsistent";
            return FALSE;
        }
        guint16 frag = get_be16(pkt + 6);
        out->header_len = ihl;
        out->total_len = total;
        out->dont_fragment = (frag & 0x4000) != 0;
        out->is_fragment = (frag & 0x1fff) != 0;
        out->protocol = pkt[9];
        memcpy(out->src, pkt + 12, 4);
        memcpy(out->dst, pkt + 16, 4);
        if (!out->is_fragment)
            read_ports(pkt + ihl, total - ihl, out);
        return TRUE;
    }
    if (out->version == 6) {
        if (len < IPV6_HDR) {
            *reason = "shorter than an IPv6 header";
            return FALSE;
        }
        gsize total = IPV6_HDR + get_be16(pkt + 4);
        if (total > len) {
            *reason = "IPv6 payload length exceeds the packet";
            return FALSE;
        }
        out->header_len = IPV6_HDR;
        out->total_len = total;
        out->dont_fragment = TRUE;
        out->protocol = pkt[6];
        memcpy(out->src, pkt + 8, 16);
        memcpy(out->dst, pkt + 24, 16);
        read_ports(pkt + IPV6_HDR, total - IPV6_HDR, out);
        return TRUE;
    }
    *reason = "not IPv4 or IPv6";
    return FALSE;
}

gboolean
cg_ts_match(const CgTrafficSelector *ts, guint8 version, const guint8 *addr, guint8 protocol,
            guint16 port)
{
    gsize alen;
    if (version == 4 && ts->ts_type == CG_TS_IPV4_ADDR_RANGE)
        alen = 4;
    else if (version == 6 && ts->ts_type == CG_TS_IPV6_ADDR_RANGE)
        alen = 16;
    else
        return FALSE;
    if (memcmp(addr, ts->start_addr, alen) < 0 || memcmp(addr, ts->end_addr, alen) > 0)
        return FALSE;
    if (ts->ip_protocol != 0 && ts->ip_protocol != protocol)
        return FALSE;
    /* 0-65535 is "any"; 65535-0 (OPAQUE, RFC 7296 3.13.1) matches nothing
     * that has ports */
    if (ts->start_port == 0 && ts->end_port == 0xffff)
        return TRUE;
    return port >= ts->start_port && port <= ts->end_port;
}

/* one's complement addition of 64-bit words: the carry goes around */
static inline guint64
add64(guint64 acc, guint64 v)
{
    acc += v;
    return acc + (acc < v);
}

guint32
cg_csum_add(guint32 sum, const guint8 *data, gsize len)
{
    /* RFC 1071 2(B): the one's complement sum does not care about byte
     * order or word size, so add native 64-bit words (two chains, for the
     * pipeline) and swap once at the end */
    guint64 a = 0, b = 0;
    gsize i = 0;
    for (; i + 16 <= len; i += 16) {
        guint64 v, w;
        memcpy(&v, data + i, 8);
        memcpy(&w, data + i + 8, 8);
        a = add64(a, v);
        b = add64(b, w);
    }
    a = add64(a, b);
    for (; i + 8 <= len; i += 8) {
        guint64 v;
        memcpy(&v, data + i, 8);
        a = add64(a, v);
    }
    guint64 tail = 0;
    /* the last 0-7 bytes, zero-padded; an odd last byte is the high half
     * of its 16-bit word, which a native load of the padded bytes keeps */
    memcpy(&tail, data + i, len - i);
    a = add64(a, tail);
    guint64 acc = (a & 0xffffffff) + (a >> 32);
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    guint32 total = sum + GUINT16_FROM_BE((guint16)acc);
    total = (total & 0xffff) + (total >> 16);
    return (total & 0xffff) + (total >> 16);
}

guint16
cg_csum_fold(guint32 sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (guint16)~sum;
}

static gboolean
is_icmp_error(const guint8 *pkt, const CgIpInfo *info)
{
    gsize l4 = info->header_len;
    if (info->total_len < l4 + 1)
        return FALSE;
    guint8 type = pkt[l4];
    if (info->version == 4)
        return info->protocol == IPPROTO_ICMP_NUM
               && (type == 3 || type == 4 || type == 5 || type == 11 || type == 12);
    /* RFC 4443 2.1: types 0-127 are errors */
    return info->protocol == IPPROTO_ICMPV6_NUM && type < 128;
}

static gboolean
unspecified_or_multicast(const CgIpInfo *info)
{
    static const guint8 zero[16];
    if (info->version == 4)
        return memcmp(info->src, zero, 4) == 0 || (info->src[0] & 0xf0) == 0xe0;
    return memcmp(info->src, zero, 16) == 0 || info->src[0] == 0xff;
}

gsize
cg_icmp_too_big(const guint8 *pkt, gsize len, const CgIpInfo *info, guint32 mtu, const guint8 *from,
                guint8 *out, gsize out_cap)
{
    if (is_icmp_error(pkt, info) || info->is_fragment || unspecified_or_multicast(info))
        return 0;
    if (info->version == 4) {
        /* RFC 792: the original header and 64 bits of its data */
        gsize quote = MIN(len, info->header_len + 8);
        gsize total = IPV4_MIN_HDR + ICMP_HDR + quote;
        if (out_cap < total)
            return 0;
        memset(out, 0, IPV4_MIN_HDR + ICMP_HDR);
        out[0] = 0x45;
        put_be16(out + 2, (guint16)total);
        out[8] = 64; /* TTL */
        out[9] = IPPROTO_ICMP_NUM;
        memcpy(out + 12, from, 4);
        memcpy(out + 16, info->src, 4);
        put_be16(out + 10, cg_csum_fold(cg_csum_add(0, out, IPV4_MIN_HDR)));
        guint8 *icmp = out + IPV4_MIN_HDR;
        icmp[0] = 3;                                   /* destination unreachable */
        icmp[1] = 4;                                   /* fragmentation needed and DF set */
        put_be16(icmp + 6, (guint16)MIN(mtu, 0xffff)); /* RFC 1191 4: next-hop MTU */
        memcpy(icmp + ICMP_HDR, pkt, quote);
        put_be16(icmp + 2, cg_csum_fold(cg_csum_add(0, icmp, ICMP_HDR + quote)));
        return total;
    }
    /* RFC 4443 3.2: as much of the packet as fits in the minimum MTU */
    gsize quote = MIN(len, IPV6_MIN_MTU - IPV6_HDR - ICMP_HDR);
    gsize icmp_len = ICMP_HDR + quote;
    gsize total = IPV6_HDR + icmp_len;
    if (out_cap < total)
        return 0;
    memset(out, 0, IPV6_HDR + ICMP_HDR);
    out[0] = 0x60;
    put_be16(out + 4, (guint16)icmp_len);
    out[6] = IPPROTO_ICMPV6_NUM;
    out[7] = 64; /* hop limit */
    memcpy(out + 8, from, 16);
    memcpy(out + 24, info->src, 16);
    guint8 *icmp = out + IPV6_HDR;
    icmp[0] = 2; /* packet too big */
    guint32 mtu_field = MAX(mtu, IPV6_MIN_MTU);
    icmp[4] = (guint8)(mtu_field >> 24);
    icmp[5] = (guint8)(mtu_field >> 16);
    icmp[6] = (guint8)(mtu_field >> 8);
    icmp[7] = (guint8)mtu_field;
    memcpy(icmp + ICMP_HDR, pkt, quote);
    /* RFC 8200 8.1: pseudo-header of source, destination, length, 58 */
    guint8 pseudo_tail[8] = { 0 };
    pseudo_tail[2] = (guint8)(icmp_len >> 8);
    pseudo_tail[3] = (guint8)icmp_len;
    pseudo_tail[7] = IPPROTO_ICMPV6_NUM;
    guint32 sum = cg_csum_add(0, out + 8, 32);
    sum = cg_csum_add(sum, pseudo_tail, 8);
    sum = cg_csum_add(sum, icmp, icmp_len);
    put_be16(icmp + 2, cg_csum_fold(sum));
    return total;
}

/* ---- ranges as prefixes ------------------------------------------------- */

/* a <= b for big-endian numbers of n bytes */
static gboolean
le(const guint8 *a, const guint8 *b, gsize n)
{
    return memcmp(a, b, n) <= 0;
}

/* a | (2^bits - 1): the last address of the block of size 2^bits at a */
static void
block_end(const guint8 *a, guint bits, gsize n, guint8 *out)
{
    memcpy(out, a, n);
    for (int i = (int)n - 1; i >= 0 && bits > 0; i--) {
        guint take = MIN(bits, 8);
        out[i] |= (guint8)((1u << take) - 1);
        bits -= take;
    }
}

/* how many low bits of a are zero (n * 8 for all-zero) */
static guint
trailing_zero_bits(const guint8 *a, gsize n)
{
    guint bits = 0;
    for (gsize i = n; i-- > 0;) {
        if (a[i] == 0) {
            bits += 8;
            continue;
        }
        guint8 v = a[i];
        while (!(v & 1)) {
            v >>= 1;
            bits++;
        }
        break;
    }
    return bits;
}

/* a += 1; returns FALSE on wrap-around past the top of the space */
static gboolean
increment(guint8 *a, gsize n)
{
    for (gsize i = n; i-- > 0;)
        if (++a[i] != 0)
            return TRUE;
    return FALSE;
}

guint
cg_ts_to_prefixes(const CgTrafficSelector *ts, GArray *out)
{
    gsize n = ts->ts_type == CG_TS_IPV6_ADDR_RANGE ? 16 : 4;
    int family = n == 16 ? AF_INET6 : AF_INET;
    guint8 cur[16], end_of_block[16];
    guint count = 0;

    memcpy(cur, ts->start_addr, n);
    if (!le(cur, ts->end_addr, n))
        return 0;
    for (;;) {
        /* the largest aligned block at cur that stays within the range */
        guint bits = MIN(trailing_zero_bits(cur, n), (guint)(n * 8));
        for (;; bits--) {
            block_end(cur, bits, n, end_of_block);
            if (le(end_of_block, ts->end_addr, n))
                break;
        }
        CgIpPrefix p = { .family = family, .prefix_len = (guint8)(n * 8 - bits) };
        memcpy(p.addr, cur, n);
        g_array_append_val(out, p);
        count++;
        if (memcmp(end_of_block, ts->end_addr, n) == 0)
            break;
        memcpy(cur, end_of_block, n);
        if (!increment(cur, n))
            break;
    }
    return count;
}
