/* nm-cygnet-plist.c: the bounded property-list parser (see the header). */
#include "config.h"

#include "nm-cygnet-plist.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "nm-cygnet-profile.h"

static const struct {
    const char *element;
    CgPlistType type;
} element_types[] = {
    { "dict", CG_PLIST_DICT },       { "array", CG_PLIST_ARRAY }, { "string", CG_PLIST_STRING },
    { "integer", CG_PLIST_INTEGER }, { "real", CG_PLIST_REAL },   { "true", CG_PLIST_TRUE },
    { "false", CG_PLIST_FALSE },     { "data", CG_PLIST_DATA },   { "date", CG_PLIST_DATE },
};

const char *
cg_plist_type_name(CgPlistType type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(element_types); i++) {
        if (element_types[i].type == type)
            return element_types[i].element;
    }
    return "?";
}

void
cg_plist_free(CgPlist *node)
{
    if (node == NULL)
        return;
    g_free(node->text);
    if (node->keys)
        g_ptr_array_unref(node->keys);
    if (node->items)
        g_ptr_array_unref(node->items);
    g_free(node);
}

typedef struct {
    GPtrArray *stack; /* open containers and the open leaf, innermost last */
    CgPlist *root;
    GString *text;     /* text of the open <key> or leaf */
    char *pending_key; /* a dict's key waiting for its value */
    gboolean in_key;
    gboolean in_plist;
    guint nodes;
} Parser;

static gboolean fail(GMarkupParseContext *context, GError **error, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean
fail(GMarkupParseContext *context, GError **error, const char *format, ...)
{
    int line = 0, column = 0;
    g_markup_parse_context_get_position(context, &line, &column);
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED, _("Property list, line %d: %s"),
                line, message);
    return FALSE;
}

static CgPlist *
top(Parser *parser)
{
    return parser->stack->len ? g_ptr_array_index(parser->stack, parser->stack->len - 1) : NULL;
}

/* Attaches a finished node to its container (or makes it the root). */
static gboolean
attach(GMarkupParseContext *context, Parser *parser, CgPlist *node, GError **error)
{
    CgPlist *container = top(parser);
    if (container == NULL) {
        if (parser->root != NULL) {
            cg_plist_free(node);
            return fail(context, error, _("more than one top-level value"));
        }
        parser->root = node;
        return TRUE;
    }
    /* a dict's key went in when the value started (on_start) */
    g_ptr_array_add(container->items, node);
    return TRUE;
}

static void
on_start(GMarkupParseContext *context, const char *element, const char **attr_names,
         const char **attr_values, gpointer user_data, GError **error)
{
    Parser *parser = user_data;
    CgPlist *container = top(parser);

    if (!parser->in_plist) {
        if (strcmp(element, "plist") != 0) {
            fail(context, error, _("expected <plist>, found <%s>"), element);
            return;
        }
        parser->in_plist = TRUE;
        return;
    }
    if (parser->in_key
        || (container && container->type != CG_PLIST_DICT && container->type != CG_PLIST_ARRAY)) {
        fail(context, error, _("<%s> inside a value"), element);
        return;
    }
    if (strcmp(element, "key") == 0) {
        if (container == NULL || container->type != CG_PLIST_DICT || parser->pending_key) {
            fail(context, error, _("a <key> outside a <dict> or after another <key>"));
            return;
        }
        parser->in_key = TRUE;
        g_string_truncate(parser->text, 0);
        return;
    }
    gssize type = -1;
    for (gsize i = 0; i < G_N_ELEMENTS(element_types); i++) {
        if (strcmp(element_types[i].element, element) == 0)
            type = element_types[i].type;
    }
    if (type < 0) {
        fail(context, error, _("unknown element <%s>"), element);
        return;
    }
    if (parser->stack->len >= CG_PLIST_MAX_DEPTH) {
        fail(context, error, _("nested deeper than %d levels"), CG_PLIST_MAX_DEPTH);
        return;
    }
    if (container != NULL && container->type == CG_PLIST_DICT) {
        /* the key belongs to this value: claim it now, before any nested
         * dict reads keys of its own */
        if (parser->pending_key == NULL) {
            fail(context, error, _("a <%s> in a <dict> without its <key>"), element);
            return;
        }
        g_ptr_array_add(container->keys, g_steal_pointer(&parser->pending_key));
    }
    if (++parser->nodes > CG_PLIST_MAX_NODES) {
        fail(context, error, _("more than %d values"), CG_PLIST_MAX_NODES);
        return;
    }
    CgPlist *node = g_new0(CgPlist, 1);
    node->type = (CgPlistType)type;
    if (node->type == CG_PLIST_DICT) {
        node->keys = g_ptr_array_new_with_free_func(g_free);
        node->items = g_ptr_array_new_with_free_func((GDestroyNotify)cg_plist_free);
    } else if (node->type == CG_PLIST_ARRAY) {
        node->items = g_ptr_array_new_with_free_func((GDestroyNotify)cg_plist_free);
    }
    g_string_truncate(parser->text, 0);
    g_ptr_array_add(parser->stack, node);
}

