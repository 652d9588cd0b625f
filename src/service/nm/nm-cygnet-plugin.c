/* nm-cygnet-plugin.c: NMVpnServicePlugin <-> engine.
 *
 * A connection attempt goes: Connect (settings checked, or an error that
 * names the key) -> [secrets asked for, NewSecrets] -> gateway resolved ->
 * IKE_SA initiated -> first CHILD_SA up -> Config, Ip4Config, Ip6Config
 * sent -> NetworkManager activates. Any failure on the way, and the death
 * of the IKE_SA later, is reported as a failure NetworkManager acts on.
 * Everything happens on the main context; the engine's events arrive
 * through its bus, never by looking into SAs.
 */
#include "config.h"

#include "nm-cygnet-plugin.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/cg-family.h"
#include "log/cg-log.h"
#include "net/cg-net.h"
#include "nm-cygnet-dataplane.h"
#include "nm-cygnet-ipconfig.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-reason.h"
#include "nm-cygnet-settings.h"

#define RETIRE_POLL_MS  20
#define RETIRE_GRACE_MS 2000

typedef enum {
    PHASE_IDLE,
    PHASE_NEED_SECRETS, /* asked NetworkManager for the PSK (ConnectInteractive) */
    PHASE_RESOLVING,    /* looking up the gateway's name */
    PHASE_CONNECTING,   /* IKE_SA_INIT / IKE_AUTH / first CHILD_SA */
    PHASE_UP,           /* configuration sent to NetworkManager */
} Phase;

/* An engine whose connection has ended, kept until its Delete exchange
 * is over so the gateway hears that we left. */
typedef struct {
    CgEngine *engine;
    gint64 deadline_us;
} RetiredEngine;

struct _NmCygnetPlugin {
    NMVpnServicePlugin parent;

    char *bus_name;
    Phase phase;
    NmCygnetSettings *settings;
    char *conn_name; /* the engine's name for it, from NetworkManager's */
    char *conn_id;   /* NetworkManager's name for it, for log lines */
    char *conn_uuid; /* and its UUID, for the journal */
    gboolean never_default4, never_default6;
    gint64 attempt_started_us;

    GCancellable *resolving;
    int gateway_claim; /* claim_gateway(), or -1 */
    CgEngine *engine;
    guint subscription;
    guint32 ike_id; /* the current IKE_SA (follows rekeys) */
    guint children_check;
    char *reported_vips; /* the virtual IPs NetworkManager was given, "a, b" */

    /* what AUTH and ERROR events said during this attempt: more precise
     * than the reason of the IKE_DOWN that follows them */
    CgReason pending_reason;
    char *pending_message;

    GArray *retired; /* RetiredEngine */
    guint retire_timer;
    GSourceFunc shutdown_done;
    gpointer shutdown_data;
};

G_DEFINE_TYPE(NmCygnetPlugin, nm_cygnet_plugin, NM_TYPE_VPN_SERVICE_PLUGIN)

static void on_engine_event(const CgEvent *event, gpointer user_data);

/* ---- engines that are going away ------------------------------------------ */

static gboolean
engine_has_sas(CgEngine *engine)
{
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(engine, NULL);
    return sas->len > 0;
}

static void
maybe_finish_shutdown(NmCygnetPlugin *self)
{
    if (!self->shutdown_done || self->retired->len || self->engine)
        return;
    GSourceFunc done = self->shutdown_done;
    self->shutdown_done = NULL;
    done(self->shutdown_data);
}

static gboolean
reap_retired(gpointer data)
{
    NmCygnetPlugin *self = data;
    gint64 now = g_get_monotonic_time();
    for (guint i = self->retired->len; i > 0; i--) {
        RetiredEngine *r = &g_array_index(self->retired, RetiredEngine, i - 1);
        if (engine_has_sas(r->engine) && now < r->deadline_us)
            continue;
        nm_cygnet_control_stop(r->engine);
        cg_engine_free(r->engine);
        g_array_remove_index(self->retired, i - 1);
    }
    if (self->retired->len)
        return G_SOURCE_CONTINUE;
    self->retire_timer = 0;
    maybe_finish_shutdown(self);
    return G_SOURCE_REMOVE;
}

/* Stops listening to the current engine and frees it once its SAs are
 * gone (the caller has asked them to go) or after grace_ms. Safe inside
 * an engine callback: the engine is never freed from within its own bus. */
