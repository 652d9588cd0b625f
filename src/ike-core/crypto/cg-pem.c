/* cg-pem.c: PEM text (RFC 7468) to DER, and secret-holding GBytes. */
#include "cg-crypto.h"
#include "cg-der.h"

#include <string.h>

#define PEM_BEGIN     "-----BEGIN "
#define PEM_END       "-----END "
#define PEM_DASHES    "-----"
#define PEM_MAX_LABEL 64

typedef struct {
    gsize len;
    guint8 data[];
} SecretBuffer;

static void
secret_buffer_wipe(gpointer p)
{
    SecretBuffer *buf = p;
    cg_memzero(buf->data, buf->len);
    g_free(buf);
}

GBytes *
cg_secret_bytes_new(const guint8 *data, gsize len)
{
    SecretBuffer *buf = g_malloc(sizeof(SecretBuffer) + len);
    buf->len = len;
    if (len)
        memcpy(buf->data, data, len);
    return g_bytes_new_with_free_func(buf->data, len, secret_buffer_wipe, buf);
}

void
cg_pem_block_free(CgPemBlock *b)
{
    if (!b)
        return;
    g_free(b->label);
    g_clear_pointer(&b->der, g_bytes_unref);
    g_free(b);
}

gboolean
cg_pem_detect(const guint8 *text, gsize len)
{
    return len >= strlen(PEM_BEGIN) && g_strstr_len((const char *)text, (gssize)len, PEM_BEGIN);
}

/* One line of text: [start, end) without the line break. */
typedef struct {
    const char *start;
    gsize len;
    guint number;
} Line;

static gboolean
next_line(const char **p, const char *end, Line *line)
{
    if (*p >= end)
        return FALSE;
    const char *nl = memchr(*p, '\n', (gsize)(end - *p));
    const char *stop = nl ? nl : end;
    line->start = *p;
    line->len = (gsize)(stop - *p);
    while (line->len
           && (line->start[line->len - 1] == '\r' || line->start[line->len - 1] == ' '
               || line->start[line->len - 1] == '\t'))
        line->len--;
    line->number++;
    *p = nl ? nl + 1 : end;
    return TRUE;
}

/* "-----BEGIN LABEL-----" -> LABEL */
static char *
boundary_label(const Line *line, const char *prefix)
{
    gsize plen = strlen(prefix), dlen = strlen(PEM_DASHES);
    if (line->len < plen + dlen || strncmp(line->start, prefix, plen) != 0
        || strncmp(line->start + line->len - dlen, PEM_DASHES, dlen) != 0)
        return NULL;
    gsize label_len = line->len - plen - dlen;
    if (label_len > PEM_MAX_LABEL)
        return NULL;
    return g_strndup(line->start + plen, label_len);
}

static gboolean
base64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=';
}

GPtrArray *
cg_pem_decode(const guint8 *text, gsize len, GError **error)
{
    g_autoptr(GPtrArray) blocks = g_ptr_array_new_with_free_func((GDestroyNotify)cg_pem_block_free);
    const char *p = (const char *)text, *end = (const char *)text + len;
    Line line = { 0 };
    while (next_line(&p, end, &line)) {
        g_autofree char *label = boundary_label(&line, PEM_BEGIN);
        if (!label)
            continue; /* text around blocks is allowed (RFC 7468 2) */
        guint begin_line = line.number;
        gboolean key = strstr(label, "KEY") != NULL;
        gboolean encrypted = FALSE, ended = FALSE;
        GString *b64 = g_string_new(NULL);
        while (next_line(&p, end, &line)) {
            g_autofree char *end_label = boundary_label(&line, PEM_END);
            if (end_label) {
                if (strcmp(end_label, label) != 0) {
                    g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                                "PEM block '%s' at line %u ends with '%s' at line %u", label,
                                begin_line, end_label, line.number);
                    cg_memzero(b64->str, b64->len);
                    g_string_free(b64, TRUE);
                    return NULL;
                }
                ended = TRUE;
                break;
            }
            /* RFC 1421 headers of old OpenSSL keys: "Name: value" */
            if (memchr(line.start, ':', line.len)) {
                if (g_strstr_len(line.start, (gssize)line.len, "ENCRYPTED"))
                    encrypted = TRUE;
                continue;
            }
            for (gsize i = 0; i < line.len; i++) {
                char c = line.start[i];
                if (c == ' ' || c == '\t')
                    continue;
                if (!base64_char(c)) {
                    g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                                "PEM block '%s': invalid character at line %u", label, line.number);
                    cg_memzero(b64->str, b64->len);
                    g_string_free(b64, TRUE);
                    return NULL;
                }
                g_string_append_c(b64, c);
            }
        }
        if (!ended) {
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                        "PEM block '%s' at line %u has no END line", label, begin_line);
            cg_memzero(b64->str, b64->len);
            g_string_free(b64, TRUE);
            return NULL;
        }
        if (b64->len == 0 || b64->len % 4 != 0) {
            g_set_error(error, CG_CRYPTO_ERROR, CG_CRYPTO_ERROR_FAILED,
                        "PEM block '%s' at line %u: base64 of %zu characters (not a multiple "
                        "of 4)",
                        label, begin_line, b64->len);
            cg_memzero(b64->str, b64->len);
            g_string_free(b64, TRUE);
            return NULL;
        }
        gsize der_len = 0;
        guchar *der = g_base64_decode(b64->str, &der_len);
        cg_memzero(b64->str, b64->len);
        g_string_free(b64, TRUE);
        CgPemBlock *b = g_new0(CgPemBlock, 1);
        b->label = g_steal_pointer(&label);
        b->encrypted = encrypted;
        b->der = key ? cg_secret_bytes_new(der, der_len) : g_bytes_new(der, der_len);
        cg_memzero(der, der_len);
        g_free(der);
        g_ptr_array_add(blocks, b);
    }
    return g_steal_pointer(&blocks);
}

GPtrArray *
cg_pem_or_der_objects(const guint8 *text, gsize len, const char *const *labels, gboolean *from_pem,
                      GError **error)
{
    GPtrArray *objects = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    *from_pem = cg_pem_detect(text, len);
    if (!*from_pem) {
        g_ptr_array_add(objects, g_bytes_new(text, len));
        return objects;
    }
    g_autoptr(GPtrArray) blocks = cg_pem_decode(text, len, error);
    if (!blocks) {
        g_ptr_array_unref(objects);
        return NULL;
    }
    for (guint i = 0; i < blocks->len; i++) {
        CgPemBlock *b = blocks->pdata[i];
        if (g_strv_contains(labels, b->label))
            g_ptr_array_add(objects, g_bytes_ref(b->der));
    }
    return objects;
}
