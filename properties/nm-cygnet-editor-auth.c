/* nm-cygnet-editor-auth.c: the Authentication part of the editor's main
 * page. One combo picks the method; each method shows only its rows:
 *
 *   User name and password (EAP-MSCHAPv2)  user, password
 *   Certificate                            our certificate and key (files
 *   Certificate inside EAP (EAP-TLS)       or a token), the gateway's CA
 *   Pre-shared key                         the key
 *
 * Certificates and keys are picked with libnma's NMACertChooser; secrets
 * (password, PIN, PSK, the PKCS#12 password) get libnma's storage menu
 * (saved, keyring, ask every time, not required). Every field is checked
 * as it changes: a missing certificate, an unreadable or wrong file is
 * marked and named before the connection can be saved.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <nma-cert-chooser.h>
#include <nma-ui-utils.h>
#include <string.h>

#include "nm-cygnet-editor.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-validate.h"

/* The methods the combo offers, in this order: the road warrior's
 * EAP-MSCHAPv2 first, it is what a new connection starts with. */
typedef struct {
    const char *id; /* combo row id */
    const char *auth;
    const char *eap_method; /* NULL: not EAP */
    const char *label;      /* N_() */
} Method;

static const Method methods[] = {
    { "eap", NM_CYGNET_AUTH_EAP, NM_CYGNET_EAP_MSCHAPV2,
      N_("User name and password (EAP-MSCHAPv2)") },
    { "cert", NM_CYGNET_AUTH_CERT, NULL, N_("Certificate") },
    { "eap-tls", NM_CYGNET_AUTH_EAP, NM_CYGNET_EAP_TLS, N_("Certificate inside EAP (EAP-TLS)") },
    { "psk", NM_CYGNET_AUTH_PSK, NULL, N_("Pre-shared key") },
};

#define SOURCE_FILES "files"
#define SOURCE_TOKEN "token"

/* password entries with libnma's storage menu */
typedef struct {
    const char *entry_id;
    const char *secret;
    const char *flags_key;
} SecretEntry;

static const SecretEntry secret_entries[] = {
    { "password_entry", NM_CYGNET_SECRET_PASSWORD, NM_CYGNET_KEY_PASSWORD_FLAGS },
    { "psk_entry", NM_CYGNET_SECRET_PSK, NM_CYGNET_KEY_PSK_FLAGS },
    { "pin_entry", NM_CYGNET_SECRET_PIN, NM_CYGNET_KEY_PIN_FLAGS },
};

/* widgets whose signals we connect (disconnected on free) */
static const char *const watched_ids[] = {
    "auth_combo",          "cert_source_combo", "user_entry",      "password_entry",
    "show_password_check", "psk_entry",         "show_psk_check",  "pkcs11_module_entry",
    "cert_nickname_entry", "pin_entry",         "system_ca_check", NULL,
};

struct CgAuth {
    GtkBuilder *builder; /* not owned */
    CgAuthChanged changed;
    gpointer changed_data;
    GtkWidget *client_chooser; /* our certificate and key */
    GtkWidget *ca_chooser;     /* the gateway's CA */
    GtkSizeGroup *label_group;
    gboolean disconnected;
    /* a saved method this version refuses (shown, flagged, never saved) */
    char *unsupported_auth, *unsupported_eap_method;
};

#define UNSUPPORTED_ID "unsupported"

static GtkWidget *
widget(CgAuth *auth, const char *id)
{
    return GTK_WIDGET(gtk_builder_get_object(auth->builder, id));
}

static const Method *
selected(CgAuth *auth)
{
    const char *id = gtk_combo_box_get_active_id(GTK_COMBO_BOX(widget(auth, "auth_combo")));
    for (gsize i = 0; id && i < G_N_ELEMENTS(methods); i++) {
        if (strcmp(methods[i].id, id) == 0)
            return &methods[i];
    }
    return NULL; /* a method this version does not know */
}

const char *
cg_auth_get_method(CgAuth *auth)
{
    const Method *method = selected(auth);
    if (method != NULL)
        return method->auth;
    return auth->unsupported_auth ? auth->unsupported_auth : NM_CYGNET_AUTH_EAP;
}

