#!/usr/bin/env bash
# t_output_journal.sh - the journal output read back from a real journald.
#
# The test runs in a private mount namespace with its own /run/systemd,
# /run/log and /var/log/journal (tmpfs), starts /lib/systemd/systemd-journald
# there by hand, and queries it with journalctl: fields, MESSAGE_IDs,
# PRIORITY, MESSAGE, -p warning, the rate-limit summary, a burst of 1000
# records without loss, journald going away and coming back, journald absent
# (sd_journal_sendv(3) says nothing then: the drops must still be counted),
# and a stopped journald (said, and no hang at close). Every entry carries the
# CODE_FUNC that sd-journal.h's sd_journal_sendv adds: the entries come from
# the library. It also checks the diagnostics' sd-daemon "<N>" prefix under
# JOURNAL_STREAM.
if [ -z "${TCPSTATED_JOURNAL_NS:-}" ] && unshare -m --propagation private true 2>/dev/null; then
	TCPSTATED_JOURNAL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

DRIVE=$PWD/$BUILD/tools/outdrive
JOURNALD=/lib/systemd/systemd-journald
[ -x "$DRIVE" ] || { fail outdrive "$DRIVE not built"; exit 1; }
[ -x "$JOURNALD" ] || { skip journald "$JOURNALD is not installed (Debian systemd)"; exit 0; }
[ -n "${TCPSTATED_JOURNAL_NS:-}" ] || { skip journald "cannot make a private mount namespace (unshare -m) for a test journald"; exit 0; }
T0=1718961975123456
# Only the journald this test started is ever killed: its pid is in this file.
trap '[ -s "$TMP/journald.pid" ] && kill -CONT "$(cat "$TMP/journald.pid")" 2>/dev/null &&
	kill "$(cat "$TMP/journald.pid")" 2>/dev/null; sleep 0.1; rm -rf "$TMP"' EXIT

for d in /run/systemd /run/log /var/log/journal; do
	mkdir -p "$d" && mount -t tmpfs -o mode=0755 tcpstated-test "$d" ||
		{ fail journald_namespace "cannot mount a tmpfs on $d"; exit 1; }
done

start_journald() {
	"$JOURNALD" >>"$TMP/journald.out" 2>&1 &
	echo $! >"$TMP/journald.pid"
	for _ in $(seq 100); do
		[ -S /run/systemd/journal/socket ] && return 0
		sleep 0.05
	done
	return 1
}

# jcount MATCH...: entries journalctl finds for tcpstated with these matches.
jcount() {
	journalctl --no-pager -q -t tcpstated "$@" -o json 2>/dev/null | wc -l
}

# stop_journald: kill the test's journald and wait until it is gone (its socket stays).
stop_journald() {
	kill "$(cat "$TMP/journald.pid")"
	for _ in $(seq 100); do kill -0 "$(cat "$TMP/journald.pid")" 2>/dev/null || break; sleep 0.05; done
}


# wait_entries N MATCH...: until journalctl finds N entries.
has_entries() { local n=$1; shift; [ "$(jcount "$@")" -ge "$n" ]; }
wait_entries() { wait_for 5 has_entries "$@"; }

if ! start_journald; then
	fail journald_start "$(tr '\n' ' ' <"$TMP/journald.out")"
	exit 1
fi
pass journald_start

# --- Every type, with the text lines on stdout to compare MESSAGE against
{
	echo "ts $T0"; echo "emit mix 8"; echo "reason rst"; echo "emit CLOSED 1"
	echo "family 6"; echo "emit RST 1"; echo "await journal 10 5000"
} | "$DRIVE" -o text -s journal=on -s journal.events=all >"$TMP/text" 2>"$TMP/err1"
wait_entries 10 || fail journal_entries "journalctl finds $(jcount) entries, want 10"
journalctl --no-pager -q -t tcpstated -o json >"$TMP/all.json"
python3 - "$TMP/all.json" "$TMP/text" <<'EOF' >"$TMP/check1"
import json, sys
ids = {
    "SYN": "f6616e9b93d147d6b2f280b170a09a5c", "SYN_ACK": "dfe9ddccb1064e949fe2b940f36bff1f",
    "ESTABLISHED": "eb186b77f3984be89d954ae466322ff4", "FIN": "551736fae39a4595b9300653d28faee3",
    "RST": "bba929eb9fdb44f2af8b84d1b4564fd8", "TIME_WAIT": "62719ae2ef4845b1ba82ffee328d95cd",
    "STATE": "f785adb3368b404c948578a400676daa", "CLOSED": "fef4ffb9c0334322b9ab83bc5a7c4ef7",
}
common = ["TCPSTATE_EVENT", "TCPSTATE_FLOW", "TCPSTATE_BY", "TCPSTATE_CLIENT_IP",
          "TCPSTATE_CLIENT_PORT", "TCPSTATE_SERVER_IP", "TCPSTATE_SERVER_PORT",
          "TCPSTATE_CLIENT_STATE", "TCPSTATE_SERVER_STATE"]
