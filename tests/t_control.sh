#!/usr/bin/env bash
# t_control.sh - the live view and the live counters, end to end: tcpstated
# captures a veth between two network namespaces (as t_live.sh does) while
# real sockets hold connections open in known states:
#
#   7101  two connections held open          ESTABLISHED / ESTABLISHED
#   7102  the client shut down its side,     FIN_WAIT_2 / CLOSE_WAIT
#         the server never closes
#   7103  closed, client first               TIME_WAIT (client), remembered
#   7109  nothing listens: refused three times (an alert rule: more than 2)
#
# Then: `tcpstated --flows` lists exactly those connections with their
# states and ages, filtered by --ip, --port and --state, sorted by age or
# bytes, as text or JSON, once or with --watch; `tcpstated --stats` prints
# the counters; the control socket is 0600 and a non-root user (uid 65534) is
# refused, by the file's mode and, when the mode lets it in, by the daemon
# itself (SO_PEERCRED); bad requests, too long ones and too many at once get
# one-line errors and the daemon serves on; a silent client is dropped at the
# deadline. A second daemon, running as nobody, is held by a hostile client
# of its own uid that takes every slot it can: root's --flows still gets in;
# and a client that asks for a large answer and never reads it is dropped. The metrics file is valid
# exposition text with the endpoints in each state per port; STATS records
# and the ALERT reach the outputs, STATUS= carries the same counters; at
# SIGTERM the socket goes away.
#
# No traffic leaves the namespaces: 10.232.0.0/24 exists only inside them.
. "$(dirname "$0")/lib.sh"

require_root control ip python3 nsenter setpriv

DPID="" SPID="" NPID="" CPIDS="" D2PID="" HPID=""
SOCK=$TMP/run/control
# shellcheck disable=SC2086
trap 'netns_teardown $DPID $SPID $NPID $CPIDS $D2PID $HPID' EXIT
if ! netns_pair tc 232; then
	skip control "cannot set up namespaces and veth: $(head -n 1 "$TMP/setup.err")"
	exit 0
fi
netns_settle || { fail control_netns "$A cannot reach $B over the veth"; exit 0; }

cat >"$TMP/server.py" <<'EOF'
import sys, time
from netserve import serve
addr, ready = sys.argv[1], sys.argv[2]
held = []
def hold(c):                  # answer, then keep it open, never close
    c.recv(100); c.sendall(b'held'); held.append(c)
def close_after_client(c):    # 7103: close once the client has
    c.recv(100); c.sendall(b'bye')
    while c.recv(100):
        pass
    c.close()
serve(addr, 7101, hold)
serve(addr, 7102, hold)
serve(addr, 7103, close_after_client)
open(ready, 'w').write('ready\n')
while True:
    time.sleep(3600)
EOF

cat >"$TMP/client.py" <<'EOF'
import socket, sys, time
case, server, out = sys.argv[1], sys.argv[2], sys.argv[3]
def conn(port):
    s = socket.socket(); s.settimeout(5); s.connect((server, port)); return s
if case == 'hold':                    # prints its port, stays until killed
    s = conn(7101); s.sendall(b'x'); s.recv(100)
    open(out, 'a').write('%d\n' % s.getsockname()[1]); time.sleep(3600)
elif case == 'half':
    s = conn(7102); s.sendall(b'x'); s.recv(100); s.shutdown(socket.SHUT_WR)
    open(out, 'a').write('%d\n' % s.getsockname()[1]); time.sleep(3600)
elif case == 'closed':
    s = conn(7103); s.sendall(b'x'); s.recv(100)
    open(out, 'a').write('%d\n' % s.getsockname()[1]); s.close(); time.sleep(0.3)
elif case == 'refused':
    for _ in range(3):
        s = socket.socket()
        try:
            s.connect((server, 7109)); sys.exit('connected to 7109')
        except ConnectionRefusedError:
            pass
        s.close()
EOF

PYTHONPATH=$PWD/tests nsenter --net=/run/netns/"$NSB" -- python3 "$TMP/server.py" $B "$TMP/server.ready" >"$TMP/server.log" 2>&1 &
SPID=$!

cat >"$TMP/notify.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], 'a', buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode(errors='replace').replace('\n', '|') + '\n')
EOF
python3 "$TMP/notify.py" "$TMP/notify.sock" "$TMP/notify.log" >/dev/null 2>&1 &
NPID=$!

