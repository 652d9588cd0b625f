/* cg-tls.h: a TLS client or server without a socket, for EAP-TLS (RFC 5216): TLS
 * records go in and out as bytes, the handshake runs in NSS's libssl,
 * the server's certificate is checked like an IKE peer's (cg-cert.h), and
 * the MSK comes from the TLS exporter. TLS 1.2 only: EAP-TLS with TLS 1.3
 * (RFC 9190) has other rules and strongSwan 5.9 does not offer it. */
#pragma once

#include <glib.h>

#include "cg-cert.h"
#include "cg-sign.h"

G_BEGIN_DECLS

typedef struct CgTls CgTls;

typedef enum {
    CG_TLS_WANT_MORE = 0, /* send the output (if any), wait for more input */
    CG_TLS_DONE,          /* handshake complete, server verified */
    CG_TLS_FAILED,        /* error says why */
} CgTlsStatus;

/* cert/key: our client certificate (NULL: none); chain: intermediates
 * (CgCert*, may be NULL); anchors: CAs for the server (CgCert*, NULL:
 * the NSS database's trust); server_name: an identity the server's
 * certificate must carry (FQDN or IP literal), or NULL. Borrowed until
 * cg_tls_free. */
CgTls *cg_tls_client_new(CgCert *cert, GPtrArray *chain, CgPrivKey *key, GPtrArray *anchors,
                         const char *server_name, GError **error);
/* The server side: our certificate and key (its intermediates are found
 * among the loaded certificates), anchors: the CAs that may sign the
 * client's certificate, which is required. */
CgTls *cg_tls_server_new(CgCert *cert, GPtrArray *chain, CgPrivKey *key, GPtrArray *anchors,
                         GError **error);
void cg_tls_free(CgTls *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgTls, cg_tls_free)
/* Feeds TLS bytes from the peer (none for a client's first call) and
 * appends what we send next to out. DONE: the handshake is complete on
 * our side (a server's last flight may still be in out). */
CgTlsStatus cg_tls_step(CgTls *tls, const guint8 *in, gsize in_len, GByteArray *out,
                        GError **error);
/* RFC 5705 exporter (no context) once DONE. */
gboolean cg_tls_export(CgTls *tls, const char *label, guint8 *out, gsize len, GError **error);
/* The peer's verified certificate, once DONE (borrowed): the server's
 * for a client, the client's for a server. */
CgCert *cg_tls_server_cert(CgTls *tls);

G_END_DECLS
