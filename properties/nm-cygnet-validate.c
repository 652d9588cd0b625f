/* nm-cygnet-validate.c: vpn.data value checks (see the header). */
#include "config.h"

#include "nm-cygnet-validate.h"

#include <NetworkManager.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nm-cygnet-keys.h"

G_DEFINE_QUARK(cg - validate - error - quark, cg_validate_error)

#define MTU_MIN              576
#define MTU_MAX              65535
#define RETRANSMIT_TRIES_MAX 20
#define RETRANSMIT_MAX_MS    60000
#define DURATION_MAX_S       G_MAXUINT32
#define IDENTITY_MAX_BYTES   255
#define NAME_MAX_BYTES       255 /* EAP user, token certificate */
#define SECRET_FLAGS_MAX     7

typedef enum {
    ALG_CIPHER,
    ALG_AEAD,
    ALG_INTEG,
    ALG_PRF,
    ALG_KE,
    ALG_ESN,
} AlgKind;

/* docs/cygnetd.md, "Proposals" (checked against it by tests/ui) */
static const struct {
    const char *name;
    AlgKind kind;
} algorithms[] = {
    { "aes128", ALG_CIPHER },
    { "aes256", ALG_CIPHER },
    { "aes128gcm16", ALG_AEAD },
    { "aes256gcm16", ALG_AEAD },
    { "aes128gcm", ALG_AEAD },
    { "aes256gcm", ALG_AEAD },
    { "chacha20poly1305", ALG_AEAD },
    { "sha256", ALG_INTEG },
    { "sha384", ALG_INTEG },
    { "sha512", ALG_INTEG },
    { "prfsha256", ALG_PRF },
    { "prfsha384", ALG_PRF },
    { "prfsha512", ALG_PRF },
    { "modp2048", ALG_KE },
    { "modp3072", ALG_KE },
    { "modp4096", ALG_KE },
    { "ecp256", ALG_KE },
    { "ecp384", ALG_KE },
    { "x25519", ALG_KE },
    { "curve25519", ALG_KE },
    { "esn", ALG_ESN },
    { "noesn", ALG_ESN },
};

const char *const *
cg_proposal_algorithms(void)
{
    static const char *names[G_N_ELEMENTS(algorithms) + 1];
    if (names[0] == NULL) {
        for (gsize i = 0; i < G_N_ELEMENTS(algorithms); i++)
            names[i] = algorithms[i].name;
    }
    return names;
}

static gboolean invalid(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
invalid(GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, CG_VALIDATE_ERROR, CG_VALIDATE_ERROR_INVALID, message);
    return FALSE;
}

gboolean
cg_auth_method_supported(const char *method)
{
    static const char *const methods[]
        = { NM_CYGNET_AUTH_PSK, NM_CYGNET_AUTH_CERT, NM_CYGNET_AUTH_EAP, NULL };
    return method != NULL && g_strv_contains(methods, method);
}

gboolean
cg_parse_duration_ms(const char *text, guint64 *out_ms)
{
    static const struct {
        const char *suffix;
        guint64 ms;
    } units[] = {
        { "ms", 1 },      { "s", 1000 },     { "m", 60000 },
        { "h", 3600000 }, { "d", 86400000 }, { "", 1000 },
    };
    gsize digits = strspn(text, "0123456789");
    if (digits == 0 || digits > 10)
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(text + digits, units[i].suffix) != 0)
            continue;
        g_autofree char *number = g_strndup(text, digits);
        guint64 value = g_ascii_strtoull(number, NULL, 10);
        if (value * units[i].ms / 1000 > DURATION_MAX_S)
            return FALSE;
        *out_ms = value * units[i].ms;
        return TRUE;
    }
    return FALSE;
}

static gboolean
check_uint(const char *value, guint64 min, guint64 max, GError **error)
{
    guint64 number = 0;
    if (!g_ascii_string_to_unsigned(value, 10, min, max, &number, NULL))
        return invalid(error, _("“%s” is not a number from %u to %u"), value, (guint)min,
                       (guint)max);
    return TRUE;
}

static gboolean
check_duration(const char *key, const char *value, GError **error)
{
    guint64 ms = 0;
    gboolean ms_allowed = strcmp(key, NM_CYGNET_KEY_RETRANSMIT_TIMEOUT) == 0;
    if (!cg_parse_duration_ms(value, &ms) || (!ms_allowed && g_str_has_suffix(value, "ms")))
        return invalid(error, _("“%s” is not a duration such as 30s, 10m, 4h or 1d"), value);
    if (ms_allowed && (ms < 1 || ms > RETRANSMIT_MAX_MS))
        return invalid(error, _("“%s” is not between 1ms and 60s"), value);
    return TRUE;
}

