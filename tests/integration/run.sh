#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration checks of `$BIN/sandbox run` on real programs, for each platform in $PLATFORMS.
# Env: BIN (default bin), BUILD (default build), PLATFORMS (default "ptrace systrap"),
#      TIMEOUT seconds per command (default 60), BUSYBOX (default: busybox on PATH).
# Adding a check: write check_NAME (uses $P, calls pass/fail) and add NAME to CHECKS.
# CHECKS="a b" in the environment runs only those.
set -u

BIN=${BIN:-bin}
BUILD=${BUILD:-build}
PLATFORMS=${PLATFORMS:-ptrace systrap}
TIMEOUT=${TIMEOUT:-60}
SANDBOX="$BIN/sandbox"
TIMEOUT_BIN=$(command -v timeout) # absolute: some checks run with a different $PATH
HERE=$(cd "$(dirname "$0")" && pwd)
PROGS="$BUILD/tests/integration"
REAPER="$PROGS/subreaper"
BUSYBOX=${BUSYBOX:-$(command -v busybox || echo /bin/busybox)}

CHECKS=${CHECKS:-"echo true false sh alloc256 segv abort not_elf missing wrong_arch strace
	stdin bigout args env path_lookup debug_log exit_status kill_sandbox
	hostroot_cat hostroot_ls hostroot_dynamic hostroot_cwd hostroot_erofs hostroot_tmp
	hostroot_python hostroot_python_unix unix_isolation escape_calls escape_stubjump
	proc_fork_exec proc_env_exec proc_script proc_orphan proc_exec_errors
	host_sigterm host_sigint host_sigint_group
	overlay_etc overlay_host_untouched overlay_ls_la overlay_python volume_rw volume_ro
	run_cwd run_env run_rootfs run_bad_flags guest_mount
	timers_exec python_multiprocessing sqlite_wal volume_mmap volume_donated_io
	volume_donated_ro
	procfs_ps procfs_free procfs_nproc procfs_status procfs_python
	procfs_python_mem procfs_pmap procfs_hostname procfs_procps
	tty_shell tty_pipe
	files_find files_find_usr dcache_evict files_sha256 files_cp_r files_shell_redirect escape_symlinks
	shell_pipeline build_make_gcc python_threads fs_nodes_xattrs
	confined confined_nosandbox confined_tstp"}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
P=
NAME=

# pass: PASS, unless the last sandbox run left processes behind (see sbx).
pass() {
	if [ -s "$tmp/left" ]; then
		fail "processes left behind after the sandbox exited" "$tmp/left"
		return
	fi
	echo "PASS $NAME [$P]"
	pass=$((pass + 1))
}
fail() { # fail REASON [FILE...]
	echo "FAIL $NAME [$P]: $1"
	fail=$((fail + 1))
	shift
	local f
	for f in "$@"; do
		[ -s "$f" ] && { echo "    --- $(basename "$f"):"; head -n 20 "$f" | sed 's/^/    /'; }
	done
	return 0
}

# sbx ARGS...: run the sandbox on the current platform; stdout -> $tmp/out, stderr -> $tmp/err,
# status -> $RC. Extra sandbox flags go before the program, e.g. sbx --strace prog.
# stdin is $SBX_STDIN (default /dev/null); SBX_WRAP=(cmd args) runs the sandbox under a wrapper
# such as `env -i`. The sandbox runs under progs/subreaper, which catches every process it
# leaves behind (stubs renamed "[sandbox]" included) into $tmp/left; pass() fails on those.
SBX_WRAP=()
sbx() {
	local flags=()
	while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do
		flags+=("$1")
		shift
	done
	rm -f "$tmp/left"
	"$REAPER" "$tmp/left" "${SBX_WRAP[@]}" "$TIMEOUT_BIN" -k 5 "$TIMEOUT" \
		"$SANDBOX" run --platform="$P" "${flags[@]}" "$@" \
		<"${SBX_STDIN:-/dev/null}" >"$tmp/out" 2>"$tmp/err"
	RC=$?
}

# expect STATUS [STDOUT]: check the last sbx run.
expect() {
	local want_rc=$1
	if [ "$RC" -ne "$want_rc" ]; then
		fail "exit $RC, expected $want_rc" "$tmp/out" "$tmp/err"
	elif [ $# -ge 2 ] && [ "$(cat "$tmp/out")" != "$2" ]; then
		printf '%s\n' "$2" >"$tmp/want"
		diff -u --label expected --label got "$tmp/want" "$tmp/out" >"$tmp/diff"
		fail "stdout differs" "$tmp/diff" "$tmp/err"
	else
		pass
	fi
}

# expect_error STATUS: exit status STATUS, no stdout, exactly one line on stderr.
expect_error() {
	local lines
	lines=$(wc -l <"$tmp/err")
	if [ "$RC" -ne "$1" ]; then
		fail "exit $RC, expected $1" "$tmp/out" "$tmp/err"
	elif [ "$lines" -ne 1 ]; then
		fail "$lines stderr lines, expected exactly 1" "$tmp/err"
	elif [ -s "$tmp/out" ]; then
		fail "unexpected stdout" "$tmp/out"
	else
		pass
	fi
}

check_echo() { sbx "$BUSYBOX" echo hello; expect 0 hello; }
check_true() { sbx "$BUSYBOX" true; expect 0 ""; }
check_false() { sbx "$BUSYBOX" false; expect 1 ""; }
check_sh() { sbx "$BUSYBOX" sh -c 'echo $((6*7)); exit 3'; expect 3 42; }

check_alloc256() {
	local native
	native=$("$PROGS/alloc256" </dev/null)
	sbx "$PROGS/alloc256"
	expect 0 "$native"
}


# A guest killed by SIGSEGV: 139, and (as for every check, see sbx) no process left behind.
check_segv() { sbx "$PROGS/segv"; expect 139 "segv: about to fault"; }

check_abort() { sbx "$PROGS/abort"; expect 134 "abort: calling abort"; }

check_not_elf() {
	printf 'this is not an ELF file\n' >"$tmp/notelf"
	chmod +x "$tmp/notelf"
	sbx "$tmp/notelf"
	expect_error 126
}

check_missing() { sbx "$tmp/does-not-exist"; expect_error 127; }

check_wrong_arch() {
	cp "$PROGS/abort" "$tmp/aarch64"
	# e_machine (offset 18, 2 bytes little endian) = 183 (EM_AARCH64)
	printf '\267\000' | dd of="$tmp/aarch64" bs=1 seek=18 conv=notrunc status=none
	chmod +x "$tmp/aarch64"
	sbx "$tmp/aarch64"
	expect_error 126
}

check_strace() {
	sbx --strace "$BUSYBOX" echo hello
	if [ "$RC" -ne 0 ] || [ "$(cat "$tmp/out")" != hello ]; then
		fail "exit $RC / stdout wrong" "$tmp/out" "$tmp/err"
	elif ! grep -q 'write(' "$tmp/err"; then
		fail "no write( line on stderr" "$tmp/err"
	elif ! grep -q 'exit_group(' "$tmp/err"; then
		fail "no exit_group( line on stderr" "$tmp/err"
	else
		pass
	fi
}

check_stdin() {
	printf 'line one\nline two\n' >"$tmp/in"
	SBX_STDIN="$tmp/in" sbx "$BUSYBOX" cat
	expect 0 "$(cat "$tmp/in")"
}

# 100000 lines (~600 KB) through stdout: no short or lost writes.
check_bigout() {
	local want got
	want=$("$BUSYBOX" seq 1 100000 | cksum)
	sbx "$BUSYBOX" seq 1 100000
	got=$(cksum <"$tmp/out")
	if [ "$RC" -ne 0 ]; then
		fail "exit $RC, expected 0" "$tmp/err"
	elif [ "$got" != "$want" ]; then
		fail "output differs from native (cksum $got, want $want)" "$tmp/err"
	else
		pass
	fi
}

# argv is passed unchanged: spaces, an empty argument, a leading dash.
check_args() { sbx "$BUSYBOX" echo "a  b" "" -c; expect 0 "a  b  -c"; }

# The guest gets the caller's environment, and only that.
check_env() {
	SBX_WRAP=(env -i SBX_TEST=yes)
	sbx "$BUSYBOX" env
	SBX_WRAP=()
	expect 0 "SBX_TEST=yes"
}

# A bare program name is looked up in $PATH.
check_path_lookup() {
	mkdir -p "$tmp/pathdir"
	ln -sf "$BUSYBOX" "$tmp/pathdir/busybox"
	SBX_WRAP=(env PATH="$tmp/pathdir")
	sbx busybox echo via-path
	SBX_WRAP=()
	expect 0 via-path
}

check_debug_log() {
	rm -f "$tmp/debug.log"
	sbx --debug-log="$tmp/debug.log" "$BUSYBOX" true
	if [ "$RC" -ne 0 ]; then
		fail "exit $RC, expected 0" "$tmp/err"
	elif [ ! -s "$tmp/debug.log" ]; then
		fail "--debug-log file missing or empty"
	else
		pass
	fi
}

# native_status CMD...: exit status of CMD run natively, without the shell's "Segmentation
# fault" style report on stderr.
native_status() {
	bash -c '"$@" </dev/null >/dev/null 2>&1; echo $?' native "$@" 2>/dev/null
}

# Every way of dying gives the same status as natively (exit codes mod 256, 128+signal for
# kill/tgkill, faults, traps and illegal instructions; ignored signals do nothing).
DIE_MODES="exit259 exit255 term kill usr1 chld ign ro ud2 int3 div0 hlt exec_nx stack"
check_exit_status() {
	local m native bad=
	for m in $DIE_MODES; do
		native=$(native_status "$PROGS/die" "$m")
		sbx "$PROGS/die" "$m"
		[ "$RC" -ne "$native" ] && bad="$bad $m(native $native, sandbox $RC)"
	done
	if [ -n "$bad" ]; then
		fail "status differs:$bad" "$tmp/err"
	else
		pass
	fi
}

# SIGKILL to the sandbox while the guest sleeps: the sandbox dies (137) and takes every
# process it started with it (the subreaper kills it after 500 ms, then collects leftovers).
check_kill_sandbox() {
	rm -f "$tmp/left"
	SUBREAPER_KILL_MS=500 "$REAPER" "$tmp/left" "$SANDBOX" run --platform="$P" \
		"$PROGS/die" sleep </dev/null >"$tmp/out" 2>"$tmp/err"
	RC=$?
	expect 137 ""
}

# Host signals to the sandbox reach the guest: SIGTERM to init (a shell trap runs), SIGINT
# to init's process group. The guest says "ready" once it can take the signal.
host_signal() { # host_signal SIG SCRIPT
	rm -f "$tmp/out"
	# Not under timeout(1), which signals its whole process group: the sandbox alone.
	"$SANDBOX" run --platform="$P" "$BUSYBOX" sh -c "$2" </dev/null >"$tmp/out" 2>"$tmp/err" &
	local pid=$! i
	for i in $(seq 100); do
		grep -q ready "$tmp/out" 2>/dev/null && break
		sleep 0.05
	done
	kill -"$1" "$pid"
	( sleep "$TIMEOUT"; kill -KILL "$pid" 2>/dev/null ) &
	local watchdog=$!
	wait "$pid"
	RC=$?
	kill "$watchdog" 2>/dev/null
	rm -f "$tmp/left"
}
check_host_sigterm() {
	host_signal TERM 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do :; done'
	expect 3 "ready
got TERM"
}
check_host_sigint() {
	host_signal INT 'echo ready; while :; do :; done'
	expect 130 "ready"
}

# Ctrl-C signals the whole process group: the sandbox, its stubs and the gofer. Only the
# guest may see it (stubs and gofer live in sessions of their own).
check_host_sigint_group() {
	rm -f "$tmp/left"
	"$REAPER" "$tmp/left" "$TIMEOUT_BIN" --preserve-status -s INT 2 \
		"$SANDBOX" run --platform="$P" --host-root /bin/sh -c 'echo ready; while :; do :; done' \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	RC=$?
	expect 130 "ready"
}

# --host-root: the host's / read-only through the gofer, tmpfs on /tmp. Dynamic programs
# run under `env -i` so the host's environment does not steer them.
hostroot() { # hostroot ARGS...: sbx --host-root under env -i
	SBX_WRAP=(env -i)
	sbx --host-root "$@"
	SBX_WRAP=()
}

check_hostroot_cat() { hostroot /bin/cat /etc/os-release; expect 0 "$(cat /etc/os-release)"; }

check_hostroot_ls() {
	hostroot /bin/ls /etc
	local want got
	want=$(env -i ls /etc | wc -l)
	got=$(wc -l <"$tmp/out")
	if [ "$RC" -ne 0 ]; then
		fail "exit $RC, expected 0" "$tmp/err"
	elif [ "$got" -ne "$want" ]; then
		fail "ls /etc: $got lines, native $want" "$tmp/out"
	else
		expect 0 "$(env -i ls /etc)"
	fi
}

# ---- files through the gofer: the same answers as natively ----

check_files_find() {
	hostroot /usr/bin/find /usr/include
	local want
	want=$(find /usr/include | wc -l)
	if [ "$RC" -ne 0 ]; then
		fail "exit $RC" "$tmp/err"
	elif [ "$(wc -l <"$tmp/out")" -ne "$want" ]; then
		fail "find /usr/include: $(wc -l <"$tmp/out") entries, native $want"
	else
		pass
	fi
}

# All of /usr (about 160k names, more than the gofer may hold fds for): the dentry cache must
# drop unused names as the walk goes on.
check_files_find_usr() {
	hostroot /usr/bin/find /usr
	local want
	want=$(find /usr | wc -l)
	if [ "$RC" -ne 0 ]; then
		fail "exit $RC" "$tmp/err"
	elif [ "$(wc -l <"$tmp/out")" -ne "$want" ]; then
		fail "find /usr: $(wc -l <"$tmp/out") entries, native $want" "$tmp/err"
	else
		pass
	fi
}

# With a tiny dentry cache, names are dropped and walked again all the time: inode numbers,
# modes, sizes and link targets still read as natively (st_ino is the host's, through the
# overlay), and what the guest changed survives eviction: a whiteout, a copied-up file and
# its st_ino, new files in lower directories, a rw volume's file, an open fd and the cwd.
check_dcache_evict() {
	local d want
	d=$(mktemp -d /var/tmp/sbx-dc.XXXXXX)
	echo vol >"$d/v"
	want=$(cd /usr/share && find doc -printf '%i %m %s %l %p\n' | sort | cksum)
	hostroot --dentry-cache=16 -v "$d:/vol" /bin/sh -c '
		set -e
		cd /usr/share && find doc -printf "%i %m %s %l %p\n" | sort | cksum
		rm /etc/hostname; echo up >>/etc/os-release; i1=$(stat -c %i /etc/os-release)
		echo new >/usr/share/doc/sbx-new; echo more >>/vol/v
		exec 3</etc/passwd; cd /usr/share/doc
		find /usr/lib /usr/share >/dev/null
		test ! -e /etc/hostname; tail -n 1 /etc/os-release; cat /usr/share/doc/sbx-new
		test "$(stat -c %i /etc/os-release)" = "$i1"; cat /vol/v; pwd; head -c 4 <&3; echo
		ls -d "$PWD"/sbx-new'
	expect 0 "$(printf '%s\nup\nnew\nvol\nmore\n/usr/share/doc\n%s\n/usr/share/doc/sbx-new' \
		"$want" "$(head -c 4 /etc/passwd)")"
	rm -rf "$d"
}

# A 100 MiB host file (in a volume, so the checkout's place does not matter) hashed inside.
check_files_sha256() {
	local d
	d=$(mktemp -d /var/tmp/sbx-sha.XXXXXX)
	head -c 104857600 /dev/urandom >"$d/big"
	hostroot -v "$d:/data:ro" /usr/bin/sha256sum /data/big
	expect 0 "$(cd "$d" && sha256sum big | sed 's| big$| /data/big|')"
	rm -rf "$d"
}

# cp -r of a host tree into the overlay, compared inside; then into a rw volume, compared
# on the host.
check_files_cp_r() {
	local d
	d=$(mktemp -d /var/tmp/sbx-cp.XXXXXX)
	hostroot -v "$d:/out" /bin/sh -c 'cp -r /usr/include/linux /etc/linux-copy &&
diff -r /usr/include/linux /etc/linux-copy && cp -r /usr/include/linux /out/ && echo copied'
	if [ "$RC" -eq 0 ] && ! diff -r /usr/include/linux "$d/linux" >/dev/null; then
		fail "the copy in the volume differs from the original"
	else
		expect 0 copied
	fi
	rm -rf "$d"
}

check_files_shell_redirect() {
	hostroot /bin/sh -c 'cd /tmp && echo one >f && echo two >>f && cat <f | wc -l >n &&
exec 3<f && read -r first <&3 && echo "$first $(cat n)" && { echo err >&2; } 2>/dev/null'
	expect 0 "one 2"
}

# Escapes through the VFS: symlinks and .. out of a bind mount, /proc/self/root, /proc
# fd links of gofer files. The secret lives under the host's /tmp, which the guest cannot
# see (its /tmp is its own): only a gofer following a link on the host would reach it.
check_escape_symlinks() {
	local d o
	d=$(mktemp -d /var/tmp/sbx-esc.XXXXXX)
	o=$(mktemp -d)
	echo secret >"$o/outside"
	mkdir "$d/vol"
	ln -s "$o/outside" "$d/vol/abs"
	ln -s "../../../..$o/outside" "$d/vol/up"
	hostroot -v "$d/vol:/vol:ro" /bin/sh -c '
cat /vol/up 2>/dev/null && echo LEAK-up
cat /vol/abs 2>/dev/null && echo LEAK-abs
cat /proc/self/root/vol/abs 2>/dev/null && echo LEAK-procroot
exec 3</vol; cat /proc/self/fd/3/abs 2>/dev/null && echo LEAK-fd
echo x >/vol/new 2>/dev/null && echo LEAK-write
echo done'
	if grep -q LEAK "$tmp/out" || [ -e "$d/vol/new" ] || [ "$(cat "$o/outside")" != secret ]; then
		fail "an escape worked" "$tmp/out"
	else
		expect 0 done
	fi
	rm -rf "$d" "$o"
}

# A dynamically linked program: its PT_INTERP and libraries come through the gofer.
check_hostroot_dynamic() { hostroot /bin/echo dynamic ok; expect 0 "dynamic ok"; }

# The guest starts in the caller's cwd when the guest can see it; under /tmp (the guest's own
# tmpfs) it cannot, and the guest starts in /.
check_hostroot_cwd() {
	local want=$PWD
	case "$PWD/" in /tmp/*) want=/ ;; esac
	hostroot "$BUSYBOX" pwd
	expect 0 "$want"
}

# Writes to the read-only host root fail (EROFS) and leave the host unchanged.
check_hostroot_erofs() {
	local name="/etc/sbx-erofs-$$" before after
	before=$(cksum </etc/os-release)
	SBX_WRAP=(env -i); sbx --readonly "$BUSYBOX" touch "$name"
	local rc1=$RC
	sbx --readonly "$BUSYBOX" sh -c 'echo x >>/etc/os-release'; SBX_WRAP=()
	local rc2=$RC
	after=$(cksum </etc/os-release)
	if [ "$rc1" -eq 0 ] || [ "$rc2" -eq 0 ]; then
		fail "a write to /etc succeeded (touch $rc1, append $rc2)" "$tmp/err"
	elif [ -e "$name" ] || [ "$before" != "$after" ]; then
		rm -f "$name"
		fail "the host's /etc changed"
	elif ! grep -q 'Read-only file system' "$tmp/err"; then
		fail "no EROFS message" "$tmp/err"
	else
		pass
	fi
}

# /tmp is the guest's own tmpfs: writable inside, invisible on the host.
check_hostroot_tmp() {
	local name="/tmp/sbx-tmp-probe-$$"
	rm -f "$name"
	hostroot "$BUSYBOX" sh -c "echo hi >$name && test -s $name && echo written"
	if [ -e "$name" ]; then
		rm -f "$name"
		fail "$name appeared on the host"
	else
		expect 0 written
	fi
}

# python3 from the host's files: dynamic loading, json, sqlite3 in the guest's /tmp.
check_hostroot_python() {
	if [ ! -x /usr/bin/python3 ]; then
		fail "python3 is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	sbx --host-root /usr/bin/python3 -c 'import json, sqlite3
db = sqlite3.connect("/tmp/t.db"); db.execute("create table t (x)"); db.execute("insert into t values (41)")
print(json.dumps({"ok": db.execute("select x + 1 from t").fetchone()[0]}))'
	expect 0 '{"ok": 42}'
}

# AF_UNIX sockets inside the Sentry: socket.socketpair, then a multiprocessing.connection
# Listener/Client pair (pickled messages) over a path in /tmp between forked processes.
check_hostroot_python_unix() {
	if [ ! -x /usr/bin/python3 ]; then
		fail "python3 is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	sbx --host-root /usr/bin/python3 -c 'import os, socket
from multiprocessing.connection import Listener, Client
a, b = socket.socketpair()
a.sendall(b"pair"); print(b.recv(10).decode())
with Listener("/tmp/mp.sock", family="AF_UNIX") as l:
    pid = os.fork()
    if pid == 0:
        c = Client("/tmp/mp.sock", family="AF_UNIX"); c.send({"n": 41}); print("child got", c.recv()); os._exit(0)
    conn = l.accept(); conn.send(conn.recv()["n"] + 1); conn.close()
    print("child status", os.waitpid(pid, 0)[1])
print("unlinked", not os.path.exists("/tmp/mp.sock"))'
	expect 0 "$(printf 'pair\nchild got 42\nchild status 0\nunlinked True')"
}

# Unix sockets never reach the host: an abstract name a host process listens on is neither
# reachable from the guest nor taken in the guest's namespace.
check_unix_isolation() {
	if [ ! -x /usr/bin/python3 ]; then
		fail "python3 is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	local name="sbx-iso-$$-$P"
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind("\0" + sys.argv[1]); s.listen(1)
print("up", flush=True); time.sleep(30)' "$name" >"$tmp/host_listener" &
	local hp=$!
	local i
	for i in $(seq 50); do grep -q up "$tmp/host_listener" 2>/dev/null && break; sleep 0.1; done
	if ! grep -q up "$tmp/host_listener"; then
		kill "$hp" 2>/dev/null
		fail "the host listener did not start"
		return
	fi
	sbx --host-root /usr/bin/python3 -c 'import socket, sys
c = socket.socket(socket.AF_UNIX)
try:
    c.connect("\0" + sys.argv[1]); print("reached the host")
except ConnectionRefusedError:
    print("refused")
s = socket.socket(socket.AF_UNIX); s.bind("\0" + sys.argv[1]); print("bound")' "$name"
	kill "$hp" 2>/dev/null
	wait "$hp" 2>/dev/null
	expect 0 "$(printf 'refused\nbound')"
}

# multiprocessing (fork) with a Lock (a POSIX semaphore: MAP_SHARED of a /dev/shm file) and
# a Value (a shared file mapping) across three processes. Python's heap statvfs()s /dev/shm
# first (statfs). Also a Pool and a Queue (a feeder thread, pipes, semaphores).
check_python_multiprocessing() {
	if [ ! -x /usr/bin/python3 ]; then
		fail "python3 is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	sbx --host-root /usr/bin/python3 -c 'import multiprocessing as mp, multiprocessing.heap as h
def work(lock, val):
    for _ in range(100):
        with lock:
            val.value += 1
mp.set_start_method("fork")
lock, val = mp.Lock(), mp.Value("i", 0)
ps = [mp.Process(target=work, args=(lock, val)) for _ in range(3)]
for p in ps: p.start()
for p in ps: p.join()
print(val.value, [p.exitcode for p in ps])
with mp.Pool(2) as pool: print(sum(pool.map(abs, range(-50, 50))))
q = mp.Queue(); p = mp.Process(target=q.put, args=("queued",)); p.start(); print(q.get()); p.join()'
	expect 0 "300 [0, 0, 0]
2500
queued"
}

# sqlite in WAL mode: its -shm index is a MAP_SHARED mapping of a file in /tmp.
check_sqlite_wal() {
	if [ ! -x /usr/bin/python3 ]; then
		fail "python3 is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	sbx --host-root /usr/bin/python3 -c 'import sqlite3
db = sqlite3.connect("/tmp/w.db")
print(db.execute("pragma journal_mode=wal").fetchone()[0])
db.execute("create table t (x)"); db.executemany("insert into t values (?)", [(i,) for i in range(1000)]); db.commit()
db2 = sqlite3.connect("/tmp/w.db")
print(db2.execute("select count(*), sum(x) from t").fetchone())'
	expect 0 "wal
(1000, 499500)"
}

# MAP_SHARED of a host file through the gofer: msync writes back (read(2) then sees it),
# write(2) reaches the mapping, munmap writes back the rest.
check_volume_mmap() {
	local d
	if [ ! -x /usr/bin/python3 ]; then
		fail "python3 is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	d=$(mktemp -d)
	printf aaaaaaaaaa >"$d/f"
	hostroot -v "$d:/mnt/vol" /usr/bin/python3 -c 'import mmap, os
fd = os.open("/mnt/vol/f", os.O_RDWR)
m = mmap.mmap(fd, 10)
m[0:3] = b"XYZ"
m.flush()
print(os.pread(fd, 10, 0).decode())
os.pwrite(fd, b"Q", 9)
print(m[:10].decode())
m[5:6] = b"M"
m.close()'
	if [ "$(cat "$d/f")" != XYZaaMaaaQ ]; then
		fail "the host file has $(cat "$d/f")" "$tmp/err"
	else
		expect 0 "XYZaaaaaaa
XYZaaaaaaQ"
	fi
	rm -rf "$d"
}

# File I/O on a rw volume, where the gofer donates its host fds: read/write/append/truncate/
# pread past EOF/readv/writev/MAP_SHARED/large transfers print the same as natively, the
# host file ends up identical, and the guest sees only its own fds.
check_volume_donated_io() {
	local d n
	d=$(mktemp -d)
	n=$(mktemp -d)
	"$PROGS/donated_io" "$n" >"$tmp/native" 2>&1
	hostroot -v "$d:/mnt/vol" "$PROGS/donated_io" /mnt/vol
	if ! cmp -s "$d/f" "$n/f"; then
		fail "the host file differs from the native run's" "$tmp/err"
	else
		expect 0 "$(cat "$tmp/native")"
	fi
	rm -rf "$d" "$n"
}

# The same on a read-only volume: the only fds the gofer hands out are read-only.
check_volume_donated_ro() {
	local d
	d=$(mktemp -d)
	printf 'ro data' >"$d/ro.txt"
	hostroot -v "$d:/mnt/vol:ro" "$PROGS/donated_io" /mnt/vol ro
	expect 0 "open rdwr = -1 Read-only file system
open trunc = -1 Read-only file system
open rdonly = 0
pread = 7
data [ro data]
write = -1 Bad file descriptor
pread past eof = 0
mmap shared rw = -1 Permission denied
mmap shared ro = 0
mapped [ro data]"
	[ "$(cat "$d/ro.txt")" = "ro data" ] || fail "the read-only file changed"
	rm -rf "$d"
}

# `run -t`: a shell on the Sentry's pty, driven through a host pty (tty_drive.py): tty is
# /dev/pts/0, arithmetic, the host window size and a resize, ^C kills the foreground job,
# ^Z stops it and fg resumes it, the exit status comes back and the host terminal leaves
# raw mode.
check_tty_shell() {
	if [ ! -x /usr/bin/python3 ]; then
		fail "python3 is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	rm -f "$tmp/left"
	"$REAPER" "$tmp/left" /usr/bin/python3 "$HERE/tty_drive.py" "$TIMEOUT_BIN" -k 5 "$TIMEOUT" \
		"$SANDBOX" run --platform="$P" --host-root -t /bin/sh </dev/null >"$tmp/out" 2>"$tmp/err"
	RC=$?
	if [ "$RC" -ne 0 ]; then
		fail "exit $RC" "$tmp/err" "$tmp/out"
	else
		pass
	fi
}

# `run --tty` without a terminal around it: output still goes through the guest's pty
# (ONLCR), the exit status comes back, and a guest that closed its stdio can reopen /dev/tty.
check_tty_pipe() {
	sbx --host-root --tty /bin/sh -c 'tty; exec >/dev/null 2>&1; echo again >/dev/tty; exit 3'
	expect 3 "$(printf '/dev/pts/0\r\nagain\r')"
}

# ---- processes and threads with real programs ----

check_shell_pipeline() {
	hostroot /bin/sh -c 'for i in 1 2 3; do echo $i; done | sort -r | head -1'
	expect 0 3
}

# A small C project built with make -j2 and gcc inside the sandbox, through a volume.
check_build_make_gcc() {
	local d
	d=$(mktemp -d /var/tmp/sbx-make.XXXXXX)
	printf 'int f(void) { return 20; }\n' >"$d/a.c"
	printf 'int g(void) { return 22; }\n' >"$d/b.c"
	printf '#include <stdio.h>\nint f(void); int g(void);\nint main(void) { printf("%%d\\n", f() + g()); return 0; }\n' >"$d/main.c"
	printf 'prog: a.o b.o main.o\n\t$(CC) -o $@ $^\n%%.o: %%.c\n\t$(CC) -O2 -c $<\n' >"$d/Makefile"
	hostroot -e PATH=/usr/local/bin:/usr/bin:/bin -v "$d:/proj" /bin/sh -c 'make -C /proj -j2 >/dev/null && /proj/prog'
	if [ "$RC" -eq 0 ] && [ ! -x "$d/prog" ]; then
		fail "the program was not written through the volume"
	else
		expect 0 42
	fi
	rm -rf "$d"
}

check_python_threads() {
	hostroot /usr/bin/python3 -c 'import threading, queue, subprocess, concurrent.futures as cf
q = queue.Queue()
ts = [threading.Thread(target=lambda i=i: q.put(i * i)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(q.get() for _ in range(8)))
with cf.ThreadPoolExecutor(4) as ex: print(sum(ex.map(lambda x: x + 1, range(100))))
print(subprocess.run(["/bin/echo", "sub"], capture_output=True, text=True).stdout.strip())'
	expect 0 "[0, 1, 4, 9, 16, 25, 36, 49]
5050
sub"
}

# A guest trying to get out (progs/escape.c): nothing may print ESCAPED, the Sentry must
# report no error of its own (125), and the guest may at worst kill its own stub.
check_escape_calls() {
	sbx "$PROGS/escape" calls
	if grep -q ESCAPED "$tmp/out"; then
		fail "an escape attempt succeeded" "$tmp/out"
	else
		expect 0 "$(printf 'ptrace attach to pid 1: refused\nptrace traceme: refused\nkill(-1, 0): no other process\nmapping calls on stub regions: survived')"
	fi
}

check_escape_stubjump() {
	sbx "$PROGS/escape" stubjump
	if grep -q ESCAPED "$tmp/out"; then
		fail "a host syscall ran through the stub's code" "$tmp/out"
	elif [ "$RC" -eq 125 ] || [ "$RC" -eq 0 ] && ! grep -q "no stub syscall\|trapped" "$tmp/out"; then
		fail "unexpected result (exit $RC)" "$tmp/out" "$tmp/err"
	else
		pass
	fi
}

# ---- the default root: host / read-only through the gofer with a tmpfs overlay ----

check_overlay_etc() {
	hostroot /bin/sh -c 'echo hi > /etc/x; cat /etc/x; rm /etc/passwd; ls /etc/passwd; echo rc=$?'
	if [ -e /etc/x ] || [ ! -s /etc/passwd ]; then
		rm -f /etc/x
		fail "the host's /etc changed"
	elif ! grep -q "passwd" "$tmp/err"; then
		fail "ls /etc/passwd did not complain" "$tmp/err"
	else
		expect 0 "$(printf 'hi\nrc=2')"
	fi
}

# A fingerprint of a host tree: names, modes, sizes, mtimes, and the data of small files.
host_print() {
	find "$@" -xdev -maxdepth 1 -printf '%p %m %s %T@ %y\n' 2>/dev/null | sort | cksum
	cat /etc/passwd /etc/hostname /usr/bin/env 2>/dev/null | cksum
}

# Writes, deletes, renames, chmods, truncates under /etc, /usr and a host directory outside
# the guest's /tmp: all succeed in the guest, none reaches the host.
check_overlay_host_untouched() {
	local d before after
	d=$(mktemp -d /var/tmp/sbx-ovl.XXXXXX)
	echo data >"$d/file"
	mkdir "$d/sub"
	echo deep >"$d/sub/deep"
	before="$(host_print /etc /usr /usr/bin "$d" "$d/sub")"
	hostroot "$BUSYBOX" sh -c '
		set -e
		echo new >/etc/sbx-new; echo more >>/etc/passwd; chmod 600 /etc/hostname
		rm /etc/hostname; mv /etc/passwd /etc/passwd.moved; test ! -e /etc/passwd
		mkdir /usr/sbx-dir; touch /usr/bin/env; : >/usr/bin/env; test ! -s /usr/bin/env
		echo changed >"$1/file"; rm -r "$1/sub"; mkdir "$1/sub"; test ! -e "$1/sub/deep"
		mv "$1/file" "$1/file2"; ln -s x "$1/link"; chmod 700 "$1"
		grep -q more /etc/passwd.moved && cat "$1/file2"' sh "$d"
	after="$(host_print /etc /usr /usr/bin "$d" "$d/sub")"
	if [ "$before" != "$after" ] || [ ! -s "$d/sub/deep" ] || [ "$(cat "$d/file")" != data ]; then
		fail "the host changed"
	else
		expect 0 changed
	fi
	rm -rf "$d"
}

# ls -la /etc in the guest lists the same names as natively (the overlay's merged readdir).
check_overlay_ls_la() {
	hostroot /bin/ls -la /etc
	local want
	want=$(env -i /bin/ls -la /etc | awk 'NR > 1 { print $9 }')
	if [ "$RC" -ne 0 ] || [ -s "$tmp/err" ]; then
		fail "exit $RC or complaints" "$tmp/err"
	elif [ "$(awk 'NR > 1 { print $9 }' "$tmp/out")" != "$want" ]; then
		awk 'NR > 1 { print $9 }' "$tmp/out" >"$tmp/got"
		printf '%s\n' "$want" >"$tmp/want"
		diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"
		fail "names differ" "$tmp/diff"
	else
		pass
	fi
}

# python3 + sqlite3 with databases in the guest's /tmp and on the overlay (copied-up /var).
check_overlay_python() {
	if [ ! -x /usr/bin/python3 ]; then
		fail "python3 is not installed (scripts/install-deps.sh installs it)"
		return
	fi
	SBX_WRAP=(env -i)
	sbx /usr/bin/python3 -c 'import json, sqlite3
out = []
for path in ("/tmp/t.db", "/var/sbx-overlay-test.db"):
    db = sqlite3.connect(path); db.execute("create table t (x)"); db.execute("insert into t values (41)")
    db.commit(); db.close()
    out.append(sqlite3.connect(path).execute("select x + 1 from t").fetchone()[0])
print(json.dumps({"ok": out}))'
	SBX_WRAP=()
	if [ -e /var/sbx-overlay-test.db ]; then
		rm -f /var/sbx-overlay-test.db
		fail "the database reached the host"
	else
		expect 0 '{"ok": [42, 42]}'
	fi
}

# -v HOST:GUEST: a rw volume really writes the host directory.
check_volume_rw() {
	local d
	d=$(mktemp -d)
	echo host >"$d/in"
	hostroot -v "$d:/mnt/vol" "$BUSYBOX" sh -c 'cat /mnt/vol/in; echo guest >/mnt/vol/out; mkdir /mnt/vol/dir'
	if [ "$(cat "$d/out" 2>/dev/null)" != guest ] || [ ! -d "$d/dir" ]; then
		fail "the write did not reach the host" "$tmp/err"
	else
		expect 0 host
	fi
	rm -rf "$d"
}

check_volume_ro() {
	local d
	d=$(mktemp -d)
	echo host >"$d/in"
	hostroot --volume="$d:/data:ro" "$BUSYBOX" sh -c 'cat /data/in; echo x >/data/out || echo refused; rm /data/in || echo refused'
	if [ -e "$d/out" ] || [ ! -e "$d/in" ]; then
		fail "a read-only volume was written"
	elif ! grep -q 'Read-only file system' "$tmp/err"; then
		fail "no EROFS" "$tmp/err"
	else
		expect 0 "$(printf 'host\nrefused\nrefused')"
	fi
	rm -rf "$d"
}

# Device nodes in the overlay (mknod, `cp -a /dev/null`), xattrs through a volume (the gofer's
# Txattrwalk/Txattrcreate, reaching the host) and refused on a read-only one (the Sentry's
# EROFS: statvfs says ST_RDONLY), python's os.setxattr in the guest's /tmp.
check_fs_nodes_xattrs() {
	local d
	d=$(mktemp -d)
	echo host >"$d/f"
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.host", b"H")' "$d/f"
	hostroot -v "$d:/vol" -v "$d:/ro:ro" /usr/bin/python3 -c '
import os, subprocess
os.mknod("/etc/null2", 0o20666, os.makedev(1, 3))
with open("/etc/null2", "w") as f:
    f.write("hi")
subprocess.run(["/bin/cp", "-a", "/dev/null", "/etc/null3"], check=True)
st = os.stat("/etc/null3")
print(os.major(st.st_rdev), os.minor(st.st_rdev), oct(st.st_mode))
print(os.getxattr("/vol/f", "user.host"))
os.setxattr("/vol/f", "user.guest", b"G")
print(sorted(os.listxattr("/vol/f")))
for call in (lambda: os.setxattr("/ro/f", "user.x", b"1"), lambda: os.chmod("/ro/f", 0o600)):
    try:
        call()
    except OSError as e:
        print(e.strerror)
open("/tmp/x", "w").close()
os.setxattr("/tmp/x", "user.a", b"1")
print(os.listxattr("/tmp/x"))
print([bool(os.statvfs(p).f_flag & os.ST_RDONLY) for p in ("/ro", "/vol")])'
	local host
	host=$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.guest"))' "$d/f" 2>&1)
	if [ "$host" != "b'G'" ]; then
		fail "the attribute did not reach the host: $host" "$tmp/err"
	else
		expect 0 "$(printf "%s\n" "1 3 0o20666" "b'H'" "['user.guest', 'user.host']" \
			"Read-only file system" "Read-only file system" "['user.a']" "[True, False]")"
	fi
	rm -rf "$d"
}

check_run_cwd() {
	hostroot --cwd=/usr/share "$BUSYBOX" pwd
	local rc1=$RC out1
	out1=$(cat "$tmp/out")
	hostroot --cwd=/new/dir "$BUSYBOX" sh -c 'pwd; ls -a'
	if [ "$rc1" -ne 0 ] || [ "$out1" != /usr/share ]; then
		fail "--cwd=/usr/share: exit $rc1, pwd '$out1'" "$tmp/err"
	else
		expect 0 "$(printf '/new/dir\n.\n..')"
	fi
}

check_run_env() {
	SBX_WRAP=(env -i KEEP=1 DROP=1)
	sbx --clear-env -e A=1 --env=B=two -e KEEP "$BUSYBOX" env
	local out1 rc1=$RC
	out1=$(sort "$tmp/out" | tr '\n' ' ')
	sbx -e KEEP=2 "$BUSYBOX" env
	SBX_WRAP=()
	if [ "$rc1" -ne 0 ] || [ "$out1" != "A=1 B=two KEEP=1 " ]; then
		fail "--clear-env -e: exit $rc1, env '$out1'" "$tmp/err"
	else
		expect 0 "$(printf 'KEEP=2\nDROP=1')"
	fi
}

# --rootfs: a busybox tree as the root, with the overlay on top; the directory is unchanged.
check_run_rootfs() {
	local r="$tmp/rootfs" before
	rm -rf "$r"
	mkdir -p "$r/bin" "$r/etc" "$r/tmp"
	cp "$BUSYBOX" "$r/bin/busybox"
	"$r/bin/busybox" --install "$r/bin" # hard links: -s would point at the host path
	echo "rootfs-os" >"$r/etc/os-release"
	before=$(find "$r" | sort | cksum)
	SBX_WRAP=(env -i PATH=/bin)
	sbx --rootfs="$r" sh -c 'cat /etc/os-release; echo x >/etc/new; ls /etc; test -e /usr/bin/python3 || echo no-host'
	SBX_WRAP=()
	if [ "$(find "$r" | sort | cksum)" != "$before" ]; then
		fail "the rootfs directory changed"
	else
		expect 0 "$(printf 'rootfs-os\nnew\nos-release\nno-host')"
	fi
}

# Bad flags: one line on stderr, status 125.
check_run_bad_flags() {
	local bad=
	for args in "-v /nonexistent-sbx:/x" "-v /etc:relative" "-v /etc" "--cwd=rel" \
		    "--rootfs=/nonexistent-sbx" "--tmpfs=rel" "-e =x" "-v /etc:/x:bogus"; do
		# shellcheck disable=SC2086
		sbx $args /bin/true
		if [ "$RC" -ne 125 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
			bad="$bad [$args: exit $RC, $(wc -l <"$tmp/err") lines]"
		fi
	done
	if [ -n "$bad" ]; then
		fail "$bad" "$tmp/err"
	else
		pass
	fi
}

# mount(2)/umount2(2) in the guest: tmpfs, bind, read-only remount (MS_REMOUNT|MS_BIND|
# MS_RDONLY through python's ctypes: busybox wants /proc/mounts for it), EBUSY, EPERM.
check_guest_mount() {
	hostroot "$BUSYBOX" sh -c 'b=$1
		mkdir -p /mnt/a /mnt/b; $b mount -t tmpfs -o mode=0700 none /mnt/a && $b stat -c %a /mnt/a
		echo x >/mnt/a/f; $b mount --bind /mnt/a /mnt/b && cat /mnt/b/f
		/usr/bin/python3 -c "import ctypes; ctypes.CDLL(None).mount(b\"none\", b\"/mnt/b\", None, 32 | 4096 | 1, None)"
		(echo y >/mnt/b/g) 2>/dev/null || echo ro
		echo z >/mnt/a/h && echo a-rw
		cd /mnt/b; $b umount /mnt/b 2>/dev/null || echo busy; cd /
		$b umount /mnt/b && ls /mnt/b && cat /mnt/a/f
		$b mount -t ext4 /dev/null /mnt/b 2>/dev/null || echo eperm
		$b umount /mnt/a && ls /mnt/a; $b umount / 2>/dev/null || echo root-busy' sh "$BUSYBOX"
	expect 0 "$(printf '700\nx\nro\na-rw\nbusy\nx\neperm\nroot-busy')"
}

# /proc and /sys (fs/proc, fs/sys) as busybox and python read them.
check_procfs_ps() {
	hostroot "$BUSYBOX" sh -c "$BUSYBOX ps -o pid,ppid,user,comm,args; true"
	sed -i 's/  */ /g; s/^ //' "$tmp/out"
	local u
	u=$(id -un)
	expect 0 "PID PPID USER COMMAND COMMAND
1 0 $u busybox $BUSYBOX sh -c $BUSYBOX ps -o pid,ppid,user,comm,args; true
2 1 $u busybox $BUSYBOX ps -o pid,ppid,user,comm,args"
}

check_procfs_free() {
	hostroot "$BUSYBOX" sh -c "$BUSYBOX free | $BUSYBOX awk '{print \$1, (\$2 > 0)}'"
	expect 0 "$(printf 'total 1\nMem: 1\nSwap: 0')"
}

check_procfs_nproc() {
	hostroot "$BUSYBOX" sh -c "$BUSYBOX nproc; $BUSYBOX grep -c ^processor /proc/cpuinfo;
		cat /sys/devices/system/cpu/online"
	local n
	n=$(getconf _NPROCESSORS_ONLN)
	expect 0 "$(printf '%s\n%s\n%s' "$n" "$n" "$([ "$n" -eq 1 ] && echo 0 || echo "0-$((n - 1))")")"
}

check_procfs_status() {
	hostroot /bin/cat /proc/self/status
	if [ "$RC" -ne 0 ]; then
		fail "exit $RC" "$tmp/err"
	elif ! head -n 1 "$tmp/out" | grep -qx 'Name:	cat' ||
		! grep -qx 'Pid:	1' "$tmp/out" || ! grep -qx 'PPid:	0' "$tmp/out" ||
		! grep -qx 'Threads:	1' "$tmp/out" || ! grep -q '^VmRSS:' "$tmp/out"; then
		fail "unexpected status" "$tmp/out"
	else
		pass
	fi
}

check_procfs_python() {
	hostroot /usr/bin/python3 -c 'import os
print(os.cpu_count())
m = open("/proc/self/maps").read().splitlines()
print(any(l.endswith("[stack]") for l in m), any(" r-xp " in l for l in m))
print(sorted(os.listdir("/proc/self/fd")))
print(open("/proc/self/cmdline").read().split("\0")[1])'
	expect 0 "$(printf '%s\nTrue True\n%s\n-c' "$(python3 -c 'import os; print(os.cpu_count())')" "['0', '1', '2', '3']")"
}

# /proc/self/mem, smaps, smaps_rollup and io as a Python program uses them; same answers natively.
PROCFS_MEM_PY='import ctypes, mmap
b = ctypes.create_string_buffer(b"hello mem")
with open("/proc/self/mem", "rb+", buffering=0) as f:
    f.seek(ctypes.addressof(b)); print(f.read(9))
    f.seek(ctypes.addressof(b)); f.write(b"HELLO"); print(b.value)
m = mmap.mmap(-1, 1 << 20)
m.write(b"x" * (1 << 20))
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
ent = open("/proc/self/smaps").read().split("\n")
i = [n for n, l in enumerate(ent) if l.startswith("%08x-" % addr)][0]
print(ent[i].split()[1], ent[i + 1].split()[1], int(ent[i + 4].split()[1]) == 1024)
r = dict(l.split(":")[0:2] for l in open("/proc/self/smaps_rollup").read().splitlines()[1:])
print(int(r["Rss"].split()[0]) >= 1024, int(r["Pss_Shmem"].split()[0]) >= 0)
io0 = dict(l.split(": ") for l in open("/proc/self/io").read().splitlines())
with open("/dev/null", "wb", buffering=0) as f: f.write(b"y" * 100000)
io1 = dict(l.split(": ") for l in open("/proc/self/io").read().splitlines())
print(int(io1["wchar"]) - int(io0["wchar"]) >= 100000)'

check_procfs_python_mem() {
	hostroot /usr/bin/python3 -c "$PROCFS_MEM_PY"
	expect 0 "$(python3 -c "$PROCFS_MEM_PY")"
}

# procps pmap reads /proc/PID/maps and (-x) smaps.
check_procfs_pmap() {
	if ! [ -x /usr/bin/pmap ]; then
		echo "SKIP $NAME [$P]: no /usr/bin/pmap (procps)" # not counted as passed
		return
	fi
	hostroot /bin/sh -c '/usr/bin/pmap -x $$ | /usr/bin/tail -n 1 | /usr/bin/cut -c1-8
		/usr/bin/pmap $$ | /usr/bin/grep -c " r-x-- *dash$"'
	expect 0 "$(printf 'total kB\n1')"
}

# procps's tools over /proc: each runs to its end and finds the shell.
check_procfs_procps() {
	if ! [ -x /usr/bin/vmstat ] || ! [ -x /usr/bin/top ]; then
		echo "SKIP $NAME [$P]: no procps" # not counted as passed
		return
	fi
	hostroot /bin/sh -c '/usr/bin/ps aux | /usr/bin/grep -c "^[a-z0-9]* *1 .*/bin/sh"
		/usr/bin/top -bn1 | /usr/bin/grep -c "^Tasks:"
		/usr/bin/vmstat | /usr/bin/tail -n 1 | /usr/bin/wc -w
		/usr/bin/free | /usr/bin/grep -c "^Mem:"
		/usr/bin/pmap -XX $$ | /usr/bin/grep -c "^ *Address .* Pss_Dirty "
		/usr/bin/pgrep -x sh'
	expect 0 "$(printf '1\n1\n17\n1\n1\n1')"
}

# Root writes kernel.hostname: uname -n and hostname(1) see it; unshare(1) -u keeps a
# rename to itself; hostname(1) renames through sethostname.
check_procfs_hostname() {
	hostroot /bin/sh -c 'echo renamed >/proc/sys/kernel/hostname && /bin/uname -n &&
		/bin/cat /proc/sys/kernel/hostname && /bin/hostname &&
		/usr/bin/unshare -u /bin/sh -c "/bin/hostname inner; /bin/uname -n" &&
		/bin/uname -n && /bin/hostname again && /bin/uname -n'
	if [ "$(id -u)" -eq 0 ]; then
		expect 0 "$(printf 'renamed\nrenamed\nrenamed\ninner\nrenamed\nagain')"
	else
		expect 2
	fi
}

# Build the helper programs.
mkdir -p "$PROGS"
for src in "$HERE"/progs/*.c; do
	exe="$PROGS/$(basename "$src" .c)"
	if [ ! -x "$exe" ] || [ "$src" -nt "$exe" ]; then
		gcc -static -O2 -o "$exe" "$src" || { echo "FAIL build $(basename "$src")"; exit 1; }
	fi
done

# Processes: a shell forks, execs host programs and waits for them.
check_proc_fork_exec() {
	hostroot "$BUSYBOX" sh -c '/bin/echo hi; /bin/true && echo ok; /bin/false || echo failed-ok; exit 7'
	expect 7 "$(printf 'hi\nok\nfailed-ok')"
}

check_proc_env_exec() { hostroot /usr/bin/env true; expect 0 ""; }

# A "#!" script in the guest's /tmp, run by path (execve's interpreter handling).
check_proc_script() {
	hostroot "$BUSYBOX" sh -c 'printf "#!%s sh\necho script \"\$@\"\nexit 9\n" "$1" >/tmp/s.sh &&
		chmod +x /tmp/s.sh && /tmp/s.sh a b; echo rc=$?' sh "$BUSYBOX"
	expect 0 "$(printf 'script a b\nrc=9')"
}

# Children outlive their parent (reparented to init); init exiting ends the sandbox even
# with a background process still running.
check_proc_orphan() {
	hostroot "$BUSYBOX" sh -c '( /bin/sleep 30 & ) ; (exit 3) ; echo parent-done=$?'
	expect 0 "parent-done=3"
}

check_proc_exec_errors() {
	hostroot "$BUSYBOX" sh -c '/nonexistent 2>/dev/null; echo $?; /etc/os-release 2>/dev/null; echo $?'
	expect 0 "$(printf '127\n126')"
}

# execve ends POSIX timers and keeps itimers (the timers conformance program re-execs itself).
check_timers_exec() {
	# The program re-execs itself: a volume makes it visible even when the checkout is
	# under the host's /tmp (the guest's /tmp is its own).
	hostroot -v "$(cd "$BUILD/tests/syscalls" && pwd):/mnt/bin:ro" /mnt/bin/timers exec-check
	expect 0 "posix-timer-gone=1 itimer-kept=1"
}

# The Sentry is confined (DESIGN.md §1): a child of the front end, in pid, mnt, ipc, uts and
# net namespaces of its own, its root an empty directory, no capabilities (bounding set
# too), no_new_privs and a seccomp filter. Inspected from the host while the guest sleeps;
# a SIGTERM to the front end then reaches the guest (143). SAN builds have no filter and
# keep the host's files (sentry/boot/confine.c).
SAN_BUILD=
grep -q __asan_init "$SANDBOX" 2>/dev/null && SAN_BUILD=1
check_confined() {
	local pid s= bad= ns i
	"$SANDBOX" run --platform="$P" "$BUSYBOX" sh -c 'echo ready; sleep 30' \
		</dev/null >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for i in $(seq 200); do
		grep -q ready "$tmp/out" 2>/dev/null && break
		sleep 0.05
	done
	s=$(pgrep -P "$pid" -x sandbox | head -n 1)
	if [ -z "$s" ]; then
		bad="no Sentry child"
	else
		if [ -z "$SAN_BUILD" ]; then
			grep -q "^Seccomp:[[:space:]]*2$" "/proc/$s/status" || bad="$bad seccomp"
			[ -n "$(ls -A "/proc/$s/root/" 2>&1)" ] && bad="$bad root-not-empty"
		fi
		grep -q "^NoNewPrivs:[[:space:]]*1$" "/proc/$s/status" || bad="$bad no_new_privs"
		grep -q "^CapEff:[[:space:]]*0*$" "/proc/$s/status" || bad="$bad CapEff"
		grep -q "^CapBnd:[[:space:]]*0*$" "/proc/$s/status" || bad="$bad CapBnd"
		grep -q "^CapPrm:[[:space:]]*0*$" "/proc/$s/status" || bad="$bad CapPrm"
		grep -q "^NSpid:.*[[:space:]]1$" "/proc/$s/status" || bad="$bad not-pid-1"
		for ns in mnt pid ipc uts net; do
			[ "$(readlink "/proc/$s/ns/$ns")" = "$(readlink "/proc/$$/ns/$ns")" ] &&
				bad="$bad same-$ns-ns"
		done
		grep -q "^Threads:[[:space:]]*1$" "/proc/$pid/status" || bad="$bad front-end-threads"
	fi
	kill -TERM "$pid"
	wait "$pid"
	RC=$?
	rm -f "$tmp/left"
	if [ -n "$bad" ]; then
		kill -KILL "$pid" 2>/dev/null
		fail "$bad" "$tmp/err"
	else
		expect 143 "ready"
	fi
}

# ^Z (SIGTSTP to the front end): the Sentry, in a session of its own, is stopped with it;
# SIGCONT resumes both. The guest's 1 s sleep does not finish while they are stopped.
check_confined_tstp() {
	local pid s= bad= i
	"$SANDBOX" run --platform="$P" "$BUSYBOX" sh -c 'echo ready; sleep 1; echo done' \
		</dev/null >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for i in $(seq 200); do
		grep -q ready "$tmp/out" 2>/dev/null && break
		sleep 0.05
	done
	s=$(pgrep -P "$pid" -x sandbox | head -n 1)
	kill -TSTP "$pid"
	sleep 1.5
	[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ] || bad="$bad front-end-running"
	[ -n "$s" ] && [ "$(awk '{print $3}' "/proc/$s/stat" 2>/dev/null)" != T ] &&
		bad="$bad sentry-running"
	grep -q done "$tmp/out" && bad="$bad guest-ran-while-stopped"
	kill -CONT "$pid"
	wait "$pid"
	RC=$?
	rm -f "$tmp/left"
	if [ -n "$bad" ]; then
		fail "$bad" "$tmp/out" "$tmp/err"
	else
		expect 0 "ready
done"
	fi
}

# --unsafe-nosandbox: the Sentry runs in the front end itself, unconfined.
check_confined_nosandbox() {
	local pid bad=
	"$SANDBOX" run --platform="$P" --unsafe-nosandbox "$BUSYBOX" sh -c 'echo ready; sleep 30' \
		</dev/null >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for i in $(seq 100); do
		grep -q ready "$tmp/out" 2>/dev/null && break
		sleep 0.05
	done
	# The Sentry's threads are the front end's own (a confined front end has just one).
	grep -q "^Threads:[[:space:]]*1$" "/proc/$pid/status" && bad="$bad single-threaded"
	grep -q "^Seccomp:[[:space:]]*0$" "/proc/$pid/status" || bad="$bad seccomp"
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$$/ns/pid")" ] || bad="$bad pid-ns"
	kill -TERM "$pid"
	wait "$pid"
	RC=$?
	rm -f "$tmp/left"
	if [ -n "$bad" ]; then
		fail "$bad" "$tmp/err"
	else
		expect 143 "ready"
	fi
}

# Sanity: the helpers behave as expected natively.
P=native
NAME=native-helpers
s=$(native_status "$PROGS/segv")
a=$(native_status "$PROGS/abort")
d=$(native_status "$PROGS/die" stack)
if [ "$s" -eq 139 ] && [ "$a" -eq 134 ] && [ "$d" -eq 139 ]; then
	pass
else
	fail "native segv=$s abort=$a die-stack=$d (want 139, 134, 139)"
fi

for P in $PLATFORMS; do
	for NAME in $CHECKS; do
		"check_$NAME"
	done
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
