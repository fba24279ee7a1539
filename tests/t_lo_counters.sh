#!/usr/bin/env bash
# t_lo_counters.sh - on lo the kernel counts every frame twice (sent and
# received) and libpcap drops the sent copy: --stats and the metrics show
# both counts, the kernel's twice the frames tcpstated received.
# Traffic: connections on the loopback of a namespace the test makes.
. "$(dirname "$0")/lib.sh"

require_root lo_counters ip python3 nsenter

DPID=""
# shellcheck disable=SC2086
trap 'netns_teardown $DPID' EXIT
netns_lo locnt || { skip lo_counters "cannot make a network namespace: $(head -n 1 "$TMP/setup.err")"; exit 0; }
cat >"$TMP/t.conf" <<EOF
capture: { interface = "lo"; ports = [ 7107 ]; };
metrics: { interval = 1; };
outputs: { journal: { enabled = false; }; syslog: { enabled = false; }; file: { enabled = false; }; };
EOF
nsa_daemon "$TMP/t.conf" --metrics "$TMP/metrics.prom" || { fail lo_counters_start "$(tail -n 3 "$TMP/diag")"; exit 0; }
nsenter --net=/run/netns/"$NSA" -- python3 -c "
import socket
l = socket.socket(); l.bind(('127.0.0.1', 7107)); l.listen(16)
for _ in range(10):
    c = socket.create_connection(('127.0.0.1', 7107)); a, _ = l.accept()
    c.sendall(b'ping'); a.recv(4); c.close(); a.close()
"
# capture_line: "packets frames" from the --stats capture line.
capture_line() {
	"$TCPSTATED" --stats -S "$TMP/control" |
		sed -n 's/^capture: \([0-9]*\) packets counted by the kernel, \([0-9]*\) received by tcpstated, .*/\1 \2/p'
}
twice() { read -r p f <<<"$(capture_line)"; [ -n "$f" ] && [ "$f" -ge 60 ] && [ "$p" = $((2 * f)) ]; }
if wait_for 5 twice; then
	pass lo_stats_kernel_twice_frames
else
	fail lo_stats_kernel_twice_frames "packets frames: $(capture_line)"
fi
m() { sed -n "s/^$1 //p" "$TMP/metrics.prom"; }
mtwice() { [ -n "$(m tcpstated_capture_frames_total)" ] && [ "$(m tcpstated_capture_frames_total)" -ge 60 ] &&
	[ "$(m tcpstated_capture_packets_total)" = $((2 * $(m tcpstated_capture_frames_total))) ]; }
if wait_for 5 mtwice; then
	pass lo_metrics_kernel_twice_frames
else
	fail lo_metrics_kernel_twice_frames "$(grep -E '^tcpstated_capture_(packets|frames)_total' "$TMP/metrics.prom" | tr '\n' ' ')"
fi
