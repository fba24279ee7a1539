#!/usr/bin/env bash
# t_systemd.sh - the ship-it files in systemd/: the unit scores 2.0 or better
# in systemd-analyze security and passes verify; the catalog indexes and has
# exactly the MESSAGE_IDs that daemon/out_journal.c sends, with placeholders
# that name real journal fields; the logrotate snippet parses and rotates.
. "$(dirname "$0")/lib.sh"

UNIT=systemd/tcpstated.service
CATALOG=systemd/tcpstated.catalog
LOGROTATE=systemd/tcpstated.logrotate

# The MESSAGE_IDs agreed for the journal output, one per record type: the
# ten of the live daemon, then UPDATE (eda1...) and ALERT (3d87...).
WANT_IDS="12d06338519e41f784fd54c694c05704
361663c4e2bf4b5a877a6103976ce360
3d8791610821406bba42a5de68c6fcf9
551736fae39a4595b9300653d28faee3
62719ae2ef4845b1ba82ffee328d95cd
bba929eb9fdb44f2af8b84d1b4564fd8
dfe9ddccb1064e949fe2b940f36bff1f
eb186b77f3984be89d954ae466322ff4
eda1581ec8dc42a8a9a1cde8a1fc4ddf
f6616e9b93d147d6b2f280b170a09a5c
f785adb3368b404c948578a400676daa
fef4ffb9c0334322b9ab83bc5a7c4ef7"

# --- the unit: exposure level ---------------------------------------------
out=$(systemd-analyze security --offline=yes "$UNIT" 2>&1)
level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: *\([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
	fail unit_security "no 'Overall exposure level' line: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"
elif awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
	pass "unit_security ($level)"
else
	fail unit_security "exposure level $level is above 2.0: $(printf '%s\n' "$out" | grep '✗' | head -n 5 | tr -s ' ' | tr '\n' '|')"
fi

# Capture must keep working: none of the options that break AF_PACKET
# capture (ops-ecosystem.md 1.5) may creep in, and CAP_NET_RAW must stay.
bad=""
grep -Eq '^PrivateNetwork=(yes|true|1)' "$UNIT" && bad="$bad PrivateNetwork"
grep -Eq '^PrivateUsers=(yes|true|1)' "$UNIT" && bad="$bad PrivateUsers"
fams=$(sed -n 's/^RestrictAddressFamilies=//p' "$UNIT")
for f in AF_PACKET AF_UNIX AF_INET; do
	case " $fams " in *" $f "*) ;; *) bad="$bad RestrictAddressFamilies-without-$f" ;; esac
done
[ "$(sed -n 's/^AmbientCapabilities=//p' "$UNIT")" = CAP_NET_RAW ] || bad="$bad AmbientCapabilities"
[ "$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")" = CAP_NET_RAW ] || bad="$bad CapabilityBoundingSet"
if [ -z "$bad" ]; then pass unit_keeps_capture; else fail unit_keeps_capture "$bad"; fi

# --- the unit: verify ------------------------------------------------------
# verify needs the ExecStart binary and resolves Documentation=man: links, so
# check a copy that runs the built binary, with MANPATH at our own pages.
if [ ! -x "$TCPSTATED" ]; then
	fail unit_verify "$TCPSTATED is not built (daemon/main.c not landed yet?): run make first"
else
	mkdir -p "$TMP/verify" "$TMP/man/man8" "$TMP/man/man5"
	cp man/tcpstated.8 "$TMP/man/man8/" && cp man/tcpstated.conf.5 "$TMP/man/man5/"
	sed "s|/usr/sbin/tcpstated|$TCPSTATED|g" "$UNIT" >"$TMP/verify/tcpstated.service"
	if out=$(cd "$TMP/verify" && MANPATH="$TMP/man" systemd-analyze verify tcpstated.service 2>&1) &&
	    [ -z "$out" ]; then
		pass unit_verify
	else
		fail unit_verify "$(printf '%s' "$out" | head -n 4 | tr '\n' '|')"
	fi
fi

# --- the catalog -----------------------------------------------------------
root=$TMP/catroot
mkdir -p "$root/usr/lib/systemd/catalog"
cp "$CATALOG" "$root/usr/lib/systemd/catalog/"
if out=$(journalctl --root="$root" --update-catalog 2>&1) && [ -s "$root/var/lib/systemd/catalog/database" ]; then
	pass catalog_update
else
	fail catalog_update "journalctl --update-catalog: $out"
fi
got=$(journalctl --root="$root" --list-catalog 2>&1 | awk '{ print $1 }' | sort)
if [ "$got" = "$WANT_IDS" ]; then
	pass catalog_lists_every_id
else
	fail catalog_lists_every_id "want the $(printf '%s\n' "$WANT_IDS" | wc -l) agreed ids, --list-catalog gave: $(printf '%s' "$got" | tr '\n' ' ')"
fi

