/* cygnetd-config.c: the keyfile loader of cygnetd and the key=value form
 * of connections shared with the control API.
 *
 * Every key lives in one table (key_defs) with its type, default, a
 * description and the function that applies it; the loader, the control
 * API and the documentation check all read that table.
 */
#include "cygnetd-config.h"

#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "config/cg-config-private.h"
#include "crypto/cg-cert.h"
#include "log/cg-log.h"

/* ---- small value parsers ------------------------------------------------ */

static gboolean
parse_bool(const char *text, gboolean *out, GError **error)
{
    static const char *const yes[] = { "yes", "true", "1" };
    static const char *const no[] = { "no", "false", "0" };
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
    g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                "invalid boolean '%s' (yes, no, true, false, 1 or 0)", text);
    return FALSE;
}

static gboolean
parse_uint(const char *text, guint64 min, guint64 max, guint64 *out, GError **error)
{
    if (!g_ascii_string_to_unsigned(text, 10, min, max, out, NULL)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "invalid number '%s' (%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ")", text, min,
                    max);
        return FALSE;
    }
    return TRUE;
}

/* "30", "30s", "500ms", "10m", "4h", "1d" -> milliseconds, at most
 * G_MAXUINT32 seconds. */
static gboolean
parse_duration_ms(const char *text, guint64 *out_ms, GError **error)
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
    for (guint i = 0; digits > 0 && digits <= 12 && i < G_N_ELEMENTS(units); i++) {
        if (strcmp(p, units[i].suffix) != 0)
            continue;
        g_autofree char *number_text = g_strndup(text, digits);
        guint64 number = g_ascii_strtoull(number_text, NULL, 10);
        if (number > (guint64)G_MAXUINT32 * 1000 / units[i].ms) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "duration '%s' is too long (at most %u s)", text, G_MAXUINT32);
            return FALSE;
        }
        *out_ms = number * units[i].ms;
        return TRUE;
    }
    g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                "invalid duration '%s' (e.g. 30, 30s, 10m, 4h, 1d)", text);
    return FALSE;
}

static gboolean
parse_duration_s(const char *text, guint32 *out_s, GError **error)
{
    guint64 ms;
    if (!parse_duration_ms(text, &ms, error))
        return FALSE;
    if (ms % 1000 != 0) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "duration '%s' is not a whole number of seconds", text);
        return FALSE;
    }
    *out_s = (guint32)(ms / 1000);
    return TRUE;
}

/* One of `choices` (NULL-terminated); its index. */
static gboolean
parse_choice(const char *text, const char *const *choices, guint *out, GError **error)
{
    for (guint i = 0; choices[i] != NULL; i++) {
        if (g_ascii_strcasecmp(text, choices[i]) == 0) {
            *out = i;
            return TRUE;
        }
    }
    g_autofree char *list = g_strjoinv(", ", (char **)choices);
    g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "invalid value '%s' (%s)", text,
                list);
    return FALSE;
}

/* Comma-separated, each item trimmed and non-empty. */
static GStrv
split_list(const char *text, GError **error)
{
    g_auto(GStrv) items = g_strsplit(text, ",", -1);
    for (guint i = 0; items[i] != NULL; i++) {
        g_strstrip(items[i]);
        if (items[i][0] == '\0') {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "empty item in list '%s'",
                        text);
            return NULL;
        }
    }
    return g_steal_pointer(&items);
}

static gboolean
hostname_valid(const char *text)
{
    gsize len = strlen(text);
    if (len == 0 || len > 253 || text[0] == '.' || text[0] == '-')
        return FALSE;
    for (const char *p = text; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
            return FALSE;
    }
    return TRUE;
}

/* An address literal or a hostname; "%any" -> NULL. */
static gboolean
parse_host(const char *text, char **out, GError **error)
{
    if (g_ascii_strcasecmp(text, "%any") == 0) {
        g_clear_pointer(out, g_free);
        return TRUE;
    }
    int family;
    guint8 addr[16];
    if (!cg_addr_parse(text, &family, addr) && !hostname_valid(text)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "'%s' is neither an IP address nor a hostname", text);
        return FALSE;
    }
    g_free(*out);
    *out = g_strdup(text);
    return TRUE;
}

static gboolean
parse_port(const char *text, guint16 *out, GError **error)
{
    guint64 port;
    if (!parse_uint(text, 1, 65535, &port, error))
        return FALSE;
    *out = (guint16)port;
    return TRUE;
}

/* ---- secrets ------------------------------------------------------------ */

typedef struct {
    gsize len;
    guint8 data[];
} SecretBuffer;

static void
secret_buffer_wipe(gpointer user_data)
{
    SecretBuffer *buf = user_data;
    explicit_bzero(buf->data, buf->len);
    g_free(buf);
}

/* A GBytes whose memory is wiped when it goes. */
static GBytes *
secret_bytes_new(const guint8 *data, gsize len)
{
    SecretBuffer *buf = g_malloc(sizeof(SecretBuffer) + len);
    buf->len = len;
    memcpy(buf->data, data, len);
    return g_bytes_new_with_free_func(buf->data, len, secret_buffer_wipe, buf);
}

static gboolean
hex_decode(const char *hex, GByteArray *out, GError **error)
{
    gsize len = strlen(hex);
    if (len == 0 || len % 2 != 0) {
        g_set_error(
            error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
            "a hex secret needs an even, non-zero number of digits (got %" G_GSIZE_FORMAT ")", len);
        return FALSE;
    }
    for (gsize i = 0; i < len; i += 2) {
        int high = g_ascii_xdigit_value(hex[i]);
        int low = g_ascii_xdigit_value(hex[i + 1]);
        if (high < 0 || low < 0) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "a hex secret has a non-hex character at position %" G_GSIZE_FORMAT,
                        (high < 0 ? i : i + 1) + 3);
            return FALSE;
        }
        guint8 byte = (guint8)(high << 4 | low);
        g_byte_array_append(out, &byte, 1);
    }
    return TRUE;
}

/* g_base64_decode skips junk silently; a secret must be exactly valid. */
static gboolean
base64_valid(const char *text)
{
    gsize len = strlen(text);
    if (len == 0 || len % 4 != 0)
        return FALSE;
    gsize padding = 0;
    for (gsize i = 0; i < len; i++) {
        char c = text[i];
        if (c == '=') {
            padding++;
            continue;
        }
        if (padding > 0 || !(g_ascii_isalnum(c) || c == '+' || c == '/'))
            return FALSE;
    }
    return padding <= 2;
}

GBytes *
cygnetd_secret_parse(const char *text, GError **error)
{
    gsize len = text != NULL ? strlen(text) : 0;
    if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
        if (len == 2)
            goto empty;
        return secret_bytes_new((const guint8 *)text + 1, len - 2);
    }
    if (len == 0)
        goto empty;

    if (g_ascii_strncasecmp(text, "0x", 2) == 0) {
        GByteArray *bytes = g_byte_array_sized_new((guint)len / 2);
        gboolean ok = hex_decode(text + 2, bytes, error);
        GBytes *secret = ok ? secret_bytes_new(bytes->data, bytes->len) : NULL;
        explicit_bzero(bytes->data, bytes->len);
        g_byte_array_unref(bytes);
        return secret;
    }
    if (strncmp(text, "0s", 2) == 0) {
        if (!base64_valid(text + 2)) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "a base64 secret (0s...) is not valid base64");
            return NULL;
        }
        gsize decoded_len;
        guchar *decoded = g_base64_decode(text + 2, &decoded_len);
        GBytes *secret = decoded_len > 0 ? secret_bytes_new(decoded, decoded_len) : NULL;
        explicit_bzero(decoded, decoded_len);
        g_free(decoded);
        if (secret == NULL)
            goto empty;
        return secret;
    }
    return secret_bytes_new((const guint8 *)text, len);

