/* cg-engine.h: the engine's public face.
 *
 * The engine owns the IKE sockets, the SA tables, the timers, the crypto
 * worker pool and the event bus. It runs on one GMainContext (the thread
 * default at cg_engine_new time); every call here must be made from that
 * context's thread. Listeners (the logger, the control socket, the NM
 * service) learn everything through the event bus and through snapshots,
 * never by reaching into SA internals.
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "config/cg-config.h"

G_BEGIN_DECLS

#define CG_ENGINE_ERROR (cg_engine_error_quark())
GQuark cg_engine_error_quark(void);

typedef enum {
    CG_ENGINE_ERROR_NOT_FOUND,     /* no such connection or SA */
    CG_ENGINE_ERROR_EXISTS,
    CG_ENGINE_ERROR_INVALID,       /* bad argument */
    CG_ENGINE_ERROR_SOCKET,        /* cannot bind / send */
    CG_ENGINE_ERROR_FAILED,
} CgEngineError;

/* Why an IKE_SA failed or went down: what a user sees (nmcli, cygnetctl). */
typedef enum {
    CG_REASON_NONE = 0,
    CG_REASON_USER,                 /* terminated on request */
    CG_REASON_PEER_DELETE,          /* the peer deleted it */
    CG_REASON_PEER_UNREACHABLE,     /* retransmits exhausted / no answer */
    CG_REASON_DEAD_PEER,            /* liveness check failed */
    CG_REASON_AUTH_FAILED,          /* we or the peer rejected authentication */
    CG_REASON_NO_PROPOSAL,          /* no matching proposal */
    CG_REASON_TS_UNACCEPTABLE,
    CG_REASON_CERT_REJECTED,
    CG_REASON_ADDRESS_FAILURE,      /* no virtual IP could be assigned */
    CG_REASON_REPLACED,             /* unique IDs: a newer SA replaced it */
    CG_REASON_REKEYED,              /* replaced by its rekeyed successor */
    CG_REASON_PROTOCOL_ERROR,       /* malformed exchange, invalid syntax */
    CG_REASON_LOCAL_ERROR,          /* resource or kernel failure */
    CG_REASON_EXPIRED,              /* hard lifetime reached */
    /* certificate and credential failures, each its own (the auth issue) */
    CG_REASON_CERT_UNTRUSTED,       /* the peer's certificate has no path to a trusted CA */
    CG_REASON_CERT_EXPIRED,         /* ... is expired or not yet valid */
    CG_REASON_CERT_REVOKED,         /* ... is revoked (CRL) */
    CG_REASON_ID_MISMATCH,          /* the peer's identity is not the expected one / not in its certificate */
    CG_REASON_LOCAL_CREDENTIALS,    /* our certificate, key, PIN or password is missing or unusable */
} CgReason;
const char *cg_reason_to_string(CgReason reason); /* short token: "auth-failed" */
const char *cg_reason_describe(CgReason reason);  /* user-facing sentence */

typedef enum {
    CG_IKE_STATE_CONNECTING = 0, /* IKE_SA_INIT / IKE_AUTH in progress */
    CG_IKE_STATE_ESTABLISHED,
    CG_IKE_STATE_REKEYING,
    CG_IKE_STATE_DELETING,
    CG_IKE_STATE_DEAD,
} CgIkeState;
const char *cg_ike_state_to_string(CgIkeState state);

/* ---- snapshots (copies; the caller owns them) ------------------------- */

typedef struct {
    char *name;          /* child config name */
    guint32 unique_id;
    guint32 spi_in;      /* host byte order */
    guint32 spi_out;
    guint8 mode;         /* CgChildMode */
    char *proposal;      /* "aes256gcm16-esn" */
    GPtrArray *local_ts; /* char* */
    GPtrArray *remote_ts;
    guint64 bytes_in, bytes_out, packets_in, packets_out;
    gint64 established_at;   /* g_get_real_time() µs */
    gint64 rekey_at;         /* µs, 0 = never */
    gint64 expire_at;        /* µs, 0 = never */
    guint32 reqid;           /* kernel identifiers */
    guint32 mark;
    guint32 if_id;
    gboolean encap;          /* UDP encapsulated */
} CgChildSnapshot;

