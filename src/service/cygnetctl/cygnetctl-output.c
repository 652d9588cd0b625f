/* cygnetctl-output.c: tables, colour, durations, SA and event lines. */
#include "cygnetctl-output.h"

#include <string.h>
#include <unistd.h>

#define US_PER_S 1000000

gboolean
ctl_output_init(CtlOutput *out, const char *when, gboolean json)
{
    out->json = json;
    if (!when || !strcmp(when, "auto"))
        out->color = isatty(STDOUT_FILENO) && !g_getenv("NO_COLOR")
                     && g_strcmp0(g_getenv("TERM"), "dumb") != 0;
    else if (!strcmp(when, "always"))
        out->color = TRUE;
    else if (!strcmp(when, "never"))
        out->color = FALSE;
    else
        return FALSE;
    return TRUE;
}

char *
ctl_paint(const CtlOutput *out, const char *sgr, const char *text)
{
    if (!out->color || !sgr || !*sgr)
        return g_strdup(text);
    return g_strdup_printf("\033[%sm%s\033[0m", sgr, text);
}

/* ---- JSON members ------------------------------------------------------ */

const char *
ctl_json_string(JsonObject *o, const char *name, const char *fallback)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return fallback;
    return json_node_get_string(n);
}

gint64
ctl_json_int(JsonObject *o, const char *name, gint64 fallback)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return fallback;
    return json_node_get_int(n);
}

gboolean
ctl_json_bool(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN
           && json_node_get_boolean(n);
}

JsonArray *
ctl_json_array(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

char *
ctl_json_join(JsonObject *o, const char *name, const char *sep)
{
    JsonArray *a = ctl_json_array(o, name);
    GString *s = g_string_new(NULL);
    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        JsonNode *n = json_array_get_element(a, i);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            g_string_append_printf(s, "%s%s", s->len ? sep : "", json_node_get_string(n));
    }
    return g_string_free(s, FALSE);
}

/* ---- tables ---------------------------------------------------------- */

typedef struct {
    char *text;
    const char *sgr;
} Cell;

struct CtlTable {
    guint n_columns;
    char **headers;
    GPtrArray *rows; /* GArray of Cell */
};

static void
row_free(gpointer data)
{
    GArray *row = data;
    for (guint i = 0; i < row->len; i++)
        g_free(g_array_index(row, Cell, i).text);
    g_array_unref(row);
}

CtlTable *
ctl_table_new(const char *const *headers)
{
    CtlTable *t = g_new0(CtlTable, 1);
    t->headers = g_strdupv((char **)headers);
    t->n_columns = g_strv_length(t->headers);
    t->rows = g_ptr_array_new_with_free_func(row_free);
    return t;
}

void
ctl_table_free(CtlTable *t)
{
    if (!t)
        return;
    g_strfreev(t->headers);
    g_ptr_array_unref(t->rows);
    g_free(t);
}

void
ctl_table_row(CtlTable *t)
{
    g_ptr_array_add(t->rows, g_array_new(FALSE, TRUE, sizeof(Cell)));
}

void
ctl_table_cell_take(CtlTable *t, char *text, const char *sgr)
{
    GArray *row = g_ptr_array_index(t->rows, t->rows->len - 1);
    Cell c = { .text = text ? text : g_strdup(""), .sgr = sgr };
    g_array_append_val(row, c);
}

void
ctl_table_cell(CtlTable *t, const char *text, const char *sgr)
{
    ctl_table_cell_take(t, g_strdup(text ? text : "-"), sgr);
}

guint
ctl_table_rows(const CtlTable *t)
{
    return t->rows->len;
}

static void
print_cell(const CtlOutput *out, FILE *f, const char *text, const char *sgr, gsize width,
           gboolean last)
{
    g_autofree char *painted = ctl_paint(out, sgr, text);
    fputs(painted, f);
    if (last)
        return;
    for (gsize pad = (gsize)g_utf8_strlen(text, -1); pad < width + 2; pad++)
        fputc(' ', f);
}

