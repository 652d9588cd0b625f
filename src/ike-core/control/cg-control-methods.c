/* cg-control-methods.c: the methods of io.cygnet.Ike and of
 * org.varlink.service. Parameters reach a handler already checked
 * against the interface file (names and types); what is left to check
 * here is meaning: does the connection exist, is the address one. */
#include "config.h"

#include <string.h>

#include "cg-control-private.h"
#include "log/cg-log.h"

/* ---- parameters ----------------------------------------------------- */

static JsonNode *
present(JsonObject *parameters, const char *name)
{
    JsonNode *n = json_object_get_member(parameters, name);
    return n && !JSON_NODE_HOLDS_NULL(n) ? n : NULL;
}

const char *
cg_control_param_string(JsonObject *parameters, const char *name)
{
    JsonNode *n = present(parameters, name);
    return n ? json_node_get_string(n) : NULL;
}

gboolean
cg_control_param_int(JsonObject *parameters, const char *name, gint64 *out)
{
    JsonNode *n = present(parameters, name);
    if (!n)
        return FALSE;
    *out = json_node_get_int(n);
    return TRUE;
}

gboolean
cg_control_param_bool(JsonObject *parameters, const char *name, gboolean fallback)
{
    JsonNode *n = present(parameters, name);
    return n ? json_node_get_boolean(n) : fallback;
}

static void
invalid_parameter(CgControlCall *call, const char *name)
{
    cg_control_call_error_string(call, VARLINK_ERR("InvalidParameter"), "parameter", name);
}

static void
not_implemented(CgControlCall *call)
{
    cg_control_call_error_string(call, VARLINK_ERR("MethodNotImplemented"), "method", call->method);
}

static void
connection_not_found(CgControlCall *call, const char *name)
{
    cg_control_call_error_string(call, CG_CONTROL_ERR("ConnectionNotFound"), "connection", name);
}

static void
sa_not_found(CgControlCall *call, const char *field, gint64 id)
{
    JsonObject *p = json_object_new();
    json_object_set_int_member(p, field, id);
    cg_control_call_error(call, CG_CONTROL_ERR("SaNotFound"), p);
}

/* An SA id parameter: 1 .. 2^32-1. */
static gboolean
param_id(CgControlCall *call, JsonObject *parameters, const char *name, guint32 *out,
         gboolean *given)
{
    gint64 v;
    *given = cg_control_param_int(parameters, name, &v);
    if (!*given)
        return TRUE;
    if (v < 1 || v > G_MAXUINT32) {
        invalid_parameter(call, name);
        return FALSE;
    }
    *out = (guint32)v;
    return TRUE;
}

/* timeout_ms: absent = 0 (no timeout), else 1 .. one day. */
static gboolean
param_timeout(CgControlCall *call, JsonObject *parameters, gint64 *out)
{
    *out = 0;
    if (!cg_control_param_int(parameters, "timeout_ms", out))
        return TRUE;
    if (*out < 1 || *out > 86400000) {
        invalid_parameter(call, "timeout_ms");
        return FALSE;
    }
    return TRUE;
}

/* ---- org.varlink.service ---------------------------------------------- */

static void
get_info(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    JsonObject *p = json_object_new();
    json_object_set_string_member(p, "vendor", "Cygnet");
    json_object_set_string_member(p, "product", server->product);
    json_object_set_string_member(p, "version", PACKAGE_VERSION);
    json_object_set_string_member(p, "url", "");
    JsonArray *ifaces = json_array_new();
    json_array_add_string_element(ifaces, cg_varlink_interface_name(server->service_iface));
    json_array_add_string_element(ifaces, cg_varlink_interface_name(server->ike_iface));
    json_object_set_array_member(p, "interfaces", ifaces);
    cg_control_call_reply(call, p);
}

static void
get_interface_description(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    const char *name = cg_control_param_string(parameters, "interface");
    CgVarlinkInterface *ifaces[] = { server->service_iface, server->ike_iface };
    for (guint i = 0; i < G_N_ELEMENTS(ifaces); i++) {
        if (strcmp(name, cg_varlink_interface_name(ifaces[i])) == 0) {
            JsonObject *p = json_object_new();
            json_object_set_string_member(p, "description", cg_varlink_interface_text(ifaces[i]));
            cg_control_call_reply(call, p);
            return;
        }
    }
    cg_control_call_error_string(call, VARLINK_ERR("InterfaceNotFound"), "interface", name);
}

