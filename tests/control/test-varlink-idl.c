/* test-varlink-idl: the interface file parser and checker, the shipped
 * interface files, and the JSON the server builds from snapshots checked
 * against the declared types. */
#include "config.h"

#include <string.h>

#include "control/cg-control-private.h"
#include "control/cg-varlink-idl.h"

extern const char cg_embedded_io_cygnet_Ike_varlink[];
extern const char cg_embedded_org_varlink_service_varlink[];

static JsonObject *
object_from(const char *json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
    g_assert_no_error(error);
    return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static CgVarlinkInterface *
ike_interface(void)
{
    g_autoptr(GError) error = NULL;
    CgVarlinkInterface *iface
        = cg_varlink_interface_parse(cg_embedded_io_cygnet_Ike_varlink, &error);
    g_assert_no_error(error);
    g_assert_nonnull(iface);
    return iface;
}

static void
test_shipped_files(void)
{
    g_autoptr(CgVarlinkInterface) ike = ike_interface();
    g_assert_cmpstr(cg_varlink_interface_name(ike), ==, "io.cygnet.Ike");
    const char *expected[] = { "GetVersion",      "GetStats", "LoadConnection", "UnloadConnection",
                               "ListConnections", "LoadPool", "Initiate",       "Terminate",
                               "Rekey",           "ListSAs",  "Monitor" };
    const GPtrArray *methods = cg_varlink_interface_methods(ike);
    g_assert_cmpuint(methods->len, ==, G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
        g_assert_cmpstr(methods->pdata[i], ==, expected[i]);
        g_autofree char *full = g_strdup_printf("io.cygnet.Ike.%s", expected[i]);
        g_assert_nonnull(cg_control_find_method(full)); /* every method is carried out */
    }
    g_assert_nonnull(cg_varlink_error_type(ike, "ConnectionNotFound"));
    g_assert_null(cg_varlink_method_input(ike, "ConnectionNotFound"));

    g_autoptr(GError) error = NULL;
    g_autoptr(CgVarlinkInterface) service
        = cg_varlink_interface_parse(cg_embedded_org_varlink_service_varlink, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cg_varlink_interface_name(service), ==, "org.varlink.service");
    g_assert_nonnull(cg_varlink_method_input(service, "GetInterfaceDescription"));
    g_assert_nonnull(cg_varlink_error_type(service, "ExpectedMore"));
}

static void
test_parse_errors(void)
{
    static const struct {
        const char *text;
        const char *message_part;
    } cases[] = {
        { "method Foo() -> ()", "expected 'interface' first" },
        { "interface foo", "reverse-domain" },
        { "interface a.b\nmethod Foo() -> ()\nmethod Foo() -> ()", "declared twice" },
        { "interface a.b\nmethod Foo(x: Bar) -> ()", "'Bar' is used but not declared" },
        { "interface a.b\nmethod foo() -> ()", "uppercase" },
        { "interface a.b\nmethod Foo(x: int, x: int) -> ()", "appears twice" },
        { "interface a.b\nmethod Foo(x: int) ()", "expected '->'" },
        { "interface a.b\ntype T (a, b: int)", "cannot be mixed" },
        { "interface a.b\nmethod Foo(x: ??int) -> ()", "nullable twice" },
        { "interface a.b\nmethod Foo(x: [int]string) -> ()", "'[string]'" },
        { "interface a.b\nmethod Foo(x: int", "expected ','" },
        { "interface a.b\nmethod Foo(_x: int) -> ()", "field or enum name" },
        { "interface a.b\nmethod Foo(x__y: int) -> ()", "field or enum name" },
        { "interface a.b\nerror E (a, b)", "not enum values" },
        { "interface a.b\nbogus", "expected 'type', 'method' or 'error'" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(CgVarlinkInterface) iface = cg_varlink_interface_parse(cases[i].text, &error);
        g_assert_null(iface);
        g_assert_nonnull(error);
        if (!strstr(error->message, cases[i].message_part))
            g_error("case %u: '%s' lacks '%s'", i, error->message, cases[i].message_part);
    }
    /* a deep nesting is refused, not recursed into without end */
    GString *deep = g_string_new("interface a.b\nmethod Foo(x: ");
    for (int i = 0; i < 1000; i++)
        g_string_append(deep, "[]");
    g_string_append(deep, "int) -> ()");
    g_autoptr(GError) error = NULL;
    g_assert_null(cg_varlink_interface_parse(deep->str, &error));
    g_assert_nonnull(strstr(error->message, "nested deeper"));
    g_string_free(deep, TRUE);
}

static void
test_grammar(void)
{
    const char *text = "# comment\ninterface org.example.test # trailing\n"
                       "type T (\n  a: ?[]string, # c\n  b: [string](x, y),\n"
                       "  c: [string](),\n  d: ?(e: float, f: object)\n)\n"
                       "method M(t: T, n: ?int, b: bool) -> (out: []?T)\n"
                       "error E ()\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(CgVarlinkInterface) iface = cg_varlink_interface_parse(text, &error);
    g_assert_no_error(error);
    const CgVarlinkType *in = cg_varlink_method_input(iface, "M");
    static const struct {
        const char *json;
        gboolean ok;
        const char *path;
    } cases[] = {
        { "{\"t\": {\"b\": {}, \"c\": {}}, \"b\": true}", TRUE, NULL },
        { "{\"t\": {\"a\": [\"x\"], \"b\": {\"k\": \"y\"}, \"c\": {\"s\": {}}, "
          "\"d\": {\"e\": 1, \"f\": {\"any\": [1]}}}, \"n\": 3, \"b\": false}",
          TRUE, NULL },
        { "{\"t\": {\"b\": {}, \"c\": {}}, \"b\": true, \"n\": null}", TRUE, NULL },
        { "{\"t\": {\"b\": {}, \"c\": {}}}", FALSE, "b" },
        { "{\"t\": {\"b\": {}, \"c\": {}}, \"b\": 1}", FALSE, "b" },
        { "{\"t\": {\"b\": {}, \"c\": {}}, \"b\": true, \"n\": 1.5}", FALSE, "n" },
        { "{\"t\": {\"b\": {}, \"c\": {}}, \"b\": true, \"n\": \"1\"}", FALSE, "n" },
        { "{\"t\": {\"b\": {}, \"c\": {}}, \"b\": true, \"extra\": 1}", FALSE, "extra" },
        { "{\"t\": {\"b\": {\"k\": \"z\"}, \"c\": {}}, \"b\": true}", FALSE, "t.b.k" },
        { "{\"t\": {\"a\": [\"x\", 2], \"b\": {}, \"c\": {}}, \"b\": true}", FALSE, "t.a[1]" },
        { "{\"t\": {\"b\": {}, \"c\": {}, \"d\": {\"e\": \"1\", \"f\": {}}}, \"b\": true}", FALSE,
          "t.d.e" },
        { "{\"t\": {\"b\": {}, \"c\": {}, \"d\": {\"e\": 1, \"f\": []}}, \"b\": true}", FALSE,
          "t.d.f" },
        { "{\"t\": {\"b\": {}, \"c\": {\"s\": {\"no\": 1}}}, \"b\": true}", FALSE, "t.c.s.no" },
        { "{\"t\": null, \"b\": true}", FALSE, "t" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(JsonObject) params = object_from(cases[i].json);
        g_autofree char *path = NULL;
        const char *why = NULL;
        gboolean ok = cg_varlink_check_parameters(in, params, &path, &why);
        if (ok != cases[i].ok)
            g_error("case %u (%s): got %s (%s %s)", i, cases[i].json, ok ? "ok" : "rejected",
                    path ? path : "", why ? why : "");
        if (!ok)
            g_assert_cmpstr(path, ==, cases[i].path);
    }
    /* an absent parameters object is {} */
    const CgVarlinkType *out = cg_varlink_method_output(iface, "M");
    g_autofree char *path = NULL;
    g_assert_false(cg_varlink_check_parameters(out, NULL, &path, NULL));
    g_assert_cmpstr(path, ==, "out");
    g_autoptr(JsonObject) nullable_elements = object_from("{\"out\": [null]}");
    g_assert_true(cg_varlink_check_parameters(out, nullable_elements, NULL, NULL));
}

static void
test_ike_params(void)
{
    g_autoptr(CgVarlinkInterface) ike = ike_interface();
    const CgVarlinkType *load = cg_varlink_method_input(ike, "LoadConnection");
    g_autoptr(JsonObject) good = object_from(
        "{\"name\": \"a\", \"keys\": {\"remote\": \"10.0.0.1\"}, "
        "\"children\": [{\"name\": \"c\", \"keys\": {\"local-ts\": \"10.0.0.0/8\"}}]}");
    g_assert_true(cg_varlink_check_parameters(load, good, NULL, NULL));
    g_autoptr(JsonObject) bad = object_from(
        "{\"name\": \"a\", \"keys\": {}, \"children\": [{\"name\": \"c\", \"keys\": {\"x\": 5}}]}");
    g_autofree char *path = NULL;
    g_assert_false(cg_varlink_check_parameters(load, bad, &path, NULL));
    g_assert_cmpstr(path, ==, "children[0].keys.x");
}

/* The JSON built from snapshots must match the declared reply types. */
static CgIkeSnapshot *
fake_snapshot(gboolean full)
{
    CgIkeSnapshot *s = g_new0(CgIkeSnapshot, 1);
    s->conn_name = g_strdup("home");
    s->unique_id = 7;
    s->state = CG_IKE_STATE_ESTABLISHED;
    s->initiator = TRUE;
    memset(s->spi_i, 0xab, 8);
    s->local_vips = g_ptr_array_new_with_free_func(g_free);
    s->remote_vips = g_ptr_array_new_with_free_func(g_free);
    s->dns = g_ptr_array_new_with_free_func(g_free);
    s->split_subnets = g_ptr_array_new_with_free_func(g_free);
    s->children = g_ptr_array_new_with_free_func((GDestroyNotify)cg_child_snapshot_free);
    if (!full)
        return s;
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string("10.70.0.1");
    g_autoptr(GInetAddress) b = g_inet_address_new_from_string("fd00::2");
    s->local = G_INET_SOCKET_ADDRESS(g_inet_socket_address_new(a, 500));
    s->remote = G_INET_SOCKET_ADDRESS(g_inet_socket_address_new(b, 4500));
    s->proposal = g_strdup("aes256gcm16-prfsha256-x25519");
    s->local_id = g_strdup("cg.test");
    s->remote_id = g_strdup("ss.test");
    s->local_auth = g_strdup("psk");
    s->remote_auth = g_strdup("pubkey");
    s->peer_cert_der = g_bytes_new_static("\x30\x03\x02\x01\x01", 5);
    s->eap_identity = g_strdup("alice");
    g_ptr_array_add(s->local_vips, g_strdup("10.3.0.1"));
    g_ptr_array_add(s->dns, g_strdup("10.3.0.53"));
    s->established_at = g_get_real_time();
    s->rekey_at = s->established_at + 1000;
    CgChildSnapshot *c = g_new0(CgChildSnapshot, 1);
    c->name = g_strdup("home");
    c->unique_id = 8;
    c->spi_in = 0xc5a0d1e2;
    c->mode = CG_MODE_TRANSPORT;
    c->proposal = g_strdup("aes256gcm16");
    c->local_ts = g_ptr_array_new_with_free_func(g_free);
    c->remote_ts = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(c->local_ts, g_strdup("10.71.0.1/32"));
    c->bytes_in = G_MAXUINT64; /* clamped, not wrapped */
    c->reqid = 1;
    c->mark = 42;
    g_ptr_array_add(s->children, c);
    return s;
}

static void
test_reply_json(void)
{
    g_autoptr(CgVarlinkInterface) ike = ike_interface();
    const CgVarlinkType *list_out = cg_varlink_method_output(ike, "ListSAs");
    const CgVarlinkType *monitor_out = cg_varlink_method_output(ike, "Monitor");
    for (int full = 0; full <= 1; full++) {
        g_autoptr(CgIkeSnapshot) snap = fake_snapshot(full);
        JsonArray *sas = json_array_new();
        json_array_add_object_element(sas, cg_control_json_ike_sa(snap));
        g_autoptr(JsonObject) reply = json_object_new();
        json_object_set_array_member(reply, "sas", sas);
        g_autofree char *path = NULL;
        const char *why = NULL;
        if (!cg_varlink_check_parameters(list_out, reply, &path, &why))
            g_error("ListSAs reply (full=%d): %s %s", full, path, why);
        JsonObject *sa = json_array_get_object_element(sas, 0);
        g_assert_cmpstr(json_object_get_string_member(sa, "spi_i"), ==, "abababababababab");
        if (full) {
            g_assert_cmpstr(json_object_get_string_member(sa, "peer_certificate"), ==, "MAMCAQE=");
            JsonObject *child
                = json_array_get_object_element(json_object_get_array_member(sa, "children"), 0);
            g_assert_cmpstr(json_object_get_string_member(child, "spi_in"), ==, "c5a0d1e2");
            g_assert_cmpint(json_object_get_int_member(child, "bytes_in"), ==, G_MAXINT64);
            g_assert_cmpint(json_object_get_int_member(child, "mark"), ==, 42);
            g_assert_false(json_object_has_member(child, "if_id"));
        }

        /* every event kind, with and without a snapshot */
        for (CgEventType t = CG_EVENT_IKE_UP; t <= CG_EVENT_CONN_UNLOADED; t++) {
            CgEvent ev = { .type = t,
                           .time_us = 1,
                           .conn_name = "home",
                           .ike_unique_id = 7,
                           .reason = full ? CG_REASON_PEER_DELETE : CG_REASON_NONE,
                           .success = TRUE,
                           .message = full ? "why" : NULL,
                           .ike = full ? snap : NULL };
            g_autoptr(JsonObject) params = json_object_new();
            json_object_set_object_member(params, "event", cg_control_json_event(&ev));
            g_clear_pointer(&path, g_free);
            if (!cg_varlink_check_parameters(monitor_out, params, &path, &why))
                g_error("event %d: %s %s", t, path, why);
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/control/idl/shipped-files", test_shipped_files);
    g_test_add_func("/control/idl/parse-errors", test_parse_errors);
    g_test_add_func("/control/idl/grammar", test_grammar);
    g_test_add_func("/control/idl/ike-params", test_ike_params);
    g_test_add_func("/control/idl/reply-json", test_reply_json);
    return g_test_run();
}
