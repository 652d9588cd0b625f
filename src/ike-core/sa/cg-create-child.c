/* cg-create-child.c: the CREATE_CHILD_SA exchange (RFC 7296 1.3): extra
 * CHILD_SAs, CHILD_SA rekeys (1.3.3) with optional PFS, IKE_SA rekeys
 * (1.3.2, 2.18), and simultaneous-rekey collisions (2.8.1, 2.8.2). */
#include "sa/cg-sa-private.h"

#include <string.h>

#include "net/cg-net.h"
#include "sa/cg-fragment.h"

#define NONCE_LEN             32
#define TEMP_FAILURE_RETRY_MS 2000

static GBytes *
fresh_nonce(void)
{
    guint8 n[NONCE_LEN];
    cg_random_bytes(n, sizeof(n));
    return g_bytes_new(n, sizeof(n));
}

static guint16
pfs_group_of(CgChildConfig *cc)
{
    return cc ? cg_proposal_specs_first_dh(cc->esp_proposals) : 0;
}

/* ---- starting exchanges ------------------------------------------------ */

void
cg_create_child_start(CgIkeSa *ike, CgChildConfig *config)
{
    CgExchange *x = cg_exchange_new(CG_X_CREATE_CHILD);
    x->child_config = config;
    cg_ike_sa_queue(ike, x);
}

static gboolean
rekey_already_queued(CgIkeSa *ike, CgExchangeKind kind, CgChildSa *child)
{
    if (ike->active && ike->active->kind == kind && ike->active->old_child == child)
        return TRUE;
    for (GList *l = ike->pending.head; l; l = l->next) {
        CgExchange *x = l->data;
        if (x->kind == kind && x->old_child == child)
            return TRUE;
    }
    return FALSE;
}

gboolean
cg_rekey_child_start(CgChildSa *child)
{
    CgIkeSa *ike = child->ike;
    if (child->state != CG_CHILD_INSTALLED)
        return TRUE; /* nothing to do */
    if (ike->state != CG_IKE_STATE_ESTABLISHED)
        return FALSE;
    if (rekey_already_queued(ike, CG_X_REKEY_CHILD, child))
        return TRUE;
    CgExchange *x = cg_exchange_new(CG_X_REKEY_CHILD);
    x->old_child = child;
    x->child_config = child->config;
    cg_ike_sa_queue(ike, x);
    return TRUE;
}

gboolean
cg_rekey_ike_start(CgIkeSa *ike)
{
    if (ike->state != CG_IKE_STATE_ESTABLISHED)
        return FALSE;
    if (!rekey_already_queued(ike, CG_X_REKEY_IKE, NULL))
        cg_ike_sa_queue(ike, cg_exchange_new(CG_X_REKEY_IKE));
    return TRUE;
}

/* ---- sending ----------------------------------------------------------- */

static void
add_nonce_ke(CgChainBuilder *cb, CgExchange *x)
{
    cg_chain_add_raw(cb, CG_PL_NONCE, g_bytes_get_data(x->nonce, NULL), g_bytes_get_size(x->nonce));
    if (x->dh) {
        gsize len;
        const guint8 *pub = cg_dh_public(x->dh, &len);
        gsize off = cg_chain_begin_payload(cb, CG_PL_KE, FALSE);
        cg_payload_write_ke(cb->buf, cg_dh_group(x->dh), pub, len);
        cg_chain_end_payload(cb, off);
    }
}

