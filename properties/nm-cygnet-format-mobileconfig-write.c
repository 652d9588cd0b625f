/* nm-cygnet-format-mobileconfig-write.c: a Cygnet profile as an Apple
 * configuration profile (.mobileconfig): one com.apple.vpn.managed
 * payload of VPNType IKEv2 (PSK, EAP-MSCHAPv2 or a PKCS#12 certificate),
 * the gateway's CAs as com.apple.security.root payloads and our PKCS#12
 * file as a com.apple.security.pkcs12 payload. What Apple cannot say is
 * refused naming the setting (docs/import-export.md); the reader is
 * nm-cygnet-format-mobileconfig.c.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nm-cygnet-formats.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-mobileconfig-names.h"
#include "nm-cygnet-validate.h"

static void
xml_key_string(GString *out, int indent, const char *key, const char *value)
{
    g_autofree char *escaped = g_markup_escape_text(value, -1);
    g_string_append_printf(out, "%*s<key>%s</key>\n%*s<string>%s</string>\n", indent, "", key,
                           indent, "", escaped);
}

static void
xml_key_int(GString *out, int indent, const char *key, gint64 value)
{
    g_string_append_printf(out, "%*s<key>%s</key>\n%*s<integer>%" G_GINT64_FORMAT "</integer>\n",
                           indent, "", key, indent, "", value);
}

typedef struct {
    const char *enc;
    const char *integ;
    gint64 group; /* 0: none */
} AppleProposal;

/* One Cygnet proposal -> Apple's three names; FALSE when it is a list or
 * uses what Apple has no name for. */
static gboolean
apple_proposal(const char *proposal, gboolean ike, AppleProposal *out)
{
    if (strchr(proposal, ',') != NULL)
        return FALSE;
    *out = (AppleProposal){ NULL, NULL, 0 };
    gboolean aead = FALSE;
    g_auto(GStrv) names = g_strsplit(proposal, "-", -1);
    for (gsize i = 0; names[i]; i++) {
        gboolean matched = FALSE;
        for (gsize j = 0; j < G_N_ELEMENTS(ciphers) && !matched; j++) {
            if (strcmp(ciphers[j].cygnet, names[i]) == 0 && out->enc == NULL) {
                out->enc = ciphers[j].apple;
                aead = ciphers[j].aead;
                matched = TRUE;
            }
        }
        for (gsize j = 0; j < G_N_ELEMENTS(integrities) && !matched; j++) {
            if ((strcmp(integrities[j].integ, names[i]) == 0
                 || strcmp(integrities[j].prf, names[i]) == 0)
                && out->integ == NULL) {
                out->integ = integrities[j].apple;
                matched = TRUE;
            }
        }
        for (gsize j = 0; j < G_N_ELEMENTS(dh_groups) && !matched; j++) {
            if (strcmp(dh_groups[j].cygnet, names[i]) == 0 && out->group == 0) {
                out->group = dh_groups[j].group;
                matched = TRUE;
            }
        }
        if (!matched)
            return FALSE;
    }
    if (out->enc == NULL || (ike && out->group == 0))
        return FALSE;
    if (out->integ == NULL) {
        if (!aead || ike)
            return FALSE;
        out->integ = "SHA2-256"; /* ignored by Apple for AEAD ESP */
    }
    return TRUE;
}

static void
xml_sa_params(GString *out, const char *name, const AppleProposal *proposal, const char *lifetime)
{
    g_string_append_printf(out, "            <key>%s</key>\n            <dict>\n", name);
    if (proposal) {
        xml_key_string(out, 16, "EncryptionAlgorithm", proposal->enc);
        xml_key_string(out, 16, "IntegrityAlgorithm", proposal->integ);
        if (proposal->group)
            xml_key_int(out, 16, "DiffieHellmanGroup", proposal->group);
    }
    guint64 ms = 0;
    if (lifetime && cg_parse_duration_ms(lifetime, &ms) && ms >= 60000)
        xml_key_int(out, 16, "LifeTimeInMinutes", (gint64)(ms / 60000));
    g_string_append(out, "            </dict>\n");
}

