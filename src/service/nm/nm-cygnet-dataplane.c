/* nm-cygnet-dataplane.c: the hooks of nm-cygnet-dataplane.h. */
#include "config.h"

#include "nm-cygnet-dataplane.h"

const char *
nm_cygnet_dataplane_tundev(CgEngine *engine)
{
#ifdef NM_CYGNET_HAVE_TUNNEL_IFNAME
    /* uesp: its TUN device; NetworkManager applies the virtual IP, routes
     * and DNS there (on top of what uesp installs itself) */
    return cg_engine_get_tunnel_ifname(engine);
#else
    /* INTEGRATION (data plane): the engine does not export its data
     * plane's tunnel device yet (CgKernelOps.tunnel_ifname exists, an
     * accessor on CgEngine does not). Once cg-engine.h declares
     *   const char *cg_engine_get_tunnel_ifname(CgEngine *engine);
     * meson finds it and the branch above is built. Until then
     * NetworkManager puts the addresses and routes on the base device. */
    (void)engine;
    return NULL;
#endif
}

gboolean
nm_cygnet_control_start(CgEngine *engine, const char *bus_name, GError **error)
{
    /* INTEGRATION (control API): start the Varlink server of
     * src/ike-core/control here, on RUNSTATEDIR "/cygnet/nm-<last element
     * of bus_name>.sock" (root only, mode 0600), so cygnetctl can list and
     * monitor the SAs of each NetworkManager VPN connection. */
    (void)engine;
    (void)bus_name;
    (void)error;
    return TRUE;
}

void
nm_cygnet_control_stop(CgEngine *engine)
{
    (void)engine;
}
