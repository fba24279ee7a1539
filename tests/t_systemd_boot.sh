#!/usr/bin/env bash
# t_systemd_boot.sh - the installed service under a real systemd as PID 1.
#
# A minimal Debian tree (debootstrap from the mirror apt already uses, cached
# in $TCPSTATED_TEST_CACHE, default /var/cache/tcpstated-test, and rebuilt
# only when its package list changes) gets `make install DESTDIR=...` and is
# booted with `systemd-nspawn -b`. Then what only a real PID 1 shows:
# ExecStartPre (-t), READY=1, the status line, the sandbox (DynamicUser, only
# CAP_NET_RAW) still capturing, journal fields and the catalog, the metrics
# file readable by another user, the control socket, reload with a good, a
# broken and a changed config (other ports), restart with connections open,
# journalctl -u tcpstated -p warning, logrotate as the documented owner of
# the event file (a real postrotate USR1 through systemctl kill), the
# watchdog fed and firing, stop, and a start refused by a broken config.
#
# The container has a private network: its own lo and nothing else, and
# every connection of the test stays on it.
#
# How nspawn boots on a host whose PID 1 is not systemd (no machined, no
# system bus): --register=no --keep-unit, driven with nsenter into the
# container's PID 1; what must run under the container's real restrictions
# runs as a unit (systemd-run). nspawn's own seccomp filter blocks bpf(), which
# IPAddressDeny= needs: --system-call-filter=bpf. With --keep-unit nspawn
# makes supervisor/ and payload/ cgroups under its caller's: it is started
# in a cgroup of this run's own, removed at the end, so that parallel runs
# do not meet. journalctl 252 with --after-cursor and matches skips an entry:
# read after the cursor without matches and filter here (jsel below).
#
# SKIP (not FAIL) when this host cannot do it: no root, no debootstrap or
# systemd-nspawn, no mirror, or a container that does not boot.
. "$(dirname "$0")/lib.sh"

require_root systemd_boot debootstrap systemd-nspawn nsenter flock
[ -x "$TCPSTATED" ] || { fail systemd_boot "$TCPSTATED is not built: run make first"; exit 0; }
# A sanitizer build (make asan) wants its runtime and shadow memory, which
# the unit's sandbox (MemoryDenyWriteExecute, the syscall filter, the
# container's libraries) does not give it: the plain build is the one the
# unit runs, and make test boots that.
if nm "$TCPSTATED" 2>/dev/null | grep -q __asan_init; then
	skip systemd_boot "a sanitizer build does not run in the unit's sandbox; make test checks the plain build"
	exit 0
fi

CACHE=${TCPSTATED_TEST_CACHE:-/var/cache/tcpstated-test}
PORT=8080        # the web server the service watches
CLOSED_PORT=8081 # watched, nothing listens: refused
NEW_PORT=8082    # the port a reload switches to
MACHINE=tcpsd$$
ROOT=$CACHE/root-$$
CGDIR=tcpstated-test-$$
NSPAWN_PID=""
CPID=""

cleanup() {
	local i d
	# SDBOOT_JOURNAL=FILE keeps the container's journal, for a failure.
	[ -n "${SDBOOT_JOURNAL:-}" ] && [ -d "/proc/$CPID" ] && in_ct journalctl -b --no-pager -o verbose >"$SDBOOT_JOURNAL" 2>&1
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -TERM "$NSPAWN_PID" # nspawn asks the container's PID 1 to halt
		for i in $(seq 1 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$NSPAWN_PID" 2>/dev/null
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	for d in /sys/fs/cgroup/systemd/$CGDIR /sys/fs/cgroup/unified/$CGDIR /sys/fs/cgroup/$CGDIR; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf --one-file-system "$ROOT" "$TMP"
}
trap cleanup EXIT
trap 'exit 143' TERM INT # and so through cleanup

# --- the cached base tree -----------------------------------------------------
. /etc/os-release
SUITE=${VERSION_CODENAME:-bookworm}
MIRROR=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
    awk -v s="$SUITE" '$2 == s { print $1; exit }')
