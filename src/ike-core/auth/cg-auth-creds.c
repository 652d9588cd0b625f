/* cg-auth-creds.c: a connection's certificates, key, CAs and CRLs, read
 * once from the files (or the NSS database / a token) the config names
 * and kept with the config. A failure is not remembered: a token plugged
 * in later or a fixed file works on the next attempt. */
#include "auth/cg-auth.h"
#include "auth/cg-creds.h"

#include <string.h>

static void
creds_free(gpointer p)
{
    CgAuthCreds *c = p;
    g_clear_pointer(&c->cert, cg_cert_unref);
    g_clear_pointer(&c->chain, g_ptr_array_unref);
    g_clear_pointer(&c->key, cg_privkey_free);
    g_clear_pointer(&c->anchors, g_ptr_array_unref);
    g_clear_pointer(&c->crls, g_ptr_array_unref);
    g_clear_pointer(&c->pinned, cg_cert_unref);
    g_free(c);
}

static CgAuthCreds *
creds_of(CgConnConfig *config)
{
    if (!config->auth_cache) {
        config->auth_cache = g_new0(CgAuthCreds, 1);
        config->auth_cache_free = creds_free;
    }
    return config->auth_cache;
}

/* "token label:nickname" -> "token label" */
static char *
token_of(const char *nickname)
{
    const char *colon = strchr(nickname, ':');
    return colon ? g_strndup(nickname, (gsize)(colon - nickname)) : NULL;
}

/* The PIN / passphrase: the config's, else the secrets store's entry for
 * the token or file. */
static GBytes *
key_secret(CgConnConfig *config, const char *target)
{
    if (config->key_secret)
        return g_bytes_ref(config->key_secret);
    return target ? cg_creds_find_key_secret(target) : NULL;
}

static gboolean
load_local(CgConnConfig *config, CgAuthCreds *c, GError **error)
{
    if (config->pkcs11_module && !cg_pkcs11_load_module(config->pkcs11_module, error))
        return FALSE;
    g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    g_autoptr(CgCert) cert = NULL;
    g_autoptr(CgPrivKey) key = NULL;
    if (config->cert) {
        g_autoptr(GPtrArray) certs = cg_cert_load_file(config->cert, error);
        if (!certs)
            return FALSE;
        cert = cg_cert_ref(certs->pdata[0]);
        for (guint i = 1; i < certs->len; i++)
            g_ptr_array_add(chain, cg_cert_ref(certs->pdata[i]));
        if (config->key) {
            key = cg_privkey_load_file(config->key, error);
        } else {
            g_autoptr(GBytes) pin = key_secret(config, NULL);
            key = cg_privkey_find_for_cert(cert, pin, error);
        }
    } else if (config->cert_nickname) {
        g_autofree char *token = token_of(config->cert_nickname);
        g_autoptr(GBytes) pin = key_secret(config, token);
        /* a token may show its certificates only after the login */
        if (token && !cg_pkcs11_login(token, pin, error))
            return FALSE;
        cert = cg_cert_find_nickname(config->cert_nickname, error);
        if (!cert)
            return FALSE;
        key = cg_privkey_find_for_cert(cert, pin, error);
    } else if (config->pkcs12) {
        g_autoptr(GBytes) password = key_secret(config, config->pkcs12);
        GPtrArray *p12_chain = NULL;
        CgCert *p12_cert = NULL;
        key = cg_privkey_load_pkcs12(config->pkcs12, password, &p12_cert, &p12_chain, error);
        if (key) {
            cert = p12_cert;
            for (guint i = 0; p12_chain && i < p12_chain->len; i++)
                g_ptr_array_add(chain, cg_cert_ref(p12_chain->pdata[i]));
        }
        if (p12_chain)
            g_ptr_array_unref(p12_chain);
    } else {
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_NOT_FOUND,
                    "no certificate configured (cert, cert-nickname or pkcs12)");
        return FALSE;
    }
    if (!key)
        return FALSE;
    if (!cg_privkey_matches_cert(key, cert)) {
        g_autofree char *subject = cg_cert_subject(cert);
        g_set_error(error, CG_ENGINE_ERROR, CG_ENGINE_ERROR_INVALID,
                    "the private key does not belong to certificate '%s'", subject);
        return FALSE;
    }
    c->cert = g_steal_pointer(&cert);
    c->key = g_steal_pointer(&key);
    c->chain = g_steal_pointer(&chain);
    return TRUE;
}

gboolean
cg_auth_creds_local(CgConnConfig *config, CgAuthCreds **out, GError **error)
{
    CgAuthCreds *c = creds_of(config);
    if (!c->key && !load_local(config, c, error))
        return FALSE;
    *out = c;
    return TRUE;
}

static gboolean
load_trust(CgConnConfig *config, CgAuthCreds *c, GError **error)
{
    g_autoptr(GPtrArray) anchors = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    g_autoptr(GPtrArray) crls = g_ptr_array_new_with_free_func((GDestroyNotify)cg_crl_free);
    for (guint i = 0; i < config->cacerts->len; i++) {
        g_autoptr(GPtrArray) certs = cg_cert_load_file(config->cacerts->pdata[i], error);
        if (!certs)
            return FALSE;
        for (guint j = 0; j < certs->len; j++)
            g_ptr_array_add(anchors, cg_cert_ref(certs->pdata[j]));
    }
    for (guint i = 0; i < config->crls->len; i++) {
        GPtrArray *list = cg_crl_load_file(config->crls->pdata[i], error);
        if (!list)
            return FALSE;
        /* move them over without copying NSS objects */
        g_ptr_array_set_free_func(list, NULL);
        for (guint j = 0; j < list->len; j++)
            g_ptr_array_add(crls, list->pdata[j]);
        g_ptr_array_unref(list);
    }
    g_autoptr(CgCert) pinned = NULL;
    if (config->remote_cert) {
        g_autoptr(GPtrArray) certs = cg_cert_load_file(config->remote_cert, error);
        if (!certs)
            return FALSE;
        pinned = cg_cert_ref(certs->pdata[0]);
    }
    c->pinned = g_steal_pointer(&pinned);
    c->anchors = g_steal_pointer(&anchors);
    c->crls = g_steal_pointer(&crls);
    c->ocsp = config->ocsp;
    c->trust_loaded = TRUE;
    return TRUE;
}

gboolean
cg_auth_creds_trust(CgConnConfig *config, CgAuthCreds **out, GError **error)
{
    CgAuthCreds *c = creds_of(config);
    if (!c->trust_loaded && !load_trust(config, c, error))
        return FALSE;
    *out = c;
    return TRUE;
}

gboolean
cg_auth_eap_server_tls(CgConnConfig *config, CgEapServer *server, GError **error)
{
    CgAuthCreds *c;
    if (!cg_auth_creds_local(config, &c, error) || !cg_auth_creds_trust(config, &c, error))
        return FALSE;
    /* borrowed: the credentials live with the config, which outlives the
     * IKE_SA's EAP exchange */
    CgEapServerTls tls = { c->cert, c->chain, c->key, c->anchors };
    cg_eap_server_set_tls(server, &tls);
    return TRUE;
}
