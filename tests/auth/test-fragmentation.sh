#!/bin/bash
# IKE fragmentation (RFC 7383) over a path that a certificate chain does
# not fit: the link's MTU is 1000 bytes and both namespaces drop IP
# fragments (as many NATs and firewalls do). RSA-3072 certificates with an
# intermediate CA make IKE_AUTH about 3 KB in both directions.
#  0: control: cygnetd with fragmentation=no gets no IKE_AUTH through
#  A: cygnetd initiator -> strongSwan responder, both fragmenting at 900
#  B: strongSwan initiator -> cygnetd responder
# Usage: test-fragmentation.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
auth_setup fragmentation "${1:-}" fragment_size=900

# the path: small MTU, IP fragments dropped before reassembly
for ns in cg ss; do
    ip -n "$(ns_name "$ns")" link set eth0 mtu 1000
    ns_exec "$ns" nft -f - <<EOF || fail "nft fragment filter in $ns"
table ip cgfrag {
    chain pre {
        type filter hook prerouting priority -450; policy accept;
        ip frag-off & 0x3fff != 0 counter drop
    }
}
EOF
done

auth_ca inter "C=CH, O=Cygnet Interop, CN=Interop Intermediate" ca
auth_cert ss-big rsa 3072 inter "$SS_ID" "$SS_ADDR"
auth_cert cg-big rsa 3072 inter "$CG_ID" "$CG_ADDR"
auth_chain ss-chain ss-big inter
auth_chain cg-chain cg-big inter

ss_auth_conn home "local=auth=pubkey;id=$SS_ID;certs=$(auth_file ss-chain.pem)" \
    "remote=auth=pubkey;id=$CG_ID;cacerts=$(auth_file ca.pem)" fragmentation=yes
cp "$(auth_file ss-big.key)" "$(auth_file ss-chain.key)"
ss_auth_key ss-chain
# strongSwan sends the intermediate only if it has it as a CA certificate
mkdir -p "$(ss_dir ss)/x509ca"
cp "$(auth_file inter.pem)" "$(ss_dir ss)/x509ca/inter.pem"
ss_load ss

cg_conf() {
    cg_clear_conf cg
    cg_auth_conn home auth=pubkey "cert=$(auth_file cg-chain.pem)" "key=$(auth_file cg-big.key)" \
        "cacert=$(auth_file ca.pem)" fragment-size=900 "$@"
}

dropped_fragments() {
    ns_exec "$1" nft list table ip cgfrag | sed -nE 's/.*counter packets ([0-9]+).*/\1/p'
}

# --- 0: without IKE fragmentation the path eats IKE_AUTH ------------------
log "0: control: fragmentation=no cannot get through"
cg_conf fragmentation=no retransmit-tries=2 start=start
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
cg_wait_log cg "$(cg_re_failed home "did not answer")" 15 "$AUTH_MARK" >/dev/null ||
    fail "0: cygnetd got through a path that drops IP fragments without IKE fragmentation"
[ "$(dropped_fragments ss)" -gt 0 ] || fail "0: no IP fragment was dropped: the path is not tight"
cg_stop cg || true
# strongSwan still holds the half-open IKE_SA of that attempt: start afresh
ss_kill ss TERM
ss_start ss ss retransmit_timeout=0.5 fragment_size=900
ss_load ss

# --- A: cygnetd initiator ---------------------------------------------------
log "A: cygnetd initiator, fragments of at most 900 bytes"
cg_conf start=start
AUTH_MARK="$(cg_log_mark cg)"
ss_mark="$(log_lines "$(ss_log ss)")"
cg_start cg cg
auth_expect_established home
cg_wait_log cg "IKE_AUTH request 1 of [0-9]+ bytes sent in [0-9]+ fragments" 2 "$AUTH_MARK" \
    >/dev/null || fail "A: cygnetd did not fragment its IKE_AUTH request"
cg_wait_log cg "reassembled IKE_AUTH 1 from [0-9]+ fragments" 2 "$AUTH_MARK" >/dev/null ||
    fail "A: cygnetd did not reassemble strongSwan's IKE_AUTH response"
wait_for_log "$(ss_log ss)" "reassembled fragmented IKE message" 2 "$ss_mark" >/dev/null ||
    fail "A: strongSwan did not reassemble cygnet's fragments"
interop_ping
auth_stop_cg home

# --- B: strongSwan initiator --------------------------------------------------
log "B: strongSwan initiator -> cygnetd responder"
cg_conf remote=%any remote-id=%any
AUTH_MARK="$(cg_log_mark cg)"
cg_start cg cg
ss_initiate ss home 15 || fail "B: swanctl --initiate failed: $(tail -n 3 "$(ss_dir ss)/swanctl.out")"
ss_wait_established ss home 5 || fail "B: strongSwan has no established SAs"
cg_wait_log cg "reassembled IKE_AUTH 1 from [0-9]+ fragments" 2 "$AUTH_MARK" >/dev/null ||
    fail "B: cygnetd did not reassemble strongSwan's IKE_AUTH request"
cg_wait_log cg "IKE_AUTH response 1 of [0-9]+ bytes sent in [0-9]+ fragments" 2 "$AUTH_MARK" \
    >/dev/null || fail "B: cygnetd did not fragment its IKE_AUTH response"
cg_wait_log cg "$(cg_re_ike_up home)" 5 "$AUTH_MARK" >/dev/null ||
    fail "B: cygnetd did not log the IKE_SA established"

cg_assert_clean_log cg
log PASS
