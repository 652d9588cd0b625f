/* cg-ike-auth.c: the IKE_AUTH exchange (RFC 7296 1.2, 2.15) with PSK
 * authentication, the configuration payload (2.19, 3.15) and the first
 * CHILD_SA (1.2, 2.9). */
#include "sa/cg-sa-private.h"

#include <string.h>

#include "net/cg-net.h"

#define KEY_PAD "Key Pad for IKEv2"

/* RFC 7296 2.15: AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"),
 *   <RealMessage> | <Nonce of the other side> | prf(SK_p, <ID payload body>)) */
static gboolean psk_auth_compute(CgIkeSa *ike, GBytes *psk, gboolean of_initiator,
                                 const guint8 *id_body, gsize id_len, guint8 *out, gsize *out_len,
                                 GError **error)
{
    guint16 prf = ike->algs.prf_id;
    gsize prf_len = cg_prf_output_len(prf);
    guint8 maced_id[64], pad_key[64];
    const guint8 *sk_p = of_initiator ? ike->keys.sk_pi : ike->keys.sk_pr;
    CgIov id_iov = {id_body, id_len};
    if (!cg_prf(prf, sk_p, ike->keys.prf_len, &id_iov, 1, maced_id, error))
        return FALSE;
    GBytes *msg = of_initiator ? ike->init_request : ike->init_response;
    GBytes *nonce = of_initiator ? ike->nonce_r : ike->nonce_i;
    CgIov pad_iov = {(const guint8 *)KEY_PAD, strlen(KEY_PAD)};
    gsize psk_len;
    const guint8 *psk_data = g_bytes_get_data(psk, &psk_len);
    if (!cg_prf(prf, psk_data, psk_len, &pad_iov, 1, pad_key, error))
        return FALSE;
    CgIov octets[3] = {
        {g_bytes_get_data(msg, NULL), g_bytes_get_size(msg)},
        {g_bytes_get_data(nonce, NULL), g_bytes_get_size(nonce)},
        {maced_id, prf_len},
    };
    gboolean ok = cg_prf(prf, pad_key, prf_len, octets, 3, out, error);
    cg_memzero(pad_key, sizeof(pad_key));
    *out_len = prf_len;
    return ok;
}

/* Our identity: the configured one, else our IKE address (3.5). */
static void choose_local_id(CgIkeSa *ike)
{
    cg_identity_clear(&ike->local_id);
    if (ike->config->local_id.type) {
        ike->local_id.type = ike->config->local_id.type;
        ike->local_id.data = g_bytes_ref(ike->config->local_id.data);
        return;
    }
    GInetAddress *ip = cg_sockaddr_inet(ike->local);
    ike->local_id.type = g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6 ? CG_ID_IPV6_ADDR
                                                                                : CG_ID_IPV4_ADDR;
    ike->local_id.data =
        g_bytes_new(g_inet_address_to_bytes(ip), g_inet_address_get_native_size(ip));
}

static GByteArray *id_body(const CgIdentity *id)
{
    GByteArray *b = g_byte_array_new();
    gsize len;
    const guint8 *data = g_bytes_get_data(id->data, &len);
    cg_payload_write_id(b, id->type, data, len);
    return b;
}

static GBytes *find_psk(CgIkeSa *ike)
{
    if (ike->config->psk)
        return g_bytes_ref(ike->config->psk);
    return cg_engine_find_psk(ike->engine, &ike->local_id, &ike->peer_id);
}

static void add_auth_payload(CgIkeSa *ike, CgChainBuilder *cb, GByteArray *our_id_body,
                             GError **error_out, gboolean *ok)
{
    g_autoptr(GBytes) psk = find_psk(ike);
    *ok = FALSE;
    if (!psk) {
        g_set_error(error_out, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                    "no pre-shared key for this connection");
        return;
    }
    guint8 auth[64];
    gsize auth_len;
    if (!psk_auth_compute(ike, psk, ike->initiator, our_id_body->data, our_id_body->len, auth,
                          &auth_len, error_out))
        return;
    gsize off = cg_chain_begin_payload(cb, CG_PL_AUTH, FALSE);
    cg_payload_write_auth(cb->buf, CG_AUTH_PSK, auth, auth_len);
    cg_chain_end_payload(cb, off);
    *ok = TRUE;
}

