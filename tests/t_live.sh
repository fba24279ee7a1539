#!/usr/bin/env bash
# t_live.sh - the live daemon end to end, in two network namespaces joined by
# a veth pair. tcpstated captures the client side's veth while real sockets
# (python3, stdlib) open and close connections every way TCP allows:
#
#   7001 client closes first        7005 half-close: client shuts down its
#   7002 server closes first             side, the server still sends, closes
#   7003 abortive close (client)    7006 refused (nothing listens)
#   7004 abortive close (server)    7007 SYN whose SYN-ACK is dropped
#
# The events of each connection are checked, and who holds TIME_WAIT is
# cross-checked with the kernel's own table (ss -tan state time-wait) in
# each namespace. Then: READY=1/RELOADING=1/STOPPING=1 over NOTIFY_SOCKET,
# SIGHUP with a broken config (the old one stays), SIGHUP with a good one
# (it applies), the interface going down and up (capture resumes), SIGTERM
# (exit 0, open connections flushed as shutdown), and a start on an
# interface that does not exist (exit 1, one clear line).
#
# No traffic leaves the namespaces: 10.231.0.0/24 exists only inside them.
# The SYN-ACK of 7007 is dropped by a blackhole route in the server's
# namespace for the client's second address (no firewall tool needed).
. "$(dirname "$0")/lib.sh"

require_root live ip ss python3 nsenter
# The scripts below (in the namespaces too) import tests/netserve.py.
export PYTHONPATH="$PWD/tests"

DPID="" NPID="" SPID="" HOLD=""
# shellcheck disable=SC2086
trap 'netns_teardown $DPID $SPID $NPID $HOLD' EXIT

# A second client address, whose SYN-ACKs the server's namespace drops.
A2=10.231.0.3
# The veth pair again after the test deletes it, with the second address.
veth() { netns_veth && ip -n "$NSA" addr add $A2/24 dev "$VA"; }
if ! { netns_pair ts 231 && ip -n "$NSA" addr add $A2/24 dev "$VA" &&
    ip -n "$NSB" route add blackhole $A2/32; } 2>>"$TMP/setup.err"; then
	skip live "cannot set up namespaces and veth: $(head -n 1 "$TMP/setup.err")"
	exit 0
fi
# Let the new addresses settle (no DAD for IPv4, but the links need a moment).
netns_settle || { fail live_netns "$A cannot reach $B over the veth"; exit 0; }

# --- the server side: one listener per behaviour ------------------------------
cat >"$TMP/server.py" <<'EOF'
import socket, struct, sys, time
from netserve import recv_all
import netserve
addr, ready = sys.argv[1], sys.argv[2]

def serve(port, handler):
    netserve.serve(addr, port, handler)

def client_closes_first(c):      # answer, then close only after the client did
    c.recv(100); c.sendall(b'pong-7001')
    recv_all(c); time.sleep(0.2); c.close()

def server_closes_first(c):
    c.recv(100); c.sendall(b'pong-7002'); c.close()

def client_aborts(c):
    c.recv(100); c.sendall(b'pong-7003')
    try:
        recv_all(c)
    except ConnectionResetError:
        pass
    c.close()

def server_aborts(c):
    c.recv(100)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()

def half_close(c):               # the client has shut down its side: keep sending
    req = recv_all(c)
    for _ in range(3):
        c.sendall(b'x' * 10000); time.sleep(0.2)
    c.close()

def hold(c):                     # stays open until the client closes
    try:
        recv_all(c)
    except OSError:
        pass
    c.close()

serve(7001, client_closes_first)
serve(7002, server_closes_first)
serve(7003, client_aborts)
serve(7004, server_aborts)
serve(7005, half_close)
serve(7007, hold)                # its SYN-ACKs to the second client address are blackholed
serve(7010, hold)
open(ready, 'w').write('ready\n')
while True:
    time.sleep(3600)
EOF

# --- the client side: one case per run, prints its local port -------------------
cat >"$TMP/client.py" <<'EOF'
import socket, struct, sys, time
from netserve import recv_all
case, server, addr2 = sys.argv[1], sys.argv[2], sys.argv[3]

def conn(port, src='0.0.0.0', timeout=5):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    print(s.getsockname()[1], flush=True)
    s.connect((server, port))
    return s

