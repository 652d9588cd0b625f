/* cg-cert.c: X.509 certificates through NSS: parsing, names, identity
 * checks (RFC 4945 3.1) and key types. Path validation and CRLs are in
 * cg-cert-verify.c. */
#include "cg-cert-private.h"
#include "cg-der.h"

#include <string.h>

#include <gio/gio.h>

#include <certdb.h>
#include <prtime.h>
#include <secasn1.h>
#include <secerr.h>
#include <secoid.h>

/* A certificate larger than an IKE message cannot arrive in CERT. */
#define CERT_MAX_DER  65535
#define CERT_FILE_MAX (4 * 1024 * 1024)

struct CgCert {
    gint ref_count;
    CERTCertificate *nss;
};

const char *
cg_key_type_name(CgKeyType type)
{
    switch (type) {
        case CG_KEY_RSA:
            return "RSA";
        case CG_KEY_ECDSA_P256:
            return "ECDSA P-256";
        case CG_KEY_ECDSA_P384:
            return "ECDSA P-384";
        case CG_KEY_ECDSA_P521:
            return "ECDSA P-521";
        case CG_KEY_ED25519:
            return "Ed25519";
        case CG_KEY_NONE:
            break;
    }
    return "unknown";
}

CERTCertificate *
cg_cert_nss(const CgCert *cert)
{
    return cert->nss;
}

CgCert *
cg_cert_wrap(CERTCertificate *nss)
{
    CgCert *cert = g_new0(CgCert, 1);
    cert->ref_count = 1;
    cert->nss = nss;
    return cert;
}

CgCert *
cg_cert_new_from_der(const guint8 *der, gsize len, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return NULL;
    if (len == 0 || len > CERT_MAX_DER) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "certificate of %zu bytes (1..%d allowed)", len, CERT_MAX_DER);
        return NULL;
    }
    /* NSS keeps pointers into the item only while decoding: it copies */
    SECItem item = { siDERCertBuffer, (unsigned char *)der, (unsigned int)len };
    CERTCertificate *nss
        = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL, PR_FALSE, PR_TRUE);
    if (!nss) {
        cg_crypto_set_nss_error(error, "parsing a certificate");
        return NULL;
    }
    return cg_cert_wrap(nss);
}

CgCert *
cg_cert_ref(CgCert *cert)
{
    g_atomic_int_inc(&cert->ref_count);
    return cert;
}

void
cg_cert_unref(CgCert *cert)
{
    if (!cert || !g_atomic_int_dec_and_test(&cert->ref_count))
        return;
    CERT_DestroyCertificate(cert->nss);
    g_free(cert);
}

GPtrArray *
cg_cert_load_file(const char *path, GError **error)
{
    g_autofree char *contents = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &contents, &len, error))
        return NULL;
    if (len > CERT_FILE_MAX) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "%s: %zu bytes is too large for a certificate file", path, len);
        return NULL;
    }
    static const char *const labels[] = { "CERTIFICATE", "X509 CERTIFICATE", NULL };
    gboolean pem = FALSE;
    g_autoptr(GPtrArray) ders
        = cg_pem_or_der_objects((const guint8 *)contents, len, labels, &pem, error);
    if (!ders) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    for (guint i = 0; i < ders->len; i++) {
        gsize der_len;
        const guint8 *der = g_bytes_get_data(ders->pdata[i], &der_len);
        CgCert *c = cg_cert_new_from_der(der, der_len, error);
        if (!c) {
            if (pem)
                g_prefix_error(error, "%s: certificate %u: ", path, i + 1);
            else
                g_prefix_error(error, "%s: ", path);
            return NULL;
        }
        g_ptr_array_add(certs, c);
    }
    if (certs->len == 0) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED, "%s holds no certificate",
                    path);
        return NULL;
    }
    return g_steal_pointer(&certs);
}

CgCert *
cg_cert_find_nickname(const char *nickname, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return NULL;
    CERTCertificate *nss = PK11_FindCertFromNickname(nickname, NULL);
    if (!nss) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "no certificate '%s' in the NSS database or on a token", nickname);
        return NULL;
    }
    return cg_cert_wrap(nss);
}

