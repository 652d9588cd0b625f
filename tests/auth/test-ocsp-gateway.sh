#!/bin/bash
# OCSP for the gateway's certificate in cygnetd (key `ocsp`), against a
# strongSwan gateway whose certificates name an `openssl ocsp` responder
# (in the gateway's namespace) in their authorityInfoAccess:
#   A  ocsp=hard, a good certificate            -> established
#   B  ocsp=hard, a revoked certificate         -> "has been revoked ... OCSP responder"
#   C  ocsp=hard, the responder does not answer -> rejected, "did not answer"
#   D  ocsp=soft, the responder does not answer -> established, a warning says so
#   E  ocsp=no,   a revoked certificate         -> established (only where configured)
# Needs the `ocsp` key wired into the connection config (CgConnConfig.ocsp
# copied into CgAuthCreds.ocsp by auth/cg-auth-creds.c).
# Usage: test-ocsp-gateway.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup ocsp-gateway "${1:-}"

PORT=$((8200 + RANDOM % 700))
DEAD_PORT=$((PORT + 1))
URL="http://$SS_ADDR:$PORT/"
auth_cert ss-good ecdsa 256 ca "$SS_ID" "$SS_ADDR" -- --lifetime 30 --ocsp "$URL"
auth_cert ss-revoked ecdsa 256 ca "$SS_ID" "$SS_ADDR" -- --lifetime 30 --ocsp "$URL"
auth_cert ss-dead ecdsa 256 ca "$SS_ID" "$SS_ADDR" -- --lifetime 30 --ocsp "http://$SS_ADDR:$DEAD_PORT/"
auth_cert cg-client ecdsa 256 ca "$CG_ID" "$CG_ADDR"

serial() { openssl x509 -in "$(auth_file "$1.pem")" -noout -serial | sed 's/^serial=//'; }
subject() { openssl x509 -in "$(auth_file "$1.pem")" -noout -subject -nameopt compat | sed 's/^subject=//'; }
{
    printf 'V\t301231235959Z\t\t%s\tunknown\t%s\n' "$(serial ss-good)" "$(subject ss-good)"
    printf 'R\t301231235959Z\t%s\t%s\tunknown\t%s\n' "$(date -u +%y%m%d%H%M%SZ)" \
        "$(serial ss-revoked)" "$(subject ss-revoked)"
} >"$(auth_file index.txt)"
printf 'unique_subject = no\n' >"$(auth_file index.txt.attr)"
ns_spawn ss "$CG_TMP/ocsp.log" openssl ocsp -index "$(auth_file index.txt)" -port "$PORT" \
    -rsigner "$(auth_file ca.pem)" -rkey "$(auth_file ca.key)" -CA "$(auth_file ca.pem)" \
    -ignore_err
wait_for_log "$CG_TMP/ocsp.log" "waiting for OCSP client connections" 5 >/dev/null ||
    fail "openssl ocsp did not start"

# run_case NAME CERT MODE: strongSwan shows CERT, cygnetd checks with MODE;
# sets MARK
run_case() {
    local name="$1" cert="$2" mode="$3"
    log "$name: gateway certificate $cert, ocsp=$mode"
    ss_clear_conf ss
    ss_auth_conn home "local=auth=pubkey;id=$SS_ID;certs=$(auth_file "$cert.pem")" \
        "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)"
    ss_auth_key "$cert"
    ss_load ss
    cg_clear_conf cg
    cg_auth_conn home auth=pubkey "cert=$(auth_file cg-client.pem)" \
        "key=$(auth_file cg-client.key)" "cacert=$(auth_file ca.pem)" "ocsp=$mode" start=start
    MARK="$(cg_log_mark cg)"
    cg_start cg cg
}

expect_up() {
    AUTH_MARK="$MARK" auth_expect_established home
    auth_stop_cg home
}

expect_refused() {
    local name="$1" want="$2" line
    line="$(cg_wait_log cg "$(cg_re_failed home "$want")" 15 "$MARK")" ||
        fail "$name: cygnetd did not fail with '$want'"
    log "$name: $line"
    ss_wait_no_sas ss 5 || fail "$name: strongSwan kept the IKE_SA"
    cg_stop cg || true
}

run_case A ss-good hard
expect_up

run_case B ss-revoked hard
expect_refused B "the gateway's certificate has been revoked: certificate 'CN=$SS_ID,O=Cygnet Interop,C=CH' is revoked according to the OCSP responder $URL"

run_case C ss-dead hard
expect_refused C "the gateway's certificate was rejected: the revocation status of certificate 'CN=$SS_ID,O=Cygnet Interop,C=CH' is unknown: the OCSP responder http://$SS_ADDR:$DEAD_PORT/ did not answer"

run_case D ss-dead soft
cg_wait_log cg "the OCSP responder http://$SS_ADDR:$DEAD_PORT/ did not answer .*; accepted \(ocsp = soft\)" \
    10 "$MARK" >/dev/null || fail "D: cygnetd did not warn that it could not check"
expect_up

run_case E ss-revoked no
expect_up

log PASS
