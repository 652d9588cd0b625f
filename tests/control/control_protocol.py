#!/usr/bin/env python3
"""The control socket's protocol, driven by a client written with the
Python standard library alone (cgvarlink.py):

  - org.varlink.service: GetInfo, GetInterfaceDescription (the installed
    interface file, byte for byte)
  - malformed JSON, non-objects, deep nesting, bad UTF-8, unknown call
    fields, unknown interfaces and methods, wrong parameter types, unknown
    and missing parameters, oversized messages: each a Varlink error, and
    the connection and the daemon go on
  - oneway calls, pipelined calls answered in order
  - LoadConnection / ListConnections / UnloadConnection / LoadPool
  - Monitor: synced, events, filters, calls on the same connection while
    it streams, one Monitor per connection
  - 100 Monitor clients, one never reading: it is dropped, the others get
    every event

Usage: control_protocol.py SOCKET INTERFACE_FILE MAX_QUEUE_BYTES
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cgvarlink import IKE, SERVICE, Client, Closed, VarlinkError, wait_for  # noqa: E402

SOCK, IFACE_FILE, MAX_QUEUE = sys.argv[1], sys.argv[2], int(sys.argv[3])
CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def expect_error(c, call_method, params, error, **want):
    name, p = c.error_of(call_method, params)
    check(name == error, "%s %r: expected %s, got %s %r" % (call_method, params, error, name, p))
    for k, v in want.items():
        check(p.get(k) == v, "%s: %s=%r, expected %r" % (error, k, p.get(k), v))
    return p


def raw_error(c, data, error, **want):
    c.send_raw(data)
    reply = c.receive()
    check(reply.get("error") == error, "%r: expected %s, got %r" % (data[:60], error, reply))
    for k, v in want.items():
        check(reply["parameters"].get(k) == v, "%r: %s" % (data[:60], reply))
    return reply


def alive(c):
    check(c.call(IKE + "GetVersion")["interface_version"] == 1, "GetVersion")


def test_service(c):
    info = c.call(SERVICE + "GetInfo")
    check(info["interfaces"] == ["org.varlink.service", "io.cygnet.Ike"], "GetInfo interfaces %r" % info)
    check(info["product"] == "cygnetd" and info["version"], "GetInfo %r" % info)
    desc = c.call(SERVICE + "GetInterfaceDescription", {"interface": "io.cygnet.Ike"})["description"]
    with open(IFACE_FILE, encoding="utf-8") as f:
        check(desc == f.read(), "GetInterfaceDescription is not the interface file")
    desc = c.call(SERVICE + "GetInterfaceDescription", {"interface": "org.varlink.service"})
    check("method GetInfo()" in desc["description"], "org.varlink.service description")
    expect_error(c, SERVICE + "GetInterfaceDescription", {"interface": "org.example.nope"},
                 SERVICE + "InterfaceNotFound", interface="org.example.nope")


def test_malformed(c):
    E = IKE + "InvalidMessage"
    raw_error(c, b"{not json\0", E)
    raw_error(c, b"[1, 2]\0", E)
    raw_error(c, b"\"just a string\"\0", E)
    raw_error(c, b"\0", E)
    raw_error(c, b"{\"method\": 5}\0", E)
    raw_error(c, b"{\"parameters\": {}}\0", E)
    raw_error(c, b"{\"method\": \"io.cygnet.Ike.GetVersion\", \"parameters\": []}\0", E)
    raw_error(c, b"{\"method\": \"io.cygnet.Ike.GetVersion\", \"more\": \"yes\"}\0", E)
    raw_error(c, b"{\"method\": \"io.cygnet.Ike.GetVersion\", \"bogus\": 1}\0", E)
    raw_error(c, b"{\"method\": \"io.cygnet.Ike.GetVersion\", \"upgrade\": true}\0", E)
    raw_error(c, b"{\"method\": \"io.cygnet.Ike.GetVersion\"}\xff\xfe\0", E)
    raw_error(c, b"[" * 100000 + b"\0", E)
    raw_error(c, b"{\"a\": " * 1000 + b"1" + b"}" * 1000 + b"\0", E)
    # a vendor extension (an object named in reverse-domain notation) is fine
    c.send(IKE + "GetVersion", {}, extra={"org.example.trace": {"id": 7}})
    check("error" not in c.receive(), "vendor extension refused")
    alive(c)


def test_unknown_and_types(c):
    expect_error(c, "org.example.Foo", {}, SERVICE + "InterfaceNotFound", interface="org.example")
    expect_error(c, IKE + "DeleteEverything", {}, SERVICE + "MethodNotFound",
                 method=IKE + "DeleteEverything")
    expect_error(c, "NoDots", {}, SERVICE + "MethodNotFound")
    expect_error(c, IKE + "ConnectionNotFound", {}, SERVICE + "MethodNotFound")  # an error, not a method
    P = SERVICE + "InvalidParameter"
    expect_error(c, IKE + "ListSAs", {"connection": 5}, P, parameter="connection")
    expect_error(c, IKE + "ListSAs", {"ike_id": "7"}, P, parameter="ike_id")
    expect_error(c, IKE + "ListSAs", {"ike_id": 1.5}, P, parameter="ike_id")
    expect_error(c, IKE + "ListSAs", {"ike_id": 0}, P, parameter="ike_id")
    expect_error(c, IKE + "ListSAs", {"everything": True}, P, parameter="everything")
    expect_error(c, IKE + "UnloadConnection", {}, P, parameter="name")
    expect_error(c, IKE + "UnloadConnection", {"name": None}, P, parameter="name")
    expect_error(c, IKE + "Initiate", {"connection": "x", "wait": "no"}, P, parameter="wait")
    expect_error(c, IKE + "LoadConnection", {"name": "x", "keys": {"remote": 1}}, P,
                 parameter="keys.remote")
    expect_error(c, IKE + "LoadConnection", {"name": "x", "keys": {}, "children": [{"name": "c"}]}, P,
                 parameter="children[0].keys")
    expect_error(c, IKE + "Terminate", {}, P, parameter="connection")
    expect_error(c, IKE + "Initiate", {"connection": "nope", "remote_address": "not-an-ip"}, P,
                 parameter="remote_address")
    expect_error(c, IKE + "Rekey", {}, P)
    expect_error(c, IKE + "Monitor", {}, SERVICE + "ExpectedMore")
    # null for an optional parameter is "absent"
    c.call(IKE + "ListSAs", {"connection": None, "prefix": None})
    alive(c)


def test_oversized(c):
    limit = 1024 * 1024
    big = json.dumps({"method": IKE + "ListSAs", "parameters": {"connection": "x" * limit}}).encode()
    raw_error(c, big + b"\0", IKE + "MessageTooLarge", limit_bytes=limit)
    # in pieces, and without a NUL for a long time
    c.send_raw(b"{" + b" " * (limit // 2))
    c.send_raw(b" " * (limit // 2) + b"}")
    c.send_raw(b"\0")
    check(c.receive().get("error") == IKE + "MessageTooLarge", "oversized in pieces")
    alive(c)  # the connection goes on after the skipped message


def test_ordering(c):
    # pipelined: replies in call order; a oneway call gets none
    c.send(IKE + "GetVersion", oneway=True)
    c.send(IKE + "ListConnections", {"name": "none"})
    c.send(IKE + "Bogus")
    c.send(IKE + "GetVersion")
    check(c.receive()["parameters"] == {"connections": []}, "first reply is ListConnections")
    check(c.receive().get("error") == SERVICE + "MethodNotFound", "second reply is the error")
    check("interface_version" in c.receive()["parameters"], "third reply is GetVersion")
    check(not c.fill(0.3), "a oneway call was answered")


def test_connections(c):
    keys = {"remote": "192.0.2.7", "local-id": "a.test", "remote-id": "b.test",
            "local-ts": "10.1.0.0/16", "remote-ts": "10.2.0.0/16", "ike": "aes256gcm16-prfsha256-x25519"}
    r = c.call(IKE + "LoadConnection", {"name": "site-1", "keys": keys, "secret": "s3cret",
                                        "children": [{"name": "voice", "keys": {"local-ts": "10.1.5.0/24[udp/5060]"}}]})
    check(r == {"replaced": False}, "LoadConnection %r" % r)
    r = c.call(IKE + "LoadConnection", {"name": "site-1", "keys": keys, "secret": "s3cret"})
    check(r == {"replaced": True}, "reload %r" % r)
    c.call(IKE + "LoadConnection", {"name": "site-2", "keys": {"remote": "192.0.2.8"}})
    c.call(IKE + "LoadConnection", {"name": "other", "keys": {}})
    conns = c.call(IKE + "ListConnections")["connections"]
    check([x["name"] for x in conns] == ["site-1", "site-2", "other"], "ListConnections %r" % conns)
    s1 = conns[0]
    check(s1["remote"] == "192.0.2.7" and s1["has_secret"] and s1["ike"] == ["aes256gcm16-prfsha256-x25519"]
          and s1["children"][0]["local_ts"] == ["10.1.0.0/16"] and s1["ike_sas"] == 0, "site-1 %r" % s1)
    check(not conns[1]["has_secret"], "site-2 has no secret")
    check([x["name"] for x in c.call(IKE + "ListConnections", {"prefix": "site-"})["connections"]]
          == ["site-1", "site-2"], "prefix filter")
    check([x["name"] for x in c.call(IKE + "ListConnections", {"name": "other"})["connections"]]
          == ["other"], "name filter")
    # the file's checks, the file's messages
    p = expect_error(c, IKE + "LoadConnection", {"name": "bad", "keys": {"ike": "aes999-sha256"}},
                     IKE + "InvalidConfiguration")
    check("ike" in p["message"] and "aes999" in p["message"], "message names the key: %r" % p)
    p = expect_error(c, IKE + "LoadConnection", {"name": "bad", "keys": {"remot": "x"}},
                     IKE + "InvalidConfiguration")
    check("remot" in p["message"], "unknown key named: %r" % p)
    p = expect_error(c, IKE + "LoadConnection", {"name": "bad", "keys": {}, "children": [
        {"name": "c", "keys": {"mode": "sideways"}}]}, IKE + "InvalidConfiguration")
    check("mode" in p["message"], "child key named: %r" % p)
    p = expect_error(c, IKE + "LoadConnection", {"name": "bad", "keys": {}, "secret": "0xZZsecretZZ"},
                     IKE + "InvalidConfiguration")
    check("secretZZ" not in p["message"], "the secret leaked into %r" % p)
    p = expect_error(c, IKE + "LoadConnection", {"name": "bad name!", "keys": {}},
                     IKE + "InvalidConfiguration")
    p = expect_error(c, IKE + "LoadConnection", {"name": "bad", "keys": {"pools": "nope"}},
                     IKE + "InvalidConfiguration")
    check("nope" in p["message"], "unknown pool named: %r" % p)
    c.call(IKE + "LoadPool", {"name": "rw", "addresses": "10.3.0.0/24"})
    c.call(IKE + "LoadPool", {"name": "rw", "addresses": "10.3.0.0/24"})  # again: a no-op
    expect_error(c, IKE + "LoadPool", {"name": "rw", "addresses": "10.4.0.0/24"}, IKE + "InvalidConfiguration")
    expect_error(c, IKE + "LoadPool", {"name": "rw6", "addresses": "banana"}, IKE + "InvalidConfiguration")
    c.call(IKE + "LoadConnection", {"name": "rw", "keys": {"pools": "rw"}})
    check(c.call(IKE + "ListConnections", {"name": "bad"})["connections"] == [], "bad was not loaded")
    # nothing to initiate to, nothing to terminate
    expect_error(c, IKE + "Initiate", {"connection": "other"}, IKE + "Failed")
    expect_error(c, IKE + "Initiate", {"connection": "nope"}, IKE + "ConnectionNotFound", connection="nope")
    check(c.call(IKE + "Terminate", {"connection": "site-2"}) == {"ike_sas": 0, "child_sas": 0}, "nothing to do")
    expect_error(c, IKE + "Terminate", {"connection": "nope"}, IKE + "ConnectionNotFound")
    expect_error(c, IKE + "Terminate", {"ike_id": 99999}, IKE + "SaNotFound", ike_id=99999)
    expect_error(c, IKE + "Rekey", {"child_id": 99999}, IKE + "SaNotFound", child_id=99999)
    for name in ("site-2", "other", "rw"):
        c.call(IKE + "UnloadConnection", {"name": name})
    expect_error(c, IKE + "UnloadConnection", {"name": "other"}, IKE + "ConnectionNotFound", connection="other")
    check([x["name"] for x in c.call(IKE + "ListConnections")["connections"]] == ["site-1"], "after unload")
    c.call(IKE + "UnloadConnection", {"name": "site-1"})


def monitor_start(c, params=None):
    c.send(IKE + "Monitor", params or {}, more=True)
    sas = []
    while True:
        r = c.receive()
        check(r.get("continues") is True and "error" not in r, "monitor reply %r" % r)
        p = r["parameters"]
        if p.get("synced"):
            return sas
        sas.append(p["sa"])


def next_event(c, timeout=5.0):
    r = c.receive(timeout)
    check(r.get("continues") is True and "event" in r["parameters"], "expected an event: %r" % r)
    return r["parameters"]["event"]


def test_monitor(c):
    m = Client(SOCK)
    check(monitor_start(m) == [], "no SAs yet")
    f = Client(SOCK)
    monitor_start(f, {"prefix": "mon-"})
    # a second Monitor on the same connection is refused, in call order
    m.send(IKE + "Monitor", {}, more=True)
    r = m.receive()
    check(r.get("error") == IKE + "AlreadyMonitoring" and not r.get("continues"), "%r" % r)
    t0 = time.time()
    c.call(IKE + "LoadConnection", {"name": "mon-a", "keys": {}})
    c.call(IKE + "LoadConnection", {"name": "zzz", "keys": {}})
    c.call(IKE + "UnloadConnection", {"name": "mon-a"})
    evs = [next_event(m) for _ in range(3)]
    check([(e["kind"], e["connection"]) for e in evs] ==
          [("connection_loaded", "mon-a"), ("connection_loaded", "zzz"), ("connection_unloaded", "mon-a")],
          "events %r" % evs)
    check(all(abs(e["time_us"] / 1e6 - t0) < 5 for e in evs), "event times")
    fevs = [next_event(f) for _ in range(2)]
    check([e["kind"] for e in fevs] == ["connection_loaded", "connection_unloaded"] and
          all(e["connection"] == "mon-a" for e in fevs), "filtered %r" % fevs)
    check(not f.fill(0.2) and not f.has_message(), "filter let zzz through")
    # commands on the monitoring connection: its reply has no "continues"
    m.send(IKE + "LoadConnection", {"name": "mon-b", "keys": {}})
    got = [m.receive(), m.receive()]
    replies = [r for r in got if not r.get("continues")]
    events = [r for r in got if r.get("continues")]
    check(len(replies) == 1 and replies[0]["parameters"] == {"replaced": False}, "reply %r" % got)
    check(len(events) == 1 and events[0]["parameters"]["event"]["connection"] == "mon-b", "event %r" % got)
    next_event(f)
    stats = c.call(IKE + "GetStats")
    check(stats["monitor_clients"] >= 2, "stats %r" % stats)
    for x in (m, f):
        x.close()
    c.call(IKE + "UnloadConnection", {"name": "mon-b"})
    c.call(IKE + "UnloadConnection", {"name": "zzz"})
    wait_for(lambda: c.call(IKE + "GetStats")["monitor_clients"] == 0, what="monitors gone")


def test_many_monitors(c):
    n = 100
    clients = [Client(SOCK) for _ in range(n)]
    for x in clients:
        x.send(IKE + "Monitor", {}, more=True)
    stuck = clients[0]  # never reads a byte from here on
    readers = clients[1:]
    for x in readers:
        r = x.receive()
        while not r["parameters"].get("synced"):
            r = x.receive()
    dropped_before = c.call(IKE + "GetStats")["control_clients_dropped"]
    # events until the stuck client's queue (MAX_QUEUE bytes past what the
    # kernel buffers) overflows; each load+unload is two events
    name = "flood-" + "x" * 50
    rounds = 0
    counts = [0] * len(readers)
    deadline = time.monotonic() + 60

    def drain():
        for i, x in enumerate(readers):
            while True:
                while x.has_message():
                    r = x.receive(0)
                    check(r["parameters"]["event"]["connection"] == name, "flood event %r" % r)
                    counts[i] += 1
                if not x.fill(0):
                    break

    while c.call(IKE + "GetStats")["control_clients_dropped"] == dropped_before:
        check(time.monotonic() < deadline, "the stuck client was never dropped")
        for _ in range(50):
            c.call(IKE + "LoadConnection", {"name": name, "keys": {}})
            c.call(IKE + "UnloadConnection", {"name": name})
            rounds += 1
        drain()
    # the others got every event, in order
    deadline = time.monotonic() + 20
    while min(counts) < 2 * rounds and time.monotonic() < deadline:
        drain()
        time.sleep(0.01)
    check(min(counts) == 2 * rounds and max(counts) == 2 * rounds,
          "readers got %d..%d of %d events" % (min(counts), max(counts), 2 * rounds))
    # the stuck one: its socket was closed by the server
    stuck.sock.settimeout(5)
    try:
        while stuck.fill(5):
            stuck.buf = b""
        raise AssertionError("stuck client still connected")
    except (Closed, ConnectionResetError):
        pass
    check(c.call(IKE + "GetStats")["control_clients_dropped"] == dropped_before + 1, "exactly one dropped")
    print("  flood: %d events to 99 readers; the stuck client dropped after %d" % (2 * rounds, 2 * rounds))
    for x in clients:
        x.close()


def test_half_messages_and_disconnects(c):
    # clients vanishing mid-message or mid-stream leave the daemon unharmed
    for _ in range(20):
        x = Client(SOCK)
        x.send_raw(b"{\"method\": \"io.cygnet.Ike.Get")
        x.close()
        y = Client(SOCK)
        y.send(IKE + "Monitor", {}, more=True)
        y.close()
        z = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        z.connect(SOCK)
        z.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        z.sendall(json.dumps({"method": IKE + "ListSAs", "more": True}).encode() + b"\0")
        z.close()
    alive(c)


def main():
    c = Client(SOCK)
    for t in (test_service, test_malformed, test_unknown_and_types, test_oversized, test_ordering,
              test_connections, test_monitor, test_many_monitors, test_half_messages_and_disconnects):
        print("%s ..." % t.__name__, flush=True)
        t(c)
    alive(c)
    print("control_protocol: %d checks passed" % CHECKS)


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, VarlinkError, TimeoutError, Closed) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
