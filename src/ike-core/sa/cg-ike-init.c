/* cg-ike-init.c: the IKE_SA_INIT exchange (RFC 7296 1.2), both roles:
 * proposals, key exchange (handed to the crypto workers on the responder),
 * nonces, COOKIE (2.6), INVALID_KE_PAYLOAD (1.2) and NAT detection (2.23). */
#include "sa/cg-sa-private.h"

#include <string.h>

#include "auth/cg-auth.h"
#include "net/cg-net.h"

#define NONCE_LEN         32
#define MAX_INIT_RESTARTS 4

/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port) */
void
cg_natd_hash(const guint8 spi_i[8], const guint8 spi_r[8], GSocketAddress *addr, guint8 out[20])
{
    GInetAddress *ip = cg_sockaddr_inet(addr);
    gsize ip_len = g_inet_address_get_native_size(ip);
    guint8 buf[8 + 8 + 16 + 2];
    memcpy(buf, spi_i, 8);
    memcpy(buf + 8, spi_r, 8);
    memcpy(buf + 16, g_inet_address_to_bytes(ip), ip_len);
    guint16 port = GUINT16_TO_BE(cg_sockaddr_port(addr));
    memcpy(buf + 16 + ip_len, &port, 2);
    cg_sha1(buf, 16 + ip_len + 2, out);
}

/* force_encap: RFC 7296 2.23 lets a peer that wants UDP encapsulation
 * anyway send a NAT_DETECTION_SOURCE_IP that cannot match, so both sides
 * see a NAT and encapsulate ESP. */
static void
add_natd(CgChainBuilder *cb, const guint8 spi_i[8], const guint8 spi_r[8], GSocketAddress *src,
         GSocketAddress *dst, gboolean force_encap)
{
    guint8 h[20];
    if (force_encap)
        cg_random_bytes(h, sizeof(h));
    else
        cg_natd_hash(spi_i, spi_r, src, h);
    cg_chain_add_notify(cb, 0, NULL, 0, CG_N_NAT_DETECTION_SOURCE_IP, h, 20);
    cg_natd_hash(spi_i, spi_r, dst, h);
    cg_chain_add_notify(cb, 0, NULL, 0, CG_N_NAT_DETECTION_DESTINATION_IP, h, 20);
}

/* Checks the peer's NAT_DETECTION notifies against the addresses we see.
 * Returns FALSE when the peer sent none (no NAT-T support). */
static gboolean
check_natd(const CgMessage *msg, const guint8 spi_i[8], const guint8 spi_r[8],
           GSocketAddress *peer_src, GSocketAddress *our_dst, gboolean *nat_peer, gboolean *nat_us)
{
    guint8 want_src[20], want_dst[20];
    cg_natd_hash(spi_i, spi_r, peer_src, want_src);
    cg_natd_hash(spi_i, spi_r, our_dst, want_dst);
    gboolean have_src = FALSE, have_dst = FALSE, src_match = FALSE;
    *nat_us = TRUE;
    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        CgNotifyPayload n;
        if (p->type != CG_PL_NOTIFY || !cg_payload_parse_notify(p->body, p->body_len, &n, NULL))
            continue;
        if (n.type == CG_N_NAT_DETECTION_SOURCE_IP && n.data_len == 20) {
            have_src = TRUE;
            /* several source notifies are allowed (multihomed peers) */
            if (memcmp(n.data, want_src, 20) == 0)
                src_match = TRUE;
        } else if (n.type == CG_N_NAT_DETECTION_DESTINATION_IP && n.data_len == 20) {
            have_dst = TRUE;
            if (memcmp(n.data, want_dst, 20) == 0)
                *nat_us = FALSE;
        }
    }
    *nat_peer = have_src && !src_match;
    if (!have_dst)
        *nat_us = FALSE;
    return have_src && have_dst;
}

