/* nm-cygnet-auth-keyring.h: agent-owned secrets in the user's keyring
 * (Secret Service, through libsecret), stored under the attributes
 * NetworkManager's agents use (nm-applet, GNOME Shell): the connection's
 * UUID, the setting name "vpn" and the secret's key. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_KEYRING_SCHEMA_NAME  "org.freedesktop.NetworkManager.Connection"
#define CG_KEYRING_ATTR_UUID    "connection-uuid"
#define CG_KEYRING_ATTR_SETTING "setting-name"
#define CG_KEYRING_ATTR_KEY     "setting-key"
#define CG_KEYRING_SETTING_VPN  "vpn"

/* A CgKeyringLookupFunc: the secret, or NULL when there is none or no
 * keyring answers (logged to stderr, never with the secret). */
char *cg_keyring_lookup(const char *uuid, const char *key, gpointer user_data);

G_END_DECLS
