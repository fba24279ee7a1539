#!/usr/bin/env bash
# t_output_file.sh - the log file and standard output, driven by
# build/tools/outdrive: whole JSON lines, size rotation without loss, keep,
# external logrotate + reopen, a full disk (suspend, count, resume), refused
# paths, reconfiguration, rate-limit summaries, standard output and EPIPE,
# and the same bytes through -r's writer thread (outdrive -R).
. "$(dirname "$0")/lib.sh"

DRIVE=$PWD/$BUILD/tools/outdrive
[ -x "$DRIVE" ] || { fail outdrive "$DRIVE not built"; exit 1; }
trap 'umount "$TMP/full" 2>/dev/null; rm -rf "$TMP"' EXIT
T0=1718961975123456

# jsonl FILE...: every line of every file is one JSON object; prints the line count.
jsonl() {
	python3 - "$@" <<'EOF'
import json, sys
n = 0
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        sys.exit("%s: last line is not whole" % path)
    for i, line in enumerate(data.splitlines()):
        try:
            obj = json.loads(line)
        except ValueError as e:
            sys.exit("%s:%d: not JSON (%s): %r" % (path, i + 1, e, line[:80]))
        if not isinstance(obj, dict) or "event" not in obj or "ts" not in obj:
            sys.exit("%s:%d: not an event record" % (path, i + 1))
        n += 1
print(n)
EOF
}