static gboolean
check_boolean(const char *value, GError **error)
{
    static const char *const words[]
        = { "yes", "no", "true", "false", "on", "off", "1", "0", NULL };
    if (!g_strv_contains(words, value))
        return invalid(error, _("“%s” is not yes or no"), value);
    return TRUE;
}

static gboolean
check_choice(const char *value, const char *const *choices, GError **error)
{
    if (g_strv_contains(choices, value))
        return TRUE;
    g_autofree char *list = g_strjoinv(", ", (char **)choices);
    return invalid(error, _("“%s” is not one of %s"), value, list);
}

static gboolean
is_host_name(const char *text)
{
    gsize len = strlen(text);
    if (len == 0 || len > 253 || text[0] == '.' || text[0] == '-')
        return FALSE;
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
            return FALSE;
    }
    return strstr(text, "..") == NULL;
}

static gboolean
check_gateway(const char *value, GError **error)
{
    if (g_hostname_is_ip_address(value) || is_host_name(value))
        return TRUE;
    return invalid(error, _("“%s” is not a host name or an IP address"), value);
}

static gboolean
check_identity(const char *value, GError **error)
{
    if (strlen(value) > IDENTITY_MAX_BYTES)
        return invalid(error, _("An identity has at most %d characters"), IDENTITY_MAX_BYTES);
    if (!g_utf8_validate(value, -1, NULL) || strpbrk(value, "\n\r,") != NULL)
        return invalid(error, _("“%s” is not a valid identity"), value);
    return TRUE;
}

/* 10.0.0.0/8, 2001:db8::/32, 10.0.0.1-10.0.0.9, 10.0.0.1, dynamic; each
 * optionally [proto/port]. Host bits in a CIDR are refused. */
static gboolean
check_one_ts(const char *text, GError **error)
{
    g_autofree char *selector = g_strstrip(g_strdup(text));
    char *bracket = strchr(selector, '[');
    if (bracket != NULL) {
        if (!g_str_has_suffix(bracket, "]") || bracket[1] == ']')
            return invalid(error, _("“%s” has a malformed [protocol/port] part"), text);
        *bracket = '\0';
    }
    if (strcmp(selector, "dynamic") == 0 || g_hostname_is_ip_address(selector))
        return TRUE;
    char *dash = strchr(selector, '-');
    if (dash != NULL) {
        *dash = '\0';
        g_autoptr(GInetAddress) first = g_inet_address_new_from_string(selector);
        g_autoptr(GInetAddress) last = g_inet_address_new_from_string(dash + 1);
        if (first && last && g_inet_address_get_family(first) == g_inet_address_get_family(last))
            return TRUE;
        return invalid(error, _("“%s” is not an address range"), text);
    }
    g_autoptr(GError) mask_error = NULL;
    g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(selector, &mask_error);
    if (mask == NULL)
        return invalid(error, _("“%s” is not a network such as 10.1.0.0/16"), text);
    /* GLib refuses host bits itself: "10.1.2.3/16" fails above */
    return TRUE;
}

static gboolean
check_ts(const char *value, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    for (gsize i = 0; parts[i]; i++) {
        if (!check_one_ts(parts[i], error))
            return FALSE;
    }
    return TRUE;
}

/* An EAP user name or a token certificate's name: printable, bounded
 * (the service's rule). */
static gboolean
check_name(const char *value, GError **error)
{
    if (strlen(value) > NAME_MAX_BYTES)
        return invalid(error, _("A name has at most %d characters"), NAME_MAX_BYTES);
    gboolean ok = g_utf8_validate(value, -1, NULL);
    for (const char *p = value; ok && *p; p++)
        ok = !g_ascii_iscntrl(*p);
    if (!ok)
        return invalid(error, _("“%s” holds characters a name cannot have"), value);
    return TRUE;
}

/* Files are named by absolute path: the service (root) reads them when
 * connecting, from whatever directory it runs in. */
static gboolean
check_path(const char *value, GError **error)
{
    if (!g_path_is_absolute(value))
        return invalid(error, _("“%s” is not an absolute path"), value);
    if (strpbrk(value, "\n\r") != NULL)
        return invalid(error, _("A file name cannot hold a line break"));
    return TRUE;
}

