# shellcheck shell=bash
# Helpers of the policy suite, on top of tests/lib (netns, strongSwan,
# cygnetd) and tests/nm/lib-nm.sh (NetworkManager in a namespace).
#
# Roaming (roam_*): a client namespace "rw" with two links to a gateway
# namespace "gw"; the gateway's IKE address sits on its lo and the client
# reaches it over either link, the first one preferred (lower metric):
#
#   rw eth0 10.81.0.2/24 ---- gw eth0 10.81.0.1/24     gw lo: 10.80.0.1 (IKE)
#   rw eth1 10.82.0.2/24 ---- gw eth1 10.82.0.1/24            10.72.0.1 (inner)
#   rw lo: 10.71.0.1 (inner)
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-policy.sh"
#   roam_setup my-test "$CYGNETD"
#   ss_start gw gw; ss_roam_conn roam; ss_load gw      # or a cygnetd gateway
#   cg_roam_conn roam; cg_start rw rw
#   roam_ping_start 8; sleep 2; roam_leave_first_link; roam_ping_wait
#   roam_ping_report                                 # lost packets, longest gap
#
# Policy (policy_*): cygnet-policy run by NetworkManager's dispatcher in
# NetworkManager's namespace (see the second half of this file).

POLICY_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# (at the top level: these declare global associative arrays; lib-nm.sh
# brings tests/lib/netns.sh, cygnet.sh and strongswan.sh)
source "$POLICY_LIB_DIR/../nm/lib-nm.sh"

RW_ADDR1=10.81.0.2
GW_ADDR1=10.81.0.1
RW_ADDR2=10.82.0.2
GW_ADDR2=10.82.0.1
GW_IKE=10.80.0.1
RW_INNER=10.71.0.1
GW_INNER=10.72.0.1
ROAM_PSK="roam-psk-$$-$RANDOM"
ROAM_PING_PID=""
ROAM_PING_LOG=""
ROAM_PING_INTERVAL=0.05

# roam_setup NAME CYGNETD: prerequisites, harness, the two namespaces.
roam_setup() {
    local name="$1" cygnetd="${2:-}"
    require_root
    require_cmd ip ping ss python3
    require_file /dev/net/tun
    cg_require_cygnetd "$cygnetd"
    harness_init "$name"
    export CG_DATAPLANE="${CG_DATAPLANE:-uesp}"
    ns_create rw
    ns_create gw
    veth_pair rw eth0 "$RW_ADDR1/24" gw eth0 "$GW_ADDR1/24"
    veth_pair rw eth1 "$RW_ADDR2/24" gw eth1 "$GW_ADDR2/24"
    ns_addr_lo rw "$RW_INNER/32"
    # a renumbered link keeps its routes while the old address goes
    ns_exec rw sysctl -q -w net.ipv4.conf.eth1.promote_secondaries=1
    ns_addr_lo gw "$GW_IKE/32" "$GW_INNER/32"
    # both links lead to the gateway; the first one is preferred
    ip -n "$(ns_name rw)" route add "$GW_IKE/32" via "$GW_ADDR1" dev eth0 metric 100
    ip -n "$(ns_name rw)" route add "$GW_IKE/32" via "$GW_ADDR2" dev eth1 metric 200
}

# ss_roam_conn CONN [swanctl KEY=VALUE...]: a strongSwan gateway in "gw"
# accepting the roaming client (PSK, MOBIKE on unless mobike=no is given).
ss_roam_conn() {
    local conn="$1"
    shift
    ss_conn gw "$conn" local_addrs="$GW_IKE" remote_addrs=%any local_id=gw.test \
        remote_id=rw.test proposals=aes256gcm16-prfsha256-x25519 "$@"
    ss_child gw "$conn" "$conn" local_ts="$GW_INNER/32" remote_ts="$RW_INNER/32" \
        esp_proposals=aes256gcm16
    ss_psk gw "$conn" "$ROAM_PSK" gw.test rw.test
}

