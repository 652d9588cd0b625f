#!/bin/bash
# Demo: a real NetworkManager brings up a Cygnet IPsec/IKEv2 VPN with
# `nmcli connection up`, against a cygnetd gateway. NetworkManager runs in
# a network namespace of its own on a private D-Bus system bus, the gateway
# in another; nothing is installed on the host and everything is removed at
# the end (the demo checks that the host is as it was). Run as root on
# Debian 12:
#
#   ./scripts/demo.sh
#
# It installs the packages it needs, builds cygnetd and nm-cygnet-service
# (in build-demo/), creates the VPN with nmcli, activates it, shows the
# active connection with the addresses, routes and DNS NetworkManager
# applied, pings through the tunnel when a packet data plane is built in
# (otherwise shows the SAs both sides negotiated), and takes it down.
# KEEP_LOGS=1 keeps the configuration and logs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
BUILD=build-demo

banner() {
    printf '\n\033[1m== %s\033[0m\n' "$*"
}

# --- inside: the demo itself (its EXIT trap removes everything it made) ----
demo_inner() {
    source "$ROOT/tests/nm/lib-nm.sh"
    nm_setup demo "$ROOT/$BUILD/src/service/nm/nm-cygnet-service" \
        "$ROOT/$BUILD/data/nm-cygnet-service.name" "$ROOT/data/nm-cygnet-service.conf" \
        "$ROOT/$BUILD/src/service/cygnetd/cygnetd"
    local psk inner=10.72.0.1
    echo "$CG_RUN_ID $CG_TMP" >"$DEMO_RUN_FILE"
    psk="demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

    banner "Topology"
    cat <<EOF
  namespace $(ns_name nm)   NetworkManager $(NetworkManager --version), private D-Bus system bus,
                           device $NM_DEV $NM_ADDR/24; nm-cygnet-service is started by NetworkManager
  namespace $(ns_name gw)   cygnetd gateway $GW_ADDR (id gw.test), protected network 10.72.0.0/16
                           ($inner on lo), virtual IPs from 10.3.0.0/28, DNS server 10.3.0.53
  PSK authentication (a random key, never shown or logged)
EOF

    banner "Starting the gateway (cygnetd)"
    nm_gateway_ns gw
    ns_addr_lo gw "$inner/32"
    export CG_DATAPLANE=auto # a packet data plane when one is built in, else "log"
    cg_pool gw vpn 10.3.0.0/28
    cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
        auth=psk pools=vpn dns=10.3.0.53 local-ts=10.72.0.0/16 remote-ts=dynamic
    cg_psk gw main "$psk" gw.test client.test
    cg_start gw gw
    grep -m1 'engine listening' "$(cg_log gw)" | sed 's/^/  /'

    banner "Starting NetworkManager"
    # shellcheck disable=SC2119 # no charon-nm configuration here
    nm_start
    nm_cli general status
    nm_cli device status

    banner "Creating the VPN with nmcli"
    local vpn_data="gateway = $GW_ADDR, local-id = client.test, remote-id = gw.test, psk-flags = 0"
    echo "  nmcli connection add type vpn con-name corp vpn-type cygnet \\"
    echo "      vpn.data \"$vpn_data\" vpn.secrets \"psk = ********\""
    nm_cli connection add type vpn con-name corp vpn-type cygnet autoconnect no \
        vpn.data "$vpn_data" vpn.secrets "psk = $psk" | sed 's/^/  /'

    banner "nmcli connection up corp"
    if ! nm_vpn_up corp 2>/dev/null; then
        echo "$NM_UP_OUTPUT"
        fail "the VPN did not come up"
    fi
    echo "  $NM_UP_OUTPUT"
    echo "  activated in $NM_UP_MS ms"

    banner "The active connection"
    nm_cli connection show --active
    echo
    nm_cli connection show corp | grep -E '^(GENERAL\.STATE|IP4\.|VPN\.(TYPE|BANNER|VPN-STATE))' |
        sed 's/^/  /'

    banner "Addresses, routes and DNS NetworkManager applied (namespace $(ns_name nm))"
    ns_exec "$NM_NS" ip -br addr show | sed 's/^/  /'
    ns_exec "$NM_NS" ip route show | sed 's/^/  /'
    nm_exec cat /run/NetworkManager/resolv.conf | grep -v '^#' | sed 's/^/  /'

    if grep -q 'engine listening.*, log data plane' "$(nm_log)" ||
        grep -q 'engine listening.*, log data plane' "$(cg_log gw)"; then
        banner "The tunnel's SAs (no packet data plane built in yet: no ping)"
        echo "  nm-cygnet-service (client):"
        grep -E 'IKE_SA corp\[[0-9]+\] (established|CHILD_SA .* established)|connection .corp. up' \
            "$(nm_log)" | sed 's/^/    /'
        echo "  cygnetd (gateway):"
        grep -E 'IKE_SA rw\[[0-9]+\] (established|assigned|CHILD_SA .* established)' "$(cg_log gw)" |
            sed 's/^/    /'
    else
        banner "ping $inner through the tunnel"
        ns_exec "$NM_NS" ping -c 3 -W 1 "$inner" | sed 's/^/  /'
    fi

    banner "nmcli connection down corp"
    nm_vpn_down corp || fail "nmcli connection down failed"
    cg_wait_log gw "IKE_SA rw\[[0-9]+\] (the peer deletes|.*deleted)" 5 | sed 's/^/  gateway: /' || true
    wait_for nm_no_service_running 5 && echo "  nm-cygnet-service has exited"
    nm_assert_no_secret "$psk"
    echo "  no log contains the PSK"

    banner "Removing the namespaces and everything in them"
}

if [ "${1:-}" = --inner ]; then
    demo_inner
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "demo.sh: run as root (it creates network namespaces): sudo ./scripts/demo.sh" >&2
    exit 1
fi

banner "Installing packages"
./scripts/install-deps.sh

banner "Building cygnetd and nm-cygnet-service"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" src/service/cygnetd/cygnetd src/service/nm/nm-cygnet-service

# What the host looks like (the root namespace and the files NetworkManager
# would touch), to prove it is the same after. Other namespaces come and go
# with whatever else runs on the machine: only the demo's own are checked.
host_state() {
    ip -br link show
    ip -br addr show
    ip route show
    sha256sum /etc/resolv.conf 2>/dev/null
    { find /etc/NetworkManager /run/NetworkManager -maxdepth 2 2>/dev/null || true; } | sort
}
before="$(host_state)"
export DEMO_RUN_FILE
DEMO_RUN_FILE="$(mktemp /tmp/cygnet-demo-run.XXXXXX)"
rc=0
bash "$0" --inner || rc=$?
after="$(host_state)"
read -r run_id run_tmp <"$DEMO_RUN_FILE" || true
rm -f "$DEMO_RUN_FILE"
left=""
if [ -n "${run_id:-}" ] && ip netns list | grep -q "^$run_id-"; then
    left+=" namespaces:$(ip netns list | grep "^$run_id-" | tr '\n' ' ')"
fi
if [ -n "${run_tmp:-}" ] && [ -e "$run_tmp" ] && [ "${KEEP_LOGS:-0}" != 1 ] && [ "$rc" = 0 ]; then
    left+=" files:$run_tmp"
fi
if [ "$before" = "$after" ] && [ -z "$left" ]; then
    echo "  the host is as it was: no namespace, process, device, address, route or file left"
else
    echo "  the host changed:$left" >&2
    diff <(echo "$before") <(echo "$after") >&2 || true
    [ "$rc" != 0 ] || rc=1
fi
[ "$rc" = 0 ] && banner "Done"
exit "$rc"
