/* test-auth-crypto.c: certificates, CRLs, private keys and signatures
 * (src/ike-core/crypto/cg-cert*.c, cg-sign.c, cg-der.c, cg-pem.c,
 * cg-legacy.c) against the test PKI in data/ (make-test-pki.sh). */
#include <string.h>

#include <glib/gstdio.h>

#include "crypto/cg-cert.h"
#include "crypto/cg-crypto.h"
#include "crypto/cg-der.h"
#include "crypto/cg-legacy.h"
#include "crypto/cg-sign.h"

static char *
data_path(const char *name)
{
    return g_build_filename(AUTH_DATA_DIR, name, NULL);
}

static GPtrArray *
load_certs(const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = data_path(name);
    GPtrArray *certs = cg_cert_load_file(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(certs);
    return certs;
}

static CgCert *
load_cert(const char *name)
{
    g_autoptr(GPtrArray) certs = load_certs(name);
    return cg_cert_ref(certs->pdata[0]);
}

static CgPrivKey *
load_key(const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = data_path(name);
    CgPrivKey *key = cg_privkey_load_file(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(key);
    return key;
}

static void
hex(const guint8 *data, gsize len, char *out)
{
    for (gsize i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", data[i]);
}

/* RFC 1320 A.5 */
static void
test_md4(void)
{
    static const struct {
        const char *in, *out;
    } vectors[] = {
        { "", "31d6cfe0d16ae931b73c59d7e0c089c0" },
        { "a", "bde52cb31de33e46245e05fbdbd6fb24" },
        { "abc", "a448017aaf21d8525fc10ae87aa6729d" },
        { "message digest", "d9130a8164549fe818874806e1c7014b" },
        { "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
          "e33b4ddc9c38f2199c3e7b164fcc0536" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(vectors); i++) {
        guint8 out[16];
        char text[33];
        cg_md4((const guint8 *)vectors[i].in, strlen(vectors[i].in), out);
        hex(out, 16, text);
        g_assert_cmpstr(text, ==, vectors[i].out);
    }
}

static void
test_pem_and_der(void)
{
    g_autoptr(GError) error = NULL;
    static const char bad[] = "-----BEGIN CERTIFICATE-----\nAAA*\n-----END CERTIFICATE-----\n";
    g_assert_null(cg_pem_decode((const guint8 *)bad, strlen(bad), &error));
    g_assert_nonnull(strstr(error->message, "invalid character"));
    g_clear_error(&error);
    static const char open_block[] = "-----BEGIN CERTIFICATE-----\nAAAA\n";
    g_assert_null(cg_pem_decode((const guint8 *)open_block, strlen(open_block), &error));
    g_assert_nonnull(strstr(error->message, "no END line"));
    g_clear_error(&error);

    /* DER: lengths running past the end, long forms that are not minimal */
    static const guint8 overrun[] = { 0x30, 0x05, 0x02, 0x01 };
    static const guint8 not_minimal[] = { 0x30, 0x81, 0x02, 0x05, 0x00 };
    static const guint8 ok[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
    CgDer d, inner;
    guint32 v;
    cg_der_init(&d, overrun, sizeof overrun);
    g_assert_false(cg_der_read(&d, CG_DER_SEQUENCE, &inner));
    cg_der_init(&d, not_minimal, sizeof not_minimal);
    g_assert_false(cg_der_read(&d, CG_DER_SEQUENCE, &inner));
    cg_der_init(&d, ok, sizeof ok);
    g_assert_true(cg_der_read(&d, CG_DER_SEQUENCE, &inner));
    g_assert_true(cg_der_read_uint(&inner, &v));
    g_assert_cmpuint(v, ==, 7);
    g_assert_true(cg_der_at_end(&d));
}

static void
test_cert_names(void)
{
    g_autoptr(CgCert) gw = load_cert("gw.pem");
    g_autofree char *subject = cg_cert_subject(gw);
    g_assert_cmpstr(subject, ==, "CN=gw.test,O=Cygnet Test,C=CH");
    g_autofree char *alt = cg_cert_alt_names(gw);
    g_assert_cmpstr(alt, ==, "DNS:gw.test, IP:127.0.0.1");
    g_assert_true(cg_cert_matches_id(gw, 2, (const guint8 *)"GW.test", 7));
    g_assert_false(cg_cert_matches_id(gw, 2, (const guint8 *)"gw.tes", 6));
    static const guint8 lo[4] = { 127, 0, 0, 1 }, other[4] = { 127, 0, 0, 2 };
    g_assert_true(cg_cert_matches_id(gw, 1, lo, 4));
    g_assert_false(cg_cert_matches_id(gw, 1, other, 4));
    g_autoptr(GBytes) dn = cg_cert_subject_der(gw);
    g_assert_true(cg_cert_matches_id(gw, 9, g_bytes_get_data(dn, NULL), g_bytes_get_size(dn)));
    g_autofree char *dn_text = cg_dn_to_string(g_bytes_get_data(dn, NULL), g_bytes_get_size(dn));
    g_assert_cmpstr(dn_text, ==, subject);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) parsed = cg_dn_from_string("C=CH, O=Cygnet Test, CN=gw.test", &error);
    g_assert_no_error(error);
    g_assert_true(
        cg_cert_matches_id(gw, 9, g_bytes_get_data(parsed, NULL), g_bytes_get_size(parsed)));
    g_assert_false(cg_cert_is_ca(gw));
    g_assert_cmpint(cg_cert_key_type(gw, NULL), ==, CG_KEY_RSA);

    g_autoptr(CgCert) rw = load_cert("rw-ec.pem");
    g_assert_true(cg_cert_matches_id(rw, 3, (const guint8 *)"rw@test", 7));
    g_assert_cmpint(cg_cert_key_type(rw, NULL), ==, CG_KEY_ECDSA_P256);
    g_autoptr(CgCert) rw384 = load_cert("rw-p384.pem");
    g_assert_cmpint(cg_cert_key_type(rw384, NULL), ==, CG_KEY_ECDSA_P384);

    /* keyid of pki --keyid: SHA-1 of the subjectPublicKeyInfo */
    g_autoptr(CgCert) ca = load_cert("ca.pem");
    g_assert_true(cg_cert_is_ca(ca));
    guint8 h[20];
    char text[41];
    cg_cert_spki_sha1(ca, h);
    hex(h, 20, text);
    g_assert_cmpstr(text, ==, "b782da6bcfab97cc7375970875bf186bfbd6ff71");
}

static void
test_cert_garbage(void)
{
    g_autoptr(GError) error = NULL;
    guint8 junk[300];
    for (guint i = 0; i < sizeof junk; i++)
        junk[i] = (guint8)(i * 7 + 3);
    g_assert_null(cg_cert_new_from_der(junk, sizeof junk, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    g_assert_null(cg_cert_new_from_der(junk, 0, &error));
    g_clear_error(&error);
    /* a real certificate cut short */
    g_autoptr(CgCert) gw = load_cert("gw.pem");
    g_autoptr(GBytes) der = cg_cert_der(gw);
    for (gsize cut = 1; cut < g_bytes_get_size(der); cut += 97) {
        CgCert *c = cg_cert_new_from_der(g_bytes_get_data(der, NULL), cut, &error);
        g_assert_null(c);
        g_clear_error(&error);
    }
}

static CgCertStatus
verify(const char *leaf, const char *const *inter, const char *const *anchors, const char *crl,
       gint64 now_s, char **detail)
{
    g_autoptr(CgCert) cert = load_cert(leaf);
    g_autoptr(GPtrArray) inters = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    g_autoptr(GPtrArray) trust = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    g_autoptr(GPtrArray) crls = NULL;
    for (guint i = 0; inter && inter[i]; i++)
        g_ptr_array_add(inters, load_cert(inter[i]));
    for (guint i = 0; anchors && anchors[i]; i++)
        g_ptr_array_add(trust, load_cert(anchors[i]));
    if (crl) {
        g_autoptr(GError) error = NULL;
        g_autofree char *path = data_path(crl);
        crls = cg_crl_load_file(path, &error);
        g_assert_no_error(error);
    }
    CgCertPolicy policy = { trust, crls, now_s };
    return cg_cert_verify(cert, inters, &policy, detail);
}

static void
test_cert_verify(void)
{
    static const char *const ca[] = { "ca.pem", NULL };
    static const char *const other[] = { "other-ca.pem", NULL };
    static const char *const inter[] = { "inter.pem", NULL };
    g_autofree char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL, *d5 = NULL, *d6 = NULL,
                    *d7 = NULL;

    /* no intermediate: no path. First, because NSS remembers the
     * intermediates it saw for the rest of the process (as a peer's cache) */
    g_assert_cmpint(verify("gw.pem", NULL, ca, NULL, 0, &d3), ==, CG_CERT_UNTRUSTED);
    g_assert_nonnull(strstr(d3, "not issued by a trusted CA"));
    g_assert_cmpint(verify("gw.pem", inter, ca, NULL, 0, &d1), ==, CG_CERT_OK);
    g_assert_cmpint(verify("rw-ec.pem", NULL, ca, "ca.crl", 0, &d2), ==, CG_CERT_OK);
    /* the wrong CA */
    g_assert_cmpint(verify("stranger.pem", NULL, ca, NULL, 0, &d4), ==, CG_CERT_UNTRUSTED);
    g_assert_nonnull(strstr(d4, "Other CA"));
    /* revoked */
    g_assert_cmpint(verify("revoked.pem", NULL, ca, "ca.crl", 0, &d5), ==, CG_CERT_REVOKED);
    g_assert_nonnull(strstr(d5, "revoked"));
    g_assert_nonnull(strstr(d5, "0x0badc0de"));
    /* expired (60 years on) and not yet valid (1990) */
    gint64 later = g_get_real_time() / G_USEC_PER_SEC + 60LL * 365 * 86400;
    g_assert_cmpint(verify("gw.pem", inter, ca, NULL, later, &d6), ==, CG_CERT_EXPIRED);
    g_assert_nonnull(strstr(d6, "expired on"));
    g_assert_cmpint(verify("gw.pem", inter, ca, NULL, 631152000, &d7), ==, CG_CERT_NOT_YET_VALID);
    /* anchored elsewhere: the other CA does not vouch for ours */
    g_autofree char *d8 = NULL;
    g_assert_cmpint(verify("rw-ec.pem", NULL, other, NULL, 0, &d8), ==, CG_CERT_UNTRUSTED);
}

static void
test_keys_and_signatures(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgCert) gw = load_cert("gw.pem");
    g_autoptr(CgCert) rw = load_cert("rw-ec.pem");
    g_autoptr(CgCert) rw384 = load_cert("rw-p384.pem");
    g_autoptr(CgPrivKey) gw_key = load_key("gw.key");
    g_autoptr(CgPrivKey) gw_p8 = load_key("gw.p8.der");
    g_autoptr(CgPrivKey) rw_key = load_key("rw-ec.key");
    g_autoptr(CgPrivKey) rw384_key = load_key("rw-p384.key");
    g_assert_cmpint(cg_privkey_type(gw_key, NULL), ==, CG_KEY_RSA);
    g_assert_cmpint(cg_privkey_type(rw_key, NULL), ==, CG_KEY_ECDSA_P256);
    g_assert_true(cg_privkey_matches_cert(gw_key, gw));
    g_assert_true(cg_privkey_matches_cert(gw_p8, gw));
    g_assert_true(cg_privkey_matches_cert(rw_key, rw));
    g_assert_true(cg_privkey_matches_cert(rw384_key, rw384));
    g_assert_false(cg_privkey_matches_cert(rw_key, gw));
    g_assert_false(cg_privkey_matches_cert(rw384_key, rw));

    static const guint8 part1[] = "octets to sign, ", part2[] = "in two parts";
    CgIov iov[2] = { { part1, sizeof part1 - 1 }, { part2, sizeof part2 - 1 } };
    static const struct {
        CgSigKind kind;
        CgHash hash;
        gboolean rsa;
    } cases[] = {
        { CG_SIG_RSA_PKCS1, CG_HASH_SHA256, TRUE },  { CG_SIG_RSA_PKCS1, CG_HASH_SHA1, TRUE },
        { CG_SIG_RSA_PKCS1, CG_HASH_SHA512, TRUE },  { CG_SIG_RSA_PSS, CG_HASH_SHA256, TRUE },
        { CG_SIG_RSA_PSS, CG_HASH_SHA384, TRUE },    { CG_SIG_ECDSA, CG_HASH_SHA256, FALSE },
        { CG_SIG_ECDSA_RAW, CG_HASH_SHA256, FALSE }, { CG_SIG_ECDSA, CG_HASH_SHA512, FALSE },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        CgSigScheme s = { cases[i].kind, cases[i].hash, 0 };
        CgPrivKey *key = cases[i].rsa ? gw_key : rw_key;
        CgCert *cert = cases[i].rsa ? gw : rw;
        g_autoptr(GBytes) sig = NULL;
        g_assert_true(cg_sign(key, &s, iov, 2, &sig, &error));
        g_assert_no_error(error);
        gsize len;
        const guint8 *data = g_bytes_get_data(sig, &len);
        if (cases[i].kind == CG_SIG_ECDSA_RAW)
            g_assert_cmpuint(len, ==, 64);
        g_assert_true(cg_verify(cert, &s, iov, 2, data, len, &error));
        g_assert_no_error(error);
        /* one bit off */
        g_autofree guint8 *bad = g_memdup2(data, len);
        bad[len / 2] ^= 0x10;
        g_assert_false(cg_verify(cert, &s, iov, 2, bad, len, &error));
        g_assert_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_AUTH);
        g_clear_error(&error);
        /* other octets */
        g_assert_false(cg_verify(cert, &s, iov, 1, data, len, &error));
        g_clear_error(&error);
        /* the other key type */
        g_assert_false(cg_verify(cases[i].rsa ? rw : gw, &s, iov, 2, data, len, &error));
        g_clear_error(&error);
        /* classic RSA: any hash the DigestInfo names */
        if (cases[i].kind == CG_SIG_RSA_PKCS1) {
            CgSigScheme any = { CG_SIG_RSA_PKCS1, CG_HASH_ANY, 0 };
            g_assert_true(cg_verify(cert, &any, iov, 2, data, len, &error));
            g_assert_no_error(error);
        }
    }
    /* an RSA key cannot make ECDSA signatures */
    CgSigScheme wrong = { CG_SIG_ECDSA, CG_HASH_SHA256, 0 };
    g_autoptr(GBytes) sig = NULL;
    g_assert_false(cg_sign(gw_key, &wrong, iov, 2, &sig, &error));
    g_clear_error(&error);

    /* a key file holding junk */
    g_autofree char *junk = g_build_filename(g_get_tmp_dir(), "cg-test-junk.key", NULL);
    g_assert_true(g_file_set_contents(junk,
                                      "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                      "-----END PRIVATE KEY-----\n",
                                      -1, NULL));
    g_assert_null(cg_privkey_load_file(junk, &error));
    g_assert_nonnull(error);
    g_unlink(junk);
}

/* without an NSS database (as nm-cygnet-service runs) the key of a
 * PKCS#12 file becomes a session object; a wrong password is refused
 * (test-pkcs12 runs with a database; tests/auth/test-pkcs12-nodb covers
 * more files) */
static void
test_pkcs12_without_db(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = data_path("rw-ec.p12");
    CgCert *cert = NULL;
    GPtrArray *chain = NULL;
    g_autoptr(GBytes) wrong = g_bytes_new_static("not it", 6);
    g_assert_null(cg_privkey_load_pkcs12(path, wrong, &cert, &chain, &error));
    g_assert_nonnull(strstr(error->message, "wrong password"));
    g_clear_error(&error);
    g_autoptr(GBytes) right = g_bytes_new_static("p12 secret", 10);
    g_autoptr(CgPrivKey) key = cg_privkey_load_pkcs12(path, right, &cert, &chain, &error);
    g_assert_no_error(error);
    g_assert_nonnull(key);
    g_assert_true(cg_privkey_matches_cert(key, cert));
    cg_cert_unref(cert);
    g_ptr_array_unref(chain);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error))
        g_error("%s", error->message);
    g_test_add_func("/auth-crypto/md4", test_md4);
    g_test_add_func("/auth-crypto/pem-der", test_pem_and_der);
    g_test_add_func("/auth-crypto/cert-names", test_cert_names);
    g_test_add_func("/auth-crypto/cert-garbage", test_cert_garbage);
    g_test_add_func("/auth-crypto/cert-verify", test_cert_verify);
    g_test_add_func("/auth-crypto/keys-signatures", test_keys_and_signatures);
    g_test_add_func("/auth-crypto/pkcs12-without-db", test_pkcs12_without_db);
    return g_test_run();
}
