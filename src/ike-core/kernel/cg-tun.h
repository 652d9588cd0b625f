/* cg-tun.h: the TUN device of the user-space data plane, and the
 * virtio-net header that comes with each packet once offloads are on.
 *
 * With IFF_VNET_HDR and TUNSETOFFLOAD the kernel hands over TCP (and UDP)
 * super-packets of up to 64 KiB with a header saying how to cut them
 * (TSO/USO) and where a checksum still has to be filled in; one read then
 * carries what would be dozens of packets. cg_gso_segment does the
 * cutting. */
#pragma once

#include <glib.h>
#include <net/if.h>

G_BEGIN_DECLS

#define CG_VNET_HDR_LEN 10 /* struct virtio_net_hdr */

typedef struct {
    int fd;
    int ifindex;
    char name[IFNAMSIZ];
    gboolean vnet_hdr; /* reads/writes carry CG_VNET_HDR_LEN bytes in front */
    gboolean uso;      /* UDP segmentation offload accepted too */
} CgTun;

/* Creates the device (name may contain %d) with offloads where the kernel
 * has them, non-blocking. */
gboolean cg_tun_open(CgTun *tun, const char *name, GError **error);
void cg_tun_close(CgTun *tun);
gboolean cg_tun_set_mtu(CgTun *tun, guint mtu, GError **error);
gboolean cg_tun_set_up(CgTun *tun, GError **error);

/* ---- the virtio-net header ---------------------------------------------- */

#define CG_VNET_F_NEEDS_CSUM 1
#define CG_VNET_F_DATA_VALID 2
#define CG_VNET_GSO_NONE     0
#define CG_VNET_GSO_TCPV4    1
#define CG_VNET_GSO_UDP      3 /* UFO: IP fragmentation; never enabled here */
#define CG_VNET_GSO_TCPV6    4
#define CG_VNET_GSO_UDP_L4   5
#define CG_VNET_GSO_ECN      0x80

typedef struct {
    guint8 flags;
    guint8 gso_type;
    guint16 hdr_len;
    guint16 gso_size;
    guint16 csum_start;
    guint16 csum_offset;
} CgVnetHdr;

/* Native byte order (legacy virtio without TUNSETVNETLE). */
void cg_vnet_hdr_read(const guint8 *p, CgVnetHdr *out);
void cg_vnet_hdr_write(guint8 *p, const CgVnetHdr *h);

/* Completes a checksum the kernel left to us (NEEDS_CSUM) in a packet
 * that is not cut. FALSE if the offsets point outside the packet. */
gboolean cg_gso_finish_csum(const CgVnetHdr *h, guint8 *pkt, gsize len);

/* Cuts a TSO/USO super-packet into packets of at most gso_size payload
 * bytes, each a complete IP packet with its own lengths, IDs, sequence
 * numbers, flags and checksums, written to outs[i] (out_cap bytes each).
 * Returns how many were written (out_lens[i] their lengths), 0 if the
 * packet is malformed or would need more than n_outs pieces; *reason then
 * says why. */
guint cg_gso_segment(const CgVnetHdr *h, const guint8 *pkt, gsize len, guint8 *const *outs,
                     guint n_outs, gsize out_cap, gsize *out_lens, const char **reason);

G_END_DECLS
