#!/bin/bash
# Secrets through NetworkManager's secrets mechanism, not stored in the
# profile, with a real NetworkManager, a cygnetd gateway and a secret agent
# of the test's own (tests/nm/nm-test-agent.c):
#  A: psk-flags=1 (agent-owned): the service's NeedSecrets says the PSK is
#     missing, NetworkManager asks the agent before Connect, the VPN comes up
#     and the profile still holds no PSK;
#  B: psk-flags=4 (not required) and none given: the service, called with
#     ConnectInteractive, asks mid-connect (SecretsRequired with the hint
#     "psk"), the agent answers, NetworkManager passes it on with NewSecrets
#     and the VPN comes up: the path a one-time code or a new PIN takes;
#  no log (nor the agent's request log) contains the PSK.
# Usage: test-nm-secrets.sh SERVICE NAME-FILE POLICY CYGNETD AGENT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-nm.sh"
nm_setup nm-secrets "$@"

PSK="nm-secrets-psk-$$-$RANDOM"
nm_gateway_ns gw
cg_pool gw vpn 10.3.0.0/28
cg_conn gw rw local="$GW_ADDR" remote=%any local-id=gw.test remote-id=client.test \
    auth=psk pools=vpn local-ts=10.72.0.0/16 remote-ts=dynamic
cg_psk gw main "$PSK" gw.test client.test
cg_start gw gw
nm_start
nm_agent_start "$PSK"

# --- A: NeedSecrets, the agent answers before Connect ------------------------
nm_vpn_add agentowned gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=1
mark="$(nm_log_mark)"
nm_vpn_up agentowned 30 || fail "A: nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq "A: state" activated "$(nm_active_state agentowned)"
grep -q '^request setting=vpn ' "$NM_DIR/agent-requests" || fail "A: the agent was not asked"
assert_eq "A: no mid-connect question" 0 "$(log_count "$(nm_log)" 'asking NetworkManager for the pre-shared key' "$mark")"
grep -qF -- "$PSK" "$(nm_keyfile agentowned)" && fail "A: the PSK was stored in the profile"
nm_vpn_down agentowned
: >"$NM_DIR/agent-requests"

# --- B: ConnectInteractive -> SecretsRequired -> NewSecrets ------------------
nm_vpn_add midconnect gateway="$GW_ADDR" local-id=client.test remote-id=gw.test psk-flags=4
mark="$(nm_log_mark)"
nm_vpn_up midconnect 30 || fail "B: nmcli connection up failed: $NM_UP_OUTPUT"
assert_eq "B: state" activated "$(nm_active_state midconnect)"
nm_log_wait 'asking NetworkManager for the pre-shared key' 1 "$mark" >/dev/null ||
    fail "B: the service did not ask mid-connect"
grep -qE '^request setting=vpn .*hints=(.*,)?psk(,|$)' "$NM_DIR/agent-requests" ||
    fail "B: the agent was not asked with the hint 'psk': $(cat "$NM_DIR/agent-requests")"
grep -qF -- "$PSK" "$(nm_keyfile midconnect)" && fail "B: the PSK was stored in the profile"
nm_vpn_down midconnect

nm_assert_no_secret "$PSK"
nm_assert_clean
cg_assert_clean_log gw
log PASS
