/* cg-message.c: the IKE header (RFC 7296 3.1), the chain of generic
 * payload headers (3.2) and the chain builder. */
#include "cg-codec-private.h"

#include <string.h>

/* RFC 7296 3.2: the critical bit is the high bit of the second octet. */
#define CG_PAYLOAD_CRITICAL_BIT 0x80

gboolean
cg_header_parse(const guint8 *buf, gsize len, CgIkeHeader *out, GError **error)
{
    if (buf == NULL || len < CG_IKE_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                             "IKE header: %" G_GSIZE_FORMAT " bytes shorter than header size (%d)",
                             buf != NULL ? len : 0, CG_IKE_HEADER_LEN);

    /* RFC 7296 3.1 field layout */
    memcpy(out->spi_i, buf, 8);
    memcpy(out->spi_r, buf + 8, 8);
    out->next_payload = buf[CG_IKE_HEADER_NEXT_PAYLOAD_OFFSET];
    out->major_version = buf[17] >> 4;
    out->minor_version = buf[17] & 0x0f;
    out->exchange_type = buf[18];
    out->flags = buf[19];
    out->message_id = cg_load_u32(buf + 20);
    out->length = cg_load_u32(buf + CG_IKE_HEADER_LENGTH_OFFSET);

    /* RFC 7296 2.5: a major version other than 2 is answered with
     * INVALID_MAJOR_VERSION, so *out stays filled in for the caller. */
    if (out->major_version != 2)
        return cg_codec_fail(error, CG_CODEC_ERROR_VERSION, "IKE header: major version %u is not 2",
                             out->major_version);
    return TRUE;
}

void
cg_header_write(GByteArray *b, const CgIkeHeader *h)
{
    cg_put_bytes(b, h->spi_i, 8);
    cg_put_bytes(b, h->spi_r, 8);
    cg_put_u8(b, h->next_payload);
    cg_put_u8(b, (guint8)((h->major_version << 4) | (h->minor_version & 0x0f)));
    cg_put_u8(b, h->exchange_type);
    cg_put_u8(b, h->flags);
    cg_put_u32(b, h->message_id);
    cg_put_u32(b, h->length);
}

void
cg_header_finish(GByteArray *b, gsize header_offset, guint8 first_type)
{
    g_return_if_fail(header_offset + CG_IKE_HEADER_LEN <= b->len);
    b->data[header_offset + CG_IKE_HEADER_NEXT_PAYLOAD_OFFSET] = first_type;
    cg_set_u32(b, header_offset + CG_IKE_HEADER_LENGTH_OFFSET, (guint32)(b->len - header_offset));
}

/* Payload types this codec has a parser for (or, for SK/SKF and Vendor,
 * knows the meaning of); anything else is "not understood" (RFC 7296 2.5). */
static gboolean
payload_type_is_known(guint8 type)
{
    return (type >= CG_PL_SA && type <= CG_PL_EAP) || type == CG_PL_SKF;
}

static gboolean
payload_type_is_encrypted(guint8 type)
{
    return type == CG_PL_SK || type == CG_PL_SKF;
}

/* Walks the generic payload headers starting with `first`. allow_encrypted
 * is FALSE inside SK plaintext: SK cannot nest. */
static gboolean
chain_parse(const guint8 *buf, gsize len, guint8 first, gboolean allow_encrypted, CgMessage *msg,
            GError **error)
{
    CgReader r;
    guint8 type = first;

    cg_reader_init(&r, buf, len);
    while (type != CG_PL_NONE) {
        gsize at = r.pos;
        guint8 next, flags;
        guint16 payload_len;
        const guint8 *body;

        /* RFC 7296 3.2: Next Payload, C + RESERVED, Payload Length */
        if (!cg_reader_u8(&r, &next) || !cg_reader_u8(&r, &flags)
            || !cg_reader_u16(&r, &payload_len))
            return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                                 "payload chain: %s header at offset %" G_GSIZE_FORMAT
                                 " needs %d bytes, %" G_GSIZE_FORMAT " left",
                                 cg_payload_type_name(type), at, CG_PAYLOAD_HEADER_LEN, len - at);
        if (payload_len < CG_PAYLOAD_HEADER_LEN)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "payload chain: %s payload length %u shorter than minimum (%d)",
                                 cg_payload_type_name(type), payload_len, CG_PAYLOAD_HEADER_LEN);
        if (!cg_reader_bytes(&r, payload_len - CG_PAYLOAD_HEADER_LEN, &body))
            return cg_codec_fail(
                error, CG_CODEC_ERROR_TRUNCATED,
                "payload chain: %s payload length %u runs past the end (%" G_GSIZE_FORMAT
                " bytes left)",
                cg_payload_type_name(type), payload_len, len - at);

        if (!payload_type_is_known(type)) {
            if (flags & CG_PAYLOAD_CRITICAL_BIT) {
                /* RFC 7296 2.5: reject with UNSUPPORTED_CRITICAL_PAYLOAD */
                msg->unsupported_critical = type;
                return cg_codec_fail(
                    error, CG_CODEC_ERROR_CRITICAL,
                    "payload chain: unknown payload type %u has the critical bit set", type);
            }
            /* RFC 7296 2.5: skip a payload not understood and not critical */
            type = next;
            continue;
        }

        if (payload_type_is_encrypted(type) && !allow_encrypted)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "payload chain: %s payload inside encrypted data",
                                 cg_payload_type_name(type));
        if (msg->n_payloads >= CG_MAX_PAYLOADS)
            return cg_codec_fail(error, CG_CODEC_ERROR_TOO_MANY,
                                 "payload chain: more than %d payloads", CG_MAX_PAYLOADS);
        msg->payloads[msg->n_payloads++] = (CgRawPayload){
            .type = type,
            .critical = (flags & CG_PAYLOAD_CRITICAL_BIT) != 0,
            .body = body,
            .body_len = payload_len - CG_PAYLOAD_HEADER_LEN,
        };

        if (payload_type_is_encrypted(type)) {
            /* RFC 7296 3.14, RFC 7383 2.5: SK/SKF is last; its Next Payload
             * names the first payload inside the encrypted data. */
            if (cg_reader_left(&r) != 0)
                return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                     "payload chain: %s payload is not last (%" G_GSIZE_FORMAT
                                     " bytes follow)",
                                     cg_payload_type_name(type), cg_reader_left(&r));
            msg->sk_inner_first = next;
            return TRUE;
        }
        type = next;
    }

    if (cg_reader_left(&r) != 0)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "payload chain: %" G_GSIZE_FORMAT " bytes after the last payload",
                             cg_reader_left(&r));
    return TRUE;
}

