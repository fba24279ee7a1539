#!/usr/bin/env bash
# t_robust.sh - the faults and limits of issue 6 that the other tests leave
# out, each against the live daemon in two network namespaces joined by a
# veth pair (no traffic leaves them: 10.232.0.0/16 exists only inside):
#
#   1. kill -9 while the file output writes heavily (tcpreplay of a benchgen
#      capture): the files hold only whole JSON records, also when a kill
#      cut a write(2) in half; a record cut that way is removed at the next
#      start;
#   2. started as root with and without daemon.user: every uid and gid, the
#      groups and all five capability sets in /proc/PID/status, and capture
#      and the file output still work after the drop;
#   3. 1,000 SIGHUP reloads (alternating configs; the capture is reopened
#      100 times) and 1,000 logrotate-style rotations (rename, SIGUSR1):
#      resident memory, descriptors and threads do not grow, events still
#      arrive.
#
# Helpers are in tests/robust/: reload.py drives the signal loops,
# cleanchk.py checks bytes and JSON lines.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip robust "needs root (network namespaces)"
	exit 0
fi
for tool in ip python3 nsenter tcpreplay; do
	if ! command -v $tool >/dev/null; then
		skip robust "$tool is not installed"
		exit 0
	fi
done
HERE=$(cd "$(dirname "$0")" && pwd)/robust
GEN=$PWD/$BUILD/tools/benchgen
for f in "$TCPSTATED" "$GEN"; do
	[ -x "$f" ] || { fail robust_prerequisites "$f is not built (make tests-build)"; exit 0; }
done

NSA=trba$$ NSB=trbb$$   # the daemon's and client's namespace, the server's
VA=trva$$ VB=trvb$$     # the veth ends
A=10.232.0.1 B=10.232.0.2
DPID="" SPID="" NPID="" RPID=""

cleanup() {
	local p
	for p in $DPID $RPID $SPID $NPID; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# nsenter execs the program (ip netns exec forks): $! is the program's pid.
inA() { nsenter --net=/run/netns/"$NSA" -- "$@"; }

wait_for() { # seconds command...: poll until the command succeeds
	local i n=$(($1 * 20)); shift
	for ((i = 0; i < n; i++)); do "$@" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

veth() {
	ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" &&
	    ip -n "$NSA" addr add $A/24 dev "$VA" && ip -n "$NSB" addr add $B/24 dev "$VB" &&
	    ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up
}
if ! { ip netns add "$NSA" && ip netns add "$NSB" && veth &&
    ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up; } 2>"$TMP/setup.err"; then
	skip robust "cannot set up namespaces and veth: $(head -n 1 "$TMP/setup.err")"
	exit 0
fi
# The unprivileged daemon must reach its files under $TMP.
chmod 755 "$TMP"

# --- a server that answers and closes after the client, and a client ----------
cat >"$TMP/server.py" <<'EOF'
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7101))
s.listen(64)
open(sys.argv[1], 'w').close()
def serve(c):
    c.recv(100); c.sendall(b'pong')
    while c.recv(100):
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
cat >"$TMP/client.py" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], 7101), timeout=5)
print(s.getsockname()[1], flush=True)
s.sendall(b'ping'); s.recv(100); s.close()
EOF
nsenter --net=/run/netns/"$NSB" -- python3 "$TMP/server.py" "$TMP/server.ready" >"$TMP/server.log" 2>&1 &
SPID=$!
if ! wait_for 10 test -e "$TMP/server.ready" ||
    ! wait_for 5 inA python3 "$TMP/client.py" $B >/dev/null; then
	skip robust "the test server in $NSB does not answer: $(head -n 2 "$TMP/server.log" | tr '\n' ' ')"
	exit 0
fi

# connect_closed SERVER FILE...: one connection; wait for its CLOSED in the files.
connect_closed() {
	local srv=$1 port; shift
	port=$(inA python3 "$TMP/client.py" "$srv" 2>/dev/null) || return 1
	wait_for 5 python3 "$HERE/cleanchk.py" closed "$port" "$@"
}

# stop_daemon: SIGTERM and wait; the exit status goes to $rc.
stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID"
	rc=$?
	DPID=""
}

