/* lg-stats.h: what the load generator counts, and its report. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gint64 started_us;    /* monotonic: the first initiate */
    gint64 last_up_us;    /* monotonic: the latest IKE_UP */
    GArray *up_times_us;  /* gint64: monotonic time of each IKE_UP, in order */
    GArray *latencies_us; /* gint64: initiate -> IKE_UP of each */
    guint64 initiated;
    guint64 established;         /* IKE_UP */
    guint64 children;            /* CHILD_UP */
    guint64 failed;              /* IKE_DOWN before IKE_UP */
    guint64 down_after_up;       /* IKE_DOWN after IKE_UP (peer delete, ...) */
    guint64 errors;              /* ERROR events (e.g. a refused CHILD_SA) */
    GHashTable *failure_reasons; /* reason token -> count (GUINT_TO_POINTER) */
    guint64 retransmits;         /* the engine's counter, at report time */
    guint64 unfinished;          /* still in flight when the run ended */
} LgStats;

void lg_stats_init(LgStats *s);
void lg_stats_clear(LgStats *s);
void lg_stats_count_reason(LgStats *s, const char *reason);

/* Figures derived from the counters. */
typedef struct {
    double elapsed_s;     /* first initiate -> last IKE_UP */
    double rate_overall;  /* established / elapsed_s */
    double rate_steady;   /* IKE_UPs/s between the steady_from and steady_to marks */
    guint64 steady_count; /* IKE_UPs inside the steady part */
    double latency_p50_ms, latency_p90_ms, latency_p99_ms, latency_max_ms;
} LgFigures;

void lg_stats_figures(const LgStats *s, double steady_from, double steady_to, LgFigures *out);

G_END_DECLS
