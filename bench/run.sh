#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark driver: runs each benchmark natively, under `$BIN/sandbox run --platform=P` for
# every P in $PLATFORMS, and under gVisor (runsc) when it is installed and works.
# Prints a table (median of several runs) and writes bench/out/results.csv.
# Env: BIN (default bin), BUILD (default build), PLATFORMS (default "ptrace systrap"),
#      RUNSC (default: runsc on PATH; set RUNSC= to skip gVisor), RUNS (default 5),
#      STARTUP_RUNS (default 10), N_FAST (default 100000), N_SLOW (default 20000),
#      TIMEOUT seconds per command (default 120).
set -u

BIN=${BIN:-bin}
BUILD=${BUILD:-build}
PLATFORMS=${PLATFORMS:-ptrace systrap}
RUNSC=${RUNSC-$(command -v runsc || true)}
RUNS=${RUNS:-5}
STARTUP_RUNS=${STARTUP_RUNS:-10}
N_FAST=${N_FAST:-100000}
N_SLOW=${N_SLOW:-20000}
TIMEOUT=${TIMEOUT:-120}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/out"
# Absolute paths: commands run from /tmp (runsc do shares the host root, not our cwd).
abspath() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BIN=$(abspath "$BIN")
BUILD=$(abspath "$BUILD")
PROGS="$BUILD/bench"

# Runners: "name|speed|command prefix". speed=slow uses N_SLOW iterations.
# Adding a platform = one line here.
RUNNERS=("native|fast|")
for p in $PLATFORMS; do
	speed=fast
	[ "$p" = ptrace ] && speed=slow
	RUNNERS+=("sandbox-$p|$speed|$BIN/sandbox run --platform=$p")
done
if [ -n "$RUNSC" ]; then
	RUNNERS+=("gvisor-ptrace|slow|$RUNSC --network=none --platform=ptrace do")
fi

# Benchmarks: "name|kind|unit|program [args]". kind=ns: the program prints one number, the
# median over $RUNS runs is reported; @N@ is replaced by the runner's iteration count.
# kind=wall: median whole-command wall time over $STARTUP_RUNS runs, in ms.
# Adding a benchmark = one line here (plus its bench/progs/*.c).
BENCHMARKS=(
	"getppid|ns|ns/call|$PROGS/getppid @N@"
	"startup|wall|ms|$PROGS/true"
)

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_ns PREFIX CMD...: the single number the program prints, or nothing on failure.
run_ns() {
	local prefix=$1
	shift
	local v
	# shellcheck disable=SC2086
	v=$(cd /tmp && timeout -k 5 "$TIMEOUT" $prefix "$@" </dev/null 2>/dev/null) || return 1
	v=$(printf '%s\n' "$v" | tail -n 1)
	[[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]] || return 1
	echo "$v"
}

# run_wall PREFIX CMD...: wall time of the whole command in ms.
run_wall() {
	local prefix=$1
	shift
	local t0 t1
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	(cd /tmp && timeout -k 5 "$TIMEOUT" $prefix "$@" </dev/null >/dev/null 2>&1) || return 1
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) / 1e6 }'
}

for b in "${BENCHMARKS[@]}"; do
	IFS='|' read -r _ _ _ cmd <<<"$b"
	prog=${cmd%% *}
	if [ ! -x "$prog" ]; then
		echo "bench: $prog missing; run 'make bench' (or build bench/progs)" >&2
		exit 1
	fi
done

# Drop runners that cannot even run `true` (e.g. sandbox platform not ready, runsc failing).
usable=()
for r in "${RUNNERS[@]}"; do
	IFS='|' read -r name speed prefix <<<"$r"
	if [ -n "$prefix" ] && ! run_wall "$prefix" "$PROGS/true" >/dev/null; then
		echo "bench: skipping $name: '$prefix $PROGS/true' failed" >&2
		continue
	fi
	usable+=("$r")
done

mkdir -p "$OUT"
csv="$OUT/results.csv"
declare -A RES
names=()
for r in "${usable[@]}"; do names+=("${r%%|*}"); done

echo "benchmark,unit,runner,median,runs" >"$csv"
for b in "${BENCHMARKS[@]}"; do
	IFS='|' read -r bname kind unit cmd <<<"$b"
	for r in "${usable[@]}"; do
		IFS='|' read -r name speed prefix <<<"$r"
		n=$N_FAST
		[ "$speed" = slow ] && n=$N_SLOW
		c=${cmd//@N@/$n}
		runs=$RUNS
		[ "$kind" = wall ] && runs=$STARTUP_RUNS
		vals=()
		for ((i = 0; i < runs; i++)); do
			if [ "$kind" = ns ]; then
				v=$(run_ns "$prefix" $c) || continue
			else
				v=$(run_wall "$prefix" $c) || continue
			fi
			vals+=("$v")
		done
		if [ ${#vals[@]} -eq 0 ]; then
			RES[$bname,$name]=FAIL
		else
			RES[$bname,$name]=$(printf '%s\n' "${vals[@]}" | median)
		fi
		echo "$bname,$unit,$name,${RES[$bname,$name]},$(IFS=' '; echo "${vals[*]:-}")" >>"$csv"
		echo "  $bname $name: ${RES[$bname,$name]} $unit (${#vals[@]} runs)" >&2
	done
done

ratio() { # ratio A B -> A/B with 1 decimal, or "-"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf (a / b < 10 ? "%.2fx" : "%.1fx"), a / b; else printf "-" }'
}

# Table: values, then sandbox/native and sandbox/gvisor ratios.
hdr=(benchmark unit "${names[@]}")
ratio_cols=()
for nm in "${names[@]}"; do
	case $nm in sandbox-*)
		ratio_cols+=("$nm/native")
		[[ " ${names[*]} " == *" gvisor-ptrace "* ]] && ratio_cols+=("$nm/gvisor")
		;;
	esac
done
hdr+=("${ratio_cols[@]}")
{
	(IFS='|'; echo "${hdr[*]}")
	for b in "${BENCHMARKS[@]}"; do
		IFS='|' read -r bname kind unit _ <<<"$b"
		row=("$bname" "$unit")
		for nm in "${names[@]}"; do row+=("${RES[$bname,$nm]}"); done
		for rc in "${ratio_cols[@]}"; do
			s=${rc%/*}
			base=${rc#*/}
			[ "$base" = gvisor ] && base=gvisor-ptrace
			row+=("$(ratio "${RES[$bname,$s]}" "${RES[$bname,$base]}")")
		done
		(IFS='|'; echo "${row[*]}")
	done
} | column -t -s '|' -o ' | '
echo
echo "results: $csv"
