/* cg-identity.c: IKE identities in config text and their wire form
 * (RFC 7296 3.5), plus the wildcard matching of remote-id patterns. */
#include "config/cg-config-private.h"
#include "config/cg-config.h"

#include <string.h>
#include <sys/socket.h>

/* An ID payload's data length field is 16 bits, but names this long are
 * certainly typos; DNS names stop at 253 characters anyway. */
#define IDENTITY_MAX_LEN 255

static gboolean
text_is_printable(const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        guchar c = (guchar)*p;
        if (c <= 0x20 || c == 0x7f)
            return FALSE;
    }
    return TRUE;
}

gboolean
cg_identity_parse(const char *text, CgIdentity *out, GError **error)
{
    memset(out, 0, sizeof *out);
    if (text == NULL || *text == '\0') {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "empty identity");
        return FALSE;
    }
    if (g_ascii_strcasecmp(text, "%any") == 0)
        return TRUE;

    int family;
    guint8 addr[16];
    if (cg_addr_parse(text, &family, addr)) {
        out->type = family == AF_INET ? CG_ID_IPV4_ADDR : CG_ID_IPV6_ADDR;
        out->data = g_bytes_new(addr, family == AF_INET ? 4 : 16);
        return TRUE;
    }

    /* "@name" forces an FQDN (the '@' is not sent); a '@' later is email */
    const char *name = text[0] == '@' ? text + 1 : text;
    if (*name == '\0') {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "identity '%s' has nothing after the '@'", text);
        return FALSE;
    }
    gsize len = strlen(name);
    if (len > IDENTITY_MAX_LEN) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "identity is too long (%" G_GSIZE_FORMAT " > %d characters)", len,
                    IDENTITY_MAX_LEN);
        return FALSE;
    }
    if (!text_is_printable(name)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "identity '%s' contains spaces or control characters", text);
        return FALSE;
    }
    gboolean is_email = name == text && strchr(name, '@') != NULL;
    out->type = is_email ? CG_ID_RFC822_ADDR : CG_ID_FQDN;
    out->data = g_bytes_new(name, len);
    return TRUE;
}

char *
cg_identity_to_string(const CgIdentity *id)
{
    gsize len = 0;
    const guint8 *data = id->data != NULL ? g_bytes_get_data(id->data, &len) : NULL;
    switch (id->type) {
        case 0:
            return g_strdup("%any");
        case CG_ID_IPV4_ADDR:
            if (len == 4)
                return cg_addr_to_string(AF_INET, data);
            break;
        case CG_ID_IPV6_ADDR:
            if (len == 16)
                return cg_addr_to_string(AF_INET6, data);
            break;
        case CG_ID_FQDN:
        case CG_ID_RFC822_ADDR: {
            /* peer-supplied bytes: make them safe to print */
            GString *s = g_string_sized_new(len);
            for (gsize i = 0; i < len; i++) {
                guchar c = data[i];
                if (c < 0x20 || c >= 0x7f)
                    g_string_append_printf(s, "\\x%02x", c);
                else
                    g_string_append_c(s, (char)c);
            }
            return g_string_free(s, FALSE);
        }
        default:
            break;
    }
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "type%u:", id->type);
    for (gsize i = 0; i < len; i++)
        g_string_append_printf(s, "%02x", data[i]);
    return g_string_free(s, FALSE);
}

/* "*.example.org" matches "vpn.example.org" and "a.b.example.org", but
 * not "example.org"; "*@example.org" matches "alice@example.org". The
 * suffix compares case-insensitively, as DNS names do. */
static gboolean
wildcard_matches(const guint8 *pattern, gsize pattern_len, const guint8 *data, gsize len)
{
    const guint8 *suffix = pattern + 1; /* after '*' */
    gsize suffix_len = pattern_len - 1;
    if (len <= suffix_len)
        return FALSE;
    return g_ascii_strncasecmp((const char *)data + (len - suffix_len), (const char *)suffix,
                               suffix_len)
               == 0
           && memchr(data, '\0', len) == NULL;
}

gboolean
cg_identity_matches(const CgIdentity *pattern, guint8 type, const guint8 *data, gsize len)
{
    if (pattern->type == 0)
        return TRUE;
    if (pattern->type != type || pattern->data == NULL)
        return FALSE;

    gsize pattern_len;
    const guint8 *pattern_data = g_bytes_get_data(pattern->data, &pattern_len);
    if (type == CG_ID_FQDN && pattern_len >= 2 && pattern_data[0] == '*' && pattern_data[1] == '.')
        return wildcard_matches(pattern_data, pattern_len, data, len);
    if (type == CG_ID_RFC822_ADDR && pattern_len >= 2 && pattern_data[0] == '*'
        && pattern_data[1] == '@')
        return wildcard_matches(pattern_data, pattern_len, data, len);

    if (pattern_len != len)
        return FALSE;
    if (type == CG_ID_FQDN)
        return len == 0
               || g_ascii_strncasecmp((const char *)pattern_data, (const char *)data, len) == 0;
    return len == 0 || memcmp(pattern_data, data, len) == 0;
}

void
cg_identity_clear(CgIdentity *id)
{
    g_clear_pointer(&id->data, g_bytes_unref);
    id->type = 0;
}
