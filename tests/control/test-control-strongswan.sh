#!/bin/bash
# cygnetd against strongSwan, driven only through the control socket: no
# configuration file; the connection is loaded online, a Monitor sees the
# full dump and then the pushed events in order, and Terminate by name and
# by remote address bring the SA down on both sides (control_strongswan.py).
# Usage: test-control-strongswan.sh PATH-TO-CYGNETD PATH-TO-CYGNETCTL
set -eu
source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
source "$(dirname "${BASH_SOURCE[0]}")/control-lib.sh"
ctl_binaries "${1:-}" "${2:-}"
require_cmd python3
interop_setup control-strongswan "$1"

cg_family 0
ss_peer_conn home
ss_load ss
ctl_start cg cg

python3 "$CONTROL_DIR/control_strongswan.py" "$(ctl_sock cg)" "$CTL_CYGNETCTL" "$(ss_dir ss)" \
    "$CG_ADDR" "$SS_ADDR" "$INTEROP_PSK" "$FAM_IKE" "$FAM_ESP" "$CG_INNER/32" "$SS_INNER/32" ||
    fail "control_strongswan.py failed"
ctl_assert_clean cg
ctl_stop cg || fail "cygnetd exited with status $? on SIGTERM"
log "PASS"