static gboolean verify_peer_auth(CgIkeSa *ike, const CgMessage *msg, const CgRawPayload *p_id,
                                 GError **error)
{
    const CgRawPayload *p_auth = cg_message_find(msg, CG_PL_AUTH);
    CgAuthPayload auth;
    if (!p_auth || !cg_payload_parse_auth(p_auth->body, p_auth->body_len, &auth, error)) {
        if (error && !*error)
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID, "no AUTH payload");
        return FALSE;
    }
    if (ike->config->remote_auth != CG_AUTH_BY_PSK) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "the connection does not accept pre-shared key authentication");
        return FALSE;
    }
    if (auth.method != CG_AUTH_PSK) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "peer used authentication method %u, we expect a pre-shared key (2)",
                    auth.method);
        return FALSE;
    }
    g_autoptr(GBytes) psk = find_psk(ike);
    if (!psk) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                    "no pre-shared key for the peer's identity");
        return FALSE;
    }
    guint8 want[64];
    gsize want_len;
    if (!psk_auth_compute(ike, psk, !ike->initiator, p_id->body, p_id->body_len, want, &want_len,
                          error))
        return FALSE;
    if (auth.data_len != want_len || !cg_memeq_const(auth.data, want, want_len)) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "the peer's AUTH does not match the pre-shared key");
        return FALSE;
    }
    return TRUE;
}

static gboolean parse_peer_id(CgIkeSa *ike, const CgRawPayload *p_id, GError **error)
{
    CgIdPayload id;
    if (!cg_payload_parse_id(p_id->body, p_id->body_len, &id, error))
        return FALSE;
    cg_identity_clear(&ike->peer_id);
    ike->peer_id.type = id.id_type;
    ike->peer_id.data = g_bytes_new(id.data, id.data_len);
    return TRUE;
}

static void mark_established(CgIkeSa *ike)
{
    cg_ike_sa_set_state(ike, CG_IKE_STATE_ESTABLISHED);
    ike->established_at = g_get_real_time();
    cg_ike_sa_drop_dh(ike);
    cg_ike_sa_schedule_timers(ike);
    g_autofree char *l = cg_sockaddr_to_string(ike->local);
    g_autofree char *r = cg_sockaddr_to_string(ike->remote);
    g_autofree char *lid = cg_identity_to_string(&ike->local_id);
    g_autofree char *rid = cg_identity_to_string(&ike->peer_id);
    cg_ike_sa_log(ike, CG_LOG_INFO, "established between %s[%s] and %s[%s]%s", l, lid, r, rid,
                  ike->natt ? " (NAT-T)" : "");
    ike->published_up = TRUE;
    cg_engine_ike_established(ike->engine, ike);
    cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_NONE, "authenticated");
    cg_engine_publish(ike->engine, CG_EVENT_IKE_UP, ike, NULL, CG_REASON_NONE, NULL);
}

/* ---- configuration payload (RFC 7296 2.19, 3.15) ---------------------- */

static void cp_add_attr(CgCpPayload *cp, guint16 type, const guint8 *value, gsize len)
{
    if (cp->n_attrs >= CG_MAX_CP_ATTRS)
        return;
    cp->attrs[cp->n_attrs].type = type;
    cp->attrs[cp->n_attrs].value = value;
    cp->attrs[cp->n_attrs].value_len = len;
    cp->n_attrs++;
}