/* ---- io.cygnet.Ike: information ------------------------------------ */

static void
get_version(CgControlCall *call, JsonObject *parameters)
{
    JsonObject *p = json_object_new();
    json_object_set_string_member(p, "version", PACKAGE_VERSION);
    json_object_set_int_member(p, "interface_version", CG_CONTROL_INTERFACE_VERSION);
    cg_control_call_reply(call, p);
}

static void
set_stat(JsonObject *p, const char *name, guint64 value)
{
    json_object_set_int_member(p, name, value > G_MAXINT64 ? G_MAXINT64 : (gint64)value);
}

static void
get_stats(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    CgEngineStats st;
    cg_engine_get_stats(server->engine, &st);
    JsonObject *p = json_object_new();
    set_stat(p, "ike_sas_established_total", st.ike_sas_established_total);
    set_stat(p, "ike_sas_current", st.ike_sas_current);
    set_stat(p, "half_open_current", st.half_open_current);
    set_stat(p, "child_sas_current", st.child_sas_current);
    set_stat(p, "packets_in", st.packets_in);
    set_stat(p, "packets_out", st.packets_out);
    set_stat(p, "packets_dropped", st.packets_dropped);
    set_stat(p, "cookies_sent", st.cookies_sent);
    set_stat(p, "retransmits", st.retransmits);
    json_object_set_int_member(p, "started_at_us", st.started_at);
    set_stat(p, "control_clients", server->clients->len);
    set_stat(p, "monitor_clients", server->monitor_count);
    set_stat(p, "control_clients_dropped", server->clients_dropped);
    cg_control_call_reply(call, p);
}

/* ---- connections ------------------------------------------------------- */

static GHashTable *
string_map(JsonObject *obj)
{
    GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    JsonObjectIter it;
    const char *key;
    JsonNode *value;
    json_object_iter_init(&it, obj);
    while (json_object_iter_next(&it, &key, &value))
        g_hash_table_insert(keys, g_strdup(key), g_strdup(json_node_get_string(value)));
    return keys;
}

static void
load_connection(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    if (!server->conn_from_keys) {
        not_implemented(call);
        return;
    }
    const char *name = cg_control_param_string(parameters, "name");
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) keys = string_map(json_object_get_object_member(parameters, "keys"));
    g_autoptr(CgConnConfig) conn = server->conn_from_keys(name, keys, server->loader_data, &error);
    if (!conn) {
        cg_control_call_error_string(call, CG_CONTROL_ERR("InvalidConfiguration"), "message",
                                     error->message);
        return;
    }
    JsonNode *children = present(parameters, "children");
    JsonArray *list = children ? json_node_get_array(children) : NULL;
    for (guint i = 0; list && i < json_array_get_length(list); i++) {
        JsonObject *child = json_array_get_object_element(list, i);
        g_autoptr(GHashTable) child_keys = string_map(json_object_get_object_member(child, "keys"));
        if (!server->child_from_keys) {
            not_implemented(call);
            return;
        }
        if (!server->child_from_keys(conn, json_object_get_string_member(child, "name"), child_keys,
                                     server->loader_data, &error)) {
            cg_control_call_error_string(call, CG_CONTROL_ERR("InvalidConfiguration"), "message",
                                         error->message);
            return;
        }
    }
    const char *secret = cg_control_param_string(parameters, "secret");
    if (secret) {
        GBytes *psk = server->secret_parse ? server->secret_parse(secret, &error) : NULL;
        if (!psk) {
            /* the message never quotes the secret */
            g_autofree char *message
                = g_strdup_printf("[connection %s] secret: %s", name,
                                  error ? error->message : "this service takes no secrets");
            cg_control_call_error_string(call, CG_CONTROL_ERR("InvalidConfiguration"), "message",
                                         message);
            return;
        }
        g_clear_pointer(&conn->psk, g_bytes_unref);
        conn->psk = psk;
    }
    gboolean replaced = cg_engine_get_connection(server->engine, name) != NULL;
    if (!cg_engine_load_connection(server->engine, conn, &error)) {
        cg_control_call_error_string(call, CG_CONTROL_ERR("InvalidConfiguration"), "message",
                                     error->message);
        return;
    }
    JsonObject *p = json_object_new();
    json_object_set_boolean_member(p, "replaced", replaced);
    cg_control_call_reply(call, p);
}

