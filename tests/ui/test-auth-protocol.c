/* test-auth-protocol: the auth dialog's stdin parser, its decisions on
 * what to ask (secret flags, hints, reprompt, keyring) and the external
 * UI keyfile, without a display or a keyring. */
#include "config.h"

#include <string.h>

#include "nm-cygnet-auth-external.h"
#include "nm-cygnet-auth-protocol.h"
#include "nm-cygnet-auth-secrets.h"
#include "nm-cygnet-keys.h"

static CgAuthInput *
parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    CgAuthInput *input = cg_auth_input_parse(text, strlen(text), &error);
    g_assert_no_error(error);
    g_assert_nonnull(input);
    return input;
}

static void
test_parse_basic(void)
{
    g_autoptr(CgAuthInput) input = parse_ok("DATA_KEY=gateway\nDATA_VAL=vpn.example.org\n\n"
                                            "DATA_KEY=psk-flags\nDATA_VAL=1\n\n"
                                            "SECRET_KEY=psk\nSECRET_VAL=s3cret\n\n"
                                            "DONE\n\nQUIT\n\n");
    g_assert_cmpuint(g_hash_table_size(input->data), ==, 2);
    g_assert_cmpstr(g_hash_table_lookup(input->data, "gateway"), ==, "vpn.example.org");
    g_assert_cmpstr(g_hash_table_lookup(input->secrets, "psk"), ==, "s3cret");
}

/* nmcli writes "=" continuation lines and DONE right after the last pair */
static void
test_parse_multiline_and_nmcli_framing(void)
{
    g_autoptr(CgAuthInput) input = parse_ok("DATA_KEY=remote-ts\nDATA_VAL=10.0.0.0/8\n=::/0\n\n"
                                            "SECRET_KEY=psk\nSECRET_VAL=a\n=b\n\nDONE\nQUIT\n");
    g_assert_cmpstr(g_hash_table_lookup(input->data, "remote-ts"), ==, "10.0.0.0/8\n::/0");
    g_assert_cmpstr(g_hash_table_lookup(input->secrets, "psk"), ==, "a\nb");
    g_autoptr(CgAuthInput) empty = parse_ok("DONE\n");
    g_assert_cmpuint(g_hash_table_size(empty->data), ==, 0);
}

static void
expect_protocol_error(const char *text, gsize len, const char *fragment)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgAuthInput) input = cg_auth_input_parse(text, len, &error);
    g_assert_null(input);
    g_assert_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL);
    if (strstr(error->message, fragment) == NULL)
        g_error("'%s' does not contain '%s'", error->message, fragment);
}

static void
test_parse_malformed(void)
{
    expect_protocol_error("DATA_KEY=a\nDATA_VAL=b\n", 22, "without DONE");
    expect_protocol_error("DATA_VAL=b\nDONE\n", 16, "line 1: a value without its key");
    expect_protocol_error("DATA_KEY=a\n\nDONE\n", 17, "line 2: key 'a' has no value");
    expect_protocol_error("=x\nDONE\n", 8, "line 1: a continuation");
    expect_protocol_error("DATA_KEY=a\nSECRET_VAL=b\n\nDONE\n", 30, "line 2: a value without");
    expect_protocol_error("hello\nDONE\n", 11, "line 1: not DATA_KEY=");
    expect_protocol_error("DATA_KEY=\nDATA_VAL=x\n\nDONE\n", 26, "empty key");
    expect_protocol_error("DATA_KEY=a\0b\nDONE\n", 18, "NUL byte");

    /* an over-long line, and too many items */
    g_autoptr(GString) big = g_string_new("DATA_KEY=k\nDATA_VAL=");
    for (guint i = 0; i < CG_AUTH_MAX_LINE_BYTES; i++)
        g_string_append_c(big, 'x');
    g_string_append(big, "\n\nDONE\n");
    expect_protocol_error(big->str, big->len, "line 2 too long (65545 > 65536 bytes)");
    g_autoptr(GString) many = g_string_new(NULL);
    for (guint i = 0; i <= CG_AUTH_MAX_ITEMS; i++)
        g_string_append_printf(many, "DATA_KEY=k%u\nDATA_VAL=v\n\n", i);
    g_string_append(many, "DONE\n");
    expect_protocol_error(many->str, many->len, "more than 512 items");
}

static void
test_output(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_auth_output_secret(out, "psk", "v", &error));
    g_assert_cmpstr(out->str, ==, "psk\nv\n");
    g_assert_false(cg_auth_output_secret(out, "psk", "a\nb", &error));
    g_assert_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL);
    g_assert_null(strstr(error->message, "a\nb"));
}

/* ---- the plan ----------------------------------------------------------- */

typedef struct {
    const char *value; /* what the fake keyring holds for "psk" */
    guint lookups;
} FakeKeyring;

