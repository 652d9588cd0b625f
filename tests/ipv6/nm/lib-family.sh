# shellcheck shell=bash
# Helpers of the address-family tests (tests/ipv6/nm): a gateway NAME that
# resolves, inside one test namespace, to addresses of both families, and
# nftables rules in the gateway's namespace that silently drop IKE to one
# of them.
#
# Names: `ip netns exec NS` bind-mounts /etc/netns/NS/hosts over
# /etc/hosts, so cygnetd (cg_start, ns_spawn) and NetworkManager with its
# service (nm_start, whose mount namespace is made inside that) resolve
# the names written by fam_hosts; nothing is written to the host's
# /etc/hosts. The directory goes with the test (fam_init's EXIT trap).
#
#   fam_init                      # after harness_init (nm_setup, interop_setup)
#   fam_hosts cg "gw-$CG_RUN_ID.test" fd70::2 10.70.0.2
#   fam_drop ss fd70::2           # IKE to fd70::2 vanishes
#   fam_undrop ss

FAM_NETNS_DIRS=()

# The harness's EXIT trap with ours in front: /etc/netns/NS goes first.
fam_cleanup() {
    local rc=$? dir
    set +e
    for dir in "${FAM_NETNS_DIRS[@]}"; do
        rm -rf "$dir"
    done
    (exit "$rc")
    harness_cleanup
}

fam_init() {
    [ -n "${CG_RUN_ID:-}" ] || fail "fam_init: call harness_init (nm_setup, interop_setup) first"
    trap fam_cleanup EXIT
}

# fam_hosts NS NAME ADDR...: NAME resolves to ADDR... (in this order in the
# file; the resolver sorts them, RFC 6724) for programs started in NS
# from now on.
fam_hosts() {
    local ns="$1" name="$2" dir addr
    shift 2
    dir="/etc/netns/$(ns_name "$ns")"
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        FAM_NETNS_DIRS+=("$dir")
        printf '127.0.0.1 localhost\n::1 localhost\n' >"$dir/hosts"
    fi
    for addr in "$@"; do
        printf '%s %s\n' "$addr" "$name" >>"$dir/hosts"
    done
    vlog "$name -> $* (in $ns)"
}

# fam_drop NS ADDR...: NS silently drops IKE and NAT-T datagrams to ADDR
# (input hook: the address stays routed and on its link).
fam_drop() {
    local ns="$1" addr family
    shift
    ns_exec "$ns" nft add table inet cgfam
    ns_exec "$ns" nft add chain inet cgfam input '{ type filter hook input priority 0; policy accept; }'
    for addr in "$@"; do
        family=ip
        [[ "$addr" == *:* ]] && family=ip6
        ns_exec "$ns" nft add rule inet cgfam input "$family" daddr "$addr" udp dport '{ 500, 4500 }' \
            counter drop
    done
}

# fam_dropped NS: how many datagrams fam_drop's rules dropped so far.
fam_dropped() {
    ns_exec "$1" nft list table inet cgfam 2>/dev/null |
        sed -nE 's/.*counter packets ([0-9]+).*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
}

fam_undrop() {
    ns_exec "$1" nft delete table inet cgfam 2>/dev/null || true
}
