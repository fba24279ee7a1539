/*
 * benchgen.c - the benchmark's capture generator: a deterministic pcap of
 * many interleaved TCP connections, or of a SYN flood with one real
 * connection in the middle.
 *
 *   benchgen -n CONNS -c CONCURRENT -s SEED [-6 V6] [-O OPEN] [-S SNAPLEN] -o FILE
 *   benchgen -F SYNS [-r PPS] -s SEED [-S SNAPLEN] -o FILE
 *
 * The capture is what a busy server's interface would see: CONCURRENT
 * connections open at any time, each one scripted from the server's vantage
 * point (its SYN-ACK follows the SYN at once, the client's answers come one
 * round trip later), with the lifecycle mix of real servers: ~70% FIN closes
 * (either side first, some in three segments), ~10% server RST, ~5% client
 * RST, ~5% refused, ~5% unanswered SYNs with retransmissions, ~5% left open.
 * -O sets the left-open share (the rest keep their proportions): -O 1 gives
 * CONNS established connections that are all open at the end of the file.
 * Frames are cut at SNAPLEN (headers only) while their IP lengths stay right,
 * so the file is small and quick to write. The same arguments always give
 * the same bytes.
 *
 * The pcap writing and the segment arithmetic are pcapw.h's; this file owns
 * the scripts (what each kind of connection sends, and when) and the
 * scheduler that interleaves them: a binary heap of per-connection deadlines.
 *
 * -F writes SYNS SYNs at PPS (default 1M/s) from random spoofed sources to
 * 10.0.0.1:80 instead, with one complete, clean connection from
 * 198.51.100.7:40000 starting halfway through (see gen_flood()).
 *
 * On success it prints one summary line on stdout: packets, connections by
 * kind, and the capture's span.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapw.h"

#define BENCHGEN_START_US 1717200000000000ull /* 2024-06-01T00:00:00Z */
#define BENCHGEN_SNAPLEN 96
#define BENCHGEN_NSERVERS 4
#define BENCHGEN_FLOOD_PPS 1000000
#define BENCHGEN_DELACK_US 40000 /* Linux's delayed ACK timeout */

/* What a connection does with its life. */
enum kind {
	K_FIN = 0,    /* handshake, exchanges, a FIN close */
	K_SRST,       /* the server aborts with a RST */
	K_CRST,       /* the client aborts with a RST */
	K_REFUSED,    /* the SYN is answered by a RST */
	K_UNANSWERED, /* the SYN is retransmitted and never answered */
	K_OPEN,       /* handshake, exchanges, then silence to the end of the file */
	K_NKINDS
};

static const char *kind_names[K_NKINDS] = {"fin", "server_rst", "client_rst", "refused",
	"unanswered", "open"};

/* Per mille of each kind, K_OPEN last (it absorbs the rounding). */
static const unsigned kind_permille[K_NKINDS] = {700, 100, 50, 50, 50, 50};

/* Where a script is; each step emits one segment. */
enum phase {
	P_SYN = 0,
	P_SYNACK,
	P_ACK,        /* the handshake's last segment */
	P_REQUEST,
	P_DELACK,     /* a slow response: the server's delayed ACK of the request first */
	P_RESPONSE,   /* resp_left segments to go */
	P_CLIENT_ACK, /* acks_left client ACKs to go */
	P_SYN_RETX,   /* an unanswered SYN, sent again */
	P_REFUSE,     /* the closed port's RST */
	P_CLOSE       /* the close sequence; close_step counts */
};

/* How a FIN close goes (the three-segment ones fold the second FIN into the ACK). */
enum close_kind {
	CL_CLIENT4 = 0, /* FIN, ACK, FIN, ACK; client first */
	CL_CLIENT3,     /* FIN, FIN+ACK, ACK; client first */
	CL_SERVER4,
	CL_SERVER3,
	CL_NKINDS
};

