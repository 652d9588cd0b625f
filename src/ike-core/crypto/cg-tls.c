/* cg-tls.c: NSS's TLS client over memory instead of a socket: an NSPR
 * I/O layer whose recv takes bytes we were given and whose send collects
 * bytes to hand back, with libssl on top. The handshake runs in
 * non-blocking style: each step goes until libssl wants more input. */
#include "cg-cert-private.h"
#include "cg-tls.h"

#include <string.h>

#include <gio/gio.h>

#include <prerror.h>
#include <prio.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#define TLS_MAX_BUFFER (256 * 1024) /* what one handshake may carry */

struct CgTls {
    PRFileDesc *fd; /* libssl on top of our memory layer */
    GByteArray *in; /* from the server, not read by libssl yet */
    gsize in_pos;
    GByteArray *out; /* for the server */
    CgCert *cert;
    CgPrivKey *key;
    GPtrArray *chain;
    GPtrArray *anchors;
    char *server_name;
    CgCert *server_cert; /* the peer's verified certificate (the client's, as a server) */
    char *refusal;       /* why the peer's certificate was refused */
    gboolean is_server;
    gboolean done;
};

/* ---- the memory layer ----------------------------------------------------- */

static PRDescIdentity layer_identity;
static PRIOMethods layer_methods;

static CgTls *
tls_of(PRFileDesc *fd)
{
    return (CgTls *)fd->secret;
}

static PRInt32 PR_CALLBACK
layer_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags, PRIntervalTime timeout)
{
    CgTls *t = tls_of(fd);
    gsize left = t->in->len - t->in_pos;
    if (left == 0) {
        PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
        return -1;
    }
    gsize n = MIN(left, (gsize)amount);
    memcpy(buf, t->in->data + t->in_pos, n);
    t->in_pos += n;
    return (PRInt32)n;
}

static PRInt32 PR_CALLBACK
layer_read(PRFileDesc *fd, void *buf, PRInt32 amount)
{
    return layer_recv(fd, buf, amount, 0, PR_INTERVAL_NO_TIMEOUT);
}

static PRInt32 PR_CALLBACK
layer_send(PRFileDesc *fd, const void *buf, PRInt32 amount, PRIntn flags, PRIntervalTime timeout)
{
    CgTls *t = tls_of(fd);
    if (amount < 0 || t->out->len + (gsize)amount > TLS_MAX_BUFFER) {
        PR_SetError(PR_BUFFER_OVERFLOW_ERROR, 0);
        return -1;
    }
    g_byte_array_append(t->out, buf, (guint)amount);
    return amount;
}

static PRInt32 PR_CALLBACK
layer_write(PRFileDesc *fd, const void *buf, PRInt32 amount)
{
    return layer_send(fd, buf, amount, 0, PR_INTERVAL_NO_TIMEOUT);
}

/* libssl asks for a peer address (session cache key): a fixed one */
static PRStatus PR_CALLBACK
layer_getpeername(PRFileDesc *fd, PRNetAddr *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->inet.family = PR_AF_INET;
    addr->inet.ip = g_htonl(0x7f000001);
    return PR_SUCCESS;
}

static PRStatus PR_CALLBACK
layer_getsocketoption(PRFileDesc *fd, PRSocketOptionData *data)
{
    if (data->option == PR_SockOpt_Nonblocking) {
        data->value.non_blocking = PR_TRUE;
        return PR_SUCCESS;
    }
    PR_SetError(PR_OPERATION_NOT_SUPPORTED_ERROR, 0);
    return PR_FAILURE;
}

/* The defaults of PR_GetDefaultIOMethods forward to a lower layer, and
 * ours is the lowest: everything libssl may call ends here. */
static PRStatus PR_CALLBACK
layer_setsocketoption(PRFileDesc *fd, const PRSocketOptionData *data)
{
    return PR_SUCCESS;
}

static PRStatus PR_CALLBACK
layer_shutdown(PRFileDesc *fd, PRIntn how)
{
    return PR_SUCCESS;
}

static PRInt16 PR_CALLBACK
layer_poll(PRFileDesc *fd, PRInt16 in_flags, PRInt16 *out_flags)
{
    *out_flags = 0;
    return in_flags;
}

