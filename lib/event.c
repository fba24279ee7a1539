/*
 * event.c - the tables of states, event types and close reasons: the single
 * spelling of each name (the journal fields, the JSON records, the config's
 * event lists and alert kinds, the STATS keys and the metrics labels all come
 * from here) and everything the outputs, counters and alerts make of a value.
 */
#include <string.h>

#include "event.h"

/* RFC 9293 3.3.2 names; CLOSED and LISTEN endpoints are never counted (LISTEN is never seen). */
const struct tcp_state_info tcp_states[ST_NSTATES] = {
    [ST_CLOSED] = {"CLOSED", NULL},
    [ST_LISTEN] = {"LISTEN", NULL},
    [ST_SYN_SENT] = {"SYN_SENT", "syn_sent"},
    [ST_SYN_RCVD] = {"SYN_RCVD", "syn_rcvd"},
    [ST_ESTABLISHED] = {"ESTABLISHED", "established"},
    [ST_FIN_WAIT_1] = {"FIN_WAIT_1", "fin_wait_1"},
    [ST_FIN_WAIT_2] = {"FIN_WAIT_2", "fin_wait_2"},
    [ST_CLOSING] = {"CLOSING", "closing"},
    [ST_TIME_WAIT] = {"TIME_WAIT", "time_wait"},
    [ST_CLOSE_WAIT] = {"CLOSE_WAIT", "close_wait"},
    [ST_LAST_ACK] = {"LAST_ACK", "last_ack"},
};

/*
 * RST and abnormal closes are warnings (what `journalctl -p warning` is
 * for); the connection life cycle is info; every other transition is debug.
 */
const struct event_type_info event_types[TEV_NTYPES] = {
    [TEV_SYN] = {"SYN", "f6616e9b93d147d6b2f280b170a09a5c", 6},
    [TEV_SYN_ACK] = {"SYN_ACK", "dfe9ddccb1064e949fe2b940f36bff1f", 6},
    [TEV_ESTABLISHED] = {"ESTABLISHED", "eb186b77f3984be89d954ae466322ff4", 6},
    [TEV_FIN] = {"FIN", "551736fae39a4595b9300653d28faee3", 6},
    [TEV_RST] = {"RST", "bba929eb9fdb44f2af8b84d1b4564fd8", 4},
    [TEV_TIME_WAIT] = {"TIME_WAIT", "62719ae2ef4845b1ba82ffee328d95cd", 6},
    [TEV_STATE] = {"STATE", "f785adb3368b404c948578a400676daa", 7},
    [TEV_CLOSED] = {"CLOSED", "fef4ffb9c0334322b9ab83bc5a7c4ef7", 6},
    [TEV_UPDATE] = {"UPDATE", "eda1581ec8dc42a8a9a1cde8a1fc4ddf", 6},
    [TEV_SEGMENT] = {"SEGMENT", NULL, 7, .internal = 1},
};

/*
 * In the order every report lists them. shutdown is abnormal (the close was
 * not seen) but says nothing of the connection, so no alert counts it, and
 * its record is info: a restart must not put one warning per open
 * connection into `journalctl -p warning` (the daemon logs one line instead).
 */
const struct close_reason_info close_reasons[CR_NREASONS] = {
    [CR_NONE] = {.name = "none", .priority = 6},
    [CR_FIN] = {.name = "fin", .priority = 6},
    [CR_RST] = {.name = "rst",
                .abnormal = 1,
                .priority = 4,
                .by_side = {"rst_client", "rst_server"},
                .alert = "resets",
                .alert_abnormal = 1},
    [CR_REFUSED] = {.name = "refused",
                    .abnormal = 1,
                    .priority = 4,
                    .alert = "refused connections",
                    .alert_abnormal = 1},
    [CR_SYN_TIMEOUT] = {.name = "syn_timeout",
                        .abnormal = 1,
                        .priority = 4,
                        .alert = "handshake timeouts",
                        .alert_abnormal = 1},
    [CR_IDLE_TIMEOUT] = {.name = "idle_timeout",
                         .abnormal = 1,
                         .priority = 4,
                         .alert = "idle timeouts",
                         .alert_abnormal = 1},
    [CR_CLOSING_TIMEOUT] = {.name = "closing_timeout",
                            .abnormal = 1,
                            .priority = 4,
                            .alert = "closing timeouts",
                            .alert_abnormal = 1},
    [CR_HALF_CLOSED_TIMEOUT] = {.name = "half_closed_timeout",
                                .abnormal = 1,
                                .priority = 4,
                                .alert = "half-closed timeouts",
                                .alert_abnormal = 1},
    [CR_EVICTED] = {.name = "evicted", .abnormal = 1, .priority = 4, .alert_abnormal = 1},
    [CR_REUSED] = {.name = "reused", .abnormal = 1, .priority = 4, .alert_abnormal = 1},
    [CR_SHUTDOWN] = {.name = "shutdown", .abnormal = 1, .priority = 6},
};

int
event_priority(const struct event *ev)
{
	if (ev->type == TEV_CLOSED && (unsigned)ev->reason < CR_NREASONS)
		return close_reasons[ev->reason].priority;
	return (unsigned)ev->type < TEV_NTYPES ? event_types[ev->type].priority : 6;
}

/* Out-of-range values print as "?" rather than crash a formatter. */
const char *
tcp_state_name(enum tcp_state s)
{
	if ((unsigned)s >= ST_NSTATES)
		return "?";
	return tcp_states[s].name;
}

const char *
event_type_name(enum event_type t)
{
	if ((unsigned)t >= TEV_NTYPES)
		return "?";
	return event_types[t].name;
}

const char *
close_reason_name(enum close_reason r)
{
	if ((unsigned)r >= CR_NREASONS)
		return "?";
	return close_reasons[r].name;
}

const char *
side_name(enum side s)
{
	switch (s) {
	case SIDE_CLIENT:
		return "client";
	case SIDE_SERVER:
		return "server";
	case SIDE_NONE:
		return "none";
	}
	return "?";
}

int
event_type_from_name(const char *name)
{
	int t;

	if (name == NULL)
		return -1;
	for (t = 0; t < TEV_NTYPES; t++) {
		if (strcmp(name, event_types[t].name) == 0)
			return t;
	}
	return -1;
}
