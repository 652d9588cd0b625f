/* cg-engine.c: sockets, SA tables, connections, secrets and the event bus. */
#include "engine/cg-engine.h"

#include <string.h>

#include "engine/cg-family.h"
#include "engine/cg-timerq.h"
#include "net/cg-net.h"
#include "net/cg-netmon.h"
#include "sa/cg-sa-private.h"

G_DEFINE_QUARK(cg-engine-error-quark, cg_engine_error)

#define COOKIE_SECRET_LEN 32
#define COOKIE_SECRET_LIFETIME_US (120 * G_USEC_PER_SEC)

typedef struct {
    guint id;
    CgEventFunc func;
    gpointer user_data;
} CgSubscriber;

typedef struct {
    GPtrArray *ids; /* CgIdentity* (type 0 = any) */
    GBytes *secret;
} CgPskEntry;

struct CgEngine {
    CgEngineOptions opts;
    GMainContext *context;
    CgNet *net;
    CgKernel *kernel;
    GThreadPool *crypto_pool;
    GThreadPool *blocking_pool; /* jobs that wait on the network (OCSP) */
    gint closing;               /* atomic: cg_engine_free has begun */

    GPtrArray *connections;    /* CgConnConfig*, load order */
    GPtrArray *pools;          /* CgPool* owned */
    GPtrArray *psks;           /* CgPskEntry* */
    GHashTable *sas_by_spi;    /* guint64 local SPI -> CgIkeSa* */
    GHashTable *half_open_by_init; /* "spi_i|remote" -> CgIkeSa*, responder */
    GPtrArray *all_sas;        /* every live CgIkeSa* (owned) */

    GArray *subscribers;       /* CgSubscriber */
    guint next_subscriber_id;
    guint publishing;          /* >0 while callbacks run */

    guint32 next_unique_id;
    guint32 next_reqid;
    guint half_open;

    CgDh *loadgen_dh[4]; /* loadgen_reuse_initiator_dh: one per recent group */
    guint8 cookie_secret[COOKIE_SECRET_LEN];
    gint64 cookie_secret_born_us;

    GCancellable *cancellable; /* pending name lookups */
    CgTimerQueue *timers;      /* every SA timer */
    CgNetmon *netmon;          /* links, addresses, routes, resumes (sa/cg-mobike.c acts) */
    GHashTable *by_peer;       /* "conn|type|id" -> GPtrArray of established CgIkeSa* */
    GHashTable *attempts;      /* IKE_SA unique id -> CgAttempt*: a host name's addresses */
    CgEngineStats stats;
};

/* A host name's addresses, tried one after the other by one IKE_SA (the
 * same SPI and nonce, a fresh IKE_SA_INIT to each address). */
typedef struct {
    CgEngine *engine;
    guint32 ike_unique_id;
    char *host;       /* the name as configured */
    GPtrArray *addrs; /* GInetAddress*, in the order to try (cg-family.h) */
    guint next;       /* index of the next address to try */
    char *local;      /* configured local address, or NULL */
    GPtrArray *tried; /* char*: "10.0.0.1: no answer within 1000 ms", for the failure reason */
    guint timer;      /* the current address's first-attempt window */
} CgAttempt;

static void
attempt_free(gpointer p)
{
    CgAttempt *a = p;
    if (a->timer)
        cg_engine_timer_remove(a->engine, a->timer);
    g_ptr_array_unref(a->addrs);
    g_ptr_array_unref(a->tried);
    g_free(a->host);
    g_free(a->local);
    g_free(a);
}

/* ---- small helpers ---------------------------------------------------- */

static guint64 spi_key(const guint8 spi[8])
{
    guint64 k;
    memcpy(&k, spi, 8);
    return k;
}

static char *init_key(const guint8 spi_i[8], GSocketAddress *remote)
{
    g_autofree char *addr = cg_sockaddr_to_string(remote);
    return g_strdup_printf("%016" G_GINT64_MODIFIER "x|%s", (guint64)spi_key(spi_i), addr);
}

void cg_engine_options_init(CgEngineOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->ike_port = 500;
    opts->natt_port = 4500;
    opts->cookie_threshold = 50;
    opts->max_half_open = 5000;
    opts->kernel_backend = "log";
    opts->unique_ids_default = TRUE;
}

const char *cg_reason_to_string(CgReason r)
{
    switch (r) {
        case CG_REASON_NONE: return "none";
        case CG_REASON_USER: return "user";
        case CG_REASON_PEER_DELETE: return "peer-delete";
        case CG_REASON_PEER_UNREACHABLE: return "peer-unreachable";
        case CG_REASON_DEAD_PEER: return "dead-peer";
        case CG_REASON_AUTH_FAILED: return "auth-failed";
        case CG_REASON_NO_PROPOSAL: return "no-proposal";
        case CG_REASON_TS_UNACCEPTABLE: return "ts-unacceptable";
        case CG_REASON_CERT_REJECTED: return "cert-rejected";
        case CG_REASON_ADDRESS_FAILURE: return "address-failure";
        case CG_REASON_REPLACED: return "replaced";
        case CG_REASON_REKEYED: return "rekeyed";
        case CG_REASON_PROTOCOL_ERROR: return "protocol-error";
        case CG_REASON_LOCAL_ERROR: return "local-error";
        case CG_REASON_EXPIRED: return "expired";
        case CG_REASON_CERT_UNTRUSTED: return "cert-untrusted";
        case CG_REASON_CERT_EXPIRED: return "cert-expired";
        case CG_REASON_CERT_REVOKED: return "cert-revoked";
        case CG_REASON_ID_MISMATCH: return "identity-mismatch";
        case CG_REASON_LOCAL_CREDENTIALS: return "local-credentials";
    }
    return "unknown";
}

const char *cg_reason_describe(CgReason r)
{
    switch (r) {
        case CG_REASON_NONE: return "no error";
        case CG_REASON_USER: return "closed on request";
        case CG_REASON_PEER_DELETE: return "the gateway closed the connection";
        case CG_REASON_PEER_UNREACHABLE: return "the gateway did not answer";
        case CG_REASON_DEAD_PEER: return "the gateway stopped answering liveness checks";
        case CG_REASON_AUTH_FAILED: return "authentication failed";
        case CG_REASON_NO_PROPOSAL: return "no matching proposal: the gateway accepts none of our algorithms";
        case CG_REASON_TS_UNACCEPTABLE: return "the gateway refused the requested networks (traffic selectors)";
        case CG_REASON_CERT_REJECTED: return "the gateway's certificate was rejected";
        case CG_REASON_ADDRESS_FAILURE: return "no virtual IP address could be assigned";
        case CG_REASON_REPLACED: return "replaced by a newer connection from the same identity";
        case CG_REASON_REKEYED: return "replaced by its rekeyed successor";
        case CG_REASON_PROTOCOL_ERROR: return "protocol error";
        case CG_REASON_LOCAL_ERROR: return "local error";
        case CG_REASON_EXPIRED: return "lifetime expired";
        case CG_REASON_CERT_UNTRUSTED: return "the gateway's certificate is not issued by a trusted CA";
        case CG_REASON_CERT_EXPIRED: return "the gateway's certificate has expired or is not yet valid";
        case CG_REASON_CERT_REVOKED: return "the gateway's certificate has been revoked";
        case CG_REASON_ID_MISMATCH: return "the gateway's identity does not match the expected one or its certificate";
        case CG_REASON_LOCAL_CREDENTIALS: return "our certificate, private key, PIN or password is missing or unusable";
    }
    return "unknown";
}

const char *cg_ike_state_to_string(CgIkeState s)
{
    switch (s) {
        case CG_IKE_STATE_CONNECTING: return "connecting";
        case CG_IKE_STATE_ESTABLISHED: return "established";
        case CG_IKE_STATE_REKEYING: return "rekeying";
        case CG_IKE_STATE_DELETING: return "deleting";
        case CG_IKE_STATE_DEAD: return "dead";
    }
    return "unknown";
}

