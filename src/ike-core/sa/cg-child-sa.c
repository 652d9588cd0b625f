/* cg-child-sa.c: CHILD_SA keys (RFC 7296 2.17), installation through the
 * kernel interface, lifetimes, and snapshots. */
#include "sa/cg-sa-private.h"

#include <string.h>

#include "net/cg-net.h"

#define REPLAY_WINDOW 128

CgChildSa *
cg_child_sa_new(CgIkeSa *ike, CgChildConfig *config)
{
    CgChildSa *c = g_new0(CgChildSa, 1);
    c->ike = ike;
    c->config = config;
    c->unique_id = cg_engine_next_unique_id(ike->engine);
    c->reqid = cg_engine_next_reqid(ike->engine);
    c->state = CG_CHILD_CREATING;
    return c;
}

static void
clear_timer(CgChildSa *c, guint *id)
{
    if (*id) {
        cg_engine_timer_remove(c->ike->engine, *id);
        *id = 0;
    }
}

void
cg_child_sa_free(CgChildSa *c)
{
    if (!c)
        return;
    clear_timer(c, &c->rekey_timer);
    clear_timer(c, &c->expire_timer);
    g_clear_pointer(&c->local_ts, g_array_unref);
    g_clear_pointer(&c->remote_ts, g_array_unref);
    g_clear_pointer(&c->created_nonce_min, g_bytes_unref);
    g_free(c);
}

char *
cg_child_sa_proposal_string(CgChildSa *c)
{
    GString *s = g_string_new(cg_encr_name_bits(c->encr_id, c->encr_key_bits));
    if (c->integ_id)
        g_string_append_printf(s, "-%s", cg_integ_name(c->integ_id));
    if (c->pfs_group)
        g_string_append_printf(s, "-%s", cg_dh_name(c->pfs_group));
    if (c->esn)
        g_string_append(s, "-esn");
    return g_string_free(s, FALSE);
}

static void
fill_kernel_sa(CgChildSa *c, CgKernelSa *sa, gboolean inbound, const guint8 *encr, gsize encr_len,
               const guint8 *integ, gsize integ_len)
{
    CgIkeSa *ike = c->ike;
    CgChildConfig *cc = c->config;
    memset(sa, 0, sizeof(*sa));
    sa->spi = inbound ? c->spi_in : c->spi_out;
    sa->inbound = inbound;
    sa->src = cg_sockaddr_inet(inbound ? ike->remote : ike->local);
    sa->dst = cg_sockaddr_inet(inbound ? ike->local : ike->remote);
    /* RFC 3948: ESP in UDP whenever a NAT is between the peers */
    if (ike->natt && (ike->nat_local || ike->nat_remote)) {
        sa->encap_src_port = cg_sockaddr_port(inbound ? ike->remote : ike->local);
        sa->encap_dst_port = cg_sockaddr_port(inbound ? ike->local : ike->remote);
    }
    sa->mode = c->mode;
    sa->encr_id = c->encr_id;
    sa->encr_key_bits = c->encr_key_bits;
    sa->integ_id = c->integ_id;
    sa->encr_key = encr;
    sa->encr_key_len = encr_len;
    sa->integ_key = integ;
    sa->integ_key_len = integ_len;
    sa->esn = c->esn;
    sa->replay_window = inbound ? REPLAY_WINDOW : 0;
    sa->reqid = c->reqid;
    sa->soft_bytes = cc->rekey_bytes;
    sa->hard_bytes = cc->rekey_bytes ? cc->rekey_bytes + cc->rekey_bytes / 10 : 0;
    sa->soft_packets = cc->rekey_packets;
    sa->hard_packets = cc->rekey_packets ? cc->rekey_packets + cc->rekey_packets / 10 : 0;
    sa->n_local_ts = c->local_ts->len;
    sa->n_remote_ts = c->remote_ts->len;
    sa->local_ts = (const CgTrafficSelector *)c->local_ts->data;
    sa->remote_ts = (const CgTrafficSelector *)c->remote_ts->data;
    sa->conn_name = ike->config->name;
}

