#!/usr/bin/env python3
"""Writes the seed corpus for fuzz-ike-message: a few valid IKEv2 messages
(RFC 7296 section 3), SK plaintext chains ("-plaintext": first byte = first
payload type, as the fuzzer reads them) and single payload bodies ("-body":
first byte = payload type). Run it from anywhere; it rewrites
tests/fuzz/corpus-ike-message/ next to this script."""

import os
import struct

PL_SA, PL_KE, PL_IDI, PL_IDR, PL_CERT, PL_CERTREQ, PL_AUTH, PL_NONCE = range(33, 41)
PL_NOTIFY, PL_DELETE, PL_VENDOR, PL_TSI, PL_TSR, PL_SK, PL_CP, PL_EAP = range(41, 49)
PL_SKF = 53

EXCH_IKE_SA_INIT, EXCH_IKE_AUTH, EXCH_CREATE_CHILD_SA, EXCH_INFORMATIONAL = 34, 35, 36, 37
FLAG_INITIATOR, FLAG_RESPONSE = 0x08, 0x20
PROTO_IKE, PROTO_ESP = 1, 3

SPI_I = bytes.fromhex("5f541d6a3b2c119e")
SPI_R = bytes.fromhex("a102b304c506d708")


def pattern(n, seed):
    return bytes((seed + i * 7) & 0xFF for i in range(n))


def chain(payloads, last_next=0):
    """payloads: list of (type, body[, critical]). Returns (first, bytes).
    last_next is the Next Payload of the last one (SK's inner type)."""
    out = b""
    for i, p in enumerate(payloads):
        ptype, body = p[0], p[1]
        critical = p[2] if len(p) > 2 else False
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else last_next
        out += struct.pack("!BBH", nxt, 0x80 if critical else 0, 4 + len(body)) + body
    return (payloads[0][0] if payloads else 0), out


def message(exchange, flags, msg_id, payloads, spi_r=b"\0" * 8, last_next=0):
    first, body = chain(payloads, last_next)
    header = SPI_I + spi_r + struct.pack("!BBBBII", first, 0x20, exchange, flags, msg_id,
                                          28 + len(body))
    return header + body


def transform(ttype, tid, key_bits=0, last=False):
    attrs = struct.pack("!HH", 0x8000 | 14, key_bits) if key_bits else b""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def proposal(number, proto, spi, transforms, last=True):
    body = b"".join(transform(*t, last=(i == len(transforms) - 1))
                    for i, t in enumerate(transforms))
    return struct.pack("!BBHBBBB", 0 if last else 2, 0, 8 + len(spi) + len(body), number, proto,
                       len(spi), len(transforms)) + spi + body


def sa(*proposals):
    return b"".join(proposal(*p, last=(i == len(proposals) - 1)) for i, p in enumerate(proposals))


def notify(ntype, data=b"", proto=0, spi=b""):
    return struct.pack("!BBH", proto, len(spi), ntype) + spi + data


def ts(*selectors):
    out = struct.pack("!BBH", len(selectors), 0, 0)
    for proto, sport, eport, start, end in selectors:
        tstype = 7 if len(start) == 4 else 8
        out += struct.pack("!BBHHH", tstype, proto, 8 + 2 * len(start), sport, eport) + start + end
    return out


def cp(cfg_type, attrs):
    return struct.pack("!BBH", cfg_type, 0, 0) + b"".join(
        struct.pack("!HH", t, len(v)) + v for t, v in attrs)


IKE_PROPOSALS = (
    (1, PROTO_IKE, b"", [(1, 20, 256), (2, 7), (4, 31), (4, 19)]),
    (2, PROTO_IKE, b"", [(1, 12, 128), (1, 12, 256), (2, 5), (3, 12), (4, 14)]),
)
ESP_PROPOSAL = (1, PROTO_ESP, b"\xc0\x01\xd0\x0d", [(1, 20, 256), (5, 0)])


