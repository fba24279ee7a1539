#!/usr/bin/env bash
# t_output_syslog.sh - the syslog output read by a real syslog-ng (Debian
# syslog-ng-core): key=value bodies through kv-parser, "@cee:" JSON through
# json-parser, facility and severity, the rate-limit summary, an ident changed
# by a reload, and a receiver that is absent, then appears (queued records
# delivered, drops counted).
#
# The output calls syslog(3), which always writes to /dev/log. So the test
# runs in a private mount namespace with an overlay on /dev: the real entries
# below, and above them, on a tmpfs of the test's own, a /dev/log symbolic
# link to the socket of the syslog-ng under test. The host's /dev is never
# written (and its submounts, /dev/pts and /dev/shm, are not needed here).
if [ -z "${TCPSTATED_SYSLOG_NS:-}" ] && unshare -m --propagation private true 2>/dev/null; then
	TCPSTATED_SYSLOG_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

DRIVE=$PWD/$BUILD/tools/outdrive
[ -x "$DRIVE" ] || { fail outdrive "$DRIVE not built"; exit 1; }
command -v syslog-ng >/dev/null || { skip syslog_ng "syslog-ng is not installed (Debian syslog-ng-core)"; exit 0; }
[ -n "${TCPSTATED_SYSLOG_NS:-}" ] || { skip syslog_ng "cannot make a private mount namespace (unshare -m) for a private /dev/log"; exit 0; }
T0=1718961975123456
S=$TMP/sng
mkdir -p "$S"

mkdir "$TMP/dev"
if ! { mount -t tmpfs -o mode=0755 tcpstated-test "$TMP/dev" && mkdir "$TMP/dev/up" "$TMP/dev/work" &&
	mount -t overlay -o "lowerdir=/dev,upperdir=$TMP/dev/up,workdir=$TMP/dev/work" tcpstated-test /dev; }; then
	fail syslog_private_dev "cannot put an overlay on /dev in a private mount namespace"
	umount "$TMP/dev" 2>/dev/null
	exit 1
fi
# log_to SOCKET: where syslog(3) in this namespace delivers from now on.
log_to() { ln -sfn "$1" /dev/log; }
trap '[ -f "$S/pid" ] && kill "$(cat "$S/pid")" 2>/dev/null; sleep 0.2; umount /dev "$TMP/dev"; rm -rf "$TMP"' EXIT

cat >"$S/syslog-ng.conf" <<EOF
@version: 3.38
options { chain-hostnames(no); keep-hostname(yes); stats-freq(0); use-dns(no); flush-lines(1); };
source s_kv { unix-dgram("$S/kv.sock"); };
source s_cee { unix-dgram("$S/cee.sock"); };
parser p_kv { kv-parser(prefix(".kv.")); };
parser p_cee { json-parser(marker("@cee:") prefix(".cee.")); };
destination d_kv { file("$S/kv.log" template(
  "prog=\${PROGRAM} fac=\${FACILITY} pri=\${LEVEL} event=\${.kv.event} client=\${.kv.client_ip}:\${.kv.client_port} server=\${.kv.server_ip}:\${.kv.server_port} states=\${.kv.client_state}/\${.kv.server_state} reason=\${.kv.reason} abnormal=\${.kv.abnormal} history=\${.kv.history} mss=\${.kv.mss} suppressed=\${.kv.suppressed} types=\${.kv.types} flow=\${.kv.flow} pid=\${PID}\n")); };
destination d_cee { file("$S/cee.log" template(
  "prog=\${PROGRAM} fac=\${FACILITY} pri=\${LEVEL} event=\${.cee.event} client=\${.cee.client_ip}:\${.cee.client_port} states=\${.cee.client_state}/\${.cee.server_state} reason=\${.cee.reason} duration=\${.cee.duration} sack_ok=\${.cee.sack_ok} suppressed=\${.cee.suppressed} rst=\${.cee.types.RST}\n")); };
log { source(s_kv); parser(p_kv); destination(d_kv); };
log { source(s_cee); parser(p_cee); destination(d_cee); };
EOF
if ! syslog-ng --syntax-only -f "$S/syslog-ng.conf" >"$S/syntax.out" 2>&1; then
	fail syslog_ng_config "$(tr '\n' ' ' <"$S/syntax.out")"
	exit 1