if [ -z "$MIRROR" ]; then
	skip systemd_boot "no Debian mirror for $SUITE in apt's sources"
	exit 0
fi
# A booting systemd, python3 for servers and clients, logrotate, and the
# package of every library the built binary links.
PKGS="dbus iproute2 logrotate procps python3 systemd systemd-sysv"
for lib in $(ldd "$TCPSTATED" | awk '$3 ~ /^\// { print $3 }'); do
	PKGS="$PKGS $(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1)"
done
PKGS=$(printf '%s\n' $PKGS | sort -u | paste -sd, -)
BASE=$CACHE/$SUITE-base
MARK="$SUITE $MIRROR $PKGS"
mkdir -p "$CACHE"
t0=$SECONDS
# One run at a time builds the base; the others wait for it.
exec 9>"$CACHE/lock"
flock 9
if [ "$(cat "$BASE/.tcpstated-base" 2>/dev/null)" != "$MARK" ]; then
	rm -rf --one-file-system "$BASE" "$BASE.new"
	# tests/run.sh gives a script 600 s: leave the rest of them to the checks.
	if ! timeout 420 debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$BASE.new" "$MIRROR" \
	    >"$CACHE/debootstrap.log" 2>&1; then
		skip systemd_boot "debootstrap $SUITE from $MIRROR failed: $(tail -n 2 "$CACHE/debootstrap.log" | tr '\n' ' ')"
		umount -R "$BASE.new/proc" "$BASE.new/sys" 2>/dev/null # debootstrap's, if it was cut short
		rm -rf --one-file-system "$BASE.new"
		exit 0
	fi
	: >"$BASE.new/etc/machine-id" # a new one at each boot
	echo "$MARK" >"$BASE.new/.tcpstated-base"
	mv "$BASE.new" "$BASE"
	how="debootstrap"
else
	how="cached"
fi
cp -a "$BASE" "$ROOT"
exec 9>&- # unlocks; nspawn need not inherit it
echo "$MACHINE" >"$ROOT/etc/hostname"
echo "base tree ($how): $((SECONDS - t0)) s" >&2

# --- install, as an admin would -------------------------------------------------
if ! make -s --no-print-directory install DESTDIR="$ROOT" PREFIX=/usr SYSCONFDIR=/etc BUILD="$BUILD" \
    >"$TMP/make.out" 2>&1; then
	fail sdboot_install "make install: $(tail -n 3 "$TMP/make.out" | tr '\n' ' ')"
	exit 0
fi
missing=$(chroot "$ROOT" ldd /usr/sbin/tcpstated | awk '/not found/ { print $1 }')
if [ -n "$missing" ]; then
	fail sdboot_install "libraries missing in the container: $missing"
	exit 0
fi
CONF=$ROOT/etc/tcpstated/tcpstated.conf
# conf_set KEY VALUE: one setting of the installed config, in place.
conf_set() {
	sed -i "s|^\([[:space:]]*\)$1 = .*;|\1$1 = $2;|" "$CONF" && grep -qF "$1 = $2;" "$CONF"
}
conf_set interface '"lo"' && conf_set ports "[ $PORT, $CLOSED_PORT ]" &&
    sed -i 's|^\([[:space:]]*\)path = "";|\1path = "/run/tcpstated/tcpstated.prom";|' "$CONF" &&
    conf_set interval 1 && grep -q 'path = "/run/tcpstated/tcpstated.prom";' "$CONF" ||
    { fail sdboot_install "could not set interface, ports and metrics in the installed config"; exit 0; }
cp "$CONF" "$TMP/good.conf"
chroot "$ROOT" journalctl --update-catalog
chroot "$ROOT" systemctl enable tcpstated.service >/dev/null 2>&1
mkdir -p "$ROOT/usr/local/lib/tcpstated-test"
# jsel.py [--count] [--unit=U] [FIELD=VALUE...]: journal entries (journalctl
# -o json on stdin) with those fields, as "IDENT[PID]: MESSAGE" or counted.
cat >"$ROOT/usr/local/lib/tcpstated-test/jsel.py" <<'EOF'
import json, sys
count, unit, want = False, None, []
for a in sys.argv[1:]:
    if a == "--count":
        count = True
    elif a.startswith("--unit="):
        unit = a[7:]
    else:
        want.append(a.split("=", 1))
