/* cg-mobike.c: moving IKE_SAs and their CHILD_SAs between addresses:
 * MOBIKE (RFC 4555) in both roles, fast re-establishment for peers
 * without it, NAT mapping changes, liveness checks after a resume. See
 * cg-mobike.h for the overview. */
#include "sa/cg-sa-private.h"

#include <string.h>
#include <sys/socket.h>

#include "net/cg-net.h"
#include "sa/cg-fragment.h"

/* RFC 4555 4.1: error notifies the codec does not name */
#define N_UNACCEPTABLE_ADDRESSES  40
#define N_UNEXPECTED_NAT_DETECTED 41
/* RFC 4555 4.2.5: COOKIE2 data is 8 to 64 octets */
#define COOKIE2_LEN     16
#define COOKIE2_MIN_LEN 8
#define COOKIE2_MAX_LEN 64
#define NATD_LEN        20
#define KEEPALIVE_MS    20000

struct CgMobikeState {
    gboolean peer_supports;      /* MOBIKE_SUPPORTED received in IKE_AUTH */
    gboolean pending_update;     /* RFC 4555 3.5: addresses changed since the last
                                  * UPDATE_SA_ADDRESSES was sent */
    guint8 cookie2[COOKIE2_LEN]; /* of our outstanding UPDATE or routability check */
    /* the datagram of the message being processed (RFC 4555 3.5: the
     * responder takes the new addresses from the IP header) */
    GSocketAddress *rx_local, *rx_remote;
    gboolean rx_natt;
    /* responder: where the CHILD_SAs send now (NULL: the IKE_SA's address
     * at establishment), and the address a return routability check runs for */
    GSocketAddress *esp_remote;
    GSocketAddress *rr_remote;
    /* initiator: the peer's last NAT_DETECTION_DESTINATION_IP, to notice a
     * NAT mapping that changed (RFC 4555 3.8) */
    guint8 natd_seen[NATD_LEN];
    gboolean have_natd_seen;
    guint keepalive_timer; /* NAT keepalives once a move put us behind a NAT */
    gint64 moved_at_us;    /* monotonic time of the last local move */
};

static CgMobikeState *
state(CgIkeSa *ike)
{
    if (!ike->mobike)
        ike->mobike = g_new0(CgMobikeState, 1);
    return ike->mobike;
}

static void
stop_keepalive(CgIkeSa *ike)
{
    if (ike->mobike && ike->mobike->keepalive_timer) {
        cg_engine_timer_remove(ike->engine, ike->mobike->keepalive_timer);
        ike->mobike->keepalive_timer = 0;
    }
}

void
cg_mobike_sa_free(CgIkeSa *ike)
{
    CgMobikeState *st = ike->mobike;
    if (!st)
        return;
    stop_keepalive(ike);
    ike->mobike = NULL;
    g_clear_object(&st->rx_local);
    g_clear_object(&st->rx_remote);
    g_clear_object(&st->esp_remote);
    g_clear_object(&st->rr_remote);
    g_free(st);
}

void
cg_mobike_sa_destroyed(CgIkeSa *ike)
{
    CgMobikeState *st = ike->mobike;
    if (!st)
        return;
    stop_keepalive(ike);
    /* an IKE rekey (RFC 7296 2.18) keeps what IKE_AUTH negotiated */
    if (ike->rekeyed_to && st->peer_supports)
        state(ike->rekeyed_to)->peer_supports = TRUE;
}

/* While the old SA of an IKE rekey still lives, its successor asks it. */
static void
inherit(CgIkeSa *ike)
{
    GPtrArray *all = cg_engine_all_sas(ike->engine);
    for (guint i = 0; i < all->len; i++) {
        CgIkeSa *old = all->pdata[i];
        if (old->rekeyed_to == ike && old->mobike && old->mobike->peer_supports) {
            state(ike)->peer_supports = TRUE;
            return;
        }
    }
}

gboolean
cg_mobike_negotiated(CgIkeSa *ike)
{
    if (!ike->config->mobike)
        return FALSE;
    if (!ike->mobike || !ike->mobike->peer_supports)
        inherit(ike);
    return ike->mobike && ike->mobike->peer_supports;
}

/* ---- IKE_AUTH: RFC 4555 3.2 ---------------------------------------------- */

void
cg_mobike_add_supported(CgIkeSa *ike, CgChainBuilder *cb)
{
    if (!ike->config->mobike)
        return;
    /* the responder answers the initiator's offer; it never offers first */
    if (!ike->initiator && !(ike->mobike && ike->mobike->peer_supports))
        return;
    cg_chain_add_notify(cb, 0, NULL, 0, CG_N_MOBIKE_SUPPORTED, NULL, 0);
}

