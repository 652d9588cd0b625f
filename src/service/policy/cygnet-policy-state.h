/* cygnet-policy-state.h: what cygnet-policy remembers between two
 * dispatcher events, in a small key file under /run/cygnet-policy (gone
 * at reboot, as it should be): which network the last decision was on,
 * whether the user chose the VPN's state by hand there, and what the
 * policy itself last asked NetworkManager for (so that its own changes
 * are not mistaken for the user's). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    POLICY_CHOICE_NONE = 0,
    POLICY_CHOICE_UP,
    POLICY_CHOICE_DOWN,
} PolicyChoice;

/* who is taking the VPN down (vpn-pre-down) */
typedef enum {
    POLICY_DOWN_BY_UNKNOWN = 0, /* its network, a failure, or no vpn-pre-down seen */
    POLICY_DOWN_BY_POLICY,
    POLICY_DOWN_BY_USER,
} PolicyDownBy;

typedef struct {
    char *network;            /* UUID of the network of the last decision, or NULL */
    char *network_name;       /* its name, for log lines */
    PolicyChoice user_choice; /* set by hand on `network` */
    PolicyChoice pending;     /* what the policy asked NetworkManager for ... */
    gint64 pending_until_us;  /* ... valid until then (real time) */
    /* why the VPN is going down, from vpn-pre-down until vpn-down */
    PolicyDownBy going_down_by;
} PolicyState;

/* How long a request of the policy counts as its own when NetworkManager
 * reports the VPN up or down. */
#define POLICY_PENDING_US (120 * G_USEC_PER_SEC)

const char *policy_choice_name(PolicyChoice c); /* "none", "up", "down" */

/* A missing file is a fresh state; a damaged one is too (*warning says
 * why; the state is only a convenience). */
PolicyState *policy_state_load(const char *path, char **warning);
gboolean policy_state_save(const PolicyState *st, const char *path, GError **error);
void policy_state_free(PolicyState *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PolicyState, policy_state_free)

/* Drops a pending request that has run out. */
void policy_state_expire(PolicyState *st, gint64 now_us);

G_END_DECLS
