#!/usr/bin/env bash
# t_service.sh - the installed daemon run exactly as systemd/tcpstated.service
# would run it: the unit's own ExecStartPre and ExecStart command lines, an
# unprivileged uid with CAP_NET_RAW as its only capability (ambient and
# bounding, no_new_privs, via setpriv), UMask 0027, a LogsDirectory owned by
# that uid, NOTIFY_SOCKET and WATCHDOG_USEC. It captures a veth between two
# network namespaces while real sockets open, reset and refuse connections,
# and the events must arrive in a real systemd-journald, queryable with the
# man page's journalctl commands and explained by the catalog (-x).
#
# Under strace, the daemon's system calls are checked against the unit's
# SystemCallFilter and RestrictAddressFamilies, and its writes against the
# directories ProtectSystem=strict leaves writable: what this machine cannot
# enforce without systemd as PID 1 is at least proven not to be needed.
#
# Everything runs in a private mount namespace: journald's sockets and
# journal files, the catalog database and /run/netns are tmpfs mounts that
# vanish with the test and never touch the host's.

if [ -z "${T_SERVICE_PRIVATE:-}" ]; then
	T_SERVICE_PRIVATE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

SVC_UID=63017 # in systemd's DynamicUser= range (61184..65519)
NS_C=tsvc-cli-$$
NS_S=tsvc-srv-$$
VETH_C=tsvc$$c
VETH_S=tsvc$$s
CLI_IP=10.213.7.1
SRV_IP=10.213.7.2
PORT=5432
CLOSED_PORT=5433
root=$TMP/root

pids=""
cleanup() {
	local p
	# strace waits for the daemon it runs: stop the daemon (its child) first.
	[ -n "${strace_pid:-}" ] && kill $(ps -o pid= --ppid "$strace_pid") 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

for tool in setpriv strace ip python3 journalctl; do
	if ! command -v $tool >/dev/null; then
		fail service_prerequisites "$tool is not installed (make deps)"
		exit 0
	fi
done
if [ ! -x "$TCPSTATED" ]; then
	fail service_prerequisites "$TCPSTATED is not built: run make first"
	exit 0
fi
if getent passwd $SVC_UID >/dev/null; then
	fail service_prerequisites "uid $SVC_UID is taken on this machine; pick another SVC_UID"
	exit 0
fi

# --- install, as an admin would --------------------------------------------
if ! make -s --no-print-directory install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    BUILD="$BUILD" >"$TMP/make.out" 2>&1; then
	fail service_install "make install: $(tail -n 3 "$TMP/make.out" | tr '\n' ' ')"
	exit 0
fi
# The unprivileged uid must reach the installed tree, like /usr and /etc.
chmod 0755 "$TMP"
unit=$root/lib/systemd/system/tcpstated.service

# The unit's command lines, with the install root in front of its paths.
unit_cmd() {
	sed -n "s/^$1=//p" "$unit" | head -n 1 |
	    sed "s|/usr/sbin/|$root/usr/sbin/|g; s|/etc/tcpstated/|$root/etc/tcpstated/|g"
}
pre_cmd=$(unit_cmd ExecStartPre)
start_cmd=$(unit_cmd ExecStart)
case $start_cmd in
"$root/usr/sbin/tcpstated -f -c $root/etc/tcpstated/tcpstated.conf") pass service_unit_command ;;
*) fail service_unit_command "unexpected ExecStart: $start_cmd" ;;
esac

# The site's config: the shipped defaults but for where to listen and where
# the file goes (LogsDirectory=tcpstated is this uid's 0750 directory), and
# the metrics in the runtime directory (RuntimeDirectory=tcpstated, 0755,
# where node_exporter can read them). StateDirectory= exists too.
logdir=$TMP/log/tcpstated
rundir=$TMP/run/tcpstated
statedir=$TMP/lib/tcpstated
mkdir -p "$logdir" "$rundir" "$statedir"
chown $SVC_UID:$SVC_UID "$logdir" "$rundir" "$statedir"
chmod 0750 "$logdir"
chmod 0755 "$TMP/run" "$rundir" "$TMP/lib" "$statedir"
cat >"$root/etc/tcpstated/tcpstated.conf" <<EOF
capture: { interface = "$VETH_S"; ports = [ $PORT, $CLOSED_PORT ]; };
outputs: { file: { path = "$logdir/events.json"; }; };
metrics: { path = "$rundir/tcpstated.prom"; interval = 1; };
EOF

