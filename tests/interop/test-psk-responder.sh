#!/bin/bash
# strongSwan initiator -> cygnetd responder, PSK, once per proposal family
# (tests/lib/families.sh). cygnetd accepts every family (remote=%any);
# strongSwan offers one family per connection and must report exactly its
# algorithms, ESTABLISHED and INSTALLED; cygnetd must log both as up.
# Usage: test-psk-responder.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
interop_setup psk-responder "${1:-}"

cg_peer_conn gw remote=%any
cg_start cg cg

for i in "${!CG_FAMILIES[@]}"; do
    cg_family "$i"
    ss_peer_conn "f$i" proposals="$FAM_IKE" child.esp_proposals="$FAM_ESP"
done
ss_load ss

for i in "${!CG_FAMILIES[@]}"; do
    cg_family "$i"
    log "family $FAM_IKE / $FAM_ESP"
    mark="$(cg_log_mark cg)"
    ss_initiate ss "f$i" 10 ||
        fail "$FAM_IKE: swanctl --initiate failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
    ss_wait_established ss "f$i" 5 || fail "$FAM_IKE: strongSwan has no established SAs"
    ss_assert_established ss "f$i" "f$i" "$FAM_SS_IKE" "$FAM_SS_ESP"
    assert_eq "$FAM_IKE: IKE_SAs on strongSwan" 1 "$(ss_ike_count ss "" any)"
    assert_eq "$FAM_IKE: CHILD_SAs on strongSwan" 1 "$(ss_child_count ss "" live)"
    cg_wait_log cg "$(cg_re_ike_up gw)" 5 "$mark" >/dev/null ||
        fail "$FAM_IKE: cygnetd did not log the IKE_SA established"
    cg_wait_log cg "$(cg_re_child_up gw)" 5 "$mark" >/dev/null ||
        fail "$FAM_IKE: cygnetd did not log the CHILD_SA established"
    interop_ping

    ss_terminate ss "f$i" || fail "$FAM_IKE: swanctl --terminate failed"
    ss_wait_no_sas ss 5 || fail "$FAM_IKE: IKE_SA not deleted"
done

cg_alive cg || fail "cygnetd died"
cg_assert_clean_log cg
log PASS
