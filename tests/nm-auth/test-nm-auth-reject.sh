#!/bin/bash
# Each way a road-warrior login is refused, through a real NetworkManager:
# the user logs in with EAP-MSCHAPv2 to a strongSwan gateway that shows
#   good      a certificate from the profile's CA        -> activated (control)
#   wrongca   a certificate from another CA              -> not issued by a trusted CA
#   expired   an expired certificate                     -> expired or not yet valid
#   revoked   a certificate the profile's CRL revokes    -> revoked
#   identity  another identity than the profile's remote-id -> identity does not match
#   badpass   the right certificate, a wrong password    -> authentication failed
# Each fails promptly (seconds, measured and reported; never a hang).
# What the user sees: nmcli's own text (NetworkManager 1.42 carries only a
# reason code from a VPN plugin: "Invalid secrets" for our credentials,
# "Unknown reason" for the gateway's certificate) and the hint nmcli prints
# to the connection's log, where the service's line names the cause. The
# test asserts that the five (nmcli text, logged cause) pairs all differ,
# each cause names its reason, and no password appears in any log.
# Usage: test-nm-auth-reject.sh SERVICE NAME-FILE POLICY
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm-auth.sh"
nma_setup nm-auth-reject "$@"

PASSWORD="rj-pass-$$-$RANDOM"
WRONG_PASSWORD="rj-wrong-$$-$RANDOM"

# --- the PKI ------------------------------------------------------------------
nma_ca otherca "C=CH, O=Elsewhere, CN=Some Other CA"
nma_cert gw ecdsa 256 ca gw.test "$GW_ADDR"
nma_cert gw-other ecdsa 256 otherca gw.test "$GW_ADDR"
nma_cert gw-expired ecdsa 256 ca gw.test "$GW_ADDR" -- \
    --not-before "01.01.20 00:00:00" --not-after "31.12.20 23:59:59"
nma_cert gw-revoked ecdsa 256 ca gw.test "$GW_ADDR"
nma_cert gw-elsewhere ecdsa 256 ca elsewhere.test
nma_crl ca gw-revoked

# --- the gateway: one connection per case, chosen by the client's identity ------
# gw_case CASE CERT GATEWAY-ID
gw_case() {
    nma_gw_conn "$1" "local=auth=pubkey;id=$3;certs=$(nma_file "$2.pem")" \
        "remote=auth=eap-mschapv2;id=$1.client.test;eap_id=%any"
    nma_gw_key "$2"
}
gw_case good gw gw.test
gw_case wrongca gw-other gw.test
gw_case expired gw-expired gw.test
gw_case revoked gw-revoked gw.test
gw_case identity gw-elsewhere elsewhere.test
gw_case badpass gw gw.test
nma_gw_eap_secret alice "$PASSWORD"
ss_load gw

nm_start
# client CASE [KEY=VALUE...] -- SECRETS: remote-id gw.test unless given
client() {
    local name="$1"
    shift
    nm_vpn_add "$name" gateway="$GW_ADDR" ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 \
        local-id="$name.client.test" auth=eap user=alice ca-cert="$(nma_file ca.pem)" \
        crl="$(nma_file ca.crl)" password-flags=0 "$@"
}
client good remote-id=gw.test -- password="$PASSWORD"
client wrongca remote-id=gw.test -- password="$PASSWORD"
client expired remote-id=gw.test -- password="$PASSWORD"
client revoked remote-id=gw.test -- password="$PASSWORD"
# a pattern is not sent as IDr, so strongSwan answers as who it is
client identity "remote-id=*.example" -- password="$PASSWORD"
client badpass remote-id=gw.test -- password="$WRONG_PASSWORD"

log "good: the control case connects"
nm_vpn_up good || fail "good: nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq "good: VPN state" activated "$(nm_active_state good)"
nm_vpn_down good || fail "good: down failed"
wait_for nm_no_service_running 10 || fail "good: the service did not exit"

declare -A NMCLI_SAYS=() CAUSE=() TOOK_MS=()
# reject_case CASE NMCLI-REGEX CAUSE-REGEX: refused within 10 s; nmcli's
# text and the logged cause as expected.
reject_case() {
    local name="$1" want_nmcli="$2" want_cause="$3" mark ss_mark text
    mark="$(nm_log_mark)"
    ss_mark="$(log_lines "$(ss_log gw)")"
    if nm_vpn_up "$name" 30; then
        fail "$name: came up"
    fi
    [ "$NM_UP_MS" -le 10000 ] || fail "$name: failing took $NM_UP_MS ms"
    text="$(grep -m1 '^Error: ' <<<"$NM_UP_OUTPUT")" || fail "$name: nmcli printed no error"
    assert_match "$name: what nmcli says" "$want_nmcli" "$text"
    # the hint names this profile: there the service's line is the cause
    local uuid
    uuid="$(nm_cli -g connection.uuid connection show "$name")"
    assert_match "$name: nmcli's hint to the log" "Hint: use 'journalctl -xe NM_CONNECTION=$uuid" \
        "$NM_UP_OUTPUT"
    CAUSE[$name]="$(nma_failed_reason "$name" "$mark")" || fail "$name: the service logged no reason"
    assert_match "$name: the logged cause" "$want_cause" "${CAUSE[$name]}"
    NMCLI_SAYS[$name]="$text"
    TOOK_MS[$name]="$NM_UP_MS"
    log "$name: refused after $NM_UP_MS ms; nmcli: '$text'; log: '${CAUSE[$name]}'"
    wait_for nm_no_service_running 10 || fail "$name: the service did not exit"
    # the gateway was told (RFC 7296 2.21.2; strongSwan 5.9 keeps a
    # half-open SA in the middle of EAP until its own timeout anyway)
    if [ "$name" != badpass ]; then
        wait_for_log "$(ss_log gw)" "<$name\|[0-9]+> parsed INFORMATIONAL request [0-9]+ \[ N\(AUTH_FAILED\)" \
            3 "$ss_mark" >/dev/null || fail "$name: the gateway was not told AUTHENTICATION_FAILED"
    fi
}

reject_case wrongca 'Unknown reason' \
    "^the gateway's certificate is not issued by a trusted CA: .*issuer 'CN=Some Other CA"
reject_case expired 'Unknown reason' \
    "^the gateway's certificate has expired or is not yet valid: .*expired on 2020-12-31"
reject_case revoked 'Unknown reason' \
    "^the gateway's certificate has been revoked: "
reject_case identity 'Unknown reason' \
    "^the gateway's identity does not match the expected one or its certificate: .*'elsewhere.test'"
reject_case badpass 'Invalid secrets' \
    "^authentication failed"

# the five are told apart: no two (nmcli text, cause sentence) pairs alike
declare -A seen=()
for name in wrongca expired revoked identity badpass; do
    key="${NMCLI_SAYS[$name]} | ${CAUSE[$name]%%:*}"
    [ -z "${seen[$key]:-}" ] || fail "$name and ${seen[$key]} look the same to the user: $key"
    seen[$key]="$name"
done
log "time to refuse (ms): wrongca ${TOOK_MS[wrongca]}, expired ${TOOK_MS[expired]}," \
    "revoked ${TOOK_MS[revoked]}, identity ${TOOK_MS[identity]}, badpass ${TOOK_MS[badpass]}"

nm_assert_no_secret "$PASSWORD" "$WRONG_PASSWORD"
nm_assert_clean
log PASS
