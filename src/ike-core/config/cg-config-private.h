/* cg-config-private.h: address helpers shared by the config module's
 * traffic selectors and pools (and cygnetd's loader). Not engine API. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An inclusive address range as written in a config: "10.1.0.0/16",
 * "10.0.0.1-10.0.0.9" or one address "10.0.0.1". */
typedef struct {
    int family;     /* AF_INET or AF_INET6 */
    guint addr_len; /* 4 or 16 */
    guint8 start[16];
    guint8 end[16];
    gint prefix_len; /* written as CIDR or a single address: its length; -1 for "a-b" */
} CgAddrRange;

/* A numeric address literal (no scope, no hostname); bytes in network order. */
gboolean cg_addr_parse(const char *text, int *family, guint8 out[16]);
char *cg_addr_to_string(int family, const guint8 *bytes);
/* Rejects a CIDR with host bits set, mixed families and reversed ranges. */
gboolean cg_addr_range_parse(const char *text, CgAddrRange *out, GError **error);
/* The prefix length when [start, end] is exactly one CIDR block, else -1. */
gint cg_addr_range_prefix_len(guint addr_len, const guint8 *start, const guint8 *end);
/* Big-endian arithmetic on addresses. */
void cg_addr_add(guint addr_len, const guint8 *base, guint64 offset, guint8 *out);
/* b - a, saturated at G_MAXUINT64; FALSE when b < a. */
gboolean cg_addr_diff(guint addr_len, const guint8 *a, const guint8 *b, guint64 *out);

/* Names of connections, children and pools: 1..64 of [A-Za-z0-9_.:@+-]. */
gboolean cg_config_name_valid(const char *name);

G_END_DECLS
