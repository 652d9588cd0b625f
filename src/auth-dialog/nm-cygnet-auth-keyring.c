/* nm-cygnet-auth-keyring.c: the keyring lookup (libsecret). */
#include "config.h"

#include "nm-cygnet-auth-keyring.h"

#include <libsecret/secret.h>
#include <string.h>

#include "nm-cygnet-auth-protocol.h"

/* The schema name is not matched: items stored by other agents under
 * the same attributes count too. */
static const SecretSchema *
keyring_schema(void)
{
    static const SecretSchema schema = {
        CG_KEYRING_SCHEMA_NAME,
        SECRET_SCHEMA_DONT_MATCH_NAME,
        {
            { CG_KEYRING_ATTR_UUID, SECRET_SCHEMA_ATTRIBUTE_STRING },
            { CG_KEYRING_ATTR_SETTING, SECRET_SCHEMA_ATTRIBUTE_STRING },
            { CG_KEYRING_ATTR_KEY, SECRET_SCHEMA_ATTRIBUTE_STRING },
            { NULL, 0 },
        },
        0,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
    };
    return &schema;
}

/* Where GDBus would find a session bus: the address in the environment,
 * the user's bus socket, or autolaunch on an X display. Without any (a
 * root shell over ssh running nmcli --ask) there is no keyring to ask, and
 * trying would only print a D-Bus autolaunch error. */
static gboolean
session_bus_reachable(void)
{
    if (g_getenv("DBUS_SESSION_BUS_ADDRESS") || g_getenv("DISPLAY"))
        return TRUE;
    const char *runtime_dir = g_getenv("XDG_RUNTIME_DIR");
    if (!runtime_dir)
        return FALSE;
    g_autofree char *bus = g_build_filename(runtime_dir, "bus", NULL);
    return g_file_test(bus, G_FILE_TEST_EXISTS);
}

char *
cg_keyring_lookup(const char *uuid, const char *key, gpointer user_data)
{
    if (!session_bus_reachable())
        return NULL;
    g_autoptr(GError) error = NULL;
    char *found = secret_password_lookup_sync(keyring_schema(), NULL, &error, CG_KEYRING_ATTR_UUID,
                                              uuid, CG_KEYRING_ATTR_SETTING, CG_KEYRING_SETTING_VPN,
                                              CG_KEYRING_ATTR_KEY, key, NULL);
    if (error != NULL) {
        g_printerr("nm-cygnet-auth-dialog: keyring lookup of '%s' failed: %s\n", key,
                   error->message);
        return NULL;
    }
    if (found == NULL)
        return NULL;
    /* hand out a g_malloc'ed copy; libsecret's own buffer is wiped */
    char *value = g_strdup(found);
    secret_password_free(found);
    return value;
}
