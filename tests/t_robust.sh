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
#      arrive;
#   4. hostile strings: interface names with quotes, backslashes, control
#      characters and bytes that are not UTF-8, on the command line and on a
#      real interface, and such config values: diagnostics, -t, STATUS=,
#      --stats, --flows and the JSON records stay clean lines;
#   5. the captured interface set down, then deleted (libpcap learns of the
#      deletion of a downed interface through no descriptor), then created
#      again: noticed, and capture resumes;
#   6. the log directory made read-only under the running daemon, then
#      writable again: suspended once, nothing lost, resumed by itself.
#
# The rest of issue 6 is tested elsewhere: fuzzing (t_fuzz), sanitizers and
# valgrind (make asan, t_valgrind), hostile packets (test_hostile), full
# disk, symbolic links and file modes (t_output_file), journald or syslog
# absent (t_output_journal, t_output_syslog), an interface deleted while up
# (t_live), broken configs (t_config, t_live), the unit's own privileges
# (t_service). Helpers are in tests/robust/: reload.py drives the signal
# loops, cleanchk.py checks bytes and JSON lines.
. "$(dirname "$0")/lib.sh"

require_root robust ip python3 nsenter tcpreplay
HERE=$(cd "$(dirname "$0")" && pwd)/robust
GEN=$PWD/$BUILD/tools/benchgen
for f in "$TCPSTATED" "$GEN"; do
	[ -x "$f" ] || { fail robust_prerequisites "$f is not built (make tests-build)"; exit 0; }
done

DPID="" SPID="" NPID="" RPID=""
# shellcheck disable=SC2086
trap 'netns_teardown $DPID $RPID $SPID $NPID' EXIT
# NSA: the daemon's and the client's namespace; NSB: the server's.
if ! netns_pair tr 232; then
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
    ! wait_for 5 inA python3 "$TMP/client.py" $B >/dev/null 2>&1; then
	skip robust "the test server in $NSB does not answer: $(head -n 2 "$TMP/server.log" | tr '\n' ' ')"
	exit 0
fi

