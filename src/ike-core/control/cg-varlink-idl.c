/* cg-varlink-idl.c: a parser for Varlink interface files and a checker of
 * JSON values against the types they declare.
 *
 * Grammar (varlink.org, "Interface Definition"), '#' comments anywhere a
 * blank may be:
 *   file    = "interface" NAME member*
 *   member  = "type" TypeName (struct | enum)
 *           | "method" TypeName struct "->" struct
 *           | "error" TypeName struct
 *   type    = "?" plain | plain
 *   plain   = "bool" | "int" | "float" | "string" | "object" | TypeName
 *           | "[]" type | "[string]" type | struct | enum
 *   struct  = "(" [field ("," field)*] ")"     field = name ":" type
 *   enum    = "(" name ("," name)* ")"
 */
#include "cg-varlink-idl.h"

#include <string.h>

/* Bounds for a file we ship ourselves; they keep a broken file from
 * recursing without end. */
#define IDL_MAX_DEPTH    32
#define CHECK_MAX_DEPTH  64
#define IDL_MAX_NAME_LEN 255

G_DEFINE_QUARK(cg - varlink - idl - error - quark, cg_varlink_idl_error)

typedef enum {
    MEMBER_TYPE,
    MEMBER_METHOD,
    MEMBER_ERROR,
} MemberKind;

typedef struct {
    MemberKind kind;
    char *name;
    CgVarlinkType *type;   /* TYPE: the type; METHOD: input; ERROR: parameters */
    CgVarlinkType *output; /* METHOD */
} Member;

struct CgVarlinkInterface {
    char *name;
    char *text;
    GHashTable *members; /* name -> Member* (shared namespace) */
    GPtrArray *method_names;
};

typedef struct {
    const char *text;
    gsize pos;
    gsize len;
    guint depth;
} Parser;

/* ---- types ------------------------------------------------------------ */

static void type_free(CgVarlinkType *t);

static void
field_free(gpointer data)
{
    CgVarlinkField *f = data;
    g_free(f->name);
    type_free(f->type);
    g_free(f);
}

static void
type_free(CgVarlinkType *t)
{
    if (!t)
        return;
    type_free(t->element);
    g_clear_pointer(&t->fields, g_ptr_array_unref);
    g_clear_pointer(&t->enum_values, g_ptr_array_unref);
    g_free(t->name);
    g_free(t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgVarlinkType, type_free)

static CgVarlinkType *
type_new(CgVarlinkKind kind)
{
    CgVarlinkType *t = g_new0(CgVarlinkType, 1);
    t->kind = kind;
    return t;
}

static void
member_free(gpointer data)
{
    Member *m = data;
    g_free(m->name);
    type_free(m->type);
    type_free(m->output);
    g_free(m);
}

/* ---- lexing ----------------------------------------------------------- */

static void
position_of(const Parser *p, gsize pos, guint *line, guint *column)
{
    *line = 1;
    *column = 1;
    for (gsize i = 0; i < pos && i < p->len; i++) {
        if (p->text[i] == '\n') {
            (*line)++;
            *column = 1;
        } else {
            (*column)++;
        }
    }
}

static gboolean fail_at(const Parser *p, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
fail_at(const Parser *p, GError **error, const char *fmt, ...)
{
    guint line, column;
    position_of(p, p->pos, &line, &column);
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, CG_VARLINK_IDL_ERROR, 0, "line %u, column %u: %s", line, column, what);
    return FALSE;
}

static void
skip_blanks(Parser *p)
{
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c == '#') {
            while (p->pos < p->len && p->text[p->pos] != '\n')
                p->pos++;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            p->pos++;
        } else {
            break;
        }
    }
}

static gboolean
at(Parser *p, const char *token)
{
    skip_blanks(p);
    gsize n = strlen(token);
    return p->len - p->pos >= n && memcmp(p->text + p->pos, token, n) == 0;
}

static gboolean
accept(Parser *p, const char *token)
{
    if (!at(p, token))
        return FALSE;
    p->pos += strlen(token);
    return TRUE;
}

static gboolean
expect(Parser *p, const char *token, const char *context, GError **error)
{
    if (accept(p, token))
        return TRUE;
    return fail_at(p, error, "expected '%s' %s", token, context);
}

static gboolean
is_word_char(char c)
{
    return g_ascii_isalnum(c) || c == '_';
}

