/*
 * benchcollide.c - what a flood of endpoint pairs aimed at one place of the
 * flow table costs, beside a flood of random pairs: for the table as it was
 * before issue 15 (a multiply-mix hash under a key -r always derived from
 * seed 0, chains through the flows) and for flowtab now (SipHash-1-3, the
 * bounded two-choice index), both driven the same way, and for the whole
 * tracker now. ns per packet, the best of RUNS runs.
 *
 *   benchcollide [-n PAIRS] [-m MAX_FLOWS] [-p PASSES] [-r RUNS]
 *
 * Each flood is PAIRS SYNs from 10.x.y.z:p to 192.0.2.1:80, sent PASSES
 * times over (retransmissions find the flow already there). The aimed pairs
 * are found by trying addresses until PAIRS fall in bucket 0: of the old
 * table for the old flood, and of the new index under the key the tool sets
 * (an attacker who knows the key, which the daemon's never leaves) for the
 * new one. Finding them is the attack; its time is printed too.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flowtab.h"
#include "tracker.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------ the old table, for comparison */

struct oldflow {
	uint8_t ip[2][16];
	uint16_t port[2];
	uint32_t hnext;
};

struct oldtab {
	struct oldflow *flows;
	uint32_t *bucket;
	uint32_t n, used, oldest;
	uint64_t key0, key1;
};

static uint64_t
old_mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static uint64_t
old_mum(uint64_t a, uint64_t b)
{
	__extension__ unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The old flowtab_hash(): each endpoint mixed alone, summed. */
static uint32_t
old_hash(const struct oldtab *o, const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
	uint64_t a0, a1, b0, b1, ha, hb;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	ha = old_mum(a0 ^ o->key0, a1 ^ o->key1 ^ ap);
	hb = old_mum(b0 ^ o->key0, b1 ^ o->key1 ^ bp);
	return (uint32_t)old_mum(ha + hb, o->key0 ^ 0x9e3779b97f4a7c15ULL);
}

static uint32_t
old_bucket(const struct oldtab *o, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * o->n) >> 32);
}

static void
old_init(struct oldtab *o, uint32_t n)
{
	o->flows = calloc(n, sizeof *o->flows);
	o->bucket = malloc((size_t)n * sizeof *o->bucket);
	if (o->flows == NULL || o->bucket == NULL) {
		fprintf(stderr, "benchcollide: out of memory\n");
		exit(1);
	}
	memset(o->bucket, 0xff, (size_t)n * sizeof *o->bucket);
	o->n = n;
	o->used = o->oldest = 0;
	o->key0 = old_mix(0 ^ 0x6a09e667f3bcc908ULL); /* -r's seed 0 */
	o->key1 = old_mix(0 ^ 0xbb67ae8584caa73bULL);
}

static void
old_free(struct oldtab *o)
{
	free(o->flows);
	free(o->bucket);
}

/* One SYN: look the pair up along its chain; if new, take the next slot (evicting it first). */
static void
old_packet(struct oldtab *o, const uint8_t *ca, uint16_t cp, const uint8_t *sa, uint16_t sp)
{
	uint32_t h = old_hash(o, ca, cp, sa, sp), i, *pp;
	struct oldflow *f;

	for (i = o->bucket[old_bucket(o, h)]; i != FLOW_NONE; i = f->hnext) {
		f = &o->flows[i];
		if (f->port[0] == cp && f->port[1] == sp && memcmp(f->ip[0], ca, 16) == 0 &&
		    memcmp(f->ip[1], sa, 16) == 0)
			return;
	}
	i = o->oldest;
	o->oldest = (o->oldest + 1) % o->n;
	f = &o->flows[i];
	if (o->used == o->n) {
		pp = &o->bucket[old_bucket(
		    o, old_hash(o, f->ip[0], f->port[0], f->ip[1], f->port[1]))];
		while (*pp != i)
			pp = &o->flows[*pp].hnext;
		*pp = f->hnext;
	} else
		o->used++;
	memcpy(f->ip[0], ca, 16);
	memcpy(f->ip[1], sa, 16);
	f->port[0] = cp;
	f->port[1] = sp;
	h = old_bucket(o, h);
	f->hnext = o->bucket[h];
	o->bucket[h] = i;
}

/* ------------------------------------------------ the floods */

static const uint8_t server[16] = {192, 0, 2, 1};

/* Pair r: client 10.x.y.z from its low 24 bits, port 1024 + the rest. */
static uint16_t
client_of(uint64_t r, uint8_t *ca)
{
	memset(ca, 0, 16);
	ca[0] = 10;
	ca[1] = (uint8_t)(r >> 16);
	ca[2] = (uint8_t)(r >> 8);
	ca[3] = (uint8_t)r;
	return (uint16_t)(1024 + (r >> 24));
}

