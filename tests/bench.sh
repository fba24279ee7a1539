#!/usr/bin/env bash
# tests/bench.sh - `make bench`: tcpstated's throughput and memory, side by
# side with libpcap's own limit. Measurements, not assertions: it fails only
# when a scenario cannot run at all.
#
# Scenarios (BENCH_SCENARIOS, a space-separated subset, all by default):
#   offline  a generated capture of BENCH_CONNS connections, BENCH_CONC open at
#            a time, read by (a) pcapempty, libpcap with an empty callback, the
#            limit; (b) tcpstated -r writing every event type as JSON Lines to
#            a file; (w) dd writing as many bytes as (b) wrote to the same
#            file system, which with (a) is the limit with output; (c)
#            tcpstated -r with only CLOSED events; (s) the peer, softflowd -r
#            (Debian's; NetFlow v9 sent to a loopback port nobody listens on),
#            left out if it is not installed. One warm-up round, then
#            BENCH_RUNS rounds interleaved a b w c s a b w c s ...; medians.
#   memory   BENCH_OPEN_CONNS (200000) connections all open at the end of
#            the capture, max_flows 1.05 times that (210000): bytes of RSS per
#            tracked connection over a process with the smallest table
#            (both with -q: -r's summary table is not the daemon's).
#   live     tcpreplay into a veth inside network namespaces made here while
#            tcpstated captures the other end: offered and captured rates,
#            kernel drops, and a search for the highest rate under 0.1% drops.
#   workers  the live scenario's senders at top speed into the daemon with
#            capture.workers = each of BENCH_LIVE_WORKERS ("1 2"): offered and
#            captured rates, kernel drops, the daemon's CPU per packet (every
#            thread's).
#   idle     the live daemon on a silent interface for BENCH_IDLE_S seconds:
#            its CPU time and wakeups.
#   flood    BENCH_FLOOD_SYNS spoofed SYNs with one real connection in the
#            middle, replayed into the live daemon with max_flows
#            BENCH_FLOOD_MAX_FLOWS: peak RSS, evictions, the real connection's
#            CLOSED record, and the file output's rate-limit summaries.
#   collide  BENCH_COLLIDE_PAIRS SYNs aimed at one bucket of the flow table
#            beside as many random ones (tests/tools/benchcollide): the table
#            before issue 15 (multiply-mix hash under the key -r derived from
#            seed 0, chains) and flowtab now (SipHash-1-3, the bounded index;
#            aimed with the key, which the daemon never shows), table alone
#            and whole tracker, ns per packet side by side in one run.
# Writes one JSON object to BENCH_JSON (build/bench.json) and prints a table.
# The table ends with issue 16's targets, each with its measured value and
# whether it is met (measured, never asserted).
# For a quick run: BENCH_CONNS=100000 BENCH_OPEN_CONNS=100000 BENCH_RUNS=3
# BENCH_FLOOD_SYNS=200000 BENCH_IDLE_S=3 make bench.
# BENCH_PERF=1 adds a perf profile of (b) and (c) (perf record -e cpu-clock).
set -u
cd "$(dirname "$0")/.."
: "${BUILD:=build}"
TCPSTATED=${TCPSTATED:-$PWD/$BUILD/tcpstated}
TOOLS=$PWD/$BUILD/tools
conns=${BENCH_CONNS:-1000000}
conc=${BENCH_CONC:-10000}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-5}
v6=${BENCH_V6:-0.1}
max_flows=${BENCH_MAX_FLOWS:-262144}
open_conns=${BENCH_OPEN_CONNS:-200000}
live_conns=${BENCH_LIVE_CONNS:-200000}
live_senders=${BENCH_LIVE_SENDERS:-2}
live_steps=${BENCH_LIVE_STEPS:-4}
live_buffer_kb=${BENCH_LIVE_BUFFER_KB:-8192}
live_workers_list=${BENCH_LIVE_WORKERS:-1 2}
live_workers=1
idle_s=${BENCH_IDLE_S:-10}
flood_syns=${BENCH_FLOOD_SYNS:-2000000}
flood_max_flows=${BENCH_FLOOD_MAX_FLOWS:-100000}
flood_rate_limit=${BENCH_FLOOD_RATE_LIMIT:-1000}
collide_pairs=${BENCH_COLLIDE_PAIRS:-2000}
scenarios=${BENCH_SCENARIOS:-offline memory collide live workers idle flood}
json_out=${BENCH_JSON:-$BUILD/bench.json}

T=$(mktemp -d "${TMPDIR:-/tmp}/tcpstated-bench.XXXXXX")
RES=$T/results
: >"$RES"
NS_TX=tsbench-tx-$$
NS_RX=tsbench-rx-$$
netns_made=0
DPID=

cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	if [ "$netns_made" = 1 ]; then
		ip netns del "$NS_TX" 2>/dev/null
		ip netns del "$NS_RX" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
# put KEY VALUE: one result, KEY is section.name (nested one level in the JSON).
put() { echo "$1 $2" >>"$RES"; }
has() { case " $scenarios " in *" $1 "*) return 0 ;; esac; return 1; }

for f in "$TCPSTATED" "$TOOLS/benchgen" "$TOOLS/pcapempty" "$TOOLS/benchcollide"; do
	[ -x "$f" ] || die "$f is missing: run make tests-build"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package time)"
command -v python3 >/dev/null || die "python3 is missing"

