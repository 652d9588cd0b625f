/* nm-cygnet-auth-ui.c: the secrets dialog (GTK 3). */
#include "config.h"

#include "nm-cygnet-auth-ui.h"

#include <glib/gi18n-lib.h>

#include "nm-cygnet-auth-protocol.h"
#include "nm-cygnet-auth-secrets.h"

#define ENTRY_DATA_PREFIX "cg-entry-"

static GtkInputPurpose
purpose_of(CgSecretKind kind)
{
    switch (kind) {
        case CG_SECRET_KIND_PIN:
            return GTK_INPUT_PURPOSE_PIN;
        case CG_SECRET_KIND_OTP:
            return GTK_INPUT_PURPOSE_DIGITS;
        case CG_SECRET_KIND_PASSWORD:
        case CG_SECRET_KIND_PASSPHRASE:
        default:
            return GTK_INPUT_PURPOSE_PASSWORD;
    }
}

static void
on_show_toggled(GtkToggleButton *toggle, gpointer user_data)
{
    GPtrArray *entries = user_data;
    for (guint i = 0; i < entries->len; i++)
        gtk_entry_set_visibility(g_ptr_array_index(entries, i),
                                 gtk_toggle_button_get_active(toggle));
}

GtkWidget *
cg_auth_ui_new(const char *title, const char *message, const GPtrArray *items)
{
    GtkWidget *dialog
        = gtk_dialog_new_with_buttons(title, NULL, GTK_DIALOG_MODAL, _("_Cancel"),
                                      GTK_RESPONSE_CANCEL, _("C_onnect"), GTK_RESPONSE_OK, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
    gtk_window_set_resizable(GTK_WINDOW(dialog), FALSE);
    gtk_window_set_icon_name(GTK_WINDOW(dialog), "network-vpn");

    GtkWidget *grid = gtk_grid_new();
    gtk_container_set_border_width(GTK_CONTAINER(grid), 12);
    gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
    gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
    gtk_box_pack_start(GTK_BOX(gtk_dialog_get_content_area(GTK_DIALOG(dialog))), grid, TRUE, TRUE,
                       0);

    GtkWidget *icon = gtk_image_new_from_icon_name("dialog-password", GTK_ICON_SIZE_DIALOG);
    gtk_widget_set_valign(icon, GTK_ALIGN_START);
    gtk_grid_attach(GTK_GRID(grid), icon, 0, 0, 1, 1);
    GtkWidget *text = gtk_label_new(message);
    gtk_label_set_line_wrap(GTK_LABEL(text), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(text), 50);
    gtk_label_set_xalign(GTK_LABEL(text), 0.0);
    gtk_grid_attach(GTK_GRID(grid), text, 1, 0, 2, 1);

    GPtrArray *entries = g_ptr_array_new();
    int row = 1;
    for (guint i = 0; i < items->len; i++) {
        const CgSecretItem *item = g_ptr_array_index(items, i);
        if (!item->should_ask)
            continue;
        GtkWidget *label = gtk_label_new_with_mnemonic(_(item->def->label));
        gtk_label_set_xalign(GTK_LABEL(label), 1.0);
        GtkWidget *entry = gtk_entry_new();
        gtk_widget_set_name(entry, item->def->key);
        gtk_entry_set_visibility(GTK_ENTRY(entry), FALSE);
        gtk_entry_set_activates_default(GTK_ENTRY(entry), TRUE);
        gtk_entry_set_input_purpose(GTK_ENTRY(entry), purpose_of(item->def->kind));
        gtk_entry_set_width_chars(GTK_ENTRY(entry), 30);
        gtk_widget_set_hexpand(entry, TRUE);
        if (item->value != NULL)
            gtk_entry_set_text(GTK_ENTRY(entry), item->value);
        gtk_label_set_mnemonic_widget(GTK_LABEL(label), entry);
        gtk_grid_attach(GTK_GRID(grid), label, 1, row, 1, 1);
        gtk_grid_attach(GTK_GRID(grid), entry, 2, row, 1, 1);
        g_autofree char *data_key = g_strconcat(ENTRY_DATA_PREFIX, item->def->key, NULL);
        g_object_set_data(G_OBJECT(dialog), data_key, entry);
        if (entries->len == 0)
            gtk_widget_grab_focus(entry);
        g_ptr_array_add(entries, entry);
        row++;
    }

    GtkWidget *show = gtk_check_button_new_with_mnemonic(_("_Show secrets"));
    gtk_grid_attach(GTK_GRID(grid), show, 2, row, 1, 1);
    g_signal_connect_data(show, "toggled", G_CALLBACK(on_show_toggled), entries,
                          (GClosureNotify)(void (*)(void))g_ptr_array_unref, 0);
    gtk_widget_show_all(grid);
    return dialog;
}

GtkEntry *
cg_auth_ui_get_entry(GtkWidget *dialog, const char *key)
{
    g_autofree char *data_key = g_strconcat(ENTRY_DATA_PREFIX, key, NULL);
    return g_object_get_data(G_OBJECT(dialog), data_key);
}

void
cg_auth_ui_collect(GtkWidget *dialog, GPtrArray *items)
{
    for (guint i = 0; i < items->len; i++) {
        CgSecretItem *item = g_ptr_array_index(items, i);
        GtkEntry *entry = cg_auth_ui_get_entry(dialog, item->def->key);
        if (entry == NULL)
            continue;
        cg_auth_secret_free(item->value);
        item->value = g_strdup(gtk_entry_get_text(entry));
        item->from_keyring = FALSE;
    }
}
