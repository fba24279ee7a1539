/*
 * pcapw.h - a header-only writer of classic pcap files and a builder of TCP
 * segments, for the test tools that make deterministic captures (gencases,
 * the benchmark generator). Plain stdio, no libpcap.
 *
 * Two layers:
 *   struct pcapw   one capture file: link type, snaplen, and the clock of the
 *                  capture. Every frame is stamped with now_us, which then
 *                  advances by step_us. With dup_us set, every frame is written
 *                  a second time dup_us later (a capture that saw it twice).
 *   struct conn    one scripted connection on a writer: both endpoints'
 *                  addresses and ports, the next sequence number each side
 *                  sends and what each side acknowledges. c_syn(), s_synack(),
 *                  c_data(n), s_fin() ... emit the next segment with the
 *                  numbers right; conn_raw() emits any segment at all without
 *                  touching the script's numbers, for the odd cases.
 *
 * Frames get correct IPv4 header, UDP, GRE and TCP checksums (tcpdump -vv
 * says "correct"). Link types: Ethernet (optionally 802.1Q and 802.1ad
 * tagged), raw IP, Linux cooked v1 and v2, BSD loopback (NULL). A segment
 * (or a whole connection) may be carried in a tunnel, struct pcapw_tunnel:
 * VXLAN, Geneve with an option, GRE plain or with checksum, key and
 * sequence, ERSPAN II and III, IP-in-IP, Teredo, GTP-U with an extension
 * header, 802.1ah PBB and VN-Tag.
 *
 * Functions return 0 on success and -1 on an I/O error or an impossible
 * request (payload too large); the writer remembers the first error in err,
 * so a script may run to the end and check once, at pcapw_close().
 */
#ifndef TCPSTATED_PCAPW_H
#define TCPSTATED_PCAPW_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "segment.h" /* TH_*: the TCP flag bits as on the wire */

/* pcap link types (https://www.tcpdump.org/linktypes.html). */
#define PCAPW_LINK_NULL 0
#define PCAPW_LINK_ETHERNET 1
#define PCAPW_LINK_RAW 101
#define PCAPW_LINK_LINUX_SLL 113
#define PCAPW_LINK_LINUX_SLL2 276

#define PCAPW_MAXPAYLOAD 65000
/*
 * Largest link header (SLL2: 20) + IPv6 (40) + TCP with options (60), and
 * the largest tunnel: outer IPv6 (40), UDP (8), Geneve with its option (16)
 * and an inner Ethernet header with two tags (22).
 */
#define PCAPW_MAXFRAME (PCAPW_MAXPAYLOAD + 256)

/* Encapsulations (struct pcapw_tunnel.kind). */
enum pcapw_tun_kind {
	PCAPW_TUN_VXLAN = 1, /* UDP, VXLAN VNI id, Ethernet */
	PCAPW_TUN_GENEVE,    /* UDP, Geneve VNI id with one 8-byte option, Ethernet */
	PCAPW_TUN_GRE,       /* GRE, no optional words, IP */
	PCAPW_TUN_GRE_KEY,   /* GRE with checksum, key id and sequence, IP */
	PCAPW_TUN_ERSPAN2,   /* GRE with sequence, ERSPAN II session id, Ethernet */
	PCAPW_TUN_ERSPAN3,   /* GRE, ERSPAN III session id, Ethernet */
	PCAPW_TUN_IPIP,      /* IP protocol 4 or 41 */
	PCAPW_TUN_TEREDO,    /* UDP to or from 3544, IPv6 (the outer family must be 4) */
	PCAPW_TUN_GTPU,      /* UDP, GTP-U TEID id with a PDU session container, IP */
	PCAPW_TUN_PBB,       /* no outer IP: 802.1ah I-TAG I-SID id in the Ethernet header */
	PCAPW_TUN_VNTAG      /* no outer IP: a VN-Tag in the Ethernet header */
};

/*
 * A tunnel the segments of a connection travel in. src and dst are the outer
 * addresses of the client's segments; the server's go back the other way,
 * except ERSPAN's, which a mirror sends to its collector both ways round.
 * GTP-U's TEID is picked by the receiving end, so the server's segments
 * carry id + 1.
 */
