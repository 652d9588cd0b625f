# shellcheck shell=bash
# Helpers of the auth suite (certificates, EAP, fragmentation, PKCS#11)
# on top of tests/lib/interop.sh: a test PKI made with strongSwan's pki
# tool in the test's temp dir, strongSwan connections with certificates
# and EAP, and cygnetd's EAP secrets.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-auth.sh"
#   auth_setup test-name "$1" [SS-SETTING...]     # interop_setup + PKI
#   auth_cert ss-rsa rsa 2048 ca "ss.test" "$SS_ADDR"
#   ss_auth_conn home local="auth=pubkey;id=ss.test;certs=$(auth_file ss-rsa.pem)" \
#       remote="auth=pubkey;id=cg.test;cacerts=$(auth_file ca.pem)"
#   ss_auth_key ss-rsa ; ss_load ss

AUTH_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$AUTH_LIB_DIR/../lib/interop.sh"
source "$AUTH_LIB_DIR/../lib/pki.sh"

# strongSwan's EAP-TLS and revocation plugins for this suite
CG_SS_PLUGINS="$CG_SS_PLUGINS eap-tls revocation"

AUTH_PKI=""

# auth_setup NAME CYGNETD [SS-SETTING...]: the interop topology, pki, a CA.
auth_setup() {
    local name="$1" cygnetd="${2:-}"
    shift 2 || shift $#
    require_cmd pki openssl
    interop_setup "$name" "$cygnetd" "$@"
    AUTH_PKI="$CG_TMP/pki"
    pki_init "$AUTH_PKI" "Cygnet Interop"
    auth_ca ca "C=CH, O=Cygnet Interop, CN=Interop CA"
}

# the PKI helpers of tests/lib/pki.sh under this suite's names
auth_file() { pki_file "$@"; }
auth_pki() { pki_tool "$@"; }
auth_key() { pki_key "$@"; }
auth_ca() { pki_ca "$@"; }
auth_cert() { pki_cert "$@"; }
auth_chain() { pki_chain "$@"; }
auth_crl() { pki_crl "$@"; }

# ss_auth_conn CONN local="k=v;k=v" remote="k=v;..." [child.K=V...] [K=V...]
# A strongSwan connection to cygnetd with free local/remote auth rounds
# (swanctl keys auth, id, certs, cacerts, eap_id, ...), one child CONN;
# then ss_load ss. Paths in certs/cacerts are absolute.
ss_auth_conn() {
    local conn="$1" kv local_kv="" remote_kv=""
    shift
    local -a conn_kv=() child_kv=()
    for kv in "$@"; do
        case "$kv" in
            local=*) local_kv="${kv#local=}" ;;
            remote=*) remote_kv="${kv#remote=}" ;;
            child.*) child_kv+=("${kv#child.}") ;;
            *) conn_kv+=("$kv") ;;
        esac
    done
    mapfile -t conn_kv < <(kv_merge local_addrs="$SS_ADDR" remote_addrs="$CG_ADDR" \
        proposals=aes256gcm16-prfsha256-x25519 -- "${conn_kv[@]}")
    mapfile -t child_kv < <(kv_merge local_ts="$SS_INNER/32" remote_ts="$CG_INNER/32" \
        esp_proposals=aes256gcm16 -- "${child_kv[@]}")
    local dir
    dir="$(ss_dir ss)"
    mkdir -p "$dir/conf.d"
    {
        echo "  $conn {"
        echo "    version = 2"
        for kv in "${conn_kv[@]}"; do
            echo "    ${kv%%=*} = ${kv#*=}"
        done
        echo "    local {"
        IFS=';' read -r -a parts <<<"$local_kv"
        for kv in "${parts[@]}"; do
            [ -n "$kv" ] && echo "      ${kv%%=*} = ${kv#*=}"
        done
        echo "    }"
        echo "    remote {"
        IFS=';' read -r -a parts <<<"$remote_kv"
        for kv in "${parts[@]}"; do
            [ -n "$kv" ] && echo "      ${kv%%=*} = ${kv#*=}"
        done
        echo "    }"
    } >"$dir/conf.d/conn-$conn"
    : >"$dir/conf.d/children-$conn"
    ss_child ss "$conn" "$conn" "${child_kv[@]}"
}

