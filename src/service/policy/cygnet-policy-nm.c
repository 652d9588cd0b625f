/* cygnet-policy-nm.c: libnm, synchronous where it is cheap (one
 * GetManagedObjects at startup), a short main loop for the one request. */
#include "cygnet-policy-nm.h"

#include <string.h>

/* NetworkManager answers an activation request at once; the VPN comes up
 * later, on its own. */
#define REQUEST_TIMEOUT_MS 10000

static gboolean
type_is_tunnel(const char *type)
{
    static const char *const tunnels[] = {
        NM_SETTING_VPN_SETTING_NAME,
        "wireguard",
        "tun",
        "loopback",
    };
    for (guint i = 0; type && i < G_N_ELEMENTS(tunnels); i++)
        if (strcmp(type, tunnels[i]) == 0)
            return TRUE;
    return FALSE;
}

static gboolean
active_is_tunnel(NMActiveConnection *ac)
{
    return nm_active_connection_get_vpn(ac)
           || type_is_tunnel(nm_active_connection_get_connection_type(ac));
}

/* The connection that carries the default route, the one under a VPN
 * that holds it, else any fully up non-tunnel connection with a default
 * route of either family. */
static NMActiveConnection *
find_network(NMClient *client)
{
    NMActiveConnection *primary = nm_client_get_primary_connection(client);
    if (primary && active_is_tunnel(primary)) {
        const GPtrArray *devices = nm_active_connection_get_devices(primary);
        primary = NULL;
        for (guint i = 0; devices && i < devices->len && !primary; i++) {
            NMActiveConnection *under = nm_device_get_active_connection(devices->pdata[i]);
            if (under && !active_is_tunnel(under))
                primary = under;
        }
    }
    if (primary)
        return primary;
    const GPtrArray *all = nm_client_get_active_connections(client);
    for (guint i = 0; all && i < all->len; i++) {
        NMActiveConnection *ac = all->pdata[i];
        if (!active_is_tunnel(ac)
            && nm_active_connection_get_state(ac) == NM_ACTIVE_CONNECTION_STATE_ACTIVATED
            && (nm_active_connection_get_default(ac) || nm_active_connection_get_default6(ac)))
            return ac;
    }
    return NULL;
}

static char *
ssid_text(GBytes *ssid)
{
    if (!ssid)
        return NULL;
    gsize len;
    const char *data = g_bytes_get_data(ssid, &len);
    if (g_utf8_validate_len(data, len, NULL) && !memchr(data, '\0', len))
        return g_strndup(data, len);
    /* not text: NetworkManager's escaped form, which a policy file may hold */
    return nm_utils_ssid_to_utf8((const guint8 *)data, len);
}

static void
read_network(PolicyNm *nm)
{
    NMActiveConnection *ac = find_network(nm->client);
    if (!ac)
        return;
    nm->network = g_object_ref(ac);
    nm->net_uuid = g_strdup(nm_active_connection_get_uuid(ac));
    nm->net_id = g_strdup(nm_active_connection_get_id(ac));
    nm->net_type = g_strdup(nm_active_connection_get_connection_type(ac));
    const GPtrArray *devices = nm_active_connection_get_devices(ac);
    NMDevice *dev = devices && devices->len ? devices->pdata[0] : NULL;
    if (dev)
        nm->net_iface = g_strdup(nm_device_get_iface(dev));
    NMRemoteConnection *rc = nm_active_connection_get_connection(ac);
    NMSettingWireless *wifi = rc ? nm_connection_get_setting_wireless(NM_CONNECTION(rc)) : NULL;
    if (wifi)
        nm->net_ssid = ssid_text(nm_setting_wireless_get_ssid(wifi));
    if (dev && NM_IS_DEVICE_WIFI(dev)) {
        NMAccessPoint *ap = nm_device_wifi_get_active_access_point(NM_DEVICE_WIFI(dev));
        if (ap && nm_access_point_get_bssid(ap))
            nm->net_bssid = g_ascii_strup(nm_access_point_get_bssid(ap), -1);
    }
    nm->net.uuid = nm->net_uuid;
    nm->net.id = nm->net_id;
    nm->net.type = nm->net_type;
    nm->net.iface = nm->net_iface;
    nm->net.ssid = nm->net_ssid;
    nm->net.bssid = nm->net_bssid;
    nm->net.activated = nm_active_connection_get_state(ac) == NM_ACTIVE_CONNECTION_STATE_ACTIVATED;
}

static void
read_vpn(PolicyNm *nm, const char *vpn_name)
{
    NMRemoteConnection *rc = nm_client_get_connection_by_uuid(nm->client, vpn_name);
    if (!rc)
        rc = nm_client_get_connection_by_id(nm->client, vpn_name);
    if (!rc) {
        nm->vpn_state = POLICY_VPN_MISSING;
        return;
    }
    nm->vpn = g_object_ref(rc);
    nm->vpn_state = POLICY_VPN_DOWN;
    const char *uuid = nm_connection_get_uuid(NM_CONNECTION(rc));
    const GPtrArray *all = nm_client_get_active_connections(nm->client);
    for (guint i = 0; all && i < all->len; i++) {
        NMActiveConnection *ac = all->pdata[i];
        if (g_strcmp0(nm_active_connection_get_uuid(ac), uuid) != 0)
            continue;
        nm->vpn_active = g_object_ref(ac);
        switch (nm_active_connection_get_state(ac)) {
            case NM_ACTIVE_CONNECTION_STATE_ACTIVATING:
                nm->vpn_state = POLICY_VPN_ACTIVATING;
                break;
            case NM_ACTIVE_CONNECTION_STATE_ACTIVATED:
                nm->vpn_state = POLICY_VPN_UP;
                break;
            case NM_ACTIVE_CONNECTION_STATE_DEACTIVATING:
                nm->vpn_state = POLICY_VPN_DEACTIVATING;
                break;
            default:
                nm->vpn_state = POLICY_VPN_DOWN;
                break;
        }
        return;
    }
}

