/* cg-ike-sa.c: one IKE_SA: message protection, message IDs, retransmission
 * (RFC 7296 2.1-2.3), the exchange queue and the SA's timers. The
 * exchanges themselves live in cg-ike-init.c, cg-ike-auth.c,
 * cg-create-child.c and cg-informational.c. */
#include "sa/cg-sa-private.h"

#include <math.h>
#include <string.h>

#include "auth/cg-auth.h"
#include "net/cg-net.h"
#include "sa/cg-fragment.h"

#define HALF_OPEN_TIMEOUT_S 30
#define CG_NAT_KEEPALIVE_S  20
#define MAX_PAD             255

void
cg_ike_sa_log(CgIkeSa *ike, CgLogLevel level, const char *fmt, ...)
{
    if (!cg_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    cg_log(level, ike->config->name, "%s %s", cg_ike_sa_name(ike), text);
}

const char *
cg_ike_sa_name(CgIkeSa *ike)
{
    return ike->log_name;
}

GInetAddress *
cg_ike_sa_local_host(CgIkeSa *ike)
{
    return ike->local_vips->len ? ike->local_vips->pdata[0] : cg_sockaddr_inet(ike->local);
}

GInetAddress *
cg_ike_sa_remote_host(CgIkeSa *ike)
{
    return ike->remote_vips->len ? ike->remote_vips->pdata[0] : cg_sockaddr_inet(ike->remote);
}

const guint8 *
cg_ike_sa_local_spi(CgIkeSa *ike)
{
    return ike->initiator ? ike->spi_i : ike->spi_r;
}

CgIkeSa *
cg_ike_sa_new(CgEngine *engine, CgConnConfig *config, gboolean initiator)
{
    CgIkeSa *ike = g_new0(CgIkeSa, 1);
    ike->engine = engine;
    ike->config = cg_conn_config_ref(config);
    ike->initiator = initiator;
    ike->unique_id = cg_engine_next_unique_id(engine);
    ike->log_name = g_strdup_printf("IKE_SA %s[%u]", config->name, ike->unique_id);
    ike->state = CG_IKE_STATE_CONNECTING;
    ike->children = g_ptr_array_new();
    ike->local_vips = g_ptr_array_new_with_free_func(g_object_unref);
    ike->remote_vips = g_ptr_array_new_with_free_func(g_object_unref);
    ike->remote_vip_pools = g_ptr_array_new_with_free_func(g_free);
    ike->dns = g_ptr_array_new_with_free_func(g_object_unref);
    ike->subnets = g_ptr_array_new_with_free_func(g_free);
    ike->dns_domains = g_ptr_array_new_with_free_func(g_free);
    g_queue_init(&ike->pending);
    /* RFC 7296 2.6: SPIs are random and non-zero */
    guint8 *spi = initiator ? ike->spi_i : ike->spi_r;
    static const guint8 zero[8] = { 0 };
    do
        cg_random_bytes(spi, 8);
    while (memcmp(spi, zero, 8) == 0);
    ike->last_rx_us = g_get_monotonic_time();
    return ike;
}

void
cg_ike_sa_drop_dh(CgIkeSa *ike)
{
    if (ike->dh && !ike->dh_borrowed)
        cg_dh_free(ike->dh);
    ike->dh = NULL;
    ike->dh_borrowed = FALSE;
}

static void
clear_timer(CgIkeSa *ike, guint *id)
{
    if (*id) {
        cg_engine_timer_remove(ike->engine, *id);
        *id = 0;
    }
}

static void
cancel_timers(CgIkeSa *ike)
{
    clear_timer(ike, &ike->retransmit_timer);
    clear_timer(ike, &ike->rekey_timer);
    clear_timer(ike, &ike->reauth_timer);
    clear_timer(ike, &ike->dpd_timer);
    clear_timer(ike, &ike->keepalive_timer);
    clear_timer(ike, &ike->half_open_timer);
    clear_timer(ike, &ike->deferred_response_timer);
}

CgExchange *
cg_exchange_new(CgExchangeKind kind)
{
    CgExchange *x = g_new0(CgExchange, 1);
    x->kind = kind;
    return x;
}

void
cg_exchange_free(CgExchange *x)
{
    if (!x)
        return;
    g_clear_pointer(&x->dh, cg_dh_free);
    g_clear_pointer(&x->nonce, g_bytes_unref);
    g_clear_pointer(&x->peer_nonce, g_bytes_unref);
    g_free(x);
}

void
cg_ike_sa_free(CgIkeSa *ike)
{
    if (!ike)
        return;
    cancel_timers(ike);
    for (guint i = 0; i < ike->children->len; i++)
        cg_child_sa_free(ike->children->pdata[i]);
    g_ptr_array_unref(ike->children);
    cg_exchange_free(ike->active);
    CgExchange *x;
    while ((x = g_queue_pop_head(&ike->pending)))
        cg_exchange_free(x);
    g_clear_pointer(&ike->active_packet, g_bytes_unref);
    g_clear_pointer(&ike->cached_response, g_bytes_unref);
    g_clear_object(&ike->local);
    g_clear_object(&ike->remote);
    g_clear_pointer(&ike->cipher_in, cg_cipher_free);
    g_clear_pointer(&ike->cipher_out, cg_cipher_free);
    cg_ike_sa_drop_dh(ike);
    g_clear_pointer(&ike->nonce_i, g_bytes_unref);
    g_clear_pointer(&ike->nonce_r, g_bytes_unref);
    g_clear_pointer(&ike->init_request, g_bytes_unref);
    g_clear_pointer(&ike->init_response, g_bytes_unref);
    g_clear_pointer(&ike->cookie, g_bytes_unref);
    g_clear_pointer(&ike->chosen_proposal, g_free);
    cg_identity_clear(&ike->local_id);
    cg_identity_clear(&ike->peer_id);
    g_ptr_array_unref(ike->local_vips);
    g_ptr_array_unref(ike->remote_vips);
    g_ptr_array_unref(ike->remote_vip_pools);
    g_ptr_array_unref(ike->dns);
    g_ptr_array_unref(ike->subnets);
    g_ptr_array_unref(ike->dns_domains);
    cg_memzero(&ike->keys, sizeof(ike->keys));
    cg_auth_state_free(ike->auth);
    cg_fragment_state_free(ike->frag);
    cg_mobike_sa_free(ike);
    cg_conn_config_unref(ike->config);
    g_free(ike->log_name);
    g_free(ike);
}

void
cg_ike_sa_set_state(CgIkeSa *ike, CgIkeState state)
{
    if (ike->state == state)
        return;
    if (ike->half_open && state != CG_IKE_STATE_CONNECTING) {
        ike->half_open = FALSE;
        cg_engine_half_open_changed(ike->engine, -1);
    }
    ike->state = state;
}

static gboolean
free_dead_sa(gpointer data)
{
    CgIkeSa *ike = data;
    if (ike->crypto_busy) {
        ike->free_after_job = TRUE; /* the job's completion frees it */
        return G_SOURCE_REMOVE;
    }
    cg_ike_sa_free(ike);
    return G_SOURCE_REMOVE;
}

gboolean
cg_ike_sa_job_finished(CgIkeSa *ike)
{
    ike->crypto_busy = FALSE;
    if (ike->free_after_job) {
        cg_ike_sa_free(ike);
        return FALSE;
    }
    /* destroyed, and its free_dead_sa is still to run */
    return ike->state != CG_IKE_STATE_DEAD;
}

void
cg_ike_sa_destroy(CgIkeSa *ike, CgReason reason, const char *message)
{
    if (ike->state == CG_IKE_STATE_DEAD)
        return;
    /* an SA replaced by its rekeyed successor is not news */
    gboolean was_up = ike->published_up && !ike->rekeyed_to && reason != CG_REASON_REKEYED;
    CgEngine *engine = ike->engine;
    ike->down_reason = reason;
    cancel_timers(ike);
    cg_mobike_sa_destroyed(ike);

    /* children first, so listeners see CHILD_DOWN before IKE_DOWN */
    while (ike->children->len) {
        CgChildSa *c = ike->children->pdata[ike->children->len - 1];
        cg_child_sa_remove(c, reason);
    }
    /* each address goes back to the pool it came from (a dual-stack
     * peer holds one of an IPv4 and one of an IPv6 pool) */
    for (guint i = 0; i < ike->remote_vips->len; i++) {
        CgPool *pool = cg_engine_find_pool(engine, ike->remote_vip_pools->pdata[i]);
        if (pool)
            cg_pool_release(pool, ike->remote_vips->pdata[i]);
        g_autofree char *a = g_inet_address_to_string(ike->remote_vips->pdata[i]);
        cg_ike_sa_log(ike, CG_LOG_INFO, "released virtual IP %s", a);
    }
    g_ptr_array_set_size(ike->remote_vips, 0);
    g_ptr_array_set_size(ike->remote_vip_pools, 0);

    CgIkeState old_state = ike->state;
    cg_ike_sa_set_state(ike, CG_IKE_STATE_DEAD);
    if (ike->half_open) {
        ike->half_open = FALSE;
        cg_engine_half_open_changed(engine, -1);
    }

    if (!ike->rekeyed_to) {
        CgKernel *k = cg_engine_kernel(engine);
        for (guint i = 0; i < ike->local_vips->len && k->ops->del_vip; i++) {
            GInetAddress *vip = ike->local_vips->pdata[i];
            k->ops->del_vip(
                k, vip, g_inet_address_get_family(vip) == G_SOCKET_FAMILY_IPV6 ? 128 : 32, NULL);
        }
    }
    if (ike->rekeyed_to || reason == CG_REASON_REKEYED)
        cg_ike_sa_log(ike, CG_LOG_INFO, "deleted after rekey");
    else if (was_up)
        cg_ike_sa_log(ike, CG_LOG_INFO, "down: %s%s%s", cg_reason_describe(reason),
                      message ? ": " : "", message ? message : "");
    else
        cg_ike_sa_log(ike, ike->initiator ? CG_LOG_WARNING : CG_LOG_INFO, "failed%s: %s%s%s",
                      old_state == CG_IKE_STATE_CONNECTING ? " to establish" : "",
                      cg_reason_describe(reason), message ? ": " : "", message ? message : "");

    /* An initiator's failure is news even when the SA never came up;
     * a half-open responder that fizzled is not. */
    if (was_up || (ike->initiator && !ike->published_up && reason != CG_REASON_REKEYED)) {
        CgEvent ev = {
            .type = CG_EVENT_IKE_DOWN,
            .time_us = g_get_real_time(),
            .conn_name = ike->config->name,
            .ike_unique_id = ike->unique_id,
            .reason = reason,
            .message = message ? message : cg_reason_describe(reason),
        };
        cg_engine_publish_full(engine, &ev, ike);
    }
    cg_engine_table_remove(engine, ike);
    cg_engine_ike_destroyed(engine, ike);
    g_idle_add(free_dead_sa, ike);
}

/* ---- sending ---------------------------------------------------------- */

void
cg_ike_sa_send_raw(CgIkeSa *ike, GBytes *packet)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(packet, &len);
    /* one message, or the fragments of one (RFC 7383) */
    cg_fragment_send_bundle(ike->engine, ike->local, ike->remote, ike->natt, data, len);
}

