/* cg-eap-tls-server.c: the EAP-TLS server (RFC 5216): it starts with the
 * S flag (2.1.1), reassembles the peer's fragments and acknowledges them,
 * sends its own flights fragment by fragment (3.1, 3.2), requires and
 * checks the peer's certificate, and succeeds once the peer acknowledged
 * our Finished. The TLS server itself is crypto/cg-tls.c. */
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
    CgTls *tls;
    GByteArray *rx; /* fragments of the peer's message */
    gsize rx_total; /* its announced length (L), 0 when not given */
    GByteArray *tx; /* our message, sent fragment by fragment */
    gsize tx_pos;
    gboolean handshake_done; /* our Finished is out (or going out) */
    char *failure;
} TlsServer;

static gpointer
server_new(const char *identity, const char *server_name, CgEapSecretFunc secret,
           gpointer user_data, const CgEapServerTls *creds, GError **error)
{
    if (!creds || !creds->cert || !creds->key) {
        cg_eap_fail(error, CG_EAP_ERROR_LOCAL, "the server needs our certificate and key");
        return NULL;
    }
    g_autoptr(GError) tls_error = NULL;
    CgTls *tls
        = cg_tls_server_new(creds->cert, creds->chain, creds->key, creds->anchors, &tls_error);
    if (!tls) {
        cg_eap_fail(error, CG_EAP_ERROR_LOCAL, "EAP-TLS: %s", tls_error->message);
        return NULL;
    }
    TlsServer *s = g_new0(TlsServer, 1);
    s->tls = tls;
    s->rx = g_byte_array_new();
    s->tx = g_byte_array_new();
    return s;
}

static void
server_free(gpointer state)
{
    TlsServer *s = state;
    g_clear_pointer(&s->tls, cg_tls_free);
    g_byte_array_unref(s->rx);
    g_byte_array_unref(s->tx);
    g_free(s->failure);
    g_free(s);
}

static void
put_u8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

/* RFC 5216 2.1.1: EAP-TLS/Start, flags only */
static void
server_start(gpointer state, guint8 eap_id, GByteArray *request)
{
    put_u8(request, FLAG_START);
}

/* The next piece of our message: L and the total on the first of
 * several, M on all but the last (3.1). */
static void
send_fragment(TlsServer *s, GByteArray *request)
{
    gsize left = s->tx->len - s->tx_pos;
    gsize n = MIN(left, FRAGMENT_MAX);
    gboolean first = s->tx_pos == 0, more = n < left;
    guint8 flags = (more ? FLAG_MORE : 0) | (first && more ? FLAG_LENGTH : 0);
    put_u8(request, flags);
    if (flags & FLAG_LENGTH) {
        guint32 total = GUINT32_TO_BE((guint32)s->tx->len);
        g_byte_array_append(request, (const guint8 *)&total, 4);
    }
    g_byte_array_append(request, s->tx->data + s->tx_pos, (guint)n);
    s->tx_pos += n;
    if (s->tx_pos == s->tx->len) {
        g_byte_array_set_size(s->tx, 0);
        s->tx_pos = 0;
    }
}

static CgEapStatus
refuse(TlsServer *s, GError **error, CgEapError code, const char *why)
{
    /* the caller names the method */
    g_free(s->failure);
    s->failure = g_strdup(why);
    return cg_eap_fail(error, code, "%s", s->failure);
}

static CgEapStatus
run_tls(TlsServer *s, GByteArray *request, GError **error)
{
    g_autoptr(GError) tls_error = NULL;
    CgTlsStatus st = cg_tls_step(s->tls, s->rx->data, s->rx->len, s->tx, &tls_error);
    g_byte_array_set_size(s->rx, 0);
    s->rx_total = 0;
    if (st == CG_TLS_FAILED)
        return refuse(s, error,
                      tls_error && tls_error->code == CG_CRYPTO_ERROR_AUTH
                          ? CG_EAP_ERROR_CREDENTIALS
                          : CG_EAP_ERROR_MALFORMED,
                      tls_error ? tls_error->message : "the TLS handshake failed");
    if (st == CG_TLS_DONE)
        s->handshake_done = TRUE;
    if (!s->tx->len)
        return refuse(s, error, CG_EAP_ERROR_UNEXPECTED, "TLS has nothing to answer");
    send_fragment(s, request);
    return CG_EAP_CONTINUE;
}

static CgEapStatus
server_process(gpointer state, guint8 eap_id, const guint8 *data, gsize len, GByteArray *request,
               GError **error)
{
    TlsServer *s = state;
    if (len < 1)
        return refuse(s, error, CG_EAP_ERROR_MALFORMED, "a response without flags");
    guint8 flags = data[0];
    gsize off = 1;
    if (s->tx->len) {
        /* the peer acknowledged a fragment of ours: the next one */
        if (len != 1 || flags != 0)
            return refuse(s, error, CG_EAP_ERROR_UNEXPECTED,
                          "data from the peer while our message is still being sent");
        send_fragment(s, request);
        return CG_EAP_CONTINUE;
    }
    if (s->handshake_done) {
        /* 2.1.1: the empty response to our Finished ends the method */
        if (len != 1 || flags != 0)
            return refuse(s, error, CG_EAP_ERROR_UNEXPECTED, "data after the TLS handshake");
        return CG_EAP_SUCCESS;
    }
    if (flags & FLAG_START)
        return refuse(s, error, CG_EAP_ERROR_MALFORMED, "the peer sent the start flag");
    if (flags & FLAG_LENGTH) {
        if (len < 5)
            return refuse(s, error, CG_EAP_ERROR_MALFORMED, "the L flag without a length");
        gsize total = (gsize)data[1] << 24 | (gsize)data[2] << 16 | (gsize)data[3] << 8 | data[4];
        if (total == 0 || total > MESSAGE_MAX)
            return refuse(s, error, CG_EAP_ERROR_MALFORMED, "a TLS message length out of range");
        if (!s->rx->len)
            s->rx_total = total;
        off = 5;
    }
    if (len == off)
        return refuse(s, error, CG_EAP_ERROR_UNEXPECTED, "an empty response mid-handshake");
    if (s->rx->len + (len - off) > MESSAGE_MAX
        || (s->rx_total && s->rx->len + (len - off) > s->rx_total))
        return refuse(s, error, CG_EAP_ERROR_MALFORMED,
                      "fragments beyond the announced message length");
    g_byte_array_append(s->rx, data + off, (guint)(len - off));
    if (flags & FLAG_MORE) {
        put_u8(request, 0); /* 3.2: acknowledge, ask for the next */
        return CG_EAP_CONTINUE;
    }
    if (s->rx_total && s->rx->len != s->rx_total)
        return refuse(s, error, CG_EAP_ERROR_MALFORMED,
                      "the fragments do not add up to the announced length");
    return run_tls(s, request, error);
}

static GBytes *
server_msk(gpointer state)
{
    TlsServer *s = state;
    guint8 msk[CG_EAP_MSK_LEN];
    /* 2.3: the same exporter as the peer's */
    if (!s->handshake_done
        || !cg_tls_export(s->tls, "client EAP encryption", msk, sizeof msk, NULL))
        return NULL;
    GBytes *b = cg_secret_bytes_new(msk, sizeof msk);
    cg_memzero(msk, sizeof msk);
    return b;
}

static const char *
server_failure(gpointer state)
{
    return ((TlsServer *)state)->failure;
}

const CgEapServerMethod cg_eap_tls_server = {
    .type = CG_EAP_TLS,
    .new_server = server_new,
    .start = server_start,
    .process = server_process,
    .msk = server_msk,
    .failure = server_failure,
    .free = server_free,
};
