/* cg-pkcs12.c: certificate and private key from a PKCS#12 file (RFC
 * 7292), imported into the NSS database when there is one; without one
 * (NSS_NoDB_Init) the key becomes a session object (cg-pkcs12-session.c). */
#include "cg-cert-private.h"
#include "cg-der.h"
#include "cg-sign.h"

#include <string.h>
#include <unistd.h>

#include <p12.h>
#include <p12plcy.h>
#include <prerror.h>
#include <secerr.h>

#define P12_FILE_MAX (1024 * 1024)

static void
enable_ciphers(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        /* old files (RC2, 3DES) and new ones (PBES2 with AES) alike */
        static const long ciphers[] = {
            PKCS12_RC2_CBC_40,  PKCS12_RC2_CBC_128, PKCS12_RC4_40,
            PKCS12_RC4_128,     PKCS12_DES_56,      PKCS12_DES_EDE3_168,
            PKCS12_AES_CBC_128, PKCS12_AES_CBC_192, PKCS12_AES_CBC_256,
        };
        for (guint i = 0; i < G_N_ELEMENTS(ciphers); i++)
            SEC_PKCS12EnableCipher(ciphers[i], 1);
        g_once_init_leave(&once, 1);
    }
}

/* RFC 7292 B.1: the password as a BMPString (UCS-2 big-endian) with a
 * terminating zero; wiped by the caller. */
static guint8 *
bmp_password(GBytes *password, gsize *len)
{
    gsize utf8_len = 0;
    const char *utf8 = password ? g_bytes_get_data(password, &utf8_len) : "";
    glong n = 0;
    gunichar2 *units = g_utf8_to_utf16(utf8 ? utf8 : "", (glong)utf8_len, NULL, &n, NULL);
    if (!units)
        return NULL;
    guint8 *out = g_malloc((gsize)(n + 1) * 2);
    for (glong i = 0; i < n; i++) {
        out[2 * i] = (guint8)(units[i] >> 8);
        out[2 * i + 1] = (guint8)(units[i] & 0xff);
    }
    out[2 * n] = out[2 * n + 1] = 0;
    cg_memzero(units, (gsize)n * sizeof(gunichar2));
    g_free(units);
    *len = (gsize)(n + 1) * 2;
    return out;
}

/* certificates without a friendly name still need a nickname */
static SECItem *PR_CALLBACK
nickname_for(SECItem *old, PRBool *cancel, void *arg)
{
    static gint counter;
    *cancel = PR_FALSE;
    g_autofree char *name
        = g_strdup_printf("cygnet-pkcs12-%d-%d", (int)getpid(), g_atomic_int_add(&counter, 1));
    SECItem *item = SECITEM_AllocItem(NULL, NULL, (unsigned int)strlen(name) + 1);
    if (!item)
        return NULL;
    memcpy(item->data, name, strlen(name) + 1);
    item->type = siAsciiString;
    return item;
}

static const char *
p12_error_text(PRErrorCode code)
{
    switch (code) {
        case SEC_ERROR_BAD_PASSWORD:
        case SEC_ERROR_PKCS12_INVALID_MAC:
            return "wrong password (or a damaged file)";
        case SEC_ERROR_BAD_DER:
        case SEC_ERROR_PKCS12_DECODING_PFX:
            return "not a PKCS#12 file";
        default: {
            const char *name = PR_ErrorToName(code);
            return name ? name : "unknown NSS error";
        }
    }
}

/* Without a database: NSS's decoder checks the MAC and hands out the
 * certificates (the one with a key bag is ours); the key is imported as a
 * session object by cg_pkcs12_session_key. */
/* NSS's PKCS#12 decoder on a whole file, with the password as the
 * BMPString it wants (RFC 7292 B.1), fed and its MAC checked. */
typedef struct {
    guint8 *pw;
    gsize pw_len;
    SECItem pw_item;
    SEC_PKCS12DecoderContext *dcx;
    const char *step; /* what failed: "reading", "checking" */
} P12Decode;

/* FALSE: d->step says which step failed, the NSS error is set; either
 * way p12_decode_end() cleans up. */
static gboolean
p12_decode_begin(P12Decode *d, const char *contents, gsize len, GBytes *password,
                 PK11SlotInfo *slot)
{
    memset(d, 0, sizeof(*d));
    d->pw = bmp_password(password, &d->pw_len);
    d->pw_item = (SECItem){ siBuffer, d->pw, (unsigned int)d->pw_len };
    d->dcx = d->pw ? SEC_PKCS12DecoderStart(&d->pw_item, slot, NULL, NULL, NULL, NULL, NULL, NULL)
                   : NULL;
    d->step = "reading";
    gboolean ok = d->dcx != NULL;
    ok = ok && SEC_PKCS12DecoderUpdate(d->dcx, (unsigned char *)contents, len) == SECSuccess;
    ok = ok && (d->step = "checking", SEC_PKCS12DecoderVerify(d->dcx) == SECSuccess);
    return ok;
}

/* Done with the decoder (the password stays for a key import). */
static void
p12_decode_finish(P12Decode *d)
{
    if (d->dcx)
        SEC_PKCS12DecoderFinish(d->dcx);
    d->dcx = NULL;
}

/* Finishes the decoder and wipes the password. */
static void
p12_decode_end(P12Decode *d)
{
    p12_decode_finish(d);
    if (d->pw) {
        cg_memzero(d->pw, d->pw_len);
        g_free(d->pw);
    }
    d->pw = NULL;
}

