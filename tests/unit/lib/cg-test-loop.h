/* cg-test-loop.h: what the in-process engine tests share: driving the
 * main context with a deadline, and building configuration pieces that
 * must parse (a parse failure is a test bug, so it asserts). */
#pragma once

#include <glib.h>

#include "config/cg-config.h"
#include "engine/cg-engine.h"

/* A deadline on the default main context: cg_test_deadline_start() arms
 * it, cg_test_deadline_passed() says whether it fired,
 * cg_test_deadline_stop() disarms it (always call it). */
typedef struct {
    gboolean passed;
    guint source_id;
} CgTestDeadline;

void cg_test_deadline_start(CgTestDeadline *deadline, guint timeout_ms);
gboolean cg_test_deadline_passed(const CgTestDeadline *deadline);
void cg_test_deadline_stop(CgTestDeadline *deadline);

/* Iterates the default main context for ms milliseconds. */
void cg_test_spin(guint ms);

/* How many entries of an array of CgEventType equal type. */
guint cg_test_count_events(const GArray *events, int type);

GArray *cg_test_proposals(const char *text, guint8 proto);
GArray *cg_test_ts_list(const char *text);
void cg_test_set_identity(CgIdentity *id, const char *text);
/* Appends a CHILD_SA config with these selectors (which must parse). */
void cg_test_add_child(CgConnConfig *config, const char *name, const char *local_ts,
                       const char *remote_ts);
/* Replaces the ESP proposals of the connection's last CHILD_SA. */
void cg_test_set_esp_proposals(CgConnConfig *config, const char *esp);
