#!/bin/bash
# Bad ESP at the user-space data plane: replayed (RFC 4303 3.4.3),
# tampered (3.4.4), truncated and unknown-SPI (3.4.2) packets, and a flood
# of random datagrams, sent from the peer's address and port 4500 by
# esp-inject.py. Each must be dropped and counted under its reason,
# cygnetd must survive, and the tunnel must still carry traffic.
# Usage: test-uesp-badinput.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-dataplane.sh"
dp_setup uesp-badinput "${1:-}"
INJECT="$(dirname "${BASH_SOURCE[0]}")/esp-inject.py"

dp_up home ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16
dp_ping_both

sent="$(ns_exec ss python3 "$INJECT" --iface eth0 --src "$SS_ADDR" --dst "$CG_ADDR" \
    --ping-from "$SS_INNER" --ping-to "$CG_INNER" --count 8 --flood 3000)" ||
    fail "esp-inject.py failed: $sent"
log "sent: $sent"
want() {
    python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$sent" "$1"
}

for pair in replay:replay auth:auth malformed:malformed unknown-spi:unknown_spi; do
    counter="${pair%%:*}" key="${pair#*:}"
    n="$(want "$key")"
    dp_wait_counter cg "$counter" "$n" 5 ||
        fail "cygnetd counted fewer than $n '$counter' drops: $(dp_counter cg "$counter")"
    log "$counter: sent $n, counted $(dp_counter cg "$counter")"
done
# nothing bad got through as traffic, nothing was mistaken for another reason
[ "$(dp_counter cg policy)" = 0 ] || fail "policy drops: bad packets got past the ICV"
grep -qE "uesp: dropped ESP from $(re_escape "$SS_ADDR")\[4500\], SPI [0-9a-f]+, seq [0-9]+: replayed" \
    "$(cg_log cg)" || fail "cygnetd did not log a replayed packet"

cg_alive cg || fail "cygnetd died from bad ESP"
dp_ping_both
cg_stop cg || fail "cygnetd did not stop cleanly"
cg_assert_clean_log cg
log PASS
