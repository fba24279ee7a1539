#!/usr/bin/env bash
# t_interactive.sh - a run with -o or -r is interactive: it leaves the
# configured outputs (file, metrics, control socket) alone unless --outputs
# asks for them. A second daemon on the same control socket or log file
# refuses to start, naming the first. A log or metrics path that is not a
# regular file (a FIFO) is refused with one line, at start and on SIGUSR1,
# while the rest runs; and -t reports what the start would meet.
. "$(dirname "$0")/lib.sh"
require_root interactive ip nsenter mkfifo

SEED=$SHARED/fixtures/seed-handshake-close.pcap
D=$TMP/d
mkdir -p "$D/log" "$D/metrics" "$D/run"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; netns_teardown' EXIT

# conf FILE LOG METRICS CONTROL: a config with the file output at LOG, the
# metrics file at METRICS (written every second) and the journal off.
conf() {
	cat >"$1" <<EOF2
outputs: { journal: { enabled = false; }; file: { path = "$2"; }; };
metrics: { path = "$3"; interval = 1; };
daemon: { control = $4; stats_interval = 0; };
EOF2
}

# --- -r: standard output only, unless --outputs ---------------------------------
conf "$D/r.conf" "$D/log/r.json" "$D/metrics/r.prom" true
"$TCPSTATED" -r "$SEED" -c "$D/r.conf" >"$D/r.out" 2>"$D/r.err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$D/r.out" ] && [ ! -e "$D/log/r.json" ] && [ ! -e "$D/metrics/r.prom" ]; then
	pass replay_leaves_outputs_alone
else
	fail replay_leaves_outputs_alone "rc=$rc $(ls "$D/log" "$D/metrics" | tr '\n' ' ')"
fi
"$TCPSTATED" -r "$SEED" -c "$D/r.conf" --outputs >"$D/r2.out" 2>"$D/r2.err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$D/r.out" "$D/r2.out" && cmp -s "$D/r.out" "$D/log/r.json" &&
    grep -q '^tcpstated_connections_opened_total' "$D/metrics/r.prom"; then
	pass replay_outputs_writes_them
else
	fail replay_outputs_writes_them "rc=$rc $(ls "$D/log" "$D/metrics" | tr '\n' ' ') $(head -n 2 "$D/r2.err")"
fi

if ! netns_pair ti 236; then
	fail interactive_setup "$(cat "$TMP/setup.err")"
	exit 0
fi
# start NAME ARGS...: a daemon in NSA capturing on VA; its pid in PID, stderr in $D/NAME.err.
start() {
	local name=$1; shift
	: >"$D/$name.err"
	nsenter --net=/run/netns/"$NSA" -- env RUNTIME_DIRECTORY="$D/run" \
	    "$TCPSTATED" -f -i "$VA" "$@" >"$D/$name.out" 2>"$D/$name.err" &
	PID=$!
	PIDS="$PIDS $PID"
	wait_for 10 grep -q 'capturing on' "$D/$name.err"
}
stop() { kill -TERM "$1"; wait "$1"; }

# --- live with -o: nothing written but standard output --------------------------
conf "$D/l.conf" "$D/log/l.json" "$D/metrics/l.prom" true
start live_o -c "$D/l.conf" -o text
sleep 1.5
alive=0; kill -0 $PID 2>/dev/null && alive=1
stop $PID
if [ $alive = 1 ] && [ ! -e "$D/log/l.json" ] && [ ! -e "$D/metrics/l.prom" ] && [ ! -e "$D/run/control" ]; then
	pass live_o_leaves_outputs_alone
else
	fail live_o_leaves_outputs_alone "alive=$alive $(ls "$D/log" "$D/metrics" "$D/run" | tr '\n' ' ')"
fi
start live_outputs -c "$D/l.conf" -o text --outputs
wait_for 5 test -S "$D/run/control"; sock=$?
wait_for 5 test -s "$D/metrics/l.prom"; prom=$?
stop $PID
if [ $sock = 0 ] && [ $prom = 0 ] && [ -e "$D/log/l.json" ]; then
	pass live_o_outputs_writes_them
else
	fail live_o_outputs_writes_them "sock=$sock prom=$prom $(ls "$D/log" | tr '\n' ' ')"
fi

# --- a second daemon on the same log file refuses, naming the first --------------
conf "$D/s.conf" "$D/log/s.json" "" false
start first -c "$D/s.conf"
FIRST=$PID
wait_for 5 test -e "$D/log/s.json"
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -f -i "$VA" -c "$D/s.conf" >/dev/null 2>"$D/second.err"
rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c '' "$D/second.err")" = 1 ] &&
    grep -qx "tcpstated: another tcpstated (pid $FIRST) is running with the log file $D/log/s.json" "$D/second.err" &&
    kill -0 $FIRST; then
	pass second_daemon_same_log_file_refused
