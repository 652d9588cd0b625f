/* cg-ike-auth.c: the IKE_AUTH exchange (RFC 7296 1.2, 2.15, 2.16), both
 * roles: one round with a pre-shared key or certificates, several with
 * EAP (the EAP messages, then AUTH with the MSK), EAP-only authentication
 * of RFC 5998; then the configuration payload and the first CHILD_SA.
 * The AUTH methods, certificates and EAP methods live in auth/. */
#include "sa/cg-sa-private.h"

#include <string.h>

#include "auth/cg-auth.h"
#include "auth/cg-creds.h"
#include "net/cg-net.h"
#include "sa/cg-ike-auth-cp.h"

/* IKE_AUTH exchanges one SA may take: EAP-MSCHAPv2 needs 5, EAP-TLS with
 * a certificate chain about a dozen */
#define MAX_AUTH_ROUNDS 24

/* ---- identities ------------------------------------------------------------ */

/* Our identity: the configured one; with a certificate its subject
 * (what the peer finds in it, RFC 4945 3.1.5); else our IKE address (3.5). */
static void
choose_local_id(CgIkeSa *ike)
{
    cg_identity_clear(&ike->local_id);
    if (ike->config->local_id.type) {
        ike->local_id.type = ike->config->local_id.type;
        ike->local_id.data = g_bytes_ref(ike->config->local_id.data);
        return;
    }
    CgAuthCreds *creds;
    if (ike->config->local_auth == CG_AUTH_BY_PUBKEY
        && cg_auth_creds_local(ike->config, &creds, NULL)) {
        ike->local_id.type = CG_ID_DER_ASN1_DN;
        ike->local_id.data = cg_cert_subject_der(creds->cert);
        return;
    }
    GInetAddress *ip = cg_sockaddr_inet(ike->local);
    ike->local_id.type
        = g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6 ? CG_ID_IPV6_ADDR : CG_ID_IPV4_ADDR;
    ike->local_id.data
        = g_bytes_new(g_inet_address_to_bytes(ip), g_inet_address_get_native_size(ip));
}

static gboolean
identity_is_pattern(const CgIdentity *id)
{
    gsize len = 0;
    const guint8 *d = id->data ? g_bytes_get_data(id->data, &len) : NULL;
    return (id->type == CG_ID_FQDN || id->type == CG_ID_RFC822_ADDR) && len >= 1 && d[0] == '*';
}

static GBytes *
id_body(const CgIdentity *id)
{
    GByteArray *b = g_byte_array_new();
    gsize len;
    const guint8 *data = g_bytes_get_data(id->data, &len);
    cg_payload_write_id(b, id->type, data, len);
    return g_byte_array_free_to_bytes(b);
}

/* For logs: DNs as text, the rest as cg_identity_to_string has them. */
static char *
id_text(const CgIdentity *id)
{
    if (id->type == CG_ID_DER_ASN1_DN && id->data) {
        char *dn = cg_dn_to_string(g_bytes_get_data(id->data, NULL), g_bytes_get_size(id->data));
        if (dn)
            return dn;
    }
    return cg_identity_to_string(id);
}

static gboolean
take_peer_id(CgIkeSa *ike, const CgRawPayload *p_id, GError **error)
{
    CgIdPayload id;
    if (!cg_payload_parse_id(p_id->body, p_id->body_len, &id, error))
        return FALSE;
    cg_identity_clear(&ike->peer_id);
    ike->peer_id.type = id.id_type;
    ike->peer_id.data = g_bytes_new(id.data, id.data_len);
    CgAuthState *st = cg_auth_state_get(ike);
    g_clear_pointer(&st->peer_id_body, g_bytes_unref);
    st->peer_id_body = g_bytes_new(p_id->body, p_id->body_len);
    return TRUE;
}

/* After EAP the user is who EAP said, not the IDi (often an address):
 * pools and unique IDs then work per user. */
static void
adopt_eap_identity(CgIkeSa *ike, const char *identity)
{
    CgAuthState *st = cg_auth_state_get(ike);
    if (st->eap_identity != identity) {
        g_free(st->eap_identity);
        st->eap_identity = g_strdup(identity);
    }
    CgIdentity id;
    if (!cg_identity_parse(identity, &id, NULL) || !id.type) {
        cg_identity_clear(&id);
        id.type = CG_ID_KEY_ID;
        id.data = g_bytes_new(identity, strlen(identity));
    }
    cg_identity_clear(&ike->peer_id);
    ike->peer_id = id;
}

