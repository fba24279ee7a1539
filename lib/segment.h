/*
 * segment.h - the normalised record of one captured TCP segment.
 *
 * decode.c fills it from raw frame bytes; tracker.c consumes it. Nothing in it
 * points back into the captured frame: once decoded, the frame may be freed.
 */
#ifndef TCPSTATED_SEGMENT_H
#define TCPSTATED_SEGMENT_H

#include <stdint.h>

/* TCP header flag bits, as on the wire. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* Bits of struct tcpopts.present. */
#define OPT_MSS 0x01
#define OPT_WSCALE 0x02
#define OPT_SACK_OK 0x04
#define OPT_TS 0x08
#define OPT_MALFORMED 0x80 /* an option ran past the header; parsing stopped */

/* The TCP options tcpstated reports (RFC 9293 3.2, RFC 7323, RFC 2018). */
struct tcpopts {
	uint8_t present;  /* OPT_* bits */
	uint8_t wscale;   /* shift count as sent (not capped) */
	uint16_t mss;     /* bytes */
	uint32_t ts_val;  /* RFC 7323 TSval */
	uint32_t ts_ecr;  /* RFC 7323 TSecr */
};

/*
 * 9999-12-31T23:59:59.999999Z, the last time the formats print: a capture
 * time past it is taken as it, so no time plus a timeout comes near 2^64.
 */
#define SEGMENT_TS_MAX_US 253402300799999999ULL

/*
 * The encapsulations decode opens (struct tunnel.type). Their names and
 * what each id means are in decode.c's table; keep the two in step.
 */
enum tunnel_type {
	TUN_NONE = 0, /* the TCP was not inside a tunnel */
	TUN_VXLAN,    /* UDP 4789; id: VNI */
	TUN_GENEVE,   /* UDP 6081; id: VNI */
	TUN_GRE,      /* IP protocol 47; id: the key, when present */
	TUN_ERSPAN,   /* GRE 0x88be/0x22eb; id: the session, types II and III */
	TUN_IPIP,     /* IP protocols 4 and 41: IPv4 or IPv6 in IPv4 or IPv6 */
	TUN_TEREDO,   /* UDP 3544: IPv6 in UDP */
	TUN_GTPU,     /* UDP 2152; id: the TEID, which differs by direction */
	TUN_NTYPES
};

/* Bits of struct tunnel.flags. */
#define TUNF_ID 0x01 /* id is present in the header (a GRE key may not be) */

/*
 * The tunnel directly around the TCP segment's IP header: when tunnels nest,
 * the innermost one, because that is the one whose overlay the inner
 * addresses belong to (an ERSPAN mirror carrying VXLAN records the VXLAN
 * VNI and VTEPs, not the mirror session). depth counts every level opened.
 * Without a tunnel every field is 0.
 */
struct tunnel {
	uint32_t id;       /* VNI, GRE key, ERSPAN session or TEID (TUNF_ID) */
	uint8_t type;      /* enum tunnel_type */
	uint8_t family;    /* of the outer addresses: 4 or 6 */
	uint8_t flags;     /* TUNF_* */
	uint8_t depth;     /* encapsulation levels opened, 0..DECODE_MAX_DEPTH */
	uint8_t saddr[16]; /* outer source and destination, as in struct segment */
	uint8_t daddr[16];
};

/*
 * Addresses are 16 bytes; an IPv4 address sits in the first 4 bytes and the
 * rest are zero, so that two keys compare with one memcmp.
 */
struct segment {
	uint64_t ts_us;      /* capture time, microseconds since the Unix epoch */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint8_t family;      /* 4 or 6 */
	uint8_t flags;       /* TH_* */
	uint16_t sport;      /* host byte order */
	uint16_t dport;
	uint16_t win;        /* raw window field, unscaled */
	uint32_t seq;        /* host byte order */
	uint32_t ack;
	uint32_t len;        /* payload bytes, from the IP lengths (not caplen) */
	uint16_t vlan;       /* outermost 802.1Q VLAN id, 0 when untagged */
	struct tcpopts opt;
	struct tunnel tun;   /* where the segment was carried; TUN_NONE when not */
	uint32_t hash;       /* tracker_prehash()'s, for tracker_segments_prehashed(); else unused */
};

#endif
