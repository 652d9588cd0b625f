#!/bin/bash
# What a user sees when a Cygnet VPN cannot come up, with a real
# NetworkManager and a cygnetd gateway:
#  - a wrong PSK: nmcli says "Invalid secrets", quickly (the gateway's
#    AUTHENTICATION_FAILED is mapped to NetworkManager's login failure);
#  - an unreachable gateway: the attempt fails after the retransmissions,
#    not after NetworkManager's 60 s timeout, and the log says why;
#  - bad settings (a malformed value, an unknown key, an unsupported
#    method, a missing PSK): refused at connect time, the key named in the
#    log, nothing crashes;
#  - no PSK stored and no agent: nmcli says "No valid secrets" (NeedSecrets
#    asked for it; an agent test waits for src/auth-dialog, which nmcli
#    needs to serve VPN secrets);
#  - no saved profile is ever changed; no log contains a PSK.
# Usage: test-nm-failures.sh SERVICE NAME-FILE POLICY CYGNETD
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
nm_setup nm-failures "$@"

PSK="nm-failures-psk-$$-$RANDOM"
WRONG_PSK="nm-wrong-psk-$$-$RANDOM"
QUICK=(retransmit-timeout=500ms retransmit-tries=2)

nm_gateway_ns gw
cg_pool gw vpn 10.3.0.0/28
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn local-ts=10.72.0.0/16 remote-ts=dynamic
cg_psk gw main "$PSK" gw.test client.test
cg_start gw gw
nm_start

# expect_failure NAME REASON-REGEX LOG-REGEX MAX_MS: `nmcli connection up
# NAME` fails within MAX_MS, nmcli's message matches REASON-REGEX and
# NetworkManager's log (with the service's) LOG-REGEX.
expect_failure() {
    local name="$1" reason="$2" log_re="$3" max_ms="$4" mark
    mark="$(nm_log_mark)"
    if nm_vpn_up "$name" 90; then
        fail "$name: nmcli connection up succeeded"
    fi
    assert_match "$name: what nmcli says" "$reason" "$NM_UP_OUTPUT"
    [ "$NM_UP_MS" -le "$max_ms" ] || fail "$name: failing took $NM_UP_MS ms (more than $max_ms)"
    nm_log_wait "$log_re" 5 "$mark" >/dev/null || fail "$name: the log lacks /$log_re/"
    nm_is_inactive "$name" || fail "$name: still active after the failure"
    wait_for nm_no_service_running 5 || fail "$name: the service did not exit"
}

# --- a wrong PSK -------------------------------------------------------------
nm_vpn_add wrongpsk gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=0 \
    -- psk="$WRONG_PSK"
digest_wrongpsk="$(nm_profile_digest wrongpsk)"
expect_failure wrongpsk 'Invalid secrets' \
    "connection 'wrongpsk' failed after [0-9]+ ms: authentication failed" 5000

# --- an unreachable gateway: nobody at 10.80.0.99 -----------------------------
nm_vpn_add nogw gateway=10.80.0.99 local-id=client.test psk-flags=0 "${QUICK[@]}" -- psk="$PSK"
expect_failure nogw 'activation failed' \
    "connection 'nogw' failed after [0-9]+ ms: the gateway did not answer" 10000

# --- a gateway name that does not resolve ------------------------------------
nm_vpn_add noname gateway=no-such-gateway.invalid psk-flags=0 -- psk="$PSK"
expect_failure noname 'activation failed' "cannot resolve the gateway 'no-such-gateway\.invalid'" 30000

# --- settings refused at connect time, the key named ------------------------
nm_vpn_add badport gateway="$GW_ADDR" port=99999 psk-flags=0 -- psk="$PSK"
expect_failure badport 'activation failed' "vpn\.data key 'port': '99999' is not a port number" 5000
nm_vpn_add badike gateway="$GW_ADDR" ike=aes999-sha256-modp2048 psk-flags=0 -- psk="$PSK"
expect_failure badike 'activation failed' "vpn\.data key 'ike': .*aes999" 5000
nm_vpn_add badts gateway="$GW_ADDR" remote-ts=10.72.0.5/16 psk-flags=0 -- psk="$PSK"
expect_failure badts 'activation failed' "vpn\.data key 'remote-ts':" 5000
nm_vpn_add unknownkey gateway="$GW_ADDR" bogus-key=1 psk-flags=0 -- psk="$PSK"
digest_unknownkey="$(nm_profile_digest unknownkey)"
expect_failure unknownkey 'activation failed' "vpn\.data: unknown key 'bogus-key'" 5000
nm_vpn_add certauth gateway="$GW_ADDR" auth=cert psk-flags=0 -- psk="$PSK"
expect_failure certauth 'activation failed' "vpn\.data key 'cert': auth=cert needs our certificate" 5000
nm_vpn_add nogateway local-id=client.test psk-flags=0 -- psk="$PSK"
expect_failure nogateway 'activation failed' "vpn\.data key 'gateway': required" 5000

# --- no PSK stored, no agent able to give one --------------------------------
nm_vpn_add nopsk gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=0
if nm_vpn_up nopsk 30; then
    fail "nopsk: came up without a PSK"
fi
assert_match "nopsk: what nmcli says" 'secrets|Secrets' "$NM_UP_OUTPUT"
nm_is_inactive nopsk || fail "nopsk: still active"

# --- nothing changed, nothing leaked, nothing crashed ----------------------
assert_eq "wrongpsk: saved profile unchanged" "$digest_wrongpsk" "$(nm_profile_digest wrongpsk)"
assert_eq "unknownkey: saved profile unchanged" "$digest_unknownkey" "$(nm_profile_digest unknownkey)"
nm_assert_no_secret "$PSK" "$WRONG_PSK"
nm_assert_clean
cg_assert_clean_log gw
log PASS
