/* cg-sign.c: private keys (files, NSS database, PKCS#11 tokens) and the
 * signature schemes of IKEv2 authentication: RSASSA-PKCS1-v1_5 and
 * RSASSA-PSS (RFC 8017), ECDSA in DER (RFC 7427) and raw r|s (RFC 4754). */
#include "cg-cert-private.h"
#include "cg-der.h"
#include "cg-sign.h"

#include <string.h>

#include <cryptohi.h>
#include <keyhi.h>
#include <prerror.h>
#include <secdig.h>
#include <secerr.h>
#include <secmod.h>
#include <secoid.h>

#define KEY_FILE_MAX (1024 * 1024)

struct CgPrivKey {
    SECKEYPrivateKey *nss;
};

const char *
cg_hash_name(CgHash hash)
{
    switch (hash) {
        case CG_HASH_SHA1:
            return "SHA-1";
        case CG_HASH_SHA256:
            return "SHA-256";
        case CG_HASH_SHA384:
            return "SHA-384";
        case CG_HASH_SHA512:
            return "SHA-512";
        case CG_HASH_IDENTITY:
            return "identity";
        case CG_HASH_ANY:
            break;
    }
    return "any";
}

gsize
cg_hash_len(CgHash hash)
{
    switch (hash) {
        case CG_HASH_SHA1:
            return 20;
        case CG_HASH_SHA256:
            return 32;
        case CG_HASH_SHA384:
            return 48;
        case CG_HASH_SHA512:
            return 64;
        default:
            return 0;
    }
}

static SECOidTag
hash_oid(CgHash hash)
{
    switch (hash) {
        case CG_HASH_SHA1:
            return SEC_OID_SHA1;
        case CG_HASH_SHA256:
            return SEC_OID_SHA256;
        case CG_HASH_SHA384:
            return SEC_OID_SHA384;
        case CG_HASH_SHA512:
            return SEC_OID_SHA512;
        default:
            return SEC_OID_UNKNOWN;
    }
}

static CgHash
hash_from_oid(SECOidTag tag)
{
    switch (tag) {
        case SEC_OID_SHA1:
            return CG_HASH_SHA1;
        case SEC_OID_SHA256:
            return CG_HASH_SHA256;
        case SEC_OID_SHA384:
            return CG_HASH_SHA384;
        case SEC_OID_SHA512:
            return CG_HASH_SHA512;
        default:
            return CG_HASH_ANY;
    }
}

char *
cg_sig_scheme_to_string(const CgSigScheme *s)
{
    const char *kind = "?";
    switch (s->kind) {
        case CG_SIG_RSA_PKCS1:
            kind = "RSA-PKCS1";
            break;
        case CG_SIG_RSA_PSS:
            kind = "RSA-PSS";
            break;
        case CG_SIG_ECDSA:
            kind = "ECDSA";
            break;
        case CG_SIG_ECDSA_RAW:
            kind = "ECDSA(raw)";
            break;
        case CG_SIG_ED25519:
            return g_strdup("Ed25519");
    }
    return g_strdup_printf("%s/%s", kind, cg_hash_name(s->hash));
}

/* ---- hashing -------------------------------------------------------------- */

static gboolean
digest(CgHash hash, const CgIov *iov, guint n_iov, guint8 out[64], unsigned int *out_len,
       GError **error)
{
    SECOidTag tag = hash_oid(hash);
    if (tag == SEC_OID_UNKNOWN) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "hash algorithm %u is not supported for signatures", hash);
        return FALSE;
    }
    PK11Context *ctx = PK11_CreateDigestContext(tag);
    if (!ctx) {
        cg_crypto_set_nss_error(error, "creating a digest context");
        return FALSE;
    }
    gboolean ok = PK11_DigestBegin(ctx) == SECSuccess;
    for (guint i = 0; ok && i < n_iov; i++) {
        if (iov[i].len > G_MAXUINT)
            ok = FALSE;
        else if (iov[i].len)
            ok = PK11_DigestOp(ctx, iov[i].data, (unsigned int)iov[i].len) == SECSuccess;
    }
    ok = ok && PK11_DigestFinal(ctx, out, out_len, 64) == SECSuccess;
    PK11_DestroyContext(ctx, PR_TRUE);
    if (!ok)
        cg_crypto_set_nss_error(error, "hashing");
    return ok;
}

/* RFC 8017 9.2 step 2: DigestInfo ::= SEQUENCE { digestAlgorithm
 * AlgorithmIdentifier (with NULL parameters), digest OCTET STRING } */
