# shellcheck shell=bash
# The split DNS test bed shared by test-nm-split-dns.sh (NetworkManager's
# dnsmasq plugin) and test-nm-split-dns-resolved.sh (systemd-resolved):
#  - a cygnetd gateway (namespace gw, on $NM_DEV) that pushes a DNS server
#    inside its protected network (INTERNAL_IP4_DNS) and a DNS domain
#    (INTERNAL_DNS_DOMAIN, RFC 8598); connection "split" (selector: the
#    protected network) and "full" (the whole IPv4 space);
#  - a strongSwan gateway (gw2, on the second base device cgnm1, no
#    default route) whose pool sends the same server address and the domain
#    as attribute 25, with a corporate server of its own;
#  - DNS servers of our own (dnsmasq, by PID): a corporate one on each
#    gateway's inner address, answering only queries that came through the
#    tunnel (nftables drops the rest), and a public one on the base
#    network; they answer corp.test and public.test names differently, so
#    the answer tells which server a query went to, and each logs every
#    query it gets.
# Source after lib-nm.sh and nm_setup:
#   split_dns_cygnetd_gateway; split_dns_strongswan_gateway
#   nm_start; split_dns_base_dns
#   queried NAME corp|public|sscorp

PSK="nm-split-dns-psk-$$-$RANDOM"
VIP_POOL=10.3.0.0/28
INNER_NET=10.72.0.0/16
CORP_DNS=10.72.0.53 # on the gateway, inside the protected network
PUB_DNS=10.80.0.53  # on the base network
DOMAIN=corp.test
# answers: which server answered says where a query went
CORP_HOST=10.72.1.10     # corp.test names at the corporate server
CORP_LEAK=192.0.2.66     # corp.test names at the public server
PUB_HOST=192.0.2.80      # public.test names at the public server
PUB_AT_CORP=10.72.9.9    # public.test names at the corporate server
# the strongSwan gateway
SS_GW=10.81.0.1
SS_CLIENT=10.81.0.2
SS_POOL=10.4.0.0/28
SS_CORP_HOST=10.72.2.20  # corp.test names at its corporate server

# dns_server NS NAME ADDR ANSWERS...: a dnsmasq in namespace NS answering
# only from its --address rules (no upstream, no hosts file), logging every
# query to $CG_TMP/dns-NAME.log.
dns_server() {
    local ns="$1" name="$2" addr="$3"
    shift 3
    ns_spawn "$ns" "$CG_TMP/dns-$name.log" dnsmasq --keep-in-foreground --conf-file=/dev/null \
        --no-resolv --no-hosts --no-poll --bind-interfaces --listen-address="$addr" \
        --pid-file= --user=nobody --log-queries --log-facility=- --local-ttl=0 "$@"
    wait_for_log "$CG_TMP/dns-$name.log" 'started, version' 10 >/dev/null ||
        fail "the $name DNS server did not start"
}

# split_dns_corp_only NS POOL: the corporate server is reachable only
# through the tunnel: the gateway drops DNS to it from anything but the
# virtual IPs (the base network could otherwise reach the gateway's
# address directly).
split_dns_corp_only() {
    ns_exec "$1" nft -f - <<NFT || fail "nft rules in the gateway $1"
table ip cgdns {
    chain input {
        type filter hook input priority filter; policy accept;
        ip daddr $CORP_DNS ip saddr != $2 drop
    }
}
NFT
}