struct pcapw_tunnel {
	int kind;   /* enum pcapw_tun_kind */
	int family; /* of src and dst: 4 or 6 */
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;   /* VNI, GRE key, ERSPAN session, TEID or I-SID */
	uint16_t port; /* UDP destination port; 0: the registered one */
};

/* BSD loopback address family values: AF_INET everywhere, AF_INET6 as Darwin. */
#define PCAPW_NULL_AF_INET 2
#define PCAPW_NULL_AF_INET6 30

struct pcapw {
	FILE *f;
	uint32_t linktype;
	uint32_t snaplen; /* frames longer than this are cut (caplen), as a capture would */
	uint64_t now_us;  /* timestamp of the next frame, microseconds since the epoch */
	uint64_t step_us; /* added to now_us after every frame */
	uint64_t dup_us;  /* when non-zero, every frame is written again dup_us later */
	uint64_t frames;  /* frames written, duplicates included */
	int err;          /* first error: -1 once anything failed */
	uint8_t buf[PCAPW_MAXFRAME];
};

/* One TCP segment to build: everything in host byte order. */
struct pcapw_seg {
	int family;         /* 4 or 6 */
	const uint8_t *src; /* 4 or 16 bytes */
	const uint8_t *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;          /* TH_* */
	uint16_t win;           /* raw window field */
	uint32_t len;           /* payload bytes */
	const uint8_t *payload; /* NULL: len bytes of fill */
	uint8_t fill;
	/* Options: each present when non-zero (wscale: when has_wscale). */
	uint16_t mss;
	int has_wscale;
	uint8_t wscale;
	int sack_ok;
	int ts;
	uint32_t ts_val, ts_ecr;
	/* Link and IP details. */
	uint16_t vlan;       /* 802.1Q VLAN id, 0 = untagged */
	uint16_t vlan_outer; /* 802.1ad service tag outside vlan, 0 = none */
	uint16_t ip_id;
	uint8_t ttl;                    /* 0 means 64 */
	int outgoing;                   /* cooked captures: the frame was sent by this host */
	const struct pcapw_tunnel *tun; /* NULL: not tunnelled */
	int tun_reply;                  /* sent by the server: outer pair reversed */
};

static inline void
pcapw_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
pcapw_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Add len bytes to a running one's-complement sum of 16-bit big-endian words. */
static inline uint32_t
pcapw_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t
pcapw_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Write the TCP options of sg at p; returns their length, a multiple of 4. */
static inline size_t
pcapw_tcpopts(const struct pcapw_seg *sg, uint8_t *p)
{
	size_t n = 0;

	if (sg->mss != 0) {
		p[n++] = 2;
		p[n++] = 4;
		pcapw_put16(p + n, sg->mss);
		n += 2;
	}
	/* Linux's layouts: SACK-permitted packed before the timestamps. */
	if (sg->sack_ok && sg->ts) {
		p[n++] = 4;
		p[n++] = 2;
	} else if (sg->sack_ok) {
		p[n++] = 1;
		p[n++] = 1;
		p[n++] = 4;
		p[n++] = 2;
	} else if (sg->ts) {
		p[n++] = 1;
		p[n++] = 1;
	}
	if (sg->ts) {
		p[n++] = 8;
		p[n++] = 10;
		pcapw_put32(p + n, sg->ts_val);
		pcapw_put32(p + n + 4, sg->ts_ecr);
		n += 8;
	}
	if (sg->has_wscale) {
		p[n++] = 1;
		p[n++] = 3;
		p[n++] = 3;
		p[n++] = sg->wscale;
	}
	return n;
}

