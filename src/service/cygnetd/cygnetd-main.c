/* cygnetd: the cygnet IKEv2 engine as a standalone daemon. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib-unix.h>

#include "control/cg-control.h"
#include "auth/cg-creds.h"
#include "crypto/cg-crypto.h"
#include "cygnetd-config.h"
#include "engine/cg-engine.h"
#include "log/cg-log.h"

#define SHUTDOWN_GRACE_MS 3000

typedef struct {
    /* command line */
    gboolean foreground;
    char *config_path;
    char *secrets_path;
    char *control_socket;
    char *control_group;
    gint64 control_max_queue;
    char *nss_dir;
    int crypto_workers;
    char *unique_ids;
    char *log_level;
    char *log_file;
    char *listen;
    int ike_port;
    int natt_port;
    char *pid_file;
    char *dataplane;
    gboolean version;

    CgEngine *engine;
    CgControlServer *control;
    GMainLoop *loop;
    gboolean unique_ids_default;
    gboolean shutting_down;
    guint shutdown_timer;
    GPtrArray *loaded_names; /* char*: connections loaded from the file */
} Cygnetd;

static Cygnetd daemon_state = {
    .crypto_workers = -1,
    .ike_port = -1,
    .natt_port = -1,
};

static GOptionEntry option_entries[] = {
    {"foreground", 'f', 0, G_OPTION_ARG_NONE, &daemon_state.foreground,
     "Stay in the foreground, log to stderr", NULL},
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &daemon_state.config_path,
     "Configuration file (keyfile, see docs/cygnetd.md)", "FILE"},
    {"secrets", 's', 0, G_OPTION_ARG_FILENAME, &daemon_state.secrets_path,
     "Secrets file with pre-shared keys", "FILE"},
    {"control-socket", 0, 0, G_OPTION_ARG_FILENAME, &daemon_state.control_socket,
     "Path of the control socket (default " CG_CONTROL_DEFAULT_SOCKET ")", "PATH"},
    {"control-group", 0, 0, G_OPTION_ARG_STRING, &daemon_state.control_group,
     "Group that may use the control socket (mode 0660; default root only, 0600)", "GROUP"},
    {"control-max-queue", 0, 0, G_OPTION_ARG_INT64, &daemon_state.control_max_queue,
     "Bytes queued for a control client that does not read before it is dropped", "BYTES"},
    {"nss-dir", 0, 0, G_OPTION_ARG_FILENAME, &daemon_state.nss_dir, "NSS database directory",
     "DIR"},
    {"crypto-workers", 0, 0, G_OPTION_ARG_INT, &daemon_state.crypto_workers,
     "Threads for key exchange (default: number of CPUs)", "N"},
    {"unique-ids", 0, 0, G_OPTION_ARG_STRING, &daemon_state.unique_ids,
     "A new IKE_SA from the same identity replaces the old (default yes)", "yes|no"},
    {"log-level", 'l', 0, G_OPTION_ARG_STRING, &daemon_state.log_level,
     "error, warning, info (default), debug or trace", "LEVEL"},
    {"log-file", 0, 0, G_OPTION_ARG_FILENAME, &daemon_state.log_file, "Log to FILE", "FILE"},
    {"listen", 0, 0, G_OPTION_ARG_STRING, &daemon_state.listen,
     "Address to bind the IKE sockets to (default: all)", "ADDR"},
    {"ike-port", 0, 0, G_OPTION_ARG_INT, &daemon_state.ike_port, "IKE port (default 500)", "N"},
    {"natt-port", 0, 0, G_OPTION_ARG_INT, &daemon_state.natt_port, "NAT-T port (default 4500)",
     "N"},
    {"pid-file", 0, 0, G_OPTION_ARG_FILENAME, &daemon_state.pid_file, "Write the PID to FILE",
     "FILE"},
    {"dataplane", 0, 0, G_OPTION_ARG_STRING, &daemon_state.dataplane,
     "Data-plane backend: auto, xfrm, uesp or log", "NAME"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &daemon_state.version, "Print the version", NULL},
    {NULL},
};

