#!/bin/bash
# Dual stack through a real NetworkManager (tests/nm/lib-nm.sh) against a
# strongSwan gateway that hands out an IPv4 and an IPv6 virtual address,
# DNS servers of both families and IPv4 and IPv6 split subnets:
#  - `nmcli connection show` lists the IPv6 address with its prefix, the
#    IPv6 DNS server and the IPv6 routes; NetworkManager puts the address
#    and the split routes on the tunnel device (`ip -6 route`), and no
#    IPv6 default route through the tunnel;
#  - ping and ping6 through the tunnel;
#  - a full tunnel for IPv6 (the gateway's selector is ::/0) gets the IPv6
#    default route on the tunnel device, and with ipv6.never-default yes
#    it does not;
#  - IKE over IPv6: the gateway given as an IPv6 literal; strongSwan sees
#    our IPv6 address, and both families still work inside; with a full
#    IPv6 tunnel the gateway itself is still reached outside the tunnel.
# Usage: test-nm-dualstack.sh SERVICE NAME-FILE POLICY [CYGNETD [AGENT]]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../nm/lib-nm.sh"
nm_setup nm-dualstack "$@"
require_cmd charon swanctl ping
require_file /dev/net/tun
[ -e /proc/net/if_inet6 ] || skip_or_fail "the kernel has no IPv6"

PSK="nm-ds-psk-$$-$RANDOM"
GW_ADDR6=fd80::1 NM_ADDR6=fd80::2
DNS4=10.4.0.53 DNS6=fd72::53
INNER4=10.72.0.1 INNER6=fd72::1 INNER6B=fd75:1:2::1

nm_gateway_ns gw
ip -n "$(ns_name gw)" addr add "$GW_ADDR6/64" dev eth0 nodad
ns_addr_lo gw "$INNER4/32" "$INNER6/128" "$INNER6B/128"
ss_start gw gw
ss_pool gw vpn4 10.4.0.0/28 dns="$DNS4"
ss_pool gw vpn6 fd84::/120 dns="$DNS6"
# split: IPv4 and two IPv6 networks
ss_conn gw split local_addrs="$GW_ADDR,$GW_ADDR6" pools=vpn4,vpn6 local_id=gw.test \
    remote_id=split.test
ss_child gw split split local_ts=10.72.0.0/16,fd72::/64,fd75:1:2::/48 remote_ts=dynamic \
    esp_proposals=aes256gcm16
# full for IPv6: the whole IPv6 address space through the tunnel
ss_conn gw full local_addrs="$GW_ADDR,$GW_ADDR6" pools=vpn4,vpn6 local_id=gw.test \
    remote_id=full.test
ss_child gw full full local_ts=10.72.0.0/16,::/0 remote_ts=dynamic esp_proposals=aes256gcm16
ss_psk gw all "$PSK" gw.test split.test full.test
ss_load gw

nm_start
# the base connection with IPv6 as well (nm_base_up makes it IPv4 only)
nm_cli connection modify base ipv6.method manual ipv6.addresses "$NM_ADDR6/64" >/dev/null ||
    fail "cannot give the base connection an IPv6 address"
nm_cli --wait 20 connection up base >/dev/null || fail "the base connection did not come back up"
wait_for ns_exec "$NM_NS" ping -6 -c1 -W1 "$GW_ADDR6" 10 || fail "no IPv6 between NetworkManager and the gateway"

common=(local-id=split.test remote-id=gw.test virtual-ip=both dataplane=uesp psk-flags=0
    ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16)
nm_vpn_add split4 gateway="$GW_ADDR" "${common[@]}" -- psk="$PSK"
nm_vpn_add split6 gateway="$GW_ADDR6" "${common[@]}" -- psk="$PSK"
nm_vpn_add full gateway="$GW_ADDR" "${common[@]}" local-id=full.test -- psk="$PSK"
nm_vpn_add full6 gateway="$GW_ADDR6" "${common[@]}" local-id=full.test -- psk="$PSK"
nm_vpn_add fullnd gateway="$GW_ADDR" "${common[@]}" local-id=full.test -- psk="$PSK" \
    ++ ipv6.never-default yes

