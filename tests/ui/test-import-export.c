/* test-import-export: the editor plugin without a display.
 *  - Cygnet's own format: export and import give back the same connection;
 *  - Apple .mobileconfig: a PSK profile maps key for key; export and
 *    import again keep every mapped key; a signed profile imports; an EAP
 *    profile (user name, password, the CA in a root payload) and a
 *    certificate profile (a pkcs12 payload) import with their files; a
 *    file asking for a missing certificate, 3DES or on-demand is refused
 *    naming them;
 *  - strongSwan .sswan: EAP (user name and password) and certificate
 *    profiles import, their embedded CA certificate and PKCS#12 file
 *    written to the user's data directory (mode 0600); export and import
 *    again give the same connection; what Cygnet cannot do (two
 *    authentication rounds, BYOD, app selections, ...) is refused naming
 *    every item, with no connection and no file made; a PSK cannot be
 *    exported;
 *  - malformed files of each format: a clear error and no connection;
 *  - the plugin .so as NetworkManager loads it: name, service,
 *    capabilities, import through NMVpnEditorPlugin.
 * Environment: CG_UI_DATA (tests/ui/data), CG_PLUGIN (the plugin .so).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "nm-cygnet-formats.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-plist.h"
#include "nm-cygnet-validate.h"

static char *tmp_dir;

static char *
data_path(const char *name)
{
    return g_build_filename(g_getenv("CG_UI_DATA"), name, NULL);
}

static char *
tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

static NMConnection *
full_connection(void)
{
    NMConnection *connection = nm_simple_connection_new();
    NMSetting *s_con = nm_setting_connection_new();
    g_object_set(s_con, NM_SETTING_CONNECTION_ID, "corp: full", NM_SETTING_CONNECTION_UUID,
                 "0b6f2c4e-8a1d-4f3b-9c7e-1d2e3f4a5b6c", NM_SETTING_CONNECTION_TYPE,
                 NM_SETTING_VPN_SETTING_NAME, NULL);
    nm_connection_add_setting(connection, s_con);
    NMSettingVpn *s_vpn = NM_SETTING_VPN(nm_setting_vpn_new());
    g_object_set(s_vpn, NM_SETTING_VPN_SERVICE_TYPE, NM_CYGNET_DBUS_SERVICE, NULL);
    const char *items[][2] = {
        { NM_CYGNET_KEY_GATEWAY, "vpn.example.org" },
        { NM_CYGNET_KEY_PORT, "4500" },
        { NM_CYGNET_KEY_LOCAL_ID, "alice@example.org" },
        { NM_CYGNET_KEY_REMOTE_ID, "*.example.org" },
        { NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_PSK },
        { NM_CYGNET_KEY_IKE, "aes256gcm16-prfsha256-x25519,aes256-sha256-modp2048" },
        { NM_CYGNET_KEY_ESP, "aes256gcm16" },
        { NM_CYGNET_KEY_VIRTUAL_IP, NM_CYGNET_VIP_BOTH },
        { NM_CYGNET_KEY_LOCAL_TS, "dynamic" },
        { NM_CYGNET_KEY_REMOTE_TS, "10.1.0.0/16,2001:db8::/32,10.9.0.1-10.9.0.9" },
        { NM_CYGNET_KEY_DPD_DELAY, "45s" },
        { NM_CYGNET_KEY_REKEY_TIME, "3h" },
        { NM_CYGNET_KEY_REAUTH_TIME, "1d" },
        { NM_CYGNET_KEY_CHILD_REKEY_TIME, "50m" },
        { NM_CYGNET_KEY_CHILD_LIFE_TIME, "1h" },
        { NM_CYGNET_KEY_RETRANSMIT_TIMEOUT, "500ms" },
        { NM_CYGNET_KEY_RETRANSMIT_TRIES, "3" },
        { NM_CYGNET_KEY_ENCAP, "yes" },
        { NM_CYGNET_KEY_MOBIKE, "no" },
        { NM_CYGNET_KEY_DATAPLANE, NM_CYGNET_DATAPLANE_UESP },
        { NM_CYGNET_KEY_MTU, "1400" },
        { NM_CYGNET_KEY_PSK_FLAGS, "0" },
        { NM_CYGNET_KEY_ADDRESS_FAMILY, NM_CYGNET_FAMILY_IPV6_FIRST },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(items); i++)
        nm_setting_vpn_add_data_item(s_vpn, items[i][0], items[i][1]);
    nm_setting_vpn_add_secret(s_vpn, NM_CYGNET_SECRET_PSK, "pa=ss;word\nwith = odd # bits");
    nm_connection_add_setting(connection, NM_SETTING(s_vpn));
    NMSetting *s_ip4 = nm_setting_ip4_config_new();
    g_object_set(s_ip4, NM_SETTING_IP_CONFIG_METHOD, NM_SETTING_IP4_CONFIG_METHOD_AUTO,
                 NM_SETTING_IP_CONFIG_NEVER_DEFAULT, TRUE, NULL);
    nm_setting_ip_config_add_dns_search(NM_SETTING_IP_CONFIG(s_ip4), "corp.example");
    nm_connection_add_setting(connection, s_ip4);
    NMSetting *s_ip6 = nm_setting_ip6_config_new();
    g_object_set(s_ip6, NM_SETTING_IP_CONFIG_METHOD, NM_SETTING_IP6_CONFIG_METHOD_AUTO, NULL);
    nm_setting_ip_config_add_dns_search(NM_SETTING_IP_CONFIG(s_ip6), "corp.example");
    nm_connection_add_setting(connection, s_ip6);
    g_assert_true(nm_connection_verify(connection, NULL));
    return connection;
}

static void
test_native_round_trip(void)
{
    g_autoptr(NMConnection) original = full_connection();
    g_autofree char *path = tmp_path("corp.cygnet");
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_export_file(path, original, &error));
    g_assert_no_error(error);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600); /* it holds the PSK */
    g_autoptr(NMConnection) imported = cg_import_file(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(imported);
    g_assert_true(nm_connection_compare(original, imported, NM_SETTING_COMPARE_FLAG_EXACT));
}

