/* cg-control-call.c: one message -> one checked method call, and replies
 * back in the order the calls came (Varlink has no call ids: a client
 * pairs replies with calls by their order). A Monitor leaves that queue
 * once it streams; its replies carry "continues": true and interleave. */
#include "config.h"

#include <string.h>

#include "cg-control-private.h"
#include "log/cg-log.h"
#include "src/shared/cg-json-guard.h"

/* JSON nested deeper than this is refused before it is parsed: the parser
 * recurses, and nothing in the interface comes close. */
#define MAX_JSON_DEPTH 64

/* ---- calls ------------------------------------------------------------ */

static CgControlCall *
call_new(CgControlClient *client, const char *method, gboolean oneway, gboolean more)
{
    CgControlCall *call = g_new0(CgControlCall, 1);
    call->ref_count = 1;
    call->client = cg_control_client_ref(client);
    call->method = g_strdup(method ? method : "");
    call->oneway = oneway;
    call->more = more;
    return call;
}

CgControlCall *
cg_control_call_ref(CgControlCall *call)
{
    g_atomic_int_inc(&call->ref_count);
    return call;
}

void
cg_control_call_unref(CgControlCall *call)
{
    if (!call || !g_atomic_int_dec_and_test(&call->ref_count))
        return;
    cg_control_client_unref(call->client);
    g_free(call->method);
    g_clear_pointer(&call->reply, g_bytes_unref);
    g_free(call);
}

CgControlServer *
cg_control_call_server(CgControlCall *call)
{
    return call->client->server;
}

/* Sends the answered calls at the head of the queue, in order. */
static void
flush_pending(CgControlClient *client)
{
    g_autoptr(CgControlClient) keep = cg_control_client_ref(client);
    (void)keep; /* held to the end of the call: a reply may drop the last other ref */
    while (!client->closed && !g_queue_is_empty(&client->pending)) {
        CgControlCall *head = g_queue_peek_head(&client->pending);
        if (!head->answered)
            break;
        g_queue_pop_head(&client->pending);
        g_autoptr(GBytes) reply = g_steal_pointer(&head->reply);
        cg_control_call_unref(head);
        if (!cg_control_client_send(client, reply, FALSE))
            break;
    }
}

/* ---- messages ---------------------------------------------------------- */

static CgVarlinkInterface *
interface_named(CgControlServer *server, const char *name)
{
    if (strcmp(name, cg_varlink_interface_name(server->ike_iface)) == 0)
        return server->ike_iface;
    if (strcmp(name, cg_varlink_interface_name(server->service_iface)) == 0)
        return server->service_iface;
    return NULL;
}

/* "io.cygnet.Ike.ListSAs" -> interface "io.cygnet.Ike", member "ListSAs". */
static gboolean
split_qualified(const char *name, char **iface, const char **member)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name || !dot[1])
        return FALSE;
    *iface = g_strndup(name, (gsize)(dot - name));
    *member = dot + 1;
    return TRUE;
}

/* Tests run with CG_CONTROL_CHECK_REPLIES=1: what we send must match the
 * interface as strictly as what we accept. */
static void
check_reply(CgControlServer *server, const char *method, const char *error, JsonObject *parameters)
{
    g_autofree char *iface_name = NULL;
    const char *member;
    if (!split_qualified(error ? error : method, &iface_name, &member))
        return;
    CgVarlinkInterface *iface = interface_named(server, iface_name);
    const CgVarlinkType *type = NULL;
    if (iface)
        type = error ? cg_varlink_error_type(iface, member)
                     : cg_varlink_method_output(iface, member);
    g_autofree char *path = NULL;
    const char *why = NULL;
    if (!type)
        cg_error(NULL, "control: BUG: reply to %s names undeclared %s", method,
                 error ? error : "method");
    else if (!cg_varlink_check_parameters(type, parameters, &path, &why))
        cg_error(NULL, "control: BUG: reply to %s (%s) does not match the interface: %s %s", method,
                 error ? error : "parameters", path, why);
}