static gboolean
lookup_algorithm(const char *name, AlgKind *kind)
{
    for (gsize i = 0; i < G_N_ELEMENTS(algorithms); i++) {
        if (strcmp(algorithms[i].name, name) == 0) {
            *kind = algorithms[i].kind;
            return TRUE;
        }
    }
    return FALSE;
}

/* docs/cygnetd.md's rules: IKE needs a cipher, a PRF (or an integrity
 * algorithm) and a key exchange; ESP a cipher and, unless AEAD, an
 * integrity algorithm; AEAD and classic ciphers never share a proposal. */
static gboolean
check_proposals(const char *value, gboolean ike, GError **error)
{
    if (strcmp(value, "default") == 0)
        return TRUE;
    g_auto(GStrv) proposals = g_strsplit(value, ",", -1);
    for (gsize i = 0; proposals[i]; i++) {
        g_autofree char *proposal = g_strstrip(g_strdup(proposals[i]));
        g_auto(GStrv) names = g_strsplit(proposal, "-", -1);
        guint counts[ALG_ESN + 1] = { 0 };
        for (gsize j = 0; names[j]; j++) {
            AlgKind kind;
            if (!lookup_algorithm(names[j], &kind))
                return invalid(error, _("Unknown algorithm “%s” in “%s”"), names[j], proposal);
            counts[kind]++;
        }
        if (counts[ALG_AEAD] > 0 && (counts[ALG_CIPHER] > 0 || counts[ALG_INTEG] > 0))
            return invalid(error, _("“%s” mixes AEAD and classic algorithms"), proposal);
        if (counts[ALG_AEAD] + counts[ALG_CIPHER] == 0)
            return invalid(error, _("“%s” has no cipher"), proposal);
        if (ike && counts[ALG_KE] == 0)
            return invalid(error, _("“%s” has no key exchange method"), proposal);
        if (ike && counts[ALG_PRF] + counts[ALG_INTEG] == 0)
            return invalid(error, _("“%s” has no PRF"), proposal);
        if (ike && counts[ALG_ESN] > 0)
            return invalid(error, _("“%s”: esn is for ESP only"), proposal);
        if (!ike && counts[ALG_PRF] > 0)
            return invalid(error, _("“%s”: a PRF is for IKE only"), proposal);
        if (!ike && counts[ALG_CIPHER] > 0 && counts[ALG_INTEG] == 0)
            return invalid(error, _("“%s” has no integrity algorithm"), proposal);
    }
    return TRUE;
}

