/* cg-sa-private.h: IKE_SA and CHILD_SA state, shared by the engine and
 * the exchange modules in sa/. Not a public API: nothing outside
 * src/ike-core/{engine,sa} includes it.
 *
 * Threading: everything here lives on the engine's main context. Only
 * CgCryptoJob results cross from the worker pool, by value.
 */
#pragma once

#include <sys/socket.h>
#include <gio/gio.h>

#include "codec/cg-codec.h"
#include "config/cg-config.h"
#include "crypto/cg-crypto.h"
#include "engine/cg-engine.h"
#include "kernel/cg-kernel.h"
#include "log/cg-log.h"

G_BEGIN_DECLS

typedef struct CgIkeSa CgIkeSa;
typedef struct CgChildSa CgChildSa;
typedef struct CgExchange CgExchange;

typedef enum {
    CG_CHILD_CREATING = 0,
    CG_CHILD_INSTALLED,
    CG_CHILD_REKEYING, /* a rekey of this SA is under way */
    CG_CHILD_REKEYED,  /* replaced; waits for its delete */
    CG_CHILD_DELETING,
} CgChildState;

struct CgChildSa {
    guint32 unique_id;
    CgIkeSa *ike;
    CgChildConfig *config; /* borrowed from ike->config */
    CgChildState state;
    guint32 spi_in, spi_out; /* host byte order */
    guint32 reqid;
    guint8 mode;
    guint16 encr_id, encr_key_bits, integ_id, pfs_group;
    gboolean esn;
    gboolean installed;
    gboolean replaced; /* a rekey replaced it: its removal is not news */
    GArray *local_ts;  /* CgTrafficSelector */
    GArray *remote_ts;
    gint64 established_at;
    gint64 rekey_at, expire_at; /* real time µs, 0 = never */
    guint rekey_timer;
    guint expire_timer;
    /* nonces of the exchange that created it, for rekey collisions (2.8.1) */
    GBytes *created_nonce_min;
};

/* Kinds of exchange we start as the requester. */
typedef enum {
    CG_X_IKE_SA_INIT = 1,
    CG_X_IKE_AUTH,
    CG_X_CREATE_CHILD, /* a new CHILD_SA */
    CG_X_REKEY_CHILD,
    CG_X_REKEY_IKE,
    CG_X_DELETE_CHILD,
    CG_X_DELETE_IKE,
    CG_X_DPD,
    CG_X_UPDATE_ADDRESSES, /* MOBIKE: UPDATE_SA_ADDRESSES (sa/cg-mobike.c) */
    CG_X_ROUTABILITY,      /* MOBIKE: return routability check with COOKIE2 */
} CgExchangeKind;

struct CgExchange {
    CgExchangeKind kind;
    CgChildConfig *child_config; /* CREATE_CHILD / REKEY_CHILD */
    CgChildSa *old_child;        /* REKEY_CHILD / DELETE_CHILD */
    guint32 new_spi_in;          /* CREATE/REKEY_CHILD: our new inbound SPI */
    CgDh *dh;                    /* PFS or IKE rekey */
    GBytes *nonce;               /* our nonce */
    guint8 new_spi[8];           /* REKEY_IKE: our new IKE SPI */
    guint32 delete_spi;          /* DELETE_CHILD: our inbound SPI */
    /* set when the peer's colliding request arrived while this was out */
    gboolean collided;
    GBytes *peer_nonce;        /* REKEY: the peer's nonce from its colliding exchange */
    CgIkeSa *peer_new_ike;     /* REKEY_IKE collision: SA the peer's exchange created */
    CgChildSa *peer_new_child; /* REKEY_CHILD collision */
};

struct CgIkeSa {
    CgEngine *engine;
    guint32 unique_id;
    CgConnConfig *config; /* ref */
    gboolean initiator;   /* we were the original initiator of this IKE_SA */
    CgIkeState state;
    guint8 spi_i[8], spi_r[8];

    /* addresses and NAT-T */
    GSocketAddress *local; /* GInetSocketAddress */
    GSocketAddress *remote;
    gboolean natt; /* talk on the NAT-T port with the non-ESP marker */
    gboolean nat_local, nat_remote;

    /* negotiated algorithms and keys */
    CgIkeAlgs algs;
    guint16 dh_group;
    CgIkeKeys keys;
    CgCipher *cipher_out, *cipher_in;
    guint64 iv_counter;