static void
mark_established(CgIkeSa *ike)
{
    cg_auth_state_get(ike)->phase = CG_AUTH_PHASE_DONE;
    cg_ike_sa_set_state(ike, CG_IKE_STATE_ESTABLISHED);
    ike->established_at = g_get_real_time();
    cg_ike_sa_drop_dh(ike);
    cg_ike_sa_schedule_timers(ike);
    g_autofree char *l = cg_sockaddr_to_string(ike->local);
    g_autofree char *r = cg_sockaddr_to_string(ike->remote);
    g_autofree char *lid = id_text(&ike->local_id);
    g_autofree char *rid = id_text(&ike->peer_id);
    cg_ike_sa_log(ike, CG_LOG_INFO, "established between %s[%s] and %s[%s]%s (%s/%s)", l, lid, r,
                  rid, ike->natt ? " (NAT-T)" : "", cg_auth_local_name(ike),
                  cg_auth_remote_name(ike));
    ike->published_up = TRUE;
    cg_engine_ike_established(ike->engine, ike);
    cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_NONE, "authenticated");
    cg_engine_publish(ike->engine, CG_EVENT_IKE_UP, ike, NULL, CG_REASON_NONE, NULL);
}

static GBytes *
find_eap_secret(const char *identity, gpointer user_data)
{
    return cg_creds_find_eap_secret(identity);
}

static CgReason
reason_of_eap_error(const GError *error)
{
    if (error && error->domain == CG_EAP_ERROR && error->code == CG_EAP_ERROR_LOCAL)
        return CG_REASON_LOCAL_CREDENTIALS;
    if (error && error->domain == CG_EAP_ERROR
        && (error->code == CG_EAP_ERROR_MALFORMED || error->code == CG_EAP_ERROR_UNEXPECTED))
        return CG_REASON_PROTOCOL_ERROR;
    return CG_REASON_AUTH_FAILED;
}

static void
add_eap_payload(CgChainBuilder *cb, GBytes *eap)
{
    cg_chain_add_raw(cb, CG_PL_EAP, g_bytes_get_data(eap, NULL), g_bytes_get_size(eap));
}

/* RFC 5998 4: EAP-only only with a method that authenticates both sides,
 * derives keys and resists dictionary attacks: of ours EAP-TLS, not
 * MSCHAPv2 (strongSwan refuses it too) */
static gboolean
eap_method_allows_eap_only(guint8 method)
{
    return method == CG_EAP_TLS;
}

/* ---- initiator -------------------------------------------------------------- */

/* Gives up: says why on the bus and takes the SA down. */
static void
initiator_fail(CgIkeSa *ike, CgReason reason, const char *message)
{
    cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, reason, message);
    cg_ike_sa_destroy(ike, reason, message);
}

/* The responder already considers the SA up: RFC 7296 2.21.2 has the
 * initiator tell it with AUTHENTICATION_FAILED in an INFORMATIONAL
 * request (sent once, not retransmitted: we are gone anyway). */
static void
initiator_reject_responder(CgIkeSa *ike, CgReason reason, const char *message)
{
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_AUTHENTICATION_FAILED, NULL, 0);
    /* and a Delete, for responders that only act on that */
    g_autofree CgDeletePayload *d = g_new0(CgDeletePayload, 1);
    d->protocol_id = CG_PROTO_IKE;
    gsize off = cg_chain_begin_payload(&cb, CG_PL_DELETE, FALSE);
    cg_payload_write_delete(inner, d);
    cg_chain_end_payload(&cb, off);
    g_autoptr(GBytes) packet = cg_ike_sa_seal(ike, CG_EXCH_INFORMATIONAL, FALSE,
                                              ike->active_msg_id + 1, inner, cb.first_type);
    if (packet)
        cg_ike_sa_send_raw(ike, packet);
    initiator_fail(ike, reason, message);
}

static char *
eap_identity_of(CgIkeSa *ike)
{
    if (ike->config->eap_identity)
        return g_strdup(ike->config->eap_identity);
    return id_text(&ike->local_id);
}

static gboolean
start_eap_peer(CgIkeSa *ike, CgAuthState *st)
{
    g_autofree char *identity = eap_identity_of(ike);
    g_autoptr(GBytes) password = ike->config->eap_password ? g_bytes_ref(ike->config->eap_password)
                                                           : cg_creds_find_eap_secret(identity);
    CgEapPeerParams params = {
        .method = ike->config->local_eap,
        .identity = identity,
        .password = password,
    };
    CgAuthCreds *local = NULL, *trust = NULL;
    if (ike->config->local_eap != CG_EAP_MSCHAPV2
        && (ike->config->cert || ike->config->cert_nickname || ike->config->pkcs12)) {
        /* EAP-TLS: our certificate inside TLS, the gateway's checked there */
        g_autoptr(GError) error = NULL;
        if (!cg_auth_creds_local(ike->config, &local, &error)
            || !cg_auth_creds_trust(ike->config, &trust, &error)) {
            initiator_fail(ike, CG_REASON_LOCAL_CREDENTIALS, error->message);
            return FALSE;
        }
        params.tls_cert = local->cert;
        params.tls_chain = local->chain;
        params.tls_key = local->key;
        params.tls_anchors = trust->anchors;
    }
    /* the TLS server's certificate must carry the gateway's identity */
    g_autofree char *server_name = NULL;
    CgIdType rt = ike->config->remote_id.type;
    if ((rt == CG_ID_FQDN || rt == CG_ID_IPV4_ADDR || rt == CG_ID_IPV6_ADDR)
        && !identity_is_pattern(&ike->config->remote_id))
        server_name = cg_identity_to_string(&ike->config->remote_id);
    params.tls_server_name = server_name;
    st->eap_peer = cg_eap_peer_new(&params);
    g_free(st->eap_identity);
    st->eap_identity = g_steal_pointer(&identity);
    return TRUE;
}