void
cg_create_child_send(CgIkeSa *ike, CgExchange *x)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) inner = g_byte_array_sized_new(512);
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    x->nonce = fresh_nonce();

    if (x->kind == CG_X_REKEY_IKE) {
        static const guint8 zero[8] = { 0 };
        do
            cg_random_bytes(x->new_spi, 8);
        while (memcmp(x->new_spi, zero, 8) == 0);
        x->dh = cg_dh_new(ike->dh_group, &error);
        if (!x->dh) {
            cg_ike_sa_log(ike, CG_LOG_WARNING, "IKE_SA rekey failed: %s", error->message);
            cg_ike_sa_exchange_done(ike);
            return;
        }
        g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
        cg_sa_payload_from_specs(sa, ike->config->ike_proposals, CG_PROTO_IKE, x->new_spi, 8,
                                 ike->dh_group);
        gsize off = cg_chain_begin_payload(&cb, CG_PL_SA, FALSE);
        cg_payload_write_sa(inner, sa);
        cg_chain_end_payload(&cb, off);
        add_nonce_ke(&cb, x);
        cg_ike_sa_set_state(ike, CG_IKE_STATE_REKEYING);
        cg_ike_sa_log(ike, CG_LOG_INFO, "rekeying");
        cg_ike_sa_send_request(ike, CG_EXCH_CREATE_CHILD_SA, inner, cb.first_type);
        return;
    }

    /* CHILD_SA: new or rekey */
    if (x->kind == CG_X_REKEY_CHILD) {
        if (!x->old_child || x->old_child->state != CG_CHILD_INSTALLED) {
            cg_ike_sa_exchange_done(ike);
            return;
        }
        x->old_child->state = CG_CHILD_REKEYING;
        guint32 old_spi = GUINT32_TO_BE(x->old_child->spi_in);
        /* RFC 7296 1.3.3: REKEY_SA names the SA by our inbound SPI */
        cg_chain_add_notify(&cb, CG_PROTO_ESP, (const guint8 *)&old_spi, 4, CG_N_REKEY_SA, NULL, 0);
    }
    guint16 pfs = pfs_group_of(x->child_config);
    if (pfs) {
        x->dh = cg_dh_new(pfs, &error);
        if (!x->dh) {
            cg_ike_sa_log(ike, CG_LOG_WARNING, "CHILD_SA failed: %s", error->message);
            cg_ike_sa_exchange_done(ike);
            return;
        }
    }
    CgKernel *k = cg_engine_kernel(ike->engine);
    if (!k->ops->get_spi(k, cg_sockaddr_inet(ike->remote), cg_sockaddr_inet(ike->local), 0,
                         &x->new_spi_in, &error)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "CHILD_SA failed: %s", error->message);
        cg_ike_sa_exchange_done(ike);
        return;
    }
    cg_child_request_payloads(ike, x->child_config,
                              x->kind == CG_X_REKEY_CHILD ? x->old_child : NULL, x->new_spi_in, pfs,
                              &cb, FALSE);
    add_nonce_ke(&cb, x);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "%s CHILD_SA %s",
                  x->kind == CG_X_REKEY_CHILD ? "rekeying" : "creating", x->child_config->name);
    cg_ike_sa_send_request(ike, CG_EXCH_CREATE_CHILD_SA, inner, cb.first_type);
}

/* ---- helpers ------------------------------------------------------------ */

static gboolean
get_nonce(const CgMessage *msg, const guint8 **n, gsize *len)
{
    const CgRawPayload *p = cg_message_find(msg, CG_PL_NONCE);
    if (!p || !cg_payload_parse_nonce(p->body, p->body_len, NULL))
        return FALSE;
    *n = p->body;
    *len = p->body_len;
    return TRUE;
}

/* DH with the peer's KE; shared must hold 512 bytes. */
static gboolean
compute_dh(CgDh *dh, const CgMessage *msg, guint8 *shared, gsize *shared_len, guint16 *peer_group,
           GError **error)
{
    const CgRawPayload *p = cg_message_find(msg, CG_PL_KE);
    CgKePayload ke;
    if (!p) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED, "KE payload missing");
        return FALSE;
    }
    if (!cg_payload_parse_ke(p->body, p->body_len, &ke, error))
        return FALSE;
    if (peer_group)
        *peer_group = ke.dh_group;
    if (ke.dh_group != cg_dh_group(dh)) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED, "KE for group %u, want %u",
                    ke.dh_group, cg_dh_group(dh));
        return FALSE;
    }
    return cg_dh_compute(dh, ke.data, ke.data_len, shared, shared_len, error);
}

static int
nonce_cmp(GBytes *a, const guint8 *b, gsize b_len)
{
    gsize a_len;
    const guint8 *ad = g_bytes_get_data(a, &a_len);
    int r = memcmp(ad, b, MIN(a_len, b_len));
    return r ? r : (a_len < b_len ? -1 : a_len > b_len);
}

/* the lowest of two nonces */
static const guint8 *
nonce_min(const guint8 *a, gsize al, const guint8 *b, gsize bl, gsize *len)
{
    int r = memcmp(a, b, MIN(al, bl));
    if (r < 0 || (r == 0 && al <= bl)) {
        *len = al;
        return a;
    }
    *len = bl;
    return b;
}

