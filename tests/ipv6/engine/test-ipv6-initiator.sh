#!/bin/bash
# cygnetd as an IPv6 road warrior (6-in-6) against a strongSwan gateway
# whose IPv6 pool also hands out a DNS server (INTERNAL_IP6_DNS) and split
# subnets (INTERNAL_IP6_SUBNET), RFC 7296 3.15.1:
#  - cygnetd reports the virtual IPv6 address with its prefix length, the
#    DNS server and the subnets, in its log and through cygnetctl;
#  - ping6 through the tunnel from the virtual IP, strongSwan counts it;
#  - the TUN MTU accounts for the IPv6 + UDP + ESP overhead, and a packet
#    too big for the SA gets an ICMPv6 Packet Too Big (RFC 4443 3.2) from
#    the data plane, counted as a too-big drop;
#  - when the gateway deletes the IKE_SA, the virtual IP and the routes
#    leave the TUN device.
# Usage: test-ipv6-initiator.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ipv6.sh"
v6_setup ipv6-initiator "${1:-}"
v6_outer 6
# strongSwan routes its side of each selector from an address inside it
ns_addr_lo ss fd75:1:2::1/128

ss_pool ss pool6 fd73::/120 dns=fd72::53 subnet=fd72::/64,fd75:1:2::/48
ss_peer_conn rw pools=pool6 child.local_ts="fd72::/64,fd75:1:2::/48" child.remote_ts=
ss_load ss
cg_peer_conn rw vip=ipv6 local-ts=dynamic remote-ts="fd72::/64,fd75:1:2::/48" start=start \
    esp=aes256gcm16
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up rw)" 15 "$mark" >/dev/null || fail "cygnetd did not log the CHILD_SA"
ss_wait_established ss rw 10 || fail "strongSwan has no established SAs"

vip="$(ss_vips ss rw remote)"
[[ "$vip" =~ ^fd73::[0-9a-f]{1,2}$ ]] || fail "strongSwan shows no virtual IP from fd73::/120: '$vip'"
block="$(v6_ss_sa_block ss rw)"
assert_match "strongSwan's IKE_SA over IPv6" "remote +'$CG_ID' @ fd70::1\[(500|4500)\] \[$(re_escape "$vip")\]" "$block"
assert_match "strongSwan's CHILD_SA remote TS is the virtual IP" "^    remote $(re_escape "$vip")/128" "$block"
assert_match "strongSwan's lease is online" "$(re_escape "$vip") +online +'$CG_ID'" \
    "$(ss_swanctl ss --list-pools --leases 2>/dev/null)"

# what cygnetd reports
line="$(cg_wait_log cg "received virtual IP $(re_escape "$vip") \(prefix length [0-9]+\)" 5 "$mark")" ||
    fail "cygnetd did not report the virtual IP $vip with its prefix length"
log "cygnetd: ${line#*] }"
cg_wait_log cg "$(cg_re_dns_assigned fd72::53)" 5 "$mark" >/dev/null ||
    fail "cygnetd did not report the DNS server fd72::53 (INTERNAL_IP6_DNS)"
cg_wait_log cg "received split subnet fd72::/64" 5 "$mark" >/dev/null ||
    fail "cygnetd did not report the split subnet fd72::/64 (INTERNAL_IP6_SUBNET)"
cg_wait_log cg "received split subnet fd75:1:2::/48" 5 "$mark" >/dev/null ||
    fail "cygnetd did not report the split subnet fd75:1:2::/48"
assert_eq "cygnetctl's virtual IP" "$vip" "$(v6_cg_sa_field cg local_vips)"
assert_eq "cygnetctl's DNS servers" "fd72::53" "$(v6_cg_sa_field cg dns)"
assert_eq "cygnetctl's split subnets" "fd72::/64 fd75:1:2::/48" "$(v6_cg_sa_field cg split_subnets | sort | tr '\n' ' ' | sed 's/ $//')"
cg_assert_clean_log cg
if grep -q "ignored configuration attribute" "$(cg_log cg)"; then
    fail "cygnetd refused an attribute of strongSwan's reply: $(grep "ignored configuration" "$(cg_log cg)")"
