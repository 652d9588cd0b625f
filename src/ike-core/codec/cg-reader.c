/* cg-reader.c: the codec's bounds-checked reader, byte writers, error domain. */
#include "cg-codec-private.h"

G_DEFINE_QUARK(cg - codec - error - quark, cg_codec_error)

gboolean
cg_codec_fail(GError **error, CgCodecError code, const char *fmt, ...)
{
    va_list ap;

    if (error == NULL)
        return FALSE;
    va_start(ap, fmt);
    g_propagate_error(error, g_error_new_valist(CG_CODEC_ERROR, code, fmt, ap));
    va_end(ap);
    return FALSE;
}

void
cg_reader_init(CgReader *r, const guint8 *data, gsize len)
{
    /* An empty, non-NULL buffer keeps `data + pos` well defined. */
    static const guint8 no_data[1];

    r->data = data != NULL ? data : no_data;
    r->len = data != NULL ? len : 0;
    r->pos = 0;
}

gsize
cg_reader_left(const CgReader *r)
{
    return r->len - r->pos;
}

gboolean
cg_reader_u8(CgReader *r, guint8 *out)
{
    if (cg_reader_left(r) < 1)
        return FALSE;
    *out = r->data[r->pos];
    r->pos += 1;
    return TRUE;
}

gboolean
cg_reader_u16(CgReader *r, guint16 *out)
{
    if (cg_reader_left(r) < 2)
        return FALSE;
    *out = cg_load_u16(r->data + r->pos);
    r->pos += 2;
    return TRUE;
}

gboolean
cg_reader_u32(CgReader *r, guint32 *out)
{
    if (cg_reader_left(r) < 4)
        return FALSE;
    *out = cg_load_u32(r->data + r->pos);
    r->pos += 4;
    return TRUE;
}

gboolean
cg_reader_bytes(CgReader *r, gsize n, const guint8 **out)
{
    if (cg_reader_left(r) < n)
        return FALSE;
    *out = r->data + r->pos;
    r->pos += n;
    return TRUE;
}

gboolean
cg_reader_skip(CgReader *r, gsize n)
{
    if (cg_reader_left(r) < n)
        return FALSE;
    r->pos += n;
    return TRUE;
}

void
cg_put_u8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

void
cg_put_u16(GByteArray *b, guint16 v)
{
    guint8 be[2] = { (guint8)(v >> 8), (guint8)v };

    g_byte_array_append(b, be, sizeof be);
}

void
cg_put_u32(GByteArray *b, guint32 v)
{
    guint8 be[4] = { (guint8)(v >> 24), (guint8)(v >> 16), (guint8)(v >> 8), (guint8)v };

    g_byte_array_append(b, be, sizeof be);
}

void
cg_put_bytes(GByteArray *b, const guint8 *p, gsize n)
{
    if (n == 0)
        return;
    g_return_if_fail(p != NULL);
    g_return_if_fail(n <= G_MAXUINT);
    g_byte_array_append(b, p, (guint)n);
}

void
cg_set_u16(GByteArray *b, gsize off, guint16 v)
{
    g_return_if_fail(off + 2 <= b->len);
    b->data[off] = (guint8)(v >> 8);
    b->data[off + 1] = (guint8)v;
}

void
cg_set_u32(GByteArray *b, gsize off, guint32 v)
{
    g_return_if_fail(off + 4 <= b->len);
    b->data[off] = (guint8)(v >> 24);
    b->data[off + 1] = (guint8)(v >> 16);
    b->data[off + 2] = (guint8)(v >> 8);
    b->data[off + 3] = (guint8)v;
}
