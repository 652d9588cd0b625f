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

/* A file a profile carries inside it (a CA certificate, a PKCS#12
 * container): the importer names where it goes in data, the import
 * writes it there once the connection is valid. */
typedef struct {
    char *path;    /* absolute */
    GBytes *bytes; /* wiped when freed */
} CgProfileFile;

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
    GPtrArray *files; /* CgProfileFile: written by cg_profile_write_files() */
} CgProfile;

CgProfile *cg_profile_new(void);
void cg_profile_free(CgProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgProfile, cg_profile_free)

void cg_profile_set(CgProfile *profile, const char *key, const char *value);
void cg_profile_set_secret(CgProfile *profile, const char *key, const char *value);
void cg_profile_unsupported(CgProfile *profile, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Where an imported profile's embedded files go: the user's data
 * directory (…/cygnet/certificates), absolute, so the service (root) reads
 * them by that name. name is a file name (no directory). */
char *cg_profile_file_path(const char *name);
/* The profile's UUID, made when it has none (or an invalid one): embedded
 * files are named after it, so importing the profile again replaces them. */
const char *cg_profile_ensure_uuid(CgProfile *profile);
/* Keeps bytes for path (written by cg_profile_write_files). */
void cg_profile_add_file(CgProfile *profile, const char *path, const void *data, gsize len);
/* An embedded file no bigger than this is read for an export. */
#define CG_PROFILE_MAX_FILE_BYTES (512 * 1024)
/* The bytes of the file at path: the ones an import has not written yet,
 * or the file on disk. The caller wipes (it may be a PKCS#12 file) and
 * frees them. */
guint8 *cg_profile_file_contents(const CgProfile *profile, const char *path, gsize *len,
                                 GError **error);
/* Writes the embedded files (mode 0600, directory 0700). */
gboolean cg_profile_write_files(const CgProfile *profile, GError **error);

/* The connection for profile: fails (naming every item) when anything
 * is unsupported or invalid; creates nothing then. */
NMConnection *cg_profile_to_connection(const CgProfile *profile, GError **error);

/* The profile of a Cygnet connection. Secrets are included when the
 * connection holds them (flags 0: saved in the profile). */
CgProfile *cg_profile_from_connection(NMConnection *connection, GError **error);

/* The keys of a string table, sorted (for files that diff well). */
char **cg_sorted_keys(GHashTable *table);

G_END_DECLS
