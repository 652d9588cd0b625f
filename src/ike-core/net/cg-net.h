/* cg-net.h: the IKE sockets: UDP 500 and 4500 (NAT-T, RFC 3948) on IPv4
 * and IPv6, with the local address of every datagram (IP_PKTINFO) so
 * replies leave from the address the peer talked to. */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <sys/socket.h>

G_BEGIN_DECLS

typedef struct CgNet CgNet;

/* An IKE message (non-ESP marker already stripped on the NAT-T port). */
typedef void (*CgNetIkeFunc)(gpointer user_data, const guint8 *data, gsize len,
                             GSocketAddress *local, GSocketAddress *remote, gboolean natt);
/* An ESP-in-UDP packet that arrived on the NAT-T port. */
typedef void (*CgNetEspFunc)(gpointer user_data, const guint8 *data, gsize len,
                             GSocketAddress *local, GSocketAddress *remote);

/* Process-wide, for the CgNets created after the call: share fixed ports
 * (500/4500) with other processes' engines in the same network namespace
 * (SO_REUSEPORT). Each peer we send to then gets a socket connected to it
 * on the same local port, so that the kernel hands its datagrams to us
 * (a connected socket's exact match beats every wildcard one). For a
 * process that talks to a few gateways (the NetworkManager service); a
 * peer may only have one such sharer per namespace. Every sharing engine
 * of a process must run in the one main context (no locking between
 * them). */
void cg_net_set_port_sharing(gboolean share);

/* Binds UDP ike_port and natt_port (0 = any free port) on bind_address
 * (NULL = every IPv4 and IPv6 address). */
CgNet *cg_net_new(const char *bind_address, guint16 ike_port, guint16 natt_port,
                  CgNetIkeFunc ike_func, CgNetEspFunc esp_func, gpointer user_data, GError **error);
void cg_net_free(CgNet *net);

/* Called for each socket CgNet opens after cg_net_new (the sockets
 * connected to peers when the ports are shared), so that the data plane
 * can treat it like the wildcard ones (xfrm's per-socket bypass policy).
 * SO_MARK and UDP_ENCAP are copied from the wildcard socket anyway. */
typedef void (*CgNetSocketFunc)(gpointer user_data, int fd, int family, gboolean natt);
void cg_net_set_socket_setup(CgNet *net, CgNetSocketFunc func, gpointer user_data);

guint16 cg_net_ike_port(CgNet *net);
guint16 cg_net_natt_port(CgNet *net);
/* the socket for a family (AF_INET/AF_INET6) and port, or -1 */
int cg_net_fd(CgNet *net, int family, gboolean natt);

/* Sends from `local` (its address, when not the wildcard) to `remote`.
 * natt: the NAT-T socket, with the non-ESP marker in front (RFC 3948 2.2). */
gboolean cg_net_send_ike(CgNet *net, GSocketAddress *local, GSocketAddress *remote, gboolean natt,
                         const guint8 *data, gsize len, GError **error);
/* Sends an ESP-in-UDP packet or a NAT keepalive (one 0xff byte) on the
 * NAT-T socket, without the marker. */
gboolean cg_net_send_natt_raw(CgNet *net, GSocketAddress *local, GSocketAddress *remote,
                              const guint8 *data, gsize len, GError **error);

/* ---- the ESP receive thread (user-space ESP) ---------------------------- */

/* One ESP-in-UDP packet, from the SPI on. The consumer may change the
 * bytes (decrypt in place); they are valid until it returns. */
typedef struct {
    guint8 *data;
    gsize len;
    const struct sockaddr *from;
    socklen_t from_len;
} CgNetEspPacket;

/* Runs on the receive thread, once per batch. */
typedef void (*CgNetEspBatchFunc)(gpointer user_data, CgNetEspPacket *pkts, guint n_pkts);

typedef struct {
    guint64 datagrams;  /* UDP datagrams read (GRO segments counted singly) */
    guint64 esp;        /* handed to the consumer */
    guint64 ike;        /* IKE behind the marker, queued to the main context */
    guint64 keepalives; /* RFC 3948 2.3 */
    guint64 dropped;    /* truncated, or IKE queue full */
} CgNetEspStats;

/* Moves the NAT-T sockets off the main context onto a receive thread that
 * reads them in batches (recvmmsg, UDP GRO): ESP goes to func on that
 * thread, IKE messages still reach ike_func on the main context (in
 * order, through a bounded queue), keepalives are dropped. Call from the
 * main context, at most once; cg_net_free stops the thread. */
gboolean cg_net_start_esp_thread(CgNet *net, CgNetEspBatchFunc func, gpointer user_data,
                                 GError **error);
/* Zeros before the thread started. Any thread. */
void cg_net_get_esp_stats(CgNet *net, CgNetEspStats *out);

/* The source address the kernel would use to reach `remote` (routing
 * lookup by connecting a throwaway UDP socket). */
GInetAddress *cg_net_route_source(GInetAddress *remote, GError **error);

/* Helpers to turn GSocketAddress into sockaddr and back. */
gboolean cg_sockaddr_equal(GSocketAddress *a, GSocketAddress *b);
char *cg_sockaddr_to_string(GSocketAddress *a); /* "10.0.0.1[500]" */
GInetAddress *cg_sockaddr_inet(GSocketAddress *a);
guint16 cg_sockaddr_port(GSocketAddress *a);
int cg_sockaddr_family(GSocketAddress *a);

G_END_DECLS
