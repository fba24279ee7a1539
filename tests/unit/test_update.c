/*
 * test_update.c - interim UPDATE records of long connections: due every
 * update interval after the first segment, on packet time, stamped with
 * their due time, never after CLOSED, made up after a short gap and not
 * after a long one, in time order across many connections; and a connection
 * kept alive by keepalives past the established timeout stays one
 * connection, with its UPDATEs in between.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testhelp.h"
#include "event.h"
#include "format.h"
#include "tracker.h"

#define SEC 1000000ULL
#define T0 (1700000000ULL * SEC)
#define MAXEV 20000

static struct event evs[MAXEV];
static size_t nevs;

static void
record_cb(const struct event *ev, void *arg)
{
	(void)arg;
	if (nevs < MAXEV)
		evs[nevs++] = *ev;
}

static struct tracker *
new_tracker(uint32_t update_s, uint32_t established_s)
{
	struct tracker_config cfg;
	char err[128];

	tracker_config_default(&cfg);
	cfg.max_flows = 4096;
	cfg.update_interval_s = update_s;
	if (established_s != 0)
		cfg.timeout_established_s = established_s;
	nevs = 0;
	return tracker_new(&cfg, record_cb, NULL, err, sizeof err);
}

/* One scripted connection: client 10.0.0.1:cport, server 10.0.0.2:80. */
struct conn {
	uint16_t cport;
	uint32_t cseq, sseq;
};

static void
send_seg(struct tracker *t, struct conn *k, int from_client, uint8_t flags, uint32_t len,
    uint64_t ts)
{
	struct segment s;
	uint8_t cip[16] = { 10, 0, 0, 1 }, sip[16] = { 10, 0, 0, 2 };
	uint32_t *mine = from_client ? &k->cseq : &k->sseq, *theirs = from_client ? &k->sseq : &k->cseq;

	memset(&s, 0, sizeof s);
	s.ts_us = ts;
	s.family = 4;
	memcpy(from_client ? s.saddr : s.daddr, cip, 16);
	memcpy(from_client ? s.daddr : s.saddr, sip, 16);
	s.sport = from_client ? k->cport : 80;
	s.dport = from_client ? 80 : k->cport;
	s.flags = flags;
	s.seq = *mine;
	s.ack = flags & TH_ACK ? *theirs : 0;
	s.len = len;
	s.win = 1000;
	tracker_segment(t, &s);
	*mine += len + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
}

static void
open_conn(struct tracker *t, struct conn *k, uint16_t cport, uint64_t ts)
{
	k->cport = cport;
	k->cseq = 1000u * cport;
	k->sseq = 7000u * cport;
	send_seg(t, k, 1, TH_SYN, 0, ts);
	send_seg(t, k, 0, TH_SYN | TH_ACK, 0, ts + 100);
	send_seg(t, k, 1, TH_ACK, 0, ts + 200);
}

static void
close_conn(struct tracker *t, struct conn *k, uint64_t ts)
{
	send_seg(t, k, 1, TH_FIN | TH_ACK, 0, ts);
	send_seg(t, k, 0, TH_FIN | TH_ACK, 0, ts + 100);
	send_seg(t, k, 1, TH_ACK, 0, ts + 200);
}

/* The UPDATE times (seconds after T0) of one client port, as "10 20 30". */
static const char *
update_times(uint16_t cport)
{
	static char buf[1024];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < nevs; i++) {
		if (evs[i].type != TEV_UPDATE || evs[i].client_port != cport)
			continue;
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%llu", len > 0 ? " " : "",
		    (unsigned long long)((evs[i].ts_us - T0) / SEC));
		if (len >= sizeof buf)
			break;
	}
	return buf;
}

static size_t
count_type(enum event_type type)
{
	size_t i, n = 0;

	for (i = 0; i < nevs; i++)
		n += evs[i].type == type;
	return n;
}

static const struct event *
find(enum event_type type, uint16_t cport, size_t nth)
{
	size_t i;

	for (i = 0; i < nevs; i++)
		if (evs[i].type == type && evs[i].client_port == cport && nth-- == 0)
			return &evs[i];
	return NULL;
}

