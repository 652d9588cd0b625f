/* cg-proposal.c: proposal strings ("aes256gcm16-prfsha256-x25519") to
 * transform lists and back. Transform IDs: IANA "IKEv2 Parameters",
 * RFC 7296 3.3.2. */
#include "config/cg-config.h"
#include "crypto/cg-crypto.h"

#include <string.h>

typedef enum {
    TOKEN_ENCR,
    TOKEN_INTEG,
    TOKEN_PRF,
    TOKEN_DH,
    TOKEN_ESN,
} TokenKind;

typedef struct {
    const char *name;
    TokenKind kind;
    guint16 id;
    guint16 key_bits;    /* encryption: the Key Length attribute, 0 = none */
    guint16 implied_prf; /* integrity: the PRF an IKE proposal gets from it */
} Token;

/* The first entry for an (id, key_bits) pair is the name printed;
 * aliases follow it. */
static const Token tokens[] = {
    { "aes128", TOKEN_ENCR, CG_ENCR_AES_CBC, 128, 0 },
    { "aes256", TOKEN_ENCR, CG_ENCR_AES_CBC, 256, 0 },
    { "aes128gcm16", TOKEN_ENCR, CG_ENCR_AES_GCM_16, 128, 0 },
    { "aes128gcm", TOKEN_ENCR, CG_ENCR_AES_GCM_16, 128, 0 },
    { "aes256gcm16", TOKEN_ENCR, CG_ENCR_AES_GCM_16, 256, 0 },
    { "aes256gcm", TOKEN_ENCR, CG_ENCR_AES_GCM_16, 256, 0 },
    /* RFC 7634 2: ChaCha20-Poly1305 has a fixed key and no Key Length attribute */
    { "chacha20poly1305", TOKEN_ENCR, CG_ENCR_CHACHA20_POLY1305, 0, 0 },
    { "sha256", TOKEN_INTEG, CG_INTEG_HMAC_SHA2_256_128, 0, CG_PRF_HMAC_SHA2_256 },
    { "sha384", TOKEN_INTEG, CG_INTEG_HMAC_SHA2_384_192, 0, CG_PRF_HMAC_SHA2_384 },
    { "sha512", TOKEN_INTEG, CG_INTEG_HMAC_SHA2_512_256, 0, CG_PRF_HMAC_SHA2_512 },
    { "prfsha256", TOKEN_PRF, CG_PRF_HMAC_SHA2_256, 0, 0 },
    { "prfsha384", TOKEN_PRF, CG_PRF_HMAC_SHA2_384, 0, 0 },
    { "prfsha512", TOKEN_PRF, CG_PRF_HMAC_SHA2_512, 0, 0 },
    { "modp2048", TOKEN_DH, CG_DH_MODP2048, 0, 0 },
    { "modp3072", TOKEN_DH, CG_DH_MODP3072, 0, 0 },
    { "modp4096", TOKEN_DH, CG_DH_MODP4096, 0, 0 },
    { "ecp256", TOKEN_DH, CG_DH_ECP256, 0, 0 },
    { "ecp384", TOKEN_DH, CG_DH_ECP384, 0, 0 },
    { "x25519", TOKEN_DH, CG_DH_X25519, 0, 0 },
    { "curve25519", TOKEN_DH, CG_DH_X25519, 0, 0 },
    { "esn", TOKEN_ESN, CG_ESN_YES, 0, 0 },
    { "noesn", TOKEN_ESN, CG_ESN_NO, 0, 0 },
};

/* Two proposals each, because RFC 7296 3.3 forbids AEAD and classic
 * ciphers in one proposal. X25519 and AES-GCM lead. */
static const char ike_default[]
    = "aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-"
      "x25519-ecp256-ecp384-modp3072-modp2048,"
      "aes256-aes128-sha256-sha384-sha512-x25519-ecp256-ecp384-modp3072-modp2048";
