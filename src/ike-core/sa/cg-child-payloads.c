/* cg-child-payloads.c: the CHILD_SA payloads of IKE_AUTH and
 * CREATE_CHILD_SA (RFC 7296 1.2, 1.3, 2.9): building the initiator's SA /
 * TSi / TSr, and the responder's selection, narrowing and installation. */
#include "sa/cg-sa-private.h"

#include <string.h>
#include <sys/socket.h>

#include "net/cg-net.h"

/* Adds SA, TSi, TSr (and USE_TRANSPORT_MODE) for a new CHILD_SA. */
gboolean
cg_child_request_payloads(CgIkeSa *ike, CgChildConfig *cc, CgChildSa *rekeying, guint32 spi_in,
                          guint16 pfs, CgChainBuilder *cb, gboolean for_auth)
{
    if (cc->mode == CG_MODE_TRANSPORT)
        cg_chain_add_notify(cb, 0, NULL, 0, CG_N_USE_TRANSPORT_MODE, NULL, 0);
    guint32 spi_be = GUINT32_TO_BE(spi_in);
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    cg_sa_payload_from_specs(sa, cc->esp_proposals, CG_PROTO_ESP, (const guint8 *)&spi_be, 4, pfs);
    if (!pfs) {
        /* RFC 7296 1.2: no KE transforms in the IKE_AUTH child (or
         * without PFS): strip DH from the ESP proposals */
        for (guint i = 0; i < sa->n_proposals; i++) {
            CgProposal *p = &sa->proposals[i];
            guint w = 0;
            for (guint t = 0; t < p->n_transforms; t++)
                if (p->transforms[t].type != CG_TRANS_DH)
                    p->transforms[w++] = p->transforms[t];
            p->n_transforms = w;
        }
    }
    gsize off = cg_chain_begin_payload(cb, CG_PL_SA, FALSE);
    cg_payload_write_sa(cb->buf, sa);
    cg_chain_end_payload(cb, off);

    g_autoptr(GArray) tsi = NULL;
    g_autoptr(GArray) tsr = NULL;
    if (rekeying) {
        /* RFC 7296 2.9.2: a rekeyed CHILD_SA keeps its selectors */
        tsi = g_array_ref(rekeying->local_ts);
        tsr = g_array_ref(rekeying->remote_ts);
    } else if (for_auth && (ike->config->request_vip4 || ike->config->request_vip6)
               && !ike->local_vips->len) {
        /* with a virtual IP requested, TSi starts as "anything" and the
         * responder narrows it to the assigned address */
        tsi = g_array_new(FALSE, TRUE, sizeof(CgTrafficSelector));
        if (ike->config->request_vip4) {
            CgTrafficSelector t = cg_ts_any(AF_INET);
            g_array_append_val(tsi, t);
        }
        if (ike->config->request_vip6) {
            CgTrafficSelector t = cg_ts_any(AF_INET6);
            g_array_append_val(tsi, t);
        }
    } else {
        tsi = cg_ts_resolve(cc->local_ts, cg_ike_sa_local_host(ike));
    }
    if (!tsr)
        tsr = cg_ts_resolve(cc->remote_ts, cg_ike_sa_remote_host(ike));
    g_autofree CgTsPayload *tp = g_new0(CgTsPayload, 1);
    cg_ts_payload_from_array(tp, tsi);
    off = cg_chain_begin_payload(cb, CG_PL_TSI, FALSE);
    cg_payload_write_ts(cb->buf, tp);
    cg_chain_end_payload(cb, off);
    cg_ts_payload_from_array(tp, tsr);
    off = cg_chain_begin_payload(cb, CG_PL_TSR, FALSE);
    cg_payload_write_ts(cb->buf, tp);
    cg_chain_end_payload(cb, off);
    return TRUE;
}

/* Creates, narrows and installs a CHILD_SA for a request's SA/TS payloads
 * (responder side, IKE_AUTH and CREATE_CHILD_SA). On failure returns the
 * error notify type to send. */
