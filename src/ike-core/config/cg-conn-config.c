/* cg-conn-config.c: connection and CHILD_SA configs: defaults, reference
 * counting and the consistency check every config passes before the
 * engine sees it. */
#include "config/cg-config-private.h"
#include "config/cg-ocsp-mode.h"
#include "config/cg-config.h"

#include <string.h>

G_DEFINE_QUARK(cg - config - error - quark, cg_config_error)

#define DEFAULT_IKE_REKEY_S           14400
#define DEFAULT_CHILD_REKEY_S         3600
#define DEFAULT_DPD_DELAY_S           30
#define DEFAULT_RETRANSMIT_TIMEOUT_MS 1000
#define DEFAULT_RETRANSMIT_BASE       1.8
#define DEFAULT_RETRANSMIT_TRIES      5
#define MAX_RETRANSMIT_TRIES          20
#define DEFAULT_FRAGMENT_SIZE         1280 /* RFC 7383 2.5.1: fits IPv6's minimum MTU */
#define MIN_FRAGMENT_SIZE             576  /* IPv4's minimum reassembly size */

static GArray *
ts_list_dynamic(void)
{
    GArray *list = g_array_new(FALSE, TRUE, sizeof(CgTsConfig));
    CgTsConfig ts = { .dynamic = TRUE, .ts = { .start_port = 0, .end_port = 65535 } };
    g_array_append_val(list, ts);
    return list;
}

CgChildConfig *
cg_child_config_new(const char *name)
{
    CgChildConfig *c = g_new0(CgChildConfig, 1);
    c->name = g_strdup(name);
    c->local_ts = ts_list_dynamic();
    c->remote_ts = ts_list_dynamic();
    c->esp_proposals = cg_proposal_list_default(CG_PROTO_ESP);
    c->mode = CG_MODE_TUNNEL;
    c->rekey_time_s = DEFAULT_CHILD_REKEY_S;
    c->life_time_s = DEFAULT_CHILD_REKEY_S + DEFAULT_CHILD_REKEY_S / 10;
    return c;
}

void
cg_child_config_free(CgChildConfig *c)
{
    if (c == NULL)
        return;
    g_free(c->name);
    g_clear_pointer(&c->local_ts, g_array_unref);
    g_clear_pointer(&c->remote_ts, g_array_unref);
    g_clear_pointer(&c->esp_proposals, g_array_unref);
    g_free(c);
}

CgConnConfig *
cg_conn_config_new(const char *name)
{
    CgConnConfig *c = g_new0(CgConnConfig, 1);
    c->ref_count = 1;
    c->name = g_strdup(name);
    c->local_port = 500;
    c->remote_port = 500;
    c->local_auth = CG_AUTH_BY_PSK;
    c->remote_auth = CG_AUTH_BY_PSK;
    c->psk_ids = g_ptr_array_new_with_free_func(g_free);
    c->ike_proposals = cg_proposal_list_default(CG_PROTO_IKE);
    c->children = g_ptr_array_new_with_free_func((GDestroyNotify)cg_child_config_free);
    c->pools = g_ptr_array_new_with_free_func(g_free);
    c->dns = g_ptr_array_new_with_free_func(g_object_unref);
    c->split_include = g_ptr_array_new_with_free_func(g_free);
    c->dns_domains = g_ptr_array_new_with_free_func(g_free);
    c->ike_rekey_time_s = DEFAULT_IKE_REKEY_S;
    c->reauth_time_s = 0;
    c->rand_time_s = DEFAULT_IKE_REKEY_S / 10;
    c->dpd_delay_s = DEFAULT_DPD_DELAY_S;
    c->retransmit_timeout_ms = DEFAULT_RETRANSMIT_TIMEOUT_MS;
    c->retransmit_base = DEFAULT_RETRANSMIT_BASE;
    c->retransmit_tries = DEFAULT_RETRANSMIT_TRIES;
    c->mobike = TRUE;
    c->unique_ids = TRUE;
    c->start_action = CG_START_NONE;
    c->cacerts = g_ptr_array_new_with_free_func(g_free);
    c->crls = g_ptr_array_new_with_free_func(g_free);
    c->send_certreq = TRUE;
    c->fragmentation = TRUE;
    c->fragment_size = DEFAULT_FRAGMENT_SIZE;
    return c;
}

CgConnConfig *
cg_conn_config_ref(CgConnConfig *c)
{
    g_return_val_if_fail(c != NULL, NULL);
    g_atomic_int_inc(&c->ref_count);
    return c;
}