static void
test_validate_values(void)
{
    static const char *const good[][2] = {
        { NM_CYGNET_KEY_PORT, "500" },
        { NM_CYGNET_KEY_RETRANSMIT_TIMEOUT, "1ms" },
        { NM_CYGNET_KEY_DPD_DELAY, "0" },
        { NM_CYGNET_KEY_REMOTE_TS, "10.0.0.0/8[tcp/443], ::/0" },
        { NM_CYGNET_KEY_IKE, "aes128-sha256-modp2048" },
        { NM_CYGNET_KEY_ESP, "chacha20poly1305-esn" },
        { NM_CYGNET_KEY_GATEWAY, "2001:db8::1" },
        { NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_EAP },
        { NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_CERT },
        { NM_CYGNET_KEY_EAP_METHOD, NM_CYGNET_EAP_TLS },
        { NM_CYGNET_KEY_USER, "alice smith" },
        { NM_CYGNET_KEY_CA_CERT, "/etc/ssl/certs/corp-ca.pem" },
        { NM_CYGNET_KEY_PASSWORD_FLAGS, "2" },
        { NM_CYGNET_KEY_ADDRESS_FAMILY, NM_CYGNET_FAMILY_IPV4_ONLY },
        { NM_CYGNET_KEY_ADDRESS_FAMILY, NM_CYGNET_FAMILY_AUTO },
        { NM_CYGNET_KEY_OCSP, "soft" },
        { NM_CYGNET_KEY_OCSP, "hard" },
        { NM_CYGNET_KEY_OCSP, "no" },
    };
    static const char *const bad[][3] = {
        { NM_CYGNET_KEY_PORT, "99999", "not a number from 1 to 65535" },
        { NM_CYGNET_KEY_DPD_DELAY, "500ms", "not a duration" },
        { NM_CYGNET_KEY_RETRANSMIT_TIMEOUT, "61s", "between 1ms and 60s" },
        { NM_CYGNET_KEY_REMOTE_TS, "10.1.2.3/16", "not a network" },
        { NM_CYGNET_KEY_IKE, "aes999-sha256-modp2048", "Unknown algorithm “aes999”" },
        { NM_CYGNET_KEY_IKE, "aes128gcm16-sha256-x25519", "mixes AEAD" },
        { NM_CYGNET_KEY_ESP, "aes128", "no integrity" },
        { NM_CYGNET_KEY_GATEWAY, "bad host!", "not a host name" },
        { NM_CYGNET_KEY_AUTH, "xauth", "not supported" },
        { NM_CYGNET_KEY_EAP_METHOD, "md5", "not one of" },
        { NM_CYGNET_KEY_CA_CERT, "certs/ca.pem", "not an absolute path" },
        { NM_CYGNET_KEY_PIN_FLAGS, "8", "0 to 7" },
        { NM_CYGNET_KEY_USER, "bad\tname", "characters a name cannot have" },
        { NM_CYGNET_KEY_MTU, "100", "576 to 65535" },
        { "remote-idd", "x", "Unknown setting" },
        { NM_CYGNET_KEY_ADDRESS_FAMILY, "ipv7-only", "not one of" },
        { NM_CYGNET_KEY_OCSP, "yes", "not one of no, soft, hard" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;
        if (!cg_validate_value(good[i][0], good[i][1], &error))
            g_error("%s = %s refused: %s", good[i][0], good[i][1], error->message);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_assert_false(cg_validate_value(bad[i][0], bad[i][1], &error));
        if (strstr(error->message, bad[i][2]) == NULL)
            g_error("%s = %s: '%s' lacks '%s'", bad[i][0], bad[i][1], error->message, bad[i][2]);
    }

    /* the rules across keys */
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_validate_family_gateway(NM_CYGNET_FAMILY_IPV4_ONLY, "vpn.example.org", NULL));
    g_assert_true(cg_validate_family_gateway(NM_CYGNET_FAMILY_IPV6_FIRST, "192.0.2.1", NULL));
    g_assert_true(cg_validate_family_gateway(NM_CYGNET_FAMILY_IPV6_ONLY, "2001:db8::1", NULL));
    g_assert_false(cg_validate_family_gateway(NM_CYGNET_FAMILY_IPV6_ONLY, "192.0.2.1", &error));
    g_assert_nonnull(strstr(error->message, "192.0.2.1"));
    g_clear_error(&error);
    g_assert_false(cg_validate_family_gateway(NM_CYGNET_FAMILY_IPV4_ONLY, "2001:db8::1", &error));
    g_clear_error(&error);
    g_assert_true(cg_validate_ocsp_auth("hard", NM_CYGNET_AUTH_EAP, NULL));
    g_assert_true(cg_validate_ocsp_auth("soft", NM_CYGNET_AUTH_CERT, NULL));
    g_assert_true(cg_validate_ocsp_auth("no", NM_CYGNET_AUTH_PSK, NULL));
    g_assert_false(cg_validate_ocsp_auth("soft", NM_CYGNET_AUTH_PSK, &error));
    g_assert_nonnull(strstr(error->message, "OCSP"));
    g_clear_error(&error);
    /* an import is refused the same way as the service refuses it */
    g_autoptr(GHashTable) data = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(data, NM_CYGNET_KEY_GATEWAY, "2001:db8::7");
    g_hash_table_insert(data, NM_CYGNET_KEY_ADDRESS_FAMILY, NM_CYGNET_FAMILY_IPV4_ONLY);
    g_assert_false(cg_validate_data(data, &error));
    g_assert_nonnull(strstr(error->message, "address-family"));
}