static PRInt32 PR_CALLBACK
layer_available(PRFileDesc *fd)
{
    CgTls *t = tls_of(fd);
    return (PRInt32)(t->in->len - t->in_pos);
}

static PRInt32 PR_CALLBACK
layer_writev(PRFileDesc *fd, const PRIOVec *iov, PRInt32 n, PRIntervalTime timeout)
{
    PRInt32 total = 0;
    for (PRInt32 i = 0; i < n; i++) {
        PRInt32 w = layer_send(fd, iov[i].iov_base, iov[i].iov_len, 0, timeout);
        if (w < 0)
            return -1;
        total += w;
    }
    return total;
}

static PRStatus PR_CALLBACK
layer_not_a_socket(PRFileDesc *fd, const PRNetAddr *addr, PRIntervalTime timeout)
{
    PR_SetError(PR_OPERATION_NOT_SUPPORTED_ERROR, 0);
    return PR_FAILURE;
}

static PRStatus PR_CALLBACK
layer_close(PRFileDesc *fd)
{
    fd->secret = NULL;
    fd->dtor(fd);
    return PR_SUCCESS;
}

static void
init_layer(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        layer_identity = PR_GetUniqueIdentity("cygnet-eap-tls");
        layer_methods = *PR_GetDefaultIOMethods();
        layer_methods.file_type = PR_DESC_LAYERED;
        layer_methods.recv = layer_recv;
        layer_methods.read = layer_read;
        layer_methods.send = layer_send;
        layer_methods.write = layer_write;
        layer_methods.getpeername = layer_getpeername;
        layer_methods.getsocketoption = layer_getsocketoption;
        layer_methods.getsockname = layer_getpeername;
        layer_methods.setsocketoption = layer_setsocketoption;
        layer_methods.shutdown = layer_shutdown;
        layer_methods.poll = layer_poll;
        layer_methods.available = layer_available;
        layer_methods.writev = layer_writev;
        layer_methods.connect = layer_not_a_socket;
        layer_methods.close = layer_close;
        NSS_SetDomesticPolicy();
        g_once_init_leave(&once, 1);
    }
}

/* ---- certificates ------------------------------------------------------------- */

/* The server's chain, checked as an IKE peer's would be. */
static SECStatus PR_CALLBACK
auth_certificate(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
    CgTls *t = arg;
    CERTCertificate *peer = SSL_PeerCertificate(fd);
    if (!peer) {
        t->refusal = g_strdup(t->is_server ? "the TLS client sent no certificate"
                                           : "the TLS server sent no certificate");
        PORT_SetError(SSL_ERROR_NO_CERTIFICATE);
        return SECFailure;
    }
    g_autoptr(CgCert) end = cg_cert_wrap(peer);
    g_autoptr(GPtrArray) inter = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    CERTCertList *chain = SSL_PeerCertificateChain(fd);
    for (CERTCertListNode *n = chain ? CERT_LIST_HEAD(chain) : NULL; n && !CERT_LIST_END(n, chain);
         n = CERT_LIST_NEXT(n)) {
        if (n->cert != peer && !SECITEM_ItemsAreEqual(&n->cert->derCert, &peer->derCert))
            g_ptr_array_add(inter, cg_cert_wrap(CERT_DupCertificate(n->cert)));
    }
    if (chain)
        CERT_DestroyCertList(chain);
    CgCertPolicy policy = { t->anchors, NULL, 0 };
    g_autofree char *detail = NULL;
    CgCertStatus st = cg_cert_verify(end, inter, &policy, &detail);
    if (st != CG_CERT_OK) {
        t->refusal = g_steal_pointer(&detail);
        PORT_SetError(st == CG_CERT_EXPIRED ? SEC_ERROR_EXPIRED_CERTIFICATE
                                            : SEC_ERROR_UNTRUSTED_CERT);
        return SECFailure;
    }
    if (t->server_name) {
        g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(t->server_name);
        gboolean ok = ip ? cg_cert_matches_id(
                          end, g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6 ? 5 : 1,
                          g_inet_address_to_bytes(ip), g_inet_address_get_native_size(ip))
                         : cg_cert_matches_id(end, 2, (const guint8 *)t->server_name,
                                              strlen(t->server_name));
        if (!ok) {
            g_autofree char *subject = cg_cert_subject(end);
            t->refusal = g_strdup_printf("the TLS server's certificate '%s' is not for '%s'",
                                         subject, t->server_name);
            PORT_SetError(SSL_ERROR_BAD_CERT_DOMAIN);
            return SECFailure;
        }
    }
    g_clear_pointer(&t->server_cert, cg_cert_unref);
    t->server_cert = g_steal_pointer(&end);
    return SECSuccess;
}

