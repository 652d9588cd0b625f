/* cg-auth-methods.c: building and checking AUTH payloads (RFC 7296 2.15,
 * 2.16, 3.8): shared keys and EAP MSKs, digital signatures in the classic
 * methods (RSA 1, ECDSA 9-11 of RFC 4754) and RFC 7427's method 14, and
 * the certificate checks behind a signature (3.6, RFC 4945). */
#include "auth/cg-auth.h"

#include <string.h>

#define KEY_PAD "Key Pad for IKEv2"

/* ---- shared secrets ---------------------------------------------------------- */

GBytes *
cg_auth_find_psk(CgIkeSa *ike)
{
    if (ike->config->psk)
        return g_bytes_ref(ike->config->psk);
    return cg_engine_find_psk(ike->engine, &ike->local_id, &ike->peer_id);
}

/* RFC 7296 2.15: <SignedOctets> = RealMessage | Nonce of the other side |
 * prf(SK_p, <ID payload body>); maced holds the last part. */
static gboolean
signed_octets(CgIkeSa *ike, gboolean of_initiator, const guint8 *id_body, gsize id_len,
              CgIov iov[3], guint8 maced[64], GError **error)
{
    const guint8 *sk_p = of_initiator ? ike->keys.sk_pi : ike->keys.sk_pr;
    CgIov id_iov = { id_body, id_len };
    if (!cg_prf(ike->algs.prf_id, sk_p, ike->keys.prf_len, &id_iov, 1, maced, error))
        return FALSE;
    GBytes *msg = of_initiator ? ike->init_request : ike->init_response;
    GBytes *nonce = of_initiator ? ike->nonce_r : ike->nonce_i;
    iov[0] = (CgIov){ g_bytes_get_data(msg, NULL), g_bytes_get_size(msg) };
    iov[1] = (CgIov){ g_bytes_get_data(nonce, NULL), g_bytes_get_size(nonce) };
    iov[2] = (CgIov){ maced, cg_prf_output_len(ike->algs.prf_id) };
    return TRUE;
}

gboolean
cg_auth_shared_compute(CgIkeSa *ike, GBytes *secret, gboolean of_initiator, const guint8 *id_body,
                       gsize id_len, guint8 out[64], gsize *out_len, GError **error)
{
    guint16 prf = ike->algs.prf_id;
    gsize prf_len = cg_prf_output_len(prf);
    guint8 maced[64], pad_key[64];
    CgIov octets[3];
    if (!signed_octets(ike, of_initiator, id_body, id_len, octets, maced, error))
        return FALSE;
    gsize secret_len;
    const guint8 *secret_data = g_bytes_get_data(secret, &secret_len);
    CgIov pad_iov = { (const guint8 *)KEY_PAD, strlen(KEY_PAD) };
    if (!cg_prf(prf, secret_data, secret_len, &pad_iov, 1, pad_key, error))
        return FALSE;
    gboolean ok = cg_prf(prf, pad_key, prf_len, octets, 3, out, error);
    cg_memzero(pad_key, sizeof pad_key);
    *out_len = prf_len;
    return ok;
}

static gboolean
check_shared(CgIkeSa *ike, const CgAuthPayload *auth, GBytes *secret, const guint8 *id_body,
             gsize id_len, const char *what, GError **error)
{
    guint8 want[64];
    gsize want_len;
    if (auth->method != CG_AUTH_PSK) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "the peer used AUTH method %u where %s (2) belongs", auth->method, what);
        return FALSE;
    }
    if (!cg_auth_shared_compute(ike, secret, !ike->initiator, id_body, id_len, want, &want_len,
                                error))
        return FALSE;
    gboolean ok = auth->data_len == want_len && cg_memeq_const(auth->data, want, want_len);
    cg_memzero(want, sizeof want);
    if (!ok)
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "the peer's AUTH does not match the %s", what);
    return ok;
}

static gboolean
find_auth(const CgMessage *msg, CgAuthPayload *auth, GError **error)
{
    const CgRawPayload *p = cg_message_find(msg, CG_PL_AUTH);
    if (!p) {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID, "no AUTH payload");
        return FALSE;
    }
    return cg_payload_parse_auth(p->body, p->body_len, auth, error);
}

gboolean
cg_auth_verify_msk(CgIkeSa *ike, const CgMessage *msg, GBytes *msk, const guint8 *id_body,
                   gsize id_len, GError **error)
{
    CgAuthPayload auth;
    return find_auth(msg, &auth, error)
           && check_shared(ike, &auth, msk, id_body, id_len, "EAP key (MSK)", error);
}

