/* cg-json-guard.h: a check that runs before json-glib parses bytes from a
 * socket (the control server's requests, cygnetctl's replies).
 *
 * json-glib's parser recurses once per nesting level, so deep nesting
 * overflows the stack: the depth is counted first. It also reads
 * single-quoted strings and comments, inside which brackets would fool
 * the count, so those characters outside a double-quoted string are
 * refused (Varlink is plain JSON, RFC 8259). Header-only: the server and
 * the client link nothing in common. */
#pragma once

#include <glib.h>

/* TRUE if `data` is free of those characters and nests at most
 * max_depth levels; else FALSE with *why (to free) saying which. */
static inline gboolean
cg_json_guard(const char *data, gsize len, guint max_depth, char **why)
{
    guint depth = 0;
    gboolean in_string = FALSE;
    for (gsize i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = FALSE;
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '\'' || c == '/' || c == '#') {
            *why = g_strdup_printf("not plain JSON: '%c' outside a string at byte %" G_GSIZE_FORMAT,
                                   c, i);
            return FALSE;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                *why = g_strdup_printf("JSON nested deeper than %u levels", max_depth);
                return FALSE;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return TRUE;
}
