#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark driver: runs each benchmark natively, under `$BIN/sandbox run --platform=P` for
# every P in $PLATFORMS, and under gVisor (runsc) when it is installed and works.
# Prints a table (median of several runs, ratios to native and to gVisor) and writes
# bench/out/results.csv, bench/out/results.json and, when gnuplot is installed,
# bench/out/syscalls.png (per-operation cost by runner, log scale).
# Env: BIN (default bin), BUILD (default build), PLATFORMS (default "ptrace systrap"),
#      RUNSC (default: runsc on PATH; set RUNSC= to skip gVisor), RUNS (default 5),
#      STARTUP_RUNS (default 10), TARGET_MS (default 150): wall time aimed at per timed run;
#      each benchmark's iteration count is sized per runner from a short pilot run, capped
#      by the benchmark's own maximum, so gVisor/ptrace (~20-50 us/syscall) stays affordable,
#      QUICK=1: smoke mode (RUNS=3, STARTUP_RUNS=3, TARGET_MS=30),
#      TIMEOUT seconds per command (default 120),
#      PIN=CPU (e.g. PIN=0) runs every command under `taskset -c CPU`. ptrace round trips are
#      dominated by cross-CPU wake-ups: unpinned numbers on a 2-CPU VM vary 3-4x with load
#      (gVisor getppid 17-65 us), pinned ones are stable. The CSV records which was used.
set -u

BIN=${BIN:-bin}
BUILD=${BUILD:-build}
PLATFORMS=${PLATFORMS:-ptrace systrap}
RUNSC=${RUNSC-$(command -v runsc || true)}
QUICK=${QUICK:-0}
[ "$QUICK" = 0 ] && QUICK=
if [ -n "$QUICK" ]; then
	RUNS=${RUNS:-3}
	STARTUP_RUNS=${STARTUP_RUNS:-3}
	TARGET_MS=${TARGET_MS:-30}
fi
RUNS=${RUNS:-5}
STARTUP_RUNS=${STARTUP_RUNS:-10}
TARGET_MS=${TARGET_MS:-150}
TIMEOUT=${TIMEOUT:-120}
PIN=${PIN:-}
PINCMD=
[ -n "$PIN" ] && PINCMD="taskset -c $PIN"
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/out"
# Absolute paths: commands run from /tmp (runsc do shares the host root, not our cwd).
abspath() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BIN=$(abspath "$BIN")
BUILD=$(abspath "$BUILD")
PROGS="$BUILD/bench"

# Runners: "name|command prefix". Adding a platform = one line here.
RUNNERS=("native|")
for p in $PLATFORMS; do
	RUNNERS+=("sandbox-$p|$BIN/sandbox run --platform=$p")
done
if [ -n "$RUNSC" ]; then
	RUNNERS+=("gvisor-ptrace|$RUNSC --network=none --platform=ptrace do")
fi