void
cg_conn_config_unref(CgConnConfig *c)
{
    if (c == NULL || !g_atomic_int_dec_and_test(&c->ref_count))
        return;
    g_free(c->name);
    g_free(c->local_addr);
    g_free(c->remote_addr);
    cg_identity_clear(&c->local_id);
    cg_identity_clear(&c->remote_id);
    g_clear_pointer(&c->psk, g_bytes_unref); /* its creator's free func wipes it */
    g_clear_pointer(&c->psk_ids, g_ptr_array_unref);
    g_clear_pointer(&c->ike_proposals, g_array_unref);
    g_clear_pointer(&c->children, g_ptr_array_unref);
    g_clear_pointer(&c->pools, g_ptr_array_unref);
    g_clear_pointer(&c->dns, g_ptr_array_unref);
    g_clear_pointer(&c->split_include, g_ptr_array_unref);
    g_clear_pointer(&c->dns_domains, g_ptr_array_unref);
    g_free(c->log_file);
    g_free(c->dataplane);
    if (c->auth_cache && c->auth_cache_free)
        c->auth_cache_free(c->auth_cache);
    g_free(c->cert);
    g_free(c->cert_nickname);
    g_free(c->key);
    g_free(c->pkcs12);
    g_free(c->pkcs11_module);
    g_clear_pointer(&c->key_secret, g_bytes_unref); /* its creator's free func wipes it */
    g_clear_pointer(&c->cacerts, g_ptr_array_unref);
    g_clear_pointer(&c->crls, g_ptr_array_unref);
    g_free(c->remote_cert);
    g_free(c->remote_cert_host);
    g_free(c->eap_identity);
    g_clear_pointer(&c->eap_password, g_bytes_unref);
    g_free(c);
}

static gboolean fail(GError **error, CgConfigError code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
fail(GError **error, CgConfigError code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, CG_CONFIG_ERROR, code, message);
    return FALSE;
}

static gboolean
proposals_valid(const GArray *list, guint8 protocol_id, const char *key, GError **error)
{
    if (list == NULL || list->len == 0)
        return fail(error, CG_CONFIG_ERROR_MISSING, "key '%s': at least one proposal is required",
                    key);
    for (guint i = 0; i < list->len; i++) {
        if (g_array_index(list, CgProposalSpec, i).protocol_id != protocol_id)
            return fail(error, CG_CONFIG_ERROR_INVALID,
                        "key '%s': proposal %u is for protocol %u, not %u", key, i + 1,
                        g_array_index(list, CgProposalSpec, i).protocol_id, protocol_id);
    }
    return TRUE;
}

static gboolean
child_valid(const CgChildConfig *child, GError **error)
{
    if (!cg_config_name_valid(child->name))
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "child '%s': a name is 1..64 characters of A-Z a-z 0-9 _ . : @ + -",
                    child->name != NULL ? child->name : "");
    if (child->local_ts == NULL || child->local_ts->len == 0)
        return fail(error, CG_CONFIG_ERROR_MISSING,
                    "child '%s': key 'local-ts': at least one traffic selector is required",
                    child->name);
    if (child->remote_ts == NULL || child->remote_ts->len == 0)
        return fail(error, CG_CONFIG_ERROR_MISSING,
                    "child '%s': key 'remote-ts': at least one traffic selector is required",
                    child->name);
    if (!proposals_valid(child->esp_proposals, CG_PROTO_ESP, "esp", error)) {
        g_prefix_error(error, "child '%s': ", child->name);
        return FALSE;
    }
    if (child->mode != CG_MODE_TUNNEL && child->mode != CG_MODE_TRANSPORT)
        return fail(error, CG_CONFIG_ERROR_INVALID, "child '%s': key 'mode': unknown mode %d",
                    child->name, child->mode);
    if (child->rekey_time_s != 0 && child->life_time_s != 0
        && child->rekey_time_s >= child->life_time_s)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "child '%s': key 'rekey-time': the rekey time (%u s) must be less than the "
                    "life time (%u s)",
                    child->name, child->rekey_time_s, child->life_time_s);
    return TRUE;
}

