#!/usr/bin/env bash
# t_replay.sh - the offline mode (-r) in its three output forms, its
# determinism, and the capture filter applied to a file: the port filter
# must also match 802.1Q and QinQ tagged frames and IPv6.
# (The exact events of the seed capture are t_golden's business.)
. "$(dirname "$0")/lib.sh"

SEED=$SHARED/fixtures/seed-handshake-close.pcap
: >"$TMP/empty.conf"
# -q: the summary on stderr is t_summary's; here stderr must stay empty of warnings.
R() { "$TCPSTATED" -q -c "$TMP/empty.conf" "$@"; }

# --- json (the default) ------------------------------------------------------
R -r "$SEED" >"$TMP/seed.json" 2>"$TMP/seed.err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$TMP/seed.err" ] && python3 - "$TMP/seed.json" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
closed = [r for r in recs if r["event"] == "CLOSED"]
assert len(closed) == 1, closed
c = closed[0]
assert c["reason"] == "fin" and c["closed_by"] == "server", c
assert c["server_state"] == "TIME_WAIT" and c["client_bytes"] == 3 and c["server_bytes"] == 492, c
assert len({r["flow"] for r in recs}) == 1
assert [r["ts"] for r in recs] == sorted(r["ts"] for r in recs)
EOF
then
	pass replay_json_default
else
	fail replay_json_default "rc=$rc $(head -c 300 "$TMP/seed.err")"
fi

# Same file, same events, same flow ids: replay is deterministic.
R -r "$SEED" -o json >"$TMP/seed2.json" 2>/dev/null
same_file replay_deterministic "$TMP/seed.json" "$TMP/seed2.json"

# --- text --------------------------------------------------------------------
R -r "$SEED" -o text >"$TMP/seed.txt" 2>"$TMP/seed.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '' "$TMP/seed.txt")" = "$(grep -c '' "$TMP/seed.json")" ] &&
    grep -q ' CLOSED .*reason=fin closed_by=server' "$TMP/seed.txt" && ! grep -q '^{' "$TMP/seed.txt"; then
	pass replay_text
else
	fail replay_text "rc=$rc $(tail -n 2 "$TMP/seed.txt" | tr '\n' '|')"
fi

# --- ladder ------------------------------------------------------------------
R -r "$SEED" -o ladder >"$TMP/seed.ladder" 2>"$TMP/seed.err"
rc=$?
arrows=$(grep -c '  client .* server   client=' "$TMP/seed.ladder")
right=$(grep -c '──▶ server' "$TMP/seed.ladder")
left=$(grep -c 'client ◀──' "$TMP/seed.ladder")
if [ $rc -eq 0 ] && [ "$arrows" = 10 ] && [ "$right" = 5 ] && [ "$left" = 5 ] &&
    head -n 1 "$TMP/seed.ladder" | grep -q 'client 192.168.42.108:45714  server 192.168.42.109:8000' &&
    grep -q '+0.000000  client ──\[S\] seq=0 ack=0 len=0─*▶ server   client=SYN_SENT' "$TMP/seed.ladder" &&
    grep -q 'client ◀──\[F.\] seq=493 ack=4 len=0─* server   client=[A-Z_]* *server=FIN_WAIT_1$' "$TMP/seed.ladder" &&
    grep -q '^  CLOSED reason=fin .*closed_by=server .*client=CLOSED server=TIME_WAIT$' "$TMP/seed.ladder" &&
    ! grep -q '^{' "$TMP/seed.ladder"; then
	pass replay_ladder
else
	fail replay_ladder "rc=$rc arrows=$arrows right=$right left=$left $(head -n 3 "$TMP/seed.ladder" | tr '\n' '|')"
fi

# The last arrow (the ACK that completes the close) comes after CLOSED from
# the tracker and must still be in the diagram, before the summary.
if tail -n 3 "$TMP/seed.ladder" | head -n 1 | grep -q 'client ◀──\[.\] seq=494 ack=5 len=0'; then
	pass replay_ladder_last_segment_before_summary
