#!/bin/bash
# A NAT mapping that changes under a MOBIKE client: cygnetd sits behind a
# NAT router (nftables masquerade) whose outside address changes, so the
# gateway suddenly sees the client from another address. cygnetd's
# liveness checks carry NAT detection (RFC 4555 3.8): the answer shows the
# changed mapping, an UPDATE_SA_ADDRESSES follows, and traffic through the
# tunnel comes back within a liveness interval (1 s here) plus a round
# trip, on the same IKE_SA.
#  A. strongSwan as the gateway;
#  B. cygnetd as the gateway (it also follows a NAT-ed peer at once,
#     RFC 7296 2.23).
# Usage: test-roam-nat.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-policy.sh"
require_root
require_cmd ip nft ping python3 charon swanctl
require_file /dev/net/tun
cg_require_cygnetd "${1:-}"
harness_init roam-nat
export CG_DATAPLANE="${CG_DATAPLANE:-uesp}"

# rw 10.86.0.2 -- router (masquerade) 10.87.0.1 -- gw 10.87.0.2
ns_create rw
ns_create gw
nat_router nat rw 10.86.0 gw 10.87.0
ns_exec nat sysctl -q -w net.ipv4.conf.out0.promote_secondaries=1
ns_addr_lo rw "$RW_INNER/32"
ns_addr_lo gw "$GW_INNER/32"
NAT_OUT=10.87.0.1

# the router's outside address changes: its masquerade mappings go with it
remap() {
    local new="$1" ns
    ns="$(ns_name nat)"
    ip -n "$ns" addr add "$new/24" dev out0
    ip -n "$ns" addr del "$NAT_OUT/24" dev out0
    NAT_OUT="$new"
}

client_up() {
    cg_clear_conf rw
    cg_conn rw roam remote=10.87.0.2 local-id=rw.test remote-id=gw.test auth=psk \
        ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 local-ts="$RW_INNER/32" \
        remote-ts="$GW_INNER/32" retransmit-timeout=500ms retransmit-tries=3 dpd-delay=1s \
        start=start
    cg_psk rw main "$ROAM_PSK" rw.test gw.test
    cg_start rw rw
    cg_wait_log rw "$(cg_re_child_up roam)" 10 >/dev/null || fail "$1: no tunnel"
    ping_through rw "$GW_INNER" "$RW_INNER" || fail "$1: no ping through the tunnel"
    grep -q "we are behind a NAT" "$(cg_log rw)" || fail "$1: cygnetd does not see the NAT"
}

# remap_during_ping STEP NEW_OUTSIDE_ADDR
remap_during_ping() {
    local step="$1" t0 lost gap resumed
    roam_ping_start 5
    sleep 1.5
    t0="$(now_ms)"
    remap "$2"
    roam_ping_wait
    read -r lost gap resumed <<<"$(roam_ping_report "$t0")"
    log "$step: $lost packets lost, longest gap $gap ms, traffic back $resumed ms after the change"
    echo "$step lost=$lost gap_ms=$gap resumed_ms=$resumed" >>"$CG_TMP/results.txt"
    if [ "$resumed" -lt 0 ] || [ "$resumed" -gt 2500 ]; then
        fail "$step: traffic back only $resumed ms after the change (2500 allowed)"
    fi
}

# --- A. strongSwan ---------------------------------------------------------
ss_start gw gw retransmit_timeout=0.5
ss_conn gw roam local_addrs=10.87.0.2 remote_addrs=%any local_id=gw.test remote_id=rw.test \
    proposals=aes256gcm16-prfsha256-x25519
ss_child gw roam roam local_ts="$GW_INNER/32" remote_ts="$RW_INNER/32" esp_proposals=aes256gcm16
ss_psk gw roam "$ROAM_PSK" gw.test rw.test
ss_load gw
client_up A
spis="$(ss_ike_spis gw roam)"
ike_id="$(cg_ike_field rw roam id)"
mark="$(cg_log_mark rw)"
remap_during_ping "A (strongSwan)" 10.87.0.9
cg_wait_log rw "our NAT mapping changed" 3 "$mark" >/dev/null ||
    fail "A: cygnetd did not notice the changed mapping"
assert_eq "A: strongSwan's IKE_SA (SPIs)" "$spis" "$(ss_ike_spis gw roam)"
assert_eq "A: strongSwan's view of the client" 10.87.0.9 "$(ss_remote_of gw roam)"
assert_eq "A: cygnetd's IKE_SA" "$ike_id" "$(cg_ike_field rw roam id)"
cg_stop rw || true
ss_kill gw TERM

# --- B. cygnetd ------------------------------------------------------------
cg_conn gw roam local=10.87.0.2 local-id=gw.test remote-id=rw.test auth=psk \
    ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 local-ts="$GW_INNER/32" \
    remote-ts="$RW_INNER/32"
cg_psk gw main "$ROAM_PSK" gw.test rw.test
cg_start gw gw
client_up B
gw_id="$(cg_ike_field gw roam id)"
mark="$(cg_log_mark gw)"
remap_during_ping "B (cygnetd)" 10.87.0.5
cg_wait_log gw "peer address changed from 10\.87\.0\.9\[[0-9]+\] to 10\.87\.0\.5" 3 "$mark" >/dev/null ||
    fail "B: the gateway did not follow the new mapping"
assert_eq "B: the gateway's view of the client" 10.87.0.5 "$(cg_ike_field gw roam remote_address)"
assert_eq "B: the gateway's IKE_SA" "$gw_id" "$(cg_ike_field gw roam id)"

cg_assert_clean_log rw
cg_assert_clean_log gw
log PASS