# connect_closed SERVER FILE...: one connection; wait for its CLOSED in the files.
connect_closed() {
	local srv=$1 port; shift
	port=$(inA python3 "$TMP/client.py" "$srv" 2>/dev/null) || return 1
	wait_for 5 python3 "$HERE/cleanchk.py" closed "$port" "$@" 2>/dev/null
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
# The socket the killed daemon left behind is taken over, not refused.
if inA "$TCPSTATED" --stats -S "$D/ctl.sock" >"$D/stats.out" 2>&1 && grep -q '^tcpstated .*, capturing ' "$D/stats.out"; then
	pass kill9_control_socket_taken_over
else
	fail kill9_control_socket_taken_over "$(head -n 2 "$D/stats.out" | tr '\n' '|') $(grep 'control socket' "$D/diag-last.err")"
fi
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
	# The journal and syslog outputs on: their sender threads must hold no more than the rest.
	conf "$D/p.conf" "$D/logs/events.json" \
	    'journal: { enabled = true; events = [ "CLOSED" ]; }; syslog: { enabled = true; events = [ "CLOSED" ]; };'
	sed -i -e '/journal: { enabled = false; };/d' -e '/syslog: { enabled = false; };/d' \
	    -e "s/stats_interval = 0;/stats_interval = 0; user = \"$user\";/" "$D/p.conf"
	nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$D/p.conf" -S "$D/ctl.sock" 2>"$D/diag.err" &
	DPID=$!
	if ! wait_for 5 grep -q '^tcpstated: running as' "$D/diag.err"; then
		fail "privs_${who}_status" "did not start: $(tr '\n' '|' <"$D/diag.err")"
		kill -KILL $DPID; wait $DPID 2>/dev/null; DPID=""
		continue
	fi
	# Every thread: capabilities, the bounding set and no_new_privs are per thread.
	python3 - /proc/$DPID/task $who "$nobody_uid" "$nobody_gid" "$nobody_groups" $NETRAW <<'PY' >"$D/status.check"
import os, sys
tasks, who, nuid, ngid, ngroups, netraw = sys.argv[1:]
want_uid = "0" if who == "root" else nuid
want_gid = None if who == "root" else ngid
bad = []
tids = sorted(os.listdir(tasks), key=int)
if len(tids) < 3:
    bad.append("%d threads, want the main one and two senders" % len(tids))
for tid in tids:
    st = dict(l.split(":", 1) for l in open(os.path.join(tasks, tid, "status")) if ":" in l)
    st = {k: v.split() for k, v in st.items()}
    if st["Uid"] != [want_uid] * 4:
        bad.append("%s: Uid %s (want %s x4)" % (tid, " ".join(st["Uid"]), want_uid))
    if want_gid is not None and st["Gid"] != [want_gid] * 4:
        bad.append("%s: Gid %s (want %s x4)" % (tid, " ".join(st["Gid"]), want_gid))
    if who != "root":
        if sorted(st.get("Groups", []), key=int) != ngroups.split():
            bad.append("%s: Groups %s (want %s)" % (tid, st.get("Groups"), ngroups))
        if "0" in st.get("Groups", []) or "0" in st["Gid"]:
            bad.append("%s: still in group 0" % tid)
    for k, want in (("CapInh", "0" * 16), ("CapPrm", netraw), ("CapEff", netraw),
                    ("CapBnd", netraw), ("CapAmb", "0" * 16), ("NoNewPrivs", "1")):
        if st[k] != [want]:
            bad.append("%s: %s %s (want %s)" % (tid, k, " ".join(st[k]), want))
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
# Under make asan, freed memory waits in ASan's quarantine (up to 256 MB)
# before it is used again, so resident memory grows with every free; without
# the quarantine ASan reuses it as malloc would, and a leak still shows (and
# LeakSanitizer checks at the exit).
nsenter --net=/run/netns/"$NSA" -- env \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
    "$TCPSTATED" -c "$D/live.conf" -S "$D/ctl.sock" 2>"$D/diag.err" &
DPID=$!
wait_for 5 grep -q 'control socket' "$D/diag.err"
# shellcheck disable=SC2086
if python3 "$HERE/reload.py" $DPID "$D/diag.err" "$D/events.json" 1000 "$D/live.conf" $cycle \
    >"$D/samples.json" 2>"$D/reload.err"; then
	echo "# $(cat "$D/samples.json")"
	read -r rss once fds threads <<<"$(python3 - "$D/samples.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
def grow(f, a="first", b="last"):
    return max(s[k + "_" + b][f] - s[k + "_" + a][f] for k in ("hup", "usr1"))
print(grow("rss_kb", "mid"), grow("rss_kb"), grow("fds"), grow("threads"))
PY
)"
	# A leak grows with every reload; the allocator and glibc's cache of
	# thread stacks settle once (a bounded step, the same after 1,000 or
	# 2,500 reloads). So the second half of the reloads must not grow: 500
	# that leaked even 260 bytes each would show. ASan keeps a record of every
	# thread that ever ran (about 180 bytes each here), and the journal and
	# syslog senders start and stop with every other reload: under make asan,
	# 512 kB. The one-time step is bounded too (1 MB; 4 MB under ASan).
	limit=128 step=1024
	nm "$TCPSTATED" 2>/dev/null | grep -q __asan_init && limit=512 step=4096
	if [ "$rss" -le $limit ] && [ "$once" -le $step ]; then
		pass reload_rotate_rss_flat
	else
		fail reload_rotate_rss_flat "VmRSS grew by $rss kB (at most $limit) between the 500th and the 1000th, $once kB (at most $step) from the 100th: $(cat "$D/samples.json")"
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

# =============================================================================
# 4. Hostile strings: interface names and config values
# =============================================================================
# clean [-u] NAME FILE: every line of FILE free of control characters (and
# with -u valid UTF-8 without C1 controls), else FAIL NAME.
clean() {
	local u="" out
	[ "$1" = -u ] && { u=-u; shift; }
	if out=$(python3 "$HERE/cleanchk.py" clean $u "$2" 2>&1); then
		pass "$1"
	else
		fail "$1" "$out"
	fi
}
D=$TMP/hostile; mkdir -p "$D"
conf "$D/h.conf" "$D/events.json"

# Names that exist nowhere, on the command line: one clean error line each.
i=0 bad=""
for name in $'eth0"\n{' $'e\e[31mx' $'a\\b\r' $'\xff\xfe"%s' $'\xc2\x9b1m' $'t\tx' $'\e]0;x\a'; do
	i=$((i + 1))
	inA timeout 10 "$TCPSTATED" -c "$D/h.conf" -S "$D/ctl.sock" -i "$name" >/dev/null 2>"$D/nodev-$i.err"
	rc=$?
	why=$(python3 "$HERE/cleanchk.py" clean -u "$D/nodev-$i.err" 2>&1)
	case $why in
	1) [ $rc = 1 ] && grep -q '^tcpstated: capture on .*: .*' "$D/nodev-$i.err" ||
		bad="$bad [$i: rc=$rc $(head -c 120 "$D/nodev-$i.err" | od -An -c | tr -s ' ' | head -c 200)]" ;;
	*) bad="$bad [$i: rc=$rc $why]" ;;
	esac