else
	fail replay_ladder_last_segment_before_summary "$(tail -n 3 "$TMP/seed.ladder" | tr '\n' '|')"
fi

# --- the port filter on a file, with VLAN tags and IPv6 ----------------------
# The seed capture re-written: untagged, with one 802.1Q tag, with QinQ
# (802.1ad + 802.1Q), and as IPv6; each frame copy is a separate connection
# (different client port) so that each variant is counted on its own.
python3 - "$SEED" "$TMP/variants.pcap" <<'EOF'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
hdr, off, frames = data[:24], 24, []
while off < len(data):
    ts_s, ts_u, incl, orig = struct.unpack('<IIII', data[off:off + 16])
    frames.append((ts_s, ts_u, data[off + 16:off + 16 + incl]))
    off += 16 + incl

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def variant(frame, kind, port):
    eth, ip = frame[:14], frame[14:]
    ihl = (ip[0] & 15) * 4
    tcp = bytearray(ip[ihl:])
    # Move the client port so that each variant is its own connection.
    sport, dport = struct.unpack('!HH', tcp[:4])
    if sport == 45714: tcp[0:2] = struct.pack('!H', port)
    if dport == 45714: tcp[2:4] = struct.pack('!H', port)
    if kind == 'v6':
        s6 = b'\x20\x01\x0d\xb8' + b'\0' * 11 + ip[15:16]
        d6 = b'\x20\x01\x0d\xb8' + b'\0' * 11 + ip[19:20]
        tcp[16:18] = b'\0\0'
        pseudo = s6 + d6 + struct.pack('!IxxxB', len(tcp), 6)
        tcp[16:18] = struct.pack('!H', csum(pseudo + bytes(tcp)))
        return eth[:12] + b'\x86\xdd' + struct.pack('!IHBB', 0x60000000, len(tcp), 6, 64) + s6 + d6 + bytes(tcp)
    body = ip[:ihl] + bytes(tcp)
    if kind == 'plain':
        return eth + body
    if kind == 'vlan':
        return eth[:12] + struct.pack('!HH', 0x8100, 100) + eth[12:] + body
    if kind == 'qinq':
        return eth[:12] + struct.pack('!HHHH', 0x88a8, 200, 0x8100, 100) + eth[12:] + body

out = bytearray(hdr)
for i, kind in enumerate(['plain', 'vlan', 'qinq', 'v6']):
    for ts_s, ts_u, fr in frames:
        f = variant(fr, kind, 50000 + i)
        out += struct.pack('<IIII', ts_s + i * 100, ts_u, len(f), len(f)) + f
open(dst, 'wb').write(out)
EOF
count_closed() { grep -c '"event":"CLOSED"' "$1"; }

R -r "$TMP/variants.pcap" -o json >"$TMP/all.json" 2>"$TMP/all.err"
R -r "$TMP/variants.pcap" -p 8000 >"$TMP/p8000.json" 2>>"$TMP/all.err"
R -r "$TMP/variants.pcap" -p 8000,443 >"$TMP/p8000b.json" 2>>"$TMP/all.err"
R -r "$TMP/variants.pcap" -p 9999 >"$TMP/p9999.json" 2>>"$TMP/all.err"
all=$(count_closed "$TMP/all.json") p8000=$(count_closed "$TMP/p8000.json")
p8000b=$(count_closed "$TMP/p8000b.json") p9999=$(count_closed "$TMP/p9999.json")
if [ "$all" = 4 ] && [ "$p8000" = 4 ] && [ "$p8000b" = 4 ] && [ "$p9999" = 0 ] &&
    grep -q '"client_ip":"2001:db8::6c"' "$TMP/p8000.json" && [ ! -s "$TMP/all.err" ]; then
	pass replay_port_filter_vlan_qinq_ipv6
else
	fail replay_port_filter_vlan_qinq_ipv6 "CLOSED records: no filter $all, -p 8000 $p8000, -p 8000,443 $p8000b, -p 9999 $p9999 (want 4 4 4 0) $(head -c 200 "$TMP/all.err")"
