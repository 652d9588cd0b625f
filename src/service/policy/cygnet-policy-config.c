/* cygnet-policy-config.c: reads the policy file; every rejection names
 * the file, the line and what was wrong with it. */
#include "cygnet-policy-config.h"

#include <string.h>

G_DEFINE_QUARK(cygnet - policy - config - error - quark, policy_config_error)

/* IEEE 802.11: an SSID is 0..32 octets */
#define SSID_MAX_LEN 32

typedef enum {
    SECTION_NONE,
    SECTION_POLICY,
    SECTION_TRUSTED,
} Section;

static const struct {
    const char *alias;
    const char *nm_type;
} nm_types[] = {
    { "ethernet", "802-3-ethernet" },
    { "wired", "802-3-ethernet" },
    { "wifi", "802-11-wireless" },
    { "wireless", "802-11-wireless" },
    { "wifi-p2p", "wifi-p2p" },
    { "gsm", "gsm" },
    { "cdma", "cdma" },
    { "bluetooth", "bluetooth" },
    { "bond", "bond" },
    { "bridge", "bridge" },
    { "team", "team" },
    { "vlan", "vlan" },
    { "infiniband", "infiniband" },
    { "pppoe", "pppoe" },
    { "adsl", "adsl" },
    { "wpan", "wpan" },
    { "olpc-mesh", "802-11-olpc-mesh" },
    { "macsec", "macsec" },
    { "macvlan", "macvlan" },
    { "vxlan", "vxlan" },
    { "ip-tunnel", "ip-tunnel" },
    { "veth", "veth" },
    { "dummy", "dummy" },
    { "generic", "generic" },
    { "tun", "tun" },
    { "loopback", "loopback" },
};

const char *
policy_nm_type(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(nm_types); i++) {
        if (g_ascii_strcasecmp(name, nm_types[i].alias) == 0
            || g_ascii_strcasecmp(name, nm_types[i].nm_type) == 0)
            return nm_types[i].nm_type;
    }
    return NULL;
}

const char *
policy_match_kind_name(PolicyMatchKind kind)
{
    switch (kind) {
        case POLICY_MATCH_CONNECTION:
            return "connection";
        case POLICY_MATCH_SSID:
            return "ssid";
        case POLICY_MATCH_BSSID:
            return "bssid";
        case POLICY_MATCH_TYPE:
            return "type";
    }
    return "?";
}

static void
match_free(gpointer p)
{
    PolicyMatch *m = p;
    g_free(m->value);
    g_free(m);
}

void
policy_config_free(PolicyConfig *c)
{
    if (!c)
        return;
    g_free(c->path);
    g_free(c->vpn);
    g_clear_pointer(&c->trusted, g_ptr_array_unref);
    g_free(c);
}

static gboolean G_GNUC_PRINTF(4, 5)
    fail(GError **error, const char *path, guint line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line)
        g_set_error(error, POLICY_CONFIG_ERROR, POLICY_CONFIG_ERROR_SYNTAX, "%s:%u: %s", path, line,
                    text);
    else
        g_set_error(error, POLICY_CONFIG_ERROR, POLICY_CONFIG_ERROR_SYNTAX, "%s: %s", path, text);
    return FALSE;
}

/* A value: the rest of the line, or a double-quoted string. */
static char *
parse_value(const char *s, const char *path, guint line, GError **error)
{
    if (*s != '"')
        return g_strdup(s);
    GString *out = g_string_new(NULL);
    const char *p = s + 1;
    for (;;) {
        if (!*p) {
            fail(error, path, line, "the quoted value has no closing '\"'");
            g_string_free(out, TRUE);
            return NULL;
        }
        if (*p == '"')
            break;
        if (*p == '\\') {
            if (p[1] != '"' && p[1] != '\\') {
                fail(error, path, line,
                     "unknown escape '\\%c' in a quoted value (only \\\" and \\\\)",
                     p[1] ? p[1] : ' ');
                g_string_free(out, TRUE);
                return NULL;
            }
            p++;
        }
        g_string_append_c(out, *p);
        p++;
    }
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p) {
        fail(error, path, line, "text after the closing quote: '%s'", p);
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

static gboolean
parse_bool(const char *value, gboolean *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(value, yes[i]) == 0) {
            *out = TRUE;
            return TRUE;
        }
        if (g_ascii_strcasecmp(value, no[i]) == 0) {
            *out = FALSE;
            return TRUE;
        }
    }
    return FALSE;
}