cat >"$TMP/control.conf" <<EOF
capture: { interface = "$VA"; ports = [ 7101, 7102, 7103, 7109 ]; };
tracking: { update_interval = 0; };
daemon: { stats_interval = 1; };
outputs: { journal: { enabled = false; }; syslog: { enabled = false; }; file: { enabled = false; }; };
metrics: { path = "$TMP/metrics/tcpstated.prom"; interval = 1; };
alerts = ( { name = "refused-7109"; kind = "refused"; port = 7109; threshold = 2; window = 60; } );
EOF
mkdir -p "$TMP/metrics" "$TMP/run"
wait_for 5 test -f "$TMP/server.ready"
wait_for 5 test -S "$TMP/notify.sock"

nsenter --net=/run/netns/"$NSA" -- env NOTIFY_SOCKET="$TMP/notify.sock" \
    "$TCPSTATED" -f -c "$TMP/control.conf" -S "$SOCK" -o json >"$TMP/events.json" 2>"$TMP/diag.err" &
DPID=$!
if ! wait_for 10 grep -q '^READY=1' "$TMP/notify.log"; then
	fail control_ready "no READY=1: $(head -n 3 "$TMP/diag.err" | tr '\n' '|')"
	exit 0
fi
if [ -S "$SOCK" ] && [ "$(stat -c '%a %u' "$SOCK")" = "600 0" ]; then
	pass control_socket_owner_only
else
	fail control_socket_owner_only "$(stat -c '%F %a %u' "$SOCK" 2>&1)"
fi

# --- the connections ------------------------------------------------------------
client_bg() { # case: in the background, killed at the end
	nsenter --net=/run/netns/"$NSA" -- python3 "$TMP/client.py" "$1" $B "$TMP/ports.$1" 2>>"$TMP/client.err" &
	CPIDS="$CPIDS $!"
}
client_bg hold
client_bg hold
client_bg half
inA python3 "$TMP/client.py" closed $B "$TMP/ports.closed" 2>>"$TMP/client.err"
inA python3 "$TMP/client.py" refused $B /dev/null 2>>"$TMP/client.err"
wait_for 5 sh -c "[ \$(grep -c '' '$TMP/ports.hold' 2>/dev/null) = 2 ] && [ -s '$TMP/ports.half' ]"
# The last of it captured and tracked: the client's FIN of 7102 has been ACKed.
wait_for 5 grep -q '"event":"STATE".*"client_state":"FIN_WAIT_2","server_state":"CLOSE_WAIT".*"server_port":7102\|"server_port":7102.*"client_state":"FIN_WAIT_2","server_state":"CLOSE_WAIT"' "$TMP/events.json"
sleep 0.3

"$TCPSTATED" --flows -S "$SOCK" >"$TMP/flows.txt" 2>"$TMP/flows.err"
rc=$?
python3 - "$TMP/flows.txt" "$TMP/ports.hold" "$TMP/ports.half" "$TMP/ports.closed" $A $B <<'EOF'
import sys
flows, hold, half, closed, A, B = sys.argv[1:]
lines = open(flows).read().splitlines()
hold = {int(x) for x in open(hold).read().split()}
half = int(open(half).read().split()[0])
closed = int(open(closed).read().split()[0])
rows = {}
for l in lines[1:]:
    f = l.split()
    c, s = f[0], f[1]
    rows[(int(c.rsplit(':', 1)[1]), int(s.rsplit(':', 1)[1]))] = f
want = {}
for p in hold:
    want[(p, 7101)] = ('ESTABLISHED', 'ESTABLISHED', False)
want[(half, 7102)] = ('FIN_WAIT_2', 'CLOSE_WAIT', False)
want[(closed, 7103)] = ('TIME_WAIT', 'CLOSED', True)
problems = []
if lines[0].split() != ['CLIENT', 'SERVER', 'CLIENT_STATE', 'SERVER_STATE', 'AGE', 'C_BYTES', 'S_BYTES', 'C_PKTS', 'S_PKTS', 'FLOW']:
    problems.append('header: ' + lines[0])
if set(rows) != set(want):
    problems.append('listed %s, want %s' % (sorted(rows), sorted(want)))
for k, (cs, ss, was_closed) in want.items():
    f = rows.get(k)
    if f is None:
        continue
    if f[0] != '%s:%d' % (A, k[0]) or f[1] != '%s:%d' % (B, k[1]) or f[2] != cs or f[3] != ss:
        problems.append('row %s: %s' % (k, ' '.join(f)))
    if not f[4].endswith('s') or float(f[4][:-1]) > 60 or int(f[5]) != 1 or int(f[6]) < 3:
        problems.append('age/bytes of %s: %s' % (k, ' '.join(f)))
    if (f[-1] == 'closed') != was_closed or not f[9].startswith('C'):
        problems.append('flow column of %s: %s' % (k, ' '.join(f)))
