/*
 * out.h - the sinks behind output.h, private to the output modules.
 *
 * output.c owns what every output shares: event masks, rate limits and the
 * filtered/suppressed counters; out_rec.c each record's forms, each made at
 * most once. A sink is one const struct sink_ops in its own
 * file; it only delivers whole records and counts what it wrote, dropped
 * and rotated:
 *   out_journal.c  journal entries through sd_journal_sendv(3)
 *   out_syslog.c   syslog(3) messages
 *   out_file.c     the log file (buffered, rotated, suspended on errors) and
 *                  standard output; with -r, a writer thread each
 *   out_queue.c    a bounded queue and one sender thread per receiver that
 *                  calls the logging library, so that a slow or absent
 *                  receiver never blocks capture (used by the journal and
 *                  syslog sinks)
 * A new output is a file with its sink_ops and a line in output.c's table.
 */
#ifndef TCPSTATED_OUT_H
#define TCPSTATED_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/event.h"
#include "../lib/format.h"
#include "../lib/report.h"
#include "output.h"

/* Largest record of any form: an event's is at most FORMAT_EVENT_MAX, a STATS record about 1000
 * bytes. */
#define OUT_REPORT_MAX 2048
/* Largest queued record (a journal entry's fields, or a syslog ident and body). */
#define OUT_QUEUE_MAX 2048

/*
 * One record on its way to the sinks, an event or one of the daemon's
 * reports, with what the journal and syslog need to know of it. Each form
 * is made at most once, when the first sink asks for it.
 */
struct out_rec {
	const struct event *ev;   /* an event, or NULL */
	const struct report *rep; /* else a report */
	const char *id;           /* journal MESSAGE_ID; NULL: none */
	int priority;             /* syslog level: journal PRIORITY, syslog severity */
	int have[FMT_NFORMATS + 1];
	size_t len[FMT_NFORMATS + 1];
	char form[FMT_NFORMATS + 1][OUT_REPORT_MAX];
};

/* Set r to carry ev, or else rep: nothing made yet. */
void out_rec_init(struct out_rec *r, const struct event *ev, const struct report *rep);
/* The record in format f; NULL when it cannot be made (the sink counts a drop). */
const char *out_rec_form(struct out_rec *r, enum format f, size_t *len);
/* Its one-line message: a report's sentence, or an event's text line without ts and newline. */
const char *out_rec_message(struct out_rec *r, size_t *len);

/*
 * What output.c does with a sink. s is what open returned; st the sink's
 * counters in output.c, which it may count into or add to.
 */
struct sink_ops {
	const char *name; /* "journal": as the config, the counters and the diagnostics say it */
	/* Open for oc (NULL for standard output); NULL with a one-line reason in err. */
	void *(*open)(const struct out_config *oc, struct output_stats *st, char *err,
	              size_t errlen);
	/* Can the open sink take oc on a reload, or must it be opened anew? NULL: it can. */
	int (*takes)(const void *s, const struct out_config *oc);
	/* Take oc's settings on a reload. NULL: nothing to take. */
	void (*configure)(void *s, const struct out_config *oc);
	/* Deliver r, in format f where the sink has a choice; -1 when a form it needs cannot be
	 * made. */
	int (*record)(void *s, enum format f, struct out_rec *r);
	/* Housekeeping, about once a second: retries, counts, "sending works again". */
	void (*tick)(void *s, uint64_t now_us, struct output_stats *st);
	/* Write out what is buffered. NULL: nothing is. */
	void (*flush)(void *s);
	/* SIGHUP, SIGUSR1: after an external logrotate. NULL: nothing to do. */
	void (*reopen)(void *s);
	/* Add to st what was counted apart since the last call. NULL: it counts straight into st.
	 */
	void (*stats)(void *s, struct output_stats *st);
	/*
	 * Start a sender thread, after the privileges are dropped; replay: the records come
	 * from a file (-r), see outputs_start(). NULL: none.
	 */
	int (*start)(void *s, int replay, char *err, size_t errlen);
	/* Deliver what it can, add the last counts to st, free. */
	void (*close)(void *s, struct output_stats *st);
	/* Where it writes, for the diagnostics. NULL: nowhere to name. */
	const char *(*path)(const void *s);
};

extern const struct sink_ops out_journal_ops; /* out_journal.c */
extern const struct sink_ops out_syslog_ops;  /* out_syslog.c */
extern const struct sink_ops out_file_ops;    /* out_file.c */
extern const struct sink_ops out_stdout_ops;  /* out_file.c: -o */

/* --- out_queue.c ---------------------------------------------------------- */

struct out_queue;

/*
 * A queue with room for nslots records and, from out_queue_start() on, a
 * sender thread. The thread is started apart because capabilities, the
 * bounding set and no_new_privs belong to each thread: one made before the
 * daemon drops its privileges would keep them all. name ("journal")
 * prefixes its diagnostics; path is the receiver's socket, which the thread
 * probes, because the libraries do not say when nobody listens. For each
 * record the thread calls send_cb(tag, record, len) (record is the thread's
 * own copy; send_cb may use nothing of its sink, see out_queue_close), which
 * hands it to the library and returns 0 when the library took it, else an
 * errno: EINVAL, EMSGSIZE or E2BIG mean this record can never go (dropped,
 * counted), any other that the receiver cannot take it now (it stays first
 * in the queue and is retried a second later). Returns NULL with a reason in
 * err when no thread can be had; an absent receiver is not an error (records
 * queue, then drop, and it is said once).
 */
struct out_queue *out_queue_open(const char *name, const char *path, size_t nslots,
                                 int (*send_cb)(int, char *, size_t), char *err, size_t errlen);
/* Start the sender thread (once; later calls do nothing). -1 with a reason in err. */
int out_queue_start(struct out_queue *q, char *err, size_t errlen);
/*
 * Queue one record; never blocks. A full queue or a record too long drops it
 * (counted). Records queued before out_queue_start() wait for the thread.
 */
void out_queue_put(struct out_queue *q, int tag, const char *rec, size_t len);
/* Add to st what was written and dropped since the last call. */
void out_queue_stats(struct out_queue *q, struct output_stats *st);
/* out_queue_stats(), and say once that sending fails, or that it works again. */
void out_queue_tick(struct out_queue *q, struct output_stats *st);
/*
 * Stop: let the thread send what is queued while the receiver takes it, count
 * the rest as dropped, add the last counts to st, free. Returns 0, or -1 when
 * the thread was stuck in the library for a second and is left behind (it
 * frees the queue when the library returns; the library may be in use until
 * then).
 */
int out_queue_close(struct out_queue *q, struct output_stats *st);

#endif
