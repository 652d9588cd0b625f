/* cg-legacy.h: the weak primitives MS-CHAPv2 (RFC 2759) is built on, MD4
 * and single DES, for EAP-MSCHAPv2 only. Nothing else may use them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 1320 */
void cg_md4(const guint8 *data, gsize len, guint8 out[16]);

/* DES-ECB of one block with a 56-bit key given as 7 bytes, expanded to
 * the 8-byte form with parity bits (RFC 2759 8.6 DesEncrypt). */
gboolean cg_des_encrypt_block(const guint8 key7[7], const guint8 in[8], guint8 out[8],
                              GError **error);

G_END_DECLS
