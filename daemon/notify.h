/*
 * notify.h - telling systemd where the daemon is (sd_notify(3)).
 *
 * Every call is a no-op when NOTIFY_SOCKET is not set, so the daemon runs the
 * same way under systemd, from a shell and in tests.
 */
#ifndef TCPSTATED_NOTIFY_H
#define TCPSTATED_NOTIFY_H

#include <stdint.h>

/* READY=1 with a status line: capture and filter are active. */
void notify_ready(const char *status);

/* STATUS=: free text shown by systemctl status. */
void notify_status(const char *status);

/* RELOADING=1 at the start of a SIGHUP reload; notify_ready() ends it. */
void notify_reloading(void);

void notify_stopping(void);

void notify_watchdog(void);

/* The watchdog interval systemd expects pings within; 0 when none. */
uint64_t notify_watchdog_usec(void);

#endif
