/* cg-keys.c: IKE SA keys (RFC 7296 2.14, 2.18) and CHILD SA keying
 * material (2.17), built on cg_prf / cg_prf_plus. */
#include "cg-crypto-private.h"

#include <string.h>

static gboolean
check_ike_algs(const CgIkeAlgs *algs, gsize *prf_len, gsize *encr_len, gsize *integ_len,
               GError **error)
{
    *prf_len = cg_prf_output_len(algs->prf_id);
    *encr_len = cg_encr_keymat_len(algs->encr_id, algs->encr_key_bits);
    *integ_len = cg_integ_key_len(algs->integ_id);

    if (*prf_len == 0) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "PRF transform %u is not supported", algs->prf_id);
        return FALSE;
    }
    if (*encr_len == 0) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "encryption transform %u with %u-bit key is not supported", algs->encr_id,
                    algs->encr_key_bits);
        return FALSE;
    }
    /* RFC 5282 8: an AEAD cipher has no separate integrity transform */
    if (cg_encr_is_aead(algs->encr_id) ? algs->integ_id != CG_INTEG_NONE : *integ_len == 0) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "integrity transform %u does not fit encryption transform %u", algs->integ_id,
                    algs->encr_id);
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_nonces(gsize ni_len, gsize nr_len, GError **error)
{
    if (ni_len == 0 || nr_len == 0) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "empty nonce (Ni %" G_GSIZE_FORMAT " bytes, Nr %" G_GSIZE_FORMAT " bytes)",
                    ni_len, nr_len);
        return FALSE;
    }
    return TRUE;
}

static const guint8 *
take(guint8 *dst, const guint8 *src, gsize len)
{
    memcpy(dst, src, len);
    return src + len;
}

/* Splits prf+ output into the seven keys, in the order of RFC 7296 2.14. */
static void
split_ike_keys(const guint8 *keymat, gsize prf_len, gsize encr_len, gsize integ_len, CgIkeKeys *out)
{
    const guint8 *p = keymat;

    out->prf_len = prf_len;
    out->encr_len = encr_len;
    out->integ_len = integ_len;
    p = take(out->sk_d, p, prf_len);
    p = take(out->sk_ai, p, integ_len);
    p = take(out->sk_ar, p, integ_len);
    p = take(out->sk_ei, p, encr_len);
    p = take(out->sk_er, p, encr_len);
    p = take(out->sk_pi, p, prf_len);
    take(out->sk_pr, p, prf_len);
}

/* skeyseed_prf_id differs from algs->prf_id only on an IKE SA rekey, where
 * RFC 7296 2.18 computes SKEYSEED with the old SA's PRF. */
static gboolean
derive_ike_keys(const CgIkeAlgs *algs, guint16 skeyseed_prf_id, const guint8 *shared,
                gsize shared_len, const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                const guint8 spi_i[8], const guint8 spi_r[8], const guint8 *old_sk_d,
                gsize old_sk_d_len, CgIkeKeys *out, GError **error)
{
    gsize prf_len, encr_len, integ_len;
    guint8 skeyseed[64];
    guint8 keymat[3 * sizeof out->sk_d + 2 * sizeof out->sk_ai + 2 * sizeof out->sk_ei];
    gboolean ok;

    memset(out, 0, sizeof *out);
    if (!check_ike_algs(algs, &prf_len, &encr_len, &integ_len, error)
        || !check_nonces(ni_len, nr_len, error))
        return FALSE;
    if (!cg_prf_supported(skeyseed_prf_id)) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "PRF transform %u is not supported", skeyseed_prf_id);
        return FALSE;
    }
    G_STATIC_ASSERT(sizeof out->sk_ei >= 32 + 4);

    gsize seed_len = ni_len + nr_len + 16;
    g_autofree guint8 *seed = g_malloc(seed_len);
    memcpy(seed, ni, ni_len);
    memcpy(seed + ni_len, nr, nr_len);
    memcpy(seed + ni_len + nr_len, spi_i, 8);
    memcpy(seed + ni_len + nr_len + 8, spi_r, 8);

    if (old_sk_d) {
        /* RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) */
        CgIov iov[] = { { shared, shared_len }, { ni, ni_len }, { nr, nr_len } };
        ok = cg_prf(skeyseed_prf_id, old_sk_d, old_sk_d_len, iov, G_N_ELEMENTS(iov), skeyseed,
                    error);
    } else {
        /* RFC 7296 2.14: SKEYSEED = prf(Ni | Nr, g^ir); the key is the
         * leading Ni | Nr part of the prf+ seed */
        CgIov iov[] = { { shared, shared_len } };
        ok = cg_prf(skeyseed_prf_id, seed, ni_len + nr_len, iov, 1, skeyseed, error);
    }

    /* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
     *     = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr) with the new SA's PRF */
    gsize keymat_len = 3 * prf_len + 2 * integ_len + 2 * encr_len;
    ok = ok
         && cg_prf_plus(algs->prf_id, skeyseed, cg_prf_output_len(skeyseed_prf_id), seed, seed_len,
                        keymat, keymat_len, error);
    if (ok)
        split_ike_keys(keymat, prf_len, encr_len, integ_len, out);

    cg_memzero(skeyseed, sizeof skeyseed);
    cg_memzero(keymat, sizeof keymat);
    return ok;
}

gboolean
cg_ike_keys_derive(const CgIkeAlgs *algs, const guint8 *shared, gsize shared_len, const guint8 *ni,
                   gsize ni_len, const guint8 *nr, gsize nr_len, const guint8 spi_i[8],
                   const guint8 spi_r[8], const guint8 *old_sk_d, gsize old_sk_d_len,
                   CgIkeKeys *out, GError **error)
{
    return derive_ike_keys(algs, algs->prf_id, shared, shared_len, ni, ni_len, nr, nr_len, spi_i,
                           spi_r, old_sk_d, old_sk_d_len, out, error);
}

gboolean
cg_ike_keys_derive_rekey(const CgIkeAlgs *algs, guint16 old_prf_id, const guint8 *old_sk_d,
                         gsize old_sk_d_len, const guint8 *shared, gsize shared_len,
                         const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                         const guint8 spi_i[8], const guint8 spi_r[8], CgIkeKeys *out,
                         GError **error)
{
    g_return_val_if_fail(old_sk_d != NULL, FALSE);
    return derive_ike_keys(algs, old_prf_id, shared, shared_len, ni, ni_len, nr, nr_len, spi_i,
                           spi_r, old_sk_d, old_sk_d_len, out, error);
}

gboolean
cg_child_keymat(guint16 prf_id, const guint8 *sk_d, gsize sk_d_len, const guint8 *dh_shared,
                gsize dh_shared_len, const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                guint8 *out, gsize out_len, GError **error)
{
    if (!check_nonces(ni_len, nr_len, error))
        return FALSE;
    if (!dh_shared)
        dh_shared_len = 0;

    /* RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) */
    gsize seed_len = dh_shared_len + ni_len + nr_len;
    g_autofree guint8 *seed = g_malloc(seed_len);
    if (dh_shared_len)
        memcpy(seed, dh_shared, dh_shared_len);
    memcpy(seed + dh_shared_len, ni, ni_len);
    memcpy(seed + dh_shared_len + ni_len, nr, nr_len);

    gboolean ok = cg_prf_plus(prf_id, sk_d, sk_d_len, seed, seed_len, out, out_len, error);
    cg_memzero(seed, dh_shared_len); /* the shared secret part */
    return ok;
}
