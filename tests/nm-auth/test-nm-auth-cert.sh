#!/bin/bash
# Our own certificate through a real NetworkManager, against a strongSwan
# gateway that shows an ECDSA certificate and checks ours:
#  A: mutual certificates, our certificate and key from PEM files (RSA);
#  B: from a PKCS#12 file, its password the secret key-passphrase; a wrong
#     password: "Invalid secrets", promptly;
#  C: EAP-TLS (auth = eap, eap-method = tls) with the PEM files;
#  D: the key in a SoftHSM2 token (pkcs11-module, cert-nickname), its PIN
#     the secret pin; a wrong PIN: "Invalid secrets", promptly, tried once
#     (the token stays usable);
# each activated with a virtual IP, strongSwan logging whom it
# authenticated and how; no password or PIN in any log.
# Usage: test-nm-auth-cert.sh SERVICE NAME-FILE POLICY
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm-auth.sh"
nma_setup nm-auth-cert "$@"
softhsm_require

P12_PASSWORD="p12-pass-$$-$RANDOM"
WRONG_P12_PASSWORD="p12-wrong-$$-$RANDOM"
PIN="$((100000 + RANDOM))$$"
WRONG_PIN="$((200000 + RANDOM))$$"
TOKEN="nm-cygnet-$CG_RUN_ID"

# --- the PKI, the token ----------------------------------------------------------
nma_cert gw ecdsa 256 ca gw.test "$GW_ADDR"
nma_cert pem rsa 2048 ca pem.client.test
nma_cert p12 ecdsa 256 ca p12.client.test
openssl pkcs12 -export -in "$(nma_file p12.pem)" -inkey "$(nma_file p12.key)" \
    -name p12 -passout "pass:$P12_PASSWORD" -out "$(nma_file p12.p12)" ||
    fail "openssl pkcs12 -export failed"
rm -f "$(nma_file p12.key)" # only the PKCS#12 file has it now
nma_cert tls rsa 2048 ca tls.client.test
nma_cert token rsa 2048 ca token.client.test
nma_softhsm_token "$TOKEN" "$PIN" token cg

# --- the gateway: certificates; EAP-TLS for tls.client.test ----------------------
gw_local="local=auth=pubkey;id=gw.test;certs=$(nma_file gw.pem)"
nma_gw_conn cert "$gw_local" "remote=auth=pubkey;id=%any;cacerts=$(nma_file ca.pem)"
nma_gw_conn tls "$gw_local" "remote=auth=eap-tls;id=tls.client.test;eap_id=%any"
nma_gw_key gw
# strongSwan's EAP-TLS server trusts the CA from its x509ca folder
mkdir -p "$(ss_dir gw)/x509ca"
cp "$(nma_file ca.pem)" "$(ss_dir gw)/x509ca/ca.pem"
ss_load gw

# SOFTHSM2_CONF is in the environment: the service inherits it
nm_start
common=(gateway="$GW_ADDR" remote-id=gw.test ike=aes256gcm16-prfsha256-x25519
    esp=aes256gcm16 ca-cert="$(nma_file ca.pem)")
nm_vpn_add pem "${common[@]}" local-id=pem.client.test auth=cert \
    cert="$(nma_file pem.pem)" key="$(nma_file pem.key)"
nm_vpn_add p12 "${common[@]}" local-id=p12.client.test auth=cert \
    pkcs12="$(nma_file p12.p12)" key-passphrase-flags=0 -- key-passphrase="$P12_PASSWORD"
nm_vpn_add p12bad "${common[@]}" local-id=p12.client.test auth=cert \
    pkcs12="$(nma_file p12.p12)" key-passphrase-flags=0 -- key-passphrase="$WRONG_P12_PASSWORD"
nm_vpn_add tls "${common[@]}" local-id=tls.client.test auth=eap eap-method=tls \
    cert="$(nma_file tls.pem)" key="$(nma_file tls.key)"
