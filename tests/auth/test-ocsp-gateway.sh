#!/bin/bash
# OCSP for the gateway's certificate in cygnetd (key `ocsp`), against a
# strongSwan gateway whose certificates name an `openssl ocsp` responder
# (in the gateway's namespace) in their authorityInfoAccess:
#   A  ocsp=hard, a good certificate            -> established
#   B  ocsp=hard, a revoked certificate         -> "has been revoked ... OCSP responder"
#   C  ocsp=hard, the responder does not answer -> rejected, "did not answer"
#   D  ocsp=soft, the responder does not answer -> established, a warning says so
#   E  ocsp=no,   a revoked certificate         -> established (only where configured)
#   F  ocsp=hard, the responder takes the request and stays silent: the
#      check runs in the background, and a second connection (PSK) added
#      meanwhile comes up long before the first one gives up
#   H  while a check waits on the silent responder, a connection that
#      trusts only the NSS database (no cacert; the database is empty) is
#      judged at once, and rejects the CA the waiting check lends trust to
#   G  roles reversed: cygnetd as the responder checks a strongSwan
#      initiator's certificate (good) with ocsp=hard, in the background too
#      (the IKE_AUTH request is held and replayed) -> established
# Needs the `ocsp` key wired into the connection config (CgConnConfig.ocsp
# copied into CgAuthCreds.ocsp by auth/cg-auth-creds.c).
# Usage: test-ocsp-gateway.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup ocsp-gateway "${1:-}"

PORT=$((8200 + RANDOM % 700))
DEAD_PORT=$((PORT + 1))
SILENT_PORT=$((PORT + 2))
URL="http://$SS_ADDR:$PORT/"
auth_cert ss-good ecdsa 256 ca "$SS_ID" "$SS_ADDR" -- --lifetime 30 --ocsp "$URL"
auth_cert ss-revoked ecdsa 256 ca "$SS_ID" "$SS_ADDR" -- --lifetime 30 --ocsp "$URL"
auth_cert ss-dead ecdsa 256 ca "$SS_ID" "$SS_ADDR" -- --lifetime 30 --ocsp "http://$SS_ADDR:$DEAD_PORT/"
auth_cert ss-silent ecdsa 256 ca "$SS_ID" "$SS_ADDR" -- --lifetime 30 --ocsp "http://$SS_ADDR:$SILENT_PORT/"
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

# run_case NAME CERT MODE [START [SS-EXTRA]]: strongSwan shows CERT,
# cygnetd checks with MODE and starts with START (default start; "none"
# waits for strongSwan); SS-EXTRA, a function, adds to strongSwan's
# config before it loads; sets MARK
run_case() {
    local name="$1" cert="$2" mode="$3" start="${4:-start}" extra="${5:-}"
    log "$name: gateway certificate $cert, ocsp=$mode"
    ss_clear_conf ss
    ss_auth_conn home "local=auth=pubkey;id=$SS_ID;certs=$(auth_file "$cert.pem")" \
        "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)"
    ss_auth_key "$cert"
    [ -z "$extra" ] || "$extra"
    ss_load ss
    cg_clear_conf cg
    cg_auth_conn home auth=pubkey "cert=$(auth_file cg-client.pem)" \
        "key=$(auth_file cg-client.key)" "cacert=$(auth_file ca.pem)" "ocsp=$mode" "start=$start"
    MARK="$(cg_log_mark cg)"
    cg_start cg cg
}