void
ctl_table_print(const CtlTable *t, const CtlOutput *out, FILE *f)
{
    g_autofree gsize *widths = g_new0(gsize, t->n_columns);
    for (guint c = 0; c < t->n_columns; c++)
        widths[c] = (gsize)g_utf8_strlen(t->headers[c], -1);
    for (guint r = 0; r < t->rows->len; r++) {
        GArray *row = t->rows->pdata[r];
        for (guint c = 0; c < row->len && c < t->n_columns; c++)
            widths[c] = MAX(widths[c], (gsize)g_utf8_strlen(g_array_index(row, Cell, c).text, -1));
    }
    for (guint c = 0; c < t->n_columns; c++)
        print_cell(out, f, t->headers[c], CTL_BOLD, widths[c], c + 1 == t->n_columns);
    fputc('\n', f);
    for (guint r = 0; r < t->rows->len; r++) {
        GArray *row = t->rows->pdata[r];
        for (guint c = 0; c < row->len && c < t->n_columns; c++) {
            Cell *cell = &g_array_index(row, Cell, c);
            print_cell(out, f, cell->text, cell->sgr, widths[c], c + 1 == row->len);
        }
        fputc('\n', f);
    }
}

/* ---- values ---------------------------------------------------------- */

char *
ctl_format_duration(gint64 s)
{
    const char *sign = s < 0 ? "-" : "";
    s = ABS(s);
    if (s < 60)
        return g_strdup_printf("%s%" G_GINT64_FORMAT "s", sign, s);
    if (s < 3600)
        return g_strdup_printf("%s%" G_GINT64_FORMAT "m%02" G_GINT64_FORMAT "s", sign, s / 60,
                               s % 60);
    if (s < 86400)
        return g_strdup_printf("%s%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", sign, s / 3600,
                               s % 3600 / 60);
    return g_strdup_printf("%s%" G_GINT64_FORMAT "d%02" G_GINT64_FORMAT "h", sign, s / 86400,
                           s % 86400 / 3600);
}

char *
ctl_format_bytes(gint64 bytes)
{
    static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    double v = (double)bytes;
    guint u = 0;
    while (v >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
        v /= 1024;
        u++;
    }
    return u == 0 ? g_strdup_printf("%" G_GINT64_FORMAT " B", bytes)
                  : g_strdup_printf("%.1f %s", v, units[u]);
}

void
ctl_print_json(FILE *f, JsonObject *object, gboolean pretty)
{
    g_autoptr(JsonNode) node = json_node_alloc();
    json_node_init_object(node, object);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, node);
    json_generator_set_pretty(gen, pretty);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    fprintf(f, "%s\n", text);
    fflush(f);
}

const char *
ctl_state_color(const char *state)
{
    if (!g_strcmp0(state, "established") || !g_strcmp0(state, "installed"))
        return CTL_GREEN;
    if (!g_strcmp0(state, "connecting") || !g_strcmp0(state, "rekeying"))
        return CTL_YELLOW;
    return CTL_RED;
}

/* "10.70.0.1[500]" or "-" */
static char *
endpoint(JsonObject *sa, const char *addr, const char *port)
{
    const char *a = ctl_json_string(sa, addr, NULL);
    if (!a)
        return g_strdup("-");
    return g_strdup_printf(strchr(a, ':') ? "[%s]:%" G_GINT64_FORMAT : "%s:%" G_GINT64_FORMAT, a,
                           ctl_json_int(sa, port, 0));
}

/* "12s" since at_us, or "-" */
static char *
age(gint64 at_us, gint64 now_us)
{
    return at_us ? ctl_format_duration((now_us - at_us) / US_PER_S) : g_strdup("-");
}

static char *
in_time(gint64 at_us, gint64 now_us)
{
    return at_us ? ctl_format_duration((at_us - now_us) / US_PER_S) : g_strdup("-");
}