gboolean
cg_validate_value(const char *key, const char *value, GError **error)
{
    static const char *const vip_choices[]
        = { NM_CYGNET_VIP_IPV4, NM_CYGNET_VIP_IPV6, NM_CYGNET_VIP_BOTH, NM_CYGNET_VIP_NO, NULL };
    static const char *const dataplane_choices[]
        = { NM_CYGNET_DATAPLANE_AUTO, NM_CYGNET_DATAPLANE_UESP, NM_CYGNET_DATAPLANE_XFRM,
            NM_CYGNET_DATAPLANE_LOG, NULL };
    static const char *const eap_choices[] = { NM_CYGNET_EAP_MSCHAPV2, NM_CYGNET_EAP_TLS, NULL };
    static const char *const data_keys[] = { NM_CYGNET_DATA_KEYS, NULL };

    if (!g_strv_contains(data_keys, key)) {
        g_set_error(error, CG_VALIDATE_ERROR, CG_VALIDATE_ERROR_UNKNOWN_KEY,
                    _("Unknown setting “%s”"), key);
        return FALSE;
    }
    if (value == NULL || value[0] == '\0') {
        if (strcmp(key, NM_CYGNET_KEY_GATEWAY) == 0) {
            g_set_error_literal(error, CG_VALIDATE_ERROR, CG_VALIDATE_ERROR_MISSING,
                                _("The gateway is required"));
            return FALSE;
        }
        return TRUE;
    }
    if (strcmp(key, NM_CYGNET_KEY_GATEWAY) == 0)
        return check_gateway(value, error);
    if (strcmp(key, NM_CYGNET_KEY_PORT) == 0)
        return check_uint(value, 1, 65535, error);
    if (strcmp(key, NM_CYGNET_KEY_LOCAL_ID) == 0 || strcmp(key, NM_CYGNET_KEY_REMOTE_ID) == 0)
        return check_identity(value, error);
    if (strcmp(key, NM_CYGNET_KEY_AUTH) == 0) {
        if (cg_auth_method_supported(value))
            return TRUE;
        g_set_error(error, CG_VALIDATE_ERROR, CG_VALIDATE_ERROR_UNSUPPORTED,
                    _("Authentication “%s” is not supported by this version"), value);
        return FALSE;
    }
    if (strcmp(key, NM_CYGNET_KEY_IKE) == 0 || strcmp(key, NM_CYGNET_KEY_ESP) == 0)
        return check_proposals(value, strcmp(key, NM_CYGNET_KEY_IKE) == 0, error);
    if (strcmp(key, NM_CYGNET_KEY_VIRTUAL_IP) == 0)
        return check_choice(value, vip_choices, error);
    if (strcmp(key, NM_CYGNET_KEY_DATAPLANE) == 0)
        return check_choice(value, dataplane_choices, error);
    if (strcmp(key, NM_CYGNET_KEY_ADDRESS_FAMILY) == 0) {
        static const char *const family_choices[]
            = { NM_CYGNET_FAMILY_AUTO,       NM_CYGNET_FAMILY_IPV6_FIRST,
                NM_CYGNET_FAMILY_IPV4_FIRST, NM_CYGNET_FAMILY_IPV6_ONLY,
                NM_CYGNET_FAMILY_IPV4_ONLY,  NULL };
        return check_choice(value, family_choices, error);
    }
    if (strcmp(key, NM_CYGNET_KEY_OCSP) == 0) {
        static const char *const ocsp_choices[]
            = { NM_CYGNET_OCSP_NO, NM_CYGNET_OCSP_SOFT, NM_CYGNET_OCSP_HARD, NULL };
        return check_choice(value, ocsp_choices, error);
    }
    if (strcmp(key, NM_CYGNET_KEY_LOCAL_TS) == 0 || strcmp(key, NM_CYGNET_KEY_REMOTE_TS) == 0)
        return check_ts(value, error);
    if (strcmp(key, NM_CYGNET_KEY_ENCAP) == 0 || strcmp(key, NM_CYGNET_KEY_MOBIKE) == 0)
        return check_boolean(value, error);
    if (strcmp(key, NM_CYGNET_KEY_RETRANSMIT_TRIES) == 0)
        return check_uint(value, 1, RETRANSMIT_TRIES_MAX, error);
    if (strcmp(key, NM_CYGNET_KEY_MTU) == 0)
        return check_uint(value, MTU_MIN, MTU_MAX, error);
    if (strcmp(key, NM_CYGNET_KEY_PSK_FLAGS) == 0 || strcmp(key, NM_CYGNET_KEY_PASSWORD_FLAGS) == 0
        || strcmp(key, NM_CYGNET_KEY_PIN_FLAGS) == 0
        || strcmp(key, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS) == 0)
        return check_uint(value, 0, SECRET_FLAGS_MAX, error);
    if (strcmp(key, NM_CYGNET_KEY_EAP_METHOD) == 0)
        return check_choice(value, eap_choices, error);
    if (strcmp(key, NM_CYGNET_KEY_USER) == 0 || strcmp(key, NM_CYGNET_KEY_CERT_NICKNAME) == 0)
        return check_name(value, error);
    if (cg_key_is_file(key))
        return check_path(value, error);
    /* the rest are durations */
    return check_duration(key, value, error);
}

gboolean
cg_validate_family_gateway(const char *family, const char *gateway, GError **error)
{
    g_autoptr(GInetAddress) literal = gateway ? g_inet_address_new_from_string(gateway) : NULL;
    if (literal == NULL || family == NULL)
        return TRUE;
    gboolean v6 = g_inet_address_get_family(literal) == G_SOCKET_FAMILY_IPV6;
    if (strcmp(family, NM_CYGNET_FAMILY_IPV4_ONLY) == 0 && v6)
        return invalid(error, _("“IPv4 only” excludes the gateway's IPv6 address %s"), gateway);
    if (strcmp(family, NM_CYGNET_FAMILY_IPV6_ONLY) == 0 && !v6)
        return invalid(error, _("“IPv6 only” excludes the gateway's IPv4 address %s"), gateway);
    return TRUE;
}

