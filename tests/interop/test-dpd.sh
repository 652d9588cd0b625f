#!/bin/bash
# Liveness checks (RFC 7296 2.4) detect a killed peer.
#  A: cygnetd with dpd-delay=2s; strongSwan is SIGKILLed (no Delete):
#     cygnetd must log the IKE_SA down as dead peer within the delay plus
#     its retransmissions (500 ms, x1.8, 2 tries: about 2 + 3 s).
#  B: strongSwan with dpd_delay=2s; cygnetd is SIGKILLed: strongSwan's
#     list-sas must be empty within the delay plus its retransmissions.
# Usage: test-dpd.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
interop_setup dpd "${1:-}" retransmit_timeout=0.5 retransmit_tries=3 retransmit_base=1.4

# --- A: cygnetd detects a dead strongSwan --------------------------------
log "A: cygnetd dpd-delay=2s, strongSwan killed"
ss_peer_conn home
ss_load ss
cg_peer_conn home dpd-delay=2s retransmit-timeout=500ms retransmit-base=1.8 retransmit-tries=2 start=start
cg_start cg cg
ss_wait_established ss home 5 || fail "A: not established"
cg_wait_log cg "$(cg_re_ike_up home)" 5 >/dev/null || fail "A: cygnetd did not log the IKE_SA up"
# idle for more than one interval: liveness checks must not kill a live peer
sleep 3
ss_is_established ss home || fail "A: the IKE_SA went down while strongSwan was alive"
mark="$(cg_log_mark cg)"
t0="$(now_ms)"
ss_kill ss KILL
cg_wait_log cg "$(cg_re_ike_dead home)" 10 "$mark" >/dev/null ||
    fail "A: cygnetd did not declare the dead peer within 10 s"
log "A: cygnetd noticed the dead peer after $(($(now_ms) - t0)) ms"
cg_alive cg || fail "A: cygnetd died"
rc=0
cg_stop cg || rc=$?
[ "$rc" = 0 ] || fail "A: cygnetd exited with status $rc on SIGTERM"

# --- B: strongSwan detects a dead cygnetd --------------------------------
log "B: strongSwan dpd_delay=2s, cygnetd killed"
ss_start ss ss retransmit_timeout=0.5 retransmit_tries=3 retransmit_base=1.4
ss_clear_conf ss
ss_peer_conn home dpd_delay=2s
ss_load ss
cg_clear_conf cg
cg_peer_conn home start=start
cg_start cg cg
ss_wait_established ss home 5 || fail "B: not established"
sleep 3
ss_is_established ss home || fail "B: the IKE_SA went down while cygnetd was alive"
t0="$(now_ms)"
cg_kill cg
ss_wait_no_sas ss 10 || fail "B: strongSwan still has the IKE_SA 10 s after cygnetd was killed"
log "B: strongSwan noticed the dead peer after $(($(now_ms) - t0)) ms"
grep -qE 'giving up after [0-9]+ retransmits' "$(ss_log ss)" ||
    fail "B: strongSwan's log does not show the liveness check giving up"

cg_assert_clean_log cg
log PASS
