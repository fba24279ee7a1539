/*
 * test_decode.c - unit tests of lib/decode.c.
 *
 * Frames are built in memory, one header at a time, and every decode runs on
 * an exactly-sized heap copy so that AddressSanitizer (make asan) catches a
 * read of even one byte past caplen. The last tests decode every frame of
 * every classic pcap under $SHARED/corpus/pcaps and $SHARED/fixtures.
 */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "../testhelp.h"
#include "../tools/pcapw.h"

/* A frame under construction. */
struct frame {
	uint8_t b[2048];
	uint32_t n;
};

static const uint8_t src4[4] = {192, 0, 2, 1};
static const uint8_t dst4[4] = {198, 51, 100, 2};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xef};

#define SPORT 40000
#define DPORT 443
#define SEQ 0x11223344u
#define ACK 0x55667788u
#define WIN 29200

/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7: a Linux SYN. */
static const uint8_t synopts[20] = {2,    4,    0x05, 0xb4, 4,    2,    8, 10, 0, 0,
                                    0x12, 0x34, 0,    0,    0x56, 0x78, 1, 3,  3, 7};

static void
put8(struct frame *f, unsigned v)
{
	if (f->n >= sizeof(f->b))
		abort();
	f->b[f->n++] = (uint8_t)v;
}

static void
put16(struct frame *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void
putn(struct frame *f, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n-- > 0)
		put8(f, *q++);
}

static void
fill(struct frame *f, unsigned v, size_t n)
{
	while (n-- > 0)
		put8(f, v);
}

static void
set16(struct frame *f, uint32_t at, unsigned v)
{
	f->b[at] = (uint8_t)(v >> 8);
	f->b[at + 1] = (uint8_t)v;
}

/* Ethernet header: two MACs and a type. */
static void
eth(struct frame *f, unsigned type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	putn(f, macs, sizeof(macs));
	put16(f, type);
}

/* An 802.1Q/802.1ad tag with priority 5 set, so the VID must be masked out. */
static void
vlan(struct frame *f, unsigned vid, unsigned next)
{
	put16(f, 0xa000 | vid);
	put16(f, next);
}

static void
mpls(struct frame *f, unsigned label, int bottom)
{
	put32(f, (uint32_t)label << 12 | (bottom ? 0x100 : 0) | 64);
}

/* PPPoE session header (length field deliberately wrong) and PPP protocol. */
static void
pppoe(struct frame *f, unsigned proto)
{
	put8(f, 0x11);
	put8(f, 0);
	put16(f, 0x0f07);
	put16(f, 2);
	put16(f, proto);
}

/* Linux cooked v1 header carrying protocol `proto`. */
static void
sll(struct frame *f, unsigned proto)
{
	put16(f, 0);      /* packet type: to us */
	put16(f, 1);      /* ARPHRD_ETHER */
	put16(f, 6);      /* address length */
	fill(f, 0xaa, 8); /* address, padded */
	put16(f, proto);
}

/* Linux cooked v2 header carrying protocol `proto`. */
static void
sll2(struct frame *f, unsigned proto)
{
	put16(f, proto);
	put16(f, 0); /* reserved */
	put32(f, 3); /* interface index */
	put16(f, 1); /* ARPHRD_ETHER */
	put8(f, 0);  /* packet type */
	put8(f, 6);  /* address length */
	fill(f, 0xaa, 8);
}

/*
 * Start an IPv4 header with optlen bytes of options (a multiple of 4) and the
 * given flags/fragment-offset word; ip4_end fills in the total length.
 */
static uint32_t
ip4_begin(struct frame *f, unsigned proto, unsigned optlen, unsigned frag)
{
	uint32_t at = f->n;

	put8(f, 0x40 | (5 + optlen / 4));
	put8(f, 0);
	put16(f, 0);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	putn(f, src4, 4);
	putn(f, dst4, 4);
	fill(f, 1, optlen); /* IP NOP options */
	return at;
}

static void
ip4_end(struct frame *f, uint32_t at)
{
	set16(f, at + 2, f->n - at);
}

/* Start an IPv6 header; ip6_end fills in the payload length. */
static uint32_t
ip6_begin(struct frame *f, unsigned nh)
{
	uint32_t at = f->n;

	put32(f, 0x60000000);
	put16(f, 0);
	put8(f, nh);
	put8(f, 64);
	putn(f, src6, 16);
	putn(f, dst6, 16);
	return at;
}

static void
ip6_end(struct frame *f, uint32_t at)
{
	set16(f, at + 4, f->n - at - 40);
}

/* A generic IPv6 extension header of (len8 + 1) * 8 bytes. */
static void
ext6(struct frame *f, unsigned nh, unsigned len8)
{
	put8(f, nh);
	put8(f, len8);
	fill(f, 0, 6 + 8 * len8);
}

/* An authentication header of (words + 2) * 4 bytes. */
static void
ah6(struct frame *f, unsigned nh, unsigned words)
{
	put8(f, nh);
	put8(f, words);
	fill(f, 0xcc, (words + 2) * 4 - 2);
}

static void
frag6(struct frame *f, unsigned nh, unsigned offset8, int more)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, offset8 << 3 | (more ? 1 : 0));
	put32(f, 0xdeadbeef);
}

/* A TCP header with optlen bytes of options (a multiple of 4). */
static void
tcp(struct frame *f, unsigned flags, const uint8_t *opt, unsigned optlen)
{
	put16(f, SPORT);
	put16(f, DPORT);
	put32(f, SEQ);
	put32(f, ACK);
	put8(f, ((20 + optlen) / 4) << 4);
	put8(f, flags);
	put16(f, WIN);
	put16(f, 0);
	put16(f, 0);
	putn(f, opt, optlen);
}

/* IPv4 + TCP SYN with the usual options + paylen bytes of payload. */
static void
body4(struct frame *f, unsigned paylen)
{
	uint32_t ip = ip4_begin(f, 6, 0, 0);

	tcp(f, TH_SYN, synopts, sizeof(synopts));
	fill(f, 'x', paylen);
	ip4_end(f, ip);
}

static void
body6(struct frame *f, unsigned paylen)
{
	uint32_t ip = ip6_begin(f, 6);

	tcp(f, TH_SYN, synopts, sizeof(synopts));
	fill(f, 'x', paylen);
	ip6_end(f, ip);
}

/* Decode the first caplen bytes of f from an exactly-sized heap copy. */
static enum decode_result
dec_n(int link, const struct frame *f, uint32_t caplen, struct segment *s, struct decode_stats *st)
{
	enum decode_result r;
	uint8_t *p;

	p = malloc(caplen ? caplen : 1);
	if (p == NULL)
		abort();
	memcpy(p, f->b, caplen);
	r = decode_packet(link, p, caplen, NULL, s, st);
	free(p);
	return r;
}

static enum decode_result
dec(int link, const struct frame *f, struct segment *s)
{
	return dec_n(link, f, f->n, s, NULL);
}

static int
zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

/* The addresses, ports and header fields every built frame carries. */
static void
check_tuple(const struct segment *s, int family)
{
	CHECK_EQ_U(s->family, family);
	if (family == 4) {
		CHECK(memcmp(s->saddr, src4, 4) == 0);
		CHECK(memcmp(s->daddr, dst4, 4) == 0);
		CHECK(zero(s->saddr + 4, 12));
		CHECK(zero(s->daddr + 4, 12));
	} else {
		CHECK(memcmp(s->saddr, src6, 16) == 0);
		CHECK(memcmp(s->daddr, dst6, 16) == 0);
	}
	CHECK_EQ_U(s->sport, SPORT);
	CHECK_EQ_U(s->dport, DPORT);
	CHECK_EQ_U(s->seq, SEQ);
	CHECK_EQ_U(s->ack, ACK);
	CHECK_EQ_U(s->win, WIN);
}

/* What body4/body6 put in the options. */
static void
check_synopts(const struct segment *s)
{
	CHECK_EQ_U(s->opt.present, OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TS);
	CHECK_EQ_U(s->opt.mss, 1460);
	CHECK_EQ_U(s->opt.wscale, 7);
	CHECK_EQ_U(s->opt.ts_val, 0x1234);
	CHECK_EQ_U(s->opt.ts_ecr, 0x5678);
}

static int
seg_same(const struct segment *a, const struct segment *b)
{
	return memcmp(a->saddr, b->saddr, 16) == 0 && memcmp(a->daddr, b->daddr, 16) == 0 &&
	       a->family == b->family && a->flags == b->flags && a->sport == b->sport &&
	       a->dport == b->dport && a->win == b->win && a->seq == b->seq && a->ack == b->ack &&
	       a->len == b->len && a->vlan == b->vlan && a->opt.present == b->opt.present &&
	       a->opt.wscale == b->opt.wscale && a->opt.mss == b->opt.mss &&
	       a->opt.ts_val == b->opt.ts_val && a->opt.ts_ecr == b->opt.ts_ecr;
}

/*
 * Decode every prefix of a valid frame. link_end, ip_end and tcp_end are the
 * offsets where the link headers, the IP header chain and the TCP header end:
 * a prefix is LINK_, IP_ or TCP_TRUNCATED by where it stops, and OK exactly
 * when the whole TCP header is in it, then with the same fields as the whole
 * frame (the payload length still from the IP header).
 */
static void
check_prefixes(const char *name, int link, const struct frame *f, uint32_t link_end,
               uint32_t ip_end, uint32_t tcp_end)
{
	struct segment full, s;
	struct decode_stats st;
	enum decode_result want, r;
	uint32_t n, bad = 0;

	TEST_BEGIN(name);
	memset(&st, 0, sizeof(st));
	CHECK_EQ_U(dec(link, f, &full), DECODE_OK);
	for (n = 0; n <= f->n; n++) {
		if (n < link_end)
			want = DECODE_LINK_TRUNCATED;
		else if (n < ip_end)
			want = DECODE_IP_TRUNCATED;
		else if (n < tcp_end)
			want = DECODE_TCP_TRUNCATED;
		else
			want = DECODE_OK;
		r = dec_n(link, f, n, &s, &st);
		if (r != want || (r == DECODE_OK && !seg_same(&s, &full))) {
			if (bad++ < 3)
				printf("FAIL %s: prefix %u: got %s, want %s\n", name, n,
				       decode_result_name(r), decode_result_name(want));
			th_case_failed = 1;
		}
	}
	CHECK_EQ_U(st.frames, f->n + 1);
	CHECK_EQ_U(st.result[DECODE_OK], f->n + 1 - tcp_end);
	TEST_END();
}

static void
test_names(void)
{
	static const char *want[DECODE_NREASONS] = {
	    "ok",           "link_unsupported", "link_truncated",
	    "not_ip",       "ip_truncated",     "ip_bad",
	    "ip_fragment",  "not_tcp",          "tcp_truncated",
	    "tcp_bad",      "tunnel_truncated", "tunnel_bad",
	    "tunnel_depth", "port_filtered"};
	int i;

	TEST_BEGIN("decode_result_name");
	for (i = 0; i < DECODE_NREASONS; i++)
		CHECK_EQ_S(decode_result_name((enum decode_result)i), want[i]);
	CHECK_EQ_S(decode_result_name(DECODE_NREASONS), "unknown");
	TEST_END();
}

static void
test_link_supported(void)
{
	static const int yes[] = {LINK_NULL, LINK_ETHERNET,  LINK_RAW_DLT,   LINK_RAW_DLT14,
	                          LINK_RAW,  LINK_LOOP,      LINK_LINUX_SLL, LINK_IPV4,
	                          LINK_IPV6, LINK_LINUX_SLL2};
	static const int no[] = {-1, 2, 9, 105, 127, 192, 220, 275, 277, 65535};
	struct frame f = {.n = 0};
	struct segment s;
	size_t i;

	TEST_BEGIN("decode_link_supported");
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK_EQ_U(decode_link_supported(yes[i]), 1);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		CHECK_EQ_U(decode_link_supported(no[i]), 0);
		CHECK_EQ_U(dec(no[i], &f, &s), DECODE_LINK_UNSUPPORTED);
	}
	TEST_END();
}

