/* nm-cygnet-auth-external.h: --external-ui-mode. Instead of opening a
 * window, the dialog describes what to ask in a keyfile on stdout and the
 * caller (GNOME Shell, nmcli) asks in its own UI:
 *
 *   [VPN Plugin UI]
 *   Version=2
 *   Title=...
 *   Description=...
 *
 *   [psk]               one group per secret, named by its vpn.secrets key
 *   Label=Pre-shared key
 *   Value=...           known value (connection, keyring), may be empty
 *   IsSecret=true
 *   ShouldAsk=true      false: the value is good, no need to ask
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_EXTERNAL_UI_GROUP "VPN Plugin UI"

/* The keyfile text for items (CgSecretItem). */
char *cg_auth_external_describe(const char *title, const char *description, const GPtrArray *items,
                                gsize *length);

G_END_DECLS
