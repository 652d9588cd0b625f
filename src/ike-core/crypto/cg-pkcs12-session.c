/* cg-pkcs12-session.c: the private key of a PKCS#12 file as a session
 * object, for NSS without a database (NSS_NoDB_Init, as in
 * nm-cygnet-service). NSS's decoder checks the MAC and hands out the
 * certificates, but imports keys only as token objects, which a read-only
 * internal slot refuses. So the key bag is found here by walking the PFX
 * (RFC 7292 4, 4.1, 4.2) and unwrapped into the internal slot as a session
 * key: it lives in memory only and goes with the process. */
#include "cg-cert-private.h"
#include "cg-der.h"

#include <string.h>

#include <keyhi.h>
#include <pk11pub.h>
#include <secasn1.h>
#include <secerr.h>
#include <secoid.h>

/* RFC 7292 / PKCS#7 object identifiers (DER contents of the OID) */
static const guint8 oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const guint8 oid_key_bag[]
    = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x01 };
static const guint8 oid_shrouded_key_bag[]
    = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02 };

#define OID_IS(oid, len, want) ((len) == sizeof(want) && memcmp((oid), (want), (len)) == 0)

/* ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
 * with id-data: the OCTET STRING's contents. FALSE for other types (an
 * encrypted SafeContents) and for malformed input. */
static gboolean
data_content(CgDer *content_info, const guint8 **data, gsize *len)
{
    CgDer seq, explicit_content;
    const guint8 *oid;
    gsize oid_len;
    if (!cg_der_read(content_info, CG_DER_SEQUENCE, &seq)
        || !cg_der_read_bytes(&seq, CG_DER_OID, &oid, &oid_len))
        return FALSE;
    if (!OID_IS(oid, oid_len, oid_data))
        return FALSE;
    return cg_der_read(&seq, CG_DER_CONTEXT(0), &explicit_content)
           && cg_der_read_bytes(&explicit_content, CG_DER_OCTET_STRING, data, len);
}

/* The first key bag of the plain SafeContents of a PFX: *shrouded tells
 * its kind (EncryptedPrivateKeyInfo or PrivateKeyInfo), *bag points into
 * `pfx`. */
static gboolean
find_key_bag(const guint8 *pfx, gsize pfx_len, const guint8 **bag, gsize *bag_len,
             gboolean *shrouded)
{
    CgDer top, pfx_seq, auth_safes;
    guint32 version;
    const guint8 *auth_data;
    gsize auth_len;
    cg_der_init(&top, pfx, pfx_len);
    /* PFX ::= SEQUENCE { version 3, authSafe ContentInfo, macData OPTIONAL } */
    if (!cg_der_read(&top, CG_DER_SEQUENCE, &pfx_seq) || !cg_der_read_uint(&pfx_seq, &version)
        || version != 3 || !data_content(&pfx_seq, &auth_data, &auth_len))
        return FALSE;
    /* AuthenticatedSafe ::= SEQUENCE OF ContentInfo */
    CgDer outer;
    cg_der_init(&outer, auth_data, auth_len);
    if (!cg_der_read(&outer, CG_DER_SEQUENCE, &auth_safes))
        return FALSE;
    while (!cg_der_at_end(&auth_safes)) {
        const guint8 *contents;
        gsize contents_len;
        CgDer one = auth_safes;
        if (!data_content(&one, &contents, &contents_len)) {
            /* encrypted (certificates, usually) or other: skip it */
            if (!cg_der_read_any(&auth_safes, NULL, NULL, NULL, NULL, NULL))
                return FALSE;
            continue;
        }
        auth_safes = one;
        /* SafeContents ::= SEQUENCE OF SafeBag;
         * SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT, attrs SET OPTIONAL } */
        CgDer wrapper, safe_bags;
        cg_der_init(&wrapper, contents, contents_len);
        if (!cg_der_read(&wrapper, CG_DER_SEQUENCE, &safe_bags))
            return FALSE;
        while (!cg_der_at_end(&safe_bags)) {
            CgDer safe_bag, value;
            const guint8 *oid;
            gsize oid_len;
            if (!cg_der_read(&safe_bags, CG_DER_SEQUENCE, &safe_bag)
                || !cg_der_read_bytes(&safe_bag, CG_DER_OID, &oid, &oid_len)
                || !cg_der_read(&safe_bag, CG_DER_CONTEXT(0), &value))
                return FALSE;
            gboolean is_shrouded = OID_IS(oid, oid_len, oid_shrouded_key_bag);
            if (!is_shrouded && !OID_IS(oid, oid_len, oid_key_bag))
                continue;
            guint8 tag;
            if (!cg_der_read_any(&value, &tag, NULL, NULL, bag, bag_len) || tag != CG_DER_SEQUENCE)
                return FALSE;
            *shrouded = is_shrouded;
            return TRUE;
        }
    }
    return FALSE;
}

