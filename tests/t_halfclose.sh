#!/usr/bin/env bash
# t_halfclose.sh - a half-closed connection, live: tcpstated captures the
# client side's veth between two network namespaces while real sockets
# half-close (the client's shutdown(SHUT_WR), acknowledged; the server's
# application does not close):
#
#   7201  the server never closes             FIN_WAIT_2 / CLOSE_WAIT for good
#   7202  the server closes when told to      then the clean close: fin, SF
#   7203  the witness: the client's FIN is never acknowledged (a blackhole
#         route in the server's namespace drops everything back to its
#         second address), so it ends by closing_timeout
#
# With tracking.timeouts.closing = 2 s and half_closed long, once the witness
# has expired (so `closing` has passed for connections quieter than it), both
# half-closed connections must still be in `tcpstated --flows --state
# close_wait` and in the metrics file's close_wait and fin_wait_2 gauges, and
# those must agree with the kernel's own tables (ss -tan state close-wait in
# the server's namespace, state fin-wait-2 in the client's). The client only
# shuts its side down and keeps the socket: a closed (orphaned) one would be
# dropped from FIN_WAIT_2 by Linux after net.ipv4.tcp_fin_timeout (60 s).
# Then 7202's server closes: CLOSED fin, SF, TIME_WAIT on the client as in
# the kernel. Then a SIGHUP makes half_closed 2 s: 7201 is reported CLOSED
# half_closed_timeout (S2, still FIN_WAIT_2 / CLOSE_WAIT) and leaves the
# gauges and the live view, while the kernel keeps its CLOSE_WAIT (the
# application still holds the socket: the tracker gave up, nothing closed).
#
# No traffic leaves the namespaces: 10.238.0.0/24 exists only inside them.
. "$(dirname "$0")/lib.sh"

require_root halfclose ip ss python3 nsenter

DPID="" SPID="" CPIDS=""
SOCK=$TMP/run/control
PROM=$TMP/metrics/tcpstated.prom
# shellcheck disable=SC2086
trap 'netns_teardown $DPID $SPID $CPIDS' EXIT

A2=10.238.0.3 # the witness's client address, blackholed from the server's side
if ! { netns_pair thc 238 && ip -n "$NSA" addr add $A2/24 dev "$VA"; } 2>>"$TMP/setup.err"; then
	skip halfclose "cannot set up namespaces and veth: $(head -n 1 "$TMP/setup.err")"
	exit 0
fi
netns_settle || { fail halfclose_netns "$A cannot reach $B over the veth"; exit 0; }

cat >"$TMP/server.py" <<'EOF'
import os, sys, time
from netserve import serve
addr, cues = sys.argv[1], sys.argv[2]
held = []

def read_to_fin(c):              # answer, read up to the client's FIN, keep the socket
    c.recv(100); c.sendall(b'pong')
    while c.recv(100):
        pass
    held.append(c)
    return c

def closes_on_cue(c):            # 7202: close once the test says so
    read_to_fin(c)
    while not os.path.exists(os.path.join(cues, '7202')):
        time.sleep(0.05)
    c.close()

serve(addr, 7201, read_to_fin)   # never closes: CLOSE_WAIT until the process ends
serve(addr, 7202, closes_on_cue)
serve(addr, 7203, read_to_fin)
open(os.path.join(cues, 'ready'), 'w').write('ready\n')
while True:
    time.sleep(3600)
EOF

cat >"$TMP/client.py" <<'EOF'
import os, socket, sys, time
port, server, src, cues = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.socket()
s.settimeout(10)
s.bind((src, 0))
s.connect((server, port))
s.sendall(b'ping-%d' % port)
s.recv(100)
open(os.path.join(cues, 'port.%d' % port), 'w').write('%d\n' % s.getsockname()[1])
if port == 7203:                 # the witness: its FIN goes out after the blackhole is in
    while not os.path.exists(os.path.join(cues, 'witness')):
        time.sleep(0.05)
s.shutdown(socket.SHUT_WR)       # not close(): the socket stays in FIN_WAIT_2
s.settimeout(None)
while s.recv(100):               # until the server's FIN (7202), or for good
    pass
s.close()
time.sleep(3600)
EOF

mkdir -p "$TMP/cues" "$TMP/metrics" "$TMP/run"
# conf HALF_CLOSED: the daemon's configuration, with that half_closed timeout.
conf() {
	cat >"$TMP/hc.conf" <<EOF
capture: { interface = "$VA"; ports = [ 7201, 7202, 7203 ]; };
tracking: { timeouts: { closing = 2; half_closed = $1; }; update_interval = 0; };
daemon: { stats_interval = 0; };
outputs: { journal: { enabled = false; }; syslog: { enabled = false; }; file: { enabled = false; }; };
metrics: { interval = 1; };
EOF
}
conf 3600

