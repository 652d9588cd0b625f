/* cg-eap-mschapv2.c: EAP-MSCHAPv2, both roles: MS-CHAPv2 (RFC 2759) in
 * the EAP framing of draft-kamath-pppext-eap-mschapv2, with the MSK of
 * RFC 3079 3. Mutual: the peer accepts EAP-Success only after the
 * server's authenticator response proved that it knows the password. */
#include "auth/cg-eap-private.h"

#include <string.h>

#include "crypto/cg-crypto.h"
#include "crypto/cg-der.h"
#include "crypto/cg-legacy.h"

/* MS-CHAPv2 op codes (draft-kamath 2) */
#define OP_CHALLENGE       1
#define OP_RESPONSE        2
#define OP_SUCCESS         3
#define OP_FAILURE         4
#define MS_HEADER_LEN      4 /* OpCode | MS-CHAPv2-ID | MS-Length */
#define CHALLENGE_LEN      16
#define RESPONSE_LEN       49  /* Peer-Challenge 16 | Reserved 8 | NT-Response 24 | Flags 1 */
#define MAX_PASSWORD_CHARS 256 /* RFC 2759 8.2 */
#define MAX_MESSAGE_SHOWN  120

/* ---- the computations (RFC 2759 8, RFC 3079 3) ------------------------------ */

const char *
cg_mschapv2_username(const char *identity)
{
    /* RFC 2759 8.2 note: a "DOMAIN\user" name is hashed as "user" */
    const char *slash = strrchr(identity, '\\');
    return slash ? slash + 1 : identity;
}

gboolean
cg_mschapv2_password_hash(GBytes *password, guint8 out[16])
{
    gsize len;
    const char *utf8 = g_bytes_get_data(password, &len);
    glong n_units = 0;
    gunichar2 *utf16 = g_utf8_to_utf16(utf8, (glong)len, NULL, &n_units, NULL);
    if (!utf16)
        return FALSE;
    gboolean ok = n_units > 0 && n_units <= MAX_PASSWORD_CHARS;
    if (ok) {
        /* UTF-16 little-endian, whatever the host */
        guint8 *le = g_malloc((gsize)n_units * 2);
        for (glong i = 0; i < n_units; i++) {
            le[2 * i] = (guint8)(utf16[i] & 0xff);
            le[2 * i + 1] = (guint8)(utf16[i] >> 8);
        }
        cg_md4(le, (gsize)n_units * 2, out);
        cg_memzero(le, (gsize)n_units * 2);
        g_free(le);
    }
    cg_memzero(utf16, (gsize)n_units * sizeof(gunichar2));
    g_free(utf16);
    return ok;
}

/* ChallengeHash (8.2): the first 8 octets of SHA-1(peer | auth | user) */
static void
challenge_hash(const guint8 peer_challenge[16], const guint8 auth_challenge[16],
               const char *username, guint8 out[8])
{
    gsize ulen = strlen(username);
    g_autofree guint8 *buf = g_malloc(32 + ulen);
    memcpy(buf, peer_challenge, 16);
    memcpy(buf + 16, auth_challenge, 16);
    memcpy(buf + 32, username, ulen);
    guint8 digest[20];
    cg_sha1(buf, 32 + ulen, digest);
    memcpy(out, digest, 8);
}

gboolean
cg_mschapv2_nt_response(const guint8 auth_challenge[16], const guint8 peer_challenge[16],
                        const char *username, const guint8 password_hash[16], guint8 out[24],
                        GError **error)
{
    guint8 challenge[8], z[21] = { 0 };
    challenge_hash(peer_challenge, auth_challenge, cg_mschapv2_username(username), challenge);
    /* ChallengeResponse (8.5): three DES keys from the zero-padded hash */
    memcpy(z, password_hash, 16);
    gboolean ok = cg_des_encrypt_block(z, challenge, out, error)
                  && cg_des_encrypt_block(z + 7, challenge, out + 8, error)
                  && cg_des_encrypt_block(z + 14, challenge, out + 16, error);
    cg_memzero(z, sizeof z);
    return ok;
}

