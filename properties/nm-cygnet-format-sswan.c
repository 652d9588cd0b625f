/* nm-cygnet-format-sswan.c: strongSwan's JSON VPN profiles (.sswan).
 *
 *   { "uuid": "...", "name": "...", "type": "ikev2-eap",
 *     "remote": { "addr": "...", "port": 4500, "id": "...", "cert": "..." },
 *     "local": { "id": "...", "eap_id": "...", "p12": "..." },
 *     "ike-proposal": "...", "esp-proposal": "...", "mtu": 1400,
 *     "split-tunneling": { "subnets": "10.0.0.0/8 ...", "excluded": "..." } }
 *
 * The format has no pre-shared keys: its types are EAP (user name and
 * password, EAP-TLS) and certificate methods. The certificates it carries
 * (remote.cert, the gateway's CA; local.p12, our certificate and key) are
 * written to files in the user's data directory when the import succeeds
 * (cg_profile_write_files); an export embeds them again.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "nm-cygnet-formats.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-validate.h"

#define SSWAN_MAX_DEPTH 16
/* in the whole file, strings included (see check_depth) */
#define SSWAN_MAX_BRACKETS 256
/* the smallest DER certificate or PKCS#12 file is bigger than this */
#define SSWAN_MIN_BLOB_BYTES 64

static const struct {
    const char *type;
    const char *auth;
    const char *eap_method; /* NULL: none */
    const char *what;       /* N_(), for the report; NULL: supported */
} sswan_types[] = {
    { "ikev2-eap", NM_CYGNET_AUTH_EAP, NM_CYGNET_EAP_MSCHAPV2, NULL },
    { "ikev2-cert", NM_CYGNET_AUTH_CERT, NULL, NULL },
    { "ikev2-eap-tls", NM_CYGNET_AUTH_EAP, NM_CYGNET_EAP_TLS, NULL },
    { "ikev2-cert-eap", NM_CYGNET_AUTH_CERT, NULL,
      N_("certificate and then EAP authentication (two rounds, RFC 4739)") },
    { "ikev2-byod-eap", NM_CYGNET_AUTH_EAP, NULL, N_("EAP authentication with a BYOD assessment") },
};

/* json-glib parses recursively: refuse deep nesting before it does. Its
 * scanner also takes what JSON has not ('single-quoted' strings, C
 * comments): closing brackets inside those hide from json-glib but not
 * from the count of levels, so a comment of 100000 "]" followed by 100000
 * "[" passed and overflowed the stack. Every level needs a bracket
 * somewhere in the file, so a bound on the brackets of the whole file (a
 * profile has four objects) bounds the depth whatever the syntax. */
static gboolean
check_depth(const char *text, gsize len, GError **error)
{
    int depth = 0;
    guint brackets = 0;
    gboolean in_string = FALSE, escaped = FALSE;
    for (gsize i = 0; i < len; i++) {
        char c = text[i];
        if ((c == '{' || c == '[') && ++brackets > SSWAN_MAX_BRACKETS) {
            g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                        _("strongSwan profile with more than %d “{” and “[”"), SSWAN_MAX_BRACKETS);
            return FALSE;
        }
        if (in_string) {
            if (escaped)
                escaped = FALSE;
            else if (c == '\\')
                escaped = TRUE;
            else if (c == '"')
                in_string = FALSE;
            continue;
        }
        if (c == '"')
            in_string = TRUE;
        else if ((c == '{' || c == '[') && ++depth > SSWAN_MAX_DEPTH) {
            g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                        _("strongSwan profile nested deeper than %d levels"), SSWAN_MAX_DEPTH);
            return FALSE;
        } else if (c == '}' || c == ']')
            depth--;
    }
    return TRUE;
}

/* A member's string value; a member of another type is reported. */
static const char *
get_string(JsonObject *object, const char *member, const char *path, CgProfile *profile)
{
    JsonNode *node = json_object_get_member(object, member);
    if (node == NULL || JSON_NODE_HOLDS_NULL(node))
        return NULL;
    if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
        return json_node_get_string(node);
    cg_profile_unsupported(profile, _("“%s%s” is not a string"), path, member);
    return NULL;
}

static gboolean
get_int(JsonObject *object, const char *member, const char *path, CgProfile *profile, gint64 *out)
{
    JsonNode *node = json_object_get_member(object, member);
    if (node == NULL || JSON_NODE_HOLDS_NULL(node))
        return FALSE;
    if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64) {
        *out = json_node_get_int(node);
        return TRUE;
    }
    cg_profile_unsupported(profile, _("“%s%s” is not a number"), path, member);
    return FALSE;
}