# expect_background NAME: cygnetd checks the certificate off its thread
expect_background() {
    cg_wait_log cg "checking the peer's certificate with its OCSP responder in the background" 10 \
        "$MARK" >/dev/null || fail "$1: the OCSP check did not start in the background"
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

# F: a responder that takes the connection and never answers (the kernel
# accepts into the backlog; nothing reads), so NSS waits its full timeout
ns_spawn ss "$CG_TMP/silent.log" python3 -c "
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$SS_ADDR', $SILENT_PORT))
s.listen(16)
print('silent responder listening', flush=True)
time.sleep(600)"
wait_for_log "$CG_TMP/silent.log" "silent responder listening" 5 >/dev/null ||
    fail "F: the silent responder did not start"
SIDE_ID="side.$CG_ID"
SIDE_PSK="ocsp-side-psk-$$-$RANDOM"
run_case F ss-silent hard
expect_background F
# while it waits, a PSK connection is added on both sides and must come up
ss_conn ss side local_addrs="$SS_ADDR" remote_addrs="$CG_ADDR" \
    proposals=aes256gcm16-prfsha256-x25519 local_id="$SS_ID" remote_id="$SIDE_ID"
ss_child ss side side local_ts="$SS_INNER/32" remote_ts="$CG_INNER/32" esp_proposals=aes256gcm16
ss_psk ss side "$SIDE_PSK" "$SS_ID" "$SIDE_ID"
ss_load ss
cg_auth_conn side auth=psk local-id="$SIDE_ID" start=start
cg_psk cg side "$SIDE_PSK" "$SIDE_ID" "$SS_ID"
cg_reload cg
cg_wait_log cg "$(cg_re_ike_up side)" 3 "$MARK" >/dev/null ||
    fail "F: the PSK connection did not come up within 3 s while the OCSP check waited"
[ "$(cg_log_count cg "$(cg_re_failed home "")" "$MARK")" = 0 ] ||
    fail "F: the OCSP check ended before the PSK connection came up: it did not wait in the background"
log "F: the PSK connection came up while the OCSP responder was silent"
line="$(cg_wait_log cg "$(cg_re_failed home "the OCSP responder http://$SS_ADDR:$SILENT_PORT/ did not answer")" 15 "$MARK")" ||
    fail "F: cygnetd did not give up on the silent responder"
log "F: $line"
[ "$(cg_log_count cg "$(cg_re_ike_up home)" "$MARK")" = 0 ] || fail "F: home came up"
# the reload left home's IKE_SA alone: no second one was started beside it
[ "$(cg_log_count cg "IKE_SA home\[[0-9]+\] initiating" "$MARK")" = 1 ] ||
    fail "F: the reload started a second IKE_SA for home"
auth_stop_cg

# H: home waits on the silent responder; "sys" relies on the NSS database
SYS_ID="sys.$CG_ID"
SYS_PSK="ocsp-sys-psk-$$-$RANDOM"
ss_sys_conn() {
    ss_auth_conn sys "local=auth=pubkey;id=$SS_ID;certs=$(auth_file ss-silent.pem)" \
        "remote=auth=psk;id=$SYS_ID" send_cert=always
    ss_psk ss sys "$SYS_PSK" "$SS_ID" "$SYS_ID"
}
run_case H ss-silent hard start ss_sys_conn
expect_background H
cg_auth_conn sys auth=psk remote-auth=pubkey local-id="$SYS_ID" ocsp=no start=start
cg_psk cg sys "$SYS_PSK" "$SYS_ID" "$SS_ID"
cg_reload cg
line="$(cg_wait_log cg "$(cg_re_failed sys "")" 3 "$MARK")" ||
    fail "H: the database-trust connection was not judged within 3 s while the OCSP check waited"
log "H: $line"
[ "$(cg_log_count cg "$(cg_re_failed home "")" "$MARK")" = 0 ] ||
    fail "H: the OCSP check ended first: the database-trust check waited for it"
[ "$(cg_log_count cg "$(cg_re_ike_up sys)" "$MARK")" = 0 ] ||
    fail "H: the database-trust connection accepted the private CA"
cg_wait_log cg "$(cg_re_failed home "did not answer")" 15 "$MARK" >/dev/null ||
    fail "H: cygnetd did not give up on the silent responder"
auth_stop_cg

# G: cygnetd answers (start=none: strongSwan initiates); strongSwan's
# certificate names the good responder
run_case G ss-good hard none
ss_initiate ss home 15 || fail "G: strongSwan could not bring the tunnel up through cygnetd"
expect_background G
AUTH_MARK="$MARK" auth_expect_established home
auth_stop_cg

log PASS
