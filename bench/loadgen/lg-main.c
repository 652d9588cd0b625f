/* lg-main.c: cygnet-loadgen, an IKEv2 handshake load generator built on
 * the engine's initiator and its public API alone.
 *
 * It keeps `window` IKE_SAs in flight against one responder until `count`
 * are established (or `duration` runs out), counting IKE_UP events and
 * failures, and reports established IKE_SAs per second. With --hold it
 * keeps the IKE_SAs up afterwards so a bench can read the responder's
 * memory with them established. See bench/README.md. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/cg-engine.h"
#include "lg-conns.h"
#include "lg-options.h"
#include "lg-report.h"
#include "lg-stats.h"
#include "log/cg-log.h"

/* How long the IKE_SAs still in flight get once --duration has run out,
 * and how long deleting them all at the end may take. */
#define DRAIN_GRACE_MS  10000
#define DELETE_GRACE_MS 10000
/* Runaway failures: stop once this many more than --count have failed. */
#define FAILURE_SLACK 100

typedef enum {
    PHASE_RUNNING,  /* initiating */
    PHASE_DRAINING, /* no new initiations; waiting for the window to empty */
    PHASE_HOLDING,  /* reported; keeping the IKE_SAs up until a signal */
    PHASE_DELETING, /* deleting every IKE_SA before exiting */
    PHASE_DONE,
} Phase;

typedef struct {
    LgOptions opts;
    CgEngine *engine;
    GMainLoop *loop;
    LgStats stats;
    guint n_ids;
    guint next_conn;
    Phase phase;
    GHashTable *in_flight; /* IKE_SA unique id -> gint64* monotonic start */
    GHashTable *up;        /* IKE_SA unique ids that are up */
    GHashTable *deleting;  /* --churn: ids we asked to delete */
    GArray *churn_queue;   /* --churn: ids up, to delete from the main loop */
    guint churn_source;
    guint top_up_source;
    guint finish_source;
    guint timer_source;
    gboolean reported;
    int exit_status;
} Loadgen;

static void finish_run(Loadgen *lg);
static void quit(Loadgen *lg);

static double
cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
           + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
report(Loadgen *lg, const char *kind)
{
    CgEngineStats es;
    cg_engine_get_stats(lg->engine, &es);
    lg->stats.retransmits = es.retransmits;
    LgReportExtra extra = {
        .kind = kind,
        .cpu_s = cpu_seconds(),
        .wall_s
        = lg->stats.started_us ? (g_get_monotonic_time() - lg->stats.started_us) / 1e6 : 0.0,
        .up_now = g_hash_table_size(lg->up),
        .in_flight = g_hash_table_size(lg->in_flight),
        .n_ids = lg->n_ids,
    };
    lg_report_print(&lg->opts, &lg->stats, &extra);
}

/* ---- initiating ------------------------------------------------------- */

static gboolean
want_more(Loadgen *lg)
{
    guint64 in_flight = g_hash_table_size(lg->in_flight);
    return lg->phase == PHASE_RUNNING && in_flight < (guint64)lg->opts.window
           && lg->stats.established + in_flight < (guint64)lg->opts.count;
}

static gboolean
launch_one(Loadgen *lg)
{
    g_autoptr(GError) error = NULL;
    char name[32];
    lg_conn_name(lg->next_conn, name, sizeof(name));
    lg->next_conn = (lg->next_conn + 1) % lg->n_ids;
    gint64 now = g_get_monotonic_time();
    if (!lg->stats.started_us)
        lg->stats.started_us = now;
    guint32 id = cg_engine_initiate(lg->engine, name, NULL, NULL, &error);
    lg->stats.initiated++;
    if (!id) {
        g_printerr("cygnet-loadgen: initiate %s: %s\n", name, error->message);
        lg->stats.failed++;
        lg_stats_count_reason(&lg->stats, "initiate-error");
        return FALSE;
    }
    gint64 *start = g_new(gint64, 1);
    *start = now;
    g_hash_table_insert(lg->in_flight, GUINT_TO_POINTER(id), start);
    return TRUE;
}