static gboolean
get_bool(JsonObject *object, const char *member, gboolean *out)
{
    JsonNode *node = json_object_get_member(object, member);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node)
        || json_node_get_value_type(node) != G_TYPE_BOOLEAN)
        return FALSE;
    *out = json_node_get_boolean(node);
    return TRUE;
}

static JsonObject *
get_object(JsonObject *object, const char *member, CgProfile *profile)
{
    JsonNode *node = json_object_get_member(object, member);
    if (node == NULL)
        return NULL;
    if (JSON_NODE_HOLDS_OBJECT(node))
        return json_node_get_object(node);
    cg_profile_unsupported(profile, _("“%s” is not an object"), member);
    return NULL;
}

/* Reports every member of object not in known. */
static void
report_unknown(JsonObject *object, const char *path, const char *const *known, CgProfile *profile)
{
    g_autoptr(GList) members = json_object_get_members(object);
    members = g_list_sort(members, (GCompareFunc)strcmp);
    for (GList *l = members; l; l = l->next) {
        if (!g_strv_contains(known, l->data))
            cg_profile_unsupported(profile, _("“%s%s” (not supported)"), path,
                                   (const char *)l->data);
    }
}

/* "a b c" (spaces) -> "a,b,c" */
static char *
spaces_to_commas(const char *list)
{
    g_auto(GStrv) parts = g_strsplit_set(list, " \t", -1);
    g_autoptr(GPtrArray) kept = g_ptr_array_new();
    for (gsize i = 0; parts[i]; i++) {
        if (parts[i][0] != '\0')
            g_ptr_array_add(kept, parts[i]);
    }
    g_ptr_array_add(kept, NULL);
    return g_strjoinv(",", (char **)kept->pdata);
}

/* Base64 text (line breaks allowed) -> bytes; NULL when it is not. */
static guint8 *
decode_base64(const char *text, gsize *len)
{
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("+/=\r\n \t", *p))
            return NULL;
    }
    guint8 *bytes = g_base64_decode(text, len);
    if (*len < SSWAN_MIN_BLOB_BYTES) {
        g_free(bytes);
        return NULL;
    }
    return bytes;
}

/* remote.cert: a certificate, DER or PEM, base64-encoded */
static void
read_remote_cert(const char *text, CgProfile *profile)
{
    gsize len = 0;
    g_autofree guint8 *bytes = decode_base64(text, &len);
    gboolean pem
        = bytes && g_strstr_len((const char *)bytes, (gssize)len, "-----BEGIN CERTIFICATE-----");
    /* DER: an ASN.1 SEQUENCE */
    if (bytes == NULL || (!pem && bytes[0] != 0x30)) {
        cg_profile_unsupported(profile, _("“remote.cert” is not a base64-encoded certificate"));
        return;
    }
    g_autofree char *name
        = g_strdup_printf("%s-ca.%s", cg_profile_ensure_uuid(profile), pem ? "pem" : "der");
    g_autofree char *path = cg_profile_file_path(name);
    cg_profile_add_file(profile, path, bytes, len);
    cg_profile_set(profile, NM_CYGNET_KEY_CA_CERT, path);
}

/* local.p12: our certificate and key, base64-encoded PKCS#12 (its
 * password is not in the file: asked for when connecting) */
static void
read_local_p12(const char *text, CgProfile *profile)
{
    gsize len = 0;
    g_autofree guint8 *bytes = decode_base64(text, &len);
    if (bytes == NULL || bytes[0] != 0x30) {
        cg_profile_unsupported(profile, _("“local.p12” is not a base64-encoded PKCS#12 file"));
        if (bytes)
            explicit_bzero(bytes, len);
        return;
    }
    g_autofree char *name = g_strdup_printf("%s.p12", cg_profile_ensure_uuid(profile));
    g_autofree char *path = cg_profile_file_path(name);
    cg_profile_add_file(profile, path, bytes, len);
    explicit_bzero(bytes, len);
    cg_profile_set(profile, NM_CYGNET_KEY_PKCS12, path);
    cg_profile_set(profile, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, "1"); /* the keyring */
}

