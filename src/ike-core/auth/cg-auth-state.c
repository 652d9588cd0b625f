/* cg-auth-state.c: an IKE_SA's authentication state, the IKE_SA_INIT
 * extensions that prepare authentication (RFC 7427 4, RFC 7383 2.3,
 * CERTREQ in RFC 7296 1.2) and what snapshots show of it. */
#include "auth/cg-auth.h"

#include <string.h>

#include "sa/cg-fragment.h"

CgAuthState *
cg_auth_state_get(CgIkeSa *ike)
{
    if (!ike->auth) {
        CgAuthState *st = g_new0(CgAuthState, 1);
        st->peer_ca_hashes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        ike->auth = st;
    }
    return ike->auth;
}

void
cg_auth_state_free(CgAuthState *st)
{
    if (!st)
        return;
    g_clear_pointer(&st->peer_ca_hashes, g_ptr_array_unref);
    g_clear_pointer(&st->my_id_body, g_bytes_unref);
    g_clear_pointer(&st->peer_id_body, g_bytes_unref);
    g_clear_pointer(&st->peer_cert, cg_cert_unref);
    g_clear_pointer(&st->cert_check, cg_cert_check_free);
    g_clear_pointer(&st->msk, g_bytes_unref);
    g_free(st->eap_identity);
    g_free(st->fail_message);
    g_clear_pointer(&st->eap_peer, cg_eap_peer_free);
    g_clear_pointer(&st->eap_out, g_bytes_unref);
    g_clear_pointer(&st->eap_server, cg_eap_server_free);
    g_clear_pointer(&st->first_request, cg_message_copy_free);
    g_free(st);
}

CgMessageCopy *
cg_message_copy(const CgMessage *msg)
{
    gsize total = 0;
    for (guint i = 0; i < msg->n_payloads; i++)
        total += msg->payloads[i].body_len;
    CgMessageCopy *c = g_new0(CgMessageCopy, 1);
    c->buf = g_malloc(total ? total : 1);
    c->msg = *msg;
    gsize off = 0;
    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        if (p->body_len)
            memcpy(c->buf + off, p->body, p->body_len);
        c->msg.payloads[i].body = c->buf + off;
        off += p->body_len;
    }
    return c;
}

void
cg_message_copy_free(CgMessageCopy *c)
{
    if (!c)
        return;
    g_free(c->buf);
    g_free(c);
}

/* ---- IKE_SA_INIT ------------------------------------------------------------ */

/* RFC 7427 4: the hashes we verify and sign with (SHA-1 left out, RFC 8247) */
static void
add_sig_hash_notify(CgChainBuilder *cb)
{
    static const guint8 hashes[] = { 0, 2, 0, 3, 0, 4 };
    cg_chain_add_notify(cb, 0, NULL, 0, CG_N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof hashes);
}

void
cg_auth_init_request_payloads(CgIkeSa *ike, CgChainBuilder *cb)
{
    add_sig_hash_notify(cb);
    cg_fragment_add_notify(ike, cb, FALSE);
}

void
cg_auth_init_response_payloads(CgIkeSa *ike, CgChainBuilder *cb)
{
    /* RFC 7296 1.2: CERTREQ in the IKE_SA_INIT response asks the
     * initiator for its certificate */
    if (ike->config->remote_auth == CG_AUTH_BY_PUBKEY)
        cg_auth_add_certreq(ike, cb);
    add_sig_hash_notify(cb);
    cg_fragment_add_notify(ike, cb, TRUE);
}

void
cg_auth_init_note_peer(CgIkeSa *ike, const CgMessage *msg)
{
    CgAuthState *st = cg_auth_state_get(ike);
    CgNotifyPayload n;
    if (cg_message_find_notify(msg, CG_N_SIGNATURE_HASH_ALGORITHMS, &n))
        st->peer_sig_hashes = cg_sighash_parse(n.data, n.data_len);
    cg_auth_note_certreqs(ike, msg);
    cg_fragment_note_peer(ike, msg);
}

/* ---- snapshots ------------------------------------------------------------------- */

static const char *
eap_name(guint8 method)
{
    switch (method) {
        case CG_EAP_MSCHAPV2:
            return "eap-mschapv2";
        case CG_EAP_TLS:
            return "eap-tls";
        default:
            return "eap";
    }
}

static const char *
auth_by_name(CgAuthBy by, guint8 eap_method)
{
    switch (by) {
        case CG_AUTH_BY_PSK:
            return "psk";
        case CG_AUTH_BY_PUBKEY:
            return "pubkey";
        case CG_AUTH_BY_EAP:
            return eap_name(eap_method);
    }
    return "none";
}

const char *
cg_auth_local_name(CgIkeSa *ike)
{
    guint8 m = ike->auth && ike->initiator ? ike->auth->eap_method : ike->config->local_eap;
    return auth_by_name(ike->config->local_auth, m);
}

const char *
cg_auth_remote_name(CgIkeSa *ike)
{
    guint8 m = ike->auth && !ike->initiator ? ike->auth->eap_method : ike->config->remote_eap;
    return auth_by_name(ike->config->remote_auth, m);
}

/* Distinguished names as text rather than hex (config/ has no X.509) */
static void
dn_as_text(const CgIdentity *id, char **text)
{
    if (id->type != CG_ID_DER_ASN1_DN || !id->data)
        return;
    char *dn = cg_dn_to_string(g_bytes_get_data(id->data, NULL), g_bytes_get_size(id->data));
    if (dn) {
        g_free(*text);
        *text = dn;
    }
}

void
cg_auth_fill_snapshot(CgIkeSa *ike, CgIkeSnapshot *s)
{
    dn_as_text(&ike->local_id, &s->local_id);
    dn_as_text(&ike->peer_id, &s->remote_id);
    g_free(s->local_auth);
    g_free(s->remote_auth);
    s->local_auth = g_strdup(cg_auth_local_name(ike));
    s->remote_auth = g_strdup(cg_auth_remote_name(ike));
    if (!ike->auth)
        return;
    if (ike->auth->peer_cert && !s->peer_cert_der)
        s->peer_cert_der = cg_cert_der(ike->auth->peer_cert);
    if (ike->auth->eap_identity && !s->eap_identity)
        s->eap_identity = g_strdup(ike->auth->eap_identity);
}