const char *cg_event_type_to_string(CgEventType t)
{
    switch (t) {
        case CG_EVENT_IKE_UP: return "ike-up";
        case CG_EVENT_IKE_DOWN: return "ike-down";
        case CG_EVENT_IKE_REKEYED: return "ike-rekeyed";
        case CG_EVENT_CHILD_UP: return "child-up";
        case CG_EVENT_CHILD_DOWN: return "child-down";
        case CG_EVENT_CHILD_REKEYED: return "child-rekeyed";
        case CG_EVENT_AUTH: return "auth";
        case CG_EVENT_ERROR: return "error";
        case CG_EVENT_CONN_LOADED: return "connection-loaded";
        case CG_EVENT_CONN_UNLOADED: return "connection-unloaded";
    }
    return "unknown";
}

/* ---- receive path --------------------------------------------------- */

static void on_ike_datagram(gpointer user_data, const guint8 *data, gsize len,
                            GSocketAddress *local, GSocketAddress *remote, gboolean natt)
{
    CgEngine *engine = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *from = NULL;
    CgMessage *msg = g_new(CgMessage, 1);

    engine->stats.packets_in++;
    if (!cg_message_parse(data, len, msg, &error)) {
        from = cg_sockaddr_to_string(remote);
        engine->stats.packets_dropped++;
        cg_info(NULL, "dropped %zu bytes from %s: %s", len, from, error->message);
        /* RFC 7296 2.5: an IKE_SA_INIT request with an unknown critical
         * payload is answered with UNSUPPORTED_CRITICAL_PAYLOAD */
        if (g_error_matches(error, CG_CODEC_ERROR, CG_CODEC_ERROR_CRITICAL) &&
            msg->header.exchange_type == CG_EXCH_IKE_SA_INIT &&
            !(msg->header.flags & CG_FLAG_RESPONSE) && msg->unsupported_critical)
            cg_ike_init_reject_critical(engine, &msg->header, msg->unsupported_critical, local,
                                        remote, natt);
        g_free(msg);
        return;
    }
    const CgIkeHeader *h = &msg->header;
    gboolean is_response = (h->flags & CG_FLAG_RESPONSE) != 0;
    /* The SPI that is ours: as original responder it is SPIr, else SPIi.
     * RFC 7296 3.1: the Initiator flag says who sent it. */
    gboolean sender_is_initiator = (h->flags & CG_FLAG_INITIATOR) != 0;
    const guint8 *our_spi = sender_is_initiator ? h->spi_r : h->spi_i;

    CgIkeSa *ike = NULL;
    static const guint8 zero_spi[8] = {0};
    if (h->exchange_type == CG_EXCH_IKE_SA_INIT && !is_response &&
        memcmp(h->spi_r, zero_spi, 8) == 0) {
        g_autofree char *key = init_key(h->spi_i, remote);
        ike = g_hash_table_lookup(engine->half_open_by_init, key);
        if (!ike) {
            cg_ike_init_respond(engine, msg, data, len, local, remote, natt);
            g_free(msg);
            return;
        }
    } else {
        guint64 k = spi_key(our_spi);
        ike = g_hash_table_lookup(engine->sas_by_spi, &k);
    }
    if (!ike) {
        from = cg_sockaddr_to_string(remote);
        engine->stats.packets_dropped++;
        cg_debug(NULL, "dropped %s %s from %s: no IKE_SA with SPI %016" G_GINT64_MODIFIER "x",
                 cg_exchange_name(h->exchange_type), is_response ? "response" : "request", from,
                 GUINT64_FROM_BE(spi_key(our_spi)));
        /* RFC 7296 2.21.4: INVALID_IKE_SPI may be sent, unprotected; we
         * stay silent to avoid being a reflector. */
        g_free(msg);
        return;
    }
    if (is_response && h->exchange_type == CG_EXCH_IKE_SA_INIT && ike->initiator && ike->remote
        && !cg_sockaddr_equal(remote, ike->remote)
        && g_hash_table_contains(engine->attempts, GUINT_TO_POINTER(ike->unique_id))) {
        /* an address we gave up on answered late: we are talking to
         * another one now, and its NAT detection would not match */
        from = cg_sockaddr_to_string(remote);
        cg_ike_sa_log(ike, CG_LOG_INFO, "ignored a late IKE_SA_INIT response from %s", from);
        g_free(msg);
        return;
    }
    cg_ike_sa_process(ike, msg, data, len, local, remote, natt);
    g_free(msg);
}

static void on_esp_datagram(gpointer user_data, const guint8 *data, gsize len,
                            GSocketAddress *local, GSocketAddress *remote)
{
    CgEngine *engine = user_data;
    if (!engine->kernel->ops->deliver_esp ||
        !engine->kernel->ops->deliver_esp(engine->kernel, data, len,
                                          G_INET_SOCKET_ADDRESS(remote),
                                          G_INET_SOCKET_ADDRESS(local)))
        engine->stats.packets_dropped++;
}

/* ---- kernel listener -------------------------------------------------- */

static CgChildSa *find_child_by_reqid(CgEngine *engine, guint32 reqid)
{
    for (guint i = 0; i < engine->all_sas->len; i++) {
        CgIkeSa *ike = engine->all_sas->pdata[i];
        for (guint j = 0; ike->children && j < ike->children->len; j++) {
            CgChildSa *c = ike->children->pdata[j];
            if (c->reqid == reqid && c->state == CG_CHILD_INSTALLED)
                return c;
        }
    }
    return NULL;
}

static void on_kernel_expire(gpointer user_data, guint32 reqid, guint32 spi, gboolean inbound,
                             gboolean hard)
{
    CgEngine *engine = user_data;
    CgChildSa *child = find_child_by_reqid(engine, reqid);
    if (!child)
        return;
    if (hard)
        cg_delete_child_start(child);
    else
        cg_rekey_child_start(child);
}

static void on_kernel_acquire(gpointer user_data, guint32 reqid, const CgTrafficSelector *src,
                              const CgTrafficSelector *dst)
{
    cg_debug(NULL, "acquire for reqid %u ignored (no trap policies installed)", reqid);
}

/* ---- the host's network (net/cg-netmon.c, sa/cg-mobike.c) ------------------ */

static void on_network_changed(gpointer user_data)
{
    cg_engine_network_changed(user_data);
}

static void on_resumed(gpointer user_data)
{
    cg_engine_resumed(user_data);
}

/* ---- crypto worker pool ------------------------------------------------ */

typedef struct {
    CgEngine *engine;
    CgWorkFunc work;
    CgDoneFunc done;
    gpointer data;
} CgCryptoJob;

static gboolean crypto_job_done(gpointer user_data)
{
    CgCryptoJob *job = user_data;
    job->done(job->data);
    g_free(job);
    return G_SOURCE_REMOVE;
}

static void crypto_worker(gpointer data, gpointer user_data)
{
    CgCryptoJob *job = data;
    job->work(job->data);
    g_main_context_invoke(job->engine->context, crypto_job_done, job);
}

static CgCryptoJob *crypto_job_new(CgEngine *engine, CgWorkFunc work, CgDoneFunc done,
                                   gpointer data)
{
    CgCryptoJob *job = g_new0(CgCryptoJob, 1);
    job->engine = engine;
    job->work = work;
    job->done = done;
    job->data = data;
    return job;
}

void cg_engine_run_crypto(CgEngine *engine, CgWorkFunc work, CgDoneFunc done, gpointer data)
{
    CgCryptoJob *job = crypto_job_new(engine, work, done, data);
    if (!engine->crypto_pool) {
        work(data);
        crypto_job_done(job);
        return;
    }
    g_thread_pool_push(engine->crypto_pool, job, NULL);
}

/* Jobs that may wait seconds for another host (an OCSP responder) get
 * threads of their own: they must not hold up the crypto workers, and
 * never run inline on the engine's context, whatever crypto_workers says. */
#define BLOCKING_WORKERS 4

void cg_engine_run_blocking(CgEngine *engine, CgWorkFunc work, CgDoneFunc done, gpointer data)
{
    CgCryptoJob *job = crypto_job_new(engine, work, done, data);
    if (!engine->blocking_pool)
        engine->blocking_pool = g_thread_pool_new(crypto_worker, NULL, BLOCKING_WORKERS, FALSE,
                                                  NULL);
    g_thread_pool_push(engine->blocking_pool, job, NULL);
}

