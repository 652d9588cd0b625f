/* cg-eap.c: the EAP layer (RFC 3748) for both roles: packet checks,
 * Identity, Notification, Nak, Success/Failure, and the hand-over to the
 * method (cg-eap-mschapv2.c, cg-eap-tls.c). */
#include "auth/cg-eap-private.h"

#include <string.h>

#include "crypto/cg-crypto.h"
#include "crypto/cg-der.h"

G_DEFINE_QUARK(cg - eap - error - quark, cg_eap_error)

#define EAP_TYPE_IDENTITY     1
#define EAP_TYPE_NOTIFICATION 2
#define EAP_TYPE_NAK          3
#define EAP_MAX_IDENTITY      253 /* an IKE ID payload holds no more */
#define EAP_MAX_MESSAGE       65535

CgEapStatus
cg_eap_fail(GError **error, CgEapError code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, CG_EAP_ERROR, code, msg);
    return CG_EAP_FAILURE;
}

const char *
cg_eap_method_name(guint8 type)
{
    static char buf[4][16];
    static gint slot;
    switch (type) {
        case EAP_TYPE_IDENTITY:
            return "Identity";
        case EAP_TYPE_NOTIFICATION:
            return "Notification";
        case EAP_TYPE_NAK:
            return "Nak";
        case 4:
            return "MD5";
        case CG_EAP_TLS:
            return "TLS";
        case 21:
            return "TTLS";
        case 25:
            return "PEAP";
        case CG_EAP_MSCHAPV2:
            return "MSCHAPv2";
        default: {
            char *b = buf[g_atomic_int_add(&slot, 1) & 3];
            g_snprintf(b, sizeof buf[0], "type %u", type);
            return b;
        }
    }
}

/* One EAP packet: Code | Identifier | Length | [Type | Type-Data] */
typedef struct {
    guint8 code;
    guint8 id;
    guint8 type;
    const guint8 *data;
    gsize len;
} EapPacket;

static gboolean
parse_packet(const guint8 *msg, gsize len, EapPacket *p, GError **error)
{
    if (len < CG_EAP_HEADER_LEN) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                    "EAP message of %zu bytes, shorter than its "
                    "header (4)",
                    len);
        return FALSE;
    }
    gsize declared = (gsize)msg[2] << 8 | msg[3];
    if (declared != len) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                    "EAP Length field says %zu bytes, the payload holds %zu", declared, len);
        return FALSE;
    }
    memset(p, 0, sizeof *p);
    p->code = msg[0];
    p->id = msg[1];
    if (p->code == CG_EAP_CODE_REQUEST || p->code == CG_EAP_CODE_RESPONSE) {
        if (len < CG_EAP_HEADER_LEN + 1) {
            cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "EAP %s without a Type",
                        p->code == CG_EAP_CODE_REQUEST ? "Request" : "Response");
            return FALSE;
        }
        p->type = msg[4];
        p->data = msg + 5;
        p->len = len - 5;
        if (p->type == 254 || p->type == 255) {
            cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                        "EAP expanded/experimental type %u is not supported", p->type);
            return FALSE;
        }
    } else if (p->code == CG_EAP_CODE_SUCCESS || p->code == CG_EAP_CODE_FAILURE) {
        if (len != CG_EAP_HEADER_LEN) {
            cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "EAP %s of %zu bytes (4 expected)",
                        p->code == CG_EAP_CODE_SUCCESS ? "Success" : "Failure", len);
            return FALSE;
        }
    } else {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "unknown EAP code %u", p->code);
        return FALSE;
    }
    return TRUE;
}

static GBytes *
build_packet(guint8 code, guint8 id, guint8 type, const guint8 *data, gsize len)
{
    gboolean typed = code == CG_EAP_CODE_REQUEST || code == CG_EAP_CODE_RESPONSE;
    gsize total = CG_EAP_HEADER_LEN + (typed ? 1 + len : 0);
    g_return_val_if_fail(total <= EAP_MAX_MESSAGE, NULL);
    guint8 *b = g_malloc(total);
    b[0] = code;
    b[1] = id;
    b[2] = (guint8)(total >> 8);
    b[3] = (guint8)total;
    if (typed) {
        b[4] = type;
        if (len)
            memcpy(b + 5, data, len);
    }
    return g_bytes_new_take(b, total);
}