void
cg_mobike_note_peer(CgIkeSa *ike, const CgMessage *msg)
{
    if (!ike->config->mobike || !cg_message_find_notify(msg, CG_N_MOBIKE_SUPPORTED, NULL))
        return;
    CgMobikeState *st = state(ike);
    if (!st->peer_supports)
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "the peer supports MOBIKE (RFC 4555)");
    st->peer_supports = TRUE;
}

/* ---- NAT detection with the SPIs of the IKE_SA (RFC 7296 2.23) ----------- */

static void
add_natd(CgChainBuilder *cb, CgIkeSa *ike, GSocketAddress *src, GSocketAddress *dst)
{
    guint8 h[NATD_LEN];
    cg_natd_hash(ike->spi_i, ike->spi_r, src, h);
    cg_chain_add_notify(cb, 0, NULL, 0, CG_N_NAT_DETECTION_SOURCE_IP, h, NATD_LEN);
    cg_natd_hash(ike->spi_i, ike->spi_r, dst, h);
    cg_chain_add_notify(cb, 0, NULL, 0, CG_N_NAT_DETECTION_DESTINATION_IP, h, NATD_LEN);
}

static gboolean
has_natd(const CgMessage *msg)
{
    return cg_message_find_notify(msg, CG_N_NAT_DETECTION_SOURCE_IP, NULL)
           || cg_message_find_notify(msg, CG_N_NAT_DETECTION_DESTINATION_IP, NULL);
}

/* Compares the peer's NAT detection notifies with the addresses the
 * datagram had: *nat_peer when its source was translated, *nat_us when
 * the address it sent to is not ours. dst_hash (may be NULL) gets the
 * peer's NAT_DETECTION_DESTINATION_IP. FALSE when either is missing. */
static gboolean
check_natd(CgIkeSa *ike, const CgMessage *msg, GSocketAddress *peer_src, GSocketAddress *our_dst,
           gboolean *nat_peer, gboolean *nat_us, guint8 *dst_hash)
{
    guint8 want_src[NATD_LEN], want_dst[NATD_LEN];
    cg_natd_hash(ike->spi_i, ike->spi_r, peer_src, want_src);
    cg_natd_hash(ike->spi_i, ike->spi_r, our_dst, want_dst);
    gboolean have_src = FALSE, have_dst = FALSE, src_match = FALSE, dst_match = FALSE;
    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        CgNotifyPayload n;
        if (p->type != CG_PL_NOTIFY || !cg_payload_parse_notify(p->body, p->body_len, &n, NULL))
            continue;
        if (n.type == CG_N_NAT_DETECTION_SOURCE_IP) {
            if (n.data_len != NATD_LEN) {
                cg_ike_sa_log(ike, CG_LOG_INFO, "ignored NAT_DETECTION_SOURCE_IP of %zu bytes (%u)",
                              n.data_len, NATD_LEN);
                continue;
            }
            have_src = TRUE;
            /* a multihomed peer may send several */
            if (memcmp(n.data, want_src, NATD_LEN) == 0)
                src_match = TRUE;
        } else if (n.type == CG_N_NAT_DETECTION_DESTINATION_IP) {
            if (n.data_len != NATD_LEN) {
                cg_ike_sa_log(ike, CG_LOG_INFO,
                              "ignored NAT_DETECTION_DESTINATION_IP of %zu bytes (%u)", n.data_len,
                              NATD_LEN);
                continue;
            }
            have_dst = TRUE;
            dst_match = memcmp(n.data, want_dst, NATD_LEN) == 0;
            if (dst_hash)
                memcpy(dst_hash, n.data, NATD_LEN);
        }
    }
    if (!have_src || !have_dst)
        return FALSE;
    *nat_peer = !src_match;
    /* a connection that forces encapsulation pretends to be behind one */
    *nat_us = !dst_match || ike->config->force_encap;
    return TRUE;
}

/* ---- the IPsec SAs follow the IKE_SA ----------------------------------- */

static gboolean
on_keepalive(gpointer data)
{
    CgIkeSa *ike = data;
    if (ike->natt && ike->nat_local && ike->state != CG_IKE_STATE_DEAD)
        cg_engine_send_keepalive(ike->engine, ike->local, ike->remote);
    return G_SOURCE_CONTINUE;
}

/* RFC 3948 4: keepalives once a move put us behind a NAT (the SA's own
 * timer runs only when it was behind one from the start) */
