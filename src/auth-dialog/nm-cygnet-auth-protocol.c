/* nm-cygnet-auth-protocol.c: parsing the auth dialog's stdin and writing
 * its stdout (the protocol of NetworkManager's secret agents). */
#include "config.h"

#include "nm-cygnet-auth-protocol.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(cg - auth - error - quark, cg_auth_error)

#define TAG_DATA_KEY   "DATA_KEY="
#define TAG_DATA_VAL   "DATA_VAL="
#define TAG_SECRET_KEY "SECRET_KEY="
#define TAG_SECRET_VAL "SECRET_VAL="

void
cg_auth_secret_free(char *secret)
{
    if (secret == NULL)
        return;
    explicit_bzero(secret, strlen(secret));
    g_free(secret);
}

void
cg_auth_input_free(CgAuthInput *input)
{
    if (input == NULL)
        return;
    g_clear_pointer(&input->data, g_hash_table_unref);
    g_clear_pointer(&input->secrets, g_hash_table_unref);
    g_free(input);
}

/* What the line being continued ("=..." lines) belongs to. */
typedef enum {
    PART_NONE,
    PART_KEY,
    PART_VALUE,
} Part;

typedef struct {
    CgAuthInput *input;
    GHashTable *table; /* data or secrets: where the pending pair goes */
    GString *key;      /* the pending pair's key, NULL when none */
    GString *value;    /* and its value */
    Part part;
    gboolean value_is_secret;
    guint items;
    guint line_no;
} Parser;

static void
parser_drop_value(Parser *parser)
{
    if (parser->value == NULL)
        return;
    if (parser->value_is_secret)
        explicit_bzero(parser->value->str, parser->value->allocated_len);
    g_string_free(parser->value, TRUE);
    parser->value = NULL;
}

/* A pair is complete when a line that is no continuation follows it. */
static gboolean
parser_finish_pair(Parser *parser, GError **error)
{
    if (parser->key == NULL)
        return TRUE;
    if (parser->value == NULL) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL,
                    "line %u: key '%.64s' has no value", parser->line_no, parser->key->str);
        return FALSE;
    }
    if (parser->key->len == 0) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL, "line %u: empty key",
                    parser->line_no);
        return FALSE;
    }
    if (++parser->items > CG_AUTH_MAX_ITEMS) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL, "line %u: more than %u items",
                    parser->line_no, CG_AUTH_MAX_ITEMS);
        return FALSE;
    }
    g_hash_table_replace(parser->table, g_string_free(parser->key, FALSE),
                         g_string_free(parser->value, FALSE));
    parser->key = NULL;
    parser->value = NULL;
    parser->part = PART_NONE;
    return TRUE;
}

static gboolean
parser_start_key(Parser *parser, GHashTable *table, gboolean secret, const char *rest,
                 GError **error)
{
    if (!parser_finish_pair(parser, error))
        return FALSE;
    parser->table = table;
    parser->value_is_secret = secret;
    parser->key = g_string_new(rest);
    parser->part = PART_KEY;
    return TRUE;
}

static gboolean
parser_start_value(Parser *parser, GHashTable *table, const char *rest, GError **error)
{
    if (parser->key == NULL || parser->value != NULL || parser->table != table) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL,
                    "line %u: a value without its key", parser->line_no);
        return FALSE;
    }
    parser->value = g_string_sized_new(strlen(rest) + 1);
    g_string_append(parser->value, rest);
    parser->part = PART_VALUE;
    return TRUE;
}

/* One line (without its '\n'). Sets *done on DONE. */
static gboolean
parser_line(Parser *parser, const char *line, gboolean *done, GError **error)
{
    if (line[0] == '=') {
        /* a further line of the key or value being read */
        GString *target = parser->part == PART_KEY     ? parser->key
                          : parser->part == PART_VALUE ? parser->value
                                                       : NULL;
        if (target == NULL) {
            g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL,
                        "line %u: a continuation line with nothing to continue", parser->line_no);
            return FALSE;
        }
        g_string_append_c(target, '\n');
        g_string_append(target, line + 1);
        return TRUE;
    }
    if (line[0] == '\0')
        return parser_finish_pair(parser, error);
    if (strcmp(line, "DONE") == 0) {
        *done = TRUE;
        return parser_finish_pair(parser, error);
    }
    if (g_str_has_prefix(line, TAG_DATA_KEY))
        return parser_start_key(parser, parser->input->data, FALSE, line + strlen(TAG_DATA_KEY),
                                error);
    if (g_str_has_prefix(line, TAG_SECRET_KEY))
        return parser_start_key(parser, parser->input->secrets, TRUE, line + strlen(TAG_SECRET_KEY),
                                error);
    if (g_str_has_prefix(line, TAG_DATA_VAL))
        return parser_start_value(parser, parser->input->data, line + strlen(TAG_DATA_VAL), error);
    if (g_str_has_prefix(line, TAG_SECRET_VAL))
        return parser_start_value(parser, parser->input->secrets, line + strlen(TAG_SECRET_VAL),
                                  error);
    /* never echo the line: it may hold a secret */
    g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL,
                "line %u: not DATA_KEY=, DATA_VAL=, SECRET_KEY=, SECRET_VAL= or DONE",
                parser->line_no);
    return FALSE;
}

