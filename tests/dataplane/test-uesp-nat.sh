#!/bin/bash
# User-space ESP through a NAT: cygnetd behind a router namespace that
# masquerades (nftables) towards strongSwan. NAT detection (RFC 7296 2.23)
# moves IKE to port 4500 and ESP goes in UDP from the same socket
# (RFC 3948), through the router's mapping, both ways.
#
#   cg  eth0 10.80.0.2 ── in0 10.80.0.1 [nat] out0 10.81.0.1 ── nat0 10.81.0.2  ss
#
# Usage: test-uesp-nat.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-dataplane.sh"
require_root
require_cmd charon swanctl ip nft ss python3 iperf3
require_file /dev/net/tun
cg_require_cygnetd "${1:-}"
harness_init uesp-nat

CG_ADDR=10.80.0.2
SS_ADDR=10.81.0.2
ROUTER_OUT=10.81.0.1
ns_create cg
ns_create ss
nat_router nat cg 10.80.0 ss 10.81.0
ns_addr_lo cg "$CG_INNER/32"
ns_addr_lo ss "$SS_INNER/32"
ss_start ss ss retransmit_timeout=0.5

# strongSwan only sees the router's address
ss_peer_conn home remote_addrs=%any
ss_load ss
cg_peer_conn home start=start
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "no CHILD_SA through the NAT"
ss_wait_established ss home 10 || fail "strongSwan has no SAs through the NAT"

cg_wait_log cg "we are behind a NAT" 1 "$mark" >/dev/null ||
    fail "cygnetd did not detect the NAT in front of it"
assert_match "strongSwan sees cygnet at the router's address" \
    "remote +'$CG_ID' @ $(re_escape "$ROUTER_OUT")\[[0-9]+\]" "$(ss_list_sas ss)"
cg_wait_log cg "uesp: added outbound SA [0-9a-f]+ to $(re_escape "$SS_ADDR")\[4500\] \(ESP in UDP\)" 1 \
    "$mark" >/dev/null || fail "cygnetd's outbound SA is not UDP encapsulated to port 4500"

dp_ping_both
up="$(dp_iperf ss cg "$SS_INNER" 3 -B "$CG_INNER")" || fail "iperf3 through the NAT failed"
down="$(dp_iperf cg ss "$CG_INNER" 3 -B "$SS_INNER")" || fail "iperf3 back through the NAT failed"
log "iperf3 TCP through the NAT: cygnet -> strongSwan $up Mbit/s, back $down Mbit/s"

# the router carried only UDP (IKE and ESP in UDP), nothing of IP protocol 50
conntrack="$(ns_exec nat cat /proc/net/nf_conntrack 2>/dev/null || true)"
if [ -n "$conntrack" ]; then
    assert_no_match "no plain ESP through the NAT" "esp|proto=50| 50 " "$conntrack"
fi
[ "$(dp_counter cg auth)" = 0 ] || fail "ICV failures through the NAT"

cg_stop cg || fail "cygnetd did not stop cleanly"
cg_assert_clean_log cg
log PASS