empty:
    g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "the secret is empty");
    return NULL;
}

void
cygnetd_psk_free(CygnetdPsk *psk)
{
    if (psk == NULL)
        return;
    g_free(psk->name);
    g_strfreev(psk->ids);
    g_clear_pointer(&psk->secret, g_bytes_unref);
    g_free(psk->target);
    g_free(psk);
}

/* ---- the key table ------------------------------------------------------ */

/* What the keys of one group are applied to. */
typedef struct {
    CygnetdDaemonOptions *daemon;
    CgConnConfig *conn;
    CgChildConfig *child; /* the connection's first child, or the [child] */
    char *pool_addresses;
    CygnetdPsk *psk;
    /* defaults that depend on other keys */
    gboolean remote_auth_set;
    gboolean rand_time_set;
    gboolean life_time_set;
} Target;

typedef gboolean (*ApplyFunc)(Target *t, const char *value, GError **error);

typedef struct {
    CygnetdKeyInfo info;
    ApplyFunc apply;
} KeyDef;

/* [daemon] */

static gboolean
set_string(char **field, const char *value)
{
    g_free(*field);
    *field = g_strdup(value);
    return TRUE;
}

static gboolean
apply_control_socket(Target *t, const char *value, GError **error)
{
    return set_string(&t->daemon->control_socket, value);
}

static gboolean
apply_control_group(Target *t, const char *value, GError **error)
{
    return set_string(&t->daemon->control_group, value);
}

static gboolean
apply_nss_dir(Target *t, const char *value, GError **error)
{
    return set_string(&t->daemon->nss_dir, value);
}

static gboolean
apply_secrets_file(Target *t, const char *value, GError **error)
{
    return set_string(&t->daemon->secrets_file, value);
}

static gboolean
apply_crypto_workers(Target *t, const char *value, GError **error)
{
    guint64 workers;
    if (!parse_uint(value, 0, 256, &workers, error))
        return FALSE;
    t->daemon->crypto_workers = (int)workers;
    return TRUE;
}

static gboolean
apply_daemon_unique_ids(Target *t, const char *value, GError **error)
{
    gboolean unique;
    if (!parse_bool(value, &unique, error))
        return FALSE;
    t->daemon->unique_ids = unique ? 1 : 0;
    return TRUE;
}

static gboolean
apply_log_level(Target *t, const char *value, GError **error)
{
    CgLogLevel level;
    if (!cg_log_level_parse(value, &level)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "invalid log level '%s' (error, warning, info, debug or trace)", value);
        return FALSE;
    }
    t->daemon->log_level = (int)level;
    return TRUE;
}

static gboolean
apply_listen(Target *t, const char *value, GError **error)
{
    int family;
    guint8 addr[16];
    if (!cg_addr_parse(value, &family, addr)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "'%s' is not an IP address",
                    value);
        return FALSE;
    }
    return set_string(&t->daemon->listen, value);
}

static gboolean
apply_daemon_port(int *field, const char *value, GError **error)
{
    guint16 port;
    if (!parse_port(value, &port, error))
        return FALSE;
    *field = port;
    return TRUE;
}

static gboolean
apply_ike_port(Target *t, const char *value, GError **error)
{
    return apply_daemon_port(&t->daemon->ike_port, value, error);
}

static gboolean
apply_natt_port(Target *t, const char *value, GError **error)
{
    return apply_daemon_port(&t->daemon->natt_port, value, error);
}

static const char *const dataplanes[] = { "auto", "xfrm", "uesp", "log", NULL };

static gboolean
apply_daemon_dataplane(Target *t, const char *value, GError **error)
{
    guint index;
    if (!parse_choice(value, dataplanes, &index, error))
        return FALSE;
    return set_string(&t->daemon->dataplane, dataplanes[index]);
}

/* [pool NAME] */

static gboolean
apply_pool_addresses(Target *t, const char *value, GError **error)
{
    return set_string(&t->pool_addresses, value);
}

/* [connection NAME] */

static gboolean
apply_local(Target *t, const char *value, GError **error)
{
    return parse_host(value, &t->conn->local_addr, error);
}

static gboolean
apply_remote(Target *t, const char *value, GError **error)
{
    return parse_host(value, &t->conn->remote_addr, error);
}

static gboolean
apply_local_port(Target *t, const char *value, GError **error)
{
    return parse_port(value, &t->conn->local_port, error);
}

static gboolean
apply_remote_port(Target *t, const char *value, GError **error)
{
    return parse_port(value, &t->conn->remote_port, error);
}

static gboolean
apply_identity(CgIdentity *field, const char *value, GError **error)
{
    CgIdentity id;
    if (!cg_identity_parse(value, &id, error))
        return FALSE;
    cg_identity_clear(field);
    *field = id;
    return TRUE;
}

static gboolean
apply_local_id(Target *t, const char *value, GError **error)
{
    return apply_identity(&t->conn->local_id, value, error);
}

static gboolean
apply_remote_id(Target *t, const char *value, GError **error)
{
    return apply_identity(&t->conn->remote_id, value, error);
}

/* psk, pubkey, eap (any method), eap-mschapv2, eap-tls */
static gboolean
parse_auth(const char *value, CgAuthBy *out, guint8 *eap, GError **error)
{
    static const struct {
        const char *name;
        CgAuthBy by;
        guint8 eap;
    } methods[] = {
        { "psk", CG_AUTH_BY_PSK, 0 },
        { "pubkey", CG_AUTH_BY_PUBKEY, 0 },
        { "eap", CG_AUTH_BY_EAP, CG_EAP_ANY },
        { "eap-mschapv2", CG_AUTH_BY_EAP, CG_EAP_MSCHAPV2 },
        { "eap-tls", CG_AUTH_BY_EAP, CG_EAP_TLS },
    };
    for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
        if (g_ascii_strcasecmp(value, methods[i].name) == 0) {
            *out = methods[i].by;
            *eap = methods[i].eap;
            return TRUE;
        }
    }
    g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                "unknown authentication method '%s' (psk, pubkey, eap, eap-mschapv2 or eap-tls)",
                value);
    return FALSE;
}

static gboolean
apply_auth(Target *t, const char *value, GError **error)
{
    return parse_auth(value, &t->conn->local_auth, &t->conn->local_eap, error);
}

static gboolean
apply_remote_auth(Target *t, const char *value, GError **error)
{
    t->remote_auth_set = TRUE;
    return parse_auth(value, &t->conn->remote_auth, &t->conn->remote_eap, error);
}

/* certificates, keys, EAP, fragmentation */

static gboolean
apply_cert(Target *t, const char *value, GError **error)
{
    return set_string(&t->conn->cert, value);
}

static gboolean
apply_cert_nickname(Target *t, const char *value, GError **error)
{
    return set_string(&t->conn->cert_nickname, value);
}

static gboolean
apply_key(Target *t, const char *value, GError **error)
{
    return set_string(&t->conn->key, value);
}

static gboolean
apply_pkcs12(Target *t, const char *value, GError **error)
{
    return set_string(&t->conn->pkcs12, value);
}

static gboolean
apply_pkcs11_module(Target *t, const char *value, GError **error)
{
    if (!g_path_is_absolute(value)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "'%s': a PKCS#11 module is given by its absolute path", value);
        return FALSE;
    }
    return set_string(&t->conn->pkcs11_module, value);
}

static gboolean
apply_path_list(GPtrArray *list, const char *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    if (items == NULL)
        return FALSE;
    g_ptr_array_set_size(list, 0);
    for (guint i = 0; items[i] != NULL; i++)
        g_ptr_array_add(list, g_strdup(items[i]));
    return TRUE;
}