static const char esp_default[] = "aes256gcm16-aes128gcm16-chacha20poly1305,"
                                  "aes256-aes128-sha256-sha384-sha512";

static const Token *
token_find(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(tokens); i++) {
        if (g_ascii_strcasecmp(tokens[i].name, name) == 0)
            return &tokens[i];
    }
    return NULL;
}

static const Token *
token_by_id(TokenKind kind, guint16 id, guint16 key_bits)
{
    for (guint i = 0; i < G_N_ELEMENTS(tokens); i++) {
        if (tokens[i].kind == kind && tokens[i].id == id
            && (kind != TOKEN_ENCR || tokens[i].key_bits == key_bits))
            return &tokens[i];
    }
    return NULL;
}

static const char *
token_name(TokenKind kind, guint16 id, guint16 key_bits)
{
    const Token *t = token_by_id(kind, id, key_bits);
    return t != NULL ? t->name : NULL;
}

static gboolean
encr_is_aead(guint16 id)
{
    return id == CG_ENCR_AES_GCM_16 || id == CG_ENCR_CHACHA20_POLY1305;
}

/* Appends id to list unless present; FALSE when the list is full. */
static gboolean
add_unique(guint16 *list, guint *n, guint max, guint16 id)
{
    for (guint i = 0; i < *n; i++) {
        if (list[i] == id)
            return TRUE;
    }
    if (*n >= max)
        return FALSE;
    list[(*n)++] = id;
    return TRUE;
}

static gboolean
add_encr(CgProposalSpec *p, const Token *t)
{
    for (guint i = 0; i < p->n_encr; i++) {
        if (p->encr[i].id == t->id && p->encr[i].key_bits == t->key_bits)
            return TRUE;
    }
    if (p->n_encr >= CG_MAX_ALGS)
        return FALSE;
    p->encr[p->n_encr].id = t->id;
    p->encr[p->n_encr].key_bits = t->key_bits;
    p->n_encr++;
    return TRUE;
}

static gboolean
add_token(CgProposalSpec *p, const Token *t)
{
    switch (t->kind) {
        case TOKEN_ENCR:
            return add_encr(p, t);
        case TOKEN_INTEG:
            return add_unique(p->integ, &p->n_integ, CG_MAX_ALGS, t->id);
        case TOKEN_PRF:
            return add_unique(p->prf, &p->n_prf, CG_MAX_ALGS, t->id);
        case TOKEN_DH:
            return add_unique(p->dh, &p->n_dh, CG_MAX_ALGS, t->id);
        case TOKEN_ESN:
            return add_unique(p->esn, &p->n_esn, G_N_ELEMENTS(p->esn), t->id);
    }
    return FALSE;
}

static gboolean
check_token_protocol(const Token *t, guint8 protocol_id, const char *text, GError **error)
{
    if (t->kind == TOKEN_PRF && protocol_id != CG_PROTO_IKE) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "PRF '%s' is only valid in IKE proposals, in proposal '%s'", t->name, text);
        return FALSE;
    }
    if (t->kind == TOKEN_ESN && protocol_id != CG_PROTO_ESP) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "'%s' is only valid in ESP proposals, in proposal '%s'", t->name, text);
        return FALSE;
    }
    return TRUE;
}

