#!/bin/bash
# Split DNS through a real NetworkManager with its dnsmasq plugin
# ([main] dns=dnsmasq, tests/nm/lib-nm.sh NM_DNS_MODE):
#  - the gateway (cygnetd) pushes a DNS server (INTERNAL_IP4_DNS) inside
#    its protected network and a DNS domain (INTERNAL_DNS_DOMAIN, RFC 8598);
#  - DNS servers of our own (dnsmasq, by PID): a corporate one on the
#    gateway's inner address, answering only queries that came through the
#    tunnel, and a public one on the base network, the base connection's
#    DNS; both answer corp.test and public.test names, differently, so a
#    query sent to the wrong one is seen;
#  - split tunnel: with the VPN up, NetworkManager's dnsmasq on 127.0.0.1
#    sends corp.test to the corporate server (through the tunnel) and
#    everything else to the public one; NetworkManager's DnsManager and
#    dnsmasq itself show the corp.test -> corporate server rule; after
#    down, corp.test goes to the public server again;
#  - full tunnel (the VPN takes the default route): every query goes to the
#    VPN's DNS server;
#  - a strongSwan gateway (on a second base device) whose pool sends the
#    domain as attribute 25 and has its own corporate server: the same
#    split.
# Usage: test-nm-split-dns.sh SERVICE NAME-FILE POLICY CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
export NM_DNS_MODE=dnsmasq
nm_setup nm-split-dns "$@"
# dnsmasq: dnsmasq-base; dig: bind9-dnsutils
require_cmd dnsmasq dig nft busctl python3 charon swanctl

# the gateways and DNS servers (tests/nm/lib-split-dns.sh): cygnetd with
# the corporate and the public server, strongSwan on cgnm1 with its own
# corporate server
source "$(dirname "${BASH_SOURCE[0]}")/lib-split-dns.sh"
split_dns_cygnetd_gateway
split_dns_strongswan_gateway

# NetworkManager's dnsmasq (it reads /etc/NetworkManager/dnsmasq.d, ours):
# log its servers and where it forwards each query to a file we can read
# (there is no syslog here)
mkdir -p "$NM_DIR/etc-nm/dnsmasq.d"
cat >"$NM_DIR/etc-nm/dnsmasq.d/cg-test-log.conf" <<EOF
log-queries
log-facility=$NM_DIR/nm-dnsmasq.log
EOF

nm_start
# the base connection's DNS: the public server
split_dns_base_dns

nm_dnsmasq_log() {
    cat "$NM_DIR/nm-dnsmasq.log" 2>/dev/null
}

# lookup NAME: the A record NetworkManager's dnsmasq (127.0.0.1 in
# NetworkManager's namespace, its resolv.conf's only nameserver) returns.
lookup() {
    nm_exec dig @127.0.0.1 +short +time=2 +tries=3 A "$1" 2>&1 | tail -n1
}

# dnsmasq_servers: the servers NetworkManager last gave its dnsmasq (the
# lines dnsmasq logged after its last "setting upstream servers").
dnsmasq_servers() {
    nm_dnsmasq_log | awk '/setting upstream servers from DBus/ { n = 0; delete s; next }
        /using nameserver/ { sub(/.*using nameserver /, ""); s[++n] = $0 }
        END { for (i = 1; i <= n; i++) print s[i] }'
}

# answers NAME ADDR: NetworkManager's dnsmasq answers NAME with ADDR (it
# may take a moment to get its servers over D-Bus).
answers() {
    [ "$(lookup "$1")" = "$2" ]
}

# --- NetworkManager runs dnsmasq, only in its namespace ------------------
dnsmasq_pid="$(nm_exec cat /run/NetworkManager/dnsmasq.pid 2>/dev/null || true)"
[ -n "$dnsmasq_pid" ] || wait_for nm_exec test -s /run/NetworkManager/dnsmasq.pid 10 ||
    fail "NetworkManager started no dnsmasq (dns=dnsmasq)"
dnsmasq_pid="$(nm_exec cat /run/NetworkManager/dnsmasq.pid)"
cmdline="$(tr '\0' ' ' <"/proc/$dnsmasq_pid/cmdline")"
assert_match "NetworkManager's dnsmasq listens on 127.0.0.1" '--listen-address=127\.0\.0\.1' "$cmdline"
assert_eq "NetworkManager's dnsmasq is in its network namespace" \
    "$(readlink "/proc/$NM_PID/ns/net")" "$(readlink "/proc/$dnsmasq_pid/ns/net")"
resolv="$(nm_exec cat /run/NetworkManager/resolv.conf)"
assert_match "NetworkManager's resolv.conf points at its dnsmasq" '^nameserver 127\.0\.0\.1$' "$resolv"
mode="$(DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" nm_exec busctl --system \
    get-property org.freedesktop.NetworkManager /org/freedesktop/NetworkManager/DnsManager \
    org.freedesktop.NetworkManager.DnsManager Mode)"