static SECStatus PR_CALLBACK
client_auth_data(void *arg, PRFileDesc *fd, CERTDistNames *ca_names, CERTCertificate **cert,
                 SECKEYPrivateKey **key)
{
    CgTls *t = arg;
    if (!t->cert || !t->key)
        return SECFailure; /* no client certificate: the server decides */
    *cert = CERT_DupCertificate(cg_cert_nss(t->cert));
    *key = SECKEY_CopyPrivateKey(cg_privkey_nss(t->key));
    return *key ? SECSuccess : SECFailure;
}

/* ---- the client ------------------------------------------------------------- */

void
cg_tls_free(CgTls *t)
{
    if (!t)
        return;
    if (t->fd)
        PR_Close(t->fd);
    if (t->in) {
        cg_memzero(t->in->data, t->in->len);
        g_byte_array_unref(t->in);
    }
    if (t->out)
        g_byte_array_unref(t->out);
    g_clear_pointer(&t->server_cert, cg_cert_unref);
    g_free(t->server_name);
    g_free(t->refusal);
    g_free(t);
}

/* The memory layer with libssl on top, TLS 1.2 only (RFC 5216), no
 * session cache or tickets, the peer's certificate checked by
 * auth_certificate. */
static CgTls *
tls_new(gboolean is_server, CgCert *cert, GPtrArray *chain, CgPrivKey *key, GPtrArray *anchors,
        const char *server_name, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return NULL;
    init_layer();
    g_autoptr(CgTls) t = g_new0(CgTls, 1);
    t->in = g_byte_array_new();
    t->out = g_byte_array_new();
    t->cert = cert;
    t->key = key;
    t->chain = chain;
    t->anchors = anchors;
    t->server_name = g_strdup(server_name);
    t->is_server = is_server;
    PRFileDesc *layer = PR_CreateIOLayerStub(layer_identity, &layer_methods);
    if (!layer) {
        cg_crypto_set_nss_error(error, "creating the TLS I/O layer");
        return NULL;
    }
    layer->secret = (PRFilePrivate *)t;
    t->fd = SSL_ImportFD(NULL, layer);
    if (!t->fd) {
        layer->dtor(layer);
        cg_crypto_set_nss_error(error, "starting TLS");
        return NULL;
    }
    SSLVersionRange range = { SSL_LIBRARY_VERSION_TLS_1_2, SSL_LIBRARY_VERSION_TLS_1_2 };
    gboolean ok
        = SSL_OptionSet(t->fd, SSL_SECURITY, PR_TRUE) == SECSuccess
          && SSL_OptionSet(t->fd, is_server ? SSL_HANDSHAKE_AS_SERVER : SSL_HANDSHAKE_AS_CLIENT,
                           PR_TRUE)
                 == SECSuccess
          && SSL_OptionSet(t->fd, SSL_NO_CACHE, PR_TRUE) == SECSuccess
          && SSL_OptionSet(t->fd, SSL_ENABLE_SESSION_TICKETS, PR_FALSE) == SECSuccess
          && SSL_VersionRangeSet(t->fd, &range) == SECSuccess
          && SSL_AuthCertificateHook(t->fd, auth_certificate, t) == SECSuccess;
    /* NSS 3.87 cannot run the RFC 5705 exporter of TLS 1.2 with a SHA-384
     * PRF (SEC_ERROR_LIBRARY_FAILURE): keep to the SHA-256 suites */
    static const PRUint16 sha384_suites[] = {
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,   TLS_RSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    };
    for (guint i = 0; ok && i < G_N_ELEMENTS(sha384_suites); i++)
        SSL_CipherPrefSet(t->fd, sha384_suites[i], PR_FALSE);
    if (!ok) {
        cg_crypto_set_nss_error(error, "configuring TLS");
        return NULL;
    }
    return g_steal_pointer(&t);
}

