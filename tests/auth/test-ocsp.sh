#!/bin/bash
# OCSP (RFC 6960) for a peer's certificate, through NSS as the engine does
# it (tests/auth/ocsp-verify runs cg_cert_verify with an OCSP mode), with
# `openssl ocsp` as the responder in the test's own network namespace and
# the responder's URL in each certificate's authorityInfoAccess:
#   good       hard: accepted
#   revoked    hard and soft: rejected, "revoked according to the OCSP responder"
#   revoked    ocsp = no: accepted (OCSP only where configured)
#   unknown    (not in the responder's index) soft: rejected, the answer named
#   refused    (nobody listens at the URL) hard: rejected, "did not answer
#              (unreachable, ...)"; soft: accepted with that note
#   silent     (a listener that never answers) hard: rejected after the
#              timeout (5 s), not a hang
#   no AIA     hard: rejected, "names no OCSP responder"; soft: accepted
# Usage: test-ocsp.sh OCSP-VERIFY
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"
OCSP_VERIFY="${1:-}"
require_root
require_cmd pki openssl python3 ip
[ -x "$OCSP_VERIFY" ] || fail "ocsp-verify not found at '$OCSP_VERIFY'"
OCSP_VERIFY="$(readlink -f "$OCSP_VERIFY")"
harness_init ocsp
ns_create ocsp
ns_exec ocsp ip link set lo up

PKI="$CG_TMP/pki"
mkdir -p "$PKI"
pki_run() { pki "$@" 2>>"$PKI/pki.err"; }
pki_run --gen --type rsa --size 2048 --outform pem >"$PKI/ca.key" || fail "pki --gen ca"
pki_run --self --ca --lifetime 30 --in "$PKI/ca.key" --dn "C=CH, O=Cygnet OCSP, CN=OCSP CA" \
    --outform pem >"$PKI/ca.pem" || fail "pki --self ca"
pki_run --gen --type rsa --size 2048 --outform pem >"$PKI/other.key" || fail "pki --gen other"
pki_run --self --ca --lifetime 30 --in "$PKI/other.key" --dn "C=CH, O=Elsewhere, CN=Other CA" \
    --outform pem >"$PKI/other.pem" || fail "pki --self other"

PORT=8$((RANDOM % 900 + 100))
SILENT_PORT=$((PORT + 1))
DEAD_PORT=$((PORT + 2))
# cert NAME URL|-: an ECDSA end entity certificate from the CA, with URL
# as its OCSP responder ("-": none)
cert() {
    local name="$1" url="$2"
    local -a aia=()
    [ "$url" = - ] || aia=(--ocsp "$url")
    pki_run --gen --type ecdsa --size 256 --outform pem >"$PKI/$name.key" || fail "pki --gen $name"
    pki_run --issue --cacert "$PKI/ca.pem" --cakey "$PKI/ca.key" --type priv \
        --in "$PKI/$name.key" --dn "C=CH, O=Cygnet OCSP, CN=$name.test" --san "$name.test" \
        --lifetime 30 "${aia[@]}" --outform pem >"$PKI/$name.pem" || fail "pki --issue $name"
}
cert good "http://127.0.0.1:$PORT/"
cert revoked "http://127.0.0.1:$PORT/"
cert unknown "http://127.0.0.1:$PORT/"
cert refused "http://127.0.0.1:$DEAD_PORT/"
cert silent "http://127.0.0.1:$SILENT_PORT/"
cert noaia -

# the responder's index (openssl ca's format): good valid, revoked revoked,
# unknown not listed
serial() { openssl x509 -in "$PKI/$1.pem" -noout -serial | sed 's/^serial=//'; }
subject() { openssl x509 -in "$PKI/$1.pem" -noout -subject -nameopt compat | sed 's/^subject=//'; }
{
    printf 'V\t301231235959Z\t\t%s\tunknown\t%s\n' "$(serial good)" "$(subject good)"
    printf 'R\t301231235959Z\t%s\t%s\tunknown\t%s\n' "$(date -u +%y%m%d%H%M%SZ)" \
        "$(serial revoked)" "$(subject revoked)"
} >"$PKI/index.txt"
printf 'unique_subject = no\n' >"$PKI/index.txt.attr"

# the responder signs with the CA's own key (RFC 6960 4.2.2.2)
ns_spawn ocsp "$CG_TMP/ocsp.log" openssl ocsp -index "$PKI/index.txt" -port "$PORT" \
    -rsigner "$PKI/ca.pem" -rkey "$PKI/ca.key" -CA "$PKI/ca.pem" -ignore_err
wait_for_log "$CG_TMP/ocsp.log" "waiting for OCSP client connections" 5 >/dev/null ||
    fail "openssl ocsp did not start"
# a listener that accepts and never answers
ns_spawn ocsp "$CG_TMP/silent.log" python3 -c "
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $SILENT_PORT))
s.listen(8)
print('listening', flush=True)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
"
wait_for_log "$CG_TMP/silent.log" "^listening" 5 >/dev/null || fail "the silent listener did not start"

OUT=""
RC=0
# check MODE CERT: runs ocsp-verify in the namespace; OUT, RC
check() {
    RC=0
    OUT="$(ns_exec ocsp "$OCSP_VERIFY" "$1" "$PKI/ca.pem" "$PKI/$2.pem" 2>&1)" || RC=$?
    log "$2 ($1): exit $RC: ${OUT//$'\n'/ | }"
    [ "$RC" -le 1 ] || fail "$2 ($1): ocsp-verify failed: $OUT"
}
expect() { # expect CASE EXIT STATUS [DETAIL-REGEX]
    assert_eq "$1: accepted (0) or rejected (1)" "$2" "$RC"
    assert_match "$1: status" "^status $3\$" "$(head -n1 <<<"$OUT")"
    if [ -n "${4:-}" ]; then
        assert_match "$1: detail" "$4" "$(grep '^detail ' <<<"$OUT" || true)"
    fi
}

check hard good
expect "good, hard" 0 ok
grep -q '^detail' <<<"$OUT" && fail "good, hard: a note on a good answer: $OUT"
# the trust the check lent the CA was taken back
assert_match "good, hard: then without anchors" "^without-anchors untrusted\$" \
    "$(grep '^without-anchors ' <<<"$OUT")"

check hard revoked
expect "revoked, hard" 1 revoked "certificate 'CN=revoked.test,.*' is revoked according to the OCSP responder http://127.0.0.1:$PORT/"
check soft revoked
expect "revoked, soft" 1 revoked "revoked according to the OCSP responder"
check no revoked
expect "revoked, ocsp off" 0 ok

check soft unknown
expect "unknown, soft" 1 status-unknown "gave no acceptable answer .*does not know the certificate"

check hard refused
expect "refused, hard" 1 status-unknown "the OCSP responder http://127.0.0.1:$DEAD_PORT/ did not answer \(unreachable"
check soft refused
expect "refused, soft" 0 ok "did not answer \(unreachable"

check hard silent
expect "silent, hard" 1 status-unknown "did not answer"
took="$(sed -n 's/^took \([0-9]*\) ms$/\1/p' <<<"$OUT")"
log "a silent responder: rejected after $took ms (timeout 5 s)"
if [ "$took" -lt 4000 ] || [ "$took" -gt 20000 ]; then
    fail "silent, hard: gave up after $took ms, not after the 5 s timeout"
fi

check hard noaia
expect "no AIA, hard" 1 status-unknown "names no OCSP responder"
check soft noaia
expect "no AIA, soft" 0 ok "names no OCSP responder"

log PASS
