/*
 * stats.c - per-port and total connection counters from the tracker's events.
 * See stats.h for the contract.
 */
#include <string.h>

#include "stats.h"

/* Prometheus' usual latency buckets, from 0.5 ms to 10 s. */
const uint64_t stats_hs_bounds_us[STATS_HS_BUCKETS] = {
    500,    1000,   2500,   5000,    10000,   25000,   50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

int
stats_close_sides(enum close_reason r)
{
	if (r == CR_NONE || (unsigned)r >= CR_NREASONS)
		return 0;
	return close_reasons[r].by_side[SIDE_CLIENT] != NULL ? 2 : 1;
}

const char *
stats_close_name(enum close_reason r, int side)
{
	if (side < 0 || side >= stats_close_sides(r))
		return "?";
	return close_reasons[r].by_side[SIDE_CLIENT] != NULL ? close_reasons[r].by_side[side]
	                                                     : close_reasons[r].name;
}

uint64_t
stats_closed(const uint64_t closed[CR_NREASONS][STATS_CLOSE_SIDES], int abnormal_only)
{
	uint64_t n = 0;
	int r, side;

	for (r = CR_FIN; r < CR_NREASONS; r++)
		for (side = 0; side < stats_close_sides((enum close_reason)r); side++)
			if (!abnormal_only || close_reasons[r].abnormal)
				n += closed[r][side];
	return n;
}

void
stats_init(struct stats *s)
{
	memset(s, 0, sizeof *s);
}

int
stats_pin(struct stats *s, uint16_t port)
{
	if (s->row_of[port] != 0)
		return s->row_of[port] - 1;
	if (s->nrows == STATS_MAX_PORTS)
		return -1;
	s->port[s->nrows] = port;
	s->row_of[port] = (uint8_t)(s->nrows + 1);
	return (int)s->nrows++;
}

int
stats_row_of(const struct stats *s, uint16_t port)
{
	return s->row_of[port] != 0 ? s->row_of[port] - 1 : STATS_OTHER;
}

static void
stats_handshake(struct stats_row *r, uint64_t us)
{
	int b;

	for (b = 0; b < STATS_HS_BUCKETS && us > stats_hs_bounds_us[b]; b++)
		;
	r->hs[b]++;
	r->hs_count++;
	/* Saturates: no sample, however wrong, wraps the average for the daemon's life. */
	r->hs_sum_us = r->hs_sum_us > UINT64_MAX - us ? UINT64_MAX : r->hs_sum_us + us;
}

void
stats_event(struct stats *s, const struct event *ev)
{
	struct stats_row *r;
	int row, side;

	switch (ev->type) {
	case TEV_SYN:
		if (ev->by == SIDE_CLIENT)
			s->attempts++;
		return;
	case TEV_SYN_ACK:
		if (ev->by == SIDE_SERVER)
			stats_pin(s,
			          ev->server_port); /* a server answers on it: a port worth a row */
		return;
	case TEV_ESTABLISHED:
		/* The step that makes both endpoints ESTABLISHED completes the handshake. */
		if (ev->client_state != ST_ESTABLISHED || ev->server_state != ST_ESTABLISHED ||
		    (ev->client_state_was == ST_ESTABLISHED &&
		     ev->server_state_was == ST_ESTABLISHED))
			return;
		row = stats_pin(s, ev->server_port);
		r = &s->row[row >= 0 ? row : STATS_OTHER];
		r->opened++;
		s->total.opened++;
		/* From the first SYN, so only when the SYN was seen (not partial). */
		if (!ev->partial) {
			stats_handshake(r, ev->duration_us);
			stats_handshake(&s->total, ev->duration_us);
		}
		return;
	case TEV_CLOSED:
		if (stats_close_sides(ev->reason) == 0)
			return;
		/* A reason split by side: a RST counts for the client unless the server sent it. */
		side = stats_close_sides(ev->reason) == 2 && ev->closed_by == SIDE_SERVER;
		s->row[stats_row_of(s, ev->server_port)].closed[ev->reason][side]++;
		s->total.closed[ev->reason][side]++;
		return;
	default:
		return;
	}
}

struct stats_walk {
	const struct stats *s;
	struct stats_endpoints *ep;
};

static void
stats_count(struct stats_walk *w, int row, enum tcp_state st)
{
	if (st == ST_CLOSED || (unsigned)st >= ST_NSTATES)
		return;
	w->ep->row[row][st]++;
	w->ep->total[st]++;
}

static int
stats_visit_cb(const struct event *snap, void *arg)
{
	struct stats_walk *w = arg;
	int row = stats_row_of(w->s, snap->server_port);

	if (snap->type == TEV_CLOSED) {
		/* Reported closed, remembered: only a TIME_WAIT is still real. */
		if (snap->client_state == ST_TIME_WAIT)
			stats_count(w, row, ST_TIME_WAIT);
		if (snap->server_state == ST_TIME_WAIT)
			stats_count(w, row, ST_TIME_WAIT);
		return 0;
	}
	stats_count(w, row, snap->client_state);
	stats_count(w, row, snap->server_state);
	return 0;
}

void
stats_endpoints(const struct stats *s, const struct tracker *t, uint64_t now_us,
                struct stats_endpoints *ep)
{
	memset(ep, 0, sizeof *ep);
	stats_endpoints_add(s, t, now_us, ep);
}

void
stats_endpoints_add(const struct stats *s, const struct tracker *t, uint64_t now_us,
                    struct stats_endpoints *ep)
{
	struct stats_walk w = {s, ep};

	tracker_foreach(t, now_us, stats_visit_cb, &w);
}