# tundev NAME: the device holding the IPv6 address NetworkManager shows
# for the active VPN NAME
tundev() {
    local addr
    addr="$(nm_field "$1" IP6.ADDRESS | head -n1)"
    [ -n "$addr" ] || return 0
    ns_exec "$NM_NS" ip -o -6 addr show | awk -v a="$addr" '$4 == a { print $2; exit }'
}

# ss_vips_all: the virtual IPs strongSwan assigned, one a line (it lists
# several in one bracket: "remote 'id' @ addr[port] [10.4.0.1 fd84::1]")
ss_vips_all() {
    ss_list_sas gw | sed -nE 's/^  remote .*\] \[([^]]+)\]$/\1/p' | tr ' ' '\n'
}

# check_split NAME OUTER: the IPv6 side of an active split VPN
check_split() {
    local name="$1" outer="$2" vip4 vip6 addr6 dev routes6
    vip6="$(ss_vips_all | grep : | head -n1)" || true
    vip4="$(ss_vips_all | grep -v : | head -n1)" || true
    assert_match "$name: strongSwan assigned an IPv6 virtual IP" '^fd84::[0-9a-f]+$' "$vip6"
    assert_match "$name: strongSwan assigned an IPv4 virtual IP" '^10\.4\.0\.[0-9]+$' "$vip4"
    assert_match "$name: strongSwan sees us at $outer" \
        "remote +'split\.test' @ $(re_escape "$outer")\[" "$(ss_list_sas gw)"

    addr6="$(nm_field "$name" IP6.ADDRESS)"
    assert_eq "$name: IP6.ADDRESS (address and prefix)" "$vip6/128" "$addr6"
    assert_eq "$name: IP4.ADDRESS" "$vip4/32" "$(nm_field "$name" IP4.ADDRESS)"
    assert_eq "$name: IP6.DNS" "$DNS6" "$(nm_field "$name" IP6.DNS)"
    assert_eq "$name: IP4.DNS" "$DNS4" "$(nm_field "$name" IP4.DNS)"
    routes6="$(nm_field "$name" IP6.ROUTE)"
    assert_match "$name: IP6.ROUTE fd72::/64" 'dst = fd72::/64' "$routes6"
    assert_match "$name: IP6.ROUTE fd75:1:2::/48" 'dst = fd75:1:2::/48' "$routes6"
    assert_match "$name: IP4.ROUTE 10.72.0.0/16" 'dst = 10\.72\.0\.0/16' "$(nm_field "$name" IP4.ROUTE)"

    dev="$(tundev "$name")"
    [ -n "$dev" ] && [ "$dev" != "$NM_DEV" ] || fail "$name: no tunnel device ('$dev')"
    assert_match "$name: the IPv6 virtual IP on $dev" "inet6 $(re_escape "$vip6")/128" \
        "$(ns_exec "$NM_NS" ip -6 addr show dev "$dev")"
    routes6="$(ns_exec "$NM_NS" ip -6 route show)"
    assert_match "$name: kernel route fd72::/64 on $dev" "^fd72::/64 dev $dev " "$routes6"
    assert_match "$name: kernel route fd75:1:2::/48 on $dev" "^fd75:1:2::/48 dev $dev " "$routes6"
    assert_no_match "$name: split tunnel: no IPv6 default route through $dev" \
        "^default .*dev $dev " "$routes6"
    assert_match "$name: the DNS server in resolv.conf" "nameserver $(re_escape "$DNS6")" \
        "$(nm_exec cat /run/NetworkManager/resolv.conf)"

    ping_through "$NM_NS" "$INNER6" || fail "$name: no ping6 through the tunnel to $INNER6"
    ping_through "$NM_NS" "$INNER6B" || fail "$name: no ping6 through the tunnel to $INNER6B"
    ping_through "$NM_NS" "$INNER4" || fail "$name: no ping through the tunnel to $INNER4"
    assert_match "$name: ping6 leaves from the IPv6 virtual IP" "src $(re_escape "$vip6")" \
        "$(ns_exec "$NM_NS" ip -6 route get "$INNER6")"
    log "$name: IPv6 $vip6/128, DNS $DNS6, routes fd72::/64 fd75:1:2::/48 on $dev; ping6 ok"
}