print('PASS control_flows_lists_open_connections' if not problems else
      'FAIL control_flows_lists_open_connections: ' + '; '.join(problems) + ' | ' + ' | '.join(lines))
EOF
[ $rc -eq 0 ] && [ ! -s "$TMP/flows.err" ] || fail control_flows_exit "rc=$rc $(head -n 2 "$TMP/flows.err")"

# Filters: by port (either end), by state (either endpoint; any spelling).
n_port=$("$TCPSTATED" --flows --port 7101 -S "$SOCK" | tail -n +2 | grep -c ':7101 ')
n_state=$("$TCPSTATED" --flows --state close-wait -S "$SOCK" | tail -n +2 | grep -c 'FIN_WAIT_2 *CLOSE_WAIT')
n_state_all=$("$TCPSTATED" --flows --state CLOSE_WAIT -S "$SOCK" | tail -n +2 | grep -c '')
n_tw=$("$TCPSTATED" --flows --state time_wait -S "$SOCK" | tail -n +2 | grep -c ' TIME_WAIT *CLOSED .* closed$')
n_none=$("$TCPSTATED" --flows --port 7101 --state close_wait -S "$SOCK" | tail -n +2 | grep -c '')
if [ "$n_port" = 2 ] && [ "$n_state" = 1 ] && [ "$n_state_all" = 1 ] && [ "$n_tw" = 1 ] && [ "$n_none" = 0 ]; then
	pass control_flows_filters
else
	fail control_flows_filters "port 7101: $n_port, close-wait: $n_state/$n_state_all, time_wait: $n_tw, both: $n_none"
fi

# --ip: the client or the server, an address or a network.
n_srv=$("$TCPSTATED" --flows --ip $B -S "$SOCK" | tail -n +2 | grep -c '')
n_cli=$("$TCPSTATED" --flows --ip $A --port 7102 -S "$SOCK" | tail -n +2 | grep -c '')
n_net=$("$TCPSTATED" --flows --ip 10.232.0.0/24 -S "$SOCK" | tail -n +2 | grep -c '')
n_other=$("$TCPSTATED" --flows --ip 10.232.1.0/24 -S "$SOCK" | tail -n +2 | grep -c '')
n_v6=$("$TCPSTATED" --flows --ip ::/0 -S "$SOCK" | tail -n +2 | grep -c '')
if [ "$n_srv" = 4 ] && [ "$n_cli" = 1 ] && [ "$n_net" = 4 ] && [ "$n_other" = 0 ] && [ "$n_v6" = 0 ]; then
	pass control_flows_ip_filter
else
	fail control_flows_ip_filter "server $n_srv, client+port $n_cli, /24 $n_net, other /24 $n_other, ::/0 $n_v6"
fi

# -o json: the records' own field names, one object a line; AGE is the age
# (now minus the first packet), not the duration, also for the closed one.
"$TCPSTATED" --flows -o json -S "$SOCK" >"$TMP/flows.json" 2>"$TMP/flows-json.err"
rc=$?
"$TCPSTATED" --flows --sort bytes -S "$SOCK" >"$TMP/flows-bytes.txt"
"$TCPSTATED" --stats -o json -S "$SOCK" >"$TMP/stats.json"
python3 - "$TMP/flows.json" "$TMP/flows.txt" "$TMP/flows-bytes.txt" "$TMP/stats.json" $rc <<'EOF'
import json, sys
jpath, tpath, bpath, spath, rc = sys.argv[1:]
def check(name, cond, why=''):
    print('PASS control_%s' % name if cond else 'FAIL control_%s: %s' % (name, why))
try:
    recs = [json.loads(l) for l in open(jpath)]
except ValueError as e:
    recs = []
    check('flows_json_valid', False, e)
common = ['ts', 'event', 'flow', 'by', 'client_ip', 'client_port', 'server_ip', 'server_port',
          'client_state', 'server_state', 'duration', 'client_bytes', 'server_bytes',
          'client_pkts', 'server_pkts', 'partial', 'age']
closed = ['reason', 'abnormal', 'closed_by', 'conn_state', 'history']
bad = [r for r in recs if set(r) != set(common + (closed if r.get('event') == 'CLOSED' else []))
       or r['event'] not in ('UPDATE', 'CLOSED')]
check('flows_json_fields', rc == '0' and len(recs) == 4 and not bad, bad or recs)
tw = [r for r in recs if r.get('server_port') == 7103]
opened = [r for r in recs if r.get('event') == 'UPDATE']
check('flows_age_not_duration',
      len(tw) == 1 and tw[0]['event'] == 'CLOSED' and tw[0]['age'] > tw[0]['duration'] + 0.2 and
      len(opened) == 3 and all(abs(r['age'] - r['duration']) < 1e-6 for r in opened), tw)