closed = ["TCPSTATE_REASON", "TCPSTATE_ABNORMAL", "TCPSTATE_CLOSED_BY", "TCPSTATE_DURATION",
          "TCPSTATE_LIFETIME",
          "TCPSTATE_CLIENT_BYTES", "TCPSTATE_SERVER_BYTES", "TCPSTATE_CLIENT_PKTS",
          "TCPSTATE_SERVER_PKTS", "TCPSTATE_PARTIAL", "TCPSTATE_CONN_STATE", "TCPSTATE_HISTORY"]
entries = [json.loads(l) for l in open(sys.argv[1])]
texts = [l.rstrip("\n").split(" ", 1)[1] for l in open(sys.argv[2])]
bad = []
if len(entries) != 10 or len(texts) != 10:
    bad.append("entries %d texts %d" % (len(entries), len(texts)))
for e, t in zip(entries, texts):
    ev = e.get("TCPSTATE_EVENT")
    want = common + (closed if ev == "CLOSED" else []) + \
        (["TCPSTATE_MSS", "TCPSTATE_WSCALE", "TCPSTATE_SACK_OK", "TCPSTATE_TSOPT"] if ev == "SYN" else []) + \
        (["TCPSTATE_MSS"] if ev == "SYN_ACK" else [])
    got = sorted(k for k in e if k.startswith("TCPSTATE_"))
    if got != sorted(want):
        bad.append("%s fields %s" % (ev, got))
    if e.get("MESSAGE_ID") != ids.get(ev):
        bad.append("%s MESSAGE_ID %s" % (ev, e.get("MESSAGE_ID")))
    prio = "4" if ev == "RST" or (ev == "CLOSED" and e.get("TCPSTATE_ABNORMAL") == "true") else \
        "7" if ev == "STATE" else "6"
    if e.get("PRIORITY") != prio:
        bad.append("%s PRIORITY %s want %s" % (ev, e.get("PRIORITY"), prio))
    if e.get("MESSAGE") != t:
        bad.append("MESSAGE %r != text %r" % (e.get("MESSAGE"), t))
    if e.get("SYSLOG_IDENTIFIER") != "tcpstated" or e.get("_TRANSPORT") != "journal":
        bad.append("%s identifier/transport" % ev)
    if e.get("CODE_FUNC") != "out_journal_send_cb" or not e.get("CODE_FILE", "").endswith("out_journal.c"):
        bad.append("%s not from sd_journal_sendv in out_journal_send_cb: %s %s" % (ev, e.get("CODE_FILE"), e.get("CODE_FUNC")))
print("\n".join(bad) if bad else "ok")
EOF
[ "$(cat "$TMP/check1")" = ok ] && pass journal_fields_ids_priority_message ||
	fail journal_fields_ids_priority_message "$(head -n 5 "$TMP/check1" | tr '\n' '|')"

