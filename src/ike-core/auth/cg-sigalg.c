/* cg-sigalg.c: RFC 7427 digital signature authentication: the
 * AlgorithmIdentifier in front of the signature (3, Appendix A) and the
 * SIGNATURE_HASH_ALGORITHMS notify (4). */
#include "auth/cg-auth.h"

#include <string.h>

#include "crypto/cg-der.h"

/* DER contents of the OIDs (without tag and length) */
static const guint8 OID_RSA_SHA1[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05 };
static const guint8 OID_RSA_SHA256[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };
static const guint8 OID_RSA_SHA384[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c };
static const guint8 OID_RSA_SHA512[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d };
static const guint8 OID_RSA_PSS[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a };
static const guint8 OID_MGF1[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08 };
static const guint8 OID_ECDSA_SHA256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const guint8 OID_ECDSA_SHA384[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const guint8 OID_ECDSA_SHA512[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const guint8 OID_ED25519[] = { 0x2b, 0x65, 0x70 };
static const guint8 OID_SHA1[] = { 0x2b, 0x0e, 0x03, 0x02, 0x1a };
static const guint8 OID_SHA256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
static const guint8 OID_SHA384[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 };
static const guint8 OID_SHA512[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 };

typedef struct {
    const guint8 *oid;
    gsize oid_len;
    CgSigKind kind;
    CgHash hash;
    gboolean null_params; /* RFC 4055 / RFC 8017: PKCS#1 v1.5 OIDs carry NULL */
} SigAlg;

static const SigAlg sig_algs[] = {
    { OID_RSA_SHA256, sizeof OID_RSA_SHA256, CG_SIG_RSA_PKCS1, CG_HASH_SHA256, TRUE },
    { OID_RSA_SHA384, sizeof OID_RSA_SHA384, CG_SIG_RSA_PKCS1, CG_HASH_SHA384, TRUE },
    { OID_RSA_SHA512, sizeof OID_RSA_SHA512, CG_SIG_RSA_PKCS1, CG_HASH_SHA512, TRUE },
    { OID_RSA_SHA1, sizeof OID_RSA_SHA1, CG_SIG_RSA_PKCS1, CG_HASH_SHA1, TRUE },
    { OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256, CG_SIG_ECDSA, CG_HASH_SHA256, FALSE },
    { OID_ECDSA_SHA384, sizeof OID_ECDSA_SHA384, CG_SIG_ECDSA, CG_HASH_SHA384, FALSE },
    { OID_ECDSA_SHA512, sizeof OID_ECDSA_SHA512, CG_SIG_ECDSA, CG_HASH_SHA512, FALSE },
    { OID_ED25519, sizeof OID_ED25519, CG_SIG_ED25519, CG_HASH_IDENTITY, FALSE },
};

static const struct {
    const guint8 *oid;
    gsize len;
    CgHash hash;
} hash_algs[] = {
    { OID_SHA256, sizeof OID_SHA256, CG_HASH_SHA256 },
    { OID_SHA384, sizeof OID_SHA384, CG_HASH_SHA384 },
    { OID_SHA512, sizeof OID_SHA512, CG_HASH_SHA512 },
    { OID_SHA1, sizeof OID_SHA1, CG_HASH_SHA1 },
};

static void
put_hash_alg_id(GByteArray *out, CgHash hash)
{
    static const guint8 der_null[] = { CG_DER_NULL, 0 };
    g_autoptr(GByteArray) inner = g_byte_array_new();
    for (guint i = 0; i < G_N_ELEMENTS(hash_algs); i++) {
        if (hash_algs[i].hash == hash)
            cg_der_put(inner, CG_DER_OID, hash_algs[i].oid, hash_algs[i].len);
    }
    g_byte_array_append(inner, der_null, sizeof der_null);
    cg_der_wrap(out, CG_DER_SEQUENCE, inner);
}

/* RFC 4055 3.1: RSASSA-PSS-params { [0] hash, [1] MGF1(hash), [2] salt } */
static void
put_pss_params(GByteArray *out, const CgSigScheme *s)
{
    g_autoptr(GByteArray) params = g_byte_array_new();
    g_autoptr(GByteArray) hash = g_byte_array_new();
    g_autoptr(GByteArray) mgf = g_byte_array_new();
    g_autoptr(GByteArray) mgf_seq = g_byte_array_new();
    g_autoptr(GByteArray) salt = g_byte_array_new();
    put_hash_alg_id(hash, s->hash);
    cg_der_wrap(params, CG_DER_CONTEXT(0), hash);
    cg_der_put(mgf, CG_DER_OID, OID_MGF1, sizeof OID_MGF1);
    put_hash_alg_id(mgf, s->hash);
    cg_der_wrap(mgf_seq, CG_DER_SEQUENCE, mgf);
    cg_der_wrap(params, CG_DER_CONTEXT(1), mgf_seq);
    guint8 salt_len = (guint8)(s->salt_len ? s->salt_len : cg_hash_len(s->hash));
    cg_der_put(salt, CG_DER_INTEGER, &salt_len, 1);
    cg_der_wrap(params, CG_DER_CONTEXT(2), salt);
    cg_der_wrap(out, CG_DER_SEQUENCE, params);
}

GBytes *
cg_sigalg_encode(const CgSigScheme *s)
{
    static const guint8 der_null[] = { CG_DER_NULL, 0 };
    g_autoptr(GByteArray) alg = g_byte_array_new();
    if (s->kind == CG_SIG_RSA_PSS) {
        cg_der_put(alg, CG_DER_OID, OID_RSA_PSS, sizeof OID_RSA_PSS);
        put_pss_params(alg, s);
    } else {
        const SigAlg *found = NULL;
        for (guint i = 0; i < G_N_ELEMENTS(sig_algs) && !found; i++) {
            CgSigKind kind = s->kind == CG_SIG_ECDSA_RAW ? CG_SIG_ECDSA : s->kind;
            if (sig_algs[i].kind == kind && sig_algs[i].hash == s->hash)
                found = &sig_algs[i];
        }
        if (!found)
            return NULL;
        cg_der_put(alg, CG_DER_OID, found->oid, found->oid_len);
        if (found->null_params)
            g_byte_array_append(alg, der_null, sizeof der_null);
    }
    GByteArray *out = g_byte_array_new();
    g_byte_array_set_size(out, 1);
    cg_der_wrap(out, CG_DER_SEQUENCE, alg);
    /* RFC 7427 3: one octet, the length of the AlgorithmIdentifier */
    g_return_val_if_fail(out->len - 1 <= 255, NULL);
    out->data[0] = (guint8)(out->len - 1);
    return g_byte_array_free_to_bytes(out);
}

static gboolean
oid_is(const guint8 *oid, gsize len, const guint8 *want, gsize want_len)
{
    return len == want_len && memcmp(oid, want, len) == 0;
}

/* AlgorithmIdentifier of a hash: OID with NULL or absent parameters */
static gboolean
read_hash_alg(CgDer *d, CgHash *out)
{
    CgDer alg;
    const guint8 *oid;
    gsize oid_len;
    if (!cg_der_read(d, CG_DER_SEQUENCE, &alg)
        || !cg_der_read_bytes(&alg, CG_DER_OID, &oid, &oid_len))
        return FALSE;
    if (!cg_der_at_end(&alg)) {
        const guint8 *null_content;
        gsize null_len;
        if (!cg_der_read_bytes(&alg, CG_DER_NULL, &null_content, &null_len) || null_len != 0
            || !cg_der_at_end(&alg))
            return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(hash_algs); i++) {
        if (oid_is(oid, oid_len, hash_algs[i].oid, hash_algs[i].len)) {
            *out = hash_algs[i].hash;
            return TRUE;
        }
    }
    return FALSE;
}

/* RSASSA-PSS-params; absent fields take RFC 4055's defaults (SHA-1, 20) */
static gboolean
read_pss_params(CgDer *d, CgSigScheme *s, GError **error)
{
    CgDer params, field;
    CgHash hash = CG_HASH_SHA1, mgf_hash = CG_HASH_SHA1;
    guint32 salt = 20, trailer = 1;
    guint8 tag;
    if (!cg_der_read(d, CG_DER_SEQUENCE, &params))
        goto malformed;
    if (cg_der_peek_tag(&params, &tag) && tag == CG_DER_CONTEXT(0)) {
        if (!cg_der_read(&params, CG_DER_CONTEXT(0), &field) || !read_hash_alg(&field, &hash))
            goto malformed;
    }
    if (cg_der_peek_tag(&params, &tag) && tag == CG_DER_CONTEXT(1)) {
        CgDer mgf;
        const guint8 *oid;
        gsize oid_len;
        if (!cg_der_read(&params, CG_DER_CONTEXT(1), &field)
            || !cg_der_read(&field, CG_DER_SEQUENCE, &mgf)
            || !cg_der_read_bytes(&mgf, CG_DER_OID, &oid, &oid_len)
            || !oid_is(oid, oid_len, OID_MGF1, sizeof OID_MGF1) || !read_hash_alg(&mgf, &mgf_hash))
            goto malformed;
    }
    if (cg_der_peek_tag(&params, &tag) && tag == CG_DER_CONTEXT(2)) {
        if (!cg_der_read(&params, CG_DER_CONTEXT(2), &field) || !cg_der_read_uint(&field, &salt))
            goto malformed;
    }
    if (cg_der_peek_tag(&params, &tag) && tag == CG_DER_CONTEXT(3)) {
        if (!cg_der_read(&params, CG_DER_CONTEXT(3), &field) || !cg_der_read_uint(&field, &trailer))
            goto malformed;
    }
    if (!cg_der_at_end(&params))
        goto malformed;
    if (mgf_hash != hash || trailer != 1 || salt > 512) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "RSA-PSS with MGF1 hash %s for hash %s, salt %u, trailer %u is not supported",
                    cg_hash_name(mgf_hash), cg_hash_name(hash), salt, trailer);
        return FALSE;
    }
    s->kind = CG_SIG_RSA_PSS;
    s->hash = hash;
    s->salt_len = salt;
    return TRUE;
malformed:
    g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED, "malformed RSA-PSS parameters");
    return FALSE;
}

