/*
 * output.h - delivering events to the journal, syslog and the log file.
 *
 * The set of outputs owns its sinks, their buffers and their counters. It
 * never blocks capture: a record that cannot be written now is counted as
 * dropped for that output, and the output says so (once) through the
 * diagnostics log, and again when it recovers. Reading a file (-r) there is
 * no capture to keep up with, and the log file and standard output wait for
 * their writer thread rather than drop (outputs_start()).
 */
#ifndef TCPSTATED_OUTPUT_H
#define TCPSTATED_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/alert.h"
#include "../lib/event.h"
#include "../lib/format.h"
#include "../lib/report.h"
#include "conf.h"

struct output_stats {
	uint64_t written;      /* records delivered */
	uint64_t filtered;     /* not in this output's event mask */
	uint64_t suppressed;   /* over the rate limit (summarised) */
	uint64_t dropped;      /* could not be written (disk full, journald away ...) */
	uint64_t rotations;
};

struct outputs;

/*
 * Open every enabled output of cfg. stdout_fmt >= 0 adds standard output in
 * that format (the -o flag), receiving every event type. Returns NULL and a
 * one-line reason in err on failure.
 */
struct outputs *outputs_open(const struct config *cfg, int stdout_fmt, char *err, size_t errlen);

/*
 * Start the journal and syslog sender threads, after the daemon has dropped
 * its privileges (capabilities are per thread: a thread made before would
 * keep them). Records given before wait in the queues. With replay (-r: the
 * records come from a file, not live capture) the log file and standard
 * output start a writer thread each, which writes their full buffers while
 * the next records are made; when it falls behind, outputs_event() waits for
 * it instead of dropping. Returns -1 and a reason in err if a thread cannot
 * be had.
 */
int outputs_start(struct outputs *o, int replay, char *err, size_t errlen);

/* Deliver one event to every output that wants it; with replay it may wait (above). */
void outputs_event(struct outputs *o, const struct event *ev);

/*
 * An ALERT or STATS record to every output, whatever its events list and its
 * rate limit: alerts are few by design (one per change of a rule's
 * condition) and an operator asked for each one, and STATS comes once an
 * interval. Its PRIORITY is report_priority()'s: an ALERT 4 (warning) when it
 * fires, 5 (notice) when it recovers; STATS 6 (info).
 */
void outputs_report(struct outputs *o, const struct report *r);

/* Housekeeping: close rate-limit windows (emitting summaries), retry suspended files. */
void outputs_tick(struct outputs *o, uint64_t now_us);

/* Write out anything buffered. */
void outputs_flush(struct outputs *o);

/* Reopen the log file (SIGHUP, SIGUSR1: after an external logrotate). */
void outputs_reopen(struct outputs *o);

/*
 * Apply a new config to running outputs (SIGHUP): masks, rate limits, paths.
 * Returns -1 with a reason in err and keeps the old settings if it cannot.
 */
int outputs_reconfigure(struct outputs *o, const struct config *cfg, char *err, size_t errlen);

const struct output_stats *outputs_stats(const struct outputs *o, enum out_kind k);

/* "journal", "syslog", "file", "stdout": output k's name (OUT_NKINDS: standard output, -o). */
const char *outputs_name(int k);

void outputs_close(struct outputs *o);

#endif
