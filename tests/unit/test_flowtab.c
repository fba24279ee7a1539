/*
 * test_flowtab.c - the flow table against a trivial model: random inserts,
 * lookups from both directions, removals and class moves; and what a flood
 * of colliding endpoint pairs costs, for a key the attacker knows.
 */
#include <stdint.h>
#include <string.h>

#include "../testhelp.h"
#include "flowtab.h"

#define N 1000

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/*
 * Client addresses 10.x.y.z to server 192.0.2.1:80, as many as it takes to
 * find n whose hash (under a key the attacker knows) has first bucket 0: a
 * flood aimed at one bucket. Every one is tracked, none is refused, and
 * finding any of them reads one flow, not the hundreds sharing its bucket.
 */
#define NCOLL 300
static void
test_collisions(const struct siphash_key *key)
{
	static uint8_t ca[NCOLL][16];
	uint8_t sa[16] = {192, 0, 2, 1};
	uint32_t i, n = 0, r, h, touched, most = 0, idx[NCOLL];
	struct flowtab ft;
	int side;

	TEST_BEGIN("a flood aimed at one bucket costs one flow a lookup");
	CHECK(flowtab_init(&ft, 4096, key) == 0);
	memset(ca, 0, sizeof ca);
	for (r = 1; n < NCOLL && r < (1u << 24); r++) {
		ca[n][0] = 10;
		ca[n][1] = (uint8_t)(r >> 16);
		ca[n][2] = (uint8_t)(r >> 8);
		ca[n][3] = (uint8_t)r;
		if (flowtab_bucket1(&ft, flowtab_hash(&ft, ca[n], 1024, sa, 80)) == 0)
			n++;
	}
	CHECK_EQ_U(n, NCOLL);
	for (i = 0; i < n; i++) {
		h = flowtab_hash(&ft, ca[i], 1024, sa, 80);
		idx[i] = flowtab_insert(&ft, h, 4, ca[i], 1024, sa, 80, FC_SYN);
		CHECK(idx[i] != FLOW_NONE);
	}
	for (i = 0; i < n; i++) {
		h = flowtab_hash(&ft, sa, 80, ca[i], 1024);
		CHECK(flowtab_lookup_counted(&ft, h, 4, sa, 80, ca[i], 1024, &side, &touched) ==
		      idx[i]);
		most = touched > most ? touched : most;
	}
	/* A tag (bits of the hash) matches another flow's 1 time in 2^19 here. */
	CHECK(most <= 2);
	CHECK_EQ_U(ft.refused, 0);
	flowtab_free(&ft);
	TEST_END();
}

/*
 * A hint is a guess, never an answer: the flow it names is taken only while
 * it is in use under the same key. A hint to a flow since removed, to its
 * slot since reused by another connection, or out of range finds what the
 * full lookup finds.
 */
static void
test_hints(const struct siphash_key *key)
{
	uint8_t ca[16] = {10, 0, 0, 1}, cb[16] = {10, 0, 0, 2}, sa[16] = {192, 0, 2, 1};
	uint32_t ha, hb, ia, ib;
	struct flowtab ft;
	int side = -1;

	TEST_BEGIN("a stale lookup hint finds what the lookup finds");
	CHECK(flowtab_init(&ft, 64, key) == 0);
	ha = flowtab_hash(&ft, ca, 1024, sa, 80);
	hb = flowtab_hash(&ft, cb, 1024, sa, 80);
	ia = flowtab_insert(&ft, ha, 4, ca, 1024, sa, 80, FC_SYN);
	CHECK(ia != FLOW_NONE);
	CHECK_EQ_U(flowtab_lookup_hinted(&ft, ia, ha, 4, sa, 80, ca, 1024, &side), ia);
	CHECK_EQ_U(side, 1);
	CHECK_EQ_U(flowtab_lookup_hinted(&ft, ia, ha, 6, sa, 80, ca, 1024, &side), FLOW_NONE);
	/* Same endpoints, another overlay (another hash): not this flow. */
	CHECK_EQ_U(flowtab_lookup_hinted(&ft, ia, ha ^ 1, 4, ca, 1024, sa, 80, &side), FLOW_NONE);
	flowtab_remove(&ft, ia);
	CHECK_EQ_U(flowtab_lookup_hinted(&ft, ia, ha, 4, ca, 1024, sa, 80, &side), FLOW_NONE);
	ib = flowtab_insert(&ft, hb, 4, cb, 1024, sa, 80, FC_SYN);
	CHECK_EQ_U(ib, ia); /* the slot freed last is taken first */
	CHECK_EQ_U(flowtab_lookup_hinted(&ft, ia, ha, 4, ca, 1024, sa, 80, &side), FLOW_NONE);
	CHECK_EQ_U(flowtab_lookup_hinted(&ft, FLOW_NONE, hb, 4, cb, 1024, sa, 80, &side), ib);
	CHECK_EQ_U(flowtab_lookup_hinted(&ft, 1000000, hb, 4, cb, 1024, sa, 80, &side), ib);
	CHECK_EQ_U(side, 0);
	flowtab_free(&ft);
	TEST_END();
}