/* IDi, [CERT], [CERTREQ], [IDr], [AUTH], notifies, CP, SA, TSi, TSr */
static gboolean
first_request(CgIkeSa *ike, CgExchange *x, CgChainBuilder *cb)
{
    CgAuthState *st = cg_auth_state_get(ike);
    CgConnConfig *c = ike->config;
    g_autoptr(GError) error = NULL;
    CgReason reason;
    choose_local_id(ike);
    g_clear_pointer(&st->my_id_body, g_bytes_unref);
    st->my_id_body = id_body(&ike->local_id);
    cg_chain_add_raw(cb, CG_PL_IDI, g_bytes_get_data(st->my_id_body, NULL),
                     g_bytes_get_size(st->my_id_body));
    if (c->local_auth == CG_AUTH_BY_PUBKEY && !cg_auth_add_certs(ike, cb, &reason, &error)) {
        initiator_fail(ike, reason, error->message);
        return FALSE;
    }
    if (c->remote_auth == CG_AUTH_BY_PUBKEY)
        cg_auth_add_certreq(ike, cb);
    /* RFC 7296 3.5: IDr lets the responder pick the right identity (a
     * pattern like *.example.org names none, so it is not sent) */
    if (c->remote_id.type && !identity_is_pattern(&c->remote_id)) {
        g_autoptr(GBytes) ridb = id_body(&c->remote_id);
        cg_chain_add_raw(cb, CG_PL_IDR, g_bytes_get_data(ridb, NULL), g_bytes_get_size(ridb));
        cg_identity_clear(&ike->peer_id);
        ike->peer_id.type = c->remote_id.type;
        ike->peer_id.data = g_bytes_ref(c->remote_id.data);
    }
    if (c->local_auth == CG_AUTH_BY_EAP) {
        /* RFC 7296 2.16: no AUTH means "EAP, please" */
        if (!start_eap_peer(ike, st))
            return FALSE;
        /* RFC 5998 3: the gateway may then skip its signature */
        if (c->eap_only)
            cg_chain_add_notify(cb, 0, NULL, 0, CG_N_EAP_ONLY_AUTHENTICATION, NULL, 0);
    } else if (!cg_auth_add_auth(ike, cb, NULL, &reason, &error)) {
        initiator_fail(ike, reason, error->message);
        return FALSE;
    }
    /* RFC 7296 2.4: INITIAL_CONTACT only when we hold no other SA with
     * this peer, or the peer would drop those */
    if (!cg_engine_has_sa_to(ike->engine, ike, c, ike->remote))
        cg_chain_add_notify(cb, 0, NULL, 0, CG_N_INITIAL_CONTACT, NULL, 0);
    cg_mobike_add_supported(ike, cb); /* RFC 4555 3.2 */
    cg_cp_add_request(ike, cb);
    if (c->children->len) {
        CgChildConfig *cc = c->children->pdata[0];
        CgKernel *k = cg_engine_kernel(ike->engine);
        guint32 spi = 0;
        if (!k->ops->get_spi(k, cg_sockaddr_inet(ike->remote), cg_sockaddr_inet(ike->local), 0,
                             &spi, &error)) {
            cg_ike_sa_destroy(ike, CG_REASON_LOCAL_ERROR, error->message);
            return FALSE;
        }
        st->child_config = cc;
        st->child_spi_in = spi;
        cg_child_request_payloads(ike, cc, NULL, spi, 0, cb, TRUE);
    }
    return TRUE;
}