# A config with only the file output (journal and syslog off unless $3 says).
conf() { # path events-file [extra-outputs]
	cat >"$1" <<EOF
capture: { interface = "$VA"; ports = [ 7101 ]; buffer_size_kb = 1024; };
daemon: { stats_interval = 0; };
outputs: {
	journal: { enabled = false; };
	syslog: { enabled = false; };
	file: { enabled = true; path = "$2"; };
	${3:-}
};
EOF
}

# =============================================================================
# 1. kill -9 in the middle of heavy writing
# =============================================================================
# A write(2) of the 64 KiB buffer that SIGKILL interrupts is cut at a page
# boundary (the kernel checks for a fatal signal between pages), leaving
# part of a record at the end of the file; the next start must mend it.
D=$TMP/kill; mkdir -p "$D"
"$GEN" -n 12000 -c 300 -s 11 -o "$D/heavy.pcap" >/dev/null
cat >"$D/k.conf" <<EOF
capture: { interface = "$VA"; buffer_size_kb = 8192; };
daemon: { stats_interval = 0; };
outputs: {
	journal: { enabled = false; };
	syslog: { enabled = false; };
	file: { enabled = true; path = "$D/events.json"; max_size_mb = 8; keep = 2; };
};
EOF
# Replay it over and over at full speed (new addresses each loop) while the
# daemon is started and killed again and again, appending to the same files.
# About one kill in ten lands inside a write(2) here.
nsenter --net=/run/netns/"$NSA" -- tcpreplay -q -i "$VA" --loop=0 --unique-ip --topspeed \
    "$D/heavy.pcap" >"$D/replay.log" 2>&1 &
RPID=$!
cuts=0 kills=0
for i in $(seq 10); do
	nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$D/k.conf" -S "$D/ctl.sock" \
	    2>"$D/diag-$i.err" &
	DPID=$!
	wait_for 5 grep -q 'control socket' "$D/diag-$i.err"
	sleep 0.$((RANDOM % 5 + 2))
	kill -KILL $DPID
	wait $DPID 2>/dev/null
	DPID=""
	kills=$((kills + 1))
	[ -s "$D/events.json" ] && [ "$(tail -c 1 "$D/events.json" | od -An -c | tr -d ' ')" != '\n' ] &&
		cuts=$((cuts + 1))
done
kill -KILL $RPID; wait $RPID 2>/dev/null; RPID=""
# A last, orderly run: it mends what the last kill left and ends cleanly.
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$D/k.conf" -S "$D/ctl.sock" \
    2>"$D/diag-last.err" &
DPID=$!
wait_for 5 grep -q 'control socket' "$D/diag-last.err"
stop_daemon
cat "$D"/diag-*.err >"$D/diag.err"
mended=$(grep -c 'unfinished record' "$D/diag.err")
echo "# kill -9: $kills kills, $cuts left the file ending inside a record, $mended mended at a start"
order=$(for n in 2 1; do [ -f "$D/events.json.$n" ] && echo "$D/events.json.$n"; done; echo "$D/events.json")
if out=$(python3 "$HERE/cleanchk.py" jsonl $order 2>&1) && [ "$rc" = 0 ] && [ "${out:-0}" -gt 10000 ]; then
	pass kill9_heavy_writing_whole_records
else
	fail kill9_heavy_writing_whole_records "rc=$rc $out"
fi
if [ "$mended" = "$cuts" ]; then
	pass kill9_cut_records_mended_at_start
else
	fail kill9_cut_records_mended_at_start "$cuts kills left a cut record, $mended were mended: $(grep -i 'unfinished\|file output' "$D/diag.err" | head -n 3 | tr '\n' '|')"
fi

# The same, made certain: a file that ends inside a record, as a kill in
# write(2) leaves it; then a start and one connection.
D=$TMP/cut; mkdir -p "$D"
python3 - "$D/events.json" <<'EOF'
import json, sys
rec = {"ts": "2024-06-01T00:00:00.000000Z", "event": "SYN", "flow": "Cxx", "by": "client",
       "client_ip": "10.0.0.1", "client_port": 1, "server_ip": "10.0.0.2", "server_port": 2}