/* A word of letters, digits and '_' (and '.', '-' for interface names). */
static char *
read_word(Parser *p, gboolean dotted)
{
    skip_blanks(p);
    gsize start = p->pos;
    while (p->pos < p->len
           && (is_word_char(p->text[p->pos])
               || (dotted && (p->text[p->pos] == '.' || p->text[p->pos] == '-'))))
        p->pos++;
    if (p->pos == start || p->pos - start > IDL_MAX_NAME_LEN) {
        p->pos = start;
        return NULL;
    }
    return g_strndup(p->text + start, p->pos - start);
}

/* A keyword ends where a word character does not follow. */
static gboolean
accept_keyword(Parser *p, const char *word)
{
    if (!at(p, word))
        return FALSE;
    gsize end = p->pos + strlen(word);
    if (end < p->len && is_word_char(p->text[end]))
        return FALSE;
    p->pos = end;
    return TRUE;
}

/* TypeName: an uppercase letter, then letters and digits. */
static gboolean
valid_type_name(const char *s)
{
    if (!g_ascii_isupper(s[0]))
        return FALSE;
    for (const char *c = s; *c; c++)
        if (!g_ascii_isalnum(*c))
            return FALSE;
    return TRUE;
}

/* Field and enum names: a letter, then letters, digits and single '_'
 * that neither end the name nor follow each other. */
static gboolean
valid_field_name(const char *s)
{
    if (!g_ascii_isalpha(s[0]))
        return FALSE;
    for (const char *c = s; *c; c++) {
        if (*c == '_' && (c[1] == '_' || c[1] == '\0'))
            return FALSE;
        if (!is_word_char(*c))
            return FALSE;
    }
    return TRUE;
}

/* Reverse-domain: two or more dot-separated labels of letters, digits and
 * '-', the first starting with a letter. */
static gboolean
valid_interface_name(const char *s)
{
    g_auto(GStrv) labels = g_strsplit(s, ".", -1);
    if (g_strv_length(labels) < 2 || !g_ascii_isalpha(labels[0][0]))
        return FALSE;
    for (guint i = 0; labels[i]; i++) {
        const char *l = labels[i];
        if (!*l || l[0] == '-' || l[strlen(l) - 1] == '-')
            return FALSE;
        for (const char *c = l; *c; c++)
            if (!g_ascii_isalnum(*c) && *c != '-')
                return FALSE;
    }
    return TRUE;
}

/* ---- parsing ---------------------------------------------------------- */

static CgVarlinkType *parse_type(Parser *p, GError **error);

static gboolean
name_listed(GPtrArray *names, const char *name)
{
    for (guint i = 0; i < names->len; i++)
        if (strcmp(names->pdata[i], name) == 0)
            return TRUE;
    return FALSE;
}

/* After '(' has been read: fields "a: T, b: U" or enum values "a, b". */
static CgVarlinkType *
parse_struct_or_enum_body(Parser *p, GError **error)
{
    if (accept(p, ")")) {
        CgVarlinkType *empty = type_new(CG_VARLINK_STRUCT);
        empty->fields = g_ptr_array_new_with_free_func(field_free);
        return empty;
    }
    g_autoptr(CgVarlinkType) t = NULL;
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
    for (;;) {
        g_autofree char *name = read_word(p, FALSE);
        if (!name || !valid_field_name(name)) {
            fail_at(p, error, "expected a field or enum name");
            return NULL;
        }
        if (name_listed(seen, name)) {
            fail_at(p, error, "'%s' appears twice", name);
            return NULL;
        }
        g_ptr_array_add(seen, g_strdup(name));
        gboolean is_field = at(p, ":");
        if (!t) {
            t = type_new(is_field ? CG_VARLINK_STRUCT : CG_VARLINK_ENUM);
            if (is_field)
                t->fields = g_ptr_array_new_with_free_func(field_free);
            else
                t->enum_values = g_ptr_array_new_with_free_func(g_free);
        } else if (is_field != (t->kind == CG_VARLINK_STRUCT)) {
            fail_at(p, error, "'%s': fields and enum values cannot be mixed", name);
            return NULL;
        }
        if (is_field) {
            accept(p, ":");
            CgVarlinkType *ft = parse_type(p, error);
            if (!ft)
                return NULL;
            CgVarlinkField *f = g_new0(CgVarlinkField, 1);
            f->name = g_steal_pointer(&name);
            f->type = ft;
            g_ptr_array_add(t->fields, f);
        } else {
            g_ptr_array_add(t->enum_values, g_steal_pointer(&name));
        }
        if (accept(p, ")"))
            return g_steal_pointer(&t);
        if (!expect(p, ",", "or ')' in a field or enum list", error))
            return NULL;
    }
}