void
cg_ike_auth_send_request(CgIkeSa *ike)
{
    CgExchange *x = ike->active;
    CgAuthState *st = cg_auth_state_get(ike);
    if (++st->rounds > MAX_AUTH_ROUNDS) {
        initiator_fail(ike, CG_REASON_PROTOCOL_ERROR, "IKE_AUTH did not end within 24 exchanges");
        return;
    }
    g_autoptr(GByteArray) inner = g_byte_array_sized_new(512);
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    const char *what = "";
    switch (st->phase) {
        case CG_AUTH_PHASE_FIRST:
            if (!first_request(ike, x, &cb))
                return;
            break;
        case CG_AUTH_PHASE_EAP:
            add_eap_payload(&cb, st->eap_out);
            g_clear_pointer(&st->eap_out, g_bytes_unref);
            what = " (EAP)";
            break;
        case CG_AUTH_PHASE_FINAL: {
            /* RFC 7296 2.16: AUTH with the MSK over the first message's IDi */
            g_autoptr(GError) error = NULL;
            CgReason reason;
            if (!cg_auth_add_auth(ike, &cb, st->msk, &reason, &error)) {
                initiator_fail(ike, reason, error->message);
                return;
            }
            what = " (AUTH from the EAP key)";
            break;
        }
        case CG_AUTH_PHASE_DONE:
            cg_ike_sa_exchange_done(ike);
            return;
    }
    /* the CHILD_SA of the first request is answered in the last response */
    x->child_config = st->child_config;
    x->new_spi_in = st->child_spi_in;
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "sending IKE_AUTH request%s", what);
    cg_ike_sa_send_request(ike, CG_EXCH_IKE_AUTH, inner, cb.first_type);
}

/* Another IKE_AUTH exchange follows this one at once. */
static void
next_round(CgIkeSa *ike)
{
    g_queue_push_head(&ike->pending, cg_exchange_new(CG_X_IKE_AUTH));
    cg_ike_sa_exchange_done(ike);
}

/* The last response: CP, established, the first CHILD_SA, the others. */
static void
finish_initiator(CgIkeSa *ike, const CgMessage *msg)
{
    CgExchange *x = ike->active;
    cg_cp_process_reply(ike, msg);
    if ((ike->config->request_vip4 || ike->config->request_vip6) && !ike->local_vips->len)
        cg_ike_sa_log(ike, CG_LOG_WARNING, "asked for a virtual IP but got none");
    mark_established(ike);

    CgChildConfig *cc = x->child_config;
    if (cc) {
        CgChildSa *child = NULL;
        guint16 cerr = 0;
        gboolean ok = cg_child_accept_response(
            ike, x, msg, NULL, 0, g_bytes_get_data(ike->nonce_i, NULL),
            g_bytes_get_size(ike->nonce_i), g_bytes_get_data(ike->nonce_r, NULL),
            g_bytes_get_size(ike->nonce_r), &child, &cerr);
        if (!ok) {
            g_autofree char *m = g_strdup_printf("the first CHILD_SA failed: %s",
                                                 cerr ? cg_notify_name(cerr) : "invalid response");
            cg_ike_sa_log(ike, CG_LOG_WARNING, "%s", m);
            CgReason r = cerr ? cg_reason_from_notify(cerr) : CG_REASON_PROTOCOL_ERROR;
            cg_engine_publish(ike->engine, CG_EVENT_ERROR, ike, NULL, r, m);
            cg_ike_sa_exchange_done(ike);
            cg_delete_ike_start(ike, r);
            return;
        }
    }
    cg_ike_sa_exchange_done(ike);
    /* further children of this connection */
    for (guint i = 1; i < ike->config->children->len; i++)
        cg_create_child_start(ike, ike->config->children->pdata[i]);
}

/* One EAP message from the gateway. */
static void
initiator_eap(CgIkeSa *ike, const CgMessage *msg)
{
    CgAuthState *st = cg_auth_state_get(ike);
    const CgRawPayload *p = cg_message_find(msg, CG_PL_EAP);
    if (!p) {
        initiator_fail(ike, CG_REASON_PROTOCOL_ERROR,
                       "the gateway's IKE_AUTH response has no EAP payload");
        return;
    }
    g_autoptr(GError) error = NULL;
    GBytes *out = NULL;
    CgEapStatus status = cg_eap_peer_process(st->eap_peer, p->body, p->body_len, &out, &error);
    if (cg_eap_peer_method(st->eap_peer))
        st->eap_method = cg_eap_peer_method(st->eap_peer);
    switch (status) {
        case CG_EAP_CONTINUE:
            g_clear_pointer(&st->eap_out, g_bytes_unref);
            st->eap_out = out;
            next_round(ike);
            return;
        case CG_EAP_SUCCESS:
            g_clear_pointer(&out, g_bytes_unref);
            if (st->eap_only && !eap_method_allows_eap_only(st->eap_method)) {
                initiator_fail(ike, CG_REASON_AUTH_FAILED,
                               "the gateway skipped its AUTH (EAP-only) with a method RFC 5998 "
                               "does not allow for that");
                return;
            }
            g_clear_pointer(&st->msk, g_bytes_unref);
            st->msk = cg_eap_peer_msk(st->eap_peer);
            cg_ike_sa_log(ike, CG_LOG_INFO, "EAP-%s authenticated us as '%s'",
                          cg_eap_method_name(st->eap_method), st->eap_identity);
            st->phase = CG_AUTH_PHASE_FINAL;
            next_round(ike);
            return;
        case CG_EAP_FAILURE: {
            CgReason reason = reason_of_eap_error(error);
            g_autofree char *m = g_strdup_printf("EAP-%s: %s", cg_eap_method_name(st->eap_method),
                                                 error ? error->message : "failed");
            if (out) {
                /* our last word (a failure acknowledgement) goes out first */
                g_clear_pointer(&st->eap_out, g_bytes_unref);
                st->eap_out = out;
                next_round(ike);
            }
            initiator_fail(ike, reason, m);
            return;
        }
    }
}