/* RFC 7296 3.14: header | SK { IV | E(inner | padding | pad length) | ICV } */
GBytes *
cg_ike_sa_seal(CgIkeSa *ike, guint8 exchange_type, gboolean response, guint32 msg_id,
               GByteArray *inner, guint8 first_inner)
{
    /* RFC 7383: too large for the path, it goes out in fragments */
    g_autoptr(GError) frag_error = NULL;
    GBytes *fragments
        = cg_fragment_seal(ike, exchange_type, response, msg_id, inner, first_inner, &frag_error);
    if (fragments || frag_error) {
        if (frag_error)
            cg_ike_sa_log(ike, CG_LOG_ERROR, "encrypting fragments failed: %s",
                          frag_error->message);
        return fragments;
    }
    CgCipher *c = ike->cipher_out;
    gsize iv_len = cg_cipher_iv_len(c);
    gsize icv_len = cg_cipher_icv_len(c);
    gsize block = cg_cipher_block_len(c);
    gsize inner_len = inner ? inner->len : 0;
    /* pad so that inner + padding + 1 is a multiple of the block size */
    gsize pad = (block - ((inner_len + 1) % block)) % block;
    gsize ct_len = inner_len + pad + 1;

    CgIkeHeader h = { 0 };
    memcpy(h.spi_i, ike->spi_i, 8);
    memcpy(h.spi_r, ike->spi_r, 8);
    h.next_payload = CG_PL_SK;
    h.major_version = 2;
    h.exchange_type = exchange_type;
    /* the Initiator flag marks the original initiator of this IKE_SA */
    h.flags = (ike->initiator ? CG_FLAG_INITIATOR : 0) | (response ? CG_FLAG_RESPONSE : 0);
    h.message_id = msg_id;
    h.length = CG_IKE_HEADER_LEN + CG_PAYLOAD_HEADER_LEN + iv_len + ct_len + icv_len;

    GByteArray *b = g_byte_array_sized_new(h.length);
    cg_header_write(b, &h);
    /* the SK generic payload header */
    cg_put_u8(b, first_inner);
    cg_put_u8(b, 0);
    cg_put_u16(b, (guint16)(CG_PAYLOAD_HEADER_LEN + iv_len + ct_len + icv_len));
    gsize aad_len = b->len;
    gsize iv_off = b->len;
    /* AEAD IVs must never repeat under one key (RFC 5282 3.1): a counter */
    if (cg_encr_is_aead(ike->algs.encr_id)) {
        guint64 ctr = GUINT64_TO_BE(++ike->iv_counter);
        g_byte_array_append(b, (const guint8 *)&ctr, 8);
        if (iv_len > 8) {
            guint8 zero[16] = { 0 };
            g_byte_array_append(b, zero, iv_len - 8);
        }
    } else {
        g_byte_array_set_size(b, b->len + iv_len);
        cg_random_bytes(b->data + iv_off, iv_len);
    }
    gsize ct_off = b->len;
    if (inner_len)
        g_byte_array_append(b, inner->data, inner_len);
    g_byte_array_set_size(b, b->len + pad);
    memset(b->data + ct_off + inner_len, 0, pad);
    cg_put_u8(b, (guint8)pad);
    g_byte_array_set_size(b, b->len + icv_len);

    g_autoptr(GError) error = NULL;
    if (!cg_cipher_encrypt(c, b->data, aad_len, b->data + iv_off, b->data + ct_off, ct_len,
                           b->data + ct_off + ct_len, &error)) {
        cg_ike_sa_log(ike, CG_LOG_ERROR, "encrypting %s failed: %s",
                      cg_exchange_name(exchange_type), error->message);
        g_byte_array_unref(b);
        return NULL;
    }
    return g_byte_array_free_to_bytes(b);
}

