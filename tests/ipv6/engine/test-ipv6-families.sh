#!/bin/bash
# IKE and ESP over each address family, with each family inside, cygnetd
# initiating to a strongSwan gateway that hands out a virtual IP from its
# pool of the inner family (user-space ESP on cygnet's side):
#   4-in-4, 6-in-6, 4-in-6 (IPv4 inside, IPv6 outer), 6-in-4.
# For each case a user would check: strongSwan's `swanctl --list-sas` shows
# the IKE_SA between the outer addresses of the family asked for and the
# virtual IP it gave; cygnetd reports the same virtual IP (with the prefix
# length of INTERNAL_IP6_ADDRESS, RFC 7296 3.15.1) and puts it on its TUN
# device; ping / ping6 from the virtual IP to the gateway's inner address
# is answered, and strongSwan counts the packets on its CHILD_SA.
# Usage: test-ipv6-families.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ipv6.sh"
v6_setup ipv6-families "${1:-}"

ss_pool ss pool4 10.73.0.0/28
ss_pool ss pool6 fd73::/120

# one_case INNER OUTER
one_case() {
    local inner="$1" outer="$2" name="c${1}in${2}"
    log "--- $inner-in-$outer: cygnetd initiates over IPv$outer, asks for an IPv$inner address"
    v6_outer "$outer"
    local ss_inner pool vip_kind host_len vip_re
    if [ "$inner" = 6 ]; then
        ss_inner="$SS_INNER6" pool=pool6 vip_kind=ipv6 host_len=128 vip_re='^fd73::[0-9a-f]{1,2}$'
    else
        ss_inner="$SS_INNER" pool=pool4 vip_kind=ipv4 host_len=32 vip_re='^10\.73\.0\.([1-9]|1[0-4])$'
    fi
    ss_clear_conf ss
    ss_pool ss pool4 10.73.0.0/28
    ss_pool ss pool6 fd73::/120
    ss_peer_conn "$name" pools="$pool" child.local_ts="$ss_inner/$host_len" child.remote_ts=
    ss_load ss
    cg_clear_conf cg
    cg_peer_conn "$name" vip="$vip_kind" local-ts=dynamic remote-ts="$ss_inner/$host_len" start=start
    local mark
    mark="$(cg_log_mark cg)"
    cg_start cg cg
    cg_wait_log cg "$(cg_re_child_up "$name")" 15 "$mark" >/dev/null ||
        fail "$inner-in-$outer: cygnetd did not log the CHILD_SA established"
    ss_wait_established ss "$name" 10 || fail "$inner-in-$outer: strongSwan has no established SAs"

    # strongSwan's view: outer addresses of the right family, the VIP
    local block vip
    block="$(v6_ss_sa_block ss "$name")"
    assert_match "$inner-in-$outer: strongSwan's IKE_SA runs over $SS_ADDR" \
        "local +'$SS_ID' @ $(re_escape "$SS_ADDR")\[(500|4500)\]" "$block"
    assert_match "$inner-in-$outer: strongSwan's IKE_SA peer is $CG_ADDR" \
        "remote +'$CG_ID' @ $(re_escape "$CG_ADDR")\[(500|4500)\]" "$block"
    vip="$(ss_vips ss "$name" remote)"
    [[ "$vip" =~ $vip_re ]] || fail "$inner-in-$outer: strongSwan shows no virtual IP from $pool: '$vip'"
    assert_match "$inner-in-$outer: strongSwan's CHILD_SA remote TS is the virtual IP" \
        "^    remote $(re_escape "$vip")/$host_len" "$block"
    log "$inner-in-$outer: strongSwan assigned $vip"

    # cygnetd's view: the log, cygnetctl and the TUN device
    cg_wait_log cg "received virtual IP $(re_escape "$vip")( |$)" 5 "$mark" >/dev/null ||
        fail "$inner-in-$outer: cygnetd did not report the virtual IP $vip"
    if [ "$inner" = 6 ]; then
        # RFC 7296 3.15.1: INTERNAL_IP6_ADDRESS is an address and a prefix
        # length; cygnetd reports both and installs the address alone
        cg_wait_log cg "received virtual IP $(re_escape "$vip") \(prefix length [0-9]+\)" 5 "$mark" \
            >/dev/null || fail "$inner-in-$outer: cygnetd did not report the prefix length"
    fi
    assert_eq "$inner-in-$outer: cygnetctl's virtual IP" "$vip" "$(v6_cg_sa_field cg local_vips)"
    local tun
    tun="$(v6_tun cg)"
    [ -n "$tun" ] || fail "cygnetd did not log its TUN device"
    assert_match "$inner-in-$outer: virtual IP on $tun" \
        "inet6? $(re_escape "$vip")/$host_len" "$(ns_exec cg ip addr show dev "$tun")"

    # traffic both ways; no -I on the first: the route's source must be the VIP
    local before after out
    before="$(ss_child_packets ss "$name" in)"
    out="$(ns_exec cg ping -c 3 -i 0.2 -W 2 "$ss_inner" 2>&1)" ||
        fail "$inner-in-$outer: no ping reply from $ss_inner (source from the route):
$out"
    v6_ping cg "$ss_inner" "$vip" 3 1200 || fail "$inner-in-$outer: no 1200-byte ping from $vip"
    v6_ping ss "$vip" "$ss_inner" 3 || fail "$inner-in-$outer: no ping from strongSwan to $vip"
    after="$(ss_child_packets ss "$name" in)"
    [ "$after" -ge $((before + 7)) ] ||
        fail "$inner-in-$outer: strongSwan counted $((after - before)) packets in, expected >= 7"

    v6_stop_both "$name"
    # the VIP left with the IKE_SA
    if ns_exec cg ip link show "$tun" >/dev/null 2>&1; then
        assert_no_match "$inner-in-$outer: VIP removed from $tun" "$(re_escape "$vip")/" \
            "$(ns_exec cg ip addr show dev "$tun")"
    fi
    cg_assert_clean_log cg
}

one_case 4 4
one_case 6 6
one_case 4 6
one_case 6 4
log PASS
