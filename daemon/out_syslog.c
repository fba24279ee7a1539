/*
 * out_syslog.c - events to the local syslog daemon through syslog(3).
 *
 * The body is the key=value record, or "@cee: " and the JSON record (format
 * "cee"), which syslog-ng's json-parser(marker("@cee:")) and rsyslog's
 * mmjsonparse take apart. openlog(ident, LOG_PID | LOG_NDELAY, facility) and
 * syslog(priority, "%.*s", len, body) are called only by out_queue.c's
 * sender thread: syslog(3) writes to a blocking socket (a stalled syslog
 * daemon would stall capture) and says nothing when no daemon listens, so the
 * thread probes _PATH_LOG (/dev/log) and counts what it cannot deliver. A
 * daemon that takes messages and discards them is invisible to us.
 *
 * Each queued record carries its ident ("ident\0body") and its facility and
 * severity (the tag), fixed when it was queued: a reload that changes them
 * applies to the records that follow, and the thread calls openlog again when
 * the ident changes. openlog(3) keeps a pointer to the ident, so the thread
 * keeps it in static storage: a sender thread left behind at close (stuck in
 * syslog(3)) never holds a pointer into freed memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "out.h"

/* "cee" in the config: the JSON record behind an "@cee: " cookie. */
#define OUT_SYSLOG_CEE FMT_JSON
#define OUT_SYSLOG_SLOTS 1024
#define OUT_SYSLOG_IDENT_MAX 64

/* Sender thread only: the ident openlog(3) was given, "" before the first. */
static char out_syslog_opened[OUT_SYSLOG_IDENT_MAX];

struct out_syslog {
	struct out_queue *q;
	int facility;
	enum format format;
	char ident[OUT_SYSLOG_IDENT_MAX];
	char buf[OUT_QUEUE_MAX];
};

/* In the sender thread: one queued "ident\0body" record to syslog(3), which reports nothing. */
static int
out_syslog_send_cb(int priority, char *rec, size_t len)
{
	size_t ilen = strnlen(rec, len);

	if (ilen == len || ilen >= sizeof(out_syslog_opened))
		return EINVAL;
	if (out_syslog_opened[0] == '\0' || strcmp(out_syslog_opened, rec) != 0) {
		memcpy(out_syslog_opened, rec, ilen + 1);
		openlog(out_syslog_opened, LOG_PID | LOG_NDELAY, priority & LOG_FACMASK);
	}
	syslog(priority, "%.*s", (int)(len - ilen - 1), rec + ilen + 1);
	return 0;
}

/* Take facility, ident and format from oc; records already queued keep theirs. */
static void
out_syslog_configure(void *p, const struct out_config *oc)
{
	struct out_syslog *s = p;

	s->facility = oc->facility & LOG_FACMASK;
	s->format = oc->format == OUT_SYSLOG_CEE ? OUT_SYSLOG_CEE : FMT_KV;
	snprintf(s->ident, sizeof(s->ident), "%s", oc->ident[0] != '\0' ? oc->ident : "tcpstated");
}

static void *
out_syslog_open(const struct out_config *oc, struct output_stats *st, char *err, size_t errlen)
{
	struct out_syslog *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "syslog output: out of memory");
		return NULL;
	}
	out_syslog_configure(s, oc);
	s->q =
	    out_queue_open("syslog", _PATH_LOG, OUT_SYSLOG_SLOTS, out_syslog_send_cb, err, errlen);
	if (s->q == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/* The record in the output's format (FMT_KV or FMT_JSON), with its ident and level. */
static int
out_syslog_record(void *p, enum format f, struct out_rec *r)
{
	struct out_syslog *s = p;
	const char *record;
	size_t len;
	int n;

	if ((record = out_rec_form(r, f, &len)) == NULL)
		return -1;
	if (len > 0 && record[len - 1] == '\n')
		len--;
	n = snprintf(s->buf, sizeof(s->buf), "%s%c%s%.*s", s->ident, '\0',
	             s->format == OUT_SYSLOG_CEE ? "@cee: " : "", (int)len, record);
	/* Longer than any record we make: the queue counts it as dropped. */
	out_queue_put(s->q, s->facility | (r->priority & LOG_PRIMASK), s->buf,
	              n < 0 || (size_t)n >= sizeof(s->buf) ? OUT_QUEUE_MAX + 1 : (size_t)n);
	return 0;
}

static void
out_syslog_tick(void *p, uint64_t now_us, struct output_stats *st)
{
	struct out_syslog *s = p;

	out_queue_tick(s->q, st);
}

static void
out_syslog_stats(void *p, struct output_stats *st)
{
	struct out_syslog *s = p;

	out_queue_stats(s->q, st);
}

/* Also closelog(3): no syslog state of ours outlives the output. */
static void
out_syslog_close(void *p, struct output_stats *st)
{
	struct out_syslog *s = p;

	/* A thread left behind may still be in syslog(3): then the connection stays. */
	if (out_queue_close(s->q, st) == 0) {
		closelog();
		out_syslog_opened[0] = '\0';
	}
	free(s);
}

static int
out_syslog_start(void *p, int replay, char *err, size_t errlen)
{
	struct out_syslog *s = p;

	return out_queue_start(s->q, err, errlen);
}

const struct sink_ops out_syslog_ops = {
    .name = "syslog",
    .open = out_syslog_open,
    .configure = out_syslog_configure,
    .record = out_syslog_record,
    .tick = out_syslog_tick,
    .stats = out_syslog_stats,
    .start = out_syslog_start,
    .close = out_syslog_close,
};
