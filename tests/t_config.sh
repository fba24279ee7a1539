#!/usr/bin/env bash
# t_config.sh - configuration checking (tcpstated -t).
#
# tests/conf-bad/*.conf is a corpus of broken files. Each says what it
# expects in comment lines "# expect: LINE: MESSAGE"; -t must exit 1 and
# print exactly those lines, as "FILE:LINE: MESSAGE", in that order: every
# problem at once, nothing else. Files that are not config files at all
# (missing, a directory, binary, huge, unreadable, a FIFO) are made here and
# must give one clean line each. The shipped example must pass.
. "$(dirname "$0")/lib.sh"

# --- the corpus ---------------------------------------------------------------
n=0
for conf in tests/conf-bad/*.conf; do
	n=$((n + 1))
	name=conf_bad_$(basename "$conf" .conf)
	sed -n 's/^# expect: \([0-9]*\): \(.*\)$/\1 \2/p' "$conf" | sort -s -n -k1,1 |
	    while read -r line msg; do printf '%s:%s: %s\n' "$conf" "$line" "$msg"; done >"$TMP/want"
	if [ ! -s "$TMP/want" ]; then
		fail "$name" "no '# expect:' lines in $conf"
		continue
	fi
	"$TCPSTATED" -t -c "$conf" >"$TMP/out" 2>"$TMP/got"
	rc=$?
	if [ $rc -ne 1 ]; then
		fail "$name" "exit status $rc, want 1; $(head -n 2 "$TMP/got" | tr '\n' '|')"
	elif [ -s "$TMP/out" ]; then
		fail "$name" "printed on stdout: $(head -n 1 "$TMP/out")"
	else
		# A syntax error shows its line and a caret below it, indented: not compared here.
		grep -v '^    ' "$TMP/got" >"$TMP/got.lines"
		same_file "$name" "$TMP/want" "$TMP/got.lines"
	fi
done
[ $n -ge 10 ] || fail conf_bad_corpus "only $n files in tests/conf-bad"

# --- syntax errors: what was expected, the line with a caret, and the rest ------
# A tab before the ';': the caret still lines up under it. The range error on
# the line between is found too.
printf 'capture: {\n\tsnaplen =\t;\n\tbuffer_size_kb = 10;\n\tpromiscuous = yes;\n};\n' >"$TMP/caret.conf"
cat >"$TMP/caret.want" <<EOF
$TMP/caret.conf:2: syntax error: capture.snaplen: expected a value (a number, a string, true, false, [ ], ( ) or { }), got ';'
            snaplen =       ;
                            ^
$TMP/caret.conf:3: capture.buffer_size_kb: 10 is out of range (64..4194304)
$TMP/caret.conf:4: syntax error: capture.promiscuous: expected a value (a number, a string, true, false, [ ], ( ) or { }), got "yes"
            promiscuous = yes;
                          ^
EOF
"$TCPSTATED" -t -c "$TMP/caret.conf" >/dev/null 2>"$TMP/caret.got"
rc=$?
if [ $rc -ne 1 ]; then
	fail conf_syntax_caret "exit status $rc, want 1"
else
	same_file conf_syntax_caret "$TMP/caret.want" "$TMP/caret.got"
fi
# A group left open: each syntax error is found, the open group is named with
# the line that opened it. (A bad line with a bracket leaves the structure
# unsure: then the settings are not checked past the syntax errors.)
printf 'capture: {\n  ports = [ 80 443 ];\n  promiscuous = yes;\n' >"$TMP/unclosed.conf"
cat >"$TMP/unclosed.want" <<EOF
$TMP/unclosed.conf:2: syntax error: capture.ports: expected ',' or ']' (the array opened on line 2), got 443
$TMP/unclosed.conf:3: syntax error: capture.promiscuous: expected a value (a number, a string, true, false, [ ], ( ) or { }), got "yes"
$TMP/unclosed.conf:3: syntax error: expected a setting name or '}' (the group opened on line 1), got the end of the file
EOF
"$TCPSTATED" -t -c "$TMP/unclosed.conf" 2>&1 >/dev/null | grep -v '^    ' >"$TMP/unclosed.got"
same_file conf_syntax_every_error "$TMP/unclosed.want" "$TMP/unclosed.got"

# --- files that are not config files ------------------------------------------
# whole_file NAME PATH MESSAGE: exactly one line "PATH: MESSAGE", exit 1.
whole_file() {
	local name=$1 path=$2 want=$3
	timeout 10 "$TCPSTATED" -t -c "$path" >"$TMP/out" 2>"$TMP/got"
	local rc=$?
	if [ $rc -eq 1 ] && [ "$(cat "$TMP/got")" = "$path: $want" ] && [ ! -s "$TMP/out" ]; then
		pass "$name"
	else
		fail "$name" "rc=$rc stderr: $(head -n 3 "$TMP/got" | tr '\n' '|')"
	fi
}

whole_file conf_missing_file "$TMP/does-not-exist.conf" "cannot open: No such file or directory"
mkdir "$TMP/adir"
whole_file conf_directory "$TMP/adir" "is a directory, not a config file"
python3 -c 'import sys; sys.stdout.write("# comment\n" * 120000)' >"$TMP/huge.conf"
whole_file conf_huge_file "$TMP/huge.conf" "file too large ($(stat -c %s "$TMP/huge.conf") bytes, at most 1048576)"
mkfifo "$TMP/fifo.conf"
whole_file conf_fifo_does_not_hang "$TMP/fifo.conf" "not a regular file"

# Binary junk: the ELF header of a real program (it has NUL bytes).
head -c 4096 "$TCPSTATED" >"$TMP/binary.conf"
"$TCPSTATED" -t -c "$TMP/binary.conf" >/dev/null 2>"$TMP/got"
rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c '' "$TMP/got")" = 1 ] &&
    grep -q "^$TMP/binary.conf:[0-9]*: binary data (a NUL byte): not a config file\$" "$TMP/got"; then
	pass conf_binary_junk
else
	fail conf_binary_junk "rc=$rc $(head -n 3 "$TMP/got" | tr '\n' '|')"
fi

# Random text without NUL bytes: libconfig's syntax error, with a line.
python3 -c 'import random, sys; random.seed(7); sys.stdout.write("".join(chr(random.randint(33, 126)) for _ in range(3000)))' >"$TMP/noise.conf"
"$TCPSTATED" -t -c "$TMP/noise.conf" >/dev/null 2>"$TMP/got"
rc=$?
if [ $rc -eq 1 ] && [ -s "$TMP/got" ] && ! grep -v '^    ' "$TMP/got" | grep -qv "^$TMP/noise.conf:[0-9][0-9]*: "; then
	pass conf_random_text
else
	fail conf_random_text "rc=$rc $(head -n 3 "$TMP/got" | tr '\n' '|')"
fi

# Unreadable: only root could read it, and the check runs as nobody.
printf 'capture: { snaplen = 128; };\n' >"$TMP/secret.conf"
chmod 600 "$TMP/secret.conf"
chmod 755 "$TMP"
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TCPSTATED" -t -c "$TMP/secret.conf" >/dev/null 2>"$TMP/got"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(cat "$TMP/got")" = "$TMP/secret.conf: cannot open: Permission denied" ]; then
		pass conf_unreadable
	else
		fail conf_unreadable "rc=$rc $(head -n 3 "$TMP/got" | tr '\n' '|')"
	fi
else
	skip conf_unreadable "setpriv (util-linux) is not installed"
fi

# --- what must pass ---------------------------------------------------------------
# check_ok NAME FILE: exit 0, "configuration OK", and on stderr at most warnings
# about the world -t looked at (a missing interface or log directory).
check_ok() {
	local out
	out=$("$TCPSTATED" -t -c "$2" 2>"$TMP/check_ok.err")
	local rc=$?
	if [ $rc -eq 0 ] && [ "$out" = "configuration OK" ] &&
	    ! grep -v "^$2: warning: " "$TMP/check_ok.err" >/dev/null; then
		pass "$1"
	else
		fail "$1" "rc=$rc $out $(head -n 2 "$TMP/check_ok.err" | tr '\n' '|')"
	fi
}
check_ok conf_example_passes conf/tcpstated.conf
: >"$TMP/empty.conf"
check_ok conf_empty_file_is_defaults "$TMP/empty.conf"

# Edge values at both ends of every range are accepted.
cat >"$TMP/edges.conf" <<'EOF'
events = [ ];
capture: { interface = "abcdefghijklmno"; ports = [ 1, 65535 ]; snaplen = 262144;
	buffer_size_kb = 64; filter = "tcp and (port 1 or port 65535)"; };
tracking: { max_flows = 16; timeouts: { syn = 1; established = 31536000; closing = 1;
	time_wait = 31536000; }; };
daemon: { user = "nobody"; stats_interval = 0; close_on_shutdown = false; };
outputs: {
	journal: { enabled = false; events = [ "SYN", "SYN_ACK", "ESTABLISHED", "FIN", "RST",
		"TIME_WAIT", "STATE", "CLOSED" ]; rate_limit = 10000000; rate_interval = 86400; };
	syslog: { enabled = true; facility = "local7"; ident = "x"; format = "cee"; rate_limit = 0;
		rate_interval = 1; };
	file: { path = "relative/events.txt"; format = "text"; max_size_mb = 0; keep = 0;
		mode = "0"; };
};
EOF
check_ok conf_range_edges "$TMP/edges.conf"

# Hex, 64-bit literals in range, lists in ( ) as well as arrays, ':' and '='.
cat >"$TMP/syntax-forms.conf" <<'EOF'
capture = { ports = ( 0x50, 443 ); snaplen = 0xA0; buffer_size_kb = 8192L; };
tracking: { max_flows = 1048576L; };
outputs: { file: { mode = "640"; }; };
EOF
check_ok conf_syntax_forms "$TMP/syntax-forms.conf"

# @include works, and errors inside an included file name that file.
printf 'snaplen = 20;\n' >"$TMP/inc-capture.conf"
printf 'capture: {\n@include "%s"\n};\n' "$TMP/inc-capture.conf" >"$TMP/includer.conf"
"$TCPSTATED" -t -c "$TMP/includer.conf" >/dev/null 2>"$TMP/got"
if [ $? -eq 1 ] && [ "$(cat "$TMP/got")" = "$TMP/inc-capture.conf:1: capture.snaplen: 20 is out of range (64..262144)" ]; then
	pass conf_include_error_names_included_file
else
	fail conf_include_error_names_included_file "$(tr '\n' '|' <"$TMP/got")"
fi

# Command-line options override the file and are checked with it.
printf 'capture: { interface = "eth0"; filter = "tcp port 22"; };\n' >"$TMP/over.conf"
out=$("$TCPSTATED" -t -c "$TMP/over.conf" -F 'tcp and' 2>&1)
rc=$?
if [ $rc -eq 1 ] && [[ $out == '-F: bad filter "tcp and":'* ]]; then
	pass conf_option_F_checked
else
	fail conf_option_F_checked "rc=$rc $out"
fi
