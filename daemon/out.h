/*
 * out.h - the sinks behind output.h, private to the output modules.
 *
 * output.c owns what every output shares: event masks, rate limits and the
 * filtered/suppressed counters. A sink only delivers whole records and counts
 * what it wrote, dropped and rotated:
 *   out_queue.c    a bounded queue and one sender thread per receiver that
 *                  calls the logging library, so that a slow or absent
 *                  receiver never blocks capture (used by the journal and
 *                  syslog sinks)
 *   out_journal.c  journal entries through sd_journal_sendv(3)
 *   out_syslog.c   syslog(3) messages
 *   out_file.c     the log file (buffered, rotated, suspended on errors) and
 *                  standard output
 */
#ifndef TCPSTATED_OUT_H
#define TCPSTATED_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/event.h"
#include "../lib/format.h"
#include "output.h"

/* An event record in any format fits: format.h's bound (format_event() writes straight into it). */
#define OUT_RECORD_MAX FORMAT_EVENT_MAX
/* Largest ALERT or STATS record (a STATS record is about 1000 bytes in JSON). */
#define OUT_REPORT_MAX 2048
/* Largest queued record (a journal entry's fields, or a syslog ident and body). */
#define OUT_QUEUE_MAX 2048

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

/* --- out_journal.c -------------------------------------------------------- */

struct out_journal;

struct out_journal *out_journal_open(char *err, size_t errlen);
/* kv and text are this event's FMT_KV and FMT_TEXT records. */
void out_journal_event(struct out_journal *j, const struct event *ev, const char *kv,
                       const char *text);
/*
 * Any other record: MESSAGE, MESSAGE_ID id, PRIORITY, and the TCPSTATE_*
 * fields of its key=value form kv.
 */
void out_journal_record(struct out_journal *j, const char *id, int priority, const char *msg,
                        size_t mlen, const char *kv);
void out_journal_tick(struct out_journal *j, struct output_stats *st);
void out_journal_stats(struct out_journal *j, struct output_stats *st);
void out_journal_close(struct out_journal *j, struct output_stats *st);
/* Start its sender thread: see out_queue_open(). */
int out_journal_start(struct out_journal *j, char *err, size_t errlen);

/* --- out_syslog.c --------------------------------------------------------- */

/* "cee" in the config: the JSON record behind an "@cee: " cookie. */
#define OUT_SYSLOG_CEE FMT_JSON

struct out_syslog;

struct out_syslog *out_syslog_open(const struct out_config *oc, char *err, size_t errlen);
/* Take facility, ident and format from oc; records already queued keep theirs. */
void out_syslog_configure(struct out_syslog *s, const struct out_config *oc);
/* record is this event in the output's format (FMT_KV or FMT_JSON). */
void out_syslog_record(struct out_syslog *s, int priority, const char *record, size_t len);
void out_syslog_tick(struct out_syslog *s, struct output_stats *st);
void out_syslog_stats(struct out_syslog *s, struct output_stats *st);
/* Also closelog(3): no syslog state of ours outlives the output. */
void out_syslog_close(struct out_syslog *s, struct output_stats *st);
/* Start its sender thread: see out_queue_open(). */
int out_syslog_start(struct out_syslog *s, char *err, size_t errlen);

/* --- out_file.c ----------------------------------------------------------- */

struct out_file;

/*
 * Open the log file of oc (created with oc->mode, appended to, never through a
 * symbolic link). Counters go to *st. Returns NULL with a reason in err.
 */
struct out_file *out_file_open(const struct out_config *oc, struct output_stats *st, char *err,
                               size_t errlen);
/* Standard output (-o): no rotation; a closed pipe stops it for good. */
struct out_file *out_file_stdout(struct output_stats *st);
/* Take rotation size, keep and mode from oc (the path is fixed per out_file). */
void out_file_configure(struct out_file *f, const struct out_config *oc);
/* Buffer one whole record (ending in '\n'); writes when the buffer is full. */
void out_file_record(struct out_file *f, const char *rec, size_t len);
/* Write out the buffer (a suspended file waits for out_file_tick). */
void out_file_flush(struct out_file *f);
/* Flush, and at most once a second retry a suspended file. */
void out_file_tick(struct out_file *f, uint64_t now_us);
/* Close and open the path again (after an external rotation). */
void out_file_reopen(struct out_file *f);
const char *out_file_path(const struct out_file *f);
void out_file_close(struct out_file *f);

#endif