static char *
fake_lookup(const char *uuid, const char *key, gpointer user_data)
{
    FakeKeyring *keyring = user_data;
    keyring->lookups++;
    g_assert_cmpstr(uuid, ==, "uuid-1");
    return keyring->value && strcmp(key, NM_CYGNET_SECRET_PSK) == 0 ? g_strdup(keyring->value)
                                                                    : NULL;
}

typedef struct {
    const char *name;
    const char *flags;  /* psk-flags, NULL: unset */
    const char *secret; /* psk passed on stdin, NULL: none */
    const char *keyring;
    gboolean reprompt;
    const char *hints[3];
    guint expect_items;
    gboolean expect_ask;
    const char *expect_value;
    guint expect_lookups;
} PlanCase;

static const PlanCase plan_cases[] = {
    { "stored, none given", "0", NULL, NULL, FALSE, { NULL }, 1, TRUE, NULL, 0 },
    { "stored, given", "0", "given", NULL, FALSE, { NULL }, 1, FALSE, "given", 0 },
    { "flags unset = stored", NULL, "given", NULL, FALSE, { NULL }, 1, FALSE, "given", 0 },
    { "agent-owned, in keyring", "1", NULL, "kr", FALSE, { NULL }, 1, FALSE, "kr", 1 },
    { "agent-owned, not in keyring", "1", NULL, NULL, FALSE, { NULL }, 1, TRUE, NULL, 1 },
    { "agent-owned, reprompt", "1", NULL, "kr", TRUE, { NULL }, 1, TRUE, "kr", 1 },
    { "not saved: always asked, keyring not read",
      "2",
      NULL,
      "kr",
      FALSE,
      { NULL },
      1,
      TRUE,
      NULL,
      0 },
    { "not required: not asked", "4", NULL, "kr", FALSE, { NULL }, 0, FALSE, NULL, 0 },
    { "not required, hinted mid-connect",
      "4",
      NULL,
      NULL,
      FALSE,
      { "psk", NULL },
      1,
      TRUE,
      NULL,
      0 },
    { "hinted though known", "0", "old", NULL, FALSE, { "psk", NULL }, 1, TRUE, "old", 0 },
    { "message hint only",
      "0",
      "given",
      NULL,
      FALSE,
      { "x-vpn-message:Hello", NULL },
      1,
      FALSE,
      "given",
      0 },
    { "hint of another key", "0", "given", NULL, FALSE, { "otp", NULL }, 0, FALSE, NULL, 0 },
    { "malformed flags = stored", "9", NULL, "kr", FALSE, { NULL }, 1, TRUE, NULL, 0 },
};

static void
test_plan(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(plan_cases); i++) {
        const PlanCase *pc = &plan_cases[i];
        g_test_message("case: %s", pc->name);
        g_autoptr(GString) text = g_string_new("DATA_KEY=gateway\nDATA_VAL=gw\n\n");
        if (pc->flags)
            g_string_append_printf(text, "DATA_KEY=psk-flags\nDATA_VAL=%s\n\n", pc->flags);
        if (pc->secret)
            g_string_append_printf(text, "SECRET_KEY=psk\nSECRET_VAL=%s\n\n", pc->secret);
        g_string_append(text, "DONE\n");
        g_autoptr(CgAuthInput) input = parse_ok(text->str);
        FakeKeyring keyring = { .value = pc->keyring };
        CgAuthRequest request = { .uuid = "uuid-1",
                                  .reprompt = pc->reprompt,
                                  .hints = pc->hints[0] ? pc->hints : NULL,
                                  .lookup = fake_lookup,
                                  .lookup_data = &keyring };
        g_autofree char *message = NULL;
        g_autoptr(GPtrArray) items = cg_auth_plan(input, &request, &message);
        g_assert_cmpuint(items->len, ==, pc->expect_items);
        g_assert_cmpuint(keyring.lookups, ==, pc->expect_lookups);
        g_assert_cmpint(cg_auth_plan_needs_ui(items), ==, pc->expect_ask);
        if (items->len > 0) {
            const CgSecretItem *item = g_ptr_array_index(items, 0);
            g_assert_cmpstr(item->def->key, ==, NM_CYGNET_SECRET_PSK);
            g_assert_cmpstr(item->value, ==, pc->expect_value);
        }
        if (pc->hints[0] && g_str_has_prefix(pc->hints[0], CG_HINT_MESSAGE_PREFIX))
            g_assert_cmpstr(message, ==, "Hello");
        else
            g_assert_null(message);
    }
}

/* which secrets each method asks for, as the service needs them */
typedef struct {
    const char *data;   /* DATA_KEY/DATA_VAL pairs, "key=value;..." */
    const char *expect; /* secret keys asked, in table order, "," separated */
} MethodCase;

