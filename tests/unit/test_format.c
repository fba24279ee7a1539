/*
 * test_format.c - lib/format.c and lib/event.c against exact expected bytes:
 * every event type in every format, timestamps, RFC 5952 addresses, JSON
 * escapes, and the "never a truncated record" rule at every buffer size.
 */
#include <stdint.h>
#include <string.h>

#include "event.h"
#include "format.h"
#include "report.h"
#include "../testhelp.h"

#define TS0 1718961975123456ULL     /* 2024-06-21T09:26:15.123456Z */
#define FLOW0 0x123456789abcdef0ULL /* "C1YtudU73D5k" */

static void
v4(uint8_t *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[0] = b0;
	a[1] = b1;
	a[2] = b2;
	a[3] = b3;
}

/* The connection of the study note: 192.168.42.108:45714 -> 192.168.42.109:8000. */
static struct event
base_event(enum event_type t)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_us = TS0;
	ev.flow_id = FLOW0;
	ev.type = t;
	ev.by = SIDE_CLIENT;
	ev.family = 4;
	v4(ev.client_ip, 192, 168, 42, 108);
	v4(ev.server_ip, 192, 168, 42, 109);
	ev.client_port = 45714;
	ev.server_port = 8000;
	ev.client_state = ev.client_state_was = ST_ESTABLISHED;
	ev.server_state = ev.server_state_was = ST_ESTABLISHED;
	ev.closed_by = SIDE_NONE;
	return ev;
}

/*
 * Format ev, compare with want, and check the size contract: every cap
 * shorter than the record plus its NUL gives 0 and an empty buffer, and the
 * exact size works.
 */
static void
check_event(const char *name, enum format f, const struct event *ev, const char *want)
{
	char buf[1024];
	size_t n, cap, wantlen = strlen(want);
	int caps_ok = 1;

	TEST_BEGIN(name);
	memset(buf, 'X', sizeof(buf));
	n = format_event(f, ev, buf, sizeof(buf));
	CHECK_EQ_U(n, wantlen);
	CHECK_EQ_S(buf, want);
	for (cap = 0; cap <= wantlen; cap++) {
		memset(buf, 'X', sizeof(buf));
		if (format_event(f, ev, buf, cap) != 0 || (cap > 0 && buf[0] != '\0') ||
		    buf[cap] != 'X')
			caps_ok = 0;
	}
	CHECK(caps_ok);
	memset(buf, 'X', sizeof(buf));
	CHECK_EQ_U(format_event(f, ev, buf, wantlen + 1), wantlen);
	CHECK(buf[wantlen] == '\0');
	TEST_END();
}

static void
test_names(void)
{
	int t;

	TEST_BEGIN("names");
	CHECK_EQ_S(tcp_state_name(ST_CLOSED), "CLOSED");
	CHECK_EQ_S(tcp_state_name(ST_LISTEN), "LISTEN");
	CHECK_EQ_S(tcp_state_name(ST_SYN_SENT), "SYN_SENT");
	CHECK_EQ_S(tcp_state_name(ST_SYN_RCVD), "SYN_RCVD");
	CHECK_EQ_S(tcp_state_name(ST_ESTABLISHED), "ESTABLISHED");
	CHECK_EQ_S(tcp_state_name(ST_FIN_WAIT_1), "FIN_WAIT_1");
	CHECK_EQ_S(tcp_state_name(ST_FIN_WAIT_2), "FIN_WAIT_2");
	CHECK_EQ_S(tcp_state_name(ST_CLOSING), "CLOSING");
	CHECK_EQ_S(tcp_state_name(ST_TIME_WAIT), "TIME_WAIT");
	CHECK_EQ_S(tcp_state_name(ST_CLOSE_WAIT), "CLOSE_WAIT");
	CHECK_EQ_S(tcp_state_name(ST_LAST_ACK), "LAST_ACK");
	CHECK_EQ_S(tcp_state_name(ST_NSTATES), "?");
	CHECK_EQ_S(event_type_name(TEV_SYN), "SYN");
	CHECK_EQ_S(event_type_name(TEV_SYN_ACK), "SYN_ACK");
	CHECK_EQ_S(event_type_name(TEV_ESTABLISHED), "ESTABLISHED");
	CHECK_EQ_S(event_type_name(TEV_FIN), "FIN");
	CHECK_EQ_S(event_type_name(TEV_RST), "RST");
	CHECK_EQ_S(event_type_name(TEV_TIME_WAIT), "TIME_WAIT");
	CHECK_EQ_S(event_type_name(TEV_STATE), "STATE");
	CHECK_EQ_S(event_type_name(TEV_CLOSED), "CLOSED");
	CHECK_EQ_S(event_type_name(TEV_SEGMENT), "SEGMENT");
	CHECK_EQ_S(event_type_name(TEV_NTYPES), "?");
	CHECK_EQ_S(close_reason_name(CR_NONE), "none");
	CHECK_EQ_S(close_reason_name(CR_FIN), "fin");
	CHECK_EQ_S(close_reason_name(CR_RST), "rst");
	CHECK_EQ_S(close_reason_name(CR_REFUSED), "refused");
	CHECK_EQ_S(close_reason_name(CR_SYN_TIMEOUT), "syn_timeout");
	CHECK_EQ_S(close_reason_name(CR_IDLE_TIMEOUT), "idle_timeout");
	CHECK_EQ_S(close_reason_name(CR_CLOSING_TIMEOUT), "closing_timeout");
	CHECK_EQ_S(close_reason_name(CR_REUSED), "reused");
	CHECK_EQ_S(close_reason_name(CR_EVICTED), "evicted");
	CHECK_EQ_S(close_reason_name(CR_SHUTDOWN), "shutdown");
	CHECK_EQ_S(close_reason_name(CR_NREASONS), "?");
	CHECK_EQ_S(side_name(SIDE_CLIENT), "client");
	CHECK_EQ_S(side_name(SIDE_SERVER), "server");
	CHECK_EQ_S(side_name(SIDE_NONE), "none");
	for (t = 0; t < TEV_NTYPES; t++)
		CHECK_EQ_U(event_type_from_name(event_type_name((enum event_type)t)), t);
	CHECK(event_type_from_name("syn") == -1);
	CHECK(event_type_from_name("") == -1);
	CHECK(event_type_from_name("SUPPRESSED") == -1);
	CHECK(event_type_from_name(NULL) == -1);
	CHECK_EQ_U(format_from_name("json"), FMT_JSON);
	CHECK_EQ_U(format_from_name("text"), FMT_TEXT);
	CHECK_EQ_U(format_from_name("kv"), FMT_KV);
	CHECK(format_from_name("JSON") == -1);
	CHECK(format_from_name("cee") == -1);
	CHECK_EQ_S(format_name(FMT_JSON), "json");
	CHECK_EQ_S(format_name(FMT_TEXT), "text");
	CHECK_EQ_S(format_name(FMT_KV), "kv");
	TEST_END();
}

#define HEAD_J "{\"ts\":\"2024-06-21T09:26:15.123456Z\",\"event\":"
#define HEAD_K "ts=2024-06-21T09:26:15.123456Z event="
#define HEAD_T "2024-06-21T09:26:15.123456Z C1YtudU73D5k "

