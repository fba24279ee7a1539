#!/usr/bin/env bash
# t_conf_table.sh - the key table of daemon/conf.c against what documents it:
# the commented conf/tcpstated.conf (every key, each set to its default, every
# "Default:" it states) and tcpstated.conf(5) (an item for every key).
. "$(dirname "$0")/lib.sh"

CONFTABLE=$BUILD/tools/conftable
"$CONFTABLE" >"$TMP/table" || fail conf_table_tool "conftable exited $?"
[ "$(grep -c '' "$TMP/table")" -ge 40 ] || fail conf_table_size "only $(grep -c '' "$TMP/table") keys"

# The table's defaults are what conf_defaults() makes, and the example sets them all.
if out=$("$CONFTABLE" conf/tcpstated.conf 2>&1); then
	pass conf_example_values_are_the_defaults
else
	fail conf_example_values_are_the_defaults "$out"
fi
if out=$(python3 tests/conftable.py "$TMP/table" conf/tcpstated.conf man/tcpstated.conf.5); then
	pass conf_example_and_man_match_the_table
else
	fail conf_example_and_man_match_the_table "$(echo "$out" | head -n 5 | tr '\n' '|')"
fi

# The check must catch a wrong value, a wrong stated default, a missing key,
# an unknown key and a key the man page lacks.
mutant() { # NAME SED-SCRIPT [FILE]: the check must fail on the edited copy
	local name=$1 script=$2 file=${3:-conf/tcpstated.conf}
	sed "$script" "$file" >"$TMP/mutant"
	cmp -s "$file" "$TMP/mutant" && { fail "$name" "the edit changed nothing"; return; }
	if [ "$file" = conf/tcpstated.conf ]; then
		python3 tests/conftable.py "$TMP/table" "$TMP/mutant" man/tcpstated.conf.5 >/dev/null
	else
		python3 tests/conftable.py "$TMP/table" conf/tcpstated.conf "$TMP/mutant" >/dev/null
	fi
	check "$name" [ $? -eq 1 ]
}
mutant conf_table_catches_a_value 's/snaplen = 160;/snaplen = 161;/'
mutant conf_table_catches_a_stated_default 's/lines report kernel drops. Default: 8192/lines report kernel drops. Default: 4096/'
mutant conf_table_catches_a_missing_key '/keep = 5;/d'
mutant conf_table_catches_an_unknown_key 's/keep = 5;/keep = 5; kept = 5;/'
mutant conf_table_catches_an_undocumented_key 's/^\.It Cm immediate /.It Cm instant /' man/tcpstated.conf.5