static SECItem *
digest_info(CgHash hash, const guint8 *dig, unsigned int dig_len)
{
    static const guint8 der_null[] = { CG_DER_NULL, 0 };
    SECOidData *oid = SECOID_FindOIDByTag(hash_oid(hash));
    if (!oid)
        return NULL;
    g_autoptr(GByteArray) alg = g_byte_array_new();
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) out = g_byte_array_new();
    cg_der_put(alg, CG_DER_OID, oid->oid.data, oid->oid.len);
    g_byte_array_append(alg, der_null, sizeof der_null);
    cg_der_wrap(body, CG_DER_SEQUENCE, alg);
    cg_der_put(body, CG_DER_OCTET_STRING, dig, dig_len);
    cg_der_wrap(out, CG_DER_SEQUENCE, body);
    SECItem *item = SECITEM_AllocItem(NULL, NULL, out->len);
    if (item)
        memcpy(item->data, out->data, out->len);
    return item;
}

static CK_MECHANISM_TYPE
pss_hash_mech(CgHash hash, CK_RSA_PKCS_MGF_TYPE *mgf)
{
    switch (hash) {
        case CG_HASH_SHA256:
            *mgf = CKG_MGF1_SHA256;
            return CKM_SHA256;
        case CG_HASH_SHA384:
            *mgf = CKG_MGF1_SHA384;
            return CKM_SHA384;
        case CG_HASH_SHA512:
            *mgf = CKG_MGF1_SHA512;
            return CKM_SHA512;
        case CG_HASH_SHA1:
            *mgf = CKG_MGF1_SHA1;
            return CKM_SHA_1;
        default:
            *mgf = 0;
            return CKM_INVALID_MECHANISM;
    }
}

/* ---- private keys ----------------------------------------------------------- */

CgPrivKey *
cg_privkey_wrap(SECKEYPrivateKey *nss)
{
    CgPrivKey *key = g_new0(CgPrivKey, 1);
    key->nss = nss;
    return key;
}

SECKEYPrivateKey *
cg_privkey_nss(const CgPrivKey *key)
{
    return key->nss;
}

void
cg_privkey_free(CgPrivKey *key)
{
    if (!key)
        return;
    if (key->nss)
        SECKEY_DestroyPrivateKey(key->nss);
    g_free(key);
}

CgKeyType
cg_privkey_type(const CgPrivKey *key, guint *bits)
{
    SECKEYPublicKey *pub = SECKEY_ConvertToPublicKey(key->nss);
    if (!pub) {
        if (bits)
            *bits = 0;
        return key->nss->keyType == rsaKey ? CG_KEY_RSA : CG_KEY_NONE;
    }
    CgKeyType t = cg_public_key_type(pub, bits);
    SECKEY_DestroyPublicKey(pub);
    return t;
}

/* PKCS#8 PrivateKeyInfo (RFC 5208 5) around a PKCS#1 or SEC1 key. */
static GByteArray *
wrap_pkcs8(const guint8 *alg_oid, gsize alg_oid_len, const guint8 *params, gsize params_len,
           const guint8 *key, gsize key_len)
{
    static const guint8 version0 = 0;
    g_autoptr(GByteArray) alg = g_byte_array_new();
    g_autoptr(GByteArray) info = g_byte_array_new();
    GByteArray *out = g_byte_array_new();
    cg_der_put(alg, CG_DER_OID, alg_oid, alg_oid_len);
    g_byte_array_append(alg, params, (guint)params_len);
    cg_der_put(info, CG_DER_INTEGER, &version0, 1);
    cg_der_wrap(info, CG_DER_SEQUENCE, alg);
    cg_der_put(info, CG_DER_OCTET_STRING, key, key_len);
    cg_der_wrap(out, CG_DER_SEQUENCE, info);
    cg_memzero(info->data, info->len);
    return out;
}

