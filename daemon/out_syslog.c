/*
 * out_syslog.c - events to the local syslog daemon.
 *
 * The wire format is the one glibc's syslog(3) writes to /dev/log with
 * openlog(ident, LOG_PID, facility): "<PRI>Mmm dd hh:mm:ss ident[pid]: body"
 * (RFC 3164 framing, local time), so rsyslog, syslog-ng and journald read it
 * as they read every other local program. The body is the key=value record,
 * or "@cee: " and the JSON record (format "cee"), which syslog-ng's
 * json-parser(marker("@cee:")) and rsyslog's mmjsonparse take apart.
 *
 * We do not call syslog(3) itself: its socket is blocking (a stalled syslog
 * daemon would stall capture) and it drops messages without telling. The
 * datagrams go through out_dgram.c: queued, sent by a thread, losses counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "out.h"

const char *out_syslog_socket = "/dev/log";

#define OUT_SYSLOG_SLOTS 1024

struct out_syslog {
	struct out_dgram *dg;
	int facility;
	enum format format;
	char ident[64];
	long pid;
	time_t stamp_sec; /* the second stamp[] shows */
	char stamp[16];   /* "Jun 21 09:26:15" */
	char buf[OUT_DGRAM_MAX];
};

struct out_syslog *
out_syslog_open(const struct out_config *oc, char *err, size_t errlen)
{
	struct out_syslog *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "syslog output: out of memory");
		return NULL;
	}
	s->dg = out_dgram_open("syslog", out_syslog_socket, OUT_SYSLOG_SLOTS, err, errlen);
	if (s->dg == NULL) {
		free(s);
		return NULL;
	}
	s->pid = (long)getpid();
	s->stamp_sec = (time_t)-1;
	tzset(); /* read the zone now, before a chroot or privilege drop could hide it */
	out_syslog_configure(s, oc);
	return s;
}

void
out_syslog_configure(struct out_syslog *s, const struct out_config *oc)
{
	s->facility = oc->facility & LOG_FACMASK;
	s->format = oc->format == OUT_SYSLOG_CEE ? OUT_SYSLOG_CEE : FMT_KV;
	snprintf(s->ident, sizeof(s->ident), "%s", oc->ident[0] != '\0' ? oc->ident : "tcpstated");
}

/* The RFC 3164 timestamp of now, local time, as syslog(3) writes it; formatted once a second. */
static const char *
out_syslog_stamp(struct out_syslog *s)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now != s->stamp_sec && localtime_r(&now, &tm) != NULL) {
		strftime(s->stamp, sizeof(s->stamp), "%b %e %H:%M:%S", &tm);
		s->stamp_sec = now;
	}
	return s->stamp;
}

void
out_syslog_record(struct out_syslog *s, int priority, const char *record, size_t len)
{
	int n;

	if (len > 0 && record[len - 1] == '\n')
		len--;
	n = snprintf(s->buf, sizeof(s->buf), "<%d>%s %s[%ld]: %s%.*s", s->facility | (priority & 7),
	             out_syslog_stamp(s), s->ident, s->pid,
	             s->format == OUT_SYSLOG_CEE ? "@cee: " : "", (int)len, record);
	/* Longer than any record we make: the dgram layer counts it as dropped. */
	out_dgram_send(s->dg, s->buf,
	               n < 0 || (size_t)n >= sizeof(s->buf) ? OUT_DGRAM_MAX + 1 : (size_t)n);
}

void
out_syslog_tick(struct out_syslog *s, struct output_stats *st)
{
	out_dgram_tick(s->dg, st);
}

void
out_syslog_stats(struct out_syslog *s, struct output_stats *st)
{
	out_dgram_stats(s->dg, st);
}

void
out_syslog_close(struct out_syslog *s, struct output_stats *st)
{
	out_dgram_close(s->dg, st);
	free(s);
}