/* Write the link-layer header for an IP packet of family at p; returns its length. */
static inline size_t
pcapw_linkhdr(uint32_t linktype, const struct pcapw_seg *sg, uint8_t *p)
{
	uint16_t etype = sg->family == 6 ? 0x86dd : 0x0800;
	uint32_t af;
	size_t n = 0;

	switch (linktype) {
	case PCAPW_LINK_ETHERNET:
		/* Locally administered MACs derived from the last address byte. */
		memcpy(p, "\x02\x00\x00\x00\x00", 5);
		p[5] = sg->dst[sg->family == 6 ? 15 : 3];
		memcpy(p + 6, "\x02\x00\x00\x00\x00", 5);
		p[11] = sg->src[sg->family == 6 ? 15 : 3];
		n = 12;
		if (sg->vlan_outer != 0) {
			pcapw_put16(p + n, 0x88a8);
			pcapw_put16(p + n + 2, sg->vlan_outer & 0x0fff);
			n += 4;
		}
		if (sg->vlan != 0) {
			pcapw_put16(p + n, 0x8100);
			pcapw_put16(p + n + 2, sg->vlan & 0x0fff);
			n += 4;
		}
		pcapw_put16(p + n, etype);
		return n + 2;
	case PCAPW_LINK_LINUX_SLL:
		pcapw_put16(p, sg->outgoing ? 4 : 0); /* packet type */
		pcapw_put16(p + 2, 1);                /* ARPHRD_ETHER */
		pcapw_put16(p + 4, 6);                /* address length */
		memcpy(p + 6, "\x02\x00\x00\x00\x00\x00\x00\x00", 8);
		p[11] = sg->src[sg->family == 6 ? 15 : 3];
		pcapw_put16(p + 14, etype);
		return 16;
	case PCAPW_LINK_LINUX_SLL2:
		pcapw_put16(p, etype);
		pcapw_put16(p + 2, 0); /* reserved */
		pcapw_put32(p + 4, 2); /* interface index */
		pcapw_put16(p + 8, 1); /* ARPHRD_ETHER */
		p[10] = sg->outgoing ? 4 : 0;
		p[11] = 6;
		memcpy(p + 12, "\x02\x00\x00\x00\x00\x00\x00\x00", 8);
		p[17] = sg->src[sg->family == 6 ? 15 : 3];
		return 20;
	case PCAPW_LINK_NULL:
		/* The family in the byte order of the host that captured: ours. */
		af = sg->family == 6 ? PCAPW_NULL_AF_INET6 : PCAPW_NULL_AF_INET;
		memcpy(p, &af, 4);
		return 4;
	case PCAPW_LINK_RAW:
	default:
		return 0;
	}
}

/* Write sg's IP header, TCP header and payload at ip; returns their length. */
static inline size_t
pcapw_iptcp(const struct pcapw_seg *sg, uint8_t *ip)
{
	uint8_t *tcp, pseudo[40];
	size_t iphl, thl, total, alen;
	uint32_t sum;

	iphl = sg->family == 6 ? 40 : 20;
	tcp = ip + iphl;
	thl = 20 + pcapw_tcpopts(sg, tcp + 20);
	total = iphl + thl + sg->len;
	alen = sg->family == 6 ? 16 : 4;

	if (sg->family == 6) {
		pcapw_put32(ip, 0x60000000);
		pcapw_put16(ip + 4, (uint16_t)(thl + sg->len));
		ip[6] = 6;
		ip[7] = sg->ttl != 0 ? sg->ttl : 64;
		memcpy(ip + 8, sg->src, 16);
		memcpy(ip + 24, sg->dst, 16);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		pcapw_put16(ip + 2, (uint16_t)total);
		pcapw_put16(ip + 4, sg->ip_id);
		pcapw_put16(ip + 6, 0x4000); /* DF */
		ip[8] = sg->ttl != 0 ? sg->ttl : 64;
		ip[9] = 6;
		pcapw_put16(ip + 10, 0);
		memcpy(ip + 12, sg->src, 4);
		memcpy(ip + 16, sg->dst, 4);
		pcapw_put16(ip + 10, pcapw_fold(pcapw_sum(0, ip, 20)));
	}

	pcapw_put16(tcp, sg->sport);
	pcapw_put16(tcp + 2, sg->dport);
	pcapw_put32(tcp + 4, sg->seq);
	pcapw_put32(tcp + 8, (sg->flags & TH_ACK) ? sg->ack : 0);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = sg->flags;
	pcapw_put16(tcp + 14, sg->win);
	pcapw_put16(tcp + 16, 0);
	pcapw_put16(tcp + 18, 0);
	if (sg->payload != NULL)
		memcpy(tcp + thl, sg->payload, sg->len);
	else
		memset(tcp + thl, sg->fill, sg->len);

	/* Pseudo header: addresses, protocol, TCP length (RFC 9293 3.1, RFC 8200 8.1). */
	memset(pseudo, 0, sizeof pseudo);
	memcpy(pseudo, sg->src, alen);
	memcpy(pseudo + alen, sg->dst, alen);
	sum = pcapw_sum(0, pseudo, 2 * alen);
	sum += 6 + (uint32_t)(thl + sg->len);
	sum = pcapw_sum(sum, tcp, thl + sg->len);
	pcapw_put16(tcp + 16, pcapw_fold(sum));
	return total;
}

