/* cg-timerq.h: one GSource for all SA timers of an engine (see cg-timerq.c).
 * Callbacks follow GSourceFunc: G_SOURCE_CONTINUE re-arms the timer with
 * its interval, G_SOURCE_REMOVE ends it. Ids are never 0. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct CgTimerQueue CgTimerQueue;

CgTimerQueue *cg_timerq_new(GMainContext *context);
void cg_timerq_free(CgTimerQueue *q);
guint cg_timerq_add_ms(CgTimerQueue *q, guint interval_ms, GSourceFunc func, gpointer data);
/* removing from inside the timer's own callback is allowed */
void cg_timerq_remove(CgTimerQueue *q, guint id);

G_END_DECLS