void
ctl_print_sas(const CtlOutput *out, FILE *f, JsonArray *sas)
{
    gint64 now = g_get_real_time();
    static const char *ike_headers[]
        = { "ID",   "CONNECTION", "STATE", "LOCAL", "REMOTE", "REMOTE-ID",
            "AUTH", "PROPOSAL",   "UP",    "REKEY", NULL };
    static const char *child_headers[]
        = { "ID",        "IKE",      "NAME",      "MODE",  "SPI-IN", "SPI-OUT", "LOCAL-TS",
            "REMOTE-TS", "BYTES-IN", "BYTES-OUT", "REKEY", "REQID",  NULL };
    g_autoptr(CtlTable) ike = ctl_table_new(ike_headers);
    g_autoptr(CtlTable) child = ctl_table_new(child_headers);
    for (guint i = 0; sas && i < json_array_get_length(sas); i++) {
        JsonObject *sa = json_array_get_object_element(sas, i);
        const char *state = ctl_json_string(sa, "state", "?");
        ctl_table_row(ike);
        ctl_table_cell_take(ike, g_strdup_printf("%" G_GINT64_FORMAT, ctl_json_int(sa, "id", 0)),
                            NULL);
        ctl_table_cell(ike, ctl_json_string(sa, "connection", "?"), CTL_BOLD);
        ctl_table_cell(ike, state, ctl_state_color(state));
        ctl_table_cell_take(ike, endpoint(sa, "local_address", "local_port"), NULL);
        ctl_table_cell_take(ike, endpoint(sa, "remote_address", "remote_port"), NULL);
        ctl_table_cell(ike, ctl_json_string(sa, "remote_id", "-"), NULL);
        ctl_table_cell_take(ike,
                            g_strdup_printf("%s/%s", ctl_json_string(sa, "local_auth", "-"),
                                            ctl_json_string(sa, "remote_auth", "-")),
                            NULL);
        ctl_table_cell(ike, ctl_json_string(sa, "proposal", "-"), CTL_DIM);
        ctl_table_cell_take(ike, age(ctl_json_int(sa, "established_at_us", 0), now), NULL);
        ctl_table_cell_take(ike, in_time(ctl_json_int(sa, "rekey_at_us", 0), now), NULL);

        JsonArray *children = ctl_json_array(sa, "children");
        for (guint j = 0; children && j < json_array_get_length(children); j++) {
            JsonObject *c = json_array_get_object_element(children, j);
            ctl_table_row(child);
            ctl_table_cell_take(
                child, g_strdup_printf("%" G_GINT64_FORMAT, ctl_json_int(c, "id", 0)), NULL);
            ctl_table_cell_take(
                child, g_strdup_printf("%" G_GINT64_FORMAT, ctl_json_int(sa, "id", 0)), NULL);
            ctl_table_cell(child, ctl_json_string(c, "name", "?"), CTL_BOLD);
            ctl_table_cell(child, ctl_json_string(c, "mode", "?"), NULL);
            ctl_table_cell(child, ctl_json_string(c, "spi_in", "-"), NULL);
            ctl_table_cell(child, ctl_json_string(c, "spi_out", "-"), NULL);
            ctl_table_cell_take(child, ctl_json_join(c, "local_ts", ","), NULL);
            ctl_table_cell_take(child, ctl_json_join(c, "remote_ts", ","), NULL);
            ctl_table_cell_take(child, ctl_format_bytes(ctl_json_int(c, "bytes_in", 0)), NULL);
            ctl_table_cell_take(child, ctl_format_bytes(ctl_json_int(c, "bytes_out", 0)), NULL);
            ctl_table_cell_take(child, in_time(ctl_json_int(c, "rekey_at_us", 0), now), NULL);
            ctl_table_cell_take(
                child, g_strdup_printf("%" G_GINT64_FORMAT, ctl_json_int(c, "reqid", 0)), NULL);
        }
    }
    if (ctl_table_rows(ike) == 0) {
        fprintf(f, "no IKE_SAs\n");
        return;
    }
    ctl_table_print(ike, out, f);
    if (ctl_table_rows(child) > 0) {
        fputc('\n', f);
        ctl_table_print(child, out, f);
    }
}

