#!/bin/bash
# CHILD_SA and IKE_SA rekeys (RFC 7296 1.3.2, 1.3.3, 2.8) forced early by
# short lifetimes, in four combinations: who set up the IKE_SA (cygnet or
# strongSwan) x who rekeys (cygnet or strongSwan). For each, strongSwan's
# own view must show new CHILD_SA SPIs and a new IKE_SA SPI pair while the
# IKE_SA stays up, and in the end exactly one IKE_SA and one CHILD_SA (no
# duplicates left behind).
# Usage: test-rekey.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
interop_setup rekey "${1:-}"

# Rekey times that do not coincide (3, 6 / 5 s): strongSwan 5.9 drops a
# CHILD_SA rekey that fires while its IKE_SA is being rekeyed ("CHILD_SA
# ... not found for rekey") and would then only replace it at expiry.
CHILD_REKEY_S=3
IKE_REKEY_S=5
# long enough not to interfere during a phase
LONG=1h

# watch_rekeys CONN TIMEOUT_S: poll strongSwan's --list-sas, collecting
# distinct IKE SPI pairs and CHILD_SA SPIs, until at least 2 IKE pairs and
# 3 CHILD_SA SPI pairs were seen (initial + 1 IKE rekey + 2 child rekeys).
watch_rekeys() {
    local conn="$1" timeout="$2" deadline spis
    local -A ike_seen=() child_seen=()
    deadline=$(($(now_ms) + $(to_ms "$timeout")))
    while :; do
        # the old IKE_SA is REKEYING/REKEYED while the new one comes up
        [ "$(ss_ike_count ss "$conn" '(ESTABLISHED|REKEYING|REKEYED)')" -ge 1 ] ||
            fail "strongSwan: IKE_SA $conn no longer ESTABLISHED during rekeys:
$(ss_list_sas ss)"
        while read -r spis; do
            [ -n "$spis" ] && ike_seen["$spis"]=1
        done < <(ss_ike_spis ss "$conn")
        while read -r spis; do
            [ -n "$spis" ] && child_seen["$spis"]=1
        done < <(ss_child_spis ss "$conn")
        if [ "${#ike_seen[@]}" -ge 2 ] && [ "${#child_seen[@]}" -ge 3 ]; then
            log "seen ${#ike_seen[@]} IKE SPI pairs, ${#child_seen[@]} CHILD_SA SPI pairs"
            return 0
        fi
        [ "$(now_ms)" -lt "$deadline" ] ||
            fail "after ${timeout}s strongSwan showed ${#ike_seen[@]} IKE SPI pair(s) (want 2) and ${#child_seen[@]} CHILD_SA SPI pair(s) (want 3):
$(ss_list_sas ss)"
        sleep 0.2
    done
}

# settle CONN: after the last rekey, exactly one IKE_SA and one CHILD_SA
# remain (old ones deleted, no duplicates from collisions).
settle() {
    local conn="$1"
    wait_for test_counts "$conn" 5 ||
        fail "strongSwan: want 1 IKE_SA and 1 CHILD_SA of $conn, have $(ss_ike_count ss "$conn" any) and $(ss_child_count ss "$conn" live):
$(ss_list_sas ss)"
}
test_counts() {
    [ "$(ss_ike_count ss "$1" any)" = 1 ] && [ "$(ss_ike_count ss "$1")" = 1 ] &&
        [ "$(ss_child_count ss "$1" live)" = 1 ] && [ "$(ss_child_count ss "$1")" = 1 ]
}

# phase INITIATOR REKEYER: INITIATOR and REKEYER are "cygnet" or "strongswan"
phase() {
    local initiator="$1" rekeyer="$2" conn="r-$1-$2"
    log "phase: $initiator sets up $conn, $rekeyer rekeys"
    local -a ss_life cg_life
    if [ "$rekeyer" = strongswan ]; then
        ss_life=(rekey_time="${IKE_REKEY_S}s" over_time=10s rand_time=0
            child.rekey_time="${CHILD_REKEY_S}s" child.life_time=20s child.rand_time=0)
        cg_life=(rekey-time="$LONG" child-rekey-time="$LONG")
    else
        ss_life=(rekey_time="$LONG" child.rekey_time="$LONG")
        cg_life=(rekey-time="${IKE_REKEY_S}s" rand-time=0 child-rekey-time="${CHILD_REKEY_S}s"
            child-life-time=20s)
    fi
    ss_clear_conf ss
    ss_peer_conn "$conn" "${ss_life[@]}"
    ss_load ss
    cg_clear_conf cg
    if [ "$initiator" = cygnet ]; then
        cg_peer_conn "$conn" "${cg_life[@]}" start=start
    else
        cg_peer_conn "$conn" "${cg_life[@]}"
    fi
    local mark
    mark="$(cg_log_mark cg)"
    cg_start cg cg
    if [ "$initiator" = strongswan ]; then
        ss_initiate ss "$conn" 10 || fail "swanctl --initiate $conn failed"
    fi
    ss_wait_established ss "$conn" 5 || fail "$conn not established"
    cg_wait_log cg "$(cg_re_ike_up "$conn")" 5 "$mark" >/dev/null || fail "cygnetd did not log $conn up"

    watch_rekeys "$conn" $((IKE_REKEY_S + 3 * CHILD_REKEY_S + 4))
    sleep 1
    settle "$conn"
    cg_alive cg || fail "cygnetd died during the rekeys"
    # cygnet's view of the same rekeys
    # (a rekeyed CHILD_SA logs "established" again)
    [ "$(cg_log_count cg "$(cg_re_child_up "$conn")" "$mark")" -ge 2 ] ||
        fail "cygnetd logged no CHILD_SA rekey of $conn"
    [ "$(cg_log_count cg "$(cg_re_ike_rekeyed "$conn")" "$mark")" -ge 1 ] ||
        fail "cygnetd logged no IKE_SA rekey of $conn"
    interop_ping

    rc=0
    cg_stop cg || rc=$?
    [ "$rc" = 0 ] || fail "cygnetd exited with status $rc on SIGTERM"
    if ! ss_wait_no_sas ss 3 2>/dev/null; then
        log "warning: strongSwan kept the IKE_SA after cygnetd's SIGTERM; forcing it down"
        ss_terminate ss "$conn" --force || true
        ss_wait_no_sas ss 3
    fi
}

phase cygnet cygnet
phase cygnet strongswan
phase strongswan strongswan
phase strongswan cygnet

cg_assert_clean_log cg
log PASS