gboolean
cg_child_sa_install(CgChildSa *c, const guint8 *dh_shared, gsize dh_len, const guint8 *ni,
                    gsize ni_len, const guint8 *nr, gsize nr_len, gboolean we_initiated,
                    GError **error)
{
    CgIkeSa *ike = c->ike;
    gsize encr_len = cg_encr_keymat_len(c->encr_id, c->encr_key_bits);
    gsize integ_len = c->integ_id ? cg_integ_key_len(c->integ_id) : 0;
    if (!encr_len) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "unsupported ESP cipher %u/%u", c->encr_id, c->encr_key_bits);
        return FALSE;
    }
    gsize total = 2 * (encr_len + integ_len);
    guint8 *keymat = g_malloc(total);
    if (!cg_child_keymat(ike->algs.prf_id, ike->keys.sk_d, ike->keys.prf_len, dh_shared, dh_len, ni,
                         ni_len, nr, nr_len, keymat, total, error)) {
        g_free(keymat);
        return FALSE;
    }
    /* RFC 7296 2.17: initiator-to-responder keys come first */
    const guint8 *i_encr = keymat, *i_integ = keymat + encr_len;
    const guint8 *r_encr = keymat + encr_len + integ_len;
    const guint8 *r_integ = r_encr + encr_len;
    const guint8 *out_encr = we_initiated ? i_encr : r_encr;
    const guint8 *out_integ = we_initiated ? i_integ : r_integ;
    const guint8 *in_encr = we_initiated ? r_encr : i_encr;
    const guint8 *in_integ = we_initiated ? r_integ : i_integ;

    CgKernel *k = cg_engine_kernel(ike->engine);
    CgKernelSa in_sa, out_sa;
    fill_kernel_sa(c, &in_sa, TRUE, in_encr, encr_len, in_integ, integ_len);
    fill_kernel_sa(c, &out_sa, FALSE, out_encr, encr_len, out_integ, integ_len);
    gboolean ok = k->ops->add_sa(k, &in_sa, error);
    if (ok) {
        ok = k->ops->add_sa(k, &out_sa, error);
        if (!ok)
            k->ops->del_sa(k, c->spi_in, TRUE, NULL);
    }
    if (ok && k->ops->add_policies)
        ok = k->ops->add_policies(k, c->reqid, &out_sa, error);
    cg_memzero(keymat, total);
    g_free(keymat);
    if (!ok)
        return FALSE;
    c->installed = TRUE;
    c->state = CG_CHILD_INSTALLED;
    c->established_at = g_get_real_time();
    /* the lowest nonce of the creating exchange, for 2.8.1 collisions */
    const guint8 *lo = ni;
    gsize lo_len = ni_len;
    if (ni_len > nr_len || (ni_len == nr_len && memcmp(nr, ni, ni_len) < 0)) {
        lo = nr;
        lo_len = nr_len;
    }
    c->created_nonce_min = g_bytes_new(lo, lo_len);
    return TRUE;
}

void
cg_child_sa_uninstall(CgChildSa *c)
{
    if (!c->installed)
        return;
    CgKernel *k = cg_engine_kernel(c->ike->engine);
    if (k->ops->del_policies)
        k->ops->del_policies(k, c->reqid, NULL);
    k->ops->del_sa(k, c->spi_in, TRUE, NULL);
    k->ops->del_sa(k, c->spi_out, FALSE, NULL);
    c->installed = FALSE;
}

static guint32
jittered(guint32 t)
{
    /* 10% jitter keeps both peers from rekeying at the same moment */
    guint32 j = t / 10;
    return j ? t - g_random_int_range(0, (gint32)j + 1) : t;
}

#define REKEY_RETRY_MS 1000

static gboolean
on_child_rekey(gpointer data)
{
    CgChildSa *c = data;
    c->rekey_timer = 0;
    if (c->state != CG_CHILD_INSTALLED)
        return G_SOURCE_REMOVE;
    /* the IKE_SA may be busy (e.g. being rekeyed itself): try again soon */
    if (!cg_rekey_child_start(c))
        c->rekey_timer = cg_engine_timer_add(c->ike->engine, REKEY_RETRY_MS, on_child_rekey, c);
    return G_SOURCE_REMOVE;
}

static gboolean
on_child_expire(gpointer data)
{
    CgChildSa *c = data;
    c->expire_timer = 0;
    cg_ike_sa_log(c->ike, CG_LOG_INFO, "CHILD_SA %s{%u} reached its hard lifetime", c->config->name,
                  c->unique_id);
    cg_delete_child_start(c);
    return G_SOURCE_REMOVE;
}

void
cg_child_sa_retry_rekey(CgChildSa *c, guint delay_ms)
{
    clear_timer(c, &c->rekey_timer);
    c->rekey_timer = cg_engine_timer_add(c->ike->engine, delay_ms, on_child_rekey, c);
}

