/*
 * test_hostile.c - hostile packets through decode and the tracker: frames of
 * zero length and cut at every byte, absurd header lengths, TCP options that
 * run past the header, all 256 flag bytes on a live connection, sequence
 * numbers across the 2^32 wrap. Every frame is counted under one decode
 * reason, every odd segment under a tracker counter, and nothing crashes:
 * frames are copied into heap buffers of exactly their captured length, so
 * ASan (make asan) and valgrind see any read past the capture.
 *
 * The property test: a valid connection interleaved with garbage (random
 * bytes, segments of other connections, out-of-window segments on the same
 * 4-tuple) must produce the same events for that connection as the
 * connection alone (RFC 9293 3.10.7.4: an unacceptable segment is dropped,
 * RFC 5961 3 and 4: an out-of-window RST or SYN changes nothing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testhelp.h"
#include "decode.h"
#include "event.h"
#include "tracker.h"

#define T0 1700000000000000ULL /* microseconds */

/* ---- frame building ---------------------------------------------------- */

/* One TCP segment to put on the wire. */
struct tcpseg {
	int family; /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opt; /* TCP options, optlen a multiple of 4, at most 40 */
	size_t optlen;
	uint32_t len; /* payload bytes, written as zeros */
};

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The IP packet of s at p; returns its length. */
static size_t
mk_ip(uint8_t *p, const struct tcpseg *s)
{
	size_t iph = s->family == 4 ? 20 : 40, thl = 20 + s->optlen;
	uint8_t *th = p + iph;

	memset(p, 0, iph + thl + s->len);
	if (s->family == 4) {
		p[0] = 0x45;
		put16(p + 2, (unsigned)(iph + thl + s->len));
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 12, s->src, 4);
		memcpy(p + 16, s->dst, 4);
	} else {
		p[0] = 0x60;
		put16(p + 4, (unsigned)(thl + s->len));
		p[6] = 6;
		p[7] = 64;
		memcpy(p + 8, s->src, 16);
		memcpy(p + 24, s->dst, 16);
	}
	put16(th, s->sport);
	put16(th + 2, s->dport);
	put32(th + 4, s->seq);
	put32(th + 8, s->ack);
	th[12] = (uint8_t)(thl / 4 << 4);
	th[13] = s->flags;
	put16(th + 14, s->win);
	if (s->optlen > 0)
		memcpy(th + 20, s->opt, s->optlen);
	return iph + thl + s->len;
}

/* An Ethernet frame carrying s; returns its length. */
static size_t
mk_eth(uint8_t *p, const struct tcpseg *s)
{
	memset(p, 0, 14);
	p[0] = 0x02;
	p[6] = 0x02;
	put16(p + 12, s->family == 4 ? 0x0800 : 0x86dd);
	return 14 + mk_ip(p + 14, s);
}

/* Decode len bytes of frame from an exact-size heap copy. */
static enum decode_result
decode_exact(int link, const uint8_t *frame, uint32_t len, struct segment *seg,
             struct decode_stats *st)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	enum decode_result r;

	if (copy == NULL)
		abort();
	if (len > 0)
		memcpy(copy, frame, len);
	r = decode_packet(link, len > 0 ? copy : copy + 1, len, NULL, seg, st);
	free(copy);
	return r;
}

static uint64_t
stats_sum(const struct decode_stats *st)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < DECODE_NREASONS; i++)
		n += st->result[i];
	return n;
}

static const uint8_t ip4_a[16] = {192, 0, 2, 1}, ip4_b[16] = {198, 51, 100, 7};
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t ip6_b[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};
static const uint8_t syn_opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                     0, 1, 0,    0,    0, 0, 1, 3,  3, 7};

static void
seg_init(struct tcpseg *s, int family, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	memcpy(s->src, family == 4 ? ip4_a : ip6_a, 16);
	memcpy(s->dst, family == 4 ? ip4_b : ip6_b, 16);
	s->sport = 40000;
	s->dport = 443;
	s->seq = seq;
	s->ack = ack;
	s->flags = flags;
	s->win = 65535;
	s->len = len;
}

/* ---- decode ------------------------------------------------------------ */

static void
test_zero_length(void)
{
	static const struct {
		int link;
		enum decode_result want;
	} cases[] = {
	    {LINK_ETHERNET, DECODE_LINK_TRUNCATED},   {LINK_LINUX_SLL, DECODE_LINK_TRUNCATED},
	    {LINK_LINUX_SLL2, DECODE_LINK_TRUNCATED}, {LINK_NULL, DECODE_LINK_TRUNCATED},
	    {LINK_LOOP, DECODE_LINK_TRUNCATED},       {LINK_RAW, DECODE_IP_TRUNCATED},
	    {LINK_RAW_DLT, DECODE_IP_TRUNCATED},      {LINK_RAW_DLT14, DECODE_IP_TRUNCATED},
	    {LINK_IPV4, DECODE_IP_TRUNCATED},         {LINK_IPV6, DECODE_IP_TRUNCATED},
	    {9999, DECODE_LINK_UNSUPPORTED},
	};
	struct decode_stats st;
	struct segment seg;
	size_t i;

	TEST_BEGIN("hostile_zero_length_every_link");
	memset(&st, 0, sizeof(st));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_U(decode_exact(cases[i].link, NULL, 0, &seg, &st), cases[i].want);
		CHECK_EQ_U(st.frames, i + 1);
		CHECK_EQ_U(stats_sum(&st), i + 1);
	}
	CHECK_EQ_U(st.result[DECODE_LINK_TRUNCATED], 5);
	CHECK_EQ_U(st.result[DECODE_IP_TRUNCATED], 5);
	CHECK_EQ_U(st.result[DECODE_LINK_UNSUPPORTED], 1);
	TEST_END();
}

/*
 * A frame of link type `link`: hdr bytes of headers (link, IP, TCP with
 * options) followed by payload that the IP length covers.
 */
struct frame {
	const char *name;
	int link;
	uint8_t b[512];
	uint32_t len;
	uint32_t hdr;
};