static void
read_remote(JsonObject *remote, CgProfile *profile)
{
    static const char *const known[] = { "addr", "port", "id", "cert", "certreq", NULL };
    const char *addr = get_string(remote, "addr", "remote.", profile);
    const char *id = get_string(remote, "id", "remote.", profile);
    const char *cert = get_string(remote, "cert", "remote.", profile);
    gint64 port = 0;
    gboolean certreq = TRUE;
    if (addr)
        cg_profile_set(profile, NM_CYGNET_KEY_GATEWAY, addr);
    if (id)
        cg_profile_set(profile, NM_CYGNET_KEY_REMOTE_ID, id);
    if (get_int(remote, "port", "remote.", profile, &port)) {
        g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT, port);
        cg_profile_set(profile, NM_CYGNET_KEY_PORT, text);
    }
    if (cert)
        read_remote_cert(cert, profile);
    if (get_bool(remote, "certreq", &certreq) && !certreq)
        cg_profile_unsupported(profile, _("not sending certificate requests (remote.certreq)"));
    report_unknown(remote, "remote.", known, profile);
}

static void
read_local(JsonObject *local, CgProfile *profile)
{
    static const char *const known[] = { "id", "eap_id", "p12", NULL };
    const char *id = get_string(local, "id", "local.", profile);
    const char *eap_id = get_string(local, "eap_id", "local.", profile);
    const char *p12 = get_string(local, "p12", "local.", profile);
    if (id)
        cg_profile_set(profile, NM_CYGNET_KEY_LOCAL_ID, id);
    if (eap_id)
        cg_profile_set(profile, NM_CYGNET_KEY_USER, eap_id);
    if (p12)
        read_local_p12(p12, profile);
    report_unknown(local, "local.", known, profile);
}

static void
read_split_tunneling(JsonObject *split, CgProfile *profile)
{
    static const char *const known[] = { "subnets", "excluded", "block-ipv4", "block-ipv6", NULL };
    const char *subnets = get_string(split, "subnets", "split-tunneling.", profile);
    gboolean block = FALSE;
    if (subnets) {
        g_autofree char *ts = spaces_to_commas(subnets);
        cg_profile_set(profile, NM_CYGNET_KEY_REMOTE_TS, ts);
    }
    if (json_object_has_member(split, "excluded"))
        cg_profile_unsupported(profile, _("excluded subnets (split-tunneling.excluded)"));
    if (get_bool(split, "block-ipv4", &block) && block)
        cg_profile_unsupported(profile, _("blocking IPv4 outside the tunnel "
                                          "(split-tunneling.block-ipv4)"));
    if (get_bool(split, "block-ipv6", &block) && block)
        cg_profile_unsupported(profile, _("blocking IPv6 outside the tunnel "
                                          "(split-tunneling.block-ipv6)"));
    report_unknown(split, "split-tunneling.", known, profile);
}

CgProfile *
cg_sswan_read(const char *text, gsize len, GError **error)
{
    static const char *const known[] = { "uuid",          "name",  "type",
                                         "remote",        "local", "ike-proposal",
                                         "esp-proposal",  "mtu",   "split-tunneling",
                                         "nat-keepalive", NULL };
    if (!check_depth(text, len, error))
        return NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) local = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)len, &local)) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Not a strongSwan profile: %s"), local->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Not a strongSwan profile: the top level is not a JSON object"));
        return NULL;
    }
    JsonObject *object = json_node_get_object(root);
    g_autoptr(CgProfile) profile = cg_profile_new();
    JsonObject *remote = get_object(object, "remote", profile);
    const char *type = get_string(object, "type", "", profile);
    if (remote == NULL || type == NULL) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Not a strongSwan profile: “type” and “remote” are required"));
        return NULL;
    }
    profile->uuid = g_strdup(get_string(object, "uuid", "", profile));
    profile->id = g_strdup(get_string(object, "name", "", profile));

    gboolean known_type = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(sswan_types); i++) {
        if (strcmp(sswan_types[i].type, type) != 0)
            continue;
        known_type = TRUE;
        cg_profile_set(profile, NM_CYGNET_KEY_AUTH, sswan_types[i].auth);
        if (sswan_types[i].eap_method)
            cg_profile_set(profile, NM_CYGNET_KEY_EAP_METHOD, sswan_types[i].eap_method);
        if (sswan_types[i].what)
            cg_profile_unsupported(profile, _("%s (profile type %s)"), _(sswan_types[i].what),
                                   type);
        /* the password is never in the file: the keyring, asked once */
        if (g_strcmp0(sswan_types[i].eap_method, NM_CYGNET_EAP_MSCHAPV2) == 0)
            cg_profile_set(profile, NM_CYGNET_KEY_PASSWORD_FLAGS, "1");
    }
    if (!known_type)
        cg_profile_unsupported(profile, _("the profile type “%s”"), type);

    read_remote(remote, profile);
    JsonObject *local_id = get_object(object, "local", profile);
    if (local_id)
        read_local(local_id, profile);
    const char *ike = get_string(object, "ike-proposal", "", profile);
    const char *esp = get_string(object, "esp-proposal", "", profile);
    if (ike)
        cg_profile_set(profile, NM_CYGNET_KEY_IKE, ike);
    if (esp)
        cg_profile_set(profile, NM_CYGNET_KEY_ESP, esp);
    gint64 mtu = 0;
    if (get_int(object, "mtu", "", profile, &mtu)) {
        g_autofree char *mtu_text = g_strdup_printf("%" G_GINT64_FORMAT, mtu);
        cg_profile_set(profile, NM_CYGNET_KEY_MTU, mtu_text);
    }
    JsonObject *split = get_object(object, "split-tunneling", profile);
    if (split)
        read_split_tunneling(split, profile);
    /* nat-keepalive: Cygnet sends NAT-T keepalives on its own schedule
     * (RFC 3948 4); a different interval changes nothing the gateway sees
     * as required, so it is accepted without being kept. */
    report_unknown(object, "", known, profile);
    return g_steal_pointer(&profile);
}