# stat_of STDERR_FILE KIND FIELD: a counter from outdrive's final stats line.
stat_of() {
	grep "^stats $2 " "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# --- JSON Lines: every type, whole lines, the same records on stdout (-o json)
D=$TMP/basic; mkdir -p "$D"
printf 'emit mix 800\nfamily 6\nemit mix 80\n' |
	"$DRIVE" -o json -s file="$D/ev.json" >"$D/stdout" 2>"$D/err"
n=$(jsonl "$D/ev.json" 2>&1)
[ "$n" = 880 ] && pass file_json_lines || fail file_json_lines "got $n"
cmp -s "$D/ev.json" "$D/stdout" && pass stdout_same_records || fail stdout_same_records "stdout differs from the file"
[ "$(stat_of "$D/err" file written)" = 880 ] && [ "$(stat_of "$D/err" stdout written)" = 880 ] &&
	pass file_stats_written || fail file_stats_written "$(grep ^stats "$D/err" | tr '\n' '|')"
got=$(python3 -c '
import json, sys
types = [json.loads(l)["event"] for l in open(sys.argv[1])]
print(",".join(sorted(set(types))))' "$D/ev.json")
[ "$got" = "CLOSED,ESTABLISHED,FIN,RST,STATE,SYN,SYN_ACK,TIME_WAIT" ] &&
	pass file_every_type || fail file_every_type "$got"
[ "$(stat -c %a "$D/ev.json")" = 640 ] && pass file_mode_default || fail file_mode_default "$(stat -c %a "$D/ev.json")"

# Appending to what is there, with the configured mode for a new file.
printf 'emit RST 3\n' | "$DRIVE" -s file="$D/ev.json" 2>/dev/null
printf 'emit RST 3\n' | "$DRIVE" -s file="$D/new.json" -s file.mode=0600 2>/dev/null
[ "$(wc -l <"$D/ev.json")" = 883 ] && pass file_appends || fail file_appends "$(wc -l <"$D/ev.json") lines"
[ "$(stat -c %a "$D/new.json")" = 600 ] && pass file_mode_config || fail file_mode_config "$(stat -c %a "$D/new.json")"

# Text format: one readable line per event.
printf 'emit mix 16\n' | "$DRIVE" -s file="$D/ev.txt" -s file.format=text 2>/dev/null
bad=$(grep -cvE '^20[0-9-]{8}T[0-9:]{8}\.[0-9]{6}Z C[0-9A-Za-z]+ +[A-Z_]+ +[0-9.]+:[0-9]+ [<>-] [0-9.]+:[0-9]+  ' "$D/ev.txt")
[ "$(wc -l <"$D/ev.txt")" = 16 ] && [ "$bad" = 0 ] && pass file_text_lines ||
	fail file_text_lines "$bad lines of $(wc -l <"$D/ev.txt") do not look like text records"

# --- Size rotation under load: nothing lost, nothing out of order, sizes kept
D=$TMP/rot; mkdir -p "$D"
printf 'step 7\nemit mix 20000\n' |
	"$DRIVE" -s file="$D/ev.json" -s file.max_size=262144 -s file.keep=60 2>"$D/err"
files=$(ls "$D"/ev.json* | wc -l)
order=$(for i in $(seq 60 -1 1); do [ -f "$D/ev.json.$i" ] && echo "$D/ev.json.$i"; done; echo "$D/ev.json")
n=$(jsonl $order 2>&1)
[ "$n" = 20000 ] && pass rotation_no_loss || fail rotation_no_loss "$n records in $files files"
rot=$(stat_of "$D/err" file rotations)
[ "$rot" = $((files - 1)) ] && [ "$files" -gt 10 ] && pass rotation_count ||
	fail rotation_count "rotations=$rot files=$files"
big=$(find "$D" -name 'ev.json*' -size +262144c | wc -l)
[ "$big" = 0 ] && pass rotation_size_cap || fail rotation_size_cap "$big files over max_size"
inorder=$(python3 -c '
import json, sys
ts = [json.loads(l)["ts"] for p in sys.argv[1:] for l in open(p)]
print("yes" if ts == sorted(ts) and len(set(ts)) == len(ts) else "no")' $order)
[ "$inorder" = yes ] && pass rotation_order || fail rotation_order "records out of order across files"

# keep = 2: only ev.json, .1, .2 remain, and the newest records are in ev.json.
D=$TMP/keep; mkdir -p "$D"
printf 'emit mix 3000\n' | "$DRIVE" -s file="$D/ev.json" -s file.max_size=65536 -s file.keep=2 2>/dev/null
[ "$(ls "$D")" = "$(printf 'ev.json\nev.json.1\nev.json.2')" ] && pass rotation_keep ||
	fail rotation_keep "$(ls "$D" | tr '\n' ' ')"
last=$(tail -n 1 "$D/ev.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ts"])')
[ "$last" = "2024-06-21T09:26:18.122456Z" ] && pass rotation_newest_last || fail rotation_newest_last "$last"

# keep = 0: the full file is deleted, never truncated in place, and no .1 appears.
D=$TMP/keep0; mkdir -p "$D"
printf 'emit mix 3000\n' | "$DRIVE" -s file="$D/ev.json" -s file.max_size=65536 -s file.keep=0 2>"$TMP/keep0.err"
n=$(jsonl "$D/ev.json" 2>&1)
[ "$(ls "$D")" = ev.json ] && [ "$(stat_of "$TMP/keep0.err" file rotations)" -gt 5 ] && [ "$n" -gt 0 ] &&
	[ "$(stat -c %s "$D/ev.json")" -le 65536 ] && pass rotation_keep0 ||
	fail rotation_keep0 "$(ls "$D" | tr "\n" " ") $(grep "^stats file" "$TMP/keep0.err")"

# --- External logrotate: mv, then reopen (SIGUSR1/SIGHUP in the daemon)
D=$TMP/logrotate; mkdir -p "$D"
{
	echo "emit mix 1000"; echo "sync $D/s1"
	while [ ! -e "$D/s1" ]; do sleep 0.05; done
	mv "$D/ev.json" "$D/ev.json.old"
	echo "emit mix 500"; echo reopen; echo "emit mix 700"
} | "$DRIVE" -s file="$D/ev.json" 2>"$D/err"
a=$(jsonl "$D/ev.json.old" 2>&1); b=$(jsonl "$D/ev.json" 2>&1)
[ "$a" = 1500 ] && [ "$b" = 700 ] && pass reopen_after_logrotate || fail reopen_after_logrotate "old=$a new=$b"

# --- The same mv with no signal: the next tick notices and reopens, saying so once
D=$TMP/moved; mkdir -p "$D"
{
	echo "emit mix 1000"; echo "sync $D/s1"
	while [ ! -e "$D/s1" ]; do sleep 0.05; done
	mv "$D/ev.json" "$D/ev.json.old"
	echo "emit mix 500"; echo "tick"; echo "emit mix 700"; echo "tick"; echo "sync $D/s2"
	while [ ! -e "$D/s2" ]; do sleep 0.05; done
	rm "$D/ev.json"
	echo "emit mix 40"; echo "tick"; echo "emit mix 60"
} | "$DRIVE" -s file="$D/ev.json" 2>"$D/err"
a=$(jsonl "$D/ev.json.old" 2>&1); b=$(jsonl "$D/ev.json" 2>&1)
said=$(grep -c "was moved or removed without a signal; reopened it" "$D/err")
[ "$a" = 1500 ] && [ "$b" = 60 ] && [ "$said" = 2 ] && pass reopen_moved_unsignalled ||
	fail reopen_moved_unsignalled "old=$a new=$b said=$said $(tr '\n' '|' <"$D/err")"

# --- Refused paths at start: a missing directory, a symbolic link
"$DRIVE" -s file="$TMP/nonexistent/ev.json" </dev/null 2>"$TMP/err.missing"
rc=$?
[ "$rc" = 1 ] && grep -q "file output: cannot open $TMP/nonexistent/ev.json: No such file or directory" "$TMP/err.missing" &&
	pass file_open_missing_dir || fail file_open_missing_dir "rc=$rc $(cat "$TMP/err.missing")"
ln -s /etc/passwd "$TMP/link.json"
"$DRIVE" -s file="$TMP/link.json" </dev/null 2>"$TMP/err.link"
rc=$?
[ "$rc" = 1 ] && grep -q "is a symbolic link" "$TMP/err.link" && cmp -s /etc/passwd "$TMP/link.json" &&
	pass file_symlink_refused || fail file_symlink_refused "rc=$rc $(cat "$TMP/err.link")"

# A symbolic link planted at the path before a reopen: suspended, records kept
# in the buffer, resumed by a tick a second later once the link is gone.
D=$TMP/plant; mkdir -p "$D"
{
	echo "emit RST 10"; echo flush; echo "sync $D/s1"
	while [ ! -e "$D/s1" ]; do sleep 0.05; done
	mv "$D/ev.json" "$D/ev.json.1"; ln -s /etc/passwd "$D/ev.json"
	echo reopen; echo "emit RST 20"; echo "tick $((T0 + 100000000))"; echo "sync $D/s2"
	while [ ! -e "$D/s2" ]; do sleep 0.05; done
	rm "$D/ev.json"
	echo "tick $((T0 + 100500000))"; echo "tick $((T0 + 101100000))"; echo "emit RST 5"
} | "$DRIVE" -s file="$D/ev.json" 2>"$D/err"
a=$(jsonl "$D/ev.json.1" 2>&1); b=$(jsonl "$D/ev.json" 2>&1)
[ "$a" = 10 ] && [ "$b" = 25 ] && [ "$(grep -c 'file output suspended: cannot open .*symbolic link' "$D/err")" = 1 ] &&
	[ "$(grep -c 'file output resumed: .*, 0 records dropped' "$D/err")" = 1 ] &&
	pass reopen_refused_then_resumed || fail reopen_refused_then_resumed "old=$a new=$b $(tr '\n' '|' <"$D/err")"

# --- A full disk: suspend once, count the drops, never half a line, resume
D=$TMP/full; mkdir -p "$D"
if mount -t tmpfs -o size=256k tcpstated-test "$D" 2>"$TMP/mount.err"; then
	dd if=/dev/zero of="$D/ballast" bs=4096 count=60 status=none 2>/dev/null
	{
		echo "emit CLOSED 2000"; echo flush; echo "sync $TMP/full.s1"
		while [ ! -e "$TMP/full.s1" ]; do sleep 0.05; done
		rm -f "$D/ballast"
		echo "tick $((T0 + 100000000))"; echo "tick $((T0 + 100400000))"
		echo "tick $((T0 + 101000000))"; echo "emit CLOSED 10"
	} | "$DRIVE" -s file="$D/ev.json" 2>"$TMP/full.err"
	n=$(jsonl "$D/ev.json" 2>&1)
	dropped=$(stat_of "$TMP/full.err" file dropped)
	written=$(stat_of "$TMP/full.err" file written)
	said=$(grep -c 'file output suspended: cannot write .*No space left on device' "$TMP/full.err")
	resumed=$(sed -n 's/.*file output resumed: .*, \([0-9]*\) records dropped/\1/p' "$TMP/full.err")
	case $n in *[!0-9]*|'') fail full_disk_whole_lines "$n" ;; *) pass full_disk_whole_lines ;; esac
	[ "$said" = 1 ] && pass full_disk_said_once || fail full_disk_said_once "said $said times: $(tr '\n' '|' <"$TMP/full.err")"
	[ -n "$resumed" ] && [ "$resumed" = "$dropped" ] && [ "$dropped" -gt 0 ] && pass full_disk_resumed ||
		fail full_disk_resumed "resumed='$resumed' dropped=$dropped"
	[ "$n" = "$written" ] && [ $((n + dropped)) = 2010 ] && pass full_disk_counted ||
		fail full_disk_counted "lines=$n written=$written dropped=$dropped (want lines+dropped=2010)"
	[ "$(tail -n 1 "$D/ev.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_port"])')" = 34777 ] &&
		pass full_disk_writes_after || fail full_disk_writes_after "the last record is not the last emitted"
	umount "$D"
