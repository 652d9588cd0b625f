/* cg-control-private.h: what the control server's files share. Not for
 * use outside src/ike-core/control.
 *
 *   cg-control-server.c   socket, clients, framing, bounded output queues
 *   cg-control-call.c     a message -> a checked call; replies in call order
 *   cg-control-methods.c  the methods of io.cygnet.Ike and org.varlink.service
 *   cg-control-monitor.c  Monitor streams and the engine's events
 *   cg-control-wait.c     Initiate/Terminate calls waiting for the outcome
 *   cg-control-json.c     snapshots and events as JSON
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cg-control.h"
#include "cg-varlink-idl.h"

G_BEGIN_DECLS

#define VARLINK_SERVICE      "org.varlink.service"
#define VARLINK_ERR(name)    VARLINK_SERVICE "." name
#define CG_CONTROL_ERR(name) CG_CONTROL_INTERFACE "." name

/* More calls in flight on one connection than this and it is dropped:
 * a client that pipelines without reading replies must not grow us. */
#define CG_CONTROL_MAX_PENDING_CALLS 256

typedef struct CgControlClient CgControlClient;
typedef struct CgControlCall CgControlCall;
typedef struct CgControlWaiter CgControlWaiter;

/* An event seen while the server itself called into the engine (an
 * Initiate can fail before it returns the id to wait for). */
typedef struct {
    CgEventType type;
    guint32 ike_unique_id;
    CgReason reason;
    char *message;
} CgCapturedEvent;

struct CgControlServer {
    CgEngine *engine;
    GMainContext *context;
    char *socket_path;
    char *group;
    char *product;
    gsize max_queue_bytes;
    gsize max_message_bytes;
    guint max_clients;
    CgControlConnFromKeys conn_from_keys;
    CgControlChildFromKeys child_from_keys;
    CgControlSecretParse secret_parse;
    gpointer loader_data;

    GSocket *listener;
    GSource *listen_source;
    GPtrArray *clients; /* CgControlClient*, one reference each */
    guint next_client_id;
    guint subscription;
    CgVarlinkInterface *ike_iface;
    CgVarlinkInterface *service_iface;
    GPtrArray *waiters; /* CgControlWaiter* */
    GSource *waiter_poll;
    GArray *capture;   /* CgCapturedEvent, only while capturing */
    GHashTable *pools; /* name -> range text of the pools LoadPool added */
    guint monitor_count;
    guint64 clients_dropped;
    gboolean check_replies; /* CG_CONTROL_CHECK_REPLIES=1: check replies too (tests) */
};

struct CgControlClient {
    gint ref_count;
    CgControlServer *server;
    guint id;
    char *peer; /* "client 3 (pid 1234, uid 0)" for log lines */
    GSocket *socket;
    GSource *read_source;
    GSource *write_source;
    GByteArray *in;
    gboolean discarding; /* skipping the rest of an oversized message */
    GQueue out;          /* GBytes*: whole messages, NUL included */
    gsize out_offset;    /* bytes of the head already written */
    gsize queued_bytes;
    gsize allowance_bytes; /* the Monitor dump, exempt from the bound */
    GQueue pending;        /* CgControlCall*: ordinary calls, in call order */
    gboolean monitoring;
    char *monitor_connection;
    char *monitor_prefix;
    gboolean closed;
};

struct CgControlCall {
    gint ref_count;
    CgControlClient *client; /* a reference; closing the client drops its calls */
    char *method;            /* fully qualified, e.g. "io.cygnet.Ike.ListSAs" */
    gboolean oneway;
    gboolean more;
    gboolean answered;
    gboolean streaming; /* a Monitor: no longer waits in the pending queue */
    GBytes *reply;
};

/* ---- cg-control-server.c ---------------------------------------------- */

CgControlClient *cg_control_client_ref(CgControlClient *client);
void cg_control_client_unref(CgControlClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgControlClient, cg_control_client_unref)
/* Closes the connection; `why` (may be NULL) is logged. Safe to call
 * twice and from inside any callback: the memory lives on while
 * references remain. */
void cg_control_client_close(CgControlClient *client, const char *why);
/* Queues one message. `dump` messages (a Monitor's initial state) do
 * not count against the bound. FALSE when the client is (now) closed. */
