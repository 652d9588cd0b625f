/* nm-cygnet-format-mobileconfig.c: Apple configuration profiles
 * (.mobileconfig). A profile is a property list whose PayloadContent
 * array holds payloads; the one read here is com.apple.vpn.managed with
 * VPNType IKEv2 and its IKEv2 dictionary:
 *
 *   RemoteAddress, RemoteIdentifier, LocalIdentifier,
 *   AuthenticationMethod (SharedSecret | Certificate | None) + SharedSecret,
 *   ExtendedAuthEnabled (EAP) + AuthName, AuthPassword,
 *   PayloadCertificateUUID (our certificate: a com.apple.security.pkcs12
 *   payload), DeadPeerDetectionRate, DisableMOBIKE, MTU,
 *   IKESecurityAssociationParameters / ChildSecurityAssociationParameters
 *   (EncryptionAlgorithm, IntegrityAlgorithm, DiffieHellmanGroup,
 *    LifeTimeInMinutes), EnablePFS, EnableCertificateRevocationCheck and
 *   StrictRevocationCheck (ocsp soft / hard).
 *
 * With EAP or certificates, com.apple.security.root payloads are the
 * gateway's CAs (ca-cert) and the pkcs12 payload our certificate (pkcs12),
 * written to files when the import succeeds.
 *
 * Every other key is either known to change nothing for Cygnet (listed
 * below) or reported as unsupported. A signed profile (CMS around the
 * property list) is read without checking its signature. The writer is
 * nm-cygnet-format-mobileconfig-write.c.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nm-cygnet-formats.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-mobileconfig-names.h"
#include "nm-cygnet-plist.h"
#include "nm-cygnet-validate.h"

/* Keys that change nothing for Cygnet, with the reason. */
static const char *const harmless_payload_keys[] = {
    "PayloadType",
    "PayloadVersion",
    "PayloadIdentifier",
    "PayloadUUID",
    "PayloadDisplayName",
    "PayloadDescription",
    "PayloadOrganization",
    "UserDefinedName",
    "VPNType",
    "IKEv2",
    "VPNSubType",
    NULL,
};
static const char *const harmless_ikev2_keys[] = {
    /* a client that does not follow redirects stays with the first gateway */
    "DisableRedirect",
    /* battery-saving hints of the Apple stack */
    "NATKeepAliveOffloadEnable",
    "NATKeepAliveInterval",
    NULL,
};

typedef struct {
    CgProfile *profile;
} Reader;

static const char *
leaf_string(const CgPlist *node)
{
    return node && node->type == CG_PLIST_STRING ? node->text : NULL;
}

/* Reports an integer flag whose value is not the one Cygnet has. */
static void
flag_must_be(const CgPlist *ikev2, const char *key, gboolean cygnet_value, const char *what,
             CgProfile *profile)
{
    gboolean value = FALSE;
    const CgPlist *node = cg_plist_get(ikev2, key);
    if (node == NULL)
        return;
    if (!cg_plist_get_bool(node, &value))
        cg_profile_unsupported(profile, _("IKEv2 %s: not 0 or 1"), key);
    else if (value != cygnet_value)
        cg_profile_unsupported(profile, "%s (IKEv2 %s)", what, key);
}