static GBytes *
message_new(CgControlServer *server, const char *method, const char *error, JsonObject *parameters,
            gboolean continues)
{
    g_autoptr(JsonObject) params = parameters ? parameters : json_object_new();
    if (server->check_replies)
        check_reply(server, method, error, params);
    g_autoptr(JsonObject) root = json_object_new();
    json_object_set_object_member(root, "parameters", json_object_ref(params));
    if (error)
        json_object_set_string_member(root, "error", error);
    if (continues)
        json_object_set_boolean_member(root, "continues", TRUE);
    g_autoptr(JsonNode) node = json_node_alloc();
    json_node_init_object(node, root);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, node);
    gsize len = 0;
    char *text = json_generator_to_data(gen, &len);
    /* the NUL that json_generator_to_data leaves at the end frames it */
    return g_bytes_new_take(text, len + 1);
}

GBytes *
cg_control_stream_message(CgControlServer *server, const char *method, JsonObject *parameters)
{
    return message_new(server, method, NULL, parameters, TRUE);
}

static void
answer(CgControlCall *call, GBytes *message)
{
    if (call->answered || call->streaming) {
        g_bytes_unref(message);
        g_warn_if_reached();
        return;
    }
    call->answered = TRUE;
    if (call->oneway || call->client->closed) {
        g_bytes_unref(message);
        return;
    }
    call->reply = message;
    flush_pending(call->client);
}

void
cg_control_call_reply(CgControlCall *call, JsonObject *parameters)
{
    answer(call, message_new(cg_control_call_server(call), call->method, NULL, parameters, FALSE));
}

void
cg_control_call_error(CgControlCall *call, const char *error, JsonObject *parameters)
{
    cg_debug(NULL, "control: %s: %s answered %s", call->client->peer,
             *call->method ? call->method : "(no method)", error);
    answer(call, message_new(cg_control_call_server(call), call->method, error, parameters, FALSE));
}

void
cg_control_call_error_string(CgControlCall *call, const char *error, const char *field,
                             const char *value)
{
    JsonObject *p = json_object_new();
    json_object_set_string_member(p, field, value);
    cg_control_call_error(call, error, p);
}

void
cg_control_call_start_stream(CgControlCall *call)
{
    CgControlClient *client = call->client;
    call->streaming = TRUE;
    if (g_queue_remove(&client->pending, call))
        cg_control_call_unref(call);
    flush_pending(client);
}

/* ---- parsing a call ------------------------------------------------------ */

