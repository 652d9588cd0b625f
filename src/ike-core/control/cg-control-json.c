/* cg-control-json.c: the engine's snapshots and events as the JSON objects
 * io.cygnet.Ike.varlink declares (IkeSa, ChildSa, Event, Connection). */
#include "config.h"

#include <string.h>

#include "cg-control-private.h"

static void
set_optional_string(JsonObject *o, const char *name, const char *value)
{
    if (value)
        json_object_set_string_member(o, name, value);
}

/* Times and ids of 0 mean "none" in the snapshots: the member is left out. */
static void
set_optional_int(JsonObject *o, const char *name, gint64 value)
{
    if (value)
        json_object_set_int_member(o, name, value);
}

/* guint64 counters: JSON integers here are int64; clamp rather than wrap. */
static void
set_counter(JsonObject *o, const char *name, guint64 value)
{
    json_object_set_int_member(o, name, value > G_MAXINT64 ? G_MAXINT64 : (gint64)value);
}

static JsonArray *
string_array(const GPtrArray *strings)
{
    JsonArray *a = json_array_new();
    for (guint i = 0; strings && i < strings->len; i++)
        json_array_add_string_element(a, strings->pdata[i]);
    return a;
}

static char *
hex_spi(const guint8 *spi, gsize len)
{
    GString *s = g_string_sized_new(len * 2);
    for (gsize i = 0; i < len; i++)
        g_string_append_printf(s, "%02x", spi[i]);
    return g_string_free(s, FALSE);
}

static void
set_address(JsonObject *o, const char *addr_name, const char *port_name, GInetSocketAddress *sa)
{
    if (!sa)
        return;
    g_autofree char *text = g_inet_address_to_string(g_inet_socket_address_get_address(sa));
    json_object_set_string_member(o, addr_name, text);
    json_object_set_int_member(o, port_name, g_inet_socket_address_get_port(sa));
}

static const char *
mode_name(guint8 mode)
{
    return mode == CG_MODE_TRANSPORT ? "transport" : "tunnel";
}

static JsonObject *
child_sa(const CgChildSnapshot *c)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "id", c->unique_id);
    json_object_set_string_member(o, "name", c->name ? c->name : "");
    g_autofree char *spi_in = g_strdup_printf("%08x", c->spi_in);
    g_autofree char *spi_out = g_strdup_printf("%08x", c->spi_out);
    json_object_set_string_member(o, "spi_in", spi_in);
    json_object_set_string_member(o, "spi_out", spi_out);
    json_object_set_string_member(o, "mode", mode_name(c->mode));
    set_optional_string(o, "proposal", c->proposal);
    json_object_set_array_member(o, "local_ts", string_array(c->local_ts));
    json_object_set_array_member(o, "remote_ts", string_array(c->remote_ts));
    set_counter(o, "bytes_in", c->bytes_in);
    set_counter(o, "bytes_out", c->bytes_out);
    set_counter(o, "packets_in", c->packets_in);
    set_counter(o, "packets_out", c->packets_out);
    json_object_set_boolean_member(o, "encap", c->encap);
    set_optional_int(o, "established_at_us", c->established_at);
    set_optional_int(o, "rekey_at_us", c->rekey_at);
    set_optional_int(o, "expire_at_us", c->expire_at);
    json_object_set_int_member(o, "reqid", c->reqid);
    set_optional_int(o, "mark", c->mark);
    set_optional_int(o, "if_id", c->if_id);
    return o;
}

static const char *
state_name(CgIkeState state)
{
    /* the interface's enum values; cg_ike_state_to_string's match today */
    switch (state) {
        case CG_IKE_STATE_CONNECTING:
            return "connecting";
        case CG_IKE_STATE_ESTABLISHED:
            return "established";
        case CG_IKE_STATE_REKEYING:
            return "rekeying";
        case CG_IKE_STATE_DELETING:
            return "deleting";
        case CG_IKE_STATE_DEAD:
            return "dead";
    }
    return "dead";
}