static void
retire_engine(NmCygnetPlugin *self, guint grace_ms)
{
    if (!self->engine)
        return;
    cg_engine_unsubscribe(self->engine, self->subscription);
    self->subscription = 0;
    RetiredEngine r = {
        .engine = g_steal_pointer(&self->engine),
        .deadline_us = g_get_monotonic_time() + (gint64)grace_ms * 1000,
    };
    g_array_append_val(self->retired, r);
    self->ike_id = 0;
    if (!self->retire_timer)
        self->retire_timer = g_timeout_add(RETIRE_POLL_MS, reap_retired, self);
}

/* Sends Delete for our IKE_SA (if any) and retires the engine. */
static void
close_engine(NmCygnetPlugin *self)
{
    if (self->engine && self->conn_name)
        cg_engine_terminate(self->engine, self->conn_name, NULL, NULL);
    retire_engine(self, RETIRE_GRACE_MS);
}

/* ---- the attempt ------------------------------------------------------------ */

static void
clear_attempt(NmCygnetPlugin *self)
{
    g_clear_handle_id(&self->children_check, g_source_remove);
    if (self->resolving) {
        g_cancellable_cancel(self->resolving);
        g_clear_object(&self->resolving);
    }
    close_engine(self);
    g_clear_pointer(&self->settings, nm_cygnet_settings_free);
    g_clear_pointer(&self->conn_name, g_free);
    g_clear_pointer(&self->conn_id, g_free);
    g_clear_pointer(&self->conn_uuid, g_free);
    g_clear_pointer(&self->pending_message, g_free);
    g_clear_pointer(&self->reported_vips, g_free);
    self->pending_reason = CG_REASON_NONE;
    self->phase = PHASE_IDLE;
    if (self->gateway_claim >= 0) {
        close(self->gateway_claim);
        self->gateway_claim = -1;
    }
}

static const char *
log_name(NmCygnetPlugin *self)
{
    return self->conn_name ? self->conn_name : "nm";
}

static gint64
attempt_ms(NmCygnetPlugin *self)
{
    return (g_get_monotonic_time() - self->attempt_started_us) / 1000;
}

/* Logs why the connection failed, and puts it in the journal too with
 * NetworkManager's connection field: the command nmcli's hint suggests
 * (journalctl -xe NM_CONNECTION=UUID + ...) then shows the reason, which
 * nmcli itself cannot (NetworkManager passes on only a reason code).
 * Without journald, the journal part does nothing. */
static void
log_failure(NmCygnetPlugin *self, const char *what, CgReason reason, const char *message)
{
    if (g_strcmp0(message, cg_reason_describe(reason)) == 0)
        message = NULL; /* the engine's default text: said once is enough */
    g_autofree char *text
        = g_strdup_printf("connection '%s' %s: %s%s%s", self->conn_id ? self->conn_id : "?", what,
                          cg_reason_describe(reason), message ? ": " : "", message ? message : "");
    cg_warn(log_name(self), "%s", text);
    if (!self->conn_uuid)
        return;
    const GLogField fields[] = {
        { "MESSAGE", text, -1 },
        { "PRIORITY", "4", -1 },
        { "SYSLOG_IDENTIFIER", "nm-cygnet-service", -1 },
        { "NM_CONNECTION", self->conn_uuid, -1 },
    };
    g_log_writer_journald(G_LOG_LEVEL_WARNING, fields, G_N_ELEMENTS(fields), NULL);
}

/* The attempt failed before NetworkManager got a configuration. */
static void
fail_connecting(NmCygnetPlugin *self, CgReason reason, const char *message)
{
    NMVpnPluginFailure failure = nm_cygnet_failure_for_reason(reason);
    g_autofree char *what
        = g_strdup_printf("failed after %" G_GINT64_FORMAT " ms", attempt_ms(self));
    log_failure(self, what, reason, message);
    clear_attempt(self);
    /* nm_vpn_service_plugin_failure() in state STARTING also sends its own
     * CONNECT_FAILED, and NetworkManager reports the last failure it heard
     * ("Unknown reason"). Passing through STOPPING first keeps ours. */
    g_object_set(self, NM_VPN_SERVICE_PLUGIN_STATE, NM_VPN_SERVICE_STATE_STOPPING, NULL);
    nm_vpn_service_plugin_failure(NM_VPN_SERVICE_PLUGIN(self), failure);
    g_object_set(self, NM_VPN_SERVICE_PLUGIN_STATE, NM_VPN_SERVICE_STATE_STOPPED, NULL);
}

