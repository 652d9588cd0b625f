/* test-config.c: proposals, identities, traffic selectors, pools,
 * connection defaults, the logger and cygnetd's keyfile loader. */
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "config/cg-config.h"
#include "crypto/cg-crypto.h"
#include "cygnetd-config.h"
#include "log/cg-log.h"

/* ---- helpers ---------------------------------------------------------- */

static CgProposalSpec
parse_ok(const char *text, guint8 protocol_id)
{
    CgProposalSpec p;
    g_autoptr(GError) error = NULL;
    gboolean ok = cg_proposal_parse(text, protocol_id, &p, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    return p;
}

static void
assert_proposal_error(const char *text, guint8 protocol_id, const char *message)
{
    CgProposalSpec p;
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_proposal_parse(text, protocol_id, &p, &error));
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID);
    if (strstr(error->message, message) == NULL)
        g_error("'%s': expected '%s' in '%s'", text, message, error->message);
}

static void
assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        g_error("expected '%s' in '%s'", needle, haystack);
}

/* A temporary directory whose files are removed afterwards. */
typedef struct {
    char *dir;
    GPtrArray *files;
} TmpDir;

static void
tmp_dir_init(TmpDir *t)
{
    g_autoptr(GError) error = NULL;
    t->dir = g_dir_make_tmp("cygnet-config-XXXXXX", &error);
    g_assert_no_error(error);
    t->files = g_ptr_array_new_with_free_func(g_free);
}

static char *
tmp_dir_write(TmpDir *t, const char *name, const char *contents)
{
    char *path = g_build_filename(t->dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, contents, -1, &error);
    g_assert_no_error(error);
    g_ptr_array_add(t->files, g_strdup(path));
    return path;
}

static void
tmp_dir_clear(TmpDir *t)
{
    for (guint i = 0; i < t->files->len; i++)
        g_remove(g_ptr_array_index(t->files, i));
    g_assert_cmpint(g_rmdir(t->dir), ==, 0);
    g_ptr_array_unref(t->files);
    g_free(t->dir);
}

/* ---- proposals --------------------------------------------------------- */

static void
test_proposal_tokens(void)
{
    static const struct {
        const char *text;
        guint8 protocol_id;
        char kind; /* e=encr i=integ p=prf d=dh n=esn */
        guint16 id;
        guint16 key_bits;
    } cases[] = {
        { "aes128-sha256-x25519", CG_PROTO_IKE, 'e', CG_ENCR_AES_CBC, 128 },
        { "aes256-sha256-x25519", CG_PROTO_IKE, 'e', CG_ENCR_AES_CBC, 256 },
        { "aes128gcm16-prfsha256-x25519", CG_PROTO_IKE, 'e', CG_ENCR_AES_GCM_16, 128 },
        { "aes128gcm-prfsha256-x25519", CG_PROTO_IKE, 'e', CG_ENCR_AES_GCM_16, 128 },
        { "aes256gcm16-prfsha256-x25519", CG_PROTO_IKE, 'e', CG_ENCR_AES_GCM_16, 256 },
        { "aes256gcm-prfsha256-x25519", CG_PROTO_IKE, 'e', CG_ENCR_AES_GCM_16, 256 },
        { "chacha20poly1305-prfsha256-x25519", CG_PROTO_IKE, 'e', CG_ENCR_CHACHA20_POLY1305, 0 },
        { "aes128-sha256", CG_PROTO_ESP, 'i', CG_INTEG_HMAC_SHA2_256_128, 0 },
        { "aes128-sha384", CG_PROTO_ESP, 'i', CG_INTEG_HMAC_SHA2_384_192, 0 },
        { "aes128-sha512", CG_PROTO_ESP, 'i', CG_INTEG_HMAC_SHA2_512_256, 0 },
        { "aes128gcm16-prfsha256-x25519", CG_PROTO_IKE, 'p', CG_PRF_HMAC_SHA2_256, 0 },
        { "aes128gcm16-prfsha384-x25519", CG_PROTO_IKE, 'p', CG_PRF_HMAC_SHA2_384, 0 },
        { "aes128gcm16-prfsha512-x25519", CG_PROTO_IKE, 'p', CG_PRF_HMAC_SHA2_512, 0 },
        { "aes128gcm16-prfsha256-modp2048", CG_PROTO_IKE, 'd', CG_DH_MODP2048, 0 },
        { "aes128gcm16-prfsha256-modp3072", CG_PROTO_IKE, 'd', CG_DH_MODP3072, 0 },
        { "aes128gcm16-prfsha256-modp4096", CG_PROTO_IKE, 'd', CG_DH_MODP4096, 0 },
        { "aes128gcm16-prfsha256-ecp256", CG_PROTO_IKE, 'd', CG_DH_ECP256, 0 },
        { "aes128gcm16-prfsha256-ecp384", CG_PROTO_IKE, 'd', CG_DH_ECP384, 0 },
        { "aes128gcm16-prfsha256-x25519", CG_PROTO_IKE, 'd', CG_DH_X25519, 0 },
        { "aes128gcm16-prfsha256-curve25519", CG_PROTO_IKE, 'd', CG_DH_X25519, 0 },
        { "aes128gcm16-esn", CG_PROTO_ESP, 'n', CG_ESN_YES, 0 },
        { "aes128gcm16-noesn", CG_PROTO_ESP, 'n', CG_ESN_NO, 0 },
        { "aes128gcm16", CG_PROTO_ESP, 'n', CG_ESN_NO, 0 },           /* the default */
        { "aes128gcm16-ecp256", CG_PROTO_ESP, 'd', CG_DH_ECP256, 0 }, /* PFS */
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        CgProposalSpec p = parse_ok(cases[i].text, cases[i].protocol_id);
        g_assert_cmpuint(p.protocol_id, ==, cases[i].protocol_id);
        switch (cases[i].kind) {
            case 'e':
                g_assert_cmpuint(p.n_encr, ==, 1);
                g_assert_cmpuint(p.encr[0].id, ==, cases[i].id);
                g_assert_cmpuint(p.encr[0].key_bits, ==, cases[i].key_bits);
                break;
            case 'i':
                g_assert_cmpuint(p.n_integ, ==, 1);
                g_assert_cmpuint(p.integ[0], ==, cases[i].id);
                g_assert_cmpuint(p.n_prf, ==, 0);
                break;
            case 'p':
                g_assert_cmpuint(p.n_prf, ==, 1);
                g_assert_cmpuint(p.prf[0], ==, cases[i].id);
                break;
            case 'd':
                g_assert_cmpuint(p.n_dh, ==, 1);
                g_assert_cmpuint(p.dh[0], ==, cases[i].id);
                break;
            case 'n':
                g_assert_cmpuint(p.n_esn, ==, 1);
                g_assert_cmpuint(p.esn[0], ==, cases[i].id);
                break;
        }
    }
}

static void
test_proposal_implied_prf(void)
{
    CgProposalSpec p = parse_ok("aes128-sha256-sha384-modp2048", CG_PROTO_IKE);
    g_assert_cmpuint(p.n_integ, ==, 2);
    g_assert_cmpuint(p.n_prf, ==, 2);
    g_assert_cmpuint(p.prf[0], ==, CG_PRF_HMAC_SHA2_256);
    g_assert_cmpuint(p.prf[1], ==, CG_PRF_HMAC_SHA2_384);
    g_assert_cmpuint(p.n_esn, ==, 0);

    /* an explicit PRF wins over the implied one */
    p = parse_ok("aes128-sha256-prfsha512-x25519", CG_PROTO_IKE);
    g_assert_cmpuint(p.n_prf, ==, 1);
    g_assert_cmpuint(p.prf[0], ==, CG_PRF_HMAC_SHA2_512);

    /* duplicates collapse; order is preference; tokens are case-blind */
    p = parse_ok("AES256-aes128-Aes256-SHA256-x25519-ecp256-x25519", CG_PROTO_IKE);
    g_assert_cmpuint(p.n_encr, ==, 2);
    g_assert_cmpuint(p.encr[0].key_bits, ==, 256);
    g_assert_cmpuint(p.encr[1].key_bits, ==, 128);
    g_assert_cmpuint(p.n_dh, ==, 2);
    g_assert_cmpuint(p.dh[0], ==, CG_DH_X25519);

    p = parse_ok("aes256gcm16-esn-noesn", CG_PROTO_ESP);
    g_assert_cmpuint(p.n_esn, ==, 2);
    g_assert_cmpuint(p.esn[0], ==, CG_ESN_YES);
    g_assert_cmpuint(p.esn[1], ==, CG_ESN_NO);
}

static void
assert_round_trip(const char *text, guint8 protocol_id, const char *expected)
{
    CgProposalSpec p = parse_ok(text, protocol_id);
    g_autofree char *printed = cg_proposal_to_string(&p);
    g_assert_cmpstr(printed, ==, expected);
    CgProposalSpec again = parse_ok(printed, protocol_id);
    g_assert_true(memcmp(&p, &again, sizeof p) == 0);
}