static void
arm_keepalive(CgIkeSa *ike)
{
    CgMobikeState *st = state(ike);
    if (st->keepalive_timer || ike->keepalive_timer || !(ike->natt && ike->nat_local))
        return;
    st->keepalive_timer = cg_engine_timer_add(ike->engine, KEEPALIVE_MS, on_keepalive, ike);
}

/* Moves every installed CHILD_SA to the IKE_SA's addresses, with UDP
 * encapsulation exactly when a NAT is in between (RFC 3948). */
static void
move_children(CgIkeSa *ike, const char *why)
{
    CgKernel *k = cg_engine_kernel(ike->engine);
    g_set_object(&state(ike)->esp_remote, ike->remote);
    if (!k->ops->update_sa || !ike->children->len)
        return;
    gboolean encap = ike->natt && (ike->nat_local || ike->nat_remote);
    guint16 local_port = encap ? cg_sockaddr_port(ike->local) : 0;
    guint16 remote_port = encap ? cg_sockaddr_port(ike->remote) : 0;
    GInetAddress *l = cg_sockaddr_inet(ike->local);
    GInetAddress *r = cg_sockaddr_inet(ike->remote);
    guint moved = 0;
    for (guint i = 0; i < ike->children->len; i++) {
        CgChildSa *c = ike->children->pdata[i];
        if (!c->installed)
            continue;
        g_autoptr(GError) error = NULL;
        if (!k->ops->update_sa(k, c->spi_in, TRUE, r, l, remote_port, local_port, &error)
            || !k->ops->update_sa(k, c->spi_out, FALSE, l, r, local_port, remote_port, &error)) {
            cg_ike_sa_log(ike, CG_LOG_WARNING, "cannot move CHILD_SA %s{%u}: %s", c->config->name,
                          c->unique_id, error->message);
            continue;
        }
        moved++;
    }
    g_autofree char *ls = cg_sockaddr_to_string(ike->local);
    g_autofree char *rs = cg_sockaddr_to_string(ike->remote);
    cg_ike_sa_log(ike, CG_LOG_INFO, "%u CHILD_SA%s moved to %s - %s%s (%s)", moved,
                  moved == 1 ? "" : "s", ls, rs, encap ? ", UDP-encapsulated" : "", why);
}

void
cg_mobike_peer_moved(CgIkeSa *ike)
{
    if (ike->children->len)
        move_children(ike, "the peer's address changed, RFC 7296 2.23");
}

/* ---- receiving ---------------------------------------------------------- */

gboolean
cg_mobike_on_message(CgIkeSa *ike, GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    CgMobikeState *st = ike->mobike;
    if (!st || !st->peer_supports || !ike->config->mobike)
        return FALSE;
    g_set_object(&st->rx_local, local);
    g_set_object(&st->rx_remote, remote);
    st->rx_natt = natt;
    /* RFC 7296 2.23 still holds for a peer behind a NAT: its mapping may
     * change without it noticing, so the responder follows it */
    if (!ike->initiator && ike->nat_remote)
        return FALSE;
    return TRUE;
}

/* ---- initiator: UPDATE_SA_ADDRESSES (RFC 4555 3.5) ------------------------ */

static gboolean
exchange_waiting(CgIkeSa *ike, CgExchangeKind kind)
{
    for (GList *l = ike->pending.head; l; l = l->next)
        if (((CgExchange *)l->data)->kind == kind)
            return TRUE;
    return FALSE;
}

/* Runs an exchange as soon as the window allows, ahead of what waits. */
static void
queue_first(CgIkeSa *ike, CgExchangeKind kind)
{
    if (exchange_waiting(ike, kind))
        return; /* it takes the addresses of the moment it starts */
    CgExchange *x = cg_exchange_new(kind);
    if (ike->active)
        g_queue_push_head(&ike->pending, x);
    else
        cg_ike_sa_queue(ike, x);
}

static void
queue_update(CgIkeSa *ike)
{
    state(ike)->pending_update = TRUE;
    /* one in flight carries stale addresses: its response queues another */
    if (ike->active && ike->active->kind == CG_X_UPDATE_ADDRESSES)
        return;
    queue_first(ike, CG_X_UPDATE_ADDRESSES);
}

