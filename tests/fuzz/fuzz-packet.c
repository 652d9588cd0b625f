/* fuzz-packet.c: libFuzzer target for the data plane's parsers of packets
 * from the network and the TUN device (src/ike-core/kernel), and the
 * check of a gateway's configuration reply (sa/cg-cp-reply.c).
 *
 * Input: one selector byte (its value modulo the number of parsers picks
 * one), then that parser's bytes:
 *   0 ip      an inner packet: cg_ip_parse, and cg_icmp_too_big on it
 *   1 gso     a virtio-net header (10 bytes, as the TUN gives it), then a
 *             super-packet: cg_gso_segment and cg_gso_finish_csum
 *   2 gro     a flag byte (bit 0: virtio headers on), then segments as
 *             records of a 16-bit big-endian length and that many bytes
 *   3 esp     a mode byte, then either an ESP packet opened with a fixed
 *             key, or a payload sealed and opened again (and tampered with)
 *   4 replay  a window byte, then steps of a flag byte and 32 bits of
 *             sequence number
 *   5 cp      the body of a CP payload: cg_cp_reply_parse
 * Each checks what its function promises, not only that it does not
 * crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cg-crypto.h"
#include "kernel/cg-esp.h"
#include "kernel/cg-gro.h"
#include "kernel/cg-ip.h"
#include "kernel/cg-kernel.h"
#include "kernel/cg-replay.h"
#include "kernel/cg-tun.h"
#include "sa/cg-cp-reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            g_printerr("fuzz-packet: check failed at line %d: %s\n", __LINE__, #cond);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define PROTO_TCP    6
#define PROTO_UDP    17
#define MAX_PACKET   65535
#define GSO_MAX_OUTS 64   /* what one read from the TUN may be cut into */
#define GSO_OUT_CAP  1500 /* a slot's room for one segment */
#define GRO_MAX_SEGS 80   /* more than a run may join (64) */
#define ICMP_OUT_CAP (1280 + 8)
#define REPLAY_STEPS 512

/* A copy to change in place; never NULL, even of 0 bytes. */
static guint8 *
copy_of(const guint8 *data, gsize len)
{
    guint8 *copy = g_malloc(len + 1);
    if (len > 0)
        memcpy(copy, data, len);
    return copy;
}

static guint16
get_be16(const guint8 *p)
{
    return (guint16)(p[0] << 8 | p[1]);
}

/* cg-tun.c (the virtio header writer the coalescer uses) names its errors
 * in the kernel interface's domain; the rest of cg-kernel.c is not needed */
G_DEFINE_QUARK(cg - kernel - error - quark, cg_kernel_error)

/* ---- ip ------------------------------------------------------------------ */

/* The one's complement sum over a packet's IPv4 header is all ones. */
static gboolean
ipv4_header_sum_ok(const guint8 *pkt, gsize header_len)
{
    return cg_csum_fold(cg_csum_add(0, pkt, header_len)) == 0;
}

/* The transport checksum of a complete TCP or UDP packet verifies (with
 * the pseudo header of RFC 793 3.1 / RFC 8200 8.1). */
static gboolean
l4_sum_ok(const guint8 *pkt, const CgIpInfo *info)
{
    gsize l4_len = info->total_len - info->header_len;
    guint8 tail[8] = { 0 };
    guint32 sum;
    if (info->version == 6) {
        tail[2] = (guint8)(l4_len >> 8);
        tail[3] = (guint8)l4_len;
        tail[7] = info->protocol;
        sum = cg_csum_add(cg_csum_add(0, pkt + 8, 32), tail, 8);
    } else {
        tail[1] = info->protocol;
        tail[2] = (guint8)(l4_len >> 8);
        tail[3] = (guint8)l4_len;
        sum = cg_csum_add(cg_csum_add(0, pkt + 12, 8), tail, 4);
    }
    return cg_csum_fold(cg_csum_add(sum, pkt + info->header_len, l4_len)) == 0;
}