else
	skip full_disk "cannot mount a tmpfs: $(cat "$TMP/mount.err")"
fi

# --- -r's writer thread (outdrive -R, as outputs_start() with replay): the
# same files, counters and diagnostics as without it, through rotation, a
# full disk (the failure met by the writer, then a resume on a tick) and a
# standard output that cannot be written. Each run is made twice, the second
# with -R, and every file of its directory must match.
# writer_same NAME SETUP SCRIPT [OUTDRIVE-ARGS...]: SETUP prepares $D (and
# says whether it can), SCRIPT writes the commands; "@D@" in an argument is $D.
# Standard output goes to $WRITER_OUT if set.
writer_same() {
	local name=$1 setup=$2 script=$3 mode a
	shift 3
	for mode in plain R; do
		D=$TMP/writer-$name-$mode; mkdir -p "$D"
		$setup || { skip "writer_$name" "$(cat "$TMP/mount.err")"; return; }
		a=("${@//@D@/$D}")
		[ $mode = R ] && a=(-R "${a[@]}")
		$script | "$DRIVE" "${a[@]}" >"${WRITER_OUT:-$D.out}" 2>"$D.err"
		echo "rc=$?" >>"$D.err"
		sed -i "s|$D|D|g" "$D.err"
		(cd "$D" && for f in * ../"${D##*/}".out ../"${D##*/}".err; do
			[ -f "$f" ] && md5sum "$f"; done) | sed "s|$mode|MODE|" >"$D.sums"
		mountpoint -q "$D" && umount "$D"
	done
	same_file "writer_$name" "$TMP/writer-$name-plain.sums" "$TMP/writer-$name-R.sums"
}
writer_dir() { :; }
writer_tmpfs() { mount -t tmpfs -o size=256k tcpstated-test "$D" 2>"$TMP/mount.err"; }
writer_big() { printf 'family 6\nemit mix 4000\nfamily 4\nemit mix 20000\n'; }
writer_rot() { printf 'step 7\nemit mix 20000\nflush\nemit mix 3000\n'; }
writer_full() {
	dd if=/dev/zero of="$D/ballast" bs=4096 count=30 status=none 2>/dev/null
	echo "emit mix 6000"; echo flush; echo "sync $D/s1"
	while [ ! -e "$D/s1" ]; do sleep 0.05; done
	rm -f "$D/ballast" "$D/s1"
	echo "tick $((T0 + 100000000))"; echo "tick $((T0 + 101000000))"; echo "emit mix 3000"
}
writer_same big writer_dir writer_big -o json -s file=@D@/ev.json
writer_same rotation writer_dir writer_rot -s file=@D@/ev.json -s file.max_size=262144 -s file.keep=60
writer_same rotation_keep0 writer_dir writer_rot -o text -s file=@D@/ev.json -s file.max_size=65536 -s file.keep=0
writer_same full_disk writer_tmpfs writer_full -s file=@D@/ev.json
writer_same full_disk_rotation writer_tmpfs writer_full -s file=@D@/ev.json -s file.max_size=98304 -s file.keep=1
WRITER_OUT=/dev/full writer_same stdout_full writer_dir writer_big -o json -s file=@D@/ev.json -s file.format=text
E=$TMP/writer-full_disk-R.err
grep -q 'file output suspended: cannot write D/ev.json: No space left on device' "$E" &&
	grep -q 'file output resumed: D/ev.json, [1-9][0-9]* records dropped' "$E" &&
	pass writer_full_disk_said || fail writer_full_disk_said "$(tr '\n' '|' <"$E")"

