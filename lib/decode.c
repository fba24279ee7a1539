/*
 * decode.c - captured frame bytes to a struct segment.
 *
 * decode owns nothing but the caller's counters. It peels the link layer
 * (Ethernet with VLAN/QinQ, MPLS, PPPoE and FabricPath; Linux cooked v1/v2;
 * BSD loopback; raw IP), then IPv4 or the IPv6 extension-header chain, then
 * the TCP header and the options tcpstated reports. Every read is preceded by
 * a check against caplen, and the comment on each check names the bytes it
 * guards. Frames are not aligned: multi-byte fields are assembled byte by
 * byte, never read through a struct pointer.
 *
 * Invariant throughout: off <= caplen, so "caplen - off" never wraps.
 */

#include <stddef.h>
#include <string.h>

#include "decode.h"

#define ETHER_HDR_LEN 14 /* destination, source, type */
#define SLL_HDR_LEN 16   /* Linux cooked v1; protocol at offset 14 */
#define SLL2_HDR_LEN 20  /* Linux cooked v2; protocol at offset 0 */
#define NULL_HDR_LEN 4   /* BSD loopback address family word */
#define VLAN_TAG_LEN 4   /* TCI, then the next type */
#define MPLS_LABEL_LEN 4 /* label 20 bits, TC 3, bottom-of-stack 1, TTL 8 */
#define PPPOE_HDR_LEN 8  /* ver/type, code, session, length, PPP protocol */
#define FP_TAG_LEN 2     /* FabricPath FTag/TTL after the outer type */
#define IP4_HDR_LEN 20
#define IP6_HDR_LEN 40
#define IP6_FRAG_LEN 8
#define TCP_HDR_LEN 20

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE 0x8864
#define ETHERTYPE_FABRICPATH 0x8903

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

/* IP protocol / IPv6 next-header numbers (IANA). */
#define NH_HOPOPTS 0
#define NH_TCP 6
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_ESP 50
#define NH_AH 51
#define NH_NONE 59
#define NH_DSTOPTS 60
#define NH_MH 135
#define NH_HIP 139
#define NH_SHIM6 140

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_OK 4
#define TCPOPT_TS 8

/* Bounds on loops driven by packet contents. */
#define DECODE_MAX_TAGS 8     /* VLAN tags plus FabricPath headers per frame */
#define DECODE_MAX_EXTHDRS 16 /* IPv6 extension headers per packet */

/* What the link layer says follows it. */
enum decode_net {
	NET_IPV4,
	NET_IPV6,
	NET_GUESS /* the IP version nibble decides */
};

static const char *decode_names[DECODE_NREASONS] = {
    [DECODE_OK] = "ok",
    [DECODE_LINK_UNSUPPORTED] = "link_unsupported",
    [DECODE_LINK_TRUNCATED] = "link_truncated",
    [DECODE_NOT_IP] = "not_ip",
    [DECODE_IP_TRUNCATED] = "ip_truncated",
    [DECODE_IP_BAD] = "ip_bad",
    [DECODE_IP_FRAGMENT] = "ip_fragment",
    [DECODE_NOT_TCP] = "not_tcp",
    [DECODE_TCP_TRUNCATED] = "tcp_truncated",
    [DECODE_TCP_BAD] = "tcp_bad",
};

/* decode_packet zeroes everything after ts_us, which the caller owns. */
_Static_assert(offsetof(struct segment, ts_us) == 0, "ts_us must be the first member");

static inline uint16_t
decode_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
decode_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
decode_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/*
 * Parse the options in the TCP header opt[0..len), all of it captured. A
 * malformed option stops parsing and is flagged, but what was found before
 * it is kept: the segment itself is still usable.
 */