# cg_roam_gw_conn CONN [KEY=VALUE...]: a cygnetd gateway in "gw".
cg_roam_gw_conn() {
    local conn="$1"
    shift
    cg_conn gw "$conn" local="$GW_IKE" local-id=gw.test remote-id=rw.test auth=psk \
        ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 local-ts="$GW_INNER/32" \
        remote-ts="$RW_INNER/32" "$@"
    cg_psk gw main "$ROAM_PSK" gw.test rw.test
}

# cg_roam_conn CONN [KEY=VALUE...]: the roaming client in "rw" (no local
# address: the engine picks it, and follows the routes).
cg_roam_conn() {
    local conn="$1"
    shift
    cg_conn rw "$conn" remote="$GW_IKE" local-id=rw.test remote-id=gw.test auth=psk \
        ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 local-ts="$RW_INNER/32" \
        remote-ts="$GW_INNER/32" retransmit-timeout=500ms retransmit-tries=3 start=start "$@"
    cg_psk rw main "$ROAM_PSK" rw.test gw.test
}

# roam_ctl INST ARGS...: cygnetctl against cygnetd instance INST.
roam_ctl() {
    local inst="$1"
    shift
    "$(dirname "$CYGNETD")/../cygnetctl/cygnetctl" --socket "$(cg_dir "$inst")/cygnetd.sock" \
        --color never "$@"
}

# cg_ike_field INST CONN FIELD: one field of the first IKE_SA of CONN in
# cygnetctl's JSON (id, local_address, remote_address, state).
cg_ike_field() {
    roam_ctl "$1" --json list-sas "$2" 2>/dev/null | python3 -c '
import json, sys
field = sys.argv[1]
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
sas = doc.get("sas", doc) if isinstance(doc, dict) else doc
if not sas:
    sys.exit(1)
print(sas[0][field])' "$3"
}

# roam_ping_start SECONDS [NS DST [SRC]]: a ping every ROAM_PING_INTERVAL s
# through the tunnel (default: rw's inner address to gw's) in the
# background, with timestamps.
roam_ping_start() {
    local ns="${2:-rw}" dst="${3:-$GW_INNER}" src="${4-$RW_INNER}"
    local -a src_args=()
    [ -n "$src" ] && src_args=(-I "$src")
    ROAM_PING_LOG="$CG_TMP/ping-$(now_ms).txt"
    ns_exec "$ns" ping -D -n -i "$ROAM_PING_INTERVAL" -w "$1" -W 1 "${src_args[@]}" "$dst" \
        >"$ROAM_PING_LOG" 2>&1 &
    ROAM_PING_PID=$!
    CG_PIDS+=("$ROAM_PING_PID")
}

roam_ping_wait() {
    wait "$ROAM_PING_PID" 2>/dev/null || true
}

# roam_ping_report AT_MS: "LOST GAP_MS RESUMED_MS": packets lost in the
# run, the longest time without a reply, and how long after AT_MS (the
# move, in now_ms time) the first reply came.
roam_ping_report() {
    python3 - "$ROAM_PING_LOG" "$1" "$ROAM_PING_INTERVAL" <<'EOF'
import re, sys
path, at_ms, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
replies = []
for line in open(path):
    m = re.match(r'\[(\d+\.\d+)\].*icmp_seq=(\d+)', line)
    if m:
        replies.append((float(m.group(1)) * 1000, int(m.group(2))))
if not replies:
    print("-1 -1 -1")
    sys.exit(0)
seqs = sorted({s for _, s in replies})
lost = (seqs[-1] - seqs[0] + 1) - len(seqs)
times = sorted(t for t, _ in replies)
gap = max((b - a for a, b in zip(times, times[1:])), default=0)
after = [t for t in times if t >= at_ms]
resumed = int(after[0] - at_ms) if after else -1
print(lost, int(gap), resumed)
EOF
}