static void
send_update(CgIkeSa *ike)
{
    CgMobikeState *st = state(ike);
    st->pending_update = FALSE;
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_UPDATE_SA_ADDRESSES, NULL, 0);
    add_natd(&cb, ike, ike->local, ike->remote);
    /* RFC 4555 3.5: COOKIE2 checks that the answer comes from the peer's
     * address (return routability) */
    cg_random_bytes(st->cookie2, COOKIE2_LEN);
    cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_COOKIE2, st->cookie2, COOKIE2_LEN);
    g_autofree char *l = cg_sockaddr_to_string(ike->local);
    g_autofree char *r = cg_sockaddr_to_string(ike->remote);
    cg_ike_sa_log(ike, CG_LOG_INFO, "sending UPDATE_SA_ADDRESSES from %s to %s", l, r);
    cg_ike_sa_send_request(ike, CG_EXCH_INFORMATIONAL, inner, cb.first_type);
}

static gboolean
cookie2_echoed(CgIkeSa *ike, const CgMessage *msg)
{
    CgNotifyPayload n;
    return cg_message_find_notify(msg, CG_N_COOKIE2, &n) && n.data_len == COOKIE2_LEN
           && memcmp(n.data, state(ike)->cookie2, COOKIE2_LEN) == 0;
}

/* The peer's view of the addresses, from its NAT detection notifies. */
static void
apply_nat_view(CgIkeSa *ike, const CgMessage *msg, const char *what)
{
    CgMobikeState *st = state(ike);
    gboolean nat_peer, nat_us;
    guint8 seen[NATD_LEN];
    if (!check_natd(ike, msg, ike->remote, ike->local, &nat_peer, &nat_us, seen))
        return;
    memcpy(st->natd_seen, seen, NATD_LEN);
    st->have_natd_seen = TRUE;
    if (nat_peer == ike->nat_remote && nat_us == ike->nat_local)
        return;
    cg_ike_sa_log(ike, CG_LOG_INFO, "%s: %s NAT now (we %s, the peer %s)", what,
                  nat_peer || nat_us ? "behind a" : "no", nat_us ? "behind one" : "not",
                  nat_peer ? "behind one" : "not");
    ike->nat_remote = nat_peer;
    ike->nat_local = nat_us;
    move_children(ike, "NAT detection, RFC 4555 3.5");
    arm_keepalive(ike);
}

static void
update_response(CgIkeSa *ike, const CgMessage *msg)
{
    CgMobikeState *st = state(ike);
    guint16 err = cg_message_error_notify(msg);
    if (err == N_UNACCEPTABLE_ADDRESSES || err == N_UNEXPECTED_NAT_DETECTED) {
        /* RFC 4555 3.5: keep the addresses; the next change tries again */
        cg_ike_sa_log(ike, CG_LOG_WARNING, "the peer refused our new addresses (%s)",
                      err == N_UNACCEPTABLE_ADDRESSES ? "UNACCEPTABLE_ADDRESSES"
                                                      : "UNEXPECTED_NAT_DETECTED");
        return;
    }
    if (err) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "UPDATE_SA_ADDRESSES answered with %s",
                      cg_notify_name(err));
        return;
    }
    if (st->pending_update)
        return; /* answers addresses we have left already */
    if (!cookie2_echoed(ike, msg)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING,
                      "the answer to UPDATE_SA_ADDRESSES does not echo our COOKIE2: NAT state "
                      "not taken from it");
        return;
    }
    apply_nat_view(ike, msg, "after the move");
    g_autofree char *l = cg_sockaddr_to_string(ike->local);
    if (!st->moved_at_us) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "the peer follows us at %s (MOBIKE)", l);
        return;
    }
    gint64 took_ms = (g_get_monotonic_time() - st->moved_at_us) / 1000;
    st->moved_at_us = 0;
    cg_ike_sa_log(ike, CG_LOG_INFO,
                  "the peer follows us to %s (MOBIKE), %" G_GINT64_FORMAT
                  " ms after the address change",
                  l, took_ms);
}

/* RFC 4555 3.5: the initiator moves itself and its IPsec SAs at once,
 * resends what is outstanding from there, then tells the peer. */
