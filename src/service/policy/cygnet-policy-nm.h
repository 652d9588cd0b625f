/* cygnet-policy-nm.h: the facts cygnet-policy decides on, read from
 * NetworkManager through libnm, and the two things it may ask for:
 * activate or deactivate the guarding VPN. */
#pragma once

#include <NetworkManager.h>

#include "cygnet-policy-decide.h"

G_BEGIN_DECLS

typedef struct {
    NMClient *client;
    /* the network: NetworkManager's primary connection, or the one under
     * it when the VPN holds the default route */
    NMActiveConnection *network; /* NULL: none */
    PolicyNetwork net;           /* points into the strings below */
    char *net_uuid, *net_id, *net_type, *net_iface, *net_ssid, *net_bssid;
    /* the guarding VPN */
    NMRemoteConnection *vpn;        /* NULL: no such profile */
    NMActiveConnection *vpn_active; /* NULL: not active */
    PolicyVpnState vpn_state;
} PolicyNm;

/* Connects to NetworkManager (system bus) and reads the facts. */
PolicyNm *policy_nm_new(const char *vpn_name, GError **error);
void policy_nm_free(PolicyNm *nm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PolicyNm, policy_nm_free)

/* Is the event's connection (CONNECTION_UUID) a VPN or a tunnel device,
 * whose own ups and downs are not network changes? */
gboolean policy_nm_is_tunnel(PolicyNm *nm, const char *uuid, char **type_out);

/* Asks NetworkManager to activate the VPN over the network (returns once
 * NetworkManager accepted or refused the request). */
gboolean policy_nm_activate(PolicyNm *nm, GError **error);
gboolean policy_nm_deactivate(PolicyNm *nm, GError **error);

G_END_DECLS
