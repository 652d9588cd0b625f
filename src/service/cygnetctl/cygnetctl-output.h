/* cygnetctl-output.h: what cygnetctl prints for people (tables, colour on
 * a terminal) and for programs (--json). */
#pragma once

#include <stdio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
    gboolean color;
    gboolean json;
} CtlOutput;

/* when: "auto" (a terminal and no NO_COLOR), "always" or "never".
 * FALSE for anything else. */
gboolean ctl_output_init(CtlOutput *out, const char *when, gboolean json);

/* ANSI colour names for ctl_paint; "" without colour. */
#define CTL_BOLD   "1"
#define CTL_DIM    "2"
#define CTL_RED    "31"
#define CTL_GREEN  "32"
#define CTL_YELLOW "33"
#define CTL_CYAN   "36"

/* text painted in colour `sgr` (may be NULL) when colour is on. */
char *ctl_paint(const CtlOutput *out, const char *sgr, const char *text);

/* A table: a header row and aligned columns; cells may carry a colour. */
typedef struct CtlTable CtlTable;
CtlTable *ctl_table_new(const char *const *headers); /* NULL-terminated */
void ctl_table_free(CtlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlTable, ctl_table_free)
/* Starts a row; then one ctl_table_cell per column. */
void ctl_table_row(CtlTable *table);
void ctl_table_cell(CtlTable *table, const char *text, const char *sgr);
void ctl_table_cell_take(CtlTable *table, char *text, const char *sgr);
guint ctl_table_rows(const CtlTable *table);
void ctl_table_print(const CtlTable *table, const CtlOutput *out, FILE *f);

/* Durations for people: "45s", "3m04s", "2h05m", "3d04h". */
char *ctl_format_duration(gint64 seconds);
/* 1234567 -> "1.2 MiB" */
char *ctl_format_bytes(gint64 bytes);
/* A JSON object on one line (pretty = FALSE) or indented. */
void ctl_print_json(FILE *f, JsonObject *object, gboolean pretty);

const char *ctl_state_color(const char *state);

/* The IKE_SAs of a ListSAs/Monitor reply as two tables (IKE_SAs and
 * CHILD_SAs). */
void ctl_print_sas(const CtlOutput *out, FILE *f, JsonArray *sas);
void ctl_print_connections(const CtlOutput *out, FILE *f, JsonArray *connections);
/* One line about an IKE_SA: "home #3 established 10.70.0.1 <-> 10.70.0.2 ..." */
char *ctl_describe_sa(const CtlOutput *out, JsonObject *sa);
/* One line for a Monitor event. */
char *ctl_describe_event(const CtlOutput *out, JsonObject *event);

/* Members that may be absent. */
const char *ctl_json_string(JsonObject *o, const char *name, const char *fallback);
gint64 ctl_json_int(JsonObject *o, const char *name, gint64 fallback);
gboolean ctl_json_bool(JsonObject *o, const char *name);
JsonArray *ctl_json_array(JsonObject *o, const char *name);
/* A string array joined with sep. */
char *ctl_json_join(JsonObject *o, const char *name, const char *sep);

G_END_DECLS
