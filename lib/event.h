/*
 * event.h - what the tracker reports: the TCP states, the event types, the
 * close reasons, and struct event, the one record every output formats.
 *
 * Each of the three vocabularies is one table (tcp_states, event_types,
 * close_reasons in event.c) that holds every facet of a value: its name, and
 * what the outputs, the counters and the alert rules make of it. Everything
 * else iterates the tables, so a new value is one enum line and one row (and
 * its man-page entry: tests/unit/test_vocab.c checks that).
 *
 * A struct event is a value: it holds copies, not pointers into the flow
 * table, so a consumer may keep it after the callback returns.
 */
#ifndef TCPSTATED_EVENT_H
#define TCPSTATED_EVENT_H

#include <stdint.h>

#include "segment.h"

/* RFC 9293 3.3.2 connection states, one per endpoint. */
enum tcp_state {
	ST_CLOSED = 0,
	ST_LISTEN,
	ST_SYN_SENT,
	ST_SYN_RCVD,
	ST_ESTABLISHED,
	ST_FIN_WAIT_1,
	ST_FIN_WAIT_2,
	ST_CLOSING,
	ST_TIME_WAIT,
	ST_CLOSE_WAIT,
	ST_LAST_ACK,
	ST_NSTATES
};

enum event_type {
	TEV_SYN = 0,     /* client's SYN (first transmission only) */
	TEV_SYN_ACK,     /* server's SYN+ACK (first transmission only) */
	TEV_ESTABLISHED, /* an endpoint entered ESTABLISHED */
	TEV_FIN,         /* an endpoint sent its FIN (first transmission only) */
	TEV_RST,         /* an accepted (in-window) RST */
	TEV_TIME_WAIT,   /* an endpoint entered TIME_WAIT */
	TEV_STATE,       /* any other endpoint transition */
	TEV_CLOSED,      /* the connection is over: the summary record */
	TEV_UPDATE,  /* interim counters of a connection still open (tracking.update_interval) */
	TEV_SEGMENT, /* one per segment; only for the ladder view, never by default */
	TEV_NTYPES
};

#define TEV_BIT(t) (1u << (t))
/*
 * What is emitted when the config does not say: every type but TEV_SEGMENT.
 * TEV_UPDATE is in it, and is simply never made while the update interval is 0.
 */
#define TEV_MASK_DEFAULT (TEV_BIT(TEV_SEGMENT) - 1)

enum close_reason {
	CR_NONE = 0,        /* not closed (every event but CLOSED) */
	CR_FIN,             /* both FINs seen and acknowledged: the clean close */
	CR_RST,             /* a RST after the handshake started */
	CR_REFUSED,         /* the SYN was answered by a RST */
	CR_SYN_TIMEOUT,     /* the handshake never completed */
	CR_IDLE_TIMEOUT,    /* established, then silent longer than the idle timeout */
	CR_CLOSING_TIMEOUT, /* a FIN never acknowledged: the close never completed */
	CR_HALF_CLOSED_TIMEOUT, /* one FIN acknowledged, the other side silent past half_closed */
	CR_EVICTED,         /* the flow table was full */
	CR_REUSED,          /* a new SYN with a new ISN took over the 4-tuple */
	CR_SHUTDOWN,        /* tracking stopped (daemon exit, end of file) */
	CR_NREASONS
};

enum side { SIDE_CLIENT = 0, SIDE_SERVER = 1, SIDE_NONE = 2 };

/* Counters of one endpoint, as seen on the wire. */
struct endpoint_counts {
	uint64_t bytes; /* application bytes by sequence space: retransmissions count once */
	uint64_t pkts;  /* segments sent, duplicates included */
	uint64_t missed; /* of bytes, those the capture did not show (acknowledged or passed) */
};

/*
 * One event. Every field is valid for every type unless noted; `reason`,
 * `closed_by`, `conn_state`, `history` only for TEV_CLOSED, `duration_us`
 * for TEV_CLOSED (first to last segment) and TEV_UPDATE (first segment to
 * ts_us: the age so far), `opt` only for TEV_SYN and TEV_SYN_ACK, `seg_*` only
 * for TEV_SEGMENT.
 */
struct event {
	uint64_t ts_us;   /* packet time (or expiry time for timeouts) */
	uint64_t flow_id; /* stable for the connection; see format_flow_id() */
	enum event_type type;
	enum side by;   /* whose segment or state change caused it */
	uint8_t family; /* 4 or 6 */
	uint8_t client_ip[16];
	uint8_t server_ip[16];
	uint16_t client_port;
	uint16_t server_port;
	enum tcp_state client_state, server_state;         /* after the event */
	enum tcp_state client_state_was, server_state_was; /* before it */
	uint8_t partial;                                   /* no SYN seen: roles inferred */
	uint8_t abnormal; /* CLOSED only: anything but a clean FIN close */
	enum close_reason reason;
	enum side closed_by; /* who sent the first FIN or the RST; SIDE_NONE for timeouts */
	uint64_t duration_us;
	uint64_t lifetime_us;    /* TEV_CLOSED: first segment to the close decision (ts_us) */
	uint64_t start_us;       /* the connection's first segment (not printed: the live view's age) */
	struct endpoint_counts client, server;
	struct tcpopts opt;
	struct tunnel tun;  /* the tunnel it came through, TUN_NONE when none (or unnamed) */
	char conn_state[8]; /* Zeek conn_state, e.g. "SF", "REJ" */
	char history[24];   /* Zeek history letters, NUL-terminated, truncated if longer */
	/* TEV_SEGMENT only: the segment as seen, sequence numbers relative to each ISN. */
	uint8_t seg_flags;
	uint32_t seg_rel_seq, seg_rel_ack, seg_len;
};

/* One row per state. */
struct tcp_state_info {
	const char *name; /* "FIN_WAIT_1": RFC 9293's name, underscores for hyphens */
	const char *key;  /* "fin_wait_1": its STATS key and metrics label; NULL: never counted */
};

/* One row per event type. */
struct event_type_info {
	const char *name;       /* "SYN_ACK" */
	const char *message_id; /* journal MESSAGE_ID (systemd/tcpstated.catalog); NULL: none */
	int priority;           /* syslog level: journal PRIORITY and syslog severity */
	int internal; /* never an output's record (the ladder view's own): no config names it */
};

/*
 * One row per close reason. Counters and alert rules see a reason split by
 * side as two (who sent the RST), each with a name of its own.
 */
struct close_reason_info {
	const char *name;       /* "syn_timeout" */
	int abnormal;           /* anything but the clean close */
	int priority;           /* of its CLOSED record (instead of the event type's) */
	const char *by_side[2]; /* [SIDE_CLIENT], [SIDE_SERVER]: its names when split; NULL: not */
	const char
	    *alert; /* what an alert of this kind counts, "handshake timeouts"; NULL: no kind */
	int alert_abnormal; /* counted by the alert kind "abnormal" */
};

extern const struct tcp_state_info tcp_states[ST_NSTATES];
extern const struct event_type_info event_types[TEV_NTYPES];
extern const struct close_reason_info close_reasons[CR_NREASONS];

/* The syslog level of an event: its type's, or for CLOSED its reason's. */
int event_priority(const struct event *ev);

const char *tcp_state_name(enum tcp_state s);       /* "ESTABLISHED" */
const char *event_type_name(enum event_type t);     /* "SYN_ACK" */
const char *close_reason_name(enum close_reason r); /* "syn_timeout" */
const char *side_name(enum side s);                 /* "client", "server", "none" */

/* Parse a name back; return -1 when unknown. Case-sensitive, as printed. */
int event_type_from_name(const char *name);

#endif