# gen NAME ARGS...: run benchgen into $T/NAME.pcap, record its summary and
# time as gen_NAME.*.
gen() {
	local name=$1; shift
	local t0 t1 line
	t0=$(date +%s%N)
	line=$("$TOOLS/benchgen" "$@" -o "$T/$name.pcap") || die "benchgen $* failed"
	t1=$(date +%s%N)
	say "$name: $line ($(( (t1 - t0) / 1000000 )) ms)"
	put "gen_$name.gen_seconds" "$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")"
	put "gen_$name.packets" "$(echo "$line" | sed -n 's/^benchgen: \([0-9]*\) packets.*/\1/p')"
	put "gen_$name.connections" "$(echo "$line" | sed -n 's/.* \([0-9]*\) connections.*/\1/p')"
	put "gen_$name.file_bytes" "$(stat -c %s "$T/$name.pcap")"
	put "gen_$name.traffic_seconds" "$(echo "$line" | sed -n 's/.*, \([0-9.]*\) s of traffic/\1/p')"
}

# timed VARIANT OUT CMD...: run CMD with stdout to OUT, stderr to $T/VARIANT.err;
# record "run VARIANT wall_ns peak_rss_kb user_s sys_s status".
timed() {
	local v=$1 out=$2; shift 2
	local t0 t1 rc
	rm -f "$out"
	sync
	t0=$(date +%s%N)
	/usr/bin/time -f '%M %U %S' -o "$T/time.out" "$@" >"$out" 2>"$T/$v.err"
	rc=$?
	t1=$(date +%s%N)
	echo "run $v $((t1 - t0)) $(tail -n 1 "$T/time.out") $rc" >>"$RES"
	[ "$rc" -eq 0 ] || die "$v failed ($rc): $(tail -n 3 "$T/$v.err")"
}

# Numbers out of tcpstated's exit diagnostics (file ERR).
stat_decode_frames() { sed -n 's/.*decode: \([0-9]*\) frames.*/\1/p' "$1" | tail -n 1; }
stat_created() { sed -n 's/.*tracker: [0-9]* segments, \([0-9]*\) connections.*/\1/p' "$1" | tail -n 1; }
stat_evicted() { sed -n 's/.*tracker: [^(]*(\([0-9]*\) evicted).*/\1/p' "$1" | tail -n 1; }
stat_closed() { sed -n "s/.*closed:.* $2 \([0-9]*\).*/\1/p" "$1" | tail -n 1; }
stat_capture() { # ERR FIELD(received|kernel|interface)
	case $2 in
	received) sed -n 's/.*capture: \([0-9]*\) packets received.*/\1/p' "$1" ;;
	kernel) sed -n 's/.*capture: .*, \([0-9]*\) dropped by the kernel.*/\1/p' "$1" ;;
	interface) sed -n 's/.*capture: .*, \([0-9]*\) dropped by the interface.*/\1/p' "$1" ;;
	esac | tail -n 1
}
stat_output() { # ERR OUTPUT FIELD(written|filtered|suppressed|dropped)
	sed -n "s/.*output $2: .*\\b\\([0-9][0-9]*\\) $3.*/\\1/p" "$1" | tail -n 1
}

events_conf() { # FILE MAX_FLOWS EVENTS...
	local f=$1 mf=$2 list="" e
	shift 2
	for e in "$@"; do list="$list${list:+, }\"$e\""; done
	printf 'events = [ %s ];\ntracking: { max_flows = %s; };\n' "$list" "$mf" >"$f"
}
ALL_EVENTS="SYN SYN_ACK ESTABLISHED FIN RST TIME_WAIT STATE CLOSED"

put machine.cpus "$(nproc)"
put machine.kernel "\"$(uname -r)\""
put machine.model "\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\""
put machine.tcpstated "\"$("$TCPSTATED" -V 2>&1 | head -n 1)\""

