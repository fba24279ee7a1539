#!/usr/bin/env bash
# t_cli.sh - the command line: -h, -V, usage errors (exit 2), -t on good and
# bad configs (exit 0/1, "file:line: message"), and -r on files that are
# missing, not captures, cut short or of an unknown link type: each a
# one-line error and exit 1, never a crash.
. "$(dirname "$0")/lib.sh"

SEED=$SHARED/fixtures/seed-handshake-close.pcap

# run NAME ARGS...: run tcpstated, keep stdout, stderr and the exit status.
run() {
	local name=$1; shift
	"$TCPSTATED" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }
lines() { grep -c '' "$TMP/$1.$2"; }

# --- help and version -------------------------------------------------------
run help -h
if [ "$(rc help)" = 0 ] && grep -q '^usage: tcpstated' "$TMP/help.out" &&
    grep -q -- '-r file' "$TMP/help.out" && [ ! -s "$TMP/help.err" ]; then
	pass help_exit0_usage_on_stdout
else
	fail help_exit0_usage_on_stdout "rc=$(rc help) $(head -c 200 "$TMP/help.out" "$TMP/help.err" | tr '\n' ' ')"
fi

run version -V
want_version=$(cat VERSION)
if [ "$(rc version)" = 0 ] && grep -q "^tcpstated $want_version\$" "$TMP/version.out" &&
    grep -q '^libpcap version [0-9]' "$TMP/version.out" &&
    grep -q '^libevent [0-9]' "$TMP/version.out" &&
    grep -q '^libconfig [0-9]\+\.[0-9]\+\.[0-9]\+$' "$TMP/version.out"; then
	pass version_lists_libraries
else
	fail version_lists_libraries "rc=$(rc version) $(tr '\n' '|' <"$TMP/version.out")"
fi

# The long forms: --help and --version as -h and -V, and every letter in the
# usage has one (the help lists it beside the letter).
run help_long --help
if [ "$(rc help_long)" = 0 ] && cmp -s "$TMP/help.out" "$TMP/help_long.out"; then
	pass help_long_form
else
	fail help_long_form "rc=$(rc help_long)"
fi
run version_long --version
check version_long_form cmp "$TMP/version.out" "$TMP/version_long.out"
letters=$(sed -n 's/^usage: tcpstated \[-\([a-zA-Z]*\)\].*/\1/p' "$TMP/help.out")
letters="$letters$(grep -o -- '\[-[a-zA-Z] [a-z]*\]' "$TMP/help.out" | cut -c3 | sort -u | tr -d '\n')"
missing=""
for l in $(echo "$letters" | grep -o .); do
	grep -q -- "^  -$l, --[a-z-]*" "$TMP/help.out" || missing="$missing -$l"