static gboolean
uses_certificate(const Method *method)
{
    return method != NULL
           && (strcmp(method->auth, NM_CYGNET_AUTH_CERT) == 0
               || g_strcmp0(method->eap_method, NM_CYGNET_EAP_TLS) == 0);
}

static gboolean
token_selected(CgAuth *auth)
{
    const char *id = gtk_combo_box_get_active_id(GTK_COMBO_BOX(widget(auth, "cert_source_combo")));
    return g_strcmp0(id, SOURCE_TOKEN) == 0;
}

static gboolean
system_cas(CgAuth *auth)
{
    return cg_check_get(widget(auth, "system_ca_check"));
}

static char *
chooser_path(GtkWidget *chooser, gboolean key)
{
    NMSetting8021xCKScheme scheme = NM_SETTING_802_1X_CK_SCHEME_UNKNOWN;
    char *path = key ? nma_cert_chooser_get_key(NMA_CERT_CHOOSER(chooser), &scheme)
                     : nma_cert_chooser_get_cert(NMA_CERT_CHOOSER(chooser), &scheme);
    if (path != NULL && scheme != NM_SETTING_802_1X_CK_SCHEME_PATH) {
        /* a token object (pkcs11: URI): the token rows name those */
        g_free(path);
        return g_strdup("");
    }
    return path;
}

static void
set_visible(CgAuth *auth, const char *const *ids, gboolean visible)
{
    for (gsize i = 0; ids[i]; i++)
        gtk_widget_set_visible(widget(auth, ids[i]), visible);
}

/* Shows the rows of the selected method (and certificate source) only. */
static void
update_rows(CgAuth *auth)
{
    static const char *const user_rows[] = { "user_label", "user_entry", NULL };
    static const char *const password_rows[]
        = { "password_label", "password_entry", "show_password_check", NULL };
    static const char *const psk_rows[] = { "psk_label", "psk_entry", "show_psk_check", NULL };
    static const char *const source_rows[] = { "cert_source_label", "cert_source_combo", NULL };
    static const char *const file_rows[] = { "client_cert_box", NULL };
    static const char *const token_rows[] = { "pkcs11_module_label",
                                              "pkcs11_module_entry",
                                              "cert_nickname_label",
                                              "cert_nickname_entry",
                                              "pin_label",
                                              "pin_entry",
                                              NULL };
    static const char *const ca_rows[] = { "system_ca_check", NULL };
    static const char *const ca_file_rows[] = { "ca_cert_box", NULL };

    const Method *method = selected(auth);
    gboolean eap = method && method->eap_method != NULL;
    gboolean mschapv2 = eap && strcmp(method->eap_method, NM_CYGNET_EAP_MSCHAPV2) == 0;
    gboolean psk = method && strcmp(method->auth, NM_CYGNET_AUTH_PSK) == 0;
    gboolean certificate = uses_certificate(method);
    /* the gateway shows a certificate with every method but PSK */
    gboolean gateway_cert = method != NULL && !psk;

    set_visible(auth, user_rows, eap);
    set_visible(auth, password_rows, mschapv2);
    set_visible(auth, psk_rows, psk);
    set_visible(auth, source_rows, certificate);
    set_visible(auth, file_rows, certificate && !token_selected(auth));
    set_visible(auth, token_rows, certificate && token_selected(auth));
    set_visible(auth, ca_rows, gateway_cert);
    set_visible(auth, ca_file_rows, gateway_cert && !system_cas(auth));
}

/* ---- checks ----------------------------------------------------------- */

/* keeps the first message */
static void
note(char **first, const char *message)
{
    if (*first == NULL && message != NULL)
        *first = g_strdup(message);
}

static char *
check_entry(GtkWidget *entry, const char *key, gboolean required, const char *missing)
{
    const char *text = cg_entry_get_text(entry);
    g_autoptr(GError) error = NULL;
    if (text[0] == '\0') {
        cg_editor_mark_entry(entry, required ? missing : NULL);
        return required ? g_strdup(missing) : NULL;
    }
    if (!cg_validate_value(key, text, &error)
        || (cg_key_is_file(key) && !cg_validate_file(CG_FILE_ANY, text, &error))) {
        cg_editor_mark_entry(entry, error->message);
        return g_strdup(error->message);
    }
    cg_editor_mark_entry(entry, NULL);
    return NULL;
}

