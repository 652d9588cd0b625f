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

/* Auth methods this version accepts (the service refuses the others). */
gboolean cg_auth_method_supported(const char *method);

/* "30", "30s", "500ms", "10m", "4h", "1d" -> milliseconds. */
gboolean cg_parse_duration_ms(const char *text, guint64 *out_ms);

/* The algorithm names of docs/cygnetd.md's proposal table, NULL-ended. */
const char *const *cg_proposal_algorithms(void);

G_END_DECLS
