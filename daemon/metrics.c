/*
 * metrics.c - the Prometheus textfile: the exposition text of the counters
 * and its atomic replacement on disk. See metrics.h for the names.
 */
#include <sys/stat.h>

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

#ifndef TCPSTATED_VERSION
#define TCPSTATED_VERSION "unknown"
#endif

static void
metrics_family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The port label of row r ("5432" or "other"). */
static void
metrics_port(const struct stats *st, uint32_t r, char *buf, size_t cap)
{
	if (r == STATS_OTHER)
		snprintf(buf, cap, "other");
	else
		snprintf(buf, cap, "%u", st->port[r]);
}

static void
metrics_rows(const struct insight *in, struct evbuffer *out)
{
	const struct stats *st = in->stats;
	uint32_t rows[STATS_ROWS], nrows = 0, i;
	const struct stats_row *r;
	char port[8];
	uint64_t cum;
	int c, side, b, s;

	for (i = 0; i < st->nrows; i++)
		rows[nrows++] = i;
	rows[nrows++] = STATS_OTHER;

	metrics_family(out, "tcpstated_connections_opened_total", "counter",
	    "Connections whose handshake completed, by server port.");
	for (i = 0; i < nrows; i++) {
		metrics_port(st, rows[i], port, sizeof(port));
		evbuffer_add_printf(out, "tcpstated_connections_opened_total{port=\"%s\"} %" PRIu64 "\n",
		    port, st->row[rows[i]].opened);
	}
	metrics_family(out, "tcpstated_connections_closed_total", "counter",
	    "Connections ended, by server port and reason (reported CLOSED).");
	for (i = 0; i < nrows; i++) {
		metrics_port(st, rows[i], port, sizeof(port));
		for (c = CR_FIN; c < CR_NREASONS; c++)
			for (side = 0; side < stats_close_sides((enum close_reason)c); side++)
				evbuffer_add_printf(out,
				    "tcpstated_connections_closed_total{port=\"%s\",reason=\"%s\"} %" PRIu64
				    "\n", port, stats_close_name((enum close_reason)c, side),
				    st->row[rows[i]].closed[c][side]);
	}
	metrics_family(out, "tcpstated_handshake_seconds", "histogram",
	    "Time from the client's first SYN to the ACK that completed the handshake.");
	for (i = 0; i < nrows; i++) {
		metrics_port(st, rows[i], port, sizeof(port));
		r = &st->row[rows[i]];
		for (b = 0, cum = 0; b < STATS_HS_BUCKETS; b++) {
			cum += r->hs[b];
			evbuffer_add_printf(out,
			    "tcpstated_handshake_seconds_bucket{port=\"%s\",le=\"%g\"} %" PRIu64 "\n",
			    port, (double)stats_hs_bounds_us[b] / 1e6, cum);
		}
		evbuffer_add_printf(out,
		    "tcpstated_handshake_seconds_bucket{port=\"%s\",le=\"+Inf\"} %" PRIu64 "\n"
		    "tcpstated_handshake_seconds_sum{port=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n"
		    "tcpstated_handshake_seconds_count{port=\"%s\"} %" PRIu64 "\n",
		    port, r->hs_count, port, r->hs_sum_us / 1000000, r->hs_sum_us % 1000000, port,
		    r->hs_count);
	}
	if (in->ep == NULL)
		return;
	metrics_family(out, "tcpstated_endpoints", "gauge",
	    "TCP endpoints in each state now, by server port (both ends of every connection).");
	for (i = 0; i < nrows; i++) {
		metrics_port(st, rows[i], port, sizeof(port));
		for (s = 0; s < ST_NSTATES; s++)
			if (tcp_states[s].key != NULL)
				evbuffer_add_printf(out,
				    "tcpstated_endpoints{port=\"%s\",state=\"%s\"} %u\n", port,
				    tcp_states[s].key, in->ep->row[rows[i]][s]);
	}
}