/* Moves children, virtual IPs and identities from old to new (IKE rekey). */
static void
adopt_state(CgIkeSa *new_ike, CgIkeSa *old)
{
    for (guint i = 0; i < old->children->len; i++) {
        CgChildSa *c = old->children->pdata[i];
        c->ike = new_ike;
        g_ptr_array_add(new_ike->children, c);
    }
    g_ptr_array_set_size(old->children, 0);
    for (guint i = 0; i < old->local_vips->len; i++)
        g_ptr_array_add(new_ike->local_vips, g_object_ref(old->local_vips->pdata[i]));
    for (guint i = 0; i < old->remote_vips->len; i++) {
        g_ptr_array_add(new_ike->remote_vips, g_object_ref(old->remote_vips->pdata[i]));
        g_ptr_array_add(new_ike->remote_vip_pools, g_strdup(old->remote_vip_pools->pdata[i]));
    }
    /* the new SA releases them */
    g_ptr_array_set_size(old->remote_vips, 0);
    g_ptr_array_set_size(old->remote_vip_pools, 0);
    for (guint i = 0; i < old->dns->len; i++)
        g_ptr_array_add(new_ike->dns, g_object_ref(old->dns->pdata[i]));
    for (guint i = 0; i < old->subnets->len; i++)
        g_ptr_array_add(new_ike->subnets, g_strdup(old->subnets->pdata[i]));
    for (guint i = 0; i < old->dns_domains->len; i++)
        g_ptr_array_add(new_ike->dns_domains, g_strdup(old->dns_domains->pdata[i]));
    old->rekeyed_to = new_ike;
}

/* Builds the IKE_SA that a rekey creates (2.18). */
static CgIkeSa *
rekeyed_ike_new(CgIkeSa *old, gboolean we_initiated, const guint8 spi_i[8], const guint8 spi_r[8],
                const CgProposal *chosen, const guint8 *shared, gsize shared_len, const guint8 *ni,
                gsize ni_len, const guint8 *nr, gsize nr_len, GError **error)
{
    CgIkeSa *n = cg_ike_sa_new(old->engine, old->config, we_initiated);
    memcpy(n->spi_i, spi_i, 8);
    memcpy(n->spi_r, spi_r, 8);
    n->local = g_object_ref(old->local);
    n->remote = g_object_ref(old->remote);
    n->natt = old->natt;
    n->nat_local = old->nat_local;
    n->nat_remote = old->nat_remote;
    guint16 bits = 0;
    cg_proposal_get(chosen, CG_TRANS_ENCR, &n->algs.encr_id, &bits);
    n->algs.encr_key_bits = bits;
    cg_proposal_get(chosen, CG_TRANS_PRF, &n->algs.prf_id, NULL);
    if (!cg_proposal_get(chosen, CG_TRANS_INTEG, &n->algs.integ_id, NULL))
        n->algs.integ_id = CG_INTEG_NONE;
    cg_proposal_get(chosen, CG_TRANS_DH, &n->dh_group, NULL);
    /* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old PRF */
    if (!cg_ike_keys_derive_rekey(&n->algs, old->algs.prf_id, old->keys.sk_d, old->keys.prf_len,
                                  shared, shared_len, ni, ni_len, nr, nr_len, spi_i, spi_r,
                                  &n->keys, error)
        || !cg_ike_sa_install_keys(n, error)) {
        cg_ike_sa_free(n);
        return NULL;
    }
    n->local_id.type = old->local_id.type;
    n->local_id.data = old->local_id.data ? g_bytes_ref(old->local_id.data) : NULL;
    n->peer_id.type = old->peer_id.type;
    n->peer_id.data = old->peer_id.data ? g_bytes_ref(old->peer_id.data) : NULL;
    /* RFC 7383 2.5.3: fragmentation support carries over to the new SA */
    cg_fragment_inherit(old, n);
    n->state = CG_IKE_STATE_ESTABLISHED;
    n->established_at = g_get_real_time();
    n->published_up = TRUE;
    n->last_rx_us = g_get_monotonic_time();
    return n;
}

static void
activate_rekeyed(CgIkeSa *old, CgIkeSa *n)
{
    adopt_state(n, old);
    cg_engine_table_add(n->engine, n);
    cg_engine_peer_index_add(n->engine, n);
    cg_ike_sa_schedule_timers(n);
    cg_ike_sa_log(old, CG_LOG_INFO, "rekeyed to %s", cg_ike_sa_name(n));
    CgEvent ev = {
        .type = CG_EVENT_IKE_REKEYED,
        .time_us = g_get_real_time(),
        .conn_name = n->config->name,
        .ike_unique_id = n->unique_id,
        .old_ike_unique_id = old->unique_id,
    };
    cg_engine_publish_full(n->engine, &ev, n);
}

