/* nm-cygnet-editor.c: the editor page of a Cygnet VPN connection in
 * nm-connection-editor and GNOME Settings (NMVpnEditor).
 *
 * The main page holds what a person needs to connect: gateway, identity,
 * authentication (a method combo whose rows come from the keys header:
 * today the pre-shared key, with libnma's secret-storage menu) and the
 * gateway's identity. Everything else is in the Advanced dialog. Values
 * are checked as they are typed: a bad one is marked on its entry and
 * named under the fields, and update_connection() fails, which keeps the
 * Save button disabled.
 */
#include "config.h"

#include "nm-cygnet-editor.h"

#include <glib/gi18n-lib.h>
#include <gmodule.h>
#include <string.h>
#ifdef CG_GTK4
#include <nma-ui-utils.h>
#else
#include <nma-ui-utils.h>
#endif

#include "nm-cygnet-keys.h"
#include "nm-cygnet-validate.h"

/* The auth methods the combo offers, each with the rows of its page. A
 * method appears here when the keys header defines its keys and the
 * service accepts it (cg_auth_method_supported). */
typedef struct {
    const char *method;
    const char *label; /* N_() */
    const char *widget_ids[4];
} AuthPage;

static const AuthPage auth_pages[] = {
    { NM_CYGNET_AUTH_PSK, N_("Pre-shared key"), { "psk_label", "psk_entry", "show_psk_check" } },
};

/* main-page entries and their keys */
static const struct {
    const char *key;
    const char *widget_id;
} main_entries[] = {
    { NM_CYGNET_KEY_GATEWAY, "gateway_entry" },
    { NM_CYGNET_KEY_LOCAL_ID, "local_id_entry" },
    { NM_CYGNET_KEY_REMOTE_ID, "remote_id_entry" },
};

#define NM_CYGNET_TYPE_EDITOR (nm_cygnet_editor_get_type())
G_DECLARE_FINAL_TYPE(NmCygnetEditor, nm_cygnet_editor, NM_CYGNET, EDITOR, GObject)

struct _NmCygnetEditor {
    GObject parent;
    GtkBuilder *builder;
    GtkWidget *widget;           /* main_grid */
    GHashTable *advanced_values; /* key -> value of the Advanced keys */
    CgAdvanced *advanced;
    gboolean new_connection;
};

static void editor_interface_init(NMVpnEditorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NmCygnetEditor, nm_cygnet_editor, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(NM_TYPE_VPN_EDITOR, editor_interface_init))

G_MODULE_EXPORT NMVpnEditor *nm_vpn_editor_factory_cygnet(NMVpnEditorPlugin *plugin,
                                                          NMConnection *connection, GError **error);

static GtkWidget *
widget(NmCygnetEditor *editor, const char *id)
{
    return GTK_WIDGET(gtk_builder_get_object(editor->builder, id));
}

void
cg_editor_mark_entry(GtkWidget *entry, const char *message)
{
    GtkEntry *e = GTK_ENTRY(entry);
    if (message != NULL) {
        cg_add_css_class(entry, "error");
        gtk_entry_set_icon_from_icon_name(e, GTK_ENTRY_ICON_SECONDARY, "dialog-warning-symbolic");
        gtk_entry_set_icon_tooltip_text(e, GTK_ENTRY_ICON_SECONDARY, message);
    } else {
        cg_remove_css_class(entry, "error");
        gtk_entry_set_icon_from_icon_name(e, GTK_ENTRY_ICON_SECONDARY, NULL);
    }
}

static const char *
selected_method(NmCygnetEditor *editor)
{
    const char *id = gtk_combo_box_get_active_id(GTK_COMBO_BOX(widget(editor, "auth_combo")));
    return id ? id : NM_CYGNET_AUTH_PSK;
}

/* Checks the main page; returns the first problem (NULL: none) and
 * marks each bad entry. */
