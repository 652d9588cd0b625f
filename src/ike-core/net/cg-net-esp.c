/* cg-net-esp.c: the NAT-T receive thread for user-space ESP.
 *
 * RFC 3948: ESP-in-UDP and IKE share port 4500. Once a user-space data
 * plane wants the ESP packets, this thread reads the NAT-T sockets in
 * batches (recvmmsg; with UDP_GRO one read returns many equally sized
 * datagrams), gives the ESP ones to the consumer right here and queues the
 * IKE ones for the main context, where the engine lives. */
#include "net/cg-net-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <glib-unix.h>

#include "log/cg-log.h"

#define BATCH           16   /* datagrams per recvmmsg */
#define ROUNDS_PER_WAKE 16   /* recvmmsg calls per socket before polling again */
#define MAX_SEGMENTS    64   /* per GRO datagram; more is handed over in pieces */
#define IKE_QUEUE_MAX   1024 /* IKE messages waiting for the main context */
#define CONTROL_LEN     128
#define MAX_FDS         (2 + CG_NET_MAX_PEERS) /* the wildcard pair and the peers */

typedef struct {
    guint8 *data;
    gsize len;
    int family;
    struct sockaddr_storage from;
    socklen_t from_len;
    gboolean has_local;
    guint8 local[16];
} QueuedIke;

struct CgNetEspThread {
    CgNet *net;
    GThread *thread;
    CgNetEspBatchFunc func;
    gpointer user_data;
    int stop_fd;  /* eventfd: wakes the thread (to stop, or to see new fds) */
    int queue_fd; /* eventfd: IKE messages queued for the main context */
    guint queue_source;
    gint stopping;

    /* the sockets read; the thread reads them only while holding
     * fds_lock and only if the generation it polled is still current */
    GMutex fds_lock;
    int fds[MAX_FDS];
    int families[MAX_FDS];
    guint n_fds;
    guint fds_generation;

    GMutex lock; /* guards ike_queue */
    GQueue ike_queue;

    guint8 *bufs; /* BATCH * CG_NET_MAX_DATAGRAM */
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    struct sockaddr_storage names[BATCH];
    guint8 controls[BATCH][CONTROL_LEN];
    CgNetEspPacket pkts[BATCH * MAX_SEGMENTS];

    CgNetEspStats stats;
};

