/* cg-crypto-algs.c: what each supported transform ID means (sizes, NSS
 * mechanisms) and its strongSwan-style name for logs and config. */
#include "cg-crypto-private.h"

typedef struct {
    guint16 id;
    CK_MECHANISM_TYPE mech;
    gsize out_len; /* PRF output = preferred key length (RFC 7296 2.14) */
    const char *name;
} PrfInfo;

/* RFC 7296 3.3.2, RFC 4868 */
static const PrfInfo prfs[] = {
    { CG_PRF_HMAC_SHA1, CKM_SHA_1_HMAC, 20, "prfsha1" },
    { CG_PRF_HMAC_SHA2_256, CKM_SHA256_HMAC, 32, "prfsha256" },
    { CG_PRF_HMAC_SHA2_384, CKM_SHA384_HMAC, 48, "prfsha384" },
    { CG_PRF_HMAC_SHA2_512, CKM_SHA512_HMAC, 64, "prfsha512" },
};

typedef struct {
    guint16 id;
    CK_MECHANISM_TYPE mech;
    gsize key_len; /* RFC 4868 2.1.1: the key is as long as the hash output */
    gsize icv_len; /* truncated output */
    const char *name;
} IntegInfo;

static const IntegInfo integs[] = {
    { CG_INTEG_HMAC_SHA1_96, CKM_SHA_1_HMAC, 20, 12, "sha1" },
    { CG_INTEG_HMAC_SHA2_256_128, CKM_SHA256_HMAC, 32, 16, "sha256" },
    { CG_INTEG_HMAC_SHA2_384_192, CKM_SHA384_HMAC, 48, 24, "sha384" },
    { CG_INTEG_HMAC_SHA2_512_256, CKM_SHA512_HMAC, 64, 32, "sha512" },
};

static const PrfInfo *
prf_info(guint16 prf_id)
{
    for (gsize i = 0; i < G_N_ELEMENTS(prfs); i++)
        if (prfs[i].id == prf_id)
            return &prfs[i];
    return NULL;
}

static const IntegInfo *
integ_info(guint16 integ_id)
{
    for (gsize i = 0; i < G_N_ELEMENTS(integs); i++)
        if (integs[i].id == integ_id)
            return &integs[i];
    return NULL;
}

CK_MECHANISM_TYPE
cg_prf_hmac_mech(guint16 prf_id)
{
    const PrfInfo *info = prf_info(prf_id);
    return info ? info->mech : 0;
}

CK_MECHANISM_TYPE
cg_integ_hmac_mech(guint16 integ_id)
{
    const IntegInfo *info = integ_info(integ_id);
    return info ? info->mech : 0;
}

gsize
cg_integ_icv_len(guint16 integ_id)
{
    const IntegInfo *info = integ_info(integ_id);
    return info ? info->icv_len : 0;
}

gboolean
cg_prf_supported(guint16 prf_id)
{
    return prf_info(prf_id) != NULL;
}

gsize
cg_prf_output_len(guint16 prf_id)
{
    const PrfInfo *info = prf_info(prf_id);
    return info ? info->out_len : 0;
}

gsize
cg_integ_key_len(guint16 integ_id)
{
    const IntegInfo *info = integ_info(integ_id);
    return info ? info->key_len : 0;
}

gboolean
cg_encr_is_aead(guint16 encr_id)
{
    return encr_id == CG_ENCR_AES_GCM_16 || encr_id == CG_ENCR_CHACHA20_POLY1305;
}

gsize
cg_encr_keymat_len(guint16 encr_id, guint16 key_bits)
{
    switch (encr_id) {
        case CG_ENCR_AES_CBC:
            if (key_bits == 128 || key_bits == 192 || key_bits == 256)
                return key_bits / 8;
            return 0;
        case CG_ENCR_AES_GCM_16:
            /* RFC 5282 7.1 / RFC 4106 8.1: key followed by a 4-byte salt */
            if (key_bits == 128 || key_bits == 192 || key_bits == 256)
                return key_bits / 8 + 4;
            return 0;
        case CG_ENCR_CHACHA20_POLY1305:
            /* RFC 7634 2 / 3: 256-bit key and 4-byte salt; no key length
             * attribute is sent, so 0 means the fixed size */
            if (key_bits == 256 || key_bits == 0)
                return 32 + 4;
            return 0;
        default:
            return 0;
    }
}

const char *
cg_encr_name(guint16 id)
{
    switch (id) {
        case CG_ENCR_AES_CBC:
            return "aes";
        case CG_ENCR_AES_GCM_16:
            return "aesgcm16";
        case CG_ENCR_CHACHA20_POLY1305:
            return "chacha20poly1305";
        default:
            return "unknown";
    }
}

const char *
cg_encr_name_bits(guint16 id, guint16 key_bits)
{
    switch (id) {
        case CG_ENCR_AES_CBC:
            return key_bits == 128   ? "aes128"
                   : key_bits == 192 ? "aes192"
                   : key_bits == 256 ? "aes256"
                                     : "aes";
        case CG_ENCR_AES_GCM_16:
            return key_bits == 128   ? "aes128gcm16"
                   : key_bits == 192 ? "aes192gcm16"
                   : key_bits == 256 ? "aes256gcm16"
                                     : "aesgcm16";
        default:
            return cg_encr_name(id);
    }
}

const char *
cg_prf_name(guint16 id)
{
    const PrfInfo *info = prf_info(id);
    return info ? info->name : "unknown";
}

const char *
cg_integ_name(guint16 id)
{
    if (id == CG_INTEG_NONE)
        return "none";
    const IntegInfo *info = integ_info(id);
    return info ? info->name : "unknown";
}

const char *
cg_dh_name(guint16 id)
{
    switch (id) {
        case CG_DH_NONE:
            return "none";
        case CG_DH_MODP2048:
            return "modp2048";
        case CG_DH_MODP3072:
            return "modp3072";
        case CG_DH_MODP4096:
            return "modp4096";
        case CG_DH_ECP256:
            return "ecp256";
        case CG_DH_ECP384:
            return "ecp384";
        case CG_DH_X25519:
            return "x25519";
        default:
            return "unknown";
    }
}