/* ---- signatures ------------------------------------------------------------------ */

/* The first hash of `prefs` the peer announced (RFC 7427 4). */
static CgHash
pick_hash(guint peer_mask, const CgHash *prefs, guint n)
{
    for (guint i = 0; i < n; i++)
        if (peer_mask & (1u << prefs[i]))
            return prefs[i];
    return CG_HASH_ANY;
}

/* Method and scheme for our key: RFC 7427 when the peer announced hashes,
 * else the classic method of the key type (RFC 7296 3.8, RFC 4754). */
static gboolean
choose_scheme(CgIkeSa *ike, CgKeyType type, guint8 *method, CgSigScheme *s, GError **error)
{
    CgAuthState *st = cg_auth_state_get(ike);
    static const CgHash rsa_pref[] = { CG_HASH_SHA256, CG_HASH_SHA384, CG_HASH_SHA512 };
    static const CgHash p256_pref[] = { CG_HASH_SHA256, CG_HASH_SHA384, CG_HASH_SHA512 };
    static const CgHash p384_pref[] = { CG_HASH_SHA384, CG_HASH_SHA512, CG_HASH_SHA256 };
    static const CgHash p521_pref[] = { CG_HASH_SHA512, CG_HASH_SHA384, CG_HASH_SHA256 };
    memset(s, 0, sizeof *s);
    if (st->peer_sig_hashes) {
        *method = CG_AUTH_DIGITAL_SIGNATURE;
        switch (type) {
            case CG_KEY_RSA:
                s->kind = ike->config->rsa_pss ? CG_SIG_RSA_PSS : CG_SIG_RSA_PKCS1;
                s->hash = pick_hash(st->peer_sig_hashes, rsa_pref, G_N_ELEMENTS(rsa_pref));
                break;
            case CG_KEY_ECDSA_P256:
                s->kind = CG_SIG_ECDSA;
                s->hash = pick_hash(st->peer_sig_hashes, p256_pref, G_N_ELEMENTS(p256_pref));
                break;
            case CG_KEY_ECDSA_P384:
                s->kind = CG_SIG_ECDSA;
                s->hash = pick_hash(st->peer_sig_hashes, p384_pref, G_N_ELEMENTS(p384_pref));
                break;
            case CG_KEY_ECDSA_P521:
                s->kind = CG_SIG_ECDSA;
                s->hash = pick_hash(st->peer_sig_hashes, p521_pref, G_N_ELEMENTS(p521_pref));
                break;
            case CG_KEY_ED25519:
                s->kind = CG_SIG_ED25519;
                s->hash = st->peer_sig_hashes & (1u << CG_HASH_IDENTITY) ? CG_HASH_IDENTITY
                                                                         : CG_HASH_ANY;
                break;
            case CG_KEY_NONE:
                break;
        }
        if (s->hash == CG_HASH_ANY) {
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "the peer accepts none of the hashes a %s key can sign with",
                        cg_key_type_name(type));
            return FALSE;
        }
        return TRUE;
    }
    switch (type) {
        case CG_KEY_RSA:
            *method = CG_AUTH_RSA_SIG;
            *s = (CgSigScheme){ CG_SIG_RSA_PKCS1, CG_HASH_SHA1, 0 };
            return TRUE;
        case CG_KEY_ECDSA_P256:
            *method = CG_AUTH_ECDSA_256;
            *s = (CgSigScheme){ CG_SIG_ECDSA_RAW, CG_HASH_SHA256, 0 };
            return TRUE;
        case CG_KEY_ECDSA_P384:
            *method = CG_AUTH_ECDSA_384;
            *s = (CgSigScheme){ CG_SIG_ECDSA_RAW, CG_HASH_SHA384, 0 };
            return TRUE;
        case CG_KEY_ECDSA_P521:
            *method = CG_AUTH_ECDSA_521;
            *s = (CgSigScheme){ CG_SIG_ECDSA_RAW, CG_HASH_SHA512, 0 };
            return TRUE;
        default:
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "a %s key needs RFC 7427 signatures, which the peer did not announce",
                        cg_key_type_name(type));
            return FALSE;
    }
}

