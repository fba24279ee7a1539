/*
 * ladder.c - the `-o ladder` view: per connection, the sequence diagram of
 * every segment, printed as a whole when the connection is over.
 *
 * It draws what the study note in shared/seed draws by hand: one arrow per
 * segment with its time relative to the first, tcpdump's flag letters, the
 * sequence and acknowledgement numbers relative to each side's ISN, the
 * length, and the state each endpoint is in afterwards; then the closing
 * summary. Lines are kept per flow (a chained hash on the flow id) until the
 * connection's CLOSED; the tracker emits the segment that closes a connection
 * just after its CLOSED, so a CLOSED stays pending until the next event.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/format.h"
#include "ladder.h"

#define LADDER_MAX_SEGS 5000  /* arrows kept per connection; the rest are counted */
#define LADDER_LABEL_WIDTH 38 /* the arrow is padded to at least this label width */
#define LADDER_BUCKETS_MIN 256

struct ladder_flow {
	struct ladder_flow *next; /* hash chain */
	uint64_t id;
	uint64_t first_ts;
	char head[512];           /* the title line */
	char *buf;                /* the arrow lines */
	size_t len, cap;
	uint32_t nsegs, elided;
	int closed;
	struct event last;        /* the CLOSED, once seen */
};

struct ladder {
	FILE *out;
	struct ladder_flow **bucket;
	size_t nbuckets, nflows;
	struct ladder_flow *pending; /* CLOSED seen; its last segment may still follow */
};

struct ladder *
ladder_new(FILE *out)
{
	struct ladder *l;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->nbuckets = LADDER_BUCKETS_MIN;
	l->bucket = calloc(l->nbuckets, sizeof(*l->bucket));
	if (l->bucket == NULL) {
		free(l);
		return NULL;
	}
	l->out = out;
	return l;
}

static struct ladder_flow **
ladder_slot(struct ladder *l, uint64_t id)
{
	struct ladder_flow **pp;

	/* Flow ids are already a keyed mix of a counter: the low bits spread well. */
	for (pp = &l->bucket[id & (l->nbuckets - 1)]; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->id == id)
			break;
	return pp;
}

/* Double the buckets when chains grow; on failure keep the longer chains. */
static void
ladder_grow(struct ladder *l)
{
	struct ladder_flow **nb, *f, *next;
	size_t i, n = l->nbuckets * 2;

	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < l->nbuckets; i++) {
		for (f = l->bucket[i]; f != NULL; f = next) {
			next = f->next;
			f->next = nb[f->id & (n - 1)];
			nb[f->id & (n - 1)] = f;
		}
	}
	free(l->bucket);
	l->bucket = nb;
	l->nbuckets = n;
}

/* "192.0.2.1:80" or "[2001:db8::1]:80". */
static void
ladder_endpoint(const struct event *ev, const uint8_t *ip, uint16_t port, char *buf, size_t cap)
{
	char a[64];

	if (format_ip(ev->family, ip, a, sizeof(a)) == 0)
		snprintf(a, sizeof(a), "?");
	if (ev->family == 6)
		snprintf(buf, cap, "[%s]:%u", a, port);
	else
		snprintf(buf, cap, "%s:%u", a, port);
}

static struct ladder_flow *
ladder_find(struct ladder *l, const struct event *ev)
{
	struct ladder_flow **pp, *f;
	char id[32], c[80], s[80], ts[40];

	pp = ladder_slot(l, ev->flow_id);
	if (*pp != NULL)
		return *pp;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->id = ev->flow_id;
	f->first_ts = ev->ts_us;
	if (format_flow_id(ev->flow_id, id, sizeof(id)) == 0)
		snprintf(id, sizeof(id), "?");
	ladder_endpoint(ev, ev->client_ip, ev->client_port, c, sizeof(c));
	ladder_endpoint(ev, ev->server_ip, ev->server_port, s, sizeof(s));
	if (format_ts(ev->ts_us, ts, sizeof(ts)) == 0)
		snprintf(ts, sizeof(ts), "?");
	snprintf(f->head, sizeof(f->head), "%s  client %s  server %s  start %s%s", id, c, s, ts,
	    ev->partial ? "  (partial: no SYN seen, roles inferred)" : "");
	*pp = f;
	if (++l->nflows > l->nbuckets)
		ladder_grow(l);
	return f;
}

/* tcpdump's flag letters, in tcpdump's order: [S], [S.], [P.], [F.], [R] ... */
static void
ladder_flags(uint8_t fl, char *buf)
{
	static const struct {
		uint8_t bit;
		char c;
	} tab[] = { { TH_FIN, 'F' }, { TH_SYN, 'S' }, { TH_RST, 'R' }, { TH_PSH, 'P' },
		{ TH_ACK, '.' }, { TH_URG, 'U' }, { TH_ECE, 'E' }, { TH_CWR, 'W' } };
	size_t i, n = 0;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (fl & tab[i].bit)
			buf[n++] = tab[i].c;
	if (n == 0)
		buf[n++] = '-'; /* no flag at all */
	buf[n] = '\0';
}

