/* cg-der.c: the DER reader and writer of cg-der.h (X.690 definite-length
 * encoding, the subset X.509 and PKCS use). */
#include "cg-der.h"

void
cg_der_init(CgDer *d, const guint8 *data, gsize len)
{
    d->data = data;
    d->len = data ? len : 0;
    d->pos = 0;
}

gboolean
cg_der_at_end(const CgDer *d)
{
    return d->pos >= d->len;
}

gboolean
cg_der_peek_tag(const CgDer *d, guint8 *tag)
{
    if (d->pos >= d->len)
        return FALSE;
    *tag = d->data[d->pos];
    return TRUE;
}

/* X.690 8.1.3: short form below 128, else 0x80 | number of length
 * octets; DER demands the shortest form, which we check too. */
static gboolean
read_header(const CgDer *d, gsize at, guint8 *tag, gsize *header_len, gsize *content_len)
{
    gsize left = d->len - at;
    if (left < 2)
        return FALSE;
    const guint8 *p = d->data + at;
    /* high tag numbers (low five bits all set) do not occur in what we parse */
    if ((p[0] & 0x1f) == 0x1f)
        return FALSE;
    *tag = p[0];
    if (p[1] < 0x80) {
        *header_len = 2;
        *content_len = p[1];
    } else {
        guint n = p[1] & 0x7f;
        if (n == 0 || n > 4 || left < 2 + (gsize)n)
            return FALSE; /* indefinite or absurd lengths */
        gsize value = 0;
        for (guint i = 0; i < n; i++)
            value = (value << 8) | p[2 + i];
        if (value < 0x80 || (n > 1 && p[2] == 0))
            return FALSE; /* not the shortest form */
        *header_len = 2 + n;
        *content_len = value;
    }
    return *content_len <= left - *header_len;
}

gboolean
cg_der_read_any(CgDer *d, guint8 *tag, const guint8 **content, gsize *content_len,
                const guint8 **whole, gsize *whole_len)
{
    gsize header_len, len;
    guint8 t;
    if (d->pos >= d->len || !read_header(d, d->pos, &t, &header_len, &len))
        return FALSE;
    if (tag)
        *tag = t;
    if (content)
        *content = d->data + d->pos + header_len;
    if (content_len)
        *content_len = len;
    if (whole)
        *whole = d->data + d->pos;
    if (whole_len)
        *whole_len = header_len + len;
    d->pos += header_len + len;
    return TRUE;
}

gboolean
cg_der_read(CgDer *d, guint8 tag, CgDer *inner)
{
    const guint8 *content;
    gsize len;
    if (!cg_der_read_bytes(d, tag, &content, &len))
        return FALSE;
    cg_der_init(inner, content, len);
    return TRUE;
}

gboolean
cg_der_read_bytes(CgDer *d, guint8 tag, const guint8 **content, gsize *len)
{
    guint8 t;
    if (!cg_der_peek_tag(d, &t) || t != tag)
        return FALSE;
    return cg_der_read_any(d, NULL, content, len, NULL, NULL);
}

gboolean
cg_der_read_uint(CgDer *d, guint32 *out)
{
    const guint8 *p;
    gsize len;
    if (!cg_der_read_bytes(d, CG_DER_INTEGER, &p, &len) || len == 0)
        return FALSE;
    if (p[0] & 0x80)
        return FALSE; /* negative */
    /* one leading zero octet may keep the sign bit clear */
    if (len > 1 && p[0] == 0) {
        p++;
        len--;
    }
    if (len > 4)
        return FALSE;
    guint32 v = 0;
    for (gsize i = 0; i < len; i++)
        v = (v << 8) | p[i];
    *out = v;
    return TRUE;
}

void
cg_der_put(GByteArray *out, guint8 tag, const guint8 *data, gsize len)
{
    guint8 head[5] = { tag };
    guint head_len;
    g_return_if_fail(len < (1u << 24));
    if (len < 0x80) {
        head[1] = (guint8)len;
        head_len = 2;
    } else if (len <= 0xff) {
        head[1] = 0x81;
        head[2] = (guint8)len;
        head_len = 3;
    } else if (len <= 0xffff) {
        head[1] = 0x82;
        head[2] = (guint8)(len >> 8);
        head[3] = (guint8)len;
        head_len = 4;
    } else {
        head[1] = 0x83;
        head[2] = (guint8)(len >> 16);
        head[3] = (guint8)(len >> 8);
        head[4] = (guint8)len;
        head_len = 5;
    }
    g_byte_array_append(out, head, head_len);
    if (len)
        g_byte_array_append(out, data, (guint)len);
}

void
cg_der_wrap(GByteArray *out, guint8 tag, const GByteArray *inner)
{
    cg_der_put(out, tag, inner->data, inner->len);
}
