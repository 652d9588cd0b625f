/* nm-cygnet-editor-advanced.c: the Advanced dialog: every vpn.data key
 * a person rarely needs (port, proposals, traffic selectors, timers, data
 * plane, MTU, the gateway's address family, a pinned gateway certificate,
 * a CRL, OCSP). Each field is checked as it is typed, with the rules that
 * span fields (an "-only" family against the gateway's address, OCSP
 * against the authentication method); OK stays disabled while any value
 * is invalid. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nm-cygnet-editor.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-validate.h"

typedef struct {
    const char *key;
    const char *widget_id;
} KeyWidget;

static const KeyWidget entries[] = {
    { NM_CYGNET_KEY_PORT, "port_entry" },
    { NM_CYGNET_KEY_IKE, "ike_entry" },
    { NM_CYGNET_KEY_ESP, "esp_entry" },
    { NM_CYGNET_KEY_LOCAL_TS, "local_ts_entry" },
    { NM_CYGNET_KEY_REMOTE_TS, "remote_ts_entry" },
    { NM_CYGNET_KEY_DPD_DELAY, "dpd_delay_entry" },
    { NM_CYGNET_KEY_REKEY_TIME, "rekey_time_entry" },
    { NM_CYGNET_KEY_REAUTH_TIME, "reauth_time_entry" },
    { NM_CYGNET_KEY_CHILD_REKEY_TIME, "child_rekey_time_entry" },
    { NM_CYGNET_KEY_CHILD_LIFE_TIME, "child_life_time_entry" },
    { NM_CYGNET_KEY_RETRANSMIT_TIMEOUT, "retransmit_timeout_entry" },
    { NM_CYGNET_KEY_RETRANSMIT_TRIES, "retransmit_tries_entry" },
    { NM_CYGNET_KEY_MTU, "mtu_entry" },
    { NM_CYGNET_KEY_REMOTE_CERT, "remote_cert_entry" },
    { NM_CYGNET_KEY_CRL, "crl_entry" },
};

typedef struct {
    const char *id;    /* the value; "" = the default, key left out */
    const char *label; /* N_() */
} Choice;

static const Choice vip_choices[] = {
    { "", N_("IPv4 (default)") },
    { NM_CYGNET_VIP_IPV6, N_("IPv6") },
    { NM_CYGNET_VIP_BOTH, N_("IPv4 and IPv6") },
    { NM_CYGNET_VIP_NO, N_("None: tunnel my own address") },
    { NM_CYGNET_VIP_IPV4, N_("IPv4") },
};
static const Choice dataplane_choices[] = {
    { "", N_("Automatic (default)") },
    { NM_CYGNET_DATAPLANE_XFRM, N_("Kernel IPsec (xfrm)") },
    { NM_CYGNET_DATAPLANE_UESP, N_("User space (uesp)") },
    { NM_CYGNET_DATAPLANE_LOG, N_("Negotiate only (tests)") },
    { NM_CYGNET_DATAPLANE_AUTO, N_("Automatic") },
};
static const Choice family_choices[] = {
    { "", N_("Automatic (default)") },
    { NM_CYGNET_FAMILY_IPV6_FIRST, N_("Prefer IPv6") },
    { NM_CYGNET_FAMILY_IPV4_FIRST, N_("Prefer IPv4") },
    { NM_CYGNET_FAMILY_IPV6_ONLY, N_("IPv6 only") },
    { NM_CYGNET_FAMILY_IPV4_ONLY, N_("IPv4 only") },
    { NM_CYGNET_FAMILY_AUTO, N_("Automatic") },
};
static const Choice ocsp_choices[] = {
    { "", N_("Don't check (default)") },
    { NM_CYGNET_OCSP_SOFT, N_("Check, allow when unreachable") },
    { NM_CYGNET_OCSP_HARD, N_("Require a good answer") },
    { NM_CYGNET_OCSP_NO, N_("Don't check") },
};

/* The combo boxes: the last choice of each is the explicit default,
 * listed only when the connection names it. */
static const struct {
    const char *key;
    const char *widget_id;
    const Choice *choices;
    gsize n_choices;
} combos[] = {
    { NM_CYGNET_KEY_VIRTUAL_IP, "virtual_ip_combo", vip_choices, G_N_ELEMENTS(vip_choices) },
    { NM_CYGNET_KEY_DATAPLANE, "dataplane_combo", dataplane_choices,
      G_N_ELEMENTS(dataplane_choices) },
    { NM_CYGNET_KEY_ADDRESS_FAMILY, "address_family_combo", family_choices,
      G_N_ELEMENTS(family_choices) },
    { NM_CYGNET_KEY_OCSP, "ocsp_combo", ocsp_choices, G_N_ELEMENTS(ocsp_choices) },
};