typedef struct {
    char *conn_name;
    guint32 unique_id;
    CgIkeState state;
    gboolean initiator;
    guint8 spi_i[8], spi_r[8];
    GInetSocketAddress *local;
    GInetSocketAddress *remote;
    gboolean nat_local, nat_remote; /* we / the peer are behind NAT */
    char *proposal;                 /* "aes256gcm16-prfsha256-x25519" */
    char *local_id, *remote_id;
    char *local_auth, *remote_auth; /* "psk", "pubkey", "eap-mschapv2" */
    GBytes *peer_cert_der;          /* NULL without certificates */
    char *eap_identity;             /* NULL */
    GPtrArray *local_vips;          /* char*: addresses assigned to us */
    GPtrArray *remote_vips;         /* char*: addresses we assigned to the peer */
    GPtrArray *dns;                 /* char*: DNS servers received */
    GPtrArray *split_subnets;       /* char*: subnets received (INTERNAL_IP4_SUBNET) */
    GPtrArray *dns_domains;         /* char*: DNS search domains received (RFC 8598) */
    gint64 established_at;
    gint64 rekey_at;
    gint64 reauth_at;
    GPtrArray *children;            /* CgChildSnapshot* */
} CgIkeSnapshot;

void cg_ike_snapshot_free(CgIkeSnapshot *s);
void cg_child_snapshot_free(CgChildSnapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgIkeSnapshot, cg_ike_snapshot_free)

/* ---- the event bus ---------------------------------------------------- */

typedef enum {
    CG_EVENT_IKE_UP = 1,
    CG_EVENT_IKE_DOWN,
    CG_EVENT_IKE_REKEYED,   /* old unique_id -> new unique_id */
    CG_EVENT_CHILD_UP,
    CG_EVENT_CHILD_DOWN,
    CG_EVENT_CHILD_REKEYED,
    CG_EVENT_AUTH,          /* authentication result for a peer */
    CG_EVENT_ERROR,         /* anything that went wrong, with reason */
    CG_EVENT_CONN_LOADED,
    CG_EVENT_CONN_UNLOADED,
} CgEventType;
const char *cg_event_type_to_string(CgEventType t);

typedef struct {
    CgEventType type;
    gint64 time_us;            /* g_get_real_time() when it happened */
    const char *conn_name;     /* may be NULL for engine-wide errors */
    guint32 ike_unique_id;     /* 0 when none */
    guint32 old_ike_unique_id; /* IKE_REKEYED */
    guint32 child_unique_id;
    guint32 old_child_unique_id;
    const char *child_name;
    CgReason reason;
    gboolean success;          /* AUTH */
    const char *message;       /* human text, may be NULL */
    /* A snapshot of the IKE_SA after the change (NULL for DOWN events of
     * SAs that never came up, and for CONN_* events). Borrowed. */
    const CgIkeSnapshot *ike;
} CgEvent;

typedef void (*CgEventFunc)(const CgEvent *event, gpointer user_data);

/* ---- the engine ------------------------------------------------------- */

typedef struct CgEngine CgEngine;

typedef struct {
    const char *bind_address;   /* NULL: all IPv4 and IPv6 addresses */
    guint16 ike_port;           /* default 500; 0 picks a free port (tests) */
    guint16 natt_port;          /* default 4500; 0 picks a free port (tests) */
    guint crypto_workers;       /* 0: number of CPUs */
    guint cookie_threshold;     /* half-open SAs before COOKIEs are demanded; default 50 */
    guint max_half_open;        /* hard bound on half-open SAs; default 5000 */
    const char *kernel_backend; /* "log" (default here), "xfrm", "uesp", "auto" */
    gboolean unique_ids_default;/* TRUE */
    /* Load generators only (bench/loadgen): every IKE_SA this engine
     * initiates reuses one key pair per group, so the generator spends
     * its CPU on the protocol and not on key generation. Never set this
     * for real connections: it gives up forward secrecy between them. */
    gboolean loadgen_reuse_initiator_dh;
} CgEngineOptions;

void cg_engine_options_init(CgEngineOptions *opts);

CgEngine *cg_engine_new(const CgEngineOptions *opts, GError **error);
void cg_engine_free(CgEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgEngine, cg_engine_free)

/* The data plane's tunnel device (uesp: its TUN), or NULL when the
 * backend has none (xfrm, log). */
const char *cg_engine_get_tunnel_ifname(CgEngine *engine);

