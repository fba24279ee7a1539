#!/usr/bin/env bash
# t_fleet.sh - the fleet path with real parts: two hosts, each a network,
# mount and UTS namespace of its own (hostname fleet-a, fleet-b) running
# tcpstated with the syslog output (format kv) into its own syslog-ng, which
# forwards over TCP with RFC 5424 framing (syslog() destination) to a central
# syslog-ng in a third namespace (syslog() source) that parses the TCPSTATE
# fields with kv-parser and writes them as JSON Lines, one object a record.
#
#   fleet-a 10.234.1.1 --veth-- 10.234.1.2 central 10.234.2.2 --veth-- 10.234.2.1 fleet-b
#
# The central namespace also runs the service the hosts use (port 7100):
# the hosts' clients make real connections to it, each host's tcpstated
# watches that port on its veth and also writes its CLOSED records to a
# file, which is what was sent. Checks: the central file holds every CLOSED
# record of both hosts, each under its host's name, with its fields parsed;
# then, with traffic flowing, the central syslog-ng is stopped and started
# again, and not one record is lost.
#
# The local syslog-ng's destination has a reliable disk buffer
# (disk-buffer(reliable(yes))). Measured against the alternatives, with
# FLEET_BUFFER=journal (tcpstated writes to a journald of the host's own and
# the local syslog-ng reads the journal, its cursor in the persist file: the
# journal is the buffer) and FLEET_BUFFER=memory (syslog-ng's memory queue
# only), 340 records a run: across the central's restart none lost anything
# (disk 11 runs of 11, journal 11 of 11, memory 4 of 4). FLEET_LOCAL_RESTART=1
# also restarts host a's own syslog-ng while the central is away: then the
# journal still lost nothing (9 of 9), the disk buffer lost 1 or 2 records in
# 10 runs of 12 (datagrams sent to /dev/log while that syslog-ng was going or
# gone, which it never read: the syslog(3) hop has no acknowledgement) and
# memory lost 7 in each of 2 runs (its queue, too).
#
# No traffic leaves the namespaces: 10.234.0.0/16 exists only inside them.
. "$(dirname "$0")/lib.sh"

require_root fleet ip python3 nsenter unshare syslog-ng
mode=${FLEET_BUFFER:-disk}
JOURNALD=/lib/systemd/systemd-journald
if [ "$mode" = journal ] && [ ! -x "$JOURNALD" ]; then
	skip fleet "$JOURNALD is not installed (Debian systemd)"
	exit 0
fi