static gboolean
on_top_up(gpointer data)
{
    Loadgen *lg = data;
    lg->top_up_source = 0;
    while (want_more(lg)) {
        if (!launch_one(lg)) {
            /* a local error repeats for every attempt: give up */
            lg->exit_status = 1;
            finish_run(lg);
            return G_SOURCE_REMOVE;
        }
    }
    return G_SOURCE_REMOVE;
}

/* Initiating from inside an event callback would re-enter the engine
 * while it publishes: top the window up from the main loop instead. */
static void
schedule_top_up(Loadgen *lg)
{
    if (!lg->top_up_source && want_more(lg))
        lg->top_up_source = g_idle_add(on_top_up, lg);
}

/* ---- ending ----------------------------------------------------------- */

static gboolean
on_quit_timeout(gpointer data)
{
    Loadgen *lg = data;
    lg->timer_source = 0;
    if (lg->phase == PHASE_DELETING)
        g_printerr("cygnet-loadgen: %u IKE_SAs not deleted after %d ms\n",
                   g_hash_table_size(lg->up), DELETE_GRACE_MS);
    quit(lg);
    return G_SOURCE_REMOVE;
}

static void
start_deleting(Loadgen *lg)
{
    lg->phase = PHASE_DELETING;
    g_autoptr(GList) ids = g_hash_table_get_keys(lg->up);
    for (GList *l = ids; l; l = l->next)
        cg_engine_terminate_ike(lg->engine, GPOINTER_TO_UINT(l->data), NULL);
    if (g_hash_table_size(lg->up) == 0) {
        quit(lg);
        return;
    }
    lg->timer_source = g_timeout_add(DELETE_GRACE_MS, on_quit_timeout, lg);
}

static void
quit(Loadgen *lg)
{
    if (lg->timer_source) {
        g_source_remove(lg->timer_source);
        lg->timer_source = 0;
    }
    lg->phase = PHASE_DONE;
    g_main_loop_quit(lg->loop);
}

/* The run is over (count reached, time out, or a local error): report,
 * then hold, delete or quit. */
static void
finish_run(Loadgen *lg)
{
    if (lg->reported)
        return;
    lg->reported = TRUE;
    if (lg->timer_source) {
        g_source_remove(lg->timer_source);
        lg->timer_source = 0;
    }
    if (lg->top_up_source) {
        g_source_remove(lg->top_up_source);
        lg->top_up_source = 0;
    }
    lg->stats.unfinished = g_hash_table_size(lg->in_flight);
    if (lg->stats.established < (guint64)lg->opts.count && lg->exit_status == 0)
        lg->exit_status = 3; /* the report says how far it got */
    report(lg, "result");
    if (lg->opts.hold) {
        lg->phase = PHASE_HOLDING;
        g_printerr("cygnet-loadgen: holding %u IKE_SAs (pid %d); SIGUSR1 prints a status line, "
                   "SIGTERM or SIGINT ends\n",
                   g_hash_table_size(lg->up), (int)getpid());
    } else if (lg->opts.delete_at_end) {
        start_deleting(lg);
    } else {
        quit(lg);
    }
}

static gboolean
on_drain_timeout(gpointer data)
{
    Loadgen *lg = data;
    lg->timer_source = 0;
    finish_run(lg);
    return G_SOURCE_REMOVE;
}

static void
start_draining(Loadgen *lg)
{
    if (lg->phase != PHASE_RUNNING)
        return;
    lg->phase = PHASE_DRAINING;
    if (lg->timer_source)
        g_source_remove(lg->timer_source);
    lg->timer_source = 0;
    if (g_hash_table_size(lg->in_flight) == 0)
        finish_run(lg);
    else
        lg->timer_source = g_timeout_add(DRAIN_GRACE_MS, on_drain_timeout, lg);
}

static gboolean
on_deadline(gpointer data)
{
    Loadgen *lg = data;
    lg->timer_source = 0;
    start_draining(lg);
    return G_SOURCE_REMOVE;
}

static gboolean
on_finish(gpointer data)
{
    Loadgen *lg = data;
    lg->finish_source = 0;
    finish_run(lg);
    return G_SOURCE_REMOVE;
}