fi

# A raw -F expression is used as given: without the vlan keyword it sees
# only the untagged IPv4 and IPv6 connections.
R -r "$TMP/variants.pcap" -F 'tcp port 8000' >"$TMP/F.json" 2>&1
if [ "$(count_closed "$TMP/F.json")" = 2 ]; then
	pass replay_raw_filter_as_given
else
	fail replay_raw_filter_as_given "$(count_closed "$TMP/F.json") CLOSED records, want 2"
fi

# The port filter and tunnels: the filter built from -p lets every tunnel's
# packets through (the kernel cannot see inside them) and decode applies
# the ports to the connection inside. Each of gencases' tunnel cases has
# one connection to port 80 (two in the two-VNI case): -p 80 keeps them,
# -p 81 drops them, counted as port_filtered; -F as given sees no tunnel.
"$PWD/$BUILD/tools/gencases" "$TMP/cases" >/dev/null
bad=""
for pcap in "$TMP"/cases/*-tunnel-*.pcap; do
	name=$(basename "$pcap" .pcap)
	want=1
	case $name in *two-vnis) want=2 ;; esac
	R -r "$pcap" -p 80 >"$TMP/t80.json" 2>/dev/null
	R -d -r "$pcap" -p 81 >"$TMP/t81.json" 2>"$TMP/t81.err"
	R -r "$pcap" -F 'tcp port 80' >"$TMP/tF.json" 2>/dev/null
	# 11 segments a connection, every one filtered by its inner ports
	if [ "$(count_closed "$TMP/t80.json")" != "$want" ] || [ -s "$TMP/t81.json" ] ||
	    ! grep -q "0 segments, port_filtered $((11 * want))\$" "$TMP/t81.err" ||
	    [ -s "$TMP/tF.json" ]; then
		bad="$bad $name($(count_closed "$TMP/t80.json")/$(grep -c '' "$TMP/t81.json")/$(grep -c '' "$TMP/tF.json"))"
	fi
done
if [ -z "$bad" ] && ls "$TMP"/cases/*-tunnel-*.pcap >/dev/null 2>&1; then
	pass replay_port_filter_tunnels
else
	fail replay_port_filter_tunnels "CLOSED with -p 80 / lines with -p 81 / lines with -F:$bad"
fi

# capture.tunnels moves VXLAN: with vxlan = [ 8472 ] the capture on 4789
# is plain UDP (not_tcp; with -p the kernel filter, which lets only the
# configured tunnel ports through, drops it), and the same capture moved to
# 8472 is decoded only then; naming 4789 again decodes the original.
printf 'capture: { tunnels: { vxlan = [ 8472 ]; }; };\n' >"$TMP/vx8472.conf"
printf 'capture: { tunnels: { vxlan = [ 4789 ]; }; };\n' >"$TMP/vx4789.conf"
vx=$(ls "$TMP"/cases/*-tunnel-vxlan.pcap)
python3 - "$vx" "$TMP/vx-8472.pcap" <<'EOF'
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
off = 24
while off < len(data):
    caplen = struct.unpack_from('<I', data, off + 8)[0]
    f = off + 16
    if data[f + 12:f + 14] == b'\x08\x00' and data[f + 23] == 17:
        udp = f + 14 + (data[f + 14] & 15) * 4
        for p in (udp, udp + 2):  # the UDP checksum is 0: nothing to fix
            if data[p:p + 2] == struct.pack('!H', 4789):
                data[p:p + 2] = struct.pack('!H', 8472)
    off = f + caplen
open(sys.argv[2], 'wb').write(data)
EOF
vxc() { # CONF FILE [ARGS]: the CLOSED records and the decode line
	"$TCPSTATED" -q -d -c "$1" -r "$2" "${@:3}" 2>"$TMP/vx.err" | grep -c '"event":"CLOSED"'
	grep 'decode:' "$TMP/vx.err" | sed 's/.*decode: //'
}
got="$(vxc "$TMP/vx8472.conf" "$vx" -p 80) | $(vxc "$TMP/vx8472.conf" "$vx") |"
got="$got $(vxc "$TMP/vx8472.conf" "$TMP/vx-8472.pcap" -p 80) |"
got="$got $(vxc "$TMP/empty.conf" "$TMP/vx-8472.pcap") | $(vxc "$TMP/vx4789.conf" "$vx" -p 80)"
want="0 0 frames, 0 segments | 0 11 frames, 0 segments, not_tcp 11 | 1 11 frames, 11 segments |"
want="$want 0 11 frames, 0 segments, not_tcp 11 | 1 11 frames, 11 segments"
if [ "$(echo $got)" = "$want" ]; then
	pass replay_tunnel_ports_configured
else
	fail replay_tunnel_ports_configured "got '$(echo $got)', want '$want'"
fi

# The event list of the config applies to -r: only CLOSED.
printf 'events = [ "CLOSED" ];\n' >"$TMP/closed-only.conf"
"$TCPSTATED" -q -c "$TMP/closed-only.conf" -r "$SEED" >"$TMP/co.json" 2>&1
if [ "$(grep -c '' "$TMP/co.json")" = 1 ] && grep -q '"event":"CLOSED"' "$TMP/co.json"; then
	pass replay_config_event_list
else
	fail replay_config_event_list "$(head -n 3 "$TMP/co.json" | tr '\n' '|')"
fi

# Timeouts run on packet time: a lone SYN, then 40 s later (in the file) an
# unrelated packet: the first connection ends syn_timeout at SYN + 30 s.
python3 - "$TMP/syn-timeout.pcap" <<'EOF'
import struct, sys
def frame(sport, dport, flags):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, 1000, 0, 0x50, flags, 1024, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])) + tcp
    return b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, fr in ((1700000000, frame(40000, 80, 0x02)), (1700000040, frame(40001, 80, 0x02))):
        f.write(struct.pack('<IIII', ts, 0, len(fr), len(fr)) + fr)
EOF
R -r "$TMP/syn-timeout.pcap" >"$TMP/st.json" 2>&1
if python3 - "$TMP/st.json" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
closed = [r for r in recs if r["event"] == "CLOSED"]
assert [c["reason"] for c in closed] == ["syn_timeout", "shutdown"], closed
assert closed[0]["ts"] == "2023-11-14T22:13:50.000000Z", closed[0]["ts"]
assert closed[1]["ts"] == "2023-11-14T22:14:00.000000Z", closed[1]["ts"]
# The timeout is reported before the later packet's own SYN event.
order = [(r["event"], r["client_port"]) for r in recs]
assert order.index(("CLOSED", 40000)) < order.index(("SYN", 40001)), order
EOF
then
	pass replay_timeouts_on_packet_time
else
	fail replay_timeouts_on_packet_time "$(tr '\n' '|' <"$TMP/st.json" | head -c 400)"
fi

# --- a file of many batches ----------------------------------------------------
# -r reads and decodes on a second thread and hands segments over in batches
# of 1024: across hundreds of hand-overs every segment must reach the tracker
# and every connection end exactly once, the same way on every run.
"$PWD/$BUILD/tools/benchgen" -n 20000 -c 2000 -s 7 -6 0.2 -o "$TMP/many.pcap" >"$TMP/gen.out"
frames=$(sed -n 's/^benchgen: \([0-9]*\) packets.*/\1/p' "$TMP/gen.out")
R -d -r "$TMP/many.pcap" >"$TMP/many.json" 2>"$TMP/many.err"
rc=$?
R -r "$TMP/many.pcap" >"$TMP/many2.json" 2>/dev/null
if [ $rc -eq 0 ] && [ "${frames:-0}" -gt 200000 ] && cmp -s "$TMP/many.json" "$TMP/many2.json" &&
    grep -q "decode: $frames frames, $frames segments" "$TMP/many.err" &&
    grep -q "tracker: $frames segments, 20000 connections seen" "$TMP/many.err" &&
    python3 - "$TMP/many.json" 20000 <<'EOF'