static gboolean parse_bool(const char *s, gboolean *out)
{
    if (!g_ascii_strcasecmp(s, "yes") || !g_ascii_strcasecmp(s, "true") || !strcmp(s, "1")) {
        *out = TRUE;
        return TRUE;
    }
    if (!g_ascii_strcasecmp(s, "no") || !g_ascii_strcasecmp(s, "false") || !strcmp(s, "0")) {
        *out = FALSE;
        return TRUE;
    }
    return FALSE;
}

static void apply_secrets(Cygnetd *d, GPtrArray *psks)
{
    cg_engine_clear_psks(d->engine);
    cg_creds_clear();
    for (guint i = 0; psks && i < psks->len; i++) {
        CygnetdPsk *p = psks->pdata[i];
        switch (p->kind) {
            case CYGNETD_SECRET_PSK:
                cg_engine_add_psk(d->engine, (const char *const *)p->ids, p->secret);
                break;
            case CYGNETD_SECRET_EAP: /* EAP passwords and PINs: auth/cg-creds.h */
                cg_creds_add_eap_secret((const char *const *)p->ids, p->secret);
                break;
            case CYGNETD_SECRET_PIN:
                cg_creds_add_key_secret(p->target, p->secret);
                break;
        }
    }
}

/* Loads (or reloads) the config and secrets files. On any error nothing
 * changes: running connections stay as they are. */
static gboolean load_files(Cygnetd *d, gboolean initial, GError **error)
{
    g_autoptr(CygnetdConfig) cfg = cygnetd_config_load(d->config_path, error);
    if (!cfg)
        return FALSE;
    /* --unique-ids is the default of connections that don't say */
    if (d->unique_ids)
        cygnetd_config_apply_unique_ids_default(cfg, d->unique_ids_default);
    const char *secrets = d->secrets_path ? d->secrets_path : cfg->daemon.secrets_file;
    g_autoptr(GPtrArray) psks = cygnetd_secrets_load(secrets, error);
    if (!psks)
        return FALSE;

    if (initial) {
        /* daemon options from the file, unless the command line set them */
        if (!d->control_socket && cfg->daemon.control_socket)
            d->control_socket = g_strdup(cfg->daemon.control_socket);
        if (!d->control_group && cfg->daemon.control_group)
            d->control_group = g_strdup(cfg->daemon.control_group);
        if (!d->nss_dir && cfg->daemon.nss_dir)
            d->nss_dir = g_strdup(cfg->daemon.nss_dir);
        if (!d->listen && cfg->daemon.listen)
            d->listen = g_strdup(cfg->daemon.listen);
        if (!d->dataplane && cfg->daemon.dataplane)
            d->dataplane = g_strdup(cfg->daemon.dataplane);
        if (d->crypto_workers < 0 && cfg->daemon.crypto_workers >= 0)
            d->crypto_workers = cfg->daemon.crypto_workers;
        if (d->ike_port < 0 && cfg->daemon.ike_port >= 0)
            d->ike_port = cfg->daemon.ike_port;
        if (d->natt_port < 0 && cfg->daemon.natt_port >= 0)
            d->natt_port = cfg->daemon.natt_port;
        if (!d->unique_ids && cfg->daemon.unique_ids >= 0)
            d->unique_ids_default = cfg->daemon.unique_ids;
        if (!d->log_level && cfg->daemon.log_level >= 0)
            cg_log_set_level((CgLogLevel)cfg->daemon.log_level);
        return TRUE; /* connections load once the engine exists */
    }

    /* pools: new ones are added, existing ones keep their leases */
    for (guint i = 0; i < cfg->pools->len; i++) {
        CgPool *pool = cfg->pools->pdata[i];
        g_autoptr(GError) pool_error = NULL;
        if (cg_engine_add_pool(d->engine, pool, &pool_error))
            cfg->pools->pdata[i] = NULL; /* the engine owns it now */
    }
    apply_secrets(d, psks);

    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < cfg->connections->len; i++) {
        CgConnConfig *c = cfg->connections->pdata[i];
        if (c->log_file) {
            g_autoptr(GError) log_error = NULL;
            if (!cg_log_set_conn_file(c->name, c->log_file, &log_error))
                cg_warn(c->name, "cannot open log file: %s", log_error->message);
        }
        g_autoptr(GError) load_error = NULL;
        if (!cg_engine_load_connection(d->engine, c, &load_error)) {
            cg_error(c->name, "%s: %s", d->config_path ? d->config_path : "(no file)",
                     load_error->message);
            continue;
        }
        g_ptr_array_add(names, g_strdup(c->name));
    }
    /* connections that left the file go away */
    for (guint i = 0; d->loaded_names && i < d->loaded_names->len; i++) {
        const char *old = d->loaded_names->pdata[i];
        gboolean still = FALSE;
        for (guint j = 0; j < names->len && !still; j++)
            still = strcmp(names->pdata[j], old) == 0;
        if (!still)
            cg_engine_unload_connection(d->engine, old, NULL);
    }
    g_clear_pointer(&d->loaded_names, g_ptr_array_unref);
    d->loaded_names = g_steal_pointer(&names);
    return TRUE;
}

