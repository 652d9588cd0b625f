#!/bin/bash
# cygnetd as a MOBIKE gateway for a foreign client: strongSwan roams (its
# own address monitoring) from the first link to the second; cygnetd
# accepts its UPDATE_SA_ADDRESSES, keeps the same IKE_SA and moves the
# CHILD_SA; a ping from the gateway's side through the tunnel every 50 ms
# is back within 1 s.
# Usage: test-roam-gateway.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-policy.sh"
roam_setup roam-gateway "${1:-}"
require_cmd charon swanctl

cg_roam_gw_conn roam
cg_start gw gw
ss_start rw rw retransmit_timeout=0.5
ss_conn rw roam remote_addrs="$GW_IKE" local_id=rw.test remote_id=gw.test \
    proposals=aes256gcm16-prfsha256-x25519
ss_child rw roam roam local_ts="$RW_INNER/32" remote_ts="$GW_INNER/32" esp_proposals=aes256gcm16
ss_psk rw roam "$ROAM_PSK" gw.test rw.test
ss_load rw
ss_initiate rw roam || fail "strongSwan could not bring the tunnel up"
cg_wait_log gw "$(cg_re_child_up roam)" 10 >/dev/null || fail "cygnetd has no CHILD_SA"
ping_through gw "$RW_INNER" "$GW_INNER" || fail "no ping through the tunnel"
grep -q "the peer supports MOBIKE" "$(cg_log gw)" || fail "strongSwan did not offer MOBIKE"
gw_id="$(cg_ike_field gw roam id)"
spi="$(cg_ike_field gw roam spi_i)"
log "up: gateway IKE_SA #$gw_id (SPIi $spi)"

mark="$(cg_log_mark gw)"
roam_ping_start 5 gw "$RW_INNER" "$GW_INNER"
sleep 1.5
t0="$(now_ms)"
roam_leave_first_link
roam_ping_wait
read -r lost gap resumed <<<"$(roam_ping_report "$t0")"
log "strongSwan roamed: $lost packets lost, longest gap $gap ms, traffic back $resumed ms after the change"
echo "gateway lost=$lost gap_ms=$gap resumed_ms=$resumed" >>"$CG_TMP/results.txt"
cg_wait_log gw "(the peer moves from .* to |UPDATE_SA_ADDRESSES from )$(re_escape "$RW_ADDR2")\[" 3 "$mark" >/dev/null ||
    fail "cygnetd did not take strongSwan's UPDATE_SA_ADDRESSES"
if [ "$resumed" -lt 0 ] || [ "$resumed" -gt 1000 ]; then
    fail "traffic back only $resumed ms after the change (1000 allowed)"
fi
assert_eq "the gateway's view of the client" "$RW_ADDR2" "$(cg_ike_field gw roam remote_address)"
assert_eq "the gateway's IKE_SA" "$gw_id" "$(cg_ike_field gw roam id)"
assert_eq "the gateway's SPIi" "$spi" "$(cg_ike_field gw roam spi_i)"

cg_alive gw || fail "cygnetd died"
cg_assert_clean_log gw
log PASS