PolicyNm *
policy_nm_new(const char *vpn_name, GError **error)
{
    g_autoptr(PolicyNm) nm = g_new0(PolicyNm, 1);
    /* no permissions: the policy asks nothing polkit would decide on */
    nm->client = g_initable_new(NM_TYPE_CLIENT, NULL, error, NM_CLIENT_INSTANCE_FLAGS,
                                (guint)NM_CLIENT_INSTANCE_FLAGS_NO_AUTO_FETCH_PERMISSIONS, NULL);
    if (!nm->client)
        return NULL;
    read_network(nm);
    read_vpn(nm, vpn_name);
    return g_steal_pointer(&nm);
}

void
policy_nm_free(PolicyNm *nm)
{
    if (!nm)
        return;
    g_clear_object(&nm->network);
    g_clear_object(&nm->vpn);
    g_clear_object(&nm->vpn_active);
    g_free(nm->net_uuid);
    g_free(nm->net_id);
    g_free(nm->net_type);
    g_free(nm->net_iface);
    g_free(nm->net_ssid);
    g_free(nm->net_bssid);
    g_clear_object(&nm->client);
    g_free(nm);
}

gboolean
policy_nm_is_tunnel(PolicyNm *nm, const char *uuid, char **type_out)
{
    if (!uuid || !*uuid)
        return FALSE;
    NMRemoteConnection *rc = nm_client_get_connection_by_uuid(nm->client, uuid);
    const char *type = rc ? nm_connection_get_connection_type(NM_CONNECTION(rc)) : NULL;
    if (type_out)
        *type_out = g_strdup(type);
    return type_is_tunnel(type);
}

/* ---- one request, waited for ----------------------------------------------- */

typedef struct {
    GMainLoop *loop;
    gboolean ok;
    GError *error;
    gboolean activate;
    gboolean timed_out;
} Request;

static void
on_done(GObject *source, GAsyncResult *result, gpointer data)
{
    Request *r = data;
    if (r->activate) {
        NMActiveConnection *ac
            = nm_client_activate_connection_finish(NM_CLIENT(source), result, &r->error);
        r->ok = ac != NULL;
        g_clear_object(&ac);
    } else {
        r->ok = nm_client_deactivate_connection_finish(NM_CLIENT(source), result, &r->error);
    }
    g_main_loop_quit(r->loop);
}

static gboolean
on_timeout(gpointer data)
{
    Request *r = data;
    r->timed_out = TRUE;
    g_main_loop_quit(r->loop);
    return G_SOURCE_REMOVE;
}

static gboolean
wait_request(Request *r, GCancellable *cancellable, GError **error)
{
    guint timer = g_timeout_add(REQUEST_TIMEOUT_MS, on_timeout, r);
    g_main_loop_run(r->loop);
    if (r->timed_out) {
        g_cancellable_cancel(cancellable);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                    "NetworkManager did not answer within %u ms", REQUEST_TIMEOUT_MS);
        /* let the cancelled call finish before the loop goes */
        g_main_loop_run(r->loop);
        g_clear_error(&r->error);
        g_main_loop_unref(r->loop);
        return FALSE;
    }
    g_source_remove(timer);
    g_main_loop_unref(r->loop);
    if (!r->ok) {
        g_propagate_error(error, r->error);
        return FALSE;
    }
    return TRUE;
}

gboolean
policy_nm_activate(PolicyNm *nm, GError **error)
{
    if (!nm->vpn) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such VPN profile");
        return FALSE;
    }
    /* the VPN runs over the network the decision was about (a VPN needs a
     * base connection: its device and active connection) */
    NMDevice *dev = NULL;
    const char *base_path = NULL;
    if (nm->network) {
        const GPtrArray *devices = nm_active_connection_get_devices(nm->network);
        dev = devices && devices->len ? devices->pdata[0] : NULL;
        base_path = nm_object_get_path(NM_OBJECT(nm->network));
    }
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    Request r = { .loop = g_main_loop_new(NULL, FALSE), .activate = TRUE };
    nm_client_activate_connection_async(nm->client, NM_CONNECTION(nm->vpn), dev, base_path,
                                        cancellable, on_done, &r);
    return wait_request(&r, cancellable, error);
}

gboolean
policy_nm_deactivate(PolicyNm *nm, GError **error)
{
    if (!nm->vpn_active)
        return TRUE;
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    Request r = { .loop = g_main_loop_new(NULL, FALSE), .activate = FALSE };
    nm_client_deactivate_connection_async(nm->client, nm->vpn_active, cancellable, on_done, &r);
    return wait_request(&r, cancellable, error);
}
