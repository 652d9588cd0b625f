/* cygnetctl: the command-line client of cygnetd's control socket
 * (Varlink interface io.cygnet.Ike, see docs/control.md).
 *
 * Exit codes, for scripts: 0 success, 1 the request failed, 2 bad usage
 * (also a request the daemon rejected as malformed), 3 not found (no
 * such connection or SA, or nothing matched), 4 cannot reach the daemon. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cygnetctl-client.h"
#include "cygnetctl-output.h"

#define IFACE "io.cygnet.Ike."

enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_NOT_FOUND = 3,
    EXIT_CONNECT = 4,
};

#define DEFAULT_SOCKET "/run/cygnet/cygnetd.sock"

static char *opt_socket;
static gboolean opt_json;
static char *opt_color;

static GOptionEntry global_entries[] = {
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, &opt_socket,
      "Control socket (default $CYGNET_SOCKET or " DEFAULT_SOCKET ")", "PATH" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON instead of text", NULL },
    { "color", 0, 0, G_OPTION_ARG_STRING, &opt_color, "Colour: auto (default), always, never",
      "WHEN" },
    { NULL },
};

static CtlOutput out;

/* ---- helpers ---------------------------------------------------------- */

static int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static int
usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "cygnetctl: %s\n(see cygnetctl --help)\n", msg);
    return EXIT_USAGE;
}

static const char *
socket_path(void)
{
    if (opt_socket)
        return opt_socket;
    const char *env = g_getenv("CYGNET_SOCKET");
    return env && *env ? env : DEFAULT_SOCKET;
}

static CtlClient *
connect_or_report(int *rc)
{
    g_autoptr(GError) error = NULL;
    CtlClient *client = ctl_client_connect(socket_path(), &error);
    if (!client) {
        fprintf(stderr, "cygnetctl: %s\n", error->message);
        *rc = EXIT_CONNECT;
    }
    return client;
}

/* A transport failure (not a Varlink error). */
static int
transport_error(GError *error)
{
    fprintf(stderr, "cygnetctl: %s\n", error->message);
    return g_error_matches(error, CTL_ERROR, CTL_ERROR_CONNECT) ? EXIT_CONNECT : EXIT_FAILED;
}

/* What a Varlink error means for people, and its exit code. */
static int
report_error(CtlReply *reply, const char *subject)
{
    JsonObject *p = reply->parameters;
    const char *name = reply->error;
    const char *short_name = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
    g_autofree char *text = NULL;
    int rc = EXIT_FAILED;
    if (!strcmp(short_name, "ConnectionNotFound")) {
        text = g_strdup_printf("no connection named '%s'",
                               ctl_json_string(p, "connection", subject ? subject : "?"));
        rc = EXIT_NOT_FOUND;
    } else if (!strcmp(short_name, "SaNotFound")) {
        gint64 id = ctl_json_int(p, "ike_id", 0);
        text = id ? g_strdup_printf("no IKE_SA #%" G_GINT64_FORMAT, id)
                  : g_strdup_printf("no CHILD_SA #%" G_GINT64_FORMAT,
                                    ctl_json_int(p, "child_id", 0));
        rc = EXIT_NOT_FOUND;
    } else if (!strcmp(short_name, "InvalidConfiguration")) {
        text = g_strdup(ctl_json_string(p, "message", "invalid configuration"));
        rc = EXIT_USAGE;
    } else if (!strcmp(short_name, "InvalidParameter")) {
        text = g_strdup_printf("the daemon rejected parameter '%s'",
                               ctl_json_string(p, "parameter", "?"));
        rc = EXIT_USAGE;
    } else if (!strcmp(short_name, "InitiateFailed")) {
        text
            = g_strdup_printf("%s: IKE_SA #%" G_GINT64_FORMAT " failed (%s): %s",
                              subject ? subject : "?", ctl_json_int(p, "ike_id", 0),
                              ctl_json_string(p, "reason", "?"), ctl_json_string(p, "message", ""));
    } else if (!strcmp(short_name, "Timeout")) {
        gint64 id = ctl_json_int(p, "ike_id", 0);
        text = id ? g_strdup_printf("timed out; IKE_SA #%" G_GINT64_FORMAT " is still being tried",
                                    id)
                  : g_strdup("timed out");
    } else if (!strcmp(short_name, "Failed")) {
        text = g_strdup(ctl_json_string(p, "message", "failed"));
    } else if (!strcmp(short_name, "MethodNotFound")
               || !strcmp(short_name, "MethodNotImplemented")) {
        text = g_strdup_printf("the daemon does not offer %s", ctl_json_string(p, "method", "it"));
    } else {
        text = g_strdup(name);
    }
    if (out.json) {
        g_autoptr(JsonObject) o = json_object_new();
        json_object_set_string_member(o, "error", name);
        json_object_set_object_member(o, "parameters", json_object_ref(p));
        ctl_print_json(stdout, o, TRUE);
    }
    fprintf(stderr, "cygnetctl: %s\n", text);
    return rc;
}

