/* cg-informational.c: the INFORMATIONAL exchange (RFC 7296 1.4): Delete
 * of IKE_SAs and CHILD_SAs (1.4.1, 2.25) and liveness checks (2.4). The
 * MOBIKE messages (RFC 4555) are built and read in cg-mobike.c. */
#include "sa/cg-sa-private.h"

#include <string.h>

void
cg_delete_ike_start(CgIkeSa *ike, CgReason reason)
{
    if (ike->state == CG_IKE_STATE_DEAD || ike->state == CG_IKE_STATE_DELETING)
        return;
    /* without keys there is nobody to tell */
    if (!ike->cipher_out
        || (ike->state == CG_IKE_STATE_CONNECTING && !ike->published_up && ike->active
            && ike->active->kind == CG_X_IKE_SA_INIT)) {
        cg_ike_sa_destroy(ike, reason, NULL);
        return;
    }
    ike->down_reason = reason;
    cg_ike_sa_set_state(ike, CG_IKE_STATE_DELETING);
    /* drop everything queued: the SA is going */
    CgExchange *x;
    while ((x = g_queue_pop_head(&ike->pending)))
        cg_exchange_free(x);
    cg_ike_sa_queue(ike, cg_exchange_new(CG_X_DELETE_IKE));
}

void
cg_delete_child_start(CgChildSa *child)
{
    CgIkeSa *ike = child->ike;
    if (child->state == CG_CHILD_DELETING)
        return;
    child->state = CG_CHILD_DELETING;
    CgExchange *x = cg_exchange_new(CG_X_DELETE_CHILD);
    x->old_child = child;
    x->delete_spi = child->spi_in;
    cg_ike_sa_queue(ike, x);
}

void
cg_dpd_start(CgIkeSa *ike)
{
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "sending liveness check");
    cg_ike_sa_queue(ike, cg_exchange_new(CG_X_DPD));
}

void
cg_informational_send(CgIkeSa *ike, CgExchange *x)
{
    if (x->kind == CG_X_UPDATE_ADDRESSES || x->kind == CG_X_ROUTABILITY) {
        cg_mobike_send(ike, x);
        return;
    }
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    if (x->kind == CG_X_DPD)
        cg_mobike_add_dpd_payloads(ike, &cb); /* RFC 4555 3.8: NAT mapping still there? */
    if (x->kind == CG_X_DELETE_IKE) {
        g_autofree CgDeletePayload *d = g_new0(CgDeletePayload, 1);
        d->protocol_id = CG_PROTO_IKE;
        gsize off = cg_chain_begin_payload(&cb, CG_PL_DELETE, FALSE);
        cg_payload_write_delete(inner, d);
        cg_chain_end_payload(&cb, off);
        cg_ike_sa_log(ike, CG_LOG_INFO, "deleting (%s)", cg_reason_to_string(ike->down_reason));
    } else if (x->kind == CG_X_DELETE_CHILD) {
        if (!x->old_child) {
            cg_ike_sa_exchange_done(ike);
            return;
        }
        g_autofree CgDeletePayload *d = g_new0(CgDeletePayload, 1);
        d->protocol_id = CG_PROTO_ESP;
        d->spi_size = 4;
        d->n_spis = 1;
        guint32 spi = GUINT32_TO_BE(x->delete_spi);
        memcpy(d->spis[0], &spi, 4);
        gsize off = cg_chain_begin_payload(&cb, CG_PL_DELETE, FALSE);
        cg_payload_write_delete(inner, d);
        cg_chain_end_payload(&cb, off);
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "deleting CHILD_SA %s{%u}", x->old_child->config->name,
                      x->old_child->unique_id);
    }
    cg_ike_sa_send_request(ike, CG_EXCH_INFORMATIONAL, inner, cb.first_type);
}

void
cg_informational_process_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg)
{
    switch (x->kind) {
        case CG_X_DELETE_IKE:
            cg_ike_sa_exchange_done(ike);
            cg_ike_sa_destroy(ike, ike->down_reason, NULL);
            return;
        case CG_X_DELETE_CHILD: {
            CgChildSa *c = x->old_child;
            if (c) {
                cg_child_sa_remove(c, c->replaced ? CG_REASON_REKEYED : CG_REASON_USER);
            }
            break;
        }
        case CG_X_UPDATE_ADDRESSES:
        case CG_X_ROUTABILITY:
            cg_mobike_process_response(ike, x, msg);
            return;
        case CG_X_DPD:
            cg_mobike_dpd_response(ike, msg);
            break;
        default:
            break;
    }
    cg_ike_sa_exchange_done(ike);
}

