#!/usr/bin/env bash
# tests/t_synflood.sh - a scaled-down SYN flood: 100k spoofed SYNs with one
# real connection in the middle, into a table of 10000 flows.
#
# Offline (-r): the real connection is tracked and closed cleanly, the
# half-open flood entries are what gets evicted, and every eviction is both
# counted and reported. Live (a veth between two network namespaces made
# here, tcpreplay on one end, tcpstated on the other): the same, plus RSS
# stays put while the flood passes, and the file output's rate limit turns
# the flood into SUPPRESSED summaries that account for every event left out.
. "$(dirname "$0")/lib.sh"

GEN=$PWD/$BUILD/tools/benchgen
SYNS=100000
MAX_FLOWS=10000
DPID=
# shellcheck disable=SC2086
trap 'netns_teardown $DPID' EXIT

if [ ! -x "$GEN" ]; then
	fail synflood_generate "$GEN is missing (make tests-build)"
	exit 0
fi
if ! "$GEN" -F "$SYNS" -s 7 -o "$TMP/flood.pcap" >"$TMP/gen.out" 2>&1; then
	fail synflood_generate "$(cat "$TMP/gen.out")"
	exit 0
fi
pass synflood_generate

# check_events EVENTS ERR MODE: the real connection's record, and what was
# evicted. MODE offline also wants every count to match exactly.
check_events() {
	python3 - "$1" "$2" "$3" "$SYNS" "$MAX_FLOWS" <<'EOF'
import json, re, sys
events, errfile, mode, syns, max_flows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
real, real_types, evicted, other_evicted, shutdown = [], [], 0, 0, 0
for line in open(events):
    e = json.loads(line)
    mine = e.get("client_ip") == "198.51.100.7" and e.get("client_port") == 40000
    if mine:
        real_types.append(e["event"])
    if e["event"] != "CLOSED":
        continue
    if mine:
        real.append(e)
    elif e["reason"] == "evicted":
        evicted += 1
        if e["conn_state"] != "S0" or e["history"] != "S":
            other_evicted += 1
    elif e["reason"] == "shutdown":
        shutdown += 1
want = {"reason": "fin", "abnormal": False, "closed_by": "client", "server_ip": "10.0.0.1",
        "server_port": 80, "client_bytes": 300, "server_bytes": 1948, "client_pkts": 6,
        "server_pkts": 5, "partial": False, "conn_state": "SF"}
problems = []
if len(real) != 1:
    problems.append("%d CLOSED records for 198.51.100.7:40000, want 1" % len(real))
else:
    for k, v in want.items():
        if real[0].get(k) != v:
            problems.append("real connection %s=%r, want %r" % (k, real[0].get(k), v))
for t in ("SYN", "SYN_ACK", "ESTABLISHED", "FIN", "TIME_WAIT"):
    if t not in real_types:
        problems.append("real connection has no %s event" % t)
if other_evicted:
    problems.append("%d evicted flows were not half-open" % other_evicted)
err = open(errfile).read()
m = re.search(r"tracker: \d+ segments, (\d+) connections[^(]*\((\d+) evicted\)", err)
if not m:
    problems.append("no tracker counters on stderr")
else:
    created, counted = int(m.group(1)), int(m.group(2))
    if counted != evicted:
        problems.append("stderr counts %d evicted, %d CLOSED evicted records" % (counted, evicted))
    if mode == "offline":
        if created != syns + 1:
            problems.append("%d connections, want %d" % (created, syns + 1))
        if evicted != syns + 1 - 1 - max_flows or shutdown != max_flows:
            problems.append("%d evicted and %d shut down, want %d and %d" % (evicted, shutdown, syns - max_flows, max_flows))
    elif evicted < (syns - max_flows) * 9 // 10:
        problems.append("only %d evicted" % evicted)
if problems:
    print("; ".join(problems))
    sys.exit(1)
EOF
}