static void
test_proposal_to_string(void)
{
    assert_round_trip("aes256gcm16-prfsha256-x25519", CG_PROTO_IKE, "aes256gcm16-prfsha256-x25519");
    assert_round_trip("aes128-sha256-modp2048", CG_PROTO_IKE, "aes128-sha256-prfsha256-modp2048");
    assert_round_trip("x25519-prfsha384-aes128gcm", CG_PROTO_IKE, "aes128gcm16-prfsha384-x25519");
    assert_round_trip("chacha20poly1305-prfsha512-curve25519", CG_PROTO_IKE,
                      "chacha20poly1305-prfsha512-x25519");
    assert_round_trip("aes256gcm16", CG_PROTO_ESP, "aes256gcm16");
    assert_round_trip("aes256gcm16-noesn", CG_PROTO_ESP, "aes256gcm16");
    assert_round_trip("aes256gcm16-esn", CG_PROTO_ESP, "aes256gcm16-esn");
    assert_round_trip("aes256gcm16-esn-noesn", CG_PROTO_ESP, "aes256gcm16-esn-noesn");
    assert_round_trip("aes128-sha256-modp3072", CG_PROTO_ESP, "aes128-sha256-modp3072");
    assert_round_trip("aes256-sha512-sha384-modp4096-ecp384", CG_PROTO_IKE,
                      "aes256-sha512-sha384-prfsha512-prfsha384-modp4096-ecp384");

    /* something the config never makes still prints */
    CgProposalSpec odd = { .protocol_id = CG_PROTO_IKE, .n_encr = 1, .n_prf = 1, .n_dh = 1 };
    odd.encr[0] = (CgAlg){ .id = 99, .key_bits = 192 };
    odd.prf[0] = 77;
    odd.dh[0] = 55;
    g_autofree char *printed = cg_proposal_to_string(&odd);
    g_assert_cmpstr(printed, ==, "encr99_192-prf77-dh55");
}

static void
test_proposal_defaults(void)
{
    g_autoptr(GArray) ike = cg_proposal_list_default(CG_PROTO_IKE);
    g_assert_cmpuint(ike->len, ==, 2);
    const CgProposalSpec *aead = &g_array_index(ike, CgProposalSpec, 0);
    g_autofree char *aead_text = cg_proposal_to_string(aead);
    g_assert_cmpstr(aead_text, ==,
                    "aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-"
                    "x25519-ecp256-ecp384-modp3072-modp2048");
    g_assert_cmpuint(aead->dh[0], ==, CG_DH_X25519);
    g_assert_cmpuint(aead->n_integ, ==, 0);
    const CgProposalSpec *cbc = &g_array_index(ike, CgProposalSpec, 1);
    g_autofree char *cbc_text = cg_proposal_to_string(cbc);
    g_assert_cmpstr(cbc_text, ==,
                    "aes256-aes128-sha256-sha384-sha512-prfsha256-prfsha384-prfsha512-"
                    "x25519-ecp256-ecp384-modp3072-modp2048");

    g_autoptr(GArray) esp = cg_proposal_list_default(CG_PROTO_ESP);
    g_assert_cmpuint(esp->len, ==, 2);
    g_autofree char *esp0 = cg_proposal_to_string(&g_array_index(esp, CgProposalSpec, 0));
    g_autofree char *esp1 = cg_proposal_to_string(&g_array_index(esp, CgProposalSpec, 1));
    g_assert_cmpstr(esp0, ==, "aes256gcm16-aes128gcm16-chacha20poly1305");
    g_assert_cmpstr(esp1, ==, "aes256-aes128-sha256-sha384-sha512");
    g_assert_cmpuint(g_array_index(esp, CgProposalSpec, 0).n_dh, ==, 0);

    /* "default" in a list expands to all defaults; alone, to the first */
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) list
        = cg_proposal_list_parse("aes128-sha256-modp2048, default", CG_PROTO_IKE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 3);
    g_assert_true(memcmp(&g_array_index(list, CgProposalSpec, 1), aead, sizeof *aead) == 0);
    CgProposalSpec single = parse_ok("default", CG_PROTO_ESP);
    g_assert_true(memcmp(&single, &g_array_index(esp, CgProposalSpec, 0), sizeof single) == 0);
}

static void
test_proposal_errors(void)
{
    assert_proposal_error("aes256-foo", CG_PROTO_IKE,
                          "unknown algorithm 'foo' in proposal 'aes256-foo'");
    assert_proposal_error("aes256gcm16-sha256-x25519", CG_PROTO_IKE,
                          "combines the AEAD cipher 'aes256gcm16' with the integrity algorithm "
                          "'sha256'");
    assert_proposal_error("aes256gcm16-sha256-x25519", CG_PROTO_IKE, "write 'prfsha256'");
    assert_proposal_error("aes128gcm16-sha256", CG_PROTO_ESP, "integrity algorithm 'sha256'");
    assert_proposal_error("aes256gcm16-aes256-sha256-prfsha256-x25519", CG_PROTO_IKE,
                          "RFC 7296 3.3");
    assert_proposal_error("sha256-prfsha256-x25519", CG_PROTO_IKE, "has no encryption algorithm");
    assert_proposal_error("aes128-prfsha256-x25519", CG_PROTO_IKE, "has no integrity algorithm");
    assert_proposal_error("aes128", CG_PROTO_ESP, "has no integrity algorithm");
    assert_proposal_error("aes128gcm16-x25519", CG_PROTO_IKE, "has no PRF");
    assert_proposal_error("aes128-sha256", CG_PROTO_IKE, "has no key exchange method");
    assert_proposal_error("aes128gcm16-prfsha256-x25519-esn", CG_PROTO_IKE,
                          "'esn' is only valid in ESP proposals");
    assert_proposal_error("aes128gcm16-prfsha256", CG_PROTO_ESP,
                          "PRF 'prfsha256' is only valid in IKE proposals");
    assert_proposal_error("aes256--sha256-x25519", CG_PROTO_IKE, "empty algorithm name");
    assert_proposal_error("", CG_PROTO_IKE, "empty proposal");
    assert_proposal_error("aes128gcm16", CG_PROTO_AH, "not supported");

    g_autoptr(GError) error = NULL;
    g_assert_null(cg_proposal_list_parse("aes128gcm16,,aes256gcm16", CG_PROTO_ESP, &error));
    assert_contains(error->message, "empty proposal in list");
    g_clear_error(&error);
    g_assert_null(cg_proposal_list_parse("", CG_PROTO_ESP, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    g_autoptr(GString) many = g_string_new("aes128gcm16");
    for (guint i = 0; i < CG_MAX_PROPOSALS; i++)
        g_string_append(many, ",aes128gcm16");
    g_assert_null(cg_proposal_list_parse(many->str, CG_PROTO_ESP, &error));
    assert_contains(error->message, "too many proposals");
}

/* ---- identities ------------------------------------------------------- */

static void
assert_identity(const char *text, guint8 type, const void *data, gsize len, const char *printed)
{
    CgIdentity id;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_identity_parse(text, &id, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(id.type, ==, type);
    if (len == 0) {
        g_assert_null(id.data);
    } else {
        gsize got_len;
        const guint8 *got = g_bytes_get_data(id.data, &got_len);
        g_assert_cmpmem(got, got_len, data, len);
    }
    g_autofree char *text_again = cg_identity_to_string(&id);
    g_assert_cmpstr(text_again, ==, printed);
    cg_identity_clear(&id);
}

static void
test_identity_parse(void)
{
    static const guint8 v4[] = { 10, 0, 0, 1 };
    static const guint8 v6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    assert_identity("10.0.0.1", CG_ID_IPV4_ADDR, v4, 4, "10.0.0.1");
    assert_identity("2001:db8::1", CG_ID_IPV6_ADDR, v6, 16, "2001:db8::1");
    assert_identity("user@example.org", CG_ID_RFC822_ADDR, "user@example.org", 16,
                    "user@example.org");
    assert_identity("@host.example", CG_ID_FQDN, "host.example", 12, "host.example");
    assert_identity("host.example", CG_ID_FQDN, "host.example", 12, "host.example");
    assert_identity("@user@host", CG_ID_FQDN, "user@host", 9, "user@host");
    assert_identity("%any", 0, NULL, 0, "%any");
    assert_identity("*.example.org", CG_ID_FQDN, "*.example.org", 13, "*.example.org");
    assert_identity("*@example.org", CG_ID_RFC822_ADDR, "*@example.org", 13, "*@example.org");

    static const char *const bad[] = { "", "@", "has space", "tab\there" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        CgIdentity id;
        g_autoptr(GError) error = NULL;
        g_assert_false(cg_identity_parse(bad[i], &id, &error));
        g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID);
    }
    g_autofree char *long_name = g_strnfill(300, 'a');
    CgIdentity id;
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_identity_parse(long_name, &id, &error));
    assert_contains(error->message, "too long (300 > 255");

    /* peer-supplied bytes print safely */
    CgIdentity evil = { .type = CG_ID_FQDN, .data = g_bytes_new("a\nb", 3) };
    g_autofree char *printed = cg_identity_to_string(&evil);
    g_assert_cmpstr(printed, ==, "a\\x0ab");
    cg_identity_clear(&evil);
    CgIdentity keyid = { .type = CG_ID_KEY_ID, .data = g_bytes_new("\x01\xab", 2) };
    g_autofree char *keyid_text = cg_identity_to_string(&keyid);
    g_assert_cmpstr(keyid_text, ==, "type11:01ab");
    cg_identity_clear(&keyid);
}

static gboolean
matches_len(const char *pattern_text, guint8 type, const char *data, gsize len)
{
    CgIdentity pattern;
    g_assert_true(cg_identity_parse(pattern_text, &pattern, NULL));
    gboolean result = cg_identity_matches(&pattern, type, (const guint8 *)data, len);
    cg_identity_clear(&pattern);
    return result;
}

static gboolean
matches(const char *pattern_text, guint8 type, const char *data)
{
    return matches_len(pattern_text, type, data, strlen(data));
}

static void
test_identity_matches(void)
{
    g_assert_true(matches("%any", CG_ID_FQDN, "anything.example"));
    g_assert_true(matches_len("%any", CG_ID_IPV4_ADDR, "\x0a\x00\x00\x01", 4));
    g_assert_true(matches("vpn.example.org", CG_ID_FQDN, "vpn.example.org"));
    g_assert_true(matches("vpn.example.org", CG_ID_FQDN, "VPN.Example.ORG"));
    g_assert_false(matches("vpn.example.org", CG_ID_FQDN, "vpn.example.org.evil"));
    g_assert_false(matches("vpn.example.org", CG_ID_RFC822_ADDR, "vpn.example.org"));
    g_assert_true(matches_len("10.0.0.1", CG_ID_IPV4_ADDR, "\x0a\x00\x00\x01", 4));
    g_assert_false(matches_len("10.0.0.1", CG_ID_IPV4_ADDR, "\x0a\x00\x00\x02", 4));
    g_assert_false(matches_len("10.0.0.1", CG_ID_IPV4_ADDR, "\x0a\x00\x00", 3));
    g_assert_true(matches("alice@example.org", CG_ID_RFC822_ADDR, "alice@example.org"));
    g_assert_false(matches("alice@example.org", CG_ID_RFC822_ADDR, "Alice@example.org"));

    g_assert_true(matches("*.example.org", CG_ID_FQDN, "vpn.example.org"));
    g_assert_true(matches("*.example.org", CG_ID_FQDN, "a.b.Example.org"));
    g_assert_false(matches("*.example.org", CG_ID_FQDN, "example.org"));
    g_assert_false(matches("*.example.org", CG_ID_FQDN, "evilexample.org"));
    g_assert_false(matches("*.example.org", CG_ID_FQDN, ".example.org"));
    g_assert_false(matches("*.example.org", CG_ID_RFC822_ADDR, "a@vpn.example.org"));
    g_assert_true(matches("*@example.org", CG_ID_RFC822_ADDR, "alice@example.org"));
    g_assert_false(matches("*@example.org", CG_ID_RFC822_ADDR, "alice@evil.org"));
    g_assert_false(matches("*@example.org", CG_ID_RFC822_ADDR, "@example.org"));
    g_assert_false(matches("*@example.org", CG_ID_FQDN, "alice@example.org"));

    /* a NUL hidden before the suffix does not sneak past */
    CgIdentity pattern;
    g_assert_true(cg_identity_parse("*.example.org", &pattern, NULL));
    g_assert_false(
        cg_identity_matches(&pattern, CG_ID_FQDN, (const guint8 *)"a\0.example.org", 14));
    cg_identity_clear(&pattern);
}

/* ---- traffic selectors ------------------------------------------------ */

static void
assert_ts(const char *text, const char *printed)
{
    CgTsConfig ts;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_ts_parse(text, &ts, &error));
    g_assert_no_error(error);
    g_autofree char *out = cg_ts_config_to_string(&ts);
    g_assert_cmpstr(out, ==, printed);
    CgTsConfig again;
    g_assert_true(cg_ts_parse(out, &again, NULL));
    g_assert_true(memcmp(&ts, &again, sizeof ts) == 0);
}

