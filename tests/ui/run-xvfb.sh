#!/bin/bash
# run-xvfb.sh PROGRAM ARGS...: runs a GTK test program on a private Xvfb
# (display number picked by Xvfb itself), with a private session bus;
# both are stopped by PID when it ends (tests/ui/lib-ui.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-ui.sh"
harness_init "ui-$(basename "$1")"
ui_xvfb_start
ui_session_start
rc=0
"$@" || rc=$?
[ "$rc" = 0 ] && log PASS
exit "$rc"
