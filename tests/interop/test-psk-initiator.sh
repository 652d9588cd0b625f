#!/bin/bash
# cygnetd initiator -> strongSwan responder, PSK, once per proposal family
# (tests/lib/families.sh). strongSwan must report the IKE_SA ESTABLISHED
# with exactly the family's algorithms and the CHILD_SA INSTALLED with the
# matching ESP algorithms; cygnetd must log both as established.
# Usage: test-psk-initiator.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
interop_setup psk-initiator "${1:-}"

# strongSwan: a responder accepting every family
ss_peer_conn home
ss_load ss

for i in "${!CG_FAMILIES[@]}"; do
    cg_family "$i"
    log "family $FAM_IKE / $FAM_ESP"
    cg_clear_conf cg
    cg_peer_conn home ike="$FAM_IKE" esp="$FAM_ESP" start=start
    mark="$(cg_log_mark cg)"
    cg_start cg cg

    cg_wait_log cg "$(cg_re_ike_up home)" 5 "$mark" >/dev/null ||
        fail "$FAM_IKE: cygnetd did not log the IKE_SA established"
    cg_wait_log cg "$(cg_re_child_up home)" 5 "$mark" >/dev/null ||
        fail "$FAM_IKE: cygnetd did not log the CHILD_SA established"
    ss_wait_established ss home 5 || fail "$FAM_IKE: strongSwan has no established SAs"
    ss_assert_established ss home home "$FAM_SS_IKE" "$FAM_SS_ESP"
    assert_eq "$FAM_IKE: IKE_SAs on strongSwan" 1 "$(ss_ike_count ss home any)"
    assert_eq "$FAM_IKE: CHILD_SAs on strongSwan" 1 "$(ss_child_count ss home live)"
    interop_ping

    # next family from a clean slate (test-delete.sh checks Delete itself)
    rc=0
    cg_stop cg || rc=$?
    [ "$rc" = 0 ] || fail "$FAM_IKE: cygnetd exited with status $rc on SIGTERM"
    if ! ss_wait_no_sas ss 3 2>/dev/null; then
        log "warning: strongSwan kept the IKE_SA after cygnetd's SIGTERM; forcing it down"
        ss_terminate ss home --force || true
        ss_wait_no_sas ss 3 || fail "strongSwan's IKE_SA would not go away"
    fi
done

cg_assert_clean_log cg
log PASS
