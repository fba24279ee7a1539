/*
 * insight.c - the daemon's counters as a STATS record, as the STATUS line
 * and as the text of `tcpstated --stats`. See insight.h.
 */
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "insight.h"

#ifndef TCPSTATED_VERSION
#define TCPSTATED_VERSION "unknown"
#endif

uint64_t
insight_alerts_firing(const struct insight *in)
{
	uint64_t n = 0;
	size_t i;

	if (in->alerts == NULL)
		return 0;
	for (i = 0; i < alerts_count(in->alerts); i++)
		n += alerts_firing(in->alerts, i) != 0;
	return n;
}

void
insight_record(const struct insight *in, struct stats_record *r)
{
	int k, s;

	memset(r, 0, sizeof(*r));
	r->ts_us = in->now_us;
	r->uptime_s = in->now_us > in->start_us ? (in->now_us - in->start_us) / 1000000 : 0;
	r->packets = in->cap.received;
	r->kernel_drops = in->cap.dropped;
	r->interface_drops = in->cap.ifdropped;
	r->connections = in->ts->flows_active;
	r->attempts = in->stats->attempts;
	r->opened = in->stats->total.opened;
	memcpy(r->closed, in->stats->total.closed, sizeof(r->closed));
	r->handshakes = in->stats->total.hs_count;
	r->handshake_sum_us = in->stats->total.hs_sum_us;
	r->clock_steps = in->ts->clock_steps;
	/* Without a walk, the tracker's own count (it includes what closed flows left behind). */
	for (s = 0; s < ST_NSTATES; s++)
		r->endpoints[s] = in->ep != NULL ? in->ep->total[s] : in->ts->open_by_state[s];
	r->endpoints[ST_CLOSED] = 0;
	r->events = in->events;
	for (k = 0; k < INSIGHT_NOUTS; k++) {
		if (!in->out_on[k])
			continue;
		r->output_dropped += in->out[k].dropped;
		r->suppressed += in->out[k].suppressed;
	}
	r->alerts_firing = insight_alerts_firing(in);
	r->hash_overflows = in->ts->hash_overflows;
}

void
insight_status(const struct insight *in, char *buf, size_t cap)
{
	struct stats_record r;
	size_t len;

	insight_record(in, &r);
	if (in->capture_up)
		len = (size_t)snprintf(buf, cap, "capturing %s (%s): ", in->interface, in->filter);
	else
		len = (size_t)snprintf(buf, cap, "capture on %s is down, retrying: ", in->interface);
	if (len >= cap)
		return;
	snprintf(buf + len, cap - len,
	    "%" PRIu64 " connections tracked, %" PRIu64 " opened, %" PRIu64 " closed (%" PRIu64
	    " abnormal), %" PRIu64 " CLOSE_WAIT, %" PRIu64 " TIME_WAIT, %" PRIu64 " events, %" PRIu64
	    " capture drops, %" PRIu64 " output drops, %" PRIu64 " alert%s firing",
	    r.connections, r.opened, stats_closed(in->stats->total.closed, 0),
	    stats_closed(in->stats->total.closed, 1), r.endpoints[ST_CLOSE_WAIT],
	    r.endpoints[ST_TIME_WAIT], r.events, r.kernel_drops + r.interface_drops,
	    r.output_dropped, r.alerts_firing, r.alerts_firing == 1 ? "" : "s");
}

/* "1h02m03s" */
static void
insight_duration(struct evbuffer *out, uint64_t s)
{
	if (s >= 86400)
		evbuffer_add_printf(out, "%" PRIu64 "d", s / 86400);
	if (s >= 3600)
		evbuffer_add_printf(out, "%02" PRIu64 "h", s / 3600 % 24);
	if (s >= 60)
		evbuffer_add_printf(out, "%02" PRIu64 "m", s / 60 % 60);
	evbuffer_add_printf(out, "%02" PRIu64 "s", s % 60);
}

/* One row of the two per-port tables. */
static void
insight_port_rows(const struct insight *in, struct evbuffer *out, const char *label,
    const struct stats_row *r, const uint32_t *ep, int table)
{
	int c, side;

	evbuffer_add_printf(out, "%-7s", label);
	if (table == 0) {
		evbuffer_add_printf(out, " %9" PRIu64, r->opened);
		if (r->hs_count > 0)
			evbuffer_add_printf(out, " %9.3f", (double)r->hs_sum_us / (double)r->hs_count / 1000.0);
		else
			evbuffer_add_printf(out, " %9s", "-");
		for (c = CR_FIN; c < CR_NREASONS; c++)
			for (side = 0; side < stats_close_sides((enum close_reason)c); side++)
				evbuffer_add_printf(out, " %*" PRIu64,
				    (int)strlen(stats_close_name((enum close_reason)c, side)),
				    r->closed[c][side]);
	} else {
		for (c = 0; c < ST_NSTATES; c++)
			if (tcp_states[c].key != NULL)
				evbuffer_add_printf(out, " %*u", (int)strlen(tcp_states[c].name),
				    ep != NULL ? ep[c] : 0);
	}
	evbuffer_add(out, "\n", 1);
	(void)in;
}

