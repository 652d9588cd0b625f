#!/bin/bash
# Split DNS through a real NetworkManager with systemd-resolved
# ([main] dns=systemd-resolved, tests/nm/lib-nm.sh NM_DNS_MODE): the
# "split DNS broken with systemd-resolved" report of NetworkManager VPN
# plugins, checked end to end.
#  - systemd-resolved (Debian's, unpacked by scripts/fetch-resolved.sh, not
#    installed) runs in NetworkManager's namespaces on its private bus, as
#    an unprivileged user with its unit's capabilities; NetworkManager
#    gives it each link's DNS servers and domains over D-Bus;
#  - the test bed of test-nm-split-dns (tests/nm/lib-split-dns.sh): a
#    cygnetd gateway pushing a DNS server inside its protected network and
#    the domain corp.test (INTERNAL_DNS_DOMAIN, RFC 8598), corporate servers
#    reachable only through the tunnel, a public server on the base
#    network; the answer tells which server a query went to;
#  - split tunnel: resolved shows the VPN's TUN device with the corporate
#    server and corp.test as its domain (not a default route), the base
#    device with the public server; names asked through resolved's stub
#    (the namespace's resolv.conf) or over D-Bus (resolvectl query): corp.test
#    only to the corporate server, through the tunnel, everything else only
#    to the public one; after down, corp.test goes to the public server;
#  - full tunnel: every name goes to the VPN's server, none to the public one;
#  - a strongSwan gateway (domain as attribute 25): the same split.
# Usage: test-nm-split-dns-resolved.sh SERVICE NAME-FILE POLICY CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
export NM_DNS_MODE=systemd-resolved
nm_setup nm-split-dns-resolved "$@"
# dnsmasq: dnsmasq-base (the test's DNS servers); dig: bind9-dnsutils
require_cmd dnsmasq dig nft busctl charon swanctl

source "$(dirname "${BASH_SOURCE[0]}")/lib-split-dns.sh"
split_dns_cygnetd_gateway
split_dns_strongswan_gateway

nm_start
# the base connection's DNS: the public server
split_dns_base_dns

nm_bus() {
    DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" nm_exec busctl --system "$@"
}

# lookup NAME: the A record a program in NetworkManager's namespace gets:
# dig asks the resolv.conf's server, resolved's stub on 127.0.0.53.
lookup() {
    nm_exec dig +short +time=2 +tries=2 A "$1" 2>&1 | tail -n1
}

answers() {
    [ "$(lookup "$1")" = "$2" ]
}

# link_field DEV WHAT: what resolvectl says of DEV's dns, domain or
# default-route ("Link 3 (cgnm0): 10.80.0.53" -> "10.80.0.53").
link_field() {
    nm_resolvectl "$2" "$1" 2>/dev/null | sed -nE 's/^Link [0-9]+ \([^)]*\): ?//p'
}

# link_is DEV WHAT REGEX
link_is() {
    [[ "$(link_field "$1" "$2")" =~ $3 ]]
}

# link_has_dns DEV: resolved has DNS servers for DEV
link_has_dns() {
    [ -n "$(link_field "$1" dns)" ]
}

# vpn_dev NAME: the device holding the VPN's virtual IP (the TUN device of
# the service's data plane, the VPN's "ip-ifindex" in NetworkManager)
vpn_dev() {
    local vip
    vip="$(nm_field "$1" IP4.ADDRESS | head -n1)"
    [ -n "$vip" ] || return 0
    ns_exec "$NM_NS" ip -o -4 addr show to "${vip%/*}" | awk '{ print $2; exit }'
}

resolved_status() {
    nm_resolvectl status 2>&1 || true
}

# status_link DEV: the lines of `resolvectl status` (stdin) about DEV
status_link() {
    awk -v dev="$1" '/^Link [0-9]+ \(/ { on = index($0, "(" dev ")") > 0 } /^Global/ { on = 0 } on'
}