static GError *
on_client_cert_validate(NMACertChooser *chooser, gpointer user_data)
{
    g_autofree char *path = chooser_path(GTK_WIDGET(chooser), FALSE);
    GError *error = NULL;
    cg_validate_file(CG_FILE_CERTIFICATE_OR_PKCS12, path, &error);
    return error;
}

static GError *
on_client_key_validate(NMACertChooser *chooser, gpointer user_data)
{
    g_autofree char *cert = chooser_path(GTK_WIDGET(chooser), FALSE);
    g_autofree char *key = chooser_path(GTK_WIDGET(chooser), TRUE);
    GError *error = NULL;
    if (cert != NULL && nm_utils_file_is_pkcs12(cert))
        return NULL; /* the key is in the PKCS#12 file */
    if (key == NULL || key[0] == '\0')
        return g_error_new_literal(CG_VALIDATE_ERROR, CG_VALIDATE_ERROR_MISSING,
                                   _("Choose the private key of your certificate"));
    cg_validate_file(CG_FILE_PRIVATE_KEY, key, &error);
    return error;
}

/* the chooser's password is the PKCS#12 file's: a plain key file has none
 * (an encrypted one is refused above), so a password there would be lost */
static GError *
on_client_key_password_validate(NMACertChooser *chooser, gpointer user_data)
{
    g_autofree char *cert = chooser_path(GTK_WIDGET(chooser), FALSE);
    const char *password = nma_cert_chooser_get_key_password(chooser);
    if (password == NULL || password[0] == '\0' || (cert && nm_utils_file_is_pkcs12(cert)))
        return NULL;
    return g_error_new_literal(CG_VALIDATE_ERROR, CG_VALIDATE_ERROR_INVALID,
                               _("Only a PKCS#12 file has a password here: leave the key "
                                 "password empty"));
}

static GError *
on_ca_cert_validate(NMACertChooser *chooser, gpointer user_data)
{
    g_autofree char *path = chooser_path(GTK_WIDGET(chooser), FALSE);
    GError *error = NULL;
    cg_validate_file(CG_FILE_CERTIFICATE, path, &error);
    return error;
}

static void
mark_chooser(GtkWidget *chooser, const char *message)
{
    if (message != NULL)
        cg_add_css_class(chooser, "error");
    else
        cg_remove_css_class(chooser, "error");
    gtk_widget_set_tooltip_text(chooser, message);
}

static char *
check_chooser(GtkWidget *chooser, const char *missing)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *cert = chooser_path(chooser, FALSE);
    if (cert == NULL || cert[0] == '\0') {
        /* said our way, not libnma's "No certificate set" */
        mark_chooser(chooser, missing);
        return g_strdup(missing);
    }
    gboolean ok = nma_cert_chooser_validate(NMA_CERT_CHOOSER(chooser), &error);
    mark_chooser(chooser, ok ? NULL : error->message);
    return ok ? NULL : g_strdup(error->message);
}

