#!/usr/bin/env bash
# tests/t_golden.sh - the golden pcap tests: every edge case of
# tests/tools/gencases.c and the study note's capture, replayed with
# `tcpstated -r`, must produce the events of tests/golden/NAME.expect (checked
# by tests/golden/check.py) and, byte for byte after flow ids are numbered,
# the reviewed snapshot tests/golden/NAME.jsonl. One PASS/FAIL per case; on a
# failure the first difference is on the FAIL line and the whole comparison
# follows, indented. tests/golden/README.md says how goldens are made.
. "$(dirname "$0")/lib.sh"

G=tests/golden
GEN=$BUILD/tools/gencases

if [ ! -x "$TCPSTATED" ] || [ ! -x "$GEN" ]; then
	fail golden "build first: $TCPSTATED and $GEN (make tests-build)"
	exit 0
fi
if ! "$GEN" "$TMP/cases" 2>"$TMP/gen.err"; then
	fail golden/gencases "$(head -n 3 "$TMP/gen.err" | tr '\n' ' ')"
	exit 0
fi
cp "$SHARED/fixtures/seed-handshake-close.pcap" "$TMP/cases/" 2>/dev/null ||
	fail golden/seed-handshake-close "no $SHARED/fixtures/seed-handshake-close.pcap"

# The timeouts the expectations assume, spelled out so that a changed default
# shows up as a config change here rather than as a behaviour change.
# No interim UPDATE records: the expectations list the life cycle events only
# (t_insight and test_update check UPDATE timing).
cat >"$TMP/golden.conf" <<'EOF'
tracking: {
  update_interval = 0;
  timeouts: { syn = 30; established = 7440; closing = 240; half_closed = 7440; time_wait = 60; };
};
EOF

# indent FILE: the lines of FILE, indented, for the detail after a FAIL line.
indent() { sed 's/^/    /' "$1"; }

for pcap in "$TMP"/cases/*.pcap; do
	name=$(basename "$pcap" .pcap)
	out=$TMP/$name.out
	if [ ! -f "$G/$name.expect" ]; then
		fail "golden/$name" "no $G/$name.expect"
		continue
	fi
	if ! "$TCPSTATED" -c "$TMP/golden.conf" -r "$pcap" -o json >"$out" 2>"$TMP/$name.err"; then
		fail "golden/$name" "tcpstated exited $?: $(head -n 2 "$TMP/$name.err" | tr '\n' ' ')"
		continue
	fi
	if ! python3 "$G/check.py" "$G/$name.expect" "$out" >"$TMP/$name.why" 2>&1; then
		fail "golden/$name" "$(head -n 1 "$TMP/$name.why")"
		indent "$TMP/$name.why"
		continue
	fi
	python3 "$G/check.py" --normalize "$out" >"$TMP/$name.norm"
	if [ ! -f "$G/$name.jsonl" ]; then
		fail "golden/$name" "expectation met, but no reviewed snapshot $G/$name.jsonl (see $G/README.md)"
		continue
	fi
	if ! diff -u "$G/$name.jsonl" "$TMP/$name.norm" >"$TMP/$name.diff"; then
		fail "golden/$name" "expectation met, snapshot differs: $(grep -m 2 '^[-+][^-+]' "$TMP/$name.diff" | tr '\n' ' ' | cut -c 1-300)"
		indent "$TMP/$name.diff"
		continue
	fi
	pass "golden/$name"
done

# An expectation without a capture is a case that silently stopped running.
for exp in "$G"/*.expect; do
	name=$(basename "$exp" .expect)
	[ -f "$TMP/cases/$name.pcap" ] || fail "golden/$name" "$exp has no capture (gencases lost the case?)"
done
