#!/bin/bash
# `nmcli connection import type cygnet file X` with a real NetworkManager
# (nmcli loads the BUILD dir's editor plugin through the .name file it
# reads in NetworkManager's mount namespace), against a cygnetd gateway:
#  - Cygnet's own .cygnet file: the profile NetworkManager saves has the
#    file's vpn.data, name, UUID and stored PSK; it comes up (activated);
#  - Apple's .mobileconfig (tests/ui/data/psk.mobileconfig): key for key
#    as docs/import-export.md maps it; the same profile pointed at the
#    gateway comes up with its proposals (AES-GCM IKE over ECP-256,
#    AES-CBC/SHA-256 ESP);
#  - strongSwan's .sswan (tests/ui/data/eap-ca.sswan, cert.sswan): the EAP
#    and certificate profiles NetworkManager saves have the file's keys,
#    the embedded CA certificate and PKCS#12 file written where the
#    profile names them;
#  - Apple's EAP .mobileconfig (tests/ui/data/eap.mobileconfig): user,
#    password and the CA of its root payload;
#  - `nmcli connection export`: the .cygnet, .sswan and .mobileconfig
#    files nmcli writes through the plugin import again (after the profile
#    is deleted) to the same profile, and the re-imported .cygnet profile
#    comes up;
#  - malformed and unsupported files: nmcli fails with the plugin's
#    reason and NetworkManager has no new profile;
#  - no log holds the PSK.
# Usage: test-nm-import.sh SERVICE NAME-FILE POLICY CYGNETD AGENT AUTH-DIALOG PLUGIN
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ui-nm.sh"
ui_nm_setup ui-nm-import "$@"
UI_DATA="$(cd "$(dirname "${BASH_SOURCE[0]}")/../ui/data" && pwd)"

PSK="ui-nm-import-psk-$$-$RANDOM"
nm_gateway_ns gw
cg_pool gw vpn 10.3.0.0/28
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn local-ts=10.72.0.0/16 remote-ts=dynamic \
    ike=aes256gcm16-prfsha256-x25519,aes256gcm16-prfsha384-ecp256 \
    esp=aes256gcm16,aes128-sha256
cg_psk gw main "$PSK" gw.test client.test
cg_start gw gw
nm_start

# import FILE: nmcli's import; status in RC, output in OUT
import() {
    RC=0
    OUT="$(ui_nm_cli_plugin connection import type cygnet file "$1" 2>&1)" || RC=$?
    log "import $(basename "$1"): status $RC: ${OUT//$'\n'/ | }"
}

# assert_data NAME KEY VALUE: one key of the saved profile's vpn.data
assert_data() {
    assert_eq "$1: vpn.data $2" "$3" "$(ui_nm_vpn_data "$1" "$2")"
}

# assert_stored_psk NAME: NetworkManager holds the PSK (without printing it)
assert_stored_psk() {
    ui_nm_cli --show-secrets -g vpn.secrets connection show "$1" | grep -qF -- "psk = $PSK" ||
        fail "$1: NetworkManager does not hold the imported PSK"
}

count_before="$(ui_nm_count_connections)"

# --- Cygnet's own format ---------------------------------------------------------
UUID_NATIVE=5d0c6a52-1f0e-4c1a-9b7d-6a2e3c4d5e6f
cat >"$CG_TMP/office.cygnet" <<EOF
[cygnet]
format=1
id=office
uuid=$UUID_NATIVE
never-default-ipv4=false
never-default-ipv6=false
dns-search=corp.example;

[vpn]
gateway=$GW_ADDR
local-id=client.test
remote-id=gw.test
ike=aes256gcm16-prfsha256-x25519
esp=aes256gcm16
dpd-delay=30s
psk-flags=0

[secrets]
psk=$PSK
EOF
chmod 600 "$CG_TMP/office.cygnet"
import "$CG_TMP/office.cygnet"
assert_eq ".cygnet: nmcli status" 0 "$RC"
assert_match ".cygnet: nmcli says it was added" "office.*$UUID_NATIVE.*successfully added" "$OUT"
assert_eq ".cygnet: service type" org.freedesktop.NetworkManager.cygnet \
    "$(ui_nm_cli -g vpn.service-type connection show office)"
