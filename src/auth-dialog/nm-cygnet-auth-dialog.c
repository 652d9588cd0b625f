/* nm-cygnet-auth-dialog: asks the user for a Cygnet VPN connection's
 * secrets on behalf of a NetworkManager secret agent.
 *
 *   nm-cygnet-auth-dialog -u UUID -n NAME -s SERVICE [-i] [-r]
 *                         [--external-ui-mode] [-t HINT]...
 *
 * The keyring is asked first; a GTK window opens only when something is
 * still missing, interaction is allowed (-i) and we are not in external
 * UI mode (where GNOME Shell or nmcli ask in their own UI, which is how
 * `nmcli --ask connection up` works on a terminal without any display).
 * Exit status: 0 with the secrets written, 1 on any failure or cancel.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nm-cygnet-auth-external.h"
#include "nm-cygnet-auth-keyring.h"
#include "nm-cygnet-auth-protocol.h"
#include "nm-cygnet-auth-secrets.h"
#include "nm-cygnet-auth-ui.h"
#include "nm-cygnet-keys.h"

typedef struct {
    char *uuid;
    char *name;
    char *service;
    gboolean allow_interaction;
    gboolean reprompt;
    gboolean external_ui_mode;
    char **hints;
} Options;

static void
options_clear(Options *options)
{
    g_free(options->uuid);
    g_free(options->name);
    g_free(options->service);
    g_strfreev(options->hints);
}

static gboolean
parse_options(int *argc, char ***argv, Options *options, GError **error)
{
    const GOptionEntry entries[] = {
        { "uuid", 'u', 0, G_OPTION_ARG_STRING, &options->uuid, N_("UUID of the VPN connection"),
          "UUID" },
        { "name", 'n', 0, G_OPTION_ARG_STRING, &options->name, N_("Name of the VPN connection"),
          "NAME" },
        { "service", 's', 0, G_OPTION_ARG_STRING, &options->service, N_("VPN service type"),
          "SERVICE" },
        { "allow-interaction", 'i', 0, G_OPTION_ARG_NONE, &options->allow_interaction,
          N_("Allow asking the user"), NULL },
        { "reprompt", 'r', 0, G_OPTION_ARG_NONE, &options->reprompt,
          N_("Ask again even for known secrets"), NULL },
        { "external-ui-mode", 0, 0, G_OPTION_ARG_NONE, &options->external_ui_mode,
          N_("Describe the secrets to ask for instead of opening a window"), NULL },
        { "hint", 't', 0, G_OPTION_ARG_STRING_ARRAY, &options->hints,
          N_("A secret to ask for, or x-vpn-message:TEXT"), "HINT" },
        { NULL },
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    g_option_context_set_summary(context, _("Asks for the secrets of a Cygnet VPN connection."));
    g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(context, argc, argv, error))
        return FALSE;
    if (options->uuid == NULL || options->name == NULL || options->service == NULL) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    _("--uuid, --name and --service are required"));
        return FALSE;
    }
    if (strcmp(options->service, NM_CYGNET_DBUS_SERVICE) != 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    _("This dialog handles the service %s, not %s"), NM_CYGNET_DBUS_SERVICE,
                    options->service);
        return FALSE;
    }
    return TRUE;
}

static char *
dialog_description(const Options *options, const char *hint_message)
{
    if (hint_message != NULL && hint_message[0] != '\0')
        return g_strdup(hint_message);
    return g_strdup_printf(_("Secrets are required to connect to the VPN “%s”."), options->name);
}

/* The GTK window: FALSE when there is no display or the user cancelled. */
static gboolean
ask_in_window(const char *title, const char *description, GPtrArray *items, GError **error)
{
    if (!gtk_init_check(NULL, NULL)) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_NO_UI,
                    _("No display to ask for the VPN secrets on; use an agent in external UI "
                      "mode (GNOME Shell, nmcli --ask) or store the secrets"));
        return FALSE;
    }
    GtkWidget *dialog = cg_auth_ui_new(title, description, items);
    gtk_window_present(GTK_WINDOW(dialog));
    int response = gtk_dialog_run(GTK_DIALOG(dialog));
    if (response == GTK_RESPONSE_OK)
        cg_auth_ui_collect(dialog, items);
    gtk_widget_destroy(dialog);
    if (response != GTK_RESPONSE_OK) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_CANCELLED, _("Cancelled"));
        return FALSE;
    }
    return TRUE;
}

/* stdout without a C stdio buffer: secrets are not left in libc's copy */
static gboolean
write_all(int fd, const char *text, gsize len)
{
    while (len > 0) {
        ssize_t written = write(fd, text, len);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return FALSE;
        text += written;
        len -= (gsize)written;
    }
    return TRUE;
}

static gboolean
write_secrets(const GPtrArray *items, GError **error)
{
    g_autoptr(GString) out = g_string_sized_new(256);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < items->len; i++) {
        const CgSecretItem *item = g_ptr_array_index(items, i);
        if (item->value != NULL && item->value[0] != '\0')
            ok = cg_auth_output_secret(out, item->def->key, item->value, error);
    }
    if (ok) {
        g_string_append(out, "\n\n");
        ok = write_all(STDOUT_FILENO, out->str, out->len);
        if (!ok)
            g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL, "cannot write stdout: %s",
                        g_strerror(errno));
    }
    explicit_bzero(out->str, out->allocated_len);
    return ok;
}

static int
run(Options *options)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgAuthInput) input = cg_auth_input_read_fd(STDIN_FILENO, &error);
    if (input == NULL) {
        g_printerr("nm-cygnet-auth-dialog: %s\n", error->message);
        return 1;
    }

    CgAuthRequest request = {
        .uuid = options->uuid,
        .reprompt = options->reprompt,
        .hints = (const char *const *)options->hints,
        .lookup = cg_keyring_lookup,
    };
    g_autofree char *hint_message = NULL;
    g_autoptr(GPtrArray) items = cg_auth_plan(input, &request, &hint_message);
    g_autofree char *description = dialog_description(options, hint_message);
    const char *title = _("Authenticate VPN");

    if (options->external_ui_mode) {
        gsize length = 0;
        g_autofree char *text = cg_auth_external_describe(title, description, items, &length);
        gboolean ok = write_all(STDOUT_FILENO, text, length);
        explicit_bzero(text, length);
        return ok ? 0 : 1;
    }

    if (cg_auth_plan_needs_ui(items) && options->allow_interaction
        && !ask_in_window(title, description, items, &error)) {
        g_printerr("nm-cygnet-auth-dialog: %s\n", error->message);
        return 1;
    }
    if (!write_secrets(items, &error)) {
        g_printerr("nm-cygnet-auth-dialog: %s\n", error->message);
        return 1;
    }
    cg_auth_wait_for_quit(STDIN_FILENO);
    return 0;
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* NM_CYGNET_LOCALEDIR in the environment: the build tree's catalogues
     * (tests); the user's own choice, so no privilege is involved. */
    const char *localedir = g_getenv("NM_CYGNET_LOCALEDIR");
    bindtextdomain(GETTEXT_PACKAGE, localedir ? localedir : NM_CYGNET_LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    Options options = { 0 };
    g_autoptr(GError) error = NULL;
    int status = 1;
    if (!parse_options(&argc, &argv, &options, &error))
        g_printerr("nm-cygnet-auth-dialog: %s\n", error->message);
    else
        status = run(&options);
    options_clear(&options);
    return status;
}