PYTHONPATH=$PWD/tests nsenter --net=/run/netns/"$NSB" -- python3 "$TMP/server.py" "$B" "$TMP/cues" >"$TMP/server.log" 2>&1 &
SPID=$!
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -f -c "$TMP/hc.conf" -S "$SOCK" --metrics "$PROM" \
    -o json >"$TMP/events.json" 2>"$TMP/diag.err" &
DPID=$!
if ! wait_for 10 grep -q 'capturing on' "$TMP/diag.err" || ! wait_for 10 test -f "$TMP/cues/ready"; then
	fail halfclose_start "daemon: $(head -n 3 "$TMP/diag.err" | tr '\n' '|') server: $(head -n 3 "$TMP/server.log" | tr '\n' '|')"
	exit 0
fi

client_bg() { # port source-address
	nsenter --net=/run/netns/"$NSA" -- python3 "$TMP/client.py" "$1" "$B" "$2" "$TMP/cues" \
	    2>>"$TMP/client.err" &
	CPIDS="$CPIDS $!"
}

# look.py EVENTS what PORT: exits 0 when the records show it (for wait_for).
cat >"$TMP/look.py" <<'EOF'
import json, sys
events, what, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
recs = [json.loads(l) for l in open(events) if l.endswith('\n')] # whole lines only
mine = [r for r in recs if r['server_port'] == port]
if what == 'half_closed':
    ok = any(r['client_state'] == 'FIN_WAIT_2' and r['server_state'] == 'CLOSE_WAIT' for r in mine)
else:
    ok = any(r['event'] == 'CLOSED' for r in mine)
sys.exit(0 if ok else 1)
EOF
look() { python3 "$TMP/look.py" "$TMP/events.json" "$@"; }
# closed PORT CLIENT-PORT KEY=VALUE...: its one CLOSED record has these fields.
cat >"$TMP/closed.py" <<'EOF'
import json, sys
events, port, cport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
want = dict(a.split('=', 1) for a in sys.argv[4:])
c = [r for r in (json.loads(l) for l in open(events) if l.endswith('\n'))
     if r['server_port'] == port and r['event'] == 'CLOSED']
got = {k: str(c[0].get(k)) for k in want} if len(c) == 1 else None
sys.exit(0 if got == want and c[0]['client_port'] == cport else 'got %s, want %s' % (c, want))
EOF
closed() { python3 "$TMP/closed.py" "$TMP/events.json" "$@"; }

# --- two half-closed connections, then the witness's unacknowledged FIN ---------
client_bg 7201 "$A"
client_bg 7202 "$A"
client_bg 7203 "$A2"
if ! wait_for 10 look half_closed 7201 || ! wait_for 10 look half_closed 7202 ||
    ! wait_for 10 test -s "$TMP/cues/port.7203"; then
	fail halfclose_setup "no FIN_WAIT_2 / CLOSE_WAIT seen: $(tr '\n' '|' <"$TMP/client.err") $(tail -n 3 "$TMP/events.json" | tr '\n' '|')"
	exit 0
fi
ip -n "$NSB" route add blackhole $A2/32
touch "$TMP/cues/witness"
# Its FIN is retransmitted at growing intervals; closing_timeout comes after
# the first gap longer than 2 s (some 5 s after the first FIN).
wait_for 20 look closed 7203
check halfclose_witness_closing_timeout closed 7203 "$(cat "$TMP/cues/port.7203")" \
    reason=closing_timeout closed_by=client client_state=FIN_WAIT_1
p7201=$(cat "$TMP/cues/port.7201") p7202=$(cat "$TMP/cues/port.7202")

# compare.py TAG WANT KERNEL: the half-closed connections ("server-port:client-port"
# ...) that --flows --state close_wait and the metrics should show (WANT), and
# those the kernel should hold (KERNEL: ss, CLOSE_WAIT in the server's
# namespace, FIN_WAIT_2 in the client's).
cat >"$TMP/compare.py" <<'EOF'
import sys
import promcheck
tag, d, A, B, want_s, kernel_s = sys.argv[1:]
pairs = lambda s: {(int(w.split(':')[0]), int(w.split(':')[1])) for w in s.split()}
want, kernel = pairs(want_s), pairs(kernel_s)

def check(name, cond, why):
    print(('PASS halfclose_%s_%s' % (tag, name)) if cond else ('FAIL halfclose_%s_%s: %s' % (tag, name, why)))