n = 0
for line in sys.stdin:
    e = json.loads(line)
    if unit and unit not in (e.get("_SYSTEMD_UNIT"), e.get("UNIT")):
        continue
    if all(e.get(k) == v for k, v in want):
        n += 1
        if not count:
            print("%s[%s]: %s" % (e.get("SYSLOG_IDENTIFIER"), e.get("_PID", ""), e.get("MESSAGE")))
if count:
    print(n)
EOF
# server.py PORT: answers every line on 127.0.0.1:PORT with "ok", closes
# after the client did (a clean close, the client first).
cat >"$ROOT/usr/local/lib/tcpstated-test/server.py" <<'EOF'
import socket, sys, threading
def serve(c):
    while c.recv(64):
        c.sendall(b"ok\n")
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
EOF
pass sdboot_install

# --- boot -------------------------------------------------------------------------
# nspawn in a cgroup of its own (see the header), bounded in time.
(
	for d in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
		[ -f "$d/cgroup.procs" ] && mkdir -p "$d/$CGDIR" && echo "$BASHPID" >"$d/$CGDIR/cgroup.procs"
	done
	[ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir -p "/sys/fs/cgroup/$CGDIR" &&
	    echo "$BASHPID" >"/sys/fs/cgroup/$CGDIR/cgroup.procs"
	exec timeout 900 systemd-nspawn -D "$ROOT" -M "$MACHINE" -b --private-network --register=no \
	    --keep-unit --console=read-only --system-call-filter=bpf
) </dev/null >"$TMP/console.log" 2>&1 &
TPID=$!
t0=$SECONDS
for i in $(seq 1 100); do # timeout -> systemd-nspawn -> the container's systemd
	NSPAWN_PID=$(pgrep -P "$TPID" -x systemd-nspawn | head -n 1)
	[ -n "$NSPAWN_PID" ] && CPID=$(pgrep -P "$NSPAWN_PID" | head -n 1)
	[ -n "$CPID" ] && [ "$(cat "/proc/$CPID/comm" 2>/dev/null)" = systemd ] && break
	kill -0 "$TPID" 2>/dev/null || break
	CPID=""
	sleep 0.2
done
CGNS=""
[ -n "$CPID" ] && [ "$(readlink "/proc/$CPID/ns/cgroup")" != "$(readlink /proc/self/ns/cgroup)" ] && CGNS=-C
# in_ct CMD...: run in the container (all of its PID 1's namespaces), with a
# clean environment and a timeout (T seconds, default 30).
in_ct() {
	timeout "${T:-30}" nsenter -t "$CPID" -m -u -i -n -p $CGNS -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
# systemctl answers once PID 1 listens on its private socket, a moment after it started.
state=""
while [ -n "$CPID" ] && [ $((SECONDS - t0)) -lt 120 ]; do
	state=$(T=120 in_ct systemctl is-system-running --wait 2>&1)
	case $state in running | degraded) break ;; esac
	sleep 0.5
done
if [ "$state" != running ] && [ "$state" != degraded ]; then
	skip systemd_boot "the container did not boot (state '$state'): $(tail -n 4 "$TMP/console.log" | tr '\n' ' ')"
	exit 0
fi
pass "sdboot_boot ($(in_ct systemctl --version | head -n 1 | cut -d' ' -f1-2) as PID 1, '$state', in $((SECONDS - t0)) s)"

# until_ok SECONDS COMMAND...: retry until the command succeeds, for at most
# SECONDS of wall-clock time (lib.sh's wait_for counts tries, and a try here
# can take seconds: a hung daemon makes --flows wait for its timeout).
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}
cursor() { in_ct journalctl -q -n 1 --show-cursor --no-pager -o cat | sed -n 's/^-- cursor: //p'; }
# jafter CURSOR ARGS...: jsel.py over the journal after CURSOR.
jafter() {
	local c=$1
	shift
	in_ct journalctl --no-pager -o json --after-cursor="$c" | in_ct python3 /usr/local/lib/tcpstated-test/jsel.py "$@"
}
prop() { in_ct systemctl show -p "$1" --value tcpstated; }
# connect PORT [N]: N (default 1) connections to 127.0.0.1:PORT, each sending
# a request and reading the answer (refused counts as done). Prints the outcomes.
connect() {
	in_ct python3 -c "import socket, sys
out = []
for i in range(int(sys.argv[2])):
    try:
        c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
        c.sendall(b'hello\n'); out.append('ok' if c.recv(64) else 'empty'); c.close()
    except ConnectionRefusedError:
        out.append('refused')
print(' '.join(out))" "$1" "${2:-1}"
}
# closed_count CURSOR PORT REASON: CLOSED records of the unit since CURSOR.
closed_count() {
	jafter "$1" --count --unit=tcpstated.service TCPSTATE_EVENT=CLOSED TCPSTATE_SERVER_PORT="$2" TCPSTATE_REASON="$3"
}
closed_at_least() { [ "$(closed_count "$1" "$2" "$3")" -ge "$4" ]; }