static gboolean
apply_cacert(Target *t, const char *value, GError **error)
{
    return apply_path_list(t->conn->cacerts, value, error);
}

static gboolean
apply_crl(Target *t, const char *value, GError **error)
{
    return apply_path_list(t->conn->crls, value, error);
}

static gboolean
apply_remote_cert(Target *t, const char *value, GError **error)
{
    return set_string(&t->conn->remote_cert, value);
}

static gboolean
apply_ocsp(Target *t, const char *value, GError **error)
{
    CgOcspMode mode;
    if (!cg_ocsp_mode_from_string(value, &mode)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "invalid OCSP mode '%s' (no, soft or hard)", value);
        return FALSE;
    }
    t->conn->ocsp = mode;
    return TRUE;
}

static gboolean
apply_rsa_pss(Target *t, const char *value, GError **error)
{
    return parse_bool(value, &t->conn->rsa_pss, error);
}

static gboolean
apply_send_certreq(Target *t, const char *value, GError **error)
{
    return parse_bool(value, &t->conn->send_certreq, error);
}

static gboolean
apply_eap_identity(Target *t, const char *value, GError **error)
{
    if (strlen(value) > 253 || !g_utf8_validate(value, -1, NULL)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "an EAP identity is 1..253 bytes of UTF-8");
        return FALSE;
    }
    return set_string(&t->conn->eap_identity, value);
}

static gboolean
apply_eap_only(Target *t, const char *value, GError **error)
{
    return parse_bool(value, &t->conn->eap_only, error);
}

static gboolean
apply_fragmentation(Target *t, const char *value, GError **error)
{
    return parse_bool(value, &t->conn->fragmentation, error);
}

static gboolean
apply_fragment_size(Target *t, const char *value, GError **error)
{
    guint64 size;
    if (!parse_uint(value, 576, 65535, &size, error))
        return FALSE;
    t->conn->fragment_size = (guint)size;
    return TRUE;
}

static gboolean
apply_psk_ids(Target *t, const char *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    if (items == NULL)
        return FALSE;
    g_ptr_array_set_size(t->conn->psk_ids, 0);
    for (guint i = 0; items[i] != NULL; i++) {
        CgIdentity id;
        if (!cg_identity_parse(items[i], &id, error))
            return FALSE;
        cg_identity_clear(&id);
        g_ptr_array_add(t->conn->psk_ids, g_strdup(items[i]));
    }
    return TRUE;
}

static gboolean
apply_ike(Target *t, const char *value, GError **error)
{
    GArray *list = cg_proposal_list_parse(value, CG_PROTO_IKE, error);
    if (list == NULL)
        return FALSE;
    g_array_unref(t->conn->ike_proposals);
    t->conn->ike_proposals = list;
    return TRUE;
}

static gboolean
apply_esp(Target *t, const char *value, GError **error)
{
    GArray *list = cg_proposal_list_parse(value, CG_PROTO_ESP, error);
    if (list == NULL)
        return FALSE;
    g_array_unref(t->child->esp_proposals);
    t->child->esp_proposals = list;
    return TRUE;
}

static gboolean
apply_vip(Target *t, const char *value, GError **error)
{
    static const char *const choices[] = { "no", "ipv4", "ipv6", "both", NULL };
    guint index;
    if (!parse_choice(value, choices, &index, error))
        return FALSE;
    t->conn->request_vip4 = index == 1 || index == 3;
    t->conn->request_vip6 = index == 2 || index == 3;
    return TRUE;
}

static gboolean
apply_pools(Target *t, const char *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    if (items == NULL)
        return FALSE;
    g_ptr_array_set_size(t->conn->pools, 0);
    for (guint i = 0; items[i] != NULL; i++) {
        if (!cg_config_name_valid(items[i])) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "invalid pool name '%s'",
                        items[i]);
            return FALSE;
        }
        g_ptr_array_add(t->conn->pools, g_strdup(items[i]));
    }
    return TRUE;
}

static gboolean
apply_dns(Target *t, const char *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    if (items == NULL)
        return FALSE;
    g_ptr_array_set_size(t->conn->dns, 0);
    for (guint i = 0; items[i] != NULL; i++) {
        int family;
        guint8 addr[16];
        if (!cg_addr_parse(items[i], &family, addr)) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "'%s' is not an IP address", items[i]);
            return FALSE;
        }
        g_ptr_array_add(t->conn->dns, g_inet_address_new_from_bytes(addr, (GSocketFamily)family));
    }
    return TRUE;
}

static gboolean
apply_split_include(Target *t, const char *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    if (items == NULL)
        return FALSE;
    g_ptr_array_set_size(t->conn->split_include, 0);
    for (guint i = 0; items[i] != NULL; i++) {
        CgAddrRange range;
        if (strchr(items[i], '-') != NULL) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "'%s': a subnet is written as a CIDR (10.1.0.0/16), not a range", items[i]);
            return FALSE;
        }
        if (!cg_addr_range_parse(items[i], &range, error))
            return FALSE;
        g_autofree char *network = cg_addr_to_string(range.family, range.start);
        g_ptr_array_add(t->conn->split_include,
                        g_strdup_printf("%s/%d", network, range.prefix_len));
    }
    return TRUE;
}

/* RFC 8598 4: a domain name of printable characters, at most 255 */
static gboolean
apply_dns_domains(Target *t, const char *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    if (items == NULL)
        return FALSE;
    g_ptr_array_set_size(t->conn->dns_domains, 0);
    for (guint i = 0; items[i] != NULL; i++) {
        gsize len = strlen(items[i]);
        gboolean ok = len > 0 && len <= 255;
        for (gsize j = 0; ok && j < len; j++)
            ok = g_ascii_isalnum(items[i][j]) || items[i][j] == '-' || items[i][j] == '.';
        if (!ok) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "'%s' is not a domain name (letters, digits, '-' and '.')", items[i]);
            return FALSE;
        }
        g_ptr_array_add(t->conn->dns_domains, g_strdup(items[i]));
    }
    return TRUE;
}

static gboolean
apply_rekey_time(Target *t, const char *value, GError **error)
{
    return parse_duration_s(value, &t->conn->ike_rekey_time_s, error);
}

static gboolean
apply_reauth_time(Target *t, const char *value, GError **error)
{
    return parse_duration_s(value, &t->conn->reauth_time_s, error);
}

static gboolean
apply_rand_time(Target *t, const char *value, GError **error)
{
    t->rand_time_set = TRUE;
    return parse_duration_s(value, &t->conn->rand_time_s, error);
}

static gboolean
apply_dpd_delay(Target *t, const char *value, GError **error)
{
    return parse_duration_s(value, &t->conn->dpd_delay_s, error);
}

static gboolean
apply_retransmit_timeout(Target *t, const char *value, GError **error)
{
    guint64 ms;
    if (!parse_duration_ms(value, &ms, error))
        return FALSE;
    if (ms == 0 || ms > G_MAXUINT32) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "'%s' is out of range (1 ms .. %u ms)", value, G_MAXUINT32);
        return FALSE;
    }
    t->conn->retransmit_timeout_ms = (guint32)ms;
    return TRUE;
}

static gboolean
apply_retransmit_base(Target *t, const char *value, GError **error)
{
    char *end = NULL;
    double base = g_ascii_strtod(value, &end);
    if (end == value || *end != '\0' || !(base >= 1.0 && base <= 10.0)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "invalid factor '%s' (a number from 1.0 to 10.0)", value);
        return FALSE;
    }
    t->conn->retransmit_base = base;
    return TRUE;
}

