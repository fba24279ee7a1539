/*
 * summary.c - -r's progress line and the summary of the file it ends with.
 *
 * The progress line is redrawn in place ("\r") about twice a second, and only
 * when standard output and standard error are both terminals: events piped
 * away or a log collecting stderr get no carriage returns. The top talkers
 * come from an open-addressing table of SUMMARY_CLIENTS clients; a client
 * that finds no slot in SUMMARY_PROBES tries is counted with the "others",
 * so a file of any size costs the same memory and each close a few probes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/format.h"
#include "summary.h"

#define SUMMARY_CLIENTS 65536 /* a power of two: 2 MB */
#define SUMMARY_PROBES 16     /* slots tried before a client counts among the others */
#define SUMMARY_TOP 5         /* talkers shown */
#define SUMMARY_PORTS 10      /* port rows shown, the busiest */
#define SUMMARY_REDRAW_NS 500000000ULL

struct summary_client {
	uint8_t family; /* 0: a free slot */
	uint8_t ip[16];
	uint64_t abnormal;
};

struct summary {
	char path[4096];
	int progress;      /* draw the progress line */
	int drawn;         /* a progress line is on the screen */
	uint64_t start_ns; /* monotonic, at summary_new */
	uint64_t next_ns;  /* the next redraw */
	uint64_t packets;
	uint64_t others; /* abnormal closes of clients the table had no room for */
	struct summary_client client[SUMMARY_CLIENTS];
};

static uint64_t
summary_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct summary *
summary_new(const char *path)
{
	struct summary *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->progress = isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
	s->start_ns = summary_now_ns();
	s->next_ns = s->start_ns + SUMMARY_REDRAW_NS;
	return s;
}

/* FNV-1a of the address, for the slot to start probing at. */
static uint32_t
summary_hash(uint8_t family, const uint8_t *ip)
{
	uint32_t h = 2166136261u;
	int i, n = family == 4 ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ ip[i]) * 16777619u;
	return h;
}

void
summary_event(struct summary *s, const struct event *ev)
{
	struct summary_client *c;
	uint32_t h, i;

	if (ev->type != TEV_CLOSED || !ev->abnormal)
		return;
	h = summary_hash(ev->family, ev->client_ip);
	for (i = 0; i < SUMMARY_PROBES; i++) {
		c = &s->client[(h + i) & (SUMMARY_CLIENTS - 1)];
		if (c->family == 0) {
			c->family = ev->family;
			memcpy(c->ip, ev->client_ip, sizeof(c->ip));
		} else if (c->family != ev->family ||
		           memcmp(c->ip, ev->client_ip, sizeof(c->ip)) != 0)
			continue;
		c->abnormal++;
		return;
	}
	s->others++;
}

/* Packets a second since the start; 0 before any time has passed. */
static double
summary_rate(const struct summary *s, uint64_t now_ns)
{
	return now_ns > s->start_ns ? (double)s->packets * 1e9 / (double)(now_ns - s->start_ns) : 0;
}

int
summary_due(const struct summary *s)
{
	return s->progress && summary_now_ns() >= s->next_ns;
}

void
summary_packets(struct summary *s, uint64_t n, uint64_t pos, uint64_t size)
{
	uint64_t now;

	s->packets += n;
	if (!s->progress || (now = summary_now_ns()) < s->next_ns)
		return;
	s->next_ns = now + SUMMARY_REDRAW_NS;
	if (size > 0)
		fprintf(stderr, "\r%s: %3u%% read, %" PRIu64 " packets, %.0f packets/s\033[K\r",
		        s->path, (unsigned)(pos >= size ? 100 : pos * 100 / size), s->packets,
		        summary_rate(s, now));
	else
		fprintf(stderr, "\r%s: %" PRIu64 " packets, %.0f packets/s\033[K\r", s->path,
		        s->packets, summary_rate(s, now));
	s->drawn = 1;
}

/* The connections closed by each reason (and side), on one line. */
static void
summary_reasons(const struct stats_row *r, FILE *out)
{
	int c, side, first = 1;

	fprintf(out, "closed by reason:");
	for (c = CR_FIN; c < CR_NREASONS; c++)
		for (side = 0; side < stats_close_sides((enum close_reason)c); side++) {
			if (r->closed[c][side] == 0)
				continue;
			fprintf(out, "%s %s %" PRIu64, first ? "" : ",",
			        stats_close_name((enum close_reason)c, side), r->closed[c][side]);
			first = 0;
		}
	fprintf(out, "%s\n", first ? " none" : "");
}