# --- a real journald, private to this test ----------------------------------
for d in /run/systemd /run/log /var/log/journal /var/lib/systemd/catalog; do
	if ! { mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d"; }; then
		fail service_journald "cannot mount a private tmpfs on $d"
		exit 0
	fi
done
/lib/systemd/systemd-journald >"$TMP/journald.out" 2>&1 &
pids="$pids $!"
if ! wait_for 10 test -S /run/systemd/journal/socket; then
	fail service_journald "systemd-journald did not start: $(head -n 3 "$TMP/journald.out" | tr '\n' ' ')"
	exit 0
fi
# journalctl -x reads the catalog database: index the installed catalog.
journalctl --root="$root" --update-catalog >/dev/null 2>&1
mount --bind "$root/var/lib/systemd/catalog" /var/lib/systemd/catalog

# --- the network: client and server namespaces, a veth between ----------------
mkdir -p /run/netns
mount -t tmpfs tmpfs /run/netns
ip netns add "$NS_C" && ip netns add "$NS_S" &&
    ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S" &&
    ip -n "$NS_C" addr add $CLI_IP/24 dev "$VETH_C" && ip -n "$NS_S" addr add $SRV_IP/24 dev "$VETH_S" &&
    ip -n "$NS_C" link set "$VETH_C" up && ip -n "$NS_S" link set "$VETH_S" up &&
    ip -n "$NS_C" link set lo up && ip -n "$NS_S" link set lo up
if [ $? -ne 0 ]; then
	fail service_netns "could not set up the network namespaces"
	exit 0
fi

# The server: "close" -> reply, then close after the client did (a clean
# close, client first); "reset" -> abortive close (SO_LINGER 0: a RST);
# "hold" -> keep the connection open until killed.
cat >"$TMP/server.py" <<'EOF'
import socket, struct, sys, threading
def serve(c):
    cmd = c.recv(64)
    if cmd.startswith(b"reset"):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    elif cmd.startswith(b"close"):
        c.sendall(b"bye\n")
        while c.recv(64):
            pass
        c.close()
    else:
        c.sendall(b"held\n")
        while c.recv(64):
            pass
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
open(sys.argv[3], "w").close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
ip netns exec "$NS_S" python3 "$TMP/server.py" $SRV_IP $PORT "$TMP/server.ready" &
pids="$pids $!"

# The notification socket systemd would listen on (Type=notify): it records
# every datagram with the sender's pid, as systemd checks NotifyAccess=main.
cat >"$TMP/notify.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
out = open(sys.argv[2], "a", buffering=1)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = 0
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = int.from_bytes(data[0:4], "little")
    for line in msg.decode(errors="replace").splitlines():
        out.write("%d %s\n" % (pid, line))
EOF
python3 "$TMP/notify.py" "$TMP/notify.sock" "$TMP/notify.log" &
pids="$pids $!"
wait_for 10 test -S "$TMP/notify.sock" && wait_for 10 test -e "$TMP/server.ready" || {
	fail service_helpers "the test server or the notify socket did not start"
	exit 0
}

# What the unit gives the process: its uid, CAP_NET_RAW alone (ambient and
# bounding), no_new_privs, UMask=0027 (set by the callers), a clean environment
# (plus, for an ASan build, no leak check: LeakSanitizer cannot run under the
# strace below; the rest of make asan checks leaks).
UNIT_EXEC=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 ASAN_OPTIONS=detect_leaks=0
	LOGS_DIRECTORY="$logdir" RUNTIME_DIRECTORY="$rundir" STATE_DIRECTORY="$statedir"
	NOTIFY_SOCKET="$TMP/notify.sock" WATCHDOG_USEC=2000000
	setpriv --reuid=$SVC_UID --regid=$SVC_UID --clear-groups
	--inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw --bounding-set=-all,+net_raw
	--no-new-privs)

# --- ExecStartPre ---------------------------------------------------------------
# The unit's command line is split into words, as systemd does.
# shellcheck disable=SC2086
# -t may warn (the interface lives in the test's namespace, not here); no errors.
out=$(umask 0027 && "${UNIT_EXEC[@]}" $pre_cmd 2>"$TMP/pre.err")
rc=$?
if [ $rc -eq 0 ] && [ "$out" = "configuration OK" ] && [ ! -s "$TMP/notify.log" ] &&
    ! grep -v ': warning: ' "$TMP/pre.err" >/dev/null; then
	pass service_execstartpre
else
	fail service_execstartpre "rc $rc, notify: $(head -n 1 "$TMP/notify.log" 2>/dev/null) output: $(printf '%s' "$out" | head -n 3 | tr '\n' '|') $(head -n 3 "$TMP/pre.err" | tr '\n' '|')"
fi