/* An identity from the wire: UTF-8 text without NULs. */
static char *
identity_from_wire(const guint8 *data, gsize len, GError **error)
{
    if (len == 0 || len > EAP_MAX_IDENTITY || memchr(data, '\0', len)
        || !g_utf8_validate((const char *)data, (gssize)len, NULL)) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                    "EAP identity of %zu bytes is empty, too long (max %d) or not UTF-8 text", len,
                    EAP_MAX_IDENTITY);
        return NULL;
    }
    return g_strndup((const char *)data, len);
}

static const CgEapPeerMethod *
peer_method_for(guint8 type)
{
    if (type == CG_EAP_MSCHAPV2)
        return &cg_eap_mschapv2_peer;
    if (type == CG_EAP_TLS)
        return &cg_eap_tls_peer;
    return NULL;
}

/* ---- the peer ------------------------------------------------------------ */

struct CgEapPeer {
    CgEapPeerParams params; /* strings owned below */
    char *identity;
    char *tls_server_name;
    GBytes *password; /* wiped on free */
    const CgEapPeerMethod *method;
    gpointer state;
    GBytes *msk;
    gboolean finished;
};

CgEapPeer *
cg_eap_peer_new(const CgEapPeerParams *params)
{
    CgEapPeer *p = g_new0(CgEapPeer, 1);
    p->params = *params;
    p->identity = g_strdup(params->identity ? params->identity : "");
    p->tls_server_name = g_strdup(params->tls_server_name);
    if (params->password) {
        gsize len;
        const guint8 *d = g_bytes_get_data(params->password, &len);
        p->password = cg_secret_bytes_new(d, len);
    }
    p->params.identity = p->identity;
    p->params.password = p->password;
    p->params.tls_server_name = p->tls_server_name;
    return p;
}

void
cg_eap_peer_free(CgEapPeer *p)
{
    if (!p)
        return;
    if (p->method && p->state)
        p->method->free(p->state);
    g_clear_pointer(&p->password, g_bytes_unref);
    g_clear_pointer(&p->msk, g_bytes_unref);
    g_free(p->identity);
    g_free(p->tls_server_name);
    g_free(p);
}

guint8
cg_eap_peer_method(CgEapPeer *p)
{
    return p->method ? p->method->type : 0;
}

gboolean
cg_eap_peer_server_authenticated(CgEapPeer *p)
{
    return p->method && p->state && p->method->done(p->state);
}

GBytes *
cg_eap_peer_msk(CgEapPeer *p)
{
    return p->msk ? g_bytes_ref(p->msk) : NULL;
}

static gboolean
peer_accepts(CgEapPeer *p, guint8 type)
{
    if (!peer_method_for(type))
        return FALSE;
    if (p->params.method != CG_EAP_ANY)
        return type == p->params.method;
    /* EAP-TLS needs a certificate of ours */
    return type != CG_EAP_TLS || p->params.tls_cert;
}