static void
mobike_move(CgIkeSa *ike, GInetAddress *new_ip)
{
    CgMobikeState *st = state(ike);
    guint16 local_port = cg_sockaddr_port(ike->local);
    g_autoptr(GSocketAddress) remote = g_object_ref(ike->remote);
    if (!ike->natt && cg_sockaddr_port(ike->remote) == 500) {
        /* a MOBIKE SA may meet a NAT on the next network: talk on the
         * NAT-T ports from now on (RFC 7296 2.23) */
        ike->natt = TRUE;
        local_port = cg_engine_natt_port(ike->engine);
        g_object_unref(remote);
        remote = g_inet_socket_address_new(cg_sockaddr_inet(ike->remote), 4500);
    }
    g_autoptr(GSocketAddress) local = g_inet_socket_address_new(new_ip, local_port);
    g_autofree char *from = cg_sockaddr_to_string(ike->local);
    g_autofree char *to = cg_sockaddr_to_string(local);
    cg_ike_sa_log(ike, CG_LOG_INFO, "local address changed from %s to %s: moving with MOBIKE", from,
                  to);
    g_set_object(&ike->local, local);
    g_set_object(&ike->remote, remote);
    st->moved_at_us = g_get_monotonic_time();
    move_children(ike, "our address changed, RFC 4555 3.5");
    if (ike->active_packet) {
        /* the old path may have eaten earlier tries: a full set from here
         * (an UPDATE among them carries stale NAT detection; the next one
         * corrects it) */
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "resending request %u from the new address",
                      ike->active_msg_id);
        ike->active_tries = 0;
        cg_ike_sa_send_raw(ike, ike->active_packet);
    }
    queue_update(ike);
}

/* ---- responder: following the peer, return routability (RFC 4555 3.5, 3.7) -- */

static void
send_routability_check(CgIkeSa *ike)
{
    CgMobikeState *st = state(ike);
    g_set_object(&st->rr_remote, ike->remote);
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    cg_random_bytes(st->cookie2, COOKIE2_LEN);
    cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_COOKIE2, st->cookie2, COOKIE2_LEN);
    g_autofree char *r = cg_sockaddr_to_string(ike->remote);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "checking that %s is reachable (COOKIE2)", r);
    cg_ike_sa_send_request(ike, CG_EXCH_INFORMATIONAL, inner, cb.first_type);
}

static void
routability_response(CgIkeSa *ike, const CgMessage *msg)
{
    CgMobikeState *st = state(ike);
    g_autoptr(GSocketAddress) checked = g_steal_pointer(&st->rr_remote);
    if (!checked)
        return;
    g_autofree char *r = cg_sockaddr_to_string(checked);
    if (!cookie2_echoed(ike, msg)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING,
                      "return routability check of %s failed: COOKIE2 not echoed; the CHILD_SAs "
                      "stay where they are",
                      r);
        return;
    }
    if (!cg_sockaddr_equal(checked, ike->remote)) {
        /* the peer moved again meanwhile: check the new place */
        queue_first(ike, CG_X_ROUTABILITY);
        return;
    }
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "%s is reachable (COOKIE2 echoed)", r);
    move_children(ike, "the peer moved, return routability checked, RFC 4555 3.7");
}

/* Takes the new addresses from the request's IP header. TRUE when the
 * CHILD_SAs wait for a return routability check. */
static gboolean
follow_peer(CgIkeSa *ike, const CgMessage *msg, gboolean *children_now)
{
    CgMobikeState *st = state(ike);
    GSocketAddress *from = st->rx_remote ? st->rx_remote : ike->remote;
    GSocketAddress *to = st->rx_local ? st->rx_local : ike->local;
    gboolean nat_peer = ike->nat_remote, nat_us = ike->nat_local;
    if (!check_natd(ike, msg, from, to, &nat_peer, &nat_us, NULL))
        cg_ike_sa_log(ike, CG_LOG_INFO,
                      "UPDATE_SA_ADDRESSES without NAT detection: NAT state kept");
    GSocketAddress *esp_remote = st->esp_remote ? st->esp_remote : ike->remote;
    gboolean ip_changed
        = !g_inet_address_equal(cg_sockaddr_inet(esp_remote), cg_sockaddr_inet(from));
    gboolean changed = ip_changed || !cg_sockaddr_equal(esp_remote, from)
                       || nat_peer != ike->nat_remote || nat_us != ike->nat_local;
    g_autofree char *old = cg_sockaddr_to_string(ike->remote);
    g_autofree char *new = cg_sockaddr_to_string(from);
    /* a peer behind a NAT was followed already (RFC 7296 2.23) */
    if (cg_sockaddr_equal(ike->remote, from))
        cg_ike_sa_log(ike, CG_LOG_INFO,
                      "UPDATE_SA_ADDRESSES from %s, where the IKE_SA is already%s", new,
                      nat_peer ? " (the peer is behind a NAT)" : "");
    else
        cg_ike_sa_log(ike, CG_LOG_INFO, "the peer moves from %s to %s (UPDATE_SA_ADDRESSES)%s", old,
                      new, nat_peer ? ", behind a NAT" : "");
    if (!g_inet_address_get_is_any(cg_sockaddr_inet(to)))
        g_set_object(&ike->local, to);
    g_set_object(&ike->remote, from);
    if (st->rx_local)
        ike->natt = st->rx_natt;
    ike->nat_remote = nat_peer;
    ike->nat_local = nat_us;
    *children_now = changed && !ip_changed;
    /* a new IP address is used for ESP only once it proved reachable */
    return ip_changed;
}

