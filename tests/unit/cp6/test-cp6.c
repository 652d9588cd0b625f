/* test-cp6.c: a gateway's configuration payload reply (RFC 7296 3.15.1)
 * checked attribute by attribute: good IPv6 and IPv4 values are taken,
 * and each malformed one (wrong length, an IPv4-sized value in an IPv6
 * attribute or the other way round, a prefix length over 128, a bad
 * INTERNAL_IP6_SUBNET, addresses no host can have) is refused with a
 * reason, leaves nothing to install, and never crashes. */
#include <string.h>

#include "codec/cg-codec.h"
#include "sa/cg-cp-reply.h"

/* A CP payload body under construction: CFG type, 3 reserved bytes, then
 * attributes (type, length, value). */
static GByteArray *
cp_new(guint8 cfg_type)
{
    GByteArray *b = g_byte_array_new();
    guint8 header[4] = { cfg_type, 0, 0, 0 };
    g_byte_array_append(b, header, sizeof(header));
    return b;
}

static void
cp_attr(GByteArray *b, guint16 type, const guint8 *value, guint16 len)
{
    guint8 h[4] = { (guint8)(type >> 8), (guint8)type, (guint8)(len >> 8), (guint8)len };
    g_byte_array_append(b, h, sizeof(h));
    if (len)
        g_byte_array_append(b, value, len);
}

/* an address literal (+ optional trailing byte, e.g. a prefix length) */
static guint
addr_bytes(const char *text, gint extra, guint8 out[17])
{
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(text);
    g_assert_nonnull(a);
    guint n = (guint)g_inet_address_get_native_size(a);
    memcpy(out, g_inet_address_to_bytes(a), n);
    if (extra >= 0)
        out[n++] = (guint8)extra;
    return n;
}

static void
cp_addr(GByteArray *b, guint16 type, const char *text, gint extra)
{
    guint8 v[17];
    guint n = addr_bytes(text, extra, v);
    cp_attr(b, type, v, (guint16)n);
}

static CgCpReply *
parse_ok(GByteArray *b)
{
    g_autoptr(GError) error = NULL;
    CgCpReply *r = cg_cp_reply_parse(b->data, b->len, &error);
    g_assert_no_error(error);
    g_assert_nonnull(r);
    return r;
}

static void
assert_nothing_installed(const CgCpReply *r)
{
    g_assert_cmpuint(r->vips->len, ==, 0);
    g_assert_cmpuint(r->vip_prefix_lens->len, ==, 0);
    g_assert_cmpuint(r->dns->len, ==, 0);
    g_assert_cmpuint(r->subnets->len, ==, 0);
}

static void
assert_rejected(const CgCpReply *r, guint index, const char *want)
{
    g_assert_cmpuint(r->rejected->len, >, index);
    const char *why = r->rejected->pdata[index];
    if (!strstr(why, want))
        g_error("reason '%s' does not say '%s'", why, want);
}

static char *
addr_at(GPtrArray *list, guint i)
{
    return g_inet_address_to_string(list->pdata[i]);
}

/* a well-formed dual-stack reply: everything taken, nothing refused */
static void
test_good_reply(void)
{
    g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
    cp_addr(b, CG_CA_INTERNAL_IP6_ADDRESS, "fd73::5", 64);
    cp_addr(b, CG_CA_INTERNAL_IP4_ADDRESS, "10.73.0.5", -1);
    cp_addr(b, CG_CA_INTERNAL_IP6_DNS, "fd72::53", -1);
    cp_addr(b, CG_CA_INTERNAL_IP4_DNS, "10.72.0.53", -1);
    cp_addr(b, CG_CA_INTERNAL_IP6_SUBNET, "fd75:1:2::", 48);
    guint8 s4[8] = { 10, 72, 0, 0, 255, 255, 0, 0 };
    cp_attr(b, CG_CA_INTERNAL_IP4_SUBNET, s4, 8);
    cp_attr(b, CG_CA_INTERNAL_DNS_DOMAIN, (const guint8 *)"corp.example", 12);
    cp_attr(b, 0x4321 & 0x7fff, (const guint8 *)"x", 1); /* unknown: ignored */
    g_autoptr(CgCpReply) r = parse_ok(b);

    g_assert_cmpuint(r->rejected->len, ==, 0);
    g_assert_cmpuint(r->vips->len, ==, 2);
    g_autofree char *v6 = addr_at(r->vips, 0);
    g_autofree char *v4 = addr_at(r->vips, 1);
    g_assert_cmpstr(v6, ==, "fd73::5");
    g_assert_cmpstr(v4, ==, "10.73.0.5");
    /* RFC 7296 3.15.1: the prefix length travels with the IPv6 address */
    g_assert_cmpuint(g_array_index(r->vip_prefix_lens, guint8, 0), ==, 64);
    g_assert_cmpuint(g_array_index(r->vip_prefix_lens, guint8, 1), ==, 32);
    g_assert_cmpuint(r->dns->len, ==, 2);
    g_autofree char *d6 = addr_at(r->dns, 0);
    g_assert_cmpstr(d6, ==, "fd72::53");
    g_assert_cmpuint(r->subnets->len, ==, 2);
    g_assert_cmpstr(r->subnets->pdata[0], ==, "fd75:1:2::/48");
    g_assert_cmpstr(r->subnets->pdata[1], ==, "10.72.0.0/16");
    g_assert_cmpuint(r->dns_domains->len, ==, 1);
}

