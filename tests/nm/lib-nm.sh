# shellcheck shell=bash
# A real NetworkManager for the nm tests: NetworkManager in its own network
# namespace, on a private system bus, with tmpfs over /run and
# /var/lib/NetworkManager and a bind mount over /etc/NetworkManager whose
# VPN/nm-cygnet-service.name runs the service from the BUILD directory.
# Nothing is installed on the host; everything goes with the test's
# namespaces and temp dir (tests/lib/netns.sh cleans up on every exit).
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
#   nm_setup my-test "$@"          # SERVICE NAME-FILE POLICY from meson
#   nm_gateway_ns gw               # a namespace for the gateway, veth to NM
#   cg_conn / ss_conn ...          # the gateway (tests/lib/cygnet.sh, strongswan.sh)
#   nm_start
#   nm_vpn_add corp gateway=10.80.0.1 local-id=client.test -- psk=secret
#   nm_vpn_up corp || fail "..."
#
# Needs bash 5, root, NetworkManager, nmcli, dbus-daemon, nsenter.

NM_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$NM_LIB_DIR/../lib/netns.sh"
source "$NM_LIB_DIR/../lib/cygnet.sh"
source "$NM_LIB_DIR/../lib/strongswan.sh"

NM_SERVICE_TYPE=org.freedesktop.NetworkManager.cygnet
NM_SERVICE=""   # nm-cygnet-service under test (build dir)
NM_NAME_FILE="" # data/nm-cygnet-service.name as built
NM_POLICY=""    # data/nm-cygnet-service.conf
NM_DIR=""       # NetworkManager's files in the temp dir
NM_PID=""       # NetworkManager's PID
NM_NS="nm"      # NetworkManager's namespace (logical name)
NM_DEV=cgnm0    # the base device NetworkManager manages
NM_ADDR=10.80.0.2
GW_ADDR=10.80.0.1
NM_UP_OUTPUT="" # what the last nm_vpn_up printed
NM_UP_MS=0      # and how long it took
# NetworkManager's [main] dns= plugin: "default" (resolv.conf only) unless
# a test sets it before nm_start, e.g. NM_DNS_MODE=dnsmasq (NetworkManager
# then runs its own dnsmasq on 127.0.0.1 in its namespaces).
NM_DNS_MODE="${NM_DNS_MODE:-default}"
# NM_DNS_MODE=systemd-resolved: systemd-resolved (unpacked, never installed:
# scripts/fetch-resolved.sh) runs in NetworkManager's namespaces on the
# private bus, started before NetworkManager (nm-inner.sh); nm_setup finds
# it in $CG_RESOLVED_DIR (default /var/cache/cygnet-test/systemd-resolved).
NM_RESOLVED=""    # its systemd-resolved
NM_RESOLVECTL=""  # and resolvectl
# the unprivileged user it runs as, with the capabilities its unit gives it
# (the package's systemd-resolve user does not exist without the package)
NM_RESOLVED_USER=nobody

nm_log() {
    echo "$NM_DIR/nm.log"
}

NM_TEST_AGENT="" # tests/nm/nm-test-agent (build dir), for nm_agent_start

# nm_setup NAME SERVICE NAME-FILE POLICY [CYGNETD [AGENT]]: prerequisites, temp dir,
# NetworkManager's namespace. A missing build product is a failure, not a
# skip: the suite exists to test it.
nm_setup() {
    local name="$1"
    # absolute: some commands run in NetworkManager's mount namespace
    NM_SERVICE="${2:+$(readlink -f "$2")}"
    NM_NAME_FILE="${3:+$(readlink -f "$3")}"
    NM_POLICY="${4:+$(readlink -f "$4")}"
    require_root
    require_cmd NetworkManager nmcli dbus-daemon nsenter unshare ip
    [ -x "$NM_SERVICE" ] || fail "nm-cygnet-service not found at '$NM_SERVICE' (ninja -C BUILDDIR src/service/nm/nm-cygnet-service)"
    [ -f "$NM_NAME_FILE" ] || fail "nm-cygnet-service.name not found at '$NM_NAME_FILE'"
    [ -f "$NM_POLICY" ] || fail "D-Bus policy not found at '$NM_POLICY'"
    if [ -n "${5:-}" ]; then
        cg_require_cygnetd "$5"
    fi
    NM_TEST_AGENT="${6:+$(readlink -f "$6")}"
    if [ "$NM_DNS_MODE" = systemd-resolved ]; then
        nm_resolved_require
    fi
    harness_init "$name"
    NM_DIR="$CG_TMP/nm"
    ns_create "$NM_NS"
}