/* Wrap the IP packet of s in one link layer, described by kind. */
static void
mk_frame(struct frame *f, const char *name, int kind, const struct tcpseg *s)
{
	uint8_t *p = f->b;
	size_t ip;
	unsigned i;

	memset(f, 0, sizeof(*f));
	f->name = name;
	f->link = LINK_ETHERNET;
	switch (kind) {
	case 0: /* Ethernet */
		f->len = (uint32_t)mk_eth(p, s);
		break;
	case 1: /* 802.1ad + 802.1Q */
		p[0] = 2;
		put16(p + 12, 0x88a8);
		put16(p + 14, 10);
		put16(p + 16, 0x8100);
		put16(p + 18, 20);
		put16(p + 20, s->family == 4 ? 0x0800 : 0x86dd);
		f->len = 22 + (uint32_t)mk_ip(p + 22, s);
		break;
	case 2: /* QinQ, PPPoE session */
		put16(p + 12, 0x88a8);
		put16(p + 14, 10);
		put16(p + 16, 0x8864);
		p[18] = 0x11;
		put16(p + 20, 0x1234);
		ip = mk_ip(p + 26, s);
		put16(p + 22, (unsigned)(ip + 2));
		put16(p + 24, s->family == 4 ? 0x0021 : 0x0057);
		f->len = 26 + (uint32_t)ip;
		break;
	case 3: /* MPLS, two labels */
		put16(p + 12, 0x8847);
		put32(p + 14, 100u << 12 | 64);
		put32(p + 18, 200u << 12 | 1u << 8 | 64);
		f->len = 22 + (uint32_t)mk_ip(p + 22, s);
		break;
	case 4: /* FabricPath, then the inner Ethernet header */
		put16(p + 12, 0x8903);
		put16(p + 14, 0x0001);
		put16(p + 28, s->family == 4 ? 0x0800 : 0x86dd);
		f->len = 30 + (uint32_t)mk_ip(p + 30, s);
		break;
	case 5: /* Linux cooked v1 */
		f->link = LINK_LINUX_SLL;
		put16(p + 14, s->family == 4 ? 0x0800 : 0x86dd);
		f->len = 16 + (uint32_t)mk_ip(p + 16, s);
		break;
	case 6: /* Linux cooked v2 */
		f->link = LINK_LINUX_SLL2;
		put16(p, s->family == 4 ? 0x0800 : 0x86dd);
		f->len = 20 + (uint32_t)mk_ip(p + 20, s);
		break;
	case 7: /* BSD loopback, little-endian AF */
		f->link = LINK_NULL;
		p[0] = s->family == 4 ? 2 : 30;
		f->len = 4 + (uint32_t)mk_ip(p + 4, s);
		break;
	case 8: /* OpenBSD loopback, network-order AF */
		f->link = LINK_LOOP;
		p[3] = s->family == 4 ? 2 : 24;
		f->len = 4 + (uint32_t)mk_ip(p + 4, s);
		break;
	case 9: /* raw IP */
		f->link = LINK_RAW;
		f->len = (uint32_t)mk_ip(p, s);
		break;
	case 10: /* IPv6 with hop-by-hop, destination options and a first fragment */
		f->len = (uint32_t)mk_eth(p, s);
		memmove(p + 14 + 40 + 24, p + 14 + 40, f->len - 54);
		p[14 + 6] = 0; /* hop-by-hop */
		p[54] = 60;    /* -> destination options */
		p[55] = 0;
		p[62] = 44; /* -> fragment */
		p[63] = 0;
		p[70] = 6; /* -> TCP, offset 0, more fragments */
		p[73] = 1;
		put16(p + 14 + 4, (unsigned)(f->len - 54 + 24));
		f->len += 24;
		break;
	}
	f->hdr = f->len - s->len;
	for (i = 0; i < s->len; i++)
		p[f->hdr + i] = (uint8_t)(0xa5 ^ i);
}

/*
 * Every prefix of a good frame: short of the TCP header's end it is counted
 * as truncated (never bad, never decoded); from there on it decodes to the
 * same segment, with the payload length the IP header claims.
 */
static void
test_truncated_everywhere(void)
{
	static const char *names[] = {"ethernet",   "qinq_vlan", "qinq_pppoe",    "mpls",
	                              "fabricpath", "sll",       "sll2",          "null",
	                              "loop",       "raw",       "ipv6_ext_chain"};
	struct frame f;
	struct tcpseg s;
	struct decode_stats st;
	struct segment full, seg;
	enum decode_result r;
	uint32_t k;
	char name[96];
	int kind, fam;

	for (kind = 0; kind < 11; kind++) {
		for (fam = 4; fam <= 6; fam += 2) {
			if (kind == 10 && fam == 4)
				continue;
			snprintf(name, sizeof(name), "hostile_truncated_every_byte_%s_ipv%d",
			         names[kind], fam);
			TEST_BEGIN(name);
			seg_init(&s, fam, TH_SYN, 0x01020304, 0, 12);
			s.opt = syn_opts;
			s.optlen = sizeof(syn_opts);
			mk_frame(&f, names[kind], kind, &s);
			memset(&st, 0, sizeof(st));
			CHECK_EQ_U(decode_exact(f.link, f.b, f.len, &full, &st), DECODE_OK);
			full.ts_us = 0; /* the caller's to fill */
			CHECK_EQ_U(full.len, 12);
			CHECK_EQ_U(full.opt.present, OPT_MSS | OPT_SACK_OK | OPT_TS | OPT_WSCALE);
			for (k = 0; k < f.len; k++) {
				r = decode_exact(f.link, f.b, k, &seg, &st);
				if (k < f.hdr) {
					if (r != DECODE_LINK_TRUNCATED &&
					    r != DECODE_IP_TRUNCATED && r != DECODE_TCP_TRUNCATED)
						printf("  cut at %u of %u: %s\n", k, f.len,
						       decode_result_name(r));
					CHECK(r == DECODE_LINK_TRUNCATED ||
					      r == DECODE_IP_TRUNCATED ||
					      r == DECODE_TCP_TRUNCATED);
				} else {
					CHECK_EQ_U(r, DECODE_OK);
					seg.ts_us = 0;
					CHECK(memcmp(&seg, &full, sizeof(seg)) == 0);
				}
			}
			CHECK_EQ_U(st.frames, f.len + 1);
			CHECK_EQ_U(stats_sum(&st), st.frames);
			CHECK_EQ_U(st.result[DECODE_OK], f.len - f.hdr + 1);
			TEST_END();
		}
	}
}