/* ---- lifecycle -------------------------------------------------------- */

static void psk_entry_free(gpointer p)
{
    CgPskEntry *e = p;
    g_ptr_array_unref(e->ids);
    g_bytes_unref(e->secret);
    g_free(e);
}

static void identity_free(gpointer p)
{
    cg_identity_clear(p);
    g_free(p);
}

/* IKE and NAT-T sockets never go into the tunnel (xfrm: a per-socket
 * bypass policy; uesp marks them itself) */
static void
bypass_socket(gpointer user_data, int fd, int family, gboolean natt)
{
    CgEngine *engine = user_data;
    if (engine->kernel->ops->bypass_socket)
        engine->kernel->ops->bypass_socket(engine->kernel, fd, family, NULL);
}

CgEngine *cg_engine_new(const CgEngineOptions *opts, GError **error)
{
    g_autoptr(CgEngine) engine = g_new0(CgEngine, 1);
    if (opts)
        engine->opts = *opts;
    else
        cg_engine_options_init(&engine->opts);
    if (!engine->opts.kernel_backend)
        engine->opts.kernel_backend = "log";
    if (!engine->opts.cookie_threshold)
        engine->opts.cookie_threshold = 50;
    if (!engine->opts.max_half_open)
        engine->opts.max_half_open = 5000;

    if (!cg_crypto_init(NULL, error))
        return NULL;

    engine->context = g_main_context_ref_thread_default();
    engine->cancellable = g_cancellable_new();
    engine->timers = cg_timerq_new(engine->context);
    engine->by_peer = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)g_ptr_array_unref);
    engine->connections = g_ptr_array_new_with_free_func((GDestroyNotify)cg_conn_config_unref);
    engine->pools = g_ptr_array_new_with_free_func((GDestroyNotify)cg_pool_free);
    engine->psks = g_ptr_array_new_with_free_func(psk_entry_free);
    engine->sas_by_spi = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    engine->half_open_by_init = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    engine->all_sas = g_ptr_array_new();
    engine->attempts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, attempt_free);
    engine->subscribers = g_array_new(FALSE, TRUE, sizeof(CgSubscriber));
    engine->next_unique_id = 1;
    engine->next_reqid = 1;
    engine->stats.started_at = g_get_real_time();
    cg_random_bytes(engine->cookie_secret, COOKIE_SECRET_LEN);
    engine->cookie_secret_born_us = g_get_monotonic_time();

    CgKernelListener listener = {
        .expire = on_kernel_expire,
        .acquire = on_kernel_acquire,
        .user_data = engine,
    };
    engine->kernel = cg_kernel_new(engine->opts.kernel_backend, &listener, error);
    if (!engine->kernel)
        return NULL;

    engine->net = cg_net_new(engine->opts.bind_address, engine->opts.ike_port,
                             engine->opts.natt_port, on_ike_datagram, on_esp_datagram, engine,
                             error);
    if (!engine->net)
        return NULL;
    for (int fam = 0; fam < 2; fam++) {
        for (int natt = 0; natt < 2; natt++) {
            int fd = cg_net_fd(engine->net, fam ? AF_INET6 : AF_INET, natt);
            if (fd >= 0)
                bypass_socket(engine, fd, fam ? AF_INET6 : AF_INET, natt);
        }
    }
    /* and the sockets connected to peers later (shared ports) */
    cg_net_set_socket_setup(engine->net, bypass_socket, engine);
    /* uesp sends and receives ESP-in-UDP on the NAT-T socket, xfrm marks
     * it for the kernel's decapsulation (RFC 3948) */
    if (engine->kernel->ops->attach_net &&
        !engine->kernel->ops->attach_net(engine->kernel, engine->net, error))
        return NULL;

    g_autoptr(GError) netmon_error = NULL;
    engine->netmon = cg_netmon_new(on_network_changed, on_resumed, engine, &netmon_error);
    if (!engine->netmon)
        cg_warn(NULL, "not watching address changes: %s", netmon_error->message);

    guint workers = engine->opts.crypto_workers;
    if (workers == 0)
        workers = g_get_num_processors();
    if (workers > 64)
        workers = 64;
    /* One worker on a one-core machine would only add hand-off latency. */
    if (workers > 1 || engine->opts.crypto_workers == 1)
        engine->crypto_pool = g_thread_pool_new(crypto_worker, NULL, (gint)workers, FALSE, NULL);

    cg_info(NULL, "engine listening on IKE port %u and NAT-T port %u, %s data plane, %u crypto worker%s",
            cg_net_ike_port(engine->net), cg_net_natt_port(engine->net),
            cg_kernel_name(engine->kernel), engine->crypto_pool ? workers : 0,
            engine->crypto_pool && workers == 1 ? "" : "s");
    return g_steal_pointer(&engine);
}

gboolean cg_engine_closing(CgEngine *engine)
{
    return g_atomic_int_get(&engine->closing);
}

void cg_engine_free(CgEngine *engine)
{
    if (!engine)
        return;
    /* no new blocking jobs; those queued skip their work */
    g_atomic_int_set(&engine->closing, 1);
    if (engine->cancellable) {
        g_cancellable_cancel(engine->cancellable);
        g_clear_object(&engine->cancellable);
    }
    g_clear_pointer(&engine->netmon, cg_netmon_free);
    /* Workers may still post results: finish them first. */
    if (engine->crypto_pool) {
        g_thread_pool_free(engine->crypto_pool, FALSE, TRUE);
        engine->crypto_pool = NULL;
        while (g_main_context_iteration(engine->context, FALSE))
            ;
    }
    if (engine->blocking_pool) {
        /* an OCSP fetch in flight ends within its timeout */
        g_thread_pool_free(engine->blocking_pool, FALSE, TRUE);
        engine->blocking_pool = NULL;
        while (g_main_context_iteration(engine->context, FALSE))
            ;
    }
    if (engine->all_sas) {
        while (engine->all_sas->len) {
            CgIkeSa *ike = engine->all_sas->pdata[engine->all_sas->len - 1];
            g_ptr_array_remove_index(engine->all_sas, engine->all_sas->len - 1);
            ike->in_table = FALSE;
            cg_ike_sa_free(ike);
        }
        g_ptr_array_unref(engine->all_sas);
    }
    /* before the timer queue: an attempt removes its timer */
    g_clear_pointer(&engine->attempts, g_hash_table_unref);
    g_clear_pointer(&engine->timers, cg_timerq_free);
    g_clear_pointer(&engine->by_peer, g_hash_table_unref);
    cg_net_free(engine->net);
    if (engine->kernel)
        cg_kernel_free(engine->kernel);
    g_clear_pointer(&engine->sas_by_spi, g_hash_table_unref);
    g_clear_pointer(&engine->half_open_by_init, g_hash_table_unref);
    g_clear_pointer(&engine->connections, g_ptr_array_unref);
    g_clear_pointer(&engine->pools, g_ptr_array_unref);
    g_clear_pointer(&engine->psks, g_ptr_array_unref);
    g_clear_pointer(&engine->subscribers, g_array_unref);
    for (guint i = 0; i < G_N_ELEMENTS(engine->loadgen_dh); i++)
        g_clear_pointer(&engine->loadgen_dh[i], cg_dh_free);
    cg_memzero(engine->cookie_secret, sizeof(engine->cookie_secret));
    if (engine->context)
        g_main_context_unref(engine->context);
    g_free(engine);
}

const char *cg_engine_get_tunnel_ifname(CgEngine *engine)
{
    CgKernel *k = engine->kernel;
    return k->ops->tunnel_ifname ? k->ops->tunnel_ifname(k) : NULL;
}

guint16 cg_engine_get_ike_port(CgEngine *engine)
{
    return cg_net_ike_port(engine->net);
}

guint16 cg_engine_get_natt_port(CgEngine *engine)
{
    return cg_net_natt_port(engine->net);
}

