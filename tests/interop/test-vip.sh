#!/bin/bash
# Virtual IP and DNS through the configuration payload (RFC 7296 3.15).
#  A: cygnetd initiator (vip=ipv4) -> strongSwan responder with a pool and
#     a DNS server: cygnetd logs the address and DNS server it got, and
#     strongSwan shows the lease.
#  B: strongSwan initiator (vips=0.0.0.0) -> cygnetd responder with a pool
#     and dns=: strongSwan shows an address from cygnetd's pool and got the
#     DNS server; after a delete the lease is released and a new IKE_SA
#     gets a valid address again.
# Usage: test-vip.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
interop_setup vip "${1:-}"

# ip_in_range ADDR FIRST LAST: IPv4 ADDR within FIRST..LAST
ip4_num() {
    local IFS=.
    read -r a b c d <<<"$1"
    echo $(((a << 24) + (b << 16) + (c << 8) + d))
}
ip_in_range() {
    [[ "$1" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || return 1
    local n
    n="$(ip4_num "$1")"
    [ "$n" -ge "$(ip4_num "$2")" ] && [ "$n" -le "$(ip4_num "$3")" ]
}

# --- A: strongSwan's pool, cygnetd asks ----------------------------------
log "A: cygnetd initiator requests a virtual IP from strongSwan"
ss_pool ss sspool 10.3.0.0/28 dns=10.3.0.53
# responder side: remote_ts dynamic = the address it hands out
ss_peer_conn home pools=sspool child.remote_ts=
ss_load ss
cg_peer_conn home vip=ipv4 local-ts=dynamic start=start
cg_start cg cg

ss_wait_established ss home 5 || fail "A: strongSwan has no established SAs"
vip="$(ss_vips ss home remote)"
ip_in_range "$vip" 10.3.0.1 10.3.0.14 || fail "A: strongSwan shows no virtual IP from 10.3.0.0/28 for cygnet: '$vip'"
log "A: strongSwan assigned $vip"
assert_match "A: strongSwan's CHILD_SA remote TS is the virtual IP" "^    remote $(re_escape "$vip")/32" \
    "$(ss_list_sas ss)"
assert_match "A: strongSwan's lease is online" "$(re_escape "$vip") +online +'$CG_ID'" \
    "$(ss_swanctl ss --list-pools --leases 2>/dev/null)"
cg_wait_log cg "$(cg_re_vip_assigned "$vip")" 5 >/dev/null ||
    fail "A: cygnetd did not log the virtual IP $vip"
cg_wait_log cg "$(cg_re_dns_assigned 10.3.0.53)" 5 >/dev/null ||
    fail "A: cygnetd did not log the DNS server 10.3.0.53"

rc=0
cg_stop cg || rc=$?
[ "$rc" = 0 ] || fail "A: cygnetd exited with status $rc on SIGTERM"
if ! ss_wait_no_sas ss 3 2>/dev/null; then
    log "warning: strongSwan kept the IKE_SA after cygnetd's SIGTERM; forcing it down"
    ss_terminate ss home --force || true
    ss_wait_no_sas ss 3
fi

# --- B: cygnetd's pool, strongSwan asks ----------------------------------
log "B: strongSwan initiator requests a virtual IP from cygnetd"
ss_clear_conf ss
ss_peer_conn road vips=0.0.0.0 child.local_ts=dynamic
ss_load ss
cg_clear_conf cg
cg_pool cg cgpool 10.4.0.0/28
cg_peer_conn road remote=%any pools=cgpool dns=10.4.0.53 remote-ts=dynamic
mark="$(cg_log_mark cg)"
cg_start cg cg

ss_initiate ss road 10 || fail "B: swanctl --initiate failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
ss_wait_established ss road 5 || fail "B: strongSwan has no established SAs"
vip="$(ss_vips ss road local)"
ip_in_range "$vip" 10.4.0.1 10.4.0.14 ||
    fail "B: strongSwan got no virtual IP from cygnetd's pool 10.4.0.0/28: '$vip'"
log "B: cygnetd assigned $vip"
assert_match "B: strongSwan's CHILD_SA local TS is the virtual IP" "^    local  $(re_escape "$vip")/32" \
    "$(ss_list_sas ss)"
grep -q '10\.4\.0\.53' "$(ss_dir ss)/resolv.conf" ||
    fail "B: strongSwan did not receive the DNS server 10.4.0.53 (its resolv.conf: $(cat "$(ss_dir ss)/resolv.conf"))"
cg_wait_log cg "$(cg_re_ike_up road)" 5 "$mark" >/dev/null || fail "B: cygnetd did not log the IKE_SA up"
cg_wait_log cg "$(cg_re_pool_lease "$vip")" 5 "$mark" >/dev/null ||
    fail "B: cygnetd did not log the lease of $vip"

mark="$(cg_log_mark cg)"
ss_terminate ss road || fail "B: swanctl --terminate failed"
ss_wait_no_sas ss 5 || fail "B: IKE_SA not deleted"
cg_wait_log cg "$(cg_re_pool_release "$vip")" 5 "$mark" >/dev/null ||
    fail "B: cygnetd did not log the release of $vip after the delete"

# the address went back to the pool: a new IKE_SA gets a valid one again
ss_initiate ss road 10 || fail "B: second swanctl --initiate failed"
ss_wait_established ss road 5 || fail "B: second IKE_SA not established"
vip2="$(ss_vips ss road local)"
ip_in_range "$vip2" 10.4.0.1 10.4.0.14 || fail "B: second virtual IP not from the pool: '$vip2'"
log "B: after release, cygnetd assigned $vip2"
ss_terminate ss road || true

cg_assert_clean_log cg
log PASS