# The default order is the oldest first; --sort bytes the most bytes first.
ages = [r['age'] for r in recs]
check('flows_sorted_by_age', ages == sorted(ages, reverse=True), ages)
rows = [l.split() for l in open(bpath).read().splitlines()[1:]]
total = [int(f[5]) + int(f[6]) for f in rows]
check('flows_sorted_by_bytes', len(total) == 4 and total == sorted(total, reverse=True) and
      total[0] > total[-1], total)
text_ages = [l.split()[4] for l in open(tpath).read().splitlines()[1:]]
check('flows_text_age_human', len(text_ages) == 4 and
      all(a.endswith('s') and a[:-1].replace('.', '', 1).isdigit() and '.' in a for a in text_ages),
      text_ages)
st = [json.loads(l) for l in open(spath)]
check('stats_json_record', len(st) == 1 and st[0]['event'] == 'STATS' and st[0]['close_wait'] == 1 and
      st[0]['time_wait'] == 1 and st[0]['closed_refused'] == 3, st)
EOF
# The same lines hold to the record schema (t_schema.sh checks every other record).
python3 tests/schemacheck.py man/tcpstated-records.schema.json control_flows \
    --expect FLOWS_UPDATE,FLOWS_CLOSED "$TMP/flows.json" | sed 's/^\(PASS\|FAIL\) schema_/\1 control_schema_/'
python3 tests/schemacheck.py man/tcpstated-records.schema.json control_stats \
    --expect STATS "$TMP/stats.json" | sed 's/^\(PASS\|FAIL\) schema_/\1 control_schema_/'

# --watch: plain repeated output when not on a terminal, a redrawn screen on
# one (script(1) gives it a terminal); SIGINT stops it cleanly, status 0.
"$TCPSTATED" --flows --watch 0.3 --port 7102 -S "$SOCK" >"$TMP/watch.out" 2>"$TMP/watch.err" &
wpid=$!
sleep 1.2
kill -INT $wpid
wait $wpid
rc=$?
rounds=$(grep -c '^CLIENT ' "$TMP/watch.out")
if [ $rc = 0 ] && [ "$rounds" -ge 3 ] && [ "$(grep -c ':7102 ' "$TMP/watch.out")" = "$rounds" ] &&
    [ "$(grep -c '^$' "$TMP/watch.out")" = $((rounds - 1)) ] && [ ! -s "$TMP/watch.err" ]; then
	pass control_watch_plain
else
	fail control_watch_plain "rc=$rc rounds=$rounds $(head -c 300 "$TMP/watch.err")"
fi
# watch_tty OUT ARGS...: tcpstated ARGS on a terminal for 1.2 s, then
# SIGINT; its exit status.
watch_tty() {
	local out=$1 pid
	shift
	script -qfec "exec '$TCPSTATED' $*" /dev/null >"$out" 2>&1 &
	pid=$!
	sleep 1.2
	pkill -INT -P $pid
	wait $pid
}
if command -v script >/dev/null; then
	watch_tty "$TMP/watch.tty" --flows --watch 0.3 --state fin_wait_2 -S "'$SOCK'"
	rc=$?
	if [ $rc = 0 ] && [ "$(grep -c $'\e\\[H\e\\[2JEvery 0.3s: tcpstated --flows --state FIN_WAIT_2 ' "$TMP/watch.tty")" -ge 2 ] &&
	    grep -q 'FIN_WAIT_2 *CLOSE_WAIT' "$TMP/watch.tty"; then
		pass control_watch_terminal
	else
		fail control_watch_terminal "rc=$rc $(head -c 300 "$TMP/watch.tty" | od -An -c | tr -s ' ' | head -c 300)"
	fi
else
	skip control_watch_terminal "script(1) is not installed"
fi

# Usage: what the new options accept.
bad=""
for args in "--flows --ip 10.0.0.0/33" "--flows --ip host" "--flows --sort size" "--stats --watch" \
    "--port 80" "--flows --watch 0" "--flows -o ladder"; do
	# shellcheck disable=SC2086
	"$TCPSTATED" $args -S "$SOCK" >/dev/null 2>"$TMP/usage.err"
	rc=$?
	[ $rc = 2 ] && grep -q '^tcpstated: ' "$TMP/usage.err" || bad="$bad [$args: rc=$rc]"
done
[ -z "$bad" ] && pass control_flows_usage_errors || fail control_flows_usage_errors "$bad"