# roam_move STEP ACTION CLIENT-INST CONN EXPECTED_ADDR: runs ACTION (a
# function) while a ping runs through the tunnel; fails unless at most a
# couple of packets are lost, traffic is back within ROAM_MAX_MS (1000)
# and the client logged that the gateway follows it (MOBIKE). Appends a
# line to $CG_TMP/results.txt.
ROAM_MAX_MS=1000
roam_move() {
    local step="$1" action="$2" inst="$3" conn="$4" want="$5" t0 report lost gap resumed mark
    mark="$(cg_log_mark "$inst")"
    roam_ping_start 4
    sleep 1.5
    t0="$(now_ms)"
    "$action"
    roam_ping_wait
    report="$(roam_ping_report "$t0")"
    read -r lost gap resumed <<<"$report"
    log "$step: $lost packets lost, longest gap $gap ms, traffic back $resumed ms after the change"
    echo "$step lost=$lost gap_ms=$gap resumed_ms=$resumed" >>"$CG_TMP/results.txt"
    [ "$lost" -ge 0 ] || fail "$step: no ping reply at all"
    if [ "$resumed" -lt 0 ] || [ "$resumed" -gt "$ROAM_MAX_MS" ]; then
        fail "$step: traffic back only $resumed ms after the change ($ROAM_MAX_MS allowed)"
    fi
    if [ "${ROAM_EXPECT_MOBIKE:-1}" = 1 ]; then
        [ "$lost" -le 3 ] || fail "$step: $lost packets lost (at most a couple allowed)"
        cg_wait_log "$inst" "the peer follows us to $(re_escape "$want")" 3 "$mark" >/dev/null ||
            fail "$step: cygnetd did not see the gateway follow to $want"
    fi
}

# roam_leave_first_link: the first link goes down (the laptop leaves that
# network); the route over the second one takes over.
roam_leave_first_link() {
    ip -n "$(ns_name rw)" link set eth0 down
}

# roam_back_to_first_link: the first link comes back with its route.
roam_back_to_first_link() {
    ip -n "$(ns_name rw)" link set eth0 up
    ip -n "$(ns_name rw)" route replace "$GW_IKE/32" via "$GW_ADDR1" dev eth0 metric 100
}

# roam_renumber_second_link NEW_ADDR: the second link gets another address
# (as after a DHCP change); the old one goes.
roam_renumber_second_link() {
    local ns
    ns="$(ns_name rw)"
    ip -n "$ns" addr add "$1/24" dev eth1
    ip -n "$ns" addr del "$RW_ADDR2/24" dev eth1
    ip -n "$ns" route replace "$GW_IKE/32" via "$GW_ADDR2" dev eth1 src "$1" metric 200
}