void
metrics_render(const struct insight *in, struct evbuffer *out)
{
	const struct alert_rule *rule;
	size_t i;
	int k, t;

	metrics_family(out, "tcpstated_build_info", "gauge", "The version of tcpstated, as a label.");
	evbuffer_add_printf(out, "tcpstated_build_info{version=\"%s\"} 1\n", TCPSTATED_VERSION);
	metrics_family(out, "tcpstated_start_time_seconds", "gauge",
	    "When tcpstated started, in seconds since the Unix epoch.");
	evbuffer_add_printf(out, "tcpstated_start_time_seconds %" PRIu64 "\n", in->start_us / 1000000);
	metrics_family(out, "tcpstated_capture_packets_total", "counter",
	    "Packets the capture received (those that passed the filter).");
	evbuffer_add_printf(out, "tcpstated_capture_packets_total %" PRIu64 "\n", in->cap.received);
	metrics_family(out, "tcpstated_capture_frames_total", "counter",
	    "Frames tcpstated received from the capture (on lo half the packets the kernel counts).");
	evbuffer_add_printf(out, "tcpstated_capture_frames_total %" PRIu64 "\n", in->frames);
	metrics_family(out, "tcpstated_capture_dropped_packets_total", "counter",
	    "Packets the capture lost: no room in the kernel buffer, or dropped by the interface.");
	evbuffer_add_printf(out,
	    "tcpstated_capture_dropped_packets_total{where=\"kernel\"} %" PRIu64 "\n"
	    "tcpstated_capture_dropped_packets_total{where=\"interface\"} %" PRIu64 "\n",
	    in->cap.dropped, in->cap.ifdropped);
	metrics_family(out, "tcpstated_connections_tracked", "gauge",
	    "Connections in the flow table now (open, or closed and remembered).");
	evbuffer_add_printf(out, "tcpstated_connections_tracked %" PRIu64 "\n", in->ts->flows_active);
	metrics_family(out, "tcpstated_connections_max", "gauge",
	    "The flow table's capacity (tracking.max_flows).");
	evbuffer_add_printf(out, "tcpstated_connections_max %u\n", in->max_flows);
	metrics_family(out, "tcpstated_hash_overflows_total", "counter",
	    "New connections both of whose flow-table index buckets were full (a flood aimed at the table).");
	evbuffer_add_printf(out, "tcpstated_hash_overflows_total %" PRIu64 "\n", in->ts->hash_overflows);
	metrics_family(out, "tcpstated_connection_attempts_total", "counter",
	    "Connection attempts: client SYNs, first transmissions.");
	evbuffer_add_printf(out, "tcpstated_connection_attempts_total %" PRIu64 "\n",
	    in->stats->attempts);
	metrics_rows(in, out);
	metrics_family(out, "tcpstated_events_total", "counter",
	    "Events the tracker reported, by type (whether or not an output took them).");
	for (t = 0; t < TEV_NTYPES; t++)
		if (!event_types[t].internal)
			evbuffer_add_printf(out, "tcpstated_events_total{type=\"%s\"} %" PRIu64 "\n",
			    event_type_name((enum event_type)t), in->ts->events[t]);
	if (in->workers > 1) {
		metrics_family(out, "tcpstated_worker_events_lost_total", "counter",
		    "Events lost between a capture worker and the outputs: its hand-over ring was full.");
		evbuffer_add_printf(out, "tcpstated_worker_events_lost_total %" PRIu64 "\n",
		    in->worker_lost);
	}
	metrics_family(out, "tcpstated_output_records_total", "counter",
	    "Records an output delivered.");
	for (k = 0; k < INSIGHT_NOUTS; k++)
		if (in->out_on[k])
			evbuffer_add_printf(out, "tcpstated_output_records_total{output=\"%s\"} %" PRIu64 "\n",
			    outputs_name(k), in->out[k].written);
	metrics_family(out, "tcpstated_output_dropped_total", "counter",
	    "Records an output could not deliver (disk full, journald away, a full queue).");
	for (k = 0; k < INSIGHT_NOUTS; k++)
		if (in->out_on[k])
			evbuffer_add_printf(out, "tcpstated_output_dropped_total{output=\"%s\"} %" PRIu64 "\n",
			    outputs_name(k), in->out[k].dropped);
	metrics_family(out, "tcpstated_events_suppressed_total", "counter",
	    "Events an output left out over its rate limit (summarised as SUPPRESSED records).");
	for (k = 0; k < INSIGHT_NOUTS; k++)
		if (in->out_on[k])
			evbuffer_add_printf(out,
			    "tcpstated_events_suppressed_total{output=\"%s\"} %" PRIu64 "\n",
			    outputs_name(k), in->out[k].suppressed);
	if (in->alerts == NULL || alerts_count(in->alerts) == 0)
		return;
	metrics_family(out, "tcpstated_alert_firing", "gauge",
	    "1 while an alert rule fires, else 0.");
	for (i = 0; i < alerts_count(in->alerts); i++) {
		rule = alerts_rule(in->alerts, i);
		evbuffer_add_printf(out, "tcpstated_alert_firing{alert=\"%s\"} %d\n", rule->name,
		    alerts_firing(in->alerts, i) ? 1 : 0);
	}
	metrics_family(out, "tcpstated_alerts_fired_total", "counter",
	    "How many times an alert rule fired.");
	for (i = 0; i < alerts_count(in->alerts); i++) {
		rule = alerts_rule(in->alerts, i);
		evbuffer_add_printf(out, "tcpstated_alerts_fired_total{alert=\"%s\"} %" PRIu64 "\n",
		    rule->name, alerts_fired(in->alerts, i));
	}
}

int
metrics_write(const char *path, struct evbuffer *buf, char *err, size_t errlen)
{
	char tmp[4200];
	const char *what = tmp, *bad = path;
	struct stat st;
	int fd = -1, n, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		evbuffer_drain(buf, evbuffer_get_length(buf));
		return -1;
	}
	/* Only ever a regular file, at both names: a FIFO must not hang the event loop. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		goto irregular;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
	    0644);
	if (fd == -1 && errno == ENXIO) {
		bad = tmp;
		goto irregular;
	}
	if (fd == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		bad = tmp;
		goto irregular;
	}
	/* The umask (the unit's is 0027) would keep the collector's user out. */
	if (fchmod(fd, 0644) == -1)
		goto fail;
	while (evbuffer_get_length(buf) > 0) {
		n = evbuffer_write(buf, fd);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
	}
	n = close(fd);
	fd = -1;
	if (n == -1)
		goto fail;
	what = path;
	if (rename(tmp, path) == -1)
		goto fail;
	return 0;

irregular:
	snprintf(err, errlen, "%s is not a regular file", bad);
	if (fd != -1)
		close(fd);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	return -1;

fail:
	e = errno;
	snprintf(err, errlen, "cannot write %s: %s", what, strerror(e));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	return -1;
}