if case == 'client_first':
    s = conn(7001); s.sendall(b'ping-7001'); s.recv(100); s.close()
elif case == 'server_first':
    s = conn(7002); s.sendall(b'ping-7002'); recv_all(s); time.sleep(0.2); s.close()
elif case == 'rst_client':
    s = conn(7003); s.sendall(b'ping-7003'); s.recv(100)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
elif case == 'rst_server':
    s = conn(7004); s.sendall(b'ping-7004')
    try:
        s.recv(100)
    except ConnectionResetError:
        pass
    s.close()
elif case == 'half_close':
    s = conn(7005); s.sendall(b'request-7005'); s.shutdown(socket.SHUT_WR)
    data = recv_all(s); assert len(data) == 30000, len(data); s.close()
elif case == 'refused':
    s = socket.socket()
    try:
        s.connect((server, 7006))
        sys.exit('connected to 7006')
    except ConnectionRefusedError:
        pass
elif case == 'synack_dropped':
    try:
        s = conn(7007, src=addr2, timeout=2.5)
        sys.exit('connected to 7007')
    except socket.timeout:
        pass
elif case == 'hold':
    s = conn(7010); s.sendall(b'hold'); time.sleep(3600)
else:
    sys.exit('unknown case ' + case)
EOF

# Run one client case; prints "case local-port" (no port for refused).
client() { # case
	local out
	out=$(inA python3 "$TMP/client.py" "$1" $B $A2 2>"$TMP/client-$1.err")
	echo "$1 $out"
}

nsenter --net=/run/netns/"$NSB" -- python3 "$TMP/server.py" $B "$TMP/server.ready" >"$TMP/server.log" 2>&1 &
SPID=$!

# --- systemd's notification socket, played by python -------------------------
cat >"$TMP/notify.py" <<'EOF'
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log, 'a', buffering=1) as f:
    while True:
        msg = s.recv(4096).decode(errors='replace')
        f.write(msg.replace('\n', '|') + '\n')
EOF
python3 "$TMP/notify.py" "$TMP/notify.sock" "$TMP/notify.log" >/dev/null 2>&1 &
NPID=$!

cat >"$TMP/live.conf" <<EOF
capture: { interface = "$VA"; };
tracking: { timeouts: { syn = 2; }; };
daemon: { stats_interval = 0; control = false; };
outputs: {
	journal: { enabled = false; };
	syslog: { enabled = false; };
	file: { enabled = false; };
};
EOF
cp "$TMP/live.conf" "$TMP/good.conf"

for _ in $(seq 50); do [ -S "$TMP/notify.sock" ] && [ -f "$TMP/server.ready" ] && break; sleep 0.1; done

nsenter --net=/run/netns/"$NSA" -- env NOTIFY_SOCKET="$TMP/notify.sock" WATCHDOG_USEC=1000000 \
    "$TCPSTATED" -f -c "$TMP/live.conf" -p 7001,7002,7003,7004,7005,7006,7007,7010 -o json \
    >"$TMP/events.json" 2>"$TMP/diag.err" &
DPID=$!


if wait_for 10 grep -q '^READY=1' "$TMP/notify.log"; then
	pass live_ready_sent
else
	fail live_ready_sent "no READY=1; diagnostics: $(head -n 3 "$TMP/diag.err" | tr '\n' '|')"
	exit 0
fi
# The ports as given, not the ~400-character BPF expression compiled from them.
if grep '^READY=1' "$TMP/notify.log" | head -n 1 |
    grep -q "STATUS=capturing $VA (tcp port 7001,7002,7003,7004,7005,7006,7007,7010): "; then
	pass live_status_names_interface_and_filter
else
	fail live_status_names_interface_and_filter "$(head -n 1 "$TMP/notify.log")"
fi

# WATCHDOG_USEC=1 s: a ping at least every half second.
if wait_for 3 sh -c "[ \$(grep -c '^WATCHDOG=1' '$TMP/notify.log') -ge 3 ]"; then
	pass live_watchdog_pings
else
	fail live_watchdog_pings "$(grep -c '^WATCHDOG=1' "$TMP/notify.log") pings"
fi

# --- the connections ---------------------------------------------------------------
: >"$TMP/cases"
for c in client_first server_first rst_client rst_server half_close refused; do
	client "$c" >>"$TMP/cases"