# --- ExecStart, under strace ------------------------------------------------------
# shellcheck disable=SC2086
(umask 0027 && exec ip netns exec "$NS_S" strace -f -qq -e trace=all -e signal=none -s 256 \
    -o "$TMP/strace.out" "${UNIT_EXEC[@]}" $start_cmd >"$TMP/daemon.out" 2>"$TMP/daemon.err") &
strace_pid=$!
pids="$pids $strace_pid"

ready_pid() { awk '$2 == "READY=1" { print $1; exit }' "$TMP/notify.log"; }
if ! wait_for 15 grep -q '^[0-9]* READY=1$' "$TMP/notify.log"; then
	fail service_ready "no READY=1 within 15 s: $(tail -n 3 "$TMP/daemon.err" | tr '\n' '|')"
	exit 0
fi
dpid=$(ready_pid)
if [ "$(stat -c %u /proc/$dpid 2>/dev/null)" = $SVC_UID ] &&
    grep -q "^Name:[[:space:]]*tcpstated" /proc/$dpid/status; then
	pass "service_ready (READY=1 from pid $dpid)"
else
	fail service_ready "READY=1 came from pid $dpid, which is not tcpstated as uid $SVC_UID"
fi
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$dpid/status)
capbnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/$dpid/status)
nnp=$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/$dpid/status)
if [ "$capeff" = 0000000000002000 ] && [ "$capbnd" = 0000000000002000 ] && [ "$nnp" = 1 ]; then
	pass service_only_cap_net_raw
else
	fail service_only_cap_net_raw "CapEff $capeff CapBnd $capbnd NoNewPrivs $nnp"
fi

# --- traffic ----------------------------------------------------------------------
cat >"$TMP/client.py" <<'EOF'
import socket, sys, time
ip, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = socket.create_connection((ip, port), timeout=5) if what != "refused" else socket.socket()
if what == "refused":
    try:
        c.connect((ip, port))
        sys.exit("connected to a port that should be closed")
    except ConnectionRefusedError:
        sys.exit(0)
c.sendall(what.encode() + b"\n")
if what == "close":
    c.recv(64)
    c.close()
    time.sleep(0.3)
elif what == "reset":
    try:
        c.recv(64)
    except ConnectionResetError:
        pass
    c.close()
else:
    c.recv(64)
    open(sys.argv[4], "w").close()
    time.sleep(3600)
EOF
cli() { ip netns exec "$NS_C" python3 "$TMP/client.py" "$@"; }
cli $SRV_IP $PORT close && cli $SRV_IP $PORT reset && cli $SRV_IP $CLOSED_PORT refused
rc=$?
ip netns exec "$NS_C" python3 "$TMP/client.py" $SRV_IP $PORT hold "$TMP/held" &
pids="$pids $!"
wait_for 10 test -e "$TMP/held"
if [ $rc -eq 0 ] && [ -e "$TMP/held" ]; then pass service_traffic; else fail service_traffic "client scenarios failed"; fi

# --- the journal ------------------------------------------------------------------
jq_() { journalctl --no-pager -o json "$@" 2>/dev/null; }
# has_entry PY_CONDITION JOURNALCTL_ARGS...: an entry e matching the condition.
has_entry() {
	local cond=$1
	shift
	jq_ "$@" | python3 -c '
import json, sys
ok = any(eval(sys.argv[1], {"e": json.loads(l)}) for l in sys.stdin if l.strip())
sys.exit(0 if ok else 1)' "$cond"
}

rst_cond='e.get("TCPSTATE_BY") == "server" and e.get("PRIORITY") == "4" and e.get("MESSAGE_ID") == "bba929eb9fdb44f2af8b84d1b4564fd8" and e.get("_UID") == "'$SVC_UID'" and e.get("TCPSTATE_CLIENT_IP") == "'$CLI_IP'"'
if wait_for 10 has_entry "$rst_cond" -t tcpstated TCPSTATE_EVENT=RST TCPSTATE_SERVER_PORT=$PORT; then
	pass service_journal_rst
else
	fail service_journal_rst "journalctl -t tcpstated TCPSTATE_EVENT=RST TCPSTATE_SERVER_PORT=$PORT: $(jq_ -t tcpstated | tail -n 3 | tr '\n' ' ' | cut -c1-400)"
fi
if has_entry 'e.get("_CAP_EFFECTIVE") == "2000"' -t tcpstated TCPSTATE_EVENT=RST; then
	pass service_journal_caps
else
	fail service_journal_caps "_CAP_EFFECTIVE of the sender is not 2000 (CAP_NET_RAW only)"
fi