assert_eq "DnsManager mode" 's "dnsmasq"' "$mode"

# --- before the VPN: everything goes to the public server -----------------
split_dns_before_vpn

# --- split tunnel up --------------------------------------------------------
split_dns_corp_up
assert_match "DNS server in the VPN's IP config" "^${CORP_DNS//./\\.}$" "$(nm_field corp IP4.DNS)"

# what NetworkManager hands its DNS plugin: the VPN's server for corp.test
# (NetworkManager's DnsManager.Configuration: "SERVERS | DOMAINS" of the
# VPN's entry)
vpn_dns_entry() {
    local conf
    conf="$(DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket" nm_exec busctl --system \
        --json=short get-property org.freedesktop.NetworkManager \
        /org/freedesktop/NetworkManager/DnsManager org.freedesktop.NetworkManager.DnsManager \
        Configuration)" || return 1
    python3 -c '
import json, sys
for e in json.loads(sys.argv[1])["data"]:
    if e.get("vpn", {}).get("data"):
        print(" ".join(e["nameservers"]["data"]), "|", " ".join(e.get("domains", {}).get("data", [])))
' "$conf"
}
vpn_dns_is_split() {
    [ "$(vpn_dns_entry)" = "$CORP_DNS | $DOMAIN" ]
}
wait_for vpn_dns_is_split 10 ||
    fail "DnsManager: expected the VPN's '$CORP_DNS | $DOMAIN', got '$(vpn_dns_entry)'"

wait_for answers split.$DOMAIN "$CORP_HOST" 15 ||
    fail "with the VPN, split.$DOMAIN: expected the corporate server's $CORP_HOST, got '$(lookup split.$DOMAIN)'"
corp_query="$(grep -E "query\[A\] split\.corp\.test from" "$CG_TMP/dns-corp.log" | head -n1)"
assert_match "the corporate server got the query through the tunnel (from the virtual IP)" \
    'from 10\.3\.0\.[0-9]+$' "$corp_query"
if queried split.$DOMAIN public; then
    fail "split.$DOMAIN leaked to the public server"
fi
assert_eq "www.public.test with the VPN up" "$PUB_HOST" "$(lookup www.public.test)"
queried www.public.test public || fail "the public server did not see www.public.test"
if queried www.public.test corp; then
    fail "www.public.test was sent to the corporate server (split tunnel)"
fi
# dnsmasq's own view of its servers (set by NetworkManager over D-Bus)
dnsmasq_names_corp() {
    nm_dnsmasq_log | grep -qF "using nameserver $CORP_DNS#53 for domain $DOMAIN"
}
wait_for dnsmasq_names_corp 5 || fail "NetworkManager's dnsmasq does not name $DOMAIN -> $CORP_DNS:
$(nm_dnsmasq_log | grep -i nameserver)"
# the broken split DNS users see: the VPN's server as one more server for
# every name ("via" its device, no domain), so names go to either
servers="$(dnsmasq_servers)"
log "NetworkManager's dnsmasq servers (split): ${servers//$'\n'/; }"
assert_no_match "split tunnel: the VPN's DNS server is not a server for all names" \
    "^${CORP_DNS//./\\.}#53\(via" "$servers"
assert_match "split tunnel: the public server serves all other names" \
    "^${PUB_DNS//./\\.}#53\(via $NM_DEV\)" "$servers"
assert_match "dnsmasq forwarded split.$DOMAIN to the corporate server" \
    "forwarded split\.corp\.test to ${CORP_DNS//./\\.}" "$(nm_dnsmasq_log)"

# --- down: corp.test goes back to the public server -------------------------
nm_vpn_down corp || fail "nmcli connection down failed"
wait_for nm_no_service_running 10 || fail "nm-cygnet-service still running after down"
split_dns_after_down

# --- full tunnel: the VPN is the default route, all DNS goes to its server
split_dns_full_up
split_dns_full_answers
servers="$(dnsmasq_servers)"
log "NetworkManager's dnsmasq servers (full tunnel): ${servers//$'\n'/; }"
assert_match "full tunnel: the VPN's DNS server serves all names" "^${CORP_DNS//./\\.}#53\(via" "$servers"
assert_no_match "full tunnel: the public server serves no forward names" \
    "^${PUB_DNS//./\\.}#53\(via" "$servers"
nm_vpn_down full || fail "nmcli connection down (full tunnel) failed"

# --- the strongSwan gateway: its domain attribute makes the same split ------
split_dns_ss_up
assert_match "strongSwan's DNS domain in the VPN's IP config" "^$(re_escape "$DOMAIN")$" \
    "$(nm_field sscorp IP4.DOMAIN)"
split_dns_ss_answers
nm_vpn_down sscorp || fail "nmcli connection down (strongSwan) failed"

nm_assert_no_secret "$PSK"
nm_assert_clean
cg_assert_clean_log gw
log PASS
