#!/bin/bash
# cygnetd to cygnetd over IPv6 without NAT: no UDP encapsulation, so ESP
# travels as IP protocol 50 directly in IPv6 (a raw socket: the kernel
# hands IPv6 raw sockets the payload without the IP header, unlike IPv4),
# with IPv4 and IPv6 selectors in one CHILD_SA (4-in-6 and 6-in-6 at
# once). strongSwan's kernel-libipsec always encapsulates, so this path
# needs two cygnetd. A user checks: the SA is not NAT-T, pings both
# families, and the packets on the wire are ESP (protocol 50) over IPv6.
# Usage: test-ipv6-plain-esp.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/interop.sh"
export CG_DATAPLANE=uesp
require_root
require_cmd ip ss ping nft
require_file /dev/net/tun
cg_require_cygnetd "${1:-}"
harness_init ipv6-plain-esp
[ -e /proc/net/if_inet6 ] || skip_or_fail "the kernel has no IPv6"

ns_create a
ns_create b
veth_pair a eth0 10.80.0.1/24 b eth0 10.80.0.2/24 fd80::1/64 fd80::2/64
ns_addr_lo a 10.81.0.1/32 fd81::1/128
ns_addr_lo b 10.82.0.1/32 fd82::1/128
psk="plain-esp-$$"

cg_conn gwb home local=fd80::2 remote=fd80::1 local-id=b.test remote-id=a.test auth=psk \
    local-ts=10.82.0.1/32,fd82::1/128 remote-ts=10.81.0.1/32,fd81::1/128
cg_psk gwb main "$psk" a.test b.test
cg_start gwb b
cg_conn cla home local=fd80::1 remote=fd80::2 local-id=a.test remote-id=b.test auth=psk \
    local-ts=10.81.0.1/32,fd81::1/128 remote-ts=10.82.0.1/32,fd82::1/128 start=start \
    retransmit-timeout=500ms
cg_psk cla main "$psk" a.test b.test
# count ESP (protocol 50) over IPv6 arriving at b
ns_exec b nft -f - <<'NFT' || fail "nft counter in b"
table ip6 cgcount {
    counter esp6 { }
    chain input {
        type filter hook input priority 0; policy accept;
        meta l4proto esp counter name "esp6"
    }
}
NFT
cg_start cla a

cg_wait_log cla "$(cg_re_child_up home)" 10 >/dev/null || fail "no CHILD_SA at the initiator"
cg_wait_log gwb "$(cg_re_child_up home)" 10 >/dev/null || fail "no CHILD_SA at the responder"
line="$(cg_wait_log cla "$(cg_re_ike_up home)" 1)"
assert_match "IKE_SA over IPv6" "between fd80::1\[500\]" "$line"
assert_no_match "no NAT, no UDP encapsulation" "NAT-T" "$line"
cg_wait_log cla "uesp: plain ESP \(IP protocol 50\) over IPv6" 5 >/dev/null ||
    fail "the initiator did not open plain ESP over IPv6"

for pair in "10.81.0.1 10.82.0.1" "fd81::1 fd82::1"; do
    read -r src dst <<<"$pair"
    ping_through a "$dst" "$src" || fail "no ping from $src to $dst"
    out="$(ns_exec a ping -c 3 -i 0.2 -W 2 -s 1200 -I "$src" "$dst" 2>&1)" ||
        fail "no 1200-byte pings from $src to $dst: $out"
    ping_through b "$src" "$dst" || fail "no ping from $dst to $src"
done
esp="$(ns_exec b nft list counter ip6 cgcount esp6 | sed -nE 's/.*packets ([0-9]+).*/\1/p')"
[ "${esp:-0}" -ge 8 ] || fail "only ${esp:-0} ESP packets over IPv6 arrived at b (want >= 8)"
log "ESP over IPv6 (protocol 50) packets seen at b: $esp"

cg_stop cla || fail "initiator did not stop cleanly"
cg_wait_log gwb "IKE_SA home\[[0-9]+\] .*(deletes|down)" 5 >/dev/null || fail "the responder kept the IKE_SA"
cg_assert_clean_log cla
cg_assert_clean_log gwb
log PASS