CgEapStatus
cg_eap_peer_process(CgEapPeer *p, const guint8 *msg, gsize len, GBytes **out, GError **error)
{
    *out = NULL;
    EapPacket pkt;
    if (p->finished)
        return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "EAP message after the end");
    if (!parse_packet(msg, len, &pkt, error))
        return CG_EAP_FAILURE;
    switch (pkt.code) {
        case CG_EAP_CODE_SUCCESS:
            p->finished = TRUE;
            /* RFC 3748 4.2 / RFC 5998 4: a Success the method did not earn
             * would let a server skip authenticating itself */
            if (!cg_eap_peer_server_authenticated(p))
                return cg_eap_fail(error, CG_EAP_ERROR_PEER_AUTH,
                                   "EAP-Success before %s had completed",
                                   p->method ? cg_eap_method_name(p->method->type) : "any method");
            p->msk = p->method->msk(p->state);
            if (!p->msk)
                return cg_eap_fail(error, CG_EAP_ERROR_LOCAL, "%s produced no MSK",
                                   cg_eap_method_name(p->method->type));
            return CG_EAP_SUCCESS;
        case CG_EAP_CODE_FAILURE:
            p->finished = TRUE;
            return cg_eap_fail(error, CG_EAP_ERROR_CREDENTIALS,
                               "the server rejected our authentication (EAP-Failure)");
        case CG_EAP_CODE_RESPONSE:
            return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "EAP Response sent to the peer");
        default:
            break;
    }

    /* a Request */
    if (pkt.type == EAP_TYPE_IDENTITY) {
        *out = build_packet(CG_EAP_CODE_RESPONSE, pkt.id, EAP_TYPE_IDENTITY,
                            (const guint8 *)p->identity, strlen(p->identity));
        return CG_EAP_CONTINUE;
    }
    if (pkt.type == EAP_TYPE_NOTIFICATION) {
        /* RFC 3748 5.2: acknowledge with an empty Notification */
        *out = build_packet(CG_EAP_CODE_RESPONSE, pkt.id, EAP_TYPE_NOTIFICATION, NULL, 0);
        return CG_EAP_CONTINUE;
    }
    if (pkt.type == EAP_TYPE_NAK)
        return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "EAP Nak in a Request");
    if (!p->method) {
        if (!peer_accepts(p, pkt.type)) {
            /* RFC 3748 5.3.1: Nak with the methods we would take */
            guint8 wanted[2];
            gsize n = 0;
            if (p->params.method != CG_EAP_ANY)
                wanted[n++] = p->params.method;
            else {
                wanted[n++] = CG_EAP_MSCHAPV2;
                if (p->params.tls_cert)
                    wanted[n++] = CG_EAP_TLS;
            }
            *out = build_packet(CG_EAP_CODE_RESPONSE, pkt.id, EAP_TYPE_NAK, wanted, n);
            return CG_EAP_CONTINUE;
        }
        p->method = peer_method_for(pkt.type);
        p->state = p->method->new_peer(&p->params, error);
        if (!p->state) {
            p->finished = TRUE;
            return CG_EAP_FAILURE;
        }
    } else if (pkt.type != p->method->type) {
        return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "EAP-%s request during EAP-%s",
                           cg_eap_method_name(pkt.type), cg_eap_method_name(p->method->type));
    }
    g_autoptr(GByteArray) reply = g_byte_array_new();
    CgEapStatus st = p->method->process(p->state, pkt.data, pkt.len, reply, error);
    if (reply->len)
        *out = build_packet(CG_EAP_CODE_RESPONSE, pkt.id, pkt.type, reply->data, reply->len);
    cg_memzero(reply->data, reply->len);
    if (st == CG_EAP_FAILURE)
        p->finished = TRUE;
    /* the method's own success still waits for the EAP-Success */
    return st == CG_EAP_SUCCESS ? CG_EAP_CONTINUE : st;
}

/* ---- the server ------------------------------------------------------------- */

typedef enum {
    SERVER_IDENTITY = 0,
    SERVER_METHOD,
    SERVER_DONE,
} ServerPhase;

struct CgEapServer {
    guint8 method_type;
    const CgEapServerMethod *method;
    gpointer state;
    char *server_name;
    CgEapSecretFunc secret;
    gpointer user_data;
    ServerPhase phase;
    guint8 id; /* identifier of the request in flight */
    char *identity;
    GBytes *msk;
    CgEapServerTls tls;
};

CgEapServer *
cg_eap_server_new(guint8 method, const char *server_name, CgEapSecretFunc secret,
                  gpointer user_data)
{
    CgEapServer *s = g_new0(CgEapServer, 1);
    s->method_type = method == CG_EAP_ANY ? CG_EAP_MSCHAPV2 : method;
    s->method = s->method_type == CG_EAP_MSCHAPV2 ? &cg_eap_mschapv2_server
                : s->method_type == CG_EAP_TLS    ? &cg_eap_tls_server
                                                  : NULL;
    s->server_name = g_strdup(server_name ? server_name : "cygnet");
    s->secret = secret;
    s->user_data = user_data;
    guint8 r;
    cg_random_bytes(&r, 1);
    s->id = r;
    return s;
}

void
cg_eap_server_set_tls(CgEapServer *s, const CgEapServerTls *tls)
{
    s->tls = *tls;
}

void
cg_eap_server_free(CgEapServer *s)
{
    if (!s)
        return;
    if (s->method && s->state)
        s->method->free(s->state);
    g_clear_pointer(&s->msk, g_bytes_unref);
    g_free(s->identity);
    g_free(s->server_name);
    g_free(s);
}