static char *
oid_text(const guint8 *oid, gsize len)
{
    /* X.690 8.19: first octet 40 * a + b, then base-128 groups */
    if (len == 0 || len > 64)
        return g_strdup("?");
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%u.%u", oid[0] / 40 > 2 ? 2 : oid[0] / 40,
                           oid[0] / 40 > 2 ? oid[0] - 80 : oid[0] % 40);
    guint64 v = 0;
    for (gsize i = 1; i < len; i++) {
        v = (v << 7) | (oid[i] & 0x7f);
        if (!(oid[i] & 0x80)) {
            g_string_append_printf(s, ".%" G_GUINT64_FORMAT, v);
            v = 0;
        }
    }
    return g_string_free(s, FALSE);
}

gboolean
cg_sigalg_decode(const guint8 *data, gsize len, CgSigScheme *out, gsize *consumed, GError **error)
{
    memset(out, 0, sizeof *out);
    if (len < 1 || (gsize)data[0] + 1 > len) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "AUTH data of %zu bytes cannot hold its %u-byte AlgorithmIdentifier", len,
                    len ? data[0] : 0);
        return FALSE;
    }
    gsize alg_len = data[0];
    CgDer d, alg;
    const guint8 *oid;
    gsize oid_len;
    cg_der_init(&d, data + 1, alg_len);
    if (!cg_der_read(&d, CG_DER_SEQUENCE, &alg) || !cg_der_at_end(&d)
        || !cg_der_read_bytes(&alg, CG_DER_OID, &oid, &oid_len)) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "malformed AlgorithmIdentifier in the AUTH payload");
        return FALSE;
    }
    *consumed = 1 + alg_len;
    if (oid_is(oid, oid_len, OID_RSA_PSS, sizeof OID_RSA_PSS))
        return read_pss_params(&alg, out, error)
               && (cg_der_at_end(&alg)
                   || (g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                                   "trailing data after the RSA-PSS parameters"),
                       FALSE));
    for (guint i = 0; i < G_N_ELEMENTS(sig_algs); i++) {
        if (!oid_is(oid, oid_len, sig_algs[i].oid, sig_algs[i].oid_len))
            continue;
        /* parameters: NULL where RFC 4055 puts it, absent elsewhere (accept both) */
        if (!cg_der_at_end(&alg)) {
            const guint8 *p;
            gsize plen;
            if (!cg_der_read_bytes(&alg, CG_DER_NULL, &p, &plen) || plen || !cg_der_at_end(&alg)) {
                g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                            "unexpected parameters in the AUTH AlgorithmIdentifier");
                return FALSE;
            }
        }
        out->kind = sig_algs[i].kind;
        out->hash = sig_algs[i].hash;
        return TRUE;
    }
    g_autofree char *text = oid_text(oid, oid_len);
    g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                "unsupported signature algorithm %s in the AUTH payload", text);
    return FALSE;
}

guint
cg_sighash_parse(const guint8 *data, gsize len)
{
    guint mask = 0;
    /* RFC 7427 4: a list of 16-bit hash algorithm numbers */
    for (gsize i = 0; i + 1 < len; i += 2) {
        guint id = (guint)data[i] << 8 | data[i + 1];
        if (id >= 1 && id <= 5)
            mask |= 1u << id;
    }
    return mask;
}
