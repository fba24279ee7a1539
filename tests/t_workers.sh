#!/usr/bin/env bash
# t_workers.sh - capture.workers = 2 against the single-threaded daemon, on
# the same packets. Two daemons capture the same veth at once, one with
# workers = 1 (today's path) and one with workers = 2 (two fanout handles,
# two tracker shards); real sockets in two namespaces open and close
# connections every common way. Both must report exactly the same events
# for every connection (flow ids aside: they are per run), the same --stats
# counters and the same --flows; the two shards must each have had a share
# of the traffic (the kernel's hash keeps a connection's two directions on
# one worker, or the records would differ); and every thread of the
# workers' daemon must hold no more privilege than its main thread.
#
# No traffic leaves the namespaces: 10.232.0.0/24 exists only inside them.
. "$(dirname "$0")/lib.sh"

require_root workers ip python3 nsenter
# The scripts below (in the namespaces too) import tests/netserve.py.
export PYTHONPATH="$PWD/tests"

D1="" D2="" SPID="" HPID=""
# shellcheck disable=SC2086
trap 'netns_teardown $D1 $D2 $SPID $HPID' EXIT

if ! netns_pair tw 232; then
	skip workers "cannot set up namespaces and veth: $(head -n 1 "$TMP/setup.err")"
	exit 0
fi
netns_settle || { fail workers_netns "$A cannot reach $B over the veth"; exit 0; }

cat >"$TMP/server.py" <<'EOF'
import socket, struct, sys, time
import netserve
from netserve import recv_all
addr, ready = sys.argv[1], sys.argv[2]

def client_first(c):
    c.recv(100); c.sendall(b'pong'); recv_all(c); c.close()

def server_first(c):
    c.recv(100); c.sendall(b'pong' * 1000); c.close()

def server_aborts(c):
    c.recv(100)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()

def hold(c):
    try:
        recv_all(c)
    except OSError:
        pass
    c.close()

for port, handler in ((7201, client_first), (7202, server_first), (7203, server_aborts),
                      (7205, hold)):
    netserve.serve(addr, port, handler, backlog=64)
open(ready, 'w').write('ready\n')
while True:
    time.sleep(3600)
EOF

# 48 connections that end by themselves (7204: refused), then 6 held open until told.
cat >"$TMP/client.py" <<'EOF'
import socket, struct, sys, time
from netserve import recv_all
server, mode = sys.argv[1], sys.argv[2]

if mode == 'hold':
    held = []
    for _ in range(6):
        s = socket.create_connection((server, 7205)); s.sendall(b'hold'); held.append(s)
    print('held', flush=True)
    sys.stdin.read()          # until the test closes our standard input
    for s in held:
        s.close()
    time.sleep(0.5)
    sys.exit(0)
for i in range(12):
    s = socket.create_connection((server, 7201)); s.sendall(b'ping'); s.recv(100); s.close()
    s = socket.create_connection((server, 7202)); s.sendall(b'ping'); recv_all(s); s.close()
    s = socket.create_connection((server, 7203)); s.sendall(b'ping')
    try:
        s.recv(100)
    except ConnectionResetError:
        pass
    s.close()
    s = socket.socket()
    try:
        s.connect((server, 7204))
        sys.exit('connected to 7204')
    except ConnectionRefusedError:
        pass
    s.close()
EOF

# quiet NAME FILE: pass if the checker wrote nothing to FILE, else fail showing what it wrote.
quiet() {
	if [ -s "$2" ]; then fail "$1" "$(head -c 800 "$2" | tr '\n' '|')"; else pass "$1"; fi
}

nsenter --net=/run/netns/"$NSB" -- python3 "$TMP/server.py" $B "$TMP/server.ready" >"$TMP/server.log" 2>&1 &
SPID=$!
wait_for 5 test -f "$TMP/server.ready" || { fail workers_server "$(cat "$TMP/server.log")"; exit 0; }

for n in 1 2; do
	cat >"$TMP/w$n.conf" <<EOF
capture: { interface = "$VA"; ports = [ 7201, 7202, 7203, 7204, 7205 ]; workers = $n; };
daemon: { stats_interval = 0; };
outputs: {
	journal: { enabled = false; };
	syslog: { enabled = false; };
	file: { enabled = false; };
};
EOF
done
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -d -f -c "$TMP/w1.conf" -S "$TMP/w1.sock" \
    -o json >"$TMP/w1.json" 2>"$TMP/w1.err" &
D1=$!
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -d -f -c "$TMP/w2.conf" -S "$TMP/w2.sock" \
    --metrics "$TMP/w2.prom" -o json >"$TMP/w2.json" 2>"$TMP/w2.err" &