/* Header lengths no stack sends, each counted under its reason. */
static void
test_absurd_lengths(void)
{
	struct decode_stats st;
	struct segment seg;
	struct tcpseg s;
	uint8_t b[1024], nops[40];
	size_t len, i;
	uint64_t want[DECODE_NREASONS] = {0};

	TEST_BEGIN("hostile_absurd_header_lengths");
	memset(&st, 0, sizeof(st));
	memset(nops, 1, sizeof(nops));

	/* IPv4 IHL 15 (60 bytes) in a 54-byte frame. */
	seg_init(&s, 4, TH_ACK, 1, 1, 0);
	len = mk_eth(b, &s);
	b[14] = 0x4f;
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_IP_TRUNCATED);
	want[DECODE_IP_TRUNCATED]++;
	/* IHL 15 with the 40 option bytes there (NOPs), then TCP: fine. */
	memmove(b + 14 + 60, b + 14 + 20, 20);
	memset(b + 14 + 20, 1, 40);
	put16(b + 16, 80);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, 14 + 80, &seg, &st), DECODE_OK);
	CHECK_EQ_U(seg.len, 0);
	want[DECODE_OK]++;
	/* IHL below 5, and 0. */
	len = mk_eth(b, &s);
	b[14] = 0x44;
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_IP_BAD);
	b[14] = 0x40;
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_IP_BAD);
	want[DECODE_IP_BAD] += 2;
	/*
	 * Total length shorter than the IP header; zero (TSO: what was captured
	 * is the packet); too short for TCP.
	 */
	len = mk_eth(b, &s);
	put16(b + 16, 10);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_IP_BAD);
	want[DECODE_IP_BAD]++;
	put16(b + 16, 0);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_OK);
	CHECK_EQ_U(seg.len, len - 14 - 20 - 20);
	want[DECODE_OK]++;
	put16(b + 16, 30);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_TCP_BAD);
	want[DECODE_TCP_BAD]++;
	/* Total length 65535 in a 54-byte capture: the IP header rules. */
	put16(b + 16, 65535);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_OK);
	CHECK_EQ_U(seg.len, 65535 - 40);
	want[DECODE_OK]++;

	/* TCP data offset 15: past the IP payload, past the capture, or all there. */
	len = mk_eth(b, &s);
	b[14 + 20 + 12] = 0xf0;
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_TCP_BAD);
	want[DECODE_TCP_BAD]++;
	put16(b + 16, 200);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_TCP_TRUNCATED);
	want[DECODE_TCP_TRUNCATED]++;
	s.opt = nops;
	s.optlen = 40;
	len = mk_eth(b, &s);
	CHECK_EQ_U(b[14 + 20 + 12], 0xf0);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_OK);
	CHECK_EQ_U(seg.opt.present, 0);
	want[DECODE_OK]++;
	/* Data offset 0 to 4. */
	s.optlen = 0;
	len = mk_eth(b, &s);
	for (i = 0; i < 5; i++) {
		b[14 + 20 + 12] = (uint8_t)(i << 4);
		CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st),
		           DECODE_TCP_BAD);
		want[DECODE_TCP_BAD]++;
	}

	/*
	 * IPv6 payload length: huge (fine, it rules), zero without a hop-by-hop
	 * header (TSO: what was captured), short of TCP.
	 */
	seg_init(&s, 6, TH_ACK, 1, 1, 0);
	len = mk_eth(b, &s);
	put16(b + 18, 65535);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_OK);
	CHECK_EQ_U(seg.len, 65535 - 20);
	want[DECODE_OK]++;
	put16(b + 18, 0);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_OK);
	CHECK_EQ_U(seg.len, len - 14 - 40 - 20);
	want[DECODE_OK]++;
	put16(b + 18, 10);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st), DECODE_TCP_BAD);
	want[DECODE_TCP_BAD]++;
	/* An extension header longer than the payload length; 16 headers, then 17. */
	len = mk_eth(b, &s);
	memmove(b + 54 + 8, b + 54, 20);
	memset(b + 54, 0, 8);
	b[20] = 60;
	b[54] = 6;
	b[55] = 200;
	put16(b + 18, 28);
	CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)len + 8, &seg, &st), DECODE_IP_BAD);
	want[DECODE_IP_BAD]++;
	for (i = 16; i <= 17; i++) {
		size_t h;

		len = mk_eth(b, &s);
		memmove(b + 54 + 8 * i, b + 54, 20);
		memset(b + 54, 0, 8 * i);
		b[20] = 60;
		for (h = 0; h < i; h++)
			b[54 + 8 * h] = h + 1 < i ? 60 : 6;
		put16(b + 18, (unsigned)(20 + 8 * i));
		CHECK_EQ_U(decode_exact(LINK_ETHERNET, b, (uint32_t)(len + 8 * i), &seg, &st),
		           i == 16 ? DECODE_OK : DECODE_IP_BAD);
		want[i == 16 ? DECODE_OK : DECODE_IP_BAD]++;
	}

	for (i = 0; i < DECODE_NREASONS; i++)
		CHECK_EQ_U(st.result[i], want[i]);
	CHECK_EQ_U(stats_sum(&st), st.frames);
	TEST_END();
}