static void
test_ether_ipv4(void)
{
	struct frame f = {.n = 0};
	struct segment s;

	TEST_BEGIN("ethernet_ipv4");
	eth(&f, 0x0800);
	body4(&f, 100);
	s.ts_us = 1234567;
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_synopts(&s);
	CHECK_EQ_U(s.flags, TH_SYN);
	CHECK_EQ_U(s.len, 100);
	CHECK_EQ_U(s.vlan, 0);
	CHECK_EQ_U(s.ts_us, 1234567); /* the caller's field */
	TEST_END();
}

static void
test_ether_ipv6(void)
{
	struct frame f = {.n = 0};
	struct segment s;

	TEST_BEGIN("ethernet_ipv6");
	eth(&f, 0x86dd);
	body6(&f, 7);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	check_synopts(&s);
	CHECK_EQ_U(s.len, 7);
	TEST_END();

	TEST_BEGIN("ethernet_type_ip_mismatch");
	f.n = 0;
	eth(&f, 0x0800);
	body6(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	f.n = 0;
	eth(&f, 0x86dd);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	TEST_END();

	TEST_BEGIN("ethernet_not_ip");
	f.n = 0;
	eth(&f, 0x0806); /* ARP */
	fill(&f, 0, 28);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	f.n = 0;
	eth(&f, 60); /* 802.3 length field */
	fill(&f, 0, 60);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	TEST_END();
}

static void
test_vlan(void)
{
	struct frame f = {.n = 0};
	struct segment s;
	int i;

	TEST_BEGIN("vlan_8021q");
	eth(&f, 0x8100);
	vlan(&f, 42, 0x0800);
	body4(&f, 3);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.vlan, 42);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.len, 3);
	TEST_END();

	TEST_BEGIN("vlan_qinq_outermost");
	f.n = 0;
	eth(&f, 0x88a8);
	vlan(&f, 10, 0x8100);
	vlan(&f, 20, 0x86dd);
	body6(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.vlan, 10);
	check_tuple(&s, 6);
	f.n = 0;
	eth(&f, 0x9100);
	vlan(&f, 4095, 0x8100);
	vlan(&f, 1, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.vlan, 4095);
	TEST_END();

	TEST_BEGIN("vlan_priority_tag");
	/* VID 0 is priority only: the first real VLAN id is recorded. */
	f.n = 0;
	eth(&f, 0x8100);
	vlan(&f, 0, 0x8100);
	vlan(&f, 7, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.vlan, 7);
	TEST_END();

	TEST_BEGIN("vlan_tag_limit");
	f.n = 0;
	eth(&f, 0x8100);
	for (i = 1; i < 8; i++)
		vlan(&f, (unsigned)i, 0x8100);
	vlan(&f, 8, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.vlan, 1);
	f.n = 0;
	eth(&f, 0x8100);
	for (i = 1; i < 9; i++)
		vlan(&f, (unsigned)i, 0x8100);
	vlan(&f, 9, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	TEST_END();

	TEST_BEGIN("vlan_arp");
	f.n = 0;
	eth(&f, 0x8100);
	vlan(&f, 5, 0x0806);
	fill(&f, 0, 28);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	TEST_END();
}

static void
test_mpls(void)
{
	struct frame f = {.n = 0};
	struct segment s;

	TEST_BEGIN("mpls_one_label");
	eth(&f, 0x8847);
	mpls(&f, 29, 1);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_synopts(&s);
	TEST_END();

	TEST_BEGIN("mpls_stack_ipv6_multicast");
	f.n = 0;
	eth(&f, 0x8848);
	mpls(&f, 100, 0);
	mpls(&f, 200, 0);
	mpls(&f, 300, 1);
	body6(&f, 11);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	CHECK_EQ_U(s.len, 11);
	TEST_END();

	TEST_BEGIN("mpls_in_vlan");
	f.n = 0;
	eth(&f, 0x8100);
	vlan(&f, 300, 0x8847);
	mpls(&f, 16, 1);
	body4(&f, 1);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.vlan, 300);
	CHECK_EQ_U(s.len, 1);
	TEST_END();

	TEST_BEGIN("mpls_not_ip");
	/* A pseudowire control word (first nibble 0) is not IP. */
	f.n = 0;
	eth(&f, 0x8847);
	mpls(&f, 16, 1);
	put32(&f, 0);
	eth(&f, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	TEST_END();

	TEST_BEGIN("mpls_no_bottom");
	/* The stack never ends: the frame runs out inside it. */
	f.n = 0;
	eth(&f, 0x8847);
	mpls(&f, 16, 0);
	mpls(&f, 17, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_LINK_TRUNCATED);
	TEST_END();
}

static void
test_pppoe(void)
{
	struct frame f = {.n = 0};
	struct segment s;

	TEST_BEGIN("pppoe_ipv4");
	eth(&f, 0x8864);
	pppoe(&f, 0x0021);
	body4(&f, 5);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.len, 5);
	TEST_END();

	TEST_BEGIN("pppoe_ipv6_over_qinq");
	f.n = 0;
	eth(&f, 0x8100);
	vlan(&f, 3704, 0x8100);
	vlan(&f, 2474, 0x8864);
	pppoe(&f, 0x0057);
	body6(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	CHECK_EQ_U(s.vlan, 3704);
	TEST_END();

	TEST_BEGIN("pppoe_lcp");
	f.n = 0;
	eth(&f, 0x8864);
	pppoe(&f, 0xc021);
	fill(&f, 0, 20);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	/* PPP says IPv4, the packet is IPv6 */
	f.n = 0;
	eth(&f, 0x8864);
	pppoe(&f, 0x0021);
	body6(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	TEST_END();
}

static void
test_fabricpath(void)
{
	struct frame f = {.n = 0};
	struct segment s;

	TEST_BEGIN("fabricpath_ipv4");
	eth(&f, 0x8903);
	put16(&f, 0x0001); /* FTag, TTL */
	eth(&f, 0x0800);
	body4(&f, 2);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.len, 2);
	TEST_END();

	TEST_BEGIN("fabricpath_inner_vlan_ipv6");
	f.n = 0;
	eth(&f, 0x8903);
	put16(&f, 0x0001);
	eth(&f, 0x8100);
	vlan(&f, 99, 0x86dd);
	body6(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	CHECK_EQ_U(s.vlan, 99);
	TEST_END();

	TEST_BEGIN("fabricpath_inner_not_ip");
	f.n = 0;
	eth(&f, 0x8903);
	put16(&f, 0x0001);
	eth(&f, 0x0806);
	fill(&f, 0, 28);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	TEST_END();
}

static void
test_cooked(void)
{
	struct frame f = {.n = 0};
	struct segment s;

	TEST_BEGIN("linux_sll");
	sll(&f, 0x0800);
	body4(&f, 9);
	CHECK_EQ_U(dec(LINK_LINUX_SLL, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.len, 9);
	f.n = 0;
	sll(&f, 0x86dd);
	body6(&f, 0);
	CHECK_EQ_U(dec(LINK_LINUX_SLL, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	f.n = 0;
	sll(&f, 0x8100); /* a tag the kernel left in place */
	vlan(&f, 12, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_LINUX_SLL, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.vlan, 12);
	f.n = 0;
	sll(&f, 0x0806);
	fill(&f, 0, 28);
	CHECK_EQ_U(dec(LINK_LINUX_SLL, &f, &s), DECODE_NOT_IP);
	TEST_END();

	TEST_BEGIN("linux_sll2");
	f.n = 0;
	sll2(&f, 0x0800);
	body4(&f, 9);
	CHECK_EQ_U(dec(LINK_LINUX_SLL2, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.len, 9);
	f.n = 0;
	sll2(&f, 0x86dd);
	body6(&f, 0);
	CHECK_EQ_U(dec(LINK_LINUX_SLL2, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	f.n = 0;
	sll2(&f, 0x0004); /* 802.2 LLC */
	fill(&f, 0, 28);
	CHECK_EQ_U(dec(LINK_LINUX_SLL2, &f, &s), DECODE_NOT_IP);
	TEST_END();
}

/* A loopback frame: the AF word as 4 raw bytes, then IPv4 or IPv6. */
static enum decode_result
loop_af(int link, const uint8_t af[4], int family, struct segment *s)
{
	struct frame f = {.n = 0};

	putn(&f, af, 4);
	if (family == 4)
		body4(&f, 0);
	else
		body6(&f, 0);
	return dec(link, &f, s);
}

static void
test_loopback(void)
{
	static const uint8_t le2[4] = {2, 0, 0, 0}, be2[4] = {0, 0, 0, 2};
	static const uint8_t le10[4] = {10, 0, 0, 0}, le24[4] = {24, 0, 0, 0};
	static const uint8_t le28[4] = {28, 0, 0, 0}, be30[4] = {0, 0, 0, 30};
	static const uint8_t be24[4] = {0, 0, 0, 24}, le7[4] = {7, 0, 0, 0};
	struct segment s;

	TEST_BEGIN("null_either_byte_order");
	CHECK_EQ_U(loop_af(LINK_NULL, le2, 4, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(loop_af(LINK_NULL, be2, 4, &s), DECODE_OK);
	CHECK_EQ_U(loop_af(LINK_NULL, le10, 6, &s), DECODE_OK);
	check_tuple(&s, 6);
	CHECK_EQ_U(loop_af(LINK_NULL, le24, 6, &s), DECODE_OK);
	CHECK_EQ_U(loop_af(LINK_NULL, le28, 6, &s), DECODE_OK);
	CHECK_EQ_U(loop_af(LINK_NULL, be30, 6, &s), DECODE_OK);
	CHECK_EQ_U(loop_af(LINK_NULL, le7, 4, &s), DECODE_NOT_IP);
	/* the AF says IPv4, the packet is IPv6 */
	CHECK_EQ_U(loop_af(LINK_NULL, le2, 6, &s), DECODE_IP_BAD);
	TEST_END();

	TEST_BEGIN("loop_network_order");
	CHECK_EQ_U(loop_af(LINK_LOOP, be2, 4, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(loop_af(LINK_LOOP, be24, 6, &s), DECODE_OK);
	check_tuple(&s, 6);
	CHECK_EQ_U(loop_af(LINK_LOOP, le2, 4, &s), DECODE_NOT_IP);
	TEST_END();
}

static void
test_raw(void)
{
	static const int guess[] = {LINK_RAW_DLT, LINK_RAW_DLT14, LINK_RAW};
	struct frame f4 = {.n = 0}, f6 = {.n = 0}, f5 = {.n = 0};
	struct segment s;
	size_t i;

	body4(&f4, 4);
	body6(&f6, 6);
	body4(&f5, 0);
	f5.b[0] = 0x55; /* version 5 */

	TEST_BEGIN("raw_version_nibble");
	for (i = 0; i < sizeof(guess) / sizeof(guess[0]); i++) {
		CHECK_EQ_U(dec(guess[i], &f4, &s), DECODE_OK);
		check_tuple(&s, 4);
		CHECK_EQ_U(s.len, 4);
		CHECK_EQ_U(dec(guess[i], &f6, &s), DECODE_OK);
		check_tuple(&s, 6);
		CHECK_EQ_U(s.len, 6);
		CHECK_EQ_U(dec(guess[i], &f5, &s), DECODE_IP_BAD);
	}
	TEST_END();

	TEST_BEGIN("raw_ipv4_ipv6_linktypes");
	CHECK_EQ_U(dec(LINK_IPV4, &f4, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(dec(LINK_IPV6, &f6, &s), DECODE_OK);
	check_tuple(&s, 6);
	CHECK_EQ_U(dec(LINK_IPV4, &f6, &s), DECODE_IP_BAD);
	CHECK_EQ_U(dec(LINK_IPV6, &f4, &s), DECODE_IP_BAD);
	TEST_END();
}

static void
test_ipv4(void)
{
	struct frame f = {.n = 0};
	struct segment s;
	uint32_t ip;
	unsigned optlen;

	TEST_BEGIN("ipv4_options");
	for (optlen = 4; optlen <= 40; optlen += 4) {
		f.n = 0;
		eth(&f, 0x0800);
		ip = ip4_begin(&f, 6, optlen, 0);
		tcp(&f, TH_ACK | TH_PSH, NULL, 0);
		fill(&f, 'y', 17);
		ip4_end(&f, ip);
		CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
		check_tuple(&s, 4);
		CHECK_EQ_U(s.flags, TH_ACK | TH_PSH);
		CHECK_EQ_U(s.len, 17);
		CHECK_EQ_U(s.opt.present, 0);
	}
	TEST_END();

	TEST_BEGIN("ipv4_bad_header_length");
	f.n = 0;
	eth(&f, 0x0800);
	body4(&f, 0);
	f.b[14] = 0x44; /* IHL 4 */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	f.b[14] = 0x4f; /* IHL 15: 60 bytes, all captured, but total length is 60 */
	set16(&f, 16, 59);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	TEST_END();

	TEST_BEGIN("ipv4_header_past_caplen");
	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0);
	ip4_end(&f, ip);
	f.b[14] = 0x46; /* claims 24 bytes, 20 captured */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_TRUNCATED);
	TEST_END();

	TEST_BEGIN("ipv4_total_length_short");
	f.n = 0;
	eth(&f, 0x0800);
	body4(&f, 0);
	set16(&f, 16, 19);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	set16(&f, 16, 20); /* no room for TCP at all */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TCP_BAD);
	set16(&f, 16, 20 + 39); /* TCP header is 40 bytes */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TCP_BAD);
	set16(&f, 16, 20 + 40);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.len, 0);
	TEST_END();

	TEST_BEGIN("ipv4_total_length_zero_offload");
	f.n = 0;
	eth(&f, 0x0800);
	body4(&f, 1900);
	set16(&f, 16, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.len, 1900);
	TEST_END();

	TEST_BEGIN("ipv4_not_tcp");
	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 17, 0, 0);
	fill(&f, 0, 8);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_TCP);
	TEST_END();
}

static void
test_ipv4_fragments(void)
{
	struct frame f = {.n = 0};
	struct segment s;
	uint32_t ip;

	TEST_BEGIN("ipv4_first_fragment");
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0x2000); /* MF, offset 0 */
	tcp(&f, TH_ACK, NULL, 0);
	fill(&f, 'z', 64);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.len, 64); /* this fragment's share only */
	TEST_END();

	TEST_BEGIN("ipv4_dont_fragment");
	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0x4000); /* DF */
	tcp(&f, TH_ACK, NULL, 0);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	TEST_END();

	TEST_BEGIN("ipv4_later_fragment");
	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0x2000 | 8); /* MF, offset 64 bytes */
	fill(&f, 'z', 64);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_FRAGMENT);
	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 185); /* last fragment, offset 1480 */
	tcp(&f, TH_SYN, NULL, 0);      /* bytes that look like TCP must not fool it */
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_FRAGMENT);
	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0x1000); /* only the top offset bit: 32768 bytes */
	tcp(&f, TH_SYN, NULL, 0);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_FRAGMENT);
	TEST_END();
}

