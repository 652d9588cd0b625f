#!/bin/bash
# cygnetd as the EAP-TLS server (remote-auth=eap-tls): strongSwan clients
# log in with EAP-TLS and their certificate, cygnetd proves itself with its
# certificate (IKE AUTH and the TLS server certificate alike):
#  A: a client certificate from the CA: both sides established, a
#     virtual IP from cygnetd's pool, both logs name EAP-TLS;
#  B: a client certificate from another CA: refused, cygnetd names the
#     reason, no SA left on strongSwan.
# Needs the EAP-TLS server wired into IKE_AUTH (sa/cg-ike-auth.c calling
# cg_auth_eap_server_tls).
# Usage: test-eap-tls-gateway.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup eap-tls-gateway "${1:-}"

auth_cert cg-gw rsa 2048 ca "$CG_ID" "$CG_ADDR"
auth_cert ss-client ecdsa 256 ca "$SS_ID" "$SS_ADDR"
auth_ca other "C=CH, O=Elsewhere, CN=Other CA"
auth_cert ss-stranger ecdsa 256 other "$SS_ID" "$SS_ADDR"

# client CONN CERT: a strongSwan EAP-TLS client of cygnetd
client() {
    ss_auth_conn "$1" "local=auth=eap-tls;id=$SS_ID;eap_id=$SS_ID;certs=$(auth_file "$2.pem")" \
        "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)" vips=0.0.0.0 \
        child.local_ts=dynamic
    ss_auth_key "$2"
}
client rw ss-client
ss_load ss

cg_pool cg vpn 10.4.0.0/28
cg_auth_conn gw auth=pubkey remote-auth=eap-tls remote=%any remote-id=%any \
    "cert=$(auth_file cg-gw.pem)" "key=$(auth_file cg-gw.key)" "cacert=$(auth_file ca.pem)" \
    pools=vpn local-ts="$CG_INNER/32" remote-ts=dynamic
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg

log "A: strongSwan EAP-TLS client with a certificate from the CA"
ss_mark="$(log_lines "$(ss_log ss)")"
ss_initiate ss rw 10 || fail "A: swanctl --initiate failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
ss_wait_established ss rw 5 || fail "A: strongSwan has no established SAs"
cg_wait_log cg "EAP-TLS authenticated '$(re_escape "$SS_ID")'" 3 "$AUTH_MARK" >/dev/null ||
    fail "A: cygnetd did not log the EAP-TLS success"
wait_for_log "$(ss_log ss)" "EAP method EAP_TLS succeeded, MSK established" 3 "$ss_mark" \
    >/dev/null || fail "A: strongSwan did not log the EAP-TLS success"
vip="$(ss_vips ss rw local)"
[[ "$vip" == 10.4.0.* ]] || fail "A: strongSwan got no address from cygnetd's pool: '$vip'"
ss_terminate ss rw || fail "A: swanctl --terminate failed"
ss_wait_no_sas ss 5 || fail "A: IKE_SA not deleted"

log "B: a client certificate from another CA"
ss_clear_conf ss
client rw-bad ss-stranger
ss_load ss
mark="$(cg_log_mark cg)"
if ss_initiate ss rw-bad 10; then
    fail "B: strongSwan established with a certificate from another CA"
fi
line="$(cg_wait_log cg "failed: EAP-TLS: certificate '.*' is not issued by a trusted CA \(issuer 'CN=Other CA" \
    5 "$mark")" || fail "B: cygnetd did not name the untrusted client certificate"
log "B: $line"
assert_eq "B: no IKE_SA on strongSwan" 0 "$(ss_ike_count ss rw-bad ESTABLISHED)"

cg_stop cg || true
cg_assert_clean_log cg
log PASS