CgTls *
cg_tls_client_new(CgCert *cert, GPtrArray *chain, CgPrivKey *key, GPtrArray *anchors,
                  const char *server_name, GError **error)
{
    g_autoptr(CgTls) t = tls_new(FALSE, cert, chain, key, anchors, server_name, error);
    if (!t)
        return NULL;
    if (SSL_GetClientAuthDataHook(t->fd, client_auth_data, t) != SECSuccess
        || SSL_SetURL(t->fd, server_name ? server_name : "eap-tls") != SECSuccess
        || SSL_ResetHandshake(t->fd, PR_FALSE) != SECSuccess) {
        cg_crypto_set_nss_error(error, "configuring the TLS client");
        return NULL;
    }
    return g_steal_pointer(&t);
}

CgTls *
cg_tls_server_new(CgCert *cert, GPtrArray *chain, CgPrivKey *key, GPtrArray *anchors,
                  GError **error)
{
    g_autoptr(CgTls) t = tls_new(TRUE, cert, chain, key, anchors, NULL, error);
    if (!t)
        return NULL;
    /* RFC 5216 2.1.1: the server asks for the peer's certificate, and
     * EAP-TLS authenticates the peer by it: required */
    /* NSS sends the chain it builds from ours: the intermediates of our
     * file are among its (temporary) certificates */
    gboolean ok
        = SSL_ConfigServerCert(t->fd, cg_cert_nss(cert), cg_privkey_nss(key), NULL, 0) == SECSuccess
          && SSL_OptionSet(t->fd, SSL_REQUEST_CERTIFICATE, PR_TRUE) == SECSuccess
          && SSL_OptionSet(t->fd, SSL_REQUIRE_CERTIFICATE, SSL_REQUIRE_ALWAYS) == SECSuccess
          && SSL_ResetHandshake(t->fd, PR_TRUE) == SECSuccess;
    if (!ok) {
        cg_crypto_set_nss_error(error, "configuring the TLS server");
        return NULL;
    }
    return g_steal_pointer(&t);
}

CgTlsStatus
cg_tls_step(CgTls *t, const guint8 *in, gsize in_len, GByteArray *out, GError **error)
{
    if (t->done) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED, "TLS data after the handshake");
        return CG_TLS_FAILED;
    }
    if (in_len) {
        if (t->in->len - t->in_pos + in_len > TLS_MAX_BUFFER) {
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                        "more than %d bytes of TLS handshake", TLS_MAX_BUFFER);
            return CG_TLS_FAILED;
        }
        g_byte_array_append(t->in, in, (guint)in_len);
    }
    SECStatus rv = SSL_ForceHandshake(t->fd);
    PRErrorCode code = rv == SECSuccess ? 0 : PORT_GetError();
    g_byte_array_append(out, t->out->data, t->out->len);
    g_byte_array_set_size(t->out, 0);
    if (t->in_pos == t->in->len) {
        g_byte_array_set_size(t->in, 0);
        t->in_pos = 0;
    }
    if (rv == SECSuccess) {
        t->done = TRUE;
        return CG_TLS_DONE;
    }
    if (code == PR_WOULD_BLOCK_ERROR)
        return CG_TLS_WANT_MORE;
    const char *name = PR_ErrorToName(code);
    if (t->refusal)
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_AUTH, "%s", t->refusal);
    else
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED, "TLS handshake: %s (%d)",
                    name ? name : "unknown error", (int)code);
    return CG_TLS_FAILED;
}

gboolean
cg_tls_export(CgTls *t, const char *label, guint8 *out, gsize len, GError **error)
{
    if (!t->done || len > 1024) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED, "no TLS keys to export yet");
        return FALSE;
    }
    if (SSL_ExportKeyingMaterial(t->fd, label, (unsigned int)strlen(label), PR_FALSE, NULL, 0, out,
                                 (unsigned int)len)
        != SECSuccess) {
        cg_crypto_set_nss_error(error, "exporting TLS keys");
        return FALSE;
    }
    return TRUE;
}

CgCert *
cg_tls_server_cert(CgTls *t)
{
    return t->server_cert;
}