JsonObject *
cg_control_json_ike_sa(const CgIkeSnapshot *s)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "id", s->unique_id);
    json_object_set_string_member(o, "connection", s->conn_name ? s->conn_name : "");
    json_object_set_string_member(o, "state", state_name(s->state));
    json_object_set_boolean_member(o, "initiator", s->initiator);
    g_autofree char *spi_i = hex_spi(s->spi_i, sizeof(s->spi_i));
    g_autofree char *spi_r = hex_spi(s->spi_r, sizeof(s->spi_r));
    json_object_set_string_member(o, "spi_i", spi_i);
    json_object_set_string_member(o, "spi_r", spi_r);
    set_address(o, "local_address", "local_port", s->local);
    set_address(o, "remote_address", "remote_port", s->remote);
    json_object_set_boolean_member(o, "nat_local", s->nat_local);
    json_object_set_boolean_member(o, "nat_remote", s->nat_remote);
    set_optional_string(o, "proposal", s->proposal);
    set_optional_string(o, "local_id", s->local_id);
    set_optional_string(o, "remote_id", s->remote_id);
    set_optional_string(o, "local_auth", s->local_auth);
    set_optional_string(o, "remote_auth", s->remote_auth);
    if (s->peer_cert_der) {
        gsize len;
        const guint8 *der = g_bytes_get_data(s->peer_cert_der, &len);
        g_autofree char *b64 = g_base64_encode(der, len);
        json_object_set_string_member(o, "peer_certificate", b64);
    }
    set_optional_string(o, "eap_identity", s->eap_identity);
    json_object_set_array_member(o, "local_vips", string_array(s->local_vips));
    json_object_set_array_member(o, "remote_vips", string_array(s->remote_vips));
    json_object_set_array_member(o, "dns", string_array(s->dns));
    json_object_set_array_member(o, "split_subnets", string_array(s->split_subnets));
    json_object_set_array_member(o, "dns_domains", string_array(s->dns_domains));
    set_optional_int(o, "established_at_us", s->established_at);
    set_optional_int(o, "rekey_at_us", s->rekey_at);
    set_optional_int(o, "reauth_at_us", s->reauth_at);
    JsonArray *children = json_array_new();
    for (guint i = 0; s->children && i < s->children->len; i++)
        json_array_add_object_element(children, child_sa(s->children->pdata[i]));
    json_object_set_array_member(o, "children", children);
    return o;
}

static const char *
event_kind(CgEventType type)
{
    switch (type) {
        case CG_EVENT_IKE_UP:
            return "ike_up";
        case CG_EVENT_IKE_DOWN:
            return "ike_down";
        case CG_EVENT_IKE_REKEYED:
            return "ike_rekeyed";
        case CG_EVENT_CHILD_UP:
            return "child_up";
        case CG_EVENT_CHILD_DOWN:
            return "child_down";
        case CG_EVENT_CHILD_REKEYED:
            return "child_rekeyed";
        case CG_EVENT_AUTH:
            return "auth";
        case CG_EVENT_ERROR:
            return "error";
        case CG_EVENT_CONN_LOADED:
            return "connection_loaded";
        case CG_EVENT_CONN_UNLOADED:
            return "connection_unloaded";
    }
    return NULL;
}

JsonObject *
cg_control_json_event(const CgEvent *e)
{
    const char *kind = event_kind(e->type);
    if (!kind)
        return NULL; /* an event this interface version does not know */
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "kind", kind);
    json_object_set_int_member(o, "time_us", e->time_us);
    set_optional_string(o, "connection", e->conn_name);
    set_optional_int(o, "ike_id", e->ike_unique_id);
    set_optional_int(o, "old_ike_id", e->old_ike_unique_id);
    set_optional_int(o, "child_id", e->child_unique_id);
    set_optional_int(o, "old_child_id", e->old_child_unique_id);
    set_optional_string(o, "child_name", e->child_name);
    if (e->reason != CG_REASON_NONE)
        json_object_set_string_member(o, "reason", cg_reason_to_string(e->reason));
    if (e->type == CG_EVENT_AUTH)
        json_object_set_boolean_member(o, "success", e->success);
    set_optional_string(o, "message", e->message);
    if (e->ike)
        json_object_set_object_member(o, "sa", cg_control_json_ike_sa(e->ike));
    return o;
}

