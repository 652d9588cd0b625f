/* cg-dh.c: key exchange for the KE payload: MODP (RFC 3526), ECP
 * (RFC 5903) and X25519 (RFC 8031), all through PK11 key pairs. */
#include "cg-crypto-private.h"

#include <string.h>

#include <keyhi.h>
#include <prerror.h>
#include <secerr.h>
#include <secoid.h>

typedef enum {
    GROUP_MODP,
    GROUP_ECP,
    GROUP_X25519,
} GroupKind;

typedef struct {
    guint16 id;
    GroupKind kind;
    gsize public_len; /* KE payload data */
    gsize secret_len; /* g^ir */
    SECOidTag curve;  /* EC groups */
    const guint8 *prime;
} GroupInfo;

static const GroupInfo groups[] = {
    /* RFC 3526: public value and secret are as long as the prime */
    { CG_DH_MODP2048, GROUP_MODP, 256, 256, SEC_OID_UNKNOWN, cg_modp2048_prime },
    { CG_DH_MODP3072, GROUP_MODP, 384, 384, SEC_OID_UNKNOWN, cg_modp3072_prime },
    { CG_DH_MODP4096, GROUP_MODP, 512, 512, SEC_OID_UNKNOWN, cg_modp4096_prime },
    /* RFC 5903 7: KE data is x | y, the secret is x */
    { CG_DH_ECP256, GROUP_ECP, 64, 32, SEC_OID_ANSIX962_EC_PRIME256V1, NULL },
    { CG_DH_ECP384, GROUP_ECP, 96, 48, SEC_OID_SECG_EC_SECP384R1, NULL },
    /* RFC 8031 2: 32-byte public value and secret */
    { CG_DH_X25519, GROUP_X25519, 32, 32, SEC_OID_CURVE25519, NULL },
};

struct CgDh {
    const GroupInfo *info;
    SECKEYPrivateKey *priv;
    guint8 *pub; /* KE payload encoding */
};

static const GroupInfo *
group_info(guint16 group)
{
    for (gsize i = 0; i < G_N_ELEMENTS(groups); i++)
        if (groups[i].id == group)
            return &groups[i];
    return NULL;
}

static PK11SlotInfo *
group_slot(const GroupInfo *info)
{
    return cg_crypto_slot(info->kind == GROUP_MODP ? CG_SLOT_DH : CG_SLOT_EC);
}

gboolean
cg_dh_supported(guint16 group)
{
    const GroupInfo *info = group_info(group);
    return info && cg_crypto_ready() && group_slot(info) != NULL;
}

gsize
cg_dh_public_len(guint16 group)
{
    const GroupInfo *info = group_info(group);
    return info ? info->public_len : 0;
}

guint16
cg_dh_group(const CgDh *dh)
{
    return dh->info->id;
}

const guint8 *
cg_dh_public(const CgDh *dh, gsize *len)
{
    *len = dh->info->public_len;
    return dh->pub;
}

void
cg_dh_free(CgDh *dh)
{
    if (!dh)
        return;
    g_clear_pointer(&dh->priv, SECKEY_DestroyPrivateKey);
    g_free(dh->pub);
    g_free(dh);
}

/* ---- EC parameters --------------------------------------------------------- */

typedef struct {
    guint8 der[16]; /* OBJECT IDENTIFIER, DER encoded */
    SECItem item;
} EcParams;

/* Built once per process: the DER OID NSS wants as EC key parameters. */
const SECItem *
cg_dh_ec_params(guint16 group)
{
    static EcParams params[G_N_ELEMENTS(groups)];
    static gsize built;

    if (g_once_init_enter(&built)) {
        for (gsize i = 0; i < G_N_ELEMENTS(groups); i++) {
            SECOidData *oid
                = groups[i].kind == GROUP_MODP ? NULL : SECOID_FindOIDByTag(groups[i].curve);
            if (!oid || oid->oid.len + 2 > sizeof params[i].der)
                continue;
            params[i].der[0] = 0x06; /* OBJECT IDENTIFIER */
            params[i].der[1] = (guint8)oid->oid.len;
            memcpy(params[i].der + 2, oid->oid.data, oid->oid.len);
            params[i].item = (SECItem){ siDEROID, params[i].der, oid->oid.len + 2 };
        }
        g_once_init_leave(&built, 1);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(groups); i++)
        if (groups[i].id == group)
            return params[i].item.len ? &params[i].item : NULL;
    return NULL;
}

/* ---- key generation ---------------------------------------------------- */

static gboolean
check_group(guint16 group, const GroupInfo **info, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return FALSE;
    *info = group_info(group);
    if (!*info || !group_slot(*info) || ((*info)->kind != GROUP_MODP && !cg_dh_ec_params(group))) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "key exchange group %u (%s) is not supported", group, cg_dh_name(group));
        return FALSE;
    }
    return TRUE;
}