/* The password as the PBE expects it: PBES2 (RFC 8018) derives from the
 * UTF-8 octets, the PKCS#12 PBE schemes (RFC 7292 B) from the BMPString
 * with its terminating zero, which `bmp` already is. */
static SECItem
password_for(SECOidTag pbe, GBytes *password, const SECItem *bmp)
{
    if (pbe == SEC_OID_PKCS5_PBES2) {
        gsize len = 0;
        const guint8 *utf8 = password ? g_bytes_get_data(password, &len) : NULL;
        SECItem item
            = { siBuffer, (unsigned char *)(utf8 ? utf8 : (const guint8 *)""), (unsigned int)len };
        return item;
    }
    return *bmp;
}

CgPrivKey *
cg_pkcs12_session_key(const guint8 *pfx, gsize pfx_len, GBytes *password, const SECItem *bmp,
                      CERTCertificate *cert, GError **error)
{
    const guint8 *bag = NULL;
    gsize bag_len = 0;
    gboolean shrouded = FALSE;
    if (!find_key_bag(pfx, pfx_len, &bag, &bag_len, &shrouded)) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "no private key found outside an encrypted container; without an NSS "
                    "database only files with a (shrouded) key bag in plain SafeContents are "
                    "read (as openssl pkcs12 -export writes them)");
        return NULL;
    }
    SECKEYPublicKey *pub = CERT_ExtractPublicKey(cert);
    if (!pub) {
        cg_crypto_set_nss_error(error, "reading the certificate's public key");
        return NULL;
    }
    KeyType type = SECKEY_GetPublicKeyType(pub);
    SECItem *public_value = NULL;
    unsigned int usage = KU_DIGITAL_SIGNATURE;
    if (type == rsaKey) {
        public_value = &pub->u.rsa.modulus;
        usage |= KU_KEY_ENCIPHERMENT; /* EAP-TLS with RSA key exchange */
    } else if (type == ecKey) {
        public_value = &pub->u.ec.publicValue;
    } else {
        SECKEY_DestroyPublicKey(pub);
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "only RSA and ECDSA keys are read from PKCS#12 files without an NSS "
                    "database");
        return NULL;
    }
    PK11SlotInfo *slot = PK11_GetInternalSlot();
    SECKEYPrivateKey *key = NULL;
    SECStatus rv = SECFailure;
    SECItem der = { siBuffer, (unsigned char *)bag, (unsigned int)bag_len };
    if (shrouded) {
        PLArenaPool *arena = PORT_NewArena(2048);
        SECKEYEncryptedPrivateKeyInfo epki;
        memset(&epki, 0, sizeof epki);
        if (arena
            && SEC_QuickDERDecodeItem(arena, &epki, SECKEY_EncryptedPrivateKeyInfoTemplate, &der)
                   == SECSuccess) {
            SECItem pw = password_for(SECOID_GetAlgorithmTag(&epki.algorithm), password, bmp);
            rv = PK11_ImportEncryptedPrivateKeyInfoAndReturnKey(
                slot, &epki, &pw, NULL, public_value, PR_FALSE, PR_TRUE, type, usage, &key, NULL);
        }
        if (arena)
            PORT_FreeArena(arena, PR_FALSE);
    } else {
        rv = PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &der, NULL, public_value, PR_FALSE,
                                                      PR_TRUE, usage, &key, NULL);
    }
    PK11_FreeSlot(slot);
    SECKEY_DestroyPublicKey(pub);
    if (rv != SECSuccess || !key) {
        cg_crypto_set_nss_error(error, "importing the private key");
        return NULL;
    }
    return cg_privkey_wrap(key);
}
