#!/usr/bin/env python3
"""cygnetctl against a fake cygnetd whose replies are hostile: nesting
hidden in a comment (which json-glib reads and would recurse through) and
plain deep nesting. cygnetctl must refuse each reply with a clear message
and exit 1, never crash. No root needed: a Unix socket in a temp dir.

Usage: test-cygnetctl-bad-reply.py CYGNETCTL"""

import os
import socket
import subprocess
import sys
import tempfile
import threading

DEPTH = 100000
REPLIES = {
    "hidden in a comment": (b'{"parameters":{"a":1, /* ' + b"}" * DEPTH + b' */ "b":'
                            + b"[" * DEPTH + b"]" * DEPTH + b"}}"),
    "plain deep nesting": b'{"parameters":{"a":' + b"[" * DEPTH + b"]" * DEPTH + b"}}",
}


def serve_once(server, reply):
    conn, _ = server.accept()
    with conn:
        data = b""
        while b"\0" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        conn.sendall(reply + b"\0")


def main():
    cygnetctl = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="cygnetctl-bad-reply.") as tmp:
        for what, reply in REPLIES.items():
            path = os.path.join(tmp, "sock")
            if os.path.exists(path):
                os.remove(path)
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(path)
            server.listen(1)
            t = threading.Thread(target=serve_once, args=(server, reply), daemon=True)
            t.start()
            proc = subprocess.run([cygnetctl, "--socket", path, "version"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=30)
            t.join(5)
            server.close()
            err = proc.stderr.strip()
            print("%s: exit %d: %s" % (what, proc.returncode, err[:200]))
            if proc.returncode != 1 or "malformed reply from cygnetd" not in err:
                print("FAIL: %s: expected exit 1 and 'malformed reply from cygnetd'" % what)
                failures += 1
    print("FAIL" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
