#!/bin/bash
# The road warrior through NetworkManager: a strongSwan gateway that shows
# a certificate, the user logs in with EAP-MSCHAPv2 (the CA file in the
# profile, the password in vpn.secrets):
#  - activated, with a virtual IP; connect time measured against the PSK
#    case on the same gateway (reported, and bounded);
#  - a wrong password: "Invalid secrets" (LOGIN_FAILED), promptly, and the
#    log says why;
#  - a wrong CA: fails, the log names the certificate reason;
#  - the password never appears in a log.
# Usage: test-nm-road-warrior.sh SERVICE NAME-FILE POLICY
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
nm_setup nm-road-warrior "$@"
require_cmd charon swanctl pki

PASSWORD="rw-pass-$$-$RANDOM"
WRONG_PASSWORD="rw-wrong-$$-$RANDOM"
PSK="rw-psk-$$-$RANDOM"
ROUNDS="${CG_RW_ROUNDS:-3}"

# --- a test PKI (strongSwan's pki tool) --------------------------------------
PKI="$CG_TMP/pki"
mkdir -p "$PKI"
pki_run() { pki "$@" 2>>"$PKI/pki.err"; }
make_ca() {
    pki_run --gen --type rsa --size 2048 --outform pem >"$PKI/$1.key" || fail "pki --gen $1"
    pki_run --self --ca --lifetime 30 --in "$PKI/$1.key" --dn "C=CH, O=Cygnet NM, CN=$2" \
        --outform pem >"$PKI/$1.pem" || fail "pki --self $1"
}
make_ca ca "NM Test CA"
make_ca otherca "Some Other CA"
pki_run --gen --type ecdsa --size 256 --outform pem >"$PKI/gw.key" || fail "pki --gen gw"
pki_run --issue --cacert "$PKI/ca.pem" --cakey "$PKI/ca.key" --type priv --in "$PKI/gw.key" \
    --dn "C=CH, O=Cygnet NM, CN=gw.test" --san gw.test --san "$GW_ADDR" --lifetime 30 \
    --outform pem >"$PKI/gw.pem" || fail "pki --issue gw"

# --- the gateway -------------------------------------------------------------
nm_gateway_ns gw
ns_addr_lo gw 10.72.0.1/32
ss_start gw gw
ss_pool gw vpn 10.4.0.0/28
dir="$(ss_dir gw)"
# the road warrior: certificate for the gateway, EAP-MSCHAPv2 for the user
ss_conn gw rw local_addrs="$GW_ADDR" pools=vpn local_id=gw.test remote_id=rw.client.test \
    local_auth=pubkey remote_auth=eap-mschapv2 proposals=aes256gcm16-prfsha256-x25519
sed -i "s|^      auth = pubkey|      auth = pubkey\n      certs = $PKI/gw.pem|;
        s|^      auth = eap-mschapv2|      auth = eap-mschapv2\n      eap_id = %any|" \
    "$dir/conf.d/conn-rw"
ss_child gw rw rw local_ts=10.72.0.0/16 remote_ts=dynamic esp_proposals=aes256gcm16
mkdir -p "$dir/private"
cp "$PKI/gw.key" "$dir/private/gw.pem"
printf '  eap-alice {\n    id = alice\n    secret = "%s"\n  }\n' "$PASSWORD" \
    >"$dir/conf.d/secret-eap-alice"
# the PSK case on the same gateway, for the speed comparison
ss_conn gw psk local_addrs="$GW_ADDR" pools=vpn local_id=gw.test remote_id=psk.client.test \
    proposals=aes256gcm16-prfsha256-x25519
ss_child gw psk psk local_ts=10.72.0.0/16 remote_ts=dynamic esp_proposals=aes256gcm16
ss_psk gw psk "$PSK" gw.test psk.client.test
ss_load gw

nm_start
common=(gateway="$GW_ADDR" remote-id=gw.test ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16)
nm_vpn_add rw "${common[@]}" local-id=rw.client.test auth=eap user=alice \
    ca-cert="$PKI/ca.pem" password-flags=0 -- password="$PASSWORD"
