#!/usr/bin/env bash
# t_prefetch.sh - the tracker's prefetches are in the binary. GCC 12 at -O2
# judges a function whose only effect is __builtin_prefetch free of side
# effects and deletes every call to it, silently: that is how the batch
# look-ahead of tracker_segments() compiled to nothing for two releases.
# flowtab.h's helpers are always_inline for it (FLOWTAB_PREFETCH); this
# reads the object the daemon links and counts the prefetch instructions in
# tracker_segments() and tracker_segments_prehashed(), there and in the daemon.
. "$(dirname "$0")/lib.sh"

case $(uname -m) in
x86_64) ;;
*) skip prefetch "the instruction names checked are x86-64's ($(uname -m) here)"; exit 0 ;;
esac
command -v objdump >/dev/null || { skip prefetch "objdump is not installed (binutils)"; exit 0; }

count() { # OBJECT FUNCTION: prefetch instructions in FUNCTION
	objdump -d --no-show-raw-insn "$1" |
	    awk -v f="<$2>:" '$2 == f { on = 1; next } /^[0-9a-f]+ </ { on = 0 } on' |
	    grep -c 'prefetch'
}
for obj in "$BUILD/lib/tracker.o" "$TCPSTATED"; do
	for fn in tracker_segments tracker_segments_prehashed; do
		n=$(count "$obj" $fn)
		# Buckets (2) and the flow's lines (5).
		if [ "$n" -ge 7 ]; then
			pass "prefetch_in_$fn ($(basename "$obj"): $n prefetch instructions)"
		else
			fail "prefetch_in_$fn" "$(basename "$obj"): $n prefetch instructions in $fn(), want 7: were the FLOWTAB_PREFETCH helpers made plain inline again?"
		fi
	done
done