gboolean
cg_validate_ocsp_auth(const char *ocsp, const char *auth, GError **error)
{
    if (ocsp == NULL || ocsp[0] == '\0' || strcmp(ocsp, NM_CYGNET_OCSP_NO) == 0)
        return TRUE;
    if (g_strcmp0(auth, NM_CYGNET_AUTH_CERT) == 0 || g_strcmp0(auth, NM_CYGNET_AUTH_EAP) == 0)
        return TRUE;
    return invalid(error, _("Certificate status checks (OCSP) need a gateway certificate: "
                            "choose certificate or EAP authentication"));
}

gboolean
cg_key_is_file(const char *key)
{
    static const char *const file_keys[] = { NM_CYGNET_KEY_CERT,        NM_CYGNET_KEY_KEY,
                                             NM_CYGNET_KEY_PKCS12,      NM_CYGNET_KEY_PKCS11_MODULE,
                                             NM_CYGNET_KEY_CA_CERT,     NM_CYGNET_KEY_CRL,
                                             NM_CYGNET_KEY_REMOTE_CERT, NULL };
    return g_strv_contains(file_keys, key);
}

static gboolean
file_error(GError **error, const char *format, const char *path)
{
    g_autofree char *base = g_path_get_basename(path);
    g_set_error(error, CG_VALIDATE_ERROR, CG_VALIDATE_ERROR_INVALID, format, base);
    return FALSE;
}

gboolean
cg_validate_file(CgFileKind kind, const char *path, GError **error)
{
    if (!check_path(path, error))
        return FALSE;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
        return file_error(error, _("“%s” does not exist or is not a file"), path);
    if (g_access(path, R_OK) != 0) {
        g_autofree char *base = g_path_get_basename(path);
        int saved_errno = errno;
        g_set_error(error, CG_VALIDATE_ERROR, CG_VALIDATE_ERROR_INVALID, _("Cannot read “%s”: %s"),
                    base, g_strerror(saved_errno));
        return FALSE;
    }
    gboolean encrypted = FALSE;
    switch (kind) {
        case CG_FILE_CERTIFICATE:
            if (!nm_utils_file_is_certificate(path))
                return file_error(error, _("“%s” is not a certificate (PEM or DER)"), path);
            return TRUE;
        case CG_FILE_CERTIFICATE_OR_PKCS12:
            if (!nm_utils_file_is_certificate(path) && !nm_utils_file_is_pkcs12(path))
                return file_error(
                    error, _("“%s” is neither a certificate (PEM or DER) nor a PKCS#12 file"),
                    path);
            return TRUE;
        case CG_FILE_PRIVATE_KEY:
            if (!nm_utils_file_is_private_key(path, &encrypted))
                return file_error(error, _("“%s” is not a private key (PEM or DER)"), path);
            if (encrypted)
                return file_error(error,
                                  _("“%s” is an encrypted private key: Cygnet reads encrypted "
                                    "keys from PKCS#12 files only"),
                                  path);
            return TRUE;
        case CG_FILE_ANY:
        default:
            return TRUE;
    }
}

static int
compare_keys(gconstpointer a, gconstpointer b, gpointer user_data)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

gboolean
cg_validate_data(GHashTable *data, GError **error)
{
    const char *gateway = g_hash_table_lookup(data, NM_CYGNET_KEY_GATEWAY);
    if (!cg_validate_value(NM_CYGNET_KEY_GATEWAY, gateway, error))
        return FALSE;
    /* the service refuses a family that excludes the gateway's address */
    g_autoptr(GError) family_error = NULL;
    if (!cg_validate_family_gateway(g_hash_table_lookup(data, NM_CYGNET_KEY_ADDRESS_FAMILY),
                                    gateway, &family_error)) {
        g_set_error(error, family_error->domain, family_error->code, _("Setting “%s”: %s"),
                    NM_CYGNET_KEY_ADDRESS_FAMILY, family_error->message);
        return FALSE;
    }
    /* sorted, so the first error reported does not depend on hashing */
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(data, NULL);
    g_qsort_with_data(keys, g_hash_table_size(data), sizeof(gpointer), compare_keys, NULL);
    for (guint i = 0; i < g_hash_table_size(data); i++) {
        g_autoptr(GError) local = NULL;
        if (!cg_validate_value(keys[i], g_hash_table_lookup(data, keys[i]), &local)) {
            g_set_error(error, local->domain, local->code, _("Setting “%s”: %s"),
                        (const char *)keys[i], local->message);
            return FALSE;
        }
    }
    return TRUE;
}
