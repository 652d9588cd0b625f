# shellcheck shell=bash
# Helpers of the control suite, on top of tests/lib/netns.sh: cygnetd
# started with no configuration file at all (everything is loaded through
# the control socket), and cygnetctl pointed at it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/control-lib.sh"
#   ctl_init NAME CYGNETD CYGNETCTL
#   ns_create a
#   ctl_start a a --control-max-queue 65536
#   ctl a status

CONTROL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# netns.sh may already be in (tests/lib/interop.sh sources it)
if ! declare -F harness_init >/dev/null; then
    # shellcheck source=../lib/netns.sh
    source "$CONTROL_DIR/../lib/netns.sh"
fi

CTL_CYGNETD=""
CTL_CYGNETCTL=""
declare -A CTL_PID=()

# ctl_binaries CYGNETD CYGNETCTL: the programs under test.
ctl_binaries() {
    CTL_CYGNETD="${1:-}"
    CTL_CYGNETCTL="${2:-}"
    [ -x "$CTL_CYGNETD" ] || fail "usage: $0 PATH-TO-CYGNETD PATH-TO-CYGNETCTL (cygnetd '$CTL_CYGNETD' missing)"
    [ -x "$CTL_CYGNETCTL" ] || fail "cygnetctl not found at '$CTL_CYGNETCTL'"
}

# ctl_init NAME CYGNETD CYGNETCTL: prerequisites and the harness.
ctl_init() {
    ctl_binaries "${2:-}" "${3:-}"
    require_root
    require_cmd ip python3
    harness_init "$1"
}

ctl_sock() {
    echo "$CG_TMP/$1.sock"
}

ctl_log() {
    echo "$CG_TMP/cygnetd-$1.log"
}

# ctl INST ARGS...: cygnetctl against instance INST.
ctl() {
    local inst="$1"
    shift
    "$CTL_CYGNETCTL" --socket "$(ctl_sock "$inst")" --color never "$@"
}

# ctl_start INST NS [CYGNETD-OPTION...]: cygnetd without a configuration
# file in namespace NS (log data plane); returns once its control socket
# answers. Replies are checked against the interface file as well
# (CG_CONTROL_CHECK_REPLIES=1: a mismatch is logged as "control: BUG").
ctl_start() {
    local inst="$1" ns="$2"
    shift 2
    CG_CONTROL_CHECK_REPLIES=1 ns_spawn "$ns" "$(ctl_log "$inst")" "$CTL_CYGNETD" --foreground \
        --control-socket "$(ctl_sock "$inst")" --dataplane "${CG_DATAPLANE:-log}" \
        --log-level "${CG_LOG_LEVEL:-debug}" "$@"
    CTL_PID[$inst]="$CG_LAST_PID"
    local deadline
    deadline=$(($(now_ms) + 5000))
    until ctl "$inst" version >/dev/null 2>&1; do
        pid_alive "${CTL_PID[$inst]}" || fail "cygnetd $inst exited during startup; see $(ctl_log "$inst")"
        [ "$(now_ms)" -lt "$deadline" ] || fail "cygnetd $inst: control socket not answering within 5 s"
        sleep 0.05
    done
}

# ctl_stop INST: SIGTERM; returns cygnetd's exit status.
ctl_stop() {
    kill_pid TERM "${CTL_PID[$1]}"
}

# ctl_assert_clean INST: alive, no sanitizer report, no reply that broke
# the interface.
ctl_assert_clean() {
    local bad
    pid_alive "${CTL_PID[$1]}" || fail "cygnetd $1 died"
    bad="$(grep -m3 -E 'AddressSanitizer|runtime error:|CRITICAL|control: BUG' "$(ctl_log "$1")" || true)"
    [ -z "$bad" ] || fail "cygnetd $1 logged: $bad"
}

# ctl_expect_rc WANT CMD...: CMD's exit status must be WANT.
ctl_expect_rc() {
    local want="$1" rc=0
    shift
    "$@" >"$CG_TMP/last.out" 2>"$CG_TMP/last.err" || rc=$?
    [ "$rc" = "$want" ] || fail "exit status $rc, expected $want: $*
stdout: $(cat "$CG_TMP/last.out")
stderr: $(cat "$CG_TMP/last.err")"
}
