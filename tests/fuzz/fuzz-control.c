/* fuzz-control.c: libFuzzer target for cygnetd's local inputs: the
 * Varlink control socket (a real server and engine in this process, fed
 * over a real connection) and the configuration and secrets keyfiles.
 *
 * Input: one selector byte (its value modulo 4 picks the part), then:
 *   0 control  messages separated by NUL bytes (the Varlink framing),
 *              sent on one connection; every reply must be a well-formed
 *              Varlink reply, and the server checks its own replies
 *              against the interface (CG_CONTROL_CHECK_REPLIES=1): a
 *              "control: BUG" log line aborts
 *   1 config   a cygnetd.conf: every connection it yields is valid
 *   2 secrets  a secrets file
 *   3 secret   one secret in the secrets file's notation
 *
 * The engine may be told to initiate SAs to any address: the control part
 * runs only inside a network namespace of its own (made at start; it needs
 * CAP_SYS_ADMIN), where no packet can leave the process's namespace. */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "control/cg-control.h"
#include "crypto/cg-crypto.h"
#include "cygnetd-config.h"
#include "engine/cg-engine.h"
#include "log/cg-log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            g_printerr("fuzz-control: check failed at line %d: %s\n", __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_MESSAGES     16
#define REPLY_WAIT_US    (100 * 1000) /* a call that waits (Initiate) is left behind */
#define MAX_REPLY_BUFFER (16 * 1024 * 1024)

static char *work_dir;
static char *socket_path;
static char *file_path;
static CgEngine *engine;
static CgControlServer *server;

static void
remove_work_dir(void)
{
    if (server != NULL)
        cg_control_server_free(server);
    if (engine != NULL)
        cg_engine_free(engine);
    g_unlink(file_path);
    g_unlink(socket_path);
    g_rmdir(work_dir);
}

/* The server checks its replies against the interface and logs what does
 * not match as a BUG: that is a finding. */
static void
log_sink(CgLogLevel level, const char *conn, const char *line, gpointer user_data)
{
    if (strstr(line, "BUG") != NULL) {
        g_printerr("fuzz-control: %s\n", line);
        abort();
    }
}

static CgConnConfig *
conn_from_keys(const char *name, GHashTable *keys, gpointer user_data, GError **error)
{
    return cygnetd_conn_from_keys(name, keys, error);
}

static gboolean
child_from_keys(CgConnConfig *conn, const char *child_name, GHashTable *keys, gpointer user_data,
                GError **error)
{
    return cygnetd_conn_add_child_from_keys(conn, child_name, keys, error);
}

static gboolean
start_control(void)
{
    if (unshare(CLONE_NEWNET) != 0) {
        g_printerr("fuzz-control: no network namespace of its own (%s): the control socket "
                   "part is off\n",
                   g_strerror(errno));
        return FALSE;
    }
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error)) {
        g_printerr("fuzz-control: NSS: %s\n", error->message);
        abort();
    }
    CgEngineOptions engine_opts;
    cg_engine_options_init(&engine_opts);
    engine_opts.ike_port = 0;
    engine_opts.natt_port = 0;
    engine_opts.crypto_workers = 1;
    engine_opts.kernel_backend = "log";
    engine = cg_engine_new(&engine_opts, &error);
    if (engine == NULL) {
        g_printerr("fuzz-control: engine: %s\n", error->message);
        abort();
    }
    g_setenv("CG_CONTROL_CHECK_REPLIES", "1", TRUE);
    CgControlOptions opts;
    cg_control_options_init(&opts);
    opts.socket_path = socket_path;
    opts.product = "fuzz-control";
    opts.conn_from_keys = conn_from_keys;
    opts.child_from_keys = child_from_keys;
    opts.secret_parse = cygnetd_secret_parse;
    server = cg_control_server_new(engine, &opts, &error);
    if (server == NULL) {
        g_printerr("fuzz-control: control server: %s\n", error->message);
        abort();
    }
    return TRUE;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_autoptr(GError) error = NULL;
    work_dir = g_dir_make_tmp("cygnet-fuzz-control.XXXXXX", &error);
    FUZZ_CHECK(work_dir != NULL);
    socket_path = g_build_filename(work_dir, "control.sock", NULL);
    file_path = g_build_filename(work_dir, "cygnetd.conf", NULL);
    cg_log_set_level(CG_LOG_ERROR);
    cg_log_set_sink(log_sink, NULL);
    start_control();
    atexit(remove_work_dir);
    return 0;
}