with open(sys.argv[1], "w") as f:
    for _ in range(3):
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    f.write(json.dumps(rec, separators=(",", ":"))[:37])
EOF
chmod 640 "$D/events.json"
conf "$D/c.conf" "$D/events.json"
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$D/c.conf" -S "$D/ctl.sock" 2>"$D/diag.err" &
DPID=$!
wait_for 5 grep -q 'control socket' "$D/diag.err"
connect_closed $B "$D/events.json"
stop_daemon
out=$(python3 "$HERE/cleanchk.py" jsonl "$D/events.json" 2>&1)
if [ "$rc" = 0 ] && [ "$(head -n 3 "$D/events.json" | grep -c '"flow":"Cxx"')" = 3 ] &&
    [ "$(grep -c '"event":"CLOSED"' "$D/events.json")" = 1 ] && [[ $out =~ ^[0-9]+$ ]] &&
    [ "$(grep -c 'unfinished record' "$D/diag.err")" = 1 ]; then
	pass kill9_cut_record_removed_before_appending
else
	fail kill9_cut_record_removed_before_appending "rc=$rc check: $out; $(head -n 5 "$D/events.json" | cut -c1-60 | tr '\n' '|') diag: $(grep -i 'unfinished\|file' "$D/diag.err" | tr '\n' '|')"
fi

# =============================================================================
# 2. Least privilege, read from /proc/PID/status, and capture after the drop
# =============================================================================
# t_live checks the real uid and the capability sets; here every uid and gid
# (real, effective, saved, filesystem), the supplementary groups, the
# inheritable set too, and that the dropped process still captures and writes.
NETRAW=0000000000002000 # 1 << CAP_NET_RAW (13)
ZERO=0000000000000000
nobody_uid=$(id -u nobody) nobody_gid=$(id -g nobody)
nobody_groups=$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ')
for who in root nobody; do
	D=$TMP/privs-$who; mkdir -p "$D"
	user=""; [ $who = nobody ] && user=nobody
	conf "$D/p.conf" "$D/logs/events.json"
	sed -i "s/stats_interval = 0;/stats_interval = 0; user = \"$user\";/" "$D/p.conf"
	nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$D/p.conf" -S "$D/ctl.sock" 2>"$D/diag.err" &
	DPID=$!
	if ! wait_for 5 grep -q '^tcpstated: running as' "$D/diag.err"; then
		fail "privs_${who}_status" "did not start: $(tr '\n' '|' <"$D/diag.err")"
		kill -KILL $DPID; wait $DPID 2>/dev/null; DPID=""
		continue
	fi
	python3 - /proc/$DPID/status $who "$nobody_uid" "$nobody_gid" "$nobody_groups" $NETRAW <<'PY' >"$D/status.check"
import sys
path, who, nuid, ngid, ngroups, netraw = sys.argv[1:]
st = dict(l.split(":", 1) for l in open(path) if ":" in l)
st = {k: v.split() for k, v in st.items()}
want_uid = "0" if who == "root" else nuid
want_gid = None if who == "root" else ngid
bad = []
if st["Uid"] != [want_uid] * 4:
    bad.append("Uid %s (want %s x4)" % (" ".join(st["Uid"]), want_uid))
if want_gid is not None and st["Gid"] != [want_gid] * 4:
    bad.append("Gid %s (want %s x4)" % (" ".join(st["Gid"]), want_gid))
if who != "root":
    if sorted(st.get("Groups", []), key=int) != ngroups.split():
        bad.append("Groups %s (want %s)" % (st.get("Groups"), ngroups))
    if "0" in st.get("Groups", []) or "0" in st["Gid"]:
        bad.append("still in group 0")
for k, want in (("CapInh", "0" * 16), ("CapPrm", netraw), ("CapEff", netraw),
                ("CapBnd", netraw), ("CapAmb", "0" * 16), ("NoNewPrivs", "1")):
    if st[k] != [want]:
        bad.append("%s %s (want %s)" % (k, " ".join(st[k]), want))