static void add_cp_request(CgIkeSa *ike, CgChainBuilder *cb)
{
    CgConnConfig *c = ike->config;
    if (!c->request_vip4 && !c->request_vip6)
        return;
    g_autofree CgCpPayload *cp = g_new0(CgCpPayload, 1);
    cp->cfg_type = CG_CFG_REQUEST;
    if (c->request_vip4) {
        cp_add_attr(cp, CG_CA_INTERNAL_IP4_ADDRESS, NULL, 0);
        cp_add_attr(cp, CG_CA_INTERNAL_IP4_DNS, NULL, 0);
    }
    if (c->request_vip6) {
        cp_add_attr(cp, CG_CA_INTERNAL_IP6_ADDRESS, NULL, 0);
        cp_add_attr(cp, CG_CA_INTERNAL_IP6_DNS, NULL, 0);
    }
    cp_add_attr(cp, CG_CA_INTERNAL_DNS_DOMAIN, NULL, 0);
    gsize off = cg_chain_begin_payload(cb, CG_PL_CP, FALSE);
    cg_payload_write_cp(cb->buf, cp);
    cg_chain_end_payload(cb, off);
}

/* Responder: hands out addresses from the connection's pools. Returns
 * FALSE (INTERNAL_ADDRESS_FAILURE) when an address was asked for and
 * none could be given. */
static gboolean build_cp_reply(CgIkeSa *ike, const CgCpPayload *req, CgChainBuilder *cb)
{
    CgConnConfig *c = ike->config;
    gboolean want4 = FALSE, want6 = FALSE;
    for (guint i = 0; i < req->n_attrs; i++) {
        if (req->attrs[i].type == CG_CA_INTERNAL_IP4_ADDRESS)
            want4 = TRUE;
        else if (req->attrs[i].type == CG_CA_INTERNAL_IP6_ADDRESS)
            want6 = TRUE;
    }
    g_autofree char *owner = cg_identity_to_string(&ike->peer_id);
    guint8 values[CG_MAX_CP_ATTRS][17];
    guint nv = 0;
    g_autofree CgCpPayload *cp = g_new0(CgCpPayload, 1);
    cp->cfg_type = CG_CFG_REPLY;
    gboolean got4 = FALSE, got6 = FALSE;
    for (guint i = 0; c->pools && i < c->pools->len; i++) {
        CgPool *pool = cg_engine_find_pool(ike->engine, c->pools->pdata[i]);
        if (!pool)
            continue;
        int fam = cg_pool_family(pool);
        if ((fam == AF_INET && (!want4 || got4)) || (fam == AF_INET6 && (!want6 || got6)))
            continue;
        g_autoptr(GError) error = NULL;
        GInetAddress *addr = NULL;
        if (!cg_pool_acquire(pool, owner, &addr, &error)) {
            cg_ike_sa_log(ike, CG_LOG_WARNING, "%s", error->message);
            continue;
        }
        ike->remote_vip_pool = pool;
        g_ptr_array_add(ike->remote_vips, addr);
        g_autofree char *a = g_inet_address_to_string(addr);
        cg_ike_sa_log(ike, CG_LOG_INFO, "assigned virtual IP %s from pool %s", a,
                      cg_pool_name(pool));
        if (fam == AF_INET) {
            memcpy(values[nv], g_inet_address_to_bytes(addr), 4);
            cp_add_attr(cp, CG_CA_INTERNAL_IP4_ADDRESS, values[nv++], 4);
            got4 = TRUE;
        } else {
            /* RFC 7296 3.15.1: address | prefix length */
            memcpy(values[nv], g_inet_address_to_bytes(addr), 16);
            values[nv][16] = 64;
            cp_add_attr(cp, CG_CA_INTERNAL_IP6_ADDRESS, values[nv++], 17);
            got6 = TRUE;
        }
    }
    for (guint i = 0; c->dns && i < c->dns->len && nv < CG_MAX_CP_ATTRS; i++) {
        GInetAddress *d = c->dns->pdata[i];
        gboolean v6 = g_inet_address_get_family(d) == G_SOCKET_FAMILY_IPV6;
        memcpy(values[nv], g_inet_address_to_bytes(d), v6 ? 16 : 4);
        cp_add_attr(cp, v6 ? CG_CA_INTERNAL_IP6_DNS : CG_CA_INTERNAL_IP4_DNS, values[nv++],
                    v6 ? 16 : 4);
    }
    for (guint i = 0; c->split_include && i < c->split_include->len && nv < CG_MAX_CP_ATTRS; i++) {
        CgTsConfig tc;
        if (!cg_ts_parse(c->split_include->pdata[i], &tc, NULL) || tc.dynamic)
            continue;
        if (tc.ts.ts_type == CG_TS_IPV4_ADDR_RANGE) {
            /* RFC 7296 3.15.1: INTERNAL_IP4_SUBNET = address | netmask */
            memcpy(values[nv], tc.ts.start_addr, 4);
            for (int b = 0; b < 4; b++)
                values[nv][4 + b] = ~(tc.ts.start_addr[b] ^ tc.ts.end_addr[b]);
            cp_add_attr(cp, CG_CA_INTERNAL_IP4_SUBNET, values[nv++], 8);
        } else {
            memcpy(values[nv], tc.ts.start_addr, 16);
            guint prefix = 0;
            for (int b = 0; b < 16; b++) {
                guint8 m = ~(tc.ts.start_addr[b] ^ tc.ts.end_addr[b]);
                while (m & 0x80) {
                    prefix++;
                    m <<= 1;
                }
                if (prefix < (guint)(b + 1) * 8)
                    break;
            }
            values[nv][16] = (guint8)prefix;
            cp_add_attr(cp, CG_CA_INTERNAL_IP6_SUBNET, values[nv++], 17);
        }
    }
    if (cp->n_attrs) {
        gsize off = cg_chain_begin_payload(cb, CG_PL_CP, FALSE);
        cg_payload_write_cp(cb->buf, cp);
        cg_chain_end_payload(cb, off);
    }
    return (!want4 || got4 || got6) && (!want6 || got6 || got4);
}