/* IDr, CERT, AUTH and perhaps the first EAP request. */
static void
initiator_first_response(CgIkeSa *ike, const CgMessage *msg)
{
    CgAuthState *st = cg_auth_state_get(ike);
    CgConnConfig *c = ike->config;
    g_autoptr(GError) error = NULL;
    const CgRawPayload *p_idr = cg_message_find(msg, CG_PL_IDR);
    if (!p_idr) {
        initiator_fail(ike, CG_REASON_PROTOCOL_ERROR, "the gateway's IKE_AUTH response lacks IDr");
        return;
    }
    if (!take_peer_id(ike, p_idr, &error)) {
        initiator_fail(ike, CG_REASON_PROTOCOL_ERROR, error->message);
        return;
    }
    g_autofree char *peer = id_text(&ike->peer_id);
    if (c->remote_id.type) {
        gsize len;
        const guint8 *d = g_bytes_get_data(ike->peer_id.data, &len);
        if (!cg_identity_matches(&c->remote_id, ike->peer_id.type, d, len)) {
            g_autofree char *want = id_text(&c->remote_id);
            g_autofree char *m = g_strdup_printf("the gateway identified as '%s', not as the "
                                                 "configured '%s'",
                                                 peer, want);
            initiator_reject_responder(ike, CG_REASON_ID_MISMATCH, m);
            return;
        }
    }
    cg_auth_note_certreqs(ike, msg);
    gboolean has_auth = cg_message_find(msg, CG_PL_AUTH) != NULL;
    gboolean has_eap = cg_message_find(msg, CG_PL_EAP) != NULL;
    if (has_auth) {
        CgReason reason;
        gsize id_len;
        const guint8 *idb = g_bytes_get_data(st->peer_id_body, &id_len);
        if (!cg_auth_verify_peer(ike, msg, idb, id_len, &reason, &error)) {
            /* certificate reasons say enough themselves */
            g_autofree char *m
                = reason == CG_REASON_AUTH_FAILED
                      ? g_strdup_printf("the gateway failed authentication: %s", error->message)
                      : g_strdup(error->message);
            initiator_reject_responder(ike, reason, m);
            return;
        }
        st->peer_authenticated = TRUE;
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "the gateway '%s' is authenticated (%s)", peer,
                      cg_auth_remote_name(ike));
    } else if (c->local_auth == CG_AUTH_BY_EAP && c->eap_only && has_eap) {
        /* RFC 5998: the gateway proves itself through the EAP method */
        st->eap_only = TRUE;
        cg_ike_sa_log(ike, CG_LOG_INFO,
                      "EAP-only authentication (RFC 5998): the gateway "
                      "authenticates through EAP");
    } else {
        initiator_fail(ike, CG_REASON_AUTH_FAILED, "the gateway's IKE_AUTH response lacks AUTH");
        return;
    }
    if (c->local_auth == CG_AUTH_BY_EAP) {
        if (!has_eap) {
            initiator_fail(ike, CG_REASON_AUTH_FAILED,
                           "the gateway did not start EAP (does it accept EAP for us?)");
            return;
        }
        st->phase = CG_AUTH_PHASE_EAP;
        initiator_eap(ike, msg);
        return;
    }
    finish_initiator(ike, msg);
}

void
cg_ike_auth_process_response(CgIkeSa *ike, const CgMessage *msg)
{
    CgAuthState *st = cg_auth_state_get(ike);
    g_autoptr(GError) error = NULL;
    guint16 err = cg_message_error_notify(msg);
    if (err) {
        CgReason reason = cg_reason_from_notify(err);
        const char *m = cg_notify_name(err);
        if (err == CG_N_AUTHENTICATION_FAILED)
            m = st->phase == CG_AUTH_PHASE_FIRST
                    ? (ike->config->local_auth == CG_AUTH_BY_EAP
                           ? "the gateway rejected us (identity, or EAP not allowed?)"
                           : "the gateway rejected our authentication (wrong key, certificate or "
                             "identity?)")
                    : "the gateway rejected our authentication";
        initiator_fail(ike, reason, m);
        return;
    }
    switch (st->phase) {
        case CG_AUTH_PHASE_FIRST:
            initiator_first_response(ike, msg);
            return;
        case CG_AUTH_PHASE_EAP:
            initiator_eap(ike, msg);
            return;
        case CG_AUTH_PHASE_FINAL: {
            /* RFC 7296 2.16: the gateway's AUTH, now with the MSK */
            gsize id_len;
            const guint8 *idb = g_bytes_get_data(st->peer_id_body, &id_len);
            if (!cg_auth_verify_msk(ike, msg, st->msk, idb, id_len, &error)) {
                g_autofree char *m = g_strdup_printf("the gateway failed authentication after "
                                                     "EAP: %s",
                                                     error->message);
                initiator_reject_responder(ike, CG_REASON_AUTH_FAILED, m);
                return;
            }
            st->peer_authenticated = TRUE;
            finish_initiator(ike, msg);
            return;
        }
        case CG_AUTH_PHASE_DONE:
            cg_ike_sa_exchange_done(ike);
            return;
    }
}