/* the algorithm names agree with docs/cygnetd.md's table */
static void
test_algorithms_match_doc(void)
{
    g_autofree char *doc_path
        = g_build_filename(g_getenv("CG_SOURCE_ROOT"), "docs", "cygnetd.md", NULL);
    g_autofree char *doc = NULL;
    g_assert_true(g_file_get_contents(doc_path, &doc, NULL, NULL));
    const char *const *names = cg_proposal_algorithms();
    for (gsize i = 0; names[i]; i++) {
        g_autofree char *quoted = g_strdup_printf("`%s`", names[i]);
        if (strstr(doc, quoted) == NULL)
            g_error("algorithm %s is not in docs/cygnetd.md", names[i]);
    }
}

static NMConnection *
import_ok(const char *name)
{
    g_autofree char *path = data_path(name);
    g_autoptr(GError) error = NULL;
    NMConnection *connection = cg_import_file(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(connection);
    return connection;
}

static void
assert_data(NMConnection *connection, const char *key, const char *expected)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, key), ==, expected);
}

static void
test_mobileconfig_import(void)
{
    g_autoptr(NMConnection) connection = import_ok("psk.mobileconfig");
    g_assert_cmpstr(nm_connection_get_id(connection), ==, "Corp & Partners");
    g_assert_cmpstr(nm_connection_get_uuid(connection), ==, "4b2c3e1a-9f0d-4c55-8d9e-3a7b1c2d4e5f");
    assert_data(connection, NM_CYGNET_KEY_GATEWAY, "vpn.example.org");
    assert_data(connection, NM_CYGNET_KEY_REMOTE_ID, "vpn.example.org");
    assert_data(connection, NM_CYGNET_KEY_LOCAL_ID, "alice@example.org");
    assert_data(connection, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_PSK);
    assert_data(connection, NM_CYGNET_KEY_PSK_FLAGS, "0");
    assert_data(connection, NM_CYGNET_KEY_IKE, "aes256gcm16-prfsha384-ecp256");
    assert_data(connection, NM_CYGNET_KEY_ESP, "aes128-sha256-x25519");
    assert_data(connection, NM_CYGNET_KEY_REKEY_TIME, "480m");
    assert_data(connection, NM_CYGNET_KEY_CHILD_REKEY_TIME, "60m");
    assert_data(connection, NM_CYGNET_KEY_DPD_DELAY, "1m");
    assert_data(connection, NM_CYGNET_KEY_MOBIKE, "no");
    assert_data(connection, NM_CYGNET_KEY_MTU, "1380");
    g_assert_cmpstr(
        nm_setting_vpn_get_secret(nm_connection_get_setting_vpn(connection), NM_CYGNET_SECRET_PSK),
        ==, "correct horse battery staple");
}

static void
test_mobileconfig_round_trip(void)
{
    g_autoptr(NMConnection) first = import_ok("psk.mobileconfig");
    g_autofree char *path = tmp_path("again.mobileconfig");
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_export_file(path, first, &error));
    g_assert_no_error(error);
    g_autoptr(NMConnection) second = cg_import_file(path, &error);
    g_assert_no_error(error);
    g_assert_true(nm_connection_compare(first, second, NM_SETTING_COMPARE_FLAG_EXACT));

    /* what Apple cannot say is refused, not dropped */
    g_autoptr(NMConnection) full = full_connection();
    g_autofree char *full_path = tmp_path("full.mobileconfig");
    g_assert_false(cg_export_file(full_path, full, &error));
    g_assert_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED);
    g_assert_false(g_file_test(full_path, G_FILE_TEST_EXISTS));
}

static void
test_mobileconfig_signed(void)
{
    g_autofree char *path = data_path("psk.mobileconfig");
    g_autofree char *plist = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &plist, &len, NULL));
    /* a CMS SignedData around it (what matters: DER before and after) */
    g_autoptr(GByteArray) der = g_byte_array_new();
    const guint8 head[] = { 0x30, 0x82, 0x10, 0x00, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                            0x0d, 0x01, 0x07, 0x02, 0xa0, 0x82, 0x0f, 0xf0, 0x04, 0x82 };
    const guint8 tail[] = { 0xa0, 0x82, 0x01, 0x00, 0x30, 0x00, 0x31, 0x00 };
    g_byte_array_append(der, head, sizeof head);
    g_byte_array_append(der, (const guint8 *)plist, (guint)len);
    g_byte_array_append(der, tail, sizeof tail);
    g_autofree char *signed_path = tmp_path("signed.mobileconfig");
    g_assert_true(g_file_set_contents(signed_path, (const char *)der->data, der->len, NULL));
    g_autoptr(GError) error = NULL;
    g_autoptr(NMConnection) connection = cg_import_file(signed_path, &error);
    g_assert_no_error(error);
    assert_data(connection, NM_CYGNET_KEY_GATEWAY, "vpn.example.org");
}

static void
expect_import_error(const char *path, int code, const char *const *fragments)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NMConnection) connection = cg_import_file(path, &error);
    g_assert_null(connection);
    g_assert_error(error, CG_IMPORT_ERROR, code);
    for (gsize i = 0; fragments[i]; i++) {
        if (strstr(error->message, fragments[i]) == NULL)
            g_error("error '%s' lacks '%s'", error->message, fragments[i]);
    }
}

