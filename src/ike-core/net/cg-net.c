/* cg-net.c: IKE sockets with per-datagram local addresses. */
#include "net/cg-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

#include "log/cg-log.h"
#include "net/cg-net-private.h"

/* cg_net_set_port_sharing: read by cg_net_new */
static gboolean port_sharing;
/* this process's CgNets that share their ports (main context) */
static GPtrArray *sharing_nets;

void
cg_net_set_port_sharing(gboolean share)
{
    port_sharing = share;
}

static void drop_peer(CgNet *net, guint index);

static GSocketAddress *
sockaddr_to_g(const struct sockaddr_storage *ss, socklen_t len)
{
    return g_socket_address_new_from_native((gpointer)ss, len);
}

static gboolean
g_to_sockaddr(GSocketAddress *a, struct sockaddr_storage *ss, socklen_t *len)
{
    gssize n = g_socket_address_get_native_size(a);
    if (n <= 0 || (gsize)n > sizeof(*ss))
        return FALSE;
    if (!g_socket_address_to_native(a, ss, n, NULL))
        return FALSE;
    *len = (socklen_t)n;
    return TRUE;
}

GInetAddress *
cg_sockaddr_inet(GSocketAddress *a)
{
    return g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(a));
}

guint16
cg_sockaddr_port(GSocketAddress *a)
{
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(a));
}

int
cg_sockaddr_family(GSocketAddress *a)
{
    return g_inet_address_get_family(cg_sockaddr_inet(a)) == G_SOCKET_FAMILY_IPV6 ? AF_INET6
                                                                                  : AF_INET;
}

gboolean
cg_sockaddr_equal(GSocketAddress *a, GSocketAddress *b)
{
    if (!a || !b)
        return a == b;
    return cg_sockaddr_port(a) == cg_sockaddr_port(b)
           && g_inet_address_equal(cg_sockaddr_inet(a), cg_sockaddr_inet(b));
}

char *
cg_sockaddr_to_string(GSocketAddress *a)
{
    if (!a)
        return g_strdup("%any");
    g_autofree char *ip = g_inet_address_to_string(cg_sockaddr_inet(a));
    return g_strdup_printf("%s[%u]", ip, cg_sockaddr_port(a));
}

static void
handle_datagram(CgNetSocket *s, guint8 *buf, gsize len, const struct sockaddr_storage *from,
                socklen_t from_len, GInetAddress *local_ip)
{
    CgNet *net = s->net;
    g_autoptr(GSocketAddress) remote = sockaddr_to_g(from, from_len);
    if (!remote)
        return;
    g_autoptr(GSocketAddress) local
        = g_inet_socket_address_new(local_ip, s->natt ? net->natt_port : net->ike_port);

    if (!s->natt) {
        net->ike_func(net->user_data, buf, len, local, remote, FALSE);
        return;
    }
    /* RFC 3948 2.2/2.3: keepalive, IKE behind the marker, or ESP */
    if (len == 1 && buf[0] == 0xff)
        return;
    if (len >= NON_ESP_MARKER_LEN && memcmp(buf, "\0\0\0\0", NON_ESP_MARKER_LEN) == 0) {
        net->ike_func(net->user_data, buf + NON_ESP_MARKER_LEN, len - NON_ESP_MARKER_LEN, local,
                      remote, TRUE);
        return;
    }
    if (net->esp_func)
        net->esp_func(net->user_data, buf, len, local, remote);
}

void
cg_net_deliver_natt_ike(CgNet *net, int family, const guint8 *data, gsize len,
                        const struct sockaddr_storage *from, socklen_t from_len,
                        GInetAddress *local_ip)
{
    g_autoptr(GSocketAddress) remote = sockaddr_to_g(from, from_len);
    if (!remote)
        return;
    g_autoptr(GInetAddress) any = NULL;
    if (!local_ip)
        local_ip = any = g_inet_address_new_any(family == AF_INET6 ? G_SOCKET_FAMILY_IPV6
                                                                   : G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) local = g_inet_socket_address_new(local_ip, net->natt_port);
    net->ike_func(net->user_data, data, len, local, remote, TRUE);
}

