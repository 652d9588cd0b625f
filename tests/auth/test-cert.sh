#!/bin/bash
# Mutual certificate authentication against strongSwan, both directions,
# RSA and ECDSA keys, RFC 7427 signatures (method 14) and the classic
# methods (RSA 1, ECDSA 9/10) when strongSwan does not announce RFC 7427.
#  A: cygnetd initiator -> strongSwan responder
#  B: strongSwan initiator -> cygnetd responder
#  D: cygnetd's certificate and key from a PKCS#12 file (password from [pin])
# Both sides must report the IKE_SA and CHILD_SA up, and strongSwan must
# log that it verified cygnet's signature.
# Usage: test-cert.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup cert "${1:-}"

auth_cert ss-rsa rsa 2048 ca "$SS_ID" "$SS_ADDR"
auth_cert ss-ec ecdsa 256 ca "$SS_ID"
auth_cert cg-rsa rsa 2048 ca "$CG_ID" "$CG_ADDR"
auth_cert cg-ec ecdsa 384 ca "$CG_ID"

ss_conf() {
    local conn="$1" ss_cert="$2"
    shift 2
    ss_auth_conn "$conn" "local=auth=pubkey;id=$SS_ID;certs=$(auth_file "$ss_cert.pem")" \
        "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)" "$@"
    ss_auth_key "$ss_cert"
}

cg_conf() {
    local conn="$1" cg_cert="$2"
    shift 2
    cg_auth_conn "$conn" auth=pubkey "cert=$(auth_file "$cg_cert.pem")" \
        "key=$(auth_file "$cg_cert.key")" "cacert=$(auth_file ca.pem)" "$@"
}

# A: CASE CG_CERT SS_CERT WANT_METHOD
initiator_case() {
    local cg_cert="$1" ss_cert="$2" want="$3"
    log "A: cygnetd ($cg_cert) -> strongSwan ($ss_cert), expect $want"
    ss_clear_conf ss
    ss_conf home "$ss_cert"
    ss_load ss
    cg_clear_conf cg
    cg_conf home "$cg_cert" start=start
    local ss_mark
    ss_mark="$(log_lines "$(ss_log ss)")"
    AUTH_MARK="$(cg_log_mark cg)"
    cg_start cg cg
    auth_expect_established home
    cg_wait_log cg "signed AUTH with .*\(method $want\)" 2 "$AUTH_MARK" >/dev/null ||
        fail "A: cygnetd did not sign with method $want"
    wait_for_log "$(ss_log ss)" "authentication of '$CG_ID' with .* successful" 2 "$ss_mark" \
        >/dev/null || fail "A: strongSwan did not verify cygnet's signature"
    cg_wait_log cg "certificate 'CN=$SS_ID.*' verified" 2 "$AUTH_MARK" >/dev/null ||
        fail "A: cygnetd did not verify strongSwan's certificate"
    interop_ping
    auth_stop_cg home
}

initiator_case cg-rsa ss-ec 14
initiator_case cg-ec ss-rsa 14

# B: strongSwan initiates to cygnetd, which accepts any client of the CA
log "B: strongSwan initiators -> cygnetd responder"
cg_clear_conf cg
cg_conf gw cg-rsa remote=%any remote-id=%any
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
ss_clear_conf ss
ss_conf rsa ss-rsa
ss_conf ec ss-ec
ss_load ss
for c in rsa ec; do
    log "B: strongSwan with its $c certificate"
    mark="$(cg_log_mark cg)"
    ss_initiate ss "$c" 10 || fail "B: swanctl --initiate $c failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
    ss_wait_established ss "$c" 5 || fail "B: strongSwan has no established SAs for $c"
    cg_wait_log cg "$(cg_re_ike_up gw)" 5 "$mark" >/dev/null ||
        fail "B: cygnetd did not log the IKE_SA established ($c)"
    cg_wait_log cg "certificate 'CN=$SS_ID.*' verified, AUTH .*method 14" 2 "$mark" >/dev/null ||
        fail "B: cygnetd did not verify strongSwan's RFC 7427 signature ($c)"
    ss_terminate ss "$c" || fail "B: swanctl --terminate failed"
    ss_wait_no_sas ss 5 || fail "B: IKE_SA not deleted"
done
cg_stop cg || fail "cygnetd did not stop cleanly"

# the classic methods: strongSwan without RFC 7427
log "C: strongSwan without RFC 7427 (signature_authentication = no)"
ss_kill ss TERM
ss_start ss ss retransmit_timeout=0.5 signature_authentication=no
initiator_case cg-rsa ss-rsa 1
initiator_case cg-ec ss-ec 10

# PKCS#12: certificate, key and CA in one file, its password in [pin]
log "D: cygnetd with its credentials in a PKCS#12 file"
openssl pkcs12 -export -in "$(auth_file cg-ec.pem)" -inkey "$(auth_file cg-ec.key)" \
    -certfile "$(auth_file ca.pem)" -name cg -passout "pass:p12 pass" -out "$(auth_file cg-ec.p12)"
ss_clear_conf ss
ss_conf home ss-rsa
ss_load ss
cg_clear_conf cg
cg_auth_conn home auth=pubkey "pkcs12=$(auth_file cg-ec.p12)" "cacert=$(auth_file ca.pem)" \
    start=start
cg_pin_secret p12 "$(auth_file cg-ec.p12)" '"p12 pass"'
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
auth_expect_established home
if grep -q "p12 pass" "$(cg_log cg)"; then
    fail "D: the PKCS#12 password appears in cygnetd's log"
fi
auth_stop_cg home

cg_assert_clean_log cg
log PASS