/* The bytes a tunnel of kind puts between the outer IP header and the inner one. */
static inline size_t
pcapw_tun_hdrlen(const struct pcapw_seg *sg)
{
	size_t eth = 14 + (sg->vlan ? 4 : 0) + (sg->vlan_outer ? 4 : 0);

	switch (sg->tun->kind) {
	case PCAPW_TUN_VXLAN:
		return 8 + 8 + eth;
	case PCAPW_TUN_GENEVE:
		return 8 + 16 + eth;
	case PCAPW_TUN_GRE:
		return 4;
	case PCAPW_TUN_GRE_KEY:
		return 16;
	case PCAPW_TUN_ERSPAN2:
		return 8 + 8 + eth;
	case PCAPW_TUN_ERSPAN3:
		return 4 + 12 + eth;
	case PCAPW_TUN_TEREDO:
		return 8;
	case PCAPW_TUN_GTPU:
		return 8 + 8 + 4 + 4;
	default: /* IP-in-IP */
		return 0;
	}
}

/*
 * Wrap the inner packet of sg (inner bytes, already written at
 * ip + outer IP header + pcapw_tun_hdrlen()) in sg->tun's outer IP header
 * and tunnel header at ip; returns the outer packet's length.
 */
static inline size_t
pcapw_tun_wrap(const struct pcapw_seg *sg, uint8_t *ip, size_t inner)
{
	const struct pcapw_tunnel *t = sg->tun;
	int mirror = t->kind == PCAPW_TUN_ERSPAN2 || t->kind == PCAPW_TUN_ERSPAN3;
	int back = sg->tun_reply && !mirror;
	const uint8_t *src = back ? t->dst : t->src, *dst = back ? t->src : t->dst;
	size_t iphl = t->family == 6 ? 40 : 20, alen = t->family == 6 ? 16 : 4;
	size_t hl = pcapw_tun_hdrlen(sg), total = iphl + hl + inner, n;
	uint8_t *h = ip + iphl, proto, pseudo[40];
	uint16_t dport, sport;
	uint32_t sum;

	switch (t->kind) {
	case PCAPW_TUN_VXLAN:
	case PCAPW_TUN_GENEVE:
	case PCAPW_TUN_TEREDO:
	case PCAPW_TUN_GTPU:
		proto = 17;
		break;
	case PCAPW_TUN_IPIP:
		proto = sg->family == 6 ? 41 : 4;
		break;
	default:
		proto = 47;
		break;
	}
	/* The tunnel header, then (for UDP) the UDP header in front of it. */
	n = proto == 17 ? 8 : 0;
	switch (t->kind) {
	case PCAPW_TUN_VXLAN:
		pcapw_put32(h + n, 0x08000000);
		pcapw_put32(h + n + 4, t->id << 8);
		pcapw_linkhdr(PCAPW_LINK_ETHERNET, sg, h + n + 8);
		break;
	case PCAPW_TUN_GENEVE:
		h[n] = 2; /* two words of options */
		h[n + 1] = 0;
		pcapw_put16(h + n + 2, 0x6558);
		pcapw_put32(h + n + 4, t->id << 8);
		pcapw_put32(h + n + 8, 0x01038001); /* class 0x0103, type 0x80, one word */
		pcapw_put32(h + n + 12, 0xfeedf00d);
		pcapw_linkhdr(PCAPW_LINK_ETHERNET, sg, h + n + 16);
		break;
	case PCAPW_TUN_GRE:
		pcapw_put16(h, 0);
		pcapw_put16(h + 2, sg->family == 6 ? 0x86dd : 0x0800);
		break;
	case PCAPW_TUN_GRE_KEY:
		pcapw_put16(h, 0xb000); /* checksum, key, sequence */
		pcapw_put16(h + 2, sg->family == 6 ? 0x86dd : 0x0800);
		pcapw_put32(h + 4, 0);
		pcapw_put32(h + 8, t->id);
		pcapw_put32(h + 12, (uint32_t)sg->ip_id);
		pcapw_put16(h + 4, pcapw_fold(pcapw_sum(0, h, hl + inner)));
		break;
	case PCAPW_TUN_ERSPAN2:
		pcapw_put16(h, 0x1000); /* sequence */
		pcapw_put16(h + 2, 0x88be);
		pcapw_put32(h + 4, (uint32_t)sg->ip_id);
		pcapw_put16(h + 8, 0x1000 | (sg->vlan & 0x0fff));
		pcapw_put16(h + 10, (uint16_t)(t->id & 0x03ff));
		pcapw_put32(h + 12, 0);
		pcapw_linkhdr(PCAPW_LINK_ETHERNET, sg, h + 16);
		break;
	case PCAPW_TUN_ERSPAN3:
		pcapw_put16(h, 0);
		pcapw_put16(h + 2, 0x22eb);
		pcapw_put16(h + 4, 0x2000 | (sg->vlan & 0x0fff));
		pcapw_put16(h + 6, (uint16_t)(t->id & 0x03ff));
		pcapw_put32(h + 8, (uint32_t)sg->ip_id); /* timestamp */
		pcapw_put32(h + 12, 0);
		pcapw_linkhdr(PCAPW_LINK_ETHERNET, sg, h + 16);
		break;
	case PCAPW_TUN_GTPU:
		h[n] = 0x34; /* version 1, GTP, E */
		h[n + 1] = 255;
		pcapw_put16(h + n + 2, (uint16_t)(8 + inner));
		pcapw_put32(h + n + 4, t->id + (sg->tun_reply ? 1 : 0));
		pcapw_put32(h + n + 8, 0x00000085); /* sequence, N-PDU, PDU session container */
		/* one word: PDU type uplink (1) or downlink (0), QFI 9, no next */
		pcapw_put32(h + n + 12, sg->tun_reply ? 0x01000900 : 0x01100900);
		break;
	default: /* IP-in-IP, Teredo: nothing but UDP */
		break;
	}
	if (proto == 17) {
		dport = t->port != 0                  ? t->port
		        : t->kind == PCAPW_TUN_VXLAN  ? 4789
		        : t->kind == PCAPW_TUN_GENEVE ? 6081
		        : t->kind == PCAPW_TUN_TEREDO ? 3544
		                                      : 2152;
		/* VTEPs pick the source port from the inner flow; GTP-U uses 2152 both ways */
		sport = t->kind == PCAPW_TUN_GTPU
		            ? dport
		            : (uint16_t)(49152 | ((sg->sport ^ sg->dport) & 0x3fff));
		if (t->kind == PCAPW_TUN_TEREDO && sg->tun_reply) {
			/* the relay answers from 3544 to the client's port */
			sport = dport;
			dport = (uint16_t)(49152 | ((sg->sport ^ sg->dport) & 0x3fff));
		}
		pcapw_put16(h, sport);
		pcapw_put16(h + 2, dport);
		pcapw_put16(h + 4, (uint16_t)(hl + inner));
		pcapw_put16(h + 6, 0);
		memset(pseudo, 0, sizeof pseudo);
		memcpy(pseudo, src, alen);
		memcpy(pseudo + alen, dst, alen);
		sum = pcapw_sum(0, pseudo, 2 * alen) + 17 + (uint32_t)(hl + inner);
		sum = pcapw_fold(pcapw_sum(sum, h, hl + inner));
		pcapw_put16(h + 6, sum == 0 ? 0xffff : (uint16_t)sum);
	}

	if (t->family == 6) {
		pcapw_put32(ip, 0x60000000);
		pcapw_put16(ip + 4, (uint16_t)(total - 40));
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		pcapw_put16(ip + 2, (uint16_t)total);
		pcapw_put16(ip + 4, sg->ip_id);
		pcapw_put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		pcapw_put16(ip + 10, 0);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		pcapw_put16(ip + 10, pcapw_fold(pcapw_sum(0, ip, 20)));
	}
	return total;
}

