/* test-family-nm.c: the vpn.data key address-family as the NetworkManager
 * service checks it (src/service/nm/nm-cygnet-settings.c): every value
 * reaches the engine's connection, anything else is refused naming the
 * key, and a gateway literal of an excluded family is refused. */
#include "config.h"

#include <string.h>

#include "nm-cygnet-keys.h"
#include "nm-cygnet-settings.h"

static NmCygnetSettings *
parse(const char *gateway, const char *family, GError **error)
{
    g_autoptr(GHashTable) data = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(data, (gpointer)NM_CYGNET_KEY_GATEWAY, (gpointer)gateway);
    if (family)
        g_hash_table_insert(data, (gpointer)NM_CYGNET_KEY_ADDRESS_FAMILY, (gpointer)family);
    g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(secrets, (gpointer)NM_CYGNET_SECRET_PSK, (gpointer) "family-test-psk");
    return nm_cygnet_settings_parse(data, secrets, error);
}

static void
test_values(void)
{
    static const struct {
        const char *text;
        CgFamilyPref pref;
    } cases[] = {
        { NM_CYGNET_FAMILY_AUTO, CG_FAMILY_AUTO },
        { NM_CYGNET_FAMILY_IPV6_FIRST, CG_FAMILY_IPV6_FIRST },
        { NM_CYGNET_FAMILY_IPV4_FIRST, CG_FAMILY_IPV4_FIRST },
        { NM_CYGNET_FAMILY_IPV6_ONLY, CG_FAMILY_IPV6_ONLY },
        { NM_CYGNET_FAMILY_IPV4_ONLY, CG_FAMILY_IPV4_ONLY },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(NmCygnetSettings) s = parse("vpn.example.org", cases[i].text, &error);
        g_assert_no_error(error);
        g_assert_cmpint(s->conn->address_family, ==, cases[i].pref);
        g_autoptr(CgConnConfig) conn = nm_cygnet_settings_to_conn(s, "fam", &error);
        g_assert_no_error(error);
        g_assert_cmpint(conn->address_family, ==, cases[i].pref);
    }
    /* unset and empty: auto */
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) unset = parse("vpn.example.org", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(unset->conn->address_family, ==, CG_FAMILY_AUTO);
    g_autoptr(NmCygnetSettings) empty = parse("vpn.example.org", "", &error);
    g_assert_no_error(error);
    g_assert_cmpint(empty->conn->address_family, ==, CG_FAMILY_AUTO);
}

static void
test_refused(void)
{
    static const char *const bad[] = { "ipv6", "IPv6-first", "ipv4-first ", "both", "ipv5-only" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(NmCygnetSettings) s = parse("vpn.example.org", bad[i], &error);
        g_assert_null(s);
        g_assert_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, "vpn.data key 'address-family'"));
    }
    /* a literal gateway of the family excluded */
    g_autoptr(GError) error = NULL;
    g_autoptr(NmCygnetSettings) v6 = parse("2001:db8::1", NM_CYGNET_FAMILY_IPV4_ONLY, &error);
    g_assert_null(v6);
    g_assert_nonnull(strstr(error->message, "vpn.data key 'address-family'"));
    g_assert_nonnull(strstr(error->message, "2001:db8::1"));
    g_clear_error(&error);
    g_autoptr(NmCygnetSettings) v4 = parse("192.0.2.1", NM_CYGNET_FAMILY_IPV6_ONLY, &error);
    g_assert_null(v4);
    g_assert_nonnull(strstr(error->message, "vpn.data key 'address-family'"));
    g_clear_error(&error);
    /* ... while the other family's -first is fine */
    g_autoptr(NmCygnetSettings) ok = parse("192.0.2.1", NM_CYGNET_FAMILY_IPV6_FIRST, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ok);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/family-nm/values", test_values);
    g_test_add_func("/family-nm/refused", test_refused);
    return g_test_run();
}
