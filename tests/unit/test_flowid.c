/*
 * test_flowid.c - flow ids (issue 15): with -r's id_seed 0 they are the same
 * for the same capture and differ between captures; they owe nothing to the
 * flow table's hash key; live, the nonce sets them.
 */
#include <stdint.h>
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

int
main(void)
{
	uint64_t ts = 1718956800000000ULL;

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
	TEST_EXIT();
}