/* ---- INFORMATIONAL hooks ----------------------------------------------- */

void
cg_mobike_send(CgIkeSa *ike, CgExchange *x)
{
    if (x->kind == CG_X_UPDATE_ADDRESSES)
        send_update(ike);
    else
        send_routability_check(ike);
}

void
cg_mobike_process_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg)
{
    gboolean update = x->kind == CG_X_UPDATE_ADDRESSES;
    if (update)
        update_response(ike, msg);
    else
        routability_response(ike, msg);
    cg_ike_sa_exchange_done(ike);
    if (update && ike->mobike && ike->mobike->pending_update && ike->state != CG_IKE_STATE_DEAD)
        queue_update(ike);
}

gboolean
cg_mobike_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    gboolean update = cg_message_find_notify(msg, CG_N_UPDATE_SA_ADDRESSES, NULL);
    CgNotifyPayload cookie;
    gboolean has_cookie = cg_message_find_notify(msg, CG_N_COOKIE2, &cookie);
    gboolean natd = has_natd(msg);
    /* Deletes take the ordinary way */
    if ((!update && !has_cookie && !natd) || cg_message_find(msg, CG_PL_DELETE))
        return FALSE;
    if (has_cookie && (cookie.data_len < COOKIE2_MIN_LEN || cookie.data_len > COOKIE2_MAX_LEN)) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "COOKIE2 of %zu bytes (%u..%u): answering INVALID_SYNTAX",
                      cookie.data_len, COOKIE2_MIN_LEN, COOKIE2_MAX_LEN);
        cg_ike_sa_respond_error(ike, CG_EXCH_INFORMATIONAL, msg_id, CG_N_INVALID_SYNTAX, 0, NULL,
                                0);
        return TRUE;
    }
    gboolean rr_needed = FALSE, children_now = FALSE;
    if (update) {
        if (ike->initiator)
            cg_ike_sa_log(ike, CG_LOG_INFO,
                          "ignored UPDATE_SA_ADDRESSES: only the original "
                          "initiator moves an IKE_SA (RFC 4555 3.5)");
        else if (!cg_mobike_negotiated(ike))
            cg_ike_sa_log(ike, CG_LOG_INFO,
                          "ignored UPDATE_SA_ADDRESSES: MOBIKE was not negotiated on this IKE_SA");
        else
            rr_needed = follow_peer(ike, msg, &children_now);
    }
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    if (natd) {
        /* our view of the datagram: its destination is our source */
        CgMobikeState *st = ike->mobike;
        GSocketAddress *to = st && st->rx_local ? st->rx_local : ike->local;
        GSocketAddress *from = st && st->rx_remote ? st->rx_remote : ike->remote;
        if (g_inet_address_get_is_any(cg_sockaddr_inet(to)))
            to = ike->local;
        add_natd(&cb, ike, to, from);
    }
    if (has_cookie) /* RFC 4555 3.5: echoed unchanged */
        cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_COOKIE2, cookie.data, cookie.data_len);
    cg_ike_sa_send_response(ike, CG_EXCH_INFORMATIONAL, msg_id, inner, cb.first_type);
    if (rr_needed)
        queue_first(ike, CG_X_ROUTABILITY);
    else if (children_now)
        move_children(ike, "the peer moved, RFC 4555 3.5");
    if ((rr_needed || children_now) && ike->active && ike->active_packet
        && ike->active->kind != CG_X_ROUTABILITY)
        cg_ike_sa_send_raw(ike, ike->active_packet); /* outstanding: to the new place now */
    return TRUE;
}

void
cg_mobike_add_dpd_payloads(CgIkeSa *ike, CgChainBuilder *cb)
{
    /* RFC 4555 3.8: behind a NAT, the answer shows whether its mapping
     * still holds */
    if (ike->initiator && ike->natt && ike->nat_local && cg_mobike_negotiated(ike))
        add_natd(cb, ike, ike->local, ike->remote);
}