    /* IKE_SA_INIT state */
    CgDh *dh;
    gboolean dh_borrowed;    /* dh belongs to the engine (load generator) */
    guint16 wanted_dh_group; /* after INVALID_KE_PAYLOAD */
    GBytes *nonce_i, *nonce_r;
    GBytes *init_request; /* the IKE_SA_INIT messages, for AUTH (2.15) */
    GBytes *init_response;
    GBytes *cookie;              /* COOKIE the responder demanded */
    guint init_retries;          /* INVALID_KE / COOKIE restarts, bounded */
    CgProposal *chosen_proposal; /* responder: until the response is sent */

    /* identities and auth */
    CgIdentity local_id;
    CgIdentity peer_id;
    gboolean peer_initial_contact;
    gboolean peer_indexed; /* in the engine's (connection, peer identity) index */

    /* message IDs (2.3): window size 1 */
    guint32 msg_id_next_out; /* next request we send */
    guint32 msg_id_next_in;  /* next request we expect */
    GBytes *cached_response; /* last response we sent, for retransmits */
    guint32 cached_response_id;
    gboolean have_cached_response;
    guint deferred_response_timer; /* cached_response held back (see send_response) */

    /* the outstanding request */
    CgExchange *active;
    GBytes *active_packet;
    guint32 active_msg_id;
    guint active_tries;
    guint retransmit_timer;
    GQueue pending; /* CgExchange* waiting for the window */

    GPtrArray *children; /* CgChildSa* (owned) */

    /* configuration payload results */
    GPtrArray *local_vips;       /* GInetAddress*: assigned to us */
    GPtrArray *remote_vips;      /* GInetAddress*: we assigned to the peer */
    GPtrArray *remote_vip_pools; /* char*: the pool name of each remote_vips entry */
    GPtrArray *dns;              /* GInetAddress* received */
    GPtrArray *subnets;          /* char* "10.1.0.0/16" received */
    GPtrArray *dns_domains;      /* char* search domains received (RFC 8598) */

    /* timers */
    guint rekey_timer;
    guint reauth_timer;
    guint dpd_timer;
    guint keepalive_timer;
    guint half_open_timer;
    gint64 established_at;
    gint64 rekey_at, reauth_at;
    gint64 last_rx_us; /* monotonic time of the last valid message from the peer */

    gboolean half_open;   /* counted in the engine's half-open total */
    gboolean crypto_busy; /* a worker job is running for this SA */
    gboolean free_after_job; /* destroyed and due to be freed while busy */
    gboolean in_table;
    gboolean published_up;
    CgIkeSa *rekeyed_to; /* set while an IKE rekey hands over */
    CgReason down_reason;
    char *log_name; /* "conn[3]" */
    /* authentication (auth/cg-auth.h) and fragmentation (cg-fragment.h)
     * state, created on first use, freed with the SA */
    struct CgAuthState *auth;
    struct CgFragState *frag;
    struct CgMobikeState *mobike; /* address changes (cg-mobike.h), NULL until needed */
};

/* ---- engine internals used by sa/ ------------------------------------ */

CgKernel *cg_engine_kernel(CgEngine *engine);
/* SA timers, all behind one GSource (engine/cg-timerq.c); GSourceFunc
 * semantics, ids never 0 */
guint cg_engine_timer_add(CgEngine *engine, guint interval_ms, GSourceFunc func, gpointer data);
void cg_engine_timer_remove(CgEngine *engine, guint id);
/* adds an established IKE_SA to the (connection, peer identity) index */
void cg_engine_peer_index_add(CgEngine *engine, CgIkeSa *ike);
guint32 cg_engine_next_unique_id(CgEngine *engine);
guint32 cg_engine_next_reqid(CgEngine *engine);
void cg_engine_publish(CgEngine *engine, CgEventType type, CgIkeSa *ike, CgChildSa *child,
                       CgReason reason, const char *message);
void cg_engine_publish_full(CgEngine *engine, const CgEvent *ev, CgIkeSa *ike);
/* registers/unregisters an IKE_SA under its local SPI */
void cg_engine_table_add(CgEngine *engine, CgIkeSa *ike);
void cg_engine_table_remove(CgEngine *engine, CgIkeSa *ike);
void cg_engine_half_open_changed(CgEngine *engine, gint delta);
guint cg_engine_half_open_count(CgEngine *engine);
/* sends a datagram on the socket matching local's family/port */
gboolean cg_engine_send(CgEngine *engine, GSocketAddress *local, GSocketAddress *remote,
                        gboolean natt, const guint8 *data, gsize len);
GBytes *cg_engine_find_psk(CgEngine *engine, const CgIdentity *a, const CgIdentity *b);
guint16 cg_engine_natt_port(CgEngine *engine);
/* the shared initiator key pair of a load generator, or NULL */
CgDh *cg_engine_loadgen_dh(CgEngine *engine, guint16 group);
/* cookie secret (2.6) */
void cg_engine_cookie_compute(CgEngine *engine, const guint8 *ni, gsize ni_len,
                              GSocketAddress *remote, const guint8 spi_i[8], guint8 out[32]);