static gboolean
on_readable(gint fd, GIOCondition cond, gpointer user_data)
{
    CgNetSocket *s = user_data;
    CgNet *net = s->net;

    /* drain a bounded batch per wake-up so one busy socket can't starve */
    for (int batch = 0; batch < 64; batch++) {
        struct sockaddr_storage from;
        char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct iovec iov = { .iov_base = net->rx_buf, .iov_len = CG_NET_MAX_DATAGRAM };
        struct msghdr mh = {
            .msg_name = &from,
            .msg_namelen = sizeof(from),
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = cbuf,
            .msg_controllen = sizeof(cbuf),
        };
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                cg_debug(NULL, "recvmsg: %s", g_strerror(errno));
            break;
        }
        if (mh.msg_flags & MSG_TRUNC) {
            cg_debug(NULL, "dropped a truncated datagram");
            continue;
        }
        g_autoptr(GInetAddress) local_ip = NULL;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                local_ip = g_inet_address_new_from_bytes((const guint8 *)&pi.ipi_addr,
                                                         G_SOCKET_FAMILY_IPV4);
            } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                struct in6_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                local_ip = g_inet_address_new_from_bytes((const guint8 *)&pi.ipi6_addr,
                                                         G_SOCKET_FAMILY_IPV6);
            }
        }
        if (!local_ip)
            local_ip = g_inet_address_new_any(s->family == AF_INET6 ? G_SOCKET_FAMILY_IPV6
                                                                    : G_SOCKET_FAMILY_IPV4);
        handle_datagram(s, net->rx_buf, (gsize)n, &from, mh.msg_namelen, local_ip);
        /* the engine's answer may have replaced this peer socket (a new
         * local address): s and fd are gone with its source */
        if (g_source_is_destroyed(g_main_current_source()))
            return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static int
open_socket(int family, const char *bind_address, guint16 port, gboolean shared,
            guint16 *bound_port, GError **error)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "socket: %s",
                    g_strerror(errno));
        return -1;
    }
    int one = 1;
    /* A port shared by the engines of several processes: the kernel hands
     * each datagram to the socket connected to its sender, else to one
     * member of the reuseport group. Without SO_REUSEADDR then, so that a
     * program holding the port unshared (SO_REUSEADDR alone) makes our
     * bind fail instead of losing datagrams to us. */
    if (!shared)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    else if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        int e = errno;
        close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "SO_REUSEPORT: %s", g_strerror(e));
        return -1;
    }
    if (family == AF_INET) {
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    } else {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    }
    int rcvbuf = 4 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

    struct sockaddr_storage ss = { 0 };
    socklen_t slen;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        if (bind_address && inet_pton(AF_INET, bind_address, &sin->sin_addr) != 1)
            sin->sin_addr.s_addr = htonl(INADDR_ANY);
        slen = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        if (bind_address && inet_pton(AF_INET6, bind_address, &sin6->sin6_addr) != 1)
            sin6->sin6_addr = in6addr_any;
        slen = sizeof(*sin6);
    }
    if (bind(fd, (struct sockaddr *)&ss, slen) < 0) {
        int e = errno;
        close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "bind to %s port %u: %s",
                    bind_address ? bind_address : (family == AF_INET ? "0.0.0.0" : "::"), port,
                    g_strerror(e));
        return -1;
    }
    slen = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &slen);
    *bound_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                          : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static gboolean
add_socket(CgNet *net, int family, gboolean natt, const char *bind_address, guint16 port,
           GError **error)
{
    guint16 bound = 0;
    int fd = open_socket(family, bind_address, port, net->shared, &bound, error);
    if (fd < 0)
        return FALSE;
    CgNetSocket *s = &net->sockets[net->n_sockets++];
    s->net = net;
    s->fd = fd;
    s->family = family;
    s->natt = natt;
    s->source_id = g_unix_fd_add(fd, G_IO_IN, on_readable, s);
    if (natt)
        net->natt_port = bound;
    else
        net->ike_port = bound;
    return TRUE;
}