assert_eq ".cygnet: UUID" "$UUID_NATIVE" "$(ui_nm_cli -g connection.uuid connection show office)"
assert_data office gateway "$GW_ADDR"
assert_data office local-id client.test
assert_data office remote-id gw.test
assert_data office ike aes256gcm16-prfsha256-x25519
assert_data office esp aes256gcm16
assert_data office dpd-delay 30s
assert_data office psk-flags 0
assert_eq ".cygnet: DNS search" corp.example "$(ui_nm_cli -g ipv4.dns-search connection show office)"
assert_stored_psk office
assert_eq ".cygnet: one profile more" "$((count_before + 1))" "$(ui_nm_count_connections)"

nm_vpn_up office 20 || fail ".cygnet: nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq ".cygnet: state" activated "$(nm_active_state office)"
log ".cygnet profile activated in $NM_UP_MS ms"
nm_vpn_down office
nm_wait_inactive office 10 || fail ".cygnet: still active after down"

# --- Apple .mobileconfig ------------------------------------------------------------
import "$UI_DATA/psk.mobileconfig"
assert_eq ".mobileconfig: nmcli status" 0 "$RC"
NAME="Corp & Partners"
assert_eq ".mobileconfig: UUID" 4b2c3e1a-9f0d-4c55-8d9e-3a7b1c2d4e5f \
    "$(ui_nm_cli -g connection.uuid connection show "$NAME")"
assert_data "$NAME" gateway vpn.example.org
assert_data "$NAME" remote-id vpn.example.org
assert_data "$NAME" local-id alice@example.org
assert_data "$NAME" auth psk
assert_data "$NAME" psk-flags 0
assert_data "$NAME" ike aes256gcm16-prfsha384-ecp256
assert_data "$NAME" esp aes128-sha256-x25519
assert_data "$NAME" rekey-time 480m
assert_data "$NAME" child-rekey-time 60m
assert_data "$NAME" dpd-delay 1m
assert_data "$NAME" mobike no
assert_data "$NAME" mtu 1380
ui_nm_cli --show-secrets -g vpn.secrets connection show "$NAME" |
    grep -qF 'psk = correct horse battery staple' || fail ".mobileconfig: the PSK was not imported"

# the same profile as a gateway would hand it out for ours
sed -e "s|<string>vpn.example.org</string>|<string>$GW_ADDR</string>|" \
    -e "0,/<string>$GW_ADDR<\/string>/! s|<string>$GW_ADDR</string>|<string>gw.test</string>|" \
    -e "s|<string>alice@example.org</string>|<string>client.test</string>|" \
    -e "s|<string>correct horse battery staple</string>|<string>$PSK</string>|" \
    -e "s|<string>Corp &amp; Partners</string>|<string>Gateway test</string>|" \
    -e "s|4B2C3E1A-9F0D-4C55-8D9E-3A7B1C2D4E5F|4B2C3E1A-9F0D-4C55-8D9E-3A7B1C2D4E60|" \
    "$UI_DATA/psk.mobileconfig" >"$CG_TMP/gateway.mobileconfig"
chmod 600 "$CG_TMP/gateway.mobileconfig"
import "$CG_TMP/gateway.mobileconfig"
assert_eq "gateway .mobileconfig: nmcli status" 0 "$RC"
assert_data "Gateway test" gateway "$GW_ADDR"
assert_data "Gateway test" remote-id gw.test
assert_data "Gateway test" local-id client.test
assert_stored_psk "Gateway test"
nm_vpn_up "Gateway test" 20 || fail "gateway .mobileconfig: nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq "gateway .mobileconfig: state" activated "$(nm_active_state "Gateway test")"
log ".mobileconfig profile activated in $NM_UP_MS ms"
nm_vpn_down "Gateway test"
nm_wait_inactive "Gateway test" 10 || fail "gateway .mobileconfig: still active after down"