# split_dns_cygnetd_gateway: the cygnetd gateway, its corporate server and
# the public server (on the gateway's base network address).
split_dns_cygnetd_gateway() {
    nm_gateway_ns gw
    ns_addr_lo gw 10.72.0.1/32 "$CORP_DNS/32"
    ip -n "$(ns_name gw)" addr add "$PUB_DNS/24" dev eth0
    export CG_DATAPLANE="${CG_DATAPLANE:-auto}"
    cg_pool gw vpn "$VIP_POOL"
    cg_conn gw split local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
        auth=psk pools=vpn dns="$CORP_DNS" dns-domains="$DOMAIN" \
        local-ts="$INNER_NET" remote-ts=dynamic
    cg_conn gw full local="$GW_ADDR" remote=%any local-id=gw.test remote-id=full.client.test \
        auth=psk pools=vpn dns="$CORP_DNS" dns-domains="$DOMAIN" \
        local-ts=0.0.0.0/0 remote-ts=dynamic
    cg_psk gw main "$PSK" gw.test client.test full.client.test
    cg_start gw gw
    split_dns_corp_only gw "$VIP_POOL"
    dns_server gw corp "$CORP_DNS" --address="/$DOMAIN/$CORP_HOST" --address="/public.test/$PUB_AT_CORP"
    dns_server gw public "$PUB_DNS" --address="/$DOMAIN/$CORP_LEAK" --address="/public.test/$PUB_HOST"
}

# split_dns_strongswan_gateway: the strongSwan gateway behind cgnm1 and its
# corporate server (answering corp.test differently again).
split_dns_strongswan_gateway() {
    nm_gateway_ns gw2 "$SS_GW" "$SS_CLIENT" cgnm1
    ns_addr_lo gw2 10.72.0.1/32 "$CORP_DNS/32"
    ss_start gw2 gw2
    ss_pool gw2 vpn "$SS_POOL" dns="$CORP_DNS" 25="$DOMAIN"
    ss_conn gw2 rw local_addrs="$SS_GW" pools=vpn local_id=gw.test remote_id=client.test
    ss_child gw2 rw rw local_ts="$INNER_NET" remote_ts=dynamic
    ss_psk gw2 rw "$PSK" gw.test client.test
    ss_load gw2
    split_dns_corp_only gw2 "$SS_POOL"
    dns_server gw2 sscorp "$CORP_DNS" --address="/$DOMAIN/$SS_CORP_HOST" \
        --address="/public.test/$PUB_AT_CORP"
}

# split_dns_base_dns: the base connection's DNS is the public server.
split_dns_base_dns() {
    nm_cli connection modify base ipv4.dns "$PUB_DNS" ipv4.ignore-auto-dns yes >/dev/null ||
        fail "cannot set the base connection's DNS"
    nm_cli --wait 20 connection up base >/dev/null || fail "the base connection did not come back up"
}

# queried NAME SERVER: the server (corp/public/sscorp) logged a query for NAME.
queried() {
    grep -qE "query\[A\] $(re_escape "$1") from" "$CG_TMP/dns-$2.log"
}

# The steps both split DNS tests take. Each test defines `lookup NAME` and
# `answers NAME ADDR` for its own resolver (NetworkManager's dnsmasq or
# systemd-resolved's stub).

# split_dns_before_vpn: without a VPN every name goes to the public server.
split_dns_before_vpn() {
    wait_for answers "before.$DOMAIN" "$CORP_LEAK" 15 ||
        fail "before the VPN, before.$DOMAIN: expected the public server's $CORP_LEAK, got '$(lookup "before.$DOMAIN")'"
    queried "before.$DOMAIN" public || fail "the public server did not see before.$DOMAIN"
}

# split_dns_corp_up: the split-tunnel VPN "corp" to cygnetd is up with the
# base connection's default route and the gateway's DNS domain.
split_dns_corp_up() {
    nm_vpn_add corp gateway="$GW_ADDR" local-id=client.test remote-id=gw.test \
        psk-flags=0 -- psk="$PSK"
    nm_vpn_up corp || fail "nmcli connection up failed: $NM_UP_OUTPUT"
    assert_eq "VPN state" activated "$(nm_active_state corp)"
    if [ "$(nm_service_dataplane)" = log ]; then
        skip_or_fail "the service has no packet data plane here (log): DNS cannot go through the tunnel"
    fi
    assert_eq "split tunnel: only the base connection's default route" \
        "default via $GW_ADDR dev $NM_DEV proto static metric 100 " \
        "$(ns_exec "$NM_NS" ip -4 route show | grep '^default')"
    assert_match "DNS domain in the VPN's IP config (RFC 8598)" "^$(re_escape "$DOMAIN")$" \
        "$(nm_field corp IP4.DOMAIN)"
}

