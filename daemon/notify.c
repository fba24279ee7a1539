/*
 * notify.c - telling systemd where the daemon is (sd_notify(3)).
 *
 * READY=1 is sent only once capture and its filter are active, so that a bad
 * interface or filter fails `systemctl start` instead of showing "running".
 * Failures to notify are not errors: the daemon works without a manager.
 */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

/* Send one notification; a failure is worth a debug line, no more. */
static void
notify_send(const char *state)
{
	int r;

	r = sd_notify(0, state);
	if (r < 0)
		log_debug("sd_notify: %s", strerror(-r));
}

/* Status text must stay on one line: the protocol is newline-separated. */
static void
notify_send_status(const char *prefix, const char *status)
{
	char buf[1024];
	size_t i, n;

	n = (size_t)snprintf(buf, sizeof(buf), "%sSTATUS=%s", prefix, status);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (i = 0; i < n; i++)
		if (buf[i] == '\n' && i >= strlen(prefix))
			buf[i] = ' ';
	notify_send(buf);
}

void
notify_ready(const char *status)
{
	notify_send_status("READY=1\n", status);
}

void
notify_status(const char *status)
{
	notify_send_status("", status);
}

void
notify_reloading(void)
{
	notify_send("RELOADING=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void
notify_watchdog(void)
{
	notify_send("WATCHDOG=1");
}

uint64_t
notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}
