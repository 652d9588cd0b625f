/* nm-cygnet-editor.h: the Cygnet VPN editor (NMVpnEditor), built twice
 * from the same source: for GTK 3 and, with CG_GTK4 defined, for GTK 4.
 * The few calls that differ between the two are the macros below. */
#pragma once

#include <NetworkManager.h>
#include <gtk/gtk.h>

G_BEGIN_DECLS

#ifdef CG_GTK4
#define cg_entry_get_text(e)      gtk_editable_get_text(GTK_EDITABLE(e))
#define cg_entry_set_text(e, t)   gtk_editable_set_text(GTK_EDITABLE(e), (t))
#define cg_check_get(w)           gtk_check_button_get_active(GTK_CHECK_BUTTON(w))
#define cg_check_set(w, v)        gtk_check_button_set_active(GTK_CHECK_BUTTON(w), (v))
#define cg_builder_ids(ids)       (ids)
#define cg_add_css_class(w, c)    gtk_widget_add_css_class((w), (c))
#define cg_remove_css_class(w, c) gtk_widget_remove_css_class((w), (c))
#else
#define cg_entry_get_text(e)    gtk_entry_get_text(GTK_ENTRY(e))
#define cg_entry_set_text(e, t) gtk_entry_set_text(GTK_ENTRY(e), (t))
#define cg_check_get(w)         gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(w))
#define cg_check_set(w, v)      gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(w), (v))
#define cg_builder_ids(ids)     ((char **)(ids))
#define cg_add_css_class(w, c)  gtk_style_context_add_class(gtk_widget_get_style_context(w), (c))
#define cg_remove_css_class(w, c)                                                                  \
    gtk_style_context_remove_class(gtk_widget_get_style_context(w), (c))
#endif

#define CG_EDITOR_RESOURCE "/io/cygnet/editor/nm-cygnet-editor.ui"

/* Shows (message != NULL) or clears an entry's inline error: the red
 * style, a warning icon with the message as its tooltip. */
void cg_editor_mark_entry(GtkWidget *entry, const char *message);

/* ---- the Authentication part of the main page (nm-cygnet-editor-auth.c) */

typedef struct CgAuth CgAuth;
typedef void (*CgAuthChanged)(gpointer user_data);

/* Fills the method rows of builder's main_grid from s_vpn (NULL: a new
 * connection) and adds the certificate choosers; changed is called on
 * every edit. */
CgAuth *cg_auth_new(GtkBuilder *builder, NMSettingVpn *s_vpn, CgAuthChanged changed,
                    gpointer changed_data);
void cg_auth_free(CgAuth *auth);
/* The selected method's vpn.data "auth" value. */
const char *cg_auth_get_method(CgAuth *auth);
/* Checks the selected method's fields, marks the bad ones; returns the
 * first problem (translated) or NULL. */
char *cg_auth_check(CgAuth *auth);
/* Adds the selected method's keys, secrets and secret flags to s_vpn. */
void cg_auth_save(CgAuth *auth, NMSettingVpn *s_vpn);

/* ---- the Advanced dialog (nm-cygnet-editor-advanced.c) ---------------- */

/* The vpn.data keys the Advanced dialog edits, NULL-ended. */
const char *const *cg_advanced_keys(void);

typedef struct CgAdvanced CgAdvanced;

/* values: key -> value of the keys above, the dialog's starting point; it
 * is updated when the user presses OK. changed is called then. */
CgAdvanced *cg_advanced_new(GHashTable *values, GCallback changed, gpointer changed_data);
void cg_advanced_free(CgAdvanced *advanced);
/* Opens the dialog over parent (may be NULL). */
void cg_advanced_open(CgAdvanced *advanced, GtkWidget *parent);
/* What the dialog's cross-field rules check against: the main page's
 * gateway and authentication method (call before opening, and when they
 * change). */
void cg_advanced_set_context(CgAdvanced *advanced, const char *gateway, const char *auth);
/* The same rules for the saved values: the first problem (translated) or
 * NULL. */
char *cg_advanced_check_context(GHashTable *values, const char *gateway, const char *auth);
/* The dialog, once opened (tests drive it). */
GtkWidget *cg_advanced_get_dialog(CgAdvanced *advanced);

G_END_DECLS