# nm_resolved_require: systemd-resolved and resolvectl as
# scripts/fetch-resolved.sh unpacks them, and runnable with the installed
# systemd's libsystemd-shared (same version).
nm_resolved_require() {
    local dir="${CG_RESOLVED_DIR:-/var/cache/cygnet-test/systemd-resolved}"
    local fetch
    fetch="sh $(readlink -f "$NM_LIB_DIR/../../scripts/fetch-resolved.sh")"
    [ "$dir" = /var/cache/cygnet-test/systemd-resolved ] || fetch="CG_RESOLVED_DIR=$dir $fetch"
    NM_RESOLVED="$dir/lib/systemd/systemd-resolved"
    NM_RESOLVECTL="$dir/usr/bin/resolvectl"
    require_cmd setpriv
    if [ ! -x "$NM_RESOLVED" ] || [ ! -x "$NM_RESOLVECTL" ]; then
        skip_or_fail "systemd-resolved not found at $NM_RESOLVED: run '$fetch' (downloads and unpacks the package, does not install it)"
    fi
    if ! "$NM_RESOLVED" --version >/dev/null 2>&1; then
        skip_or_fail "$NM_RESOLVED does not run (another systemd version than the installed one?): run '$fetch' again"
    fi
    id "$NM_RESOLVED_USER" >/dev/null 2>&1 ||
        skip_or_fail "no user '$NM_RESOLVED_USER' to run systemd-resolved as"
}

# nm_resolved_write_config: resolved's settings and its bus policy. No
# LLMNR, no mDNS (no multicast from the test), no fallback or global
# servers: every server comes from NetworkManager.
nm_resolved_write_config() {
    mkdir -p "$NM_DIR/resolved"
    printf '%s\n' "$NM_RESOLVED" >"$NM_DIR/resolved/binary"
    printf '%s\n' "$NM_RESOLVED_USER" >"$NM_DIR/resolved/user"
    cat >"$NM_DIR/resolved/resolved.conf" <<EOF
# generated by tests/nm/lib-nm.sh
[Resolve]
DNS=
FallbackDNS=
Domains=
LLMNR=no
MulticastDNS=no
DNSSEC=no
DNSOverTLS=no
DNSStubListener=yes
ReadEtcHosts=no
EOF
    cat >"$NM_DIR/dbus-system.d/cg-resolve1.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- systemd-resolved on the private bus (tests/nm/lib-nm.sh): it runs as
     $NM_RESOLVED_USER; NetworkManager and the test (root) call it -->
<busconfig>
  <policy user="$NM_RESOLVED_USER">
    <allow own="org.freedesktop.resolve1"/>
  </policy>
  <policy user="root">
    <allow own="org.freedesktop.resolve1"/>
    <allow send_destination="org.freedesktop.resolve1"/>
  </policy>
</busconfig>
EOF
}

# nm_resolvectl ARGS...: resolvectl in NetworkManager's namespaces, on the
# private bus (link names are those of NetworkManager's namespace).
nm_resolvectl() {
    DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" SYSTEMD_COLORS=0 \
        timeout 30 nsenter --target "$NM_PID" --mount --net --uts -- \
        "$NM_RESOLVECTL" --no-pager "$@" </dev/null
}

# nm_gateway_ns NS [GW_ADDR NM_ADDR DEV]: namespace NS joined to
# NetworkManager's by a veth; NM's end is DEV (default $NM_DEV; a name
# starting with "cgnm", which NetworkManager manages), configured again by
# NetworkManager in nm_base_up.
nm_gateway_ns() {
    local ns="$1" gw="${2:-$GW_ADDR}" client="${3:-$NM_ADDR}" dev="${4:-$NM_DEV}"
    ns_create "$ns"
    veth_pair "$NM_NS" "$dev" "$client/24" "$ns" eth0 "$gw/24"
}

