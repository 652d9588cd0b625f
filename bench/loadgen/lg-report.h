/* lg-report.h: the load generator's report, as text or one JSON line. */
#pragma once

#include "lg-options.h"
#include "lg-stats.h"

G_BEGIN_DECLS

typedef struct {
    const char *kind; /* "result" (after the run), "status" (SIGUSR1), "final" */
    double cpu_s;     /* the load generator's own CPU time, user + system */
    double wall_s;    /* wall time since the first initiate */
    guint64 up_now;   /* IKE_SAs up at this moment */
    guint64 in_flight;
    guint n_ids;
} LgReportExtra;

/* Prints to stdout and flushes (the bench reads it through a pipe). */
void lg_report_print(const LgOptions *opts, const LgStats *stats, const LgReportExtra *extra);

G_END_DECLS
