/* cg-ocsp-mode.h: how a peer's certificate status is asked for (OCSP,
 * RFC 6960): a configuration value (config/) that the certificate checks
 * (crypto/cg-cert-ocsp.c) act on. */
#pragma once

#include <glib.h>

typedef enum {
    CG_OCSP_OFF = 0,
    CG_OCSP_SOFT,
    CG_OCSP_HARD,
} CgOcspMode;

/* "no", "soft", "hard" (also "yes" = "soft", "off" = "no"); FALSE for
 * anything else. */
gboolean cg_ocsp_mode_from_string(const char *text, CgOcspMode *mode);
const char *cg_ocsp_mode_to_string(CgOcspMode mode);