# Every entry has the headers journalctl -x shows.
python3 - "$CATALOG" >"$TMP/cat.check" 2>&1 <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
entries = re.split(r'^-- ([0-9a-f]{32})\n', text, flags=re.M)[1:]
bad = []
for mid, body in zip(entries[0::2], entries[1::2]):
    head, _, rest = body.partition('\n\n')
    h = dict(l.split(': ', 1) for l in head.splitlines() if ': ' in l)
    if not h.get('Subject'):
        bad.append(mid + ' no Subject')
    if h.get('Defined-By') != 'tcpstated':
        bad.append(mid + ' Defined-By')
    if 'man:tcpstated(8)' not in h.get('Documentation', ''):
        bad.append(mid + ' Documentation')
    if len(rest.strip()) < 80:
        bad.append(mid + ' body too short')
print(' '.join(bad))
sys.exit(1 if bad or len(entries) != 2 * 12 else 0)
EOF
if [ $? -eq 0 ]; then pass catalog_headers; else fail catalog_headers "$(cat "$TMP/cat.check")"; fi

# The daemon and the catalog must agree: the same ids, and every @FIELD@
# placeholder names a field the journal output really sends. Journal fields
# are the key=value keys of lib/ in upper case behind TCPSTATE_
# (out_journal.c): format.c's literals, and the STATS keys lib/event.c's
# tables give (a state's key, "closed_" and a close counter's name); the
# summary's "types" becomes TCPSTATE_SUPPRESSED_TYPES.
OJ=daemon/out_journal.c
if [ ! -f "$OJ" ]; then
	fail catalog_matches_daemon "$OJ does not exist yet (the journal output has not landed)"
else
	daemon_ids=$(cat daemon/*.c lib/*.[ch] | grep -oE '"[0-9a-fA-F]{32}"' | tr -d '"' | tr 'A-F' 'a-f' | sort -u)
	vocab=$(grep -ohE '"[a-z][a-z0-9_]*"' lib/event.c | tr -d '"')
	keys=" $( (grep -ohE '"[a-z][a-z_]*"' lib/format.c lib/report.c 2>/dev/null | tr -d '"'; printf '%s\n' $vocab; printf 'closed_%s\n' $vocab) | sort -u | tr '\n' ' ') "
	missing=""
	for p in $(grep -oE '@[A-Z0-9_]+@' "$CATALOG" | tr -d @ | sort -u); do
		case $p in
		MESSAGE) continue ;;
		TCPSTATE_SUPPRESSED_TYPES) k=types ;;
		TCPSTATE_*) k=$(printf '%s' "${p#TCPSTATE_}" | tr 'A-Z' 'a-z') ;;
		*) k="" ;;
		esac
		case $keys in *" $k "*) [ -n "$k" ] && continue ;; esac
		missing="$missing $p"
	done
	if [ "$daemon_ids" != "$WANT_IDS" ]; then
		fail catalog_matches_daemon "MESSAGE_IDs in daemon/*.c differ from the catalog's: only in the catalog: $(comm -23 <(printf '%s\n' "$WANT_IDS") <(printf '%s\n' "$daemon_ids") | tr '\n' ' ')only in the daemon: $(comm -13 <(printf '%s\n' "$WANT_IDS") <(printf '%s\n' "$daemon_ids") | tr '\n' ' ')"
	elif [ -n "$missing" ]; then
		fail catalog_matches_daemon "placeholders that are no journal field of tcpstated:$missing"
	else
		pass catalog_matches_daemon
	fi
fi

# --- logrotate -------------------------------------------------------------
if out=$(logrotate -d -s "$TMP/lr.state" "$LOGROTATE" 2>&1) &&
    ! printf '%s\n' "$out" | grep -qiE '^error|unknown option|bad '; then
	pass logrotate_parses
else
	fail logrotate_parses "$(printf '%s\n' "$out" | grep -iE 'error|unknown|bad' | head -n 3 | tr '\n' '|')"
fi

# A real rotation of the same stanza on a scratch directory: the file moves
# to .1 and postrotate (the USR1 to the daemon) runs once.
mkdir -p "$TMP/lr"
chmod 0750 "$TMP/lr"
echo '{"event":"RST"}' >"$TMP/lr/events.json"
sed -e "s|/var/log/tcpstated/|$TMP/lr/|" \
    -e "s|^\([[:space:]]*\)systemctl kill .*|\1touch $TMP/lr/postrotate.ran|" "$LOGROTATE" >"$TMP/lr.conf"
if logrotate -f -s "$TMP/lr.state2" "$TMP/lr.conf" >"$TMP/lr.out" 2>&1 &&
    [ -s "$TMP/lr/events.json.1" ] && [ -e "$TMP/lr/postrotate.ran" ]; then
	pass logrotate_rotates
else
	fail logrotate_rotates "$(ls "$TMP/lr" | tr '\n' ' ') $(head -n 3 "$TMP/lr.out" | tr '\n' ' ')"
fi
if grep -q 'max_size_mb = 0' "$LOGROTATE" && grep -q 'USR1' "$LOGROTATE"; then
	pass logrotate_says_max_size_0
else
	fail logrotate_says_max_size_0 "the snippet must tell to set max_size_mb = 0 and send USR1"
fi
