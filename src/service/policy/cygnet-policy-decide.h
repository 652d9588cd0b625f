/* cygnet-policy-decide.h: the decisions, apart from NetworkManager: the
 * facts come in as plain structs, so every rule is unit-tested. */
#pragma once

#include "cygnet-policy-config.h"
#include "cygnet-policy-state.h"

G_BEGIN_DECLS

/* The network the host is on: the non-VPN connection that carries the
 * default route (see cygnet-policy-nm.c). */
typedef struct {
    const char *uuid;
    const char *id;   /* the profile's name */
    const char *type; /* NetworkManager's type: "802-3-ethernet", "802-11-wireless", ... */
    const char *iface;
    const char *ssid;   /* Wi-Fi only, else NULL */
    const char *bssid;  /* Wi-Fi only, upper case, else NULL */
    gboolean activated; /* fully up (not coming up or going down) */
} PolicyNetwork;

typedef enum {
    POLICY_VPN_MISSING = 0, /* no such profile */
    POLICY_VPN_DOWN,
    POLICY_VPN_ACTIVATING,
    POLICY_VPN_UP,
    POLICY_VPN_DEACTIVATING,
} PolicyVpnState;

typedef enum {
    POLICY_ACT_NONE = 0,
    POLICY_ACT_UP,
    POLICY_ACT_DOWN,
} PolicyAction;

/* Dispatcher actions, by what they mean to the policy. */
typedef enum {
    POLICY_EVENT_IGNORED = 0,
    POLICY_EVENT_NETWORK, /* up, down, connectivity-change, dhcp4-change, dhcp6-change */
    POLICY_EVENT_VPN_UP,
    POLICY_EVENT_VPN_PRE_DOWN, /* only for a clean (user or policy) deactivation */
    POLICY_EVENT_VPN_DOWN,
} PolicyEvent;

PolicyEvent policy_event_parse(const char *action);

/* The [trusted] entry that matches net, or NULL. */
const PolicyMatch *policy_trusted_match(const PolicyConfig *c, const PolicyNetwork *net);

/* "'cafe' (ethernet on eth0)" or "'home' (Wi-Fi 'HomeNet' 00:11:...)" */
char *policy_network_describe(const PolicyNetwork *net);

/* A network event: what to do, and why (*reason, always set). Updates
 * st: forgets a choice made by hand on another network, remembers the
 * current one, records a request as pending. net NULL: no network. */
PolicyAction policy_decide(const PolicyConfig *c, PolicyState *st, const PolicyNetwork *net,
                           PolicyVpnState vpn, gint64 now_us, char **reason);

/* A VPN event of the guarding VPN: tells the policy's own requests from
 * the user's choices, which it remembers for the current network.
 * Returns what to log. */
char *policy_note_vpn_event(const PolicyConfig *c, PolicyState *st, PolicyEvent event,
                            const PolicyNetwork *net, gint64 now_us);

G_END_DECLS