fi

tun="$(v6_tun cg)"
[ -n "$tun" ] || fail "cygnetd did not log its TUN device"
assert_match "virtual IP on $tun (the address alone)" "inet6 $(re_escape "$vip")/128" \
    "$(ns_exec cg ip -6 addr show dev "$tun")"
assert_match "the route to fd72::1 goes through $tun from the VIP" \
    "dev $(re_escape "$tun") .*src $(re_escape "$vip")|src $(re_escape "$vip") .*dev $(re_escape "$tun")" \
    "$(ns_exec cg ip -6 route get "$SS_INNER6")"

assert_match "the split subnets are routed into $tun" "fd72::/64.*fd75:1:2::/48|fd75:1:2::/48.*fd72::/64" \
    "$(ns_exec cg ip -6 route show table all dev "$tun" | tr '\n' ' ')"

# ping6 both ways
before="$(ss_child_packets ss rw in)"
out="$(ns_exec cg ping -6 -c 3 -i 0.2 -W 2 "$SS_INNER6" 2>&1)" || fail "no ping6 reply (source from the route):
$out"
v6_ping cg "$SS_INNER6" "$vip" 3 1300 || fail "no 1300-byte ping6 from $vip"
v6_ping ss "$vip" "$SS_INNER6" 3 || fail "no ping6 from strongSwan to $vip"
after="$(ss_child_packets ss rw in)"
[ "$after" -ge $((before + 7)) ] || fail "strongSwan counted $((after - before)) packets in, expected >= 7"

# MTU: AES-GCM-256 in UDP over IPv6 on a 1500-byte link: 1500 - 40 - 8
# (UDP) - 8 (SPI, sequence) - 8 (IV) - 16 (ICV), rounded so the trailer
# ends on 4 bytes, minus the 2 trailer bytes
mtu="$(ns_exec cg cat "/sys/class/net/$tun/mtu")"
assert_eq "TUN MTU after the IPv6 ESP-in-UDP overhead" 1418 "$mtu"
v6_ping cg "$SS_INNER6" "$vip" 2 $((1418 - 48)) || fail "no full-MTU ping6 (1418 bytes)"
# the device claims more than the SA carries: the data plane itself must
# answer with an ICMPv6 Packet Too Big
ns_exec cg ip link set "$tun" mtu 1500
before="$(v6_counter cg too-big)"
out="$(ns_exec cg ping -6 -c 2 -W 1 -M "do" -s 1400 -I "$vip" "$SS_INNER6" 2>&1 || true)"
assert_match "ping6 beyond the SA's MTU gets Packet Too Big" "(mtu ?= ?1418|[Pp]acket too big)" "$out"
wait_for v6_counter_at_least cg too-big $((before + 1)) 5 || fail "the too-big drop was not counted"
ns_exec cg ip link set "$tun" mtu "$mtu"
v6_ping cg "$SS_INNER6" "$vip" 2 1300 || fail "no ping6 after the MTU test"

# the gateway deletes the IKE_SA: cygnetd (still running) takes the
# virtual IP and the routes off its TUN device
mark="$(cg_log_mark cg)"
ss_terminate ss rw || fail "swanctl --terminate failed"
cg_wait_log cg "IKE_SA rw\[[0-9]+\] down" 5 "$mark" >/dev/null || fail "cygnetd did not take the IKE_SA down"
wait_for v6_no_addr cg "$tun" "$vip" 5 || fail "virtual IP $vip still on $tun after the delete:
$(ns_exec cg ip -6 addr show dev "$tun")"
assert_no_match "no route to fd72::/64 through $tun after the delete" "fd72::" \
    "$(ns_exec cg ip -6 route show table all dev "$tun" 2>/dev/null)"
rc=0
cg_stop cg || rc=$?
[ "$rc" = 0 ] || fail "cygnetd exited with status $rc on SIGTERM"
cg_assert_clean_log cg
log PASS
