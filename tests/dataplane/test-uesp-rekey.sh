#!/bin/bash
# CHILD_SA rekeys (RFC 7296 1.3.3, 2.8) while iperf3 TCP runs through the
# user-space ESP tunnel: make before break, so the TCP connection must
# survive and no one-second interval may stall to zero.
#  A: cygnetd rekeys by time (child-rekey-time)
#  B: strongSwan rekeys by time (its rekey_time)
#  C: cygnetd rekeys by volume: uesp counts bytes, reports the soft
#     lifetime through the kernel listener, and the engine rekeys
# Usage: test-uesp-rekey.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-dataplane.sh"
require_cmd iperf3
dp_setup uesp-rekey "${1:-}"

IPERF_S=10

# phase NAME CLIENT_NS SERVER_NS ADDR SRC MIN_REKEYS
# runs iperf3 and checks the flow and the number of new CHILD_SAs
phase() {
    local name="$1" client="$2" server="$3" addr="$4" src="$5" min_rekeys="$6"
    local mark json summary avg slowest new_children
    mark="$(cg_log_mark cg)"
    json="$(dp_iperf_json "$server" "$client" "$addr" "$IPERF_S" -B "$src")" ||
        fail "$name: the iperf3 TCP connection broke during the rekeys"
    summary="$(dp_iperf_summary <<<"$json")" || fail "$name: iperf3 reported an error"
    read -r avg slowest <<<"$summary"
    new_children="$(cg_log_count cg "$(cg_re_child_up home)" "$mark")"
    log "$name: $avg Mbit/s on average, slowest second $slowest Mbit/s, $new_children rekeys"
    [ "$new_children" -ge "$min_rekeys" ] ||
        fail "$name: only $new_children CHILD_SA rekeys during ${IPERF_S}s (want >= $min_rekeys)"
    [ "$slowest" -gt 0 ] || fail "$name: the flow stalled for a whole second during a rekey"
    # the old SAs went (make before break, then break)
    wait_for test "$(cg_log_count cg 'uesp: deleted inbound SA' "$mark")" -ge "$min_rekeys" 5 ||
        fail "$name: the rekeyed SAs were not deleted"
    ss_wait_established ss home 5 || fail "$name: strongSwan lost the SAs"
    cg_alive cg || fail "$name: cygnetd died"
}

restart() {
    cg_stop cg || fail "cygnetd did not stop cleanly"
    ss_wait_no_sas ss 5 || ss_terminate ss home --force || true
}

# --- A: cygnetd rekeys by time ----------------------------------------------
ss_peer_conn home child.rekey_time=1h
ss_load ss
cg_peer_conn home start=start child-rekey-time=3s child-life-time=20s
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "A: no CHILD_SA"
ss_wait_established ss home 10 || fail "A: strongSwan has no SAs"
dp_ping_both
phase "A (cygnetd rekeys)" cg ss "$SS_INNER" "$CG_INNER" 2
restart

# --- B: strongSwan rekeys by time ---------------------------------------------
ss_clear_conf ss
ss_peer_conn home child.rekey_time=3s child.rand_time=0 child.life_time=30s
ss_load ss
cg_clear_conf cg
cg_peer_conn home start=start child-rekey-time=1h
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "B: no CHILD_SA"
ss_wait_established ss home 10 || fail "B: strongSwan has no SAs"
phase "B (strongSwan rekeys)" ss cg "$CG_INNER" "$SS_INNER" 2
restart

# --- C: cygnetd rekeys by volume ----------------------------------------------
ss_clear_conf ss
ss_peer_conn home child.rekey_time=1h
ss_load ss
cg_clear_conf cg
cg_peer_conn home start=start child-rekey-time=1h child-rekey-bytes=40000000
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "C: no CHILD_SA"
ss_wait_established ss home 10 || fail "C: strongSwan has no SAs"
phase "C (cygnetd rekeys at 40 MB)" cg ss "$SS_INNER" "$CG_INNER" 1
[ "$(cg_log_count cg 'uesp: outbound SA [0-9a-f]+ reached its soft lifetime' "$mark")" -ge 1 ] ||
    fail "C: uesp did not report the soft byte lifetime"
restart

cg_assert_clean_log cg
log PASS
