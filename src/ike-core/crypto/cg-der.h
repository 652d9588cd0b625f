/* cg-der.h: a small bounds-checked DER (X.690) reader and writer, and PEM
 * (RFC 7468) decoding. Pure: no NSS, no allocation from untrusted lengths.
 *
 * Used where NSS takes or gives raw DER that we must look into or build:
 * private key containers (PKCS#1, SEC1, PKCS#8), RFC 7427 signature
 * AlgorithmIdentifiers and ECDSA signature values. Only definite lengths
 * of at most 4 length octets and single-octet tags are accepted; anything
 * else is malformed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* universal tags (X.690 8.x) and the constructed/context bits */
#define CG_DER_INTEGER      0x02
#define CG_DER_BIT_STRING   0x03
#define CG_DER_OCTET_STRING 0x04
#define CG_DER_NULL         0x05
#define CG_DER_OID          0x06
#define CG_DER_SEQUENCE     0x30
#define CG_DER_SET          0x31
#define CG_DER_CONTEXT(n)   (0xA0 | (n)) /* [n] constructed */

typedef struct {
    const guint8 *data;
    gsize len;
    gsize pos;
} CgDer;

void cg_der_init(CgDer *d, const guint8 *data, gsize len);
gboolean cg_der_at_end(const CgDer *d);
/* Peeks at the next tag; FALSE at the end. */
gboolean cg_der_peek_tag(const CgDer *d, guint8 *tag);
/* Reads one element of any tag: its tag, contents and the whole encoding
 * (tag | length | contents, for re-emitting it). */
gboolean cg_der_read_any(CgDer *d, guint8 *tag, const guint8 **content, gsize *content_len,
                         const guint8 **whole, gsize *whole_len);
/* Reads one element that must have `tag`; its contents become *inner. */
gboolean cg_der_read(CgDer *d, guint8 tag, CgDer *inner);
/* Reads an element of `tag` and hands out its contents. */
gboolean cg_der_read_bytes(CgDer *d, guint8 tag, const guint8 **content, gsize *len);
/* A non-negative INTEGER that fits 32 bits. */
gboolean cg_der_read_uint(CgDer *d, guint32 *out);

/* Appends tag | length | data (len < 2^24). */
void cg_der_put(GByteArray *out, guint8 tag, const guint8 *data, gsize len);
/* Appends tag | length | inner->data. */
void cg_der_wrap(GByteArray *out, guint8 tag, const GByteArray *inner);

/* ---- PEM (RFC 7468) ---------------------------------------------------- */

typedef struct {
    char *label;        /* "CERTIFICATE", "PRIVATE KEY", "X509 CRL", ... */
    GBytes *der;        /* decoded body; for key labels its memory is wiped on free */
    gboolean encrypted; /* RFC 1421 "Proc-Type: 4,ENCRYPTED" header present */
} CgPemBlock;

void cg_pem_block_free(CgPemBlock *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgPemBlock, cg_pem_block_free)

/* TRUE when text contains a "-----BEGIN " line. */
gboolean cg_pem_detect(const guint8 *text, gsize len);
/* Every block in text, in order (CgPemBlock*). A block with bad base64 or
 * without its END line fails the whole decode, naming the label and the
 * line. Blocks whose label contains "KEY" have their bytes wiped on free. */
GPtrArray *cg_pem_decode(const guint8 *text, gsize len, GError **error);
/* The DER objects of a certificate or CRL file (GBytes*): with PEM, the
 * bodies of the blocks labelled one of LABELS (NULL-terminated), in
 * order, and *from_pem TRUE; otherwise the whole text as one object. */
GPtrArray *cg_pem_or_der_objects(const guint8 *text, gsize len, const char *const *labels,
                                 gboolean *from_pem, GError **error);

/* A GBytes whose memory is wiped when the last reference goes. */
GBytes *cg_secret_bytes_new(const guint8 *data, gsize len);

G_END_DECLS
