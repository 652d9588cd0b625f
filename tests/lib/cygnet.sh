# shellcheck shell=bash
# cygnetd peers for the interop tests: config + secrets keyfiles generated
# in the test's temp dir, the daemon run in the foreground inside a
# namespace, its log read to observe cygnet's own view of the SAs (until
# cygnetctl exists). Needs tests/lib/netns.sh sourced first.
#
#   cg_require_cygnetd "$1"             # path given by meson
#   cg_conn cg home local=10.70.0.1 remote=10.70.0.2 ike=... start=start
#   cg_psk cg main "s3cret" cg.test ss.test
#   cg_start cg cgns
#   cg_wait_log cg "$(cg_re_ike_up home)" 5
#
# Environment: CG_DATAPLANE (default "log": SA state only, no ESP; the
# real data plane is its own issue), CG_LOG_LEVEL (default debug).

CYGNETD=""

declare -A CGD_PID=() # instance -> cygnetd PID

# --- what cygnetd logs ---------------------------------------------------
# One place for the log patterns (grep -E) the tests wait for; adapt them
# here when cygnetd's messages change. Lines look like
#   "HH:MM:SS.mmm LEVEL [conn] message", e.g.
#   "... INFO [home] IKE_SA home[1] established between 10.70.0.1[4500][cg.test] and ..."
#   "... INFO [home] IKE_SA home[1] CHILD_SA home{2} established with SPIs ..."

re_escape() {
    # shellcheck disable=SC2016
    printf '%s' "$1" | sed 's/[][\.*^$()+?{}|/]/\\&/g'
}

cg_re_ike_up() { echo "IKE_SA $(re_escape "$1")\[[0-9]+\] established"; }
# a CHILD_SA came up: the first one, and again after each rekey
cg_re_child_up() { echo "CHILD_SA $(re_escape "$1")\{[0-9]+\} established"; }
# "IKE_SA home[1] rekeyed to home[2]"
cg_re_ike_rekeyed() { echo "IKE_SA $(re_escape "$1")\[[0-9]+\] rekeyed"; }
# the IKE_SA went down because the peer stopped answering (RFC 7296 2.4)
cg_re_ike_dead() {
    echo "IKE_SA $(re_escape "$1")\[[0-9]+\] .*(dead peer|stopped answering|liveness)"
}
# the peer sent an INFORMATIONAL Delete for the IKE_SA
cg_re_ike_deleted_by_peer() {
    echo "IKE_SA $(re_escape "$1")\[[0-9]+\] .*(deleted by peer|peer deletes|gateway closed)"
}
# initiator: the responder assigned us an address / a DNS server (CP reply)
cg_re_vip_assigned() { echo "virtual IP $(re_escape "$1")"; }
cg_re_dns_assigned() { echo "DNS( server)? $(re_escape "$1")"; }
# responder: an address leased from a pool / given back on delete
cg_re_pool_lease() { echo "assigned virtual IP $(re_escape "$1")"; }
cg_re_pool_release() { echo "released virtual IP $(re_escape "$1")"; }
# anything a healthy run must never log
CG_RE_BAD='(Sanitizer|runtime error:|CRITICAL|assertion failed|Segmentation fault)'

# cg_require_cygnetd PATH: the daemon under test (meson passes its path).
# Missing is a failure, not a skip: the suite exists to test it.
cg_require_cygnetd() {
    CYGNETD="${1:-}"
    [ -n "$CYGNETD" ] || fail "usage: $0 PATH-TO-CYGNETD"
    [ -x "$CYGNETD" ] ||
        fail "cygnetd not found at '$CYGNETD' (build it first: ninja -C BUILDDIR src/service/cygnetd/cygnetd)"
}

cg_dir() {
    echo "$CG_TMP/cg-$1"
}

# cg_log INST: path of the instance's log (cygnetd's stderr).
cg_log() {
    echo "$(cg_dir "$1")/cygnetd.log"
}

cg_pid() {
    echo "${CGD_PID[$1]}"
}