void
cg_child_sa_schedule(CgChildSa *c)
{
    CgChildConfig *cc = c->config;
    gint64 now = g_get_real_time();
    clear_timer(c, &c->rekey_timer);
    clear_timer(c, &c->expire_timer);
    if (cc->rekey_time_s) {
        guint32 t = jittered(cc->rekey_time_s);
        c->rekey_timer = cg_engine_timer_add(c->ike->engine, 1000 * (t), on_child_rekey, c);
        c->rekey_at = now + (gint64)t * G_USEC_PER_SEC;
    }
    if (cc->life_time_s) {
        c->expire_timer
            = cg_engine_timer_add(c->ike->engine, 1000 * (cc->life_time_s), on_child_expire, c);
        c->expire_at = now + (gint64)cc->life_time_s * G_USEC_PER_SEC;
    }
    g_autofree char *l = cg_ts_array_to_string(c->local_ts);
    g_autofree char *r = cg_ts_array_to_string(c->remote_ts);
    g_autofree char *p = cg_child_sa_proposal_string(c);
    cg_ike_sa_log(c->ike, CG_LOG_INFO,
                  "CHILD_SA %s{%u} established with SPIs %08x_i %08x_o (%s%s) and TS %s === %s",
                  cc->name, c->unique_id, c->spi_in, c->spi_out, p,
                  c->mode == CG_MODE_TRANSPORT ? ", transport" : "", l, r);
    cg_engine_publish(c->ike->engine, CG_EVENT_CHILD_UP, c->ike, c, CG_REASON_NONE, NULL);
}

void
cg_child_sa_remove(CgChildSa *c, CgReason reason)
{
    CgIkeSa *ike = c->ike;
    gboolean was_up = c->installed;
    cg_child_sa_uninstall(c);
    g_ptr_array_remove(ike->children, c);
    if (was_up) {
        if (reason != CG_REASON_REKEYED)
            cg_ike_sa_log(ike, CG_LOG_INFO, "CHILD_SA %s{%u} closed (%s)", c->config->name,
                          c->unique_id, cg_reason_to_string(reason));
        CgEvent ev = {
            .type = CG_EVENT_CHILD_DOWN,
            .time_us = g_get_real_time(),
            .conn_name = ike->config->name,
            .ike_unique_id = ike->unique_id,
            .child_unique_id = c->unique_id,
            .child_name = c->config->name,
            .reason = reason,
        };
        cg_engine_publish_full(ike->engine, &ev, ike);
    }
    /* any exchange that still points at it forgets it */
    if (ike->active && ike->active->old_child == c)
        ike->active->old_child = NULL;
    for (GList *l = ike->pending.head; l; l = l->next) {
        CgExchange *x = l->data;
        if (x->old_child == c)
            x->old_child = NULL;
    }
    cg_child_sa_free(c);
}

CgChildSa *
cg_ike_sa_find_child_by_spi_in(CgIkeSa *ike, guint32 spi_in)
{
    for (guint i = 0; i < ike->children->len; i++) {
        CgChildSa *c = ike->children->pdata[i];
        if (c->spi_in == spi_in)
            return c;
    }
    return NULL;
}

CgChildSa *
cg_ike_sa_find_child_by_spi_out(CgIkeSa *ike, guint32 spi_out)
{
    for (guint i = 0; i < ike->children->len; i++) {
        CgChildSa *c = ike->children->pdata[i];
        if (c->spi_out == spi_out)
            return c;
    }
    return NULL;
}

static gboolean
ts_all_within(GArray *got, GArray *proposed)
{
    for (guint i = 0; i < got->len; i++) {
        gboolean inside = FALSE;
        for (guint j = 0; j < proposed->len && !inside; j++)
            inside = cg_ts_contains(&g_array_index(proposed, CgTrafficSelector, j),
                                    &g_array_index(got, CgTrafficSelector, i));
        if (!inside)
            return FALSE;
    }
    return TRUE;
}

