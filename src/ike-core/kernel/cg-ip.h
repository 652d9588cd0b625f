/* cg-ip.h: what the user-space data plane needs to know about the inner
 * IP packets it carries: the selector fields (RFC 4301 4.4.1.1), checksums,
 * ICMP "too big" replies, and traffic selectors turned into prefixes. */
#pragma once

#include <glib.h>

#include "codec/cg-codec.h"

G_BEGIN_DECLS

/* The fields a traffic selector looks at. Ports are 0 for protocols
 * without them; for ICMP the type and code stand in for the ports
 * (RFC 4301 4.4.1.1: type in the high byte of the "source port"). */
typedef struct {
    guint8 version; /* 4 or 6 */
    guint8 protocol;
    guint16 src_port, dst_port;
    guint8 src[16], dst[16]; /* 4 or 16 bytes used */
    gsize header_len;        /* IPv4 IHL, or 40 for IPv6 (extension headers are payload) */
    gsize total_len;         /* from the header */
    gboolean dont_fragment;  /* IPv4 DF; always TRUE for IPv6 (no router fragmentation) */
    gboolean is_fragment;    /* not the first fragment: no ports to look at */
} CgIpInfo;

/* Parses the outer header of an inner packet; FALSE (and why in *reason)
 * when len is too short or the header is inconsistent. */
gboolean cg_ip_parse(const guint8 *pkt, gsize len, CgIpInfo *out, const char **reason);

/* Does the packet match ts_src -> ts_dst (local/remote as the caller
 * decides)? Family, address ranges, protocol and port ranges. */
gboolean cg_ts_match(const CgTrafficSelector *ts, guint8 version, const guint8 *addr,
                     guint8 protocol, guint16 port);

/* RFC 1071 Internet checksum helpers. */
guint32 cg_csum_add(guint32 sum, const guint8 *data, gsize len);
guint16 cg_csum_fold(guint32 sum);

/* Builds in out (at least 1280 + 8 bytes) an ICMPv4 "fragmentation
 * needed" (RFC 792/1191) or ICMPv6 "packet too big" (RFC 4443 3.2) reply
 * to pkt, sent from `from` (4 or 16 bytes of the same family) to pkt's
 * source. Returns its length, 0 when no reply must be sent (ICMP errors
 * are not answered with ICMP errors, RFC 1122 3.2.2 / RFC 4443 2.4). */
gsize cg_icmp_too_big(const guint8 *pkt, gsize len, const CgIpInfo *info, guint32 mtu,
                      const guint8 *from, guint8 *out, gsize out_cap);

/* A traffic selector's address range as the fewest prefixes covering it
 * exactly. Appends CgIpPrefix to out; returns how many. */
typedef struct {
    int family; /* AF_INET / AF_INET6 */
    guint8 addr[16];
    guint8 prefix_len;
} CgIpPrefix;
guint cg_ts_to_prefixes(const CgTrafficSelector *ts, GArray *out);

G_END_DECLS