static void process_cp_reply(CgIkeSa *ike, const CgMessage *msg)
{
    const CgRawPayload *p = cg_message_find(msg, CG_PL_CP);
    if (!p)
        return;
    g_autofree CgCpPayload *cp = g_new0(CgCpPayload, 1);
    g_autoptr(GError) error = NULL;
    if (!cg_payload_parse_cp(p->body, p->body_len, cp, &error)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "ignored malformed configuration payload: %s",
                      error->message);
        return;
    }
    if (cp->cfg_type != CG_CFG_REPLY)
        return;
    for (guint i = 0; i < cp->n_attrs; i++) {
        const CgCfgAttr *a = &cp->attrs[i];
        switch (a->type) {
            case CG_CA_INTERNAL_IP4_ADDRESS:
            case CG_CA_INTERNAL_IP4_DNS:
                if (a->value_len != 4) {
                    cg_ike_sa_log(ike, CG_LOG_WARNING,
                                  "ignored configuration attribute %u of %zu bytes (want 4)",
                                  a->type, a->value_len);
                    break;
                }
                g_ptr_array_add(a->type == CG_CA_INTERNAL_IP4_ADDRESS ? ike->local_vips : ike->dns,
                                g_inet_address_new_from_bytes(a->value, G_SOCKET_FAMILY_IPV4));
                break;
            case CG_CA_INTERNAL_IP6_ADDRESS:
            case CG_CA_INTERNAL_IP6_DNS: {
                gsize want = a->type == CG_CA_INTERNAL_IP6_ADDRESS ? 17 : 16;
                if (a->value_len != want ||
                    (want == 17 && a->value[16] > 128)) {
                    cg_ike_sa_log(ike, CG_LOG_WARNING,
                                  "ignored malformed IPv6 configuration attribute %u (%zu bytes)",
                                  a->type, a->value_len);
                    break;
                }
                g_ptr_array_add(a->type == CG_CA_INTERNAL_IP6_ADDRESS ? ike->local_vips : ike->dns,
                                g_inet_address_new_from_bytes(a->value, G_SOCKET_FAMILY_IPV6));
                break;
            }
            case CG_CA_INTERNAL_IP4_SUBNET: {
                if (a->value_len != 8) {
                    cg_ike_sa_log(ike, CG_LOG_WARNING, "ignored INTERNAL_IP4_SUBNET of %zu bytes",
                                  a->value_len);
                    break;
                }
                guint32 mask = (guint32)a->value[4] << 24 | a->value[5] << 16 |
                               a->value[6] << 8 | a->value[7];
                guint prefix = 0;
                while (prefix < 32 && (mask & (0x80000000u >> prefix)))
                    prefix++;
                g_ptr_array_add(ike->subnets,
                                g_strdup_printf("%u.%u.%u.%u/%u", a->value[0] & a->value[4],
                                                a->value[1] & a->value[5], a->value[2] & a->value[6],
                                                a->value[3] & a->value[7], prefix));
                break;
            }
            case CG_CA_INTERNAL_IP6_SUBNET: {
                if (a->value_len != 17 || a->value[16] > 128) {
                    cg_ike_sa_log(ike, CG_LOG_WARNING, "ignored malformed INTERNAL_IP6_SUBNET");
                    break;
                }
                g_autoptr(GInetAddress) ip =
                    g_inet_address_new_from_bytes(a->value, G_SOCKET_FAMILY_IPV6);
                g_autofree char *s = g_inet_address_to_string(ip);
                g_ptr_array_add(ike->subnets, g_strdup_printf("%s/%u", s, a->value[16]));
                break;
            }
            default:
                break;
        }
    }
    for (guint i = 0; i < ike->local_vips->len; i++) {
        g_autofree char *s = g_inet_address_to_string(ike->local_vips->pdata[i]);
        cg_ike_sa_log(ike, CG_LOG_INFO, "received virtual IP %s", s);
        CgKernel *k = cg_engine_kernel(ike->engine);
        GInetAddress *vip = ike->local_vips->pdata[i];
        if (k->ops->add_vip)
            k->ops->add_vip(k, vip,
                            g_inet_address_get_family(vip) == G_SOCKET_FAMILY_IPV6 ? 128 : 32,
                            NULL);
    }
    for (guint i = 0; i < ike->dns->len; i++) {
        g_autofree char *s = g_inet_address_to_string(ike->dns->pdata[i]);
        cg_ike_sa_log(ike, CG_LOG_INFO, "received DNS server %s", s);
    }
    for (guint i = 0; i < ike->subnets->len; i++)
        cg_ike_sa_log(ike, CG_LOG_INFO, "received split subnet %s", (char *)ike->subnets->pdata[i]);
}