static void
test_ipv6_ext(void)
{
	struct frame f = {.n = 0};
	struct segment s;
	uint32_t ip;
	int i;

	TEST_BEGIN("ipv6_extension_chain");
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 0);
	/* Each line is one header; its argument names the header after it. */
	ext6(&f, 60, 1);     /* hop-by-hop, 16 bytes */
	ext6(&f, 43, 0);     /* destination options, 8 bytes */
	ext6(&f, 44, 2);     /* routing, 24 bytes */
	frag6(&f, 51, 0, 1); /* fragment: the first one, more follow */
	ah6(&f, 135, 4);     /* AH, 24 bytes */
	ext6(&f, 139, 0);    /* mobility */
	ext6(&f, 140, 0);    /* HIP */
	ext6(&f, 6, 0);      /* shim6 */
	tcp(&f, TH_SYN | TH_ACK, synopts, sizeof(synopts));
	fill(&f, 'p', 33);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	check_synopts(&s);
	CHECK_EQ_U(s.flags, TH_SYN | TH_ACK);
	CHECK_EQ_U(s.len, 33);
	TEST_END();

	TEST_BEGIN("ipv6_later_fragment");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 44);
	frag6(&f, 6, 185, 0);
	tcp(&f, TH_SYN, NULL, 0);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_FRAGMENT);
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 44);
	frag6(&f, 6, 0x1000, 1); /* only the top offset bit */
	tcp(&f, TH_SYN, NULL, 0);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_FRAGMENT);
	TEST_END();

	TEST_BEGIN("ipv6_not_tcp");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 50); /* ESP */
	fill(&f, 0, 40);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_TCP);
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 0);
	ext6(&f, 59, 0); /* no next header */
	fill(&f, 0, 40);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_TCP);
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 58); /* ICMPv6 */
	fill(&f, 0, 8);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_TCP);
	TEST_END();

	TEST_BEGIN("ipv6_jumbogram");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 0); /* hop-by-hop: where the jumbo payload option goes */
	ext6(&f, 6, 0);
	tcp(&f, TH_SYN, NULL, 0);
	ip6_end(&f, ip);
	set16(&f, 14 + 4, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	TEST_END();

	/* Captured on the sender before TSO/GSO: length 0, the bytes are what was captured. */
	TEST_BEGIN("ipv6_payload_length_zero_offload");
	f.n = 0;
	eth(&f, 0x86dd);
	body6(&f, 1800);
	set16(&f, 14 + 4, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.len, 1800);
	TEST_END();

	TEST_BEGIN("ipv6_extension_past_payload");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 60);
	ext6(&f, 6, 3); /* 32 bytes */
	tcp(&f, TH_SYN, NULL, 0);
	ip6_end(&f, ip);
	set16(&f, 14 + 4, 31); /* payload length ends inside the extension header */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	set16(&f, 14 + 4, 7); /* not even a minimal one */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	set16(&f, 14 + 4, 32 + 19); /* TCP header past the payload length */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TCP_BAD);
	set16(&f, 14 + 4, 32 + 20);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	/* extension header longer than what was captured */
	f.b[14 + 40 + 1] = 200;
	set16(&f, 14 + 4, 2000);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_TRUNCATED);
	TEST_END();

	TEST_BEGIN("ipv6_extension_limit");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 60);
	for (i = 0; i < 15; i++)
		ext6(&f, 60, 0);
	ext6(&f, 6, 0);
	tcp(&f, TH_SYN, NULL, 0);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK); /* 16 headers */
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 60);
	for (i = 0; i < 16; i++)
		ext6(&f, 60, 0);
	ext6(&f, 6, 0);
	tcp(&f, TH_SYN, NULL, 0);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD); /* 17 */
	TEST_END();
}

/*
 * Decode an Ethernet/IPv4 SYN with 4 payload bytes whose TCP options are
 * opt[0..optlen), padded with EOL to a multiple of 4. With cut, the capture
 * ends where the TCP header does, so an option parser reading one byte too
 * far reads past caplen.
 */
static enum decode_result
with_opts_n(const uint8_t *opt, unsigned optlen, int cut, struct segment *s,
            struct decode_stats *st)
{
	struct frame f = {.n = 0};
	uint8_t buf[40];
	uint32_t ip;
	unsigned padded = (optlen + 3) & ~3u;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, opt, optlen);
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0);
	tcp(&f, TH_SYN, buf, padded);
	fill(&f, 'o', 4);
	ip4_end(&f, ip);
	return dec_n(LINK_ETHERNET, &f, cut ? f.n - 4 : f.n, s, st);
}

static enum decode_result
with_opts(const uint8_t *opt, unsigned optlen, struct segment *s, struct decode_stats *st)
{
	return with_opts_n(opt, optlen, 0, s, st);
}

static enum decode_result
with_opts_cut(const uint8_t *opt, unsigned optlen, struct segment *s, struct decode_stats *st)
{
	return with_opts_n(opt, optlen, 1, s, st);
}

