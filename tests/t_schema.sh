#!/usr/bin/env bash
# t_schema.sh - man/tcpstated-records.schema.json against real output, and
# against the code's vocabulary:
#   - its enums (event types, states, close reasons, sides, alert kinds), the
#     STATS keys and the set of record types equal the tables of lib/event.c,
#     as tests/tools/vocabdump prints them;
#   - every line of `-r` over every golden case, the seed capture and every
#     corpus capture, with --stats (UPDATE records from the default interval),
#     validates, and every event record type is seen;
#   - ALERT (firing and recovered) and UPDATE from insightgen's capture with
#     t_insight's rules, SUPPRESSED and IPv6 from outdrive's rate-limited file;
#   - records with a field too many, a field missing or a name not in the
#     tables are refused (the schema is strict).
# --flows and --stats -o json of a live daemon are validated in t_control.sh.
. "$(dirname "$0")/lib.sh"

SCHEMA=man/tcpstated-records.schema.json
CHECK="python3 tests/schemacheck.py $SCHEMA"
for b in tools/vocabdump tools/gencases tools/insightgen tools/outdrive; do
	[ -x "$BUILD/$b" ] || { fail schema "build first: $BUILD/$b (make tests-build)"; exit 0; }
done
python3 -c 'import jsonschema' 2>/dev/null || { fail schema "python3-jsonschema is not installed"; exit 0; }

"$BUILD/tools/vocabdump" >"$TMP/vocab.json"
$CHECK vocab --vocab "$TMP/vocab.json"

# --- -r over the goldens and the corpus
"$BUILD/tools/gencases" "$TMP/cases" >/dev/null 2>&1 || fail schema_gencases "gencases failed"
cp "$SHARED/fixtures/seed-handshake-close.pcap" "$TMP/cases/"
mkdir -p "$TMP/out"
bad=""
for p in "$TMP"/cases/*.pcap "$SHARED"/corpus/pcaps/*; do
	n=$(basename "$p")
	# Where libpcap stops reading a capture (one pcapng here), the line that says so is
	# the only one on stderr, and the records before it are checked; any other failure counts.
	if ! "$TCPSTATED" -r "$p" -o json --stats >"$TMP/out/$n.json" 2>"$TMP/out/$n.err"; then
		[ "$(wc -l <"$TMP/out/$n.err")" = 1 ] && grep -q "^tcpstated: $p: " "$TMP/out/$n.err" ||
			bad="$bad $n"
	fi
	[ -s "$TMP/out/$n.json" ] || rm -f "$TMP/out/$n.json"
done
[ -z "$bad" ] && pass schema_replays || fail schema_replays "failed:$bad"
$CHECK replay --expect SYN,SYN_ACK,ESTABLISHED,FIN,RST,TIME_WAIT,STATE,CLOSED,UPDATE,STATS "$TMP"/out/*.json

# --- ALERT, UPDATE: insightgen's capture with t_insight's rules
cat >"$TMP/insight.conf" <<'E2'
tracking: { update_interval = 60; timeouts: { syn = 30; }; };
alerts = (
  { name = "pg-refused"; kind = "refused"; port = 5432; threshold = 20; window = 60; },
  { name = "web-rst"; kind = "rst_server"; port = 80; threshold = 2; window = 60; },
  { name = "any-abnormal"; kind = "abnormal"; threshold = 5; window = 60; }
);
E2
"$BUILD/tools/insightgen" "$TMP/mix.pcap" 2>/dev/null &&
	"$TCPSTATED" -c "$TMP/insight.conf" -r "$TMP/mix.pcap" --stats >"$TMP/mix.json" 2>"$TMP/mix.err" ||
	fail schema_insight_replay "$(head -n 2 "$TMP/mix.err")"
$CHECK alerts --expect ALERT,UPDATE,CLOSED,STATS "$TMP/mix.json"
grep -q '"state":"recovered"' "$TMP/mix.json" && grep -q '"state":"firing"' "$TMP/mix.json" &&
	pass schema_alerts_both_states || fail schema_alerts_both_states "$(grep -c ALERT "$TMP/mix.json") ALERT lines"

# --- SUPPRESSED and IPv6: outdrive's rate-limited log file
printf 'emit mix 400\nfamily 6\nemit mix 40\n' |
	"$BUILD/tools/outdrive" -s file="$TMP/sup.json" -s file.rate_limit=50 2>/dev/null
$CHECK outputs --expect SUPPRESSED,CLOSED,SYN "$TMP/sup.json"

# --- strict: each mutation of a valid CLOSED record must be refused
python3 - "$TMP" "$TMP/out/seed-handshake-close.pcap.json" <<'E2'
import json, sys
tmp, src = sys.argv[1], sys.argv[2]
closed = next(r for r in map(json.loads, open(src)) if r['event'] == 'CLOSED')
def extra(r): r['tunnel_id'] = 7
def missing(r): del r['lifetime']
def reason(r): r['reason'] = 'timeout'
def state(r): r['client_state'] = 'TIME-WAIT'
def kind(r): r['duration'] = '34.1s'
def flow(r): r['flow'] = 'F1'
for f in (extra, missing, reason, state, kind, flow):
    r = dict(closed); f(r)
    open('%s/bad-%s.json' % (tmp, f.__name__), 'w').write(json.dumps(r) + '\n')
E2
for m in extra missing reason state kind flow; do
	if $CHECK "mutant_$m" "$TMP/bad-$m.json" | grep -q '^FAIL'; then
		pass "schema_refuses_$m"
	else
		fail "schema_refuses_$m" "$(cat "$TMP/bad-$m.json")"
	fi
done