/* ---- the first CHILD_SA --------------------------------------------- */

/* Adds SA, TSi, TSr (and USE_TRANSPORT_MODE) for a new CHILD_SA. */
gboolean cg_child_request_payloads(CgIkeSa *ike, CgChildConfig *cc, CgChildSa *rekeying,
                                   guint32 spi_in, guint16 pfs, CgChainBuilder *cb,
                                   gboolean for_auth)
{
    if (cc->mode == CG_MODE_TRANSPORT)
        cg_chain_add_notify(cb, 0, NULL, 0, CG_N_USE_TRANSPORT_MODE, NULL, 0);
    guint32 spi_be = GUINT32_TO_BE(spi_in);
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    cg_sa_payload_from_specs(sa, cc->esp_proposals, CG_PROTO_ESP, (const guint8 *)&spi_be, 4,
                             pfs);
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
    } else if (for_auth && (ike->config->request_vip4 || ike->config->request_vip6) &&
               !ike->local_vips->len) {
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

void cg_ike_auth_send_request(CgIkeSa *ike)
{
    CgExchange *x = ike->active;
    g_autoptr(GError) error = NULL;
    choose_local_id(ike);
    g_autoptr(GByteArray) inner = g_byte_array_sized_new(512);
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    g_autoptr(GByteArray) idb = id_body(&ike->local_id);
    cg_chain_add_raw(&cb, CG_PL_IDI, idb->data, idb->len);
    /* RFC 7296 3.5: IDr lets the responder pick the right identity */
    if (ike->config->remote_id.type) {
        g_autoptr(GByteArray) ridb = id_body(&ike->config->remote_id);
        cg_chain_add_raw(&cb, CG_PL_IDR, ridb->data, ridb->len);
        cg_identity_clear(&ike->peer_id);
        ike->peer_id.type = ike->config->remote_id.type;
        ike->peer_id.data = g_bytes_ref(ike->config->remote_id.data);
    }
    gboolean ok;
    add_auth_payload(ike, &cb, idb, &error, &ok);
    if (!ok) {
        cg_ike_sa_destroy(ike, CG_REASON_AUTH_FAILED, error->message);
        return;
    }
    /* RFC 7296 2.4: INITIAL_CONTACT only when we hold no other SA with
     * this peer, or the peer would drop those */
    if (!cg_engine_has_sa_to(ike->engine, ike, ike->config, ike->remote))
        cg_chain_add_notify(&cb, 0, NULL, 0, CG_N_INITIAL_CONTACT, NULL, 0);
    add_cp_request(ike, &cb);
    if (ike->config->children->len) {
        CgChildConfig *cc = ike->config->children->pdata[0];
        CgKernel *k = cg_engine_kernel(ike->engine);
        guint32 spi = 0;
        if (!k->ops->get_spi(k, cg_sockaddr_inet(ike->remote), cg_sockaddr_inet(ike->local), 0,
                             &spi, &error)) {
            cg_ike_sa_destroy(ike, CG_REASON_LOCAL_ERROR, error->message);
            return;
        }
        x->child_config = cc;
        x->new_spi_in = spi;
        cg_child_request_payloads(ike, cc, NULL, spi, 0, &cb, TRUE);
    }
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "sending IKE_AUTH request");
    cg_ike_sa_send_request(ike, CG_EXCH_IKE_AUTH, inner, cb.first_type);
}

