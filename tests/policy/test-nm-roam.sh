#!/bin/bash
# A Cygnet VPN in a real NetworkManager against strongSwan while the base
# connection's address changes (nmcli connection modify + device reapply,
# as after a DHCP change): nm-cygnet-service's engine sees the change on
# rtnetlink and
#  A. with MOBIKE (strongSwan's default): moves the IKE_SA; a ping through
#     the tunnel every 50 ms loses at most a couple of packets, is back
#     within 1 s, strongSwan keeps the same IKE_SA (same SPIs) and now
#     talks to the new address; NetworkManager keeps the VPN activated;
#  B. without MOBIKE (strongSwan mobike = no): re-establishes the IKE_SA
#     from the new address; traffic is back within 3 s, NetworkManager
#     keeps the VPN activated (the service follows the new IKE_SA);
#  C. the same when the gateway hands out another virtual IP this time:
#     NetworkManager gets the new address, the old one is gone, ping works.
# Usage: test-nm-roam.sh SERVICE NAME-FILE DBUS-POLICY
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-policy.sh"
nm_setup nm-roam "$@"
require_cmd charon swanctl ping python3

PSK="nm-roam-psk-$$-$RANDOM"
nm_gateway_ns gw
ns_addr_lo gw 10.72.0.1/32
ss_start gw gw retransmit_timeout=0.5
ss_pool gw vpn 10.4.0.0/28
for conn in mobike nomobike; do
    extra=()
    [ "$conn" = nomobike ] && extra=(mobike=no)
    ss_conn gw "$conn" local_addrs="$GW_ADDR" pools=vpn local_id=gw.test \
        remote_id="$conn.client.test" proposals=aes256gcm16-prfsha256-x25519 "${extra[@]}"
    ss_child gw "$conn" "$conn" local_ts=10.72.0.0/16 remote_ts=dynamic esp_proposals=aes256gcm16
    ss_psk gw "$conn" "$PSK" gw.test "$conn.client.test"
done
ss_load gw

nm_start
for conn in mobike nomobike; do
    nm_vpn_add "$conn" gateway="$GW_ADDR" local-id="$conn.client.test" remote-id=gw.test \
        ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 dpd-delay=30s psk-flags=0 -- psk="$PSK"
done

# renumber ADDR: the base connection gets ADDR, applied without taking it down
renumber_to=""
renumber() {
    nm_cli connection modify base ipv4.addresses "$renumber_to/24" >/dev/null
    nm_cli device reapply "$NM_DEV" >/dev/null
}

vpn_still_active() {
    assert_eq "$1: NetworkManager's VPN" activated "$(nm_active_state "$2")"
}

# --- A. MOBIKE -----------------------------------------------------------
nm_vpn_up mobike || fail "A: nmcli connection up failed: $NM_UP_OUTPUT"
[ "$(nm_service_dataplane)" != log ] || skip_or_fail "the service has no packet data plane here"
ss_wait_established gw mobike 5 || fail "A: strongSwan has no established SAs"
ping_through "$NM_NS" 10.72.0.1 || fail "A: no ping through the tunnel"
spis="$(ss_ike_spis gw mobike)"
mark="$(nm_log_mark)"
renumber_to=10.80.0.7
ROAM_MAX_MS=1000
roam_move_nm() {
    local step="$1" t0 lost gap resumed
    roam_ping_start 4 "$NM_NS" 10.72.0.1 ""
    sleep 1.5
    t0="$(now_ms)"
    renumber
    roam_ping_wait
    read -r lost gap resumed <<<"$(roam_ping_report "$t0")"
    log "$step: $lost packets lost, longest gap $gap ms, traffic back $resumed ms after the change"
    echo "$step lost=$lost gap_ms=$gap resumed_ms=$resumed" >>"$CG_TMP/results.txt"
    [ "$lost" -ge 0 ] || fail "$step: no ping reply at all"
    if [ "$resumed" -lt 0 ] || [ "$resumed" -gt "$ROAM_MAX_MS" ]; then
        fail "$step: traffic back only $resumed ms after the change ($ROAM_MAX_MS allowed)"
    fi
    ROAM_LOST="$lost"
}
roam_move_nm "A (MOBIKE)"
[ "$ROAM_LOST" -le 3 ] || fail "A: $ROAM_LOST packets lost (at most a couple allowed)"
nm_log_wait "the peer follows us to 10\.80\.0\.7" 3 "$mark" >/dev/null ||
    fail "A: the service did not move the IKE_SA with MOBIKE"