nm_write_config() {
    mkdir -p "$NM_DIR"/{conns,conf.d,sysconf.d,etc-nm/VPN,dbus-system.d,dbus-services}
    chmod 700 "$NM_DIR/conns"
    # dns=dnsmasq: NetworkManager's dnsmasq reads --conf-dir=/etc/NetworkManager/dnsmasq.d
    if [ "$NM_DNS_MODE" = dnsmasq ]; then
        mkdir -p "$NM_DIR/etc-nm/dnsmasq.d"
    fi
    cat >"$NM_DIR/NetworkManager.conf" <<EOF
# generated by tests/nm/lib-nm.sh
[main]
plugins=keyfile
# DNS is applied to /run/NetworkManager/resolv.conf (tmpfs, ours) only
dns=$NM_DNS_MODE
rc-manager=unmanaged
hostname-mode=none
# no polkit here: root clients are authorized without it
auth-polkit=false
no-auto-default=*
dhcp=internal

[keyfile]
path=$NM_DIR/conns
unmanaged-devices=except:interface-name:cgnm*

[device-cg]
match-device=interface-name:cgnm*
managed=1

[connectivity]
enabled=false

[logging]
level=DEBUG
domains=ALL,VPN_PLUGIN:TRACE,VPN:TRACE
EOF
    # the .name file as built, running the service from the build dir
    sed "s|^program=.*|program=$NM_SERVICE|" "$NM_NAME_FILE" \
        >"$NM_DIR/etc-nm/VPN/nm-cygnet-service.name"
    cp "$NM_POLICY" "$NM_DIR/dbus-system.d/"
    # dns=systemd-resolved: nm-inner.sh starts resolved before NetworkManager
    if [ "$NM_DNS_MODE" = systemd-resolved ]; then
        nm_resolved_write_config
    fi
    cat >"$NM_DIR/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- the private system bus of one nm test (tests/nm/lib-nm.sh) -->
<busconfig>
  <type>system</type>
  <listen>unix:path=$NM_DIR/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <!-- only our own activatable services: the standard directories would
       start ModemManager or polkitd in the namespace -->
  <servicedir>$NM_DIR/dbus-services</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <!-- NetworkManager's own policy (and NetworkManager-strongswan's) -->
  <includedir>/usr/share/dbus-1/system.d</includedir>
  <!-- the policy under test -->
  <includedir>$NM_DIR/dbus-system.d</includedir>
</busconfig>
EOF
}

# nm_cli ARGS...: nmcli in NetworkManager's namespaces (it then reads the
# same VPN/*.name files NetworkManager does).
nm_cli() {
    DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" \
        timeout 120 nsenter --target "$NM_PID" --mount --net --uts -- nmcli "$@" </dev/null
}

# nm_exec CMD...: a command in NetworkManager's namespaces.
nm_exec() {
    nsenter --target "$NM_PID" --mount --net --uts -- "$@"
}

nm_running() {
    [ "$(nm_cli -t -f RUNNING general 2>/dev/null)" = running ]
}

# nm_device_ready [DEV]: NetworkManager manages DEV (default $NM_DEV).
nm_device_ready() {
    local state
    state="$(nm_cli -g GENERAL.STATE device show "${1:-$NM_DEV}" 2>/dev/null)"
    [ -n "$state" ] && [[ "$state" != *unmanaged* ]] && [[ "$state" != *unavailable* ]]
}

# _nm_inner_pids: the daemons nm-inner.sh started next to NetworkManager
# (its bus, systemd-resolved) go with the test.
_nm_inner_pids() {
    local f
    for f in "$NM_DIR/dbus.pid" "$NM_DIR/resolved.pid"; do
        if [ -s "$f" ]; then
            CG_PIDS+=("$(cat "$f")")
        fi
    done
}

# nm_start [STRONGSWAN_CONF]: NetworkManager and its bus in $NM_NS; then
# the base connection on $NM_DEV. STRONGSWAN_CONF (for charon-nm) is
# bind-mounted over /etc/strongswan.conf in NetworkManager's mount ns.
nm_start() {
    nm_write_config
    if [ -n "${1:-}" ]; then
        cp "$1" "$NM_DIR/strongswan.conf"
    fi
    # sanitizer reports of the service (an ASan build) go to their own files
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:log_path=$NM_DIR/asan}"
    ns_spawn "$NM_NS" "$NM_DIR/nm.log" unshare -m -u --propagation private \
        bash "$NM_LIB_DIR/nm-inner.sh" "$NM_DIR"
    local launcher="$CG_LAST_PID" up_s=10
    if [ "$NM_DNS_MODE" = systemd-resolved ]; then
        up_s=30 # nm-inner.sh waits for resolved on the bus first
    fi
    if ! wait_for test -s "$NM_DIR/nm.pid" "$up_s"; then
        _nm_inner_pids
        fail "NetworkManager's namespace did not come up"
    fi
    NM_PID="$(cat "$NM_DIR/nm.pid")"
    [ "$NM_PID" = "$launcher" ] || CG_PIDS+=("$NM_PID")
    _nm_inner_pids
    wait_for nm_running 20 || fail "NetworkManager is not running after 20 s"
    nm_base_up
}