import json, sys
closed = [r for r in map(json.loads, open(sys.argv[1])) if r["event"] == "CLOSED"]
assert len(closed) == int(sys.argv[2]), len(closed)
assert len({c["flow"] for c in closed}) == len(closed)
EOF
then
	pass replay_many_batches
else
	fail replay_many_batches "rc=$rc frames=$frames $(grep -m2 'decode:\|tracker:' "$TMP/many.err" | tr '\n' '|')"
fi

# --- the writer thread -----------------------------------------------------------
# -r hands the full buffers of standard output and the log file to a writer
# thread: the same bytes leave whichever way they go, and when they cannot
# leave, every record is still written, dropped or counted at close, once,
# and said as before.
EVENTS='[ "SYN", "SYN_ACK", "ESTABLISHED", "FIN", "RST", "TIME_WAIT", "STATE", "CLOSED" ]'
# wconf DIR: every event type to standard output and to DIR/ev.json.
wconf() {
	printf 'events = %s;\noutputs: { journal: { enabled = false; };\n  file: { enabled = true; path = "%s/ev.json"; events = %s; max_size_mb = 0; }; };\n' \
	    "$EVENTS" "$1" "$EVENTS" >"$TMP/w.conf"
}
W() { "$TCPSTATED" -q -c "$TMP/w.conf" -r "$TMP/many.pcap" "$@"; }
mkdir -p "$TMP/wout"
wconf "$TMP/wout"
W >"$TMP/w-file.json" 2>"$TMP/w.err"
W 2>>"$TMP/w.err" | cat >"$TMP/w-pipe.json"
W --outputs >/dev/null 2>>"$TMP/w.err"
n=$(grep -c '' "$TMP/w-file.json")
if [ ! -s "$TMP/w.err" ] && [ "$n" -gt 100000 ] && cmp -s "$TMP/w-file.json" "$TMP/w-pipe.json" &&
    cmp -s "$TMP/w-file.json" "$TMP/wout/ev.json"; then
	pass replay_writer_same_bytes
