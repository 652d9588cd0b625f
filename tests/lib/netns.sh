# shellcheck shell=bash
# Test harness core: network namespaces, background processes, cleanup,
# waiting and failing. Sourced by the test scripts under tests/; it needs
# bash 5 and root, and touches nothing outside what it creates itself.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"
#   require_root
#   require_cmd ip nft
#   harness_init my-test            # temp dir, run id, cleanup trap
#   ns_create left; ns_create right
#   veth_pair left eth0 10.0.0.1/24 right eth0 10.0.0.2/24
#   ns_spawn left "$CG_TMP/x.log" some-daemon --foreground
#
# Every namespace, process and file the test makes is removed by the EXIT
# trap, on success and on failure alike. Environment:
#   KEEP_LOGS=1   keep the temp dir (logs, configs) even when the test passes
#   CI=true       a missing prerequisite fails the test instead of skipping it
#   CG_VERBOSE=1  echo each helper action

# meson's exit code for a skipped test
readonly CG_EXIT_SKIP=77

CG_RUN_ID=""       # short unique id; prefix of namespace names
CG_TMP=""          # per-test temp dir (logs, configs, sockets)
CG_TEST_NAME=""
CG_NAMESPACES=()   # real names of the namespaces this test created
CG_PIDS=()         # PIDs of the background processes this test started
CG_LAST_PID=""     # PID of the most recent ns_spawn/spawn
CG_CLEANED=0
CG_SIGNALLED=0     # a signal ended the test: clean up fast

log() {
    printf '%s [%s] %s\n' "$(date +%T.%3N)" "${CG_TEST_NAME:-test}" "$*" >&2
}

vlog() {
    if [ "${CG_VERBOSE:-0}" = 1 ]; then
        log "$@"
    fi
}

# fail MSG... : the test failed; print MSG and exit 1 (cleanup runs from
# the EXIT trap and shows the logs).
fail() {
    printf '\nFAIL: %s\n' "$*" >&2
    exit 1
}

# skip_or_fail MSG... : a prerequisite is missing. A skipped test hides
# a gap, so in CI it is a failure; elsewhere it is a loud skip (exit 77).
skip_or_fail() {
    if [ "${CI:-}" = true ]; then
        printf '\nFAIL (CI=true, prerequisite missing): %s\n' "$*" >&2
        exit 1
    fi
    printf '\n*** SKIP: %s ***\n*** (this test did NOT run; set CI=true to make this a failure) ***\n' \
        "$*" >&2
    exit "$CG_EXIT_SKIP"
}

require_root() {
    if [ "$(id -u)" != 0 ]; then
        skip_or_fail "must run as root (network namespaces)"
    fi
}

