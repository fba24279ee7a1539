/*
 * test_alert.c - alert rules: a burst fires exactly once, with the count,
 * the window and the top peers; the rule stays quiet while the count holds
 * and recovers exactly once, at the second the count falls to the recovery
 * level; it fires again on the next burst. Kinds and ports select the right
 * CLOSED records, late timeouts count inside the window only, a reload
 * keeps a rule's state, and the ALERT record's forms.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../testhelp.h"
#include "alert.h"
#include "event.h"
#include "format.h"
#include "report.h"

#define SEC 1000000ULL
#define T0 (1700000000ULL * SEC)

static struct alert_report reps[64];
static size_t nreps;

static void
report_cb(const struct alert_report *r, void *arg)
{
	(void)arg;
	if (nreps < 64)
		reps[nreps++] = *r;
}

/* A CLOSED event of reason, port, from client 192.0.2.<client>. */
static struct event
closed(uint64_t ts, enum close_reason reason, enum side by, uint16_t port, uint8_t client)
{
	struct event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = TEV_CLOSED;
	ev.ts_us = ts;
	ev.family = 4;
	ev.client_ip[0] = 192;
	ev.client_ip[2] = 2;
	ev.client_ip[3] = client;
	ev.server_ip[0] = 10;
	ev.server_ip[3] = 1;
	ev.client_port = 40000;
	ev.server_port = port;
	ev.reason = reason;
	ev.closed_by = by;
	ev.abnormal = reason != CR_FIN;
	return ev;
}

/* The kinds a rule may count, as rows of the close reasons (see alert.h). */
#define AK_RST ((struct alert_kind){CR_RST, SIDE_NONE})
#define AK_RST_CLIENT ((struct alert_kind){CR_RST, SIDE_CLIENT})
#define AK_RST_SERVER ((struct alert_kind){CR_RST, SIDE_SERVER})
#define AK_REFUSED ((struct alert_kind){CR_REFUSED, SIDE_NONE})
#define AK_SYN_TIMEOUT ((struct alert_kind){CR_SYN_TIMEOUT, SIDE_NONE})
#define AK_IDLE_TIMEOUT ((struct alert_kind){CR_IDLE_TIMEOUT, SIDE_NONE})
#define AK_CLOSING_TIMEOUT ((struct alert_kind){CR_CLOSING_TIMEOUT, SIDE_NONE})
#define AK_ABNORMAL ((struct alert_kind){CR_NONE, SIDE_NONE})

static struct alert_rule
rule(const char *name, struct alert_kind kind, uint16_t port, uint32_t threshold, uint32_t window,
     uint32_t recover)
{
	struct alert_rule r;

	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "%s", name);
	r.kind = kind;
	r.port = port;
	r.threshold = threshold;
	r.window_s = window;
	r.recover = recover;
	return r;
}