static guint
retransmit_delay_ms(CgIkeSa *ike, guint tries)
{
    double base = ike->config->retransmit_base > 1.0 ? ike->config->retransmit_base : 1.8;
    double ms = (double)ike->config->retransmit_timeout_ms * pow(base, tries);
    return ms > 60000.0 ? 60000 : (guint)ms;
}

static gboolean
on_retransmit(gpointer data)
{
    CgIkeSa *ike = data;
    ike->retransmit_timer = 0;
    if (!ike->active_packet)
        return G_SOURCE_REMOVE;
    if (ike->active_tries >= ike->config->retransmit_tries) {
        CgReason reason = ike->state == CG_IKE_STATE_CONNECTING ? CG_REASON_PEER_UNREACHABLE
                          : ike->state == CG_IKE_STATE_DELETING ? ike->down_reason
                                                                : CG_REASON_DEAD_PEER;
        g_autofree char *msg
            = g_strdup_printf("no response after %u retransmits", ike->active_tries);
        cg_ike_sa_destroy(ike, reason, msg);
        return G_SOURCE_REMOVE;
    }
    ike->active_tries++;
    cg_engine_count_retransmit(ike->engine);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "retransmit %u of request %u", ike->active_tries,
                  ike->active_msg_id);
    cg_ike_sa_send_raw(ike, ike->active_packet);
    ike->retransmit_timer = cg_engine_timer_add(
        ike->engine, retransmit_delay_ms(ike, ike->active_tries), on_retransmit, ike);
    return G_SOURCE_REMOVE;
}

/* Sends `packet` as the outstanding request and arms retransmission. */
static void
send_request_packet(CgIkeSa *ike, GBytes *packet, guint32 msg_id)
{
    g_clear_pointer(&ike->active_packet, g_bytes_unref);
    ike->active_packet = packet;
    ike->active_msg_id = msg_id;
    ike->active_tries = 0;
    clear_timer(ike, &ike->retransmit_timer);
    cg_ike_sa_send_raw(ike, packet);
    ike->retransmit_timer
        = cg_engine_timer_add(ike->engine, retransmit_delay_ms(ike, 0), on_retransmit, ike);
}

void
cg_ike_sa_send_request(CgIkeSa *ike, guint8 exchange_type, GByteArray *inner, guint8 first_inner)
{
    guint32 id = ike->msg_id_next_out;
    GBytes *packet = cg_ike_sa_seal(ike, exchange_type, FALSE, id, inner, first_inner);
    if (!packet) {
        cg_ike_sa_destroy(ike, CG_REASON_LOCAL_ERROR, "cannot encrypt request");
        return;
    }
    send_request_packet(ike, packet, id);
}