/* The proposal of an SA parameters dictionary; NULL when absent. */
static char *
read_proposal(const CgPlist *params, const char *name, gboolean ike, gboolean pfs,
              CgProfile *profile, char **lifetime)
{
    static const char *const known[] = { "EncryptionAlgorithm", "IntegrityAlgorithm",
                                         "DiffieHellmanGroup", "LifeTimeInMinutes", NULL };
    if (params == NULL)
        return NULL;
    if (params->type != CG_PLIST_DICT) {
        cg_profile_unsupported(profile, _("%s is not a dictionary"), name);
        return NULL;
    }
    for (guint i = 0; i < params->keys->len; i++) {
        const char *key = g_ptr_array_index(params->keys, i);
        if (!g_strv_contains(known, key))
            cg_profile_unsupported(profile, _("%s %s (not supported)"), name, key);
    }
    /* Apple's defaults: AES-256, SHA2-256, group 14 */
    const char *enc = leaf_string(cg_plist_get(params, "EncryptionAlgorithm"));
    const char *integ = leaf_string(cg_plist_get(params, "IntegrityAlgorithm"));
    gint64 group = 14, minutes = 0;
    const CgPlist *group_node = cg_plist_get(params, "DiffieHellmanGroup");
    if (group_node && !cg_plist_get_int(group_node, &group))
        cg_profile_unsupported(profile, _("%s DiffieHellmanGroup is not a number"), name);
    const CgPlist *minutes_node = cg_plist_get(params, "LifeTimeInMinutes");
    if (minutes_node
        && (!cg_plist_get_int(minutes_node, &minutes) || minutes < 1 || minutes > 60 * 24 * 365))
        cg_profile_unsupported(profile, _("%s LifeTimeInMinutes is not a number of minutes"), name);
    else if (minutes_node)
        *lifetime = g_strdup_printf("%" G_GINT64_FORMAT "m", minutes);

    const char *cipher = NULL, *integ_name = NULL, *prf = NULL, *ke = NULL;
    gboolean aead = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(ciphers); i++) {
        if (strcmp(ciphers[i].apple, enc ? enc : "AES-256") == 0) {
            cipher = ciphers[i].cygnet;
            aead = ciphers[i].aead;
        }
    }
    if (cipher == NULL)
        cg_profile_unsupported(profile, _("%s EncryptionAlgorithm %s"), name, enc);
    for (gsize i = 0; i < G_N_ELEMENTS(integrities); i++) {
        if (strcmp(integrities[i].apple, integ ? integ : "SHA2-256") == 0) {
            integ_name = integrities[i].integ;
            prf = integrities[i].prf;
        }
    }
    if (integ_name == NULL)
        cg_profile_unsupported(profile, _("%s IntegrityAlgorithm %s"), name, integ);
    for (gsize i = 0; i < G_N_ELEMENTS(dh_groups); i++) {
        if (dh_groups[i].group == group)
            ke = dh_groups[i].cygnet;
    }
    if (ke == NULL && (ike || pfs))
        cg_profile_unsupported(profile, _("%s DiffieHellmanGroup %lld"), name, (long long)group);
    if (cipher == NULL || integ_name == NULL || ((ike || pfs) && ke == NULL))
        return NULL;

    /* AEAD: the integrity algorithm names the PRF (IKE) or nothing (ESP) */
    g_autoptr(GPtrArray) parts = g_ptr_array_new();
    g_ptr_array_add(parts, (gpointer)cipher);
    if (ike)
        g_ptr_array_add(parts, (gpointer)(aead ? prf : integ_name));
    else if (!aead)
        g_ptr_array_add(parts, (gpointer)integ_name);
    if (ike || pfs)
        g_ptr_array_add(parts, (gpointer)ke);
    g_ptr_array_add(parts, NULL);
    return g_strjoinv("-", (char **)parts->pdata);
}

/* The payloads a VPN payload may use: CA certificates, our PKCS#12. */
typedef struct {
    GPtrArray *roots;   /* com.apple.security.root payloads */
    GPtrArray *pkcs12s; /* com.apple.security.pkcs12 payloads */
    GPtrArray *used;    /* the ones the VPN payload took */
} Payloads;

/* A data payload's PayloadContent, decoded; NULL (reported) when it is not
 * DER (an ASN.1 SEQUENCE). */
static guint8 *
payload_der(const CgPlist *payload, const char *type, CgProfile *profile, gsize *len)
{
    static const char *const known[] = { "PayloadType",
                                         "PayloadVersion",
                                         "PayloadIdentifier",
                                         "PayloadUUID",
                                         "PayloadDisplayName",
                                         "PayloadDescription",
                                         "PayloadOrganization",
                                         "PayloadCertificateFileName",
                                         "PayloadContent",
                                         "Password",
                                         NULL };
    for (guint i = 0; i < payload->keys->len; i++) {
        const char *key = g_ptr_array_index(payload->keys, i);
        if (!g_strv_contains(known, key))
            cg_profile_unsupported(profile, _("%s %s (not supported)"), type, key);
    }
    const CgPlist *content = cg_plist_get(payload, "PayloadContent");
    guint8 *der = NULL;
    *len = 0;
    if (content && content->type == CG_PLIST_DATA)
        der = g_base64_decode(content->text, len);
    if (der == NULL || *len < MIN_DER_BYTES || der[0] != 0x30) {
        cg_profile_unsupported(profile, _("%s: PayloadContent is not a certificate file"), type);
        if (der)
            explicit_bzero(der, *len);
        g_free(der);
        return NULL;
    }
    return der;
}

