/* cygnet-policy-state.c: the state key file, written atomically. */
#include "cygnet-policy-state.h"

#define GROUP "state"

const char *
policy_choice_name(PolicyChoice c)
{
    switch (c) {
        case POLICY_CHOICE_NONE:
            return "none";
        case POLICY_CHOICE_UP:
            return "up";
        case POLICY_CHOICE_DOWN:
            return "down";
    }
    return "none";
}

static PolicyChoice
choice_parse(const char *s)
{
    if (g_strcmp0(s, "up") == 0)
        return POLICY_CHOICE_UP;
    if (g_strcmp0(s, "down") == 0)
        return POLICY_CHOICE_DOWN;
    return POLICY_CHOICE_NONE;
}

void
policy_state_free(PolicyState *st)
{
    if (!st)
        return;
    g_free(st->network);
    g_free(st->network_name);
    g_free(st);
}

PolicyState *
policy_state_load(const char *path, char **warning)
{
    PolicyState *st = g_new0(PolicyState, 1);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
        if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) && warning)
            *warning = g_strdup_printf("state file %s ignored: %s", path, error->message);
        return st;
    }
    st->network = g_key_file_get_string(kf, GROUP, "network", NULL);
    st->network_name = g_key_file_get_string(kf, GROUP, "network-name", NULL);
    g_autofree char *choice = g_key_file_get_string(kf, GROUP, "user-choice", NULL);
    g_autofree char *pending = g_key_file_get_string(kf, GROUP, "pending", NULL);
    st->user_choice = choice_parse(choice);
    st->pending = choice_parse(pending);
    st->pending_until_us = g_key_file_get_int64(kf, GROUP, "pending-until-us", NULL);
    g_autofree char *going_down = g_key_file_get_string(kf, GROUP, "going-down-by", NULL);
    if (g_strcmp0(going_down, "policy") == 0)
        st->going_down_by = POLICY_DOWN_BY_POLICY;
    else if (g_strcmp0(going_down, "user") == 0)
        st->going_down_by = POLICY_DOWN_BY_USER;
    if (st->network && !*st->network)
        g_clear_pointer(&st->network, g_free);
    return st;
}

gboolean
policy_state_save(const PolicyState *st, const char *path, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_comment(
        kf, NULL, NULL, " cygnet-policy's memory between dispatcher events (docs/policy.md)", NULL);
    if (st->network)
        g_key_file_set_string(kf, GROUP, "network", st->network);
    if (st->network_name)
        g_key_file_set_string(kf, GROUP, "network-name", st->network_name);
    g_key_file_set_string(kf, GROUP, "user-choice", policy_choice_name(st->user_choice));
    g_key_file_set_string(kf, GROUP, "pending", policy_choice_name(st->pending));
    g_key_file_set_int64(kf, GROUP, "pending-until-us", st->pending_until_us);
    if (st->going_down_by != POLICY_DOWN_BY_UNKNOWN)
        g_key_file_set_string(kf, GROUP, "going-down-by",
                              st->going_down_by == POLICY_DOWN_BY_POLICY ? "policy" : "user");
    gsize len;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
    return g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                    error);
}

void
policy_state_expire(PolicyState *st, gint64 now_us)
{
    if (st->pending != POLICY_CHOICE_NONE && now_us > st->pending_until_us) {
        st->pending = POLICY_CHOICE_NONE;
        st->pending_until_us = 0;
    }
}