static void
unload_connection(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    const char *name = cg_control_param_string(parameters, "name");
    if (!cg_engine_unload_connection(server->engine, name, NULL)) {
        connection_not_found(call, name);
        return;
    }
    cg_control_call_reply(call, NULL);
}

static void
list_connections(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    const char *name = cg_control_param_string(parameters, "name");
    const char *prefix = cg_control_param_string(parameters, "prefix");
    /* IKE_SAs per connection */
    g_autoptr(GHashTable) counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(server->engine, NULL);
    for (guint i = 0; i < sas->len; i++) {
        const char *conn = ((CgIkeSnapshot *)sas->pdata[i])->conn_name;
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, conn));
        g_hash_table_replace(counts, g_strdup(conn), GUINT_TO_POINTER(n + 1));
    }
    g_autoptr(GPtrArray) conns = cg_engine_list_connections(server->engine);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < conns->len; i++) {
        CgConnConfig *c = conns->pdata[i];
        if (!cg_control_name_matches(c->name, name, prefix))
            continue;
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, c->name));
        json_array_add_object_element(out, cg_control_json_connection(c, n));
    }
    JsonObject *p = json_object_new();
    json_object_set_array_member(p, "connections", out);
    cg_control_call_reply(call, p);
}

/* Pools cannot be unloaded (leases would dangle), so loading the same
 * pool again is a no-op: a file can be loaded twice. */
static void
load_pool(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    if (!server->conn_from_keys) {
        not_implemented(call);
        return;
    }
    g_autoptr(GError) error = NULL;
    const char *name = cg_control_param_string(parameters, "name");
    const char *range = cg_control_param_string(parameters, "addresses");
    const char *loaded = g_hash_table_lookup(server->pools, name);
    if (loaded && strcmp(loaded, range) == 0) {
        cg_control_call_reply(call, NULL);
        return;
    }
    CgPool *pool = cg_pool_new(name, range, &error);
    if (pool && !cg_engine_add_pool(server->engine, pool, &error))
        g_clear_pointer(&pool, cg_pool_free);
    if (!pool) {
        g_autofree char *message = g_strdup_printf("[pool %s] %s", name, error->message);
        cg_control_call_error_string(call, CG_CONTROL_ERR("InvalidConfiguration"), "message",
                                     message);
        return;
    }
    g_hash_table_replace(server->pools, g_strdup(name), g_strdup(range));
    cg_control_call_reply(call, NULL);
}

/* ---- SAs ------------------------------------------------------------------- */

static gboolean
address_param(CgControlCall *call, JsonObject *parameters, const char *name, GInetAddress **out)
{
    const char *text = cg_control_param_string(parameters, name);
    *out = NULL;
    if (!text)
        return TRUE;
    *out = g_inet_address_new_from_string(text);
    if (!*out) {
        invalid_parameter(call, name);
        return FALSE;
    }
    return TRUE;
}