done
client synack_dropped >>"$TMP/cases"

# The closes that need a peer's last ACK or a timeout: give them time.
# synack_dropped ends by the 2 s syn timeout after its last SYN (+1 s lag +1 s tick).
wait_for 12 python3 - "$TMP/events.json" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ports = {r['server_port'] for r in recs if r['event'] == 'CLOSED'}
sys.exit(0 if {7001, 7002, 7003, 7004, 7005, 7006, 7007} <= ports else 1)
EOF
inA ss -tan state time-wait >"$TMP/ss-a.txt"
inB ss -tan state time-wait >"$TMP/ss-b.txt"

python3 - "$TMP/events.json" "$TMP/cases" "$TMP/ss-a.txt" "$TMP/ss-b.txt" $A $B $A2 <<'EOF'
import json, sys
events_f, cases_f, ssa_f, ssb_f, A, B, A2 = sys.argv[1:]
recs = [json.loads(l) for l in open(events_f) if l.strip()]
ssa, ssb = open(ssa_f).read(), open(ssb_f).read()
port_of = {'client_first': 7001, 'server_first': 7002, 'rst_client': 7003,
           'rst_server': 7004, 'half_close': 7005, 'refused': 7006, 'synack_dropped': 7007}

def flows(port):
    by = {}
    for r in recs:
        if r['server_port'] == port:
            by.setdefault(r['flow'], []).append(r)
    return by

def check(name, cond, why):
    print(('PASS live_%s' % name) if cond else ('FAIL live_%s: %s' % (name, why)))

def evs(fl, etype, by=None):
    return [r for r in fl if r['event'] == etype and (by is None or r['by'] == by)]

def in_ss(text, local, peer):
    return any(l.split()[2:4] == [local, peer] for l in text.splitlines()[1:] if len(l.split()) >= 4)

