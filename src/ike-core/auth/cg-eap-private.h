/* cg-eap-private.h: what the EAP framework (cg-eap.c) and its methods
 * (cg-eap-mschapv2.c, cg-eap-tls.c) share. Not used outside auth/. */
#pragma once

#include "auth/cg-eap.h"

G_BEGIN_DECLS

/* Sets CG_EAP_ERROR with a formatted message; returns CG_EAP_FAILURE. */
CgEapStatus cg_eap_fail(GError **error, CgEapError code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* A method's peer side: takes the type data of a Request, writes the
 * type data of the Response into reply (left empty: nothing to send). */
typedef struct {
    guint8 type;
    gpointer (*new_peer)(const CgEapPeerParams *params, GError **error);
    CgEapStatus (*process)(gpointer state, const guint8 *data, gsize len, GByteArray *reply,
                           GError **error);
    /* the method is complete and the server proved itself */
    gboolean (*done)(gpointer state);
    GBytes *(*msk)(gpointer state);
    void (*free)(gpointer state);
} CgEapPeerMethod;

/* A method's server side: start writes the first Request's type data;
 * process takes a Response's type data and writes the next Request's
 * (CONTINUE), or finishes (SUCCESS / FAILURE, reply then unused). */
typedef struct {
    guint8 type;
    gpointer (*new_server)(const char *identity, const char *server_name, CgEapSecretFunc secret,
                           gpointer user_data, const CgEapServerTls *tls, GError **error);
    void (*start)(gpointer state, guint8 eap_id, GByteArray *request);
    CgEapStatus (*process)(gpointer state, guint8 eap_id, const guint8 *data, gsize len,
                           GByteArray *request, GError **error);
    GBytes *(*msk)(gpointer state);
    /* why authentication failed, once decided (the failure request is
     * out, its acknowledgement still to come), else NULL */
    const char *(*failure)(gpointer state);
    void (*free)(gpointer state);
} CgEapServerMethod;

extern const CgEapPeerMethod cg_eap_mschapv2_peer;
extern const CgEapServerMethod cg_eap_mschapv2_server;
extern const CgEapPeerMethod cg_eap_tls_peer;
extern const CgEapServerMethod cg_eap_tls_server;

/* ---- MS-CHAPv2 computations (RFC 2759 8, RFC 3079 3) -------------------- */

/* NtPasswordHash: MD4 of the UTF-16LE password. FALSE when the password is
 * not UTF-8 or longer than 256 characters (RFC 2759 8.2 limit). */
gboolean cg_mschapv2_password_hash(GBytes *password, guint8 out[16]);
/* GenerateNTResponse (8.1) from the password hash. */
gboolean cg_mschapv2_nt_response(const guint8 auth_challenge[16], const guint8 peer_challenge[16],
                                 const char *username, const guint8 password_hash[16],
                                 guint8 out[24], GError **error);
/* GenerateAuthenticatorResponse (8.7): "S=" and 40 upper-case hex digits. */
void cg_mschapv2_authenticator_response(const guint8 password_hash[16],
                                        const guint8 nt_response[24],
                                        const guint8 peer_challenge[16],
                                        const guint8 auth_challenge[16], const char *username,
                                        char out[43]);
/* MSK = MasterReceiveKey | MasterSendKey | 32 zero octets, both keys as
 * the authenticator names them (RFC 3079 3.4, MS-CHAP 3.1.5.1). */
void cg_mschapv2_msk(const guint8 password_hash[16], const guint8 nt_response[24],
                     guint8 out[CG_EAP_MSK_LEN]);
/* The name MS-CHAPv2 hashes: the user without a "DOMAIN\" prefix. */
const char *cg_mschapv2_username(const char *identity);

G_END_DECLS