static char *
validate_main(NmCygnetEditor *editor)
{
    char *first_error = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++) {
        GtkWidget *entry = widget(editor, main_entries[i].widget_id);
        const char *text = cg_entry_get_text(entry);
        g_autoptr(GError) error = NULL;
        gboolean ok = cg_validate_value(main_entries[i].key, text, &error);
        /* an empty gateway is not marked (a new connection starts so),
         * but it still keeps Save disabled */
        cg_editor_mark_entry(entry, ok || text[0] == '\0' ? NULL : error->message);
        if (!ok && first_error == NULL)
            first_error = g_strdup(error->message);
    }
    g_autoptr(GError) auth_error = NULL;
    if (!cg_validate_value(NM_CYGNET_KEY_AUTH, selected_method(editor), &auth_error)
        && first_error == NULL)
        first_error = g_strdup(auth_error->message);
    return first_error;
}

static void
show_errors(NmCygnetEditor *editor)
{
    g_autofree char *message = validate_main(editor);
    GtkWidget *label = widget(editor, "error_label");
    /* the missing gateway of a new connection is not an error to shout */
    gboolean quiet
        = message != NULL && cg_entry_get_text(widget(editor, "gateway_entry"))[0] == '\0';
    gtk_label_set_text(GTK_LABEL(label), message && !quiet ? message : "");
    cg_add_css_class(label, "error");
    gtk_widget_set_visible(label, message != NULL && !quiet);
}

static void
stuff_changed(NmCygnetEditor *editor)
{
    show_errors(editor);
    g_signal_emit_by_name(editor, "changed");
}

static void
on_changed(GtkWidget *widget_, gpointer user_data)
{
    stuff_changed(user_data);
}

static void
on_notify_changed(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    stuff_changed(user_data);
}

static void
on_show_psk(GtkWidget *check, gpointer user_data)
{
    NmCygnetEditor *editor = user_data;
    gtk_entry_set_visibility(GTK_ENTRY(widget(editor, "psk_entry")), cg_check_get(check));
}

/* Shows the selected method's rows only. */
static void
on_auth_changed(GtkWidget *combo, gpointer user_data)
{
    NmCygnetEditor *editor = user_data;
    const char *method = selected_method(editor);
    for (gsize i = 0; i < G_N_ELEMENTS(auth_pages); i++) {
        for (gsize j = 0; auth_pages[i].widget_ids[j]; j++)
            gtk_widget_set_visible(widget(editor, auth_pages[i].widget_ids[j]),
                                   strcmp(auth_pages[i].method, method) == 0);
    }
    stuff_changed(editor);
}

static void
on_advanced_applied(gpointer user_data)
{
    stuff_changed(user_data);
}

static void
on_advanced_clicked(GtkWidget *button, gpointer user_data)
{
    NmCygnetEditor *editor = user_data;
    cg_advanced_open(editor->advanced, editor->widget);
}

