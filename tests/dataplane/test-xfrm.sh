#!/bin/bash
# The xfrm backend (Linux XFRM over netlink) and the automatic choice.
#  1. xfrm-check in a fresh namespace: SPI allocation, policies (in, out,
#     fwd; replaced in place by a rekey), XFRM_MSG_MIGRATE, and ESP SAs
#     where the kernel has ESP. Without kernel ESP the SA part prints a
#     loud SKIPPED line (the test does not pretend it passed).
#  2. cygnetd --dataplane xfrm against strongSwan: the IKE_SA comes up; on
#     a kernel without ESP the CHILD_SA must fail with a clear reason.
#  3. cygnetd --dataplane auto: probes once, logs its choice and why, and
#     the chosen backend carries traffic.
# Usage: test-xfrm.sh PATH-TO-CYGNETD PATH-TO-XFRM-CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-dataplane.sh"
XFRM_CHECK="${2:-}"
[ -x "$XFRM_CHECK" ] || fail "xfrm-check not found at '$XFRM_CHECK' (ninja -C BUILDDIR tests/dataplane/xfrm-check)"
dp_setup xfrm "${1:-}"

# --- 1. the backend against this kernel --------------------------------------
ns_create x
out="$(ns_exec x "$XFRM_CHECK" 2>&1)" || {
    printf '%s\n' "$out" >&2
    fail "xfrm-check reported failures"
}
printf '%s\n' "$out" | sed 's/^/    xfrm-check: /' >&2
kernel_esp=yes
if grep -q '^SKIPPED:' <<<"$out"; then
    kernel_esp=no
    printf '\n*** SKIPPED: ESP SA installation through XFRM could not be checked: this kernel has no ESP ***\n' >&2
    printf '*** (SPI allocation, policies and migration were checked and passed) ***\n\n' >&2
fi

# --- 2. cygnetd with the xfrm data plane ---------------------------------------
ss_peer_conn home
ss_load ss
cg_clear_conf cg
cg_daemon_conf cg dataplane=xfrm
cg_peer_conn home start=start
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_ike_up home)" 10 "$mark" >/dev/null || fail "xfrm: no IKE_SA"
cg_wait_log cg "data plane: xfrm" 1 "$mark" >/dev/null || fail "xfrm: the choice was not logged"
if [ "$kernel_esp" = no ]; then
    line="$(cg_wait_log cg "installing CHILD_SA failed: .*kernel cannot hold an ESP SA" 10 "$mark")" ||
        fail "xfrm: the CHILD_SA failure on a kernel without ESP was not reported clearly"
    log "xfrm on this kernel, as expected: ${line#* }"
    printf '\n*** SKIPPED: traffic through XFRM could not be checked: this kernel has no ESP ***\n\n' >&2
else
    cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "xfrm: no CHILD_SA"
    dp_ping_both
fi
cg_stop cg || fail "cygnetd (xfrm) did not stop cleanly"
ss_wait_no_sas ss 5 || ss_terminate ss home --force || true

# --- 3. auto ------------------------------------------------------------------------
cg_clear_conf cg
cg_daemon_conf cg dataplane=auto
cg_peer_conn home start=start
mark="$(cg_log_mark cg)"
cg_start cg cg
choice="$(cg_wait_log cg "data plane: 'auto' chose" 5 "$mark")" || fail "auto: no choice logged"
log "auto: ${choice#* INFO }"
if [ "$kernel_esp" = no ]; then
    assert_match "auto picks uesp without kernel ESP, and says why" \
        "chose uesp.*refused a test ESP SA" "$choice"
else
    assert_match "auto picks xfrm with kernel ESP" "chose xfrm" "$choice"
fi
cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "auto: no CHILD_SA"
dp_ping_both
cg_stop cg || fail "cygnetd (auto) did not stop cleanly"
cg_assert_clean_log cg
log PASS
