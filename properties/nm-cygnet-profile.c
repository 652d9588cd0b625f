/* nm-cygnet-profile.c: CgProfile <-> NMConnection. */
#include "config.h"

#include "nm-cygnet-profile.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nm-cygnet-keys.h"
#include "nm-cygnet-validate.h"

G_DEFINE_QUARK(cg - import - error - quark, cg_import_error)

static void
secret_free(char *secret)
{
    if (secret != NULL) {
        explicit_bzero(secret, strlen(secret));
        g_free(secret);
    }
}

static void
profile_file_free(CgProfileFile *file)
{
    /* the bytes may hold a private key: wiped (ours alone: g_bytes_new
     * copied them) */
    gsize len = 0;
    gpointer data = (gpointer)g_bytes_get_data(file->bytes, &len);
    if (data != NULL && len > 0)
        explicit_bzero(data, len);
    g_bytes_unref(file->bytes);
    g_free(file->path);
    g_free(file);
}

CgProfile *
cg_profile_new(void)
{
    CgProfile *profile = g_new0(CgProfile, 1);
    profile->data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    profile->secrets
        = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)secret_free);
    profile->unsupported = g_ptr_array_new_with_free_func(g_free);
    profile->files = g_ptr_array_new_with_free_func((GDestroyNotify)profile_file_free);
    return profile;
}

void
cg_profile_free(CgProfile *profile)
{
    if (profile == NULL)
        return;
    g_free(profile->id);
    g_free(profile->uuid);
    g_hash_table_unref(profile->data);
    g_hash_table_unref(profile->secrets);
    g_strfreev(profile->dns_search);
    g_ptr_array_unref(profile->unsupported);
    g_ptr_array_unref(profile->files);
    g_free(profile);
}

void
cg_profile_set(CgProfile *profile, const char *key, const char *value)
{
    g_hash_table_replace(profile->data, g_strdup(key), g_strdup(value));
}

void
cg_profile_set_secret(CgProfile *profile, const char *key, const char *value)
{
    g_hash_table_replace(profile->secrets, g_strdup(key), g_strdup(value));
}

void
cg_profile_unsupported(CgProfile *profile, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_ptr_array_add(profile->unsupported, g_strdup_vprintf(format, args));
    va_end(args);
}

char *
cg_profile_file_path(const char *name)
{
    return g_build_filename(g_get_user_data_dir(), "cygnet", "certificates", name, NULL);
}

const char *
cg_profile_ensure_uuid(CgProfile *profile)
{
    if (profile->uuid == NULL || !g_uuid_string_is_valid(profile->uuid)) {
        g_free(profile->uuid);
        profile->uuid = g_uuid_string_random();
    }
    return profile->uuid;
}

void
cg_profile_add_file(CgProfile *profile, const char *path, const void *data, gsize len)
{
    CgProfileFile *file = g_new0(CgProfileFile, 1);
    file->path = g_strdup(path);
    file->bytes = g_bytes_new(data, len);
    g_ptr_array_add(profile->files, file);
}

guint8 *
cg_profile_file_contents(const CgProfile *profile, const char *path, gsize *len, GError **error)
{
    for (guint i = 0; i < profile->files->len; i++) {
        const CgProfileFile *file = g_ptr_array_index(profile->files, i);
        if (strcmp(file->path, path) == 0) {
            const guint8 *data = g_bytes_get_data(file->bytes, len);
            return g_memdup2(data, *len);
        }
    }
    /* size and kind first: a profile naming /dev/zero or a FIFO must not
     * make the export read forever */
    GStatBuf st;
    if (g_stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("%s is not a regular file"),
                        path);
            return NULL;
        }
        if ((guint64)st.st_size > CG_PROFILE_MAX_FILE_BYTES) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("%s is too big"), path);
            return NULL;
        }
    }
    char *contents = NULL;
    if (!g_file_get_contents(path, &contents, len, error))
        return NULL;
    if (*len > CG_PROFILE_MAX_FILE_BYTES) {
        explicit_bzero(contents, *len);
        g_free(contents);
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("%s is too big"), path);
        return NULL;
    }
    return (guint8 *)contents;
}

gboolean
cg_profile_write_files(const CgProfile *profile, GError **error)
{
    for (guint i = 0; i < profile->files->len; i++) {
        const CgProfileFile *file = g_ptr_array_index(profile->files, i);
        g_autofree char *dir = g_path_get_dirname(file->path);
        if (g_mkdir_with_parents(dir, 0700) != 0) {
            int saved_errno = errno;
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
                        _("Cannot create %s: %s"), dir, g_strerror(saved_errno));
            return FALSE;
        }
        gsize len = 0;
        const char *data = g_bytes_get_data(file->bytes, &len);
        if (!g_file_set_contents_full(file->path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
                                      0600, error))
            return FALSE;
    }
    return TRUE;
}