const char *const *
cg_advanced_keys(void)
{
    static const char *keys[G_N_ELEMENTS(entries) + G_N_ELEMENTS(combos) + 3];
    if (keys[0] == NULL) {
        gsize n = 0;
        for (gsize i = 0; i < G_N_ELEMENTS(entries); i++)
            keys[n++] = entries[i].key;
        for (gsize i = 0; i < G_N_ELEMENTS(combos); i++)
            keys[n++] = combos[i].key;
        keys[n++] = NM_CYGNET_KEY_ENCAP;
        keys[n++] = NM_CYGNET_KEY_MOBIKE;
    }
    return keys;
}

static void validate_all(CgAdvanced *advanced);

struct CgAdvanced {
    GHashTable *values; /* not owned */
    GCallback changed;
    gpointer changed_data;
    GtkBuilder *builder;
    GtkWidget *dialog;
    char *gateway; /* the main page's, for the cross-field rules */
    char *auth;
};

static GtkWidget *
widget(CgAdvanced *advanced, const char *id)
{
    return GTK_WIDGET(gtk_builder_get_object(advanced->builder, id));
}

CgAdvanced *
cg_advanced_new(GHashTable *values, GCallback changed, gpointer changed_data)
{
    CgAdvanced *advanced = g_new0(CgAdvanced, 1);
    advanced->values = values;
    advanced->changed = changed;
    advanced->changed_data = changed_data;
    return advanced;
}

void
cg_advanced_free(CgAdvanced *advanced)
{
    if (advanced == NULL)
        return;
    if (advanced->dialog) {
        g_signal_handlers_disconnect_by_data(advanced->dialog, advanced);
#ifdef CG_GTK4
        gtk_window_destroy(GTK_WINDOW(advanced->dialog));
#else
        gtk_widget_destroy(advanced->dialog);
#endif
    }
    g_clear_object(&advanced->builder);
    g_free(advanced->gateway);
    g_free(advanced->auth);
    g_free(advanced);
}

void
cg_advanced_set_context(CgAdvanced *advanced, const char *gateway, const char *auth)
{
    g_free(advanced->gateway);
    g_free(advanced->auth);
    advanced->gateway = g_strstrip(g_strdup(gateway ? gateway : ""));
    advanced->auth = g_strdup(auth);
    if (advanced->dialog != NULL && gtk_widget_get_visible(advanced->dialog))
        validate_all(advanced);
}

char *
cg_advanced_check_context(GHashTable *values, const char *gateway, const char *auth)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *stripped = g_strstrip(g_strdup(gateway ? gateway : ""));
    if (!cg_validate_family_gateway(g_hash_table_lookup(values, NM_CYGNET_KEY_ADDRESS_FAMILY),
                                    stripped, &error)
        || !cg_validate_ocsp_auth(g_hash_table_lookup(values, NM_CYGNET_KEY_OCSP), auth, &error))
        return g_strdup_printf(_("Advanced: %s"), error->message);
    return NULL;
}

GtkWidget *
cg_advanced_get_dialog(CgAdvanced *advanced)
{
    return advanced->dialog;
}

static gboolean
is_true(const char *value)
{
    static const char *const yes[] = { "yes", "true", "on", "1", NULL };
    return value != NULL && g_strv_contains(yes, value);
}

static void
fill_combo(GtkWidget *combo, const Choice *choices, gsize n, const char *value)
{
    GtkComboBoxText *text = GTK_COMBO_BOX_TEXT(combo);
    gtk_combo_box_text_remove_all(text);
    /* the explicit "auto"/"ipv4" entries appear only when the connection
     * names them, so an untouched setting stays unset */
    for (gsize i = 0; i < n; i++) {
        if (i == n - 1 && g_strcmp0(value, choices[i].id) != 0)
            continue;
        gtk_combo_box_text_append(text, choices[i].id, _(choices[i].label));
    }
    if (!gtk_combo_box_set_active_id(GTK_COMBO_BOX(combo), value ? value : "")) {
        /* a value the service refuses: shown as is, flagged by validation */
        gtk_combo_box_text_append(text, value, value);
        gtk_combo_box_set_active_id(GTK_COMBO_BOX(combo), value);
    }
}

