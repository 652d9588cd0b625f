#!/bin/bash
# A private key on a PKCS#11 token: SoftHSM2 holds cygnet's key and
# certificate; cygnetd loads the module, logs in with the PIN from its
# secrets file ([pin]) and signs IKE_AUTH on the token, against a
# strongSwan gateway that checks the certificate. A wrong PIN fails with
# a clear reason (and is tried only once). The PIN never appears in the log.
# Usage: test-softhsm.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup softhsm "${1:-}"
source "$(dirname "${BASH_SOURCE[0]}")/lib-softhsm.sh"
softhsm_require
MODULE="$SOFTHSM_MODULE"
TOKEN=cygnet-interop
PIN=97531

auth_cert ss-gw ecdsa 256 ca "$SS_ID" "$SS_ADDR"
auth_cert cg-token rsa 2048 ca "$CG_ID" "$CG_ADDR"
# a token of the test's own; only the token has the key afterwards
softhsm_token "$CG_TMP/softhsm" "$TOKEN" "$PIN" "$(auth_file cg-token.key)" \
    "$(auth_file cg-token.pem)" cg

ss_auth_conn home "local=auth=pubkey;id=$SS_ID;certs=$(auth_file ss-gw.pem)" \
    "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)"
ss_auth_key ss-gw
ss_load ss

log "A: the key on the token, the right PIN"
cg_auth_conn home auth=pubkey "pkcs11-module=$MODULE" "cert-nickname=$TOKEN:cg" \
    "cacert=$(auth_file ca.pem)" start=start
cg_pin_secret token "$TOKEN" "$PIN"
AUTH_MARK="$(cg_log_mark cg)"
ss_mark="$(log_lines "$(ss_log ss)")"
cg_start cg cg
auth_expect_established home
wait_for_log "$(ss_log ss)" "authentication of '$CG_ID' with .* successful" 2 "$ss_mark" \
    >/dev/null || fail "A: strongSwan did not verify the token's signature"
auth_stop_cg home

log "B: a wrong PIN"
cg_clear_conf cg
cg_auth_conn home auth=pubkey "pkcs11-module=$MODULE" "cert-nickname=$TOKEN:cg" \
    "cacert=$(auth_file ca.pem)" start=start
cg_pin_secret token "$TOKEN" 11111
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
line="$(cg_wait_log cg "$(cg_re_failed home "PIN of token '$TOKEN' was not accepted")" 5 \
    "$AUTH_MARK")" || fail "B: cygnetd did not report the wrong PIN"
log "B: $line"
assert_match "B: reason" "our certificate, private key, PIN or password is missing or unusable" "$line"
cg_stop cg || true
if grep -q "$PIN\|11111" "$(cg_log cg)"; then
    fail "a PIN appears in cygnetd's log"
fi
# the token still takes the right PIN: the wrong one was tried only once
softhsm_token_usable "$TOKEN" "$PIN" || fail "the token is locked after cygnet's attempts"

cg_assert_clean_log cg
log PASS
