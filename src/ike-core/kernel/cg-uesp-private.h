/* cg-uesp-private.h: the user-space ESP backend's shared state.
 *
 * Threads:
 *   main context  SA/policy changes (cg-kernel-uesp.c), routes (cg-uesp-route.c),
 *                 expiry events and counters out to the engine
 *   "cg-uesp-tx"  TUN -> policy -> ESP -> NAT-T socket (cg-uesp-tx.c)
 *   "cg-natt-rx"  cg-net's NAT-T thread calls cg_uesp_rx_batch (cg-uesp-rx.c)
 *   "cg-uesp-raw" plain ESP (IP protocol 50) when an SA is not UDP
 *                 encapsulated (cg-uesp-rx.c)
 * Locking: `lock` (read by the packet threads per batch, written by the
 * main context) guards the tables and SA lifetimes; each SA's own mutex
 * guards its cipher, sequence number or replay window, and counters. The
 * order is always table lock, then SA lock. */
#pragma once

#include <sys/socket.h>

#include "kernel/cg-esp.h"
#include "kernel/cg-gro.h"
#include "kernel/cg-kernel.h"
#include "kernel/cg-nl.h"
#include "kernel/cg-replay.h"
#include "kernel/cg-tun.h"

G_BEGIN_DECLS

/* Policy routing: routes for remote selectors live in their own table,
 * consulted by every packet except those of our own sockets, which carry
 * the bypass mark (so IKE and ESP never loop into the tunnel even when a
 * selector covers the peer, e.g. 0.0.0.0/0). Each instance (one per
 * NetworkManager VPN, several per namespace) has a table and a rule of its
 * own, numbered after its TUN device's ifindex, which is unique in the
 * namespace while the instance lives: one going away leaves the others'
 * rules and routes alone. */
#define CG_UESP_TABLE_BASE    0x63670000u /* "cg"; the table is this + ifindex */
#define CG_UESP_RULE_PRIO_MIN 4500u       /* the priority: this + ifindex mod N */
#define CG_UESP_RULE_PRIO_N   10000u      /* (below the main table's 32766) */
#define CG_UESP_BYPASS_MARK   0x63670000u /* "cg" */
#define CG_UESP_BYPASS_MASK   0xffff0000u
#define CG_UESP_DEFAULT_MTU   1400
#define CG_UESP_TUN_NAME      "cygnet%d"

typedef struct {
    guint32 spi;
    gboolean inbound;
    guint32 reqid;
    char *conn_name;
    guint8 mode;
    int family; /* outer */
    /* outer addresses; ports are the UDP encapsulation ports */
    struct sockaddr_storage local;
    struct sockaddr_storage peer;
    socklen_t addr_len;
    gboolean encap;
    GArray *local_ts; /* CgTrafficSelector, our side */
    GArray *remote_ts;
    guint32 max_inner; /* outbound: largest inner packet the path carries */

    GMutex lock; /* everything below */
    CgEspXform xf;
    guint64 seq;     /* outbound: last number used */
    CgReplay replay; /* inbound */
    guint64 bytes, packets;
    gint64 last_use_us;
    guint64 soft_bytes, hard_bytes, soft_packets, hard_packets;
    gboolean dead; /* past the hard limit: carries nothing more */
    gboolean soft_hit, hard_hit;

    gint64 added_us;
    guint32 soft_time_s, hard_time_s;
    /* set by the packet threads, reported by the main context */
    gint soft_pending, hard_pending;
    gboolean soft_reported, hard_reported; /* main context only */
} UespSa;

typedef struct {
    guint32 reqid;
    GArray *local_ts; /* CgTrafficSelector */
    GArray *remote_ts;
    GArray *prefixes; /* CgIpPrefix routed into the TUN */
    char *conn_name;
} UespPolicy;

typedef struct {
    guint64 packets_in, bytes_in, packets_out, bytes_out;
    guint64 drop_replay, drop_auth, drop_malformed, drop_unknown_spi, drop_policy, drop_no_sa,
        drop_too_big, drop_expired, drop_io;
} UespCounters;

typedef struct CgUesp CgUesp;

struct CgUesp {
    CgKernel base;
    GMainContext *context;
    CgTun tun;
    CgNl *nl;
    guint32 tun_mtu;