/* The gateway's CAs: every root payload, as one PEM file. */
static void
use_roots(Payloads *payloads, CgProfile *profile)
{
    if (payloads->roots->len == 0)
        return;
    g_autoptr(GString) pem = g_string_new(NULL);
    for (guint i = 0; i < payloads->roots->len; i++) {
        const CgPlist *root = g_ptr_array_index(payloads->roots, i);
        g_ptr_array_add(payloads->used, (gpointer)root);
        gsize len = 0;
        g_autofree guint8 *der = payload_der(root, ROOT_PAYLOAD_TYPE, profile, &len);
        if (der == NULL)
            continue;
        g_autofree char *base64 = g_base64_encode(der, len);
        g_string_append(pem, "-----BEGIN CERTIFICATE-----\n");
        gsize base64_len = strlen(base64);
        for (gsize at = 0; at < base64_len; at += 64)
            g_string_append_printf(pem, "%.64s\n", base64 + at);
        g_string_append(pem, "-----END CERTIFICATE-----\n");
    }
    if (pem->len == 0)
        return;
    g_autofree char *name = g_strdup_printf("%s-ca.pem", cg_profile_ensure_uuid(profile));
    g_autofree char *path = cg_profile_file_path(name);
    cg_profile_add_file(profile, path, pem->str, pem->len);
    cg_profile_set(profile, NM_CYGNET_KEY_CA_CERT, path);
}

/* Our certificate: the pkcs12 payload PayloadCertificateUUID names. */
static void
use_pkcs12(const CgPlist *ikev2, Payloads *payloads, CgProfile *profile)
{
    const char *uuid = leaf_string(cg_plist_get(ikev2, "PayloadCertificateUUID"));
    const CgPlist *found = NULL;
    for (guint i = 0; uuid && i < payloads->pkcs12s->len; i++) {
        const CgPlist *p12 = g_ptr_array_index(payloads->pkcs12s, i);
        const char *p12_uuid = leaf_string(cg_plist_get(p12, "PayloadUUID"));
        if (p12_uuid && g_ascii_strcasecmp(p12_uuid, uuid) == 0)
            found = p12;
    }
    if (found == NULL) {
        cg_profile_unsupported(profile, _("certificate authentication without its certificate "
                                          "in the profile (IKEv2 PayloadCertificateUUID)"));
        return;
    }
    g_ptr_array_add(payloads->used, (gpointer)found);
    gsize len = 0;
    g_autofree guint8 *der = payload_der(found, PKCS12_PAYLOAD_TYPE, profile, &len);
    if (der == NULL)
        return;
    g_autofree char *name = g_strdup_printf("%s.p12", cg_profile_ensure_uuid(profile));
    g_autofree char *path = cg_profile_file_path(name);
    cg_profile_add_file(profile, path, der, len);
    explicit_bzero(der, len);
    cg_profile_set(profile, NM_CYGNET_KEY_PKCS12, path);
    const char *password = leaf_string(cg_plist_get(found, "Password"));
    if (password) {
        cg_profile_set_secret(profile, NM_CYGNET_SECRET_KEY_PASSPHRASE, password);
        cg_profile_set(profile, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, "0");
    } else {
        /* asked for when connecting, kept in the keyring */
        cg_profile_set(profile, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, "1");
    }
}

/* EAP-MSCHAPv2, the gateway with its certificate: user name and password */
static void
read_eap(const CgPlist *ikev2, CgProfile *profile)
{
    cg_profile_set(profile, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_EAP);
    cg_profile_set(profile, NM_CYGNET_KEY_EAP_METHOD, NM_CYGNET_EAP_MSCHAPV2);
    const char *user = leaf_string(cg_plist_get(ikev2, "AuthName"));
    const char *password = leaf_string(cg_plist_get(ikev2, "AuthPassword"));
    if (user)
        cg_profile_set(profile, NM_CYGNET_KEY_USER, user);
    if (password) {
        cg_profile_set_secret(profile, NM_CYGNET_SECRET_PASSWORD, password);
        cg_profile_set(profile, NM_CYGNET_KEY_PASSWORD_FLAGS, "0");
    } else {
        /* no password in the file: asked for once, kept in the keyring */
        cg_profile_set(profile, NM_CYGNET_KEY_PASSWORD_FLAGS, "1");
    }
}

/* Apple's revocation check of the gateway's certificate: best effort
 * (an unreachable server passes) or, with StrictRevocationCheck, a "not
 * revoked" answer required: Cygnet's ocsp soft and hard. */