/* One call; *rc is set on any failure (and NULL returned). */
static CtlReply *
call(CtlClient *client, const char *method, JsonObject *params, const char *subject, int *rc)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CtlReply) reply = ctl_client_call(client, method, params, &error);
    if (!reply) {
        *rc = transport_error(error);
        return NULL;
    }
    if (reply->error) {
        *rc = report_error(reply, subject);
        return NULL;
    }
    return g_steal_pointer(&reply);
}

/* Connects and calls METHOD with PARAMS (taken, NULL for none): the
 * reply, or NULL with *rc set after reporting what went wrong. */
static CtlReply *
connect_and_call(const char *method, JsonObject *params, const char *subject, int *rc)
{
    g_autoptr(CtlClient) client = connect_or_report(rc);
    if (!client) {
        if (params)
            json_object_unref(params);
        return NULL;
    }
    return call(client, method, params, subject, rc);
}

/* Parses a command's options (its own plus the global ones). */
static gboolean
parse_options(const char *command, const char *parameters, const char *summary,
              GOptionEntry *entries, int *argc, char ***argv, int *rc)
{
    g_autofree char *title
        = g_strdup_printf("%s%s%s", command, parameters ? " " : "", parameters ? parameters : "");
    g_autoptr(GOptionContext) ctx = g_option_context_new(title);
    g_option_context_set_summary(ctx, summary);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    GOptionGroup *globals
        = g_option_group_new("global", "Global options", "Show global options", NULL, NULL);
    g_option_group_add_entries(globals, global_entries);
    g_option_context_add_group(ctx, globals);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        *rc = usage_error("%s: %s", command, error->message);
        return FALSE;
    }
    if (!ctl_output_init(&out, opt_color, opt_json)) {
        *rc = usage_error("--color takes auto, always or never, not '%s'", opt_color);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_id(const char *what, gint64 value, int *rc)
{
    if (value < 0 || value > G_MAXUINT32) {
        *rc = usage_error("%s must be between 1 and %u", what, G_MAXUINT32);
        return FALSE;
    }
    return TRUE;
}

static gboolean
timeout_to_ms(double seconds, JsonObject *params, int *rc)
{
    if (seconds == 0)
        return TRUE;
    if (seconds < 0.001 || seconds > 86400) {
        *rc = usage_error("--timeout must be between 0.001 and 86400 seconds");
        return FALSE;
    }
    json_object_set_int_member(params, "timeout_ms", (gint64)(seconds * 1000));
    return TRUE;
}

/* ---- commands ---------------------------------------------------------- */

static int
cmd_version(int argc, char **argv)
{
    int rc = EXIT_OK;
    if (!parse_options("version", NULL, "Print the versions of cygnetctl and cygnetd.", NULL, &argc,
                       &argv, &rc))
        return rc;
    if (argc > 1)
        return usage_error("version takes no arguments");
    if (!out.json)
        printf("cygnetctl %s\n", PACKAGE_VERSION);
    g_autoptr(CtlReply) reply = connect_and_call(IFACE "GetVersion", NULL, NULL, &rc);
    if (!reply)
        return rc;
    if (out.json) {
        json_object_set_string_member(reply->parameters, "cygnetctl_version", PACKAGE_VERSION);
        ctl_print_json(stdout, reply->parameters, TRUE);
    } else {
        printf("cygnetd %s (interface io.cygnet.Ike version %" G_GINT64_FORMAT ")\n",
               ctl_json_string(reply->parameters, "version", "?"),
               ctl_json_int(reply->parameters, "interface_version", 0));
    }
    return EXIT_OK;
}

static int
cmd_status(int argc, char **argv)
{
    int rc = EXIT_OK;
    if (!parse_options("status", NULL, "Show the daemon's version, counters, connections and SAs.",
                       NULL, &argc, &argv, &rc))
        return rc;
    if (argc > 1)
        return usage_error("status takes no arguments");
    g_autoptr(CtlClient) client = connect_or_report(&rc);
    if (!client)
        return rc;
    g_autoptr(CtlReply) version = call(client, IFACE "GetVersion", NULL, NULL, &rc);
    g_autoptr(CtlReply) stats = version ? call(client, IFACE "GetStats", NULL, NULL, &rc) : NULL;
    g_autoptr(CtlReply) conns
        = stats ? call(client, IFACE "ListConnections", NULL, NULL, &rc) : NULL;
    g_autoptr(CtlReply) sas = conns ? call(client, IFACE "ListSAs", NULL, NULL, &rc) : NULL;
    if (!sas)
        return rc;
    if (out.json) {
        g_autoptr(JsonObject) o = json_object_new();
        json_object_set_object_member(o, "version", json_object_ref(version->parameters));
        json_object_set_object_member(o, "stats", json_object_ref(stats->parameters));
        json_object_set_array_member(
            o, "connections", json_array_ref(ctl_json_array(conns->parameters, "connections")));
        json_object_set_array_member(o, "sas",
                                     json_array_ref(ctl_json_array(sas->parameters, "sas")));
        ctl_print_json(stdout, o, TRUE);
        return EXIT_OK;
    }
    JsonObject *s = stats->parameters;
    gint64 started = ctl_json_int(s, "started_at_us", 0);
    g_autofree char *uptime = ctl_format_duration((g_get_real_time() - started) / 1000000);
    g_autofree char *title = ctl_paint(&out, CTL_BOLD, "cygnetd");
    printf("%s %s, up %s\n", title, ctl_json_string(version->parameters, "version", "?"), uptime);
    printf("IKE_SAs: %" G_GINT64_FORMAT " up, %" G_GINT64_FORMAT " half-open, %" G_GINT64_FORMAT
           " established since start; CHILD_SAs: %" G_GINT64_FORMAT "\n",
           ctl_json_int(s, "ike_sas_current", 0), ctl_json_int(s, "half_open_current", 0),
           ctl_json_int(s, "ike_sas_established_total", 0),
           ctl_json_int(s, "child_sas_current", 0));
    printf("packets: %" G_GINT64_FORMAT " in, %" G_GINT64_FORMAT " out, %" G_GINT64_FORMAT
           " dropped; %" G_GINT64_FORMAT " retransmits, %" G_GINT64_FORMAT " cookies\n",
           ctl_json_int(s, "packets_in", 0), ctl_json_int(s, "packets_out", 0),
           ctl_json_int(s, "packets_dropped", 0), ctl_json_int(s, "retransmits", 0),
           ctl_json_int(s, "cookies_sent", 0));
    printf("control: %" G_GINT64_FORMAT " clients, %" G_GINT64_FORMAT
           " monitoring, %" G_GINT64_FORMAT " dropped\n\n",
           ctl_json_int(s, "control_clients", 0), ctl_json_int(s, "monitor_clients", 0),
           ctl_json_int(s, "control_clients_dropped", 0));
    ctl_print_connections(&out, stdout, ctl_json_array(conns->parameters, "connections"));
    printf("\n");
    ctl_print_sas(&out, stdout, ctl_json_array(sas->parameters, "sas"));
    return EXIT_OK;
}

static int
cmd_list_sas(int argc, char **argv)
{
    int rc = EXIT_OK;
    g_autofree char *prefix = NULL;
    gint64 ike_id = 0;
    GOptionEntry entries[] = {
        { "prefix", 'p', 0, G_OPTION_ARG_STRING, &prefix, "Connections whose name starts so",
          "PREFIX" },
        { "ike-id", 0, 0, G_OPTION_ARG_INT64, &ike_id, "Only this IKE_SA", "ID" },
        { NULL },
    };
    if (!parse_options("list-sas", "[CONNECTION]", "List IKE_SAs and their CHILD_SAs.", entries,
                       &argc, &argv, &rc)
        || !parse_id("--ike-id", ike_id, &rc))
        return rc;
    if (argc > 2)
        return usage_error("list-sas takes at most one connection name");
    JsonObject *params = json_object_new();
    if (argc == 2)
        json_object_set_string_member(params, "connection", argv[1]);
    if (prefix)
        json_object_set_string_member(params, "prefix", prefix);
    if (ike_id)
        json_object_set_int_member(params, "ike_id", ike_id);
    g_autoptr(CtlReply) reply = connect_and_call(IFACE "ListSAs", params, NULL, &rc);
    if (!reply)
        return rc;
    if (out.json)
        ctl_print_json(stdout, reply->parameters, TRUE);
    else
        ctl_print_sas(&out, stdout, ctl_json_array(reply->parameters, "sas"));
    return EXIT_OK;
}

static int
cmd_list_conns(int argc, char **argv)
{
    int rc = EXIT_OK;
    g_autofree char *prefix = NULL;
    GOptionEntry entries[] = {
        { "prefix", 'p', 0, G_OPTION_ARG_STRING, &prefix, "Names that start so", "PREFIX" },
        { NULL },
    };
    if (!parse_options("list-conns", "[NAME]", "List the loaded connections.", entries, &argc,
                       &argv, &rc))
        return rc;
    if (argc > 2)
        return usage_error("list-conns takes at most one name");
    JsonObject *params = json_object_new();
    if (argc == 2)
        json_object_set_string_member(params, "name", argv[1]);
    if (prefix)
        json_object_set_string_member(params, "prefix", prefix);
    g_autoptr(CtlReply) reply = connect_and_call(IFACE "ListConnections", params, NULL, &rc);
    if (!reply)
        return rc;
    if (out.json)
        ctl_print_json(stdout, reply->parameters, TRUE);
    else
        ctl_print_connections(&out, stdout, ctl_json_array(reply->parameters, "connections"));
    return EXIT_OK;
}

/* ---- load ------------------------------------------------------------ */

typedef struct {
    char *name;
    JsonObject *keys;
    JsonArray *children; /* ChildKeys */
} LoadConn;

static void
load_conn_free(gpointer data)
{
    LoadConn *c = data;
    g_free(c->name);
    json_object_unref(c->keys);
    json_array_unref(c->children);
    g_free(c);
}

static LoadConn *
load_conn_new(const char *name)
{
    LoadConn *c = g_new0(LoadConn, 1);
    c->name = g_strdup(name);
    c->keys = json_object_new();
    c->children = json_array_new();
    return c;
}

static JsonObject *
child_keys(LoadConn *c, const char *child)
{
    for (guint i = 0; i < json_array_get_length(c->children); i++) {
        JsonObject *o = json_array_get_object_element(c->children, i);
        if (!strcmp(json_object_get_string_member(o, "name"), child))
            return json_object_get_object_member(o, "keys");
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", child);
    json_object_set_object_member(o, "keys", json_object_new());
    json_array_add_object_element(c->children, o);
    return json_object_get_object_member(o, "keys");
}

static LoadConn *
find_conn(GPtrArray *conns, const char *name)
{
    for (guint i = 0; i < conns->len; i++)
        if (!strcmp(((LoadConn *)conns->pdata[i])->name, name))
            return conns->pdata[i];
    return NULL;
}

/* [connection NAME], [child NAME/CHILD] and [pool NAME] groups. */
static int
read_load_file(const char *path, GPtrArray *conns, GPtrArray *pools)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error))
        return usage_error("%s: %s", path, error->message);
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    /* connections first, so children can follow in any order */
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; groups[i]; i++) {
            const char *g = groups[i];
            gboolean is_conn = g_str_has_prefix(g, "connection ");
            gboolean is_child = g_str_has_prefix(g, "child ");
            gboolean is_pool = g_str_has_prefix(g, "pool ");
            if (!is_conn && !is_child && !is_pool)
                return usage_error("%s: group [%s] cannot be loaded online (only [connection], "
                                   "[child] and [pool])",
                                   path, g);
            if ((pass == 0) != (is_conn || is_pool))
                continue;
            const char *name = strchr(g, ' ') + 1;
            g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);
            if (is_pool) {
                g_autofree char *addrs = g_key_file_get_value(kf, g, "addresses", NULL);
                if (!addrs || g_strv_length(keys) != 1)
                    return usage_error("%s: [%s] needs exactly one key, addresses", path, g);
                JsonObject *p = json_object_new();
                json_object_set_string_member(p, "name", name);
                json_object_set_string_member(p, "addresses", addrs);
                g_ptr_array_add(pools, p);
                continue;
            }
            JsonObject *target;
            if (is_conn) {
                if (find_conn(conns, name))
                    return usage_error("%s: [%s] appears twice", path, g);
                LoadConn *c = load_conn_new(name);
                g_ptr_array_add(conns, c);
                target = c->keys;
            } else {
                const char *slash = strchr(name, '/');
                g_autofree char *conn_name = slash ? g_strndup(name, (gsize)(slash - name)) : NULL;
                LoadConn *c = conn_name ? find_conn(conns, conn_name) : NULL;
                if (!c)
                    return usage_error("%s: [%s] names no [connection] of this file", path, g);
                target = child_keys(c, slash + 1);
            }
            for (guint k = 0; keys[k]; k++) {
                g_autofree char *v = g_key_file_get_value(kf, g, keys[k], NULL);
                json_object_set_string_member(target, keys[k], v ? v : "");
            }
        }
    }
    if (conns->len == 0 && pools->len == 0)
        return usage_error("%s: no [connection] or [pool] group", path);
    return EXIT_OK;
}