/* Options whose length runs past the header: flagged, what came before kept. */
static void
test_options_past_header(void)
{
	static const struct {
		const char *name;
		uint8_t opt[12];
		size_t len;
		uint8_t present;
	} cases[] = {
	    {"mss cut by the header end", {1, 1, 2, 4}, 4, OPT_MALFORMED},
	    {"kind without its length", {1, 1, 1, 8}, 4, OPT_MALFORMED},
	    {"length 0", {8, 0, 1, 1}, 4, OPT_MALFORMED},
	    {"length 1", {3, 1, 1, 1}, 4, OPT_MALFORMED},
	    {"length 255", {2, 4, 5, 0xb4, 8, 255, 0, 0}, 8, OPT_MSS | OPT_MALFORMED},
	    {"timestamps cut", {2, 4, 5, 0xb4, 1, 1, 8, 10}, 8, OPT_MSS | OPT_MALFORMED},
	    {"wrong lengths skipped", {2, 3, 5, 3, 3, 5, 4, 3, 1, 1, 1, 1}, 12, OPT_WSCALE},
	    {"eol ends the list", {4, 2, 0, 2, 200, 1, 1, 1}, 8, OPT_SACK_OK},
	    {"wscale 255 as sent", {3, 3, 255, 0}, 4, OPT_WSCALE},
	};
	struct decode_stats st;
	struct segment seg;
	struct tcpseg s;
	uint8_t b[256];
	size_t i, len;
	uint64_t malformed = 0;

	TEST_BEGIN("hostile_tcp_options_past_header");
	memset(&st, 0, sizeof(st));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		seg_init(&s, 4, TH_SYN, 7, 0, 0);
		s.opt = cases[i].opt;
		s.optlen = cases[i].len;
		len = mk_eth(b, &s);
		if (decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, &st) != DECODE_OK ||
		    seg.opt.present != cases[i].present)
			printf("  %s: present 0x%02x\n", cases[i].name, seg.opt.present);
		CHECK_EQ_U(seg.opt.present, cases[i].present);
		if (cases[i].present & OPT_MSS)
			CHECK_EQ_U(seg.opt.mss, 1460);
		if (cases[i].present & OPT_WSCALE)
			CHECK_EQ_U(seg.opt.wscale, cases[i].opt[2]);
		malformed += (cases[i].present & OPT_MALFORMED) != 0;
	}
	CHECK_EQ_U(st.opt_malformed, malformed);
	CHECK_EQ_U(st.result[DECODE_OK], sizeof(cases) / sizeof(cases[0]));
	TEST_END();
}

/* ---- the tracker ------------------------------------------------------- */

#define MAXEV 4096

static struct event evs[MAXEV];
static size_t nevs;

static void
record_cb(const struct event *ev, void *arg)
{
	(void)arg;
	if (nevs < MAXEV)
		evs[nevs] = *ev;
	nevs++;
}

static struct tracker *
new_tracker(uint32_t max_flows)
{
	struct tracker_config cfg;
	struct tracker *t;
	char err[128];

	tracker_config_default(&cfg);
	cfg.max_flows = max_flows;
	t = tracker_new(&cfg, record_cb, NULL, err, sizeof(err));
	if (t == NULL) {
		printf("FAIL tracker_new: %s\n", err);
		exit(1);
	}
	nevs = 0;
	return t;
}

/* Frame s, decode it, hand it to t at ts: the path every captured frame takes. */
static void
feed(struct tracker *t, const struct tcpseg *s, uint64_t ts)
{
	uint8_t b[1600];
	struct segment seg;
	size_t len = mk_eth(b, s);

	if (decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg, NULL) != DECODE_OK) {
		printf("FAIL feed: a built frame does not decode\n");
		exit(1);
	}
	seg.ts_us = ts;
	tracker_segment(t, &seg);
}

static int
counts_consistent(const struct tracker *t)
{
	const struct tracker_stats *st = tracker_stats(t);
	uint64_t n = 0;
	int i;

	for (i = 0; i < ST_NSTATES; i++)
		n += st->open_by_state[i];
	return n == 2 * st->flows_active;
}

/* Every flow CLOSED exactly once, nothing left open: after tracker_flush. */
static int
all_closed_once(const struct tracker *t)
{
	const struct tracker_stats *st = tracker_stats(t);
	size_t i, j, closed = 0;

	for (i = 0; i < nevs && i < MAXEV; i++) {
		if (evs[i].type != TEV_CLOSED)
			continue;
		closed++;
		for (j = 0; j < i; j++)
			if (evs[j].type == TEV_CLOSED && evs[j].flow_id == evs[i].flow_id)
				return 0;
	}
	return st->flows_active == 0 && closed == st->flows_created && counts_consistent(t);
}

/* A connection being scripted: what each side sends next. */
struct conn {
	struct tcpseg c2s, s2c; /* templates, client to server and back */
	uint32_t cnxt, snxt;    /* next sequence number of each side */
};

static uint64_t now_us = T0; /* the capture clock of scripted connections */

static void
conn_init(struct conn *k, uint16_t cport, uint32_t ciss, uint32_t siss)
{
	seg_init(&k->c2s, 4, 0, 0, 0, 0);
	k->c2s.sport = cport;
	seg_init(&k->s2c, 4, 0, 0, 0, 0);
	memcpy(k->s2c.src, ip4_b, 16);
	memcpy(k->s2c.dst, ip4_a, 16);
	k->s2c.sport = 443;
	k->s2c.dport = cport;
	k->cnxt = ciss;
	k->snxt = siss;
}

/* The next segment from the client (client != 0) or the server, in sequence. */
static struct tcpseg
conn_next(struct conn *k, int client, uint8_t flags, uint32_t len)
{
	struct tcpseg s = client ? k->c2s : k->s2c;
	uint32_t *nxt = client ? &k->cnxt : &k->snxt;

	s.flags = flags;
	s.seq = *nxt;
	s.ack = flags & TH_ACK ? (client ? k->snxt : k->cnxt) : 0;
	s.len = len;
	if (flags & TH_SYN) {
		s.opt = syn_opts;
		s.optlen = sizeof(syn_opts);
	}
	*nxt += len + ((flags & TH_SYN) != 0) + ((flags & TH_FIN) != 0);
	return s;
}

