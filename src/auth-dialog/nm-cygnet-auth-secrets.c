/* nm-cygnet-auth-secrets.c: deciding what to ask (see the header). */
#include "config.h"

#include "nm-cygnet-auth-secrets.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nm-cygnet-keys.h"

/* What each method needs, as the service decides: a PSK; an EAP
 * password unless the EAP method is TLS; with a certificate (auth=cert or
 * EAP-TLS) a PIN for a key on a token, a password for a PKCS#12 file. */
static const char *
data_value(GHashTable *data, const char *key, const char *fallback)
{
    const char *value = g_hash_table_lookup(data, key);
    return value != NULL && value[0] != '\0' ? value : fallback;
}

static gboolean
needs_psk(GHashTable *data)
{
    return strcmp(data_value(data, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_PSK), NM_CYGNET_AUTH_PSK)
           == 0;
}

static gboolean
is_eap_tls(GHashTable *data)
{
    return strcmp(data_value(data, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_PSK), NM_CYGNET_AUTH_EAP) == 0
           && strcmp(data_value(data, NM_CYGNET_KEY_EAP_METHOD, ""), NM_CYGNET_EAP_TLS) == 0;
}

static gboolean
needs_password(GHashTable *data)
{
    return strcmp(data_value(data, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_PSK), NM_CYGNET_AUTH_EAP) == 0
           && !is_eap_tls(data);
}

static gboolean
uses_certificate(GHashTable *data)
{
    return strcmp(data_value(data, NM_CYGNET_KEY_AUTH, NM_CYGNET_AUTH_PSK), NM_CYGNET_AUTH_CERT)
               == 0
           || is_eap_tls(data);
}

static gboolean
needs_pin(GHashTable *data)
{
    return uses_certificate(data) && data_value(data, NM_CYGNET_KEY_PKCS11_MODULE, NULL) != NULL;
}

static gboolean
needs_passphrase(GHashTable *data)
{
    return uses_certificate(data) && data_value(data, NM_CYGNET_KEY_PKCS12, NULL) != NULL;
}

/* One row per secret the keys header defines. */
static const CgSecretDef secret_defs[] = {
    { NM_CYGNET_SECRET_PSK, NM_CYGNET_KEY_PSK_FLAGS, needs_psk, CG_SECRET_KIND_PASSWORD,
      N_("Pre-shared key") },
    { NM_CYGNET_SECRET_PASSWORD, NM_CYGNET_KEY_PASSWORD_FLAGS, needs_password,
      CG_SECRET_KIND_PASSWORD, N_("Password") },
    { NM_CYGNET_SECRET_PIN, NM_CYGNET_KEY_PIN_FLAGS, needs_pin, CG_SECRET_KIND_PIN, N_("PIN") },
    { NM_CYGNET_SECRET_KEY_PASSPHRASE, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS, needs_passphrase,
      CG_SECRET_KIND_PASSPHRASE, N_("Private key passphrase") },
};

const CgSecretDef *
cg_secret_defs(gsize *n_defs)
{
    *n_defs = G_N_ELEMENTS(secret_defs);
    return secret_defs;
}

const CgSecretDef *
cg_secret_def_find(const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(secret_defs); i++) {
        if (strcmp(secret_defs[i].key, key) == 0)
            return &secret_defs[i];
    }
    return NULL;
}

void
cg_secret_item_free(CgSecretItem *item)
{
    if (item == NULL)
        return;
    cg_auth_secret_free(item->value);
    g_free(item);
}

guint32
cg_secret_flags_from_data(GHashTable *data, const char *flags_key)
{
    const char *text = g_hash_table_lookup(data, flags_key);
    guint64 flags = 0;
    if (text == NULL || !g_ascii_string_to_unsigned(text, 10, 0, CG_SECRET_FLAGS_ALL, &flags, NULL))
        return 0;
    return (guint32)flags;
}

static gboolean
hints_name_a_key(const char *const *hints)
{
    for (gsize i = 0; hints != NULL && hints[i] != NULL; i++) {
        if (!g_str_has_prefix(hints[i], CG_HINT_MESSAGE_PREFIX))
            return TRUE;
    }
    return FALSE;
}

GPtrArray *
cg_auth_plan(const CgAuthInput *input, const CgAuthRequest *request, char **message)
{
    GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify)cg_secret_item_free);
    const char *const *hints = request->hints;
    gboolean hinted_keys = hints_name_a_key(hints);

    *message = NULL;
    for (gsize i = 0; hints != NULL && hints[i] != NULL; i++) {
        if (g_str_has_prefix(hints[i], CG_HINT_MESSAGE_PREFIX) && *message == NULL)
            *message = g_strdup(hints[i] + strlen(CG_HINT_MESSAGE_PREFIX));
    }

    for (gsize i = 0; i < G_N_ELEMENTS(secret_defs); i++) {
        const CgSecretDef *def = &secret_defs[i];
        gboolean hinted = hints != NULL && g_strv_contains(hints, def->key);
        guint32 flags = cg_secret_flags_from_data(input->data, def->flags_key);

        /* With hints naming keys, NetworkManager (the service, mid-connect)
         * asks exactly for those; otherwise for what the method needs,
         * except secrets marked "not required". */
        if (hinted_keys && !hinted)
            continue;
        if (!hinted_keys
            && (!def->needed(input->data) || (flags & CG_SECRET_FLAG_NOT_REQUIRED) != 0))
            continue;

        CgSecretItem *item = g_new0(CgSecretItem, 1);
        item->def = def;
        item->flags = flags;
        const char *known = g_hash_table_lookup(input->secrets, def->key);
        if (known != NULL && known[0] != '\0') {
            item->value = g_strdup(known);
        } else if ((flags & CG_SECRET_FLAG_AGENT_OWNED) != 0
                   && (flags & CG_SECRET_FLAG_NOT_SAVED) == 0 && request->lookup != NULL
                   && request->uuid != NULL) {
            item->value = request->lookup(request->uuid, def->key, request->lookup_data);
            item->from_keyring = item->value != NULL;
        }
        /* A hinted secret is asked even when one is known: the gateway
         * wants a new one (a one-time code, a new PIN). */
        item->should_ask = request->reprompt || hinted || item->value == NULL
                           || (flags & CG_SECRET_FLAG_NOT_SAVED) != 0;
        g_ptr_array_add(items, item);
    }
    return items;
}

gboolean
cg_auth_plan_needs_ui(const GPtrArray *items)
{
    for (guint i = 0; i < items->len; i++) {
        const CgSecretItem *item = g_ptr_array_index(items, i);
        if (item->should_ask)
            return TRUE;
    }
    return FALSE;
}
