# shellcheck shell=bash
# Helpers of the nm-auth tests: a real NetworkManager (tests/nm/lib-nm.sh)
# in front of a strongSwan gateway that authenticates with certificates,
# a test PKI made with strongSwan's pki tool, and a SoftHSM2 token.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-nm-auth.sh"
#   nma_setup nm-auth-cert "$@"          # nm_setup + PKI + gateway ns + charon
#   nma_cert gw ecdsa 256 ca gw.test "$GW_ADDR"
#   nma_gw_conn name "local=auth=pubkey;id=gw.test;certs=$(nma_file gw.pem)" \
#       "remote=auth=pubkey;id=client.test;cacerts=$(nma_file ca.pem)"
#   nma_gw_key gw ; ss_load gw ; nm_start

NMA_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$NMA_LIB_DIR/../nm/lib-nm.sh"
source "$NMA_LIB_DIR/../auth/lib-softhsm.sh"
source "$NMA_LIB_DIR/../lib/pki.sh"

# strongSwan's EAP-TLS plugin for the gateway
CG_SS_PLUGINS="$CG_SS_PLUGINS eap-tls"

NMA_PKI=""

# nma_setup NAME NM-TEST-ARGS...: NetworkManager's namespace, a PKI with a
# CA "ca", the gateway namespace "gw" with strongSwan and an address pool.
nma_setup() {
    local name="$1"
    shift
    nm_setup "$name" "$@"
    require_cmd charon swanctl pki openssl
    NMA_PKI="$CG_TMP/pki"
    pki_init "$NMA_PKI" "Cygnet NM Auth"
    nma_ca ca "C=CH, O=Cygnet NM Auth, CN=NM Auth CA"
    nm_gateway_ns gw
    ns_addr_lo gw 10.72.0.1/32
    ss_start gw gw
    ss_pool gw vpn 10.4.0.0/28
}

# the PKI helpers of tests/lib/pki.sh under this file's names
nma_file() { pki_file "$@"; }
nma_pki() { pki_tool "$@"; }
nma_ca() { pki_ca "$@"; }
nma_cert() { pki_cert "$@"; }
nma_crl() { pki_crl "$@"; }

# nma_gw_conn CONN local="k=v;k=v" remote="k=v;..." [K=V...]: a strongSwan
# road-warrior connection on the gateway (virtual IP from the pool "vpn",
# 10.72.0.0/16 behind it) with free local/remote auth rounds (swanctl
# keys auth, id, certs, cacerts, eap_id, ...). Then ss_load gw.
nma_gw_conn() {
    local conn="$1" kv local_kv="" remote_kv=""
    shift
    local -a conn_kv=(local_addrs="$GW_ADDR" pools=vpn proposals=aes256gcm16-prfsha256-x25519)
    for kv in "$@"; do
        case "$kv" in
            local=*) local_kv="${kv#local=}" ;;
            remote=*) remote_kv="${kv#remote=}" ;;
            *) conn_kv+=("$kv") ;;
        esac
    done
    local dir
    dir="$(ss_dir gw)"
    mkdir -p "$dir/conf.d"
    {
        echo "  $conn {"
        echo "    version = 2"
        for kv in "${conn_kv[@]}"; do
            echo "    ${kv%%=*} = ${kv#*=}"
        done
        local side parts
        for side in local remote; do
            echo "    $side {"
            if [ "$side" = local ]; then
                IFS=';' read -r -a parts <<<"$local_kv"
            else
                IFS=';' read -r -a parts <<<"$remote_kv"
            fi
            for kv in "${parts[@]}"; do
                [ -n "$kv" ] && echo "      ${kv%%=*} = ${kv#*=}"
            done
            echo "    }"
        done
    } >"$dir/conf.d/conn-$conn"
    : >"$dir/conf.d/children-$conn"
    ss_child gw "$conn" "$conn" local_ts=10.72.0.0/16 remote_ts=dynamic esp_proposals=aes256gcm16
}

# nma_gw_key NAME: the gateway's strongSwan loads NAME.key (swanctl reads
# keys from the private/ folder next to the swanctl.conf it loads).
nma_gw_key() {
    local dir
    dir="$(ss_dir gw)"
    mkdir -p "$dir/private"
    cp "$NMA_PKI/$1.key" "$dir/private/$1.pem"
}

# nma_gw_eap_secret USER PASSWORD: an EAP secret on the gateway.
nma_gw_eap_secret() {
    local dir
    dir="$(ss_dir gw)"
    mkdir -p "$dir/conf.d"
    printf '  eap-%s {\n    id = %s\n    secret = "%s"\n  }\n' "$1" "$1" "$2" \
        >"$dir/conf.d/secret-eap-$1"
}

# nma_softhsm_token TOKEN PIN CERT-NAME OBJECT-LABEL: a SoftHSM2 token of
# the test's own (tests/auth/lib-softhsm.sh) with CERT-NAME's key and
# certificate; SOFTHSM2_CONF is exported, so NetworkManager started
# afterwards and the service it starts see the token.
nma_softhsm_token() {
    softhsm_require
    softhsm_token "$CG_TMP/softhsm" "$1" "$2" "$NMA_PKI/$3.key" "$NMA_PKI/$3.pem" "$4"
}

# nma_failed_reason NAME FROM_LINE: the reason sentence the service logged
# for connection NAME's failure ("... failed after N ms: REASON"), waiting
# up to 5 s.
nma_failed_reason() {
    local line
    line="$(nm_log_wait "connection '$(re_escape "$1")' failed after [0-9]+ ms: " 5 "$2")" ||
        return 1
    printf '%s\n' "${line#*ms: }"
}