static void
test_regular(void)
{
	struct tracker *t = new_tracker(10, 0);
	struct conn k;
	const struct event *u, *c;
	uint64_t s;

	TEST_BEGIN("update_every_interval_on_packet_time");
	open_conn(t, &k, 40000, T0);
	for (s = 3; s <= 33; s += 3)
		send_seg(t, &k, 1, TH_ACK | TH_PSH, 10, T0 + s * SEC);
	close_conn(t, &k, T0 + 35 * SEC);
	tracker_advance(t, T0 + 100 * SEC);
	CHECK_EQ_S(update_times(40000), "10 20 30");
	/* The first UPDATE carries what was sent by then: 3 segments of 10 bytes (3, 6, 9 s). */
	u = find(TEV_UPDATE, 40000, 0);
	CHECK(u != NULL);
	if (u != NULL) {
		CHECK_EQ_U(u->client.bytes, 30);
		CHECK_EQ_U(u->client.pkts, 5);
		CHECK_EQ_U(u->duration_us, 10 * SEC);
		CHECK(u->by == SIDE_NONE && u->client_state == ST_ESTABLISHED &&
		    u->server_state == ST_ESTABLISHED);
		CHECK(u->client_state_was == u->client_state && u->reason == CR_NONE);
	}
	c = find(TEV_CLOSED, 40000, 0);
	CHECK(c != NULL && c->reason == CR_FIN);
	CHECK(c != NULL && u != NULL && c->flow_id == u->flow_id);
	/* Nothing after the CLOSED record: the 40 s and later updates never come. */
	CHECK(evs[nevs - 1].type == TEV_CLOSED);
	CHECK_EQ_U(tracker_stats(t)->events[TEV_UPDATE], 3);
	TEST_END();
	tracker_free(t);

	TEST_BEGIN("update_off_when_interval_is_zero");
	t = new_tracker(0, 0);
	open_conn(t, &k, 40001, T0);
	tracker_advance(t, T0 + 5000 * SEC);
	CHECK_EQ_U(count_type(TEV_UPDATE), 0);
	TEST_END();
	tracker_free(t);

	TEST_BEGIN("update_masked_is_counted_not_emitted");
	{
		struct tracker_config cfg;
		char err[64];

		tracker_config_default(&cfg);
		cfg.max_flows = 64;
		cfg.update_interval_s = 10;
		cfg.event_mask = TEV_MASK_DEFAULT & ~TEV_BIT(TEV_UPDATE);
		nevs = 0;
		t = tracker_new(&cfg, record_cb, NULL, err, sizeof err);
		open_conn(t, &k, 40002, T0);
		tracker_advance(t, T0 + 25 * SEC);
		CHECK_EQ_U(count_type(TEV_UPDATE), 0);
		CHECK_EQ_U(tracker_stats(t)->events[TEV_UPDATE], 2);
		tracker_free(t);
	}
	TEST_END();
}

static void
test_gaps(void)
{
	struct tracker *t = new_tracker(10, 0);
	struct conn k;

	TEST_BEGIN("update_short_gap_made_up_at_due_times");
	open_conn(t, &k, 41000, T0);
	send_seg(t, &k, 1, TH_ACK | TH_PSH, 5, T0 + 45 * SEC);
	CHECK_EQ_S(update_times(41000), "10 20 30 40");
	send_seg(t, &k, 1, TH_ACK | TH_PSH, 5, T0 + 51 * SEC);
	CHECK_EQ_S(update_times(41000), "10 20 30 40 50");
	TEST_END();
	tracker_free(t);

	TEST_BEGIN("update_long_gap_one_record_then_rephased");
	t = new_tracker(10, 0);
	open_conn(t, &k, 41001, T0);
	send_seg(t, &k, 1, TH_ACK | TH_PSH, 5, T0 + 1000 * SEC);
	CHECK_EQ_S(update_times(41001), "10");
	tracker_advance(t, T0 + 1025 * SEC);
	CHECK_EQ_S(update_times(41001), "10 1010 1020");
	TEST_END();
	tracker_free(t);

	TEST_BEGIN("update_then_idle_timeout_in_time_order");
	t = new_tracker(10, 25);
	open_conn(t, &k, 41002, T0);
	tracker_advance(t, T0 + 100 * SEC);
	/* Idle 25 s after the last segment (0.2 ms): updates at 10 and 20, then CLOSED. */
	CHECK_EQ_S(update_times(41002), "10 20");
	CHECK(nevs > 0 && evs[nevs - 1].type == TEV_CLOSED && evs[nevs - 1].reason == CR_IDLE_TIMEOUT);
	TEST_END();
	tracker_free(t);
}

