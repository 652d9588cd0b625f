/* cg-eap-tls-server.c: the EAP-TLS server (RFC 5216): it starts with the
 * S flag (2.1.1), reassembles the peer's fragments and acknowledges them,
 * sends its own flights fragment by fragment (3.1, 3.2), requires and
 * checks the peer's certificate, and succeeds once the peer acknowledged
 * our Finished. The TLS server itself is crypto/cg-tls.c. */
#include "auth/cg-eap-private.h"

#include <string.h>

#include "auth/cg-eap-tls-frag.h"
#include "crypto/cg-tls.h"

typedef struct {
    CgTls *tls;
    CgEapTlsFrag frag;
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
    cg_eap_tls_frag_init(&s->frag);
    return s;
}

static void
server_free(gpointer state)
{
    TlsServer *s = state;
    g_clear_pointer(&s->tls, cg_tls_free);
    cg_eap_tls_frag_clear(&s->frag);
    g_free(s->failure);
    g_free(s);
}

/* RFC 5216 2.1.1: EAP-TLS/Start, flags only */
static void
server_start(gpointer state, guint8 eap_id, GByteArray *request)
{
    guint8 flags = CG_EAP_TLS_FLAG_START;
    g_byte_array_append(request, &flags, 1);
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
    CgTlsStatus st = cg_tls_step(s->tls, s->frag.rx->data, s->frag.rx->len, s->frag.tx, &tls_error);
    cg_eap_tls_frag_rx_done(&s->frag);
    if (st == CG_TLS_FAILED)
        return refuse(s, error,
                      tls_error && tls_error->code == CG_CRYPTO_ERROR_AUTH
                          ? CG_EAP_ERROR_CREDENTIALS
                          : CG_EAP_ERROR_MALFORMED,
                      tls_error ? tls_error->message : "the TLS handshake failed");
    if (st == CG_TLS_DONE)
        s->handshake_done = TRUE;
    if (!cg_eap_tls_frag_sending(&s->frag))
        return refuse(s, error, CG_EAP_ERROR_UNEXPECTED, "TLS has nothing to answer");
    cg_eap_tls_frag_send_next(&s->frag, request);
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
    if (cg_eap_tls_frag_sending(&s->frag)) {
        /* the peer acknowledged a fragment of ours: the next one */
        if (len != 1 || flags != 0)
            return refuse(s, error, CG_EAP_ERROR_UNEXPECTED,
                          "data from the peer while our message is still being sent");
        cg_eap_tls_frag_send_next(&s->frag, request);
        return CG_EAP_CONTINUE;
    }
    if (s->handshake_done) {
        /* 2.1.1: the empty response to our Finished ends the method */
        if (len != 1 || flags != 0)
            return refuse(s, error, CG_EAP_ERROR_UNEXPECTED, "data after the TLS handshake");
        return CG_EAP_SUCCESS;
    }
    if (flags & CG_EAP_TLS_FLAG_START)
        return refuse(s, error, CG_EAP_ERROR_MALFORMED, "the peer sent the start flag");
    gboolean complete = FALSE;
    g_autoptr(GError) frag_error = NULL;
    if (!cg_eap_tls_frag_take(&s->frag, data, len, &complete, request, &frag_error))
        return refuse(s, error, (CgEapError)frag_error->code, frag_error->message);
    return complete ? run_tls(s, request, error) : CG_EAP_CONTINUE;
}

static GBytes *
server_msk(gpointer state)
{
    TlsServer *s = state;
    return cg_eap_tls_msk(s->tls, s->handshake_done); /* 2.3: as the peer's */
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