/* One connection slot: pcapw's script of the connection, and where it is in its life. */
struct gconn {
	struct conn c;
	uint8_t kind;
	uint8_t phase;
	uint8_t exchanges;  /* request/response rounds still to come */
	uint8_t resp_left;  /* response segments still to send */
	uint8_t acks_left;  /* client ACKs of the response still to send */
	uint8_t close_kind;
	uint8_t close_step;
	uint8_t retx;       /* SYN retransmissions still to send */
	uint8_t retx_sent;
	uint32_t rtt_us;
	uint32_t think_us;  /* the server's time to answer the current request */
	uint32_t mid_ack;   /* the client's first ACK of a long response covers up to here */
};

/* When slot i sends next, in microseconds since the epoch. */
struct heapent {
	uint64_t t;
	uint32_t i;
};

struct gen {
	struct pcapw w;
	uint64_t rng;
	uint64_t key;       /* of gen_client(), from the seed */
	double v6_share;
	unsigned permille[K_NKINDS];
	struct gconn *conns;
	struct heapent *heap;
	uint32_t nheap;
	uint64_t started, nconns;
	uint64_t by_kind[K_NKINDS];
};

/* splitmix64: small, fast, and every seed gives a good stream. */
static uint64_t
gen_rand(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint32_t
gen_range(struct gen *g, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(gen_rand(g) % ((uint64_t)hi - lo + 1));
}

/*
 * The k-th connection's client: 22 bits of address and 14 of port, a keyed
 * bijection of k (add, xorshift and odd multiply are each invertible modulo
 * 2^36), so no two connections of one file share a 4-tuple by accident.
 */
static uint64_t
gen_client(const struct gen *g, uint64_t k)
{
	const uint64_t m = (1ull << 36) - 1;
	uint64_t x = (k + g->key) & m;

	x ^= x >> 17;
	x = (x * 0x9e3779b97f4a7c15ull) & m;
	x ^= x >> 19;
	x = (x * 0xbf58476d1ce4e5b9ull) & m;
	x ^= x >> 17;
	return x;
}

/* Log-uniform in [lo, hi] (lo > 0): round trips span orders of magnitude. */
static uint32_t
gen_logrange(struct gen *g, uint32_t lo, uint32_t hi)
{
	double u = (double)(gen_rand(g) >> 11) / (double)(1ull << 53);

	return (uint32_t)((double)lo * exp(log((double)hi / lo) * u));
}

/* Heap order: by time, ties by slot number, so the output is reproducible. */
static int
heap_before(const struct heapent *a, const struct heapent *b)
{
	return a->t < b->t || (a->t == b->t && a->i < b->i);
}

static void
heap_push(struct gen *g, uint64_t t, uint32_t i)
{
	struct heapent e = {t, i};
	uint32_t k = g->nheap++, parent;

	while (k > 0) {
		parent = (k - 1) / 2;
		if (heap_before(&g->heap[parent], &e))
			break;
		g->heap[k] = g->heap[parent];
		k = parent;
	}
	g->heap[k] = e;
}

/* Remove the earliest entry into *top; the heap must not be empty. */
static void
heap_pop(struct gen *g, struct heapent *top)
{
	struct heapent last;
	uint32_t k = 0, child;

	*top = g->heap[0];
	last = g->heap[--g->nheap];
	for (;;) {
		child = 2 * k + 1;
		if (child >= g->nheap)
			break;
		if (child + 1 < g->nheap && heap_before(&g->heap[child + 1], &g->heap[child]))
			child++;
		if (heap_before(&last, &g->heap[child]))
			break;
		g->heap[k] = g->heap[child];
		k = child;
	}
	if (g->nheap > 0)
		g->heap[k] = last;
}

/* Payload bytes in a full segment: the MSS less the timestamp option. */
static uint32_t
gconn_mss(const struct gconn *gc)
{
	return gc->c.family == 6 ? 1428 : 1448;
}

/* Pick a kind by the configured shares. */
static enum kind
gen_kind(struct gen *g)
{
	uint32_t r = gen_range(g, 0, 999);
	int k;

	for (k = 0; k < K_NKINDS - 1; k++) {
		if (r < g->permille[k])
			return (enum kind)k;
		r -= g->permille[k];
	}
	return K_OPEN;
}

/* Give slot i a fresh connection: addresses, numbers, kind and plan. */
static void
gconn_start(struct gen *g, uint32_t i)
{
	struct gconn *gc = &g->conns[i];
	char cip[64], sip[64];
	uint64_t x = gen_client(g, g->started);
	uint32_t a = (uint32_t)(x >> 14), srv = gen_range(g, 1, BENCHGEN_NSERVERS);
	uint16_t cport = (uint16_t)(32768 + (x & 0x3fff));
	uint16_t sport = (gen_rand(g) & 3) == 0 ? 80 : 443;
	uint32_t c_isn = (uint32_t)gen_rand(g), s_isn = (uint32_t)gen_rand(g);

	if ((double)(gen_rand(g) >> 11) / (double)(1ull << 53) < g->v6_share) {
		snprintf(cip, sizeof cip, "2001:db8:c:%x:%x:%x:%x:%x",
		    (unsigned)gen_range(g, 0, 0xffff), (unsigned)gen_range(g, 0, 0xffff),
		    (unsigned)gen_range(g, 0, 0xffff), a >> 16, a & 0xffff);
		snprintf(sip, sizeof sip, "2001:db8:5::%u", srv);
	} else {
		/* Clients in 100.64.0.0/10, servers 10.0.0.1-4. */
		snprintf(cip, sizeof cip, "100.%u.%u.%u", 64 + (a >> 16 & 0x3f), a >> 8 & 0xff,
		    a & 0xff);
		snprintf(sip, sizeof sip, "10.0.0.%u", srv);
	}
	conn_init(&gc->c, &g->w, cip, cport, sip, sport, c_isn, s_isn);
	gc->kind = (uint8_t)gen_kind(g);
	gc->phase = P_SYN;
	gc->exchanges = (uint8_t)gen_range(g, 1, 2);
	gc->close_kind = (uint8_t)gen_range(g, 0, CL_NKINDS - 1);
	gc->close_step = 0;
	gc->retx = (uint8_t)gen_range(g, 1, 3);
	gc->retx_sent = 0;
	gc->rtt_us = gen_logrange(g, 200, 120000);
	g->by_kind[gc->kind]++;
	g->started++;
}

/*
 * Emit the next segment of gc at g->w.now_us. Returns the delay until its
 * next one in microseconds, or -1 when the connection is finished.
 */
static int64_t
gconn_step(struct gen *g, struct gconn *gc)
{
	struct conn *c = &gc->c;
	uint32_t n, mss = gconn_mss(gc);

	switch (gc->phase) {
	case P_SYN:
		c_syn(c);
		if (gc->kind == K_UNANSWERED) {
			gc->phase = P_SYN_RETX;
			return 1000000;
		}
		gc->phase = gc->kind == K_REFUSED ? P_REFUSE : P_SYNACK;
		return gen_range(g, 10, 40);
	case P_SYN_RETX:
		/* Linux: the same SYN again, the wait doubling from one second. */
		conn_raw(c, CONN_CLIENT, c->end[CONN_CLIENT].isn, 0, TH_SYN, 0);
		if (--gc->retx == 0)
			return -1;
		return (int64_t)1000000 << ++gc->retx_sent;
	case P_REFUSE:
		/* A closed port answers the SYN with RST+ACK, sequence zero. */
		conn_raw(c, CONN_SERVER, 0, c->end[CONN_SERVER].rcv, TH_RST | TH_ACK, 0);
		return -1;
	case P_SYNACK:
		s_synack(c);
		gc->phase = P_ACK;
		return gc->rtt_us;
	case P_ACK:
		c_ack(c);
		gc->phase = P_REQUEST;
		return gen_range(g, 2, 60);
	case P_REQUEST:
		c_data(c, gen_range(g, 60, 1200));
		gc->think_us = gen_logrange(g, 50, 200000);
		if (gc->kind == K_SRST && gc->exchanges == 1 && (gen_rand(g) & 1)) {
			/* The server gives up on the request: no response, a RST. */
			gc->phase = P_CLOSE;
			return gc->think_us;
		}
		gc->resp_left = (uint8_t)(gen_range(g, 1, 4) + ((gen_rand(g) & 3) == 0));
		gc->acks_left = gc->resp_left >= 3 ? 2 : 1;
		if (gc->think_us > BENCHGEN_DELACK_US) {
			gc->phase = P_DELACK;
			return BENCHGEN_DELACK_US;
		}
		gc->phase = P_RESPONSE;
		return gc->think_us;
	case P_DELACK:
		s_ack(c);
		gc->phase = P_RESPONSE;
		return gc->think_us - BENCHGEN_DELACK_US;
	case P_RESPONSE:
		n = gc->resp_left == 1 ? gen_range(g, 1, mss) : mss;
		s_data(c, n);
		if (--gc->resp_left == 0) {
			gc->phase = P_CLIENT_ACK;
			return gc->rtt_us;
		}
		if (gc->resp_left == 2 && gc->acks_left == 2)
			gc->mid_ack = c->end[CONN_SERVER].nxt;
		return gen_range(g, 8, 15);
	case P_CLIENT_ACK:
		if (gc->acks_left == 2) {
			conn_send_ack(c, CONN_CLIENT, TH_ACK, 0, gc->mid_ack);
			gc->acks_left = 1;
			return gen_range(g, 8, 15);
		}
		c_ack(c);
		if (--gc->exchanges > 0) {
			gc->phase = P_REQUEST;
			return gen_range(g, 1000, 400000); /* think time on a kept-alive connection */
		}
		if (gc->kind == K_OPEN)
			return -1;
		gc->phase = P_CLOSE;
		return gen_range(g, 100, 100000);
	case P_CLOSE:
		break;
	default:
		return -1;
	}

	/* P_CLOSE: aborts are one segment; FIN closes take three or four. */
	if (gc->kind == K_SRST) {
		s_rst(c);
		return -1;
	}
	if (gc->kind == K_CRST) {
		c_rst(c);
		return -1;
	}
	switch (gc->close_kind * 4 + gc->close_step++) {
	case CL_CLIENT4 * 4 + 0:
		c_fin(c);
		return gen_range(g, 10, 40);
	case CL_CLIENT4 * 4 + 1:
		s_ack(c);
		return gen_range(g, 20, 2000);
	case CL_CLIENT4 * 4 + 2:
		s_fin(c);
		return gc->rtt_us;
	case CL_CLIENT3 * 4 + 0:
		c_fin(c);
		return gen_range(g, 10, 40);
	case CL_CLIENT3 * 4 + 1:
		s_fin(c);
		return gc->rtt_us;
	case CL_CLIENT4 * 4 + 3:
	case CL_CLIENT3 * 4 + 2:
		c_ack(c);
		return -1;
	case CL_SERVER4 * 4 + 0:
		s_fin(c);
		return gc->rtt_us;
	case CL_SERVER4 * 4 + 1:
		c_ack(c);
		return gen_range(g, 20, 2000);
	case CL_SERVER4 * 4 + 2:
		c_fin(c);
		return gen_range(g, 10, 40);
	case CL_SERVER3 * 4 + 0:
		s_fin(c);
		return gc->rtt_us;
	case CL_SERVER3 * 4 + 1:
		c_fin(c);
		return gen_range(g, 10, 40);
	case CL_SERVER4 * 4 + 3:
	case CL_SERVER3 * 4 + 2:
		s_ack(c);
		return -1;
	default:
		return -1;
	}
}

/* CONNS connections, CONCURRENT at a time, each slot refilled as its connection ends. */
static int
gen_conns(struct gen *g, uint32_t conc)
{
	struct heapent top;
	int64_t d;
	uint32_t i;
	/* Spread the first starts over about a connection's lifetime. */
	uint64_t ramp_us = 2000000;

	g->conns = calloc(conc, sizeof *g->conns);
	g->heap = calloc(conc, sizeof *g->heap);
	if (g->conns == NULL || g->heap == NULL)
		return -1;
	for (i = 0; i < conc && g->started < g->nconns; i++) {
		gconn_start(g, i);
		heap_push(g, BENCHGEN_START_US + ramp_us * i / conc, i);
	}
	while (g->nheap > 0) {
		heap_pop(g, &top);
		g->w.now_us = top.t;
		d = gconn_step(g, &g->conns[top.i]);
		if (d >= 0) {
			heap_push(g, top.t + (uint64_t)d, top.i);
			continue;
		}
		if (g->started < g->nconns) {
			gconn_start(g, top.i);
			heap_push(g, top.t + gen_range(g, 1, 200), top.i);
		}
		if (g->w.err != 0)
			return -1;
	}
	return g->w.err;
}

/* The flood's real connection, step by step: the request and the response's two segments. */
static int
real_request(struct conn *c)
{
	return c_data(c, 300);
}

static int
real_response1(struct conn *c)
{
	return s_data(c, 1448);
}

static int
real_response2(struct conn *c)
{
	return s_data(c, 500);
}

static const struct real_step {
	uint32_t delay_us; /* after the previous step */
	int (*send)(struct conn *);
} real_script[] = {
	{0, c_syn}, {20, s_synack}, {1000, c_ack}, {30, real_request}, {200, real_response1},
	{12, real_response2}, {1000, c_ack}, {5000, c_fin}, {20, s_ack}, {40, s_fin}, {1000, c_ack},
};
#define REAL_STEPS (sizeof real_script / sizeof real_script[0])

/*
 * SYNS spoofed SYNs at PPS to 10.0.0.1:80 from random sources and ports,
 * with one complete connection from 198.51.100.7:40000 starting halfway
 * through: request 300 bytes, response 1448 + 500 bytes, the client closes
 * first. Client 6 segments, server 5; t_synflood.sh knows these numbers.
 */
static int
gen_flood(struct gen *g, uint64_t syns, uint32_t pps)
{
	static const uint8_t server[4] = {10, 0, 0, 1};
	struct pcapw_seg sg;
	struct conn real;
	uint8_t src[4];
	uint64_t i, t, period_ns = 1000000000ull / pps;
	uint64_t real_t = 0;
	uint32_t a;
	size_t step = 0;

	memset(&sg, 0, sizeof sg);
	sg.family = 4;
	sg.src = src;
	sg.dst = server;
	sg.dport = 80;
	sg.flags = TH_SYN;
	sg.win = 64240;
	sg.mss = 1460;
	sg.sack_ok = 1;
	sg.ts = 1;
	sg.has_wscale = 1;
	sg.wscale = 7;

	if (conn_init(&real, &g->w, "198.51.100.7", 40000, "10.0.0.1", 80, 0x1a2b3c4d,
	    0x5e6f7081) == -1)
		return -1;
	for (i = 0; i <= syns; i++) {
		t = BENCHGEN_START_US + i * period_ns / 1000;
		if (i == syns / 2)
			real_t = t;
		/* The real connection's segments due by this SYN go first; after the last SYN, all. */
		while (real_t != 0 && step < REAL_STEPS &&
		    (real_t + real_script[step].delay_us <= t || i == syns)) {
			real_t += real_script[step].delay_us;
			g->w.now_us = real_t;
			real_script[step++].send(&real);
		}
		if (i == syns)
			break;
		a = (uint32_t)gen_rand(g);
		/* Any source but the real client's. */
		if (a == 0xc6336407u)
			a++;
		src[0] = (uint8_t)(a >> 24);
		src[1] = (uint8_t)(a >> 16);
		src[2] = (uint8_t)(a >> 8);
		src[3] = (uint8_t)a;
		sg.sport = (uint16_t)gen_range(g, 1024, 65535);
		sg.seq = (uint32_t)gen_rand(g);
		sg.ts_val = (uint32_t)(t / 1000);
		sg.ip_id = (uint16_t)i;
		g->w.now_us = t;
		pcapw_seg(&g->w, &sg);
		if (g->w.err != 0)
			return -1;
	}
	g->started = syns + 1;
	return g->w.err;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: benchgen -n CONNS -c CONCURRENT -s SEED [-6 V6_SHARE] [-O OPEN_SHARE]"
	    " [-S SNAPLEN] -o FILE\n"
	    "       benchgen -F SYNS [-r PPS] -s SEED [-S SNAPLEN] -o FILE\n");
	exit(2);
}

