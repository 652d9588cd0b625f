/* nm-cygnet-settings.c: vpn.data / vpn.secrets -> NmCygnetSettings and a
 * CgConnConfig, one table row per key (docs/nm-settings.md mirrors it). */
#include "config.h"

#include "nm-cygnet-settings.h"

#include <string.h>

#include "crypto/cg-cert.h"
#include "nm-cygnet-keys.h"

G_DEFINE_QUARK(nm - cygnet - settings - error - quark, nm_cygnet_settings_error)

#define DATA    "vpn.data"
#define SECRETS "vpn.secrets"

#define MAX_VALUE_ECHO       64 /* longer values are cut in messages */
#define MAX_GATEWAY_LEN      253
#define MAX_RETRANSMIT_MS    60000
#define MAX_RETRANSMIT_TRIES 20
#define MIN_MTU              576
#define MAX_MTU              65535
#define SECRET_FLAGS_ALL     7 /* agent-owned | not-saved | not-required */
#define SECRET_NOT_REQUIRED  4
#define MAX_NAME_LEN         255

/* ---- errors ------------------------------------------------------------ */

/* A value as it may appear in a message: escaped, and cut when long. */
static char *
echo_value(const char *value)
{
    g_autofree char *cut = g_utf8_make_valid(value, MIN(strlen(value), MAX_VALUE_ECHO));
    g_autofree char *escaped = g_strescape(cut, NULL);
    return g_strdup_printf("'%s'%s", escaped, strlen(value) > MAX_VALUE_ECHO ? "..." : "");
}

static gboolean key_error(GError **error, NmCygnetSettingsError code, const char *table,
                          const char *key, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean
key_error(GError **error, NmCygnetSettingsError code, const char *table, const char *key,
          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, NM_CYGNET_SETTINGS_ERROR, code, "%s key '%s': %s", table, key, detail);
    return FALSE;
}

/* ---- value parsers -------------------------------------------------------- */

static gboolean
parse_bool(const char *text, gboolean *out)
{
    static const char *const yes[] = { "yes", "true", "1", "on" };
    static const char *const no[] = { "no", "false", "0", "off" };
    for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(text, yes[i]) == 0) {
            *out = TRUE;
            return TRUE;
        }
        if (g_ascii_strcasecmp(text, no[i]) == 0) {
            *out = FALSE;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
nm_cygnet_parse_duration_ms(const char *text, guint64 *out_ms)
{
    static const struct {
        const char *suffix;
        guint64 ms;
    } units[] = { { "", 1000 },   { "s", 1000 },    { "ms", 1 },
                  { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 } };
    const char *p = text;
    while (g_ascii_isdigit(*p))
        p++;
    gsize digits = (gsize)(p - text);
    if (digits == 0 || digits > 12)
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(p, units[i].suffix) != 0)
            continue;
        g_autofree char *number_text = g_strndup(text, digits);
        guint64 number = g_ascii_strtoull(number_text, NULL, 10);
        if (number > (guint64)G_MAXUINT32 * 1000 / units[i].ms)
            return FALSE;
        *out_ms = number * units[i].ms;
        return TRUE;
    }
    return FALSE;
}

static void
wipe_and_free(gpointer data)
{
    GByteArray *bytes = data;
    if (bytes->len)
        memset(bytes->data, 0, bytes->len);
    g_byte_array_unref(bytes);
}

static GBytes *
bytes_wiped_on_free(GByteArray *owned)
{
    return g_bytes_new_with_free_func(owned->data, owned->len, wipe_and_free, owned);
}

GBytes *
nm_cygnet_parse_secret(const char *text, GError **error)
{
    gsize text_len = strlen(text);
    GByteArray *out = g_byte_array_sized_new((guint)text_len);
    if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
        const char *hex = text + 2;
        gsize hex_len = text_len - 2;
        if (hex_len == 0 || hex_len % 2 != 0) {
            wipe_and_free(out);
            g_set_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_INVALID,
                        "hex after '0x' needs an even number of digits (%zu given)", hex_len);
            return NULL;
        }
        for (gsize i = 0; i < hex_len; i += 2) {
            int hi = g_ascii_xdigit_value(hex[i]);
            int lo = g_ascii_xdigit_value(hex[i + 1]);
            if (hi < 0 || lo < 0) {
                wipe_and_free(out);
                g_set_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_INVALID,
                            "not a hex digit at position %zu after '0x'", i + (hi < 0 ? 0 : 1));
                return NULL;
            }
            guint8 b = (guint8)(hi << 4 | lo);
            g_byte_array_append(out, &b, 1);
        }
    } else if (g_str_has_prefix(text, "0s")) {
        const char *b64 = text + 2;
        for (const char *p = b64; *p; p++) {
            if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
                wipe_and_free(out);
                g_set_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_INVALID,
                            "not base64 at position %zu after '0s'", (gsize)(p - b64));
                return NULL;
            }
        }
        gsize decoded_len = 0;
        guchar *decoded = g_base64_decode(b64, &decoded_len);
        g_byte_array_append(out, decoded, (guint)decoded_len);
        memset(decoded, 0, decoded_len);
        g_free(decoded);
    } else {
        g_byte_array_append(out, (const guint8 *)text, (guint)text_len);
    }
    if (out->len == 0) {
        wipe_and_free(out);
        g_set_error_literal(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_INVALID,
                            "the pre-shared key is empty");
        return NULL;
    }
    return bytes_wiped_on_free(out);
}