# --- resolved runs in NetworkManager's namespaces, NetworkManager uses it --
resolved_pid="$(cat "$NM_DIR/resolved.pid")"
pid_alive "$resolved_pid" || fail "systemd-resolved is not running: $(tail -n5 "$NM_DIR/resolved.log")"
assert_eq "systemd-resolved is in NetworkManager's network namespace" \
    "$(readlink "/proc/$NM_PID/ns/net")" "$(readlink "/proc/$resolved_pid/ns/net")"
assert_eq "systemd-resolved runs as $NM_RESOLVED_USER" "$(id -u "$NM_RESOLVED_USER")" \
    "$(awk '/^Uid:/ { print $3 }' "/proc/$resolved_pid/status")"
owner="$(nm_bus --json=short call org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus GetConnectionUnixProcessID s org.freedesktop.resolve1 2>&1 || true)"
assert_match "systemd-resolved owns org.freedesktop.resolve1 on the private bus" \
    "\"data\":\\[$resolved_pid\\]" "$owner"
mode="$(nm_bus get-property org.freedesktop.NetworkManager /org/freedesktop/NetworkManager/DnsManager \
    org.freedesktop.NetworkManager.DnsManager Mode)"
assert_eq "DnsManager mode" 's "systemd-resolved"' "$mode"
assert_eq "the namespace's resolv.conf points at resolved's stub" "nameserver 127.0.0.53" \
    "$(nm_exec grep '^nameserver' /etc/resolv.conf)"
wait_for link_is "$NM_DEV" dns "^${PUB_DNS//./\\.}$" 15 ||
    fail "resolved: expected $NM_DEV's DNS server $PUB_DNS, got '$(link_field "$NM_DEV" dns)':
$(resolved_status)"

# --- before the VPN: everything goes to the public server -----------------
split_dns_before_vpn

# --- split tunnel up --------------------------------------------------------
split_dns_corp_up
# the VPN's own device: the TUN device of the service's data plane
tun="$(vpn_dev corp)"
if [ -z "$tun" ] || [ "$tun" = "$NM_DEV" ]; then
    fail "the VPN's virtual IP is on no device of its own ('$tun')"
fi
log "the VPN's device: $tun"

# resolved's view, as `resolvectl status` shows it to a user: the TUN
# device with the corporate server and corp.test (a routing domain or a
# search domain, both route corp.test there), not a default route for
# other names; the base device with the public server
wait_for link_is "$tun" dns "^${CORP_DNS//./\\.}$" 15 ||
    fail "resolved: expected the VPN device $tun with DNS server $CORP_DNS:
$(resolved_status)"
status="$(resolved_status)"
log "resolvectl status (split tunnel):
$status"
assert_match "resolved: corp.test is the domain of $tun" "^~?$(re_escape "$DOMAIN")$" \
    "$(link_field "$tun" domain)"
assert_eq "resolved: $tun is no default route for DNS (split tunnel)" no \
    "$(link_field "$tun" default-route)"
assert_eq "resolved: $NM_DEV keeps the public server" "$PUB_DNS" "$(link_field "$NM_DEV" dns)"
assert_eq "resolved: $NM_DEV is the default route for DNS" yes \
    "$(link_field "$NM_DEV" default-route)"
block="$(status_link "$tun" <<<"$status")"
assert_match "resolvectl status: $tun's server is the corporate one" \
    "DNS Servers: ${CORP_DNS//./\\.}$" "$block"
assert_match "resolvectl status: $tun's domain is corp.test" \
    "DNS Domain: ~?$(re_escape "$DOMAIN")$" "$block"

# corp.test through resolved's stub: the corporate server, through the tunnel
wait_for answers split.$DOMAIN "$CORP_HOST" 15 ||
    fail "with the VPN up, split.$DOMAIN: expected the corporate server's $CORP_HOST, got '$(lookup split.$DOMAIN)'"
corp_query="$(grep -E "query\[A\] split\.corp\.test from" "$CG_TMP/dns-corp.log" | head -n1)"
assert_match "the corporate server got the query through the tunnel (from the virtual IP)" \
    'from 10\.3\.0\.[0-9]+$' "$corp_query"