# --- strongSwan .sswan: EAP and certificate profiles ------------------------------
# the certificates a .sswan carries go to nmcli's user data directory
export XDG_DATA_HOME="$CG_TMP/data-home"
CERT_DIR="$XDG_DATA_HOME/cygnet/certificates"
import "$UI_DATA/eap-ca.sswan"
assert_eq ".sswan EAP: nmcli status" 0 "$RC"
assert_data "Road warrior" gateway vpn.example.org
assert_data "Road warrior" auth eap
assert_data "Road warrior" eap-method mschapv2
assert_data "Road warrior" user alice
assert_data "Road warrior" password-flags 1
assert_data "Road warrior" ca-cert "$CERT_DIR/7d3f2a10-4c5b-4e6f-8a9b-0c1d2e3f4a5b-ca.der"
assert_eq ".sswan EAP: the CA certificate written" \
    "$(openssl x509 -in "$UI_DATA/ca.pem" -outform DER | sha256sum)" \
    "$(sha256sum <"$CERT_DIR/7d3f2a10-4c5b-4e6f-8a9b-0c1d2e3f4a5b-ca.der")"
import "$UI_DATA/cert.sswan"
assert_eq ".sswan certificate: nmcli status" 0 "$RC"
assert_data "Office certificate" auth cert
assert_data "Office certificate" pkcs12 "$CERT_DIR/2e9c4b7a-1f3d-4a8e-b6c5-9d0e1f2a3b4c.p12"
assert_data "Office certificate" key-passphrase-flags 1
assert_eq ".sswan certificate: the PKCS#12 file written" "$(sha256sum <"$UI_DATA/client.p12")" \
    "$(sha256sum <"$CERT_DIR/2e9c4b7a-1f3d-4a8e-b6c5-9d0e1f2a3b4c.p12")"
assert_eq ".sswan certificate: mode of the PKCS#12 file" 600 \
    "$(stat -c %a "$CERT_DIR/2e9c4b7a-1f3d-4a8e-b6c5-9d0e1f2a3b4c.p12")"

# Apple's EAP profile: user name, password, the CA of its root payload
import "$UI_DATA/eap.mobileconfig"
assert_eq ".mobileconfig EAP: nmcli status" 0 "$RC"
assert_data "Campus (EAP)" auth eap
assert_data "Campus (EAP)" user bob
assert_data "Campus (EAP)" ca-cert "$CERT_DIR/6c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f-ca.pem"
assert_eq ".mobileconfig EAP: the CA written" "$(sha256sum <"$UI_DATA/ca.pem")" \
    "$(sha256sum <"$CERT_DIR/6c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f-ca.pem")"
ui_nm_cli --show-secrets -g vpn.secrets connection show "Campus (EAP)" |
    grep -qF "password = bob's password" || fail ".mobileconfig EAP: the password was not imported"

# --- nmcli connection export, and import again --------------------------------------
# export_reimport NAME FILE [SED]: nmcli exports NAME to FILE (the format
# from the extension), the profile is deleted and FILE imported again:
# same UUID, same vpn.data (after SED, for what the format says otherwise)
export_reimport() {
    local name="$1" file="$2" uuid data out rc=0
    uuid="$(ui_nm_cli -g connection.uuid connection show "$name")"
    data="$(ui_nm_cli -g vpn.data connection show "$name" | sed -e "${3:-}")"
    out="$(ui_nm_cli_plugin connection export "$name" "$file" 2>&1)" || rc=$?
    log "export $name to $(basename "$file"): status $rc: ${out//$'\n'/ | }"
    assert_eq "export $(basename "$file"): nmcli status" 0 "$rc"
    [ -s "$file" ] || fail "export $(basename "$file"): nmcli wrote no file"
    assert_eq "export $(basename "$file"): file mode" 600 "$(stat -c %a "$file")"
    ui_nm_cli connection delete "$uuid" >/dev/null || fail "could not delete $name"
    import "$file"
    assert_eq "re-import $(basename "$file"): nmcli status" 0 "$RC"
    assert_eq "re-import $(basename "$file"): UUID" "$uuid" \
        "$(ui_nm_cli -g connection.uuid connection show "$name")"
    assert_eq "re-import $(basename "$file"): vpn.data" "$data" \
        "$(ui_nm_cli -g vpn.data connection show "$name")"
}
export_reimport office "$CG_TMP/office-export.cygnet"
export_reimport "Road warrior" "$CG_TMP/road-warrior-export.sswan"
assert_match "the exported .sswan embeds the CA certificate" '"cert" : "MI' \
    "$(cat "$CG_TMP/road-warrior-export.sswan")"