static void
test_syn(void)
{
	struct event ev = base_event(TEV_SYN);

	ev.client_state_was = ST_CLOSED;
	ev.client_state = ST_SYN_SENT;
	ev.server_state_was = ev.server_state = ST_LISTEN;
	ev.opt.present = OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TS;
	ev.opt.mss = 1460;
	ev.opt.wscale = 7;
	check_event("syn_json", FMT_JSON, &ev,
	            HEAD_J "\"SYN\",\"flow\":\"C1YtudU73D5k\",\"by\":\"client\","
	                   "\"client_ip\":\"192.168.42.108\",\"client_port\":45714,"
	                   "\"server_ip\":\"192.168.42.109\",\"server_port\":8000,"
	                   "\"client_state\":\"SYN_SENT\",\"server_state\":\"LISTEN\","
	                   "\"mss\":1460,\"wscale\":7,\"sack_ok\":true,\"tsopt\":true}\n");
	check_event(
	    "syn_kv", FMT_KV, &ev,
	    HEAD_K
	    "SYN flow=C1YtudU73D5k by=client client_ip=192.168.42.108 client_port=45714 "
	    "server_ip=192.168.42.109 server_port=8000 client_state=SYN_SENT server_state=LISTEN "
	    "mss=1460 wscale=7 sack_ok=true tsopt=true\n");
	check_event("syn_text", FMT_TEXT, &ev,
	            HEAD_T
	            "SYN         192.168.42.108:45714 > 192.168.42.109:8000  "
	            "client CLOSED->SYN_SENT  server LISTEN  mss=1460 wscale=7 sack_ok tsopt\n");
}

static void
test_syn_ack(void)
{
	struct event ev = base_event(TEV_SYN_ACK);

	ev.by = SIDE_SERVER;
	ev.client_state_was = ev.client_state = ST_SYN_SENT;
	ev.server_state_was = ST_LISTEN;
	ev.server_state = ST_SYN_RCVD;
	ev.opt.present = OPT_WSCALE | OPT_TS; /* no MSS: the first option still gets two spaces */
	ev.opt.wscale = 14;
	check_event("syn_ack_json", FMT_JSON, &ev,
	            HEAD_J "\"SYN_ACK\",\"flow\":\"C1YtudU73D5k\",\"by\":\"server\","
	                   "\"client_ip\":\"192.168.42.108\",\"client_port\":45714,"
	                   "\"server_ip\":\"192.168.42.109\",\"server_port\":8000,"
	                   "\"client_state\":\"SYN_SENT\",\"server_state\":\"SYN_RCVD\","
	                   "\"wscale\":14,\"tsopt\":true}\n");
	check_event(
	    "syn_ack_kv", FMT_KV, &ev,
	    HEAD_K
	    "SYN_ACK flow=C1YtudU73D5k by=server client_ip=192.168.42.108 client_port=45714 "
	    "server_ip=192.168.42.109 server_port=8000 client_state=SYN_SENT server_state=SYN_RCVD "
	    "wscale=14 tsopt=true\n");
	check_event("syn_ack_text", FMT_TEXT, &ev,
	            HEAD_T "SYN_ACK     192.168.42.108:45714 < 192.168.42.109:8000  "
	                   "client SYN_SENT  server LISTEN->SYN_RCVD  wscale=14 tsopt\n");
	ev.opt.present = 0;
	check_event("syn_ack_noopt_text", FMT_TEXT, &ev,
	            HEAD_T "SYN_ACK     192.168.42.108:45714 < 192.168.42.109:8000  "
	                   "client SYN_SENT  server LISTEN->SYN_RCVD\n");
	check_event(
	    "syn_ack_noopt_kv", FMT_KV, &ev,
	    HEAD_K "SYN_ACK flow=C1YtudU73D5k by=server client_ip=192.168.42.108 client_port=45714 "
	           "server_ip=192.168.42.109 server_port=8000 client_state=SYN_SENT "
	           "server_state=SYN_RCVD\n");
}

/* "time_wait_json": a test's name from an event type's and a suffix. */
static void
case_name(char *buf, size_t cap, const char *type, const char *suffix)
{
	char *c;

	snprintf(buf, cap, "%s%s", type, suffix);
	for (c = buf; *c != '\0'; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
}

/*
 * The events between SYN_ACK and CLOSED carry the same fields: the type, who
 * acted and both states. One row each, with its names written out and its
 * text line; the JSON and key=value lines follow from the row.
 */
static void
test_middle_events(void)
{
	static const struct {
		enum event_type type;
		enum side by;
		enum tcp_state client_was, client, server_was, server;
		const char *name, *by_name, *client_name, *server_name;
		const char *text; /* after HEAD_T */
	} rows[] = {
		{ TEV_ESTABLISHED, SIDE_CLIENT, ST_SYN_SENT, ST_ESTABLISHED, ST_SYN_RCVD, ST_SYN_RCVD,
		  "ESTABLISHED", "client", "ESTABLISHED", "SYN_RCVD",
		  "ESTABLISHED 192.168.42.108:45714 > 192.168.42.109:8000  "
		  "client SYN_SENT->ESTABLISHED  server SYN_RCVD\n" },
		{ TEV_FIN, SIDE_SERVER, ST_ESTABLISHED, ST_ESTABLISHED, ST_ESTABLISHED, ST_FIN_WAIT_1,
		  "FIN", "server", "ESTABLISHED", "FIN_WAIT_1",
		  "FIN         192.168.42.108:45714 < 192.168.42.109:8000  "
		  "client ESTABLISHED  server ESTABLISHED->FIN_WAIT_1\n" },
		{ TEV_RST, SIDE_CLIENT, ST_ESTABLISHED, ST_CLOSED, ST_ESTABLISHED, ST_CLOSED, "RST",
		  "client", "CLOSED", "CLOSED",
		  "RST         192.168.42.108:45714 > 192.168.42.109:8000  "
		  "client ESTABLISHED->CLOSED  server ESTABLISHED->CLOSED\n" },
		/* the server's FIN moved the client */
		{ TEV_TIME_WAIT, SIDE_SERVER, ST_FIN_WAIT_2, ST_TIME_WAIT, ST_LAST_ACK, ST_LAST_ACK,
		  "TIME_WAIT", "server", "TIME_WAIT", "LAST_ACK",
		  "TIME_WAIT   192.168.42.108:45714 < 192.168.42.109:8000  "
		  "client FIN_WAIT_2->TIME_WAIT  server LAST_ACK\n" },
		{ TEV_STATE, SIDE_CLIENT, ST_TIME_WAIT, ST_TIME_WAIT, ST_LAST_ACK, ST_CLOSED, "STATE",
		  "client", "TIME_WAIT", "CLOSED",
		  "STATE       192.168.42.108:45714 > 192.168.42.109:8000  "
		  "client TIME_WAIT  server LAST_ACK->CLOSED\n" },
	};
	char name[64], want[512];
	struct event ev;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ev = base_event(rows[i].type);
		ev.by = rows[i].by;
		ev.client_state_was = rows[i].client_was;
		ev.client_state = rows[i].client;
		ev.server_state_was = rows[i].server_was;
		ev.server_state = rows[i].server;
		case_name(name, sizeof(name), rows[i].name, "_json");
		snprintf(want, sizeof(want),
		    HEAD_J "\"%s\",\"flow\":\"C1YtudU73D5k\",\"by\":\"%s\","
		           "\"client_ip\":\"192.168.42.108\",\"client_port\":45714,"
		           "\"server_ip\":\"192.168.42.109\",\"server_port\":8000,"
		           "\"client_state\":\"%s\",\"server_state\":\"%s\"}\n",
		    rows[i].name, rows[i].by_name, rows[i].client_name, rows[i].server_name);
		check_event(name, FMT_JSON, &ev, want);
		case_name(name, sizeof(name), rows[i].name, "_kv");
		snprintf(want, sizeof(want),
		    HEAD_K "%s flow=C1YtudU73D5k by=%s client_ip=192.168.42.108 client_port=45714 "
		           "server_ip=192.168.42.109 server_port=8000 client_state=%s server_state=%s\n",
		    rows[i].name, rows[i].by_name, rows[i].client_name, rows[i].server_name);
		check_event(name, FMT_KV, &ev, want);
		case_name(name, sizeof(name), rows[i].name, "_text");
		snprintf(want, sizeof(want), HEAD_T "%s", rows[i].text);
		check_event(name, FMT_TEXT, &ev, want);
	}
}