done
[ -z "$bad" ] && pass hostile_iface_arg_one_clean_line || fail hostile_iface_arg_one_clean_line "$bad"

# Usage errors quote the argument that is wrong: still clean lines.
: >"$D/usage.err"
for args in "-p 8$'\e[0m'0" "-o $'js\non'" "-S $'/x\e[2J'" "--port $'\xff'" "$'\e]0;x\a'"; do
	eval "\"$TCPSTATED\" $args" >/dev/null 2>>"$D/usage.err"
	rc=$?
	[ $rc = 2 ] || echo "exit $rc for $args" >>"$D/usage.err"
done
clean -u hostile_usage_errors_clean "$D/usage.err"

# The escaping decodes one way only: an argument spelled backslash, x, f, f
# is shown as \\xff, the byte 0xff as \xff.
"$TCPSTATED" --port '\xff' 2>"$D/spelled.err" >/dev/null
"$TCPSTATED" --port $'\xff' 2>"$D/byte.err" >/dev/null
if [ "$(head -n 1 "$D/spelled.err")" = 'tcpstated: --port \\xff: a port number (1..65535)' ] &&
    [ "$(head -n 1 "$D/byte.err")" = 'tcpstated: --port \xff: a port number (1..65535)' ]; then
	pass hostile_escape_backslash_unambiguous
else
	fail hostile_escape_backslash_unambiguous "$(head -n 1 "$D/spelled.err") / $(head -n 1 "$D/byte.err")"
fi

# Config values: control characters are refused, and the -t lines that
# quote them stay clean (C1 and bytes that are not UTF-8 are not control
# characters to the config, so "js\x9bon" is refused only as a format).
cat >"$D/bad.conf" <<'CONF'
outputs: {
	syslog: { ident = "id\x1b[31m\"x"; facility = "lo\ncal0"; };
	file: { path = "DIR/ev\"\\\r\xff.json"; format = "js\xc2\x9bon"; };
};
CONF
sed -i "s|DIR|$D|" "$D/bad.conf"
"$TCPSTATED" -t -c "$D/bad.conf" >"$D/t.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(grep -c "^$D/bad.conf:[0-9]*: " "$D/t.out")" = "$(grep -c '' "$D/t.out")" ] &&
    [ "$(grep -c '' "$D/t.out")" = 4 ]; then
	pass hostile_config_refused_line_per_error
else
	fail hostile_config_refused_line_per_error "rc=$rc $(head -c 300 "$D/t.out" | od -An -c | tr -s ' ' | head -c 400)"
fi
clean -u hostile_config_check_clean "$D/t.out"

