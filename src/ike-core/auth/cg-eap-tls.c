/* cg-eap-tls.c: the EAP-TLS peer (RFC 5216): TLS 1.2 records carried in
 * EAP-TLS messages (Flags | [TLS Message Length] | TLS Data, 3.1), with
 * fragmentation both ways and the MSK from the TLS exporter (2.3). The
 * TLS client itself is crypto/cg-tls.c. */
#include "auth/cg-eap-private.h"

#include <string.h>

#include "auth/cg-eap-tls-frag.h"
#include "crypto/cg-tls.h"

typedef struct {
    const CgEapPeerParams *params; /* the CgEapPeer's, borrowed */
    CgTls *tls;
    CgEapTlsFrag frag;
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
    cg_eap_tls_frag_init(&p->frag);
    return p;
}

static void
tls_free(gpointer state)
{
    TlsPeer *p = state;
    g_clear_pointer(&p->tls, cg_tls_free);
    cg_eap_tls_frag_clear(&p->frag);
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
    return cg_eap_tls_msk(p->tls, p->handshake_done);
}

/* Runs TLS on what arrived; what it answers goes out (or an empty ack). */
static CgEapStatus
run_tls(TlsPeer *p, const guint8 *in, gsize in_len, GByteArray *reply, GError **error)
{
    g_autoptr(GError) tls_error = NULL;
    CgTlsStatus st = cg_tls_step(p->tls, in, in_len, p->frag.tx, &tls_error);
    if (st == CG_TLS_FAILED)
        return cg_eap_fail(error,
                           tls_error && tls_error->code == CG_CRYPTO_ERROR_AUTH
                               ? CG_EAP_ERROR_PEER_AUTH
                               : CG_EAP_ERROR_CREDENTIALS,
                           "EAP-TLS: %s", tls_error ? tls_error->message : "failed");
    if (st == CG_TLS_DONE)
        p->handshake_done = TRUE;
    if (cg_eap_tls_frag_sending(&p->frag))
        cg_eap_tls_frag_send_next(&p->frag, reply);
    else
        g_byte_array_append(reply, (const guint8 *)"", 1); /* 2.1.1: an empty ack */
    return p->handshake_done ? CG_EAP_SUCCESS : CG_EAP_CONTINUE;
}

static CgEapStatus
tls_process(gpointer state, const guint8 *data, gsize len, GByteArray *reply, GError **error)
{
    TlsPeer *p = state;
    if (len >= 1 && (data[0] & CG_EAP_TLS_FLAG_START)) {
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
    if (cg_eap_tls_frag_sending(&p->frag)) {
        /* the server acknowledged a fragment of ours: the next one */
        if (len != 1)
            return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED,
                               "EAP-TLS data while our message is still being sent");
        cg_eap_tls_frag_send_next(&p->frag, reply);
        return CG_EAP_CONTINUE;
    }
    gboolean complete = FALSE;
    if (!cg_eap_tls_frag_take(&p->frag, data, len, &complete, reply, error))
        return CG_EAP_FAILURE;
    if (!complete)
        return CG_EAP_CONTINUE;
    CgEapStatus st = run_tls(p, p->frag.rx->data, p->frag.rx->len, reply, error);
    cg_eap_tls_frag_rx_done(&p->frag);
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
