/* cg-payload-sa.c: the Security Association payload (RFC 7296 3.3):
 * proposals, transforms and transform attributes. */
#include "cg-codec-private.h"

#include <string.h>

/* RFC 7296 3.3.1: Last Substruc, RESERVED, Proposal Length, Proposal Num,
 * Protocol ID, SPI Size, Num Transforms (then the SPI, then transforms) */
#define PROPOSAL_HEADER_LEN          8
#define LAST_SUBSTRUC_LAST           0
#define LAST_SUBSTRUC_MORE_PROPOSALS 2
/* RFC 7296 3.3.2: Last Substruc, RESERVED, Transform Length, Transform
 * Type, RESERVED, Transform ID (then attributes) */
#define TRANSFORM_HEADER_LEN          8
#define LAST_SUBSTRUC_MORE_TRANSFORMS 3
/* RFC 7296 3.3.5: AF bit + Attribute Type, Attribute Length or Value */
#define ATTR_HEADER_LEN 4
#define ATTR_FORMAT_TV  0x8000
#define ATTR_TYPE_MASK  0x7fff

/* Reads a transform's attributes. *understood is FALSE when one of them is
 * not the TV Key Length (or is a second one): RFC 7296 3.3.6 says such a
 * transform is not acceptable, which is not an error in the payload. */
static gboolean
parse_attributes(const guint8 *p, gsize len, guint proposal_number, guint transform_index,
                 CgTransform *t, gboolean *understood, GError **error)
{
    CgReader r;
    gboolean have_key_length = FALSE;

    cg_reader_init(&r, p, len);
    *understood = TRUE;
    t->key_bits = 0;
    while (cg_reader_left(&r) > 0) {
        guint16 type_field, length_or_value;

        if (cg_reader_left(&r) < ATTR_HEADER_LEN)
            return cg_codec_fail(
                error, CG_CODEC_ERROR_TRUNCATED,
                "SA proposal %u transform %u: attribute header needs %d bytes, %" G_GSIZE_FORMAT
                " left",
                proposal_number, transform_index, ATTR_HEADER_LEN, cg_reader_left(&r));
        cg_reader_u16(&r, &type_field);
        cg_reader_u16(&r, &length_or_value);

        if (type_field & ATTR_FORMAT_TV) {
            if ((type_field & ATTR_TYPE_MASK) == CG_ATTR_KEY_LENGTH && !have_key_length) {
                t->key_bits = length_or_value;
                have_key_length = TRUE;
            } else {
                *understood = FALSE;
            }
            continue;
        }
        /* TLV: the value follows and must stay inside the transform */
        if (!cg_reader_skip(&r, length_or_value))
            return cg_codec_fail(
                error, CG_CODEC_ERROR_TRUNCATED,
                "SA proposal %u transform %u: attribute type %u length %u runs past the "
                "transform (%" G_GSIZE_FORMAT " bytes left)",
                proposal_number, transform_index, type_field & ATTR_TYPE_MASK, length_or_value,
                cg_reader_left(&r));
        /* Key Length is defined in TV form only (3.3.5) */
        *understood = FALSE;
    }
    return TRUE;
}

/* Parses the transforms that follow a proposal's SPI; exactly
 * num_transforms of them must fill the rest of the proposal. */
