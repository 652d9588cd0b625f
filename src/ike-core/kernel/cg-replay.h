/* cg-replay.h: the ESP anti-replay window (RFC 4303 3.4.3) with extended
 * sequence numbers (RFC 4303 2.2.1 and Appendix A, RFC 4304).
 *
 * Checking and updating are separate steps: a packet is checked before
 * its ICV is verified (cheap rejection) and the window only moves once the
 * ICV matched (RFC 4303 3.4.3: "the receive window is updated only if the
 * integrity verification succeeds"). Not thread-safe: the caller holds the
 * SA's lock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest window kept; bigger requests are clamped to it. */
#define CG_REPLAY_MAX_WINDOW 4032
#define CG_REPLAY_WORDS      64 /* 64-bit words of the ring; covers MAX_WINDOW + 64 */

typedef enum {
    CG_REPLAY_OK = 0,
    CG_REPLAY_DUPLICATE, /* inside the window, seen before */
    CG_REPLAY_TOO_OLD,   /* left of the window (or before sequence number 1) */
} CgReplayResult;

typedef struct {
    guint64 top;    /* highest authenticated sequence number; 0 = none yet */
    guint32 window; /* packets; 0 = anti-replay off (ESN inference still runs) */
    gboolean esn;
    guint64 bitmap[CG_REPLAY_WORDS]; /* bit (seq % (64 * WORDS)) */
} CgReplay;

void cg_replay_init(CgReplay *r, guint32 window, gboolean esn);

/* Reconstructs the full sequence number from the 32 bits on the wire
 * (with ESN: RFC 4303 A2.2) into *seq_out and says whether a packet with
 * it may be accepted. */
CgReplayResult cg_replay_check(const CgReplay *r, guint32 seq_lo, guint64 *seq_out);

/* Records an authenticated packet; moves the window right when seq is
 * above the top. seq must have passed cg_replay_check. */
void cg_replay_update(CgReplay *r, guint64 seq);

const char *cg_replay_result_to_string(CgReplayResult result);

G_END_DECLS