static gboolean
add_signature(CgIkeSa *ike, CgChainBuilder *cb, const guint8 *id_body, gsize id_len,
              CgReason *reason, GError **error)
{
    CgAuthCreds *creds;
    if (!cg_auth_creds_local(ike->config, &creds, error)) {
        *reason = CG_REASON_LOCAL_CREDENTIALS;
        return FALSE;
    }
    guint8 method;
    CgSigScheme s;
    *reason = CG_REASON_AUTH_FAILED;
    if (!choose_scheme(ike, cg_privkey_type(creds->key, NULL), &method, &s, error))
        return FALSE;
    CgIov octets[3];
    guint8 maced[64];
    g_autoptr(GBytes) sig = NULL;
    if (!signed_octets(ike, ike->initiator, id_body, id_len, octets, maced, error)
        || !cg_sign(creds->key, &s, octets, 3, &sig, error)) {
        *reason = CG_REASON_LOCAL_CREDENTIALS;
        return FALSE;
    }
    g_autoptr(GByteArray) data = g_byte_array_new();
    if (method == CG_AUTH_DIGITAL_SIGNATURE) {
        g_autoptr(GBytes) alg = cg_sigalg_encode(&s);
        g_byte_array_append(data, g_bytes_get_data(alg, NULL), (guint)g_bytes_get_size(alg));
    }
    g_byte_array_append(data, g_bytes_get_data(sig, NULL), (guint)g_bytes_get_size(sig));
    gsize off = cg_chain_begin_payload(cb, CG_PL_AUTH, FALSE);
    cg_payload_write_auth(cb->buf, method, data->data, data->len);
    cg_chain_end_payload(cb, off);
    g_autofree char *name = cg_sig_scheme_to_string(&s);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "signed AUTH with %s (method %u)", name, method);
    return TRUE;
}

gboolean
cg_auth_add_auth(CgIkeSa *ike, CgChainBuilder *cb, GBytes *msk, CgReason *reason, GError **error)
{
    CgAuthState *st = cg_auth_state_get(ike);
    gsize id_len;
    const guint8 *id_body = g_bytes_get_data(st->my_id_body, &id_len);
    g_autoptr(GBytes) secret = NULL;
    *reason = CG_REASON_AUTH_FAILED;
    if (msk) {
        secret = g_bytes_ref(msk);
    } else if (ike->config->local_auth == CG_AUTH_BY_PUBKEY) {
        return add_signature(ike, cb, id_body, id_len, reason, error);
    } else if (ike->config->local_auth == CG_AUTH_BY_PSK) {
        secret = cg_auth_find_psk(ike);
        if (!secret) {
            *reason = CG_REASON_LOCAL_CREDENTIALS;
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                        "no pre-shared key for this connection");
            return FALSE;
        }
    } else {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "EAP authentication has no AUTH before EAP succeeded");
        return FALSE;
    }
    guint8 auth[64];
    gsize auth_len;
    if (!cg_auth_shared_compute(ike, secret, ike->initiator, id_body, id_len, auth, &auth_len,
                                error))
        return FALSE;
    gsize off = cg_chain_begin_payload(cb, CG_PL_AUTH, FALSE);
    cg_payload_write_auth(cb->buf, CG_AUTH_PSK, auth, auth_len);
    cg_chain_end_payload(cb, off);
    cg_memzero(auth, sizeof auth);
    return TRUE;
}

/* ---- certificate payloads ---------------------------------------------------------- */

#define CERT_ENCODING_X509_SIG 4 /* RFC 7296 3.6 */

gboolean
cg_auth_add_certs(CgIkeSa *ike, CgChainBuilder *cb, CgReason *reason, GError **error)
{
    CgAuthCreds *creds;
    if (!cg_auth_creds_local(ike->config, &creds, error)) {
        *reason = CG_REASON_LOCAL_CREDENTIALS;
        return FALSE;
    }
    /* RFC 7296 3.6: the certificate with the signing key comes first */
    for (guint i = 0; i <= creds->chain->len; i++) {
        CgCert *c = i == 0 ? creds->cert : creds->chain->pdata[i - 1];
        g_autoptr(GBytes) der = cg_cert_der(c);
        gsize off = cg_chain_begin_payload(cb, CG_PL_CERT, FALSE);
        cg_payload_write_cert(cb->buf, CERT_ENCODING_X509_SIG, g_bytes_get_data(der, NULL),
                              g_bytes_get_size(der));
        cg_chain_end_payload(cb, off);
    }
    return TRUE;
}