/* The combination rules of RFC 7296 3.3 and what each protocol needs. */
static gboolean
check_complete(CgProposalSpec *p, const char *text, GError **error)
{
    if (p->n_encr == 0) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "proposal '%s' has no encryption algorithm", text);
        return FALSE;
    }
    const CgAlg *aead = NULL, *classic = NULL;
    for (guint i = 0; i < p->n_encr; i++) {
        if (encr_is_aead(p->encr[i].id))
            aead = aead != NULL ? aead : &p->encr[i];
        else
            classic = classic != NULL ? classic : &p->encr[i];
    }
    if (aead != NULL && classic != NULL) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "proposal '%s' mixes the AEAD cipher '%s' with the cipher '%s'; RFC 7296 3.3 "
                    "wants them in separate proposals (separate them with ',')",
                    text, token_name(TOKEN_ENCR, aead->id, aead->key_bits),
                    token_name(TOKEN_ENCR, classic->id, classic->key_bits));
        return FALSE;
    }
    if (aead != NULL && p->n_integ > 0) {
        const char *integ = token_name(TOKEN_INTEG, p->integ[0], 0);
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "proposal '%s' combines the AEAD cipher '%s' with the integrity algorithm "
                    "'%s'; AEAD ciphers protect integrity themselves%s%s%s",
                    text, token_name(TOKEN_ENCR, aead->id, aead->key_bits), integ,
                    p->protocol_id == CG_PROTO_IKE ? " (for the PRF write 'prf" : "",
                    p->protocol_id == CG_PROTO_IKE ? integ : "",
                    p->protocol_id == CG_PROTO_IKE ? "')" : "");
        return FALSE;
    }
    if (aead == NULL && p->n_integ == 0) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "proposal '%s' has no integrity algorithm (e.g. 'sha256'), which '%s' needs",
                    text, token_name(TOKEN_ENCR, classic->id, classic->key_bits));
        return FALSE;
    }

    if (p->protocol_id == CG_PROTO_IKE) {
        if (p->n_prf == 0) {
            for (guint i = 0; i < p->n_integ; i++) {
                const Token *t = token_by_id(TOKEN_INTEG, p->integ[i], 0);
                if (t != NULL && t->implied_prf != 0)
                    add_unique(p->prf, &p->n_prf, CG_MAX_ALGS, t->implied_prf);
            }
        }
        if (p->n_prf == 0) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "proposal '%s' has no PRF (e.g. 'prfsha256')", text);
            return FALSE;
        }
        if (p->n_dh == 0) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "proposal '%s' has no key exchange method (e.g. 'x25519')", text);
            return FALSE;
        }
    } else if (p->n_esn == 0) {
        p->esn[p->n_esn++] = CG_ESN_NO;
    }
    return TRUE;
}

static void
default_first(guint8 protocol_id, CgProposalSpec *out)
{
    g_autoptr(GArray) list = cg_proposal_list_default(protocol_id);
    *out = g_array_index(list, CgProposalSpec, 0);
}

gboolean
cg_proposal_parse(const char *text, guint8 protocol_id, CgProposalSpec *out, GError **error)
{
    memset(out, 0, sizeof *out);
    if (protocol_id != CG_PROTO_IKE && protocol_id != CG_PROTO_ESP) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "proposals for protocol %u are not supported", protocol_id);
        return FALSE;
    }
    out->protocol_id = protocol_id;

    g_autofree char *trimmed = g_strstrip(g_strdup(text != NULL ? text : ""));
    if (*trimmed == '\0') {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "empty proposal");
        return FALSE;
    }
    if (g_ascii_strcasecmp(trimmed, "default") == 0) {
        default_first(protocol_id, out);
        return TRUE;
    }

    g_auto(GStrv) names = g_strsplit(trimmed, "-", -1);
    for (guint i = 0; names[i] != NULL; i++) {
        if (names[i][0] == '\0') {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "empty algorithm name in proposal '%s'", trimmed);
            return FALSE;
        }
        const Token *t = token_find(names[i]);
        if (t == NULL) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "unknown algorithm '%s' in proposal '%s'", names[i], trimmed);
            return FALSE;
        }
        if (!check_token_protocol(t, protocol_id, trimmed, error))
            return FALSE;
        if (!add_token(out, t)) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "too many algorithms of one kind in proposal '%s' (at most %d)", trimmed,
                        CG_MAX_ALGS);
            return FALSE;
        }
    }
    return check_complete(out, trimmed, error);
}