/* "00:11:22:aa:bb:cc" (or with '-') -> "00:11:22:AA:BB:CC" */
static char *
normalize_bssid(const char *value)
{
    if (strlen(value) != 17)
        return NULL;
    GString *out = g_string_sized_new(17);
    for (guint i = 0; i < 17; i++) {
        char c = value[i];
        if (i % 3 == 2) {
            if (c != ':' && c != '-') {
                g_string_free(out, TRUE);
                return NULL;
            }
            g_string_append_c(out, ':');
        } else {
            if (!g_ascii_isxdigit(c)) {
                g_string_free(out, TRUE);
                return NULL;
            }
            g_string_append_c(out, g_ascii_toupper(c));
        }
    }
    return g_string_free(out, FALSE);
}

static gboolean
add_trusted(PolicyConfig *c, const char *key, const char *value, guint line, GError **error)
{
    PolicyMatchKind kind;
    g_autofree char *stored = NULL;
    if (strcmp(key, "connection") == 0) {
        kind = POLICY_MATCH_CONNECTION;
        stored = g_strdup(value);
    } else if (strcmp(key, "ssid") == 0) {
        if (strlen(value) > SSID_MAX_LEN)
            return fail(error, c->path, line, "ssid '%s' is %zu bytes long (at most %u)", value,
                        strlen(value), SSID_MAX_LEN);
        kind = POLICY_MATCH_SSID;
        stored = g_strdup(value);
    } else if (strcmp(key, "bssid") == 0) {
        stored = normalize_bssid(value);
        if (!stored)
            return fail(error, c->path, line,
                        "bssid '%s' is not six hexadecimal octets like 00:11:22:33:44:55", value);
        kind = POLICY_MATCH_BSSID;
    } else if (strcmp(key, "type") == 0) {
        const char *t = policy_nm_type(value);
        if (!t)
            return fail(error, c->path, line,
                        "unknown connection type '%s' (ethernet, wifi, gsm, cdma, bluetooth, "
                        "bond, bridge, vlan, ... or NetworkManager's own type names)",
                        value);
        kind = POLICY_MATCH_TYPE;
        stored = g_strdup(t);
    } else {
        return fail(error, c->path, line,
                    "unknown key '%s' in [trusted] (connection, ssid, bssid, type)", key);
    }
    if (c->trusted->len >= POLICY_MAX_MATCHES)
        return fail(error, c->path, line, "more than %u trusted networks", POLICY_MAX_MATCHES);
    PolicyMatch *m = g_new0(PolicyMatch, 1);
    m->kind = kind;
    m->value = g_steal_pointer(&stored);
    m->line = line;
    g_ptr_array_add(c->trusted, m);
    return TRUE;
}

static gboolean
set_policy_key(PolicyConfig *c, const char *key, const char *value, guint line, guint *vpn_line,
               GError **error)
{
    if (strcmp(key, "vpn") == 0) {
        if (c->vpn)
            return fail(error, c->path, line, "'vpn' given twice (first on line %u)", *vpn_line);
        c->vpn = g_strdup(value);
        *vpn_line = line;
        return TRUE;
    }
    if (strcmp(key, "down-on-trusted") == 0) {
        if (!parse_bool(value, &c->down_on_trusted))
            return fail(error, c->path, line,
                        "down-on-trusted: '%s' is not a boolean (yes, no, true, false, on, off, "
                        "1, 0)",
                        value);
        return TRUE;
    }
    return fail(error, c->path, line, "unknown key '%s' in [policy] (vpn, down-on-trusted)", key);
}