CgDh *cg_engine_loadgen_dh(CgEngine *engine, guint16 group)
{
    if (!engine->opts.loadgen_reuse_initiator_dh)
        return NULL;
    guint free_slot = G_N_ELEMENTS(engine->loadgen_dh);
    for (guint i = 0; i < G_N_ELEMENTS(engine->loadgen_dh); i++) {
        if (engine->loadgen_dh[i] && cg_dh_group(engine->loadgen_dh[i]) == group)
            return engine->loadgen_dh[i];
        if (!engine->loadgen_dh[i] && free_slot == G_N_ELEMENTS(engine->loadgen_dh))
            free_slot = i;
    }
    if (free_slot == G_N_ELEMENTS(engine->loadgen_dh))
        return NULL;
    engine->loadgen_dh[free_slot] = cg_dh_new(group, NULL);
    return engine->loadgen_dh[free_slot];
}

guint16 cg_engine_natt_port(CgEngine *engine)
{
    return cg_net_natt_port(engine->net);
}

/* Routed like the IKE sockets: with their firewall mark (uesp marks them
 * to bypass its tunnel). */
GInetAddress *cg_engine_route_source(CgEngine *engine, GInetAddress *remote, GError **error)
{
    int family = g_inet_address_get_family(remote) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
    int fd = cg_net_fd(engine->net, family, FALSE);
    guint32 mark = 0;
    socklen_t len = sizeof(mark);
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len) < 0)
        mark = 0;
    return cg_netmon_route_source(remote, mark, error);
}

CgKernel *cg_engine_kernel(CgEngine *engine)
{
    return engine->kernel;
}

guint cg_engine_timer_add(CgEngine *engine, guint interval_ms, GSourceFunc func, gpointer data)
{
    return cg_timerq_add_ms(engine->timers, interval_ms, func, data);
}

void cg_engine_timer_remove(CgEngine *engine, guint id)
{
    if (engine->timers)
        cg_timerq_remove(engine->timers, id);
}

guint32 cg_engine_next_unique_id(CgEngine *engine)
{
    return engine->next_unique_id++;
}

guint32 cg_engine_next_reqid(CgEngine *engine)
{
    return engine->next_reqid++;
}

/* ---- events ----------------------------------------------------------- */

guint cg_engine_subscribe(CgEngine *engine, CgEventFunc func, gpointer user_data)
{
    CgSubscriber s = {.id = ++engine->next_subscriber_id, .func = func, .user_data = user_data};
    g_array_append_val(engine->subscribers, s);
    return s.id;
}

void cg_engine_unsubscribe(CgEngine *engine, guint id)
{
    for (guint i = 0; i < engine->subscribers->len; i++) {
        CgSubscriber *s = &g_array_index(engine->subscribers, CgSubscriber, i);
        if (s->id == id) {
            /* while publishing, blank it so the loop's indices stay valid */
            if (engine->publishing)
                s->func = NULL;
            else
                g_array_remove_index(engine->subscribers, i);
            return;
        }
    }
}

void cg_engine_publish_full(CgEngine *engine, const CgEvent *ev, CgIkeSa *ike)
{
    g_autoptr(CgIkeSnapshot) snap = NULL;
    g_autofree char *all_tried = NULL;
    CgEvent e = *ev;
    CgAttempt *a = e.type == CG_EVENT_IKE_DOWN && e.reason == CG_REASON_PEER_UNREACHABLE
                       ? g_hash_table_lookup(engine->attempts, GUINT_TO_POINTER(e.ike_unique_id))
                       : NULL;
    if (a && a->tried->len > 0) {
        /* a user wants to see every address that failed, and how */
        GString *m = g_string_new(NULL);
        g_string_append_printf(m, "no address of %s answered: ", a->host);
        for (guint i = 0; i < a->tried->len; i++)
            g_string_append_printf(m, "%s; ", (char *)a->tried->pdata[i]);
        if (ike && ike->remote) {
            g_autofree char *last = g_inet_address_to_string(cg_sockaddr_inet(ike->remote));
            g_string_append_printf(m, "%s: %s", last,
                                   e.message ? e.message : cg_reason_describe(e.reason));
        } else {
            g_string_truncate(m, m->len - 2);
        }
        all_tried = g_string_free(m, FALSE);
        e.message = all_tried;
        if (ike)
            cg_ike_sa_log(ike, CG_LOG_WARNING, "%s", all_tried);
    }
    if (engine->subscribers->len == 0)
        return; /* nobody listens: skip building the snapshot */
    if (ike && !e.ike) {
        snap = cg_ike_sa_snapshot(ike);
        e.ike = snap;
    }
    engine->publishing++;
    for (guint i = 0; i < engine->subscribers->len; i++) {
        CgSubscriber s = g_array_index(engine->subscribers, CgSubscriber, i);
        if (s.func)
            s.func(&e, s.user_data);
    }
    engine->publishing--;
    if (!engine->publishing) {
        for (guint i = engine->subscribers->len; i > 0; i--)
            if (!g_array_index(engine->subscribers, CgSubscriber, i - 1).func)
                g_array_remove_index(engine->subscribers, i - 1);
    }
}

void cg_engine_publish(CgEngine *engine, CgEventType type, CgIkeSa *ike, CgChildSa *child,
                       CgReason reason, const char *message)
{
    CgEvent ev = {
        .type = type,
        .time_us = g_get_real_time(),
        .conn_name = ike ? ike->config->name : NULL,
        .ike_unique_id = ike ? ike->unique_id : 0,
        .child_unique_id = child ? child->unique_id : 0,
        .child_name = child && child->config ? child->config->name : NULL,
        .reason = reason,
        .success = reason == CG_REASON_NONE,
        .message = message,
    };
    cg_engine_publish_full(engine, &ev, ike);
}

/* ---- tables ----------------------------------------------------------- */

void cg_engine_table_add(CgEngine *engine, CgIkeSa *ike)
{
    if (!ike->in_table) {
        g_ptr_array_add(engine->all_sas, ike);
        ike->in_table = TRUE;
    }
    guint64 *k = g_new(guint64, 1);
    *k = spi_key(cg_ike_sa_local_spi(ike));
    g_hash_table_replace(engine->sas_by_spi, k, ike);
    if (!ike->initiator && ike->state == CG_IKE_STATE_CONNECTING && ike->remote) {
        g_hash_table_replace(engine->half_open_by_init, init_key(ike->spi_i, ike->remote), ike);
    }
}

static void remove_spi_entry(CgEngine *engine, CgIkeSa *ike)
{
    guint64 k = spi_key(cg_ike_sa_local_spi(ike));
    if (g_hash_table_lookup(engine->sas_by_spi, &k) == ike)
        g_hash_table_remove(engine->sas_by_spi, &k);
}

static char *peer_key(CgIkeSa *ike)
{
    gsize len = 0;
    const guint8 *d = ike->peer_id.data ? g_bytes_get_data(ike->peer_id.data, &len) : NULL;
    GString *k = g_string_new(ike->config->name);
    g_string_append_printf(k, "|%u|", ike->peer_id.type);
    for (gsize i = 0; i < len; i++)
        g_string_append_printf(k, "%02x", d[i]);
    return g_string_free(k, FALSE);
}

static GPtrArray *peer_list(CgEngine *engine, CgIkeSa *ike)
{
    g_autofree char *key = peer_key(ike);
    return g_hash_table_lookup(engine->by_peer, key);
}

void cg_engine_peer_index_add(CgEngine *engine, CgIkeSa *ike)
{
    if (ike->peer_indexed || ike->peer_id.type == 0 || !ike->peer_id.data)
        return;
    g_autofree char *key = peer_key(ike);
    GPtrArray *list = g_hash_table_lookup(engine->by_peer, key);
    if (!list) {
        list = g_ptr_array_new();
        g_hash_table_insert(engine->by_peer, g_steal_pointer(&key), list);
    }
    g_ptr_array_add(list, ike);
    ike->peer_indexed = TRUE;
}

static void peer_index_remove(CgEngine *engine, CgIkeSa *ike)
{
    if (!ike->peer_indexed)
        return;
    g_autofree char *key = peer_key(ike);
    GPtrArray *list = g_hash_table_lookup(engine->by_peer, key);
    if (list) {
        g_ptr_array_remove_fast(list, ike);
        if (!list->len)
            g_hash_table_remove(engine->by_peer, key);
    }
    ike->peer_indexed = FALSE;
}

