/* cg-control-wait.c: Initiate and Terminate calls that wait for the
 * outcome. They follow the engine's events; a slow poll of the SA list
 * backs them up, since not every way an SA can vanish is an event (a
 * half-open responder SA that fizzles publishes nothing). */
#include "config.h"

#include <string.h>

#include "cg-control-private.h"
#include "log/cg-log.h"

#define POLL_INTERVAL_MS 250

typedef enum {
    WAIT_INITIATE,
    WAIT_TERMINATE,
} WaitKind;

struct CgControlWaiter {
    WaitKind kind;
    CgControlServer *server;
    CgControlCall *call;
    GSource *timeout;
    gboolean armed;  /* terminate: all deletes asked for, may finish */
    char *conn_name; /* narrows the SA lists it polls; NULL = all */

    /* initiate */
    guint32 ike_id;
    GSource *reply_idle; /* after IKE_UP: lets the first CHILD_SAs come up too */
    CgReason fail_reason;
    char *fail_message;

    /* terminate: the SAs not yet gone, and the counts to report */
    GArray *ike_ids;
    GArray *child_ids;
    guint ike_total;
    guint child_total;
};

void
cg_control_captured_event_clear(gpointer data)
{
    CgCapturedEvent *c = data;
    g_clear_pointer(&c->message, g_free);
}

