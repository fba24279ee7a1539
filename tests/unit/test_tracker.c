/*
 * test_tracker.c - the tracker's state machines, row by row, from segments
 * built in memory. Each case lists the events it must produce as
 * "TYPE by client_state server_state" strings, CLOSED with its reason.
 */
#include <stdint.h>
#include <string.h>

#include "../testhelp.h"
#include "event.h"
#include "tracker.h"

#define C 0 /* the client sends */
#define S 1 /* the server sends */

static char got[4096];
static struct event last_closed;
static int nclosed, nupdate;
static uint64_t named, named_ids; /* CLOSED records that name a tunnel, and the sum of its ids */

static void
record_cb(const struct event *ev, void *arg)
{
	char line[256];

	(void)arg;
	if (ev->type == TEV_UPDATE) {
		nupdate++;
		return;
	}
	if (ev->type == TEV_CLOSED) {
		snprintf(line, sizeof line, "CLOSED %s %s %s %s by=%s|", close_reason_name(ev->reason),
		    side_name(ev->closed_by), tcp_state_name(ev->client_state),
		    tcp_state_name(ev->server_state), ev->conn_state);
		last_closed = *ev;
		nclosed++;
		if (ev->tun.type != TUN_NONE) {
			named++;
			named_ids += ev->tun.id;
		}
	} else {
		snprintf(line, sizeof line, "%s %s %s %s|", event_type_name(ev->type), side_name(ev->by),
		    tcp_state_name(ev->client_state), tcp_state_name(ev->server_state));
	}
	strncat(got, line, sizeof got - strlen(got) - 1);
}

static struct tracker *tr;
static struct tunnel tun; /* the client's segments' tunnel; type TUN_NONE: none */
static uint64_t now_us;
static uint32_t cseq, sseq; /* next sequence number of each side */

static void
start_cfg(const struct tracker_config *cfg)
{
	char err[128];

	tracker_free(tr);
	tr = tracker_new(cfg, record_cb, NULL, err, sizeof err);
	got[0] = '\0';
	nclosed = nupdate = 0;
	now_us = 1700000000ULL * 1000000;
	cseq = 1000;
	sseq = 5000;
}

static void
start(uint32_t max_flows)
{
	struct tracker_config cfg;

	tracker_config_default(&cfg);
	cfg.max_flows = max_flows;
	start_cfg(&cfg);
}

/* Send a segment from side `from` with flags, len payload bytes at the side's next seq. */
static void
seg_full(int from, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, uint16_t cport)
{
	struct segment s;
	uint8_t cip[16] = { 10, 0, 0, 1 }, sip[16] = { 10, 0, 0, 2 };

	memset(&s, 0, sizeof s);
	now_us += 1000;
	s.ts_us = now_us;
	s.family = 4;
	memcpy(from == C ? s.saddr : s.daddr, cip, 16);
	memcpy(from == C ? s.daddr : s.saddr, sip, 16);
	s.sport = from == C ? cport : 80;
	s.dport = from == C ? 80 : cport;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.len = len;
	s.win = 1000;
	if (tun.type != TUN_NONE) {
		/* the server's replies go back the other way, with their own TEID */
		s.tun = tun;
		if (from == S && tun.type != TUN_ERSPAN) {
			memcpy(s.tun.saddr, tun.daddr, 16);
			memcpy(s.tun.daddr, tun.saddr, 16);
		}
		if (from == S && tun.type == TUN_GTPU)
			s.tun.id++;
	}
	tracker_segment(tr, &s);
}

/* From now on, the client's segments come through a tunnel of type t, id. */
static void
tunnel(int t, uint32_t id)
{
	static const uint8_t a[16] = {203, 0, 113, 1}, b[16] = {203, 0, 113, 2};

	memset(&tun, 0, sizeof tun);
	tun.type = (uint8_t)t;
	tun.family = 4;
	tun.id = id;
	tun.flags = t == TUN_IPIP ? 0 : TUNF_ID;
	tun.depth = t == TUN_NONE ? 0 : 1;
	memcpy(tun.saddr, a, 16);
	memcpy(tun.daddr, b, 16);
}