/* IKE_SA_INIT requests are not encrypted: cg-ike-init.c sends the raw bytes. */
void
cg_ike_sa_send_plain_request(CgIkeSa *ike, GBytes *packet)
{
    send_request_packet(ike, g_bytes_ref(packet), 0);
}

/* How long a response may wait for the peer to finish answering our
 * request of the same message ID (see cg_ike_sa_send_response). */
#define DEFERRED_RESPONSE_MAX_MS   100
#define DEFERRED_RESPONSE_AFTER_MS 5

static gboolean
on_deferred_response(gpointer data)
{
    CgIkeSa *ike = data;
    ike->deferred_response_timer = 0;
    if (ike->cached_response)
        cg_ike_sa_send_raw(ike, ike->cached_response);
    return G_SOURCE_REMOVE;
}

/* The peer answered our request: a response held back goes out now (just
 * after, so that the peer has put its SA down). */
static void
release_deferred_response(CgIkeSa *ike)
{
    if (!ike->deferred_response_timer)
        return;
    clear_timer(ike, &ike->deferred_response_timer);
    ike->deferred_response_timer
        = cg_engine_timer_add(ike->engine, DEFERRED_RESPONSE_AFTER_MS, on_deferred_response, ike);
}

void
cg_ike_sa_send_response(CgIkeSa *ike, guint8 exchange_type, guint32 msg_id, GByteArray *inner,
                        guint8 first_inner)
{
    GBytes *packet = cg_ike_sa_seal(ike, exchange_type, TRUE, msg_id, inner, first_inner);
    if (!packet)
        return;
    /* RFC 7296 2.1: keep the response to answer a retransmitted request */
    g_clear_pointer(&ike->cached_response, g_bytes_unref);
    ike->cached_response = packet;
    ike->cached_response_id = msg_id;
    ike->have_cached_response = TRUE;
    clear_timer(ike, &ike->deferred_response_timer);
    /* The two message ID sequences are independent (2.2), so the peer's
     * request can carry the ID of our own outstanding one: the peer sent
     * it while still answering ours (a CHILD_SA rekey strongSwan queues
     * when our MOBIKE update moves a kernel-libipsec SA). strongSwan 5.9
     * drops a message whose ID equals that of the request it is
     * processing, response or not, and learns our answer only from a
     * retransmit, lost traffic later: after our INFORMATIONAL requests,
     * hold the response until the peer's answer is in, for a bounded
     * time. (Colliding rekeys are not held: each side would wait for the
     * other.) */
    if (ike->active_packet && ike->active && ike->active_msg_id == msg_id
        && (ike->active->kind == CG_X_UPDATE_ADDRESSES || ike->active->kind == CG_X_ROUTABILITY
            || ike->active->kind == CG_X_DPD)) {
        cg_ike_sa_log(ike, CG_LOG_DEBUG,
                      "holding the response to request %u until the peer answers ours", msg_id);
        ike->deferred_response_timer
            = cg_engine_timer_add(ike->engine, DEFERRED_RESPONSE_MAX_MS, on_deferred_response, ike);
        return;
    }
    cg_ike_sa_send_raw(ike, packet);
}

void
cg_ike_sa_respond_error(CgIkeSa *ike, guint8 exchange_type, guint32 msg_id, guint16 type,
                        guint8 proto, const guint8 *spi, guint8 spi_size)
{
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    cg_chain_add_notify(&cb, proto, spi, spi_size, type, NULL, 0);
    cg_ike_sa_send_response(ike, exchange_type, msg_id, inner, cb.first_type);
}

/* ---- the exchange queue ---------------------------------------------- */

static void
start_exchange(CgIkeSa *ike, CgExchange *x)
{
    ike->active = x;
    switch (x->kind) {
        case CG_X_IKE_SA_INIT:
            cg_ike_init_send_request(ike);
            break;
        case CG_X_IKE_AUTH:
            cg_ike_auth_send_request(ike);
            break;
        case CG_X_CREATE_CHILD:
        case CG_X_REKEY_CHILD:
        case CG_X_REKEY_IKE:
            cg_create_child_send(ike, x);
            break;
        case CG_X_DELETE_CHILD:
        case CG_X_DELETE_IKE:
        case CG_X_DPD:
        case CG_X_UPDATE_ADDRESSES:
        case CG_X_ROUTABILITY:
            cg_informational_send(ike, x);
            break;
    }
}

static gboolean
exchange_allowed_now(CgIkeSa *ike, CgExchange *x)
{
    if (ike->state == CG_IKE_STATE_DEAD)
        return FALSE;
    if (ike->state == CG_IKE_STATE_CONNECTING)
        return x->kind == CG_X_IKE_SA_INIT || x->kind == CG_X_IKE_AUTH;
    return TRUE;
}

static void
run_queue(CgIkeSa *ike)
{
    while (!ike->active && !g_queue_is_empty(&ike->pending) && ike->state != CG_IKE_STATE_DEAD) {
        CgExchange *x = g_queue_peek_head(&ike->pending);
        if (!exchange_allowed_now(ike, x))
            return;
        g_queue_pop_head(&ike->pending);
        start_exchange(ike, x);
    }
}

void
cg_ike_sa_queue(CgIkeSa *ike, CgExchange *x)
{
    if (ike->state == CG_IKE_STATE_DEAD) {
        cg_exchange_free(x);
        return;
    }
    /* a delete of the whole SA jumps the queue: nothing else matters then */
    if (x->kind == CG_X_DELETE_IKE)
        g_queue_push_head(&ike->pending, x);
    else
        g_queue_push_tail(&ike->pending, x);
    run_queue(ike);
}

