/* nm-cygnet-formats.h: the file formats of import and export, each
 * between file text and a CgProfile (docs/import-export.md):
 *  - native: Cygnet's own keyfile (.cygnet), lossless;
 *  - sswan: strongSwan's JSON profiles (.sswan);
 *  - mobileconfig: Apple configuration profiles (.mobileconfig), the
 *    com.apple.vpn.managed payload of VPNType IKEv2.
 * Readers fail with CG_IMPORT_ERROR_MALFORMED on a file they cannot read,
 * and list in profile->unsupported what the file asks for that Cygnet
 * cannot do. Writers fail (CG_IMPORT_ERROR_UNSUPPORTED) when the profile
 * cannot be written without changing its meaning; where a format can only
 * approximate a value (a timer), the writer says so (a comment in the
 * file where the format has comments, and a message on stderr). */
#pragma once

#include "nm-cygnet-profile.h"

G_BEGIN_DECLS

/* No format needs more; bigger files are refused before parsing. */
#define CG_IMPORT_MAX_FILE_BYTES (1024 * 1024)

#define CG_NATIVE_EXTENSION       ".cygnet"
#define CG_SSWAN_EXTENSION        ".sswan"
#define CG_MOBILECONFIG_EXTENSION ".mobileconfig"

CgProfile *cg_native_read(const char *text, gsize len, GError **error);
char *cg_native_write(const CgProfile *profile, GError **error);

CgProfile *cg_sswan_read(const char *text, gsize len, GError **error);
char *cg_sswan_write(const CgProfile *profile, GError **error);

CgProfile *cg_mobileconfig_read(const char *text, gsize len, GError **error);
char *cg_mobileconfig_write(const CgProfile *profile, GError **error);

/* Reads text in whichever format it is (by content, then by the name's
 * extension). */
CgProfile *cg_format_read_any(const char *text, gsize len, const char *file_name, GError **error);

/* Writes profile in the format the name's extension says (.sswan,
 * .mobileconfig, anything else: native). */
char *cg_format_write_for_name(const CgProfile *profile, const char *file_name, GError **error);

/* NMVpnEditorPlugin's import and export. */
NMConnection *cg_import_file(const char *path, GError **error);
gboolean cg_export_file(const char *path, NMConnection *connection, GError **error);

G_END_DECLS