static gboolean
apply_retransmit_tries(Target *t, const char *value, GError **error)
{
    guint64 tries;
    if (!parse_uint(value, 1, 20, &tries, error))
        return FALSE;
    t->conn->retransmit_tries = (guint)tries;
    return TRUE;
}

static gboolean
apply_encap(Target *t, const char *value, GError **error)
{
    return parse_bool(value, &t->conn->force_encap, error);
}

static gboolean
apply_mobike(Target *t, const char *value, GError **error)
{
    return parse_bool(value, &t->conn->mobike, error);
}

static gboolean
apply_unique_ids(Target *t, const char *value, GError **error)
{
    return parse_bool(value, &t->conn->unique_ids, error);
}

static gboolean
apply_start(Target *t, const char *value, GError **error)
{
    static const char *const choices[] = { "none", "start", NULL };
    guint index;
    if (!parse_choice(value, choices, &index, error))
        return FALSE;
    t->conn->start_action = index == 1 ? CG_START_START : CG_START_NONE;
    return TRUE;
}

static gboolean
apply_address_family(Target *t, const char *value, GError **error)
{
    static const char *const choices[]
        = { "auto", "ipv6-first", "ipv4-first", "ipv6-only", "ipv4-only", NULL };
    guint index;
    if (!parse_choice(value, choices, &index, error))
        return FALSE;
    return cg_family_pref_from_string(choices[index], &t->conn->address_family);
}

static gboolean
apply_log_file(Target *t, const char *value, GError **error)
{
    return set_string(&t->conn->log_file, value);
}

static gboolean
apply_conn_dataplane(Target *t, const char *value, GError **error)
{
    guint index;
    if (!parse_choice(value, dataplanes, &index, error))
        return FALSE;
    return set_string(&t->conn->dataplane, dataplanes[index]);
}

/* CHILD_SA keys: the first child in [connection], others in [child] */

static gboolean
apply_ts(GArray **field, const char *value, GError **error)
{
    GArray *list = cg_ts_list_parse(value, error);
    if (list == NULL)
        return FALSE;
    g_array_unref(*field);
    *field = list;
    return TRUE;
}

static gboolean
apply_local_ts(Target *t, const char *value, GError **error)
{
    return apply_ts(&t->child->local_ts, value, error);
}

static gboolean
apply_remote_ts(Target *t, const char *value, GError **error)
{
    return apply_ts(&t->child->remote_ts, value, error);
}

static gboolean
apply_mode(Target *t, const char *value, GError **error)
{
    static const char *const choices[] = { "tunnel", "transport", NULL };
    guint index;
    if (!parse_choice(value, choices, &index, error))
        return FALSE;
    t->child->mode = index == 1 ? CG_MODE_TRANSPORT : CG_MODE_TUNNEL;
    return TRUE;
}

static gboolean
apply_child_rekey_time(Target *t, const char *value, GError **error)
{
    return parse_duration_s(value, &t->child->rekey_time_s, error);
}

static gboolean
apply_child_life_time(Target *t, const char *value, GError **error)
{
    t->life_time_set = TRUE;
    return parse_duration_s(value, &t->child->life_time_s, error);
}

static gboolean
apply_child_rekey_bytes(Target *t, const char *value, GError **error)
{
    return parse_uint(value, 0, G_MAXUINT64, &t->child->rekey_bytes, error);
}

static gboolean
apply_child_rekey_packets(Target *t, const char *value, GError **error)
{
    return parse_uint(value, 0, G_MAXUINT64, &t->child->rekey_packets, error);
}

/* [psk NAME] in the secrets file */

static gboolean
apply_psk_secret_ids(Target *t, const char *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    if (items == NULL)
        return FALSE;
    for (guint i = 0; items[i] != NULL; i++) {
        CgIdentity id;
        if (!cg_identity_parse(items[i], &id, error))
            return FALSE;
        cg_identity_clear(&id);
    }
    g_strfreev(t->psk->ids);
    t->psk->ids = g_steal_pointer(&items);
    return TRUE;
}

static gboolean
apply_pin_target(Target *t, const char *value, GError **error)
{
    return set_string(&t->psk->target, value);
}

static gboolean
apply_psk_secret(Target *t, const char *value, GError **error)
{
    GBytes *secret = cygnetd_secret_parse(value, error);
    if (secret == NULL)
        return FALSE;
    g_clear_pointer(&t->psk->secret, g_bytes_unref);
    t->psk->secret = secret;
    return TRUE;
}

#define DAEMON CYGNETD_GROUP_DAEMON
#define POOL   CYGNETD_GROUP_POOL
#define CONN   CYGNETD_GROUP_CONNECTION
#define CHILD  CYGNETD_GROUP_CHILD
#define PSK    CYGNETD_GROUP_PSK
#define EAP    CYGNETD_GROUP_EAP
#define PIN    CYGNETD_GROUP_PIN

/* Every key of both files. Keep docs/cygnetd.md in step (a unit test
 * checks that it mentions each key). */
