#!/usr/bin/env bash
# t_install.sh - make install into a DESTDIR puts every piece where Debian
# expects it, never overwrites an existing config, honours PREFIX and
# SYSCONFDIR in the unit, and make uninstall removes everything but the config.
. "$(dirname "$0")/lib.sh"

root=$TMP/root
inst() { make -s --no-print-directory "$@" BUILD="$BUILD" >>"$TMP/make.out" 2>&1; }

# mode PATH: octal permission bits, or "missing".
mode() { if [ -e "$1" ]; then stat -c %a "$1"; else echo missing; fi; }

# file_ok NAME PATH MODE [SOURCE]: installed with that mode (and that content).
file_ok() {
	local m
	m=$(mode "$2")
	if [ "$m" != "$3" ]; then
		fail "$1" "$2: mode $m, want $3"
	elif [ -n "${4:-}" ] && ! cmp -s "$2" "$4"; then
		fail "$1" "$2 differs from $4"
	else
		pass "$1"
	fi
}

if [ ! -f conf/tcpstated.conf ]; then
	fail install "conf/tcpstated.conf does not exist yet (the daemon's example config has not landed)"
	exit 0
fi
if ! inst install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc; then
	fail install "make install failed: $(tail -n 3 "$TMP/make.out" | tr '\n' ' ')"
	exit 0
fi
pass install

file_ok install_binary "$root/usr/sbin/tcpstated" 755 "$BUILD/tcpstated"
file_ok install_man8 "$root/usr/share/man/man8/tcpstated.8" 644 man/tcpstated.8
file_ok install_man5 "$root/usr/share/man/man5/tcpstated.conf.5" 644 man/tcpstated.conf.5
file_ok install_man7 "$root/usr/share/man/man7/tcpstated-records.7" 644 man/tcpstated-records.7
file_ok install_conf "$root/etc/tcpstated/tcpstated.conf" 644 conf/tcpstated.conf
file_ok install_unit "$root/lib/systemd/system/tcpstated.service" 644 systemd/tcpstated.service
file_ok install_catalog "$root/usr/lib/systemd/catalog/tcpstated.catalog" 644 systemd/tcpstated.catalog
file_ok install_logrotate_example "$root/usr/share/doc/tcpstated/examples/tcpstated.logrotate" 644 systemd/tcpstated.logrotate
for f in conf/examples/*.conf; do
	file_ok "install_example_$(basename "$f" .conf)" "$root/usr/share/doc/tcpstated/examples/$(basename "$f")" 644 "$f"
done
file_ok install_bash_completion "$root/usr/share/bash-completion/completions/tcpstated" 644 conf/tcpstated.bash-completion

# What an admin then runs: man finds both pages, journalctl indexes the catalog.
if MANPATH="$root/usr/share/man" man -w tcpstated >/dev/null 2>&1 &&
    MANPATH="$root/usr/share/man" man -w 5 tcpstated.conf >/dev/null 2>&1; then
	pass install_man_finds_pages
else
	fail install_man_finds_pages "man -w tcpstated / tcpstated.conf with MANPATH=$root/usr/share/man"
fi
n=$(journalctl --root="$root" --update-catalog >/dev/null 2>&1 &&
    journalctl --root="$root" --list-catalog 2>/dev/null | grep -c ' tcpstated: ')
if [ "$n" = 12 ]; then pass install_catalog_indexes; else fail install_catalog_indexes "$n tcpstated entries, want 12"; fi

# The installed binary runs and accepts the installed config.
if out=$("$root/usr/sbin/tcpstated" -t -c "$root/etc/tcpstated/tcpstated.conf" 2>"$TMP/install-t.err") &&
    [ "$out" = "configuration OK" ] && ! grep -v ': warning: ' "$TMP/install-t.err" >/dev/null; then
	pass install_conf_checks
else
	fail install_conf_checks "$(printf '%s' "$out" | head -n 3 | tr '\n' '|') $(head -n 3 "$TMP/install-t.err" | tr '\n' '|')"
fi

# A second install keeps a config the admin changed.
echo '# changed by the admin' >>"$root/etc/tcpstated/tcpstated.conf"
cp "$root/etc/tcpstated/tcpstated.conf" "$TMP/conf.changed"
if inst install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc &&
    cmp -s "$root/etc/tcpstated/tcpstated.conf" "$TMP/conf.changed"; then
	pass install_keeps_changed_conf
else
	fail install_keeps_changed_conf "the second make install replaced the changed config"
fi

# Other prefixes: the unit must run the binary and read the config where they went.
root2=$TMP/root2
if inst install DESTDIR="$root2" PREFIX=/usr/local SYSCONFDIR=/usr/local/etc; then
	unit2=$root2/lib/systemd/system/tcpstated.service
	bad=""
	grep -qx 'ExecStart=/usr/local/sbin/tcpstated -f -c /usr/local/etc/tcpstated/tcpstated.conf' "$unit2" ||
	    bad="$bad ExecStart"
	grep -qx 'ExecStartPre=/usr/local/sbin/tcpstated -t -c /usr/local/etc/tcpstated/tcpstated.conf' "$unit2" ||
	    bad="$bad ExecStartPre"
	grep -q '/usr/sbin/' "$unit2" && bad="$bad still-/usr/sbin"
	[ -x "$root2/usr/local/sbin/tcpstated" ] || bad="$bad binary"
	[ -f "$root2/usr/local/etc/tcpstated/tcpstated.conf" ] || bad="$bad conf"
	[ -f "$root2/usr/local/share/man/man8/tcpstated.8" ] || bad="$bad man8"
	if [ -z "$bad" ]; then pass install_prefix; else fail install_prefix "wrong or missing:$bad"; fi
else
	fail install_prefix "make install PREFIX=/usr/local failed: $(tail -n 3 "$TMP/make.out" | tr '\n' ' ')"
fi

# Uninstall removes every installed file and keeps the (changed) config.
if inst uninstall DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc; then
	left=""
	for f in usr/sbin/tcpstated usr/share/man/man8/tcpstated.8 usr/share/man/man5/tcpstated.conf.5 \
	    usr/share/man/man7/tcpstated-records.7 \
	    lib/systemd/system/tcpstated.service usr/lib/systemd/catalog/tcpstated.catalog \
	    usr/share/doc/tcpstated/examples/tcpstated.logrotate \
	    usr/share/bash-completion/completions/tcpstated \
	    $(cd conf && ls examples/*.conf | sed 's|^|usr/share/doc/tcpstated/|'); do
		[ -e "$root/$f" ] && left="$left $f"
	done
	if [ -n "$left" ]; then
		fail uninstall "left behind:$left"
	elif ! cmp -s "$root/etc/tcpstated/tcpstated.conf" "$TMP/conf.changed"; then
		fail uninstall "the config was removed or changed"
	else
		pass uninstall
	fi
else
	fail uninstall "make uninstall failed: $(tail -n 3 "$TMP/make.out" | tr '\n' ' ')"
fi
