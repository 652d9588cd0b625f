/* nm-cygnet-auth-external.c: the keyfile of --external-ui-mode. */
#include "config.h"

#include "nm-cygnet-auth-external.h"

#include <glib/gi18n-lib.h>

#include "nm-cygnet-auth-secrets.h"

char *
cg_auth_external_describe(const char *title, const char *description, const GPtrArray *items,
                          gsize *length)
{
    g_autoptr(GKeyFile) keyfile = g_key_file_new();
    g_key_file_set_integer(keyfile, CG_EXTERNAL_UI_GROUP, "Version", 2);
    g_key_file_set_string(keyfile, CG_EXTERNAL_UI_GROUP, "Title", title);
    g_key_file_set_string(keyfile, CG_EXTERNAL_UI_GROUP, "Description", description);
    for (guint i = 0; i < items->len; i++) {
        const CgSecretItem *item = g_ptr_array_index(items, i);
        const char *group = item->def->key;
        g_key_file_set_string(keyfile, group, "Label", _(item->def->label));
        g_key_file_set_string(keyfile, group, "Value", item->value ? item->value : "");
        g_key_file_set_boolean(keyfile, group, "IsSecret", TRUE);
        g_key_file_set_boolean(keyfile, group, "ShouldAsk", item->should_ask);
    }
    return g_key_file_to_data(keyfile, length, NULL);
}
