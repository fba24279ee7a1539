#!/usr/bin/env bash
# t_man.sh - the man pages are lint-clean and say what the program does:
# every option of `tcpstated -h` is documented and every documented option
# exists; every key of conf/tcpstated.conf is documented, every documented
# example value is accepted by `tcpstated -t`, and so is the complete example.
. "$(dirname "$0")/lib.sh"

MAN8=man/tcpstated.8
MAN5=man/tcpstated.conf.5
MAN7=man/tcpstated-records.7

# --- lint ------------------------------------------------------------------
# Run from man/ so that mandoc resolves our own cross references
# (tcpstated(8), tcpstated.conf(5), tcpstated-records(7)). "outdated mandoc.db" notes are about
# the host's man database, not about these pages.
out=$(cd man && mandoc -Tlint -Wall tcpstated.8 tcpstated.conf.5 tcpstated-records.7 2>&1 | grep -v 'outdated mandoc.db')
if [ -z "$out" ]; then pass mandoc_lint; else fail mandoc_lint "$(printf '%s' "$out" | head -n 5 | tr '\n' '|')"; fi

for page in "$MAN8" "$MAN5" "$MAN7"; do
	if out=$(groff -mandoc -ww -z "$page" 2>&1) && [ -z "$out" ]; then
		pass "groff_ww $(basename "$page")"
	else
		fail "groff_ww $(basename "$page")" "$(printf '%s' "$out" | head -n 5 | tr '\n' '|')"
	fi
done

# --- each page's SEE ALSO names the other two --------------------------------
bad=""
for page in "$MAN8" "$MAN5" "$MAN7"; do
	see=$(sed -n '/^\.Sh SEE ALSO/,/^\.Sh /p' "$page")
	for other in "tcpstated 8" "tcpstated.conf 5" "tcpstated-records 7"; do
		case $page in *"$(echo "$other" | sed 's/ \(.\)$/.\1/')") continue ;; esac
		printf '%s\n' "$see" | grep -q "^\.Xr $other\b" || bad="$bad $(basename "$page"):$other"
	done
done
[ -z "$bad" ] && pass see_also_each_other || fail see_also_each_other "missing:$bad"

# --- options: tcpstated -h against tcpstated.8 ------------------------------
documented_opts=$(sed -n 's/^\.It Fl \([A-Za-z]\)\b.*/\1/p' "$MAN8" | sort -u | tr -d '\n')
if [ ! -x "$TCPSTATED" ]; then
	fail options_documented "$TCPSTATED is not built (daemon/main.c not landed yet?): cannot read its -h"
else
	"$TCPSTATED" -h >"$TMP/usage" 2>&1
	# Letters of "-x" tokens that start a word or follow "[": "[-dfhtV]" gives d f h t V.
	usage_opts=$(grep -oE '(^|[[:space:][])-[A-Za-z]+' "$TMP/usage" | sed 's/^[[:space:][]*-//' |
	    fold -w1 | sort -u | tr -d '\n')
	undocumented="" unknown=""
	for o in $(printf '%s' "$usage_opts" | fold -w1); do
		case $documented_opts in *"$o"*) ;; *) undocumented="$undocumented -$o" ;; esac
	done
	for o in $(printf '%s' "$documented_opts" | fold -w1); do
		case $usage_opts in *"$o"*) ;; *) unknown="$unknown -$o" ;; esac
	done
	if [ -z "$usage_opts" ]; then
		fail options_documented "no options found in the output of tcpstated -h: $(head -n 2 "$TMP/usage" | tr '\n' ' ')"
	elif [ -n "$undocumented$unknown" ]; then
		fail options_documented "in -h but not in tcpstated.8:${undocumented:- none}; in tcpstated.8 but not in -h:${unknown:- none}"
	else
		pass "options_documented (-$usage_opts)"
	fi
fi

# --- config keys: conf/tcpstated.conf against tcpstated.conf.5 ---------------
CONF=conf/tcpstated.conf
if [ ! -f "$CONF" ]; then
	fail config_keys_documented "$CONF does not exist yet (the daemon's example config has not landed)"
