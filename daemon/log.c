/*
 * log.c - diagnostics on standard error, one line per call, with sd-daemon
 * priority prefixes under journald. Modelled on the log.c of OpenBSD's
 * daemons: log_warn adds strerror(errno), fatal exits, errno survives.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 1024

static int log_debug_on;
static int log_journal = -1; /* -1: not decided yet */
static char log_ident[64] = "tcpstated";

/*
 * Is standard error the journal stream systemd gave us? JOURNAL_STREAM holds
 * "device:inode" of that stream; systemd.exec(5) asks to compare it with
 * fstat(2) of the fd, so that a shell redirect of a child is not mistaken
 * for the journal.
 */
static int
log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || *env == '\0')
		return 0;
	dev = strtoumax(env, &end, 10);
	if (*end != ':')
		return 0;
	ino = strtoumax(end + 1, &end, 10);
	if (*end != '\0')
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void
log_init(int debug, const char *ident)
{
	int saved = errno;

	log_debug_on = debug;
	if (ident != NULL && *ident != '\0')
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_journal = log_stderr_is_journal();
	errno = saved;
}

/* Build the whole line first and write it with one write(2), so lines never interleave. */
static void __attribute__((format(printf, 2, 0)))
log_vlog(int pri, const char *fmt, va_list ap, int errnum)
{
	char line[LOG_LINE_MAX];
	size_t len;
	int n, saved = errno;

	if (log_journal == -1)
		log_journal = log_stderr_is_journal();
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", pri);
	else
		n = snprintf(line, sizeof(line), "%s: ", log_ident);
	len = n > 0 ? (size_t)n : 0;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n;
	if (errnum != 0 && len < sizeof(line)) {
		n = snprintf(line + len, sizeof(line) - len, ": %s", strerror(errnum));
		if (n > 0)
			len += (size_t)n;
	}
	if (len > sizeof(line) - 2) {
		/* Too long for one line: cut it and say so. */
		len = sizeof(line) - 5;
		memcpy(line + len, "...", 3);
		len += 3;
	}
	/* A message with embedded newlines would split into lines without a prefix. */
	for (n = 0; (size_t)n < len; n++) {
		if (line[n] == '\n')
			line[n] = ' ';
	}
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) == -1) {
		/* Nowhere left to say it. */
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