/*
 * The worst case: every flow has the same hash, as if the attacker had found
 * full collisions. Both buckets and the overflow area fill, then inserts are
 * refused and counted; no lookup reads more than the slots that exist.
 */
static void
test_total_collision(const struct siphash_key *key)
{
	uint8_t ca[16] = {10}, sa[16] = {192, 0, 2, 1};
	uint32_t i, placed = 0, refused = 0, touched, most = 0;
	struct flowtab ft;
	int side;

	TEST_BEGIN("total collisions are bounded, counted and refused");
	CHECK(flowtab_init(&ft, 4096, key) == 0);
	for (i = 0; i < 1000; i++) {
		ca[2] = (uint8_t)(i >> 8);
		ca[3] = (uint8_t)i;
		if (flowtab_insert(&ft, 0x12345678, 4, ca, 1024, sa, 80, FC_SYN) != FLOW_NONE)
			placed++;
		else
			refused++;
		flowtab_lookup_counted(&ft, 0x12345678, 4, ca, 1024, sa, 80, &side, &touched);
		most = touched > most ? touched : most;
	}
	CHECK_EQ_U(placed, 2 * FLOWTAB_SLOTS + FLOWTAB_STASH);
	CHECK_EQ_U(ft.overflows, FLOWTAB_STASH);
	CHECK_EQ_U(ft.refused, refused);
	CHECK(most <= 2 * FLOWTAB_SLOTS + FLOWTAB_STASH);
	/* Removing one makes room for one again; the table stays consistent. */
	flowtab_remove(&ft, flowtab_oldest(&ft, FC_SYN));
	ca[3] = 0xee;
	CHECK(flowtab_insert(&ft, 0x12345678, 4, ca, 1024, sa, 80, FC_SYN) != FLOW_NONE);
	CHECK(flowtab_lookup(&ft, 0x12345678, 4, ca, 1024, sa, 80, &side) != FLOW_NONE);
	CHECK_EQ_U(ft.used, 2 * FLOWTAB_SLOTS + FLOWTAB_STASH);
	flowtab_free(&ft);
	TEST_END();
}