static void
conn_send(struct tracker *t, struct conn *k, int client, uint8_t flags, uint32_t len)
{
	struct tcpseg s = conn_next(k, client, flags, len);

	now_us += 1000;
	feed(t, &s, now_us);
}

static void
conn_establish(struct tracker *t, struct conn *k)
{
	conn_send(t, k, 1, TH_SYN, 0);
	conn_send(t, k, 0, TH_SYN | TH_ACK, 0);
	conn_send(t, k, 1, TH_ACK, 0);
	conn_send(t, k, 1, TH_ACK | TH_PSH, 100);
	conn_send(t, k, 0, TH_ACK | TH_PSH, 200);
	conn_send(t, k, 1, TH_ACK, 0);
}

/* Flag bytes the tracker must ignore (tracker.c, conntrack's tcp_valid_flags). */
static int
flags_invalid(uint8_t f)
{
	return (f & (TH_SYN | TH_FIN)) == (TH_SYN | TH_FIN) ||
	       (f & (TH_SYN | TH_RST)) == (TH_SYN | TH_RST) ||
	       (f & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == 0 ||
	       (f & (TH_FIN | TH_ACK | TH_RST)) == TH_FIN;
}

struct snap {
	uint64_t id;
	enum tcp_state c, s;
	int found;
};

static int
snap_cb(const struct event *ev, void *arg)
{
	struct snap *sn = arg;

	if (ev->flow_id != sn->id)
		return 0;
	sn->c = ev->client_state;
	sn->s = ev->server_state;
	sn->found = 1;
	return 1;
}

/*
 * All 256 flag bytes, from either side, at the right sequence number of an
 * established connection: the invalid ones are counted and change nothing,
 * a RST closes, nothing corrupts the counters.
 */
static void
test_all_flags(void)
{
	struct tracker *t;
	struct conn k;
	struct tcpseg s;
	struct snap sn;
	const struct tracker_stats *st;
	uint64_t bad0, rst0, id;
	size_t n0, i;
	int f, side, ok_invalid = 1, ok_rst = 1, ok_counts = 1;

	TEST_BEGIN("hostile_all_256_flags_on_a_live_flow");
	t = new_tracker(1024);
	st = tracker_stats(t);
	for (side = 0; side < 2; side++) {
		for (f = 0; f < 256; f++) {
			conn_init(&k, (uint16_t)(1024 + side * 256 + f), 1000u * (unsigned)f,
			          77777);
			conn_establish(t, &k);
			id = evs[nevs - 1].flow_id;
			n0 = nevs;
			bad0 = st->bad_flags;
			s = conn_next(&k, side == 0, (uint8_t)f, 0);
			now_us += 1000;
			feed(t, &s, now_us);
			if (flags_invalid((uint8_t)f)) {
				sn.id = id;
				sn.found = 0;
				tracker_foreach(t, now_us, snap_cb, &sn);
				if (st->bad_flags != bad0 + 1 || nevs != n0 || !sn.found ||
				    sn.c != ST_ESTABLISHED || sn.s != ST_ESTABLISHED) {
					if (ok_invalid)
						printf("  flags 0x%02x from the %s: not ignored\n",
						       f, side ? "server" : "client");
					ok_invalid = 0;
				}
			} else if ((f & TH_RST) && (nevs != n0 + 2 || evs[n0].type != TEV_RST ||
			                            evs[n0 + 1].type != TEV_CLOSED ||
			                            evs[n0 + 1].reason != CR_RST)) {
				if (ok_rst)
					printf("  flags 0x%02x from the %s: %zu events, no "
					       "RST+CLOSED\n",
					       f, side ? "server" : "client", nevs - n0);
				ok_rst = 0;
			}
			for (i = n0; i < nevs; i++)
				if (evs[i].type == TEV_CLOSED && evs[i].flow_id == id)
					ok_counts &=
					    evs[i].reason > CR_NONE && evs[i].reason < CR_NREASONS;
			ok_counts &= counts_consistent(t);
		}
	}
	CHECK(ok_invalid);
	CHECK(ok_rst);
	CHECK(ok_counts);
	CHECK(nevs < MAXEV);
	tracker_flush(t, now_us, CR_SHUTDOWN);
	CHECK(all_closed_once(t));
	CHECK_EQ_U(st->flows_created, 512 + st->closed[CR_REUSED]);
	tracker_free(t);
	TEST_END();

	/* The same bytes with the sequence number half the space away: RSTs do nothing. */
	TEST_BEGIN("hostile_all_256_flags_out_of_window_rst");
	t = new_tracker(1024);
	st = tracker_stats(t);
	ok_rst = 1;
	for (f = 0; f < 256; f++) {
		if (!(f & TH_RST) || (f & TH_SYN))
			continue;
		conn_init(&k, (uint16_t)(5000 + f), 0xfffffff0u, 0x7ffffff0u);
		conn_establish(t, &k);
		n0 = nevs;
		rst0 = st->rst_out_of_window;
		s = conn_next(&k, f & 1, (uint8_t)f, 0);
		s.seq += 0x80000000u;
		now_us += 1000;
		feed(t, &s, now_us);
		if (nevs != n0 || st->rst_out_of_window != rst0 + 1) {
			if (ok_rst)
				printf("  flags 0x%02x: an out-of-window RST was taken\n", f);
			ok_rst = 0;
		}
	}
	CHECK(ok_rst);
	tracker_flush(t, now_us, CR_SHUTDOWN);
	CHECK(all_closed_once(t));
	tracker_free(t);
	TEST_END();
}

static const struct event *
find_closed(void)
{
	size_t i;

	for (i = 0; i < nevs && i < MAXEV; i++)
		if (evs[i].type == TEV_CLOSED)
			return &evs[i];
	return NULL;
}

/* Sequence numbers that wrap from 2^32 - 1 to 0 in the middle of the data. */
static void
test_seq_wrap(void)
{
	static const struct {
		const char *name;
		uint32_t ciss, siss;
	} cases[] = {
	    {"hostile_seq_wrap_in_data", 0xfffffff0u, 0xfffffffeu},
	    {"hostile_seq_wrap_isn_max", 0xffffffffu, 0xffffffffu},
	    /* both FINs occupy 2^32 - 1: the last ACK acknowledges 0 */
	    {"hostile_seq_wrap_fin_at_max", 0xffffffffu - 121u, 0xffffffffu - 247u},
	};
	struct tracker *t;
	struct conn k;
	struct tcpseg s;
	const struct event *cl;
	const struct tracker_stats *st;
	size_t i;
	uint64_t rst0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TEST_BEGIN(cases[i].name);
		t = new_tracker(64);
		st = tracker_stats(t);
		conn_init(&k, 50000, cases[i].ciss, cases[i].siss);
		conn_establish(t, &k);
		conn_send(t, &k, 1, TH_ACK | TH_PSH, 10);
		conn_send(t, &k, 1, TH_ACK | TH_PSH, 10);
		/* the segment before the last, again: a retransmission, counted once */
		s = k.c2s;
		s.flags = TH_ACK | TH_PSH;
		s.seq = k.cnxt - 20;
		s.ack = k.snxt;
		s.len = 10;
		now_us += 1000;
		feed(t, &s, now_us);
		CHECK_EQ_U(st->retransmits, 1);
		conn_send(t, &k, 0, TH_ACK | TH_PSH, 46);
		if (i == 2)
			CHECK_EQ_U(k.cnxt, 0xffffffffu);
		conn_send(t, &k, 1, TH_ACK | TH_FIN, 0);
		conn_send(t, &k, 0, TH_ACK | TH_FIN, 0);
		conn_send(t, &k, 1, TH_ACK, 0);
		cl = find_closed();
		CHECK(cl != NULL);
		if (cl != NULL) {
			CHECK_EQ_U(cl->reason, CR_FIN);
			CHECK_EQ_U(cl->client.bytes, 120);
			CHECK_EQ_U(cl->server.bytes, 246);
		}
		CHECK_EQ_U(st->retransmits, 1);
		tracker_flush(t, now_us, CR_SHUTDOWN);
		CHECK(all_closed_once(t));
		tracker_free(t);

		/* A RST across the wrap: in window it closes, half the space away it does not. */
		t = new_tracker(64);
		st = tracker_stats(t);
		conn_init(&k, 50001, cases[i].ciss, cases[i].siss);
		conn_establish(t, &k);
		s = conn_next(&k, 0, TH_RST, 0);
		s.seq += 0x80000000u;
		rst0 = st->rst_out_of_window;
		feed(t, &s, ++now_us);
		CHECK_EQ_U(st->rst_out_of_window, rst0 + 1);
		CHECK(find_closed() == NULL);
		s.seq -= 0x80000000u;
		feed(t, &s, ++now_us);
		cl = find_closed();
		CHECK(cl != NULL && cl->reason == CR_RST && cl->closed_by == SIDE_SERVER);
		tracker_flush(t, ++now_us, CR_SHUTDOWN);
		CHECK(all_closed_once(t));
		tracker_free(t);
		TEST_END();
	}
}

