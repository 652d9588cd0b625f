/* cg-eap-tls-frag.c: see cg-eap-tls-frag.h. */
#include "auth/cg-eap-tls-frag.h"

#include "auth/cg-eap-private.h"
#include "crypto/cg-crypto.h"
#include "crypto/cg-der.h"

#define FRAGMENT_MAX 1024
#define MESSAGE_MAX  (128 * 1024)

void
cg_eap_tls_frag_init(CgEapTlsFrag *frag)
{
    frag->rx = g_byte_array_new();
    frag->rx_total = 0;
    frag->tx = g_byte_array_new();
    frag->tx_pos = 0;
}

void
cg_eap_tls_frag_clear(CgEapTlsFrag *frag)
{
    g_clear_pointer(&frag->rx, g_byte_array_unref);
    g_clear_pointer(&frag->tx, g_byte_array_unref);
}

gboolean
cg_eap_tls_frag_sending(const CgEapTlsFrag *frag)
{
    return frag->tx->len > 0;
}

static void
put_u8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

void
cg_eap_tls_frag_send_next(CgEapTlsFrag *frag, GByteArray *out)
{
    gsize left = frag->tx->len - frag->tx_pos;
    gsize n = MIN(left, FRAGMENT_MAX);
    gboolean first = frag->tx_pos == 0, more = n < left;
    guint8 flags = (more ? CG_EAP_TLS_FLAG_MORE : 0) | (first && more ? CG_EAP_TLS_FLAG_LENGTH : 0);
    put_u8(out, flags);
    if (flags & CG_EAP_TLS_FLAG_LENGTH) {
        guint32 total = GUINT32_TO_BE((guint32)frag->tx->len);
        g_byte_array_append(out, (const guint8 *)&total, 4);
    }
    g_byte_array_append(out, frag->tx->data + frag->tx_pos, (guint)n);
    frag->tx_pos += n;
    if (frag->tx_pos == frag->tx->len) {
        g_byte_array_set_size(frag->tx, 0);
        frag->tx_pos = 0;
    }
}

gboolean
cg_eap_tls_frag_take(CgEapTlsFrag *frag, const guint8 *msg, gsize len, gboolean *complete,
                     GByteArray *ack, GError **error)
{
    *complete = FALSE;
    if (len < 1) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "an EAP-TLS message without flags");
        return FALSE;
    }
    guint8 flags = msg[0];
    gsize off = 1;
    if (flags & CG_EAP_TLS_FLAG_LENGTH) {
        if (len < 5) {
            cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "the L flag but only %zu bytes", len);
            return FALSE;
        }
        gsize total = (gsize)msg[1] << 24 | (gsize)msg[2] << 16 | (gsize)msg[3] << 8 | msg[4];
        if (total == 0 || total > MESSAGE_MAX) {
            cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "a TLS message length of %zu (1..%d)", total,
                        MESSAGE_MAX);
            return FALSE;
        }
        if (!frag->rx->len)
            frag->rx_total = total;
        off = 5;
    }
    if (len == off) {
        cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "an empty EAP-TLS message mid-handshake");
        return FALSE;
    }
    gsize limit = frag->rx_total ? frag->rx_total : MESSAGE_MAX;
    if (frag->rx->len + (len - off) > limit) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                    "EAP-TLS fragments of %zu bytes beyond the %zu announced",
                    frag->rx->len + (len - off), limit);
        return FALSE;
    }
    g_byte_array_append(frag->rx, msg + off, (guint)(len - off));
    if (flags & CG_EAP_TLS_FLAG_MORE) {
        put_u8(ack, 0); /* 3.2: acknowledge, ask for the next */
        return TRUE;
    }
    if (frag->rx_total && frag->rx->len != frag->rx_total) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "an EAP-TLS message of %u bytes, %zu announced",
                    frag->rx->len, frag->rx_total);
        return FALSE;
    }
    *complete = TRUE;
    return TRUE;
}

void
cg_eap_tls_frag_rx_done(CgEapTlsFrag *frag)
{
    g_byte_array_set_size(frag->rx, 0);
    frag->rx_total = 0;
}

GBytes *
cg_eap_tls_msk(CgTls *tls, gboolean handshake_done)
{
    guint8 msk[CG_EAP_MSK_LEN];
    if (!handshake_done || !tls
        || !cg_tls_export(tls, "client EAP encryption", msk, sizeof msk, NULL))
        return NULL;
    GBytes *b = cg_secret_bytes_new(msk, sizeof msk);
    cg_memzero(msk, sizeof msk);
    return b;
}
