/* test-family.c: which of a gateway's addresses an initiator tries, in
 * which order (engine/cg-family.c), and the 'address-family' key's
 * values and checks (config/cg-conn-config.c). */
#include <string.h>

#include "config/cg-config.h"
#include "cygnetd-config.h"
#include "engine/cg-family.h"

/* "2001:db8::1 10.0.0.1" -> GList of GInetAddress, in that order */
static GList *
addresses(const char *text)
{
    g_auto(GStrv) items = g_strsplit(text, " ", -1);
    GList *list = NULL;
    for (guint i = 0; items[i] != NULL; i++) {
        if (!*items[i])
            continue;
        GInetAddress *a = g_inet_address_new_from_string(items[i]);
        g_assert_nonnull(a);
        list = g_list_append(list, a);
    }
    return list;
}

/* the order as "a b c" */
static char *
ordered(const char *resolved, CgFamilyPref pref)
{
    GList *in = addresses(resolved);
    g_autoptr(GPtrArray) out = cg_family_order(in, pref);
    g_list_free_full(in, g_object_unref);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < out->len; i++) {
        g_autofree char *a = g_inet_address_to_string(out->pdata[i]);
        g_string_append_printf(s, "%s%s", i ? " " : "", a);
    }
    return g_string_free(s, FALSE);
}

static void
check(const char *resolved, CgFamilyPref pref, const char *expected)
{
    g_autofree char *got = ordered(resolved, pref);
    if (g_strcmp0(got, expected) != 0)
        g_error("%s of [%s]: got [%s], expected [%s]", cg_family_pref_to_string(pref), resolved,
                got, expected);
}

static void
test_order_auto(void)
{
    /* the resolver's order, families alternating from its first answer */
    check("2001:db8::1 2001:db8::2 10.0.0.1 10.0.0.2", CG_FAMILY_AUTO,
          "2001:db8::1 10.0.0.1 2001:db8::2 10.0.0.2");
    check("10.0.0.1 2001:db8::1", CG_FAMILY_AUTO, "10.0.0.1 2001:db8::1");
    check("10.0.0.2 10.0.0.1 2001:db8::1", CG_FAMILY_AUTO, "10.0.0.2 2001:db8::1 10.0.0.1");
    check("2001:db8::1 10.0.0.1", CG_FAMILY_AUTO, "2001:db8::1 10.0.0.1");
    check("10.0.0.1", CG_FAMILY_AUTO, "10.0.0.1");
    check("", CG_FAMILY_AUTO, "");
}

static void
test_order_first(void)
{
    check("10.0.0.1 10.0.0.2 2001:db8::1", CG_FAMILY_IPV6_FIRST, "2001:db8::1 10.0.0.1 10.0.0.2");
    check("2001:db8::1 10.0.0.1", CG_FAMILY_IPV4_FIRST, "10.0.0.1 2001:db8::1");
    check("2001:db8::1 2001:db8::2 10.0.0.1", CG_FAMILY_IPV4_FIRST,
          "10.0.0.1 2001:db8::1 2001:db8::2");
    /* the preferred family missing: the other one, not nothing */
    check("10.0.0.1 10.0.0.2", CG_FAMILY_IPV6_FIRST, "10.0.0.1 10.0.0.2");
    check("2001:db8::1", CG_FAMILY_IPV4_FIRST, "2001:db8::1");
}

static void
test_order_only(void)
{
    check("10.0.0.1 2001:db8::1 2001:db8::2", CG_FAMILY_IPV6_ONLY, "2001:db8::1 2001:db8::2");
    check("2001:db8::1 10.0.0.1 10.0.0.2", CG_FAMILY_IPV4_ONLY, "10.0.0.1 10.0.0.2");
    check("2001:db8::1", CG_FAMILY_IPV4_ONLY, "");
    check("10.0.0.1", CG_FAMILY_IPV6_ONLY, "");
}

static void
test_order_duplicates(void)
{
    /* a resolver answering one address twice (A records via two paths) */
    check("10.0.0.1 10.0.0.1 2001:db8::1 2001:db8::1", CG_FAMILY_AUTO, "10.0.0.1 2001:db8::1");
    /* an IPv4-mapped IPv6 address is an IPv6 address to a socket */
    check("::ffff:10.0.0.1 10.0.0.1", CG_FAMILY_AUTO, "::ffff:10.0.0.1 10.0.0.1");
}

static void
test_allows(void)
{
    g_assert_true(cg_family_allows(CG_FAMILY_AUTO, G_SOCKET_FAMILY_IPV4));
    g_assert_true(cg_family_allows(CG_FAMILY_AUTO, G_SOCKET_FAMILY_IPV6));
    g_assert_true(cg_family_allows(CG_FAMILY_IPV4_FIRST, G_SOCKET_FAMILY_IPV6));
    g_assert_false(cg_family_allows(CG_FAMILY_IPV4_ONLY, G_SOCKET_FAMILY_IPV6));
    g_assert_false(cg_family_allows(CG_FAMILY_IPV6_ONLY, G_SOCKET_FAMILY_IPV4));
    g_assert_false(cg_family_allows(CG_FAMILY_AUTO, G_SOCKET_FAMILY_UNIX));
}