/* The tunnel was up and died (liveness, Delete from the gateway, expiry):
 * NetworkManager's own reconnect logic takes it from here. */
static void
fail_established(NmCygnetPlugin *self, CgReason reason, const char *message)
{
    NMVpnPluginFailure failure = nm_cygnet_failure_for_reason(reason);
    log_failure(self, "lost", reason, message);
    clear_attempt(self);
    nm_vpn_service_plugin_failure(NM_VPN_SERVICE_PLUGIN(self), failure);
}

static void
remember(NmCygnetPlugin *self, CgReason reason, const char *message)
{
    if (self->pending_reason != CG_REASON_NONE)
        return; /* the first cause wins */
    self->pending_reason = reason;
    g_free(self->pending_message);
    self->pending_message = g_strdup(message);
}

static char *
vips_text(const CgIkeSnapshot *ike)
{
    GString *vips = g_string_new(NULL);
    for (guint i = 0; ike->local_vips && i < ike->local_vips->len; i++)
        g_string_append_printf(vips, "%s%s", i ? ", " : "", (char *)ike->local_vips->pdata[i]);
    return g_string_free(vips, FALSE);
}

/* Config, Ip4Config and Ip6Config for this IKE_SA to NetworkManager. */
static gboolean
send_ip_config(NmCygnetPlugin *self, const CgIkeSnapshot *ike, GError **error)
{
    NmCygnetIpOptions options = {
        .tundev = nm_cygnet_dataplane_tundev(self->engine),
        .mtu = self->settings->mtu,
        .never_default4 = self->never_default4,
        .never_default6 = self->never_default6,
    };
    NmCygnetIpConfig config;
    if (!nm_cygnet_ip_config_build(ike, &options, &config, error))
        return FALSE;
    if (cg_log_enabled(CG_LOG_DEBUG)) {
        g_autofree char *c = g_variant_print(config.config, FALSE);
        g_autofree char *c4 = config.ip4 ? g_variant_print(config.ip4, FALSE) : NULL;
        g_autofree char *c6 = config.ip6 ? g_variant_print(config.ip6, FALSE) : NULL;
        cg_debug(log_name(self), "Config %s, Ip4Config %s, Ip6Config %s", c, c4 ? c4 : "-",
                 c6 ? c6 : "-");
    }
    NMVpnServicePlugin *plugin = NM_VPN_SERVICE_PLUGIN(self);
    nm_vpn_service_plugin_set_config(plugin, config.config);
    if (config.ip4)
        nm_vpn_service_plugin_set_ip4_config(plugin, config.ip4);
    if (config.ip6)
        nm_vpn_service_plugin_set_ip6_config(plugin, config.ip6);
    nm_cygnet_ip_config_clear(&config);
    g_free(self->reported_vips);
    self->reported_vips = vips_text(ike);
    return TRUE;
}

static void
report_up(NmCygnetPlugin *self, const CgIkeSnapshot *ike)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *vips = vips_text(ike);
    cg_info(log_name(self), "connection '%s' up after %" G_GINT64_FORMAT " ms, virtual IP %s",
            self->conn_id, attempt_ms(self), *vips ? vips : "none");
    if (!send_ip_config(self, ike, &error)) {
        fail_connecting(self, CG_REASON_ADDRESS_FAILURE, error->message);
        return;
    }
    self->phase = PHASE_UP;
    /* what went wrong on the way (a refused extra CHILD_SA...) is not why
     * it may fail later */
    self->pending_reason = CG_REASON_NONE;
    g_clear_pointer(&self->pending_message, g_free);
}

/* The IKE_SA was re-established (no MOBIKE, or reauthentication) and the
 * gateway gave other virtual IPs: NetworkManager gets the new
 * configuration, else it would keep addresses the tunnel no longer
 * carries. */
static void
follow_new_addresses(NmCygnetPlugin *self, const CgIkeSnapshot *ike)
{
    g_autofree char *vips = vips_text(ike);
    if (g_strcmp0(vips, self->reported_vips) == 0)
        return;
    cg_info(log_name(self), "virtual IP now %s (was %s): new IP configuration for NetworkManager",
            *vips ? vips : "none",
            self->reported_vips && *self->reported_vips ? self->reported_vips : "none");
    g_autoptr(GError) error = NULL;
    if (!send_ip_config(self, ike, &error))
        fail_established(self, CG_REASON_ADDRESS_FAILURE, error->message);
}

