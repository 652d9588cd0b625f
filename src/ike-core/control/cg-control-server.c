/* cg-control-server.c: the control socket, its clients, message framing
 * (Varlink: each message is JSON ended by a NUL byte) and the bounded
 * output queue of each client. Nothing here ever blocks: sockets are
 * non-blocking, and a client that does not read is dropped once its
 * queue passes the bound. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gunixsocketaddress.h>

#include "cg-control-private.h"
#include "log/cg-log.h"

#define READ_CHUNK_BYTES 65536

extern const char cg_embedded_io_cygnet_Ike_varlink[];
extern const char cg_embedded_org_varlink_service_varlink[];

void
cg_control_options_init(CgControlOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->socket_path = CG_CONTROL_DEFAULT_SOCKET;
    opts->product = "cygnetd";
    opts->max_queue_bytes = CG_CONTROL_DEFAULT_QUEUE;
    opts->max_message_bytes = CG_CONTROL_DEFAULT_MESSAGE;
    opts->max_clients = CG_CONTROL_DEFAULT_CLIENTS;
}

/* ---- clients ------------------------------------------------------------ */

CgControlClient *
cg_control_client_ref(CgControlClient *client)
{
    g_atomic_int_inc(&client->ref_count);
    return client;
}

static void
destroy_source(GSource **source)
{
    if (*source) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

void
cg_control_client_unref(CgControlClient *client)
{
    if (!client || !g_atomic_int_dec_and_test(&client->ref_count))
        return;
    g_warn_if_fail(client->closed);
    g_queue_clear_full(&client->out, (GDestroyNotify)g_bytes_unref);
    g_clear_pointer(&client->in, g_byte_array_unref);
    g_clear_object(&client->socket);
    g_free(client->peer);
    g_free(client->monitor_connection);
    g_free(client->monitor_prefix);
    g_free(client);
}

void
cg_control_client_close(CgControlClient *client, const char *why)
{
    if (client->closed)
        return;
    CgControlServer *server = client->server;
    client->closed = TRUE;
    if (why)
        cg_info(NULL, "control: %s dropped: %s", client->peer, why);
    else
        cg_debug(NULL, "control: %s disconnected", client->peer);
    destroy_source(&client->read_source);
    destroy_source(&client->write_source);
    g_socket_close(client->socket, NULL);
    cg_control_monitor_stop(client);
    cg_control_waiters_drop_client(server, client);
    /* the calls hold references to the client: break the cycle */
    CgControlCall *call;
    while ((call = g_queue_pop_head(&client->pending)))
        cg_control_call_unref(call);
    g_queue_clear_full(&client->out, (GDestroyNotify)g_bytes_unref);
    client->queued_bytes = 0;
    if (g_ptr_array_remove_fast(server->clients, client))
        cg_control_client_unref(client);
}

static gboolean on_client_writable(GSocket *socket, GIOCondition condition, gpointer data);

/* Writes what the socket takes now. FALSE when the client was closed. */
static gboolean
flush_output(CgControlClient *client)
{
    while (!g_queue_is_empty(&client->out)) {
        GBytes *head = g_queue_peek_head(&client->out);
        gsize size;
        const guint8 *data = g_bytes_get_data(head, &size);
        g_autoptr(GError) error = NULL;
        gssize n
            = g_socket_send_with_blocking(client->socket, (const char *)data + client->out_offset,
                                          size - client->out_offset, FALSE, NULL, &error);
        if (n < 0) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                break;
            g_autofree char *why = g_strdup_printf("write failed: %s", error->message);
            cg_control_client_close(
                client, g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)
                                || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
                            ? NULL
                            : why);
            return FALSE;
        }
        client->out_offset += (gsize)n;
        client->queued_bytes -= (gsize)n;
        client->allowance_bytes
            = client->allowance_bytes > (gsize)n ? client->allowance_bytes - (gsize)n : 0;
        if (client->out_offset == size) {
            g_bytes_unref(g_queue_pop_head(&client->out));
            client->out_offset = 0;
        }
    }
    gboolean want_write = !g_queue_is_empty(&client->out);
    if (want_write && !client->write_source) {
        client->write_source = g_socket_create_source(client->socket, G_IO_OUT, NULL);
        g_source_set_callback(client->write_source, G_SOURCE_FUNC(on_client_writable), client,
                              NULL);
        g_source_attach(client->write_source, client->server->context);
    } else if (!want_write && client->write_source) {
        destroy_source(&client->write_source);
    }
    return TRUE;
}