/* The value of key, NULL when unset or empty. */
static const char *
data_value(const CgProfile *profile, const char *key)
{
    const char *value = g_hash_table_lookup(profile->data, key);
    return value && value[0] ? value : NULL;
}

static char *
cannot(GError **error, const char *key, const char *value)
{
    g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                _("Apple profiles (.mobileconfig) cannot express %s = %s"), key, value);
    return NULL;
}

static void
xml_key_data(GString *out, int indent, const char *key, const guint8 *bytes, gsize len)
{
    g_autofree char *base64 = g_base64_encode(bytes, len);
    gsize base64_len = strlen(base64);
    g_string_append_printf(out, "%*s<key>%s</key>\n%*s<data>\n", indent, "", key, indent, "");
    for (gsize at = 0; at < base64_len; at += 64)
        g_string_append_printf(out, "%*s%.64s\n", indent, "", base64 + at);
    g_string_append_printf(out, "%*s</data>\n", indent, "");
    explicit_bzero(base64, base64_len);
}

/* The certificates of a PEM file (several allowed) or a DER file, as DER
 * (GBytes); NULL when the file holds none. */
static GPtrArray *
certificates_der(const guint8 *bytes, gsize len)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g_autofree char *text = g_strndup((const char *)bytes, len);
    const char *at = text;
    const char *open;
    while ((open = strstr(at, begin)) != NULL) {
        const char *close = strstr(open, end);
        if (close == NULL)
            return NULL;
        g_autofree char *base64
            = g_strndup(open + strlen(begin), (gsize)(close - open) - strlen(begin));
        gsize der_len = 0;
        guint8 *der = g_base64_decode(base64, &der_len);
        if (der == NULL || der_len < MIN_DER_BYTES || der[0] != 0x30) {
            g_free(der);
            return NULL;
        }
        g_ptr_array_add(certs, g_bytes_new_take(der, der_len));
        at = close + strlen(end);
    }
    if (certs->len == 0 && len >= MIN_DER_BYTES && bytes[0] == 0x30)
        g_ptr_array_add(certs, g_bytes_new(bytes, len)); /* DER */
    return certs->len > 0 ? g_steal_pointer(&certs) : NULL;
}

static void
xml_payload_head(GString *out, const char *type, const char *uuid, const char *name)
{
    g_string_append(out, "        <dict>\n");
    xml_key_string(out, 12, "PayloadType", type);
    xml_key_int(out, 12, "PayloadVersion", 1);
    g_autofree char *identifier = g_strdup_printf("io.cygnet.vpn.%s", uuid);
    xml_key_string(out, 12, "PayloadIdentifier", identifier);
    xml_key_string(out, 12, "PayloadUUID", uuid);
    xml_key_string(out, 12, "PayloadDisplayName", name);
}

/* ca-cert as com.apple.security.root payloads, one per certificate (the
 * importer takes them all as the gateway's CAs) */
static gboolean
write_roots(GString *out, const CgProfile *profile, const char *path, GError **error)
{
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    g_autofree guint8 *bytes = cg_profile_file_contents(profile, path, &len, &local);
    if (bytes == NULL) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                    _("Cannot embed “%s” (%s) in the Apple profile: %s"), path,
                    NM_CYGNET_KEY_CA_CERT, local->message);
        return FALSE;
    }
    g_autoptr(GPtrArray) certs = certificates_der(bytes, len);
    if (certs == NULL) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                    _("Cannot embed “%s” (%s) in the Apple profile: it holds no certificate"), path,
                    NM_CYGNET_KEY_CA_CERT);
        return FALSE;
    }
    for (guint i = 0; i < certs->len; i++) {
        gsize der_len = 0;
        const guint8 *der = g_bytes_get_data(g_ptr_array_index(certs, i), &der_len);
        g_autofree char *random_uuid = g_uuid_string_random();
        g_autofree char *uuid = g_ascii_strup(random_uuid, -1);
        g_autofree char *file_name = g_strdup_printf("ca-%u.cer", i + 1);
        xml_payload_head(out, ROOT_PAYLOAD_TYPE, uuid, _("Gateway CA"));
        xml_key_string(out, 12, "PayloadCertificateFileName", file_name);
        xml_key_data(out, 12, "PayloadContent", der, der_len);
        g_string_append(out, "        </dict>\n");
    }
    return TRUE;
}

