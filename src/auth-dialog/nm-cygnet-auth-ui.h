/* nm-cygnet-auth-ui.h: the GTK 3 dialog asking for the secrets the plan
 * says must be asked (one entry per secret; a "Show" toggle). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A modal dialog for items (CgSecretItem) whose should_ask is set,
 * prefilled with known values. Responses: GTK_RESPONSE_OK (Connect) and
 * GTK_RESPONSE_CANCEL. */
GtkWidget *cg_auth_ui_new(const char *title, const char *message, const GPtrArray *items);

/* The entry of the secret key, NULL when it is not asked. */
GtkEntry *cg_auth_ui_get_entry(GtkWidget *dialog, const char *key);

/* Copies what the user typed into the items' values. */
void cg_auth_ui_collect(GtkWidget *dialog, GPtrArray *items);

G_END_DECLS