/*
 * Build the frame for sg with linktype's header into buf; returns its length,
 * or 0 when the payload is larger than PCAPW_MAXPAYLOAD or cap too small.
 */
static inline size_t
pcapw_build(uint32_t linktype, const struct pcapw_seg *sg, uint8_t *buf, size_t cap)
{
	struct pcapw_seg outer;
	uint8_t cust[22];
	size_t link, off;

	if (sg->len > PCAPW_MAXPAYLOAD || cap < PCAPW_MAXFRAME)
		return 0;
	if (sg->tun == NULL) {
		link = pcapw_linkhdr(linktype, sg, buf);
		return link + pcapw_iptcp(sg, buf + link);
	}
	if (sg->tun->kind == PCAPW_TUN_PBB || sg->tun->kind == PCAPW_TUN_VNTAG) {
		/* tags inside an Ethernet header: nothing else can carry them */
		if (linktype != PCAPW_LINK_ETHERNET)
			return 0;
		link = pcapw_linkhdr(PCAPW_LINK_ETHERNET, sg, cust); /* the customer's header */
		memcpy(buf, cust, 12);
		if (sg->tun->kind == PCAPW_TUN_PBB) {
			buf[0] ^= 0x40; /* backbone MACs, not the customer's */
			buf[6] ^= 0x40;
			pcapw_put16(buf + 12, 0x88e7);
			pcapw_put32(buf + 14, sg->tun->id & 0xffffff); /* I-SID */
			memcpy(buf + 18, cust, link);
			link += 18;
		} else {
			pcapw_put16(buf + 12, 0x8926);
			/* direction, destination and source virtual interfaces */
			pcapw_put32(buf + 14, 0x80000000 | (sg->tun->id & 0x3fff) << 16 |
			                          (sg->tun_reply ? 1u : 2u));
			memcpy(buf + 18, cust + 12, link - 12);
			link += 6;
		}
		return link + pcapw_iptcp(sg, buf + link);
	}
	/* The link header is the outer packet's: its family, no tags of the inner frame's. */
	outer = *sg;
	outer.family = sg->tun->family;
	outer.src = sg->tun->src;
	outer.dst = sg->tun->dst;
	outer.vlan = outer.vlan_outer = 0;
	link = pcapw_linkhdr(linktype, &outer, buf);
	off = link + (sg->tun->family == 6 ? 40 : 20) + pcapw_tun_hdrlen(sg);
	return link + pcapw_tun_wrap(sg, buf + link, pcapw_iptcp(sg, buf + off));
}

