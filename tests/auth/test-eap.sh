#!/bin/bash
# EAP-MSCHAPv2 against strongSwan, both roles:
#  A: the road warrior: cygnetd client (user name + password, virtual IP)
#     -> strongSwan gateway authenticated by its certificate
#  B: the same with a wrong password: "wrong user name or password", fast
#  C: strongSwan client -> cygnetd gateway (certificate + EAP server, pool)
#  D: strongSwan client with a wrong password: cygnetd says why, no SA
# Usage: test-eap.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup eap "${1:-}"

auth_cert ss-gw rsa 2048 ca "$SS_ID" "$SS_ADDR"
auth_cert cg-gw ecdsa 256 ca "$CG_ID" "$CG_ADDR"
PASSWORD="correct horse battery staple"

# --- A: cygnetd client, strongSwan gateway ------------------------------
log "A: cygnetd EAP-MSCHAPv2 client -> strongSwan gateway with a certificate"
ss_pool ss rw 10.3.0.0/28 dns=10.3.0.53
ss_auth_conn gw "local=auth=pubkey;id=$SS_ID;certs=$(auth_file ss-gw.pem)" \
    "remote=auth=eap-mschapv2;eap_id=%any" pools=rw child.remote_ts=dynamic
ss_auth_key ss-gw
ss_eap_secret alice "$PASSWORD"
ss_load ss

cg_clear_conf cg
cg_auth_conn rw auth=eap-mschapv2 remote-auth=pubkey eap-identity=alice \
    "cacert=$(auth_file ca.pem)" vip=ipv4 local-ts=dynamic start=start
cg_eap_secret alice "$PASSWORD" alice
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
auth_expect_established rw rw gw
cg_wait_log cg "EAP-MSCHAPv2 authenticated us as 'alice'" 2 "$AUTH_MARK" >/dev/null ||
    fail "A: cygnetd did not log the EAP success"
cg_wait_log cg "$(cg_re_vip_assigned 10.3.0.)" 2 "$AUTH_MARK" >/dev/null ||
    fail "A: cygnetd got no virtual IP"
wait_for_log "$(ss_log ss)" "EAP method EAP_MSCHAPV2 succeeded" 2 >/dev/null ||
    fail "A: strongSwan did not log the EAP success"
wait_for_log "$(ss_log ss)" "authentication of '$CG_ID' with EAP successful" 2 >/dev/null ||
    fail "A: strongSwan did not accept our AUTH from the EAP key (MSK)"
auth_stop_cg gw

# --- B: wrong password --------------------------------------------------
log "B: cygnetd client with a wrong password"
cg_clear_conf cg
cg_auth_conn rw auth=eap-mschapv2 remote-auth=pubkey eap-identity=alice \
    "cacert=$(auth_file ca.pem)" vip=ipv4 local-ts=dynamic start=start
cg_eap_secret alice "Tr0ub4dor&3" alice
AUTH_MARK="$(cg_log_mark cg)"
started="$(now_ms)"
cg_start cg cg
line="$(cg_wait_log cg "$(cg_re_failed rw "wrong user name or password")" 5 "$AUTH_MARK")" ||
    fail "B: cygnetd did not report the wrong password"
took=$(($(now_ms) - started))
log "B: '$line' after ${took} ms"
# strongSwan holds its MS-CHAPv2 failure back 2 s (against guessing);
# cygnetd must give up as soon as it arrives, not after retransmissions
[ "$took" -lt 5000 ] || fail "B: the failure took $took ms (want < 5 s)"
assert_match "B: the reason is authentication failed" "failed to establish: authentication failed" "$line"
if grep -q "Tr0ub4dor\|correct horse" "$(cg_log cg)"; then
    fail "B: a password appears in cygnetd's log"
fi
assert_eq "B: no IKE_SA on strongSwan" 0 "$(ss_ike_count ss gw ESTABLISHED)"
cg_stop cg || true

# --- C: strongSwan client, cygnetd gateway --------------------------------
log "C: strongSwan EAP-MSCHAPv2 client -> cygnetd gateway"
ss_clear_conf ss
ss_auth_conn rw "local=auth=eap-mschapv2;eap_id=bob;id=$SS_ID" \
    "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)" vips=0.0.0.0 \
    child.local_ts=dynamic
