/*
 * event.c - the names of states, event types, close reasons and sides, as
 * every output prints them. The tables are the single spelling of each name:
 * the journal fields, the JSON records and the config's event lists all
 * come from here.
 */
#include <string.h>

#include "event.h"

/* RFC 9293 3.3.2 names, with underscores instead of hyphens. */
static const char *const state_names[ST_NSTATES] = {
    [ST_CLOSED] = "CLOSED",           [ST_LISTEN] = "LISTEN",
    [ST_SYN_SENT] = "SYN_SENT",       [ST_SYN_RCVD] = "SYN_RCVD",
    [ST_ESTABLISHED] = "ESTABLISHED", [ST_FIN_WAIT_1] = "FIN_WAIT_1",
    [ST_FIN_WAIT_2] = "FIN_WAIT_2",   [ST_CLOSING] = "CLOSING",
    [ST_TIME_WAIT] = "TIME_WAIT",     [ST_CLOSE_WAIT] = "CLOSE_WAIT",
    [ST_LAST_ACK] = "LAST_ACK",
};

static const char *const type_names[TEV_NTYPES] = {
    [TEV_SYN] = "SYN",     [TEV_SYN_ACK] = "SYN_ACK", [TEV_ESTABLISHED] = "ESTABLISHED",
    [TEV_FIN] = "FIN",     [TEV_RST] = "RST",         [TEV_TIME_WAIT] = "TIME_WAIT",
    [TEV_STATE] = "STATE", [TEV_CLOSED] = "CLOSED",   [TEV_UPDATE] = "UPDATE",
    [TEV_SEGMENT] = "SEGMENT",
};

static const char *const reason_names[CR_NREASONS] = {
    [CR_NONE] = "none",
    [CR_FIN] = "fin",
    [CR_RST] = "rst",
    [CR_REFUSED] = "refused",
    [CR_SYN_TIMEOUT] = "syn_timeout",
    [CR_IDLE_TIMEOUT] = "idle_timeout",
    [CR_CLOSING_TIMEOUT] = "closing_timeout",
    [CR_REUSED] = "reused",
    [CR_EVICTED] = "evicted",
    [CR_SHUTDOWN] = "shutdown",
};

/* Out-of-range values print as "?" rather than crash a formatter. */
const char *
tcp_state_name(enum tcp_state s)
{
	if ((unsigned)s >= ST_NSTATES)
		return "?";
	return state_names[s];
}

const char *
event_type_name(enum event_type t)
{
	if ((unsigned)t >= TEV_NTYPES)
		return "?";
	return type_names[t];
}

const char *
close_reason_name(enum close_reason r)
{
	if ((unsigned)r >= CR_NREASONS)
		return "?";
	return reason_names[r];
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
		if (strcmp(name, type_names[t]) == 0)
			return t;
	}
	return -1;
}