/* ---- the property test -------------------------------------------------- */

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

enum garbage {
	G_BYTES = 0x01, /* random bytes as frames */
	G_OTHER = 0x02, /* random segments of other 4-tuples */
	G_RST = 0x04,   /* on our 4-tuple, out of window: RSTs */
	G_SYN = 0x08,   /* SYNs and SYN-ACKs */
	G_FIN = 0x10,   /* FINs (no SYN, no RST) */
	G_ACK = 0x20,   /* ACKs and data (no SYN, RST or FIN) */
	G_ALL = 0x3f
};

/* One frame of the valid connection, or of garbage. */
struct item {
	int raw;  /* random bytes, not a built segment */
	int junk; /* garbage, not the connection's own */
	struct tcpseg s;
	uint8_t bytes[128];
	uint32_t nbytes;
	uint64_t ts;
};

/* The valid connection: handshake, data both ways, a FIN close; into it[]. */
static size_t
script(struct item *it, struct conn *k)
{
	size_t n = 0;
	unsigned rounds = 1 + rnd() % 4, r;
	int first = rnd() & 1;

#define ADD(cl, fl, ln)                                                                            \
	do {                                                                                       \
		it[n].raw = it[n].junk = 0;                                                        \
		it[n].s = conn_next(k, cl, fl, ln);                                                \
		it[n].ts = T0 + 1000 * (n + 1);                                                    \
		n++;                                                                               \
	} while (0)
	ADD(1, TH_SYN, 0);
	ADD(0, TH_SYN | TH_ACK, 0);
	ADD(1, TH_ACK, 0);
	for (r = 0; r < rounds; r++) {
		ADD(1, TH_ACK | TH_PSH, 1 + rnd() % 1400);
		ADD(0, TH_ACK | TH_PSH, 1 + rnd() % 1400);
	}
	ADD(first, TH_ACK | TH_FIN, 0);
	ADD(!first, TH_ACK | TH_FIN, 0);
	ADD(first, TH_ACK, 0);
#undef ADD
	return n;
}

/*
 * A garbage frame of a kind in mask, to go after valid frame `after` (whose
 * state k reflects). Same-tuple garbage only between the SYN-ACK and the
 * last segment: before, the connection does not exist; after, it is over.
 */
