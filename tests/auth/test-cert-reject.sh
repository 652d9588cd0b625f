#!/bin/bash
# Certificates that must be refused, each with its own reason:
#  A: cygnetd initiator, strongSwan gateway presenting
#     - a certificate from a CA cygnet does not trust      -> cert-untrusted
#     - an expired certificate                              -> cert-expired
#     - a certificate revoked by the CA's CRL               -> cert-revoked
#     - another identity than the configured remote-id      -> identity-mismatch
#     cygnetd must fail with the distinct sentence, and tell strongSwan
#     (no IKE_SA may stay there).
#  B: strongSwan initiator with such a certificate -> cygnetd gateway:
#     cygnetd refuses it with the same precise reason in its log.
# Usage: test-cert-reject.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup cert-reject "${1:-}"

auth_ca other "C=CH, O=Elsewhere, CN=Other CA"
auth_cert ss-good ecdsa 256 ca "$SS_ID" "$SS_ADDR"
auth_cert ss-other ecdsa 256 other "$SS_ID" "$SS_ADDR"
auth_cert ss-expired ecdsa 256 ca "$SS_ID" "$SS_ADDR" -- \
    --not-before "01.01.20 00:00:00" --not-after "31.12.20 23:59:59"
auth_cert ss-revoked ecdsa 256 ca "$SS_ID" "$SS_ADDR"
auth_cert ss-elsewhere ecdsa 256 ca elsewhere.test
auth_crl ca ss-revoked
auth_cert cg-gw ecdsa 256 ca "$CG_ID" "$CG_ADDR"

# A: CERT SS_ID WANT_SENTENCE [REMOTE_ID]
gateway_case() {
    local cert="$1" id="$2" want="$3" remote_id="${4:-$SS_ID}"
    log "A: strongSwan gateway with $cert ($id): expect '$want'"
    ss_clear_conf ss
    ss_auth_conn home "local=auth=pubkey;id=$id;certs=$(auth_file "$cert.pem")" \
        "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)"
    ss_auth_key "$cert"
    ss_load ss
    cg_clear_conf cg
    cg_auth_conn home auth=pubkey "cert=$(auth_file cg-gw.pem)" "key=$(auth_file cg-gw.key)" \
        "cacert=$(auth_file ca.pem)" "crl=$(auth_file ca.crl)" "remote-id=$remote_id" start=start
    local mark
    mark="$(cg_log_mark cg)"
    cg_start cg cg
    local line
    line="$(cg_wait_log cg "$(cg_re_failed home "$want")" 10 "$mark")" ||
        fail "A ($cert): cygnetd did not fail with '$want'"
    log "A: $line"
    if cg_log_count cg "$(cg_re_ike_up home)" "$mark" | grep -qv '^0$'; then
        fail "A ($cert): cygnetd established anyway"
    fi
    # strongSwan heard AUTHENTICATION_FAILED and a Delete
    ss_wait_no_sas ss 5 || fail "A ($cert): strongSwan kept the IKE_SA"
    cg_stop cg || true
}

gateway_case ss-other "$SS_ID" "the gateway's certificate is not issued by a trusted CA: certificate 'CN=$SS_ID,O=Cygnet Interop,C=CH' is not issued by a trusted CA (issuer 'CN=Other CA"
gateway_case ss-expired "$SS_ID" "the gateway's certificate has expired or is not yet valid: certificate 'CN=$SS_ID,O=Cygnet Interop,C=CH' expired on 2020-12-31 23:59:59 UTC"
gateway_case ss-revoked "$SS_ID" "the gateway's certificate has been revoked: certificate 'CN=$SS_ID,O=Cygnet Interop,C=CH' (serial"
# (a pattern is not sent as IDr, so strongSwan answers as who it is)
gateway_case ss-elsewhere elsewhere.test "the gateway's identity does not match the expected one or its certificate: the gateway identified as 'elsewhere.test', not as the configured '*.example'" "*.example"

# B: strongSwan clients with the same certificates, cygnetd the gateway
log "B: strongSwan clients with bad certificates -> cygnetd gateway"
ss_clear_conf ss
for cert in ss-other ss-expired ss-revoked; do
    ss_auth_conn "$cert" "local=auth=pubkey;id=$SS_ID;certs=$(auth_file "$cert.pem")" \
        "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)"
    ss_auth_key "$cert"
done
ss_load ss
cg_clear_conf cg
cg_auth_conn gw auth=pubkey remote=%any remote-id=%any "cert=$(auth_file cg-gw.pem)" \
    "key=$(auth_file cg-gw.key)" "cacert=$(auth_file ca.pem)" "crl=$(auth_file ca.crl)"
cg_start cg cg
declare -A want_b=(
    [ss-other]="is not issued by a trusted CA"
    [ss-expired]="expired on 2020-12-31"
    [ss-revoked]="was revoked on"
)
for cert in ss-other ss-expired ss-revoked; do
    mark="$(cg_log_mark cg)"
    if ss_initiate ss "$cert" 10; then
        fail "B ($cert): strongSwan established with a bad certificate"
    fi
    line="$(cg_wait_log cg "authentication of '$SS_ID' failed: .*${want_b[$cert]}" 5 "$mark")" ||
        fail "B ($cert): cygnetd did not log '${want_b[$cert]}'"
    log "B: $line"
    assert_eq "B ($cert): no IKE_SA on strongSwan" 0 "$(ss_ike_count ss "$cert" ESTABLISHED)"
done

cg_alive cg || fail "cygnetd died"
cg_assert_clean_log cg
log PASS