gboolean
cg_ike_sa_install_keys(CgIkeSa *ike, GError **error)
{
    CgIkeKeys *k = &ike->keys;
    CgCipher *ci = cg_cipher_new(ike->algs.encr_id, ike->algs.encr_key_bits, ike->algs.integ_id,
                                 k->sk_ei, k->encr_len, k->sk_ai, k->integ_len, error);
    if (!ci)
        return FALSE;
    CgCipher *cr = cg_cipher_new(ike->algs.encr_id, ike->algs.encr_key_bits, ike->algs.integ_id,
                                 k->sk_er, k->encr_len, k->sk_ar, k->integ_len, error);
    if (!cr) {
        cg_cipher_free(ci);
        return FALSE;
    }
    g_clear_pointer(&ike->cipher_out, cg_cipher_free);
    g_clear_pointer(&ike->cipher_in, cg_cipher_free);
    /* an IKE_SA sees a message every few seconds at most: hold no NSS
     * objects in between (a gateway holds thousands of SAs) */
    cg_cipher_set_transient(ci, TRUE);
    cg_cipher_set_transient(cr, TRUE);
    /* SK_ei protects what the original initiator sends */
    ike->cipher_out = ike->initiator ? ci : cr;
    ike->cipher_in = ike->initiator ? cr : ci;
    return TRUE;
}

static void
algs_from_proposal(const CgProposal *p, CgIkeAlgs *algs, guint16 *dh)
{
    guint16 bits = 0;
    memset(algs, 0, sizeof(*algs));
    cg_proposal_get(p, CG_TRANS_ENCR, &algs->encr_id, &bits);
    algs->encr_key_bits = bits;
    cg_proposal_get(p, CG_TRANS_PRF, &algs->prf_id, NULL);
    if (!cg_proposal_get(p, CG_TRANS_INTEG, &algs->integ_id, NULL))
        algs->integ_id = CG_INTEG_NONE;
    cg_proposal_get(p, CG_TRANS_DH, dh, NULL);
}

/* ---- initiator ------------------------------------------------------ */

void
cg_ike_init_send_request(CgIkeSa *ike)
{
    g_autoptr(GError) error = NULL;
    guint16 group = ike->wanted_dh_group ? ike->wanted_dh_group
                                         : cg_proposal_specs_first_dh(ike->config->ike_proposals);
    if (!ike->dh || cg_dh_group(ike->dh) != group) {
        cg_ike_sa_drop_dh(ike);
        ike->dh = cg_engine_loadgen_dh(ike->engine, group);
        ike->dh_borrowed = ike->dh != NULL;
        if (!ike->dh)
            ike->dh = cg_dh_new(group, &error);
        if (!ike->dh) {
            cg_ike_sa_destroy(ike, CG_REASON_LOCAL_ERROR, error->message);
            return;
        }
    }
    if (!ike->nonce_i) {
        guint8 n[NONCE_LEN];
        cg_random_bytes(n, sizeof(n));
        ike->nonce_i = g_bytes_new(n, sizeof(n));
    }

    CgIkeHeader h = { 0 };
    memcpy(h.spi_i, ike->spi_i, 8);
    h.major_version = 2;
    h.exchange_type = CG_EXCH_IKE_SA_INIT;
    h.flags = CG_FLAG_INITIATOR;
    GByteArray *b = g_byte_array_sized_new(512);
    cg_header_write(b, &h);
    CgChainBuilder cb;
    cg_chain_init(&cb, b);
    /* RFC 7296 2.6: the COOKIE notify comes first */
    if (ike->cookie)
        cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_COOKIE, g_bytes_get_data(ike->cookie, NULL),
                            g_bytes_get_size(ike->cookie));
    CgSaPayload *sa = g_new0(CgSaPayload, 1);
    cg_sa_payload_from_specs(sa, ike->config->ike_proposals, CG_PROTO_IKE, NULL, 0, group);
    gsize off = cg_chain_begin_payload(&cb, CG_PL_SA, FALSE);
    cg_payload_write_sa(b, sa);
    cg_chain_end_payload(&cb, off);
    g_free(sa);
    gsize pub_len;
    const guint8 *pub = cg_dh_public(ike->dh, &pub_len);
    off = cg_chain_begin_payload(&cb, CG_PL_KE, FALSE);
    cg_payload_write_ke(b, group, pub, pub_len);
    cg_chain_end_payload(&cb, off);
    cg_chain_add_raw(&cb, CG_PL_NONCE, g_bytes_get_data(ike->nonce_i, NULL),
                     g_bytes_get_size(ike->nonce_i));
    static const guint8 zero[8] = { 0 };
    add_natd(&cb, ike->spi_i, zero, ike->local, ike->remote, ike->config->force_encap);
    /* RFC 7427 4, RFC 7383 2.3 */
    cg_auth_init_request_payloads(ike, &cb);
    cg_header_finish(b, 0, cb.first_type);

    GBytes *packet = g_byte_array_free_to_bytes(b);
    g_clear_pointer(&ike->init_request, g_bytes_unref);
    ike->init_request = g_bytes_ref(packet);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "sending IKE_SA_INIT request (%s)", cg_dh_name(group));
    cg_ike_sa_send_plain_request(ike, packet);
    g_bytes_unref(packet);
}