static void
test_closed(void)
{
	struct event ev = base_event(TEV_CLOSED);
	char buf[FORMAT_EVENT_MAX];

	ev.by = SIDE_NONE;
	ev.client_state_was = ev.client_state = ST_TIME_WAIT;
	ev.server_state_was = ev.server_state = ST_CLOSED;
	ev.reason = CR_FIN;
	ev.closed_by = SIDE_SERVER;
	ev.duration_us = 123456;
	ev.lifetime_us = 362500000; /* six minutes on: the close decision came late */
	ev.client.bytes = 3;
	ev.client.pkts = 6;
	ev.server.bytes = 492;
	ev.server.pkts = 5;
	memcpy(ev.conn_state, "SF", 3);
	memcpy(ev.history, "ShADadfFa", 10);
	check_event(
	    "closed_json", FMT_JSON, &ev,
	    HEAD_J
	    "\"CLOSED\",\"flow\":\"C1YtudU73D5k\",\"by\":\"none\","
	    "\"client_ip\":\"192.168.42.108\",\"client_port\":45714,"
	    "\"server_ip\":\"192.168.42.109\",\"server_port\":8000,"
	    "\"client_state\":\"TIME_WAIT\",\"server_state\":\"CLOSED\","
	    "\"reason\":\"fin\",\"abnormal\":false,\"closed_by\":\"server\",\"duration\":0.123456,"
	    "\"lifetime\":362.500000,\"client_bytes\":3,\"server_bytes\":492,\"client_pkts\":6,\"server_pkts\":5,"
	    "\"partial\":false,\"conn_state\":\"SF\",\"history\":\"ShADadfFa\"}\n");
	check_event(
	    "closed_kv", FMT_KV, &ev,
	    HEAD_K
	    "CLOSED flow=C1YtudU73D5k by=none client_ip=192.168.42.108 client_port=45714 "
	    "server_ip=192.168.42.109 server_port=8000 client_state=TIME_WAIT server_state=CLOSED "
	    "reason=fin abnormal=false closed_by=server duration=0.123456 lifetime=362.500000 "
	    "client_bytes=3 "
	    "server_bytes=492 client_pkts=6 server_pkts=5 partial=false conn_state=SF "
	    "history=ShADadfFa\n");
	check_event(
	    "closed_text", FMT_TEXT, &ev,
	    HEAD_T "CLOSED      192.168.42.108:45714 - 192.168.42.109:8000  "
	           "reason=fin closed_by=server duration=0.123s lifetime=6m02s client 3B/6p "
	           "server 492B/5p SF ShADadfFa\n");

	/* An abnormal, partial close with nothing seen: empty strings. */
	ev.reason = CR_IDLE_TIMEOUT;
	ev.abnormal = 1;
	ev.partial = 1;
	ev.closed_by = SIDE_NONE;
	ev.duration_us = 7440000001ULL;
	ev.lifetime_us = 93784000000ULL; /* 1d02h03m04s */
	ev.client.bytes = 18446744073709551615ULL;
	ev.conn_state[0] = '\0';
	ev.history[0] = '\0';
	check_event(
	    "closed_empty_json", FMT_JSON, &ev,
	    HEAD_J
	    "\"CLOSED\",\"flow\":\"C1YtudU73D5k\",\"by\":\"none\","
	    "\"client_ip\":\"192.168.42.108\",\"client_port\":45714,"
	    "\"server_ip\":\"192.168.42.109\",\"server_port\":8000,"
	    "\"client_state\":\"TIME_WAIT\",\"server_state\":\"CLOSED\","
	    "\"reason\":\"idle_timeout\",\"abnormal\":true,\"closed_by\":\"none\","
	    "\"duration\":7440.000001,\"lifetime\":93784.000000,"
	    "\"client_bytes\":18446744073709551615,\"server_bytes\":492,"
	    "\"client_pkts\":6,\"server_pkts\":5,\"partial\":true,\"conn_state\":\"\","
	    "\"history\":\"\"}\n");
	check_event(
	    "closed_empty_kv", FMT_KV, &ev,
	    HEAD_K
	    "CLOSED flow=C1YtudU73D5k by=none client_ip=192.168.42.108 client_port=45714 "
	    "server_ip=192.168.42.109 server_port=8000 client_state=TIME_WAIT server_state=CLOSED "
	    "reason=idle_timeout abnormal=true closed_by=none duration=7440.000001 "
	    "lifetime=93784.000000 "
	    "client_bytes=18446744073709551615 server_bytes=492 client_pkts=6 server_pkts=5 "
	    "partial=true\n");
	check_event("closed_empty_text", FMT_TEXT, &ev,
	            HEAD_T
	            "CLOSED      192.168.42.108:45714 - 192.168.42.109:8000  "
	            "reason=idle_timeout closed_by=none duration=2h04m lifetime=1d02h "
	            "client 18446744073709551615B/6p "
	            "server 492B/5p partial\n");

	/* A history that fills its array with no NUL is bounded, and odd bytes cannot break a line.
	 */
	memset(ev.history, 'a', sizeof(ev.history));
	memcpy(ev.conn_state, "S\"1 =x", 7);
	ev.partial = 0;
	check_event(
	    "closed_odd_kv", FMT_KV, &ev,
	    HEAD_K
	    "CLOSED flow=C1YtudU73D5k by=none client_ip=192.168.42.108 client_port=45714 "
	    "server_ip=192.168.42.109 server_port=8000 client_state=TIME_WAIT server_state=CLOSED "
	    "reason=idle_timeout abnormal=true closed_by=none duration=7440.000001 "
	    "lifetime=93784.000000 "
	    "client_bytes=18446744073709551615 server_bytes=492 client_pkts=6 server_pkts=5 "
	    "partial=false conn_state=S?1??x history=aaaaaaaaaaaaaaaaaaaaaaaa\n");
	check_event(
	    "closed_odd_json", FMT_JSON, &ev,
	    HEAD_J
	    "\"CLOSED\",\"flow\":\"C1YtudU73D5k\",\"by\":\"none\","
	    "\"client_ip\":\"192.168.42.108\",\"client_port\":45714,"
	    "\"server_ip\":\"192.168.42.109\",\"server_port\":8000,"
	    "\"client_state\":\"TIME_WAIT\",\"server_state\":\"CLOSED\","
	    "\"reason\":\"idle_timeout\",\"abnormal\":true,\"closed_by\":\"none\","
	    "\"duration\":7440.000001,\"lifetime\":93784.000000,"
	    "\"client_bytes\":18446744073709551615,\"server_bytes\":492,"
	    "\"client_pkts\":6,\"server_pkts\":5,\"partial\":false,\"conn_state\":\"S\\\"1 =x\","
	    "\"history\":\"aaaaaaaaaaaaaaaaaaaaaaaa\"}\n");

	/* The live view's CLOSED of a remembered connection: no close decision, no lifetime. */
	TEST_BEGIN("closed_remembered_no_lifetime");
	ev.reason = CR_NONE;
	format_event(FMT_JSON, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"duration\":7440.000001,\"client_bytes\":") != NULL);
	format_event(FMT_TEXT, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, " duration=2h04m client ") != NULL);
	TEST_END();
}

