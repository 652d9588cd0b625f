"""A Varlink client written with the Python standard library alone.

It proves that the control socket speaks plain Varlink: JSON objects
ended by a NUL byte over a Unix stream socket, method calls
{"method", "parameters", "more", "oneway"} and replies {"parameters",
"continues", "error"} -- nothing cygnet-specific.

    c = Client("/run/cygnet/cygnetd.sock")
    print(c.call("io.cygnet.Ike.GetVersion"))
    for reply in c.stream("io.cygnet.Ike.Monitor"):
        ...
"""
import json
import select
import socket
import time

IKE = "io.cygnet.Ike."
SERVICE = "org.varlink.service."


class VarlinkError(Exception):
    def __init__(self, error, parameters):
        super().__init__("%s %s" % (error, json.dumps(parameters)))
        self.error = error
        self.parameters = parameters


class Closed(Exception):
    """The server closed the connection."""


class Client:
    def __init__(self, path, timeout=10.0):
        self.path = path
        self.timeout = timeout
        self.buf = b""
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            try:
                self.sock.connect(path)
                return
            except BlockingIOError:
                # the listen backlog is full: the server accepts soon
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self):
        self.sock.close()

    def fileno(self):
        return self.sock.fileno()

    # -- sending ---------------------------------------------------------
    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, method, parameters=None, more=False, oneway=False, extra=None):
        msg = {"method": method}
        if parameters is not None:
            msg["parameters"] = parameters
        if more:
            msg["more"] = True
        if oneway:
            msg["oneway"] = True
        if extra:
            msg.update(extra)
        self.send_raw(json.dumps(msg).encode() + b"\0")

    # -- receiving ---------------------------------------------------------
    def has_message(self):
        return b"\0" in self.buf

    def fill(self, timeout):
        """Reads what is there within timeout seconds; False on timeout."""
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return False
        data = self.sock.recv(1 << 16)
        if not data:
            raise Closed("the server closed the connection")
        self.buf += data
        return True

    def receive(self, timeout=None):
        """The next whole reply message as a dict (with 'parameters',
        maybe 'error' and 'continues')."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.fill(left):
                raise TimeoutError("no reply within %.1fs" % (self.timeout if timeout is None else timeout))
        raw, self.buf = self.buf.split(b"\0", 1)
        reply = json.loads(raw)
        if not isinstance(reply, dict):
            raise ValueError("a reply that is not an object: %r" % raw)
        return reply

    def receive_result(self, timeout=None):
        reply = self.receive(timeout)
        if "error" in reply:
            raise VarlinkError(reply["error"], reply.get("parameters", {}))
        return reply

    def call(self, method, parameters=None, timeout=None):
        """A plain call: its reply parameters, or VarlinkError."""
        self.send(method, parameters)
        return self.receive_result(timeout).get("parameters", {})

    def error_of(self, method, parameters=None, timeout=None):
        """The (error, parameters) a call fails with; fails if it succeeds."""
        try:
            self.call(method, parameters, timeout)
        except VarlinkError as e:
            return e.error, e.parameters
        raise AssertionError("%s %r succeeded, expected an error" % (method, parameters))

    def stream(self, method, parameters=None, timeout=None):
        """Replies of a 'more' call, until one without continues."""
        self.send(method, parameters, more=True)
        while True:
            reply = self.receive_result(timeout)
            yield reply.get("parameters", {})
            if not reply.get("continues"):
                return


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timeout after %.1fs waiting for %s" % (timeout, what))