/* ---- responder ----------------------------------------------------------------- */

static void
responder_fail(CgIkeSa *ike, guint32 msg_id, guint16 notify, CgReason reason, const char *message)
{
    g_autofree char *peer = id_text(&ike->peer_id);
    cg_ike_sa_log(ike, CG_LOG_INFO, "authentication of '%s' failed: %s", peer, message);
    cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, notify, 0, NULL, 0);
    cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, reason, message);
    cg_ike_sa_destroy(ike, reason, message);
}

/* CP reply, the first CHILD_SA, send, established. */
static void
respond_established(CgIkeSa *ike, const CgMessage *req, guint32 msg_id, CgChainBuilder *cb,
                    GByteArray *inner)
{
    g_autoptr(GError) error = NULL;
    guint16 child_error = 0;
    const CgRawPayload *p_cp = cg_message_find(req, CG_PL_CP);
    if (p_cp) {
        g_autofree CgCpPayload *cp = g_new0(CgCpPayload, 1);
        if (cg_payload_parse_cp(p_cp->body, p_cp->body_len, cp, &error)
            && cp->cfg_type == CG_CFG_REQUEST) {
            if (!cg_cp_build_reply(ike, cp, cb))
                child_error = CG_N_INTERNAL_ADDRESS_FAILURE;
        } else if (error) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "ignored malformed CP: %s", error->message);
            g_clear_error(&error);
        }
    }
    CgChildSa *child = NULL;
    if (!child_error && cg_message_find(req, CG_PL_SA)) {
        const guint8 *ni = g_bytes_get_data(ike->nonce_i, NULL);
        const guint8 *nr = g_bytes_get_data(ike->nonce_r, NULL);
        child_error
            = cg_child_respond(ike, req, NULL, NULL, 0, 0, ni, g_bytes_get_size(ike->nonce_i), nr,
                               g_bytes_get_size(ike->nonce_r), cb, &child);
        if (child)
            cg_child_add_ts_payloads(child, cb, FALSE);
    }
    if (child_error) {
        /* RFC 7296 1.2: the IKE_SA stays, the CHILD_SA is refused */
        cg_chain_add_notify(cb, 0, NULL, 0, child_error, NULL, 0);
    }
    cg_mobike_add_supported(ike, cb); /* RFC 4555 3.2 */
    cg_ike_sa_send_response(ike, CG_EXCH_IKE_AUTH, msg_id, inner, cb->first_type);
    mark_established(ike);
    if (child)
        cg_child_sa_schedule(child);
}

/* The connection for this initiator: its identity may select a more
 * specific one than the addresses did (2.15). */
static gboolean
select_connection(CgIkeSa *ike, guint32 msg_id)
{
    CgConnConfig *better
        = cg_engine_match_responder(ike->engine, ike->local, ike->remote, &ike->peer_id);
    if (!better) {
        g_autofree char *peer = id_text(&ike->peer_id);
        g_autofree char *m = g_strdup_printf("no connection accepts peer identity '%s'", peer);
        responder_fail(ike, msg_id, CG_N_AUTHENTICATION_FAILED, CG_REASON_ID_MISMATCH, m);
        return FALSE;
    }
    if (better != ike->config) {
        cg_conn_config_unref(ike->config);
        ike->config = cg_conn_config_ref(better);
        g_free(ike->log_name);
        ike->log_name = g_strdup_printf("IKE_SA %s[%u]", better->name, ike->unique_id);
    }
    return TRUE;
}

