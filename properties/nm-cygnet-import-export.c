/* nm-cygnet-import-export.c: which format a file is in, and the file
 * side of import and export (size bound, nothing created on failure). */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "nm-cygnet-formats.h"

typedef enum {
    FORMAT_UNKNOWN,
    FORMAT_NATIVE,
    FORMAT_SSWAN,
    FORMAT_MOBILECONFIG,
} Format;

static Format
format_of_name(const char *file_name)
{
    if (file_name == NULL)
        return FORMAT_UNKNOWN;
    g_autofree char *lower = g_ascii_strdown(file_name, -1);
    if (g_str_has_suffix(lower, CG_SSWAN_EXTENSION))
        return FORMAT_SSWAN;
    if (g_str_has_suffix(lower, CG_MOBILECONFIG_EXTENSION))
        return FORMAT_MOBILECONFIG;
    if (g_str_has_suffix(lower, CG_NATIVE_EXTENSION))
        return FORMAT_NATIVE;
    return FORMAT_UNKNOWN;
}

/* By content first: a file renamed by a browser still imports. */
static Format
format_of_content(const char *text, gsize len)
{
    gsize i = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && g_ascii_isspace(text[i]))
        i++;
    if (i < len && text[i] == '{')
        return FORMAT_SSWAN;
    if (i < len && text[i] == '<')
        return FORMAT_MOBILECONFIG;
    /* CMS (DER SEQUENCE) around a property list: a signed Apple profile */
    if (i < len && (guchar)text[i] == 0x30 && memmem(text, len, "<plist", 6) != NULL)
        return FORMAT_MOBILECONFIG;
    if (g_strstr_len(text, (gssize)MIN(len, 4096), "[cygnet]") != NULL)
        return FORMAT_NATIVE;
    return FORMAT_UNKNOWN;
}

CgProfile *
cg_format_read_any(const char *text, gsize len, const char *file_name, GError **error)
{
    Format format = format_of_content(text, len);
    if (format == FORMAT_UNKNOWN)
        format = format_of_name(file_name);
    switch (format) {
        case FORMAT_NATIVE:
            return cg_native_read(text, len, error);
        case FORMAT_SSWAN:
            return cg_sswan_read(text, len, error);
        case FORMAT_MOBILECONFIG:
            return cg_mobileconfig_read(text, len, error);
        case FORMAT_UNKNOWN:
        default:
            g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_UNKNOWN,
                        _("Not a Cygnet (.cygnet), strongSwan (.sswan) or Apple (.mobileconfig) "
                          "VPN profile"));
            return NULL;
    }
}

char *
cg_format_write_for_name(const CgProfile *profile, const char *file_name, GError **error)
{
    switch (format_of_name(file_name)) {
        case FORMAT_SSWAN:
            return cg_sswan_write(profile, error);
        case FORMAT_MOBILECONFIG:
            return cg_mobileconfig_write(profile, error);
        case FORMAT_NATIVE:
        case FORMAT_UNKNOWN:
        default:
            return cg_native_write(profile, error);
    }
}

NMConnection *
cg_import_file(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GFileInfo) info = g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                  G_FILE_QUERY_INFO_NONE, NULL, error);
    if (info == NULL)
        return NULL;
    if (g_file_info_get_size(info) > CG_IMPORT_MAX_FILE_BYTES) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("%s is too big for a VPN profile (%lld > %d bytes)"), path,
                    (long long)g_file_info_get_size(info), CG_IMPORT_MAX_FILE_BYTES);
        return NULL;
    }
    if (!g_file_get_contents(path, &text, &len, error))
        return NULL;
    if (len > CG_IMPORT_MAX_FILE_BYTES) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("%s is too big for a VPN profile (%lld > %d bytes)"), path, (long long)len,
                    CG_IMPORT_MAX_FILE_BYTES);
        return NULL;
    }
    g_autofree char *base = g_path_get_basename(path);
    g_autoptr(CgProfile) profile = cg_format_read_any(text, len, base, error);
    explicit_bzero(text, len);
    if (profile == NULL)
        return NULL;
    if (profile->id == NULL) {
        /* the file name without its extension names the connection */
        char *dot = strrchr(base, '.');
        if (dot != NULL && dot != base)
            *dot = '\0';
        profile->id = g_strdup(base);
    }
    g_autoptr(NMConnection) connection = cg_profile_to_connection(profile, error);
    /* the files the profile carries, only for a connection that is made */
    if (connection == NULL || !cg_profile_write_files(profile, error))
        return NULL;
    return g_steal_pointer(&connection);
}

gboolean
cg_export_file(const char *path, NMConnection *connection, GError **error)
{
    g_autoptr(CgProfile) profile = cg_profile_from_connection(connection, error);
    if (profile == NULL)
        return FALSE;
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *text = cg_format_write_for_name(profile, base, error);
    if (text == NULL)
        return FALSE;
    gsize len = strlen(text);
    /* the file may hold the PSK: readable by its owner only */
    gboolean ok = g_file_set_contents_full(path, text, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
                                           0600, error);
    explicit_bzero(text, len);
    return ok;
}