void
cg_ike_sa_exchange_done(CgIkeSa *ike)
{
    clear_timer(ike, &ike->retransmit_timer);
    g_clear_pointer(&ike->active_packet, g_bytes_unref);
    g_clear_pointer(&ike->active, cg_exchange_free);
    if (ike->state == CG_IKE_STATE_DEAD)
        return;
    ike->msg_id_next_out++;
    run_queue(ike);
}

static gboolean
on_half_open_timeout(gpointer data)
{
    CgIkeSa *ike = data;
    ike->half_open_timer = 0;
    cg_ike_sa_destroy(ike, CG_REASON_PEER_UNREACHABLE, "IKE_SA not established in time");
    return G_SOURCE_REMOVE;
}

void
cg_ike_sa_arm_half_open_timeout(CgIkeSa *ike)
{
    clear_timer(ike, &ike->half_open_timer);
    ike->half_open_timer
        = cg_engine_timer_add(ike->engine, 1000 * (HALF_OPEN_TIMEOUT_S), on_half_open_timeout, ike);
}

void
cg_ike_sa_start_initiate(CgIkeSa *ike)
{
    g_autofree char *to = cg_sockaddr_to_string(ike->remote);
    cg_ike_sa_log(ike, CG_LOG_INFO, "initiating to %s", to);
    ike->half_open_timer = cg_engine_timer_add(ike->engine, 1000 * (HALF_OPEN_TIMEOUT_S * 2),
                                               on_half_open_timeout, ike);
    cg_ike_sa_queue(ike, cg_exchange_new(CG_X_IKE_SA_INIT));
}

/* ---- timers of an established SA -------------------------------------- */

static guint32
jittered(guint32 time_s, guint32 rand_s)
{
    if (rand_s == 0 || rand_s >= time_s)
        return time_s;
    return time_s - g_random_int_range(0, (gint32)rand_s + 1);
}

static gboolean
on_rekey(gpointer data)
{
    CgIkeSa *ike = data;
    ike->rekey_timer = 0;
    if (ike->state == CG_IKE_STATE_DEAD || ike->state == CG_IKE_STATE_DELETING || ike->rekeyed_to)
        return G_SOURCE_REMOVE;
    if (!cg_rekey_ike_start(ike))
        ike->rekey_timer = cg_engine_timer_add(ike->engine, 1000, on_rekey, ike);
    return G_SOURCE_REMOVE;
}

static gboolean
on_reauth(gpointer data)
{
    CgIkeSa *ike = data;
    ike->reauth_timer = 0;
    if (ike->state != CG_IKE_STATE_ESTABLISHED)
        return G_SOURCE_REMOVE;
    if (!ike->initiator) {
        /* the responder cannot reauthenticate (RFC 7296 2.8.3): let the
         * peer do it, or expire */
        return G_SOURCE_REMOVE;
    }
    /* RFC 7296 2.8.3: reauthentication is a fresh IKE_SA; the old one
     * goes once the new one is up (make before break). */
    cg_ike_sa_log(ike, CG_LOG_INFO, "reauthenticating");
    g_autoptr(GError) error = NULL;
    g_autofree char *remote = g_inet_address_to_string(cg_sockaddr_inet(ike->remote));
    g_autofree char *local = g_inet_address_to_string(cg_sockaddr_inet(ike->local));
    guint32 id = cg_engine_initiate(ike->engine, ike->config->name, local, remote, &error);
    if (!id) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "reauthentication failed: %s", error->message);
        return G_SOURCE_REMOVE;
    }
    /* the old SA is deleted by the engine's unique-ID logic on the
     * responder; as initiator we delete it ourselves after a grace time */
    cg_delete_ike_start(ike, CG_REASON_REKEYED);
    return G_SOURCE_REMOVE;
}

static gboolean
on_dpd(gpointer data)
{
    CgIkeSa *ike = data;
    if (ike->state != CG_IKE_STATE_ESTABLISHED)
        return G_SOURCE_CONTINUE;
    gint64 idle_us = g_get_monotonic_time() - ike->last_rx_us;
    /* RFC 7296 2.4: check liveness only when nothing was heard lately */
    if (idle_us >= (gint64)ike->config->dpd_delay_s * G_USEC_PER_SEC && !ike->active
        && g_queue_is_empty(&ike->pending))
        cg_dpd_start(ike);
    return G_SOURCE_CONTINUE;
}

void
cg_ike_sa_retry_rekey(CgIkeSa *ike, guint delay_ms)
{
    clear_timer(ike, &ike->rekey_timer);
    ike->rekey_timer = cg_engine_timer_add(ike->engine, delay_ms, on_rekey, ike);
}

static gboolean
on_keepalive(gpointer data)
{
    CgIkeSa *ike = data;
    if (ike->natt && ike->nat_local && ike->state != CG_IKE_STATE_DEAD)
        cg_engine_send_keepalive(ike->engine, ike->local, ike->remote);
    return G_SOURCE_CONTINUE;
}

void
cg_ike_sa_schedule_timers(CgIkeSa *ike)
{
    CgConnConfig *c = ike->config;
    clear_timer(ike, &ike->rekey_timer);
    clear_timer(ike, &ike->reauth_timer);
    clear_timer(ike, &ike->dpd_timer);
    clear_timer(ike, &ike->keepalive_timer);
    clear_timer(ike, &ike->half_open_timer);
    /* RFC 3948 4: keep the NAT mapping alive when we are behind one */
    if (ike->natt && ike->nat_local)
        ike->keepalive_timer
            = cg_engine_timer_add(ike->engine, 1000 * (CG_NAT_KEEPALIVE_S), on_keepalive, ike);
    gint64 now = g_get_real_time();
    if (c->ike_rekey_time_s) {
        guint32 t = jittered(c->ike_rekey_time_s, c->rand_time_s);
        ike->rekey_timer = cg_engine_timer_add(ike->engine, 1000 * (t), on_rekey, ike);
        ike->rekey_at = now + (gint64)t * G_USEC_PER_SEC;
    }
    if (c->reauth_time_s && ike->initiator) {
        guint32 t = jittered(c->reauth_time_s, c->rand_time_s);
        ike->reauth_timer = cg_engine_timer_add(ike->engine, 1000 * (t), on_reauth, ike);
        ike->reauth_at = now + (gint64)t * G_USEC_PER_SEC;
    }
    if (c->dpd_delay_s)
        ike->dpd_timer = cg_engine_timer_add(ike->engine, 1000 * (c->dpd_delay_s), on_dpd, ike);
}