# nm_base_up [NAME DEV ADDR GATEWAY]: an ethernet connection NAME on DEV
# (default: "base" on $NM_DEV with $NM_ADDR, default route via $GW_ADDR;
# NetworkManager looks for the default route's connection when it
# reconnects a persistent VPN). Other DEVs get no default route.
# shellcheck disable=SC2120 # nm_start calls it without arguments
nm_base_up() {
    local name="${1:-base}" dev="${2:-$NM_DEV}" addr="${3:-$NM_ADDR}" gw="${4:-$GW_ADDR}"
    local -a route=()
    [ "$dev" = "$NM_DEV" ] && route=(ipv4.gateway "$gw")
    wait_for nm_device_ready "$dev" 20 || fail "NetworkManager does not manage $dev after 20 s"
    nm_cli connection add type ethernet con-name "$name" ifname "$dev" autoconnect no \
        ipv4.method manual ipv4.addresses "$addr/24" "${route[@]}" \
        ipv6.method disabled >/dev/null || fail "cannot add the base connection $name"
    nm_cli --wait 20 connection up "$name" >/dev/null || fail "the base connection $name did not come up"
}

# nm_vpn_data KEY=VALUE...: nmcli's "key = value, key = value" form
# (commas and backslashes inside values escaped).
nm_vpn_data() {
    local kv out="" value
    for kv in "$@"; do
        value="${kv#*=}"
        value="${value//\\/\\\\}"
        value="${value//,/\\,}"
        out+="${out:+, }${kv%%=*} = $value"
    done
    printf '%s' "$out"
}

# nm_vpn_add NAME DATA-KEY=VALUE... [-- SECRET-KEY=VALUE...] [++ NMCLI-PROPERTY VALUE...]
# A Cygnet VPN profile made with nmcli. Secrets given here are stored in
# the profile (psk-flags=0 unless given).
nm_vpn_add() {
    local name="$1"
    shift
    local -a data=() secrets=() extra=()
    local mode=data
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --) mode=secrets ;;
            ++) mode=extra ;;
            *)
                case "$mode" in
                    data) data+=("$1") ;;
                    secrets) secrets+=("$1") ;;
                    extra) extra+=("$1") ;;
                esac
                ;;
        esac
        shift
    done
    local -a args=(connection add type vpn con-name "$name" vpn-type "$NM_SERVICE_TYPE"
        autoconnect no vpn.data "$(nm_vpn_data "${data[@]}")")
    if [ "${#secrets[@]}" -gt 0 ]; then
        args+=(vpn.secrets "$(nm_vpn_data "${secrets[@]}")")
    fi
    nm_cli "${args[@]}" "${extra[@]}" >/dev/null || fail "nmcli could not add VPN $name"
}

# nm_vpn_up NAME [WAIT_S [DEV]]: `nmcli connection up NAME` on the base
# device DEV (default $NM_DEV). NM_UP_OUTPUT gets nmcli's output, NM_UP_MS
# the time; returns nmcli's status.
nm_vpn_up() {
    local name="$1" wait_s="${2:-60}" dev="${3:-$NM_DEV}" t0 rc=0
    t0="$(now_ms)"
    NM_UP_OUTPUT="$(nm_cli --wait "$wait_s" connection up "$name" ifname "$dev" 2>&1)" || rc=$?
    NM_UP_MS=$(($(now_ms) - t0))
    log "nmcli connection up $name: status $rc after $NM_UP_MS ms: ${NM_UP_OUTPUT//$'\n'/ | }"
    return "$rc"
}

nm_vpn_down() {
    nm_cli --wait 20 connection down "$1" >/dev/null 2>&1
}

# nm_active_state NAME: "activated", "activating", ... or "" when inactive.
nm_active_state() {
    nm_cli -g GENERAL.STATE connection show "$1" 2>/dev/null | head -n1
}

nm_is_inactive() {
    [ -z "$(nm_active_state "$1")" ]
}

# nm_wait_inactive NAME TIMEOUT_S
nm_wait_inactive() {
    wait_for nm_is_inactive "$1" "$2"
}

# nm_field NAME FIELD: one field of `nmcli connection show NAME`
# (IP4.ADDRESS, IP4.DNS, VPN.BANNER, ...), one value per line. (`nmcli -g`
# cannot name the active VPN.* fields: they clash with the vpn setting.)
nm_field() {
    nm_cli connection show "$1" 2>/dev/null | awk -v field="$2" '
        { key = $0; sub(/:.*/, "", key); sub(/\[[0-9]+\]$/, "", key) }
        key == field { value = $0; sub(/^[^:]*: */, "", value); print value }'
}