# -p warning shows the abnormal closes and not the clean one; info has it.
kinds() {
	jq_ "$@" | python3 -c '
import json, sys
print(" ".join(sorted({"%s/%s" % (e.get("TCPSTATE_EVENT"), e.get("TCPSTATE_REASON", "-"))
    for e in map(json.loads, sys.stdin)})))'
}
warn=" $(kinds -p warning -t tcpstated) "
all=" $(kinds -t tcpstated) "
missing=""
for k in RST/- CLOSED/rst CLOSED/refused; do
	case $warn in *" $k "*) ;; *) missing="$missing $k" ;; esac
done
case $warn in *" CLOSED/fin "*) missing="$missing (CLOSED/fin is not a warning)" ;; esac
case $all in *" CLOSED/fin "*) ;; *) missing="$missing CLOSED/fin" ;; esac
if [ -z "$missing" ] && has_entry 'e.get("TCPSTATE_REASON") == "fin" and e.get("PRIORITY") == "6" and e.get("TCPSTATE_ABNORMAL") == "false"' \
    -t tcpstated TCPSTATE_EVENT=CLOSED; then
	pass service_journal_priorities
else
	fail service_journal_priorities "missing:${missing:- CLOSED/fin at priority 6}; -p warning gave:$warn; all:$all"
fi

# The catalog explains a record, with its fields filled in.
xout=$(journalctl --no-pager -x -t tcpstated TCPSTATE_EVENT=RST 2>&1)
if printf '%s\n' "$xout" | grep -q "Subject: TCP connection reset by the server: $CLI_IP port [0-9]* to $SRV_IP port $PORT" &&
    printf '%s\n' "$xout" | grep -q 'Documentation: man:tcpstated-records(7) man:tcpstated(8)'; then
	pass service_journal_catalog
else
	fail service_journal_catalog "journalctl -x: $(printf '%s' "$xout" | head -n 6 | tr '\n' '|')"
fi

# --- the metrics and the live view, under the unit's identity ----------------------
if wait_for 5 test -s "$rundir/tcpstated.prom" &&
    [ "$(stat -c '%u %a' "$rundir/tcpstated.prom")" = "$SVC_UID 644" ] &&
    wait_for 5 sh -c "PYTHONPATH=tests python3 -c '