static void
test_segment_and_v6(void)
{
	static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,    0,
	                               0,    0,    0,    0,    0, 0, 0x0a, 0xbc};
	struct event ev = base_event(TEV_SEGMENT);

	ev.by = SIDE_SERVER;
	ev.client_state_was = ev.client_state = ST_SYN_SENT;
	ev.server_state_was = ST_LISTEN;
	ev.server_state = ST_SYN_RCVD;
	ev.seg_flags = TH_SYN | TH_ACK;
	ev.seg_rel_seq = 0;
	ev.seg_rel_ack = 1;
	ev.seg_len = 0;
	check_event("segment_json", FMT_JSON, &ev,
	            HEAD_J "\"SEGMENT\",\"flow\":\"C1YtudU73D5k\",\"by\":\"server\","
	                   "\"client_ip\":\"192.168.42.108\",\"client_port\":45714,"
	                   "\"server_ip\":\"192.168.42.109\",\"server_port\":8000,"
	                   "\"client_state\":\"SYN_SENT\",\"server_state\":\"SYN_RCVD\","
	                   "\"flags\":\"S.\",\"seq\":0,\"ack\":1,\"len\":0}\n");
	check_event(
	    "segment_kv", FMT_KV, &ev,
	    HEAD_K
	    "SEGMENT flow=C1YtudU73D5k by=server client_ip=192.168.42.108 client_port=45714 "
	    "server_ip=192.168.42.109 server_port=8000 client_state=SYN_SENT server_state=SYN_RCVD "
	    "flags=S. seq=0 ack=1 len=0\n");
	check_event(
	    "segment_text", FMT_TEXT, &ev,
	    HEAD_T
	    "SEGMENT     192.168.42.108:45714 < 192.168.42.109:8000  [S.] seq 0 ack 1 len 0  "
	    "client SYN_SENT  server LISTEN->SYN_RCVD\n");
	ev.seg_flags = TH_FIN | TH_PSH | TH_ACK | TH_ECE | TH_CWR | TH_URG | TH_RST;
	ev.seg_rel_seq = 4294967295U;
	ev.seg_len = 1448;
	ev.by = SIDE_CLIENT;
	ev.server_state_was = ev.server_state;
	check_event(
	    "segment_flags_text", FMT_TEXT, &ev,
	    HEAD_T
	    "SEGMENT     192.168.42.108:45714 > 192.168.42.109:8000  [FRP.UEW] seq 4294967295 "
	    "ack 1 len 1448  client SYN_SENT  server SYN_RCVD\n");
	ev.seg_flags = 0;
	check_event(
	    "segment_noflags_kv", FMT_KV, &ev,
	    HEAD_K
	    "SEGMENT flow=C1YtudU73D5k by=client client_ip=192.168.42.108 client_port=45714 "
	    "server_ip=192.168.42.109 server_port=8000 client_state=SYN_SENT server_state=SYN_RCVD "
	    "flags=none seq=4294967295 ack=1 len=1448\n");

	ev = base_event(TEV_RST);
	ev.family = 6;
	memcpy(ev.client_ip, a6, 16);
	memcpy(ev.server_ip, b6, 16);
	ev.by = SIDE_SERVER;
	ev.server_state = ST_CLOSED;
	ev.partial = 1;
	ev.flow_id = 0;
	check_event(
	    "v6_text", FMT_TEXT, &ev,
	    "2024-06-21T09:26:15.123456Z C0           RST         [2001:db8::1]:45714 < "
	    "[2001:db8::abc]:8000  client ESTABLISHED  server ESTABLISHED->CLOSED partial\n");
	check_event("v6_json", FMT_JSON, &ev,
	            HEAD_J
	            "\"RST\",\"flow\":\"C0\",\"by\":\"server\",\"client_ip\":\"2001:db8::1\","
	            "\"client_port\":45714,\"server_ip\":\"2001:db8::abc\",\"server_port\":8000,"
	            "\"client_state\":\"ESTABLISHED\",\"server_state\":\"CLOSED\"}\n");
	check_event("v6_kv", FMT_KV, &ev,
	            HEAD_K "RST flow=C0 by=server client_ip=2001:db8::1 client_port=45714 "
	                   "server_ip=2001:db8::abc server_port=8000 client_state=ESTABLISHED "
	                   "server_state=CLOSED\n");
}

#define ESC80 "\\u0080"
#define ESCFF "\\u00ff"
#define ESCFF4 ESCFF ESCFF ESCFF ESCFF
#define MAXCOUNTS_K                                                                                \
	"client_bytes=18446744073709551615 server_bytes=18446744073709551615 "                     \
	"client_pkts=18446744073709551615 server_pkts=18446744073709551615 "

/*
 * The longest record there is: CLOSED, two full-length IPv6 addresses, the
 * last timestamp, the largest flow id, every counter and the duration at
 * UINT64_MAX, the longest close reason, and conn_state and history filling
 * their arrays (no NUL) with bytes that each take a six-byte escape. It comes
 * out whole, under FORMAT_EVENT_MAX, in every format; check_event() also
 * tries every shorter buffer and the exact size.
 */