static void
test_tcp_options(void)
{
	static const uint8_t mss[] = {2, 4, 0x23, 0x28};
	static const uint8_t ws[] = {1, 3, 3, 14};
	static const uint8_t sack[] = {1, 1, 4, 2};
	static const uint8_t ts[] = {1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce};
	static const uint8_t ws_big[] = {3, 3, 200, 0};
	static const uint8_t unknown[] = {30, 6, 0, 0, 0, 0, 2, 4, 0x01, 0x00};
	static const uint8_t sackblk[] = {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 3, 3, 2, 0};
	static const uint8_t eol[] = {2, 4, 0x05, 0xb4, 0, 3, 3, 7};
	static const uint8_t wronglen[] = {2, 6, 0x05, 0xb4, 0, 0, 3, 4, 5, 0, 4, 3,
	                                   0, 8, 11,   0,    0, 0, 1, 0, 0, 0, 2, 0};
	static const uint8_t len0[] = {2, 4, 0x05, 0xb4, 30, 0, 3, 3, 5, 1, 1, 1};
	static const uint8_t len1[] = {4, 2, 30, 1, 3, 3, 5, 0};
	static const uint8_t past[] = {3, 3, 9, 8, 10, 0, 0, 0};
	/* 40 bytes of options whose last byte is a kind with no length byte */
	uint8_t nolen[40];
	struct segment s;
	struct decode_stats st;

	memset(&st, 0, sizeof(st));

	TEST_BEGIN("tcpopt_mss");
	CHECK_EQ_U(with_opts(mss, sizeof(mss), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_MSS);
	CHECK_EQ_U(s.opt.mss, 9000);
	CHECK_EQ_U(s.len, 4);
	TEST_END();

	TEST_BEGIN("tcpopt_wscale");
	CHECK_EQ_U(with_opts(ws, sizeof(ws), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_WSCALE);
	CHECK_EQ_U(s.opt.wscale, 14);
	CHECK_EQ_U(with_opts(ws_big, sizeof(ws_big), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_WSCALE);
	CHECK_EQ_U(s.opt.wscale, 200); /* as sent, not capped */
	TEST_END();

	TEST_BEGIN("tcpopt_sack_permitted");
	CHECK_EQ_U(with_opts(sack, sizeof(sack), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_SACK_OK);
	TEST_END();

	TEST_BEGIN("tcpopt_timestamps");
	CHECK_EQ_U(with_opts(ts, sizeof(ts), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_TS);
	CHECK_EQ_U(s.opt.ts_val, 0xdeadbeef);
	CHECK_EQ_U(s.opt.ts_ecr, 0xfeedface);
	TEST_END();

	TEST_BEGIN("tcpopt_skip_unknown_and_sack_blocks");
	CHECK_EQ_U(with_opts(unknown, sizeof(unknown), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_MSS);
	CHECK_EQ_U(s.opt.mss, 256);
	CHECK_EQ_U(with_opts(sackblk, sizeof(sackblk), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_WSCALE);
	CHECK_EQ_U(s.opt.wscale, 2);
	TEST_END();

	TEST_BEGIN("tcpopt_eol_ends");
	CHECK_EQ_U(with_opts(eol, sizeof(eol), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_MSS);
	CHECK_EQ_U(s.opt.wscale, 0);
	TEST_END();

	TEST_BEGIN("tcpopt_known_kind_wrong_length");
	CHECK_EQ_U(with_opts(wronglen, sizeof(wronglen), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, 0);
	CHECK_EQ_U(s.opt.mss, 0);
	CHECK_EQ_U(s.opt.wscale, 0);
	CHECK_EQ_U(s.opt.ts_val, 0);
	CHECK_EQ_U(st.opt_malformed, 0);
	TEST_END();

	TEST_BEGIN("tcpopt_malformed_length_0");
	CHECK_EQ_U(with_opts(len0, sizeof(len0), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_MSS | OPT_MALFORMED); /* MSS before it kept */
	CHECK_EQ_U(s.opt.mss, 1460);
	CHECK_EQ_U(s.opt.wscale, 0); /* nothing after it parsed */
	CHECK_EQ_U(s.len, 4);
	CHECK_EQ_U(st.opt_malformed, 1);
	TEST_END();

	TEST_BEGIN("tcpopt_malformed_length_1");
	CHECK_EQ_U(with_opts(len1, sizeof(len1), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_SACK_OK | OPT_MALFORMED);
	CHECK_EQ_U(st.opt_malformed, 2);
	TEST_END();

	TEST_BEGIN("tcpopt_malformed_past_header");
	CHECK_EQ_U(with_opts(past, sizeof(past), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_WSCALE | OPT_MALFORMED);
	CHECK_EQ_U(s.opt.wscale, 9);
	CHECK_EQ_U(s.opt.ts_val, 0);
	CHECK_EQ_U(st.opt_malformed, 3);
	TEST_END();

	TEST_BEGIN("tcpopt_malformed_no_length_byte");
	memset(nolen, 1, sizeof(nolen));
	nolen[39] = 2;
	CHECK_EQ_U(with_opts(nolen, sizeof(nolen), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_MALFORMED);
	CHECK_EQ_U(st.opt_malformed, 4);
	/* the same with the capture ending right after the kind byte */
	CHECK_EQ_U(with_opts_cut(nolen, sizeof(nolen), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, OPT_MALFORMED);
	CHECK_EQ_U(s.len, 4);
	CHECK_EQ_U(st.opt_malformed, 5);
	nolen[39] = 0; /* EOL in the same place is fine */
	CHECK_EQ_U(with_opts(nolen, sizeof(nolen), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, 0);
	nolen[39] = 1; /* so is NOP */
	CHECK_EQ_U(with_opts(nolen, sizeof(nolen), &s, &st), DECODE_OK);
	CHECK_EQ_U(s.opt.present, 0);
	CHECK_EQ_U(st.opt_malformed, 5);
	CHECK_EQ_U(st.result[DECODE_OK], st.frames);
	TEST_END();
}

static void
test_tcp_header(void)
{
	struct frame f = {.n = 0};
	struct segment s;
	uint32_t ip;
	unsigned flags;

	TEST_BEGIN("tcp_data_offset_small");
	eth(&f, 0x0800);
	body4(&f, 10);
	f.b[14 + 20 + 12] = 0x40; /* 16 bytes */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TCP_BAD);
	f.b[14 + 20 + 12] = 0x00;
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TCP_BAD);
	TEST_END();

	TEST_BEGIN("tcp_data_offset_past_ip");
	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0);
	tcp(&f, TH_ACK, NULL, 0);
	ip4_end(&f, ip);
	fill(&f, 0, 40);          /* captured bytes beyond the IP packet do not count */
	f.b[14 + 20 + 12] = 0xf0; /* 60 bytes, IP payload is 20 */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TCP_BAD);
	TEST_END();

	TEST_BEGIN("tcp_options_not_captured");
	/* the Zeek truncated-header case: a SYN cut inside its options */
	f.n = 0;
	eth(&f, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec_n(LINK_ETHERNET, &f, 14 + 20 + 20 + 14, &s, NULL), DECODE_TCP_TRUNCATED);
	CHECK_EQ_U(dec_n(LINK_ETHERNET, &f, 14 + 20 + 19, &s, NULL), DECODE_TCP_TRUNCATED);
	TEST_END();

	TEST_BEGIN("tcp_all_flags");
	for (flags = 0; flags < 256; flags++) {
		f.n = 0;
		eth(&f, 0x0800);
		ip = ip4_begin(&f, 6, 0, 0);
		tcp(&f, flags, NULL, 0);
		ip4_end(&f, ip);
		CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
		CHECK_EQ_U(s.flags, flags);
	}
	TEST_END();
}

static void
test_padding_and_snaplen(void)
{
	struct frame f = {.n = 0};
	struct segment s;
	uint32_t ip;

	TEST_BEGIN("ethernet_padding");
	/* A bare ACK is 54 bytes; the NIC pads it to 60 with junk. */
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0);
	tcp(&f, TH_ACK, NULL, 0);
	ip4_end(&f, ip);
	fill(&f, 0xff, 6);
	CHECK_EQ_U(f.n, 60);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.len, 0);
	CHECK_EQ_U(s.opt.present, 0);
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 6);
	tcp(&f, TH_ACK, NULL, 0);
	fill(&f, 'd', 3);
	ip6_end(&f, ip);
	fill(&f, 0xff, 11);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK_EQ_U(s.len, 3);
	TEST_END();

	TEST_BEGIN("snaplen_cut_payload");
	f.n = 0;
	eth(&f, 0x0800);
	body4(&f, 1400);
	CHECK_EQ_U(dec_n(LINK_ETHERNET, &f, 96, &s, NULL), DECODE_OK);
	CHECK_EQ_U(s.len, 1400);
	check_synopts(&s);
	f.n = 0;
	eth(&f, 0x86dd);
	body6(&f, 1400);
	CHECK_EQ_U(dec_n(LINK_ETHERNET, &f, 14 + 40 + 40, &s, NULL), DECODE_OK);
	CHECK_EQ_U(s.len, 1400);
	TEST_END();
}

static void
test_stats(void)
{
	struct frame f = {.n = 0};
	struct decode_stats st;
	struct segment s;
	uint32_t ip;
	int i;

	TEST_BEGIN("stats");
	memset(&st, 0, sizeof(st));
	eth(&f, 0x0800);
	body4(&f, 0);
	for (i = 0; i < 3; i++)
		CHECK_EQ_U(dec_n(LINK_ETHERNET, &f, f.n, &s, &st), DECODE_OK);
	CHECK_EQ_U(dec_n(LINK_ETHERNET, &f, 10, &s, &st), DECODE_LINK_TRUNCATED);
	CHECK_EQ_U(dec_n(LINK_ETHERNET, &f, 20, &s, &st), DECODE_IP_TRUNCATED);
	CHECK_EQ_U(dec_n(1234, &f, f.n, &s, &st), DECODE_LINK_UNSUPPORTED);
	CHECK_EQ_U(dec_n(LINK_ETHERNET, &f, f.n, &s, NULL), DECODE_OK);
	CHECK_EQ_U(st.frames, 6);
	CHECK_EQ_U(st.result[DECODE_OK], 3);
	CHECK_EQ_U(st.result[DECODE_LINK_TRUNCATED], 1);
	CHECK_EQ_U(st.result[DECODE_IP_TRUNCATED], 1);
	CHECK_EQ_U(st.result[DECODE_LINK_UNSUPPORTED], 1);
	CHECK_EQ_U(st.result[DECODE_TCP_BAD], 0);
	CHECK_EQ_U(st.opt_malformed, 0);
	TEST_END();

	TEST_BEGIN("segment_cleared_between_calls");
	/* A VLAN'd SYN with options, then a plain ACK: nothing may linger. */
	f.n = 0;
	eth(&f, 0x8100);
	vlan(&f, 5, 0x86dd);
	body6(&f, 9);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 0, 0);
	tcp(&f, TH_ACK, NULL, 0);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.vlan, 0);
	CHECK_EQ_U(s.len, 0);
	CHECK_EQ_U(s.opt.present, 0);
	CHECK_EQ_U(s.opt.mss, 0);
	CHECK_EQ_U(s.opt.ts_val, 0);
	TEST_END();
}

/* One valid frame per link type and encapsulation, cut at every byte. */
static void
test_prefixes(void)
{
	struct frame f;
	uint32_t ip, l, h;
	int links[3] = {LINK_RAW_DLT, LINK_RAW_DLT14, LINK_RAW};
	int i;

	f.n = 0;
	eth(&f, 0x0800);
	body4(&f, 12);
	check_prefixes("prefix_ethernet_ipv4", LINK_ETHERNET, &f, 14, 34, 74);

	f.n = 0;
	eth(&f, 0x0800);
	ip = ip4_begin(&f, 6, 12, 0);
	tcp(&f, TH_SYN, synopts, sizeof(synopts));
	ip4_end(&f, ip);
	fill(&f, 0, 4); /* padding */
	check_prefixes("prefix_ethernet_ipv4_options", LINK_ETHERNET, &f, 14, 46, 86);

	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 0);
	ext6(&f, 43, 1);
	ext6(&f, 44, 0);
	frag6(&f, 51, 0, 1);
	ah6(&f, 60, 2);
	ext6(&f, 6, 0);
	h = f.n;
	tcp(&f, TH_SYN, synopts, sizeof(synopts));
	fill(&f, 'q', 5);
	ip6_end(&f, ip);
	check_prefixes("prefix_ethernet_ipv6_extensions", LINK_ETHERNET, &f, 14, h, h + 40);

	f.n = 0;
	eth(&f, 0x88a8);
	vlan(&f, 10, 0x8100);
	vlan(&f, 20, 0x0800);
	body4(&f, 0);
	check_prefixes("prefix_qinq", LINK_ETHERNET, &f, 22, 42, 82);

	f.n = 0;
	eth(&f, 0x8847);
	mpls(&f, 1, 0);
	mpls(&f, 2, 1);
	body4(&f, 0);
	check_prefixes("prefix_mpls", LINK_ETHERNET, &f, 22, 42, 82);

	f.n = 0;
	eth(&f, 0x8100);
	vlan(&f, 7, 0x8864);
	pppoe(&f, 0x0057);
	body6(&f, 0);
	check_prefixes("prefix_vlan_pppoe_ipv6", LINK_ETHERNET, &f, 26, 66, 106);

	f.n = 0;
	eth(&f, 0x8903);
	put16(&f, 0);
	eth(&f, 0x8100);
	vlan(&f, 8, 0x0800);
	body4(&f, 0);
	check_prefixes("prefix_fabricpath", LINK_ETHERNET, &f, 34, 54, 94);

	f.n = 0;
	sll(&f, 0x0800);
	body4(&f, 1);
	check_prefixes("prefix_linux_sll", LINK_LINUX_SLL, &f, 16, 36, 76);

	f.n = 0;
	sll2(&f, 0x86dd);
	body6(&f, 1);
	check_prefixes("prefix_linux_sll2", LINK_LINUX_SLL2, &f, 20, 60, 100);

	f.n = 0;
	putn(&f, "\x02\0\0\0", 4);
	body4(&f, 0);
	check_prefixes("prefix_null", LINK_NULL, &f, 4, 24, 64);

	f.n = 0;
	putn(&f, "\0\0\0\x18", 4);
	body6(&f, 0);
	check_prefixes("prefix_loop", LINK_LOOP, &f, 4, 44, 84);

	for (i = 0; i < 3; i++) {
		static const char *names[3] = {"prefix_raw12", "prefix_raw14", "prefix_raw101"};

		f.n = 0;
		l = (i == 1) ? 6 : 4;
		if (l == 4)
			body4(&f, 2);
		else
			body6(&f, 2);
		check_prefixes(names[i], links[i], &f, 0, l == 4 ? 20 : 40, l == 4 ? 60 : 80);
	}

	f.n = 0;
	body4(&f, 0);
	check_prefixes("prefix_ipv4_linktype", LINK_IPV4, &f, 0, 20, 60);
	f.n = 0;
	body6(&f, 0);
	check_prefixes("prefix_ipv6_linktype", LINK_IPV6, &f, 0, 40, 80);
}

/* --- tunnels --- */

static const uint8_t out4s[4] = {203, 0, 113, 1};
static const uint8_t out4d[4] = {203, 0, 113, 2};
static const uint8_t out6s[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t out6d[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

/* An outer IPv4 header between out4s and out4d; ip4_end fills in its length. */
static uint32_t
oip4_begin(struct frame *f, unsigned proto)
{
	uint32_t at = ip4_begin(f, proto, 0, 0);

	memcpy(f->b + at + 12, out4s, 4);
	memcpy(f->b + at + 16, out4d, 4);
	return at;
}

static uint32_t
oip6_begin(struct frame *f, unsigned nh)
{
	uint32_t at = ip6_begin(f, nh);

	memcpy(f->b + at + 8, out6s, 16);
	memcpy(f->b + at + 24, out6d, 16);
	return at;
}

/* A UDP header; udp_end fills in its length. */
static uint32_t
udp(struct frame *f, unsigned sport, unsigned dport)
{
	uint32_t at = f->n;

	put16(f, sport);
	put16(f, dport);
	put16(f, 0);
	put16(f, 0);
	return at;
}

static void
udp_end(struct frame *f, uint32_t at)
{
	set16(f, at + 4, f->n - at);
}

static void
vxlan(struct frame *f, uint32_t vni)
{
	put32(f, 0x08000000);
	put32(f, vni << 8);
}

/* A Geneve header with optwords 4-byte words of options, carrying proto. */
static void
geneve(struct frame *f, unsigned optwords, unsigned proto, uint32_t vni)
{
	unsigned i;

	put8(f, optwords);
	put8(f, 0);
	put16(f, proto);
	put32(f, vni << 8);
	for (i = 0; i < optwords; i += 2) { /* one option: class, type, length */
		put16(f, 0x0103);
		put8(f, 0x80);
		put8(f, optwords - i >= 2 ? 1 : 0);
		if (optwords - i >= 2)
			put32(f, 0xfeedf00d);
	}
}

/* A GRE header with the optional words its flags announce. */
static void
gre(struct frame *f, unsigned flags, unsigned proto, uint32_t key)
{
	put16(f, flags);
	put16(f, proto);
	if (flags & 0x8000)
		put32(f, 0xabcd0000); /* checksum, reserved */
	if (flags & 0x2000)
		put32(f, key);
	if (flags & 0x1000)
		put32(f, 77); /* sequence */
}

/* The GTP-U header of a G-PDU; gtpu_end fills in its length. */
static uint32_t
gtpu(struct frame *f, unsigned flags, uint32_t teid)
{
	uint32_t at = f->n;

	put8(f, 0x30 | flags);
	put8(f, 255);
	put16(f, 0);
	put32(f, teid);
	return at;
}

static void
gtpu_end(struct frame *f, uint32_t at)
{
	set16(f, at + 2, f->n - at - 8);
}

/* Inner Ethernet + IPv4 SYN, the frame a VXLAN, Geneve or ERSPAN tunnel carries. */
static void
inner_eth4(struct frame *f)
{
	eth(f, 0x0800);
	body4(f, 7);
}

/* The tunnel fields decode must have recorded. */
static void
check_tun(const struct segment *s, int type, int family, uint32_t id, unsigned flags,
          unsigned depth)
{
	CHECK_EQ_U(s->tun.type, type);
	CHECK_EQ_U(s->tun.family, family);
	CHECK_EQ_U(s->tun.id, id);
	CHECK_EQ_U(s->tun.flags, flags);
	CHECK_EQ_U(s->tun.depth, depth);
	if (family == 4) {
		CHECK(memcmp(s->tun.saddr, out4s, 4) == 0 && zero(s->tun.saddr + 4, 12));
		CHECK(memcmp(s->tun.daddr, out4d, 4) == 0 && zero(s->tun.daddr + 4, 12));
	} else {
		CHECK(memcmp(s->tun.saddr, out6s, 16) == 0);
		CHECK(memcmp(s->tun.daddr, out6d, 16) == 0);
	}
}

static enum decode_result
dec_cfg(int link, const struct frame *f, const struct decode_config *cfg, struct segment *s)
{
	enum decode_result r;
	uint8_t *p;

	p = malloc(f->n ? f->n : 1);
	if (p == NULL)
		abort();
	memcpy(p, f->b, f->n);
	r = decode_packet(link, p, f->n, cfg, s, NULL);
	free(p);
	return r;
}

/* Where a prefix ends and what a prefix shorter than that decodes to. */
struct cut {
	uint32_t end;
	enum decode_result r;
};

/*
 * Decode every prefix of a valid tunnelled frame: a prefix shorter than
 * cuts[i].end (the first such i) gives cuts[i].r; one as long as the last end
 * gives OK, with the same segment (tunnel included) as the whole frame.
 */
static void
check_cuts(const char *name, int link, const struct frame *f, const struct cut *cuts,
           unsigned ncuts)
{
	struct segment full, s;
	enum decode_result want, r;
	uint32_t n, bad = 0;
	unsigned i;

	TEST_BEGIN(name);
	CHECK_EQ_U(dec(link, f, &full), DECODE_OK);
	for (n = 0; n <= f->n; n++) {
		want = DECODE_OK;
		for (i = 0; i < ncuts; i++)
			if (n < cuts[i].end) {
				want = cuts[i].r;
				break;
			}
		r = dec_n(link, f, n, &s, NULL);
		if (r != want ||
		    (r == DECODE_OK &&
		     (!seg_same(&s, &full) || memcmp(&s.tun, &full.tun, sizeof(s.tun)) != 0))) {
			if (bad++ < 3)
				printf("FAIL %s: prefix %u: got %s, want %s\n", name, n,
				       decode_result_name(r), decode_result_name(want));
			th_case_failed = 1;
		}
	}
	TEST_END();
}

#define NCUTS(c) (sizeof(c) / sizeof((c)[0]))

/* Ethernet, outer IPv4, UDP to dport and VXLAN VNI vni around inner_eth4(). */
static void
vxlan_frame(struct frame *f, unsigned sport, unsigned dport, uint32_t vni)
{
	uint32_t ip, u;

	f->n = 0;
	eth(f, 0x0800);
	ip = oip4_begin(f, 17);
	u = udp(f, sport, dport);
	vxlan(f, vni);
	inner_eth4(f);
	udp_end(f, u);
	ip4_end(f, ip);
}

static void
test_vxlan(void)
{
	static const struct cut cuts[] = {
	    {14, DECODE_LINK_TRUNCATED},   {34, DECODE_IP_TRUNCATED},   {38, DECODE_NOT_TCP},
	    {50, DECODE_TUNNEL_TRUNCATED}, {64, DECODE_LINK_TRUNCATED}, {84, DECODE_IP_TRUNCATED},
	    {124, DECODE_TCP_TRUNCATED}};
	struct decode_config cfg;
	struct frame f;
	struct segment s;
	uint32_t ip, u;

	TEST_BEGIN("vxlan");
	vxlan_frame(&f, 51000, 4789, 0xabcdef);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_synopts(&s);
	CHECK_EQ_U(s.len, 7);
	check_tun(&s, TUN_VXLAN, 4, 0xabcdef, TUNF_ID, 1);
	TEST_END();

	vxlan_frame(&f, 51000, 4789, 42);
	check_cuts("prefix_vxlan", LINK_ETHERNET, &f, cuts, NCUTS(cuts));

	TEST_BEGIN("vxlan_source_port");
	/* The port counts on either side; a datagram from 4789 is one too. */
	vxlan_frame(&f, 4789, 51000, 42);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tun(&s, TUN_VXLAN, 4, 42, TUNF_ID, 1);
	TEST_END();

	TEST_BEGIN("vxlan_other_port");
	/* Linux's old default port is only VXLAN when the caller says so. */
	vxlan_frame(&f, 51000, 8472, 42);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_TCP);
	decode_config_default(&cfg);
	CHECK_EQ_U(decode_config_udp(&cfg, 8472, TUN_VXLAN), 0);
	CHECK_EQ_U(dec_cfg(LINK_ETHERNET, &f, &cfg, &s), DECODE_OK);
	check_tun(&s, TUN_VXLAN, 4, 42, TUNF_ID, 1);
	TEST_END();

	TEST_BEGIN("vxlan_port_filter");
	/* The inner ports are 40000 and 443: one of them must be asked for. */
	vxlan_frame(&f, 51000, 4789, 42);
	decode_config_default(&cfg);
	cfg.ports[cfg.nports++] = 80;
	CHECK_EQ_U(dec_cfg(LINK_ETHERNET, &f, &cfg, &s), DECODE_PORT_FILTERED);
	cfg.ports[cfg.nports++] = 443;
	CHECK_EQ_U(dec_cfg(LINK_ETHERNET, &f, &cfg, &s), DECODE_OK);
	cfg.ports[1] = 40000;
	CHECK_EQ_U(dec_cfg(LINK_ETHERNET, &f, &cfg, &s), DECODE_OK);
	TEST_END();

	TEST_BEGIN("vxlan_closed");
	vxlan_frame(&f, 51000, 4789, 42);
	decode_config_default(&cfg);
	cfg.open &= ~(1u << TUN_VXLAN);
	CHECK_EQ_U(dec_cfg(LINK_ETHERNET, &f, &cfg, &s), DECODE_NOT_TCP);
	TEST_END();

	TEST_BEGIN("vxlan_no_vni_flag");
	vxlan_frame(&f, 51000, 4789, 42);
	f.b[42] = 0;
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	TEST_END();

	TEST_BEGIN("vxlan_udp_length");
	/* UDP length shorter than its header, then longer than the IP payload */
	vxlan_frame(&f, 51000, 4789, 42);
	set16(&f, 38, 7);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	set16(&f, 38, f.n - 34 + 1);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	/* a UDP length that ends before the inner TCP header: bytes after it are not read */
	set16(&f, 38, 8 + 8 + 14 + 20 + 10);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TCP_TRUNCATED);
	TEST_END();

	TEST_BEGIN("vxlan_over_ipv6");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = oip6_begin(&f, 17);
	u = udp(&f, 51000, 4789);
	vxlan(&f, 7);
	eth(&f, 0x8100);
	vlan(&f, 12, 0x86dd);
	body6(&f, 3);
	udp_end(&f, u);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	CHECK_EQ_U(s.vlan, 12);
	check_tun(&s, TUN_VXLAN, 6, 7, TUNF_ID, 1);
	TEST_END();
}

static void
test_geneve(void)
{
	static const struct cut cuts[] = {
	    {14, DECODE_LINK_TRUNCATED},   {34, DECODE_IP_TRUNCATED},
	    {38, DECODE_NOT_TCP},          {50, DECODE_TUNNEL_TRUNCATED},
	    {66, DECODE_TUNNEL_TRUNCATED}, {80, DECODE_LINK_TRUNCATED},
	    {100, DECODE_IP_TRUNCATED},    {140, DECODE_TCP_TRUNCATED}};
	struct frame f;
	struct segment s;
	uint32_t ip, u;

	TEST_BEGIN("geneve_options_ethernet");
	f.n = 0;
	eth(&f, 0x0800);
	ip = oip4_begin(&f, 17);
	u = udp(&f, 40000, 6081);
	geneve(&f, 4, 0x6558, 0x10203);
	inner_eth4(&f);
	udp_end(&f, u);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_GENEVE, 4, 0x10203, TUNF_ID, 1);
	TEST_END();
	check_cuts("prefix_geneve", LINK_ETHERNET, &f, cuts, NCUTS(cuts));

	TEST_BEGIN("geneve_version");
	f.b[42] |= 0x40;
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	TEST_END();

	TEST_BEGIN("geneve_options_past_frame");
	f.b[42] = 0x3f; /* 252 bytes of options */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_TRUNCATED);
	TEST_END();

	TEST_BEGIN("geneve_ip_directly");
	f.n = 0;
	eth(&f, 0x0800);
	ip = oip4_begin(&f, 17);
	u = udp(&f, 40000, 6081);
	geneve(&f, 0, 0x86dd, 9);
	body6(&f, 0);
	udp_end(&f, u);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	check_tun(&s, TUN_GENEVE, 4, 9, TUNF_ID, 1);
	TEST_END();
}

/* Ethernet, outer IPv4, GRE with flags and proto, then what inner() builds. */
static void
gre_frame(struct frame *f, unsigned flags, unsigned proto, uint32_t key,
          void (*inner)(struct frame *))
{
	uint32_t ip;

	f->n = 0;
	eth(f, 0x0800);
	ip = oip4_begin(f, 47);
	gre(f, flags, proto, key);
	inner(f);
	ip4_end(f, ip);
}

static void
inner_ip4(struct frame *f)
{
	body4(f, 7);
}

/* ERSPAN type II: version 1, VLAN 0, session 0x155, index. */
static void
erspan2_inner(struct frame *f)
{
	put16(f, 0x1000);
	put16(f, 0x0155);
	put32(f, 0x00000042);
	inner_eth4(f);
}

/* ERSPAN type III: version 2, session 0x2aa, timestamp, flags with O set, platform subheader. */
static void
erspan3_inner(struct frame *f)
{
	put16(f, 0x2000);
	put16(f, 0x02aa);
	put32(f, 0x01020304);
	put16(f, 0);
	put16(f, 0x0001);
	put32(f, 0x18000000);
	put32(f, 0x55667788);
	inner_eth4(f);
}

static void
test_gre(void)
{
	static const struct cut cuts[] = {{14, DECODE_LINK_TRUNCATED},
	                                  {34, DECODE_IP_TRUNCATED},
	                                  {50, DECODE_TUNNEL_TRUNCATED},
	                                  {70, DECODE_IP_TRUNCATED},
	                                  {110, DECODE_TCP_TRUNCATED}};
	static const struct cut cuts2[] = {
	    {14, DECODE_LINK_TRUNCATED},   {34, DECODE_IP_TRUNCATED},
	    {42, DECODE_TUNNEL_TRUNCATED}, {50, DECODE_TUNNEL_TRUNCATED},
	    {64, DECODE_LINK_TRUNCATED},   {84, DECODE_IP_TRUNCATED},
	    {124, DECODE_TCP_TRUNCATED}};
	static const struct cut cuts3[] = {
	    {14, DECODE_LINK_TRUNCATED},   {34, DECODE_IP_TRUNCATED},
	    {38, DECODE_TUNNEL_TRUNCATED}, {58, DECODE_TUNNEL_TRUNCATED},
	    {72, DECODE_LINK_TRUNCATED},   {92, DECODE_IP_TRUNCATED},
	    {132, DECODE_TCP_TRUNCATED}};
	struct frame f;
	struct segment s;
	uint32_t ip;

	TEST_BEGIN("gre_plain");
	gre_frame(&f, 0, 0x0800, 0, inner_ip4);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.len, 7);
	check_tun(&s, TUN_GRE, 4, 0, 0, 1);
	TEST_END();

	TEST_BEGIN("gre_checksum_key_sequence");
	gre_frame(&f, 0xb000, 0x0800, 0xdeadbeef, inner_ip4);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_GRE, 4, 0xdeadbeef, TUNF_ID, 1);
	TEST_END();
	check_cuts("prefix_gre_checksum_key_sequence", LINK_ETHERNET, &f, cuts, NCUTS(cuts));

	TEST_BEGIN("gre_key_zero");
	/* A key of 0 is a key: the flag, not the value, says one is there. */
	gre_frame(&f, 0x2000, 0x0800, 0, inner_ip4);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tun(&s, TUN_GRE, 4, 0, TUNF_ID, 1);
	TEST_END();

	TEST_BEGIN("gre_ethernet");
	gre_frame(&f, 0x2000, 0x6558, 5001, inner_eth4);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_GRE, 4, 5001, TUNF_ID, 1);
	TEST_END();

	TEST_BEGIN("gre_mpls");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = oip6_begin(&f, 47);
	gre(&f, 0, 0x8847, 0);
	mpls(&f, 100, 1);
	body6(&f, 1);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	check_tun(&s, TUN_GRE, 6, 0, 0, 1);
	TEST_END();

	TEST_BEGIN("gre_routing_and_version");
	gre_frame(&f, 0x4000, 0x0800, 0, inner_ip4);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	gre_frame(&f, 0x2001, 0x880b, 0, inner_ip4); /* PPTP */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	gre_frame(&f, 0, 0x0806, 0, inner_ip4); /* ARP */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	TEST_END();

	TEST_BEGIN("erspan_type1");
	gre_frame(&f, 0, 0x88be, 0, inner_eth4);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_ERSPAN, 4, 0, 0, 1);
	TEST_END();

	TEST_BEGIN("erspan_type2");
	gre_frame(&f, 0x1000, 0x88be, 0, erspan2_inner);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_ERSPAN, 4, 0x155, TUNF_ID, 1);
	TEST_END();
	check_cuts("prefix_erspan_type2", LINK_ETHERNET, &f, cuts2, NCUTS(cuts2));
	TEST_BEGIN("erspan_type2_version");
	f.b[42] = 0x20;
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	TEST_END();

	TEST_BEGIN("erspan_type3_platform");
	gre_frame(&f, 0, 0x22eb, 0, erspan3_inner);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_ERSPAN, 4, 0x2aa, TUNF_ID, 1);
	TEST_END();
	check_cuts("prefix_erspan_type3", LINK_ETHERNET, &f, cuts3, NCUTS(cuts3));
	TEST_BEGIN("erspan_type3_version");
	f.b[38] = 0x10;
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	TEST_END();
}