# A real interface with such a name (the kernel refuses only "/", ":", "%"
# and white space): 'h"\{', a byte that is not UTF-8, an escape sequence and
# the C1 control CSI. The daemon captures it (-i: the config file refuses
# control characters); its diagnostics, STATUS= and --stats show the name
# escaped, and its JSON records (STATS every second) stay valid.
HN=$(printf 'h"\\{\377\033[1m\302\233')
HB=trhb$$
if ip link add "$HN" netns "$NSA" type veth peer name "$HB" netns "$NSB" 2>"$D/link.err" &&
    ip -n "$NSA" addr add 10.232.1.1/24 dev "$HN" && ip -n "$NSB" addr add 10.232.1.2/24 dev "$HB" &&
    ip -n "$NSA" link set "$HN" up && ip -n "$NSB" link set "$HB" up; then
	python3 "$HERE/cleanchk.py" notify-listen "$D/notify.sock" "$D/notify.log" &
	NPID=$!
	wait_for 5 test -S "$D/notify.sock"
	sed 's/stats_interval = 0;/stats_interval = 1;/' "$D/h.conf" >"$D/hs.conf"
	nsenter --net=/run/netns/"$NSA" -- env NOTIFY_SOCKET="$D/notify.sock" "$TCPSTATED" \
	    -c "$D/hs.conf" -S "$D/ctl.sock" -i "$HN" 2>"$D/diag.err" &
	DPID=$!
	wait_for 5 test -s "$D/notify.log"
	if connect_closed 10.232.1.2 "$D/events.json"; then
		pass hostile_iface_captured
	else
		fail hostile_iface_captured "$(tr '\n' '|' <"$D/diag.err" | head -c 300)"
	fi
	inA "$TCPSTATED" --stats -S "$D/ctl.sock" >"$D/stats.out" 2>&1
	inA "$TCPSTATED" --flows -S "$D/ctl.sock" >"$D/flows.out" 2>&1
	if grep -q '^tcpstated .*, capturing h"\\\\{\\xff\\x1b\[1m\\xc2\\x9b (' "$D/stats.out"; then
		pass hostile_iface_stats_escaped
	else
		fail hostile_iface_stats_escaped "$(head -n 1 "$D/stats.out" | od -An -c | tr -s ' ' | head -c 300)"
	fi
	clean -u hostile_iface_stats_clean "$D/stats.out"
	clean -u hostile_iface_flows_clean "$D/flows.out"
	wait_for 3 grep -q '"event":"STATS"' "$D/events.json"

	# =====================================================================
	# 5. The interface set down, then deleted, then created again
	# =====================================================================
	# Down, the capture socket gets ENETDOWN and libpcap waits to learn
	# whether the interface comes back; the deletion that follows wakes no
	# descriptor. The daemon must still notice, and resume on the new one.
	ip -n "$NSA" link set "$HN" down
	sleep 0.5
	ip -n "$NSA" link del "$HN"
	if wait_for 5 grep -q 'capture on h"\\\\{\\xff.* failed' "$D/diag.err"; then
		pass iface_down_then_deleted_noticed
	else
		fail iface_down_then_deleted_noticed "$(tail -n 2 "$D/diag.err" | tr '\n' '|')"
	fi
	ip link add "$HN" netns "$NSA" type veth peer name "$HB" netns "$NSB" &&
	    ip -n "$NSA" addr add 10.232.1.1/24 dev "$HN" && ip -n "$NSB" addr add 10.232.1.2/24 dev "$HB" &&
	    ip -n "$NSA" link set "$HN" up && ip -n "$NSB" link set "$HB" up
	if wait_for 10 grep -q 'capture on h"\\\\{\\xff.* resumed' "$D/diag.err" &&
	    wait_for 5 inA python3 -c "import socket; socket.create_connection(('10.232.1.2', 7101), 0.3).close()" 2>/dev/null &&
	    connect_closed 10.232.1.2 "$D/events.json"; then
		pass iface_recreated_capture_resumes
	else
		fail iface_recreated_capture_resumes "$(tail -n 2 "$D/diag.err" | tr '\n' '|')"
	fi
	stop_daemon
	[ "$rc" = 0 ] || fail hostile_iface_exit "exit status $rc"
	clean -u hostile_iface_diagnostics_clean "$D/diag.err"
	if out=$(python3 "$HERE/cleanchk.py" notify "$D/notify.log" 2>&1) && [ "$out" -ge 3 ] &&
	    python3 -c 'import sys; sys.exit(0 if any(b"STATUS=capturing h\"\\\\{\\xff\\x1b[1m\\xc2\\x9b (" in bytes.fromhex(l.strip()) for l in open(sys.argv[1])) else 1)' "$D/notify.log"; then
		pass hostile_iface_status_escaped
	else
		fail hostile_iface_status_escaped "${out:0:300}"
	fi
	if out=$(python3 "$HERE/cleanchk.py" jsonl "$D/events.json" 2>&1) &&
	    [ "$(grep -c '"event":"STATS"' "$D/events.json")" -ge 1 ]; then
		pass hostile_iface_records_valid_json
	else
		fail hostile_iface_records_valid_json "$out"
	fi
	kill $NPID; wait $NPID 2>/dev/null; NPID=""
else
	skip hostile_iface "cannot create an interface named with these bytes: $(head -n 1 "$D/link.err")"
fi