/* ---- the keys of vpn.data --------------------------------------------------- */

/* Children of the one CHILD_SA an NM connection has. */
#define CHILD_NAME "tunnel"

typedef struct {
    NmCygnetSettings *s;
    CgChildConfig *child;
    gboolean child_life_set;
    gboolean remote_ts_set;
} ParseState;

typedef gboolean (*ApplyFunc)(ParseState *st, const char *key, const char *value, GError **error);

static gboolean
apply_gateway(ParseState *st, const char *key, const char *value, GError **error)
{
    g_autoptr(GInetAddress) literal = g_inet_address_new_from_string(value);
    if (!literal) {
        gsize len = strlen(value);
        gboolean ok = len <= MAX_GATEWAY_LEN && value[0] != '.' && value[0] != '-';
        for (const char *p = value; ok && *p; p++)
            ok = g_ascii_isalnum(*p) || *p == '.' || *p == '-';
        if (!ok) {
            g_autofree char *v = echo_value(value);
            return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                             "%s is neither an IP address nor a host name", v);
        }
    }
    g_free(st->s->gateway);
    st->s->gateway = g_strdup(value);
    return TRUE;
}

static gboolean
apply_port(ParseState *st, const char *key, const char *value, GError **error)
{
    guint64 port;
    if (!g_ascii_string_to_unsigned(value, 10, 1, 65535, &port, NULL)) {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not a port number (1..65535)", v);
    }
    st->s->port = (guint16)port;
    st->s->conn->remote_port = (guint16)port;
    return TRUE;
}

static gboolean
apply_identity(ParseState *st, const char *key, const char *value, GError **error)
{
    CgIdentity *target = strcmp(key, NM_CYGNET_KEY_LOCAL_ID) == 0 ? &st->s->conn->local_id
                                                                  : &st->s->conn->remote_id;
    CgIdentity parsed = { 0 };
    g_autoptr(GError) local_error = NULL;
    if (!cg_identity_parse(value, &parsed, &local_error))
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key, "%s",
                         local_error->message);
    cg_identity_clear(target);
    *target = parsed;
    return TRUE;
}

static gboolean
apply_auth(ParseState *st, const char *key, const char *value, GError **error)
{
    CgConnConfig *c = st->s->conn;
    if (strcmp(value, NM_CYGNET_AUTH_PSK) == 0) {
        c->local_auth = CG_AUTH_BY_PSK;
        c->remote_auth = CG_AUTH_BY_PSK;
    } else if (strcmp(value, NM_CYGNET_AUTH_CERT) == 0) {
        c->local_auth = CG_AUTH_BY_PUBKEY;
        c->remote_auth = CG_AUTH_BY_PUBKEY;
    } else if (strcmp(value, NM_CYGNET_AUTH_EAP) == 0) {
        /* the road warrior: we log in with EAP, the gateway shows its
         * certificate (RFC 7296 2.16) */
        c->local_auth = CG_AUTH_BY_EAP;
        c->remote_auth = CG_AUTH_BY_PUBKEY;
        if (c->local_eap == CG_EAP_ANY)
            c->local_eap = CG_EAP_MSCHAPV2;
    } else {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not an authentication method (%s, %s, %s)", v, NM_CYGNET_AUTH_PSK,
                         NM_CYGNET_AUTH_CERT, NM_CYGNET_AUTH_EAP);
    }
    g_free(st->s->auth);
    st->s->auth = g_strdup(value);
    return TRUE;
}