static void
test_ipip(void)
{
	static const struct cut cuts[] = {{14, DECODE_LINK_TRUNCATED},
	                                  {34, DECODE_IP_TRUNCATED},
	                                  {74, DECODE_IP_TRUNCATED},
	                                  {114, DECODE_TCP_TRUNCATED}};
	struct decode_config cfg;
	struct frame f;
	struct segment s;
	uint32_t ip;

	TEST_BEGIN("ipip_4in4");
	f.n = 0;
	eth(&f, 0x0800);
	ip = oip4_begin(&f, 4);
	body4(&f, 2);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_IPIP, 4, 0, 0, 1);
	decode_config_default(&cfg);
	cfg.open = 0;
	CHECK_EQ_U(dec_cfg(LINK_ETHERNET, &f, &cfg, &s), DECODE_NOT_TCP);
	TEST_END();

	TEST_BEGIN("ipip_6in4");
	f.n = 0;
	eth(&f, 0x0800);
	ip = oip4_begin(&f, 41);
	body6(&f, 0);
	ip4_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	check_tun(&s, TUN_IPIP, 4, 0, 0, 1);
	TEST_END();
	check_cuts("prefix_ipip_6in4", LINK_ETHERNET, &f, cuts, NCUTS(cuts));

	TEST_BEGIN("ipip_4in6_after_extension");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = oip6_begin(&f, 60);
	ext6(&f, 4, 0);
	body4(&f, 0);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_IPIP, 6, 0, 0, 1);
	TEST_END();

	TEST_BEGIN("ipip_6in6");
	f.n = 0;
	eth(&f, 0x86dd);
	ip = oip6_begin(&f, 41);
	body6(&f, 0);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	check_tun(&s, TUN_IPIP, 6, 0, 0, 1);
	/* The version nibble must match what protocol 41 promised. */
	f.b[54] = 0x45;
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_IP_BAD);
	TEST_END();

	TEST_BEGIN("ipip_padding_not_read");
	/*
	 * The outer length ends inside the inner TCP header; the frame goes
	 * on (Ethernet padding): the TCP header is cut, not read from it.
	 */
	f.n = 0;
	eth(&f, 0x0800);
	ip = oip4_begin(&f, 4);
	body4(&f, 0);
	ip4_end(&f, ip);
	set16(&f, 16, 20 + 20 + 10);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TCP_TRUNCATED);
	TEST_END();
}