int
main(void)
{
	struct flowtab ft;
	struct siphash_key key = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	uint8_t a[N][16], b[N][16];
	uint16_t pa[N], pb[N];
	uint32_t idx[N];
	int live[N], i, side, round;

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	TEST_BEGIN("init");
	CHECK(flowtab_init(&ft, N, &key) == 0);
	flowtab_free(&ft);
	CHECK(flowtab_init(&ft, 0, &key) == -1);
	CHECK(flowtab_init(&ft, N, &key) == 0);
	TEST_END();

	/*
	 * What tcpstated.conf(5) says max_flows costs: 232 bytes a flow, and a
	 * 64-byte bucket of index per 12 flows (5.3 bytes a flow).
	 */
	TEST_BEGIN("237.3 bytes a slot, whatever the capacity");
	CHECK_EQ_U(flowtab_memory(&ft), (uint64_t)N * 232 + (N + 11) / 12 * 64);
	{
		struct flowtab big;

		CHECK(flowtab_init(&big, 1100000, &key) == 0);
		CHECK_EQ_U(flowtab_memory(&big), 1100000ULL * 232 + (1100000 + 11) / 12 * 64);
		CHECK(flowtab_memory(&big) < 1100000ULL * 238);
		flowtab_free(&big);
	}
	TEST_END();

	TEST_BEGIN("the hash is SipHash-1-3 of the pair, lesser endpoint first");
	{
		uint8_t x[16] = {10, 0, 0, 1}, y[16] = {10, 0, 0, 2}, m[36];
		uint8_t x6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
		        y6[16] = {0x20, 0x01, 0x0d, 0xb8};
		uint64_t h;

		/* IPv4: the addresses' 4 bytes each, then the ports. */
		memcpy(m, x, 4);
		memcpy(m + 4, y, 4);
		m[8] = 0x39, m[9] = 0x30;   /* 12345, little-endian */
		m[10] = 0xbb, m[11] = 0x01; /* 443 */
		h = siphash(&key, 1, 3, m, 12);
		CHECK_EQ_U(flowtab_hash(&ft, x, 12345, y, 443), (uint32_t)(h ^ h >> 32));
		CHECK_EQ_U(flowtab_hash(&ft, y, 443, x, 12345), (uint32_t)(h ^ h >> 32));
		/* IPv6: 16 bytes each; y6 is the lesser (the words compare from byte 0 up,
		 * little-endian). */
		memcpy(m, y6, 16);
		memcpy(m + 16, x6, 16);
		m[32] = 0xbb, m[33] = 0x01;
		m[34] = 0x39, m[35] = 0x30;
		h = siphash(&key, 1, 3, m, 36);
		CHECK_EQ_U(flowtab_hash(&ft, x6, 12345, y6, 443), (uint32_t)(h ^ h >> 32));
		CHECK_EQ_U(flowtab_hash(&ft, y6, 443, x6, 12345), (uint32_t)(h ^ h >> 32));
	}
	TEST_END();

	TEST_BEGIN("the overlay: SipHash-1-3 of the outer pair in either order, id, type");
	{
		struct tunnel t = {.id = 42,
		                   .type = TUN_VXLAN,
		                   .family = 4,
		                   .flags = TUNF_ID,
		                   .depth = 1,
		                   .saddr = {192, 0, 2, 1},
		                   .daddr = {192, 0, 2, 2}},
		              r = t;
		uint8_t m[39] = {
		    192, 0, 2, 1, [16] = 192, 0, 2, 2, [32] = 42, 0, 0, 0, TUN_VXLAN, 4, TUNF_ID};
		uint64_t h = siphash(&key, 1, 3, m, 39);
		uint32_t ov = flowtab_overlay(&ft, &t), x[2];
		uint8_t ca[16] = {10, 0, 0, 1}, sa[16] = {10, 0, 0, 2};
		uint32_t i1, i2;

		CHECK_EQ_U(ov, (uint32_t)(h ^ h >> 32) | 1);
		memcpy(r.saddr, t.daddr, 16);
		memcpy(r.daddr, t.saddr, 16);
		CHECK_EQ_U(flowtab_overlay(&ft, &r), ov);
		r.id = 43;
		CHECK(flowtab_overlay(&ft, &r) != ov);
		r.id = 42;
		r.type = TUN_GENEVE;
		CHECK(flowtab_overlay(&ft, &r) != ov);
		/* a GTP-U TEID is each receiver's own: both directions are one overlay */
		r.type = TUN_GTPU;
		ov = flowtab_overlay(&ft, &r);
		r.id = 7;
		CHECK_EQ_U(flowtab_overlay(&ft, &r), ov);
		CHECK(ov != 0);
		/*
		 * One inner pair in two overlays: two flows, each found from both
		 * directions under its own hash, neither under the other's.
		 */
		r.type = TUN_VXLAN;
		x[0] = flowtab_hash(&ft, ca, 1024, sa, 80) ^ flowtab_overlay(&ft, &t);
		x[1] = flowtab_hash(&ft, ca, 1024, sa, 80) ^ flowtab_overlay(&ft, &r);
		i1 = flowtab_insert(&ft, x[0], 4, ca, 1024, sa, 80, FC_SYN);
		i2 = flowtab_insert(&ft, x[1], 4, ca, 1024, sa, 80, FC_SYN);
		CHECK(i1 != FLOW_NONE && i2 != FLOW_NONE && i1 != i2);
		CHECK(flowtab_lookup(&ft, x[0], 4, sa, 80, ca, 1024, &side) == i1 && side == 1);
		CHECK(flowtab_lookup(&ft, x[1], 4, ca, 1024, sa, 80, &side) == i2 && side == 0);
		CHECK(flowtab_lookup(&ft, flowtab_hash(&ft, ca, 1024, sa, 80), 4, ca, 1024, sa, 80,
		                     &side) == FLOW_NONE);
		flowtab_remove(&ft, i1);
		CHECK(flowtab_lookup(&ft, x[0], 4, ca, 1024, sa, 80, &side) == FLOW_NONE);
		CHECK(flowtab_lookup(&ft, x[1], 4, ca, 1024, sa, 80, &side) == i2);
		flowtab_remove(&ft, i2);
		CHECK_EQ_U(ft.used, 0);
	}
	TEST_END();

	TEST_BEGIN("fill to capacity, then full");
	for (i = 0; i < N; i++) {
		uint32_t r = rnd();
		memcpy(a[i], &r, 4);
		r = rnd();
		memcpy(b[i], &r, 4);
		pa[i] = (uint16_t)(1024 + i);
		pb[i] = 443;
		idx[i] = flowtab_insert(&ft, flowtab_hash(&ft, a[i], pa[i], b[i], pb[i]), 4, a[i],
		                        pa[i], b[i], pb[i], FC_SYN);
		CHECK(idx[i] != FLOW_NONE);
		live[i] = 1;
	}
	CHECK(flowtab_insert(&ft, flowtab_hash(&ft, a[0], 1, b[0], 2), 4, a[0], 1, b[0], 2,
	                     FC_SYN) == FLOW_NONE);
	CHECK_EQ_U(ft.used, N);
	TEST_END();

	TEST_BEGIN("lookup from both directions");
	for (i = 0; i < N; i++) {
		CHECK(flowtab_lookup(&ft, flowtab_hash(&ft, a[i], pa[i], b[i], pb[i]), 4, a[i],
		                     pa[i], b[i], pb[i], &side) == idx[i] &&
		      side == 0);
		CHECK(flowtab_lookup(&ft, flowtab_hash(&ft, b[i], pb[i], a[i], pa[i]), 4, b[i],
		                     pb[i], a[i], pa[i], &side) == idx[i] &&
		      side == 1);
		CHECK(flowtab_hash(&ft, a[i], pa[i], b[i], pb[i]) ==
		      flowtab_hash(&ft, b[i], pb[i], a[i], pa[i]));
		CHECK(flowtab_lookup(&ft, flowtab_hash(&ft, a[i], pa[i], b[i], pb[i]), 6, a[i],
		                     pa[i], b[i], pb[i], &side) == FLOW_NONE);
	}
	TEST_END();

	TEST_BEGIN("random removal and reinsertion keep the table consistent");
	for (round = 0; round < 20000; round++) {
		i = (int)(rnd() % N);
		if (live[i]) {
			flowtab_remove(&ft, idx[i]);
			live[i] = 0;
		} else {
			idx[i] = flowtab_insert(&ft, flowtab_hash(&ft, a[i], pa[i], b[i], pb[i]), 4,
			                        a[i], pa[i], b[i], pb[i],
			                        (enum flow_class)(rnd() % FC_NCLASSES));
			CHECK(idx[i] != FLOW_NONE);
			live[i] = 1;
		}
		if (live[i] && rnd() % 2)
			flowtab_touch(&ft, idx[i], (enum flow_class)(rnd() % FC_NCLASSES));
	}
	for (i = 0; i < N; i++) {
		uint32_t got = flowtab_lookup(&ft, flowtab_hash(&ft, b[i], pb[i], a[i], pa[i]), 4,
		                              b[i], pb[i], a[i], pa[i], &side);
		CHECK(live[i] ? got == idx[i] : got == FLOW_NONE);
	}
	TEST_END();

	TEST_BEGIN("class lists hold exactly the live flows, oldest first");
	{
		uint32_t n = 0, c, j, prev;
		for (c = 0; c < FC_NCLASSES; c++) {
			prev = FLOW_NONE;
			for (j = ft.head[c]; j != FLOW_NONE; j = ft.flows[j].next) {
				CHECK(ft.flows[j].cls == c);
				CHECK(ft.flows[j].prev == prev);
				prev = j;
				n++;
			}
			CHECK(ft.tail[c] == prev);
		}
		CHECK_EQ_U(n, ft.used);
	}
	TEST_END();

	TEST_BEGIN("memory per flow stays under 256 bytes");
	CHECK(flowtab_memory(&ft) / N < 256);
	TEST_END();
	flowtab_free(&ft);

	test_collisions(&key);
	test_hints(&key);
	test_total_collision(&key);
	TEST_EXIT();
}