D2=$!
if ! wait_for 10 test -S "$TMP/w1.sock" -a -S "$TMP/w2.sock"; then
	fail workers_start "$(head -n 3 "$TMP/w1.err" "$TMP/w2.err" | tr '\n' '|')"
	exit 0
fi
if grep -q ', 2 workers$' "$TMP/w2.err"; then
	pass workers_started
else
	fail workers_started "$(head -n 3 "$TMP/w2.err" | tr '\n' '|')"
fi
sleep 0.5 # both handles are reading

# Every thread of the workers' daemon (the main one, two workers): no more than the main one.
python3 - "$D2" >"$TMP/threads.out" 2>&1 <<'EOF'
import glob, sys
pid = sys.argv[1]
def caps(path):
    return {l.split(':')[0]: l.split()[1] for l in open(path)
            if l.split(':')[0] in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs')}
main = caps('/proc/%s/status' % pid)
tasks = glob.glob('/proc/%s/task/*/status' % pid)
bad = [t for t in tasks if caps(t) != main]
if len(tasks) < 3 or bad or main.get('CapEff') != '0000000000002000':
    sys.exit('%d threads; main %s; differ: %s' % (len(tasks), main, bad))
EOF
quiet workers_threads_privileges "$TMP/threads.out"

if ! inA python3 "$TMP/client.py" $B run >"$TMP/client.out" 2>&1; then
	fail workers_client "$(tail -n 3 "$TMP/client.out" | tr '\n' '|')"
fi
mkfifo "$TMP/hold.in"
nsenter --net=/run/netns/"$NSA" -- python3 "$TMP/client.py" $B hold <"$TMP/hold.in" >"$TMP/hold.out" 2>&1 &
HPID=$!
exec 9>"$TMP/hold.in"
wait_for 5 grep -q held "$TMP/hold.out" || fail workers_hold "$(cat "$TMP/hold.out")"

# Both daemons have seen every close (48), and the 6 held connections established.
count_closed() { # file
	python3 -c "import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
c = sum(1 for e in r if e['event'] == 'CLOSED')
h = sum(1 for e in r if e['event'] == 'ESTABLISHED' and e['server_port'] == 7205)
sys.exit(0 if c >= 48 and h >= 12 else 1)" "$1"
}
wait_for 10 count_closed "$TMP/w1.json" && wait_for 10 count_closed "$TMP/w2.json" ||
	fail workers_events_arrive "w1 $(grep -c CLOSED "$TMP/w1.json"), w2 $(grep -c CLOSED "$TMP/w2.json")"

# --flows and --stats: the same answers from the one table and from the two shards.
for n in 1 2; do
	"$TCPSTATED" --flows -o json -S "$TMP/w$n.sock" >"$TMP/flows$n.json" 2>&1
	"$TCPSTATED" --stats -o json -S "$TMP/w$n.sock" >"$TMP/stats$n.json" 2>&1
done
python3 - "$TMP/flows1.json" "$TMP/flows2.json" >"$TMP/flows.out" 2>&1 <<'EOF'
import json, sys
def rows(path):
    out = []
    for l in open(path):
        r = json.loads(l)
        for k in ('flow', 'age', 'ts', 'duration'):
            r.pop(k, None)
        out.append(json.dumps(r, sort_keys=True))
    return sorted(out)
a, b = rows(sys.argv[1]), rows(sys.argv[2])
held = [r for r in b if '7205' in r and 'ESTABLISHED' in r]
if a != b or len(held) != 6:
    sys.exit('workers=1: %d rows, workers=2: %d rows (%d held)\n%s\n%s' % (len(a), len(b), len(held), a[:3], b[:3]))
EOF
quiet workers_flows_same "$TMP/flows.out"
python3 - "$TMP/stats1.json" "$TMP/stats2.json" >"$TMP/stats.out" 2>&1 <<'EOF'
import json, sys
# Times: the kernel stamps a frame for each capture socket on its own (see below).
TIMES = ('ts', 'uptime', 'handshake_avg')
def rec(path):
    r = json.loads(open(path).read().strip().splitlines()[-1])
    for k in TIMES:
        r.pop(k, None)
    return r
a, b = rec(sys.argv[1]), rec(sys.argv[2])
diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
if diff or a.get('opened', 0) < 42:
    sys.exit('differ: %s; opened %s' % (diff, a.get('opened')))
EOF
quiet workers_stats_same "$TMP/stats.out"

# --stats says how many workers, and that no event was lost between them and the loop.
if grep -q '^workers: 2 capture threads, 0 events lost to a full ring$' <("$TCPSTATED" --stats -S "$TMP/w2.sock"); then
	pass workers_stats_text
else
	fail workers_stats_text "$("$TCPSTATED" --stats -S "$TMP/w2.sock" | head -n 8 | tr '\n' '|')"
fi

# SIGHUP: the shards take the new tracking settings; new capture settings wait for a restart.
sed -i 's/daemon: {/tracking: { timeouts: { syn = 5; }; };\ndaemon: {/' "$TMP/w2.conf"
kill -HUP "$D2"
if wait_for 5 grep -q 'configuration reloaded' "$TMP/w2.err"; then
	pass workers_reload
else
	fail workers_reload "$(tail -n 3 "$TMP/w2.err" | tr '\n' '|')"
fi
sed -i 's/7205 \]/7205, 7206 ]/' "$TMP/w2.conf"
kill -HUP "$D2"
if wait_for 5 grep -q 'capture settings takes a restart' "$TMP/w2.err"; then
	pass workers_reload_capture_waits
else
	fail workers_reload_capture_waits "$(tail -n 3 "$TMP/w2.err" | tr '\n' '|')"
fi

# The held connections close; then both stop, and the records are compared.
exec 9>&-
wait "$HPID"
HPID=""
wait_for 10 sh -c "[ \$(grep -c '\"server_port\":7205.*\"reason\":\"fin\"' '$TMP/w2.json') -ge 6 ] &&
    [ \$(grep -c '\"server_port\":7205.*\"reason\":\"fin\"' '$TMP/w1.json') -ge 6 ]" ||
	fail workers_held_close "$(grep -c 7205 "$TMP/w2.json")"
kill -TERM "$D1" "$D2"
wait "$D1"; r1=$?
wait "$D2"; r2=$?
D1="" D2=""
check workers_exit_0 test "$r1$r2" = 00

python3 - "$TMP/w1.json" "$TMP/w2.json" >"$TMP/records.out" 2>&1 <<'EOF'
import json, sys
def conns(path):
    by = {}
    for l in open(path):
        r = json.loads(l)
        if r['event'] in ('STATS', 'ALERT'):
            continue
        for k in ('flow', 'ts', 'duration', 'lifetime'):
            r.pop(k, None)
        key = (r['client_ip'], r['client_port'], r['server_ip'], r['server_port'])
        by.setdefault(key, []).append(json.dumps(r, sort_keys=True))
    return by
a, b = conns(sys.argv[1]), conns(sys.argv[2])
closed = sum(1 for v in a.values() for r in v if '"event": "CLOSED"' in r)
if closed != 54:
    sys.exit('workers=1 closed %d connections, want 54' % closed)
bad = [k for k in set(a) | set(b) if a.get(k) != b.get(k)]
if bad:
    k = bad[0]
    sys.exit('%d of %d connections differ, e.g. %s:\n%s\n%s' % (len(bad), len(a), k, a.get(k), b.get(k)))
EOF
quiet workers_records_same "$TMP/records.out"

# The last metrics, written at the stop: the same count, and the shards' connections summed.
if grep -qx 'tcpstated_worker_events_lost_total 0' "$TMP/w2.prom" &&
    grep -qx 'tcpstated_connection_attempts_total 54' "$TMP/w2.prom"; then
	pass workers_metrics
else
	fail workers_metrics "$(grep -E 'lost|attempts_total' "$TMP/w2.prom" | tr '\n' '|')"
fi

# Each worker had its share: the hash spread the 54 connections over both.
line=$(grep 'workers: 2 capture threads' "$TMP/w2.err")
if [[ $line =~ segments\ ([0-9]+)\ ([0-9]+)\;\ 0\ events\ lost ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] &&
    [ "${BASH_REMATCH[2]}" -gt 0 ]; then
	pass workers_both_used
else
	fail workers_both_used "$line"
fi

# "any" has no fanout: -t says it runs one worker; "auto" is a value; a word is not.
printf 'capture: { interface = "any"; workers = 4; };\n' >"$TMP/any.conf"
if "$TCPSTATED" -t -c "$TMP/any.conf" 2>"$TMP/any.err" >/dev/null &&
    grep -q 'warning: capture.workers: "any" cannot be split' "$TMP/any.err"; then
	pass workers_any_said
else
	fail workers_any_said "$(cat "$TMP/any.err")"
fi
printf 'capture: { interface = "lo"; workers = "auto"; };\n' >"$TMP/auto.conf"
check workers_conf_auto "$TCPSTATED" -t -c "$TMP/auto.conf"
printf 'capture: { workers = "many"; };\n' >"$TMP/bad.conf"
if ! "$TCPSTATED" -t -c "$TMP/bad.conf" 2>"$TMP/bad.err" && grep -q 'or "auto"' "$TMP/bad.err"; then
	pass workers_conf_bad
else
	fail workers_conf_bad "$(cat "$TMP/bad.err")"
fi
