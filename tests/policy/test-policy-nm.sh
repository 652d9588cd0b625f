#!/bin/bash
# cygnet-policy with a real NetworkManager: NetworkManager's dispatcher
# runs the installed hook, which runs cygnet-policy. Two links to a
# cygnetd gateway: "base" on cgnm0 (a cafe: not trusted) and "office" on
# cgnm1 (trusted by name, a better default route when up).
#  1. base comes up: the policy brings the VPN up;
#  2. office comes up and carries the default route: the VPN goes down;
#  3. office goes: base is the network again, the VPN comes back;
#  4. the user takes the VPN down: a later event on the same network
#     leaves it down; after a change of network it is the policy's again;
#  5. a policy file with an error: the line is reported, nothing is done;
#  6. every decision names its reason and took less than 100 ms.
# Usage: test-policy-nm.sh SERVICE NAME-FILE DBUS-POLICY CYGNETD POLICY HOOK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-policy.sh"
policy_nm_setup policy-nm "$@"

PSK="policy-psk-$$-$RANDOM"
nm_gateway_ns gw
# the second link, to the same gateway
veth_pair "$NM_NS" cgnm1 10.85.0.2/24 gw eth1 10.85.0.1/24
ns_addr_lo gw 10.72.0.1/32
export CG_DATAPLANE="${CG_DATAPLANE:-log}"
cg_pool gw vpn 10.3.0.0/28
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn local-ts=10.72.0.0/16 remote-ts=dynamic
cg_psk gw main "$PSK" gw.test client.test
cg_start gw gw

policy_nm_start
nm_vpn_add corp gateway="$GW_ADDR" local-id=client.test remote-id=gw.test \
    ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 psk-flags=0 -- psk="$PSK"
policy_conn_add office cgnm1 10.85.0.2/24 10.85.0.1 10
policy_conn_add side cgnm1 10.85.0.2/24
vpn_active() { [ "$(nm_active_state corp)" = activated ]; }

# --- 1. an untrusted network comes up --------------------------------------
# the policy arrives while no network is up (nothing from NetworkManager's
# start may be decided on with it)
nm_cli connection down base >/dev/null
sleep 0.5
policy_write <<'POLICY'
# the test's policy
[policy]
vpn = corp
down-on-trusted = yes

[trusted]
connection = office
ssid = "Home Net"
POLICY
nm_exec "$POLICY_BIN" --check --config /etc/NetworkManager/cygnet-policy.conf >/dev/null ||
    fail "cygnet-policy --check refuses the test's policy"

mark="$(policy_log_mark)"
t0="$(now_ms)"
nm_cli --wait 20 connection up base >/dev/null || fail "base did not come up"
policy_wait_log "(up cgnm0|connectivity-change ): VPN up: network 'base' .* is not trusted" 5 "$mark" >/dev/null ||
    fail "1: no decision to bring the VPN up"
wait_for vpn_active 15 || fail "1: the VPN did not come up"
log "1: untrusted network: VPN activated $(($(now_ms) - t0)) ms after 'nmcli connection up base'"

# --- 2. a trusted network takes over -----------------------------------------
mark="$(policy_log_mark)"
nm_cli --wait 20 connection up office >/dev/null || fail "office did not come up"
policy_wait_log "(up|down) cgnm1: VPN down: network 'office' .* is trusted \(line 7: connection = office\)" 5 "$mark" >/dev/null ||
    fail "2: no decision to take the VPN down"
nm_wait_inactive corp 10 || fail "2: the VPN is still up on the trusted network"
policy_wait_log "vpn-down .*is down, as the policy asked" 5 "$mark" >/dev/null ||
    fail "2: the policy's own request was mistaken for the user's"
log "2: trusted network: VPN down"

# --- 3. back to the untrusted one --------------------------------------------
mark="$(policy_log_mark)"
nm_cli --wait 20 connection down office >/dev/null
policy_wait_log "(up|down) cgnm1: VPN up: network 'base'" 5 "$mark" >/dev/null ||
    fail "3: no decision to bring the VPN back"
wait_for vpn_active 15 || fail "3: the VPN did not come back"
log "3: untrusted network again: VPN up"

# --- 4. the user takes it down ------------------------------------------------
mark="$(policy_log_mark)"
nm_vpn_down corp || fail "4: nmcli connection down corp failed"
policy_wait_log "vpn-pre-down .*was taken down by hand on network 'base'" 5 "$mark" >/dev/null ||
    fail "4: the user's choice was not noticed"
mark="$(policy_log_mark)"
nm_cli --wait 20 connection up side >/dev/null || fail "4: side did not come up"
policy_wait_log "(up|down) cgnm1: nothing to do: network 'base' .* taken down by hand on it: it stays down" 5 "$mark" >/dev/null ||
    fail "4: the policy fought the user"
sleep 1
vpn_active && fail "4: the VPN came back although the user took it down"
# the network changes (office), then base again: the choice is forgotten
mark="$(policy_log_mark)"
nm_cli --wait 20 connection up office >/dev/null
policy_wait_log "(up|down) cgnm1: nothing to do: the network changed from 'base'" 5 "$mark" >/dev/null ||
    fail "4: the change of network was not noticed"
nm_cli --wait 20 connection down office >/dev/null
policy_wait_log "(up|down) cgnm1: VPN up: network 'base'" 5 "$mark" >/dev/null ||
    fail "4: back on base after a change, the VPN should come up"
wait_for vpn_active 15 || fail "4: the VPN did not come up after the network changed"
log "4: the user's choice held on its network and was forgotten after a change"

# --- 5. a policy file with an error -----------------------------------------
policy_write <<'POLICY'
[policy]
vpn = corp
dwon-on-trusted = yes
[trusted]
connection = base
POLICY
out="$(nm_exec "$POLICY_BIN" --check --config /etc/NetworkManager/cygnet-policy.conf 2>&1)" &&
    fail "5: --check accepted a broken file"
assert_match "5: --check names the line" "cygnet-policy.conf:3: unknown key 'dwon-on-trusted'" "$out"
mark="$(policy_log_mark)"
nm_cli --wait 20 connection up side >/dev/null
policy_wait_log "nothing done: the policy file has an error: .*cygnet-policy.conf:3: unknown key 'dwon-on-trusted' in \[policy\]" 5 "$mark" >/dev/null ||
    fail "5: the broken file was not reported with its line"
sleep 1
vpn_active || fail "5: a broken policy file still changed the VPN (base is trusted in it)"
log "5: broken policy file reported, nothing done"

# --- 6. every decision with a reason, each within 100 ms -----------------------
decisions="$(policy_log | grep -cE ': (VPN up|VPN down|nothing to do): ')"
[ "$decisions" -ge 6 ] || fail "6: only $decisions decisions logged"
max="$(policy_decision_ms | sort -n | tail -n1)"
log "6: $decisions decisions, the slowest in $max ms (in process); all: $(policy_decision_ms | tr '\n' ' ')"
policy_log | sed -nE 's/.* ([0-9]+) ms after the dispatcher started it.*/\1/p' | sort -n | tail -n1 |
    while read -r e; do log "6: at most $e ms from the dispatcher starting the hook to the decision"; done
# the target is 100 ms; a sanitizer build (ASan slows libnm's start) gets more
limit=100
if ldd "$POLICY_BIN" 2>/dev/null | grep -q libasan; then
    limit=300
fi
awk -v m="$max" -v l="$limit" 'BEGIN { exit !(m < l) }' ||
    fail "6: a decision took $max ms ($limit allowed)"

policy_log >"$CG_TMP/decisions.log"
nm_assert_clean
cg_assert_clean_log gw
log PASS