/* pkcs12 as a com.apple.security.pkcs12 payload, with its password when
 * the connection holds it; uuid is what PayloadCertificateUUID names */
static gboolean
write_pkcs12(GString *out, const CgProfile *profile, const char *path, const char *uuid,
             GError **error)
{
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    guint8 *bytes = cg_profile_file_contents(profile, path, &len, &local);
    if (bytes == NULL) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                    _("Cannot embed “%s” (%s) in the Apple profile: %s"), path,
                    NM_CYGNET_KEY_PKCS12, local->message);
        return FALSE;
    }
    if (len < MIN_DER_BYTES || bytes[0] != 0x30) {
        explicit_bzero(bytes, len);
        g_free(bytes);
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                    _("Cannot embed “%s” (%s) in the Apple profile: not a PKCS#12 file"), path,
                    NM_CYGNET_KEY_PKCS12);
        return FALSE;
    }
    xml_payload_head(out, PKCS12_PAYLOAD_TYPE, uuid, _("Client certificate"));
    xml_key_string(out, 12, "PayloadCertificateFileName", "client.p12");
    const char *password = g_hash_table_lookup(profile->secrets, NM_CYGNET_SECRET_KEY_PASSPHRASE);
    if (password && password[0])
        xml_key_string(out, 12, "Password", password);
    xml_key_data(out, 12, "PayloadContent", bytes, len);
    g_string_append(out, "        </dict>\n");
    explicit_bzero(bytes, len);
    g_free(bytes);
    return TRUE;
}

static gboolean
is_yes(const char *value)
{
    return g_strv_contains((const char *const[]){ "yes", "true", "on", "1", NULL }, value);
}

/* What each authentication method can carry in an Apple profile; FALSE
 * (error set) for what it cannot. */
/* cannot() for the gboolean checks */
static gboolean
refuse(GError **error, const char *key, const char *value)
{
    cannot(error, key, value);
    return FALSE;
}

static gboolean
check_auth(const CgProfile *profile, const char *auth, GError **error)
{
    const char *ocsp = data_value(profile, NM_CYGNET_KEY_OCSP);
    const char *value;
    if (auth == NULL || strcmp(auth, NM_CYGNET_AUTH_PSK) == 0) {
        /* Apple checks no gateway certificate with a PSK */
        static const char *const cert_keys[]
            = { NM_CYGNET_KEY_CA_CERT, NM_CYGNET_KEY_PKCS12, NM_CYGNET_KEY_USER, NULL };
        for (gsize i = 0; cert_keys[i]; i++) {
            if ((value = data_value(profile, cert_keys[i])))
                return refuse(error, cert_keys[i], value);
        }
        if (ocsp && strcmp(ocsp, NM_CYGNET_OCSP_NO) != 0)
            return refuse(error, NM_CYGNET_KEY_OCSP, ocsp);
        return TRUE;
    }
    if (strcmp(auth, NM_CYGNET_AUTH_EAP) == 0) {
        /* Apple's EAP here is EAP-MSCHAPv2 with AuthName/AuthPassword */
        if ((value = data_value(profile, NM_CYGNET_KEY_EAP_METHOD))
            && strcmp(value, NM_CYGNET_EAP_MSCHAPV2) != 0)
            return refuse(error, NM_CYGNET_KEY_EAP_METHOD, value);
        if ((value = data_value(profile, NM_CYGNET_KEY_PKCS12)))
            return refuse(error, NM_CYGNET_KEY_PKCS12, value);
        return TRUE;
    }
    if (strcmp(auth, NM_CYGNET_AUTH_CERT) == 0) {
        if ((value = data_value(profile, NM_CYGNET_KEY_USER)))
            return refuse(error, NM_CYGNET_KEY_USER, value);
        if (data_value(profile, NM_CYGNET_KEY_PKCS12) == NULL) {
            g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                        _("Apple profiles (.mobileconfig) carry our certificate as a PKCS#12 "
                          "file only: this connection has none (pkcs12)"));
            return FALSE;
        }
        return TRUE;
    }
    return refuse(error, NM_CYGNET_KEY_AUTH, auth);
}