void cg_engine_table_remove(CgEngine *engine, CgIkeSa *ike)
{
    peer_index_remove(engine, ike);
    remove_spi_entry(engine, ike);
    if (ike->remote) {
        g_autofree char *key = init_key(ike->spi_i, ike->remote);
        if (g_hash_table_lookup(engine->half_open_by_init, key) == ike)
            g_hash_table_remove(engine->half_open_by_init, key);
    }
    if (ike->in_table) {
        g_ptr_array_remove_fast(engine->all_sas, ike);
        ike->in_table = FALSE;
    }
}

GPtrArray *cg_engine_all_sas(CgEngine *engine)
{
    return engine->all_sas;
}

void cg_engine_half_open_changed(CgEngine *engine, gint delta)
{
    if (delta < 0 && engine->half_open < (guint)-delta)
        engine->half_open = 0;
    else
        engine->half_open += delta;
    engine->stats.half_open_current = engine->half_open;
}

guint cg_engine_half_open_count(CgEngine *engine)
{
    return engine->half_open;
}

gboolean cg_engine_half_open_full(CgEngine *engine)
{
    return engine->half_open >= engine->opts.max_half_open;
}

gboolean cg_engine_has_sa_to(CgEngine *engine, CgIkeSa *except, CgConnConfig *config,
                             GSocketAddress *remote)
{
    for (guint i = 0; i < engine->all_sas->len; i++) {
        CgIkeSa *o = engine->all_sas->pdata[i];
        if (o != except && o->config == config && o->state == CG_IKE_STATE_ESTABLISHED &&
            o->remote && g_inet_address_equal(cg_sockaddr_inet(o->remote), cg_sockaddr_inet(remote)))
            return TRUE;
    }
    return FALSE;
}

gboolean cg_engine_cookie_required(CgEngine *engine)
{
    return engine->half_open >= engine->opts.cookie_threshold;
}

/* RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>) */
void cg_engine_cookie_compute(CgEngine *engine, const guint8 *ni, gsize ni_len,
                              GSocketAddress *remote, const guint8 spi_i[8], guint8 out[32])
{
    gint64 now = g_get_monotonic_time();
    if (now - engine->cookie_secret_born_us > COOKIE_SECRET_LIFETIME_US &&
        engine->half_open < engine->opts.cookie_threshold) {
        /* rotate only while not under load, so outstanding cookies stay valid */
        cg_random_bytes(engine->cookie_secret, COOKIE_SECRET_LEN);
        engine->cookie_secret_born_us = now;
    }
    GInetAddress *ip = cg_sockaddr_inet(remote);
    gsize ip_len = g_inet_address_get_native_size(ip);
    GByteArray *b = g_byte_array_sized_new(ni_len + ip_len + 8 + COOKIE_SECRET_LEN);
    g_byte_array_append(b, ni, ni_len);
    g_byte_array_append(b, g_inet_address_to_bytes(ip), ip_len);
    g_byte_array_append(b, spi_i, 8);
    g_byte_array_append(b, engine->cookie_secret, COOKIE_SECRET_LEN);
    cg_sha256(b->data, b->len, out);
    cg_memzero(b->data, b->len);
    g_byte_array_unref(b);
}

gboolean cg_engine_send(CgEngine *engine, GSocketAddress *local, GSocketAddress *remote,
                        gboolean natt, const guint8 *data, gsize len)
{
    g_autoptr(GError) error = NULL;
    engine->stats.packets_out++;
    if (!cg_net_send_ike(engine->net, local, remote, natt, data, len, &error)) {
        g_autofree char *to = cg_sockaddr_to_string(remote);
        cg_debug(NULL, "sending %zu bytes to %s failed: %s", len, to, error->message);
        return FALSE;
    }
    return TRUE;
}

/* RFC 3948 4: a one-octet 0xFF NAT-keepalive on the NAT-T port */
void cg_engine_send_keepalive(CgEngine *engine, GSocketAddress *local, GSocketAddress *remote)
{
    static const guint8 keepalive = 0xff;
    cg_net_send_natt_raw(engine->net, local, remote, &keepalive, 1, NULL);
}

void cg_engine_count_dropped(CgEngine *engine)
{
    engine->stats.packets_dropped++;
}

void cg_engine_count_retransmit(CgEngine *engine)
{
    engine->stats.retransmits++;
}

void cg_engine_count_cookie(CgEngine *engine)
{
    engine->stats.cookies_sent++;
}

/* Unique IDs: a new IKE_SA authenticated with the same identities on the
 * same connection replaces the older ones. */
static GBytes *lowest_nonce(CgIkeSa *ike)
{
    if (!ike->nonce_i || !ike->nonce_r)
        return NULL;
    gsize li, lr;
    const guint8 *ni = g_bytes_get_data(ike->nonce_i, &li);
    const guint8 *nr = g_bytes_get_data(ike->nonce_r, &lr);
    int c = memcmp(ni, nr, MIN(li, lr));
    return (c < 0 || (c == 0 && li <= lr)) ? ike->nonce_i : ike->nonce_r;
}

/* Both peers initiated at the same moment (the NHRP shortcut race): two
 * IKE_SAs with opposite roles for one connection and one peer. Like a
 * rekey collision (RFC 7296 2.8.2) the SA with the lowest nonce goes;
 * either side that sees the pair deletes that one, so a peer that never
 * resolves duplicates itself still ends up with one pair. */
static void resolve_duplicate(CgEngine *engine, CgIkeSa *ike)
{
    GPtrArray *list = peer_list(engine, ike);
    for (guint i = 0; list && i < list->len; i++) {
        CgIkeSa *other = list->pdata[i];
        if (other == ike || other->state != CG_IKE_STATE_ESTABLISHED ||
            other->initiator == ike->initiator || other->rekeyed_to ||
            strcmp(other->config->name, ike->config->name) != 0 || !other->remote ||
            !g_inet_address_equal(cg_sockaddr_inet(other->remote), cg_sockaddr_inet(ike->remote)))
            continue;
        if (other->peer_id.type != ike->peer_id.type || !other->peer_id.data ||
            !ike->peer_id.data || !g_bytes_equal(other->peer_id.data, ike->peer_id.data))
            continue;
        GBytes *a = lowest_nonce(ike), *b = lowest_nonce(other);
        if (!a || !b)
            continue;
        CgIkeSa *loser = g_bytes_compare(a, b) < 0 ? ike : other;
        cg_ike_sa_log(loser, CG_LOG_INFO, "duplicate of %s (both sides initiated), deleting",
                      cg_ike_sa_name(loser == ike ? other : ike));
        cg_delete_ike_start(loser, CG_REASON_REPLACED);
        return;
    }
}

void cg_engine_ike_established(CgEngine *engine, CgIkeSa *ike)
{
    engine->stats.ike_sas_established_total++;
    /* the address that answered is the one: no more fallback */
    g_hash_table_remove(engine->attempts, GUINT_TO_POINTER(ike->unique_id));
    cg_engine_peer_index_add(engine, ike);
    resolve_duplicate(engine, ike);
    if (ike->state != CG_IKE_STATE_ESTABLISHED)
        return;
    /* With unique IDs off, INITIAL_CONTACT is ignored too: the peer may
     * legitimately hold several SAs (load generators, multiple clients
     * behind one identity). */
    if (!ike->config->unique_ids || ike->initiator || ike->peer_id.type == 0)
        return;
    GPtrArray *list = peer_list(engine, ike);
    g_autoptr(GPtrArray) victims = g_ptr_array_new();
    for (guint i = 0; list && i < list->len; i++) {
        CgIkeSa *other = list->pdata[i];
        if (other != ike && other->state == CG_IKE_STATE_ESTABLISHED && !other->initiator &&
            !other->rekeyed_to)
            g_ptr_array_add(victims, other);
    }
    for (guint i = 0; i < victims->len; i++) {
        CgIkeSa *other = victims->pdata[i];
        cg_ike_sa_log(other, CG_LOG_INFO, "replaced by %s (unique IDs)", cg_ike_sa_name(ike));
        cg_delete_ike_start(other, CG_REASON_REPLACED);
    }
}