# nm_service_pids: the nm-cygnet-service processes NetworkManager runs.
nm_service_pids() {
    local pid
    for pid in $(ip netns pids "$(ns_name "$NM_NS")" 2>/dev/null); do
        if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$NM_SERVICE")" ]; then
            echo "$pid"
        fi
    done
}

nm_no_service_running() {
    [ -z "$(nm_service_pids)" ]
}

# nm_keyfile NAME: the keyfile NetworkManager saved the profile NAME in.
nm_keyfile() {
    grep -lx "id=$1" "$NM_DIR"/conns/* 2>/dev/null | head -n1
}

# nm_profile_digest NAME: what the saved profile holds (keyfile and D-Bus
# view, secrets included), to prove the service never changes it.
_nm_profile_digest_once() {
    local shown="" try
    # nmcli can fail on a loaded machine: an empty answer must not look
    # like a changed profile
    for try in 1 2 3 4 5; do
        shown="$(nm_cli --show-secrets -g vpn.data,vpn.secrets,vpn.service-type \
            connection show "$1" 2>/dev/null)" && [ -n "$shown" ] && break
        sleep 0.5
    done
    [ -n "$shown" ] || fail "nmcli could not show profile '$1'"
    {
        cat "$(nm_keyfile "$1")"
        printf '%s\n' "$shown"
    } | sha256sum | cut -d' ' -f1
}

# nm_profile_digest NAME: a digest of the saved profile (keyfile and what
# nmcli shows), read until two reads agree: NetworkManager may still be
# writing the keyfile it just created.
nm_profile_digest() {
    local a b try
    a="$(_nm_profile_digest_once "$1")"
    for try in 1 2 3 4 5 6; do
        sleep 0.3
        b="$(_nm_profile_digest_once "$1")"
        [ "$a" = "$b" ] && break
        a="$b"
    done
    printf '%s\n' "$a"
}

# nm_logs: every log file of the run (NetworkManager's with the service's
# stderr, cygnetd's, strongSwan's, systemd-resolved's, sanitizers').
nm_logs() {
    find "$CG_TMP" -type f \( -name '*.log' -o -name '*.stdout' -o -name 'asan*' -o -name 'swanctl.out' -o -name 'agent-requests' \) 2>/dev/null
}

# nm_assert_no_secret SECRET...: no log contains any of them.
nm_assert_no_secret() {
    local secret file
    for secret in "$@"; do
        while IFS= read -r file; do
            if grep -qF -- "$secret" "$file"; then
                fail "a secret appears in $file"
            fi
        done < <(nm_logs)
    done
}

# nm_assert_clean: no sanitizer report, crash or critical warning from the
# service.
nm_assert_clean() {
    local bad
    bad="$(grep -h -m3 -E 'AddressSanitizer|LeakSanitizer|runtime error:|nm-cygnet-service.*(CRITICAL|WARNING \*\*)|Segmentation' \
        "$(nm_log)" "$NM_DIR"/asan* 2>/dev/null || true)"
    [ -z "$bad" ] || fail "sanitizer or GLib critical report: $bad"
}

# nm_agent_start PSK: tests/nm/nm-test-agent as a secret agent answering
# VPN secrets requests with PSK (kept in a file of the temp dir, mode
# 0600); its requests are logged to $NM_DIR/agent-requests (hints, never
# the PSK).
nm_agent_start() {
    [ -x "$NM_TEST_AGENT" ] || fail "nm-test-agent not found at '$NM_TEST_AGENT'"
    (umask 077 && printf '%s\n' "$1" >"$NM_DIR/agent-psk")
    : >"$NM_DIR/agent-requests"
    spawn "$NM_DIR/agent.stdout" nsenter --target "$NM_PID" --mount --net --uts -- \
        env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" \
        "$NM_TEST_AGENT" "$NM_DIR/agent-psk" "$NM_DIR/agent-requests"
    wait_for_log "$NM_DIR/agent.stdout" '^agent registered' 10 >/dev/null ||
        fail "the test secret agent did not register"
}

# nm_service_dataplane: the data plane the last service's engine uses
# ("log", "uesp", "xfrm"), from its log line "engine listening on ...".
nm_service_dataplane() {
    sed -nE 's/.*engine listening on .*, ([a-z]+) data plane.*/\1/p' "$(nm_log)" | tail -n1
}

# nm_log_wait REGEX TIMEOUT_S [FROM_LINE]: the service logs to
# NetworkManager's log (its stderr).
nm_log_wait() {
    wait_for_log "$(nm_log)" "$1" "$2" "${3:-0}"
}

nm_log_mark() {
    log_lines "$(nm_log)"
}