static void
test_mobileconfig_unsupported(void)
{
    g_autofree char *path = data_path("cert-3des.mobileconfig");
    const char *const fragments[] = { "nothing was imported", "certificate authentication",
                                      "EncryptionAlgorithm 3DES", "VPN on demand", NULL };
    expect_import_error(path, CG_IMPORT_ERROR_UNSUPPORTED, fragments);
}

static const char *
secret_of(NMConnection *connection, const char *key)
{
    return nm_setting_vpn_get_secret(nm_connection_get_setting_vpn(connection), key);
}

static void assert_embedded_file(NMConnection *connection, const char *key, const char *name);

static void
test_mobileconfig_eap_cert(void)
{
    g_autoptr(NMConnection) eap = import_ok("eap.mobileconfig");
    g_assert_cmpstr(nm_connection_get_id(eap), ==, "Campus (EAP)");
    assert_data(eap, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_EAP);
    assert_data(eap, NM_CYGNET_KEY_EAP_METHOD, NM_CYGNET_EAP_MSCHAPV2);
    assert_data(eap, NM_CYGNET_KEY_USER, "bob");
    assert_data(eap, NM_CYGNET_KEY_PASSWORD_FLAGS, "0");
    g_assert_cmpstr(secret_of(eap, NM_CYGNET_SECRET_PASSWORD), ==, "bob's password");
    assert_embedded_file(eap, NM_CYGNET_KEY_CA_CERT, "6c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f-ca.pem");
    /* the CA written is the one of the root payload */
    g_autofree char *expected = NULL, *written = NULL;
    g_autofree char *ca_path = data_path("ca.pem");
    g_assert_true(g_file_get_contents(ca_path, &expected, NULL, NULL));
    g_assert_true(g_file_get_contents(
        nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(eap), NM_CYGNET_KEY_CA_CERT),
        &written, NULL, NULL));
    g_assert_cmpstr(written, ==, expected);

    g_autoptr(NMConnection) cert = import_ok("cert.mobileconfig");
    assert_data(cert, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_CERT);
    assert_data(cert, NM_CYGNET_KEY_LOCAL_ID, "alice@example.org");
    assert_data(cert, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, "0");
    g_assert_cmpstr(secret_of(cert, NM_CYGNET_SECRET_KEY_PASSPHRASE), ==, "p12-secret");
    assert_embedded_file(cert, NM_CYGNET_KEY_PKCS12, "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4.p12");
    assert_embedded_file(cert, NM_CYGNET_KEY_CA_CERT,
                         "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4-ca.pem");

    g_autoptr(GError) error = NULL;

    /* a root payload a PSK VPN does not use is reported, not dropped */
    g_autofree char *text = NULL;
    g_autofree char *eap_path = data_path("eap.mobileconfig");
    g_assert_true(g_file_get_contents(eap_path, &text, NULL, NULL));
    g_autoptr(GString) psk = g_string_new(text);
    g_string_replace(psk, "<string>None</string>", "<string>SharedSecret</string>", 1);
    g_string_replace(psk, "<integer>1</integer>\n                <key>AuthName</key>",
                     "<integer>0</integer>\n                <key>AuthNam</key>", 1);
    g_autofree char *psk_path = tmp_path("psk-with-ca.mobileconfig");
    g_assert_true(g_file_set_contents(psk_path, psk->str, (gssize)psk->len, NULL));
    const char *const fragments[]
        = { "the payload com.apple.security.root", "IKEv2 AuthNam", NULL };
    expect_import_error(psk_path, CG_IMPORT_ERROR_UNSUPPORTED, fragments);
}

/* the exported file's text */
static char *
export_text(NMConnection *connection, const char *name)
{
    g_autofree char *path = tmp_path(name);
    g_autoptr(GError) error = NULL;
    if (!cg_export_file(path, connection, &error))
        g_error("export to %s: %s", name, error->message);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void assert_round_trip(NMConnection *connection, const char *name);

static void
expect_export_refused(NMConnection *connection, const char *name, const char *fragment)
{
    g_autofree char *path = tmp_path(name);
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_export_file(path, connection, &error));
    g_assert_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED);
    if (strstr(error->message, fragment) == NULL)
        g_error("%s: error '%s' lacks '%s'", name, error->message, fragment);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

static void
set_data(NMConnection *connection, const char *key, const char *value)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    if (value)
        nm_setting_vpn_add_data_item(s_vpn, key, value);
    else
        nm_setting_vpn_remove_data_item(s_vpn, key);
}

/* EAP and certificate connections written as Apple profiles: the IKEv2
 * payload, the CA as root payloads, our PKCS#12 as a pkcs12 payload;
 * imported again unchanged. */