/* NAME KEY=VALUE... CHILD/KEY=VALUE... */
static int
read_load_args(int argc, char **argv, GPtrArray *conns)
{
    if (argc < 2)
        return usage_error("load needs --file FILE, or a connection name and KEY=VALUE pairs");
    if (strchr(argv[1], '='))
        return usage_error("load: the first argument is the connection name, not '%s'", argv[1]);
    LoadConn *c = load_conn_new(argv[1]);
    g_ptr_array_add(conns, c);
    for (int i = 2; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i])
            return usage_error("load: '%s' is not KEY=VALUE", argv[i]);
        g_autofree char *key = g_strndup(argv[i], (gsize)(eq - argv[i]));
        const char *slash = strchr(key, '/');
        JsonObject *target = c->keys;
        const char *k = key;
        if (slash) {
            g_autofree char *child = g_strndup(key, (gsize)(slash - key));
            if (!*child || !slash[1])
                return usage_error("load: '%s' is not CHILD/KEY=VALUE", argv[i]);
            target = child_keys(c, child);
            k = slash + 1;
        }
        json_object_set_string_member(target, k, eq + 1);
    }
    return EXIT_OK;
}

static char *
read_secret(const char *path, int *rc)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error)) {
        *rc = usage_error("--secret-file: %s", error->message);
        return NULL;
    }
    /* the first line, without its line end */
    text[strcspn(text, "\r\n")] = '\0';
    if (!*text) {
        *rc = usage_error("--secret-file: %s holds no secret on its first line", path);
        return NULL;
    }
    char *secret = g_strdup(text);
    memset(text, 0, strlen(text));
    return secret;
}