static const KeyDef key_defs[] = {
    { { DAEMON, "control-socket", "path", "/run/cygnet/cygnetd.sock",
        "Unix socket of the control API (Varlink)" },
      apply_control_socket },
    { { DAEMON, "control-group", "group name", "none (root only, mode 0600)",
        "group that may use the control socket (mode 0660 then)" },
      apply_control_group },
    { { DAEMON, "nss-dir", "path", "/var/lib/cygnet/nss",
        "NSS database with keys and certificates" },
      apply_nss_dir },
    { { DAEMON, "secrets-file", "path", "/etc/cygnet/secrets.conf", "the secrets file (PSKs)" },
      apply_secrets_file },
    { { DAEMON, "crypto-workers", "number 0..256", "0 (one per CPU)",
        "threads for key exchange and signatures" },
      apply_crypto_workers },
    { { DAEMON, "unique-ids", "boolean", "yes",
        "a new IKE_SA from the same identity replaces the old one (default of connections)" },
      apply_daemon_unique_ids },
    { { DAEMON, "log-level", "error|warning|info|debug|trace", "info", "how much to log" },
      apply_log_level },
    { { DAEMON, "listen", "IP address", "all addresses", "address to bind the IKE sockets to" },
      apply_listen },
    { { DAEMON, "ike-port", "port", "500", "UDP port for IKE" }, apply_ike_port },
    { { DAEMON, "natt-port", "port", "4500", "UDP port for IKE and ESP behind NAT" },
      apply_natt_port },
    { { DAEMON, "dataplane", "auto|xfrm|uesp|log", "auto",
        "where ESP happens: kernel XFRM, userspace ESP on TUN, or only logged" },
      apply_daemon_dataplane },

    { { POOL, "addresses", "CIDR or range", "required",
        "addresses handed out, e.g. 10.3.0.0/24 or 10.3.0.10-10.3.0.50 (IPv4 or IPv6)" },
      apply_pool_addresses },

    { { CONN, "local", "address or hostname", "any", "our address" }, apply_local },
    { { CONN, "remote", "address or hostname", "%any",
        "peer address; %any accepts anyone (responder only)" },
      apply_remote },
    { { CONN, "local-port", "port", "500", "our IKE port" }, apply_local_port },
    { { CONN, "remote-port", "port", "500", "the peer's IKE port" }, apply_remote_port },
    { { CONN, "address-family", "auto|ipv6-first|ipv4-first|ipv6-only|ipv4-only", "auto",
        "which of a remote host name's addresses to try, in which order" },
      apply_address_family },
    { { CONN, "local-id", "identity", "our address", "IP, FQDN (host or @host), email or %any" },
      apply_local_id },
    { { CONN, "remote-id", "identity", "%any",
        "accepted peer identity; *.example.org and *@example.org match many" },
      apply_remote_id },
    { { CONN, "auth", "psk|pubkey|eap|eap-mschapv2|eap-tls", "psk", "how we authenticate" },
      apply_auth },
    { { CONN, "remote-auth", "psk|pubkey|eap|eap-mschapv2|eap-tls", "same as auth",
        "how the peer must authenticate" },
      apply_remote_auth },
    { { CONN, "cert", "path", "none",
        "our certificate (PEM or DER); CA certificates after it in the file are sent too" },
      apply_cert },
    { { CONN, "cert-nickname", "nickname", "none",
        "our certificate in the NSS database or on a token (\"token:name\")" },
      apply_cert_nickname },
    { { CONN, "key", "path", "the key of cert in NSS or on its token",
        "our private key (PKCS#8, PKCS#1 or SEC1; PEM or DER)" },
      apply_key },
    { { CONN, "pkcs12", "path", "none", "our certificate and key in one PKCS#12 file" },
      apply_pkcs12 },
    { { CONN, "pkcs11-module", "path", "none",
        "a PKCS#11 module (smartcard, SoftHSM) holding our key" },
      apply_pkcs11_module },
    { { CONN, "cacert", "list of paths", "the NSS database's trusted CAs",
        "CA certificates trusted for the peer's certificate" },
      apply_cacert },
    { { CONN, "crl", "list of paths", "none", "CRLs checked for the peer's certificate path" },
      apply_crl },
    { { CONN, "remote-cert", "path", "none", "the peer's certificate, pinned (no CA needed)" },
      apply_remote_cert },
    { { CONN, "ocsp", "no, soft or hard", "no",
        "ask the peer certificate's OCSP responder: soft accepts when it does not answer, "
        "hard does not" },
      apply_ocsp },
    { { CONN, "rsa-pss", "boolean", "no", "sign with RSASSA-PSS (RFC 7427)" }, apply_rsa_pss },
    { { CONN, "send-certreq", "boolean", "yes", "ask the peer for its certificate (CERTREQ)" },
      apply_send_certreq },
    { { CONN, "eap-identity", "text", "local-id", "our EAP identity (user name)" },
      apply_eap_identity },
    { { CONN, "eap-only", "boolean", "no",
        "RFC 5998 EAP-only: the gateway authenticates through EAP alone" },
      apply_eap_only },
    { { CONN, "fragmentation", "boolean", "yes", "IKE fragmentation (RFC 7383)" },
      apply_fragmentation },
    { { CONN, "fragment-size", "number 576..65535", "1280",
        "largest IP datagram of an IKE fragment" },
      apply_fragment_size },
    { { CONN, "psk-ids", "list of identities", "local-id and remote-id",
        "identities under which to look up the PSK in the secrets file" },
      apply_psk_ids },
    { { CONN, "ike", "proposals", "default",
        "IKE proposals, e.g. aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048" },
      apply_ike },
    { { CONN, "esp", "proposals", "default",
        "ESP proposals of the first child and of children without esp=" },
      apply_esp },
    { { CONN, "vip", "no|ipv4|ipv6|both", "no",
        "as initiator, ask for a virtual IP (configuration payload)" },
      apply_vip },
    { { CONN, "pools", "list of pool names", "none",
        "as responder, hand out addresses from these" },
      apply_pools },
    { { CONN, "dns", "list of addresses", "none",
        "as responder, send these DNS servers (INTERNAL_IP4_DNS/IP6_DNS)" },
      apply_dns },
    { { CONN, "split-include", "list of CIDRs", "none",
        "as responder, send these subnets (INTERNAL_IP4_SUBNET/IP6_SUBNET)" },
      apply_split_include },
    { { CONN, "dns-domains", "list of domain names", "none",
        "as responder, send these DNS search domains (INTERNAL_DNS_DOMAIN, RFC 8598)" },
      apply_dns_domains },
    { { CONN, "rekey-time", "duration", "4h", "IKE_SA rekey interval; 0 = never" },
      apply_rekey_time },
    { { CONN, "reauth-time", "duration", "0", "IKE_SA reauthentication interval; 0 = never" },
      apply_reauth_time },
    { { CONN, "rand-time", "duration", "10% of rekey-time (or of reauth-time if shorter)",
        "random jitter subtracted from rekey and reauth times" },
      apply_rand_time },
    { { CONN, "dpd-delay", "duration", "30s", "liveness check interval; 0 = off" },
      apply_dpd_delay },
    { { CONN, "retransmit-timeout", "duration (ms allowed)", "1s",
        "first retransmission timeout, e.g. 500ms" },
      apply_retransmit_timeout },
    { { CONN, "retransmit-base", "number 1.0..10.0", "1.8", "back-off factor per retransmission" },
      apply_retransmit_base },
    { { CONN, "retransmit-tries", "number 1..20", "5", "retransmissions before giving up" },
      apply_retransmit_tries },
    { { CONN, "encap", "boolean", "no", "always encapsulate ESP in UDP" }, apply_encap },
    { { CONN, "mobike", "boolean", "yes", "MOBIKE (RFC 4555) address updates" }, apply_mobike },
    { { CONN, "unique-ids", "boolean", "[daemon] unique-ids",
        "a new IKE_SA from the same identity replaces the old one" },
      apply_unique_ids },
    { { CONN, "start", "none|start", "none",
        "none: wait for the peer or a command; start: initiate at load" },
      apply_start },
    { { CONN, "log-file", "path", "none", "also log this connection's lines to this file" },
      apply_log_file },
    { { CONN, "dataplane", "auto|xfrm|uesp|log", "[daemon] dataplane",
        "per-connection dataplane override" },
      apply_conn_dataplane },
    { { CONN, "local-ts", "traffic selectors", "dynamic",
        "first child: our side, e.g. 10.1.0.0/16 or 10.0.0.0/8[tcp/80]" },
      apply_local_ts },
    { { CONN, "remote-ts", "traffic selectors", "dynamic", "first child: the peer's side" },
      apply_remote_ts },
    { { CONN, "mode", "tunnel|transport", "tunnel", "first child: IPsec mode" }, apply_mode },
    { { CONN, "child-rekey-time", "duration", "1h", "first child: rekey interval; 0 = never" },
      apply_child_rekey_time },
    { { CONN, "child-life-time", "duration", "child-rekey-time + 10%",
        "first child: hard expiry; 0 = none" },
      apply_child_life_time },
    { { CONN, "child-rekey-bytes", "number", "0", "first child: rekey after this many bytes" },
      apply_child_rekey_bytes },
    { { CONN, "child-rekey-packets", "number", "0", "first child: rekey after this many packets" },
      apply_child_rekey_packets },

    { { CHILD, "local-ts", "traffic selectors", "dynamic", "our side" }, apply_local_ts },
    { { CHILD, "remote-ts", "traffic selectors", "dynamic", "the peer's side" }, apply_remote_ts },
    { { CHILD, "esp", "proposals", "the connection's esp", "ESP proposals" }, apply_esp },
    { { CHILD, "mode", "tunnel|transport", "tunnel", "IPsec mode" }, apply_mode },
    { { CHILD, "rekey-time", "duration", "1h", "rekey interval; 0 = never" },
      apply_child_rekey_time },
    { { CHILD, "life-time", "duration", "rekey-time + 10%", "hard expiry; 0 = none" },
      apply_child_life_time },
    { { CHILD, "rekey-bytes", "number", "0", "rekey after this many bytes; 0 = no limit" },
      apply_child_rekey_bytes },
    { { CHILD, "rekey-packets", "number", "0", "rekey after this many packets; 0 = no limit" },
      apply_child_rekey_packets },

    { { PSK, "ids", "list of identities", "%any",
        "identities this PSK is for (either side's id matches)" },
      apply_psk_secret_ids },
    { { PSK, "secret", "secret", "required",
        "the key: text, \"quoted text\", 0x<hex> or 0s<base64>" },
      apply_psk_secret },

    { { EAP, "ids", "list of identities", "%any", "EAP users this password is for" },
      apply_psk_secret_ids },
    { { EAP, "secret", "secret", "required", "the password, as for [psk]" }, apply_psk_secret },

    { { PIN, "target", "token label or path", "required",
        "what it unlocks: a PKCS#11 token or a PKCS#12 file" },
      apply_pin_target },
    { { PIN, "secret", "secret", "required", "the PIN or password, as for [psk]" },
      apply_psk_secret },
};