# Offline: every event to stdout.
printf 'tracking: { max_flows = %d; };\n' "$MAX_FLOWS" >"$TMP/small.conf"
if "$TCPSTATED" -d -r "$TMP/flood.pcap" -c "$TMP/small.conf" >"$TMP/off.json" 2>"$TMP/off.err"; then
	pass synflood_offline_runs
	check synflood_offline_real_and_evictions check_events "$TMP/off.json" "$TMP/off.err" offline
else
	fail synflood_offline_runs "$(tail -n 2 "$TMP/off.err" | tr '\n' ' ')"
fi

# Live: skipped where namespaces or tcpreplay are not to be had.
require_root synflood_live ip nsenter tcpreplay
if ! netns_pair tsf 233; then
	fail synflood_live_netns "$(cat "$TMP/setup.err")"
	exit 0
fi

cat >"$TMP/live.conf" <<EOF
capture: { interface = "$VB"; };
tracking: { max_flows = $MAX_FLOWS; };
daemon: { stats_interval = 0; };
outputs: {
	journal: { enabled = false; };
	syslog: { enabled = false; };
	file: { enabled = true; path = "$TMP/events.json"; rate_limit = 100; rate_interval = 1; };
};
EOF
nsenter --net=/run/netns/"$NSB" -- "$TCPSTATED" -f -c "$TMP/live.conf" -S "$TMP/ctl.sock" -o json --outputs >"$TMP/live.json" 2>"$TMP/live.err" &
DPID=$!
if ! wait_for 5 grep -q 'running as' "$TMP/live.err"; then
	fail synflood_live_start "$(tail -n 2 "$TMP/live.err" | tr '\n' ' ')"
	exit 0
fi
rss0=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DPID/status")
# 50k packets/s: two seconds of flood, two rate-limit windows at least.
if ! inA tcpreplay -K --pps=50000 -i "$VA" "$TMP/flood.pcap" >"$TMP/replay.out" 2>&1; then
	fail synflood_live_replay "$(tail -n 2 "$TMP/replay.out" | tr '\n' ' ')"
	exit 0
fi
sleep 1.5
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DPID/status")
kill -TERM "$DPID"
wait "$DPID"
rc=$?
DPID=
if [ "$rc" -eq 0 ]; then pass synflood_live_exit; else fail synflood_live_exit "status $rc"; fi

# The table is allocated at start: the flood may not grow the process.
if [ $((hwm - rss0)) -lt 4096 ]; then
	pass synflood_live_rss_bounded
else
	fail synflood_live_rss_bounded "RSS grew from $rss0 kB to a peak of $hwm kB"
fi

dropped=$(sed -n 's/.*capture: .*, \([0-9]*\) dropped by the kernel.*/\1/p' "$TMP/live.err")
if [ "${dropped:-1}" = 0 ]; then
	check synflood_live_real_and_evictions check_events "$TMP/live.json" "$TMP/live.err" live
else
	skip synflood_live_real_and_evictions "the kernel dropped ${dropped:-?} packets"
fi

# The file output: at most 100 records a second, the rest summarised, and
# written + suppressed = every event the tracker emitted (stdout has them all).
if python3 - "$TMP" <<'EOF' >"$TMP/rate.out" 2>&1; then
import glob, json, sys
tmp = sys.argv[1]
total = sum(1 for _ in open(tmp + "/live.json"))
written = summaries = suppressed = 0
for path in glob.glob(tmp + "/events.json*"):
    for line in open(path):
        e = json.loads(line)
        if e["event"] == "SUPPRESSED":
            summaries += 1
            suppressed += e["suppressed"]
        else:
            written += 1
problems = []
if summaries == 0:
    problems.append("no SUPPRESSED record")
if written > 100 * 8:
    problems.append("%d records written in a few seconds at 100/s" % written)
if written + suppressed != total:
    problems.append("%d written + %d suppressed != %d events" % (written, suppressed, total))
if problems:
    print("; ".join(problems))
    sys.exit(1)
EOF
	pass synflood_live_rate_limited
else
	fail synflood_live_rate_limited "$(tr '\n' ' ' <"$TMP/rate.out")"
fi