# --- the counters -----------------------------------------------------------------
"$TCPSTATED" --stats -S "$SOCK" >"$TMP/stats.txt" 2>"$TMP/stats.err"
rc=$?
if [ $rc -eq 0 ] && grep -q "^tcpstated .*, capturing $VA (.*port 7101.*), up " "$TMP/stats.txt" &&
    grep -q '^endpoints now: ESTABLISHED 4, FIN_WAIT_2 1, TIME_WAIT 1, CLOSE_WAIT 1$' "$TMP/stats.txt" &&
    grep -q '^connections: [0-9]* tracked (of 262144), 7 attempts, 4 opened, 4 closed (3 abnormal)$' "$TMP/stats.txt" &&
    grep -q '^alert refused-7109 (refused to port 7109, more than 2 in 60 s): FIRING, 3 in the window, fired 1 time$' "$TMP/stats.txt" &&
    grep -Eq '^7101 +2 +[0-9.]+( +0){11}$' "$TMP/stats.txt" &&
    grep -Eq '^7109 +0 +- +0 +0 +0 +3( +0){7}$' "$TMP/stats.txt" &&
    grep -Eq '^7102( +[0-9]+){9}$' "$TMP/stats.txt"; then
	pass control_stats_text
else
	fail control_stats_text "rc=$rc $(tr '\n' '|' <"$TMP/stats.txt" | head -c 900) $(head -n 1 "$TMP/stats.err")"
fi

# --- who may ask ---------------------------------------------------------------------
chmod 755 "$TMP" "$TMP/run"
setpriv --reuid=65534 --regid=65534 --clear-groups "$TCPSTATED" --flows -S "$SOCK" >"$TMP/nobody.out" 2>"$TMP/nobody.err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$TMP/nobody.out" ] && [ "$(grep -c '' "$TMP/nobody.err")" = 1 ] &&
    grep -q "^tcpstated: cannot connect to $SOCK: Permission denied" "$TMP/nobody.err"; then
	pass control_other_user_refused_by_mode
else
	fail control_other_user_refused_by_mode "rc=$rc $(tr '\n' '|' <"$TMP/nobody.err") $(head -c 100 "$TMP/nobody.out")"
fi
# A socket whose mode lets others in (a wrong chmod): the daemon still says no.
chmod 666 "$SOCK"
setpriv --reuid=65534 --regid=65534 --clear-groups "$TCPSTATED" --stats -S "$SOCK" >"$TMP/nobody.out" 2>"$TMP/nobody.err"
rc=$?
chmod 600 "$SOCK"
if [ $rc -eq 1 ] && [ ! -s "$TMP/nobody.out" ] && [ "$(grep -c '' "$TMP/nobody.err")" = 1 ] &&
    grep -q "^tcpstated: permission denied: uid 65534 is not root nor tcpstated's user (uid 0)$" "$TMP/nobody.err"; then
	pass control_other_user_refused_by_peercred
else
	fail control_other_user_refused_by_peercred "rc=$rc $(tr '\n' '|' <"$TMP/nobody.err") $(head -c 100 "$TMP/nobody.out")"
fi

# --- bad requests, and never blocked -------------------------------------------------
python3 - "$SOCK" >"$TMP/proto.out" 2>&1 <<'EOF'
import socket, sys, time
path = sys.argv[1]
def ask(data, wait=True):
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path); s.sendall(data)
    if not wait:
        return s
    s.shutdown(socket.SHUT_WR)
    out = b''
    while True:
        d = s.recv(65536)
        if not d:
            return out.decode()
        out += d
def check(name, cond, why):
    print('PASS control_%s' % name if cond else 'FAIL control_%s: %r' % (name, why))
r = ask(b'help\n'); check('unknown_request', r == 'ERR unknown request "help" (flows or stats)\n', r)
r = ask(b'flows port=0\n'); check('bad_port', r.startswith('ERR bad port "0"') and r.count('\n') == 1, r)
r = ask(b'flows state=OPEN\n'); check('bad_state', r == 'ERR unknown state "OPEN"\n', r)
r = ask(b'x' * 5000); check('request_too_long', r == 'ERR request too long\n', r)
# Idle connections of root take every slot; the next is told the daemon is busy, at once.
idle = [ask(b'', wait=False) for _ in range(8)]
time.sleep(0.3)
t = time.time(); r = ask(b'stats\n')
check('busy_answered_at_once', r.startswith('ERR busy') and time.time() - t < 1, r)
for s in idle:
    s.close()
time.sleep(0.3)
r = ask(b'stats\n'); check('serves_after_idle_clients_leave', r.startswith('OK\ntcpstated '), r[:80])
# A client that connects and says nothing is dropped at the deadline (2 s), and counted.
s = ask(b'', wait=False); t = time.time()
try:
    gone = s.recv(100) == b''