static gboolean
on_client_writable(GSocket *socket, GIOCondition condition, gpointer data)
{
    g_autoptr(CgControlClient) client = cg_control_client_ref(data);
    /* flush_output removes this source itself once the queue is empty */
    flush_output(client);
    return G_SOURCE_CONTINUE;
}

gboolean
cg_control_client_send(CgControlClient *client, GBytes *message, gboolean dump)
{
    if (client->closed)
        return FALSE;
    gsize size = g_bytes_get_size(message);
    CgControlServer *server = client->server;
    if (dump) {
        client->allowance_bytes += size;
    } else if (client->queued_bytes + size > server->max_queue_bytes + client->allowance_bytes) {
        g_autofree char *why = g_strdup_printf(
            "it does not read: %zu bytes queued, bound %zu bytes", client->queued_bytes + size,
            server->max_queue_bytes + client->allowance_bytes);
        server->clients_dropped++;
        cg_control_client_close(client, why);
        return FALSE;
    }
    g_queue_push_tail(&client->out, g_bytes_ref(message));
    client->queued_bytes += size;
    /* write at once while nothing waits: the shortest way to the client */
    if (!client->write_source)
        return flush_output(client);
    return TRUE;
}

/* Splits what arrived into messages at NUL bytes. */
static void
take_input(CgControlClient *client, const guint8 *data, gsize len)
{
    CgControlServer *server = client->server;
    while (len > 0 && !client->closed) {
        const guint8 *nul = memchr(data, '\0', len);
        gsize chunk = nul ? (gsize)(nul - data) : len;
        if (client->discarding) {
            /* the rest of a message already answered with MessageTooLarge */
        } else if (client->in->len + chunk > server->max_message_bytes) {
            g_byte_array_set_size(client->in, 0);
            client->discarding = TRUE;
            cg_control_reply_too_large(client);
        } else {
            g_byte_array_append(client->in, data, (guint)chunk);
        }
        if (!nul)
            return;
        data += chunk + 1;
        len -= chunk + 1;
        if (client->discarding) {
            client->discarding = FALSE;
            continue;
        }
        g_autoptr(GByteArray) message = client->in;
        client->in = g_byte_array_new();
        cg_control_dispatch(client, (const char *)message->data, message->len);
        /* it may have carried a connection's secret */
        if (message->len)
            memset(message->data, 0, message->len);
    }
}

static gboolean
on_client_readable(GSocket *socket, GIOCondition condition, gpointer data)
{
    g_autoptr(CgControlClient) client = cg_control_client_ref(data);
    guint8 buffer[READ_CHUNK_BYTES];
    g_autoptr(GError) error = NULL;
    gssize n = g_socket_receive_with_blocking(socket, (char *)buffer, sizeof(buffer), FALSE, NULL,
                                              &error);
    if (n < 0) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
        g_autofree char *why = g_strdup_printf("read failed: %s", error->message);
        cg_control_client_close(
            client, g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ? NULL : why);
        return G_SOURCE_REMOVE;
    }
    if (n == 0) {
        cg_control_client_close(client, NULL);
        return G_SOURCE_REMOVE;
    }
    take_input(client, buffer, (gsize)n);
    return client->closed ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static char *
