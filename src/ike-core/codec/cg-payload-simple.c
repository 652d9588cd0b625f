/* cg-payload-simple.c: payloads with a small fixed header and opaque data:
 * KE (RFC 7296 3.4), ID (3.5), CERT/CERTREQ (3.6, 3.7), AUTH (3.8),
 * Nonce (3.9), EAP (3.16) and the SKF fragment header (RFC 7383 2.5). */
#include "cg-codec-private.h"

/* Type-specific header of KE, ID and AUTH: one or two fields + RESERVED,
 * four octets in all. */
#define FIXED_HEADER_LEN 4

gboolean
cg_payload_parse_ke(const guint8 *body, gsize len, CgKePayload *out, GError **error)
{
    /* RFC 7296 3.4: Diffie-Hellman Group Num, RESERVED, Key Exchange Data */
    if (body == NULL || len < FIXED_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "KE: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, FIXED_HEADER_LEN);
    if (len == FIXED_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "KE: key exchange data is empty");
    out->dh_group = cg_load_u16(body);
    out->data = body + FIXED_HEADER_LEN;
    out->data_len = len - FIXED_HEADER_LEN;
    return TRUE;
}

void
cg_payload_write_ke(GByteArray *b, guint16 group, const guint8 *data, gsize len)
{
    cg_put_u16(b, group);
    cg_put_u16(b, 0);
    cg_put_bytes(b, data, len);
}

gboolean
cg_payload_parse_id(const guint8 *body, gsize len, CgIdPayload *out, GError **error)
{
    gsize expected_len = 0;

    /* RFC 7296 3.5: ID Type, RESERVED (3), Identification Data */
    if (body == NULL || len < FIXED_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "ID: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, FIXED_HEADER_LEN);
    out->id_type = body[0];
    out->data = body + FIXED_HEADER_LEN;
    out->data_len = len - FIXED_HEADER_LEN;

    if (out->id_type == CG_ID_IPV4_ADDR)
        expected_len = 4;
    else if (out->id_type == CG_ID_IPV6_ADDR)
        expected_len = 16;
    if (expected_len != 0 && out->data_len != expected_len)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "ID: type %u data length %" G_GSIZE_FORMAT " is not %" G_GSIZE_FORMAT,
                             out->id_type, out->data_len, expected_len);
    if (out->data_len == 0)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "ID: type %u identification data is empty", out->id_type);
    return TRUE;
}

void
cg_payload_write_id(GByteArray *b, guint8 id_type, const guint8 *data, gsize len)
{
    cg_put_u8(b, id_type);
    cg_put_u8(b, 0);
    cg_put_u16(b, 0);
    cg_put_bytes(b, data, len);
}

gboolean
cg_payload_parse_cert(const guint8 *body, gsize len, CgCertPayload *out, GError **error)
{
    /* RFC 7296 3.6/3.7: Cert Encoding, then Certificate Data or the
     * Certification Authority list (which may be empty in CERTREQ) */
    if (body == NULL || len < 1)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "CERT: length %" G_GSIZE_FORMAT " shorter than minimum (1)",
                             body != NULL ? len : 0);
    out->encoding = body[0];
    out->data_len = len - 1;
    out->data = out->data_len != 0 ? body + 1 : NULL;
    return TRUE;
}

void
cg_payload_write_cert(GByteArray *b, guint8 encoding, const guint8 *data, gsize len)
{
    cg_put_u8(b, encoding);
    cg_put_bytes(b, data, len);
}

