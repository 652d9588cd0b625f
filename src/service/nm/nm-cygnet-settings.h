/* nm-cygnet-settings.h: a connection's vpn.data and vpn.secrets, checked
 * and turned into what the engine needs.
 *
 * The input is two plain string tables (key -> value), so this file needs
 * no D-Bus and no NetworkManager: the service fills the tables from the
 * NMSettingVpn it is handed, the unit tests fill them by hand. Every error
 * names the key ("vpn.data key 'port': ..."); no error and no log line
 * ever contains a secret. The tables are only read, never changed.
 */
#pragma once

#include <glib.h>

#include "config/cg-config.h"

G_BEGIN_DECLS

#define NM_CYGNET_SETTINGS_ERROR (nm_cygnet_settings_error_quark())
GQuark nm_cygnet_settings_error_quark(void);

typedef enum {
    NM_CYGNET_SETTINGS_ERROR_INVALID,       /* a value is malformed */
    NM_CYGNET_SETTINGS_ERROR_MISSING,       /* a required key is missing */
    NM_CYGNET_SETTINGS_ERROR_UNKNOWN_KEY,   /* a key this version does not know */
    NM_CYGNET_SETTINGS_ERROR_NOT_SUPPORTED, /* known, but not implemented yet */
} NmCygnetSettingsError;

typedef struct {
    char *gateway;       /* host name or address, as written */
    guint16 port;        /* the gateway's IKE port */
    gboolean vip4, vip6; /* ask for virtual addresses */
    guint32 mtu;         /* of the tunnel device, when there is one */
    char *dataplane;     /* "auto", "uesp", "xfrm", "log" */
    char *auth;          /* "psk", "cert", "eap" */
    guint32 psk_flags;   /* NMSettingSecretFlags of the PSK */
    guint32 key_passphrase_flags;
    gboolean system_cas;    /* the gateway is checked against the system's CA bundle */
    GBytes *psk;            /* NULL when vpn.secrets has none; wiped when freed */
    GBytes *password;       /* EAP-MSCHAPv2; the same */
    GBytes *pin;            /* the token's PIN; the same */
    GBytes *key_passphrase; /* the PKCS#12 password; the same */
    /* Everything else the engine needs, in engine terms. Its name, its
     * PSK and its remote address are set by nm_cygnet_settings_to_conn. */
    CgConnConfig *conn;
} NmCygnetSettings;

void nm_cygnet_settings_free(NmCygnetSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NmCygnetSettings, nm_cygnet_settings_free)

/* Checks every key of data (vpn.data) and secrets (vpn.secrets; may be
 * NULL): unknown keys, malformed values and unsupported methods fail,
 * naming the key. A missing PSK is not an error here: see
 * nm_cygnet_settings_psk_required(). */
NmCygnetSettings *nm_cygnet_settings_parse(GHashTable *data, GHashTable *secrets, GError **error);

/* The vpn.secrets key this connection's method needs and does not have
 * (NM_CYGNET_SECRET_PSK, _PASSWORD, _PIN, _KEY_PASSPHRASE), or NULL. */
const char *nm_cygnet_settings_missing_secret(const NmCygnetSettings *settings);

/* TRUE when auth=psk and vpn.secrets had no PSK. (Its flags only decide
 * whether NetworkManager asks a secret agent before Connect; without a
 * PSK the connection cannot start either way.) */
gboolean nm_cygnet_settings_psk_required(const NmCygnetSettings *settings);

/* Replaces the secrets with those in secrets (vpn.secrets of NewSecrets). */
gboolean nm_cygnet_settings_update_secrets(NmCygnetSettings *settings, GHashTable *secrets,
                                           GError **error);

/* The engine's connection: named name, the PSK attached, the remote
 * address left to cg_engine_initiate. Checked by cg_conn_config_validate. */
CgConnConfig *nm_cygnet_settings_to_conn(const NmCygnetSettings *settings, const char *name,
                                         GError **error);

/* "30", "30s", "500ms", "10m", "4h", "1d" -> milliseconds (at most
 * G_MAXUINT32 seconds). Exposed for the unit tests. */
gboolean nm_cygnet_parse_duration_ms(const char *text, guint64 *out_ms);

/* "secret", "0x6a6b..." (hex) or "0s<base64>" -> bytes, wiped when the
 * GBytes is freed. The message of error never contains the text. */
GBytes *nm_cygnet_parse_secret(const char *text, GError **error);

G_END_DECLS
