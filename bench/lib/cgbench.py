"""cgbench: shared helpers for the bench scripts in bench/.

Network namespaces joined by a veth, background processes started and
stopped by PID only, and readings of a process's memory and CPU time from
/proc. Everything a bench creates is registered with a Cleanup and removed
on exit, on error and on SIGINT/SIGTERM alike.

Python 3 standard library only.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A bench cannot go on; the message says why."""


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, file=sys.stderr, flush=True)


def run(argv, check=True, **kwargs):
    """Runs a short command; on failure raises BenchError with its output."""
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kwargs)
    if check and proc.returncode != 0:
        raise BenchError("command failed (exit %d): %s\n%s"
                         % (proc.returncode, " ".join(argv), proc.stdout.strip()))
    return proc.stdout


def pid_alive(pid):
    """Running and not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def read_rss_kib(pid):
    """VmRSS of PID in KiB (from /proc/PID/status)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError("no VmRSS for pid %d" % pid)


def read_cpu_s(pid):
    """User + system CPU time of PID (all its threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3 of proc(5)): utime is field 14
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_for(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise BenchError("timed out after %.0f s waiting for %s" % (timeout_s, what))
        time.sleep(0.05)


class Cleanup:
    """Owns the temp dir, namespaces and processes of one bench run."""

    def __init__(self, name, keep_logs=False):
        self.keep_logs = keep_logs
        self.tmp = tempfile.mkdtemp(prefix="cygnet-bench-%s." % name)
        os.chmod(self.tmp, 0o755)
        self.run_id = "cgb%x" % (os.getpid() & 0xfffff)
        self.namespaces = []
        self.procs = []  # subprocess.Popen objects we started
        self.failed = False
        self._old_handlers = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.close()
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        return False

    def _on_signal(self, signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    # -- processes -----------------------------------------------------

    def spawn(self, argv, log_path=None, pipe_stdout=False, netns=None, cpu=None, nice=0):
        """Starts argv in the background in its own session (optionally
        inside namespace `netns`, pinned to CPU `cpu`, with niceness
        `nice`); stderr, and stdout unless piped (as text), go to
        log_path. Every wrapper execs the next, so the PID is the
        program's own."""
        full = list(argv)
        if nice:
            full = ["nice", "-n", str(nice)] + full
        if cpu is not None:
            full = ["taskset", "-c", str(cpu)] + full
        if netns is not None:
            full = ["ip", "netns", "exec", netns] + full
        with open(log_path or os.devnull, "ab") as log_file:
            proc = subprocess.Popen(full, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE if pipe_stdout else log_file,
                                    stderr=log_file, text=pipe_stdout,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM, timeout_s=5.0):
        """Signals one process we started and reaps it (SIGKILL after
        timeout_s). Returns its exit status."""
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                return proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
            except ProcessLookupError:
                pass
        return proc.wait()

    # -- namespaces ----------------------------------------------------

    def netns(self, suffix):
        name = "%s-%s" % (self.run_id, suffix)
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        return name

    def veth(self, ns1, if1, addr1, ns2, if2, addr2):
        """A veth between two namespaces, made directly inside them."""
        run(["ip", "link", "add", if1, "netns", ns1, "type", "veth",
             "peer", "name", if2, "netns", ns2])
        run(["ip", "-n", ns1, "addr", "add", addr1, "dev", if1])
        run(["ip", "-n", ns2, "addr", "add", addr2, "dev", if2])
        run(["ip", "-n", ns1, "link", "set", if1, "up"])
        run(["ip", "-n", ns2, "link", "set", if2, "up"])

    # -- the end -------------------------------------------------------

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                self.stop(proc, signal.SIGTERM, 3.0)
        # anything still living in our namespaces was started by us
        for ns in self.namespaces:
            pids = run(["ip", "netns", "pids", ns], check=False).split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        for ns in self.namespaces:
            run(["ip", "netns", "del", ns], check=False)
        self.namespaces = []
        if self.failed or self.keep_logs:
            log("logs kept in %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def pick_cpus():
    """(loadgen CPU, responder CPU): 0 and 1, or 0 and 0 on one CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        return cpus[0], cpus[1]
    log("warning: only one CPU: load generator and responder share it")
    return cpus[0], cpus[0]


def loadavg():
    """The 1, 5 and 15 minute load averages."""
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def median(values):
    s = sorted(values)
    if not s:
        return 0.0
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0
