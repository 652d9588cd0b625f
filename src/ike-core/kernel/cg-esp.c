/* cg-esp.c: sealing and opening ESP packets (RFC 4303). */
#include "kernel/cg-esp.h"

#include <string.h>

#define MAX_ICV_LEN 32

static void
put_be32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

static guint16
hmac_prf_for_integ(guint16 integ_id)
{
    /* the untruncated HMAC of each integrity transform (RFC 4868 2.1) */
    switch (integ_id) {
        case CG_INTEG_HMAC_SHA1_96:
            return CG_PRF_HMAC_SHA1;
        case CG_INTEG_HMAC_SHA2_256_128:
            return CG_PRF_HMAC_SHA2_256;
        case CG_INTEG_HMAC_SHA2_384_192:
            return CG_PRF_HMAC_SHA2_384;
        case CG_INTEG_HMAC_SHA2_512_256:
            return CG_PRF_HMAC_SHA2_512;
        default:
            return 0;
    }
}

gboolean
cg_esp_xform_init(CgEspXform *x, guint32 spi, guint16 encr_id, guint16 encr_key_bits,
                  guint16 integ_id, const guint8 *encr_key, gsize encr_key_len,
                  const guint8 *integ_key, gsize integ_key_len, gboolean esn, GError **error)
{
    memset(x, 0, sizeof(*x));
    x->cipher = cg_cipher_new(encr_id, encr_key_bits, integ_id, encr_key, encr_key_len, integ_key,
                              integ_key_len, error);
    if (!x->cipher)
        return FALSE;
    x->spi = spi;
    x->esn = esn;
    x->encr_id = encr_id;
    x->integ_id = integ_id;
    x->aead = cg_encr_is_aead(encr_id);
    x->iv_len = cg_cipher_iv_len(x->cipher);
    x->icv_len = cg_cipher_icv_len(x->cipher);
    /* RFC 4303 2.4: the trailer ends on a 4-byte boundary at least */
    x->align = MAX(cg_cipher_block_len(x->cipher), 4);
    if (x->icv_len > MAX_ICV_LEN) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "ICV of %" G_GSIZE_FORMAT " bytes is longer than the %d supported", x->icv_len,
                    MAX_ICV_LEN);
        cg_esp_xform_clear(x);
        return FALSE;
    }
    if (esn && !x->aead) {
        x->esn_hmac_prf = hmac_prf_for_integ(integ_id);
        if (!x->esn_hmac_prf) {
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                        "integrity transform %u with ESN is not supported", integ_id);
            cg_esp_xform_clear(x);
            return FALSE;
        }
        x->integ_key = g_memdup2(integ_key, integ_key_len);
        x->integ_key_len = integ_key_len;
    }
    return TRUE;
}

void
cg_esp_xform_clear(CgEspXform *x)
{
    g_clear_pointer(&x->cipher, cg_cipher_free);
    if (x->integ_key) {
        cg_memzero(x->integ_key, x->integ_key_len);
        g_clear_pointer(&x->integ_key, g_free);
    }
    x->integ_key_len = 0;
}

gsize
cg_esp_packet_len(const CgEspXform *x, gsize payload_len)
{
    gsize ct = (payload_len + 2 + x->align - 1) / x->align * x->align;
    return cg_esp_payload_offset(x) + ct + x->icv_len;
}

gsize
cg_esp_max_payload(const CgEspXform *x, gsize room)
{
    gsize fixed = cg_esp_payload_offset(x) + x->icv_len;
    if (room < fixed + x->align)
        return 0;
    gsize ct = (room - fixed) / x->align * x->align;
    return ct - 2;
}

/* AAD: RFC 4106 5 and RFC 7634 2.1: SPI | seq (8 bytes), or with ESN
 * SPI | seq-hi | seq-lo (12 bytes). For CBC the same 8 leading bytes are
 * covered by the ICV (RFC 4303 3.3.2.1). */
static gsize
build_aad(const CgEspXform *x, const guint8 *pkt, guint64 seq, guint8 aad[12])
{
    if (!x->esn || !x->aead) {
        memcpy(aad, pkt, 8);
        return 8;
    }
    memcpy(aad, pkt, 4);
    put_be32(aad + 4, (guint32)(seq >> 32));
    memcpy(aad + 8, pkt + 4, 4);
    return 12;
}

/* RFC 4303 2.2.1 / 3.3.2.1: with ESN the ICV covers SPI | seq-lo | IV |
 * ciphertext | seq-hi, the high half appended only for the computation. */
static gboolean
cbc_esn_icv(CgEspXform *x, const guint8 *pkt, gsize ct_end, guint64 seq, guint8 *icv_out)
{
    guint8 seq_hi[4], full[64];
    put_be32(seq_hi, (guint32)(seq >> 32));
    CgIov iov[] = { { pkt, ct_end }, { seq_hi, 4 } };
    if (!cg_prf(x->esn_hmac_prf, x->integ_key, x->integ_key_len, iov, G_N_ELEMENTS(iov), full,
                NULL))
        return FALSE;
    memcpy(icv_out, full, x->icv_len);
    cg_memzero(full, sizeof(full));
    return TRUE;
}

