#!/bin/bash
# NAT traversal over IPv6 (RFC 7296 2.23, RFC 3948): cygnetd sits behind an
# IPv6 masquerading router (NAT66, nftables) and initiates to strongSwan.
# A user checks: cygnetd says it is behind a NAT, strongSwan sees the
# router's address (not cygnet's) with a translated port, ESP goes in UDP
# through the router, and ping6 works both ways, for IPv6 and IPv4 inside
# the same CHILD_SA; then a dual-stack virtual IP from strongSwan's pools.
#
#   cg eth0 fd90::2/64 --- fd90::1 in0 [router nat66] out0 fd91::1 --- fd91::2 eth0 ss
# Usage: test-ipv6-nat.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ipv6.sh"
require_root
require_cmd charon swanctl ip nft ss ping
require_file /dev/net/tun
cg_require_cygnetd "${1:-}"
harness_init ipv6-nat
[ -e /proc/net/if_inet6 ] || skip_or_fail "the kernel has no IPv6"

ns_create cg
ns_create ss
ns_create nat
veth_pair cg eth0 10.90.0.2/24 nat in0 10.90.0.1/24 fd90::2/64 fd90::1/64
veth_pair nat out0 10.91.0.1/24 ss eth0 10.91.0.2/24 fd91::1/64 fd91::2/64
ns_addr_lo cg "$CG_INNER/32" "$CG_INNER6/128"
ns_addr_lo ss "$SS_INNER/32" "$SS_INNER6/128"
ip -n "$(ns_name cg)" -6 route add default via fd90::1
ns_exec nat sysctl -q -w net.ipv6.conf.all.forwarding=1
ns_exec nat nft -f - <<'NFT' || fail "nft NAT66 in the router"
table ip6 cgnat66 {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "out0" masquerade
    }
}
NFT
# shellcheck disable=SC2034 # read by ss_peer_conn / cg_peer_conn
CG_ADDR=fd90::2 SS_ADDR=fd91::2
ss_start ss ss retransmit_timeout=0.5

# --- static selectors, both families inside --------------------------------
ss_peer_conn nat6 remote_addrs=%any child.local_ts="$SS_INNER/32,$SS_INNER6/128" \
    child.remote_ts="$CG_INNER/32,$CG_INNER6/128"
ss_load ss
cg_peer_conn nat6 local-ts="$CG_INNER/32,$CG_INNER6/128" remote-ts="$SS_INNER/32,$SS_INNER6/128" \
    start=start
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up nat6)" 15 "$mark" >/dev/null || fail "no CHILD_SA at cygnetd"
cg_wait_log cg "IKE_SA nat6\[[0-9]+\] we are behind a NAT" 1 "$mark" >/dev/null ||
    fail "cygnetd did not detect the NAT66 router"
ss_wait_established ss nat6 10 || fail "strongSwan has no established SAs"
block="$(v6_ss_sa_block ss nat6)"
assert_match "strongSwan sees the router's address, translated port" \
    "remote +'$CG_ID' @ fd91::1\[[0-9]+\]" "$block"
assert_no_match "strongSwan never sees cygnet's own address" "fd90::2" "$block"
assert_match "strongSwan encapsulates ESP in UDP" "TUNNEL-in-UDP" "$block"

v6_ping cg "$SS_INNER6" "$CG_INNER6" 3 1200 || fail "no ping6 through the NAT66"
v6_ping cg "$SS_INNER" "$CG_INNER" 3 || fail "no IPv4 ping through the IPv6 NAT"
v6_ping ss "$CG_INNER6" "$SS_INNER6" 3 || fail "no ping6 from strongSwan back through the NAT"
v6_stop_both nat6
cg_assert_clean_log cg

# --- dual-stack virtual IPs through the NAT -----------------------------------
ss_clear_conf ss
ss_pool ss pool4 10.73.0.0/28
ss_pool ss pool6 fd73::/120
ss_peer_conn vnat remote_addrs=%any pools=pool4,pool6 \
    child.local_ts="$SS_INNER/32,$SS_INNER6/128" child.remote_ts=
ss_load ss
cg_clear_conf cg
cg_peer_conn vnat vip=both local-ts=dynamic remote-ts="$SS_INNER/32,$SS_INNER6/128" start=start
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up vnat)" 15 "$mark" >/dev/null || fail "VIP: no CHILD_SA"
mapfile -t vips < <(v6_ss_vips ss vnat remote)
[ "${#vips[@]}" = 2 ] || fail "VIP: strongSwan did not assign two addresses: '${vips[*]}'"
for v in "${vips[@]}"; do
    dst="$SS_INNER"
    [[ "$v" == *:* ]] && dst="$SS_INNER6"
    v6_ping cg "$dst" "$v" 3 || fail "VIP: no ping from $v through the NAT66"
done
v6_stop_both vnat
cg_assert_clean_log cg
log PASS
