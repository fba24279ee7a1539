#!/usr/bin/env bash
# t_tunnel.sh - a connection inside a real VXLAN overlay. Two network
# namespaces joined by a veth pair (the underlay, 10.232.0.0/24) each get a
# kernel VXLAN device, VNI 42 on UDP 4789 to the other's veth address, with
# the overlay 10.233.0.0/24 on it. tcpstated captures the underlay veth with
# ports = [ 7100 ], which the kernel filter cannot see inside VXLAN, while a
# real TCP connection runs over the overlay and another directly over the
# underlay: the overlay's CLOSED has the inner addresses and names the
# tunnel (type, the two VTEPs, the VNI); the direct one names none. A
# reload moving VXLAN to another port reopens the capture without it.
#
# No traffic leaves the namespaces: both subnets exist only inside them.
. "$(dirname "$0")/lib.sh"

require_root tunnel ip python3 nsenter

DPID="" SPID=""
# shellcheck disable=SC2086
trap 'netns_teardown $DPID $SPID' EXIT

OA=10.233.0.1 OB=10.233.0.2
# vxlan NS DEV REMOTE ADDR: the VXLAN device vx0 in NS, over DEV, to REMOTE.
vxlan() {
	ip -n "$1" link add vx0 type vxlan id 42 remote "$3" dstport 4789 dev "$2" &&
	    ip -n "$1" addr add "$4/24" dev vx0 && ip -n "$1" link set vx0 up
}
if ! { netns_pair vx 232 && vxlan "$NSA" "$VA" "$B" $OA && vxlan "$NSB" "$VB" "$A" $OB; } \
    2>>"$TMP/setup.err"; then
	skip tunnel "cannot set up namespaces and VXLAN: $(head -n 1 "$TMP/setup.err")"
	exit 0
fi
netns_settle || { fail tunnel_netns "$A cannot reach $B over the veth"; exit 0; }

cat >"$TMP/server.py" <<'EOF'
import sys, time, netserve
def answer(c):
    c.recv(100); c.sendall(b'pong')
    while c.recv(100):
        pass
    c.close()
netserve.serve('0.0.0.0', 7100, answer)
open(sys.argv[1], 'w').close()
while True:
    time.sleep(3600)
EOF
cat >"$TMP/client.py" <<'EOF'
import socket, sys
c = socket.create_connection((sys.argv[1], 7100), timeout=5)
c.sendall(b'ping'); c.recv(100)
c.shutdown(socket.SHUT_WR)
while c.recv(100):
    pass
c.close()
EOF
PYTHONPATH=$PWD/tests nsenter --net=/run/netns/"$NSB" -- python3 "$TMP/server.py" "$TMP/server.ready" \
    >"$TMP/server.log" 2>&1 &
SPID=$!

cat >"$TMP/t.conf" <<EOF
capture: { interface = "$VA"; ports = [ 7100 ]; };
daemon: { stats_interval = 0; };
outputs: { journal: { enabled = false; }; syslog: { enabled = false; }; file: { enabled = false; }; };
EOF
nsenter --net=/run/netns/"$NSA" -- "$TCPSTATED" -c "$TMP/t.conf" -o json \
    >"$TMP/events.json" 2>"$TMP/diag.err" &
DPID=$!
if ! wait_for 10 grep -q 'capturing on' "$TMP/diag.err" ||
    ! wait_for 5 test -f "$TMP/server.ready"; then
	fail tunnel_start "$(head -n 3 "$TMP/diag.err" "$TMP/server.log" | tr '\n' '|')"
	exit 0
fi
check tunnel_client_overlay inA timeout 10 python3 "$TMP/client.py" $OB
check tunnel_client_underlay inA timeout 10 python3 "$TMP/client.py" "$B"
# Both connections end in the client's TIME_WAIT: CLOSED comes at once.
wait_for 5 sh -c "[ \$(grep -c '\"event\":\"CLOSED\"' '$TMP/events.json') -ge 2 ]"
# A reload that moves VXLAN to 8472 reopens the capture with that port in
# the kernel filter instead of 4789: the overlay (on 4789) is no longer
# seen, the underlay still is.
sed -i 's/ports = \[ 7100 \];/ports = [ 7100 ]; tunnels: { vxlan = [ 8472 ]; };/' "$TMP/t.conf"
kill -HUP $DPID
wait_for 5 grep -q 'capture reopened on .*udp port 8472' "$TMP/diag.err"
check tunnel_reload_client_overlay inA timeout 10 python3 "$TMP/client.py" $OB
check tunnel_reload_client_underlay inA timeout 10 python3 "$TMP/client.py" "$B"
wait_for 5 sh -c "[ \$(grep -c '\"event\":\"CLOSED\"' '$TMP/events.json') -ge 3 ]"
sleep 0.5
kill -TERM $DPID
wait $DPID
rc=$?
DPID=""
[ $rc -eq 0 ] || fail tunnel_exit "exit status $rc: $(tail -n 2 "$TMP/diag.err" | tr '\n' '|')"

over=$(grep '"event":"CLOSED"' "$TMP/events.json" | grep "\"client_ip\":\"$OA\"")
if echo "$over" | grep -q "\"server_ip\":\"$OB\",\"server_port\":7100,\"tunnel\":\"vxlan\",\"tunnel_src_ip\":\"$A\",\"tunnel_dst_ip\":\"$B\",\"tunnel_id\":42," &&
    echo "$over" | grep -q '"reason":"fin"'; then
	pass tunnel_closed_names_vxlan
else
	fail tunnel_closed_names_vxlan "overlay CLOSED: ${over:-none}; all: $(grep -c . "$TMP/events.json") records"
fi
under=$(grep '"event":"CLOSED"' "$TMP/events.json" | grep "\"client_ip\":\"$A\"")
if echo "$under" | grep -q '"reason":"fin"' && ! echo "$under" | grep -q '"tunnel"'; then
	pass tunnel_direct_names_none
else
	fail tunnel_direct_names_none "underlay CLOSED: ${under:-none}"
fi
c_over=$(grep '"event":"CLOSED"' "$TMP/events.json" | grep -c "\"client_ip\":\"$OA\"")
c_under=$(grep '"event":"CLOSED"' "$TMP/events.json" | grep -c "\"client_ip\":\"$A\"")
if grep -q 'capture reopened on .*udp port 8472' "$TMP/diag.err" &&
    ! grep -q 'capture reopened on .*udp port 4789' "$TMP/diag.err" &&
    [ "$c_over" = 1 ] && [ "$c_under" = 2 ]; then
	pass tunnel_reload_moves_vxlan
else
	fail tunnel_reload_moves_vxlan "CLOSED overlay $c_over (want 1), underlay $c_under (want 2); $(grep -i 'reload\|reopen' "$TMP/diag.err" | tr '\n' '|')"
fi
# Every record of the overlay's connection names the tunnel, none of the other's.
n=$(grep -c "\"client_ip\":\"$OA\"" "$TMP/events.json")
t=$(grep "\"client_ip\":\"$OA\"" "$TMP/events.json" | grep -c '"tunnel":"vxlan"')
if [ "$n" -gt 1 ] && [ "$n" = "$t" ]; then
	pass tunnel_every_record
else
	fail tunnel_every_record "$t of $n overlay records name the tunnel"
fi
