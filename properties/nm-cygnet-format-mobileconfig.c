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
 *    LifeTimeInMinutes), EnablePFS.
 *
 * With EAP or certificates, com.apple.security.root payloads are the
 * gateway's CAs (ca-cert) and the pkcs12 payload our certificate (pkcs12),
 * written to files when the import succeeds.
 *
 * Every other key is either known to change nothing for Cygnet (listed
 * below) or reported as unsupported. A signed profile (CMS around the
 * property list) is read without checking its signature.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nm-cygnet-formats.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-plist.h"
#include "nm-cygnet-validate.h"

#define VPN_PAYLOAD_TYPE     "com.apple.vpn.managed"
#define PROFILE_PAYLOAD_TYPE "Configuration"
#define ROOT_PAYLOAD_TYPE    "com.apple.security.root"
#define PKCS12_PAYLOAD_TYPE  "com.apple.security.pkcs12"
/* the smallest DER certificate or PKCS#12 file is bigger than this */
#define MIN_DER_BYTES 64

/* Apple's names -> Cygnet's (docs/cygnetd.md, "Proposals") */
static const struct {
    const char *apple;
    const char *cygnet;
    gboolean aead;
} ciphers[] = {
    { "AES-128", "aes128", FALSE },
    { "AES-256", "aes256", FALSE },
    { "AES-128-GCM", "aes128gcm16", TRUE },
    { "AES-256-GCM", "aes256gcm16", TRUE },
    { "ChaCha20Poly1305", "chacha20poly1305", TRUE },
};
static const struct {
    const char *apple;
    const char *integ;
    const char *prf;
} integrities[] = {
    { "SHA2-256", "sha256", "prfsha256" },
    { "SHA2-384", "sha384", "prfsha384" },
    { "SHA2-512", "sha512", "prfsha512" },
};
static const struct {
    gint64 group;
    const char *cygnet;
} dh_groups[] = {
    { 14, "modp2048" }, { 15, "modp3072" }, { 16, "modp4096" },
    { 19, "ecp256" },   { 20, "ecp384" },   { 31, "x25519" },
};
/* DeadPeerDetectionRate: how often Apple checks (Low 30 min, Medium
 * 10 min, High 1 min) */
static const struct {
    const char *rate;
    const char *delay;
} dpd_rates[] = {
    { "None", "0" },
    { "Low", "30m" },
    { "Medium", "10m" },
    { "High", "1m" },
};

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
    flag_must_be(ikev2, "EnableCertificateRevocationCheck", FALSE,
                 _("certificate revocation checks"), profile);
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

/* ---- writing ---------------------------------------------------------- */

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

char *
cg_mobileconfig_write(const CgProfile *profile, GError **error)
{
    static const char *const expressible[] = {
        NM_CYGNET_KEY_GATEWAY,
        NM_CYGNET_KEY_LOCAL_ID,
        NM_CYGNET_KEY_REMOTE_ID,
        NM_CYGNET_KEY_AUTH,
        NM_CYGNET_KEY_PSK_FLAGS,
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
        if (!g_strv_contains(expressible, keys[i]) && value[0] != '\0')
            return cannot(error, keys[i], value);
    }
    const char *auth = data_value(profile, NM_CYGNET_KEY_AUTH);
    if (auth && strcmp(auth, NM_CYGNET_AUTH_PSK) != 0)
        return cannot(error, NM_CYGNET_KEY_AUTH, auth);
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
     * written, and the file says so. */
    g_autoptr(GString) notes = g_string_new(NULL);
    const char *rate = NULL;
    const char *dpd = data_value(profile, NM_CYGNET_KEY_DPD_DELAY);
    guint64 dpd_ms = 30000;
    if (dpd && !cg_parse_duration_ms(dpd, &dpd_ms))
        return cannot(error, NM_CYGNET_KEY_DPD_DELAY, dpd);
    if (dpd_ms == 0)
        rate = "None";
    else if (dpd_ms <= 5 * 60000)
        rate = "High";
    else if (dpd_ms <= 20 * 60000)
        rate = "Medium";
    else
        rate = "Low";
    for (gsize i = 0; i < G_N_ELEMENTS(dpd_rates); i++) {
        guint64 rate_ms = 0;
        if (strcmp(dpd_rates[i].rate, rate) == 0
            && cg_parse_duration_ms(dpd_rates[i].delay, &rate_ms) && rate_ms != dpd_ms) {
            g_string_append_printf(notes, "  dpd-delay %s is written as DeadPeerDetectionRate %s\n",
                                   dpd ? dpd : "30s (default)", rate);
            g_message("export: %s dpd-delay %s is written as DeadPeerDetectionRate %s",
                      profile->id ? profile->id : gateway, dpd ? dpd : "30s", rate);
        }
    }

    g_autofree char *profile_uuid = g_uuid_string_random();
    g_autofree char *random_uuid = g_uuid_string_random();
    g_autofree char *vpn_uuid = g_ascii_strup(profile->uuid ? profile->uuid : random_uuid, -1);
    g_autofree char *name = g_strdup(profile->id ? profile->id : gateway);
    GString *out = g_string_new(NULL);
    g_string_append(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
                         "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n");
    if (notes->len > 0) {
        g_string_append_printf(out, "<!-- written by NetworkManager-cygnet; approximated:\n%s-->\n",
                               notes->str);
    }
    g_string_append(out, "<plist version=\"1.0\">\n<dict>\n    <key>PayloadContent</key>\n"
                         "    <array>\n        <dict>\n");
    xml_key_string(out, 12, "PayloadType", VPN_PAYLOAD_TYPE);
    xml_key_int(out, 12, "PayloadVersion", 1);
    g_autofree char *identifier = g_strdup_printf("io.cygnet.vpn.%s", vpn_uuid);
    xml_key_string(out, 12, "PayloadIdentifier", identifier);
    xml_key_string(out, 12, "PayloadUUID", vpn_uuid);
    xml_key_string(out, 12, "PayloadDisplayName", name);
    xml_key_string(out, 12, "UserDefinedName", name);
    xml_key_string(out, 12, "VPNType", "IKEv2");
    g_string_append(out, "            <key>IKEv2</key>\n            <dict>\n");
    xml_key_string(out, 16, "RemoteAddress", gateway);
    const char *value;
    if ((value = data_value(profile, NM_CYGNET_KEY_REMOTE_ID)))
        xml_key_string(out, 16, "RemoteIdentifier", value);
    if ((value = data_value(profile, NM_CYGNET_KEY_LOCAL_ID)))
        xml_key_string(out, 16, "LocalIdentifier", value);
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
            if (hex_len % 2 != 0 || strspn(psk + 2, "0123456789abcdefABCDEF") != hex_len) {
                g_string_free(out, TRUE);
                return cannot(error, NM_CYGNET_SECRET_PSK, "0x...");
            }
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
    xml_key_string(out, 16, "DeadPeerDetectionRate", rate);
    if ((value = data_value(profile, NM_CYGNET_KEY_MOBIKE))) {
        gboolean on
            = g_strv_contains((const char *const[]){ "yes", "true", "on", "1", NULL }, value);
        xml_key_int(out, 16, "DisableMOBIKE", on ? 0 : 1);
    }
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
    return g_string_free(out, FALSE);
}
