#!/bin/bash
# Address-family fallback with cygnetd as initiator against strongSwan: the
# gateway's name resolves to an IPv6 and an IPv4 address of it, and one
# family is silently dropped by nftables in the gateway's namespace:
#  - address-family=ipv6-first, IPv6 dropped: cygnetd logs that fd70::2
#    did not answer within the first retransmission timeout, tries
#    10.70.0.2, and `cygnetctl up` succeeds within seconds; strongSwan
#    sees the IKE_SA from our IPv4 address; a ping goes through;
#  - the reverse (ipv4-first, IPv4 dropped): up over IPv6;
#  - a name whose IPv6 address has no route: skipped at once, no waiting;
#  - both dropped: `cygnetctl up` fails and the reason names both
#    addresses; ipv4-only never tries the IPv6 address.
# Usage: test-family-fallback-cygnetd.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/interop.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-family.sh"
export CG_DATAPLANE="${CG_DATAPLANE:-uesp}"

CG_ADDR6=fd70::1 SS_ADDR6=fd70::2
interop_setup fam-cygnetd "${1:-}"
fam_init
require_cmd nft
[ -e /proc/net/if_inet6 ] || skip_or_fail "the kernel has no IPv6"
CTL="$(dirname "$CYGNETD")/../cygnetctl/cygnetctl"
[ -x "$CTL" ] || fail "cygnetctl not found next to cygnetd ($CTL)"
ctl() { "$CTL" --socket "$(cg_dir cg)/cygnetd.sock" --color=never "$@"; }

# the veth carries IPv6 too
ip -n "$(ns_name cg)" addr add "$CG_ADDR6/64" dev eth0 nodad
ip -n "$(ns_name ss)" addr add "$SS_ADDR6/64" dev eth0 nodad

GW="gw-$CG_RUN_ID.test"          # both families
GW_NOROUTE="nr-$CG_RUN_ID.test" # an IPv6 address without a route, and IPv4
fam_hosts cg "$GW" "$SS_ADDR6" "$SS_ADDR"
fam_hosts cg "$GW_NOROUTE" fd99::2 "$SS_ADDR"

ss_peer_conn rw local_addrs="$SS_ADDR,$SS_ADDR6" remote_addrs="$CG_ADDR,$CG_ADDR6"
ss_load ss
# no local address: the family follows the gateway address being tried
common=(local= remote="$GW" retransmit-timeout=1s retransmit-tries=2)
cg_peer_conn v6first "${common[@]}" address-family=ipv6-first
cg_peer_conn v4first "${common[@]}" address-family=ipv4-first
cg_peer_conn noroute "${common[@]}" remote="$GW_NOROUTE" address-family=ipv6-first
cg_peer_conn v4only "${common[@]}" address-family=ipv4-only retransmit-timeout=300ms
cg_peer_conn both "${common[@]}" address-family=ipv6-first retransmit-timeout=300ms
cg_start cg cg

# up_ms CONN: `cygnetctl up CONN`; UP_OUT its output, UP_MS the time
up_ms() {
    local t0 rc=0
    t0="$(now_ms)"
    UP_OUT="$(ctl up "$1" --timeout 30 2>&1)" || rc=$?
    UP_MS=$(($(now_ms) - t0))
    log "cygnetctl up $1: status $rc after $UP_MS ms: ${UP_OUT//$'\n'/ | }"
    return "$rc"
}

# strongSwan's view of the IKE_SA: which of our addresses it came from
ss_peer_addr() {
    ss_list_sas ss | sed -nE "s/^ +remote +'$CG_ID' @ ([0-9a-f.:]+)\[[0-9]+\].*/\1/p" | head -n1
}

down() {
    ctl down "$1" >/dev/null || fail "cygnetctl down $1 failed"
    ss_wait_no_sas ss 10 || fail "strongSwan still has SAs after down $1"
}