static void
check_progress(Loadgen *lg)
{
    if (lg->phase != PHASE_RUNNING && lg->phase != PHASE_DRAINING)
        return;
    if (lg->stats.established >= (guint64)lg->opts.count) {
        /* from the main loop: the CHILD_UP that follows this IKE_UP
         * in the same exchange still gets counted */
        if (!lg->finish_source)
            lg->finish_source = g_idle_add(on_finish, lg);
        return;
    }
    if (lg->phase == PHASE_RUNNING && lg->stats.failed >= (guint64)lg->opts.count + FAILURE_SLACK) {
        g_printerr("cygnet-loadgen: %" G_GUINT64_FORMAT " failures, giving up\n", lg->stats.failed);
        start_draining(lg);
        return;
    }
    if (lg->phase == PHASE_DRAINING && g_hash_table_size(lg->in_flight) == 0) {
        finish_run(lg);
        return;
    }
    schedule_top_up(lg);
}

/* ---- churn ------------------------------------------------------------ */

static gboolean
on_churn(gpointer data)
{
    Loadgen *lg = data;
    lg->churn_source = 0;
    for (guint i = 0; i < lg->churn_queue->len; i++) {
        guint32 id = g_array_index(lg->churn_queue, guint32, i);
        if (g_hash_table_contains(lg->up, GUINT_TO_POINTER(id))
            && cg_engine_terminate_ike(lg->engine, id, NULL))
            g_hash_table_add(lg->deleting, GUINT_TO_POINTER(id));
    }
    g_array_set_size(lg->churn_queue, 0);
    return G_SOURCE_REMOVE;
}

/* Deleting from inside the IKE_UP callback would re-enter the engine
 * (and miss the CHILD_UP that follows): queue it for the main loop. */
static void
queue_churn_delete(Loadgen *lg, guint32 id)
{
    g_array_append_val(lg->churn_queue, id);
    if (!lg->churn_source)
        lg->churn_source = g_idle_add(on_churn, lg);
}

/* ---- events ----------------------------------------------------------- */

static void
on_ike_up(Loadgen *lg, guint32 id)
{
    gint64 *start = g_hash_table_lookup(lg->in_flight, GUINT_TO_POINTER(id));
    if (!start)
        return;
    gint64 now = g_get_monotonic_time();
    gint64 latency = now - *start;
    g_hash_table_remove(lg->in_flight, GUINT_TO_POINTER(id));
    g_hash_table_add(lg->up, GUINT_TO_POINTER(id));
    lg->stats.established++;
    lg->stats.last_up_us = now;
    g_array_append_val(lg->stats.up_times_us, now);
    g_array_append_val(lg->stats.latencies_us, latency);
    if (lg->opts.churn)
        queue_churn_delete(lg, id);
    check_progress(lg);
}

static void
on_ike_down(Loadgen *lg, guint32 id, CgReason reason)
{
    if (g_hash_table_remove(lg->in_flight, GUINT_TO_POINTER(id))) {
        lg->stats.failed++;
        lg_stats_count_reason(&lg->stats, cg_reason_to_string(reason));
    } else if (g_hash_table_remove(lg->up, GUINT_TO_POINTER(id))) {
        gboolean asked = g_hash_table_remove(lg->deleting, GUINT_TO_POINTER(id));
        if (lg->phase != PHASE_DELETING && !asked) {
            g_autofree char *why = g_strconcat("after-up:", cg_reason_to_string(reason), NULL);
            lg->stats.down_after_up++;
            lg_stats_count_reason(&lg->stats, why);
        }
        if (lg->phase == PHASE_DELETING && g_hash_table_size(lg->up) == 0) {
            quit(lg);
            return;
        }
    }
    check_progress(lg);
}

static void
on_event(const CgEvent *ev, gpointer user_data)
{
    Loadgen *lg = user_data;
    switch (ev->type) {
        case CG_EVENT_IKE_UP:
            on_ike_up(lg, ev->ike_unique_id);
            break;
        case CG_EVENT_IKE_DOWN:
            on_ike_down(lg, ev->ike_unique_id, ev->reason);
            break;
        case CG_EVENT_CHILD_UP:
            lg->stats.children++;
            break;
        case CG_EVENT_ERROR:
            lg->stats.errors++;
            break;
        default:
            break;
    }
}