static void
fuzz_ip(const guint8 *pkt, gsize len)
{
    CgIpInfo info;
    const char *reason = NULL;
    if (!cg_ip_parse(pkt, len, &info, &reason)) {
        FUZZ_CHECK(reason != NULL && reason[0]);
        return;
    }
    FUZZ_CHECK(info.version == 4 || info.version == 6);
    FUZZ_CHECK(info.header_len <= info.total_len && info.total_len <= len);

    /* the "too big" reply is a well-formed packet of our own */
    static const guint8 from[16] = { 192, 0, 2, 1 };
    guint8 out[ICMP_OUT_CAP];
    gsize n = cg_icmp_too_big(pkt, len, &info, 1280, from, out, sizeof(out));
    FUZZ_CHECK(n <= sizeof(out));
    if (n == 0)
        return;
    CgIpInfo reply;
    FUZZ_CHECK(cg_ip_parse(out, n, &reply, &reason));
    FUZZ_CHECK(reply.version == info.version && reply.total_len == n);
    if (reply.version == 4) {
        FUZZ_CHECK(ipv4_header_sum_ok(out, reply.header_len));
        FUZZ_CHECK(cg_csum_fold(cg_csum_add(0, out + reply.header_len, n - reply.header_len)) == 0);
    } else {
        FUZZ_CHECK(l4_sum_ok(out, &reply));
    }
}

/* ---- gso ----------------------------------------------------------------- */

static void
read_vnet_hdr(const guint8 *p, CgVnetHdr *h)
{
    /* the TUN's header is in native byte order (cg_vnet_hdr_read) */
    h->flags = p[0];
    h->gso_type = p[1];
    memcpy(&h->hdr_len, p + 2, 2);
    memcpy(&h->gso_size, p + 4, 2);
    memcpy(&h->csum_start, p + 6, 2);
    memcpy(&h->csum_offset, p + 8, 2);
}

/* The headers (IP and TCP/UDP) of a segment cg_gso_segment wrote. */
static gsize
segment_headers(const guint8 *seg, const CgIpInfo *info)
{
    if (info->protocol == PROTO_TCP)
        return info->header_len + (gsize)(seg[info->header_len + 12] >> 4) * 4;
    return info->header_len + 8;
}

/* Cuts pkt as h says and checks every piece: a complete IP packet with
 * correct checksums, no bigger than a slot, the payloads in order adding
 * up to the super-packet's. Returns the number of pieces (0: refused). */
static guint
segment_and_check(const CgVnetHdr *h, const guint8 *pkt, gsize len, guint8 **outs, gsize *out_lens)
{
    const char *reason = NULL;
    guint n = cg_gso_segment(h, pkt, len, outs, GSO_MAX_OUTS, GSO_OUT_CAP, out_lens, &reason);
    if (n == 0) {
        FUZZ_CHECK(reason != NULL && reason[0]);
        return 0;
    }
    FUZZ_CHECK(n <= GSO_MAX_OUTS);
    gsize payload_seen = 0, headers = 0;
    for (guint i = 0; i < n; i++) {
        FUZZ_CHECK(out_lens[i] <= GSO_OUT_CAP);
        CgIpInfo info;
        FUZZ_CHECK(cg_ip_parse(outs[i], out_lens[i], &info, &reason));
        FUZZ_CHECK(info.total_len == out_lens[i]);
        FUZZ_CHECK(info.protocol == PROTO_TCP || info.protocol == PROTO_UDP);
        if (info.version == 4)
            FUZZ_CHECK(ipv4_header_sum_ok(outs[i], info.header_len));
        FUZZ_CHECK(l4_sum_ok(outs[i], &info));
        headers = segment_headers(outs[i], &info);
        FUZZ_CHECK(headers <= out_lens[i]);
        gsize chunk = out_lens[i] - headers;
        FUZZ_CHECK(payload_seen + chunk <= len - headers);
        FUZZ_CHECK(memcmp(outs[i] + headers, pkt + headers + payload_seen, chunk) == 0);
        payload_seen += chunk;
    }
    FUZZ_CHECK(headers + payload_seen == len);
    return n;
}

static guint8 *gso_outs[GSO_MAX_OUTS];