GBytes *
cg_eap_server_start(CgEapServer *s)
{
    s->phase = SERVER_IDENTITY;
    return build_packet(CG_EAP_CODE_REQUEST, s->id, EAP_TYPE_IDENTITY, NULL, 0);
}

const char *
cg_eap_server_identity(CgEapServer *s)
{
    return s->identity;
}

const char *
cg_eap_server_failure(CgEapServer *s)
{
    return s->method && s->state && s->method->failure ? s->method->failure(s->state) : NULL;
}

GBytes *
cg_eap_server_msk(CgEapServer *s)
{
    return s->msk ? g_bytes_ref(s->msk) : NULL;
}

static CgEapStatus
server_finish(CgEapServer *s, CgEapStatus st, GBytes **out)
{
    s->phase = SERVER_DONE;
    /* RFC 3748 4.2: Success/Failure carry the last Response's identifier */
    *out = build_packet(st == CG_EAP_SUCCESS ? CG_EAP_CODE_SUCCESS : CG_EAP_CODE_FAILURE, s->id, 0,
                        NULL, 0);
    return st;
}

CgEapStatus
cg_eap_server_process(CgEapServer *s, const guint8 *msg, gsize len, GBytes **out, GError **error)
{
    *out = NULL;
    EapPacket pkt;
    if (s->phase == SERVER_DONE)
        return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "EAP message after the end");
    if (!s->method)
        return server_finish(s,
                             cg_eap_fail(error, CG_EAP_ERROR_NO_METHOD,
                                         "EAP-%s is not offered as a server method",
                                         cg_eap_method_name(s->method_type)),
                             out);
    if (!parse_packet(msg, len, &pkt, error))
        return server_finish(s, CG_EAP_FAILURE, out);
    if (pkt.code != CG_EAP_CODE_RESPONSE)
        return server_finish(s,
                             cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED,
                                         "EAP code %u where a Response belongs", pkt.code),
                             out);
    if (pkt.id != s->id)
        return server_finish(s,
                             cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED,
                                         "EAP Response %u answers no request (ours is %u)", pkt.id,
                                         s->id),
                             out);
    if (s->phase == SERVER_IDENTITY) {
        if (pkt.type != EAP_TYPE_IDENTITY)
            return server_finish(s,
                                 cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED,
                                             "EAP-%s response to the Identity request",
                                             cg_eap_method_name(pkt.type)),
                                 out);
        s->identity = identity_from_wire(pkt.data, pkt.len, error);
        if (!s->identity)
            return server_finish(s, CG_EAP_FAILURE, out);
        s->state = s->method->new_server(s->identity, s->server_name, s->secret, s->user_data,
                                         &s->tls, error);
        if (!s->state)
            return server_finish(s, CG_EAP_FAILURE, out);
        s->phase = SERVER_METHOD;
        s->id++;
        g_autoptr(GByteArray) req = g_byte_array_new();
        s->method->start(s->state, s->id, req);
        *out = build_packet(CG_EAP_CODE_REQUEST, s->id, s->method_type, req->data, req->len);
        return CG_EAP_CONTINUE;
    }
    if (pkt.type == EAP_TYPE_NAK)
        return server_finish(s,
                             cg_eap_fail(error, CG_EAP_ERROR_NO_METHOD,
                                         "the client refused EAP-%s (Nak)",
                                         cg_eap_method_name(s->method_type)),
                             out);
    if (pkt.type != s->method_type)
        return server_finish(
            s,
            cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "EAP-%s response during EAP-%s",
                        cg_eap_method_name(pkt.type), cg_eap_method_name(s->method_type)),
            out);
    g_autoptr(GByteArray) req = g_byte_array_new();
    guint8 next_id = (guint8)(s->id + 1);
    CgEapStatus st = s->method->process(s->state, next_id, pkt.data, pkt.len, req, error);
    if (st == CG_EAP_CONTINUE) {
        s->id = next_id;
        *out = build_packet(CG_EAP_CODE_REQUEST, s->id, s->method_type, req->data, req->len);
        return CG_EAP_CONTINUE;
    }
    if (st == CG_EAP_SUCCESS) {
        s->msk = s->method->msk(s->state);
        if (!s->msk)
            st = cg_eap_fail(error, CG_EAP_ERROR_LOCAL, "EAP-%s produced no MSK",
                             cg_eap_method_name(s->method_type));
    }
    return server_finish(s, st, out);
}