char *
cg_mobileconfig_write(const CgProfile *profile, GError **error)
{
    static const char *const expressible[] = {
        NM_CYGNET_KEY_GATEWAY,
        NM_CYGNET_KEY_LOCAL_ID,
        NM_CYGNET_KEY_REMOTE_ID,
        NM_CYGNET_KEY_AUTH,
        NM_CYGNET_KEY_PSK_FLAGS,
        NM_CYGNET_KEY_EAP_METHOD,
        NM_CYGNET_KEY_USER,
        NM_CYGNET_KEY_PASSWORD_FLAGS,
        NM_CYGNET_KEY_CA_CERT,
        NM_CYGNET_KEY_PKCS12,
        NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS,
        NM_CYGNET_KEY_OCSP,
        NM_CYGNET_KEY_IKE,
        NM_CYGNET_KEY_ESP,
        NM_CYGNET_KEY_DPD_DELAY,
        NM_CYGNET_KEY_REKEY_TIME,
        NM_CYGNET_KEY_CHILD_REKEY_TIME,
        NM_CYGNET_KEY_MOBIKE,
        NM_CYGNET_KEY_MTU,
        NULL,
    };
    g_auto(GStrv) keys = cg_sorted_keys(profile->data);
    for (gsize i = 0; keys[i]; i++) {
        const char *value = g_hash_table_lookup(profile->data, keys[i]);
        if (value[0] == '\0' || g_strv_contains(expressible, keys[i]))
            continue;
        /* Apple picks the gateway's address itself: only the default says
         * the same */
        if (strcmp(keys[i], NM_CYGNET_KEY_ADDRESS_FAMILY) == 0
            && strcmp(value, NM_CYGNET_FAMILY_AUTO) == 0)
            continue;
        return cannot(error, keys[i], value);
    }
    const char *auth = data_value(profile, NM_CYGNET_KEY_AUTH);
    if (!check_auth(profile, auth, error))
        return NULL;
    gboolean psk_auth = auth == NULL || strcmp(auth, NM_CYGNET_AUTH_PSK) == 0;
    gboolean eap_auth = auth != NULL && strcmp(auth, NM_CYGNET_AUTH_EAP) == 0;
    gboolean cert_auth = auth != NULL && strcmp(auth, NM_CYGNET_AUTH_CERT) == 0;
    const char *gateway = data_value(profile, NM_CYGNET_KEY_GATEWAY);
    if (gateway == NULL) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_INVALID, _("The gateway is required"));
        return NULL;
    }

    AppleProposal ike = { 0 }, esp = { 0 };
    const char *ike_text = data_value(profile, NM_CYGNET_KEY_IKE);
    const char *esp_text = data_value(profile, NM_CYGNET_KEY_ESP);
    gboolean have_ike = ike_text && strcmp(ike_text, "default") != 0;
    gboolean have_esp = esp_text && strcmp(esp_text, "default") != 0;
    if (have_ike && !apple_proposal(ike_text, TRUE, &ike))
        return cannot(error, NM_CYGNET_KEY_IKE, ike_text);
    if (have_esp && !apple_proposal(esp_text, FALSE, &esp))
        return cannot(error, NM_CYGNET_KEY_ESP, esp_text);

    /* Apple checks liveness at three rates only: the nearest one is
     * written, and the file says so. Unset, Apple's own default applies
     * (and an import leaves dpd-delay unset again). */
    g_autoptr(GString) notes = g_string_new(NULL);
    const char *rate = NULL;
    const char *dpd = data_value(profile, NM_CYGNET_KEY_DPD_DELAY);
    guint64 dpd_ms = 0;
    if (dpd && !cg_parse_duration_ms(dpd, &dpd_ms))
        return cannot(error, NM_CYGNET_KEY_DPD_DELAY, dpd);
    if (dpd == NULL)
        rate = NULL;
    else if (dpd_ms == 0)
        rate = "None";
    else if (dpd_ms <= 5 * 60000)
        rate = "High";
    else if (dpd_ms <= 20 * 60000)
        rate = "Medium";
    else
        rate = "Low";
    for (gsize i = 0; rate && i < G_N_ELEMENTS(dpd_rates); i++) {
        guint64 rate_ms = 0;
        if (strcmp(dpd_rates[i].rate, rate) == 0
            && cg_parse_duration_ms(dpd_rates[i].delay, &rate_ms) && rate_ms != dpd_ms) {
            g_string_append_printf(notes, "  dpd-delay %s is written as DeadPeerDetectionRate %s\n",
                                   dpd, rate);
            g_message("export: %s dpd-delay %s is written as DeadPeerDetectionRate %s",
                      profile->id ? profile->id : gateway, dpd, rate);
        }
    }

    g_autofree char *profile_uuid = g_uuid_string_random();
    g_autofree char *random_uuid = g_uuid_string_random();
    g_autofree char *vpn_uuid = g_ascii_strup(profile->uuid ? profile->uuid : random_uuid, -1);
    g_autofree char *random_p12_uuid = g_uuid_string_random();
    g_autofree char *p12_uuid = g_ascii_strup(random_p12_uuid, -1);
    g_autofree char *name = g_strdup(profile->id ? profile->id : gateway);
    g_autoptr(GString) out = g_string_new(NULL);
    g_string_append(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
                         "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n");
    if (notes->len > 0) {
        g_string_append_printf(out, "<!-- written by NetworkManager-cygnet; approximated:\n%s-->\n",
                               notes->str);
    }
    g_string_append(out, "<plist version=\"1.0\">\n<dict>\n    <key>PayloadContent</key>\n"
                         "    <array>\n");
    const char *value;
    if (!psk_auth && (value = data_value(profile, NM_CYGNET_KEY_CA_CERT))
        && !write_roots(out, profile, value, error))
        return NULL;
    if (cert_auth
        && !write_pkcs12(out, profile, data_value(profile, NM_CYGNET_KEY_PKCS12), p12_uuid, error))
        return NULL;

    xml_payload_head(out, VPN_PAYLOAD_TYPE, vpn_uuid, name);
    xml_key_string(out, 12, "UserDefinedName", name);
    xml_key_string(out, 12, "VPNType", "IKEv2");
    g_string_append(out, "            <key>IKEv2</key>\n            <dict>\n");
    xml_key_string(out, 16, "RemoteAddress", gateway);
    if ((value = data_value(profile, NM_CYGNET_KEY_REMOTE_ID)))
        xml_key_string(out, 16, "RemoteIdentifier", value);
    if ((value = data_value(profile, NM_CYGNET_KEY_LOCAL_ID)))
        xml_key_string(out, 16, "LocalIdentifier", value);
    if (eap_auth) {
        xml_key_string(out, 16, "AuthenticationMethod", "None");
        xml_key_int(out, 16, "ExtendedAuthEnabled", 1);
        if ((value = data_value(profile, NM_CYGNET_KEY_USER)))
            xml_key_string(out, 16, "AuthName", value);
        const char *password = g_hash_table_lookup(profile->secrets, NM_CYGNET_SECRET_PASSWORD);
        if (password && password[0])
            xml_key_string(out, 16, "AuthPassword", password);
    } else if (cert_auth) {
        xml_key_string(out, 16, "AuthenticationMethod", "Certificate");
        xml_key_int(out, 16, "ExtendedAuthEnabled", 0);
        xml_key_string(out, 16, "PayloadCertificateUUID", p12_uuid);
    } else {
        xml_key_string(out, 16, "AuthenticationMethod", "SharedSecret");
        const char *psk = g_hash_table_lookup(profile->secrets, NM_CYGNET_SECRET_PSK);
        if (psk && psk[0]) {
            if (g_str_has_prefix(psk, "0s")) {
                g_string_append_printf(out,
                                       "                <key>SharedSecret</key>\n"
                                       "                <data>%s</data>\n",
                                       psk + 2);
            } else if (g_str_has_prefix(psk, "0x")) {
                gsize hex_len = strlen(psk + 2);
                if (hex_len % 2 != 0 || strspn(psk + 2, "0123456789abcdefABCDEF") != hex_len)
                    return cannot(error, NM_CYGNET_SECRET_PSK, "0x...");
                g_autofree guchar *bytes = g_malloc0(hex_len / 2 + 1);
                for (gsize i = 0; i < hex_len / 2; i++)
                    bytes[i] = (guchar)(g_ascii_xdigit_value(psk[2 + 2 * i]) * 16
                                        + g_ascii_xdigit_value(psk[3 + 2 * i]));
                g_autofree char *b64 = g_base64_encode(bytes, hex_len / 2);
                explicit_bzero(bytes, hex_len / 2);
                g_string_append_printf(out,
                                       "                <key>SharedSecret</key>\n"
                                       "                <data>%s</data>\n",
                                       b64);
                explicit_bzero(b64, strlen(b64));
            } else {
                xml_key_string(out, 16, "SharedSecret", psk);
            }
        }
        xml_key_int(out, 16, "ExtendedAuthEnabled", 0);
    }
    const char *ocsp = data_value(profile, NM_CYGNET_KEY_OCSP);
    if (ocsp && strcmp(ocsp, NM_CYGNET_OCSP_NO) != 0) {
        if (strcmp(ocsp, NM_CYGNET_OCSP_SOFT) != 0 && strcmp(ocsp, NM_CYGNET_OCSP_HARD) != 0)
            return cannot(error, NM_CYGNET_KEY_OCSP, ocsp);
        xml_key_int(out, 16, "EnableCertificateRevocationCheck", 1);
        if (strcmp(ocsp, NM_CYGNET_OCSP_HARD) == 0)
            xml_key_int(out, 16, "StrictRevocationCheck", 1);
    }
    if (rate)
        xml_key_string(out, 16, "DeadPeerDetectionRate", rate);
    if ((value = data_value(profile, NM_CYGNET_KEY_MOBIKE)))
        xml_key_int(out, 16, "DisableMOBIKE", is_yes(value) ? 0 : 1);
    if ((value = data_value(profile, NM_CYGNET_KEY_MTU)))
        xml_key_int(out, 16, "MTU", g_ascii_strtoll(value, NULL, 10));
    if (have_esp && esp.group)
        xml_key_int(out, 16, "EnablePFS", 1);
    const char *rekey = data_value(profile, NM_CYGNET_KEY_REKEY_TIME);
    const char *child_rekey = data_value(profile, NM_CYGNET_KEY_CHILD_REKEY_TIME);
    if (have_ike || rekey)
        xml_sa_params(out, "IKESecurityAssociationParameters", have_ike ? &ike : NULL, rekey);
    if (have_esp || child_rekey)
        xml_sa_params(out, "ChildSecurityAssociationParameters", have_esp ? &esp : NULL,
                      child_rekey);
    g_string_append(out, "            </dict>\n        </dict>\n    </array>\n");
    xml_key_string(out, 4, "PayloadType", PROFILE_PAYLOAD_TYPE);
    xml_key_int(out, 4, "PayloadVersion", 1);
    g_autofree char *profile_id = g_strdup_printf("io.cygnet.profile.%s", profile_uuid);
    xml_key_string(out, 4, "PayloadIdentifier", profile_id);
    xml_key_string(out, 4, "PayloadUUID", profile_uuid);
    xml_key_string(out, 4, "PayloadDisplayName", name);
    g_string_append(out, "</dict>\n</plist>\n");
    return g_string_free(g_steal_pointer(&out), FALSE);
}
