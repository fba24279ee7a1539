/*
 * log.c - diagnostics on standard error, one line per call, with sd-daemon
 * priority prefixes under journald. Modelled on the log.c of OpenBSD's
 * daemons: log_warn adds strerror(errno), fatal exits, errno survives.
 *
 * A diagnostic quotes strings from outside (arguments, interface names,
 * paths, libpcap's messages), so every line is escaped on its way out: a
 * control character or a byte that is not UTF-8 becomes \xNN, and a
 * backslash becomes \\ so that an escaped line decodes to one string only
 * (a name spelled "\xff" is not the byte 0xff). A line then stays one line,
 * cannot drive a terminal, and journald keeps it as text.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
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

/*
 * How many bytes of the character at s may be shown as they are: 1 for
 * printable ASCII, 2 to 4 for a well-formed UTF-8 sequence of a printable
 * character; 0 for a control character (C0, DEL, C1), a byte that does not
 * begin well-formed UTF-8 (a stray continuation, an overlong form, a
 * surrogate, past U+10FFFF) and for the end of the string.
 */
static size_t
log_char_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	cp = s[0] & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t
log_escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t len = 0, n;

	if (cap == 0)
		return 0;
	while (*s != '\0') {
		if (*s == '\\') {
			if (len + 2 >= cap)
				break;
			dst[len++] = '\\';
			dst[len++] = '\\';
			s++;
			continue;
		}
		n = log_char_len(s);
		if (n > 0) {
			if (len + n >= cap)
				break;
			memcpy(dst + len, s, n);
			len += n;
			s += n;
			continue;
		}
		if (len + 4 >= cap)
			break;
		dst[len++] = '\\';
		dst[len++] = 'x';
		dst[len++] = hex[*s >> 4];
		dst[len++] = hex[*s & 15];
		s++;
	}
	dst[len] = '\0';
	return (size_t)((const char *)s - src);
}

/* Build the whole line first and write it with one write(2), so lines never interleave. */
static void __attribute__((format(printf, 2, 0)))
log_vlog(int pri, const char *fmt, va_list ap, int errnum)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	size_t len, rawlen;
	int n, saved = errno;

	if (log_journal == -1)
		log_journal = log_stderr_is_journal();
	if (log_journal)
		n = snprintf(raw, sizeof(raw), "<%d>", pri);
	else
		n = snprintf(raw, sizeof(raw), "%s: ", log_ident);
	rawlen = n > 0 ? (size_t)n : 0;
	n = vsnprintf(raw + rawlen, sizeof(raw) - rawlen, fmt, ap);
	if (n > 0)
		rawlen += (size_t)n;
	if (errnum != 0 && rawlen < sizeof(raw)) {
		n = snprintf(raw + rawlen, sizeof(raw) - rawlen, ": %s", strerror(errnum));
		if (n > 0)
			rawlen += (size_t)n;
	}
	/* Room is kept for "...\n": a line too long for one is cut and says so. */
	if (log_escape(line, sizeof(line) - 4, raw) < rawlen) {
		len = strlen(line);
		memcpy(line + len, "...", 3);
		len += 3;
	} else
		len = strlen(line);
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