#undef DAEMON
#undef POOL
#undef CONN
#undef CHILD
#undef PSK
#undef EAP
#undef PIN

const CygnetdKeyInfo *
cygnetd_config_key(guint index)
{
    return index < G_N_ELEMENTS(key_defs) ? &key_defs[index].info : NULL;
}

const char *
cygnetd_group_to_string(CygnetdGroup group)
{
    switch (group) {
        case CYGNETD_GROUP_DAEMON:
            return "daemon";
        case CYGNETD_GROUP_POOL:
            return "pool NAME";
        case CYGNETD_GROUP_CONNECTION:
            return "connection NAME";
        case CYGNETD_GROUP_CHILD:
            return "child NAME/CHILD";
        case CYGNETD_GROUP_PSK:
            return "psk NAME";
        case CYGNETD_GROUP_EAP:
            return "eap NAME";
        case CYGNETD_GROUP_PIN:
            return "pin NAME";
    }
    return "?";
}

static const KeyDef *
key_def_find(CygnetdGroup group, const char *key)
{
    for (guint i = 0; i < G_N_ELEMENTS(key_defs); i++) {
        if (key_defs[i].info.group == group && strcmp(key_defs[i].info.key, key) == 0)
            return &key_defs[i];
    }
    return NULL;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Applies `keys` in table order (so errors come out the same every
 * time). An empty value means "the default". Secret values never reach
 * an error message: the apply functions of [psk] do not quote them. */
static gboolean
apply_keys(CygnetdGroup group, GHashTable *keys, Target *t, GError **error)
{
    g_autofree const char **names = (const char **)g_hash_table_get_keys_as_array(keys, NULL);
    guint n_names = g_strv_length((char **)names);
    qsort(names, n_names, sizeof *names, compare_names);
    for (guint i = 0; i < n_names; i++) {
        if (key_def_find(group, names[i]) == NULL) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "unknown key '%s'",
                        names[i]);
            return FALSE;
        }
    }
    for (guint i = 0; i < G_N_ELEMENTS(key_defs); i++) {
        const KeyDef *def = &key_defs[i];
        if (def->info.group != group)
            continue;
        const char *raw = g_hash_table_lookup(keys, def->info.key);
        if (raw == NULL)
            continue;
        g_autofree char *value = g_strstrip(g_strdup(raw));
        gboolean ok = *value == '\0' || def->apply(t, value, error);
        if (group == CYGNETD_GROUP_PSK || group == CYGNETD_GROUP_EAP
            || group == CYGNETD_GROUP_PIN)
            explicit_bzero(value, strlen(value));
        if (!ok) {
            g_prefix_error(error, "key '%s': ", def->info.key);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
key_given(GHashTable *keys, const char *key)
{
    const char *value = g_hash_table_lookup(keys, key);
    if (value == NULL)
        return FALSE;
    while (g_ascii_isspace(*value))
        value++;
    return *value != '\0';
}

/* ---- connections -------------------------------------------------------- */

static guint32
life_time_default(guint32 rekey_time_s)
{
    return rekey_time_s + rekey_time_s / 10; /* rekey * 1.1 */
}

/* 10% of the shorter of the rekey and reauth times that are set */
static guint32
rand_time_default(const CgConnConfig *conn)
{
    guint32 shortest_s = conn->ike_rekey_time_s;
    if (conn->reauth_time_s != 0 && (shortest_s == 0 || conn->reauth_time_s < shortest_s))
        shortest_s = conn->reauth_time_s;
    return shortest_s / 10;
}

CgConnConfig *
cygnetd_conn_from_keys(const char *name, GHashTable *keys, GError **error)
{
    g_return_val_if_fail(name != NULL && keys != NULL, NULL);

    if (!cg_config_name_valid(name)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "[connection %s] a name is 1..64 characters of A-Z a-z 0-9 _ . : @ + -", name);
        return NULL;
    }
    g_autoptr(CgConnConfig) conn = cg_conn_config_new(name);
    CgChildConfig *child = cg_child_config_new(name);
    g_ptr_array_add(conn->children, child);

    Target t = { .conn = conn, .child = child };
    if (!apply_keys(CYGNETD_GROUP_CONNECTION, keys, &t, error)) {
        g_prefix_error(error, "[connection %s] ", name);
        return NULL;
    }
    if (!t.remote_auth_set)
        conn->remote_auth = conn->local_auth;
    if (!t.rand_time_set)
        conn->rand_time_s = rand_time_default(conn);
    if (!t.life_time_set)
        child->life_time_s = life_time_default(child->rekey_time_s);

    if (!cg_conn_config_validate(conn, error)) {
        g_prefix_error(error, "[connection %s] ", name);
        return NULL;
    }
    return g_steal_pointer(&conn);
}

gboolean
cygnetd_conn_add_child_from_keys(CgConnConfig *conn, const char *child_name, GHashTable *keys,
                                 GError **error)
{
    g_return_val_if_fail(conn != NULL && child_name != NULL && keys != NULL, FALSE);
    g_return_val_if_fail(conn->children->len > 0, FALSE);

    const CgChildConfig *first = g_ptr_array_index(conn->children, 0);
    CgChildConfig *child = cg_child_config_new(child_name);
    g_array_unref(child->esp_proposals);
    child->esp_proposals = g_array_copy(first->esp_proposals);

    Target t = { .conn = conn, .child = child };
    gboolean ok = apply_keys(CYGNETD_GROUP_CHILD, keys, &t, error);
    if (ok && !t.life_time_set)
        child->life_time_s = life_time_default(child->rekey_time_s);
    if (ok) {
        g_ptr_array_add(conn->children, child);
        ok = cg_conn_config_validate(conn, error);
        if (!ok)
            g_ptr_array_remove_index(conn->children, conn->children->len - 1);
    } else {
        cg_child_config_free(child);
    }
    if (!ok)
        g_prefix_error(error, "[child %s/%s] ", conn->name, child_name);
    return ok;
}

/* ---- reading keyfiles ---------------------------------------------------- */

void
cygnetd_daemon_options_init(CygnetdDaemonOptions *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->crypto_workers = -1;
    opts->unique_ids = -1;
    opts->log_level = -1;
    opts->ike_port = -1;
    opts->natt_port = -1;
}

void
cygnetd_daemon_options_clear(CygnetdDaemonOptions *opts)
{
    g_free(opts->control_socket);
    g_free(opts->control_group);
    g_free(opts->nss_dir);
    g_free(opts->secrets_file);
    g_free(opts->listen);
    g_free(opts->dataplane);
    cygnetd_daemon_options_init(opts);
}

void
cygnetd_config_free(CygnetdConfig *config)
{
    if (config == NULL)
        return;
    cygnetd_daemon_options_clear(&config->daemon);
    g_clear_pointer(&config->connections, g_ptr_array_unref);
    g_clear_pointer(&config->pools, g_ptr_array_unref);
    g_clear_pointer(&config->unique_ids_set, g_hash_table_unref);
    g_free(config);
}

static CygnetdConfig *
config_new_empty(void)
{
    CygnetdConfig *config = g_new0(CygnetdConfig, 1);
    cygnetd_daemon_options_init(&config->daemon);
    config->connections = g_ptr_array_new_with_free_func((GDestroyNotify)cg_conn_config_unref);
    config->pools = g_ptr_array_new_with_free_func((GDestroyNotify)cg_pool_free);
    config->unique_ids_set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return config;
}

/* GKeyFile merges repeated groups silently and quotes a bad line in its
 * error (which in the secrets file may be a secret): check the line
 * structure first, naming only line numbers. */
static gboolean
check_lines(const char *path, const char *contents, GError **error)
{
    g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        const char *line = lines[i];
        while (g_ascii_isspace(*line))
            line++;
        gsize len = strlen(line);
        while (len > 0 && g_ascii_isspace(line[len - 1]))
            len--;
        if (len == 0 || line[0] == '#')
            continue;
        if (line[0] == '[') {
            if (line[len - 1] != ']') {
                g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                            "%s: line %u: a group header must end with ']' (comments go on "
                            "their own line)",
                            path, i + 1);
                return FALSE;
            }
            char *group = g_strndup(line + 1, len - 2);
            if (g_hash_table_contains(groups, group)) {
                g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                            "%s: line %u: group [%s] appears twice", path, i + 1, group);
                g_free(group);
                return FALSE;
            }
            g_hash_table_add(groups, group);
            continue;
        }
        if (memchr(line, '=', len) == NULL) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "%s: line %u is not a [group], a key=value pair or a # comment", path,
                        i + 1);
            return FALSE;
        }
    }
    return TRUE;
}