except OSError:
    gone = False
took = time.time() - t
check('silent_client_dropped_at_deadline', gone and 1.5 < took < 4, '%s after %.1f s' % (gone, took))
r = ask(b'stats\n')
line = [l for l in r.splitlines() if l.startswith('control socket: ')]
check('deadline_drops_counted', line and ', 1 dropped at the deadline' in line[0] and
      ' 1 refused (no slot' in line[0], line)
EOF
cat "$TMP/proto.out"

# --- the metrics file -------------------------------------------------------------
sleep 1.5
PYTHONPATH=tests python3 - "$TMP/metrics/tcpstated.prom" <<'EOF'
import os, stat, sys
import promcheck
path = sys.argv[1]
def check(name, cond, why=''):
    print('PASS control_%s' % name if cond else 'FAIL control_%s: %s' % (name, why))
st = os.stat(path)
samples, problems = promcheck.parse(open(path).read())
check('metrics_valid', not problems and samples, problems[:5])
check('metrics_mode', stat.S_IMODE(st.st_mode) == 0o644 and not os.path.exists(path + '.tmp'),
      oct(st.st_mode))
v = lambda n, **l: promcheck.value(samples, n, **l)
want = [('tcpstated_endpoints', dict(port='7101', state='established'), 4),
        ('tcpstated_endpoints', dict(port='7102', state='fin_wait_2'), 1),
        ('tcpstated_endpoints', dict(port='7102', state='close_wait'), 1),
        ('tcpstated_endpoints', dict(port='7103', state='time_wait'), 1),
        ('tcpstated_endpoints', dict(port='7103', state='established'), 0),
        ('tcpstated_connections_opened_total', dict(port='7101'), 2),
        ('tcpstated_connections_closed_total', dict(port='7103', reason='fin'), 1),
        ('tcpstated_connections_closed_total', dict(port='7109', reason='refused'), 3),
        ('tcpstated_handshake_seconds_count', dict(port='7101'), 2),
        ('tcpstated_alert_firing', dict(alert='refused-7109'), 1),
        ('tcpstated_output_dropped_total', dict(output='stdout'), 0)]
bad = ['%s%s=%s want %s' % (n, l, v(n, **l), w) for n, l, w in want if v(n, **l) != w]
check('metrics_counters', not bad, bad)
check('metrics_capture_counted', (v('tcpstated_capture_packets_total') or 0) > 20,
      v('tcpstated_capture_packets_total'))
EOF

# --- the records: ALERT once, STATS every second, STATUS with the counters ----------
python3 - "$TMP/events.json" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def check(name, cond, why=''):
    print('PASS control_%s' % name if cond else 'FAIL control_%s: %s' % (name, why))
alerts = [r for r in recs if r['event'] == 'ALERT']
check('alert_record', len(alerts) == 1 and alerts[0]['state'] == 'firing' and alerts[0]['count'] == 3 and
      alerts[0]['peers'] == {'10.232.0.1': 3} and alerts[0]['port'] == 7109, alerts)
stats = [r for r in recs if r['event'] == 'STATS']
check('stats_records', len(stats) >= 2 and stats[-1]['close_wait'] == 1 and stats[-1]['time_wait'] == 1 and
      stats[-1]['closed_refused'] == 3 and stats[-1]['alerts_firing'] == 1,
      stats[-1] if stats else 'none')
EOF
if grep -q "^STATUS=capturing $VA (.*): [0-9]* connections tracked, 4 opened, 4 closed (3 abnormal), 1 CLOSE_WAIT, 1 TIME_WAIT, [0-9]* events, 0 capture drops, 0 output drops, 1 alert firing$" "$TMP/notify.log"; then
	pass control_status_line
else
	fail control_status_line "$(grep STATUS "$TMP/notify.log" | tail -n 1)"
fi

# --- one local user cannot lock root out ---------------------------------------------
# A daemon running as nobody lets nobody's processes in: one of them takes
# every slot it can, again and again, and never asks. Root's --flows is
# answered all the same, at once; the hostile client holds no more than its
# share, is told the daemon is busy and is dropped at the deadline.
mkdir -p "$TMP/run2"
chmod 755 "$TMP"
cat >"$TMP/nobody.conf" <<EOF
capture: { interface = "lo"; ports = [ 7105 ]; };
daemon: { user = "nobody"; };
outputs: { journal: { enabled = false; }; syslog: { enabled = false; }; file: { enabled = false; }; };
EOF
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$TMP/nobody.conf" -S "$TMP/run2/control" \
    -o json >"$TMP/nobody.json" 2>"$TMP/nobody-diag.err" &