static gboolean
apply_eap_method(ParseState *st, const char *key, const char *value, GError **error)
{
    if (strcmp(value, NM_CYGNET_EAP_MSCHAPV2) == 0)
        st->s->conn->local_eap = CG_EAP_MSCHAPV2;
    else if (strcmp(value, NM_CYGNET_EAP_TLS) == 0)
        st->s->conn->local_eap = CG_EAP_TLS;
    else {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not one of %s, %s", v, NM_CYGNET_EAP_MSCHAPV2, NM_CYGNET_EAP_TLS);
    }
    return TRUE;
}

/* Files are named by absolute path and read by the engine on first use,
 * as the service's user (root): libnm 1.42 has no
 * nm_utils_copy_cert_as_user(). Checked here so a typo names the key. */
static gboolean
apply_file(ParseState *st, const char *key, const char *value, GError **error)
{
    g_autofree char *v = echo_value(value);
    if (!g_path_is_absolute(value))
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not an absolute path", v);
    if (!g_file_test(value, G_FILE_TEST_IS_REGULAR))
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not a file that exists", v);
    CgConnConfig *c = st->s->conn;
    char **target = NULL;
    if (strcmp(key, NM_CYGNET_KEY_CERT) == 0)
        target = &c->cert;
    else if (strcmp(key, NM_CYGNET_KEY_KEY) == 0)
        target = &c->key;
    else if (strcmp(key, NM_CYGNET_KEY_PKCS12) == 0)
        target = &c->pkcs12;
    else if (strcmp(key, NM_CYGNET_KEY_PKCS11_MODULE) == 0)
        target = &c->pkcs11_module;
    else if (strcmp(key, NM_CYGNET_KEY_REMOTE_CERT) == 0)
        target = &c->remote_cert;
    else if (strcmp(key, NM_CYGNET_KEY_CA_CERT) == 0) {
        g_ptr_array_add(c->cacerts, g_strdup(value));
        return TRUE;
    } else {
        g_ptr_array_add(c->crls, g_strdup(value));
        return TRUE;
    }
    g_free(*target);
    *target = g_strdup(value);
    return TRUE;
}

/* A name (EAP user, token certificate): printable, bounded. */
static gboolean
apply_name(ParseState *st, const char *key, const char *value, GError **error)
{
    gsize len = strlen(value);
    gboolean ok = len <= MAX_NAME_LEN && g_utf8_validate(value, -1, NULL);
    for (const char *p = value; ok && *p; p++)
        ok = !g_ascii_iscntrl(*p);
    if (!ok) {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not a name of at most %d printable characters (%zu bytes)", v,
                         MAX_NAME_LEN, len);
    }
    char **target = strcmp(key, NM_CYGNET_KEY_USER) == 0 ? &st->s->conn->eap_identity
                                                         : &st->s->conn->cert_nickname;
    g_free(*target);
    *target = g_strdup(value);
    return TRUE;
}

static gboolean
apply_proposals(ParseState *st, const char *key, const char *value, GError **error)
{
    gboolean ike = strcmp(key, NM_CYGNET_KEY_IKE) == 0;
    g_autoptr(GError) local_error = NULL;
    GArray *list = cg_proposal_list_parse(value, ike ? CG_PROTO_IKE : CG_PROTO_ESP, &local_error);
    if (!list)
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key, "%s",
                         local_error->message);
    GArray **target = ike ? &st->s->conn->ike_proposals : &st->child->esp_proposals;
    g_clear_pointer(target, g_array_unref);
    *target = list;
    return TRUE;
}

static gboolean
apply_virtual_ip(ParseState *st, const char *key, const char *value, GError **error)
{
    static const struct {
        const char *name;
        gboolean v4, v6;
    } choices[] = { { NM_CYGNET_VIP_IPV4, TRUE, FALSE },
                    { NM_CYGNET_VIP_IPV6, FALSE, TRUE },
                    { NM_CYGNET_VIP_BOTH, TRUE, TRUE },
                    { NM_CYGNET_VIP_NO, FALSE, FALSE } };
    for (guint i = 0; i < G_N_ELEMENTS(choices); i++) {
        if (strcmp(value, choices[i].name) == 0) {
            st->s->vip4 = choices[i].v4;
            st->s->vip6 = choices[i].v6;
            return TRUE;
        }
    }
    g_autofree char *v = echo_value(value);
    return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                     "%s is not one of ipv4, ipv6, both, no", v);
}