# --- split, IKE over IPv4 ---------------------------------------------------
nm_vpn_up split4 || fail "split4: nmcli connection up failed: $NM_UP_OUTPUT"
check_split split4 "$NM_ADDR"
nm_vpn_down split4 || fail "split4: down failed"
ss_wait_no_sas gw 10 || fail "strongSwan still has SAs after split4 went down"

# --- split, IKE over IPv6 (the gateway an IPv6 literal) ---------------------
nm_vpn_up split6 || fail "split6: nmcli connection up failed: $NM_UP_OUTPUT"
check_split split6 "$NM_ADDR6"
assert_match "split6: the banner names the IPv6 gateway" "\($(re_escape "$GW_ADDR6")\)" \
    "$(nm_field split6 VPN.BANNER)"
nm_vpn_down split6 || fail "split6: down failed"
ss_wait_no_sas gw 10 || fail "strongSwan still has SAs after split6 went down"

# --- full tunnel for IPv6: the default route ---------------------------------
nm_vpn_up full || fail "full: nmcli connection up failed: $NM_UP_OUTPUT"
dev="$(tundev full)"
routes6="$(ns_exec "$NM_NS" ip -6 route show)"
assert_match "full: the IPv6 default route on $dev" "^default dev $dev " "$routes6"
assert_match "full: ::/0 goes through $dev" "dev $dev " "$(ns_exec "$NM_NS" ip -6 route get 2001:db8::99)"
ping_through "$NM_NS" "$INNER6" || fail "full: no ping6 through the tunnel"
nm_vpn_down full || fail "full: down failed"
ss_wait_no_sas gw 10 || fail "strongSwan still has SAs after full went down"

# --- full tunnel for IPv6 with IKE over IPv6: the gateway stays outside --------
nm_vpn_up full6 || fail "full6: nmcli connection up failed: $NM_UP_OUTPUT"
dev="$(tundev full6)"
assert_match "full6: the IPv6 default route on $dev" "^default dev $dev " "$(ns_exec "$NM_NS" ip -6 route show)"
ping_through "$NM_NS" "$INNER6" || fail "full6: no ping6 through the tunnel (ESP routed into itself?)"
ping_through "$NM_NS" "$INNER4" || fail "full6: no ping through the tunnel"
# the tunnel's own ESP (to the gateway, inside ::/0) still leaves outside it
[ "$(ss_child_packets gw full in)" -ge 2 ] || fail "full6: strongSwan counted no ESP packets in"
nm_vpn_down full6 || fail "full6: down failed"
ss_wait_no_sas gw 10 || fail "strongSwan still has SAs after full6 went down"

# --- full tunnel, ipv6.never-default yes: no default route -------------------
nm_vpn_up fullnd || fail "fullnd: nmcli connection up failed: $NM_UP_OUTPUT"
dev="$(tundev fullnd)"
routes6="$(ns_exec "$NM_NS" ip -6 route show)"
assert_no_match "fullnd: never-default: no IPv6 default route on $dev" "^default .*dev $dev " "$routes6"
assert_match "fullnd: the IPv6 address is still applied" '^fd84::[0-9a-f]+/128$' "$(nm_field fullnd IP6.ADDRESS)"
nm_vpn_down fullnd || fail "fullnd: down failed"

nm_assert_no_secret "$PSK"
nm_assert_clean
log PASS