static void
fuzz_gso(const guint8 *data, gsize size)
{
    if (size < CG_VNET_HDR_LEN)
        return;
    CgVnetHdr h;
    read_vnet_hdr(data, &h);
    const guint8 *pkt = data + CG_VNET_HDR_LEN;
    gsize len = size - CG_VNET_HDR_LEN;
    gsize out_lens[GSO_MAX_OUTS];
    segment_and_check(&h, pkt, len, gso_outs, out_lens);

    /* a packet that is not cut: the checksum the kernel left to us */
    g_autofree guint8 *copy = copy_of(pkt, len);
    if (!cg_gso_finish_csum(&h, copy, len)) {
        FUZZ_CHECK(h.flags & CG_VNET_F_NEEDS_CSUM);
        FUZZ_CHECK(len == 0 || memcmp(copy, pkt, len) == 0);
        return;
    }
    if (!(h.flags & CG_VNET_F_NEEDS_CSUM)) {
        FUZZ_CHECK(len == 0 || memcmp(copy, pkt, len) == 0);
        return;
    }
    /* the field held the pseudo-header sum: with it added back, the sum
     * from csum_start verifies (on a 16-bit boundary of that sum only) */
    gsize start = h.csum_start, field = start + h.csum_offset;
    FUZZ_CHECK(start < len && field + 2 <= len);
    FUZZ_CHECK(memcmp(copy, pkt, field) == 0
               && memcmp(copy + field + 2, pkt + field + 2, len - field - 2) == 0);
    if (h.csum_offset % 2 == 0)
        FUZZ_CHECK(
            cg_csum_fold(cg_csum_add(cg_csum_add(0, pkt + field, 2), copy + start, len - start))
            == 0);
}

/* ---- gro ----------------------------------------------------------------- */

typedef struct {
    const guint8 *data;
    size_t left;
} Records;

static gboolean
next_record(Records *r, const guint8 **rec, gsize *len)
{
    if (r->left < 2)
        return FALSE;
    gsize want = (gsize)r->data[0] << 8 | r->data[1];
    r->data += 2;
    r->left -= 2;
    *len = MIN(want, r->left);
    *rec = r->data;
    r->data += *len;
    r->left -= *len;
    return TRUE;
}

/* What the coalescer wrote, each packet gathered into one buffer. */
static gboolean
collect_write(gpointer user_data, const struct iovec *iov, int n_iov)
{
    GPtrArray *written = user_data;
    GByteArray *packet = g_byte_array_new();
    for (int i = 0; i < n_iov; i++)
        g_byte_array_append(packet, iov[i].iov_base, (guint)iov[i].iov_len);
    g_ptr_array_add(written, g_byte_array_free_to_bytes(packet));
    return TRUE;
}

/* A piece cut from a joined packet matches the segment that went in,
 * except for what cutting makes anew: the IPv4 ID and checksum, the TCP
 * checksum, and the urgent pointer (meaningless: no URG in a run). */
static void
check_same_segment(const guint8 *cut, gsize cut_len, const guint8 *orig, gsize orig_len)
{
    FUZZ_CHECK(cut_len == orig_len);
    CgIpInfo info;
    const char *reason = NULL;
    FUZZ_CHECK(cg_ip_parse(orig, orig_len, &info, &reason));
    g_autofree guint8 *a = copy_of(cut, cut_len);
    g_autofree guint8 *b = copy_of(orig, orig_len);
    if (info.version == 4) {
        memset(a + 4, 0, 2);
        memset(b + 4, 0, 2);
        memset(a + 10, 0, 2);
        memset(b + 10, 0, 2);
    }
    gsize tcp = info.header_len;
    memset(a + tcp + 16, 0, 4);
    memset(b + tcp + 16, 0, 4);
    FUZZ_CHECK(memcmp(a, b, cut_len) == 0);
}