static void
test_burst(void)
{
	struct alert_rule r = rule("pg-refused", AK_REFUSED, 5432, 5, 10, 5);
	struct alerts *a = alerts_new(&r, 1, report_cb, NULL);
	struct event ev;
	uint64_t s;
	int i;
	/* Clients of the burst, in order: .7 four times, .8 twice, .9 once at the sixth. */
	static const uint8_t who[] = {7, 8, 7, 7, 8, 9, 7, 8, 9, 9, 9, 9};

	nreps = 0;
	TEST_BEGIN("alert_burst_fires_once");
	CHECK(a != NULL);
	for (i = 0; i < 12; i++) {
		ev = closed(T0 + 100 * SEC + (uint64_t)i * 50000, CR_REFUSED, SIDE_SERVER, 5432,
		            who[i]);
		alerts_event(a, &ev);
	}
	CHECK_EQ_U(nreps, 1);
	CHECK(reps[0].firing);
	CHECK_EQ_U(reps[0].count, 6);
	CHECK_EQ_U(reps[0].ts_us, T0 + 100 * SEC + 250000); /* the sixth event */
	CHECK(reps[0].rule != NULL && strcmp(reps[0].rule->name, "pg-refused") == 0);
	CHECK_EQ_U(reps[0].npeers, 3);
	CHECK(reps[0].peer[0].ip[3] == 7 && reps[0].peer[0].count == 3);
	CHECK(reps[0].peer[1].ip[3] == 8 && reps[0].peer[1].count == 2);
	CHECK(reps[0].peer[2].ip[3] == 9 && reps[0].peer[2].count == 1);
	CHECK(alerts_firing(a, 0));
	CHECK_EQ_U(alerts_window_count(a, 0), 12);
	TEST_END();

	/* Still within the window and more coming: quiet. */
	TEST_BEGIN("alert_quiet_while_it_holds");
	for (s = 101; s <= 105; s++) {
		ev = closed(T0 + s * SEC, CR_REFUSED, SIDE_SERVER, 5432, 7);
		alerts_event(a, &ev);
	}
	CHECK_EQ_U(nreps, 1);
	CHECK_EQ_U(alerts_window_count(a, 0), 17);
	TEST_END();

	/*
	 * 12 events in second 100, one per second 101..105. At second 110 the
	 * window is 101..110: 5 events, at the recovery level: it recovers then,
	 * exactly once, stamped with the start of that second.
	 */
	TEST_BEGIN("alert_recovers_once_at_the_right_second");
	alerts_advance(a, T0 + 109 * SEC + 999999);
	CHECK_EQ_U(nreps, 1);
	alerts_advance(a, T0 + 110 * SEC);
	CHECK_EQ_U(nreps, 2);
	CHECK(!reps[1].firing);
	CHECK_EQ_U(reps[1].ts_us, T0 + 110 * SEC);
	CHECK_EQ_U(reps[1].count, 5);
	CHECK_EQ_U(reps[1].held_us, 110 * SEC - (100 * SEC + 250000));
	alerts_advance(a, T0 + 500 * SEC);
	CHECK_EQ_U(nreps, 2);
	CHECK(!alerts_firing(a, 0));
	CHECK_EQ_U(alerts_window_count(a, 0), 0);
	TEST_END();

	TEST_BEGIN("alert_fires_again_on_the_next_burst");
	for (i = 0; i < 6; i++) {
		ev = closed(T0 + 600 * SEC, CR_REFUSED, SIDE_SERVER, 5432, 1);
		alerts_event(a, &ev);
	}
	CHECK_EQ_U(nreps, 3);
	CHECK(reps[2].firing && reps[2].count == 6 && reps[2].npeers == 1);
	CHECK_EQ_U(alerts_fired(a, 0), 2);
	TEST_END();

	/* A jump of time far past the window: one recovery, at the second the window emptied. */
	TEST_BEGIN("alert_recovers_once_after_a_jump");
	alerts_advance(a, T0 + 100000 * SEC);
	CHECK_EQ_U(nreps, 4);
	CHECK(!reps[3].firing && reps[3].ts_us == T0 + 610 * SEC && reps[3].count == 0);
	TEST_END();
	alerts_free(a);
}

