#!/bin/bash
# Proves the interop harness itself, with no cygnet code involved:
# strongSwan <-> strongSwan in two namespaces, PSK, every proposal family
# of tests/lib/families.sh (which validates the algorithm strings the
# cygnet tests expect), a ping through each tunnel (user-space ESP), then
# one peer behind a NAT router (NAT-T, UDP encapsulation).
#
#   a: eth0 10.50.0.1/24, inner 10.51.0.1 on lo     (initiator "a")
#   b: eth0 10.50.0.2/24, inner 10.52.0.1 on lo     (responder "b")
#   c: behind router r (10.60.0.2 -> masquerade as 10.61.0.1), inner 10.53.0.1
#      b's second interface nat0 is 10.61.0.2
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib/netns.sh"
source "$HERE/../lib/strongswan.sh"
source "$HERE/../lib/families.sh"

require_root
require_cmd charon swanctl ip nft ping
require_file /dev/net/tun
harness_init harness-selfcheck

ns_create a
ns_create b
veth_pair a eth0 10.50.0.1/24 b eth0 10.50.0.2/24
ns_addr_lo a 10.51.0.1/32
ns_addr_lo b 10.52.0.1/32

ss_start a a retransmit_timeout=0.5
ss_start b b retransmit_timeout=0.5

PSK="harness-selfcheck-psk"

# b: a responder that accepts every family
ss_conn b resp local_addrs=10.50.0.2,10.61.0.2 remote_addrs=%any \
    proposals="$(cg_all_ike_proposals)" local_id=b.test
ss_child b resp resp local_ts=10.52.0.1/32 remote_ts=10.51.0.1/32,10.53.0.1/32 \
    esp_proposals="$(cg_all_esp_proposals)"
ss_psk b all "$PSK" a.test b.test c.test
ss_load b

# a: one connection per family
for i in "${!CG_FAMILIES[@]}"; do
    cg_family "$i"
    ss_conn a "f$i" local_addrs=10.50.0.1 remote_addrs=10.50.0.2 proposals="$FAM_IKE" \
        local_id=a.test remote_id=b.test
    ss_child a "f$i" "f$i" local_ts=10.51.0.1/32 remote_ts=10.52.0.1/32 esp_proposals="$FAM_ESP"
done
ss_psk a all "$PSK" a.test b.test
ss_load a

for i in "${!CG_FAMILIES[@]}"; do
    cg_family "$i"
    log "family $FAM_IKE / $FAM_ESP"
    ss_initiate a "f$i" 10 || fail "swanctl --initiate f$i failed: $(tail -5 "$(ss_dir a)/swanctl.out")"
    ss_wait_established a "f$i" 5
    ss_wait_established b resp 5
    ss_assert_established a "f$i" "f$i" "$FAM_SS_IKE" "$FAM_SS_ESP"
    ss_assert_established b resp resp "$FAM_SS_IKE" "$FAM_SS_ESP"
    assert_eq "IKE_SAs on b" 1 "$(ss_ike_count b resp)"
    assert_eq "CHILD_SAs on b" 1 "$(ss_child_count b resp)"
    # the SPI pair both sides report must be the same
    assert_eq "IKE SPIs a vs b" "$(ss_ike_spis a "f$i")" "$(ss_ike_spis b resp)"
    ping_through a 10.52.0.1 10.51.0.1 || fail "no ping through the $FAM_IKE tunnel"
    [ "$(ss_child_packets b resp in)" -ge 1 ] || fail "b's CHILD_SA counted no inbound ESP packets"
    ss_terminate a "f$i" || fail "swanctl --terminate f$i failed"
    ss_wait_no_sas a 5
    ss_wait_no_sas b 5
done

# --- phase 2: c behind a NAT router: NAT detected, ESP in UDP 4500 -----
ns_create c
nat_router r c 10.60.0 b 10.61.0
ns_addr_lo c 10.53.0.1/32
ss_start c c retransmit_timeout=0.5
cg_family 0
ss_conn c nat local_addrs=10.60.0.2 remote_addrs=10.61.0.2 proposals="$FAM_IKE" \
    local_id=c.test remote_id=b.test
ss_child c nat nat local_ts=10.53.0.1/32 remote_ts=10.52.0.1/32 esp_proposals="$FAM_ESP"
ss_psk c all "$PSK" c.test b.test
ss_load c
ss_initiate c nat 10 || fail "swanctl --initiate nat failed"
ss_wait_established b resp 5
sas="$(ss_list_sas b)"
# (kernel-libipsec always forces UDP encapsulation by faking NAT detection,
# so TUNNEL-in-UDP alone would prove nothing: check the translated address)
assert_match "b sees c's translated address on port 4500" "remote 'c.test' @ 10\.61\.0\.1\[4500\]" "$sas"
assert_match "b's CHILD_SA is UDP-encapsulated" "INSTALLED, TUNNEL-in-UDP" "$sas"
ping_through c 10.52.0.1 10.53.0.1 || fail "no ping through the NATed tunnel"

log "PASS"