static CgVarlinkType *
parse_plain_type(Parser *p, GError **error)
{
    static const struct {
        const char *word;
        CgVarlinkKind kind;
    } basic[] = {
        { "bool", CG_VARLINK_BOOL },     { "int", CG_VARLINK_INT },
        { "float", CG_VARLINK_FLOAT },   { "string", CG_VARLINK_STRING },
        { "object", CG_VARLINK_OBJECT },
    };
    if (accept(p, "[]")) {
        CgVarlinkType *element = parse_type(p, error);
        if (!element)
            return NULL;
        CgVarlinkType *t = type_new(CG_VARLINK_ARRAY);
        t->element = element;
        return t;
    }
    if (accept(p, "[")) {
        if (!accept_keyword(p, "string") || !accept(p, "]")) {
            fail_at(p, error, "expected '[]' or '[string]'");
            return NULL;
        }
        CgVarlinkType *element = parse_type(p, error);
        if (!element)
            return NULL;
        CgVarlinkType *t = type_new(CG_VARLINK_MAP);
        t->element = element;
        return t;
    }
    if (accept(p, "("))
        return parse_struct_or_enum_body(p, error);
    for (guint i = 0; i < G_N_ELEMENTS(basic); i++)
        if (accept_keyword(p, basic[i].word))
            return type_new(basic[i].kind);
    g_autofree char *name = read_word(p, FALSE);
    if (!name || !valid_type_name(name)) {
        fail_at(p, error, "expected a type");
        return NULL;
    }
    CgVarlinkType *t = type_new(CG_VARLINK_NAMED);
    t->name = g_steal_pointer(&name);
    return t;
}

static CgVarlinkType *
parse_type(Parser *p, GError **error)
{
    if (++p->depth > IDL_MAX_DEPTH) {
        fail_at(p, error, "types nested deeper than %d", IDL_MAX_DEPTH);
        return NULL;
    }
    gboolean nullable = accept(p, "?");
    if (nullable && at(p, "?")) {
        fail_at(p, error, "a type cannot be nullable twice");
        return NULL;
    }
    CgVarlinkType *t = parse_plain_type(p, error);
    p->depth--;
    if (t)
        t->nullable = nullable;
    return t;
}

static CgVarlinkType *
parse_struct(Parser *p, const char *what, GError **error)
{
    if (!expect(p, "(", what, error))
        return NULL;
    CgVarlinkType *t = parse_struct_or_enum_body(p, error);
    if (t && t->kind != CG_VARLINK_STRUCT) {
        type_free(t);
        fail_at(p, error, "%s: expected fields, not enum values", what);
        return NULL;
    }
    return t;
}

static gboolean
parse_member(Parser *p, CgVarlinkInterface *iface, GError **error)
{
    MemberKind kind;
    if (accept_keyword(p, "type"))
        kind = MEMBER_TYPE;
    else if (accept_keyword(p, "method"))
        kind = MEMBER_METHOD;
    else if (accept_keyword(p, "error"))
        kind = MEMBER_ERROR;
    else
        return fail_at(p, error, "expected 'type', 'method' or 'error'");

    g_autofree char *name = read_word(p, FALSE);
    if (!name || !valid_type_name(name))
        return fail_at(p, error, "expected a name starting with an uppercase letter");
    if (g_hash_table_contains(iface->members, name))
        return fail_at(p, error, "'%s' is declared twice", name);

    Member *m = g_new0(Member, 1);
    m->kind = kind;
    m->name = g_strdup(name);
    g_hash_table_insert(iface->members, m->name, m);
    switch (kind) {
        case MEMBER_TYPE:
            if (!expect(p, "(", "after the type name", error))
                return FALSE;
            m->type = parse_struct_or_enum_body(p, error);
            return m->type != NULL;
        case MEMBER_METHOD:
            m->type = parse_struct(p, "after the method name", error);
            if (!m->type || !expect(p, "->", "after the method's input", error))
                return FALSE;
            m->output = parse_struct(p, "after '->'", error);
            if (!m->output)
                return FALSE;
            g_ptr_array_add(iface->method_names, m->name);
            return TRUE;
        case MEMBER_ERROR:
            m->type = parse_struct(p, "after the error name", error);
            return m->type != NULL;
    }
    return FALSE;
}

static gboolean
resolve(CgVarlinkInterface *iface, CgVarlinkType *t, GError **error)
{
    if (!t)
        return TRUE;
    if (t->kind == CG_VARLINK_NAMED) {
        Member *m = g_hash_table_lookup(iface->members, t->name);
        if (!m || m->kind != MEMBER_TYPE) {
            g_set_error(error, CG_VARLINK_IDL_ERROR, 0, "type '%s' is used but not declared",
                        t->name);
            return FALSE;
        }
        t->resolved = m->type;
    }
    if (!resolve(iface, t->element, error))
        return FALSE;
    for (guint i = 0; t->fields && i < t->fields->len; i++)
        if (!resolve(iface, ((CgVarlinkField *)t->fields->pdata[i])->type, error))
            return FALSE;
    return TRUE;
}