void
cg_mobike_dpd_response(CgIkeSa *ike, const CgMessage *msg)
{
    if (!ike->initiator || !ike->mobike || !ike->mobike->peer_supports || !has_natd(msg))
        return;
    CgMobikeState *st = ike->mobike;
    guint8 before[NATD_LEN];
    gboolean had = st->have_natd_seen;
    memcpy(before, st->natd_seen, NATD_LEN);
    apply_nat_view(ike, msg, "liveness check");
    if (had && st->have_natd_seen && memcmp(before, st->natd_seen, NATD_LEN) != 0) {
        cg_ike_sa_log(ike, CG_LOG_INFO,
                      "our NAT mapping changed: updating the peer (RFC 4555 3.8)");
        queue_update(ike);
    }
}

/* ---- fast re-establishment without MOBIKE ------------------------------- */

/* Best effort, never retransmitted: the peer may hear it from the new
 * address and free its side at once. */
static void
send_delete_once(CgIkeSa *ike, GInetAddress *new_ip)
{
    if (!ike->cipher_out || ike->active)
        return; /* the window is busy: INITIAL_CONTACT of the new SA will do */
    g_autoptr(GByteArray) inner = g_byte_array_new();
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    CgDeletePayload d = { .protocol_id = CG_PROTO_IKE };
    gsize off = cg_chain_begin_payload(&cb, CG_PL_DELETE, FALSE);
    cg_payload_write_delete(inner, &d);
    cg_chain_end_payload(&cb, off);
    g_autoptr(GBytes) packet = cg_ike_sa_seal(ike, CG_EXCH_INFORMATIONAL, FALSE,
                                              ike->msg_id_next_out, inner, cb.first_type);
    if (!packet)
        return;
    g_autoptr(GSocketAddress) from
        = g_inet_socket_address_new(new_ip, cg_sockaddr_port(ike->local));
    gsize len;
    const guint8 *data = g_bytes_get_data(packet, &len);
    cg_fragment_send_bundle(ike->engine, from, ike->remote, ike->natt, data, len);
}

static CgIkeSa *
find_sa(CgEngine *engine, guint32 unique_id)
{
    GPtrArray *all = cg_engine_all_sas(engine);
    for (guint i = 0; i < all->len; i++) {
        CgIkeSa *ike = all->pdata[i];
        if (ike->unique_id == unique_id)
            return ike;
    }
    return NULL;
}

/* RFC 7296 has no way to move an IKE_SA: a new one from the new address
 * replaces it, and listeners see it as its successor. */
static void
reestablish(CgIkeSa *ike, GInetAddress *new_ip)
{
    CgEngine *engine = ike->engine;
    g_autofree char *conn = g_strdup(ike->config->name);
    g_autofree char *from = g_inet_address_to_string(cg_sockaddr_inet(ike->local));
    g_autofree char *local = g_inet_address_to_string(new_ip);
    g_autofree char *remote = g_inet_address_to_string(cg_sockaddr_inet(ike->remote));
    guint32 old_id = ike->unique_id;
    cg_ike_sa_log(ike, CG_LOG_INFO,
                  "local address changed from %s to %s and the peer has no MOBIKE: "
                  "re-establishing",
                  from, local);
    if (!cg_engine_conn_is_loaded(engine, ike->config)) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "its connection is no longer loaded: closing instead");
        cg_delete_ike_start(ike, CG_REASON_USER);
        return;
    }
    g_autoptr(GError) error = NULL;
    guint32 new_id = cg_engine_initiate(engine, conn, local, remote, &error);
    if (!new_id) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "cannot re-establish: %s; keeping the IKE_SA",
                      error->message);
        return;
    }
    /* the old SA goes before the new one authenticates, so that one sends
     * INITIAL_CONTACT and the peer drops what is left (RFC 7296 2.4) */
    send_delete_once(ike, new_ip);
    cg_ike_sa_destroy(ike, CG_REASON_REKEYED, "re-established from a new address");
    CgEvent ev = {
        .type = CG_EVENT_IKE_REKEYED,
        .time_us = g_get_real_time(),
        .conn_name = conn,
        .ike_unique_id = new_id,
        .old_ike_unique_id = old_id,
        .message = "re-established after a change of the local address",
    };
    cg_engine_publish_full(engine, &ev, find_sa(engine, new_id));
}

static void
relocate(CgIkeSa *ike, GInetAddress *new_ip)
{
    if (cg_mobike_negotiated(ike))
        mobike_move(ike, new_ip);
    else
        reestablish(ike, new_ip);
}

/* ---- the engine's entry points -------------------------------------------- */

static gboolean
can_move(CgIkeSa *ike)
{
    return ike->initiator && !ike->rekeyed_to && ike->local && ike->remote
           && (ike->state == CG_IKE_STATE_ESTABLISHED || ike->state == CG_IKE_STATE_REKEYING);
}