for case, port in port_of.items():
    fs = flows(port)
    if len(fs) != 1:
        check(case, False, 'want 1 connection to port %d, got %d' % (port, len(fs)))
        continue
    fl = list(fs.values())[0]
    seq = ' '.join('%s/%s' % (r['event'], r['by']) for r in fl)
    closed = evs(fl, 'CLOSED')
    if len(closed) != 1:
        check(case, False, 'want one CLOSED: ' + seq)
        continue
    c = closed[0]
    cp = c['client_port']
    client_ep, server_ep = '%s:%d' % (c['client_ip'], cp), '%s:%d' % (B, port)
    problems = []
    def want(cond, what):
        if not cond:
            problems.append(what)
    want(fl[-1] is c, 'CLOSED is not the last event')
    want(len(evs(fl, 'SYN', 'client')) == 1 and len(evs(fl, 'SYN')) == 1, 'one SYN by the client')
    if case in ('client_first', 'server_first', 'rst_client', 'rst_server', 'half_close'):
        want(len(evs(fl, 'SYN_ACK', 'server')) == 1, 'one SYN_ACK by the server')
        want(len(evs(fl, 'ESTABLISHED', 'client')) == 1 and len(evs(fl, 'ESTABLISHED', 'server')) == 1,
             'ESTABLISHED by each side')
    if case in ('client_first', 'half_close', 'server_first'):
        closer = 'server' if case == 'server_first' else 'client'
        other = 'client' if closer == 'server' else 'server'
        fins = evs(fl, 'FIN')
        want([f['by'] for f in fins] == [closer, other], 'FIN by %s then by %s' % (closer, other))
        want([t['by'] for t in evs(fl, 'TIME_WAIT')] == [closer], 'TIME_WAIT entered by the %s only' % closer)
        want(c['reason'] == 'fin' and c['closed_by'] == closer and c['abnormal'] is False,
             'CLOSED reason=fin closed_by=%s' % closer)
        want(c[closer + '_state'] == 'TIME_WAIT' and c[other + '_state'] == 'CLOSED',
             '%s ends in TIME_WAIT, %s CLOSED' % (closer, other))
        want(not evs(fl, 'RST'), 'no RST')
        want(c['conn_state'] == 'SF', 'conn_state SF')
        # The kernel agrees on who holds TIME_WAIT.
        if closer == 'client':
            want(in_ss(ssa, client_ep, server_ep), 'client namespace has %s -> %s in TIME_WAIT' % (client_ep, server_ep))
            want(not in_ss(ssb, server_ep, client_ep), 'server namespace has no TIME_WAIT for it')
        else:
            want(in_ss(ssb, server_ep, client_ep), 'server namespace has %s -> %s in TIME_WAIT' % (server_ep, client_ep))
            want(not in_ss(ssa, client_ep, server_ep), 'client namespace has no TIME_WAIT for it')
    if case == 'client_first':
        want(c['client_bytes'] == 9 and c['server_bytes'] == 9, 'bytes 9/9, got %s/%s' % (c['client_bytes'], c['server_bytes']))
    if case == 'server_first':
        want(c['client_bytes'] == 9 and c['server_bytes'] == 9, 'bytes 9/9')
    if case == 'half_close':
        want(c['client_bytes'] == 12 and c['server_bytes'] == 30000,
             'bytes 12/30000 (server data after the client FIN), got %s/%s' % (c['client_bytes'], c['server_bytes']))
        want(any(r['client_state'] == 'FIN_WAIT_2' and r['server_state'] == 'CLOSE_WAIT' for r in fl),
             'a FIN_WAIT_2 / CLOSE_WAIT phase')
    if case in ('rst_client', 'rst_server'):
        who = case.split('_')[1]
        want([r['by'] for r in evs(fl, 'RST')] == [who], 'one RST by the %s' % who)
        want(c['reason'] == 'rst' and c['closed_by'] == who and c['abnormal'] is True,
             'CLOSED reason=rst closed_by=%s abnormal' % who)
        want(not evs(fl, 'TIME_WAIT'), 'no TIME_WAIT')
        want(not in_ss(ssa, client_ep, server_ep) and not in_ss(ssb, server_ep, client_ep),
             'no TIME_WAIT in either namespace')
    if case == 'refused':
        want(not evs(fl, 'SYN_ACK') and not evs(fl, 'ESTABLISHED'), 'no SYN_ACK, no ESTABLISHED')
        want([r['by'] for r in evs(fl, 'RST')] == ['server'], 'RST by the server')
        want(c['reason'] == 'refused' and c['abnormal'] is True, 'CLOSED reason=refused')
        want(c['conn_state'] == 'REJ', 'conn_state REJ')
    if case == 'synack_dropped':
        want(c['client_ip'] == A2, 'from the second client address')
        want(not evs(fl, 'SYN_ACK') and not evs(fl, 'ESTABLISHED'), 'no SYN_ACK seen')
        want(c['client_pkts'] >= 2, 'SYN retransmitted (client_pkts %s) yet one SYN event' % c['client_pkts'])
        want(c['reason'] == 'syn_timeout' and c['closed_by'] == 'none' and c['abnormal'] is True,
             'CLOSED reason=syn_timeout closed_by=none')
        want(c['conn_state'] == 'S0', 'conn_state S0')
    check(case, not problems, '; '.join(problems) + ' | events: ' + seq +
          ' | CLOSED: %s' % json.dumps({k: c[k] for k in ('reason', 'closed_by', 'client_state', 'server_state', 'client_bytes', 'server_bytes', 'conn_state', 'history')}))
EOF
for c in $(cut -d' ' -f1 "$TMP/cases"); do
	[ -s "$TMP/client-$c.err" ] && fail "live_client_$c" "$(head -n 2 "$TMP/client-$c.err" | tr '\n' ' ')"
done

# --- SIGHUP with a broken config: logged, the old config stays --------------------
printf 'capture: { snaplen = 20; }\ntracking: { max_flowz = 1; };\n' >"$TMP/live.conf"
lines_before=$(grep -c '' "$TMP/events.json")
kill -HUP $DPID
wait_for 5 grep -q 'reload of .* failed' "$TMP/diag.err"
client client_first >"$TMP/case-after-badhup"
wait_for 5 grep -q "\"client_port\":$(cut -d' ' -f2 "$TMP/case-after-badhup"),.*\"event\":\"CLOSED\"\|\"event\":\"CLOSED\".*\"client_port\":$(cut -d' ' -f2 "$TMP/case-after-badhup")," "$TMP/events.json"
if kill -0 $DPID 2>/dev/null && grep -q "live.conf:1: capture.snaplen: 20 is out of range" "$TMP/diag.err" &&
    grep -q 'live.conf:2: unknown setting "tracking.max_flowz"' "$TMP/diag.err" &&
    [ "$(tail -n +$((lines_before + 1)) "$TMP/events.json" | grep -c '"event":"SYN"')" = 1 ] &&
    [ "$(tail -n +$((lines_before + 1)) "$TMP/events.json" | grep -c '"event":"CLOSED"')" = 1 ]; then
	pass live_hup_broken_config_keeps_old