# require_cmd NAME|PATH... : each must be an executable in PATH or an
# absolute path to one. "charon" means strongSwan's daemon, which Debian
# installs outside PATH ($CG_CHARON, /usr/lib/ipsec/charon by default).
require_cmd() {
    local missing=() cmd
    for cmd in "$@"; do
        case "$cmd" in
            charon) cmd="${CG_CHARON:-/usr/lib/ipsec/charon}" ;;
        esac
        if [[ "$cmd" == /* ]]; then
            [ -x "$cmd" ] || missing+=("$cmd")
        elif ! command -v "$cmd" >/dev/null 2>&1; then
            missing+=("$cmd")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        skip_or_fail "missing command(s): ${missing[*]} (run ./scripts/install-deps.sh)"
    fi
}

# require_file PATH... : e.g. /dev/net/tun for user-space ESP.
require_file() {
    local f
    for f in "$@"; do
        [ -e "$f" ] || skip_or_fail "missing $f"
    done
}

# now_ms: wall clock in milliseconds.
now_ms() {
    local t="${EPOCHREALTIME//[.,]/}"
    echo $((t / 1000))
}

# to_ms SECONDS: "2", "0.5", "1.25" -> milliseconds.
to_ms() {
    local s="$1" int frac
    int="${s%%.*}"
    frac=""
    if [[ "$s" == *.* ]]; then
        frac="${s#*.}"
    fi
    frac="${frac}000"
    echo $((10#${int:-0} * 1000 + 10#${frac:0:3}))
}

# harness_init NAME: run id, temp dir, cleanup trap. Call once, first.
harness_init() {
    CG_TEST_NAME="$1"
    local rand
    rand="$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')"
    # short: namespace and interface names derived from it stay < 15 chars
    CG_RUN_ID="cg$(printf '%x' "$$" | tail -c 5)${rand}"
    CG_TMP="$(mktemp -d "/tmp/cygnet-${CG_TEST_NAME}.XXXXXX")"
    chmod 755 "$CG_TMP"
    trap harness_cleanup EXIT
    trap 'harness_on_signal 130' INT
    trap 'harness_on_signal 143' TERM
    trap 'harness_on_err "$LINENO" "$BASH_COMMAND"' ERR
    set -E
    log "run id $CG_RUN_ID, logs in $CG_TMP"
}

# meson's timeout sends SIGTERM to the test's process group and SIGKILL
# 0.5 s later, so after a signal the cleanup must not wait for graceful
# exits: it SIGKILLs (the daemons run in sessions of their own, which the
# group kill would miss).
harness_on_signal() {
    CG_SIGNALLED=1
    printf '\nINTERRUPTED (signal), cleaning up\n' >&2
    exit "$1"
}

# With `set -e`, a failing command ends the test: say which one.
harness_on_err() {
    local rc=$?
    if [[ $- == *e* ]]; then
        printf '\nFAIL: command failed (exit %s) at %s line %s: %s\n' \
            "$rc" "${BASH_SOURCE[1]:-?}" "$1" "$2" >&2
    fi
}

# pid_alive PID: running and not a zombie.
pid_alive() {
    local stat state
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    # "PID (comm) STATE ...": comm may hold spaces, so cut after the ")"
    state="${stat##*) }"
    state="${state%% *}"
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_pid_gone PID TIMEOUT_S: 0 once PID has exited.
wait_pid_gone() {
    local pid="$1" deadline
    deadline=$(($(now_ms) + $(to_ms "$2")))
    while pid_alive "$pid"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
    return 0
}

# stop_pids SIGNAL PID...: SIGNAL, wait up to 3 s, then SIGKILL the rest.
stop_pids() {
    local sig="$1" pid deadline alive
    shift
    [ "$#" -gt 0 ] || return 0
    for pid in "$@"; do
        kill "-$sig" "$pid" 2>/dev/null || true
    done
    deadline=$(($(now_ms) + 3000))
    while :; do
        alive=()
        for pid in "$@"; do
            pid_alive "$pid" && alive+=("$pid")
        done
        [ "${#alive[@]}" -gt 0 ] || break
        if [ "$(now_ms)" -ge "$deadline" ]; then
            log "cleanup: SIGKILL to ${alive[*]}"
            kill -KILL "${alive[@]}" 2>/dev/null || true
            break
        fi
        sleep 0.05
    done
}

harness_cleanup() {
    local rc=$?
    [ "$CG_CLEANED" = 0 ] || return 0
    CG_CLEANED=1
    trap - ERR
    set +e
    local pid ns pids f sig=TERM
    [ "$CG_SIGNALLED" = 0 ] || sig=KILL

    # 1. the processes we started, by PID
    local ours=()
    for pid in "${CG_PIDS[@]}"; do
        pid_alive "$pid" && ours+=("$pid")
    done
    stop_pids "$sig" "${ours[@]}"
    # 2. anything still living in our namespaces (children, helpers)
    for ns in "${CG_NAMESPACES[@]}"; do
        pids="$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
        if [ -n "${pids// /}" ]; then
            # shellcheck disable=SC2086
            stop_pids "$sig" $pids
        fi
    done
    # reap our own children so no zombies remain
    for pid in "${CG_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    # 3. the namespaces (their veths go with them)
    for ns in "${CG_NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null || log "cleanup: could not delete netns $ns"
    done

    # 4. the temp dir: kept on failure or when asked
    if [ -n "$CG_TMP" ] && [ -d "$CG_TMP" ]; then
        if [ "$rc" != 0 ] && [ "$rc" != "$CG_EXIT_SKIP" ]; then
            # (after the namespaces are gone: if meson's SIGKILL comes
            # now, only this kept dir is left)
            while IFS= read -r -d '' f; do
                printf '\n----- last 40 lines of %s -----\n' "$f" >&2
                tail -n 40 "$f" >&2
            done < <(find "$CG_TMP" -type f -name '*.log' -print0 | sort -z)
            printf '\n%s FAILED (exit %s); logs kept in %s\n' "$CG_TEST_NAME" "$rc" "$CG_TMP" >&2
        elif [ "${KEEP_LOGS:-0}" = 1 ]; then
            log "KEEP_LOGS=1: logs kept in $CG_TMP"
        else
            rm -rf "$CG_TMP"
        fi
    fi
    exit "$rc"
}

# ns_name NAME: the real namespace name of the test's namespace NAME.
ns_name() {
    echo "${CG_RUN_ID}-$1"
}

# ns_create NAME: a fresh network namespace with lo up.
ns_create() {
    local real
    real="$(ns_name "$1")"
    ip netns add "$real" || fail "ip netns add $real"
    CG_NAMESPACES+=("$real")
    ip -n "$real" link set lo up
    # No IPv6 duplicate address detection: link-local and static v6
    # addresses are usable as soon as a link is up, instead of appearing
    # a second or two later in the middle of a test (an address event on
    # a gateway makes strongSwan start a MOBIKE address update of its own).
    ip netns exec "$real" sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
        net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.dad_transmits=0 ||
        fail "cannot turn off IPv6 DAD in $real"
    # forwarding off by default; routers turn it on
    vlog "netns $real"
}

# ns_exec NAME CMD...: run CMD inside namespace NAME (foreground).
ns_exec() {
    local real
    real="$(ns_name "$1")"
    shift
    ip netns exec "$real" "$@"
}

# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2 [ADDR6_1 ADDR6_2]
# A veth between two namespaces, each end with an IPv4 address in CIDR
# form (e.g. 10.0.0.1/24) and optionally IPv6 addresses (nodad: usable at
# once). The ends are created directly inside the namespaces, so their
# names only need to be unique there.
veth_pair() {
    local ns1 ns2
    ns1="$(ns_name "$1")"
    ns2="$(ns_name "$4")"
    ip link add "$2" netns "$ns1" type veth peer name "$5" netns "$ns2" ||
        fail "veth $1:$2 <-> $4:$5"
    ip -n "$ns1" addr add "$3" dev "$2"
    ip -n "$ns2" addr add "$6" dev "$5"
    if [ -n "${7:-}" ]; then
        ip -n "$ns1" addr add "$7" dev "$2" nodad
    fi
    if [ -n "${8:-}" ]; then
        ip -n "$ns2" addr add "$8" dev "$5" nodad
    fi
    ip -n "$ns1" link set "$2" up
    ip -n "$ns2" link set "$5" up
    vlog "veth $1:$2 $3 <-> $4:$5 $6"
}

# ns_addr_lo NS ADDR...: extra (inner) addresses on lo, e.g. 10.1.0.1/32
# (the kernel here has no dummy interfaces).
ns_addr_lo() {
    local real addr
    real="$(ns_name "$1")"
    shift
    for addr in "$@"; do
        if [[ "$addr" == *:* ]]; then
            ip -n "$real" addr add "$addr" dev lo nodad
        else
            ip -n "$real" addr add "$addr" dev lo
        fi
    done
}

# nat_router ROUTER INSIDE_NS INSIDE_PREFIX OUTSIDE_NS OUTSIDE_PREFIX
# Makes namespace ROUTER between INSIDE_NS and OUTSIDE_NS with nftables
# masquerade. Prefixes are the first three octets of a /24, e.g. 10.5.0:
#   INSIDE_NS  eth0 INSIDE_PREFIX.2   (default route via INSIDE_PREFIX.1)
#   ROUTER     in0  INSIDE_PREFIX.1,  out0 OUTSIDE_PREFIX.1 (masquerade)
#   OUTSIDE_NS nat0 OUTSIDE_PREFIX.2
# INSIDE_NS and OUTSIDE_NS must exist; ROUTER is created.
nat_router() {
    local router="$1" in_ns="$2" in_pfx="$3" out_ns="$4" out_pfx="$5" real
    ns_create "$router"
    real="$(ns_name "$router")"
    veth_pair "$in_ns" eth0 "$in_pfx.2/24" "$router" in0 "$in_pfx.1/24"
    veth_pair "$router" out0 "$out_pfx.1/24" "$out_ns" nat0 "$out_pfx.2/24"
    ip -n "$(ns_name "$in_ns")" route add default via "$in_pfx.1"
    ip netns exec "$real" sysctl -q -w net.ipv4.ip_forward=1
    ip netns exec "$real" nft -f - <<EOF || fail "nft masquerade in $real"
table ip cgnat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "out0" masquerade
    }
}
EOF
    vlog "nat router $router: $in_ns ($in_pfx.0/24) -> $out_ns ($out_pfx.0/24)"
}

# ns_spawn NS LOGFILE CMD...: start CMD in the background inside namespace
# NS (its own session), stdout+stderr to LOGFILE. The PID is recorded for
# cleanup and left in CG_LAST_PID.
ns_spawn() {
    local real logfile="$2"
    real="$(ns_name "$1")"
    shift 2
    setsid ip netns exec "$real" "$@" >"$logfile" 2>&1 </dev/null &
    CG_LAST_PID=$!
    CG_PIDS+=("$CG_LAST_PID")
    vlog "spawned $1 in $real: pid $CG_LAST_PID"
}

# spawn LOGFILE CMD...: same, in the host namespace.
spawn() {
    local logfile="$1"
    shift
    setsid "$@" >"$logfile" 2>&1 </dev/null &
    CG_LAST_PID=$!
    CG_PIDS+=("$CG_LAST_PID")
}

# kill_pid SIGNAL PID: signal one recorded process and wait (5 s) for it
# to exit; SIGKILL after that. Returns the process's exit status.
kill_pid() {
    local sig="$1" pid="$2"
    kill "-$sig" "$pid" 2>/dev/null || true
    if ! wait_pid_gone "$pid" 5; then
        log "pid $pid ignored SIG$sig for 5 s, SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    local rc=0
    wait "$pid" 2>/dev/null || rc=$?
    return "$rc"
}

# log_lines FILE: current number of lines (a mark for wait_for_log).
log_lines() {
    if [ -f "$1" ]; then
        wc -l <"$1"
    else
        echo 0
    fi
}

# log_count FILE REGEX [FROM_LINE]: lines matching REGEX (ERE) after line
# FROM_LINE.
log_count() {
    local from="${3:-0}"
    [ -f "$1" ] || {
        echo 0
        return 0
    }
    tail -n "+$((from + 1))" "$1" | grep -cE -- "$2" || true
}

# wait_for_log FILE REGEX TIMEOUT_S [FROM_LINE]
# Waits until a line of FILE (after line FROM_LINE) matches REGEX (grep
# -E). Prints the matching line on stdout; on timeout says so on stderr and
# returns 1 (so a bare call under `set -e` ends the test).
wait_for_log() {
    local file="$1" regex="$2" timeout="$3" from="${4:-0}" deadline line
    deadline=$(($(now_ms) + $(to_ms "$timeout")))
    while :; do
        if [ -f "$file" ]; then
            line="$(tail -n "+$((from + 1))" "$file" | grep -m1 -E -- "$regex")" && {
                printf '%s\n' "$line"
                return 0
            }
        fi
        if [ "$(now_ms)" -ge "$deadline" ]; then
            printf 'timeout after %ss waiting for /%s/ in %s\n' "$timeout" "$regex" "$file" >&2
            return 1
        fi
        sleep 0.1
    done
}

# wait_for CMD... TIMEOUT_S: run CMD every 100 ms until it succeeds (0) or
# TIMEOUT_S passes (returns 1). The last argument is the timeout.
wait_for() {
    local timeout="${!#}" deadline
    local cmd=("${@:1:$#-1}")
    deadline=$(($(now_ms) + $(to_ms "$timeout")))
    while :; do
        "${cmd[@]}" >/dev/null 2>&1 && return 0
        if [ "$(now_ms)" -ge "$deadline" ]; then
            printf 'timeout after %ss waiting for: %s\n' "$timeout" "${cmd[*]}" >&2
            return 1
        fi
        sleep 0.1
    done
}

# ping_through NS DST [SRC]: one ping from namespace NS to DST (optionally
# from source address SRC), retried for 5 s while the tunnel settles.
ping_through() {
    local ns="$1" dst="$2" src="${3:-}" args=(-c1 -W1)
    [ -n "$src" ] && args+=(-I "$src")
    local _
    for _ in 1 2 3 4 5; do
        if ns_exec "$ns" ping "${args[@]}" "$dst" >/dev/null 2>&1; then
            return 0
        fi
    done
    printf 'no ping reply from %s to %s%s\n' "$ns" "$dst" "${src:+ (from $src)}" >&2
    return 1
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# assert_match WHAT REGEX TEXT
assert_match() {
    grep -qE -- "$2" <<<"$3" || fail "$1: /$2/ not found in:
$3"
}

# assert_no_match WHAT REGEX TEXT
assert_no_match() {
    if grep -qE -- "$2" <<<"$3"; then
        fail "$1: /$2/ unexpectedly found in:
$3"
    fi
}
