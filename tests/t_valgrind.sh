#!/usr/bin/env bash
# tests/t_valgrind.sh - the pcap replay and the unit tests under valgrind
# memcheck: no invalid read or write, no use of uninitialised memory, no leak
# (definite or possible), and the same output and exit status as without it.
#
# Replays: the seed fixture and corpus captures chosen to cover every link
# layer decode knows (Ethernet with VLAN, QinQ, MPLS, PPPoE, FabricPath; Linux
# cooked; BSD loopback; raw IP; IPv6; pcapng; cut-off headers), in each
# output format. Under make asan (ASan binaries) valgrind cannot run: SKIP.
. "$(dirname "$0")/lib.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	skip valgrind "valgrind is not installed (make deps installs it)"
	exit 0
fi
if nm "$TCPSTATED" 2>/dev/null | grep -q __asan_init; then
	skip valgrind "$BUILD holds AddressSanitizer binaries; valgrind cannot run them"
	exit 0
fi

VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible"
printf '' >"$TMP/empty.conf"

# vg NAME COMMAND...: run COMMAND plain and under valgrind; same stdout, same
# status, and valgrind silent.
vg() {
	local name=$1 rc0 rc1
	shift
	"$@" >"$TMP/plain.out" 2>"$TMP/plain.err"
	rc0=$?
	$VG --log-file="$TMP/vg.log" "$@" >"$TMP/vg.out" 2>"$TMP/vg.err"
	rc1=$?
	if [ "$rc1" -eq 99 ] || [ -s "$TMP/vg.log" ]; then
		fail "$name" "valgrind: $(grep -m4 -E 'Invalid|uninitialised|definitely|possibly|at 0x|by 0x' "$TMP/vg.log" | tr -s ' ' | tr '\n' '|' | cut -c1-400)"
	elif [ "$rc1" -ne "$rc0" ]; then
		fail "$name" "exit status $rc1 under valgrind, $rc0 without"
	elif ! cmp -s "$TMP/plain.out" "$TMP/vg.out"; then
		fail "$name" "output differs under valgrind: $(diff "$TMP/plain.out" "$TMP/vg.out" | head -n 4 | tr '\n' '|')"
	else
		pass "$name"
	fi
}

P=$SHARED/corpus/pcaps
replays=(
	"seed:$SHARED/fixtures/seed-handshake-close.pcap"
	"vlan_mpls:$P/zeek__testing__btest__Traces__mixed-vlan-mpls.pcap"
	"pppoe_qinq:$P/zeek__testing__btest__Traces__pppoe-over-qinq.pcap"
	"fabricpath:$P/zeek__testing__btest__Traces__cisco-fabric-path.pcap"
	"linux_sll:$P/zeek__testing__btest__Traces__tls__irc-starttls.pcap"
	"bsd_null_ipv6:$P/zeek__testing__btest__Traces__http__connect-with-header.pcap"
	"raw_ipv4:$P/zeek__testing__btest__Traces__tcp-syslog.pcap"
	"ipv6:$P/suricata-verify__tests__community-id-ipv6__input.pcap"
	"pcapng:$P/zeek__testing__btest__Traces__tcp__retransmit-timeout.pcapng"
	"truncated_headers:$P/zeek__testing__btest__Traces__tcp__truncated-header.pcap"
	"duplicates:$P/zeek__testing__btest__Traces__tcp__ssh-dups.pcap"
)
formats=(json text ladder)
i=0
for r in "${replays[@]}"; do
	name=${r%%:*} file=${r#*:}
	if [ ! -f "$file" ]; then
		skip "valgrind_replay_$name" "$file is missing"
		continue
	fi
	fmt=${formats[$((i % 3))]}
	i=$((i + 1))
	vg "valgrind_replay_${name}_$fmt" "$TCPSTATED" -c "$TMP/empty.conf" -o "$fmt" -r "$file"
done
# A file that is not a capture, and one cut in the middle of a record.
head -c 3000 "$P/zeek__testing__btest__Traces__http__get.pcap" >"$TMP/cut.pcap"
vg valgrind_replay_cut_file "$TCPSTATED" -c "$TMP/empty.conf" -r "$TMP/cut.pcap"
vg valgrind_replay_not_a_capture "$TCPSTATED" -c "$TMP/empty.conf" -r "$TMP/empty.conf"
# The configuration check, with the example config.
[ -f conf/tcpstated.conf ] && vg valgrind_check_config "$TCPSTATED" -t -c conf/tcpstated.conf

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && [ "${t%.d}" = "$t" ] || continue
	vg "valgrind_$(basename "$t")" "$t"
done