GBytes *
cg_cert_der(const CgCert *cert)
{
    return g_bytes_new(cert->nss->derCert.data, cert->nss->derCert.len);
}

gboolean
cg_cert_equal(const CgCert *a, const CgCert *b)
{
    return SECITEM_ItemsAreEqual(&a->nss->derCert, &b->nss->derCert);
}

char *
cg_nss_name_string(CERTName *name, const char *unprintable)
{
    char *ascii = CERT_NameToAscii(name);
    if (!ascii)
        return g_strdup(unprintable);
    char *s = g_strdup(ascii);
    PORT_Free(ascii);
    return s;
}

char *
cg_cert_subject(const CgCert *cert)
{
    return cg_nss_name_string(&cert->nss->subject, "(unprintable name)");
}

char *
cg_cert_issuer(const CgCert *cert)
{
    return cg_nss_name_string(&cert->nss->issuer, "(unprintable name)");
}

char *
cg_cert_serial(const CgCert *cert)
{
    const SECItem *s = &cert->nss->serialNumber;
    GString *out = g_string_new("0x");
    for (unsigned int i = 0; i < s->len && i < 40; i++)
        g_string_append_printf(out, "%02x", s->data[i]);
    return g_string_free(out, FALSE);
}

GBytes *
cg_cert_subject_der(const CgCert *cert)
{
    return g_bytes_new(cert->nss->derSubject.data, cert->nss->derSubject.len);
}

gint64
cg_cert_not_before(const CgCert *cert)
{
    PRTime nb = 0, na = 0;
    CERT_GetCertTimes(cert->nss, &nb, &na);
    return nb / PR_USEC_PER_SEC;
}

gint64
cg_cert_not_after(const CgCert *cert)
{
    PRTime nb = 0, na = 0;
    CERT_GetCertTimes(cert->nss, &nb, &na);
    return na / PR_USEC_PER_SEC;
}

gboolean
cg_cert_is_ca(const CgCert *cert)
{
    return CERT_IsCACert(cert->nss, NULL);
}

char *
cg_prtime_to_string(PRTime t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t / PR_USEC_PER_SEC);
    return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup("(bad time)");
}

/* RFC 5280 4.1: Certificate { tbsCertificate { [0] version, serial,
 * signature, issuer, validity, subject, subjectPublicKeyInfo, ... } } */
void
cg_cert_spki_sha1(const CgCert *cert, guint8 out[20])
{
    CgDer d, cert_seq, tbs;
    const guint8 *whole = NULL;
    gsize whole_len = 0;
    guint8 tag;
    cg_der_init(&d, cert->nss->derCert.data, cert->nss->derCert.len);
    gboolean ok = cg_der_read(&d, CG_DER_SEQUENCE, &cert_seq)
                  && cg_der_read(&cert_seq, CG_DER_SEQUENCE, &tbs);
    if (ok && cg_der_peek_tag(&tbs, &tag) && tag == CG_DER_CONTEXT(0))
        ok = cg_der_read_any(&tbs, NULL, NULL, NULL, NULL, NULL);
    /* serial, signature, issuer, validity, subject */
    for (int i = 0; ok && i < 5; i++)
        ok = cg_der_read_any(&tbs, NULL, NULL, NULL, NULL, NULL);
    ok = ok && cg_der_read_any(&tbs, &tag, NULL, NULL, &whole, &whole_len)
         && tag == CG_DER_SEQUENCE;
    if (!ok) {
        /* NSS parsed it, so this cannot happen; hash nothing useful */
        memset(out, 0, 20);
        return;
    }
    cg_sha1(whole, whole_len, out);
}

CgKeyType
cg_public_key_type(const SECKEYPublicKey *key, guint *bits)
{
    if (bits)
        *bits = SECKEY_PublicKeyStrengthInBits(key);
    if (key->keyType == rsaKey)
        return CG_KEY_RSA;
    if (key->keyType != ecKey)
        return CG_KEY_NONE;
    /* the parameters are the DER OID of the named curve */
    const SECItem *params = &key->u.ec.DEREncodedParams;
    if (params->len < 2 || params->data[0] != SEC_ASN1_OBJECT_ID)
        return CG_KEY_NONE;
    SECItem oid = { siBuffer, params->data + 2, params->len - 2 };
    switch (SECOID_FindOIDTag(&oid)) {
        case SEC_OID_ANSIX962_EC_PRIME256V1:
            return CG_KEY_ECDSA_P256;
        case SEC_OID_SECG_EC_SECP384R1:
            return CG_KEY_ECDSA_P384;
        case SEC_OID_SECG_EC_SECP521R1:
            return CG_KEY_ECDSA_P521;
        default:
            return CG_KEY_NONE;
    }
}

