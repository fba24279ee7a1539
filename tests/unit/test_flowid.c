/*
 * test_flowid.c - flow ids (issue 15): with -r's id_seed 0 they are the same
 * for the same capture and differ between captures; they owe nothing to the
 * flow table's hash key; live, the nonce sets them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../testhelp.h"
#include "tracker.h"

static void
first_id_cb(const struct event *ev, void *arg)
{
	uint64_t *id = arg;

	if (*id == 0)
		*id = ev->flow_id;
}

/* The id of the first connection a tracker sees: a SYN from 10.0.0.1:port at ts. */
static uint64_t
first_id(uint64_t id_seed, uint64_t k0, uint16_t port, uint64_t ts)
{
	struct tracker_config cfg;
	struct segment seg;
	struct tracker *t;
	uint64_t id = 0;
	char err[128];

	tracker_config_default(&cfg);
	cfg.max_flows = 64;
	cfg.id_seed = id_seed;
	cfg.hash_key.k0 = k0;
	if ((t = tracker_new(&cfg, first_id_cb, &id, err, sizeof err)) == NULL)
		return 0;
	memset(&seg, 0, sizeof seg);
	seg.ts_us = ts;
	seg.saddr[0] = 10, seg.saddr[3] = 1;
	seg.daddr[0] = 10, seg.daddr[3] = 2;
	seg.family = 4;
	seg.flags = TH_SYN;
	seg.sport = port;
	seg.dport = 80;
	seg.seq = 1000;
	tracker_segment(t, &seg);
	tracker_free(t);
	return id;
}

#define SHARDS 4
#define SHARD_FLOWS 2000

struct shard_ids {
	uint64_t id[SHARDS * SHARD_FLOWS];
	size_t n;
};

static void
all_ids_cb(const struct event *ev, void *arg)
{
	struct shard_ids *s = arg;

	if (ev->type == TEV_SYN && s->n < SHARDS * SHARD_FLOWS)
		s->id[s->n++] = ev->flow_id;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * capture.workers: SHARDS trackers, one seed, each making SHARD_FLOWS
 * connections; returns how many ids were given twice, or -1.
 */
static int
shard_duplicates(uint64_t id_seed, uint32_t *max_flows)
{
	static struct shard_ids s;
	struct tracker_config cfg;
	struct segment seg;
	struct tracker *t;
	char err[128];
	unsigned k, i;
	int dup = 0;

	s.n = 0;
	for (k = 0; k < SHARDS; k++) {
		tracker_config_default(&cfg);
		cfg.max_flows = SHARDS * 4096;
		cfg.id_seed = id_seed;
		tracker_config_shard(&cfg, k, SHARDS);
		*max_flows = cfg.max_flows;
		if ((t = tracker_new(&cfg, all_ids_cb, &s, err, sizeof err)) == NULL)
			return -1;
		memset(&seg, 0, sizeof seg);
		seg.ts_us = 1;
		seg.family = 4;
		seg.saddr[0] = 10, seg.saddr[1] = (uint8_t)k;
		seg.daddr[0] = 10, seg.daddr[3] = 2;
		seg.flags = TH_SYN;
		seg.dport = 80;
		for (i = 0; i < SHARD_FLOWS; i++) {
			seg.sport = (uint16_t)(1024 + i);
			tracker_segment(t, &seg);
		}
		tracker_free(t);
	}
	qsort(s.id, s.n, sizeof(s.id[0]), cmp_u64);
	for (i = 1; i < s.n; i++)
		dup += s.id[i] == s.id[i - 1];
	return s.n == SHARDS * SHARD_FLOWS ? dup : -1;
}

int
main(void)
{
	uint64_t ts = 1718956800000000ULL;
	uint32_t max_flows = 0;

	TEST_BEGIN("-r: the same capture gives the same ids");
	CHECK(first_id(0, 1, 40000, ts) != 0);
	CHECK_EQ_U(first_id(0, 1, 40000, ts), first_id(0, 1, 40000, ts));
	TEST_END();

	TEST_BEGIN("-r: another capture gives other ids");
	CHECK(first_id(0, 1, 40000, ts) != first_id(0, 1, 40001, ts));
	CHECK(first_id(0, 1, 40000, ts) != first_id(0, 1, 40000, ts + 1));
	TEST_END();

	TEST_BEGIN("ids owe nothing to the hash key");
	CHECK_EQ_U(first_id(0, 1, 40000, ts), first_id(0, 2, 40000, ts));
	CHECK_EQ_U(first_id(7, 1, 40000, ts), first_id(7, 0xdeadbeef, 40000, ts));
	TEST_END();

	TEST_BEGIN("live: the nonce sets the ids");
	CHECK(first_id(7, 1, 40000, ts) != first_id(8, 1, 40000, ts));
	CHECK_EQ_U(first_id(7, 1, 40000, ts), first_id(7, 1, 40001, ts + 5));
	TEST_END();

	TEST_BEGIN("capture.workers: shards split max_flows and never share an id");
	CHECK_EQ_U(shard_duplicates(0x1234567887654321ULL, &max_flows), 0);
	CHECK_EQ_U(max_flows, 4096);
	CHECK_EQ_U(shard_duplicates(0xffffffffffffffffULL, &max_flows), 0);
	TEST_END();
	TEST_EXIT();
}
