/* cg-control.h: the control socket (Varlink interface io.cygnet.Ike, see
 * io.cygnet.Ike.varlink and docs/control.md).
 *
 * One Unix stream socket on the engine's GMainContext, one connection per
 * client, NUL-terminated JSON messages. Every call is checked against the
 * interface files before it reaches the engine. Clients learn what the
 * engine does through its event bus; a client that stops reading is
 * dropped once its output queue passes the bound, so the engine never
 * waits for anyone.
 */
#pragma once

#include <glib.h>

#include "config/cg-config.h"
#include "engine/cg-engine.h"

G_BEGIN_DECLS

#define CG_CONTROL_DEFAULT_SOCKET    "/run/cygnet/cygnetd.sock"
#define CG_CONTROL_DEFAULT_QUEUE     (8u * 1024 * 1024)
#define CG_CONTROL_DEFAULT_MESSAGE   (1024u * 1024)
#define CG_CONTROL_DEFAULT_CLIENTS   256u
#define CG_CONTROL_INTERFACE         "io.cygnet.Ike"
#define CG_CONTROL_INTERFACE_VERSION 1

/* LoadConnection turns key=value tables into configurations with the
 * daemon's own loader (cygnetd: cygnetd_conn_from_keys), so the file and
 * the socket share one code path. Errors name the key. */
typedef CgConnConfig *(*CgControlConnFromKeys)(const char *name, GHashTable *keys,
                                               gpointer user_data, GError **error);
typedef gboolean (*CgControlChildFromKeys)(CgConnConfig *conn, const char *child_name,
                                           GHashTable *keys, gpointer user_data, GError **error);
/* A secret in the secrets file's notation; the bytes are wiped on free. */
typedef GBytes *(*CgControlSecretParse)(const char *text, GError **error);

typedef struct {
    const char *socket_path; /* default CG_CONTROL_DEFAULT_SOCKET */
    const char *group;       /* NULL: root only, mode 0600; else mode 0660 for this group */
    const char *product;     /* org.varlink.service.GetInfo; default "cygnetd" */
    gsize max_queue_bytes;   /* per-client output bound past the initial dump */
    gsize max_message_bytes; /* largest message a client may send */
    guint max_clients;
    /* LoadConnection and LoadPool; with conn_from_keys NULL both answer
     * org.varlink.service.MethodNotImplemented (e.g. in the NM service,
     * whose connections belong to NetworkManager). */
    CgControlConnFromKeys conn_from_keys;
    CgControlChildFromKeys child_from_keys;
    CgControlSecretParse secret_parse;
    gpointer loader_data;
} CgControlOptions;

void cg_control_options_init(CgControlOptions *opts);

typedef struct CgControlServer CgControlServer;

/* Creates the socket (its directory too, mode 0755), replacing a stale
 * socket file but never a live one or a file that is not a socket, and
 * serves it on the thread-default GMainContext, which must be the
 * engine's. */
CgControlServer *cg_control_server_new(CgEngine *engine, const CgControlOptions *opts,
                                       GError **error);
/* Closes every client and removes the socket file. */
void cg_control_server_free(CgControlServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgControlServer, cg_control_server_free)

const char *cg_control_server_socket_path(CgControlServer *server);

G_END_DECLS