static void
fuzz_gro(const guint8 *data, gsize size)
{
    if (size < 1)
        return;
    gboolean vnet_hdr = data[0] & 1;
    Records r = { data + 1, size - 1 };
    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) segment_lens = g_array_new(FALSE, FALSE, sizeof(gsize));
    CgGro *gro = cg_gro_new(vnet_hdr, collect_write, written);
    const guint8 *rec;
    gsize len;
    /* like the receive path: decrypted in place, the virtio header's
     * room in front, valid until the flush */
    while (segments->len < GRO_MAX_SEGS && next_record(&r, &rec, &len)) {
        guint8 *buf = g_malloc(CG_VNET_HDR_LEN + len + 1);
        memcpy(buf + CG_VNET_HDR_LEN, rec, len);
        g_ptr_array_add(segments, buf);
        g_array_append_val(segment_lens, len);
        cg_gro_add(gro, buf + CG_VNET_HDR_LEN, len);
    }
    cg_gro_flush(gro);
    guint64 offered, super_packets, merged;
    cg_gro_stats(gro, &offered, &super_packets, &merged);
    cg_gro_free(gro);
    FUZZ_CHECK(offered == segments->len);

    /* every segment comes out once, in order: as it went in, or cut
     * again from a joined packet */
    guint next = 0;
    guint64 joined = 0, joined_segments = 0;
    for (guint i = 0; i < written->len; i++) {
        gsize n = 0;
        const guint8 *out = g_bytes_get_data(written->pdata[i], &n);
        FUZZ_CHECK(next < segments->len);
        const guint8 *orig = (const guint8 *)segments->pdata[next] + CG_VNET_HDR_LEN;
        gsize orig_len = g_array_index(segment_lens, gsize, next);
        if (!vnet_hdr) {
            FUZZ_CHECK(n == orig_len && (n == 0 || memcmp(out, orig, n) == 0));
            next++;
            continue;
        }
        FUZZ_CHECK(n >= CG_VNET_HDR_LEN);
        CgVnetHdr h;
        read_vnet_hdr(out, &h);
        const guint8 *pkt = out + CG_VNET_HDR_LEN;
        gsize pkt_len = n - CG_VNET_HDR_LEN;
        if (h.gso_type == CG_VNET_GSO_NONE) {
            FUZZ_CHECK(pkt_len == orig_len && (pkt_len == 0 || memcmp(pkt, orig, pkt_len) == 0));
            next++;
            continue;
        }
        FUZZ_CHECK(h.flags == CG_VNET_F_NEEDS_CSUM);
        FUZZ_CHECK(h.gso_type == CG_VNET_GSO_TCPV4 || h.gso_type == CG_VNET_GSO_TCPV6);
        FUZZ_CHECK(pkt_len <= MAX_PACKET);
        CgIpInfo info;
        const char *reason = NULL;
        FUZZ_CHECK(cg_ip_parse(pkt, pkt_len, &info, &reason) && info.total_len == pkt_len);
        guint8 *pieces[GSO_MAX_OUTS];
        /* no piece is longer than the joined packet */
        g_autofree guint8 *piece_buf = g_malloc((gsize)GSO_MAX_OUTS * pkt_len);
        for (guint k = 0; k < GSO_MAX_OUTS; k++)
            pieces[k] = piece_buf + (gsize)k * pkt_len;
        gsize piece_lens[GSO_MAX_OUTS];
        guint cut
            = cg_gso_segment(&h, pkt, pkt_len, pieces, GSO_MAX_OUTS, pkt_len, piece_lens, &reason);
        FUZZ_CHECK(cut >= 2);
        for (guint k = 0; k < cut; k++) {
            FUZZ_CHECK(next < segments->len);
            orig = (const guint8 *)segments->pdata[next] + CG_VNET_HDR_LEN;
            orig_len = g_array_index(segment_lens, gsize, next);
            check_same_segment(pieces[k], piece_lens[k], orig, orig_len);
            next++;
        }
        joined++;
        joined_segments += cut;
    }
    FUZZ_CHECK(next == segments->len);
    FUZZ_CHECK(super_packets == joined && merged == joined_segments);
}

/* ---- esp ----------------------------------------------------------------- */

typedef struct {
    guint16 encr_id, key_bits, integ_id;
    gsize encr_key_len, integ_key_len;
    gboolean esn;
} XformSpec;

static const XformSpec xform_specs[] = {
    { CG_ENCR_AES_GCM_16, 128, CG_INTEG_NONE, 20, 0, FALSE },
    { CG_ENCR_CHACHA20_POLY1305, 256, CG_INTEG_NONE, 36, 0, TRUE },
    { CG_ENCR_AES_CBC, 128, CG_INTEG_HMAC_SHA2_256_128, 16, 32, FALSE },
    { CG_ENCR_AES_CBC, 256, CG_INTEG_HMAC_SHA1_96, 32, 20, TRUE },
};
static CgEspXform xforms[G_N_ELEMENTS(xform_specs)];

