/* cygnet-policy-decide.c: trusted or not, and what that means for the
 * guarding VPN; never against a choice the user made on this network. */
#include "cygnet-policy-decide.h"

#include <string.h>

PolicyEvent
policy_event_parse(const char *action)
{
    static const char *const network_events[] = {
        "up", "down", "connectivity-change", "dhcp4-change", "dhcp6-change",
    };
    if (!action)
        return POLICY_EVENT_IGNORED;
    for (guint i = 0; i < G_N_ELEMENTS(network_events); i++)
        if (strcmp(action, network_events[i]) == 0)
            return POLICY_EVENT_NETWORK;
    if (strcmp(action, "vpn-up") == 0)
        return POLICY_EVENT_VPN_UP;
    if (strcmp(action, "vpn-pre-down") == 0)
        return POLICY_EVENT_VPN_PRE_DOWN;
    if (strcmp(action, "vpn-down") == 0)
        return POLICY_EVENT_VPN_DOWN;
    return POLICY_EVENT_IGNORED;
}

const PolicyMatch *
policy_trusted_match(const PolicyConfig *c, const PolicyNetwork *net)
{
    for (guint i = 0; i < c->trusted->len; i++) {
        const PolicyMatch *m = c->trusted->pdata[i];
        switch (m->kind) {
            case POLICY_MATCH_CONNECTION:
                if (g_strcmp0(m->value, net->uuid) == 0 || g_strcmp0(m->value, net->id) == 0)
                    return m;
                break;
            case POLICY_MATCH_SSID:
                if (net->ssid && strcmp(m->value, net->ssid) == 0)
                    return m;
                break;
            case POLICY_MATCH_BSSID:
                if (net->bssid && g_ascii_strcasecmp(m->value, net->bssid) == 0)
                    return m;
                break;
            case POLICY_MATCH_TYPE:
                if (g_strcmp0(m->value, net->type) == 0)
                    return m;
                break;
        }
    }
    return NULL;
}

char *
policy_network_describe(const PolicyNetwork *net)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "'%s' (", net->id ? net->id : net->uuid);
    if (net->ssid)
        g_string_append_printf(s, "Wi-Fi '%s'%s%s", net->ssid, net->bssid ? " " : "",
                               net->bssid ? net->bssid : "");
    else
        g_string_append(s, net->type ? net->type : "unknown type");
    if (net->iface)
        g_string_append_printf(s, " on %s", net->iface);
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

static const char *
vpn_state_text(PolicyVpnState vpn)
{
    switch (vpn) {
        case POLICY_VPN_MISSING:
            return "missing";
        case POLICY_VPN_DOWN:
            return "down";
        case POLICY_VPN_ACTIVATING:
            return "coming up";
        case POLICY_VPN_UP:
            return "up";
        case POLICY_VPN_DEACTIVATING:
            return "going down";
    }
    return "?";
}

static void
request(PolicyState *st, PolicyChoice what, gint64 now_us)
{
    st->pending = what;
    st->pending_until_us = now_us + POLICY_PENDING_US;
}

/* "until the network changes": a choice made by hand belongs to the
 * network it was made on. Having no network at all is no change. */
static char *
follow_network(PolicyState *st, const PolicyNetwork *net)
{
    char *note = NULL;
    if (st->network && g_strcmp0(st->network, net->uuid) != 0
        && st->user_choice != POLICY_CHOICE_NONE) {
        note = g_strdup_printf("the network changed from '%s': the VPN taken %s by hand there "
                               "is the policy's again; ",
                               st->network_name ? st->network_name : st->network,
                               policy_choice_name(st->user_choice));
        st->user_choice = POLICY_CHOICE_NONE;
    }
    if (g_strcmp0(st->network, net->uuid) != 0) {
        g_free(st->network);
        st->network = g_strdup(net->uuid);
    }
    g_free(st->network_name);
    st->network_name = g_strdup(net->id ? net->id : net->uuid);
    return note;
}