static void
test_mobileconfig_export_eap_cert(void)
{
    g_autoptr(NMConnection) eap = import_ok("eap.mobileconfig");
    g_autofree char *eap_text = export_text(eap, "eap-export.mobileconfig");
    g_assert_nonnull(strstr(eap_text, "<string>None</string>"));
    g_assert_nonnull(strstr(eap_text, "<key>AuthName</key>"));
    g_assert_nonnull(strstr(eap_text, "<key>AuthPassword</key>"));
    g_assert_nonnull(strstr(eap_text, "com.apple.security.root"));
    g_assert_null(strstr(eap_text, "DeadPeerDetectionRate")); /* unset stays unset */
    assert_round_trip(eap, "eap-again.mobileconfig");

    /* the password not known (nmcli exports without secrets): not written,
     * the import keeps it in the keyring as before */
    g_autoptr(NMConnection) no_password = nm_simple_connection_new_clone(eap);
    nm_setting_vpn_remove_secret(nm_connection_get_setting_vpn(no_password),
                                 NM_CYGNET_SECRET_PASSWORD);
    set_data(no_password, NM_CYGNET_KEY_PASSWORD_FLAGS, "1");
    g_autofree char *no_password_text = export_text(no_password, "eap-nopw.mobileconfig");
    g_assert_null(strstr(no_password_text, "AuthPassword"));
    assert_round_trip(no_password, "eap-nopw-again.mobileconfig");

    /* OCSP: Apple's revocation check, strict for hard */
    set_data(eap, NM_CYGNET_KEY_OCSP, "hard");
    g_autofree char *hard_text = export_text(eap, "eap-hard.mobileconfig");
    g_assert_nonnull(strstr(hard_text, "<key>StrictRevocationCheck</key>"));
    assert_round_trip(eap, "eap-hard-again.mobileconfig");
    set_data(eap, NM_CYGNET_KEY_OCSP, "soft");
    g_autofree char *soft_text = export_text(eap, "eap-soft.mobileconfig");
    g_assert_nonnull(strstr(soft_text, "<key>EnableCertificateRevocationCheck</key>"));
    g_assert_null(strstr(soft_text, "StrictRevocationCheck"));
    assert_round_trip(eap, "eap-soft-again.mobileconfig");
    assert_round_trip(eap, "eap-soft-again.cygnet");

    /* what Apple cannot say is refused naming it */
    set_data(eap, NM_CYGNET_KEY_ADDRESS_FAMILY, NM_CYGNET_FAMILY_IPV4_FIRST);
    expect_export_refused(eap, "eap-family.mobileconfig", "address-family = ipv4-first");
    expect_export_refused(eap, "eap-family.sswan", "“address-family”");
    assert_round_trip(eap, "eap-family.cygnet");
    set_data(eap, NM_CYGNET_KEY_ADDRESS_FAMILY, NM_CYGNET_FAMILY_AUTO);
    assert_round_trip(eap, "eap-family-auto.cygnet");
    g_autofree char *auto_text = export_text(eap, "eap-family-auto.mobileconfig");
    g_assert_null(strstr(auto_text, "family"));
    set_data(eap, NM_CYGNET_KEY_ADDRESS_FAMILY, NULL);
    set_data(eap, NM_CYGNET_KEY_EAP_METHOD, NM_CYGNET_EAP_TLS);
    expect_export_refused(eap, "eap-tls.mobileconfig", "eap-method = tls");

    /* a CA "file" that is a device: refused at once, never read (export
     * would otherwise read /dev/zero without end) */
    set_data(eap, NM_CYGNET_KEY_EAP_METHOD, NULL);
    set_data(eap, NM_CYGNET_KEY_CA_CERT, "/dev/zero");
    expect_export_refused(eap, "eap-devzero.mobileconfig", "/dev/zero is not a regular file");

    g_autoptr(NMConnection) cert = import_ok("cert.mobileconfig");
    g_autofree char *cert_text = export_text(cert, "cert-export.mobileconfig");
    g_assert_nonnull(strstr(cert_text, "<string>Certificate</string>"));
    g_assert_nonnull(strstr(cert_text, "com.apple.security.pkcs12"));
    g_assert_nonnull(strstr(cert_text, "<string>p12-secret</string>"));
    g_assert_nonnull(strstr(cert_text, "<key>PayloadCertificateUUID</key>"));
    /* the PKCS#12 file comes back byte for byte (the import rewrites it) */
    g_autofree char *p12_before = NULL, *p12_after = NULL;
    gsize before_len = 0, after_len = 0;
    const char *p12_path
        = nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(cert), NM_CYGNET_KEY_PKCS12);
    g_assert_true(g_file_get_contents(p12_path, &p12_before, &before_len, NULL));
    assert_round_trip(cert, "cert-again.mobileconfig");
    g_assert_true(g_file_get_contents(p12_path, &p12_after, &after_len, NULL));
    g_assert_cmpmem(p12_before, before_len, p12_after, after_len);

    /* a PKCS#12 password not known: not written; ocsp hard kept */
    nm_setting_vpn_remove_secret(nm_connection_get_setting_vpn(cert),
                                 NM_CYGNET_SECRET_KEY_PASSPHRASE);
    set_data(cert, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, "1");
    set_data(cert, NM_CYGNET_KEY_OCSP, "hard");
    g_autofree char *nopw_text = export_text(cert, "cert-nopw.mobileconfig");
    g_assert_null(strstr(nopw_text, "p12-secret"));
    g_assert_null(strstr(nopw_text, "<key>Password</key>"));
    assert_round_trip(cert, "cert-nopw-again.mobileconfig");

    /* our certificate in separate files or on a token: refused */
    g_autofree char *client_pem = data_path("client.pem");
    g_autofree char *client_key = data_path("client.key");
    set_data(cert, NM_CYGNET_KEY_PKCS12, NULL);
    set_data(cert, NM_CYGNET_KEY_CERT, client_pem);
    set_data(cert, NM_CYGNET_KEY_KEY, client_key);
    expect_export_refused(cert, "cert-pem.mobileconfig", "cert = ");
    set_data(cert, NM_CYGNET_KEY_CERT, NULL);
    set_data(cert, NM_CYGNET_KEY_KEY, NULL);
    expect_export_refused(cert, "cert-none.mobileconfig", "PKCS#12");

    /* a PSK connection with OCSP: nothing to check, refused */
    g_autoptr(NMConnection) psk = import_ok("psk.mobileconfig");
    set_data(psk, NM_CYGNET_KEY_OCSP, "soft");
    expect_export_refused(psk, "psk-ocsp.mobileconfig", "ocsp = soft");
}

