/* cg-fragment.c: IKEv2 message fragmentation (RFC 7383). */
#include "sa/cg-fragment.h"

#include <string.h>

#include "net/cg-net.h"

G_DEFINE_QUARK(cg - fragment - error - quark, cg_fragment_error)

#define SKF_HEADER_LEN     8  /* generic payload header | Fragment Number | Total Fragments */
#define MAX_FRAGMENTS      64 /* bound on what we reassemble (and send) */
#define IPV4_UDP_OVERHEAD  28
#define IPV6_UDP_OVERHEAD  48
#define NON_ESP_MARKER_LEN 4

/* One message being reassembled (RFC 7383 2.6). */
typedef struct {
    gboolean active;
    guint32 msg_id;
    guint16 total;
    guint16 received;
    guint8 first_inner;           /* Next Payload of fragment 1 */
    GBytes *parts[MAX_FRAGMENTS]; /* decrypted, unpadded */
    gsize bytes;
} Reassembly;

struct CgFragState {
    gboolean we_offered;
    gboolean peer_supports;
    Reassembly in_request;
    Reassembly in_response;
};

static void
reassembly_clear(Reassembly *r)
{
    for (guint i = 0; i < MAX_FRAGMENTS; i++)
        g_clear_pointer(&r->parts[i], g_bytes_unref);
    memset(r, 0, sizeof *r);
}

void
cg_fragment_state_free(CgFragState *f)
{
    if (!f)
        return;
    reassembly_clear(&f->in_request);
    reassembly_clear(&f->in_response);
    g_free(f);
}

static CgFragState *
state_of(CgIkeSa *ike)
{
    if (!ike->frag)
        ike->frag = g_new0(CgFragState, 1);
    return ike->frag;
}

/* ---- negotiation (2.3) ------------------------------------------------------ */

