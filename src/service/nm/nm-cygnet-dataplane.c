/* nm-cygnet-dataplane.c: the hooks of nm-cygnet-dataplane.h. */
#include "config.h"

#include "nm-cygnet-dataplane.h"

#include <string.h>

#include "control/cg-control.h"

/* The control server of this service process and the engine it serves:
 * a reconnect makes a new engine while the old one winds down, and the
 * socket follows the newest. */
static CgControlServer *control_server;
static CgEngine *control_engine;

const char *
nm_cygnet_dataplane_tundev(CgEngine *engine)
{
    /* uesp: its TUN device; NetworkManager applies the virtual IP, routes
     * and DNS there. NULL (xfrm, log): the base device. */
    return cg_engine_get_tunnel_ifname(engine);
}

gboolean
nm_cygnet_control_start(CgEngine *engine, const char *bus_name, GError **error)
{
    /* One socket per service process (NetworkManager runs one per VPN):
     * RUNSTATEDIR/cygnet/nm-<last element of the bus name>.sock, root
     * only, so cygnetctl can list and follow the tunnels NM runs. The
     * connections belong to NetworkManager: Load* are not offered. */
    const char *last = bus_name ? strrchr(bus_name, '.') : NULL;
    g_autofree char *path = g_strdup_printf("%s/cygnet/nm-%s.sock", RUNSTATEDIR,
                                            last ? last + 1 : "cygnet");
    CgControlOptions opts;
    cg_control_options_init(&opts);
    opts.socket_path = path;
    opts.product = "nm-cygnet-service";
    g_clear_pointer(&control_server, cg_control_server_free);
    control_engine = NULL;
    control_server = cg_control_server_new(engine, &opts, error);
    if (control_server)
        control_engine = engine;
    return control_server != NULL;
}

void
nm_cygnet_control_stop(CgEngine *engine)
{
    /* before the engine goes: the server unsubscribes from it */
    if (engine != control_engine)
        return;
    g_clear_pointer(&control_server, cg_control_server_free);
    control_engine = NULL;
}
