#!/bin/bash
# The desktop side's target, end to end: a person who has never seen the
# plugin opens the editor (GTK 4 as in GNOME Settings, else GTK 3, driven
# through its widgets under Xvfb by tests/ui/test-editor --person), fills
# in the gateway, the user name and the password, and saves; Advanced is
# never opened. nmcli imports what the editor saved into a real
# NetworkManager, and `nmcli connection up` (the password given as a
# person types it: passwd-file) connects to a strongSwan gateway that logs
# the user in with EAP-MSCHAPv2 and shows a certificate from a CA in the
# system's CA store (the test's CA bind-mounted over
# /etc/ssl/certs/ca-certificates.crt inside NetworkManager's private mount
# namespace; the host's file is untouched):
#  - the saved profile: auth eap, user, the password in the keyring
#    (password-flags 1), no CA file, no other key;
#  - activated, with a virtual IP from the gateway's pool; strongSwan
#    logs the EAP success; the service's log says the system's CAs;
#  - the password never appears in a log or in the profile;
#  - a gateway showing a certificate from the same CA that does not name
#    the gateway's address is refused (no remote-id set, as here).
# Usage: test-nm-editor-eap.sh SERVICE NAME-FILE POLICY CYGNETD AGENT AUTH-DIALOG PLUGIN
#                              RUN-XVFB EDITOR-TEST
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ui-nm.sh"
ui_nm_setup ui-nm-editor-eap "${@:1:7}"
RUN_XVFB="$(readlink -f "$8")"
EDITOR_TEST="$(readlink -f "$9")"
require_cmd charon swanctl pki Xvfb
SYSTEM_CA_FILE=/etc/ssl/certs/ca-certificates.crt
[ -f "$SYSTEM_CA_FILE" ] || skip_or_fail "no system CA bundle $SYSTEM_CA_FILE to stand in for"

PASSWORD="person-pass-$$-$RANDOM"
NAME="Road warrior (editor)"

# --- a test PKI: the gateway's certificate from "a public CA" ----------------------
PKI="$CG_TMP/pki"
mkdir -p "$PKI"
pki_run() { pki "$@" 2>>"$PKI/pki.err"; }
pki_run --gen --type rsa --size 2048 --outform pem >"$PKI/ca.key" || fail "pki --gen ca"
pki_run --self --ca --lifetime 30 --in "$PKI/ca.key" --dn "C=CH, O=Cygnet UI, CN=Public Test CA" \
    --outform pem >"$PKI/ca.pem" || fail "pki --self ca"
pki_run --gen --type ecdsa --size 256 --outform pem >"$PKI/gw.key" || fail "pki --gen gw"
pki_run --issue --cacert "$PKI/ca.pem" --cakey "$PKI/ca.key" --type priv --in "$PKI/gw.key" \
    --dn "C=CH, O=Cygnet UI, CN=gw.test" --san gw.test --san "$GW_ADDR" --lifetime 30 \
    --outform pem >"$PKI/gw.pem" || fail "pki --issue gw"
# another customer of the same public CA, whose certificate names only itself
pki_run --issue --cacert "$PKI/ca.pem" --cakey "$PKI/ca.key" --type priv --in "$PKI/gw.key" \
    --dn "C=CH, O=Elsewhere, CN=other.test" --san other.test --lifetime 30 \
    --outform pem >"$PKI/other.pem" || fail "pki --issue other"

# --- the gateway: certificate for itself, EAP-MSCHAPv2 for the user -----------------
nm_gateway_ns gw
ns_addr_lo gw 10.72.0.1/32
ss_start gw gw
ss_pool gw vpn 10.4.0.0/28
dir="$(ss_dir gw)"
# default proposals on both sides: the person chose none
ss_conn gw rw local_addrs="$GW_ADDR" pools=vpn local_id=gw.test \
    local_auth=pubkey remote_auth=eap-mschapv2
sed -i "s|^      auth = pubkey|      auth = pubkey\n      certs = $PKI/gw.pem|;
        s|^      auth = eap-mschapv2|      auth = eap-mschapv2\n      eap_id = %any|" \
    "$dir/conf.d/conn-rw"
ss_child gw rw rw local_ts=10.72.0.0/16 remote_ts=dynamic
# the impostor: answers the user "impostor.client.test" with other.pem
ss_conn gw impostor local_addrs="$GW_ADDR" pools=vpn local_id=other.test \
    remote_id=impostor.client.test local_auth=pubkey remote_auth=eap-mschapv2
sed -i "s|^      auth = pubkey|      auth = pubkey\n      certs = $PKI/other.pem|;
        s|^      auth = eap-mschapv2|      auth = eap-mschapv2\n      eap_id = %any|" \
    "$dir/conf.d/conn-impostor"