static int
cmd_load(int argc, char **argv)
{
    int rc = EXIT_OK;
    g_autofree char *file = NULL;
    g_autofree char *secret_file = NULL;
    GOptionEntry entries[] = {
        { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
          "Load the [connection], [child] and [pool] groups of FILE", "FILE" },
        { "secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file,
          "The connection's own pre-shared key: the first line of FILE (- for stdin)", "FILE" },
        { NULL },
    };
    if (!parse_options("load", "[--file FILE | NAME KEY=VALUE... [CHILD/KEY=VALUE...]]",
                       "Load connections online: the keys are those of the configuration file "
                       "(docs/cygnetd.md).",
                       entries, &argc, &argv, &rc))
        return rc;
    g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func(load_conn_free);
    g_autoptr(GPtrArray) pools = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    if (file && argc > 1)
        return usage_error("load: give --file or NAME KEY=VALUE..., not both");
    rc = file ? read_load_file(file, conns, pools) : read_load_args(argc, argv, conns);
    if (rc != EXIT_OK)
        return rc;
    g_autofree char *secret = NULL;
    if (secret_file) {
        secret = read_secret(!strcmp(secret_file, "-") ? "/dev/stdin" : secret_file, &rc);
        if (!secret)
            return rc;
    }
    g_autoptr(CtlClient) client = connect_or_report(&rc);
    if (!client)
        return rc;
    g_autoptr(JsonObject) result = json_object_new();
    JsonArray *loaded_pools = json_array_new();
    JsonArray *loaded_conns = json_array_new();
    json_object_set_array_member(result, "pools", loaded_pools);
    json_object_set_array_member(result, "connections", loaded_conns);
    for (guint i = 0; i < pools->len; i++) {
        JsonObject *p = pools->pdata[i];
        const char *name = json_object_get_string_member(p, "name");
        g_autoptr(CtlReply) reply = call(client, IFACE "LoadPool", json_object_ref(p), name, &rc);
        if (!reply)
            return rc;
        json_array_add_string_element(loaded_pools, name);
        if (!out.json)
            printf("loaded pool %s\n", name);
    }
    for (guint i = 0; i < conns->len; i++) {
        LoadConn *c = conns->pdata[i];
        JsonObject *params = json_object_new();
        json_object_set_string_member(params, "name", c->name);
        json_object_set_object_member(params, "keys", json_object_ref(c->keys));
        if (json_array_get_length(c->children) > 0)
            json_object_set_array_member(params, "children", json_array_ref(c->children));
        if (secret)
            json_object_set_string_member(params, "secret", secret);
        g_autoptr(CtlReply) reply = call(client, IFACE "LoadConnection", params, c->name, &rc);
        if (!reply)
            return rc;
        gboolean replaced = ctl_json_bool(reply->parameters, "replaced");
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", c->name);
        json_object_set_boolean_member(o, "replaced", replaced);
        json_array_add_object_element(loaded_conns, o);
        if (!out.json)
            printf("%s connection %s\n", replaced ? "replaced" : "loaded", c->name);
    }
    if (secret)
        memset(secret, 0, strlen(secret));
    if (out.json)
        ctl_print_json(stdout, result, TRUE);
    return EXIT_OK;
}