static void
test_sswan(void)
{
    g_autofree char *path = data_path("eap.sswan");
    const char *const fragments[] = { "split-tunneling.block-ipv6", "selected-apps", NULL };
    expect_import_error(path, CG_IMPORT_ERROR_UNSUPPORTED, fragments);

    /* read completely: the profile-level round trip keeps every key */
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    g_autoptr(GError) error = NULL;
    g_autoptr(CgProfile) profile = cg_sswan_read(text, len, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(g_hash_table_lookup(profile->data, NM_CYGNET_KEY_GATEWAY), ==,
                    "vpn.campus.example");
    g_assert_cmpstr(g_hash_table_lookup(profile->data, NM_CYGNET_KEY_PORT), ==, "4500");
    g_assert_cmpstr(g_hash_table_lookup(profile->data, NM_CYGNET_KEY_USER), ==, "bob");
    g_assert_null(g_hash_table_lookup(profile->data, NM_CYGNET_KEY_LOCAL_ID));
    g_assert_cmpstr(g_hash_table_lookup(profile->data, NM_CYGNET_KEY_REMOTE_TS), ==,
                    "10.0.0.0/8,192.168.0.0/16");
    g_autofree char *written = cg_sswan_write(profile, &error);
    g_assert_no_error(error);
    g_autoptr(CgProfile) again = cg_sswan_read(written, strlen(written), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(again->data), ==, g_hash_table_size(profile->data));
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, profile->data);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_assert_cmpstr(g_hash_table_lookup(again->data, key), ==, value);
    g_assert_cmpstr(again->uuid, ==, profile->uuid);
    g_assert_cmpstr(again->id, ==, profile->id);

    /* a PSK connection has no .sswan form: refused, no file */
    g_autoptr(NMConnection) full = full_connection();
    g_autofree char *out = tmp_path("psk.sswan");
    g_assert_false(cg_export_file(out, full, &error));
    g_assert_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
}

/* an imported profile's embedded file: in the user's data directory,
 * readable by its owner only, holding what the key says */
static void
assert_embedded_file(NMConnection *connection, const char *key, const char *name)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    const char *path = nm_setting_vpn_get_data_item(s_vpn, key);
    g_autofree char *expected
        = g_build_filename(g_get_user_data_dir(), "cygnet", "certificates", name, NULL);
    g_assert_cmpstr(path, ==, expected);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    if (strcmp(key, NM_CYGNET_KEY_PKCS12) == 0)
        g_assert_true(nm_utils_file_is_pkcs12(path));
    else
        g_assert_true(nm_utils_file_is_certificate(path));
}

/* export to name, import again: the same connection */
static void
assert_round_trip(NMConnection *connection, const char *name)
{
    g_autofree char *path = tmp_path(name);
    g_autoptr(GError) error = NULL;
    if (!cg_export_file(path, connection, &error))
        g_error("export to %s: %s", name, error->message);
    g_autoptr(NMConnection) again = cg_import_file(path, &error);
    g_assert_no_error(error);
    if (!nm_connection_compare(connection, again, NM_SETTING_COMPARE_FLAG_EXACT)) {
        nm_connection_dump(connection);
        nm_connection_dump(again);
        g_error("%s: the round trip changed the connection", name);
    }
}

static void
test_sswan_eap(void)
{
    g_autoptr(NMConnection) connection = import_ok("eap-ca.sswan");
    g_assert_cmpstr(nm_connection_get_id(connection), ==, "Road warrior");
    g_assert_cmpstr(nm_connection_get_uuid(connection), ==, "7d3f2a10-4c5b-4e6f-8a9b-0c1d2e3f4a5b");
    assert_data(connection, NM_CYGNET_KEY_GATEWAY, "vpn.example.org");
    assert_data(connection, NM_CYGNET_KEY_REMOTE_ID, "vpn.example.org");
    assert_data(connection, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_EAP);
    assert_data(connection, NM_CYGNET_KEY_EAP_METHOD, NM_CYGNET_EAP_MSCHAPV2);
    assert_data(connection, NM_CYGNET_KEY_USER, "alice");
    assert_data(connection, NM_CYGNET_KEY_PASSWORD_FLAGS, "1");
    assert_data(connection, NM_CYGNET_KEY_IKE, "aes256gcm16-prfsha256-x25519");
    assert_data(connection, NM_CYGNET_KEY_REMOTE_TS, "10.8.0.0/16");
    assert_data(connection, NM_CYGNET_KEY_LOCAL_ID, NULL);
    assert_embedded_file(connection, NM_CYGNET_KEY_CA_CERT,
                         "7d3f2a10-4c5b-4e6f-8a9b-0c1d2e3f4a5b-ca.der");
    assert_round_trip(connection, "eap-again.sswan");
    assert_round_trip(connection, "eap-again.cygnet");
}

