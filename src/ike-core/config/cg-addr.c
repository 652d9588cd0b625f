/* cg-addr.c: address literals, CIDR blocks and ranges in config text. */
#include "config/cg-config-private.h"
#include "config/cg-config.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

gboolean
cg_addr_parse(const char *text, int *family, guint8 out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1) {
        *family = AF_INET;
        return TRUE;
    }
    if (inet_pton(AF_INET6, text, out) == 1) {
        *family = AF_INET6;
        return TRUE;
    }
    return FALSE;
}

char *
cg_addr_to_string(int family, const guint8 *bytes)
{
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(family, bytes, buf, sizeof buf) == NULL)
        return g_strdup("?");
    return g_strdup(buf);
}

static gboolean
bit_is_set(const guint8 *bytes, guint bit)
{
    return (bytes[bit / 8] >> (7 - bit % 8)) & 1;
}

gint
cg_addr_range_prefix_len(guint addr_len, const guint8 *start, const guint8 *end)
{
    guint bits = addr_len * 8;
    guint common = 0;
    while (common < bits && bit_is_set(start, common) == bit_is_set(end, common))
        common++;
    /* below the common prefix, start must be all zeros and end all ones */
    for (guint bit = common; bit < bits; bit++) {
        if (bit_is_set(start, bit) || !bit_is_set(end, bit))
            return -1;
    }
    return (gint)common;
}

static void
apply_mask(guint addr_len, const guint8 *addr, guint prefix_len, gboolean host_ones, guint8 *out)
{
    for (guint i = 0; i < addr_len; i++) {
        guint byte_start_bit = i * 8;
        guint8 mask; /* network bits of this byte */
        if (prefix_len >= byte_start_bit + 8)
            mask = 0xff;
        else if (prefix_len <= byte_start_bit)
            mask = 0x00;
        else
            mask = (guint8)(0xff << (8 - (prefix_len - byte_start_bit)));
        out[i] = host_ones ? (addr[i] | (guint8)~mask) : (addr[i] & mask);
    }
}

static gboolean
parse_cidr(const char *text, const char *slash, CgAddrRange *out, GError **error)
{
    g_autofree char *addr_text = g_strndup(text, (gsize)(slash - text));
    guint8 addr[16];
    if (!cg_addr_parse(addr_text, &out->family, addr)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "invalid address '%s' in '%s'",
                    addr_text, text);
        return FALSE;
    }
    out->addr_len = out->family == AF_INET ? 4 : 16;
    guint max_prefix = out->addr_len * 8;
    guint64 prefix_len;
    if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, max_prefix, &prefix_len, NULL)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "invalid prefix length '%s' in '%s' (0..%u)", slash + 1, text, max_prefix);
        return FALSE;
    }
    apply_mask(out->addr_len, addr, (guint)prefix_len, FALSE, out->start);
    if (memcmp(out->start, addr, out->addr_len) != 0) {
        g_autofree char *network = cg_addr_to_string(out->family, out->start);
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "'%s' has host bits set (the network is %s/%u)", text, network,
                    (guint)prefix_len);
        return FALSE;
    }
    apply_mask(out->addr_len, addr, (guint)prefix_len, TRUE, out->end);
    out->prefix_len = (gint)prefix_len;
    return TRUE;
}

static gboolean
parse_range(const char *text, const char *dash, CgAddrRange *out, GError **error)
{
    g_autofree char *first = g_strstrip(g_strndup(text, (gsize)(dash - text)));
    g_autofree char *last = g_strstrip(g_strdup(dash + 1));
    int first_family, last_family;
    if (!cg_addr_parse(first, &first_family, out->start)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "invalid address '%s' in range '%s'", first, text);
        return FALSE;
    }
    if (!cg_addr_parse(last, &last_family, out->end)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "invalid address '%s' in range '%s'", last, text);
        return FALSE;
    }
    if (first_family != last_family) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "range '%s' mixes IPv4 and IPv6", text);
        return FALSE;
    }
    out->family = first_family;
    out->addr_len = first_family == AF_INET ? 4 : 16;
    if (memcmp(out->start, out->end, out->addr_len) > 0) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "range '%s' ends before it starts", text);
        return FALSE;
    }
    out->prefix_len = -1;
    return TRUE;
}

gboolean
cg_addr_range_parse(const char *text, CgAddrRange *out, GError **error)
{
    memset(out, 0, sizeof *out);
    if (text == NULL || *text == '\0') {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "empty address");
        return FALSE;
    }
    const char *slash = strchr(text, '/');
    if (slash != NULL)
        return parse_cidr(text, slash, out, error);
    /* IPv6 literals never contain '-', so a dash always separates a range */
    const char *dash = strchr(text, '-');
    if (dash != NULL)
        return parse_range(text, dash, out, error);

    if (!cg_addr_parse(text, &out->family, out->start)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "invalid address '%s'", text);
        return FALSE;
    }
    out->addr_len = out->family == AF_INET ? 4 : 16;
    memcpy(out->end, out->start, out->addr_len);
    out->prefix_len = (gint)out->addr_len * 8;
    return TRUE;
}

void
cg_addr_add(guint addr_len, const guint8 *base, guint64 offset, guint8 *out)
{
    guint carry = 0;
    for (guint i = addr_len; i-- > 0;) {
        guint sum = base[i] + (guint)(offset & 0xff) + carry;
        out[i] = (guint8)sum;
        carry = sum >> 8;
        offset >>= 8;
    }
}

gboolean
cg_addr_diff(guint addr_len, const guint8 *a, const guint8 *b, guint64 *out)
{
    if (memcmp(a, b, addr_len) > 0)
        return FALSE;
    guint8 diff[16];
    guint borrow = 0;
    for (guint i = addr_len; i-- > 0;) {
        gint d = (gint)b[i] - (gint)a[i] - (gint)borrow;
        borrow = d < 0;
        diff[i] = (guint8)(d + (borrow ? 256 : 0));
    }
    guint64 value = 0;
    for (guint i = 0; i < addr_len; i++) {
        if (value > (G_MAXUINT64 >> 8)) {
            *out = G_MAXUINT64;
            return TRUE;
        }
        value = (value << 8) | diff[i];
    }
    *out = value;
    return TRUE;
}

gboolean
cg_config_name_valid(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > 64)
        return FALSE;
    for (const char *p = name; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr("_.:@+-", *p) == NULL)
            return FALSE;
    }
    return TRUE;
}
