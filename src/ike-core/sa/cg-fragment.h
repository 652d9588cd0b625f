/* cg-fragment.h: IKEv2 message fragmentation (RFC 7383): an encrypted
 * message larger than the path allows goes out as several messages, each
 * with an Encrypted Fragment (SKF) payload, each protected on its own;
 * the receiver checks each fragment and reassembles the inner payloads.
 *
 * Hooks into cg-ike-sa.c: cg_ike_sa_seal asks cg_fragment_seal first;
 * what it returns is a "bundle", the fragment datagrams back to back
 * (each IKE header says its own length), which cg_fragment_send_bundle
 * sends one by one, for retransmissions and cached responses alike.
 * open_sk hands SKF messages to cg_fragment_open.
 */
#pragma once

#include "sa/cg-sa-private.h"

G_BEGIN_DECLS

#define CG_FRAGMENT_ERROR (cg_fragment_error_quark())
GQuark cg_fragment_error_quark(void);

typedef enum {
    CG_FRAGMENT_ERROR_INCOMPLETE, /* a valid fragment stored; more to come (not an error) */
    CG_FRAGMENT_ERROR_INVALID,    /* a fragment that fails its checks (dropped) */
} CgFragmentError;

typedef struct CgFragState CgFragState;
void cg_fragment_state_free(CgFragState *f);

/* IKE_SA_INIT: adds N(IKEV2_FRAGMENTATION_SUPPORTED) when the connection
 * allows it (as responder: only when the initiator sent it, 2.3). */
void cg_fragment_add_notify(CgIkeSa *ike, CgChainBuilder *cb, gboolean response);
/* Notes the peer's IKEV2_FRAGMENTATION_SUPPORTED. */
void cg_fragment_note_peer(CgIkeSa *ike, const CgMessage *msg);
/* Both sides support it: messages may be fragmented. */
gboolean cg_fragment_enabled(CgIkeSa *ike);
/* The rekeyed IKE_SA keeps the support of the old one. */
void cg_fragment_inherit(CgIkeSa *from, CgIkeSa *to);

/* When fragmentation is on and the sealed message would not fit the
 * connection's fragment size: the bundle of protected fragments. NULL:
 * seal it whole (error only set on a crypto failure). */
GBytes *cg_fragment_seal(CgIkeSa *ike, guint8 exchange_type, gboolean response, guint32 msg_id,
                         GByteArray *inner, guint8 first_inner, GError **error);
/* Sends every IKE message in data (one, or a bundle). */
void cg_fragment_send_bundle(CgEngine *engine, GSocketAddress *local, GSocketAddress *remote,
                             gboolean natt, const guint8 *data, gsize len);

/* A message whose last payload is SKF: checks and decrypts the fragment;
 * once all have come, fills inner (payloads pointing into *plain_out, the
 * caller frees it) like open_sk. Until then FALSE with
 * CG_FRAGMENT_ERROR_INCOMPLETE. */
gboolean cg_fragment_open(CgIkeSa *ike, const CgMessage *msg, const guint8 *raw, gsize raw_len,
                          CgMessage *inner, guint8 **plain_out, GError **error);
/* RFC 7383 2.6.1: only the first fragment of a retransmitted request
 * triggers the response's retransmission. TRUE for unfragmented messages. */
gboolean cg_fragment_is_first(const CgMessage *msg);

G_END_DECLS
