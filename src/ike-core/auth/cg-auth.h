/* cg-auth.h: authentication methods for the IKE_AUTH exchange: the AUTH
 * payload with a pre-shared key, an EAP MSK (RFC 7296 2.15, 2.16) or a
 * digital signature (RFC 7296 3.8, RFC 7427, RFC 4754); certificates and
 * their checks (RFC 7296 3.6/3.7, RFC 4945); the per-SA state of a
 * multi-round IKE_AUTH with EAP (RFC 7296 2.16, RFC 5998).
 *
 * sa/cg-ike-auth.c drives the exchange and calls in here. Engine-private:
 * nothing outside src/ike-core/{engine,sa,auth} includes this.
 */
#pragma once

#include "auth/cg-eap.h"
#include "crypto/cg-cert.h"
#include "crypto/cg-sign.h"
#include "sa/cg-sa-private.h"

G_BEGIN_DECLS

/* ---- the state of one IKE_SA's authentication --------------------------- */

typedef struct CgAuthState CgAuthState;
typedef struct CgCertCheck CgCertCheck; /* cg-auth-cert-check.c */

typedef enum {
    CG_AUTH_PHASE_FIRST = 0, /* before the first IKE_AUTH request */
    CG_AUTH_PHASE_EAP,       /* EAP messages go back and forth */
    CG_AUTH_PHASE_FINAL,     /* EAP succeeded: AUTH with the MSK is next */
    CG_AUTH_PHASE_DONE,
} CgAuthPhase;

/* A deep copy of a message's payloads (the responder keeps the first
 * IKE_AUTH request's SA, TS and CP until EAP has finished). */
typedef struct {
    CgMessage msg;
    guint8 *buf;
} CgMessageCopy;

struct CgAuthState {
    /* from the peer's IKE_SA_INIT message */
    guint peer_sig_hashes;      /* bit (1 << CgHash) per RFC 7427 hash the peer accepts */
    gboolean peer_sent_certreq; /* any CERTREQ seen (IKE_SA_INIT or IKE_AUTH) */
    GPtrArray *peer_ca_hashes;  /* GBytes: the 20-byte CA key hashes it asked for */

    CgAuthPhase phase;
    guint rounds;       /* IKE_AUTH requests so far (bounded) */
    GBytes *my_id_body; /* the ID payload body we sent: AUTH octets (2.15) */
    GBytes *peer_id_body;
    CgCert *peer_cert;       /* the peer's verified end-entity certificate */
    CgCertCheck *cert_check; /* a check with OCSP, running or done */
    gboolean peer_authenticated;
    gboolean eap_only; /* RFC 5998 in effect: the responder sends AUTH only with the MSK */
    GBytes *msk;       /* wiped on free */
    char *eap_identity;
    guint8 eap_method;
    CgReason fail_reason; /* a failure waiting for the peer's last answer */
    char *fail_message;

    /* initiator: the EAP peer and the first CHILD_SA asked for */
    CgEapPeer *eap_peer;
    GBytes *eap_out;
    CgChildConfig *child_config;
    guint32 child_spi_in;

    /* responder: the EAP server and the first request */
    CgEapServer *eap_server;
    CgMessageCopy *first_request;
};

CgAuthState *cg_auth_state_get(CgIkeSa *ike); /* creates it on first use */
void cg_auth_state_free(CgAuthState *st);
CgMessageCopy *cg_message_copy(const CgMessage *msg);
void cg_message_copy_free(CgMessageCopy *c);

/* ---- IKE_SA_INIT extensions (called from cg-ike-init.c) ------------------ */

/* Initiator: N(SIGNATURE_HASH_ALGORITHMS), N(IKEV2_FRAGMENTATION_SUPPORTED). */
void cg_auth_init_request_payloads(CgIkeSa *ike, CgChainBuilder *cb);
/* Responder: the same (fragmentation only when asked) and CERTREQ. */
void cg_auth_init_response_payloads(CgIkeSa *ike, CgChainBuilder *cb);
/* Both: what the peer's IKE_SA_INIT message announced. */
void cg_auth_init_note_peer(CgIkeSa *ike, const CgMessage *msg);

/* ---- loaded credentials of a connection (cached in the config) ---------- */

typedef struct {
    /* ours */
    CgCert *cert;
    GPtrArray *chain; /* CgCert*: intermediates we send after it */
    CgPrivKey *key;
    /* whom we trust */
    gboolean trust_loaded;
    GPtrArray *anchors; /* CgCert*; empty: the NSS database's trust */
    GPtrArray *crls;    /* CgCrl* */
    CgCert *pinned;     /* remote_cert */
    CgOcspMode ocsp;    /* OCSP for the peer's certificate (off until the
                         * connection config carries a setting for it) */
} CgAuthCreds;

/* Our certificate and key; FALSE with a message naming the file or token. */
gboolean cg_auth_creds_local(CgConnConfig *config, CgAuthCreds **out, GError **error);
/* Trust anchors, CRLs, pinned certificate. */
gboolean cg_auth_creds_trust(CgConnConfig *config, CgAuthCreds **out, GError **error);
/* An EAP-TLS server (remote auth eap-tls) shows our certificate and key
 * and checks the peer's against our CAs: hands them to `server`. */