static void
test_matching(void)
{
	struct alert_rule r;
	struct event ev;

	TEST_BEGIN("alert_kinds_and_ports");
	r = rule("x", AK_RST_SERVER, 80, 1, 1, 0);
	ev = closed(T0, CR_RST, SIDE_SERVER, 80, 1);
	CHECK(alert_rule_matches(&r, &ev));
	ev.closed_by = SIDE_CLIENT;
	CHECK(!alert_rule_matches(&r, &ev));
	r.kind = AK_RST_CLIENT;
	CHECK(alert_rule_matches(&r, &ev));
	r.kind = AK_RST;
	CHECK(alert_rule_matches(&r, &ev));
	ev.server_port = 81;
	CHECK(!alert_rule_matches(&r, &ev));
	r.port = 0;
	CHECK(alert_rule_matches(&r, &ev));
	r.kind = AK_ABNORMAL;
	CHECK(alert_rule_matches(&r, &ev));
	ev = closed(T0, CR_SHUTDOWN, SIDE_NONE, 80, 1);
	CHECK(!alert_rule_matches(&r, &ev)); /* shutdown says nothing about the connection */
	ev = closed(T0, CR_FIN, SIDE_CLIENT, 80, 1);
	CHECK(!alert_rule_matches(&r, &ev));
	ev = closed(T0, CR_EVICTED, SIDE_NONE, 80, 1);
	CHECK(alert_rule_matches(&r, &ev));
	r.kind = AK_SYN_TIMEOUT;
	CHECK(!alert_rule_matches(&r, &ev));
	ev.reason = CR_SYN_TIMEOUT;
	CHECK(alert_rule_matches(&r, &ev));
	ev.type = TEV_RST;
	CHECK(!alert_rule_matches(&r, &ev)); /* only CLOSED records count */
	r.kind = AK_CLOSING_TIMEOUT;
	ev = closed(T0, CR_CLOSING_TIMEOUT, SIDE_NONE, 80, 1);
	CHECK(alert_rule_matches(&r, &ev));
	r.kind = AK_IDLE_TIMEOUT;
	CHECK(!alert_rule_matches(&r, &ev));
	CHECK_EQ_S(alert_kind_name(AK_RST_SERVER), "rst_server");
	CHECK_EQ_S(alert_kind_name(AK_ABNORMAL), "abnormal");
	CHECK_EQ_S(alert_kind_name((struct alert_kind){CR_FIN, SIDE_NONE}), "?");
	CHECK_EQ_S(alert_kind_name((struct alert_kind){CR_REFUSED, SIDE_SERVER}), "?");
	CHECK(alert_kind_from_name("closing_timeout", &r.kind) == 0 &&
	      r.kind.reason == CR_CLOSING_TIMEOUT && r.kind.side == SIDE_NONE);
	CHECK(alert_kind_from_name("RST", &r.kind) == -1);
	CHECK(alert_kind_from_name("fin", &r.kind) == -1);
	CHECK(alert_kind_from_name(NULL, &r.kind) == -1);
	TEST_END();

	TEST_BEGIN("alert_kinds_listed_in_order");
	{
		static const char *const want[] = {
		    "rst",          "rst_client",      "rst_server",          "refused", "syn_timeout",
		    "idle_timeout", "closing_timeout", "half_closed_timeout", "abnormal"};
		struct alert_kind k, back;
		size_t i;

		for (i = 0; alert_kind_nth(i, &k) == 0; i++) {
			CHECK(i < sizeof(want) / sizeof(want[0]));
			if (i >= sizeof(want) / sizeof(want[0]))
				break;
			CHECK_EQ_S(alert_kind_name(k), want[i]);
			CHECK(alert_kind_from_name(want[i], &back) == 0 &&
			      back.reason == k.reason && back.side == k.side);
		}
		CHECK_EQ_U(i, sizeof(want) / sizeof(want[0]));
	}
	TEST_END();

	TEST_BEGIN("alert_invalid_rules_refused");
	r = rule("x", AK_RST, 0, 5, 0, 0);
	CHECK(alerts_new(&r, 1, report_cb, NULL) == NULL);
	r = rule("x", AK_RST, 0, 5, ALERT_WINDOW_MAX + 1, 0);
	CHECK(alerts_new(&r, 1, report_cb, NULL) == NULL);
	r = rule("x", AK_RST, 0, 5, 10, 6);
	CHECK(alerts_new(&r, 1, report_cb, NULL) == NULL);
	TEST_END();
}