char *
cg_auth_check(CgAuth *auth)
{
    char *first = NULL;
    const Method *method = selected(auth);
    if (method == NULL) {
        g_autoptr(GError) error = NULL;
        if (cg_validate_value(NM_CYGNET_KEY_AUTH, cg_auth_get_method(auth), &error))
            cg_validate_value(NM_CYGNET_KEY_EAP_METHOD, auth->unsupported_eap_method, &error);
        note(&first, error ? error->message : _("This authentication method is not supported"));
        return first;
    }
    if (method->eap_method != NULL) {
        /* the EAP identity defaults to our IKE identity */
        gboolean have_id = cg_entry_get_text(widget(auth, "local_id_entry"))[0] != '\0';
        gboolean required = !have_id && strcmp(method->eap_method, NM_CYGNET_EAP_MSCHAPV2) == 0;
        g_autofree char *problem = check_entry(widget(auth, "user_entry"), NM_CYGNET_KEY_USER,
                                               required, _("Enter your user name"));
        note(&first, problem);
    }
    if (uses_certificate(method) && token_selected(auth)) {
        g_autofree char *module
            = check_entry(widget(auth, "pkcs11_module_entry"), NM_CYGNET_KEY_PKCS11_MODULE, TRUE,
                          _("Enter the token's PKCS#11 module"));
        g_autofree char *nickname
            = check_entry(widget(auth, "cert_nickname_entry"), NM_CYGNET_KEY_CERT_NICKNAME, TRUE,
                          _("Enter the certificate's name on the token"));
        note(&first, module);
        note(&first, nickname);
    } else if (uses_certificate(method)) {
        g_autofree char *problem = check_chooser(
            auth->client_chooser, _("Choose your certificate (a PEM, DER or PKCS#12 file)"));
        note(&first, problem);
    }
    if (strcmp(method->auth, NM_CYGNET_AUTH_PSK) != 0 && !system_cas(auth)) {
        g_autofree char *problem
            = check_chooser(auth->ca_chooser, _("Choose the gateway's CA certificate, or trust "
                                                "the system's certificate authorities"));
        note(&first, problem);
    }
    return first;
}

/* ---- filling and saving -------------------------------------------------- */

static NMSettingSecretFlags
secret_flags(NMSettingVpn *s_vpn, const char *secret, const char *flags_key, gboolean *has_flags)
{
    /* a connection that never said where a secret lives (a new one): the
     * user's keyring */
    NMSettingSecretFlags flags = NM_SETTING_SECRET_FLAG_AGENT_OWNED;
    *has_flags = s_vpn != NULL && nm_setting_vpn_get_data_item(s_vpn, flags_key) != NULL;
    if (*has_flags)
        nm_setting_get_secret_flags(NM_SETTING(s_vpn), secret, &flags, NULL);
    return flags;
}

static const char *
data_item(NMSettingVpn *s_vpn, const char *key)
{
    const char *value = s_vpn ? nm_setting_vpn_get_data_item(s_vpn, key) : NULL;
    return value ? value : "";
}

static const char *
secret_item(NMSettingVpn *s_vpn, const char *key)
{
    const char *value = s_vpn ? nm_setting_vpn_get_secret(s_vpn, key) : NULL;
    return value ? value : "";
}

static void
fill_methods(CgAuth *auth, NMSettingVpn *s_vpn)
{
    GtkComboBoxText *combo = GTK_COMBO_BOX_TEXT(widget(auth, "auth_combo"));
    for (gsize i = 0; i < G_N_ELEMENTS(methods); i++)
        gtk_combo_box_text_append(combo, methods[i].id, _(methods[i].label));
    const char *auth_value = data_item(s_vpn, NM_CYGNET_KEY_AUTH);
    const char *eap_method = data_item(s_vpn, NM_CYGNET_KEY_EAP_METHOD);
    const char *id = NULL;
    gboolean known_eap_method = eap_method[0] == '\0'
                                || g_str_equal(eap_method, NM_CYGNET_EAP_MSCHAPV2)
                                || g_str_equal(eap_method, NM_CYGNET_EAP_TLS);
    if (s_vpn == NULL || nm_setting_vpn_get_data_item(s_vpn, NM_CYGNET_KEY_GATEWAY) == NULL)
        id = "eap"; /* a new connection: the road warrior */
    else if (auth_value[0] == '\0' || strcmp(auth_value, NM_CYGNET_AUTH_PSK) == 0)
        id = "psk"; /* the service's default */
    else if (strcmp(auth_value, NM_CYGNET_AUTH_CERT) == 0)
        id = "cert";
    else if (strcmp(auth_value, NM_CYGNET_AUTH_EAP) == 0 && known_eap_method)
        id = strcmp(eap_method, NM_CYGNET_EAP_TLS) == 0 ? "eap-tls" : "eap";
    if (id == NULL) {
        /* saved with a method this version refuses: shown, and flagged */
        auth->unsupported_auth = g_strdup(auth_value);
        auth->unsupported_eap_method = g_strdup(eap_method);
        g_autofree char *what = eap_method[0] ? g_strdup_printf("%s/%s", auth_value, eap_method)
                                              : g_strdup(auth_value);
        g_autofree char *label = g_strdup_printf(_("%s (not supported)"), what);
        gtk_combo_box_text_append(combo, UNSUPPORTED_ID, label);
        id = UNSUPPORTED_ID;
    }
    gtk_combo_box_set_active_id(GTK_COMBO_BOX(combo), id);

    GtkComboBoxText *source = GTK_COMBO_BOX_TEXT(widget(auth, "cert_source_combo"));
    gtk_combo_box_text_append(source, SOURCE_FILES, _("Files"));
    gtk_combo_box_text_append(source, SOURCE_TOKEN, _("Smartcard or token (PKCS#11)"));
    gboolean token = data_item(s_vpn, NM_CYGNET_KEY_PKCS11_MODULE)[0] != '\0'
                     || data_item(s_vpn, NM_CYGNET_KEY_CERT_NICKNAME)[0] != '\0';
    gtk_combo_box_set_active_id(GTK_COMBO_BOX(source), token ? SOURCE_TOKEN : SOURCE_FILES);
}