/*
 * Keepalive probes every 90 s (a zero-length ACK one byte below the next
 * sequence number, answered by an ACK) keep a connection whose established
 * timeout is 100 s alive for 10 minutes: one connection, one flow id, no
 * idle_timeout, an UPDATE every 60 s in between, then a clean close.
 */
static void
test_keepalive(void)
{
	struct tracker *t = new_tracker(60, 100);
	struct conn k;
	const struct event *c;
	uint64_t s, id = 0;
	size_t i, nflows = 0;
	int same = 1;

	TEST_BEGIN("keepalive_past_established_timeout_stays_one_connection");
	open_conn(t, &k, 42000, T0);
	send_seg(t, &k, 1, TH_ACK | TH_PSH, 100, T0 + SEC);
	for (s = 91; s < 600; s += 90) {
		k.cseq--;
		send_seg(t, &k, 1, TH_ACK, 0, T0 + s * SEC); /* the probe */
		k.cseq++;
		send_seg(t, &k, 0, TH_ACK, 0, T0 + s * SEC + 300); /* its answer */
	}
	close_conn(t, &k, T0 + 600 * SEC);
	tracker_advance(t, T0 + 2000 * SEC);
	CHECK_EQ_S(update_times(42000), "60 120 180 240 300 360 420 480 540 600");
	for (i = 0; i < nevs; i++) {
		if (evs[i].type == TEV_SYN)
			nflows++;
		if (id == 0)
			id = evs[i].flow_id;
		same &= evs[i].flow_id == id;
	}
	CHECK_EQ_U(nflows, 1);
	CHECK(same);
	CHECK_EQ_U(count_type(TEV_CLOSED), 1);
	c = find(TEV_CLOSED, 42000, 0);
	CHECK(c != NULL && c->reason == CR_FIN);
	CHECK(c != NULL && c->duration_us >= 600 * SEC);
	CHECK_EQ_U(tracker_stats(t)->closed[CR_IDLE_TIMEOUT], 0);
	/* Every UPDATE carries the 100 bytes of data and the connection's age. */
	for (i = 0; (c = find(TEV_UPDATE, 42000, i)) != NULL; i++) {
		CHECK_EQ_U(c->client.bytes, 100);
		CHECK_EQ_U(c->duration_us, (i + 1) * 60 * SEC);
	}
	TEST_END();
	tracker_free(t);

	/* The same without keepalives: idle_timeout, and the updates stop there. */
	TEST_BEGIN("no_keepalive_idle_timeout");
	t = new_tracker(60, 100);
	open_conn(t, &k, 42001, T0);
	send_seg(t, &k, 1, TH_ACK | TH_PSH, 100, T0 + SEC);
	tracker_advance(t, T0 + 600 * SEC);
	CHECK_EQ_S(update_times(42001), "60");
	c = find(TEV_CLOSED, 42001, 0);
	CHECK(c != NULL && c->reason == CR_IDLE_TIMEOUT);
	TEST_END();
	tracker_free(t);
}

/* A changed interval restarts every open connection's clock at the latest time seen. */
static void
test_reconfigure(void)
{
	struct tracker *t = new_tracker(10, 0);
	struct tracker_config cfg;
	struct conn k;

	TEST_BEGIN("update_interval_reload");
	open_conn(t, &k, 43000, T0);
	tracker_advance(t, T0 + 15 * SEC);
	tracker_config_default(&cfg);
	cfg.max_flows = 4096;
	cfg.update_interval_s = 30;
	CHECK(tracker_reconfigure(t, &cfg) == 0);
	tracker_advance(t, T0 + 80 * SEC);
	CHECK_EQ_S(update_times(43000), "10 45 75");
	cfg.update_interval_s = 0;
	tracker_reconfigure(t, &cfg);
	tracker_advance(t, T0 + 500 * SEC);
	CHECK_EQ_S(update_times(43000), "10 45 75");
	TEST_END();
	tracker_free(t);
}

/* test_many's records, compact: which connection, when. */
struct upd {
	uint16_t cport;
	uint64_t ts_us;
};
#define MAXUPD 400000
static struct upd upds[MAXUPD];
static size_t nupds;

static void
many_cb(const struct event *ev, void *arg)
{
	(void)arg;
	if (ev->type == TEV_UPDATE && nupds < MAXUPD) {
		upds[nupds].cport = ev->client_port;
		upds[nupds].ts_us = ev->ts_us;
		nupds++;
	}
}

