#!/usr/bin/env bash
# Conformance of conn_state on real third-party captures: Zeek's verdicts on
# the 60 captures of ../shared/corpus, and reference verdicts read by hand on
# those of tests/corpus/extra; see tests/corpus/check.py and disagreements.txt.
. tests/lib.sh
python3 tests/corpus/check.py "$TCPSTATED" "$SHARED"