guint16
cg_child_respond(CgIkeSa *ike, const CgMessage *req, CgChildConfig *forced, const guint8 *dh_shared,
                 gsize dh_len, guint16 pfs_group, const guint8 *ni, gsize ni_len, const guint8 *nr,
                 gsize nr_len, CgChainBuilder *cb, CgChildSa **out_child)
{
    const CgRawPayload *p_sa = cg_message_find(req, CG_PL_SA);
    const CgRawPayload *p_tsi = cg_message_find(req, CG_PL_TSI);
    const CgRawPayload *p_tsr = cg_message_find(req, CG_PL_TSR);
    g_autoptr(GError) error = NULL;
    *out_child = NULL;
    if (!p_sa || !p_tsi || !p_tsr)
        return CG_N_INVALID_SYNTAX;
    g_autofree CgSaPayload *offered = g_new0(CgSaPayload, 1);
    g_autofree CgTsPayload *tsi = g_new0(CgTsPayload, 1);
    g_autofree CgTsPayload *tsr = g_new0(CgTsPayload, 1);
    if (!cg_payload_parse_sa(p_sa->body, p_sa->body_len, offered, &error)
        || !cg_payload_parse_ts(p_tsi->body, p_tsi->body_len, tsi, &error)
        || !cg_payload_parse_ts(p_tsr->body, p_tsr->body_len, tsr, &error)) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "CHILD_SA request malformed: %s", error->message);
        return CG_N_INVALID_SYNTAX;
    }

    /* RFC 7296 2.9: find a child config whose selectors intersect */
    GInetAddress *peer_ip = cg_ike_sa_remote_host(ike);
    CgChildConfig *cc = NULL;
    g_autoptr(GArray) n_tsi = NULL, n_tsr = NULL;
    for (guint i = 0; i < ike->config->children->len; i++) {
        CgChildConfig *cand = ike->config->children->pdata[i];
        if (forced && cand != forced)
            continue;
        g_autoptr(GArray) our_remote = cg_ts_resolve(cand->remote_ts, peer_ip);
        g_autoptr(GArray) our_local = cg_ts_resolve(cand->local_ts, cg_ike_sa_local_host(ike));
        /* a peer with several virtual IPs: allow all of them */
        for (guint v = 1; v < ike->remote_vips->len; v++) {
            gboolean dyn = FALSE;
            for (guint t = 0; t < cand->remote_ts->len; t++)
                dyn |= g_array_index(cand->remote_ts, CgTsConfig, t).dynamic;
            if (dyn) {
                CgTrafficSelector h = cg_ts_from_host(ike->remote_vips->pdata[v]);
                g_array_append_val(our_remote, h);
            }
        }
        GArray *a = cg_ts_narrow(tsi, our_remote);
        GArray *b = cg_ts_narrow(tsr, our_local);
        if (a->len && b->len) {
            cc = cand;
            n_tsi = a;
            n_tsr = b;
            break;
        }
        g_array_unref(a);
        g_array_unref(b);
    }
    if (!cc) {
        g_autoptr(GArray) ai = cg_ts_array_from_payload(tsi);
        g_autoptr(GArray) ar = cg_ts_array_from_payload(tsr);
        g_autofree char *si = cg_ts_array_to_string(ai);
        g_autofree char *sr = cg_ts_array_to_string(ar);
        cg_ike_sa_log(ike, CG_LOG_INFO, "no child config matches TSi %s TSr %s", si, sr);
        return CG_N_TS_UNACCEPTABLE;
    }
    CgProposal chosen;
    if (!cg_proposal_select(offered, cc->esp_proposals, pfs_group != 0, &chosen)
        || chosen.protocol_id != CG_PROTO_ESP || chosen.spi_size != 4) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "no acceptable ESP proposal for %s", cc->name);
        return CG_N_NO_PROPOSAL_CHOSEN;
    }
    gboolean transport = cg_message_find_notify(req, CG_N_USE_TRANSPORT_MODE, NULL);
    if (transport && cc->mode != CG_MODE_TRANSPORT)
        transport = FALSE; /* RFC 7296 1.3.1: answer without it = tunnel mode */

    CgKernel *k = cg_engine_kernel(ike->engine);
    guint32 spi_in = 0;
    if (!k->ops->get_spi(k, cg_sockaddr_inet(ike->remote), cg_sockaddr_inet(ike->local), 0, &spi_in,
                         &error)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "cannot allocate an SPI: %s", error->message);
        return CG_N_TEMPORARY_FAILURE;
    }
    CgChildSa *child = cg_child_sa_new(ike, cc);
    child->spi_in = spi_in;
    guint32 spi_out_be;
    memcpy(&spi_out_be, chosen.spi, 4);
    child->spi_out = GUINT32_FROM_BE(spi_out_be);
    child->mode = transport ? CG_MODE_TRANSPORT : CG_MODE_TUNNEL;
    guint16 bits = 0;
    cg_proposal_get(&chosen, CG_TRANS_ENCR, &child->encr_id, &bits);
    child->encr_key_bits = bits;
    if (!cg_proposal_get(&chosen, CG_TRANS_INTEG, &child->integ_id, NULL))
        child->integ_id = CG_INTEG_NONE;
    guint16 esn = 0;
    cg_proposal_get(&chosen, CG_TRANS_ESN, &esn, NULL);
    child->esn = esn == CG_ESN_YES;
    child->pfs_group = pfs_group;
    /* as responder: local = TSr, remote = TSi */
    child->local_ts = g_steal_pointer(&n_tsr);
    child->remote_ts = g_steal_pointer(&n_tsi);
    if (!cg_child_sa_install(child, dh_shared, dh_len, ni, ni_len, nr, nr_len, FALSE, &error)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "installing CHILD_SA failed: %s", error->message);
        cg_child_sa_free(child);
        return CG_N_TEMPORARY_FAILURE;
    }
    g_ptr_array_add(ike->children, child);

    /* reply: SA with our SPI, narrowed TSi/TSr */
    if (transport)
        cg_chain_add_notify(cb, 0, NULL, 0, CG_N_USE_TRANSPORT_MODE, NULL, 0);
    g_autofree CgSaPayload *reply = g_new0(CgSaPayload, 1);
    reply->n_proposals = 1;
    reply->proposals[0] = chosen;
    guint32 spi_be = GUINT32_TO_BE(spi_in);
    memcpy(reply->proposals[0].spi, &spi_be, 4);
    gsize off = cg_chain_begin_payload(cb, CG_PL_SA, FALSE);
    cg_payload_write_sa(cb->buf, reply);
    cg_chain_end_payload(cb, off);
    *out_child = child;
    return 0;
}

/* appends TSi/TSr of a child to a response chain (after KE, if any) */
void
cg_child_add_ts_payloads(CgChildSa *child, CgChainBuilder *cb, gboolean as_initiator)
{
    g_autofree CgTsPayload *tp = g_new0(CgTsPayload, 1);
    cg_ts_payload_from_array(tp, as_initiator ? child->local_ts : child->remote_ts);
    gsize off = cg_chain_begin_payload(cb, CG_PL_TSI, FALSE);
    cg_payload_write_ts(cb->buf, tp);
    cg_chain_end_payload(cb, off);
    cg_ts_payload_from_array(tp, as_initiator ? child->remote_ts : child->local_ts);
    off = cg_chain_begin_payload(cb, CG_PL_TSR, FALSE);
    cg_payload_write_ts(cb->buf, tp);
    cg_chain_end_payload(cb, off);
}
