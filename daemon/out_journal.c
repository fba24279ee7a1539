/*
 * out_journal.c - events as structured journal entries, sent with
 * sd_journal_sendv(3).
 *
 * The event loop builds the entry's fields as "NAME=value" lines (no value
 * here holds a newline: MESSAGE is one text line, the rest are key=value
 * values) and queues them; out_queue.c's thread splits them into an iovec
 * array and calls sd_journal_sendv. The thread exists because
 * sd_journal_sendv blocks while journald's socket queue is full, and probes
 * journald's socket because sd_journal_sendv returns 0 when that socket does
 * not exist.
 *
 * The TCPSTATE_* fields are the key=value record with its keys in uppercase:
 * one list of names for the file, syslog and the journal. MESSAGE is the text
 * line without its timestamp (journald has its own). Through sd-journal.h the
 * entries also carry CODE_FILE, CODE_LINE and CODE_FUNC.
 */
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "out.h"

/* Where sd_journal_sendv sends (fixed in libsystemd); probed by the sender thread. */
#define OUT_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define OUT_JOURNAL_SLOTS 1024 /* a full default rate-limit window (1000 records) */
#define OUT_JOURNAL_FIELDS 64  /* the most an entry has is about 30 */

#define JOURNAL_IDENT "tcpstated"

struct out_journal {
	struct out_queue *q;
	char buf[OUT_QUEUE_MAX];
	size_t len;
	int full;
};

static void
jb_put(struct out_journal *j, const char *s, size_t n)
{
	if (j->full || n > sizeof(j->buf) - j->len) {
		j->full = 1;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void
jb_field(struct out_journal *j, const char *name, const char *value, size_t n)
{
	jb_put(j, name, strlen(name));
	jb_put(j, "=", 1);
	jb_put(j, value, n);
	jb_put(j, "\n", 1);
}

/* The fields every entry starts with; each field is one "NAME=value\n" line in buf. */
static void
jb_begin(struct out_journal *j, const char *message, size_t mlen, const char *id, int priority)
{
	char p = (char)('0' + (priority & 7));

	j->len = 0;
	j->full = 0;
	jb_field(j, "MESSAGE", message, mlen);
	if (id != NULL)
		jb_field(j, "MESSAGE_ID", id, strlen(id));
	jb_field(j, "PRIORITY", &p, 1);
	jb_field(j, "SYSLOG_IDENTIFIER", JOURNAL_IDENT, strlen(JOURNAL_IDENT));
}

/*
 * "ts=... event=RST client_port=80" -> TCPSTATE_EVENT=RST, TCPSTATE_CLIENT_PORT=80.
 * key=value values hold no spaces (format.c guarantees it); ts is journald's own.
 * The summary's "types" is TCPSTATE_SUPPRESSED_TYPES: TYPES alone says little.
 */
static void
jb_kv_fields(struct out_journal *j, const char *kv)
{
	const char *p = kv, *end, *eq;
	size_t k;
	char c;

	while (*p != '\0' && *p != '\n') {
		end = p + strcspn(p, " \n");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && !(eq - p == 2 && memcmp(p, "ts", 2) == 0)) {
			jb_put(j, "TCPSTATE_", 9);
			if (eq - p == 5 && memcmp(p, "types", 5) == 0)
				jb_put(j, "SUPPRESSED_", 11);
			for (k = 0; p + k < eq; k++) {
				c = p[k];
				if (c >= 'a' && c <= 'z')
					c = (char)(c - 'a' + 'A');
				jb_put(j, &c, 1);
			}
			jb_put(j, eq, (size_t)(end - eq));
			jb_put(j, "\n", 1);
		}
		p = *end == ' ' ? end + 1 : end;
	}
}

/*
 * In the sender thread: one queued entry, "NAME=value\n" lines, to
 * sd_journal_sendv. Its error is a negative errno, returned as an errno.
 */
static int
out_journal_send_cb(int tag, char *rec, size_t len)
{
	struct iovec iov[OUT_JOURNAL_FIELDS];
	char *p = rec, *end = rec + len, *nl;
	int n = 0, r;

	while (p < end) {
		if (n == OUT_JOURNAL_FIELDS)
			return E2BIG;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		iov[n].iov_base = p;
		iov[n].iov_len = (size_t)(nl - p);
		n++;
		p = nl + 1;
	}
	if (n == 0)
		return EINVAL;
	r = sd_journal_sendv(iov, n);
	return r < 0 ? -r : 0;
}

static void *
out_journal_open(const struct out_config *oc, struct output_stats *st, char *err, size_t errlen)
{
	struct out_journal *j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errlen, "journal output: out of memory");
		return NULL;
	}
	j->q = out_queue_open("journal", OUT_JOURNAL_SOCKET, OUT_JOURNAL_SLOTS, out_journal_send_cb,
	                      err, errlen);
	if (j->q == NULL) {
		free(j);
		return NULL;
	}
	return j;
}

/* MESSAGE, MESSAGE_ID, PRIORITY, and the TCPSTATE_* fields of the key=value form. */
static int
out_journal_record(void *s, enum format f, struct out_rec *r)
{
	struct out_journal *j = s;
	const char *kv, *msg;
	size_t len, mlen;

	if ((kv = out_rec_form(r, FMT_KV, &len)) == NULL ||
	    (msg = out_rec_message(r, &mlen)) == NULL)
		return -1;
	jb_begin(j, msg, mlen, r->id, r->priority);
	jb_kv_fields(j, kv);
	/* Too big cannot happen with our records; if it did, the queue counts the drop. */
	out_queue_put(j->q, 0, j->buf, j->full ? OUT_QUEUE_MAX + 1 : j->len);
	return 0;
}

static void
out_journal_tick(void *s, uint64_t now_us, struct output_stats *st)
{
	struct out_journal *j = s;

	out_queue_tick(j->q, st);
}

static void
out_journal_stats(void *s, struct output_stats *st)
{
	struct out_journal *j = s;

	out_queue_stats(j->q, st);
}

static void
out_journal_close(void *s, struct output_stats *st)
{
	struct out_journal *j = s;

	out_queue_close(j->q, st); /* a thread left behind uses nothing of j */
	free(j);
}

static int
out_journal_start(void *s, int replay, char *err, size_t errlen)
{
	struct out_journal *j = s;

	return out_queue_start(j->q, err, errlen);
}

const struct sink_ops out_journal_ops = {
    .name = "journal",
    .open = out_journal_open,
    .record = out_journal_record,
    .tick = out_journal_tick,
    .stats = out_journal_stats,
    .start = out_journal_start,
    .close = out_journal_close,
};