assert_eq "A: strongSwan's IKE_SA (SPIs)" "$spis" "$(ss_ike_spis gw mobike)"
assert_eq "A: strongSwan's view of the client" 10.80.0.7 "$(ss_remote_of gw mobike)"
vpn_still_active A mobike
nm_vpn_down mobike || fail "A: nmcli connection down failed"
ss_wait_no_sas gw 5 mobike || fail "A: strongSwan still has the IKE_SA after down"

# --- B. no MOBIKE --------------------------------------------------------
nm_vpn_up nomobike || fail "B: nmcli connection up failed: $NM_UP_OUTPUT"
ss_wait_established gw nomobike 5 || fail "B: strongSwan has no established SAs"
ping_through "$NM_NS" 10.72.0.1 || fail "B: no ping through the tunnel"
spis="$(ss_ike_spis gw nomobike)"
vip="$(nm_field nomobike IP4.ADDRESS | head -n1)"
mark="$(nm_log_mark)"
renumber_to=10.80.0.8
ROAM_MAX_MS=3000
roam_move_nm "B (re-established)"
nm_log_wait "has no MOBIKE: re-establishing" 3 "$mark" >/dev/null ||
    fail "B: the service did not re-establish"
wait_for test "$(ss_ike_count gw nomobike any)" = 1 3 || fail "B: strongSwan has $(ss_ike_count gw nomobike any) IKE_SAs"
[ "$(ss_ike_spis gw nomobike)" != "$spis" ] || fail "B: strongSwan still has the old IKE_SA"
assert_eq "B: strongSwan's view of the client" 10.80.0.8 "$(ss_remote_of gw nomobike)"
vpn_still_active B nomobike
assert_eq "B: the virtual IP NetworkManager shows" "$vip" "$(nm_field nomobike IP4.ADDRESS | head -n1)"
ping_through "$NM_NS" 10.72.0.1 || fail "B: no ping after re-establishing"

# --- C. re-established with another virtual IP ------------------------------
# the gateway now hands out addresses from another pool: the IKE_SA made
# from the new address gets one of those, and NetworkManager must be told
# (else it keeps an address the tunnel no longer carries)
ss_pool gw vpn2 10.5.0.0/28
sed -i 's/^\( *pools = \)vpn$/\1vpn2/' "$(ss_dir gw)/conf.d/conn-nomobike"
ss_load gw
mark="$(nm_log_mark)"
renumber_to=10.80.0.9
renumber
nm_log_wait "has no MOBIKE: re-establishing" 5 "$mark" >/dev/null ||
    fail "C: the service did not re-establish"
vip_now() { nm_field nomobike IP4.ADDRESS | head -n1; }
new_vip=""
for _ in $(seq 1 100); do
    new_vip="$(vip_now)"
    [[ "$new_vip" == 10.5.0.* ]] && break
    sleep 0.1
done
[[ "$new_vip" == 10.5.0.*/32 ]] || fail "C: NetworkManager shows virtual IP '$new_vip', not one from 10.5.0.0/28"
vpn_still_active C nomobike
nm_has_addr() { ip -n "$(ns_name "$NM_NS")" -4 addr show | grep -q "inet $1/"; }
wait_for nm_has_addr "${new_vip%/*}" 5 ||
    fail "C: ${new_vip%/*} is not on any device in NetworkManager's namespace"
wait_for bash -c "! ip -n '$(ns_name "$NM_NS")' -4 addr show | grep -q 'inet ${vip%/*}/'" 5 ||
    fail "C: the old virtual IP ${vip%/*} is still on a device"
ping_through "$NM_NS" 10.72.0.1 || fail "C: no ping from the new virtual IP"
nm_log_wait "virtual IP now 10\.5\.0\.[0-9]+ \(was $(re_escape "${vip%/*}")\)" 10 "$mark" >/dev/null ||
    fail "C: the service did not log the new virtual IP"
log "C: NetworkManager now has $new_vip (was $vip)"
nm_vpn_down nomobike || fail "C: nmcli connection down failed"

nm_assert_clean
log PASS