/* Counters 1, 2, ... whose client address's bucket (old or new) is 0; n of them. */
static void
aim(uint64_t *out, uint32_t n, const struct oldtab *o, const struct flowtab *ft)
{
	uint8_t ca[16];
	uint64_t r;
	uint32_t k = 0, h;
	uint16_t cp;

	for (r = 1; k < n && r < (1ULL << 40); r++) {
		cp = client_of(r, ca);
		if (o != NULL) {
			h = old_hash(o, ca, cp, server, 80);
			if (old_bucket(o, h) == 0)
				out[k++] = r;
		} else if (flowtab_bucket1(ft, flowtab_hash(ft, ca, cp, server, 80)) == 0)
			out[k++] = r;
	}
	if (k < n) {
		fprintf(stderr, "benchcollide: found only %u aimed pairs\n", k);
		exit(1);
	}
}

static void
random_pairs(uint64_t *out, uint32_t n)
{
	uint64_t s = 88172645463325252ULL;
	uint32_t k;

	for (k = 0; k < n; k++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		out[k] = s & 0xffffffffffULL;
	}
}

static double
run_old(const uint64_t *r, uint32_t n, uint32_t max_flows, int passes)
{
	struct oldtab o;
	uint8_t ca[16];
	uint16_t cp;
	double t;
	uint32_t k;
	int p;

	old_init(&o, max_flows);
	t = now_s();
	for (p = 0; p < passes; p++)
		for (k = 0; k < n; k++) {
			cp = client_of(r[k], ca);
			old_packet(&o, ca, cp, server, 80);
		}
	t = now_s() - t;
	old_free(&o);
	return t;
}

/* The same driver on flowtab: look up, else insert (evicting the oldest SYN when full). */
static double
run_new(const uint64_t *r, uint32_t n, uint32_t max_flows, int passes,
        const struct siphash_key *key, uint64_t *overflows)
{
	struct flowtab ft;
	uint8_t ca[16];
	uint32_t k, h;
	uint16_t cp;
	double t;
	int p, side;

	if (flowtab_init(&ft, max_flows, key) == -1) {
		fprintf(stderr, "benchcollide: out of memory\n");
		exit(1);
	}
	t = now_s();
	for (p = 0; p < passes; p++)
		for (k = 0; k < n; k++) {
			cp = client_of(r[k], ca);
			h = flowtab_hash(&ft, ca, cp, server, 80);
			if (flowtab_lookup(&ft, h, 4, ca, cp, server, 80, &side) != FLOW_NONE)
				continue;
			if (ft.used == ft.capacity)
				flowtab_remove(&ft, flowtab_oldest(&ft, FC_SYN));
			flowtab_insert(&ft, h, 4, ca, cp, server, 80, FC_SYN);
		}
	t = now_s() - t;
	*overflows = ft.overflows + ft.refused;
	flowtab_free(&ft);
	return t;
}

static void
count_cb(const struct event *ev, void *arg)
{
	(*(uint64_t *)arg)++;
}

/* The whole tracker, fed the SYNs in batches as tcpstated does. */
static double
run_tracker(const uint64_t *r, uint32_t n, uint32_t max_flows, int passes,
            const struct siphash_key *key)
{
	static struct segment seg[256];
	struct tracker_config cfg;
	struct tracker *t;
	uint64_t events = 0, ts = 1700000000000000ULL;
	char err[256];
	uint32_t k, b = 0;
	double s;
	int p;

	tracker_config_default(&cfg);
	cfg.max_flows = max_flows;
	cfg.hash_key = *key;
	if ((t = tracker_new(&cfg, count_cb, &events, err, sizeof err)) == NULL) {
		fprintf(stderr, "benchcollide: %s\n", err);
		exit(1);
	}
	s = now_s();
	for (p = 0; p < passes; p++)
		for (k = 0; k < n; k++) {
			memset(&seg[b], 0, sizeof seg[b]);
			seg[b].sport = client_of(r[k], seg[b].saddr);
			memcpy(seg[b].daddr, server, 16);
			seg[b].family = 4;
			seg[b].flags = TH_SYN;
			seg[b].dport = 80;
			seg[b].seq = (uint32_t)r[k] * 2654435761u;
			seg[b].ts_us = ts += 25; /* 40k packets/s */
			if (++b == 256) {
				tracker_segments(t, seg, b);
				b = 0;
			}
		}
	tracker_segments(t, seg, b);
	s = now_s() - s;
	tracker_free(t);
	return s;
}

