#!/usr/bin/env bash
# Conformance with Zeek's conn_state on the 60 third-party captures in
# ../shared/corpus; see tests/corpus/check.py and disagreements.txt.
. tests/lib.sh
if [ ! -d "$SHARED/corpus/pcaps" ]; then
	fail corpus "no corpus at $SHARED/corpus"
	exit 0
fi
python3 tests/corpus/check.py "$TCPSTATED" "$SHARED"
