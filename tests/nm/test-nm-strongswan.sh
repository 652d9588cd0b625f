#!/bin/bash
# A Cygnet VPN against a strongSwan gateway (Debian's charon, in its own
# namespace), with a real NetworkManager:
#  - activated with the stored PSK; strongSwan's own view agrees (IKE_SA
#    ESTABLISHED with the proposal asked for, CHILD_SA INSTALLED);
#  - NetworkManager applies strongSwan's virtual IP, DNS server and
#    narrowed traffic selector (split route);
#  - with a packet data plane (uesp), a ping reaches strongSwan's network;
#  - down: strongSwan's SAs are gone; a wrong PSK: "Invalid secrets";
#  - strongSwan killed: the liveness check fails and NetworkManager sees
#    the VPN fail.
# Usage: test-nm-strongswan.sh SERVICE NAME-FILE POLICY
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
nm_setup nm-strongswan "$@"
require_cmd charon swanctl

PSK="nm-ss-psk-$$-$RANDOM"
WRONG_PSK="nm-ss-wrong-$$-$RANDOM"
DNS=10.4.0.53

nm_gateway_ns gw
# strongSwan routes its protected networks only where it has an address
ns_addr_lo gw 10.72.0.1/32 10.73.0.1/32
ss_start gw gw
ss_pool gw vpn 10.4.0.0/28 dns="$DNS"
ss_conn gw rw local_addrs="$GW_ADDR" pools=vpn local_id=gw.test remote_id=client.test \
    proposals=aes256gcm16-prfsha256-x25519,aes256-sha256-modp2048
ss_child gw rw rw local_ts=10.72.0.0/16,10.73.0.0/24 remote_ts=dynamic esp_proposals=aes256gcm16
ss_psk gw rw "$PSK" gw.test client.test
ss_load gw

nm_start
nm_vpn_add corp gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=0 \
    ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 dpd-delay=2s retransmit-timeout=500ms \
    retransmit-tries=2 -- psk="$PSK"
nm_vpn_add wrongpsk gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=0 \
    -- psk="$WRONG_PSK"
before="$(nm_profile_digest corp)"

# --- up ------------------------------------------------------------------
nm_vpn_up corp || fail "nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq "VPN state" activated "$(nm_active_state corp)"
ss_assert_established gw rw rw AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-256
vip="$(ss_vips gw rw remote | head -n1)"
assert_match "strongSwan assigned a virtual IP" '^10\.4\.0\.[0-9]+$' "$vip"
assert_match "NetworkManager applied it" "^${vip//./\\.}/32$" "$(nm_field corp IP4.ADDRESS)"
routes="$(ns_exec "$NM_NS" ip -4 route show)"
assert_match "split route 1" '^10\.72\.0\.0/16 ' "$routes"
assert_match "split route 2" '^10\.73\.0\.0/24 ' "$routes"
assert_match "DNS server applied by NetworkManager" "nameserver ${DNS//./\\.}" \
    "$(nm_exec cat /run/NetworkManager/resolv.conf)"

if [ "$(nm_service_dataplane)" != log ]; then
    ping_through "$NM_NS" 10.72.0.1 || fail "no ping through the tunnel to strongSwan"
    log "ping through the tunnel to strongSwan: ok ($(nm_service_dataplane))"
fi

# --- down --------------------------------------------------------------------
nm_vpn_down corp || fail "nmcli connection down failed"
ss_wait_no_sas gw 5 || fail "strongSwan still has SAs after down"
wait_for nm_no_service_running 5 || fail "the service did not exit"

# --- a wrong PSK ----------------------------------------------------------------
if nm_vpn_up wrongpsk 30; then
    fail "wrongpsk: came up"
fi
assert_match "wrong PSK: what nmcli says" 'Invalid secrets' "$NM_UP_OUTPUT"
[ "$NM_UP_MS" -le 5000 ] || fail "wrong PSK: failing took $NM_UP_MS ms"

# --- strongSwan killed: liveness ------------------------------------------------
nm_vpn_up corp || fail "second up failed: $NM_UP_OUTPUT"
mark="$(nm_log_mark)"
t0="$(now_ms)"
ss_kill gw
nm_wait_inactive corp 15 || fail "NetworkManager still has the VPN 15 s after strongSwan died"
log "NetworkManager saw the VPN fail $(($(now_ms) - t0)) ms after strongSwan died"
nm_log_wait "connection 'corp' lost: the gateway stopped answering liveness checks" 2 "$mark" \
    >/dev/null || fail "the log does not say the liveness check failed"

assert_eq "saved profile unchanged" "$before" "$(nm_profile_digest corp)"
nm_assert_no_secret "$PSK" "$WRONG_PSK"
nm_assert_clean
log PASS