static gboolean
apply_ts(ParseState *st, const char *key, const char *value, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    GArray *list = cg_ts_list_parse(value, &local_error);
    if (!list)
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key, "%s",
                         local_error->message);
    gboolean local = strcmp(key, NM_CYGNET_KEY_LOCAL_TS) == 0;
    GArray **target = local ? &st->child->local_ts : &st->child->remote_ts;
    g_clear_pointer(target, g_array_unref);
    *target = list;
    if (!local)
        st->remote_ts_set = TRUE;
    return TRUE;
}

/* Durations in whole seconds; "ms" only where the key allows it. */
static gboolean
parse_seconds(const char *key, const char *value, guint32 *out_s, GError **error)
{
    guint64 ms;
    if (!nm_cygnet_parse_duration_ms(value, &ms) || ms % 1000 != 0) {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not a duration in seconds (e.g. 30, 30s, 10m, 4h, 1d)", v);
    }
    *out_s = (guint32)(ms / 1000);
    return TRUE;
}

static gboolean
apply_duration(ParseState *st, const char *key, const char *value, GError **error)
{
    guint32 seconds = 0;
    if (!parse_seconds(key, value, &seconds, error))
        return FALSE;
    CgConnConfig *c = st->s->conn;
    if (strcmp(key, NM_CYGNET_KEY_DPD_DELAY) == 0)
        c->dpd_delay_s = seconds;
    else if (strcmp(key, NM_CYGNET_KEY_REKEY_TIME) == 0)
        c->ike_rekey_time_s = seconds;
    else if (strcmp(key, NM_CYGNET_KEY_REAUTH_TIME) == 0)
        c->reauth_time_s = seconds;
    else if (strcmp(key, NM_CYGNET_KEY_CHILD_REKEY_TIME) == 0)
        st->child->rekey_time_s = seconds;
    else {
        st->child->life_time_s = seconds;
        st->child_life_set = TRUE;
    }
    return TRUE;
}

static gboolean
apply_retransmit_timeout(ParseState *st, const char *key, const char *value, GError **error)
{
    guint64 ms;
    if (!nm_cygnet_parse_duration_ms(value, &ms) || ms == 0 || ms > MAX_RETRANSMIT_MS) {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not a duration between 1ms and %us (e.g. 500ms, 2s)", v,
                         MAX_RETRANSMIT_MS / 1000);
    }
    st->s->conn->retransmit_timeout_ms = (guint32)ms;
    return TRUE;
}

static gboolean
apply_uint(const char *key, const char *value, guint64 min, guint64 max, guint64 *out,
           GError **error)
{
    if (!g_ascii_string_to_unsigned(value, 10, min, max, out, NULL)) {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not a number in %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, v, min,
                         max);
    }
    return TRUE;
}

static gboolean
apply_retransmit_tries(ParseState *st, const char *key, const char *value, GError **error)
{
    guint64 n;
    if (!apply_uint(key, value, 1, MAX_RETRANSMIT_TRIES, &n, error))
        return FALSE;
    st->s->conn->retransmit_tries = (guint)n;
    return TRUE;
}

static gboolean
apply_mtu(ParseState *st, const char *key, const char *value, GError **error)
{
    guint64 n;
    if (!apply_uint(key, value, MIN_MTU, MAX_MTU, &n, error))
        return FALSE;
    st->s->mtu = (guint32)n;
    return TRUE;
}

static gboolean
apply_secret_flags(ParseState *st, const char *key, const char *value, GError **error)
{
    guint64 n;
    if (!apply_uint(key, value, 0, SECRET_FLAGS_ALL, &n, error))
        return FALSE;
    if (strcmp(key, NM_CYGNET_KEY_PSK_FLAGS) == 0)
        st->s->psk_flags = (guint32)n;
    else if (strcmp(key, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS) == 0)
        st->s->key_passphrase_flags = (guint32)n;
    return TRUE;
}

static gboolean
apply_bool(ParseState *st, const char *key, const char *value, GError **error)
{
    gboolean b;
    if (!parse_bool(value, &b)) {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not a boolean (yes, no, true, false, 1, 0)", v);
    }
    if (strcmp(key, NM_CYGNET_KEY_ENCAP) == 0)
        st->s->conn->force_encap = b;
    else
        st->s->conn->mobike = b;
    return TRUE;
}

static gboolean
apply_dataplane(ParseState *st, const char *key, const char *value, GError **error)
{
    static const char *const known[] = { NM_CYGNET_DATAPLANE_AUTO, NM_CYGNET_DATAPLANE_UESP,
                                         NM_CYGNET_DATAPLANE_XFRM, NM_CYGNET_DATAPLANE_LOG };
    for (guint i = 0; i < G_N_ELEMENTS(known); i++) {
        if (strcmp(value, known[i]) == 0) {
            g_free(st->s->dataplane);
            st->s->dataplane = g_strdup(value);
            return TRUE;
        }
    }
    g_autofree char *v = echo_value(value);
    return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                     "%s is not one of auto, uesp, xfrm, log", v);
}

