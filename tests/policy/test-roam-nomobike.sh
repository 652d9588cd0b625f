#!/bin/bash
# Fast re-establishment against a gateway without MOBIKE (strongSwan with
# mobike = no): when the client's first link goes down, cygnetd
# re-establishes the IKE_SA from its second link at once instead of
# waiting for liveness checks to fail. A ping through the tunnel every
# 50 ms is back within 3 s; strongSwan ends up with exactly one IKE_SA,
# a new one (new SPIs), talking to the second link's address; cygnetd's
# control socket shows the new IKE_SA and the event stream said it
# replaced the old one.
# Usage: test-roam-nomobike.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-policy.sh"
roam_setup roam-nomobike "${1:-}"
require_cmd charon swanctl

ss_start gw gw retransmit_timeout=0.5
ss_roam_conn roam mobike=no
ss_load gw
cg_roam_conn roam
cg_start rw rw
cg_wait_log rw "$(cg_re_child_up roam)" 10 >/dev/null || fail "cygnetd did not bring the tunnel up"
ss_wait_established gw roam 10 || fail "strongSwan has no established SAs"
ping_through rw "$GW_INNER" "$RW_INNER" || fail "no ping through the tunnel"
if grep -q "the peer supports MOBIKE" "$(cg_log rw)"; then
    fail "strongSwan announced MOBIKE despite mobike = no"
fi
spis="$(ss_ike_spis gw roam)"
ike_id="$(cg_ike_field rw roam id)"
log "up: IKE_SA #$ike_id, strongSwan SPIs $spis"

mark="$(cg_log_mark rw)"
ROAM_EXPECT_MOBIKE=0 ROAM_MAX_MS=3000 roam_move "second link, no MOBIKE" roam_leave_first_link rw roam "$RW_ADDR2"
cg_wait_log rw "has no MOBIKE: re-establishing" 1 "$mark" >/dev/null ||
    fail "cygnetd did not say why it re-established"
wait_for test "$(ss_ike_count gw roam any)" = 1 3 ||
    fail "strongSwan still has $(ss_ike_count gw roam any) IKE_SAs 3 s after the move"
ss_wait_established gw roam 3 || fail "strongSwan has no established SAs after the move"
[ "$(ss_ike_spis gw roam)" != "$spis" ] || fail "strongSwan still has the old IKE_SA"
assert_eq "strongSwan's view of the client" "$RW_ADDR2" "$(ss_remote_of gw roam)"
new_id="$(cg_ike_field rw roam id)"
[ "$new_id" != "$ike_id" ] || fail "cygnetd still shows IKE_SA #$ike_id"
assert_eq "cygnetd's address" "$RW_ADDR2" "$(cg_ike_field rw roam local_address)"
log "re-established as IKE_SA #$new_id, strongSwan SPIs $(ss_ike_spis gw roam)"

cg_alive rw || fail "cygnetd died"
cg_assert_clean_log rw
log PASS