/* Create path as a pcap file of linktype; the clock starts at start_us. */
static inline int
pcapw_open(struct pcapw *w, const char *path, uint32_t linktype, uint32_t snaplen,
           uint64_t start_us)
{
	uint32_t hdr[6];

	memset(w, 0, sizeof *w);
	w->linktype = linktype;
	w->snaplen = snaplen != 0 ? snaplen : 65535;
	w->now_us = start_us;
	w->step_us = 1000;
	if ((w->f = fopen(path, "wb")) == NULL)
		return w->err = -1;
	/* Native byte order, microsecond magic: readers swap as needed. */
	hdr[0] = 0xa1b2c3d4;
	hdr[1] = 2 | 4u << 16;
	hdr[2] = 0; /* thiszone */
	hdr[3] = 0; /* sigfigs */
	hdr[4] = w->snaplen;
	hdr[5] = linktype;
	if (fwrite(hdr, sizeof hdr, 1, w->f) != 1)
		w->err = -1;
	return w->err;
}

/* Append one frame stamped ts_us, cut to the snaplen. */
static inline int
pcapw_frame(struct pcapw *w, uint64_t ts_us, const uint8_t *frame, uint32_t len)
{
	uint32_t rec[4];
	uint32_t caplen = len < w->snaplen ? len : w->snaplen;

	if (w->f == NULL)
		return w->err = -1;
	rec[0] = (uint32_t)(ts_us / 1000000);
	rec[1] = (uint32_t)(ts_us % 1000000);
	rec[2] = caplen;
	rec[3] = len;
	if (fwrite(rec, sizeof rec, 1, w->f) != 1 || fwrite(frame, caplen, 1, w->f) != 1)
		return w->err = -1;
	w->frames++;
	return 0;
}