/*
 * Many connections opened and closed at pseudo-random times with gaps of up
 * to 9 intervals: every connection gets exactly the UPDATEs due while it was
 * open, first + k * interval, and all of them come in time order. A list out
 * of order would hold some back.
 */
static void
test_many(void)
{
	enum { N = 300 };
	static struct conn k[N];
	static uint64_t first[N], closed_at[N];
	static size_t next[N];
	struct tracker_config cfg;
	struct tracker *t;
	uint64_t rng = 88172645463325252ULL, now = T0, prev = 0, due;
	int open[N], i, step, bad = 0, order = 1;
	size_t e;
	char err[64];

	TEST_BEGIN("update_many_connections_exact_and_ordered");
	tracker_config_default(&cfg);
	cfg.max_flows = 4096;
	cfg.update_interval_s = 7;
	t = tracker_new(&cfg, many_cb, NULL, err, sizeof err);
	memset(open, 0, sizeof open);
	for (step = 0; step < 3000; step++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		now += 1000 + (rng % 1000) * (rng % 61 == 0 ? 60000ULL : 1000ULL); /* ms, now and then a minute */
		i = (int)((rng >> 20) % N);
		if (!open[i] && closed_at[i] == 0) {
			open_conn(t, &k[i], (uint16_t)(20000 + i), now);
			first[i] = now;
			open[i] = 1;
		} else if (open[i] && (rng >> 40) % 4 == 0) {
			close_conn(t, &k[i], now);
			closed_at[i] = now + 200; /* the last ACK */
			open[i] = 0;
		} else if (open[i]) {
			send_seg(t, &k[i], (rng >> 50) & 1, TH_ACK | TH_PSH, 1, now);
		}
	}
	tracker_advance(t, now);
	CHECK(nupds < MAXUPD);
	/* In time order; and each connection's, one by one, exactly at first + k * 7 s. */
	for (e = 0; e < nupds; e++) {
		order &= upds[e].ts_us >= prev;
		prev = upds[e].ts_us;
		i = upds[e].cport - 20000;
		if (i < 0 || i >= N || first[i] == 0) {
			bad++;
			continue;
		}
		due = first[i] + (++next[i]) * 7 * SEC;
		if (upds[e].ts_us != due || due > (open[i] ? now : closed_at[i])) {
			if (bad < 3)
				printf("  conn %d: update %zu at %llu, want %llu\n", i, next[i],
				    (unsigned long long)(upds[e].ts_us - T0), (unsigned long long)(due - T0));
			bad++;
		}
	}
	/* None missing: the next one would have been due after the end. */
	for (i = 0; i < N; i++)
		if (first[i] != 0 && first[i] + (next[i] + 1) * 7 * SEC <= (open[i] ? now : closed_at[i]))
			bad++;
	CHECK_EQ_U(bad, 0);
	CHECK(order);
	CHECK(nupds > 1000);
	TEST_END();
	tracker_free(t);
}

/*
 * After a jump of time longer than the catch-up, connections of every phase
 * get one record at their first missed time and from then on all share the
 * jump's phase; stepping on one second at a time, none is late.
 */
static void
test_long_jump_phases(void)
{
	enum { N = 50 };
	static struct conn k[N];
	struct tracker_config cfg;
	struct tracker *t;
	uint64_t jump = T0 + 175 * SEC, s; /* 16.5 intervals after the first due, 15.5 after the last */
	size_t e, n[N];
	int i, bad = 0;
	char err[64];

	TEST_BEGIN("update_long_jump_keeps_every_phase_on_time");
	tracker_config_default(&cfg);
	cfg.max_flows = 256;
	cfg.update_interval_s = 10;
	nupds = 0;
	t = tracker_new(&cfg, many_cb, NULL, err, sizeof err);
	for (i = 0; i < N; i++) /* phases 0.0 .. 9.8 s */
		open_conn(t, &k[i], (uint16_t)(30000 + i), T0 + (uint64_t)i * 200000);
	tracker_advance(t, jump);
	CHECK_EQ_U(nupds, N); /* one each, at its first due time */
	for (e = 0; e < nupds; e++)
		bad += upds[e].ts_us != T0 + (uint64_t)(upds[e].cport - 30000) * 200000 + 10 * SEC;
	for (s = 1; s <= 35; s++)
		tracker_advance(t, jump + s * SEC);
	memset(n, 0, sizeof n);
	for (e = N; e < nupds; e++) {
		i = upds[e].cport - 30000;
		n[i]++;
		bad += upds[e].ts_us != jump + n[i] * 10 * SEC;
	}
	for (i = 0; i < N; i++)
		bad += n[i] != 3;
	CHECK_EQ_U(bad, 0);
	TEST_END();
	tracker_free(t);
}

