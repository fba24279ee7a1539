#!/usr/bin/env bash
# t_logrotate.sh - one owner for the rotation of the event file. make install
# leaves the daemon's own rotation in charge (the logrotate snippet goes to
# the examples, not /etc/logrotate.d) and warns when an enabled snippet and
# max_size_mb both rotate. Then the other owner, as tcpstated.conf(5) tells
# it: max_size_mb = 0 and the installed snippet enabled. `logrotate -d`
# accepts it, and three real `logrotate -f` runs against a live daemon that
# captures connections in a network namespace lose no event and number the
# files one way: events.json, .1, then .2.gz, .3.gz (delaycompress).
. "$(dirname "$0")/lib.sh"

require_root logrotate ip python3 nsenter logrotate
[ -x "$TCPSTATED" ] || { fail logrotate "$TCPSTATED is not built: run make first"; exit 0; }

PORT=7311
BATCH=8 # connections between two rotations
root=$TMP/root
inst() { make -s --no-print-directory install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc BUILD="$BUILD" "$@"; }

# --- one owner by default ---------------------------------------------------
if ! inst >"$TMP/make.out" 2>&1; then
	fail logrotate_install "make install: $(tail -n 3 "$TMP/make.out" | tr '\n' ' ')"
	exit 0
fi
example=$root/usr/share/doc/tcpstated/examples/tcpstated.logrotate
conf=$root/etc/tcpstated/tcpstated.conf
size=$(sed -n 's/^[[:space:]]*max_size_mb[[:space:]]*=[[:space:]]*\([0-9]*\);.*/\1/p' "$conf")
if [ ! -e "$root/etc/logrotate.d/tcpstated" ] && [ -f "$example" ] && [ "${size:-0}" -gt 0 ] &&
    ! grep -q warning "$TMP/make.out"; then
	pass "logrotate_one_owner_by_default (the daemon, max_size_mb = $size; snippet only in the examples)"
else
	fail logrotate_one_owner_by_default "etc/logrotate.d/tcpstated: $(ls "$root/etc/logrotate.d" 2>&1 | tr '\n' ' ')example: $(ls "$example" 2>&1); max_size_mb = $size; $(cat "$TMP/make.out")"
fi

# An installation where both would rotate (an enabled snippet from an older
# install) gets a warning; the documented switch to logrotate silences it.
mkdir -p "$root/etc/logrotate.d"
cp "$example" "$root/etc/logrotate.d/tcpstated"
inst >"$TMP/make2.out" 2>&1
sed -i 's/^\([[:space:]]*\)max_size_mb = [0-9]*;/\1max_size_mb = 0;/' "$conf"
inst >"$TMP/make3.out" 2>&1
if grep -q 'warning: /etc/logrotate.d/tcpstated rotates the event file' "$TMP/make2.out" &&
    ! grep -q warning "$TMP/make3.out"; then
	pass logrotate_install_warns_two_owners
else
	fail logrotate_install_warns_two_owners "both rotating: '$(tr '\n' ' ' <"$TMP/make2.out")'; max_size_mb = 0: '$(tr '\n' ' ' <"$TMP/make3.out")'"
fi

# --- logrotate as the owner, against a live daemon ----------------------------
if ! netns_pair lrot 217; then
	fail logrotate_netns "$(cat "$TMP/setup.err")"
	exit 0
fi
trap 'netns_teardown $pids' EXIT
pids=""
logdir=$TMP/log
mkdir -p "$logdir"
chmod 0755 "$TMP"
# The site's config: logrotate owns the file (max_size_mb = 0); the capture
# on the veth, only the file output, in a scratch directory, no control socket.
conf=$TMP/tcpstated.conf
cat >"$conf" <<EOF
capture: { interface = "$VB"; ports = [ $PORT ]; };
daemon: { control = false; stats_interval = 0; };
outputs: {
	journal: { enabled = false; };
	file: { path = "$logdir/events.json"; max_size_mb = 0; };
};
EOF
if out=$("$root/usr/sbin/tcpstated" -t -c "$conf" 2>&1); then
	pass logrotate_conf_checks
else
	fail logrotate_conf_checks "$(printf '%s' "$out" | head -n 3 | tr '\n' '|')"
	exit 0
fi

cat >"$TMP/server.py" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
open(sys.argv[3], "w").close()
while True:
    c, _ = s.accept()
    c.recv(64)
    c.sendall(b"bye\n")
    c.recv(64)
    c.close()
EOF
nsenter --net=/run/netns/"$NSB" -- python3 "$TMP/server.py" "$B" $PORT "$TMP/server.ready" &
pids="$pids $!"
nsenter --net=/run/netns/"$NSB" -- "$root/usr/sbin/tcpstated" -f -c "$conf" 2>"$TMP/daemon.err" &
dpid=$!
pids="$pids $dpid"
# open_path: the daemon holds $logdir/events.json itself open (not a renamed one).
open_path() { [ "$(readlink "/proc/$dpid/fd/"* 2>/dev/null | grep -c "^$logdir/events.json$")" = 1 ]; }
if ! wait_for 10 test -e "$TMP/server.ready" || ! wait_for 10 open_path || ! netns_settle; then
	fail logrotate_daemon "the daemon or the server did not start: $(tail -n 3 "$TMP/daemon.err" | tr '\n' '|')"
	exit 0
fi
sleep 0.5 # the capture is open once the file is; give the filter a moment