void cg_engine_ike_destroyed(CgEngine *engine, CgIkeSa *ike)
{
    g_hash_table_remove(engine->attempts, GUINT_TO_POINTER(ike->unique_id));
}

/* ---- connections, pools, secrets -------------------------------------- */

/* An IKE_SA of connection `name` that is coming up or up, whoever started
 * it (the peer, or a rekey the peer initiated, makes us the responder). */
static gboolean conn_sa_alive(CgEngine *engine, const char *name)
{
    for (guint i = 0; i < engine->all_sas->len; i++) {
        CgIkeSa *o = engine->all_sas->pdata[i];
        if (o->state != CG_IKE_STATE_DEAD && strcmp(o->config->name, name) == 0)
            return TRUE;
    }
    return FALSE;
}

gboolean cg_engine_load_connection(CgEngine *engine, CgConnConfig *config, GError **error)
{
    if (!cg_conn_config_validate(config, error))
        return FALSE;
    for (guint i = 0; config->pools && i < config->pools->len; i++) {
        if (!cg_engine_find_pool(engine, config->pools->pdata[i])) {
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "connection '%s': unknown pool '%s'", config->name,
                        (char *)config->pools->pdata[i]);
            return FALSE;
        }
    }
    gboolean running = FALSE;
    for (guint i = 0; i < engine->connections->len; i++) {
        CgConnConfig *c = engine->connections->pdata[i];
        if (strcmp(c->name, config->name) == 0) {
            engine->connections->pdata[i] = cg_conn_config_ref(config);
            cg_conn_config_unref(c);
            /* a reload (SIGHUP) must not start a second IKE_SA beside the
             * one coming up or up; the new settings apply from its next
             * start */
            running = conn_sa_alive(engine, config->name);
            cg_info(config->name, "connection reloaded%s",
                    running ? " (its IKE_SA keeps running)" : "");
            goto loaded;
        }
    }
    g_ptr_array_add(engine->connections, cg_conn_config_ref(config));
    cg_info(config->name, "connection loaded");
loaded:;
    CgEvent ev = {.type = CG_EVENT_CONN_LOADED, .time_us = g_get_real_time(),
                  .conn_name = config->name};
    cg_engine_publish_full(engine, &ev, NULL);
    if (config->start_action == CG_START_START && !running) {
        g_autoptr(GError) local_error = NULL;
        if (!cg_engine_initiate(engine, config->name, NULL, NULL, &local_error))
            cg_warn(config->name, "start failed: %s", local_error->message);
    }
    return TRUE;
}

gboolean cg_engine_unload_connection(CgEngine *engine, const char *name, GError **error)
{
    for (guint i = 0; i < engine->connections->len; i++) {
        CgConnConfig *c = engine->connections->pdata[i];
        if (strcmp(c->name, name) == 0) {
            cg_engine_terminate(engine, name, NULL, NULL);
            CgEvent ev = {.type = CG_EVENT_CONN_UNLOADED, .time_us = g_get_real_time(),
                          .conn_name = name};
            cg_engine_publish_full(engine, &ev, NULL);
            cg_info(name, "connection unloaded");
            g_ptr_array_remove_index(engine->connections, i);
            return TRUE;
        }
    }
    g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND, "no connection named '%s'",
                name);
    return FALSE;
}

GPtrArray *cg_engine_list_connections(CgEngine *engine)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < engine->connections->len; i++)
        g_ptr_array_add(out, engine->connections->pdata[i]);
    return out;
}

CgConnConfig *cg_engine_get_connection(CgEngine *engine, const char *name)
{
    for (guint i = 0; i < engine->connections->len; i++) {
        CgConnConfig *c = engine->connections->pdata[i];
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

gboolean cg_engine_conn_is_loaded(CgEngine *engine, CgConnConfig *config)
{
    for (guint i = 0; i < engine->connections->len; i++)
        if (engine->connections->pdata[i] == config)
            return TRUE;
    return FALSE;
}

gboolean cg_engine_add_pool(CgEngine *engine, CgPool *pool, GError **error)
{
    for (guint i = 0; i < engine->pools->len; i++) {
        if (strcmp(cg_pool_name(engine->pools->pdata[i]), cg_pool_name(pool)) == 0) {
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_EXISTS, "pool '%s' exists",
                        cg_pool_name(pool));
            return FALSE;
        }
    }
    g_ptr_array_add(engine->pools, pool);
    return TRUE;
}

CgPool *cg_engine_find_pool(CgEngine *engine, const char *name)
{
    for (guint i = 0; i < engine->pools->len; i++)
        if (strcmp(cg_pool_name(engine->pools->pdata[i]), name) == 0)
            return engine->pools->pdata[i];
    return NULL;
}

void cg_engine_add_psk(CgEngine *engine, const char *const *ids, GBytes *secret)
{
    CgPskEntry *e = g_new0(CgPskEntry, 1);
    e->ids = g_ptr_array_new_with_free_func(identity_free);
    for (guint i = 0; ids && ids[i]; i++) {
        CgIdentity *id = g_new0(CgIdentity, 1);
        if (cg_identity_parse(ids[i], id, NULL))
            g_ptr_array_add(e->ids, id);
        else
            g_free(id);
    }
    e->secret = g_bytes_ref(secret);
    g_ptr_array_add(engine->psks, e);
}

void cg_engine_clear_psks(CgEngine *engine)
{
    g_ptr_array_set_size(engine->psks, 0);
}

static int psk_match_score(CgPskEntry *e, const CgIdentity *id)
{
    if (!id || id->type == 0)
        return 0;
    gsize len;
    const guint8 *data = g_bytes_get_data(id->data, &len);
    int best = 0;
    for (guint i = 0; i < e->ids->len; i++) {
        CgIdentity *p = e->ids->pdata[i];
        if (p->type == 0)
            best = MAX(best, 1);
        else if (cg_identity_matches(p, id->type, data, len))
            best = MAX(best, 2);
    }
    return best;
}

/* The PSK whose ids match both identities best (exact over wildcard). */
GBytes *cg_engine_find_psk(CgEngine *engine, const CgIdentity *a, const CgIdentity *b)
{
    CgPskEntry *best = NULL;
    int best_score = 0;
    for (guint i = 0; i < engine->psks->len; i++) {
        CgPskEntry *e = engine->psks->pdata[i];
        int score = psk_match_score(e, a) + psk_match_score(e, b);
        if (e->ids->len == 0)
            score = 1;
        if (score > best_score) {
            best = e;
            best_score = score;
        }
    }
    return best ? g_bytes_ref(best->secret) : NULL;
}

static gboolean addr_matches(const char *pattern, GSocketAddress *addr)
{
    if (!pattern || !*pattern || g_strcmp0(pattern, "%any") == 0)
        return TRUE;
    g_autoptr(GInetAddress) p = g_inet_address_new_from_string(pattern);
    if (!p) {
        /* hostnames: a responder compares literal addresses only */
        return FALSE;
    }
    return g_inet_address_equal(p, cg_sockaddr_inet(addr));
}

/* RFC 7296 2.15: the responder picks its connection from the addresses
 * and the initiator's identity. */
CgConnConfig *cg_engine_match_responder(CgEngine *engine, GSocketAddress *local,
                                        GSocketAddress *remote, const CgIdentity *peer_id)
{
    CgConnConfig *fallback = NULL;
    for (guint i = 0; i < engine->connections->len; i++) {
        CgConnConfig *c = engine->connections->pdata[i];
        if (!addr_matches(c->local_addr, local) || !addr_matches(c->remote_addr, remote))
            continue;
        if (!peer_id)
            return c;
        gsize len;
        const guint8 *data = peer_id->data ? g_bytes_get_data(peer_id->data, &len) : NULL;
        if (!data)
            len = 0;
        if (c->remote_id.type == 0) {
            if (!fallback)
                fallback = c;
            continue;
        }
        if (cg_identity_matches(&c->remote_id, peer_id->type, data, len))
            return c;
    }
    return fallback;
}

/* ---- API: initiate, terminate, list ------------------------------------ */

/* The local address to reach remote_ip from: the configured one (when
 * of the same family) or the kernel's choice by route. NULL when there is
 * no way there. */
static GInetAddress *
local_for(GInetAddress *remote_ip, const char *local, GError **error)
{
    if (local && *local && g_strcmp0(local, "%any") != 0) {
        g_autoptr(GInetAddress) local_ip = g_inet_address_new_from_string(local);
        if (local_ip
            && g_inet_address_get_family(local_ip) != g_inet_address_get_family(remote_ip)) {
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "the local address %s is of the other family", local);
            return NULL;
        }
        return g_steal_pointer(&local_ip);
    }
    return cg_net_route_source(remote_ip, error);
}