void
insight_text(const struct insight *in, struct evbuffer *out)
{
	struct stats_record r;
	const struct stats *st = in->stats;
	const struct alert_rule *rule;
	char port[8];
	size_t i;
	uint32_t n;
	int k, c, side, first, table;

	insight_record(in, &r);
	evbuffer_add_printf(out, "tcpstated %s, ", TCPSTATED_VERSION);
	if (in->interface == NULL)
		evbuffer_add_printf(out, "reading a file");
	else if (in->capture_up)
		evbuffer_add_printf(out, "capturing %s (%s)", in->interface, in->filter);
	else
		evbuffer_add_printf(out, "capture on %s is down", in->interface);
	evbuffer_add_printf(out, ", up ");
	insight_duration(out, r.uptime_s);
	/*
	 * The kernel's count and ours differ where libpcap drops frames itself:
	 * on lo it sees each one twice, sent and received, and keeps one.
	 */
	evbuffer_add_printf(out, "\ncapture: %" PRIu64 " packets counted by the kernel, %" PRIu64
	    " received by tcpstated, %" PRIu64 " dropped by the kernel, %" PRIu64
	    " by the interface\n", r.packets, in->frames, r.kernel_drops, r.interface_drops);
	evbuffer_add_printf(out, "connections: %" PRIu64 " tracked (of %u), %" PRIu64 " attempts, %" PRIu64
	    " opened, %" PRIu64 " closed (%" PRIu64 " abnormal)\n", r.connections, in->max_flows,
	    r.attempts, r.opened, stats_closed(st->total.closed, 0), stats_closed(st->total.closed, 1));
	evbuffer_add_printf(out, "endpoints now:");
	for (c = 0, first = 1; c < ST_NSTATES; c++) {
		if (tcp_states[c].key == NULL || r.endpoints[c] == 0)
			continue;
		evbuffer_add_printf(out, "%s %s %" PRIu64, first ? "" : ",", tcp_states[c].name,
		    r.endpoints[c]);
		first = 0;
	}
	evbuffer_add_printf(out, "%s\nevents: %" PRIu64 " delivered to the outputs\n",
	    first ? " none" : "", r.events);
	if (in->workers > 1)
		evbuffer_add_printf(out, "workers: %u capture threads, %" PRIu64
		    " events lost to a full ring\n", in->workers, in->worker_lost);
	for (k = 0; k < INSIGHT_NOUTS; k++)
		if (in->out_on[k])
			evbuffer_add_printf(out, "output %s: %" PRIu64 " written, %" PRIu64
			    " dropped, %" PRIu64 " suppressed\n", outputs_name(k),
			    in->out[k].written, in->out[k].dropped, in->out[k].suppressed);
	for (i = 0; in->alerts != NULL && i < alerts_count(in->alerts); i++) {
		rule = alerts_rule(in->alerts, i);
		evbuffer_add_printf(out, "alert %s (%s", rule->name, alert_kind_name(rule->kind));
		if (rule->port != 0)
			evbuffer_add_printf(out, " to port %u", rule->port);
		else
			evbuffer_add_printf(out, " to any port");
		evbuffer_add_printf(out, ", more than %u in %u s): %s, %" PRIu64
		    " in the window, fired %" PRIu64 " time%s\n", rule->threshold, rule->window_s,
		    alerts_firing(in->alerts, i) ? "FIRING" : "quiet",
		    alerts_window_count(in->alerts, i), alerts_fired(in->alerts, i),
		    alerts_fired(in->alerts, i) == 1 ? "" : "s");
	}

	for (table = 0; table < 2; table++) {
		evbuffer_add_printf(out, "\n%-7s", "port");
		if (table == 0) {
			evbuffer_add_printf(out, " %9s %9s", "opened", "hs_avg_ms");
			for (c = CR_FIN; c < CR_NREASONS; c++)
				for (side = 0; side < stats_close_sides((enum close_reason)c); side++)
					evbuffer_add_printf(out, " %s",
					    stats_close_name((enum close_reason)c, side));
		} else {
			for (c = 0; c < ST_NSTATES; c++)
				if (tcp_states[c].key != NULL)
					evbuffer_add_printf(out, " %s", tcp_states[c].name);
		}
		evbuffer_add(out, "\n", 1);
		for (n = 0; n < st->nrows; n++) {
			snprintf(port, sizeof(port), "%u", st->port[n]);
			insight_port_rows(in, out, port, &st->row[n],
			    in->ep != NULL ? in->ep->row[n] : NULL, table);
		}
		insight_port_rows(in, out, "other", &st->row[STATS_OTHER],
		    in->ep != NULL ? in->ep->row[STATS_OTHER] : NULL, table);
		insight_port_rows(in, out, "total", &st->total, in->ep != NULL ? in->ep->total : NULL,
		    table);
	}
}