CgKeyType
cg_cert_key_type(const CgCert *cert, guint *bits)
{
    SECKEYPublicKey *key = CERT_ExtractPublicKey(cert->nss);
    if (!key) {
        if (bits)
            *bits = 0;
        return CG_KEY_NONE;
    }
    CgKeyType t = cg_public_key_type(key, bits);
    SECKEY_DestroyPublicKey(key);
    return t;
}

/* ---- names and identities ---------------------------------------------- */

/* The decoded subjectAltName list, or NULL; allocated in arena. */
static CERTGeneralName *
alt_names(const CgCert *cert, PLArenaPool *arena)
{
    SECItem ext = { siBuffer, NULL, 0 };
    if (CERT_FindCertExtension(cert->nss, SEC_OID_X509_SUBJECT_ALT_NAME, &ext) != SECSuccess)
        return NULL;
    CERTGeneralName *names = CERT_DecodeAltNameExtension(arena, &ext);
    SECITEM_FreeItem(&ext, PR_FALSE);
    return names;
}

static void
append_printable(GString *s, const SECItem *item)
{
    for (unsigned int i = 0; i < item->len && i < 255; i++) {
        guchar c = item->data[i];
        if (c < 0x20 || c >= 0x7f)
            g_string_append_printf(s, "\\x%02x", c);
        else
            g_string_append_c(s, (char)c);
    }
}

char *
cg_cert_alt_names(const CgCert *cert)
{
    PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
    GString *s = g_string_new(NULL);
    CERTGeneralName *head = arena ? alt_names(cert, arena) : NULL;
    CERTGeneralName *n = head;
    guint count = 0;
    while (n && count++ < 64) {
        if (s->len)
            g_string_append(s, ", ");
        switch (n->type) {
            case certDNSName:
                g_string_append(s, "DNS:");
                append_printable(s, &n->name.other);
                break;
            case certRFC822Name:
                g_string_append(s, "email:");
                append_printable(s, &n->name.other);
                break;
            case certIPAddress: {
                GSocketFamily fam = n->name.other.len == 4    ? G_SOCKET_FAMILY_IPV4
                                    : n->name.other.len == 16 ? G_SOCKET_FAMILY_IPV6
                                                              : G_SOCKET_FAMILY_INVALID;
                if (fam != G_SOCKET_FAMILY_INVALID) {
                    g_autoptr(GInetAddress) a
                        = g_inet_address_new_from_bytes(n->name.other.data, fam);
                    g_autofree char *t = g_inet_address_to_string(a);
                    g_string_append_printf(s, "IP:%s", t);
                } else {
                    g_string_append(s, "IP:(malformed)");
                }
                break;
            }
            case certDirectoryName: {
                g_autofree char *dn
                    = cg_nss_name_string(&n->name.directoryName, "(unprintable name)");
                g_string_append_printf(s, "DN:%s", dn);
                break;
            }
            default:
                g_string_append_printf(s, "type%d", (int)n->type);
                break;
        }
        n = CERT_GetNextGeneralName(n);
        if (n == head)
            break;
    }
    if (arena)
        PORT_FreeArena(arena, PR_FALSE);
    return g_string_free(s, FALSE);
}

static gboolean
alt_name_matches(const CERTGeneralName *n, guint8 id_type, const guint8 *data, gsize len)
{
    const SECItem *v = &n->name.other;
    switch (id_type) {
        case 1: /* ID_IPV4_ADDR */
        case 5: /* ID_IPV6_ADDR */
            return n->type == certIPAddress && v->len == len && memcmp(v->data, data, len) == 0;
        case 2: /* ID_FQDN: DNS names compare case-insensitively */
            return n->type == certDNSName && v->len == len && memchr(data, '\0', len) == NULL
                   && g_ascii_strncasecmp((const char *)v->data, (const char *)data, len) == 0;
        case 3: /* ID_RFC822_ADDR */
            return n->type == certRFC822Name && v->len == len
                   && g_ascii_strncasecmp((const char *)v->data, (const char *)data, len) == 0;
        default:
            return FALSE;
    }
}