static void
restart_init(CgIkeSa *ike, const char *why)
{
    if (++ike->init_retries > MAX_INIT_RESTARTS) {
        cg_ike_sa_destroy(ike, CG_REASON_PROTOCOL_ERROR, "IKE_SA_INIT restarted too often");
        return;
    }
    cg_ike_sa_log(ike, CG_LOG_INFO, "restarting IKE_SA_INIT: %s", why);
    cg_ike_init_send_request(ike);
}

static gboolean
parse_init_response(CgIkeSa *ike, const CgMessage *msg, CgProposal *chosen, CgKePayload *ke,
                    const guint8 **nonce, gsize *nonce_len, GError **error)
{
    const CgRawPayload *p_sa = cg_message_find(msg, CG_PL_SA);
    const CgRawPayload *p_ke = cg_message_find(msg, CG_PL_KE);
    const CgRawPayload *p_n = cg_message_find(msg, CG_PL_NONCE);
    if (!p_sa || !p_ke || !p_n) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "IKE_SA_INIT response lacks %s",
                    !p_sa   ? "SA"
                    : !p_ke ? "KE"
                            : "Nonce");
        return FALSE;
    }
    g_autofree CgSaPayload *reply = g_new0(CgSaPayload, 1);
    g_autofree CgSaPayload *sent = g_new0(CgSaPayload, 1);
    if (!cg_payload_parse_sa(p_sa->body, p_sa->body_len, reply, error)
        || !cg_payload_parse_ke(p_ke->body, p_ke->body_len, ke, error)
        || !cg_payload_parse_nonce(p_n->body, p_n->body_len, error))
        return FALSE;
    cg_sa_payload_from_specs(sent, ike->config->ike_proposals, CG_PROTO_IKE, NULL, 0,
                             cg_dh_group(ike->dh));
    if (!cg_proposal_accept_response(sent, reply, chosen)) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "the responder chose a proposal we did not offer");
        return FALSE;
    }
    *nonce = p_n->body;
    *nonce_len = p_n->body_len;
    return TRUE;
}

