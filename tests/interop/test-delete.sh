#!/bin/bash
# Delete from either side (RFC 7296 1.4.1).
#  A: strongSwan deletes (swanctl --terminate --ike): cygnetd logs the
#     IKE_SA deleted by the peer and keeps running; strongSwan has no SAs.
#  B: cygnetd deletes (SIGTERM: it sends Delete for every IKE_SA, then
#     exits 0): strongSwan's list-sas is empty at once.
#  C: strongSwan deletes only the CHILD_SA: the IKE_SA stays on both sides.
# Usage: test-delete.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
interop_setup delete "${1:-}"

ss_peer_conn home
ss_load ss
cg_peer_conn home start=start
cg_start cg cg

# --- A --------------------------------------------------------------------
log "A: strongSwan deletes the IKE_SA"
ss_wait_established ss home 5 || fail "A: not established"
cg_wait_log cg "$(cg_re_ike_up home)" 5 >/dev/null || fail "A: cygnetd did not log the IKE_SA up"
mark="$(cg_log_mark cg)"
ss_terminate ss home || fail "A: swanctl --terminate failed (no answer to the Delete?)"
ss_wait_no_sas ss 3 || fail "A: strongSwan still lists the IKE_SA"
cg_wait_log cg "$(cg_re_ike_deleted_by_peer home)" 3 "$mark" >/dev/null ||
    fail "A: cygnetd did not log the IKE_SA deleted by the peer"
cg_alive cg || fail "A: cygnetd died"

# --- C (before B, which ends cygnetd) --------------------------------------
log "C: strongSwan deletes the CHILD_SA only"
mark="$(cg_log_mark cg)"
ss_initiate ss home 10 || fail "C: swanctl --initiate failed"
ss_wait_established ss home 5 || fail "C: not established"
cg_wait_log cg "$(cg_re_ike_up home)" 5 "$mark" >/dev/null || fail "C: cygnetd did not log the IKE_SA up"
ss_swanctl ss --terminate --child home --timeout 5 >>"$(ss_dir ss)/swanctl.out" 2>&1 ||
    fail "C: swanctl --terminate --child failed"
no_children() { [ "$(ss_child_count ss home any)" = 0 ]; }
wait_for no_children 3 2>/dev/null || true
assert_eq "C: CHILD_SAs left on strongSwan" 0 "$(ss_child_count ss home any)"
sleep 0.5
assert_eq "C: IKE_SAs left on strongSwan" 1 "$(ss_ike_count ss home)"

# --- B --------------------------------------------------------------------
log "B: cygnetd deletes on SIGTERM"
rc=0
cg_stop cg || rc=$?
[ "$rc" = 0 ] || fail "B: cygnetd exited with status $rc on SIGTERM"
ss_wait_no_sas ss 3 || fail "B: strongSwan still lists the IKE_SA after cygnetd's SIGTERM"
grep -qE 'received DELETE for IKE_SA' "$(ss_log ss)" ||
    fail "B: strongSwan's log shows no DELETE received"

cg_assert_clean_log cg
log PASS
