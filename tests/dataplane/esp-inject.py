#!/usr/bin/env python3
"""Bad ESP-in-UDP for test-uesp-badinput.sh, run in the peer's namespace.

Captures real ESP-in-UDP packets the peer sends to cygnet (AF_PACKET on the
peer's link, while a ping through the tunnel makes some), then sends
crafted copies from the same address and port 4500 to cygnet (raw IPv4
with our own headers, so the peer's IKE daemon keeps its port):

  replay    the captured packets again, unchanged     -> counted as replay
  seq       a fresh sequence number, same ICV         -> counted as auth
  flip      fresh sequence number and a flipped byte  -> counted as auth
  trunc     cut to 12 and to 6 bytes                  -> counted as malformed
  spi       an SPI cygnet never handed out            -> counted as unknown-spi
  flood     random datagrams with random SPIs         -> counted as unknown-spi

Prints one JSON object: how many of each were sent.
"""
import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003  # outgoing frames reach only "all protocols" taps
ETH_P_IP = 0x0800


def ip_checksum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def capture(iface, src, dst, port, want, ping_cmd, timeout_s):
    """ESP payloads (UDP payload, from the SPI on) src:port -> dst:port."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    ping = subprocess.Popen(ping_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    got = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(got) < want and time.monotonic() < deadline:
            try:
                frame = s.recv(65535)
            except socket.timeout:
                continue
            if len(frame) < 14 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
                continue
            ip = frame[14:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 0x0F) * 4
            if ip[12:16] != src or ip[16:20] != dst:
                continue
            sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
            payload = ip[ihl + 8:ihl + ulen]
            # ESP: not a keepalive (0xff), not IKE behind the zero marker
            if sport != port or dport != port or len(payload) <= 8 or payload[:4] == b"\0\0\0\0":
                continue
            got.append(payload)
    finally:
        ping.kill()
        ping.wait()
    return got


def sender(src, dst, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)

    def send(payload):
        udp = struct.pack("!HHHH", port, port, 8 + len(payload), 0)  # no UDP checksum (IPv4)
        total = 20 + len(udp) + len(payload)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, random.randrange(65536), 0, 64, 17, 0,
                          src, dst)
        hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
        s.sendto(hdr + udp + payload, (socket.inet_ntoa(dst), 0))

    return send


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--src", required=True, help="the peer's (our) outer address")
    ap.add_argument("--dst", required=True, help="cygnet's outer address")
    ap.add_argument("--port", type=int, default=4500)
    ap.add_argument("--ping-from", required=True)
    ap.add_argument("--ping-to", required=True)
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--flood", type=int, default=2000)
    a = ap.parse_args()
    src, dst = socket.inet_aton(a.src), socket.inet_aton(a.dst)

    ping = ["ping", "-c", str(4 * a.count), "-i", "0.05", "-I", a.ping_from, a.ping_to]
    captured = capture(a.iface, src, dst, a.port, a.count, ping, 10)
    if len(captured) < a.count:
        sys.exit("captured only %d ESP packets from %s to %s" % (len(captured), a.src, a.dst))
    time.sleep(0.3)  # cygnet has seen them all by now
    send = sender(src, dst, a.port)
    sent = {"replay": 0, "auth": 0, "malformed": 0, "unknown_spi": 0}

    for p in captured:
        send(p)
        sent["replay"] += 1
    for i, p in enumerate(captured):
        spi, seq = struct.unpack("!II", p[:8])
        fresh = struct.pack("!II", spi, (seq + 100000 + i) & 0xFFFFFFFF)
        send(fresh + p[8:])
        flipped = bytearray(fresh + p[8:])
        flipped[len(flipped) // 2] ^= 0x01
        send(bytes(flipped))
        sent["auth"] += 2
    for p in captured:
        send(p[:12])
        send(p[:6])
        sent["malformed"] += 2
    for p in captured:
        spi = struct.unpack("!I", p[:4])[0] ^ 0x5A5A5A5A
        send(struct.pack("!I", spi) + p[4:])
        sent["unknown_spi"] += 1
    rnd = random.Random(4303)
    for _ in range(a.flood):
        n = rnd.randrange(9, 1400)
        payload = os.urandom(n)
        if payload[:4] == b"\0\0\0\0":
            payload = b"\x01" + payload[1:]
        send(payload)
        sent["unknown_spi"] += 1
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