void
cg_ike_init_process_response(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw, gsize raw_len)
{
    CgNotifyPayload n;
    /* RFC 7296 2.6: retry with the cookie */
    if (cg_message_find_notify(msg, CG_N_COOKIE, &n)) {
        if (n.data_len < 1 || n.data_len > 64) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "ignored COOKIE of %zu bytes (1..64 allowed)",
                          n.data_len);
            return;
        }
        g_clear_pointer(&ike->cookie, g_bytes_unref);
        ike->cookie = g_bytes_new(n.data, n.data_len);
        restart_init(ike, "the responder asked for a COOKIE");
        return;
    }
    /* RFC 7296 1.2: the responder wants a different group */
    if (cg_message_find_notify(msg, CG_N_INVALID_KE_PAYLOAD, &n)) {
        if (n.data_len != 2) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "ignored INVALID_KE_PAYLOAD with %zu data bytes",
                          n.data_len);
            return;
        }
        guint16 group = (guint16)(n.data[0] << 8 | n.data[1]);
        if (!cg_proposal_specs_have_dh(ike->config->ike_proposals, group)
            || (ike->dh && group == cg_dh_group(ike->dh))) {
            g_autofree char *m = g_strdup_printf("the gateway wants key exchange group %s (%u), "
                                                 "which is not in our proposals",
                                                 cg_dh_name(group), group);
            cg_ike_sa_destroy(ike, CG_REASON_NO_PROPOSAL, m);
            return;
        }
        ike->wanted_dh_group = group;
        g_autofree char *why = g_strdup_printf("the responder wants %s", cg_dh_name(group));
        restart_init(ike, why);
        return;
    }
    guint16 err = cg_message_error_notify(msg);
    if (err) {
        g_autofree char *m = g_strdup_printf("the gateway answered %s", cg_notify_name(err));
        cg_ike_sa_destroy(ike, cg_reason_from_notify(err), m);
        return;
    }

    g_autoptr(GError) error = NULL;
    CgProposal chosen;
    CgKePayload ke;
    const guint8 *nonce;
    gsize nonce_len;
    if (!parse_init_response(ike, msg, &chosen, &ke, &nonce, &nonce_len, &error)) {
        cg_ike_sa_destroy(ike, CG_REASON_PROTOCOL_ERROR, error->message);
        return;
    }
    guint16 dh = 0;
    algs_from_proposal(&chosen, &ike->algs, &dh);
    ike->dh_group = dh;
    if (ke.dh_group != cg_dh_group(ike->dh) || dh != ke.dh_group) {
        cg_ike_sa_destroy(ike, CG_REASON_PROTOCOL_ERROR, "KE group does not match the proposal");
        return;
    }
    memcpy(ike->spi_r, msg->header.spi_r, 8);
    ike->nonce_r = g_bytes_new(nonce, nonce_len);
    ike->init_response = g_bytes_new(raw, raw_len);
    cg_auth_init_note_peer(ike, msg); /* signature hashes, CERTREQ, fragmentation */

    guint8 shared[512];
    gsize shared_len = 0;
    if (!cg_dh_compute(ike->dh, ke.data, ke.data_len, shared, &shared_len, &error)) {
        cg_ike_sa_destroy(ike, CG_REASON_PROTOCOL_ERROR, error->message);
        return;
    }
    gboolean ok
        = cg_ike_keys_derive(&ike->algs, shared, shared_len, g_bytes_get_data(ike->nonce_i, NULL),
                             g_bytes_get_size(ike->nonce_i), nonce, nonce_len, ike->spi_i,
                             ike->spi_r, NULL, 0, &ike->keys, &error)
          && cg_ike_sa_install_keys(ike, &error);
    cg_memzero(shared, sizeof(shared));
    cg_ike_sa_drop_dh(ike);
    if (!ok) {
        cg_ike_sa_destroy(ike, CG_REASON_LOCAL_ERROR, error->message);
        return;
    }

    /* RFC 7296 2.23: NAT detection; float to port 4500 if either side is
     * behind a NAT, or always when the connection forces encapsulation */
    gboolean natd = check_natd(msg, ike->spi_i, ike->spi_r, ike->remote, ike->local,
                               &ike->nat_remote, &ike->nat_local);
    if (ike->nat_local)
        cg_ike_sa_log(ike, CG_LOG_INFO, "we are behind a NAT");
    if (ike->nat_remote)
        cg_ike_sa_log(ike, CG_LOG_INFO, "the peer is behind a NAT");
    if (natd && (ike->nat_local || ike->nat_remote || ike->config->force_encap)) {
        guint16 remote_port
            = cg_sockaddr_port(ike->remote) == 500 ? 4500 : cg_sockaddr_port(ike->remote);
        GSocketAddress *r = g_inet_socket_address_new(cg_sockaddr_inet(ike->remote), remote_port);
        GSocketAddress *l = g_inet_socket_address_new(cg_sockaddr_inet(ike->local),
                                                      cg_engine_natt_port(ike->engine));
        g_object_unref(ike->remote);
        g_object_unref(ike->local);
        ike->remote = r;
        ike->local = l;
        ike->natt = TRUE;
        if (ike->config->force_encap)
            ike->nat_local = TRUE; /* we faked our NAT-D: ESP goes in UDP */
    }
    g_autofree char *proposal = cg_proposal_chosen_string(&chosen);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "IKE_SA_INIT done, %s", proposal);
    CgExchange *auth = cg_exchange_new(CG_X_IKE_AUTH);
    g_queue_push_head(&ike->pending, auth);
    cg_ike_sa_exchange_done(ike);
}

/* ---- responder ------------------------------------------------------ */