else
	fail replay_writer_same_bytes "n=$n $(ls -l "$TMP"/w-*.json "$TMP/wout/ev.json" | awk '{printf "%s %s; ", $5, $9}') $(head -c 300 "$TMP/w.err")"
fi

# Standard output that cannot be written (ENOSPC from /dev/full): one line
# says so, the run goes on to exit 0, and the records are all counted.
W --metrics "$TMP/full.prom" >/dev/full 2>"$TMP/full.err"
rc=$?
written=$(sed -n 's/^tcpstated_output_records_total{output="stdout"} //p' "$TMP/full.prom")
dropped=$(sed -n 's/^tcpstated_output_dropped_total{output="stdout"} //p' "$TMP/full.prom")
atclose=$(sed -n 's/^tcpstated: standard output: \([0-9]*\) buffered records not written at close$/\1/p' "$TMP/full.err")
if [ $rc -eq 0 ] && [ "$(grep -c '' "$TMP/full.err")" = "$((1 + ${atclose:+1}))" ] &&
    [ "$(head -n 1 "$TMP/full.err")" = "tcpstated: standard output: No space left on device; events for it are dropped and counted from now on" ] &&
    [ "$written" = 0 ] && [ $((dropped + ${atclose:-0})) = "$n" ]; then
	pass replay_writer_stdout_full
else
	fail replay_writer_stdout_full "rc=$rc written=$written dropped=$dropped atclose=$atclose n=$n $(tr '\n' '|' <"$TMP/full.err")"
fi

