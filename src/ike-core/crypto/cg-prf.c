/* cg-prf.c: HMAC through PK11, the IKEv2 PRFs and prf+ (RFC 7296 2.13). */
#include "cg-crypto-private.h"

#include <limits.h>
#include <string.h>

PK11SymKey *
cg_hmac_key_import(const guint8 *key, gsize key_len, GError **error)
{
    PK11SlotInfo *slot = cg_crypto_slot(CG_SLOT_HMAC);
    PK11SymKey *sym;

    if (!cg_crypto_check_ready(error))
        return NULL;
    /* RFC 2104 allows any key length, but NSS cannot import an empty key,
     * and IKEv2 never uses one (nonces are at least 16 bytes). */
    if (key_len == 0 || key_len > INT_MAX) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "HMAC key length %" G_GSIZE_FORMAT " is not usable", key_len);
        return NULL;
    }
    SECItem key_item = { siBuffer, (unsigned char *)key, (unsigned int)key_len };
    /* A generic secret works with every CKM_SHA*_HMAC mechanism, so one
     * import serves whichever hash the transform uses. */
    sym = PK11_ImportSymKey(slot, CKM_GENERIC_SECRET_KEY_GEN, PK11_OriginUnwrap, CKA_SIGN,
                            &key_item, NULL);
    if (!sym)
        cg_crypto_set_nss_error(error, "importing the HMAC key");
    return sym;
}

PK11Context *
cg_hmac_context_new(CK_MECHANISM_TYPE mech, PK11SymKey *key, GError **error)
{
    SECItem no_params = { siBuffer, NULL, 0 };
    PK11Context *ctx = PK11_CreateContextBySymKey(mech, CKA_SIGN, key, &no_params);

    if (!ctx)
        cg_crypto_set_nss_error(error, "creating the HMAC context");
    return ctx;
}

gboolean
cg_hmac_context_run(PK11Context *ctx, const CgIov *iov, guint n_iov, guint8 *out, gsize out_len,
                    GError **error)
{
    unsigned int written = 0;

    if (PK11_DigestBegin(ctx) != SECSuccess) {
        cg_crypto_set_nss_error(error, "HMAC begin");
        return FALSE;
    }
    for (guint i = 0; i < n_iov; i++) {
        const guint8 *data = iov[i].data;
        gsize left = iov[i].len;
        while (left > 0) {
            unsigned int chunk = left > UINT_MAX ? UINT_MAX : (unsigned int)left;
            if (PK11_DigestOp(ctx, data, chunk) != SECSuccess) {
                cg_crypto_set_nss_error(error, "HMAC update");
                return FALSE;
            }
            data += chunk;
            left -= chunk;
        }
    }
    if (PK11_DigestFinal(ctx, out, &written, (unsigned int)out_len) != SECSuccess) {
        cg_crypto_set_nss_error(error, "HMAC final");
        return FALSE;
    }
    if (written != out_len) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "HMAC gave %u bytes, expected %" G_GSIZE_FORMAT, written, out_len);
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_prf(guint16 prf_id, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return FALSE;
    if (!cg_prf_supported(prf_id)) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "PRF transform %u is not supported", prf_id);
        return FALSE;
    }
    return TRUE;
}

gboolean
cg_prf(guint16 prf_id, const guint8 *key, gsize key_len, const CgIov *iov, guint n_iov, guint8 *out,
       GError **error)
{
    if (!check_prf(prf_id, error))
        return FALSE;

    PK11SymKey *sym = cg_hmac_key_import(key, key_len, error);
    if (!sym)
        return FALSE;
    PK11Context *ctx = cg_hmac_context_new(cg_prf_hmac_mech(prf_id), sym, error);
    gboolean ok
        = ctx && cg_hmac_context_run(ctx, iov, n_iov, out, cg_prf_output_len(prf_id), error);

    if (ctx)
        PK11_DestroyContext(ctx, PR_TRUE);
    PK11_FreeSymKey(sym);
    return ok;
}

gboolean
cg_prf_plus(guint16 prf_id, const guint8 *key, gsize key_len, const guint8 *seed, gsize seed_len,
            guint8 *out, gsize out_len, GError **error)
{
    if (!check_prf(prf_id, error))
        return FALSE;

    gsize block_len = cg_prf_output_len(prf_id);
    /* RFC 7296 2.13: the counter is one octet, so at most 255 blocks */
    if (out_len > 255 * block_len) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "prf+ cannot produce %" G_GSIZE_FORMAT " bytes (at most %" G_GSIZE_FORMAT ")",
                    out_len, 255 * block_len);
        return FALSE;
    }

    PK11SymKey *sym = cg_hmac_key_import(key, key_len, error);
    if (!sym)
        return FALSE;
    /* One key and one context for all blocks: DigestBegin re-arms it. */
    PK11Context *ctx = cg_hmac_context_new(cg_prf_hmac_mech(prf_id), sym, error);
    guint8 block[64];
    gsize done = 0;
    gboolean ok = ctx != NULL;

    /* RFC 7296 2.13: T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) */
    for (guint8 counter = 1; ok && done < out_len; counter++) {
        CgIov iov[3];
        guint n_iov = 0;
        if (counter > 1)
            iov[n_iov++] = (CgIov){ block, block_len };
        iov[n_iov++] = (CgIov){ seed, seed_len };
        iov[n_iov++] = (CgIov){ &counter, 1 };
        ok = cg_hmac_context_run(ctx, iov, n_iov, block, block_len, error);
        if (ok) {
            gsize take = MIN(block_len, out_len - done);
            memcpy(out + done, block, take);
            done += take;
        }
    }

    cg_memzero(block, sizeof block);
    if (ctx)
        PK11_DestroyContext(ctx, PR_TRUE);
    PK11_FreeSymKey(sym);
    if (!ok)
        cg_memzero(out, out_len);
    return ok;
}