# The queries an operator types.
journalctl --no-pager -q -t tcpstated TCPSTATE_EVENT=RST -o json >"$TMP/rst.json"
got=$(python3 -c '
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%s/%s/%s/%s" % (x["TCPSTATE_EVENT"], x["PRIORITY"], x["TCPSTATE_CLIENT_IP"], x["TCPSTATE_SERVER_PORT"]) for x in e))' "$TMP/rst.json")
[ "$got" = "RST/4/10.0.0.4/5432 RST/4/2001:db8::9/5432" ] && pass journalctl_event_rst ||
	fail journalctl_event_rst "$got"
got=$(journalctl --no-pager -q -t tcpstated -p warning -o json |
	python3 -c 'import json,sys; print(" ".join(json.loads(l)["TCPSTATE_EVENT"] for l in sys.stdin))')
[ "$got" = "RST CLOSED RST" ] && pass journalctl_priority_warning || fail journalctl_priority_warning "$got"
got=$(journalctl --no-pager -q -t tcpstated TCPSTATE_EVENT=CLOSED TCPSTATE_REASON=rst -o json |
	python3 -c 'import json,sys; print(" ".join(json.loads(l)["TCPSTATE_CLOSED_BY"] + "/" + json.loads(l)["TCPSTATE_CONN_STATE"] for l in sys.stdin))')
[ "$got" = "server/RSTR" ] && pass journalctl_closed_reason || fail journalctl_closed_reason "$got"

# A stop or restart reports every open connection CLOSED with reason
# shutdown: at info, so that `journalctl -p warning` does not get one line
# per connection (the daemon logs one summary warning instead).
{ echo "ts $((T0 + 50000000))"; echo "reason shutdown"; echo "emit CLOSED 3"; echo "await journal 3 5000"; } |
	"$DRIVE" -s journal=on -s journal.events=all >/dev/null 2>"$TMP/err-shutdown"
wait_entries 3 TCPSTATE_REASON=shutdown
got=$(journalctl --no-pager -q -t tcpstated TCPSTATE_REASON=shutdown -o json |
	python3 -c 'import json,sys; print(" ".join(json.loads(l)["PRIORITY"] for l in sys.stdin))')
warn=$(journalctl --no-pager -q -t tcpstated -p warning TCPSTATE_REASON=shutdown -o json | grep -c '')
[ "$got" = "6 6 6" ] && [ "$warn" = 0 ] && pass journal_shutdown_closes_info ||
	fail journal_shutdown_closes_info "priorities: $got; -p warning: $warn"

# --- Rate limit: one SUPPRESSED entry per window that went over
{
	echo "ts $((T0 + 100000000))"; echo "step 10000"; echo "emit RST 7"; echo "emit CLOSED 2"
	echo "tick $((T0 + 111000000))"; echo "await journal 6 5000"
} | "$DRIVE" -s journal=on -s journal.rate_limit=5 -s journal.rate_interval=10 2>"$TMP/err2"
wait_entries 1 TCPSTATE_EVENT=SUPPRESSED
journalctl --no-pager -q -t tcpstated TCPSTATE_EVENT=SUPPRESSED -o json |
	python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    print(e["MESSAGE_ID"], e["PRIORITY"], e["TCPSTATE_SUPPRESSED"], e["TCPSTATE_WINDOW"],
          e["TCPSTATE_SUPPRESSED_TYPES"], "|" + e["MESSAGE"] + "|")' >"$TMP/sup.got"
echo "361663c4e2bf4b5a877a6103976ce360 4 4 10 RST:2,CLOSED:2 |suppressed 4 events in 10 s (RST 2, CLOSED 2)|" >"$TMP/sup.want"
same_file journal_suppressed_summary "$TMP/sup.want" "$TMP/sup.got"

# --- A burst of 1000 records at once reaches journald whole: queued, not dropped, not blocking
before=$(jcount)
start=$(date +%s%N)
{ echo "emit RST 1000"; echo "stats"; echo "await journal 1000 10000"; } |
	"$DRIVE" -s journal=on 2>"$TMP/err3"
wait_entries $((before + 1000))
after=$(jcount)
grep -q '^stats journal written=1000 filtered=0 suppressed=0 dropped=0 ' "$TMP/err3" &&
	[ $((after - before)) = 1000 ] && pass journal_burst_no_loss ||
	fail journal_burst_no_loss "journalctl has $((after - before)) new; $(grep '^stats journal' "$TMP/err3" | tail -n 1)"

# --- journald goes away (its socket stays, refusing) and comes back
stop_journald
before=$(jcount)
stream=$(stat -c '%d:%i' "$TMP" 2>/dev/null)
{
	echo "emit RST 40"; echo "sleep 300"; echo "tick $((T0 + 200000000))"; echo "sync $TMP/gone.s1"
	wait_for 10 test -e "$TMP/gone.s1"
	start_journald >/dev/null
	echo "await journal 40 5000"; echo "tick $((T0 + 201000000))"
} | "$DRIVE" -s journal=on 2>"$TMP/err4"
[ "$(grep -c 'journal output suspended: cannot send to /run/systemd/journal/socket: Connection refused' "$TMP/err4")" = 1 ] &&
	pass journal_absent_said_once || fail journal_absent_said_once "$(tr '\n' '|' <"$TMP/err4")"
grep -q 'journal output resumed, 0 records dropped' "$TMP/err4" && pass journal_absent_resumed ||
	fail journal_absent_resumed "$(tr '\n' '|' <"$TMP/err4")"
wait_entries $((before + 40)) && [ $(($(jcount) - before)) = 40 ] && pass journal_queue_delivered ||
	fail journal_queue_delivered "$(($(jcount) - before)) of 40 queued records in the journal"

# --- No journald at all (no socket): sd_journal_sendv would return 0 for
# every record. Records queue (1024), the rest drop, counted and said; when
# journald appears the queue is delivered and the recovery names the count.
stop_journald
rm -f /run/systemd/journal/socket
before=$(jcount)
{
	echo "emit RST 1100"; echo "sleep 300"; echo "tick $((T0 + 300000000))"; echo "stats"
	echo "sync $TMP/none.s1"
	wait_for 10 test -e "$TMP/none.s1"
	start_journald >/dev/null
	echo "await journal 1100 5000"; echo "tick $((T0 + 301000000))"
} | "$DRIVE" -s journal=on 2>"$TMP/err5"
[ "$(grep -c 'journal output suspended: cannot send to /run/systemd/journal/socket: No such file or directory' "$TMP/err5")" = 1 ] &&
	pass journal_none_said_once || fail journal_none_said_once "$(tr '\n' '|' <"$TMP/err5")"
[ "$(grep '^stats journal' "$TMP/err5" | head -n 1 | cut -d' ' -f3,6)" = "written=0 dropped=76" ] &&
	pass journal_none_not_silent || fail journal_none_not_silent "$(grep '^stats journal' "$TMP/err5" | head -n 1)"
grep -q 'journal output resumed, 76 records dropped' "$TMP/err5" &&
	grep -q '^stats journal written=1024 filtered=0 suppressed=0 dropped=76 ' "$TMP/err5" &&
	pass journal_none_resumed_counted || fail journal_none_resumed_counted "$(tr '\n' '|' <"$TMP/err5")"
wait_entries $((before + 1024)) && [ $(($(jcount) - before)) = 1024 ] && pass journal_none_queue_delivered ||
	fail journal_none_queue_delivered "$(($(jcount) - before)) of 1024 queued records in the journal"

# --- Diagnostics: "<N>" priority prefix only when stderr is JOURNAL_STREAM's
# stream; and what is still queued when the output closes is counted
stop_journald
rm -f /run/systemd/journal/socket
: >"$TMP/diag"
printf 'emit RST 3\nsleep 200\ntick\n' |
	JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/diag") "$DRIVE" -s journal=on 2>>"$TMP/diag"
grep -q '^<4>journal output suspended: cannot send to /run/systemd/journal/socket: No such file or directory' "$TMP/diag" &&
	pass log_journal_stream_prefix || fail log_journal_stream_prefix "$(head -n 2 "$TMP/diag" | tr '\n' '|')"
grep -q '^<4>journal output: 3 queued records not delivered at close' "$TMP/diag" &&
	pass journal_none_close_counted || fail journal_none_close_counted "$(tr '\n' '|' <"$TMP/diag")"
printf 'emit RST 1\nsleep 200\ntick\n' |
	JOURNAL_STREAM=$stream "$DRIVE" -s journal=on 2>"$TMP/diag2"
grep -q '^outdrive: journal output suspended: ' "$TMP/diag2" && ! grep -q '^<' "$TMP/diag2" &&
	pass log_plain_prefix || fail log_plain_prefix "$(head -n 2 "$TMP/diag2" | tr '\n' '|')"

# --- A stopped journald: its socket queue fills and sd_journal_sendv blocks,
# in the sender thread only. That is said after a second; at close the stuck
# send is cancelled after a second without progress, the rest counted.
if ! start_journald; then
	fail journald_restart "$(tail -n 3 "$TMP/journald.out" | tr '\n' ' ')"
	exit 1
fi
kill -STOP "$(cat "$TMP/journald.pid")"
start=$SECONDS
{ echo "emit RST 200"; echo "sleep 1300"; echo "tick $((T0 + 400000000))"; echo "stats"; } |
	"$DRIVE" -s journal=on 2>"$TMP/err6"
took=$((SECONDS - start))
kill -CONT "$(cat "$TMP/journald.pid")"
grep -q 'journal output suspended: /run/systemd/journal/socket is not reading (a send has waited 1 s)' "$TMP/err6" &&
	pass journal_stuck_said || fail journal_stuck_said "$(tr '\n' '|' <"$TMP/err6")"
grep -qE '^outdrive: journal output: 1[0-9][0-9] queued records not delivered at close' "$TMP/err6" && [ "$took" -le 5 ] &&
	pass journal_stuck_close_bounded || fail journal_stuck_close_bounded "${took}s; $(tr '\n' '|' <"$TMP/err6")"
