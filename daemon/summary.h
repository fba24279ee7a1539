/*
 * summary.h - what -r shows on standard error: while it reads, a progress
 * line on a terminal; at the end, one screen of what the file held.
 *
 * The counts by reason and port are the struct stats the daemon keeps for
 * --stats; the only thing added here is a bounded table of clients by
 * abnormal closes, for the top talkers.
 */
#ifndef TCPSTATED_SUMMARY_H
#define TCPSTATED_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "../lib/event.h"
#include "../lib/stats.h"

struct summary;

/* A summary of the file at path; progress is drawn only when both stdout and stderr are
 * terminals. NULL when out of memory. */
struct summary *summary_new(const char *path);

/* Count one event: abnormal CLOSED records by client. */
void summary_event(struct summary *s, const struct event *ev);

/*
 * n more packets read; pos and size (0: unknown) are how far into the file
 * the reader is. Redraws the progress line at most every half second.
 */
void summary_packets(struct summary *s, uint64_t n, uint64_t pos, uint64_t size);

/* Whether summary_packets() wants pos and size now (they cost a system call). */
int summary_due(const struct summary *s);

/* Clear the progress line and print the summary of the whole file to out (NULL: only clear). */
void summary_print(struct summary *s, const struct stats *st, uint64_t frames, FILE *out);

void summary_free(struct summary *s);

#endif