/* Ethernet, outer IPv4, UDP from 3544 and whatever teredo_hdr adds, then IPv6. */
static void
teredo_frame(struct frame *f, int auth, int origin)
{
	uint32_t ip, u;

	f->n = 0;
	eth(f, 0x0800);
	ip = oip4_begin(f, 17);
	u = udp(f, 3544, 50123);
	if (auth) {
		put16(f, 0x0001);
		put8(f, 2);
		put8(f, 3);
		fill(f, 0x11, 2 + 3 + 8); /* client id, value, nonce */
		put8(f, 0);               /* confirmation */
	}
	if (origin) {
		put16(f, 0x0000);
		put16(f, 0xffff ^ 3544);
		put32(f, 0xffffffff ^ 0xcb007101);
	}
	body6(f, 4);
	udp_end(f, u);
	ip4_end(f, ip);
}

static void
test_teredo(void)
{
	static const struct cut cuts[] = {
	    {14, DECODE_LINK_TRUNCATED},   {34, DECODE_IP_TRUNCATED},  {38, DECODE_NOT_TCP},
	    {70, DECODE_TUNNEL_TRUNCATED}, {108, DECODE_IP_TRUNCATED}, {148, DECODE_TCP_TRUNCATED}};
	struct frame f;
	struct segment s;

	TEST_BEGIN("teredo");
	teredo_frame(&f, 0, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	CHECK_EQ_U(s.len, 4);
	check_tun(&s, TUN_TEREDO, 4, 0, 0, 1);
	TEST_END();

	TEST_BEGIN("teredo_origin");
	teredo_frame(&f, 0, 1);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	TEST_END();

	TEST_BEGIN("teredo_auth_origin");
	teredo_frame(&f, 1, 1);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 6);
	check_tun(&s, TUN_TEREDO, 4, 0, 0, 1);
	TEST_END();
	check_cuts("prefix_teredo_auth_origin", LINK_ETHERNET, &f, cuts, NCUTS(cuts));

	TEST_BEGIN("teredo_not_ipv6");
	teredo_frame(&f, 0, 0);
	f.b[42] = 0x45;
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	TEST_END();
}

/* Ethernet, outer IPv6, UDP 2152 both ways, GTP-U with what ext() adds, inner IPv4. */
static void
gtpu_frame(struct frame *f, unsigned flags, int ext)
{
	uint32_t ip, u, g;

	f->n = 0;
	eth(f, 0x86dd);
	ip = oip6_begin(f, 17);
	u = udp(f, 2152, 2152);
	g = gtpu(f, flags, 0x01020304);
	if (flags & 0x07) {
		put16(f, 0x1234); /* sequence */
		put8(f, 0);       /* N-PDU */
		put8(f, ext ? 0x85 : 0);
	}
	if (ext) {
		/* a PDU session container, 4 bytes, then one of 8 */
		put8(f, 1);
		put16(f, 0x0009);
		put8(f, 0x40);
		put8(f, 2);
		fill(f, 0, 6);
		put8(f, 0);
	}
	body4(f, 5);
	gtpu_end(f, g);
	udp_end(f, u);
	ip6_end(f, ip);
}

static void
test_gtpu(void)
{
	static const struct cut cuts[] = {
	    {14, DECODE_LINK_TRUNCATED},   {54, DECODE_IP_TRUNCATED},
	    {58, DECODE_NOT_TCP},          {70, DECODE_TUNNEL_TRUNCATED},
	    {74, DECODE_TUNNEL_TRUNCATED}, {75, DECODE_TUNNEL_TRUNCATED},
	    {78, DECODE_TUNNEL_TRUNCATED}, {79, DECODE_TUNNEL_TRUNCATED},
	    {86, DECODE_TUNNEL_TRUNCATED}, {87, DECODE_IP_TRUNCATED},
	    {106, DECODE_IP_TRUNCATED},    {146, DECODE_TCP_TRUNCATED}};
	struct frame f;
	struct segment s;

	TEST_BEGIN("gtpu");
	gtpu_frame(&f, 0, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.len, 5);
	check_tun(&s, TUN_GTPU, 6, 0x01020304, TUNF_ID, 1);
	TEST_END();

	TEST_BEGIN("gtpu_sequence");
	gtpu_frame(&f, 0x02, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	TEST_END();

	TEST_BEGIN("gtpu_extensions");
	gtpu_frame(&f, 0x04, 1);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_GTPU, 6, 0x01020304, TUNF_ID, 1);
	TEST_END();
	check_cuts("prefix_gtpu_extensions", LINK_ETHERNET, &f, cuts, NCUTS(cuts));

	TEST_BEGIN("gtpu_extension_lengths");
	f.b[74] = 0; /* a zero-length extension */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	f.b[74] = 200; /* one past the GTP length */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	TEST_END();

	TEST_BEGIN("gtpu_bad_header");
	gtpu_frame(&f, 0, 0);
	f.b[62] = 0x48; /* GTPv2-C */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	gtpu_frame(&f, 0, 0);
	f.b[63] = 1; /* echo request */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	gtpu_frame(&f, 0, 0);
	set16(&f, 64, f.n - 62 - 8 + 1); /* the GTP length past the datagram */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_BAD);
	gtpu_frame(&f, 0, 0);
	f.b[70] = 0x00; /* not IP: an Ethernet PDU */
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_NOT_IP);
	TEST_END();
}

