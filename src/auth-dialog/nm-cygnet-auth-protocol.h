/* nm-cygnet-auth-protocol.h: the auth dialog's pipes to its caller (a
 * secret agent: GNOME Shell, nm-applet, nmcli).
 *
 * In: the connection's vpn.data and vpn.secrets as
 *   DATA_KEY=<key>  DATA_VAL=<value>  SECRET_KEY=<key>  SECRET_VAL=<value>
 * lines (a value's further lines start with '='), then DONE. Out: either
 * the secrets, "<key>\n<value>\n" each and an empty line to end, after
 * which the caller writes QUIT; or, in external UI mode, a keyfile that
 * describes what to ask (nm-cygnet-auth-external.h).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_AUTH_ERROR (cg_auth_error_quark())
GQuark cg_auth_error_quark(void);

typedef enum {
    CG_AUTH_ERROR_PROTOCOL,  /* malformed input on stdin */
    CG_AUTH_ERROR_NO_UI,     /* a secret must be asked, but there is no display */
    CG_AUTH_ERROR_CANCELLED, /* the user closed the dialog */
} CgAuthError;

/* Bounds on what the caller may send: the caller is NetworkManager's
 * agent, but a stuck or hostile writer must not make us grow forever. */
#define CG_AUTH_MAX_LINE_BYTES  (64 * 1024)
#define CG_AUTH_MAX_INPUT_BYTES (1024 * 1024)
#define CG_AUTH_MAX_ITEMS       512

typedef struct {
    GHashTable *data;    /* key -> value (vpn.data) */
    GHashTable *secrets; /* key -> value (vpn.secrets), values wiped when freed */
} CgAuthInput;

void cg_auth_input_free(CgAuthInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgAuthInput, cg_auth_input_free)

/* Parses text (len bytes, need not be NUL-terminated) up to its DONE
 * line. A missing DONE, an over-long line, a value without its key, or a
 * line that is none of the above fails naming the line number. */
CgAuthInput *cg_auth_input_parse(const char *text, gsize len, GError **error);

/* Reads fd up to and including the DONE line (never past it, so a QUIT
 * written later is still there), then parses it. */
CgAuthInput *cg_auth_input_read_fd(int fd, GError **error);

/* After the secrets are written, the caller says QUIT (or closes the
 * pipe); returns when either happened. */
void cg_auth_wait_for_quit(int fd);

/* Appends "<key>\n<value>\n" for a secret to out. A value with a line
 * break cannot be sent this way: FALSE and error. */
gboolean cg_auth_output_secret(GString *out, const char *key, const char *value, GError **error);

/* Overwrites a secret's bytes and frees it. */
void cg_auth_secret_free(char *secret);

G_END_DECLS
