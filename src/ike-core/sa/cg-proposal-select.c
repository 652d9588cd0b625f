/* cg-proposal-select.c: building SA payloads from configured proposals and
 * choosing among offered ones (RFC 7296 2.7, 3.3). */
#include "sa/cg-sa-private.h"

#include <string.h>

static void
add_transform(CgProposal *p, guint8 type, guint16 id, guint16 bits)
{
    if (p->n_transforms >= CG_MAX_TRANSFORMS)
        return;
    CgTransform *t = &p->transforms[p->n_transforms++];
    t->type = type;
    t->id = id;
    t->key_bits = bits;
}

void
cg_sa_payload_from_specs(CgSaPayload *out, GArray *specs, guint8 protocol_id, const guint8 *spi,
                         guint8 spi_size, guint16 dh_first)
{
    memset(out, 0, sizeof(*out));
    for (guint i = 0; specs && i < specs->len && out->n_proposals < CG_MAX_PROPOSALS; i++) {
        const CgProposalSpec *s = &g_array_index(specs, CgProposalSpec, i);
        CgProposal *p = &out->proposals[out->n_proposals];
        memset(p, 0, sizeof(*p));
        p->number = (guint8)(out->n_proposals + 1);
        p->protocol_id = protocol_id;
        p->spi_size = spi_size;
        if (spi_size)
            memcpy(p->spi, spi, spi_size);
        for (guint j = 0; j < s->n_encr; j++)
            add_transform(p, CG_TRANS_ENCR, s->encr[j].id, s->encr[j].key_bits);
        if (protocol_id == CG_PROTO_IKE)
            for (guint j = 0; j < s->n_prf; j++)
                add_transform(p, CG_TRANS_PRF, s->prf[j], 0);
        for (guint j = 0; j < s->n_integ; j++)
            add_transform(p, CG_TRANS_INTEG, s->integ[j], 0);
        /* the group we send a KE for goes first (RFC 7296 1.2) */
        if (protocol_id == CG_PROTO_IKE || dh_first) {
            gboolean has_first = FALSE;
            for (guint j = 0; j < s->n_dh; j++)
                has_first |= s->dh[j] == dh_first;
            if (has_first && dh_first)
                add_transform(p, CG_TRANS_DH, dh_first, 0);
            for (guint j = 0; j < s->n_dh; j++)
                if (!(has_first && s->dh[j] == dh_first))
                    add_transform(p, CG_TRANS_DH, s->dh[j], 0);
        }
        if (protocol_id == CG_PROTO_ESP) {
            if (s->n_esn == 0)
                add_transform(p, CG_TRANS_ESN, CG_ESN_NO, 0);
            for (guint j = 0; j < s->n_esn; j++)
                add_transform(p, CG_TRANS_ESN, s->esn[j], 0);
        }
        out->n_proposals++;
    }
}