static void
test_pbb_vntag(void)
{
	static const struct cut cuts_pbb[] = {
	    {32, DECODE_LINK_TRUNCATED}, {52, DECODE_IP_TRUNCATED}, {92, DECODE_TCP_TRUNCATED}};
	static const struct cut cuts_vn[] = {{14, DECODE_LINK_TRUNCATED},
	                                     {20, DECODE_LINK_TRUNCATED},
	                                     {40, DECODE_IP_TRUNCATED},
	                                     {80, DECODE_TCP_TRUNCATED}};
	struct frame f;
	struct segment s;

	TEST_BEGIN("pbb");
	f.n = 0;
	eth(&f, 0x88a8);
	vlan(&f, 100, 0x88e7);
	put32(&f, 0x00012345); /* I-TAG: I-SID 0x12345 */
	eth(&f, 0x8100);
	vlan(&f, 33, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	CHECK_EQ_U(s.vlan, 100);
	CHECK_EQ_U(s.tun.type, TUN_NONE);
	TEST_END();
	f.n = 0;
	eth(&f, 0x88e7);
	put32(&f, 0x00012345);
	eth(&f, 0x0800);
	body4(&f, 0);
	check_cuts("prefix_pbb", LINK_ETHERNET, &f, cuts_pbb, NCUTS(cuts_pbb));

	TEST_BEGIN("vntag");
	f.n = 0;
	eth(&f, 0x8926);
	put32(&f, 0x80050006);
	put16(&f, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	TEST_END();
	check_cuts("prefix_vntag", LINK_ETHERNET, &f, cuts_vn, NCUTS(cuts_vn));
}

/* levels IPv4-in-IPv4 headers around body4(); outer ones between out4s and out4d. */
static void
ipip_nest(struct frame *f, unsigned levels)
{
	uint32_t at[8];
	unsigned i;

	f->n = 0;
	eth(f, 0x0800);
	for (i = 0; i < levels; i++)
		at[i] = oip4_begin(f, 4);
	body4(f, 1);
	while (i-- > 0)
		ip4_end(f, at[i]);
}

static void
test_depth(void)
{
	struct frame f;
	struct segment s;
	uint32_t ip, ip2, u;

	TEST_BEGIN("depth_four");
	ipip_nest(&f, DECODE_MAX_DEPTH);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_IPIP, 4, 0, 0, DECODE_MAX_DEPTH);
	TEST_END();

	TEST_BEGIN("depth_exceeded");
	ipip_nest(&f, DECODE_MAX_DEPTH + 1);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_TUNNEL_DEPTH);
	TEST_END();

	TEST_BEGIN("depth_innermost_recorded");
	/* ERSPAN mirroring a VXLAN overlay: the VXLAN tunnel is recorded. */
	f.n = 0;
	eth(&f, 0x86dd);
	ip = ip6_begin(&f, 47); /* the mirror's session: src6 to dst6 */
	gre(&f, 0x1000, 0x88be, 0);
	put16(&f, 0x1000);
	put16(&f, 0x0001);
	put32(&f, 0);
	eth(&f, 0x0800);
	ip2 = oip4_begin(&f, 17);
	u = udp(&f, 50000, 4789);
	vxlan(&f, 3000);
	inner_eth4(&f);
	udp_end(&f, u);
	ip4_end(&f, ip2);
	ip6_end(&f, ip);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	check_tuple(&s, 4);
	check_tun(&s, TUN_VXLAN, 4, 3000, TUNF_ID, 2);
	TEST_END();

	TEST_BEGIN("tunnel_cleared_between_calls");
	ipip_nest(&f, 1);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	f.n = 0;
	eth(&f, 0x0800);
	body4(&f, 0);
	CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
	CHECK(zero((const uint8_t *)&s.tun, sizeof(s.tun)));
	TEST_END();
}

static void
test_config(void)
{
	struct decode_config cfg;
	unsigned i, t;

	TEST_BEGIN("tunnel_names");
	for (t = TUN_NONE + 1; t < TUN_NTYPES; t++)
		CHECK_EQ_U(decode_tunnel_type(decode_tunnel_name((enum tunnel_type)t)), t);
	CHECK_EQ_S(decode_tunnel_name(TUN_VXLAN), "vxlan");
	CHECK_EQ_S(decode_tunnel_name(TUN_NTYPES), "unknown");
	CHECK_EQ_U(decode_tunnel_type("none"), TUN_NONE);
	CHECK_EQ_U(decode_tunnel_type("VXLAN"), TUN_NONE);
	TEST_END();

	TEST_BEGIN("decode_config_udp");
	decode_config_default(&cfg);
	CHECK_EQ_U(cfg.nudp, 4);
	CHECK_EQ_U(cfg.open, ((1u << TUN_NTYPES) - 1) & ~1u);
	CHECK_EQ_U(decode_config_udp(&cfg, 47, TUN_GRE), -1);
	CHECK_EQ_U(decode_config_udp(&cfg, 47, TUN_IPIP), -1);
	CHECK_EQ_U(decode_config_udp(&cfg, 4789, TUN_GENEVE), 0); /* renamed, not added */
	CHECK_EQ_U(cfg.nudp, 4);
	CHECK_EQ_U(cfg.udp[0].type, TUN_GENEVE);
	for (i = 0; cfg.nudp < DECODE_MAX_UDP_PORTS; i++)
		CHECK_EQ_U(decode_config_udp(&cfg, (uint16_t)(10000 + i), TUN_GTPU), 0);
	CHECK_EQ_U(decode_config_udp(&cfg, 9999, TUN_GTPU), -1);
	CHECK_EQ_U(decode_config_udp(&cfg, 10000, TUN_TEREDO), 0);
	TEST_END();
}

/*
 * The tunnel builders of pcapw.h, which the golden captures are made with,
 * read back by decode: each kind, both directions, the inner segment and
 * what the segment says about its tunnel.
 */
static void
test_pcapw_tunnels(void)
{
	static const struct {
		int kind;
		const char *osrc, *odst, *isrc, *idst;
		int type;
		unsigned flags;
	} k[] = {
	    {PCAPW_TUN_VXLAN, "203.0.113.1", "203.0.113.2", "10.0.0.1", "10.0.0.2", TUN_VXLAN,
	     TUNF_ID},
	    {PCAPW_TUN_GENEVE, "2001:db8:ff::1", "2001:db8:ff::2", "10.0.0.1", "10.0.0.2",
	     TUN_GENEVE, TUNF_ID},
	    {PCAPW_TUN_GRE, "203.0.113.1", "203.0.113.2", "fd00::1", "fd00::2", TUN_GRE, 0},
	    {PCAPW_TUN_GRE_KEY, "203.0.113.1", "203.0.113.2", "10.0.0.1", "10.0.0.2", TUN_GRE,
	     TUNF_ID},
	    {PCAPW_TUN_ERSPAN2, "203.0.113.1", "203.0.113.2", "10.0.0.1", "10.0.0.2", TUN_ERSPAN,
	     TUNF_ID},
	    {PCAPW_TUN_ERSPAN3, "2001:db8:ff::1", "2001:db8:ff::2", "10.0.0.1", "10.0.0.2",
	     TUN_ERSPAN, TUNF_ID},
	    {PCAPW_TUN_IPIP, "203.0.113.1", "203.0.113.2", "fd00::1", "fd00::2", TUN_IPIP, 0},
	    {PCAPW_TUN_TEREDO, "203.0.113.1", "203.0.113.2", "2001::1", "2001:db8::2", TUN_TEREDO,
	     0},
	    {PCAPW_TUN_GTPU, "2001:db8:ff::1", "2001:db8:ff::2", "10.0.0.1", "10.0.0.2", TUN_GTPU,
	     TUNF_ID},
	    {PCAPW_TUN_PBB, "203.0.113.1", "203.0.113.2", "10.0.0.1", "10.0.0.2", TUN_NONE, 0},
	    {PCAPW_TUN_VNTAG, "203.0.113.1", "203.0.113.2", "10.0.0.1", "10.0.0.2", TUN_NONE, 0},
	};
	static uint8_t buf[PCAPW_MAXFRAME];
	struct pcapw_tunnel t;
	struct pcapw_seg sg;
	struct segment s;
	struct frame f;
	uint8_t a[2][16];
	size_t i, len, alen;
	int side, fam;
	char name[64];

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		snprintf(name, sizeof(name), "pcapw_tunnel_%zu", i);
		TEST_BEGIN(name);
		CHECK_EQ_U(pcapw_tunnel_init(&t, k[i].kind, k[i].osrc, k[i].odst, 0x123), 0);
		fam = strchr(k[i].isrc, ':') != NULL ? 6 : 4;
		alen = fam == 6 ? 16 : 4;
		memset(a, 0, sizeof(a));
		CHECK(inet_pton(fam == 6 ? AF_INET6 : AF_INET, k[i].isrc, a[0]) == 1);
		CHECK(inet_pton(fam == 6 ? AF_INET6 : AF_INET, k[i].idst, a[1]) == 1);
		for (side = 0; side < 2; side++) {
			memset(&sg, 0, sizeof(sg));
			sg.family = fam;
			sg.src = a[side];
			sg.dst = a[!side];
			sg.sport = side ? 443 : 40000;
			sg.dport = side ? 40000 : 443;
			sg.flags = TH_ACK;
			sg.len = 10;
			sg.vlan = 20;
			sg.tun = &t;
			sg.tun_reply = side;
			len = pcapw_build(PCAPW_LINK_ETHERNET, &sg, buf, sizeof(buf));
			CHECK(len > 0 && len <= sizeof(f.b));
			memcpy(f.b, buf, len);
			f.n = (uint32_t)len;
			CHECK_EQ_U(dec(LINK_ETHERNET, &f, &s), DECODE_OK);
			CHECK_EQ_U(s.family, fam);
			CHECK(memcmp(s.saddr, a[side], alen) == 0 &&
			      memcmp(s.daddr, a[!side], alen) == 0);
			CHECK_EQ_U(s.sport, sg.sport);
			CHECK_EQ_U(s.len, 10);
			CHECK_EQ_U(s.tun.type, k[i].type);
			CHECK_EQ_U(s.tun.flags, k[i].flags);
			if (k[i].type == TUN_NONE)
				continue;
			CHECK_EQ_U(s.tun.family, t.family);
			CHECK_EQ_U(s.tun.id, k[i].flags
			                         ? 0x123u + (k[i].kind == PCAPW_TUN_GTPU ? side : 0)
			                         : 0);
			/* replies travel back, but for a mirror's copies */
			CHECK(memcmp(s.tun.saddr, side && k[i].type != TUN_ERSPAN ? t.dst : t.src,
			             t.family == 6 ? 16 : 4) == 0);
		}
		TEST_END();
	}
}