/* After a CHILD_SA went down: an IKE_SA left without any carries nothing,
 * so the connection is over. */
static gboolean
check_children(gpointer data)
{
    NmCygnetPlugin *self = data;
    self->children_check = 0;
    if (self->phase != PHASE_UP || !self->engine)
        return G_SOURCE_REMOVE;
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(self->engine, self->conn_name);
    for (guint i = 0; i < sas->len; i++) {
        const CgIkeSnapshot *ike = sas->pdata[i];
        if (ike->unique_id != self->ike_id || ike->state != CG_IKE_STATE_ESTABLISHED
            || (ike->children && ike->children->len))
            continue;
        remember(self, CG_REASON_PEER_DELETE, "the gateway closed the last CHILD_SA");
        cg_engine_terminate_ike(self->engine, self->ike_id, NULL);
    }
    return G_SOURCE_REMOVE;
}

static void
on_engine_event(const CgEvent *event, gpointer user_data)
{
    NmCygnetPlugin *self = user_data;
    if (!self->conn_name || g_strcmp0(event->conn_name, self->conn_name) != 0)
        return;
    switch (event->type) {
        case CG_EVENT_AUTH:
            /* the reason says which check failed: a certificate that is
             * untrusted, expired or revoked, a wrong identity, a wrong
             * password */
            if (!event->success)
                remember(self,
                         event->reason != CG_REASON_NONE ? event->reason : CG_REASON_AUTH_FAILED,
                         event->message);
            break;
        case CG_EVENT_ERROR:
            remember(self, event->reason, event->message);
            break;
        case CG_EVENT_IKE_REKEYED:
            if (event->old_ike_unique_id == self->ike_id)
                self->ike_id = event->ike_unique_id;
            break;
        case CG_EVENT_CHILD_UP:
            if (self->phase == PHASE_CONNECTING && event->ike_unique_id == self->ike_id)
                report_up(self, event->ike);
            else if (self->phase == PHASE_UP && event->ike_unique_id == self->ike_id)
                follow_new_addresses(self, event->ike);
            break;
        case CG_EVENT_CHILD_DOWN:
            /* the gateway may close the tunnel but keep the IKE_SA; a dying
             * IKE_SA also closes its children first: look once it settled */
            if (self->phase == PHASE_UP && event->ike_unique_id == self->ike_id
                && event->reason != CG_REASON_REKEYED && !self->children_check)
                self->children_check = g_idle_add(check_children, self);
            break;
        case CG_EVENT_IKE_DOWN: {
            if (event->ike_unique_id != self->ike_id || event->reason == CG_REASON_REKEYED)
                break;
            gboolean pending = self->pending_reason != CG_REASON_NONE;
            CgReason reason = pending ? self->pending_reason : event->reason;
            g_autofree char *message = g_strdup(
                pending && self->pending_message ? self->pending_message : event->message);
            if (self->phase == PHASE_CONNECTING)
                fail_connecting(self, reason, message);
            else if (self->phase == PHASE_UP)
                fail_established(self, reason, message);
            break;
        }
        default:
            break;
    }
}

/* NetworkManager runs one service process per VPN connection, and all of
 * them use UDP 500 and 4500 (SO_REUSEPORT, cg_net_set_port_sharing): the
 * kernel tells their datagrams apart by the gateway's address, on sockets
 * connected to it. That works for one VPN per gateway address in a
 * network namespace; this claim says which one. It is an abstract Unix
 * socket named after the gateway: the name lives in the network namespace
 * and goes away with its holder, however that ends. Returns -1 with errno
 * EADDRINUSE when another service holds it. */
static int
claim_gateway(GInetAddress *gateway)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    g_autofree char *address = g_inet_address_to_string(gateway);
    /* sun_path[0] stays NUL: the abstract namespace */
    int n
        = g_snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "cygnet/ike-gateway/%s", address);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (gsize)n);
    if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The engine, on 500/4500 shared with the other VPNs' services when no
 * other one talks to this gateway, else on free ports (an initiator may
 * use any source port, RFC 7296 2.11; the gateway then sees a NAT). */
