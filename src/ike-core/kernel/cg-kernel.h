/* cg-kernel.h: the IPsec data-plane interface.
 *
 * The engine negotiates keys; a backend turns them into packet processing.
 * Backends: "log" (records what would be installed; for tests of the
 * engine alone), "xfrm" (Linux XFRM over netlink) and "uesp" (ESP in user
 * space over a TUN device). All calls happen on the engine's main context,
 * and so do the listener's callbacks; a backend's own threads never call
 * into the engine.
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "codec/cg-codec.h"
#include "net/cg-net.h"

G_BEGIN_DECLS

#define CG_KERNEL_ERROR (cg_kernel_error_quark())
GQuark cg_kernel_error_quark(void);

typedef enum {
    CG_KERNEL_ERROR_UNSUPPORTED, /* the kernel lacks what is needed (e.g. ESP) */
    CG_KERNEL_ERROR_FAILED,
} CgKernelError;

/* One direction of an ESP SA. Keys are borrowed for the call; a backend
 * that keeps them copies them and wipes its copy when the SA goes. */
typedef struct {
    guint32 spi; /* host byte order */
    gboolean inbound;
    GInetAddress *src; /* outer addresses of this direction */
    GInetAddress *dst;
    guint16 encap_src_port; /* UDP encapsulation (RFC 3948); 0 = plain ESP */
    guint16 encap_dst_port;
    guint8 mode; /* CG_MODE_TUNNEL / CG_MODE_TRANSPORT */
    guint16 encr_id;
    guint16 encr_key_bits;
    guint16 integ_id;
    const guint8 *encr_key; /* includes the salt for AEAD */
    gsize encr_key_len;
    const guint8 *integ_key;
    gsize integ_key_len;
    gboolean esn;
    guint32 replay_window;          /* packets; 0 = off (outbound) */
    guint32 reqid;                  /* ties the SA to its policies */
    guint64 soft_bytes, hard_bytes; /* 0 = none */
    guint64 soft_packets, hard_packets;
    guint32 soft_time_s, hard_time_s;
    /* traffic selectors of the CHILD_SA, from this SA's point of view:
     * for an outbound SA local = source side */
    guint n_local_ts, n_remote_ts;
    const CgTrafficSelector *local_ts;
    const CgTrafficSelector *remote_ts;
    const char *conn_name; /* for logs */
} CgKernelSa;

typedef struct {
    guint64 bytes;
    guint64 packets;
    gint64 last_use_us; /* monotonic, 0 = never */
} CgKernelSaStats;

/* Counters of a backend that processes packets itself (uesp); a backend
 * that leaves packets to the kernel (xfrm, log) reports zeros. Every
 * dropped packet is counted under exactly one reason. */
typedef struct {
    guint64 packets_in, bytes_in;   /* decrypted and delivered (inner bytes) */
    guint64 packets_out, bytes_out; /* encrypted and sent (inner bytes) */
    guint64 drop_replay;            /* replayed or left of the window (RFC 4303 3.4.3) */
    guint64 drop_auth;              /* ICV mismatch (RFC 4303 3.4.4) */
    guint64 drop_malformed;         /* truncated, bad lengths or padding, not IP inside */
    guint64 drop_unknown_spi;       /* no inbound SA for the SPI (RFC 4303 3.4.2) */
    guint64 drop_policy;            /* inner addresses outside the SA's selectors */
    guint64 drop_no_sa;             /* outbound packet matched no installed SA */
    guint64 drop_too_big;           /* larger than the SA's path allows (ICMP sent) */
    guint64 drop_expired;           /* SA past its hard lifetime or sequence space */
    guint64 drop_io;                /* TUN or socket errors */
} CgKernelStats;

static inline guint64
cg_kernel_stats_dropped(const CgKernelStats *s)
{
    return s->drop_replay + s->drop_auth + s->drop_malformed + s->drop_unknown_spi + s->drop_policy
           + s->drop_no_sa + s->drop_too_big + s->drop_expired + s->drop_io;
}

/* What the backend tells the engine. */
typedef struct {
    /* an SA reached its soft (rekey) or hard (delete) lifetime */
    void (*expire)(gpointer user_data, guint32 reqid, guint32 spi, gboolean inbound, gboolean hard);
    /* outbound traffic matched a policy without an SA (trap) */
    void (*acquire)(gpointer user_data, guint32 reqid, const CgTrafficSelector *src,
                    const CgTrafficSelector *dst);
    /* the backend's ESP receive path found an SA's packet counters changed
     * or dropped a packet (stats only) */
    gpointer user_data;
} CgKernelListener;