gboolean cg_engine_cookie_required(CgEngine *engine);
gboolean cg_engine_half_open_full(CgEngine *engine);
/* is there another established IKE_SA of config to that peer address? */
gboolean cg_engine_has_sa_to(CgEngine *engine, CgIkeSa *except, CgConnConfig *config,
                             GSocketAddress *remote);
void cg_engine_count_dropped(CgEngine *engine);
void cg_engine_send_keepalive(CgEngine *engine, GSocketAddress *local, GSocketAddress *remote);
void cg_engine_count_retransmit(CgEngine *engine);
void cg_engine_count_cookie(CgEngine *engine);
void cg_engine_ike_established(CgEngine *engine, CgIkeSa *ike); /* unique IDs, stats */
void cg_engine_ike_destroyed(CgEngine *engine, CgIkeSa *ike);
/* all IKE_SAs (borrowed) */
GPtrArray *cg_engine_all_sas(CgEngine *engine);
/* finds the responder connection for a peer (first match), or NULL */
CgConnConfig *cg_engine_match_responder(CgEngine *engine, GSocketAddress *local,
                                        GSocketAddress *remote, const CgIdentity *peer_id);
gboolean cg_engine_conn_is_loaded(CgEngine *engine, CgConnConfig *config);

/* crypto worker pool: run `work` on a worker, then `done` on the main
 * context. `data` is owned by the job until `done` returns. */
typedef void (*CgWorkFunc)(gpointer data);
typedef void (*CgDoneFunc)(gpointer data);
void cg_engine_run_crypto(CgEngine *engine, CgWorkFunc work, CgDoneFunc done, gpointer data);
/* The same for work that waits on the network: its own threads, never
 * inline. */
void cg_engine_run_blocking(CgEngine *engine, CgWorkFunc work, CgDoneFunc done, gpointer data);
/* TRUE once cg_engine_free has begun (any thread). */
gboolean cg_engine_closing(CgEngine *engine);

/* ---- IKE_SA lifecycle (cg-ike-sa.c) ----------------------------------- */

CgIkeSa *cg_ike_sa_new(CgEngine *engine, CgConnConfig *config, gboolean initiator);
void cg_ike_sa_free(CgIkeSa *ike);
/* A worker job for the SA (crypto_busy) has finished: clears the flag.
 * FALSE when the SA was destroyed meanwhile: then it is freed here, or by
 * the idle callback cg_ike_sa_destroy queued, whichever comes last; the
 * caller must not touch it again. */
gboolean cg_ike_sa_job_finished(CgIkeSa *ike);
/* Processes a decrypted message that was held back (auth/cg-auth-cert-
 * check.c) as if it had just arrived, if the IKE_SA still expects it. */
void cg_ike_sa_replay(CgIkeSa *ike, gboolean response, guint8 exchange_type, guint32 msg_id,
                      const CgMessage *msg, GSocketAddress *local, GSocketAddress *remote,
                      gboolean natt);
void cg_ike_sa_drop_dh(CgIkeSa *ike); /* frees ike->dh unless borrowed */
/* Takes the IKE_SA down: deletes children from the kernel, releases
 * virtual IPs, publishes IKE_DOWN (if it was up) and frees it from the
 * engine's tables on the next idle. */
void cg_ike_sa_destroy(CgIkeSa *ike, CgReason reason, const char *message);
const char *cg_ike_sa_name(CgIkeSa *ike);
const guint8 *cg_ike_sa_local_spi(CgIkeSa *ike);
/* "dynamic" traffic selectors: our virtual IP if we have one, else our
 * IKE address; and the peer's virtual IP (assigned by us) or address */
GInetAddress *cg_ike_sa_local_host(CgIkeSa *ike);
GInetAddress *cg_ike_sa_remote_host(CgIkeSa *ike);
void cg_ike_sa_set_state(CgIkeSa *ike, CgIkeState state);
CgIkeSnapshot *cg_ike_sa_snapshot(CgIkeSa *ike);

/* Message handling */
void cg_ike_sa_process(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw, gsize raw_len,
                       GSocketAddress *local, GSocketAddress *remote, gboolean natt);
/* queues an exchange; starts it when the window is free */
void cg_ike_sa_queue(CgIkeSa *ike, CgExchange *x);
void cg_ike_sa_start_initiate(CgIkeSa *ike);
/* a responder SA not established within a bound is dropped */
void cg_ike_sa_arm_half_open_timeout(CgIkeSa *ike);
/* Sends a request (encrypting payloads in `inner`, a finished chain), arms
 * retransmission. first_inner: type of the first inner payload. */