NMConnection *
cg_profile_to_connection(const CgProfile *profile, GError **error)
{
    if (profile->unsupported->len > 0) {
        g_autoptr(GString) list = g_string_new(NULL);
        for (guint i = 0; i < profile->unsupported->len; i++)
            g_string_append_printf(list, "\n  - %s",
                                   (const char *)g_ptr_array_index(profile->unsupported, i));
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNSUPPORTED,
                    _("The file asks for what Cygnet cannot do; nothing was imported:%s"),
                    list->str);
        return NULL;
    }
    g_autoptr(GError) invalid = NULL;
    if (!cg_validate_data(profile->data, &invalid)) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_INVALID,
                    _("The file holds a value Cygnet would refuse; nothing was imported: %s"),
                    invalid->message);
        return NULL;
    }
    static const char *const secret_keys[] = { NM_CYGNET_SECRET_KEYS, NULL };
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, profile->secrets);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_strv_contains(secret_keys, key)) {
            g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_INVALID,
                        _("Unknown secret “%s”; nothing was imported"), (const char *)key);
            return NULL;
        }
    }

    g_autoptr(NMConnection) connection = nm_simple_connection_new();
    g_autofree char *uuid = profile->uuid && g_uuid_string_is_valid(profile->uuid)
                                ? g_strdup(profile->uuid)
                                : nm_utils_uuid_generate();
    const char *gateway = g_hash_table_lookup(profile->data, NM_CYGNET_KEY_GATEWAY);
    NMSetting *s_con = nm_setting_connection_new();
    g_object_set(s_con, NM_SETTING_CONNECTION_ID,
                 profile->id && profile->id[0] ? profile->id : gateway, NM_SETTING_CONNECTION_UUID,
                 uuid, NM_SETTING_CONNECTION_TYPE, NM_SETTING_VPN_SETTING_NAME, NULL);
    nm_connection_add_setting(connection, s_con);

    NMSettingVpn *s_vpn = NM_SETTING_VPN(nm_setting_vpn_new());
    g_object_set(s_vpn, NM_SETTING_VPN_SERVICE_TYPE, NM_CYGNET_DBUS_SERVICE, NULL);
    g_hash_table_iter_init(&iter, profile->data);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (((const char *)value)[0] != '\0')
            nm_setting_vpn_add_data_item(s_vpn, key, value);
    }
    g_hash_table_iter_init(&iter, profile->secrets);
    while (g_hash_table_iter_next(&iter, &key, &value))
        nm_setting_vpn_add_secret(s_vpn, key, value);
    nm_connection_add_setting(connection, NM_SETTING(s_vpn));

    NMSetting *s_ip4 = nm_setting_ip4_config_new();
    g_object_set(s_ip4, NM_SETTING_IP_CONFIG_METHOD, NM_SETTING_IP4_CONFIG_METHOD_AUTO,
                 NM_SETTING_IP_CONFIG_NEVER_DEFAULT, profile->never_default4, NULL);
    NMSetting *s_ip6 = nm_setting_ip6_config_new();
    g_object_set(s_ip6, NM_SETTING_IP_CONFIG_METHOD, NM_SETTING_IP6_CONFIG_METHOD_AUTO,
                 NM_SETTING_IP_CONFIG_NEVER_DEFAULT, profile->never_default6, NULL);
    for (gsize i = 0; profile->dns_search && profile->dns_search[i]; i++) {
        nm_setting_ip_config_add_dns_search(NM_SETTING_IP_CONFIG(s_ip4), profile->dns_search[i]);
        nm_setting_ip_config_add_dns_search(NM_SETTING_IP_CONFIG(s_ip6), profile->dns_search[i]);
    }
    nm_connection_add_setting(connection, s_ip4);
    nm_connection_add_setting(connection, s_ip6);

    if (!nm_connection_verify(connection, &invalid)) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_INVALID,
                    _("The imported connection is not valid: %s"), invalid->message);
        return NULL;
    }
    return g_steal_pointer(&connection);
}

static void
copy_data_item(const char *key, const char *value, gpointer user_data)
{
    cg_profile_set(user_data, key, value);
}

static void
copy_secret(const char *key, const char *value, gpointer user_data)
{
    cg_profile_set_secret(user_data, key, value);
}

CgProfile *
cg_profile_from_connection(NMConnection *connection, GError **error)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    if (s_vpn == NULL
        || g_strcmp0(nm_setting_vpn_get_service_type(s_vpn), NM_CYGNET_DBUS_SERVICE) != 0) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_INVALID,
                    _("Not a Cygnet VPN connection"));
        return NULL;
    }
    g_autoptr(CgProfile) profile = cg_profile_new();
    profile->id = g_strdup(nm_connection_get_id(connection));
    profile->uuid = g_strdup(nm_connection_get_uuid(connection));
    nm_setting_vpn_foreach_data_item(s_vpn, copy_data_item, profile);
    nm_setting_vpn_foreach_secret(s_vpn, copy_secret, profile);

    NMSettingIPConfig *s_ip4 = nm_connection_get_setting_ip4_config(connection);
    NMSettingIPConfig *s_ip6 = nm_connection_get_setting_ip6_config(connection);
    profile->never_default4 = s_ip4 && nm_setting_ip_config_get_never_default(s_ip4);
    profile->never_default6 = s_ip6 && nm_setting_ip_config_get_never_default(s_ip6);
    if (s_ip4 && nm_setting_ip_config_get_num_dns_searches(s_ip4) > 0) {
        guint n = nm_setting_ip_config_get_num_dns_searches(s_ip4);
        profile->dns_search = g_new0(char *, n + 1);
        for (guint i = 0; i < n; i++)
            profile->dns_search[i] = g_strdup(nm_setting_ip_config_get_dns_search(s_ip4, i));
    }
    return g_steal_pointer(&profile);
}

static int
compare_strings(gconstpointer a, gconstpointer b, gpointer user_data)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char **
cg_sorted_keys(GHashTable *table)
{
    guint n = 0;
    char **keys = (char **)g_hash_table_get_keys_as_array(table, &n);
    g_qsort_with_data(keys, n, sizeof(char *), compare_strings, NULL);
    for (guint i = 0; i < n; i++)
        keys[i] = g_strdup(keys[i]);
    return keys;
}
