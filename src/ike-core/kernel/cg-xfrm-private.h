/* cg-xfrm-private.h: the XFRM backend's pieces: netlink messages built
 * with libmnl (cg-xfrm-msg.c) and the backend itself (cg-kernel-xfrm.c). */
#pragma once

#include <linux/xfrm.h>

#include "kernel/cg-kernel.h"
#include "kernel/cg-nl.h"

G_BEGIN_DECLS

typedef struct {
    int family; /* AF_INET / AF_INET6 */
    xfrm_address_t addr;
} CgXfrmAddr;

void cg_xfrm_addr_from_inet(GInetAddress *in, CgXfrmAddr *out);

/* The kernel's names for the engine's transforms (crypto API templates);
 * FALSE for a combination XFRM cannot express. */
gboolean cg_xfrm_alg_names(guint16 encr_id, guint16 integ_id, const char **encr_name,
                           const char **integ_name, guint *icv_bits);

/* XFRM_MSG_NEWSA / XFRM_MSG_UPDSA for one direction of an SA. */
gboolean cg_xfrm_msg_sa(CgNl *nl, gboolean update, const CgKernelSa *sa, GError **error);
/* XFRM_MSG_ALLOCSPI: an SPI for inbound SA src -> dst. */
gboolean cg_xfrm_msg_alloc_spi(CgNl *nl, const CgXfrmAddr *src, const CgXfrmAddr *dst,
                               guint32 reqid, guint32 *spi_out, GError **error);
gboolean cg_xfrm_msg_del_sa(CgNl *nl, const CgXfrmAddr *dst, guint32 spi, GError **error);
gboolean cg_xfrm_msg_get_sa(CgNl *nl, const CgXfrmAddr *dst, guint32 spi, CgKernelSaStats *out,
                            GError **error);

/* One policy: selector, direction, the tunnel endpoints of its template. */
typedef struct {
    struct xfrm_selector sel;
    guint8 dir; /* XFRM_POLICY_IN / OUT / FWD */
    guint32 priority;
    CgXfrmAddr tmpl_src, tmpl_dst;
    guint32 reqid;
} CgXfrmPolicy;

/* Selectors for local x remote traffic selectors, seen from direction
 * dir (OUT: local = source). Appends CgXfrmPolicy (template unset). */
void cg_xfrm_selectors(const CgTrafficSelector *local, guint n_local,
                       const CgTrafficSelector *remote, guint n_remote, guint8 dir, GArray *out);
/* XFRM_MSG_UPDPOLICY (add or replace) / XFRM_MSG_DELPOLICY. */
gboolean cg_xfrm_msg_policy(CgNl *nl, gboolean add, const CgXfrmPolicy *p, GError **error);
/* XFRM_MSG_MIGRATE: moves policy p and the SAs it matches to new
 * endpoints (and UDP encapsulation ports, 0 = none). */
gboolean cg_xfrm_msg_migrate(CgNl *nl, const CgXfrmPolicy *p, const CgXfrmAddr *new_src,
                             const CgXfrmAddr *new_dst, guint16 encap_sport, guint16 encap_dport,
                             GError **error);
/* A socket policy that exempts fd from IPsec (both directions). */
gboolean cg_xfrm_socket_bypass(int fd, int family, GError **error);

G_END_DECLS