gboolean
cg_child_accept_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg, const guint8 *dh_shared,
                         gsize dh_len, const guint8 *ni, gsize ni_len, const guint8 *nr,
                         gsize nr_len, CgChildSa **out_child, guint16 *error_notify)
{
    g_autoptr(GError) error = NULL;
    CgChildConfig *cc = x->child_config;
    *out_child = NULL;
    *error_notify = cg_message_error_notify(msg);
    if (*error_notify)
        return FALSE;
    const CgRawPayload *p_sa = cg_message_find(msg, CG_PL_SA);
    const CgRawPayload *p_tsi = cg_message_find(msg, CG_PL_TSI);
    const CgRawPayload *p_tsr = cg_message_find(msg, CG_PL_TSR);
    if (!p_sa || !p_tsi || !p_tsr) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "CHILD_SA response lacks SA or TS payloads");
        return FALSE;
    }
    g_autofree CgSaPayload *reply = g_new0(CgSaPayload, 1);
    g_autofree CgSaPayload *sent = g_new0(CgSaPayload, 1);
    g_autofree CgTsPayload *tsi = g_new0(CgTsPayload, 1);
    g_autofree CgTsPayload *tsr = g_new0(CgTsPayload, 1);
    if (!cg_payload_parse_sa(p_sa->body, p_sa->body_len, reply, &error)
        || !cg_payload_parse_ts(p_tsi->body, p_tsi->body_len, tsi, &error)
        || !cg_payload_parse_ts(p_tsr->body, p_tsr->body_len, tsr, &error)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "CHILD_SA response malformed: %s", error->message);
        return FALSE;
    }
    guint32 spi_be = GUINT32_TO_BE(x->new_spi_in);
    cg_sa_payload_from_specs(sent, cc->esp_proposals, CG_PROTO_ESP, (const guint8 *)&spi_be, 4,
                             x->dh ? cg_dh_group(x->dh) : 0);
    CgProposal chosen;
    if (!cg_proposal_accept_response(sent, reply, &chosen) || chosen.spi_size != 4) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "the peer chose an ESP proposal we did not offer");
        *error_notify = CG_N_NO_PROPOSAL_CHOSEN;
        return FALSE;
    }
    g_autoptr(GArray) got_i = cg_ts_array_from_payload(tsi);
    g_autoptr(GArray) got_r = cg_ts_array_from_payload(tsr);
    /* RFC 7296 2.9: the responder may only narrow */
    g_autoptr(GArray) our_r = x->old_child
                                  ? g_array_ref(x->old_child->remote_ts)
                                  : cg_ts_resolve(cc->remote_ts, cg_ike_sa_remote_host(ike));
    if (!ts_all_within(got_r, our_r)) {
        g_autofree char *s = cg_ts_array_to_string(got_r);
        cg_ike_sa_log(ike, CG_LOG_WARNING, "the peer widened TSr to %s", s);
        *error_notify = CG_N_TS_UNACCEPTABLE;
        return FALSE;
    }
    CgChildSa *c = cg_child_sa_new(ike, cc);
    c->spi_in = x->new_spi_in;
    memcpy(&spi_be, chosen.spi, 4);
    c->spi_out = GUINT32_FROM_BE(spi_be);
    guint16 bits = 0;
    cg_proposal_get(&chosen, CG_TRANS_ENCR, &c->encr_id, &bits);
    c->encr_key_bits = bits;
    if (!cg_proposal_get(&chosen, CG_TRANS_INTEG, &c->integ_id, NULL))
        c->integ_id = CG_INTEG_NONE;
    guint16 esn = 0;
    cg_proposal_get(&chosen, CG_TRANS_ESN, &esn, NULL);
    c->esn = esn == CG_ESN_YES;
    c->pfs_group = x->dh ? cg_dh_group(x->dh) : 0;
    c->mode = cg_message_find_notify(msg, CG_N_USE_TRANSPORT_MODE, NULL)
                      && cc->mode == CG_MODE_TRANSPORT
                  ? CG_MODE_TRANSPORT
                  : CG_MODE_TUNNEL;
    c->local_ts = g_steal_pointer(&got_i);
    c->remote_ts = g_steal_pointer(&got_r);
    if (!cg_child_sa_install(c, dh_shared, dh_len, ni, ni_len, nr, nr_len, TRUE, &error)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "installing CHILD_SA failed: %s", error->message);
        cg_child_sa_free(c);
        *error_notify = 0;
        return FALSE;
    }
    g_ptr_array_add(ike->children, c);
    cg_child_sa_schedule(c);
    *out_child = c;
    return TRUE;
}

CgChildSnapshot *
cg_child_sa_snapshot(CgChildSa *c)
{
    CgChildSnapshot *s = g_new0(CgChildSnapshot, 1);
    s->name = g_strdup(c->config->name);
    s->unique_id = c->unique_id;
    s->spi_in = c->spi_in;
    s->spi_out = c->spi_out;
    s->mode = c->mode;
    s->proposal = cg_child_sa_proposal_string(c);
    s->local_ts = g_ptr_array_new_with_free_func(g_free);
    s->remote_ts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; c->local_ts && i < c->local_ts->len; i++)
        g_ptr_array_add(s->local_ts,
                        cg_ts_to_string(&g_array_index(c->local_ts, CgTrafficSelector, i)));
    for (guint i = 0; c->remote_ts && i < c->remote_ts->len; i++)
        g_ptr_array_add(s->remote_ts,
                        cg_ts_to_string(&g_array_index(c->remote_ts, CgTrafficSelector, i)));
    CgKernel *k = cg_engine_kernel(c->ike->engine);
    CgKernelSaStats st;
    if (c->installed && k->ops->query_sa) {
        if (k->ops->query_sa(k, c->spi_in, TRUE, &st, NULL)) {
            s->bytes_in = st.bytes;
            s->packets_in = st.packets;
        }
        if (k->ops->query_sa(k, c->spi_out, FALSE, &st, NULL)) {
            s->bytes_out = st.bytes;
            s->packets_out = st.packets;
        }
    }
    s->established_at = c->established_at;
    s->rekey_at = c->rekey_at;
    s->expire_at = c->expire_at;
    s->reqid = c->reqid;
    s->encap = c->ike->natt && (c->ike->nat_local || c->ike->nat_remote);
    return s;
}