static int
snap_cb(const struct event *snap, void *arg)
{
	(void)arg;
	record_cb(snap, NULL);
	return 0;
}

/*
 * The live view's snapshot: UPDATE-shaped with the age for an open
 * connection, CLOSED-shaped for one reported closed and only remembered.
 */
static void
test_snapshot(void)
{
	struct tracker *t = new_tracker(0, 0);
	struct conn a, b;
	const struct event *u, *c;

	TEST_BEGIN("snapshot_open_update_shaped_closed_closed_shaped");
	open_conn(t, &a, 44000, T0);
	open_conn(t, &b, 44001, T0 + SEC);
	close_conn(t, &b, T0 + 2 * SEC);
	nevs = 0;
	tracker_foreach(t, T0 + 42 * SEC, snap_cb, NULL);
	CHECK_EQ_U(nevs, 2);
	u = find(TEV_UPDATE, 44000, 0);
	c = find(TEV_CLOSED, 44001, 0);
	CHECK(u != NULL && u->duration_us == 42 * SEC && u->client_state == ST_ESTABLISHED);
	CHECK(c != NULL && c->reason == CR_NONE && c->client_state == ST_TIME_WAIT);
	/* The age of both is now minus the first segment; the closed one keeps its duration. */
	CHECK(u != NULL && u->start_us == T0);
	CHECK(c != NULL && c->start_us == T0 + SEC && c->duration_us == SEC + 200);
	TEST_END();
	tracker_free(t);
}

/* The UPDATE record in each form: the counters and the age so far, by nobody. */
static void
test_format(void)
{
	struct tracker *t = new_tracker(10, 0);
	struct conn k;
	const struct event *u;
	char buf[1024];

	TEST_BEGIN("update_record_formats");
	open_conn(t, &k, 45000, T0);
	send_seg(t, &k, 1, TH_ACK | TH_PSH, 3, T0 + SEC);
	tracker_advance(t, T0 + 10 * SEC);
	u = find(TEV_UPDATE, 45000, 0);
	CHECK(u != NULL);
	if (u != NULL) {
		format_event(FMT_JSON, u, buf, sizeof buf);
		CHECK(strstr(buf, "{\"ts\":\"2023-11-14T22:13:30.000000Z\",\"event\":\"UPDATE\",") == buf);
		CHECK(strstr(buf, "\"by\":\"none\",\"client_ip\":\"10.0.0.1\",\"client_port\":45000,"
		    "\"server_ip\":\"10.0.0.2\",\"server_port\":80,\"client_state\":\"ESTABLISHED\","
		    "\"server_state\":\"ESTABLISHED\",\"duration\":10.000000,\"client_bytes\":3,"
		    "\"server_bytes\":0,\"client_pkts\":3,\"server_pkts\":1,\"partial\":false}\n") != NULL);
		format_event(FMT_TEXT, u, buf, sizeof buf);
		CHECK(strstr(buf, " UPDATE      10.0.0.1:45000 - 10.0.0.2:80  client ESTABLISHED  "
		    "server ESTABLISHED  duration=10.0s client 3B/3p server 0B/1p\n") != NULL);
		format_event(FMT_KV, u, buf, sizeof buf);
		CHECK(strstr(buf, " event=UPDATE ") != NULL && strstr(buf, " duration=10.000000 ") != NULL);
		CHECK_EQ_S(event_type_name(TEV_UPDATE), "UPDATE");
		CHECK_EQ_U(event_type_from_name("UPDATE"), TEV_UPDATE);
		CHECK(TEV_MASK_DEFAULT & TEV_BIT(TEV_UPDATE));
		CHECK(!(TEV_MASK_DEFAULT & TEV_BIT(TEV_SEGMENT)));
	}
	TEST_END();
	tracker_free(t);
}

int
main(void)
{
	test_regular();
	test_gaps();
	test_keepalive();
	test_reconfigure();
	test_many();
	test_long_jump_phases();
	test_snapshot();
	test_format();
	TEST_EXIT();
}
