#!/bin/bash
# The xfrm backend with IPv6. This kernel has XFRM but no ESP, so what can
# be checked is checked and what cannot is said loudly:
#  1. xfrm6-check in a fresh namespace: an SPI towards an IPv6 peer,
#     policies with IPv6 selectors (6-in-6), IPv4 selectors over IPv6
#     (4-in-6), IPv6 over IPv4 (6-in-4), dual-stack selectors in one
#     CHILD_SA, each installed and removed again; an IPv6 virtual IP; ESP
#     SAs between IPv6 addresses only where the kernel has ESP.
#  2. cygnetd --dataplane xfrm against strongSwan over IPv6 with IPv6
#     selectors: the IKE_SA comes up over IPv6; without kernel ESP the
#     CHILD_SA fails with a clear reason and no policy is left behind.
# Usage: test-ipv6-xfrm.sh PATH-TO-CYGNETD PATH-TO-XFRM6-CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ipv6.sh"
XFRM6_CHECK="${2:-}"
[ -x "$XFRM6_CHECK" ] || fail "xfrm6-check not found at '$XFRM6_CHECK' (ninja -C BUILDDIR tests/ipv6/engine/xfrm6-check)"
v6_setup ipv6-xfrm "${1:-}"

# --- 1. the backend against this kernel -----------------------------------
ns_create x
out="$(ns_exec x "$XFRM6_CHECK" 2>&1)" || {
    printf '%s\n' "$out" >&2
    fail "xfrm6-check reported failures"
}
printf '%s\n' "$out" | sed 's/^/    xfrm6-check: /' >&2
kernel_esp=yes
if grep -q '^SKIPPED:' <<<"$out"; then
    kernel_esp=no
    printf '\n*** SKIPPED: ESP SAs between IPv6 addresses through XFRM could NOT be checked: this kernel has no ESP ***\n' >&2
    printf '*** (SPI allocation, IPv6/4-in-6/6-in-4/dual-stack policies and the IPv6 VIP were checked and passed) ***\n\n' >&2
fi
assert_match "xfrm6-check ran every policy case" "PASS: dual stack: policies deleted" "$out"

# --- 2. cygnetd with the xfrm data plane over IPv6 ---------------------------
v6_outer 6
ss_peer_conn home child.local_ts="$SS_INNER6/128" child.remote_ts="$CG_INNER6/128"
ss_load ss
cg_clear_conf cg
cg_daemon_conf cg dataplane=xfrm
cg_peer_conn home local-ts="$CG_INNER6/128" remote-ts="$SS_INNER6/128" start=start
mark="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "IKE_SA home\[[0-9]+\] established between $(re_escape "$CG_ADDR6")\[" 10 "$mark" \
    >/dev/null || fail "xfrm: no IKE_SA over IPv6"
if [ "$kernel_esp" = no ]; then
    line="$(cg_wait_log cg "installing CHILD_SA failed: .*kernel cannot hold an ESP SA" 10 "$mark")" ||
        fail "xfrm: the CHILD_SA failure on a kernel without ESP was not reported clearly"
    log "xfrm over IPv6 on this kernel, as expected: ${line#* }"
    pol="$(ns_exec cg ip -6 xfrm policy list)"
    assert_no_match "no IPv6 policy left after the failed CHILD_SA" "fd71::1/128" "$pol"
    printf '\n*** SKIPPED: traffic through XFRM over IPv6 could NOT be checked: this kernel has no ESP ***\n\n' >&2
else
    cg_wait_log cg "$(cg_re_child_up home)" 10 "$mark" >/dev/null || fail "xfrm: no CHILD_SA"
    v6_ping cg "$SS_INNER6" "$CG_INNER6" || fail "xfrm: no ping6 through the tunnel"
fi
cg_stop cg || fail "cygnetd (xfrm) did not stop cleanly"
cg_assert_clean_log cg
log PASS