void
cg_fragment_add_notify(CgIkeSa *ike, CgChainBuilder *cb, gboolean response)
{
    if (!ike->config->fragmentation)
        return;
    CgFragState *f = state_of(ike);
    /* the responder answers support only to an initiator that announced it */
    if (response && !f->peer_supports)
        return;
    cg_chain_add_notify(cb, 0, NULL, 0, CG_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    f->we_offered = TRUE;
}

void
cg_fragment_note_peer(CgIkeSa *ike, const CgMessage *msg)
{
    if (cg_message_find_notify(msg, CG_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL))
        state_of(ike)->peer_supports = TRUE;
}

gboolean
cg_fragment_enabled(CgIkeSa *ike)
{
    return ike->frag && ike->frag->we_offered && ike->frag->peer_supports
           && ike->config->fragmentation;
}

void
cg_fragment_inherit(CgIkeSa *from, CgIkeSa *to)
{
    if (!from->frag)
        return;
    CgFragState *f = state_of(to);
    f->we_offered = from->frag->we_offered;
    f->peer_supports = from->frag->peer_supports;
}

/* ---- sending (2.5) ------------------------------------------------------------- */

/* Largest IKE message (UDP payload) that fits the fragment size. */
static gsize
max_message_len(CgIkeSa *ike)
{
    GInetAddress *ip = cg_sockaddr_inet(ike->remote);
    gsize overhead = g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6 ? IPV6_UDP_OVERHEAD
                                                                           : IPV4_UDP_OVERHEAD;
    if (ike->natt)
        overhead += NON_ESP_MARKER_LEN;
    guint size = ike->config->fragment_size ? ike->config->fragment_size : 1280;
    return size > overhead ? size - overhead : 0;
}

/* One fragment: header | SKF { number, total, IV | E(chunk | pad | pad len) | ICV } */
static gboolean
seal_fragment(CgIkeSa *ike, GByteArray *out, guint8 exchange_type, gboolean response,
              guint32 msg_id, const guint8 *chunk, gsize chunk_len, guint8 next_payload,
              guint16 number, guint16 total, GError **error)
{
    CgCipher *c = ike->cipher_out;
    gsize iv_len = cg_cipher_iv_len(c), icv_len = cg_cipher_icv_len(c);
    gsize block = cg_cipher_block_len(c);
    gsize pad = (block - ((chunk_len + 1) % block)) % block;
    gsize ct_len = chunk_len + pad + 1;
    gsize payload_len = SKF_HEADER_LEN + iv_len + ct_len + icv_len;

    CgIkeHeader h = { 0 };
    memcpy(h.spi_i, ike->spi_i, 8);
    memcpy(h.spi_r, ike->spi_r, 8);
    h.next_payload = CG_PL_SKF;
    h.major_version = 2;
    h.exchange_type = exchange_type;
    h.flags = (ike->initiator ? CG_FLAG_INITIATOR : 0) | (response ? CG_FLAG_RESPONSE : 0);
    h.message_id = msg_id;
    h.length = (guint32)(CG_IKE_HEADER_LEN + payload_len);

    gsize start = out->len;
    cg_header_write(out, &h);
    /* RFC 7383 2.5: Next Payload only in the first fragment */
    cg_put_u8(out, number == 1 ? next_payload : CG_PL_NONE);
    cg_put_u8(out, 0);
    cg_put_u16(out, (guint16)payload_len);
    cg_put_u16(out, number);
    cg_put_u16(out, total);
    gsize aad_len = out->len - start; /* everything before the IV (2.5) */
    gsize iv_off = out->len;
    if (cg_encr_is_aead(ike->algs.encr_id)) {
        guint64 ctr = GUINT64_TO_BE(++ike->iv_counter);
        g_byte_array_append(out, (const guint8 *)&ctr, 8);
        if (iv_len > 8) {
            guint8 zero[16] = { 0 };
            g_byte_array_append(out, zero, (guint)(iv_len - 8));
        }
    } else {
        g_byte_array_set_size(out, (guint)(out->len + iv_len));
        cg_random_bytes(out->data + iv_off, iv_len);
    }
    gsize ct_off = out->len;
    g_byte_array_append(out, chunk, (guint)chunk_len);
    g_byte_array_set_size(out, (guint)(out->len + pad));
    memset(out->data + ct_off + chunk_len, 0, pad);
    cg_put_u8(out, (guint8)pad);
    g_byte_array_set_size(out, (guint)(out->len + icv_len));
    return cg_cipher_encrypt(c, out->data + start, aad_len, out->data + iv_off, out->data + ct_off,
                             ct_len, out->data + ct_off + ct_len, error);
}

GBytes *
cg_fragment_seal(CgIkeSa *ike, guint8 exchange_type, gboolean response, guint32 msg_id,
                 GByteArray *inner, guint8 first_inner, GError **error)
{
    /* 2.5: only encrypted messages, never IKE_SA_INIT */
    if (!cg_fragment_enabled(ike) || !inner || !ike->cipher_out
        || exchange_type == CG_EXCH_IKE_SA_INIT)
        return NULL;
    CgCipher *c = ike->cipher_out;
    gsize iv_len = cg_cipher_iv_len(c), icv_len = cg_cipher_icv_len(c);
    gsize block = cg_cipher_block_len(c);
    gsize whole = CG_IKE_HEADER_LEN + CG_PAYLOAD_HEADER_LEN + iv_len + icv_len
                  + (inner->len + 1 + block - 1) / block * block;
    gsize limit = max_message_len(ike);
    if (whole <= limit)
        return NULL;
    /* room for plaintext in one fragment: whole blocks, one octet for the
     * pad length */
    gsize fixed = CG_IKE_HEADER_LEN + SKF_HEADER_LEN + iv_len + icv_len;
    if (limit <= fixed + block)
        return NULL;
    gsize chunk_max = (limit - fixed) / block * block - 1;
    gsize total = (inner->len + chunk_max - 1) / chunk_max;
    if (total > MAX_FRAGMENTS) {
        cg_ike_sa_log(ike, CG_LOG_WARNING,
                      "a %u-byte message would need %zu fragments (at most %d): sent whole",
                      inner->len, total, MAX_FRAGMENTS);
        return NULL;
    }
    GByteArray *bundle = g_byte_array_sized_new((guint)(total * limit));
    for (gsize i = 0; i < total; i++) {
        gsize off = i * chunk_max;
        gsize len = MIN(chunk_max, inner->len - off);
        if (!seal_fragment(ike, bundle, exchange_type, response, msg_id, inner->data + off, len,
                           first_inner, (guint16)(i + 1), (guint16)total, error)) {
            g_byte_array_unref(bundle);
            return NULL;
        }
    }
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "%s %s %u of %zu bytes sent in %zu fragments",
                  cg_exchange_name(exchange_type), response ? "response" : "request", msg_id, whole,
                  total);
    return g_byte_array_free_to_bytes(bundle);
}

void
cg_fragment_send_bundle(CgEngine *engine, GSocketAddress *local, GSocketAddress *remote,
                        gboolean natt, const guint8 *data, gsize len)
{
    gsize off = 0;
    while (off < len) {
        gsize left = len - off;
        gsize msg_len = left;
        if (left >= CG_IKE_HEADER_LEN) {
            const guint8 *l = data + off + CG_IKE_HEADER_LENGTH_OFFSET;
            msg_len = (gsize)l[0] << 24 | (gsize)l[1] << 16 | (gsize)l[2] << 8 | l[3];
            if (msg_len < CG_IKE_HEADER_LEN || msg_len > left)
                msg_len = left; /* ours, so cannot happen: send the rest as one */
        }
        cg_engine_send(engine, local, remote, natt, data + off, msg_len);
        off += msg_len;
    }
}

/* ---- receiving (2.6) ------------------------------------------------------------- */

gboolean
cg_fragment_is_first(const CgMessage *msg)
{
    const CgRawPayload *p = cg_message_find(msg, CG_PL_SKF);
    CgSkfPayload skf;
    if (!p)
        return TRUE;
    return cg_payload_parse_skf(p->body, p->body_len, &skf, NULL) && skf.fragment_number == 1;
}

