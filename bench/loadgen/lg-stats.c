/* lg-stats.c: counters, rates and latency percentiles of a load run. */
#include "lg-stats.h"

void
lg_stats_init(LgStats *s)
{
    *s = (LgStats){ 0 };
    s->up_times_us = g_array_new(FALSE, FALSE, sizeof(gint64));
    s->latencies_us = g_array_new(FALSE, FALSE, sizeof(gint64));
    s->failure_reasons = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void
lg_stats_clear(LgStats *s)
{
    g_clear_pointer(&s->up_times_us, g_array_unref);
    g_clear_pointer(&s->latencies_us, g_array_unref);
    g_clear_pointer(&s->failure_reasons, g_hash_table_unref);
}

void
lg_stats_count_reason(LgStats *s, const char *reason)
{
    gpointer old = g_hash_table_lookup(s->failure_reasons, reason);
    g_hash_table_replace(s->failure_reasons, g_strdup(reason),
                         GUINT_TO_POINTER(GPOINTER_TO_UINT(old) + 1));
}

static int
compare_gint64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, in ms. */
static double
percentile_ms(const GArray *sorted_us, double fraction)
{
    if (!sorted_us->len)
        return 0.0;
    guint rank = (guint)(fraction * sorted_us->len + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > sorted_us->len)
        rank = sorted_us->len;
    return g_array_index(sorted_us, gint64, rank - 1) / 1000.0;
}

void
lg_stats_figures(const LgStats *s, double steady_from, double steady_to, LgFigures *out)
{
    *out = (LgFigures){ 0 };
    guint n = s->up_times_us->len;
    if (n == 0)
        return;
    out->elapsed_s = (s->last_up_us - s->started_us) / 1e6;
    out->rate_overall = out->elapsed_s > 0 ? n / out->elapsed_s : 0.0;

    /* The steady part leaves out the ramp-up (the first window still
     * queueing) and the tail (the window draining). */
    guint first = (guint)(steady_from * (n - 1));
    guint last = (guint)(steady_to * (n - 1));
    const gint64 *t = (const gint64 *)s->up_times_us->data;
    if (last > first && t[last] > t[first]) {
        out->steady_count = last - first;
        out->rate_steady = out->steady_count / ((t[last] - t[first]) / 1e6);
    } else {
        out->steady_count = n;
        out->rate_steady = out->rate_overall;
    }

    g_autoptr(GArray) sorted = g_array_copy(s->latencies_us);
    g_array_sort(sorted, compare_gint64);
    out->latency_p50_ms = percentile_ms(sorted, 0.50);
    out->latency_p90_ms = percentile_ms(sorted, 0.90);
    out->latency_p99_ms = percentile_ms(sorted, 0.99);
    out->latency_max_ms = percentile_ms(sorted, 1.0);
}
