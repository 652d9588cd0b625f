/* cg-dh-import.c: test hook that imports a known EC / X25519 private key,
 * so the RFC 7748 and RFC 5903 vectors can be checked through the same
 * derive path the engine uses. NSS takes private keys as PKCS#8, so this
 * builds a minimal PrivateKeyInfo (RFC 5208) holding an ECPrivateKey
 * (RFC 5915). */
#include "cg-crypto-private.h"

#include <string.h>

#include <keyhi.h>
#include <secoid.h>

/* Appends a DER element: tag, definite length, contents. */
static void
der_put(GByteArray *out, guint8 tag, const guint8 *data, gsize len)
{
    guint8 head[4] = { tag };
    guint head_len;

    g_assert(len <= 0xFFFF);
    if (len < 0x80) {
        head[1] = (guint8)len;
        head_len = 2;
    } else if (len <= 0xFF) {
        head[1] = 0x81;
        head[2] = (guint8)len;
        head_len = 3;
    } else {
        head[1] = 0x82;
        head[2] = (guint8)(len >> 8);
        head[3] = (guint8)len;
        head_len = 4;
    }
    g_byte_array_append(out, head, head_len);
    g_byte_array_append(out, data, (guint)len);
}

static void
der_wrap(GByteArray *out, guint8 tag, GByteArray *inner)
{
    der_put(out, tag, inner->data, inner->len);
}

/* PrivateKeyInfo { 0, { id-ecPublicKey, curve }, ECPrivateKey } */
static GByteArray *
build_pkcs8(const SECItem *curve_oid, const guint8 *priv, gsize priv_len, const guint8 *point,
            gsize point_len)
{
    static const guint8 version0 = 0, version1 = 1;
    SECOidData *ec_oid = SECOID_FindOIDByTag(SEC_OID_ANSIX962_EC_PUBLIC_KEY);
    g_autoptr(GByteArray) ec_key = g_byte_array_new();
    g_autoptr(GByteArray) ec_seq = g_byte_array_new();
    g_autoptr(GByteArray) params = g_byte_array_new();
    g_autoptr(GByteArray) pub_bits = g_byte_array_new();
    g_autoptr(GByteArray) tagged = g_byte_array_new();
    g_autoptr(GByteArray) alg = g_byte_array_new();
    g_autoptr(GByteArray) alg_seq = g_byte_array_new();
    g_autoptr(GByteArray) info = g_byte_array_new();
    GByteArray *pkcs8 = g_byte_array_new();

    /* ECPrivateKey { 1, privateKey, [0] parameters, [1] publicKey } */
    der_put(ec_key, 0x02, &version1, 1);
    der_put(ec_key, 0x04, priv, priv_len);
    g_byte_array_append(params, curve_oid->data, curve_oid->len);
    der_wrap(ec_key, 0xA0, params);
    g_byte_array_append(pub_bits, (const guint8 *)"", 1); /* no unused bits */
    g_byte_array_append(pub_bits, point, (guint)point_len);
    der_wrap(tagged, 0x03, pub_bits);
    der_wrap(ec_key, 0xA1, tagged);
    der_wrap(ec_seq, 0x30, ec_key);

    der_put(alg, 0x06, ec_oid->oid.data, ec_oid->oid.len);
    g_byte_array_append(alg, curve_oid->data, curve_oid->len);
    der_wrap(alg_seq, 0x30, alg);

    der_put(info, 0x02, &version0, 1);
    g_byte_array_append(info, alg_seq->data, alg_seq->len);
    der_wrap(info, 0x04, ec_seq);
    der_wrap(pkcs8, 0x30, info);

    cg_memzero(ec_key->data, ec_key->len);
    cg_memzero(ec_seq->data, ec_seq->len);
    cg_memzero(info->data, info->len);
    return pkcs8;
}

CgDh *
cg_dh_new_with_private(guint16 group, const guint8 *priv, gsize priv_len, const guint8 *pub,
                       gsize pub_len, GError **error)
{
    const SECItem *curve_oid = cg_dh_ec_params(group);
    PK11SlotInfo *slot = cg_crypto_slot(CG_SLOT_EC);
    SECKEYPrivateKey *key = NULL;
    guint8 point[1 + 96];
    gsize point_len;

    if (!cg_crypto_check_ready(error))
        return NULL;
    if (!curve_oid || !slot) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "cannot import a private key for group %u", group);
        return NULL;
    }
    if (pub_len != cg_dh_public_len(group) || priv_len == 0 || priv_len > 66) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "bad key sizes for %s (private %" G_GSIZE_FORMAT ", public %" G_GSIZE_FORMAT
                    ")",
                    cg_dh_name(group), priv_len, pub_len);
        return NULL;
    }
    if (group == CG_DH_X25519) {
        memcpy(point, pub, pub_len);
        point_len = pub_len;
    } else {
        point[0] = 0x04; /* SEC1 uncompressed */
        memcpy(point + 1, pub, pub_len);
        point_len = pub_len + 1;
    }

    g_autoptr(GByteArray) der = build_pkcs8(curve_oid, priv, priv_len, point, point_len);
    SECItem der_item = { siBuffer, der->data, der->len };
    SECStatus rv = PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &der_item, NULL, NULL, PR_FALSE,
                                                            PR_FALSE, KU_KEY_AGREEMENT, &key, NULL);
    cg_memzero(der->data, der->len);
    if (rv != SECSuccess || !key) {
        cg_crypto_set_nss_error(error, "importing the test private key");
        return NULL;
    }
    return cg_dh_wrap(group, key, pub);
}