/* Creates, narrows and installs a CHILD_SA for a request's SA/TS payloads
 * (responder side, IKE_AUTH and CREATE_CHILD_SA). On failure returns the
 * error notify type to send. */
guint16 cg_child_respond(CgIkeSa *ike, const CgMessage *req, CgChildConfig *forced,
                         const guint8 *dh_shared, gsize dh_len, guint16 pfs_group,
                         const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                         CgChainBuilder *cb, CgChildSa **out_child)
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
    if (!cg_payload_parse_sa(p_sa->body, p_sa->body_len, offered, &error) ||
        !cg_payload_parse_ts(p_tsi->body, p_tsi->body_len, tsi, &error) ||
        !cg_payload_parse_ts(p_tsr->body, p_tsr->body_len, tsr, &error)) {
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
    if (!cg_proposal_select(offered, cc->esp_proposals, pfs_group != 0, &chosen) ||
        chosen.protocol_id != CG_PROTO_ESP || chosen.spi_size != 4) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "no acceptable ESP proposal for %s", cc->name);
        return CG_N_NO_PROPOSAL_CHOSEN;
    }
    gboolean transport = cg_message_find_notify(req, CG_N_USE_TRANSPORT_MODE, NULL);
    if (transport && cc->mode != CG_MODE_TRANSPORT)
        transport = FALSE; /* RFC 7296 1.3.1: answer without it = tunnel mode */

    CgKernel *k = cg_engine_kernel(ike->engine);
    guint32 spi_in = 0;
    if (!k->ops->get_spi(k, cg_sockaddr_inet(ike->remote), cg_sockaddr_inet(ike->local), 0,
                         &spi_in, &error)) {
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
void cg_child_add_ts_payloads(CgChildSa *child, CgChainBuilder *cb, gboolean as_initiator)
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

void cg_ike_auth_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id)
{
    g_autoptr(GError) error = NULL;
    if (ike->state != CG_IKE_STATE_CONNECTING || ike->initiator) {
        cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_INVALID_SYNTAX, 0, NULL, 0);
        return;
    }
    const CgRawPayload *p_idi = cg_message_find(msg, CG_PL_IDI);
    if (!p_idi || !cg_message_find(msg, CG_PL_AUTH)) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "IKE_AUTH request without IDi or AUTH (EAP is not "
                                        "supported yet)");
        cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_AUTHENTICATION_FAILED, 0,
                                NULL, 0);
        cg_ike_sa_destroy(ike, CG_REASON_AUTH_FAILED, "no IDi/AUTH");
        return;
    }
    if (!parse_peer_id(ike, p_idi, &error)) {
        cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_INVALID_SYNTAX, 0, NULL, 0);
        cg_ike_sa_destroy(ike, CG_REASON_PROTOCOL_ERROR, error->message);
        return;
    }
    g_autofree char *peer = cg_identity_to_string(&ike->peer_id);
    /* the peer's identity may select a more specific connection (2.15) */
    CgConnConfig *better =
        cg_engine_match_responder(ike->engine, ike->local, ike->remote, &ike->peer_id);
    if (!better) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "no connection accepts peer identity '%s'", peer);
        cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_AUTHENTICATION_FAILED, 0,
                                NULL, 0);
        cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_AUTH_FAILED,
                          "unknown peer identity");
        cg_ike_sa_destroy(ike, CG_REASON_AUTH_FAILED, "unknown peer identity");
        return;
    }
    if (better != ike->config) {
        cg_conn_config_unref(ike->config);
        ike->config = cg_conn_config_ref(better);
        g_free(ike->log_name);
        ike->log_name = g_strdup_printf("IKE_SA %s[%u]", better->name, ike->unique_id);
    }
    choose_local_id(ike);
    if (!verify_peer_auth(ike, msg, p_idi, &error)) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "authentication of '%s' failed: %s", peer,
                      error->message);
        cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_AUTHENTICATION_FAILED, 0,
                                NULL, 0);
        cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_AUTH_FAILED,
                          error->message);
        cg_ike_sa_destroy(ike, CG_REASON_AUTH_FAILED, error->message);
        return;
    }
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "authenticated '%s' with a pre-shared key", peer);
    ike->peer_initial_contact = cg_message_find_notify(msg, CG_N_INITIAL_CONTACT, NULL);

    g_autoptr(GByteArray) inner = g_byte_array_sized_new(512);
    CgChainBuilder cb;
    cg_chain_init(&cb, inner);
    g_autoptr(GByteArray) idb = id_body(&ike->local_id);
    cg_chain_add_raw(&cb, CG_PL_IDR, idb->data, idb->len);
    gboolean ok;
    add_auth_payload(ike, &cb, idb, &error, &ok);
    if (!ok) {
        cg_ike_sa_respond_error(ike, CG_EXCH_IKE_AUTH, msg_id, CG_N_AUTHENTICATION_FAILED, 0,
                                NULL, 0);
        cg_ike_sa_destroy(ike, CG_REASON_AUTH_FAILED, error->message);
        return;
    }
    guint16 child_error = 0;
    const CgRawPayload *p_cp = cg_message_find(msg, CG_PL_CP);
    if (p_cp) {
        g_autofree CgCpPayload *cp = g_new0(CgCpPayload, 1);
        if (cg_payload_parse_cp(p_cp->body, p_cp->body_len, cp, &error) &&
            cp->cfg_type == CG_CFG_REQUEST) {
            if (!build_cp_reply(ike, cp, &cb))
                child_error = CG_N_INTERNAL_ADDRESS_FAILURE;
        } else if (error) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "ignored malformed CP: %s", error->message);
            g_clear_error(&error);
        }
    }
    CgChildSa *child = NULL;
    if (!child_error && cg_message_find(msg, CG_PL_SA)) {
        const guint8 *ni = g_bytes_get_data(ike->nonce_i, NULL);
        const guint8 *nr = g_bytes_get_data(ike->nonce_r, NULL);
        child_error = cg_child_respond(ike, msg, NULL, NULL, 0, 0, ni, g_bytes_get_size(ike->nonce_i),
                                       nr, g_bytes_get_size(ike->nonce_r), &cb, &child);
        if (child)
            cg_child_add_ts_payloads(child, &cb, FALSE);
    }
    if (child_error) {
        /* RFC 7296 1.2: the IKE_SA stays, the CHILD_SA is refused */
        cg_chain_add_notify(&cb, 0, NULL, 0, child_error, NULL, 0);
    }
    cg_ike_sa_send_response(ike, CG_EXCH_IKE_AUTH, msg_id, inner, cb.first_type);
    mark_established(ike);
    if (child)
        cg_child_sa_schedule(child);
}

