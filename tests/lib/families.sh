# shellcheck shell=bash
# The proposal families every interop test covers (issue 2), with what
# strongSwan 5.9's `swanctl --list-sas` prints once each is negotiated.
# One entry per family, fields separated by '|':
#   IKE proposal | ESP proposal | strongSwan's IKE_SA algorithms | its ESP algorithms
# test-harness-selfcheck.sh negotiates each between two strongSwans, which
# proves the expected strings.
CG_FAMILIES=(
    "aes256gcm16-prfsha256-x25519|aes256gcm16|AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519|AES_GCM_16-256"
    "aes128gcm16-prfsha256-ecp256|aes128gcm16|AES_GCM_16-128/PRF_HMAC_SHA2_256/ECP_256|AES_GCM_16-128"
    "aes256gcm16-prfsha384-ecp384|aes256gcm16|AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384|AES_GCM_16-256"
    "chacha20poly1305-prfsha256-x25519|chacha20poly1305|CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519|CHACHA20_POLY1305"
    "aes256-sha256-modp2048|aes256-sha256|AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048|AES_CBC-256/HMAC_SHA2_256_128"
    "aes128-sha384-modp3072|aes128-sha384|AES_CBC-128/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/MODP_3072|AES_CBC-128/HMAC_SHA2_384_192"
    "aes256-sha512-modp4096|aes256-sha512|AES_CBC-256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/MODP_4096|AES_CBC-256/HMAC_SHA2_512_256"
)

# All IKE / ESP proposals of the table, comma separated (for a responder
# that must accept every family).
cg_all_ike_proposals() {
    local f out=""
    for f in "${CG_FAMILIES[@]}"; do
        out+="${out:+,}${f%%|*}"
    done
    echo "$out"
}

cg_all_esp_proposals() {
    local f esp out=""
    for f in "${CG_FAMILIES[@]}"; do
        IFS='|' read -r _ esp _ _ <<<"$f"
        [[ ",$out," == *",$esp,"* ]] || out+="${out:+,}$esp"
    done
    echo "$out"
}

# cg_family I: sets FAM_IKE FAM_ESP FAM_SS_IKE FAM_SS_ESP for entry I.
cg_family() {
    # shellcheck disable=SC2034
    IFS='|' read -r FAM_IKE FAM_ESP FAM_SS_IKE FAM_SS_ESP <<<"${CG_FAMILIES[$1]}"
}
