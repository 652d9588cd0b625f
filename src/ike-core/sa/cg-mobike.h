/* cg-mobike.h: what happens when the addresses of an IKE_SA change.
 *
 * - MOBIKE (RFC 4555): MOBIKE_SUPPORTED in IKE_AUTH (3.2); the original
 *   initiator moves the IKE_SA and its CHILD_SAs with UPDATE_SA_ADDRESSES
 *   and NAT detection in an INFORMATIONAL exchange (3.5); the responder
 *   follows after a return routability check with COOKIE2 (3.7);
 *   NAT detection in liveness checks notices a changed NAT mapping (3.8).
 * - Without MOBIKE the initiator re-establishes the IKE_SA from the new
 *   address at once (RFC 7296 has no other way to move), and listeners
 *   see the new SA as the old one's successor (IKE_REKEYED).
 * - A NAT mapping change the responder follows (RFC 7296 2.23) moves the
 *   CHILD_SAs too.
 * - After a resume from suspend every IKE_SA gets a liveness check (2.4).
 *
 * Included by cg-sa-private.h: the hooks below are called from the
 * exchange modules and the engine. State lives in CgIkeSa.mobike, made
 * on first use and freed with the SA. Main context only.
 */
#pragma once

G_BEGIN_DECLS

typedef struct CgMobikeState CgMobikeState;

/* ---- IKE_AUTH (cg-ike-auth.c, cg-ike-sa.c) ------------------------------ */

/* Adds MOBIKE_SUPPORTED: the initiator when its connection allows MOBIKE,
 * the responder when the initiator offered it too. */
void cg_mobike_add_supported(CgIkeSa *ike, CgChainBuilder *cb);
/* Notes MOBIKE_SUPPORTED in an IKE_AUTH message of the peer. */
void cg_mobike_note_peer(CgIkeSa *ike, const CgMessage *msg);
/* Both sides announced MOBIKE on this IKE_SA (or its rekeyed predecessor). */
gboolean cg_mobike_negotiated(CgIkeSa *ike);

/* ---- receiving (cg-ike-sa.c) -------------------------------------------- */

/* Every authenticated message, before it is processed. TRUE: MOBIKE
 * decides this SA's addresses, the datagram's must not be followed
 * (RFC 4555 3.5: only UPDATE_SA_ADDRESSES moves a MOBIKE SA). */
gboolean cg_mobike_on_message(CgIkeSa *ike, GSocketAddress *local, GSocketAddress *remote,
                              gboolean natt);
/* The SA followed the peer to a new address (RFC 7296 2.23, a NAT
 * mapping changed): the CHILD_SAs follow too. */
void cg_mobike_peer_moved(CgIkeSa *ike);

/* ---- INFORMATIONAL (cg-informational.c) --------------------------------- */

/* CG_X_UPDATE_ADDRESSES and CG_X_ROUTABILITY requests, and their responses */
void cg_mobike_send(CgIkeSa *ike, CgExchange *x);
void cg_mobike_process_response(CgIkeSa *ike, CgExchange *x, const CgMessage *msg);
/* Answers a request with UPDATE_SA_ADDRESSES, COOKIE2 or NAT detection
 * notifies; FALSE (nothing sent) when it has none. */
gboolean cg_mobike_process_request(CgIkeSa *ike, const CgMessage *msg, guint32 msg_id);
/* NAT detection in our liveness checks, and what the answer says */
void cg_mobike_add_dpd_payloads(CgIkeSa *ike, CgChainBuilder *cb);
void cg_mobike_dpd_response(CgIkeSa *ike, const CgMessage *msg);

/* ---- lifecycle (cg-ike-sa.c) -------------------------------------------- */

/* The SA is going: an IKE rekey's successor inherits the MOBIKE state. */
void cg_mobike_sa_destroyed(CgIkeSa *ike);
void cg_mobike_sa_free(CgIkeSa *ike);

/* ---- the engine ----------------------------------------------------------- */

/* The source address that reaches remote now, as the IKE sockets would
 * route (engine/cg-engine.c). */
GInetAddress *cg_engine_route_source(CgEngine *engine, GInetAddress *remote, GError **error);

G_END_DECLS