static void
responder_first(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    CgAuthState *st = cg_auth_state_get(ike);
    g_autoptr(GError) error = NULL;
    const CgRawPayload *p_idi = cg_message_find(msg, CG_PL_IDI);
    if (!p_idi) {
        responder_fail(ike, msg_id, CG_N_INVALID_SYNTAX, CG_REASON_PROTOCOL_ERROR,
                       "IKE_AUTH request without IDi");
        return;
    }
    if (!take_peer_id(ike, p_idi, &error)) {
        responder_fail(ike, msg_id, CG_N_INVALID_SYNTAX, CG_REASON_PROTOCOL_ERROR, error->message);
        return;
    }
    if (!select_connection(ike, msg_id))
        return;
    CgConnConfig *c = ike->config;
    g_autofree char *peer = id_text(&ike->peer_id);
    cg_auth_note_certreqs(ike, msg);
    choose_local_id(ike);
    gboolean has_auth = cg_message_find(msg, CG_PL_AUTH) != NULL;
    if (c->remote_auth == CG_AUTH_BY_EAP) {
        if (has_auth) {
            responder_fail(ike, msg_id, CG_N_AUTHENTICATION_FAILED, CG_REASON_AUTH_FAILED,
                           "the peer sent AUTH, but the connection authenticates it with EAP");
            return;
        }
        st->eap_only = c->eap_only && eap_method_allows_eap_only(c->remote_eap)
                       && cg_message_find_notify(msg, CG_N_EAP_ONLY_AUTHENTICATION, NULL);
    } else {
        if (!has_auth) {
            responder_fail(ike, msg_id, CG_N_AUTHENTICATION_FAILED, CG_REASON_AUTH_FAILED,
                           "the peer asked for EAP (no AUTH), which the connection does not "
                           "offer");
            return;
        }
        CgReason reason;
        gsize id_len;
        const guint8 *idb = g_bytes_get_data(st->peer_id_body, &id_len);
        if (!cg_auth_verify_peer(ike, msg, idb, id_len, &reason, &error)) {
            responder_fail(ike, msg_id, CG_N_AUTHENTICATION_FAILED, reason, error->message);
            return;
        }
        st->peer_authenticated = TRUE;
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "authenticated '%s' (%s)", peer, cg_auth_remote_name(ike));
    }
    ike->peer_initial_contact = cg_message_find_notify(msg, CG_N_INITIAL_CONTACT, NULL);

    g_autoptr(GByteArray) inner = g_byte_array_sized_new(1024);
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    g_clear_pointer(&st->my_id_body, g_bytes_unref);
    st->my_id_body = id_body(&ike->local_id);
    cg_chain_add_raw(&cb, CG_PL_IDR, g_bytes_get_data(st->my_id_body, NULL),
                     g_bytes_get_size(st->my_id_body));
    if (!st->eap_only) {
        CgReason reason = CG_REASON_AUTH_FAILED;
        gboolean ok = TRUE;
        if (c->local_auth == CG_AUTH_BY_EAP) {
            ok = FALSE;
            reason = CG_REASON_LOCAL_CREDENTIALS;
            g_set_error(&error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "a responder cannot authenticate itself with EAP (auth=)");
        } else if (c->local_auth == CG_AUTH_BY_PUBKEY) {
            ok = cg_auth_add_certs(ike, &cb, &reason, &error);
        }
        ok = ok && cg_auth_add_auth(ike, &cb, NULL, &reason, &error);
        if (!ok) {
            cg_ike_sa_log(ike, CG_LOG_WARNING, "cannot authenticate ourselves: %s", error->message);
            cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_AUTHENTICATION_FAILED, 0,
                                    NULL, 0);
            cg_ike_sa_destroy(ike, reason, error->message);
            return;
        }
    }
    if (c->remote_auth == CG_AUTH_BY_EAP) {
        g_autofree char *server_name = id_text(&ike->local_id);
        st->eap_method = c->remote_eap == CG_EAP_ANY ? CG_EAP_MSCHAPV2 : c->remote_eap;
        st->eap_server = cg_eap_server_new(c->remote_eap, server_name, find_eap_secret, NULL);
        if (st->eap_method == CG_EAP_TLS) {
            g_autoptr(GError) tls_error = NULL;
            if (!cg_auth_eap_server_tls(c, st->eap_server, &tls_error))
                cg_ike_sa_log(ike, CG_LOG_WARNING, "EAP-TLS server: %s", tls_error->message);
        }
        g_autoptr(GBytes) request = cg_eap_server_start(st->eap_server);
        add_eap_payload(&cb, request);
        st->first_request = cg_message_copy(msg);
        st->phase = CG_AUTH_PHASE_EAP;
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "EAP-%s with '%s'%s", cg_eap_method_name(st->eap_method),
                      peer, st->eap_only ? " (EAP-only, RFC 5998)" : "");
        cg_ike_sa_send_response(ike, CG_EXCH_IKE_AUTH, msg_id, inner, cb.first_type);
        return;
    }
    respond_established(ike, msg, msg_id, &cb, inner);
}