/* Append printf-style text to f's lines, growing the buffer. */
static void __attribute__((format(printf, 2, 3)))
ladder_append(struct ladder_flow *f, const char *fmt, ...)
{
	va_list ap;
	size_t ncap;
	char *nb;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(f->buf != NULL ? f->buf + f->len : NULL, f->cap - f->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < f->cap - f->len) {
			f->len += (size_t)n;
			return;
		}
		ncap = f->cap == 0 ? 1024 : f->cap * 2;
		while (ncap - f->len <= (size_t)n)
			ncap *= 2;
		nb = realloc(f->buf, ncap);
		if (nb == NULL)
			return; /* the line is lost; the diagram stays readable */
		f->buf = nb;
		f->cap = ncap;
	}
}

/* One arrow: relative time, the segment, the states after it. */
static void
ladder_arrow(struct ladder_flow *f, const struct event *ev)
{
	char flags[16], label[96], pad[LADDER_LABEL_WIDTH * 3 + 1], t[32];
	uint64_t rel = ev->ts_us >= f->first_ts ? ev->ts_us - f->first_ts : 0;
	size_t len, i, np = 0;

	if (f->nsegs >= LADDER_MAX_SEGS) {
		f->elided++;
		return;
	}
	f->nsegs++;
	ladder_flags(ev->seg_flags, flags);
	snprintf(label, sizeof(label), "[%s] seq=%" PRIu32 " ack=%" PRIu32 " len=%" PRIu32,
	    flags, ev->seg_rel_seq, ev->seg_rel_ack, ev->seg_len);
	len = strlen(label);
	/* "─" is three bytes in UTF-8 and one column wide. */
	for (i = len; i < LADDER_LABEL_WIDTH; i++, np += 3)
		memcpy(pad + np, "\xe2\x94\x80", 3);
	pad[np] = '\0';
	snprintf(t, sizeof(t), "+%" PRIu64 ".%06" PRIu64, rel / 1000000, rel % 1000000);
	ladder_append(f, "  %11s  client %s%s%s%s server   client=%-11s server=%s\n", t,
	    ev->by == SIDE_CLIENT ? "\xe2\x94\x80\xe2\x94\x80" : "\xe2\x97\x80\xe2\x94\x80\xe2\x94\x80",
	    label, pad,
	    ev->by == SIDE_CLIENT ? "\xe2\x94\x80\xe2\x94\x80\xe2\x96\xb6" : "\xe2\x94\x80\xe2\x94\x80",
	    tcp_state_name(ev->client_state), tcp_state_name(ev->server_state));
}

static void
ladder_unlink(struct ladder *l, struct ladder_flow *f)
{
	struct ladder_flow **pp = ladder_slot(l, f->id);

	if (*pp == f) {
		*pp = f->next;
		l->nflows--;
	}
}

/* Print f's whole diagram and forget it. */
static void
ladder_print(struct ladder *l, struct ladder_flow *f)
{
	const struct event *c = &f->last;
	uint64_t d = c->duration_us;

	fprintf(l->out, "%s\n", f->head);
	if (f->len > 0)
		fwrite(f->buf, 1, f->len, l->out);
	if (f->elided > 0)
		fprintf(l->out, "  ... %" PRIu32 " more segments not shown\n", f->elided);
	if (f->closed)
		fprintf(l->out,
		    "  CLOSED reason=%s abnormal=%s closed_by=%s duration=%" PRIu64 ".%06" PRIu64
		    " client_bytes=%" PRIu64 " server_bytes=%" PRIu64 " client_pkts=%" PRIu64
		    " server_pkts=%" PRIu64 " conn_state=%s history=%s  client=%s server=%s\n",
		    close_reason_name(c->reason), c->abnormal ? "true" : "false",
		    side_name(c->closed_by), d / 1000000, d % 1000000, c->client.bytes,
		    c->server.bytes, c->client.pkts, c->server.pkts,
		    c->conn_state[0] != '\0' ? c->conn_state : "-",
		    c->history[0] != '\0' ? c->history : "-", tcp_state_name(c->client_state),
		    tcp_state_name(c->server_state));
	else
		fprintf(l->out, "  (still open: no CLOSED was seen)\n");
	fputc('\n', l->out);
	fflush(l->out);
	ladder_unlink(l, f);
	free(f->buf);
	free(f);
}

void
ladder_tick(struct ladder *l)
{
	if (l->pending != NULL) {
		ladder_print(l, l->pending);
		l->pending = NULL;
	}
}

void
ladder_event(struct ladder *l, const struct event *ev)
{
	struct ladder_flow *f;

	if (l->pending != NULL &&
	    !(ev->type == TEV_SEGMENT && ev->flow_id == l->pending->id))
		ladder_tick(l);
	if (ev->type != TEV_SEGMENT && ev->type != TEV_CLOSED)
		return; /* the arrows show every state; the summary comes with CLOSED */
	f = ladder_find(l, ev);
	if (f == NULL)
		return;
	if (ev->type == TEV_SEGMENT) {
		ladder_arrow(f, ev);
		if (f == l->pending)
			ladder_tick(l);
		return;
	}
	f->last = *ev;
	f->closed = 1;
	l->pending = f;
}

void
ladder_free(struct ladder *l)
{
	size_t i;

	if (l == NULL)
		return;
	ladder_tick(l);
	for (i = 0; i < l->nbuckets; i++)
		while (l->bucket[i] != NULL)
			ladder_print(l, l->bucket[i]);
	free(l->bucket);
	free(l);
}