if queried split.$DOMAIN public; then
    fail "split.$DOMAIN leaked to the public server"
fi
# over D-Bus (resolvectl query): the answer and the link it came from
query="$(nm_resolvectl query --cache=no -4 bus.$DOMAIN 2>&1 || true)"
log "resolvectl query bus.$DOMAIN: ${query//$'\n'/ | }"
assert_match "resolvectl query bus.$DOMAIN: the corporate server's answer, via $tun" \
    "^bus\\.corp\\.test: ${CORP_HOST//./\\.} +-- link: $tun" "$query"
if queried bus.$DOMAIN public; then
    fail "bus.$DOMAIN leaked to the public server"
fi
# other names: the public server only, never into the tunnel
wait_for answers www.public.test "$PUB_HOST" 15 ||
    fail "with the VPN up, www.public.test: expected the public server's $PUB_HOST, got '$(lookup www.public.test)'"
queried www.public.test public || fail "the public server did not see www.public.test"
if queried www.public.test corp; then
    fail "www.public.test was sent to the corporate server (split tunnel)"
fi
query="$(nm_resolvectl query --cache=no -4 bus.public.test 2>&1 || true)"
assert_match "resolvectl query bus.public.test: the public server's answer, via $NM_DEV" \
    "^bus\\.public\\.test: ${PUB_HOST//./\\.} +-- link: $NM_DEV" "$query"
if queried bus.public.test corp; then
    fail "bus.public.test was sent to the corporate server (split tunnel)"
fi

# --- down: the VPN's link leaves resolved, corp.test goes to the public server
nm_vpn_down corp || fail "nmcli connection down failed"
wait_for nm_no_service_running 10 || fail "nm-cygnet-service still running after down"
tun_gone() {
    ! link_has_dns "$tun" && [[ "$(resolved_status)" != *"$CORP_DNS"* ]]
}
wait_for tun_gone 15 || fail "after down, resolved still knows the corporate server:
$(resolved_status)"
split_dns_after_down

# --- full tunnel: the VPN is the default route, all DNS goes to its server
split_dns_full_up
ftun="$(vpn_dev full)"
if [ -z "$ftun" ] || [ "$ftun" = "$NM_DEV" ]; then
    fail "the full-tunnel VPN's virtual IP is on no device of its own ('$ftun')"
fi
wait_for link_is "$ftun" default-route '^yes$' 15 ||
    fail "resolved: the full-tunnel VPN device $ftun is not the default route for DNS:
$(resolved_status)"
log "resolvectl status (full tunnel):
$(resolved_status)"
assert_eq "resolved: $ftun has the VPN's server" "$CORP_DNS" "$(link_field "$ftun" dns)"
assert_eq "resolved: $NM_DEV is no default route for DNS any more (full tunnel)" no \
    "$(link_field "$NM_DEV" default-route)"
split_dns_full_answers
nm_vpn_down full || fail "nmcli connection down (full tunnel) failed"

# --- the strongSwan gateway: its domain attribute makes the same split ------
split_dns_ss_up
sstun="$(vpn_dev sscorp)"
if [ -z "$sstun" ] || [ "$sstun" = cgnm1 ]; then
    fail "the strongSwan VPN's virtual IP is on no device of its own ('$sstun')"
fi
wait_for link_is "$sstun" domain "^~?$(re_escape "$DOMAIN")$" 15 ||
    fail "resolved: expected $sstun with the domain $DOMAIN:
$(resolved_status)"
assert_eq "resolved: $sstun has the strongSwan VPN's server" "$CORP_DNS" "$(link_field "$sstun" dns)"
split_dns_ss_answers
nm_vpn_down sscorp || fail "nmcli connection down (strongSwan) failed"

pid_alive "$resolved_pid" || fail "systemd-resolved died during the test"
nm_assert_no_secret "$PSK"
nm_assert_clean
cg_assert_clean_log gw
log PASS
