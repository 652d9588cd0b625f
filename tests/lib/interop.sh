# shellcheck shell=bash
# The common topology of the cygnet <-> strongSwan interop tests, on top of
# netns.sh, strongswan.sh, cygnet.sh and families.sh (sourced here).
#
#   namespace "cg": cygnetd,   eth0 10.70.0.1/24, inner 10.71.0.1/32 on lo
#   namespace "ss": strongSwan, eth0 10.70.0.2/24, inner 10.72.0.1/32 on lo
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/interop.sh"
#   interop_setup test-name "$1"            # $1: path to cygnetd
#   ss_peer_conn home [swanctl KEY=VALUE...] ; ss_load ss
#   cg_peer_conn home [cygnetd KEY=VALUE...] ; cg_start cg cg

CG_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$CG_LIB_DIR/netns.sh"
source "$CG_LIB_DIR/strongswan.sh"
source "$CG_LIB_DIR/cygnet.sh"
source "$CG_LIB_DIR/families.sh"

CG_ADDR=10.70.0.1
SS_ADDR=10.70.0.2
CG_INNER=10.71.0.1
SS_INNER=10.72.0.1
CG_ID=cg.test
SS_ID=ss.test
INTEROP_PSK="interop-psk-$$"

# kv_merge DEFAULT... -- OVERRIDE...: KEY=VALUE lists merged, overrides
# replacing defaults of the same key (order kept; new keys appended; a
# KEY= with an empty value removes the key).
kv_merge() {
    local -a keys=()
    local -A values=()
    local kv key seen_sep=0
    for kv in "$@"; do
        if [ "$kv" = -- ] && [ "$seen_sep" = 0 ]; then
            seen_sep=1
            continue
        fi
        key="${kv%%=*}"
        [ -n "${values[$key]+set}" ] || keys+=("$key")
        values[$key]="${kv#*=}"
    done
    for key in "${keys[@]}"; do
        [ -n "${values[$key]}" ] && printf '%s=%s\n' "$key" "${values[$key]}"
    done
    return 0
}

# interop_setup NAME CYGNETD_PATH [SS-SETTING...]: checks prerequisites,
# makes both namespaces and starts strongSwan ("ss", instance "ss") with
# quick retransmits. SS-SETTINGs go to ss_start.
interop_setup() {
    local name="$1" cygnetd="${2:-}"
    shift 2 || shift $#
    require_root
    require_cmd charon swanctl ip nft ss
    require_file /dev/net/tun
    cg_require_cygnetd "$cygnetd"
    harness_init "$name"

    ns_create cg
    ns_create ss
    veth_pair cg eth0 "$CG_ADDR/24" ss eth0 "$SS_ADDR/24"
    ns_addr_lo cg "$CG_INNER/32"
    ns_addr_lo ss "$SS_INNER/32"
    ss_start ss ss retransmit_timeout=0.5 "$@"
}

# ss_peer_conn CONN [KEY=VALUE...]: strongSwan's connection to cygnetd
# (PSK, every family accepted, one child CONN). Keys of the child are
# given with a "child." prefix (child.rekey_time=20s). Then ss_load ss.
ss_peer_conn() {
    local conn="$1" kv
    shift
    local -a conn_kv=() child_kv=()
    for kv in "$@"; do
        if [[ "$kv" == child.* ]]; then
            child_kv+=("${kv#child.}")
        else
            conn_kv+=("$kv")
        fi
    done
    mapfile -t conn_kv < <(kv_merge local_addrs="$SS_ADDR" remote_addrs="$CG_ADDR" \
        local_id="$SS_ID" remote_id="$CG_ID" proposals="$(cg_all_ike_proposals)" \
        -- "${conn_kv[@]}")
    mapfile -t child_kv < <(kv_merge local_ts="$SS_INNER/32" remote_ts="$CG_INNER/32" \
        esp_proposals="$(cg_all_esp_proposals)" -- "${child_kv[@]}")
    ss_conn ss "$conn" "${conn_kv[@]}"
    ss_child ss "$conn" "$conn" "${child_kv[@]}"
    ss_psk ss "$conn" "$INTEROP_PSK" "$SS_ID" "$CG_ID"
}

# cg_peer_conn CONN [KEY=VALUE...]: cygnetd's connection to strongSwan
# (PSK, quick retransmits, every family offered unless ike=/esp= given).
cg_peer_conn() {
    local conn="$1"
    shift
    local -a kvs
    mapfile -t kvs < <(kv_merge local="$CG_ADDR" remote="$SS_ADDR" \
        local-id="$CG_ID" remote-id="$SS_ID" auth=psk \
        ike="$(cg_all_ike_proposals)" esp="$(cg_all_esp_proposals)" \
        local-ts="$CG_INNER/32" remote-ts="$SS_INNER/32" \
        retransmit-timeout=500ms retransmit-tries=3 -- "$@")
    cg_conn cg "$conn" "${kvs[@]}"
    cg_psk cg main "$INTEROP_PSK" "$CG_ID" "$SS_ID"
}

# interop_ping: a ping from cygnet's inner address to strongSwan's, only
# when a real data plane is configured (CG_DATAPLANE other than "log").
interop_ping() {
    if [ "${CG_DATAPLANE:-log}" = log ]; then
        vlog "data plane 'log': no ping"
        return 0
    fi
    ping_through cg "$SS_INNER" "$CG_INNER" || fail "no ping through the tunnel"
}