/* The usual case: next sequence numbers, advancing them. */
static void
seg(int from, uint8_t flags, uint32_t len)
{
	uint32_t *mine = from == C ? &cseq : &sseq, *theirs = from == C ? &sseq : &cseq;

	seg_full(from, flags, *mine, flags & TH_ACK ? *theirs : 0, len, 40000);
	*mine += len + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
}

static void
handshake(void)
{
	seg(C, TH_SYN, 0);
	seg(S, TH_SYN | TH_ACK, 0);
	seg(C, TH_ACK, 0);
}

/*
 * One handshake of the same inner 4-tuple in each of two tunnels (t1, id1)
 * and (t2, id2): want_flows connections come of the two.
 */
static void
two_overlays(const char *name, int t1, uint32_t id1, int t2, uint32_t id2, uint64_t want_flows)
{
	start(64);
	tunnel(t1, id1);
	handshake();
	tunnel(t2, id2);
	cseq = 1000;
	sseq = 5000;
	handshake();
	TEST_BEGIN(name);
	CHECK_EQ_U(tracker_stats(tr)->flows_active, want_flows);
	CHECK_EQ_U(tracker_stats(tr)->duplicates, 0);
	/* each is filed under its overlay's hash, and found there to be removed */
	tracker_flush(tr, now_us, CR_SHUTDOWN);
	CHECK_EQ_U((uint64_t)nclosed, want_flows);
	CHECK_EQ_U(tracker_stats(tr)->flows_active, 0);
	TEST_END();
	tunnel(TUN_NONE, 0);
}

#define HS "SYN client SYN_SENT LISTEN|SYN_ACK server SYN_SENT SYN_RCVD|" \
	"ESTABLISHED client ESTABLISHED SYN_RCVD|ESTABLISHED server ESTABLISHED ESTABLISHED|"

#define EXPECT(name, want) do { TEST_BEGIN(name); CHECK_EQ_S(got, want); TEST_END(); } while (0)

