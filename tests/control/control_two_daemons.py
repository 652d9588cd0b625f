#!/usr/bin/env python3
"""Two cygnetd, driven entirely online: a responder (B) loaded through the
Varlink API, an initiator (A) loaded with cygnetctl. Monitors on both see
the full dump and then the events in order; cygnetctl up / down / rekey
(by name, by remote address, one CHILD_SA) with their exit codes; calls on
a connection whose Monitor streams; a wrong key; a peer that never answers.

Usage: control_two_daemons.py SOCK_A SOCK_B CYGNETCTL ADDR_A ADDR_B
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cgvarlink import IKE, Client, VarlinkError, wait_for  # noqa: E402

SOCK_A, SOCK_B, CTL, ADDR_A, ADDR_B = sys.argv[1:6]
PSK = "two-daemons-psk"
CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def ctl(*args, sock=SOCK_A, want=0):
    p = subprocess.run([CTL, "--socket", sock, "--color", "never"] + list(args),
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == want, "cygnetctl %s: exit %d, expected %d\nstdout: %s\nstderr: %s"
          % (" ".join(args), p.returncode, want, p.stdout, p.stderr))
    return p.stdout, p.stderr


def monitor_start(c, params=None):
    c.send(IKE + "Monitor", params or {}, more=True)
    sas = []
    while True:
        r = c.receive()
        check(r.get("continues") is True and "error" not in r, "monitor reply %r" % r)
        if r["parameters"].get("synced"):
            return sas
        sas.append(r["parameters"]["sa"])


class Events:
    """The events of a Monitor; replies to other calls on the same
    connection (no "continues") are kept apart."""

    def __init__(self, client):
        self.c = client
        self.seen = []
        self.pos = 0
        self.replies = []

    def pump(self, timeout):
        r = self.c.receive(timeout)
        if r.get("continues"):
            self.seen.append(r["parameters"]["event"])
        else:
            self.replies.append(r)

    def wait(self, pred, timeout=15.0, what="event"):
        """The next event (after the last one waited for) that matches."""
        deadline = time.monotonic() + timeout
        while True:
            for i in range(self.pos, len(self.seen)):
                if pred(self.seen[i]):
                    self.pos = i + 1
                    return self.seen[i]
            left = deadline - time.monotonic()
            check(left > 0, "no %s; seen: %s" % (what, [(e["kind"], e.get("connection"), e.get("ike_id"),
                                                          e.get("child_name"), e.get("reason")) for e in self.seen]))
            try:
                self.pump(left)
            except TimeoutError:
                pass

    def reply(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while not self.replies:
            check(time.monotonic() < deadline, "no reply on the monitoring connection")
            self.pump(deadline - time.monotonic())
        return self.replies.pop(0)


def kind(k, **fields):
    return lambda e: e["kind"] == k and all(e.get(f) == v for f, v in fields.items())


def main():
    a, b = Client(SOCK_A), Client(SOCK_B)
    # --- B: responder, loaded through the API --------------------------------
    b.call(IKE + "LoadConnection", {
        "name": "resp",
        "keys": {"local": ADDR_B, "local-id": "b.test", "remote-id": "a.test",
                 "local-ts": "10.81.2.0/24", "remote-ts": "10.81.1.0/24"},
        "children": [{"name": "second", "keys": {"local-ts": "10.82.2.0/24", "remote-ts": "10.82.1.0/24"}}],
        "secret": PSK})
    # --- A: initiator, loaded with cygnetctl (key=value, a secret file) --------
    with tempfile.NamedTemporaryFile("w", suffix=".secret", delete=False) as f:
        f.write(PSK + "\n")
        secret_file = f.name
    ctl("load", "home", "remote=" + ADDR_B, "local-id=a.test", "remote-id=b.test",
        "local-ts=10.81.1.0/24", "remote-ts=10.81.2.0/24", "second/local-ts=10.82.1.0/24",
        "second/remote-ts=10.82.2.0/24", "retransmit-timeout=300ms", "retransmit-tries=2",
        "--secret-file", secret_file)
    os.unlink(secret_file)

    mon = Client(SOCK_A)
    check(monitor_start(mon, {"prefix": "ho"}) == [], "no SAs before up")
    ev = Events(mon)
    bmon = Client(SOCK_B)
    check(monitor_start(bmon) == [], "B: no SAs before up")
    bev = Events(bmon)

    # --- up, and the events in order -------------------------------------------
    out, _ = ctl("up", "home")
    check("established" in out and "IKE_SA home #" in out, "up output: %r" % out)
    up = ev.wait(kind("ike_up", connection="home"), what="ike_up")
    ike_id = up["ike_id"]
    child_up = ev.wait(kind("child_up", child_name="home"), what="child_up home")
    ev.wait(kind("child_up", child_name="second"), what="child_up second")
    kinds = [(e["kind"], e.get("child_name")) for e in ev.seen]
    check(kinds.index(("auth", None)) < kinds.index(("ike_up", None)) < kinds.index(("child_up", "home"))
          < kinds.index(("child_up", "second")), "event order %r" % kinds)
    check(all(e["ike_id"] == ike_id for e in ev.seen if e["kind"] != "connection_loaded"), "ike ids")
    auth = [e for e in ev.seen if e["kind"] == "auth"][0]
    check(auth["success"] is True, "auth %r" % auth)
    sa = up["sa"]
    check(sa["state"] == "established" and sa["initiator"] and sa["connection"] == "home", "sa %r" % sa)
    check(sa["local_address"] == ADDR_A and sa["remote_address"] == ADDR_B and sa["remote_port"] == 500, "addrs")
    check(sa["local_id"] == "a.test" and sa["remote_id"] == "b.test", "ids %r" % sa)
    check(sa["local_auth"] == "psk" and sa["remote_auth"] == "psk", "auth methods %r" % sa)
    check(sa["proposal"] and len(sa["spi_i"]) == 16 and len(sa["spi_r"]) == 16, "proposal/spis %r" % sa)
    check("peer_certificate" not in sa, "PSK: no peer certificate")
    c = [x for x in child_up["sa"]["children"] if x["id"] == child_up["child_id"]][0]
    check(c["local_ts"] == ["10.81.1.0/24"] and c["remote_ts"] == ["10.81.2.0/24"] and c["mode"] == "tunnel", "%r" % c)
    check(len(c["spi_in"]) == 8 and c["reqid"] > 0 and c["expire_at_us"] > c["rekey_at_us"] > 0, "child %r" % c)
    bup = bev.wait(kind("ike_up", connection="resp"), what="B ike_up")
    check(bup["sa"]["initiator"] is False and bup["sa"]["remote_id"] == "a.test", "B sa %r" % bup["sa"])

    # --- a call on the monitoring connection while it streams ---------------------
    mon.send(IKE + "ListSAs", {"connection": "home"})
    r = ev.reply()
    check("error" not in r and len(r["parameters"]["sas"]) == 1, "ListSAs on the monitor %r" % r)
    sas = r["parameters"]["sas"]
    check(sorted(x["name"] for x in sas[0]["children"]) == ["home", "second"], "children %r" % sas)
    # a client that comes later (or restarts) gets the full state first
    late = Client(SOCK_A)
    dump = monitor_start(late)
    check(len(dump) == 1 and dump[0]["id"] == ike_id and len(dump[0]["children"]) == 2, "dump %r" % dump)
    filtered = Client(SOCK_A)
    check(monitor_start(filtered, {"connection": "other"}) == [], "filtered dump")

    # --- the CLI's views --------------------------------------------------------------
    out, _ = ctl("list-sas")
    check("established" in out and "home" in out and "SPI-IN" in out, "list-sas %r" % out)
    out, _ = ctl("--json", "list-sas", "home")
    check(json.loads(out)["sas"][0]["id"] == ike_id, "list-sas --json")
    out, _ = ctl("status")
    check("IKE_SAs: 1 up" in out, "status %r" % out)
    check(json.loads(ctl("status", "--json")[0])["stats"]["ike_sas_current"] == 1, "status --json")

    # --- rekey ---------------------------------------------------------------------
    ctl("rekey", "--child-id", str(child_up["child_id"]))
    rk = ev.wait(kind("child_rekeyed", old_child_id=child_up["child_id"]), what="child_rekeyed")
    ctl("rekey", "--ike-id", str(ike_id))
    irk = ev.wait(kind("ike_rekeyed", old_ike_id=ike_id), what="ike_rekeyed")
    ike_id = irk["ike_id"]
    check(irk["sa"]["state"] == "established", "rekeyed sa %r" % irk["sa"])
    ctl("rekey", "--ike-id", "99999", want=3)

    # --- down: one CHILD_SA, then by remote address ----------------------------------
    out, _ = ctl("down", "home", "--child", "second")
    check("0 IKE_SA(s), 1 CHILD_SA(s)" in out, "down --child %r" % out)
    ev.wait(kind("child_down", child_name="second"), what="child_down second")
    left = a.call(IKE + "ListSAs", {"connection": "home"})["sas"]
    check(len(left) == 1 and [x["name"] for x in left[0]["children"]] == ["home"], "after down --child %r" % left)
    ctl("down", "home", "--remote", "10.80.0.99", want=3)
    ctl("down", "home", "--remote", "not-an-address", want=2)
    out, _ = ctl("down", "home", "--remote", ADDR_B)
    check("1 IKE_SA(s), 1 CHILD_SA(s)" in out, "down --remote %r" % out)
    down = ev.wait(kind("ike_down", ike_id=ike_id), what="ike_down")
    check(down["reason"] == "user", "reason %r" % down)
    check(rk["child_id"] in [e.get("child_id") for e in ev.seen if e["kind"] == "child_down"], "child_down of the rekeyed child")
    bdown = bev.wait(kind("ike_down", connection="resp"), what="B ike_down")
    check(bdown["reason"] == "peer-delete", "B reason %r" % bdown)
    check(a.call(IKE + "ListSAs")["sas"] == [], "no SAs left")

    # --- up without waiting, down by name, with the monitor connection ----------------
    out, _ = ctl("up", "home", "--no-wait")
    check("initiating" in out, "up --no-wait %r" % out)
    up2 = ev.wait(kind("ike_up", connection="home"), what="second ike_up")
    mon.send(IKE + "Terminate", {"connection": "home"})
    r = ev.reply()
    check(r["parameters"]["ike_sas"] == 1, "Terminate on the monitor %r" % r)
    ev.wait(kind("ike_down", ike_id=up2["ike_id"]), what="second ike_down")

    # --- replies in call order: a waiting Initiate holds back the next reply --------
    # (and the NHRP case: both addresses given explicitly)
    a.send(IKE + "Initiate", {"connection": "home", "local_address": ADDR_A, "remote_address": ADDR_B})
    a.send(IKE + "GetVersion")
    first = a.receive(15)
    second = a.receive(15)
    check(first["parameters"].get("established") is True and "version" in second["parameters"],
          "order: %r / %r" % (first, second))
    check(first["parameters"]["sa"]["local_address"] == ADDR_A, "local address %r" % first)
    a.call(IKE + "Terminate", {"ike_id": first["parameters"]["ike_id"]})

    # --- a wrong key, a peer that does not answer --------------------------------------
    a.call(IKE + "LoadConnection", {"name": "home-bad", "keys": {
        "remote": ADDR_B, "local-id": "a.test", "remote-id": "b.test", "local-ts": "10.81.1.0/24",
        "remote-ts": "10.81.2.0/24", "retransmit-tries": "2", "retransmit-timeout": "300ms"},
        "secret": "not-the-key"})
    _, err = ctl("up", "home-bad", want=1)
    check("home-bad" in err and "failed" in err, "wrong key: %r" % err)
    fail_ev = ev.wait(lambda e: e["kind"] == "ike_down" and e["connection"] == "home-bad", what="home-bad down")
    check(fail_ev["reason"] in ("auth-failed", "peer-delete", "protocol-error"), "reason %r" % fail_ev)
    name, p = a.error_of(IKE + "Initiate", {"connection": "home", "remote_address": "10.80.0.77",
                                            "timeout_ms": 500})
    check(name == IKE + "Timeout" and p["ike_id"] > 0, "Timeout %s %r" % (name, p))
    gone = ev.wait(kind("ike_down", ike_id=p["ike_id"]), timeout=30, what="unreachable peer given up")
    check(gone["reason"] == "peer-unreachable", "unreachable reason %r" % gone)
    name, p = a.error_of(IKE + "Initiate", {"connection": "home", "remote_address": "10.80.0.78"}, timeout=30)
    check(name == IKE + "InitiateFailed" and p["reason"] == "peer-unreachable", "InitiateFailed %s %r" % (name, p))
    _, err = ctl("up", "home", "--remote", "10.80.0.79", "--timeout", "0.3", want=1)
    check("timed out" in err, "up --timeout: %r" % err)

    # --- unload: its SAs go, the event says so ---------------------------------------------
    ctl("up", "home")
    ctl("unload", "home")
    ev.wait(kind("connection_unloaded", connection="home"), what="connection_unloaded")
    wait_for(lambda: not any(s["connection"] == "home" for s in a.call(IKE + "ListSAs")["sas"]), what="home gone")
    stats = a.call(IKE + "GetStats")
    check(stats["ike_sas_established_total"] >= 4 and stats["control_clients_dropped"] == 0, "stats %r" % stats)
    print("control_two_daemons: %d checks passed" % CHECKS)


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, VarlinkError, TimeoutError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
