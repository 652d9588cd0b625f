#!/bin/bash
# User-space ESP (uesp) against strongSwan's kernel-libipsec:
#  1. every ESP suite the engine negotiates (tests/lib/families.sh): ping
#     both ways (kernel-libipsec has no extended sequence numbers: ESN is
#     covered cygnet to cygnet in test-uesp-esn.sh)
#  2. strongSwan initiates, cygnetd responds: ping both ways
#  3. iperf3 TCP for a few seconds in each direction
#  4. the TUN MTU accounts for the ESP overhead, and a packet too big for
#     the SA's path gets an ICMP "fragmentation needed" back
#  5. a virtual IP from strongSwan's pool goes on the TUN device and is the
#     source of what cygnet sends through the tunnel
#  6. a full tunnel (remote 0.0.0.0/0): everything goes through it, even to
#     strongSwan's own address, except IKE, which bypasses it (a rekey
#     still works)
# strongSwan with kernel-libipsec always encapsulates in UDP ("faking a
# NAT situation"), so this is ESP-in-UDP on port 4500 (RFC 3948).
# Usage: test-uesp-traffic.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-dataplane.sh"
require_cmd iperf3
dp_setup uesp-traffic "${1:-}"

ss_peer_conn home
ss_load ss

stop_cg() {
    local rc=0
    cg_stop cg || rc=$?
    [ "$rc" = 0 ] || fail "cygnetd exited with status $rc on SIGTERM"
    if ! ss_wait_no_sas ss 3 2>/dev/null; then
        ss_terminate ss home --force || true
        ss_wait_no_sas ss 3 || fail "strongSwan's IKE_SA would not go away"
    fi
}

# --- 1. every suite --------------------------------------------------------
suites=()
for i in "${!CG_FAMILIES[@]}"; do
    cg_family "$i"
    suites+=("$FAM_IKE|$FAM_ESP")
done
for s in "${suites[@]}"; do
    ike="${s%%|*}" esp="${s#*|}"
    log "suite $esp"
    cg_clear_conf cg
    cg_peer_conn home ike="$ike" esp="$esp" start=start
    mark="$(cg_log_mark cg)"
    cg_start cg cg
    cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null ||
        fail "$esp: cygnetd did not log the CHILD_SA established"
    ss_wait_established ss home 10 || fail "$esp: strongSwan has no established SAs"
    dp_ping cg "$SS_INNER" "$CG_INNER" 5 || fail "$esp: no ping from cygnet to strongSwan"
    dp_ping ss "$CG_INNER" "$SS_INNER" 5 || fail "$esp: no ping from strongSwan to cygnet"
    # a large packet too (one full MTU after the ESP overhead)
    dp_ping cg "$SS_INNER" "$CG_INNER" 2 1300 || fail "$esp: no 1300-byte ping"
    stop_cg
done

# --- 2. strongSwan initiates; IPv4 and IPv6 inside ---------------------------
log "strongSwan initiates, cygnetd responds; dual-stack selectors"
CG_INNER6=fd71::1 SS_INNER6=fd72::1
ns_addr_lo cg "$CG_INNER6/128"
ns_addr_lo ss "$SS_INNER6/128"
ss_clear_conf ss
ss_peer_conn home child.local_ts="$SS_INNER/32,$SS_INNER6/128" \
    child.remote_ts="$CG_INNER/32,$CG_INNER6/128"
ss_load ss
cg_clear_conf cg
cg_peer_conn home local-ts="$CG_INNER/32,$CG_INNER6/128" remote-ts="$SS_INNER/32,$SS_INNER6/128"
mark="$(cg_log_mark cg)"
cg_start cg cg
ss_initiate ss home 10 || fail "strongSwan could not initiate to cygnetd"
cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null ||
    fail "cygnetd (responder) did not log the CHILD_SA established"
dp_ping_both
dp_ping cg "$SS_INNER6" "$CG_INNER6" 3 || fail "no IPv6 ping from cygnet to strongSwan"
dp_ping ss "$CG_INNER6" "$SS_INNER6" 3 1200 || fail "no IPv6 ping from strongSwan to cygnet"

# --- 3. iperf3 ---------------------------------------------------------------
up="$(dp_iperf ss cg "$SS_INNER" 3 -B "$CG_INNER")" || fail "iperf3 cygnet -> strongSwan failed"
down="$(dp_iperf cg ss "$CG_INNER" 3 -B "$SS_INNER")" || fail "iperf3 strongSwan -> cygnet failed"
log "iperf3 TCP: cygnet -> strongSwan $up Mbit/s, strongSwan -> cygnet $down Mbit/s"
[ "$up" -gt 0 ] && [ "$down" -gt 0 ] || fail "iperf3 moved no data"

