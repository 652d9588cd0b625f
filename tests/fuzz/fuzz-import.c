/* fuzz-import.c: libFuzzer target for the editor plugin's import of VPN
 * profiles users download: Cygnet's own .cygnet keyfile, strongSwan's
 * .sswan JSON and Apple's .mobileconfig property lists, through
 * cg_import_file(), the entry point NetworkManager's editor plugin calls.
 *
 * Input: the file's bytes. Its name is picked by the input's size (one of
 * four extensions), so the by-name fallback of the format guess is reached
 * too while every seed stays a plain, valid example of its format.
 *
 * What an import promises, and this target checks:
 *  - a failure says why, and writes none of the files the profile carries;
 *  - a connection it makes passes NetworkManager's verification and the
 *    project's own (cg_validate_data: known keys, valid values, a gateway),
 *    and holds only known secrets;
 *  - the native format is lossless: export as .cygnet and import again
 *    gives back the same connection. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nm-cygnet-formats.h"
#include "nm-cygnet-keys.h"
#include "nm-cygnet-validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            g_printerr("fuzz-import: check failed: %s\n", #cond);                                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A private directory made once: the input file and, as the user's data
 * directory, where the imported profiles' embedded files go. */
static char *work_dir;
static char *certificates_dir;
static char *input_paths[4];

static void
remove_work_dir(void)
{
    if (certificates_dir != NULL) {
        g_autoptr(GDir) dir = g_dir_open(certificates_dir, 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *path = g_build_filename(certificates_dir, name, NULL);
            g_unlink(path);
        }
        g_rmdir(certificates_dir);
        g_autofree char *cygnet_dir = g_path_get_dirname(certificates_dir);
        g_rmdir(cygnet_dir);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(input_paths); i++) {
        if (input_paths[i] != NULL)
            g_unlink(input_paths[i]);
    }
    g_autofree char *data_dir = g_build_filename(work_dir, "data", NULL);
    g_rmdir(data_dir);
    g_rmdir(work_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_autoptr(GError) error = NULL;
    work_dir = g_dir_make_tmp("cygnet-fuzz-import.XXXXXX", &error);
    FUZZ_CHECK(work_dir != NULL);
    g_autofree char *data_dir = g_build_filename(work_dir, "data", NULL);
    /* before anything asks GLib for the user's data directory */
    g_setenv("XDG_DATA_HOME", data_dir, TRUE);
    g_autofree char *probe = cg_profile_file_path("probe");
    certificates_dir = g_path_get_dirname(probe);
    FUZZ_CHECK(g_str_has_prefix(certificates_dir, work_dir));
    static const char *const names[]
        = { "profile.cygnet", "profile.sswan", "profile.mobileconfig", "profile.txt" };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        input_paths[i] = g_build_filename(work_dir, names[i], NULL);
    atexit(remove_work_dir);
    return 0;
}

/* The embedded files written so far; removed (the fuzzer imports the same
 * profile again and again, with random UUIDs naming the files). */
static guint
clear_certificates(void)
{
    guint count = 0;
    g_autoptr(GDir) dir = g_dir_open(certificates_dir, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(certificates_dir, name, NULL);
        g_unlink(path);
        count++;
    }
    return count;
}

/* A file key naming something outside the files this import wrote: the
 * writers would read it from disk (it may be /dev/zero). */
static gboolean
names_outside_files(NMSettingVpn *s_vpn)
{
    guint n = 0;
    g_autofree const char **keys = nm_setting_vpn_get_data_keys(s_vpn, &n);
    for (guint i = 0; i < n; i++) {
        const char *path = nm_setting_vpn_get_data_item(s_vpn, keys[i]);
        if (cg_key_is_file(keys[i])
            && (!g_str_has_prefix(path, certificates_dir) || strstr(path, "..") != NULL))
            return TRUE;
    }
    return FALSE;
}

static void
check_connection(NMConnection *connection)
{
    g_autoptr(GError) error = NULL;
    FUZZ_CHECK(nm_connection_verify(connection, NULL));
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);
    FUZZ_CHECK(s_vpn != NULL);
    FUZZ_CHECK(g_strcmp0(nm_setting_vpn_get_service_type(s_vpn), NM_CYGNET_DBUS_SERVICE) == 0);

    /* every value the connection holds is one the service accepts */
    g_autoptr(GHashTable) data = g_hash_table_new(g_str_hash, g_str_equal);
    guint n = 0;
    g_autofree const char **keys = nm_setting_vpn_get_data_keys(s_vpn, &n);
    for (guint i = 0; i < n; i++)
        g_hash_table_insert(data, (gpointer)keys[i],
                            (gpointer)nm_setting_vpn_get_data_item(s_vpn, keys[i]));
    if (!cg_validate_data(data, &error)) {
        g_printerr("fuzz-import: imported data fails validation: %s\n", error->message);
        abort();
    }
    static const char *const secret_keys[] = { NM_CYGNET_SECRET_KEYS, NULL };
    g_autofree const char **secrets = nm_setting_vpn_get_secret_keys(s_vpn, &n);
    for (guint i = 0; i < n; i++)
        FUZZ_CHECK(g_strv_contains(secret_keys, secrets[i]));

    /* the native format gives back the same connection */
    g_autoptr(CgProfile) profile = cg_profile_from_connection(connection, &error);
    FUZZ_CHECK(profile != NULL);
    g_autofree char *text = cg_native_write(profile, &error);
    FUZZ_CHECK(text != NULL);
    g_autoptr(CgProfile) again = cg_format_read_any(text, strlen(text), NULL, &error);
    if (again == NULL) {
        g_printerr("fuzz-import: own export does not read back: %s\n%s\n", error->message, text);
        abort();
    }
    g_autoptr(NMConnection) reimported = cg_profile_to_connection(again, &error);
    if (reimported == NULL) {
        g_printerr("fuzz-import: own export does not import: %s\n%s\n", error->message, text);
        abort();
    }
    if (!nm_connection_compare(connection, reimported, NM_SETTING_COMPARE_FLAG_EXACT)) {
        g_printerr("fuzz-import: own export imports as another connection:\n%s\n", text);
        abort();
    }

    /* the other writers run on it (not on files a profile names outside
     * this import: they read those) */
    if (!names_outside_files(s_vpn)) {
        static const char *const names[] = { "x.sswan", "x.mobileconfig" };
        for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
            g_autoptr(GError) write_error = NULL;
            g_autofree char *written = cg_format_write_for_name(profile, names[i], &write_error);
            FUZZ_CHECK(written != NULL || (write_error && write_error->message[0]));
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = input_paths[size % G_N_ELEMENTS(input_paths)];
    FUZZ_CHECK(g_file_set_contents(path, (const char *)data, (gssize)size, NULL));

    g_autoptr(GError) error = NULL;
    g_autoptr(NMConnection) connection = cg_import_file(path, &error);
    if (connection == NULL) {
        /* a failure always says why, and creates nothing */
        FUZZ_CHECK(error != NULL && error->message && error->message[0]);
        FUZZ_CHECK(clear_certificates() == 0);
        return 0;
    }
    FUZZ_CHECK(error == NULL);
    check_connection(connection);
    clear_certificates();
    return 0;
}
