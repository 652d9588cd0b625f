#!/bin/bash
# Several Cygnet VPNs at once, with a real NetworkManager: one service
# process per connection (supports-multiple-connections: NetworkManager
# passes --bus-name ...Connection_N), each with its own engine.
#  - A: to a cygnetd gateway, ESP always in UDP (encap); B: to a strongSwan
#    gateway behind a second base device (charon with kernel-libipsec
#    always encapsulates); C: a second identity to the same cygnetd gateway;
#  - all three activated together, each with its own virtual IP and routes;
#  - A and B both use the standard local ports 500 and 4500 (shared, each
#    with sockets connected to its gateway), as the gateways see them; C,
#    the second VPN to A's gateway, falls back to free ports and says so;
#  - each service's user-space data plane has a routing rule and table of
#    its own; A going down removes only its own;
#  - taking A down leaves B and C up; A comes back (on 500/4500 again)
#    while they stay up;
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
nm_vpn_add vpn-a gateway="$GW_ADDR" local-id=client.test remote-id=gw.test encap=yes psk-flags=0 -- psk="$PSK_A"
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

# --- local ports --------------------------------------------------------
# nm_udp: NetworkManager's namespace's UDP sockets, "STATE LOCAL PEER PID"
nm_udp() {
    ns_exec "$NM_NS" ss -Huanp | awk '{
        pid = $0
        if (!sub(/.*pid=/, "", pid)) pid = "-"
        sub(/[^0-9].*/, "", pid)
        print $1, $4, $5, pid }'
}
# connected_pid LOCAL PEER: the process whose socket is connected from
# LOCAL to PEER (addr:port)
connected_pid() {
    nm_udp | awk -v l="$1" -v p="$2" '$1 == "ESTAB" && $2 == l && $3 == p { print $4 }' | sort -u
}
# assert_ports_shared WHO LOCAL-ADDR GATEWAY: WHO's service has its own
# sockets from LOCAL-ADDR:500 and :4500 connected to GATEWAY's 500 and
# 4500, and listens on the shared wildcard 500 and 4500 too.
assert_ports_shared() {
    local who="$1" local_addr="$2" gw="$3" pid pid4500 port
    pid="$(connected_pid "$local_addr:500" "$gw:500")"
    pid4500="$(connected_pid "$local_addr:4500" "$gw:4500")"
    [ -n "$pid" ] && [ "$(wc -w <<<"$pid")" = 1 ] ||
        fail "$who: not one socket $local_addr:500 -> $gw:500 (pids '$pid'): $(nm_udp)"
    assert_eq "$who: the same service on 500 and 4500 towards $gw" "$pid" "$pid4500"
    # (grep -q would end the pipe early: pipefail)
    nm_service_pids | grep -x "$pid" >/dev/null || fail "$who: $pid is not a service process"
    for port in 500 4500; do
        nm_udp | grep -x "UNCONN 0\.0\.0\.0:$port 0\.0\.0\.0:\* $pid" >/dev/null ||
            fail "$who: service $pid does not listen on 0.0.0.0:$port: $(nm_udp)"
    done
    echo "$pid"
}
PID_A="$(assert_ports_shared A "$NM_ADDR" "$GW_ADDR")"
PID_B="$(assert_ports_shared B "$NM2_ADDR" "$GW2_ADDR")"
[ "$PID_A" != "$PID_B" ] || fail "A and B in one service process ($PID_A)"
log "A (service $PID_A) and B (service $PID_B) on local ports 500 and 4500"
assert_match "C on free ports, said so" \
    "\[vpn-c\] another VPN in this network namespace uses ports 500 and 4500 towards $(re_escape "$GW_ADDR")" \
    "$(cat "$(nm_log)")"
# what the gateways see: A and B from 4500 (NAT-T float from 500, RFC
# 7296 2.23), C from a port of its own
gw_log="$(cat "$(cg_log gw)")"
assert_match "cygnetd sees A from 4500" \
    "established between $(re_escape "$GW_ADDR")\[4500\]\[gw\.test\] and $(re_escape "$NM_ADDR")\[4500\]\[client\.test\]" \
    "$gw_log"
c_port="$(sed -nE "s/.*established between .* and $(re_escape "$NM_ADDR")\[([0-9]+)\]\[client2\.test\].*/\1/p" <<<"$gw_log" | tail -n1)"
[ -n "$c_port" ] && [ "$c_port" != 500 ] && [ "$c_port" != 4500 ] ||
    fail "cygnetd: C not from a free port (port '$c_port')"
assert_match "strongSwan sees B from 4500" "remote 'client\.test' @ $(re_escape "$NM2_ADDR")\[4500\]" \
    "$(ss_list_sas ss)"

# --- the data planes' routing: a rule and a table per service -----------
# uesp_rules: "PRIORITY TABLE" of the user-space data planes' rules
uesp_rules() {
    ns_exec "$NM_NS" ip -4 rule show |
        sed -nE 's/^([0-9]+):.*not from all fwmark 0x63670000\/0xffff0000 lookup ([0-9]+).*/\1 \2/p' | sort
}
uesp_in_use() {
    [ "$(nm_service_dataplane)" = uesp ]
}
if uesp_in_use; then
    rules_before="$(uesp_rules)"
    assert_eq "one rule per service" 3 "$(wc -l <<<"$rules_before")"
    assert_eq "a table per service" 3 "$(awk '{ print $2 }' <<<"$rules_before" | sort -u | wc -l)"
    assert_eq "a priority per service" 3 "$(awk '{ print $1 }' <<<"$rules_before" | sort -u | wc -l)"
    log "routing rules (priority, table) of the three data planes: $(tr '\n' ' ' <<<"$rules_before")"
fi

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
# (a function: wait_for runs it again each time)
service_count_is() { [ "$(nm_service_pids | wc -l)" = "$1" ]; }
wait_for service_count_is 2 5 || fail "A's service did not exit"
if uesp_in_use; then
    # A's rule went with it; B's and C's stayed as they were
    rules_after="$(uesp_rules)"
    assert_eq "two rules left" 2 "$(wc -l <<<"$rules_after")"
    [ -z "$(comm -13 <<<"$rules_before" <(printf '%s\n' "$rules_after"))" ] ||
        fail "rules changed: before '$rules_before', after '$rules_after'"
    log "after A went down: $(tr '\n' ' ' <<<"$rules_after")"
fi
ping_all 10.74.0.1 10.75.0.1
assert_eq "B still on 500 and 4500" "$PID_B" "$(assert_ports_shared B "$NM2_ADDR" "$GW2_ADDR")"
nm_vpn_up vpn-a || fail "A again: $NM_UP_OUTPUT"
for v in vpn-a vpn-b vpn-c; do
    assert_eq "$v state at the end" activated "$(nm_active_state "$v")"
done
PID_A="$(assert_ports_shared "A again" "$NM_ADDR" "$GW_ADDR")"
ping_all 10.72.0.1 10.74.0.1 10.75.0.1
for v in vpn-a vpn-b vpn-c; do
    nm_vpn_down "$v"
done
wait_for nm_no_service_running 5 || fail "services still running after all went down"

nm_assert_no_secret "$PSK_A" "$PSK_B" "$PSK_C"
nm_assert_clean
cg_assert_clean_log gw
log PASS
