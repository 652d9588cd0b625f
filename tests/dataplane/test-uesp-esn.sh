#!/bin/bash
# Extended sequence numbers (RFC 4303 2.2.1, RFC 4304) in user-space ESP,
# cygnetd to cygnetd (strongSwan's kernel-libipsec has no ESN): AEAD
# (the high half in the AAD, RFC 4106 5 / RFC 7634 2.1) and AES-CBC with
# HMAC (the high half appended for the ICV only), over plain ESP (IP
# protocol 50, raw sockets). (ESN over UDP needs encap=yes, which the
# engine does not yet signal to the responder through a faked NAT
# detection hash, RFC 7296 2.23; the UDP path itself is the same code as
# in test-uesp-traffic.sh.)
# Usage: test-uesp-esn.sh PATH-TO-CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-dataplane.sh"
require_root
require_cmd ip
require_file /dev/net/tun
cg_require_cygnetd "${1:-}"
harness_init uesp-esn

A_ADDR=10.90.0.1 B_ADDR=10.90.0.2 A_INNER=10.91.0.1 B_INNER=10.92.0.1
ns_create a
ns_create b
veth_pair a eth0 "$A_ADDR/24" b eth0 "$B_ADDR/24"
ns_addr_lo a "$A_INNER/32"
ns_addr_lo b "$B_INNER/32"

# conf INST LOCAL REMOTE LOCAL_INNER REMOTE_INNER ESP ENCAP START
conf() {
    cg_clear_conf "$1"
    cg_daemon_conf "$1" dataplane=uesp
    cg_conn "$1" esn local="$2" remote="$3" local-id="$2" remote-id="$3" auth=psk \
        ike=aes256gcm16-prfsha256-x25519 esp="$6" encap="$7" local-ts="$4/32" remote-ts="$5/32" \
        retransmit-timeout=500ms start="$8"
    cg_psk "$1" main "esn-test-$$" "$A_ADDR" "$B_ADDR"
}

for esp in aes256gcm16-esn chacha20poly1305-esn aes128-sha256-esn aes256-sha512-esn; do
    for encap in no; do
        log "$esp, encap=$encap"
        conf b "$B_ADDR" "$A_ADDR" "$B_INNER" "$A_INNER" "$esp" "$encap" none
        conf a "$A_ADDR" "$B_ADDR" "$A_INNER" "$B_INNER" "$esp" "$encap" start
        cg_start b b
        mark="$(cg_log_mark a)"
        cg_start a a
        line="$(cg_wait_log a "$(cg_re_child_up esn)" 10 "$mark")" ||
            fail "$esp: no CHILD_SA between the two cygnetd"
        assert_match "$esp: ESN negotiated" -esn "$line"
        dp_ping a "$B_INNER" "$A_INNER" 5 || fail "$esp encap=$encap: no ping a -> b"
        dp_ping b "$A_INNER" "$B_INNER" 5 1200 || fail "$esp encap=$encap: no ping b -> a"
        if [ "$encap" = no ]; then
            cg_wait_log a "plain ESP \(IP protocol 50\)" 1 "$mark" >/dev/null ||
                fail "$esp: cygnetd did not use plain ESP"
        fi
        cg_stop a || fail "cygnetd a did not stop cleanly"
        cg_stop b || fail "cygnetd b did not stop cleanly"
    done
done
cg_assert_clean_log a
cg_assert_clean_log b
log PASS