static gboolean
parse_transforms(const guint8 *p, gsize len, guint8 num_transforms, CgProposal *out, GError **error)
{
    CgReader r;

    cg_reader_init(&r, p, len);
    for (guint i = 0; i < num_transforms; i++) {
        const guint8 *t = r.data + r.pos;
        gboolean is_last = i + 1 == num_transforms;
        guint16 transform_len;
        CgTransform transform;
        gboolean understood;

        if (cg_reader_left(&r) < TRANSFORM_HEADER_LEN)
            return cg_codec_fail(
                error, CG_CODEC_ERROR_TRUNCATED,
                "SA proposal %u: transform %u of %u header needs %d bytes, %" G_GSIZE_FORMAT
                " left",
                out->number, i + 1, num_transforms, TRANSFORM_HEADER_LEN, cg_reader_left(&r));
        if (t[0] != (is_last ? LAST_SUBSTRUC_LAST : LAST_SUBSTRUC_MORE_TRANSFORMS))
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "SA proposal %u: transform %u of %u has last-substructure %u, "
                                 "expected %u",
                                 out->number, i + 1, num_transforms, t[0],
                                 is_last ? LAST_SUBSTRUC_LAST : LAST_SUBSTRUC_MORE_TRANSFORMS);
        transform_len = cg_load_u16(t + 2);
        if (transform_len < TRANSFORM_HEADER_LEN)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "SA proposal %u: transform %u length %u shorter than minimum (%d)",
                                 out->number, i + 1, transform_len, TRANSFORM_HEADER_LEN);
        if (transform_len > cg_reader_left(&r))
            return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                                 "SA proposal %u: transform %u length %u runs past the proposal "
                                 "(%" G_GSIZE_FORMAT " bytes left)",
                                 out->number, i + 1, transform_len, cg_reader_left(&r));

        transform.type = t[4];
        transform.id = cg_load_u16(t + 6);
        if (!parse_attributes(t + TRANSFORM_HEADER_LEN, transform_len - TRANSFORM_HEADER_LEN,
                              out->number, i + 1, &transform, &understood, error))
            return FALSE;
        /* num_transforms <= CG_MAX_TRANSFORMS was checked by the caller */
        if (understood)
            out->transforms[out->n_transforms++] = transform;
        cg_reader_skip(&r, transform_len);
    }
    if (cg_reader_left(&r) != 0)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "SA proposal %u: %" G_GSIZE_FORMAT
                             " bytes after its %u transforms (Num Transforms)",
                             out->number, cg_reader_left(&r), num_transforms);
    return TRUE;
}

/* One proposal of proposal_len bytes (bounded by the caller). */
static gboolean
parse_proposal(const guint8 *p, gsize proposal_len, CgProposal *out, GError **error)
{
    guint8 num_transforms = p[7];

    out->number = p[4];
    out->protocol_id = p[5];
    out->spi_size = p[6];
    out->n_transforms = 0;
    memset(out->spi, 0, sizeof out->spi);

    /* RFC 7296 3.3.1: SPI size 0 (initial IKE SA), 4 (AH/ESP) or 8 (IKE rekey) */
    if (out->spi_size != 0 && out->spi_size != 4 && out->spi_size != 8)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "SA proposal %u: SPI size %u is not 0, 4 or 8", out->number,
                             out->spi_size);
    if (proposal_len < (gsize)PROPOSAL_HEADER_LEN + out->spi_size)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "SA proposal length %" G_GSIZE_FORMAT
                             " shorter than minimum %d+spi (%u)",
                             proposal_len, PROPOSAL_HEADER_LEN, out->spi_size);
    if (num_transforms > CG_MAX_TRANSFORMS)
        return cg_codec_fail(error, CG_CODEC_ERROR_TOO_MANY,
                             "SA proposal %u: %u transforms, more than %d", out->number,
                             num_transforms, CG_MAX_TRANSFORMS);
    memcpy(out->spi, p + PROPOSAL_HEADER_LEN, out->spi_size);
    return parse_transforms(p + PROPOSAL_HEADER_LEN + out->spi_size,
                            proposal_len - PROPOSAL_HEADER_LEN - out->spi_size, num_transforms, out,
                            error);
}