static void
count(guint64 *counter, guint64 n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static void
queued_ike_free(gpointer p)
{
    QueuedIke *q = p;
    g_free(q->data);
    g_free(q);
}

/* ---- main context: IKE messages ---------------------------------------- */

static gboolean
on_ike_queued(gint fd, GIOCondition cond, gpointer user_data)
{
    CgNetEspThread *t = user_data;
    guint64 n;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        cg_debug(NULL, "NAT-T queue eventfd: %s", g_strerror(errno));
    for (;;) {
        g_mutex_lock(&t->lock);
        QueuedIke *q = g_queue_pop_head(&t->ike_queue);
        g_mutex_unlock(&t->lock);
        if (!q)
            break;
        g_autoptr(GInetAddress) local = NULL;
        if (q->has_local)
            local = g_inet_address_new_from_bytes(
                q->local, q->family == AF_INET6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
        cg_net_deliver_natt_ike(t->net, q->family, q->data, q->len, &q->from, q->from_len, local);
        queued_ike_free(q);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- the thread ------------------------------------------------------------ */

static void
queue_ike(CgNetEspThread *t, int family, const guint8 *data, gsize len,
          const struct sockaddr_storage *from, socklen_t from_len, const guint8 *local,
          gsize local_len)
{
    g_mutex_lock(&t->lock);
    gboolean full = t->ike_queue.length >= IKE_QUEUE_MAX;
    g_mutex_unlock(&t->lock);
    if (full) {
        count(&t->stats.dropped, 1);
        return;
    }
    QueuedIke *q = g_new0(QueuedIke, 1);
    q->data = g_memdup2(data, len);
    q->len = len;
    q->family = family;
    memcpy(&q->from, from, from_len);
    q->from_len = from_len;
    if (local_len) {
        q->has_local = TRUE;
        memcpy(q->local, local, local_len);
    }
    g_mutex_lock(&t->lock);
    g_queue_push_tail(&t->ike_queue, q);
    g_mutex_unlock(&t->lock);
    guint64 one = 1;
    if (write(t->queue_fd, &one, sizeof(one)) < 0)
        cg_debug(NULL, "NAT-T queue eventfd: %s", g_strerror(errno));
    count(&t->stats.ike, 1);
}

/* The local address (IP_PKTINFO) and the GRO segment size of a datagram. */
static void
read_control(struct msghdr *mh, guint8 *local, gsize *local_len, gsize *gso_size)
{
    *local_len = 0;
    *gso_size = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            memcpy(local, &pi.ipi_addr, 4);
            *local_len = 4;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            memcpy(local, &pi.ipi6_addr, 16);
            *local_len = 16;
        } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int size;
            memcpy(&size, CMSG_DATA(c), sizeof(size));
            if (size > 0)
                *gso_size = (gsize)size;
        }
    }
}

static void
flush(CgNetEspThread *t, guint *n_pkts)
{
    if (*n_pkts) {
        count(&t->stats.esp, *n_pkts);
        t->func(t->user_data, t->pkts, *n_pkts);
        *n_pkts = 0;
    }
}

/* One datagram (or GRO segment): RFC 3948 2.2/2.3 demultiplexing. */
static void
classify(CgNetEspThread *t, int family, guint8 *data, gsize len,
         const struct sockaddr_storage *from, socklen_t from_len, const guint8 *local,
         gsize local_len, guint *n_pkts)
{
    count(&t->stats.datagrams, 1);
    if (len == 1 && data[0] == 0xff) {
        count(&t->stats.keepalives, 1);
        return;
    }
    if (len >= NON_ESP_MARKER_LEN && memcmp(data, "\0\0\0\0", NON_ESP_MARKER_LEN) == 0) {
        /* keep the order of ESP before it: the consumer may act on it */
        flush(t, n_pkts);
        queue_ike(t, family, data + NON_ESP_MARKER_LEN, len - NON_ESP_MARKER_LEN, from, from_len,
                  local, local_len);
        return;
    }
    CgNetEspPacket *p = &t->pkts[(*n_pkts)++];
    p->data = data;
    p->len = len;
    p->from = (const struct sockaddr *)from;
    p->from_len = from_len;
    if (*n_pkts == G_N_ELEMENTS(t->pkts))
        flush(t, n_pkts);
}

/* Reads what is waiting on one socket, in bounded rounds. */
static void
drain_socket(CgNetEspThread *t, int fd, int family)
{
    for (int round = 0; round < ROUNDS_PER_WAKE; round++) {
        for (guint i = 0; i < BATCH; i++) {
            t->iovs[i].iov_base = t->bufs + (gsize)i * CG_NET_MAX_DATAGRAM;
            t->iovs[i].iov_len = CG_NET_MAX_DATAGRAM;
            struct msghdr *mh = &t->msgs[i].msg_hdr;
            mh->msg_name = &t->names[i];
            mh->msg_namelen = sizeof(t->names[i]);
            mh->msg_iov = &t->iovs[i];
            mh->msg_iovlen = 1;
            mh->msg_control = t->controls[i];
            mh->msg_controllen = CONTROL_LEN;
            mh->msg_flags = 0;
        }
        int n = recvmmsg(fd, t->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                cg_debug(NULL, "NAT-T recvmmsg: %s", g_strerror(errno));
            return;
        }
        guint n_pkts = 0;
        for (int i = 0; i < n; i++) {
            struct msghdr *mh = &t->msgs[i].msg_hdr;
            gsize len = t->msgs[i].msg_len;
            if (mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
                count(&t->stats.dropped, 1);
                continue;
            }
            guint8 local[16];
            gsize local_len, gso_size;
            read_control(mh, local, &local_len, &gso_size);
            guint8 *data = t->iovs[i].iov_base;
            if (gso_size == 0 || gso_size >= len) {
                classify(t, family, data, len, &t->names[i], mh->msg_namelen, local, local_len,
                         &n_pkts);
                continue;
            }
            /* GRO: equally sized datagrams back to back, the last may be shorter */
            for (gsize off = 0; off < len; off += gso_size)
                classify(t, family, data + off, MIN(gso_size, len - off), &t->names[i],
                         mh->msg_namelen, local, local_len, &n_pkts);
        }
        flush(t, &n_pkts);
        if (n < BATCH)
            return;
    }
}

static gpointer
esp_thread_main(gpointer data)
{
    CgNetEspThread *t = data;
    struct pollfd pfds[MAX_FDS + 1];
    int families[MAX_FDS];

    while (!g_atomic_int_get(&t->stopping)) {
        g_mutex_lock(&t->fds_lock);
        guint n = t->n_fds;
        guint generation = t->fds_generation;
        for (guint i = 0; i < n; i++) {
            pfds[i] = (struct pollfd){ .fd = t->fds[i], .events = POLLIN };
            families[i] = t->families[i];
        }
        g_mutex_unlock(&t->fds_lock);
        pfds[n] = (struct pollfd){ .fd = t->stop_fd, .events = POLLIN };
        if (poll(pfds, n + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            cg_warn(NULL, "NAT-T receive thread: poll: %s", g_strerror(errno));
            break;
        }
        if (pfds[n].revents & POLLIN) {
            guint64 wakes;
            if (read(t->stop_fd, &wakes, sizeof(wakes)) < 0 && errno != EAGAIN)
                cg_debug(NULL, "NAT-T wake eventfd: %s", g_strerror(errno));
        }
        /* The lock is held per socket, not for the whole round, so the main
         * context's add/remove waits for one socket's batch at most. A
         * socket removed since the poll may be closed (its number even
         * reused): the generation says so, and we poll again. drain_socket
         * must never call into cg_net (the lock is not recursive). */
        for (guint i = 0; i < n; i++) {
            /* POLLERR too: a connected socket's ICMP error is cleared by
             * reading, else poll would return at once forever */
            if (!(pfds[i].revents & (POLLIN | POLLERR)))
                continue;
            g_mutex_lock(&t->fds_lock);
            gboolean current = generation == t->fds_generation;
            if (current)
                drain_socket(t, pfds[i].fd, families[i]);
            g_mutex_unlock(&t->fds_lock);
            if (!current)
                break;
        }
    }
    return NULL;
}

static void
wake_thread(CgNetEspThread *t)
{
    guint64 one = 1;
    if (write(t->stop_fd, &one, sizeof(one)) < 0)
        cg_debug(NULL, "cannot wake the NAT-T receive thread: %s", g_strerror(errno));
}

static void
prepare_socket(int fd)
{
    /* many datagrams per read; without GRO support each comes alone */
    int one = 1;
    if (setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0)
        cg_debug(NULL, "UDP_GRO on the NAT-T socket: %s", g_strerror(errno));
}

void
cg_net_esp_thread_add_fd(CgNetEspThread *t, int fd, int family)
{
    prepare_socket(fd);
    g_mutex_lock(&t->fds_lock);
    gboolean room = t->n_fds < MAX_FDS;
    if (room) {
        t->fds[t->n_fds] = fd;
        t->families[t->n_fds] = family;
        t->n_fds++;
        t->fds_generation++;
    }
    g_mutex_unlock(&t->fds_lock);
    if (!room)
        cg_warn(NULL, "NAT-T receive thread: no room for another socket");
    wake_thread(t);
}

void
cg_net_esp_thread_remove_fd(CgNetEspThread *t, int fd)
{
    g_mutex_lock(&t->fds_lock);
    for (guint i = 0; i < t->n_fds; i++) {
        if (t->fds[i] != fd)
            continue;
        memmove(&t->fds[i], &t->fds[i + 1], (t->n_fds - i - 1) * sizeof(t->fds[0]));
        memmove(&t->families[i], &t->families[i + 1], (t->n_fds - i - 1) * sizeof(t->families[0]));
        t->n_fds--;
        t->fds_generation++;
        break;
    }
    g_mutex_unlock(&t->fds_lock);
    wake_thread(t);
}

gboolean
cg_net_start_esp_thread(CgNet *net, CgNetEspBatchFunc func, gpointer user_data, GError **error)
{
    if (net->esp_thread) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "the NAT-T receive thread runs already");
        return FALSE;
    }
    CgNetEspThread *t = g_new0(CgNetEspThread, 1);
    t->net = net;
    t->func = func;
    t->user_data = user_data;
    g_mutex_init(&t->lock);
    g_mutex_init(&t->fds_lock);
    g_queue_init(&t->ike_queue);
    t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    t->queue_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->stop_fd < 0 || t->queue_fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "eventfd: %s",
                    g_strerror(errno));
        cg_net_esp_thread_free(t);
        return FALSE;
    }
    t->bufs = g_malloc((gsize)BATCH * CG_NET_MAX_DATAGRAM);
    for (guint i = 0; i < net->n_sockets + net->n_peers; i++) {
        CgNetSocket *s = i < net->n_sockets ? &net->sockets[i] : net->peers[i - net->n_sockets];
        if (!s->natt || t->n_fds == MAX_FDS)
            continue;
        prepare_socket(s->fd);
        if (s->source_id) {
            g_source_remove(s->source_id);
            s->source_id = 0;
        }
        t->fds[t->n_fds] = s->fd;
        t->families[t->n_fds] = s->family;
        t->n_fds++;
    }
    t->queue_source = g_unix_fd_add(t->queue_fd, G_IO_IN, on_ike_queued, t);
    t->thread = g_thread_new("cg-natt-rx", esp_thread_main, t);
    net->esp_thread = t;
    return TRUE;
}