# --- 4. MTU and ICMP too big -------------------------------------------------
tun="$(dp_tun cg)"
[ -n "$tun" ] || fail "cygnetd did not log its TUN device"
mtu="$(ns_exec cg cat "/sys/class/net/$tun/mtu")"
# AES-GCM in UDP over IPv4 on a 1500-byte link: 1500 - 20 - 8 - 8 - 8 - 16,
# rounded so the trailer ends on 4 bytes, minus the 2 trailer bytes
assert_eq "TUN MTU after the ESP overhead" 1438 "$mtu"
# make the device claim more than the SA carries: the data plane itself
# must answer with "fragmentation needed" (RFC 1191)
ns_exec cg ip link set "$tun" mtu 1500
before="$(dp_counter cg too-big)"
out="$(ns_exec cg ping -c 2 -W 1 -M do -s 1472 -I "$CG_INNER" "$SS_INNER" 2>&1 || true)"
assert_match "ping with DF beyond the SA's MTU" "(mtu ?= ?1438|Frag needed)" "$out"
dp_wait_counter cg too-big $((before + 1)) 5 || fail "the too-big drop was not counted"
ns_exec cg ip link set "$tun" mtu "$mtu"
dp_ping cg "$SS_INNER" "$CG_INNER" 2 1300 || fail "no ping after the MTU test"

stop_cg

# --- 5. virtual IP -------------------------------------------------------------
log "virtual IP from strongSwan's pool"
ss_clear_conf ss
ss_pool ss vpool 10.73.0.0/28
ss_peer_conn home pools=vpool child.remote_ts=
ss_load ss
cg_clear_conf cg
cg_peer_conn home vip=ipv4 local-ts=dynamic start=start
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "VIP: no CHILD_SA"
vip="$(ss_vips ss home remote)"
[[ "$vip" == 10.73.0.* ]] || fail "VIP: strongSwan shows no address from its pool: '$vip'"
tun="$(dp_tun cg)"
assert_match "VIP $vip on $tun" "inet $(re_escape "$vip")/32" "$(ns_exec cg ip -4 addr show dev "$tun")"
assert_match "the route through $tun prefers the VIP" "src $(re_escape "$vip")" \
    "$(ns_exec cg ip route get "$SS_INNER")"
# no -I: the route's source address must do
out="$(ns_exec cg ping -c 3 -i 0.2 -W 2 "$SS_INNER" 2>&1)" || fail "VIP: no ping to $SS_INNER:
$out"
dp_ping ss "$vip" "$SS_INNER" 3 || fail "VIP: no ping from strongSwan to $vip"
stop_cg

# --- 6. full tunnel, IKE bypasses it --------------------------------------------
log "full tunnel (0.0.0.0/0) with a rekey"
ss_clear_conf ss
ss_peer_conn home child.local_ts=0.0.0.0/0 child.rekey_time=1h
ss_load ss
cg_clear_conf cg
cg_peer_conn home remote-ts=0.0.0.0/0 start=start child-rekey-time=3s child-life-time=20s
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "full tunnel: no CHILD_SA"
assert_match "default route through the tunnel" "dev $(re_escape "$(dp_tun cg)")" \
    "$(ns_exec cg ip route get 192.0.2.1 from "$CG_INNER")"
dp_ping cg "$SS_INNER" "$CG_INNER" 3 || fail "full tunnel: no ping to $SS_INNER"
# strongSwan's outer address too goes through the tunnel now
before="$(ss_child_packets ss home in)"
dp_ping cg "$SS_ADDR" "$CG_INNER" 3 || fail "full tunnel: no ping to $SS_ADDR through the tunnel"
after="$(ss_child_packets ss home in)"
[ "$after" -gt "$before" ] || fail "full tunnel: the ping to $SS_ADDR did not go through the tunnel"
# IKE does not: the CHILD_SA rekeys (over IKE on the same address) go on
cg_wait_log cg "$(cg_re_child_up home)" 10 "$(cg_log_mark cg)" >/dev/null ||
    fail "full tunnel: no rekey: IKE went into the tunnel"
dp_ping cg "$SS_INNER" "$CG_INNER" 3 || fail "full tunnel: no ping after the rekey"
stop_cg
cg_assert_clean_log cg
log PASS
