#!/usr/bin/env bash
# t_deps.sh - the Makefile installs what the tests call. CI runs make test on
# a fresh Debian 12, where a tool that make deps-test did not install makes a
# test skip or fail there and nowhere else: every tool a test asks for
# (require_root's list, `for tool in ...`, `command -v`) must come from a
# package in DEB_BUILD or DEB_TEST, or from an Essential one. And make run
# (deps) installs the build packages only, none of the test tools.
. "$(dirname "$0")/lib.sh"

command -v dpkg-query >/dev/null || { skip deps "not a Debian system (no dpkg-query)"; exit 0; }

# The two lists, as make sees them.
lists=$(printf 'print-deps:\n\t@echo "$(DEB_BUILD)|$(DEB_TEST)"\n' | make -s --no-print-directory -f Makefile -f - print-deps)
build=" ${lists%%|*} "
test=" ${lists#*|} "

tools=$(cat tests/t_*.sh tests/fuzz.sh | sed -n \
    -e 's/^[[:space:]]*require_root [a-z_]* \(.*\)/\1/p' \
    -e 's/^[[:space:]]*for tool in \([^;"$]*\);.*/\1/p' \
    -e 's/.*command -v \([a-z][a-z0-9_.-]*\).*/\1/p' | tr ' ' '\n' | grep -v '^$' | sort -u)
bad=""
for t in $tools; do
	path=$(command -v "$t") || { bad="$bad $t(not installed)"; continue; }
	# dpkg knows the name as packaged: /bin/ip for /usr/bin/ip (merged /usr),
	# the symlink /usr/bin/clang of package clang, not clang-14's target.
	pkg=""
	for f in "$path" "${path#/usr}" "$(readlink -f "$path")"; do
		pkg=$(dpkg -S "$f" 2>/dev/null | head -n 1) && break
	done
	pkg=${pkg%%:*}
	case "$build$test" in *" $pkg "*) continue ;; esac
	[ "$(dpkg-query -W -f='${Essential}' "$pkg" 2>/dev/null)" = yes ] && continue
	bad="$bad $t(${pkg:-no package})"
done
if [ -z "$bad" ]; then
	pass "deps_test_tools_installed ($(echo $tools | wc -w) tools: $(echo $tools))"
else
	fail deps_test_tools_installed "tools the tests call that make deps-test does not install:$bad"
fi

# make run needs the build packages only.
out=$(make -n --no-print-directory deps)
extra=""
for p in $test; do
	case " $build " in *" $p "*) continue ;; esac
	case " $out " in *" $p "*) extra="$extra $p" ;; esac
done
if [ -z "$extra" ] && printf '%s\n' "$out" | grep -q 'libpcap-dev'; then
	pass deps_run_builds_only
else
	fail deps_run_builds_only "make deps (for make run) would install test tools:$extra"
fi