static GtkWidget *
new_chooser(CgAuth *auth, const char *title, NMACertChooserFlags flags, const char *box_id)
{
    /* NMA_CERT_CHOOSER_FLAG_PEM: a plain file button (no token browsing,
     * which would start every PKCS#11 module when the editor opens; the
     * token rows name a token's certificate instead) */
    /* ours: the window may destroy its widgets before the editor goes */
    GtkWidget *chooser
        = g_object_ref_sink(nma_cert_chooser_new(title, flags | NMA_CERT_CHOOSER_FLAG_PEM));
    gtk_grid_set_column_spacing(GTK_GRID(chooser), 12);
    gtk_grid_set_row_spacing(GTK_GRID(chooser), 6);
    nma_cert_chooser_add_to_size_group(NMA_CERT_CHOOSER(chooser), auth->label_group);
#ifdef CG_GTK4
    gtk_box_append(GTK_BOX(widget(auth, box_id)), chooser);
#else
    gtk_container_add(GTK_CONTAINER(widget(auth, box_id)), chooser);
    gtk_widget_show(chooser);
#endif
    return chooser;
}

static void
fill_choosers(CgAuth *auth, NMSettingVpn *s_vpn)
{
    static const char *const labels[]
        = { "gateway_label", "auth_label",        "user_label",          "password_label",
            "psk_label",     "cert_source_label", "pkcs11_module_label", "cert_nickname_label",
            "pin_label",     "local_id_label",    "remote_id_label",     NULL };
    auth->label_group = gtk_size_group_new(GTK_SIZE_GROUP_HORIZONTAL);
    for (gsize i = 0; labels[i]; i++)
        gtk_size_group_add_widget(auth->label_group, widget(auth, labels[i]));

    /* libnma makes its labels from the title: "User certificate", "User
     * private key", "User key password", "Choose a User Certificate" */
    auth->client_chooser
        = new_chooser(auth, _("User"), NMA_CERT_CHOOSER_FLAG_NONE, "client_cert_box");
    NMACertChooser *client = NMA_CERT_CHOOSER(auth->client_chooser);
    const char *pkcs12 = data_item(s_vpn, NM_CYGNET_KEY_PKCS12);
    const char *cert = data_item(s_vpn, NM_CYGNET_KEY_CERT);
    const char *key = data_item(s_vpn, NM_CYGNET_KEY_KEY);
    if (pkcs12[0] != '\0') {
        nma_cert_chooser_set_cert(client, pkcs12, NM_SETTING_802_1X_CK_SCHEME_PATH);
        nma_cert_chooser_set_key(client, pkcs12, NM_SETTING_802_1X_CK_SCHEME_PATH);
    } else if (cert[0] != '\0') {
        nma_cert_chooser_set_cert(client, cert, NM_SETTING_802_1X_CK_SCHEME_PATH);
        if (key[0] != '\0')
            nma_cert_chooser_set_key(client, key, NM_SETTING_802_1X_CK_SCHEME_PATH);
    }
    nma_cert_chooser_set_key_password(client, secret_item(s_vpn, NM_CYGNET_SECRET_KEY_PASSPHRASE));
    gboolean has_flags = FALSE;
    NMSettingSecretFlags flags = secret_flags(s_vpn, NM_CYGNET_SECRET_KEY_PASSPHRASE,
                                              NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, &has_flags);
    nma_cert_chooser_setup_key_password_storage(client, flags, has_flags ? NM_SETTING(s_vpn) : NULL,
                                                NM_CYGNET_SECRET_KEY_PASSPHRASE, TRUE, FALSE);

    /* "CA certificate", "Choose a CA Certificate" */
    auth->ca_chooser = new_chooser(auth, _("CA"), NMA_CERT_CHOOSER_FLAG_CERT, "ca_cert_box");
    const char *ca = data_item(s_vpn, NM_CYGNET_KEY_CA_CERT);
    if (ca[0] != '\0')
        nma_cert_chooser_set_cert(NMA_CERT_CHOOSER(auth->ca_chooser), ca,
                                  NM_SETTING_802_1X_CK_SCHEME_PATH);
    cg_check_set(widget(auth, "system_ca_check"), ca[0] == '\0');
}

