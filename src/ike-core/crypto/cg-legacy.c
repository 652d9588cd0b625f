/* cg-legacy.c: MD4 (RFC 1320, written out: NSS does not offer it) and
 * single DES through NSS, for MS-CHAPv2. */
#include "cg-crypto-private.h"
#include "cg-legacy.h"

#include <string.h>

/* ---- MD4 (RFC 1320 3) ----------------------------------------------------- */

#define ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))
#define F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define G(x, y, z) (((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define H(x, y, z) ((x) ^ (y) ^ (z))

static void
md4_block(guint32 state[4], const guint8 block[64])
{
    guint32 x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (guint32)block[4 * i] | (guint32)block[4 * i + 1] << 8
               | (guint32)block[4 * i + 2] << 16 | (guint32)block[4 * i + 3] << 24;
    guint32 v[4] = { state[0], state[1], state[2], state[3] };

    /* Each step updates one of a, d, c, b in turn: index (4 - i % 4) % 4. */
    static const int r1_shift[4] = { 3, 7, 11, 19 };
    for (int i = 0; i < 16; i++) {
        int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
        guint32 t = v[a] + F(v[b], v[c], v[d]) + x[i];
        v[a] = ROTL(t, r1_shift[i % 4]);
    }
    static const int r2_order[16] = { 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15 };
    static const int r2_shift[4] = { 3, 5, 9, 13 };
    for (int i = 0; i < 16; i++) {
        int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
        guint32 t = v[a] + G(v[b], v[c], v[d]) + x[r2_order[i]] + 0x5A827999u;
        v[a] = ROTL(t, r2_shift[i % 4]);
    }
    static const int r3_order[16] = { 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15 };
    static const int r3_shift[4] = { 3, 9, 11, 15 };
    for (int i = 0; i < 16; i++) {
        int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
        guint32 t = v[a] + H(v[b], v[c], v[d]) + x[r3_order[i]] + 0x6ED9EBA1u;
        v[a] = ROTL(t, r3_shift[i % 4]);
    }
    for (int i = 0; i < 4; i++)
        state[i] += v[i];
    cg_memzero(x, sizeof x);
}

void
cg_md4(const guint8 *data, gsize len, guint8 out[16])
{
    guint32 state[4] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u };
    gsize done = 0;
    for (; len - done >= 64; done += 64)
        md4_block(state, data + done);
    /* RFC 1320 3.1-3.2: 0x80, zeros to 56 mod 64, bit length little-endian */
    guint8 tail[128] = { 0 };
    gsize rest = len - done;
    if (rest)
        memcpy(tail, data + done, rest);
    tail[rest] = 0x80;
    gsize tail_len = rest < 56 ? 64 : 128;
    guint64 bits = (guint64)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tail_len - 8 + i] = (guint8)(bits >> (8 * i));
    md4_block(state, tail);
    if (tail_len == 128)
        md4_block(state, tail + 64);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (guint8)(state[i] >> (8 * j));
    cg_memzero(tail, sizeof tail);
    cg_memzero(state, sizeof state);
}

/* ---- DES ------------------------------------------------------------------- */

/* 56 key bits into eight 7-bit groups, each with an odd parity bit. */
static void
des_expand_key(const guint8 k[7], guint8 out[8])
{
    out[0] = k[0];
    out[1] = (guint8)(k[0] << 7 | k[1] >> 1);
    out[2] = (guint8)(k[1] << 6 | k[2] >> 2);
    out[3] = (guint8)(k[2] << 5 | k[3] >> 3);
    out[4] = (guint8)(k[3] << 4 | k[4] >> 4);
    out[5] = (guint8)(k[4] << 3 | k[5] >> 5);
    out[6] = (guint8)(k[5] << 2 | k[6] >> 6);
    out[7] = (guint8)(k[6] << 1);
    for (int i = 0; i < 8; i++) {
        guint8 b = out[i] & 0xfe;
        int ones = __builtin_popcount(b);
        out[i] = b | (ones % 2 == 0 ? 1 : 0);
    }
}

gboolean
cg_des_encrypt_block(const guint8 key7[7], const guint8 in[8], guint8 out[8], GError **error)
{
    if (!cg_crypto_check_ready(error))
        return FALSE;
    guint8 key8[8];
    des_expand_key(key7, key8);
    PK11SlotInfo *slot = PK11_GetBestSlot(CKM_DES_ECB, NULL);
    if (!slot) {
        cg_memzero(key8, sizeof key8);
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_UNSUPPORTED,
                    "NSS offers no DES (needed by MS-CHAPv2)");
        return FALSE;
    }
    SECItem key_item = { siBuffer, key8, sizeof key8 };
    PK11SymKey *key
        = PK11_ImportSymKey(slot, CKM_DES_ECB, PK11_OriginUnwrap, CKA_ENCRYPT, &key_item, NULL);
    cg_memzero(key8, sizeof key8);
    PK11_FreeSlot(slot);
    if (!key) {
        cg_crypto_set_nss_error(error, "importing a DES key");
        return FALSE;
    }
    SECItem no_param = { siBuffer, NULL, 0 };
    PK11Context *ctx = PK11_CreateContextBySymKey(CKM_DES_ECB, CKA_ENCRYPT, key, &no_param);
    int out_len = 0;
    gboolean ok = ctx && PK11_CipherOp(ctx, out, &out_len, 8, in, 8) == SECSuccess && out_len == 8;
    if (ctx)
        PK11_DestroyContext(ctx, PR_TRUE);
    PK11_FreeSymKey(key);
    if (!ok)
        cg_crypto_set_nss_error(error, "DES encryption");
    return ok;
}
