#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Syscall conformance: run each test binary natively and under `$BIN/sandbox run
# --platform=P` for every P in $PLATFORMS; stdout and exit status must agree, and the native
# run must pass (exit 0). Usage: BIN=bin tests/syscalls/run.sh build/tests/syscalls/*
# Env: BIN (default bin), PLATFORMS (default "ptrace systrap"), TIMEOUT seconds (default 60).
set -u

BIN=${BIN:-bin}
PLATFORMS=${PLATFORMS:-ptrace systrap}
TIMEOUT=${TIMEOUT:-60}
SANDBOX="$BIN/sandbox"

if [ $# -eq 0 ]; then
	echo "usage: BIN=bin $0 TEST_BINARY..." >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# run OUTFILE CMD...: stdout to OUTFILE, stderr to OUTFILE.err, then "exit N" appended.
run() {
	local out=$1
	shift
	timeout -k 5 "$TIMEOUT" "$@" </dev/null >"$out" 2>"$out.err"
	local rc=$?
	[ "$rc" -eq 124 ] && echo "# TIMEOUT after ${TIMEOUT}s" >>"$out"
	echo "exit $rc" >>"$out"
	return 0
}

report() { # report STATUS NAME PLATFORM [DETAILS_FILE...]
	local status=$1 name=$2 plat=$3
	shift 3
	echo "$status $name [$plat]"
	if [ "$status" = PASS ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		local f
		for f in "$@"; do
			[ -s "$f" ] && sed 's/^/    /' "$f" | head -n 60
		done
	fi
}

for t in "$@"; do
	name=$(basename "$t")
	if [ ! -x "$t" ]; then
		report FAIL "$name" native
		echo "    not an executable: $t"
		continue
	fi
	run "$tmp/$name.native" "$t"
	native_ok=0
	if tail -n 1 "$tmp/$name.native" | grep -qx 'exit 0'; then
		native_ok=1
		report PASS "$name" native
	else
		grep -v '^ok ' "$tmp/$name.native" >"$tmp/$name.native.fails"
		report FAIL "$name" native "$tmp/$name.native.fails" "$tmp/$name.native.err"
	fi
	for p in $PLATFORMS; do
		out="$tmp/$name.$p"
		run "$out" "$SANDBOX" run --platform="$p" "$t"
		if [ "$native_ok" -eq 1 ] && cmp -s "$tmp/$name.native" "$out"; then
			report PASS "$name" "$p"
		else
			diff -u --label native --label "sandbox-$p" "$tmp/$name.native" "$out" >"$out.diff"
			report FAIL "$name" "$p" "$out.diff" "$out.err"
		fi
	done
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