static void
assert_ts_error(const char *text, const char *message)
{
    CgTsConfig ts;
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_ts_parse(text, &ts, &error));
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID);
    if (strstr(error->message, message) == NULL)
        g_error("'%s': expected '%s' in '%s'", text, message, error->message);
}

static void
test_ts(void)
{
    assert_ts("10.1.0.0/16", "10.1.0.0/16");
    assert_ts("0.0.0.0/0", "0.0.0.0/0");
    assert_ts("::/0", "::/0");
    assert_ts("2001:db8::/32", "2001:db8::/32");
    assert_ts("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9");
    assert_ts("10.0.0.0-10.0.0.255", "10.0.0.0/24");
    assert_ts("10.0.0.1", "10.0.0.1/32");
    assert_ts("10.0.0.0/8[tcp/80]", "10.0.0.0/8[tcp/80]");
    assert_ts("10.0.0.0/8[udp/1024-2047]", "10.0.0.0/8[udp/1024-2047]");
    assert_ts("10.0.0.0/8[6/443]", "10.0.0.0/8[tcp/443]");
    assert_ts("10.0.0.0/8[icmp]", "10.0.0.0/8[icmp]");
    assert_ts("2001:db8::/32[icmpv6]", "2001:db8::/32[icmpv6]");
    assert_ts("10.0.0.0/8[47]", "10.0.0.0/8[47]");
    assert_ts("10.0.0.0/8[any]", "10.0.0.0/8");
    assert_ts(" 10.0.0.0/8 [tcp/22] ", "10.0.0.0/8[tcp/22]");
    assert_ts("dynamic", "dynamic");
    assert_ts("dynamic[tcp/22]", "dynamic[tcp/22]");

    CgTsConfig ts;
    g_assert_true(cg_ts_parse("10.0.0.0/8[udp/500]", &ts, NULL));
    g_assert_false(ts.dynamic);
    g_assert_cmpuint(ts.ts.ts_type, ==, CG_TS_IPV4_ADDR_RANGE);
    g_assert_cmpuint(ts.ts.ip_protocol, ==, 17);
    g_assert_cmpuint(ts.ts.start_port, ==, 500);
    g_assert_cmpuint(ts.ts.end_port, ==, 500);
    g_assert_cmpmem(ts.ts.end_addr, 4, "\x0a\xff\xff\xff", 4);
    g_assert_true(cg_ts_parse("dynamic", &ts, NULL));
    g_assert_true(ts.dynamic);
    g_assert_cmpuint(ts.ts.start_port, ==, 0);
    g_assert_cmpuint(ts.ts.end_port, ==, 65535);

    assert_ts_error("10.1.0.5/16", "'10.1.0.5/16' has host bits set (the network is 10.1.0.0/16)");
    assert_ts_error("10.0.0.0/33", "invalid prefix length '33'");
    assert_ts_error("10.0.0.9-10.0.0.1", "ends before it starts");
    assert_ts_error("10.0.0.1-::1", "mixes IPv4 and IPv6");
    assert_ts_error("10.0.0.300", "invalid address '10.0.0.300'");
    assert_ts_error("example.org", "invalid address");
    assert_ts_error("10.0.0.0/8[foo/80]", "unknown protocol 'foo'");
    assert_ts_error("10.0.0.0/8[tcp/70000]", "invalid port '70000'");
    assert_ts_error("10.0.0.0/8[any/80]", "need a protocol");
    assert_ts_error("10.0.0.0/8[tcp/90-80]", "port range 90-80");
    assert_ts_error("10.0.0.0/8[tcp", "expected '[proto]'");
    assert_ts_error("10.0.0.0/8[]", "expected '[proto]'");
    assert_ts_error("", "empty traffic selector");

    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) list = cg_ts_list_parse("10.0.0.0/8, 192.168.0.0/16,dynamic", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 3);
    g_assert_true(g_array_index(list, CgTsConfig, 2).dynamic);
    g_assert_null(cg_ts_list_parse("10.0.0.0/8,,dynamic", &error));
    g_assert_nonnull(error);
}

/* ---- pools ------------------------------------------------------------ */

static char *
acquire(CgPool *pool, const char *owner)
{
    g_autoptr(GInetAddress) addr = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_pool_acquire(pool, owner, &addr, &error));
    g_assert_no_error(error);
    return g_inet_address_to_string(addr);
}

static void
release(CgPool *pool, const char *text)
{
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(text);
    cg_pool_release(pool, addr);
}

static void
test_pool_v4_cidr(void)
{
    g_autoptr(GError) error = NULL;
    CgPool *pool = cg_pool_new("p", "10.3.0.0/24", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cg_pool_name(pool), ==, "p");
    g_assert_cmpstr(cg_pool_range(pool), ==, "10.3.0.0/24");
    g_assert_cmpint(cg_pool_family(pool), ==, AF_INET);
    g_assert_cmpuint(cg_pool_size(pool), ==, 254);

    g_autofree char *first = acquire(pool, "owner0");
    g_assert_cmpstr(first, ==, "10.3.0.1");
    for (guint i = 1; i < 254; i++) {
        g_autofree char *owner = g_strdup_printf("owner%u", i);
        g_autofree char *addr = acquire(pool, owner);
        if (i == 253)
            g_assert_cmpstr(addr, ==, "10.3.0.254");
    }
    g_assert_cmpuint(cg_pool_in_use(pool), ==, 254);

    g_autoptr(GInetAddress) none = NULL;
    g_assert_false(cg_pool_acquire(pool, "one-too-many", &none, &error));
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_EXHAUSTED);
    g_assert_cmpstr(error->message, ==, "pool p is exhausted (254 of 254 in use)");
    g_clear_error(&error);

    /* a holder asking again still gets its address */
    g_autofree char *again = acquire(pool, "owner0");
    g_assert_cmpstr(again, ==, "10.3.0.1");

    release(pool, "10.3.0.7");
    release(pool, "10.3.0.7");    /* twice: harmless */
    release(pool, "10.3.0.0");    /* not in the pool */
    release(pool, "10.3.1.1");    /* not in the pool */
    release(pool, "2001:db8::1"); /* other family */
    g_assert_cmpuint(cg_pool_in_use(pool), ==, 253);
    g_autofree char *reused = acquire(pool, "newcomer");
    g_assert_cmpstr(reused, ==, "10.3.0.7");
    g_autoptr(GInetAddress) probe = g_inet_address_new_from_string("10.3.0.7");
    g_assert_cmpstr(cg_pool_owner_of(pool, probe), ==, "newcomer");
    cg_pool_free(pool);
}

