#!/bin/bash
# Both sides initiate to each other at the same moment (the NHRP shortcut
# race), five times. Each round must end with exactly one IKE_SA and one
# CHILD_SA on strongSwan's side (both ESTABLISHED/INSTALLED, stable), and
# cygnetd up. Odd rounds make the race certain: IKE traffic is dropped
# while both send IKE_SA_INIT, then let through, so each side receives the
# other's request while its own is outstanding; even rounds just fire both
# at once.
# Usage: test-simultaneous.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
interop_setup simultaneous "${1:-}"
ROUNDS=5

ss_peer_conn home
ss_load ss
cg_peer_conn home start=start

block_ike() {
    ns_exec ss nft -f - <<'NFT'
table inet cgblock {
    chain input { type filter hook input priority 0; policy accept; udp dport { 500, 4500 } drop; }
    chain output { type filter hook output priority 0; policy accept; udp dport { 500, 4500 } drop; }
}
NFT
}
unblock_ike() {
    ns_exec ss nft delete table inet cgblock
}

one_pair() {
    [ "$(ss_ike_count ss home any)" = 1 ] && [ "$(ss_ike_count ss home)" = 1 ] &&
        [ "$(ss_child_count ss home live)" = 1 ] && [ "$(ss_child_count ss home)" = 1 ]
}

for round in $(seq 1 "$ROUNDS"); do
    blocked=0
    [ $((round % 2)) = 1 ] && blocked=1
    log "round $round (traffic held back first: $blocked)"
    [ "$blocked" = 0 ] || block_ike
    mark="$(cg_log_mark cg)"
    # swanctl in the background, cygnetd initiates as it loads its config
    ss_initiate_bg ss home &
    init_pid=$!
    cg_start cg cg
    if [ "$blocked" = 1 ]; then
        sleep 0.3
        unblock_ike
    fi
    wait "$init_pid" || true

    # settle: exactly one pair, and it stays that way
    wait_for one_pair 10 2>/dev/null ||
        fail "round $round: want 1 IKE_SA and 1 CHILD_SA on strongSwan, have $(ss_ike_count ss home any) and $(ss_child_count ss home live):
$(ss_list_sas ss)"
    sleep 1.5
    one_pair || fail "round $round: not stable at one pair of SAs:
$(ss_list_sas ss)"
    cg_wait_log cg "$(cg_re_ike_up home)" 1 "$mark" >/dev/null || fail "round $round: cygnetd logged no IKE_SA up"
    cg_alive cg || fail "round $round: cygnetd died"
    interop_ping

    rc=0
    cg_stop cg || rc=$?
    [ "$rc" = 0 ] || fail "round $round: cygnetd exited with status $rc on SIGTERM"
    if ! ss_wait_no_sas ss 3 2>/dev/null; then
        log "warning: strongSwan kept IKE_SAs after cygnetd's SIGTERM; forcing them down"
        ss_terminate ss home --force || true
        ss_wait_no_sas ss 3
    fi
done

cg_assert_clean_log cg
log PASS
