#!/bin/bash
# cygnetd as the gateway: a strongSwan client initiates and asks for a
# virtual IP of the inner family from cygnetd's pool, over each outer
# family: 4-in-4, 6-in-6, 4-in-6, 6-in-4. For each case:
#  - strongSwan's `swanctl --list-sas` shows the IKE_SA between the outer
#    addresses of that family and the address from cygnetd's pool, and it
#    received the DNS server of the inner family (INTERNAL_IP6_DNS for v6);
#  - cygnetd logs and shows (cygnetctl) the lease;
#  - ping / ping6 between strongSwan's virtual IP and cygnet's inner
#    address, both directions, through cygnet's user-space ESP;
#  - after strongSwan deletes the IKE_SA, cygnetd takes the address back
#    and the next client gets it again (pools of one address each).
# Usage: test-ipv6-responder.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ipv6.sh"
v6_setup ipv6-responder "${1:-}"

one_case() {
    local inner="$1" outer="$2" name="r${1}in${2}"
    log "--- $inner-in-$outer: strongSwan initiates over IPv$outer, asks cygnetd for an IPv$inner address"
    v6_outer "$outer"
    local cg_inner vip_req host_len pool range vip dns
    if [ "$inner" = 6 ]; then
        cg_inner="$CG_INNER6" vip_req=:: host_len=128 range=fd74::1 vip=fd74::1 dns=fd74::53
    else
        cg_inner="$CG_INNER" vip_req=0.0.0.0 host_len=32 range=10.74.0.1 vip=10.74.0.1 dns=10.74.0.53
    fi
    pool="cgpool$inner"
    ss_clear_conf ss
    ss_peer_conn "$name" vips="$vip_req" child.local_ts=dynamic child.remote_ts="$cg_inner/$host_len"
    ss_load ss
    cg_clear_conf cg
    cg_pool cg "$pool" "$range"
    cg_peer_conn "$name" remote=%any pools="$pool" dns="$dns" local-ts="$cg_inner/$host_len" \
        remote-ts=dynamic
    local mark
    mark="$(cg_log_mark cg)"
    cg_start cg cg

    ss_initiate ss "$name" 10 ||
        fail "$inner-in-$outer: swanctl --initiate failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
    ss_wait_established ss "$name" 5 || fail "$inner-in-$outer: strongSwan has no established SAs"
    local block
    block="$(v6_ss_sa_block ss "$name")"
    assert_match "$inner-in-$outer: strongSwan's IKE_SA over IPv$outer with the VIP" \
        "local +'$SS_ID' @ $(re_escape "$SS_ADDR")\[(500|4500)\] \[$(re_escape "$vip")\]" "$block"
    assert_match "$inner-in-$outer: strongSwan's peer is $CG_ADDR" \
        "remote +'$CG_ID' @ $(re_escape "$CG_ADDR")\[(500|4500)\]" "$block"
    assert_match "$inner-in-$outer: strongSwan's CHILD_SA local TS is the VIP" \
        "^    local  $(re_escape "$vip")/$host_len" "$block"
    grep -q -- "$(re_escape "$dns")" "$(ss_dir ss)/resolv.conf" ||
        fail "$inner-in-$outer: strongSwan did not receive the DNS server $dns (its resolv.conf: $(cat "$(ss_dir ss)/resolv.conf"))"
    cg_wait_log cg "$(cg_re_pool_lease "$vip")" 5 "$mark" >/dev/null ||
        fail "$inner-in-$outer: cygnetd did not log the lease of $vip"
    if [ "$inner" = 6 ]; then
        # RFC 7296 3.15.1: the address goes out with the pool's prefix
        # length; a pool of one address: 128
        cg_wait_log cg "assigned virtual IP $(re_escape "$vip") \(prefix length 128\)" 5 "$mark" \
            >/dev/null || fail "$inner-in-$outer: cygnetd did not report the prefix length it sent"
    fi
    assert_eq "$inner-in-$outer: cygnetctl's address given to the peer" "$vip" \
        "$(v6_cg_sa_field cg remote_vips)"

    v6_ping ss "$cg_inner" "$vip" 3 1200 || fail "$inner-in-$outer: no ping from strongSwan's $vip"
    v6_ping cg "$vip" "$cg_inner" 3 || fail "$inner-in-$outer: no ping from cygnet to $vip"

    mark="$(cg_log_mark cg)"
    ss_terminate ss "$name" || fail "$inner-in-$outer: swanctl --terminate failed"
    ss_wait_no_sas ss 5 || fail "$inner-in-$outer: IKE_SA not deleted"
    cg_wait_log cg "$(cg_re_pool_release "$vip")" 5 "$mark" >/dev/null ||
        fail "$inner-in-$outer: cygnetd did not take $vip back after the delete"
    assert_eq "$inner-in-$outer: cygnetctl shows no SA after the delete" "" "$(v6_cg_sa_field cg remote_vips)"
    ss_initiate ss "$name" 10 || fail "$inner-in-$outer: second swanctl --initiate failed"
    ss_wait_established ss "$name" 5 || fail "$inner-in-$outer: second IKE_SA not established"
    assert_eq "$inner-in-$outer: the address again" "$vip" "$(v6_ss_vips ss "$name" local)"
    ss_terminate ss "$name" || true
    ss_wait_no_sas ss 5 || true
    local rc=0
    cg_stop cg || rc=$?
    [ "$rc" = 0 ] || fail "cygnetd exited with status $rc on SIGTERM"
    cg_assert_clean_log cg
}

one_case 6 6
one_case 4 4
one_case 4 6
one_case 6 4
log PASS
