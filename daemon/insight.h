/*
 * insight.h - the daemon's counters gathered in one place: what the STATS
 * record, the STATUS line of systemd, the metrics file and `tcpstated
 * --stats` all show, so that they always agree.
 *
 * main.c fills a struct insight (it owns the tracker, the capture, the
 * outputs and the clock); insight.c turns it into a STATS record, a STATUS
 * line and the text of --stats; metrics.c into the Prometheus textfile.
 * Nothing here owns anything: the pointers are borrowed for one call.
 */
#ifndef TCPSTATED_INSIGHT_H
#define TCPSTATED_INSIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/alert.h"
#include "../lib/format.h"
#include "../lib/report.h"
#include "../lib/stats.h"
#include "../lib/tracker.h"
#include "capture.h"
#include "conf.h"
#include "output.h"

#define INSIGHT_NOUTS (OUT_NKINDS + 1) /* the configured outputs, then standard output */

struct insight {
	uint64_t now_us;
	uint64_t start_us;
	const char *interface;          /* NULL when reading a file */
	const char *filter;
	int capture_up;
	struct capture_stats cap;
	uint64_t frames; /* frames libpcap handed to tcpstated; on lo half of cap.received */
	const struct tracker_stats *ts;
	uint32_t max_flows;
	const struct stats *stats;
	const struct stats_endpoints *ep; /* NULL when not walked: the tracker's counts are used */
	int out_on[INSIGHT_NOUTS];
	struct output_stats out[INSIGHT_NOUTS];
	const struct alerts *alerts;    /* may be NULL: no rules */
	uint64_t events;                /* delivered to the outputs */
	unsigned workers;               /* capture threads: 0 or 1 for the single-threaded path */
	uint64_t worker_lost;           /* events lost to a worker's full ring */
};

/* The STATS record of these counters. */
void insight_record(const struct insight *in, struct stats_record *r);

/* The rules firing now. */
uint64_t insight_alerts_firing(const struct insight *in);

/* The STATUS= line of systemctl status (one line, at most cap - 1 bytes). */
void insight_status(const struct insight *in, char *buf, size_t cap);

struct evbuffer;

/* The text of `tcpstated --stats`: a summary, then the counters per port. */
void insight_text(const struct insight *in, struct evbuffer *out);

#endif
