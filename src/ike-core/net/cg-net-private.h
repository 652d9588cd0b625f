/* cg-net-private.h: CgNet's insides, shared by cg-net.c (sockets, the IKE
 * path on the main context) and cg-net-esp.c (the NAT-T receive thread). */
#pragma once

#include "net/cg-net.h"

G_BEGIN_DECLS

#define CG_NET_MAX_DATAGRAM 65536
/* RFC 3948 2.2: IKE on port 4500 starts with four zero octets */
#define NON_ESP_MARKER_LEN 4

typedef struct {
    CgNet *net;
    int fd;
    int family;
    gboolean natt;
    guint source_id;
} CgNetSocket;

typedef struct CgNetEspThread CgNetEspThread;

struct CgNet {
    CgNetSocket sockets[4]; /* v4 ike, v4 natt, v6 ike, v6 natt */
    guint n_sockets;
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

/* Stops and frees the thread (cg_net_free). */
void cg_net_esp_thread_free(CgNetEspThread *t);

G_END_DECLS
