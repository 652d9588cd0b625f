/* cg-ike-auth-cp.c: the configuration payload of IKE_AUTH (RFC 7296
 * 2.19, 3.15): the initiator's request for a virtual IP and DNS, the
 * responder's reply from its pools, the initiator taking the reply in. */
#include "sa/cg-ike-auth-cp.h"

#include <string.h>
#include <sys/socket.h>

#include "config/cg-config-private.h"
#include "net/cg-net.h"
#include "sa/cg-cp-reply.h"

static void
cp_add_attr(CgCpPayload *cp, guint16 type, const guint8 *value, gsize len)
{
    if (cp->n_attrs >= CG_MAX_CP_ATTRS)
        return;
    cp->attrs[cp->n_attrs].type = type;
    cp->attrs[cp->n_attrs].value = value;
    cp->attrs[cp->n_attrs].value_len = len;
    cp->n_attrs++;
}

void
cg_cp_add_request(CgIkeSa *ike, CgChainBuilder *cb)
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

static guint8
pool_prefix_len(CgPool *pool)
{
    CgAddrRange range;
    if (cg_addr_range_parse(cg_pool_range(pool), &range, NULL) && range.prefix_len >= 0)
        return (guint8)range.prefix_len;
    return 128;
}

/* Responder: hands out addresses from the connection's pools. Returns
 * FALSE (INTERNAL_ADDRESS_FAILURE) when an address was asked for and
 * none could be given. */
gboolean
cg_cp_build_reply(CgIkeSa *ike, const CgCpPayload *req, CgChainBuilder *cb)
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
        g_ptr_array_add(ike->remote_vips, addr);
        g_ptr_array_add(ike->remote_vip_pools, g_strdup(cg_pool_name(pool)));
        g_autofree char *a = g_inet_address_to_string(addr);
        if (fam == AF_INET) {
            cg_ike_sa_log(ike, CG_LOG_INFO, "assigned virtual IP %s from pool %s", a,
                          cg_pool_name(pool));
            memcpy(values[nv], g_inet_address_to_bytes(addr), 4);
            cp_add_attr(cp, CG_CA_INTERNAL_IP4_ADDRESS, values[nv++], 4);
            got4 = TRUE;
        } else {
            /* RFC 7296 3.15.1: address | prefix length, the length of
             * the pool's prefix (a range of addresses: this one alone) */
            guint8 prefix_len = pool_prefix_len(pool);
            cg_ike_sa_log(ike, CG_LOG_INFO,
                          "assigned virtual IP %s (prefix length %u) from pool %s", a, prefix_len,
                          cg_pool_name(pool));
            memcpy(values[nv], g_inet_address_to_bytes(addr), 16);
            values[nv][16] = prefix_len;
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
    for (guint i = 0; c->dns_domains && i < c->dns_domains->len && cp->n_attrs < CG_MAX_CP_ATTRS;
         i++) {
        const char *d = c->dns_domains->pdata[i];
        cp_add_attr(cp, CG_CA_INTERNAL_DNS_DOMAIN, (const guint8 *)d, strlen(d));
    }
    if (cp->n_attrs) {
        gsize off = cg_chain_begin_payload(cb, CG_PL_CP, FALSE);
        cg_payload_write_cp(cb->buf, cp);
        cg_chain_end_payload(cb, off);
    }
    return (!want4 || got4 || got6) && (!want6 || got6 || got4);
}

void
cg_cp_process_reply(CgIkeSa *ike, const CgMessage *msg)
{
    const CgRawPayload *p = cg_message_find(msg, CG_PL_CP);
    if (!p)
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(CgCpReply) reply = cg_cp_reply_parse(p->body, p->body_len, &error);
    if (!reply) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "ignored configuration payload: %s", error->message);
        return;
    }
    for (guint i = 0; i < reply->rejected->len; i++)
        cg_ike_sa_log(ike, CG_LOG_WARNING, "ignored configuration attribute %s",
                      (char *)reply->rejected->pdata[i]);

    CgKernel *k = cg_engine_kernel(ike->engine);
    for (guint i = 0; i < reply->vips->len; i++) {
        GInetAddress *vip = reply->vips->pdata[i];
        gboolean v6 = g_inet_address_get_family(vip) == G_SOCKET_FAMILY_IPV6;
        g_autofree char *s = g_inet_address_to_string(vip);
        if (v6)
            /* RFC 7296 3.15.1: the prefix length comes with the address;
             * over a tunnel nothing else is on-link, so the address alone
             * goes on the device and the selectors decide what is routed */
            cg_ike_sa_log(ike, CG_LOG_INFO, "received virtual IP %s (prefix length %u)", s,
                          g_array_index(reply->vip_prefix_lens, guint8, i));
        else
            cg_ike_sa_log(ike, CG_LOG_INFO, "received virtual IP %s", s);
        if (k->ops->add_vip)
            k->ops->add_vip(k, vip, v6 ? 128 : 32, NULL);
        g_ptr_array_add(ike->local_vips, g_object_ref(vip));
    }
    for (guint i = 0; i < reply->dns->len; i++) {
        g_autofree char *s = g_inet_address_to_string(reply->dns->pdata[i]);
        cg_ike_sa_log(ike, CG_LOG_INFO, "received DNS server %s", s);
        g_ptr_array_add(ike->dns, g_object_ref(reply->dns->pdata[i]));
    }
    for (guint i = 0; i < reply->subnets->len; i++) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "received split subnet %s",
                      (char *)reply->subnets->pdata[i]);
        g_ptr_array_add(ike->subnets, g_strdup(reply->subnets->pdata[i]));
    }
    for (guint i = 0; i < reply->dns_domains->len; i++) {
        cg_ike_sa_log(ike, CG_LOG_INFO, "received DNS domain %s",
                      (char *)reply->dns_domains->pdata[i]);
        g_ptr_array_add(ike->dns_domains, g_strdup(reply->dns_domains->pdata[i]));
    }
}
