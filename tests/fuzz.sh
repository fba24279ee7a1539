#!/usr/bin/env bash
# tests/fuzz.sh - build the libFuzzer harnesses (make fuzz-build, into
# build-fuzz/), replay every reproducer in tests/fuzz/regress/HARNESS/, then
# fuzz each harness for FUZZ_SECONDS (default 60) from its seeds
# (tests/fuzz/seeds.sh) and the corpus kept in build-fuzz/corpus/HARNESS.
#
# Prints PASS/FAIL lines (tests/lib.sh protocol): per harness, the regression
# replay, then the fuzz run with libFuzzer's final numbers (runs, cov = edges
# covered, ft = features). A crash, leak, sanitizer report or broken invariant
# is a FAIL naming the saved input (build-fuzz/crashes/) and how to replay it.
#
#   FUZZ_SECONDS=300 FUZZ_HARNESSES="frames" tests/fuzz.sh
set -u
cd "$(dirname "$0")/.."
: "${FUZZ_SECONDS:=60}"
: "${SHARED:=$(cd .. && pwd)/shared}"
harnesses=${FUZZ_HARNESSES:-frames config pcap}
dir=build-fuzz

if ! command -v clang >/dev/null 2>&1; then
	echo "SKIP fuzz: clang is not installed (make deps installs it)"
	exit 0
fi
mkdir -p "$dir/crashes" "$dir/logs"
# One fuzz run at a time: make test and make asan may overlap.
exec 9>"$dir/.lock"
flock 9

if ! make -s fuzz-build >"$dir/logs/build.log" 2>&1; then
	echo "FAIL fuzz_build: $(grep -m3 -E 'error|Error' "$dir/logs/build.log" | tr '\n' ' ')"
	exit 1
fi
if [ ! -d "$dir/seeds/frames" ] || [ tests/fuzz/seeds.sh -nt "$dir/seeds" ] ||
	[ tests/fuzz/pcapsplit.py -nt "$dir/seeds" ] ||
	[ "${BUILD:-build}/tools/gencases" -nt "$dir/seeds" ]; then
	SHARED=$SHARED BUILD=${BUILD:-build} tests/fuzz/seeds.sh "$dir/seeds" >"$dir/logs/seeds.log" 2>&1 ||
		{ echo "FAIL fuzz_seeds: $(tail -n 2 "$dir/logs/seeds.log" | tr '\n' ' ')"; exit 1; }
	touch "$dir/seeds"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0

# The first line that says what went wrong, from a libFuzzer log.
why() {
	grep -m1 -E 'invariant broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$1" |
		sed 's/^==[0-9]*==//' | cut -c1-200
}

status=0
for h in $harnesses; do
	bin=$dir/fuzz_$h
	case $h in
	frames) maxlen=8192 dict=tests/fuzz/frames.dict ;;
	config) maxlen=4096 dict=tests/fuzz/config.dict ;;
	pcap) maxlen=65536 dict=tests/fuzz/frames.dict ;;
	*) maxlen=4096 dict= ;;
	esac
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz_$h: $bin was not built"
		status=1
		continue
	fi

	# The harness's scratch directory goes in a TMPDIR of this run's own: a
	# crash leaves it behind, and it is removed below without touching the
	# scratch of another run going on at the same time (that removed a live
	# one's file under it: "fd != -1" in fz_scratch_write).
	scratch=$(mktemp -d /tmp/tcpstated-fuzzrun.XXXXXX)
	export TMPDIR=$scratch

	# Every reproducer of a past finding must now run clean.
	for f in tests/fuzz/regress/"$h"/*; do
		[ -f "$f" ] || continue
		name=fuzz_${h}_regress_$(basename "$f" | sed 's/\.[^.]*$//; s/[^A-Za-z0-9_]/_/g')
		if timeout -k 5 60 "$bin" "$f" >"$dir/logs/regress.log" 2>&1; then
			echo "PASS $name"
		else
			echo "FAIL $name: $(why "$dir/logs/regress.log") (replay: $bin $f)"
			status=1
		fi
	done

	corpus=$dir/corpus/$h
	mkdir -p "$corpus"
	log=$dir/logs/$h.log
	start=$SECONDS
	timeout -k 10 $((FUZZ_SECONDS + 300)) "$bin" -max_total_time="$FUZZ_SECONDS" \
		-max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		${dict:+-dict="$dict"} -artifact_prefix="$dir/crashes/$h-" \
		"$corpus" "$dir/seeds/$h" >"$log" 2>&1
	rc=$?
	rm -rf "$scratch"
	unset TMPDIR
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	if [ "$rc" -eq 0 ] && [ -n "$done_line" ]; then
		echo "PASS fuzz_$h ($runs runs, cov $cov, ft $ft, corpus $(ls "$corpus" | wc -l), $((SECONDS - start)) s)"
	else
		art=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
		echo "FAIL fuzz_$h: $(why "$log") after $((SECONDS - start)) s; input ${art:-none saved} (replay: $bin $art; log $log)"
		status=1
	fi
done
exit $status
