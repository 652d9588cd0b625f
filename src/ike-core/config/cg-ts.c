/* cg-ts.c: traffic selectors in config text (RFC 7296 3.13.1):
 * "10.1.0.0/16", "10.0.0.1-10.0.0.9", "dynamic", each optionally
 * restricted by "[proto]", "[proto/port]" or "[proto/first-last]". */
#include "config/cg-config-private.h"
#include "config/cg-config.h"

#include <string.h>
#include <sys/socket.h>

static const struct {
    const char *name;
    guint8 number;
} ip_protocols[] = {
    { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 }, { "sctp", 132 },
};

static gboolean
parse_protocol(const char *text, guint8 *out)
{
    for (guint i = 0; i < G_N_ELEMENTS(ip_protocols); i++) {
        if (g_ascii_strcasecmp(text, ip_protocols[i].name) == 0) {
            *out = ip_protocols[i].number;
            return TRUE;
        }
    }
    if (g_ascii_strcasecmp(text, "any") == 0) {
        *out = 0;
        return TRUE;
    }
    guint64 number;
    if (!g_ascii_string_to_unsigned(text, 10, 0, 255, &number, NULL))
        return FALSE;
    *out = (guint8)number;
    return TRUE;
}

static gboolean
parse_port(const char *text, guint16 *out)
{
    guint64 port;
    if (!g_ascii_string_to_unsigned(text, 10, 0, 65535, &port, NULL))
        return FALSE;
    *out = (guint16)port;
    return TRUE;
}

/* The inside of "[...]": "tcp", "tcp/80" or "tcp/1024-2047". */
static gboolean
parse_restriction(const char *text, const char *whole, CgTrafficSelector *ts, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(text, "/", 2);
    if (!parse_protocol(parts[0], &ts->ip_protocol)) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "unknown protocol '%s' in '%s' (tcp, udp, icmp, icmpv6, sctp or 0..255)",
                    parts[0], whole);
        return FALSE;
    }
    if (parts[1] == NULL)
        return TRUE;
    if (ts->ip_protocol == 0) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "ports in '%s' need a protocol (e.g. tcp or udp)", whole);
        return FALSE;
    }
    const char *dash = strchr(parts[1], '-');
    gboolean ok;
    if (dash != NULL) {
        g_autofree char *first = g_strndup(parts[1], (gsize)(dash - parts[1]));
        ok = parse_port(first, &ts->start_port) && parse_port(dash + 1, &ts->end_port);
    } else {
        ok = parse_port(parts[1], &ts->start_port);
        ts->end_port = ts->start_port;
    }
    if (!ok) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "invalid port '%s' in '%s' (0..65535 or first-last)", parts[1], whole);
        return FALSE;
    }
    if (ts->start_port > ts->end_port) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "port range %u-%u in '%s' ends before it starts", ts->start_port, ts->end_port,
                    whole);
        return FALSE;
    }
    return TRUE;
}

gboolean
cg_ts_parse(const char *text, CgTsConfig *out, GError **error)
{
    memset(out, 0, sizeof *out);
    out->ts.start_port = 0;
    out->ts.end_port = 65535;

    g_autofree char *trimmed = g_strstrip(g_strdup(text != NULL ? text : ""));
    if (*trimmed == '\0') {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "empty traffic selector");
        return FALSE;
    }
    char *bracket = strchr(trimmed, '[');
    if (bracket != NULL) {
        gsize len = strlen(bracket);
        if (bracket[len - 1] != ']' || len < 3) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "traffic selector '%s': expected '[proto]' or '[proto/port]' at the end",
                        trimmed);
            return FALSE;
        }
        g_autofree char *inside = g_strndup(bracket + 1, len - 2);
        if (!parse_restriction(inside, trimmed, &out->ts, error))
            return FALSE;
    }
    g_autofree char *range_text = bracket != NULL
                                      ? g_strstrip(g_strndup(trimmed, (gsize)(bracket - trimmed)))
                                      : g_strdup(trimmed);

    if (g_ascii_strcasecmp(range_text, "dynamic") == 0) {
        /* addresses are filled in when known; the family too */
        out->dynamic = TRUE;
        return TRUE;
    }
    CgAddrRange range;
    if (!cg_addr_range_parse(range_text, &range, error)) {
        g_prefix_error(error, "traffic selector: ");
        return FALSE;
    }
    out->ts.ts_type = range.family == AF_INET ? CG_TS_IPV4_ADDR_RANGE : CG_TS_IPV6_ADDR_RANGE;
    memcpy(out->ts.start_addr, range.start, range.addr_len);
    memcpy(out->ts.end_addr, range.end, range.addr_len);
    return TRUE;
}

GArray *
cg_ts_list_parse(const char *text, GError **error)
{
    g_autoptr(GArray) list = g_array_new(FALSE, TRUE, sizeof(CgTsConfig));
    g_auto(GStrv) items = g_strsplit(text != NULL ? text : "", ",", -1);
    for (guint i = 0; items[i] != NULL; i++) {
        CgTsConfig ts;
        if (!cg_ts_parse(items[i], &ts, error))
            return NULL;
        g_array_append_val(list, ts);
        if (list->len > CG_MAX_TS) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "too many traffic selectors (at most %d)", CG_MAX_TS);
            return NULL;
        }
    }
    if (list->len == 0) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "empty traffic selector");
        return NULL;
    }
    return g_steal_pointer(&list);
}

static void
append_restriction(GString *s, const CgTrafficSelector *ts)
{
    gboolean all_ports = ts->start_port == 0 && ts->end_port == 65535;
    if (ts->ip_protocol == 0 && all_ports)
        return;
    g_string_append_c(s, '[');
    const char *name = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(ip_protocols); i++) {
        if (ip_protocols[i].number == ts->ip_protocol)
            name = ip_protocols[i].name;
    }
    if (name != NULL)
        g_string_append(s, name);
    else
        g_string_append_printf(s, "%u", ts->ip_protocol);
    if (!all_ports) {
        if (ts->start_port == ts->end_port)
            g_string_append_printf(s, "/%u", ts->start_port);
        else
            g_string_append_printf(s, "/%u-%u", ts->start_port, ts->end_port);
    }
    g_string_append_c(s, ']');
}

char *
cg_ts_to_string(const CgTrafficSelector *ts)
{
    int family = ts->ts_type == CG_TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
    guint addr_len = family == AF_INET ? 4 : 16;
    GString *s = g_string_new(NULL);
    g_autofree char *start = cg_addr_to_string(family, ts->start_addr);
    gint prefix_len = cg_addr_range_prefix_len(addr_len, ts->start_addr, ts->end_addr);
    if (prefix_len >= 0) {
        g_string_append_printf(s, "%s/%d", start, prefix_len);
    } else {
        g_autofree char *end = cg_addr_to_string(family, ts->end_addr);
        g_string_append_printf(s, "%s-%s", start, end);
    }
    append_restriction(s, ts);
    return g_string_free(s, FALSE);
}

char *
cg_ts_config_to_string(const CgTsConfig *ts)
{
    if (!ts->dynamic)
        return cg_ts_to_string(&ts->ts);
    GString *s = g_string_new("dynamic");
    append_restriction(s, &ts->ts);
    return g_string_free(s, FALSE);
}