void
cg_net_esp_thread_free(CgNetEspThread *t)
{
    if (t->thread) {
        g_atomic_int_set(&t->stopping, 1);
        guint64 one = 1;
        if (write(t->stop_fd, &one, sizeof(one)) < 0)
            cg_warn(NULL, "cannot wake the NAT-T receive thread: %s", g_strerror(errno));
        g_thread_join(t->thread);
    }
    if (t->queue_source)
        g_source_remove(t->queue_source);
    if (t->stop_fd >= 0)
        close(t->stop_fd);
    if (t->queue_fd >= 0)
        close(t->queue_fd);
    g_queue_clear_full(&t->ike_queue, queued_ike_free);
    g_mutex_clear(&t->lock);
    g_mutex_clear(&t->fds_lock);
    g_free(t->bufs);
    g_free(t);
}

void
cg_net_get_esp_stats(CgNet *net, CgNetEspStats *out)
{
    memset(out, 0, sizeof(*out));
    CgNetEspThread *t = net->esp_thread;
    if (!t)
        return;
    out->datagrams = __atomic_load_n(&t->stats.datagrams, __ATOMIC_RELAXED);
    out->esp = __atomic_load_n(&t->stats.esp, __ATOMIC_RELAXED);
    out->ike = __atomic_load_n(&t->stats.ike, __ATOMIC_RELAXED);
    out->keepalives = __atomic_load_n(&t->stats.keepalives, __ATOMIC_RELAXED);
    out->dropped = __atomic_load_n(&t->stats.dropped, __ATOMIC_RELAXED);
}
