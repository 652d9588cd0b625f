/* cg-crypto.c: NSS start-up, the cached slots, errors, random bytes,
 * hashes and the small memory helpers. */
#include "cg-crypto-private.h"

#include <limits.h>
#include <string.h>

#include <nss.h>
#include <prerror.h>
#include <secerr.h>

G_DEFINE_QUARK(cg - crypto - error - quark, cg_crypto_error)

/* Written once under g_once_init_enter, read-only afterwards. */
static PK11SlotInfo *cached_slots[CG_SLOT_COUNT];
static char *init_failure; /* why the first cg_crypto_init() failed */
static gboolean nss_started_here;
static gint ready_flag;

static const CK_MECHANISM_TYPE slot_mechs[CG_SLOT_COUNT] = {
    [CG_SLOT_HMAC] = CKM_SHA256_HMAC,           [CG_SLOT_AES_GCM] = CKM_AES_GCM,
    [CG_SLOT_CHACHA20] = CKM_CHACHA20_POLY1305, [CG_SLOT_AES_CBC] = CKM_AES_CBC,
    [CG_SLOT_EC] = CKM_EC_KEY_PAIR_GEN,         [CG_SLOT_DH] = CKM_DH_PKCS_KEY_PAIR_GEN,
};

static const char *
nss_error_text(void)
{
    const char *name = PR_ErrorToName(PORT_GetError());
    return name ? name : "unknown NSS error";
}

void
cg_crypto_set_nss_error(GError **error, const char *what)
{
    PRErrorCode code = PORT_GetError();
    g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED, "%s failed: %s (%d)", what,
                nss_error_text(), (int)code);
}

static gboolean
start_nss(const char *nss_dir)
{
    SECStatus rv;

    /* Someone else in the process (libnm, a test harness) may own NSS
     * already; use it as it is rather than re-initialising. */
    if (NSS_IsInitialized())
        return TRUE;
    /* Not NSS_InitReadWrite / NSS_NoDB_Init: they ask the softoken to
     * "optimize space", i.e. 32-bucket session and object hash tables that
     * every PKCS#11 call walks; a gateway holds thousands of sessions
     * (measured with bench/handshake-rate: 25% of responder CPU). */
    if (nss_dir) {
        g_autofree char *spec = g_strconcat("sql:", nss_dir, NULL);
        rv = NSS_Initialize(spec, "", "", SECMOD_DB, 0);
        if (rv != SECSuccess) {
            init_failure
                = g_strdup_printf("NSS_Initialize(%s) failed: %s", spec, nss_error_text());
            return FALSE;
        }
    } else {
        rv = NSS_Initialize("", "", "", "",
                            NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
                                NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT);
        if (rv != SECSuccess) {
            init_failure = g_strdup_printf("NSS_NoDB_Init failed: %s", nss_error_text());
            return FALSE;
        }
    }
    nss_started_here = TRUE;
    return TRUE;
}

gboolean
cg_crypto_init(const char *nss_dir, GError **error)
{
    static gsize init_state; /* 0 = not yet, 1 = ready, 2 = failed */

    if (g_once_init_enter(&init_state)) {
        gsize result = 2;

        if (start_nss(nss_dir)) {
            for (int i = 0; i < CG_SLOT_COUNT; i++)
                cached_slots[i] = PK11_GetBestSlot(slot_mechs[i], NULL);
            if (!cached_slots[CG_SLOT_HMAC]) {
                init_failure = g_strdup("NSS offers no slot for HMAC-SHA-256");
            } else {
                g_atomic_int_set(&ready_flag, 1);
                result = 1;
            }
        }
        g_once_init_leave(&init_state, result);
    }
    if (init_state != 1) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED, "crypto init: %s",
                    init_failure ? init_failure : "failed");
        return FALSE;
    }
    return TRUE;
}

gboolean
cg_crypto_ready(void)
{
    return g_atomic_int_get(&ready_flag) != 0;
}

gboolean
cg_crypto_check_ready(GError **error)
{
    if (cg_crypto_ready())
        return TRUE;
    g_set_error_literal(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                        "crypto used before cg_crypto_init()");
    return FALSE;
}

PK11SlotInfo *
cg_crypto_slot(CgSlotKind kind)
{
    g_return_val_if_fail(kind < CG_SLOT_COUNT, NULL);
    return cached_slots[kind];
}

void
cg_crypto_shutdown(void)
{
    if (!cg_crypto_ready())
        return;
    g_atomic_int_set(&ready_flag, 0);
    for (int i = 0; i < CG_SLOT_COUNT; i++)
        g_clear_pointer(&cached_slots[i], PK11_FreeSlot);
    if (nss_started_here && NSS_Shutdown() != SECSuccess)
        g_warning("NSS_Shutdown failed: %s (objects still referenced)", nss_error_text());
}

void
cg_random_bytes(guint8 *out, gsize len)
{
    g_return_if_fail(cg_crypto_ready());
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        /* Nonces, SPIs and IVs come from here: carrying on with
         * predictable bytes would be worse than stopping. */
        if (PK11_GenerateRandom(out, chunk) != SECSuccess)
            g_error("PK11_GenerateRandom failed: %s", nss_error_text());
        out += chunk;
        len -= (gsize)chunk;
    }
}

static void
hash_buf(SECOidTag alg, const char *name, const guint8 *data, gsize len, guint8 *out)
{
    g_return_if_fail(cg_crypto_ready());
    g_return_if_fail(len <= INT32_MAX);
    /* PK11_HashBuf only fails when NSS is unusable; a wrong digest would
     * silently break NAT detection or certificate hashes. */
    if (PK11_HashBuf(alg, out, data, (PRInt32)len) != SECSuccess)
        g_error("PK11_HashBuf(%s) failed: %s", name, nss_error_text());
}

void
cg_sha1(const guint8 *data, gsize len, guint8 out[20])
{
    hash_buf(SEC_OID_SHA1, "SHA-1", data, len, out);
}

void
cg_sha256(const guint8 *data, gsize len, guint8 out[32])
{
    hash_buf(SEC_OID_SHA256, "SHA-256", data, len, out);
}

void
cg_memzero(void *p, gsize len)
{
    if (p && len)
        explicit_bzero(p, len);
}

gboolean
cg_memeq_const(const void *a, const void *b, gsize len)
{
    const volatile guint8 *pa = a;
    const volatile guint8 *pb = b;
    guint8 diff = 0;

    /* Touch every byte whatever the contents, so timing says nothing
     * about where the first difference is. */
    for (gsize i = 0; i < len; i++)
        diff |= pa[i] ^ pb[i];
    return diff == 0;
}