describe_peer(guint id, GSocket *socket)
{
    g_autoptr(GCredentials) creds = g_socket_get_credentials(socket, NULL);
    if (!creds)
        return g_strdup_printf("client %u", id);
    pid_t pid = g_credentials_get_unix_pid(creds, NULL);
    uid_t uid = g_credentials_get_unix_user(creds, NULL);
    return g_strdup_printf("client %u (pid %d, uid %u)", id, (int)pid, (unsigned)uid);
}

static gboolean
on_listener_readable(GSocket *listener, GIOCondition condition, gpointer data)
{
    CgControlServer *server = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocket) socket = g_socket_accept(listener, NULL, &error);
    if (!socket) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            cg_warn(NULL, "control: accept failed: %s", error->message);
        return G_SOURCE_CONTINUE;
    }
    guint id = ++server->next_client_id;
    if (server->clients->len >= server->max_clients) {
        cg_warn(NULL, "control: refusing client %u: %u clients already connected (the bound)", id,
                server->clients->len);
        g_socket_close(socket, NULL);
        return G_SOURCE_CONTINUE;
    }
    g_socket_set_blocking(socket, FALSE);
    CgControlClient *client = g_new0(CgControlClient, 1);
    client->ref_count = 1; /* held by server->clients */
    client->server = server;
    client->id = id;
    client->socket = g_steal_pointer(&socket);
    client->peer = describe_peer(id, client->socket);
    client->in = g_byte_array_new();
    g_queue_init(&client->out);
    g_queue_init(&client->pending);
    client->read_source
        = g_socket_create_source(client->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(client->read_source, G_SOURCE_FUNC(on_client_readable), client, NULL);
    g_source_attach(client->read_source, server->context);
    g_ptr_array_add(server->clients, client);
    cg_debug(NULL, "control: %s connected", client->peer);
    return G_SOURCE_CONTINUE;
}

/* ---- the socket file ------------------------------------------------------ */

/* A socket file at path that nobody listens on is stale. */
static gboolean
clear_stale_socket(const char *path, GError **error)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return TRUE;
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "%s exists and is not a socket; not replacing it", path);
        return FALSE;
    }
    g_autoptr(GSocket) probe
        = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    if (probe && g_socket_connect(probe, addr, NULL, NULL)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                    "another daemon is listening on %s", path);
        return FALSE;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot remove the stale socket %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static gboolean
lookup_group(const char *name, gid_t *out, GError **error)
{
    char buffer[4096];
    struct group grp, *found = NULL;
    int rc = getgrnam_r(name, &grp, buffer, sizeof(buffer), &found);
    if (rc != 0 || !found) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "control group '%s' does not exist",
                    name);
        return FALSE;
    }
    *out = found->gr_gid;
    return TRUE;
}

static gboolean
create_listener(CgControlServer *server, GError **error)
{
    const char *path = server->socket_path;
    if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "control socket path is too long (%zu > %zu bytes): %s", strlen(path),
                    sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1, path);
        return FALSE;
    }
    gid_t gid = 0;
    if (server->group && !lookup_group(server->group, &gid, error))
        return FALSE;
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    if (!clear_stale_socket(path, error))
        return FALSE;

    g_autoptr(GSocket) listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                               G_SOCKET_PROTOCOL_DEFAULT, error);
    if (!listener)
        return FALSE;
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    /* born with mode 0600: no moment where others could connect */
    mode_t old_umask = umask(0177);
    gboolean bound = g_socket_bind(listener, addr, FALSE, error);
    umask(old_umask);
    if (!bound) {
        g_prefix_error(error, "cannot bind %s: ", path);
        return FALSE;
    }
    if (server->group) {
        if (chown(path, (uid_t)-1, gid) != 0 || chmod(path, 0660) != 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot give %s to group %s: %s", path, server->group, g_strerror(errno));
            unlink(path);
            return FALSE;
        }
    }
    /* room for every client to connect at once */
    g_socket_set_listen_backlog(listener, (int)MIN(server->max_clients, 4096));
    if (!g_socket_listen(listener, error)) {
        unlink(path);
        return FALSE;
    }
    g_socket_set_blocking(listener, FALSE);
    /* from here on the socket file is ours to remove */
    server->listener = g_steal_pointer(&listener);
    server->listen_source = g_socket_create_source(server->listener, G_IO_IN, NULL);
    g_source_set_callback(server->listen_source, G_SOURCE_FUNC(on_listener_readable), server, NULL);
    g_source_attach(server->listen_source, server->context);
    return TRUE;
}