static void
read_revocation(const CgPlist *ikev2, CgProfile *profile)
{
    gboolean enabled = FALSE, strict = FALSE;
    const CgPlist *enable_node = cg_plist_get(ikev2, "EnableCertificateRevocationCheck");
    const CgPlist *strict_node = cg_plist_get(ikev2, "StrictRevocationCheck");
    if (enable_node && !cg_plist_get_bool(enable_node, &enabled))
        cg_profile_unsupported(profile, _("IKEv2 %s: not 0 or 1"),
                               "EnableCertificateRevocationCheck");
    if (strict_node && !cg_plist_get_bool(strict_node, &strict))
        cg_profile_unsupported(profile, _("IKEv2 %s: not 0 or 1"), "StrictRevocationCheck");
    /* StrictRevocationCheck alone changes nothing: no check is made */
    if (enabled)
        cg_profile_set(profile, NM_CYGNET_KEY_OCSP, strict ? NM_CYGNET_OCSP_HARD : NM_CYGNET_OCSP_SOFT);
}

static void
read_auth(const CgPlist *ikev2, Payloads *payloads, CgProfile *profile)
{
    const char *method = leaf_string(cg_plist_get(ikev2, "AuthenticationMethod"));
    gboolean eap = FALSE;
    cg_plist_get_bool(cg_plist_get(ikev2, "ExtendedAuthEnabled"), &eap);
    if (cg_plist_get(ikev2, "AuthName") || cg_plist_get(ikev2, "AuthPassword"))
        if (!eap)
            cg_profile_unsupported(profile, _("a user name and password (IKEv2 AuthName)"));

    if (method == NULL || strcmp(method, "SharedSecret") == 0) {
        if (eap)
            cg_profile_unsupported(profile, _("EAP with a pre-shared key (IKEv2 "
                                              "ExtendedAuthEnabled with SharedSecret)"));
        cg_profile_set(profile, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_PSK);
        const CgPlist *secret = cg_plist_get(ikev2, "SharedSecret");
        if (secret && secret->type == CG_PLIST_STRING) {
            cg_profile_set_secret(profile, NM_CYGNET_SECRET_PSK, secret->text);
            cg_profile_set(profile, NM_CYGNET_KEY_PSK_FLAGS, "0");
        } else if (secret && secret->type == CG_PLIST_DATA) {
            /* base64 in the file; Cygnet's "0s" prefix takes base64 as is */
            g_autofree char *compact = g_strdelimit(g_strdup(secret->text), " \t\r\n", ' ');
            g_auto(GStrv) pieces = g_strsplit(compact, " ", -1);
            g_autofree char *joined = g_strjoinv("", pieces);
            g_autofree char *value = g_strconcat("0s", joined, NULL);
            cg_profile_set_secret(profile, NM_CYGNET_SECRET_PSK, value);
            cg_profile_set(profile, NM_CYGNET_KEY_PSK_FLAGS, "0");
            explicit_bzero(value, strlen(value));
        } else {
            /* no secret in the file: ask for it, keep it in the keyring */
            cg_profile_set(profile, NM_CYGNET_KEY_PSK_FLAGS, "1");
        }
        flag_must_be(ikev2, "EnableCertificateRevocationCheck", FALSE,
                     _("certificate revocation checks with a pre-shared key"), profile);
        return;
    }
    if (strcmp(method, "Certificate") == 0) {
        cg_profile_set(profile, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_CERT);
        if (eap)
            cg_profile_unsupported(profile, _("certificate and then EAP authentication (IKEv2 "
                                              "AuthenticationMethod Certificate with "
                                              "ExtendedAuthEnabled)"));
        use_pkcs12(ikev2, payloads, profile);
    } else if (strcmp(method, "None") == 0) {
        if (!eap) {
            cg_profile_unsupported(profile, _("no authentication of ours (IKEv2 "
                                              "AuthenticationMethod None)"));
            return;
        }
        read_eap(ikev2, profile);
    } else {
        cg_profile_unsupported(profile, _("IKEv2 AuthenticationMethod %s"), method);
        return;
    }
    /* the gateway shows a certificate: the profile's CAs, or the system's */
    use_roots(payloads, profile);
    read_revocation(ikev2, profile);
}

