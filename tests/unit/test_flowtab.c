/*
 * test_flowtab.c - the flow table against a trivial model: random inserts,
 * lookups from both directions, removals and class moves.
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

int
main(void)
{
	struct flowtab ft;
	uint8_t a[N][16], b[N][16];
	uint16_t pa[N], pb[N];
	uint32_t idx[N];
	int live[N], i, side, round;

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	TEST_BEGIN("init");
	CHECK(flowtab_init(&ft, N, 42) == 0);
	flowtab_free(&ft);
	CHECK(flowtab_init(&ft, 0, 42) == -1);
	CHECK(flowtab_init(&ft, N, 42) == 0);
	TEST_END();

	/* What tcpstated.conf(5) says max_flows costs: 232 bytes a flow, 4 of index. */
	TEST_BEGIN("236 bytes a slot, whatever the capacity");
	CHECK_EQ_U(flowtab_memory(&ft), (uint64_t)N * 236);
	{
		struct flowtab big;

		CHECK(flowtab_init(&big, 1100000, 1) == 0);
		CHECK_EQ_U(flowtab_memory(&big), 1100000ULL * 236);
		flowtab_free(&big);
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
	TEST_EXIT();
}