/* A file the profile names, as base64: the bytes an import has not
 * written yet, or the file on disk. */
static char *
embed_file(const CgProfile *profile, const char *key, GError **error)
{
    const char *path = g_hash_table_lookup(profile->data, key);
    for (guint i = 0; i < profile->files->len; i++) {
        const CgProfileFile *file = g_ptr_array_index(profile->files, i);
        if (strcmp(file->path, path) == 0) {
            gsize len = 0;
            const guchar *data = g_bytes_get_data(file->bytes, &len);
            return g_base64_encode(data, len);
        }
    }
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(path, &contents, &len, &local) || len > CG_IMPORT_MAX_FILE_BYTES) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                    _("Cannot embed “%s” (%s) in the strongSwan profile: %s"), path, key,
                    local ? local->message : _("too big"));
        return NULL;
    }
    char *encoded = g_base64_encode((const guchar *)contents, len);
    explicit_bzero(contents, len);
    return encoded;
}

static const char *
lookup(const CgProfile *profile, const char *key)
{
    const char *value = g_hash_table_lookup(profile->data, key);
    return value && value[0] ? value : NULL;
}

char *
cg_sswan_write(const CgProfile *profile, GError **error)
{
    const char *auth = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_AUTH);
    const char *eap_method = lookup(profile, NM_CYGNET_KEY_EAP_METHOD);
    const char *type = NULL;
    if (auth == NULL || auth[0] == '\0' || strcmp(auth, NM_CYGNET_AUTH_PSK) == 0) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                    _("strongSwan profiles (.sswan) have no pre-shared keys; export to a Cygnet "
                      "profile (.cygnet) or an Apple profile (.mobileconfig) instead"));
        return NULL;
    }
    if (strcmp(auth, NM_CYGNET_AUTH_CERT) == 0)
        type = "ikev2-cert";
    else
        type = g_strcmp0(eap_method, NM_CYGNET_EAP_TLS) == 0 ? "ikev2-eap-tls" : "ikev2-eap";

    /* what .sswan cannot say: refuse rather than drop. The secret flags
     * go without loss: the format carries no secrets, the importer sets
     * them (the keyring). */
    static const char *const expressible[] = {
        NM_CYGNET_KEY_GATEWAY,
        NM_CYGNET_KEY_PORT,
        NM_CYGNET_KEY_LOCAL_ID,
        NM_CYGNET_KEY_REMOTE_ID,
        NM_CYGNET_KEY_AUTH,
        NM_CYGNET_KEY_EAP_METHOD,
        NM_CYGNET_KEY_USER,
        NM_CYGNET_KEY_CA_CERT,
        NM_CYGNET_KEY_PKCS12,
        NM_CYGNET_KEY_IKE,
        NM_CYGNET_KEY_ESP,
        NM_CYGNET_KEY_MTU,
        NM_CYGNET_KEY_REMOTE_TS,
        NM_CYGNET_KEY_PASSWORD_FLAGS,
        NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS,
        NULL,
    };
    g_auto(GStrv) keys = cg_sorted_keys(profile->data);
    for (gsize i = 0; keys[i]; i++) {
        const char *value = g_hash_table_lookup(profile->data, keys[i]);
        /* a default named explicitly says what the format's silence says */
        if ((strcmp(keys[i], NM_CYGNET_KEY_ADDRESS_FAMILY) == 0
             && strcmp(value, NM_CYGNET_FAMILY_AUTO) == 0)
            || (strcmp(keys[i], NM_CYGNET_KEY_OCSP) == 0 && strcmp(value, NM_CYGNET_OCSP_NO) == 0))
            continue;
        if (!g_strv_contains(expressible, keys[i]) && value[0] != '\0') {
            g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                        _("strongSwan profiles (.sswan) cannot express the setting “%s”"), keys[i]);
            return NULL;
        }
    }
    g_autofree char *remote_cert = NULL;
    g_autofree char *local_p12 = NULL;
    if (lookup(profile, NM_CYGNET_KEY_CA_CERT)
        && !(remote_cert = embed_file(profile, NM_CYGNET_KEY_CA_CERT, error)))
        return NULL;
    if (lookup(profile, NM_CYGNET_KEY_PKCS12)
        && !(local_p12 = embed_file(profile, NM_CYGNET_KEY_PKCS12, error)))
        return NULL;

    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    g_autofree char *uuid = profile->uuid ? g_strdup(profile->uuid) : g_uuid_string_random();
    json_builder_set_member_name(builder, "uuid");
    json_builder_add_string_value(builder, uuid);
    if (profile->id) {
        json_builder_set_member_name(builder, "name");
        json_builder_add_string_value(builder, profile->id);
    }
    json_builder_set_member_name(builder, "type");
    json_builder_add_string_value(builder, type);

    json_builder_set_member_name(builder, "remote");
    json_builder_begin_object(builder);
    const char *value;
    if ((value = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_GATEWAY))) {
        json_builder_set_member_name(builder, "addr");
        json_builder_add_string_value(builder, value);
    }
    if ((value = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_PORT)) && value[0]) {
        json_builder_set_member_name(builder, "port");
        json_builder_add_int_value(builder, g_ascii_strtoll(value, NULL, 10));
    }
    if ((value = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_REMOTE_ID)) && value[0]) {
        json_builder_set_member_name(builder, "id");
        json_builder_add_string_value(builder, value);
    }
    if (remote_cert) {
        json_builder_set_member_name(builder, "cert");
        json_builder_add_string_value(builder, remote_cert);
    }
    json_builder_end_object(builder);

    const char *local_id = lookup(profile, NM_CYGNET_KEY_LOCAL_ID);
    const char *user = lookup(profile, NM_CYGNET_KEY_USER);
    if (local_id || user || local_p12) {
        json_builder_set_member_name(builder, "local");
        json_builder_begin_object(builder);
        if (local_id) {
            json_builder_set_member_name(builder, "id");
            json_builder_add_string_value(builder, local_id);
        }
        if (user) {
            json_builder_set_member_name(builder, "eap_id");
            json_builder_add_string_value(builder, user);
        }
        if (local_p12) {
            json_builder_set_member_name(builder, "p12");
            json_builder_add_string_value(builder, local_p12);
        }
        json_builder_end_object(builder);
    }
    if ((value = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_IKE)) && value[0]) {
        json_builder_set_member_name(builder, "ike-proposal");
        json_builder_add_string_value(builder, value);
    }
    if ((value = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_ESP)) && value[0]) {
        json_builder_set_member_name(builder, "esp-proposal");
        json_builder_add_string_value(builder, value);
    }
    if ((value = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_MTU)) && value[0]) {
        json_builder_set_member_name(builder, "mtu");
        json_builder_add_int_value(builder, g_ascii_strtoll(value, NULL, 10));
    }
    if ((value = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_REMOTE_TS)) && value[0]) {
        g_auto(GStrv) subnets = g_strsplit(value, ",", -1);
        g_autofree char *joined = g_strjoinv(" ", subnets);
        json_builder_set_member_name(builder, "split-tunneling");
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "subnets");
        json_builder_add_string_value(builder, joined);
        json_builder_end_object(builder);
    }
    json_builder_end_object(builder);

    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    json_generator_set_root(generator, root);
    json_generator_set_pretty(generator, TRUE);
    char *text = json_generator_to_data(generator, NULL);
    char *with_newline = g_strconcat(text, "\n", NULL);
    g_free(text);
    return with_newline;
}