static void
test_max_event(void)
{
	static const uint8_t full6[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t long6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
	                                  0x9a, 0xbc, 0xde, 0xf0, 0xfe, 0xdc, 0xba, 0x98};
	struct event ev = base_event(TEV_CLOSED);
	char buf[FORMAT_EVENT_MAX];
	int f;

	ev.ts_us = UINT64_MAX;
	ev.flow_id = UINT64_MAX;
	ev.by = SIDE_SERVER;
	ev.family = 6;
	memcpy(ev.client_ip, full6, 16);
	memcpy(ev.server_ip, long6, 16);
	ev.client_port = ev.server_port = 65535;
	ev.reason = CR_CLOSING_TIMEOUT;
	ev.abnormal = 1;
	ev.closed_by = SIDE_SERVER;
	ev.duration_us = ev.lifetime_us = UINT64_MAX;
	ev.client.bytes = ev.client.pkts = UINT64_MAX;
	ev.server.bytes = ev.server.pkts = UINT64_MAX;
	ev.partial = 1;
	memset(ev.conn_state, 0x80, sizeof(ev.conn_state)); /* a lone continuation byte */
	memset(ev.history, 0xff, sizeof(ev.history));       /* never UTF-8 */
	check_event(
	    "max_json", FMT_JSON, &ev,
	    "{\"ts\":\"9999-12-31T23:59:59.999999Z\",\"event\":\"CLOSED\","
	    "\"flow\":\"CLygHa16AHYF\",\"by\":\"server\","
	    "\"client_ip\":\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\",\"client_port\":65535,"
	    "\"server_ip\":\"2001:db8:1234:5678:9abc:def0:fedc:ba98\","
	    "\"server_port\":65535,"
	    "\"client_state\":\"ESTABLISHED\",\"server_state\":\"ESTABLISHED\","
	    "\"reason\":\"closing_timeout\",\"abnormal\":true,\"closed_by\":\"server\","
	    "\"duration\":18446744073709.551615,\"lifetime\":18446744073709.551615,"
	    "\"client_bytes\":18446744073709551615,"
	    "\"server_bytes\":18446744073709551615,\"client_pkts\":18446744073709551615,"
	    "\"server_pkts\":18446744073709551615,\"partial\":true,"
	    "\"conn_state\":\"" ESC80 ESC80 ESC80 ESC80 ESC80 ESC80 ESC80 ESC80 "\","
	    "\"history\":\"" ESCFF4 ESCFF4 ESCFF4 ESCFF4 ESCFF4 ESCFF4 "\"}\n");
	check_event("max_kv", FMT_KV, &ev,
	            "ts=9999-12-31T23:59:59.999999Z event=CLOSED flow=CLygHa16AHYF by=server "
	            "client_ip=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff client_port=65535 "
	            "server_ip=2001:db8:1234:5678:9abc:def0:fedc:ba98 server_port=65535 "
	            "client_state=ESTABLISHED server_state=ESTABLISHED reason=closing_timeout "
	            "abnormal=true closed_by=server duration=18446744073709.551615 "
	            "lifetime=18446744073709.551615 " MAXCOUNTS_K
	            "partial=true conn_state=???????? history=????????????????????????\n");
	check_event("max_text", FMT_TEXT, &ev,
	            "9999-12-31T23:59:59.999999Z CLygHa16AHYF CLOSED      "
	            "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535 < "
	            "[2001:db8:1234:5678:9abc:def0:fedc:ba98]:65535  reason=closing_timeout "
	            "closed_by=server duration=213503982d08h lifetime=213503982d08h "
	            "client 18446744073709551615B/18446744073709551615p "
	            "server 18446744073709551615B/18446744073709551615p " ESC80 ESC80 ESC80 ESC80
	                ESC80 ESC80 ESC80 ESC80 " " ESCFF4 ESCFF4 ESCFF4 ESCFF4 ESCFF4 ESCFF4
	            " partial\n");
	TEST_BEGIN("max_under_bound");
	for (f = 0; f < FMT_NFORMATS; f++) {
		size_t n = format_event((enum format)f, &ev, buf, sizeof(buf));

		CHECK(n > 0 && n < FORMAT_EVENT_MAX);
	}
	TEST_END();
}

/*
 * A buffer of FORMAT_EVENT_MAX bytes is written in place, a smaller one goes
 * through a copy: both give the same bytes, and neither writes past the NUL.
 */
static void
test_buffer_paths(void)
{
	struct event ev = base_event(TEV_CLOSED);
	char big[FORMAT_EVENT_MAX + 16], small[FORMAT_EVENT_MAX];
	size_t nb, ns;
	int f;

	ev.reason = CR_RST;
	memcpy(ev.history, "ShADr", 6);
	TEST_BEGIN("buffer_paths");
	for (f = 0; f < FMT_NFORMATS; f++) {
		memset(big, 'X', sizeof(big));
		memset(small, 'X', sizeof(small));
		nb = format_event((enum format)f, &ev, big, FORMAT_EVENT_MAX);
		ns = format_event((enum format)f, &ev, small, FORMAT_EVENT_MAX - 1);
		CHECK(nb > 0);
		CHECK_EQ_U(ns, nb);
		CHECK(memcmp(big, small, nb + 1) == 0);
		CHECK(big[nb + 1] == 'X' && small[ns + 1] == 'X');
		CHECK(big[FORMAT_EVENT_MAX] == 'X');
	}
	TEST_END();
}

/* Every name of event.c's tables comes out whole, wherever a name is written. */
static void
test_names_whole(void)
{
	struct event ev = base_event(TEV_CLOSED);
	char buf[FORMAT_EVENT_MAX], want[128];
	int i;

	TEST_BEGIN("names_whole");
	for (i = 0; i <= TEV_NTYPES; i++) {
		ev.type = (enum event_type)i;
		format_event(FMT_KV, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), " event=%s ", event_type_name(ev.type));
		CHECK(strstr(buf, want) != NULL);
		format_event(FMT_TEXT, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), " %s ", event_type_name(ev.type));
		CHECK(strstr(buf, want) != NULL);
	}
	ev.type = TEV_STATE;
	for (i = 0; i <= ST_NSTATES; i++) {
		ev.client_state = ev.server_state_was = (enum tcp_state)i;
		ev.client_state_was = ev.server_state =
		    (enum tcp_state)((i + 1) % (ST_NSTATES + 1));
		format_event(FMT_JSON, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), "\"client_state\":\"%s\",\"server_state\":\"%s\"}",
		         tcp_state_name(ev.client_state), tcp_state_name(ev.server_state));
		CHECK(strstr(buf, want) != NULL);
		format_event(FMT_TEXT, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), "client %s->%s  server %s->%s\n",
		         tcp_state_name(ev.client_state_was), tcp_state_name(ev.client_state),
		         tcp_state_name(ev.server_state_was), tcp_state_name(ev.server_state));
		CHECK(strstr(buf, want) != NULL);
	}
	ev.type = TEV_CLOSED;
	for (i = 0; i <= CR_NREASONS; i++) {
		ev.reason = (enum close_reason)i;
		ev.closed_by = (enum side)(i % 4);
		format_event(FMT_KV, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), " reason=%s abnormal=false closed_by=%s ",
		         close_reason_name(ev.reason), side_name(ev.closed_by));
		CHECK(strstr(buf, want) != NULL);
		format_event(FMT_TEXT, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), "  reason=%s closed_by=%s ",
		         close_reason_name(ev.reason), side_name(ev.closed_by));
		CHECK(strstr(buf, want) != NULL);
	}
	TEST_END();
}