void
cg_auth_add_certreq(CgIkeSa *ike, CgChainBuilder *cb)
{
    CgAuthCreds *creds;
    g_autoptr(GError) error = NULL;
    if (!ike->config->send_certreq)
        return;
    if (!cg_auth_creds_trust(ike->config, &creds, &error)) {
        cg_ike_sa_log(ike, CG_LOG_WARNING, "cannot load the trusted CAs: %s", error->message);
        return;
    }
    /* RFC 7296 3.7: SHA-1 of each trusted CA's subjectPublicKeyInfo; an
     * empty list still asks for the peer's certificate */
    g_autoptr(GByteArray) hashes = g_byte_array_new();
    for (guint i = 0; i < creds->anchors->len && i < 64; i++) {
        guint8 h[20];
        cg_cert_spki_sha1(creds->anchors->pdata[i], h);
        g_byte_array_append(hashes, h, 20);
    }
    gsize off = cg_chain_begin_payload(cb, CG_PL_CERTREQ, FALSE);
    cg_payload_write_cert(cb->buf, CERT_ENCODING_X509_SIG, hashes->data, hashes->len);
    cg_chain_end_payload(cb, off);
}

void
cg_auth_note_certreqs(CgIkeSa *ike, const CgMessage *msg)
{
    CgAuthState *st = cg_auth_state_get(ike);
    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        CgCertPayload req;
        if (p->type != CG_PL_CERTREQ || !cg_payload_parse_cert(p->body, p->body_len, &req, NULL))
            continue;
        st->peer_sent_certreq = TRUE;
        if (req.encoding != CERT_ENCODING_X509_SIG || req.data_len % 20)
            continue;
        for (gsize off = 0; off < req.data_len && st->peer_ca_hashes->len < 64; off += 20)
            g_ptr_array_add(st->peer_ca_hashes, g_bytes_new(req.data + off, 20));
    }
}

/* ---- the peer's certificate and signature ------------------------------------------- */

static CgReason
reason_of(CgCertStatus st)
{
    switch (st) {
        case CG_CERT_OK:
            return CG_REASON_NONE;
        case CG_CERT_UNTRUSTED:
            return CG_REASON_CERT_UNTRUSTED;
        case CG_CERT_EXPIRED:
        case CG_CERT_NOT_YET_VALID:
            return CG_REASON_CERT_EXPIRED;
        case CG_CERT_REVOKED:
            return CG_REASON_CERT_REVOKED;
        case CG_CERT_INVALID:
        case CG_CERT_STATUS_UNKNOWN: /* OCSP: the detail says why */
            break;
    }
    return CG_REASON_CERT_REJECTED;
}

gboolean
cg_auth_collect_certs(const CgMessage *msg, GPtrArray *certs, GError **error)
{
    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        CgCertPayload cp;
        if (p->type != CG_PL_CERT)
            continue;
        if (!cg_payload_parse_cert(p->body, p->body_len, &cp, error))
            return FALSE;
        if (cp.encoding != CERT_ENCODING_X509_SIG)
            continue; /* hash-and-URL and others: not supported, not fatal */
        if (certs->len >= 16) {
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "more than 16 certificates");
            return FALSE;
        }
        CgCert *c = cg_cert_new_from_der(cp.data, cp.data_len, error);
        if (!c) {
            g_prefix_error(error, "certificate %u: ", certs->len + 1);
            return FALSE;
        }
        g_ptr_array_add(certs, c);
    }
    return TRUE;
}

/* The certificate that vouches for the peer: a verified path or the
 * pinned one. */