/* The ports actually bound (useful with port 0). */
guint16 cg_engine_get_ike_port(CgEngine *engine);
guint16 cg_engine_get_natt_port(CgEngine *engine);

/* Connections: adding one with an existing name replaces its config for
 * new SAs; running SAs keep theirs. */
gboolean cg_engine_load_connection(CgEngine *engine, CgConnConfig *config, GError **error);
gboolean cg_engine_unload_connection(CgEngine *engine, const char *name, GError **error);
/* CgConnConfig* borrowed, in load order. */
GPtrArray *cg_engine_list_connections(CgEngine *engine);
CgConnConfig *cg_engine_get_connection(CgEngine *engine, const char *name);

/* Pools: the engine owns them once added. */
gboolean cg_engine_add_pool(CgEngine *engine, CgPool *pool, GError **error);
/* The pool of that name (borrowed), or NULL. */
CgPool *cg_engine_find_pool(CgEngine *engine, const char *name);

/* Secrets: PSKs by identity (text form as cg_identity_parse takes). A PSK
 * matches an IKE_SA when either identity is listed. */
void cg_engine_add_psk(CgEngine *engine, const char *const *ids, GBytes *secret);
void cg_engine_clear_psks(CgEngine *engine);

/* Starts an IKE_SA (and its first CHILD_SAs) for connection `name`.
 * local/remote override the configured addresses (may be NULL). A host
 * name is resolved asynchronously. Returns the IKE_SA's unique id (> 0).
 * The outcome arrives as events (IKE_UP, or IKE_DOWN with a reason). */
guint32 cg_engine_initiate(CgEngine *engine, const char *name, const char *local_addr,
                           const char *remote_addr, GError **error);

/* Deletes IKE_SAs of connection `name` (all, or only those whose remote
 * address is remote_addr). Returns how many were asked to go. */
guint cg_engine_terminate(CgEngine *engine, const char *name, const char *remote_addr,
                          GError **error);
gboolean cg_engine_terminate_ike(CgEngine *engine, guint32 ike_unique_id, GError **error);
gboolean cg_engine_terminate_child(CgEngine *engine, guint32 child_unique_id, GError **error);
/* Forces a rekey now (tests, admins). */
gboolean cg_engine_rekey_ike(CgEngine *engine, guint32 ike_unique_id, GError **error);
gboolean cg_engine_rekey_child(CgEngine *engine, guint32 child_unique_id, GError **error);

/* Snapshots of current IKE_SAs whose connection name starts with prefix
 * (NULL or "" = all). CgIkeSnapshot*, owned by the caller. */
GPtrArray *cg_engine_list_sas(CgEngine *engine, const char *conn_prefix);
/* One IKE_SA's snapshot (owned by the caller), or NULL when it is gone. */
CgIkeSnapshot *cg_engine_get_sa(CgEngine *engine, guint32 ike_unique_id);

/* Address changes (sa/cg-mobike.c). The engine watches rtnetlink and the
 * clocks itself; these let a caller that knows better say so at once.
 * network_changed: re-check the path of every IKE_SA we initiated; one
 * whose route to the peer now leaves from another address moves there
 * (MOBIKE, RFC 4555) or, when the peer lacks MOBIKE, is re-established
 * from there (IKE_REKEYED old -> new). resumed: the host woke up from
 * suspend: the same, then a liveness check on every IKE_SA right away. */
void cg_engine_network_changed(CgEngine *engine);
void cg_engine_resumed(CgEngine *engine);
/* Moves one IKE_SA we initiated to local_addr (tests, admins). */
gboolean cg_engine_migrate_ike(CgEngine *engine, guint32 ike_unique_id, const char *local_addr,
                               GError **error);

guint cg_engine_subscribe(CgEngine *engine, CgEventFunc func, gpointer user_data);
void cg_engine_unsubscribe(CgEngine *engine, guint subscription_id);

typedef struct {
    guint64 ike_sas_established_total;
    guint64 ike_sas_current;
    guint64 half_open_current;
    guint64 child_sas_current;
    guint64 packets_in, packets_out;
    guint64 packets_dropped;     /* malformed, unknown SPI, replay, etc. */
    guint64 cookies_sent;
    guint64 retransmits;
    gint64 started_at;
} CgEngineStats;
void cg_engine_get_stats(CgEngine *engine, CgEngineStats *out);

G_END_DECLS