/* Numbers at the edges of their digit counts and of 32 bits, and durations. */
static void
test_numbers(void)
{
	static const struct {
		uint64_t v;
		const char *s;
	} nums[] = {
	    {0, "0"},
	    {9, "9"},
	    {10, "10"},
	    {99, "99"},
	    {100, "100"},
	    {999, "999"},
	    {1000, "1000"},
	    {99999, "99999"},
	    {100000, "100000"},
	    {999999999, "999999999"},
	    {1000000000, "1000000000"},
	    {4294967295ULL, "4294967295"},
	    {4294967296ULL, "4294967296"},
	    {9999999999ULL, "9999999999"},
	    {10000000000ULL, "10000000000"},
	    {1000000000000000000ULL, "1000000000000000000"},
	    {9999999999999999999ULL, "9999999999999999999"},
	    {10000000000000000000ULL, "10000000000000000000"},
	    {UINT64_MAX, "18446744073709551615"},
	};
	static const struct {
		uint64_t us;
		const char *json, *text;
	} durs[] = {
	    {0, "0.000000", "0.000s"},
	    {999, "0.000999", "0.000s"},
	    {1000, "0.001000", "0.001s"},
	    {999999, "0.999999", "0.999s"},
	    {1000000, "1.000000", "1.0s"},
	    {34299999, "34.299999", "34.2s"},
	    {59999999, "59.999999", "59.9s"},
	    {60000000, "60.000000", "1m00s"},
	    {307999999, "307.999999", "5m07s"},
	    {3599999999ULL, "3599.999999", "59m59s"},
	    {3600000000ULL, "3600.000000", "1h00m"},
	    {7380000000ULL, "7380.000000", "2h03m"},
	    {86399999999ULL, "86399.999999", "23h59m"},
	    {86400000000ULL, "86400.000000", "1d00h"},
	    {4294967296000001ULL, "4294967296.000001", "49710d06h"},
	};
	struct event ev = base_event(TEV_UPDATE);
	char buf[FORMAT_EVENT_MAX], want[128];
	size_t i;

	TEST_BEGIN("numbers");
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		ev.client.bytes = nums[i].v;
		ev.server.pkts = nums[i].v;
		format_event(FMT_JSON, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), "\"client_bytes\":%s,", nums[i].s);
		CHECK(strstr(buf, want) != NULL);
		snprintf(want, sizeof(want), "\"server_pkts\":%s,", nums[i].s);
		CHECK(strstr(buf, want) != NULL);
		format_event(FMT_TEXT, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), " client %sB/0p server 0B/%sp\n", nums[i].s,
		         nums[i].s);
		CHECK(strstr(buf, want) != NULL);
	}
	for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		ev.duration_us = durs[i].us;
		format_event(FMT_KV, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), " duration=%s ", durs[i].json);
		CHECK(strstr(buf, want) != NULL);
		format_event(FMT_TEXT, &ev, buf, sizeof(buf));
		snprintf(want, sizeof(want), "  duration=%s client ", durs[i].text);
		CHECK(strstr(buf, want) != NULL);
	}
	TEST_END();
}

static void
test_bad_input(void)
{
	struct event ev = base_event(TEV_RST);
	char buf[512];

	TEST_BEGIN("bad_input");
	ev.family = 5; /* no such address family: nothing, not garbage */
	CHECK_EQ_U(format_event(FMT_JSON, &ev, buf, sizeof(buf)), 0);
	ev.family = 4;
	CHECK_EQ_U(format_event(FMT_NFORMATS, &ev, buf, sizeof(buf)), 0);
	CHECK_EQ_S(buf, "");
	ev.type = TEV_NTYPES;
	ev.client_state = (enum tcp_state)99;
	ev.by = (enum side)7;
	CHECK(format_event(FMT_KV, &ev, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "event=? flow=C1YtudU73D5k by=? ") != NULL);
	CHECK(strstr(buf, "client_state=? ") != NULL);
	TEST_END();
}

static void
check_ts(const char *name, uint64_t us, const char *want)
{
	char buf[64];
	size_t cap;
	int caps_ok = 1;

	TEST_BEGIN(name);
	CHECK_EQ_U(format_ts(us, buf, sizeof(buf)), 27);
	CHECK_EQ_S(buf, want);
	for (cap = 0; cap < 28; cap++) {
		if (format_ts(us, buf, cap) != 0)
			caps_ok = 0;
	}
	CHECK(caps_ok);
	CHECK_EQ_U(format_ts(us, buf, 28), 27);
	TEST_END();
}

static void
test_ts(void)
{
	check_ts("ts_epoch", 0, "1970-01-01T00:00:00.000000Z");
	check_ts("ts_us_padding", 1000001, "1970-01-01T00:00:01.000001Z");
	check_ts("ts_us_max", 999999, "1970-01-01T00:00:00.999999Z");
	check_ts("ts_study_note", TS0, "2024-06-21T09:26:15.123456Z");
	check_ts("ts_leap_2000", 951782400ULL * 1000000, "2000-02-29T00:00:00.000000Z");
	check_ts("ts_leap_2024", 1709164800ULL * 1000000 + 10, "2024-02-29T00:00:00.000010Z");
	check_ts("ts_year_end", 1704067199ULL * 1000000 + 999999, "2023-12-31T23:59:59.999999Z");
	check_ts("ts_no_leap_2100", 4107542399ULL * 1000000, "2100-02-28T23:59:59.000000Z");
	check_ts("ts_after_2100_feb", 4107542400ULL * 1000000, "2100-03-01T00:00:00.000000Z");
	check_ts("ts_leap_2400", 13574606400ULL * 1000000, "2400-02-29T12:00:00.000000Z");
	check_ts("ts_2038_last", 2147483647ULL * 1000000, "2038-01-19T03:14:07.000000Z");
	check_ts("ts_2038_after", 2147483648ULL * 1000000 + 500000, "2038-01-19T03:14:08.500000Z");
	check_ts("ts_2106", 4294967296ULL * 1000000, "2106-02-07T06:28:16.000000Z");
	check_ts("ts_year_9999", 253402300799999999ULL, "9999-12-31T23:59:59.999999Z");
	check_ts("ts_clamped", 253402300800000000ULL, "9999-12-31T23:59:59.999999Z");
	check_ts("ts_clamped_max", UINT64_MAX, "9999-12-31T23:59:59.999999Z");
}

static void
check_ip6(const char *name, const char *hex, const char *want)
{
	uint8_t a[16];
	char buf[64];
	size_t i, cap, len = strlen(want);
	int caps_ok = 1;

	for (i = 0; i < 16; i++) {
		unsigned hi =
		    (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0'
		                                               : hex[2 * i + 1] - 'a' + 10);
		a[i] = (uint8_t)(hi << 4 | lo);
	}
	TEST_BEGIN(name);
	CHECK_EQ_U(format_ip(6, a, buf, sizeof(buf)), len);
	CHECK_EQ_S(buf, want);
	for (cap = 0; cap <= len; cap++) {
		if (format_ip(6, a, buf, cap) != 0)
			caps_ok = 0;
	}
	CHECK(caps_ok);
	TEST_END();
}