# batch N: BATCH clean connections, then wait until the daemon logged every
# CLOSED record of them into events.json (the file it has open now).
closed_in() { grep -c '"event":"CLOSED"' "$1" 2>/dev/null; }
batch_logged() { [ "$(closed_in "$logdir/events.json")" = "$BATCH" ]; }
batch() {
	inA python3 -c "import socket, sys
for i in range($BATCH):
    c = socket.create_connection(('$B', $PORT), timeout=5)
    c.sendall(b'hi\n'); c.recv(64); c.close()" || return 1
	wait_for 10 batch_logged
}

lr=$TMP/logrotate.conf
sed -e "s|/var/log/tcpstated/|$logdir/|" \
    -e "s|^\([[:space:]]*\)systemctl kill .*USR1.*|\1kill -USR1 $dpid|" "$example" >"$lr"
dbg=$(logrotate -d -s "$TMP/lr.state" "$lr" 2>&1)
if printf '%s\n' "$dbg" | grep -q "considering log $logdir/events.json" &&
    ! printf '%s\n' "$dbg" | grep -qiE '^error|unknown option|bad '; then
	pass logrotate_debug_run
else
	fail logrotate_debug_run "$(printf '%s\n' "$dbg" | grep -iE 'error|unknown|bad|considering' | head -n 3 | tr '\n' '|')"
fi
grep -q "kill -USR1 $dpid" "$lr" || fail logrotate_postrotate "the example has no systemctl kill ... USR1 line to point at the test's daemon"

# Three rotations, each after a batch whose records are all written, each
# followed by the daemon reopening events.json on the postrotate's USR1.
ok=1
for r in 1 2 3; do
	if ! batch; then
		fail logrotate_rotation_$r "batch $r: $(closed_in "$logdir/events.json") CLOSED in events.json, want $BATCH"
		ok=0
		break
	fi
	if ! logrotate -f -s "$TMP/lr.state" "$lr" >"$TMP/lr$r.out" 2>&1; then
		fail logrotate_rotation_$r "logrotate -f: $(head -n 3 "$TMP/lr$r.out" | tr '\n' '|')"
		ok=0
		break
	fi
	if ! wait_for 10 open_path; then
		fail logrotate_rotation_$r "the daemon did not reopen events.json after the postrotate's USR1: $(readlink /proc/$dpid/fd/* | grep "$logdir" | tr '\n' ' ')"
		ok=0
		break
	fi
done
[ $ok = 1 ] && { batch || fail logrotate_last_batch "$(closed_in "$logdir/events.json") CLOSED in the new events.json, want $BATCH"; }
[ $ok = 1 ] && pass "logrotate_rotations (3 x logrotate -f, the daemon reopened each time)"
kill -TERM "$dpid"
wait "$dpid"
rc=$?
pids=${pids/ $dpid/}

# The numbering: logrotate's alone, no uncompressed .2 beside a .2.gz.
files=$(cd "$logdir" && ls | sort | tr '\n' ' ')
if [ "$files" = "events.json events.json.1 events.json.2.gz events.json.3.gz " ]; then
	pass logrotate_numbering
else
	fail logrotate_numbering "files: $files"
fi

# No event lost: the oldest file holds the first batch, each file one batch;
# every connection whole in one file (SYN ... CLOSED), time never going back,
# and as many records as the daemon says it wrote.
written=$(sed -n 's/.*output file: \([0-9]*\) written, [0-9]* filtered, [0-9]* suppressed, \([0-9]*\) dropped.*/\1 \2/p' "$TMP/daemon.err" | tail -n 1)
res=$(cd "$logdir" && python3 - "$BATCH" "$written" events.json.3.gz events.json.2.gz events.json.1 events.json <<'EOF'
import gzip, json, sys
batch, written = int(sys.argv[1]), sys.argv[2].split()
flows, last, n, bad = {}, "", 0, []
for path in sys.argv[3:]:
    data = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    if data and not data.endswith(b"\n"):
        bad.append(path + ": last line not whole")
    closed = 0
    for line in data.splitlines():
        r = json.loads(line)
        n += 1
        if r["ts"] < last:
            bad.append(path + ": time goes back at " + r["ts"])
        last = r["ts"]
        f = flows.setdefault(r["flow"], {"files": set(), "events": set()})
        f["files"].add(path)
        f["events"].add(r["event"])
        closed += r["event"] == "CLOSED"
    if closed != batch:
        bad.append("%s: %d CLOSED, want %d" % (path, closed, batch))
split = [k for k, f in flows.items() if len(f["files"]) > 1]
part = [k for k, f in flows.items() if not {"SYN", "SYN_ACK", "ESTABLISHED", "CLOSED"} <= f["events"]]
if split:
    bad.append("connections split over files: " + " ".join(split))
if part:
    bad.append("connections missing events: " + " ".join(part))
if len(flows) != 4 * batch:
    bad.append("%d connections, want %d" % (len(flows), 4 * batch))
if len(written) != 2 or int(written[0]) != n or written[1] != "0":
    bad.append("the daemon's count (written dropped): %s, records in the files: %d" % (written, n))
print("; ".join(bad) if bad else "%d records of %d connections in 4 files, as many as the daemon wrote" % (n, len(flows)))
sys.exit(1 if bad else 0)
EOF
)
if [ $? = 0 ] && [ "$rc" = 0 ]; then
	pass "logrotate_no_event_lost ($res)"
else
	fail logrotate_no_event_lost "daemon exit $rc; $res"
fi
