# shellcheck shell=bash
# A SoftHSM2 token of the test's own, holding one key and its certificate
# (tests/auth/test-softhsm.sh, tests/nm-auth/). Needs softhsm2-util,
# pkcs11-tool and openssl; the callers check with softhsm_require.
#
#   softhsm_require
#   softhsm_token "$CG_TMP/softhsm" my-token 1234 key.pem cert.pem label
#   softhsm_token_usable my-token 1234 || fail "locked"

SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so

softhsm_require() {
    require_cmd softhsm2-util pkcs11-tool openssl
    require_file "$SOFTHSM_MODULE"
}

# softhsm_token DIR TOKEN PIN KEY-PEM CERT-PEM LABEL: a token TOKEN in DIR
# (SOFTHSM2_CONF exported: processes started afterwards, NetworkManager
# and the services it starts included, see it) with the key and
# certificate as objects LABEL, id 42. KEY-PEM is removed afterwards:
# only the token has the key.
softhsm_token() {
    local dir="$1" token="$2" pin="$3" key="$4" cert="$5" label="$6"
    mkdir -p "$dir/tokens"
    printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$dir/tokens" \
        >"$dir/softhsm2.conf"
    export SOFTHSM2_CONF="$dir/softhsm2.conf"
    softhsm2-util --init-token --free --label "$token" --so-pin 86420 --pin "$pin" >/dev/null ||
        fail "softhsm2-util could not create token $token"
    openssl pkcs8 -topk8 -nocrypt -in "$key" -out "$dir/key.p8" || fail "openssl pkcs8 failed"
    softhsm2-util --import "$dir/key.p8" --token "$token" --label "$label" --id 42 \
        --pin "$pin" >/dev/null || fail "softhsm2-util could not import the key"
    openssl x509 -in "$cert" -outform DER -out "$dir/cert.der" || fail "openssl x509 failed"
    pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$token" --login --pin "$pin" \
        --write-object "$dir/cert.der" --type cert --id 42 --label "$label" >/dev/null 2>&1 ||
        fail "pkcs11-tool could not store the certificate"
    rm -f "$key" "$dir/key.p8"
}

# softhsm_token_usable TOKEN PIN: the token still takes PIN (not locked).
softhsm_token_usable() {
    pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$1" --login --pin "$2" -O \
        >/dev/null 2>&1
}