static void
init_xforms(void)
{
    guint8 key[64];
    for (gsize i = 0; i < sizeof(key); i++)
        key[i] = (guint8)(0xa0 + i);
    for (gsize i = 0; i < G_N_ELEMENTS(xform_specs); i++) {
        const XformSpec *s = &xform_specs[i];
        g_autoptr(GError) error = NULL;
        if (!cg_esp_xform_init(&xforms[i], 0xc0ffee01, s->encr_id, s->key_bits, s->integ_id, key,
                               s->encr_key_len, s->integ_key_len ? key + 32 : NULL,
                               s->integ_key_len, s->esn, &error)) {
            g_printerr("fuzz-packet: ESP transform %zu: %s\n", i, error->message);
            abort();
        }
    }
}

static void
fuzz_esp(const guint8 *data, gsize size)
{
    if (size < 1)
        return;
    guint8 mode = data[0];
    CgEspXform *x = &xforms[mode % G_N_ELEMENTS(xforms)];
    /* the high sequence bits come from the replay window, not the wire */
    guint64 seq_hi = (mode & 0x10) ? G_GUINT64_CONSTANT(1) << 32 : 0;
    data++;
    size--;
    gsize payload_off = 0, payload_len = 0;
    guint8 next_header = 0;

    if (!(mode & 0x04)) {
        /* a packet from the network */
        g_autofree guint8 *pkt = copy_of(data, size);
        guint64 seq = seq_hi | (size >= CG_ESP_HDR_LEN ? cg_esp_seq_lo(pkt) : 0);
        CgEspStatus st = cg_esp_open(x, seq, pkt, size, &payload_off, &payload_len, &next_header);
        if (st == CG_ESP_OK)
            FUZZ_CHECK(payload_off + payload_len <= size);
        return;
    }

    /* a payload we seal: it opens to the same bytes, and any change to
     * the packet fails the ICV */
    if (size < 3)
        return;
    guint8 inner_next = data[0];
    gsize tamper_at = get_be16(data + 1);
    const guint8 *payload = data + 3;
    gsize len = size - 3;
    guint64 seq = seq_hi | 7;
    gsize off = cg_esp_payload_offset(x);
    g_autofree guint8 *pkt = g_malloc0(off + len + cg_esp_trailer_max(x));
    memcpy(pkt + off, payload, len);
    static const guint8 iv[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    gsize pkt_len = cg_esp_seal(x, seq, inner_next, pkt, len, iv);
    FUZZ_CHECK(pkt_len == cg_esp_packet_len(x, len));
    FUZZ_CHECK(pkt_len <= off + len + cg_esp_trailer_max(x));
    if (mode & 0x08) {
        pkt[tamper_at % pkt_len] ^= (guint8)(1u << (mode >> 5));
        CgEspStatus st
            = cg_esp_open(x, seq, pkt, pkt_len, &payload_off, &payload_len, &next_header);
        FUZZ_CHECK(st == CG_ESP_AUTH_FAILED);
        return;
    }
    CgEspStatus st = cg_esp_open(x, seq, pkt, pkt_len, &payload_off, &payload_len, &next_header);
    FUZZ_CHECK(st == CG_ESP_OK);
    FUZZ_CHECK(payload_off == off && payload_len == len && next_header == inner_next);
    FUZZ_CHECK(len == 0 || memcmp(pkt + payload_off, payload, len) == 0);
}

/* ---- replay -------------------------------------------------------------- */

static void
fuzz_replay(const guint8 *data, gsize size)
{
    if (size < 2)
        return;
    /* windows around the interesting sizes: off, small, a word, the most */
    static const guint32 windows[] = { 0, 1, 32, 64, 65, 1024, CG_REPLAY_MAX_WINDOW, 10000 };
    CgReplay replay;
    cg_replay_init(&replay, windows[data[0] & 7], (data[0] & 8) != 0);
    data++;
    size--;
    /* every number the window let through and we authenticated */
    g_autoptr(GHashTable) accepted
        = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    for (guint step = 0; step < REPLAY_STEPS && size >= 5; step++, data += 5, size -= 5) {
        guint8 flags = data[0];
        guint32 value
            = (guint32)data[1] << 24 | (guint32)data[2] << 16 | (guint32)data[3] << 8 | data[4];
        /* near the top (where the window is) or anywhere */
        guint32 seq_lo
            = (flags & 2) ? (guint32)replay.top + (guint32)(gint16)(value & 0xffff) : value;
        guint64 seq = 0;
        CgReplayResult result = cg_replay_check(&replay, seq_lo, &seq);
        FUZZ_CHECK((guint32)seq == seq_lo || result == CG_REPLAY_TOO_OLD);
        gboolean seen = g_hash_table_contains(accepted, &seq);
        if (replay.window != 0) {
            /* a number accepted once is never accepted again, and the
             * window never calls a new number a replay */
            if (seen)
                FUZZ_CHECK(result != CG_REPLAY_OK);
            if (result == CG_REPLAY_DUPLICATE)
                FUZZ_CHECK(seen);
            /* inside the window and never seen: accepted */
            if (!seen && seq != 0 && seq <= replay.top && replay.top - seq < replay.window
                && (!replay.esn || (guint32)seq == seq_lo))
                FUZZ_CHECK(result == CG_REPLAY_OK);
        }
        if (seq > replay.top && seq != 0)
            FUZZ_CHECK(result == CG_REPLAY_OK);
        /* bit 0: the packet's ICV matched */
        if (result == CG_REPLAY_OK && (flags & 1)) {
            guint64 old_top = replay.top;
            cg_replay_update(&replay, seq);
            FUZZ_CHECK(replay.top == MAX(old_top, seq));
            g_hash_table_add(accepted, g_memdup2(&seq, sizeof(seq)));
        }
    }
}

/* ---- cp ------------------------------------------------------------------ */

static gboolean
is_usable(GInetAddress *a)
{
    return !g_inet_address_get_is_any(a) && !g_inet_address_get_is_multicast(a)
           && !g_inet_address_get_is_loopback(a);
}

static void
fuzz_cp(const guint8 *body, gsize len)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgCpReply) reply = cg_cp_reply_parse(body, len, &error);
    if (reply == NULL) {
        FUZZ_CHECK(error != NULL && error->message[0]);
        return;
    }
    FUZZ_CHECK(error == NULL);
    FUZZ_CHECK(reply->vips->len == reply->vip_prefix_lens->len);
    for (guint i = 0; i < reply->vips->len; i++) {
        FUZZ_CHECK(is_usable(reply->vips->pdata[i]));
        FUZZ_CHECK(!g_inet_address_get_is_link_local(reply->vips->pdata[i]));
        FUZZ_CHECK(g_array_index(reply->vip_prefix_lens, guint8, i) <= 128);
    }
    for (guint i = 0; i < reply->dns->len; i++)
        FUZZ_CHECK(is_usable(reply->dns->pdata[i]));
    /* "address/prefix-length" with the host bits clear */
    for (guint i = 0; i < reply->subnets->len; i++) {
        g_autoptr(GInetAddressMask) mask
            = g_inet_address_mask_new_from_string(reply->subnets->pdata[i], NULL);
        FUZZ_CHECK(mask != NULL);
        g_autofree char *again = g_inet_address_mask_to_string(mask);
        /* GLib leaves out a full-length prefix */
        FUZZ_CHECK(g_str_has_prefix(reply->subnets->pdata[i], again));
    }
    for (guint i = 0; i < reply->dns_domains->len; i++) {
        const char *domain = reply->dns_domains->pdata[i];
        FUZZ_CHECK(domain[0] && strlen(domain) <= 255);
        for (const char *c = domain; *c; c++)
            FUZZ_CHECK(g_ascii_isalnum(*c) || *c == '-' || *c == '.');
    }
    for (guint i = 0; i < reply->rejected->len; i++)
        FUZZ_CHECK(((const char *)reply->rejected->pdata[i])[0]);
}

/* -------------------------------------------------------------------------- */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error)) {
        g_printerr("fuzz-packet: NSS: %s\n", error ? error->message : "?");
        abort();
    }
    init_xforms();
    for (guint i = 0; i < GSO_MAX_OUTS; i++)
        gso_outs[i] = g_malloc(GSO_OUT_CAP);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_PACKET + CG_VNET_HDR_LEN + 1)
        return 0;
    const guint8 *rest = data + 1;
    gsize rest_len = size - 1;
    switch (data[0] % 6) {
        case 0:
            fuzz_ip(rest, rest_len);
            break;
        case 1:
            fuzz_gso(rest, rest_len);
            break;
        case 2:
            fuzz_gro(rest, rest_len);
            break;
        case 3:
            fuzz_esp(rest, rest_len);
            break;
        case 4:
            fuzz_replay(rest, rest_len);
            break;
        default:
            fuzz_cp(rest, rest_len);
            break;
    }
    return 0;
}
