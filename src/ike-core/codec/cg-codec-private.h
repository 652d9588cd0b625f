/* cg-codec-private.h: helpers shared by the codec's files, not for callers. */
#pragma once

#include "cg-codec.h"

G_BEGIN_DECLS

/* Sets a CG_CODEC_ERROR (when error is not NULL) and returns FALSE, so a
 * check reads: if (bad) return cg_codec_fail(error, CODE, "...", a, b); */
gboolean cg_codec_fail(GError **error, CgCodecError code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Reads an unaligned big-endian integer from p (which the caller bounded). */
static inline guint16
cg_load_u16(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

static inline guint32
cg_load_u32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

G_END_DECLS