int
main(void)
{
	start(64);
	handshake();
	EXPECT("open", HS);

	/* The tunnel is part of the key: replies, coming back the other way, find their flow. */
	start(64);
	tunnel(TUN_VXLAN, 100);
	handshake();
	EXPECT("vxlan open", HS);
	start(64);
	tunnel(TUN_GTPU, 0x1000);
	handshake();
	EXPECT("gtpu open, a TEID each way", HS);
	start(64);
	tunnel(TUN_ERSPAN, 7);
	handshake();
	EXPECT("erspan open, the mirror's pair both ways", HS);
	tunnel(TUN_NONE, 0);
	two_overlays("two vnis, two connections", TUN_VXLAN, 100, TUN_VXLAN, 200, 2);
	two_overlays("one vni, one connection", TUN_VXLAN, 100, TUN_VXLAN, 100, 1);
	two_overlays("vxlan and geneve vni 100, two", TUN_VXLAN, 100, TUN_GENEVE, 100, 2);
	two_overlays("tunnelled and not, two", TUN_NONE, 0, TUN_GRE, 0, 2);
	two_overlays("gtpu, the teid left out: one", TUN_GTPU, 0x1000, TUN_GTPU, 0x2000, 1);

	/*
	 * The records name the tunnel. Its table frees a tunnel with its last
	 * flow: 10000 VNIs, far more than it holds at once, come and go through
	 * a table of 16 flows (each evicted by the next), and every CLOSED names
	 * its own VNI.
	 */
	start(16);
	named = named_ids = 0;
	for (uint32_t vni = 1000; vni < 11000; vni++) {
		tunnel(TUN_VXLAN, vni);
		cseq = 1000;
		sseq = 5000;
		handshake();
	}
	tracker_flush(tr, now_us, CR_SHUTDOWN);
	TEST_BEGIN("every record names its tunnel, through 10000 of them");
	CHECK_EQ_U((uint64_t)nclosed, 10000);
	CHECK_EQ_U(named, 10000);
	CHECK_EQ_U(named_ids, 10000ULL * 1000 + 9999ULL * 10000 / 2);
	CHECK_EQ_U(last_closed.tun.family, 4);
	CHECK_EQ_U(last_closed.tun.flags, TUNF_ID);
	TEST_END();
	tunnel(TUN_NONE, 0);

	start(64);
	handshake();
	seg(C, TH_ACK | TH_PSH, 3);
	seg(S, TH_ACK | TH_PSH, 492);
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK, 0);
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK, 0);
	EXPECT("client closes first", HS
	    "FIN client FIN_WAIT_1 ESTABLISHED|STATE server FIN_WAIT_1 CLOSE_WAIT|"
	    "STATE client FIN_WAIT_2 CLOSE_WAIT|"
	    "FIN server FIN_WAIT_2 LAST_ACK|TIME_WAIT client TIME_WAIT LAST_ACK|"
	    "STATE server TIME_WAIT CLOSED|CLOSED fin client TIME_WAIT CLOSED by=SF|");
	TEST_BEGIN("bytes by sequence space");
	CHECK_EQ_U(last_closed.client.bytes, 3);
	CHECK_EQ_U(last_closed.server.bytes, 492);
	CHECK_EQ_U(last_closed.client.pkts, 5);
	CHECK_EQ_U(last_closed.server.pkts, 4);
	CHECK_EQ_S(last_closed.history, "ShADdFaf");
	TEST_END();

	/* Bytes are kept as the distance from the ISN plus a count of 4 GB wraps. */
	start(64);
	handshake();
	{
		uint64_t i, n = 90000; /* 5.4 GB in 60000-byte segments */

		for (i = 0; i < n; i++) {
			seg(C, TH_ACK, 60000);
			seg(S, TH_ACK, 0);
		}
		seg(C, TH_ACK | TH_FIN, 0);
		seg(S, TH_ACK | TH_FIN, 0);
		seg(C, TH_ACK, 0);
		TEST_BEGIN("bytes past 4 GB of sequence space");
		CHECK_EQ_U(last_closed.client.bytes, n * 60000);
		CHECK_EQ_U(last_closed.server.bytes, 0);
		CHECK_EQ_U(last_closed.client.pkts, n + 4);
		TEST_END();
	}

	start(64);
	handshake();
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK, 0);
	EXPECT("three-segment close, server first", HS
	    "FIN server ESTABLISHED FIN_WAIT_1|STATE client CLOSE_WAIT FIN_WAIT_1|"
	    "FIN client LAST_ACK FIN_WAIT_1|TIME_WAIT server LAST_ACK TIME_WAIT|"
	    "STATE client CLOSED TIME_WAIT|CLOSED fin server CLOSED TIME_WAIT by=SF|");

	start(64);
	handshake();
	{
		uint32_t c = cseq, s = sseq;
		seg_full(C, TH_ACK | TH_FIN, c, s, 0, 40000);
		seg_full(S, TH_ACK | TH_FIN, s, c, 0, 40000); /* crossed: acks nothing new */
		seg_full(C, TH_ACK, c + 1, s + 1, 0, 40000);
		seg_full(S, TH_ACK, s + 1, c + 1, 0, 40000);
	}
	EXPECT("simultaneous close", HS
	    "FIN client FIN_WAIT_1 ESTABLISHED|"
	    "FIN server FIN_WAIT_1 FIN_WAIT_1|STATE client CLOSING FIN_WAIT_1|"
	    "STATE server CLOSING CLOSING|TIME_WAIT server CLOSING TIME_WAIT|"
	    "TIME_WAIT client TIME_WAIT TIME_WAIT|CLOSED fin client TIME_WAIT TIME_WAIT by=SF|");

	start(64);
	seg(C, TH_SYN, 0);
	seg_full(S, TH_RST | TH_ACK, 0, cseq, 0, 40000);
	EXPECT("refused", "SYN client SYN_SENT LISTEN|RST server CLOSED CLOSED|"
	    "CLOSED refused server CLOSED CLOSED by=REJ|");

	start(64);
	seg(C, TH_SYN, 0);
	seg_full(S, TH_RST | TH_ACK, 0, cseq + 7, 0, 40000);
	EXPECT("refusal that does not ack the SYN is ignored", "SYN client SYN_SENT LISTEN|");

	start(64);
	seg(C, TH_SYN, 0);
	seg_full(C, TH_SYN, 1000, 0, 0, 40000);
	seg_full(C, TH_SYN, 1000, 0, 0, 40000);
	EXPECT("retransmitted SYN: no new event", "SYN client SYN_SENT LISTEN|");
	TEST_BEGIN("retransmitted SYN counted");
	CHECK(tracker_stats(tr)->retransmits + tracker_stats(tr)->duplicates == 2);
	TEST_END();

	start(64);
	seg(C, TH_SYN, 0);
	now_us += 31ULL * 1000000;
	tracker_advance(tr, now_us);
	EXPECT("syn timeout", "SYN client SYN_SENT LISTEN|CLOSED syn_timeout none SYN_SENT LISTEN by=S0|");

	start(64);
	seg(C, TH_SYN, 0);
	now_us += 31ULL * 1000000;
	tracker_advance(tr, now_us);
	seg_full(C, TH_SYN, 1000, 0, 0, 40000);
	EXPECT("SYN retransmitted after its timeout: absorbed",
	    "SYN client SYN_SENT LISTEN|CLOSED syn_timeout none SYN_SENT LISTEN by=S0|");

	start(64);
	handshake();
	seg(C, TH_ACK | TH_RST, 0);
	EXPECT("client aborts", HS "RST client CLOSED CLOSED|CLOSED rst client CLOSED CLOSED by=RSTO|");

	start(64);
	handshake();
	seg(S, TH_ACK | TH_RST, 0);
	EXPECT("server aborts", HS "RST server CLOSED CLOSED|CLOSED rst server CLOSED CLOSED by=RSTR|");

	start(64);
	handshake();
	seg_full(S, TH_RST, sseq + 5000000, 0, 0, 40000);
	seg(C, TH_ACK | TH_FIN, 0);
	EXPECT("out-of-window RST ignored", HS "FIN client FIN_WAIT_1 ESTABLISHED|");
	TEST_BEGIN("out-of-window RST counted");
	CHECK_EQ_U(tracker_stats(tr)->rst_out_of_window, 1);
	TEST_END();

	start(64);
	handshake();
	seg(S, TH_ACK | TH_FIN, 0);
	seg_full(S, TH_RST, sseq - 1, 0, 0, 40000); /* at the FIN's seq: what the client acked */
	EXPECT("RST at the receiver's ack is in window", HS "FIN server ESTABLISHED FIN_WAIT_1|"
	    "RST server CLOSED CLOSED|CLOSED rst server CLOSED CLOSED by=RSTR|");

	start(64);
	handshake();
	seg(C, TH_ACK | TH_RST, 0);
	now_us += 5ULL * 1000000;
	seg(C, TH_ACK | TH_PSH, 10);
	TEST_BEGIN("what trails a RST is absorbed and counted");
	CHECK_EQ_U(tracker_stats(tr)->after_close, 1);
	CHECK_EQ_U(tracker_stats(tr)->flows_created, 1);
	TEST_END();
	now_us += 11ULL * 1000000;
	seg(C, TH_ACK | TH_PSH, 10);
	TEST_BEGIN("after the linger a reset 4-tuple is new traffic");
	CHECK_EQ_U(tracker_stats(tr)->flows_created, 2);
	TEST_END();

	start(64);
	handshake();
	seg_full(S, TH_ACK | TH_FIN, sseq + 0x80000000u, cseq, 0, 40000);
	/* An ACK ahead is evidence of missed data up to 1 GB (SEQ_JUMP_MAX), not beyond. */
	seg_full(C, TH_ACK, cseq, sseq + 0x60000000u, 0, 40000);
	EXPECT("FIN and ACK far outside the window change nothing", HS);
	TEST_BEGIN("out-of-window segments counted");
	CHECK_EQ_U(tracker_stats(tr)->out_of_window, 2);
	TEST_END();

	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK | TH_RST, 0);
	EXPECT("RST after a half-close", HS "FIN client FIN_WAIT_1 ESTABLISHED|"
	    "RST server CLOSED CLOSED|CLOSED rst server CLOSED CLOSED by=RSTR|");

	start(64);
	seg(C, TH_SYN, 0);
	seg(S, TH_SYN | TH_ACK, 0);
	seg(S, TH_RST, 0);
	EXPECT("RST in SYN_RCVD", "SYN client SYN_SENT LISTEN|SYN_ACK server SYN_SENT SYN_RCVD|"
	    "RST server CLOSED CLOSED|"
	    "CLOSED rst server CLOSED CLOSED by=RSTR|");

	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK, 0);
	got[0] = '\0';
	seg(C, TH_ACK | TH_RST, 0);
	EXPECT("RST after the close is noise", "");

	start(64);
	seg(C, TH_SYN, 0);
	{
		uint32_t c = cseq, s = sseq;
		seg_full(S, TH_SYN, s, 0, 0, 40000);
		seg_full(C, TH_SYN | TH_ACK, c - 1, s + 1, 0, 40000);
		seg_full(S, TH_SYN | TH_ACK, s, c, 0, 40000);
	}
	seg_full(C, TH_ACK, cseq, sseq + 1, 0, 40000);
	EXPECT("simultaneous open", "SYN client SYN_SENT LISTEN|SYN server SYN_SENT SYN_SENT|"
	    "STATE client SYN_RCVD SYN_SENT|"
	    "SYN_ACK server SYN_RCVD SYN_RCVD|ESTABLISHED client ESTABLISHED SYN_RCVD|"
	    "ESTABLISHED server ESTABLISHED ESTABLISHED|");

	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK, 0);
	seg(S, TH_ACK | TH_PSH, 100);
	seg(C, TH_ACK, 0);
	seg(S, TH_ACK | TH_PSH | TH_FIN, 50);
	seg(C, TH_ACK, 0);
	EXPECT("half-close with data, FIN with data", HS "FIN client FIN_WAIT_1 ESTABLISHED|STATE server FIN_WAIT_1 CLOSE_WAIT|"
	    "STATE client FIN_WAIT_2 CLOSE_WAIT|FIN server FIN_WAIT_2 LAST_ACK|"
	    "TIME_WAIT client TIME_WAIT LAST_ACK|STATE server TIME_WAIT CLOSED|"
	    "CLOSED fin client TIME_WAIT CLOSED by=SF|");
	TEST_BEGIN("half-close bytes");
	CHECK_EQ_U(last_closed.server.bytes, 150);
	TEST_END();

	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	cseq--;
	seg(C, TH_ACK | TH_FIN, 0);
	EXPECT("retransmitted FIN", HS "FIN client FIN_WAIT_1 ESTABLISHED|");

	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK, 0);
	got[0] = '\0';
	cseq = 90000;
	seg_full(C, TH_SYN, 90000, 0, 0, 40000);
	EXPECT("new SYN on a TIME_WAIT 4-tuple starts a new connection", "SYN client SYN_SENT LISTEN|");
	TEST_BEGIN("new connection, new id");
	CHECK_EQ_U(tracker_stats(tr)->flows_created, 2);
	TEST_END();

	start(64);
	handshake();
	got[0] = '\0';
	seg_full(C, TH_SYN, 777777, 0, 0, 40000);
	EXPECT("a SYN on an established 4-tuple is challenged, not obeyed", "");
	TEST_BEGIN("challenged SYN counted");
	CHECK_EQ_U(tracker_stats(tr)->syn_ignored, 1);
	TEST_END();

	start(64);
	handshake();
	seg(C, TH_ACK | TH_PSH, 10);
	seg_full(C, TH_ACK, cseq - 1, sseq, 1, 40000); /* keepalive */
	seg_full(C, TH_ACK, cseq - 1, sseq, 0, 40000);
	seg_full(S, TH_ACK, sseq, cseq, 0, 40000);
	EXPECT("keepalives change nothing", HS);
	TEST_BEGIN("keepalive is not a retransmission");
	CHECK_EQ_U(tracker_stats(tr)->retransmits, 0);
	TEST_END();

	start(64);
	handshake();
	seg(C, TH_ACK | TH_PSH, 10);
	seg_full(C, TH_ACK | TH_PSH, cseq - 10, sseq, 10, 40000);
	now_us += 5000;
	seg_full(C, TH_ACK | TH_PSH, cseq - 10, sseq, 10, 40000);
	seg(C, TH_ACK | TH_RST, 0);
	TEST_BEGIN("duplicate and retransmission count once");
	CHECK_EQ_U(last_closed.client.bytes, 10);
	CHECK_EQ_U(tracker_stats(tr)->duplicates, 1);
	CHECK_EQ_U(tracker_stats(tr)->retransmits, 1);
	TEST_END();

	start(64);
	cseq = 0xfffffff0u;
	handshake();
	seg(C, TH_ACK | TH_PSH, 100);
	seg(C, TH_ACK | TH_PSH, 100);
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK, 0);
	TEST_BEGIN("sequence wrap");
	CHECK_EQ_U(last_closed.client.bytes, 200);
	CHECK_EQ_U(last_closed.reason, CR_FIN);
	TEST_END();

	start(64);
	seg(C, TH_ACK | TH_PSH, 10);
	seg(S, TH_ACK | TH_PSH, 20);
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK, 0);
	EXPECT("midstream pickup", "FIN client FIN_WAIT_1 ESTABLISHED|STATE server FIN_WAIT_1 CLOSE_WAIT|FIN server FIN_WAIT_1 LAST_ACK|"
	    "TIME_WAIT client TIME_WAIT LAST_ACK|STATE server TIME_WAIT CLOSED|"
	    "CLOSED fin client TIME_WAIT CLOSED by=SF|");
	TEST_BEGIN("midstream is partial");
	CHECK(last_closed.partial);
	CHECK_EQ_U(last_closed.client_port, 40000);
	TEST_END();

	start(64);
	seg_full(S, TH_SYN | TH_ACK, sseq, cseq + 1, 0, 40000);
	EXPECT("SYN-ACK first", "SYN_ACK server SYN_SENT SYN_RCVD|");
	seg_full(C, TH_ACK, cseq + 1, sseq + 1, 0, 40000);
	EXPECT("SYN-ACK first: the client is ESTABLISHED when its ACK shows it",
	    "SYN_ACK server SYN_SENT SYN_RCVD|ESTABLISHED client ESTABLISHED SYN_RCVD|"
	    "ESTABLISHED server ESTABLISHED ESTABLISHED|");

	start(64);
	seg(C, TH_RST, 0);
	seg(C, TH_SYN | TH_FIN, 0);
	EXPECT("lone RST and bad flags make no flow", "");
	TEST_BEGIN("stray and bad flags counted");
	CHECK_EQ_U(tracker_stats(tr)->stray, 1);
	CHECK_EQ_U(tracker_stats(tr)->bad_flags, 1);
	TEST_END();

	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	now_us += 241ULL * 1000000;
	tracker_advance(tr, now_us);
	EXPECT("half-open close times out", HS "FIN client FIN_WAIT_1 ESTABLISHED|"
	    "CLOSED closing_timeout client FIN_WAIT_1 ESTABLISHED by=S2|");

	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK | TH_FIN, 0);
	now_us += 241ULL * 1000000;
	tracker_advance(tr, now_us);
	EXPECT("last ACK unobserved: the close never completed", HS "FIN client FIN_WAIT_1 ESTABLISHED|"
	    "STATE server FIN_WAIT_1 CLOSE_WAIT|FIN server FIN_WAIT_1 LAST_ACK|"
	    "CLOSED closing_timeout client FIN_WAIT_1 LAST_ACK by=SF|");

	/* Eviction: a full table gives up a handshake before an established connection. */
	start(2);
	handshake();
	seg_full(C, TH_SYN, 1, 0, 0, 40001);
	got[0] = '\0';
	seg_full(C, TH_SYN, 1, 0, 0, 40002);
	TEST_BEGIN("eviction takes the half-open flow first");
	CHECK(strncmp(got, "CLOSED evicted none SYN_SENT LISTEN", 35) == 0);
	CHECK_EQ_U(tracker_stats(tr)->flows_evicted, 1);
	CHECK_EQ_U(tracker_stats(tr)->flows_active, 2);
	TEST_END();

	/*
	 * Gaps: an ACK past what the peer was seen to send, and a segment that
	 * starts past it, show data the capture missed: bytes follow sequence
	 * space, and the unseen part is counted missed.
	 */
	start(64);
	handshake();
	seg(C, TH_ACK | TH_PSH, 100);
	cseq += 1000000; /* a megabyte the capture did not see */
	seg(S, TH_ACK, 0);
	seg(C, TH_ACK | TH_PSH, 100);
	cseq += 5000; /* and 5000 bytes more, shown by the next segment itself */
	seg(C, TH_ACK | TH_PSH, 100);
	seg(S, TH_ACK, 0);
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK, 0);
	TEST_BEGIN("gaps: bytes by sequence space, the unseen counted missed");
	CHECK_EQ_U(nclosed, 1);
	CHECK_EQ_U(last_closed.reason, CR_FIN);
	CHECK_EQ_S(last_closed.conn_state, "SF");
	CHECK_EQ_U(last_closed.client.bytes, 1005300);
	CHECK_EQ_U(last_closed.client.missed, 1005000);
	CHECK_EQ_U(last_closed.server.bytes, 0);
	CHECK_EQ_U(last_closed.server.missed, 0);
	TEST_END();

	/* Half-closed: kept past the closing timeout, ended by its own one. */
	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK, 0);
	TEST_BEGIN("half-closed: counted in CLOSE_WAIT and FIN_WAIT_2");
	CHECK_EQ_U(tracker_stats(tr)->open_by_state[ST_CLOSE_WAIT], 1);
	CHECK_EQ_U(tracker_stats(tr)->open_by_state[ST_FIN_WAIT_2], 1);
	TEST_END();
	now_us += (TRACKER_TIMEOUT_CLOSING_S + 1) * 1000000ULL;
	tracker_advance(tr, now_us);
	TEST_BEGIN("half-closed: not ended by the closing timeout");
	CHECK_EQ_U(nclosed, 0);
	CHECK_EQ_U(tracker_stats(tr)->open_by_state[ST_CLOSE_WAIT], 1);
	TEST_END();
	now_us += (uint64_t)TRACKER_TIMEOUT_HALF_CLOSED_S * 1000000ULL;
	tracker_advance(tr, now_us);
	EXPECT("half-closed: ended by half_closed_timeout", HS
	    "FIN client FIN_WAIT_1 ESTABLISHED|STATE server FIN_WAIT_1 CLOSE_WAIT|"
	    "STATE client FIN_WAIT_2 CLOSE_WAIT|"
	    "CLOSED half_closed_timeout client FIN_WAIT_2 CLOSE_WAIT by=S2|");

	/*
	 * The other way round: the server closed, the client still sends, and a
	 * keepalive of the FIN_WAIT_2 side sits on its FIN's sequence number.
	 */
	start(64);
	handshake();
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK, 0);
	seg(C, TH_ACK | TH_PSH, 100);
	seg(S, TH_ACK, 0);
	seg_full(S, TH_ACK, sseq - 1, cseq, 0, 40000); /* keepalive */
	seg_full(C, TH_ACK, cseq, sseq, 0, 40000);
	now_us += (TRACKER_TIMEOUT_CLOSING_S + 1) * 1000000ULL;
	tracker_advance(tr, now_us);
	TEST_BEGIN("half-closed by the server: kept past the closing timeout");
	CHECK_EQ_U(nclosed, 0);
	CHECK_EQ_U(tracker_stats(tr)->open_by_state[ST_CLOSE_WAIT], 1);
	CHECK_EQ_U(tracker_stats(tr)->open_by_state[ST_FIN_WAIT_2], 1);
	CHECK_EQ_U(tracker_stats(tr)->retransmits, 0);
	TEST_END();
	now_us += (uint64_t)TRACKER_TIMEOUT_HALF_CLOSED_S * 1000000ULL;
	tracker_advance(tr, now_us);
	EXPECT("half-closed by the server: ended by half_closed_timeout", HS
	    "FIN server ESTABLISHED FIN_WAIT_1|STATE client CLOSE_WAIT FIN_WAIT_1|"
	    "STATE server CLOSE_WAIT FIN_WAIT_2|"
	    "CLOSED half_closed_timeout server CLOSE_WAIT FIN_WAIT_2 by=S3|");

	/* An acceptable RST reaching the TIME_WAIT endpoint ends it (RFC 9293 3.10.7.4). */
	start(64);
	handshake();
	seg(C, TH_ACK | TH_FIN, 0);
	seg(S, TH_ACK | TH_FIN, 0);
	seg(C, TH_ACK, 0);
	TEST_BEGIN("TIME_WAIT counted after the close");
	CHECK_EQ_U(tracker_stats(tr)->open_by_state[ST_TIME_WAIT], 1);
	TEST_END();
	seg_full(S, TH_RST, sseq + 100000, 0, 0, 40000);
	TEST_BEGIN("an out-of-window RST leaves TIME_WAIT alone");
	CHECK_EQ_U(tracker_stats(tr)->open_by_state[ST_TIME_WAIT], 1);
	TEST_END();
	seg_full(S, TH_RST, sseq, 0, 0, 40000);
	TEST_BEGIN("an acceptable RST ends TIME_WAIT, nothing reported after CLOSED");
	CHECK_EQ_U(tracker_stats(tr)->open_by_state[ST_TIME_WAIT], 0);
	CHECK_EQ_U(nclosed, 1);
	CHECK_EQ_U(tracker_stats(tr)->after_close, 2);
	TEST_END();

	/* Time: a flow's clock never goes backwards; durations never wrap. */
	start(64);
	handshake();
	now_us -= 10 * 1000000ULL; /* the capturing host's clock steps back 10 s */
	seg(C, TH_ACK | TH_PSH, 10);
	seg(S, TH_ACK, 0);
	tracker_flush(tr, now_us, CR_SHUTDOWN);
	TEST_BEGIN("a clock step back: counted, no negative duration");
	CHECK_EQ_U(tracker_stats(tr)->clock_steps, 2);
	CHECK_EQ_U(last_closed.duration_us, 2000);
	CHECK_EQ_U(last_closed.lifetime_us, 2000);
	TEST_END();

	/* Times near 2^64 (pcapng allows them): capped, no deadline wraps. */
	{
		struct tracker_config cfg;

		tracker_config_default(&cfg);
		cfg.max_flows = 64;
		cfg.update_interval_s = 1;
		start_cfg(&cfg);
		now_us = UINT64_MAX - 5000;
		handshake();
		tracker_advance(tr, UINT64_MAX);
		tracker_flush(tr, UINT64_MAX, CR_SHUTDOWN);
		TEST_BEGIN("far-future times: capped at year 9999, no UPDATE flood");
		CHECK_EQ_U(nupdate, 0);
		CHECK_EQ_U(nclosed, 1);
		CHECK_EQ_U(last_closed.ts_us, SEGMENT_TS_MAX_US);
		CHECK_EQ_U(last_closed.duration_us, 0);
		TEST_END();
	}

	/* The lifetime of a CLOSED record runs to the close decision: here the timeout. */
	start(64);
	seg(C, TH_SYN, 0);
	now_us += 31 * 1000000ULL;
	tracker_advance(tr, now_us);
	TEST_BEGIN("lifetime to the close decision");
	CHECK_EQ_U(last_closed.reason, CR_SYN_TIMEOUT);
	CHECK_EQ_U(last_closed.duration_us, 0);
	CHECK_EQ_U(last_closed.lifetime_us, (uint64_t)TRACKER_TIMEOUT_SYN_S * 1000000);
	TEST_END();

	start(64);
	handshake();
	tracker_flush(tr, now_us, CR_SHUTDOWN);
	EXPECT("shutdown", HS "CLOSED shutdown none ESTABLISHED ESTABLISHED by=S1|");
	TEST_BEGIN("state counts return to zero");
	for (int i = 0; i < ST_NSTATES; i++)
		CHECK_EQ_U(tracker_stats(tr)->open_by_state[i], 0);
	TEST_END();

	tracker_free(tr);
	TEST_EXIT();
}
