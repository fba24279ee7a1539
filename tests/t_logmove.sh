#!/usr/bin/env bash
# t_logmove.sh - the live daemon's log file moved away with no signal (an
# operator's mv, a logrotate whose postrotate failed): within about two
# seconds new events land in a new file at the configured path, the move is
# said in one line, and the old file and the new one hold every event.
# Traffic: connections on the loopback of a namespace the test makes.
. "$(dirname "$0")/lib.sh"

require_root logmove ip python3 nsenter

DPID=""
# shellcheck disable=SC2086
trap 'netns_teardown $DPID' EXIT
netns_lo logmv || { skip logmove "cannot make a network namespace: $(head -n 1 "$TMP/setup.err")"; exit 0; }
cat >"$TMP/t.conf" <<EOF
capture: { interface = "lo"; ports = [ 7106 ]; };
outputs: { journal: { enabled = false; }; syslog: { enabled = false; };
           file: { path = "$TMP/ev.json"; format = "json"; }; };
EOF
nsa_daemon "$TMP/t.conf" || { fail logmove_start "$(tail -n 3 "$TMP/diag")"; exit 0; }

# conns N: N connections to 127.0.0.1:7106, each opened and closed.
conns() {
	nsenter --net=/run/netns/"$NSA" -- python3 -c "
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('127.0.0.1', 7106)); l.listen(64)
for _ in range(int(sys.argv[1])):
    c = socket.create_connection(('127.0.0.1', 7106)); a, _ = l.accept(); c.close(); a.close()
" "$1"
}
syns() { cat "$@" 2>/dev/null | grep -c '"event":"SYN"'; }
# at_least N FILE...: the files hold N SYN records or more (for wait_for).
at_least() { local n=$1; shift; [ "$(syns "$@")" -ge "$n" ]; }

conns 20
wait_for 5 at_least 20 "$TMP/ev.json" || fail logmove_before "$(syns "$TMP/ev.json") SYNs of 20"
mv "$TMP/ev.json" "$TMP/ev.json.moved"
t0=$(date +%s%N)
# A connection every 0.1 s until new events land at the path again.
made=20 took=""
while [ $(($(date +%s%N) - t0)) -lt 3000000000 ]; do
	conns 1; made=$((made + 1))
	if at_least 1 "$TMP/ev.json"; then took=$((($(date +%s%N) - t0) / 1000000)); break; fi
	sleep 0.1
done
[ -n "$took" ] && [ "$took" -le 2500 ] && pass logmove_new_file_at_path ||
	fail logmove_new_file_at_path "after ${took:-more than 3000} ms: $(ls "$TMP" | tr '\n' ' ')"
conns 10; made=$((made + 10))
wait_for 5 at_least $made "$TMP/ev.json.moved" "$TMP/ev.json"
old=$(syns "$TMP/ev.json.moved") new=$(syns "$TMP/ev.json")
[ $((old + new)) = $made ] && [ "$old" -ge 20 ] && [ "$new" -ge 10 ] && pass logmove_no_event_lost ||
	fail logmove_no_event_lost "old $old + new $new SYNs, want $made"
said=$(grep -c "file output: $TMP/ev.json was moved or removed without a signal; reopened it" "$TMP/diag")
[ "$said" = 1 ] && pass logmove_said_once || fail logmove_said_once "$said lines: $(tail -n 3 "$TMP/diag" | tr '\n' '|')"