static gboolean
children_valid(const CgConnConfig *c, GError **error)
{
    if (c->children == NULL || c->children->len == 0)
        return fail(error, CG_CONFIG_ERROR_MISSING, "at least one CHILD_SA is required");
    for (guint i = 0; i < c->children->len; i++) {
        const CgChildConfig *child = g_ptr_array_index(c->children, i);
        if (!child_valid(child, error))
            return FALSE;
        for (guint j = 0; j < i; j++) {
            const CgChildConfig *other = g_ptr_array_index(c->children, j);
            if (g_strcmp0(child->name, other->name) == 0)
                return fail(error, CG_CONFIG_ERROR_INVALID, "child '%s' is defined twice",
                            child->name);
        }
    }
    return TRUE;
}

static gboolean
timers_valid(const CgConnConfig *c, GError **error)
{
    if (c->retransmit_tries < 1 || c->retransmit_tries > MAX_RETRANSMIT_TRIES)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'retransmit-tries': %u is out of range (1..%d)", c->retransmit_tries,
                    MAX_RETRANSMIT_TRIES);
    if (!(c->retransmit_base >= 1.0 && c->retransmit_base <= 10.0))
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'retransmit-base': %g is out of range (1.0..10.0)", c->retransmit_base);
    if (c->retransmit_timeout_ms == 0)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'retransmit-timeout': must be greater than 0");
    /* the jitter is subtracted from the rekey and reauth times */
    if (c->ike_rekey_time_s != 0 && c->rand_time_s >= c->ike_rekey_time_s)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'rand-time': %u s must be less than the rekey time (%u s)", c->rand_time_s,
                    c->ike_rekey_time_s);
    if (c->reauth_time_s != 0 && c->rand_time_s >= c->reauth_time_s)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'rand-time': %u s must be less than the reauth time (%u s)",
                    c->rand_time_s, c->reauth_time_s);
    return TRUE;
}

static gboolean
auth_valid(CgAuthBy auth)
{
    return auth == CG_AUTH_BY_PSK || auth == CG_AUTH_BY_PUBKEY || auth == CG_AUTH_BY_EAP;
}

static gboolean
eap_method_valid(guint8 method)
{
    return method == CG_EAP_ANY || method == CG_EAP_MSCHAPV2 || method == CG_EAP_TLS;
}

/* Certificates, keys, EAP: what can be checked without reading files. */
static gboolean
credentials_valid(const CgConnConfig *c, GError **error)
{
    if (!eap_method_valid(c->local_eap))
        return fail(error, CG_CONFIG_ERROR_INVALID, "key 'auth': unknown EAP method %u",
                    c->local_eap);
    if (!eap_method_valid(c->remote_eap))
        return fail(error, CG_CONFIG_ERROR_INVALID, "key 'remote-auth': unknown EAP method %u",
                    c->remote_eap);
    guint sources = (c->cert != NULL) + (c->cert_nickname != NULL) + (c->pkcs12 != NULL);
    if (sources > 1)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "keys 'cert', 'cert-nickname' and 'pkcs12' exclude each other");
    if (c->key != NULL && c->cert == NULL)
        return fail(error, CG_CONFIG_ERROR_MISSING, "key 'key': needs 'cert' as well");
    if (c->local_auth == CG_AUTH_BY_EAP && c->local_eap == CG_EAP_TLS && sources == 0)
        return fail(error, CG_CONFIG_ERROR_MISSING,
                    "key 'auth': eap-tls needs our certificate ('cert', 'cert-nickname' or "
                    "'pkcs12')");
    if (c->eap_only && c->local_auth != CG_AUTH_BY_EAP && c->remote_auth != CG_AUTH_BY_EAP)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'eap-only': needs EAP on one side (auth=eap-* or remote-auth=eap-*)");
    if (c->fragment_size < MIN_FRAGMENT_SIZE || c->fragment_size > 65535)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'fragment-size': %u is out of range (%d..65535)", c->fragment_size,
                    MIN_FRAGMENT_SIZE);
    return TRUE;
}

static const char *const family_pref_names[] = {
    [CG_FAMILY_AUTO] = "auto",
    [CG_FAMILY_IPV6_FIRST] = "ipv6-first",
    [CG_FAMILY_IPV4_FIRST] = "ipv4-first",
    [CG_FAMILY_IPV6_ONLY] = "ipv6-only",
    [CG_FAMILY_IPV4_ONLY] = "ipv4-only",
};

const char *
cg_family_pref_to_string(CgFamilyPref pref)
{
    if ((guint)pref >= G_N_ELEMENTS(family_pref_names))
        return "unknown";
    return family_pref_names[pref];
}