GArray *
cg_proposal_list_parse(const char *text, guint8 protocol_id, GError **error)
{
    g_autoptr(GArray) list = g_array_new(FALSE, TRUE, sizeof(CgProposalSpec));
    g_auto(GStrv) items = g_strsplit(text != NULL ? text : "", ",", -1);
    for (guint i = 0; items[i] != NULL; i++) {
        g_strstrip(items[i]);
        if (items[i][0] == '\0') {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "empty proposal in list '%s'", text != NULL ? text : "");
            return NULL;
        }
        if (g_ascii_strcasecmp(items[i], "default") == 0) {
            g_autoptr(GArray) defaults = cg_proposal_list_default(protocol_id);
            g_array_append_vals(list, defaults->data, defaults->len);
        } else {
            CgProposalSpec spec;
            if (!cg_proposal_parse(items[i], protocol_id, &spec, error))
                return NULL;
            g_array_append_val(list, spec);
        }
        if (list->len > CG_MAX_PROPOSALS) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "too many proposals in '%s' (at most %d)", text, CG_MAX_PROPOSALS);
            return NULL;
        }
    }
    if (list->len == 0) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID, "empty proposal list");
        return NULL;
    }
    return g_steal_pointer(&list);
}

GArray *
cg_proposal_list_default(guint8 protocol_id)
{
    const char *text = protocol_id == CG_PROTO_IKE ? ike_default : esp_default;
    g_autoptr(GArray) list = g_array_new(FALSE, TRUE, sizeof(CgProposalSpec));
    g_auto(GStrv) items = g_strsplit(text, ",", -1);
    for (guint i = 0; items[i] != NULL; i++) {
        CgProposalSpec spec;
        g_autoptr(GError) error = NULL;
        if (!cg_proposal_parse(items[i], protocol_id, &spec, &error))
            g_error("built-in proposal '%s' is invalid: %s", items[i], error->message);
        g_array_append_val(list, spec);
    }
    return g_steal_pointer(&list);
}

static void
append_name(GString *s, const char *name, const char *fallback_kind, guint16 id)
{
    if (s->len > 0)
        g_string_append_c(s, '-');
    if (name != NULL)
        g_string_append(s, name);
    else
        g_string_append_printf(s, "%s%u", fallback_kind, id);
}

char *
cg_proposal_to_string(const CgProposalSpec *p)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < MIN(p->n_encr, CG_MAX_ALGS); i++) {
        const char *name = token_name(TOKEN_ENCR, p->encr[i].id, p->encr[i].key_bits);
        if (name == NULL && p->encr[i].key_bits != 0) {
            if (s->len > 0)
                g_string_append_c(s, '-');
            g_string_append_printf(s, "encr%u_%u", p->encr[i].id, p->encr[i].key_bits);
            continue;
        }
        append_name(s, name, "encr", p->encr[i].id);
    }
    for (guint i = 0; i < MIN(p->n_integ, CG_MAX_ALGS); i++)
        append_name(s, token_name(TOKEN_INTEG, p->integ[i], 0), "integ", p->integ[i]);
    for (guint i = 0; i < MIN(p->n_prf, CG_MAX_ALGS); i++)
        append_name(s, token_name(TOKEN_PRF, p->prf[i], 0), "prf", p->prf[i]);
    for (guint i = 0; i < MIN(p->n_dh, CG_MAX_ALGS); i++)
        append_name(s, token_name(TOKEN_DH, p->dh[i], 0), "dh", p->dh[i]);
    /* "noesn" alone is the default and is left out */
    guint n_esn = MIN(p->n_esn, G_N_ELEMENTS(p->esn));
    if (!(n_esn == 1 && p->esn[0] == CG_ESN_NO)) {
        for (guint i = 0; i < n_esn; i++)
            append_name(s, token_name(TOKEN_ESN, p->esn[i], 0), "esn", p->esn[i]);
    }
    return g_string_free(s, FALSE);
}