static CgCert *
peer_certificate(CgIkeSa *ike, const CgMessage *msg, CgReason *reason, GError **error)
{
    CgAuthCreds *creds;
    if (!cg_auth_creds_trust(ike->config, &creds, error)) {
        *reason = CG_REASON_LOCAL_CREDENTIALS;
        g_prefix_error(error, "cannot load our trusted CAs: ");
        return NULL;
    }
    g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    if (!cg_auth_collect_certs(msg, certs, error)) {
        *reason = CG_REASON_CERT_REJECTED;
        g_prefix_error(error, "malformed CERT payload: ");
        return NULL;
    }
    if (creds->pinned) {
        /* a pinned certificate is trusted as it is; its dates still count */
        if (certs->len && !cg_cert_equal(certs->pdata[0], creds->pinned)) {
            g_autofree char *got = cg_cert_subject(certs->pdata[0]);
            *reason = CG_REASON_CERT_UNTRUSTED;
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "certificate '%s' is not the pinned one (remote-cert)", got);
            return NULL;
        }
        gint64 now = g_get_real_time() / G_USEC_PER_SEC;
        if (now > cg_cert_not_after(creds->pinned) || now < cg_cert_not_before(creds->pinned)) {
            g_autofree char *s = cg_cert_subject(creds->pinned);
            *reason = CG_REASON_CERT_EXPIRED;
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "the pinned certificate '%s' is outside its validity period", s);
            return NULL;
        }
        return cg_cert_ref(creds->pinned);
    }
    if (!certs->len) {
        *reason = CG_REASON_CERT_REJECTED;
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "the peer sent no certificate");
        return NULL;
    }
    CgCert *end = certs->pdata[0];
    g_autoptr(GPtrArray) inter = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    for (guint i = 1; i < certs->len; i++)
        g_ptr_array_add(inter, cg_cert_ref(certs->pdata[i]));
    CgCertPolicy policy = { creds->anchors, creds->crls, 0, creds->ocsp };
    g_autofree char *detail = NULL;
    CgCertStatus status;
    /* with OCSP, the check already ran off the engine's context */
    if (!cg_auth_cert_check_verdict(ike, end, &status, &detail))
        status = cg_cert_verify(end, inter, &policy, &detail);
    if (status == CG_CERT_OK && detail) /* soft-fail OCSP: accepted, but say so */
        cg_ike_sa_log(ike, CG_LOG_WARNING, "%s; accepted (ocsp = soft)", detail);
    if (status != CG_CERT_OK) {
        *reason = reason_of(status);
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID, "%s",
                    detail ? detail : "certificate rejected");
        return NULL;
    }
    return cg_cert_ref(end);
}

/* RFC 4945 3.1: the identity must be in the certificate. */
static gboolean
check_identity(CgIkeSa *ike, CgCert *cert, const guint8 *id_body, gsize id_len, GError **error)
{
    CgIdPayload id;
    if (!cg_payload_parse_id(id_body, id_len, &id, error))
        return FALSE;
    if (cg_cert_matches_id(cert, id.id_type, id.data, id.data_len))
        return TRUE;
    CgIdentity tmp = { id.id_type, g_bytes_new(id.data, id.data_len) };
    g_autofree char *who = id.id_type == CG_ID_DER_ASN1_DN ? cg_dn_to_string(id.data, id.data_len)
                                                           : cg_identity_to_string(&tmp);
    cg_identity_clear(&tmp);
    g_autofree char *subject = cg_cert_subject(cert);
    g_autofree char *alt = cg_cert_alt_names(cert);
    g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                "the peer identified as '%s', which its certificate '%s' does not contain "
                "(subjectAltName: %s)",
                who ? who : "(malformed DN)", subject, *alt ? alt : "none");
    return FALSE;
}

/* The host we connected to must be named in the certificate, whatever
 * identity the peer claims (RFC 6125 6.4 for TLS; here for a gateway
 * checked against the system's CAs, where any public certificate would
 * otherwise do). */
static gboolean
check_names_host(CgCert *cert, const char *host, GError **error)
{
    if (!host)
        return TRUE;
    CgIdentity want = { 0 };
    if (!cg_identity_parse(host, &want, error))
        return FALSE;
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(want.data, &len);
    gboolean named = want.type != 0 && cg_cert_matches_id(cert, want.type, data, len);
    cg_identity_clear(&want);
    if (named)
        return TRUE;
    g_autofree char *subject = cg_cert_subject(cert);
    g_autofree char *alt = cg_cert_alt_names(cert);
    g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                "the gateway's certificate '%s' does not name %s (subjectAltName: %s)", subject,
                host, *alt ? alt : "none");
    return FALSE;
}