void
cg_informational_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    /* UPDATE_SA_ADDRESSES, COOKIE2, NAT detection (RFC 4555) */
    if (cg_mobike_process_request(ike, msg, msg_id))
        return;
    /* RFC 7296 2.21.2: a peer that rejects our AUTH (or aborts EAP) may
     * say so in an INFORMATIONAL of its own; the SA never comes up, so end
     * it now rather than at the half-open timeout */
    if (ike->state == CG_IKE_STATE_CONNECTING &&
        cg_message_find_notify(msg, CG_N_AUTHENTICATION_FAILED, NULL)) {
        cg_ike_sa_send_response(ike, CG_EXCH_INFORMATIONAL, msg_id, NULL, CG_PL_NONE);
        cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_AUTH_FAILED,
                          "the peer rejected the authentication");
        cg_ike_sa_destroy(ike, CG_REASON_AUTH_FAILED, "the peer rejected the authentication");
        return;
    }
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    gboolean delete_ike = FALSE;
    g_autofree CgDeletePayload *reply = g_new0(CgDeletePayload, 1);
    reply->protocol_id = CG_PROTO_ESP;
    reply->spi_size = 4;
    g_autoptr(GPtrArray) doomed = g_ptr_array_new();

    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        if (p->type != CG_PL_DELETE)
            continue;
        g_autofree CgDeletePayload *d = g_new0(CgDeletePayload, 1);
        g_autoptr(GError) error = NULL;
        if (!cg_payload_parse_delete(p->body, p->body_len, d, &error)) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "ignored malformed Delete: %s", error->message);
            continue;
        }
        if (d->protocol_id == CG_PROTO_IKE) {
            delete_ike = TRUE;
            continue;
        }
        if (d->protocol_id != CG_PROTO_ESP && d->protocol_id != CG_PROTO_AH)
            continue;
        for (guint j = 0; j < d->n_spis; j++) {
            guint32 spi_be;
            memcpy(&spi_be, d->spis[j], 4);
            /* the peer lists its inbound SPIs: our outbound ones */
            CgChildSa *c = cg_ike_sa_find_child_by_spi_out(ike, GUINT32_FROM_BE(spi_be));
            if (!c) {
                cg_ike_sa_log(ike, CG_LOG_DEBUG, "Delete for unknown SPI %08x",
                              GUINT32_FROM_BE(spi_be));
                continue;
            }
            /* RFC 7296 1.4.1: answer with our inbound SPIs, unless we are
             * deleting the same SA ourselves (simultaneous delete) */
            if (c->state != CG_CHILD_DELETING && reply->n_spis < CG_MAX_DELETE_SPIS) {
                guint32 ours = GUINT32_TO_BE(c->spi_in);
                memcpy(reply->spis[reply->n_spis++], &ours, 4);
            }
            if (g_ptr_array_find(doomed, c, NULL) == FALSE)
                g_ptr_array_add(doomed, c);
        }
    }
    if (delete_ike) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "the peer deletes this IKE_SA");
        cg_ike_sa_send_response(ike, CG_EXCH_INFORMATIONAL, msg_id, NULL, CG_PL_NONE);
        cg_ike_sa_destroy(ike, ike->rekeyed_to ? CG_REASON_REKEYED : CG_REASON_PEER_DELETE, NULL);
        return;
    }
    if (reply->n_spis) {
        gsize off = cg_chain_begin_payload(&cb, CG_PL_DELETE, FALSE);
        cg_payload_write_delete(inner, reply);
        cg_chain_end_payload(&cb, off);
    }
    cg_ike_sa_send_response(ike, CG_EXCH_INFORMATIONAL, msg_id, inner, cb.first_type);
    for (guint i = 0; i < doomed->len; i++) {
        CgChildSa *c = doomed->pdata[i];
        cg_child_sa_remove(c, c->replaced ? CG_REASON_REKEYED : CG_REASON_PEER_DELETE);
    }
}
