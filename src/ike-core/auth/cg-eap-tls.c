/* cg-eap-tls.c: the EAP-TLS peer (RFC 5216): TLS 1.2 records carried in
 * EAP-TLS messages (Flags | [TLS Message Length] | TLS Data, 3.1), with
 * fragmentation both ways and the MSK from the TLS exporter (2.3). The
 * TLS client itself is crypto/cg-tls.c. */
#include "auth/cg-eap-private.h"

#include <string.h>

#include "crypto/cg-der.h"
#include "crypto/cg-tls.h"

#define FLAG_LENGTH  0x80 /* L: TLS Message Length present */
#define FLAG_MORE    0x40 /* M: more fragments follow */
#define FLAG_START   0x20 /* S: EAP-TLS start */
#define FRAGMENT_MAX 1024
#define MESSAGE_MAX  (128 * 1024)

typedef struct {
    const CgEapPeerParams *params; /* the CgEapPeer's, borrowed */
    CgTls *tls;
    GByteArray *rx; /* fragments of the server's message */
    gsize rx_total; /* its announced length (L), 0 when not given */
    GByteArray *tx; /* our message, sent fragment by fragment */
    gsize tx_pos;
    gboolean handshake_done;
} TlsPeer;

static gpointer
tls_new(const CgEapPeerParams *params, GError **error)
{
    if (!params->tls_cert || !params->tls_key) {
        cg_eap_fail(error, CG_EAP_ERROR_LOCAL, "EAP-TLS needs our certificate and key");
        return NULL;
    }
    TlsPeer *p = g_new0(TlsPeer, 1);
    p->params = params;
    p->rx = g_byte_array_new();
    p->tx = g_byte_array_new();
    return p;
}

static void
tls_free(gpointer state)
{
    TlsPeer *p = state;
    g_clear_pointer(&p->tls, cg_tls_free);
    g_byte_array_unref(p->rx);
    g_byte_array_unref(p->tx);
    g_free(p);
}

static gboolean
tls_done(gpointer state)
{
    return ((TlsPeer *)state)->handshake_done;
}

static GBytes *
tls_msk(gpointer state)
{
    TlsPeer *p = state;
    guint8 msk[CG_EAP_MSK_LEN];
    /* RFC 5216 2.3: MSK = TLS-PRF(master, "client EAP encryption",
     * client.random | server.random)[0..63], i.e. the RFC 5705 exporter */
    if (!p->handshake_done
        || !cg_tls_export(p->tls, "client EAP encryption", msk, sizeof msk, NULL))
        return NULL;
    GBytes *b = cg_secret_bytes_new(msk, sizeof msk);
    cg_memzero(msk, sizeof msk);
    return b;
}

static void
put_u8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

/* The next piece of our message: L and the total on the first of
 * several, M on all but the last (3.1, 3.2). */
static void
send_fragment(TlsPeer *p, GByteArray *reply)
{
    gsize left = p->tx->len - p->tx_pos;
    gsize n = MIN(left, FRAGMENT_MAX);
    gboolean first = p->tx_pos == 0, more = n < left;
    guint8 flags = (more ? FLAG_MORE : 0) | (first && more ? FLAG_LENGTH : 0);
    put_u8(reply, flags);
    if (flags & FLAG_LENGTH) {
        guint32 total = GUINT32_TO_BE((guint32)p->tx->len);
        g_byte_array_append(reply, (const guint8 *)&total, 4);
    }
    g_byte_array_append(reply, p->tx->data + p->tx_pos, (guint)n);
    p->tx_pos += n;
    if (p->tx_pos == p->tx->len) {
        g_byte_array_set_size(p->tx, 0);
        p->tx_pos = 0;
    }
}

/* Runs TLS on what arrived; what it answers goes out (or an empty ack). */
static CgEapStatus
run_tls(TlsPeer *p, const guint8 *in, gsize in_len, GByteArray *reply, GError **error)
{
    g_autoptr(GError) tls_error = NULL;
    CgTlsStatus st = cg_tls_step(p->tls, in, in_len, p->tx, &tls_error);
    if (st == CG_TLS_FAILED)
        return cg_eap_fail(error,
                           tls_error && tls_error->code == CG_CRYPTO_ERROR_AUTH
                               ? CG_EAP_ERROR_PEER_AUTH
                               : CG_EAP_ERROR_CREDENTIALS,
                           "EAP-TLS: %s", tls_error ? tls_error->message : "failed");
    if (st == CG_TLS_DONE)
        p->handshake_done = TRUE;
    if (p->tx->len)
        send_fragment(p, reply);
    else
        put_u8(reply, 0); /* RFC 5216 2.1.1: an empty response acknowledges */
    return p->handshake_done ? CG_EAP_SUCCESS : CG_EAP_CONTINUE;
}

static CgEapStatus
tls_process(gpointer state, const guint8 *data, gsize len, GByteArray *reply, GError **error)
{
    TlsPeer *p = state;
    if (len < 1)
        return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "EAP-TLS message without flags");
    guint8 flags = data[0];
    gsize off = 1;
    if (flags & FLAG_LENGTH) {
        if (len < 5)
            return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "EAP-TLS L flag but only %zu bytes",
                               len);
        gsize total = (gsize)data[1] << 24 | (gsize)data[2] << 16 | (gsize)data[3] << 8 | data[4];
        if (total == 0 || total > MESSAGE_MAX)
            return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "EAP-TLS message length %zu (1..%d)",
                               total, MESSAGE_MAX);
        if (!p->rx->len)
            p->rx_total = total;
        off = 5;
    }
    if (flags & FLAG_START) {
        if (p->tls)
            return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "a second EAP-TLS start");
        g_autoptr(GError) tls_error = NULL;
        p->tls = cg_tls_client_new(p->params->tls_cert, p->params->tls_chain, p->params->tls_key,
                                   p->params->tls_anchors, p->params->tls_server_name, &tls_error);
        if (!p->tls)
            return cg_eap_fail(error, CG_EAP_ERROR_LOCAL, "EAP-TLS: %s", tls_error->message);
        return run_tls(p, NULL, 0, reply, error); /* the ClientHello */
    }
    if (!p->tls)
        return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "EAP-TLS data before the start");
    if (p->tx->len) {
        /* the server acknowledged a fragment of ours: the next one */
        if (len != 1)
            return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED,
                               "EAP-TLS data while our message is still being sent");
        send_fragment(p, reply);
        return CG_EAP_CONTINUE;
    }
    if (p->rx->len + (len - off) > MESSAGE_MAX
        || (p->rx_total && p->rx->len + (len - off) > p->rx_total))
        return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                           "EAP-TLS fragments exceed the announced %zu bytes", p->rx_total);
    g_byte_array_append(p->rx, data + off, (guint)(len - off));
    if (flags & FLAG_MORE) {
        put_u8(reply, 0); /* 3.2: acknowledge, ask for the next */
        return CG_EAP_CONTINUE;
    }
    if (p->rx_total && p->rx->len != p->rx_total)
        return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                           "EAP-TLS message of %u bytes, %zu announced", p->rx->len, p->rx_total);
    CgEapStatus st = run_tls(p, p->rx->data, p->rx->len, reply, error);
    g_byte_array_set_size(p->rx, 0);
    p->rx_total = 0;
    return st;
}

const CgEapPeerMethod cg_eap_tls_peer = {
    .type = CG_EAP_TLS,
    .new_peer = tls_new,
    .process = tls_process,
    .done = tls_done,
    .msk = tls_msk,
    .free = tls_free,
};