static JsonObject *
parse_object(const char *data, gsize len, char **why)
{
    if (len == 0) {
        *why = g_strdup("empty message");
        return NULL;
    }
    if (!g_utf8_validate_len(data, len, NULL)) {
        *why = g_strdup("not valid UTF-8");
        return NULL;
    }
    if (!cg_json_guard(data, len, MAX_JSON_DEPTH, why))
        return NULL;
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_data(parser, data, (gssize)len, &error)) {
        *why = g_strdup_printf("malformed JSON: %s", error->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        *why = g_strdup("the message is not a JSON object");
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

static gboolean
optional_bool(JsonObject *obj, const char *name, gboolean *out, char **why)
{
    *out = FALSE;
    JsonNode *n = json_object_get_member(obj, name);
    if (!n || JSON_NODE_HOLDS_NULL(n))
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        *why = g_strdup_printf("'%s' must be a boolean", name);
        return FALSE;
    }
    *out = json_node_get_boolean(n);
    return TRUE;
}

/* The call object: method, parameters, oneway, more, upgrade; vendor
 * extensions are objects named in reverse-domain notation (Varlink
 * "Method Call") and are ignored. Anything else is refused. */
static gboolean
read_call(JsonObject *obj, const char **method, JsonObject **parameters, gboolean *oneway,
          gboolean *more, gboolean *upgrade, char **why)
{
    JsonObjectIter it;
    const char *key;
    JsonNode *value;
    json_object_iter_init(&it, obj);
    while (json_object_iter_next(&it, &key, &value)) {
        if (!strcmp(key, "method") || !strcmp(key, "parameters") || !strcmp(key, "oneway")
            || !strcmp(key, "more") || !strcmp(key, "upgrade"))
            continue;
        if (strchr(key, '.') && JSON_NODE_HOLDS_OBJECT(value))
            continue;
        *why = g_strdup_printf("unknown field '%s' in the method call", key);
        return FALSE;
    }
    JsonNode *m = json_object_get_member(obj, "method");
    if (!m || !JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != G_TYPE_STRING) {
        *why = g_strdup("the method call has no 'method' string");
        return FALSE;
    }
    *method = json_node_get_string(m);
    JsonNode *p = json_object_get_member(obj, "parameters");
    *parameters = NULL;
    if (p && !JSON_NODE_HOLDS_NULL(p)) {
        if (!JSON_NODE_HOLDS_OBJECT(p)) {
            *why = g_strdup("'parameters' must be an object");
            return FALSE;
        }
        *parameters = json_node_get_object(p);
    }
    return optional_bool(obj, "oneway", oneway, why) && optional_bool(obj, "more", more, why)
           && optional_bool(obj, "upgrade", upgrade, why);
}

static gboolean
admit_call(CgControlClient *client, CgControlCall *call)
{
    if (call->oneway)
        return TRUE;
    if (g_queue_get_length(&client->pending) >= CG_CONTROL_MAX_PENDING_CALLS) {
        g_autofree char *why
            = g_strdup_printf("more than %d calls in flight without reading the replies",
                              CG_CONTROL_MAX_PENDING_CALLS);
        client->server->clients_dropped++;
        cg_control_client_close(client, why);
        return FALSE;
    }
    g_queue_push_tail(&client->pending, cg_control_call_ref(call));
    return TRUE;
}

void
cg_control_reply_too_large(CgControlClient *client)
{
    g_autoptr(CgControlCall) call = call_new(client, NULL, FALSE, FALSE);
    if (!admit_call(client, call))
        return;
    cg_debug(NULL, "control: %s sent a message over %zu bytes", client->peer,
             client->server->max_message_bytes);
    JsonObject *p = json_object_new();
    json_object_set_int_member(p, "limit_bytes", (gint64)client->server->max_message_bytes);
    cg_control_call_error(call, CG_CONTROL_ERR("MessageTooLarge"), p);
}

void
cg_control_dispatch(CgControlClient *client, const char *data, gsize len)
{
    CgControlServer *server = client->server;
    g_autoptr(CgControlClient) keep = cg_control_client_ref(client);
    (void)keep; /* held to the end of the call: a reply may drop the last other ref */
    g_autofree char *why = NULL;
    g_autoptr(JsonObject) obj = parse_object(data, len, &why);
    const char *method = NULL;
    JsonObject *parameters = NULL;
    gboolean oneway = FALSE, more = FALSE, upgrade = FALSE;
    gboolean well_formed
        = obj && read_call(obj, &method, &parameters, &oneway, &more, &upgrade, &why);

    g_autoptr(CgControlCall) call = call_new(client, well_formed ? method : NULL, oneway, more);
    if (!admit_call(client, call))
        return;
    if (!well_formed) {
        cg_control_call_error_string(call, CG_CONTROL_ERR("InvalidMessage"), "reason", why);
        return;
    }
    if (upgrade) {
        cg_control_call_error_string(call, CG_CONTROL_ERR("InvalidMessage"), "reason",
                                     "this service has no protocol to upgrade to");
        return;
    }
    g_autofree char *iface_name = NULL;
    const char *member = NULL;
    if (!split_qualified(method, &iface_name, &member)) {
        cg_control_call_error_string(call, VARLINK_ERR("MethodNotFound"), "method", method);
        return;
    }
    CgVarlinkInterface *iface = interface_named(server, iface_name);
    if (!iface) {
        cg_control_call_error_string(call, VARLINK_ERR("InterfaceNotFound"), "interface",
                                     iface_name);
        return;
    }
    const CgVarlinkType *input = cg_varlink_method_input(iface, member);
    if (!input) {
        cg_control_call_error_string(call, VARLINK_ERR("MethodNotFound"), "method", method);
        return;
    }
    g_autofree char *bad = NULL;
    const char *bad_why = NULL;
    if (!cg_varlink_check_parameters(input, parameters, &bad, &bad_why)) {
        cg_debug(NULL, "control: %s: %s: parameter %s %s", client->peer, method, bad, bad_why);
        cg_control_call_error_string(call, VARLINK_ERR("InvalidParameter"), "parameter", bad);
        return;
    }
    CgControlMethod handler = cg_control_find_method(method);
    if (!handler) {
        cg_control_call_error_string(call, VARLINK_ERR("MethodNotImplemented"), "method", method);
        return;
    }
    g_autoptr(JsonObject) empty = parameters ? NULL : json_object_new();
    handler(call, parameters ? parameters : empty);
}