static CgPrivKey *
load_into_session(const char *path, const char *contents, gsize len, GBytes *password,
                  PK11SlotInfo *slot, CgCert **cert, GPtrArray **chain, GError **error)
{
    /* one complete DER structure, or NSS's decoder is not even started:
     * it leaks on truncated input */
    CgDer whole, pfx;
    cg_der_init(&whole, (const guint8 *)contents, len);
    if (!cg_der_read(&whole, CG_DER_SEQUENCE, &pfx) || !cg_der_at_end(&whole)) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "%s: not a complete DER-encoded PKCS#12 file", path);
        return NULL;
    }
    P12Decode d;
    gboolean ok = p12_decode_begin(&d, contents, len, password, slot);
    ok = ok && (d.step = "reading", SEC_PKCS12DecoderIterateInit(d.dcx) == SECSuccess);
    PRErrorCode code = ok ? 0 : PORT_GetError();
    g_autoptr(CgCert) ours = NULL;
    g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    const SEC_PKCS12DecoderItem *item = NULL;
    while (ok && SEC_PKCS12DecoderIterateNext(d.dcx, &item) == SECSuccess) {
        if (item->type != SEC_OID_PKCS12_V1_CERT_BAG_ID || !item->der)
            continue;
        g_autoptr(GError) cert_error = NULL;
        CgCert *c = cg_cert_new_from_der(item->der->data, item->der->len, &cert_error);
        if (!c)
            continue; /* an unreadable extra certificate: the key's one decides */
        if (item->hasKey && !ours)
            ours = c;
        else
            g_ptr_array_add(others, c);
    }
    p12_decode_finish(&d);
    CgPrivKey *key = NULL;
    if (!ok) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY, "%s: %s it failed: %s",
                    path, d.step, p12_error_text(code));
    } else if (!ours) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "%s holds no certificate with its private key", path);
    } else {
        key = cg_pkcs12_session_key((const guint8 *)contents, len, password, &d.pw_item,
                                    cg_cert_nss(ours), error);
        if (!key) {
            g_prefix_error(error, "%s: ", path);
        } else if (!cg_privkey_matches_cert(key, ours)) {
            /* the first key bag need not be the certificate's */
            g_clear_pointer(&key, cg_privkey_free);
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                        "%s: its first private key does not belong to its certificate", path);
        }
    }
    p12_decode_end(&d);
    if (!key)
        return NULL;
    *cert = g_steal_pointer(&ours);
    *chain = g_steal_pointer(&others);
    return key;
}

CgPrivKey *
cg_privkey_load_pkcs12(const char *path, GBytes *password, CgCert **cert, GPtrArray **chain,
                       GError **error)
{
    *cert = NULL;
    *chain = NULL;
    if (!cg_crypto_check_ready(error))
        return NULL;
    enable_ciphers();
    char *contents = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &contents, &len, error))
        return NULL;
    if (len == 0 || len > P12_FILE_MAX) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "%s: a PKCS#12 file of %zu bytes (1..%d allowed)", path, len, P12_FILE_MAX);
        g_free(contents);
        return NULL;
    }
    PK11SlotInfo *slot = PK11_GetInternalKeySlot();
    if (!slot) {
        cg_memzero(contents, len);
        g_free(contents);
        cg_crypto_set_nss_error(error, "opening NSS's key slot");
        return NULL;
    }
    /* NSS imports PKCS#12 keys only as token objects: without a database
     * (NSS_NoDB_Init) the key becomes a session object instead */
    if (PK11_IsReadOnly(slot)) {
        CgPrivKey *key = load_into_session(path, contents, len, password, slot, cert, chain, error);
        PK11_FreeSlot(slot);
        cg_memzero(contents, len);
        g_free(contents);
        return key;
    }
    P12Decode d;
    gboolean ok = p12_decode_begin(&d, contents, len, password, slot);
    ok = ok
         && (d.step = "validating",
             SEC_PKCS12DecoderValidateBags(d.dcx, nickname_for) == SECSuccess);
    ok = ok && (d.step = "importing", SEC_PKCS12DecoderImportBags(d.dcx) == SECSuccess);
    PRErrorCode code = ok ? 0 : PORT_GetError();
    CERTCertList *certs = ok ? SEC_PKCS12DecoderGetCerts(d.dcx) : NULL;
    p12_decode_end(&d);
    cg_memzero(contents, len);
    g_free(contents);
    if (!ok) {
        PK11_FreeSlot(slot);
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY, "%s: %s it failed: %s",
                    path, d.step, p12_error_text(code));
        return NULL;
    }
    /* our certificate is the one whose key came along; the rest are CAs */
    g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    SECKEYPrivateKey *nss_key = NULL;
    for (CERTCertListNode *n = certs ? CERT_LIST_HEAD(certs) : NULL; n && !CERT_LIST_END(n, certs);
         n = CERT_LIST_NEXT(n)) {
        SECKEYPrivateKey *k = nss_key ? NULL : PK11_FindKeyByAnyCert(n->cert, NULL);
        if (k) {
            nss_key = k;
            *cert = cg_cert_wrap(CERT_DupCertificate(n->cert));
        } else {
            g_ptr_array_add(others, cg_cert_wrap(CERT_DupCertificate(n->cert)));
        }
    }
    if (certs)
        CERT_DestroyCertList(certs);
    PK11_FreeSlot(slot);
    if (!nss_key) {
        g_clear_pointer(cert, cg_cert_unref);
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_INVALID_KEY,
                    "%s holds no certificate with its private key", path);
        return NULL;
    }
    *chain = g_steal_pointer(&others);
    return cg_privkey_wrap(nss_key);
}