static void
finish_child_rekey(CgIkeSa *ike, CgChildSa *old, CgChildSa *new_child)
{
    CgEvent ev = {
        .type = CG_EVENT_CHILD_REKEYED,
        .time_us = g_get_real_time(),
        .conn_name = ike->config->name,
        .ike_unique_id = ike->unique_id,
        .child_unique_id = new_child->unique_id,
        .old_child_unique_id = old ? old->unique_id : 0,
        .child_name = new_child->config->name,
    };
    cg_engine_publish_full(ike->engine, &ev, ike);
}

/* ---- responder --------------------------------------------------------- */

static CgExchange *
our_rekey_of(CgIkeSa *ike, CgExchangeKind kind, CgChildSa *child)
{
    if (ike->active && ike->active->kind == kind
        && (kind == CG_X_REKEY_IKE || ike->active->old_child == child))
        return ike->active;
    return NULL;
}

static void
respond_rekey_ike(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id, const CgSaPayload *offered)
{
    g_autoptr(GError) error = NULL;
    const guint8 *ni;
    gsize ni_len;
    if (ike->state != CG_IKE_STATE_ESTABLISHED && !our_rekey_of(ike, CG_X_REKEY_IKE, NULL)) {
        cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_TEMPORARY_FAILURE, 0,
                                NULL, 0);
        return;
    }
    CgProposal chosen;
    if (!cg_proposal_select(offered, ike->config->ike_proposals, TRUE, &chosen)
        || chosen.spi_size != 8) {
        cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_NO_PROPOSAL_CHOSEN, 0,
                                NULL, 0);
        return;
    }
    if (!get_nonce(msg, &ni, &ni_len)) {
        cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_INVALID_SYNTAX, 0, NULL,
                                0);
        return;
    }
    guint16 group = 0;
    cg_proposal_get(&chosen, CG_TRANS_DH, &group, NULL);
    const CgRawPayload *p_ke = cg_message_find(msg, CG_PL_KE);
    CgKePayload ke;
    if (!p_ke || !cg_payload_parse_ke(p_ke->body, p_ke->body_len, &ke, NULL)
        || ke.dh_group != group) {
        guint8 g[2] = { group >> 8, group & 0xff };
        g_autoptr(GByteArray) inner = g_byte_array_new();
        CgChainBuilder cb;
        cg_chain_init(&cb, inner);
        cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_INVALID_KE_PAYLOAD, g, 2);
        cg_ike_sa_send_response(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, inner, cb.first_type);
        return;
    }
    g_autoptr(CgDh) dh = cg_dh_new(group, &error);
    guint8 shared[512];
    gsize shared_len = 0;
    if (!dh || !cg_dh_compute(dh, ke.data, ke.data_len, shared, &shared_len, &error)) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "IKE_SA rekey refused: %s", error->message);
        cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_NO_PROPOSAL_CHOSEN, 0,
                                NULL, 0);
        return;
    }
    guint8 our_spi[8];
    static const guint8 zero[8] = { 0 };
    do
        cg_random_bytes(our_spi, 8);
    while (memcmp(our_spi, zero, 8) == 0);
    g_autoptr(GBytes) nr = fresh_nonce();
    CgIkeSa *n = rekeyed_ike_new(ike, FALSE, chosen.spi, our_spi, &chosen, shared, shared_len, ni,
                                 ni_len, g_bytes_get_data(nr, NULL), g_bytes_get_size(nr), &error);
    cg_memzero(shared, sizeof(shared));
    if (!n) {
        cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_NO_PROPOSAL_CHOSEN, 0,
                                NULL, 0);
        return;
    }
    g_autoptr(GByteArray) inner = g_byte_array_sized_new(256);
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    sa->n_proposals = 1;
    sa->proposals[0] = chosen;
    memcpy(sa->proposals[0].spi, our_spi, 8);
    gsize off = cg_chain_begin_payload(&cb, CG_PL_SA, FALSE);
    cg_payload_write_sa(inner, sa);
    cg_chain_end_payload(&cb, off);
    cg_chain_add_raw(&cb, CG_PL_NONCE, g_bytes_get_data(nr, NULL), g_bytes_get_size(nr));
    gsize pub_len;
    const guint8 *pub = cg_dh_public(dh, &pub_len);
    off = cg_chain_begin_payload(&cb, CG_PL_KE, FALSE);
    cg_payload_write_ke(inner, group, pub, pub_len);
    cg_chain_end_payload(&cb, off);
    cg_ike_sa_send_response(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, inner, cb.first_type);

    CgExchange *ours = our_rekey_of(ike, CG_X_REKEY_IKE, NULL);
    if (ours) {
        /* RFC 7296 2.8.2: both rekeyed; decide when ours completes */
        ours->collided = TRUE;
        g_clear_pointer(&ours->peer_nonce, g_bytes_unref);
        /* remember the lower of the nonces of the peer's exchange */
        gsize ml;
        const guint8 *m
            = nonce_min(ni, ni_len, g_bytes_get_data(nr, NULL), g_bytes_get_size(nr), &ml);
        ours->peer_nonce = g_bytes_new(m, ml);
        if (ours->peer_new_ike)
            cg_ike_sa_free(ours->peer_new_ike);
        ours->peer_new_ike = n;
        return;
    }
    cg_ike_sa_set_state(ike, CG_IKE_STATE_REKEYING);
    activate_rekeyed(ike, n);
    /* the initiator of the rekey deletes the old SA (2.18) */
}