static gboolean
apply_address_family(ParseState *st, const char *key, const char *value, GError **error)
{
    static const char *const known[]
        = { NM_CYGNET_FAMILY_AUTO, NM_CYGNET_FAMILY_IPV6_FIRST, NM_CYGNET_FAMILY_IPV4_FIRST,
            NM_CYGNET_FAMILY_IPV6_ONLY, NM_CYGNET_FAMILY_IPV4_ONLY };
    CgFamilyPref pref = CG_FAMILY_AUTO;
    gboolean found = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(known) && !found; i++)
        found = strcmp(value, known[i]) == 0 && cg_family_pref_from_string(value, &pref);
    if (!found) {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not one of auto, ipv6-first, ipv4-first, ipv6-only, ipv4-only", v);
    }
    /* the gateway key comes first (data_keys): a literal of the family
     * excluded could never be reached */
    g_autoptr(GInetAddress) literal
        = st->s->gateway ? g_inet_address_new_from_string(st->s->gateway) : NULL;
    if (literal
        && ((pref == CG_FAMILY_IPV4_ONLY
             && g_inet_address_get_family(literal) == G_SOCKET_FAMILY_IPV6)
            || (pref == CG_FAMILY_IPV6_ONLY
                && g_inet_address_get_family(literal) == G_SOCKET_FAMILY_IPV4)))
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s excludes the gateway address %s", value, st->s->gateway);
    st->s->conn->address_family = pref;
    return TRUE;
}

static gboolean
apply_ocsp(ParseState *st, const char *key, const char *value, GError **error)
{
    CgOcspMode mode;
    if (!cg_ocsp_mode_from_string(value, &mode)) {
        g_autofree char *v = echo_value(value);
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, key,
                         "%s is not one of no, soft, hard", v);
    }
    st->s->conn->ocsp = mode;
    return TRUE;
}

/* In this order: psk-flags before anything that might need it, the
 * address family choice before the selectors whose defaults follow it. */
static const struct {
    const char *key;
    ApplyFunc apply;
} data_keys[] = {
    { NM_CYGNET_KEY_GATEWAY, apply_gateway },
    { NM_CYGNET_KEY_PORT, apply_port },
    { NM_CYGNET_KEY_ADDRESS_FAMILY, apply_address_family },
    { NM_CYGNET_KEY_LOCAL_ID, apply_identity },
    { NM_CYGNET_KEY_REMOTE_ID, apply_identity },
    { NM_CYGNET_KEY_AUTH, apply_auth },
    { NM_CYGNET_KEY_EAP_METHOD, apply_eap_method },
    { NM_CYGNET_KEY_PSK_FLAGS, apply_secret_flags },
    { NM_CYGNET_KEY_PASSWORD_FLAGS, apply_secret_flags },
    { NM_CYGNET_KEY_PIN_FLAGS, apply_secret_flags },
    { NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, apply_secret_flags },
    { NM_CYGNET_KEY_CERT, apply_file },
    { NM_CYGNET_KEY_KEY, apply_file },
    { NM_CYGNET_KEY_PKCS12, apply_file },
    { NM_CYGNET_KEY_PKCS11_MODULE, apply_file },
    { NM_CYGNET_KEY_CERT_NICKNAME, apply_name },
    { NM_CYGNET_KEY_USER, apply_name },
    { NM_CYGNET_KEY_CA_CERT, apply_file },
    { NM_CYGNET_KEY_CRL, apply_file },
    { NM_CYGNET_KEY_OCSP, apply_ocsp },
    { NM_CYGNET_KEY_REMOTE_CERT, apply_file },
    { NM_CYGNET_KEY_IKE, apply_proposals },
    { NM_CYGNET_KEY_ESP, apply_proposals },
    { NM_CYGNET_KEY_VIRTUAL_IP, apply_virtual_ip },
    { NM_CYGNET_KEY_LOCAL_TS, apply_ts },
    { NM_CYGNET_KEY_REMOTE_TS, apply_ts },
    { NM_CYGNET_KEY_DPD_DELAY, apply_duration },
    { NM_CYGNET_KEY_REKEY_TIME, apply_duration },
    { NM_CYGNET_KEY_REAUTH_TIME, apply_duration },
    { NM_CYGNET_KEY_CHILD_REKEY_TIME, apply_duration },
    { NM_CYGNET_KEY_CHILD_LIFE_TIME, apply_duration },
    { NM_CYGNET_KEY_RETRANSMIT_TIMEOUT, apply_retransmit_timeout },
    { NM_CYGNET_KEY_RETRANSMIT_TRIES, apply_retransmit_tries },
    { NM_CYGNET_KEY_ENCAP, apply_bool },
    { NM_CYGNET_KEY_MOBIKE, apply_bool },
    { NM_CYGNET_KEY_DATAPLANE, apply_dataplane },
    { NM_CYGNET_KEY_MTU, apply_mtu },
};