    GRWLock lock;
    GHashTable *in_sas;       /* spi -> UespSa* */
    GHashTable *out_sas;      /* spi -> UespSa* */
    GHashTable *out_by_reqid; /* reqid -> newest outbound UespSa* */
    GPtrArray *policies;      /* UespPolicy*, newest last */
    guint generation;         /* bumped on every change, for lookup caches */

    /* main context only */
    GHashTable *reserved_spis; /* spi -> gint64* monotonic us of allocation */
    GHashTable *routes;        /* "family/addr/len" -> guint refcount */
    GPtrArray *vips;           /* CgIpPrefix* on the TUN */
    gboolean rules_added;
    guint32 route_table;   /* this instance's routing table */
    guint32 rule_priority; /* and the priority of its rule */
    guint timer_source;
    int event_fd; /* packet threads -> main: something to report */
    guint event_source;
    UespCounters last_logged;
    CgNet *net;

    /* sending: dups of the engine's NAT-T sockets and the raw ESP sockets */
    int natt_fd[2]; /* [0] IPv4, [1] IPv6; -1 = none */
    int raw_fd[2];

    GThread *tx_thread;
    GThread *raw_thread;
    int stop_fd; /* eventfd: stops the threads */
    gint stopping;

    CgGro *gro_natt; /* receive coalescing of the NAT-T thread */
    CgGro *gro_raw;  /* and of the raw ESP thread */

    UespCounters counters;   /* atomic */
    gint64 log_budget_at_us; /* rate limit for per-packet debug lines */
    gint log_budget;
};

/* counters: any thread */
static inline void
uesp_count(guint64 *counter, guint64 n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}
void cg_uesp_read_counters(CgUesp *u, UespCounters *out);

/* A per-packet debug line, at most a few per second (any thread). */
void cg_uesp_log_drop(CgUesp *u, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Tells the main context that an SA crossed a lifetime (any thread). */
void cg_uesp_notify(CgUesp *u);
/* Accounts a packet on sa (lock held): counters and lifetimes. */
void cg_uesp_sa_account(CgUesp *u, UespSa *sa, gsize inner_len);

/* outbound SA for a packet, or NULL (table lock held, any thread) */
UespSa *cg_uesp_lookup_out(CgUesp *u, guint8 version, const guint8 *src, const guint8 *dst,
                           guint8 protocol, guint16 sport, guint16 dport, guint32 *reqid_out);
gboolean cg_uesp_ts_allows(const GArray *ts, guint8 version, const guint8 *addr, guint8 protocol,
                           guint16 port);

/* cg-uesp-tx.c */
gboolean cg_uesp_tx_start(CgUesp *u, GError **error);
void cg_uesp_threads_stop(CgUesp *u);

/* cg-uesp-rx.c */
void cg_uesp_rx_batch(gpointer user_data, CgNetEspPacket *pkts, guint n_pkts);
/* one packet, from the SPI on, decrypted in place; the inner packet goes
 * to gro (flushed by the caller) or, with NULL, straight to the TUN */
void cg_uesp_rx_one(CgUesp *u, guint8 *pkt, gsize len, const struct sockaddr *from, gboolean encap,
                    CgGro *gro);
/* CgGroWriteFunc into the TUN device (counts failures) */
gboolean cg_uesp_tun_write(gpointer user_data, const struct iovec *iov, int n_iov);
gboolean cg_uesp_raw_start(CgUesp *u, int family, GError **error);

/* cg-uesp-route.c (main context) */
gboolean cg_uesp_routing_init(CgUesp *u, GError **error);
void cg_uesp_routing_cleanup(CgUesp *u);
gboolean cg_uesp_routes_add(CgUesp *u, UespPolicy *p, GError **error);
void cg_uesp_routes_del(CgUesp *u, UespPolicy *p);
gboolean cg_uesp_vip_add(CgUesp *u, GInetAddress *addr, guint prefix, GError **error);
gboolean cg_uesp_vip_del(CgUesp *u, GInetAddress *addr, guint prefix, GError **error);
/* recomputes and sets the TUN MTU from the outbound SAs */
void cg_uesp_update_mtu(CgUesp *u);

char *cg_uesp_sockaddr_string(const struct sockaddr *sa);

G_END_DECLS