cg_write_group() {
    local file="$1" header="$2" kv
    shift 2
    {
        echo "[$header]"
        for kv in "$@"; do
            [[ "$kv" == *=* ]] || fail "cygnetd config: '$kv' is not KEY=VALUE"
            echo "$kv"
        done
        echo
    } >"$file"
}

# cg_daemon_conf INST KEY=VALUE...: the [daemon] group.
cg_daemon_conf() {
    local dir
    dir="$(cg_dir "$1")"
    mkdir -p "$dir/conf.d"
    cg_write_group "$dir/conf.d/0-daemon" daemon "${@:2}"
}

# cg_conn INST NAME KEY=VALUE...: a [connection NAME] group; keys as in
# cygnetd's config format (local, remote, local-id, remote-id, auth, ike,
# esp, vip, pools, dns, rekey-time, dpd-delay, retransmit-timeout, start,
# local-ts, remote-ts, child-rekey-time, ...).
cg_conn() {
    local dir
    dir="$(cg_dir "$1")"
    mkdir -p "$dir/conf.d"
    cg_write_group "$dir/conf.d/2-conn-$2" "connection $2" "${@:3}"
}

# cg_child INST CONN CHILD KEY=VALUE...: an extra [child CONN/CHILD].
cg_child() {
    local dir
    dir="$(cg_dir "$1")"
    mkdir -p "$dir/conf.d"
    cg_write_group "$dir/conf.d/3-child-$2-$3" "child $2/$3" "${@:4}"
}

# cg_pool INST NAME ADDRS: a [pool NAME] group.
cg_pool() {
    local dir
    dir="$(cg_dir "$1")"
    mkdir -p "$dir/conf.d"
    cg_write_group "$dir/conf.d/1-pool-$2" "pool $2" "addresses=$3"
}

# cg_psk INST NAME SECRET ID...: a [psk NAME] group of the secrets file.
cg_psk() {
    local dir ids
    dir="$(cg_dir "$1")"
    mkdir -p "$dir/secrets.d"
    ids="$(
        IFS=,
        echo "${*:4}"
    )"
    cg_write_group "$dir/secrets.d/psk-$2" "psk $2" "ids=$ids" "secret=$3"
}

# cg_clear_conf INST: forget connections, pools and secrets.
cg_clear_conf() {
    rm -rf "$(cg_dir "$1")/conf.d" "$(cg_dir "$1")/secrets.d"
}