/* INTERNAL_IP6_ADDRESS of the wrong length: 16 (no prefix), 18, 4 */
static void
test_ip6_address_bad_length(void)
{
    g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
    cp_addr(b, CG_CA_INTERNAL_IP6_ADDRESS, "fd73::5", -1);
    guint8 v18[18] = { 0xfd, 0x73 };
    cp_attr(b, CG_CA_INTERNAL_IP6_ADDRESS, v18, 18);
    cp_addr(b, CG_CA_INTERNAL_IP6_ADDRESS, "10.73.0.5", -1);
    g_autoptr(CgCpReply) r = parse_ok(b);
    assert_nothing_installed(r);
    g_assert_cmpuint(r->rejected->len, ==, 3);
    assert_rejected(r, 0, "INTERNAL_IP6_ADDRESS: 16 bytes (want 17)");
    assert_rejected(r, 1, "INTERNAL_IP6_ADDRESS: 18 bytes (want 17)");
    assert_rejected(r, 2, "IPv4-sized value in an IPv6 attribute");
}

/* a prefix length over 128 */
static void
test_ip6_prefix_over_128(void)
{
    for (guint prefix = 129; prefix <= 255; prefix += 126) {
        g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
        cp_addr(b, CG_CA_INTERNAL_IP6_ADDRESS, "fd73::5", (gint)prefix);
        g_autoptr(CgCpReply) r = parse_ok(b);
        assert_nothing_installed(r);
        g_autofree char *want = g_strdup_printf("prefix length %u is over 128", prefix);
        assert_rejected(r, 0, want);
    }
    /* the bounds themselves are fine */
    g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
    cp_addr(b, CG_CA_INTERNAL_IP6_ADDRESS, "fd73::5", 128);
    g_autoptr(CgCpReply) r = parse_ok(b);
    g_assert_cmpuint(r->vips->len, ==, 1);
    g_assert_cmpuint(g_array_index(r->vip_prefix_lens, guint8, 0), ==, 128);
}

/* IPv6-sized values in IPv4 attributes, IPv4-sized ones in IPv6 DNS */
static void
test_family_mismatch(void)
{
    g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
    cp_addr(b, CG_CA_INTERNAL_IP4_ADDRESS, "fd73::5", -1);
    cp_addr(b, CG_CA_INTERNAL_IP4_ADDRESS, "fd73::5", 64);
    cp_addr(b, CG_CA_INTERNAL_IP4_DNS, "fd72::53", -1);
    cp_addr(b, CG_CA_INTERNAL_IP6_DNS, "10.72.0.53", -1);
    cp_addr(b, CG_CA_INTERNAL_IP6_DNS, "fd72::53", 64); /* DNS has no prefix */
    g_autoptr(CgCpReply) r = parse_ok(b);
    assert_nothing_installed(r);
    g_assert_cmpuint(r->rejected->len, ==, 5);
    assert_rejected(r, 0, "INTERNAL_IP4_ADDRESS: 16 bytes is an IPv6-sized value in an IPv4");
    assert_rejected(r, 1, "INTERNAL_IP4_ADDRESS: 17 bytes is an IPv6-sized value");
    assert_rejected(r, 2, "INTERNAL_IP4_DNS: 16 bytes is an IPv6-sized value");
    assert_rejected(r, 3, "INTERNAL_IP6_DNS: 4 bytes is an IPv4-sized value in an IPv6");
    assert_rejected(r, 4, "INTERNAL_IP6_DNS: 17 bytes (want 16)");
}

