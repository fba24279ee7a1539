/*
 * decode.h - captured frame bytes to a struct segment.
 *
 * decode owns nothing but its counters. It never reads past caplen, never
 * allocates and never fails loudly: a frame it cannot use is counted under
 * one reason and skipped.
 */
#ifndef TCPSTATED_DECODE_H
#define TCPSTATED_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"

/*
 * Link types, numbered as pcap_datalink() returns them on Linux (DLT_*) and as
 * pcap files store them (LINKTYPE_*); both numberings are accepted.
 */
#define LINK_NULL 0         /* BSD loopback: 4-byte host-order AF */
#define LINK_ETHERNET 1
#define LINK_RAW_DLT 12     /* DLT_RAW on Linux: raw IPv4/IPv6 */
#define LINK_RAW_DLT14 14   /* DLT_RAW on some BSDs */
#define LINK_RAW 101        /* LINKTYPE_RAW */
#define LINK_LOOP 108       /* OpenBSD loopback: 4-byte network-order AF */
#define LINK_LINUX_SLL 113  /* Linux cooked v1 */
#define LINK_IPV4 228
#define LINK_IPV6 229
#define LINK_LINUX_SLL2 276 /* Linux cooked v2 */

/* Why a frame was not turned into a segment; DECODE_OK when it was. */
enum decode_result {
	DECODE_OK = 0,
	DECODE_LINK_UNSUPPORTED, /* link type decode does not know */
	DECODE_LINK_TRUNCATED,   /* frame shorter than its link header(s) */
	DECODE_NOT_IP,           /* ARP, LLDP, ... */
	DECODE_IP_TRUNCATED,     /* caplen ends inside the IP header */
	DECODE_IP_BAD,           /* bad version, header length or total length */
	DECODE_IP_FRAGMENT,      /* not a first fragment: no TCP header in it */
	DECODE_NOT_TCP,          /* UDP, ICMP, ... */
	DECODE_TCP_TRUNCATED,    /* caplen ends inside the TCP header */
	DECODE_TCP_BAD,          /* data offset < 5 or past the IP payload */
	DECODE_TUNNEL_TRUNCATED, /* caplen ends inside a tunnel header */
	DECODE_TUNNEL_BAD,       /* a tunnel header with a bad version, flag or length */
	DECODE_TUNNEL_DEPTH,     /* more than DECODE_MAX_DEPTH tunnels nested */
	DECODE_PORT_FILTERED,    /* to and from none of decode_config's ports */
	DECODE_NREASONS
};

/* Tunnels opened inside one another at most; one more is DECODE_TUNNEL_DEPTH. */
#define DECODE_MAX_DEPTH 4

/* UDP ports a decode_config can name: the registered four and a few more. */
#define DECODE_MAX_UDP_PORTS 16

/* TCP ports a decode_config can filter on: as many as the `ports` key takes. */
#define DECODE_MAX_PORTS 64

/* The registered UDP ports of the UDP tunnels. */
#define DECODE_PORT_VXLAN 4789
#define DECODE_PORT_GENEVE 6081
#define DECODE_PORT_TEREDO 3544
#define DECODE_PORT_GTPU 2152

/*
 * What decode opens, owned by the caller and passed to every decode_packet().
 * A UDP datagram is a tunnel when its destination port, or else its source
 * port, is in udp[]; only the UDP kinds (VXLAN, Geneve, Teredo, GTP-U) may
 * be named there. GRE, ERSPAN and IP-in-IP are found by IP protocol number.
 * A type whose bit is clear in `open` is left closed: its packets count as
 * not_tcp (or not_ip for GRE's payloads), as they did before tunnels.
 * With nports, a segment neither from nor to one of ports is port_filtered:
 * the filter the kernel runs cannot see a tunnel's inner ports, so it lets
 * the tunnels through whole and decode applies the ports to what is inside.
 */
struct decode_config {
	uint32_t open; /* 1u << TUN_* for each type to decode */
	unsigned nudp;
	struct decode_udp_port {
		uint16_t port;
		uint8_t type; /* TUN_VXLAN, TUN_GENEVE, TUN_TEREDO or TUN_GTPU */
	} udp[DECODE_MAX_UDP_PORTS];
	unsigned nports; /* 0: every TCP port */
	uint16_t ports[DECODE_MAX_PORTS];
};

struct decode_stats {
	uint64_t frames;                     /* every frame offered */
	uint64_t result[DECODE_NREASONS];    /* by outcome; result[DECODE_OK] = segments */
	uint64_t opt_malformed;              /* segments whose options ran past the header */
};

/* Every tunnel type open, on its registered UDP port. */
void decode_config_default(struct decode_config *cfg);

/*
 * Add UDP port `port` for tunnel type `type` (a UDP kind) to cfg. Returns -1
 * when the type is not a UDP kind or cfg is full; a port already named is
 * given the new type.
 */
int decode_config_udp(struct decode_config *cfg, uint16_t port, enum tunnel_type type);

/*
 * Decode one frame of link type `link` into *seg, opening the tunnels cfg
 * allows (NULL: decode_config_default()'s). caplen bytes are readable at
 * frame; lengths come from the IP headers, not from the capture. Returns
 * DECODE_OK or the reason the frame was skipped, and counts the outcome in
 * *st (which may be NULL). seg->ts_us is left for the caller to fill.
 */
enum decode_result decode_packet(int link, const uint8_t *frame, uint32_t caplen,
    const struct decode_config *cfg, struct segment *seg, struct decode_stats *st);

/* 1 if decode_packet understands link type `link`, else 0. */
int decode_link_supported(int link);

/* A short stable name for a result, for counters: "ip_truncated", ... */
const char *decode_result_name(enum decode_result r);

/* The name of a tunnel type, for records and configuration: "vxlan", ... */
const char *decode_tunnel_name(enum tunnel_type t);

/* The type of a tunnel name, or TUN_NONE when there is none of that name. */
enum tunnel_type decode_tunnel_type(const char *name);

#endif
