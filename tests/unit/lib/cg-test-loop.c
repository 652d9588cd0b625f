/* cg-test-loop.c: see cg-test-loop.h. */
#include "cg-test-loop.h"

static gboolean
on_deadline(gpointer data)
{
    CgTestDeadline *deadline = data;
    deadline->passed = TRUE;
    deadline->source_id = 0;
    return G_SOURCE_REMOVE;
}

void
cg_test_deadline_start(CgTestDeadline *deadline, guint timeout_ms)
{
    deadline->passed = FALSE;
    deadline->source_id = g_timeout_add(timeout_ms, on_deadline, deadline);
}

gboolean
cg_test_deadline_passed(const CgTestDeadline *deadline)
{
    return deadline->passed;
}

void
cg_test_deadline_stop(CgTestDeadline *deadline)
{
    if (deadline->source_id != 0)
        g_source_remove(deadline->source_id);
    deadline->source_id = 0;
}

void
cg_test_spin(guint ms)
{
    CgTestDeadline deadline;
    cg_test_deadline_start(&deadline, ms);
    while (!cg_test_deadline_passed(&deadline))
        g_main_context_iteration(NULL, TRUE);
    cg_test_deadline_stop(&deadline);
}

guint
cg_test_count_events(const GArray *events, int type)
{
    guint n = 0;
    for (guint i = 0; i < events->len; i++)
        if ((int)g_array_index(events, CgEventType, i) == type)
            n++;
    return n;
}

GArray *
cg_test_proposals(const char *text, guint8 proto)
{
    g_autoptr(GError) error = NULL;
    GArray *list = cg_proposal_list_parse(text, proto, &error);
    g_assert_no_error(error);
    return list;
}

GArray *
cg_test_ts_list(const char *text)
{
    g_autoptr(GError) error = NULL;
    GArray *list = cg_ts_list_parse(text, &error);
    g_assert_no_error(error);
    return list;
}

void
cg_test_set_identity(CgIdentity *id, const char *text)
{
    cg_identity_clear(id);
    g_assert_true(cg_identity_parse(text, id, NULL));
}

void
cg_test_add_child(CgConnConfig *config, const char *name, const char *local_ts,
                  const char *remote_ts)
{
    CgChildConfig *child = cg_child_config_new(name);
    g_array_unref(child->local_ts);
    child->local_ts = cg_test_ts_list(local_ts);
    g_array_unref(child->remote_ts);
    child->remote_ts = cg_test_ts_list(remote_ts);
    g_ptr_array_add(config->children, child);
}

void
cg_test_set_esp_proposals(CgConnConfig *config, const char *esp)
{
    g_assert_cmpuint(config->children->len, >, 0);
    CgChildConfig *child = config->children->pdata[config->children->len - 1];
    g_array_unref(child->esp_proposals);
    child->esp_proposals = cg_test_proposals(esp, CG_PROTO_ESP);
}
