# shellcheck shell=bash
# A test PKI made with strongSwan's pki tool in a directory of the test's
# temp dir (the auth suite and the NetworkManager auth tests use it).
#
#   pki_init "$CG_TMP/pki" "Cygnet Interop"    # the directory, subjects' O=
#   pki_ca ca "C=CH, O=Cygnet Interop, CN=Interop CA"
#   pki_cert gw ecdsa 256 ca gw.test 10.80.0.1
#   pki_crl ca gw
#   pki_file gw.pem
PKI_DIR=""
PKI_ORG=""

# pki_init DIR ORG: where the files go, the O= of end-entity subjects.
pki_init() {
    PKI_DIR="$1"
    PKI_ORG="$2"
    mkdir -p "$PKI_DIR"
}

# pki_file NAME: absolute path of a PKI file.
pki_file() {
    echo "$PKI_DIR/$1"
}

# pki writes TPM complaints to stderr: keep them out of the test output
pki_tool() {
    pki "$@" 2>>"$PKI_DIR/pki.err"
}

# pki_key NAME TYPE SIZE: NAME.key (rsa 2048|3072|4096, ecdsa 256|384)
pki_key() {
    pki_tool --gen --type "$2" --size "$3" --outform pem >"$PKI_DIR/$1.key" ||
        fail "pki --gen $2 $3 for $1 failed"
}

# pki_ca NAME DN [ISSUER]: a root CA NAME.pem with key NAME.key (or an
# intermediate below ISSUER).
pki_ca() {
    local name="$1" dn="$2" issuer="${3:-}"
    pki_key "$name" rsa 2048
    if [ -z "$issuer" ]; then
        pki_tool --self --ca --lifetime 30 --in "$PKI_DIR/$name.key" --dn "$dn" \
            --outform pem >"$PKI_DIR/$name.pem" || fail "pki --self for $name failed"
    else
        pki_tool --issue --cacert "$PKI_DIR/$issuer.pem" --cakey "$PKI_DIR/$issuer.key" \
            --type priv --in "$PKI_DIR/$name.key" --ca --lifetime 30 --dn "$dn" \
            --outform pem >"$PKI_DIR/$name.pem" || fail "pki --issue for CA $name failed"
    fi
}

# pki_cert NAME TYPE SIZE ISSUER SAN... [-- EXTRA-PKI-ARGS...]: an
# end-entity certificate NAME.pem (key NAME.key) issued by ISSUER, subject
# "C=CH, O=<ORG>, CN=<first SAN>", each SAN as subjectAltName; EXTRA
# replaces the default 30-day lifetime.
pki_cert() {
    local name="$1" type="$2" size="$3" issuer="$4"
    shift 4
    local -a sans=() extra=()
    while [ "$#" -gt 0 ]; do
        if [ "$1" = -- ]; then
            shift
            extra=("$@")
            break
        fi
        sans+=(--san "$1")
        shift
    done
    pki_key "$name" "$type" "$size"
    [ "${#extra[@]}" -gt 0 ] || extra=(--lifetime 30)
    pki_tool --issue --cacert "$PKI_DIR/$issuer.pem" --cakey "$PKI_DIR/$issuer.key" \
        --type priv --in "$PKI_DIR/$name.key" --dn "C=CH, O=$PKI_ORG, CN=${sans[1]}" \
        "${sans[@]}" "${extra[@]}" --outform pem >"$PKI_DIR/$name.pem" ||
        fail "pki --issue for $name failed"
}

# pki_chain NAME PEM...: NAME.pem = the PEMs concatenated (certificate first).
pki_chain() {
    local name="$1" f
    shift
    : >"$PKI_DIR/$name.pem"
    for f in "$@"; do
        cat "$PKI_DIR/$f.pem" >>"$PKI_DIR/$name.pem"
    done
}

# pki_crl ISSUER REVOKED-CERT...: ISSUER.crl revoking the certificates.
pki_crl() {
    local issuer="$1" c
    shift
    local -a certs=()
    for c in "$@"; do
        certs+=(--cert "$PKI_DIR/$c.pem")
    done
    pki_tool --signcrl --cacert "$PKI_DIR/$issuer.pem" --cakey "$PKI_DIR/$issuer.key" \
        --lifetime 30 "${certs[@]}" --reason key-compromise --outform pem \
        >"$PKI_DIR/$issuer.crl" || fail "pki --signcrl failed"
}
