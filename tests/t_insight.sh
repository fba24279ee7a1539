#!/usr/bin/env bash
# t_insight.sh - counters, alerts and interim records on a replayed capture
# with a known mix (tests/tools/insightgen.c says what is in it):
#   - the STATS record that --stats adds after the last event, the counters
#     of the whole file;
#   - the Prometheus file of --metrics: every line a valid exposition-format
#     sample or comment, families whole, counters per port as generated;
#   - ALERT records: each rule fires exactly once for its burst, with the
#     count, the window and the top peers, and recovers exactly once, at the
#     second its window no longer holds the burst;
#   - UPDATE records of the one long connection at first + 60 s, 120 s,
#     180 s with the bytes sent by then, and none for short connections;
#   - the same file gives the same records every time; the text forms.
. "$(dirname "$0")/lib.sh"

GEN=$BUILD/tools/insightgen
if [ ! -x "$GEN" ] || [ ! -x "$TCPSTATED" ]; then
	fail insight "build first: $GEN and $TCPSTATED (make tests-build)"
	exit 0
fi
if ! "$GEN" "$TMP/mix.pcap" 2>"$TMP/gen.err"; then
	fail insight_generate "$(head -n 2 "$TMP/gen.err")"
	exit 0
fi

cat >"$TMP/insight.conf" <<'EOF'
tracking: {
  update_interval = 60;
  timeouts: { syn = 30; };
};
alerts = (
  { name = "pg-refused"; kind = "refused"; port = 5432; threshold = 20; window = 60; },
  { name = "web-rst"; kind = "rst_server"; port = 80; threshold = 2; window = 60; }
);
EOF

"$TCPSTATED" -q -c "$TMP/insight.conf" -r "$TMP/mix.pcap" --stats --metrics "$TMP/mix.prom" \
    >"$TMP/mix.json" 2>"$TMP/mix.err"
rc=$?
if [ $rc -ne 0 ] || [ -s "$TMP/mix.err" ]; then
	fail insight_replay "exit $rc: $(head -n 3 "$TMP/mix.err" | tr '\n' '|')"
	exit 0
fi
pass insight_replay

# --- the records ---------------------------------------------------------------
python3 - "$TMP/mix.json" <<'EOF'
import json, sys
T0 = 1700000000
recs = [json.loads(l) for l in open(sys.argv[1])]

def check(name, cond, why=''):
    print('PASS insight_%s' % name if cond else 'FAIL insight_%s: %s' % (name, why))

def secs(ts):  # "2023-11-14T22:14:20.000000Z" -> seconds after T0, float
    import datetime
    d = datetime.datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
    return round(d.timestamp() - T0, 6)

stats = [r for r in recs if r['event'] == 'STATS']
check('stats_record_last', len(stats) == 1 and recs[-1]['event'] == 'STATS', 'STATS records: %d' % len(stats))
s = stats[-1] if stats else {}
want = {'attempts': 44, 'opened': 17, 'closed': 45, 'closed_fin': 11, 'closed_rst_server': 3,
        'closed_rst_client': 2, 'closed_refused': 25, 'closed_syn_timeout': 2,
        'closed_shutdown': 2, 'closed_idle_timeout': 0, 'closed_evicted': 0, 'handshakes': 17,
        'handshake_avg': 0.002, 'connections': 0, 'alerts_firing': 0, 'uptime': 200, 'hash_overflows': 0,
        'kernel_drops': 0, 'output_dropped': 0}
bad = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
check('stats_counters', not bad, 'got/want: %s' % bad)
# The record's own closes add up, and agree with the CLOSED records.
closed = [r for r in recs if r['event'] == 'CLOSED']
check('stats_match_closed_records', len(closed) == s.get('closed') and
      sum(v for k, v in s.items() if k.startswith('closed_')) == s.get('closed'),
      '%d CLOSED records' % len(closed))

alerts = [r for r in recs if r['event'] == 'ALERT']
fired = [a for a in alerts if a['state'] == 'firing']
recovered = [a for a in alerts if a['state'] == 'recovered']
check('alerts_once_each', sorted(a['alert'] for a in fired) == ['pg-refused', 'web-rst'] and
      sorted(a['alert'] for a in recovered) == ['pg-refused', 'web-rst'],
      [(a['alert'], a['state']) for a in alerts])
pg = [a for a in fired if a['alert'] == 'pg-refused']
if pg:
    a = pg[0]
    check('alert_fires_at_threshold',
          a['count'] == 21 and a['kind'] == 'refused' and a['port'] == 5432 and
          a['threshold'] == 20 and a['window'] == 60 and 10 < secs(a['ts']) < 10.05, a)
    check('alert_top_peers', list(a['peers'].items()) ==
          [('10.0.0.7', 12), ('10.0.0.8', 8), ('10.0.0.9', 1)], a.get('peers'))
    # Fired at the 21st refusal: the CLOSED record just before it.
    i = recs.index(a)
    check('alert_right_after_the_21st', recs[i - 1]['event'] == 'CLOSED' and
          recs[i - 1]['reason'] == 'refused' and
          sum(1 for r in recs[:i] if r['event'] == 'CLOSED' and r['reason'] == 'refused') == 21,
          recs[i - 1])