import sys, promcheck
s, p = promcheck.parse(open(sys.argv[1]).read())
sys.exit(0 if not p and promcheck.value(s, \"tcpstated_connections_closed_total\", port=\"$CLOSED_PORT\", reason=\"refused\") == 1 else 1)' '$rundir/tcpstated.prom'"; then
	pass service_metrics_file
else
	fail service_metrics_file "$(ls -ln "$rundir" 2>&1 | tr '\n' '|') $(grep -c '' "$rundir/tcpstated.prom" 2>&1) lines"
fi
# tcpstated --stats as the service's own user, finding the socket through RUNTIME_DIRECTORY.
out=$(env -i PATH=/usr/bin:/bin RUNTIME_DIRECTORY="$rundir" setpriv --reuid=$SVC_UID --regid=$SVC_UID \
    --clear-groups "$root/usr/sbin/tcpstated" --stats 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$(stat -c '%u %a' "$rundir/control")" = "$SVC_UID 600" ] &&
    printf '%s\n' "$out" | grep -q "^$CLOSED_PORT .* 1 " &&
    printf '%s\n' "$out" | grep -q "^tcpstated .*, capturing $VETH_S "; then
	pass service_live_view
else
	fail service_live_view "rc=$rc $(stat -c '%u %a' "$rundir/control" 2>&1) $(printf '%s' "$out" | head -n 3 | tr '\n' '|')"
fi

# --- reload and stop, as systemctl reload / stop would ------------------------------
kill -HUP "$dpid"
if wait_for 10 awk -v p="$dpid" '$1 == p && $2 == "RELOADING=1" { r = 1 } r && $1 == p && $2 == "READY=1" { ok = 1 } END { exit !ok }' "$TMP/notify.log" &&
    kill -0 "$dpid" 2>/dev/null; then
	pass service_reload
else
	fail service_reload "no RELOADING=1 then READY=1 after SIGHUP: $(tail -n 4 "$TMP/notify.log" | tr '\n' '|')"
fi
if wait_for 5 grep -q "^$dpid WATCHDOG=1" "$TMP/notify.log"; then
	pass service_watchdog
else
	fail service_watchdog "no WATCHDOG=1 within 5 s with WATCHDOG_USEC=2000000"
fi

kill -TERM "$dpid"
wait "$strace_pid"
rc=$?
if [ $rc -eq 0 ] && grep -q "^$dpid STOPPING=1" "$TMP/notify.log"; then
	pass service_stop
else
	fail service_stop "exit status $rc, STOPPING=1 $(grep -c "^$dpid STOPPING=1" "$TMP/notify.log")x: $(tail -n 3 "$TMP/daemon.err" | tr '\n' '|')"
fi
if wait_for 10 has_entry 'e.get("TCPSTATE_REASON") == "shutdown"' -t tcpstated TCPSTATE_EVENT=CLOSED; then
	pass service_journal_shutdown
else
	fail service_journal_shutdown "no CLOSED reason=shutdown for the held connection"
fi

# The file output wrote every event type to the LogsDirectory, as that uid, 0640.
missing=$(python3 -c '
import json, sys
seen = {json.loads(l)["event"] for l in open(sys.argv[1])}
print(" ".join(sorted({"SYN", "SYN_ACK", "ESTABLISHED", "FIN", "RST", "TIME_WAIT", "CLOSED"} - seen)))' \
    "$logdir/events.json" 2>&1)
fmode=$(stat -c '%u %a' "$logdir/events.json" 2>/dev/null)
if [ -n "$missing" ]; then
	fail service_file_output "not in events.json: $missing"
elif [ "$fmode" != "$SVC_UID 640" ]; then
	fail service_file_output "events.json owner and mode: $fmode, want $SVC_UID 640"
else
	pass service_file_output
fi

# --- what the sandbox would allow ---------------------------------------------------
# System calls of the daemon (after the exec of tcpstated) against the unit's
# SystemCallFilter; socket families against RestrictAddressFamilies; files
# opened for writing, created, renamed or removed against the writable dirs.
systemd-analyze syscall-filter >"$TMP/filters.txt" 2>/dev/null
python3 - "$TMP/strace.out" "$TMP/filters.txt" "$unit" "$logdir" "$rundir" "$statedir" >"$TMP/sandbox.out" 2>&1 <<'EOF'
import re, sys
trace, filters, unit, logdir, rundir, statedir = sys.argv[1:7]

groups, cur = {}, None
for line in open(filters):
    if line.startswith("@"):
        cur = line.strip()
        groups[cur] = set()
    elif cur and line.strip() and not line.strip().startswith("#"):
        groups[cur].add(line.strip())
def expand(names):
    out = set()
    for n in names:
        out |= expand(groups.get(n, ())) if n.startswith("@") else {n}
    return out

allowed, families = set(), set()
for line in open(unit):
    k, _, v = line.strip().partition("=")
    if k == "SystemCallFilter":
        if v.startswith("~"):
            allowed -= expand(v[1:].split())
        else:
            allowed |= expand(v.split())
    elif k == "RestrictAddressFamilies":
        families = set(v.split())

daemon_pids, used, bad_fam, bad_write = set(), set(), set(), set()
call = re.compile(r'^(\d+) +(?:<\.\.\. )?(\w+)(\(| resumed>)')
for line in open(trace):
    m = call.match(line)
    if not m:
        continue
    pid, name = m.group(1), m.group(2)
    if name == "execve" and "tcpstated" in line.split(",")[0] and "= 0" in line:
        daemon_pids.add(pid)
        continue
    if pid not in daemon_pids:
        continue
    used.add(name)
    if name == "socket":
        fam = re.search(r'socket\((AF_\w+)', line)
        if fam and fam.group(1) not in families:
            bad_fam.add(fam.group(1))
    path = re.search(r'"([^"]*)"', line)
    writes = (name in ("open", "openat", "creat") and re.search(r'O_WRONLY|O_RDWR|O_CREAT', line)) or \
        name in ("mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "truncate")
    if writes and path and "= -1" not in line:
        p = path.group(1)
        if not (p.startswith(logdir) or p.startswith(rundir) or p.startswith(statedir) or
                p.startswith("/run/") or p.startswith("/dev/null")):
            bad_write.add(p)

if not daemon_pids:
    print("no execve of tcpstated in the trace"); sys.exit(1)
denied = sorted(used - allowed)
msgs = []
if denied:
    msgs.append("system calls the unit's filter refuses: " + " ".join(denied))
if bad_fam:
    msgs.append("socket families the unit refuses: " + " ".join(sorted(bad_fam)))
if bad_write:
    msgs.append("writes outside Logs/Runtime/StateDirectory: " + " ".join(sorted(bad_write)))
print("; ".join(msgs) if msgs else "%d distinct system calls, all allowed" % len(used))
sys.exit(1 if msgs else 0)
EOF
if [ $? -eq 0 ]; then
	pass "service_sandbox_fits ($(cat "$TMP/sandbox.out"))"
else
	fail service_sandbox_fits "$(cat "$TMP/sandbox.out")"
fi