/* Checks every entry; shows the first problem under the fields and
 * enables OK only when there is none. */
static void
validate_all(CgAdvanced *advanced)
{
    g_autofree char *first_error = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++) {
        GtkWidget *entry = widget(advanced, entries[i].widget_id);
        g_autoptr(GError) error = NULL;
        const char *text = cg_entry_get_text(entry);
        gboolean ok = cg_validate_value(entries[i].key, text, &error);
        /* a file must be there and be what the key names */
        if (ok && text[0] != '\0' && cg_key_is_file(entries[i].key))
            ok = cg_validate_file(strcmp(entries[i].key, NM_CYGNET_KEY_REMOTE_CERT) == 0
                                      ? CG_FILE_CERTIFICATE
                                      : CG_FILE_ANY,
                                  text, &error);
        cg_editor_mark_entry(entry, ok ? NULL : error->message);
        if (!ok && first_error == NULL)
            first_error = g_strdup(error->message);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(combos); i++) {
        g_autoptr(GError) error = NULL;
        GtkWidget *combo = widget(advanced, combos[i].widget_id);
        const char *id = gtk_combo_box_get_active_id(GTK_COMBO_BOX(combo));
        gboolean ok = cg_validate_value(combos[i].key, id, &error);
        if (ok && strcmp(combos[i].key, NM_CYGNET_KEY_ADDRESS_FAMILY) == 0)
            ok = cg_validate_family_gateway(id, advanced->gateway, &error);
        if (ok && strcmp(combos[i].key, NM_CYGNET_KEY_OCSP) == 0)
            ok = cg_validate_ocsp_auth(id, advanced->auth, &error);
        if (ok) {
            cg_remove_css_class(combo, "error");
            gtk_widget_set_tooltip_text(combo, NULL);
        } else {
            cg_add_css_class(combo, "error");
            gtk_widget_set_tooltip_text(combo, error->message);
        }
        if (!ok && first_error == NULL)
            first_error = g_strdup(error->message);
    }
    GtkWidget *label = widget(advanced, "advanced_error_label");
    gtk_label_set_text(GTK_LABEL(label), first_error ? first_error : "");
    gtk_widget_set_visible(label, first_error != NULL);
    cg_add_css_class(label, "error");
    gtk_dialog_set_response_sensitive(GTK_DIALOG(advanced->dialog), GTK_RESPONSE_OK,
                                      first_error == NULL);
}

static void
on_entry_changed(GtkWidget *entry, gpointer user_data)
{
    validate_all(user_data);
}

static void
load_values(CgAdvanced *advanced)
{
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++) {
        const char *value = g_hash_table_lookup(advanced->values, entries[i].key);
        cg_entry_set_text(widget(advanced, entries[i].widget_id), value ? value : "");
    }
    for (gsize i = 0; i < G_N_ELEMENTS(combos); i++)
        fill_combo(widget(advanced, combos[i].widget_id), combos[i].choices, combos[i].n_choices,
                   g_hash_table_lookup(advanced->values, combos[i].key));
    const char *mobike = g_hash_table_lookup(advanced->values, NM_CYGNET_KEY_MOBIKE);
    cg_check_set(widget(advanced, "encap_check"),
                 is_true(g_hash_table_lookup(advanced->values, NM_CYGNET_KEY_ENCAP)));
    cg_check_set(widget(advanced, "mobike_check"), mobike == NULL || is_true(mobike));
    validate_all(advanced);
}

/* A check box: written when it differs from the default, or when the
 * connection named the key already (so a round trip changes nothing). */
static void
store_check(CgAdvanced *advanced, const char *key, const char *id, gboolean default_value)
{
    gboolean active = cg_check_get(widget(advanced, id));
    if (active == default_value && !g_hash_table_contains(advanced->values, key))
        return;
    const char *old = g_hash_table_lookup(advanced->values, key);
    if (old != NULL && is_true(old) == active)
        return; /* keep the connection's own spelling ("on", "1", ...) */
    g_hash_table_replace(advanced->values, g_strdup(key), g_strdup(active ? "yes" : "no"));
}