static const MethodCase method_cases[] = {
    { "", "psk" },
    { "auth=psk", "psk" },
    { "auth=eap", "password" },
    { "auth=eap;eap-method=mschapv2", "password" },
    { "auth=eap;eap-method=tls;cert=/c.pem;key=/k.pem", "" },
    { "auth=eap;eap-method=tls;pkcs12=/me.p12", "key-passphrase" },
    { "auth=cert;cert=/c.pem;key=/k.pem", "" },
    { "auth=cert;pkcs12=/me.p12", "key-passphrase" },
    { "auth=cert;pkcs11-module=/lib/p11.so;cert-nickname=t:me", "pin" },
    { "auth=cert;pkcs12=/me.p12;key-passphrase-flags=4", "" },
};

static void
test_plan_methods(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(method_cases); i++) {
        const MethodCase *mc = &method_cases[i];
        g_test_message("case: %s", mc->data);
        g_autoptr(GString) text = g_string_new("DATA_KEY=gateway\nDATA_VAL=gw\n\n");
        g_auto(GStrv) pairs = g_strsplit(mc->data, ";", -1);
        for (guint j = 0; pairs[j] && pairs[j][0]; j++) {
            g_auto(GStrv) kv = g_strsplit(pairs[j], "=", 2);
            g_string_append_printf(text, "DATA_KEY=%s\nDATA_VAL=%s\n\n", kv[0], kv[1]);
        }
        g_string_append(text, "DONE\n");
        g_autoptr(CgAuthInput) input = parse_ok(text->str);
        CgAuthRequest request = { .uuid = "uuid-1" };
        g_autofree char *message = NULL;
        g_autoptr(GPtrArray) items = cg_auth_plan(input, &request, &message);
        g_autoptr(GString) asked = g_string_new(NULL);
        for (guint j = 0; j < items->len; j++) {
            const CgSecretItem *item = g_ptr_array_index(items, j);
            g_string_append_printf(asked, "%s%s", j ? "," : "", item->def->key);
        }
        g_assert_cmpstr(asked->str, ==, mc->expect);
    }
}

/* every secret of the keys header has a row, with its flags key */
static void
test_secret_table(void)
{
    static const char *const secret_keys[] = { NM_CYGNET_SECRET_KEYS, NULL };
    static const char *const data_keys[] = { NM_CYGNET_DATA_KEYS, NULL };
    gsize n_defs = 0;
    cg_secret_defs(&n_defs);
    g_assert_cmpuint(n_defs, ==, g_strv_length((char **)secret_keys));
    for (gsize i = 0; secret_keys[i]; i++) {
        const CgSecretDef *def = cg_secret_def_find(secret_keys[i]);
        g_assert_nonnull(def);
        g_assert_true(g_strv_contains(data_keys, def->flags_key));
    }
}

static void
test_external_keyfile(void)
{
    g_autoptr(CgAuthInput) input = parse_ok("DATA_KEY=psk-flags\nDATA_VAL=1\n\nDONE\n");
    FakeKeyring keyring = { .value = "from=keyring;\nx" };
    CgAuthRequest request = { .uuid = "uuid-1", .lookup = fake_lookup, .lookup_data = &keyring };
    g_autofree char *message = NULL;
    g_autoptr(GPtrArray) items = cg_auth_plan(input, &request, &message);
    gsize length = 0;
    g_autofree char *text = cg_auth_external_describe("T", "D", items, &length);

    /* read back the way nmcli and GNOME Shell do */
    g_autoptr(GKeyFile) keyfile = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(g_key_file_load_from_data(keyfile, text, length, G_KEY_FILE_NONE, &error));
    g_auto(GStrv) groups = g_key_file_get_groups(keyfile, NULL);
    g_assert_cmpstr(groups[0], ==, CG_EXTERNAL_UI_GROUP);
    g_assert_cmpstr(groups[1], ==, "psk");
    g_assert_null(groups[2]);
    g_autofree char *title = g_key_file_get_string(keyfile, CG_EXTERNAL_UI_GROUP, "Title", NULL);
    g_assert_cmpstr(title, ==, "T");
    g_autofree char *value = g_key_file_get_string(keyfile, "psk", "Value", NULL);
    g_assert_cmpstr(value, ==, "from=keyring;\nx");
    g_assert_true(g_key_file_get_boolean(keyfile, "psk", "IsSecret", NULL));
    g_assert_false(g_key_file_get_boolean(keyfile, "psk", "ShouldAsk", NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/auth/parse/basic", test_parse_basic);
    g_test_add_func("/auth/parse/multiline", test_parse_multiline_and_nmcli_framing);
    g_test_add_func("/auth/parse/malformed", test_parse_malformed);
    g_test_add_func("/auth/output", test_output);
    g_test_add_func("/auth/plan", test_plan);
    g_test_add_func("/auth/plan-methods", test_plan_methods);
    g_test_add_func("/auth/secret-table", test_secret_table);
    g_test_add_func("/auth/external-keyfile", test_external_keyfile);
    return g_test_run();
}