static void
fill(CgAuth *auth, NMSettingVpn *s_vpn)
{
    fill_methods(auth, s_vpn);
    cg_entry_set_text(widget(auth, "user_entry"), data_item(s_vpn, NM_CYGNET_KEY_USER));
    cg_entry_set_text(widget(auth, "pkcs11_module_entry"),
                      data_item(s_vpn, NM_CYGNET_KEY_PKCS11_MODULE));
    cg_entry_set_text(widget(auth, "cert_nickname_entry"),
                      data_item(s_vpn, NM_CYGNET_KEY_CERT_NICKNAME));
    for (gsize i = 0; i < G_N_ELEMENTS(secret_entries); i++) {
        GtkWidget *entry = widget(auth, secret_entries[i].entry_id);
        cg_entry_set_text(entry, secret_item(s_vpn, secret_entries[i].secret));
        gboolean has_flags = FALSE;
        NMSettingSecretFlags flags = secret_flags(s_vpn, secret_entries[i].secret,
                                                  secret_entries[i].flags_key, &has_flags);
        /* libnma reads the flags from the setting when given one */
        nma_utils_setup_password_storage(entry, flags, has_flags ? NM_SETTING(s_vpn) : NULL,
                                         secret_entries[i].secret, TRUE, FALSE);
    }
    fill_choosers(auth, s_vpn);
}

/* A secret and its flags: kept in the connection, by the agent (keyring),
 * or asked every time; NetworkManager hands agent-owned ones to the agent. */
static void
save_secret(NMSettingVpn *s_vpn, const char *secret, const char *text, NMSettingSecretFlags flags)
{
    if (text != NULL && text[0] != '\0'
        && (flags & (NM_SETTING_SECRET_FLAG_NOT_SAVED | NM_SETTING_SECRET_FLAG_NOT_REQUIRED)) == 0)
        nm_setting_vpn_add_secret(s_vpn, secret, text);
    nm_setting_set_secret_flags(NM_SETTING(s_vpn), secret, flags, NULL);
}

static void
save_entry_secret(CgAuth *auth, NMSettingVpn *s_vpn, const char *secret)
{
    for (gsize i = 0; i < G_N_ELEMENTS(secret_entries); i++) {
        if (strcmp(secret_entries[i].secret, secret) != 0)
            continue;
        GtkWidget *entry = widget(auth, secret_entries[i].entry_id);
        NMSettingSecretFlags flags = nma_utils_menu_to_secret_flags(entry);
        save_secret(s_vpn, secret, cg_entry_get_text(entry), flags);
        nma_utils_update_password_storage(entry, flags, NM_SETTING(s_vpn), secret);
    }
}

static void
save_text(NMSettingVpn *s_vpn, const char *key, const char *text)
{
    g_autofree char *value = g_strstrip(g_strdup(text ? text : ""));
    if (value[0] != '\0')
        nm_setting_vpn_add_data_item(s_vpn, key, value);
}