nm_vpn_add rwbadpass "${common[@]}" local-id=rw.client.test auth=eap user=alice \
    ca-cert="$PKI/ca.pem" password-flags=0 -- password="$WRONG_PASSWORD"
nm_vpn_add rwbadca "${common[@]}" local-id=rw.client.test auth=eap user=alice \
    ca-cert="$PKI/otherca.pem" password-flags=0 -- password="$PASSWORD"
nm_vpn_add psk "${common[@]}" local-id=psk.client.test psk-flags=0 -- psk="$PSK"

# --- up, and the time against PSK ---------------------------------------------
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
rw_ms=() psk_ms=()
for ((i = 1; i <= ROUNDS; i++)); do
    nm_vpn_up rw || fail "road warrior: nmcli connection up failed: $NM_UP_OUTPUT"
    rw_ms+=("$NM_UP_MS")
    assert_eq "road warrior: VPN state" activated "$(nm_active_state rw)"
    if [ "$i" = 1 ]; then
        assert_match "road warrior: virtual IP" '^10\.4\.0\.[0-9]+/32$' "$(nm_field rw IP4.ADDRESS)"
        wait_for_log "$(ss_log gw)" "EAP method EAP_MSCHAPV2 succeeded" 2 >/dev/null ||
            fail "strongSwan did not log the EAP success"
    fi
    nm_vpn_down rw || fail "road warrior: down failed"
    wait_for nm_no_service_running 5 || fail "the service did not exit"
    nm_vpn_up psk || fail "psk: nmcli connection up failed: $NM_UP_OUTPUT"
    psk_ms+=("$NM_UP_MS")
    nm_vpn_down psk || fail "psk: down failed"
    wait_for nm_no_service_running 5 || fail "the service did not exit"
done
rw_median="$(printf '%s\n' "${rw_ms[@]}" | median)"
psk_median="$(printf '%s\n' "${psk_ms[@]}" | median)"
log "connect time (nmcli up, median of $ROUNDS): road warrior ${rw_median} ms (${rw_ms[*]}), PSK ${psk_median} ms (${psk_ms[*]})"
# the same speed target as PSK: within PSK's time plus a round of
# certificate checking and two EAP round trips
[ "$rw_median" -le $((psk_median * 2 + 500)) ] ||
    fail "road warrior takes ${rw_median} ms, PSK ${psk_median} ms"

# --- a wrong password: login failed, promptly ----------------------------------
mark="$(nm_log_mark)"
if nm_vpn_up rwbadpass 30; then
    fail "wrong password: came up"
fi
assert_match "wrong password: what nmcli says" 'Invalid secrets' "$NM_UP_OUTPUT"
# strongSwan holds its MS-CHAPv2 failure back 2 s (against guessing)
[ "$NM_UP_MS" -le 6000 ] || fail "wrong password: failing took $NM_UP_MS ms"
nm_log_wait "connection 'rwbadpass' failed after [0-9]+ ms: authentication failed" 2 "$mark" \
    >/dev/null || fail "wrong password: the log does not say authentication failed"

# --- a wrong CA: the certificate reason ------------------------------------------
mark="$(nm_log_mark)"
if nm_vpn_up rwbadca 30; then
    fail "wrong CA: came up"
fi
[ "$NM_UP_MS" -le 6000 ] || fail "wrong CA: failing took $NM_UP_MS ms"
line="$(nm_log_wait "connection 'rwbadca' failed after [0-9]+ ms: the gateway's certificate is not issued by a trusted CA" 2 "$mark")" ||
    fail "wrong CA: the log does not name the certificate reason"
log "wrong CA: nmcli: ${NM_UP_OUTPUT//$'\n'/ | }; log: $line"
if [[ "$NM_UP_OUTPUT" == *"Invalid secrets"* ]]; then
    fail "wrong CA is reported as wrong secrets"
fi

nm_assert_no_secret "$PASSWORD" "$WRONG_PASSWORD" "$PSK"
nm_assert_clean
log PASS