CgNet *
cg_net_new(const char *bind_address, guint16 ike_port, guint16 natt_port, CgNetIkeFunc ike_func,
           CgNetEspFunc esp_func, gpointer user_data, GError **error)
{
    CgNet *net = g_new0(CgNet, 1);
    net->ike_func = ike_func;
    net->esp_func = esp_func;
    net->user_data = user_data;
    net->rx_buf = g_malloc(CG_NET_MAX_DATAGRAM);
    /* sharing needs the same port in every process: not with port 0 */
    net->shared = port_sharing && ike_port != 0 && natt_port != 0;
    if (net->shared) {
        static guint64 last_serial;
        net->serial = ++last_serial;
        if (!sharing_nets)
            sharing_nets = g_ptr_array_new();
        g_ptr_array_add(sharing_nets, net);
    }

    gboolean want4 = TRUE, want6 = TRUE;
    if (bind_address && *bind_address) {
        g_autoptr(GInetAddress) a = g_inet_address_new_from_string(bind_address);
        if (!a) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "listen address '%s' is not an IP address", bind_address);
            cg_net_free(net);
            return NULL;
        }
        want4 = g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4;
        want6 = !want4;
    }
    /* With port 0 the v6 sockets must reuse the ports picked for v4. */
    if (want4) {
        if (!add_socket(net, AF_INET, FALSE, bind_address, ike_port, error)
            || !add_socket(net, AF_INET, TRUE, bind_address, natt_port, error)) {
            cg_net_free(net);
            return NULL;
        }
        ike_port = net->ike_port;
        natt_port = net->natt_port;
    }
    if (want6) {
        g_autoptr(GError) v6_error = NULL;
        if (!add_socket(net, AF_INET6, FALSE, bind_address, ike_port, &v6_error)
            || !add_socket(net, AF_INET6, TRUE, bind_address, natt_port, &v6_error)) {
            if (!want4) {
                g_propagate_error(error, g_steal_pointer(&v6_error));
                cg_net_free(net);
                return NULL;
            }
            /* IPv6 may be disabled on this host: IPv4 alone is fine */
            cg_warn(NULL, "IPv6 IKE sockets unavailable: %s", v6_error->message);
        }
    }
    return net;
}

void
cg_net_free(CgNet *net)
{
    if (!net)
        return;
    /* the thread reads the NAT-T sockets: stop it before they close */
    g_clear_pointer(&net->esp_thread, cg_net_esp_thread_free);
    while (net->n_peers)
        drop_peer(net, net->n_peers - 1);
    if (net->shared) {
        g_ptr_array_remove_fast(sharing_nets, net);
        if (sharing_nets->len == 0)
            g_clear_pointer(&sharing_nets, g_ptr_array_unref);
    }
    for (guint i = 0; i < net->n_sockets; i++) {
        if (net->sockets[i].source_id)
            g_source_remove(net->sockets[i].source_id);
        close(net->sockets[i].fd);
    }
    g_free(net->peer_failed);
    g_free(net->rx_buf);
    g_free(net);
}

void
cg_net_set_socket_setup(CgNet *net, CgNetSocketFunc func, gpointer user_data)
{
    net->socket_setup = func;
    net->socket_setup_data = user_data;
}

guint16
cg_net_ike_port(CgNet *net)
{
    return net->ike_port;
}

guint16
cg_net_natt_port(CgNet *net)
{
    return net->natt_port;
}

int
cg_net_fd(CgNet *net, int family, gboolean natt)
{
    for (guint i = 0; i < net->n_sockets; i++)
        if (net->sockets[i].family == family && net->sockets[i].natt == natt)
            return net->sockets[i].fd;
    return -1;
}

/* ---- connected sockets, one per peer, when the ports are shared ------------ */

static void
drop_peer(CgNet *net, guint index)
{
    CgNetSocket *p = net->peers[index];
    if (p->natt && net->esp_thread)
        cg_net_esp_thread_remove_fd(net->esp_thread, p->fd);
    if (p->source_id)
        g_source_remove(p->source_id);
    close(p->fd);
    g_clear_object(&p->remote);
    g_clear_object(&p->local);
    g_free(p);
    memmove(&net->peers[index], &net->peers[index + 1],
            (net->n_peers - index - 1) * sizeof(net->peers[0]));
    net->n_peers--;
}

/* Options the engine set on the wildcard socket after cg_net_new (the
 * data plane's bypass mark, UDP_ENCAP for kernel ESP) apply to the peer
 * sockets of the same kind too. */
