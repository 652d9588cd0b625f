/* cg-control-monitor.c: Monitor streams. A Monitor first sends the SAs as
 * they are now, then "synced", then every event the engine publishes, as
 * it publishes it: the event is written to the client's socket inside the
 * bus callback, so nothing but the kernel sits between the state change
 * and the client. Each event is turned into JSON once, whatever the
 * number of clients. */
#include "config.h"

#include <string.h>

#include "cg-control-private.h"
#include "log/cg-log.h"

#define MONITOR_METHOD CG_CONTROL_INTERFACE ".Monitor"

gboolean
cg_control_name_matches(const char *name, const char *connection, const char *prefix)
{
    if (connection && g_strcmp0(name, connection) != 0)
        return FALSE;
    if (prefix && (!name || !g_str_has_prefix(name, prefix)))
        return FALSE;
    return TRUE;
}

static gboolean
client_wants(const CgControlClient *client, const char *conn_name)
{
    if (!client->monitoring || client->closed)
        return FALSE;
    /* engine-wide events (no connection) only go to unfiltered monitors */
    if (!conn_name)
        return !client->monitor_connection && !client->monitor_prefix;
    return cg_control_name_matches(conn_name, client->monitor_connection, client->monitor_prefix);
}

void
cg_control_monitor_start(CgControlCall *call, const char *connection, const char *prefix)
{
    CgControlClient *client = call->client;
    CgControlServer *server = client->server;
    g_autoptr(CgControlClient) keep = cg_control_client_ref(client);
    (void)keep; /* held to the end of the call: a reply may drop the last other ref */
    client->monitoring = TRUE;
    client->monitor_connection = g_strdup(connection);
    client->monitor_prefix = g_strdup(prefix);
    server->monitor_count++;
    cg_control_call_start_stream(call);
    cg_debug(NULL, "control: %s monitors %s%s", client->peer,
             connection ? connection
             : prefix   ? prefix
                        : "everything",
             prefix ? "*" : "");

    /* the state as it is now: one message per IKE_SA, exempt from the
     * queue bound (a large gateway may have many) */
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(server->engine, connection ? connection : prefix);
    for (guint i = 0; i < sas->len && !client->closed; i++) {
        const CgIkeSnapshot *sa = sas->pdata[i];
        if (!cg_control_name_matches(sa->conn_name, connection, prefix))
            continue;
        JsonObject *p = json_object_new();
        json_object_set_object_member(p, "sa", cg_control_json_ike_sa(sa));
        g_autoptr(GBytes) msg = cg_control_stream_message(server, MONITOR_METHOD, p);
        cg_control_client_send(client, msg, TRUE);
    }
    JsonObject *synced = json_object_new();
    json_object_set_boolean_member(synced, "synced", TRUE);
    g_autoptr(GBytes) msg = cg_control_stream_message(server, MONITOR_METHOD, synced);
    cg_control_client_send(client, msg, TRUE);
}

void
cg_control_monitor_stop(CgControlClient *client)
{
    if (!client->monitoring)
        return;
    client->monitoring = FALSE;
    client->server->monitor_count--;
}

static void
capture(CgControlServer *server, const CgEvent *ev)
{
    CgCapturedEvent c = {
        .type = ev->type,
        .ike_unique_id = ev->ike_unique_id,
        .reason = ev->reason,
        .message = g_strdup(ev->message),
    };
    g_array_append_val(server->capture, c);
}

void
cg_control_on_event(const CgEvent *ev, gpointer user_data)
{
    CgControlServer *server = user_data;
    if (server->capture)
        capture(server, ev);

    if (server->monitor_count > 0) {
        g_autoptr(GBytes) msg = NULL;
        /* a copy: a send may drop a client, which changes server->clients */
        g_autoptr(GPtrArray) clients
            = g_ptr_array_new_with_free_func((GDestroyNotify)cg_control_client_unref);
        for (guint i = 0; i < server->clients->len; i++) {
            CgControlClient *c = server->clients->pdata[i];
            if (client_wants(c, ev->conn_name))
                g_ptr_array_add(clients, cg_control_client_ref(c));
        }
        for (guint i = 0; i < clients->len; i++) {
            if (!msg) {
                JsonObject *event = cg_control_json_event(ev);
                if (!event)
                    break;
                JsonObject *p = json_object_new();
                json_object_set_object_member(p, "event", event);
                msg = cg_control_stream_message(server, MONITOR_METHOD, p);
            }
            cg_control_client_send(clients->pdata[i], msg, FALSE);
        }
    }
    cg_control_waiters_on_event(server, ev);
}
