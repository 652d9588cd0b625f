/* lg-report.c: the load generator's report. Text for people; with --json
 * one object on one line, so a bench script can read it from a pipe. */
#include "lg-report.h"

#include <stdio.h>

/* A small JSON writer: json-glib prints doubles with 17 digits, a report
 * wants three decimals. Strings come from our own command line and fixed
 * tokens, but are escaped all the same. */
typedef struct {
    GString *out;
    gboolean need_comma;
} JsonOut;

static void
json_key(JsonOut *j, const char *key)
{
    if (j->need_comma)
        g_string_append_c(j->out, ',');
    j->need_comma = TRUE;
    g_string_append_printf(j->out, "\"%s\":", key);
}

static void
json_escaped(GString *out, const char *value)
{
    g_string_append_c(out, '"');
    for (const char *p = value; *p; p++) {
        guchar c = (guchar)*p;
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c < 0x20)
            g_string_append_printf(out, "\\u%04x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
}

static void
add_int(JsonOut *j, const char *key, gint64 value)
{
    json_key(j, key);
    g_string_append_printf(j->out, "%" G_GINT64_FORMAT, value);
}

static void
add_double(JsonOut *j, const char *key, double value)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    json_key(j, key);
    g_string_append(j->out, g_ascii_formatd(buf, sizeof(buf), "%.3f", value));
}

static void
add_bool(JsonOut *j, const char *key, gboolean value)
{
    json_key(j, key);
    g_string_append(j->out, value ? "true" : "false");
}

static void
add_string(JsonOut *j, const char *key, const char *value)
{
    json_key(j, key);
    json_escaped(j->out, value);
}

static void
begin_object(JsonOut *j, const char *key)
{
    if (key)
        json_key(j, key);
    g_string_append_c(j->out, '{');
    j->need_comma = FALSE;
}

static void
end_object(JsonOut *j)
{
    g_string_append_c(j->out, '}');
    j->need_comma = TRUE;
}

static void
print_json(const LgOptions *o, const LgStats *s, const LgFigures *f, const LgReportExtra *x)
{
    JsonOut j = { g_string_new(NULL), FALSE };
    begin_object(&j, NULL);
    add_string(&j, "kind", x->kind);
    add_string(&j, "remote", o->remote_addr);
    add_int(&j, "port", o->remote_port);
    add_string(&j, "ike", o->ike_proposal);
    add_string(&j, "esp", o->esp_proposal);
    add_int(&j, "count", o->count);
    add_int(&j, "window", o->window);
    add_int(&j, "ids", x->n_ids);
    add_bool(&j, "churn", o->churn);
    add_bool(&j, "loadgen_reuses_dh", !o->fresh_dh);
    add_int(&j, "initiated", (gint64)s->initiated);
    add_int(&j, "established", (gint64)s->established);
    add_int(&j, "children", (gint64)s->children);
    add_int(&j, "failed", (gint64)s->failed);
    add_int(&j, "unfinished", (gint64)s->unfinished);
    add_int(&j, "down_after_up", (gint64)s->down_after_up);
    add_int(&j, "errors", (gint64)s->errors);
    add_int(&j, "retransmits", (gint64)s->retransmits);
    add_int(&j, "up_now", (gint64)x->up_now);
    add_int(&j, "in_flight", (gint64)x->in_flight);
    begin_object(&j, "failure_reasons");
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->failure_reasons);
    while (g_hash_table_iter_next(&it, &key, &value))
        add_int(&j, key, GPOINTER_TO_UINT(value));
    end_object(&j);
    add_double(&j, "elapsed_s", f->elapsed_s);
    add_double(&j, "rate_overall", f->rate_overall);
    add_double(&j, "rate_steady", f->rate_steady);
    add_int(&j, "steady_count", (gint64)f->steady_count);
    add_double(&j, "steady_from", o->steady_from);
    add_double(&j, "steady_to", o->steady_to);
    begin_object(&j, "latency_ms");
    add_double(&j, "p50", f->latency_p50_ms);
    add_double(&j, "p90", f->latency_p90_ms);
    add_double(&j, "p99", f->latency_p99_ms);
    add_double(&j, "max", f->latency_max_ms);
    end_object(&j);
    add_double(&j, "loadgen_cpu_s", x->cpu_s);
    add_double(&j, "loadgen_cpu_share", x->wall_s > 0 ? x->cpu_s / x->wall_s : 0.0);
    end_object(&j);
    printf("%s\n", j.out->str);
    g_string_free(j.out, TRUE);
}

static void
print_text(const LgOptions *o, const LgStats *s, const LgFigures *f, const LgReportExtra *x)
{
    if (g_strcmp0(x->kind, "result") != 0) {
        printf("%s: %" G_GUINT64_FORMAT " IKE_SAs up, %" G_GUINT64_FORMAT
               " in flight, %" G_GUINT64_FORMAT " established, %" G_GUINT64_FORMAT
               " failed, %" G_GUINT64_FORMAT " went down after coming up\n",
               x->kind, x->up_now, x->in_flight, s->established, s->failed, s->down_after_up);
        fflush(stdout);
        return;
    }
    printf("responder      %s port %d, %s / %s, window %d, %u identities\n", o->remote_addr,
           o->remote_port, o->ike_proposal, o->esp_proposal, o->window, x->n_ids);
    printf("established    %" G_GUINT64_FORMAT " of %d IKE_SAs (%" G_GUINT64_FORMAT
           " CHILD_SAs) in %.3f s\n",
           s->established, o->count, s->children, f->elapsed_s);
    printf("failed         %" G_GUINT64_FORMAT " (unfinished %" G_GUINT64_FORMAT
           ", down after up %" G_GUINT64_FORMAT ", errors %" G_GUINT64_FORMAT ")\n",
           s->failed, s->unfinished, s->down_after_up, s->errors);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->failure_reasons);
    while (g_hash_table_iter_next(&it, &key, &value))
        printf("  %-12s %u\n", (char *)key, GPOINTER_TO_UINT(value));
    printf("retransmits    %" G_GUINT64_FORMAT "\n", s->retransmits);
    printf("rate           %.1f IKE_SAs/s steady (%.0f%%..%.0f%% of them), %.1f overall\n",
           f->rate_steady, o->steady_from * 100, o->steady_to * 100, f->rate_overall);
    printf("latency        p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", f->latency_p50_ms,
           f->latency_p90_ms, f->latency_p99_ms, f->latency_max_ms);
    printf("loadgen CPU    %.3f s (%.0f%% of one core)%s\n", x->cpu_s,
           x->wall_s > 0 ? 100.0 * x->cpu_s / x->wall_s : 0.0,
           o->fresh_dh ? "" : ", one reused key pair");
    fflush(stdout);
}

void
lg_report_print(const LgOptions *opts, const LgStats *stats, const LgReportExtra *extra)
{
    LgFigures f;
    lg_stats_figures(stats, opts->steady_from, opts->steady_to, &f);
    if (opts->json) {
        print_json(opts, stats, &f, extra);
        fflush(stdout);
    } else {
        print_text(opts, stats, &f, extra);
    }
}
