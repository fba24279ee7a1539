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
 *   [tunnel tunnel_src_ip tunnel_dst_ip [tunnel_id]]   (tunnelled only)
 *   client_state server_state
 *   SYN, SYN_ACK: mss wscale sack_ok tsopt   (only the options present)
 *   CLOSED: reason abnormal closed_by duration lifetime client_bytes server_bytes
 *           client_pkts server_pkts [client_missed_bytes server_missed_bytes]
 *           partial conn_state history
 *   UPDATE: duration client_bytes server_bytes client_pkts server_pkts
 *           [client_missed_bytes server_missed_bytes] partial
 *   (the missed bytes only when the capture missed any)
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

#include "event.h"

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
 * history byte escaped, and a tunnel of IPv6 outer addresses, 1033 bytes of
 * JSON, is well under it). Smaller buffers work too, and are refused only the
 * records that do not fit them.
 */
#define FORMAT_EVENT_MAX 1280

size_t format_event(enum format f, const struct event *ev, char *buf, size_t cap);

/* "2024-06-21T09:26:15.123456Z"; returns length (27) or 0 if cap < 28. */
size_t format_ts(uint64_t ts_us, char *buf, size_t cap);

/* A short printable id, "C" + base62, for a flow id; returns length. */
size_t format_flow_id(uint64_t id, char *buf, size_t cap);

/* Numeric address text (RFC 5952 for IPv6); returns length. */
size_t format_ip(uint8_t family, const uint8_t *addr, char *buf, size_t cap);

/*
 * A time span as people read it: "0.004s", "34.2s", "5m07s", "2h03m",
 * "3d04h" (the text line's durations, the live view's ages); returns length.
 */
size_t format_age(uint64_t us, char *buf, size_t cap);

/* "json", "text", "kv" to enum format; -1 when unknown. */
int format_from_name(const char *name);
const char *format_name(enum format f);

/*
 * Escape arbitrary bytes as the inside of a JSON string into buf; returns the
 * length, or 0 when it would not fit. For the few strings that reach outputs
 * from outside (interface names, config values), never for packet bytes.
 */
size_t format_json_escape(const char *s, char *buf, size_t cap);

#endif