static CgEngine *
new_engine(NmCygnetPlugin *self, GInetAddress *gateway, GError **error)
{
    CgEngineOptions options;
    cg_engine_options_init(&options);
    options.kernel_backend = self->settings->dataplane;
    g_autofree char *address = g_inet_address_to_string(gateway);

    if (self->gateway_claim < 0)
        self->gateway_claim = claim_gateway(gateway);
    if (self->gateway_claim < 0) {
        if (errno == EADDRINUSE)
            cg_info(log_name(self),
                    "another VPN in this network namespace uses ports %u and %u towards %s: "
                    "this one uses free local ports",
                    options.ike_port, options.natt_port, address);
        else
            cg_warn(log_name(self),
                    "cannot claim ports %u and %u towards %s (%s): using free "
                    "local ports",
                    options.ike_port, options.natt_port, address, g_strerror(errno));
        options.ike_port = 0;
        options.natt_port = 0;
    }
    gboolean shared = options.ike_port != 0;
    cg_net_set_port_sharing(shared);
    g_autoptr(GError) shared_error = NULL;
    CgEngine *engine = cg_engine_new(&options, shared ? &shared_error : error);
    if (engine || !shared)
        return engine;
    /* another program holds 500 or 4500 without sharing it */
    if (!g_error_matches(shared_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)
        && !g_error_matches(shared_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)) {
        g_propagate_error(error, g_steal_pointer(&shared_error));
        return NULL;
    }
    cg_warn(log_name(self), "ports %u and %u are not available (%s): using free local ports",
            options.ike_port, options.natt_port, shared_error->message);
    cg_net_set_port_sharing(FALSE);
    close(self->gateway_claim);
    self->gateway_claim = -1;
    options.ike_port = 0;
    options.natt_port = 0;
    return cg_engine_new(&options, error);
}

/* gateway: the address the ports are claimed for (the first one tried);
 * remote: what the engine initiates to, the gateway's name or literal (a
 * name: the engine tries its addresses in turn, key address-family). */
static gboolean
start_ike(NmCygnetPlugin *self, GInetAddress *gateway, const char *remote, GError **error)
{
    self->engine = new_engine(self, gateway, error);
    if (!self->engine)
        return FALSE;
    self->subscription = cg_engine_subscribe(self->engine, on_engine_event, self);
    g_autoptr(GError) control_error = NULL;
    if (!nm_cygnet_control_start(self->engine, self->bus_name, &control_error))
        cg_warn(log_name(self), "control socket: %s", control_error->message);

    g_autoptr(CgConnConfig) conn
        = nm_cygnet_settings_to_conn(self->settings, self->conn_name, error);
    if (!conn || !cg_engine_load_connection(self->engine, conn, error))
        return FALSE;
    g_autofree char *address = g_inet_address_to_string(gateway);
    cg_info(log_name(self),
            "connecting '%s' to %s (%s) port %u from local ports %u and %u%s, auth %s%s",
            self->conn_id, self->settings->gateway, address, self->settings->port,
            cg_engine_get_ike_port(self->engine), cg_engine_get_natt_port(self->engine),
            self->gateway_claim >= 0 ? " (shared with other VPNs)" : "", self->settings->auth,
            self->settings->system_cas ? ", the gateway checked against the system's CAs" : "");
    self->phase = PHASE_CONNECTING;
    self->ike_id = cg_engine_initiate(self->engine, self->conn_name, NULL, remote, error);
    return self->ike_id != 0;
}

static void
on_resolved(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(NmCygnetPlugin) self = user_data;
    g_autoptr(GError) error = NULL;
    GList *addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    g_clear_object(&self->resolving);
    if (!addresses) {
        g_autofree char *m = g_strdup_printf("cannot resolve the gateway '%s': %s",
                                             self->settings->gateway, error->message);
        fail_connecting(self, CG_REASON_PEER_UNREACHABLE, m);
        return;
    }
    g_autoptr(GPtrArray) ordered = cg_family_order(addresses, self->settings->conn->address_family);
    g_resolver_free_addresses(addresses);
    if (ordered->len == 0) {
        g_autofree char *m = g_strdup_printf(
            "the gateway '%s' has no address allowed by address-family %s", self->settings->gateway,
            cg_family_pref_to_string(self->settings->conn->address_family));
        fail_connecting(self, CG_REASON_PEER_UNREACHABLE, m);
        return;
    }
    if (!start_ike(self, ordered->pdata[0], self->settings->gateway, &error))
        fail_connecting(self, CG_REASON_LOCAL_ERROR, error->message);
}