/* ---- signals ---------------------------------------------------------- */

static gboolean
on_stop_signal(gpointer data)
{
    Loadgen *lg = data;
    switch (lg->phase) {
        case PHASE_RUNNING:
        case PHASE_DRAINING:
            lg->exit_status = 130;
            finish_run(lg); /* reports how far it got */
            if (lg->phase == PHASE_HOLDING)
                quit(lg);
            break;
        case PHASE_HOLDING:
            report(lg, "final");
            if (lg->opts.delete_at_end)
                start_deleting(lg);
            else
                quit(lg);
            break;
        case PHASE_DELETING:
        case PHASE_DONE:
            quit(lg);
            break;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
on_status_signal(gpointer data)
{
    report(data, "status");
    return G_SOURCE_CONTINUE;
}

/* ---- main ------------------------------------------------------------- */

static CgEngine *
start_engine(const LgOptions *o, GError **error)
{
    CgLogLevel level;
    if (!cg_log_level_parse(o->log_level, &level)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--log-level: '%s' is not one of error, warning, info, debug, trace",
                    o->log_level);
        return NULL;
    }
    cg_log_set_level(level);
    CgEngineOptions eo;
    cg_engine_options_init(&eo);
    eo.bind_address = o->local_addr;
    eo.ike_port = (guint16)o->local_port;
    eo.natt_port = 0; /* a free port: the bench never floats to NAT-T */
    eo.kernel_backend = "log";
    eo.loadgen_reuse_initiator_dh = !o->fresh_dh;
    return cg_engine_new(&eo, error);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    Loadgen lg = { 0 };
    if (!lg_options_parse(&lg.opts, &argc, &argv, &error)) {
        g_printerr("cygnet-loadgen: %s\n", error->message);
        lg_options_clear(&lg.opts);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    lg.engine = start_engine(&lg.opts, &error);
    if (!lg.engine) {
        g_printerr("cygnet-loadgen: %s\n", error->message);
        lg_options_clear(&lg.opts);
        return 1;
    }
    lg.n_ids = lg.opts.ids > 0 ? (guint)lg.opts.ids : (guint)lg.opts.count;
    if (!lg_conns_load(lg.engine, &lg.opts, lg.n_ids, &error)) {
        g_printerr("cygnet-loadgen: %s\n", error->message);
        cg_engine_free(lg.engine);
        lg_options_clear(&lg.opts);
        return 1;
    }
    lg_stats_init(&lg.stats);
    lg.in_flight = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    lg.up = g_hash_table_new(g_direct_hash, g_direct_equal);
    lg.deleting = g_hash_table_new(g_direct_hash, g_direct_equal);
    lg.churn_queue = g_array_new(FALSE, FALSE, sizeof(guint32));
    lg.loop = g_main_loop_new(NULL, FALSE);
    cg_engine_subscribe(lg.engine, on_event, &lg);
    guint sig_ids[] = {
        g_unix_signal_add(SIGTERM, on_stop_signal, &lg),
        g_unix_signal_add(SIGINT, on_stop_signal, &lg),
        g_unix_signal_add(SIGUSR1, on_status_signal, &lg),
    };

    lg.phase = PHASE_RUNNING;
    lg.timer_source = g_timeout_add((guint)(lg.opts.duration_s * 1000), on_deadline, &lg);
    lg.top_up_source = g_idle_add(on_top_up, &lg);
    g_main_loop_run(lg.loop);

    for (guint i = 0; i < G_N_ELEMENTS(sig_ids); i++)
        g_source_remove(sig_ids[i]);
    if (lg.top_up_source)
        g_source_remove(lg.top_up_source);
    if (lg.finish_source)
        g_source_remove(lg.finish_source);
    if (lg.churn_source)
        g_source_remove(lg.churn_source);
    cg_engine_free(lg.engine);
    g_main_loop_unref(lg.loop);
    g_hash_table_unref(lg.in_flight);
    g_hash_table_unref(lg.up);
    g_hash_table_unref(lg.deleting);
    g_array_unref(lg.churn_queue);
    lg_stats_clear(&lg.stats);
    lg_options_clear(&lg.opts);
    return lg.exit_status;
}
