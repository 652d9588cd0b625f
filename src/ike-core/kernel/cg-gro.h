/* cg-gro.h: receive coalescing for the TUN device (what GRO does in a
 * NIC driver). Consecutive TCP segments of one flow, decrypted from one
 * batch of ESP packets, are joined into one super-packet written with a
 * virtio-net header (gso_type TCPV4/TCPV6), so the kernel runs its TCP
 * receive path once per batch instead of once per segment. Everything
 * else is written as it is, in arrival order. */
#pragma once

#include <glib.h>
#include <sys/uio.h>

G_BEGIN_DECLS

/* Writes one packet (its virtio header first) gathered from n_iov pieces
 * to the device; returns FALSE on an error. */
typedef gboolean (*CgGroWriteFunc)(gpointer user_data, const struct iovec *iov, int n_iov);

typedef struct CgGro CgGro;

/* vnet_hdr: the device takes virtio headers (else nothing is merged and
 * packets go out bare). */
CgGro *cg_gro_new(gboolean vnet_hdr, CgGroWriteFunc write, gpointer user_data);
void cg_gro_free(CgGro *g);

/* Offers an inner IP packet of len bytes (total_len from its header). The
 * CG_VNET_HDR_LEN bytes before pkt must be writable, and pkt must stay
 * valid until the next cg_gro_flush (joined packets are written straight
 * from where they are). */
void cg_gro_add(CgGro *g, guint8 *pkt, gsize len);
/* Writes out whatever is held back. Call at the end of every batch. */
void cg_gro_flush(CgGro *g);

/* Counters: packets offered, super-packets written, segments merged. */
void cg_gro_stats(const CgGro *g, guint64 *offered, guint64 *super_packets, guint64 *merged);

G_END_DECLS
