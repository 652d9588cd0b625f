/* test-auth-ui: the auth dialog's GTK window under Xvfb: a PSK to ask
 * for gets an entry (prefilled with what the keyring had, on reprompt),
 * typing into it and pressing Connect gives the value back; secrets that
 * need no asking get no entry. Screenshot to UI_ARTIFACTS_DIR. */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "nm-cygnet-auth-secrets.h"
#include "nm-cygnet-auth-ui.h"
#include "nm-cygnet-keys.h"

static void
iterate(int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        g_usleep(2000);
    }
}

static char *
fake_lookup(const char *uuid, const char *key, gpointer user_data)
{
    return g_strdup("from-keyring");
}

int
main(int argc, char **argv)
{
    if (!gtk_init_check(&argc, &argv))
        g_error("no display");
    const char *text = "DATA_KEY=psk-flags\nDATA_VAL=1\n\nDONE\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(CgAuthInput) input = cg_auth_input_parse(text, strlen(text), &error);
    g_assert_no_error(error);
    CgAuthRequest request = { .uuid = "u", .reprompt = TRUE, .lookup = fake_lookup };
    g_autofree char *message = NULL;
    g_autoptr(GPtrArray) items = cg_auth_plan(input, &request, &message);
    g_assert_cmpuint(items->len, ==, 1);

    GtkWidget *dialog = cg_auth_ui_new("Authenticate VPN",
                                       "Secrets are required to connect to the VPN “corp”.", items);
    gtk_widget_show(dialog);
    iterate(200);
    GtkEntry *entry = cg_auth_ui_get_entry(dialog, NM_CYGNET_SECRET_PSK);
    g_assert_nonnull(entry);
    g_assert_cmpstr(gtk_entry_get_text(entry), ==, "from-keyring");
    g_assert_false(gtk_entry_get_visibility(entry));
    gtk_entry_set_text(entry, "typed-by-the-user");
    iterate(100);
    const char *dir = g_getenv("UI_ARTIFACTS_DIR");
    if (dir != NULL) {
        g_mkdir_with_parents(dir, 0755);
        g_autofree char *path = g_build_filename(dir, "auth-dialog-gtk3.png", NULL);
        GdkWindow *window = gtk_widget_get_window(dialog);
        g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_get_from_window(
            window, 0, 0, gdk_window_get_width(window), gdk_window_get_height(window));
        g_assert_true(gdk_pixbuf_save(pixbuf, path, "png", NULL, NULL));
        g_print("screenshot: %s\n", path);
    }
    /* Connect: what was typed is the answer */
    gtk_button_clicked(
        GTK_BUTTON(gtk_dialog_get_widget_for_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK)));
    cg_auth_ui_collect(dialog, items);
    const CgSecretItem *item = g_ptr_array_index(items, 0);
    g_assert_cmpstr(item->value, ==, "typed-by-the-user");
    gtk_widget_destroy(dialog);
    g_print("PASS\n");
    return 0;
}