static gboolean invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
invalid(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *m = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, CG_FRAGMENT_ERROR, CG_FRAGMENT_ERROR_INVALID, m);
    return FALSE;
}

gboolean
cg_fragment_open(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw, gsize raw_len,
                 CgMessage *inner, guint8 **plain_out, GError **error)
{
    const CgRawPayload *p = cg_message_find(msg, CG_PL_SKF);
    CgSkfPayload skf;
    if (!p || !cg_payload_parse_skf(p->body, p->body_len, &skf, error))
        return FALSE;
    if (!cg_fragment_enabled(ike))
        return invalid(error, "fragment without negotiated fragmentation (RFC 7383 2.3)");
    if (!ike->cipher_in)
        return invalid(error, "fragment before keys exist");
    if (skf.total_fragments > MAX_FRAGMENTS)
        return invalid(error, "fragment %u of %u: more than %d fragments", skf.fragment_number,
                       skf.total_fragments, MAX_FRAGMENTS);
    CgCipher *c = ike->cipher_in;
    gsize iv_len = cg_cipher_iv_len(c), icv_len = cg_cipher_icv_len(c);
    gsize block = cg_cipher_block_len(c);
    if (skf.data_len < iv_len + icv_len + 1)
        return invalid(error, "fragment of %zu bytes shorter than IV + ICV + 1 (%zu)", skf.data_len,
                       iv_len + icv_len + 1);
    gsize ct_len = skf.data_len - iv_len - icv_len;
    if (ct_len % block)
        return invalid(error, "fragment ciphertext of %zu bytes, not a multiple of %zu", ct_len,
                       block);
    gsize aad_len = (gsize)(skf.data - raw);
    if (aad_len > raw_len)
        return invalid(error, "bad SKF offset");

    gboolean response = (msg->header.flags & CG_FLAG_RESPONSE) != 0;
    Reassembly *r = response ? &state_of(ike)->in_response : &state_of(ike)->in_request;
    if (r->active && r->msg_id == msg->header.message_id) {
        /* 2.6: a larger total means the sender refragmented (PMTU): start
         * over; a smaller one belongs to the older set: ignore it */
        if (skf.total_fragments < r->total)
            return invalid(error, "fragment of an older set (total %u < %u)", skf.total_fragments,
                           r->total);
        if (r->parts[skf.fragment_number - 1] && skf.total_fragments == r->total) {
            g_set_error(error, CG_FRAGMENT_ERROR, CG_FRAGMENT_ERROR_INCOMPLETE,
                        "duplicate fragment %u", skf.fragment_number);
            return FALSE;
        }
    }

    /* 2.6: each fragment is authenticated before it is kept */
    g_autofree guint8 *plain = g_malloc(ct_len);
    memcpy(plain, skf.data + iv_len, ct_len);
    if (!cg_cipher_decrypt(c, raw, aad_len, skf.data, plain, ct_len, skf.data + iv_len + ct_len,
                           error))
        return FALSE;
    guint8 pad = plain[ct_len - 1];
    if ((gsize)pad + 1 > ct_len)
        return invalid(error, "fragment pad length %u exceeds its %zu bytes", pad, ct_len);

    if (!r->active || r->msg_id != msg->header.message_id || skf.total_fragments > r->total) {
        reassembly_clear(r);
        r->active = TRUE;
        r->msg_id = msg->header.message_id;
        r->total = skf.total_fragments;
    }
    gsize data_len = ct_len - 1 - pad;
    if (r->bytes + data_len > CG_IKE_MAX_MESSAGE) {
        reassembly_clear(r);
        return invalid(error, "fragments add up to more than %d bytes", CG_IKE_MAX_MESSAGE);
    }
    if (skf.fragment_number == 1)
        r->first_inner = msg->sk_inner_first;
    r->parts[skf.fragment_number - 1] = g_bytes_new(plain, data_len);
    r->bytes += data_len;
    r->received++;
    cg_memzero(plain, ct_len);
    if (r->received < r->total) {
        g_set_error(error, CG_FRAGMENT_ERROR, CG_FRAGMENT_ERROR_INCOMPLETE,
                    "fragment %u of %u kept", skf.fragment_number, r->total);
        return FALSE;
    }

    /* all there: the inner payload chain is their concatenation */
    guint8 *whole = g_malloc(r->bytes ? r->bytes : 1);
    gsize off = 0;
    for (guint i = 0; i < r->total; i++) {
        gsize len;
        const guint8 *d = g_bytes_get_data(r->parts[i], &len);
        memcpy(whole + off, d, len);
        off += len;
    }
    guint8 first = r->first_inner;
    gsize total_len = r->bytes;
    guint16 n = r->total;
    reassembly_clear(r);
    memset(inner, 0, sizeof *inner);
    inner->header = msg->header;
    if (!cg_payload_chain_parse(whole, total_len, first, inner, error)) {
        g_free(whole);
        return FALSE;
    }
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "reassembled %s %u from %u fragments (%zu bytes)",
                  cg_exchange_name(msg->header.exchange_type), msg->header.message_id, n,
                  total_len);
    *plain_out = whole;
    return TRUE;
}