# --- start: ExecStartPre, READY=1, status, sandbox -------------------------------------
in_ct systemctl stop tcpstated >/dev/null 2>&1 # it came up at boot; start it under watch
C=$(cursor)
out=$(T=60 in_ct systemctl start tcpstated 2>&1)
rc=$?
J=$(jafter "$C" --unit=tcpstated.service)
if prop ExecStartPre | grep -q 'status=0' && printf '%s\n' "$J" | grep -q 'configuration OK'; then
	pass sdboot_execstartpre
else
	fail sdboot_execstartpre "$(prop ExecStartPre) $(printf '%s' "$J" | tail -n 3 | tr '\n' '|')"
fi
if [ "$rc" = 0 ] && [ "$(prop ActiveState)/$(prop SubState)" = active/running ] &&
    printf '%s\n' "$J" | grep -q 'Started tcpstated.service'; then
	pass sdboot_ready_notify
else
	fail sdboot_ready_notify "start rc $rc: $out; $(prop ActiveState)/$(prop SubState)"
fi
MAINPID=$(prop MainPID)
sline=$(in_ct systemctl status tcpstated --no-pager 2>&1 | sed -n 's/^ *Status: //p')
if printf '%s' "$sline" | grep -q 'lo'; then
	pass "sdboot_status_line (Status: $(printf '%s' "$sline" | cut -c1-100))"
else
	fail sdboot_status_line "no Status: line naming the interface: '$sline'"
fi
st=$(in_ct cat "/proc/$MAINPID/status")
field() { printf '%s\n' "$st" | awk -v f="$1:" '$1 == f { print $2 }'; }
uid=$(field Uid)
if [ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] && [ "$(field CapEff)" = 0000000000002000 ] &&
    [ "$(field CapBnd)" = 0000000000002000 ] && [ "$(field NoNewPrivs)" = 1 ] && [ "$(field Seccomp)" = 2 ]; then
	pass "sdboot_sandbox (dynamic uid $uid, only CAP_NET_RAW, no_new_privs, seccomp)"
else
	fail sdboot_sandbox "uid $uid CapEff $(field CapEff) CapBnd $(field CapBnd) NoNewPrivs $(field NoNewPrivs) Seccomp $(field Seccomp)"
fi

# --- capture under the sandbox ------------------------------------------------------
in_ct systemd-run -q --unit=sdboot-srv python3 /usr/local/lib/tcpstated-test/server.py $PORT
server_up() { [ "$(connect "$1")" = ok ]; }
until_ok 10 server_up $PORT
sleep 1 # that probe is a connection of its own: count from after it
C=$(cursor)
res="$(connect $PORT 3) / $(connect $CLOSED_PORT)"
if [ "$res" = "ok ok ok / refused" ] && until_ok 10 closed_at_least "$C" $PORT fin 3 &&
    until_ok 5 closed_at_least "$C" $CLOSED_PORT refused 1; then
	pass "sdboot_capture (3 CLOSED fin on :$PORT, 1 CLOSED refused on :$CLOSED_PORT)"
