/* nm-cygnet-ipconfig.h: what NetworkManager is told about an established
 * tunnel: the generic Config and the Ip4Config / Ip6Config dictionaries of
 * org.freedesktop.NetworkManager.VPN.Plugin, built from an IKE_SA snapshot.
 *
 * Pure: no D-Bus, no engine calls; the unit tests feed it snapshots.
 */
#pragma once

#include <glib.h>

#include "engine/cg-engine.h"

G_BEGIN_DECLS

#define NM_CYGNET_IP_CONFIG_ERROR (nm_cygnet_ip_config_error_quark())
GQuark nm_cygnet_ip_config_error_quark(void);

typedef struct {
    /* The tunnel device that carries the packets, or NULL when the data
     * plane has none: NetworkManager then applies the addresses and routes
     * to the base device of the VPN. */
    const char *tundev;
    guint32 mtu; /* of tundev; sent only with one */
    /* The user asked for no default route (ipv4/ipv6.never-default). */
    gboolean never_default4;
    gboolean never_default6;
} NmCygnetIpOptions;

typedef struct {
    GVariant *config; /* a{sv}: gateway, tundev, mtu, has-ip4, has-ip6, banner */
    GVariant *ip4;    /* a{sv}, or NULL when the tunnel carries no IPv4 */
    GVariant *ip6;    /* a{sv}, or NULL */
} NmCygnetIpConfig;

void nm_cygnet_ip_config_clear(NmCygnetIpConfig *config);

/* Fills out (owned, non-floating references). Routes are the remote
 * traffic selectors of the CHILD_SAs, as CIDRs; a selector covering the
 * whole address space becomes the default route (unless never-default).
 * The address is the virtual IP the gateway assigned, or else our outer
 * address. Fails when neither family has an address. */
gboolean nm_cygnet_ip_config_build(const CgIkeSnapshot *ike, const NmCygnetIpOptions *options,
                                   NmCygnetIpConfig *out, GError **error);

/* Splits an address range (family's 4 or 16 bytes, big endian) into the
 * fewest CIDRs covering exactly it: "a.b.c.d/len" strings appended to
 * out. At most max_out are appended; returns FALSE when that cut it short. */
gboolean nm_cygnet_range_to_cidrs(int family, const guint8 *start, const guint8 *end, guint max_out,
                                  GPtrArray *out);

G_END_DECLS