ss_eap_secret bob "$PASSWORD"
ss_auth_conn rw-bad "local=auth=eap-mschapv2;eap_id=mallory;id=$SS_ID" \
    "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)" vips=0.0.0.0 \
    child.local_ts=dynamic
ss_eap_secret mallory "guessed"
ss_load ss

cg_clear_conf cg
cg_pool cg vpn 10.4.0.0/28
cg_auth_conn gw auth=pubkey remote-auth=eap-mschapv2 remote=%any remote-id=%any \
    "cert=$(auth_file cg-gw.pem)" "key=$(auth_file cg-gw.key)" pools=vpn \
    local-ts="$CG_INNER/32" remote-ts=dynamic
cg_eap_secret users "$PASSWORD" bob mallory
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
ss_initiate ss rw 10 || fail "C: swanctl --initiate failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
ss_wait_established ss rw 5 || fail "C: strongSwan has no established SAs"
cg_wait_log cg "EAP-MSCHAPv2 authenticated 'bob'" 2 "$AUTH_MARK" >/dev/null ||
    fail "C: cygnetd did not log the EAP success"
cg_wait_log cg "$(cg_re_ike_up gw).*\[bob\]" 2 "$AUTH_MARK" >/dev/null ||
    fail "C: cygnetd did not log the IKE_SA up for bob"
vip="$(ss_vips ss rw local)"
[[ "$vip" == 10.4.0.* ]] || fail "C: strongSwan got no address from cygnetd's pool: '$vip'"
ss_terminate ss rw || fail "C: swanctl --terminate failed"
ss_wait_no_sas ss 5 || fail "C: IKE_SA not deleted"

# --- D: strongSwan client, wrong password ----------------------------------
log "D: strongSwan client with a wrong password"
mark="$(cg_log_mark cg)"
if ss_initiate ss rw-bad 10; then
    fail "D: strongSwan established with a wrong password"
fi
cg_wait_log cg "authentication of 'mallory' failed: EAP-MSCHAPv2: wrong password for 'mallory'" \
    5 "$mark" >/dev/null || fail "D: cygnetd did not log the wrong password"
assert_eq "D: no IKE_SA on strongSwan" 0 "$(ss_ike_count ss rw-bad any)"
# strongSwan tells us it gave up (AUTHENTICATION_FAILED in an INFORMATIONAL):
# the gateway's half-open SA goes at once, not at the 30 s timeout
cg_wait_log cg "failed to establish: authentication failed: the peer rejected the authentication" \
    5 "$mark" >/dev/null || fail "D: cygnetd kept the failed SA after the client gave up"
if grep -q "guessed\|correct horse" "$(cg_log cg)"; then
    fail "D: a password appears in cygnetd's log"
fi

# --- E: EAP-only (RFC 5998) --------------------------------------------------
log "E: strongSwan client announces EAP-only; not with MSCHAPv2 (RFC 5998 4): cygnetd signs"
cg_stop cg || true
cg_clear_conf cg
cg_pool cg vpn 10.4.0.0/28
cg_auth_conn gw auth=pubkey remote-auth=eap-mschapv2 remote=%any remote-id=%any eap-only=yes \
    "cert=$(auth_file cg-gw.pem)" "key=$(auth_file cg-gw.key)" pools=vpn \
    local-ts="$CG_INNER/32" remote-ts=dynamic
cg_eap_secret users "$PASSWORD" bob
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
ss_initiate ss rw 10 || fail "E: swanctl --initiate failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
ss_wait_established ss rw 5 || fail "E: strongSwan has no established SAs"
cg_wait_log cg "signed AUTH with" 2 "$AUTH_MARK" >/dev/null ||
    fail "E: cygnetd did not sign (EAP-only must not be used with MSCHAPv2)"
ss_terminate ss rw || fail "E: swanctl --terminate failed"
ss_wait_no_sas ss 5 || fail "E: IKE_SA not deleted"

cg_alive cg || fail "cygnetd died"
cg_assert_clean_log cg
log PASS