static void
test_pool_v4_reuse_order(void)
{
    CgPool *pool = cg_pool_new("p", "10.3.0.0/29", NULL);
    g_assert_cmpuint(cg_pool_size(pool), ==, 6);
    g_autofree char *a = acquire(pool, "a");
    g_autofree char *b = acquire(pool, "b");
    g_autofree char *a_again = acquire(pool, "a");
    g_assert_cmpstr(a, ==, a_again);
    g_assert_cmpuint(cg_pool_in_use(pool), ==, 2);
    release(pool, a);
    release(pool, b);
    /* fresh addresses first, then released ones, oldest first */
    g_autofree char *c = acquire(pool, "c");
    g_assert_cmpstr(c, ==, "10.3.0.3");
    for (guint i = 0; i < 3; i++) {
        g_autofree char *owner = g_strdup_printf("x%u", i);
        g_autofree char *addr = acquire(pool, owner);
        g_assert_cmpstr(addr, !=, a);
    }
    g_autofree char *d = acquire(pool, "d");
    g_assert_cmpstr(d, ==, a);
    g_autofree char *e = acquire(pool, "e");
    g_assert_cmpstr(e, ==, b);
    cg_pool_free(pool);

    /* /31 and /32 hand out everything; a range hands out all */
    pool = cg_pool_new("p31", "10.3.0.0/31", NULL);
    g_assert_cmpuint(cg_pool_size(pool), ==, 2);
    g_autofree char *p31 = acquire(pool, "a");
    g_assert_cmpstr(p31, ==, "10.3.0.0");
    cg_pool_free(pool);
    pool = cg_pool_new("p32", "10.3.0.9/32", NULL);
    g_assert_cmpuint(cg_pool_size(pool), ==, 1);
    cg_pool_free(pool);
    pool = cg_pool_new("r", "10.3.0.10-10.3.0.12", NULL);
    g_assert_cmpuint(cg_pool_size(pool), ==, 3);
    g_autofree char *r0 = acquire(pool, "a");
    g_autofree char *r1 = acquire(pool, "b");
    g_autofree char *r2 = acquire(pool, "c");
    g_assert_cmpstr(r0, ==, "10.3.0.10");
    g_assert_cmpstr(r1, ==, "10.3.0.11");
    g_assert_cmpstr(r2, ==, "10.3.0.12");
    g_autoptr(GError) error = NULL;
    g_autoptr(GInetAddress) none = NULL;
    g_assert_false(cg_pool_acquire(pool, "d", &none, &error));
    g_assert_cmpstr(error->message, ==, "pool r is exhausted (3 of 3 in use)");
    cg_pool_free(pool);
    /* a range across a byte boundary */
    pool = cg_pool_new("carry", "10.3.0.254-10.3.1.1", NULL);
    g_assert_cmpuint(cg_pool_size(pool), ==, 4);
    for (guint i = 0; i < 3; i++) {
        g_autofree char *owner = g_strdup_printf("o%u", i);
        g_autofree char *addr = acquire(pool, owner);
        if (i == 2)
            g_assert_cmpstr(addr, ==, "10.3.1.0");
    }
    cg_pool_free(pool);
}

