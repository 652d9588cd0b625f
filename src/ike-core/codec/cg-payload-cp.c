/* cg-payload-cp.c: the Configuration payload (RFC 7296 3.15). */
#include "cg-codec-private.h"

/* RFC 7296 3.15: CFG Type, RESERVED (3), then attributes */
#define CP_HEADER_LEN 4
/* RFC 7296 3.15.1: R bit + Attribute Type, Length, Value */
#define CP_ATTR_HEADER_LEN 4
#define CP_ATTR_TYPE_MASK  0x7fff

gboolean
cg_payload_parse_cp(const guint8 *body, gsize len, CgCpPayload *out, GError **error)
{
    CgReader r;

    out->n_attrs = 0;
    if (body == NULL || len < CP_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "CP: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, CP_HEADER_LEN);
    out->cfg_type = body[0];
    if (out->cfg_type < CG_CFG_REQUEST || out->cfg_type > CG_CFG_ACK)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "CP: CFG type %u is not 1..4",
                             out->cfg_type);

    cg_reader_init(&r, body + CP_HEADER_LEN, len - CP_HEADER_LEN);
    while (cg_reader_left(&r) > 0) {
        guint16 type_field, value_len;
        const guint8 *value;

        if (out->n_attrs >= CG_MAX_CP_ATTRS)
            return cg_codec_fail(error, CG_CODEC_ERROR_TOO_MANY, "CP: more than %d attributes",
                                 CG_MAX_CP_ATTRS);
        if (cg_reader_left(&r) < CP_ATTR_HEADER_LEN)
            return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                                 "CP: attribute %u header needs %d bytes, %" G_GSIZE_FORMAT " left",
                                 out->n_attrs + 1, CP_ATTR_HEADER_LEN, cg_reader_left(&r));
        cg_reader_u16(&r, &type_field);
        cg_reader_u16(&r, &value_len);
        if (!cg_reader_bytes(&r, value_len, &value))
            return cg_codec_fail(
                error, CG_CODEC_ERROR_TRUNCATED,
                "CP: attribute type %u length %u runs past the payload (%" G_GSIZE_FORMAT
                " bytes left)",
                type_field & CP_ATTR_TYPE_MASK, value_len, cg_reader_left(&r));
        /* the R bit is reserved: ignored on receipt (3.15.1) */
        out->attrs[out->n_attrs++] = (CgCfgAttr){
            .type = type_field & CP_ATTR_TYPE_MASK,
            .value = value_len != 0 ? value : NULL,
            .value_len = value_len,
        };
    }
    return TRUE;
}

void
cg_payload_write_cp(GByteArray *b, const CgCpPayload *cp)
{
    g_return_if_fail(cp->n_attrs <= CG_MAX_CP_ATTRS);
    for (guint i = 0; i < cp->n_attrs; i++)
        g_return_if_fail(cp->attrs[i].value_len <= G_MAXUINT16);

    cg_put_u8(b, cp->cfg_type);
    cg_put_u8(b, 0);
    cg_put_u16(b, 0);
    for (guint i = 0; i < cp->n_attrs; i++) {
        cg_put_u16(b, cp->attrs[i].type & CP_ATTR_TYPE_MASK);
        cg_put_u16(b, (guint16)cp->attrs[i].value_len);
        cg_put_bytes(b, cp->attrs[i].value, cp->attrs[i].value_len);
    }
}
