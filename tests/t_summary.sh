#!/usr/bin/env bash
# t_summary.sh - what -r says on standard error: the summary at the end
# (checked against the file's own CLOSED records), -q/--quiet without it, no
# progress line when stdout or stderr is not a terminal, and the progress
# line on a terminal (script(1) gives the run one).
. "$(dirname "$0")/lib.sh"

GEN=$PWD/$BUILD/tools/benchgen
"$GEN" -n 3000 -c 50 -s 7 -o "$TMP/small.pcap" >/dev/null || { fail summary_gen "benchgen failed"; exit 0; }

# --- the summary agrees with the events of the same run
"$TCPSTATED" -r "$TMP/small.pcap" -o json >"$TMP/small.json" 2>"$TMP/small.err"
rc=$?
if python3 - "$TMP/small.json" "$TMP/small.err" "$TMP/small.pcap" >"$TMP/why" 2>&1 <<'EOF'; then
import collections, ipaddress, json, re, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
err = open(sys.argv[2]).read()
closed = [e for e in evs if e["event"] == "CLOSED"]
abn = [e for e in closed if e["abnormal"]]
frames = 0
want = [
    r"^%s: \d+ frames, \d+ TCP packets in \d+\.\d s \(\d+ packets/s\)$" % re.escape(sys.argv[3]),
    r"^connections: \d+ opened, %d closed \(%d abnormal\)$" % (len(closed), len(abn)),
]
lines = err.splitlines()
for i, w in enumerate(want):
    assert re.match(w, lines[i]), "line %d %r does not match %r" % (i + 1, lines[i], w)
# Closed by reason, a rst split by who sent it.
name = lambda e: e["reason"] + ("_" + e["closed_by"] if e["reason"] == "rst" else "")
by = collections.Counter(name(e) for e in closed)
got = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+)", lines[2].split(":", 1)[1]))
assert lines[2].startswith("closed by reason:") and got == dict(by), (lines[2], by)
# Per server port: closed and abnormal.
assert lines[3].split() == ["port", "opened", "closed", "abnormal"], lines[3]
ports = {}
for l in lines[4:]:
    if l.startswith("top clients"):
        break
    f = l.split()
    ports[f[0]] = (int(f[-2]), int(f[-1]))
pc = collections.Counter(str(e["server_port"]) for e in closed)
pa = collections.Counter(str(e["server_port"]) for e in abn)
assert ports == {p: (pc[p], pa[p]) for p in pc}, (ports, pc, pa)
# Top talkers: most abnormal closes, then the lower address.
cnt = collections.Counter(e["client_ip"] for e in abn)
def key(ip):
    a = ipaddress.ip_address(ip)
    return (-cnt[ip], a.version, a.packed.ljust(16, b"\0"))
top = sorted(cnt, key=key)[:5]
want = "top clients by abnormal closes: " + ", ".join("%s %d" % (ip, cnt[ip]) for ip in top)
assert lines[-1] == want, (lines[-1], want)
assert "\r" not in err and "% read" not in err, "a progress line without a terminal"
print("ok", len(closed), "closed,", len(abn), "abnormal")
EOF
	[ $rc = 0 ] && pass summary_matches_events || fail summary_matches_events "rc=$rc"
else
	fail summary_matches_events "$(tail -n 3 "$TMP/why" | tr '\n' '|')"
fi

# --- -q and --quiet: standard error stays empty, the events are the same
for q in -q --quiet; do
	"$TCPSTATED" $q -r "$TMP/small.pcap" -o json >"$TMP/q.json" 2>"$TMP/q.err"
	[ $? = 0 ] && [ ! -s "$TMP/q.err" ] && cmp -s "$TMP/q.json" "$TMP/small.json" &&
		pass "summary_quiet${q//-/_}" || fail "summary_quiet${q//-/_}" "$(head -c 200 "$TMP/q.err")"
done

# --- a terminal: the progress line, about twice a second, then the summary
if ! command -v script >/dev/null; then
	skip summary_progress "script (util-linux) is not installed"
	exit 0
fi
"$GEN" -n 100000 -c 300 -s 7 -o "$TMP/big.pcap" >/dev/null || { fail summary_gen_big "benchgen failed"; exit 0; }
printf 'events = [ "CLOSED" ];\n' >"$TMP/closed.conf"
script -qec "'$TCPSTATED' -c '$TMP/closed.conf' -r '$TMP/big.pcap' -o text" "$TMP/tty" >/dev/null 2>&1
n=$(tr '\r' '\n' <"$TMP/tty" | grep -cE "^$TMP/big.pcap: +[0-9]{1,3}% read, [0-9]+ packets, [0-9]+ packets/s")
if [ "$n" -ge 1 ] && grep -q "^connections: [0-9]* opened, 100000 closed" "$TMP/tty"; then
	pass summary_progress_on_terminal
else
	fail summary_progress_on_terminal "$n progress lines: $(tail -c 300 "$TMP/tty" | tr '\r\n' '||')"
fi
# A terminal on stdout but not on stderr, and the other way round: no progress.
script -qec "'$TCPSTATED' -c '$TMP/closed.conf' -r '$TMP/big.pcap' -o text 2>'$TMP/tty.err'" "$TMP/tty2" >/dev/null 2>&1
script -qec "'$TCPSTATED' -c '$TMP/closed.conf' -r '$TMP/big.pcap' -o text >'$TMP/tty.out'" "$TMP/tty3" >/dev/null 2>&1
if ! grep -q "% read" "$TMP/tty.err" "$TMP/tty2" "$TMP/tty3" && grep -q "^connections: " "$TMP/tty.err" &&
    grep -q "^connections: " "$TMP/tty3"; then
	pass summary_no_progress_without_both_terminals
else
	fail summary_no_progress_without_both_terminals "$(grep -c "% read" "$TMP/tty.err" "$TMP/tty2" "$TMP/tty3" | tr '\n' ' ')"
fi
