#!/bin/bash
# Two cygnetd instances in two namespaces, neither with a configuration
# file: everything is loaded, started, followed and stopped through the
# control socket (control_two_daemons.py: the Varlink API from Python's
# standard library, and cygnetctl).
# Usage: test-control-two-daemons.sh PATH-TO-CYGNETD PATH-TO-CYGNETCTL
set -eu
source "$(dirname "${BASH_SOURCE[0]}")/control-lib.sh"
ctl_init control-two-daemons "${1:-}" "${2:-}"

ns_create a
ns_create b
veth_pair a eth0 10.80.0.1/24 b eth0 10.80.0.2/24
ctl_start a a
ctl_start b b

python3 "$CONTROL_DIR/control_two_daemons.py" "$(ctl_sock a)" "$(ctl_sock b)" \
    "$CTL_CYGNETCTL" 10.80.0.1 10.80.0.2 || fail "control_two_daemons.py failed"
ctl_assert_clean a
ctl_assert_clean b
ctl_stop a || fail "cygnetd a exited with status $? on SIGTERM"
ctl_stop b || fail "cygnetd b exited with status $? on SIGTERM"
log "PASS"