int
main(int argc, char **argv)
{
	struct siphash_key key = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
	uint32_t n = 2000, max_flows = 100000;
	uint64_t *rnd, *aim_old, *aim_new;
	struct oldtab o;
	struct flowtab ft;
	int ch, passes = 4, runs = 3, i, v;
	double t_aim_old, t_aim_new, best[7], s;
	uint64_t ovf[3] = {0, 0, 0};

	while ((ch = getopt(argc, argv, "n:m:p:r:")) != -1) {
		v = atoi(optarg);
		if (v <= 0) {
			fprintf(stderr, "usage: benchcollide [-n PAIRS] [-m MAX_FLOWS] [-p PASSES] "
			                "[-r RUNS]\n");
			return 2;
		}
		if (ch == 'n')
			n = (uint32_t)v;
		else if (ch == 'm')
			max_flows = (uint32_t)v;
		else if (ch == 'p')
			passes = v;
		else if (ch == 'r')
			runs = v;
		else
			return 2;
	}
	rnd = malloc(n * sizeof *rnd);
	aim_old = malloc(n * sizeof *aim_old);
	aim_new = malloc(n * sizeof *aim_new);
	if (rnd == NULL || aim_old == NULL || aim_new == NULL)
		return 1;
	/*
	 * Tables freed stay in the heap and are reused: the timed runs after the
	 * first (a warm-up, not counted) measure hashing and probing, not the
	 * kernel's page faults on a fresh table.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	random_pairs(rnd, n);
	old_init(&o, max_flows);
	t_aim_old = now_s();
	aim(aim_old, n, &o, NULL);
	t_aim_old = now_s() - t_aim_old;
	old_free(&o);
	if (flowtab_init(&ft, max_flows, &key) == -1)
		return 1;
	t_aim_new = now_s();
	aim(aim_new, n, NULL, &ft);
	t_aim_new = now_s() - t_aim_new;
	flowtab_free(&ft);

	/* Interleaved, so that the machine's mood weighs on every column alike. */
	for (i = -1; i < runs; i++) {
		double r7[7];

		r7[0] = run_old(rnd, n, max_flows, passes);
		r7[1] = run_old(aim_old, n, max_flows, passes);
		r7[2] = run_new(rnd, n, max_flows, passes, &key, &ovf[0]);
		r7[3] = run_new(aim_old, n, max_flows, passes, &key, &ovf[1]);
		r7[4] = run_new(aim_new, n, max_flows, passes, &key, &ovf[2]);
		r7[5] = run_tracker(rnd, n, max_flows, passes, &key);
		r7[6] = run_tracker(aim_new, n, max_flows, passes, &key);
		for (v = 0; v < 7 && i >= 0; v++)
			if (i == 0 || r7[v] < best[v])
				best[v] = r7[v];
	}
	s = 1e9 / ((double)n * passes);
	printf("pairs %u, passes %d, max_flows %u, best of %d; aimed pairs found in %.2f s (old), "
	       "%.2f s (new, known key)\n",
	       n, passes, max_flows, runs, t_aim_old, t_aim_new);
	printf("table                 flood                       ns/packet  vs random\n");
	printf("old (mix, chains)     random                      %9.1f\n", best[0] * s);
	printf("old (mix, chains)     aimed at old bucket 0       %9.1f  %8.1fx\n", best[1] * s,
	       best[1] / best[0]);
	printf("new (SipHash, index)  random                      %9.1f\n", best[2] * s);
	printf("new (SipHash, index)  aimed at old bucket 0       %9.1f  %8.1fx\n", best[3] * s,
	       best[3] / best[2]);
	printf("new (SipHash, index)  aimed at new bucket 0 (*)   %9.1f  %8.1fx  overflows %llu\n",
	       best[4] * s, best[4] / best[2], (unsigned long long)ovf[2]);
	printf("new, whole tracker    random                      %9.1f\n", best[5] * s);
	printf("new, whole tracker    aimed at new bucket 0 (*)   %9.1f  %8.1fx\n", best[6] * s,
	       best[6] / best[5]);
	printf("(*) with the key, which the daemon draws from getrandom() and never shows\n");
	/* For tests/bench.sh. */
	{
		static const char *const keys[7] = {"old_random_ns",       "old_aimed_ns",
		                                    "new_random_ns",       "new_aimed_old_ns",
		                                    "new_aimed_new_ns",    "tracker_random_ns",
		                                    "tracker_aimed_new_ns"};

		for (v = 0; v < 7; v++)
			printf("key %s %.1f\n", keys[v], best[v] * s);
		printf("key aim_old_seconds %.2f\nkey aim_new_seconds %.2f\n", t_aim_old,
		       t_aim_new);
	}
	free(rnd);
	free(aim_old);
	free(aim_new);
	return 0;
}
