#!/usr/bin/env python3
"""Writes the seed corpus for fuzz-packet: for each parser (the first byte
picks it, see fuzz-packet.c) a few well-formed inputs: IPv4/IPv6 TCP, UDP
and ICMP packets, TSO/USO super-packets behind a virtio-net header, runs of
TCP segments for the coalescer, ESP payloads to seal and packets to open,
replay window sequences and CFG_REPLY bodies. Run it from anywhere; it
rewrites tests/fuzz/corpus-packet/ next to this script."""

import struct

from corpus_write import write_corpus

SEL_IP, SEL_GSO, SEL_GRO, SEL_ESP, SEL_REPLAY, SEL_CP = range(6)
TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58
ACK, PSH = 0x10, 0x08
SRC4, DST4 = bytes([10, 1, 2, 3]), bytes([192, 0, 2, 7])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000100000000000000000002")


def pattern(n, seed):
    return bytes((seed + i * 7) & 0xFF for i in range(n))


def ipv4(proto, l4, ident=0x1234, df=True):
    total = 20 + len(l4)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000 if df else 0, 64, proto,
                      0, SRC4, DST4)
    return hdr + l4


def ipv6(proto, l4):
    return struct.pack("!IHBB16s16s", 0x60000000, len(l4), proto, 64, SRC6, DST6) + l4


def tcp(seq, payload, flags=ACK, options=b""):
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", 40000, 443, seq, 0x11223344, offset << 4, flags, 501, 0,
                       0) + options + payload


def udp(payload):
    return struct.pack("!HHHH", 5353, 53, 8 + len(payload), 0) + payload


def vnet(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset):
    # native (little-endian) byte order, as the TUN gives it
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, csum_start, csum_offset)


def records(packets):
    return b"".join(struct.pack("!H", len(p)) + p for p in packets)


def cfg_attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value


def seeds():
    out = {}
    # ---- ip: packets from the TUN
    out["ip-tcp4"] = bytes([SEL_IP]) + ipv4(TCP, tcp(1000, pattern(100, 1)))
    out["ip-udp6"] = bytes([SEL_IP]) + ipv6(UDP, udp(pattern(60, 2)))
    out["ip-icmp4-echo"] = bytes([SEL_IP]) + ipv4(ICMP, bytes([8, 0, 0, 0, 0, 1, 0, 1]) +
                                                  pattern(56, 3))
    out["ip-icmp6-error"] = bytes([SEL_IP]) + ipv6(ICMPV6, bytes([1, 4, 0, 0, 0, 0, 0, 0]) +
                                                   pattern(48, 4))
    # ---- gso: TSO over IPv4 and IPv6, USO, a checksum left to us
    payload = pattern(3000, 5)
    t4 = ipv4(TCP, tcp(7000, payload, ACK | PSH))
    out["gso-tcp4"] = bytes([SEL_GSO]) + vnet(1, 1, 40, 1400, 20, 16) + t4
    t6 = ipv6(TCP, tcp(9000, payload[:2500], ACK, options=bytes([1, 1, 8, 10]) + pattern(8, 6)))
    out["gso-tcp6"] = bytes([SEL_GSO]) + vnet(1, 4, 72, 1000, 40, 16) + t6
    u4 = ipv4(UDP, udp(pattern(2000, 7)))
    out["gso-udp4"] = bytes([SEL_GSO]) + vnet(1, 5, 28, 1200, 20, 6) + u4
    out["gso-csum-only"] = bytes([SEL_GSO]) + vnet(1, 0, 0, 0, 20, 6) + ipv4(UDP, udp(b"hi"))
    # ---- gro: a run of TCP segments, then one of another flow and a pure ACK
    flag_vnet = bytes([1])
    segs4 = [ipv4(TCP, tcp(1 + i * 500, pattern(500, i))) for i in range(4)]
    segs4.append(ipv4(TCP, tcp(2001, pattern(200, 9), ACK | PSH)))
    out["gro-run4"] = bytes([SEL_GRO]) + flag_vnet + records(segs4)
    segs6 = [ipv6(TCP, tcp(100 + i * 1200, pattern(1200, i))) for i in range(3)]
    segs6.append(ipv6(UDP, udp(b"dns")))
    segs6.append(ipv6(TCP, tcp(5, b"", ACK)))
    out["gro-run6"] = bytes([SEL_GRO]) + flag_vnet + records(segs6)
    out["gro-bare"] = bytes([SEL_GRO, 0]) + records(segs4[:2])
    # ---- esp: mode bits 0-1 transform, 2 seal, 3 tamper, 4 high sequence bits
    inner = ipv4(UDP, udp(pattern(80, 10)))
    for xform in range(4):
        out["esp-seal-%d" % xform] = bytes([SEL_ESP, 0x04 | xform, 4, 0, 0]) + inner
    out["esp-tamper"] = bytes([SEL_ESP, 0x0c | 0x10 | 2, 4, 0, 30]) + inner
    out["esp-open"] = bytes([SEL_ESP, 0]) + struct.pack("!II", 0xc0ffee01, 1) + pattern(64, 11)
    # ---- replay: window byte (bits 0-2 size, 3 ESN), then flag + 32-bit steps
    steps = b"".join(bytes([1]) + struct.pack("!I", n) for n in (1, 2, 5, 3, 3, 64, 4000, 2, 70))
    out["replay-window"] = bytes([SEL_REPLAY, 6]) + steps
    near = b"".join(bytes([3]) + struct.pack("!I", d & 0xFFFF) for d in (1, 1, -5, 40, -3000, 9))
    out["replay-esn"] = bytes([SEL_REPLAY, 8 | 3]) + bytes([1]) + struct.pack(
        "!I", 0xFFFFFFF0) + near
    # ---- cp: CFG_REPLY with every attribute the checks know
    attrs = (cfg_attr(1, bytes([10, 9, 0, 5])) + cfg_attr(3, bytes([10, 9, 0, 1])) +
             cfg_attr(13, bytes([10, 0, 0, 0, 255, 0, 0, 0])) +
             cfg_attr(8, DST6 + bytes([64])) + cfg_attr(10, SRC6) +
             cfg_attr(15, DST6 + bytes([48])) + cfg_attr(25, b"corp.example") +
             cfg_attr(1, bytes([255, 255, 255, 255])) + cfg_attr(16, b""))
    out["cp-reply"] = bytes([SEL_CP, 2, 0, 0, 0]) + attrs
    return out


def main():
    write_corpus("corpus-packet", seeds())


if __name__ == "__main__":
    main()
