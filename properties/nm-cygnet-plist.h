/* nm-cygnet-plist.h: Apple XML property lists (the inside of a
 * .mobileconfig), parsed with GLib's GMarkup into a small tree. The input
 * is untrusted: depth, node count and text sizes are bounded, and a
 * malformed document fails naming the line. No entities beyond XML's
 * five are expanded (GMarkup knows no others). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_PLIST_MAX_DEPTH      32
#define CG_PLIST_MAX_NODES      20000
#define CG_PLIST_MAX_TEXT_BYTES (512 * 1024)

typedef enum {
    CG_PLIST_DICT,
    CG_PLIST_ARRAY,
    CG_PLIST_STRING,
    CG_PLIST_INTEGER,
    CG_PLIST_REAL,
    CG_PLIST_TRUE,
    CG_PLIST_FALSE,
    CG_PLIST_DATA,
    CG_PLIST_DATE,
} CgPlistType;

typedef struct CgPlist CgPlist;
struct CgPlist {
    CgPlistType type;
    char *text;       /* leaf text (string, integer, real, data, date) */
    GPtrArray *keys;  /* dict: the keys, parallel to items */
    GPtrArray *items; /* dict and array: the children (CgPlist) */
};

void cg_plist_free(CgPlist *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgPlist, cg_plist_free)

CgPlist *cg_plist_parse(const char *text, gsize len, GError **error);

/* The value of key in dict, or NULL. */
const CgPlist *cg_plist_get(const CgPlist *dict, const char *key);

/* Leaf accessors: FALSE when node is missing or of another type. */
gboolean cg_plist_get_int(const CgPlist *node, gint64 *out);
gboolean cg_plist_get_bool(const CgPlist *node, gboolean *out); /* true/false or 0/1 integer */

const char *cg_plist_type_name(CgPlistType type);

G_END_DECLS
