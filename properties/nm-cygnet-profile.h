/* nm-cygnet-profile.h: a VPN profile between a file format and an
 * NMConnection. Every importer fills a CgProfile (and lists what the file
 * asks for that Cygnet cannot do); every exporter writes one. Only
 * cg_profile_to_connection() and cg_profile_from_connection() know libnm.
 */
#pragma once

#include <NetworkManager.h>

G_BEGIN_DECLS

#define CG_IMPORT_ERROR (cg_import_error_quark())
GQuark cg_import_error_quark(void);

typedef enum {
    CG_IMPORT_ERROR_MALFORMED,   /* not a readable file of the format */
    CG_IMPORT_ERROR_UNSUPPORTED, /* asks for something Cygnet cannot do */
    CG_IMPORT_ERROR_INVALID,     /* a value Cygnet would refuse */
    CG_IMPORT_ERROR_UNKNOWN,     /* not a format we know */
} CgImportError;

typedef struct {
    char *id;            /* connection name, may be NULL */
    char *uuid;          /* may be NULL: a new one is made */
    GHashTable *data;    /* vpn.data: key -> value */
    GHashTable *secrets; /* vpn.secrets: key -> value, wiped when freed */
    gboolean never_default4, never_default6;
    char **dns_search; /* may be NULL */
    /* What the file asks for that Cygnet cannot do, one line each
     * (translated). An import with any of these fails and names them all. */
    GPtrArray *unsupported;
} CgProfile;

CgProfile *cg_profile_new(void);
void cg_profile_free(CgProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgProfile, cg_profile_free)

void cg_profile_set(CgProfile *profile, const char *key, const char *value);
void cg_profile_set_secret(CgProfile *profile, const char *key, const char *value);
void cg_profile_unsupported(CgProfile *profile, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* The connection for profile: fails (naming every item) when anything
 * is unsupported or invalid; creates nothing then. */
NMConnection *cg_profile_to_connection(const CgProfile *profile, GError **error);

/* The profile of a Cygnet connection. Secrets are included when the
 * connection holds them (flags 0: saved in the profile). */
CgProfile *cg_profile_from_connection(NMConnection *connection, GError **error);

/* The keys of a string table, sorted (for files that diff well). */
char **cg_sorted_keys(GHashTable *table);

G_END_DECLS