/* The PKCS#8 form of a DER key of any of the three containers. */
static GByteArray *
to_pkcs8(const guint8 *der, gsize len, GError **error)
{
    /* rsaEncryption 1.2.840.113549.1.1.1, id-ecPublicKey 1.2.840.10045.2.1 */
    static const guint8 oid_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
    static const guint8 oid_ec[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
    static const guint8 der_null[] = { CG_DER_NULL, 0 };
    CgDer d, seq;
    guint32 version;
    guint8 tag;
    cg_der_init(&d, der, len);
    if (!cg_der_read(&d, CG_DER_SEQUENCE, &seq) || !cg_der_at_end(&d)
        || !cg_der_read_uint(&seq, &version) || !cg_der_peek_tag(&seq, &tag)) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "not a private key (PKCS#8, PKCS#1 or SEC1 DER expected)");
        return NULL;
    }
    GByteArray *out;
    if (tag == CG_DER_SEQUENCE && version == 0) {
        out = g_byte_array_new(); /* PKCS#8 already */
        g_byte_array_append(out, der, (guint)len);
    } else if (tag == CG_DER_INTEGER && version == 0) {
        out = wrap_pkcs8(oid_rsa, sizeof oid_rsa, der_null, sizeof der_null, der, len);
    } else if (tag == CG_DER_OCTET_STRING && version == 1) {
        /* RFC 5915 3: ECPrivateKey { 1, privateKey, [0] parameters, [1] publicKey } */
        CgDer params_der;
        const guint8 *params = NULL;
        gsize params_len = 0;
        gboolean have_pub = FALSE;
        cg_der_read_any(&seq, NULL, NULL, NULL, NULL, NULL);
        while (!cg_der_at_end(&seq)) {
            if (!cg_der_peek_tag(&seq, &tag))
                break;
            if (tag == CG_DER_CONTEXT(0)) {
                if (!cg_der_read(&seq, CG_DER_CONTEXT(0), &params_der))
                    break;
                guint8 t;
                if (!cg_der_read_any(&params_der, &t, NULL, NULL, &params, &params_len)
                    || t != CG_DER_OID)
                    params = NULL;
            } else {
                have_pub |= tag == CG_DER_CONTEXT(1);
                if (!cg_der_read_any(&seq, NULL, NULL, NULL, NULL, NULL))
                    break;
            }
        }
        if (!params || !have_pub) {
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                        "the EC key lacks its %s (write it with its curve and public key)",
                        !params ? "named curve" : "public key");
            return NULL;
        }
        out = wrap_pkcs8(oid_ec, sizeof oid_ec, params, params_len, der, len);
    } else {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "unknown private key structure (version %u)", version);
        return NULL;
    }
    return out;
}

static CgPrivKey *
import_pkcs8(const guint8 *der, gsize len, GError **error)
{
    g_autoptr(GByteArray) pkcs8 = to_pkcs8(der, len, error);
    if (!pkcs8)
        return NULL;
    PK11SlotInfo *slot = PK11_GetInternalSlot();
    SECItem item = { siBuffer, pkcs8->data, pkcs8->len };
    SECKEYPrivateKey *nss = NULL;
    SECStatus rv = PK11_ImportDERPrivateKeyInfoAndReturnKey(
        slot, &item, NULL, NULL, PR_FALSE, PR_TRUE, KU_DIGITAL_SIGNATURE, &nss, NULL);
    PK11_FreeSlot(slot);
    cg_memzero(pkcs8->data, pkcs8->len);
    if (rv != SECSuccess || !nss) {
        cg_crypto_set_nss_error(error, "importing the private key");
        return NULL;
    }
    CgPrivKey *key = g_new0(CgPrivKey, 1);
    key->nss = nss;
    return key;
}

CgPrivKey *
cg_privkey_load_file(const char *path, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return NULL;
    char *contents = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &contents, &len, error))
        return NULL;
    CgPrivKey *key = NULL;
    if (len == 0 || len > KEY_FILE_MAX) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "%s: a key file of %zu bytes (1..%d allowed)", path, len, KEY_FILE_MAX);
    } else if (cg_pem_detect((const guint8 *)contents, len)) {
        g_autoptr(GPtrArray) blocks = cg_pem_decode((const guint8 *)contents, len, error);
        CgPemBlock *found = NULL;
        for (guint i = 0; blocks && i < blocks->len && !found; i++) {
            CgPemBlock *b = blocks->pdata[i];
            if (strstr(b->label, "PRIVATE KEY"))
                found = b;
        }
        if (!blocks) {
            /* error set */
        } else if (!found) {
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                        "no PRIVATE KEY block");
        } else if (found->encrypted || strcmp(found->label, "ENCRYPTED PRIVATE KEY") == 0) {
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                        "the key is encrypted: give it as PKCS#12 (with a password) or "
                        "unencrypted");
        } else {
            gsize der_len;
            const guint8 *der = g_bytes_get_data(found->der, &der_len);
            key = import_pkcs8(der, der_len, error);
        }
    } else {
        key = import_pkcs8((const guint8 *)contents, len, error);
    }
    cg_memzero(contents, len);
    g_free(contents);
    if (!key)
        g_prefix_error(error, "%s: ", path);
    return key;
}