static void
read_ikev2(const CgPlist *ikev2, Payloads *payloads, CgProfile *profile)
{
    static const char *const mapped[] = {
        "RemoteAddress",
        "RemoteIdentifier",
        "LocalIdentifier",
        "AuthenticationMethod",
        "SharedSecret",
        "ExtendedAuthEnabled",
        "AuthName",
        "AuthPassword",
        "PayloadCertificateUUID",
        "DeadPeerDetectionRate",
        "DisableMOBIKE",
        "MTU",
        "IKESecurityAssociationParameters",
        "ChildSecurityAssociationParameters",
        "EnablePFS",
        "EnableCertificateRevocationCheck",
        "StrictRevocationCheck",
        "UseConfigurationAttributeInternalIPSubnet",
        "OnDemandEnabled",
        NULL,
    };
    for (guint i = 0; i < ikev2->keys->len; i++) {
        const char *key = g_ptr_array_index(ikev2->keys, i);
        if (!g_strv_contains(mapped, key) && !g_strv_contains(harmless_ikev2_keys, key))
            cg_profile_unsupported(profile, _("IKEv2 %s (not supported)"), key);
    }
    static const struct {
        const char *apple;
        const char *key;
    } strings[] = {
        { "RemoteAddress", NM_CYGNET_KEY_GATEWAY },
        { "RemoteIdentifier", NM_CYGNET_KEY_REMOTE_ID },
        { "LocalIdentifier", NM_CYGNET_KEY_LOCAL_ID },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(strings); i++) {
        const CgPlist *node = cg_plist_get(ikev2, strings[i].apple);
        if (node && node->type != CG_PLIST_STRING)
            cg_profile_unsupported(profile, _("IKEv2 %s is not a string"), strings[i].apple);
        else if (node)
            cg_profile_set(profile, strings[i].key, node->text);
    }
    read_auth(ikev2, payloads, profile);

    const char *rate = leaf_string(cg_plist_get(ikev2, "DeadPeerDetectionRate"));
    if (rate) {
        gboolean known = FALSE;
        for (gsize i = 0; i < G_N_ELEMENTS(dpd_rates); i++) {
            if (strcmp(dpd_rates[i].rate, rate) == 0) {
                cg_profile_set(profile, NM_CYGNET_KEY_DPD_DELAY, dpd_rates[i].delay);
                known = TRUE;
            }
        }
        if (!known)
            cg_profile_unsupported(profile, _("IKEv2 DeadPeerDetectionRate %s"), rate);
    }
    gboolean disable_mobike = FALSE;
    if (cg_plist_get_bool(cg_plist_get(ikev2, "DisableMOBIKE"), &disable_mobike))
        cg_profile_set(profile, NM_CYGNET_KEY_MOBIKE, disable_mobike ? "no" : "yes");
    gint64 mtu = 0;
    if (cg_plist_get_int(cg_plist_get(ikev2, "MTU"), &mtu)) {
        g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT, mtu);
        cg_profile_set(profile, NM_CYGNET_KEY_MTU, text);
    }
    flag_must_be(ikev2, "UseConfigurationAttributeInternalIPSubnet", FALSE,
                 _("routes from the INTERNAL_IP4_SUBNET attribute"), profile);
    flag_must_be(ikev2, "OnDemandEnabled", FALSE, _("VPN on demand"), profile);

    gboolean pfs = FALSE;
    cg_plist_get_bool(cg_plist_get(ikev2, "EnablePFS"), &pfs);
    g_autofree char *ike_life = NULL, *child_life = NULL;
    g_autofree char *ike
        = read_proposal(cg_plist_get(ikev2, "IKESecurityAssociationParameters"),
                        "IKESecurityAssociationParameters", TRUE, FALSE, profile, &ike_life);
    g_autofree char *esp
        = read_proposal(cg_plist_get(ikev2, "ChildSecurityAssociationParameters"),
                        "ChildSecurityAssociationParameters", FALSE, pfs, profile, &child_life);
    if (ike)
        cg_profile_set(profile, NM_CYGNET_KEY_IKE, ike);
    if (esp)
        cg_profile_set(profile, NM_CYGNET_KEY_ESP, esp);
    if (ike_life)
        cg_profile_set(profile, NM_CYGNET_KEY_REKEY_TIME, ike_life);
    if (child_life)
        cg_profile_set(profile, NM_CYGNET_KEY_CHILD_REKEY_TIME, child_life);
}

/* A signed profile is DER (CMS) with the property list inside: find it
 * (memmem: DER has NUL bytes). */
static gboolean
find_plist(const char *text, gsize len, gsize *start, gsize *end)
{
    static const char close_tag[] = "</plist>";
    const char *open = memmem(text, len, "<?xml", 5);
    if (open == NULL)
        open = memmem(text, len, "<plist", 6);
    if (open == NULL)
        return FALSE;
    const char *close = NULL;
    const char *from = open;
    const char *found;
    while ((found = memmem(from, len - (gsize)(from - text), close_tag, strlen(close_tag)))) {
        close = found;
        from = found + 1;
    }
    if (close == NULL)
        return FALSE;
    *start = (gsize)(open - text);
    *end = (gsize)(close - text) + strlen(close_tag);
    return TRUE;
}