static int
cmd_unload(int argc, char **argv)
{
    int rc = EXIT_OK;
    if (!parse_options("unload", "NAME", "Unload a connection (its SAs are deleted).", NULL, &argc,
                       &argv, &rc))
        return rc;
    if (argc != 2)
        return usage_error("unload takes one connection name");
    JsonObject *params = json_object_new();
    json_object_set_string_member(params, "name", argv[1]);
    g_autoptr(CtlReply) reply = connect_and_call(IFACE "UnloadConnection", params, argv[1], &rc);
    if (!reply)
        return rc;
    if (out.json)
        ctl_print_json(stdout, reply->parameters, TRUE);
    else
        printf("unloaded connection %s\n", argv[1]);
    return EXIT_OK;
}

/* ---- up, down, rekey ---------------------------------------------------- */

static int
cmd_up(int argc, char **argv)
{
    int rc = EXIT_OK;
    g_autofree char *local = NULL;
    g_autofree char *remote = NULL;
    gboolean no_wait = FALSE;
    double timeout_s = 0;
    GOptionEntry entries[] = {
        { "local", 0, 0, G_OPTION_ARG_STRING, &local, "Our address for this IKE_SA", "ADDR" },
        { "remote", 0, 0, G_OPTION_ARG_STRING, &remote, "The peer's address for this IKE_SA",
          "ADDR" },
        { "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait, "Return once the attempt has started",
          NULL },
        { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, &timeout_s,
          "Give up waiting after SECONDS (the attempt goes on)", "SECONDS" },
        { NULL },
    };
    if (!parse_options("up", "NAME",
                       "Initiate an IKE_SA of a connection and, by default, wait until it is up "
                       "or has failed.",
                       entries, &argc, &argv, &rc))
        return rc;
    if (argc != 2)
        return usage_error("up takes one connection name");
    g_autoptr(JsonObject) params = json_object_new();
    json_object_set_string_member(params, "connection", argv[1]);
    if (local)
        json_object_set_string_member(params, "local_address", local);
    if (remote)
        json_object_set_string_member(params, "remote_address", remote);
    json_object_set_boolean_member(params, "wait", !no_wait);
    if (!timeout_to_ms(timeout_s, params, &rc))
        return rc;
    g_autoptr(CtlReply) reply
        = connect_and_call(IFACE "Initiate", json_object_ref(params), argv[1], &rc);
    if (!reply)
        return rc;
    if (out.json) {
        ctl_print_json(stdout, reply->parameters, TRUE);
        return EXIT_OK;
    }
    JsonNode *sa = json_object_get_member(reply->parameters, "sa");
    if (ctl_json_bool(reply->parameters, "established") && sa && JSON_NODE_HOLDS_OBJECT(sa)) {
        g_autofree char *line = ctl_describe_sa(&out, json_node_get_object(sa));
        printf("%s\n", line);
    } else {
        printf("IKE_SA %s #%" G_GINT64_FORMAT " initiating\n", argv[1],
               ctl_json_int(reply->parameters, "ike_id", 0));
    }
    return EXIT_OK;
}

