#!/usr/bin/env python3
"""Expected values for the IKEv2 key derivation tests in test-crypto.c
that no RFC publishes (RFC 7296 has no vectors; the NIST CAVP IKEv2 KDF
vectors used there cover HMAC-SHA1 only).

Computed here with Python's own hmac/hashlib, independently of NSS, from
the definitions in RFC 7296 2.13 (prf+), 2.14 (IKE SA keys), 2.17 (CHILD
SA keys) and 2.18 (IKE SA rekey). Inputs reuse the CAVP SHA-1 vector's
nonces, SPIs and shared secrets. Run it and paste the output into the
test if the inputs change:  python3 gen-vectors.py
"""
import hashlib
import hmac

HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256,
          "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def prf(alg, key, data):
    return hmac.new(key, data, HASHES[alg]).digest()


def prf_plus(alg, key, seed, length):
    """RFC 7296 2.13: T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n)."""
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = prf(alg, key, block + seed + bytes([counter]))
        out += block
        counter += 1
    return out[:length]


NI = bytes.fromhex("32b50d5f4a3763f3")
NR = bytes.fromhex("9206a04b26564cb1")
GIR = bytes.fromhex("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52")
GIR_NEW = bytes.fromhex("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330")
SPI_I = bytes.fromhex("34c9e7c188868785")
SPI_R = bytes.fromhex("3ff77d760d2b2199")


def ike_dkm(alg, skeyseed_alg, skeyseed_key, skeyseed_data, prf_len, integ_len, encr_len):
    skeyseed = prf(skeyseed_alg, skeyseed_key, skeyseed_data)
    return prf_plus(alg, skeyseed, NI + NR + SPI_I + SPI_R,
                    3 * prf_len + 2 * integ_len + 2 * encr_len)


def show(name, value):
    print(f"/* {name} ({len(value)} bytes) */")
    text = value.hex()
    for i in range(0, len(text), 64):
        print(f'    "{text[i:i + 64]}"')
    print()


# 1. prf HMAC-SHA2-256, AES-GCM-16 256 bits (36-byte keymat), no integrity
show("IKE SA keys, prfsha256 + aes256gcm16",
     ike_dkm("sha256", "sha256", NI + NR, GIR, 32, 0, 36))
# 2. prf HMAC-SHA2-512, AES-CBC-256 + HMAC-SHA2-512-256
show("IKE SA keys, prfsha512 + aes256 + sha512",
     ike_dkm("sha512", "sha512", NI + NR, GIR, 64, 64, 32))
# 3. IKE SA rekey from a prfsha1 SA (its SK_d from the CAVP DKM) to
#    prfsha384 + aes128gcm16: SKEYSEED with the old PRF (RFC 7296 2.18)
old_sk_d = prf_plus("sha1", prf("sha1", NI + NR, GIR), NI + NR + SPI_I + SPI_R, 20)
show("IKE SA rekey, prfsha1 -> prfsha384 + aes128gcm16",
     ike_dkm("sha384", "sha1", old_sk_d, GIR_NEW + NI + NR, 48, 0, 20))
# 4. CHILD SA keymat with prfsha256 from vector 1's SK_d, two directions of
#    aes256gcm16: without and with a new Diffie-Hellman (RFC 7296 2.17)
sk_d = ike_dkm("sha256", "sha256", NI + NR, GIR, 32, 0, 36)[:32]
show("CHILD SA KEYMAT, prfsha256, no PFS", prf_plus("sha256", sk_d, NI + NR, 72))
show("CHILD SA KEYMAT, prfsha256, PFS", prf_plus("sha256", sk_d, GIR_NEW + NI + NR, 72))