void
ctl_print_connections(const CtlOutput *out, FILE *f, JsonArray *conns)
{
    static const char *headers[] = { "CONNECTION", "LOCAL",    "REMOTE", "LOCAL-ID", "REMOTE-ID",
                                     "AUTH",       "CHILDREN", "START",  "IKE_SAS",  NULL };
    g_autoptr(CtlTable) t = ctl_table_new(headers);
    for (guint i = 0; conns && i < json_array_get_length(conns); i++) {
        JsonObject *c = json_array_get_object_element(conns, i);
        ctl_table_row(t);
        ctl_table_cell(t, ctl_json_string(c, "name", "?"), CTL_BOLD);
        ctl_table_cell(t, ctl_json_string(c, "local", "%any"), NULL);
        ctl_table_cell(t, ctl_json_string(c, "remote", "%any"), NULL);
        ctl_table_cell(t, ctl_json_string(c, "local_id", "-"), NULL);
        ctl_table_cell(t, ctl_json_string(c, "remote_id", "-"), NULL);
        ctl_table_cell_take(t,
                            g_strdup_printf("%s/%s", ctl_json_string(c, "local_auth", "-"),
                                            ctl_json_string(c, "remote_auth", "-")),
                            NULL);
        GString *names = g_string_new(NULL);
        JsonArray *children = ctl_json_array(c, "children");
        for (guint j = 0; children && j < json_array_get_length(children); j++)
            g_string_append_printf(
                names, "%s%s", names->len ? "," : "",
                ctl_json_string(json_array_get_object_element(children, j), "name", "?"));
        ctl_table_cell_take(t, g_string_free(names, FALSE), NULL);
        ctl_table_cell(t, ctl_json_string(c, "start", "none"), NULL);
        gint64 n = ctl_json_int(c, "ike_sas", 0);
        ctl_table_cell_take(t, g_strdup_printf("%" G_GINT64_FORMAT, n), n ? CTL_GREEN : NULL);
    }
    if (ctl_table_rows(t) == 0)
        fprintf(f, "no connections loaded\n");
    else
        ctl_table_print(t, out, f);
}

char *
ctl_describe_sa(const CtlOutput *out, JsonObject *sa)
{
    const char *state = ctl_json_string(sa, "state", "?");
    g_autofree char *painted = ctl_paint(out, ctl_state_color(state), state);
    g_autofree char *local = endpoint(sa, "local_address", "local_port");
    g_autofree char *remote = endpoint(sa, "remote_address", "remote_port");
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "IKE_SA %s #%" G_GINT64_FORMAT " %s %s [%s] <-> %s [%s]",
                           ctl_json_string(sa, "connection", "?"), ctl_json_int(sa, "id", 0),
                           painted, local, ctl_json_string(sa, "local_id", "-"), remote,
                           ctl_json_string(sa, "remote_id", "-"));
    const char *proposal = ctl_json_string(sa, "proposal", NULL);
    if (proposal)
        g_string_append_printf(s, " %s", proposal);
    g_autofree char *vips = ctl_json_join(sa, "local_vips", ",");
    if (*vips)
        g_string_append_printf(s, " vip %s", vips);
    JsonArray *children = ctl_json_array(sa, "children");
    for (guint j = 0; children && j < json_array_get_length(children); j++) {
        JsonObject *c = json_array_get_object_element(children, j);
        g_autofree char *lts = ctl_json_join(c, "local_ts", ",");
        g_autofree char *rts = ctl_json_join(c, "remote_ts", ",");
        g_string_append_printf(s, "\n    CHILD_SA %s #%" G_GINT64_FORMAT " %s spi %s/%s %s === %s",
                               ctl_json_string(c, "name", "?"), ctl_json_int(c, "id", 0),
                               ctl_json_string(c, "mode", "?"), ctl_json_string(c, "spi_in", "-"),
                               ctl_json_string(c, "spi_out", "-"), lts, rts);
    }
    return g_string_free(s, FALSE);
}