/* ---- control ------------------------------------------------------------- */

static void
check_reply(const char *text, gsize len)
{
    /* NUL-terminated by the framing; nothing inside */
    FUZZ_CHECK(strlen(text) == len);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)len, &error)) {
        g_printerr("fuzz-control: reply is not JSON (%s): %s\n", error->message, text);
        abort();
    }
    JsonNode *root = json_parser_get_root(parser);
    FUZZ_CHECK(root != NULL && JSON_NODE_HOLDS_OBJECT(root));
    JsonObject *reply = json_node_get_object(root);
    JsonObjectIter iter;
    const char *member;
    JsonNode *value;
    json_object_iter_init(&iter, reply);
    while (json_object_iter_next(&iter, &member, &value)) {
        if (strcmp(member, "parameters") == 0)
            FUZZ_CHECK(JSON_NODE_HOLDS_OBJECT(value));
        else if (strcmp(member, "error") == 0)
            FUZZ_CHECK(JSON_NODE_HOLDS_VALUE(value)
                       && json_node_get_value_type(value) == G_TYPE_STRING
                       && strchr(json_node_get_string(value), '.') != NULL);
        else if (strcmp(member, "continues") == 0)
            FUZZ_CHECK(JSON_NODE_HOLDS_VALUE(value)
                       && json_node_get_value_type(value) == G_TYPE_BOOLEAN);
        else {
            g_printerr("fuzz-control: reply with a field Varlink has not: %s\n", text);
            abort();
        }
    }
}

/* Reads what the server sent; returns how many whole replies came. */
static guint
read_replies(GSocket *client, GByteArray *buffer, gboolean *closed)
{
    guint replies = 0;
    guint8 chunk[16384];
    for (;;) {
        g_autoptr(GError) error = NULL;
        gssize n = g_socket_receive(client, (gchar *)chunk, sizeof(chunk), NULL, &error);
        if (n == 0) {
            *closed = TRUE;
            break;
        }
        if (n < 0) {
            if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                *closed = TRUE;
            break;
        }
        g_byte_array_append(buffer, chunk, (guint)n);
    }
    FUZZ_CHECK(buffer->len <= MAX_REPLY_BUFFER);
    guint8 *end;
    while ((end = memchr(buffer->data, '\0', buffer->len)) != NULL) {
        gsize len = (gsize)(end - buffer->data);
        check_reply((const char *)buffer->data, len);
        g_byte_array_remove_range(buffer, 0, (guint)(len + 1));
        replies++;
    }
    return replies;
}

static void
pump(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* Connections the input loaded go again, so inputs do not pile up. */
static void
unload_all(void)
{
    g_autoptr(GPtrArray) loaded = cg_engine_list_connections(engine);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < loaded->len; i++)
        g_ptr_array_add(names, g_strdup(((CgConnConfig *)loaded->pdata[i])->name));
    for (guint i = 0; i < names->len; i++)
        cg_engine_unload_connection(engine, names->pdata[i], NULL);
}