gboolean
cg_proposal_get(const CgProposal *p, guint8 type, guint16 *id, guint16 *key_bits)
{
    for (guint i = 0; i < p->n_transforms; i++) {
        if (p->transforms[i].type == type) {
            if (id)
                *id = p->transforms[i].id;
            if (key_bits)
                *key_bits = p->transforms[i].key_bits;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
offered_has(const CgProposal *p, guint8 type, guint16 id, guint16 bits)
{
    for (guint i = 0; i < p->n_transforms; i++) {
        const CgTransform *t = &p->transforms[i];
        if (t->type == type && t->id == id && t->key_bits == bits)
            return TRUE;
    }
    return FALSE;
}

static gboolean
offered_has_type(const CgProposal *p, guint8 type)
{
    for (guint i = 0; i < p->n_transforms; i++)
        if (p->transforms[i].type == type && !(type == CG_TRANS_DH && p->transforms[i].id == 0)
            && !(type == CG_TRANS_INTEG && p->transforms[i].id == 0))
            return TRUE;
    return FALSE;
}

/* Tries to match one of our specs against one offered proposal. */
static gboolean
match_one(const CgProposalSpec *s, const CgProposal *op, gboolean want_dh, CgProposal *chosen)
{
    memset(chosen, 0, sizeof(*chosen));
    chosen->number = op->number;
    chosen->protocol_id = op->protocol_id;
    chosen->spi_size = op->spi_size;
    memcpy(chosen->spi, op->spi, sizeof(op->spi));
    /* a transform type we do not know makes the proposal unacceptable */
    for (guint i = 0; i < op->n_transforms; i++)
        if (op->transforms[i].type < CG_TRANS_ENCR || op->transforms[i].type > CG_TRANS_ESN)
            return FALSE;

    gboolean found = FALSE;
    for (guint j = 0; j < s->n_encr && !found; j++) {
        if (offered_has(op, CG_TRANS_ENCR, s->encr[j].id, s->encr[j].key_bits)) {
            add_transform(chosen, CG_TRANS_ENCR, s->encr[j].id, s->encr[j].key_bits);
            found = TRUE;
        }
    }
    if (!found)
        return FALSE;
    guint16 encr = chosen->transforms[0].id;

    if (op->protocol_id == CG_PROTO_IKE) {
        found = FALSE;
        for (guint j = 0; j < s->n_prf && !found; j++) {
            if (offered_has(op, CG_TRANS_PRF, s->prf[j], 0)) {
                add_transform(chosen, CG_TRANS_PRF, s->prf[j], 0);
                found = TRUE;
            }
        }
        if (!found)
            return FALSE;
    }
    if (cg_encr_is_aead(encr)) {
        /* RFC 5282 8: AEAD with integrity NONE or none at all */
        if (offered_has_type(op, CG_TRANS_INTEG))
            return FALSE;
    } else {
        found = FALSE;
        for (guint j = 0; j < s->n_integ && !found; j++) {
            if (offered_has(op, CG_TRANS_INTEG, s->integ[j], 0)) {
                add_transform(chosen, CG_TRANS_INTEG, s->integ[j], 0);
                found = TRUE;
            }
        }
        if (!found)
            return FALSE;
    }
    if (want_dh) {
        found = FALSE;
        for (guint j = 0; j < s->n_dh && !found; j++) {
            if (offered_has(op, CG_TRANS_DH, s->dh[j], 0)) {
                add_transform(chosen, CG_TRANS_DH, s->dh[j], 0);
                found = TRUE;
            }
        }
        if (!found)
            return FALSE;
    } else if (offered_has_type(op, CG_TRANS_DH)) {
        /* without a KE in the request the peer's DH transforms can't be
         * honoured; a proposal that also allows NONE is fine */
        if (!offered_has(op, CG_TRANS_DH, 0, 0))
            return FALSE;
    }
    if (op->protocol_id == CG_PROTO_ESP) {
        found = FALSE;
        guint16 mine[2] = { CG_ESN_NO, CG_ESN_YES };
        guint n = 1;
        const guint16 *list = mine;
        if (s->n_esn) {
            list = s->esn;
            n = s->n_esn;
        }
        for (guint j = 0; j < n && !found; j++) {
            if (offered_has(op, CG_TRANS_ESN, list[j], 0)) {
                add_transform(chosen, CG_TRANS_ESN, list[j], 0);
                found = TRUE;
            }
        }
        /* RFC 7296 3.3.2: ESN is mandatory in ESP proposals, but be lenient
         * with peers that leave it out: that means no ESN */
        if (!found && offered_has_type(op, CG_TRANS_ESN))
            return FALSE;
    }
    return TRUE;
}

gboolean
cg_proposal_select(const CgSaPayload *offered, GArray *ours, gboolean want_dh, CgProposal *chosen)
{
    for (guint i = 0; ours && i < ours->len; i++) {
        const CgProposalSpec *s = &g_array_index(ours, CgProposalSpec, i);
        for (guint k = 0; k < offered->n_proposals; k++) {
            const CgProposal *op = &offered->proposals[k];
            if (op->protocol_id != s->protocol_id)
                continue;
            if (match_one(s, op, want_dh, chosen))
                return TRUE;
        }
    }
    return FALSE;
}

gboolean
cg_proposal_accept_response(const CgSaPayload *sent, const CgSaPayload *reply, CgProposal *chosen)
{
    /* RFC 7296 3.3: exactly one proposal, one transform of each type */
    if (reply->n_proposals != 1)
        return FALSE;
    const CgProposal *rp = &reply->proposals[0];
    const CgProposal *sp = NULL;
    for (guint i = 0; i < sent->n_proposals; i++)
        if (sent->proposals[i].number == rp->number
            && sent->proposals[i].protocol_id == rp->protocol_id)
            sp = &sent->proposals[i];
    if (!sp)
        return FALSE;
    guint seen = 0;
    for (guint i = 0; i < rp->n_transforms; i++) {
        const CgTransform *t = &rp->transforms[i];
        if (t->type < 1 || t->type > 5 || (seen & (1u << t->type)))
            return FALSE;
        seen |= 1u << t->type;
        if (!offered_has(sp, t->type, t->id, t->key_bits))
            return FALSE;
    }
    if (!(seen & (1u << CG_TRANS_ENCR)))
        return FALSE;
    if (rp->protocol_id == CG_PROTO_IKE
        && (!(seen & (1u << CG_TRANS_PRF)) || !(seen & (1u << CG_TRANS_DH))))
        return FALSE;
    *chosen = *rp;
    return TRUE;
}

gboolean
cg_proposal_specs_have_dh(GArray *specs, guint16 group)
{
    for (guint i = 0; specs && i < specs->len; i++) {
        const CgProposalSpec *s = &g_array_index(specs, CgProposalSpec, i);
        for (guint j = 0; j < s->n_dh; j++)
            if (s->dh[j] == group)
                return TRUE;
    }
    return FALSE;
}

guint16
cg_proposal_specs_first_dh(GArray *specs)
{
    for (guint i = 0; specs && i < specs->len; i++) {
        const CgProposalSpec *s = &g_array_index(specs, CgProposalSpec, i);
        if (s->n_dh)
            return s->dh[0];
    }
    return 0;
}

char *
cg_proposal_chosen_string(const CgProposal *p)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < p->n_transforms; i++) {
        const CgTransform *t = &p->transforms[i];
        const char *name = NULL;
        switch (t->type) {
            case CG_TRANS_ENCR:
                name = cg_encr_name_bits(t->id, t->key_bits);
                break;
            case CG_TRANS_PRF:
                name = cg_prf_name(t->id);
                break;
            case CG_TRANS_INTEG:
                name = cg_integ_name(t->id);
                break;
            case CG_TRANS_DH:
                name = cg_dh_name(t->id);
                break;
            case CG_TRANS_ESN:
                name = t->id ? "esn" : NULL;
                break;
        }
        if (!name)
            continue;
        if (s->len)
            g_string_append_c(s, '-');
        g_string_append(s, name);
    }
    return g_string_free(s, FALSE);
}
