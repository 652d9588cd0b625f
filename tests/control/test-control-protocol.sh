#!/bin/bash
# The control socket's protocol against a real cygnetd started with no
# configuration file: Varlink errors for every kind of bad input, the
# daemon unharmed afterwards, connections loaded online, Monitor streams,
# 100 Monitor clients with one that never reads. The client is
# control_protocol.py (Python standard library only). Then cygnetctl's
# exit codes and its load / list-conns / unload.
# Usage: test-control-protocol.sh PATH-TO-CYGNETD PATH-TO-CYGNETCTL
set -eu
source "$(dirname "${BASH_SOURCE[0]}")/control-lib.sh"
ctl_init control-protocol "${1:-}" "${2:-}"

MAX_QUEUE=65536
ns_create a
ctl_start a a --control-max-queue "$MAX_QUEUE"

# the socket: mode 0600, owned by root
mode="$(stat -c '%a %U %F' "$(ctl_sock a)")"
assert_eq "socket mode" "600 root socket" "$mode"

python3 "$CONTROL_DIR/control_protocol.py" "$(ctl_sock a)" \
    "$CONTROL_DIR/../../src/ike-core/control/io.cygnet.Ike.varlink" "$MAX_QUEUE" ||
    fail "control_protocol.py failed"
grep -q "dropped: it does not read" "$(ctl_log a)" || fail "no log line for the dropped client"
ctl_assert_clean a

# --- cygnetctl: exit codes ---------------------------------------------------
ctl_expect_rc 0 ctl a version
ctl_expect_rc 2 ctl a
ctl_expect_rc 2 ctl a frobnicate
ctl_expect_rc 2 ctl a list-sas --bogus
ctl_expect_rc 2 ctl a up
ctl_expect_rc 2 ctl a down
ctl_expect_rc 2 ctl a load
ctl_expect_rc 2 ctl a load name notakeyvalue
ctl_expect_rc 2 ctl a --color sometimes status
ctl_expect_rc 3 ctl a up nope
ctl_expect_rc 3 ctl a down nope
ctl_expect_rc 3 ctl a unload nope
ctl_expect_rc 3 ctl a down --ike-id 4242
ctl_expect_rc 4 "$CTL_CYGNETCTL" --socket "$CG_TMP/nobody.sock" status
CYGNET_SOCKET="$(ctl_sock a)" ctl_expect_rc 0 "$CTL_CYGNETCTL" status
CYGNET_SOCKET="$CG_TMP/nobody.sock" ctl_expect_rc 4 "$CTL_CYGNETCTL" list-sas

# --- load / list-conns / unload --------------------------------------------------
printf 's3cret\n' >"$CG_TMP/secret"
ctl_expect_rc 0 ctl a load gw remote=192.0.2.1 local-id=me.test remote-id=gw.test \
    local-ts=10.1.0.0/16 remote-ts=10.2.0.0/16 voice/local-ts=10.1.5.0/24 \
    voice/remote-ts=10.2.5.0/24 --secret-file "$CG_TMP/secret"
assert_match "load output" "^loaded connection gw$" "$(cat "$CG_TMP/last.out")"
ctl_expect_rc 2 ctl a load bad ike=aes999-sha256
assert_match "load error names the key" "ike.*aes999" "$(cat "$CG_TMP/last.err")"
cat >"$CG_TMP/conns.conf" <<'CONF'
# loaded with cygnetctl load --file
[pool rw]
addresses=10.3.0.0/24

[connection rw]
remote=%any
pools=rw
local-ts=10.1.0.0/16

[child rw/extra]
local-ts=10.4.0.0/16

[connection site]
remote=198.51.100.7
CONF
ctl_expect_rc 0 ctl a load --file "$CG_TMP/conns.conf"
assert_match "load --file" "loaded pool rw" "$(cat "$CG_TMP/last.out")"
ctl_expect_rc 0 ctl a --json list-conns
python3 - "$CG_TMP/last.out" <<'PY'
import json, sys
conns = {c["name"]: c for c in json.load(open(sys.argv[1]))["connections"]}
assert sorted(conns) == ["gw", "rw", "site"], conns
assert conns["gw"]["has_secret"] and [c["name"] for c in conns["gw"]["children"]] == ["gw", "voice"]
assert [c["name"] for c in conns["rw"]["children"]] == ["rw", "extra"]
assert conns["site"]["remote"] == "198.51.100.7" and not conns["site"]["has_secret"]
PY
ctl_expect_rc 0 ctl a list-conns
assert_match "list-conns table" "^CONNECTION +LOCAL +REMOTE" "$(cat "$CG_TMP/last.out")"
ctl_expect_rc 0 ctl a load --file "$CG_TMP/conns.conf" --json
ctl_expect_rc 2 ctl a load --file "$CG_TMP/nonexistent.conf"
printf '[daemon]\nlog-level=debug\n' >"$CG_TMP/daemon.conf"
ctl_expect_rc 2 ctl a load --file "$CG_TMP/daemon.conf"
for c in gw rw site; do
    ctl_expect_rc 0 ctl a unload "$c"
done
ctl_expect_rc 0 ctl a --json status
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["connections"] == [] and d["sas"] == [], d' \
    "$CG_TMP/last.out"
ctl_assert_clean a

# --- the socket file ----------------------------------------------------------------
# one that another daemon listens on is never taken over
second_log="$CG_TMP/cygnetd-second.log"
rc=0
ns_exec a "$CTL_CYGNETD" --foreground --ike-port 0 --natt-port 0 --dataplane log \
    --control-socket "$(ctl_sock a)" >"$second_log" 2>&1 || rc=$?
assert_eq "second daemon on a live socket: exit status" 1 "$rc"
assert_match "second daemon's reason" "another daemon is listening" "$(cat "$second_log")"
ctl_expect_rc 0 ctl a version
# a file that is not a socket is left alone
echo "precious" >"$CG_TMP/not-a-socket"
rc=0
ns_exec a "$CTL_CYGNETD" --foreground --ike-port 0 --natt-port 0 --dataplane log \
    --control-socket "$CG_TMP/not-a-socket" >"$second_log" 2>&1 || rc=$?
assert_eq "daemon on a regular file: exit status" 1 "$rc"
assert_eq "the file is untouched" precious "$(cat "$CG_TMP/not-a-socket")"
# a stale socket (nobody listening) is replaced; a control group gets 0660
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' \
    "$(ctl_sock g)"
ns_create g
ctl_start g g --ike-port 0 --natt-port 0 --control-group adm
assert_eq "socket with a control group" "660 root adm" "$(stat -c '%a %U %G' "$(ctl_sock g)")"
ctl_expect_rc 0 ctl g status
rc=0
ns_exec g "$CTL_CYGNETD" --foreground --ike-port 0 --natt-port 0 --dataplane log \
    --control-socket "$CG_TMP/other.sock" --control-group no-such-group-here >"$second_log" 2>&1 || rc=$?
assert_eq "unknown control group: exit status" 1 "$rc"
assert_match "unknown group named" "no-such-group-here" "$(cat "$second_log")"
ctl_stop g || fail "cygnetd g exited with status $? on SIGTERM"

ctl_stop a || fail "cygnetd exited with status $? on SIGTERM"
[ ! -e "$(ctl_sock a)" ] || fail "the socket file is left behind"
log "PASS"
