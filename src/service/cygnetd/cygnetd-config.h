/* cygnetd-config.h: cygnetd's configuration and secrets files (GLib
 * keyfiles, see docs/cygnetd.md) and the key=value form of a connection
 * that the control API loads online. One code path serves both: the
 * keyfile loader turns each [connection NAME] group into a key table and
 * calls cygnetd_conn_from_keys().
 *
 * Errors name the file, the group and the key: "/etc/cygnet.conf:
 * [connection foo] key 'ike': unknown algorithm 'aes999' in proposal
 * 'aes999-sha256'". Secrets never appear in messages or logs.
 */
#pragma once

#include <glib.h>

#include "config/cg-config.h"

G_BEGIN_DECLS

/* [daemon]: everything optional; the command line wins over it. */
typedef struct {
    char *control_socket; /* NULL = unset */
    char *control_group;
    char *nss_dir;
    char *secrets_file;
    char *listen;       /* an address literal */
    char *dataplane;    /* auto|xfrm|uesp|log */
    int crypto_workers; /* -1 unset */
    int unique_ids;     /* -1 unset, else 0/1 */
    int log_level;      /* -1 unset, else a CgLogLevel */
    int ike_port;       /* -1 unset, else 1..65535 */
    int natt_port;      /* -1 unset */
} CygnetdDaemonOptions;

void cygnetd_daemon_options_init(CygnetdDaemonOptions *opts); /* all unset */
void cygnetd_daemon_options_clear(CygnetdDaemonOptions *opts);

typedef struct {
    CygnetdDaemonOptions daemon;
    GPtrArray *connections;     /* CgConnConfig*, file order, validated */
    GPtrArray *pools;           /* CgPool*, file order; steal them before handing to the engine */
    GHashTable *unique_ids_set; /* names of connections that set unique-ids themselves */
} CygnetdConfig;

/* path NULL: an empty config. [daemon] unique-ids becomes the default of
 * connections that leave unique-ids unset. */
CygnetdConfig *cygnetd_config_load(const char *path, GError **error);
/* Sets unique_ids on every connection that did not set unique-ids itself
 * (for --unique-ids, which wins over [daemon]). */
void cygnetd_config_apply_unique_ids_default(CygnetdConfig *config, gboolean unique_ids);
void cygnetd_config_free(CygnetdConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CygnetdConfig, cygnetd_config_free)

/* A connection from the keys of a [connection NAME] group (char* -> char*,
 * values as in the file; an empty value means the default). The result
 * has one child, named NAME, from the child keys (local-ts, remote-ts,
 * mode, child-*), and is validated. Errors start "[connection NAME] ".
 * unique-ids left unset is TRUE here: callers apply their own default. */
CgConnConfig *cygnetd_conn_from_keys(const char *name, GHashTable *keys, GError **error);
/* Adds a CHILD_SA from the keys of a [child NAME/CHILD] group; esp
 * defaults to the connection's esp. Errors start "[child NAME/CHILD] ". */
gboolean cygnetd_conn_add_child_from_keys(CgConnConfig *conn, const char *child_name,
                                          GHashTable *keys, GError **error);

/* ---- secrets ---------------------------------------------------------- */

typedef enum {
    CYGNETD_SECRET_PSK = 0, /* [psk NAME]: a pre-shared key */
    CYGNETD_SECRET_EAP,     /* [eap NAME]: an EAP password, by user identity */
    CYGNETD_SECRET_PIN,     /* [pin NAME]: a token PIN or PKCS#12 password, by target */
} CygnetdSecretKind;

typedef struct {
    char *name;
    GStrv ids;      /* identity texts as cg_identity_parse takes; "%any" when none given */
    GBytes *secret; /* wiped when the last reference goes */
    CygnetdSecretKind kind;
    char *target;   /* PIN: the token label or PKCS#12 file it unlocks */
} CygnetdPsk;

void cygnetd_psk_free(CygnetdPsk *psk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CygnetdPsk, cygnetd_psk_free)

/* [psk NAME], [eap NAME] and [pin NAME] groups, in file order; CygnetdPsk*
 * with a free func (see its kind). path NULL: empty. */
GPtrArray *cygnetd_secrets_load(const char *path, GError **error);
/* "some-secret", "\"quoted secret\"", "0x6a6b..." (hex) or "0s<base64>".
 * The bytes are wiped when the GBytes is freed; the message never
 * contains the secret. */
GBytes *cygnetd_secret_parse(const char *text, GError **error);

/* ---- the key table ------------------------------------------------------ */

typedef enum {
    CYGNETD_GROUP_DAEMON,
    CYGNETD_GROUP_POOL,
    CYGNETD_GROUP_CONNECTION,
    CYGNETD_GROUP_CHILD,
    CYGNETD_GROUP_PSK, /* secrets file */
    CYGNETD_GROUP_EAP, /* secrets file */
    CYGNETD_GROUP_PIN, /* secrets file */
} CygnetdGroup;

typedef struct {
    CygnetdGroup group;
    const char *key;
    const char *type;         /* "duration", "boolean", "proposals", ... */
    const char *default_text; /* what leaving it out means */
    const char *description;
} CygnetdKeyInfo;

/* The keys every group accepts, in documentation order; NULL past the
 * end. For help texts and for checking docs/cygnetd.md. */
const CygnetdKeyInfo *cygnetd_config_key(guint index);
const char *cygnetd_group_to_string(CygnetdGroup group); /* "connection NAME" */

G_END_DECLS