# cg_write_conf INST: assemble cygnetd.conf and secrets.conf (cg_start
# does this; call it yourself before cg_reload).
cg_write_conf() {
    local dir
    dir="$(cg_dir "$1")"
    mkdir -p "$dir/conf.d" "$dir/secrets.d"
    if [ ! -e "$dir/conf.d/0-daemon" ]; then
        cg_write_group "$dir/conf.d/0-daemon" daemon "dataplane=${CG_DATAPLANE:-log}"
    fi
    cat "$dir"/conf.d/* >"$dir/cygnetd.conf"
    cat "$dir"/secrets.d/* >"$dir/secrets.conf" 2>/dev/null || : >"$dir/secrets.conf"
    chmod 600 "$dir/secrets.conf"
}

cg_port_bound() {
    local ns="$1" port="$2"
    [ -n "$(ns_exec "$ns" ss -Huln "sport = :$port" 2>/dev/null)" ]
}

# cg_start INST NS [CYGNETD-OPTION...]: write the config and start
# cygnetd --foreground in namespace NS; returns once it listens on its IKE
# port (5 s), fails if it exits first. Options are added to the command
# line (e.g. --ike-port 4501 --natt-port 4502 --unique-ids no).
cg_start() {
    local inst="$1" ns="$2"
    shift 2
    [ -n "$CYGNETD" ] || fail "cg_start: call cg_require_cygnetd first"
    local dir port=500 arg prev=""
    dir="$(cg_dir "$inst")"
    for arg in "$@"; do
        [ "$prev" = --ike-port ] && port="$arg"
        [[ "$arg" == --ike-port=* ]] && port="${arg#*=}"
        prev="$arg"
    done
    cg_write_conf "$inst"
    mkdir -p "$dir/nss"
    if [ ! -e "$dir/nss/cert9.db" ] && command -v certutil >/dev/null 2>&1; then
        certutil -N --empty-password -d "sql:$dir/nss" >/dev/null 2>&1 || true
    fi
    # a restart appends to the same log; mark where this run begins
    echo "=== cg_start $(date +%T.%3N)" >>"$dir/cygnetd.log"
    setsid ip netns exec "$(ns_name "$ns")" "$CYGNETD" --foreground \
        --config "$dir/cygnetd.conf" --secrets "$dir/secrets.conf" \
        --control-socket "$dir/cygnetd.sock" --nss-dir "$dir/nss" \
        --pid-file "$dir/cygnetd.pid" --log-level "${CG_LOG_LEVEL:-debug}" \
        "$@" >>"$dir/cygnetd.log" 2>&1 </dev/null &
    CG_LAST_PID=$!
    CG_PIDS+=("$CG_LAST_PID")
    CGD_PID[$inst]="$CG_LAST_PID"
    local deadline
    deadline=$(($(now_ms) + 5000))
    until cg_port_bound "$ns" "$port"; do
        if ! pid_alive "${CGD_PID[$inst]}"; then
            local rc=0
            wait "${CGD_PID[$inst]}" 2>/dev/null || rc=$?
            fail "cygnetd $inst exited (status $rc) during startup; see $dir/cygnetd.log"
        fi
        [ "$(now_ms)" -lt "$deadline" ] || fail "cygnetd $inst did not bind UDP port $port within 5 s"
        sleep 0.05
    done
    vlog "cygnetd $inst up in $ns (pid ${CGD_PID[$inst]})"
}

# cg_stop INST: SIGTERM (cygnetd deletes its IKE_SAs and exits 0); waits
# and returns cygnetd's exit status.
cg_stop() {
    kill_pid TERM "${CGD_PID[$1]}"
}

# cg_kill INST: SIGKILL, no Delete sent (a dead peer).
cg_kill() {
    kill_pid KILL "${CGD_PID[$1]}" || true
}

# cg_reload INST: rewrite the config files and send SIGHUP.
cg_reload() {
    cg_write_conf "$1"
    kill -HUP "${CGD_PID[$1]}"
}

cg_alive() {
    pid_alive "${CGD_PID[$1]}"
}

# cg_wait_log INST REGEX TIMEOUT_S [FROM_LINE]: see wait_for_log.
cg_wait_log() {
    wait_for_log "$(cg_log "$1")" "$2" "$3" "${4:-0}"
}

# cg_log_mark INST: line count now, for cg_wait_log's FROM_LINE.
cg_log_mark() {
    log_lines "$(cg_log "$1")"
}

# cg_log_count INST REGEX [FROM_LINE]
cg_log_count() {
    log_count "$(cg_log "$1")" "$2" "${3:-0}"
}

# cg_assert_clean_log INST: no sanitizer report or crash in the log.
cg_assert_clean_log() {
    local bad
    bad="$(grep -m3 -E -- "$CG_RE_BAD" "$(cg_log "$1")" || true)"
    [ -z "$bad" ] || fail "cygnetd $1 logged: $bad"
}

# cg_uesp_tun INST: the TUN device of the instance's uesp data plane.
cg_uesp_tun() {
    sed -nE 's/.*uesp: ESP in user space on ([^ ]+) .*/\1/p' "$(cg_log "$1")" | tail -n1
}

# cg_uesp_counter INST NAME: the last value the instance logged for uesp
# drop counter NAME (replay, auth, malformed, unknown-spi, policy, no-sa,
# too-big, expired, io); 0 before any drop was logged.
cg_uesp_counter() {
    local line
    line="$(grep -E 'uesp counters:' "$(cg_log "$1")" | tail -n1)"
    if [ -z "$line" ]; then
        echo 0
        return
    fi
    sed -nE "s/.* $2=([0-9]+).*/\1/p" <<<"$line"
}

# cg_uesp_counter_at_least INST NAME MIN
cg_uesp_counter_at_least() {
    [ "$(cg_uesp_counter "$1" "$2")" -ge "$3" ]
}