else
	fail live_hup_broken_config_keeps_old "alive=$(kill -0 $DPID 2>/dev/null && echo yes || echo no) $(grep -i 'reload\|live.conf' "$TMP/diag.err" | tr '\n' '|')"
fi
if grep -q '^RELOADING=1' "$TMP/notify.log" && [ "$(grep -c '^READY=1' "$TMP/notify.log")" -ge 2 ]; then
	pass live_reloading_then_ready
else
	fail live_reloading_then_ready "$(tr '\n' ' ' <"$TMP/notify.log" | head -c 300)"
fi

# --- SIGHUP with a good config: it applies (only CLOSED from now on) -------------
sed 's/^tracking: .*/events = [ "CLOSED" ];\ntracking: { timeouts: { syn = 2; }; };/' "$TMP/good.conf" >"$TMP/live.conf"
lines_before=$(grep -c '' "$TMP/events.json")
kill -HUP $DPID
wait_for 5 grep -q 'configuration reloaded' "$TMP/diag.err"
client server_first >"$TMP/case-after-goodhup"
wait_for 5 sh -c "tail -n +$((lines_before + 1)) '$TMP/events.json' | grep -q CLOSED"
new=$(tail -n +$((lines_before + 1)) "$TMP/events.json")
if [ -n "$new" ] && ! printf '%s\n' "$new" | grep -vq '"event":"CLOSED"'; then
	pass live_hup_good_config_applies
else
	fail live_hup_good_config_applies "after reload: $(printf '%s' "$new" | cut -c1-80 | tr '\n' '|')"
fi
cp "$TMP/good.conf" "$TMP/live.conf"
kill -HUP $DPID
wait_for 5 sh -c "[ \$(grep -c 'configuration reloaded' '$TMP/diag.err') -ge 2 ]"

# --- the interface goes away and comes back: capture resumes --------------------
# (Setting a veth down does not disturb an AF_PACKET socket; deleting it does.)
ip -n "$NSA" link del "$VA"
if wait_for 5 grep -q "capture on $VA failed" "$TMP/diag.err" && kill -0 $DPID 2>/dev/null; then
	pass live_interface_gone_logged
else
	fail live_interface_gone_logged "$(tail -n 3 "$TMP/diag.err" | tr '\n' '|')"
fi
sleep 2 # a retry or two fail while it is away: no spinning, no exit
veth
if wait_for 10 grep -q "capture on $VA resumed" "$TMP/diag.err"; then
	lines_before=$(grep -c '' "$TMP/events.json")
	wait_for 5 inA python3 -c "import socket; socket.create_connection(('$B', 7010), 0.3).close()"
	client client_first >"$TMP/case-after-flap"
	if wait_for 5 sh -c "tail -n +$((lines_before + 1)) '$TMP/events.json' | grep -q '\"event\":\"CLOSED\".*\"server_port\":7001'"; then
		pass live_interface_back_capture_resumes
	else
		fail live_interface_back_capture_resumes "no events after the interface came back: $(tail -n 3 "$TMP/diag.err" | tr '\n' '|')"
	fi
else
	fail live_interface_back_capture_resumes "no 'resumed' line: $(tail -n 3 "$TMP/diag.err" | tr '\n' '|')"
fi
if [ "$(grep -c "capture on $VA failed" "$TMP/diag.err")" = 1 ]; then
	pass live_interface_gone_logged_once
else
	fail live_interface_gone_logged_once "$(grep -c "capture on $VA failed" "$TMP/diag.err") failure lines"
fi