static void
fill(NmCygnetEditor *editor, NMConnection *connection)
{
    NMSettingVpn *s_vpn = connection ? nm_connection_get_setting_vpn(connection) : NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++) {
        const char *value = s_vpn ? nm_setting_vpn_get_data_item(s_vpn, main_entries[i].key) : NULL;
        cg_entry_set_text(widget(editor, main_entries[i].widget_id), value ? value : "");
    }

    GtkComboBoxText *combo = GTK_COMBO_BOX_TEXT(widget(editor, "auth_combo"));
    for (gsize i = 0; i < G_N_ELEMENTS(auth_pages); i++) {
        if (cg_auth_method_supported(auth_pages[i].method))
            gtk_combo_box_text_append(combo, auth_pages[i].method, _(auth_pages[i].label));
    }
    const char *method = s_vpn ? nm_setting_vpn_get_data_item(s_vpn, NM_CYGNET_KEY_AUTH) : NULL;
    if (method == NULL || method[0] == '\0')
        method = NM_CYGNET_AUTH_PSK;
    if (!gtk_combo_box_set_active_id(GTK_COMBO_BOX(combo), method)) {
        /* saved with a method this version refuses: shown, and flagged */
        g_autofree char *label = g_strdup_printf(_("%s (not supported)"), method);
        gtk_combo_box_text_append(combo, method, label);
        gtk_combo_box_set_active_id(GTK_COMBO_BOX(combo), method);
    }

    /* the PSK and where it is kept (libnma's menu on the entry) */
    GtkWidget *psk_entry = widget(editor, "psk_entry");
    const char *psk = s_vpn ? nm_setting_vpn_get_secret(s_vpn, NM_CYGNET_SECRET_PSK) : NULL;
    cg_entry_set_text(psk_entry, psk ? psk : "");
    /* a connection that never said where its key lives (a new one):
     * the user's keyring */
    NMSettingSecretFlags flags = NM_SETTING_SECRET_FLAG_AGENT_OWNED;
    gboolean has_flags
        = s_vpn != NULL && nm_setting_vpn_get_data_item(s_vpn, NM_CYGNET_KEY_PSK_FLAGS) != NULL;
    if (has_flags)
        nm_setting_get_secret_flags(NM_SETTING(s_vpn), NM_CYGNET_SECRET_PSK, &flags, NULL);
    /* libnma reads the flags from the setting when given one */
    nma_utils_setup_password_storage(psk_entry, flags, has_flags ? NM_SETTING(s_vpn) : NULL,
                                     NM_CYGNET_SECRET_PSK, TRUE, FALSE);

    const char *const *keys = cg_advanced_keys();
    for (gsize i = 0; keys[i]; i++) {
        const char *value = s_vpn ? nm_setting_vpn_get_data_item(s_vpn, keys[i]) : NULL;
        if (value != NULL)
            g_hash_table_replace(editor->advanced_values, g_strdup(keys[i]), g_strdup(value));
    }
}

static GObject *
get_widget(NMVpnEditor *iface)
{
    return G_OBJECT(NM_CYGNET_EDITOR(iface)->widget);
}

static gboolean
update_connection(NMVpnEditor *iface, NMConnection *connection, GError **error)
{
    NmCygnetEditor *editor = NM_CYGNET_EDITOR(iface);
    g_autofree char *problem = validate_main(editor);
    if (problem != NULL) {
        g_set_error_literal(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_INVALID_PROPERTY,
                            problem);
        return FALSE;
    }
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, editor->advanced_values);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        g_autoptr(GError) local = NULL;
        if (!cg_validate_value(key, value, &local)) {
            g_set_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_INVALID_PROPERTY,
                        _("Advanced setting “%s”: %s"), (const char *)key, local->message);
            return FALSE;
        }
    }

    NMSettingVpn *s_vpn = NM_SETTING_VPN(nm_setting_vpn_new());
    g_object_set(s_vpn, NM_SETTING_VPN_SERVICE_TYPE, NM_CYGNET_DBUS_SERVICE, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++) {
        g_autofree char *text
            = g_strstrip(g_strdup(cg_entry_get_text(widget(editor, main_entries[i].widget_id))));
        if (text[0] != '\0')
            nm_setting_vpn_add_data_item(s_vpn, main_entries[i].key, text);
    }
    nm_setting_vpn_add_data_item(s_vpn, NM_CYGNET_KEY_AUTH, selected_method(editor));
    g_hash_table_iter_init(&iter, editor->advanced_values);
    while (g_hash_table_iter_next(&iter, &key, &value))
        nm_setting_vpn_add_data_item(s_vpn, key, value);

    /* the PSK: kept in the connection, by the agent (keyring), or asked
     * every time; NetworkManager hands agent-owned ones to the agent */
    GtkWidget *psk_entry = widget(editor, "psk_entry");
    NMSettingSecretFlags flags = nma_utils_menu_to_secret_flags(psk_entry);
    const char *psk = cg_entry_get_text(psk_entry);
    if (psk[0] != '\0'
        && (flags & (NM_SETTING_SECRET_FLAG_NOT_SAVED | NM_SETTING_SECRET_FLAG_NOT_REQUIRED)) == 0)
        nm_setting_vpn_add_secret(s_vpn, NM_CYGNET_SECRET_PSK, psk);
    nm_setting_set_secret_flags(NM_SETTING(s_vpn), NM_CYGNET_SECRET_PSK, flags, NULL);
    nma_utils_update_password_storage(psk_entry, flags, NM_SETTING(s_vpn), NM_CYGNET_SECRET_PSK);

    nm_connection_add_setting(connection, NM_SETTING(s_vpn));
    return TRUE;
}

