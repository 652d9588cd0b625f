#!/bin/bash
# When the IKE_SA of an active Cygnet VPN dies, NetworkManager is told and
# acts, with a real NetworkManager and a cygnetd gateway:
#  A: the gateway is killed (no Delete): the liveness check (dpd-delay=2s,
#     500 ms x 2 retransmits) fails and NetworkManager sees the VPN fail;
#  B: the gateway stops cleanly and sends Delete: the VPN fails at once;
#  C: with vpn.persistent=yes, NetworkManager's own reconnect logic brings
#     the VPN back once the gateway returns.
# Usage: test-nm-gateway-death.sh SERVICE NAME-FILE POLICY CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
nm_setup nm-gateway-death "$@"

PSK="nm-death-psk-$$-$RANDOM"
nm_gateway_ns gw
cg_pool gw vpn 10.3.0.0/28
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn local-ts=10.72.0.0/16 remote-ts=dynamic dpd-delay=0
cg_psk gw main "$PSK" gw.test client.test
cg_start gw gw
nm_start
nm_vpn_add corp gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=0 \
    dpd-delay=2s retransmit-timeout=500ms retransmit-tries=2 -- psk="$PSK"

# --- A: killed gateway, liveness check --------------------------------------
nm_vpn_up corp || fail "A: nmcli connection up failed: $NM_UP_OUTPUT"
sleep 3 # more than one liveness interval with a live gateway
assert_eq "A: still activated while the gateway lives" activated "$(nm_active_state corp)"
mark="$(nm_log_mark)"
t0="$(now_ms)"
cg_kill gw
nm_wait_inactive corp 15 || fail "A: NetworkManager still has the VPN 15 s after the gateway died"
log "A: NetworkManager saw the VPN fail $(($(now_ms) - t0)) ms after the gateway died"
nm_log_wait "connection 'corp' lost: the gateway stopped answering liveness checks" 2 "$mark" \
    >/dev/null || fail "A: the log does not say the liveness check failed"
nm_log_wait 'vpn\[.*"corp"[^]]*\]: set state: failed' 2 "$mark" >/dev/null ||
    fail "A: NetworkManager did not put the VPN in state failed"
wait_for nm_no_service_running 5 || fail "A: the service did not exit"

# --- B: the gateway deletes the IKE_SA ----------------------------------------
cg_start gw gw
nm_vpn_up corp || fail "B: nmcli connection up failed: $NM_UP_OUTPUT"
mark="$(nm_log_mark)"
t0="$(now_ms)"
cg_stop gw
nm_wait_inactive corp 5 || fail "B: NetworkManager still has the VPN 5 s after the gateway's Delete"
log "B: NetworkManager saw the VPN fail $(($(now_ms) - t0)) ms after the gateway's Delete"
nm_log_wait "connection 'corp' lost: the gateway closed the connection" 2 "$mark" >/dev/null ||
    fail "B: the log does not say the gateway closed the connection"

# --- C: NetworkManager reconnects a persistent VPN ----------------------------
nm_cli connection modify corp vpn.persistent yes || fail "C: cannot set vpn.persistent"
cg_start gw gw
nm_vpn_up corp || fail "C: nmcli connection up failed: $NM_UP_OUTPUT"
cg_stop gw
cg_start gw gw
vpn_active() { [ "$(nm_active_state corp)" = activated ]; }
t0="$(now_ms)"
wait_for nm_is_inactive corp 5 2>/dev/null || true
wait_for vpn_active 30 || fail "C: NetworkManager did not bring the persistent VPN back in 30 s"
log "C: reconnected $(($(now_ms) - t0)) ms after the gateway came back"
nm_vpn_down corp

nm_assert_no_secret "$PSK"
nm_assert_clean
log PASS