# split_dns_after_down: with "corp" down, corp.test goes to the public
# server again.
split_dns_after_down() {
    wait_for answers "after.$DOMAIN" "$CORP_LEAK" 15 ||
        fail "after down, after.$DOMAIN: expected the public server's $CORP_LEAK, got '$(lookup "after.$DOMAIN")'"
    if queried "after.$DOMAIN" corp; then
        fail "after down, after.$DOMAIN still went to the corporate server"
    fi
}

# split_dns_full_up: the full-tunnel VPN "full" is up and has the default
# route.
split_dns_full_up() {
    nm_vpn_add full gateway="$GW_ADDR" local-id=full.client.test remote-id=gw.test \
        psk-flags=0 -- psk="$PSK"
    nm_vpn_up full || fail "nmcli connection up (full tunnel) failed: $NM_UP_OUTPUT"
    assert_eq "full-tunnel VPN state" activated "$(nm_active_state full)"
    assert_no_match "full tunnel: the default route is the VPN's" "dev $NM_DEV" \
        "$(ns_exec "$NM_NS" ip -4 route get 192.0.2.1)"
}

# split_dns_full_answers: with the full tunnel every name goes to the VPN's
# server, none to the public one.
split_dns_full_answers() {
    wait_for answers "full.$DOMAIN" "$CORP_HOST" 15 ||
        fail "full tunnel, full.$DOMAIN: expected $CORP_HOST, got '$(lookup "full.$DOMAIN")'"
    wait_for answers full.public.test "$PUB_AT_CORP" 15 ||
        fail "full tunnel, full.public.test: expected the corporate server's $PUB_AT_CORP, got '$(lookup full.public.test)'"
    if queried full.public.test public || queried "full.$DOMAIN" public; then
        fail "a query leaked to the public server with a full tunnel"
    fi
}

# split_dns_ss_up: the VPN "sscorp" to the strongSwan gateway over cgnm1.
split_dns_ss_up() {
    nm_base_up base2 cgnm1 "$SS_CLIENT"
    nm_vpn_add sscorp gateway="$SS_GW" local-id=client.test remote-id=gw.test psk-flags=0 \
        -- psk="$PSK"
    nm_vpn_up sscorp 60 cgnm1 || fail "nmcli connection up (strongSwan) failed: $NM_UP_OUTPUT"
    assert_eq "strongSwan VPN state" activated "$(nm_active_state sscorp)"
}

# split_dns_ss_answers: with "sscorp" up, corp.test goes through its tunnel
# to its corporate server, public names to the public server only.
split_dns_ss_answers() {
    wait_for answers "ss.$DOMAIN" "$SS_CORP_HOST" 15 ||
        fail "strongSwan VPN, ss.$DOMAIN: expected its corporate server's $SS_CORP_HOST, got '$(lookup "ss.$DOMAIN")'"
    assert_match "strongSwan's corporate server got the query through the tunnel" \
        'from 10\.4\.0\.[0-9]+$' "$(grep -E 'query\[A\] ss\.corp\.test from' "$CG_TMP/dns-sscorp.log")"
    wait_for answers ss.public.test "$PUB_HOST" 15 ||
        fail "strongSwan VPN, ss.public.test: expected the public server's $PUB_HOST, got '$(lookup ss.public.test)'"
    if queried ss.public.test sscorp; then
        fail "ss.public.test was sent to strongSwan's corporate server (split tunnel)"
    fi
    if queried "ss.$DOMAIN" public; then
        fail "ss.$DOMAIN leaked to the public server"
    fi
}