# Benchmarks: "name|kind|unit|stdin|iters|program [args]".
# kind=ns: the program prints one number (ns per operation); the median over $RUNS runs is
#   reported. @N@ becomes the iteration count: sized per runner so one run takes about
#   $TARGET_MS, never more than `iters`. stdin is where the program's stdin comes from.
# kind=wall: median whole-command wall time in ms over `iters` runs ($STARTUP_RUNS when 0;
#   QUICK caps it at 3).
# kind=pending:REASON: listed and skipped until the sandbox can run it; enabling it = set
#   kind to ns and add bench/progs/NAME.c.
# Adding a benchmark = one line here (plus its bench/progs/*.c).
BENCHMARKS=(
	"getppid|ns|ns/call|/dev/null|100000|$PROGS/getppid @N@"
	"clock_gettime|ns|ns/call|/dev/null|100000|$PROGS/clock_gettime @N@"
	"sched_yield|ns|ns/call|/dev/null|100000|$PROGS/sched_yield @N@"
	"read4k|ns|ns/call|/dev/zero|100000|$PROGS/read4k @N@"
	"write4k|ns|ns/call|/dev/null|100000|$PROGS/write4k @N@"
	"signal|ns|ns/signal|/dev/null|50000|$PROGS/signal @N@"
	"pagefault|ns|ns/fault|/dev/null|200000|$PROGS/pagefault @N@"
	"mmap64m|ns|ns/iter|/dev/null|20|$PROGS/mmap64m @N@"
	"startup|wall|ms|/dev/null|0|$PROGS/true"
	"open_close|ns|ns/call|/dev/null|100000|$PROGS/open_close @N@"
	"stat|ns|ns/call|/dev/null|100000|$PROGS/stat @N@"
	"pipe_pingpong|ns|ns/round trip|/dev/null|50000|$PROGS/pipe_pingpong @N@"
	"fork_exit|ns|ns/fork|/dev/null|2000|$PROGS/fork_exit @N@"
	"fork_exec|ns|ns/fork+exec|/dev/null|500|$PROGS/fork_exec @N@"
	"seq_write|ns|ns/MiB|/dev/null|256|$PROGS/seqio write @N@"
	"seq_read|ns|ns/MiB|/dev/null|256|$PROGS/seqio read @N@"
	"seq_read_gofer|ns|ns/MiB|/dev/null|256|$PROGS/fileread @N@"
	"find_usr_include|wall|ms|/dev/null|0|/usr/bin/find /usr/include"
	"find_usr|wall|ms|/dev/null|3|/usr/bin/find /usr"
	"futex_pingpong|ns|ns/round trip|/dev/null|50000|$PROGS/futex_pingpong @N@"
)

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_ns STDIN PREFIX CMD...: the single number the program prints, or nothing on failure.
# stderr goes to /dev/null (write4k writes its data there).
run_ns() {
	local in=$1 prefix=$2
	shift 2
	local v
	# shellcheck disable=SC2086
	v=$(cd /tmp && timeout -k 5 "$TIMEOUT" $PINCMD $prefix "$@" <"$in" 2>/dev/null) || return 1
	v=$(printf '%s\n' "$v" | tail -n 1)
	[[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]] || return 1
	echo "$v"
}

# run_wall STDIN PREFIX CMD...: wall time of the whole command in ms.
run_wall() {
	local in=$1 prefix=$2
	shift 2
	local t0 t1
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	(cd /tmp && timeout -k 5 "$TIMEOUT" $PINCMD $prefix "$@" <"$in" >/dev/null 2>&1) || return 1
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) / 1e6 }'
}

# iters_for STDIN PREFIX MAX CMD: iteration count for one runner, from a pilot of MAX/1000.
iters_for() {
	local in=$1 prefix=$2 max=$3 cmd=$4 pilot v
	pilot=$(( max / 1000 > 0 ? max / 1000 : 1 ))
	# shellcheck disable=SC2086
	v=$(run_ns "$in" "$prefix" ${cmd//@N@/$pilot}) || { echo "$pilot"; return; }
	awk -v ns="$v" -v t="$TARGET_MS" -v max="$max" -v p="$pilot" 'BEGIN {
		n = ns > 0 ? int(t * 1e6 / ns) : max
		if (n > max) n = max
		if (n < p) n = p
		print n }'
}

pending=()
for b in "${BENCHMARKS[@]}"; do
	IFS='|' read -r bname kind _ _ _ cmd <<<"$b"
	case $kind in pending:*)
		pending+=("$bname|${kind#pending:}")
		continue
		;;
	esac
	prog=${cmd%% *}
	if [ ! -x "$prog" ]; then
		echo "bench: $prog missing; run 'make bench' (or build bench/progs)" >&2
		exit 1
	fi
done

# Drop runners that cannot even run `true` (e.g. sandbox platform not ready, runsc failing).
usable=()
for r in "${RUNNERS[@]}"; do
	IFS='|' read -r name prefix <<<"$r"
	if [ -n "$prefix" ] && ! run_wall /dev/null "$prefix" "$PROGS/true" >/dev/null; then
		echo "bench: skipping $name: '$prefix $PROGS/true' failed" >&2
		continue
	fi
	usable+=("$r")