void
cg_ike_sa_note_alive(CgIkeSa *ike)
{
    ike->last_rx_us = g_get_monotonic_time();
}

/* ---- receiving -------------------------------------------------------- */

/* Decrypts the SK payload of msg and parses the inner chain into inner.
 * The inner payloads point into *plain_out, which the caller frees. */
static gboolean
open_sk(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw, gsize raw_len, CgMessage *inner,
        guint8 **plain_out, GError **error)
{
    if (cg_message_find(msg, CG_PL_SKF))
        return cg_fragment_open(ike, msg, raw, raw_len, inner, plain_out, error);
    const CgRawPayload *sk = cg_message_find(msg, CG_PL_SK);
    if (!sk) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "%s without an encrypted payload", cg_exchange_name(msg->header.exchange_type));
        return FALSE;
    }
    if (!ike->cipher_in) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED, "no keys yet");
        return FALSE;
    }
    gsize iv_len = cg_cipher_iv_len(ike->cipher_in);
    gsize icv_len = cg_cipher_icv_len(ike->cipher_in);
    gsize block = cg_cipher_block_len(ike->cipher_in);
    if (sk->body_len < iv_len + icv_len + 1) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_TRUNCATED,
                    "encrypted payload of %zu bytes shorter than IV + ICV + 1 (%zu)", sk->body_len,
                    iv_len + icv_len + 1);
        return FALSE;
    }
    gsize ct_len = sk->body_len - iv_len - icv_len;
    if (ct_len % block) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "ciphertext length %zu not a multiple of the block size %zu", ct_len, block);
        return FALSE;
    }
    gsize aad_len = (gsize)(sk->body - raw);
    if (aad_len > raw_len) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED, "bad SK offset");
        return FALSE;
    }
    guint8 *plain = g_malloc(ct_len);
    memcpy(plain, sk->body + iv_len, ct_len);
    if (!cg_cipher_decrypt(ike->cipher_in, raw, aad_len, sk->body, plain, ct_len,
                           sk->body + iv_len + ct_len, error)) {
        g_free(plain);
        return FALSE;
    }
    guint8 pad = plain[ct_len - 1];
    if ((gsize)pad + 1 > ct_len) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "pad length %u exceeds decrypted length %zu", pad, ct_len);
        g_free(plain);
        return FALSE;
    }
    memset(inner, 0, sizeof(*inner));
    inner->header = msg->header;
    if (!cg_payload_chain_parse(plain, ct_len - 1 - pad, msg->sk_inner_first, inner, error)) {
        g_free(plain);
        return FALSE;
    }
    *plain_out = plain;
    return TRUE;
}

static void
update_addresses(CgIkeSa *ike, GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    /* RFC 7296 2.23: behind a NAT, follow the peer's address/port of the
     * latest authenticated message; RFC 3947-style float to 4500. */
    if (natt && !ike->natt)
        ike->natt = TRUE;
    if (!cg_sockaddr_equal(ike->remote, remote) && (ike->nat_remote || ike->nat_local || natt)) {
        g_autofree char *from = cg_sockaddr_to_string(ike->remote);
        g_autofree char *to = cg_sockaddr_to_string(remote);
        cg_ike_sa_log(ike, CG_LOG_INFO, "peer address changed from %s to %s", from, to);
        g_set_object(&ike->remote, remote);
        cg_mobike_peer_moved(ike); /* the CHILD_SAs follow */
    }
    if (!cg_sockaddr_equal(ike->local, local)
        && !g_inet_address_get_is_any(cg_sockaddr_inet(local)))
        g_set_object(&ike->local, local);
}

/* A request decrypted and in sequence: its exchange takes it. */
static void
request_opened(CgIkeSa *ike, guint8 exchange_type, guint32 id, const CgMessage *inner,
               GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    cg_ike_sa_note_alive(ike);
    if (!cg_mobike_on_message(ike, local, remote, natt))
        update_addresses(ike, local, remote, natt);
    ike->msg_id_next_in++;
    switch (exchange_type) {
        case CG_EXCH_IKE_AUTH:
            cg_mobike_note_peer(ike, inner);
            cg_ike_auth_process_request(ike, inner, id);
            break;
        case CG_EXCH_CREATE_CHILD_SA:
            cg_create_child_process_request(ike, inner, id);
            break;
        case CG_EXCH_INFORMATIONAL:
            cg_informational_process_request(ike, inner, id);
            break;
        default:
            cg_ike_sa_log(ike, CG_LOG_INFO, "unknown exchange type %u, answering empty",
                          exchange_type);
            cg_ike_sa_send_response(ike, exchange_type, id, NULL, CG_PL_NONE);
            break;
    }
}