D2PID=$!
wait_for 5 grep -q 'running as nobody' "$TMP/nobody-diag.err"
cat >"$TMP/hostile.py" <<'EOF'
import socket, sys, time
# Connect again and again, never ask; count what the daemon does with it. A
# connection still open 0.3 s after connecting holds a slot (the daemon has
# had time to refuse it): "most" is how many of those were open at once.
path, secs = sys.argv[1], float(sys.argv[2])
held, most, busy, dropped = [], 0, 0, 0
end = time.time() + secs
while time.time() < end:
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect(path)
    except BlockingIOError:
        pass
    except OSError:
        s.close(); time.sleep(0.01); continue
    held.append((s, time.time()))
    time.sleep(0.02)
    keep = []
    for h, t in held:
        try:
            d = h.recv(200)
        except BlockingIOError:
            keep.append((h, t)); continue
        except OSError:
            d = b''
        if d.startswith(b'ERR busy'):
            busy += 1
        elif d == b'':
            dropped += 1
        h.close()
    held = keep
    most = max(most, sum(1 for h, t in held if time.time() - t > 0.3))
print(most, busy, dropped)
EOF
# The system's python: one under root's home (pyenv) is not nobody's to run.
hpy=/usr/bin/python3
[ -x "$hpy" ] || hpy=$(command -v python3)
setpriv --reuid=65534 --regid=65534 --clear-groups "$hpy" "$TMP/hostile.py" "$TMP/run2/control" 5 \
    >"$TMP/hostile.out" 2>&1 &
HPID=$!
sleep 0.5
# Meanwhile a connection over IPv6 and one over IPv4 on NSA's loopback, for --ip.
nsenter --net=/run/netns/"$NSA" -- python3 - "$TMP/lo.ready" <<'EOF' &
import socket, sys, time
held = []
for fam, addr in ((socket.AF_INET6, '::1'), (socket.AF_INET, '127.0.0.1')):
    l = socket.socket(fam); l.bind((addr, 7105)); l.listen(1)
    c = socket.socket(fam); c.connect((addr, 7105)); a, _ = l.accept(); c.sendall(b'x')
    held += [l, c, a]
open(sys.argv[1], 'w').write('ready\n')
time.sleep(60)
EOF
CPIDS="$CPIDS $!"
wait_for 5 test -s "$TMP/lo.ready"
sleep 0.3
root_ok=0 root_slow=""
for i in 1 2 3 4 5 6; do
	t0=$(date +%s%N)
	if "$TCPSTATED" --flows -S "$TMP/run2/control" >"$TMP/root.$i" 2>&1 && head -n 1 "$TMP/root.$i" | grep -q '^CLIENT '; then
		root_ok=$((root_ok + 1))
	fi
	took=$((($(date +%s%N) - t0) / 1000000))
	[ $took -lt 1000 ] || root_slow="$root_slow $i:${took}ms"
	sleep 0.5
done
v6=$("$TCPSTATED" --flows --ip ::1 -S "$TMP/run2/control" | tail -n +2 | grep -c '^\[::1\]:[0-9]* *\[::1\]:7105 ')
v6net=$("$TCPSTATED" --flows --ip 2001:db8::/32 -S "$TMP/run2/control" | tail -n +2 | grep -c '')
v4net=$("$TCPSTATED" --flows --ip 127.0.0.0/8 -S "$TMP/run2/control" | tail -n +2 | grep -c '^127\.0\.0\.1:')
wait $HPID
HPID=""
read -r most busy dropped <"$TMP/hostile.out"
if [ $root_ok = 6 ] && [ -z "$root_slow" ] && [ "$most" -le 2 ] && [ "$busy" -gt 0 ] && [ "$dropped" -gt 0 ]; then
	pass control_hostile_user_cannot_lock_root_out
else
	fail control_hostile_user_cannot_lock_root_out "root answered $root_ok/6 (slow:$root_slow); hostile held at most $most, busy $busy, dropped $dropped: $(head -c 200 "$TMP/root.1")"
fi
"$TCPSTATED" --stats -S "$TMP/run2/control" | grep '^control socket: ' >"$TMP/nobody.stats"
if grep -Eq '^control socket: [0-9]+ answered, [1-9][0-9]* refused \(no slot for that user\), [1-9][0-9]* dropped at the deadline$' "$TMP/nobody.stats"; then
	pass control_hostile_counted
else
	fail control_hostile_counted "$(cat "$TMP/nobody.stats")"
fi
if [ "$v6" = 1 ] && [ "$v6net" = 0 ] && [ "$v4net" = 1 ]; then
	pass control_flows_ip_filter_ipv6