done

mkdir -p "$OUT"
csv="$OUT/results.csv"
json="$OUT/results.json"
declare -A RES VALS ITERS
names=()
for r in "${usable[@]}"; do names+=("${r%%|*}"); done
benches=()

echo "benchmark,unit,runner,median,iters,runs,pin" >"$csv"
for b in "${BENCHMARKS[@]}"; do
	IFS='|' read -r bname kind unit in max cmd <<<"$b"
	case $kind in pending:*) continue ;; esac
	benches+=("$bname|$kind|$unit")
	for r in "${usable[@]}"; do
		IFS='|' read -r name prefix <<<"$r"
		runs=$RUNS
		n=1
		if [ "$kind" = ns ]; then
			n=$(iters_for "$in" "$prefix" "$max" "$cmd")
		else
			runs=$STARTUP_RUNS
			if [ "$max" -gt 0 ]; then
				runs=$max
				[ -n "$QUICK" ] && [ "$runs" -gt 3 ] && runs=3
			fi
		fi
		c=${cmd//@N@/$n}
		vals=()
		for ((i = 0; i < runs; i++)); do
			if [ "$kind" = ns ]; then
				# shellcheck disable=SC2086
				v=$(run_ns "$in" "$prefix" $c) || continue
			else
				# shellcheck disable=SC2086
				v=$(run_wall "$in" "$prefix" $c) || continue
			fi
			vals+=("$v")
		done
		if [ ${#vals[@]} -eq 0 ]; then
			RES[$bname,$name]=FAIL
		else
			RES[$bname,$name]=$(printf '%s\n' "${vals[@]}" | median)
		fi
		VALS[$bname,$name]="${vals[*]:-}"
		ITERS[$bname,$name]=$n
		echo "$bname,$unit,$name,${RES[$bname,$name]},$n,${vals[*]:-},${PIN:-none}" >>"$csv"
		echo "  $bname $name: ${RES[$bname,$name]} $unit (${#vals[@]} runs, n=$n)" >&2
	done
done

ratio() { # ratio A B -> A/B with 1 decimal, or "-"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf (a / b < 10 ? "%.2fx" : "%.1fx"), a / b; else printf "-" }'
}

# Ratio columns: every non-native runner against native, each sandbox platform against gVisor.
have_gvisor=
[[ " ${names[*]} " == *" gvisor-ptrace "* ]] && have_gvisor=1
ratio_cols=()
for nm in "${names[@]}"; do
	case $nm in
	sandbox-*)
		ratio_cols+=("$nm/native")
		[ -n "$have_gvisor" ] && ratio_cols+=("$nm/gvisor")
		;;
	gvisor-*) ratio_cols+=("$nm/native") ;;
	esac
done
ratio_of() { # ratio_of BENCH COLUMN
	local s=${2%/*} base=${2#*/}
	[ "$base" = gvisor ] && base=gvisor-ptrace
	ratio "${RES[$1,$s]}" "${RES[$1,$base]}"
}

# Table: values, then the ratios.
hdr=(benchmark unit "${names[@]}" "${ratio_cols[@]}")
{
	(IFS='|'; echo "${hdr[*]}")
	for b in "${benches[@]}"; do
		IFS='|' read -r bname kind unit <<<"$b"
		row=("$bname" "$unit")
		for nm in "${names[@]}"; do row+=("${RES[$bname,$nm]}"); done
		for rc in "${ratio_cols[@]}"; do row+=("$(ratio_of "$bname" "$rc")"); done
		(IFS='|'; echo "${row[*]}")
	done
} | column -t -s '|' -o ' | '
for p in "${pending[@]}"; do
	echo "pending: ${p%%|*} (${p#*|}) - skipped"
done

# JSON: numbers, or null for failures / missing ratios.
jnum() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]] && echo "$1" || echo null; }
jstr() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
{
	printf '{\n  "meta": {"date": %s, "host": %s, "kernel": %s, "cpus": %s, "runs": %s, "startup_runs": %s, "target_ms": %s, "quick": %s, "pin": %s},\n' \
		"$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$(jstr "$(hostname)")" "$(jstr "$(uname -r)")" \
		"$(nproc)" "$RUNS" "$STARTUP_RUNS" "$TARGET_MS" "$([ -n "$QUICK" ] && echo true || echo false)" \
		"$([ -n "$PIN" ] && jstr "$PIN" || echo null)"
	printf '  "runners": [%s],\n' "$(sep=; for nm in "${names[@]}"; do printf '%s%s' "$sep" "$(jstr "$nm")"; sep=', '; done)"
	printf '  "benchmarks": [\n'
	bsep=
	for b in "${benches[@]}"; do
		IFS='|' read -r bname kind unit <<<"$b"
		printf '%s    {"name": %s, "kind": %s, "unit": %s,\n     "results": {' "$bsep" "$(jstr "$bname")" "$(jstr "$kind")" "$(jstr "$unit")"
		sep=
		for nm in "${names[@]}"; do
			rv=$(s2=; for v in ${VALS[$bname,$nm]}; do printf '%s%s' "$s2" "$v"; s2=', '; done)
			printf '%s\n       %s: {"median": %s, "iters": %s, "runs": [%s]}' "$sep" "$(jstr "$nm")" \
				"$(jnum "${RES[$bname,$nm]}")" "${ITERS[$bname,$nm]}" "$rv"
			sep=,
		done
		printf '},\n     "ratios": {'
		sep=
		for rc in "${ratio_cols[@]}"; do
			r=$(ratio_of "$bname" "$rc")
			printf '%s%s: %s' "$sep" "$(jstr "$rc")" "$(jnum "${r%x}")"
			sep=', '
		done
		printf '}}'
		bsep=$',\n'
	done
	printf '\n  ],\n  "pending": ['
	sep=
	for p in "${pending[@]}"; do
		printf '%s{"name": %s, "reason": %s}' "$sep" "$(jstr "${p%%|*}")" "$(jstr "${p#*|}")"
		sep=', '
	done
	printf ']\n}\n'
} >"$json"

# Plot: one cluster per ns benchmark, one bar per runner, log-scale ns.
png=
if command -v gnuplot >/dev/null; then
	dat="$OUT/syscalls.dat"
	gp="$OUT/syscalls.gp"
	{
		(IFS=$'\t'; echo "benchmark	${names[*]}")
		for b in "${benches[@]}"; do
			IFS='|' read -r bname kind unit <<<"$b"
			[ "$kind" = ns ] || continue
			row=("$bname")
			for nm in "${names[@]}"; do
				v=${RES[$bname,$nm]}
				[[ "$v" =~ ^[0-9] ]] || v='?'
				row+=("$v")
			done
			(IFS=$'\t'; echo "${row[*]}")
		done
	} >"$dat"
	{
		cat <<EOF
# Generated by bench/run.sh; data in syscalls.dat.
set terminal pngcairo size 1400,700 font ",11"
set output "$OUT/syscalls.png"
set title "Cost per operation by runner (median of $RUNS runs$([ -n "$PIN" ] && echo ", pinned to CPU $PIN"); lower is better)"
set datafile separator "\t"
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set yrange [10:*]
set format y "10^{%L}"
set ylabel "ns per operation, log scale (mmap64m: per 64 MiB map+touch+unmap)"
set grid ytics mytics
set key top left
set xtics noenhanced
EOF
		printf 'plot'
		sep=' '
		for ((i = 0; i < ${#names[@]}; i++)); do
			printf '%s"%s" using %d:xtic(1) title columnheader(%d)' "$sep" "$dat" $((i + 2)) $((i + 2))
			sep=$', \\\n     '
		done
		echo
	} >"$gp"
	if gnuplot "$gp" 2>"$OUT/gnuplot.log"; then
		png="$OUT/syscalls.png"
	else
		echo "bench: gnuplot failed, see $OUT/gnuplot.log" >&2
	fi
fi
echo
echo "results: $csv $json${png:+ $png}"