static void
set_addresses(CgIkeSa *ike, GInetAddress *remote_ip, GInetAddress *local_ip)
{
    g_clear_object(&ike->remote);
    g_clear_object(&ike->local);
    ike->remote = g_inet_socket_address_new(remote_ip, ike->config->remote_port);
    ike->local = g_inet_socket_address_new(local_ip, cg_net_ike_port(ike->engine->net));
}

/* Picks the local address and starts IKE_SA_INIT once the remote address
 * is known. FALSE (and the SA destroyed) when there is no way there. */
static gboolean initiate_to(CgIkeSa *ike, GInetAddress *remote_ip, const char *local)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GInetAddress) local_ip = local_for(remote_ip, local, &error);
    if (!local_ip) {
        cg_ike_sa_destroy(ike, CG_REASON_PEER_UNREACHABLE,
                          error ? error->message : "no local address");
        return FALSE;
    }
    set_addresses(ike, remote_ip, local_ip);
    cg_engine_table_add(ike->engine, ike);
    cg_ike_sa_start_initiate(ike);
    return TRUE;
}

/* Our IKE_SA_INIT is out and nothing at all came back yet (no answer, no
 * COOKIE, no INVALID_KE_PAYLOAD): the address may be given up on. */
static gboolean
init_unanswered(CgIkeSa *ike)
{
    return ike->state == CG_IKE_STATE_CONNECTING && ike->active
           && ike->active->kind == CG_X_IKE_SA_INIT && !ike->nonce_r && !ike->crypto_busy
           && ike->init_retries == 0 && ike->remote;
}

/* The next address with a route to it (its local address in *local_ip),
 * logging and noting the ones without; NULL when none is left. */
static GInetAddress *
next_routable(CgAttempt *a, CgIkeSa *ike, GInetAddress **local_ip)
{
    while (a->next < a->addrs->len) {
        GInetAddress *ip = a->addrs->pdata[a->next++];
        g_autoptr(GError) error = NULL;
        *local_ip = local_for(ip, a->local, &error);
        if (*local_ip)
            return ip;
        g_autofree char *text = g_inet_address_to_string(ip);
        cg_ike_sa_log(ike, CG_LOG_INFO, "skipping %s of %s: %s", text, a->host, error->message);
        g_ptr_array_add(a->tried, g_strdup_printf("%s: %s", text, error->message));
    }
    return NULL;
}

static CgIkeSa *find_ike(CgEngine *engine, guint32 id);
static gboolean on_attempt_window(gpointer data);

static void
arm_attempt_window(CgAttempt *a, CgIkeSa *ike)
{
    /* the last address gets the whole retransmission schedule */
    if (a->next < a->addrs->len)
        a->timer = cg_engine_timer_add(a->engine, ike->config->retransmit_timeout_ms,
                                       on_attempt_window, a);
}

/* RFC 8305 5 in spirit: an address that does not answer the first
 * IKE_SA_INIT within the first retransmission timeout gives way to the
 * next, usually of the other family; nobody waits for the whole
 * retransmission schedule of an address that is silently dropped. */
static gboolean
on_attempt_window(gpointer data)
{
    CgAttempt *a = data;
    a->timer = 0;
    CgIkeSa *ike = find_ike(a->engine, a->ike_unique_id);
    if (!ike || !init_unanswered(ike))
        return G_SOURCE_REMOVE; /* gone, or this address answered: stay */
    g_autofree char *from = g_inet_address_to_string(cg_sockaddr_inet(ike->remote));
    g_autoptr(GInetAddress) local_ip = NULL;
    GInetAddress *next = next_routable(a, ike, &local_ip);
    if (!next)
        return G_SOURCE_REMOVE; /* nothing else to try: keep retransmitting */
    g_autofree char *to = g_inet_address_to_string(next);
    guint window = ike->config->retransmit_timeout_ms;
    cg_ike_sa_log(ike, CG_LOG_INFO, "%s did not answer IKE_SA_INIT within %u ms, trying %s", from,
                  window, to);
    g_ptr_array_add(a->tried, g_strdup_printf("%s: no answer within %u ms", from, window));
    set_addresses(ike, next, local_ip);
    /* a fresh IKE_SA_INIT: its NAT detection hashes name the new addresses */
    cg_ike_init_send_request(ike);
    arm_attempt_window(a, ike);
    return G_SOURCE_REMOVE;
}

/* Starts the IKE_SA on the first routable address of a host name. */
static void
initiate_to_any(CgIkeSa *ike, GList *resolved, const char *host, const char *local)
{
    CgEngine *engine = ike->engine;
    CgFamilyPref pref = ike->config->address_family;
    CgAttempt *a = g_new0(CgAttempt, 1);
    a->engine = engine;
    a->ike_unique_id = ike->unique_id;
    a->host = g_strdup(host);
    a->local = g_strdup(local);
    a->addrs = cg_family_order(resolved, pref);
    a->tried = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_replace(engine->attempts, GUINT_TO_POINTER(ike->unique_id), a);

    GString *order = g_string_new(NULL);
    for (guint i = 0; i < a->addrs->len; i++) {
        g_autofree char *text = g_inet_address_to_string(a->addrs->pdata[i]);
        g_string_append_printf(order, "%s%s", i ? ", " : "", text);
    }
    cg_ike_sa_log(ike, CG_LOG_INFO, "%s is %s (address-family %s)", host,
                  order->len ? order->str : "no usable address", cg_family_pref_to_string(pref));
    g_string_free(order, TRUE);

    if (a->addrs->len == 0) {
        g_autofree char *m = g_strdup_printf("'%s' has no address allowed by address-family %s",
                                             host, cg_family_pref_to_string(pref));
        cg_ike_sa_destroy(ike, CG_REASON_PEER_UNREACHABLE, m);
        return;
    }
    g_autoptr(GInetAddress) local_ip = NULL;
    GInetAddress *first = next_routable(a, ike, &local_ip);
    if (!first) {
        cg_ike_sa_destroy(ike, CG_REASON_PEER_UNREACHABLE, "no route");
        return;
    }
    set_addresses(ike, first, local_ip);
    cg_engine_table_add(engine, ike);
    cg_ike_sa_start_initiate(ike);
    arm_attempt_window(a, ike);
}

typedef struct {
    CgEngine *engine;
    guint32 ike_unique_id;
    char *local;
    char *host;
} ResolveJob;

static void on_resolved(GObject *source, GAsyncResult *res, gpointer data)
{
    ResolveJob *job = data;
    g_autoptr(GError) error = NULL;
    GList *addrs = g_resolver_lookup_by_name_finish(G_RESOLVER(source), res, &error);
    /* the engine may be gone (cancelled) or the SA terminated meanwhile */
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        CgIkeSa *ike = find_ike(job->engine, job->ike_unique_id);
        if (ike && ike->state == CG_IKE_STATE_CONNECTING && !ike->remote) {
            if (!addrs) {
                g_autofree char *m =
                    g_strdup_printf("cannot resolve '%s': %s", job->host, error->message);
                cg_ike_sa_destroy(ike, CG_REASON_PEER_UNREACHABLE, m);
            } else {
                initiate_to_any(ike, addrs, job->host, job->local);
            }
        }
    }
    g_resolver_free_addresses(addrs);
    g_free(job->local);
    g_free(job->host);
    g_free(job);
}