/* ---- the server -------------------------------------------------------- */

static CgVarlinkInterface *
parse_embedded(const char *text, GError **error)
{
    CgVarlinkInterface *iface = cg_varlink_interface_parse(text, error);
    if (!iface)
        g_prefix_error(error, "built-in interface file: ");
    return iface;
}

CgControlServer *
cg_control_server_new(CgEngine *engine, const CgControlOptions *opts, GError **error)
{
    CgControlOptions defaults;
    cg_control_options_init(&defaults);
    g_autoptr(CgControlServer) server = g_new0(CgControlServer, 1);
    server->engine = engine;
    server->context = g_main_context_ref_thread_default();
    server->socket_path = g_strdup(opts->socket_path ? opts->socket_path : defaults.socket_path);
    server->group = opts->group && *opts->group ? g_strdup(opts->group) : NULL;
    server->product = g_strdup(opts->product ? opts->product : defaults.product);
    server->max_queue_bytes
        = opts->max_queue_bytes ? opts->max_queue_bytes : defaults.max_queue_bytes;
    server->max_message_bytes
        = opts->max_message_bytes ? opts->max_message_bytes : defaults.max_message_bytes;
    server->max_clients = opts->max_clients ? opts->max_clients : defaults.max_clients;
    server->conn_from_keys = opts->conn_from_keys;
    server->child_from_keys = opts->child_from_keys;
    server->secret_parse = opts->secret_parse;
    server->loader_data = opts->loader_data;
    server->clients = g_ptr_array_new();
    server->waiters = g_ptr_array_new();
    server->pools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    server->check_replies = g_strcmp0(g_getenv("CG_CONTROL_CHECK_REPLIES"), "1") == 0;

    server->ike_iface = parse_embedded(cg_embedded_io_cygnet_Ike_varlink, error);
    if (!server->ike_iface)
        return NULL;
    server->service_iface = parse_embedded(cg_embedded_org_varlink_service_varlink, error);
    if (!server->service_iface)
        return NULL;
    if (!create_listener(server, error))
        return NULL;
    server->subscription = cg_engine_subscribe(engine, cg_control_on_event, server);
    cg_info(NULL, "control: listening on %s (mode %s%s)", server->socket_path,
            server->group ? "0660, group " : "0600", server->group ? server->group : "");
    return g_steal_pointer(&server);
}

void
cg_control_server_free(CgControlServer *server)
{
    if (!server)
        return;
    if (server->subscription)
        cg_engine_unsubscribe(server->engine, server->subscription);
    while (server->clients && server->clients->len > 0)
        cg_control_client_close(server->clients->pdata[server->clients->len - 1], NULL);
    if (server->waiters)
        cg_control_waiters_free_all(server);
    destroy_source(&server->listen_source);
    if (server->listener) {
        g_socket_close(server->listener, NULL);
        g_clear_object(&server->listener);
        unlink(server->socket_path);
    }
    g_clear_pointer(&server->clients, g_ptr_array_unref);
    g_clear_pointer(&server->waiters, g_ptr_array_unref);
    g_clear_pointer(&server->capture, g_array_unref);
    g_clear_pointer(&server->pools, g_hash_table_unref);
    g_clear_pointer(&server->ike_iface, cg_varlink_interface_free);
    g_clear_pointer(&server->service_iface, cg_varlink_interface_free);
    g_clear_pointer(&server->context, g_main_context_unref);
    g_free(server->socket_path);
    g_free(server->group);
    g_free(server->product);
    g_free(server);
}

const char *
cg_control_server_socket_path(CgControlServer *server)
{
    return server->socket_path;
}
