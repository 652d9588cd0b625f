# shellcheck shell=bash
# Helpers of the ui suite: a private X server (Xvfb), a private session
# bus and a gnome-keyring daemon, all started by the test and stopped by
# PID when it ends (tests/lib/netns.sh's harness does the cleanup).
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-ui.sh"
#   harness_init my-test
#   ui_xvfb_start            # exports DISPLAY
#   ui_session_start         # exports DBUS_SESSION_BUS_ADDRESS, HOME, XDG_*
#   ui_keyring_start         # an unlocked login keyring on that bus
UI_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$UI_LIB_DIR/../lib/netns.sh"

# GTK without accessibility bus, settings daemon or GL
export NO_AT_BRIDGE=1 GTK_A11Y=none GSK_RENDERER=cairo GDK_BACKEND=x11 GSETTINGS_BACKEND=memory
# GTK and its libraries keep caches alive until exit: not our leaks
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

# ui_xvfb_start: Xvfb on a display number it picks itself (-displayfd:
# no two tests can collide), 1280x800, 24 bit.
ui_xvfb_start() {
    require_cmd Xvfb
    local fdfile="$CG_TMP/xvfb.display"
    : >"$fdfile"
    spawn "$CG_TMP/xvfb.log" bash -c "exec Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>'$fdfile'"
    wait_for test -s "$fdfile" 10 || fail "Xvfb did not start: $(cat "$CG_TMP/xvfb.log")"
    export DISPLAY=":$(tr -d '\n' <"$fdfile")"
    log "Xvfb (pid $CG_LAST_PID) on DISPLAY=$DISPLAY"
}

# ui_session_start: a private session bus and home for the test.
ui_session_start() {
    require_cmd dbus-daemon
    export HOME="$CG_TMP/home" XDG_RUNTIME_DIR="$CG_TMP/run"
    export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
    mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
    mkdir -m 700 -p "$XDG_RUNTIME_DIR"
    local addrfile="$CG_TMP/session-bus.address" conf="$CG_TMP/session-bus.conf"
    : >"$addrfile"
    # A bus of our own with no service directories: nothing is
    # D-Bus-activated behind the test's back (a second gnome-keyring
    # activated by an early lookup would race the one we start).
    cat >"$conf" <<EOF_CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$CG_TMP</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF_CONF
    spawn "$CG_TMP/session-bus.log" bash -c "exec dbus-daemon --config-file='$conf' --nofork --print-address=3 3>'$addrfile'"
    wait_for test -s "$addrfile" 10 || fail "the session bus did not start"
    export DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$addrfile")"
}

# ui_keyring_start: gnome-keyring-daemon (secrets component) with an
# unlocked login keyring, on the session bus of ui_session_start.
ui_keyring_start() {
    require_cmd gnome-keyring-daemon secret-tool
    printf 'cygnet-test-login' >"$CG_TMP/keyring-password"
    setsid gnome-keyring-daemon --foreground --unlock --components=secrets \
        <"$CG_TMP/keyring-password" >"$CG_TMP/keyring.log" 2>&1 &
    CG_PIDS+=("$!")
    wait_for ui_keyring_ready 20 || fail "gnome-keyring-daemon did not come up: $(cat "$CG_TMP/keyring.log")"
}

# ready: it owns the name on our bus (nothing is activated there), the
# unlocked login keyring is the default collection (items stored before
# that would land elsewhere or ask for a prompt) and it answers a search
ui_keyring_ready() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
        grep -q 'boolean true' &&
        dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.ReadAlias string:default 2>/dev/null |
        grep -q 'collection/login' &&
        secret-tool search --all cygnet-probe none >/dev/null 2>&1
}

# ui_keyring_store UUID KEY SECRET: the item NetworkManager's agents
# store for an agent-owned VPN secret.
ui_keyring_store() {
    printf '%s' "$3" | secret-tool store --label="VPN secret for test" \
        connection-uuid "$1" setting-name vpn setting-key "$2" ||
        fail "secret-tool could not store the test secret: $(cat "$CG_TMP/keyring.log")"
    assert_eq "the keyring's copy of the test secret" "$3" \
        "$(secret-tool lookup connection-uuid "$1" setting-name vpn setting-key "$2")"
}

# ui_artifacts_dir: where screenshots go (kept after the test).
ui_artifacts_dir() {
    local dir="${UI_ARTIFACTS_DIR:-$CG_TMP/artifacts}"
    mkdir -p "$dir"
    echo "$dir"
}
