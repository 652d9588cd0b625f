# shellcheck shell=bash
# Helpers of the data-plane tests (suite "dataplane"), on top of the
# interop harness (tests/lib/interop.sh: namespaces "cg" and "ss", cygnetd
# and a strongSwan with kernel-libipsec). cygnetd runs with the user-space
# ESP backend unless CG_DATAPLANE says otherwise.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-dataplane.sh"
#   dp_setup test-name "$1"
#   dp_up home                  # cygnetd initiates, both sides established
#   dp_ping_both                # pings in both directions through the tunnel
#   dp_counter cg replay        # a drop counter from cygnetd's log

source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"

export CG_DATAPLANE="${CG_DATAPLANE:-uesp}"

# dp_setup NAME CYGNETD [SS-SETTING...]: prerequisites, namespaces, strongSwan.
dp_setup() {
    local name="$1" cygnetd="${2:-}"
    shift 2 || shift $#
    require_cmd python3
    interop_setup "$name" "$cygnetd" "$@"
}

# dp_up CONN [cygnetd KEY=VALUE...] : strongSwan accepts CONN, cygnetd
# initiates it; waits for both sides and for the uesp routes.
dp_up() {
    local conn="$1"
    shift
    ss_peer_conn "$conn"
    ss_load ss
    cg_peer_conn "$conn" start=start "$@"
    local mark
    mark="$(cg_log_mark cg)"
    cg_start cg cg
    cg_wait_log cg "$(cg_re_child_up "$conn")" 10 "$mark" >/dev/null ||
        fail "cygnetd did not log the CHILD_SA $conn established"
    ss_wait_established ss "$conn" 10 || fail "strongSwan has no established SAs for $conn"
}

# dp_ping NS DST SRC [COUNT] [SIZE]: COUNT pings (default 3) must all come back.
dp_ping() {
    local ns="$1" dst="$2" src="$3" count="${4:-3}" size="${5:-56}" out
    # the first packet may race the peer's last install step
    ping_through "$ns" "$dst" "$src" || return 1
    out="$(ns_exec "$ns" ping -c "$count" -i 0.2 -W 2 -s "$size" -I "$src" "$dst" 2>&1)" || {
        printf '%s\n' "$out" >&2
        return 1
    }
    grep -q " 0% packet loss" <<<"$out" || {
        printf '%s\n' "$out" >&2
        return 1
    }
}

# dp_ping_both: cygnet's inner address <-> strongSwan's, both directions.
dp_ping_both() {
    dp_ping cg "$SS_INNER" "$CG_INNER" || fail "no ping from cygnet ($CG_INNER) to $SS_INNER"
    dp_ping ss "$CG_INNER" "$SS_INNER" || fail "no ping from strongSwan ($SS_INNER) to $CG_INNER"
}

# dp_iperf_json SERVER_NS CLIENT_NS ADDR SECONDS [EXTRA-CLIENT-ARGS...]:
# iperf3's JSON report of a TCP run from CLIENT_NS to ADDR in SERVER_NS.
dp_iperf_json() {
    local server_ns="$1" client_ns="$2" addr="$3" secs="$4"
    shift 4
    local port=$((5201 + RANDOM % 500)) json
    ns_exec "$server_ns" iperf3 -s -1 -p "$port" -B "$addr" >/dev/null 2>&1 &
    local spid=$!
    CG_PIDS+=("$spid")
    wait_for ns_exec "$server_ns" ss -Htln "sport = :$port" 5 || {
        kill "$spid" 2>/dev/null
        return 1
    }
    json="$(ns_exec "$client_ns" timeout $((secs + 15)) iperf3 -c "$addr" -p "$port" -t "$secs" \
        --connect-timeout 3000 -J "$@" 2>&1)" || {
        kill "$spid" 2>/dev/null
        printf '%s\n' "$json" | tail -5 >&2
        return 1
    }
    # the one-off server ends after its test; never wait on it unbounded
    wait_pid_gone "$spid" 10 || kill -KILL "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    printf '%s\n' "$json"
}

# dp_iperf_summary: reads iperf3 JSON; prints "MBITS MIN_INTERVAL_MBITS"
# (the receiver's average and the slowest one-second interval).
dp_iperf_summary() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
if "error" in d:
    sys.exit("iperf3: " + d["error"])
iv = [i["sum"]["bits_per_second"] for i in d["intervals"] if i["sum"]["seconds"] > 0.5]
print("%.0f %.0f" % (d["end"]["sum_received"]["bits_per_second"] / 1e6, min(iv) / 1e6 if iv else 0))'
}

# dp_iperf SERVER_NS CLIENT_NS ADDR SECONDS [EXTRA-CLIENT-ARGS...]: TCP
# throughput in Mbit/s (receiver side) on stdout; fails when iperf3 does.
dp_iperf() {
    local json
    json="$(dp_iperf_json "$@")" || return 1
    dp_iperf_summary <<<"$json" | cut -d' ' -f1
}

# the uesp counters and device (tests/lib/cygnet.sh)
dp_counter() { cg_uesp_counter "$@"; }
dp_counter_at_least() { cg_uesp_counter_at_least "$@"; }
# dp_wait_counter INST NAME MIN TIMEOUT_S: until counter NAME >= MIN.
dp_wait_counter() {
    wait_for dp_counter_at_least "$1" "$2" "$3" "$4" 2>/dev/null || {
        grep -E 'uesp counters:' "$(cg_log "$1")" | tail -n1 >&2
        return 1
    }
}

dp_tun() { cg_uesp_tun "$@"; }