def corpus():
    seeds = {}
    seeds["ike-sa-init-request"] = message(EXCH_IKE_SA_INIT, FLAG_INITIATOR, 0, [
        (PL_SA, sa(*IKE_PROPOSALS)),
        (PL_KE, struct.pack("!HH", 31, 0) + pattern(32, 1)),
        (PL_NONCE, pattern(32, 2)),
        (PL_NOTIFY, notify(16388, pattern(20, 3))),
        (PL_NOTIFY, notify(16389, pattern(20, 4))),
        (PL_NOTIFY, notify(16430)),
        (PL_NOTIFY, notify(16431, bytes.fromhex("0002000300040005"))),
        (PL_VENDOR, pattern(16, 5)),
    ])
    seeds["ike-sa-init-response"] = message(EXCH_IKE_SA_INIT, FLAG_RESPONSE, 0, [
        (PL_SA, sa(IKE_PROPOSALS[0])),
        (PL_KE, struct.pack("!HH", 31, 0) + pattern(32, 6)),
        (PL_NONCE, pattern(32, 7)),
        (PL_CERTREQ, b"\x04" + pattern(20, 8)),
    ], spi_r=SPI_R)
    seeds["ike-sa-init-cookie"] = message(EXCH_IKE_SA_INIT, FLAG_RESPONSE, 0, [
        (PL_NOTIFY, notify(16390, pattern(16, 9))),
    ])

    auth_first, auth_plain = chain([
        (PL_IDI, b"\x02\0\0\0client.example.org"),
        (PL_CERT, b"\x04" + pattern(64, 10)),
        (PL_CERTREQ, b"\x04"),
        (PL_IDR, b"\x01\0\0\0" + bytes([192, 0, 2, 1])),
        (PL_AUTH, b"\x0e\0\0\0" + pattern(48, 11)),
        (PL_CP, cp(1, [(1, b""), (3, b""), (8, b""), (25, b""), (7, b"cygnet")])),
        (PL_SA, sa(ESP_PROPOSAL)),
        (PL_TSI, ts((0, 0, 65535, bytes(4), b"\xff" * 4))),
        (PL_TSR, ts((0, 0, 65535, bytes([10, 0, 0, 0]), bytes([10, 0, 255, 255])),
                    (17, 500, 500, bytes(16), b"\xff" * 16))),
        (PL_NOTIFY, notify(16384)),
        (PL_NOTIFY, notify(16396)),
    ])
    seeds["ike-auth-plaintext"] = bytes([auth_first]) + auth_plain
    seeds["ike-auth-request"] = message(EXCH_IKE_AUTH, FLAG_INITIATOR, 1, [
        (PL_SK, pattern(16, 12) + auth_plain + pattern(16, 13)),
    ], spi_r=SPI_R, last_next=auth_first)

    eap_first, eap_plain = chain([
        (PL_IDR, b"\x02\0\0\0vpn.example.org"),
        (PL_CERT, b"\x04" + pattern(32, 14)),
        (PL_AUTH, b"\x01\0\0\0" + pattern(32, 15)),
        (PL_EAP, b"\x01\x05\x00\x0b\x1a" + pattern(6, 16)),
        (PL_CP, cp(2, [(1, bytes([10, 9, 8, 7])), (3, bytes([10, 0, 0, 53])),
                       (25, b"corp.example")])),
    ])
    seeds["ike-auth-eap-plaintext"] = bytes([eap_first]) + eap_plain

    child_first, child_plain = chain([
        (PL_NOTIFY, notify(16393, proto=PROTO_ESP, spi=b"\x11\x22\x33\x44")),
        (PL_SA, sa(ESP_PROPOSAL)),
        (PL_NONCE, pattern(32, 17)),
        (PL_KE, struct.pack("!HH", 19, 0) + pattern(64, 18)),
        (PL_TSI, ts((6, 65535, 0, bytes([10, 1, 1, 1]), bytes([10, 1, 1, 1])))),
        (PL_TSR, ts((0, 0, 65535, bytes(16), b"\xff" * 16))),
    ])
    seeds["create-child-sa-plaintext"] = bytes([child_first]) + child_plain

    del_first, del_plain = chain([
        (PL_DELETE, struct.pack("!BBH", PROTO_ESP, 4, 2) + b"\x11\x22\x33\x44\x55\x66\x77\x88"),
        (PL_DELETE, struct.pack("!BBH", PROTO_IKE, 0, 0)),
        (PL_NOTIFY, notify(16400)),
        (PL_NOTIFY, notify(16397, bytes([198, 51, 100, 7]))),
    ])
    seeds["informational-plaintext"] = bytes([del_first]) + del_plain
    seeds["informational-empty"] = message(EXCH_INFORMATIONAL, FLAG_INITIATOR, 2, [
        (PL_SK, pattern(32, 19)),
    ], spi_r=SPI_R, last_next=0)
    seeds["ike-auth-fragment"] = message(EXCH_IKE_AUTH, FLAG_INITIATOR, 1, [
        (PL_SKF, struct.pack("!HH", 1, 3) + pattern(40, 20)),
    ], spi_r=SPI_R, last_next=PL_IDI)
    seeds["eap-success-plaintext"] = bytes([PL_EAP]) + chain([(PL_EAP, b"\x03\x06\x00\x04")])[1]

    bodies = {
        "sa": (PL_SA, sa(IKE_PROPOSALS[1], (3, PROTO_IKE, SPI_R, [(1, 28)]))),
        "ts": (PL_TSI, ts((6, 80, 443, bytes([192, 0, 2, 0]), bytes([192, 0, 2, 255])),
                          (58, 0x8000, 0x80FF, bytes(16), b"\xff" * 16))),
        "cp": (PL_CP, cp(3, [(13, bytes([10, 0, 0, 0, 255, 0, 0, 0])), (14, b"")])),
        "delete": (PL_DELETE, struct.pack("!BBH", PROTO_ESP, 4, 1) + b"\xde\xad\xbe\xef"),
        "notify": (PL_NOTIFY, notify(16393, proto=PROTO_ESP, spi=b"\x01\x02\x03\x04")),
        "ke": (PL_KE, struct.pack("!HH", 14, 0) + pattern(256, 21)),
        "id": (PL_IDI, b"\x05\0\0\0" + bytes([0x20, 0x01, 0x0D, 0xB8]) + bytes(12)),
        "eap": (PL_EAP, b"\x02\x09\x00\x0a\x01alice"),
        "skf": (PL_SKF, struct.pack("!HH", 2, 2) + pattern(24, 22)),
    }
    for name, (ptype, body) in bodies.items():
        seeds[name + "-body"] = bytes([ptype]) + body
    return seeds


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus-ike-message")
    os.makedirs(out_dir, exist_ok=True)
    for name, data in sorted(corpus().items()):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
