#!/bin/bash
# Regenerates the certificates and keys of tests/unit/auth/data with
# strongSwan's pki tool. The files are checked in so the unit tests run
# without pki and in milliseconds; they are valid for 30 years. Every
# key here is a throw-away test key.
#
#   ca        RSA 2048 root "CN=Cygnet Test CA"
#   inter     RSA 2048 intermediate below ca
#   gw        RSA 2048 below inter, SAN DNS:gw.test IP:127.0.0.1
#   rw-ec     ECDSA P-256 below ca, SAN email:rw@test DNS:rw.test
#   rw-p384   ECDSA P-384 below ca, SAN DNS:rw384.test
#   revoked   ECDSA P-256 below ca, SAN DNS:revoked.test, listed in ca.crl
#   other-ca  RSA 2048 root "CN=Other CA"; stranger below it (DNS:gw.test)
#   expired   ECDSA P-256 below ca, SAN DNS:expired.test, valid in 2020 only
set -euo pipefail
cd "$(dirname "$0")/data"
export LANG=C
days=10950
q() { "$@" 2>/dev/null; }

q pki --gen --type rsa --size 2048 --outform pem >ca.key
q pki --self --ca --lifetime $days --in ca.key --dn "C=CH, O=Cygnet Test, CN=Cygnet Test CA" \
    --outform pem >ca.pem
q pki --gen --type rsa --size 2048 --outform pem >inter.key
q pki --issue --cacert ca.pem --cakey ca.key --type priv --in inter.key --ca --lifetime $days \
    --dn "C=CH, O=Cygnet Test, CN=Cygnet Intermediate CA" --outform pem >inter.pem
q pki --gen --type rsa --size 2048 --outform pem >gw.key
q pki --issue --cacert inter.pem --cakey inter.key --type priv --in gw.key --lifetime $days \
    --dn "C=CH, O=Cygnet Test, CN=gw.test" --san gw.test --san 127.0.0.1 \
    --flag serverAuth --outform pem >gw.pem
q pki --gen --type ecdsa --size 256 --outform pem >rw-ec.key
q pki --issue --cacert ca.pem --cakey ca.key --type priv --in rw-ec.key --lifetime $days \
    --dn "C=CH, O=Cygnet Test, CN=rw@test" --san rw@test --san rw.test \
    --flag clientAuth --outform pem >rw-ec.pem
q pki --gen --type ecdsa --size 384 --outform pem >rw-p384.key
q pki --issue --cacert ca.pem --cakey ca.key --type priv --in rw-p384.key --lifetime $days \
    --dn "C=CH, O=Cygnet Test, CN=rw384.test" --san rw384.test --outform pem >rw-p384.pem
q pki --gen --type ecdsa --size 256 --outform pem >revoked.key
q pki --issue --cacert ca.pem --cakey ca.key --type priv --in revoked.key --lifetime $days \
    --dn "C=CH, O=Cygnet Test, CN=revoked.test" --san revoked.test --serial 0badc0de \
    --outform pem >revoked.pem
q pki --signcrl --cacert ca.pem --cakey ca.key --lifetime $days --cert revoked.pem \
    --reason key-compromise --outform pem >ca.crl
q pki --gen --type rsa --size 2048 --outform pem >other-ca.key
q pki --self --ca --lifetime $days --in other-ca.key --dn "C=CH, O=Elsewhere, CN=Other CA" \
    --outform pem >other-ca.pem
q pki --gen --type rsa --size 2048 --outform pem >stranger.key
q pki --issue --cacert other-ca.pem --cakey other-ca.key --type priv --in stranger.key \
    --lifetime $days --dn "C=CH, O=Elsewhere, CN=gw.test" --san gw.test --outform pem >stranger.pem
q pki --gen --type ecdsa --size 256 --outform pem >expired.key
q pki --issue --cacert ca.pem --cakey ca.key --type priv --in expired.key \
    --not-before "01.01.20 00:00:00" --not-after "31.12.20 23:59:59" \
    --dn "C=CH, O=Cygnet Test, CN=expired.test" --san expired.test --outform pem >expired.pem
# what a gateway sends: its certificate, then the intermediate
cat gw.pem inter.pem >gw-chain.pem
# the road warrior as PKCS#12 (with the CA), password "p12 secret"
openssl pkcs12 -export -in rw-ec.pem -inkey rw-ec.key -certfile ca.pem -name rw \
    -passout "pass:p12 secret" -out rw-ec.p12
# the same gw key as PKCS#8 DER, to cover that container
openssl pkcs8 -topk8 -nocrypt -in gw.key -outform DER -out gw.p8.der
echo "regenerated $(ls | wc -l) files in $PWD"