# ---------------------------------------------------------------- offline
if has offline; then
	say "offline: generating $conns connections, $conc open at a time"
	gen main -n "$conns" -c "$conc" -s "$seed" -6 "$v6"
	events_conf "$T/all.conf" "$max_flows" $ALL_EVENTS
	events_conf "$T/closed.conf" "$max_flows" CLOSED
	events_conf "$T/min.conf" 16 CLOSED
	"$TOOLS/benchgen" -n 10 -c 10 -s "$seed" -o "$T/tiny.pcap" >/dev/null || die "benchgen tiny failed"
	put offline.runs "$runs"
	put offline.max_flows "$max_flows"
	# The peer: a UDP port on loopback that was free a moment ago, so the
	# NetFlow datagrams go nowhere; its table as large as ours, its clock the
	# capture's (-a), closed connections leaving its table as they leave ours
	# (a reset at once, a FIN after TIME_WAIT's 60 s).
	softflowd=$(command -v softflowd || true)
	if [ -n "$softflowd" ]; then
		nf_port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		put offline.softflowd_version "\"$("$softflowd" -h 2>&1 | sed -n 's/.*softflowd version \([^.]*\.[^.]*\.[^.]*\)\..*/\1/p')\""
	else
		say "offline: softflowd is not installed (Debian package softflowd): no peer row"
	fi
	for ((r = 0; r <= runs; r++)); do
		[ $r -eq 0 ] && say "offline: warm-up round" || say "offline: round $r of $runs"
		[ $r -eq 0 ] && tag=warm || tag=
		timed "${tag}a" "$T/a.out" "$TOOLS/pcapempty" "$T/main.pcap"
		timed "${tag}b" "$T/b.json" "$TCPSTATED" -d -r "$T/main.pcap" -c "$T/all.conf"
		rm -f "$T/w.dat"
		timed "${tag}w" "$T/w.out" dd if=/dev/zero of="$T/w.dat" bs=1M iflag=count_bytes \
		    count="$(stat -c %s "$T/b.json")"
		timed "${tag}c" "$T/c.json" "$TCPSTATED" -d -r "$T/main.pcap" -c "$T/closed.conf"
		# In $T, with short relative paths: softflowd 1.1.0 cuts the -r path at
		# 16 characters, and with a -c path of 13 or more it never exits.
		[ -n "$softflowd" ] && timed "${tag}s" "$T/s.out" env -C "$T" "$softflowd" -d -r main.pcap \
		    -n "127.0.0.1:$nf_port" -v 9 -a -m "$max_flows" -t tcp.rst=1 -t tcp.fin=60 -t expint=1 \
		    -p sf.pid -c sf.ctl
	done
	rm -f "$T/w.dat"
	[ -n "$softflowd" ] && put offline.softflowd_flows "$(sed -n 's/^Flows expired: \([0-9]*\).*/\1/p' "$T/s.out")"
	put offline.packets "$(sed -n 's/^packets \([0-9]*\) .*/\1/p' "$T/a.out")"
	put offline.empty_loop_inner_seconds "$(sed -n 's/.* seconds \([0-9.]*\) .*/\1/p' "$T/a.out")"
	timed pcapempty_next_ex "$T/ax.out" "$TOOLS/pcapempty" -x "$T/main.pcap"
	put offline.next_ex_inner_seconds "$(sed -n 's/.* seconds \([0-9.]*\) .*/\1/p' "$T/ax.out")"
	put offline.events_b "$(wc -l <"$T/b.json")"
	put offline.events_c "$(wc -l <"$T/c.json")"
	put offline.output_bytes_b "$(stat -c %s "$T/b.json")"
	put offline.output_bytes_c "$(stat -c %s "$T/c.json")"
	put offline.segments "$(stat_decode_frames "$T/b.err")"
	put offline.connections "$(stat_created "$T/b.err")"
	put offline.evicted "$(stat_evicted "$T/b.err")"
	for reason in fin rst refused syn_timeout shutdown evicted; do
		put "offline.closed_$reason" "$(stat_closed "$T/b.err" "$reason")"
	done
	# The smallest table on a tiny capture, and the bench's table on it: what
	# the process costs without traffic, and what the table costs up front.
	timed base_min "$T/tiny.json" "$TCPSTATED" -d -r "$T/tiny.pcap" -c "$T/min.conf"
	timed base_same "$T/tiny.json" "$TCPSTATED" -d -r "$T/tiny.pcap" -c "$T/closed.conf"
	# Stage by stage with the capture in memory: where (b) and (c) spend it.
	if "$TOOLS/benchtrack" -r "$runs" -m "$max_flows" "$T/main.pcap" >"$T/stages.out" 2>&1; then
		cat "$T/stages.out" >&2
		while read -r key label; do
			put "stages.$key" "$(awk -v l="$label" 'index($0, l) == 1 &&
			    substr($0, length(l) + 1) ~ /^ +[0-9.]+ +[0-9.]+$/ {print $(NF - 1)}' "$T/stages.out")"
		done <<'STAGES'