static void
destroy_source(GSource **source)
{
    if (*source) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

static void
waiter_free(CgControlWaiter *w)
{
    destroy_source(&w->timeout);
    destroy_source(&w->reply_idle);
    cg_control_call_unref(w->call);
    g_free(w->fail_message);
    g_free(w->conn_name);
    g_clear_pointer(&w->ike_ids, g_array_unref);
    g_clear_pointer(&w->child_ids, g_array_unref);
    g_free(w);
}

static gboolean on_poll(gpointer data);

/* The waiter leaves the list (and is freed) before its reply goes out:
 * a reply can close the client, which drops that client's waiters. */
static void
waiter_finish(CgControlWaiter *w)
{
    CgControlServer *server = w->server;
    g_ptr_array_remove(server->waiters, w);
    if (server->waiters->len == 0)
        destroy_source(&server->waiter_poll);
}

static void
add_waiter(CgControlServer *server, CgControlWaiter *w)
{
    g_ptr_array_add(server->waiters, w);
    if (!server->waiter_poll) {
        server->waiter_poll = g_timeout_source_new(POLL_INTERVAL_MS);
        g_source_set_callback(server->waiter_poll, on_poll, server, NULL);
        g_source_attach(server->waiter_poll, server->context);
    }
}

static gboolean
still_waiting(CgControlServer *server, CgControlWaiter *w)
{
    return g_ptr_array_find(server->waiters, w, NULL);
}

/* ---- initiate ------------------------------------------------------------ */

static void
initiate_failed(CgControlWaiter *w, CgReason reason, const char *message)
{
    g_autoptr(CgControlCall) call = cg_control_call_ref(w->call);
    guint32 ike_id = w->ike_id;
    if (reason == CG_REASON_NONE)
        reason = w->fail_reason != CG_REASON_NONE ? w->fail_reason : CG_REASON_LOCAL_ERROR;
    g_autofree char *text = g_strdup(w->fail_message ? w->fail_message
                                     : message       ? message
                                                     : cg_reason_describe(reason));
    waiter_finish(w);
    waiter_free(w);
    JsonObject *p = json_object_new();
    json_object_set_int_member(p, "ike_id", ike_id);
    json_object_set_string_member(p, "reason", cg_reason_to_string(reason));
    json_object_set_string_member(p, "message", text);
    cg_control_call_error(call, CG_CONTROL_ERR("InitiateFailed"), p);
}

static gboolean
on_initiate_up(gpointer data)
{
    CgControlWaiter *w = data;
    g_autoptr(CgControlCall) call = cg_control_call_ref(w->call);
    guint32 ike_id = w->ike_id;
    g_autoptr(CgIkeSnapshot) sa = cg_control_find_sa(w->server->engine, w->conn_name, ike_id);
    g_source_unref(g_steal_pointer(&w->reply_idle));
    if (!sa) {
        initiate_failed(w, CG_REASON_NONE, "the IKE_SA went down right after it came up");
        return G_SOURCE_REMOVE;
    }
    waiter_finish(w);
    waiter_free(w);
    JsonObject *p = json_object_new();
    json_object_set_int_member(p, "ike_id", ike_id);
    json_object_set_boolean_member(p, "established", TRUE);
    json_object_set_object_member(p, "sa", cg_control_json_ike_sa(sa));
    cg_control_call_reply(call, p);
    return G_SOURCE_REMOVE;
}

/* TRUE when the waiter is done (and freed). */
static gboolean
initiate_event(CgControlWaiter *w, CgEventType type, guint32 ike_id, guint32 old_ike_id,
               CgReason reason, const char *message)
{
    if (type == CG_EVENT_IKE_REKEYED && old_ike_id == w->ike_id) {
        w->ike_id = ike_id;
        return FALSE;
    }
    if (ike_id != w->ike_id)
        return FALSE;
    switch (type) {
        case CG_EVENT_AUTH:
        case CG_EVENT_ERROR:
            if (reason != CG_REASON_NONE) {
                w->fail_reason = reason;
                g_free(w->fail_message);
                w->fail_message = g_strdup(message);
            }
            return FALSE;
        case CG_EVENT_IKE_UP:
            if (!w->reply_idle) {
                w->reply_idle = g_idle_source_new();
                g_source_set_callback(w->reply_idle, on_initiate_up, w, NULL);
                g_source_attach(w->reply_idle, w->server->context);
            }
            return FALSE;
        case CG_EVENT_IKE_DOWN:
            destroy_source(&w->reply_idle);
            initiate_failed(w, reason, message);
            return TRUE;
        default:
            return FALSE;
    }
}

static gboolean
on_timeout(gpointer data)
{
    CgControlWaiter *w = data;
    g_autoptr(CgControlCall) call = cg_control_call_ref(w->call);
    guint32 ike_id = w->kind == WAIT_INITIATE ? w->ike_id : 0;
    g_source_unref(g_steal_pointer(&w->timeout));
    waiter_finish(w);
    waiter_free(w);
    JsonObject *p = json_object_new();
    if (ike_id)
        json_object_set_int_member(p, "ike_id", ike_id);
    cg_control_call_error(call, CG_CONTROL_ERR("Timeout"), p);
    return G_SOURCE_REMOVE;
}

static CgControlWaiter *
waiter_new(WaitKind kind, CgControlCall *call, const char *conn_name, gint64 timeout_ms)
{
    CgControlWaiter *w = g_new0(CgControlWaiter, 1);
    w->kind = kind;
    w->conn_name = g_strdup(conn_name);
    w->server = cg_control_call_server(call);
    w->call = cg_control_call_ref(call);
    if (timeout_ms > 0) {
        w->timeout = g_timeout_source_new((guint)timeout_ms);
        g_source_set_callback(w->timeout, on_timeout, w, NULL);
        g_source_attach(w->timeout, w->server->context);
    }
    return w;
}

void
cg_control_wait_initiate(CgControlCall *call, const char *conn_name, guint32 ike_id,
                         gint64 timeout_ms, GArray *captured)
{
    CgControlWaiter *w = waiter_new(WAIT_INITIATE, call, conn_name, timeout_ms);
    w->ike_id = ike_id;
    w->armed = TRUE;
    add_waiter(w->server, w);
    for (guint i = 0; captured && i < captured->len; i++) {
        const CgCapturedEvent *c = &g_array_index(captured, CgCapturedEvent, i);
        if (initiate_event(w, c->type, c->ike_unique_id, 0, c->reason, c->message))
            return;
    }
}

/* ---- terminate ----------------------------------------------------------- */

static gboolean
remove_id(GArray *ids, guint32 id)
{
    for (guint i = 0; i < ids->len; i++) {
        if (g_array_index(ids, guint32, i) == id) {
            g_array_remove_index_fast(ids, i);
            return TRUE;
        }
    }
    return FALSE;
}

/* TRUE when the waiter is done (and freed). */
static gboolean
terminate_check_done(CgControlWaiter *w)
{
    if (!w->armed || w->ike_ids->len || w->child_ids->len)
        return FALSE;
    g_autoptr(CgControlCall) call = cg_control_call_ref(w->call);
    guint ike_total = w->ike_total, child_total = w->child_total;
    waiter_finish(w);
    waiter_free(w);
    JsonObject *p = json_object_new();
    json_object_set_int_member(p, "ike_sas", ike_total);
    json_object_set_int_member(p, "child_sas", child_total);
    cg_control_call_reply(call, p);
    return TRUE;
}

CgControlWaiter *
cg_control_wait_terminate(CgControlCall *call, const char *conn_name, GArray *ike_ids,
                          GArray *child_ids, gint64 timeout_ms)
{
    CgControlWaiter *w = waiter_new(WAIT_TERMINATE, call, conn_name, timeout_ms);
    w->ike_ids = g_array_copy(ike_ids);
    w->child_ids = g_array_copy(child_ids);
    w->ike_total = ike_ids->len;
    w->child_total = child_ids->len;
    /* children that go with their IKE_SA count too */
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(w->server->engine, conn_name);
    for (guint i = 0; i < sas->len; i++) {
        const CgIkeSnapshot *sa = sas->pdata[i];
        for (guint j = 0; j < ike_ids->len; j++)
            if (g_array_index(ike_ids, guint32, j) == sa->unique_id && sa->children)
                w->child_total += sa->children->len;
    }
    add_waiter(w->server, w);
    return w;
}

void
cg_control_waiter_arm(CgControlWaiter *w)
{
    if (!still_waiting(w->server, w))
        return;
    w->armed = TRUE;
    terminate_check_done(w);
}

static gboolean
terminate_event(CgControlWaiter *w, const CgEvent *ev)
{
    if (ev->type == CG_EVENT_IKE_DOWN)
        remove_id(w->ike_ids, ev->ike_unique_id);
    else if (ev->type == CG_EVENT_CHILD_DOWN)
        remove_id(w->child_ids, ev->child_unique_id);
    else
        return FALSE;
    return terminate_check_done(w);
}

/* ---- dispatching --------------------------------------------------------- */

void
cg_control_waiters_on_event(CgControlServer *server, const CgEvent *ev)
{
    if (server->waiters->len == 0)
        return;
    /* a copy: finishing one waiter can free others (its client closes) */
    g_autoptr(GPtrArray) waiters = g_ptr_array_copy(server->waiters, NULL, NULL);
    for (guint i = 0; i < waiters->len; i++) {
        CgControlWaiter *w = waiters->pdata[i];
        if (!still_waiting(server, w))
            continue;
        if (w->kind == WAIT_INITIATE)
            initiate_event(w, ev->type, ev->ike_unique_id, ev->old_ike_unique_id, ev->reason,
                           ev->message);
        else
            terminate_event(w, ev);
    }
}

static gboolean
child_exists(GPtrArray *sas, guint32 id)
{
    for (guint i = 0; i < sas->len; i++) {
        const CgIkeSnapshot *sa = sas->pdata[i];
        for (guint j = 0; sa->children && j < sa->children->len; j++)
            if (((CgChildSnapshot *)sa->children->pdata[j])->unique_id == id)
                return TRUE;
    }
    return FALSE;
}

static gboolean
ike_exists(GPtrArray *sas, guint32 id)
{
    for (guint i = 0; i < sas->len; i++)
        if (((CgIkeSnapshot *)sas->pdata[i])->unique_id == id)
            return TRUE;
    return FALSE;
}

static gboolean
on_poll(gpointer data)
{
    CgControlServer *server = data;
    g_autoptr(GPtrArray) waiters = g_ptr_array_copy(server->waiters, NULL, NULL);
    for (guint i = 0; i < waiters->len; i++) {
        CgControlWaiter *w = waiters->pdata[i];
        if (!still_waiting(server, w))
            continue;
        g_autoptr(GPtrArray) sas = cg_engine_list_sas(server->engine, w->conn_name);
        if (w->kind == WAIT_INITIATE) {
            if (!w->reply_idle && !ike_exists(sas, w->ike_id))
                initiate_failed(w, CG_REASON_NONE, "the IKE_SA is gone");
            continue;
        }
        for (guint j = w->ike_ids->len; j > 0; j--)
            if (!ike_exists(sas, g_array_index(w->ike_ids, guint32, j - 1)))
                g_array_remove_index_fast(w->ike_ids, j - 1);
        for (guint j = w->child_ids->len; j > 0; j--)
            if (!child_exists(sas, g_array_index(w->child_ids, guint32, j - 1)))
                g_array_remove_index_fast(w->child_ids, j - 1);
        terminate_check_done(w);
    }
    /* the last waiter's finish destroyed this source */
    return server->waiter_poll ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void
cg_control_waiters_drop_client(CgControlServer *server, CgControlClient *client)
{
    for (guint i = server->waiters->len; i > 0; i--) {
        CgControlWaiter *w = server->waiters->pdata[i - 1];
        if (w->call->client == client) {
            waiter_finish(w);
            waiter_free(w);
        }
    }
}

void
cg_control_waiters_free_all(CgControlServer *server)
{
    while (server->waiters->len > 0) {
        CgControlWaiter *w = server->waiters->pdata[server->waiters->len - 1];
        waiter_finish(w);
        waiter_free(w);
    }
    destroy_source(&server->waiter_poll);
}
