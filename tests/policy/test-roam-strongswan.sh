#!/bin/bash
# MOBIKE (RFC 4555) against strongSwan: cygnetd (user-space ESP) is the
# roaming client, Debian's strongSwan (MOBIKE on by default) the gateway.
#  1. a ping runs through the tunnel every 50 ms while the client's first
#     link goes down and the route over its second link takes over: at
#     most a couple of packets lost, traffic back within 1 s, the same
#     IKE_SA on both sides (strongSwan's SPIs unchanged, its remote
#     address now the second link's);
#  2. the same while the second link is renumbered (the address changes,
#     the link stays);
#  3. back to the first link.
# Usage: test-roam-strongswan.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-policy.sh"
roam_setup roam-strongswan "${1:-}"
require_cmd charon swanctl

ss_start gw gw retransmit_timeout=0.5
ss_roam_conn roam
ss_load gw
cg_roam_conn roam
cg_start rw rw
cg_wait_log rw "$(cg_re_child_up roam)" 10 >/dev/null || fail "cygnetd did not bring the tunnel up"
ss_wait_established gw roam 10 || fail "strongSwan has no established SAs"
ping_through rw "$GW_INNER" "$RW_INNER" || fail "no ping through the tunnel"
grep -q "the peer supports MOBIKE" "$(cg_log rw)" || fail "strongSwan did not announce MOBIKE"
spis="$(ss_ike_spis gw roam)"
ike_id="$(cg_ike_field rw roam id)"
log "up: IKE_SA #$ike_id, strongSwan SPIs $spis"

# move STEP ACTION EXPECTED_ADDR: ACTION during a ping; the same IKE_SA
# on both sides afterwards, strongSwan sending to EXPECTED_ADDR
move() {
    roam_move "$1" "$2" rw roam "$3"
    assert_eq "$1: strongSwan's IKE_SA (SPIs)" "$spis" "$(ss_ike_spis gw roam)"
    assert_eq "$1: strongSwan's view of the client" "$3" "$(ss_remote_of gw roam)"
    assert_eq "$1: cygnetd's IKE_SA" "$ike_id" "$(cg_ike_field rw roam id)"
    [ "$(ss_ike_count gw roam any)" = 1 ] || fail "$1: strongSwan has more than one IKE_SA"
}

move "1 (second link)" roam_leave_first_link "$RW_ADDR2"
renumber() { roam_renumber_second_link 10.82.0.7; }
move "2 (renumbered)" renumber 10.82.0.7
move "3 (first link again)" roam_back_to_first_link "$RW_ADDR1"

cg_alive rw || fail "cygnetd died"
cg_assert_clean_log rw
log PASS
