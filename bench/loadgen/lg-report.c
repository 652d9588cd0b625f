/* lg-report.c: the load generator's report. Text for people; with --json
 * one object on one line, so a bench script can read it from a pipe. */
#include "lg-report.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

static double round3(double v)
{
    return (gint64)(v * 1000.0 + (v < 0 ? -0.5 : 0.5)) / 1000.0;
}

static void add_int(JsonBuilder *b, const char *key, gint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

static void add_double(JsonBuilder *b, const char *key, double value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_double_value(b, round3(value));
}

static void add_string(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
}

static void print_json(const LgOptions *o, const LgStats *s, const LgFigures *f,
                       const LgReportExtra *x)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_string(b, "kind", x->kind);
    add_string(b, "remote", o->remote_addr);
    add_int(b, "port", o->remote_port);
    add_string(b, "ike", o->ike_proposal);
    add_string(b, "esp", o->esp_proposal);
    add_int(b, "count", o->count);
    add_int(b, "window", o->window);
    add_int(b, "ids", x->n_ids);
    add_int(b, "initiated", (gint64)s->initiated);
    add_int(b, "established", (gint64)s->established);
    add_int(b, "children", (gint64)s->children);
    add_int(b, "failed", (gint64)s->failed);
    add_int(b, "unfinished", (gint64)s->unfinished);
    add_int(b, "down_after_up", (gint64)s->down_after_up);
    add_int(b, "errors", (gint64)s->errors);
    add_int(b, "retransmits", (gint64)s->retransmits);
    add_int(b, "up_now", (gint64)x->up_now);
    add_int(b, "in_flight", (gint64)x->in_flight);
    json_builder_set_member_name(b, "failure_reasons");
    json_builder_begin_object(b);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->failure_reasons);
    while (g_hash_table_iter_next(&it, &key, &value))
        add_int(b, key, GPOINTER_TO_UINT(value));
    json_builder_end_object(b);
    add_double(b, "elapsed_s", f->elapsed_s);
    add_double(b, "rate_overall", f->rate_overall);
    add_double(b, "rate_steady", f->rate_steady);
    add_int(b, "steady_count", (gint64)f->steady_count);
    add_double(b, "steady_from", o->steady_from);
    add_double(b, "steady_to", o->steady_to);
    json_builder_set_member_name(b, "latency_ms");
    json_builder_begin_object(b);
    add_double(b, "p50", f->latency_p50_ms);
    add_double(b, "p90", f->latency_p90_ms);
    add_double(b, "p99", f->latency_p99_ms);
    add_double(b, "max", f->latency_max_ms);
    json_builder_end_object(b);
    add_double(b, "loadgen_cpu_s", x->cpu_s);
    add_double(b, "loadgen_cpu_share", x->wall_s > 0 ? x->cpu_s / x->wall_s : 0.0);
    json_builder_set_member_name(b, "loadgen_reuses_dh");
    json_builder_add_boolean_value(b, !o->fresh_dh);
    json_builder_end_object(b);

    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, FALSE);
    printf("%s\n", text);
}

static void print_text(const LgOptions *o, const LgStats *s, const LgFigures *f,
                       const LgReportExtra *x)
{
    if (g_strcmp0(x->kind, "result") != 0) {
        printf("%s: %" G_GUINT64_FORMAT " IKE_SAs up, %" G_GUINT64_FORMAT " in flight, %"
               G_GUINT64_FORMAT " established, %" G_GUINT64_FORMAT " failed, %" G_GUINT64_FORMAT
               " went down after coming up\n",
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
    printf("latency        p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           f->latency_p50_ms, f->latency_p90_ms, f->latency_p99_ms, f->latency_max_ms);
    printf("loadgen CPU    %.3f s (%.0f%% of one core)%s\n", x->cpu_s,
           x->wall_s > 0 ? 100.0 * x->cpu_s / x->wall_s : 0.0,
           o->fresh_dh ? "" : ", one reused key pair");
    fflush(stdout);
}

void lg_report_print(const LgOptions *opts, const LgStats *stats, const LgReportExtra *extra)
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