static int
garbage(struct item *g, unsigned mask, const struct conn *k, int same_ok)
{
	unsigned kinds[6], nk = 0, kind, i;
	int client;
	uint32_t off;

	if (mask & G_BYTES)
		kinds[nk++] = G_BYTES;
	if (mask & G_OTHER)
		kinds[nk++] = G_OTHER;
	if (same_ok) {
		if (mask & G_RST)
			kinds[nk++] = G_RST;
		if (mask & G_SYN)
			kinds[nk++] = G_SYN;
		if (mask & G_FIN)
			kinds[nk++] = G_FIN;
		if (mask & G_ACK)
			kinds[nk++] = G_ACK;
	}
	if (nk == 0)
		return -1;
	kind = kinds[rnd() % nk];
	memset(g, 0, sizeof(*g));
	g->junk = 1;
	switch (kind) {
	case G_BYTES:
		g->raw = 1;
		g->nbytes = rnd() % sizeof(g->bytes);
		for (i = 0; i < g->nbytes; i++)
			g->bytes[i] = (uint8_t)rnd();
		if (g->nbytes > 14 && rnd() % 2) /* often IP, to get past the link layer */
			put16(g->bytes + 12, rnd() % 2 ? 0x0800 : 0x86dd);
		return 0;
	case G_OTHER:
		seg_init(&g->s, rnd() % 3 ? 4 : 6, (uint8_t)rnd(), rnd(), rnd(),
		         rnd() % 3 ? 0 : rnd() % 1000);
		for (i = 0; i < 16; i++) {
			g->s.src[i] = g->s.family == 4 && i >= 4 ? 0 : (uint8_t)rnd();
			g->s.dst[i] = g->s.family == 4 && i >= 4 ? 0 : (uint8_t)rnd();
		}
		if (rnd() % 2) { /* from our client's address, to another port or host */
			g->s.family = 4;
			memcpy(g->s.src, ip4_a, 16);
			memset(g->s.dst + 4, 0, 12);
		}
		g->s.sport = (uint16_t)rnd();
		g->s.dport = (uint16_t)(rnd() % 2 ? 443 : rnd());
		/* never our 4-tuple, in either direction */
		if (g->s.sport == k->c2s.sport && g->s.dport == 443)
			g->s.sport++;
		if (g->s.sport == 443 && g->s.dport == k->c2s.sport)
			g->s.dport++;
		if (rnd() % 4 == 0) {
			g->s.opt = syn_opts;
			g->s.optlen = sizeof(syn_opts);
		}
		return 0;
	default:
		/* Our 4-tuple, either direction, at least 2^30 from where the sender is. */
		client = rnd() & 1;
		g->s = client ? k->c2s : k->s2c;
		off = 0x40000000u + rnd() % 0x80000000u;
		g->s.seq = (client ? k->cnxt : k->snxt) + off;
		g->s.ack = rnd() % 2 ? rnd() : (client ? k->snxt : k->cnxt);
		g->s.len = rnd() % 3 ? 0 : 1 + rnd() % 1000;
		g->s.win = (uint16_t)rnd();
		if (kind == G_RST)
			g->s.flags = (uint8_t)((rnd() & ~TH_SYN) | TH_RST);
		else if (kind == G_SYN)
			g->s.flags = (uint8_t)((rnd() & ~(TH_RST | TH_FIN)) | TH_SYN);
		else if (kind == G_FIN)
			g->s.flags = (uint8_t)((rnd() & ~(TH_SYN | TH_RST)) | TH_FIN);
		else
			g->s.flags = (uint8_t)(rnd() & ~(TH_SYN | TH_RST | TH_FIN));
		return 0;
	}
}

/* The fields of an event that garbage must not change, as one line. */
static void
event_line(const struct event *ev, char *buf, size_t cap)
{
	snprintf(buf, cap,
	         "%llu %s by=%s %s->%s %s->%s reason=%s closed_by=%s abnormal=%d partial=%d "
	         "bytes=%llu/%llu conn_state=%s dur=%llu opt=%u/%u/%u",
	         (unsigned long long)(ev->ts_us - T0), event_type_name(ev->type), side_name(ev->by),
	         tcp_state_name(ev->client_state_was), tcp_state_name(ev->client_state),
	         tcp_state_name(ev->server_state_was), tcp_state_name(ev->server_state),
	         close_reason_name(ev->reason), side_name(ev->closed_by), ev->abnormal, ev->partial,
	         (unsigned long long)ev->client.bytes, (unsigned long long)ev->server.bytes,
	         ev->conn_state, (unsigned long long)ev->duration_us, ev->opt.present, ev->opt.mss,
	         ev->opt.wscale);
}

static int
ours(const struct event *ev, const struct conn *k)
{
	return ev->family == 4 &&
	       ((memcmp(ev->client_ip, ip4_a, 16) == 0 && ev->client_port == k->c2s.sport &&
	         memcmp(ev->server_ip, ip4_b, 16) == 0 && ev->server_port == 443) ||
	        (memcmp(ev->server_ip, ip4_a, 16) == 0 && ev->server_port == k->c2s.sport &&
	         memcmp(ev->client_ip, ip4_b, 16) == 0 && ev->client_port == 443));
}

#define MAXLINES 64

/* One batch, as tracker_segments() or (a coin toss) hashed first as -r's reader thread does. */
static void
run_batch(struct tracker *t, struct segment *seg, size_t ns)
{
	if (rnd() % 2) {
		tracker_segments(t, seg, ns);
		return;
	}
	tracker_prehash(t, seg, ns);
	tracker_segments_prehashed(t, seg, ns);
}

/*
 * Run items through a fresh tracker, one segment at a time (batch 0) or in
 * batches of 1..batch (run_batch()): the lines of our connection's
 * events, and in *all a digest of every event's line.
 */
static size_t
run(const struct item *it, size_t n, const struct conn *k, char lines[][256], int *consistent,
    unsigned batch, uint64_t *all)
{
	struct tracker *t = new_tracker(256);
	static struct segment seg[32];
	char line[256];
	uint8_t b[1600];
	size_t i, len, nl = 0, ns = 0, want = 1;
	const char *c;

	for (i = 0; i < n; i++) {
		if (it[i].raw) {
			len = it[i].nbytes;
			memcpy(b, it[i].bytes, len);
		} else
			len = mk_eth(b, &it[i].s);
		if (decode_exact(LINK_ETHERNET, b, (uint32_t)len, &seg[ns], NULL) != DECODE_OK)
			continue;
		seg[ns].ts_us = it[i].ts;
		if (batch == 0) {
			tracker_segment(t, &seg[0]);
			continue;
		}
		if (++ns == want) {
			run_batch(t, seg, ns);
			ns = 0;
			want = 1 + rnd() % batch;
		}
	}
	run_batch(t, seg, ns);
	tracker_flush(t, it[n - 1].ts + 1000, CR_SHUTDOWN);
	*consistent = all_closed_once(t) && nevs <= MAXEV;
	*all = 14695981039346656037ULL;
	for (i = 0; i < nevs && i < MAXEV; i++) {
		event_line(&evs[i], line, sizeof(line));
		for (c = line; *c != '\0'; c++)
			*all = (*all ^ (uint8_t)*c) * 1099511628211ULL;
		if (ours(&evs[i], k) && nl < MAXLINES)
			memcpy(lines[nl++], line, sizeof(line));
	}
	tracker_free(t);
	return nl;
}

