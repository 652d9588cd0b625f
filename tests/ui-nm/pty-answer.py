#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and answers one prompt, as a person
at a terminal would: waits until the output matches PROMPT-REGEX, types
the first line of SECRET-FILE and Enter, then reads until the command ends.

    pty-answer.py SECRET-FILE PROMPT-REGEX TRANSCRIPT TIMEOUT_S CMD...

The terminal's output goes to TRANSCRIPT. Exit status: the command's, or
124 when TIMEOUT_S passes (the command is then killed), 125 when the
prompt never came.
"""
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    secret_file, prompt, transcript_path, timeout_s = sys.argv[1:5]
    argv = sys.argv[5:]
    with open(secret_file, encoding="utf-8") as f:
        secret = f.readline().rstrip("\n")
    prompt_re = re.compile(prompt.encode())
    deadline = time.monotonic() + float(timeout_s)

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)

    output = b""
    answered = False
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if not answered and prompt_re.search(output):
            answered = True
            os.write(fd, secret.encode() + b"\r")

    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    with open(transcript_path, "wb") as f:
        f.write(output)
    if timed_out:
        return 124
    if not answered:
        return 125
    return os.waitstatus_to_exitcode(status) & 0xFF


if __name__ == "__main__":
    sys.exit(main())
