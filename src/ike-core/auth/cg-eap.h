/* cg-eap.h: EAP (RFC 3748) as IKEv2 carries it in EAP payloads (RFC 7296
 * 2.16): the peer (client) and the server (authenticator) state machines,
 * with EAP-Identity, Nak, EAP-MSCHAPv2 (RFC 2759 inside EAP) and the
 * EAP-TLS peer (RFC 5216).
 *
 * Bytes in, bytes out: no sockets, no IKE state, so the parsers can be
 * fuzzed alone. Every message from the network is checked against its
 * own length fields before anything looks inside; a malformed or
 * unexpected message ends the conversation with a reason, never a crash.
 * Passwords are copied into memory that is wiped when the object goes.
 */
#pragma once

#include <glib.h>

#include "config/cg-config.h"

G_BEGIN_DECLS

#define CG_EAP_ERROR (cg_eap_error_quark())
GQuark cg_eap_error_quark(void);

typedef enum {
    CG_EAP_ERROR_MALFORMED,   /* a message breaks RFC 3748 or the method's format */
    CG_EAP_ERROR_UNEXPECTED,  /* a valid message at the wrong time */
    CG_EAP_ERROR_NO_METHOD,   /* no method both sides accept */
    CG_EAP_ERROR_CREDENTIALS, /* the password / user name was rejected */
    CG_EAP_ERROR_PEER_AUTH,   /* the server failed to prove itself (mutual auth) */
    CG_EAP_ERROR_LOCAL,       /* we lack a secret or a crypto operation failed */
} CgEapError;

/* EAP codes (RFC 3748 4) */
#define CG_EAP_CODE_REQUEST  1
#define CG_EAP_CODE_RESPONSE 2
#define CG_EAP_CODE_SUCCESS  3
#define CG_EAP_CODE_FAILURE  4
#define CG_EAP_HEADER_LEN    4
#define CG_EAP_MSK_LEN       64

typedef enum {
    CG_EAP_CONTINUE = 0, /* send *out and wait for the next message */
    CG_EAP_SUCCESS,      /* done, MSK available (server: send *out, the EAP-Success) */
    CG_EAP_FAILURE,      /* done; send *out if set (a last message), error says why */
} CgEapStatus;

const char *cg_eap_method_name(guint8 type); /* "MSCHAPv2", "TLS", "type 42" */

/* ---- the peer (we are the client) ----------------------------------------- */

typedef struct {
    guint8 method;        /* CgEapMethod we insist on; CG_EAP_ANY: MSCHAPv2 or TLS */
    const char *identity; /* EAP identity (user name), UTF-8 */
    GBytes *password;     /* MSCHAPv2; copied */
    /* EAP-TLS: our certificate and key (cg-cert.h / cg-sign.h), the
     * CAs that may sign the server's certificate, and the identity the
     * server's certificate must carry (NULL: any). Borrowed until free. */
    gpointer tls_cert;    /* CgCert* */
    gpointer tls_chain;   /* GPtrArray* of CgCert* (intermediates), may be NULL */
    gpointer tls_key;     /* CgPrivKey* */
    gpointer tls_anchors; /* GPtrArray* of CgCert*, may be NULL (NSS trust) */
    const char *tls_server_name;
} CgEapPeerParams;

typedef struct CgEapPeer CgEapPeer;
CgEapPeer *cg_eap_peer_new(const CgEapPeerParams *params);
void cg_eap_peer_free(CgEapPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgEapPeer, cg_eap_peer_free)
/* One message from the server (an EAP payload's body); *out is the
 * response to send (NULL when there is none). */
CgEapStatus cg_eap_peer_process(CgEapPeer *peer, const guint8 *msg, gsize len, GBytes **out,
                                GError **error);
/* After CG_EAP_SUCCESS: the MSK (64 bytes, wiped on free), else NULL. */
GBytes *cg_eap_peer_msk(CgEapPeer *peer);
guint8 cg_eap_peer_method(CgEapPeer *peer); /* the method in use, 0 before one began */
/* TRUE once the method authenticated the server (MSCHAPv2's
 * authenticator response, EAP-TLS's server certificate): RFC 5998 needs
 * this before it trusts an EAP-only responder. */
gboolean cg_eap_peer_server_authenticated(CgEapPeer *peer);

/* ---- the server (we authenticate the client) -------------------------------- */

/* Looks up the password of a user; NULL when unknown. */
typedef GBytes *(*CgEapSecretFunc)(const char *identity, gpointer user_data);

typedef struct CgEapServer CgEapServer;
/* identity: the user as far as IKE knows it (IDi), used when the client
 * answers no EAP-Identity; NULL is fine. */
CgEapServer *cg_eap_server_new(guint8 method, const char *server_name, CgEapSecretFunc secret,
                               gpointer user_data);
void cg_eap_server_free(CgEapServer *server);
/* EAP-TLS server: our certificate, its intermediates, our key, and the
 * CAs that may sign the peer's certificate. Borrowed until free. */
typedef struct {
    gpointer cert;    /* CgCert* */
    gpointer chain;   /* GPtrArray* of CgCert*, may be NULL */
    gpointer key;     /* CgPrivKey* */
    gpointer anchors; /* GPtrArray* of CgCert*, may be NULL (NSS trust) */
} CgEapServerTls;
/* Before the first message; without it EAP-TLS fails with a reason. */
void cg_eap_server_set_tls(CgEapServer *server, const CgEapServerTls *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgEapServer, cg_eap_server_free)
/* The first request (EAP-Request/Identity). */
GBytes *cg_eap_server_start(CgEapServer *server);
CgEapStatus cg_eap_server_process(CgEapServer *server, const guint8 *msg, gsize len, GBytes **out,
                                  GError **error);
GBytes *cg_eap_server_msk(CgEapServer *server);
/* The identity the client gave (NULL before EAP-Identity). */
const char *cg_eap_server_identity(CgEapServer *server);
/* Why the client failed, as soon as the method knows (before the
 * conversation ends with EAP-Failure); NULL while it has not failed. */
const char *cg_eap_server_failure(CgEapServer *server);

G_END_DECLS
