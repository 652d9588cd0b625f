#!/bin/bash
# `nmcli connection up` of a Cygnet VPN against a cygnetd gateway, with a
# real NetworkManager (tests/nm/lib-nm.sh):
#  - activated with the PSK stored in the profile;
#  - NetworkManager applies what the gateway assigned: the virtual IP, the
#    split-tunnel route (the gateway's traffic selector), the DNS server;
#  - the banner and the gateway show in `nmcli connection show`;
#  - with a packet data plane on both sides (uesp), a ping through the
#    tunnel reaches the gateway's protected network;
#  - down: the service deletes its IKE_SA and exits; up again works;
#  - the saved profile is never changed; no log contains the PSK;
#  - only root may talk to the service (the D-Bus policy under test).
# Usage: test-nm-connect.sh SERVICE NAME-FILE POLICY CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
nm_setup nm-connect "$@"

PSK="nm-connect-psk-$$-$RANDOM"
VIP_POOL=10.3.0.0/28
DNS=10.3.0.53
INNER_NET=10.72.0.0/16

# --- the gateway: cygnetd with an address pool, a DNS server and one
# protected network (the split tunnel the client gets) --------------------
nm_gateway_ns gw
ns_addr_lo gw 10.72.0.1/32
# a packet data plane where one is built in (CG_DATAPLANE=log: SAs only)
export CG_DATAPLANE="${CG_DATAPLANE:-auto}"
cg_pool gw vpn "$VIP_POOL"
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn dns="$DNS" local-ts="$INNER_NET" remote-ts=dynamic
cg_psk gw main "$PSK" gw.test client.test
cg_start gw gw

nm_start
nm_vpn_add corp gateway="$GW_ADDR" local-id=client.test remote-id=gw.test \
    ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 psk-flags=0 -- psk="$PSK"
before="$(nm_profile_digest corp)"

# --- up ------------------------------------------------------------------
nm_vpn_up corp || fail "nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq "VPN state" activated "$(nm_active_state corp)"
cg_wait_log gw "$(cg_re_child_up rw)" 5 >/dev/null || fail "cygnetd has no CHILD_SA"
log "activated in $NM_UP_MS ms"

# --- what NetworkManager applied ------------------------------------------
vip="$(nm_field corp IP4.ADDRESS | head -n1)"
assert_match "virtual IP from the pool" '^10\.3\.0\.[0-9]+/32$' "$vip"
addrs="$(ns_exec "$NM_NS" ip -4 -o addr show)"
assert_match "virtual IP on a device" " ${vip%/*}/32 " "$addrs"
routes="$(ns_exec "$NM_NS" ip -4 route show)"
assert_match "split route to the gateway's network" "^${INNER_NET//./\\.} " "$routes"
assert_eq "split tunnel: only the base connection's default route" \
    "default via $GW_ADDR dev $NM_DEV proto static metric 100 " "$(grep '^default' <<<"$routes")"
assert_match "DNS server in the VPN's IP config" "^${DNS//./\\.}$" "$(nm_field corp IP4.DNS)"
resolv="$(nm_exec cat /run/NetworkManager/resolv.conf)"
assert_match "DNS server applied by NetworkManager" "nameserver ${DNS//./\\.}" "$resolv"
assert_match "banner" 'IKEv2 with gw\.test \(10\.80\.0\.1\): IKE aes256gcm16-prfsha256-x25519, ESP aes256gcm16' \
    "$(nm_field corp VPN.BANNER)"
assert_eq "one service process" 1 "$(nm_service_pids | wc -l)"

# --- the admin's view: cygnetctl on the service's own control socket ------
cygnetctl="$(readlink -f "$(dirname "$CYGNETD")/../cygnetctl/cygnetctl")"
sock="$(nm_exec sh -c 'ls /run/cygnet/nm-*.sock 2>/dev/null' | head -n1)"
[ -n "$sock" ] || fail "the service serves no control socket under /run/cygnet"
sas="$(nm_exec "$cygnetctl" --socket "$sock" --json list-sas)" ||
    fail "cygnetctl could not list the service's SAs"
assert_match "cygnetctl sees the VPN's IKE_SA established" '"state" *: *"established"' "$sas"
assert_match "cygnetctl sees the virtual IP" '"10\.3\.0\.[0-9]+"' "$sas"

# --- packets, when both sides have a data plane ----------------------------
client_dp="$(nm_service_dataplane)"
gateway_dp="$(sed -nE 's/.*engine listening on .*, ([a-z]+) data plane.*/\1/p' "$(cg_log gw)" | tail -n1)"
if [ "$client_dp" != log ] && [ "$gateway_dp" != log ]; then
    ping_through "$NM_NS" 10.72.0.1 || fail "no ping through the tunnel ($client_dp <-> $gateway_dp)"
    log "ping through the tunnel: ok ($client_dp <-> $gateway_dp)"
else
    log "data planes $client_dp <-> $gateway_dp: SAs only, no ping"
fi

# --- only root may call the service -------------------------------------
bus_name="$(nm_exec busctl --system list --no-legend 2>/dev/null |
    awk '/org\.freedesktop\.NetworkManager\.cygnet/ { print $1; exit }' || true)"
[ -n "$bus_name" ] || bus_name="$(DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" \
    nm_exec busctl --system list --no-legend | awk '/NetworkManager\.cygnet/ { print $1; exit }')"
assert_match "service bus name" '^org\.freedesktop\.NetworkManager\.cygnet' "$bus_name"
denied="$(DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" \
    nm_exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
    dbus-send --system --print-reply --dest="$bus_name" /org/freedesktop/NetworkManager/VPN/Plugin \
    org.freedesktop.NetworkManager.VPN.Plugin.Disconnect 2>&1 || true)"
assert_match "a non-root caller is refused" 'AccessDenied' "$denied"
assert_eq "still activated after the refused call" activated "$(nm_active_state corp)"

# --- down: Delete sent, the service exits --------------------------------
mark="$(cg_log_mark gw)"
nm_vpn_down corp || fail "nmcli connection down failed"
cg_wait_log gw "IKE_SA rw\[[0-9]+\] .*(deleted|down)" 5 "$mark" >/dev/null ||
    fail "cygnetd did not see the IKE_SA deleted"
wait_for nm_no_service_running 5 || fail "nm-cygnet-service still running after down"
assert_no_match "virtual IP removed" " ${vip%/*}/32 " "$(ns_exec "$NM_NS" ip -4 -o addr show)"

# --- and up again ---------------------------------------------------------
nm_vpn_up corp || fail "second nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq "VPN state after the second up" activated "$(nm_active_state corp)"
log "activated again in $NM_UP_MS ms"
nm_vpn_down corp

after="$(nm_profile_digest corp)"
assert_eq "saved profile unchanged" "$before" "$after"
nm_assert_no_secret "$PSK"
nm_assert_clean
cg_assert_clean_log gw
log PASS
