# shellcheck shell=bash
# Helpers of the ipv6 suite's engine tests, on top of the interop harness
# (tests/lib/interop.sh): the two namespaces "cg" (cygnetd) and "ss"
# (strongSwan, kernel-libipsec) joined by one veth that carries both an
# IPv4 and an IPv6 network, so each test picks the outer family per case:
#
#   cg eth0 10.70.0.1/24 fd70::1/64     ss eth0 10.70.0.2/24 fd70::2/64
#   cg lo   10.71.0.1 fd71::1           ss lo   10.72.0.1 fd72::1
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-ipv6.sh"
#   v6_setup test-name "$1"
#   v6_outer 6          # CG_ADDR/SS_ADDR are now the IPv6 ones
#   ss_peer_conn ...; cg_peer_conn ...  (as in tests/interop)
#
# cygnetd runs with the user-space ESP data plane (the kernel has no ESP).

source "$(dirname "${BASH_SOURCE[0]}")/../../lib/interop.sh"

export CG_DATAPLANE="${CG_DATAPLANE:-uesp}"

CG_ADDR4=10.70.0.1 SS_ADDR4=10.70.0.2
CG_ADDR6=fd70::1 SS_ADDR6=fd70::2
CG_INNER6=fd71::1 SS_INNER6=fd72::1

# v6_setup NAME CYGNETD [SS-SETTING...]: prerequisites, namespaces with
# both families, strongSwan started in "ss".
v6_setup() {
    local name="$1" cygnetd="${2:-}"
    shift 2 || shift $#
    require_root
    require_cmd charon swanctl ip nft ss ping
    require_file /dev/net/tun
    cg_require_cygnetd "$cygnetd"
    harness_init "$name"
    [ -e /proc/net/if_inet6 ] || skip_or_fail "the kernel has no IPv6"

    ns_create cg
    ns_create ss
    veth_pair cg eth0 "$CG_ADDR4/24" ss eth0 "$SS_ADDR4/24" "$CG_ADDR6/64" "$SS_ADDR6/64"
    ns_addr_lo cg "$CG_INNER/32" "$CG_INNER6/128"
    ns_addr_lo ss "$SS_INNER/32" "$SS_INNER6/128"
    ss_start ss ss retransmit_timeout=0.5 "$@"
}

# v6_outer 4|6: the family IKE and ESP run over (CG_ADDR, SS_ADDR).
# (CG_ADDR and SS_ADDR are read by interop.sh's ss_peer_conn/cg_peer_conn)
# shellcheck disable=SC2034
v6_outer() {
    case "$1" in
        4) CG_ADDR="$CG_ADDR4" SS_ADDR="$SS_ADDR4" ;;
        6) CG_ADDR="$CG_ADDR6" SS_ADDR="$SS_ADDR6" ;;
        *) fail "v6_outer: 4 or 6, not '$1'" ;;
    esac
}

# v6_ping NS DST [SRC] [COUNT] [SIZE]: COUNT echo requests (IPv4 or IPv6,
# by DST) must all be answered; the first ones may race the peer's last
# install step, so one answered ping is waited for first.
v6_ping() {
    local ns="$1" dst="$2" src="${3:-}" count="${4:-3}" size="${5:-56}" out
    local args=(-W 2)
    [ -n "$src" ] && args+=(-I "$src")
    ping_through "$ns" "$dst" "$src" || return 1
    out="$(ns_exec "$ns" ping -c "$count" -i 0.2 -s "$size" "${args[@]}" "$dst" 2>&1)" || {
        printf '%s\n' "$out" >&2
        return 1
    }
    grep -q " 0% packet loss" <<<"$out" || {
        printf '%s\n' "$out" >&2
        return 1
    }
}

# v6_ss_sa_block INST CONN: the `swanctl --list-sas` lines of CONN's IKE_SAs.
v6_ss_sa_block() {
    ss_list_sas "$1" | awk -v conn="$2" '
        $0 ~ "^" conn ": #" { inside = 1; print; next }
        /^[^ ]/ { inside = 0 }
        inside { print }'
}

# v6_cg_sa_field INST FIELD: what cygnetctl (--json list-sas) shows in the
# IKE_SAs' array FIELD (local_vips, remote_vips, dns, split_subnets), one
# value a line.
v6_cg_sa_field() {
    local ctl
    ctl="$(dirname "$CYGNETD")/../cygnetctl/cygnetctl"
    [ -x "$ctl" ] || fail "cygnetctl not found next to cygnetd ($ctl)"
    "$ctl" --socket "$(cg_dir "$1")/cygnetd.sock" --json list-sas 2>&1 | python3 -c '
import json, sys
field = sys.argv[1]
data = json.load(sys.stdin)
sas = data if isinstance(data, list) else data.get("sas", data.get("ike_sas", []))
for sa in sas:
    for v in sa.get(field, []):
        print(v)' "$2"
}

# v6_stop_both CONN: cygnetd exits cleanly on SIGTERM and strongSwan loses
# its IKE_SA (forced down if the Delete was lost).
v6_stop_both() {
    local rc=0
    cg_stop cg || rc=$?
    [ "$rc" = 0 ] || fail "cygnetd exited with status $rc on SIGTERM"
    if ! ss_wait_no_sas ss 3 2>/dev/null; then
        ss_terminate ss "$1" --force || true
        ss_wait_no_sas ss 3 || fail "strongSwan's IKE_SA $1 would not go away"
    fi
}

v6_tun() { cg_uesp_tun "$@"; }

# the uesp counters and device (tests/lib/cygnet.sh)
v6_counter() { cg_uesp_counter "$@"; }
v6_counter_at_least() { cg_uesp_counter_at_least "$@"; }

# v6_ss_vips INST CONN local|remote: the virtual IPs strongSwan shows on
# the local/remote line of CONN's IKE_SAs, one a line (5.9 prints several
# in one bracket: "remote 'id' @ fd70::1[4500] [10.73.0.1 fd73::1]").
v6_ss_vips() {
    ss_list_sas "$1" | awk -v conn="$2" -v side="$3" '
        $0 ~ "^" conn ": #" { inside = 1; next }
        /^[^ ]/ { inside = 0 }
        inside && $1 == side {
            line = $0
            if (match(line, /\] \[[^]]*\]$/)) {
                v = substr(line, RSTART + 3, RLENGTH - 4)
                n = split(v, a, " ")
                for (i = 1; i <= n; i++) print a[i]
            }
        }'
}

# v6_no_addr NS DEV ADDR: ADDR is not (or no longer) on DEV.
v6_no_addr() {
    ! ns_exec "$1" ip addr show dev "$2" 2>/dev/null | grep -q " $(re_escape "$3")/"
}