static void
decode_tcpopts(const uint8_t *opt, uint32_t len, struct tcpopts *to)
{
	uint32_t i = 0, olen;
	uint8_t kind;

	while (i < len) {
		kind = opt[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		/* the length byte: must exist inside the header */
		if (len - i < 2) {
			to->present |= OPT_MALFORMED;
			break;
		}
		olen = opt[i + 1];
		/* the option body: covers kind and length, ends inside the header */
		if (olen < 2 || olen > len - i) {
			to->present |= OPT_MALFORMED;
			break;
		}
		/* A known kind with an unexpected length is skipped, not trusted. */
		switch (kind) {
		case TCPOPT_MSS:
			if (olen == 4) {
				to->mss = decode_be16(opt + i + 2);
				to->present |= OPT_MSS;
			}
			break;
		case TCPOPT_WSCALE:
			if (olen == 3) {
				to->wscale = opt[i + 2];
				to->present |= OPT_WSCALE;
			}
			break;
		case TCPOPT_SACK_OK:
			if (olen == 2)
				to->present |= OPT_SACK_OK;
			break;
		case TCPOPT_TS:
			if (olen == 10) {
				to->ts_val = decode_be32(opt + i + 2);
				to->ts_ecr = decode_be32(opt + i + 6);
				to->present |= OPT_TS;
			}
			break;
		default:
			break;
		}
		i += olen;
	}
}

/*
 * Decode the TCP header at f + off. iplen is the IP payload length the IP
 * header(s) claim, which may exceed what was captured (snaplen) or fall short
 * of it (Ethernet padding); the payload length comes from it alone.
 */
static enum decode_result
decode_tcp(const uint8_t *f, uint32_t caplen, uint32_t off, uint32_t iplen, struct segment *seg)
{
	const uint8_t *th = f + off;
	uint32_t thl;

	/* the fixed 20-byte TCP header */
	if (caplen - off < TCP_HDR_LEN)
		return DECODE_TCP_TRUNCATED;
	thl = (uint32_t)(th[12] >> 4) * 4;
	/* the data offset must cover the fixed header */
	if (thl < TCP_HDR_LEN)
		return DECODE_TCP_BAD;
	/* the header must end inside the IP payload: len never goes negative */
	if (thl > iplen)
		return DECODE_TCP_BAD;
	/* the options: all of them captured */
	if (thl > caplen - off)
		return DECODE_TCP_TRUNCATED;

	seg->sport = decode_be16(th);
	seg->dport = decode_be16(th + 2);
	seg->seq = decode_be32(th + 4);
	seg->ack = decode_be32(th + 8);
	seg->flags = th[13];
	seg->win = decode_be16(th + 14);
	seg->len = iplen - thl;
	if (thl > TCP_HDR_LEN)
		decode_tcpopts(th + TCP_HDR_LEN, thl - TCP_HDR_LEN, &seg->opt);
	return DECODE_OK;
}

/* Decode an IPv4 header at f + off (version already checked) and its TCP. */
static enum decode_result
decode_ipv4(const uint8_t *f, uint32_t caplen, uint32_t off, struct segment *seg)
{
	const uint8_t *ip = f + off;
	uint32_t hl, totlen;

	hl = (uint32_t)(ip[0] & 0x0f) * 4;
	/* the header length must cover the fixed header */
	if (hl < IP4_HDR_LEN)
		return DECODE_IP_BAD;
	/* the whole header with its options: this also covers the fixed 20 bytes */
	if (hl > caplen - off)
		return DECODE_IP_TRUNCATED;
	totlen = decode_be16(ip + 2);
	/*
	 * 0 on a frame captured on the sending host before segmentation
	 * offload (TSO/GSO) cut it up: the packet is what was captured.
	 */
	if (totlen == 0)
		totlen = caplen - off;
	/* the total length must cover the header */
	if (totlen < hl)
		return DECODE_IP_BAD;
	/* a non-first fragment carries no TCP header */
	if ((decode_be16(ip + 6) & 0x1fff) != 0)
		return DECODE_IP_FRAGMENT;
	if (ip[9] != NH_TCP)
		return DECODE_NOT_TCP;

	seg->family = 4;
	memcpy(seg->saddr, ip + 12, 4);
	memcpy(seg->daddr, ip + 16, 4);
	return decode_tcp(f, caplen, off + hl, totlen - hl, seg);
}

/*
 * Decode an IPv6 header at f + off (version already checked), walk its
 * extension headers to TCP and decode that. The chain is bounded both by
 * DECODE_MAX_EXTHDRS and by the payload length.
 */
static enum decode_result
decode_ipv6(const uint8_t *f, uint32_t caplen, uint32_t off, struct segment *seg)
{
	const uint8_t *ip = f + off;
	uint32_t rest, hlen;
	unsigned n;
	uint8_t nh;

	/* the fixed 40-byte header */
	if (caplen - off < IP6_HDR_LEN)
		return DECODE_IP_TRUNCATED;
	rest = decode_be16(ip + 4);
	/*
	 * A zero payload length with a hop-by-hop header is a jumbogram (RFC
	 * 2675): not supported. Without one, it is a frame captured before
	 * segmentation offload, as for IPv4: the payload is what was captured.
	 */
	if (rest == 0) {
		if (ip[6] == NH_HOPOPTS)
			return DECODE_IP_BAD;
		rest = caplen - off - IP6_HDR_LEN;
	}
	seg->family = 6;
	memcpy(seg->saddr, ip + 8, 16);
	memcpy(seg->daddr, ip + 24, 16);
	nh = ip[6];
	off += IP6_HDR_LEN;

	/* n counts the headers passed; the last round finds TCP or gives up */
	for (n = 0; n <= DECODE_MAX_EXTHDRS; n++) {
		switch (nh) {
		case NH_TCP:
			return decode_tcp(f, caplen, off, rest, seg);
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_MH:
		case NH_HIP:
		case NH_SHIM6:
		case NH_AH:
			/* next-header and length bytes */
			if (caplen - off < 2)
				return DECODE_IP_TRUNCATED;
			if (nh == NH_AH)
				hlen = ((uint32_t)f[off + 1] + 2) * 4;
			else
				hlen = ((uint32_t)f[off + 1] + 1) * 8;
			/* the header ends inside the payload length */
			if (hlen > rest)
				return DECODE_IP_BAD;
			/* the whole header captured, so the next one starts in bounds */
			if (hlen > caplen - off)
				return DECODE_IP_TRUNCATED;
			break;
		case NH_FRAGMENT:
			hlen = IP6_FRAG_LEN;
			/* the fragment header fits the payload length */
			if (rest < hlen)
				return DECODE_IP_BAD;
			/* the whole fragment header: next header and offset */
			if (caplen - off < hlen)
				return DECODE_IP_TRUNCATED;
			/* a non-first fragment carries no TCP header */
			if ((decode_be16(f + off + 2) & 0xfff8) != 0)
				return DECODE_IP_FRAGMENT;
			break;
		case NH_ESP:  /* encrypted: the TCP header cannot be seen */
		case NH_NONE: /* nothing follows */
		default:      /* UDP, ICMPv6, unknown */
			return DECODE_NOT_TCP;
		}
		nh = f[off];
		off += hlen;
		rest -= hlen;
	}
	/* a chain this long is not something a real stack sends */
	return DECODE_IP_BAD;
}

/*
 * Decode the IP packet at f + off. The version nibble must agree with what
 * the link layer announced, or decide when it announced nothing.
 */
static enum decode_result
decode_ip(const uint8_t *f, uint32_t caplen, uint32_t off, enum decode_net net, struct segment *seg)
{
	unsigned v;

	/* the version nibble */
	if (caplen - off < 1)
		return DECODE_IP_TRUNCATED;
	v = f[off] >> 4;
	if (v == 4 && net != NET_IPV6)
		return decode_ipv4(f, caplen, off, seg);
	if (v == 6 && net != NET_IPV4)
		return decode_ipv6(f, caplen, off, seg);
	return DECODE_IP_BAD;
}

/*
 * Follow an ethertype at f + off through VLAN tags, FabricPath, PPPoE and
 * MPLS to IP. Records the first non-zero VLAN id (VID 0 is a priority-only
 * tag, which 802.1Q says carries no VLAN). More than DECODE_MAX_TAGS tags is
 * counted as not IP rather than followed.
 */
static enum decode_result
decode_ethertype(const uint8_t *f, uint32_t caplen, uint32_t off, uint16_t type,
                 struct segment *seg)
{
	unsigned tags = 0;
	uint16_t vid;

	for (;;) {
		switch (type) {
		case ETHERTYPE_IPV4:
			return decode_ip(f, caplen, off, NET_IPV4, seg);
		case ETHERTYPE_IPV6:
			return decode_ip(f, caplen, off, NET_IPV6, seg);
		case ETHERTYPE_VLAN:
		case ETHERTYPE_QINQ:
		case ETHERTYPE_QINQ_OLD:
			if (++tags > DECODE_MAX_TAGS)
				return DECODE_NOT_IP;
			/* the tag: TCI and the next type */
			if (caplen - off < VLAN_TAG_LEN)
				return DECODE_LINK_TRUNCATED;
			vid = decode_be16(f + off) & 0x0fff;
			if (seg->vlan == 0)
				seg->vlan = vid;
			type = decode_be16(f + off + 2);
			off += VLAN_TAG_LEN;
			break;
		case ETHERTYPE_FABRICPATH:
			/*
			 * The 16-byte outer header (outer MACs, this type, the
			 * FTag/TTL word) is followed by a whole inner frame.
			 */
			if (++tags > DECODE_MAX_TAGS)
				return DECODE_NOT_IP;
			/* FTag/TTL and the inner Ethernet header */
			if (caplen - off < FP_TAG_LEN + ETHER_HDR_LEN)
				return DECODE_LINK_TRUNCATED;
			off += FP_TAG_LEN + ETHER_HDR_LEN;
			type = decode_be16(f + off - 2);
			break;
		case ETHERTYPE_PPPOE:
			/* the PPPoE session header and the PPP protocol field */
			if (caplen - off < PPPOE_HDR_LEN)
				return DECODE_LINK_TRUNCATED;
			/*
			 * The PPPoE length is not checked against the IP length:
			 * real captures disagree with it and the IP header rules.
			 */
			switch (decode_be16(f + off + 6)) {
			case PPP_IPV4:
				return decode_ip(f, caplen, off + PPPOE_HDR_LEN, NET_IPV4, seg);
			case PPP_IPV6:
				return decode_ip(f, caplen, off + PPPOE_HDR_LEN, NET_IPV6, seg);
			default:
				return DECODE_NOT_IP;
			}
		case ETHERTYPE_MPLS:
		case ETHERTYPE_MPLS_MC:
			/* Each label takes 4 bytes, so caplen bounds the loop. */
			for (;;) {
				/* one label stack entry */
				if (caplen - off < MPLS_LABEL_LEN)
					return DECODE_LINK_TRUNCATED;
				off += MPLS_LABEL_LEN;
				if (f[off - 2] & 0x01)
					break;
			}
			/* the first byte after the stack, whose nibble guesses IP */
			if (caplen - off < 1)
				return DECODE_IP_TRUNCATED;
			if (f[off] >> 4 != 4 && f[off] >> 4 != 6)
				return DECODE_NOT_IP; /* pseudowire, control word, ... */
			return decode_ip(f, caplen, off, NET_GUESS, seg);
		default:
			/* ARP, LLDP, an 802.3 length field, ... */
			return DECODE_NOT_IP;
		}
	}
}

/* Map a loopback address family to what follows it. */
static enum decode_result
decode_af(const uint8_t *f, uint32_t caplen, uint32_t af, struct segment *seg)
{
	switch (af) {
	case 2: /* AF_INET everywhere */
		return decode_ip(f, caplen, NULL_HDR_LEN, NET_IPV4, seg);
	case 10: /* AF_INET6 on Linux */
	case 24: /* OpenBSD, NetBSD */
	case 28: /* FreeBSD */
	case 30: /* macOS */
		return decode_ip(f, caplen, NULL_HDR_LEN, NET_IPV6, seg);
	default:
		return DECODE_NOT_IP;
	}
}

/* Peel the link header of type `link` and decode what it carries. */
static enum decode_result
decode_link(int link, const uint8_t *f, uint32_t caplen, struct segment *seg)
{
	uint32_t af;

	switch (link) {
	case LINK_ETHERNET:
		/* destination, source and type */
		if (caplen < ETHER_HDR_LEN)
			return DECODE_LINK_TRUNCATED;
		return decode_ethertype(f, caplen, ETHER_HDR_LEN, decode_be16(f + 12), seg);
	case LINK_LINUX_SLL:
		/* the cooked header, protocol in its last two bytes */
		if (caplen < SLL_HDR_LEN)
			return DECODE_LINK_TRUNCATED;
		return decode_ethertype(f, caplen, SLL_HDR_LEN, decode_be16(f + 14), seg);
	case LINK_LINUX_SLL2:
		/* the cooked v2 header, protocol in its first two bytes */
		if (caplen < SLL2_HDR_LEN)
			return DECODE_LINK_TRUNCATED;
		return decode_ethertype(f, caplen, SLL2_HDR_LEN, decode_be16(f), seg);
	case LINK_NULL:
		/* the address family word */
		if (caplen < NULL_HDR_LEN)
			return DECODE_LINK_TRUNCATED;
		/*
		 * Host byte order of the capturing machine, which may not be
		 * ours; every valid family is < 65536, so the order that
		 * yields a small value is the right one.
		 */
		af = decode_be32(f);
		if (af > 0xffff)
			af = decode_le32(f);
		return decode_af(f, caplen, af, seg);
	case LINK_LOOP:
		/* the address family word, network byte order */
		if (caplen < NULL_HDR_LEN)
			return DECODE_LINK_TRUNCATED;
		return decode_af(f, caplen, decode_be32(f), seg);
	case LINK_RAW_DLT:
	case LINK_RAW_DLT14:
	case LINK_RAW:
		return decode_ip(f, caplen, 0, NET_GUESS, seg);
	case LINK_IPV4:
		return decode_ip(f, caplen, 0, NET_IPV4, seg);
	case LINK_IPV6:
		return decode_ip(f, caplen, 0, NET_IPV6, seg);
	default:
		return DECODE_LINK_UNSUPPORTED;
	}
}

enum decode_result
decode_packet(int link, const uint8_t *frame, uint32_t caplen, struct segment *seg,
              struct decode_stats *st)
{
	enum decode_result r;

	memset((uint8_t *)seg + offsetof(struct segment, saddr), 0,
	       sizeof(*seg) - offsetof(struct segment, saddr));
	r = decode_link(link, frame, caplen, seg);
	if (st != NULL) {
		st->frames++;
		st->result[r]++;
		if (r == DECODE_OK && (seg->opt.present & OPT_MALFORMED))
			st->opt_malformed++;
	}
	return r;
}

int
decode_link_supported(int link)
{
	switch (link) {
	case LINK_NULL:
	case LINK_ETHERNET:
	case LINK_RAW_DLT:
	case LINK_RAW_DLT14:
	case LINK_RAW:
	case LINK_LOOP:
	case LINK_LINUX_SLL:
	case LINK_IPV4:
	case LINK_IPV6:
	case LINK_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

const char *
decode_result_name(enum decode_result r)
{
	if ((unsigned)r >= DECODE_NREASONS)
		return "unknown";
	return decode_names[r];
}