/* The scheme an AUTH method implies; for 14 it comes from the data. */
static gboolean
scheme_of(const CgAuthPayload *auth, CgCert *cert, CgSigScheme *s, const guint8 **sig,
          gsize *sig_len, GError **error)
{
    CgKeyType type = cg_cert_key_type(cert, NULL);
    memset(s, 0, sizeof *s);
    *sig = auth->data;
    *sig_len = auth->data_len;
    switch (auth->method) {
        case CG_AUTH_RSA_SIG:
            /* RFC 7296 3.8: PKCS#1 v1.5; the DigestInfo names the hash */
            *s = (CgSigScheme){ CG_SIG_RSA_PKCS1, CG_HASH_ANY, 0 };
            return TRUE;
        case CG_AUTH_ECDSA_256:
        case CG_AUTH_ECDSA_384:
        case CG_AUTH_ECDSA_521: {
            /* RFC 4754: the curve is fixed by the method */
            static const CgKeyType curve[]
                = { CG_KEY_ECDSA_P256, CG_KEY_ECDSA_P384, CG_KEY_ECDSA_P521 };
            static const CgHash hash[] = { CG_HASH_SHA256, CG_HASH_SHA384, CG_HASH_SHA512 };
            guint i = auth->method - CG_AUTH_ECDSA_256;
            if (type != curve[i]) {
                g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                            "AUTH method %u needs an %s key, the certificate has %s", auth->method,
                            cg_key_type_name(curve[i]), cg_key_type_name(type));
                return FALSE;
            }
            *s = (CgSigScheme){ CG_SIG_ECDSA_RAW, hash[i], 0 };
            return TRUE;
        }
        case CG_AUTH_DIGITAL_SIGNATURE: {
            gsize consumed = 0;
            if (!cg_sigalg_decode(auth->data, auth->data_len, s, &consumed, error))
                return FALSE;
            if (s->hash == CG_HASH_SHA1) {
                /* RFC 8247 3.2: SHA-1 MUST NOT be used in method 14 */
                g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                            "the peer signed with SHA-1, which RFC 8247 forbids here");
                return FALSE;
            }
            *sig = auth->data + consumed;
            *sig_len = auth->data_len - consumed;
            return TRUE;
        }
        default:
            g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                        "the peer used AUTH method %u where a signature (1, 9-11, 14) belongs",
                        auth->method);
            return FALSE;
    }
}

static gboolean
verify_signature(CgIkeSa *ike, const CgMessage *msg, const guint8 *id_body, gsize id_len,
                 CgReason *reason, GError **error)
{
    CgAuthState *st = cg_auth_state_get(ike);
    CgAuthPayload auth;
    *reason = CG_REASON_AUTH_FAILED;
    if (!find_auth(msg, &auth, error))
        return FALSE;
    g_autoptr(CgCert) cert = peer_certificate(ike, msg, reason, error);
    if (!cert)
        return FALSE;
    if (!check_identity(ike, cert, id_body, id_len, error)
        || !check_names_host(cert, ike->config->remote_cert_host, error)) {
        *reason = CG_REASON_ID_MISMATCH;
        return FALSE;
    }
    CgSigScheme s;
    const guint8 *sig;
    gsize sig_len;
    CgIov octets[3];
    guint8 maced[64];
    *reason = CG_REASON_AUTH_FAILED;
    if (!scheme_of(&auth, cert, &s, &sig, &sig_len, error)
        || !signed_octets(ike, !ike->initiator, id_body, id_len, octets, maced, error))
        return FALSE;
    if (!cg_verify(cert, &s, octets, 3, sig, sig_len, error)) {
        g_autofree char *subject = cg_cert_subject(cert);
        g_prefix_error(error, "AUTH of '%s': ", subject);
        return FALSE;
    }
    g_autofree char *subject = cg_cert_subject(cert);
    g_autofree char *name = cg_sig_scheme_to_string(&s);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "certificate '%s' verified, AUTH %s (method %u) valid",
                  subject, name, auth.method);
    g_clear_pointer(&st->peer_cert, cg_cert_unref);
    st->peer_cert = g_steal_pointer(&cert);
    return TRUE;
}

gboolean
cg_auth_verify_peer(CgIkeSa *ike, const CgMessage *msg, const guint8 *id_body, gsize id_len,
                    CgReason *reason, GError **error)
{
    *reason = CG_REASON_AUTH_FAILED;
    switch (ike->config->remote_auth) {
        case CG_AUTH_BY_PUBKEY:
            return verify_signature(ike, msg, id_body, id_len, reason, error);
        case CG_AUTH_BY_PSK: {
            CgAuthPayload auth;
            if (!find_auth(msg, &auth, error))
                return FALSE;
            g_autoptr(GBytes) psk = cg_auth_find_psk(ike);
            if (!psk) {
                *reason = CG_REASON_LOCAL_CREDENTIALS;
                g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                            "no pre-shared key for the peer's identity");
                return FALSE;
            }
            return check_shared(ike, &auth, psk, id_body, id_len, "pre-shared key", error);
        }
        case CG_AUTH_BY_EAP:
            break;
    }
    g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                "the connection authenticates the peer with EAP, but it sent AUTH");
    return FALSE;
}