web = [a for a in fired if a['alert'] == 'web-rst']
check('alert_second_rule', bool(web) and web[0]['count'] == 3 and web[0]['kind'] == 'rst_server' and
      web[0]['peers'] == {'10.0.0.3': 3}, web)
rec = {a['alert']: a for a in recovered}
check('alerts_recover_when_window_passes',
      secs(rec.get('pg-refused', {}).get('ts', 'x' * 27)) == 70.0 if 'pg-refused' in rec else False,
      rec)
check('alert_second_rule_recovers',
      'web-rst' in rec and secs(rec['web-rst']['ts']) == 63.0 and rec['web-rst']['count'] == 0 and
      'peers' not in rec['web-rst'] and rec['web-rst']['duration'] > 59, rec.get('web-rst'))

updates = [r for r in recs if r['event'] == 'UPDATE']
got = [(secs(u['ts']), u['client_port'], u['client_bytes'], u['duration'], u['client_state'],
        u['server_state'], u['by']) for u in updates]
check('update_records', got == [(60.0, 50000, 110, 60.0, 'ESTABLISHED', 'ESTABLISHED', 'none'),
                                (120.0, 50000, 130, 120.0, 'ESTABLISHED', 'ESTABLISHED', 'none'),
                                (180.0, 50000, 150, 180.0, 'ESTABLISHED', 'ESTABLISHED', 'none')],
      got)
L = [r for r in recs if r.get('client_port') == 50000]
check('update_same_flow_before_closed', len({r['flow'] for r in L}) == 1 and L[-1]['event'] == 'CLOSED' and
      L[-1]['reason'] == 'fin' and L[-1]['client_bytes'] == 160, L[-1] if L else None)
EOF

# --- the metrics file ------------------------------------------------------------
PYTHONPATH=tests python3 - "$TMP/mix.prom" <<'EOF'
import sys
import promcheck
samples, problems = promcheck.parse(open(sys.argv[1]).read())

def check(name, cond, why=''):
    print('PASS insight_%s' % name if cond else 'FAIL insight_%s: %s' % (name, why))

check('prom_valid_exposition', not problems and len(samples) > 100, problems[:5])
check('prom_no_client_labels', not any(k in ('client', 'client_ip', 'peer', 'ip', 'flow')
                                       for (_, l) in samples for k, _ in l))
want = [
    ('tcpstated_build_info', {'version': open('VERSION').read().strip()}, 1),
    ('tcpstated_connection_attempts_total', {}, 44),
    ('tcpstated_connections_opened_total', {'port': '80'}, 17),
    ('tcpstated_connections_opened_total', {'port': '5432'}, 0),
    ('tcpstated_connections_opened_total', {'port': 'other'}, 0),
    ('tcpstated_connections_closed_total', {'port': '80', 'reason': 'fin'}, 11),
    ('tcpstated_connections_closed_total', {'port': '80', 'reason': 'rst_server'}, 3),
    ('tcpstated_connections_closed_total', {'port': '80', 'reason': 'rst_client'}, 2),
    ('tcpstated_connections_closed_total', {'port': '80', 'reason': 'shutdown'}, 1),
    ('tcpstated_connections_closed_total', {'port': '5432', 'reason': 'refused'}, 25),
    ('tcpstated_connections_closed_total', {'port': 'other', 'reason': 'syn_timeout'}, 2),
    ('tcpstated_connections_closed_total', {'port': 'other', 'reason': 'shutdown'}, 1),
    ('tcpstated_connections_closed_total', {'port': 'other', 'reason': 'refused'}, 0),
    ('tcpstated_handshake_seconds_bucket', {'port': '80', 'le': '0.001'}, 0),
    ('tcpstated_handshake_seconds_bucket', {'port': '80', 'le': '0.0025'}, 17),
    ('tcpstated_handshake_seconds_bucket', {'port': '80', 'le': '10'}, 17),
    ('tcpstated_handshake_seconds_bucket', {'port': '80', 'le': '+Inf'}, 17),
    ('tcpstated_handshake_seconds_count', {'port': '80'}, 17),
    ('tcpstated_handshake_seconds_sum', {'port': '80'}, 0.034),
    ('tcpstated_endpoints', {'port': '80', 'state': 'established'}, 0),
    ('tcpstated_events_total', {'type': 'UPDATE'}, 3),
    ('tcpstated_capture_dropped_packets_total', {'where': 'kernel'}, 0),
    ('tcpstated_alert_firing', {'alert': 'pg-refused'}, 0),
    ('tcpstated_alerts_fired_total', {'alert': 'pg-refused'}, 1),
    ('tcpstated_alerts_fired_total', {'alert': 'web-rst'}, 1),
    ('tcpstated_output_records_total', {'output': 'stdout'}, None),
]
wrong = []
for name, labels, val in want:
    got = promcheck.value(samples, name, **labels)
    if got is None or (val is not None and abs(got - val) > 1e-9):
        wrong.append('%s%s: %s, want %s' % (name, labels, got, val))