static char clean[MAXLINES][256], dirty[MAXLINES][256], batched[MAXLINES][256];

/*
 * iters connections, each with garbage of the kinds in mask between its
 * frames; the first difference found is printed with what reproduces it.
 */
static void
property(const char *name, unsigned mask, unsigned iters)
{
	struct item valid[32], mixed[32 * 8];
	struct conn k, kk;
	size_t nv, nm, nc, nd, i, j, g;
	unsigned iter, ngarbage;
	int cons, failed = 0;
	char why[700];
	uint64_t seed, sum, sum_batched;
	const char *bad;

	TEST_BEGIN(name);
	for (iter = 0; iter < iters && !failed; iter++) {
		seed = 0x9e3779b97f4a7c15ULL * (iter + 1) ^ mask;
		rng_state = seed;
		conn_init(&k, (uint16_t)(1024 + rnd() % 60000), rnd(), rnd());
		kk = k;
		nv = script(valid, &kk);

		/* Interleave: the state the garbage sees is the script's after each frame. */
		kk = k;
		nm = 0;
		ngarbage = 0;
		for (i = 0; i < nv; i++) {
			mixed[nm++] = valid[i];
			/* replay the script's numbers up to frame i */
			if (valid[i].s.sport == kk.c2s.sport)
				kk.cnxt = valid[i].s.seq + valid[i].s.len +
				          ((valid[i].s.flags & TH_SYN) != 0) +
				          ((valid[i].s.flags & TH_FIN) != 0);
			else
				kk.snxt = valid[i].s.seq + valid[i].s.len +
				          ((valid[i].s.flags & TH_SYN) != 0) +
				          ((valid[i].s.flags & TH_FIN) != 0);
			if (i + 1 == nv)
				break;
			/* up to 5 frames, 1..150 us apart: all before the next valid one */
			for (g = rnd() % 6; g > 0; g--) {
				if (garbage(&mixed[nm], mask, &kk, i >= 1) == -1)
					break;
				mixed[nm].ts = mixed[nm - 1].ts + 1 + rnd() % 150;
				nm++;
				ngarbage++;
			}
		}

		bad = NULL;
		nd = 0;
		nc = run(valid, nv, &k, clean, &cons, 0, &sum);
		if (!cons)
			bad = "the clean run is inconsistent";
		if (bad == NULL) {
			nd = run(mixed, nm, &k, dirty, &cons, 0, &sum);
			if (!cons)
				bad = "counters inconsistent with garbage";
			/* Batches (the flows fetched ahead) must change nothing at all. */
			else if (run(mixed, nm, &k, batched, &cons, 32, &sum_batched) != nd ||
			         sum_batched != sum)
				bad = "tracker_segments() or tracker_segments_prehashed() in "
				      "batches made other events than tracker_segment()";
		}
		if (bad != NULL) {
			snprintf(why, sizeof(why), "iteration %u (seed 0x%016llx): %s", iter,
			         (unsigned long long)seed, bad);
			failed = 1;
			break;
		}
		for (i = 0; i < nc || i < nd; i++) {
			if (i < nc && i < nd && strcmp(clean[i], dirty[i]) == 0)
				continue;
			snprintf(why, sizeof(why),
			         "iteration %u (seed 0x%016llx, %u garbage frames), "
			         "event %zu: alone \"%.200s\", with garbage \"%.200s\"",
			         iter, (unsigned long long)seed, ngarbage, i,
			         i < nc ? clean[i] : "(none)", i < nd ? dirty[i] : "(none)");
			printf("  the frames of the connection's 4-tuple:\n");
			for (j = 0; j < nm; j++)
				if (!mixed[j].raw &&
				    (memcmp(mixed[j].s.src, ip4_a, 16) == 0 ||
				     memcmp(mixed[j].s.src, ip4_b, 16) == 0) &&
				    (mixed[j].s.sport == k.c2s.sport ||
				     mixed[j].s.dport == k.c2s.sport))
					printf("    %s %llu %s flags 0x%02x seq %u ack %u len %u\n",
					       mixed[j].junk ? "junk " : "valid",
					       (unsigned long long)(mixed[j].ts - T0),
					       mixed[j].s.sport == k.c2s.sport ? "c>s" : "s>c",
					       mixed[j].s.flags, mixed[j].s.seq, mixed[j].s.ack,
					       mixed[j].s.len);
			failed = 1;
			break;
		}
	}
	if (failed) {
		printf("FAIL %s: %s\n", name, why);
		th_case_failed = 1;
	}
	TEST_END();
}

int
main(void)
{
	test_zero_length();
	test_truncated_everywhere();
	test_absurd_lengths();
	test_options_past_header();
	test_all_flags();
	test_seq_wrap();
	property("hostile_property_random_bytes", G_BYTES, 2000);
	property("hostile_property_other_connections", G_OTHER, 2000);
	property("hostile_property_out_of_window_rst", G_RST, 2000);
	property("hostile_property_out_of_window_syn", G_SYN, 2000);
	property("hostile_property_out_of_window_fin", G_FIN, 2000);
	property("hostile_property_out_of_window_ack_data", G_ACK, 2000);
	property("hostile_property_all_garbage", G_ALL, 2000);
	TEST_EXIT();
}