done
if [ ${#letters} -ge 12 ] && [ -z "$missing" ]; then
	pass every_letter_has_a_long_form
else
	fail every_letter_has_a_long_form "letters '$letters', without a long form:$missing"
fi
# The long forms work: a check through them, and a replay through them.
run long_check --check-config --config conf/tcpstated.conf --interface lo --ports 80,443 \
    --filter 'tcp' --debug --foreground
check long_forms_check [ "$(rc long_check)" = 0 ]
run long_replay --read "$SHARED/fixtures/seed-handshake-close.pcap" --format text \
    --config /dev/null
run short_replay -r "$SHARED/fixtures/seed-handshake-close.pcap" -o text -c /dev/null
check long_forms_replay cmp "$TMP/long_replay.out" "$TMP/short_replay.out"

# --- usage errors: exit 2, one error line naming the problem, then the usage --
usage_case() { # name expect-in-message args...
	local name=$1 want=$2; shift 2
	run "$name" "$@"
	local first
	first=$(head -n 1 "$TMP/$name.err")
	if [ "$(rc "$name")" = 2 ] && [[ $first == "tcpstated: "*"$want"* ]] &&
	    grep -q '^usage: tcpstated' "$TMP/$name.err" && [ ! -s "$TMP/$name.out" ]; then
		pass "usage_$name"
	else
		fail "usage_$name" "rc=$(rc "$name") first line: $first"
	fi
}
usage_case unknown_flag "unknown option -x" -x
usage_case missing_arg "-c needs an argument" -c
usage_case bad_format "-o yaml" -o yaml
usage_case port_zero "port 0 is out of range" -p 0
usage_case port_big "port 70000 is out of range" -p 80,70000
usage_case port_junk "expected comma-separated port numbers" -p 80,http
usage_case port_empty "expected comma-separated port numbers" -p 80,,443
usage_case too_many_ports "more than 64 ports" -p "$(seq -s, 1 65)"
usage_case long_iface "1 to 15 characters" -i abcdefghijklmnopq
usage_case extra_arg 'unexpected argument "foo"' -t foo
usage_case unknown_long "unknown option --colour" --colour=always
usage_case missing_long_arg "--config needs an argument" --config
usage_case outputs_alone "--outputs: only with -o or -r" --outputs

# --- -t ---------------------------------------------------------------------
printf 'capture: { ports = [ 80, 443 ]; snaplen = 128; };\n' >"$TMP/good.conf"
run t_good -t -c "$TMP/good.conf"
if [ "$(rc t_good)" = 0 ] && [ "$(cat "$TMP/t_good.out")" = "configuration OK" ]; then
	pass check_good_config
else
	fail check_good_config "rc=$(rc t_good) $(cat "$TMP/t_good.out" "$TMP/t_good.err" | tr '\n' ' ')"
fi

run t_example -t -c conf/tcpstated.conf
if [ "$(rc t_example)" = 0 ] && [ "$(cat "$TMP/t_example.out")" = "configuration OK" ]; then
	pass check_example_config
else
	fail check_example_config "rc=$(rc t_example) $(head -n 3 "$TMP/t_example.err" | tr '\n' ' ')"
fi

printf 'capture: {\n  snaplen = 10;\n  portz = [ 1 ];\n};\n' >"$TMP/bad.conf"
run t_bad -t -c "$TMP/bad.conf"
if [ "$(rc t_bad)" = 1 ] && [ "$(lines t_bad err)" = 2 ] &&
    grep -qx "$TMP/bad.conf:2: capture.snaplen: 10 is out of range (64..262144)" "$TMP/t_bad.err" &&
    grep -qx "$TMP/bad.conf:3: unknown setting \"capture.portz\" (did you mean \"capture.ports\"?)" "$TMP/t_bad.err" &&
    ! grep -q 'configuration OK' "$TMP/t_bad.out"; then
	pass check_bad_config_every_error
else
	fail check_bad_config_every_error "rc=$(rc t_bad) $(tr '\n' '|' <"$TMP/t_bad.err")"
fi

# Command-line overrides are checked by -t too.
run t_badF -t -c "$TMP/good.conf" -F 'tcp port'
if [ "$(rc t_badF)" = 1 ] && grep -q '^-F: bad filter "tcp port"' "$TMP/t_badF.err"; then
	pass check_bad_filter_option
else
	fail check_bad_filter_option "rc=$(rc t_badF) $(tr '\n' ' ' <"$TMP/t_badF.err")"
fi

# A bad config stops a replay too, before anything is read.
run r_badconf -r "$SEED" -c "$TMP/bad.conf"
if [ "$(rc r_badconf)" = 1 ] && [ ! -s "$TMP/r_badconf.out" ] &&
    grep -q "bad.conf:2: capture.snaplen" "$TMP/r_badconf.err"; then
	pass replay_refuses_bad_config
else
	fail replay_refuses_bad_config "rc=$(rc r_badconf) $(tr '\n' ' ' <"$TMP/r_badconf.err")"
fi

# --- -r on bad files: one line on stderr, exit 1, never a signal --------------
# An empty config: the defaults, whatever /etc holds.
: >"$TMP/empty.conf"
replay_error() { # name file expect-in-message
	local name=$1 file=$2 want=$3
	run "$name" -r "$file" -c "$TMP/empty.conf"
	local r
	r=$(rc "$name")
	if [ "$r" = 1 ] && [ "$(lines "$name" err)" = 1 ] &&
	    grep -q "^tcpstated: .*$want" "$TMP/$name.err"; then
		pass "replay_$name"
	else
		fail "replay_$name" "rc=$r (>=128 is a crash) stderr: $(head -n 3 "$TMP/$name.err" | tr '\n' '|')"
	fi
}

replay_error missing_file "$TMP/nope.pcap" "nope.pcap: No such file or directory"
replay_error directory "$TMP" "Is a directory"
printf 'this is not a capture file, just text\n' >"$TMP/text.pcap"
replay_error not_pcap "$TMP/text.pcap" "text.pcap: unknown file format"
: >"$TMP/empty.pcap"
replay_error empty_file "$TMP/empty.pcap" "empty.pcap: truncated dump file"

# A capture of link type 147 (DLT_USER0): a valid file decode cannot read.
python3 - "$TMP/user0.pcap" <<'EOF'
import struct, sys
frame = b'\x00' * 60
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147))
    f.write(struct.pack('<IIII', 1700000000, 0, len(frame), len(frame)) + frame)