def ss_pairs(path, local_is_server):
    # (server port, client port) of each socket between A and B: the witness
    # (client A2) is left out, its server got the FIN that was never acknowledged.
    got = set()
    for l in open(path).read().splitlines()[1:]:
        f = l.split()
        if len(f) < 4:
            continue
        local, peer = f[2].rsplit(':', 1), f[3].rsplit(':', 1)
        srv, cli = (local, peer) if local_is_server else (peer, local)
        if srv[0] == B and cli[0] == A:
            got.add((int(srv[1]), int(cli[1])))
    return got

lines = open(d + '.flows').read().splitlines()
rows = {}
for l in lines[1:]:
    f = l.split()
    rows[(int(f[1].rsplit(':', 1)[1]), int(f[0].rsplit(':', 1)[1]))] = f
check('flows', set(rows) == want and
      all(f[2] == 'FIN_WAIT_2' and f[3] == 'CLOSE_WAIT' and f[-1] != 'closed' for f in rows.values()),
      'want %s, --flows --state close_wait: %s' % (sorted(want), ' | '.join(lines)))
ssb, ssa = ss_pairs(d + '.ss-b', True), ss_pairs(d + '.ss-a', False)
check('kernel', ssb == kernel and ssa == kernel, 'ss state close-wait (server) %s, state fin-wait-2 '
      '(client) %s, want %s' % (sorted(ssb), sorted(ssa), sorted(kernel)))
samples, problems = promcheck.parse(open(d + '.prom').read())
bad = []
for port in (7201, 7202, 7203):
    n = sum(1 for w in want if w[0] == port)
    for st in ('close_wait', 'fin_wait_2'):
        got = promcheck.value(samples, 'tcpstated_endpoints', port=str(port), state=st)
        if got != n:
            bad.append('%s on %d: %s, want %d' % (st, port, got, n))
total = sum(val for (name, labels), val in samples.items()
            if name == 'tcpstated_endpoints' and ('state', 'close_wait') in labels)
check('gauges', not problems and not bad and total == len(want),
      '%s; close_wait on every port %s, want %d; %s' % (bad, total, len(want), problems[:3]))
EOF
# snapshot TAG: the live view, a metrics file from a table walk made after
# now (a walk is reused for up to 1 s, the file rewritten every second), and
# the kernel's tables.
snapshot() {
	sleep 1.1
	touch "$TMP/$1.mark"
	wait_for 5 test "$PROM" -nt "$TMP/$1.mark"
	cp "$PROM" "$TMP/$1.prom"
	"$TCPSTATED" --flows --state close_wait -S "$SOCK" >"$TMP/$1.flows" 2>&1
	inB ss -tan state close-wait >"$TMP/$1.ss-b"
	inA ss -tan state fin-wait-2 >"$TMP/$1.ss-a"
}
compare() { # tag want kernel
	PYTHONPATH=$PWD/tests python3 "$TMP/compare.py" "$1" "$TMP/$1" "$A" "$B" "$2" "$3"
}
snapshot kept
compare kept "7201:$p7201 7202:$p7202" "7201:$p7201 7202:$p7202"
if look closed 7201 || look closed 7202; then
	fail halfclose_kept_past_closing "$(grep '"event":"CLOSED"' "$TMP/events.json" | grep -v 7203 | tr '\n' '|')"
else
	pass halfclose_kept_past_closing
fi

# --- 7202's server closes at last: the clean close ------------------------------
touch "$TMP/cues/7202"
wait_for 10 look closed 7202
inA ss -tan state time-wait >"$TMP/fin.ss-tw"
check halfclose_server_closes_fin closed 7202 "$p7202" reason=fin closed_by=client abnormal=False \
    conn_state=SF client_state=TIME_WAIT server_state=CLOSED
check halfclose_server_closes_kernel_time_wait grep -q " $A:$p7202 *$B:7202 " "$TMP/fin.ss-tw"

# --- half_closed 2 s, by SIGHUP: 7201 ends by half_closed_timeout ------------------
conf 2
kill -HUP $DPID
wait_for 5 grep -q 'configuration reloaded' "$TMP/diag.err"
wait_for 10 look closed 7201
check halfclose_half_closed_timeout closed 7201 "$p7201" reason=half_closed_timeout closed_by=client \
    abnormal=True conn_state=S2 client_state=FIN_WAIT_2 server_state=CLOSE_WAIT
# Out of the live view and the gauges, while the kernel keeps its CLOSE_WAIT:
# the server's application still holds the socket, the tracker gave up on it.
snapshot gone
compare gone "" "7201:$p7201"

kill -TERM $DPID
wait $DPID
rc=$?
DPID=""
if [ $rc -eq 0 ]; then pass halfclose_daemon_exit; else fail halfclose_daemon_exit "exit status $rc: $(tail -n 3 "$TMP/diag.err" | tr '\n' '|')"; fi