/* A DN written in the other order ("C=CH, O=x, CN=y" as strongSwan does,
 * or "CN=y, O=x, C=CH" as RFC 4514 does) names the same entity. */
static gboolean
reversed_name_equal(PLArenaPool *arena, const CERTName *a, const CERTName *b)
{
    guint n = 0;
    while (a->rdns && a->rdns[n])
        n++;
    if (n < 2 || n > 64)
        return FALSE;
    CERTName rev = { arena, PORT_ArenaZNewArray(arena, CERTRDN *, n + 1) };
    if (!rev.rdns)
        return FALSE;
    for (guint i = 0; i < n; i++)
        rev.rdns[i] = a->rdns[n - 1 - i];
    return CERT_CompareName(&rev, b) == SECEqual;
}

static gboolean
dn_matches(const CgCert *cert, const guint8 *data, gsize len)
{
    if (len == cert->nss->derSubject.len && memcmp(data, cert->nss->derSubject.data, len) == 0)
        return TRUE;
    /* the same name in other string types still matches (RFC 5280 7.1) */
    PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
    if (!arena)
        return FALSE;
    CERTName name;
    memset(&name, 0, sizeof name);
    SECItem item = { siBuffer, (unsigned char *)data, (unsigned int)len };
    gboolean ok
        = SEC_QuickDERDecodeItem(arena, &name, SEC_ASN1_GET(CERT_NameTemplate), &item) == SECSuccess
          && (CERT_CompareName(&name, &cert->nss->subject) == SECEqual
              || reversed_name_equal(arena, &name, &cert->nss->subject));
    PORT_FreeArena(arena, PR_FALSE);
    return ok;
}

gboolean
cg_cert_matches_id(const CgCert *cert, guint8 id_type, const guint8 *data, gsize len)
{
    if (!data || len == 0)
        return FALSE;
    if (id_type == 9) /* ID_DER_ASN1_DN */
        return dn_matches(cert, data, len);
    PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
    if (!arena)
        return FALSE;
    gboolean found = FALSE;
    CERTGeneralName *head = alt_names(cert, arena);
    CERTGeneralName *n = head;
    guint count = 0;
    while (n && !found && count++ < 256) {
        found = alt_name_matches(n, id_type, data, len);
        n = CERT_GetNextGeneralName(n);
        if (n == head)
            break;
    }
    PORT_FreeArena(arena, PR_FALSE);
    return found;
}

char *
cg_dn_to_string(const guint8 *der, gsize len)
{
    if (!der || len == 0 || len > CERT_MAX_DER)
        return NULL;
    PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
    if (!arena)
        return NULL;
    CERTName name;
    memset(&name, 0, sizeof name);
    SECItem item = { siBuffer, (unsigned char *)der, (unsigned int)len };
    char *out = NULL;
    if (SEC_QuickDERDecodeItem(arena, &name, SEC_ASN1_GET(CERT_NameTemplate), &item) == SECSuccess)
        out = cg_nss_name_string(&name, "(unprintable name)");
    PORT_FreeArena(arena, PR_FALSE);
    return out;
}

GBytes *
cg_dn_from_string(const char *text, GError **error)
{
    if (!cg_crypto_check_ready(error))
        return NULL;
    CERTName *name = CERT_AsciiToName(text);
    if (!name) {
        g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                    "'%s' is not a distinguished name (e.g. \"CN=gw.example.org, O=Example\")",
                    text);
        return NULL;
    }
    SECItem *der = SEC_ASN1EncodeItem(NULL, NULL, name, SEC_ASN1_GET(CERT_NameTemplate));
    CERT_DestroyName(name);
    if (!der) {
        cg_crypto_set_nss_error(error, "encoding a distinguished name");
        return NULL;
    }
    GBytes *out = g_bytes_new(der->data, der->len);
    SECITEM_FreeItem(der, PR_TRUE);
    return out;
}