PolicyAction
policy_decide(const PolicyConfig *c, PolicyState *st, const PolicyNetwork *net, PolicyVpnState vpn,
              gint64 now_us, char **reason)
{
    policy_state_expire(st, now_us);
    if (!net) {
        *reason = g_strdup("no network carries the default route: nothing to decide");
        return POLICY_ACT_NONE;
    }
    if (!net->activated) {
        g_autofree char *what = policy_network_describe(net);
        *reason = g_strdup_printf("network %s is not fully up yet: its 'up' event decides", what);
        return POLICY_ACT_NONE;
    }
    g_autofree char *changed = follow_network(st, net);
    const char *pre = changed ? changed : "";
    g_autofree char *what = policy_network_describe(net);
    if (vpn == POLICY_VPN_MISSING) {
        *reason = g_strdup_printf("%sthe VPN '%s' named in %s does not exist: nothing to do", pre,
                                  c->vpn, c->path);
        return POLICY_ACT_NONE;
    }
    const PolicyMatch *m = policy_trusted_match(c, net);
    if (!m) {
        if (vpn == POLICY_VPN_UP || vpn == POLICY_VPN_ACTIVATING) {
            *reason = g_strdup_printf("%snetwork %s is not trusted and '%s' is %s already", pre,
                                      what, c->vpn, vpn_state_text(vpn));
            return POLICY_ACT_NONE;
        }
        if (st->user_choice == POLICY_CHOICE_DOWN) {
            *reason = g_strdup_printf("%snetwork %s is not trusted, but '%s' was taken down by "
                                      "hand on it: it stays down until the network changes",
                                      pre, what, c->vpn);
            return POLICY_ACT_NONE;
        }
        *reason = g_strdup_printf("%snetwork %s is not trusted (no [trusted] entry matches): "
                                  "bringing '%s' up",
                                  pre, what, c->vpn);
        request(st, POLICY_CHOICE_UP, now_us);
        return POLICY_ACT_UP;
    }
    g_autofree char *why
        = g_strdup_printf("line %u: %s = %s", m->line, policy_match_kind_name(m->kind), m->value);
    if (!c->down_on_trusted) {
        *reason = g_strdup_printf("%snetwork %s is trusted (%s); down-on-trusted = no: '%s' "
                                  "stays %s",
                                  pre, what, why, c->vpn, vpn_state_text(vpn));
        return POLICY_ACT_NONE;
    }
    if (vpn == POLICY_VPN_DOWN || vpn == POLICY_VPN_DEACTIVATING) {
        *reason = g_strdup_printf("%snetwork %s is trusted (%s) and '%s' is %s already", pre, what,
                                  why, c->vpn, vpn_state_text(vpn));
        return POLICY_ACT_NONE;
    }
    if (st->user_choice == POLICY_CHOICE_UP) {
        *reason = g_strdup_printf("%snetwork %s is trusted (%s), but '%s' was brought up by hand "
                                  "on it: it stays up until the network changes",
                                  pre, what, why, c->vpn);
        return POLICY_ACT_NONE;
    }
    *reason
        = g_strdup_printf("%snetwork %s is trusted (%s): taking '%s' down", pre, what, why, c->vpn);
    request(st, POLICY_CHOICE_DOWN, now_us);
    return POLICY_ACT_DOWN;
}

static void
remember_choice(PolicyState *st, const PolicyNetwork *net, PolicyChoice choice)
{
    /* a choice made now replaces whatever was remembered for another network */
    g_free(follow_network(st, net));
    st->user_choice = choice;
}

char *
policy_note_vpn_event(const PolicyConfig *c, PolicyState *st, PolicyEvent event,
                      const PolicyNetwork *net, gint64 now_us)
{
    policy_state_expire(st, now_us);
    g_autofree char *what = net ? policy_network_describe(net) : g_strdup("(none)");
    switch (event) {
        case POLICY_EVENT_VPN_UP:
            if (st->pending == POLICY_CHOICE_UP) {
                st->pending = POLICY_CHOICE_NONE;
                return g_strdup_printf("'%s' is up, as the policy asked", c->vpn);
            }
            if (!net)
                return g_strdup_printf("'%s' is up (no network to remember it for)", c->vpn);
            remember_choice(st, net, POLICY_CHOICE_UP);
            return g_strdup_printf("'%s' was brought up by hand on network %s: the policy leaves "
                                   "it up there until the network changes",
                                   c->vpn, what);
        case POLICY_EVENT_VPN_PRE_DOWN:
            /* NetworkManager says vpn-pre-down only before a clean
             * deactivation: the policy's, the user's, or its network's */
            if (st->pending == POLICY_CHOICE_DOWN) {
                st->going_down_by = POLICY_DOWN_BY_POLICY;
                return g_strdup_printf("'%s' is going down, as the policy asked", c->vpn);
            }
            if (!net || !net->activated) {
                st->going_down_by = POLICY_DOWN_BY_UNKNOWN;
                return g_strdup_printf("'%s' is going down with its network: not a choice to "
                                       "remember",
                                       c->vpn);
            }
            remember_choice(st, net, POLICY_CHOICE_DOWN);
            st->going_down_by = POLICY_DOWN_BY_USER;
            return g_strdup_printf("'%s' was taken down by hand on network %s: it stays down there "
                                   "until the network changes",
                                   c->vpn, what);
        case POLICY_EVENT_VPN_DOWN: {
            PolicyDownBy by = st->going_down_by;
            st->going_down_by = POLICY_DOWN_BY_UNKNOWN;
            if (st->pending == POLICY_CHOICE_DOWN || by == POLICY_DOWN_BY_POLICY) {
                st->pending = POLICY_CHOICE_NONE;
                return g_strdup_printf("'%s' is down, as the policy asked", c->vpn);
            }
            if (by == POLICY_DOWN_BY_USER)
                return g_strdup_printf("'%s' is down, taken down by hand", c->vpn);
            return g_strdup_printf("'%s' is down (it failed or lost its network): the next "
                                   "network event decides again",
                                   c->vpn);
        }
        case POLICY_EVENT_NETWORK:
        case POLICY_EVENT_IGNORED:
            break;
    }
    return NULL;
}
