/* cygnetctl-client.c: a blocking Varlink client over a Unix socket. */
#include "cygnetctl-client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "src/shared/cg-json-guard.h"

/* The largest reply we accept: a Monitor dump message or a ListSAs of a
 * big gateway is well below this. */
#define MAX_REPLY_BYTES (64u * 1024 * 1024)

G_DEFINE_QUARK(cygnetctl - error - quark, ctl_error)

struct CtlClient {
    int fd;
    GByteArray *in;
};

CtlClient *
ctl_client_connect(const char *socket_path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(socket_path) >= sizeof(addr.sun_path)) {
        g_set_error(error, CTL_ERROR, CTL_ERROR_CONNECT, "socket path too long: %s", socket_path);
        return NULL;
    }
    strcpy(addr.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, CTL_ERROR, CTL_ERROR_CONNECT, "cannot connect to %s: %s%s", socket_path,
                    g_strerror(err),
                    err == ENOENT || err == ECONNREFUSED ? " (is cygnetd running?)" : "");
        return NULL;
    }
    CtlClient *client = g_new0(CtlClient, 1);
    client->fd = fd;
    client->in = g_byte_array_new();
    return client;
}

void
ctl_client_free(CtlClient *client)
{
    if (!client)
        return;
    close(client->fd);
    g_byte_array_unref(client->in);
    g_free(client);
}

int
ctl_client_fd(CtlClient *client)
{
    return client->fd;
}

void
ctl_reply_free(CtlReply *reply)
{
    if (!reply)
        return;
    g_clear_pointer(&reply->parameters, json_object_unref);
    g_free(reply->error);
    g_free(reply);
}

gboolean
ctl_client_send(CtlClient *client, const char *method, JsonObject *parameters, gboolean more,
                GError **error)
{
    g_autoptr(JsonObject) root = json_object_new();
    json_object_set_string_member(root, "method", method);
    json_object_set_object_member(root, "parameters", parameters ? parameters : json_object_new());
    if (more)
        json_object_set_boolean_member(root, "more", TRUE);
    g_autoptr(JsonNode) node = json_node_alloc();
    json_node_init_object(node, root);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, node);
    gsize len;
    g_autofree char *text = json_generator_to_data(gen, &len);
    len++; /* the NUL that ends the message */
    for (gsize done = 0; done < len;) {
        ssize_t n = send(client->fd, text + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_set_error(error, CTL_ERROR, CTL_ERROR_CLOSED, "sending to cygnetd failed: %s",
                        g_strerror(errno));
            return FALSE;
        }
        done += (gsize)n;
    }
    return TRUE;
}

gboolean
ctl_client_has_buffered(CtlClient *client)
{
    return client->in->len > 0 && memchr(client->in->data, '\0', client->in->len) != NULL;
}

/* as deep as the server accepts requests */
#define MAX_REPLY_DEPTH 64

static CtlReply *
parse_reply(const char *data, gsize len, GError **error)
{
    g_autofree char *why = NULL;
    if (!cg_json_guard(data, len, MAX_REPLY_DEPTH, &why)) {
        g_set_error(error, CTL_ERROR, CTL_ERROR_PROTOCOL, "malformed reply from cygnetd: %s", why);
        return NULL;
    }
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, data, (gssize)len, error)) {
        g_prefix_error(error, "malformed reply from cygnetd: ");
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CTL_ERROR, CTL_ERROR_PROTOCOL, "the reply is not a JSON object");
        return NULL;
    }
    JsonObject *obj = json_node_get_object(root);
    g_autoptr(CtlReply) reply = g_new0(CtlReply, 1);
    JsonNode *params = json_object_get_member(obj, "parameters");
    reply->parameters = params && JSON_NODE_HOLDS_OBJECT(params)
                            ? json_object_ref(json_node_get_object(params))
                            : json_object_new();
    JsonNode *err = json_object_get_member(obj, "error");
    if (err && JSON_NODE_HOLDS_VALUE(err) && json_node_get_value_type(err) == G_TYPE_STRING)
        reply->error = g_strdup(json_node_get_string(err));
    JsonNode *cont = json_object_get_member(obj, "continues");
    reply->continues = cont && JSON_NODE_HOLDS_VALUE(cont)
                       && json_node_get_value_type(cont) == G_TYPE_BOOLEAN
                       && json_node_get_boolean(cont);
    return g_steal_pointer(&reply);
}

CtlReply *
ctl_client_receive(CtlClient *client, GError **error)
{
    for (;;) {
        guint8 *nul = client->in->len ? memchr(client->in->data, '\0', client->in->len) : NULL;
        if (nul) {
            gsize len = (gsize)(nul - client->in->data);
            CtlReply *reply = parse_reply((const char *)client->in->data, len, error);
            g_byte_array_remove_range(client->in, 0, (guint)len + 1);
            return reply;
        }
        if (client->in->len > MAX_REPLY_BYTES) {
            g_set_error(error, CTL_ERROR, CTL_ERROR_PROTOCOL,
                        "a reply from cygnetd is larger than %u bytes", MAX_REPLY_BYTES);
            return NULL;
        }
        guint8 buffer[65536];
        ssize_t n = recv(client->fd, buffer, sizeof(buffer), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, CTL_ERROR, CTL_ERROR_CLOSED, "reading from cygnetd failed: %s",
                        g_strerror(errno));
            return NULL;
        }
        if (n == 0) {
            g_set_error(error, CTL_ERROR, CTL_ERROR_CLOSED, "cygnetd closed the connection");
            return NULL;
        }
        g_byte_array_append(client->in, buffer, (guint)n);
    }
}

CtlReply *
ctl_client_call(CtlClient *client, const char *method, JsonObject *parameters, GError **error)
{
    if (!ctl_client_send(client, method, parameters, FALSE, error))
        return NULL;
    return ctl_client_receive(client, error);
}