static void
test_sswan_cert(void)
{
    g_autoptr(NMConnection) connection = import_ok("cert.sswan");
    g_assert_cmpstr(nm_connection_get_id(connection), ==, "Office certificate");
    assert_data(connection, NM_CYGNET_KEY_GATEWAY, "192.0.2.44");
    assert_data(connection, NM_CYGNET_KEY_PORT, "4500");
    assert_data(connection, NM_CYGNET_KEY_REMOTE_ID, "gw.example.org");
    assert_data(connection, NM_CYGNET_KEY_LOCAL_ID, "alice@example.org");
    assert_data(connection, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_CERT);
    assert_data(connection, NM_CYGNET_KEY_EAP_METHOD, NULL);
    assert_data(connection, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, "1");
    assert_data(connection, NM_CYGNET_KEY_ESP, "aes256gcm16");
    assert_data(connection, NM_CYGNET_KEY_MTU, "1380");
    assert_embedded_file(connection, NM_CYGNET_KEY_PKCS12,
                         "2e9c4b7a-1f3d-4a8e-b6c5-9d0e1f2a3b4c.p12");
    assert_embedded_file(connection, NM_CYGNET_KEY_CA_CERT,
                         "2e9c4b7a-1f3d-4a8e-b6c5-9d0e1f2a3b4c-ca.der");
    /* the PKCS#12 file is the one the gateway's admin packed */
    g_autofree char *original = NULL, *imported = NULL;
    gsize original_len = 0, imported_len = 0;
    g_autofree char *original_path = data_path("client.p12");
    g_assert_true(g_file_get_contents(original_path, &original, &original_len, NULL));
    g_assert_true(
        g_file_get_contents(nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(connection),
                                                         NM_CYGNET_KEY_PKCS12),
                            &imported, &imported_len, NULL));
    g_assert_cmpmem(original, original_len, imported, imported_len);
    assert_round_trip(connection, "cert-again.sswan");

    /* a certificate and key in separate files: .sswan cannot say it */
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    g_autofree char *cert = data_path("client.pem");
    g_autofree char *key = data_path("client.key");
    nm_setting_vpn_remove_data_item(s_vpn, NM_CYGNET_KEY_PKCS12);
    nm_setting_vpn_add_data_item(s_vpn, NM_CYGNET_KEY_CERT, cert);
    nm_setting_vpn_add_data_item(s_vpn, NM_CYGNET_KEY_KEY, key);
    g_autofree char *out = tmp_path("pem.sswan");
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_export_file(out, connection, &error));
    g_assert_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(error->message, "“cert”"));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    /* Cygnet's own format says it */
    assert_round_trip(connection, "pem-again.cygnet");
}

static void
test_sswan_unsupported(void)
{
    g_autofree char *path = data_path("cert-eap.sswan");
    const char *const fragments[]
        = { "nothing was imported",    "RFC 4739", "remote.certreq", "local.rsa-pss",
            "remote-cert-fingerprint", NULL };
    expect_import_error(path, CG_IMPORT_ERROR_UNSUPPORTED, fragments);

    /* a refused profile leaves no file behind */
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autofree char *eap_path = data_path("eap-ca.sswan");
    g_assert_true(g_file_get_contents(eap_path, &text, &len, NULL));
    g_autoptr(GString) refused = g_string_new(text);
    g_string_replace(refused, "7d3f2a10-4c5b-4e6f-8a9b-0c1d2e3f4a5b",
                     "7d3f2a10-4c5b-4e6f-8a9b-00000000dead", 1);
    g_string_replace(refused, "\"name\"", "\"selected-apps\": \"org.example\", \"name\"", 1);
    g_autofree char *refused_path = tmp_path("refused.sswan");
    g_assert_true(g_file_set_contents(refused_path, refused->str, (gssize)refused->len, NULL));
    const char *const selected[] = { "selected-apps", NULL };
    expect_import_error(refused_path, CG_IMPORT_ERROR_UNSUPPORTED, selected);
    g_autofree char *not_written
        = g_build_filename(g_get_user_data_dir(), "cygnet", "certificates",
                           "7d3f2a10-4c5b-4e6f-8a9b-00000000dead-ca.der", NULL);
    g_assert_false(g_file_test(not_written, G_FILE_TEST_EXISTS));
}

typedef struct {
    const char *name;
    const char *text; /* NULL: made by the test */
    int code;
    const char *fragment;
} Malformed;