static void
initiate(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    const char *name = cg_control_param_string(parameters, "connection");
    gint64 timeout_ms;
    g_autoptr(GInetAddress) local = NULL;
    g_autoptr(GInetAddress) remote = NULL;
    if (!param_timeout(call, parameters, &timeout_ms)
        || !address_param(call, parameters, "local_address", &local)
        || !address_param(call, parameters, "remote_address", &remote))
        return;
    if (!cg_engine_get_connection(server->engine, name)) {
        connection_not_found(call, name);
        return;
    }
    /* an attempt can fail before cg_engine_initiate returns its id */
    g_autoptr(GArray) captured = g_array_new(FALSE, TRUE, sizeof(CgCapturedEvent));
    g_array_set_clear_func(captured, cg_control_captured_event_clear);
    server->capture = captured;
    g_autoptr(GError) error = NULL;
    guint32 ike_id = cg_engine_initiate(
        server->engine, name, cg_control_param_string(parameters, "local_address"),
        cg_control_param_string(parameters, "remote_address"), &error);
    server->capture = NULL;
    if (!ike_id) {
        if (g_error_matches(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND))
            connection_not_found(call, name);
        else
            cg_control_call_error_string(call, CG_CONTROL_ERR("Failed"), "message", error->message);
        return;
    }
    cg_info(name, "control: %s initiated IKE_SA #%u", call->client->peer, ike_id);
    if (cg_control_param_bool(parameters, "wait", TRUE)) {
        cg_control_wait_initiate(call, name, ike_id, timeout_ms, captured);
        return;
    }
    g_autoptr(CgIkeSnapshot) sa = cg_control_find_sa(server->engine, name, ike_id);
    JsonObject *p = json_object_new();
    json_object_set_int_member(p, "ike_id", ike_id);
    json_object_set_boolean_member(p, "established", sa && sa->state == CG_IKE_STATE_ESTABLISHED);
    if (sa)
        json_object_set_object_member(p, "sa", cg_control_json_ike_sa(sa));
    cg_control_call_reply(call, p);
}

static void
reply_counts(CgControlCall *call, guint ike_sas, guint child_sas)
{
    JsonObject *p = json_object_new();
    json_object_set_int_member(p, "ike_sas", ike_sas);
    json_object_set_int_member(p, "child_sas", child_sas);
    cg_control_call_reply(call, p);
}

static gboolean
remote_is(const CgIkeSnapshot *sa, GInetAddress *remote)
{
    return !remote
           || (sa->remote
               && g_inet_address_equal(remote, g_inet_socket_address_get_address(sa->remote)));
}

static void
terminate(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    const char *name = cg_control_param_string(parameters, "connection");
    const char *child = cg_control_param_string(parameters, "child");
    guint32 ike_id = 0, child_id = 0;
    gboolean by_ike, by_child;
    gint64 timeout_ms;
    g_autoptr(GInetAddress) remote = NULL;
    if (!param_id(call, parameters, "ike_id", &ike_id, &by_ike)
        || !param_id(call, parameters, "child_id", &child_id, &by_child)
        || !param_timeout(call, parameters, &timeout_ms)
        || !address_param(call, parameters, "remote_address", &remote))
        return;
    if (!name && !by_ike && !by_child) {
        invalid_parameter(call, "connection");
        return;
    }

    /* what goes: IKE_SAs (with their children) or only CHILD_SAs */
    g_autoptr(GArray) ike_ids = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_autoptr(GArray) child_ids = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint children_along = 0;
    gboolean found_connection = name && cg_engine_get_connection(server->engine, name);
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(server->engine, name);
    for (guint i = 0; i < sas->len; i++) {
        const CgIkeSnapshot *sa = sas->pdata[i];
        if (by_ike ? sa->unique_id != ike_id : (name && strcmp(sa->conn_name, name) != 0))
            continue;
        found_connection = found_connection || (name && !by_ike);
        if (!by_ike && !by_child && !remote_is(sa, remote))
            continue;
        if (by_child || child) {
            for (guint j = 0; sa->children && j < sa->children->len; j++) {
                const CgChildSnapshot *c = sa->children->pdata[j];
                if (by_child ? c->unique_id == child_id : strcmp(c->name, child) == 0)
                    g_array_append_val(child_ids, c->unique_id);
            }
        } else {
            g_array_append_val(ike_ids, sa->unique_id);
            children_along += sa->children ? sa->children->len : 0;
        }
    }
    if (by_ike && ike_ids->len == 0 && child_ids->len == 0) {
        sa_not_found(call, "ike_id", ike_id);
        return;
    }
    if (by_child && child_ids->len == 0) {
        sa_not_found(call, "child_id", child_id);
        return;
    }
    if (!by_ike && !by_child && !found_connection) {
        connection_not_found(call, name);
        return;
    }

    gboolean wait = cg_control_param_bool(parameters, "wait", TRUE);
    CgControlWaiter *waiter = NULL;
    if (wait && (ike_ids->len || child_ids->len))
        waiter = cg_control_wait_terminate(call, by_ike || by_child ? NULL : name, ike_ids,
                                           child_ids, timeout_ms);
    for (guint i = 0; i < ike_ids->len; i++)
        cg_engine_terminate_ike(server->engine, g_array_index(ike_ids, guint32, i), NULL);
    for (guint i = 0; i < child_ids->len; i++)
        cg_engine_terminate_child(server->engine, g_array_index(child_ids, guint32, i), NULL);
    cg_info(name, "control: %s asked %u IKE_SA(s) and %u CHILD_SA(s) to go", call->client->peer,
            ike_ids->len, child_ids->len);
    if (waiter)
        cg_control_waiter_arm(waiter);
    else
        reply_counts(call, ike_ids->len, child_ids->len + children_along);
}