/* LoadConnection: the same loader as the file, and the same defaults the
 * file gets (unique-ids from the daemon, per-connection log files). */
static CgConnConfig *control_conn_from_keys(const char *name, GHashTable *keys, gpointer data,
                                            GError **error)
{
    Cygnetd *d = data;
    CgConnConfig *c = cygnetd_conn_from_keys(name, keys, error);
    if (!c)
        return NULL;
    const char *unique = g_hash_table_lookup(keys, "unique-ids");
    if (!unique || !*unique)
        c->unique_ids = d->unique_ids_default;
    if (c->log_file) {
        g_autoptr(GError) log_error = NULL;
        if (!cg_log_set_conn_file(c->name, c->log_file, &log_error))
            cg_warn(c->name, "cannot open log file: %s", log_error->message);
    }
    return c;
}

static gboolean control_child_from_keys(CgConnConfig *conn, const char *child_name,
                                        GHashTable *keys, gpointer data, GError **error)
{
    return cygnetd_conn_add_child_from_keys(conn, child_name, keys, error);
}

static gboolean start_control(Cygnetd *d, GError **error)
{
    CgControlOptions opts;
    cg_control_options_init(&opts);
    if (d->control_socket)
        opts.socket_path = d->control_socket;
    opts.group = d->control_group;
    if (d->control_max_queue < 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--control-max-queue must not be negative");
        return FALSE;
    }
    opts.max_queue_bytes = (gsize)d->control_max_queue;
    opts.product = "cygnetd";
    opts.conn_from_keys = control_conn_from_keys;
    opts.child_from_keys = control_child_from_keys;
    opts.secret_parse = cygnetd_secret_parse;
    opts.loader_data = d;
    d->control = cg_control_server_new(d->engine, &opts, error);
    return d->control != NULL;
}

static gboolean on_sighup(gpointer data)
{
    Cygnetd *d = data;
    g_autoptr(GError) error = NULL;
    cg_info(NULL, "reloading configuration");
    if (!load_files(d, FALSE, &error))
        cg_error(NULL, "reload failed, running connections kept: %s", error->message);
    return G_SOURCE_CONTINUE;
}