void cg_ike_auth_process_response(CgIkeSa *ike, const CgMessage *msg)
{
    g_autoptr(GError) error = NULL;
    CgExchange *x = ike->active;
    guint16 err = cg_message_error_notify(msg);
    const CgRawPayload *p_idr = cg_message_find(msg, CG_PL_IDR);
    if (err == CG_N_AUTHENTICATION_FAILED || !p_idr || !cg_message_find(msg, CG_PL_AUTH)) {
        const char *m = err == CG_N_AUTHENTICATION_FAILED
                            ? "the gateway rejected our authentication (wrong pre-shared key or identity?)"
                            : "the gateway's IKE_AUTH response lacks IDr or AUTH";
        if (err && err != CG_N_AUTHENTICATION_FAILED)
            m = cg_notify_name(err);
        cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_AUTH_FAILED, m);
        cg_ike_sa_destroy(ike, err && err != CG_N_AUTHENTICATION_FAILED ? cg_reason_from_notify(err)
                                                                         : CG_REASON_AUTH_FAILED,
                          m);
        return;
    }
    if (!parse_peer_id(ike, p_idr, &error)) {
        cg_ike_sa_destroy(ike, CG_REASON_PROTOCOL_ERROR, error->message);
        return;
    }
    if (ike->config->remote_id.type) {
        gsize len;
        const guint8 *d = g_bytes_get_data(ike->peer_id.data, &len);
        if (!cg_identity_matches(&ike->config->remote_id, ike->peer_id.type, d, len)) {
            g_autofree char *got = cg_identity_to_string(&ike->peer_id);
            g_autofree char *m = g_strdup_printf("the gateway identified as '%s', not the "
                                                 "configured remote identity",
                                                 got);
            cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_AUTH_FAILED, m);
            cg_delete_ike_start(ike, CG_REASON_AUTH_FAILED);
            return;
        }
    }
    if (!verify_peer_auth(ike, msg, p_idr, &error)) {
        g_autofree char *m = g_strdup_printf("the gateway failed authentication: %s", error->message);
        cg_engine_publish(ike->engine, CG_EVENT_AUTH, ike, NULL, CG_REASON_AUTH_FAILED, m);
        cg_ike_sa_destroy(ike, CG_REASON_AUTH_FAILED, m);
        return;
    }
    process_cp_reply(ike, msg);
    if ((ike->config->request_vip4 || ike->config->request_vip6) && !ike->local_vips->len) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "asked for a virtual IP but got none");
    }
    mark_established(ike);

    CgChildConfig *cc = x->child_config;
    if (cc) {
        CgChildSa *child = NULL;
        guint16 cerr = 0;
        gboolean ok = cg_child_accept_response(ike, x, msg, NULL, 0,
                                               g_bytes_get_data(ike->nonce_i, NULL),
                                               g_bytes_get_size(ike->nonce_i),
                                               g_bytes_get_data(ike->nonce_r, NULL),
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