/* Build sg, write it at the writer's clock (twice when dup_us), advance the clock. */
static inline int
pcapw_seg(struct pcapw *w, const struct pcapw_seg *sg)
{
	size_t len = pcapw_build(w->linktype, sg, w->buf, sizeof w->buf);

	if (len == 0)
		return w->err = -1;
	if (pcapw_frame(w, w->now_us, w->buf, (uint32_t)len) == -1)
		return -1;
	if (w->dup_us != 0 && pcapw_frame(w, w->now_us + w->dup_us, w->buf, (uint32_t)len) == -1)
		return -1;
	w->now_us += w->step_us;
	return 0;
}

static inline void
pcapw_wait(struct pcapw *w, uint64_t us)
{
	w->now_us += us;
}

/* Close the file; returns -1 if anything failed since pcapw_open(). */
static inline int
pcapw_close(struct pcapw *w)
{
	if (w->f != NULL && fclose(w->f) != 0)
		w->err = -1;
	w->f = NULL;
	return w->err;
}

/* --- connection scripts --- */

enum conn_side { CONN_CLIENT = 0, CONN_SERVER = 1 };

struct conn_end {
	uint8_t ip[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;
	uint32_t isn;
	uint32_t nxt; /* the sequence number this side sends next */
	uint32_t rcv; /* what this side acknowledges: the peer's next byte */
	uint16_t win; /* raw window field it advertises */
	uint16_t mss; /* announced in its SYN */
	uint8_t wscale;
	uint16_t ip_id;
	uint32_t ts_last; /* the TSval it sent last: the peer echoes it */
};

struct conn {
	struct pcapw *w;
	int family;
	int opts; /* SYNs carry MSS, SACK-permitted, timestamps, wscale; all carry TS */
	uint16_t vlan, vlan_outer;
	const struct pcapw_tunnel *tun; /* NULL, or the tunnel every segment travels in */
	struct conn_end end[2];         /* CONN_CLIENT, CONN_SERVER */
};

/*
 * Start a script on w: addresses are text (inet_pton), the family follows
 * from them. Returns -1 if an address does not parse.
 */
static inline int
conn_init(struct conn *c, struct pcapw *w, const char *cip, uint16_t cport, const char *sip,
          uint16_t sport, uint32_t c_isn, uint32_t s_isn)
{
	int i;

	memset(c, 0, sizeof *c);
	c->w = w;
	c->family = strchr(cip, ':') != NULL ? 6 : 4;
	if (inet_pton(c->family == 6 ? AF_INET6 : AF_INET, cip, c->end[0].ip) != 1 ||
	    inet_pton(c->family == 6 ? AF_INET6 : AF_INET, sip, c->end[1].ip) != 1)
		return w->err = -1;
	c->opts = 1;
	c->end[0].port = cport;
	c->end[1].port = sport;
	c->end[0].isn = c_isn;
	c->end[1].isn = s_isn;
	for (i = 0; i < 2; i++) {
		c->end[i].nxt = c->end[i].isn;
		c->end[i].win = 502;
		c->end[i].mss = c->family == 6 ? 1440 : 1460;
		c->end[i].wscale = 7;
		c->end[i].ip_id = (uint16_t)(0x1000 * (i + 1));
	}
	c->end[0].rcv = s_isn;
	c->end[1].rcv = c_isn;
	return 0;
}

/*
 * Emit one segment from side with explicit seq, ack, flags and payload length;
 * the script's numbers are left alone. The window, options and addresses come
 * from the script.
 */
static inline int
conn_raw(struct conn *c, enum conn_side side, uint32_t seq, uint32_t ack, uint8_t flags,
         uint32_t len)
{
	struct conn_end *me = &c->end[side], *peer = &c->end[!side];
	struct pcapw_seg sg;

	memset(&sg, 0, sizeof sg);
	sg.family = c->family;
	sg.src = me->ip;
	sg.dst = peer->ip;
	sg.sport = me->port;
	sg.dport = peer->port;
	sg.seq = seq;
	sg.ack = ack;
	sg.flags = flags;
	sg.win = (flags & TH_SYN) ? 64240 : me->win;
	sg.len = len;
	sg.fill = side == CONN_CLIENT ? 'C' : 'S';
	sg.vlan = c->vlan;
	sg.vlan_outer = c->vlan_outer;
	sg.ip_id = me->ip_id++;
	sg.outgoing = side == CONN_SERVER;
	sg.tun = c->tun;
	sg.tun_reply = side == CONN_SERVER;
	if (c->opts && !(flags & TH_RST)) {
		sg.ts = 1;
		sg.ts_val =
		    (uint32_t)(c->w->now_us / 1000) + (side == CONN_CLIENT ? 1000000 : 7000000);
		sg.ts_ecr = (flags & TH_ACK) ? peer->ts_last : 0;
		me->ts_last = sg.ts_val;
		if (flags & TH_SYN) {
			sg.mss = me->mss;
			sg.sack_ok = 1;
			sg.has_wscale = 1;
			sg.wscale = me->wscale;
		}
	}
	return pcapw_seg(c->w, &sg);
}

/*
 * Emit the next segment of side with the given ack: seq is where the side is,
 * its sequence space advances by len plus one for SYN and FIN, and the peer
 * is taken to have received it (its next ACK covers it).
 */
static inline int
conn_send_ack(struct conn *c, enum conn_side side, uint8_t flags, uint32_t len, uint32_t ack)
{
	struct conn_end *me = &c->end[side];
	int rv;

	rv = conn_raw(c, side, me->nxt, ack, flags, len);
	me->nxt += len + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
	if (!(flags & TH_RST))
		c->end[!side].rcv = me->nxt;
	return rv;
}

/* Emit the next segment of side, acknowledging all the peer sent so far. */
static inline int
conn_send(struct conn *c, enum conn_side side, uint8_t flags, uint32_t len)
{
	return conn_send_ack(c, side, flags, len, c->end[side].rcv);
}

/* The usual segments, in script words. Every segment after the first SYN carries ACK. */
static inline int
c_syn(struct conn *c)
{
	return conn_send(c, CONN_CLIENT, TH_SYN, 0);
}

static inline int
s_synack(struct conn *c)
{
	return conn_send(c, CONN_SERVER, TH_SYN | TH_ACK, 0);
}

static inline int
c_ack(struct conn *c)
{
	return conn_send(c, CONN_CLIENT, TH_ACK, 0);
}

static inline int
s_ack(struct conn *c)
{
	return conn_send(c, CONN_SERVER, TH_ACK, 0);
}

static inline int
c_data(struct conn *c, uint32_t n)
{
	return conn_send(c, CONN_CLIENT, TH_PSH | TH_ACK, n);
}

static inline int
s_data(struct conn *c, uint32_t n)
{
	return conn_send(c, CONN_SERVER, TH_PSH | TH_ACK, n);
}

static inline int
c_fin(struct conn *c)
{
	return conn_send(c, CONN_CLIENT, TH_FIN | TH_ACK, 0);
}

static inline int
s_fin(struct conn *c)
{
	return conn_send(c, CONN_SERVER, TH_FIN | TH_ACK, 0);
}

/* An abortive close: RST+ACK at exactly the sequence number the peer expects. */
static inline int
c_rst(struct conn *c)
{
	return conn_send(c, CONN_CLIENT, TH_RST | TH_ACK, 0);
}

static inline int
s_rst(struct conn *c)
{
	return conn_send(c, CONN_SERVER, TH_RST | TH_ACK, 0);
}

/* The three-way handshake: SYN, SYN-ACK, ACK. */
static inline void
conn_handshake(struct conn *c)
{
	c_syn(c);
	s_synack(c);
	c_ack(c);
}

/* Let time pass on the script's writer. */
static inline void
conn_wait(struct conn *c, uint64_t us)
{
	pcapw_wait(c->w, us);
}

/*
 * Fill t as a tunnel of kind between outer addresses src and dst (text, the
 * family follows) with id; returns -1 if an address does not parse.
 */
static inline int
pcapw_tunnel_init(struct pcapw_tunnel *t, int kind, const char *src, const char *dst, uint32_t id)
{
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->family = strchr(src, ':') != NULL ? 6 : 4;
	t->id = id;
	if (inet_pton(t->family == 6 ? AF_INET6 : AF_INET, src, t->src) != 1 ||
	    inet_pton(t->family == 6 ? AF_INET6 : AF_INET, dst, t->dst) != 1)
		return -1;
	return 0;
}

#endif
