/* nm-cygnet-service: the NetworkManager VPN service of Cygnet.
 *
 * NetworkManager runs it (the program= of nm-cygnet-service.name), one
 * process per active VPN connection, with --bus-name
 * org.freedesktop.NetworkManager.cygnet.Connection_N; D-Bus activation of
 * the plain name is the fallback. Logs go to stderr, which NetworkManager
 * passes on to its own log (the journal under systemd).
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "log/cg-log.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-plugin.h"

/* How long a quitting service waits for the gateway to answer its Delete. */
#define SHUTDOWN_TIMEOUT_MS 1000

static char *bus_name_option;
static gboolean debug_option;
static char *log_level_option;

static GOptionEntry option_entries[] = {
    { "bus-name", 0, 0, G_OPTION_ARG_STRING, &bus_name_option,
      N_("D-Bus name to use for this instance"), "NAME" },
    { "debug", 'd', 0, G_OPTION_ARG_NONE, &debug_option,
      N_("Log debug messages and keep running after the connection ends"), NULL },
    { "log-level", 'l', 0, G_OPTION_ARG_STRING, &log_level_option,
      N_("error, warning, info (default), debug or trace"), "LEVEL" },
    { NULL },
};

/* NetworkManager passes its own VPN_PLUGIN log level as a syslog priority
 * (0 emergency .. 7 debug) in NM_VPN_LOG_LEVEL. */
static CgLogLevel
level_from_environment(void)
{
    const char *text = g_getenv("NM_VPN_LOG_LEVEL");
    guint64 priority;
    if (!text || !g_ascii_string_to_unsigned(text, 10, 0, 7, &priority, NULL))
        return CG_LOG_INFO;
    if (priority >= 7)
        return CG_LOG_DEBUG;
    return priority >= 5 ? CG_LOG_INFO : CG_LOG_WARNING;
}

static gboolean
quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

static void
on_quit(NmCygnetPlugin *plugin, gpointer loop)
{
    nm_cygnet_plugin_shutdown(plugin, SHUTDOWN_TIMEOUT_MS, quit_loop, loop);
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* the installed catalogues only: a root service takes no path from
     * its environment */
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    g_autoptr(GError) error = NULL;
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(context, option_entries, GETTEXT_PACKAGE);
    g_option_context_set_summary(context, _("The Cygnet IPsec/IKEv2 service for NetworkManager."));
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        fprintf(stderr, "nm-cygnet-service: %s\n", error->message);
        return 2;
    }

    CgLogLevel level = debug_option ? CG_LOG_DEBUG : level_from_environment();
    if (log_level_option && !cg_log_level_parse(log_level_option, &level)) {
        fprintf(stderr, "nm-cygnet-service: unknown log level '%s'\n", log_level_option);
        return 2;
    }
    cg_log_set_level(level);
    signal(SIGPIPE, SIG_IGN);

    const char *bus_name = bus_name_option ? bus_name_option : NM_CYGNET_DBUS_SERVICE;
    if (!g_dbus_is_name(bus_name) || g_dbus_is_unique_name(bus_name)) {
        fprintf(stderr, "nm-cygnet-service: '%s' is not a well-known D-Bus name\n", bus_name);
        return 2;
    }
    g_autoptr(NmCygnetPlugin) plugin = nm_cygnet_plugin_new(bus_name, !debug_option, &error);
    if (!plugin) {
        cg_error(NULL, "cannot serve %s: %s", bus_name, error->message);
        return 1;
    }
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_signal_connect(plugin, "quit", G_CALLBACK(on_quit), loop);
    cg_info(NULL, "nm-cygnet-service %s serving %s", PACKAGE_VERSION, bus_name);
    g_main_loop_run(loop);
    cg_info(NULL, "nm-cygnet-service on %s stopped", bus_name);
    g_free(bus_name_option);
    g_free(log_level_option);
    return 0;
}