CgVarlinkInterface *
cg_varlink_interface_parse(const char *text, GError **error)
{
    g_autoptr(CgVarlinkInterface) iface = g_new0(CgVarlinkInterface, 1);
    iface->text = g_strdup(text);
    iface->members = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, member_free);
    iface->method_names = g_ptr_array_new();

    Parser p = { .text = iface->text, .len = strlen(iface->text) };
    if (!accept_keyword(&p, "interface")) {
        fail_at(&p, error, "expected 'interface' first");
        return NULL;
    }
    iface->name = read_word(&p, TRUE);
    if (!iface->name || !valid_interface_name(iface->name)) {
        fail_at(&p, error, "expected a reverse-domain interface name");
        return NULL;
    }
    for (;;) {
        skip_blanks(&p);
        if (p.pos >= p.len)
            break;
        if (!parse_member(&p, iface, error))
            return NULL;
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, iface->members);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Member *m = value;
        if (!resolve(iface, m->type, error) || !resolve(iface, m->output, error)) {
            g_prefix_error(error, "%s: ", m->name);
            return NULL;
        }
    }
    return g_steal_pointer(&iface);
}

void
cg_varlink_interface_free(CgVarlinkInterface *iface)
{
    if (!iface)
        return;
    g_free(iface->name);
    g_free(iface->text);
    g_clear_pointer(&iface->members, g_hash_table_unref);
    g_clear_pointer(&iface->method_names, g_ptr_array_unref);
    g_free(iface);
}

const char *
cg_varlink_interface_name(const CgVarlinkInterface *iface)
{
    return iface->name;
}

const char *
cg_varlink_interface_text(const CgVarlinkInterface *iface)
{
    return iface->text;
}

static const Member *
find_member(const CgVarlinkInterface *iface, const char *name, MemberKind kind)
{
    const Member *m = g_hash_table_lookup(iface->members, name);
    return m && m->kind == kind ? m : NULL;
}

const CgVarlinkType *
cg_varlink_method_input(const CgVarlinkInterface *iface, const char *method)
{
    const Member *m = find_member(iface, method, MEMBER_METHOD);
    return m ? m->type : NULL;
}

const CgVarlinkType *
cg_varlink_method_output(const CgVarlinkInterface *iface, const char *method)
{
    const Member *m = find_member(iface, method, MEMBER_METHOD);
    return m ? m->output : NULL;
}

const CgVarlinkType *
cg_varlink_error_type(const CgVarlinkInterface *iface, const char *error)
{
    const Member *m = find_member(iface, error, MEMBER_ERROR);
    return m ? m->type : NULL;
}

const GPtrArray *
cg_varlink_interface_methods(const CgVarlinkInterface *iface)
{
    return iface->method_names;
}

/* ---- checking JSON values ------------------------------------------- */

typedef struct {
    GString *path;
    const char *why;
    guint depth;
} Check;

static gboolean check_value(Check *c, const CgVarlinkType *t, JsonNode *node);

static gboolean
check_fail(Check *c, const char *why)
{
    c->why = why;
    return FALSE;
}

static gboolean
check_struct_members(Check *c, const CgVarlinkType *t, JsonObject *obj)
{
    gsize base = c->path->len;
    /* every member the value has must be declared */
    if (obj) {
        JsonObjectIter it;
        const char *member;
        JsonNode *value;
        json_object_iter_init(&it, obj);
        while (json_object_iter_next(&it, &member, &value)) {
            gboolean known = FALSE;
            for (guint i = 0; i < t->fields->len && !known; i++)
                known = strcmp(((CgVarlinkField *)t->fields->pdata[i])->name, member) == 0;
            if (!known) {
                g_string_append_printf(c->path, "%s%s", base ? "." : "", member);
                return check_fail(c, "unknown field");
            }
        }
    }
    /* and every declared field must fit (present unless nullable) */
    for (guint i = 0; i < t->fields->len; i++) {
        const CgVarlinkField *f = t->fields->pdata[i];
        JsonNode *value = obj && json_object_has_member(obj, f->name)
                              ? json_object_get_member(obj, f->name)
                              : NULL;
        g_string_append_printf(c->path, "%s%s", base ? "." : "", f->name);
        if (!check_value(c, f->type, value))
            return FALSE;
        g_string_truncate(c->path, base);
    }
    return TRUE;
}