/* malformed INTERNAL_IP6_SUBNET: lengths, prefix; host bits are cleared */
static void
test_ip6_subnet(void)
{
    g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
    cp_addr(b, CG_CA_INTERNAL_IP6_SUBNET, "fd75::", -1);    /* 16 bytes */
    cp_addr(b, CG_CA_INTERNAL_IP6_SUBNET, "10.75.0.0", 16); /* 5 bytes */
    guint8 s4[8] = { 10, 75, 0, 0, 255, 255, 0, 0 };
    cp_attr(b, CG_CA_INTERNAL_IP6_SUBNET, s4, 8);         /* v4 subnet */
    cp_addr(b, CG_CA_INTERNAL_IP6_SUBNET, "fd75::", 129); /* prefix */
    cp_attr(b, CG_CA_INTERNAL_IP6_SUBNET, NULL, 0);       /* empty */
    g_autoptr(CgCpReply) r = parse_ok(b);
    assert_nothing_installed(r);
    g_assert_cmpuint(r->rejected->len, ==, 5);
    assert_rejected(r, 0, "INTERNAL_IP6_SUBNET: 16 bytes (want 17)");
    assert_rejected(r, 1, "INTERNAL_IP6_SUBNET: 5 bytes (want 17)");
    assert_rejected(r, 2, "INTERNAL_IP6_SUBNET: 8 bytes is an IPv4-sized value");
    assert_rejected(r, 3, "INTERNAL_IP6_SUBNET: prefix length 129 is over 128");
    assert_rejected(r, 4, "INTERNAL_IP6_SUBNET: empty value");

    g_autoptr(GByteArray) good = cp_new(CG_CFG_REPLY);
    cp_addr(good, CG_CA_INTERNAL_IP6_SUBNET, "fd75:1:2:3::1", 48);
    cp_addr(good, CG_CA_INTERNAL_IP6_SUBNET, "fd75:1:2::", 48); /* the same again */
    cp_addr(good, CG_CA_INTERNAL_IP6_SUBNET, "::", 0);          /* everything */
    g_autoptr(CgCpReply) g = parse_ok(good);
    g_assert_cmpuint(g->rejected->len, ==, 0);
    g_assert_cmpuint(g->subnets->len, ==, 2);
    g_assert_cmpstr(g->subnets->pdata[0], ==, "fd75:1:2::/48");
    g_assert_cmpstr(g->subnets->pdata[1], ==, "::/0");
}

/* IPv4 subnets: the netmask must be a prefix */
static void
test_ip4_subnet(void)
{
    g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
    guint8 holes[8] = { 10, 75, 0, 0, 255, 0, 255, 0 };
    cp_attr(b, CG_CA_INTERNAL_IP4_SUBNET, holes, 8);
    cp_addr(b, CG_CA_INTERNAL_IP4_SUBNET, "fd75::", 64);
    g_autoptr(CgCpReply) r = parse_ok(b);
    assert_nothing_installed(r);
    assert_rejected(r, 0, "netmask 255.0.255.0 is not a prefix");
    assert_rejected(r, 1, "IPv6-sized value in an IPv4 attribute");
}