/* Other ports, other kinds, and events that left the window do not count. */
static void
test_window(void)
{
	struct alert_rule rs[2] = {rule("any-syn", AK_SYN_TIMEOUT, 0, 2, 5, 0),
	                           rule("web-rst", AK_RST_SERVER, 443, 0, 5, 0)};
	struct alerts *a = alerts_new(rs, 2, report_cb, NULL);
	struct event ev;

	nreps = 0;
	TEST_BEGIN("alert_window_edges");
	ev = closed(T0 + 10 * SEC, CR_SYN_TIMEOUT, SIDE_NONE, 22, 1);
	alerts_event(a, &ev);
	ev = closed(T0 + 20 * SEC, CR_SYN_TIMEOUT, SIDE_NONE, 23, 1);
	alerts_event(a, &ev);
	/* A timeout stamped 4 s back (its deadline) is still in the 5 s window... */
	ev = closed(T0 + 16 * SEC, CR_SYN_TIMEOUT, SIDE_NONE, 24, 2);
	alerts_event(a, &ev);
	CHECK_EQ_U(alerts_window_count(a, 0), 2);
	/* ...one 5 s back is not. */
	ev = closed(T0 + 15 * SEC, CR_SYN_TIMEOUT, SIDE_NONE, 24, 2);
	alerts_event(a, &ev);
	CHECK_EQ_U(alerts_window_count(a, 0), 2);
	CHECK_EQ_U(nreps, 0);
	ev = closed(T0 + 20 * SEC, CR_REFUSED, SIDE_SERVER, 23, 1);
	alerts_event(a, &ev);
	ev = closed(T0 + 20 * SEC, CR_RST, SIDE_SERVER, 80, 1);
	alerts_event(a, &ev);
	CHECK_EQ_U(nreps, 0);
	ev = closed(T0 + 20 * SEC, CR_SYN_TIMEOUT, SIDE_NONE, 25, 3);
	alerts_event(a, &ev);
	CHECK_EQ_U(nreps, 1);
	CHECK(reps[0].firing && reps[0].count == 3 && reps[0].rule == alerts_rule(a, 0));
	/* threshold 0: the first reset fires, and recovers once the window is empty. */
	ev = closed(T0 + 21 * SEC, CR_RST, SIDE_SERVER, 443, 9);
	alerts_event(a, &ev);
	CHECK_EQ_U(nreps, 2);
	CHECK(reps[1].firing && reps[1].rule == alerts_rule(a, 1) && reps[1].count == 1);
	alerts_advance(a, T0 + 26 * SEC);
	CHECK_EQ_U(nreps, 4);
	CHECK(!reps[2].firing && reps[2].ts_us == T0 + 25 * SEC &&
	      reps[2].rule == alerts_rule(a, 0));
	CHECK(!reps[3].firing && reps[3].ts_us == T0 + 26 * SEC &&
	      reps[3].rule == alerts_rule(a, 1));
	TEST_END();
	alerts_free(a);
}

/* Top peers come from the last ALERT_SAMPLE events: memory stays bounded whatever the burst. */
static void
test_bounded_peers(void)
{
	struct alert_rule r = rule("flood", AK_REFUSED, 0, 10000, 60, 100);
	struct alerts *a = alerts_new(&r, 1, report_cb, NULL);
	struct event ev;
	int i;

	nreps = 0;
	TEST_BEGIN("alert_top_peers_from_recent_sample");
	for (i = 0; i < 10000; i++) {
		ev = closed(T0 + (uint64_t)i * 1000, CR_REFUSED, SIDE_SERVER, 80,
		            (uint8_t)(i % 200));
		alerts_event(a, &ev);
	}
	/*
	 * The sample holds the last 256: 255 of the flood (clients .145 to .199
	 * twice, the others once) and the one that fires (.250).
	 */
	for (i = 0; i < 40; i++) {
		ev = closed(T0 + 10 * SEC, CR_REFUSED, SIDE_SERVER, 80, 250);
		alerts_event(a, &ev);
	}
	CHECK_EQ_U(nreps, 1);
	CHECK_EQ_U(reps[0].count, 10001);
	CHECK_EQ_U(reps[0].npeers, ALERT_TOP_PEERS);
	CHECK(reps[0].peer[0].ip[3] == 145 && reps[0].peer[0].count == 2);
	CHECK(reps[0].peer[4].ip[3] == 149 && reps[0].peer[4].count == 2);
	TEST_END();
	alerts_free(a);
}

/* A reload keeps a rule that did not change in what it counts, and takes its new levels. */
static void
test_reload(void)
{
	struct alert_rule r = rule("keep", AK_RST, 0, 3, 10, 3), r2[2];
	struct alerts *a = alerts_new(&r, 1, report_cb, NULL);
	struct event ev;
	int i;

	nreps = 0;
	TEST_BEGIN("alert_reload_keeps_state");
	for (i = 0; i < 4; i++) {
		ev = closed(T0 + SEC, CR_RST, SIDE_CLIENT, 80, 1);
		alerts_event(a, &ev);
	}
	CHECK_EQ_U(nreps, 1);
	r2[0] = rule("new", AK_RST, 0, 1, 10, 0);
	r2[1] = rule("keep", AK_RST, 0, 3, 10, 3);
	CHECK(alerts_reconfigure(a, r2, 2) == 0);
	CHECK_EQ_U(nreps, 1);
	CHECK(alerts_firing(a, 1) && alerts_window_count(a, 1) == 4 && !alerts_firing(a, 0));
	/* A recovery level of 4 now holds: it recovers at once. */
	r2[1].recover = 4;
	r2[1].threshold = 5;
	CHECK(alerts_reconfigure(a, r2, 2) == 0);
	CHECK_EQ_U(nreps, 2);
	CHECK(!reps[1].firing && reps[1].rule == alerts_rule(a, 1));
	/* A changed window is a new rule: it starts afresh, quiet. */
	r2[1].window_s = 20;
	CHECK(alerts_reconfigure(a, r2, 2) == 0);
	CHECK_EQ_U(alerts_window_count(a, 1), 0);
	/* An invalid set changes nothing. */
	r2[0].window_s = 0;
	CHECK(alerts_reconfigure(a, r2, 2) == -1);
	CHECK_EQ_U(alerts_count(a), 2);
	CHECK_EQ_U(alerts_rule(a, 1)->window_s, 20);
	TEST_END();
	alerts_free(a);
}

