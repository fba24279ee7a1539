#!/usr/bin/env bash
# t_examples.sh - every configuration under conf/examples/ passes -t (warnings
# about an interface or a log directory this machine lacks are allowed, errors
# are not), and capture with it keeps to the ports it says: read over a
# capture of ports 80 and 443, the web example sees both, PostgreSQL's none,
# the mirror's every port.
. "$(dirname "$0")/lib.sh"

n=0
for f in conf/examples/*.conf; do
	n=$((n + 1))
	name=$(basename "$f" .conf)
	out=$("$TCPSTATED" -t -c "$f" 2>&1)
	rc=$?
	errs=$(grep -v 'configuration OK' <<<"$out" | grep -vc ': warning: ')
	[ $rc = 0 ] && [ "$errs" = 0 ] && pass "example_${name}_checks" ||
		fail "example_${name}_checks" "rc=$rc: $(tr '\n' '|' <<<"$out")"
done
[ $n -ge 3 ] && pass examples_present || fail examples_present "$n configurations in conf/examples"

"$PWD/$BUILD/tools/benchgen" -n 300 -c 20 -s 3 -o "$TMP/web.pcap" >/dev/null || { fail examples_gen "benchgen failed"; exit 0; }
# ports EXAMPLE: the server ports of the CLOSED records it gives, sorted, on one line.
ports() {
	"$TCPSTATED" -q -c "conf/examples/$1.conf" -r "$TMP/web.pcap" -o json 2>"$TMP/$1.err" |
		python3 -c 'import json, sys; print(" ".join(sorted({str(json.loads(l)["server_port"]) for l in sys.stdin if "\"CLOSED\"" in l})))'
}
for want in "web:443 80" "postgresql:" "mirror:443 80"; do
	ex=${want%%:*} got=$(ports "${want%%:*}")
	[ "$got" = "${want#*:}" ] && [ ! -s "$TMP/$ex.err" ] && pass "example_${ex}_ports" ||
		fail "example_${ex}_ports" "server ports '$got', want '${want#*:}' $(head -c 200 "$TMP/$ex.err")"
done