# ss_auth_key NAME: strongSwan loads NAME.key as a private key (swanctl
# reads keys from the private/ folder next to the swanctl.conf it loads).
ss_auth_key() {
    local dir
    dir="$(ss_dir ss)"
    mkdir -p "$dir/private"
    cp "$AUTH_PKI/$1.key" "$dir/private/$1.pem"
}

# ss_eap_secret USER PASSWORD: an EAP secret on strongSwan.
ss_eap_secret() {
    local dir
    dir="$(ss_dir ss)"
    mkdir -p "$dir/conf.d"
    printf '  eap-%s {\n    id = %s\n    secret = "%s"\n  }\n' "$1" "$1" "$2" \
        >"$dir/conf.d/secret-eap-$1"
}

# cg_eap_secret NAME PASSWORD ID...: an [eap NAME] group of cygnetd's secrets.
cg_eap_secret() {
    local dir ids
    dir="$(cg_dir cg)"
    mkdir -p "$dir/secrets.d"
    ids="$(
        IFS=,
        echo "${*:3}"
    )"
    cg_write_group "$dir/secrets.d/eap-$1" "eap $1" "ids=$ids" "secret=\"$2\""
}

# cg_pin_secret NAME TARGET PIN: a [pin NAME] group of cygnetd's secrets.
cg_pin_secret() {
    local dir
    dir="$(cg_dir cg)"
    mkdir -p "$dir/secrets.d"
    cg_write_group "$dir/secrets.d/pin-$1" "pin $1" "target=$2" "secret=$3"
}

# cg_auth_conn CONN KEY=VALUE...: cygnetd's connection to strongSwan,
# without the PSK defaults of cg_peer_conn.
cg_auth_conn() {
    local conn="$1"
    shift
    local -a kvs
    mapfile -t kvs < <(kv_merge local="$CG_ADDR" remote="$SS_ADDR" \
        local-id="$CG_ID" remote-id="$SS_ID" ike=aes256gcm16-prfsha256-x25519 \
        esp=aes256gcm16 local-ts="$CG_INNER/32" remote-ts="$SS_INNER/32" \
        retransmit-timeout=500ms retransmit-tries=3 -- "$@")
    cg_conn cg "$conn" "${kvs[@]}"
}

# cg_re_failed CONN TEXT: cygnetd gave up on CONN with TEXT in the reason.
cg_re_failed() {
    echo "IKE_SA $(re_escape "$1")\[[0-9]+\] failed to establish: .*$(re_escape "$2")"
}

# auth_expect_established CONN CHILD: both sides up within 10 s.
auth_expect_established() {
    local conn="$1" child="${2:-$1}" ss_conn="${3:-$1}"
    cg_wait_log cg "$(cg_re_ike_up "$conn")" 10 "${AUTH_MARK:-0}" >/dev/null ||
        fail "$conn: cygnetd did not log the IKE_SA established"
    cg_wait_log cg "$(cg_re_child_up "$child")" 5 "${AUTH_MARK:-0}" >/dev/null ||
        fail "$conn: cygnetd did not log the CHILD_SA established"
    ss_wait_established ss "$ss_conn" 5 || fail "$conn: strongSwan has no established SAs"
}

# auth_stop_cg: cygnetd down, strongSwan's SAs gone (next case from scratch).
auth_stop_cg() {
    local rc=0
    cg_stop cg || rc=$?
    [ "$rc" = 0 ] || fail "cygnetd exited with status $rc on SIGTERM"
    if ! ss_wait_no_sas ss 3 2>/dev/null; then
        ss_swanctl ss --terminate --ike "$1" --force --timeout 2 >/dev/null 2>&1 || true
        ss_wait_no_sas ss 3 || fail "strongSwan's IKE_SA would not go away"
    fi
}