static void
rekey(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    guint32 ike_id = 0, child_id = 0;
    gboolean by_ike, by_child;
    if (!param_id(call, parameters, "ike_id", &ike_id, &by_ike)
        || !param_id(call, parameters, "child_id", &child_id, &by_child))
        return;
    if (by_ike == by_child) {
        invalid_parameter(call, by_ike ? "child_id" : "ike_id");
        return;
    }
    gboolean ok = by_ike ? cg_engine_rekey_ike(server->engine, ike_id, NULL)
                         : cg_engine_rekey_child(server->engine, child_id, NULL);
    if (!ok) {
        sa_not_found(call, by_ike ? "ike_id" : "child_id", by_ike ? ike_id : child_id);
        return;
    }
    cg_control_call_reply(call, NULL);
}

static void
list_sas(CgControlCall *call, JsonObject *parameters)
{
    CgControlServer *server = cg_control_call_server(call);
    const char *name = cg_control_param_string(parameters, "connection");
    const char *prefix = cg_control_param_string(parameters, "prefix");
    guint32 ike_id = 0;
    gboolean by_id;
    if (!param_id(call, parameters, "ike_id", &ike_id, &by_id))
        return;
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(server->engine, name ? name : prefix);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < sas->len; i++) {
        const CgIkeSnapshot *sa = sas->pdata[i];
        if (!cg_control_name_matches(sa->conn_name, name, prefix)
            || (by_id && sa->unique_id != ike_id))
            continue;
        json_array_add_object_element(out, cg_control_json_ike_sa(sa));
    }
    JsonObject *p = json_object_new();
    json_object_set_array_member(p, "sas", out);
    cg_control_call_reply(call, p);
}

static void
monitor(CgControlCall *call, JsonObject *parameters)
{
    if (call->oneway)
        return; /* a stream nobody wants to read */
    if (!call->more) {
        cg_control_call_error(call, VARLINK_ERR("ExpectedMore"), NULL);
        return;
    }
    if (call->client->monitoring) {
        cg_control_call_error(call, CG_CONTROL_ERR("AlreadyMonitoring"), NULL);
        return;
    }
    cg_control_monitor_start(call, cg_control_param_string(parameters, "connection"),
                             cg_control_param_string(parameters, "prefix"));
}

/* ---- the table ------------------------------------------------------------- */

static const struct {
    const char *name;
    CgControlMethod handler;
} methods[] = {
    { VARLINK_SERVICE ".GetInfo", get_info },
    { VARLINK_SERVICE ".GetInterfaceDescription", get_interface_description },
    { CG_CONTROL_INTERFACE ".GetVersion", get_version },
    { CG_CONTROL_INTERFACE ".GetStats", get_stats },
    { CG_CONTROL_INTERFACE ".LoadConnection", load_connection },
    { CG_CONTROL_INTERFACE ".UnloadConnection", unload_connection },
    { CG_CONTROL_INTERFACE ".ListConnections", list_connections },
    { CG_CONTROL_INTERFACE ".LoadPool", load_pool },
    { CG_CONTROL_INTERFACE ".Initiate", initiate },
    { CG_CONTROL_INTERFACE ".Terminate", terminate },
    { CG_CONTROL_INTERFACE ".Rekey", rekey },
    { CG_CONTROL_INTERFACE ".ListSAs", list_sas },
    { CG_CONTROL_INTERFACE ".Monitor", monitor },
};

CgControlMethod
cg_control_find_method(const char *method)
{
    for (guint i = 0; i < G_N_ELEMENTS(methods); i++)
        if (strcmp(methods[i].name, method) == 0)
            return methods[i].handler;
    return NULL;
}