/* Copies a big-endian value right-aligned into out_len bytes (RFC 7296
 * 2.14: leading zeros up to the modulus length). */
static gboolean
copy_left_padded(const SECItem *value, guint8 *out, gsize out_len)
{
    if (value->len > out_len)
        return FALSE;
    memset(out, 0, out_len - value->len);
    memcpy(out + out_len - value->len, value->data, value->len);
    return TRUE;
}

/* Our public value in KE payload encoding, from NSS's public key. */
static gboolean
encode_public(const GroupInfo *info, const SECKEYPublicKey *pub, guint8 *out, GError **error)
{
    const SECItem *value;

    switch (info->kind) {
        case GROUP_MODP:
            if (copy_left_padded(&pub->u.dh.publicValue, out, info->public_len))
                return TRUE;
            value = &pub->u.dh.publicValue;
            break;
        case GROUP_ECP:
            /* RFC 5903 7: drop SEC1's 0x04 (uncompressed) octet */
            value = &pub->u.ec.publicValue;
            if (value->len == info->public_len + 1 && value->data[0] == 0x04) {
                memcpy(out, value->data + 1, info->public_len);
                return TRUE;
            }
            break;
        case GROUP_X25519:
        default:
            value = &pub->u.ec.publicValue;
            if (value->len == info->public_len) {
                memcpy(out, value->data, info->public_len);
                return TRUE;
            }
            break;
    }
    g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                "NSS gave a %u-byte public value for %s, expected %" G_GSIZE_FORMAT, value->len,
                cg_dh_name(info->id), info->public_len);
    return FALSE;
}

CgDh *
cg_dh_wrap(guint16 group, SECKEYPrivateKey *priv, const guint8 *pub)
{
    CgDh *dh = g_new0(CgDh, 1);
    dh->info = group_info(group);
    dh->priv = priv;
    dh->pub = g_memdup2(pub, dh->info->public_len);
    return dh;
}

CgDh *
cg_dh_new(guint16 group, GError **error)
{
    const GroupInfo *info;
    SECKEYPublicKey *pub = NULL;
    SECKEYPrivateKey *priv;
    guint8 base = 2; /* RFC 3526: generator 2 for every group */
    SECKEYDHParams dh_params;
    CK_MECHANISM_TYPE mech;
    void *params;

    if (!check_group(group, &info, error))
        return NULL;
    if (info->kind == GROUP_MODP) {
        dh_params = (SECKEYDHParams){
            .prime = { siBuffer, (unsigned char *)info->prime, (unsigned int)info->public_len },
            .base = { siBuffer, &base, 1 },
        };
        mech = CKM_DH_PKCS_KEY_PAIR_GEN;
        params = &dh_params;
    } else {
        mech = CKM_EC_KEY_PAIR_GEN;
        params = (void *)cg_dh_ec_params(group);
    }

    /* A session key, marked public so tokens with a password need no
     * login, and sensitive so its private value never leaves the token. */
    priv = PK11_GenerateKeyPairWithOpFlags(
        group_slot(info), mech, params, &pub,
        PK11_ATTR_SESSION | PK11_ATTR_PUBLIC | PK11_ATTR_SENSITIVE, CKF_DERIVE, CKF_DERIVE, NULL);
    if (!priv) {
        cg_crypto_set_nss_error(error, "generating the key exchange key pair");
        return NULL;
    }

    g_autofree guint8 *encoded = g_malloc(info->public_len);
    gboolean ok = encode_public(info, pub, encoded, error);
    SECKEY_DestroyPublicKey(pub); /* only its bytes are needed */
    if (!ok) {
        SECKEY_DestroyPrivateKey(priv);
        return NULL;
    }
    return cg_dh_wrap(group, priv, encoded);
}

/* ---- the shared secret ------------------------------------------------- */

/* RFC 6989 2.1: for the safe-prime MODP groups, reject y <= 1 and
 * y >= p - 1 (y has exactly the prime's length here). */
static gboolean
modp_value_ok(const GroupInfo *info, const guint8 *y)
{
    gsize len = info->public_len;
    g_autofree guint8 *p_minus_1 = g_memdup2(info->prime, len);
    gsize i;

    /* p is odd, so p - 1 only clears the lowest bit */
    p_minus_1[len - 1] &= 0xFE;
    if (memcmp(y, p_minus_1, len) >= 0)
        return FALSE;
    for (i = 0; i + 1 < len && y[i] == 0; i++)
        ;
    return i + 1 < len || y[len - 1] > 1;
}

