#!/usr/bin/env python3
"""cygnetd, driven only through its control socket, against strongSwan.

A client loads the connection online (no configuration file anywhere),
starts a Monitor, initiates, and sees the full dump and then the pushed
events in order (auth, IKE up, CHILD up); a second client sees the SA in
its dump; strongSwan agrees; Terminate by name and by remote address each
bring the SA down on both sides.

Usage: control_strongswan.py SOCKET CYGNETCTL SS_DIR CG_ADDR SS_ADDR PSK
       IKE_PROPOSAL ESP_PROPOSAL LOCAL_TS REMOTE_TS
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cgvarlink import IKE, Client, VarlinkError, wait_for  # noqa: E402

(SOCK, CTL, SS_DIR, CG_ADDR, SS_ADDR, PSK, IKE_PROP, ESP_PROP, LOCAL_TS, REMOTE_TS) = sys.argv[1:11]
CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def ss_sas():
    """strongSwan's own view: `swanctl --list-sas --raw` lines."""
    env = dict(os.environ, STRONGSWAN_CONF=os.path.join(SS_DIR, "strongswan.conf"))
    p = subprocess.run(["swanctl", "--list-sas", "--noblock", "--uri",
                        "unix://" + os.path.join(SS_DIR, "charon.vici")],
                       capture_output=True, text=True, env=env, timeout=30)
    return p.stdout


def ss_established():
    out = ss_sas()
    return "ESTABLISHED" in out and "INSTALLED" in out


def ss_empty():
    return "ESTABLISHED" not in ss_sas()


def monitor_start(c, params=None):
    c.send(IKE + "Monitor", params or {}, more=True)
    sas = []
    while True:
        r = c.receive()
        check(r.get("continues") is True and "error" not in r, "monitor reply %r" % r)
        if r["parameters"].get("synced"):
            return sas
        sas.append(r["parameters"]["sa"])


def next_event(c, timeout=20.0):
    r = c.receive(timeout)
    check(r.get("continues") is True, "expected a Monitor reply: %r" % r)
    return r["parameters"]["event"]


def events_until(c, pred, timeout=20.0):
    got = []
    deadline = time.monotonic() + timeout
    while True:
        e = next_event(c, max(0.1, deadline - time.monotonic()))
        got.append(e)
        if pred(e):
            return got


def main():
    c = Client(SOCK)
    mon = Client(SOCK)
    check(monitor_start(mon) == [], "an empty dump first")

    c.call(IKE + "LoadConnection", {"name": "home", "secret": PSK, "keys": {
        "local": CG_ADDR, "remote": SS_ADDR, "local-id": "cg.test", "remote-id": "ss.test",
        "ike": IKE_PROP, "esp": ESP_PROP, "local-ts": LOCAL_TS, "remote-ts": REMOTE_TS,
        "retransmit-timeout": "500ms", "retransmit-tries": "3"}})
    check(next_event(mon)["kind"] == "connection_loaded", "connection_loaded first")

    # --- initiate and see it happen, in order -------------------------------------------
    t0 = time.time()
    r = c.call(IKE + "Initiate", {"connection": "home", "remote_address": SS_ADDR}, timeout=30)
    check(r["established"] is True and r["sa"]["state"] == "established", "Initiate %r" % r)
    ike_id = r["ike_id"]
    evs = events_until(mon, lambda e: e["kind"] == "child_up")
    kinds = [e["kind"] for e in evs]
    check(kinds == ["auth", "ike_up", "child_up"], "events in order: %r" % kinds)
    check(all(e["ike_id"] == ike_id and e["connection"] == "home" for e in evs), "ids %r" % evs)
    check(all(t0 - 1 < e["time_us"] / 1e6 < time.time() + 1 for e in evs), "event times")
    sa = evs[1]["sa"]
    check(sa["local_address"] == CG_ADDR and sa["remote_address"] == SS_ADDR, "addresses %r" % sa)
    check(sa["remote_id"] == "ss.test" and sa["remote_auth"] == "psk", "peer %r" % sa)
    check(sa["proposal"] == IKE_PROP, "proposal %r vs %r" % (sa["proposal"], IKE_PROP))
    # the certificate field appears once certificate authentication exists;
    # with PSK there is none
    check("peer_certificate" not in sa, "no certificate with PSK")
    child = evs[2]["sa"]["children"][0]
    check(child["local_ts"] == [LOCAL_TS] and child["remote_ts"] == [REMOTE_TS], "TS %r" % child)
    check(child["proposal"].startswith(ESP_PROP), "ESP %r" % child)
    wait_for(ss_established, what="strongSwan ESTABLISHED/INSTALLED")
    out = ss_sas()
    check(child["spi_in"] in out and child["spi_out"] in out, "strongSwan shows the SPIs:\n" + out)

    # a client that (re)starts gets the full state
    late = Client(SOCK)
    dump = monitor_start(late)
    check(len(dump) == 1 and dump[0]["id"] == ike_id and dump[0]["children"][0]["spi_in"] == child["spi_in"],
          "dump %r" % dump)
    late.close()

    # --- terminate by name (cygnetctl) ---------------------------------------------------
    p = subprocess.run([CTL, "--socket", SOCK, "down", "home"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and "1 IKE_SA(s)" in p.stdout, "cygnetctl down: %r %r" % (p.stdout, p.stderr))
    evs = events_until(mon, lambda e: e["kind"] == "ike_down")
    check([e["kind"] for e in evs] == ["child_down", "ike_down"] and evs[-1]["reason"] == "user", "%r" % evs)
    wait_for(ss_empty, what="strongSwan: no IKE_SA after terminate by name")

    # --- again, with cygnetctl up; terminate by remote address (API) ------------------------
    p = subprocess.run([CTL, "--socket", SOCK, "--json", "up", "home"], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 0, "cygnetctl up: %r" % p.stderr)
    ike_id = json.loads(p.stdout)["ike_id"]
    evs = events_until(mon, lambda e: e["kind"] == "child_up")
    check([e["kind"] for e in evs] == ["auth", "ike_up", "child_up"], "second up %r" % evs)
    wait_for(ss_established, what="strongSwan established again")
    check(c.call(IKE + "Terminate", {"connection": "home", "remote_address": "10.70.0.99"})
          == {"ike_sas": 0, "child_sas": 0}, "another address matches nothing")
    r = c.call(IKE + "Terminate", {"connection": "home", "remote_address": SS_ADDR}, timeout=30)
    check(r == {"ike_sas": 1, "child_sas": 1}, "Terminate by address %r" % r)
    evs = events_until(mon, lambda e: e["kind"] == "ike_down")
    check(evs[-1]["ike_id"] == ike_id and evs[-1]["reason"] == "user", "down %r" % evs)
    wait_for(ss_empty, what="strongSwan: no IKE_SA after terminate by address")
    check(c.call(IKE + "ListSAs")["sas"] == [], "no SAs left")
    print("control_strongswan: %d checks passed" % CHECKS)


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, VarlinkError, TimeoutError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