static int
cmd_down(int argc, char **argv)
{
    int rc = EXIT_OK;
    g_autofree char *remote = NULL;
    g_autofree char *child = NULL;
    gint64 ike_id = 0, child_id = 0;
    gboolean no_wait = FALSE;
    double timeout_s = 0;
    GOptionEntry entries[] = {
        { "remote", 0, 0, G_OPTION_ARG_STRING, &remote, "Only the IKE_SAs with this peer address",
          "ADDR" },
        { "child", 0, 0, G_OPTION_ARG_STRING, &child,
          "Only the CHILD_SAs made from this child; the IKE_SAs stay", "CHILD" },
        { "ike-id", 0, 0, G_OPTION_ARG_INT64, &ike_id, "This IKE_SA", "ID" },
        { "child-id", 0, 0, G_OPTION_ARG_INT64, &child_id, "This CHILD_SA", "ID" },
        { "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait, "Return once the deletes have started",
          NULL },
        { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, &timeout_s, "Give up waiting after SECONDS",
          "SECONDS" },
        { NULL },
    };
    if (!parse_options("down", "[NAME]",
                       "Delete the IKE_SAs of a connection (or some of them, or only CHILD_SAs) "
                       "and, by default, wait until they are gone.",
                       entries, &argc, &argv, &rc)
        || !parse_id("--ike-id", ike_id, &rc) || !parse_id("--child-id", child_id, &rc))
        return rc;
    if (argc > 2 || (argc < 2 && !ike_id && !child_id))
        return usage_error("down takes one connection name, or --ike-id / --child-id");
    const char *name = argc == 2 ? argv[1] : NULL;
    g_autoptr(JsonObject) params = json_object_new();
    if (name)
        json_object_set_string_member(params, "connection", name);
    if (remote)
        json_object_set_string_member(params, "remote_address", remote);
    if (child)
        json_object_set_string_member(params, "child", child);
    if (ike_id)
        json_object_set_int_member(params, "ike_id", ike_id);
    if (child_id)
        json_object_set_int_member(params, "child_id", child_id);
    json_object_set_boolean_member(params, "wait", !no_wait);
    if (!timeout_to_ms(timeout_s, params, &rc))
        return rc;
    g_autoptr(CtlReply) reply
        = connect_and_call(IFACE "Terminate", json_object_ref(params), name, &rc);
    if (!reply)
        return rc;
    gint64 ikes = ctl_json_int(reply->parameters, "ike_sas", 0);
    gint64 children = ctl_json_int(reply->parameters, "child_sas", 0);
    if (out.json)
        ctl_print_json(stdout, reply->parameters, TRUE);
    if (ikes == 0 && children == 0) {
        fprintf(stderr, "cygnetctl: %s: no SA matched\n", name ? name : "down");
        return EXIT_NOT_FOUND;
    }
    if (!out.json)
        printf("%s: %s %" G_GINT64_FORMAT " IKE_SA(s), %" G_GINT64_FORMAT " CHILD_SA(s)\n",
               name ? name : "down", no_wait ? "deleting" : "deleted", ikes, children);
    return EXIT_OK;
}