static void
store_values(CgAdvanced *advanced)
{
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++) {
        g_autofree char *value
            = g_strstrip(g_strdup(cg_entry_get_text(widget(advanced, entries[i].widget_id))));
        if (value[0] == '\0')
            g_hash_table_remove(advanced->values, entries[i].key);
        else
            g_hash_table_replace(advanced->values, g_strdup(entries[i].key),
                                 g_steal_pointer(&value));
    }
    for (gsize i = 0; i < G_N_ELEMENTS(combos); i++) {
        const char *id
            = gtk_combo_box_get_active_id(GTK_COMBO_BOX(widget(advanced, combos[i].widget_id)));
        if (id == NULL || id[0] == '\0')
            g_hash_table_remove(advanced->values, combos[i].key);
        else
            g_hash_table_replace(advanced->values, g_strdup(combos[i].key), g_strdup(id));
    }
    store_check(advanced, NM_CYGNET_KEY_ENCAP, "encap_check", FALSE);
    store_check(advanced, NM_CYGNET_KEY_MOBIKE, "mobike_check", TRUE);
}

static void
on_response(GtkDialog *dialog, int response, gpointer user_data)
{
    CgAdvanced *advanced = user_data;
    if (response == GTK_RESPONSE_OK) {
        store_values(advanced);
        ((void (*)(gpointer))advanced->changed)(advanced->changed_data);
    }
    gtk_widget_hide(GTK_WIDGET(dialog));
}

static void
on_dialog_destroy(GtkWidget *dialog, gpointer user_data)
{
    CgAdvanced *advanced = user_data;
    advanced->dialog = NULL;
    g_clear_object(&advanced->builder);
}

static void
build_dialog(CgAdvanced *advanced, GtkWindow *parent)
{
    g_autoptr(GError) error = NULL;
    const char *objects[] = { "advanced_grid", NULL };
    advanced->builder = gtk_builder_new();
    gtk_builder_set_translation_domain(advanced->builder, GETTEXT_PACKAGE);
    if (!gtk_builder_add_objects_from_resource(advanced->builder, CG_EDITOR_RESOURCE,
                                               cg_builder_ids(objects), &error))
        g_error("nm-cygnet editor: cannot load %s: %s", CG_EDITOR_RESOURCE, error->message);
    advanced->dialog = gtk_dialog_new_with_buttons(
        _("Cygnet VPN: advanced settings"), parent,
        GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, _("_Cancel"), GTK_RESPONSE_CANCEL,
        _("_OK"), GTK_RESPONSE_OK, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(advanced->dialog), GTK_RESPONSE_OK);
    GtkWidget *content = gtk_dialog_get_content_area(GTK_DIALOG(advanced->dialog));
    GtkWidget *grid = widget(advanced, "advanced_grid");
#ifdef CG_GTK4
    gtk_box_append(GTK_BOX(content), grid);
    gtk_window_set_hide_on_close(GTK_WINDOW(advanced->dialog), TRUE);
#else
    gtk_container_add(GTK_CONTAINER(content), grid);
    g_signal_connect(advanced->dialog, "delete-event", G_CALLBACK(gtk_widget_hide_on_delete), NULL);
#endif
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++)
        g_signal_connect(widget(advanced, entries[i].widget_id), "changed",
                         G_CALLBACK(on_entry_changed), advanced);
    for (gsize i = 0; i < G_N_ELEMENTS(combos); i++)
        g_signal_connect(widget(advanced, combos[i].widget_id), "changed",
                         G_CALLBACK(on_entry_changed), advanced);
    g_signal_connect(advanced->dialog, "response", G_CALLBACK(on_response), advanced);
    g_signal_connect(advanced->dialog, "destroy", G_CALLBACK(on_dialog_destroy), advanced);
}

void
cg_advanced_open(CgAdvanced *advanced, GtkWidget *parent)
{
    GtkWindow *parent_window = NULL;
#ifdef CG_GTK4
    GtkRoot *root = parent ? gtk_widget_get_root(parent) : NULL;
    if (root != NULL && GTK_IS_WINDOW(root))
        parent_window = GTK_WINDOW(root);
#else
    GtkWidget *toplevel = parent ? gtk_widget_get_toplevel(parent) : NULL;
    if (toplevel != NULL && GTK_IS_WINDOW(toplevel))
        parent_window = GTK_WINDOW(toplevel);
#endif
    if (advanced->dialog == NULL)
        build_dialog(advanced, parent_window);
    else if (parent_window != NULL)
        gtk_window_set_transient_for(GTK_WINDOW(advanced->dialog), parent_window);
    load_values(advanced);
    gtk_window_present(GTK_WINDOW(advanced->dialog));
}