# ss_remote_of INST CONN: the remote address strongSwan shows for CONN.
ss_remote_of() {
    ss_list_sas "$1" | awk -v conn="$2" '
        $0 ~ "^" conn ": #" { inside = 1; next }
        /^[^ ]/ { inside = 0 }
        inside && $1 == "remote" { for (i = 2; i <= NF; i++) if ($i == "@") { v = $(i+1); sub(/\[.*/, "", v); print v; exit } }'
}

# ---- cygnet-policy with a real NetworkManager ------------------------------
#
#   policy_nm_setup my-test "$@"     # SERVICE NAME-FILE DBUS-POLICY CYGNETD POLICY HOOK
#   nm_gateway_ns gw; cg_conn gw ...; cg_start gw gw
#   policy_nm_start                  # NetworkManager with the dispatcher and the hook
#   policy_write <<EOF ... EOF       # the policy file
#   mark="$(policy_log_mark)"; nm_cli connection up base
#   policy_wait_log 'VPN up: ' 5 "$mark"

POLICY_BIN=""  # cygnet-policy (build dir)
POLICY_HOOK="" # data/cygnet-policy-dispatcher.in (source dir)

# policy_nm_setup NAME SERVICE NAME-FILE DBUS-POLICY CYGNETD POLICY-BIN HOOK-TEMPLATE
policy_nm_setup() {
    local name="$1"
    POLICY_BIN="${6:+$(readlink -f "$6")}"
    POLICY_HOOK="${7:+$(readlink -f "$7")}"
    nm_setup "$name" "$2" "$3" "$4" "$5"
    [ -x "$POLICY_BIN" ] || fail "cygnet-policy not found at '$POLICY_BIN' (ninja -C BUILDDIR src/service/policy/cygnet-policy)"
    [ -f "$POLICY_HOOK" ] || fail "the dispatcher hook template is missing: '$POLICY_HOOK'"
    require_file /usr/share/dbus-1/system-services/org.freedesktop.nm_dispatcher.service
}

# policy_nm_start: NetworkManager (nm_start) with nm-dispatcher activatable
# on its private bus and the hook installed as a package would (in
# dispatcher.d and linked from pre-down.d), calling the build's
# cygnet-policy with the policy file in the test's /etc/NetworkManager.
policy_nm_start() {
    mkdir -p "$NM_DIR/etc-nm/dispatcher.d/pre-down.d" "$NM_DIR/dbus-services"
    cp /usr/share/dbus-1/system-services/org.freedesktop.nm_dispatcher.service "$NM_DIR/dbus-services/"
    sed "s|^exec .*|exec '$POLICY_BIN' --config /etc/NetworkManager/cygnet-policy.conf \"\$@\"|" \
        "$POLICY_HOOK" >"$NM_DIR/etc-nm/dispatcher.d/90-cygnet-policy"
    chmod 0755 "$NM_DIR/etc-nm/dispatcher.d/90-cygnet-policy"
    ln -sf ../90-cygnet-policy "$NM_DIR/etc-nm/dispatcher.d/pre-down.d/90-cygnet-policy"
    nm_start
    # nm-dispatcher gives scripts no bus address: libnm in cygnet-policy
    # finds the private bus where the system bus would be (in
    # NetworkManager's own tmpfs /run)
    nm_exec ln -sf "$NM_DIR/system_bus_socket" /run/dbus/system_bus_socket
}

# policy_write: the policy file from stdin.
policy_write() {
    cat >"$NM_DIR/etc-nm/cygnet-policy.conf"
}

# policy_log: cygnet-policy's decision log (in NetworkManager's /run).
policy_log() {
    nm_exec cat /run/cygnet-policy/decisions.log 2>/dev/null || true
}

policy_log_mark() {
    policy_log | wc -l
}

# policy_wait_log REGEX TIMEOUT_S [FROM_LINE]: a decision line matching
# REGEX (after line FROM_LINE) is printed; 1 after TIMEOUT_S.
policy_wait_log() {
    local regex="$1" timeout="$2" from="${3:-0}" deadline line
    deadline=$(($(now_ms) + $(to_ms "$timeout")))
    while :; do
        line="$(policy_log | tail -n "+$((from + 1))" | grep -m1 -E -- "$regex")" && {
            printf '%s\n' "$line"
            return 0
        }
        if [ "$(now_ms)" -ge "$deadline" ]; then
            printf 'timeout after %ss waiting for /%s/ in the decision log\n' "$timeout" "$regex" >&2
            policy_log | tail -n 20 >&2
            return 1
        fi
        sleep 0.05
    done
}

# policy_conn_add NAME DEV ADDR/PREFIX [GATEWAY METRIC]: an ethernet profile;
# without GATEWAY it never carries the default route.
policy_conn_add() {
    local name="$1" dev="$2" addr="$3" gw="${4:-}" metric="${5:-100}"
    local -a route=(ipv4.never-default yes)
    [ -n "$gw" ] && route=(ipv4.gateway "$gw" ipv4.route-metric "$metric")
    nm_cli connection add type ethernet con-name "$name" ifname "$dev" autoconnect no \
        ipv4.method manual ipv4.addresses "$addr" "${route[@]}" ipv6.method disabled >/dev/null ||
        fail "cannot add the connection $name"
}

# policy_decision_ms: the in-process decision times of every decision
# logged so far, one per line.
policy_decision_ms() {
    policy_log | sed -nE 's/.*\[decided in ([0-9.]+) ms.*/\1/p'
}
