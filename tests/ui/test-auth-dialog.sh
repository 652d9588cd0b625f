#!/bin/bash
# The auth dialog as its callers run it (the binary, stdin and stdout):
#  - external UI mode (GNOME Shell, nmcli --ask): the keyfile on stdout,
#    no X server needed or touched (DISPLAY unset), for each secret flag;
#  - the keyring first: with a real gnome-keyring on a private session
#    bus, an agent-owned PSK comes from it without asking, and --reprompt
#    asks again;
#  - the classic protocol: secrets on stdout, then it waits for QUIT;
#  - failures: malformed input, a foreign service, nothing to ask on.
# Usage: test-auth-dialog.sh AUTH-DIALOG
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ui.sh"
DIALOG="$(readlink -f "$1")"
[ -x "$DIALOG" ] || fail "nm-cygnet-auth-dialog not found at '$1'"
harness_init ui-auth-dialog
SERVICE=org.freedesktop.NetworkManager.cygnet
UUID=8a5b1a4e-0000-4000-8000-00000000c001
unset DISPLAY WAYLAND_DISPLAY
# no session bus either until the keyring part (a root shell over ssh)
unset DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR

# dialog ARGS... < input: runs it without a display; stdout to $OUT,
# stderr to $ERR, status in $RC
dialog() {
    RC=0
    OUT="$(timeout 20 env -u DISPLAY "$DIALOG" -u "$UUID" -n corp -s "$SERVICE" "$@" 2>"$CG_TMP/dialog-stderr.log")" || RC=$?
    ERR="$(cat "$CG_TMP/dialog-stderr.log")"
}