export_reimport "Office certificate" "$CG_TMP/office-cert-export.sswan"
# nmcli exports without secrets; a .mobileconfig without its SharedSecret
# imports with the PSK in the keyring (docs/import-export.md)
export_reimport "Gateway test" "$CG_TMP/gateway-export.mobileconfig" 's/psk-flags = 0/psk-flags = 1/'
assert_no_match "the exported .mobileconfig holds no PSK" "$PSK" "$(cat "$CG_TMP/gateway-export.mobileconfig")"
# the PSK is not in NetworkManager's answer to nmcli (no secrets without
# --show-secrets): put it back, and the re-imported profile comes up
if ! ui_nm_cli --show-secrets -g vpn.secrets connection show office | grep -qF -- "psk = $PSK"; then
    log "the exported .cygnet holds no PSK (nmcli exports without secrets)"
    ui_nm_cli connection modify office vpn.secrets "psk = $PSK" >/dev/null ||
        fail "could not set the PSK of the re-imported profile"
fi
nm_vpn_up office 20 || fail "re-imported .cygnet: nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq "re-imported .cygnet: state" activated "$(nm_active_state office)"
nm_vpn_down office
nm_wait_inactive office 10 || fail "re-imported .cygnet: still active after down"

# --- malformed and unsupported files: a clear error, nothing created ---------------
count_before="$(ui_nm_count_connections)"
# expect_refused FILE REGEX: import fails with the plugin's reason
expect_refused() {
    import "$1"
    [ "$RC" != 0 ] || fail "$(basename "$1"): the import succeeded"
    assert_match "$(basename "$1"): the reason" "$2" "$OUT"
    assert_no_match "$(basename "$1"): no secret in the message" "$PSK" "$OUT"
    assert_eq "$(basename "$1"): no profile created" "$count_before" "$(ui_nm_count_connections)"
}
printf '[cygnet]\nformat=1\nid=broken\n[vpn\ngateway=%s\n[secrets]\npsk=%s\n' "$GW_ADDR" "$PSK" \
    >"$CG_TMP/broken.cygnet"
expect_refused "$CG_TMP/broken.cygnet" 'Not a Cygnet profile'
printf '[cygnet]\nformat=9\nid=future\n[vpn]\ngateway=%s\n' "$GW_ADDR" >"$CG_TMP/future.cygnet"
expect_refused "$CG_TMP/future.cygnet" 'format 9; this version reads format 1'
printf '[cygnet]\nformat=1\nid=unknown\nzone=x\n[vpn]\ngateway=%s\n[routes]\nx=1\n' "$GW_ADDR" \
    >"$CG_TMP/unknown.cygnet"
expect_refused "$CG_TMP/unknown.cygnet" 'Unknown section \[routes\]'
assert_match "unknown.cygnet: every unsupported item listed" 'Unknown setting \[cygnet\] zone' "$OUT"
printf '[cygnet]\nformat=1\nid=typo\n[vpn]\ngateway=%s\nremote-idd=gw.test\n' "$GW_ADDR" \
    >"$CG_TMP/typo.cygnet"
expect_refused "$CG_TMP/typo.cygnet" 'Unknown setting “remote-idd”'
head -c 900 "$UI_DATA/psk.mobileconfig" >"$CG_TMP/truncated.mobileconfig"
expect_refused "$CG_TMP/truncated.mobileconfig" 'Not an Apple profile'
sed 's|<integer>1380</integer>|<integer>1380</intger>|' "$UI_DATA/psk.mobileconfig" >"$CG_TMP/badtag.mobileconfig"
expect_refused "$CG_TMP/badtag.mobileconfig" 'line [0-9]+'
expect_refused "$UI_DATA/cert-3des.mobileconfig" '3DES'
expect_refused "$UI_DATA/cert-eap.sswan" 'RFC 4739'
assert_match "cert-eap.sswan: every unsupported item listed" 'remote\.certreq' "$OUT"
printf 'just some text\n' >"$CG_TMP/notes.txt"
expect_refused "$CG_TMP/notes.txt" 'Not a Cygnet \(\.cygnet\), strongSwan \(\.sswan\) or Apple'

nm_assert_no_secret "$PSK" "correct horse battery staple"
nm_assert_clean
cg_assert_clean_log gw
log PASS
