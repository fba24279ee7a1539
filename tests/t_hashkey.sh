#!/usr/bin/env bash
# t_hashkey.sh - the flow table's hash key (issue 15): it comes from
# getrandom() alone, for -r too, and without it tcpstated refuses to run
# (fail closed) instead of falling back to a guessable key; flow ids stay
# reproducible for a file and differ between files.
. "$(dirname "$0")/lib.sh"

SEED=$SHARED/fixtures/seed-handshake-close.pcap
command -v cc >/dev/null || { skip hashkey_no_getrandom_refuses "no C compiler"; exit 0; }

# A getrandom() that always fails, preloaded in front of libc's.
cat >"$TMP/nogetrandom.c" <<'C'
#include <errno.h>
#include <stddef.h>
#include <sys/types.h>
ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	(void)buf; (void)len; (void)flags;
	errno = ENOSYS;
	return -1;
}
C
if ! cc -shared -fPIC -o "$TMP/nogetrandom.so" "$TMP/nogetrandom.c" 2>"$TMP/cc.err"; then
	skip hashkey_no_getrandom_refuses "cannot build the preload: $(head -n 1 "$TMP/cc.err")"
	exit 0
fi

# Under make asan the sanitizer runtime wants to come first; it need not.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    LD_PRELOAD=$TMP/nogetrandom.so "$TCPSTATED" -r "$SEED" >"$TMP/r.out" 2>"$TMP/r.err" </dev/null
rc=$?
if [ $rc = 1 ] && grep -q 'getrandom' "$TMP/r.err" && [ ! -s "$TMP/r.out" ]; then
	pass hashkey_no_getrandom_refuses
else
	fail hashkey_no_getrandom_refuses "rc=$rc out=$(head -c 100 "$TMP/r.out") err=$(tr '\n' '|' <"$TMP/r.err")"
fi

# The same file twice: the same ids (the key differs, nothing printed shows it).
"$TCPSTATED" -r "$SEED" >"$TMP/a.json" 2>/dev/null
"$TCPSTATED" -r "$SEED" >"$TMP/b.json" 2>/dev/null
if [ -s "$TMP/a.json" ] && cmp -s "$TMP/a.json" "$TMP/b.json"; then
	pass hashkey_same_file_same_output
else
	fail hashkey_same_file_same_output "$(diff "$TMP/a.json" "$TMP/b.json" | head -n 4 | tr '\n' '|')"
fi

# Two different files: no flow id in common (with seed 0 every file's first id was the same).
"$BUILD/tools/gencases" "$TMP/cases" >/dev/null 2>&1
n=0
for p in "$TMP"/cases/0[1-5]-*.pcap "$SEED"; do
	"$TCPSTATED" -r "$p" 2>/dev/null | python3 -c 'import json, sys; [print(json.loads(l)["flow"]) for l in sys.stdin]' | sort -u
	n=$((n + 1))
done >"$TMP/ids"
if [ "$n" -ge 6 ] && [ "$(sort "$TMP/ids" | uniq -d | wc -l)" = 0 ] && [ "$(wc -l <"$TMP/ids")" -ge 6 ]; then
	pass hashkey_files_have_distinct_ids
else
	fail hashkey_files_have_distinct_ids "$n files, ids repeated: $(sort "$TMP/ids" | uniq -d | tr '\n' ' ')"
fi