gboolean
cg_payload_parse_auth(const guint8 *body, gsize len, CgAuthPayload *out, GError **error)
{
    /* RFC 7296 3.8: Auth Method, RESERVED (3), Authentication Data */
    if (body == NULL || len < FIXED_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "AUTH: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, FIXED_HEADER_LEN);
    if (len == FIXED_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "AUTH: authentication data is empty");
    out->method = body[0];
    out->data = body + FIXED_HEADER_LEN;
    out->data_len = len - FIXED_HEADER_LEN;
    return TRUE;
}

void
cg_payload_write_auth(GByteArray *b, guint8 method, const guint8 *data, gsize len)
{
    cg_put_u8(b, method);
    cg_put_u8(b, 0);
    cg_put_u16(b, 0);
    cg_put_bytes(b, data, len);
}

gboolean
cg_payload_parse_nonce(const guint8 *body, gsize len, GError **error)
{
    /* RFC 7296 3.9: at least 16 and at most 256 octets */
    if (body == NULL || len < CG_NONCE_MIN_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "Nonce: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, CG_NONCE_MIN_LEN);
    if (len > CG_NONCE_MAX_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "Nonce: length %" G_GSIZE_FORMAT " longer than maximum (%d)", len,
                             CG_NONCE_MAX_LEN);
    return TRUE;
}

/* RFC 3748 4: Code, Identifier, Length; Request/Response add a Type */
#define EAP_HEADER_LEN    4
#define EAP_CODE_REQUEST  1
#define EAP_CODE_RESPONSE 2
#define EAP_CODE_FAILURE  4

static gboolean
eap_code_has_type(guint8 code)
{
    return code == EAP_CODE_REQUEST || code == EAP_CODE_RESPONSE;
}

gboolean
cg_payload_parse_eap(const guint8 *body, gsize len, CgEapPayload *out, GError **error)
{
    guint16 eap_len;

    if (body == NULL || len < EAP_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "EAP: length %" G_GSIZE_FORMAT " shorter than EAP header (%d)",
                             body != NULL ? len : 0, EAP_HEADER_LEN);
    out->code = body[0];
    out->identifier = body[1];
    eap_len = cg_load_u16(body + 2);
    if (out->code < EAP_CODE_REQUEST || out->code > EAP_CODE_FAILURE)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "EAP: code %u is not 1..4",
                             out->code);
    /* RFC 7296 3.16: the payload holds exactly one EAP message */
    if (eap_len != len)
        return cg_codec_fail(
            error, CG_CODEC_ERROR_MALFORMED,
            "EAP: length field %u differs from payload body length %" G_GSIZE_FORMAT, eap_len, len);
    if (!eap_code_has_type(out->code)) {
        /* RFC 3748 4.2: Success and Failure are four octets */
        if (len != EAP_HEADER_LEN)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "EAP: code %u length %" G_GSIZE_FORMAT " is not %d", out->code,
                                 len, EAP_HEADER_LEN);
        out->type = 0;
        out->data = NULL;
        out->data_len = 0;
        return TRUE;
    }
    if (len < EAP_HEADER_LEN + 1)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "EAP: code %u length %" G_GSIZE_FORMAT " has no Type (minimum %d)",
                             out->code, len, EAP_HEADER_LEN + 1);
    out->type = body[EAP_HEADER_LEN];
    out->data_len = len - EAP_HEADER_LEN - 1;
    out->data = out->data_len != 0 ? body + EAP_HEADER_LEN + 1 : NULL;
    return TRUE;
}

void
cg_payload_write_eap(GByteArray *b, guint8 code, guint8 identifier, guint8 type, const guint8 *data,
                     gsize len)
{
    gsize eap_len = EAP_HEADER_LEN + (eap_code_has_type(code) ? 1 + len : 0);

    g_return_if_fail(eap_len <= G_MAXUINT16);
    cg_put_u8(b, code);
    cg_put_u8(b, identifier);
    cg_put_u16(b, (guint16)eap_len);
    if (eap_code_has_type(code)) {
        cg_put_u8(b, type);
        cg_put_bytes(b, data, len);
    }
}

/* RFC 7383 2.5: Fragment Number, Total Fragments, then IV | data | ICV */
#define SKF_HEADER_LEN 4

gboolean
cg_payload_parse_skf(const guint8 *body, gsize len, CgSkfPayload *out, GError **error)
{
    if (body == NULL || len < SKF_HEADER_LEN)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "SKF: length %" G_GSIZE_FORMAT " shorter than minimum (%d)",
                             body != NULL ? len : 0, SKF_HEADER_LEN);
    out->fragment_number = cg_load_u16(body);
    out->total_fragments = cg_load_u16(body + 2);
    out->data_len = len - SKF_HEADER_LEN;
    out->data = out->data_len != 0 ? body + SKF_HEADER_LEN : NULL;
    if (out->fragment_number == 0)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "SKF: fragment number 0");
    if (out->fragment_number > out->total_fragments)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "SKF: fragment number %u greater than total fragments %u",
                             out->fragment_number, out->total_fragments);
    return TRUE;
}