/* A non-negative integer argument, or usage. */
static uint64_t
arg_u64(const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max || s[0] == '-') {
		fprintf(stderr, "benchgen: %s: expected an integer in %llu..%llu\n", s,
		    (unsigned long long)min, (unsigned long long)max);
		exit(2);
	}
	return v;
}

/* A share in [0, 1], or usage. */
static double
arg_share(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v >= 0 && v <= 1)) {
		fprintf(stderr, "benchgen: %s: expected a share between 0 and 1\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static struct gen g;
	const char *out = NULL;
	uint64_t nconns = 0, conc = 0, flood = 0, seed = 0, pps = BENCHGEN_FLOOD_PPS;
	uint32_t snaplen = BENCHGEN_SNAPLEN;
	double open_share = -1;
	int ch, have_seed = 0, k, rv;
	unsigned rest;

	g.v6_share = 0.1;
	while ((ch = getopt(argc, argv, "n:c:s:6:O:S:F:r:o:")) != -1) {
		switch (ch) {
		case 'n':
			nconns = arg_u64(optarg, 1, 1000000000);
			break;
		case 'c':
			conc = arg_u64(optarg, 1, 100000000);
			break;
		case 's':
			seed = arg_u64(optarg, 0, UINT64_MAX);
			have_seed = 1;
			break;
		case '6':
			g.v6_share = arg_share(optarg);
			break;
		case 'O':
			open_share = arg_share(optarg);
			break;
		case 'S':
			snaplen = (uint32_t)arg_u64(optarg, 64, 262144);
			break;
		case 'F':
			flood = arg_u64(optarg, 1, 1000000000);
			break;
		case 'r':
			pps = arg_u64(optarg, 1, 1000000000);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc != optind || out == NULL || !have_seed || (flood == 0 && (nconns == 0 || conc == 0)) ||
	    (flood != 0 && nconns != 0))
		usage();

	memcpy(g.permille, kind_permille, sizeof g.permille);
	if (open_share >= 0) {
		/* The others keep their proportions in what is left. */
		rest = 1000 - (unsigned)(open_share * 1000 + 0.5);
		for (k = 0; k < K_OPEN; k++)
			g.permille[k] = kind_permille[k] * rest / (1000 - kind_permille[K_OPEN]);
		g.permille[K_OPEN] = 1000 - rest;
	}
	g.rng = seed;
	g.key = gen_rand(&g);
	g.nconns = nconns;
	if (pcapw_open(&g.w, out, PCAPW_LINK_ETHERNET, snaplen, BENCHGEN_START_US) == -1) {
		fprintf(stderr, "benchgen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	g.w.step_us = 0;
	if (flood != 0)
		rv = gen_flood(&g, flood, (uint32_t)pps);
	else
		rv = gen_conns(&g, (uint32_t)(conc < nconns ? conc : nconns));
	if (rv == -1 && g.conns == NULL && flood == 0) {
		fprintf(stderr, "benchgen: out of memory for %llu connections\n",
		    (unsigned long long)conc);
		return 1;
	}
	if (pcapw_close(&g.w) == -1 || rv == -1) {
		fprintf(stderr, "benchgen: %s: write failed: %s\n", out, strerror(errno));
		return 1;
	}
	printf("benchgen: %llu packets, %llu connections", (unsigned long long)g.w.frames,
	    (unsigned long long)g.started);
	if (flood == 0) {
		for (k = 0; k < K_NKINDS; k++)
			printf(" %s=%llu", kind_names[k], (unsigned long long)g.by_kind[k]);
	}
	printf(", %.3f s of traffic\n", (double)(g.w.now_us - BENCHGEN_START_US) / 1e6);
	free(g.conns);
	free(g.heap);
	return 0;
}