static void
copy_socket_options(int from_fd, int to_fd, gboolean natt)
{
    guint32 mark = 0;
    socklen_t len = sizeof(mark);
    if (getsockopt(from_fd, SOL_SOCKET, SO_MARK, &mark, &len) == 0 && mark
        && setsockopt(to_fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
        cg_debug(NULL, "SO_MARK on a peer socket: %s", g_strerror(errno));
    int encap = 0;
    len = sizeof(encap);
    if (natt && getsockopt(from_fd, SOL_UDP, UDP_ENCAP, &encap, &len) == 0 && encap
        && setsockopt(to_fd, SOL_UDP, UDP_ENCAP, &encap, sizeof(encap)) < 0)
        cg_debug(NULL, "UDP_ENCAP on a peer socket: %s", g_strerror(errno));
}

static gboolean
peer_matches(const CgNetSocket *p, gboolean natt, GInetAddress *local, GSocketAddress *remote)
{
    if (p->natt != natt || !cg_sockaddr_equal(p->remote, remote))
        return FALSE;
    return local ? g_inet_address_equal(p->local, local) : g_inet_address_get_is_any(p->local);
}

/* Binds local (or the wildcard) and our shared port, and connects to
 * remote: the kernel then delivers remote's datagrams to this socket
 * rather than to any process's wildcard socket. Sending still goes
 * through the wildcard socket. */
static void
add_peer(CgNet *net, int family, gboolean natt, GInetAddress *local, GSocketAddress *remote)
{
    guint16 port = natt ? net->natt_port : net->ike_port;
    g_autofree char *remote_text = cg_sockaddr_to_string(remote);
    int wildcard_fd = cg_net_fd(net, family, natt);
    if (wildcard_fd < 0)
        return;
    /* a newer engine of this process (the NetworkManager service's next
     * attempt) already has this peer: it keeps it, we send through the
     * wildcard socket (its replies are for the newer engine anyway) */
    for (guint n = 0; n < sharing_nets->len; n++) {
        CgNet *other = sharing_nets->pdata[n];
        if (other == net || other->serial < net->serial)
            continue;
        for (guint i = 0; i < other->n_peers; i++)
            if (other->peers[i]->natt == natt
                && g_inet_address_equal(cg_sockaddr_inet(other->peers[i]->remote),
                                        cg_sockaddr_inet(remote)))
                return;
    }
    g_autofree char *bind_text
        = local ? g_inet_address_to_string(local) : g_strdup(family == AF_INET ? "0.0.0.0" : "::");
    /* tried again at every send (the address may come back), said once */
    g_autofree char *key = g_strdup_printf("%s %s %d", bind_text, remote_text, natt);
    gboolean said = g_strcmp0(key, net->peer_failed) == 0;
    guint16 bound = 0;
    g_autoptr(GError) error = NULL;
    int fd = open_socket(family, bind_text, port, TRUE, &bound, &error);
    struct sockaddr_storage to;
    socklen_t to_len;
    if (fd >= 0) {
        copy_socket_options(wildcard_fd, fd, natt);
        if (net->socket_setup)
            net->socket_setup(net->socket_setup_data, fd, family, natt);
        if (!g_to_sockaddr(remote, &to, &to_len)
            || connect(fd, (struct sockaddr *)&to, to_len) < 0) {
            g_set_error(&error, G_IO_ERROR, g_io_error_from_errno(errno), "connect: %s",
                        g_strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        if (!said)
            cg_info(NULL,
                    "no socket of its own from %s[%u] to %s (%s): its datagrams may reach "
                    "another process sharing port %u",
                    bind_text, port, remote_text, error->message, port);
        g_free(net->peer_failed);
        net->peer_failed = g_steal_pointer(&key);
        return;
    }
    g_clear_pointer(&net->peer_failed, g_free);
    /* one socket per peer address and port kind: the newest local
     * address (MOBIKE) or remote port (a NAT in front of the peer) wins.
     * So does the newest engine of this process (the NetworkManager
     * service's next attempt while the last one says goodbye): which of
     * two equal connected sockets Linux prefers is its hash-chain order. */
    for (guint n = 0; n < sharing_nets->len; n++) {
        CgNet *other = sharing_nets->pdata[n];
        for (guint i = other->n_peers; i-- > 0;) {
            CgNetSocket *old = other->peers[i];
            if (old->natt == natt
                && g_inet_address_equal(cg_sockaddr_inet(old->remote), cg_sockaddr_inet(remote)))
                drop_peer(other, i);
        }
    }
    if (net->n_peers == CG_NET_MAX_PEERS)
        drop_peer(net, 0);

    CgNetSocket *p = g_new0(CgNetSocket, 1);
    p->net = net;
    p->fd = fd;
    p->family = family;
    p->natt = natt;
    p->remote = g_object_ref(remote);
    p->local = local ? g_object_ref(local)
                     : g_inet_address_new_any(family == AF_INET6 ? G_SOCKET_FAMILY_IPV6
                                                                 : G_SOCKET_FAMILY_IPV4);
    if (natt && net->esp_thread)
        cg_net_esp_thread_add_fd(net->esp_thread, fd, family);
    else
        p->source_id = g_unix_fd_add(fd, G_IO_IN, on_readable, p);
    net->peers[net->n_peers++] = p;

    struct sockaddr_storage ss;
    socklen_t slen = sizeof(ss);
    g_autofree char *local_text = NULL;
    if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0) {
        g_autoptr(GSocketAddress) la = sockaddr_to_g(&ss, slen);
        local_text = la ? cg_sockaddr_to_string(la) : NULL;
    }
    cg_info(NULL, "local port %u (shared with other processes): %s <-> %s on a socket of its own",
            port, local_text ? local_text : bind_text, remote_text);
}

static void
ensure_peer(CgNet *net, int family, gboolean natt, GSocketAddress *local, GSocketAddress *remote)
{
    GInetAddress *local_ip = local ? cg_sockaddr_inet(local) : NULL;
    if (local_ip && (g_inet_address_get_is_any(local_ip) || cg_sockaddr_family(local) != family))
        local_ip = NULL;
    for (guint i = 0; i < net->n_peers; i++) {
        if (!peer_matches(net->peers[i], natt, local_ip, remote))
            continue;
        /* most recently used last: at the cap the least used one goes */
        CgNetSocket *used = net->peers[i];
        memmove(&net->peers[i], &net->peers[i + 1], (net->n_peers - i - 1) * sizeof(used));
        net->peers[net->n_peers - 1] = used;
        return;
    }
    add_peer(net, family, natt, local_ip, remote);
}

static gboolean
send_from(CgNet *net, GSocketAddress *local, GSocketAddress *remote, gboolean natt,
          const guint8 *prefix, gsize prefix_len, const guint8 *data, gsize len, GError **error)
{
    int family = cg_sockaddr_family(remote);
    int fd = cg_net_fd(net, family, natt);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no %s socket for %s",
                    family == AF_INET6 ? "IPv6" : "IPv4", natt ? "NAT-T" : "IKE");
        return FALSE;
    }
    struct sockaddr_storage to;
    socklen_t to_len;
    if (!g_to_sockaddr(remote, &to, &to_len)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad remote address");
        return FALSE;
    }
    if (net->shared)
        ensure_peer(net, family, natt, local, remote);
    struct iovec iov[2] = {
        { .iov_base = (void *)prefix, .iov_len = prefix_len },
        { .iov_base = (void *)data, .iov_len = len },
    };
    char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
    struct msghdr mh = {
        .msg_name = &to,
        .msg_namelen = to_len,
        .msg_iov = prefix_len ? iov : iov + 1,
        .msg_iovlen = prefix_len ? 2 : 1,
    };
    GInetAddress *src = local ? cg_sockaddr_inet(local) : NULL;
    if (src && !g_inet_address_get_is_any(src) && cg_sockaddr_family(local) == family) {
        mh.msg_control = cbuf;
        struct cmsghdr *c;
        if (family == AF_INET) {
            mh.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
            c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
            struct in_pktinfo pi = { 0 };
            memcpy(&pi.ipi_spec_dst, g_inet_address_to_bytes(src), 4);
            memcpy(CMSG_DATA(c), &pi, sizeof(pi));
        } else {
            mh.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
            c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
            struct in6_pktinfo pi = { 0 };
            memcpy(&pi.ipi6_addr, g_inet_address_to_bytes(src), 16);
            memcpy(CMSG_DATA(c), &pi, sizeof(pi));
        }
    }
    if (sendmsg(fd, &mh, 0) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "sendmsg: %s",
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

gboolean
cg_net_send_ike(CgNet *net, GSocketAddress *local, GSocketAddress *remote, gboolean natt,
                const guint8 *data, gsize len, GError **error)
{
    static const guint8 marker[NON_ESP_MARKER_LEN] = { 0 };
    return send_from(net, local, remote, natt, marker, natt ? NON_ESP_MARKER_LEN : 0, data, len,
                     error);
}

gboolean
cg_net_send_natt_raw(CgNet *net, GSocketAddress *local, GSocketAddress *remote, const guint8 *data,
                     gsize len, GError **error)
{
    return send_from(net, local, remote, TRUE, NULL, 0, data, len, error);
}

GInetAddress *
cg_net_route_source(GInetAddress *remote, GError **error)
{
    int family = g_inet_address_get_family(remote) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "socket: %s",
                    g_strerror(errno));
        return NULL;
    }
    g_autoptr(GSocketAddress) ra = g_inet_socket_address_new(remote, 9);
    struct sockaddr_storage ss;
    socklen_t len;
    if (!g_to_sockaddr(ra, &ss, &len) || connect(fd, (struct sockaddr *)&ss, len) < 0) {
        int saved = errno;
        g_autofree char *to = g_inet_address_to_string(remote);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "no route to %s: %s", to,
                    g_strerror(saved));
        close(fd);
        return NULL;
    }
    len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    close(fd);
    g_autoptr(GSocketAddress) la = sockaddr_to_g(&ss, len);
    return g_object_ref(cg_sockaddr_inet(la));
}