static gboolean shutdown_now(gpointer data)
{
    Cygnetd *d = data;
    d->shutdown_timer = 0;
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

static gboolean check_all_gone(gpointer data)
{
    Cygnetd *d = data;
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(d->engine, NULL);
    if (sas->len == 0) {
        g_main_loop_quit(d->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_terminate(gpointer data)
{
    Cygnetd *d = data;
    if (d->shutting_down) {
        g_main_loop_quit(d->loop);
        return G_SOURCE_CONTINUE;
    }
    d->shutting_down = TRUE;
    cg_info(NULL, "shutting down: deleting all IKE_SAs");
    g_autoptr(GPtrArray) conns = cg_engine_list_connections(d->engine);
    for (guint i = 0; i < conns->len; i++)
        cg_engine_terminate(d->engine, ((CgConnConfig *)conns->pdata[i])->name, NULL, NULL);
    d->shutdown_timer = g_timeout_add(SHUTDOWN_GRACE_MS, shutdown_now, d);
    g_timeout_add(50, check_all_gone, d);
    return G_SOURCE_CONTINUE;
}

static gboolean write_pid_file(const char *path, GError **error)
{
    g_autofree char *text = g_strdup_printf("%d\n", getpid());
    return g_file_set_contents(path, text, -1, error);
}

static gboolean daemonize(GError **error)
{
    pid_t pid = fork();
    if (pid < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "fork: %s",
                    g_strerror(errno));
        return FALSE;
    }
    if (pid > 0)
        _exit(0);
    setsid();
    pid = fork();
    if (pid < 0)
        return FALSE;
    if (pid > 0)
        _exit(0);
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    Cygnetd *d = &daemon_state;
    g_autoptr(GError) error = NULL;
    d->unique_ids_default = TRUE;

    g_autoptr(GOptionContext) ctx = g_option_context_new("- the cygnet IKEv2 daemon");
    g_option_context_add_main_entries(ctx, option_entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "cygnetd: %s\n", error->message);
        return 2;
    }
    if (d->version) {
        printf("cygnetd %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (d->log_level) {
        CgLogLevel level;
        if (!cg_log_level_parse(d->log_level, &level)) {
            fprintf(stderr, "cygnetd: unknown log level '%s'\n", d->log_level);
            return 2;
        }
        cg_log_set_level(level);
    }
    if (d->unique_ids && !parse_bool(d->unique_ids, &d->unique_ids_default)) {
        fprintf(stderr, "cygnetd: --unique-ids takes yes or no, not '%s'\n", d->unique_ids);
        return 2;
    }
    if (d->log_file && !cg_log_set_file(d->log_file, &error)) {
        fprintf(stderr, "cygnetd: %s\n", error->message);
        return 1;
    }
    if (!load_files(d, TRUE, &error)) {
        fprintf(stderr, "cygnetd: %s\n", error->message);
        return 1;
    }
    if (!d->foreground && !daemonize(&error)) {
        fprintf(stderr, "cygnetd: %s\n", error->message);
        return 1;
    }
    if (!cg_crypto_init(d->nss_dir, &error)) {
        cg_error(NULL, "crypto: %s", error->message);
        return 1;
    }

    CgEngineOptions opts;
    cg_engine_options_init(&opts);
    opts.bind_address = d->listen;
    if (d->ike_port >= 0)
        opts.ike_port = (guint16)d->ike_port;
    if (d->natt_port >= 0)
        opts.natt_port = (guint16)d->natt_port;
    if (d->crypto_workers >= 0)
        opts.crypto_workers = (guint)d->crypto_workers;
    opts.kernel_backend = d->dataplane ? d->dataplane : "auto";
    opts.unique_ids_default = d->unique_ids_default;
    d->engine = cg_engine_new(&opts, &error);
    if (!d->engine) {
        cg_error(NULL, "cannot start the engine: %s", error->message);
        return 1;
    }
    if (!load_files(d, FALSE, &error)) {
        cg_error(NULL, "%s", error->message);
        cg_engine_free(d->engine);
        return 1;
    }
    if (d->pid_file && !write_pid_file(d->pid_file, &error))
        cg_warn(NULL, "%s", error->message);
    if (!start_control(d, &error)) {
        cg_error(NULL, "control socket: %s", error->message);
        cg_engine_free(d->engine);
        return 1;
    }

    d->loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGHUP, on_sighup, d);
    g_unix_signal_add(SIGTERM, on_terminate, d);
    g_unix_signal_add(SIGINT, on_terminate, d);
    signal(SIGPIPE, SIG_IGN);
    cg_info(NULL, "cygnetd %s started", PACKAGE_VERSION);
    g_main_loop_run(d->loop);
    cg_info(NULL, "cygnetd stopped");

    if (d->shutdown_timer)
        g_source_remove(d->shutdown_timer);
    g_clear_pointer(&d->control, cg_control_server_free);
    cg_engine_free(d->engine);
    if (d->pid_file)
        unlink(d->pid_file);
    g_main_loop_unref(d->loop);
    g_clear_pointer(&d->loaded_names, g_ptr_array_unref);
    return 0;
}
