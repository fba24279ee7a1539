# tests/lib.sh - sourced by every tests/t_*.sh script.
#
# A script reports each check with pass NAME or fail NAME WHY; run.sh counts
# the PASS/FAIL lines. Scripts run as root from the repository top with
# BUILD (the build directory) and SHARED (../shared) set. skip NAME WHY is for
# a check that cannot run here (it is reported, and counted as skipped).

: "${BUILD:=build}"
: "${SHARED:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared}"
TCPSTATED=${TCPSTATED:-$PWD/$BUILD/tcpstated}
TMP=$(mktemp -d /tmp/tcpstated-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; }
skip() { echo "SKIP $1: ${2:-}"; }

# wait_for SECONDS COMMAND...: poll every 0.1 s until the command succeeds;
# fails after SECONDS. The command's output is the caller's to redirect.
wait_for() {
	local i n=$(($1 * 10)); shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

# check NAME COMMAND...: pass if the command succeeds.
check() {
	local name=$1; shift
	if "$@" >"$TMP/check.out" 2>&1; then pass "$name"; else fail "$name" "$(tail -n 3 "$TMP/check.out" | tr '\n' ' ')"; fi
}

# same_file NAME WANT GOT: pass if identical, else show the first differences.
same_file() {
	if diff -u "$2" "$3" >"$TMP/diff.out" 2>&1; then pass "$1"; else fail "$1" "$(head -n 12 "$TMP/diff.out" | tr '\n' '|')"; fi
}
