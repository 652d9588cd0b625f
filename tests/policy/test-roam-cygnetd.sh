#!/bin/bash
# MOBIKE (RFC 4555) with cygnetd on both sides: the gateway accepts
# UPDATE_SA_ADDRESSES, checks return routability with COOKIE2 and only
# then moves its CHILD_SAs. A ping runs through the tunnel every 50 ms
# while the client
#  1. leaves its first link for the second,
#  2. gets a new address on the second link,
#  3. comes back to the first link:
# each time at most a couple of packets are lost, traffic is back within
# 1 s, and both sides keep the same IKE_SA (same ids, same SPIs).
# Usage: test-roam-cygnetd.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-policy.sh"
roam_setup roam-cygnetd "${1:-}"

cg_roam_gw_conn roam
cg_start gw gw
cg_roam_conn roam
cg_start rw rw
cg_wait_log rw "$(cg_re_child_up roam)" 10 >/dev/null || fail "the client did not bring the tunnel up"
cg_wait_log gw "$(cg_re_child_up roam)" 10 >/dev/null || fail "the gateway has no CHILD_SA"
ping_through rw "$GW_INNER" "$RW_INNER" || fail "no ping through the tunnel"
grep -q "the peer supports MOBIKE" "$(cg_log rw)" || fail "the gateway did not announce MOBIKE"
rw_id="$(cg_ike_field rw roam id)"
gw_id="$(cg_ike_field gw roam id)"
spi="$(cg_ike_field gw roam spi_i)"
log "up: client IKE_SA #$rw_id, gateway IKE_SA #$gw_id (SPIi $spi)"

move() {
    local mark
    mark="$(cg_log_mark gw)"
    roam_move "$1" "$2" rw roam "$3"
    cg_wait_log gw "is reachable \(COOKIE2 echoed\)" 3 "$mark" >/dev/null ||
        fail "$1: the gateway did not check return routability"
    cg_wait_log gw "CHILD_SA moved to .* - $(re_escape "$3")\[" 3 "$mark" >/dev/null ||
        fail "$1: the gateway did not move its CHILD_SA to $3"
    assert_eq "$1: the gateway's view of the client" "$3" "$(cg_ike_field gw roam remote_address)"
    assert_eq "$1: the gateway's IKE_SA" "$gw_id" "$(cg_ike_field gw roam id)"
    assert_eq "$1: the gateway's SPIi" "$spi" "$(cg_ike_field gw roam spi_i)"
    assert_eq "$1: the client's IKE_SA" "$rw_id" "$(cg_ike_field rw roam id)"
    assert_eq "$1: the client's address" "$3" "$(cg_ike_field rw roam local_address)"
}

move "1 (second link)" roam_leave_first_link "$RW_ADDR2"
renumber() { roam_renumber_second_link 10.82.0.7; }
move "2 (renumbered)" renumber 10.82.0.7
move "3 (first link again)" roam_back_to_first_link "$RW_ADDR1"

cg_alive rw || fail "the client died"
cg_alive gw || fail "the gateway died"
cg_assert_clean_log rw
cg_assert_clean_log gw
log PASS