static GKeyFile *
keyfile_load(const char *path, gboolean secret, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    char *contents = NULL;
    gsize length = 0;
    if (!g_file_get_contents(path, &contents, &length, &local_error)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_FILE, "%s", local_error->message);
        return NULL;
    }
    g_autoptr(GKeyFile) keyfile = g_key_file_new();
    gboolean ok = TRUE;
    const char *invalid = NULL;
    if (!g_utf8_validate(contents, (gssize)length, &invalid)) {
        /* error messages quote names from the file: they must be UTF-8 */
        guint line = 1;
        for (const char *p = contents; p < invalid; p++)
            line += *p == '\n';
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "%s: line %u is not valid UTF-8 (or contains a NUL byte)", path, line);
        ok = FALSE;
    }
    ok = ok && check_lines(path, contents, error);
    if (ok
        && !g_key_file_load_from_data(keyfile, contents, length, G_KEY_FILE_NONE, &local_error)) {
        if (secret)
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "%s: syntax error", path);
        else
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "%s: %s", path,
                        local_error->message);
        ok = FALSE;
    }
    explicit_bzero(contents, length);
    g_free(contents);
    return ok ? g_steal_pointer(&keyfile) : NULL;
}

static void
wipe_and_free(gpointer value)
{
    explicit_bzero(value, strlen(value));
    g_free(value);
}

/* The keys of a group as a table; a key written twice is an error. */
static GHashTable *
group_keys(GKeyFile *keyfile, const char *group, GError **error)
{
    g_autoptr(GHashTable) keys
        = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, wipe_and_free);
    g_auto(GStrv) names = g_key_file_get_keys(keyfile, group, NULL, error);
    if (names == NULL)
        return NULL;
    for (guint i = 0; names[i] != NULL; i++) {
        if (g_hash_table_contains(keys, names[i])) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "key '%s' appears twice",
                        names[i]);
            return NULL;
        }
        /* raw values: no GKeyFile escapes, what you see is what you get */
        char *value = g_key_file_get_value(keyfile, group, names[i], error);
        if (value == NULL)
            return NULL;
        g_hash_table_insert(keys, g_strdup(names[i]), value);
    }
    return g_steal_pointer(&keys);
}

/* "connection foo" -> "foo" when group starts with "connection ". */
static const char *
group_name_after(const char *group, const char *kind)
{
    gsize kind_len = strlen(kind);
    if (strncmp(group, kind, kind_len) != 0 || group[kind_len] != ' ')
        return NULL;
    const char *name = group + kind_len;
    while (*name == ' ')
        name++;
    return name;
}

static gboolean
check_group_name(const char *path, const char *group, const char *name, GError **error)
{
    if (cg_config_name_valid(name))
        return TRUE;
    g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                "%s: [%s] the name '%s' is not 1..64 characters of A-Z a-z 0-9 _ . : @ + -", path,
                group, name);
    return FALSE;
}

/* Values with a trailing "# ..." are a common slip: say so. */
static void
hint_inline_comment(GHashTable *keys, GError **error)
{
    if (error == NULL || *error == NULL)
        return;
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, keys);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        g_autofree char *needle = g_strdup_printf("key '%s'", (const char *)key);
        if (strstr((*error)->message, needle) != NULL && strchr(value, '#') != NULL) {
            char *message
                = g_strdup_printf("%s (comments must be on their own line)", (*error)->message);
            g_free((*error)->message);
            (*error)->message = message;
            return;
        }
    }
}

typedef struct {
    const char *path;
    GKeyFile *keyfile;
    CygnetdConfig *config;
} Loader;

static gboolean
load_daemon(Loader *l, GError **error)
{
    if (!g_key_file_has_group(l->keyfile, "daemon"))
        return TRUE;
    g_autoptr(GHashTable) keys = group_keys(l->keyfile, "daemon", error);
    Target t = { .daemon = &l->config->daemon };
    if (keys == NULL || !apply_keys(CYGNETD_GROUP_DAEMON, keys, &t, error)) {
        if (keys != NULL)
            hint_inline_comment(keys, error);
        g_prefix_error(error, "%s: [daemon] ", l->path);
        return FALSE;
    }
    return TRUE;
}

static gboolean
load_pool(Loader *l, const char *group, const char *name, GError **error)
{
    if (!check_group_name(l->path, group, name, error))
        return FALSE;
    g_autoptr(GHashTable) keys = group_keys(l->keyfile, group, error);
    Target t = { 0 };
    gboolean ok = keys != NULL && apply_keys(CYGNETD_GROUP_POOL, keys, &t, error);
    if (ok && t.pool_addresses == NULL) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_MISSING, "key 'addresses' is required");
        ok = FALSE;
    }
    CgPool *pool = NULL;
    if (ok) {
        pool = cg_pool_new(name, t.pool_addresses, error);
        if (pool == NULL)
            g_prefix_error(error, "key 'addresses': ");
    }
    g_free(t.pool_addresses);
    if (pool == NULL) {
        if (keys != NULL)
            hint_inline_comment(keys, error);
        g_prefix_error(error, "%s: [%s] ", l->path, group);
        return FALSE;
    }
    g_ptr_array_add(l->config->pools, pool);
    return TRUE;
}

