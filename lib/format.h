/*
 * format.h - struct event to bytes: JSON Lines, human text, syslog key=value.
 *
 * Every formatter writes one whole record ending in '\n' into a caller buffer,
 * followed by a NUL that the returned length does not count, or returns 0 when
 * record and NUL would not fit (a record is never truncated). No allocation,
 * no locale, no printf on these paths.
 *
 * Field names (JSON and key=value use the same ones, in this order):
 *   ts event flow by client_ip client_port server_ip server_port
 *   client_state server_state
 *   SYN, SYN_ACK: mss wscale sack_ok tsopt   (only the options present)
 *   CLOSED: reason abnormal closed_by duration client_bytes server_bytes
 *           client_pkts server_pkts partial conn_state history
 *   UPDATE: duration client_bytes server_bytes client_pkts server_pkts partial
 *   SEGMENT: flags seq ack len               (flags in tcpdump letters, "S.")
 * key=value leaves out a key whose value would be empty (history, conn_state).
 * Text: ts flow event client > server, then what changed, e.g.
 *   2024-06-21T09:26:15.123456Z C7Wl2rYx4Gd1 FIN         192.0.2.1:45714 < 192.0.2.9:8000
 *     client ESTABLISHED  server ESTABLISHED->FIN_WAIT_1
 *   ('>' the client acted, '<' the server, '-' neither: a timeout).
 */
#ifndef TCPSTATED_FORMAT_H
#define TCPSTATED_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "event.h"
#include "stats.h"

enum format {
	FMT_JSON = 0, /* one JSON object per line */
	FMT_TEXT,     /* one readable line per event */
	FMT_KV,       /* key=value pairs, for syslog bodies */
	FMT_NFORMATS
};

/*
 * The most bytes format_event() needs, NUL included, for any struct event in
 * any format: a buffer this big never refuses an event (the longest record,
 * a CLOSED with every counter at UINT64_MAX, full IPv6 addresses and every
 * history byte escaped, is well under it). Smaller buffers work too, and are
 * refused only the records that do not fit them.
 */
#define FORMAT_EVENT_MAX 1024

size_t format_event(enum format f, const struct event *ev, char *buf, size_t cap);

/* "2024-06-21T09:26:15.123456Z"; returns length (27) or 0 if cap < 28. */
size_t format_ts(uint64_t ts_us, char *buf, size_t cap);

/* A short printable id, "C" + base62, for a flow id; returns length. */
size_t format_flow_id(uint64_t id, char *buf, size_t cap);

/* Numeric address text (RFC 5952 for IPv6); returns length. */
size_t format_ip(uint8_t family, const uint8_t *addr, char *buf, size_t cap);

/* "json", "text", "kv" to enum format; -1 when unknown. */
int format_from_name(const char *name);
const char *format_name(enum format f);

/* The journal MESSAGE_IDs of the daemon's own records (systemd/tcpstated.catalog). */
#define REPORT_ID_SUPPRESSED "361663c4e2bf4b5a877a6103976ce360"
#define REPORT_ID_STATS "12d06338519e41f784fd54c694c05704"
#define REPORT_ID_ALERT "3d8791610821406bba42a5de68c6fcf9"

/*
 * The rate-limit summary of one output: how many records over its limit were
 * left out in one window, by event type. As a record (JSON, key=value, text):
 *   ts event(=SUPPRESSED) suppressed window types
 * e.g. {"ts":"...","event":"SUPPRESSED","suppressed":1532,"window":10,
 * "types":{"RST":1500,"CLOSED":32}}; key=value writes types=RST:1500,CLOSED:32.
 */
struct suppressed {
	uint64_t ts_us; /* end of the window */
	uint32_t window_s;
	uint64_t total;
	uint64_t by_type[TEV_NTYPES];
};

size_t format_suppressed(enum format f, const struct suppressed *s, char *buf, size_t cap);

/* "suppressed 1532 events in 10 s (RST 1500, CLOSED 32)" (no ts, no newline). */
size_t format_suppressed_message(const struct suppressed *s, char *buf, size_t cap);

/*
 * The periodic STATS record: the daemon's counters since it started (totals;
 * the per-port ones are in the metrics). As a record:
 *   ts event(=STATS) uptime packets kernel_drops interface_drops connections
 *   attempts opened closed closed_fin closed_rst_client ... closed_shutdown
 *   handshakes handshake_avg syn_sent syn_rcvd established fin_wait_1
 *   fin_wait_2 closing time_wait close_wait last_ack events output_dropped
 *   suppressed alerts_firing
 * handshake_avg is in seconds (6 decimals); the states count endpoints now.
 * Text: the ts and format_stats_message().
 */
struct stats_record {
	uint64_t ts_us;
	uint64_t uptime_s;
	uint64_t packets, kernel_drops, interface_drops; /* capture */
	uint64_t connections;                            /* in the tracker's table now */
	uint64_t attempts;                               /* client SYNs */
	uint64_t opened;                                 /* handshakes completed */
	uint64_t closed[CR_NREASONS]
	               [STATS_CLOSE_SIDES]; /* by reason (and side), as in struct stats_row */
	uint64_t handshakes, handshake_sum_us;
	uint64_t endpoints[ST_NSTATES]; /* endpoints in each state now */
	uint64_t events;                /* events delivered to the outputs */
	uint64_t output_dropped;        /* every output */
	uint64_t suppressed;            /* every output */
	uint64_t alerts_firing;
};

size_t format_stats(enum format f, const struct stats_record *r, char *buf, size_t cap);

/* "1234 packets (0 dropped by the kernel, 0 by the interface); 12 connections tracked; ..." */
size_t format_stats_message(const struct stats_record *r, char *buf, size_t cap);

/*
 * An ALERT record: a rule fired or recovered (see alert.h). As a record:
 *   ts event(=ALERT) alert state kind port count threshold window
 *   firing: peers          e.g. {"192.0.2.7":12,"192.0.2.8":5};
 *                          key=value: peers=192.0.2.7(12),192.0.2.8(5)
 *   recovered: duration    (seconds it had been firing)
 * state is "firing" or "recovered"; port is left out for a rule on every
 * port. Text: the ts and format_alert_message().
 */
size_t format_alert(enum format f, const struct alert_report *r, char *buf, size_t cap);

/*
 * "alert pg-refused firing: 25 refused connections to port 5432 in 60 s
 * (threshold 20); top peers 192.0.2.7 (12), 192.0.2.8 (5)"
 */
size_t format_alert_message(const struct alert_report *r, char *buf, size_t cap);

/*
 * Escape arbitrary bytes as the inside of a JSON string into buf; returns the
 * length, or 0 when it would not fit. For the few strings that reach outputs
 * from outside (interface names, config values), never for packet bytes.
 */
size_t format_json_escape(const char *s, char *buf, size_t cap);

#endif