static gint
compare_key_pointers(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first unknown key in sorted order, so the message is stable. */
static gboolean
check_known_keys(GHashTable *table, const char *const *known, const char *table_name,
                 GError **error)
{
    if (!table)
        return TRUE;
    g_autofree const char **keys = (const char **)g_hash_table_get_keys_as_array(table, NULL);
    g_autoptr(GPtrArray) unknown = g_ptr_array_new();
    for (guint i = 0; keys[i]; i++) {
        if (!g_strv_contains(known, keys[i]))
            g_ptr_array_add(unknown, (gpointer)keys[i]);
    }
    if (unknown->len == 0)
        return TRUE;
    g_ptr_array_sort(unknown, compare_key_pointers);
    g_autofree char *k = echo_value(unknown->pdata[0]);
    g_set_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_UNKNOWN_KEY,
                "%s: unknown key %s (see the key table in docs/nm-settings.md)", table_name, k);
    return FALSE;
}

/* ---- cross-key checks ------------------------------------------------------ */

static gboolean
uses_certificate(const NmCygnetSettings *s)
{
    const CgConnConfig *c = s->conn;
    return c->local_auth == CG_AUTH_BY_PUBKEY
           || (c->local_auth == CG_AUTH_BY_EAP && c->local_eap == CG_EAP_TLS);
}

static gboolean
uses_token(const NmCygnetSettings *s)
{
    return s->conn->pkcs11_module || s->conn->cert_nickname;
}

/* Our certificate (auth=cert, eap-method=tls) comes from exactly one
 * place; the gateway's is checked against ca-cert, remote-cert or the
 * system's CAs. */
static gboolean
check_credentials(NmCygnetSettings *s, GError **error)
{
    CgConnConfig *c = s->conn;
    if (c->local_auth == CG_AUTH_BY_PSK)
        return TRUE;
    if (uses_certificate(s)) {
        guint sources = (c->cert != NULL) + (c->pkcs12 != NULL) + (c->cert_nickname != NULL);
        if (sources == 0)
            return key_error(error, NM_CYGNET_SETTINGS_ERROR_MISSING, DATA, NM_CYGNET_KEY_CERT,
                             "auth=%s needs our certificate: '%s' and '%s', '%s', or '%s' with "
                             "'%s'",
                             s->auth, NM_CYGNET_KEY_CERT, NM_CYGNET_KEY_KEY, NM_CYGNET_KEY_PKCS12,
                             NM_CYGNET_KEY_CERT_NICKNAME, NM_CYGNET_KEY_PKCS11_MODULE);
        if (sources > 1)
            return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA, NM_CYGNET_KEY_CERT,
                             "give one of '%s', '%s' and '%s' (%u are set)", NM_CYGNET_KEY_CERT,
                             NM_CYGNET_KEY_PKCS12, NM_CYGNET_KEY_CERT_NICKNAME, sources);
        if (c->cert && !c->key && !c->pkcs11_module)
            return key_error(error, NM_CYGNET_SETTINGS_ERROR_MISSING, DATA, NM_CYGNET_KEY_KEY,
                             "required with '%s' (the private key file), unless the key is on "
                             "a token ('%s')",
                             NM_CYGNET_KEY_CERT, NM_CYGNET_KEY_PKCS11_MODULE);
    }
    if (c->cacerts->len == 0 && !c->remote_cert) {
        /* a gateway with a certificate from a public CA needs no CA file */
        if (!g_file_test(NM_CYGNET_SYSTEM_CA_FILE, G_FILE_TEST_IS_REGULAR))
            return key_error(error, NM_CYGNET_SETTINGS_ERROR_MISSING, DATA, NM_CYGNET_KEY_CA_CERT,
                             "required: the system's CA bundle %s does not exist",
                             NM_CYGNET_SYSTEM_CA_FILE);
        g_ptr_array_add(c->cacerts, g_strdup(NM_CYGNET_SYSTEM_CA_FILE));
        s->system_cas = TRUE;
        /* any public CA's customer would do otherwise: without a remote-id
         * the certificate must name the gateway we were told to reach */
        if (c->remote_id.type == 0)
            c->remote_cert_host = g_strdup(s->gateway);
    }
    return TRUE;
}