nm_vpn_add token "${common[@]}" local-id=token.client.test auth=cert \
    pkcs11-module="$SOFTHSM_MODULE" cert-nickname="$TOKEN:cg" pin-flags=0 -- pin="$PIN"
nm_vpn_add tokenbad "${common[@]}" local-id=token.client.test auth=cert \
    pkcs11-module="$SOFTHSM_MODULE" cert-nickname="$TOKEN:cg" pin-flags=0 -- pin="$WRONG_PIN"

# up_case NAME GATEWAY-CONN CLIENT-ID STRONGSWAN-SAYS: activated, a
# virtual IP, and the gateway's log shows how it authenticated us; down
# deletes the gateway's SA.
up_case() {
    local name="$1" gw_conn="$2" id="$3" want="$4" mark
    mark="$(log_lines "$(ss_log gw)")"
    nm_vpn_up "$name" || fail "$name: nmcli connection up failed: $NM_UP_OUTPUT"
    assert_eq "$name: VPN state" activated "$(nm_active_state "$name")"
    assert_match "$name: virtual IP" '^10\.4\.0\.[0-9]+/32$' "$(nm_field "$name" IP4.ADDRESS)"
    wait_for_log "$(ss_log gw)" "$want" 3 "$mark" >/dev/null ||
        fail "$name: strongSwan did not log '$want'"
    wait_for_log "$(ss_log gw)" "authentication of '$(re_escape "$id")' with .* successful" 3 \
        "$mark" >/dev/null || fail "$name: strongSwan did not authenticate '$id'"
    nm_vpn_down "$name" || fail "$name: down failed"
    wait_for nm_no_service_running 10 || fail "$name: the service did not exit"
    # (a refused attempt before may have left a half-open SA there)
    wait_for ss_has_no_sas gw "$gw_conn" 5 || fail "$name: strongSwan kept the SA after down"
}

# bad_secret_case NAME WHAT: "Invalid secrets" within 10 s, the log naming
# our credentials.
bad_secret_case() {
    local name="$1" what="$2" mark reason
    mark="$(nm_log_mark)"
    if nm_vpn_up "$name" 30; then
        fail "$name: came up with a wrong $what"
    fi
    assert_match "$name: what nmcli says" 'Invalid secrets' "$NM_UP_OUTPUT"
    [ "$NM_UP_MS" -le 10000 ] || fail "$name: failing took $NM_UP_MS ms"
    reason="$(nma_failed_reason "$name" "$mark")" || fail "$name: the service logged no reason"
    assert_match "$name: the logged reason" \
        "^our certificate, private key, PIN or password is missing or unusable" "$reason"
    log "$name: wrong $what refused after $NM_UP_MS ms: $reason"
    wait_for nm_no_service_running 10 || fail "$name: the service did not exit"
}

log "A: mutual certificates, PEM certificate and key"
up_case pem cert pem.client.test "authentication of 'pem.client.test' with RSA"
log "A: connected in $NM_UP_MS ms"

log "B: PKCS#12 file with its password as a secret"
up_case p12 cert p12.client.test "authentication of 'p12.client.test' with ECDSA"
log "B: connected in $NM_UP_MS ms"
bad_secret_case p12bad "PKCS#12 password"

log "C: EAP-TLS"
up_case tls tls tls.client.test "EAP method EAP_TLS succeeded, MSK established"
log "C: connected in $NM_UP_MS ms"

log "D: key on a SoftHSM2 token, the PIN as a secret"
up_case token cert token.client.test "authentication of 'token.client.test' with RSA"
log "D: connected in $NM_UP_MS ms"
bad_secret_case tokenbad PIN
softhsm_token_usable "$TOKEN" "$PIN" || fail "the token is locked after the wrong PIN"

nm_assert_no_secret "$P12_PASSWORD" "$WRONG_P12_PASSWORD" "$PIN" "$WRONG_PIN"
nm_assert_clean
log PASS