static JsonObject *
find_child(JsonObject *sa, gint64 id)
{
    JsonArray *children = ctl_json_array(sa, "children");
    for (guint j = 0; children && j < json_array_get_length(children); j++) {
        JsonObject *c = json_array_get_object_element(children, j);
        if (ctl_json_int(c, "id", 0) == id)
            return c;
    }
    return NULL;
}

char *
ctl_describe_event(const CtlOutput *out, JsonObject *ev)
{
    const char *kind = ctl_json_string(ev, "kind", "?");
    const char *conn = ctl_json_string(ev, "connection", "-");
    gint64 t = ctl_json_int(ev, "time_us", 0);
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t / US_PER_S);
    g_autofree char *hms = dt ? g_date_time_format(dt, "%H:%M:%S") : g_strdup("--:--:--");
    JsonNode *sa_node = json_object_get_member(ev, "sa");
    JsonObject *sa
        = sa_node && JSON_NODE_HOLDS_OBJECT(sa_node) ? json_node_get_object(sa_node) : NULL;
    gint64 ike_id = ctl_json_int(ev, "ike_id", 0);
    gint64 child_id = ctl_json_int(ev, "child_id", 0);
    const char *color = g_str_has_suffix(kind, "_up")     ? CTL_GREEN
                        : g_str_has_suffix(kind, "_down") ? CTL_RED
                        : !strcmp(kind, "error")          ? CTL_RED
                                                          : CTL_CYAN;
    if (!strcmp(kind, "auth"))
        color = ctl_json_bool(ev, "success") ? CTL_GREEN : CTL_RED;
    g_autofree char *painted = ctl_paint(out, color, kind);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s.%03d %-12s %s", hms, (int)(t % US_PER_S / 1000), conn, painted);

    if (g_str_has_prefix(kind, "ike_")) {
        g_string_append_printf(s, " IKE_SA #%" G_GINT64_FORMAT, ike_id);
        if (!strcmp(kind, "ike_rekeyed"))
            g_string_append_printf(s, " (was #%" G_GINT64_FORMAT ")",
                                   ctl_json_int(ev, "old_ike_id", 0));
        if (!strcmp(kind, "ike_up") && sa) {
            g_autofree char *local = endpoint(sa, "local_address", "local_port");
            g_autofree char *remote = endpoint(sa, "remote_address", "remote_port");
            g_string_append_printf(
                s, " %s [%s] <-> %s [%s] %s", local, ctl_json_string(sa, "local_id", "-"), remote,
                ctl_json_string(sa, "remote_id", "-"), ctl_json_string(sa, "proposal", ""));
        }
    } else if (g_str_has_prefix(kind, "child_")) {
        g_string_append_printf(s, " CHILD_SA %s #%" G_GINT64_FORMAT,
                               ctl_json_string(ev, "child_name", "?"), child_id);
        if (!strcmp(kind, "child_rekeyed"))
            g_string_append_printf(s, " (was #%" G_GINT64_FORMAT ")",
                                   ctl_json_int(ev, "old_child_id", 0));
        JsonObject *c = sa ? find_child(sa, child_id) : NULL;
        if (c && strcmp(kind, "child_down") != 0) {
            g_autofree char *lts = ctl_json_join(c, "local_ts", ",");
            g_autofree char *rts = ctl_json_join(c, "remote_ts", ",");
            g_string_append_printf(s, " spi %s/%s %s === %s", ctl_json_string(c, "spi_in", "-"),
                                   ctl_json_string(c, "spi_out", "-"), lts, rts);
        }
    } else if (ike_id) {
        g_string_append_printf(s, " IKE_SA #%" G_GINT64_FORMAT, ike_id);
    }
    const char *reason = ctl_json_string(ev, "reason", NULL);
    const char *message = ctl_json_string(ev, "message", NULL);
    if (reason)
        g_string_append_printf(s, " (%s)", reason);
    if (message)
        g_string_append_printf(s, ": %s", message);
    return g_string_free(s, FALSE);
}