static const char *
auth_name(CgAuthBy auth)
{
    switch (auth) {
        case CG_AUTH_BY_PSK:
            return "psk";
        case CG_AUTH_BY_PUBKEY:
            return "pubkey";
        case CG_AUTH_BY_EAP:
            return "eap";
    }
    return "unknown";
}

static JsonArray *
proposal_array(const GArray *proposals)
{
    JsonArray *a = json_array_new();
    for (guint i = 0; proposals && i < proposals->len; i++) {
        g_autofree char *text = cg_proposal_to_string(&g_array_index(proposals, CgProposalSpec, i));
        json_array_add_string_element(a, text);
    }
    return a;
}

static JsonArray *
ts_array(const GArray *ts)
{
    JsonArray *a = json_array_new();
    for (guint i = 0; ts && i < ts->len; i++) {
        g_autofree char *text = cg_ts_config_to_string(&g_array_index(ts, CgTsConfig, i));
        json_array_add_string_element(a, text);
    }
    return a;
}

static JsonObject *
child_config(const CgChildConfig *c)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", c->name);
    json_object_set_array_member(o, "local_ts", ts_array(c->local_ts));
    json_object_set_array_member(o, "remote_ts", ts_array(c->remote_ts));
    json_object_set_array_member(o, "esp", proposal_array(c->esp_proposals));
    json_object_set_string_member(o, "mode", mode_name(c->mode));
    json_object_set_int_member(o, "rekey_time_s", c->rekey_time_s);
    json_object_set_int_member(o, "life_time_s", c->life_time_s);
    return o;
}

static char *
identity_text(const CgIdentity *id)
{
    return id->type == 0 ? g_strdup("%any") : cg_identity_to_string(id);
}

JsonObject *
cg_control_json_connection(const CgConnConfig *c, guint ike_sas)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", c->name);
    set_optional_string(o, "local", c->local_addr);
    set_optional_string(o, "remote", c->remote_addr);
    json_object_set_int_member(o, "local_port", c->local_port);
    json_object_set_int_member(o, "remote_port", c->remote_port);
    g_autofree char *local_id = identity_text(&c->local_id);
    g_autofree char *remote_id = identity_text(&c->remote_id);
    json_object_set_string_member(o, "local_id", local_id);
    json_object_set_string_member(o, "remote_id", remote_id);
    json_object_set_string_member(o, "local_auth", auth_name(c->local_auth));
    json_object_set_string_member(o, "remote_auth", auth_name(c->remote_auth));
    json_object_set_array_member(o, "ike", proposal_array(c->ike_proposals));
    json_object_set_string_member(o, "start", c->start_action == CG_START_START ? "start" : "none");
    json_object_set_boolean_member(o, "has_secret", c->psk != NULL);
    JsonArray *children = json_array_new();
    for (guint i = 0; c->children && i < c->children->len; i++)
        json_array_add_object_element(children, child_config(c->children->pdata[i]));
    json_object_set_array_member(o, "children", children);
    json_object_set_int_member(o, "ike_sas", ike_sas);
    return o;
}

CgIkeSnapshot *
cg_control_find_sa(CgEngine *engine, const char *conn_name, guint32 ike_id)
{
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(engine, conn_name);
    for (guint i = 0; i < sas->len; i++) {
        CgIkeSnapshot *s = sas->pdata[i];
        if (s->unique_id == ike_id)
            return g_ptr_array_steal_index(sas, i);
    }
    return NULL;
}