# --- SIGTERM: exit 0, an open connection is flushed as shutdown -------------------
sleep 1
# Earlier connections to 7010 were established too: wait for one more.
est7010() { [ "$(grep -c '"event":"ESTABLISHED".*"server_port":7010' "$TMP/events.json")" -gt "$1" ]; }
n7010=$(grep -c '"event":"ESTABLISHED".*"server_port":7010' "$TMP/events.json")
nsenter --net=/run/netns/"$NSA" -- python3 "$TMP/client.py" hold $B $A2 >/dev/null 2>&1 &
HOLD=$!
wait_for 10 est7010 "$n7010"
sleep 0.5
kill -TERM $DPID
wait $DPID
rc=$?
DPID=""
kill $HOLD 2>/dev/null
if [ $rc -eq 0 ] && grep -q '"event":"CLOSED".*"server_port":7010.*"reason":"shutdown"' "$TMP/events.json"; then
	pass live_sigterm_exit0_flushes_shutdown
else
	fail live_sigterm_exit0_flushes_shutdown "rc=$rc $(grep 7010 "$TMP/events.json" | tail -n 1)"
fi
# One summary warning for the connections the stop reported, not one each.
n_shut=$(grep -c '"event":"CLOSED".*"reason":"shutdown"' "$TMP/events.json")
if [ "$(grep -c 'stopping: .* reported CLOSED with reason shutdown' "$TMP/diag.err")" = 1 ] &&
    grep -Eq "^tcpstated: stopping: $n_shut open connections? reported CLOSED with reason shutdown$" "$TMP/diag.err"; then
	pass live_sigterm_one_summary_line
else
	fail live_sigterm_one_summary_line "$n_shut shutdown records; $(grep stopping "$TMP/diag.err" | tr '\n' '|')"
fi
if grep -q '^STOPPING=1' "$TMP/notify.log"; then pass live_stopping_sent; else fail live_stopping_sent "$(tail -n 2 "$TMP/notify.log")"; fi
if grep -q 'capture: [0-9]* packets received, [0-9]* dropped by the kernel, [0-9]* dropped by the interface' "$TMP/diag.err" &&
    grep -q '^tcpstated: tracker: ' "$TMP/diag.err"; then
	pass live_final_counters_logged
else
	fail live_final_counters_logged "$(tail -n 4 "$TMP/diag.err" | tr '\n' '|')"
fi

# --- a nonexistent interface fails the start: exit 1, one clear line, no READY -----
: >"$TMP/notify.log"
inA env NOTIFY_SOCKET="$TMP/notify.sock" timeout 10 "$TCPSTATED" -c "$TMP/good.conf" -i nosuch0 \
    >/dev/null 2>"$TMP/nodev.err"
rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c '' "$TMP/nodev.err")" = 1 ] &&
    grep -q '^tcpstated: capture on nosuch0: .*[Nn]o such device' "$TMP/nodev.err" &&
    ! grep -q READY "$TMP/notify.log"; then
	pass live_bad_interface_fails_start
else
	fail live_bad_interface_fails_start "rc=$rc $(tr '\n' '|' <"$TMP/nodev.err")"
fi

# --- privileges: only CAP_NET_RAW is kept, with and without daemon.user ---------
# Reads /proc/PID/status of a running daemon: uid, capability sets, no_new_privs.
caps_of() { # pid -> "uid capprm capeff capbnd capamb nonewprivs"
	awk '/^Uid:/ { u = $2 } /^CapPrm:/ { p = $2 } /^CapEff:/ { e = $2 } /^CapBnd:/ { b = $2 }
	    /^CapAmb:/ { a = $2 } /^NoNewPrivs:/ { n = $2 } END { print u, p, e, b, a, n }' "/proc/$1/status"
}
NETRAW=0000000000002000 # 1 << CAP_NET_RAW (13)
chmod 755 "$TMP"
chmod 666 "$TMP/notify.sock" # systemd's socket is writable by every service user
for who in root nobody; do
	user=""; [ $who = nobody ] && user=nobody
	cat >"$TMP/privs-$who.conf" <<EOF2