static int
cmd_rekey(int argc, char **argv)
{
    int rc = EXIT_OK;
    gint64 ike_id = 0, child_id = 0;
    GOptionEntry entries[] = {
        { "ike-id", 0, 0, G_OPTION_ARG_INT64, &ike_id, "Rekey this IKE_SA", "ID" },
        { "child-id", 0, 0, G_OPTION_ARG_INT64, &child_id, "Rekey this CHILD_SA", "ID" },
        { NULL },
    };
    if (!parse_options("rekey", NULL, "Rekey an IKE_SA or a CHILD_SA now.", entries, &argc, &argv,
                       &rc)
        || !parse_id("--ike-id", ike_id, &rc) || !parse_id("--child-id", child_id, &rc))
        return rc;
    if (argc > 1 || (!ike_id) == (!child_id))
        return usage_error("rekey takes either --ike-id or --child-id");
    JsonObject *params = json_object_new();
    json_object_set_int_member(params, ike_id ? "ike_id" : "child_id", ike_id ? ike_id : child_id);
    g_autoptr(CtlReply) reply = connect_and_call(IFACE "Rekey", params, NULL, &rc);
    if (!reply)
        return rc;
    if (out.json)
        ctl_print_json(stdout, reply->parameters, TRUE);
    else
        printf("rekeying %s #%" G_GINT64_FORMAT "\n", ike_id ? "IKE_SA" : "CHILD_SA",
               ike_id ? ike_id : child_id);
    return EXIT_OK;
}

/* ---- monitor ------------------------------------------------------------ */