fi
syslog-ng -F --no-caps -f "$S/syslog-ng.conf" -R "$S/persist" -p "$S/pid" -c "$S/ctl" >"$S/sng.out" 2>&1 &
for _ in $(seq 100); do [ -S "$S/kv.sock" ] && [ -S "$S/cee.sock" ] && [ -f "$S/pid" ] && break; sleep 0.05; done
if [ ! -S "$S/kv.sock" ]; then
	fail syslog_ng_start "$(tr '\n' ' ' <"$S/sng.out")"
	exit 1
fi


# wait_lines FILE N: until FILE has N lines (syslog-ng writes asynchronously).
has_lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
wait_lines() { wait_for 5 has_lines "$@"; }

# --- key=value through kv-parser: every type, severities, a summary
log_to "$S/kv.sock"
{
	echo "ts $T0"; echo "step 10000"
	echo "emit mix 8"; echo "reason rst"; echo "emit CLOSED 1"; echo "emit RST 5"
	echo "tick $((T0 + 11000000))"; echo "await syslog 13 5000"
} | "$DRIVE" -s syslog=on -s syslog.facility=local0 -s syslog.events=all \
	-s syslog.rate_limit=12 -s syslog.rate_interval=10 2>"$S/kv.err"
wait_lines "$S/kv.log" 13
sed 's/ flow=.*//' "$S/kv.log" >"$S/kv.got"
cat >"$S/kv.want" <<'EOF'
prog=tcpstated fac=local0 pri=info event=SYN client=10.0.0.0:32768 server=192.0.2.10:5432 states=SYN_SENT/LISTEN reason= abnormal= history= mss=1460 suppressed= types=
prog=tcpstated fac=local0 pri=info event=SYN_ACK client=10.0.0.1:32769 server=192.0.2.10:5432 states=SYN_SENT/SYN_RCVD reason= abnormal= history= mss=1400 suppressed= types=
prog=tcpstated fac=local0 pri=info event=ESTABLISHED client=10.0.0.2:32770 server=192.0.2.10:5432 states=ESTABLISHED/SYN_RCVD reason= abnormal= history= mss= suppressed= types=
prog=tcpstated fac=local0 pri=info event=FIN client=10.0.0.3:32771 server=192.0.2.10:5432 states=FIN_WAIT_1/ESTABLISHED reason= abnormal= history= mss= suppressed= types=
prog=tcpstated fac=local0 pri=warning event=RST client=10.0.0.4:32772 server=192.0.2.10:5432 states=CLOSED/CLOSED reason= abnormal= history= mss= suppressed= types=
prog=tcpstated fac=local0 pri=info event=TIME_WAIT client=10.0.0.5:32773 server=192.0.2.10:5432 states=TIME_WAIT/LAST_ACK reason= abnormal= history= mss= suppressed= types=
prog=tcpstated fac=local0 pri=debug event=STATE client=10.0.0.6:32774 server=192.0.2.10:5432 states=TIME_WAIT/CLOSED reason= abnormal= history= mss= suppressed= types=
prog=tcpstated fac=local0 pri=info event=CLOSED client=10.0.0.7:32775 server=192.0.2.10:5432 states=TIME_WAIT/CLOSED reason=fin abnormal=false history=ShADadfF mss= suppressed= types=
prog=tcpstated fac=local0 pri=warning event=CLOSED client=10.0.0.8:32776 server=192.0.2.10:5432 states=TIME_WAIT/CLOSED reason=rst abnormal=true history=ShADadfF mss= suppressed= types=
prog=tcpstated fac=local0 pri=warning event=RST client=10.0.0.9:32777 server=192.0.2.10:5432 states=CLOSED/CLOSED reason= abnormal= history= mss= suppressed= types=
prog=tcpstated fac=local0 pri=warning event=RST client=10.0.0.10:32778 server=192.0.2.10:5432 states=CLOSED/CLOSED reason= abnormal= history= mss= suppressed= types=
prog=tcpstated fac=local0 pri=warning event=RST client=10.0.0.11:32779 server=192.0.2.10:5432 states=CLOSED/CLOSED reason= abnormal= history= mss= suppressed= types=
prog=tcpstated fac=local0 pri=warning event=SUPPRESSED client=: server=: states=/ reason= abnormal= history= mss= suppressed=2 types=RST:2
EOF
same_file syslog_kv_fields "$S/kv.want" "$S/kv.got"
bad=$(head -n 12 "$S/kv.log" | grep -cvE ' flow=C[0-9A-Za-z]{10,11} pid=[0-9]+$')
[ "$bad" = 0 ] && pass syslog_kv_flow_pid || fail syslog_kv_flow_pid "$bad lines without flow id and pid"
grep -q '^stats syslog written=13 filtered=0 suppressed=2 dropped=0 ' "$S/kv.err" && pass syslog_kv_stats ||
	fail syslog_kv_stats "$(grep '^stats syslog' "$S/kv.err")"

