/* cg-timerq.c: every SA timer of an engine behind one GSource.
 *
 * GLib walks each attached source on every main-loop iteration, so one
 * g_timeout per SA timer makes every packet cost O(number of SAs) (seen
 * with bench/handshake-rate: 16-23% of responder CPU at 3000 SAs). Here
 * the timers sit in a tree ordered by deadline, and a single source
 * becomes ready at the earliest one. */
#include "engine/cg-timerq.h"

typedef struct {
    gint64 deadline_us;
    guint id;
    guint interval_ms;
    GSourceFunc func;
    gpointer data;
} CgTimer;

struct CgTimerQueue {
    GSequence *queue;   /* CgTimer*, by deadline then id */
    GHashTable *by_id;  /* id -> GSequenceIter* */
    GSource *source;
    guint next_id;
    CgTimer *running;   /* the timer whose callback runs now */
    gboolean running_removed;
};

static gint timer_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    const CgTimer *x = a, *y = b;
    if (x->deadline_us != y->deadline_us)
        return x->deadline_us < y->deadline_us ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void update_ready_time(CgTimerQueue *q)
{
    GSequenceIter *first = g_sequence_get_begin_iter(q->queue);
    if (g_sequence_iter_is_end(first)) {
        g_source_set_ready_time(q->source, -1);
        return;
    }
    CgTimer *t = g_sequence_get(first);
    g_source_set_ready_time(q->source, t->deadline_us);
}

static void insert(CgTimerQueue *q, CgTimer *t)
{
    g_hash_table_insert(q->by_id, GUINT_TO_POINTER(t->id),
                        g_sequence_insert_sorted(q->queue, t, timer_cmp, NULL));
}

static gboolean dispatch_due(gpointer data)
{
    CgTimerQueue *q = data;
    gint64 now = g_get_monotonic_time();
    for (;;) {
        GSequenceIter *first = g_sequence_get_begin_iter(q->queue);
        if (g_sequence_iter_is_end(first))
            break;
        CgTimer *t = g_sequence_get(first);
        if (t->deadline_us > now)
            break;
        g_sequence_remove(first);
        g_hash_table_remove(q->by_id, GUINT_TO_POINTER(t->id));
        q->running = t;
        q->running_removed = FALSE;
        gboolean again = t->func(t->data);
        q->running = NULL;
        if (again && !q->running_removed) {
            t->deadline_us = g_get_monotonic_time() + (gint64)t->interval_ms * 1000;
            insert(q, t);
        } else {
            g_free(t);
        }
    }
    update_ready_time(q);
    return G_SOURCE_CONTINUE;
}

static gboolean source_dispatch(GSource *s, GSourceFunc callback, gpointer data)
{
    return callback(data);
}

/* ready time only: nothing to prepare or check */
static GSourceFuncs source_funcs = {.dispatch = source_dispatch};

CgTimerQueue *cg_timerq_new(GMainContext *context)
{
    CgTimerQueue *q = g_new0(CgTimerQueue, 1);
    q->queue = g_sequence_new(NULL); /* timers are freed by hand */
    q->by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
    q->next_id = 1;
    q->source = g_source_new(&source_funcs, sizeof(GSource));
    g_source_set_callback(q->source, dispatch_due, q, NULL);
    g_source_set_ready_time(q->source, -1);
    g_source_attach(q->source, context);
    return q;
}

void cg_timerq_free(CgTimerQueue *q)
{
    if (!q)
        return;
    g_source_destroy(q->source);
    g_source_unref(q->source);
    g_hash_table_unref(q->by_id);
    for (GSequenceIter *it = g_sequence_get_begin_iter(q->queue); !g_sequence_iter_is_end(it);
         it = g_sequence_iter_next(it))
        g_free(g_sequence_get(it));
    g_sequence_free(q->queue);
    g_free(q);
}

guint cg_timerq_add_ms(CgTimerQueue *q, guint interval_ms, GSourceFunc func, gpointer data)
{
    CgTimer *t = g_new0(CgTimer, 1);
    t->id = q->next_id++;
    if (!t->id) /* 0 means "no timer" to callers */
        t->id = q->next_id++;
    t->interval_ms = interval_ms;
    t->deadline_us = g_get_monotonic_time() + (gint64)interval_ms * 1000;
    t->func = func;
    t->data = data;
    insert(q, t);
    update_ready_time(q);
    return t->id;
}

void cg_timerq_remove(CgTimerQueue *q, guint id)
{
    if (!id)
        return;
    if (q->running && q->running->id == id) {
        q->running_removed = TRUE;
        return;
    }
    GSequenceIter *it = g_hash_table_lookup(q->by_id, GUINT_TO_POINTER(id));
    if (!it)
        return;
    g_hash_table_remove(q->by_id, GUINT_TO_POINTER(id));
    g_free(g_sequence_get(it));
    g_sequence_remove(it);
    update_ready_time(q);
}