read_ns read (libpcap, empty loop)
decode_ns decode
hash_ns decode+hash
track_closed_ns decode+track, CLOSED
format_closed_ns decode+track+JSON, CLOSED
track_all_ns decode+track, all events
format_all_ns decode+track+JSON, all events
STAGES
		put stages.tracker_memory_per_slot "$(sed -n 's/^tracker_memory .*, \([0-9.]*\) per slot/\1/p' "$T/stages.out")"
		put stages.packets "$(sed -n 's/^packets \([0-9]*\) .*/\1/p' "$T/stages.out")"
		put stages.events_all "$(sed -n 's/^all *events \([0-9]*\) .*/\1/p' "$T/stages.out")"
	else
		say "benchtrack failed: $(tail -n 2 "$T/stages.out")"
	fi
	if [ "${BENCH_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
		for v in b c; do
			conf=$T/all.conf
			[ $v = c ] && conf=$T/closed.conf
			perf record -q -e cpu-clock -o "$T/perf.$v" "$TCPSTATED" -r "$T/main.pcap" \
			    -c "$conf" >"$T/perf.json" 2>/dev/null
			echo "--- perf profile of ($v), top symbols" >&2
			perf report -i "$T/perf.$v" --stdio --no-children 2>/dev/null |
			    grep -E '^ +[0-9]' | head -n 25 >&2
		done
		rm -f "$T/perf.json"
	fi
	rm -f "$T/b.json" "$T/c.json" "$T/main.pcap"
fi

# ---------------------------------------------------------------- memory
if has memory; then
	mf=$((open_conns + open_conns / 20))
	say "memory: generating $open_conns connections, all open at the end"
	gen open -n "$open_conns" -c "$open_conns" -O 1 -s "$seed" -6 "$v6"
	events_conf "$T/open.conf" "$mf" CLOSED
	events_conf "$T/min.conf" 16 CLOSED
	"$TOOLS/benchgen" -n 10 -c 10 -s "$seed" -o "$T/tiny.pcap" >/dev/null || die "benchgen tiny failed"
	# -q: without -r's end-of-file summary, whose table of clients (a fixed
	# 2 MB, its pages touched as clients appear) the live daemon does not have
	# and which would otherwise count as 5-9 bytes a connection here.
	timed mem_min "$T/tiny.json" "$TCPSTATED" -d -q -r "$T/tiny.pcap" -c "$T/min.conf"
	timed mem_empty "$T/tiny.json" "$TCPSTATED" -d -q -r "$T/tiny.pcap" -c "$T/open.conf"
	timed mem_full "$T/open.json" "$TCPSTATED" -d -q -r "$T/open.pcap" -c "$T/open.conf"
	put memory.max_flows "$mf"
	put memory.tracked "$(stat_closed "$T/mem_full.err" shutdown)"
	put memory.evicted "$(stat_evicted "$T/mem_full.err")"
	for reason in fin rst syn_timeout reused evicted shutdown; do
		put "memory.closed_$reason" "$(stat_closed "$T/mem_full.err" "$reason")"
	done
	rm -f "$T/open.pcap" "$T/open.json"
fi

# ---------------------------------------------------------------- collide
if has collide; then
	say "collide: $collide_pairs SYNs aimed at one bucket, old table and new (finding them takes seconds)"
	if "$TOOLS/benchcollide" -n "$collide_pairs" -m "$flood_max_flows" -r "$runs" \
	    >"$T/collide.out" 2>&1; then
		grep -v '^key ' "$T/collide.out" >&2
		sed -n 's/^key \([a-z_]*\) \([0-9.]*\)$/collide.\1 \2/p' "$T/collide.out" >>"$RES"
		put collide.pairs "$collide_pairs"
		put collide.max_flows "$flood_max_flows"
	else
		say "benchcollide failed: $(tail -n 2 "$T/collide.out")"
	fi
fi

# ---------------------------------------------------------------- live scenarios
netns_up() {
	[ "$netns_made" = 1 ] && return 0
	command -v ip >/dev/null || return 1
	ip netns add "$NS_TX" || return 1
	netns_made=1
	ip netns add "$NS_RX" || return 1
	ip link add tsb0 netns "$NS_TX" type veth peer name tsb1 netns "$NS_RX" || return 1
	ip -n "$NS_TX" link set tsb0 up && ip -n "$NS_RX" link set tsb1 up || return 1
}

live_conf() { # FILE MAX_FLOWS FILE_EVENTS RATE_LIMIT RATE_INTERVAL
	local list="" e
	for e in $3; do list="$list${list:+, }\"$e\""; done
	cat >"$1" <<EOF
capture: { interface = "tsb1"; buffer_size_kb = $live_buffer_kb; workers = $live_workers; };
tracking: { max_flows = $2; };
daemon: { stats_interval = 0; };
outputs: {
	journal: { enabled = false; };
	syslog: { enabled = false; };
	file: { enabled = true; path = "$T/live-events.json"; events = [ $list ];
		rate_limit = $4; rate_interval = $5; max_size_mb = 0; };
};
EOF
}

# daemon_start CONF [ARGS...]: tcpstated in the receiving namespace, stdout to
# $T/daemon.out, stderr to $T/daemon.err; waits until it captures.
daemon_start() {
	local conf=$1 i
	shift
	rm -f "$T"/live-events.json*
	ip netns exec "$NS_RX" "$TCPSTATED" -f -c "$conf" "$@" >"$T/daemon.out" 2>"$T/daemon.err" &
	DPID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q 'running as' "$T/daemon.err" && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	die "tcpstated did not start: $(tail -n 3 "$T/daemon.err")"
}

# daemon_stop: SIGTERM, wait; leaves the exit diagnostics in $T/daemon.err.
daemon_stop() {
	local i
	kill -TERM "$DPID" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$DPID" 2>/dev/null
	DPID=
}

# vm_kb FIELD: VmHWM, VmRSS ... of the running daemon, in kB.
vm_kb() { sed -n "s/^$1:[[:space:]]*\\([0-9]*\\) kB/\\1/p" "/proc/$DPID/status"; }

# replay PPS FILES...: one tcpreplay per file in parallel from the sending
# namespace (PPS 0 = --topspeed); sets SENT (packets) and SENT_S (the longest
# sender's seconds).
replay() {
	local pps=$1 i=0 f s n rate=--topspeed pids=()
	shift
	[ "$pps" = 0 ] || rate=--pps=$pps
	for f in "$@"; do
		ip netns exec "$NS_TX" tcpreplay -K "$rate" -i tsb0 "$f" >"$T/replay.$i" 2>&1 &
		pids+=($!)
		i=$((i + 1))
	done
	wait "${pids[@]}"
	SENT=0
	SENT_S=0
	for ((i = 0; i < $#; i++)); do
		n=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$T/replay.$i")
		s=$(sed -n 's/.* sent in \([0-9.]*\) seconds.*/\1/p' "$T/replay.$i")
		[ -n "$n" ] || die "tcpreplay failed: $(tail -n 3 "$T/replay.$i")"
		SENT=$((SENT + n))
		SENT_S=$(awk -v a="$SENT_S" -v b="$s" 'BEGIN{print (b > a) ? b : a}')
	done
}

# live_run NAME PPS FILES...: daemon, replay, stop; record offered and captured.
live_run() {
	local name=$1 pps=$2 rx0 rx1 captured kdrop
	shift 2
	daemon_start "$T/live.conf"
	rx0=$(ip -n "$NS_RX" -s -j link show tsb1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
	read -r -a st0 <"/proc/$DPID/stat"
	replay "$pps" "$@"
	sleep 1
	read -r -a st1 <"/proc/$DPID/stat"
	rx1=$(ip -n "$NS_RX" -s -j link show tsb1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
	put "$name.peak_rss_kb" "$(vm_kb VmHWM)"
	daemon_stop
	# The daemon's own CPU (utime + stime, fields 14 and 15) while it captured.
	put "$name.cpu_seconds" "$(awk "BEGIN{printf \"%.3f\", ((${st1[13]} + ${st1[14]}) - (${st0[13]} + ${st0[14]})) / $(getconf CLK_TCK)}")"
	captured=$(stat_decode_frames "$T/daemon.err")
	kdrop=$(stat_capture "$T/daemon.err" kernel)
	put "$name.senders" "$#"
	put "$name.requested_pps_per_sender" "$pps"
	put "$name.offered_packets" "$SENT"
	put "$name.seconds" "$SENT_S"
	put "$name.offered_pps" "$(awk "BEGIN{printf \"%.0f\", $SENT / $SENT_S}")"
	put "$name.interface_rx_packets" "$((rx1 - rx0))"
	put "$name.pcap_received" "$(stat_capture "$T/daemon.err" received)"
	put "$name.pcap_dropped" "$kdrop"
	put "$name.pcap_ifdropped" "$(stat_capture "$T/daemon.err" interface)"
	put "$name.captured_packets" "$captured"
	put "$name.captured_pps" "$(awk "BEGIN{printf \"%.0f\", $captured / $SENT_S}")"
	LOSS=$(awk "BEGIN{printf \"%.6f\", ($SENT - $captured) / $SENT}")
	put "$name.loss" "$LOSS"
	say "$name: offered $SENT packets in $SENT_S s by $# sender(s), captured $captured, kernel drops $kdrop, loss $LOSS"
}

if has live || has workers || has idle || has flood; then
	if [ "$(id -u)" != 0 ] || ! netns_up; then
		say "live scenarios skipped: need root and ip netns"
		scenarios=$(echo " $scenarios " | sed 's/ live / /; s/ workers / /; s/ idle / /; s/ flood / /')
	fi
fi

if has live || has workers; then
	say "live: generating $live_senders capture(s) of $live_conns connections"
	files=()
	for ((i = 1; i <= live_senders; i++)); do
		gen "live$i" -n "$live_conns" -c "$conc" -s $((seed + 100 + i)) -6 "$v6"
		files+=("$T/live$i.pcap")
	done
fi

if has live; then
	live_conf "$T/live.conf" "$max_flows" CLOSED 0 10
	put live.buffer_size_kb "$live_buffer_kb"
	# The fastest drop-free rate: top speed if it was, else halve the interval
	# between the last good and the first bad per-sender rate, live_steps times.
	best=0
	bad=0
	note_rate() { # NAME: after live_run NAME, keep the best lossless and the lowest lossy rate
		local rate
		rate=$(sed -n "s/^$1.offered_pps //p" "$RES")
		if awk "BEGIN{exit !($LOSS < 0.001)}"; then
			[ "$rate" -gt "$best" ] && best=$rate
			return 0
		fi
		[ "$bad" = 0 ] || [ "$rate" -lt "$bad" ] && bad=$rate
		return 1
	}
	live_run live_top1 0 "${files[0]}"
	note_rate live_top1
	live_run live_topN 0 "${files[@]}"
	if note_rate live_topN; then
		put live.best_limited_by '"the senders: tcpreplay at top speed, no drops"'
	else
		hi=$(awk "BEGIN{printf \"%.0f\", $(sed -n 's/^live_topN.offered_pps //p' "$RES") / $live_senders}")
		lo=0
		pps=$((hi / 2))
		for ((s = 1; s <= live_steps; s++)); do
			live_run "live_step$s" "$pps" "${files[@]}"
			if note_rate "live_step$s"; then lo=$pps; else hi=$pps; fi
			pps=$(((lo + hi) / 2))
		done
		put live.best_limited_by '"tcpstated: drops above it"'
	fi
	put live.best_dropfree_pps "$best"
	put live.lowest_lossy_pps "$bad"
fi

if has workers; then
	# Every sender at top speed, the most the senders reach, into each count of workers.
	for live_workers in $live_workers_list; do
		live_conf "$T/live.conf" "$max_flows" CLOSED 0 10
		live_run "live_workers$live_workers" 0 "${files[@]}"
	done
	live_workers=1
fi
if has live || has workers; then
	rm -f "${files[@]}"
fi

if has idle; then
	live_conf "$T/live.conf" "$max_flows" CLOSED 0 10
	say "idle: the daemon on a silent interface for $idle_s s"
	daemon_start "$T/live.conf"
	sleep 1
	read -r -a st0 <"/proc/$DPID/stat"
	cs0=$(sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "/proc/$DPID/status")
	sleep "$idle_s"
	read -r -a st1 <"/proc/$DPID/stat"
	cs1=$(sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "/proc/$DPID/status")
	put idle.rss_kb "$(vm_kb VmRSS)"
	daemon_stop
	# Fields 14 and 15 (utime, stime) in clock ticks; the comm field has no spaces here.
	tck=$(getconf CLK_TCK)
	put idle.seconds "$idle_s"
	put idle.cpu_seconds "$(awk "BEGIN{printf \"%.3f\", ((${st1[13]} + ${st1[14]}) - (${st0[13]} + ${st0[14]})) / $tck}")"
	put idle.wakeups_per_s "$(awk "BEGIN{printf \"%.1f\", ($cs1 - $cs0) / $idle_s}")"
fi

if has flood; then
	say "flood: generating $flood_syns spoofed SYNs with one real connection"
	gen flood -F "$flood_syns" -s "$seed"
	live_conf "$T/live.conf" "$flood_max_flows" "$ALL_EVENTS" "$flood_rate_limit" 1
	daemon_start "$T/live.conf" -o json
	rss0=$(vm_kb VmRSS)
	replay 0 "$T/flood.pcap"
	sleep 2 # at least one rate-limit window closes
	put flood.peak_rss_kb "$(vm_kb VmHWM)"
	daemon_stop
	put flood.start_rss_kb "$rss0"
	put flood.max_flows "$flood_max_flows"
	put flood.rate_limit_per_s "$flood_rate_limit"
	put flood.offered_packets "$SENT"
	put flood.seconds "$SENT_S"
	put flood.captured_packets "$(stat_decode_frames "$T/daemon.err")"
	put flood.pcap_dropped "$(stat_capture "$T/daemon.err" kernel)"
	put flood.connections "$(stat_created "$T/daemon.err")"
	put flood.evicted "$(stat_evicted "$T/daemon.err")"
	put flood.file_written "$(stat_output "$T/daemon.err" file written)"
	put flood.file_suppressed "$(stat_output "$T/daemon.err" file suppressed)"
	cat "$T"/live-events.json* >"$T/flood-file.json" 2>/dev/null
	python3 - "$T/daemon.out" "$T/flood-file.json" >>"$RES" <<'EOF'
import json, sys
real = None
stdout_lines = evicted_s0 = evicted_other = 0
for line in open(sys.argv[1]):
    stdout_lines += 1
    e = json.loads(line)
    if e.get("event") != "CLOSED":
        continue
    if e.get("client_ip") == "198.51.100.7" and e.get("client_port") == 40000:
        real = e
    elif e.get("reason") == "evicted":
        if e.get("conn_state") == "S0":
            evicted_s0 += 1
        else:
            evicted_other += 1
print("flood.stdout_events %d" % stdout_lines)
print("flood.evicted_half_open %d" % evicted_s0)
print("flood.evicted_other %d" % evicted_other)
if real is not None:
    print("flood.real_reason \"%s\"" % real["reason"])
    for k in ("client_bytes", "server_bytes", "client_pkts", "server_pkts"):
        print("flood.real_%s %d" % (k, real[k]))
    print("flood.real_conn_state \"%s\"" % real["conn_state"])
    print("flood.real_history \"%s\"" % real["history"])
else:
    print("flood.real_reason \"missing\"")
lines = sup_records = sup_total = 0
for line in open(sys.argv[2]):
    lines += 1
    e = json.loads(line)
    if e.get("event") == "SUPPRESSED":
        sup_records += 1
        sup_total += e.get("suppressed", 0)
print("flood.file_lines %d" % lines)
print("flood.file_suppressed_records %d" % sup_records)
print("flood.file_suppressed_events %d" % sup_total)
EOF
	rm -f "$T/flood.pcap" "$T/flood-file.json" "$T"/live-events.json*
fi

# ---------------------------------------------------------------- report
mkdir -p "$(dirname "$json_out")"
python3 - "$RES" "$json_out" <<'EOF'
import json, sys, statistics

res, out = sys.argv[1], sys.argv[2]
data, runs = {}, {}
for line in open(res):
    key, _, val = line.rstrip("\n").partition(" ")
    if key == "run":
        v, wall, rss, user, sys_s, rc = val.split()
        runs.setdefault(v, []).append((int(wall) / 1e9, int(rss), float(user) + float(sys_s)))
        continue
    sec, _, name = key.partition(".")
    try:
        val = json.loads(val) if val != "" else None
    except ValueError:
        pass
    data.setdefault(sec, {})[name] = val

def med(v, i):
    return statistics.median(r[i] for r in runs[v]) if v in runs else None

summary = {"machine": data.get("machine", {})}
rows = []
targets = []

def target(key, label, want, got, higher, unit=""):
    """One of issue 16's targets: its measured value and whether it is met."""
    if got is None:
        return
    verdict = "met" if (got >= want if higher else got <= want) else "missed"
    if got < 0:  # a difference of two stages that noise turned negative
        verdict = "noise: re-run on a quiet machine"
    targets.append((label, (">= %s%s" if higher else "<= %s%s") % (want, unit), "%s%s" % (got, unit), verdict))
    summary.setdefault("targets", {})[key] = {"want": want, "got": got, "higher_is_better": higher,
                                              "met": verdict == "met"}
if "a" in runs:
    off = data.get("offline", {})
    gen = data.get("gen_main", {})
    pk = off["packets"]
    base_min = med("base_min", 1)
    base_same = med("base_same", 1)
    limit_s = med("a", 0)
    variants = {}
    for v, name, ev in (("a", "empty_loop", None), ("b", "all_events_json", off.get("events_b")),
                        ("c", "closed_only_json", off.get("events_c")), ("s", "softflowd", None)):
        if v not in runs:
            continue
        wall, rss, cpu = med(v, 0), med(v, 1), med(v, 2)
        d = {"seconds": round(wall, 3), "packets_per_s": round(pk / wall),
             "ns_per_packet": round(wall * 1e9 / pk, 1), "peak_rss_kb": rss,
             "cpu_seconds": round(cpu, 3), "ratio_to_empty_loop": round(limit_s / wall, 3),
             "ratio_to_empty_loop_cpu": round(med("a", 2) / cpu, 3) if cpu else None,
             "runs_seconds": [round(r[0], 3) for r in runs[v]]}
        if ev is not None:
            d["events"] = ev
            d["events_per_s"] = round(ev / wall)
            d["output_bytes"] = off.get("output_bytes_" + v)
            # RSS above a process with the smallest table, per slot of the table:
            # what each tracked connection costs when the table is full.
            d["bytes_per_table_slot"] = round((rss - base_min) * 1024 / off["max_flows"])
        variants[name] = d
    if "softflowd" in variants:
        variants["softflowd"].update(version=off.get("softflowd_version"), flows=off.get("softflowd_flows"))
    summary["offline"] = {
        "capture": {k: gen.get(k) for k in ("connections", "packets", "file_bytes", "traffic_seconds", "gen_seconds")},
        "runs": off.get("runs"), "max_flows": off.get("max_flows"),
        "tracker": {k: off.get(k) for k in off if k.startswith("closed_") or k in ("connections", "evicted", "segments")},
        "empty_loop_inner_seconds": off.get("empty_loop_inner_seconds"),
        "pcap_next_ex_inner_seconds": off.get("next_ex_inner_seconds"),
        "baseline_rss_kb": {"max_flows_16": base_min, "bench_max_flows_tiny_capture": base_same},
        "stages_ns_per_packet": data.get("stages"),
        **variants}
    # The limit with output: the empty loop, plus writing (b)'s bytes to the
    # same file system (dd from /dev/zero, 1 MiB writes), both this run's medians.
    write_s = med("w", 0)
    with_output_s = limit_s + write_s
    summary["offline"]["write_b_bytes"] = {"seconds": round(write_s, 3), "bytes": off.get("output_bytes_b"),
                                           "runs_seconds": [round(r[0], 3) for r in runs["w"]]}
    summary["offline"]["limit_with_output_seconds"] = round(with_output_s, 3)
    b_s = variants["all_events_json"]["seconds"]
    target("closed_only_vs_empty_loop", "(c) CLOSED only, rate vs (a) the empty loop", 0.5,
           round(variants["closed_only_json"]["ratio_to_empty_loop"], 2), True, "x")
    target("all_events_vs_limit_with_output",
           "(b) all events, rate vs (a) + writing its %.0f MB (%.2f s + %.2f s)" % (
               off.get("output_bytes_b", 0) / 1e6, limit_s, write_s),
           0.8, round(with_output_s / b_s, 2), True, "x")
    if "softflowd" in variants:
        target("all_events_vs_softflowd", "(b) all events, rate vs (s) softflowd", 10,
               round(variants["softflowd"]["seconds"] / b_s, 2), True, "x")
    else:
        targets.append(("(b) all events, rate vs (s) softflowd", ">= 10x", "-", "not measured (no softflowd)"))
    st = data.get("stages") or {}
    if st.get("track_all_ns") is not None and st.get("decode_ns") is not None:
        target("tracking_ns_per_packet", "benchtrack: tracking beyond decode, ns a packet", 40,
               round(st["track_all_ns"] - st["decode_ns"], 1), False)
    if st.get("format_all_ns") is not None and st.get("track_all_ns") is not None and st.get("events_all"):
        target("json_ns_per_event", "benchtrack: JSON, ns an event", 120,
               round((st["format_all_ns"] - st["track_all_ns"]) * st["packets"] / st["events_all"], 1), False)
    for name, label in (("empty_loop", "(a) libpcap, empty callback"), ("all_events_json", "(b) tcpstated -r, all events"),
                        ("closed_only_json", "(c) tcpstated -r, CLOSED only"),
                        ("softflowd", "(s) softflowd -r, NetFlow v9")):
        if name not in variants:
            continue
        d = variants[name]
        rows.append((label, "%.2f" % d["seconds"], "%.2fM" % (d["packets_per_s"] / 1e6), "%.1f" % d["ns_per_packet"],
                     "%.2fM" % (d["events_per_s"] / 1e6) if "events_per_s" in d else "-",
                     "%.1f" % (d["peak_rss_kb"] / 1024), str(d.get("bytes_per_table_slot", "-")),
                     "%.2fx" % d["ratio_to_empty_loop"],
                     "%.2fx" % d["ratio_to_empty_loop_cpu"] if d.get("ratio_to_empty_loop_cpu") else "-"))
if "mem_full" in runs:
    m = data["memory"]
    full, mn, empty = med("mem_full", 1), med("mem_min", 1), med("mem_empty", 1)
    tracked = m.get("tracked") or 0
    summary["memory"] = {"connections": data.get("gen_open", {}).get("connections"), "tracked": tracked,
                         "max_flows": m["max_flows"], "evicted": m.get("evicted"),
                         "peak_rss_kb": full, "rss_kb_smallest_table": mn, "rss_kb_table_no_traffic": empty,
                         "bytes_per_tracked_connection": round((full - mn) * 1024 / tracked) if tracked else None,
                         "bytes_per_slot_up_front": round((empty - mn) * 1024 / m["max_flows"]),
                         "seconds": round(med("mem_full", 0), 3),
                         "closed": {k[7:]: v for k, v in m.items() if k.startswith("closed_")}}
    mm = summary["memory"]
    target("bytes_per_connection", "bytes per tracked connection, %d open, max_flows %d" % (tracked, m["max_flows"]),
           256, mm["bytes_per_tracked_connection"], False)
    rows.append(("%d open connections, max_flows %d" % (tracked, m["max_flows"]), "%.2f" % mm["seconds"], "-", "-", "-",
                 "%.1f" % (full / 1024), str(mm["bytes_per_tracked_connection"]), "-", "-"))
live = {k[5:]: v for k, v in data.items() if k.startswith("live_")}
if live:
    summary["live"] = dict(data.get("live", {}), runs=live)
if "idle" in data:
    summary["idle"] = data["idle"]
if "flood" in data:
    f = data["flood"]
    f["generated"] = data.get("gen_flood")
    summary["flood"] = f
if "collide" in data:
    summary["collide"] = data["collide"]
json.dump(summary, open(out, "w"), indent=1, sort_keys=True)
open(out, "a").write("\n")

print()
if rows:
    hdr = ("offline (%s packets)" % summary.get("offline", {}).get("capture", {}).get("packets", "?"),
           "s", "pkts/s", "ns/pkt", "events/s", "RSS MB", "B/conn", "vs (a)", "CPU vs (a)")
    w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    for r in [hdr] + rows:
        print("  ".join(c.ljust(w[0]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)))
    print()
for k in live:
    d = live[k]
    if "offered_pps" in d:
        cpu = d.get("cpu_seconds")
        print("live %-6s %d sender(s) %-9s offered %8d pps  captured %8d pps  kernel drops %d  loss %.4f%%  RSS %.1f MB%s" % (
            k, d["senders"], "top speed" if d["requested_pps_per_sender"] == 0 else "%d pps" % d["requested_pps_per_sender"],
            d["offered_pps"], d["captured_pps"], d["pcap_dropped"], d["loss"] * 100, d["peak_rss_kb"] / 1024,
            "  daemon CPU %.2f s = %.0f ns/pkt, %.0f%% of a core" % (cpu, cpu * 1e9 / d["captured_packets"], cpu * 100 / d["seconds"])
            if cpu is not None and d.get("captured_packets") and d.get("seconds") else ""))
if "live" in data:
    print("highest drop-free rate: %s pps, limited by %s" % (data["live"].get("best_dropfree_pps"), data["live"].get("best_limited_by")))
if "idle" in data:
    i = data["idle"]
    print("idle %s s: %.3f s CPU, %.1f wakeups/s, RSS %.1f MB" % (i["seconds"], i["cpu_seconds"], i["wakeups_per_s"], i["rss_kb"] / 1024))
if "flood" in data:
    f = data["flood"]
    print("flood %s SYNs in %s s, max_flows %s: peak RSS %.1f MB (%.1f MB at start), %s evicted, captured %s, kernel drops %s" % (
        f.get("offered_packets"), f.get("seconds"), f.get("max_flows"), f.get("peak_rss_kb", 0) / 1024,
        f.get("start_rss_kb", 0) / 1024, f.get("evicted"), f.get("captured_packets"), f.get("pcap_dropped")))
    print("  real connection: reason %s, %s/%s bytes, %s/%s pkts, %s %s" % (
        f.get("real_reason"), f.get("real_client_bytes"), f.get("real_server_bytes"), f.get("real_client_pkts"),
        f.get("real_server_pkts"), f.get("real_conn_state"), f.get("real_history")))
    print("  evicted records: %s half-open (S0), %s others" % (f.get("evicted_half_open"), f.get("evicted_other")))
    print("  file output (rate_limit %s/s): %s lines, %s SUPPRESSED records summarising %s events; stdout (-o json) %s lines" % (
        f.get("rate_limit_per_s"), f.get("file_lines"), f.get("file_suppressed_records"), f.get("file_suppressed_events"),
        f.get("stdout_events")))
if "collide" in data:
    c = data["collide"]
    def ratio(a, b):
        return "%.1fx" % (c[a] / c[b]) if c.get(a) and c.get(b) else "-"
    print("collide %s SYNs aimed at one bucket vs random, max_flows %s, ns/packet:" % (c.get("pairs"), c.get("max_flows")))
    print("  old table (mix hash, -r key, chains): random %s, aimed %s (%s)" % (
        c.get("old_random_ns"), c.get("old_aimed_ns"), ratio("old_aimed_ns", "old_random_ns")))
    print("  new table (SipHash-1-3, bounded index): random %s, aimed at the old bucket %s (%s), at a new one with the key %s (%s)" % (
        c.get("new_random_ns"), c.get("new_aimed_old_ns"), ratio("new_aimed_old_ns", "new_random_ns"),
        c.get("new_aimed_new_ns"), ratio("new_aimed_new_ns", "new_random_ns")))
    print("  new, whole tracker: random %s, aimed with the key %s (%s)" % (
        c.get("tracker_random_ns"), c.get("tracker_aimed_new_ns"), ratio("tracker_aimed_new_ns", "tracker_random_ns")))
if rows:
    print("B/conn: (b), (c): peak RSS over a process with a 16-flow table, per slot of max_flows;")
    print("        open connections: the same over the connections tracked at the end.")
    print("vs (a): wall-clock rate over (a)'s; CPU vs (a): the same in CPU time (user + system),")
    print("        which counts both of -r's threads.")
if "offline" in summary:
    o = summary["offline"]
    print("(w) dd writing (b)'s %d bytes to the same file system: %.2f s; limit with output (a) + (w): %.2f s" % (
        o["write_b_bytes"]["bytes"], o["write_b_bytes"]["seconds"], o["limit_with_output_seconds"]))
    print("    benchtrack: tracking = (decode+track, all events) - decode; JSON an event =")
    print("    ((decode+track+JSON) - (decode+track), all events) x packets / events.")
    st = data.get("stages") or {}
    if st.get("hash_ns") is not None and st.get("decode_ns") is not None and st.get("track_all_ns") is not None:
        print("    Of the tracking, the keyed hash is %.1f ns ((decode+hash) - decode), which -r's reader" % (
            st["hash_ns"] - st["decode_ns"]))
        print("    thread does: %.1f ns a packet are left to the tracking thread." % (
            st["track_all_ns"] - st["hash_ns"]))
if targets:
    print()
    hdr = ("target (issue 16)", "want", "measured", "")
    w = [max(len(r[i]) for r in targets + [hdr]) for i in range(len(hdr))]
    for r in [hdr] + targets:
        print("  ".join(c.ljust(w[i]) if i in (0, 3) else c.rjust(w[i]) for i, c in enumerate(r)).rstrip())
print("summary: %s" % out)
EOF