void
cg_mschapv2_authenticator_response(const guint8 password_hash[16], const guint8 nt_response[24],
                                   const guint8 peer_challenge[16], const guint8 auth_challenge[16],
                                   const char *username, char out[43])
{
    static const char magic1[] = "Magic server to client signing constant";
    static const char magic2[] = "Pad to make it do more than one iteration";
    guint8 hash_hash[16], digest[20], challenge[8];
    guint8 buf[20 + 8 + sizeof magic2];
    cg_md4(password_hash, 16, hash_hash);
    guint8 first[16 + 24 + sizeof magic1];
    memcpy(first, hash_hash, 16);
    memcpy(first + 16, nt_response, 24);
    memcpy(first + 40, magic1, sizeof magic1 - 1);
    cg_sha1(first, 40 + sizeof magic1 - 1, digest);
    challenge_hash(peer_challenge, auth_challenge, cg_mschapv2_username(username), challenge);
    memcpy(buf, digest, 20);
    memcpy(buf + 20, challenge, 8);
    memcpy(buf + 28, magic2, sizeof magic2 - 1);
    cg_sha1(buf, 28 + sizeof magic2 - 1, digest);
    out[0] = 'S';
    out[1] = '=';
    for (int i = 0; i < 20; i++)
        g_snprintf(out + 2 + 2 * i, 3, "%02X", digest[i]);
    cg_memzero(hash_hash, sizeof hash_hash);
    cg_memzero(first, sizeof first);
}

/* GetAsymmetricStartKey (RFC 3079 3.4), 128-bit */
static void
start_key(const guint8 master_key[16], const char *magic, guint8 out[16])
{
    guint8 buf[16 + 40 + 84 + 40], digest[20];
    gsize mlen = strlen(magic);
    g_assert(mlen == 84);
    memcpy(buf, master_key, 16);
    memset(buf + 16, 0x00, 40); /* SHSpad1 */
    memcpy(buf + 56, magic, 84);
    memset(buf + 140, 0xf2, 40); /* SHSpad2 */
    cg_sha1(buf, sizeof buf, digest);
    memcpy(out, digest, 16);
    cg_memzero(buf, sizeof buf);
    cg_memzero(digest, sizeof digest);
}

void
cg_mschapv2_msk(const guint8 password_hash[16], const guint8 nt_response[24],
                guint8 out[CG_EAP_MSK_LEN])
{
    static const char master_magic[] = "This is the MPPE Master Key";
    static const char magic2[] = "On the client side, this is the send key; on the server side, "
                                 "it is the receive key.";
    static const char magic3[] = "On the client side, this is the receive key; on the server "
                                 "side, it is the send key.";
    guint8 hash_hash[16], digest[20], master[16];
    guint8 buf[16 + 24 + sizeof master_magic];
    cg_md4(password_hash, 16, hash_hash);
    memcpy(buf, hash_hash, 16);
    memcpy(buf + 16, nt_response, 24);
    memcpy(buf + 40, master_magic, sizeof master_magic - 1);
    cg_sha1(buf, 40 + sizeof master_magic - 1, digest);
    memcpy(master, digest, 16);
    memset(out, 0, CG_EAP_MSK_LEN);
    start_key(master, magic2, out);      /* the server's receive key */
    start_key(master, magic3, out + 16); /* the server's send key */
    cg_memzero(hash_hash, sizeof hash_hash);
    cg_memzero(buf, sizeof buf);
    cg_memzero(digest, sizeof digest);
    cg_memzero(master, sizeof master);
}

/* ---- packets ---------------------------------------------------------------- */

typedef struct {
    guint8 op;
    guint8 ms_id;
    const guint8 *body; /* after the 4-octet header */
    gsize body_len;
} MsPacket;

static gboolean
parse_ms(const guint8 *data, gsize len, MsPacket *p, GError **error)
{
    if (len < 1) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED, "empty EAP-MSCHAPv2 message");
        return FALSE;
    }
    p->op = data[0];
    /* the peer's Success and Failure responses are the op code alone */
    if (len == 1) {
        p->ms_id = 0;
        p->body = NULL;
        p->body_len = 0;
        return TRUE;
    }
    if (len < MS_HEADER_LEN) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                    "EAP-MSCHAPv2 message of %zu bytes, shorter than its header (4)", len);
        return FALSE;
    }
    gsize ms_len = (gsize)data[2] << 8 | data[3];
    if (ms_len != len) {
        cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                    "EAP-MSCHAPv2 MS-Length says %zu bytes, the message holds %zu", ms_len, len);
        return FALSE;
    }
    p->ms_id = data[1];
    p->body = data + MS_HEADER_LEN;
    p->body_len = len - MS_HEADER_LEN;
    return TRUE;
}

static void
cg_put_byte(GByteArray *out, guint8 v)
{
    g_byte_array_append(out, &v, 1);
}

static void
put_header(GByteArray *out, guint8 op, guint8 ms_id, gsize body_len)
{
    gsize total = MS_HEADER_LEN + body_len;
    guint8 h[4] = { op, ms_id, (guint8)(total >> 8), (guint8)total };
    g_byte_array_append(out, h, 4);
}