capture: { interface = "$VA"; };
daemon: { user = "$user"; stats_interval = 0; control = false; };
outputs: {
	journal: { enabled = false; };
	file: { enabled = true; path = "$TMP/logs-$who/sub/events.json"; };
};
EOF2
	: >"$TMP/notify.log"
	nsenter --net=/run/netns/"$NSA" -- env NOTIFY_SOCKET="$TMP/notify.sock" "$TCPSTATED" \
	    -c "$TMP/privs-$who.conf" >/dev/null 2>"$TMP/privs-$who.err" &
	DPID=$!
	if ! wait_for 10 grep -q '^READY=1' "$TMP/notify.log"; then
		fail "live_privs_$who" "not ready: $(tr '\n' '|' <"$TMP/privs-$who.err")"
		kill -KILL $DPID; wait $DPID 2>/dev/null; DPID=""
		continue
	fi
	read -r uid prm eff bnd amb nnp <<<"$(caps_of $DPID)"
	want_uid=0; [ $who = nobody ] && want_uid=$(id -u nobody)
	if [ "$uid" = "$want_uid" ] && [ "$prm" = $NETRAW ] && [ "$eff" = $NETRAW ] &&
	    [ "$bnd" = $NETRAW ] && [ "$amb" = 0000000000000000 ] && [ "$nnp" = 1 ]; then
		pass "live_privs_$who"
	else
		fail "live_privs_$who" "uid=$uid CapPrm=$prm CapEff=$eff CapBnd=$bnd CapAmb=$amb NoNewPrivs=$nnp"
	fi
	# The log directory was created (0750) and, with a user, given to it with the file.
	d="$TMP/logs-$who/sub"
	if [ "$(stat -c '%a %U' "$d" 2>/dev/null)" = "750 $who" ] &&
	    [ "$(stat -c '%U' "$d/events.json" 2>/dev/null)" = "$who" ]; then
		pass "live_logdir_created_$who"
	else
		fail "live_logdir_created_$who" "dir: $(stat -c '%a %U' "$d" 2>&1) file: $(stat -c '%a %U' "$d/events.json" 2>&1)"
	fi
	# SIGUSR1 after the drop: the file can still be reopened (no error logged).
	mv "$d/events.json" "$d/events.json.old"
	kill -USR1 $DPID
	if wait_for 5 test -e "$d/events.json" && [ "$(stat -c '%U' "$d/events.json")" = "$who" ]; then
		pass "live_reopen_after_drop_$who"
	else
		fail "live_reopen_after_drop_$who" "$(tail -n 2 "$TMP/privs-$who.err" | tr '\n' '|')"
	fi
	kill -TERM $DPID
	wait $DPID
	rc=$?
	DPID=""
	[ $rc -eq 0 ] || fail "live_privs_${who}_exit" "exit status $rc"
done

# --- SIGHUP that changes the capture: the new filter applies; a capture that
# cannot be opened leaves the old one in force -------------------------------------
printf 'capture: { interface = "%s"; ports = [ 7001 ]; };\ndaemon: { stats_interval = 0; };\noutputs: { journal: { enabled = false; }; file: { enabled = false; }; };\n' \
    "$VA" >"$TMP/recap.conf"
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$TMP/recap.conf" -o json \
    >"$TMP/recap.json" 2>"$TMP/recap.err" &
DPID=$!
wait_for 5 grep -q 'capturing on' "$TMP/recap.err"
sed -i 's/ports = \[ 7001 \]/ports = [ 7002 ]/' "$TMP/recap.conf"
kill -HUP $DPID
wait_for 5 grep -q "capture reopened on $VA with filter \".*port 7002" "$TMP/recap.err"
client client_first >/dev/null
client server_first >/dev/null
sed -i "s/interface = \"$VA\"/interface = \"nosuch1\"/" "$TMP/recap.conf"
kill -HUP $DPID
wait_for 5 grep -q 'capture keeps its old settings' "$TMP/recap.err"
client server_first >/dev/null
sleep 0.5
kill -TERM $DPID
wait $DPID
rc=$?
DPID=""
c7001=$(grep -c '"event":"CLOSED".*"server_port":7001' "$TMP/recap.json")
c7002=$(grep -c '"event":"CLOSED".*"server_port":7002' "$TMP/recap.json")
if [ $rc -eq 0 ] && [ "$c7001" = 0 ] && [ "$c7002" = 2 ] &&
    grep -q 'reload: capture on nosuch1: .*; the capture keeps its old settings' "$TMP/recap.err"; then
	pass live_hup_reopens_capture
else
	fail live_hup_reopens_capture "rc=$rc CLOSED on 7001: $c7001 (want 0), on 7002: $c7002 (want 2); $(grep -i 'reload\|reopen' "$TMP/recap.err" | tr '\n' '|')"
fi