/* addresses no host can be given */
static void
test_unusable_addresses(void)
{
    static const struct {
        guint16 type;
        const char *addr;
        const char *reason;
    } cases[] = {
        { CG_CA_INTERNAL_IP6_ADDRESS, "::", "the unspecified address" },
        { CG_CA_INTERNAL_IP6_ADDRESS, "ff02::1", "a multicast address" },
        { CG_CA_INTERNAL_IP6_ADDRESS, "::1", "a loopback address" },
        { CG_CA_INTERNAL_IP6_ADDRESS, "fe80::1", "a link-local address" },
        { CG_CA_INTERNAL_IP4_ADDRESS, "0.0.0.0", "the unspecified address" },
        { CG_CA_INTERNAL_IP4_ADDRESS, "255.255.255.255", "the broadcast address" },
        { CG_CA_INTERNAL_IP4_ADDRESS, "224.0.0.1", "a multicast address" },
        { CG_CA_INTERNAL_IP6_DNS, "::", "the unspecified address" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
        cp_addr(b, cases[i].type, cases[i].addr,
                cases[i].type == CG_CA_INTERNAL_IP6_ADDRESS ? 64 : -1);
        g_autoptr(CgCpReply) r = parse_ok(b);
        assert_nothing_installed(r);
        assert_rejected(r, 0, cases[i].reason);
    }
}

/* one bad attribute does not take the good ones with it */
static void
test_bad_next_to_good(void)
{
    g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
    cp_addr(b, CG_CA_INTERNAL_IP6_ADDRESS, "fd73::5", 200);
    cp_addr(b, CG_CA_INTERNAL_IP6_ADDRESS, "fd73::6", 64);
    cp_addr(b, CG_CA_INTERNAL_IP6_ADDRESS, "fd73::6", 64); /* repeated */
    cp_attr(b, CG_CA_INTERNAL_IP6_ADDRESS, NULL, 0);
    g_autoptr(CgCpReply) r = parse_ok(b);
    g_assert_cmpuint(r->vips->len, ==, 1);
    g_autofree char *v = addr_at(r->vips, 0);
    g_assert_cmpstr(v, ==, "fd73::6");
    g_assert_cmpuint(r->rejected->len, ==, 2);
    assert_rejected(r, 1, "empty value in a reply");
}

/* the payload itself malformed, or not a reply: an error, no result */
static void
test_malformed_payload(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) req = cp_new(CG_CFG_REQUEST);
    cp_attr(req, CG_CA_INTERNAL_IP6_ADDRESS, NULL, 0);
    g_assert_null(cg_cp_reply_parse(req->data, req->len, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED);
    g_clear_error(&error);

    /* an attribute whose length runs past the payload */
    g_autoptr(GByteArray) b = cp_new(CG_CFG_REPLY);
    guint8 h[4] = { 0, CG_CA_INTERNAL_IP6_ADDRESS, 0, 17 };
    g_byte_array_append(b, h, 4);
    g_byte_array_append(b, (const guint8 *)"\xfd\x73", 2);
    g_assert_null(cg_cp_reply_parse(b->data, b->len, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_TRUNCATED);
    g_clear_error(&error);

    /* half an attribute header, and no header at all */
    g_assert_null(cg_cp_reply_parse(b->data, 6, &error));
    g_clear_error(&error);
    g_assert_null(cg_cp_reply_parse(b->data, 2, &error));
    g_clear_error(&error);
    g_assert_null(cg_cp_reply_parse(NULL, 0, &error));
    g_assert_nonnull(error);
}

/* random bytes after a valid header: never a crash (ASan/UBSan watch) */
static void
test_random_bytes(void)
{
    GRand *rand = g_rand_new_with_seed(7296);
    guint8 buf[256];
    for (guint round = 0; round < 20000; round++) {
        gsize len = 4 + g_rand_int_range(rand, 0, sizeof(buf) - 4);
        for (gsize i = 0; i < len; i++)
            buf[i] = (guint8)g_rand_int(rand);
        buf[0] = CG_CFG_REPLY;
        /* bias towards the attributes under test and plausible lengths */
        if (len >= 8) {
            buf[4] = 0;
            buf[5] = (guint8)g_rand_int_range(rand, 1, 26);
            buf[6] = 0;
            buf[7] = (guint8)g_rand_int_range(rand, 0, 20);
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(CgCpReply) r = cg_cp_reply_parse(buf, len, &error);
        g_assert_true((r == NULL) == (error != NULL));
        if (r)
            g_assert_cmpuint(r->vips->len, ==, r->vip_prefix_lens->len);
    }
    g_rand_free(rand);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cp6/good-reply", test_good_reply);
    g_test_add_func("/cp6/ip6-address-bad-length", test_ip6_address_bad_length);
    g_test_add_func("/cp6/ip6-prefix-over-128", test_ip6_prefix_over_128);
    g_test_add_func("/cp6/family-mismatch", test_family_mismatch);
    g_test_add_func("/cp6/ip6-subnet", test_ip6_subnet);
    g_test_add_func("/cp6/ip4-subnet", test_ip4_subnet);
    g_test_add_func("/cp6/unusable-addresses", test_unusable_addresses);
    g_test_add_func("/cp6/bad-next-to-good", test_bad_next_to_good);
    g_test_add_func("/cp6/malformed-payload", test_malformed_payload);
    g_test_add_func("/cp6/random-bytes", test_random_bytes);
    return g_test_run();
}
