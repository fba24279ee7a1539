/*
 * report.h - the daemon's own records, which are not events: SUPPRESSED (an
 * output's rate-limit summary), STATS (the counters) and ALERT (a rule fired
 * or recovered). They are rare, so they are written by the checked writer of
 * put.h; the formats and the rules of format.h hold for them too.
 *
 * Each is a struct report, one entry point writes any of them in any format
 * or as its one-sentence message (the journal's MESSAGE), and report_kinds[]
 * holds what the outputs need to know of each kind.
 */
#ifndef TCPSTATED_REPORT_H
#define TCPSTATED_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "event.h"
#include "format.h"
#include "stats.h"

/*
 * The rate-limit summary of one output: how many records over its limit were
 * left out in one window, by event type. As a record (JSON, key=value, text):
 *   ts event(=SUPPRESSED) suppressed window types
 * e.g. {"ts":"...","event":"SUPPRESSED","suppressed":1532,"window":10,
 * "types":{"RST":1500,"CLOSED":32}}; key=value writes types=RST:1500,CLOSED:32.
 * Message: "suppressed 1532 events in 10 s (RST 1500, CLOSED 32)".
 */
struct suppressed {
	uint64_t ts_us; /* end of the window */
	uint32_t window_s;
	uint64_t total;
	uint64_t by_type[TEV_NTYPES];
};

/*
 * The periodic STATS record: the daemon's counters since it started (totals;
 * the per-port ones are in the metrics). As a record:
 *   ts event(=STATS) uptime packets kernel_drops interface_drops connections
 *   attempts opened closed closed_fin closed_rst_client ... closed_shutdown
 *   handshakes handshake_avg clock_steps syn_sent syn_rcvd established fin_wait_1
 *   fin_wait_2 closing time_wait close_wait last_ack events output_dropped
 *   suppressed hash_overflows alerts_firing
 * (the closed_* and state keys from event.c's tables, in their order).
 * handshake_avg is in seconds (6 decimals); the states count endpoints now.
 * Message: "1234 packets (0 dropped by the kernel, 0 by the interface); 12
 * connections tracked; ..."; text: the ts, "stats: " and the message.
 */
struct stats_record {
	uint64_t ts_us;
	uint64_t uptime_s;
	uint64_t packets, kernel_drops, interface_drops; /* capture */
	uint64_t connections;                            /* in the tracker's table now */
	uint64_t attempts;                               /* client SYNs */
	uint64_t opened;                                 /* handshakes completed */
	uint64_t closed[CR_NREASONS][STATS_CLOSE_SIDES]; /* as in struct stats_row */
	uint64_t handshakes, handshake_sum_us;
	uint64_t clock_steps;           /* segments stamped before their connection's last */
	uint64_t endpoints[ST_NSTATES]; /* endpoints in each state now */
	uint64_t events;                /* events delivered to the outputs */
	uint64_t output_dropped;        /* every output */
	uint64_t suppressed;            /* every output */
	uint64_t hash_overflows;        /* new flows whose index buckets were full: flowtab.h */
	uint64_t alerts_firing;
};

/*
 * An ALERT record (struct alert_report, see alert.h). As a record:
 *   ts event(=ALERT) alert state kind port count threshold window
 *   firing: peers          e.g. {"192.0.2.7":12,"192.0.2.8":5};
 *                          key=value: peers=192.0.2.7(12),192.0.2.8(5)
 *   recovered: duration    (seconds it had been firing)
 * state is "firing" or "recovered"; port is left out for a rule on every
 * port. Message: "alert pg-refused firing: 25 refused connections to port
 * 5432 in 60 s (threshold 20); top peers 192.0.2.7 (12), 192.0.2.8 (5)".
 */

enum report_kind { REPORT_SUPPRESSED = 0, REPORT_STATS, REPORT_ALERT, REPORT_NKINDS };

struct report {
	enum report_kind kind;
	union {
		const struct suppressed *suppressed;
		const struct stats_record *stats;
		const struct alert_report *alert;
	} u;
};

/* A report of each kind, made where it is passed: report_format(f, REPORT_ALERT_OF(a), ...). */
#define REPORT_SUPPRESSED_OF(p) (&(const struct report){REPORT_SUPPRESSED, {.suppressed = (p)}})
#define REPORT_STATS_OF(p) (&(const struct report){REPORT_STATS, {.stats = (p)}})
#define REPORT_ALERT_OF(p) (&(const struct report){REPORT_ALERT, {.alert = (p)}})

/* One row per kind. */
struct report_kind_info {
	const char *event;      /* "STATS": its event field */
	const char *message_id; /* journal MESSAGE_ID (systemd/tcpstated.catalog) */
	int priority;           /* syslog level; an ALERT that recovered is one less urgent */
};
extern const struct report_kind_info report_kinds[REPORT_NKINDS];

/* Not a format: report_format() writes the message, no ts and no newline. */
#define REPORT_MESSAGE FMT_NFORMATS

/* The record in format f (or REPORT_MESSAGE), with the rules of format_event(). */
size_t report_format(int f, const struct report *r, char *buf, size_t cap);

/* The syslog level of r. */
int report_priority(const struct report *r);

#endif
