/* cg-test-engine-pair.c: see cg-test-engine-pair.h. */
#include "cg-test-engine-pair.h"

#include <string.h>

#include "cg-test-loop.h"
#include "log/cg-log.h"

void
cg_test_loopback_options(CgEngineOptions *options)
{
    cg_engine_options_init(options);
    options->bind_address = "127.0.0.1";
    options->ike_port = 0;
    options->natt_port = 0;
    options->crypto_workers = 1;
}

static void
record_event(const CgEvent *ev, gpointer user_data)
{
    CgTestRecorder *recorder = user_data;
    CgEventType type = ev->type;
    CgReason reason = ev->reason;
    g_array_append_val(recorder->events, type);
    g_array_append_val(recorder->reasons, reason);
    switch (type) {
        case CG_EVENT_IKE_UP:
            recorder->last_ike_up = ev->ike_unique_id;
            break;
        case CG_EVENT_CHILD_UP:
            recorder->last_child_up = ev->child_unique_id;
            break;
        case CG_EVENT_IKE_REKEYED:
            recorder->rekeyed_from = ev->old_ike_unique_id;
            recorder->rekeyed_to = ev->ike_unique_id;
            break;
        case CG_EVENT_IKE_DOWN:
            g_free(recorder->last_down_message);
            recorder->last_down_message = g_strdup(ev->message);
            break;
        case CG_EVENT_AUTH:
            if (!ev->success)
                recorder->last_auth_failure = reason;
            break;
        default:
            break;
    }
}

static void
recorder_init(CgTestRecorder *recorder)
{
    *recorder = (CgTestRecorder){ 0 };
    recorder->events = g_array_new(FALSE, FALSE, sizeof(CgEventType));
    recorder->reasons = g_array_new(FALSE, FALSE, sizeof(CgReason));
}

static void
recorder_clear(CgTestRecorder *recorder)
{
    g_clear_pointer(&recorder->events, g_array_unref);
    g_clear_pointer(&recorder->reasons, g_array_unref);
    g_clear_pointer(&recorder->last_down_message, g_free);
}

void
cg_test_engine_pair_init(CgTestEnginePair *pair, const CgEngineOptions *gw_options,
                         const CgEngineOptions *rw_options)
{
    g_autoptr(GError) error = NULL;
    *pair = (CgTestEnginePair){ 0 };
    pair->gw = cg_engine_new(gw_options, &error);
    g_assert_no_error(error);
    pair->rw = cg_engine_new(rw_options, &error);
    g_assert_no_error(error);
    recorder_init(&pair->gw_rec);
    recorder_init(&pair->rw_rec);
    cg_engine_subscribe(pair->gw, record_event, &pair->gw_rec);
    cg_engine_subscribe(pair->rw, record_event, &pair->rw_rec);
}

void
cg_test_engine_pair_clear(CgTestEnginePair *pair)
{
    /* the engines first: they may still log and send events */
    g_clear_pointer(&pair->rw, cg_engine_free);
    g_clear_pointer(&pair->gw, cg_engine_free);
    pair->gw_pool = NULL;
    if (pair->log_lines) {
        cg_log_set_sink(NULL, NULL);
        g_clear_pointer(&pair->log_lines, g_ptr_array_unref);
    }
    recorder_clear(&pair->gw_rec);
    recorder_clear(&pair->rw_rec);
}

static void
capture_log_line(CgLogLevel level, const char *conn, const char *line, gpointer user_data)
{
    GPtrArray *log_lines = user_data;
    g_ptr_array_add(log_lines, g_strdup(line));
    if (g_getenv("CG_TEST_VERBOSE"))
        g_printerr("%s\n", line);
}

void
cg_test_engine_pair_capture_log(CgTestEnginePair *pair)
{
    g_assert_null(pair->log_lines);
    pair->log_lines = g_ptr_array_new_with_free_func(g_free);
    cg_log_set_sink(capture_log_line, pair->log_lines);
}

guint
cg_test_engine_pair_count_log(const CgTestEnginePair *pair, const char *conn_tag,
                              const char *needle)
{
    g_assert_nonnull(pair->log_lines);
    guint matching_lines = 0;
    for (guint i = 0; i < pair->log_lines->len; i++) {
        const char *line = pair->log_lines->pdata[i];
        if (strstr(line, needle) && (!conn_tag || strstr(line, conn_tag)))
            matching_lines++;
    }
    return matching_lines;
}

void
cg_test_engine_pair_add_pool(CgTestEnginePair *pair, const char *name, const char *range)
{
    g_autoptr(GError) error = NULL;
    CgPool *pool = cg_pool_new(name, range, &error);
    g_assert_no_error(error);
    g_assert_true(cg_engine_add_pool(pair->gw, pool, &error));
    g_assert_no_error(error);
    pair->gw_pool = pool;
}

void
cg_test_engine_pair_load(CgTestEnginePair *pair, CgConnConfig *gw_config, CgConnConfig *rw_config)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_engine_load_connection(pair->gw, gw_config, &error));
    g_assert_no_error(error);
    g_assert_true(cg_engine_load_connection(pair->rw, rw_config, &error));
    g_assert_no_error(error);
}

gboolean
cg_test_engine_pair_run_until(CgTestEnginePair *pair, CgTestPairCondition cond, guint timeout_ms)
{
    CgTestDeadline deadline;
    cg_test_deadline_start(&deadline, timeout_ms);
    while (!cond(pair) && !cg_test_deadline_passed(&deadline))
        g_main_context_iteration(NULL, TRUE);
    cg_test_deadline_stop(&deadline);
    return cond(pair);
}

gboolean
cg_test_engine_pair_both_saw(const CgTestEnginePair *pair, CgEventType type, guint min_count)
{
    return cg_test_count_events(pair->gw_rec.events, type) >= min_count
           && cg_test_count_events(pair->rw_rec.events, type) >= min_count;
}

static gboolean
one_sa_with_one_child(CgEngine *engine)
{
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(engine, NULL);
    return sas->len == 1 && ((CgIkeSnapshot *)sas->pdata[0])->children->len == 1;
}

gboolean
cg_test_engine_pair_one_child_each(CgTestEnginePair *pair)
{
    return one_sa_with_one_child(pair->rw) && one_sa_with_one_child(pair->gw);
}

gboolean
cg_test_engine_pair_children_up(CgTestEnginePair *pair)
{
    return cg_test_engine_pair_both_saw(pair, CG_EVENT_CHILD_UP, 1);
}

guint32
cg_test_engine_pair_bring_up(CgTestEnginePair *pair, guint timeout_ms)
{
    g_autoptr(GError) error = NULL;
    guint32 ike_unique_id = cg_engine_initiate(pair->rw, "rw", NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(ike_unique_id, >, 0);
    g_assert_true(cg_test_engine_pair_run_until(pair, cg_test_engine_pair_children_up, timeout_ms));
    return ike_unique_id;
}

CgIkeSnapshot *
cg_test_only_sa(CgEngine *engine)
{
    g_autoptr(GPtrArray) sas = cg_engine_list_sas(engine, NULL);
    g_assert_cmpuint(sas->len, ==, 1);
    return g_ptr_array_steal_index(sas, 0);
}

CgReason
cg_test_recorder_last_reason(const CgTestRecorder *recorder, CgEventType type)
{
    for (guint i = recorder->events->len; i > 0; i--)
        if (g_array_index(recorder->events, CgEventType, i - 1) == type)
            return g_array_index(recorder->reasons, CgReason, i - 1);
    return CG_REASON_NONE;
}
