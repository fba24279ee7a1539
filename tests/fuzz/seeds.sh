#!/usr/bin/env bash
# tests/fuzz/seeds.sh - build the seed corpora of the fuzz harnesses.
#
#   tests/fuzz/seeds.sh [OUTDIR]      (default build-fuzz/seeds)
#
# OUTDIR/frames: chunks of the frames of every capture in $SHARED/corpus/pcaps,
#   $SHARED/fixtures and the golden cases gencases writes (every tunnel type
#   among them), in fuzz_frames' format (tests/fuzz/pcapsplit.py).
# OUTDIR/pcap: those captures whole, cut at 64 KiB (fuzz_pcap's -max_len).
# OUTDIR/config: conf/*.conf, tests/conf-bad/*, and the configs below: the
#   agreed full example, small valid ones, and one of each kind of mistake.
set -eu
cd "$(dirname "$0")/../.."
: "${SHARED:=$(cd .. && pwd)/shared}"
out=${1:-build-fuzz/seeds}
rm -rf "$out"
mkdir -p "$out/frames" "$out/pcap" "$out/config"

gencases=${BUILD:-build}/tools/gencases
if [ -x "$gencases" ]; then
	"$gencases" "$out/cases" >/dev/null
fi
pcaps=()
for f in "$SHARED"/corpus/pcaps/* "$SHARED"/fixtures/*.pcap* "$out"/cases/*.pcap; do
	[ -f "$f" ] && pcaps+=("$f")
done
python3 tests/fuzz/pcapsplit.py "$out/frames" "${pcaps[@]}"
for f in "${pcaps[@]}"; do
	head -c 65536 "$f" >"$out/pcap/$(basename "$f")"
done

for f in conf/*.conf tests/conf-bad/*; do
	[ -f "$f" ] && cp "$f" "$out/config/$(echo "$f" | tr / _)"
done

c=$out/config
cat >"$c/full.conf" <<'EOF'
events = [ "SYN", "SYN_ACK", "ESTABLISHED", "FIN", "RST", "TIME_WAIT", "STATE", "CLOSED" ];
capture: {
  interface = "any";
  ports = [ 80, 443 ];
  filter = "";
  snaplen = 160;
  buffer_size_kb = 8192;
  promiscuous = false;
  immediate = false;
};
tracking: {
  max_flows = 262144;
  timeouts: {
    syn = 30; established = 7440; closing = 240; time_wait = 60;
  };
};
daemon: {
  user = "";
  close_on_shutdown = true;
  stats_interval = 300;
};
outputs: {
  journal: { enabled = true;  events = [ "RST", "CLOSED" ]; rate_limit = 1000; rate_interval = 10; };
  syslog:  { enabled = false; events = [ "RST", "CLOSED" ]; rate_limit = 1000; rate_interval = 10;
             facility = "daemon"; ident = "tcpstated"; format = "kv"; };
  file:    { enabled = true;  events = [ "SYN", "FIN", "RST", "CLOSED" ]; rate_limit = 0; rate_interval = 10;
             path = "/var/log/tcpstated/events.json"; format = "json";
             max_size_mb = 100; keep = 5; mode = "0640"; };
};
EOF
printf '' >"$c/empty.conf"
printf '# only a comment\n// another\n/* and a block */\n' >"$c/comments.conf"
printf 'capture: { filter = "tcp port 80 and (src net 10.0.0.0/8 or vlan)"; };\n' >"$c/filter.conf"
printf 'capture = { ports = ( 22, 0x50, 443L ); interface = "eth0"; };\n' >"$c/list-hex.conf"
printf 'outputs: { syslog: { enabled = true; facility = "local3"; format = "cee"; }; };\n' >"$c/syslog.conf"
printf 'outputs: { file: { format = "text"; mode = "0600"; max_size_mb = 0; keep = 0; }; };\n' >"$c/file.conf"
printf 'daemon: { user = "nobody"; stats_interval = 0; };\n' >"$c/user.conf"
printf 'tracking: { max_flows = 16; timeouts: { syn = 1; }; };\n' >"$c/small.conf"
printf 'capture: { snaplen = 4294967312; };\n' >"$c/bad-wrap.conf"
printf 'capture: { snaplen = 10; buffer_size_kb = -1; };\n' >"$c/bad-range.conf"
printf 'capture: { snaplen = "160"; promiscuous = 1; ports = 80; };\n' >"$c/bad-type.conf"
printf 'captur: { interfce = "eth0"; };\nfoo = 1;\n' >"$c/bad-unknown.conf"
printf 'capture: { interface = "eth0" \n' >"$c/bad-syntax.conf"
printf 'events = [ "SYN", "BOGUS", 3 ];\n' >"$c/bad-events.conf"
printf 'capture: { filter = "tcp port"; };\n' >"$c/bad-filter.conf"
printf 'outputs: { file: { mode = "0999"; path = ""; }; syslog: { facility = "nope"; }; };\n' >"$c/bad-values.conf"
printf 'capture: { ports = [ 0, 65536, 80, 80 ]; };\n' >"$c/bad-ports.conf"
printf '@include "missing.conf"\n' >"$c/bad-include.conf"
printf 'capture: { interface = "eth\\n0"; };\n' >"$c/bad-control.conf"
printf 'a\0b = 1;\n' >"$c/bad-binary.conf"
rm -rf "$out/cases"
echo "$(ls "$c" | wc -l) config seeds, $(ls "$out/pcap" | wc -l) pcap seeds in $out"
