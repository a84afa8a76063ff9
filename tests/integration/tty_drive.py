#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drive `sandbox run -t /bin/sh` through a host pseudo-terminal like a user at a keyboard.

Usage: tty_drive.py COMMAND... (the sandbox command line). Prints the transcript; exits 0
when every step saw what it expected, 1 otherwise (with the reason on stderr).
"""
import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

PROMPT = re.compile(rb"[#$] $")


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    pid, fd = pty.fork()
    if pid == 0:
        # The child's terminal starts 33x101 (set before exec through our stdin, the slave).
        set_size(0, 33, 101)
        # A known prompt, and no start-up file, whatever the caller's environment says.
        os.environ["PS1"] = "$ "
        os.environ.pop("ENV", None)
        os.execvp(sys.argv[1], sys.argv[1:])
    out = bytearray()

    def expect(pattern, timeout=10.0, since=0):
        end = time.time() + timeout
        while time.time() < end:
            if re.search(pattern, bytes(out[since:])):
                return True
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    break
                out.extend(data)
        return bool(re.search(pattern, bytes(out[since:])))

    def step(send, pattern, what, timeout=10.0, prompt=True):
        mark = len(out)
        os.write(fd, send)
        if not expect(pattern, timeout, mark):
            fail(what)
        # No typeahead: the next command goes after the prompt, as a user would type it.
        if prompt and not expect(PROMPT, timeout, mark):
            fail("no prompt after %r" % send)

    def fail(what):
        sys.stdout.write(out.decode(errors="replace"))
        sys.stderr.write("tty_drive: %s\n" % what)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.exit(1)

    if not expect(PROMPT):
        fail("no shell prompt")
    step(b"tty\n", rb"/dev/pts/0\r\n", "tty does not print /dev/pts/0")
    step(b"echo $((6*7))\n", rb"\r\n42\r\n", "echo $((6*7)) does not print 42")
    step(b"stty size\n", rb"\r\n33 101\r\n", "stty size does not show the host size")
    set_size(fd, 40, 120)  # the host terminal resizes: SIGWINCH -> TIOCSWINSZ in the guest
    time.sleep(0.6)
    step(b"stty size\n", rb"\r\n40 120\r\n", "a host resize does not reach the guest")
    step(b"cat\n", rb"cat\r\n", "no echo of cat", prompt=False)
    time.sleep(0.5)
    mark = len(out)
    t0 = time.time()
    os.write(fd, b"\x03")
    if not expect(PROMPT, 10, mark) or time.time() - t0 > 9:
        fail("^C does not interrupt cat")
    # Job control: ^Z stops the foreground job (SIGTSTP), fg continues it, ^C ends it.
    step(b"cat\n", rb"cat\r\n", "no echo of cat", prompt=False)
    time.sleep(0.5)
    step(b"\x1a", rb"Stopped", "^Z does not stop cat")
    step(b"fg\n", rb"fg\r\ncat\r\n", "fg does not resume cat", prompt=False)
    time.sleep(0.5)
    step(b"\x03", rb"\^C", "^C does not end the resumed cat")
    step(b"exit 3\n", rb"exit 3", "no echo of exit", prompt=False)
    expect(rb"\Z^", 10)  # read until EOF
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    print("\nstatus %d" % (os.waitstatus_to_exitcode(status)))
    if os.waitstatus_to_exitcode(status) != 3:
        sys.stderr.write("tty_drive: exit status %d, expected 3\n" % os.waitstatus_to_exitcode(status))
        sys.exit(1)
    # The sandbox restored its terminal (a master reports its slave's settings).
    lflag = termios.tcgetattr(fd)[3]
    if not (lflag & termios.ICANON and lflag & termios.ECHO):
        sys.stderr.write("tty_drive: the host terminal was left in raw mode\n")
        sys.exit(1)
    sys.exit(0)


main()