CgAuthInput *
cg_auth_input_parse(const char *text, gsize len, GError **error)
{
    g_autoptr(CgAuthInput) input = g_new0(CgAuthInput, 1);
    input->data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    input->secrets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify)cg_auth_secret_free);
    if (len > CG_AUTH_MAX_INPUT_BYTES) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL,
                    "input too long (%" G_GSIZE_FORMAT " > %u bytes)", len,
                    CG_AUTH_MAX_INPUT_BYTES);
        return NULL;
    }

    Parser parser = { .input = input };
    gboolean done = FALSE, ok = TRUE;
    gsize pos = 0;
    while (ok && !done && pos < len) {
        const char *start = text + pos;
        const char *newline = memchr(start, '\n', len - pos);
        gsize line_len = newline ? (gsize)(newline - start) : len - pos;
        parser.line_no++;
        if (line_len > CG_AUTH_MAX_LINE_BYTES) {
            g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL,
                        "line %u too long (%" G_GSIZE_FORMAT " > %u bytes)", parser.line_no,
                        line_len, CG_AUTH_MAX_LINE_BYTES);
            ok = FALSE;
            break;
        }
        if (memchr(start, '\0', line_len) != NULL) {
            g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL, "line %u contains a NUL byte",
                        parser.line_no);
            ok = FALSE;
            break;
        }
        g_autofree char *line = g_strndup(start, line_len);
        ok = parser_line(&parser, line, &done, error);
        explicit_bzero(line, line_len);
        pos += line_len + (newline ? 1 : 0);
    }
    if (ok && !done) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL,
                    "input ended after %u lines without DONE", parser.line_no);
        ok = FALSE;
    }
    if (parser.key != NULL)
        g_string_free(parser.key, TRUE);
    parser_drop_value(&parser);
    return ok ? g_steal_pointer(&input) : NULL;
}

CgAuthInput *
cg_auth_input_read_fd(int fd, GError **error)
{
    g_autoptr(GString) text = g_string_sized_new(1024);
    gsize line_start = 0;
    for (;;) {
        char c;
        ssize_t got = read(fd, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL, "cannot read stdin: %s",
                        g_strerror(errno));
            return NULL;
        }
        if (got == 0)
            break;
        if (text->len >= CG_AUTH_MAX_INPUT_BYTES) {
            g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL, "input longer than %u bytes",
                        CG_AUTH_MAX_INPUT_BYTES);
            explicit_bzero(text->str, text->allocated_len);
            return NULL;
        }
        g_string_append_c(text, c);
        if (c != '\n')
            continue;
        /* stop right after DONE: what follows (QUIT) is read later */
        if (text->len - line_start == 5 && memcmp(text->str + line_start, "DONE\n", 5) == 0)
            break;
        line_start = text->len;
    }
    CgAuthInput *input = cg_auth_input_parse(text->str, text->len, error);
    explicit_bzero(text->str, text->allocated_len);
    return input;
}

void
cg_auth_wait_for_quit(int fd)
{
    char line[16];
    gsize line_len = 0;
    for (;;) {
        char c;
        ssize_t got = read(fd, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return;
        if (c != '\n') {
            if (line_len < sizeof line)
                line[line_len] = c;
            line_len++;
            continue;
        }
        if (line_len == 4 && memcmp(line, "QUIT", 4) == 0)
            return;
        line_len = 0;
    }
}

gboolean
cg_auth_output_secret(GString *out, const char *key, const char *value, GError **error)
{
    if (strchr(key, '\n') != NULL || strchr(value, '\n') != NULL) {
        g_set_error(error, CG_AUTH_ERROR, CG_AUTH_ERROR_PROTOCOL,
                    "the secret '%s' contains a line break", key);
        return FALSE;
    }
    g_string_append_printf(out, "%s\n%s\n", key, value);
    return TRUE;
}
