/* cg-net-private.h: CgNet's insides, shared by cg-net.c (sockets, the IKE
 * path on the main context) and cg-net-esp.c (the NAT-T receive thread). */
#pragma once

#include "net/cg-net.h"

G_BEGIN_DECLS

#define CG_NET_MAX_DATAGRAM 65536
/* RFC 3948 2.2: IKE on port 4500 starts with four zero octets */
#define NON_ESP_MARKER_LEN 4
/* connected sockets per CgNet when the ports are shared (one per peer
 * address and port kind; the oldest goes first) */
#define CG_NET_MAX_PEERS 16

typedef struct {
    CgNet *net;
    int fd;
    int family;
    gboolean natt;
    guint source_id;
    /* peer sockets only: connected to remote, bound to local (or any) */
    GSocketAddress *remote;
    GInetAddress *local;
} CgNetSocket;

typedef struct CgNetEspThread CgNetEspThread;

struct CgNet {
    CgNetSocket sockets[4]; /* v4 ike, v4 natt, v6 ike, v6 natt */
    guint n_sockets;
    /* ports shared with other processes (SO_REUSEPORT): each peer we
     * talk to gets a socket connected to it, which the kernel prefers */
    gboolean shared;
    guint64 serial; /* creation order among this process's sharing nets */
    CgNetSocket *peers[CG_NET_MAX_PEERS];
    guint n_peers;
    char *peer_failed;            /* the last peer socket that could not be made, said once */
    CgNetSocketFunc socket_setup; /* cg_net_set_socket_setup */
    gpointer socket_setup_data;
    guint16 ike_port;
    guint16 natt_port;
    CgNetIkeFunc ike_func;
    CgNetEspFunc esp_func;
    gpointer user_data;
    guint8 *rx_buf;
    CgNetEspThread *esp_thread; /* NULL until cg_net_start_esp_thread */
};

/* Hands an IKE message that arrived on the NAT-T port (marker stripped)
 * to ike_func; main context only. local_ip NULL = the wildcard. */
void cg_net_deliver_natt_ike(CgNet *net, int family, const guint8 *data, gsize len,
                             const struct sockaddr_storage *from, socklen_t from_len,
                             GInetAddress *local_ip);

/* A NAT-T socket opened after the thread started: the thread reads it
 * too. cg_net_esp_thread_remove_fd returns once the thread no longer
 * touches fd, so the caller may close it. Main context. */
void cg_net_esp_thread_add_fd(CgNetEspThread *t, int fd, int family);
void cg_net_esp_thread_remove_fd(CgNetEspThread *t, int fd);

/* Stops and frees the thread (cg_net_free). */
void cg_net_esp_thread_free(CgNetEspThread *t);

G_END_DECLS
