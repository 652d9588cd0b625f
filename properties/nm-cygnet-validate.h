/* nm-cygnet-validate.h: checks of vpn.data values before they are saved,
 * so the editor shows a bad value inline and an import refuses it, with
 * the same rules the service applies at connect time (the table in
 * docs/nm-settings.md): ranges, durations, booleans, the enumerations,
 * identities, traffic selectors and proposal names. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_VALIDATE_ERROR (cg_validate_error_quark())
GQuark cg_validate_error_quark(void);

typedef enum {
    CG_VALIDATE_ERROR_INVALID,     /* malformed value */
    CG_VALIDATE_ERROR_MISSING,     /* a required key is empty */
    CG_VALIDATE_ERROR_UNKNOWN_KEY, /* a key the header does not define */
    CG_VALIDATE_ERROR_UNSUPPORTED, /* known, but refused by this version */
} CgValidateError;

/* Checks one vpn.data value (an empty value means the default and is
 * fine, except for the gateway). The message is translated and names the
 * problem, not the key: the editor shows it next to the field. */
gboolean cg_validate_value(const char *key, const char *value, GError **error);

/* Every item of data (key -> value): unknown keys, bad values, a missing
 * gateway. The message names the key. */
gboolean cg_validate_data(GHashTable *data, GError **error);

/* The cross-key rules: an "-only" address family must not exclude a
 * gateway given as an address literal (the service refuses it too); an
 * OCSP check needs a gateway that shows a certificate (auth cert or eap;
 * the editor refuses it otherwise, as it would change nothing). NULL or
 * empty values pass. */
gboolean cg_validate_family_gateway(const char *family, const char *gateway, GError **error);
gboolean cg_validate_ocsp_auth(const char *ocsp, const char *auth, GError **error);

/* Auth methods this version accepts (the service refuses the others). */
gboolean cg_auth_method_supported(const char *method);

/* The vpn.data keys that name a file (cert, key, ca-cert, ...). */
gboolean cg_key_is_file(const char *key);

typedef enum {
    CG_FILE_ANY,                   /* a readable file (a PKCS#11 module, a CRL) */
    CG_FILE_CERTIFICATE,           /* PEM or DER certificates */
    CG_FILE_CERTIFICATE_OR_PKCS12, /* our certificate: PEM/DER, or PKCS#12 */
    CG_FILE_PRIVATE_KEY,           /* an unencrypted private key */
} CgFileKind;

/* What the editor checks before saving a file name: absolute, a file the
 * user can read, holding what kind says. Import does not check files
 * (a profile may name files that are copied later); the service checks
 * again when connecting. */
gboolean cg_validate_file(CgFileKind kind, const char *path, GError **error);

/* "30", "30s", "500ms", "10m", "4h", "1d" -> milliseconds. */
gboolean cg_parse_duration_ms(const char *text, guint64 *out_ms);

/* The algorithm names of docs/cygnetd.md's proposal table, NULL-ended. */
const char *const *cg_proposal_algorithms(void);

G_END_DECLS