NSA=tfa$$ NSB=tfb$$ NSC=tfc$$
PORT=7100
# Every process the test starts leaves its pid in a *.pid file under $TMP;
# only those are killed.
fleet_teardown() {
	local f
	for f in "$TMP"/*/*.pid "$TMP"/*.pid; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	for f in "$TMP"/*/*.pid "$TMP"/*.pid; do
		[ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	for ns in "$NSA" "$NSB" "$NSC"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
trap fleet_teardown EXIT

# hostnet NS VETH_HOST VETH_CENTRAL NET: a host namespace joined to the
# central one by a veth pair, 10.234.NET.1 on the host, .2 on the central.
hostnet() {
	ip netns add "$1" && ip -n "$1" link set lo up &&
	    ip link add "$2" netns "$1" type veth peer name "$3" netns "$NSC" &&
	    ip -n "$1" addr add "10.234.$4.1/24" dev "$2" && ip -n "$NSC" addr add "10.234.$4.2/24" dev "$3" &&
	    ip -n "$1" link set "$2" up && ip -n "$NSC" link set "$3" up
}
if ! { ip netns add "$NSC" && ip -n "$NSC" link set lo up && hostnet "$NSA" tfva$$ tfca$$ 1 &&
    hostnet "$NSB" tfvb$$ tfcb$$ 2; } 2>"$TMP/setup.err"; then
	skip fleet "cannot set up namespaces and veths: $(head -n 1 "$TMP/setup.err")"
	exit 0
fi

# --- the central syslog-ng ----------------------------------------------------
C=$TMP/central
mkdir -p "$C"
# In journal mode the hosts forward the TCPSTATE_* fields as JSON.
parser=kv-parser
[ "$mode" = journal ] && parser=json-parser
cat >"$C/syslog-ng.conf" <<EOF
@version: 3.38
options { keep-hostname(yes); chain-hostnames(no); use-dns(no); stats-freq(0); };
source s_fleet { syslog(ip("0.0.0.0") port(601) transport("tcp")); };
parser p_tcpstate { $parser(prefix(".tcpstate.")); };
destination d_fleet { file("$C/fleet.json"
  template("\$(format-json host=\${HOST} program=\${PROGRAM} --key .tcpstate.* --shift 10)\n")); };
log { source(s_fleet); parser(p_tcpstate); destination(d_fleet); };
EOF
central_listening() { nsenter --net=/run/netns/"$NSC" -- ss -Htln "sport = :601" | grep -q LISTEN; }
# central_start: the central syslog-ng, until it listens.
central_start() {
	nsenter --net=/run/netns/"$NSC" -- syslog-ng -F --no-caps -f "$C/syslog-ng.conf" \
	    -R "$C/persist" -p "$C/syslog-ng.pid" -c "$C/ctl" >>"$C/syslog-ng.out" 2>&1 &
	wait_for 5 central_listening
}
# central_stop: SIGTERM, until it is gone.
central_stop() {
	local pid
	pid=$(cat "$C/syslog-ng.pid")
	kill -TERM "$pid"
	wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
}
if ! syslog-ng --syntax-only -f "$C/syslog-ng.conf" >"$C/syntax.out" 2>&1; then
	fail fleet_central_config "$(tr '\n' ' ' <"$C/syntax.out")"
	exit 1
fi
if ! central_start; then
	fail fleet_central_start "$(tr '\n' ' ' <"$C/syslog-ng.out")"
	exit 1
fi

# --- the service on the central namespace ---------------------------------
cat >"$TMP/server.py" <<'EOF'
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.listen(128)
def serve(c):
    while c.recv(4096):
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
nsenter --net=/run/netns/"$NSC" -- python3 "$TMP/server.py" $PORT 2>"$TMP/server.err" &
echo $! >"$TMP/server.pid"

# --- the hosts ----------------------------------------------------------------
# The host's own namespaces: its hostname, a /dev/log of its own (an overlay
# on /dev whose log entry points at its syslog-ng), in journal mode a journald
# of its own on private /run/systemd, /run/log and /var/log/journal; then its
# syslog-ng and its tcpstated.
cat >"$TMP/host.sh" <<'EOF'
name=$1 H=$2 mode=$3 tcpstated=$4 journald=$5
hostname "$name" || exit 1
mount -t tmpfs -o mode=0755 fleet "$H/dev" && mkdir "$H/dev/up" "$H/dev/work" &&
    mount -t overlay -o "lowerdir=/dev,upperdir=$H/dev/up,workdir=$H/dev/work" fleet /dev &&
    ln -sfn "$H/log.sock" /dev/log || exit 1
if [ "$mode" = journal ]; then
	for d in /run/systemd /run/log /var/log/journal; do
		mkdir -p "$d" && mount -t tmpfs -o mode=0755 fleet "$d" || exit 1
	done
	"$journald" >"$H/journald.out" 2>&1 &
	echo $! >"$H/journald.pid"
	for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
fi
syslog-ng -F --no-caps -f "$H/syslog-ng.conf" -R "$H/persist" -p "$H/syslog-ng.pid" -c "$H/ctl" \
    >"$H/syslog-ng.out" 2>&1 &
for _ in $(seq 100); do [ -S "$H/log.sock" ] || [ "$mode" = journal ] && [ -s "$H/syslog-ng.pid" ] && break; sleep 0.05; done
"$tcpstated" -f -c "$H/tcpstated.conf" -S "$H/control" -p 7100 >"$H/tcpstated.out" 2>"$H/tcpstated.err" &
echo $! >"$H/tcpstated.pid"
wait
EOF

# host_conf DIR VETH CENTRAL_IP: tcpstated's and syslog-ng's configurations.
host_conf() {
	local H=$1 journal=false syslog=true source buffer
	mkdir -p "$H/dev" "$H/buffer"
	source="unix-dgram(\"$H/log.sock\")"
	buffer="
  disk-buffer(reliable(yes) dir(\"$H/buffer\") disk-buf-size(1048576) mem-buf-size(65536))"
	[ "$mode" = memory ] && buffer=""
	if [ "$mode" = journal ]; then
		journal=true syslog=false
		source='systemd-journal(prefix(".journald."))'
	fi
	cat >"$H/tcpstated.conf" <<EOF2
events = [ "CLOSED" ];
capture: { interface = "$2"; immediate = true; };
daemon: { stats_interval = 0; };
outputs: {
	journal: { enabled = $journal; events = [ "CLOSED" ]; rate_limit = 0; };
	syslog: { enabled = $syslog; events = [ "CLOSED" ]; rate_limit = 0; format = "kv"; };
	file: { enabled = true; path = "$H/sent.json"; events = [ "CLOSED" ]; };
};
EOF2
	if [ "$mode" = journal ]; then
		# The journal entry's MESSAGE is text: forward the TCPSTATE_*
		# fields as a JSON message instead.
		cat >"$H/syslog-ng.conf" <<EOF2
@version: 3.38
options { use-dns(no); stats-freq(0); time-reopen(1); };
source s_local { $source; };
filter f_tcpstated { program("tcpstated"); };
destination d_central { syslog("$3" transport("tcp") port(601)
  template("\$(format-json --key .journald.TCPSTATE_* --shift 19)")); };
log { source(s_local); filter(f_tcpstated); destination(d_central); flags(flow-control); };
EOF2
	else
		cat >"$H/syslog-ng.conf" <<EOF2
@version: 3.38
options { use-dns(no); stats-freq(0); time-reopen(1); };
source s_local { $source; };
filter f_tcpstated { program("tcpstated"); };
destination d_central { syslog("$3" transport("tcp") port(601)$buffer); };
log { source(s_local); filter(f_tcpstated); destination(d_central); flags(flow-control); };
EOF2
	fi
	syslog-ng --syntax-only -f "$H/syslog-ng.conf" >"$H/syntax.out" 2>&1
}

for h in a b; do
	H=$TMP/host-$h
	ns=$NSA veth=tfva$$ net=1
	[ $h = b ] && ns=$NSB veth=tfvb$$ net=2
	if ! host_conf "$H" "$veth" "10.234.$net.2"; then
		fail fleet_host_config "$(tr '\n' ' ' <"$H/syntax.out")"
		exit 1
	fi
	nsenter --net=/run/netns/"$ns" -- unshare -m -u --propagation private \
	    bash "$TMP/host.sh" "fleet-$h" "$H" "$mode" "$TCPSTATED" "$JOURNALD" 2>"$H/host.err" &
	echo $! >"$H/host.pid"
done
for h in a b; do
	if ! wait_for 10 grep -qs 'running as' "$TMP/host-$h/tcpstated.err"; then
		fail fleet_start "host $h: $(cat "$TMP/host-$h"/*.err "$TMP/host-$h"/*.out | tr '\n' ' ')"
		exit 1
	fi
done

# --- traffic ------------------------------------------------------------------
cat >"$TMP/client.py" <<'EOF2'
import socket, sys, time
addr, port, n, gap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
for i in range(n):
    c = socket.create_connection((addr, port), timeout=5)
    c.sendall(b'fleet %d\n' % i)
    c.close()
    time.sleep(gap)
EOF2
# traffic N GAP: N connections from each host, GAP seconds apart, both hosts at once.
traffic() {
	nsenter --net=/run/netns/"$NSA" -- python3 "$TMP/client.py" 10.234.1.2 $PORT "$1" "$2" 2>>"$TMP/client.err" &
	local pa=$!
	nsenter --net=/run/netns/"$NSB" -- python3 "$TMP/client.py" 10.234.2.2 $PORT "$1" "$2" 2>>"$TMP/client.err"
	wait $pa
}

# tally PHASE: the records sent (both hosts' files) against those the central
# file holds, by host and flow id; one line "sent N received N lost N
# duplicated N unparsed N" to $TMP/PHASE.tally, the lost ones after it.
tally() {
	python3 - "$TMP/host-a/sent.json" "$TMP/host-b/sent.json" "$C/fleet.json" >"$TMP/$1.tally" <<'EOF2'
import collections, json, sys
sent = set()
for host, path in (("fleet-a", sys.argv[1]), ("fleet-b", sys.argv[2])):
    for line in open(path):
        sent.add((host, json.loads(line)["flow"]))
got = collections.Counter()
unparsed = 0
net = {"fleet-a": "10.234.1.", "fleet-b": "10.234.2."}
for line in open(sys.argv[3]):
    r = {k.lower(): v for k, v in json.loads(line).items()}
    got[(r.get("host"), r.get("flow"))] += 1
    # Every field of the record parsed, and the client the host's own address.
    if (r.get("program") != "tcpstated" or r.get("event") != "CLOSED" or r.get("reason") != "fin" or
            r.get("conn_state") != "SF" or r.get("server_port") != "7100" or
            not r.get("client_ip", "").startswith(net.get(r.get("host"), "?")) or not r.get("history")):
        unparsed += 1
lost = sorted(sent - set(got))
print("sent %d received %d lost %d duplicated %d unparsed %d" % (
    len(sent), sum(got.values()), len(lost), sum(n - 1 for n in got.values() if n > 1), unparsed))
for h, f in lost:
    print(h, f)
EOF2
}
# delivered: every record sent is in the central file.
delivered() { tally wait && grep -q ' lost 0 ' "$TMP/wait.tally"; }

# local_restart HOST: stop the host's syslog-ng and start it again in the
# host's namespaces (those of its host.sh), until its socket is back.
local_restart() {
	local H=$TMP/host-$1 pid
	pid=$(cat "$H/syslog-ng.pid")
	kill -TERM "$pid"
	wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
	nsenter -t "$(cat "$H/host.pid")" -n -m -u -- syslog-ng -F --no-caps -f "$H/syslog-ng.conf" \
	    -R "$H/persist" -p "$H/syslog-ng.pid" -c "$H/ctl" >>"$H/syslog-ng.out" 2>&1 &
	wait_for 5 sh -c "[ -s '$H/syslog-ng.pid' ] && [ \"\$(cat '$H/syslog-ng.pid')\" != $pid ]"
}
# sent_all N: the hosts' files hold N records together.
sent_all() { [ "$(cat "$TMP"/host-?/sent.json | wc -l)" -ge "$1" ]; }

# --- every CLOSED record of both hosts, parsed, under its host's name --------
traffic 20 0.01
wait_for 10 sent_all 40
wait_for 10 delivered
tally steady
read -r _ sent _ received _ lost _ dup _ unparsed _ <"$TMP/steady.tally"
[ "$sent" = 40 ] && pass fleet_sent || fail fleet_sent "want 40 CLOSED records, the hosts wrote $sent"
[ "$lost" = 0 ] && [ "$dup" = 0 ] && pass fleet_delivered || fail fleet_delivered "$(head -n 3 "$TMP/steady.tally" | tr '\n' '|')"
[ "$unparsed" = 0 ] && [ "$received" -gt 0 ] && pass fleet_parsed_by_host ||
	fail fleet_parsed_by_host "$unparsed of $received records without their fields or host: $(head -n 2 "$C/fleet.json")"

# --- the central syslog-ng stopped and started with traffic flowing (and with
# FLEET_LOCAL_RESTART=1, host a's own syslog-ng too while the central is away).
traffic 150 0.02 &
tpid=$!
sleep 0.7
central_stop
[ "${FLEET_LOCAL_RESTART:-0}" = 1 ] && local_restart a
sleep 0.5
central_start || fail fleet_central_restart "$(tail -n 3 "$C/syslog-ng.out" | tr '\n' ' ')"
wait $tpid
wait_for 10 sent_all 340
wait_for 15 delivered
tally restart
read -r _ sent _ received _ lost _ dup _ unparsed _ <"$TMP/restart.tally"
[ "$sent" = 340 ] && pass fleet_restart_sent || fail fleet_restart_sent "want 340 CLOSED records, the hosts wrote $sent"
[ "$lost" = 0 ] && pass fleet_restart_lossless ||
	fail fleet_restart_lossless "$mode buffer: $(head -n 4 "$TMP/restart.tally" | tr '\n' '|')"
echo "fleet: $mode buffer, central restarted with traffic flowing: $(head -n 1 "$TMP/restart.tally")"