/* Text the server sent, made safe for a log line. */
static char *
printable(const guint8 *data, gsize len)
{
    GString *s = g_string_new(NULL);
    for (gsize i = 0; i < len && i < MAX_MESSAGE_SHOWN; i++)
        g_string_append_c(s, data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] : '?');
    return g_string_free(s, FALSE);
}

/* ---- the peer --------------------------------------------------------------- */

typedef struct {
    const char *identity; /* owned by the CgEapPeer */
    GBytes *password;     /* owned by the CgEapPeer */
    guint8 password_hash[16];
    guint8 auth_challenge[16];
    guint8 peer_challenge[16];
    guint8 nt_response[24];
    gboolean responded;
    gboolean server_proved;
} MsPeer;

static gpointer
peer_new(const CgEapPeerParams *params, GError **error)
{
    if (!params->password) {
        cg_eap_fail(error, CG_EAP_ERROR_LOCAL,
                    "EAP-MSCHAPv2 needs a password for '%s' and none is configured",
                    params->identity);
        return NULL;
    }
    MsPeer *m = g_new0(MsPeer, 1);
    m->identity = params->identity;
    m->password = params->password;
    if (!cg_mschapv2_password_hash(m->password, m->password_hash)) {
        g_free(m);
        cg_eap_fail(error, CG_EAP_ERROR_LOCAL,
                    "the EAP-MSCHAPv2 password is not UTF-8 or longer than %d characters",
                    MAX_PASSWORD_CHARS);
        return NULL;
    }
    return m;
}

static void
peer_free(gpointer state)
{
    MsPeer *m = state;
    cg_memzero(m, sizeof *m);
    g_free(m);
}

static gboolean
peer_done(gpointer state)
{
    return ((MsPeer *)state)->server_proved;
}

static GBytes *
peer_msk(gpointer state)
{
    MsPeer *m = state;
    if (!m->server_proved)
        return NULL;
    guint8 msk[CG_EAP_MSK_LEN];
    cg_mschapv2_msk(m->password_hash, m->nt_response, msk);
    GBytes *b = cg_secret_bytes_new(msk, sizeof msk);
    cg_memzero(msk, sizeof msk);
    return b;
}

static CgEapStatus
peer_challenge(MsPeer *m, const MsPacket *p, GByteArray *reply, GError **error)
{
    if (m->responded)
        return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "a second EAP-MSCHAPv2 challenge");
    if (p->body_len < 1 + CHALLENGE_LEN || p->body[0] != CHALLENGE_LEN)
        return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                           "EAP-MSCHAPv2 challenge with Value-Size %u in %zu bytes (16 expected)",
                           p->body_len ? p->body[0] : 0, p->body_len);
    memcpy(m->auth_challenge, p->body + 1, CHALLENGE_LEN);
    cg_random_bytes(m->peer_challenge, sizeof m->peer_challenge);
    if (!cg_mschapv2_nt_response(m->auth_challenge, m->peer_challenge, m->identity,
                                 m->password_hash, m->nt_response, error))
        return CG_EAP_FAILURE;
    gsize name_len = strlen(m->identity);
    put_header(reply, OP_RESPONSE, p->ms_id, 1 + RESPONSE_LEN + name_len);
    cg_put_byte(reply, RESPONSE_LEN);
    g_byte_array_append(reply, m->peer_challenge, 16);
    static const guint8 reserved[8] = { 0 };
    g_byte_array_append(reply, reserved, 8);
    g_byte_array_append(reply, m->nt_response, 24);
    cg_put_byte(reply, 0); /* Flags */
    g_byte_array_append(reply, (const guint8 *)m->identity, (guint)name_len);
    m->responded = TRUE;
    return CG_EAP_CONTINUE;
}

static gboolean
hex_to_bytes(const guint8 *hex, gsize hex_len, guint8 *out, gsize out_len)
{
    if (hex_len < out_len * 2)
        return FALSE;
    for (gsize i = 0; i < out_len; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return FALSE;
        out[i] = (guint8)(hi << 4 | lo);
    }
    return TRUE;
}