static void
test_malformed(void)
{
    const Malformed cases[] = {
        { "truncated.mobileconfig", "<?xml version=\"1.0\"?><plist><dict><key>PayloadContent",
          CG_IMPORT_ERROR_MALFORMED, "Not an Apple profile" },
        { "nopayload.mobileconfig", "<plist><dict><key>A</key><string>b</string></dict></plist>",
          CG_IMPORT_ERROR_MALFORMED, "no PayloadContent" },
        { "dupkey.mobileconfig",
          "<plist><dict><key>A</key><string>b</string><key>A</key><string>c</string></dict>"
          "</plist>",
          CG_IMPORT_ERROR_MALFORMED, "appears twice" },
        { "text.mobileconfig", "<plist><dict>hello<key>A</key><true/></dict></plist>",
          CG_IMPORT_ERROR_MALFORMED, "text outside a value" },
        { "entity.mobileconfig",
          "<!DOCTYPE plist [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><plist><dict>"
          "<key>A</key><string>&x;</string></dict></plist>",
          CG_IMPORT_ERROR_MALFORMED, "Not an Apple profile" },
        { "l2tp.mobileconfig",
          "<plist><dict><key>PayloadContent</key><array><dict><key>PayloadType</key>"
          "<string>com.apple.vpn.managed</string><key>VPNType</key><string>L2TP</string>"
          "</dict></array></dict></plist>",
          CG_IMPORT_ERROR_UNSUPPORTED, "L2TP, not IKEv2" },
        { "deep.mobileconfig", NULL, CG_IMPORT_ERROR_MALFORMED, "deeper than 32" },
        { "bad.sswan", "{\"type\": \"ikev2-eap\", \"remote\": ", CG_IMPORT_ERROR_MALFORMED,
          "Not a strongSwan profile" },
        { "array.sswan", "[1, 2]", CG_IMPORT_ERROR_MALFORMED, "not a JSON object" },
        { "deep.sswan", NULL, CG_IMPORT_ERROR_MALFORMED, "deeper than 16" },
        { "noremote.sswan", "{\"type\": \"ikev2-eap\"}", CG_IMPORT_ERROR_MALFORMED,
          "are required" },
        { "badcert.sswan",
          "{\"type\": \"ikev2-eap\", \"remote\": {\"addr\": \"a.example\", \"cert\": \"<?>\"}}",
          CG_IMPORT_ERROR_UNSUPPORTED, "“remote.cert” is not a base64-encoded certificate" },
        { "badp12.sswan",
          "{\"type\": \"ikev2-cert\", \"remote\": {\"addr\": \"a.example\"}, "
          "\"local\": {\"p12\": \"AAAA\"}}",
          CG_IMPORT_ERROR_UNSUPPORTED, "“local.p12” is not a base64-encoded PKCS#12 file" },
        { "future.cygnet", "[cygnet]\nformat=2\n[vpn]\ngateway=a\n", CG_IMPORT_ERROR_MALFORMED,
          "format 2" },
        { "badport.cygnet", "[cygnet]\nformat=1\n[vpn]\ngateway=a.example\nport=0\n",
          CG_IMPORT_ERROR_INVALID, "Setting “port”" },
        { "typo.cygnet", "[cygnet]\nformat=1\n[vpn]\ngateway=a.example\nremote-idd=x\n",
          CG_IMPORT_ERROR_INVALID, "Unknown setting “remote-idd”" },
        { "nogw.cygnet", "[cygnet]\nformat=1\n[vpn]\nport=500\n", CG_IMPORT_ERROR_INVALID,
          "gateway is required" },
        { "extra.cygnet", "[cygnet]\nformat=1\n[vpn]\ngateway=a.example\n[routes]\nx=1\n",
          CG_IMPORT_ERROR_UNSUPPORTED, "Unknown section [routes]" },
        { "binary.cygnet", "\x01\x02garbage", CG_IMPORT_ERROR_MALFORMED, "Not a Cygnet profile" },
        { "binary.txt", "\x01\x02garbage", CG_IMPORT_ERROR_UNKNOWN, "Not a Cygnet (.cygnet)" },
        { "huge.cygnet", NULL, CG_IMPORT_ERROR_MALFORMED, "too big" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("malformed: %s", cases[i].name);
        g_autofree char *path = tmp_path(cases[i].name);
        g_autoptr(GString) text = g_string_new(cases[i].text);
        if (strcmp(cases[i].name, "deep.mobileconfig") == 0) {
            g_string_append(text, "<plist><dict><key>PayloadContent</key>");
            for (int d = 0; d < 40; d++)
                g_string_append(text, "<array>");
            g_string_append(text, "</plist>");
        } else if (strcmp(cases[i].name, "deep.sswan") == 0) {
            for (int d = 0; d < 100000; d++)
                g_string_append_c(text, '[');
        } else if (strcmp(cases[i].name, "huge.cygnet") == 0) {
            g_string_append(text, "[cygnet]\nformat=1\n# ");
            for (int d = 0; d < CG_IMPORT_MAX_FILE_BYTES; d++)
                g_string_append_c(text, 'x');
        }
        g_assert_true(g_file_set_contents(path, text->str, (gssize)text->len, NULL));
        const char *const fragments[] = { cases[i].fragment, NULL };
        expect_import_error(path, cases[i].code, fragments);
    }
}

static void
test_plugin(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NMVpnEditorPlugin) plugin = nm_vpn_editor_plugin_load_from_file(
        g_getenv("CG_PLUGIN"), NM_CYGNET_DBUS_SERVICE, -1, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(plugin);
    g_autofree char *name = NULL, *service = NULL;
    g_object_get(plugin, NM_VPN_EDITOR_PLUGIN_NAME, &name, NM_VPN_EDITOR_PLUGIN_SERVICE, &service,
                 NULL);
    g_assert_cmpstr(name, ==, "IPsec/IKEv2 (Cygnet)");
    g_assert_cmpstr(service, ==, NM_CYGNET_DBUS_SERVICE);
    NMVpnEditorPluginCapability caps = nm_vpn_editor_plugin_get_capabilities(plugin);
    g_assert_true(caps & NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT);
    g_assert_true(caps & NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT);
    g_autofree char *path = data_path("psk.mobileconfig");
    g_autoptr(NMConnection) connection = nm_vpn_editor_plugin_import(plugin, path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(nm_connection_get_id(connection), ==, "Corp & Partners");
    g_autofree char *suggested = nm_vpn_editor_plugin_get_suggested_filename(plugin, connection);
    g_assert_cmpstr(suggested, ==, "Corp_&_Partners.cygnet");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("cygnet-ie-XXXXXX", NULL);
    /* imported certificates go to the user's data directory: ours */
    g_autofree char *data_home = g_build_filename(tmp_dir, "data", NULL);
    g_setenv("XDG_DATA_HOME", data_home, TRUE);
    g_test_add_func("/ie/validate", test_validate_values);
    g_test_add_func("/ie/algorithms-doc", test_algorithms_match_doc);
    g_test_add_func("/ie/native/round-trip", test_native_round_trip);
    g_test_add_func("/ie/mobileconfig/import", test_mobileconfig_import);
    g_test_add_func("/ie/mobileconfig/round-trip", test_mobileconfig_round_trip);
    g_test_add_func("/ie/mobileconfig/signed", test_mobileconfig_signed);
    g_test_add_func("/ie/mobileconfig/unsupported", test_mobileconfig_unsupported);
    g_test_add_func("/ie/mobileconfig/eap-cert", test_mobileconfig_eap_cert);
    g_test_add_func("/ie/mobileconfig/export-eap-cert", test_mobileconfig_export_eap_cert);
    g_test_add_func("/ie/sswan", test_sswan);
    g_test_add_func("/ie/sswan/eap", test_sswan_eap);
    g_test_add_func("/ie/sswan/cert", test_sswan_cert);
    g_test_add_func("/ie/sswan/unsupported", test_sswan_unsupported);
    g_test_add_func("/ie/malformed", test_malformed);
    g_test_add_func("/ie/plugin", test_plugin);
    int status = g_test_run();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0)
        g_printerr("could not remove %s\n", tmp_dir);
    return status;
}