gboolean cg_auth_eap_server_tls(CgConnConfig *config, CgEapServer *server, GError **error);

/* ---- AUTH payloads --------------------------------------------------------- */

/* RFC 7296 2.15: AUTH = prf(prf(secret, "Key Pad for IKEv2"), <SignedOctets>)
 * for a PSK or an EAP MSK; out holds cg_prf_output_len bytes. */
gboolean cg_auth_shared_compute(CgIkeSa *ike, GBytes *secret, gboolean of_initiator,
                                const guint8 *id_body, gsize id_len, guint8 out[64], gsize *out_len,
                                GError **error);
/* The PSK of this IKE_SA (config, else the engine's store), or NULL. */
GBytes *cg_auth_find_psk(CgIkeSa *ike);

/* Appends our AUTH payload: with `msk` when given, else by
 * config->local_auth (PSK or signature). FALSE: *reason and error say why. */
gboolean cg_auth_add_auth(CgIkeSa *ike, CgChainBuilder *cb, GBytes *msk, CgReason *reason,
                          GError **error);
/* The CERT payloads of a message (X.509 signature encoding, RFC 7296
 * 3.6), end entity first, at most 16; others are skipped. */
gboolean cg_auth_collect_certs(const CgMessage *msg, GPtrArray *certs, GError **error);
/* Appends CERT payloads (ours, then the intermediates) when we sign. */
gboolean cg_auth_add_certs(CgIkeSa *ike, CgChainBuilder *cb, CgReason *reason, GError **error);
/* Appends a CERTREQ naming the CAs we trust, when the peer signs. */
void cg_auth_add_certreq(CgIkeSa *ike, CgChainBuilder *cb);
/* Remembers the CERTREQs of a message. */
void cg_auth_note_certreqs(CgIkeSa *ike, const CgMessage *msg);

/* Checks the peer's AUTH payload by config->remote_auth (PSK or
 * certificate + signature) over its signed octets with id_body. On
 * failure *reason is the most precise reason (CERT_UNTRUSTED, CERT_EXPIRED,
 * CERT_REVOKED, ID_MISMATCH, AUTH_FAILED, ...) and error the sentence. */
gboolean cg_auth_verify_peer(CgIkeSa *ike, const CgMessage *msg, const guint8 *id_body,
                             gsize id_len, CgReason *reason, GError **error);
/* Checks an AUTH computed with the MSK (EAP, 2.16). */
gboolean cg_auth_verify_msk(CgIkeSa *ike, const CgMessage *msg, GBytes *msk, const guint8 *id_body,
                            gsize id_len, GError **error);

/* ---- RFC 7427 ----------------------------------------------------------------- */

/* AUTH data of method 14: ASN.1 length octet | AlgorithmIdentifier. */
GBytes *cg_sigalg_encode(const CgSigScheme *scheme);
/* Parses the front of method-14 AUTH data; *consumed: bytes before the
 * signature value. Unknown algorithms fail with a message naming the OID. */
gboolean cg_sigalg_decode(const guint8 *data, gsize len, CgSigScheme *out, gsize *consumed,
                          GError **error);
/* Bit mask (1 << CgHash) from SIGNATURE_HASH_ALGORITHMS notify data. */
guint cg_sighash_parse(const guint8 *data, gsize len);

/* ---- snapshots -------------------------------------------------------------- */

/* "pubkey", "psk", "eap-mschapv2" ... for the snapshot of this SA */
const char *cg_auth_local_name(CgIkeSa *ike);
const char *cg_auth_remote_name(CgIkeSa *ike);
/* Adds what authentication learned to a snapshot (peer certificate, EAP
 * identity, method names). */
void cg_auth_fill_snapshot(CgIkeSa *ike, CgIkeSnapshot *s);

/* ---- peer certificate checks that wait on an OCSP responder --------------- */

/* When the IKE_AUTH message (decrypted) carries AUTH and CERT and the
 * connection checks the peer's certificate with OCSP, and no verdict for
 * that certificate is in yet: starts the check on a blocking-work thread,
 * keeps a copy of the message and returns TRUE; the caller drops the
 * message, and cg_ike_sa_replay() processes the copy once the verdict is
 * in. While a check runs, further copies are dropped (TRUE). FALSE: go on
 * now. */
gboolean cg_auth_cert_check_hold(CgIkeSa *ike, gboolean response, guint8 exchange_type,
                                 guint32 msg_id, const CgMessage *msg, GSocketAddress *local,
                                 GSocketAddress *remote, gboolean natt);
/* The verdict such a check reached for `end` under the IKE_SA's
 * connection, if any. */
gboolean cg_auth_cert_check_verdict(CgIkeSa *ike, CgCert *end, CgCertStatus *status,
                                    char **detail);
void cg_cert_check_free(CgCertCheck *check);

G_END_DECLS
