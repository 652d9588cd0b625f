/* cg-cp-reply.h: decoding and checking the attributes of a gateway's
 * CP(CFG_REPLY) (RFC 7296 3.15.1): a pure function from payload bytes to
 * the values an initiator may install, with one reason for each attribute
 * it refused. No I/O and no SA state, so it is unit-tested alone. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
    GPtrArray *vips;         /* GInetAddress*: virtual IPs to install */
    GArray *vip_prefix_lens; /* guint8 per vip: 32, or INTERNAL_IP6_ADDRESS's prefix length */
    GPtrArray *dns;          /* GInetAddress* */
    GPtrArray *subnets;      /* char*: "address/prefix-length", host bits cleared */
    GPtrArray *dns_domains;  /* char* */
    GPtrArray *rejected;     /* char*: why each refused attribute was refused */
} CgCpReply;

/* Parses the body of a CP payload. Fails (GError, CG_CODEC_ERROR) only
 * when the payload itself is malformed or is not a CFG_REPLY; an
 * attribute with a bad value is left out of the result and its reason
 * added to `rejected`. Attributes of other types are ignored. */
CgCpReply *cg_cp_reply_parse(const guint8 *body, gsize len, GError **error);
void cg_cp_reply_free(CgCpReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgCpReply, cg_cp_reply_free)

G_END_DECLS
