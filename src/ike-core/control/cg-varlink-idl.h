/* cg-varlink-idl.h: Varlink interface files (varlink.org "Interface
 * Definition"), parsed into types, and JSON values checked against them.
 *
 * The control server parses its interface files at start and checks every
 * call's parameters against the declared input of the method, so the file
 * is the one source of truth: what it does not declare is rejected.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CG_VARLINK_IDL_ERROR (cg_varlink_idl_error_quark())
GQuark cg_varlink_idl_error_quark(void);

typedef enum {
    CG_VARLINK_BOOL,
    CG_VARLINK_INT,
    CG_VARLINK_FLOAT,
    CG_VARLINK_STRING,
    CG_VARLINK_OBJECT, /* any JSON object */
    CG_VARLINK_ENUM,
    CG_VARLINK_STRUCT,
    CG_VARLINK_ARRAY, /* []T */
    CG_VARLINK_MAP,   /* [string]T */
    CG_VARLINK_NAMED, /* a `type` of the interface */
} CgVarlinkKind;

typedef struct CgVarlinkType CgVarlinkType;

typedef struct {
    char *name;
    CgVarlinkType *type;
} CgVarlinkField;

struct CgVarlinkType {
    CgVarlinkKind kind;
    gboolean nullable;             /* ?T: may be absent or null */
    CgVarlinkType *element;        /* ARRAY, MAP */
    GPtrArray *fields;             /* STRUCT: CgVarlinkField* in declaration order */
    GPtrArray *enum_values;        /* ENUM: char* */
    char *name;                    /* NAMED */
    const CgVarlinkType *resolved; /* NAMED: the type it names */
};

typedef struct CgVarlinkInterface CgVarlinkInterface;

/* Parses an interface file. Errors name line and column:
 * "line 12, column 5: expected ':' after field name 'id'". Every named
 * type must be declared, names must be unique. */
CgVarlinkInterface *cg_varlink_interface_parse(const char *text, GError **error);
void cg_varlink_interface_free(CgVarlinkInterface *iface);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgVarlinkInterface, cg_varlink_interface_free)

const char *cg_varlink_interface_name(const CgVarlinkInterface *iface);
/* The file as given (for org.varlink.service.GetInterfaceDescription). */
const char *cg_varlink_interface_text(const CgVarlinkInterface *iface);

/* Method input/output and error parameters: STRUCT types, or NULL when
 * the interface has no such member. */
const CgVarlinkType *cg_varlink_method_input(const CgVarlinkInterface *iface, const char *method);
const CgVarlinkType *cg_varlink_method_output(const CgVarlinkInterface *iface, const char *method);
const CgVarlinkType *cg_varlink_error_type(const CgVarlinkInterface *iface, const char *error);
/* Names of the methods, in file order (char*, owned by iface). */
const GPtrArray *cg_varlink_interface_methods(const CgVarlinkInterface *iface);

/* Checks a JSON value against a type. NULL node means "absent". On a
 * mismatch returns FALSE and sets *bad_path (if not NULL) to where it
 * is, e.g. "children[0].keys.mode", and *why to a short reason ("must be
 * an integer", "unknown field", "missing"). */
gboolean cg_varlink_check(const CgVarlinkType *type, JsonNode *node, char **bad_path,
                          const char **why);
/* Checks the parameters object of a call or reply (NULL = {}) against a
 * STRUCT type; bad_path then starts with the parameter's name. */
gboolean cg_varlink_check_parameters(const CgVarlinkType *type, JsonObject *parameters,
                                     char **bad_path, const char **why);

G_END_DECLS
