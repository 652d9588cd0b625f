#!/bin/bash
# Dual stack inside one tunnel: one CHILD_SA with IPv4 and IPv6 selectors,
# an INTERNAL_IP4_ADDRESS and an INTERNAL_IP6_ADDRESS in one CP reply.
#  A: cygnetd initiates over IPv6 (vip=both) to a strongSwan gateway with
#     an IPv4 and an IPv6 pool: both addresses reported and on the TUN
#     device, one CHILD_SA carrying ping and ping6, strongSwan's view.
#  B: strongSwan initiates over IPv4 (vips=0.0.0.0,::) to a cygnetd
#     gateway with an IPv4 and an IPv6 pool of ONE address each and DNS
#     servers of both families: strongSwan gets one address of each family
#     and both DNS servers, pings both ways; after a delete each address
#     goes back to its own pool, which a second client with another
#     identity proves by getting the same two addresses.
# Usage: test-ipv6-dualstack.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ipv6.sh"
v6_setup ipv6-dualstack "${1:-}"

# --- A: cygnetd initiator, strongSwan's pools ---------------------------------
log "A: cygnetd asks for both families over IPv6"
v6_outer 6
ss_pool ss pool4 10.73.0.0/28 dns=10.72.0.53
ss_pool ss pool6 fd73::/120 dns=fd72::53
ss_peer_conn ds pools=pool4,pool6 child.local_ts="$SS_INNER/32,$SS_INNER6/128" child.remote_ts=
ss_load ss
cg_peer_conn ds vip=both local-ts=dynamic remote-ts="$SS_INNER/32,$SS_INNER6/128" start=start
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up ds)" 15 "$mark" >/dev/null || fail "A: cygnetd did not log the CHILD_SA"
ss_wait_established ss ds 10 || fail "A: strongSwan has no established SAs"
assert_eq "A: CHILD_SAs at strongSwan (one for both families)" 1 "$(ss_child_count ss ds)"

mapfile -t vips < <(v6_ss_vips ss ds remote)
vip4="" vip6=""
for v in "${vips[@]}"; do
    [[ "$v" == 10.73.0.* ]] && vip4="$v"
    [[ "$v" == fd73::* ]] && vip6="$v"
done
[ -n "$vip4" ] && [ -n "$vip6" ] || fail "A: strongSwan did not assign one address of each family: '${vips[*]}'"
log "A: strongSwan assigned $vip4 and $vip6"
block="$(v6_ss_sa_block ss ds)"
assert_match "A: strongSwan's CHILD_SA remote TS holds both VIPs" \
    "^    remote $(re_escape "$vip4")/32 $(re_escape "$vip6")/128" "$block"
assert_match "A: strongSwan's CHILD_SA local TS holds both families" \
    "^    local  $(re_escape "$SS_INNER")/32 $(re_escape "$SS_INNER6")/128" "$block"
cg_wait_log cg "received virtual IP $(re_escape "$vip4")$" 5 "$mark" >/dev/null ||
    fail "A: cygnetd did not report $vip4"
cg_wait_log cg "received virtual IP $(re_escape "$vip6") \(prefix length [0-9]+\)" 5 "$mark" >/dev/null ||
    fail "A: cygnetd did not report $vip6 with its prefix length"
assert_eq "A: cygnetctl's virtual IPs" "$vip4 $vip6" "$(v6_cg_sa_field cg local_vips | tr '\n' ' ' | sed 's/ $//')"
assert_eq "A: cygnetctl's DNS servers" "10.72.0.53 fd72::53" "$(v6_cg_sa_field cg dns | sort | tr '\n' ' ' | sed 's/ $//')"
tun="$(v6_tun cg)"
addrs="$(ns_exec cg ip addr show dev "$tun")"
assert_match "A: IPv4 VIP on $tun" "inet $(re_escape "$vip4")/32" "$addrs"
assert_match "A: IPv6 VIP on $tun" "inet6 $(re_escape "$vip6")/128" "$addrs"
v6_ping cg "$SS_INNER" "$vip4" 3 || fail "A: no ping from $vip4"
v6_ping cg "$SS_INNER6" "$vip6" 3 || fail "A: no ping6 from $vip6"
v6_ping ss "$vip4" "$SS_INNER" 3 || fail "A: no ping from strongSwan to $vip4"
v6_ping ss "$vip6" "$SS_INNER6" 3 || fail "A: no ping6 from strongSwan to $vip6"
# the MTU of a TUN with IPv6 outer SAs: 1418 (see test-ipv6-initiator)
v6_stop_both ds
cg_assert_clean_log cg

