/*
 * out.h - the sinks behind output.h, private to the output modules.
 *
 * output.c owns what every output shares: event masks, rate limits and the
 * filtered/suppressed counters. A sink only delivers whole records and counts
 * what it wrote, dropped and rotated:
 *   out_dgram.c    a unix datagram sender with a bounded queue and its own
 *                  thread, so that a slow or absent receiver never blocks
 *                  capture (used by the journal and syslog sinks)
 *   out_journal.c  journald's native protocol
 *   out_syslog.c   RFC 3164 datagrams to /dev/log, as syslog(3) writes them
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

/* Largest record a format produces fits here with room to spare (IPv6 CLOSED is ~650). */
#define OUT_RECORD_MAX 1024
/* Largest datagram built from one record (journal fields or a syslog line). */
#define OUT_DGRAM_MAX 2048

/* The syslog level of an event: journal PRIORITY and the syslog severity. */
int output_priority(const struct event *ev);

/* --- out_dgram.c ---------------------------------------------------------- */

struct out_dgram;

/*
 * Start a sender to the unix datagram socket at path with room for nslots
 * queued datagrams. name ("journal") prefixes its diagnostics. Returns NULL
 * with a reason in err when no socket or thread can be had; a receiver that
 * is absent is not an error (records queue, then drop, and it is said once).
 */
struct out_dgram *out_dgram_open(const char *name, const char *path, size_t nslots, char *err,
                                 size_t errlen);
/* Queue one datagram; never blocks. A full queue drops it (counted). */
void out_dgram_send(struct out_dgram *d, const char *buf, size_t len);
/* Add to st what was written and dropped since the last call. */
void out_dgram_stats(struct out_dgram *d, struct output_stats *st);
/* out_dgram_stats(), and say once that sending fails, or that it works again. */
void out_dgram_tick(struct out_dgram *d, struct output_stats *st);
/* Records queued and not yet sent. */
size_t out_dgram_pending(struct out_dgram *d);
/*
 * Stop: give the thread up to about a second per stuck receiver to send what
 * is queued, count the rest as dropped, add the last counts to st, free.
 */
void out_dgram_close(struct out_dgram *d, struct output_stats *st);

/* --- out_journal.c -------------------------------------------------------- */

/* journald's native socket; tests point it elsewhere. */
extern const char *out_journal_socket;

struct out_journal;

struct out_journal *out_journal_open(char *err, size_t errlen);
/* kv and text are this event's FMT_KV and FMT_TEXT records. */
void out_journal_event(struct out_journal *j, const struct event *ev, const char *kv,
                       const char *text);
void out_journal_suppressed(struct out_journal *j, const struct suppressed *s);
void out_journal_tick(struct out_journal *j, struct output_stats *st);
void out_journal_stats(struct out_journal *j, struct output_stats *st);
void out_journal_close(struct out_journal *j, struct output_stats *st);

/* --- out_syslog.c --------------------------------------------------------- */

/* The local syslog socket; tests point it at their own syslog-ng. */
extern const char *out_syslog_socket;

/* "cee" in the config: the JSON record behind an "@cee: " cookie. */
#define OUT_SYSLOG_CEE FMT_JSON

struct out_syslog;

struct out_syslog *out_syslog_open(const struct out_config *oc, char *err, size_t errlen);
/* Take facility, ident and format from oc (no reconnect needed). */
void out_syslog_configure(struct out_syslog *s, const struct out_config *oc);
/* record is this event in the output's format (FMT_KV or FMT_JSON). */
void out_syslog_record(struct out_syslog *s, int priority, const char *record, size_t len);
void out_syslog_tick(struct out_syslog *s, struct output_stats *st);
void out_syslog_stats(struct out_syslog *s, struct output_stats *st);
void out_syslog_close(struct out_syslog *s, struct output_stats *st);

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