static void
nm_cygnet_editor_init(NmCygnetEditor *editor)
{
    editor->advanced_values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
dispose(GObject *object)
{
    NmCygnetEditor *editor = NM_CYGNET_EDITOR(object);
    g_clear_pointer(&editor->advanced, cg_advanced_free);
    if (editor->builder) {
        /* our handlers go with the editor; the widget may live on */
        for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++)
            g_signal_handlers_disconnect_by_data(widget(editor, main_entries[i].widget_id), editor);
        g_signal_handlers_disconnect_by_data(widget(editor, "auth_combo"), editor);
        g_signal_handlers_disconnect_by_data(widget(editor, "psk_entry"), editor);
        g_signal_handlers_disconnect_by_data(widget(editor, "show_psk_check"), editor);
        g_signal_handlers_disconnect_by_data(widget(editor, "advanced_button"), editor);
    }
    g_clear_object(&editor->widget);
    g_clear_object(&editor->builder);
    G_OBJECT_CLASS(nm_cygnet_editor_parent_class)->dispose(object);
}

static void
finalize(GObject *object)
{
    NmCygnetEditor *editor = NM_CYGNET_EDITOR(object);
    g_hash_table_unref(editor->advanced_values);
    G_OBJECT_CLASS(nm_cygnet_editor_parent_class)->finalize(object);
}

static void
nm_cygnet_editor_class_init(NmCygnetEditorClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = dispose;
    G_OBJECT_CLASS(klass)->finalize = finalize;
}

static void
editor_interface_init(NMVpnEditorInterface *iface)
{
    iface->get_widget = get_widget;
    iface->update_connection = update_connection;
}

G_MODULE_EXPORT NMVpnEditor *
nm_vpn_editor_factory_cygnet(NMVpnEditorPlugin *plugin, NMConnection *connection, GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    g_autoptr(NmCygnetEditor) editor = g_object_new(NM_CYGNET_TYPE_EDITOR, NULL);
    editor->builder = gtk_builder_new();
    gtk_builder_set_translation_domain(editor->builder, GETTEXT_PACKAGE);
    const char *objects[] = { "main_grid", NULL };
    if (!gtk_builder_add_objects_from_resource(editor->builder, CG_EDITOR_RESOURCE,
                                               cg_builder_ids(objects), error))
        return NULL;
    editor->widget = g_object_ref_sink(widget(editor, "main_grid"));
    editor->new_connection
        = connection == NULL || nm_connection_get_setting_vpn(connection) == NULL;
    editor->advanced
        = cg_advanced_new(editor->advanced_values, G_CALLBACK(on_advanced_applied), editor);
    fill(editor, connection);

    for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++)
        g_signal_connect(widget(editor, main_entries[i].widget_id), "changed",
                         G_CALLBACK(on_changed), editor);
    g_signal_connect(widget(editor, "auth_combo"), "changed", G_CALLBACK(on_auth_changed), editor);
    g_signal_connect(widget(editor, "psk_entry"), "changed", G_CALLBACK(on_changed), editor);
    /* libnma's storage menu changes the entry's icon */
    g_signal_connect(widget(editor, "psk_entry"), "notify::secondary-icon-name",
                     G_CALLBACK(on_notify_changed), editor);
    g_signal_connect(widget(editor, "show_psk_check"), "toggled", G_CALLBACK(on_show_psk), editor);
    g_signal_connect(widget(editor, "advanced_button"), "clicked", G_CALLBACK(on_advanced_clicked),
                     editor);
    on_auth_changed(NULL, editor);
    return NM_VPN_EDITOR(g_steal_pointer(&editor));
}
