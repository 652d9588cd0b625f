/* lg-conns.c: the load generator's connections. Each identity gets its
 * own connection (own IDi, own inner /32 as TSi), so responders see
 * distinct peers, as a gateway full of road warriors does, and no
 * uniqueness policy replaces one bench IKE_SA with another. */
#include "lg-conns.h"

#include <string.h>

typedef struct {
    GArray *ike_proposals; /* shared by every connection (immutable) */
    GArray *esp_proposals;
    GArray *remote_ts;
    GBytes *psk;
    guint32 net_host_order; /* first address of --local-net */
    guint32 net_hosts;      /* usable host addresses in it */
} SharedParts;

static void
shared_parts_clear(SharedParts *s)
{
    g_clear_pointer(&s->ike_proposals, g_array_unref);
    g_clear_pointer(&s->esp_proposals, g_array_unref);
    g_clear_pointer(&s->remote_ts, g_array_unref);
    g_clear_pointer(&s->psk, g_bytes_unref);
}

const char *
lg_conn_name(guint index, char *buf, gsize buf_len)
{
    g_snprintf(buf, buf_len, "lg%u", index);
    return buf;
}

static gboolean
parse_local_net(const char *text, SharedParts *s, GError **error)
{
    g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(text, error);
    if (!mask) {
        g_prefix_error(error, "--local-net: ");
        return FALSE;
    }
    GInetAddress *addr = g_inet_address_mask_get_address(mask);
    if (g_inet_address_get_family(addr) != G_SOCKET_FAMILY_IPV4) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--local-net: '%s' is not an IPv4 network", text);
        return FALSE;
    }
    guint prefix_len = g_inet_address_mask_get_length(mask);
    guint32 net;
    memcpy(&net, g_inet_address_to_bytes(addr), 4);
    s->net_host_order = g_ntohl(net);
    /* a /31 or /32 uses every address; larger nets skip network and broadcast */
    guint64 size = G_GUINT64_CONSTANT(1) << (32 - prefix_len);
    s->net_hosts = size <= 2 ? (guint32)size : (guint32)(size - 2);
    if (size > 2)
        s->net_host_order++;
    return TRUE;
}

static gboolean
build_shared(const LgOptions *o, SharedParts *s, GError **error)
{
    s->ike_proposals = cg_proposal_list_parse(o->ike_proposal, CG_PROTO_IKE, error);
    if (!s->ike_proposals) {
        g_prefix_error(error, "--ike: ");
        return FALSE;
    }
    s->esp_proposals = cg_proposal_list_parse(o->esp_proposal, CG_PROTO_ESP, error);
    if (!s->esp_proposals) {
        g_prefix_error(error, "--esp: ");
        return FALSE;
    }
    s->remote_ts = cg_ts_list_parse(o->remote_ts, error);
    if (!s->remote_ts) {
        g_prefix_error(error, "--remote-ts: ");
        return FALSE;
    }
    s->psk = g_bytes_new(o->psk, strlen(o->psk));
    return parse_local_net(o->local_net, s, error);
}

/* TSi of identity `index`: one address of --local-net (wrapping round). */
static GArray *
local_ts_for(const SharedParts *s, guint index, GError **error)
{
    guint32 host = s->net_host_order + (index % s->net_hosts);
    char text[16]; /* "255.255.255.255" */
    g_snprintf(text, sizeof(text), "%u.%u.%u.%u", host >> 24, (host >> 16) & 0xff,
               (host >> 8) & 0xff, host & 0xff);
    return cg_ts_list_parse(text, error);
}

static CgConnConfig *
conn_for(const LgOptions *o, const SharedParts *s, guint index, GError **error)
{
    char name[32];
    g_autoptr(CgConnConfig) c = cg_conn_config_new(lg_conn_name(index, name, sizeof(name)));
    c->local_addr = g_strdup(o->local_addr);
    c->remote_addr = g_strdup(o->remote_addr);
    c->remote_port = (guint16)o->remote_port;
    if (o->local_port)
        c->local_port = (guint16)o->local_port; /* else the default; the engine binds */

    g_autofree char *id = g_strdup_printf("lg-%07u@loadgen.bench", index);
    cg_identity_clear(&c->local_id);
    if (!cg_identity_parse(id, &c->local_id, error))
        return NULL;
    c->local_auth = c->remote_auth = CG_AUTH_BY_PSK;
    c->psk = g_bytes_ref(s->psk);

    g_array_unref(c->ike_proposals);
    c->ike_proposals = g_array_ref(s->ike_proposals);
    /* the bench measures handshakes: nothing periodic may add load */
    c->dpd_delay_s = 0;
    c->retransmit_timeout_ms = (guint32)o->retransmit_timeout_ms;
    c->retransmit_tries = (guint)o->retransmit_tries;

    CgChildConfig *child = cg_child_config_new(name);
    g_ptr_array_add(c->children, child);
    g_array_unref(child->local_ts);
    child->local_ts = local_ts_for(s, index, error);
    if (!child->local_ts)
        return NULL;
    g_array_unref(child->remote_ts);
    child->remote_ts = g_array_ref(s->remote_ts);
    g_array_unref(child->esp_proposals);
    child->esp_proposals = g_array_ref(s->esp_proposals);
    return g_steal_pointer(&c);
}

gboolean
lg_conns_load(CgEngine *engine, const LgOptions *opts, guint n_ids, GError **error)
{
    SharedParts shared = { 0 };
    gboolean ok = build_shared(opts, &shared, error);
    for (guint i = 0; ok && i < n_ids; i++) {
        g_autoptr(CgConnConfig) c = conn_for(opts, &shared, i, error);
        ok = c && cg_engine_load_connection(engine, c, error);
    }
    shared_parts_clear(&shared);
    return ok;
}