static void
save_certificate(CgAuth *auth, NMSettingVpn *s_vpn)
{
    if (token_selected(auth)) {
        save_text(s_vpn, NM_CYGNET_KEY_PKCS11_MODULE,
                  cg_entry_get_text(widget(auth, "pkcs11_module_entry")));
        save_text(s_vpn, NM_CYGNET_KEY_CERT_NICKNAME,
                  cg_entry_get_text(widget(auth, "cert_nickname_entry")));
        save_entry_secret(auth, s_vpn, NM_CYGNET_SECRET_PIN);
        return;
    }
    NMACertChooser *client = NMA_CERT_CHOOSER(auth->client_chooser);
    g_autofree char *cert = chooser_path(auth->client_chooser, FALSE);
    g_autofree char *key = chooser_path(auth->client_chooser, TRUE);
    if (cert != NULL && nm_utils_file_is_pkcs12(cert)) {
        save_text(s_vpn, NM_CYGNET_KEY_PKCS12, cert);
        NMSettingSecretFlags flags = nma_cert_chooser_get_key_password_flags(client);
        save_secret(s_vpn, NM_CYGNET_SECRET_KEY_PASSPHRASE,
                    nma_cert_chooser_get_key_password(client), flags);
        nma_cert_chooser_update_key_password_storage(client, flags, NM_SETTING(s_vpn),
                                                     NM_CYGNET_SECRET_KEY_PASSPHRASE);
    } else {
        save_text(s_vpn, NM_CYGNET_KEY_CERT, cert);
        save_text(s_vpn, NM_CYGNET_KEY_KEY, key);
    }
}

void
cg_auth_save(CgAuth *auth, NMSettingVpn *s_vpn)
{
    const Method *method = selected(auth);
    nm_setting_vpn_add_data_item(s_vpn, NM_CYGNET_KEY_AUTH, cg_auth_get_method(auth));
    if (method == NULL)
        return;
    if (method->eap_method != NULL) {
        nm_setting_vpn_add_data_item(s_vpn, NM_CYGNET_KEY_EAP_METHOD, method->eap_method);
        save_text(s_vpn, NM_CYGNET_KEY_USER, cg_entry_get_text(widget(auth, "user_entry")));
    }
    if (g_strcmp0(method->eap_method, NM_CYGNET_EAP_MSCHAPV2) == 0)
        save_entry_secret(auth, s_vpn, NM_CYGNET_SECRET_PASSWORD);
    if (strcmp(method->auth, NM_CYGNET_AUTH_PSK) == 0) {
        save_entry_secret(auth, s_vpn, NM_CYGNET_SECRET_PSK);
        return;
    }
    if (uses_certificate(method))
        save_certificate(auth, s_vpn);
    if (!system_cas(auth)) {
        g_autofree char *ca = chooser_path(auth->ca_chooser, FALSE);
        save_text(s_vpn, NM_CYGNET_KEY_CA_CERT, ca);
    }
}

/* ---- signals ------------------------------------------------------------ */

static void
emit_changed(CgAuth *auth)
{
    auth->changed(auth->changed_data);
}

static void
on_changed(GtkWidget *widget_, gpointer user_data)
{
    emit_changed(user_data);
}

static void
on_rows_changed(GtkWidget *widget_, gpointer user_data)
{
    update_rows(user_data);
    emit_changed(user_data);
}

static void
on_notify_changed(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    emit_changed(user_data);
}

static void
on_show_password(GtkWidget *check, gpointer user_data)
{
    CgAuth *auth = user_data;
    gtk_entry_set_visibility(GTK_ENTRY(widget(auth, "password_entry")), cg_check_get(check));
}

static void
on_show_psk(GtkWidget *check, gpointer user_data)
{
    CgAuth *auth = user_data;
    gtk_entry_set_visibility(GTK_ENTRY(widget(auth, "psk_entry")), cg_check_get(check));
}

/* Picking a PKCS#12 file as the certificate: its key is in it too, and
 * the chooser's key password is the file's. */