static CgEapStatus
peer_success(MsPeer *m, const MsPacket *p, GByteArray *reply, GError **error)
{
    if (!m->responded)
        return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED,
                           "EAP-MSCHAPv2 success before our response");
    /* "S=<40 hex digits> M=<message>": the authenticator response (8.7) */
    char want_text[43];
    guint8 want[20], got[20];
    cg_mschapv2_authenticator_response(m->password_hash, m->nt_response, m->peer_challenge,
                                       m->auth_challenge, m->identity, want_text);
    hex_to_bytes((const guint8 *)want_text + 2, 40, want, 20);
    if (p->body_len < 42 || p->body[0] != 'S' || p->body[1] != '='
        || !hex_to_bytes(p->body + 2, p->body_len - 2, got, 20))
        return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                           "EAP-MSCHAPv2 success message without an authenticator response");
    if (!cg_memeq_const(want, got, 20))
        return cg_eap_fail(error, CG_EAP_ERROR_PEER_AUTH,
                           "the gateway's MS-CHAPv2 authenticator response is wrong: it does not "
                           "know our password");
    m->server_proved = TRUE;
    cg_put_byte(reply, OP_SUCCESS); /* the Success response is the op code alone */
    return CG_EAP_SUCCESS;
}

/* "E=691 R=0 C=... V=3 M=text" */
static CgEapStatus
peer_failure(MsPeer *m, const MsPacket *p, GByteArray *reply, GError **error)
{
    cg_put_byte(reply, OP_FAILURE);
    g_autofree char *text = printable(p->body, p->body_len);
    guint64 code = 0;
    const char *e = strstr(text, "E=");
    if (e)
        code = g_ascii_strtoull(e + 2, NULL, 10);
    const char *msg = strstr(text, "M=");
    const char *what;
    switch (code) {
        case 646:
            what = "logins are not allowed at this time (MS-CHAP error 646)";
            break;
        case 647:
            what = "the account is disabled (MS-CHAP error 647)";
            break;
        case 648:
            what = "the password has expired (MS-CHAP error 648)";
            break;
        case 649:
            what = "the account may not dial in (MS-CHAP error 649)";
            break;
        case 691:
            what = "wrong user name or password (MS-CHAP error 691)";
            break;
        case 709:
            what = "the password must be changed (MS-CHAP error 709)";
            break;
        default:
            what = "the gateway rejected the user name or password";
            break;
    }
    return cg_eap_fail(error, CG_EAP_ERROR_CREDENTIALS, "%s%s%s%s", what, msg ? ": '" : "",
                       msg ? msg + 2 : "", msg ? "'" : "");
}

static CgEapStatus
peer_process(gpointer state, const guint8 *data, gsize len, GByteArray *reply, GError **error)
{
    MsPeer *m = state;
    MsPacket p;
    if (!parse_ms(data, len, &p, error))
        return CG_EAP_FAILURE;
    switch (p.op) {
        case OP_CHALLENGE:
            return peer_challenge(m, &p, reply, error);
        case OP_SUCCESS:
            return peer_success(m, &p, reply, error);
        case OP_FAILURE:
            return peer_failure(m, &p, reply, error);
        default:
            return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                               "EAP-MSCHAPv2 request with op code %u", p.op);
    }
}

const CgEapPeerMethod cg_eap_mschapv2_peer = {
    .type = CG_EAP_MSCHAPV2,
    .new_peer = peer_new,
    .process = peer_process,
    .done = peer_done,
    .msk = peer_msk,
    .free = peer_free,
};

/* ---- the server ---------------------------------------------------------------- */

typedef enum {
    SRV_CHALLENGED = 0,
    SRV_SUCCESS_SENT,
    SRV_FAILURE_SENT,
} SrvPhase;

typedef struct {
    char *identity;
    char *server_name;
    CgEapSecretFunc secret;
    gpointer user_data;
    SrvPhase phase;
    guint8 ms_id;
    guint8 auth_challenge[16];
    guint8 msk[CG_EAP_MSK_LEN];
    char *failure; /* why, once SRV_FAILURE_SENT */
} MsServer;

static gpointer
server_new(const char *identity, const char *server_name, CgEapSecretFunc secret,
           gpointer user_data, const CgEapServerTls *tls, GError **error)
{
    MsServer *m = g_new0(MsServer, 1);
    m->identity = g_strdup(identity);
    m->server_name = g_strdup(server_name);
    m->secret = secret;
    m->user_data = user_data;
    return m;
}

static void
server_free(gpointer state)
{
    MsServer *m = state;
    g_free(m->identity);
    g_free(m->server_name);
    g_free(m->failure);
    cg_memzero(m, sizeof *m);
    g_free(m);
}

static void
server_start(gpointer state, guint8 eap_id, GByteArray *req)
{
    MsServer *m = state;
    m->ms_id = eap_id;
    cg_random_bytes(m->auth_challenge, sizeof m->auth_challenge);
    gsize name_len = strlen(m->server_name);
    put_header(req, OP_CHALLENGE, m->ms_id, 1 + CHALLENGE_LEN + name_len);
    cg_put_byte(req, CHALLENGE_LEN);
    g_byte_array_append(req, m->auth_challenge, CHALLENGE_LEN);
    g_byte_array_append(req, (const guint8 *)m->server_name, (guint)name_len);
}