static gboolean
begin_resolve(NmCygnetPlugin *self, GError **error)
{
    g_autoptr(GInetAddress) literal = g_inet_address_new_from_string(self->settings->gateway);
    if (literal)
        return start_ike(self, literal, self->settings->gateway, error);
    self->phase = PHASE_RESOLVING;
    self->resolving = g_cancellable_new();
    g_autoptr(GResolver) resolver = g_resolver_get_default();
    g_resolver_lookup_by_name_async(resolver, self->settings->gateway, self->resolving, on_resolved,
                                    g_object_ref(self));
    return TRUE;
}

/* ---- NMVpnServicePlugin ------------------------------------------------------ */

static void
add_item(const char *key, const char *value, gpointer table)
{
    g_hash_table_insert(table, g_strdup(key), g_strdup(value));
}

static void
wipe_string(gpointer text)
{
    if (text)
        memset(text, 0, strlen(text));
    g_free(text);
}

/* Copies of the items of vpn.data or vpn.secrets (libnm hands its keys
 * out only for the duration of the iteration); secrets are wiped when
 * the table goes. */
static GHashTable *
vpn_items(NMSettingVpn *s_vpn, gboolean secrets)
{
    GHashTable *table
        = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, secrets ? wipe_string : g_free);
    if (secrets)
        nm_setting_vpn_foreach_secret(s_vpn, add_item, table);
    else
        nm_setting_vpn_foreach_data_item(s_vpn, add_item, table);
    return table;
}

/* Connect or NewSecrets cannot go on: the reply carries cause's message
 * (NetworkManager logs it), in the VPN plugin error domain NetworkManager
 * knows, with code. */
static gboolean
refuse(NmCygnetPlugin *self, NMVpnPluginError code, GError *cause, GError **error)
{
    cg_warn(log_name(self), "cannot connect: %s", cause->message);
    g_set_error(error, NM_VPN_PLUGIN_ERROR, code, "%s", cause->message);
    clear_attempt(self);
    return FALSE;
}

static gboolean
bad_settings(NmCygnetPlugin *self, GError *cause, GError **error)
{
    return refuse(self, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS, cause, error);
}

/* What the dialog shows when the service asks mid-connect. */
static const char *
secret_prompt(const char *key)
{
    if (strcmp(key, NM_CYGNET_SECRET_PASSWORD) == 0)
        return _("A password is required");
    if (strcmp(key, NM_CYGNET_SECRET_PIN) == 0)
        return _("The token's PIN is required");
    if (strcmp(key, NM_CYGNET_SECRET_KEY_PASSPHRASE) == 0)
        return _("The private key's passphrase is required");
    return _("A pre-shared key is required");
}

static gboolean
emit_secrets_required(gpointer data)
{
    g_autoptr(NmCygnetPlugin) self = data;
    if (self->phase != PHASE_NEED_SECRETS || !self->settings)
        return G_SOURCE_REMOVE;
    const char *key = nm_cygnet_settings_missing_secret(self->settings);
    if (!key)
        return G_SOURCE_REMOVE;
    const char *hints[] = { key, NULL };
    const char *what = strcmp(key, NM_CYGNET_SECRET_PSK) == 0        ? "pre-shared key"
                       : strcmp(key, NM_CYGNET_SECRET_PASSWORD) == 0 ? "EAP password"
                       : strcmp(key, NM_CYGNET_SECRET_PIN) == 0      ? "token PIN"
                                                                     : "private key passphrase";
    cg_info(log_name(self), "asking NetworkManager for the %s ('%s')", what, key);
    nm_vpn_service_plugin_secrets_required(NM_VPN_SERVICE_PLUGIN(self), secret_prompt(key), hints);
    return G_SOURCE_REMOVE;
}

/* The engine's name of a connection: NetworkManager's, made of the
 * characters the engine allows (one engine per process, so it need not
 * be unique). */
static char *
engine_name(const char *id)
{
    GString *name = g_string_new(NULL);
    for (const char *p = id ? id : ""; *p && name->len < 64; p++) {
        gboolean ok = g_ascii_isalnum(*p) || strchr("_.:@+-", *p) != NULL;
        g_string_append_c(name, ok ? *p : '_');
    }
    if (!name->len)
        g_string_append(name, "vpn");
    return g_string_free(name, FALSE);
}

