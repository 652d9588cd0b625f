#!/bin/bash
# EAP-TLS client (RFC 5216): cygnetd authenticates with its certificate
# inside TLS 1.2 carried by EAP, against a strongSwan gateway that proves
# itself with its own certificate (IKE AUTH) and is the EAP-TLS server.
#  A: the certificate chain of both TLS sides goes through EAP-TLS
#     fragmentation (RSA 3072 keys); both sides report the SA up.
#  B: a gateway whose TLS certificate comes from another CA is refused.
# Usage: test-eap-tls.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup eap-tls "${1:-}"

auth_cert ss-gw rsa 3072 ca "$SS_ID" "$SS_ADDR"
auth_cert cg-client rsa 3072 ca "$CG_ID" "$CG_ADDR"
auth_ca other "C=CH, O=Elsewhere, CN=Other CA"
auth_cert ss-stranger rsa 2048 other "$SS_ID" "$SS_ADDR"

# strongSwan trusts the CA for the EAP-TLS client certificate
mkdir -p "$(ss_dir ss)/x509ca"
cp "$(auth_file ca.pem)" "$(ss_dir ss)/x509ca/ca.pem"

gateway() {
    local cert="$1"
    ss_clear_conf ss
    ss_auth_conn gw "local=auth=pubkey;id=$SS_ID;certs=$(auth_file "$cert.pem")" \
        "remote=auth=eap-tls;eap_id=%any" child.remote_ts="$CG_INNER/32"
    ss_auth_key "$cert"
    ss_load ss
}

client() {
    cg_clear_conf cg
    cg_auth_conn rw auth=eap-tls remote-auth=pubkey "cert=$(auth_file cg-client.pem)" \
        "key=$(auth_file cg-client.key)" "cacert=$(auth_file ca.pem)" start=start "$@"
}

log "A: EAP-TLS with a strongSwan gateway"
gateway ss-gw
client
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
auth_expect_established rw rw gw
cg_wait_log cg "EAP-TLS authenticated us as '$CG_ID'" 2 "$AUTH_MARK" >/dev/null ||
    fail "A: cygnetd did not log the EAP-TLS success"
wait_for_log "$(ss_log ss)" "EAP method EAP_TLS succeeded, MSK established" 2 >/dev/null ||
    fail "A: strongSwan did not log the EAP-TLS success"
wait_for_log "$(ss_log ss)" "authentication of '$CG_ID' with EAP successful" 2 >/dev/null ||
    fail "A: strongSwan did not accept our AUTH from the EAP-TLS key (MSK)"
auth_stop_cg gw

log "B: a TLS server certificate from another CA"
ss_kill ss TERM
ss_start ss ss retransmit_timeout=0.5
mkdir -p "$(ss_dir ss)/x509ca"
cp "$(auth_file ca.pem)" "$(ss_dir ss)/x509ca/ca.pem"
gateway ss-stranger
client "remote-id=$SS_ID"
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_failed rw "not issued by a trusted CA")" 10 "$AUTH_MARK" >/dev/null ||
    fail "B: cygnetd did not refuse the untrusted gateway"
cg_stop cg || true

cg_assert_clean_log cg
log PASS