static void
test_ip(void)
{
	uint8_t a[16];
	char buf[64];

	check_ip6("ip6_unspecified", "00000000000000000000000000000000", "::");
	check_ip6("ip6_loopback", "00000000000000000000000000000001", "::1");
	check_ip6("ip6_doc", "20010db8000000000000000000000001", "2001:db8::1");
	check_ip6("ip6_trailing_run", "20010db8000000000000000000000000", "2001:db8::");
	check_ip6("ip6_one_zero_not_compressed", "20010db8000000010001000100010001",
	          "2001:db8:0:1:1:1:1:1");
	check_ip6("ip6_longest_run_last", "20010db8000000000001000000000000", "2001:db8:0:0:1::");
	check_ip6("ip6_longest_run_later", "20010000000000010000000000000001", "2001:0:0:1::1");
	check_ip6("ip6_first_of_equal_runs", "20010db8000000000001000000000001",
	          "2001:db8::1:0:0:1");
	check_ip6("ip6_leading_zeros_dropped", "20010db800aa000b000c000d000e00f0",
	          "2001:db8:aa:b:c:d:e:f0");
	check_ip6("ip6_lowercase", "fe80000000000000abcdef0123456789", "fe80::abcd:ef01:2345:6789");
	check_ip6("ip6_no_zero", "ffffffffffffffffffffffffffffffff",
	          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	check_ip6("ip6_mapped_v4", "00000000000000000000ffffc000020a", "::ffff:192.0.2.10");
	check_ip6("ip6_mapped_v4_zero", "00000000000000000000ffff00000000", "::ffff:0.0.0.0");
	check_ip6("ip6_not_mapped", "00000000000000000001ffffc000020a", "::1:ffff:c000:20a");
	check_ip6("ip6_middle_run", "00010000000000020000000000000003", "1:0:0:2::3");

	TEST_BEGIN("ip4");
	v4(a, 0, 0, 0, 0);
	CHECK_EQ_U(format_ip(4, a, buf, sizeof(buf)), 7);
	CHECK_EQ_S(buf, "0.0.0.0");
	v4(a, 255, 255, 255, 255);
	CHECK_EQ_U(format_ip(4, a, buf, sizeof(buf)), 15);
	CHECK_EQ_S(buf, "255.255.255.255");
	CHECK_EQ_U(format_ip(4, a, buf, 15), 0);
	CHECK_EQ_U(format_ip(4, a, buf, 16), 15);
	v4(a, 10, 0, 100, 9);
	CHECK_EQ_U(format_ip(4, a, buf, sizeof(buf)), 10);
	CHECK_EQ_S(buf, "10.0.100.9");
	v4(a, 9, 99, 100, 109);
	CHECK_EQ_U(format_ip(4, a, buf, sizeof(buf)), 12);
	CHECK_EQ_S(buf, "9.99.100.109");
	v4(a, 199, 200, 250, 1);
	CHECK_EQ_U(format_ip(4, a, buf, sizeof(buf)), 13);
	CHECK_EQ_S(buf, "199.200.250.1");
	CHECK_EQ_U(format_ip(0, a, buf, sizeof(buf)), 0);
	TEST_END();
}

static void
test_flow_id(void)
{
	char buf[16];

	TEST_BEGIN("flow_id");
	CHECK_EQ_U(format_flow_id(0, buf, sizeof(buf)), 2);
	CHECK_EQ_S(buf, "C0");
	CHECK_EQ_U(format_flow_id(61, buf, sizeof(buf)), 2);
	CHECK_EQ_S(buf, "Cz");
	CHECK_EQ_U(format_flow_id(62, buf, sizeof(buf)), 3);
	CHECK_EQ_S(buf, "C10");
	CHECK_EQ_U(format_flow_id(1000000007, buf, sizeof(buf)), 7);
	CHECK_EQ_S(buf, "C15ftgN");
	CHECK_EQ_U(format_flow_id(FLOW0, buf, sizeof(buf)), 12);
	CHECK_EQ_S(buf, "C1YtudU73D5k");
	CHECK_EQ_U(format_flow_id(UINT64_MAX, buf, sizeof(buf)), 12);
	CHECK_EQ_S(buf, "CLygHa16AHYF");
	CHECK_EQ_U(format_flow_id(916132831, buf, sizeof(buf)), 6); /* 62^5 - 1 */
	CHECK_EQ_S(buf, "Czzzzz");
	CHECK_EQ_U(format_flow_id(916132832, buf, sizeof(buf)), 7);
	CHECK_EQ_S(buf, "C100000");
	CHECK_EQ_U(format_flow_id(4294967295ULL, buf, sizeof(buf)), 7);
	CHECK_EQ_S(buf, "C4gfFC3");
	CHECK_EQ_U(format_flow_id(4294967296ULL, buf, sizeof(buf)), 7);
	CHECK_EQ_S(buf, "C4gfFC4");
	CHECK_EQ_U(format_flow_id(839299365868340223ULL, buf, sizeof(buf)), 11); /* 62^10 - 1 */
	CHECK_EQ_S(buf, "Czzzzzzzzzz");
	CHECK_EQ_U(format_flow_id(839299365868340224ULL, buf, sizeof(buf)), 12);
	CHECK_EQ_S(buf, "C10000000000");
	CHECK_EQ_U(format_flow_id(UINT64_MAX, buf, 12), 0);
	CHECK_EQ_U(format_flow_id(UINT64_MAX, buf, 13), 12);
	TEST_END();
}

static void
check_escape(const char *name, const char *in, const char *want)
{
	char buf[128];
	size_t cap, len = strlen(want);
	int caps_ok = 1;

	TEST_BEGIN(name);
	CHECK_EQ_U(format_json_escape(in, buf, sizeof(buf)), len);
	CHECK_EQ_S(buf, want);
	for (cap = 0; cap <= len; cap++) {
		if (format_json_escape(in, buf, cap) != 0)
			caps_ok = 0;
	}
	CHECK(caps_ok);
	TEST_END();
}

static void
test_escape(void)
{
	check_escape("esc_plain", "eth0", "eth0");
	check_escape("esc_empty", "", "");
	check_escape("esc_quote_backslash", "a\"b\\c", "a\\\"b\\\\c");
	check_escape("esc_controls", "\x01\t\n\r\x1f\x7f",
	             "\\u0001\\u0009\\u000a\\u000d\\u001f\\u007f");
	check_escape("esc_utf8_kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	             "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check_escape("esc_lone_continuation", "a\x80z", "a\\u0080z");
	check_escape("esc_truncated_seq", "\xe2\x82", "\\u00e2\\u0082");
	check_escape("esc_overlong", "\xc0\xaf\xe0\x80\xaf", "\\u00c0\\u00af\\u00e0\\u0080\\u00af");
	check_escape("esc_surrogate", "\xed\xa0\x80", "\\u00ed\\u00a0\\u0080");
	check_escape("esc_above_max", "\xf4\x90\x80\x80\xf5",
	             "\\u00f4\\u0090\\u0080\\u0080\\u00f5");
	check_escape("esc_max_ok", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	check_escape("esc_ff", "\xff\xfe", "\\u00ff\\u00fe");
}

static void
test_suppressed(void)
{
	struct suppressed s;
	char buf[256];
	size_t n, cap;
	int caps_ok = 1;

	memset(&s, 0, sizeof(s));
	s.ts_us = TS0;
	s.window_s = 10;
	s.total = 1532;
	s.by_type[TEV_RST] = 1500;
	s.by_type[TEV_CLOSED] = 32;
	TEST_BEGIN("suppressed");
	n = report_format(FMT_JSON, REPORT_SUPPRESSED_OF(&s), buf, sizeof(buf));
	CHECK_EQ_S(buf,
	           "{\"ts\":\"2024-06-21T09:26:15.123456Z\",\"event\":\"SUPPRESSED\","
	           "\"suppressed\":1532,\"window\":10,\"types\":{\"RST\":1500,\"CLOSED\":32}}\n");
	CHECK_EQ_U(n, strlen(buf));
	for (cap = 0; cap <= n; cap++) {
		if (report_format(FMT_JSON, REPORT_SUPPRESSED_OF(&s), buf, cap) != 0)
			caps_ok = 0;
	}
	CHECK(caps_ok);
	report_format(FMT_KV, REPORT_SUPPRESSED_OF(&s), buf, sizeof(buf));
	CHECK_EQ_S(buf, "ts=2024-06-21T09:26:15.123456Z event=SUPPRESSED suppressed=1532 window=10 "
	                "types=RST:1500,CLOSED:32\n");
	report_format(FMT_TEXT, REPORT_SUPPRESSED_OF(&s), buf, sizeof(buf));
	CHECK_EQ_S(buf, "2024-06-21T09:26:15.123456Z suppressed 1532 events in 10 s "
	                "(RST 1500, CLOSED 32)\n");
	CHECK_EQ_U(report_format(REPORT_MESSAGE, REPORT_SUPPRESSED_OF(&s), buf, sizeof(buf)),
	           strlen("suppressed 1532 events in 10 s (RST 1500, CLOSED 32)"));
	CHECK_EQ_S(buf, "suppressed 1532 events in 10 s (RST 1500, CLOSED 32)");
	memset(&s.by_type, 0, sizeof(s.by_type));
	s.total = 1;
	s.by_type[TEV_SYN] = 1;
	s.window_s = 60;
	report_format(REPORT_MESSAGE, REPORT_SUPPRESSED_OF(&s), buf, sizeof(buf));
	CHECK_EQ_S(buf, "suppressed 1 event in 60 s (SYN 1)");
	TEST_END();
}

/*
 * A tunnelled connection's records name the tunnel after the endpoints (its
 * type, outer pair, and id when the header has one); and the longest such
 * record, an IPv6 outer pair on the max event, still fits FORMAT_EVENT_MAX.
 */
static void
test_tunnel(void)
{
	static const uint8_t full6[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct event ev = base_event(TEV_SYN);
	char buf[FORMAT_EVENT_MAX];
	int f;

	ev.tun.type = TUN_VXLAN;
	ev.tun.family = 4;
	ev.tun.flags = TUNF_ID;
	ev.tun.id = 5001;
	v4(ev.tun.saddr, 203, 0, 113, 1);
	v4(ev.tun.daddr, 203, 0, 113, 2);
	check_event("tunnel_json", FMT_JSON, &ev,
	            HEAD_J "\"SYN\",\"flow\":\"C1YtudU73D5k\",\"by\":\"client\","
	                   "\"client_ip\":\"192.168.42.108\",\"client_port\":45714,"
	                   "\"server_ip\":\"192.168.42.109\",\"server_port\":8000,"
	                   "\"tunnel\":\"vxlan\",\"tunnel_src_ip\":\"203.0.113.1\","
	                   "\"tunnel_dst_ip\":\"203.0.113.2\",\"tunnel_id\":5001,"
	                   "\"client_state\":\"ESTABLISHED\",\"server_state\":\"ESTABLISHED\"}\n");
	check_event("tunnel_kv", FMT_KV, &ev,
	            HEAD_K "SYN flow=C1YtudU73D5k by=client client_ip=192.168.42.108 "
	                   "client_port=45714 server_ip=192.168.42.109 server_port=8000 "
	                   "tunnel=vxlan tunnel_src_ip=203.0.113.1 tunnel_dst_ip=203.0.113.2 "
	                   "tunnel_id=5001 client_state=ESTABLISHED server_state=ESTABLISHED\n");
	check_event("tunnel_text", FMT_TEXT, &ev,
	            HEAD_T "SYN         192.168.42.108:45714 > 192.168.42.109:8000 via vxlan "
	                   "203.0.113.1-203.0.113.2 id=5001  client ESTABLISHED  server ESTABLISHED\n");
	/* No id in the header (plain GRE): no tunnel_id. */
	ev.tun.type = TUN_GRE;
	ev.tun.flags = 0;
	check_event("tunnel_noid_kv", FMT_KV, &ev,
	            HEAD_K "SYN flow=C1YtudU73D5k by=client client_ip=192.168.42.108 "
	                   "client_port=45714 server_ip=192.168.42.109 server_port=8000 "
	                   "tunnel=gre tunnel_src_ip=203.0.113.1 tunnel_dst_ip=203.0.113.2 "
	                   "client_state=ESTABLISHED server_state=ESTABLISHED\n");

	ev = base_event(TEV_CLOSED);
	ev.ts_us = UINT64_MAX;
	ev.flow_id = UINT64_MAX;
	ev.family = 6;
	memcpy(ev.client_ip, full6, 16);
	memcpy(ev.server_ip, full6, 16);
	ev.reason = CR_CLOSING_TIMEOUT;
	ev.duration_us = UINT64_MAX;
	ev.client.bytes = ev.client.pkts = ev.client.missed = UINT64_MAX;
	ev.server.bytes = ev.server.pkts = ev.server.missed = UINT64_MAX;
	memset(ev.conn_state, 0x80, sizeof(ev.conn_state));
	memset(ev.history, 0xff, sizeof(ev.history));
	ev.tun.type = TUN_GENEVE;
	ev.tun.family = 6;
	ev.tun.flags = TUNF_ID;
	ev.tun.id = UINT32_MAX;
	memcpy(ev.tun.saddr, full6, 16);
	memcpy(ev.tun.daddr, full6, 16);
	TEST_BEGIN("tunnel_max_under_bound");
	for (f = 0; f < FMT_NFORMATS; f++) {
		size_t n = format_event((enum format)f, &ev, buf, sizeof(buf));

		CHECK(n > 0 && n < FORMAT_EVENT_MAX);
	}
	TEST_END();
}

int
main(void)
{
	test_names();
	test_syn();
	test_syn_ack();
	test_middle_events();
	test_closed();
	test_segment_and_v6();
	test_max_event();
	test_tunnel();
	test_buffer_paths();
	test_names_whole();
	test_numbers();
	test_bad_input();
	test_ts();
	test_ip();
	test_flow_id();
	test_escape();
	test_suppressed();
	TEST_EXIT();
}