static void
responder_eap(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    CgAuthState *st = cg_auth_state_get(ike);
    const CgRawPayload *p = cg_message_find(msg, CG_PL_EAP);
    if (!p) {
        responder_fail(ike, msg_id, CG_N_AUTHENTICATION_FAILED, CG_REASON_PROTOCOL_ERROR,
                       "IKE_AUTH request without the EAP payload");
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) out = NULL;
    CgEapStatus status = cg_eap_server_process(st->eap_server, p->body, p->body_len, &out, &error);
    const char *user = cg_eap_server_identity(st->eap_server);
    if (user && !st->eap_identity)
        st->eap_identity = g_strdup(user);
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    if (out)
        add_eap_payload(&cb, out);
    switch (status) {
        case CG_EAP_CONTINUE: {
            /* say why at once: a client may abort without acknowledging */
            const char *failed = cg_eap_server_failure(st->eap_server);
            if (failed && !st->fail_message) {
                st->fail_message
                    = g_strdup_printf("EAP-%s: %s", cg_eap_method_name(st->eap_method), failed);
                cg_ike_sa_log(ike, CG_LOG_INFO, "authentication of '%s' failed: %s",
                              user ? user : "?", st->fail_message);
                cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_AUTH_FAILED,
                                  st->fail_message);
            }
            cg_ike_sa_send_response(ike, CG_EXCH_IKE_AUTH, msg_id, inner, cb.first_type);
            return;
        }
        case CG_EAP_SUCCESS:
            st->msk = cg_eap_server_msk(st->eap_server);
            st->phase = CG_AUTH_PHASE_FINAL;
            cg_ike_sa_log(ike, CG_LOG_INFO, "EAP-%s authenticated '%s'",
                          cg_eap_method_name(st->eap_method), user ? user : "?");
            cg_ike_sa_send_response(ike, CG_EXCH_IKE_AUTH, msg_id, inner, cb.first_type);
            return;
        case CG_EAP_FAILURE: {
            /* RFC 7296 2.16: the EAP-Failure tells the client; we are done */
            g_autofree char *m = g_strdup_printf("EAP-%s: %s", cg_eap_method_name(st->eap_method),
                                                 error ? error->message : "failed");
            CgReason reason = reason_of_eap_error(error);
            if (!st->fail_message)
                cg_ike_sa_log(ike, CG_LOG_INFO, "authentication of '%s' failed: %s",
                              user ? user : "?", m);
            if (!out)
                cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_AUTHENTICATION_FAILED, NULL, 0);
            cg_ike_sa_send_response(ike, CG_EXCH_IKE_AUTH, msg_id, inner, cb.first_type);
            if (!st->fail_message)
                cg_engine_publish(
                    ike->engine, CG_EVENT_AUTH, ike, NULL,
                    reason == CG_REASON_LOCAL_CREDENTIALS ? CG_REASON_AUTH_FAILED : reason, m);
            cg_ike_sa_destroy(
                ike, reason == CG_REASON_LOCAL_CREDENTIALS ? CG_REASON_AUTH_FAILED : reason, m);
            return;
        }
    }
}

/* RFC 7296 2.16: the client's AUTH with the MSK; ours answers it, with
 * the configuration and the CHILD_SA of its first request. */
static void
responder_final(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    CgAuthState *st = cg_auth_state_get(ike);
    g_autoptr(GError) error = NULL;
    gsize id_len;
    const guint8 *idb = g_bytes_get_data(st->peer_id_body, &id_len);
    if (!cg_auth_verify_msk(ike, msg, st->msk, idb, id_len, &error)) {
        responder_fail(ike, msg_id, CG_N_AUTHENTICATION_FAILED, CG_REASON_AUTH_FAILED,
                       error->message);
        return;
    }
    st->peer_authenticated = TRUE;
    if (st->eap_identity)
        adopt_eap_identity(ike, st->eap_identity);
    g_autoptr(GByteArray) inner = g_byte_array_sized_new(512);
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    CgReason reason;
    if (!cg_auth_add_auth(ike, &cb, st->msk, &reason, &error)) {
        responder_fail(ike, msg_id, CG_N_AUTHENTICATION_FAILED, reason, error->message);
        return;
    }
    respond_established(ike, &st->first_request->msg, msg_id, &cb, inner);
    g_clear_pointer(&st->first_request, cg_message_copy_free);
}

void
cg_ike_auth_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    if (ike->state != CG_IKE_STATE_CONNECTING || ike->initiator) {
        cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_INVALID_SYNTAX, 0, NULL, 0);
        return;
    }
    CgAuthState *st = cg_auth_state_get(ike);
    if (++st->rounds > MAX_AUTH_ROUNDS) {
        responder_fail(ike, msg_id, CG_N_AUTHENTICATION_FAILED, CG_REASON_PROTOCOL_ERROR,
                       "IKE_AUTH did not end within 24 exchanges");
        return;
    }
    switch (st->phase) {
        case CG_AUTH_PHASE_FIRST:
            responder_first(ike, msg, msg_id);
            return;
        case CG_AUTH_PHASE_EAP:
            responder_eap(ike, msg, msg_id);
            return;
        case CG_AUTH_PHASE_FINAL:
            responder_final(ike, msg, msg_id);
            return;
        case CG_AUTH_PHASE_DONE:
            cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_INVALID_SYNTAX, 0, NULL, 0);
            return;
    }
}