static void
on_client_chooser_changed(NMACertChooser *chooser, gpointer user_data)
{
    g_autofree char *cert = chooser_path(GTK_WIDGET(chooser), FALSE);
    g_autofree char *key = chooser_path(GTK_WIDGET(chooser), TRUE);
    if (cert != NULL && cert[0] != '\0' && g_strcmp0(cert, key) != 0
        && nm_utils_file_is_pkcs12(cert))
        nma_cert_chooser_set_key(chooser, cert, NM_SETTING_802_1X_CK_SCHEME_PATH);
    emit_changed(user_data);
}

/* Our handlers go when the page is destroyed (its widgets notify as they
 * are torn down, the choosers' insides already gone) or when we are. */
static void
disconnect_signals(CgAuth *auth)
{
    if (auth->disconnected)
        return;
    auth->disconnected = TRUE;
    for (gsize i = 0; watched_ids[i]; i++)
        g_signal_handlers_disconnect_by_data(widget(auth, watched_ids[i]), auth);
    g_signal_handlers_disconnect_by_data(auth->client_chooser, auth);
    g_signal_handlers_disconnect_by_data(auth->ca_chooser, auth);
    g_signal_handlers_disconnect_by_data(widget(auth, "main_grid"), auth);
}

static void
on_page_destroy(GtkWidget *page, gpointer user_data)
{
    disconnect_signals(user_data);
}

static void
connect_signals(CgAuth *auth)
{
    g_signal_connect(widget(auth, "auth_combo"), "changed", G_CALLBACK(on_rows_changed), auth);
    g_signal_connect(widget(auth, "cert_source_combo"), "changed", G_CALLBACK(on_rows_changed),
                     auth);
    g_signal_connect(widget(auth, "system_ca_check"), "toggled", G_CALLBACK(on_rows_changed), auth);
    static const char *const entries[]
        = { "user_entry",          "password_entry", "psk_entry", "pkcs11_module_entry",
            "cert_nickname_entry", "pin_entry",      NULL };
    for (gsize i = 0; entries[i]; i++)
        g_signal_connect(widget(auth, entries[i]), "changed", G_CALLBACK(on_changed), auth);
    /* libnma's storage menu changes the entry's icon */
    for (gsize i = 0; i < G_N_ELEMENTS(secret_entries); i++)
        g_signal_connect(widget(auth, secret_entries[i].entry_id), "notify::secondary-icon-name",
                         G_CALLBACK(on_notify_changed), auth);
    g_signal_connect(widget(auth, "show_password_check"), "toggled", G_CALLBACK(on_show_password),
                     auth);
    g_signal_connect(widget(auth, "show_psk_check"), "toggled", G_CALLBACK(on_show_psk), auth);

    g_signal_connect(auth->client_chooser, "changed", G_CALLBACK(on_client_chooser_changed), auth);
    g_signal_connect(auth->client_chooser, "cert-validate", G_CALLBACK(on_client_cert_validate),
                     auth);
    g_signal_connect(auth->client_chooser, "key-validate", G_CALLBACK(on_client_key_validate),
                     auth);
    g_signal_connect(auth->client_chooser, "key-password-validate",
                     G_CALLBACK(on_client_key_password_validate), auth);
    g_signal_connect(auth->ca_chooser, "changed", G_CALLBACK(on_changed), auth);
    g_signal_connect(auth->ca_chooser, "cert-validate", G_CALLBACK(on_ca_cert_validate), auth);
    g_signal_connect(widget(auth, "main_grid"), "destroy", G_CALLBACK(on_page_destroy), auth);
}

CgAuth *
cg_auth_new(GtkBuilder *builder, NMSettingVpn *s_vpn, CgAuthChanged changed, gpointer changed_data)
{
    CgAuth *auth = g_new0(CgAuth, 1);
    auth->builder = builder;
    auth->changed = changed;
    auth->changed_data = changed_data;
    fill(auth, s_vpn);
    update_rows(auth);
    connect_signals(auth);
    return auth;
}

void
cg_auth_free(CgAuth *auth)
{
    if (auth == NULL)
        return;
    disconnect_signals(auth);
    g_clear_object(&auth->client_chooser);
    g_clear_object(&auth->ca_chooser);
    g_clear_object(&auth->label_group);
    g_free(auth->unsupported_auth);
    g_free(auth->unsupported_eap_method);
    g_free(auth);
}
