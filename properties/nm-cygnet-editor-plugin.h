/* nm-cygnet-editor-plugin.h: libnm-vpn-plugin-cygnet.so, the
 * NMVpnEditorPlugin that nm-connection-editor, GNOME Settings and nmcli
 * load through the .name file's [libnm] plugin=. It has no GTK in it:
 * get_editor() loads the GTK 3 or the GTK 4 editor library (whichever GTK
 * the calling program runs) from the same directory. */
#pragma once

#include <NetworkManager.h>

G_BEGIN_DECLS

#define NM_CYGNET_TYPE_EDITOR_PLUGIN (nm_cygnet_editor_plugin_get_type())
G_DECLARE_FINAL_TYPE(NmCygnetEditorPlugin, nm_cygnet_editor_plugin, NM_CYGNET, EDITOR_PLUGIN,
                     GObject)

/* The editor libraries' factory: same name in both. */
#define NM_CYGNET_EDITOR_FACTORY "nm_vpn_editor_factory_cygnet"
typedef NMVpnEditor *(*NmCygnetEditorFactory)(NMVpnEditorPlugin *plugin, NMConnection *connection,
                                              GError **error);

#define NM_CYGNET_EDITOR_LIB_GTK3 "libnm-vpn-plugin-cygnet-editor.so"
#define NM_CYGNET_EDITOR_LIB_GTK4 "libnm-gtk4-vpn-plugin-cygnet-editor.so"

G_END_DECLS
