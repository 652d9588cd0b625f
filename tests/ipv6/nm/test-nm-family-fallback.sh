#!/bin/bash
# Address-family fallback through a real NetworkManager: the VPN's gateway
# is a name that resolves (in NetworkManager's namespace) to an IPv6 and
# an IPv4 address of a strongSwan gateway, and nftables in the gateway's
# namespace silently drops IKE to one of them:
#  - address-family=ipv6-first with IPv6 dropped: `nmcli connection up`
#    succeeds within seconds over IPv4, the log says why, strongSwan sees
#    our IPv4 address, the banner names the address used;
#  - ipv4-first with IPv4 dropped: up over IPv6, ping and ping6 through;
#  - both dropped: the VPN fails and the reason names both addresses;
#  - an invalid address-family is refused, naming the key.
# Usage: test-nm-family-fallback.sh SERVICE NAME-FILE POLICY [CYGNETD [AGENT]]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../nm/lib-nm.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-family.sh"
nm_setup nm-family-fallback "$@"
fam_init
require_cmd charon swanctl nft ping
require_file /dev/net/tun
[ -e /proc/net/if_inet6 ] || skip_or_fail "the kernel has no IPv6"

PSK="nm-fam-psk-$$-$RANDOM"
GW_ADDR6=fd80::1 NM_ADDR6=fd80::2
INNER4=10.72.0.1 INNER6=fd72::1
GW="gw-$CG_RUN_ID.test"

nm_gateway_ns gw
ip -n "$(ns_name gw)" addr add "$GW_ADDR6/64" dev eth0 nodad
ns_addr_lo gw "$INNER4/32" "$INNER6/128"
ss_start gw gw
ss_pool gw vpn4 10.4.0.0/28
ss_pool gw vpn6 fd84::/120
ss_conn gw rw local_addrs="$GW_ADDR,$GW_ADDR6" pools=vpn4,vpn6 local_id=gw.test \
    remote_id=client.test
ss_child gw rw rw local_ts=10.72.0.0/16,fd72::/64 remote_ts=dynamic esp_proposals=aes256gcm16
ss_psk gw rw "$PSK" gw.test client.test
ss_load gw

# the name, for NetworkManager and the services it starts
fam_hosts "$NM_NS" "$GW" "$GW_ADDR6" "$GW_ADDR"
nm_start
nm_cli connection modify base ipv6.method manual ipv6.addresses "$NM_ADDR6/64" >/dev/null ||
    fail "cannot give the base connection an IPv6 address"
nm_cli --wait 20 connection up base >/dev/null || fail "the base connection did not come back up"
wait_for ns_exec "$NM_NS" ping -6 -c1 -W1 "$GW_ADDR6" 10 || fail "no IPv6 between NetworkManager and the gateway"
assert_match "NetworkManager's namespace resolves $GW to both families" \
    "$(re_escape "$GW_ADDR6").*$(re_escape "$GW_ADDR")|$(re_escape "$GW_ADDR").*$(re_escape "$GW_ADDR6")" \
    "$(nm_exec getent ahosts "$GW" | awk '{ print $1 }' | sort -u | tr '\n' ' ')"

common=(gateway="$GW" local-id=client.test remote-id=gw.test virtual-ip=both dataplane=uesp
    psk-flags=0 ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 retransmit-timeout=1s
    retransmit-tries=2)
nm_vpn_add v6first "${common[@]}" address-family=ipv6-first -- psk="$PSK"
nm_vpn_add v4first "${common[@]}" address-family=ipv4-first -- psk="$PSK"
nm_vpn_add both "${common[@]}" address-family=ipv6-first retransmit-timeout=300ms -- psk="$PSK"
nm_vpn_add bad "${common[@]}" address-family=ipv5-first -- psk="$PSK"

ss_peer() {
    ss_list_sas gw | sed -nE "s/^ +remote +'client\.test' @ ([0-9a-f.:]+)\[[0-9]+\].*/\1/p" | head -n1
}

# --- ipv6-first, IPv6 dropped: up over IPv4 -----------------------------------
fam_drop gw "$GW_ADDR6"
mark="$(nm_log_mark)"
nm_vpn_up v6first || fail "v6first: nmcli connection up failed: $NM_UP_OUTPUT"
nm_log_wait "$(re_escape "$GW_ADDR6") did not answer IKE_SA_INIT within 1000 ms, trying $(re_escape "$GW_ADDR")" \
    2 "$mark" >/dev/null || fail "v6first: the log does not show the fallback to IPv4"
[ "$(fam_dropped gw)" -ge 1 ] || fail "v6first: nothing was sent to $GW_ADDR6"
assert_eq "v6first: strongSwan sees us at our IPv4 address" "$NM_ADDR" "$(ss_peer)"
assert_match "v6first: the banner names the address used" "\($(re_escape "$GW_ADDR")\)" \
    "$(nm_field v6first VPN.BANNER)"
[ "$NM_UP_MS" -le 10000 ] || fail "v6first: the fallback took $NM_UP_MS ms"
ping_through "$NM_NS" "$INNER4" || fail "v6first: no ping through the tunnel"
log "ipv6-first, IPv6 dropped: activated over IPv4 in $NM_UP_MS ms"
nm_vpn_down v6first || fail "v6first: down failed"
ss_wait_no_sas gw 10 || fail "strongSwan still has SAs after v6first went down"
fam_undrop gw

# --- ipv4-first, IPv4 dropped: up over IPv6 -----------------------------------
fam_drop gw "$GW_ADDR"
mark="$(nm_log_mark)"
nm_vpn_up v4first || fail "v4first: nmcli connection up failed: $NM_UP_OUTPUT"
nm_log_wait "$(re_escape "$GW_ADDR") did not answer IKE_SA_INIT within 1000 ms, trying $(re_escape "$GW_ADDR6")" \
    2 "$mark" >/dev/null || fail "v4first: the log does not show the fallback to IPv6"
assert_eq "v4first: strongSwan sees us at our IPv6 address" "$NM_ADDR6" "$(ss_peer)"
[ "$NM_UP_MS" -le 10000 ] || fail "v4first: the fallback took $NM_UP_MS ms"
ping_through "$NM_NS" "$INNER6" || fail "v4first: no ping6 through the tunnel"
ping_through "$NM_NS" "$INNER4" || fail "v4first: no ping through the tunnel"
log "ipv4-first, IPv4 dropped: activated over IPv6 in $NM_UP_MS ms"
nm_vpn_down v4first || fail "v4first: down failed"
ss_wait_no_sas gw 10 || fail "strongSwan still has SAs after v4first went down"

# --- both dropped: the reason names both addresses ------------------------------
fam_drop gw "$GW_ADDR6"
mark="$(nm_log_mark)"
if nm_vpn_up both 30; then
    fail "both: came up with both families dropped"
fi
nm_log_wait "no address of $(re_escape "$GW") answered: $(re_escape "$GW_ADDR6"): no answer within 300 ms; $(re_escape "$GW_ADDR"): no response after" \
    5 "$mark" >/dev/null || fail "both: the failure does not name both addresses"
fam_undrop gw

# --- an invalid value ---------------------------------------------------------
mark="$(nm_log_mark)"
if nm_vpn_up bad 20; then
    fail "bad: came up with address-family=ipv5-first"
fi
nm_log_wait "address-family.*ipv5-first" 5 "$mark" >/dev/null ||
    fail "bad: the refusal does not name the key address-family"

nm_assert_no_secret "$PSK"
nm_assert_clean
log PASS