static void
process_request(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw, gsize raw_len,
                GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    guint32 id = msg->header.message_id;
    if (msg->header.exchange_type == CG_EXCH_IKE_SA_INIT) {
        /* retransmitted IKE_SA_INIT for a half-open responder SA */
        if (ike->init_response && id == 0) {
            cg_ike_sa_log(ike, CG_LOG_DEBUG, "IKE_SA_INIT retransmit answered from cache");
            cg_engine_send(ike->engine, local, remote, natt,
                           g_bytes_get_data(ike->init_response, NULL),
                           g_bytes_get_size(ike->init_response));
        }
        return;
    }
    /* RFC 7296 2.2: a retransmitted request gets the cached response */
    if (ike->have_cached_response && id == ike->cached_response_id
        && id + 1 == ike->msg_id_next_in) {
        /* RFC 7383 2.6.1: of a fragmented request, only fragment 1 counts */
        if (!cg_fragment_is_first(msg))
            return;
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "request %u retransmitted, resending response", id);
        cg_fragment_send_bundle(ike->engine, local, remote, natt,
                                g_bytes_get_data(ike->cached_response, NULL),
                                g_bytes_get_size(ike->cached_response));
        return;
    }
    if (id != ike->msg_id_next_in) {
        cg_engine_count_dropped(ike->engine);
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "dropped request with message ID %u (expected %u)", id,
                      ike->msg_id_next_in);
        return;
    }
    if (ike->crypto_busy) {
        /* still computing keys for IKE_SA_INIT: the peer will retransmit */
        return;
    }
    g_autoptr(GError) error = NULL;
    CgMessage *inner = g_new0(CgMessage, 1);
    guint8 *plain = NULL;
    if (!open_sk(ike, msg, raw, raw_len, inner, &plain, &error)) {
        if (g_error_matches(error, CG_FRAGMENT_ERROR, CG_FRAGMENT_ERROR_INCOMPLETE)) {
            g_free(inner); /* a fragment kept, the rest still to come */
            return;
        }
        cg_engine_count_dropped(ike->engine);
        cg_ike_sa_log(ike, CG_LOG_INFO, "dropped %s request %u: %s",
                      cg_exchange_name(msg->header.exchange_type), id, error->message);
        /* RFC 7296 2.5: answer an unknown critical payload inside SK */
        if (g_error_matches(error, CG_CODEC_ERROR, CG_CODEC_ERROR_CRITICAL) && plain == NULL
            && inner->unsupported_critical) {
            guint8 t = inner->unsupported_critical;
            ike->msg_id_next_in++;
            g_autoptr(GByteArray) resp = g_byte_array_new();
            CgChainBuilder cb;
            cg_chain_init(&cb, resp);
            cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
            cg_ike_sa_send_response(ike, msg->header.exchange_type, id, resp, cb.first_type);
        }
        g_free(inner);
        return;
    }
    if (!cg_auth_cert_check_hold(ike, FALSE, msg->header.exchange_type, id, inner, local, remote,
                                 natt))
        request_opened(ike, msg->header.exchange_type, id, inner, local, remote, natt);
    g_free(plain);
    g_free(inner);
}

/* The response to our active request, decrypted: its exchange takes it. */
static void
response_opened(CgIkeSa *ike, const CgMessage *inner, GSocketAddress *local, GSocketAddress *remote,
                gboolean natt)
{
    cg_ike_sa_note_alive(ike);
    release_deferred_response(ike);
    if (!cg_mobike_on_message(ike, local, remote, natt))
        update_addresses(ike, local, remote, natt);
    CgExchange *x = ike->active;
    switch (x->kind) {
        case CG_X_IKE_AUTH:
            cg_mobike_note_peer(ike, inner);
            cg_ike_auth_process_response(ike, inner);
            break;
        case CG_X_CREATE_CHILD:
        case CG_X_REKEY_CHILD:
        case CG_X_REKEY_IKE:
            cg_create_child_process_response(ike, x, inner);
            break;
        case CG_X_DELETE_CHILD:
        case CG_X_DELETE_IKE:
        case CG_X_DPD:
        case CG_X_UPDATE_ADDRESSES:
        case CG_X_ROUTABILITY:
            cg_informational_process_response(ike, x, inner);
            break;
        case CG_X_IKE_SA_INIT:
            break;
    }
}

static void
process_response(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw, gsize raw_len,
                 GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    guint32 id = msg->header.message_id;
    if (!ike->active || !ike->active_packet || id != ike->active_msg_id) {
        cg_engine_count_dropped(ike->engine);
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "dropped unexpected response %u", id);
        return;
    }
    if (msg->header.exchange_type == CG_EXCH_IKE_SA_INIT) {
        if (ike->active->kind == CG_X_IKE_SA_INIT)
            cg_ike_init_process_response(ike, msg, raw, raw_len);
        return;
    }
    if (ike->crypto_busy) {
        /* a copy is held while its certificates are checked */
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "response %u dropped: its first copy is being checked",
                      id);
        return;
    }
    g_autoptr(GError) error = NULL;
    CgMessage *inner = g_new0(CgMessage, 1);
    guint8 *plain = NULL;
    if (!open_sk(ike, msg, raw, raw_len, inner, &plain, &error)) {
        if (g_error_matches(error, CG_FRAGMENT_ERROR, CG_FRAGMENT_ERROR_INCOMPLETE)) {
            g_free(inner);
            return;
        }
        cg_engine_count_dropped(ike->engine);
        cg_ike_sa_log(ike, CG_LOG_INFO, "dropped %s response %u: %s",
                      cg_exchange_name(msg->header.exchange_type), id, error->message);
        g_free(inner);
        return;
    }
    if (cg_auth_cert_check_hold(ike, TRUE, msg->header.exchange_type, id, inner, local, remote,
                                natt))
        clear_timer(ike, &ike->retransmit_timer); /* the answer is in, only held */
    else
        response_opened(ike, inner, local, remote, natt);
    g_free(plain);
    g_free(inner);
}

void
cg_ike_sa_replay(CgIkeSa *ike, gboolean response, guint8 exchange_type, guint32 msg_id,
                 const CgMessage *msg, GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    if (ike->state == CG_IKE_STATE_DEAD)
        return;
    /* what happened meanwhile (a timeout, a Delete) may have moved on */
    if (response) {
        if (ike->active && ike->active_packet && msg_id == ike->active_msg_id)
            response_opened(ike, msg, local, remote, natt);
    } else if (msg_id == ike->msg_id_next_in) {
        request_opened(ike, exchange_type, msg_id, msg, local, remote, natt);
    }
}