static gboolean
start_connect(NmCygnetPlugin *self, NMConnection *connection, gboolean interactive, GError **error)
{
    clear_attempt(self);
    self->attempt_started_us = g_get_monotonic_time();
    self->conn_name = engine_name(nm_connection_get_id(connection));
    self->conn_uuid = g_strdup(nm_connection_get_uuid(connection));
    self->conn_id
        = g_strdup(nm_connection_get_id(connection) ? nm_connection_get_id(connection) : "?");
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    if (!s_vpn) {
        g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_INVALID_CONNECTION,
                            _("the connection has no VPN setting"));
        return FALSE;
    }
    g_autoptr(GHashTable) data = vpn_items(s_vpn, FALSE);
    g_autoptr(GHashTable) secrets = vpn_items(s_vpn, TRUE);
    g_autoptr(GError) local_error = NULL;
    self->settings = nm_cygnet_settings_parse(data, secrets, &local_error);
    if (!self->settings)
        return bad_settings(self, local_error, error);

    NMSettingIPConfig *s_ip4 = nm_connection_get_setting_ip4_config(connection);
    NMSettingIPConfig *s_ip6 = nm_connection_get_setting_ip6_config(connection);
    self->never_default4 = s_ip4 && nm_setting_ip_config_get_never_default(s_ip4);
    self->never_default6 = s_ip6 && nm_setting_ip_config_get_never_default(s_ip6);

    const char *missing = nm_cygnet_settings_missing_secret(self->settings);
    if (missing) {
        if (!interactive) {
            g_set_error(&local_error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_MISSING,
                        "vpn.secrets key '%s': required for auth=%s, but missing", missing,
                        self->settings->auth);
            return bad_settings(self, local_error, error);
        }
        /* after Connect has returned, so NetworkManager is listening */
        self->phase = PHASE_NEED_SECRETS;
        g_idle_add(emit_secrets_required, g_object_ref(self));
        return TRUE;
    }
    if (!begin_resolve(self, &local_error))
        return refuse(self, NM_VPN_PLUGIN_ERROR_LAUNCH_FAILED, local_error, error);
    return TRUE;
}

static gboolean
real_connect(NMVpnServicePlugin *plugin, NMConnection *connection, GError **error)
{
    return start_connect(NM_CYGNET_PLUGIN(plugin), connection, FALSE, error);
}

static gboolean
real_connect_interactive(NMVpnServicePlugin *plugin, NMConnection *connection, GVariant *details,
                         GError **error)
{
    return start_connect(NM_CYGNET_PLUGIN(plugin), connection, TRUE, error);
}

static gboolean
real_need_secrets(NMVpnServicePlugin *plugin, NMConnection *connection, const char **setting_name,
                  GError **error)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    if (!s_vpn) {
        g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_INVALID_CONNECTION,
                            _("the connection has no VPN setting"));
        return FALSE;
    }
    /* which secret depends on the method (and, for a certificate, on
     * where it lives); settings Connect will refuse are its business */
    g_autoptr(GHashTable) data = vpn_items(s_vpn, FALSE);
    g_autoptr(GHashTable) secrets = vpn_items(s_vpn, TRUE);
    g_autoptr(NmCygnetSettings) settings = nm_cygnet_settings_parse(data, secrets, NULL);
    const char *key = settings ? nm_cygnet_settings_missing_secret(settings) : NULL;
    if (!key)
        return FALSE;
    NMSettingSecretFlags flags = NM_SETTING_SECRET_FLAG_NONE;
    nm_setting_get_secret_flags(NM_SETTING(s_vpn), key, &flags, NULL);
    if (flags & NM_SETTING_SECRET_FLAG_NOT_REQUIRED)
        return FALSE;
    *setting_name = NM_SETTING_VPN_SETTING_NAME;
    return TRUE;
}