typedef struct CgKernel CgKernel;

typedef struct {
    const char *name;
    gboolean (*get_spi)(CgKernel *k, GInetAddress *src, GInetAddress *dst, guint32 reqid,
                        guint32 *spi_out, GError **error);
    gboolean (*add_sa)(CgKernel *k, const CgKernelSa *sa, GError **error);
    /* moves an SA to new outer addresses/ports (MOBIKE, NAT changes) */
    gboolean (*update_sa)(CgKernel *k, guint32 spi, gboolean inbound, GInetAddress *new_src,
                          GInetAddress *new_dst, guint16 encap_src_port, guint16 encap_dst_port,
                          GError **error);
    gboolean (*del_sa)(CgKernel *k, guint32 spi, gboolean inbound, GError **error);
    gboolean (*query_sa)(CgKernel *k, guint32 spi, gboolean inbound, CgKernelSaStats *out,
                         GError **error);
    /* policies for a CHILD_SA: in/out/fwd for every local x remote TS */
    gboolean (*add_policies)(CgKernel *k, guint32 reqid, const CgKernelSa *outbound_sa,
                             GError **error);
    gboolean (*del_policies)(CgKernel *k, guint32 reqid, GError **error);
    /* virtual IP on the tunnel interface, and routes for remote subnets */
    gboolean (*add_vip)(CgKernel *k, GInetAddress *addr, guint prefix, GError **error);
    gboolean (*del_vip)(CgKernel *k, GInetAddress *addr, guint prefix, GError **error);
    /* exempts an IKE socket from IPsec policies */
    gboolean (*bypass_socket)(CgKernel *k, int fd, int family, GError **error);
    /* receives ESP-in-UDP packets arriving on the IKE NAT-T socket
     * (non-ESP marker absent). Returns FALSE if the backend does not do
     * userspace ESP. With attach_net a backend may take these packets on
     * its own thread instead (uesp does). */
    gboolean (*deliver_esp)(CgKernel *k, const guint8 *pkt, gsize len, GInetSocketAddress *from,
                            GInetSocketAddress *to);
    /* Called once, right after the engine opened its sockets (and after
     * bypass_socket for each of them): uesp sends ESP-in-UDP from the
     * NAT-T socket (RFC 3948: the IKE port 4500) and receives it there on
     * a thread of cg-net; xfrm turns on UDP_ENCAP_ESPINUDP on it. The
     * CgNet outlives no backend: the engine frees it first. Optional. */
    gboolean (*attach_net)(CgKernel *k, CgNet *net, GError **error);
    /* Packet counters, for CgEngineStats and the control API. Optional. */
    void (*get_stats)(CgKernel *k, CgKernelStats *out);
    /* The interface carrying the tunnel's inner traffic (uesp: its TUN
     * device, e.g. for NetworkManager's IP config), or NULL. Optional. */
    const char *(*tunnel_ifname)(CgKernel *k);
    void (*free)(CgKernel *k);
} CgKernelOps;

struct CgKernel {
    const CgKernelOps *ops;
    CgKernelListener listener;
};

/* Creates the named backend ("log", "xfrm", "uesp", or "auto"). "auto"
 * probes once whether the kernel can hold an ESP SA (adds and deletes a
 * dummy one) and picks xfrm if so, else uesp; the choice and its reason
 * are logged. */
CgKernel *cg_kernel_new(const char *backend, const CgKernelListener *listener, GError **error);
void cg_kernel_free(CgKernel *k);
const char *cg_kernel_name(CgKernel *k);
/* Zeros when the backend has no get_stats. */
void cg_kernel_get_stats(CgKernel *k, CgKernelStats *out);

/* The "log" backend: allocates SPIs and logs every install/delete. */
CgKernel *cg_kernel_log_new(const CgKernelListener *listener);
/* Linux XFRM over netlink (libmnl). */
CgKernel *cg_kernel_xfrm_new(const CgKernelListener *listener, GError **error);
/* ESP in user space over a TUN device. */
CgKernel *cg_kernel_uesp_new(const CgKernelListener *listener, GError **error);
/* TRUE when the kernel accepts an ESP SA (cached after the first call);
 * *why says what the probe saw. */
gboolean cg_kernel_xfrm_esp_available(const char **why);

G_END_DECLS