guint32 cg_engine_initiate(CgEngine *engine, const char *name, const char *local_addr,
                           const char *remote_addr, GError **error)
{
    CgConnConfig *config = cg_engine_get_connection(engine, name);
    if (!config) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                    "no connection named '%s'", name);
        return 0;
    }
    const char *remote = remote_addr ? remote_addr : config->remote_addr;
    if (!remote || !*remote || g_strcmp0(remote, "%any") == 0) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "connection '%s' has no remote address to initiate to", name);
        return 0;
    }
    const char *local = local_addr ? local_addr : config->local_addr;
    if (local && *local && g_strcmp0(local, "%any") != 0) {
        g_autoptr(GInetAddress) check = g_inet_address_new_from_string(local);
        if (!check) {
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "connection '%s': local address '%s' is not an IP address", name, local);
            return 0;
        }
    }
    g_autoptr(GInetAddress) remote_ip = g_inet_address_new_from_string(remote);
    if (remote_ip
        && !cg_family_allows(config->address_family, g_inet_address_get_family(remote_ip))) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "connection '%s': address-family %s excludes %s", name,
                    cg_family_pref_to_string(config->address_family), remote);
        return 0;
    }
    CgIkeSa *ike = cg_ike_sa_new(engine, config, TRUE);
    guint32 id = ike->unique_id;
    if (remote_ip) {
        if (!initiate_to(ike, remote_ip, local)) {
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_FAILED,
                        "connection '%s': no route to %s", name, remote);
            return 0;
        }
        return id;
    }
    /* a host name: resolve without blocking the main loop; all addresses
     * of both families, tried in turn (initiate_to_any) */
    g_ptr_array_add(engine->all_sas, ike);
    ike->in_table = TRUE;
    ResolveJob *job = g_new0(ResolveJob, 1);
    job->engine = engine;
    job->ike_unique_id = id;
    job->local = g_strdup(local);
    job->host = g_strdup(remote);
    cg_ike_sa_log(ike, CG_LOG_INFO, "resolving %s", remote);
    g_autoptr(GResolver) resolver = g_resolver_get_default();
    g_resolver_lookup_by_name_async(resolver, remote, engine->cancellable, on_resolved, job);
    return id;
}

static gboolean ike_remote_is(CgIkeSa *ike, const char *remote_addr)
{
    if (!remote_addr)
        return TRUE;
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(remote_addr);
    return a && ike->remote && g_inet_address_equal(a, cg_sockaddr_inet(ike->remote));
}

guint cg_engine_terminate(CgEngine *engine, const char *name, const char *remote_addr,
                          GError **error)
{
    guint n = 0;
    g_autoptr(GPtrArray) victims = g_ptr_array_new();
    for (guint i = 0; i < engine->all_sas->len; i++) {
        CgIkeSa *ike = engine->all_sas->pdata[i];
        if (strcmp(ike->config->name, name) == 0 && ike_remote_is(ike, remote_addr) &&
            ike->state != CG_IKE_STATE_DEAD)
            g_ptr_array_add(victims, ike);
    }
    for (guint i = 0; i < victims->len; i++) {
        cg_delete_ike_start(victims->pdata[i], CG_REASON_USER);
        n++;
    }
    if (n == 0 && !cg_engine_get_connection(engine, name))
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                    "no connection named '%s'", name);
    return n;
}

static CgIkeSa *find_ike(CgEngine *engine, guint32 id)
{
    for (guint i = 0; i < engine->all_sas->len; i++) {
        CgIkeSa *ike = engine->all_sas->pdata[i];
        if (ike->unique_id == id)
            return ike;
    }
    return NULL;
}

static CgChildSa *find_child(CgEngine *engine, guint32 id)
{
    for (guint i = 0; i < engine->all_sas->len; i++) {
        CgIkeSa *ike = engine->all_sas->pdata[i];
        for (guint j = 0; j < ike->children->len; j++) {
            CgChildSa *c = ike->children->pdata[j];
            if (c->unique_id == id)
                return c;
        }
    }
    return NULL;
}

gboolean cg_engine_terminate_ike(CgEngine *engine, guint32 id, GError **error)
{
    CgIkeSa *ike = find_ike(engine, id);
    if (!ike) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND, "no IKE_SA #%u", id);
        return FALSE;
    }
    cg_delete_ike_start(ike, CG_REASON_USER);
    return TRUE;
}

gboolean cg_engine_terminate_child(CgEngine *engine, guint32 id, GError **error)
{
    CgChildSa *c = find_child(engine, id);
    if (!c) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND, "no CHILD_SA #%u", id);
        return FALSE;
    }
    cg_delete_child_start(c);
    return TRUE;
}

gboolean cg_engine_rekey_ike(CgEngine *engine, guint32 id, GError **error)
{
    CgIkeSa *ike = find_ike(engine, id);
    if (!ike || ike->state != CG_IKE_STATE_ESTABLISHED) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                    "no established IKE_SA #%u", id);
        return FALSE;
    }
    cg_rekey_ike_start(ike);
    return TRUE;
}

gboolean cg_engine_rekey_child(CgEngine *engine, guint32 id, GError **error)
{
    CgChildSa *c = find_child(engine, id);
    if (!c || c->state != CG_CHILD_INSTALLED) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                    "no installed CHILD_SA #%u", id);
        return FALSE;
    }
    cg_rekey_child_start(c);
    return TRUE;
}

CgIkeSnapshot *cg_engine_get_sa(CgEngine *engine, guint32 ike_unique_id)
{
    CgIkeSa *ike = find_ike(engine, ike_unique_id);
    return ike && ike->state != CG_IKE_STATE_DEAD ? cg_ike_sa_snapshot(ike) : NULL;
}

GPtrArray *cg_engine_list_sas(CgEngine *engine, const char *prefix)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)cg_ike_snapshot_free);
    for (guint i = 0; i < engine->all_sas->len; i++) {
        CgIkeSa *ike = engine->all_sas->pdata[i];
        if (ike->state == CG_IKE_STATE_DEAD)
            continue;
        if (prefix && *prefix && !g_str_has_prefix(ike->config->name, prefix))
            continue;
        g_ptr_array_add(out, cg_ike_sa_snapshot(ike));
    }
    return out;
}

void cg_engine_get_stats(CgEngine *engine, CgEngineStats *out)
{
    *out = engine->stats;
    out->half_open_current = engine->half_open;
    guint64 ike = 0, child = 0;
    for (guint i = 0; i < engine->all_sas->len; i++) {
        CgIkeSa *sa = engine->all_sas->pdata[i];
        if (sa->state == CG_IKE_STATE_ESTABLISHED || sa->state == CG_IKE_STATE_REKEYING)
            ike++;
        child += sa->children->len;
    }
    out->ike_sas_current = ike;
    out->child_sas_current = child;
    /* ESP packets the data plane dropped (uesp counts them by reason) */
    CgKernelStats ks = {0};
    cg_kernel_get_stats(engine->kernel, &ks);
    out->packets_dropped += cg_kernel_stats_dropped(&ks);
}

/* ---- snapshots -------------------------------------------------------- */

void cg_child_snapshot_free(CgChildSnapshot *s)
{
    if (!s)
        return;
    g_free(s->name);
    g_free(s->proposal);
    g_clear_pointer(&s->local_ts, g_ptr_array_unref);
    g_clear_pointer(&s->remote_ts, g_ptr_array_unref);
    g_free(s);
}

void cg_ike_snapshot_free(CgIkeSnapshot *s)
{
    if (!s)
        return;
    g_free(s->conn_name);
    g_clear_object(&s->local);
    g_clear_object(&s->remote);
    g_free(s->proposal);
    g_free(s->local_id);
    g_free(s->remote_id);
    g_free(s->local_auth);
    g_free(s->remote_auth);
    g_clear_pointer(&s->peer_cert_der, g_bytes_unref);
    g_free(s->eap_identity);
    g_clear_pointer(&s->local_vips, g_ptr_array_unref);
    g_clear_pointer(&s->remote_vips, g_ptr_array_unref);
    g_clear_pointer(&s->dns, g_ptr_array_unref);
    g_clear_pointer(&s->split_subnets, g_ptr_array_unref);
    g_clear_pointer(&s->dns_domains, g_ptr_array_unref);
    g_clear_pointer(&s->children, g_ptr_array_unref);
    g_free(s);
}