ss_child gw impostor impostor local_ts=10.72.0.0/16 remote_ts=dynamic
mkdir -p "$dir/private"
cp "$PKI/gw.key" "$dir/private/gw.pem"
printf '  eap-alice {\n    id = alice\n    secret = "%s"\n  }\n' "$PASSWORD" \
    >"$dir/conf.d/secret-eap-alice"
ss_load gw
nm_start

# the system's CA store, as NetworkManager's service sees it: the test CA
nsenter --target "$NM_PID" --mount -- mount --bind "$PKI/ca.pem" "$SYSTEM_CA_FILE" ||
    fail "could not stand the test CA in for the system's CA store"
assert_eq "the test CA inside NetworkManager's namespace" "$(sha256sum "$PKI/ca.pem" | cut -d' ' -f1)" \
    "$(nsenter --target "$NM_PID" --mount -- sha256sum "$SYSTEM_CA_FILE" | cut -d' ' -f1)"

# --- the person, in the editor ---------------------------------------------------------
(umask 077 && printf '%s\n' "$PASSWORD" >"$CG_TMP/typed-password")
rc=0
env CG_PLUGIN="$UI_NM_PLUGIN" ASAN_OPTIONS=detect_leaks=0 \
    UI_ARTIFACTS_DIR="${CG_UI_ARTIFACTS_DIR:-$CG_TMP/artifacts}" \
    bash "$RUN_XVFB" "$EDITOR_TEST" --person "$GW_ADDR" alice "$CG_TMP/typed-password" \
    "$CG_TMP/person.cygnet" >"$CG_TMP/person.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "the editor run failed (status $rc): $(tail -n 20 "$CG_TMP/person.log")"
log "the editor saved: $(grep -v '^password=' "$CG_TMP/person.cygnet" | tr '\n' ' ')"

RC=0
OUT="$(ui_nm_cli_plugin connection import type cygnet file "$CG_TMP/person.cygnet" 2>&1)" || RC=$?
log "import: status $RC: ${OUT//$'\n'/ | }"
assert_eq "import: nmcli status" 0 "$RC"
data="$(ui_nm_cli -g vpn.data connection show "$NAME")"
log "vpn.data: $data"
assert_eq "the profile is what the person entered, and no more" \
    "auth = eap, eap-method = mschapv2, gateway = $GW_ADDR, password-flags = 1, user = alice" "$data"
if ui_nm_cli --show-secrets -g vpn.secrets connection show "$NAME" | grep -qF -- "$PASSWORD"; then
    fail "NetworkManager stored the keyring's password in the profile"
fi

# --- connecting: the password as the person types it ---------------------------------
(umask 077 && printf 'vpn.secrets.password:%s\n' "$PASSWORD" >"$CG_TMP/passwd")
rc=0
out="$(ui_nm_cli --wait 30 connection up "$NAME" ifname "$NM_DEV" passwd-file "$CG_TMP/passwd" 2>&1)" || rc=$?
log "nmcli connection up: status $rc: ${out//$'\n'/ | }"
assert_eq "up: nmcli status" 0 "$rc"
assert_eq "up: state" activated "$(nm_active_state "$NAME")"
assert_match "up: virtual IP from the gateway's pool" '^10\.4\.0\.[0-9]+/32$' "$(nm_field "$NAME" IP4.ADDRESS)"
wait_for_log "$(ss_log gw)" "EAP method EAP_MSCHAPV2 succeeded" 5 >/dev/null ||
    fail "strongSwan did not log the EAP success"
nm_log_wait "the gateway checked against the system's CAs" 5 >/dev/null ||
    fail "the service's log does not say the system's CAs were used"
nm_vpn_down "$NAME"
nm_wait_inactive "$NAME" 10 || fail "still active after down"

# --- a certificate from the same public CA that does not name the gateway --------------
# (no remote-id, as the person left it: the certificate must name the
# gateway they typed, or any customer of a public CA could pose as it)
nm_vpn_add impostor gateway="$GW_ADDR" auth=eap user=alice local-id=impostor.client.test \
    password-flags=0 -- password="$PASSWORD"
mark="$(nm_log_mark)"
if nm_vpn_up impostor 30; then
    fail "impostor: connected to a gateway whose certificate names other.test only"
fi
nm_log_wait "does not name $(re_escape "$GW_ADDR")" 5 "$mark" >/dev/null ||
    fail "impostor: the service did not say the certificate does not name $GW_ADDR"
log "impostor: refused: $(grep -m1 '^Error: ' <<<"$NM_UP_OUTPUT" || true)"

keyfile="$(nm_keyfile "$NAME")"
grep -qF -- "$PASSWORD" "$keyfile" && fail "the password was stored in the profile"
nm_assert_no_secret "$PASSWORD"
nm_assert_clean
log PASS
