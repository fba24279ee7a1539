/*
 * test_stats.c - the per-port counters against a known mix of connections
 * run through a real tracker: handshakes and their times, closes by reason
 * (resets split by side), which ports get a row and which go to "other",
 * rows that add up to the total, the endpoints in each state now, and the
 * STATS record made from them.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testhelp.h"
#include "event.h"
#include "format.h"
#include "report.h"
#include "stats.h"
#include "tracker.h"

#define SEC 1000000ULL
#define MS 1000ULL
#define T0 (1700000000ULL * SEC)

static struct stats st;
static struct tracker *tr;

static void
feed_cb(const struct event *ev, void *arg)
{
	(void)arg;
	stats_event(&st, ev);
}

struct conn {
	uint8_t cip[16];
	uint16_t cport, sport;
	uint32_t cseq, sseq;
};

static void
send_seg(struct conn *k, int from_client, uint8_t flags, uint32_t len, uint64_t ts)
{
	struct segment s;
	uint8_t sip[16] = {10, 0, 0, 2};
	uint32_t *mine = from_client ? &k->cseq : &k->sseq,
	         *theirs = from_client ? &k->sseq : &k->cseq;

	memset(&s, 0, sizeof s);
	s.ts_us = ts;
	s.family = 4;
	memcpy(from_client ? s.saddr : s.daddr, k->cip, 16);
	memcpy(from_client ? s.daddr : s.saddr, sip, 16);
	s.sport = from_client ? k->cport : k->sport;
	s.dport = from_client ? k->sport : k->cport;
	s.flags = flags;
	s.seq = *mine;
	s.ack = flags & TH_ACK ? *theirs : 0;
	s.len = len;
	s.win = 1000;
	tracker_segment(tr, &s);
	*mine += len + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
}

static void
conn_init(struct conn *k, uint8_t client, uint16_t cport, uint16_t sport)
{
	memset(k, 0, sizeof *k);
	k->cip[0] = 10;
	k->cip[3] = client;
	k->cport = cport;
	k->sport = sport;
	k->cseq = 1000u * cport;
	k->sseq = 3000u * cport + sport;
}

/* SYN at ts, SYN-ACK after synack_us, the completing ACK after ack_us more. */
static void
handshake(struct conn *k, uint64_t ts, uint64_t synack_us, uint64_t ack_us)
{
	send_seg(k, 1, TH_SYN, 0, ts);
	send_seg(k, 0, TH_SYN | TH_ACK, 0, ts + synack_us);
	send_seg(k, 1, TH_ACK, 0, ts + synack_us + ack_us);
}