# --- IPv6 first, IPv6 dropped: falls back to IPv4 -------------------------
fam_drop ss "$SS_ADDR6"
mark="$(cg_log_mark cg)"
up_ms v6first || fail "v6first did not come up: $UP_OUT"
cg_wait_log cg "v6first\[[0-9]+\].*$GW is $(re_escape "$SS_ADDR6"), $(re_escape "$SS_ADDR") \(address-family ipv6-first\)" \
    2 "$mark" >/dev/null || fail "cygnetd did not log the order of $GW's addresses"
cg_wait_log cg "$(re_escape "$SS_ADDR6") did not answer IKE_SA_INIT within 1000 ms, trying $(re_escape "$SS_ADDR")" \
    2 "$mark" >/dev/null || fail "cygnetd did not log the fallback to IPv4"
[ "$(fam_dropped ss)" -ge 1 ] || fail "nothing was sent to $SS_ADDR6 (the rule dropped nothing)"
assert_eq "strongSwan sees the IKE_SA from our IPv4 address" "$CG_ADDR" "$(ss_peer_addr)"
[ "$UP_MS" -le 10000 ] || fail "the fallback took $UP_MS ms"
interop_ping
log "ipv6-first, IPv6 dropped: up over IPv4 after $UP_MS ms"
down v6first
fam_undrop ss

# --- IPv4 first, IPv4 dropped: falls back to IPv6 --------------------------
fam_drop ss "$SS_ADDR"
mark="$(cg_log_mark cg)"
up_ms v4first || fail "v4first did not come up: $UP_OUT"
cg_wait_log cg "$(re_escape "$SS_ADDR") did not answer IKE_SA_INIT within 1000 ms, trying $(re_escape "$SS_ADDR6")" \
    2 "$mark" >/dev/null || fail "cygnetd did not log the fallback to IPv6"
assert_eq "strongSwan sees the IKE_SA from our IPv6 address" "$CG_ADDR6" "$(ss_peer_addr)"
[ "$UP_MS" -le 10000 ] || fail "the fallback took $UP_MS ms"
interop_ping
log "ipv4-first, IPv4 dropped: up over IPv6 after $UP_MS ms"
down v4first
fam_undrop ss

# --- an IPv6 address without a route: skipped at once -----------------------
mark="$(cg_log_mark cg)"
up_ms noroute || fail "noroute did not come up: $UP_OUT"
cg_wait_log cg "noroute\[[0-9]+\].*skipping fd99::2 of $GW_NOROUTE: .*no route" 2 "$mark" >/dev/null ||
    fail "cygnetd did not log that fd99::2 has no route"
[ "$(cg_log_count cg "did not answer IKE_SA_INIT" "$mark")" = 0 ] ||
    fail "cygnetd waited for an address without a route"
assert_eq "strongSwan sees the IKE_SA from our IPv4 address" "$CG_ADDR" "$(ss_peer_addr)"
log "no route to the IPv6 address: up over IPv4 after $UP_MS ms"
down noroute

# --- ipv4-only: never tries IPv6, fails with IPv4 dropped ---------------------
fam_drop ss "$SS_ADDR"
mark="$(cg_log_mark cg)"
if up_ms v4only; then
    fail "v4only came up with IPv4 dropped"
fi
cg_wait_log cg "v4only\[[0-9]+\].*$GW is $(re_escape "$SS_ADDR") \(address-family ipv4-only\)" 2 "$mark" \
    >/dev/null || fail "ipv4-only: cygnetd did not try $SS_ADDR alone"
[ "$(cg_log_count cg "initiating to $(re_escape "$SS_ADDR6")\\[|trying $(re_escape "$SS_ADDR6")" "$mark")" = 0 ] ||
    fail "ipv4-only tried IPv6"

# --- both dropped: the reason names every address ------------------------------
fam_drop ss "$SS_ADDR6"
mark="$(cg_log_mark cg)"
if up_ms both; then
    fail "both came up with both families dropped"
fi
assert_match "the failure names the IPv6 address" "$(re_escape "$SS_ADDR6"): no answer within 300 ms" "$UP_OUT"
assert_match "the failure names the IPv4 address" "$(re_escape "$SS_ADDR"): no response after" "$UP_OUT"
fam_undrop ss

cg_assert_clean_log cg
log PASS