gboolean
cg_family_pref_from_string(const char *s, CgFamilyPref *out)
{
    for (guint i = 0; s != NULL && i < G_N_ELEMENTS(family_pref_names); i++) {
        if (g_ascii_strcasecmp(s, family_pref_names[i]) == 0) {
            *out = (CgFamilyPref)i;
            return TRUE;
        }
    }
    return FALSE;
}

/* An address literal of a family the preference excludes can never be
 * reached: say so at load time, not at the first connect. */
static gboolean
family_valid(const CgConnConfig *c, GError **error)
{
    if ((guint)c->address_family >= G_N_ELEMENTS(family_pref_names))
        return fail(error, CG_CONFIG_ERROR_INVALID, "key 'address-family': unknown value %d",
                    c->address_family);
    if (c->remote_addr == NULL)
        return TRUE;
    g_autoptr(GInetAddress) literal = g_inet_address_new_from_string(c->remote_addr);
    if (literal == NULL)
        return TRUE;
    gboolean v6 = g_inet_address_get_family(literal) == G_SOCKET_FAMILY_IPV6;
    if ((v6 && c->address_family == CG_FAMILY_IPV4_ONLY)
        || (!v6 && c->address_family == CG_FAMILY_IPV6_ONLY))
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'address-family': %s excludes the remote address %s",
                    cg_family_pref_to_string(c->address_family), c->remote_addr);
    return TRUE;
}

gboolean
cg_conn_config_validate(const CgConnConfig *c, GError **error)
{
    g_return_val_if_fail(c != NULL, FALSE);

    if (!cg_config_name_valid(c->name))
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "connection name '%s': a name is 1..64 characters of A-Z a-z 0-9 _ . : @ + -",
                    c->name != NULL ? c->name : "");
    if (c->start_action == CG_START_START
        && (c->remote_addr == NULL || g_ascii_strcasecmp(c->remote_addr, "%any") == 0))
        return fail(error, CG_CONFIG_ERROR_MISSING,
                    "key 'remote': a peer address is required with start=start");
    if (c->local_port == 0)
        return fail(error, CG_CONFIG_ERROR_INVALID, "key 'local-port': must not be 0");
    if (c->remote_port == 0)
        return fail(error, CG_CONFIG_ERROR_INVALID, "key 'remote-port': must not be 0");
    if (!auth_valid(c->local_auth))
        return fail(error, CG_CONFIG_ERROR_INVALID, "key 'auth': unknown method %d", c->local_auth);
    if (!auth_valid(c->remote_auth))
        return fail(error, CG_CONFIG_ERROR_INVALID, "key 'remote-auth': unknown method %d",
                    c->remote_auth);
    if (!credentials_valid(c, error))
        return FALSE;
    if (!proposals_valid(c->ike_proposals, CG_PROTO_IKE, "ike", error))
        return FALSE;
    if (!children_valid(c, error))
        return FALSE;
    if (!timers_valid(c, error))
        return FALSE;
    if (!family_valid(c, error))
        return FALSE;
    if (c->dataplane != NULL && g_strcmp0(c->dataplane, "auto") != 0
        && g_strcmp0(c->dataplane, "xfrm") != 0 && g_strcmp0(c->dataplane, "uesp") != 0
        && g_strcmp0(c->dataplane, "log") != 0)
        return fail(error, CG_CONFIG_ERROR_INVALID,
                    "key 'dataplane': '%s' is not one of auto, xfrm, uesp, log", c->dataplane);
    return TRUE;
}

gboolean
cg_ocsp_mode_from_string(const char *text, CgOcspMode *mode)
{
    if (!text || !*text || g_ascii_strcasecmp(text, "no") == 0
        || g_ascii_strcasecmp(text, "off") == 0) {
        *mode = CG_OCSP_OFF;
    } else if (g_ascii_strcasecmp(text, "soft") == 0 || g_ascii_strcasecmp(text, "yes") == 0) {
        *mode = CG_OCSP_SOFT;
    } else if (g_ascii_strcasecmp(text, "hard") == 0) {
        *mode = CG_OCSP_HARD;
    } else {
        return FALSE;
    }
    return TRUE;
}

const char *
cg_ocsp_mode_to_string(CgOcspMode mode)
{
    switch (mode) {
        case CG_OCSP_SOFT:
            return "soft";
        case CG_OCSP_HARD:
            return "hard";
        case CG_OCSP_OFF:
            break;
    }
    return "no";
}