static void
respond_child(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    g_autoptr(GError) error = NULL;
    CgNotifyPayload rekey;
    CgChildSa *old = NULL;
    gboolean is_rekey = cg_message_find_notify(msg, CG_N_REKEY_SA, &rekey);
    if (ike->state != CG_IKE_STATE_ESTABLISHED) {
        cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_TEMPORARY_FAILURE, 0,
                                NULL, 0);
        return;
    }
    if (is_rekey) {
        guint32 spi_be = 0;
        if (rekey.spi_size != 4 || rekey.protocol_id != CG_PROTO_ESP) {
            cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_INVALID_SYNTAX, 0,
                                    NULL, 0);
            return;
        }
        memcpy(&spi_be, rekey.spi, 4);
        /* the peer names its inbound SPI, our outbound one */
        old = cg_ike_sa_find_child_by_spi_out(ike, GUINT32_FROM_BE(spi_be));
        if (!old) {
            cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_CHILD_SA_NOT_FOUND,
                                    CG_PROTO_ESP, rekey.spi, 4);
            return;
        }
        /* RFC 7296 2.25: an SA we are closing (or already replaced) */
        if (old->state != CG_CHILD_INSTALLED && old->state != CG_CHILD_REKEYING) {
            cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_TEMPORARY_FAILURE, 0,
                                    NULL, 0);
            return;
        }
    }
    const guint8 *ni;
    gsize ni_len;
    if (!get_nonce(msg, &ni, &ni_len)) {
        cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_INVALID_SYNTAX, 0, NULL,
                                0);
        return;
    }
    g_autoptr(GBytes) nr = fresh_nonce();
    /* PFS: the peer's KE decides the group, if we accept it */
    g_autoptr(CgDh) dh = NULL;
    guint8 shared[512];
    gsize shared_len = 0;
    guint16 pfs = 0;
    const CgRawPayload *p_ke = cg_message_find(msg, CG_PL_KE);
    if (p_ke) {
        CgKePayload ke;
        if (!cg_payload_parse_ke(p_ke->body, p_ke->body_len, &ke, &error)) {
            cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_INVALID_SYNTAX, 0,
                                    NULL, 0);
            return;
        }
        pfs = ke.dh_group;
        CgChildConfig *cc = old ? old->config : NULL;
        gboolean ok = FALSE;
        for (guint i = 0; i < ike->config->children->len && !ok; i++) {
            CgChildConfig *c = ike->config->children->pdata[i];
            if (!cc || c == cc)
                ok = cg_proposal_specs_have_dh(c->esp_proposals, pfs);
        }
        if (!ok) {
            guint16 want = pfs_group_of(cc ? cc : ike->config->children->pdata[0]);
            if (want) {
                guint8 g[2] = { want >> 8, want & 0xff };
                g_autoptr(GByteArray) inner = g_byte_array_new();
                CgChainBuilder cb;
                cg_chain_init(&cb, inner);
                cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_INVALID_KE_PAYLOAD, g, 2);
                cg_ike_sa_send_response(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, inner, cb.first_type);
                return;
            }
            cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_NO_PROPOSAL_CHOSEN,
                                    0, NULL, 0);
            return;
        }
        dh = cg_dh_new(pfs, &error);
        if (!dh || !cg_dh_compute(dh, ke.data, ke.data_len, shared, &shared_len, &error)) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "PFS key exchange failed: %s", error->message);
            cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_NO_PROPOSAL_CHOSEN,
                                    0, NULL, 0);
            return;
        }
    }
    g_autoptr(GByteArray) inner = g_byte_array_sized_new(512);
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    CgChildSa *child = NULL;
    guint16 err = cg_child_respond(ike, msg, old ? old->config : NULL, dh ? shared : NULL,
                                   shared_len, pfs, ni, ni_len, g_bytes_get_data(nr, NULL),
                                   g_bytes_get_size(nr), &cb, &child);
    cg_memzero(shared, sizeof(shared));
    if (err) {
        g_autoptr(GByteArray) e = g_byte_array_new();
        CgChainBuilder ecb;
        cg_chain_init(&ecb, e);
        cg_chain_add_notify(&ecb, 0, NULL, 0, err, NULL, 0);
        cg_ike_sa_send_response(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, e, ecb.first_type);
        return;
    }
    cg_chain_add_raw(&cb, CG_PL_NONCE, g_bytes_get_data(nr, NULL), g_bytes_get_size(nr));
    if (dh) {
        gsize pub_len;
        const guint8 *pub = cg_dh_public(dh, &pub_len);
        gsize off = cg_chain_begin_payload(&cb, CG_PL_KE, FALSE);
        cg_payload_write_ke(inner, pfs, pub, pub_len);
        cg_chain_end_payload(&cb, off);
    }
    cg_child_add_ts_payloads(child, &cb, FALSE);
    cg_ike_sa_send_response(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, inner, cb.first_type);
    cg_child_sa_schedule(child);

    if (old) {
        CgExchange *ours = our_rekey_of(ike, CG_X_REKEY_CHILD, old);
        if (ours) {
            /* RFC 7296 2.8.1: simultaneous rekey; settle when ours completes */
            ours->collided = TRUE;
            gsize ml;
            const guint8 *m
                = nonce_min(ni, ni_len, g_bytes_get_data(nr, NULL), g_bytes_get_size(nr), &ml);
            g_clear_pointer(&ours->peer_nonce, g_bytes_unref);
            ours->peer_nonce = g_bytes_new(m, ml);
            ours->peer_new_child = child;
        } else {
            /* the peer deletes the old SA once it has the new one */
            old->state = CG_CHILD_REKEYED;
            old->replaced = TRUE;
            finish_child_rekey(ike, old, child);
        }
    }
}