/* A connection with a literal local address stays on it. */
static gboolean
local_pinned(CgIkeSa *ike)
{
    const char *l = ike->config->local_addr;
    if (!l || !*l || g_strcmp0(l, "%any") == 0)
        return FALSE;
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(l);
    return a != NULL;
}

static gboolean
is_own_vip(CgIkeSa *ike, GInetAddress *addr)
{
    for (guint i = 0; i < ike->local_vips->len; i++)
        if (g_inet_address_equal(ike->local_vips->pdata[i], addr))
            return TRUE;
    return FALSE;
}

/* Where the route to the peer leaves now; one lookup per peer and pass. */
static GInetAddress *
route_source(CgIkeSa *ike, GHashTable *cache)
{
    GInetAddress *remote = cg_sockaddr_inet(ike->remote);
    g_autofree char *key = g_inet_address_to_string(remote);
    gpointer found;
    if (g_hash_table_lookup_extended(cache, key, NULL, &found))
        return found;
    g_autoptr(GError) error = NULL;
    GInetAddress *src = cg_engine_route_source(ike->engine, remote, &error);
    if (!src)
        cg_ike_sa_log(ike, CG_LOG_DEBUG, "%s; waiting for a way to the peer", error->message);
    g_hash_table_insert(cache, g_steal_pointer(&key), src);
    return src;
}

static void
check_path(CgIkeSa *ike, GHashTable *cache)
{
    if (!can_move(ike) || local_pinned(ike))
        return;
    GInetAddress *src = route_source(ike, cache);
    if (!src || g_inet_address_equal(src, cg_sockaddr_inet(ike->local)) || is_own_vip(ike, src))
        return;
    relocate(ike, src);
}

void
cg_engine_network_changed(CgEngine *engine)
{
    /* copied: re-establishing adds and removes SAs */
    g_autoptr(GPtrArray) sas = g_ptr_array_copy(cg_engine_all_sas(engine), NULL, NULL);
    g_autoptr(GHashTable) cache
        = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
    for (guint i = 0; i < sas->len; i++) {
        CgIkeSa *ike = sas->pdata[i];
        if (ike->state != CG_IKE_STATE_DEAD)
            check_path(ike, cache);
    }
}

/* RFC 7296 2.4: after a long silence, check at once that the peer is
 * still there. */
static void
check_liveness_now(CgIkeSa *ike)
{
    if (ike->state != CG_IKE_STATE_ESTABLISHED || ike->rekeyed_to)
        return;
    if (ike->active_packet) {
        /* the outstanding request is the check: send it again now */
        cg_ike_sa_send_raw(ike, ike->active_packet);
        return;
    }
    if (exchange_waiting(ike, CG_X_DPD))
        return;
    cg_ike_sa_log(ike, CG_LOG_INFO, "checking that the peer is still there");
    cg_dpd_start(ike);
}

void
cg_engine_resumed(CgEngine *engine)
{
    cg_engine_network_changed(engine);
    g_autoptr(GPtrArray) sas = g_ptr_array_copy(cg_engine_all_sas(engine), NULL, NULL);
    for (guint i = 0; i < sas->len; i++) {
        CgIkeSa *ike = sas->pdata[i];
        if (ike->state != CG_IKE_STATE_DEAD)
            check_liveness_now(ike);
    }
}

gboolean
cg_engine_migrate_ike(CgEngine *engine, guint32 ike_unique_id, const char *local_addr,
                      GError **error)
{
    g_autoptr(GInetAddress) addr = local_addr ? g_inet_address_new_from_string(local_addr) : NULL;
    if (!addr) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID, "'%s' is not an IP address",
                    local_addr ? local_addr : "(null)");
        return FALSE;
    }
    CgIkeSa *ike = find_sa(engine, ike_unique_id);
    if (!ike || ike->state == CG_IKE_STATE_DEAD) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND, "no IKE_SA #%u",
                    ike_unique_id);
        return FALSE;
    }
    if (!can_move(ike)) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "IKE_SA #%u cannot move: only an established IKE_SA we initiated can "
                    "(RFC 4555 3.5)",
                    ike_unique_id);
        return FALSE;
    }
    if (g_inet_address_get_family(addr)
        != g_inet_address_get_family(cg_sockaddr_inet(ike->remote))) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "IKE_SA #%u: %s is not of the peer's address family", ike_unique_id,
                    local_addr);
        return FALSE;
    }
    if (!g_inet_address_equal(addr, cg_sockaddr_inet(ike->local)))
        relocate(ike, addr);
    return TRUE;
}
