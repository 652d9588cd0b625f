/* nm-cygnet-editor-plugin.c: the NMVpnEditorPlugin (see the header). */
#include "config.h"

#include "nm-cygnet-editor-plugin.h"

#include <dlfcn.h>
#include <glib/gi18n-lib.h>
#include <gmodule.h>

#include "nm-cygnet-formats.h"
#include "nm-cygnet-keys.h"

struct _NmCygnetEditorPlugin {
    GObject parent;
};

enum {
    PROP_0,
    PROP_NAME,
    PROP_DESC,
    PROP_SERVICE,
};

static void editor_plugin_interface_init(NMVpnEditorPluginInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NmCygnetEditorPlugin, nm_cygnet_editor_plugin, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(NM_TYPE_VPN_EDITOR_PLUGIN,
                                              editor_plugin_interface_init))

G_MODULE_EXPORT NMVpnEditorPlugin *nm_vpn_editor_plugin_factory(GError **error);

/* The directory this library was loaded from: the editors live there. */
static char *
plugin_dir(void)
{
    Dl_info info;
    if (dladdr((void *)nm_vpn_editor_plugin_factory, &info) == 0 || info.dli_fname == NULL)
        return NULL;
    return g_path_get_dirname(info.dli_fname);
}

/* GTK 3 has gtk_container_add, GTK 4 does not: pick the editor for the
 * toolkit the calling program (nm-connection-editor, GNOME Settings)
 * already runs. Loaded once and never unloaded (it registers GTypes). */
static NmCygnetEditorFactory
load_editor_factory(GError **error)
{
    static NmCygnetEditorFactory factory;
    if (factory != NULL)
        return factory;
    gboolean gtk3 = dlsym(RTLD_DEFAULT, "gtk_container_add") != NULL;
    const char *lib = gtk3 ? NM_CYGNET_EDITOR_LIB_GTK3 : NM_CYGNET_EDITOR_LIB_GTK4;
    g_autofree char *dir = plugin_dir();
    g_autofree char *path = dir ? g_build_filename(dir, lib, NULL) : g_strdup(lib);
    void *handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    if (handle == NULL) {
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                    _("Cannot load the editor %s: %s"), path, dlerror());
        return NULL;
    }
    factory = (NmCygnetEditorFactory)dlsym(handle, NM_CYGNET_EDITOR_FACTORY);
    if (factory == NULL)
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                    _("The editor %s has no %s"), path, NM_CYGNET_EDITOR_FACTORY);
    return factory;
}

static NMVpnEditor *
get_editor(NMVpnEditorPlugin *plugin, NMConnection *connection, GError **error)
{
    NmCygnetEditorFactory factory = load_editor_factory(error);
    return factory ? factory(plugin, connection, error) : NULL;
}

static NMVpnEditorPluginCapability
get_capabilities(NMVpnEditorPlugin *plugin)
{
    return NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT | NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT
           | NM_VPN_EDITOR_PLUGIN_CAPABILITY_IPV6;
}

static NMConnection *
import_from_file(NMVpnEditorPlugin *plugin, const char *path, GError **error)
{
    return cg_import_file(path, error);
}

static gboolean
export_to_file(NMVpnEditorPlugin *plugin, const char *path, NMConnection *connection,
               GError **error)
{
    return cg_export_file(path, connection, error);
}

static char *
get_suggested_filename(NMVpnEditorPlugin *plugin, NMConnection *connection)
{
    const char *id = nm_connection_get_id(connection);
    g_autofree char *safe = g_strdup(id ? id : "cygnet");
    g_strdelimit(safe, "/\\:*?\"<>| ", '_');
    return g_strconcat(safe, CG_NATIVE_EXTENSION, NULL);
}

static void
get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    switch (prop_id) {
        case PROP_NAME:
            g_value_set_string(value, _("IPsec/IKEv2 (Cygnet)"));
            break;
        case PROP_DESC:
            g_value_set_string(value, _("IPsec/IKEv2 VPN with user name and password, "
                                        "certificates or pre-shared keys, by Cygnet's own "
                                        "IKEv2 engine"));
            break;
        case PROP_SERVICE:
            g_value_set_string(value, NM_CYGNET_DBUS_SERVICE);
            break;
        default:
            G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
            break;
    }
}

static void
nm_cygnet_editor_plugin_init(NmCygnetEditorPlugin *plugin)
{
}

static void
nm_cygnet_editor_plugin_class_init(NmCygnetEditorPluginClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->get_property = get_property;
    g_object_class_override_property(object_class, PROP_NAME, NM_VPN_EDITOR_PLUGIN_NAME);
    g_object_class_override_property(object_class, PROP_DESC, NM_VPN_EDITOR_PLUGIN_DESCRIPTION);
    g_object_class_override_property(object_class, PROP_SERVICE, NM_VPN_EDITOR_PLUGIN_SERVICE);
}

static void
editor_plugin_interface_init(NMVpnEditorPluginInterface *iface)
{
    iface->get_editor = get_editor;
    iface->get_capabilities = get_capabilities;
    iface->import_from_file = import_from_file;
    iface->export_to_file = export_to_file;
    iface->get_suggested_filename = get_suggested_filename;
}

G_MODULE_EXPORT NMVpnEditorPlugin *
nm_vpn_editor_plugin_factory(GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    const char *localedir = g_getenv("NM_CYGNET_LOCALEDIR");
    bindtextdomain(GETTEXT_PACKAGE, localedir ? localedir : NM_CYGNET_LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    return g_object_new(NM_CYGNET_TYPE_EDITOR_PLUGIN, NULL);
}
