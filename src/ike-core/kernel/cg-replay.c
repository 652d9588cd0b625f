/* cg-replay.c: sliding anti-replay window over a ring of 64-bit words.
 *
 * Bit i of the ring stands for every sequence number s with
 * s % (64 * CG_REPLAY_WORDS) == i; the ring is one word wider than the
 * largest window so moving right only ever clears whole words. */
#include "kernel/cg-replay.h"

#include <string.h>

#define RING_BITS ((guint64)CG_REPLAY_WORDS * 64)

void
cg_replay_init(CgReplay *r, guint32 window, gboolean esn)
{
    memset(r, 0, sizeof(*r));
    r->window = MIN(window, CG_REPLAY_MAX_WINDOW);
    r->esn = esn;
}

/* RFC 4303 A2.2: which 2^32 block the received low half belongs to, from
 * the window's top T = Th:Tl and size W. */
static gboolean
infer_esn(const CgReplay *r, guint32 seq_lo, guint64 *seq_out)
{
    guint32 tl = (guint32)r->top;
    guint32 th = (guint32)(r->top >> 32);
    /* with anti-replay off the inference still needs some window */
    guint32 w = r->window ? r->window : 64;
    guint32 seq_hi;

    if (tl >= w - 1) {
        /* Case A: the window lies inside one block */
        if (seq_lo >= tl - w + 1)
            seq_hi = th;
        else {
            if (th == G_MAXUINT32)
                return FALSE; /* the 64-bit space is exhausted */
            seq_hi = th + 1;
        }
    } else {
        /* Case B: the window spans the boundary into the previous block */
        if (seq_lo >= (guint32)(tl - w + 1)) {
            if (th == 0)
                return FALSE; /* nothing before block 0 */
            seq_hi = th - 1;
        } else
            seq_hi = th;
    }
    *seq_out = (guint64)seq_hi << 32 | seq_lo;
    return TRUE;
}

static gboolean
bit_is_set(const CgReplay *r, guint64 seq)
{
    guint64 bit = seq % RING_BITS;
    return (r->bitmap[bit / 64] >> (bit % 64)) & 1;
}

CgReplayResult
cg_replay_check(const CgReplay *r, guint32 seq_lo, guint64 *seq_out)
{
    guint64 seq = seq_lo;

    if (r->esn && !infer_esn(r, seq_lo, &seq)) {
        *seq_out = 0;
        return CG_REPLAY_TOO_OLD;
    }
    *seq_out = seq;
    /* RFC 4303 3.3.3: the first packet has number 1; 0 is never sent */
    if (seq == 0)
        return CG_REPLAY_TOO_OLD;
    if (r->window == 0 || seq > r->top)
        return CG_REPLAY_OK;
    if (r->top - seq >= r->window)
        return CG_REPLAY_TOO_OLD;
    return bit_is_set(r, seq) ? CG_REPLAY_DUPLICATE : CG_REPLAY_OK;
}

void
cg_replay_update(CgReplay *r, guint64 seq)
{
    if (seq > r->top) {
        guint64 old_word = r->top / 64;
        guint64 new_word = seq / 64;
        /* clear the words the window moves onto (all of them after a jump
         * further than the ring) */
        guint64 steps = new_word - old_word;
        if (steps >= CG_REPLAY_WORDS)
            memset(r->bitmap, 0, sizeof(r->bitmap));
        else
            for (guint64 w = old_word + 1; w <= new_word; w++)
                r->bitmap[w % CG_REPLAY_WORDS] = 0;
        r->top = seq;
    }
    guint64 bit = seq % RING_BITS;
    r->bitmap[bit / 64] |= G_GUINT64_CONSTANT(1) << (bit % 64);
}

const char *
cg_replay_result_to_string(CgReplayResult result)
{
    switch (result) {
        case CG_REPLAY_OK:
            return "ok";
        case CG_REPLAY_DUPLICATE:
            return "replayed";
        case CG_REPLAY_TOO_OLD:
            return "outside the replay window";
    }
    return "unknown";
}
