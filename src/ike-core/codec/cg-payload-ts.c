/* cg-payload-ts.c: Traffic Selector payloads TSi/TSr (RFC 7296 3.13). */
#include "cg-codec-private.h"

#include <string.h>

/* RFC 7296 3.13: Number of TSs, RESERVED (3), then the selectors */
#define TS_PAYLOAD_HEADER_LEN 4
/* RFC 7296 3.13.1: TS Type, IP Protocol ID, Selector Length, Start Port,
 * End Port, then Starting and Ending Address. Other TS types (e.g.
 * TS_SECLABEL, RFC 9478) share only the first three fields. */
#define TS_GENERIC_HEADER_LEN 4
#define TS_HEADER_LEN         8
/* RFC 7296 3.13.1: start 65535 / end 0 means OPAQUE ports */
#define TS_PORT_OPAQUE_START 65535
#define TS_PORT_OPAQUE_END   0

static gsize
ts_addr_len(guint8 ts_type)
{
    switch (ts_type) {
        case CG_TS_IPV4_ADDR_RANGE:
            return 4;
        case CG_TS_IPV6_ADDR_RANGE:
            return 16;
        default:
            return 0;
    }
}

/* One IPv4/IPv6 range selector of selector_len bytes (bounded by the
 * caller); addr_len is 4 or 16. */
static gboolean
parse_range_selector(const guint8 *p, gsize selector_len, gsize addr_len, guint index,
                     CgTrafficSelector *out, GError **error)
{
    /* the length is checked first: the caller only bounded the generic
     * 4-byte header, the ports and addresses follow it */
    if (selector_len != TS_HEADER_LEN + 2 * addr_len)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "TS %u: type %u selector length %" G_GSIZE_FORMAT
                             " is not %" G_GSIZE_FORMAT,
                             index, p[0], selector_len, TS_HEADER_LEN + 2 * addr_len);
    out->ts_type = p[0];
    out->ip_protocol = p[1];
    out->start_port = cg_load_u16(p + 4);
    out->end_port = cg_load_u16(p + 6);
    memset(out->start_addr, 0, sizeof out->start_addr);
    memset(out->end_addr, 0, sizeof out->end_addr);
    memcpy(out->start_addr, p + TS_HEADER_LEN, addr_len);
    memcpy(out->end_addr, p + TS_HEADER_LEN + addr_len, addr_len);

    if (out->start_port > out->end_port
        && !(out->start_port == TS_PORT_OPAQUE_START && out->end_port == TS_PORT_OPAQUE_END))
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "TS %u: start port %u greater than end port %u", index,
                             out->start_port, out->end_port);
    /* addresses are big-endian, so bytewise order is numeric order */
    if (memcmp(out->start_addr, out->end_addr, addr_len) > 0)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "TS %u: starting address greater than ending address", index);
    return TRUE;
}

gboolean
cg_payload_parse_ts(const guint8 *body, gsize len, CgTsPayload *out, GError **error)
{
    CgReader r;
    guint8 num_ts;

    out->n_ts = 0;
    if (body == NULL || len < TS_PAYLOAD_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "TS: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, TS_PAYLOAD_HEADER_LEN);
    num_ts = body[0];
    if (num_ts == 0)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "TS: Number of TSs is 0");
    if (num_ts > CG_MAX_TS)
        return cg_codec_fail(error, CG_CODEC_ERROR_TOO_MANY, "TS: %u selectors, more than %d",
                             num_ts, CG_MAX_TS);

    cg_reader_init(&r, body + TS_PAYLOAD_HEADER_LEN, len - TS_PAYLOAD_HEADER_LEN);
    for (guint i = 0; i < num_ts; i++) {
        const guint8 *p = r.data + r.pos;
        guint16 selector_len;
        gsize addr_len;

        if (cg_reader_left(&r) < TS_GENERIC_HEADER_LEN)
            return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                                 "TS %u of %u: header needs %d bytes, %" G_GSIZE_FORMAT " left",
                                 i + 1, num_ts, TS_GENERIC_HEADER_LEN, cg_reader_left(&r));
        selector_len = cg_load_u16(p + 2);
        if (selector_len < TS_GENERIC_HEADER_LEN)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "TS %u of %u: selector length %u shorter than minimum (%d)", i + 1,
                                 num_ts, selector_len, TS_GENERIC_HEADER_LEN);
        if (selector_len > cg_reader_left(&r))
            return cg_codec_fail(
                error, CG_CODEC_ERROR_TRUNCATED,
                "TS %u of %u: selector length %u runs past the payload (%" G_GSIZE_FORMAT
                " bytes left)",
                i + 1, num_ts, selector_len, cg_reader_left(&r));
        addr_len = ts_addr_len(p[0]);
        /* A selector type not understood is left out, so the caller narrows
         * to what it knows (RFC 7296 2.9) instead of failing the exchange. */
        if (addr_len != 0) {
            if (!parse_range_selector(p, selector_len, addr_len, i + 1, &out->ts[out->n_ts], error))
                return FALSE;
            out->n_ts++;
        }
        cg_reader_skip(&r, selector_len);
    }
    if (cg_reader_left(&r) != 0)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "TS: %" G_GSIZE_FORMAT " bytes after %u selectors (Number of TSs)",
                             cg_reader_left(&r), num_ts);
    return TRUE;
}

void
cg_payload_write_ts(GByteArray *b, const CgTsPayload *ts)
{
    g_return_if_fail(ts->n_ts <= CG_MAX_TS);
    for (guint i = 0; i < ts->n_ts; i++)
        g_return_if_fail(ts_addr_len(ts->ts[i].ts_type) != 0);

    cg_put_u8(b, (guint8)ts->n_ts);
    cg_put_u8(b, 0);
    cg_put_u16(b, 0);
    for (guint i = 0; i < ts->n_ts; i++) {
        const CgTrafficSelector *s = &ts->ts[i];
        gsize addr_len = ts_addr_len(s->ts_type);

        cg_put_u8(b, s->ts_type);
        cg_put_u8(b, s->ip_protocol);
        cg_put_u16(b, (guint16)(TS_HEADER_LEN + 2 * addr_len));
        cg_put_u16(b, s->start_port);
        cg_put_u16(b, s->end_port);
        cg_put_bytes(b, s->start_addr, addr_len);
        cg_put_bytes(b, s->end_addr, addr_len);
    }
}