static gboolean
finish(ParseState *st, GError **error)
{
    NmCygnetSettings *s = st->s;
    CgConnConfig *c = s->conn;
    CgChildConfig *child = st->child;
    if (!s->gateway)
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_MISSING, DATA, NM_CYGNET_KEY_GATEWAY,
                         "required, but missing (the gateway's host name or address)");
    if (!check_credentials(s, error))
        return FALSE;
    c->request_vip4 = s->vip4;
    c->request_vip6 = s->vip6;
    if (!st->remote_ts_set) {
        /* the whole address space; the gateway narrows it (RFC 7296 2.9) */
        const char *all = s->vip6 && !s->vip4 ? "::/0" : s->vip6 ? "0.0.0.0/0,::/0" : "0.0.0.0/0";
        g_clear_pointer(&child->remote_ts, g_array_unref);
        child->remote_ts = cg_ts_list_parse(all, NULL);
    }
    if (!st->child_life_set)
        child->life_time_s = child->rekey_time_s + child->rekey_time_s / 10;
    if (child->rekey_time_s != 0 && child->life_time_s != 0
        && child->rekey_time_s >= child->life_time_s)
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, DATA,
                         NM_CYGNET_KEY_CHILD_REKEY_TIME,
                         "%u s must be less than child-life-time (%u s)", child->rekey_time_s,
                         child->life_time_s);
    /* the jitter follows the shorter of the rekey and reauth times */
    guint32 shortest = c->ike_rekey_time_s;
    if (c->reauth_time_s && (!shortest || c->reauth_time_s < shortest))
        shortest = c->reauth_time_s;
    c->rand_time_s = shortest / 10;
    return TRUE;
}

/* ---- public ---------------------------------------------------------------- */

void
nm_cygnet_settings_free(NmCygnetSettings *s)
{
    if (!s)
        return;
    g_free(s->gateway);
    g_free(s->dataplane);
    g_free(s->auth);
    g_clear_pointer(&s->psk, g_bytes_unref);
    g_clear_pointer(&s->password, g_bytes_unref);
    g_clear_pointer(&s->pin, g_bytes_unref);
    g_clear_pointer(&s->key_passphrase, g_bytes_unref);
    g_clear_pointer(&s->conn, cg_conn_config_unref);
    g_free(s);
}

static gboolean
take_psk(NmCygnetSettings *s, GHashTable *secrets, GError **error)
{
    const char *text = secrets ? g_hash_table_lookup(secrets, NM_CYGNET_SECRET_PSK) : NULL;
    if (!text || !*text)
        return TRUE;
    g_autoptr(GError) local_error = NULL;
    GBytes *psk = nm_cygnet_parse_secret(text, &local_error);
    if (!psk)
        return key_error(error, NM_CYGNET_SETTINGS_ERROR_INVALID, SECRETS, NM_CYGNET_SECRET_PSK,
                         "%s", local_error->message);
    g_clear_pointer(&s->psk, g_bytes_unref);
    s->psk = psk;
    return TRUE;
}

/* Passwords, PINs and passphrases are taken as written (no 0x / 0s
 * forms: those are the PSK's), and wiped when freed. */
static void
take_text(GHashTable *secrets, const char *key, GBytes **target)
{
    const char *text = secrets ? g_hash_table_lookup(secrets, key) : NULL;
    if (!text || !*text)
        return;
    gsize len = strlen(text);
    GByteArray *copy = g_byte_array_sized_new((guint)len);
    g_byte_array_append(copy, (const guint8 *)text, (guint)len);
    g_clear_pointer(target, g_bytes_unref);
    *target = bytes_wiped_on_free(copy);
}

static gboolean
take_secrets(NmCygnetSettings *s, GHashTable *secrets, GError **error)
{
    take_text(secrets, NM_CYGNET_SECRET_PASSWORD, &s->password);
    take_text(secrets, NM_CYGNET_SECRET_PIN, &s->pin);
    take_text(secrets, NM_CYGNET_SECRET_KEY_PASSPHRASE, &s->key_passphrase);
    return take_psk(s, secrets, error);
}

