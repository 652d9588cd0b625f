/* cg-creds.c: the process-wide store of EAP passwords and key secrets. */
#include "auth/cg-creds.h"

#include <string.h>

#include "config/cg-config.h"
#include "crypto/cg-der.h"

typedef struct {
    GStrv ids;
    GBytes *secret;
} EapEntry;

static GMutex lock;
static GPtrArray *eap_entries;  /* EapEntry* */
static GHashTable *key_secrets; /* target -> GBytes* */

static void
eap_entry_free(gpointer p)
{
    EapEntry *e = p;
    g_strfreev(e->ids);
    g_bytes_unref(e->secret);
    g_free(e);
}

static GBytes *
secret_copy(GBytes *secret)
{
    gsize len;
    const guint8 *d = g_bytes_get_data(secret, &len);
    return cg_secret_bytes_new(d, len);
}

static void
ensure_tables(void)
{
    if (!eap_entries)
        eap_entries = g_ptr_array_new_with_free_func(eap_entry_free);
    if (!key_secrets)
        key_secrets
            = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
}

void
cg_creds_add_eap_secret(const char *const *ids, GBytes *secret)
{
    g_return_if_fail(secret != NULL);
    EapEntry *e = g_new0(EapEntry, 1);
    e->ids = ids && ids[0] ? g_strdupv((char **)ids) : g_strsplit("%any", ",", -1);
    e->secret = secret_copy(secret);
    g_mutex_lock(&lock);
    ensure_tables();
    g_ptr_array_add(eap_entries, e);
    g_mutex_unlock(&lock);
}

void
cg_creds_add_key_secret(const char *target, GBytes *secret)
{
    g_return_if_fail(target != NULL && secret != NULL);
    g_mutex_lock(&lock);
    ensure_tables();
    g_hash_table_replace(key_secrets, g_strdup(target), secret_copy(secret));
    g_mutex_unlock(&lock);
}

void
cg_creds_clear(void)
{
    g_mutex_lock(&lock);
    if (eap_entries)
        g_ptr_array_set_size(eap_entries, 0);
    if (key_secrets)
        g_hash_table_remove_all(key_secrets);
    g_mutex_unlock(&lock);
}

/* 2: the identity itself (or its wildcard pattern), 1: %any, 0: no */
static int
match_score(const char *pattern, const char *identity)
{
    if (g_ascii_strcasecmp(pattern, "%any") == 0)
        return 1;
    if (strcmp(pattern, identity) == 0)
        return 2;
    CgIdentity p, id;
    if (!cg_identity_parse(pattern, &p, NULL))
        return 0;
    int score = 0;
    if (cg_identity_parse(identity, &id, NULL) && id.type) {
        gsize len;
        const guint8 *data = g_bytes_get_data(id.data, &len);
        score = p.type && cg_identity_matches(&p, id.type, data, len) ? 2 : 0;
        cg_identity_clear(&id);
    }
    cg_identity_clear(&p);
    return score;
}

GBytes *
cg_creds_find_eap_secret(const char *identity)
{
    GBytes *best = NULL;
    int best_score = 0;
    if (!identity)
        return NULL;
    g_mutex_lock(&lock);
    for (guint i = 0; eap_entries && i < eap_entries->len; i++) {
        EapEntry *e = eap_entries->pdata[i];
        for (guint j = 0; e->ids[j]; j++) {
            int score = match_score(e->ids[j], identity);
            if (score > best_score) {
                best_score = score;
                best = e->secret;
            }
        }
    }
    GBytes *out = best ? g_bytes_ref(best) : NULL;
    g_mutex_unlock(&lock);
    return out;
}

GBytes *
cg_creds_find_key_secret(const char *target)
{
    if (!target)
        return NULL;
    g_mutex_lock(&lock);
    GBytes *s = key_secrets ? g_hash_table_lookup(key_secrets, target) : NULL;
    GBytes *out = s ? g_bytes_ref(s) : NULL;
    g_mutex_unlock(&lock);
    return out;
}
