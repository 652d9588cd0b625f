/* cygnet-policy: NetworkManager's dispatcher hands it every event
 * (data/cygnet-policy-dispatcher.in); it decides whether the guarding VPN
 * goes up or down (docs/policy.md).
 *
 *   cygnet-policy [--config FILE] [--state-dir DIR] INTERFACE ACTION
 *   cygnet-policy --check [--config FILE]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cygnet-policy-config.h"
#include "cygnet-policy-decide.h"
#include "cygnet-policy-log.h"
#include "cygnet-policy-nm.h"
#include "cygnet-policy-state.h"

static gint64 started_us;
static gint64 nm_read_us; /* reading NetworkManager's state took */

/* ms since the process was started (the dispatcher's fork), from
 * /proc/self/stat: clock ticks after boot, so 10 ms steps; -1 unknown */
static gint64
ms_since_exec(void)
{
    g_autofree char *stat = NULL;
    if (!g_file_get_contents("/proc/self/stat", &stat, NULL, NULL))
        return -1;
    const char *p = strrchr(stat, ')');
    if (!p)
        return -1;
    /* fields after ")": 3 state ... 22 starttime */
    g_auto(GStrv) fields = g_strsplit(p + 2, " ", 0);
    if (g_strv_length(fields) < 20)
        return -1;
    guint64 start_ticks = g_ascii_strtoull(fields[19], NULL, 10);
    long hz = sysconf(_SC_CLK_TCK);
    struct timespec ts;
    if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
        return -1;
    gint64 now_ms = (gint64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return now_ms - (gint64)(start_ticks * 1000 / (guint64)hz);
}

static char *
timing(void)
{
    double in_process_ms = (double)(g_get_monotonic_time() - started_us) / 1000.0;
    double nm_ms = (double)nm_read_us / 1000.0;
    gint64 exec_ms = ms_since_exec();
    if (exec_ms < 0)
        return g_strdup_printf("decided in %.1f ms (NetworkManager read in %.1f ms)", in_process_ms,
                               nm_ms);
    return g_strdup_printf("decided in %.1f ms (NetworkManager read in %.1f ms), %" G_GINT64_FORMAT
                           " ms after the dispatcher started it",
                           in_process_ms, nm_ms, exec_ms);
}

/* One run at a time: the dispatcher runs scripts in order, but a user may
 * run it by hand too. */
static int
lock_state(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "lock", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static gboolean
is_our_vpn(const PolicyConfig *c, PolicyNm *nm)
{
    const char *uuid = g_getenv("CONNECTION_UUID");
    const char *id = g_getenv("CONNECTION_ID");
    if (nm->vpn && uuid && g_strcmp0(uuid, nm_connection_get_uuid(NM_CONNECTION(nm->vpn))) == 0)
        return TRUE;
    return g_strcmp0(uuid, c->vpn) == 0 || g_strcmp0(id, c->vpn) == 0;
}

static int
check_config(const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(PolicyConfig) c = policy_config_load(path, &error);
    if (!c) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    g_print("%s: OK: '%s' guards untrusted networks; %u trusted entr%s; down-on-trusted = %s\n",
            path, c->vpn, c->trusted->len, c->trusted->len == 1 ? "y" : "ies",
            c->down_on_trusted ? "yes" : "no");
    return 0;
}

static const char *
action_word(PolicyAction a)
{
    switch (a) {
        case POLICY_ACT_UP:
            return "VPN up";
        case POLICY_ACT_DOWN:
            return "VPN down";
        case POLICY_ACT_NONE:
            break;
    }
    return "nothing to do";
}

static int
run(const char *config_path, const char *state_dir, const char *iface, const char *action)
{
    PolicyEvent event = policy_event_parse(action);
    if (event == POLICY_EVENT_IGNORED)
        return 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(PolicyConfig) c = policy_config_load(config_path, &error);
    if (!c) {
        if (g_error_matches(error, POLICY_CONFIG_ERROR, POLICY_CONFIG_ERROR_READ)
            && !g_file_test(config_path, G_FILE_TEST_EXISTS))
            return 0; /* no policy: nothing to enforce */
        policy_log_open(g_mkdir_with_parents(state_dir, 0700) == 0 ? state_dir : NULL);
        policy_log("%s %s: nothing done: the policy file has an error: %s", action, iface,
                   error->message);
        return 1;
    }
    if (g_mkdir_with_parents(state_dir, 0700) < 0) {
        int e = errno;
        policy_log_open(NULL);
        policy_log("%s %s: nothing done: cannot create %s: %s", action, iface, state_dir,
                   g_strerror(e));
        return 1;
    }
    policy_log_open(state_dir);
    int lock_fd = lock_state(state_dir);
    g_autofree char *state_path = g_build_filename(state_dir, "state", NULL);
    g_autofree char *warning = NULL;
    g_autoptr(PolicyState) st = policy_state_load(state_path, &warning);
    if (warning)
        policy_log("%s", warning);

    gint64 nm_start_us = g_get_monotonic_time();
    g_autoptr(PolicyNm) nm = policy_nm_new(c->vpn, &error);
    nm_read_us = g_get_monotonic_time() - nm_start_us;
    if (!nm) {
        policy_log("%s %s: nothing done: cannot reach NetworkManager: %s", action, iface,
                   error->message);
        return 1;
    }
    gint64 now_us = g_get_real_time();
    PolicyNetwork *net = nm->network ? &nm->net : NULL;
    int rc = 0;
    if (event != POLICY_EVENT_NETWORK) {
        if (!is_our_vpn(c, nm))
            return 0;
        g_autofree char *note = policy_note_vpn_event(c, st, event, net, now_us);
        g_autofree char *t = timing();
        policy_log("%s %s: %s [%s]", action, iface, note, t);
    } else {
        g_autofree char *type = NULL;
        if (policy_nm_is_tunnel(nm, g_getenv("CONNECTION_UUID"), &type))
            return 0; /* a tunnel's own up or down is no network change */
        g_autofree char *reason = NULL;
        PolicyAction act = policy_decide(c, st, net, nm->vpn_state, now_us, &reason);
        g_autofree char *t = timing();
        policy_log("%s %s: %s: %s [%s]", action, iface, action_word(act), reason, t);
        /* saved before asking: NetworkManager's vpn-up may come any moment */
        if (!policy_state_save(st, state_path, &error)) {
            policy_log("cannot save the state: %s", error->message);
            g_clear_error(&error);
        }
        gboolean ok = TRUE;
        if (act == POLICY_ACT_UP)
            ok = policy_nm_activate(nm, &error);
        else if (act == POLICY_ACT_DOWN)
            ok = policy_nm_deactivate(nm, &error);
        if (!ok) {
            policy_log("%s %s: NetworkManager refused to take '%s' %s: %s", action, iface, c->vpn,
                       act == POLICY_ACT_UP ? "up" : "down", error->message);
            st->pending = POLICY_CHOICE_NONE;
            rc = 1;
        } else if (act != POLICY_ACT_NONE) {
            double ms = (double)(g_get_monotonic_time() - started_us) / 1000.0;
            policy_log("%s %s: NetworkManager accepted taking '%s' %s (%.1f ms after start)",
                       action, iface, c->vpn, act == POLICY_ACT_UP ? "up" : "down", ms);
        }
    }
    if (!policy_state_save(st, state_path, &error))
        policy_log("cannot save the state: %s", error->message);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}

int
main(int argc, char **argv)
{
    started_us = g_get_monotonic_time();
    setlocale(LC_ALL, "");
    g_autofree char *config_path = NULL;
    g_autofree char *state_dir = NULL;
    gboolean check = FALSE, version = FALSE;
    GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "The policy file (default " CYGNET_POLICY_CONF ")", "FILE" },
        { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
          "Where decisions and choices are kept (default " CYGNET_POLICY_STATE_DIR ")", "DIR" },
        { "check", 0, 0, G_OPTION_ARG_NONE, &check, "Check the policy file and exit", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("INTERFACE ACTION");
    g_option_context_set_summary(ctx,
                                 "Brings the guarding VPN up on untrusted networks and down on "
                                 "trusted ones.\nNetworkManager's dispatcher runs it with an "
                                 "interface and an action (up, down, ...).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("cygnet-policy: %s\n", error->message);
        return 2;
    }
    if (version) {
        g_print("cygnet-policy %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (!config_path)
        config_path = g_strdup(g_getenv("CYGNET_POLICY_CONF") ? g_getenv("CYGNET_POLICY_CONF")
                                                              : CYGNET_POLICY_CONF);
    if (!state_dir)
        state_dir = g_strdup(CYGNET_POLICY_STATE_DIR);
    if (check)
        return check_config(config_path);
    const char *iface = argc > 1 ? argv[1] : "";
    const char *action = argc > 2 ? argv[2] : g_getenv("NM_DISPATCHER_ACTION");
    if (!action) {
        g_printerr("cygnet-policy: usage: cygnet-policy INTERFACE ACTION (see --help)\n");
        return 2;
    }
    int rc = run(config_path, state_dir, iface, action);
    policy_log_close();
    return rc;
}