static void
test_formats(void)
{
	struct alert_rule r = rule("pg-refused", AK_REFUSED, 5432, 20, 60, 20);
	struct alert_report rep;
	char buf[1024];
	size_t n;

	memset(&rep, 0, sizeof rep);
	rep.ts_us = T0;
	rep.rule = &r;
	rep.firing = 1;
	rep.count = 25;
	rep.npeers = 2;
	rep.peer[0].family = 4;
	memcpy(rep.peer[0].ip, "\xc0\x00\x02\x07", 4);
	rep.peer[0].count = 12;
	rep.peer[1].family = 6;
	memcpy(rep.peer[1].ip, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	rep.peer[1].count = 5;

	TEST_BEGIN("alert_record_formats");
	n = report_format(FMT_JSON, REPORT_ALERT_OF(&rep), buf, sizeof buf);
	CHECK(n > 0);
	CHECK_EQ_S(
	    buf,
	    "{\"ts\":\"2023-11-14T22:13:20.000000Z\",\"event\":\"ALERT\",\"alert\":\"pg-refused\","
	    "\"state\":\"firing\",\"kind\":\"refused\",\"port\":5432,\"count\":25,\"threshold\":20,"
	    "\"window\":60,\"peers\":{\"192.0.2.7\":12,\"2001:db8::1\":5}}\n");
	report_format(FMT_KV, REPORT_ALERT_OF(&rep), buf, sizeof buf);
	CHECK_EQ_S(buf, "ts=2023-11-14T22:13:20.000000Z event=ALERT alert=pg-refused state=firing "
	                "kind=refused port=5432 count=25 threshold=20 window=60 "
	                "peers=192.0.2.7(12),2001:db8::1(5)\n");
	report_format(FMT_TEXT, REPORT_ALERT_OF(&rep), buf, sizeof buf);
	CHECK_EQ_S(
	    buf,
	    "2023-11-14T22:13:20.000000Z alert pg-refused firing: 25 refused connections "
	    "to port 5432 in 60 s (threshold 20); top peers 192.0.2.7 (12), 2001:db8::1 (5)\n");
	rep.firing = 0;
	rep.count = 3;
	rep.held_us = 75 * SEC;
	r.port = 0;
	report_format(FMT_JSON, REPORT_ALERT_OF(&rep), buf, sizeof buf);
	CHECK_EQ_S(
	    buf,
	    "{\"ts\":\"2023-11-14T22:13:20.000000Z\",\"event\":\"ALERT\",\"alert\":\"pg-refused\","
	    "\"state\":\"recovered\",\"kind\":\"refused\",\"count\":3,\"threshold\":20,\"window\":"
	    "60,"
	    "\"duration\":75.000000}\n");
	report_format(REPORT_MESSAGE, REPORT_ALERT_OF(&rep), buf, sizeof buf);
	CHECK_EQ_S(buf, "alert pg-refused recovered: 3 refused connections to any port in 60 s "
	                "(recovery level 20, after 75 s)");
	CHECK_EQ_U(report_format(FMT_JSON, REPORT_ALERT_OF(&rep), buf, 40), 0);
	TEST_END();
}

int
main(void)
{
	test_burst();
	test_matching();
	test_window();
	test_bounded_peers();
	test_reload();
	test_formats();
	TEST_EXIT();
}