gboolean
cg_payload_parse_sa(const guint8 *body, gsize len, CgSaPayload *out, GError **error)
{
    CgReader r;
    guint8 last_substruc = LAST_SUBSTRUC_MORE_PROPOSALS;

    out->n_proposals = 0;
    cg_reader_init(&r, body, len);
    if (cg_reader_left(&r) == 0)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "SA: payload has no proposals");

    while (cg_reader_left(&r) > 0) {
        const guint8 *p = r.data + r.pos;
        CgProposal *proposal;
        guint16 proposal_len;

        if (last_substruc == LAST_SUBSTRUC_LAST)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "SA: %" G_GSIZE_FORMAT " bytes after the last proposal",
                                 cg_reader_left(&r));
        if (out->n_proposals >= CG_MAX_PROPOSALS)
            return cg_codec_fail(error, CG_CODEC_ERROR_TOO_MANY, "SA: more than %d proposals",
                                 CG_MAX_PROPOSALS);
        if (cg_reader_left(&r) < PROPOSAL_HEADER_LEN)
            return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                                 "SA: proposal header needs %d bytes, %" G_GSIZE_FORMAT " left",
                                 PROPOSAL_HEADER_LEN, cg_reader_left(&r));

        last_substruc = p[0];
        if (last_substruc != LAST_SUBSTRUC_LAST && last_substruc != LAST_SUBSTRUC_MORE_PROPOSALS)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "SA: proposal %u last-substructure %u is neither %d nor %d",
                                 out->n_proposals + 1, last_substruc, LAST_SUBSTRUC_LAST,
                                 LAST_SUBSTRUC_MORE_PROPOSALS);
        proposal_len = cg_load_u16(p + 2);
        if (proposal_len < PROPOSAL_HEADER_LEN)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "SA proposal length %u shorter than minimum (%d)", proposal_len,
                                 PROPOSAL_HEADER_LEN);
        if (proposal_len > cg_reader_left(&r))
            return cg_codec_fail(error, CG_CODEC_ERROR_TRUNCATED,
                                 "SA proposal length %u runs past the payload (%" G_GSIZE_FORMAT
                                 " bytes left)",
                                 proposal_len, cg_reader_left(&r));

        proposal = &out->proposals[out->n_proposals];
        if (!parse_proposal(p, proposal_len, proposal, error))
            return FALSE;
        /* RFC 7296 3.3.1: numbers start at 1 and go up by one; a response
         * carries the one accepted number, so only the step is checked. */
        if (proposal->number == 0)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED, "SA: proposal number 0");
        if (out->n_proposals > 0
            && proposal->number != out->proposals[out->n_proposals - 1].number + 1)
            return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                                 "SA: proposal number %u follows %u, expected %u", proposal->number,
                                 out->proposals[out->n_proposals - 1].number,
                                 out->proposals[out->n_proposals - 1].number + 1);
        out->n_proposals++;
        cg_reader_skip(&r, proposal_len);
    }
    if (last_substruc != LAST_SUBSTRUC_LAST)
        return cg_codec_fail(error, CG_CODEC_ERROR_MALFORMED,
                             "SA: last proposal has last-substructure %u, expected %d",
                             last_substruc, LAST_SUBSTRUC_LAST);
    return TRUE;
}

static void
write_transform(GByteArray *b, const CgTransform *t, gboolean is_last)
{
    gsize start = b->len;

    cg_put_u8(b, is_last ? LAST_SUBSTRUC_LAST : LAST_SUBSTRUC_MORE_TRANSFORMS);
    cg_put_u8(b, 0);
    cg_put_u16(b, 0); /* Transform Length, patched below */
    cg_put_u8(b, t->type);
    cg_put_u8(b, 0);
    cg_put_u16(b, t->id);
    if (t->key_bits != 0) {
        cg_put_u16(b, ATTR_FORMAT_TV | CG_ATTR_KEY_LENGTH);
        cg_put_u16(b, t->key_bits);
    }
    cg_set_u16(b, start + 2, (guint16)(b->len - start));
}

void
cg_payload_write_sa(GByteArray *b, const CgSaPayload *sa)
{
    g_return_if_fail(sa->n_proposals <= CG_MAX_PROPOSALS);
    for (guint i = 0; i < sa->n_proposals; i++) {
        g_return_if_fail(sa->proposals[i].n_transforms <= CG_MAX_TRANSFORMS);
        g_return_if_fail(sa->proposals[i].spi_size <= sizeof sa->proposals[i].spi);
    }

    for (guint i = 0; i < sa->n_proposals; i++) {
        const CgProposal *p = &sa->proposals[i];
        gsize start = b->len;

        cg_put_u8(b, i + 1 == sa->n_proposals ? LAST_SUBSTRUC_LAST : LAST_SUBSTRUC_MORE_PROPOSALS);
        cg_put_u8(b, 0);
        cg_put_u16(b, 0); /* Proposal Length, patched below */
        cg_put_u8(b, p->number);
        cg_put_u8(b, p->protocol_id);
        cg_put_u8(b, p->spi_size);
        cg_put_u8(b, (guint8)p->n_transforms);
        cg_put_bytes(b, p->spi, p->spi_size);
        for (guint j = 0; j < p->n_transforms; j++)
            write_transform(b, &p->transforms[j], j + 1 == p->n_transforms);
        cg_set_u16(b, start + 2, (guint16)(b->len - start));
    }
}
