/* cygnetctl-client.h: a small blocking Varlink client for cygnetctl:
 * NUL-terminated JSON messages over a Unix stream socket. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CTL_ERROR (ctl_error_quark())
GQuark ctl_error_quark(void);

typedef enum {
    CTL_ERROR_CONNECT,  /* cannot reach the daemon: exit code 4 */
    CTL_ERROR_PROTOCOL, /* the daemon said something we cannot read */
    CTL_ERROR_CLOSED,   /* the daemon closed the connection */
    CTL_ERROR_VARLINK,  /* a Varlink error reply: see CtlReply */
} CtlErrorCode;

typedef struct CtlClient CtlClient;

CtlClient *ctl_client_connect(const char *socket_path, GError **error);
void ctl_client_free(CtlClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlClient, ctl_client_free)
int ctl_client_fd(CtlClient *client);

/* One reply: parameters (never NULL), error (NULL on success, else the
 * qualified Varlink error name) and continues. */
typedef struct {
    JsonObject *parameters;
    char *error;
    gboolean continues;
} CtlReply;

void ctl_reply_free(CtlReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlReply, ctl_reply_free)

/* Sends a call; parameters (may be NULL) is consumed. */
gboolean ctl_client_send(CtlClient *client, const char *method, JsonObject *parameters,
                         gboolean more, GError **error);
/* Waits for the next reply (blocking). */
CtlReply *ctl_client_receive(CtlClient *client, GError **error);
/* Whether a whole message is already buffered (then receive won't block). */
gboolean ctl_client_has_buffered(CtlClient *client);
/* send + receive. A Varlink error is a reply, not a GError. */
CtlReply *ctl_client_call(CtlClient *client, const char *method, JsonObject *parameters,
                          GError **error);

G_END_DECLS
