#!/bin/bash
# Secrets typed on a terminal, with no display anywhere, against a real
# NetworkManager and a cygnetd gateway: a VPN whose PSK is never saved
# (psk-flags=2) comes up
#  - with `nmcli --ask connection up` on a pseudo-terminal: nmcli runs the
#    auth dialog named by the .name file in external UI mode, shows its
#    prompt, the test types the PSK (the terminal does not echo it);
#  - with `nmcli connection up NAME passwd-file FILE` (no terminal);
#  - and fails cleanly with neither;
# the profile never stores the PSK; no log contains it.
# Usage: test-nm-ask.sh SERVICE NAME-FILE POLICY CYGNETD AGENT AUTH-DIALOG PLUGIN
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ui-nm.sh"
ui_nm_setup ui-nm-ask "$@"
unset DISPLAY WAYLAND_DISPLAY

PSK="ui-nm-ask-psk-$$-$RANDOM"
nm_gateway_ns gw
cg_pool gw vpn 10.3.0.0/28
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn local-ts=10.72.0.0/16 remote-ts=dynamic
cg_psk gw main "$PSK" gw.test client.test
cg_start gw gw
nm_start

nm_vpn_add notsaved gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=2
keyfile="$(nm_keyfile notsaved)"
(umask 077 && printf '%s\n' "$PSK" >"$CG_TMP/typed-psk")

# --- nmcli --ask on a terminal ------------------------------------------------
rc=0
ui_nm_pty_ask "$CG_TMP/typed-psk" '\(vpn\.secrets\.psk\): ' "$CG_TMP/nmcli-ask.log" 40 \
    nmcli --ask --wait 30 connection up notsaved ifname "$NM_DEV" || rc=$?
transcript="$(tr -d '\r' <"$CG_TMP/nmcli-ask.log")"
log "nmcli --ask: status $rc: ${transcript//$'\n'/ | }"
[ "$rc" != 125 ] || fail "--ask: nmcli never asked for the PSK: $transcript"
assert_eq "--ask: nmcli status" 0 "$rc"
assert_match "--ask: the dialog's label in the prompt" 'Pre-shared key \(vpn\.secrets\.psk\): ' "$transcript"
assert_match "--ask: nmcli reports success" 'successfully activated' "$transcript"
assert_eq "--ask: state" activated "$(nm_active_state notsaved)"
nm_vpn_down notsaved
nm_wait_inactive notsaved 10 || fail "--ask: still active after down"

# --- passwd-file ---------------------------------------------------------------
(umask 077 && printf 'vpn.secrets.psk:%s\n' "$PSK" >"$CG_TMP/passwd")
rc=0
out="$(ui_nm_cli --wait 30 connection up notsaved ifname "$NM_DEV" passwd-file "$CG_TMP/passwd" 2>&1)" || rc=$?
log "nmcli passwd-file: status $rc: ${out//$'\n'/ | }"
assert_eq "passwd-file: nmcli status" 0 "$rc"
assert_eq "passwd-file: state" activated "$(nm_active_state notsaved)"
nm_vpn_down notsaved
nm_wait_inactive notsaved 10 || fail "passwd-file: still active after down"

# --- neither: no terminal, no file, nothing to ask with ---------------------------
rc=0
out="$(ui_nm_cli --wait 15 connection up notsaved ifname "$NM_DEV" 2>&1)" || rc=$?
log "nmcli without secrets: status $rc: ${out//$'\n'/ | }"
[ "$rc" != 0 ] || fail "without secrets: nmcli succeeded"
assert_match "without secrets: a secrets error" '[Ss]ecrets|no secrets|psk' "$out"
nm_wait_inactive notsaved 10 || fail "without secrets: the VPN is still active"

grep -qF -- "$PSK" "$keyfile" && fail "the PSK was stored in the profile"
assert_match "the profile says not saved" '^psk-flags=2$' "$(cat "$keyfile")"
nm_assert_no_secret "$PSK"
nm_assert_clean
cg_assert_clean_log gw
log PASS