/* The SUMMARY_PORTS rows with the most closes, busiest first, and the rest as one row. */
static void
summary_ports(const struct stats *st, FILE *out)
{
	int shown[STATS_ROWS] = {0};
	uint64_t n, best, rest = 0, rest_ab = 0;
	uint32_t i, k, pick;

	fprintf(out, "%-8s %10s %10s %10s\n", "port", "opened", "closed", "abnormal");
	for (k = 0; k < SUMMARY_PORTS; k++) {
		best = 0;
		pick = STATS_ROWS;
		for (i = 0; i < st->nrows; i++)
			if (!shown[i] && (n = stats_closed(st->row[i].closed, 0)) > best) {
				best = n;
				pick = i;
			}
		if (pick == STATS_ROWS)
			break;
		shown[pick] = 1;
		fprintf(out, "%-8u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", st->port[pick],
		        st->row[pick].opened, best, stats_closed(st->row[pick].closed, 1));
	}
	for (i = 0; i < st->nrows; i++)
		if (!shown[i]) {
			rest += stats_closed(st->row[i].closed, 0);
			rest_ab += stats_closed(st->row[i].closed, 1);
		}
	rest += stats_closed(st->row[STATS_OTHER].closed, 0);
	rest_ab += stats_closed(st->row[STATS_OTHER].closed, 1);
	if (rest > 0)
		fprintf(out, "%-8s %10s %10" PRIu64 " %10" PRIu64 "\n", "other", "", rest, rest_ab);
}

/* Does client a rank before b: more abnormal closes, then the lower address. */
static int
summary_before(const struct summary_client *a, const struct summary_client *b)
{
	if (a->abnormal != b->abnormal)
		return a->abnormal > b->abnormal;
	if (a->family != b->family)
		return a->family < b->family;
	return memcmp(a->ip, b->ip, sizeof(a->ip)) < 0;
}

/* The SUMMARY_TOP clients with the most abnormal closes, in one pass over the table. */
static void
summary_talkers(const struct summary *s, FILE *out)
{
	const struct summary_client *top[SUMMARY_TOP];
	char ip[64];
	size_t ntop = 0, i, k;

	for (i = 0; i < SUMMARY_CLIENTS; i++) {
		if (s->client[i].family == 0)
			continue;
		if (ntop == SUMMARY_TOP && !summary_before(&s->client[i], top[ntop - 1]))
			continue;
		k = ntop < SUMMARY_TOP ? ntop++ : ntop - 1;
		for (; k > 0 && summary_before(&s->client[i], top[k - 1]); k--)
			top[k] = top[k - 1];
		top[k] = &s->client[i];
	}
	fprintf(out, "top clients by abnormal closes:");
	for (k = 0; k < ntop; k++) {
		format_ip(top[k]->family, top[k]->ip, ip, sizeof(ip));
		fprintf(out, "%s %s %" PRIu64, k == 0 ? "" : ",", ip, top[k]->abnormal);
	}
	if (ntop == 0)
		fprintf(out, " none");
	if (s->others > 0)
		fprintf(out, " (and %" PRIu64 " from clients not counted apart)", s->others);
	fprintf(out, "\n");
}

void
summary_print(struct summary *s, const struct stats *st, uint64_t frames, FILE *out)
{
	uint64_t now = summary_now_ns();

	if (s->drawn)
		fprintf(stderr, "\r\033[K");
	if (out == NULL)
		return;
	fprintf(out, "%s: %" PRIu64 " frames, %" PRIu64 " TCP packets in %.1f s (%.0f packets/s)\n",
	        s->path, frames, s->packets, (double)(now - s->start_ns) / 1e9,
	        summary_rate(s, now));
	fprintf(out, "connections: %" PRIu64 " opened, %" PRIu64 " closed (%" PRIu64 " abnormal)\n",
	        st->total.opened, stats_closed(st->total.closed, 0),
	        stats_closed(st->total.closed, 1));
	summary_reasons(&st->total, out);
	summary_ports(st, out);
	summary_talkers(s, out);
}

void
summary_free(struct summary *s)
{
	free(s);
}