else
	# Every name that is assigned (name = or name :), comments and strings removed.
	keys=$(python3 - "$CONF" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
t = re.sub(r'/\*.*?\*/', ' ', t, flags=re.S)
t = re.sub(r'"(\\.|[^"\\])*"', '""', t)
t = re.sub(r'(#|//)[^\n]*', '', t)
# A group (name = { ...) is printed as +name.
for name, brace in sorted(set(re.findall(r'([A-Za-z][A-Za-z0-9_-]*)\s*[=:]\s*(\{?)', t))):
    print(('+' if brace else '') + name)
EOF
)
	# A setting needs its own entry (.It Cm key); a group is named (Cm group).
	missing=""
	for k in $keys; do
		case $k in
		+*) grep -qE "(^\.|[[:space:]])Cm ${k#+}( |$)" "$MAN5" || missing="$missing ${k#+}" ;;
		*) grep -qE "^\.It Cm $k( |$)" "$MAN5" || missing="$missing $k" ;;
		esac
	done
	if [ -z "$keys" ]; then
		fail config_keys_documented "no keys found in $CONF"
	elif [ -n "$missing" ]; then
		fail config_keys_documented "not documented as '.It Cm key' in tcpstated.conf.5:$missing"
	else
		pass "config_keys_documented ($(printf '%s\n' $keys | wc -l) keys)"
	fi
fi

# Each setting's example line (.Dl "key = value;") must be accepted by
# tcpstated -t in one of the groups a key can live in; this catches a
# documented key the daemon does not know, a wrong type and a value out of
# range. Then the complete example of EXAMPLES must be accepted as a whole.
if [ ! -x "$TCPSTATED" ]; then
	fail config_examples_accepted "$TCPSTATED is not built: cannot run tcpstated -t"
	fail config_full_example_accepted "$TCPSTATED is not built: cannot run tcpstated -t"
else
	rejected="" n=0
	while IFS= read -r line; do
		n=$((n + 1))
		ok=0
		for g in "" capture capture.tunnels tracking tracking.timeouts daemon metrics outputs.journal outputs.syslog outputs.file; do
			body=$line
			if [ -n "$g" ]; then
				IFS=. read -ra parts <<<"$g"
				for ((i = ${#parts[@]} - 1; i >= 0; i--)); do body="${parts[i]}: { $body };"; done
			fi
			printf '%s\n' "$body" >"$TMP/one.conf"
			if "$TCPSTATED" -t -c "$TMP/one.conf" >/dev/null 2>"$TMP/one.err"; then ok=1; break; fi
			# The dedicated account the example names need not exist on this machine.
			if [ "$(cat "$TMP/one.err")" = "$TMP/one.conf:1: daemon.user: no such user \"tcpstated\"" ]; then
				ok=1
				break
			fi
		done
		[ $ok -eq 1 ] || rejected="$rejected [$line]"
	done < <(sed -n 's/^\.Dl "\(.*\)"$/\1/p' "$MAN5" | sed 's/\\(dq/"/g')
	if [ $n -lt 20 ]; then
		fail config_examples_accepted "only $n setting examples found in tcpstated.conf.5"
	elif [ -n "$rejected" ]; then
		fail config_examples_accepted "tcpstated -t rejects:$rejected"
	else
		pass "config_examples_accepted ($n examples)"
	fi

	awk '/^\.Sh EXAMPLES/ { e = 1 } e && /^\.Bd -literal/ { b = 1; next } b && /^\.Ed/ { exit } b' \
	    "$MAN5" >"$TMP/example.conf"
	# Warnings (a log directory tcpstated would create) are fine; errors are not.
	if out=$("$TCPSTATED" -t -c "$TMP/example.conf" 2>"$TMP/example.err") &&
	    [ "$out" = "configuration OK" ] && ! grep -v ': warning: ' "$TMP/example.err" >/dev/null; then
		pass config_full_example_accepted
	else
		fail config_full_example_accepted "$(printf '%s' "$out" | head -n 3 | tr '\n' '|') $(head -n 3 "$TMP/example.err" | tr '\n' '|')"
	fi
fi

# The examples of tcpstated.8 use only options that exist.
bad=""
for o in $(grep -oE '^\$ tcpstated .*|^# tcpstated .*' "$MAN8" | grep -oE ' -[A-Za-z]+' | tr -d ' -' | fold -w1 | sort -u); do
	case $documented_opts in *"$o"*) ;; *) bad="$bad -$o" ;; esac
done
if [ -z "$bad" ]; then pass man_examples_use_documented_options; else fail man_examples_use_documented_options "$bad"; fi
