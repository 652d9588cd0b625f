#!/bin/bash
# The local IKE ports of nm-cygnet-service, with a real NetworkManager:
#  - another program (a cygnetd) holds UDP 500 and 4500 in
#    NetworkManager's namespace without sharing them: the service says so,
#    uses free local ports and still connects (the gateway sees them);
#  - once that program is gone, the next connection uses 500 and 4500
#    (shared: SO_REUSEPORT, with sockets connected to the gateway), as the
#    gateway sees it, and a ping goes through the tunnel.
# Usage: test-nm-ports.sh SERVICE NAME-FILE POLICY CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
nm_setup nm-ports "$@"

PSK="nm-ports-psk-$$-$RANDOM"

nm_gateway_ns gw
ns_addr_lo gw 10.72.0.1/32
export CG_DATAPLANE="${CG_DATAPLANE:-auto}"
cg_pool gw vpn 10.3.0.0/28
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn local-ts=10.72.0.0/16 remote-ts=dynamic
cg_psk gw main "$PSK" gw.test client.test
cg_start gw gw

# a program on 500/4500 in NetworkManager's namespace that does not share
# them (cygnetd: SO_REUSEADDR, no SO_REUSEPORT), with no connections
cg_daemon_conf squat dataplane=log
cg_start squat "$NM_NS"
cg_port_bound "$NM_NS" 4500 || fail "the squatting cygnetd does not hold 4500"

nm_start
nm_vpn_add corp gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=0 -- psk="$PSK"

# --- 500/4500 taken: free ports -----------------------------------------
mark="$(nm_log_mark)"
nm_vpn_up corp || fail "up with 500/4500 taken: $NM_UP_OUTPUT"
nm_log_wait '\[corp\] ports 500 and 4500 are not available .*: using free local ports' 5 "$mark" \
    >/dev/null || fail "the service did not say it uses free ports"
line="$(nm_log_wait '\[corp\] connecting .* from local ports [0-9]+ and [0-9]+' 5 "$mark")" ||
    fail "no connect line with the local ports"
ports="$(sed -nE 's/.* from local ports ([0-9]+) and ([0-9]+).*/\1 \2/p' <<<"$line" | tail -n1)"
read -r ike_port natt_port <<<"$ports"
[ "$ike_port" != 500 ] && [ "$natt_port" != 4500 ] || fail "free ports expected, got '$ports'"
cg_wait_log gw "established between $(re_escape "$GW_ADDR")\[500\]\[gw\.test\] and $(re_escape "$NM_ADDR")\[$ike_port\]\[client\.test\]" 5 \
    >/dev/null || fail "cygnetd did not see the client from port $ike_port"
log "500/4500 taken: connected from free ports $ike_port and $natt_port"
nm_vpn_down corp || fail "down failed"
wait_for nm_no_service_running 5 || fail "the service did not exit"

# --- 500/4500 free: the standard ports ------------------------------------
cg_stop squat || true
wait_for_not() { ! "$@"; }
wait_for wait_for_not cg_port_bound "$NM_NS" 500 5 || fail "500 still bound after the squatter left"
mark="$(nm_log_mark)"
gw_mark="$(cg_log_mark gw)"
nm_vpn_up corp || fail "up on 500/4500: $NM_UP_OUTPUT"
nm_log_wait '\[corp\] connecting .* from local ports 500 and 4500 \(shared with other VPNs\)' 5 "$mark" \
    >/dev/null || fail "the service does not use 500 and 4500"
cg_wait_log gw "established between $(re_escape "$GW_ADDR")\[500\]\[gw\.test\] and $(re_escape "$NM_ADDR")\[500\]\[client\.test\]" 5 "$gw_mark" \
    >/dev/null || fail "cygnetd did not see the client from port 500"
sockets="$(ns_exec "$NM_NS" ss -Huanp)"
assert_match "a socket connected to the gateway from 500" \
    "^ESTAB .* $(re_escape "$NM_ADDR"):500 +$(re_escape "$GW_ADDR"):500 .*nm-cygnet" "$sockets"
if [ "$(nm_service_dataplane)" != log ] && ! grep -q 'engine listening.*, log data plane' "$(cg_log gw)"; then
    ping_through "$NM_NS" 10.72.0.1 || fail "no ping through the tunnel from port 500"
    log "ping through the tunnel: ok"
fi
nm_vpn_down corp || fail "down failed"
wait_for nm_no_service_running 5 || fail "the service did not exit"

nm_assert_no_secret "$PSK"
nm_assert_clean
cg_assert_clean_log gw
log PASS