static void
send_stateless(CgEngine *engine, const CgIkeHeader *req, GSocketAddress *local,
               GSocketAddress *remote, gboolean natt, guint16 type, const guint8 *data, gsize len)
{
    CgIkeHeader h = { 0 };
    memcpy(h.spi_i, req->spi_i, 8);
    h.major_version = 2;
    h.exchange_type = CG_EXCH_IKE_SA_INIT;
    h.flags = CG_FLAG_RESPONSE;
    h.message_id = 0;
    GByteArray *b = g_byte_array_sized_new(64);
    cg_header_write(b, &h);
    CgChainBuilder cb;
    cg_chain_init(&cb, b);
    cg_chain_add_notify(&cb, 0, NULL, 0, type, data, len);
    cg_header_finish(b, 0, cb.first_type);
    cg_engine_send(engine, local, remote, natt, b->data, b->len);
    g_byte_array_unref(b);
}

void
cg_ike_init_reject_critical(CgEngine *engine, const CgIkeHeader *req, guint8 payload_type,
                            GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    send_stateless(engine, req, local, remote, natt, CG_N_UNSUPPORTED_CRITICAL_PAYLOAD,
                   &payload_type, 1);
}

typedef struct {
    CgIkeSa *ike;
    guint8 *peer_pub;
    gsize peer_pub_len;
    guint16 group;
    GError *error;
    CgIkeKeys keys;
    CgDh *dh;
} InitJob;

static void
init_job_work(gpointer data)
{
    InitJob *job = data;
    CgIkeSa *ike = job->ike;
    guint8 shared[512];
    gsize shared_len = 0;
    job->dh = cg_dh_new(job->group, &job->error);
    if (!job->dh)
        return;
    if (!cg_dh_compute(job->dh, job->peer_pub, job->peer_pub_len, shared, &shared_len, &job->error))
        return;
    /* the SA's fields read here were set before the job and are not
     * touched by the main context while crypto_busy is set */
    cg_ike_keys_derive(&ike->algs, shared, shared_len, g_bytes_get_data(ike->nonce_i, NULL),
                       g_bytes_get_size(ike->nonce_i), g_bytes_get_data(ike->nonce_r, NULL),
                       g_bytes_get_size(ike->nonce_r), ike->spi_i, ike->spi_r, NULL, 0, &job->keys,
                       &job->error);
    cg_memzero(shared, sizeof(shared));
}

/* Builds and sends the IKE_SA_INIT response once the keys exist. */
static void
send_init_response(CgIkeSa *ike, InitJob *job)
{
    g_autoptr(GError) error = NULL;
    ike->keys = job->keys;
    if (!cg_ike_sa_install_keys(ike, &error)) {
        cg_ike_sa_destroy(ike, CG_REASON_LOCAL_ERROR, error->message);
        return;
    }
    CgIkeHeader h = { 0 };
    memcpy(h.spi_i, ike->spi_i, 8);
    memcpy(h.spi_r, ike->spi_r, 8);
    h.major_version = 2;
    h.exchange_type = CG_EXCH_IKE_SA_INIT;
    h.flags = CG_FLAG_RESPONSE;
    GByteArray *b = g_byte_array_sized_new(512);
    cg_header_write(b, &h);
    CgChainBuilder cb;
    cg_chain_init(&cb, b);
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    sa->n_proposals = 1;
    sa->proposals[0] = *ike->chosen_proposal;
    gsize off = cg_chain_begin_payload(&cb, CG_PL_SA, FALSE);
    cg_payload_write_sa(b, sa);
    cg_chain_end_payload(&cb, off);
    g_clear_pointer(&ike->chosen_proposal, g_free);
    gsize pub_len;
    const guint8 *pub = cg_dh_public(job->dh, &pub_len);
    off = cg_chain_begin_payload(&cb, CG_PL_KE, FALSE);
    cg_payload_write_ke(b, job->group, pub, pub_len);
    cg_chain_end_payload(&cb, off);
    cg_chain_add_raw(&cb, CG_PL_NONCE, g_bytes_get_data(ike->nonce_r, NULL),
                     g_bytes_get_size(ike->nonce_r));
    add_natd(&cb, ike->spi_i, ike->spi_r, ike->local, ike->remote, ike->config->force_encap);
    /* CERTREQ, RFC 7427 4, RFC 7383 2.3 */
    cg_auth_init_response_payloads(ike, &cb);
    cg_header_finish(b, 0, cb.first_type);
    ike->init_response = g_byte_array_free_to_bytes(b);
    ike->msg_id_next_in = 1;
    cg_ike_sa_send_raw(ike, ike->init_response);
}