void cg_ike_sa_send_request(CgIkeSa *ike, guint8 exchange_type, GByteArray *inner,
                            guint8 first_inner);
void cg_ike_sa_send_response(CgIkeSa *ike, guint8 exchange_type, guint32 msg_id, GByteArray *inner,
                             guint8 first_inner);
/* encrypts + frames a message: header | SK{inner} */
GBytes *cg_ike_sa_seal(CgIkeSa *ike, guint8 exchange_type, gboolean response, guint32 msg_id,
                       GByteArray *inner, guint8 first_inner);
void cg_ike_sa_send_raw(CgIkeSa *ike, GBytes *packet);
/* sends an unencrypted request (IKE_SA_INIT) with retransmission */
void cg_ike_sa_send_plain_request(CgIkeSa *ike, GBytes *packet);
void cg_ike_sa_exchange_done(CgIkeSa *ike);
void cg_exchange_free(CgExchange *x);
CgExchange *cg_exchange_new(CgExchangeKind kind);
void cg_ike_sa_schedule_timers(CgIkeSa *ike);
void cg_ike_sa_retry_rekey(CgIkeSa *ike, guint delay_ms);
void cg_ike_sa_note_alive(CgIkeSa *ike);
void cg_ike_sa_log(CgIkeSa *ike, CgLogLevel level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* ---- exchanges ------------------------------------------------------ */

/* cg-ike-init.c */
void cg_ike_init_send_request(CgIkeSa *ike);
void cg_ike_init_process_response(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw,
                                  gsize raw_len);
/* responder: a fresh IKE_SA_INIT request (no SA exists yet) */
void cg_ike_init_respond(CgEngine *engine, const CgMessage *msg, const guint8 *raw, gsize raw_len,
                         GSocketAddress *local, GSocketAddress *remote, gboolean natt);
/* answers an IKE_SA_INIT request carrying an unknown critical payload */
void cg_ike_init_reject_critical(CgEngine *engine, const CgIkeHeader *req, guint8 payload_type,
                                 GSocketAddress *local, GSocketAddress *remote, gboolean natt);
/* NAT detection hashes (2.23) */
void cg_natd_hash(const guint8 spi_i[8], const guint8 spi_r[8], GSocketAddress *addr,
                  guint8 out[20]);
/* installs keys after SKEYSEED */
gboolean cg_ike_sa_install_keys(CgIkeSa *ike, GError **error);

/* cg-ike-auth.c */
void cg_ike_auth_send_request(CgIkeSa *ike);
void cg_ike_auth_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id);
void cg_ike_auth_process_response(CgIkeSa *ike, const CgMessage *msg);

/* cg-ike-auth.c: CHILD_SA payload helpers shared with CREATE_CHILD_SA */
/* Adds (USE_TRANSPORT_MODE,) SA, TSi, TSr for a new CHILD_SA request. */
gboolean cg_child_request_payloads(CgIkeSa *ike, CgChildConfig *cc, CgChildSa *rekeying,
                                   guint32 spi_in, guint16 pfs, CgChainBuilder *cb,
                                   gboolean for_auth);
/* Responder: selects, narrows and installs a CHILD_SA for a request's
 * SA/TS payloads and appends the reply SA payload; returns 0 or the error
 * notify to send. forced: only this child config (rekeys). */
guint16 cg_child_respond(CgIkeSa *ike, const CgMessage *req, CgChildConfig *forced,
                         const guint8 *dh_shared, gsize dh_len, guint16 pfs_group, const guint8 *ni,
                         gsize ni_len, const guint8 *nr, gsize nr_len, CgChainBuilder *cb,
                         CgChildSa **out_child);
/* appends TSi/TSr for a child (responder: as_initiator FALSE) */
void cg_child_add_ts_payloads(CgChildSa *child, CgChainBuilder *cb, gboolean as_initiator);

/* cg-child-sa.c */
/* Initiator: checks the response to our CHILD_SA request (SA, TSi, TSr or
 * an error notify), installs the child; FALSE with *error_notify set when
 * the peer refused it. */
gboolean cg_child_accept_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg,
                                  const guint8 *dh_shared, gsize dh_len, const guint8 *ni,
                                  gsize ni_len, const guint8 *nr, gsize nr_len,
                                  CgChildSa **out_child, guint16 *error_notify);