static gboolean
real_new_secrets(NMVpnServicePlugin *plugin, NMConnection *connection, GError **error)
{
    NmCygnetPlugin *self = NM_CYGNET_PLUGIN(plugin);
    if (self->phase != PHASE_NEED_SECRETS || !self->settings) {
        g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_WRONG_STATE,
                            _("no secrets were asked for"));
        return FALSE;
    }
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    g_autoptr(GHashTable) secrets = s_vpn ? vpn_items(s_vpn, TRUE) : NULL;
    g_autoptr(GError) local_error = NULL;
    if (!nm_cygnet_settings_update_secrets(self->settings, secrets, &local_error))
        return bad_settings(self, local_error, error);
    const char *missing = nm_cygnet_settings_missing_secret(self->settings);
    if (missing) {
        g_set_error(&local_error, NM_CYGNET_SETTINGS_ERROR, NM_CYGNET_SETTINGS_ERROR_MISSING,
                    "vpn.secrets key '%s': still missing after NewSecrets", missing);
        return bad_settings(self, local_error, error);
    }
    if (!begin_resolve(self, &local_error))
        return refuse(self, NM_VPN_PLUGIN_ERROR_LAUNCH_FAILED, local_error, error);
    return TRUE;
}

static gboolean
real_disconnect(NMVpnServicePlugin *plugin, GError **error)
{
    NmCygnetPlugin *self = NM_CYGNET_PLUGIN(plugin);
    if (self->phase != PHASE_IDLE)
        cg_info(log_name(self), "disconnecting '%s'", self->conn_id ? self->conn_id : "?");
    clear_attempt(self);
    return TRUE;
}

/* ---- GObject ------------------------------------------------------------------- */

static void
nm_cygnet_plugin_init(NmCygnetPlugin *self)
{
    self->retired = g_array_new(FALSE, TRUE, sizeof(RetiredEngine));
    self->gateway_claim = -1;
}

static void
nm_cygnet_plugin_dispose(GObject *object)
{
    NmCygnetPlugin *self = NM_CYGNET_PLUGIN(object);
    G_OBJECT_CLASS(nm_cygnet_plugin_parent_class)->dispose(object);
    clear_attempt(self);
    g_clear_handle_id(&self->retire_timer, g_source_remove);
    for (guint i = 0; self->retired && i < self->retired->len; i++) {
        CgEngine *engine = g_array_index(self->retired, RetiredEngine, i).engine;
        nm_cygnet_control_stop(engine);
        cg_engine_free(engine);
    }
    g_clear_pointer(&self->retired, g_array_unref);
}

static void
nm_cygnet_plugin_finalize(GObject *object)
{
    NmCygnetPlugin *self = NM_CYGNET_PLUGIN(object);
    g_free(self->bus_name);
    G_OBJECT_CLASS(nm_cygnet_plugin_parent_class)->finalize(object);
}

static void
nm_cygnet_plugin_class_init(NmCygnetPluginClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    NMVpnServicePluginClass *plugin_class = NM_VPN_SERVICE_PLUGIN_CLASS(klass);
    object_class->dispose = nm_cygnet_plugin_dispose;
    object_class->finalize = nm_cygnet_plugin_finalize;
    plugin_class->connect = real_connect;
    plugin_class->connect_interactive = real_connect_interactive;
    plugin_class->need_secrets = real_need_secrets;
    plugin_class->new_secrets = real_new_secrets;
    plugin_class->disconnect = real_disconnect;
}

NmCygnetPlugin *
nm_cygnet_plugin_new(const char *bus_name, gboolean watch_peer, GError **error)
{
    NmCygnetPlugin *self = g_initable_new(NM_CYGNET_TYPE_PLUGIN, NULL, error,
                                          NM_VPN_SERVICE_PLUGIN_DBUS_SERVICE_NAME, bus_name,
                                          NM_VPN_SERVICE_PLUGIN_DBUS_WATCH_PEER, watch_peer, NULL);
    if (self)
        self->bus_name = g_strdup(bus_name);
    return self;
}

void
nm_cygnet_plugin_shutdown(NmCygnetPlugin *self, guint timeout_ms, GSourceFunc done, gpointer data)
{
    self->shutdown_done = done;
    self->shutdown_data = data;
    if (self->resolving) {
        g_cancellable_cancel(self->resolving);
        g_clear_object(&self->resolving);
    }
    if (self->engine && self->conn_name)
        cg_engine_terminate(self->engine, self->conn_name, NULL, NULL);
    retire_engine(self, timeout_ms);
    /* engines retired earlier get the same bound */
    gint64 deadline_us = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (guint i = 0; i < self->retired->len; i++) {
        RetiredEngine *r = &g_array_index(self->retired, RetiredEngine, i);
        r->deadline_us = MIN(r->deadline_us, deadline_us);
    }
    if (!self->retired->len)
        maybe_finish_shutdown(self);
}
