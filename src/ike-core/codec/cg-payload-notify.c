/* cg-payload-notify.c: Notify (RFC 7296 3.10) and Delete (3.11). */
#include "cg-codec-private.h"

#include <string.h>

/* RFC 7296 3.10: Protocol ID, SPI Size, Notify Message Type, SPI, Data */
#define NOTIFY_HEADER_LEN 4
/* RFC 7296 3.11: Protocol ID, SPI Size, Num of SPIs, SPIs */
#define DELETE_HEADER_LEN 4
#define ESP_AH_SPI_SIZE   4

gboolean
cg_payload_parse_notify(const guint8 *body, gsize len, CgNotifyPayload *out, GError **error)
{
    gsize spi_and_data_len;

    if (body == NULL || len < NOTIFY_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "N: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, NOTIFY_HEADER_LEN);
    out->protocol_id = body[0];
    out->spi_size = body[1];
    out->type = cg_load_u16(body + 2);
    /* RFC 7296 3.10: empty for IKE notifies, 4 for AH/ESP, 8 for IKE SPIs */
    if (out->spi_size != 0 && out->spi_size != 4 && out->spi_size != 8)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "N(%s): SPI size %u is not 0, 4 or 8",
                             cg_notify_name(out->type), out->spi_size);
    spi_and_data_len = len - NOTIFY_HEADER_LEN;
    if (out->spi_size > spi_and_data_len)
        return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                             "N(%s): SPI size %u runs past the payload (%" G_GSIZE_FORMAT
                             " bytes left)",
                             cg_notify_name(out->type), out->spi_size, spi_and_data_len);
    out->spi = out->spi_size != 0 ? body + NOTIFY_HEADER_LEN : NULL;
    out->data_len = spi_and_data_len - out->spi_size;
    out->data = out->data_len != 0 ? body + NOTIFY_HEADER_LEN + out->spi_size : NULL;
    return TRUE;
}

void
cg_payload_write_notify(GByteArray *b, guint8 protocol_id, const guint8 *spi, guint8 spi_size,
                        guint16 type, const guint8 *data, gsize len)
{
    cg_put_u8(b, protocol_id);
    cg_put_u8(b, spi_size);
    cg_put_u16(b, type);
    cg_put_bytes(b, spi, spi_size);
    cg_put_bytes(b, data, len);
}

gboolean
cg_payload_parse_delete(const guint8 *body, gsize len, CgDeletePayload *out, GError **error)
{
    guint16 num_spis;
    gsize spis_len;

    if (body == NULL || len < DELETE_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "D: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, DELETE_HEADER_LEN);
    out->protocol_id = body[0];
    out->spi_size = body[1];
    num_spis = cg_load_u16(body + 2);
    out->n_spis = 0;

    switch (out->protocol_id) {
        case CG_PROTO_IKE:
            /* RFC 7296 3.11: the IKE SA is named by the header's SPIs */
            if (out->spi_size != 0 || num_spis != 0)
                return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                     "D: IKE delete with SPI size %u and %u SPIs, expected 0 and 0",
                                     out->spi_size, num_spis);
            break;
        case CG_PROTO_AH:
        case CG_PROTO_ESP:
            if (out->spi_size != ESP_AH_SPI_SIZE)
                return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                     "D: protocol %u SPI size %u is not %d", out->protocol_id,
                                     out->spi_size, ESP_AH_SPI_SIZE);
            break;
        default:
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "D: protocol ID %u is not IKE (1), AH (2) or ESP (3)",
                                 out->protocol_id);
    }
    if (num_spis > CG_MAX_DELETE_SPIS)
        return cg_codec_fail(error, CG_CODEC_ERROR_TOO_MANY, "D: %u SPIs, more than %d", num_spis,
                             CG_MAX_DELETE_SPIS);
    spis_len = (gsize)num_spis * out->spi_size;
    if (spis_len > len - DELETE_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                             "D: %u SPIs of %u bytes run past the payload (%" G_GSIZE_FORMAT
                             " bytes left)",
                             num_spis, out->spi_size, len - DELETE_HEADER_LEN);
    if (spis_len < len - DELETE_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "D: %" G_GSIZE_FORMAT " bytes after %u SPIs",
                             len - DELETE_HEADER_LEN - spis_len, num_spis);

    memset(out->spis, 0, sizeof out->spis[0] * num_spis);
    for (guint i = 0; i < num_spis; i++)
        memcpy(out->spis[i], body + DELETE_HEADER_LEN + (gsize)i * out->spi_size, out->spi_size);
    out->n_spis = num_spis;
    return TRUE;
}

void
cg_payload_write_delete(GByteArray *b, const CgDeletePayload *d)
{
    g_return_if_fail(d->n_spis <= CG_MAX_DELETE_SPIS);
    g_return_if_fail(d->spi_size <= sizeof d->spis[0]);
    cg_put_u8(b, d->protocol_id);
    cg_put_u8(b, d->spi_size);
    cg_put_u16(b, (guint16)d->n_spis);
    for (guint i = 0; i < d->n_spis; i++)
        cg_put_bytes(b, d->spis[i], d->spi_size);
}