# keyfile_get KEYFILE-TEXT GROUP KEY
keyfile_get() {
    awk -v group="[$2]" -v key="$3" '
        /^\[/ { in_group = ($0 == group); next }
        in_group && index($0, key "=") == 1 { print substr($0, length(key) + 2); exit }' <<<"$1"
}

input() { # psk-flags [psk]
    printf 'DATA_KEY=gateway\nDATA_VAL=vpn.example.org\n\nDATA_KEY=psk-flags\nDATA_VAL=%s\n\n' "$1"
    if [ -n "${2:-}" ]; then
        printf 'SECRET_KEY=psk\nSECRET_VAL=%s\n\n' "$2"
    fi
    # nmcli's framing: DONE and QUIT at once
    printf 'DONE\nQUIT\n'
}

# --- external UI mode, no keyring reachable ---------------------------------
dialog --external-ui-mode -i < <(input 0)
assert_eq "external: status" 0 "$RC"
assert_eq "external: first group" "[VPN Plugin UI]" "$(head -n1 <<<"$OUT")"
assert_eq "external: Version" 2 "$(keyfile_get "$OUT" "VPN Plugin UI" Version)"
assert_match "external: Description" 'corp' "$(keyfile_get "$OUT" "VPN Plugin UI" Description)"
assert_eq "external: psk Label" "Pre-shared key" "$(keyfile_get "$OUT" psk Label)"
assert_eq "external: psk IsSecret" true "$(keyfile_get "$OUT" psk IsSecret)"
assert_eq "external: psk ShouldAsk" true "$(keyfile_get "$OUT" psk ShouldAsk)"
assert_eq "external: psk Value" "" "$(keyfile_get "$OUT" psk Value)"

dialog --external-ui-mode -i < <(input 0 known-psk)
assert_eq "external, known: ShouldAsk" false "$(keyfile_get "$OUT" psk ShouldAsk)"
assert_eq "external, known: Value" known-psk "$(keyfile_get "$OUT" psk Value)"
dialog --external-ui-mode -i -r < <(input 0 known-psk)
assert_eq "external, reprompt: ShouldAsk" true "$(keyfile_get "$OUT" psk ShouldAsk)"
dialog --external-ui-mode -i < <(input 4)
assert_eq "external, not required: no psk group" "" "$(keyfile_get "$OUT" psk Label)"
dialog --external-ui-mode -i -t psk -t "x-vpn-message:Enter the new code" < <(input 4)
assert_eq "external, hinted: ShouldAsk" true "$(keyfile_get "$OUT" psk ShouldAsk)"
assert_eq "external, hinted: Description" "Enter the new code" "$(keyfile_get "$OUT" "VPN Plugin UI" Description)"
dialog --external-ui-mode -i < <(input 2 known-psk)
assert_eq "external, not saved: ShouldAsk" true "$(keyfile_get "$OUT" psk ShouldAsk)"
# agent-owned, but no session bus to find a keyring on: asked, quietly
dialog --external-ui-mode -i < <(input 1)
assert_eq "external, no session bus: status" 0 "$RC"
assert_eq "external, no session bus: ShouldAsk" true "$(keyfile_get "$OUT" psk ShouldAsk)"
assert_eq "external, no session bus: nothing on stderr" "" "$ERR"

# translated: the German catalogue, when the build made one
if [ -n "${CG_LOCALEDIR:-}" ] && [ -f "$CG_LOCALEDIR/de/LC_MESSAGES/NetworkManager-cygnet.mo" ]; then
    OUT="$(printf 'DONE\n' | env -u DISPLAY LANGUAGE=de LANG=C.UTF-8 LC_ALL=C.UTF-8 \
        NM_CYGNET_LOCALEDIR="$CG_LOCALEDIR" "$DIALOG" -u "$UUID" -n corp -s "$SERVICE" --external-ui-mode)"
    assert_eq "external, German: Label" "Pre-shared Key" "$(keyfile_get "$OUT" psk Label)"
fi

# --- classic protocol ---------------------------------------------------------
# a known secret: written out without any window, then QUIT ends it
dialog -i < <(input 0 known-psk)
assert_eq "classic, known: status" 0 "$RC"
assert_eq "classic, known: output" "$(printf 'psk\nknown-psk')" "$OUT"
# without -i nothing is asked: what is known (nothing) goes out
dialog < <(input 0)
assert_eq "classic, no interaction: status" 0 "$RC"
assert_eq "classic, no interaction: output" "" "$OUT"
# asking needs a display: a clear failure, not a hang
dialog -i < <(input 0)
assert_eq "classic, no display: status" 1 "$RC"
assert_match "classic, no display: message" 'No display' "$ERR"
# the dialog waits for QUIT after its answer (the caller's handshake)
exec {to_dialog}> >(env -u DISPLAY "$DIALOG" -u "$UUID" -n corp -s "$SERVICE" -i >"$CG_TMP/wait.out" 2>&1)
input 0 waiting | head -n -2 >&"$to_dialog"
printf 'DONE\n\n' >&"$to_dialog"
wait_for test -s "$CG_TMP/wait.out" 10 || fail "classic: no answer before QUIT"
sleep 0.3
pgrep -f "^$DIALOG -u $UUID" >/dev/null || fail "classic: the dialog exited before QUIT"
printf 'QUIT\n\n' >&"$to_dialog"
exec {to_dialog}>&-
wait_for bash -c "! pgrep -f '^$DIALOG -u $UUID' >/dev/null" 10 || fail "classic: the dialog did not exit on QUIT"

# --- failures -------------------------------------------------------------------
dialog --external-ui-mode < <(printf 'DATA_KEY=gateway\nDATA_VAL=x\n')
assert_eq "truncated input: status" 1 "$RC"
assert_match "truncated input: message" 'without DONE' "$ERR"
assert_eq "truncated input: nothing on stdout" "" "$OUT"
dialog --external-ui-mode < <(printf 'SECRET_VAL=hunter2\nDONE\n')
assert_eq "malformed input: status" 1 "$RC"
assert_no_match "malformed input: no secret in the message" 'hunter2' "$ERR"
RC=0
timeout 10 "$DIALOG" -u "$UUID" -n corp -s org.freedesktop.NetworkManager.other --external-ui-mode \
    </dev/null >/dev/null 2>"$CG_TMP/dialog-stderr.log" || RC=$?
assert_eq "foreign service: status" 1 "$RC"
assert_match "foreign service: message" 'not org.freedesktop.NetworkManager.other' "$(cat "$CG_TMP/dialog-stderr.log")"

# --- the keyring (gnome-keyring on a private session bus) --------------------
ui_session_start
ui_keyring_start
ui_keyring_store "$UUID" psk keyring-psk-$$
dialog --external-ui-mode -i < <(input 1)
assert_eq "keyring: ShouldAsk" false "$(keyfile_get "$OUT" psk ShouldAsk)"
assert_eq "keyring: Value" "keyring-psk-$$" "$(keyfile_get "$OUT" psk Value)"
dialog -i < <(input 1)
assert_eq "keyring, classic: output" "$(printf 'psk\nkeyring-psk-%s' $$)" "$OUT"
dialog --external-ui-mode -i -r < <(input 1)
assert_eq "keyring, reprompt: ShouldAsk" true "$(keyfile_get "$OUT" psk ShouldAsk)"
assert_eq "keyring, reprompt: prefilled" "keyring-psk-$$" "$(keyfile_get "$OUT" psk Value)"
# flags 0 (stored by NetworkManager) and 2 (not saved): the keyring is not read
dialog --external-ui-mode -i < <(input 2)
assert_eq "keyring, not saved: Value" "" "$(keyfile_get "$OUT" psk Value)"
# another connection's secret is not handed out
OUT="$(input 1 | env -u DISPLAY "$DIALOG" -u other-uuid -n other -s "$SERVICE" --external-ui-mode)"
assert_eq "keyring, other uuid: ShouldAsk" true "$(keyfile_get "$OUT" psk ShouldAsk)"

log PASS