static void
test_pool_v6(void)
{
    g_autoptr(GError) error = NULL;
    CgPool *pool = cg_pool_new("v6", "fd00:3::/112", &error);
    g_assert_no_error(error);
    g_assert_cmpint(cg_pool_family(pool), ==, AF_INET6);
    g_assert_cmpuint(cg_pool_size(pool), ==, 65535);
    g_autofree char *first = acquire(pool, "a");
    g_assert_cmpstr(first, ==, "fd00:3::1");
    g_autofree char *second = acquire(pool, "b");
    g_assert_cmpstr(second, ==, "fd00:3::2");
    release(pool, "fd00:3::1");
    g_assert_cmpuint(cg_pool_in_use(pool), ==, 1);
    cg_pool_free(pool);

    pool = cg_pool_new("v6", "2001:db8:1:2::/64", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(cg_pool_size(pool), ==, 65536);
    cg_pool_free(pool);

    pool = cg_pool_new("v6r", "2001:db8::10-2001:db8::1f", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(cg_pool_size(pool), ==, 16);
    cg_pool_free(pool);

    g_assert_null(cg_pool_new("v6", "2001:db8::/48", &error));
    assert_contains(error->message, "must be a /64 or longer prefix, not /48");
    g_clear_error(&error);
    g_assert_null(cg_pool_new("v6", "2001:db8::1-2001:db8::1:1", &error));
    assert_contains(error->message, "range is too large");
    g_clear_error(&error);
    g_assert_null(cg_pool_new("big", "10.0.0.0/7", &error));
    assert_contains(error->message, "pool big: /7 is too large");
    g_clear_error(&error);
    g_assert_null(cg_pool_new("bad", "10.3.0.1/24", &error));
    assert_contains(error->message, "pool bad: '10.3.0.1/24' has host bits set");
    g_clear_error(&error);
    g_assert_null(cg_pool_new("bad", "", &error));
    g_assert_nonnull(error);
}

/* The responder bench leases thousands per second: keep it O(1). */
static void
test_pool_churn(void)
{
    CgPool *pool = cg_pool_new("churn", "10.0.0.0/16", NULL);
    char owner[32];
    for (guint round = 0; round < 4; round++) {
        for (guint i = 0; i < 60000; i++) {
            g_snprintf(owner, sizeof owner, "peer-%u", i);
            g_autoptr(GInetAddress) addr = NULL;
            g_assert_true(cg_pool_acquire(pool, owner, &addr, NULL));
            if (i % 2 == 1)
                cg_pool_release(pool, addr);
        }
        g_assert_cmpuint(cg_pool_in_use(pool), ==, 30000);
        for (guint i = 0; i < 60000; i += 2) {
            g_snprintf(owner, sizeof owner, "peer-%u", i);
            g_autoptr(GInetAddress) addr = NULL;
            g_assert_true(cg_pool_acquire(pool, owner, &addr, NULL));
            cg_pool_release(pool, addr);
        }
        g_assert_cmpuint(cg_pool_in_use(pool), ==, 0);
    }
    cg_pool_free(pool);
}

/* ---- connection defaults and validation ---------------------------------- */

static void
test_conn_defaults(void)
{
    g_autoptr(CgConnConfig) c = cg_conn_config_new("c");
    g_assert_cmpint(c->ref_count, ==, 1);
    g_assert_cmpuint(c->local_port, ==, 500);
    g_assert_cmpuint(c->remote_port, ==, 500);
    g_assert_cmpuint(c->local_id.type, ==, 0);
    g_assert_cmpuint(c->remote_id.type, ==, 0);
    g_assert_cmpint(c->local_auth, ==, CG_AUTH_BY_PSK);
    g_assert_cmpuint(c->ike_proposals->len, ==, 2);
    g_assert_cmpuint(c->children->len, ==, 0);
    g_assert_cmpuint(c->ike_rekey_time_s, ==, 14400);
    g_assert_cmpuint(c->rand_time_s, ==, 1440);
    g_assert_cmpuint(c->dpd_delay_s, ==, 30);
    g_assert_cmpuint(c->retransmit_timeout_ms, ==, 1000);
    g_assert_cmpfloat(c->retransmit_base, ==, 1.8);
    g_assert_cmpuint(c->retransmit_tries, ==, 5);
    g_assert_true(c->mobike);
    g_assert_true(c->unique_ids);
    g_assert_false(c->force_encap);
    g_assert_cmpint(c->start_action, ==, CG_START_NONE);

    g_autoptr(GError) error = NULL;
    g_assert_false(cg_conn_config_validate(c, &error));
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_MISSING);
    assert_contains(error->message, "CHILD_SA");
    g_clear_error(&error);

    CgChildConfig *child = cg_child_config_new("c");
    g_assert_cmpuint(child->rekey_time_s, ==, 3600);
    g_assert_cmpuint(child->life_time_s, ==, 3960);
    g_assert_cmpuint(child->local_ts->len, ==, 1);
    g_assert_true(g_array_index(child->local_ts, CgTsConfig, 0).dynamic);
    g_assert_cmpuint(child->esp_proposals->len, ==, 2);
    g_ptr_array_add(c->children, child);
    g_assert_true(cg_conn_config_validate(c, &error));
    g_assert_no_error(error);

    CgConnConfig *ref = cg_conn_config_ref(c);
    g_assert_cmpint(c->ref_count, ==, 2);
    cg_conn_config_unref(ref);

    c->start_action = CG_START_START;
    g_assert_false(cg_conn_config_validate(c, &error));
    assert_contains(error->message, "key 'remote'");
    g_clear_error(&error);
    c->remote_addr = g_strdup("192.0.2.1");
    g_assert_true(cg_conn_config_validate(c, NULL));

    c->retransmit_tries = 0;
    g_assert_false(cg_conn_config_validate(c, &error));
    g_assert_cmpstr(error->message, ==, "key 'retransmit-tries': 0 is out of range (1..20)");
    g_clear_error(&error);
    c->retransmit_tries = 5;
    c->retransmit_base = 0.5;
    g_assert_false(cg_conn_config_validate(c, &error));
    assert_contains(error->message, "retransmit-base");
    g_clear_error(&error);
    c->retransmit_base = 2;
    c->retransmit_timeout_ms = 0;
    g_assert_false(cg_conn_config_validate(c, &error));
    assert_contains(error->message, "retransmit-timeout");
    g_clear_error(&error);
    c->retransmit_timeout_ms = 1;
    child->life_time_s = 3600;
    g_assert_false(cg_conn_config_validate(c, &error));
    assert_contains(error->message, "the rekey time (3600 s) must be less than the life time");
    g_clear_error(&error);
    child->life_time_s = 0; /* no hard expiry */
    g_assert_true(cg_conn_config_validate(c, NULL));
    g_array_set_size(c->ike_proposals, 0);
    g_assert_false(cg_conn_config_validate(c, &error));
    assert_contains(error->message, "key 'ike'");
}

/* ---- the logger ---------------------------------------------------------- */

typedef struct {
    GPtrArray *lines;
} SinkData;

static void
collect_line(CgLogLevel level, const char *conn, const char *line, gpointer user_data)
{
    SinkData *data = user_data;
    g_ptr_array_add(data->lines, g_strdup(line));
    cg_info(NULL, "nested"); /* a sink that logs must not recurse or deadlock */
}

static void
test_log(void)
{
    CgLogLevel level;
    g_assert_true(cg_log_level_parse("debug", &level));
    g_assert_cmpint(level, ==, CG_LOG_DEBUG);
    g_assert_true(cg_log_level_parse("WARNING", &level));
    g_assert_cmpint(level, ==, CG_LOG_WARNING);
    g_assert_true(cg_log_level_parse("4", &level));
    g_assert_cmpint(level, ==, CG_LOG_TRACE);
    g_assert_false(cg_log_level_parse("loud", &level));
    g_assert_false(cg_log_level_parse("5", &level));
    g_assert_cmpstr(cg_log_level_to_string(CG_LOG_INFO), ==, "INFO");

    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autofree char *main_log = g_build_filename(tmp.dir, "main.log", NULL);
    g_autofree char *conn_log = g_build_filename(tmp.dir, "conn.log", NULL);
    g_ptr_array_add(tmp.files, g_strdup(main_log));
    g_ptr_array_add(tmp.files, g_strdup(conn_log));

    g_autoptr(GError) error = NULL;
    g_assert_true(cg_log_set_file(main_log, &error));
    g_assert_true(cg_log_set_conn_file("gw", conn_log, &error));
    g_assert_no_error(error);
    SinkData data = { .lines = g_ptr_array_new_with_free_func(g_free) };
    cg_log_set_sink(collect_line, &data);
    cg_log_set_level(CG_LOG_INFO);

    cg_info("gw", "hello %d", 42);
    cg_debug("gw", "not shown");
    cg_warn(NULL, "no conn, evil\nsecond line");
    cg_log_set_level(CG_LOG_TRACE);
    g_assert_true(cg_log_enabled(CG_LOG_TRACE));
    cg_trace("other", "traced");
    cg_log_set_level(CG_LOG_INFO);
    cg_log_set_sink(NULL, NULL);
    g_assert_true(cg_log_set_conn_file("gw", NULL, NULL));
    g_assert_true(cg_log_set_file(NULL, NULL));

    g_assert_cmpuint(data.lines->len, ==, 3);
    g_assert_true(g_regex_match_simple("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO \\[gw\\] hello 42$",
                                       g_ptr_array_index(data.lines, 0), 0, 0));
    g_assert_true(g_regex_match_simple("^\\S+ WARNING no conn, evil\\?second line$",
                                       g_ptr_array_index(data.lines, 1), 0, 0));
    g_assert_true(g_regex_match_simple("^\\S+ TRACE \\[other\\] traced$",
                                       g_ptr_array_index(data.lines, 2), 0, 0));

    g_autofree char *main_text = NULL;
    g_autofree char *conn_text = NULL;
    g_assert_true(g_file_get_contents(main_log, &main_text, NULL, NULL));
    g_assert_true(g_file_get_contents(conn_log, &conn_text, NULL, NULL));
    /* 3 lines + 3 nested ones from the sink */
    g_auto(GStrv) main_lines = g_strsplit(main_text, "\n", -1);
    g_assert_cmpuint(g_strv_length(main_lines) - 1, ==, 6);
    g_assert_true(g_regex_match_simple("^\\S+ INFO \\[gw\\] hello 42\n$", conn_text, 0, 0));
    assert_contains(main_text, "INFO nested\n");

    g_assert_false(cg_log_set_file("/nonexistent-dir/x.log", &error));
    assert_contains(error->message, "/nonexistent-dir/x.log");
    g_ptr_array_unref(data.lines);
    tmp_dir_clear(&tmp);
}

static gpointer
log_from_thread(gpointer data)
{
    for (guint i = 0; i < 500; i++)
        cg_info(data, "line %u from a worker", i);
    return NULL;
}

/* Crypto workers log too: lines never interleave. */
static void
test_log_threads(void)
{
    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autofree char *log_path = g_build_filename(tmp.dir, "threads.log", NULL);
    g_ptr_array_add(tmp.files, g_strdup(log_path));
    g_assert_true(cg_log_set_file(log_path, NULL));
    GThread *threads[4];
    static const char *const names[] = { "t0", "t1", "t2", "t3" };
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("log", log_from_thread, (gpointer)names[i]);
    for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
        g_thread_join(threads[i]);
    g_assert_true(cg_log_set_file(NULL, NULL));

    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(log_path, &text, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 2001);
    for (guint i = 0; i < 2000; i++)
        g_assert_true(g_regex_match_simple("^\\S+ INFO \\[t[0-3]\\] line \\d+ from a worker$",
                                           lines[i], 0, 0));
    tmp_dir_clear(&tmp);
}

/* ---- cygnetd keyfiles ------------------------------------------------------- */

/* The examples of docs/cygnetd.md, verbatim. */
static const char gateway_conf[] = "# a gateway for road warriors and one site\n"
                                   "[daemon]\n"
                                   "control-socket=/run/cygnet/cygnetd.sock\n"
                                   "control-group=netadmin\n"
                                   "secrets-file=/etc/cygnet/secrets.conf\n"
                                   "log-level=info\n"
                                   "crypto-workers=2\n"
                                   "dataplane=xfrm\n"
                                   "\n"
                                   "[pool roadwarriors]\n"
                                   "addresses=10.3.0.0/24\n"
                                   "\n"
                                   "[pool roadwarriors6]\n"
                                   "addresses=fd00:3::/112\n"
                                   "\n"
                                   "[connection rw]\n"
                                   "local=192.0.2.1\n"
                                   "remote=%any\n"
                                   "local-id=vpn.example.org\n"
                                   "remote-id=*@example.org\n"
                                   "auth=psk\n"
                                   "ike=aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048\n"
                                   "esp=aes256gcm16,aes128-sha256\n"
                                   "pools=roadwarriors,roadwarriors6\n"
                                   "dns=10.3.0.1,fd00:3::1\n"
                                   "split-include=10.1.0.0/16,10.2.0.0/16\n"
                                   "local-ts=10.1.0.0/16,10.2.0.0/16\n"
                                   "remote-ts=dynamic\n"
                                   "rekey-time=4h\n"
                                   "dpd-delay=30s\n"
                                   "\n"
                                   "[connection site-b]\n"
                                   "local=192.0.2.1\n"
                                   "remote=198.51.100.7\n"
                                   "local-id=vpn.example.org\n"
                                   "remote-id=site-b.example.org\n"
                                   "start=start\n"
                                   "local-ts=10.1.0.0/16\n"
                                   "remote-ts=10.20.0.0/16\n"
                                   "child-rekey-time=1h\n"
                                   "\n"
                                   "[child site-b/voice]\n"
                                   "local-ts=10.1.5.0/24[udp/5060]\n"
                                   "remote-ts=10.20.5.0/24[udp/5060]\n"
                                   "esp=aes128gcm16-x25519\n"
                                   "rekey-time=20m\n";

static const char roadwarrior_conf[] = "[daemon]\n"
                                       "log-level=debug\n"
                                       "unique-ids=no\n"
                                       "\n"
                                       "[connection corp]\n"
                                       "remote=vpn.example.org\n"
                                       "local-id=alice@example.org\n"
                                       "remote-id=vpn.example.org\n"
                                       "vip=both\n"
                                       "start=start\n"
                                       "local-ts=dynamic\n"
                                       "remote-ts=10.1.0.0/16,10.2.0.0/16\n"
                                       "retransmit-timeout=500ms\n"
                                       "retransmit-tries=7\n"
                                       "mobike=yes\n";

static const char example_secrets[] = "[psk roadwarriors]\n"
                                      "ids=vpn.example.org\n"
                                      "secret=0sVGhpcyBpcyBub3QgYSByZWFsIGtleQ==\n"
                                      "\n"
                                      "[psk site-b]\n"
                                      "ids=site-b.example.org,198.51.100.7\n"
                                      "secret=0x6a6b6c6d6e6f70717273\n"
                                      "\n"
                                      "[psk fallback]\n"
                                      "secret=correct horse battery staple\n";

/* Writes contents to name in tmp and loads that as cygnetd's
 * configuration, which must load. */
static CygnetdConfig *
load_config_ok(TmpDir *tmp, const char *name, const char *contents)
{
    g_autofree char *path = tmp_dir_write(tmp, name, contents);
    g_autoptr(GError) error = NULL;
    CygnetdConfig *config = cygnetd_config_load(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(config);
    return config;
}

static CgConnConfig *
find_conn(CygnetdConfig *config, const char *name)
{
    for (guint i = 0; i < config->connections->len; i++) {
        CgConnConfig *c = g_ptr_array_index(config->connections, i);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    g_error("no connection %s", name);
}

static char *
ts_text(GArray *list, guint index)
{
    return cg_ts_config_to_string(&g_array_index(list, CgTsConfig, index));
}

static void
test_load_gateway(void)
{
    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autoptr(CygnetdConfig) config = load_config_ok(&tmp, "gateway.conf", gateway_conf);

    g_assert_cmpstr(config->daemon.control_socket, ==, "/run/cygnet/cygnetd.sock");
    g_assert_cmpstr(config->daemon.control_group, ==, "netadmin");
    g_assert_cmpstr(config->daemon.secrets_file, ==, "/etc/cygnet/secrets.conf");
    g_assert_cmpint(config->daemon.log_level, ==, CG_LOG_INFO);
    g_assert_cmpint(config->daemon.crypto_workers, ==, 2);
    g_assert_cmpstr(config->daemon.dataplane, ==, "xfrm");
    g_assert_cmpint(config->daemon.unique_ids, ==, -1);
    g_assert_cmpint(config->daemon.ike_port, ==, -1);
    g_assert_null(config->daemon.nss_dir);

    g_assert_cmpuint(config->pools->len, ==, 2);
    g_assert_cmpstr(cg_pool_name(g_ptr_array_index(config->pools, 0)), ==, "roadwarriors");
    g_assert_cmpuint(cg_pool_size(g_ptr_array_index(config->pools, 1)), ==, 65535);

    g_assert_cmpuint(config->connections->len, ==, 2);
    CgConnConfig *rw = find_conn(config, "rw");
    g_assert_cmpstr(rw->local_addr, ==, "192.0.2.1");
    g_assert_null(rw->remote_addr);
    g_assert_cmpuint(rw->local_id.type, ==, CG_ID_FQDN);
    g_assert_cmpuint(rw->remote_id.type, ==, CG_ID_RFC822_ADDR);
    g_assert_cmpint(rw->remote_auth, ==, CG_AUTH_BY_PSK);
    g_assert_cmpuint(rw->ike_proposals->len, ==, 2);
    g_autofree char *ike1
        = cg_proposal_to_string(&g_array_index(rw->ike_proposals, CgProposalSpec, 1));
    g_assert_cmpstr(ike1, ==, "aes128-sha256-prfsha256-modp2048");
    g_assert_cmpuint(rw->pools->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(rw->pools, 1), ==, "roadwarriors6");
    g_assert_cmpuint(rw->dns->len, ==, 2);
    g_autofree char *dns1 = g_inet_address_to_string(g_ptr_array_index(rw->dns, 1));
    g_assert_cmpstr(dns1, ==, "fd00:3::1");
    g_assert_cmpuint(rw->split_include->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(rw->split_include, 0), ==, "10.1.0.0/16");
    g_assert_cmpuint(rw->ike_rekey_time_s, ==, 4 * 3600);
    g_assert_cmpuint(rw->rand_time_s, ==, 1440);
    g_assert_cmpuint(rw->dpd_delay_s, ==, 30);
    g_assert_true(rw->unique_ids);
    g_assert_cmpuint(rw->children->len, ==, 1);
    CgChildConfig *rw_child = g_ptr_array_index(rw->children, 0);
    g_assert_cmpstr(rw_child->name, ==, "rw");
    g_assert_cmpuint(rw_child->local_ts->len, ==, 2);
    g_autofree char *rw_remote = ts_text(rw_child->remote_ts, 0);
    g_assert_cmpstr(rw_remote, ==, "dynamic");
    g_assert_cmpuint(rw_child->esp_proposals->len, ==, 2);

    CgConnConfig *site = find_conn(config, "site-b");
    g_assert_cmpint(site->start_action, ==, CG_START_START);
    g_assert_cmpstr(site->remote_addr, ==, "198.51.100.7");
    g_assert_cmpuint(site->ike_proposals->len, ==, 2); /* the default */
    g_assert_cmpuint(site->children->len, ==, 2);
    CgChildConfig *first = g_ptr_array_index(site->children, 0);
    g_assert_cmpstr(first->name, ==, "site-b");
    g_assert_cmpuint(first->rekey_time_s, ==, 3600);
    g_assert_cmpuint(first->life_time_s, ==, 3960);
    CgChildConfig *voice = g_ptr_array_index(site->children, 1);
    g_assert_cmpstr(voice->name, ==, "voice");
    g_autofree char *voice_local = ts_text(voice->local_ts, 0);
    g_assert_cmpstr(voice_local, ==, "10.1.5.0/24[udp/5060]");
    g_assert_cmpuint(voice->esp_proposals->len, ==, 1);
    g_autofree char *voice_esp
        = cg_proposal_to_string(&g_array_index(voice->esp_proposals, CgProposalSpec, 0));
    g_assert_cmpstr(voice_esp, ==, "aes128gcm16-x25519");
    g_assert_cmpuint(voice->rekey_time_s, ==, 1200);
    g_assert_cmpuint(voice->life_time_s, ==, 1320);
    tmp_dir_clear(&tmp);
}

static void
test_load_roadwarrior(void)
{
    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autoptr(GError) error = NULL;
    g_autoptr(CygnetdConfig) config = load_config_ok(&tmp, "rw.conf", roadwarrior_conf);
    g_assert_cmpint(config->daemon.log_level, ==, CG_LOG_DEBUG);
    g_assert_cmpint(config->daemon.unique_ids, ==, 0);
    CgConnConfig *corp = find_conn(config, "corp");
    g_assert_cmpstr(corp->remote_addr, ==, "vpn.example.org");
    g_assert_null(corp->local_addr);
    g_assert_true(corp->request_vip4);
    g_assert_true(corp->request_vip6);
    g_assert_cmpuint(corp->retransmit_timeout_ms, ==, 500);
    g_assert_cmpuint(corp->retransmit_tries, ==, 7);
    g_assert_false(corp->unique_ids);                      /* from [daemon] */
    cygnetd_config_apply_unique_ids_default(config, TRUE); /* --unique-ids=yes */
    g_assert_true(corp->unique_ids);
    g_autofree char *local_id = cg_identity_to_string(&corp->local_id);
    g_assert_cmpstr(local_id, ==, "alice@example.org");
    CgChildConfig *child = g_ptr_array_index(corp->children, 0);
    g_autofree char *remote_ts = ts_text(child->remote_ts, 1);
    g_assert_cmpstr(remote_ts, ==, "10.2.0.0/16");
    tmp_dir_clear(&tmp);

    /* no file at all: an empty config */
    g_autoptr(CygnetdConfig) empty = cygnetd_config_load(NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(empty->connections->len, ==, 0);
    g_assert_cmpint(empty->daemon.natt_port, ==, -1);
}

static void
test_load_values(void)
{
    /* durations, booleans, empty values meaning the default */
    static const char conf[] = "[connection v]\n"
                               "remote=10.0.0.2\n"
                               "local-port=4501\n"
                               "remote-port=4502\n"
                               "auth=pubkey\n"
                               "psk-ids=@shared.example, 10.0.0.9\n"
                               "rekey-time=1d\n"
                               "reauth-time=90m\n"
                               "rand-time=\n"
                               "dpd-delay=0\n"
                               "retransmit-timeout=2\n"
                               "retransmit-base=2.5\n"
                               "encap=TRUE\n"
                               "mobike=0\n"
                               "unique-ids=1\n"
                               "mode=transport\n"
                               "child-rekey-time=600s\n"
                               "child-life-time=15m\n"
                               "child-rekey-bytes=1000000000\n"
                               "child-rekey-packets=500000\n"
                               "log-file=/var/log/cygnet/v.log\n"
                               "dataplane=uesp\n"
                               "vip=ipv4\n";
    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autoptr(GError) error = NULL;
    g_autoptr(CygnetdConfig) config = load_config_ok(&tmp, "v.conf", conf);
    CgConnConfig *c = find_conn(config, "v");
    g_assert_cmpuint(c->local_port, ==, 4501);
    g_assert_cmpuint(c->remote_port, ==, 4502);
    g_assert_cmpint(c->local_auth, ==, CG_AUTH_BY_PUBKEY);
    g_assert_cmpint(c->remote_auth, ==, CG_AUTH_BY_PUBKEY); /* = auth */
    g_assert_cmpuint(c->psk_ids->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(c->psk_ids, 1), ==, "10.0.0.9");
    g_assert_cmpuint(c->ike_rekey_time_s, ==, 86400);
    g_assert_cmpuint(c->reauth_time_s, ==, 5400);
    g_assert_cmpuint(c->rand_time_s, ==, 540); /* 10% of the shorter reauth-time */
    g_assert_cmpuint(c->dpd_delay_s, ==, 0);
    g_assert_cmpuint(c->retransmit_timeout_ms, ==, 2000);
    g_assert_cmpfloat(c->retransmit_base, ==, 2.5);
    g_assert_true(c->force_encap);
    g_assert_false(c->mobike);
    g_assert_true(c->unique_ids);
    cygnetd_config_apply_unique_ids_default(config, FALSE); /* set explicitly: kept */
    g_assert_true(c->unique_ids);
    g_assert_true(c->request_vip4);
    g_assert_false(c->request_vip6);
    g_assert_cmpstr(c->log_file, ==, "/var/log/cygnet/v.log");
    g_assert_cmpstr(c->dataplane, ==, "uesp");
    CgChildConfig *child = g_ptr_array_index(c->children, 0);
    g_assert_cmpint(child->mode, ==, CG_MODE_TRANSPORT);
    g_assert_cmpuint(child->rekey_time_s, ==, 600);
    g_assert_cmpuint(child->life_time_s, ==, 900);
    g_assert_cmpuint(child->rekey_bytes, ==, 1000000000);
    g_assert_cmpuint(child->rekey_packets, ==, 500000);
    tmp_dir_clear(&tmp);
}

/* Loads `conf` from a file and expects an error with exactly
 * "<path>: <message>" (or containing it when `exact` is FALSE). */
static void
assert_load_error(const char *conf, const char *message, gboolean exact)
{
    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autofree char *path = tmp_dir_write(&tmp, "cygnetd.conf", conf);
    g_autoptr(GError) error = NULL;
    g_autoptr(CygnetdConfig) config = cygnetd_config_load(path, &error);
    g_assert_null(config);
    g_assert_nonnull(error);
    g_assert_true(error->domain == CG_CONFIG_ERROR);
    g_autofree char *expected = g_strdup_printf("%s: %s", path, message);
    g_autofree char *path_prefix = g_strdup_printf("%s: ", path);
    g_assert_true(g_str_has_prefix(error->message, path_prefix));
    if (exact)
        g_assert_cmpstr(error->message, ==, expected);
    else
        assert_contains(error->message, message);
    tmp_dir_clear(&tmp);
}

static void
test_load_errors(void)
{
    assert_load_error("[connection foo]\nremot=10.0.0.1\n", "[connection foo] unknown key 'remot'",
                      TRUE);
    assert_load_error("[connection foo]\nike=aes999-sha256\n",
                      "[connection foo] key 'ike': unknown algorithm 'aes999' in proposal "
                      "'aes999-sha256'",
                      TRUE);
    assert_load_error("[connection foo]\nrekey-time=4x\n",
                      "[connection foo] key 'rekey-time': invalid duration '4x' (e.g. 30, 30s, "
                      "10m, 4h, 1d)",
                      TRUE);
    assert_load_error("[connection foo]\ndpd-delay=1500ms\n",
                      "[connection foo] key 'dpd-delay': duration '1500ms' is not a whole "
                      "number of seconds",
                      TRUE);
    assert_load_error("[connection foo]\nrekey-time=99999999999d\n", "is too long", FALSE);
    assert_load_error("[connection foo]\nmobike=maybe\n",
                      "[connection foo] key 'mobike': invalid boolean 'maybe' (yes, no, true, "
                      "false, 1 or 0)",
                      TRUE);
    assert_load_error("[connection foo]\npools=nowhere\n",
                      "[connection foo] key 'pools': unknown pool 'nowhere' (no [pool nowhere])",
                      TRUE);
    assert_load_error("[connection foo]\nremote=10.0.0.1   # the peer\n",
                      "(comments must be on their own line)", FALSE);
    assert_load_error("[connection foo]\nstart=start\n",
                      "[connection foo] key 'remote': a peer address is required with "
                      "start=start",
                      TRUE);
    assert_load_error("[connection foo]\nchild-rekey-time=2h\nchild-life-time=1h\n",
                      "the rekey time (7200 s) must be less than the life time (3600 s)", FALSE);
    assert_load_error("[connection foo]\nremote=not a host\n",
                      "[connection foo] key 'remote': 'not a host' is neither an IP address nor "
                      "a hostname",
                      TRUE);
    assert_load_error("[connection foo]\nlocal-port=0\n", "key 'local-port': invalid number '0'",
                      FALSE);
    assert_load_error("[connection foo]\nvip=ipv5\n",
                      "[connection foo] key 'vip': invalid value 'ipv5' (no, ipv4, ipv6, both)",
                      TRUE);
    assert_load_error("[connection foo]\nauth=eap-md5\n",
                      "unknown authentication method 'eap-md5' (psk, pubkey, eap, eap-mschapv2 "
                      "or eap-tls)",
                      FALSE);
    assert_load_error("[connection foo]\nfragment-size=100\n", "key 'fragment-size'", FALSE);
    assert_load_error("[connection foo]\nkey=/k.pem\n", "key 'key': needs 'cert' as well", FALSE);
    assert_load_error("[connection foo]\neap-only=yes\n", "key 'eap-only': needs EAP", FALSE);
    assert_load_error("[connection foo]\nlocal-ts=10.1.0.5/16\n",
                      "[connection foo] key 'local-ts': traffic selector: '10.1.0.5/16' has host "
                      "bits set (the network is 10.1.0.0/16)",
                      TRUE);
    assert_load_error("[connection foo]\nsplit-include=10.0.0.1-10.0.0.5\n",
                      "a subnet is written as a CIDR", FALSE);
    assert_load_error("[connection foo]\nretransmit-base=0.5\n", "key 'retransmit-base'", FALSE);
    assert_load_error("[connection foo]\nremote-id=has space\n", "key 'remote-id'", FALSE);
    assert_load_error("[connection foo]\nlocal=1.2.3.4\nlocal=1.2.3.5\n",
                      "[connection foo] key 'local' appears twice", TRUE);
    assert_load_error("[connection f/o]\n", "[connection f/o] the name 'f/o' is not", FALSE);
    assert_load_error("[daemon]\nlog-level=loud\n",
                      "[daemon] key 'log-level': invalid log level 'loud' (error, warning, info, "
                      "debug or trace)",
                      TRUE);
    assert_load_error("[daemon]\ndataplane=dpdk\n", "[daemon] key 'dataplane': invalid value",
                      FALSE);
    assert_load_error("[daemon]\nike-port=65536\n", "[daemon] key 'ike-port'", FALSE);
    assert_load_error("[daemon]\nlisten=example.org\n", "[daemon] key 'listen'", FALSE);
    assert_load_error("[daemon]\nunknown=1\n", "[daemon] unknown key 'unknown'", TRUE);
    assert_load_error("[pool p]\n", "[pool p] key 'addresses' is required", TRUE);
    assert_load_error("[pool p]\naddresses=10.3.0.1/24\n",
                      "[pool p] key 'addresses': pool p: '10.3.0.1/24' has host bits set", FALSE);
    assert_load_error("[connections foo]\n", "unknown group [connections foo]", FALSE);
    assert_load_error("[connection a]\n[connection a]\n",
                      "line 2: group [connection a] appears "
                      "twice",
                      TRUE);
    assert_load_error("[daemon]   # x\n", "line 1: a group header must end with ']'", FALSE);
    assert_load_error("[daemon]\njust words\n",
                      "line 2 is not a [group], a key=value pair or a # comment", TRUE);
    assert_load_error("[child nobody/x]\n", "[child nobody/x] has no [connection nobody]", TRUE);
    assert_load_error("[connection a]\n[child a]\n", "must be written [child CONNECTION/CHILD]",
                      FALSE);
    assert_load_error("[connection a]\n[child a/b]\nmode=sideways\n",
                      "[child a/b] key 'mode': invalid value 'sideways' (tunnel, transport)", TRUE);
    assert_load_error("[connection a]\n[child a/a]\n", "[child a/a] child 'a' is defined twice",
                      TRUE);
    assert_load_error("[connection a]\n[child a/b]\nchild-rekey-time=1h\n",
                      "[child a/b] unknown key 'child-rekey-time'", TRUE);

    /* a missing file */
    g_autoptr(GError) error = NULL;
    g_assert_null(cygnetd_config_load("/nonexistent/cygnetd.conf", &error));
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_FILE);
    assert_contains(error->message, "/nonexistent/cygnetd.conf");
}

static GHashTable *
keys_new(const char *first_key, ...)
{
    GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    va_list ap;
    va_start(ap, first_key);
    for (const char *key = first_key; key != NULL; key = va_arg(ap, const char *))
        g_hash_table_insert(keys, g_strdup(key), g_strdup(va_arg(ap, const char *)));
    va_end(ap);
    return keys;
}

static void
test_conn_from_keys(void)
{
    g_autoptr(GHashTable) keys = keys_new("remote", " 10.0.0.2 ", "esp", "aes128gcm16", "ike",
                                          "aes128gcm16-prfsha256-ecp256", "rekey-time", "1h", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(CgConnConfig) conn = cygnetd_conn_from_keys("online", keys, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(conn->remote_addr, ==, "10.0.0.2");
    g_assert_cmpuint(conn->rand_time_s, ==, 360);
    g_assert_cmpuint(conn->children->len, ==, 1);

    g_autoptr(GHashTable) child_keys = keys_new("remote-ts", "10.9.0.0/16", NULL);
    g_assert_true(cygnetd_conn_add_child_from_keys(conn, "second", child_keys, &error));
    g_assert_no_error(error);
    CgChildConfig *second = g_ptr_array_index(conn->children, 1);
    g_assert_cmpuint(second->esp_proposals->len, ==, 1); /* from the connection's esp */

    g_autoptr(GHashTable) bad_child = keys_new("life-time", "10m", NULL);
    g_assert_false(cygnetd_conn_add_child_from_keys(conn, "third", bad_child, &error));
    assert_contains(error->message, "[child online/third] child 'third': key 'rekey-time'");
    g_assert_cmpuint(conn->children->len, ==, 2);
    g_clear_error(&error);

    g_autoptr(GHashTable) bad = keys_new("ike", "aes999", NULL);
    g_assert_null(cygnetd_conn_from_keys("online", bad, &error));
    g_assert_cmpstr(error->message, ==,
                    "[connection online] key 'ike': unknown algorithm 'aes999' in proposal "
                    "'aes999'");
}

static void
test_secrets(void)
{
    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autofree char *path = tmp_dir_write(&tmp, "secrets.conf", example_secrets);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) psks = cygnetd_secrets_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(psks->len, ==, 3);

    CygnetdPsk *rw = g_ptr_array_index(psks, 0);
    g_assert_cmpstr(rw->name, ==, "roadwarriors");
    g_assert_cmpstr(rw->ids[0], ==, "vpn.example.org");
    g_assert_null(rw->ids[1]);
    gsize len;
    const char *data = g_bytes_get_data(rw->secret, &len);
    g_assert_cmpmem(data, len, "This is not a real key", 22);

    CygnetdPsk *site = g_ptr_array_index(psks, 1);
    g_assert_cmpuint(g_strv_length(site->ids), ==, 2);
    data = g_bytes_get_data(site->secret, &len);
    g_assert_cmpmem(data, len, "jklmnopqrs", 10);

    CygnetdPsk *fallback = g_ptr_array_index(psks, 2);
    g_assert_cmpstr(fallback->ids[0], ==, "%any");
    data = g_bytes_get_data(fallback->secret, &len);
    g_assert_cmpmem(data, len, "correct horse battery staple", 28);

    g_autoptr(GBytes) quoted = cygnetd_secret_parse("\" 0x not hex \"", &error);
    g_assert_no_error(error);
    data = g_bytes_get_data(quoted, &len);
    g_assert_cmpmem(data, len, " 0x not hex ", 12);

    g_assert_null(cygnetd_secrets_load("/nonexistent/secrets.conf", &error));
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_FILE);
    g_clear_error(&error);
    g_autoptr(GPtrArray) none = cygnetd_secrets_load(NULL, &error);
    g_assert_cmpuint(none->len, ==, 0);
    tmp_dir_clear(&tmp);
}

/* Errors name file, group and key, but never the secret. */
static void
assert_secrets_error(const char *contents, const char *message, const char *secret)
{
    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autofree char *path = tmp_dir_write(&tmp, "secrets.conf", contents);
    g_autoptr(GError) error = NULL;
    g_assert_null(cygnetd_secrets_load(path, &error));
    g_assert_nonnull(error);
    g_autofree char *path_prefix = g_strdup_printf("%s: ", path);
    g_assert_true(g_str_has_prefix(error->message, path_prefix));
    assert_contains(error->message, message);
    if (secret != NULL)
        g_assert_null(strstr(error->message, secret));
    tmp_dir_clear(&tmp);
}

static void
test_secrets_errors(void)
{
    assert_secrets_error("[psk a]\nsecret=0x6a6b6\n",
                         "[psk a] key 'secret': a hex secret needs an even, non-zero number of "
                         "digits (got 5)",
                         "6a6b6");
    assert_secrets_error("[psk a]\nsecret=0x6a6bzz\n",
                         "[psk a] key 'secret': a hex secret has a non-hex character at position 7",
                         "6a6bzz");
    assert_secrets_error("[psk a]\nsecret=0sbm90 base64!\n",
                         "[psk a] key 'secret': a base64 secret (0s...) is not valid base64",
                         "bm90");
    assert_secrets_error("[psk a]\nsecret=\"\"\n", "[psk a] key 'secret': the secret is empty",
                         NULL);
    assert_secrets_error("[psk a]\nids=10.0.0.1\n", "[psk a] key 'secret' is required", NULL);
    assert_secrets_error("[psk a]\nsecret=x\npassword=hunter2\n", "[psk a] unknown key 'password'",
                         "hunter2");
    assert_secrets_error("[psk a]\nids=has space\nsecret=x\n", "[psk a] key 'ids'", NULL);
    assert_secrets_error("[secret a]\nsecret=x\n", "unknown group [secret a]", NULL);
    /* a stray line that is only a secret is not quoted back */
    assert_secrets_error("[psk a]\nsecret=x\nhunter2\n",
                         "line 3 is not a [group], a key=value pair or a # comment", "hunter2");
}

/* the keys of certificates, EAP and fragmentation, and the [eap] / [pin]
 * groups of the secrets file (the auth issue) */
static void
test_load_auth(void)
{
    static const char conf[] = "[connection gw]\n"
                               "auth=pubkey\n"
                               "remote-auth=eap-mschapv2\n"
                               "cert=/etc/cygnet/gw-chain.pem\n"
                               "key=/etc/cygnet/gw.key\n"
                               "cacert=/etc/cygnet/ca.pem, /etc/cygnet/ca2.pem\n"
                               "crl=/etc/cygnet/ca.crl\n"
                               "eap-only=yes\n"
                               "fragment-size=1400\n"
                               "rsa-pss=yes\n"
                               "\n"
                               "[connection rw]\n"
                               "remote=10.0.0.1\n"
                               "auth=eap\n"
                               "remote-auth=pubkey\n"
                               "eap-identity=alice\n"
                               "fragmentation=no\n"
                               "cert-nickname=SoftHSM:rw\n"
                               "pkcs11-module=/usr/lib/softhsm/libsofthsm2.so\n";
    static const char secrets[] = "[eap users]\n"
                                  "ids=alice, *@corp.test\n"
                                  "secret=\"pass word\"\n"
                                  "[pin token]\n"
                                  "target=SoftHSM\n"
                                  "secret=1234\n";
    TmpDir tmp;
    tmp_dir_init(&tmp);
    g_autofree char *spath = tmp_dir_write(&tmp, "secrets.conf", secrets);
    g_autoptr(GError) error = NULL;
    g_autoptr(CygnetdConfig) config = load_config_ok(&tmp, "auth.conf", conf);
    CgConnConfig *gw = find_conn(config, "gw");
    g_assert_cmpint(gw->local_auth, ==, CG_AUTH_BY_PUBKEY);
    g_assert_cmpint(gw->remote_auth, ==, CG_AUTH_BY_EAP);
    g_assert_cmpint(gw->remote_eap, ==, CG_EAP_MSCHAPV2);
    g_assert_cmpstr(gw->cert, ==, "/etc/cygnet/gw-chain.pem");
    g_assert_cmpstr(gw->key, ==, "/etc/cygnet/gw.key");
    g_assert_cmpuint(gw->cacerts->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(gw->cacerts, 1), ==, "/etc/cygnet/ca2.pem");
    g_assert_cmpuint(gw->crls->len, ==, 1);
    g_assert_true(gw->eap_only);
    g_assert_true(gw->rsa_pss);
    g_assert_true(gw->fragmentation);
    g_assert_cmpuint(gw->fragment_size, ==, 1400);
    CgConnConfig *rw = find_conn(config, "rw");
    g_assert_cmpint(rw->local_auth, ==, CG_AUTH_BY_EAP);
    g_assert_cmpint(rw->local_eap, ==, CG_EAP_ANY);
    g_assert_cmpstr(rw->eap_identity, ==, "alice");
    g_assert_false(rw->fragmentation);
    g_assert_cmpuint(rw->fragment_size, ==, 1280);
    g_assert_cmpstr(rw->cert_nickname, ==, "SoftHSM:rw");

    g_autoptr(GPtrArray) list = cygnetd_secrets_load(spath, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 2);
    CygnetdPsk *eap = list->pdata[0], *pin = list->pdata[1];
    g_assert_cmpint(eap->kind, ==, CYGNETD_SECRET_EAP);
    g_assert_cmpstr(eap->ids[1], ==, "*@corp.test");
    g_assert_cmpmem(g_bytes_get_data(eap->secret, NULL), g_bytes_get_size(eap->secret), "pass word",
                    9);
    g_assert_cmpint(pin->kind, ==, CYGNETD_SECRET_PIN);
    g_assert_cmpstr(pin->target, ==, "SoftHSM");
    tmp_dir_clear(&tmp);

    assert_secrets_error("[pin x]\nsecret=1234\n", "[pin x] key 'target' is required", "1234");
    assert_load_error("[connection foo]\ncert=/a.pem\ncert-nickname=b\n", "exclude each other",
                      FALSE);
    assert_load_error("[connection foo]\npkcs11-module=libsofthsm2.so\n", "absolute path", FALSE);
}

/* docs/cygnetd.md documents every key of the table. */
static void
test_docs_cover_keys(void)
{
    g_autofree char *path = g_build_filename(CG_DOCS_DIR, "cygnetd.md", NULL);
    g_autofree char *docs = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_get_contents(path, &docs, NULL, &error));
    guint n = 0;
    for (const CygnetdKeyInfo *key; (key = cygnetd_config_key(n)) != NULL; n++) {
        g_autofree char *row = g_strdup_printf("| `%s` |", key->key);
        g_autofree char *heading = g_strdup_printf("[%s]", cygnetd_group_to_string(key->group));
        g_assert_nonnull(key->description);
        g_assert_nonnull(key->default_text);
        if (strstr(docs, row) == NULL || strstr(docs, heading) == NULL)
            g_error("docs/cygnetd.md does not document %s in [%s]", key->key,
                    cygnetd_group_to_string(key->group));
    }
    g_assert_cmpuint(n, >, 50);

    /* its examples are the ones tested above, and every ```ini block loads */
    assert_contains(docs, gateway_conf);
    assert_contains(docs, roadwarrior_conf);
    assert_contains(docs, example_secrets);
    TmpDir tmp;
    tmp_dir_init(&tmp);
    guint n_blocks = 0;
    for (const char *p = strstr(docs, "```ini\n"); p != NULL; p = strstr(p, "```ini\n")) {
        p += strlen("```ini\n");
        const char *end = strstr(p, "```");
        g_assert_nonnull(end);
        g_autofree char *block = g_strndup(p, (gsize)(end - p));
        g_autofree char *name = g_strdup_printf("block%u.conf", n_blocks++);
        g_autofree char *block_path = tmp_dir_write(&tmp, name, block);
        if (g_str_has_prefix(block, "[psk ") || g_str_has_prefix(block, "[eap ")
            || g_str_has_prefix(block, "[pin ")) {
            g_autoptr(GPtrArray) psks = cygnetd_secrets_load(block_path, &error);
            g_assert_no_error(error);
            g_assert_cmpuint(psks->len, >, 0);
        } else {
            g_autoptr(CygnetdConfig) config = cygnetd_config_load(block_path, &error);
            g_assert_no_error(error);
            g_assert_cmpuint(config->connections->len, >, 0);
        }
        p = end + 3;
    }
    g_assert_cmpuint(n_blocks, ==, 7);
    tmp_dir_clear(&tmp);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/proposal/tokens", test_proposal_tokens);
    g_test_add_func("/config/proposal/implied-prf", test_proposal_implied_prf);
    g_test_add_func("/config/proposal/to-string", test_proposal_to_string);
    g_test_add_func("/config/proposal/defaults", test_proposal_defaults);
    g_test_add_func("/config/proposal/errors", test_proposal_errors);
    g_test_add_func("/config/identity/parse", test_identity_parse);
    g_test_add_func("/config/identity/matches", test_identity_matches);
    g_test_add_func("/config/ts", test_ts);
    g_test_add_func("/config/pool/v4-cidr", test_pool_v4_cidr);
    g_test_add_func("/config/pool/v4-reuse-order", test_pool_v4_reuse_order);
    g_test_add_func("/config/pool/v6", test_pool_v6);
    g_test_add_func("/config/pool/churn", test_pool_churn);
    g_test_add_func("/config/conn/defaults", test_conn_defaults);
    g_test_add_func("/config/log", test_log);
    g_test_add_func("/config/log/threads", test_log_threads);
    g_test_add_func("/cygnetd/load/gateway", test_load_gateway);
    g_test_add_func("/cygnetd/load/roadwarrior", test_load_roadwarrior);
    g_test_add_func("/cygnetd/load/values", test_load_values);
    g_test_add_func("/cygnetd/load/errors", test_load_errors);
    g_test_add_func("/cygnetd/load/auth", test_load_auth);
    g_test_add_func("/cygnetd/conn-from-keys", test_conn_from_keys);
    g_test_add_func("/cygnetd/secrets", test_secrets);
    g_test_add_func("/cygnetd/secrets/errors", test_secrets_errors);
    g_test_add_func("/cygnetd/docs", test_docs_cover_keys);
    return g_test_run();
}