/* ---- PINs ------------------------------------------------------------------- */

/* The wincx NSS hands to the password callback. */
typedef struct {
    GBytes *pin;
    guint asked;
} PinArg;

/* NSS frees (and wipes) what this returns. A second call means the PIN
 * was wrong: returning NULL then stops NSS from locking the token. */
static char *
pin_callback(PK11SlotInfo *slot, PRBool retry, void *arg)
{
    PinArg *p = arg;
    if (!p || !p->pin || retry || p->asked++ > 0)
        return NULL;
    gsize len;
    const char *data = g_bytes_get_data(p->pin, &len);
    char *out = PORT_Alloc(len + 1);
    if (!out)
        return NULL;
    memcpy(out, data, len);
    out[len] = '\0';
    return out;
}

static void
install_pin_callback(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        PK11_SetPasswordFunc(pin_callback);
        g_once_init_leave(&once, 1);
    }
}

CgPrivKey *
cg_privkey_find_for_cert(CgCert *cert, GBytes *pin, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return NULL;
    install_pin_callback();
    PinArg arg = { pin, 0 };
    CERTCertificate *c = cg_cert_nss(cert);
    if (c->slot && PK11_NeedLogin(c->slot) && !PK11_IsLoggedIn(c->slot, &arg)) {
        if (PK11_Authenticate(c->slot, PR_TRUE, &arg) != SECSuccess) {
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                        pin ? "the PIN of token '%s' was not accepted"
                            : "token '%s' needs a PIN and none was given",
                        PK11_GetTokenName(c->slot));
            return NULL;
        }
    }
    SECKEYPrivateKey *nss = PK11_FindKeyByAnyCert(c, &arg);
    if (!nss) {
        g_autofree char *s = cg_cert_subject(cert);
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "no private key for certificate '%s' in the NSS database or on its token", s);
        return NULL;
    }
    CgPrivKey *key = g_new0(CgPrivKey, 1);
    key->nss = nss;
    return key;
}

gboolean
cg_pkcs11_login(const char *token, GBytes *pin, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return FALSE;
    install_pin_callback();
    PK11SlotInfo *slot = PK11_FindSlotByName(token);
    if (!slot) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "no token labelled '%s' (is its PKCS#11 module loaded?)", token);
        return FALSE;
    }
    PinArg arg = { pin, 0 };
    gboolean ok = TRUE;
    if (PK11_NeedLogin(slot) && !PK11_IsLoggedIn(slot, &arg)
        && PK11_Authenticate(slot, PR_TRUE, &arg) != SECSuccess) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    pin ? "the PIN of token '%s' was not accepted"
                        : "token '%s' needs a PIN and none was given",
                    token);
        ok = FALSE;
    }
    PK11_FreeSlot(slot);
    return ok;
}

gboolean
cg_pkcs11_load_module(const char *path, GError **error)
{
    static GMutex lock;
    static GHashTable *loaded; /* path -> SECMODModule* */
    if (!cg_crypto_check_ready(error))
        return FALSE;
    install_pin_callback();
    g_mutex_lock(&lock);
    if (!loaded)
        loaded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean ok = g_hash_table_contains(loaded, path);
    if (!ok) {
        g_autofree char *base = g_path_get_basename(path);
        g_autofree char *spec = g_strdup_printf("library=\"%s\" name=\"cygnet %s\"", path, base);
        SECMODModule *mod = SECMOD_LoadUserModule(spec, NULL, PR_FALSE);
        if (!mod || !mod->loaded) {
            if (mod)
                SECMOD_DestroyModule(mod);
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                        "cannot load PKCS#11 module %s: %s", path,
                        PR_ErrorToName(PORT_GetError()) ? PR_ErrorToName(PORT_GetError())
                                                        : "unknown error");
        } else {
            g_hash_table_insert(loaded, g_strdup(path), mod);
            ok = TRUE;
        }
    }
    g_mutex_unlock(&lock);
    return ok;
}

/* ---- signing -------------------------------------------------------------- */

static gboolean
key_fits_scheme(CgKeyType type, CgSigKind kind)
{
    switch (kind) {
        case CG_SIG_RSA_PKCS1:
        case CG_SIG_RSA_PSS:
            return type == CG_KEY_RSA;
        case CG_SIG_ECDSA:
        case CG_SIG_ECDSA_RAW:
            return type == CG_KEY_ECDSA_P256 || type == CG_KEY_ECDSA_P384
                   || type == CG_KEY_ECDSA_P521;
        case CG_SIG_ED25519:
            return type == CG_KEY_ED25519;
    }
    return FALSE;
}