static void
fin_close(struct conn *k, uint64_t ts)
{
	send_seg(k, 1, TH_FIN | TH_ACK, 0, ts);
	send_seg(k, 0, TH_FIN | TH_ACK, 0, ts + 100);
	send_seg(k, 1, TH_ACK, 0, ts + 200);
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
rows_add_up(void)
{
	struct stats_row sum;
	int r, c, side, b;

	memset(&sum, 0, sizeof sum);
	for (r = 0; r < STATS_ROWS; r++) {
		sum.opened += st.row[r].opened;
		sum.hs_count += st.row[r].hs_count;
		sum.hs_sum_us += st.row[r].hs_sum_us;
		for (c = 0; c < CR_NREASONS; c++)
			for (side = 0; side < STATS_CLOSE_SIDES; side++)
				sum.closed[c][side] += st.row[r].closed[c][side];
		for (b = 0; b <= STATS_HS_BUCKETS; b++)
			sum.hs[b] += st.row[r].hs[b];
	}
	return memcmp(&sum, &st.total, sizeof sum) == 0;
}

int
main(void)
{
	struct tracker_config cfg;
	struct stats_endpoints ep;
	struct conn k, half, est, tw;
	char err[128], buf[2048];
	const struct stats_row *r80, *r5432, *other;
	uint64_t t = T0;
	int i, row;

	stats_init(&st);
	tracker_config_default(&cfg);
	cfg.max_flows = 1024;
	tr = tracker_new(&cfg, feed_cb, NULL, err, sizeof err);

	TEST_BEGIN("stats_pin");
	CHECK_EQ_U(stats_pin(&st, 5432), 0);
	CHECK_EQ_U(stats_pin(&st, 5432), 0); /* again: the same row */
	CHECK_EQ_U(stats_row_of(&st, 5432), 0);
	CHECK_EQ_U(stats_row_of(&st, 80), STATS_OTHER);
	CHECK_EQ_S(stats_close_name(CR_RST, SIDE_SERVER), "rst_server");
	CHECK_EQ_S(stats_close_name(CR_REFUSED, 0), "refused");
	CHECK_EQ_S(stats_close_name(CR_REFUSED, SIDE_SERVER), "?");
	CHECK_EQ_S(stats_close_name(CR_NONE, 0), "?");
	CHECK_EQ_S(stats_close_name(CR_NREASONS, 0), "?");
	TEST_END();

	/*
	 * Port 80: handshakes of 0.3 ms, 2 ms, 40 ms and 3.2 s (a SYN
	 * retransmitted after 3 s: the time runs from the first SYN), all closed
	 * cleanly; then one reset by the client and one by the server.
	 */
	conn_init(&k, 1, 40001, 80);
	handshake(&k, t, 100, 200);
	fin_close(&k, t + 10 * MS);
	conn_init(&k, 1, 40002, 80);
	handshake(&k, t + 20 * MS, 1500, 500);
	fin_close(&k, t + 30 * MS);
	conn_init(&k, 2, 40003, 80);
	handshake(&k, t + 40 * MS, 39 * MS, MS);
	fin_close(&k, t + 100 * MS);
	conn_init(&k, 2, 40004, 80);
	send_seg(&k, 1, TH_SYN, 0, t + SEC);
	k.cseq--;
	send_seg(&k, 1, TH_SYN, 0, t + 4 * SEC); /* the retransmission */
	send_seg(&k, 0, TH_SYN | TH_ACK, 0, t + 4 * SEC + 100 * MS);
	send_seg(&k, 1, TH_ACK, 0, t + 4 * SEC + 200 * MS);
	fin_close(&k, t + 5 * SEC);
	conn_init(&k, 3, 40005, 80);
	handshake(&k, t + 6 * SEC, 100, 100);
	send_seg(&k, 1, TH_RST | TH_ACK, 0, t + 6 * SEC + MS);
	conn_init(&k, 3, 40006, 80);
	handshake(&k, t + 7 * SEC, 100, 100);
	send_seg(&k, 0, TH_RST | TH_ACK, 0, t + 7 * SEC + MS);

	/* Port 5432 (pinned, never answering): two refusals. */
	for (i = 0; i < 2; i++) {
		conn_init(&k, 4, (uint16_t)(41000 + i), 5432);
		send_seg(&k, 1, TH_SYN, 0, t + 8 * SEC);
		send_seg(&k, 0, TH_RST | TH_ACK, 0, t + 8 * SEC + 100);
	}
	/* Port 9999 (not pinned, never answering): refused twice, one handshake timeout. */
	for (i = 0; i < 2; i++) {
		conn_init(&k, 5, (uint16_t)(42000 + i), 9999);
		send_seg(&k, 1, TH_SYN, 0, t + 9 * SEC);
		send_seg(&k, 0, TH_RST | TH_ACK, 0, t + 9 * SEC + 100);
	}
	conn_init(&k, 5, 42002, 9999);
	send_seg(&k, 1, TH_SYN, 0, t + 9 * SEC);
	tracker_advance(tr, t + 50 * SEC);
	/* Port 443 picked up mid-stream, then reset: a close, but no handshake. */
	conn_init(&k, 6, 43000, 443);
	send_seg(&k, 1, TH_ACK | TH_PSH, 10, t + 51 * SEC);
	send_seg(&k, 0, TH_ACK | TH_RST, 0, t + 51 * SEC + 100);
	t += 52 * SEC;

	/* Still open at the end: one established, one half-closed, one in TIME_WAIT. */
	conn_init(&est, 7, 44000, 80);
	handshake(&est, t, 100, 100);
	conn_init(&half, 7, 44001, 80);
	handshake(&half, t, 100, 100);
	send_seg(&half, 1, TH_FIN | TH_ACK, 0, t + MS);
	send_seg(&half, 0, TH_ACK, 0, t + 2 * MS);
	conn_init(&tw, 7, 44002, 5432);
	handshake(&tw, t, 100, 100);
	fin_close(&tw, t + MS);

	r80 = &st.row[stats_row_of(&st, 80)];
	r5432 = &st.row[stats_row_of(&st, 5432)];
	other = &st.row[STATS_OTHER];

	TEST_BEGIN("stats_rows_claimed_by_answers");
	CHECK(stats_row_of(&st, 80) != STATS_OTHER);
	CHECK_EQ_U(stats_row_of(&st, 9999), STATS_OTHER);
	CHECK_EQ_U(stats_row_of(&st, 443), STATS_OTHER);
	CHECK_EQ_U(st.nrows, 2);
	TEST_END();

	TEST_BEGIN("stats_port80_counts");
	CHECK_EQ_U(r80->opened, 8);
	CHECK_EQ_U(r80->closed[CR_FIN][0], 4);
	CHECK_EQ_U(r80->closed[CR_RST][SIDE_CLIENT], 1);
	CHECK_EQ_U(r80->closed[CR_RST][SIDE_SERVER], 1);
	CHECK_EQ_U(r80->closed[CR_REFUSED][0], 0);
	TEST_END();

	TEST_BEGIN("stats_handshake_histogram");
	/* 0.3 ms, 2 ms, 40 ms, 3.2 s, then four of 0.2 ms. */
	CHECK_EQ_U(r80->hs_count, 8);
	CHECK_EQ_U(r80->hs[0], 5);  /* <= 0.5 ms */
	CHECK_EQ_U(r80->hs[2], 1);  /* <= 2.5 ms */
	CHECK_EQ_U(r80->hs[6], 1);  /* <= 50 ms */
	CHECK_EQ_U(r80->hs[12], 1); /* <= 5 s */
	CHECK_EQ_U(r80->hs[STATS_HS_BUCKETS], 0);
	CHECK_EQ_U(r80->hs_sum_us, 300 + 2000 + 40000 + 3200000 + 4 * 200);
	TEST_END();

	TEST_BEGIN("stats_refused_pinned_and_other");
	CHECK_EQ_U(r5432->closed[CR_REFUSED][0], 2);
	CHECK_EQ_U(r5432->opened, 1);
	CHECK_EQ_U(other->closed[CR_REFUSED][0], 2);
	CHECK_EQ_U(other->closed[CR_SYN_TIMEOUT][0], 1);
	CHECK_EQ_U(other->closed[CR_RST][SIDE_SERVER], 1); /* the mid-stream 443 */
	CHECK_EQ_U(other->opened, 0);
	TEST_END();

	TEST_BEGIN("stats_rows_add_up_to_total");
	CHECK(rows_add_up());
	CHECK_EQ_U(st.total.opened, 9);
	CHECK_EQ_U(st.attempts, 14); /* the retransmitted SYN is one attempt */
	TEST_END();

	TEST_BEGIN("stats_endpoints_now");
	stats_endpoints(&st, tr, t + SEC, &ep);
	row = stats_row_of(&st, 80);
	CHECK_EQ_U(ep.row[row][ST_ESTABLISHED], 2);
	CHECK_EQ_U(ep.row[row][ST_FIN_WAIT_2], 1);
	CHECK_EQ_U(ep.row[row][ST_CLOSE_WAIT], 1);
	CHECK_EQ_U(ep.row[stats_row_of(&st, 5432)][ST_TIME_WAIT], 1);
	/* The clean closes of port 80 left their clients in TIME_WAIT, remembered 60 s: four. */
	CHECK_EQ_U(ep.row[row][ST_TIME_WAIT], 4);
	CHECK_EQ_U(ep.total[ST_TIME_WAIT], 5);
	CHECK_EQ_U(ep.total[ST_ESTABLISHED], 2);
	CHECK_EQ_U(ep.total[ST_CLOSED], 0);
	CHECK_EQ_U(ep.total[ST_SYN_SENT], 0); /* the timed-out SYN is remembered, not counted */
	TEST_END();

	TEST_BEGIN("stats_rows_bounded");
	for (i = 0; i < 200; i++) {
		conn_init(&k, 8, (uint16_t)(45000 + i), (uint16_t)(1000 + i));
		handshake(&k, t + 2 * SEC, 100, 100);
	}
	CHECK_EQ_U(st.nrows, STATS_MAX_PORTS);
	CHECK_EQ_U(stats_pin(&st, 7), (uint64_t)-1);
	CHECK_EQ_U(st.row[STATS_OTHER].opened, 200 - (STATS_MAX_PORTS - 2));
	CHECK(rows_add_up());
	TEST_END();

	TEST_BEGIN("stats_record_formats");
	{
		struct stats_record rec;
		size_t n;

		memset(&rec, 0, sizeof rec);
		rec.ts_us = T0;
		rec.uptime_s = 60;
		rec.packets = 1234;
		rec.opened = 9;
		memcpy(rec.closed, st.total.closed, sizeof rec.closed);
		rec.handshakes = 2;
		rec.handshake_sum_us = 3001;
		rec.endpoints[ST_CLOSE_WAIT] = 3;
		rec.endpoints[ST_TIME_WAIT] = 5;
		rec.alerts_firing = 1;
		rec.hash_overflows = 7;
		n = report_format(FMT_JSON, REPORT_STATS_OF(&rec), buf, sizeof buf);
		CHECK(n > 0 && buf[n - 1] == '\n');
		CHECK(starts_with(buf,
		                  "{\"ts\":\"2023-11-14T22:13:20.000000Z\",\"event\":\"STATS\","
		                  "\"uptime\":60,\"packets\":1234,"));
		CHECK(
		    strstr(
		        buf,
		        "\"closed\":13,\"closed_fin\":5,\"closed_rst_client\":1,"
		        "\"closed_rst_server\":2,\"closed_refused\":4,\"closed_syn_timeout\":1,") !=
		    NULL);
		CHECK(strstr(buf, "\"handshakes\":2,\"handshake_avg\":0.001500,") != NULL);
		CHECK(strstr(buf, "\"time_wait\":5,\"close_wait\":3,") != NULL);
		CHECK(strstr(buf, "\"hash_overflows\":7,\"alerts_firing\":1}\n") != NULL);
		n = report_format(FMT_KV, REPORT_STATS_OF(&rec), buf, sizeof buf);
		CHECK(n > 0 &&
		      starts_with(buf, "ts=2023-11-14T22:13:20.000000Z event=STATS uptime=60 "));
		CHECK(strchr(buf, '"') == NULL);
		n = report_format(FMT_TEXT, REPORT_STATS_OF(&rec), buf, sizeof buf);
		CHECK_EQ_S(
		    buf,
		    "2023-11-14T22:13:20.000000Z stats: 1234 packets (0 dropped by the kernel, "
		    "0 by the interface); 0 connections tracked; 9 opened, 13 closed (8 abnormal); "
		    "3 CLOSE_WAIT, 5 TIME_WAIT; 0 output drops, 0 suppressed; 1 alert firing\n");
		/* Never truncated: too small a buffer gives nothing. */
		CHECK_EQ_U(report_format(FMT_JSON, REPORT_STATS_OF(&rec), buf, 100), 0);
		CHECK_EQ_U(buf[0], 0);
	}
	TEST_END();
	tracker_free(tr);
	TEST_EXIT();
}