# --- B: strongSwan initiator, cygnetd's pools --------------------------------
log "B: strongSwan asks cygnetd for both families over IPv4"
v6_outer 4
ss_clear_conf ss
ss_peer_conn road vips=0.0.0.0,:: child.local_ts=dynamic \
    child.remote_ts="$CG_INNER/32,$CG_INNER6/128"
ss_peer_conn road2 local_id=ss2.test vips=0.0.0.0,:: child.local_ts=dynamic \
    child.remote_ts="$CG_INNER/32,$CG_INNER6/128"
ss_psk ss road2 "$INTEROP_PSK" ss2.test "$CG_ID"
ss_load ss
cg_clear_conf cg
cg_pool cg cgpool4 10.74.0.9
cg_pool cg cgpool6 fd74::9
cg_peer_conn road remote=%any remote-id='*.test' pools=cgpool4,cgpool6 dns=10.74.0.53,fd74::53 \
    local-ts="$CG_INNER/32,$CG_INNER6/128" remote-ts=dynamic
cg_psk cg second "$INTEROP_PSK" "$CG_ID" ss2.test
mark="$(cg_log_mark cg)"
cg_start cg cg

ss_initiate ss road 10 || fail "B: swanctl --initiate failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
ss_wait_established ss road 5 || fail "B: strongSwan has no established SAs"
assert_eq "B: strongSwan's virtual IPs from cygnetd's pools" "10.74.0.9 fd74::9" \
    "$(v6_ss_vips ss road local | tr '\n' ' ' | sed 's/ $//')"
assert_match "B: strongSwan's CHILD_SA local TS holds both VIPs" "^    local  10\.74\.0\.9/32 fd74::9/128" \
    "$(v6_ss_sa_block ss road)"
resolv="$(cat "$(ss_dir ss)/resolv.conf")"
assert_match "B: strongSwan got the IPv4 DNS server" "10\.74\.0\.53" "$resolv"
assert_match "B: strongSwan got the IPv6 DNS server (INTERNAL_IP6_DNS)" "fd74::53" "$resolv"
cg_wait_log cg "$(cg_re_pool_lease 10.74.0.9)" 5 "$mark" >/dev/null || fail "B: no lease of 10.74.0.9 logged"
cg_wait_log cg "$(cg_re_pool_lease fd74::9)" 5 "$mark" >/dev/null || fail "B: no lease of fd74::9 logged"
assert_eq "B: cygnetctl's addresses given to the peer" "10.74.0.9 fd74::9" \
    "$(v6_cg_sa_field cg remote_vips | tr '\n' ' ' | sed 's/ $//')"
v6_ping ss "$CG_INNER" 10.74.0.9 3 || fail "B: no ping from strongSwan's 10.74.0.9"
v6_ping ss "$CG_INNER6" fd74::9 3 || fail "B: no ping6 from strongSwan's fd74::9"
v6_ping cg fd74::9 "$CG_INNER6" 3 || fail "B: no ping6 from cygnet to fd74::9"

mark="$(cg_log_mark cg)"
ss_terminate ss road || fail "B: swanctl --terminate failed"
ss_wait_no_sas ss 5 || fail "B: IKE_SA not deleted"
cg_wait_log cg "$(cg_re_pool_release 10.74.0.9)" 5 "$mark" >/dev/null || fail "B: 10.74.0.9 not released"
cg_wait_log cg "$(cg_re_pool_release fd74::9)" 5 "$mark" >/dev/null || fail "B: fd74::9 not released"

# another identity gets both single-address pools' addresses: each went
# back to its own pool
ss_initiate ss road2 10 || fail "B: the second client could not connect: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
ss_wait_established ss road2 5 || fail "B: second client not established"
assert_eq "B: the second client's virtual IPs (both released before)" "10.74.0.9 fd74::9" \
    "$(v6_ss_vips ss road2 local | tr '\n' ' ' | sed 's/ $//')"
v6_ping ss "$CG_INNER6" fd74::9 3 || fail "B: no ping6 for the second client"
ss_terminate ss road2 || true
cg_assert_clean_log cg
log PASS