static gboolean
parse_line(PolicyConfig *c, char *line_text, guint line, Section *section, guint *vpn_line,
           GError **error)
{
    char *s = g_strstrip(line_text);
    if (!*s || *s == '#' || *s == ';')
        return TRUE;
    if (*s == '[') {
        char *end = strchr(s, ']');
        if (!end || end[1])
            return fail(error, c->path, line, "a section header must look like [name]");
        *end = '\0';
        char *name = g_strstrip(s + 1);
        if (strcmp(name, "policy") == 0)
            *section = SECTION_POLICY;
        else if (strcmp(name, "trusted") == 0)
            *section = SECTION_TRUSTED;
        else
            return fail(error, c->path, line, "unknown section [%s] (policy, trusted)", name);
        return TRUE;
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return fail(error, c->path, line, "expected 'key = value', got '%s'", s);
    *eq = '\0';
    char *key = g_strstrip(s);
    if (!*key)
        return fail(error, c->path, line, "a key is missing before '='");
    g_autofree char *value = parse_value(g_strchug(eq + 1), c->path, line, error);
    if (!value)
        return FALSE;
    if (!*value)
        return fail(error, c->path, line, "'%s' has an empty value", key);
    switch (*section) {
        case SECTION_NONE:
            return fail(error, c->path, line, "'%s' before any section ([policy] or [trusted])",
                        key);
        case SECTION_POLICY:
            return set_policy_key(c, key, value, line, vpn_line, error);
        case SECTION_TRUSTED:
            return add_trusted(c, key, value, line, error);
    }
    return TRUE;
}

PolicyConfig *
policy_config_parse(const char *path, const char *text, gsize len, GError **error)
{
    g_autoptr(PolicyConfig) c = g_new0(PolicyConfig, 1);
    c->path = g_strdup(path);
    c->down_on_trusted = TRUE;
    c->trusted = g_ptr_array_new_with_free_func(match_free);
    Section section = SECTION_NONE;
    guint vpn_line = 0, line = 0;
    gsize pos = 0;
    while (pos < len) {
        line++;
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        gsize line_len = nl ? (gsize)(nl - start) : len - pos;
        pos += line_len + (nl ? 1 : 0);
        if (line_len > POLICY_MAX_LINE) {
            fail(error, path, line, "line of %zu bytes (at most %u)", line_len, POLICY_MAX_LINE);
            return NULL;
        }
        if (memchr(start, '\0', line_len)) {
            fail(error, path, line, "a NUL byte in the line");
            return NULL;
        }
        if (!g_utf8_validate_len(start, line_len, NULL)) {
            fail(error, path, line, "not UTF-8 text");
            return NULL;
        }
        g_autofree char *copy = g_strndup(start, line_len);
        if (!parse_line(c, copy, line, &section, &vpn_line, error))
            return NULL;
    }
    if (!c->vpn) {
        fail(error, path, 0, "no 'vpn = NAME' in [policy]: which VPN guards untrusted networks?");
        return NULL;
    }
    return g_steal_pointer(&c);
}

/* A policy file is small: a bigger one is a mistake, not a policy. */
#define POLICY_MAX_FILE (1024 * 1024)

PolicyConfig *
policy_config_load(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) read_error = NULL;
    if (!g_file_get_contents(path, &text, &len, &read_error)) {
        g_set_error(error, POLICY_CONFIG_ERROR, POLICY_CONFIG_ERROR_READ, "%s",
                    read_error->message);
        return NULL;
    }
    if (len > POLICY_MAX_FILE) {
        g_set_error(error, POLICY_CONFIG_ERROR, POLICY_CONFIG_ERROR_READ,
                    "%s: %zu bytes (at most %u)", path, len, POLICY_MAX_FILE);
        return NULL;
    }
    return policy_config_parse(path, text, len, error);
}