NmCygnetSettings *
nm_cygnet_settings_parse(GHashTable *data, GHashTable *secrets, GError **error)
{
    static const char *const known_data[] = { NM_CYGNET_DATA_KEYS, NULL };
    static const char *const known_secrets[] = { NM_CYGNET_SECRET_KEYS, NULL };
    if (!check_known_keys(data, known_data, DATA, error)
        || !check_known_keys(secrets, known_secrets, SECRETS, error))
        return NULL;

    g_autoptr(NmCygnetSettings) s = g_new0(NmCygnetSettings, 1);
    s->port = NM_CYGNET_DEFAULT_PORT;
    s->vip4 = TRUE;
    s->dataplane = g_strdup(NM_CYGNET_DATAPLANE_AUTO);
    s->auth = g_strdup(NM_CYGNET_AUTH_PSK);
    s->conn = cg_conn_config_new("nm");
    ParseState st = { .s = s, .child = cg_child_config_new(CHILD_NAME) };
    g_ptr_array_add(s->conn->children, st.child);

    for (guint i = 0; data && i < G_N_ELEMENTS(data_keys); i++) {
        const char *value = g_hash_table_lookup(data, data_keys[i].key);
        if (!value || !*value) /* empty: the default */
            continue;
        if (!data_keys[i].apply(&st, data_keys[i].key, value, error))
            return NULL;
    }
    if (!finish(&st, error) || !take_secrets(s, secrets, error))
        return NULL;
    return g_steal_pointer(&s);
}

const char *
nm_cygnet_settings_missing_secret(const NmCygnetSettings *s)
{
    const CgConnConfig *c = s->conn;
    if (c->local_auth == CG_AUTH_BY_PSK)
        return s->psk ? NULL : NM_CYGNET_SECRET_PSK;
    if (c->local_auth == CG_AUTH_BY_EAP && c->local_eap == CG_EAP_MSCHAPV2)
        return s->password ? NULL : NM_CYGNET_SECRET_PASSWORD;
    if (uses_token(s))
        return s->pin ? NULL : NM_CYGNET_SECRET_PIN;
    /* a PKCS#12 file may have an empty password: "not required" says so */
    if (c->pkcs12 && !s->key_passphrase && !(s->key_passphrase_flags & SECRET_NOT_REQUIRED))
        return NM_CYGNET_SECRET_KEY_PASSPHRASE;
    return NULL;
}

gboolean
nm_cygnet_settings_psk_required(const NmCygnetSettings *s)
{
    return g_strcmp0(nm_cygnet_settings_missing_secret(s), NM_CYGNET_SECRET_PSK) == 0;
}

gboolean
nm_cygnet_settings_update_secrets(NmCygnetSettings *s, GHashTable *secrets, GError **error)
{
    static const char *const known_secrets[] = { NM_CYGNET_SECRET_KEYS, NULL };
    return check_known_keys(secrets, known_secrets, SECRETS, error)
           && take_secrets(s, secrets, error);
}

/* Names the parsed connection and attaches the PSK. Called once per
 * connection attempt, before the engine ever sees the config (the engine
 * treats it as immutable from then on). */
CgConnConfig *
nm_cygnet_settings_to_conn(const NmCygnetSettings *s, const char *name, GError **error)
{
    const char *missing = nm_cygnet_settings_missing_secret(s);
    if (missing) {
        key_error(error, NM_CYGNET_SETTINGS_ERROR_MISSING, SECRETS, missing,
                  "required for auth=%s, but missing (store it in the connection or use a "
                  "secret agent)",
                  s->auth);
        return NULL;
    }
    CgConnConfig *c = s->conn;
    g_free(c->name);
    c->name = g_strdup(name);
    g_clear_pointer(&c->psk, g_bytes_unref);
    c->psk = s->psk ? g_bytes_ref(s->psk) : NULL;
    g_clear_pointer(&c->eap_password, g_bytes_unref);
    c->eap_password = s->password ? g_bytes_ref(s->password) : NULL;
    /* the engine has one secret for the key: the token's PIN or the
     * PKCS#12 password */
    GBytes *key_secret = uses_token(s) ? s->pin : s->key_passphrase;
    g_clear_pointer(&c->key_secret, g_bytes_unref);
    c->key_secret = key_secret ? g_bytes_ref(key_secret) : NULL;
    g_clear_pointer(&c->dataplane, g_free);
    c->dataplane = g_strdup(s->dataplane);
    g_autoptr(GError) local_error = NULL;
    if (!cg_conn_config_validate(c, &local_error)) {
        g_set_error(error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_INVALID, "%s: %s",
                    DATA, local_error->message);
        return NULL;
    }
    return cg_conn_config_ref(c);
}