/* xorshift32 with a fixed seed: every run mutates the same way. */
static uint32_t
rnd(void)
{
	static uint32_t x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/*
 * Valid frames of every kind with a few header bytes flipped and the capture
 * cut anywhere: under ASan this is a small fuzz run. Whatever comes back must
 * be a known result, and an OK segment must be self-consistent.
 */
static void
test_mutations(void)
{
	struct frame t[16];
	static const int links[16] = {LINK_ETHERNET, LINK_ETHERNET, LINK_ETHERNET,  LINK_ETHERNET,
	                              LINK_ETHERNET, LINK_ETHERNET, LINK_LINUX_SLL, LINK_LINUX_SLL2,
	                              LINK_NULL,     LINK_RAW,      LINK_ETHERNET,  LINK_ETHERNET,
	                              LINK_ETHERNET, LINK_ETHERNET, LINK_ETHERNET,  LINK_ETHERNET};
	struct frame f;
	struct segment s;
	struct decode_stats st;
	enum decode_result r;
	uint32_t ip, caplen, sum;
	unsigned i, k, flips;
	int j;

	memset(t, 0, sizeof(t));
	eth(&t[0], 0x0800);
	ip = ip4_begin(&t[0], 6, 8, 0);
	tcp(&t[0], TH_SYN, synopts, sizeof(synopts));
	ip4_end(&t[0], ip);
	eth(&t[1], 0x86dd);
	ip = ip6_begin(&t[1], 0);
	ext6(&t[1], 44, 0);
	frag6(&t[1], 51, 0, 1);
	ah6(&t[1], 6, 2);
	tcp(&t[1], TH_SYN, synopts, sizeof(synopts));
	ip6_end(&t[1], ip);
	eth(&t[2], 0x88a8);
	vlan(&t[2], 1, 0x8100);
	vlan(&t[2], 2, 0x0800);
	body4(&t[2], 3);
	eth(&t[3], 0x8847);
	mpls(&t[3], 1, 0);
	mpls(&t[3], 2, 1);
	body6(&t[3], 3);
	eth(&t[4], 0x8864);
	pppoe(&t[4], 0x0021);
	body4(&t[4], 3);
	eth(&t[5], 0x8903);
	put16(&t[5], 0);
	eth(&t[5], 0x0800);
	body4(&t[5], 3);
	sll(&t[6], 0x86dd);
	body6(&t[6], 0);
	sll2(&t[7], 0x0800);
	body4(&t[7], 0);
	putn(&t[8], "\x18\0\0\0", 4);
	body6(&t[8], 0);
	body4(&t[9], 1);
	vxlan_frame(&t[10], 50000, 4789, 1);
	gre_frame(&t[11], 0xb000, 0x22eb, 0, erspan3_inner);
	teredo_frame(&t[12], 1, 1);
	gtpu_frame(&t[13], 0x04, 1);
	ipip_nest(&t[14], DECODE_MAX_DEPTH);
	gre_frame(&t[15], 0x1000, 0x88be, 0, erspan2_inner);

	TEST_BEGIN("mutated_frames");
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 20000; i++) {
		k = rnd() % 16;
		f = t[k];
		flips = 1 + rnd() % 4;
		while (flips-- > 0)
			f.b[rnd() % (f.n < 160 ? f.n : 160)] ^= (uint8_t)(1u << (rnd() % 8));
		caplen = (rnd() % 4 == 0) ? rnd() % (f.n + 1) : f.n;
		r = dec_n(links[k], &f, caplen, &s, &st);
		CHECK((unsigned)r < DECODE_NREASONS);
		if (r == DECODE_OK) {
			CHECK(s.family == 4 || s.family == 6);
			if (s.family == 4)
				CHECK(zero(s.saddr + 4, 12) && zero(s.daddr + 4, 12));
			CHECK(s.len <= 65535);
			CHECK(s.vlan <= 4095);
			CHECK(s.tun.depth <= DECODE_MAX_DEPTH && s.tun.type < TUN_NTYPES);
			CHECK((s.tun.type == TUN_NONE) == (s.tun.depth == 0));
		}
	}
	CHECK_EQ_U(st.frames, 20000);
	for (sum = 0, j = 0; j < DECODE_NREASONS; j++)
		sum += (uint32_t)st.result[j];
	CHECK_EQ_U(sum, 20000);
	CHECK(st.result[DECODE_OK] > 0 && st.result[DECODE_OK] < 20000);
	TEST_END();
}

/*
 * A tiny classic-pcap reader: both byte orders, microsecond and nanosecond
 * magics. Decodes every record of `path`, each from an exactly-sized heap copy.
 * Returns 0, 1 for a pcapng file (not read here), -1 on a malformed file
 * (why in err).
 */
static int
pcap_decode_file(const char *path, struct decode_stats *st, char *err, size_t errlen)
{
	FILE *fp;
	uint8_t *data = NULL, *pkt;
	size_t len = 0, cap = 0, got, off;
	uint32_t magic, caplen, link;
	int swap;
	struct segment s;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "cannot open");
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((data = realloc(data, cap)) == NULL)
				abort();
		}
		got = fread(data + len, 1, cap - len, fp);
		if (got == 0)
			break;
		len += got;
	}
	fclose(fp);
	if (len < 24) {
		free(data);
		snprintf(err, errlen, "short file header");
		return -1;
	}
#define RD32(p)                                                                                    \
	(swap ? (uint32_t)(p)[0] << 24 | (uint32_t)(p)[1] << 16 | (uint32_t)(p)[2] << 8 | (p)[3]   \
	      : (uint32_t)(p)[3] << 24 | (uint32_t)(p)[2] << 16 | (uint32_t)(p)[1] << 8 | (p)[0])
	swap = 0;
	magic = RD32(data);
	if (magic == 0x0a0d0d0a) {
		free(data);
		return 1;
	}
	if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
		free(data);
		snprintf(err, errlen, "bad magic 0x%08x", magic);
		return -1;
	}
	link = RD32(data + 20) & 0xffff;
	for (off = 24; off < len;) {
		if (len - off < 16) {
			free(data);
			snprintf(err, errlen, "short record header at %zu", off);
			return -1;
		}
		caplen = RD32(data + off + 8);
		off += 16;
		if (caplen > len - off) {
			free(data);
			snprintf(err, errlen, "record past end of file at %zu", off);
			return -1;
		}
		if ((pkt = malloc(caplen ? caplen : 1)) == NULL)
			abort();
		memcpy(pkt, data + off, caplen);
		decode_packet((int)link, pkt, caplen, NULL, &s, st);
		free(pkt);
		off += caplen;
	}
#undef RD32
	free(data);
	return 0;
}

/* The shared directory: $SHARED, else ../shared from the current directory. */
static const char *
shared_dir(void)
{
	const char *d = getenv("SHARED");

	return (d != NULL && *d != '\0') ? d : "../shared";
}

static void
test_seed_fixture(void)
{
	char path[4096], err[128];
	struct decode_stats st;
	int rc;

	TEST_BEGIN("pcap_seed_fixture");
	snprintf(path, sizeof(path), "%s/fixtures/seed-handshake-close.pcap", shared_dir());
	if (access(path, R_OK) != 0) {
		printf("SKIP pcap_seed_fixture: %s not found\n", path);
		return;
	}
	memset(&st, 0, sizeof(st));
	rc = pcap_decode_file(path, &st, err, sizeof(err));
	if (rc != 0)
		printf("FAIL pcap_seed_fixture: %s: %s\n", path, rc > 0 ? "pcapng" : err);
	CHECK_EQ_U(rc, 0);
	/* `tcpdump -nr` shows 10 frames, all Ethernet/IPv4/TCP with options */
	CHECK_EQ_U(st.frames, 10);
	CHECK_EQ_U(st.result[DECODE_OK], 10);
	CHECK_EQ_U(st.opt_malformed, 0);
	TEST_END();
}

/* What SANITY.txt says about one corpus file. */
struct sanity {
	char name[256];
	long packets;    /* capinfos "Number of packets" */
	long tcp_frames; /* sum of tshark conv,tcp "Total Frames" */
};

#define SANITY_MAX 128

/*
 * Read the corpus's SANITY.txt (capinfos and `tshark -z conv,tcp` output per
 * file): an oracle computed by other tools, not by us. Returns the number of
 * entries, or -1 if the file is missing.
 */
static int
sanity_load(const char *path, struct sanity *tab)
{
	FILE *fp;
	char line[1024];
	int n = 0;
	struct sanity *cur = NULL;
	unsigned long tot;
	long v;
	size_t l;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		l = strcspn(line, "\r\n");
		line[l] = '\0';
		if (l > 5 && line[0] != ' ' && line[0] != '=' && strchr(line, ' ') == NULL &&
		    strstr(line, ".pcap") != NULL) {
			if (n == SANITY_MAX)
				break;
			cur = &tab[n++];
			snprintf(cur->name, sizeof(cur->name), "%.255s", line);
			cur->packets = -1;
			cur->tcp_frames = 0;
		} else if (cur != NULL && sscanf(line, " Number of packets %ld", &v) == 1) {
			cur->packets = v;
		} else if (cur != NULL && strstr(line, "<->") != NULL &&
		           sscanf(line, " %*s <-> %*s %*u %*s %*s %*u %*s %*s %lu", &tot) == 1) {
			cur->tcp_frames += (long)tot;
		}
	}
	fclose(fp);
	return n;
}

/*
 * Sum orig_pkts + resp_pkts over a Zeek expected/<name>.jsonl file, or -1.
 * Used only where tshark cannot be the oracle.
 */
static long
zeek_packets(const char *dir, const char *name)
{
	char path[4096], line[8192];
	const char *keys[2] = {"\"orig_pkts\": ", "\"resp_pkts\": "};
	const char *p;
	FILE *fp;
	long sum = 0;
	int k;

	snprintf(path, sizeof(path), "%s/corpus/expected/%s.jsonl", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		for (k = 0; k < 2; k++)
			if ((p = strstr(line, keys[k])) != NULL)
				sum += strtol(p + strlen(keys[k]), NULL, 10);
	}
	fclose(fp);
	return sum;
}

/*
 * Corpus files where tshark 4.0's TCP count is not the oracle: it does not
 * dissect Cisco FabricPath (ethertype 0x8903), so it misses the TCP inside.
 * Zeek does, and counts 2 packets in each of the trace's 16 connections.
 */
static int
tshark_blind(const char *name)
{
	return strcmp(name, "zeek__testing__btest__Traces__cisco-fabric-path.pcap") == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Decode every classic pcap in dir. Each must parse, never crash, and where
 * SANITY.txt knows the file: every record is offered (capinfos count) and the
 * DECODE_OK count equals the TCP frames tshark found.
 */
static void
test_corpus_dir(const char *shared, const char *sub, const struct sanity *tab, int ntab)
{
	char dir[4096], path[8192], tname[400], err[128];
	struct decode_stats st;
	struct dirent *de;
	DIR *d;
	char **names = NULL;
	size_t n = 0, i;
	long want;
	int rc, j;
	const struct sanity *sn;

	snprintf(dir, sizeof(dir), "%s/%s", shared, sub);
	if ((d = opendir(dir)) == NULL) {
		printf("SKIP corpus %s: cannot open %s\n", sub, dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".pcap") == NULL)
			continue;
		if ((names = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    (names[n] = strdup(de->d_name)) == NULL)
			abort();
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(tname, sizeof(tname), "decode %s/%s", sub, names[i]);
		memset(&st, 0, sizeof(st));
		rc = pcap_decode_file(path, &st, err, sizeof(err));
		if (rc > 0) {
			printf("SKIP %s: pcapng, not read by this test\n", tname);
			free(names[i]);
			continue;
		}
		TEST_BEGIN(tname);
		if (rc < 0)
			printf("FAIL %s: %s\n", tname, err);
		CHECK_EQ_U(rc, 0);
		CHECK(st.frames > 0);
		sn = NULL;
		for (j = 0; j < ntab; j++)
			if (strcmp(tab[j].name, names[i]) == 0)
				sn = &tab[j];
		if (sn != NULL) {
			CHECK_EQ_U(st.frames, sn->packets);
			want = tshark_blind(names[i]) ? zeek_packets(shared, names[i])
			                              : sn->tcp_frames;
			CHECK(want >= 0);
			CHECK_EQ_U(st.result[DECODE_OK], want);
		}
		TEST_END();
		free(names[i]);
	}
	free(names);
}

static void
test_corpus(void)
{
	static struct sanity tab[SANITY_MAX];
	const char *shared = shared_dir();
	char path[4096];
	int ntab;

	if (access(shared, F_OK) != 0) {
		printf("SKIP corpus: shared directory %s not found (set SHARED)\n", shared);
		return;
	}
	snprintf(path, sizeof(path), "%s/corpus/SANITY.txt", shared);
	ntab = sanity_load(path, tab);
	if (ntab < 0) {
		printf("SKIP corpus oracle: %s not found; decoding without counts\n", path);
		ntab = 0;
	}
	test_corpus_dir(shared, "corpus/pcaps", tab, ntab);
	test_corpus_dir(shared, "fixtures", tab, ntab);
	test_seed_fixture();
}

int
main(void)
{
	test_names();
	test_link_supported();
	test_ether_ipv4();
	test_ether_ipv6();
	test_vlan();
	test_mpls();
	test_pppoe();
	test_fabricpath();
	test_cooked();
	test_loopback();
	test_raw();
	test_ipv4();
	test_ipv4_fragments();
	test_ipv6_ext();
	test_tcp_options();
	test_tcp_header();
	test_padding_and_snaplen();
	test_stats();
	test_prefixes();
	test_vxlan();
	test_geneve();
	test_gre();
	test_ipip();
	test_teredo();
	test_gtpu();
	test_pbb_vntag();
	test_depth();
	test_config();
	test_pcapw_tunnels();
	test_mutations();
	test_corpus();
	TEST_EXIT();
}
