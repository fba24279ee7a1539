#!/usr/bin/env bash
# tests/run.sh - run every unit test program and every tests/t_*.sh script,
# count their PASS/FAIL/SKIP lines, end with "N passed, N failed".
#
# TESTS=pattern limits the run to matching names (a glob on the file name).
set -u
cd "$(dirname "$0")/.."
: "${BUILD:=build}"
export BUILD SHARED
pattern=${TESTS:-*}
passed=0 failed=0 skipped=0
log=$(mktemp /tmp/tcpstated-run.XXXXXX)

run_one() { # name, timeout seconds, command...
	local name=$1 secs=$2; shift 2
	local start=$SECONDS
	timeout -k 10 "$secs" "$@" >"$log" 2>&1
	local rc=$?
	local p f s
	p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
	grep -E '^(FAIL|SKIP) ' "$log" | sed "s|^|  [$name] |"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  [$name] FAIL exited with status $rc"; tail -n 5 "$log" | sed "s|^|  [$name]   |"
		f=1
	fi
	[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ] && { echo "  [$name] FAIL reported no checks"; f=1; }
	printf '%-28s %4d passed %3d failed %3d skipped  %3ds\n' "$name" "$p" "$f" "$s" $((SECONDS - start))
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	case $n in $pattern) ;; *) continue ;; esac
	run_one "$n" 300 "$t"
done
for t in tests/t_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	case $n in $pattern) ;; *) continue ;; esac
	run_one "$n" 600 bash "$t"
done
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