CgProfile *
cg_mobileconfig_read(const char *text, gsize len, GError **error)
{
    gsize start = 0, end = len;
    if (!find_plist(text, len, &start, &end)) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Not an Apple profile: no property list in it"));
        return NULL;
    }
    g_autoptr(GError) local = NULL;
    g_autoptr(CgPlist) root = cg_plist_parse(text + start, end - start, &local);
    if (root == NULL) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Not an Apple profile: %s"), local->message);
        return NULL;
    }
    const CgPlist *content = cg_plist_get(root, "PayloadContent");
    if (content == NULL || content->type != CG_PLIST_ARRAY) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Not an Apple profile: no PayloadContent array"));
        return NULL;
    }
    g_autoptr(CgProfile) profile = cg_profile_new();
    const CgPlist *vpn = NULL;
    guint vpn_count = 0;
    g_autoptr(GPtrArray) roots = g_ptr_array_new();
    g_autoptr(GPtrArray) pkcs12s = g_ptr_array_new();
    g_autoptr(GPtrArray) used = g_ptr_array_new();
    for (guint i = 0; i < content->items->len; i++) {
        const CgPlist *payload = g_ptr_array_index(content->items, i);
        const char *type = leaf_string(cg_plist_get(payload, "PayloadType"));
        if (type && strcmp(type, VPN_PAYLOAD_TYPE) == 0) {
            vpn_count++;
            vpn = payload;
        } else if (type && strcmp(type, ROOT_PAYLOAD_TYPE) == 0) {
            g_ptr_array_add(roots, (gpointer)payload);
        } else if (type && strcmp(type, PKCS12_PAYLOAD_TYPE) == 0) {
            g_ptr_array_add(pkcs12s, (gpointer)payload);
        } else {
            cg_profile_unsupported(profile, _("the payload %s"), type ? type : _("(no type)"));
        }
    }
    if (vpn_count == 0) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("The Apple profile has no VPN payload (%s)"), VPN_PAYLOAD_TYPE);
        return NULL;
    }
    if (vpn_count > 1)
        cg_profile_unsupported(profile,
                               _("%u VPN payloads in one file (one is imported at a "
                                 "time)"),
                               vpn_count);
    const char *vpn_type = leaf_string(cg_plist_get(vpn, "VPNType"));
    const CgPlist *ikev2 = cg_plist_get(vpn, "IKEv2");
    if (vpn_type == NULL || strcmp(vpn_type, "IKEv2") != 0 || ikev2 == NULL
        || ikev2->type != CG_PLIST_DICT) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                    _("The Apple profile's VPN is of type %s, not IKEv2"),
                    vpn_type ? vpn_type : _("(none)"));
        return NULL;
    }
    for (guint i = 0; i < vpn->keys->len; i++) {
        const char *key = g_ptr_array_index(vpn->keys, i);
        if (!g_strv_contains(harmless_payload_keys, key))
            cg_profile_unsupported(profile, _("%s (not supported)"), key);
    }
    const char *name = leaf_string(cg_plist_get(vpn, "UserDefinedName"));
    if (name == NULL)
        name = leaf_string(cg_plist_get(vpn, "PayloadDisplayName"));
    profile->id = g_strdup(name);
    const char *uuid = leaf_string(cg_plist_get(vpn, "PayloadUUID"));
    profile->uuid = uuid ? g_ascii_strdown(uuid, -1) : NULL;
    Payloads payloads = { roots, pkcs12s, used };
    read_ikev2(ikev2, &payloads, profile);
    /* certificate payloads the VPN does not use (a PSK VPN's CA, ...) */
    for (guint i = 0; i < roots->len; i++) {
        if (!g_ptr_array_find(used, g_ptr_array_index(roots, i), NULL))
            cg_profile_unsupported(profile, _("the payload %s"), ROOT_PAYLOAD_TYPE);
    }
    for (guint i = 0; i < pkcs12s->len; i++) {
        if (!g_ptr_array_find(used, g_ptr_array_index(pkcs12s, i), NULL))
            cg_profile_unsupported(profile, _("the payload %s"), PKCS12_PAYLOAD_TYPE);
    }
    return g_steal_pointer(&profile);
}