# --- @cee: JSON through json-parser(marker("@cee:")), another ident and facility
log_to "$S/cee.sock"
{
	echo "ts $T0"; echo "emit mix 8"; echo "emit RST 3"
	echo "tick $((T0 + 11000000))"; echo "await syslog 5 5000"
} | "$DRIVE" -s syslog=on -s syslog.format=cee -s syslog.facility=user \
	-s syslog.ident=tcpstated -s syslog.events=SYN,RST,CLOSED -s syslog.rate_limit=4 2>"$S/cee.err"
wait_lines "$S/cee.log" 5
cat >"$S/cee.want" <<'EOF'
prog=tcpstated fac=user pri=info event=SYN client=10.0.0.0:32768 states=SYN_SENT/LISTEN reason= duration= sack_ok=true suppressed= rst=
prog=tcpstated fac=user pri=warning event=RST client=10.0.0.4:32772 states=CLOSED/CLOSED reason= duration= sack_ok= suppressed= rst=
prog=tcpstated fac=user pri=info event=CLOSED client=10.0.0.7:32775 states=TIME_WAIT/CLOSED reason=fin duration=1.500007 sack_ok= suppressed= rst=
prog=tcpstated fac=user pri=warning event=RST client=10.0.0.8:32776 states=CLOSED/CLOSED reason= duration= sack_ok= suppressed= rst=
prog=tcpstated fac=user pri=warning event=SUPPRESSED client=: states=/ reason= duration= sack_ok= suppressed=2 rst=2
EOF
cp "$S/cee.log" "$S/cee.got"
same_file syslog_cee_fields "$S/cee.want" "$S/cee.got"

# --- A reload changes ident and facility: the records queued after it carry the new ones
log_to "$S/kv.sock"
{
	echo "emit RST 1"; echo "reconfigure syslog.ident=tcpstate2 syslog.facility=user"
	echo "emit RST 1"; echo "await syslog 2 5000"
} | "$DRIVE" -s syslog=on -s syslog.facility=local0 2>"$S/ident.err"
wait_lines "$S/kv.log" 15
got=$(sed -n '14,15p' "$S/kv.log" | sed 's/ client=.*//' | tr '\n' '|')
[ "$got" = "prog=tcpstated fac=local0 pri=warning event=RST|prog=tcpstate2 fac=user pri=warning event=RST|" ] &&
	pass syslog_reload_ident_facility || fail syslog_reload_ident_facility "$got"

# --- No receiver: records queue (1024), the rest drop; said once; when the
# socket appears the queue is delivered and the recovery names the count.
log_to "$S/late.sock"
{
	echo "emit RST 1100"; echo "sleep 300"; echo "tick $((T0 + 1000000))"; echo "stats"; echo "sync $S/absent.s1"
	wait_for 10 test -e "$S/absent.s1"
	ln -s "$S/kv.sock" "$S/late.sock"
	echo "await syslog 1100 5000"; echo "tick $((T0 + 2000000))"
} | "$DRIVE" -s syslog=on 2>"$S/absent.err"
warned=$(grep -c "syslog output suspended: cannot send to /dev/log: No such file or directory" "$S/absent.err")
[ "$warned" = 1 ] && pass syslog_absent_said_once || fail syslog_absent_said_once "$(tr '\n' '|' <"$S/absent.err")"
[ "$(grep '^stats syslog' "$S/absent.err" | head -n 1 | cut -d' ' -f3,6)" = "written=0 dropped=76" ] &&
	pass syslog_absent_not_silent || fail syslog_absent_not_silent "$(grep '^stats syslog' "$S/absent.err" | head -n 1)"
grep -q 'syslog output resumed, 76 records dropped' "$S/absent.err" && pass syslog_absent_resumed ||
	fail syslog_absent_resumed "$(tr '\n' '|' <"$S/absent.err")"
grep -q '^stats syslog written=1024 filtered=0 suppressed=0 dropped=76 ' "$S/absent.err" && pass syslog_absent_counted ||
	fail syslog_absent_counted "$(grep '^stats syslog' "$S/absent.err")"
wait_lines "$S/kv.log" $((15 + 1024)) && pass syslog_queue_delivered ||
	fail syslog_queue_delivered "kv.log has $(wc -l <"$S/kv.log") lines, want $((15 + 1024))"
