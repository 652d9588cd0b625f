/* cg-ts-narrow.c: traffic selector arithmetic (RFC 7296 2.9). Addresses
 * are big-endian byte strings, so memcmp orders them. */
#include "sa/cg-sa-private.h"

#include <string.h>

static gsize
addr_len(const CgTrafficSelector *ts)
{
    return ts->ts_type == CG_TS_IPV6_ADDR_RANGE ? 16 : 4;
}

CgTrafficSelector
cg_ts_any(int family)
{
    CgTrafficSelector ts;
    memset(&ts, 0, sizeof(ts));
    ts.ts_type = family == AF_INET6 ? CG_TS_IPV6_ADDR_RANGE : CG_TS_IPV4_ADDR_RANGE;
    ts.start_port = 0;
    ts.end_port = 65535;
    memset(ts.end_addr, 0xff, addr_len(&ts));
    return ts;
}

CgTrafficSelector
cg_ts_from_host(GInetAddress *addr)
{
    gboolean v6 = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6;
    CgTrafficSelector ts = cg_ts_any(v6 ? AF_INET6 : AF_INET);
    memcpy(ts.start_addr, g_inet_address_to_bytes(addr), v6 ? 16 : 4);
    memcpy(ts.end_addr, ts.start_addr, v6 ? 16 : 4);
    return ts;
}

GArray *
cg_ts_resolve(GArray *config_ts, GInetAddress *dynamic_addr)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(CgTrafficSelector));
    for (guint i = 0; config_ts && i < config_ts->len; i++) {
        const CgTsConfig *c = &g_array_index(config_ts, CgTsConfig, i);
        CgTrafficSelector ts = c->ts;
        if (c->dynamic) {
            if (!dynamic_addr)
                continue;
            ts = cg_ts_from_host(dynamic_addr);
            ts.ip_protocol = c->ts.ip_protocol;
            if (c->ts.ip_protocol || c->ts.start_port || c->ts.end_port) {
                ts.start_port = c->ts.start_port;
                ts.end_port = c->ts.end_port ? c->ts.end_port : 65535;
            }
        }
        g_array_append_val(out, ts);
    }
    return out;
}

static gboolean
intersect(const CgTrafficSelector *a, const CgTrafficSelector *b, CgTrafficSelector *out)
{
    if (a->ts_type != b->ts_type)
        return FALSE;
    gsize n = addr_len(a);
    memset(out, 0, sizeof(*out));
    out->ts_type = a->ts_type;
    if (a->ip_protocol == 0)
        out->ip_protocol = b->ip_protocol;
    else if (b->ip_protocol == 0 || b->ip_protocol == a->ip_protocol)
        out->ip_protocol = a->ip_protocol;
    else
        return FALSE;
    out->start_port = MAX(a->start_port, b->start_port);
    out->end_port = MIN(a->end_port, b->end_port);
    if (out->start_port > out->end_port)
        return FALSE;
    const guint8 *start
        = memcmp(a->start_addr, b->start_addr, n) > 0 ? a->start_addr : b->start_addr;
    const guint8 *end = memcmp(a->end_addr, b->end_addr, n) < 0 ? a->end_addr : b->end_addr;
    if (memcmp(start, end, n) > 0)
        return FALSE;
    memcpy(out->start_addr, start, n);
    memcpy(out->end_addr, end, n);
    return TRUE;
}

static void
append_unique(GArray *arr, const CgTrafficSelector *ts)
{
    for (guint i = 0; i < arr->len; i++)
        if (memcmp(&g_array_index(arr, CgTrafficSelector, i), ts, sizeof(*ts)) == 0)
            return;
    g_array_append_val(arr, *ts);
}

GArray *
cg_ts_narrow(const CgTsPayload *proposed, GArray *ours)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(CgTrafficSelector));
    for (guint i = 0; i < proposed->n_ts; i++) {
        for (guint j = 0; j < ours->len; j++) {
            CgTrafficSelector r;
            if (intersect(&proposed->ts[i], &g_array_index(ours, CgTrafficSelector, j), &r))
                append_unique(out, &r);
        }
    }
    return out;
}

gboolean
cg_ts_contains(const CgTrafficSelector *outer, const CgTrafficSelector *inner)
{
    if (outer->ts_type != inner->ts_type)
        return FALSE;
    gsize n = addr_len(outer);
    if (outer->ip_protocol && outer->ip_protocol != inner->ip_protocol)
        return FALSE;
    return inner->start_port >= outer->start_port && inner->end_port <= outer->end_port
           && memcmp(inner->start_addr, outer->start_addr, n) >= 0
           && memcmp(inner->end_addr, outer->end_addr, n) <= 0;
}

void
cg_ts_payload_from_array(CgTsPayload *out, GArray *ts)
{
    memset(out, 0, sizeof(*out));
    for (guint i = 0; ts && i < ts->len && out->n_ts < CG_MAX_TS; i++)
        out->ts[out->n_ts++] = g_array_index(ts, CgTrafficSelector, i);
}

GArray *
cg_ts_array_from_payload(const CgTsPayload *p)
{
    GArray *out = g_array_sized_new(FALSE, TRUE, sizeof(CgTrafficSelector), p->n_ts);
    for (guint i = 0; i < p->n_ts; i++)
        g_array_append_val(out, p->ts[i]);
    return out;
}

char *
cg_ts_array_to_string(GArray *ts)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; ts && i < ts->len; i++) {
        g_autofree char *one = cg_ts_to_string(&g_array_index(ts, CgTrafficSelector, i));
        if (i)
            g_string_append(s, " ");
        g_string_append(s, one);
    }
    return g_string_free(s, FALSE);
}