else
	fail control_flows_ip_filter_ipv6 "::1 $v6, 2001:db8::/32 $v6net, 127.0.0.0/8 $v4net"
fi
# A client that asks and then reads nothing, for an answer larger than the
# socket's buffers (1000 connections in TIME_WAIT, as JSON): dropped at the
# answer's deadline (10 s), counted, and the daemon serves on meanwhile.
inA python3 -c "
import socket
l = socket.socket(); l.bind(('127.0.0.2', 7105)); l.listen(128)
for _ in range(1000):
    c = socket.create_connection(('127.0.0.2', 7105)); a, _ = l.accept(); c.close(); a.close()
"
wait_for 5 sh -c "[ \$('$TCPSTATED' --flows --ip 127.0.0.2 -S '$TMP/run2/control' | grep -c ' closed\$') -ge 1000 ]"
full=$("$TCPSTATED" --flows -o json -S "$TMP/run2/control" | wc -c)
expired() { "$TCPSTATED" --stats -S "$TMP/run2/control" | sed -n 's/^control socket: .*, \([0-9]*\) dropped at the deadline$/\1/p'; }
before=$(expired)
python3 - "$TMP/run2/control" >"$TMP/noread.out" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1]); s.sendall(b'flows format=json\n')
time.sleep(11.5)
got = 0
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
except OSError:
    pass
print(got)
EOF
rpid=$!
sleep 1
served=$("$TCPSTATED" --flows --ip ::1 -S "$TMP/run2/control" | tail -n +2 | grep -c '')
wait $rpid
after=$(expired)
got=$(cat "$TMP/noread.out")
if [ "$full" -gt 300000 ] && [ "$got" -lt "$full" ] && [ "$after" = $((before + 1)) ] && [ "$served" = 1 ]; then
	pass control_nonreader_dropped_at_deadline
else
	fail control_nonreader_dropped_at_deadline "answer $full bytes, the non-reader got $got; dropped $before -> $after; served meanwhile: $served"
fi
kill -TERM $D2PID
wait $D2PID
rc=$?
D2PID=""
if [ $rc = 0 ] && ! grep -q 'Sanitizer' "$TMP/nobody-diag.err"; then
	pass control_nobody_daemon_exits_clean
else
	fail control_nobody_daemon_exits_clean "rc=$rc $(tail -n 3 "$TMP/nobody-diag.err" | tr '\n' '|')"
fi

# --- a second daemon refuses to start, naming the first; SIGTERM removes the socket --
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -f -c "$TMP/control.conf" -S "$SOCK" \
    >/dev/null 2>"$TMP/second.err"
rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c '' "$TMP/second.err")" = 1 ] &&
    grep -qx "tcpstated: another tcpstated (pid $DPID) is running with the control socket $SOCK" "$TMP/second.err" &&
    "$TCPSTATED" --stats -S "$SOCK" >/dev/null 2>&1; then
	pass control_second_daemon_leaves_socket
else
	fail control_second_daemon_leaves_socket "rc=$rc $(tr '\n' '|' <"$TMP/second.err" | head -c 400)"
fi
kill -TERM $DPID
wait $DPID
rc=$?
DPID=""
if [ $rc -eq 0 ] && [ ! -e "$SOCK" ] && tail -n 3 "$TMP/events.json" | grep -q '"event":"STATS".*"closed_shutdown":3'; then
	pass control_sigterm_removes_socket_final_stats
else
	fail control_sigterm_removes_socket_final_stats "rc=$rc sock=$(ls "$TMP/run") $(tail -n 1 "$TMP/events.json" | head -c 300)"
fi
"$TCPSTATED" --flows -S "$SOCK" >/dev/null 2>"$TMP/gone.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^tcpstated: cannot connect to $SOCK: No such file or directory (is tcpstated running? -S names another socket)$" "$TMP/gone.err"; then
	pass control_no_daemon_one_line
else
	fail control_no_daemon_one_line "rc=$rc $(cat "$TMP/gone.err")"
fi
# --watch on a terminal with no daemon: each round says why under its title.
if command -v script >/dev/null; then
	watch_tty "$TMP/watch-gone.tty" --flows --watch 0.3 -S "'$SOCK'"
	rc=$?
	if [ $rc = 0 ] && [ "$(grep -c "tcpstated: cannot connect to $SOCK: No such file or directory" "$TMP/watch-gone.tty")" -ge 2 ]; then
		pass control_watch_terminal_says_why
	else
		fail control_watch_terminal_says_why "rc=$rc $(head -c 300 "$TMP/watch-gone.tty" | od -An -c | tr -s ' ' | head -c 300)"
	fi
fi