gsize
cg_esp_seal(CgEspXform *x, guint64 seq, guint8 next_header, guint8 *pkt, gsize payload_len,
            const guint8 *iv)
{
    gsize off = cg_esp_payload_offset(x);
    gsize ct_len = (payload_len + 2 + x->align - 1) / x->align * x->align;
    gsize pad_len = ct_len - payload_len - 2;
    guint8 *ct = pkt + CG_ESP_HDR_LEN + x->iv_len;
    guint8 aad[12];

    put_be32(pkt, x->spi);
    /* RFC 4303 2.2: only the low 32 bits are sent */
    put_be32(pkt + 4, (guint32)seq);
    if (iv)
        memcpy(pkt + CG_ESP_HDR_LEN, iv, x->iv_len);
    else if (x->aead) {
        put_be32(pkt + CG_ESP_HDR_LEN, (guint32)(seq >> 32));
        put_be32(pkt + CG_ESP_HDR_LEN + 4, (guint32)seq);
    } else
        cg_random_bytes(pkt + CG_ESP_HDR_LEN, x->iv_len);
    /* RFC 4303 2.4: default padding is 1, 2, 3, ... */
    guint8 *trailer = pkt + off + payload_len;
    for (gsize i = 0; i < pad_len; i++)
        trailer[i] = (guint8)(i + 1);
    trailer[pad_len] = (guint8)pad_len;
    trailer[pad_len + 1] = next_header;

    gsize aad_len = build_aad(x, pkt, seq, aad);
    guint8 *icv = ct + ct_len;
    if (!cg_cipher_encrypt(x->cipher, aad, aad_len, pkt + CG_ESP_HDR_LEN, ct, ct_len, icv, NULL))
        return 0;
    if (x->esn && !x->aead && !cbc_esn_icv(x, pkt, off + ct_len, seq, icv))
        return 0;
    return off + ct_len + x->icv_len;
}

CgEspStatus
cg_esp_open(CgEspXform *x, guint64 seq, guint8 *pkt, gsize len, gsize *payload_off,
            gsize *payload_len, guint8 *next_header)
{
    gsize off = cg_esp_payload_offset(x);
    guint8 aad[12];

    /* at least the two trailer bytes must be encrypted */
    if (len < off + x->icv_len + 2)
        return CG_ESP_MALFORMED;
    gsize ct_len = len - off - x->icv_len;
    if (!x->aead && ct_len % x->align != 0)
        return CG_ESP_MALFORMED;
    guint8 *ct = pkt + off;
    const guint8 *icv = ct + ct_len;
    gsize aad_len = build_aad(x, pkt, seq, aad);

    if (x->esn && !x->aead) {
        /* verify the ESN ICV ourselves, then let CgCipher check the
         * plain one it knows how to compute (see CgEspXform) */
        guint8 want[MAX_ICV_LEN], plain[64];
        if (!cbc_esn_icv(x, pkt, off + ct_len, seq, want) || !cg_memeq_const(want, icv, x->icv_len))
            return CG_ESP_AUTH_FAILED;
        CgIov iov[] = { { pkt, off + ct_len } };
        if (!cg_prf(x->esn_hmac_prf, x->integ_key, x->integ_key_len, iov, 1, plain, NULL))
            return CG_ESP_AUTH_FAILED;
        gboolean ok = cg_cipher_decrypt(x->cipher, aad, aad_len, pkt + CG_ESP_HDR_LEN, ct, ct_len,
                                        plain, NULL);
        cg_memzero(plain, sizeof(plain));
        if (!ok)
            return CG_ESP_AUTH_FAILED;
    } else if (!cg_cipher_decrypt(x->cipher, aad, aad_len, pkt + CG_ESP_HDR_LEN, ct, ct_len, icv,
                                  NULL))
        return CG_ESP_AUTH_FAILED;

    guint8 pad_len = ct[ct_len - 2];
    if ((gsize)pad_len + 2 > ct_len)
        return CG_ESP_BAD_PADDING;
    /* RFC 4303 2.4: the receiver SHOULD inspect the padding */
    const guint8 *pad = ct + ct_len - 2 - pad_len;
    for (guint i = 0; i < pad_len; i++)
        if (pad[i] != (guint8)(i + 1))
            return CG_ESP_BAD_PADDING;
    *next_header = ct[ct_len - 1];
    *payload_off = off;
    *payload_len = ct_len - 2 - pad_len;
    return CG_ESP_OK;
}

const char *
cg_esp_status_to_string(CgEspStatus status)
{
    switch (status) {
        case CG_ESP_OK:
            return "ok";
        case CG_ESP_MALFORMED:
            return "malformed";
        case CG_ESP_AUTH_FAILED:
            return "ICV mismatch";
        case CG_ESP_BAD_PADDING:
            return "bad padding";
    }
    return "unknown";
}