static void
on_end(GMarkupParseContext *context, const char *element, gpointer user_data, GError **error)
{
    Parser *parser = user_data;
    if (strcmp(element, "plist") == 0) {
        parser->in_plist = FALSE;
        return;
    }
    if (parser->in_key) {
        parser->in_key = FALSE;
        CgPlist *dict = top(parser);
        for (guint i = 0; i < dict->keys->len; i++) {
            if (strcmp(g_ptr_array_index(dict->keys, i), parser->text->str) == 0) {
                fail(context, error, _("the key “%.64s” appears twice"), parser->text->str);
                return;
            }
        }
        parser->pending_key = g_strdup(parser->text->str);
        return;
    }
    CgPlist *node = g_ptr_array_steal_index(parser->stack, parser->stack->len - 1);
    if (node->type == CG_PLIST_DICT && parser->pending_key != NULL) {
        g_ptr_array_add(parser->stack, node);
        fail(context, error, _("the key “%.64s” has no value"), parser->pending_key);
        return;
    }
    if (node->items == NULL && node->type != CG_PLIST_TRUE && node->type != CG_PLIST_FALSE)
        node->text = g_strdup(parser->text->str);
    g_string_truncate(parser->text, 0);
    attach(context, parser, node, error);
}

static void
on_text(GMarkupParseContext *context, const char *text, gsize len, gpointer user_data,
        GError **error)
{
    Parser *parser = user_data;
    CgPlist *node = top(parser);
    gboolean leaf = node && node->items == NULL;
    if (!parser->in_key && !leaf) {
        for (gsize i = 0; i < len; i++) {
            if (!g_ascii_isspace(text[i])) {
                fail(context, error, _("text outside a value"));
                return;
            }
        }
        return;
    }
    if (parser->text->len + len > CG_PLIST_MAX_TEXT_BYTES) {
        fail(context, error, _("a value longer than %d bytes"), CG_PLIST_MAX_TEXT_BYTES);
        return;
    }
    g_string_append_len(parser->text, text, (gssize)len);
}

CgPlist *
cg_plist_parse(const char *text, gsize len, GError **error)
{
    static const GMarkupParser callbacks = { on_start, on_end, on_text, NULL, NULL };
    Parser parser = {
        .stack = g_ptr_array_new_with_free_func((GDestroyNotify)cg_plist_free),
        .text = g_string_new(NULL),
    };
    GMarkupParseContext *context = g_markup_parse_context_new(&callbacks, 0, &parser, NULL);
    gboolean ok = g_markup_parse_context_parse(context, text, (gssize)len, error)
                  && g_markup_parse_context_end_parse(context, error);
    g_markup_parse_context_free(context);
    if (ok && parser.root == NULL) {
        g_set_error(error, CG_IMPORT_ERROR, CG_IMPORT_ERROR_MALFORMED,
                    _("Property list without a value"));
        ok = FALSE;
    }
    if (error && *error && (*error)->domain == G_MARKUP_ERROR) {
        /* GMarkup's own message names the line; one error domain for callers */
        (*error)->domain = CG_IMPORT_ERROR;
        (*error)->code = CG_IMPORT_ERROR_MALFORMED;
    }
    g_ptr_array_unref(parser.stack);
    g_string_free(parser.text, TRUE);
    g_free(parser.pending_key);
    if (!ok) {
        cg_plist_free(parser.root);
        return NULL;
    }
    return parser.root;
}

const CgPlist *
cg_plist_get(const CgPlist *dict, const char *key)
{
    if (dict == NULL || dict->type != CG_PLIST_DICT)
        return NULL;
    for (guint i = 0; i < MIN(dict->keys->len, dict->items->len); i++) {
        if (strcmp(g_ptr_array_index(dict->keys, i), key) == 0)
            return g_ptr_array_index(dict->items, i);
    }
    return NULL;
}

gboolean
cg_plist_get_int(const CgPlist *node, gint64 *out)
{
    if (node == NULL || node->type != CG_PLIST_INTEGER)
        return FALSE;
    g_autofree char *stripped = g_strstrip(g_strdup(node->text));
    return g_ascii_string_to_signed(stripped, 10, G_MININT64, G_MAXINT64, out, NULL);
}

gboolean
cg_plist_get_bool(const CgPlist *node, gboolean *out)
{
    gint64 number = 0;
    if (node != NULL && (node->type == CG_PLIST_TRUE || node->type == CG_PLIST_FALSE)) {
        *out = node->type == CG_PLIST_TRUE;
        return TRUE;
    }
    if (cg_plist_get_int(node, &number) && (number == 0 || number == 1)) {
        *out = number == 1;
        return TRUE;
    }
    return FALSE;
}