print("; ".join(bad))
PY
	if [ ! -s "$D/status.check" ] || [ "$(cat "$D/status.check")" = "" ]; then
		pass "privs_${who}_status"
	else
		fail "privs_${who}_status" "$(cat "$D/status.check")"
	fi
	if connect_closed $B "$D/logs/events.json" &&
	    [ "$(stat -c %U "$D/logs/events.json")" = "$who" ]; then
		pass "privs_${who}_captures_after_drop"
	else
		fail "privs_${who}_captures_after_drop" "no CLOSED in $D/logs/events.json ($(stat -c '%U %a' "$D/logs/events.json" 2>&1)): $(tail -n 3 "$D/diag.err" | tr '\n' '|')"
	fi
	stop_daemon
	[ "$rc" = 0 ] || fail "privs_${who}_exit" "exit status $rc: $(tail -n 2 "$D/diag.err" | tr '\n' '|')"
done

# =============================================================================
# 3. 1,000 SIGHUP reloads and 1,000 log rotations: nothing grows
# =============================================================================
# The reloads alternate two configs: the second turns the journal and
# syslog outputs on (their sender threads start; nothing listens here, so
# their records are only counted as dropped) and changes the file's rate
# limit; the first turns that back. Every 20th reload also adds a port, so
# the capture is reopened 100 times (closing a packet socket waits for an
# RCU grace period: all 1,000 would take most of a minute).
D=$TMP/reload; mkdir -p "$D"
conf "$D/a.conf" "$D/events.json"
conf "$D/b.conf" "$D/events.json" \
    'journal: { enabled = true; events = [ "CLOSED" ]; }; syslog: { enabled = true; events = [ "CLOSED" ]; };'
sed -i -e '/journal: { enabled = false; };/d' -e '/syslog: { enabled = false; };/d' \
    -e 's/path = "\([^"]*\)"; };/path = "\1"; rate_limit = 5000; };/' "$D/b.conf"
sed 's/ports = \[ 7101 \]/ports = [ 7101, 7102 ]/' "$D/b.conf" >"$D/c.conf"
cycle=""
for i in $(seq 9); do cycle="$cycle $D/a.conf $D/b.conf"; done
cycle="$cycle $D/a.conf $D/c.conf"
cp "$D/a.conf" "$D/live.conf"
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$D/live.conf" -S "$D/ctl.sock" 2>"$D/diag.err" &
DPID=$!
wait_for 5 grep -q 'control socket' "$D/diag.err"
# shellcheck disable=SC2086
if python3 "$HERE/reload.py" $DPID "$D/diag.err" "$D/events.json" 1000 "$D/live.conf" $cycle \
    >"$D/samples.json" 2>"$D/reload.err"; then
	echo "# $(cat "$D/samples.json")"
	read -r rss fds threads <<<"$(python3 - "$D/samples.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
def grow(f):
    return max(s[k + "_last"][f] - s[k + "_first"][f] for k in ("hup", "usr1"))
print(grow("rss_kb"), grow("fds"), grow("threads"))
PY
)"
	# 900 more reloads that leaked even 300 bytes each would show here.
	if [ "$rss" -le 256 ]; then
		pass reload_rotate_rss_flat
	else
		fail reload_rotate_rss_flat "VmRSS grew by $rss kB between the 100th and the 1000th: $(cat "$D/samples.json")"
	fi
	if [ "$fds" -le 0 ] && [ "$threads" -le 0 ]; then
		pass reload_rotate_fds_threads_flat
	else
		fail reload_rotate_fds_threads_flat "descriptors +$fds, threads +$threads: $(cat "$D/samples.json")"
	fi
else
	fail reload_rotate_rss_flat "the signal loop stopped: $(cat "$D/reload.err") | $(tail -n 3 "$D/diag.err" | tr '\n' '|')"
	fail reload_rotate_fds_threads_flat "not measured"
fi
# Still capturing and writing, with the first config in force.
if kill -0 $DPID 2>/dev/null && connect_closed $B "$D/events.json" &&
    [ "$(grep -c 'reload of .* failed\|keeping the running\|keeps its old' "$D/diag.err")" = 0 ]; then
	pass reload_rotate_still_working
else
	fail reload_rotate_still_working "$(grep -i 'fail\|keep' "$D/diag.err" | head -n 3 | tr '\n' '|') $(tail -n 2 "$D/diag.err" | tr '\n' '|')"
fi
stop_daemon
[ "$rc" = 0 ] || fail reload_rotate_exit "exit status $rc: $(tail -n 2 "$D/diag.err" | tr '\n' '|')"
