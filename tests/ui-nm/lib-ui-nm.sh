# shellcheck shell=bash
# The desktop side against a real NetworkManager (tests/nm/lib-nm.sh):
# nmcli loads the editor plugin (import) and runs the auth dialog (--ask,
# passwd-file) named by the .name file it reads in NetworkManager's mount
# namespace; here that .name file names the BUILD dir's plugin and dialog.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-ui-nm.sh"
#   ui_nm_setup my-test "$@"   # SERVICE NAME-FILE POLICY CYGNETD AGENT AUTH-DIALOG PLUGIN
#   ... nm_gateway_ns, cg_conn, nm_start as in tests/nm ...
#   ui_nm_cli_plugin connection import type cygnet file X
#   ui_nm_pty_ask SECRET-FILE PROMPT-REGEX TRANSCRIPT TIMEOUT_S nmcli --ask ...
UI_NM_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$UI_NM_LIB_DIR/../nm/lib-nm.sh"

UI_NM_AUTH_DIALOG="" # nm-cygnet-auth-dialog (build dir)
UI_NM_PLUGIN=""      # libnm-vpn-plugin-cygnet.so (build dir)
UI_NM_SANITIZED=0    # 1 when the plugin is built with AddressSanitizer

# ui_nm_setup NAME SERVICE NAME-FILE POLICY CYGNETD AGENT AUTH-DIALOG PLUGIN
ui_nm_setup() {
    local name="$1"
    UI_NM_AUTH_DIALOG="${7:+$(readlink -f "$7")}"
    UI_NM_PLUGIN="${8:+$(readlink -f "$8")}"
    nm_setup "$name" "${@:2:5}"
    require_cmd python3
    [ -x "$UI_NM_AUTH_DIALOG" ] || fail "nm-cygnet-auth-dialog not found at '${7:-}'"
    [ -f "$UI_NM_PLUGIN" ] || fail "libnm-vpn-plugin-cygnet.so not found at '${8:-}'"
    # the .name file as built, with the desktop side from the build dir
    # too (lib-nm.sh replaces program= when it copies it for NetworkManager)
    sed -e "s|^plugin=.*|plugin=$UI_NM_PLUGIN|" \
        -e "s|^auth-dialog=.*|auth-dialog=$UI_NM_AUTH_DIALOG|" \
        -e "s|^properties=.*|properties=$(dirname "$UI_NM_PLUGIN")/libnm-vpn-plugin-cygnet-editor.so|" \
        "$NM_NAME_FILE" >"$CG_TMP/nm-cygnet-service.name"
    grep -qx "supports-external-ui-mode=true" "$CG_TMP/nm-cygnet-service.name" ||
        fail "the .name file does not declare supports-external-ui-mode=true"
    NM_NAME_FILE="$CG_TMP/nm-cygnet-service.name"
    # An ASan build's plugin, dlopen()ed by nmcli: the runtime comes in
    # with the plugin (preloaded, nmcli hangs in a futex at exit).
    UI_NM_SANITIZED="$(ldd "$UI_NM_PLUGIN" | grep -c 'libasan\.so' || true)"
    # the service's sanitizer reports go to files nm_assert_clean reads
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:log_path=$NM_DIR/asan}"
}

# ui_nm_env [plugin]: the environment of nmcli (and the auth dialog it
# runs) in NetworkManager's namespaces: the private system bus, no display
# at all; with "plugin", what nmcli needs to load the editor plugin.
ui_nm_env() {
    local -a env=(env -u DISPLAY -u WAYLAND_DISPLAY
        DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_DIR/system_bus_socket"
        TERM=dumb LANG=C.UTF-8 LC_ALL=C.UTF-8)
    if [ "${1:-}" = plugin ] && [ "$UI_NM_SANITIZED" != 0 ]; then
        # nmcli is not ours (no leak report of it) and loads ASan late
        env+=(ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0:log_path=$NM_DIR/asan-client")
    fi
    printf '%s\n' "${env[@]}"
}

# ui_nm_cli ARGS...: nmcli as an admin runs it (no display, no terminal),
# seeing the .name files NetworkManager sees.
ui_nm_cli() {
    local -a env
    mapfile -t env < <(ui_nm_env)
    timeout -k 5 60 nsenter --target "$NM_PID" --mount --net --uts -- "${env[@]}" nmcli "$@" </dev/null
}

# ui_nm_cli_plugin ARGS...: the same for commands that load the editor
# plugin (import, export).
ui_nm_cli_plugin() {
    local -a env
    mapfile -t env < <(ui_nm_env plugin)
    timeout -k 5 60 nsenter --target "$NM_PID" --mount --net --uts -- "${env[@]}" nmcli "$@" </dev/null
}

# ui_nm_count_connections: how many profiles NetworkManager has.
ui_nm_count_connections() {
    ui_nm_cli -g UUID connection show | grep -c . || true
}

# ui_nm_vpn_data NAME KEY: one key of the profile's vpn.data (nmcli's
# "key = value, key = value" with commas in values escaped).
ui_nm_vpn_data() {
    ui_nm_cli -g vpn.data connection show "$1" | sed 's/\\,/\x01/g' | tr ',' '\n' |
        sed -nE "s/^ *$2 = (.*)$/\1/p" | tr '\001' ','
}

# ui_nm_pty_ask SECRET-FILE PROMPT-REGEX TRANSCRIPT TIMEOUT_S CMD...: CMD
# on a pseudo-terminal in NetworkManager's namespaces; when its output
# matches PROMPT-REGEX, the first line of SECRET-FILE is typed and Enter
# pressed. The terminal output goes to TRANSCRIPT; returns CMD's status.
ui_nm_pty_ask() {
    local secret_file="$1" prompt="$2" transcript="$3" timeout_s="$4"
    shift 4
    local -a env
    mapfile -t env < <(ui_nm_env)
    timeout -k 5 $((timeout_s + 10)) python3 "$UI_NM_LIB_DIR/pty-answer.py" "$secret_file" "$prompt" "$transcript" "$timeout_s" \
        nsenter --target "$NM_PID" --mount --net --uts -- "${env[@]}" "$@"
}