static PK11SymKey *
derive(CgDh *dh, const guint8 *peer, GError **error)
{
    const GroupInfo *info = dh->info;
    SECKEYPublicKey peer_key = { .keyType = nullKey, .pkcs11ID = CK_INVALID_HANDLE };
    guint8 point[1 + 96];
    guint8 base = 2;
    PK11SymKey *secret;

    if (info->kind == GROUP_MODP) {
        peer_key.keyType = dhKey;
        peer_key.u.dh.prime
            = (SECItem){ siBuffer, (unsigned char *)info->prime, (unsigned int)info->public_len };
        peer_key.u.dh.base = (SECItem){ siBuffer, &base, 1 };
        peer_key.u.dh.publicValue
            = (SECItem){ siBuffer, (unsigned char *)peer, (unsigned int)info->public_len };
        secret = PK11_PubDerive(dh->priv, &peer_key, PR_FALSE, NULL, NULL, CKM_DH_PKCS_DERIVE,
                                CKM_GENERIC_SECRET_KEY_GEN, CKA_DERIVE, 0, NULL);
    } else {
        peer_key.keyType = ecKey;
        peer_key.u.ec.DEREncodedParams = *cg_dh_ec_params(info->id);
        if (info->kind == GROUP_ECP) {
            /* back to SEC1 uncompressed form for NSS */
            point[0] = 0x04;
            memcpy(point + 1, peer, info->public_len);
            peer_key.u.ec.publicValue
                = (SECItem){ siBuffer, point, (unsigned int)info->public_len + 1 };
        } else {
            peer_key.u.ec.publicValue
                = (SECItem){ siBuffer, (unsigned char *)peer, (unsigned int)info->public_len };
        }
        /* CKD_NULL: the raw x coordinate (RFC 5903 7) or X25519 output.
         * Softoken validates the point first (on the curve, not a known
         * small-order X25519 point). */
        secret = PK11_PubDeriveWithKDF(dh->priv, &peer_key, PR_FALSE, NULL, NULL, CKM_ECDH1_DERIVE,
                                       CKM_GENERIC_SECRET_KEY_GEN, CKA_DERIVE, 0, CKD_NULL, NULL,
                                       NULL);
    }
    if (!secret) {
        int code = PORT_GetError();
        if (code == SEC_ERROR_BAD_KEY || code == SEC_ERROR_INVALID_KEY
            || code == SEC_ERROR_INVALID_ARGS)
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                        "%s: peer's public value rejected by NSS (%s)", cg_dh_name(info->id),
                        PORT_ErrorToName(code));
        else
            cg_crypto_set_nss_error(error, "deriving the shared secret");
    }
    return secret;
}

gboolean
cg_dh_compute(CgDh *dh, const guint8 *peer, gsize peer_len, guint8 *shared_out, gsize *shared_len,
              GError **error)
{
    const GroupInfo *info = dh->info;
    const char *name = cg_dh_name(info->id);

    *shared_len = 0;
    if (peer_len != info->public_len) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "%s: peer's public value is %" G_GSIZE_FORMAT
                    " bytes, expected %" G_GSIZE_FORMAT,
                    name, peer_len, info->public_len);
        return FALSE;
    }
    if (info->kind == GROUP_MODP && !modp_value_ok(info, peer)) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "%s: peer's public value is not in 2..p-2 (RFC 6989 2.1)", name);
        return FALSE;
    }

    PK11SymKey *secret = derive(dh, peer, error);
    if (!secret)
        return FALSE;
    if (PK11_ExtractKeyValue(secret) != SECSuccess) {
        cg_crypto_set_nss_error(error, "extracting the shared secret");
        PK11_FreeSymKey(secret);
        return FALSE;
    }
    /* RFC 7296 2.14: g^ir padded with leading zeros to the modulus length */
    gboolean ok = copy_left_padded(PK11_GetKeyData(secret), shared_out, info->secret_len);
    if (!ok)
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "%s: NSS gave a %u-byte shared secret, expected %" G_GSIZE_FORMAT, name,
                    PK11_GetKeyData(secret)->len, info->secret_len);
    PK11_FreeSymKey(secret);

    /* RFC 8031 2.3 / RFC 7748 6.1: an all-zero X25519 result means the
     * peer sent a low-order point */
    static const guint8 zeros[32];
    if (ok && info->kind == GROUP_X25519 && cg_memeq_const(shared_out, zeros, 32)) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "%s: shared secret is all zero (peer sent a low-order point)", name);
        ok = FALSE;
    }
    if (!ok) {
        cg_memzero(shared_out, info->secret_len);
        return FALSE;
    }
    *shared_len = info->secret_len;
    return TRUE;
}
