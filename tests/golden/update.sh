#!/usr/bin/env bash
# tests/golden/update.sh - regenerate the reviewed snapshots tests/golden/NAME.jsonl
# from the current tcpstated, after a behaviour change has been reviewed.
#
#	tests/golden/update.sh [NAME ...]     (from the repository top; default: every case)
#
# A snapshot is written only for a case whose hand-written expectation
# (NAME.expect) is met: a snapshot can record incidental fields (timestamps,
# durations, history), never a behaviour the expectation calls wrong. Review
# `git diff tests/golden` before committing what this writes.
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}"
: "${SHARED:=$(cd .. && pwd)/shared}"
G=tests/golden
TCPSTATED=$BUILD/tcpstated
GEN=$BUILD/tools/gencases

make -s "$TCPSTATED" "$GEN" || exit 1
tmp=$(mktemp -d /tmp/tcpstated-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$GEN" "$tmp/cases" || exit 1
cp "$SHARED/fixtures/seed-handshake-close.pcap" "$tmp/cases/" || exit 1
cat >"$tmp/golden.conf" <<'EOF'
tracking: {
  update_interval = 0;
  timeouts: { syn = 30; established = 7440; closing = 240; half_closed = 7440; time_wait = 60; };
};
EOF

if [ $# -eq 0 ]; then
	set -- $(cd "$tmp/cases" && ls *.pcap | sed 's/\.pcap$//')
fi
status=0
for name in "$@"; do
	pcap=$tmp/cases/$name.pcap
	if [ ! -f "$pcap" ] || [ ! -f "$G/$name.expect" ]; then
		echo "$name: no such case (need $G/$name.expect and a capture)" >&2
		status=1
		continue
	fi
	if ! "$TCPSTATED" -c "$tmp/golden.conf" -r "$pcap" -o json >"$tmp/$name.out"; then
		echo "$name: tcpstated failed; snapshot not written" >&2
		status=1
		continue
	fi
	if ! python3 "$G/check.py" "$G/$name.expect" "$tmp/$name.out" >"$tmp/$name.why"; then
		echo "$name: expectation not met; snapshot not written:" >&2
		sed 's/^/    /' "$tmp/$name.why" >&2
		status=1
		continue
	fi
	python3 "$G/check.py" --normalize "$tmp/$name.out" >"$G/$name.jsonl"
	echo "$name: $G/$name.jsonl"
done
exit $status