static void
init_job_done(gpointer data)
{
    InitJob *job = data;
    CgIkeSa *ike = job->ike;
    if (!cg_ike_sa_job_finished(ike)) {
        /* destroyed meanwhile */
    } else if (job->error) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "IKE_SA_INIT failed: %s", job->error->message);
        cg_ike_sa_destroy(ike, CG_REASON_PROTOCOL_ERROR, job->error->message);
    } else {
        send_init_response(ike, job);
    }
    g_clear_pointer(&job->dh, cg_dh_free);
    g_clear_error(&job->error);
    cg_memzero(&job->keys, sizeof(job->keys));
    g_free(job->peer_pub);
    g_free(job);
}

void
cg_ike_init_respond(CgEngine *engine, const CgMessage *msg, const guint8 *raw, gsize raw_len,
                    GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    const CgIkeHeader *h = &msg->header;
    g_autofree char *from = cg_sockaddr_to_string(remote);
    g_autoptr(GError) error = NULL;

    if (h->message_id != 0) {
        cg_engine_count_dropped(engine);
        cg_info(NULL, "dropped IKE_SA_INIT from %s: message ID %u, not 0", from, h->message_id);
        return;
    }
    if (cg_engine_half_open_full(engine)) {
        cg_engine_count_dropped(engine);
        cg_info(NULL, "dropped IKE_SA_INIT from %s: too many half-open IKE_SAs", from);
        return;
    }
    const CgRawPayload *p_sa = cg_message_find(msg, CG_PL_SA);
    const CgRawPayload *p_ke = cg_message_find(msg, CG_PL_KE);
    const CgRawPayload *p_n = cg_message_find(msg, CG_PL_NONCE);
    if (!p_sa || !p_ke || !p_n) {
        cg_engine_count_dropped(engine);
        cg_info(NULL, "dropped IKE_SA_INIT from %s: missing %s payload", from,
                !p_sa   ? "SA"
                : !p_ke ? "KE"
                        : "Nonce");
        send_stateless(engine, h, local, remote, natt, CG_N_INVALID_SYNTAX, NULL, 0);
        return;
    }
    CgKePayload ke;
    if (!cg_payload_parse_ke(p_ke->body, p_ke->body_len, &ke, &error)
        || !cg_payload_parse_nonce(p_n->body, p_n->body_len, &error)) {
        cg_engine_count_dropped(engine);
        cg_info(NULL, "dropped IKE_SA_INIT from %s: %s", from, error->message);
        send_stateless(engine, h, local, remote, natt, CG_N_INVALID_SYNTAX, NULL, 0);
        return;
    }

    /* RFC 7296 2.6: under load, demand a cookie before keeping any state */
    if (cg_engine_cookie_required(engine)) {
        guint8 want[32];
        cg_engine_cookie_compute(engine, p_n->body, p_n->body_len, remote, h->spi_i, want);
        CgNotifyPayload cookie;
        gboolean ok = msg->n_payloads > 0 && msg->payloads[0].type == CG_PL_NOTIFY
                      && cg_payload_parse_notify(msg->payloads[0].body, msg->payloads[0].body_len,
                                                 &cookie, NULL)
                      && cookie.type == CG_N_COOKIE && cookie.data_len == 32
                      && cg_memeq_const(cookie.data, want, 32);
        if (!ok) {
            cg_engine_count_cookie(engine);
            cg_debug(NULL, "asking %s for a COOKIE (%u half-open)", from,
                     cg_engine_half_open_count(engine));
            send_stateless(engine, h, local, remote, natt, CG_N_COOKIE, want, 32);
            return;
        }
    }

    CgConnConfig *config = cg_engine_match_responder(engine, local, remote, NULL);
    if (!config) {
        cg_engine_count_dropped(engine);
        cg_info(NULL, "no connection accepts IKE_SA_INIT from %s", from);
        send_stateless(engine, h, local, remote, natt, CG_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        return;
    }
    g_autofree CgSaPayload *offered = g_new0(CgSaPayload, 1);
    if (!cg_payload_parse_sa(p_sa->body, p_sa->body_len, offered, &error)) {
        cg_engine_count_dropped(engine);
        cg_info(config->name, "dropped IKE_SA_INIT from %s: %s", from, error->message);
        send_stateless(engine, h, local, remote, natt, CG_N_INVALID_SYNTAX, NULL, 0);
        return;
    }
    CgProposal *chosen = g_new0(CgProposal, 1);
    /* prefer the group the initiator already sent a KE for */
    CgProposal tmp;
    if (!cg_proposal_select(offered, config->ike_proposals, TRUE, &tmp)) {
        g_free(chosen);
        cg_info(config->name, "IKE_SA_INIT from %s: no acceptable proposal", from);
        send_stateless(engine, h, local, remote, natt, CG_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        return;
    }
    *chosen = tmp;
    guint16 dh = 0;
    cg_proposal_get(chosen, CG_TRANS_DH, &dh, NULL);
    if (dh != ke.dh_group) {
        /* can the chosen proposal use the KE's group instead? */
        gboolean ke_ok = FALSE;
        if (cg_proposal_specs_have_dh(config->ike_proposals, ke.dh_group)) {
            for (guint i = 0; i < offered->n_proposals && !ke_ok; i++) {
                const CgProposal *op = &offered->proposals[i];
                if (op->number != chosen->number)
                    continue;
                for (guint t = 0; t < op->n_transforms; t++)
                    if (op->transforms[t].type == CG_TRANS_DH
                        && op->transforms[t].id == ke.dh_group)
                        ke_ok = TRUE;
            }
        }
        if (ke_ok) {
            for (guint t = 0; t < chosen->n_transforms; t++)
                if (chosen->transforms[t].type == CG_TRANS_DH)
                    chosen->transforms[t].id = ke.dh_group;
            dh = ke.dh_group;
        } else {
            guint8 g[2] = { dh >> 8, dh & 0xff };
            cg_info(config->name, "IKE_SA_INIT from %s: KE for %s, asking for %s", from,
                    cg_dh_name(ke.dh_group), cg_dh_name(dh));
            send_stateless(engine, h, local, remote, natt, CG_N_INVALID_KE_PAYLOAD, g, 2);
            g_free(chosen);
            return;
        }
    }
    if (ke.data_len != cg_dh_public_len(dh)) {
        cg_info(config->name, "IKE_SA_INIT from %s: KE data of %zu bytes for %s (want %zu)", from,
                ke.data_len, cg_dh_name(dh), cg_dh_public_len(dh));
        send_stateless(engine, h, local, remote, natt, CG_N_INVALID_SYNTAX, NULL, 0);
        g_free(chosen);
        return;
    }

    CgIkeSa *ike = cg_ike_sa_new(engine, config, FALSE);
    memcpy(ike->spi_i, h->spi_i, 8);
    ike->remote = g_object_ref(remote);
    ike->local = g_object_ref(local);
    ike->natt = natt;
    algs_from_proposal(chosen, &ike->algs, &ike->dh_group);
    /* kept until the response is built */
    ike->chosen_proposal = chosen;
    ike->nonce_i = g_bytes_new(p_n->body, p_n->body_len);
    guint8 nr[NONCE_LEN];
    cg_random_bytes(nr, sizeof(nr));
    ike->nonce_r = g_bytes_new(nr, sizeof(nr));
    ike->init_request = g_bytes_new(raw, raw_len);
    ike->msg_id_next_in = 1;
    check_natd(msg, ike->spi_i, (const guint8[8]){ 0 }, remote, local, &ike->nat_remote,
               &ike->nat_local);
    if (config->force_encap)
        ike->nat_local = TRUE; /* we fake our NAT-D: ESP goes in UDP */
    cg_auth_init_note_peer(ike, msg); /* signature hashes, fragmentation */
    ike->half_open = TRUE;
    cg_engine_half_open_changed(engine, +1);
    cg_ike_sa_arm_half_open_timeout(ike);
    cg_engine_table_add(engine, ike);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "IKE_SA_INIT from %s, %s", from, cg_dh_name(dh));

    InitJob *job = g_new0(InitJob, 1);
    job->ike = ike;
    job->peer_pub = g_memdup2(ke.data, ke.data_len);
    job->peer_pub_len = ke.data_len;
    job->group = dh;
    ike->crypto_busy = TRUE;
    cg_engine_run_crypto(engine, init_job_work, init_job_done, job);
}