void
cg_create_child_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    const CgRawPayload *p_sa = cg_message_find(msg, CG_PL_SA);
    g_autofree CgSaPayload *offered = g_new0(CgSaPayload, 1);
    g_autoptr(GError) error = NULL;
    if (!p_sa || !cg_payload_parse_sa(p_sa->body, p_sa->body_len, offered, &error)) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "CREATE_CHILD_SA request without a valid SA payload%s%s",
                      error ? ": " : "", error ? error->message : "");
        cg_ike_sa_respond_error(ike, CG_EXCH_CREATE_CHILD_SA, msg_id, CG_N_INVALID_SYNTAX, 0, NULL,
                                0);
        return;
    }
    if (offered->n_proposals && offered->proposals[0].protocol_id == CG_PROTO_IKE)
        respond_rekey_ike(ike, msg, msg_id, offered);
    else
        respond_child(ike, msg, msg_id);
}

/* ---- initiator: responses ------------------------------------------------ */

static void
process_rekey_ike_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg)
{
    g_autoptr(GError) error = NULL;
    guint16 err = cg_message_error_notify(msg);
    if (err) {
        CgNotifyPayload n;
        if (err == CG_N_INVALID_KE_PAYLOAD && cg_message_find_notify(msg, err, &n)
            && n.data_len == 2) {
            guint16 g = (guint16)(n.data[0] << 8 | n.data[1]);
            if (cg_proposal_specs_have_dh(ike->config->ike_proposals, g) && g != ike->dh_group) {
                ike->dh_group = g;
                cg_ike_sa_set_state(ike, CG_IKE_STATE_ESTABLISHED);
                cg_ike_sa_exchange_done(ike);
                cg_rekey_ike_start(ike);
                return;
            }
        }
        cg_ike_sa_log(ike, CG_LOG_INFO, "IKE_SA rekey refused: %s", cg_notify_name(err));
        if (x->collided && x->peer_new_ike) {
            /* the peer's rekey won: take over its SA; it deletes the old */
            CgIkeSa *peers = g_steal_pointer(&x->peer_new_ike);
            activate_rekeyed(ike, peers);
            cg_ike_sa_exchange_done(ike);
            return;
        }
        cg_ike_sa_set_state(ike, CG_IKE_STATE_ESTABLISHED);
        cg_ike_sa_exchange_done(ike);
        /* try again later; the peer may be rekeying itself */
        if (err == CG_N_TEMPORARY_FAILURE)
            cg_ike_sa_retry_rekey(ike, TEMP_FAILURE_RETRY_MS + g_random_int_range(0, 1000));
        return;
    }
    const CgRawPayload *p_sa = cg_message_find(msg, CG_PL_SA);
    g_autofree CgSaPayload *reply = g_new0(CgSaPayload, 1);
    g_autofree CgSaPayload *sent = g_new0(CgSaPayload, 1);
    const guint8 *nr;
    gsize nr_len;
    CgProposal chosen;
    guint8 shared[512];
    gsize shared_len = 0;
    cg_sa_payload_from_specs(sent, ike->config->ike_proposals, CG_PROTO_IKE, x->new_spi, 8,
                             ike->dh_group);
    if (!p_sa || !cg_payload_parse_sa(p_sa->body, p_sa->body_len, reply, &error)
        || !cg_proposal_accept_response(sent, reply, &chosen) || chosen.spi_size != 8
        || !get_nonce(msg, &nr, &nr_len)
        || !compute_dh(x->dh, msg, shared, &shared_len, NULL, &error)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "IKE_SA rekey response invalid%s%s", error ? ": " : "",
                      error ? error->message : "");
        cg_ike_sa_set_state(ike, CG_IKE_STATE_ESTABLISHED);
        cg_ike_sa_exchange_done(ike);
        return;
    }
    gsize ni_len;
    const guint8 *ni = g_bytes_get_data(x->nonce, &ni_len);
    CgIkeSa *n = rekeyed_ike_new(ike, TRUE, x->new_spi, chosen.spi, &chosen, shared, shared_len, ni,
                                 ni_len, nr, nr_len, &error);
    cg_memzero(shared, sizeof(shared));
    if (!n) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "IKE_SA rekey failed: %s", error->message);
        cg_ike_sa_set_state(ike, CG_IKE_STATE_ESTABLISHED);
        cg_ike_sa_exchange_done(ike);
        return;
    }
    if (x->collided && x->peer_new_ike) {
        /* RFC 7296 2.8.2: the SA created with the lowest nonce is
         * redundant and deleted by whoever created it */
        gsize ml;
        const guint8 *mine = nonce_min(ni, ni_len, nr, nr_len, &ml);
        gboolean ours_lowest = nonce_cmp(x->peer_nonce, mine, ml) > 0;
        CgIkeSa *peers = g_steal_pointer(&x->peer_new_ike);
        if (ours_lowest) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "IKE_SA rekey collision: ours is redundant");
            activate_rekeyed(ike, peers);
            n->published_up = FALSE; /* redundant: never announced */
            cg_engine_table_add(n->engine, n);
            n->state = CG_IKE_STATE_ESTABLISHED;
            cg_ike_sa_exchange_done(ike);
            /* delete the redundant SA we created; the peer deletes the old */
            cg_delete_ike_start(n, CG_REASON_REKEYED);
            return;
        }
        cg_ike_sa_log(ike, CG_LOG_INFO, "IKE_SA rekey collision: ours wins");
        /* the peer deletes its redundant SA; we keep ours and delete the old */
        peers->published_up = FALSE;
        cg_engine_table_add(peers->engine, peers);
        activate_rekeyed(ike, n);
        cg_ike_sa_exchange_done(ike);
        cg_delete_ike_start(ike, CG_REASON_REKEYED);
        return;
    }
    activate_rekeyed(ike, n);
    cg_ike_sa_exchange_done(ike);
    /* RFC 7296 2.18: the rekey initiator deletes the old IKE_SA */
    cg_delete_ike_start(ike, CG_REASON_REKEYED);
}

