/* nm-cygnet-plugin.h: the NetworkManager VPN service of Cygnet, a
 * subclass of libnm's NMVpnServicePlugin with the IKEv2 engine in process.
 *
 * One instance serves one VPN connection at a time (NetworkManager starts
 * one service process per active connection, each on its own D-Bus name).
 * The engine runs on the thread-default main context of the caller.
 */
#pragma once

#include <NetworkManager.h>

G_BEGIN_DECLS

#define NM_CYGNET_TYPE_PLUGIN (nm_cygnet_plugin_get_type())
G_DECLARE_FINAL_TYPE(NmCygnetPlugin, nm_cygnet_plugin, NM_CYGNET, PLUGIN, NMVpnServicePlugin)

/* Claims bus_name on the system bus. With watch_peer, the service quits
 * (signal "quit") as soon as its connection has stopped. */
NmCygnetPlugin *nm_cygnet_plugin_new(const char *bus_name, gboolean watch_peer, GError **error);

/* Deletes the IKE_SA if there is one and calls done(data) once every
 * engine is gone: when the gateway answered the Delete, or after
 * timeout_ms. */
void nm_cygnet_plugin_shutdown(NmCygnetPlugin *self, guint timeout_ms, GSourceFunc done,
                               gpointer data);

G_END_DECLS
