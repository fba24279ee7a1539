#!/usr/bin/env bash
# t_completion.sh - conf/tcpstated.bash-completion: it registers itself, its
# lists agree with the binary (the options of --help, the formats and sort
# keys its errors name, the states of tcpstated-records(7), each accepted by
# --state), and it completes what the word before asks for.
. "$(dirname "$0")/lib.sh"

COMP=$PWD/conf/tcpstated.bash-completion
# shellcheck source=/dev/null
. "$COMP" || { fail completion_source "cannot source $COMP"; exit 0; }

[ "$(complete -p tcpstated 2>&1)" = "complete -F _tcpstated tcpstated" ] &&
	pass completion_registered || fail completion_registered "$(complete -p tcpstated 2>&1)"

# words LIST: one per line, sorted.
words() { tr -s ' \t\n' '\n' <<<"$1" | sed '/^$/d' | sort; }

help_opts=$("$TCPSTATED" --help | sed -n '/^$/,$p' | grep -oE '(^|[ ,])--?[A-Za-z][a-z-]*' | tr -d ' ,' | sort -u)
[ "$(words "$_tcpstated_options")" = "$help_opts" ] && pass completion_options_as_help ||
	fail completion_options_as_help "$(diff <(words "$_tcpstated_options") <(echo "$help_opts") | tr '\n' ' ')"

fmts=$("$TCPSTATED" -o nope 2>&1 | sed -n 's/.*unknown format (\(.*\))$/\1/p' | sed 's/,\| or / /g')
[ -n "$fmts" ] && [ "$(words "$_tcpstated_formats")" = "$(words "$fmts")" ] && pass completion_formats ||
	fail completion_formats "binary: $fmts; completion: $_tcpstated_formats"
sorts=$("$TCPSTATED" --sort nope 2>&1 | sed -n 's/.*--sort nope: \(.*\)$/\1/p' | sed 's/ or / /g')
[ -n "$sorts" ] && [ "$(words "$_tcpstated_sorts")" = "$(words "$sorts")" ] && pass completion_sorts ||
	fail completion_sorts "binary: $sorts; completion: $_tcpstated_sorts"

man_states=$(sed -n '/^\.Sh STATES/,/^\.El/s/^\.It Sy //p' man/tcpstated-records.7)
bad=""
for s in $_tcpstated_states ${_tcpstated_states,,}; do
	"$TCPSTATED" --flows --state "$s" -S "$TMP/none" 2>&1 | grep -q 'unknown state' && bad="$bad $s"
done
[ "$(words "$_tcpstated_states")" = "$(words "$man_states")" ] && [ -z "$bad" ] && pass completion_states ||
	fail completion_states "man: $(echo $man_states); completion: $(echo $_tcpstated_states); refused:$bad"

# complete WORD...: COMPREPLY, sorted on one line, for the last word.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	_tcpstated
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}
# expect NAME WANT WORD...
expect() {
	local name=$1 want=$2 got
	shift 2
	got=$(complete_words "$@")
	[ "$got" = "$want" ] && pass "completion_$name" || fail "completion_$name" "$* -> '$got', want '$want'"
}
expect format "json ladder text" tcpstated -o ""
expect format_long "json" tcpstated --format j
expect options_st "--state --stats" tcpstated --flows --st
expect sort "age" tcpstated --flows --sort a
expect state_lower "close_wait closed closing" tcpstated --flows --state clos
expect state_upper "FIN_WAIT_1 FIN_WAIT_2" tcpstated --flows --state FIN
expect interfaces "$( (echo any; ls /sys/class/net) | sort -u | tr '\n' ' ' | sed 's/ $//')" tcpstated -i ""
mkdir -p "$TMP/d/sub"
: >"$TMP/d/a.pcap"; : >"$TMP/d/b.pcapng"; : >"$TMP/d/notes.txt"; : >"$TMP/d/web.conf"
expect read_captures "$TMP/d/a.pcap $TMP/d/b.pcapng $TMP/d/sub" tcpstated -r "$TMP/d/"
expect config_files "$TMP/d/sub $TMP/d/web.conf" tcpstated -c "$TMP/d/"
expect filter_free "" tcpstated -F ""
