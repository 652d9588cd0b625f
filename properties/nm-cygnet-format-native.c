/* nm-cygnet-format-native.c: Cygnet's own profile file, a keyfile that
 * holds everything a Cygnet connection has, so export and import give back
 * the same connection:
 *
 *   [cygnet]
 *   format=1
 *   id=corp
 *   uuid=...
 *   never-default-ipv4=false
 *   never-default-ipv6=false
 *   dns-search=corp.example;
 *
 *   [vpn]              vpn.data, key for key (docs/nm-settings.md)
 *   gateway=vpn.example.org
 *
 *   [secrets]          vpn.secrets the connection stores itself
 *   psk=...
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nm-cygnet-formats.h"

#define GROUP_PROFILE  "cygnet"
#define GROUP_DATA     "vpn"
#define GROUP_SECRETS  "secrets"
#define FORMAT_VERSION 1

static const char *const profile_keys[]
    = { "format", "id", "uuid", "never-default-ipv4", "never-default-ipv6", "dns-search", NULL };

static void
read_group(GKeyFile *keyfile, const char *group, CgProfile *profile, gboolean secret)
{
    g_auto(GStrv) keys = g_key_file_get_keys(keyfile, group, NULL, NULL);
    for (gsize i = 0; keys && keys[i]; i++) {
        g_autofree char *value = g_key_file_get_string(keyfile, group, keys[i], NULL);
        if (value == NULL) {
            cg_profile_unsupported(profile, _("[%s] %s: not a readable value"), group, keys[i]);
            continue;
        }
        if (secret)
            cg_profile_set_secret(profile, keys[i], value);
        else
            cg_profile_set(profile, keys[i], value);
        if (secret)
            explicit_bzero(value, strlen(value));
    }
}

static gboolean
read_bool(GKeyFile *keyfile, const char *key, CgProfile *profile)
{
    g_autoptr(GError) error = NULL;
    if (!g_key_file_has_key(keyfile, GROUP_PROFILE, key, NULL))
        return FALSE;
    gboolean value = g_key_file_get_boolean(keyfile, GROUP_PROFILE, key, &error);
    if (error != NULL)
        cg_profile_unsupported(profile, _("[cygnet] %s: not true or false"), key);
    return value;
}

CgProfile *
cg_native_read(const char *text, gsize len, GError **error)
{
    g_autoptr(GKeyFile) keyfile = g_key_file_new();
    g_autoptr(GError) local = NULL;
    if (!g_key_file_load_from_data(keyfile, text, len, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Not a Cygnet profile: %s"), local->message);
        return NULL;
    }
    gint64 format = 0;
    g_autofree char *format_text = g_key_file_get_value(keyfile, GROUP_PROFILE, "format", NULL);
    if (format_text == NULL
        || !g_ascii_string_to_signed(format_text, 10, 1, G_MAXINT32, &format, NULL)) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Not a Cygnet profile: no [cygnet] format= line"));
        return NULL;
    }
    if (format != FORMAT_VERSION) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Cygnet profile format %d; this version reads format %d"), (int)format,
                    FORMAT_VERSION);
        return NULL;
    }

    g_autoptr(CgProfile) profile = cg_profile_new();
    g_auto(GStrv) groups = g_key_file_get_groups(keyfile, NULL);
    for (gsize i = 0; groups[i]; i++) {
        if (strcmp(groups[i], GROUP_PROFILE) != 0 && strcmp(groups[i], GROUP_DATA) != 0
            && strcmp(groups[i], GROUP_SECRETS) != 0)
            cg_profile_unsupported(profile, _("Unknown section [%s]"), groups[i]);
    }
    g_auto(GStrv) keys = g_key_file_get_keys(keyfile, GROUP_PROFILE, NULL, NULL);
    for (gsize i = 0; keys && keys[i]; i++) {
        if (!g_strv_contains(profile_keys, keys[i]))
            cg_profile_unsupported(profile, _("Unknown setting [cygnet] %s"), keys[i]);
    }
    profile->id = g_key_file_get_string(keyfile, GROUP_PROFILE, "id", NULL);
    profile->uuid = g_key_file_get_string(keyfile, GROUP_PROFILE, "uuid", NULL);
    profile->never_default4 = read_bool(keyfile, "never-default-ipv4", profile);
    profile->never_default6 = read_bool(keyfile, "never-default-ipv6", profile);
    profile->dns_search
        = g_key_file_get_string_list(keyfile, GROUP_PROFILE, "dns-search", NULL, NULL);
    read_group(keyfile, GROUP_DATA, profile, FALSE);
    read_group(keyfile, GROUP_SECRETS, profile, TRUE);
    return g_steal_pointer(&profile);
}

static void
write_table(GKeyFile *keyfile, const char *group, GHashTable *table)
{
    g_auto(GStrv) keys = cg_sorted_keys(table);
    for (gsize i = 0; keys[i]; i++)
        g_key_file_set_string(keyfile, group, keys[i], g_hash_table_lookup(table, keys[i]));
}

char *
cg_native_write(const CgProfile *profile, GError **error)
{
    g_autoptr(GKeyFile) keyfile = g_key_file_new();
    g_key_file_set_comment(keyfile, NULL, NULL, " NetworkManager-cygnet VPN profile", NULL);
    g_key_file_set_integer(keyfile, GROUP_PROFILE, "format", FORMAT_VERSION);
    if (profile->id)
        g_key_file_set_string(keyfile, GROUP_PROFILE, "id", profile->id);
    if (profile->uuid)
        g_key_file_set_string(keyfile, GROUP_PROFILE, "uuid", profile->uuid);
    g_key_file_set_boolean(keyfile, GROUP_PROFILE, "never-default-ipv4", profile->never_default4);
    g_key_file_set_boolean(keyfile, GROUP_PROFILE, "never-default-ipv6", profile->never_default6);
    if (profile->dns_search && profile->dns_search[0])
        g_key_file_set_string_list(keyfile, GROUP_PROFILE, "dns-search",
                                   (const char *const *)profile->dns_search,
                                   g_strv_length(profile->dns_search));
    write_table(keyfile, GROUP_DATA, profile->data);
    if (g_hash_table_size(profile->secrets) > 0)
        write_table(keyfile, GROUP_SECRETS, profile->secrets);
    return g_key_file_to_data(keyfile, NULL, error);
}
