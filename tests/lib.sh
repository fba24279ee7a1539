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

# require_root NAME TOOL...: a test that needs root and these commands skips
# itself as NAME (and the script exits) when it has not got them.
require_root() {
	local name=$1 tool
	shift
	if [ "$(id -u)" != 0 ]; then
		skip "$name" "needs root (network namespaces)"
		exit 0
	fi
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			skip "$name" "$tool is not installed"
			exit 0
		fi
	done
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until the command succeeds;
# fails after SECONDS. The command's output is the caller's to redirect.
wait_for() {
	local i n=$(($1 * 10)); shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

# Live tests: two network namespaces joined by a veth pair, inside which all
# their traffic stays. netns_pair TAG NET names them NSA and NSB (veth ends VA
# in NSA and VB in NSB; unique per run), gives VA A=10.NET.0.1/24 and VB
# B=10.NET.0.2/24, brings every link up, and returns non-zero with the reason
# in $TMP/setup.err if it cannot. netns_veth makes the pair again after a test
# deleted it. inA/inB run a command in NSA/NSB. They are functions, so a
# background `inB prog &` is a subshell and $! is not prog's pid: start a
# daemon with `nsenter --net=/run/netns/"$NSB" -- prog &` (nsenter execs it).
# netns_teardown PID... kills those and deletes both namespaces and $TMP, for
# the test's EXIT trap.
netns_pair() {
	NSA=${1}a$$ NSB=${1}b$$ VA=${1}va$$ VB=${1}vb$$
	A=10.$2.0.1 B=10.$2.0.2
	{ ip netns add "$NSA" && ip netns add "$NSB" && netns_veth &&
	    ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up; } 2>"$TMP/setup.err"
}
netns_veth() {
	ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" &&
	    ip -n "$NSA" addr add "$A/24" dev "$VA" && ip -n "$NSB" addr add "$B/24" dev "$VB" &&
	    ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up
}
# netns_lo TAG: one namespace, NSA, with only its loopback up, for a daemon
# capturing lo; non-zero with the reason in $TMP/setup.err if it cannot.
# nsa_daemon CONF ARG...: tcpstated -c CONF -S $TMP/control ARG... in NSA,
# diagnostics in $TMP/diag, pid in DPID; non-zero if its control socket does
# not appear within 5 s.
netns_lo() {
	NSA=${1}$$
	{ ip netns add "$NSA" && ip -n "$NSA" link set lo up; } 2>"$TMP/setup.err"
}
nsa_daemon() {
	local conf=$1
	shift
	nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$conf" -S "$TMP/control" "$@" 2>"$TMP/diag" &
	DPID=$!
	wait_for 5 test -S "$TMP/control"
}
inA() { nsenter --net=/run/netns/"$NSA" -- "$@"; }
inB() { nsenter --net=/run/netns/"$NSB" -- "$@"; }
# netns_settle: wait (up to 5 s) until NSA reaches B; a refused connection
# is an answer, a timeout is not. Returns non-zero if it never does.
netns_settle() {
	wait_for 5 inA python3 -c "import errno, socket, sys
s = socket.socket(); s.settimeout(0.2)
sys.exit(s.connect_ex(('$B', 9)) not in (0, errno.ECONNREFUSED))" 2>/dev/null
}
netns_teardown() {
	local p
	for p in "$@"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${NSA:-}" ] && ip netns del "$NSA" 2>/dev/null
	[ -n "${NSB:-}" ] && ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP"
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