gboolean
cg_sign(CgPrivKey *key, const CgSigScheme *s, const CgIov *iov, guint n_iov, GBytes **signature,
        GError **error)
{
    CgKeyType type = key->nss->keyType == rsaKey  ? CG_KEY_RSA
                     : key->nss->keyType == ecKey ? cg_privkey_type(key, NULL)
                                                  : CG_KEY_NONE;
    if (s->kind == CG_SIG_ED25519) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "Ed25519 signatures need NSS 3.101 or later");
        return FALSE;
    }
    if (!key_fits_scheme(type, s->kind)) {
        g_autofree char *name = cg_sig_scheme_to_string(s);
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "a %s key cannot make %s signatures", cg_key_type_name(type), name);
        return FALSE;
    }
    guint8 dig[64];
    unsigned int dig_len = 0;
    if (!digest(s->hash, iov, n_iov, dig, &dig_len, error))
        return FALSE;
    int sig_len = PK11_SignatureLen(key->nss);
    if (sig_len <= 0 || sig_len > 1024) {
        cg_crypto_set_nss_error(error, "signature length");
        return FALSE;
    }
    SECItem sig = { siBuffer, g_malloc(sig_len), (unsigned int)sig_len };
    SECItem hash = { siBuffer, dig, dig_len };
    SECStatus rv;
    if (s->kind == CG_SIG_RSA_PKCS1) {
        SECItem *di = digest_info(s->hash, dig, dig_len);
        rv = di ? PK11_Sign(key->nss, &sig, di) : SECFailure;
        if (di)
            SECITEM_FreeItem(di, PR_TRUE);
    } else if (s->kind == CG_SIG_RSA_PSS) {
        CK_RSA_PKCS_PSS_PARAMS p = { 0 };
        p.hashAlg = pss_hash_mech(s->hash, &p.mgf);
        p.sLen = s->salt_len ? s->salt_len : dig_len;
        SECItem param = { siBuffer, (unsigned char *)&p, sizeof p };
        rv = PK11_SignWithMechanism(key->nss, CKM_RSA_PKCS_PSS, &param, &sig, &hash);
    } else {
        rv = PK11_Sign(key->nss, &sig, &hash); /* ECDSA: r | s */
    }
    if (rv != SECSuccess) {
        g_free(sig.data);
        cg_crypto_set_nss_error(error, "signing");
        return FALSE;
    }
    if (s->kind == CG_SIG_ECDSA) {
        SECItem der = { siBuffer, NULL, 0 };
        rv = DSAU_EncodeDerSigWithLen(&der, &sig, sig.len);
        g_free(sig.data);
        if (rv != SECSuccess) {
            cg_crypto_set_nss_error(error, "encoding the ECDSA signature");
            return FALSE;
        }
        *signature = g_bytes_new(der.data, der.len);
        SECITEM_FreeItem(&der, PR_FALSE);
        return TRUE;
    }
    *signature = g_bytes_new_take(sig.data, sig.len);
    return TRUE;
}

gboolean
cg_privkey_matches_cert(CgPrivKey *key, CgCert *cert)
{
    CgKeyType kt = cg_privkey_type(key, NULL);
    CgKeyType ct = cg_cert_key_type(cert, NULL);
    if (kt != ct && !(key->nss->keyType == rsaKey && ct == CG_KEY_RSA))
        return FALSE;
    CgSigScheme s = { ct == CG_KEY_RSA ? CG_SIG_RSA_PKCS1 : CG_SIG_ECDSA, CG_HASH_SHA256, 0 };
    static const guint8 probe[] = "cygnet key pair check";
    CgIov iov = { probe, sizeof probe };
    g_autoptr(GBytes) sig = NULL;
    if (!cg_sign(key, &s, &iov, 1, &sig, NULL))
        return FALSE;
    gsize len;
    const guint8 *data = g_bytes_get_data(sig, &len);
    return cg_verify(cert, &s, &iov, 1, data, len, NULL);
}

/* ---- verification ----------------------------------------------------------- */

static gboolean
bad_signature(GError **error, const CgSigScheme *s, const char *why)
{
    g_autofree char *name = cg_sig_scheme_to_string(s);
    g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_AUTH, "%s signature %s", name, why);
    return FALSE;
}

