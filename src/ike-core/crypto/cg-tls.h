/* cg-tls.h: a TLS client without a socket, for EAP-TLS (RFC 5216): TLS
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
void cg_tls_free(CgTls *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgTls, cg_tls_free)
/* Feeds TLS bytes from the server (none for the first call) and appends
 * what the client sends next to out. */
CgTlsStatus cg_tls_step(CgTls *tls, const guint8 *in, gsize in_len, GByteArray *out,
                        GError **error);
/* RFC 5705 exporter (no context) once DONE. */
gboolean cg_tls_export(CgTls *tls, const char *label, guint8 *out, gsize len, GError **error);
/* The server's verified certificate, once DONE (borrowed). */
CgCert *cg_tls_server_cert(CgTls *tls);

G_END_DECLS