else
	fail second_daemon_same_log_file_refused "rc=$rc $(head -n 2 "$D/second.err" | tr '\n' '|')"
fi
stop $FIRST

# --- a FIFO at the log path: one line, the rest runs; the same on SIGUSR1 ---------
mkfifo "$D/log/fifo.json"
conf "$D/f.conf" "$D/log/fifo.json" "$D/metrics/f.prom" false
start fifo -c "$D/f.conf"
wait_for 5 test -s "$D/metrics/f.prom"; prom=$?
if [ $prom = 0 ] && kill -0 $PID &&
    [ "$(grep -c 'not a regular file' "$D/fifo.err")" = 1 ] &&
    grep -q "$D/log/fifo.json is not a regular file; running without the file output" "$D/fifo.err"; then
	pass fifo_log_path_refused_at_start
else
	fail fifo_log_path_refused_at_start "prom=$prom $(tail -n 3 "$D/fifo.err" | tr '\n' '|')"
fi
stop $PID
conf "$D/u.conf" "$D/log/u.json" "" false
start usr1 -c "$D/u.conf"
wait_for 5 test -e "$D/log/u.json"
rm "$D/log/u.json"; mkfifo "$D/log/u.json"
kill -USR1 $PID
if wait_for 5 grep -q "$D/log/u.json is not a regular file" "$D/usr1.err" && sleep 0.5 && kill -0 $PID; then
	pass fifo_log_path_refused_on_sigusr1
else
	fail fifo_log_path_refused_on_sigusr1 "$(tail -n 3 "$D/usr1.err" | tr '\n' '|')"
fi
stop $PID

# --- a FIFO at the metrics path: refused, and the daemon does not hang -------------
mkfifo "$D/metrics/m.prom"
conf "$D/m.conf" "$D/log/m.json" "$D/metrics/m.prom" false
start metrics_fifo -c "$D/m.conf"
if wait_for 5 grep -q "metrics: $D/metrics/m.prom is not a regular file" "$D/metrics_fifo.err" &&
    wait_for 5 test -s "$D/log/m.json" -o -e "$D/log/m.json" && kill -0 $PID; then
	pass fifo_metrics_path_refused
else
	fail fifo_metrics_path_refused "$(tail -n 3 "$D/metrics_fifo.err" | tr '\n' '|')"
fi
stop $PID

# --- -t: what the start would meet ---------------------------------------------------
t_check() { # NAME RC PATTERN ARGS...: -t exits RC with a line matching PATTERN on stderr
	local name=$1 want=$2 pat=$3; shift 3
	"$TCPSTATED" -t "$@" >"$D/$name.out" 2>"$D/$name.err"
	local rc=$?
	if [ $rc -eq "$want" ] && grep -q -- "$pat" "$D/$name.err"; then
		pass "$name"
	else
		fail "$name" "rc=$rc $(head -n 3 "$D/$name.err" | tr '\n' '|')"
	fi
}
t_check check_fifo_log_path 1 "outputs.file.path: $D/log/fifo.json is not a regular file" -c "$D/f.conf"
t_check check_fifo_metrics_path 1 "metrics.path: $D/metrics/m.prom is not a regular file" -c "$D/m.conf"
ln -s /etc/passwd "$D/log/link.json"
conf "$D/k.conf" "$D/log/link.json" "" false
t_check check_symlink_log_path 1 "outputs.file.path: $D/log/link.json is a symbolic link" -c "$D/k.conf"
conf "$D/n.conf" "$D/log/new/deeper/n.json" "$D/nodir/n.prom" false
t_check check_missing_metrics_dir 1 "metrics.path: cannot write in the directory $D/nodir" -c "$D/n.conf"
t_check check_missing_log_dir_warns 1 "warning: outputs.file.path: the directory $D/log/new/deeper does not exist; tcpstated will create it" -c "$D/n.conf"
conf "$D/w.conf" "$D/log/w.json" "" false
t_check check_missing_interface_warns 0 "warning: capture.interface: no interface \"nosuch0\" now" -c "$D/w.conf" -i nosuch0
printf 'daemon: { user = "nobody"; };\noutputs: { file: { path = "%s"; }; };\n' "$D/log/x.json" >"$D/nobody.conf"
t_check check_nobody_warns 0 'warning: daemon.user: "nobody" (uid 65534) is shared' -c "$D/nobody.conf"