# The log file on a full disk: suspended once; the file holds the first
# records, whole; written + dropped + not written at close is every record.
D=$TMP/wfull; mkdir -p "$D"
trap 'umount "$TMP/wfull" 2>/dev/null; rm -rf "$TMP"' EXIT
if mount -t tmpfs -o size=1m tcpstated-test "$D" 2>"$TMP/mount.err"; then
	wconf "$D"
	W -d --outputs >/dev/null 2>"$TMP/wfull.err"
	rc=$?
	lines=$(grep -c '' "$D/ev.json")
	size=$(stat -c %s "$D/ev.json")
	counts=$(sed -n 's/^tcpstated: output file: \([0-9]*\) written, 0 filtered, 0 suppressed, \([0-9]*\) dropped, 0 rotations$/\1 \2/p' "$TMP/wfull.err")
	atclose=$(sed -n "s|^tcpstated: $D/ev.json: \([0-9]*\) buffered records not written at close$|\1|p" "$TMP/wfull.err")
	set -- $counts
	if [ $rc -eq 0 ] && [ "$(grep -c "file output suspended: cannot write $D/ev.json: No space left on device" "$TMP/wfull.err")" = 1 ] &&
	    [ "$lines" -gt 0 ] && [ "${1:-}" = "$lines" ] && [ $((${1:-0} + ${2:-0} + ${atclose:-0})) = "$n" ] &&
	    cmp -s -n "$size" "$D/ev.json" "$TMP/w-file.json" && [ "$(tail -c 1 "$D/ev.json" | od -An -c | tr -d ' ')" = '\n' ]; then
		pass replay_writer_full_disk
	else
		fail replay_writer_full_disk "rc=$rc lines=$lines counts=$counts atclose=$atclose n=$n $(grep -v 'decode:\|tracker:' "$TMP/wfull.err" | tr '\n' '|')"
	fi
	umount "$D"
else
	skip replay_writer_full_disk "cannot mount a tmpfs: $(cat "$TMP/mount.err")"
fi

# --- a stop signal while reading ---------------------------------------------
# SIGTERM (as SIGINT, Ctrl-C) ends -r as if the file ended there: one line
# says so, what was read is reported (open connections as shutdown), the
# summary follows, the records end with a whole line, and the exit is 0.
"$PWD/$BUILD/tools/benchgen" -n 100000 -c 5000 -s 9 -o "$TMP/big.pcap" >/dev/null ||
    { fail replay_stopped_by_signal "benchgen failed"; exit 0; }
total=$("$PWD/$BUILD/tools/benchgen" -n 100000 -c 5000 -s 9 -o /dev/null | sed -n 's/^benchgen: \([0-9]*\) packets.*/\1/p')
rm -f "$TMP/stop.json"
"$TCPSTATED" -c "$TMP/empty.conf" -r "$TMP/big.pcap" >"$TMP/stop.json" 2>"$TMP/stop.err" &
pid=$!
for _ in $(seq 1000); do [ -s "$TMP/stop.json" ] && break; sleep 0.01; done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
read_frames=$(sed -n 's/^tcpstated: .*: stopped by SIGTERM after \([0-9]*\) frames: the rest is not read$/\1/p' "$TMP/stop.err")
if [ -z "$read_frames" ] && grep -q "^$TMP/big.pcap: $total frames" "$TMP/stop.err"; then
	skip replay_stopped_by_signal "the file was read to its end before the signal"
elif [ $rc -eq 0 ] && [ -n "$read_frames" ] && [ "$read_frames" -lt "$total" ] &&
    grep -q "^$TMP/big.pcap: $read_frames frames" "$TMP/stop.err" && grep -q '^connections: ' "$TMP/stop.err" &&
    [ "$(tail -c 1 "$TMP/stop.json" | od -An -c | tr -d ' ')" = '\n' ] &&
    python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/stop.json" &&
    grep -q '"reason":"shutdown"' "$TMP/stop.json"; then
	pass "replay_stopped_by_signal (after $read_frames of $total frames)"
else
	fail replay_stopped_by_signal "rc=$rc frames=$read_frames of $total: $(head -c 400 "$TMP/stop.err" | tr '\n' '|')"
fi