static GBytes *
server_msk(gpointer state)
{
    MsServer *m = state;
    return m->phase == SRV_SUCCESS_SENT ? cg_secret_bytes_new(m->msk, sizeof m->msk) : NULL;
}

/* The client's response: right password -> Success request, else a
 * Failure request (E=691, no retry); unknown users look the same. */
static CgEapStatus
server_response(MsServer *m, const MsPacket *p, GByteArray *req, GError **error)
{
    if (p->body_len < 1 + RESPONSE_LEN || p->body[0] != RESPONSE_LEN)
        return cg_eap_fail(error, CG_EAP_ERROR_MALFORMED,
                           "EAP-MSCHAPv2 response with Value-Size %u in %zu bytes (49 expected)",
                           p->body_len ? p->body[0] : 0, p->body_len);
    const guint8 *peer_challenge = p->body + 1;
    const guint8 *nt_response = p->body + 1 + 16 + 8;
    g_autoptr(GBytes) password = m->secret ? m->secret(m->identity, m->user_data) : NULL;
    guint8 hash[16], want[24];
    gboolean ok = FALSE;
    g_autoptr(GError) local_error = NULL;
    if (!password) {
        m->failure = g_strdup_printf("no EAP password for '%s'", m->identity);
    } else if (!cg_mschapv2_password_hash(password, hash)) {
        m->failure = g_strdup_printf("the EAP password of '%s' is not usable", m->identity);
    } else if (!cg_mschapv2_nt_response(m->auth_challenge, peer_challenge, m->identity, hash, want,
                                        &local_error)) {
        m->failure = g_strdup(local_error->message);
    } else if (!cg_memeq_const(want, nt_response, 24)) {
        m->failure = g_strdup_printf("wrong password for '%s'", m->identity);
    } else {
        ok = TRUE;
    }
    if (ok) {
        char auth_text[43];
        static const char welcome[] = " M=welcome";
        cg_mschapv2_authenticator_response(hash, nt_response, peer_challenge, m->auth_challenge,
                                           m->identity, auth_text);
        cg_mschapv2_msk(hash, nt_response, m->msk);
        put_header(req, OP_SUCCESS, m->ms_id, 42 + sizeof welcome - 1);
        g_byte_array_append(req, (const guint8 *)auth_text, 42);
        g_byte_array_append(req, (const guint8 *)welcome, sizeof welcome - 1);
        m->phase = SRV_SUCCESS_SENT;
    } else {
        guint8 again[16];
        cg_random_bytes(again, sizeof again);
        GString *text = g_string_new("E=691 R=0 C=");
        for (int i = 0; i < 16; i++)
            g_string_append_printf(text, "%02X", again[i]);
        g_string_append(text, " V=3 M=authentication failed");
        put_header(req, OP_FAILURE, m->ms_id, text->len);
        g_byte_array_append(req, (const guint8 *)text->str, (guint)text->len);
        g_string_free(text, TRUE);
        m->phase = SRV_FAILURE_SENT;
    }
    cg_memzero(hash, sizeof hash);
    cg_memzero(want, sizeof want);
    return CG_EAP_CONTINUE;
}

static CgEapStatus
server_process(gpointer state, guint8 eap_id, const guint8 *data, gsize len, GByteArray *req,
               GError **error)
{
    MsServer *m = state;
    MsPacket p;
    if (!parse_ms(data, len, &p, error))
        return CG_EAP_FAILURE;
    switch (m->phase) {
        case SRV_CHALLENGED:
            if (p.op != OP_RESPONSE)
                break;
            return server_response(m, &p, req, error);
        case SRV_SUCCESS_SENT:
            if (p.op != OP_SUCCESS)
                break;
            return CG_EAP_SUCCESS;
        case SRV_FAILURE_SENT:
            return cg_eap_fail(error, CG_EAP_ERROR_CREDENTIALS, "%s", m->failure);
    }
    return cg_eap_fail(error, CG_EAP_ERROR_UNEXPECTED, "EAP-MSCHAPv2 op code %u out of turn", p.op);
}

static const char *
server_failure(gpointer state)
{
    MsServer *m = state;
    return m->phase == SRV_FAILURE_SENT ? m->failure : NULL;
}

const CgEapServerMethod cg_eap_mschapv2_server = {
    .type = CG_EAP_MSCHAPV2,
    .new_server = server_new,
    .start = server_start,
    .process = server_process,
    .msk = server_msk,
    .failure = server_failure,
    .free = server_free,
};
