/*
 * log.h - the daemon's diagnostics: what tcpstated itself is doing, never the
 * TCP events (those go only to the outputs).
 *
 * One line per call on standard error. When standard error is the journal's
 * stream (JOURNAL_STREAM names it, see systemd.exec(5)), each line starts
 * with the sd-daemon(3) priority prefix "<N>" so journald keeps the level;
 * otherwise it starts with "ident: ". errno is preserved by every call.
 */
#ifndef TCPSTATED_LOG_H
#define TCPSTATED_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* debug != 0 enables log_debug(); ident prefixes lines outside the journal. */
void log_init(int debug, const char *ident);

/* Warning with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Warning without errno. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with -d. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy src to dst (cap bytes with the NUL) with control characters and bytes
 * that are not UTF-8 written as \xNN and a backslash as \\, cut at a
 * character if it does not fit:
 * how every diagnostic line is written, and how the daemon shows a string
 * from outside anywhere else (STATUS=, --stats). Returns how many bytes of
 * src were copied: strlen(src) unless it was cut.
 */
size_t log_escape(char *dst, size_t cap, const char *src);

/* Log at critical level (fatal appends strerror(errno)) and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