static void
on_interrupt(int sig)
{
    /* following until interrupted is the normal end of a monitor */
    _exit(EXIT_OK);
}

static int
cmd_monitor(int argc, char **argv)
{
    int rc = EXIT_OK;
    g_autofree char *prefix = NULL;
    GOptionEntry entries[] = {
        { "prefix", 'p', 0, G_OPTION_ARG_STRING, &prefix, "Connections whose name starts so",
          "PREFIX" },
        { NULL },
    };
    if (!parse_options("monitor", "[CONNECTION]",
                       "Print the current SAs, then every event as it happens, until "
                       "interrupted. With --json, one JSON object per line: the Monitor "
                       "replies' parameters.",
                       entries, &argc, &argv, &rc))
        return rc;
    if (argc > 2)
        return usage_error("monitor takes at most one connection name");
    g_autoptr(CtlClient) client = connect_or_report(&rc);
    if (!client)
        return rc;
    JsonObject *params = json_object_new();
    if (argc == 2)
        json_object_set_string_member(params, "connection", argv[1]);
    if (prefix)
        json_object_set_string_member(params, "prefix", prefix);
    g_autoptr(GError) error = NULL;
    if (!ctl_client_send(client, IFACE "Monitor", params, TRUE, &error))
        return transport_error(error);
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (;;) {
        g_autoptr(CtlReply) reply = ctl_client_receive(client, &error);
        if (!reply)
            return transport_error(error);
        if (reply->error)
            return report_error(reply, argc == 2 ? argv[1] : NULL);
        JsonObject *p = reply->parameters;
        if (out.json) {
            ctl_print_json(stdout, p, FALSE);
        } else if (json_object_has_member(p, "sa")) {
            g_autofree char *line = ctl_describe_sa(&out, json_object_get_object_member(p, "sa"));
            printf("%s\n", line);
        } else if (ctl_json_bool(p, "synced")) {
            g_autofree char *line
                = ctl_paint(&out, CTL_DIM, "-- current state above; events follow --");
            printf("%s\n", line);
        } else if (json_object_has_member(p, "event")) {
            g_autofree char *line
                = ctl_describe_event(&out, json_object_get_object_member(p, "event"));
            printf("%s\n", line);
        }
        if (!reply->continues)
            return EXIT_OK;
    }
}

/* ---- main ------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*func)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "status", cmd_status, "version, counters, connections and SAs" },
    { "list-sas", cmd_list_sas, "IKE_SAs and CHILD_SAs [CONNECTION] [--prefix P]" },
    { "list-conns", cmd_list_conns, "loaded connections [NAME] [--prefix P]" },
    { "load", cmd_load, "load connections: --file FILE, or NAME KEY=VALUE..." },
    { "unload", cmd_unload, "unload a connection: NAME" },
    { "up", cmd_up, "initiate: NAME [--local A] [--remote A] [--no-wait]" },
    { "down", cmd_down, "terminate: NAME [--remote A] [--child C] | --ike-id N | --child-id N" },
    { "rekey", cmd_rekey, "rekey now: --ike-id N | --child-id N" },
    { "monitor", cmd_monitor, "follow SAs and events [CONNECTION] [--prefix P]" },
    { "version", cmd_version, "versions of cygnetctl and cygnetd" },
};

static char *
commands_help(void)
{
    GString *s = g_string_new("Commands:\n");
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
        g_string_append_printf(s, "  %-11s %s\n", commands[i].name, commands[i].summary);
    g_string_append(s, "\n'cygnetctl COMMAND --help' describes a command's options.\n\n"
                       "Exit codes: 0 success, 1 failed, 2 bad usage or rejected request,\n"
                       "3 not found (connection, SA, or nothing matched), 4 cannot connect.");
    return g_string_free(s, FALSE);
}

int
main(int argc, char **argv)
{
    /* global options may come before the command, e.g. cygnetctl --json status */
    g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND [ARGS...]");
    g_option_context_set_summary(ctx, "Control cygnetd through its control socket.");
    g_autofree char *help = commands_help();
    g_option_context_set_description(ctx, help);
    g_option_context_add_main_entries(ctx, global_entries, NULL);
    g_option_context_set_strict_posix(ctx, TRUE);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return usage_error("%s", error->message);
    if (argc < 2) {
        g_autofree char *text = g_option_context_get_help(ctx, TRUE, NULL);
        fprintf(stderr, "%s", text);
        return EXIT_USAGE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].func(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", argv[1]);
}
