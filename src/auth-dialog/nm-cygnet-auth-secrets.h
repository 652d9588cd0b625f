/* nm-cygnet-auth-secrets.h: which secrets a connection needs, and which
 * of them must be asked for.
 *
 * The secrets come from src/shared/nm-cygnet-keys.h: each vpn.secrets key
 * with the vpn.data key of its NetworkManager secret flags and the auth
 * method that uses it. The decision follows the flags: "not required"
 * secrets are only asked when NetworkManager's hints name them, agent-owned
 * ones come from the keyring first, "not saved" ones are always asked.
 */
#pragma once

#include <glib.h>

#include "nm-cygnet-auth-protocol.h"

G_BEGIN_DECLS

/* The kinds of secret a dialog asks for; each has its own label and
 * input hints. Only those the keys header defines are in the table. */
typedef enum {
    CG_SECRET_KIND_PASSWORD,
    CG_SECRET_KIND_PASSPHRASE, /* of a private key */
    CG_SECRET_KIND_PIN,        /* of a token or smart card */
    CG_SECRET_KIND_OTP,        /* a one-time code */
} CgSecretKind;

typedef struct {
    const char *key;       /* vpn.secrets key */
    const char *flags_key; /* vpn.data key holding its NMSettingSecretFlags */
    /* does a connection with this vpn.data need it (as the service's
     * nm_cygnet_settings_missing_secret decides)? */
    gboolean (*needed)(GHashTable *data);
    CgSecretKind kind;
    const char *label; /* untranslated (N_()), shown translated */
} CgSecretDef;

/* NMSettingSecretFlags, without pulling libnm into the dialog */
#define CG_SECRET_FLAG_AGENT_OWNED  0x1u
#define CG_SECRET_FLAG_NOT_SAVED    0x2u
#define CG_SECRET_FLAG_NOT_REQUIRED 0x4u
#define CG_SECRET_FLAGS_ALL         0x7u

/* Hints of this prefix carry a message for the user, not a key. */
#define CG_HINT_MESSAGE_PREFIX "x-vpn-message:"

const CgSecretDef *cg_secret_defs(gsize *n_defs);
const CgSecretDef *cg_secret_def_find(const char *key);

typedef struct {
    const CgSecretDef *def;
    guint32 flags; /* from vpn.data */
    char *value;   /* known or entered value, NULL when none; wiped */
    gboolean from_keyring;
    gboolean should_ask; /* the user must be asked (or asked again) */
} CgSecretItem;

void cg_secret_item_free(CgSecretItem *item);

/* Looks a secret up in the keyring: a new string (freed with
 * cg_auth_secret_free) or NULL. */
typedef char *(*CgKeyringLookupFunc)(const char *uuid, const char *key, gpointer user_data);

typedef struct {
    const char *uuid;
    gboolean reprompt;          /* -r: the last ones were wrong, ask again */
    const char *const *hints;   /* -t HINT..., may be NULL */
    CgKeyringLookupFunc lookup; /* may be NULL: no keyring */
    gpointer lookup_data;
} CgAuthRequest;

/* The secrets to handle for input, in the table's order, as
 * CgSecretItem (freed by the array). *message gets the hints'
 * x-vpn-message text, or NULL. */
GPtrArray *cg_auth_plan(const CgAuthInput *input, const CgAuthRequest *request, char **message);

/* TRUE when any item must be asked. */
gboolean cg_auth_plan_needs_ui(const GPtrArray *items);

/* The flags of key from data: 0 when missing or malformed. */
guint32 cg_secret_flags_from_data(GHashTable *data, const char *flags_key);

G_END_DECLS