static gboolean
check_value_inner(Check *c, const CgVarlinkType *t, JsonNode *node)
{
    if (!node || JSON_NODE_HOLDS_NULL(node))
        return t->nullable ? TRUE : check_fail(c, node ? "must not be null" : "missing");
    if (t->kind == CG_VARLINK_NAMED) {
        /* the named type's own nullability does not apply to a use of it */
        const CgVarlinkType *r = t->resolved;
        if (!r)
            return check_fail(c, "unresolved type");
        CgVarlinkType plain = *r;
        plain.nullable = FALSE;
        return check_value(c, &plain, node);
    }
    JsonNodeType nt = JSON_NODE_TYPE(node);
    GType vt = nt == JSON_NODE_VALUE ? json_node_get_value_type(node) : G_TYPE_INVALID;
    switch (t->kind) {
        case CG_VARLINK_BOOL:
            return vt == G_TYPE_BOOLEAN ? TRUE : check_fail(c, "must be a boolean");
        case CG_VARLINK_INT:
            return vt == G_TYPE_INT64 ? TRUE : check_fail(c, "must be an integer");
        case CG_VARLINK_FLOAT:
            return vt == G_TYPE_INT64 || vt == G_TYPE_DOUBLE ? TRUE
                                                             : check_fail(c, "must be a number");
        case CG_VARLINK_STRING:
            return vt == G_TYPE_STRING ? TRUE : check_fail(c, "must be a string");
        case CG_VARLINK_OBJECT:
            return nt == JSON_NODE_OBJECT ? TRUE : check_fail(c, "must be an object");
        case CG_VARLINK_ENUM: {
            if (vt != G_TYPE_STRING)
                return check_fail(c, "must be a string");
            const char *s = json_node_get_string(node);
            for (guint i = 0; i < t->enum_values->len; i++)
                if (strcmp(t->enum_values->pdata[i], s) == 0)
                    return TRUE;
            return check_fail(c, "is not one of the declared values");
        }
        case CG_VARLINK_STRUCT:
            if (nt != JSON_NODE_OBJECT)
                return check_fail(c, "must be an object");
            return check_struct_members(c, t, json_node_get_object(node));
        case CG_VARLINK_ARRAY: {
            if (nt != JSON_NODE_ARRAY)
                return check_fail(c, "must be an array");
            JsonArray *a = json_node_get_array(node);
            gsize base = c->path->len;
            for (guint i = 0; i < json_array_get_length(a); i++) {
                g_string_append_printf(c->path, "[%u]", i);
                if (!check_value(c, t->element, json_array_get_element(a, i)))
                    return FALSE;
                g_string_truncate(c->path, base);
            }
            return TRUE;
        }
        case CG_VARLINK_MAP: {
            if (nt != JSON_NODE_OBJECT)
                return check_fail(c, "must be an object");
            JsonObjectIter it;
            const char *key;
            JsonNode *value;
            gsize base = c->path->len;
            json_object_iter_init(&it, json_node_get_object(node));
            while (json_object_iter_next(&it, &key, &value)) {
                g_string_append_printf(c->path, "%s%s", base ? "." : "", key);
                if (!check_value(c, t->element, value))
                    return FALSE;
                g_string_truncate(c->path, base);
            }
            return TRUE;
        }
        case CG_VARLINK_NAMED:
            break;
    }
    return check_fail(c, "unknown type");
}

static gboolean
check_value(Check *c, const CgVarlinkType *t, JsonNode *node)
{
    if (++c->depth > CHECK_MAX_DEPTH)
        return check_fail(c, "nested too deeply");
    gboolean ok = check_value_inner(c, t, node);
    c->depth--;
    return ok;
}

static gboolean
check_done(Check *c, gboolean ok, char **bad_path, const char **why)
{
    if (!ok) {
        if (bad_path)
            *bad_path = g_strdup(c->path->len ? c->path->str : "parameters");
        if (why)
            *why = c->why;
    }
    g_string_free(c->path, TRUE);
    return ok;
}

gboolean
cg_varlink_check(const CgVarlinkType *type, JsonNode *node, char **bad_path, const char **why)
{
    Check c = { .path = g_string_new(NULL) };
    return check_done(&c, check_value(&c, type, node), bad_path, why);
}

gboolean
cg_varlink_check_parameters(const CgVarlinkType *type, JsonObject *parameters, char **bad_path,
                            const char **why)
{
    Check c = { .path = g_string_new(NULL) };
    gboolean ok = type->kind == CG_VARLINK_STRUCT ? check_struct_members(&c, type, parameters)
                                                  : check_fail(&c, "not a struct");
    return check_done(&c, ok, bad_path, why);
}