EOF
replay_error link_147 "$TMP/user0.pcap" "link type 147 is not supported"

# The seed capture cut inside its 6th packet: the events before the cut are
# printed (the open connection then ends as shutdown), then the error.
head -c 500 "$SEED" >"$TMP/cut.pcap"
run cut -r "$TMP/cut.pcap" -c "$TMP/empty.conf"
if [ "$(rc cut)" = 1 ] && [ "$(lines cut err)" = 1 ] &&
    grep -q '^tcpstated: .*cut.pcap: truncated dump file' "$TMP/cut.err" &&
    grep -q '"event":"SYN"' "$TMP/cut.out" &&
    grep -q '"event":"CLOSED".*"reason":"shutdown"' "$TMP/cut.out"; then
	pass replay_truncated_keeps_what_was_read
else
	fail replay_truncated_keeps_what_was_read "rc=$(rc cut) stderr: $(tr '\n' '|' <"$TMP/cut.err") stdout lines: $(lines cut out)"
fi

# Cut inside a record header: also one line, also exit 1.
head -c 30 "$SEED" >"$TMP/cut2.pcap"
replay_error cut_in_header "$TMP/cut2.pcap" "truncated dump file"

# Random bytes after a valid header: never a crash.
python3 - "$TMP/junk.pcap" <<'EOF'
import os, struct, sys
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(os.urandom(4096))
EOF
run junk -r "$TMP/junk.pcap" -c "$TMP/empty.conf"
if [ "$(rc junk)" -lt 128 ] && [ "$(lines junk err)" -le 1 ]; then
	pass replay_random_bytes_no_crash
else
	fail replay_random_bytes_no_crash "rc=$(rc junk) $(head -n 3 "$TMP/junk.err" | tr '\n' '|')"
fi

# With -r, a missing default config is not an error (only the default one).
run r_noconf -r "$SEED" -c "$TMP/missing.conf"
if [ "$(rc r_noconf)" = 1 ] && grep -q 'missing.conf: cannot open: No such file' "$TMP/r_noconf.err"; then
	pass replay_explicit_missing_config_is_error
else
	fail replay_explicit_missing_config_is_error "rc=$(rc r_noconf) $(tr '\n' ' ' <"$TMP/r_noconf.err")"
fi

if [ -e /etc/tcpstated/tcpstated.conf ]; then
	skip replay_default_config_may_be_missing "/etc/tcpstated/tcpstated.conf exists here"
else
	run r_default -r "$SEED"
	if [ "$(rc r_default)" = 0 ] && grep -q '"event":"CLOSED"' "$TMP/r_default.out"; then
		pass replay_default_config_may_be_missing
	else
		fail replay_default_config_may_be_missing "rc=$(rc r_default) $(tr '\n' ' ' <"$TMP/r_default.err")"
	fi
fi
