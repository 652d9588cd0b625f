/* nm-cygnet-dataplane.h: what the service needs from the data plane and
 * from the control API, kept in one place so the integration points are
 * easy to find.
 */
#pragma once

#include <glib.h>

#include "engine/cg-engine.h"

G_BEGIN_DECLS

/* The name of the tunnel device the engine's data plane carries packets
 * through (NetworkManager's Config "tundev"), or NULL when it has none.
 * NetworkManager then puts the tunnel's addresses and routes on the VPN's
 * base device. */
const char *nm_cygnet_dataplane_tundev(CgEngine *engine);

/* Serves the control API (src/ike-core/control, Varlink) of this service's
 * engine on its own socket, derived from the D-Bus name so that several
 * services (one per VPN connection) never share one. No-op until the
 * control API exists. */
gboolean nm_cygnet_control_start(CgEngine *engine, const char *bus_name, GError **error);
void nm_cygnet_control_stop(CgEngine *engine);

G_END_DECLS
