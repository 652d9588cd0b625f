/* cg-test-engine-pair.h: two engines in one process, a gateway ("gw")
 * and an initiator ("rw"), each with a recorder of the events its
 * listeners saw; optionally the log lines of both. The tests that drive
 * whole exchanges between them (tests/unit/engine, tests/unit/auth,
 * tests/policy's test-mobike) share it. */
#pragma once

#include <glib.h>

#include "config/cg-config.h"
#include "engine/cg-engine.h"

/* What one engine's listeners saw. */
typedef struct {
    GArray *events;                   /* CgEventType, in order of arrival */
    GArray *reasons;                  /* CgReason, one per entry of events */
    guint32 last_ike_up;              /* IKE_SA unique id of the last IKE_UP */
    guint32 last_child_up;            /* CHILD_SA unique id of the last CHILD_UP */
    guint32 rekeyed_from, rekeyed_to; /* the last IKE_REKEYED: old -> new */
    char *last_down_message;          /* text of the last IKE_DOWN, or NULL */
    CgReason last_auth_failure;       /* reason of the last failed AUTH */
} CgTestRecorder;

typedef struct {
    CgEngine *gw;
    CgEngine *rw;
    CgTestRecorder gw_rec;
    CgTestRecorder rw_rec;
    CgPool *gw_pool;      /* owned by gw; NULL until cg_test_engine_pair_add_pool() */
    GPtrArray *log_lines; /* every engine's; NULL until cg_test_engine_pair_capture_log() */
} CgTestEnginePair;

/* Fills options for an engine on 127.0.0.1 with ephemeral IKE and NAT-T
 * ports and one crypto worker; callers adjust them from there. */
void cg_test_loopback_options(CgEngineOptions *options);

/* Creates both engines (the two options may be one and the same) and subscribes
 * the recorders. */
void cg_test_engine_pair_init(CgTestEnginePair *pair, const CgEngineOptions *gw_options,
                              const CgEngineOptions *rw_options);
/* Frees what is left of the engines (a test may free one early and set
 * it to NULL), the recorders and the captured log. */
void cg_test_engine_pair_clear(CgTestEnginePair *pair);

/* From now on every log line goes into pair->log_lines (and to stderr
 * with CG_TEST_VERBOSE set) until cg_test_engine_pair_clear(). */
void cg_test_engine_pair_capture_log(CgTestEnginePair *pair);
/* How many captured lines hold needle and, unless conn_tag is NULL,
 * conn_tag ("[gw]"). */
guint cg_test_engine_pair_count_log(const CgTestEnginePair *pair, const char *conn_tag,
                                    const char *needle);

/* A pool of that name and range, added to the gateway (as gw_pool). */
void cg_test_engine_pair_add_pool(CgTestEnginePair *pair, const char *name, const char *range);
/* Loads the gateway's connection, then the initiator's; both must load. */
void cg_test_engine_pair_load(CgTestEnginePair *pair, CgConnConfig *gw_config,
                              CgConnConfig *rw_config);

typedef gboolean (*CgTestPairCondition)(CgTestEnginePair *pair);
/* Iterates the default main context until cond holds or timeout_ms
 * passed; returns cond at the end. */
gboolean cg_test_engine_pair_run_until(CgTestEnginePair *pair, CgTestPairCondition cond,
                                       guint timeout_ms);
/* Both sides' recorders hold at least min_count events of that type. */
gboolean cg_test_engine_pair_both_saw(const CgTestEnginePair *pair, CgEventType type,
                                      guint min_count);
/* Each side has one IKE_SA with one CHILD_SA. */
gboolean cg_test_engine_pair_one_child_each(CgTestEnginePair *pair);
/* Both sides saw at least one CHILD_UP. */
gboolean cg_test_engine_pair_children_up(CgTestEnginePair *pair);
/* Initiates the initiator's connection "rw" and asserts that both sides
 * have a CHILD_SA up within timeout_ms; returns the IKE_SA's unique id. */
guint32 cg_test_engine_pair_bring_up(CgTestEnginePair *pair, guint timeout_ms);

/* The engine's one IKE_SA (asserts there is exactly one), owned by the
 * caller. */
CgIkeSnapshot *cg_test_only_sa(CgEngine *engine);
/* The reason of the last event of that type, or CG_REASON_NONE. */
CgReason cg_test_recorder_last_reason(const CgTestRecorder *recorder, CgEventType type);