static gboolean
pool_known(Loader *l, const char *name)
{
    for (guint i = 0; i < l->config->pools->len; i++) {
        if (strcmp(cg_pool_name(g_ptr_array_index(l->config->pools, i)), name) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
load_children(Loader *l, CgConnConfig *conn, GStrv groups, GError **error)
{
    for (guint i = 0; groups[i] != NULL; i++) {
        const char *spec = group_name_after(groups[i], "child");
        const char *slash = spec != NULL ? strchr(spec, '/') : NULL;
        if (slash == NULL || (gsize)(slash - spec) != strlen(conn->name)
            || strncmp(spec, conn->name, strlen(conn->name)) != 0)
            continue;
        if (!check_group_name(l->path, groups[i], slash + 1, error))
            return FALSE;
        g_autoptr(GHashTable) keys = group_keys(l->keyfile, groups[i], error);
        if (keys == NULL) {
            g_prefix_error(error, "%s: [%s] ", l->path, groups[i]);
            return FALSE;
        }
        if (!cygnetd_conn_add_child_from_keys(conn, slash + 1, keys, error)) {
            hint_inline_comment(keys, error);
            g_prefix_error(error, "%s: ", l->path);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
load_connection(Loader *l, const char *group, const char *name, GStrv groups, GError **error)
{
    if (!check_group_name(l->path, group, name, error))
        return FALSE;
    g_autoptr(GHashTable) keys = group_keys(l->keyfile, group, error);
    if (keys == NULL) {
        g_prefix_error(error, "%s: [%s] ", l->path, group);
        return FALSE;
    }
    g_autoptr(CgConnConfig) conn = cygnetd_conn_from_keys(name, keys, error);
    if (conn == NULL) {
        hint_inline_comment(keys, error);
        g_prefix_error(error, "%s: ", l->path);
        return FALSE;
    }
    if (key_given(keys, "unique-ids"))
        g_hash_table_add(l->config->unique_ids_set, g_strdup(name));
    for (guint i = 0; i < conn->pools->len; i++) {
        const char *pool = g_ptr_array_index(conn->pools, i);
        if (!pool_known(l, pool)) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "%s: [connection %s] key 'pools': unknown pool '%s' (no [pool %s])",
                        l->path, name, pool, pool);
            return FALSE;
        }
    }
    if (!load_children(l, conn, groups, error))
        return FALSE;
    g_ptr_array_add(l->config->connections, g_steal_pointer(&conn));
    return TRUE;
}

/* Every [child NAME/CHILD] must belong to a [connection NAME]. */
static gboolean
check_child_groups(Loader *l, GStrv groups, GError **error)
{
    for (guint i = 0; groups[i] != NULL; i++) {
        const char *spec = group_name_after(groups[i], "child");
        if (spec == NULL)
            continue;
        const char *slash = strchr(spec, '/');
        if (slash == NULL) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "%s: [%s] must be written [child CONNECTION/CHILD]", l->path, groups[i]);
            return FALSE;
        }
        g_autofree char *conn_group = g_strdup_printf("connection %.*s", (int)(slash - spec), spec);
        if (!g_key_file_has_group(l->keyfile, conn_group)) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "%s: [%s] has no [%s]",
                        l->path, groups[i], conn_group);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
check_groups_known(Loader *l, GStrv groups, GError **error)
{
    for (guint i = 0; groups[i] != NULL; i++) {
        if (strcmp(groups[i], "daemon") == 0 || group_name_after(groups[i], "pool") != NULL
            || group_name_after(groups[i], "connection") != NULL
            || group_name_after(groups[i], "child") != NULL)
            continue;
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "%s: unknown group [%s] (daemon, pool NAME, connection NAME or child "
                    "NAME/CHILD)",
                    l->path, groups[i]);
        return FALSE;
    }
    return TRUE;
}

void
cygnetd_config_apply_unique_ids_default(CygnetdConfig *config, gboolean unique_ids)
{
    for (guint i = 0; i < config->connections->len; i++) {
        CgConnConfig *conn = g_ptr_array_index(config->connections, i);
        if (!g_hash_table_contains(config->unique_ids_set, conn->name))
            conn->unique_ids = unique_ids;
    }
}

CygnetdConfig *
cygnetd_config_load(const char *path, GError **error)
{
    g_autoptr(CygnetdConfig) config = config_new_empty();
    if (path == NULL)
        return g_steal_pointer(&config);

    g_autoptr(GKeyFile) keyfile = keyfile_load(path, FALSE, error);
    if (keyfile == NULL)
        return NULL;
    g_auto(GStrv) groups = g_key_file_get_groups(keyfile, NULL);
    Loader l = { .path = path, .keyfile = keyfile, .config = config };

    if (!check_groups_known(&l, groups, error) || !check_child_groups(&l, groups, error)
        || !load_daemon(&l, error))
        return NULL;
    for (guint i = 0; groups[i] != NULL; i++) {
        const char *name = group_name_after(groups[i], "pool");
        if (name != NULL && !load_pool(&l, groups[i], name, error))
            return NULL;
    }
    for (guint i = 0; groups[i] != NULL; i++) {
        const char *name = group_name_after(groups[i], "connection");
        if (name != NULL && !load_connection(&l, groups[i], name, groups, error))
            return NULL;
    }
    if (config->daemon.unique_ids >= 0)
        cygnetd_config_apply_unique_ids_default(config, config->daemon.unique_ids == 1);
    return g_steal_pointer(&config);
}

/* ---- the secrets file ---------------------------------------------------- */

static CygnetdPsk *
load_psk(const char *path, GKeyFile *keyfile, const char *group, const char *name,
         CygnetdSecretKind kind, GError **error)
{
    static const CygnetdGroup group_of[] = {
        [CYGNETD_SECRET_PSK] = CYGNETD_GROUP_PSK,
        [CYGNETD_SECRET_EAP] = CYGNETD_GROUP_EAP,
        [CYGNETD_SECRET_PIN] = CYGNETD_GROUP_PIN,
    };
    g_autoptr(CygnetdPsk) psk = g_new0(CygnetdPsk, 1);
    psk->name = g_strdup(name);
    psk->kind = kind;
    g_autoptr(GHashTable) keys = group_keys(keyfile, group, error);
    Target t = { .psk = psk };
    gboolean ok = keys != NULL && apply_keys(group_of[kind], keys, &t, error);
    if (ok && psk->secret == NULL) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_MISSING, "key 'secret' is required");
        ok = FALSE;
    }
    if (ok && kind == CYGNETD_SECRET_PIN && psk->target == NULL) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_MISSING, "key 'target' is required");
        ok = FALSE;
    }
    if (!ok) {
        g_prefix_error(error, "%s: [%s] ", path, group);
        return NULL;
    }
    if (psk->ids == NULL) {
        psk->ids = g_new0(char *, 2);
        psk->ids[0] = g_strdup("%any");
    }
    return g_steal_pointer(&psk);
}

GPtrArray *
cygnetd_secrets_load(const char *path, GError **error)
{
    g_autoptr(GPtrArray) psks = g_ptr_array_new_with_free_func((GDestroyNotify)cygnetd_psk_free);
    if (path == NULL)
        return g_steal_pointer(&psks);

    g_autoptr(GKeyFile) keyfile = keyfile_load(path, TRUE, error);
    if (keyfile == NULL)
        return NULL;
    g_auto(GStrv) groups = g_key_file_get_groups(keyfile, NULL);
    for (guint i = 0; groups[i] != NULL; i++) {
        CygnetdSecretKind kind = CYGNETD_SECRET_PSK;
        const char *name = group_name_after(groups[i], "psk");
        if (name == NULL && (name = group_name_after(groups[i], "eap")) != NULL)
            kind = CYGNETD_SECRET_EAP;
        if (name == NULL && (name = group_name_after(groups[i], "pin")) != NULL)
            kind = CYGNETD_SECRET_PIN;
        if (name == NULL) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "%s: unknown group [%s] (psk NAME, eap NAME or pin NAME)", path,
                        groups[i]);
            return NULL;
        }
        if (!check_group_name(path, groups[i], name, error))
            return NULL;
        CygnetdPsk *psk = load_psk(path, keyfile, groups[i], name, kind, error);
        if (psk == NULL)
            return NULL;
        g_ptr_array_add(psks, psk);
    }
    return g_steal_pointer(&psks);
}