# --- Reconfigure: a path that cannot be opened keeps the old file
D=$TMP/reconf; mkdir -p "$D"
printf 'emit RST 5\nreconfigure file=%s/no/such/dir.json\nemit RST 6\nreconfigure file=%s/b.json file.format=text\nemit RST 7\n' "$D" "$D" |
	"$DRIVE" -s file="$D/a.json" 2>"$D/err"
grep -q "reconfigure failed: file output: cannot open $D/no/such/dir.json: No such file or directory; still writing $D/a.json" "$D/err" &&
	[ "$(jsonl "$D/a.json")" = 11 ] && [ "$(wc -l <"$D/b.json")" = 7 ] && grep -q 'reconfigure ok' "$D/err" &&
	! grep -q '^{' "$D/b.json" && pass reconfigure_path || fail reconfigure_path "$(tr '\n' '|' <"$D/err")"

# Masks and limits change on a running output; a window still open at close is summarised.
printf 'emit mix 8\nreconfigure file.events=CLOSED,SYN file.rate_limit=2\nemit mix 24\n' |
	"$DRIVE" -s file="$D/mask.json" -s file.events=RST 2>"$D/err2"
got=$(python3 -c '
import json, sys
print(" ".join(json.loads(l)["event"] + ("=%d/%d" % (json.loads(l)["suppressed"], json.loads(l)["window"]) if "suppressed" in json.loads(l) else "") for l in open(sys.argv[1])))' "$D/mask.json")
[ "$got" = "RST SYN CLOSED SUPPRESSED=4/1" ] && grep -q '^stats file written=3 filtered=25 suppressed=4 ' "$D/err2" &&
	pass reconfigure_mask_rate || fail reconfigure_mask_rate "$got $(grep '^stats file' "$D/err2")"

# --- Event masks and rate limits: exactly one correct summary per window
D=$TMP/rate; mkdir -p "$D"
{
	echo "ts $T0"; echo "step 10000"
	echo "emit RST 250"; echo "emit CLOSED 50"; echo "emit SYN 40"
	echo "tick $((T0 + 5000000))"; echo "tick $((T0 + 11000000))"
	echo "ts $((T0 + 20000000))"; echo "emit RST 120"
	echo "ts $((T0 + 31000000))"; echo "emit RST 1"
} | "$DRIVE" -s file="$D/ev.json" -s file.events=RST,CLOSED -s file.rate_limit=100 -s file.rate_interval=10 2>"$D/err"
python3 - "$D/ev.json" >"$D/got" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ev = [r["event"] for r in recs]
print("records", len(recs), "RST", ev.count("RST"), "CLOSED", ev.count("CLOSED"), "SYN", ev.count("SYN"))
for r in recs:
    if r["event"] == "SUPPRESSED":
        print(json.dumps(r, sort_keys=True))
EOF
cat >"$D/want" <<'EOF'
records 203 RST 201 CLOSED 0 SYN 0
{"event": "SUPPRESSED", "suppressed": 200, "ts": "2024-06-21T09:26:25.123456Z", "types": {"CLOSED": 50, "RST": 150}, "window": 10}
{"event": "SUPPRESSED", "suppressed": 20, "ts": "2024-06-21T09:26:45.123456Z", "types": {"RST": 20}, "window": 10}
EOF
same_file rate_limit_summaries "$D/want" "$D/got"
[ "$(stat_of "$D/err" file suppressed)" = 220 ] && [ "$(stat_of "$D/err" file filtered)" = 40 ] &&
	pass rate_limit_counters || fail rate_limit_counters "$(grep '^stats file' "$D/err")"
# The summary comes where the window closed: after the last record of its window.
pos=$(grep -n SUPPRESSED "$D/ev.json" | head -n 1 | cut -d: -f1)
[ "$pos" = 101 ] && pass rate_limit_summary_position || fail rate_limit_summary_position "line $pos"

# --- Standard output: text, and a reader that goes away (EPIPE)
printf 'emit mix 8\n' | "$DRIVE" -o text >"$TMP/stdout.txt" 2>/dev/null
[ "$(wc -l <"$TMP/stdout.txt")" = 8 ] && grep -q ' CLOSED      10.0.0.7:32775 - 192.0.2.10:5432  reason=fin closed_by=client duration=1.5s lifetime=1m01s client 524B/7p server 4096B/6p SF ShADadfF$' "$TMP/stdout.txt" &&
	pass stdout_text || fail stdout_text "$(head -n 8 "$TMP/stdout.txt" | tr '\n' '|')"
{ printf 'emit mix 2000\nflush\nsleep 300\nemit mix 2000\nflush\nemit mix 10\n'; } |
	"$DRIVE" -o json 2>"$TMP/epipe.err" | head -n 1 >/dev/null
rc=${PIPESTATUS[1]}
[ "$rc" = 0 ] && [ "$(grep -c 'standard output: Broken pipe' "$TMP/epipe.err")" = 1 ] &&
	[ "$(stat_of "$TMP/epipe.err" stdout dropped)" -gt 0 ] && pass stdout_epipe ||
	fail stdout_epipe "rc=$rc $(tr '\n' '|' <"$TMP/epipe.err")"