else
	fail sdboot_capture "clients: $res; CLOSED fin $(closed_count "$C" $PORT fin), refused $(closed_count "$C" $CLOSED_PORT refused)"
fi

# --- journal fields, catalog, -p warning ------------------------------------------------
fields=$(in_ct journalctl -b --no-pager -o json -u tcpstated TCPSTATE_EVENT=CLOSED | in_ct python3 -c '
import json, sys
need = {"MESSAGE_ID", "TCPSTATE_REASON", "TCPSTATE_FLOW", "TCPSTATE_CLIENT_IP", "TCPSTATE_CLIENT_PORT",
        "TCPSTATE_SERVER_IP", "TCPSTATE_SERVER_PORT", "TCPSTATE_CLOSED_BY", "TCPSTATE_DURATION",
        "TCPSTATE_LIFETIME",
        "TCPSTATE_CONN_STATE", "TCPSTATE_HISTORY"}
recs = [json.loads(l) for l in sys.stdin]
miss = sorted({k for r in recs for k in need - set(r)})
print("%d records%s" % (len(recs), ", missing " + " ".join(miss) if miss else ""))
sys.exit(0 if recs and not miss else 1)')
if [ $? = 0 ]; then pass "sdboot_journal_fields ($fields)"; else fail sdboot_journal_fields "$fields"; fi
x=$(in_ct journalctl --no-pager -x -u tcpstated TCPSTATE_REASON=refused -n 1)
if printf '%s\n' "$x" | grep -q 'Subject: .*refused' && printf '%s\n' "$x" | grep -q 'man:tcpstated(8)'; then
	pass sdboot_catalog
else
	fail sdboot_catalog "journalctl -x: $(printf '%s' "$x" | head -n 4 | tr '\n' '|')"
fi
# The admin's first look: warnings of the unit show the refused connection,
# not the clean closes.
w=$(in_ct journalctl --no-pager -b -u tcpstated -p warning -o json)
wref=$(printf '%s\n' "$w" | in_ct python3 /usr/local/lib/tcpstated-test/jsel.py --count TCPSTATE_EVENT=CLOSED TCPSTATE_REASON=refused)
wfin=$(printf '%s\n' "$w" | in_ct python3 /usr/local/lib/tcpstated-test/jsel.py --count TCPSTATE_EVENT=CLOSED TCPSTATE_REASON=fin)
if [ "$wref" -ge 1 ] && [ "$wfin" = 0 ]; then
	pass "sdboot_journal_warning (journalctl -u tcpstated -p warning: $wref refused, no clean close)"
else
	fail sdboot_journal_warning "-p warning: $wref CLOSED refused, $wfin CLOSED fin (want >= 1 and 0)"
fi

# --- the metrics file, read by another user; the file output; the control socket ---------
prom=/run/tcpstated/tcpstated.prom
if until_ok 5 in_ct test -s $prom &&
    m=$(T=30 in_ct systemd-run -q --wait --pipe -p User=nobody -p Group=nogroup grep -c '^tcpstated_' $prom 2>&1) &&
    [ "$m" -gt 0 ] && r=$(T=30 in_ct systemd-run -q --wait --pipe -p User=nobody grep "^tcpstated_connections_closed_total{.*reason=\"refused\"" $prom 2>&1) &&
    [ -n "$r" ]; then
	pass "sdboot_metrics_other_user (nobody reads $m tcpstated_ samples, $(in_ct stat -c '%a' /run/tcpstated)/$(in_ct stat -c '%a' $prom))"
else
	fail sdboot_metrics_other_user "$(in_ct ls -la /run/tcpstated 2>&1 | tr '\n' '|') nobody: ${m:-} ${r:-}"
fi
if until_ok 5 in_ct grep -q '"reason":"refused"' /var/log/tcpstated/events.json &&
    [ "$(in_ct readlink /var/log/tcpstated)" = private/tcpstated ]; then
	pass "sdboot_file_output (/var/log/tcpstated -> private/tcpstated, $(in_ct stat -c '%a' /var/log/tcpstated/events.json))"
else
	fail sdboot_file_output "$(in_ct ls -la /var/log/tcpstated/ 2>&1 | tr '\n' '|')"
fi
s=$(in_ct tcpstated --stats 2>&1)
if [ $? = 0 ] && printf '%s\n' "$s" | grep -q "^$CLOSED_PORT "; then
	pass sdboot_control
else
	fail sdboot_control "tcpstated --stats: $(printf '%s' "$s" | head -n 3 | tr '\n' '|')"
fi

# --- reload: unchanged, broken, then other ports -----------------------------------------
C=$(cursor)
out=$(T=30 in_ct systemctl reload tcpstated 2>&1)
rc=$?
reloaded() { jafter "$C" --unit=tcpstated.service | grep -q 'configuration reloaded'; }
if [ $rc = 0 ] && [ "$(prop MainPID)" = "$MAINPID" ] && until_ok 5 reloaded; then
	pass sdboot_reload
else
	fail sdboot_reload "rc $rc $out; $(jafter "$C" --unit=tcpstated.service | tail -n 3 | tr '\n' '|')"
fi
conf_set snaplen 10 # out of range
out=$(T=30 in_ct systemctl reload tcpstated 2>&1)
rc=$?
if [ $rc != 0 ] && [ "$(prop MainPID)" = "$MAINPID" ] && [ "$(prop SubState)" = running ]; then
	pass "sdboot_reload_broken (refused by ExecReload's -t, rc $rc; still running)"
else
	fail sdboot_reload_broken "rc $rc, main PID $(prop MainPID) (was $MAINPID), $(prop SubState)"
fi
# A plain SIGHUP (no ExecReload check in front) with that file: the daemon
# itself keeps what it runs.
C=$(cursor)
in_ct systemctl kill -s HUP --kill-whom=main tcpstated
kept() { jafter "$C" --unit=tcpstated.service | grep -q 'keeping the running configuration'; }
if until_ok 5 kept && [ "$(prop MainPID)" = "$MAINPID" ] && [ "$(prop SubState)" = running ]; then
	pass sdboot_sighup_broken
else
	fail sdboot_sighup_broken "PID $(prop MainPID) $(prop SubState): $(jafter "$C" --unit=tcpstated.service | tail -n 3 | tr '\n' '|')"
fi
cp "$TMP/good.conf" "$CONF"
conf_set ports "[ $NEW_PORT ]"
C=$(cursor)
out=$(T=30 in_ct systemctl reload tcpstated 2>&1)
rc=$?
in_ct systemd-run -q --unit=sdboot-srv2 python3 /usr/local/lib/tcpstated-test/server.py $NEW_PORT
until_ok 10 server_up $NEW_PORT
res="$(connect $NEW_PORT) $(connect $PORT)"
sleep 1.5
if [ $rc = 0 ] && [ "$(prop MainPID)" = "$MAINPID" ] && [ "$res" = "ok ok" ] &&
    until_ok 5 closed_at_least "$C" $NEW_PORT fin 1 && [ "$(closed_count "$C" $PORT fin)" = 0 ]; then
	pass "sdboot_reload_ports (ports [ $PORT, $CLOSED_PORT ] -> [ $NEW_PORT ]: same PID, :$NEW_PORT logged, :$PORT no more)"
else
	fail sdboot_reload_ports "rc $rc, PID $(prop MainPID) (was $MAINPID), clients $res, CLOSED :$NEW_PORT $(closed_count "$C" $NEW_PORT fin), :$PORT $(closed_count "$C" $PORT fin)"
fi
cp "$TMP/good.conf" "$CONF"
T=30 in_ct systemctl reload tcpstated >/dev/null 2>&1

# --- the watchdog, fed: the service has run past WatchdogSec without a restart ------------
wd=$(prop WatchdogUSec) # "30s"
wsec=${wd%s}
since=$(prop ActiveEnterTimestampMonotonic)
now() { python3 -c 'import time; print(int(time.monotonic() * 1000000))'; } # the container's clock too
left=$(((since + ($wsec + 3) * 1000000 - $(now)) / 1000000))
[ "$left" -gt 0 ] && sleep "$left"
ran=$((($(now) - since) / 1000000))
if [ "$(prop MainPID)" = "$MAINPID" ] && [ "$(prop NRestarts)" = 0 ] && [ "$ran" -gt "$wsec" ] &&
    [ "$(prop WatchdogTimestampMonotonic)" -gt "$since" ]; then
	pass "sdboot_watchdog_fed (ran $ran s with WatchdogSec=$wd, same PID, NRestarts=0)"
else
	fail sdboot_watchdog_fed "ran $ran s, WatchdogSec=$wd, PID $(prop MainPID) (was $MAINPID), NRestarts $(prop NRestarts), last ping $(prop WatchdogTimestampMonotonic) (start $since)"
fi

# --- restart with connections open -----------------------------------------------------
# A client holding a connection open and talking every 0.2 s.
in_ct systemd-run -q --unit=sdboot-hold python3 -c "import socket, time
c = socket.create_connection(('127.0.0.1', $PORT))
while True:
    c.sendall(b'ping\n'); c.recv(64); time.sleep(0.2)"
held() { T=5 in_ct tcpstated --flows 2>/dev/null | grep -q ":$PORT .*ESTABLISHED"; }
until_ok 10 held
C=$(cursor)
out=$(T=60 in_ct systemctl restart tcpstated 2>&1)
rc=$?
pid2=$(prop MainPID)
if [ $rc = 0 ] && [ "$pid2" != "$MAINPID" ] && [ "$(prop SubState)" = running ] &&
    until_ok 5 closed_at_least "$C" $PORT shutdown 1 && until_ok 10 held; then
	pass "sdboot_restart_open_connections (the old instance closed the held connection as shutdown, the new one, PID $pid2, tracks it again)"
else
	fail sdboot_restart_open_connections "rc $rc $out; PID $MAINPID -> $pid2 $(prop SubState); shutdown records $(closed_count "$C" $PORT shutdown); --flows: $(in_ct tcpstated --flows 2>&1 | head -n 3 | tr '\n' '|')"
fi
MAINPID=$pid2

# --- logrotate as the owner of the event file ---------------------------------------------
# As tcpstated.conf(5) says: max_size_mb = 0, reload, the example snippet in
# /etc/logrotate.d. Then real rotations: the postrotate's systemctl kill
# makes the daemon reopen; nothing lost, one numbering.
conf_set max_size_mb 0
T=30 in_ct systemctl reload tcpstated >/dev/null 2>&1
in_ct cp /usr/share/doc/tcpstated/examples/tcpstated.logrotate /etc/logrotate.d/tcpstated
dbg=$(in_ct logrotate -d /etc/logrotate.conf 2>&1)
if printf '%s\n' "$dbg" | grep -q 'considering log /var/log/tcpstated/events.json' &&
    ! printf '%s\n' "$dbg" | grep -iE '^error' | grep -q tcpstated; then
	pass sdboot_logrotate_debug
else
	fail sdboot_logrotate_debug "$(printf '%s\n' "$dbg" | grep -iE 'error|tcpstated' | head -n 4 | tr '\n' '|')"
fi
reopened() { [ "$(in_ct ls -l "/proc/$MAINPID/fd" 2>/dev/null | grep -c 'tcpstated/events.json$')" = 1 ]; }
lr_ok=1
for r in 1 2; do
	C=$(cursor)
	connect $PORT 2 >/dev/null
	until_ok 10 closed_at_least "$C" $PORT fin 2
	sleep 1.5 # the file gets its records at least once a second
	if ! out=$(T=60 in_ct logrotate -f /etc/logrotate.d/tcpstated 2>&1) || ! until_ok 10 reopened; then
		lr_ok=0
		fail sdboot_logrotate_rotate "rotation $r: $out; the daemon's files: $(in_ct ls -l "/proc/$MAINPID/fd" 2>&1 | grep -o '/var/log.*' | tr '\n' ' ')"
		break
	fi
done
C=$(cursor)
connect $PORT 2 >/dev/null
until_ok 10 closed_at_least "$C" $PORT fin 2
sleep 1.5
[ $lr_ok = 1 ] && pass "sdboot_logrotate_rotate (2 x logrotate -f, systemctl kill USR1, the daemon reopened)"
files=$(in_ct ls /var/log/tcpstated/ | sort | tr '\n' ' ')
if [ "$files" = "events.json events.json.1 events.json.2.gz " ]; then
	pass sdboot_logrotate_numbering
else
	fail sdboot_logrotate_numbering "files: $files"
fi
# Every CLOSED the journal has, the files have too (and the other way round):
# the held connection's is still to come, at stop.
lost=$(in_ct sh -c 'journalctl -b -o json -u tcpstated TCPSTATE_EVENT=CLOSED |
    python3 -c "import json, sys; [print(json.loads(l)[\"TCPSTATE_FLOW\"], json.loads(l)[\"TCPSTATE_REASON\"]) for l in sys.stdin]" | sort >/tmp/j
    cd /var/log/tcpstated && { zcat events.json.2.gz; cat events.json.1 events.json; } |
    python3 -c "import json, sys; [print(r[\"flow\"], r[\"reason\"]) for r in map(json.loads, sys.stdin) if r[\"event\"] == \"CLOSED\"]" | sort >/tmp/f
    echo "$(wc -l </tmp/j) $(wc -l </tmp/f) $(diff /tmp/j /tmp/f | grep -c "^[<>]")"')
if [ "$(echo "$lost" | cut -d' ' -f3)" = 0 ] && [ "$(echo "$lost" | cut -d' ' -f1)" -gt 0 ]; then
	pass "sdboot_logrotate_no_event_lost ($(echo "$lost" | cut -d' ' -f1) CLOSED in the journal and in the 3 files alike)"
else
	fail sdboot_logrotate_no_event_lost "journal, files, differing (CLOSED records): $lost"
fi

# --- the watchdog, firing: a hung daemon is killed and restarted ---------------------------
C=$(cursor)
in_ct systemctl kill -s STOP --kill-whom=main tcpstated
restarted() { p=$(prop MainPID); [ "$p" != "$MAINPID" ] && [ "$p" != 0 ] && [ "$(prop SubState)" = running ]; }
if until_ok $(($wsec + 15)) restarted && jafter "$C" --unit=tcpstated.service | grep -q 'Watchdog timeout'; then
	pass "sdboot_watchdog_fires (SIGSTOP'd PID $MAINPID: watchdog timeout, restarted as $(prop MainPID))"
else
	fail sdboot_watchdog_fires "PID $(prop MainPID) $(prop SubState): $(jafter "$C" --unit=tcpstated.service | tail -n 3 | tr '\n' '|')"
fi
MAINPID=$(prop MainPID)

# --- stop with a connection open ---------------------------------------------------------
until_ok 10 held
C=$(cursor)
out=$(T=60 in_ct systemctl stop tcpstated 2>&1)
rc=$?
res="$(prop ActiveState) $(prop Result) $(prop ExecMainStatus)"
if [ $rc = 0 ] && [ "$res" = "inactive success 0" ] && until_ok 5 closed_at_least "$C" $PORT shutdown 1; then
	pass "sdboot_stop (clean exit, the held connection logged as shutdown)"
else
	fail sdboot_stop "rc $rc $out; $res; $(jafter "$C" --unit=tcpstated.service | tail -n 3 | tr '\n' '|')"
fi
in_ct systemctl stop sdboot-hold >/dev/null 2>&1

# --- a broken config refuses the start in ExecStartPre ------------------------------------
printf '\nthis is not libconfig\n' >>"$CONF"
C=$(cursor)
out=$(T=30 in_ct systemctl start tcpstated 2>&1)
rc=$?
J=$(jafter "$C" --unit=tcpstated.service)
if [ $rc != 0 ] && printf '%s\n' "$J" | grep -q 'Control process exited' && ! printf '%s\n' "$J" | grep -q 'Started tcpstated'; then
	pass sdboot_broken_start
else
	fail sdboot_broken_start "rc $rc: $(printf '%s' "$J" | tail -n 3 | tr '\n' '|')"
fi
in_ct systemctl stop tcpstated >/dev/null 2>&1