/* RFC 8017 8.2.2: recover EM, then compare with the DigestInfo we build
 * ourselves (byte for byte, so no lenient parsing is involved). */
static gboolean
verify_pkcs1(SECKEYPublicKey *pub, const CgSigScheme *s, const CgIov *iov, guint n_iov,
             const SECItem *sig, GError **error)
{
    unsigned int mod_len = SECKEY_SignatureLen(pub);
    if (sig->len != mod_len)
        return bad_signature(error, s, "has the wrong length");
    g_autofree guint8 *em = g_malloc(mod_len);
    SECItem recovered = { siBuffer, em, mod_len };
    if (PK11_VerifyRecover(pub, (SECItem *)sig, &recovered, NULL) != SECSuccess)
        return bad_signature(error, s, "does not verify");
    CgHash hash = s->hash;
    if (hash == CG_HASH_ANY) {
        SGNDigestInfo *di = SGN_DecodeDigestInfo(&recovered);
        if (!di)
            return bad_signature(error, s, "holds no DigestInfo");
        hash = hash_from_oid(SECOID_GetAlgorithmTag(&di->digestAlgorithm));
        SGN_DestroyDigestInfo(di);
        if (hash == CG_HASH_ANY)
            return bad_signature(error, s, "uses an unsupported hash");
    }
    guint8 dig[64];
    unsigned int dig_len;
    if (!digest(hash, iov, n_iov, dig, &dig_len, error))
        return FALSE;
    SECItem *want = digest_info(hash, dig, dig_len);
    gboolean ok = want && want->len == recovered.len
                  && cg_memeq_const(want->data, recovered.data, want->len);
    if (want)
        SECITEM_FreeItem(want, PR_TRUE);
    return ok ? TRUE : bad_signature(error, s, "does not verify");
}

gboolean
cg_verify(CgCert *cert, const CgSigScheme *s, const CgIov *iov, guint n_iov,
          const guint8 *signature, gsize signature_len, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return FALSE;
    if (signature_len == 0 || signature_len > 2048)
        return bad_signature(error, s, "has an impossible length");
    SECKEYPublicKey *pub = CERT_ExtractPublicKey(cg_cert_nss(cert));
    if (!pub) {
        cg_crypto_set_nss_error(error, "reading the certificate's public key");
        return FALSE;
    }
    CgKeyType type = cg_public_key_type(pub, NULL);
    gboolean ok = FALSE;
    SECItem sig = { siBuffer, (unsigned char *)signature, (unsigned int)signature_len };
    if (s->kind == CG_SIG_ED25519) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "Ed25519 signatures need NSS 3.101 or later");
    } else if (!key_fits_scheme(type, s->kind)) {
        g_autofree char *name = cg_sig_scheme_to_string(s);
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_AUTH,
                    "a %s signature cannot come from the certificate's %s key", name,
                    cg_key_type_name(type));
    } else if (s->kind == CG_SIG_RSA_PKCS1) {
        ok = verify_pkcs1(pub, s, iov, n_iov, &sig, error);
    } else {
        guint8 dig[64];
        unsigned int dig_len;
        if (digest(s->hash, iov, n_iov, dig, &dig_len, error)) {
            SECItem hash = { siBuffer, dig, dig_len };
            if (s->kind == CG_SIG_RSA_PSS) {
                CK_RSA_PKCS_PSS_PARAMS p = { 0 };
                p.hashAlg = pss_hash_mech(s->hash, &p.mgf);
                p.sLen = s->salt_len ? s->salt_len : dig_len;
                SECItem param = { siBuffer, (unsigned char *)&p, sizeof p };
                ok = PK11_VerifyWithMechanism(pub, CKM_RSA_PKCS_PSS, &param, &sig, &hash, NULL)
                     == SECSuccess;
            } else {
                unsigned int raw_len = SECKEY_SignatureLen(pub);
                SECItem *raw = NULL;
                if (s->kind == CG_SIG_ECDSA)
                    raw = DSAU_DecodeDerSigToLen(&sig, raw_len);
                else if (sig.len == raw_len)
                    raw = SECITEM_DupItem(&sig);
                ok = raw && PK11_Verify(pub, raw, &hash, NULL) == SECSuccess;
                if (raw)
                    SECITEM_FreeItem(raw, PR_TRUE);
            }
            if (!ok)
                bad_signature(error, s, "does not verify");
        }
    }
    SECKEY_DestroyPublicKey(pub);
    return ok;
}