void
cg_ike_sa_process(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw, gsize raw_len,
                  GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    if (ike->state == CG_IKE_STATE_DEAD)
        return;
    if (msg->header.flags & CG_FLAG_RESPONSE)
        process_response(ike, msg, raw, raw_len, local, remote, natt);
    else
        process_request(ike, msg, raw, raw_len, local, remote, natt);
}

/* ---- snapshots -------------------------------------------------------- */

static GPtrArray *
addr_strings(GPtrArray *addrs)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < addrs->len; i++)
        g_ptr_array_add(out, g_inet_address_to_string(addrs->pdata[i]));
    return out;
}

static const char *
auth_name(CgAuthBy a)
{
    switch (a) {
        case CG_AUTH_BY_PSK:
            return "psk";
        case CG_AUTH_BY_PUBKEY:
            return "pubkey";
        case CG_AUTH_BY_EAP:
            return "eap";
    }
    return "none";
}

CgIkeSnapshot *
cg_ike_sa_snapshot(CgIkeSa *ike)
{
    CgIkeSnapshot *s = g_new0(CgIkeSnapshot, 1);
    s->conn_name = g_strdup(ike->config->name);
    s->unique_id = ike->unique_id;
    s->state = ike->state;
    s->initiator = ike->initiator;
    memcpy(s->spi_i, ike->spi_i, 8);
    memcpy(s->spi_r, ike->spi_r, 8);
    s->local = ike->local ? g_object_ref(G_INET_SOCKET_ADDRESS(ike->local)) : NULL;
    s->remote = ike->remote ? g_object_ref(G_INET_SOCKET_ADDRESS(ike->remote)) : NULL;
    s->nat_local = ike->nat_local;
    s->nat_remote = ike->nat_remote;
    if (ike->algs.encr_id) {
        CgIkeAlgs *a = &ike->algs;
        GString *p = g_string_new(cg_encr_name_bits(a->encr_id, a->encr_key_bits));
        if (a->integ_id)
            g_string_append_printf(p, "-%s", cg_integ_name(a->integ_id));
        g_string_append_printf(p, "-%s-%s", cg_prf_name(a->prf_id), cg_dh_name(ike->dh_group));
        s->proposal = g_string_free(p, FALSE);
    }
    s->local_id = ike->local_id.type ? cg_identity_to_string(&ike->local_id) : NULL;
    s->remote_id = ike->peer_id.type ? cg_identity_to_string(&ike->peer_id) : NULL;
    s->local_auth = g_strdup(auth_name(ike->config->local_auth));
    s->remote_auth = g_strdup(auth_name(ike->config->remote_auth));
    cg_auth_fill_snapshot(ike, s); /* method names, peer certificate, EAP identity */
    s->local_vips = addr_strings(ike->local_vips);
    s->remote_vips = addr_strings(ike->remote_vips);
    s->dns = addr_strings(ike->dns);
    s->split_subnets = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < ike->subnets->len; i++)
        g_ptr_array_add(s->split_subnets, g_strdup(ike->subnets->pdata[i]));
    s->dns_domains = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < ike->dns_domains->len; i++)
        g_ptr_array_add(s->dns_domains, g_strdup(ike->dns_domains->pdata[i]));
    s->established_at = ike->established_at;
    s->rekey_at = ike->rekey_at;
    s->reauth_at = ike->reauth_at;
    s->children = g_ptr_array_new_with_free_func((GDestroyNotify)cg_child_snapshot_free);
    for (guint i = 0; i < ike->children->len; i++)
        g_ptr_array_add(s->children, cg_child_sa_snapshot(ike->children->pdata[i]));
    return s;
}

/* ---- notify helpers --------------------------------------------------- */

void
cg_chain_add_notify(CgChainBuilder *cb, guint8 proto, const guint8 *spi, guint8 spi_size,
                    guint16 type, const guint8 *data, gsize len)
{
    gsize off = cg_chain_begin_payload(cb, CG_PL_NOTIFY, FALSE);
    cg_payload_write_notify(cb->buf, proto, spi, spi_size, type, data, len);
    cg_chain_end_payload(cb, off);
}

gboolean
cg_message_find_notify(const CgMessage *msg, guint16 type, CgNotifyPayload *out)
{
    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        if (p->type != CG_PL_NOTIFY)
            continue;
        CgNotifyPayload n;
        if (!cg_payload_parse_notify(p->body, p->body_len, &n, NULL))
            continue;
        if (n.type == type) {
            if (out)
                *out = n;
            return TRUE;
        }
    }
    return FALSE;
}

guint16
cg_message_error_notify(const CgMessage *msg)
{
    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        if (p->type != CG_PL_NOTIFY)
            continue;
        CgNotifyPayload n;
        if (cg_payload_parse_notify(p->body, p->body_len, &n, NULL) && CG_NOTIFY_IS_ERROR(n.type))
            return n.type;
    }
    return 0;
}

CgReason
cg_reason_from_notify(guint16 type)
{
    switch (type) {
        case CG_N_AUTHENTICATION_FAILED:
            return CG_REASON_AUTH_FAILED;
        case CG_N_NO_PROPOSAL_CHOSEN:
        case CG_N_INVALID_KE_PAYLOAD:
            return CG_REASON_NO_PROPOSAL;
        case CG_N_TS_UNACCEPTABLE:
        case CG_N_SINGLE_PAIR_REQUIRED:
            return CG_REASON_TS_UNACCEPTABLE;
        case CG_N_INTERNAL_ADDRESS_FAILURE:
        case CG_N_FAILED_CP_REQUIRED:
            return CG_REASON_ADDRESS_FAILURE;
        default:
            return CG_REASON_PROTOCOL_ERROR;
    }
}
