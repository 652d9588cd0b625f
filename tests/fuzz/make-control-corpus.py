#!/usr/bin/env python3
"""Writes the seed corpus for fuzz-control: Varlink calls as cygnetctl
sends them (NUL-separated, several on one connection), a cygnetd.conf and
a secrets file like docs/cygnetd.md's, and secrets in each notation. The
first byte picks the part (see fuzz-control.c). Run it from anywhere; it
rewrites tests/fuzz/corpus-control/ next to this script."""

import json

from corpus_write import write_corpus

SEL_CONTROL, SEL_CONFIG, SEL_SECRETS, SEL_SECRET = range(4)
IKE = "io.cygnet.Ike."


def call(method, parameters=None, **flags):
    message = {"method": method}
    if parameters is not None:
        message["parameters"] = parameters
    message.update(flags)
    return json.dumps(message, separators=(",", ":")).encode()


def calls(*messages):
    return bytes([SEL_CONTROL]) + b"\0".join(messages)


CONN_KEYS = {
    "remote": "192.0.2.10",
    "local-id": "alice@example.org",
    "remote-id": "vpn.example.org",
    "ike": "aes256gcm16-prfsha256-x25519",
    "esp": "aes256gcm16",
    "vip": "both",
    "local-ts": "dynamic",
    "remote-ts": "10.1.0.0/16,2001:db8::/32",
    "dpd-delay": "30s",
}

CONFIG = b"""# a gateway for road warriors and one site
[daemon]
log-level=info
crypto-workers=2
dataplane=log

[pool roadwarriors]
addresses=10.3.0.0/24

[pool roadwarriors6]
addresses=fd00:3::/112

[connection rw]
local=192.0.2.1
remote=%any
local-id=vpn.example.org
remote-id=*@example.org
auth=psk
ike=aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048
esp=aes256gcm16,aes128-sha256
pools=roadwarriors,roadwarriors6
dns=10.3.0.1,fd00:3::1
local-ts=10.1.0.0/16,10.2.0.0/16
remote-ts=dynamic
rekey-time=4h
dpd-delay=30s

[connection site-b]
remote=198.51.100.7
local-id=vpn.example.org
remote-id=site-b.example.org
local-ts=10.1.0.0/16
remote-ts=10.20.0.0/16
child-rekey-time=1h

[child site-b/voice]
local-ts=10.1.5.0/24[udp/5060]
remote-ts=10.20.5.0/24[udp/5060]
esp=aes128gcm16-x25519
rekey-time=20m

[connection corp-eap]
remote=vpn.example.org
auth=eap-mschapv2
remote-auth=pubkey
eap-identity=alice
cacert=/etc/cygnet/corp-ca.pem
vip=ipv4
remote-ts=10.1.0.0/16
"""

SECRETS = b"""[psk roadwarriors]
ids=vpn.example.org
secret=0sVGhpcyBpcyBub3QgYSByZWFsIGtleQ==

[psk site-b]
ids=site-b.example.org,198.51.100.7
secret=0x6a6b6c6d6e6f70717273

[psk fallback]
secret=correct horse battery staple

[eap staff]
ids=alice,bob
secret="correct horse battery staple"
"""


def seeds():
    out = {}
    out["control-info"] = calls(call("org.varlink.service.GetInfo"),
                                call("org.varlink.service.GetInterfaceDescription",
                                     {"interface": "io.cygnet.Ike"}),
                                call(IKE + "GetVersion"), call(IKE + "GetStats"))
    out["control-load"] = calls(
        call(IKE + "LoadPool", {"name": "rw", "addresses": "10.3.0.0/24"}),
        call(IKE + "LoadConnection", {"name": "corp", "keys": CONN_KEYS,
                                      "children": [{"name": "voice", "keys": {
                                          "remote-ts": "10.20.5.0/24[udp/5060]"}}],
                                      "secret": "0x6a6b6c6d"}),
        call(IKE + "ListConnections", {"prefix": "co"}),
        call(IKE + "ListSAs", {"connection": "corp"}),
        call(IKE + "UnloadConnection", {"name": "corp"}))
    out["control-initiate"] = calls(
        call(IKE + "LoadConnection", {"name": "gw", "keys": CONN_KEYS, "secret": "s3cret"}),
        call(IKE + "Initiate", {"connection": "gw", "wait": False}),
        call(IKE + "Terminate", {"connection": "gw", "wait": False}),
        call(IKE + "Rekey", {"ike_id": 1}))
    out["control-monitor"] = calls(call(IKE + "Monitor", {"prefix": "g"}, more=True))
    out["control-oneway"] = calls(call(IKE + "GetVersion", oneway=True), call(IKE + "GetStats"))
    out["control-bad"] = calls(b'{"method":"io.cygnet.Ike.ListSAs","parameters":{"ike_id":"x"}}',
                               b'{"method":"io.cygnet.Nope.X"}', b"[1,2]", b"{")
    # regression: closing brackets in a comment hid from json-glib but not
    # from the depth count, so any depth reached json-glib's recursion
    hidden = (b"[" * 60 + b"/* " + b"]" * 60 + b" */") * 3
    out["regress-hidden-depth"] = calls(
        b'{"method":"io.cygnet.Ike.ListSAs","parameters":{"connection":' + hidden + b"}}")
    out["config"] = bytes([SEL_CONFIG]) + CONFIG
    out["secrets"] = bytes([SEL_SECRETS]) + SECRETS
    for i, text in enumerate([b"0x6a6b6c6d", b"0sVGhpcyBpcyBub3Q=", b'"quoted secret"',
                              b"plain words"]):
        out["secret-%d" % i] = bytes([SEL_SECRET]) + text
    return out


def main():
    write_corpus("corpus-control", seeds())


if __name__ == "__main__":
    main()