# Config values with quotes, backslashes and bytes that are not UTF-8 are
# accepted where they may be (a path; syslog.ident holds only [A-Za-z0-9_.-],
# see conf-bad/forged.conf): the file is written at that path with valid
# records, and the diagnostics that name such a path are clean.
mkdir -p "$D/odd"
odd_conf() { # config-file directory
	python3 - "$1" "$2" "$VA" <<'PY'
import sys
conf, d, va = sys.argv[1:]
with open(conf, "wb") as f:
    f.write(('capture: { interface = "%s"; ports = [ 7101 ]; };\n'
             'daemon: { stats_interval = 0; };\n'
             'outputs: {\n'
             '\tjournal: { enabled = false; };\n'
             '\tsyslog: { enabled = true; events = [ "CLOSED" ]; ident = "t-s.d"; };\n'
             '\tfile: { enabled = true; path = "%s/e\\"v\\\\%%s\\xff.json"; };\n'
             '};\n' % (va, d)).encode())
PY
}
odd_conf "$D/odd.conf" "$D/odd"
# -t runs outside the namespace, where the interface is not: a warning, no error.
out=$("$TCPSTATED" -t -c "$D/odd.conf" 2>"$D/odd-t.err")
grep -v ': warning: ' "$D/odd-t.err" >>"$D/odd-t.out"
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$D/odd.conf" -S "$D/ctl.sock" 2>"$D/odd.err" &
DPID=$!
wait_for 5 grep -q 'control socket' "$D/odd.err"
odd=$(printf '%s/odd/e"v\\%%s\377.json' "$D")
connect_closed $B "$odd"
stop_daemon
if [ "$out" = "configuration OK" ] && [ ! -s "$D/odd-t.out" ] && [ $rc = 0 ] && [ -f "$odd" ] &&
    n=$(python3 "$HERE/cleanchk.py" jsonl "$odd") && [ "$n" -ge 5 ]; then
	pass hostile_config_values_accepted
else
	fail hostile_config_values_accepted "-t: $out; rc=$rc; $(ls "$D/odd" | od -An -c | head -n 2 | tr -s ' '); $(tail -n 2 "$D/odd.err" | tr '\n' '|')"
fi
# The same path under a regular file: it cannot be created, and the daemon says so.
: >"$D/notadir"
odd_conf "$D/odd2.conf" "$D/notadir"
inA timeout 10 "$TCPSTATED" -c "$D/odd2.conf" -S "$D/ctl.sock" 2>>"$D/odd.err"
rc=$?
if [ $rc = 1 ] && grep -q 'cannot open .*/notadir/e"v\\\\%s\\xff.json: Not a directory' "$D/odd.err"; then
	pass hostile_path_error_escaped
else
	fail hostile_path_error_escaped "rc=$rc $(tail -n 2 "$D/odd.err" | od -An -c | tr -s ' ' | head -c 300)"
fi
clean -u hostile_path_diagnostics_clean "$D/odd.err"

# =============================================================================
# 6. A log directory that turns read-only under the running daemon
# =============================================================================
# t_output_file fills a disk under the file output alone; here the live
# daemon (root without CAP_DAC_OVERRIDE: permissions bind it) must reopen
# its file after a logrotate-style rename in a directory it cannot write:
# suspended and said once, capture goes on, records wait in the buffer, and
# writing resumes by itself once the directory is writable again.
D=$TMP/rodir; mkdir -p "$D/logs"
conf "$D/r.conf" "$D/logs/events.json"
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$D/r.conf" -S "$D/ctl.sock" 2>"$D/diag.err" &
DPID=$!
wait_for 5 grep -q 'control socket' "$D/diag.err"
connect_closed $B "$D/logs/events.json"
chmod 0555 "$D/logs"
mv "$D/logs/events.json" "$D/logs/events.json.1"
kill -USR1 $DPID
wait_for 5 grep -q 'file output suspended' "$D/diag.err"
p1=$(inA python3 "$TMP/client.py" $B 2>/dev/null)
p2=$(inA python3 "$TMP/client.py" $B 2>/dev/null)
sleep 2.5 # two retries, one a second, fail meanwhile
chmod 0755 "$D/logs"
if wait_for 5 grep -q 'file output resumed: .*, 0 records dropped' "$D/diag.err" &&
    wait_for 5 python3 "$HERE/cleanchk.py" closed "$p2" "$D/logs/events.json" 2>/dev/null &&
    python3 "$HERE/cleanchk.py" closed "$p1" "$D/logs/events.json" &&
    [ "$(grep -c 'file output suspended: cannot open .*Permission denied' "$D/diag.err")" = 1 ] &&
    kill -0 $DPID 2>/dev/null; then
	pass readonly_logdir_suspended_once_then_resumed
else
	fail readonly_logdir_suspended_once_then_resumed "$(grep 'file output' "$D/diag.err" | tr '\n' '|')"
fi
stop_daemon
[ "$rc" = 0 ] || fail readonly_logdir_exit "exit status $rc"