check('prom_counters', not wrong, '; '.join(wrong))
# Per port and "other" add up to what the STATS record says in total.
opened = sum(v for (n, l), v in samples.items() if n == 'tcpstated_connections_opened_total')
closed = sum(v for (n, l), v in samples.items() if n == 'tcpstated_connections_closed_total')
check('prom_rows_add_up', opened == 17 and closed == 45, (opened, closed))
# Histogram buckets never decrease.
b = sorted((float(dict(l)['le'].replace('+Inf', 'inf')), v) for (n, l), v in samples.items()
           if n == 'tcpstated_handshake_seconds_bucket' and dict(l)['port'] == '80')
check('prom_histogram_cumulative', all(x[1] <= y[1] for x, y in zip(b, b[1:])) and len(b) == 15, b)
EOF

# The checker itself rejects what is not the exposition format.
printf '# TYPE a_total counter\na_total 1\nb{x="1"} 2 3 4\n# TYPE a_total counter\n' >"$TMP/bad.prom"
if ! python3 tests/promcheck.py "$TMP/bad.prom" >"$TMP/bad.out" 2>&1 && [ "$(grep -c '' "$TMP/bad.out")" = 2 ]; then
	pass insight_promcheck_rejects_garbage
else
	fail insight_promcheck_rejects_garbage "$(tr '\n' '|' <"$TMP/bad.out")"
fi

# --- deterministic, and the text forms -------------------------------------------
"$TCPSTATED" -q -c "$TMP/insight.conf" -r "$TMP/mix.pcap" --stats --metrics "$TMP/mix2.prom" \
    >"$TMP/mix2.json" 2>/dev/null
same_file insight_deterministic "$TMP/mix.json" "$TMP/mix2.json"
grep -v '^tcpstated_start_time_seconds' "$TMP/mix.prom" >"$TMP/a.prom"
grep -v '^tcpstated_start_time_seconds' "$TMP/mix2.prom" >"$TMP/b.prom"
same_file insight_metrics_deterministic "$TMP/a.prom" "$TMP/b.prom"
if [ "$(stat -c %a "$TMP/mix.prom")" = 644 ] && [ ! -e "$TMP/mix.prom.tmp" ]; then
	pass insight_metrics_file_mode
else
	fail insight_metrics_file_mode "$(stat -c %a "$TMP/mix.prom") $(ls "$TMP" | tr '\n' ' ')"
fi

"$TCPSTATED" -q -c "$TMP/insight.conf" -r "$TMP/mix.pcap" --stats -o text >"$TMP/mix.txt" 2>/dev/null
if grep -q '^2023-11-14T22:13:30\.[0-9]*Z alert pg-refused firing: 21 refused connections to port 5432 in 60 s (threshold 20); top peers 10.0.0.7 (12), 10.0.0.8 (8), 10.0.0.9 (1)$' "$TMP/mix.txt" &&
    grep -q '^2023-11-14T22:14:30.000000Z alert pg-refused recovered: [0-9]* refused connections to port 5432 in 60 s (recovery level 20, after 59 s)$' "$TMP/mix.txt" &&
    grep -q '^2023-11-14T22:14:20.000000Z C[0-9A-Za-z]* *UPDATE  *10.0.0.1:50000 - 10.0.0.2:80  client ESTABLISHED  server ESTABLISHED  duration=1m00s client 110B/[0-9]*p server 0B/[0-9]*p$' "$TMP/mix.txt" &&
    tail -n 1 "$TMP/mix.txt" | grep -q '^2023-11-14T22:16:40.010000Z stats: [0-9]* packets .* 17 opened, 45 closed (34 abnormal); .* 0 alerts firing$'; then
	pass insight_text_forms
else
	fail insight_text_forms "$(grep -E 'alert|UPDATE|stats:' "$TMP/mix.txt" | head -n 6 | tr '\n' '|')"
fi

# Without --stats no STATS record; without update_interval (0) no UPDATE; without --metrics no file.
sed 's/update_interval = 60;/update_interval = 0;/' "$TMP/insight.conf" >"$TMP/off.conf"
"$TCPSTATED" -c "$TMP/off.conf" -r "$TMP/mix.pcap" >"$TMP/off.json" 2>/dev/null
if ! grep -q '"event":"STATS"' "$TMP/off.json" && ! grep -q '"event":"UPDATE"' "$TMP/off.json" &&
    [ "$(grep -c '"event":"ALERT"' "$TMP/off.json")" = 4 ]; then
	pass insight_records_only_when_asked
else
	fail insight_records_only_when_asked "$(grep -c STATS "$TMP/off.json") STATS, $(grep -c UPDATE "$TMP/off.json") UPDATE"
fi