static void
process_child_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg)
{
    g_autoptr(GError) error = NULL;
    CgChildSa *old = x->old_child;
    guint16 err = cg_message_error_notify(msg);
    if (err) {
        CgNotifyPayload n;
        if (err == CG_N_INVALID_KE_PAYLOAD && cg_message_find_notify(msg, err, &n))
            cg_ike_sa_log(ike, CG_LOG_INFO, "the peer wants another PFS group");
        if (old && old->state == CG_CHILD_REKEYING)
            old->state = CG_CHILD_INSTALLED;
        if (x->collided && x->peer_new_child && old) {
            /* the peer's rekey stands; it deletes the old SA */
            old->state = CG_CHILD_REKEYED;
            old->replaced = TRUE;
            finish_child_rekey(ike, old, x->peer_new_child);
        } else if (err == CG_N_TEMPORARY_FAILURE && old) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "CHILD_SA rekey deferred (TEMPORARY_FAILURE)");
            cg_child_sa_retry_rekey(old, TEMP_FAILURE_RETRY_MS + g_random_int_range(0, 1000));
        } else {
            g_autofree char *m = g_strdup_printf("CHILD_SA %s refused: %s", x->child_config->name,
                                                 cg_notify_name(err));
            cg_ike_sa_log(ike, CG_LOG_WARNING, "%s", m);
            CgEvent ev = {
                .type = CG_EVENT_ERROR,
                .time_us = g_get_real_time(),
                .conn_name = ike->config->name,
                .ike_unique_id = ike->unique_id,
                .child_name = x->child_config->name,
                .reason = cg_reason_from_notify(err),
                .message = m,
            };
            cg_engine_publish_full(ike->engine, &ev, ike);
        }
        cg_ike_sa_exchange_done(ike);
        return;
    }
    const guint8 *nr;
    gsize nr_len;
    guint8 shared[512];
    gsize shared_len = 0;
    if (!get_nonce(msg, &nr, &nr_len)
        || (x->dh && !compute_dh(x->dh, msg, shared, &shared_len, NULL, &error))) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "CREATE_CHILD_SA response invalid%s%s",
                      error ? ": " : "", error ? error->message : "");
        if (old && old->state == CG_CHILD_REKEYING)
            old->state = CG_CHILD_INSTALLED;
        cg_ike_sa_exchange_done(ike);
        return;
    }
    gsize ni_len;
    const guint8 *ni = g_bytes_get_data(x->nonce, &ni_len);
    CgChildSa *child = NULL;
    guint16 cerr = 0;
    gboolean ok = cg_child_accept_response(ike, x, msg, x->dh ? shared : NULL, shared_len, ni,
                                           ni_len, nr, nr_len, &child, &cerr);
    cg_memzero(shared, sizeof(shared));
    if (!ok) {
        if (old && old->state == CG_CHILD_REKEYING)
            old->state = CG_CHILD_INSTALLED;
        cg_ike_sa_exchange_done(ike);
        return;
    }
    if (!old) {
        cg_ike_sa_exchange_done(ike);
        return;
    }
    if (x->collided && x->peer_new_child) {
        gsize ml;
        const guint8 *mine = nonce_min(ni, ni_len, nr, nr_len, &ml);
        gboolean ours_lowest = nonce_cmp(x->peer_nonce, mine, ml) > 0;
        old->state = CG_CHILD_REKEYED;
        old->replaced = TRUE;
        if (ours_lowest) {
            /* RFC 7296 2.8.1: our new SA is redundant: we delete it, and
             * the peer (winner) deletes the old one */
            cg_ike_sa_log(ike, CG_LOG_INFO, "CHILD_SA rekey collision: ours is redundant");
            finish_child_rekey(ike, old, x->peer_new_child);
            cg_ike_sa_exchange_done(ike);
            cg_delete_child_start(child);
            return;
        }
        cg_ike_sa_log(ike, CG_LOG_INFO, "CHILD_SA rekey collision: ours wins");
        finish_child_rekey(ike, old, child);
        cg_ike_sa_exchange_done(ike);
        cg_delete_child_start(old);
        return;
    }
    old->state = CG_CHILD_REKEYED;
    old->replaced = TRUE;
    finish_child_rekey(ike, old, child);
    cg_ike_sa_exchange_done(ike);
    /* make before break: the old SA goes only now */
    cg_delete_child_start(old);
}

void
cg_create_child_process_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg)
{
    if (x->kind == CG_X_REKEY_IKE)
        process_rekey_ike_response(ike, x, msg);
    else
        process_child_response(ike, x, msg);
}