static void
test_names(void)
{
    static const char *const names[]
        = { "auto", "ipv6-first", "ipv4-first", "ipv6-only", "ipv4-only" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        CgFamilyPref p = CG_FAMILY_AUTO;
        g_assert_true(cg_family_pref_from_string(names[i], &p));
        g_assert_cmpstr(cg_family_pref_to_string(p), ==, names[i]);
    }
    static const char *const bad[] = { "", "ipv6", "inet6", "ipv4-first ", "both" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        CgFamilyPref p = CG_FAMILY_IPV4_ONLY;
        g_assert_false(cg_family_pref_from_string(bad[i], &p));
        g_assert_cmpint(p, ==, CG_FAMILY_IPV4_ONLY);
    }
    CgFamilyPref p;
    g_assert_false(cg_family_pref_from_string(NULL, &p));
    g_assert_cmpstr(cg_family_pref_to_string((CgFamilyPref)42), ==, "unknown");
}

static CgConnConfig *
config_to(const char *remote, CgFamilyPref pref)
{
    CgConnConfig *c = cg_conn_config_new("fam");
    c->remote_addr = g_strdup(remote);
    c->address_family = pref;
    /* a complete connection apart from that: one child with defaults */
    g_ptr_array_add(c->children, cg_child_config_new("fam"));
    return c;
}

static void
test_validate(void)
{
    g_autoptr(GError) error = NULL;
    /* the default is auto */
    g_autoptr(CgConnConfig) d = cg_conn_config_new("d");
    g_assert_cmpint(d->address_family, ==, CG_FAMILY_AUTO);

    /* a literal of the family excluded: refused, naming the key */
    g_autoptr(CgConnConfig) v6only4 = config_to("10.0.0.1", CG_FAMILY_IPV6_ONLY);
    g_assert_false(cg_conn_config_validate(v6only4, &error));
    g_assert_nonnull(strstr(error->message, "key 'address-family'"));
    g_assert_nonnull(strstr(error->message, "10.0.0.1"));
    g_clear_error(&error);
    g_autoptr(CgConnConfig) v4only6 = config_to("2001:db8::1", CG_FAMILY_IPV4_ONLY);
    g_assert_false(cg_conn_config_validate(v4only6, &error));
    g_assert_nonnull(strstr(error->message, "key 'address-family'"));
    g_clear_error(&error);

    /* an out-of-range value (a caller filling the struct by hand) */
    g_autoptr(CgConnConfig) wild = config_to("gw.example.org", (CgFamilyPref)9);
    g_assert_false(cg_conn_config_validate(wild, &error));
    g_assert_nonnull(strstr(error->message, "key 'address-family'"));
    g_clear_error(&error);

    /* host names and matching literals pass */
    g_autoptr(CgConnConfig) name = config_to("gw.example.org", CG_FAMILY_IPV6_ONLY);
    g_assert_true(cg_conn_config_validate(name, &error));
    g_assert_no_error(error);
    g_autoptr(CgConnConfig) lit = config_to("2001:db8::1", CG_FAMILY_IPV6_ONLY);
    g_assert_true(cg_conn_config_validate(lit, &error));
    g_assert_no_error(error);
    g_autoptr(CgConnConfig) any = config_to("%any", CG_FAMILY_IPV4_ONLY);
    g_assert_true(cg_conn_config_validate(any, &error));
    g_assert_no_error(error);
}

/* cygnetd's [connection] key (and cygnetctl load, which uses the same
 * parser) */
static CgConnConfig *
cygnetd_conn(const char *remote, const char *family, GError **error)
{
    g_autoptr(GHashTable) keys = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(keys, (gpointer) "remote", (gpointer)remote);
    if (family)
        g_hash_table_insert(keys, (gpointer) "address-family", (gpointer)family);
    return cygnetd_conn_from_keys("fam", keys, error);
}

static void
test_cygnetd_key(void)
{
    static const struct {
        const char *text;
        CgFamilyPref pref;
    } cases[] = {
        { "auto", CG_FAMILY_AUTO },
        { "ipv6-first", CG_FAMILY_IPV6_FIRST },
        { "ipv4-first", CG_FAMILY_IPV4_FIRST },
        { "ipv6-only", CG_FAMILY_IPV6_ONLY },
        { "ipv4-only", CG_FAMILY_IPV4_ONLY },
        { "IPv6-First", CG_FAMILY_IPV6_FIRST },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(CgConnConfig) c = cygnetd_conn("gw.example.org", cases[i].text, &error);
        g_assert_no_error(error);
        g_assert_cmpint(c->address_family, ==, cases[i].pref);
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(CgConnConfig) unset = cygnetd_conn("gw.example.org", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(unset->address_family, ==, CG_FAMILY_AUTO);

    g_autoptr(CgConnConfig) bad = cygnetd_conn("gw.example.org", "ipv6", &error);
    g_assert_null(bad);
    g_assert_nonnull(strstr(error->message, "key 'address-family'"));
    g_assert_nonnull(strstr(error->message, "ipv6"));
    g_clear_error(&error);
    g_autoptr(CgConnConfig) excluded = cygnetd_conn("2001:db8::1", "ipv4-only", &error);
    g_assert_null(excluded);
    g_assert_nonnull(strstr(error->message, "key 'address-family'"));
    g_assert_nonnull(strstr(error->message, "2001:db8::1"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/family/order/auto", test_order_auto);
    g_test_add_func("/family/order/first", test_order_first);
    g_test_add_func("/family/order/only", test_order_only);
    g_test_add_func("/family/order/duplicates", test_order_duplicates);
    g_test_add_func("/family/allows", test_allows);
    g_test_add_func("/family/names", test_names);
    g_test_add_func("/family/validate", test_validate);
    g_test_add_func("/family/cygnetd-key", test_cygnetd_key);
    return g_test_run();
}
