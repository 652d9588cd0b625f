#!/bin/bash
# Several Cygnet VPNs at once, with a real NetworkManager: one service
# process per connection (supports-multiple-connections: NetworkManager
# passes --bus-name ...Connection_N), each with its own engine and ports.
#  - A: to a cygnetd gateway; B: to a strongSwan gateway behind a second
#    base device; C: a second identity to the same cygnetd gateway;
#  - all three activated together, each with its own virtual IP and routes;
#  - taking A down leaves B and C up; A comes back while they stay up;
#  - with a packet data plane, pings through each tunnel, before and after
#    A went down.
# Usage: test-nm-multi.sh SERVICE NAME-FILE POLICY CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
nm_setup nm-multi "$@"
require_cmd charon swanctl

PSK_A="nm-multi-a-$$-$RANDOM"
PSK_C="nm-multi-c-$$-$RANDOM"
PSK_B="nm-multi-b-$$-$RANDOM"
GW2_ADDR=10.81.0.1
NM2_ADDR=10.81.0.2
NM2_DEV=cgnm1

# cygnetd at 10.80.0.1: clients "client.test" (A) and "client2.test" (C)
nm_gateway_ns gw
ns_addr_lo gw 10.72.0.1/32 10.75.0.1/32
export CG_DATAPLANE="${CG_DATAPLANE:-auto}"
cg_pool gw vpn 10.3.0.0/28
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn local-ts=10.72.0.0/16 remote-ts=dynamic
cg_conn gw rw2 local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client2.test \
    auth=psk pools=vpn local-ts=10.75.0.0/16 remote-ts=dynamic
cg_psk gw a "$PSK_A" gw.test client.test
cg_psk gw c "$PSK_C" gw.test client2.test
cg_start gw gw

# strongSwan at 10.81.0.1, behind NetworkManager's second device
nm_gateway_ns gw2 "$GW2_ADDR" "$NM2_ADDR" "$NM2_DEV"
ns_addr_lo gw2 10.74.0.1/32
ss_start ss gw2
ss_pool ss vpn 10.4.0.0/28
ss_conn ss rw local_addrs="$GW2_ADDR" pools=vpn local_id=gw2.test remote_id=client.test
ss_child ss rw rw local_ts=10.74.0.0/16 remote_ts=dynamic
ss_psk ss rw "$PSK_B" gw2.test client.test
ss_load ss

nm_start
nm_base_up base2 "$NM2_DEV" "$NM2_ADDR" "$GW2_ADDR"
nm_vpn_add vpn-a gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=0 -- psk="$PSK_A"
nm_vpn_add vpn-b gateway="$GW2_ADDR" local-id=client.test remote-id=gw2.test psk-flags=0 -- psk="$PSK_B"
nm_vpn_add vpn-c gateway="$GW_ADDR" local-id=client2.test remote-id=gw.test psk-flags=0 -- psk="$PSK_C"

nm_vpn_up vpn-a || fail "A: $NM_UP_OUTPUT"
nm_vpn_up vpn-b 60 "$NM2_DEV" || fail "B: $NM_UP_OUTPUT"
nm_vpn_up vpn-c || fail "C: $NM_UP_OUTPUT"
for v in vpn-a vpn-b vpn-c; do
    assert_eq "$v state" activated "$(nm_active_state "$v")"
done
assert_eq "three service processes" 3 "$(nm_service_pids | wc -l)"
names="$(nm_exec env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" \
    busctl --system list --no-legend | awk '{ print $1 }' | grep -c '^org\.freedesktop\.NetworkManager\.cygnet\.Connection_')"
assert_eq "three per-connection bus names" 3 "$names"

routes="$(ns_exec "$NM_NS" ip -4 route show)"
assert_match "A's route" '^10\.72\.0\.0/16 ' "$routes"
assert_match "B's route" '^10\.74\.0\.0/16 ' "$routes"
assert_match "C's route" '^10\.75\.0\.0/16 ' "$routes"
# on the tunnel devices, or on the base devices while the service reports
# none (NetworkManager then configures the base device)
vips="$(ns_exec "$NM_NS" ip -4 -o addr show)"
assert_eq "A's and C's virtual IPs" 2 "$(grep -oE ' 10\.3\.0\.[0-9]+/32' <<<"$vips" | sort -u | wc -l)"
assert_match "B's virtual IP" ' 10\.4\.0\.[0-9]+/32' "$vips"
ss_is_established ss rw || fail "strongSwan: B not established"

# ping_all TARGET...: when the services and cygnetd carry packets
ping_all() {
    local target
    [ "$(nm_service_dataplane)" != log ] || return 0
    grep -q 'engine listening.*, log data plane' "$(cg_log gw)" && return 0
    for target in "$@"; do
        ping_through "$NM_NS" "$target" || fail "no ping through the tunnel to $target"
    done
    log "pings through the tunnels to $*: ok"
}
ping_all 10.72.0.1 10.74.0.1 10.75.0.1

# --- A down: B and C stay ------------------------------------------------
nm_vpn_down vpn-a || fail "A: down failed"
assert_eq "B after A's down" activated "$(nm_active_state vpn-b)"
assert_eq "C after A's down" activated "$(nm_active_state vpn-c)"
wait_for test "$(nm_service_pids | wc -l)" = 2 5 || fail "A's service did not exit"
ping_all 10.74.0.1 10.75.0.1
nm_vpn_up vpn-a || fail "A again: $NM_UP_OUTPUT"
for v in vpn-a vpn-b vpn-c; do
    assert_eq "$v state at the end" activated "$(nm_active_state "$v")"
done
ping_all 10.72.0.1 10.74.0.1 10.75.0.1
for v in vpn-a vpn-b vpn-c; do
    nm_vpn_down "$v"
done
wait_for nm_no_service_running 5 || fail "services still running after all went down"

nm_assert_no_secret "$PSK_A" "$PSK_B" "$PSK_C"
nm_assert_clean
cg_assert_clean_log gw
log PASS
