/* nm-cygnet-editor.c: the editor page of a Cygnet VPN connection in
 * nm-connection-editor and GNOME Settings (NMVpnEditor).
 *
 * The main page holds what a person needs to connect: gateway, the
 * authentication method and its fields (nm-cygnet-editor-auth.c; a new
 * connection starts with user name and password), the identities and
 * the gateway's CA. Everything else is in the Advanced dialog. Values
 * are checked as they are typed: a bad one is marked on its entry and
 * named under the fields, and update_connection() fails, which keeps the
 * Save button disabled.
 */
#include "config.h"

#include "nm-cygnet-editor.h"

#include <glib/gi18n-lib.h>
#include <gmodule.h>
#include <string.h>

#include "nm-cygnet-keys.h"
#include "nm-cygnet-validate.h"

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
    GHashTable *kept_values;     /* key -> value of keys no field edits */
    CgAdvanced *advanced;
    CgAuth *auth; /* the Authentication rows */
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
    g_autofree char *auth_error = cg_auth_check(editor->auth);
    if (first_error == NULL)
        first_error = g_steal_pointer(&auth_error);
    /* Advanced values that a later change here made wrong (the gateway
     * now an address of the excluded family, PSK with OCSP) */
    g_autofree char *context_error = cg_advanced_check_context(
        editor->advanced_values, cg_entry_get_text(widget(editor, "gateway_entry")),
        cg_auth_get_method(editor->auth));
    if (first_error == NULL)
        first_error = g_steal_pointer(&context_error);
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
on_auth_changed(gpointer user_data)
{
    stuff_changed(user_data);
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
    cg_advanced_set_context(editor->advanced, cg_entry_get_text(widget(editor, "gateway_entry")),
                            cg_auth_get_method(editor->auth));
    cg_advanced_open(editor->advanced, editor->widget);
}

/* A key no field of this editor edits (one a newer service knows) goes
 * back into the connection as it was, never dropped. */
static void
keep_unedited(const char *key, const char *value, gpointer user_data)
{
    NmCygnetEditor *editor = user_data;
    static const char *const auth_keys[] = {
        NM_CYGNET_KEY_AUTH,
        NM_CYGNET_KEY_EAP_METHOD,
        NM_CYGNET_KEY_USER,
        NM_CYGNET_KEY_CERT,
        NM_CYGNET_KEY_KEY,
        NM_CYGNET_KEY_PKCS12,
        NM_CYGNET_KEY_PKCS11_MODULE,
        NM_CYGNET_KEY_CERT_NICKNAME,
        NM_CYGNET_KEY_CA_CERT,
        NM_CYGNET_KEY_PSK_FLAGS,
        NM_CYGNET_KEY_PASSWORD_FLAGS,
        NM_CYGNET_KEY_PIN_FLAGS,
        NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS,
        NULL,
    };
    for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++) {
        if (strcmp(main_entries[i].key, key) == 0)
            return;
    }
    if (g_strv_contains(auth_keys, key) || g_strv_contains(cg_advanced_keys(), key))
        return;
    g_hash_table_replace(editor->kept_values, g_strdup(key), g_strdup(value));
}

static void
fill(NmCygnetEditor *editor, NMConnection *connection)
{
    NMSettingVpn *s_vpn = connection ? nm_connection_get_setting_vpn(connection) : NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++) {
        const char *value = s_vpn ? nm_setting_vpn_get_data_item(s_vpn, main_entries[i].key) : NULL;
        cg_entry_set_text(widget(editor, main_entries[i].widget_id), value ? value : "");
    }

    const char *const *keys = cg_advanced_keys();
    for (gsize i = 0; keys[i]; i++) {
        const char *value = s_vpn ? nm_setting_vpn_get_data_item(s_vpn, keys[i]) : NULL;
        if (value != NULL)
            g_hash_table_replace(editor->advanced_values, g_strdup(keys[i]), g_strdup(value));
    }
    if (s_vpn != NULL)
        nm_setting_vpn_foreach_data_item(s_vpn, keep_unedited, editor);
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
    g_hash_table_iter_init(&iter, editor->advanced_values);
    while (g_hash_table_iter_next(&iter, &key, &value))
        nm_setting_vpn_add_data_item(s_vpn, key, value);
    g_hash_table_iter_init(&iter, editor->kept_values);
    while (g_hash_table_iter_next(&iter, &key, &value))
        nm_setting_vpn_add_data_item(s_vpn, key, value);
    cg_auth_save(editor->auth, s_vpn);

    nm_connection_add_setting(connection, NM_SETTING(s_vpn));
    return TRUE;
}

static void
nm_cygnet_editor_init(NmCygnetEditor *editor)
{
    editor->advanced_values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    editor->kept_values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
dispose(GObject *object)
{
    NmCygnetEditor *editor = NM_CYGNET_EDITOR(object);
    g_clear_pointer(&editor->advanced, cg_advanced_free);
    g_clear_pointer(&editor->auth, cg_auth_free);
    if (editor->builder) {
        /* our handlers go with the editor; the widget may live on */
        for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++)
            g_signal_handlers_disconnect_by_data(widget(editor, main_entries[i].widget_id), editor);
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
    g_hash_table_unref(editor->kept_values);
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
    editor->auth = cg_auth_new(editor->builder,
                               connection ? nm_connection_get_setting_vpn(connection) : NULL,
                               on_auth_changed, editor);

    for (gsize i = 0; i < G_N_ELEMENTS(main_entries); i++)
        g_signal_connect(widget(editor, main_entries[i].widget_id), "changed",
                         G_CALLBACK(on_changed), editor);
    g_signal_connect(widget(editor, "advanced_button"), "clicked", G_CALLBACK(on_advanced_clicked),
                     editor);
    show_errors(editor);
    return NM_VPN_EDITOR(g_steal_pointer(&editor));
}