CgChildSa *cg_child_sa_new(CgIkeSa *ike, CgChildConfig *config);
void cg_child_sa_free(CgChildSa *child);
/* derives keys and installs both directions + policies in the kernel */
gboolean cg_child_sa_install(CgChildSa *child, const guint8 *dh_shared, gsize dh_len,
                             const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                             gboolean we_initiated, GError **error);
void cg_child_sa_uninstall(CgChildSa *child);
/* the child is up: logs, publishes CHILD_UP, arms rekey/expiry timers */
void cg_child_sa_schedule(CgChildSa *child);
void cg_child_sa_retry_rekey(CgChildSa *child, guint delay_ms);
CgChildSa *cg_ike_sa_find_child_by_spi_in(CgIkeSa *ike, guint32 spi_in);
CgChildSa *cg_ike_sa_find_child_by_spi_out(CgIkeSa *ike, guint32 spi_out);
void cg_child_sa_remove(CgChildSa *child, CgReason reason); /* uninstall + publish + free */
CgChildSnapshot *cg_child_sa_snapshot(CgChildSa *child);
char *cg_child_sa_proposal_string(CgChildSa *child);

/* cg-proposal-select.c */
void cg_sa_payload_from_specs(CgSaPayload *out, GArray *specs, guint8 protocol_id,
                              const guint8 *spi, guint8 spi_size, guint16 dh_first);
/* RFC 7296 2.7: pick the first of our proposals (in our order when we are
 * responder) that the peer offered. Fills chosen (one transform per
 * type, peer's proposal number and SPI). */
gboolean cg_proposal_select(const CgSaPayload *offered, GArray *ours, gboolean want_dh,
                            CgProposal *chosen);
gboolean cg_proposal_get(const CgProposal *p, guint8 type, guint16 *id, guint16 *key_bits);
/* checks a responder's single proposal against what we offered */
gboolean cg_proposal_accept_response(const CgSaPayload *sent, const CgSaPayload *reply,
                                     CgProposal *chosen);
/* a DH group we accept per our proposals */
gboolean cg_proposal_specs_have_dh(GArray *specs, guint16 group);
guint16 cg_proposal_specs_first_dh(GArray *specs);
char *cg_proposal_chosen_string(const CgProposal *p);

/* cg-ts.c: traffic selectors (2.9) */
/* Resolves a config TS list ("dynamic" -> host address) into CgTrafficSelector */
GArray *cg_ts_resolve(GArray *config_ts, GInetAddress *dynamic_addr);
/* intersection of two lists (2.9 narrowing) */
GArray *cg_ts_narrow(const CgTsPayload *proposed, GArray *ours);
void cg_ts_payload_from_array(CgTsPayload *out, GArray *ts);
GArray *cg_ts_array_from_payload(const CgTsPayload *p);
CgTrafficSelector cg_ts_from_host(GInetAddress *addr);
CgTrafficSelector cg_ts_any(int family);
gboolean cg_ts_contains(const CgTrafficSelector *outer, const CgTrafficSelector *inner);
char *cg_ts_array_to_string(GArray *ts);

/* cg-create-child.c */
void cg_create_child_start(CgIkeSa *ike, CgChildConfig *config);
/* FALSE when the IKE_SA cannot take a rekey now (try again later) */
gboolean cg_rekey_child_start(CgChildSa *child);
gboolean cg_rekey_ike_start(CgIkeSa *ike);
void cg_create_child_send(CgIkeSa *ike, CgExchange *x);
void cg_create_child_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id);
void cg_create_child_process_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg);

/* cg-informational.c */
void cg_delete_ike_start(CgIkeSa *ike, CgReason reason);
void cg_delete_child_start(CgChildSa *child);
void cg_dpd_start(CgIkeSa *ike);
void cg_informational_send(CgIkeSa *ike, CgExchange *x);
void cg_informational_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id);
void cg_informational_process_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg);

/* helpers for notify payloads in an inner chain */
void cg_chain_add_notify(CgChainBuilder *cb, guint8 proto, const guint8 *spi, guint8 spi_size,
                         guint16 type, const guint8 *data, gsize len);
/* first notify of `type` in msg, parsed; FALSE if none */
gboolean cg_message_find_notify(const CgMessage *msg, guint16 type, CgNotifyPayload *out);
/* the first error notify (type < 16384), or 0 */
guint16 cg_message_error_notify(const CgMessage *msg);
/* answers a request with just one error notify */
void cg_ike_sa_respond_error(CgIkeSa *ike, guint8 exchange_type, guint32 msg_id, guint16 type,
                             guint8 proto, const guint8 *spi, guint8 spi_size);
CgReason cg_reason_from_notify(guint16 type);

G_END_DECLS

#include "sa/cg-mobike.h"