gboolean cg_control_client_send(CgControlClient *client, GBytes *message, gboolean dump);

/* ---- cg-control-call.c ------------------------------------------------- */

/* Handles one message (without its NUL). */
void cg_control_dispatch(CgControlClient *client, const char *data, gsize len);
/* Answers a message that was longer than the limit. */
void cg_control_reply_too_large(CgControlClient *client);

CgControlCall *cg_control_call_ref(CgControlCall *call);
void cg_control_call_unref(CgControlCall *call);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgControlCall, cg_control_call_unref)
CgControlServer *cg_control_call_server(CgControlCall *call);
/* The final reply; parameters (may be NULL = {}) is consumed. */
void cg_control_call_reply(CgControlCall *call, JsonObject *parameters);
/* An error reply; `error` is fully qualified (CG_CONTROL_ERR("...") or
 * VARLINK_ERR("...")); parameters (may be NULL) is consumed. */
void cg_control_call_error(CgControlCall *call, const char *error, JsonObject *parameters);
void cg_control_call_error_string(CgControlCall *call, const char *error, const char *field,
                                  const char *value);
/* The call becomes a stream (Monitor): it leaves the pending queue, and
 * its replies go out as they come, each with "continues": true. */
void cg_control_call_start_stream(CgControlCall *call);
/* One streamed reply; parameters is consumed. */
GBytes *cg_control_stream_message(CgControlServer *server, const char *method,
                                  JsonObject *parameters);

/* ---- cg-control-methods.c ---------------------------------------------- */

typedef void (*CgControlMethod)(CgControlCall *call, JsonObject *parameters);
/* NULL: declared in the interface, but not carried out here. */
CgControlMethod cg_control_find_method(const char *method);

const char *cg_control_param_string(JsonObject *parameters, const char *name);
gboolean cg_control_param_int(JsonObject *parameters, const char *name, gint64 *out);
gboolean cg_control_param_bool(JsonObject *parameters, const char *name, gboolean fallback);

/* ---- cg-control-monitor.c ---------------------------------------------- */

void cg_control_monitor_start(CgControlCall *call, const char *connection, const char *prefix);
void cg_control_monitor_stop(CgControlClient *client);
/* The engine's event bus listener. */
void cg_control_on_event(const CgEvent *event, gpointer user_data);
/* Connection filter of ListSAs and Monitor: exact name, prefix, or none. */
gboolean cg_control_name_matches(const char *name, const char *connection, const char *prefix);

/* ---- cg-control-wait.c ---------------------------------------------- */

/* Initiate with wait: replies once IKE_SA ike_id is up or failed.
 * `captured` holds events seen before the id was known. */
void cg_control_wait_initiate(CgControlCall *call, const char *conn_name, guint32 ike_id,
                              gint64 timeout_ms, GArray *captured);
/* Terminate with wait: replies once every listed SA is gone. Create it
 * before asking the engine to delete them (a delete can finish before
 * the engine call returns), then arm it. */
CgControlWaiter *cg_control_wait_terminate(CgControlCall *call, const char *conn_name,
                                           GArray *ike_ids, GArray *child_ids, gint64 timeout_ms);
void cg_control_waiter_arm(CgControlWaiter *waiter);
void cg_control_waiters_on_event(CgControlServer *server, const CgEvent *event);
void cg_control_waiters_drop_client(CgControlServer *server, CgControlClient *client);
void cg_control_waiters_free_all(CgControlServer *server);
void cg_control_captured_event_clear(gpointer data);

/* ---- cg-control-json.c --------------------------------------------------- */

JsonObject *cg_control_json_ike_sa(const CgIkeSnapshot *sa);
JsonObject *cg_control_json_event(const CgEvent *event);
JsonObject *cg_control_json_connection(const CgConnConfig *conn, guint ike_sas);
/* A snapshot of one IKE_SA by id, or NULL when it is gone; conn_name
 * (may be NULL) narrows the search (the engine has no lookup by id). */
CgIkeSnapshot *cg_control_find_sa(CgEngine *engine, const char *conn_name, guint32 ike_id);

G_END_DECLS
