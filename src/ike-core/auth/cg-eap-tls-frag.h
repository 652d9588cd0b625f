/* cg-eap-tls-frag.h: EAP-TLS framing (RFC 5216 3.1, 3.2), shared by the
 * peer (cg-eap-tls.c) and the server (cg-eap-tls-server.c): a message is
 * Flags | [TLS Message Length] | TLS Data; long TLS messages go out in
 * fragments, each acknowledged by an empty message from the other side. */
#pragma once

#include <glib.h>

#include "crypto/cg-tls.h"

#define CG_EAP_TLS_FLAG_LENGTH 0x80 /* L: TLS Message Length present */
#define CG_EAP_TLS_FLAG_MORE   0x40 /* M: more fragments follow */
#define CG_EAP_TLS_FLAG_START  0x20 /* S: EAP-TLS start */

typedef struct {
    GByteArray *rx; /* fragments of the other side's TLS message */
    gsize rx_total; /* its announced length (L), 0 when not given */
    GByteArray *tx; /* our TLS message, sent fragment by fragment */
    gsize tx_pos;
} CgEapTlsFrag;

void cg_eap_tls_frag_init(CgEapTlsFrag *frag);
void cg_eap_tls_frag_clear(CgEapTlsFrag *frag);

/* Is part of our message still to go? */
gboolean cg_eap_tls_frag_sending(const CgEapTlsFrag *frag);
/* Appends the next fragment of tx to out: L and the total on the first of
 * several, M on all but the last. */
void cg_eap_tls_frag_send_next(CgEapTlsFrag *frag, GByteArray *out);

/* Takes one EAP-TLS message (from its flags octet on) into rx. TRUE and
 * *complete when rx now holds the whole TLS message (M clear); TRUE with
 * an acknowledgement appended to ack when more fragments follow; FALSE
 * with a CG_EAP_ERROR for a bad length, fragments beyond it or an empty
 * fragment. */
gboolean cg_eap_tls_frag_take(CgEapTlsFrag *frag, const guint8 *msg, gsize len, gboolean *complete,
                              GByteArray *ack, GError **error);
/* Forgets the message in rx (after TLS consumed it). */
void cg_eap_tls_frag_rx_done(CgEapTlsFrag *frag);

/* RFC 5216 2.3: MSK = the TLS exporter with "client EAP encryption"
 * (RFC 5705), the same on both sides; NULL before the handshake is done. */
GBytes *cg_eap_tls_msk(CgTls *tls, gboolean handshake_done);