static void
fuzz_control(const guint8 *data, gsize size)
{
    if (server == NULL)
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocket) client = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_DEFAULT, &error);
    FUZZ_CHECK(client != NULL);
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);
    FUZZ_CHECK(g_socket_connect(client, address, NULL, &error));
    g_socket_set_blocking(client, FALSE);

    /* every message with its NUL; the last one gets its NUL added */
    guint messages = 0, expect_replies = 0;
    gsize at = 0;
    while (at < size && messages < MAX_MESSAGES) {
        const guint8 *nul = memchr(data + at, '\0', size - at);
        gsize len = nul ? (gsize)(nul - (data + at)) : size - at;
        g_autofree guint8 *message = g_malloc(len + 1);
        memcpy(message, data + at, len);
        message[len] = '\0';
        /* a oneway call gets no reply */
        if (g_strstr_len((const char *)message, (gssize)len, "oneway") == NULL)
            expect_replies++;
        gsize sent = 0;
        while (sent < len + 1) {
            g_autoptr(GError) send_error = NULL;
            gssize n = g_socket_send(client, (const gchar *)message + sent, len + 1 - sent, NULL,
                                     &send_error);
            if (n < 0 && g_error_matches(send_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                pump();
                continue;
            }
            FUZZ_CHECK(n > 0);
            sent += (gsize)n;
        }
        messages++;
        at += len + 1;
    }

    g_autoptr(GByteArray) buffer = g_byte_array_new();
    guint replies = 0;
    gboolean closed = FALSE;
    gint64 deadline = g_get_monotonic_time() + REPLY_WAIT_US;
    while (replies < expect_replies && !closed && g_get_monotonic_time() < deadline) {
        pump();
        replies += read_replies(client, buffer, &closed);
        if (replies < expect_replies)
            g_usleep(100);
    }
    /* the server only ever drops a connection that broke the rules (too
     * many calls in flight cannot happen with MAX_MESSAGES) */
    FUZZ_CHECK(!closed);
    g_socket_close(client, NULL);
    pump();
    unload_all();
    pump();
}

/* ---- keyfiles -------------------------------------------------------------- */

static gboolean
write_input(const guint8 *data, gsize size)
{
    return g_file_set_contents(file_path, (const char *)data, (gssize)size, NULL);
}

static void
fuzz_config(const guint8 *data, gsize size)
{
    FUZZ_CHECK(write_input(data, size));
    g_autoptr(GError) error = NULL;
    g_autoptr(CygnetdConfig) config = cygnetd_config_load(file_path, &error);
    if (config == NULL) {
        FUZZ_CHECK(error != NULL && error->message[0]);
        return;
    }
    /* what the loader hands to the engine is valid */
    for (guint i = 0; i < config->connections->len; i++) {
        const CgConnConfig *conn = config->connections->pdata[i];
        g_autoptr(GError) invalid = NULL;
        if (!cg_conn_config_validate(conn, &invalid)) {
            g_printerr("fuzz-control: loaded connection is not valid: %s\n", invalid->message);
            abort();
        }
    }
}

static void
fuzz_secrets(const guint8 *data, gsize size)
{
    FUZZ_CHECK(write_input(data, size));
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) secrets = cygnetd_secrets_load(file_path, &error);
    if (secrets == NULL) {
        FUZZ_CHECK(error != NULL && error->message[0]);
        return;
    }
    for (guint i = 0; i < secrets->len; i++) {
        const CygnetdPsk *psk = secrets->pdata[i];
        FUZZ_CHECK(psk->name != NULL && psk->secret != NULL);
        FUZZ_CHECK(psk->ids != NULL && psk->ids[0] != NULL);
    }
}

static void
fuzz_secret(const guint8 *data, gsize size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) secret = cygnetd_secret_parse(text, &error);
    if (secret == NULL) {
        FUZZ_CHECK(error != NULL && error->message[0]);
        /* the message never holds the secret */
        if (strlen(text) >= 8)
            FUZZ_CHECK(strstr(error->message, text) == NULL);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const guint8 *rest = data + 1;
    gsize rest_len = size - 1;
    switch (data[0] % 4) {
        case 0:
            fuzz_control(rest, rest_len);
            break;
        case 1:
            fuzz_config(rest, rest_len);
            break;
        case 2:
            fuzz_secrets(rest, rest_len);
            break;
        default:
            fuzz_secret(rest, rest_len);
            break;
    }
    return 0;
}