gboolean
cg_message_parse(const guint8 *buf, gsize len, CgMessage *msg, GError **error)
{
    msg->n_payloads = 0;
    msg->sk_inner_first = CG_PL_NONE;
    msg->unsupported_critical = 0;

    if (!cg_header_parse(buf, len, &msg->header, error))
        return FALSE;
    /* RFC 7296 3.1: Length is the total message (header + payloads) */
    if (msg->header.length != len)
        return cg_codec_fail(
            error, CG_CODEC_ERROR_MALFORMED,
            "IKE header: length field %u differs from datagram length %" G_GSIZE_FORMAT,
            msg->header.length, len);
    return chain_parse(buf + CG_IKE_HEADER_LEN, len - CG_IKE_HEADER_LEN, msg->header.next_payload,
                       TRUE, msg, error);
}

gboolean
cg_payload_chain_parse(const guint8 *buf, gsize len, guint8 first, CgMessage *msg, GError **error)
{
    return chain_parse(buf, len, first, FALSE, msg, error);
}

const CgRawPayload *
cg_message_find(const CgMessage *msg, guint8 type)
{
    for (guint i = 0; i < msg->n_payloads; i++) {
        if (msg->payloads[i].type == type)
            return &msg->payloads[i];
    }
    return NULL;
}

void
cg_chain_init(CgChainBuilder *cb, GByteArray *buf)
{
    cb->buf = buf;
    cb->prev_next_offset = 0;
    cb->first_type = CG_PL_NONE;
    cb->has_prev = FALSE;
}

gsize
cg_chain_begin_payload(CgChainBuilder *cb, guint8 type, gboolean critical)
{
    gsize header_offset = cb->buf->len;

    if (cb->has_prev) {
        /* The previous Next Payload is still the 0 placeholder unless the
         * previous payload was SK/SKF, which must stay last (3.14). */
        if (cb->buf->data[cb->prev_next_offset] != CG_PL_NONE)
            g_critical("cg_chain_begin_payload: %s added after an encrypted payload",
                       cg_payload_type_name(type));
        cb->buf->data[cb->prev_next_offset] = type;
    } else {
        cb->first_type = type;
    }
    cg_put_u8(cb->buf, CG_PL_NONE);
    cg_put_u8(cb->buf, critical ? CG_PAYLOAD_CRITICAL_BIT : 0);
    cg_put_u16(cb->buf, 0);
    cb->prev_next_offset = header_offset;
    cb->has_prev = TRUE;
    return header_offset;
}

gsize
cg_chain_begin_encrypted(CgChainBuilder *cb, guint8 type, guint8 inner_first)
{
    gsize header_offset;

    g_return_val_if_fail(payload_type_is_encrypted(type), cb->buf->len);
    header_offset = cg_chain_begin_payload(cb, type, FALSE);
    cb->buf->data[header_offset] = inner_first;
    return header_offset;
}

void
cg_chain_end_payload(CgChainBuilder *cb, gsize header_offset)
{
    gsize payload_len;

    g_return_if_fail(header_offset + CG_PAYLOAD_HEADER_LEN <= cb->buf->len);
    payload_len = cb->buf->len - header_offset;
    g_return_if_fail(payload_len <= G_MAXUINT16);
    cg_set_u16(cb->buf, header_offset + 2, (guint16)payload_len);
}

void
cg_chain_add_raw(CgChainBuilder *cb, guint8 type, const guint8 *body, gsize len)
{
    gsize header_offset = cg_chain_begin_payload(cb, type, FALSE);

    cg_put_bytes(cb->buf, body, len);
    cg_chain_end_payload(cb, header_offset);
}
