/*
 * decode.c - captured frame bytes to a struct segment.
 *
 * decode owns nothing but the caller's counters. It peels the link layer
 * (Ethernet with VLAN/QinQ, MPLS, PPPoE, FabricPath, 802.1ah PBB and VN-Tag;
 * Linux cooked v1/v2; BSD loopback; raw IP), then IPv4 or the IPv6
 * extension-header chain, then the TCP header and the options tcpstated
 * reports. Between IP and TCP it opens tunnels: VXLAN, Geneve, Teredo and
 * GTP-U by UDP port (struct decode_config), GRE with ERSPAN I/II/III by IP
 * protocol 47, IPv4 and IPv6 in IP by protocols 4 and 41, each carrying a
 * frame or packet that is decoded as from the start, DECODE_MAX_DEPTH deep.
 * The tunnel around the TCP's own IP header is recorded in seg->tun. Every read is preceded by
 * a check against caplen, and the comment on each check names the bytes it
 * guards. Frames are not aligned: multi-byte fields are assembled byte by
 * byte, never read through a struct pointer.
 *
 * Invariant throughout: off <= caplen, so "caplen - off" never wraps. Inside
 * a tunnel, caplen is where the carrying packet ends (or the capture, if
 * sooner): padding after it is never read as the tunnel's contents.
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
#define UDP_HDR_LEN 8       /* ports, length, checksum */
#define VXLAN_HDR_LEN 8     /* flags, reserved, VNI, reserved */
#define GENEVE_HDR_LEN 8    /* version/option length, flags, protocol, VNI */
#define GRE_HDR_LEN 4       /* flags/version, protocol */
#define GRE_OPT_LEN 4       /* each of checksum+offset, key, sequence */
#define ERSPAN2_HDR_LEN 8   /* version/VLAN, COS/session, index */
#define ERSPAN3_HDR_LEN 12  /* version/VLAN, COS/session, timestamp, SGT/flags */
#define ERSPAN3_PLAT_LEN 8  /* the platform-specific subheader, when O is set */
#define GTPU_HDR_LEN 8      /* flags, type, length, TEID */
#define GTPU_OPT_LEN 4      /* sequence, N-PDU number, next extension type */
#define TEREDO_ORIGIN_LEN 8 /* indicator, port, address */
#define TEREDO_AUTH_LEN 13  /* indicator, ID and AU lengths, nonce, confirmation */
#define PBB_ITAG_LEN 18     /* I-TAG flags/I-SID, customer MACs, next type */
#define VNTAG_LEN 6         /* the tag, then the next type */

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE 0x8864
#define ETHERTYPE_FABRICPATH 0x8903
#define ETHERTYPE_PBB 0x88e7
#define ETHERTYPE_VNTAG 0x8926
#define ETHERTYPE_TEB 0x6558     /* transparent Ethernet bridging: a frame follows */
#define ETHERTYPE_ERSPAN 0x88be  /* ERSPAN type I (no GRE sequence) and II */
#define ETHERTYPE_ERSPAN3 0x22eb /* ERSPAN type III */

#define GRE_F_CSUM 0x8000
#define GRE_F_ROUTING 0x4000
#define GRE_F_KEY 0x2000
#define GRE_F_SEQ 0x1000
#define GRE_VERSION 0x0007

#define VXLAN_F_VNI 0x08 /* the I flag: the VNI is valid */
#define GTPU_V1_PT 0x30  /* version 1, protocol type GTP */
#define GTPU_F_EXT 0x04
#define GTPU_F_OPT 0x07 /* any of E, S, PN: the optional word is there */
#define GTPU_GPDU 255   /* the message that carries a user packet */

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

/* IP protocol / IPv6 next-header numbers (IANA). */
#define NH_HOPOPTS 0
#define NH_IPIP 4
#define NH_TCP 6
#define NH_UDP 17
#define NH_IPV6 41
#define NH_GRE 47
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

/* A payload that may be a tunnel, for decode_packet only: see decode_carrier(). */
#define DECODE_CARRIED ((enum decode_result)DECODE_NREASONS)

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
    [DECODE_TUNNEL_TRUNCATED] = "tunnel_truncated",
    [DECODE_TUNNEL_BAD] = "tunnel_bad",
    [DECODE_TUNNEL_DEPTH] = "tunnel_depth",
    [DECODE_PORT_FILTERED] = "port_filtered",
};

static const char *tunnel_names[TUN_NTYPES] = {
    [TUN_NONE] = "none",     [TUN_VXLAN] = "vxlan", [TUN_GENEVE] = "geneve", [TUN_GRE] = "gre",
    [TUN_ERSPAN] = "erspan", [TUN_IPIP] = "ipip",   [TUN_TEREDO] = "teredo", [TUN_GTPU] = "gtpu",
};

/* Every type open, each UDP kind on its registered port. */
static const struct decode_config decode_defaults = {
    .open = (1u << TUN_NTYPES) - 2,
    .nudp = 4,
    .udp = {{DECODE_PORT_VXLAN, TUN_VXLAN},
            {DECODE_PORT_GENEVE, TUN_GENEVE},
            {DECODE_PORT_TEREDO, TUN_TEREDO},
            {DECODE_PORT_GTPU, TUN_GTPU}},
};

static enum decode_result decode_ip(const uint8_t *f, uint32_t caplen, uint32_t off,
                                    enum decode_net net, struct segment *seg);
static enum decode_result decode_ethertype(const uint8_t *f, uint32_t caplen, uint32_t off,
                                           uint16_t type, struct segment *seg);

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

/* Where a payload of len bytes at off ends in the capture: the sooner of the two. */
static inline uint32_t
decode_end(uint32_t caplen, uint32_t off, uint32_t len)
{
	return len < caplen - off ? off + len : caplen;
}

/*
 * Enter one more level of tunnel of type t around whatever follows. The
 * addresses in seg are those of the IP header that carries the tunnel: they
 * become its outer pair, and seg's are cleared for the inner header to fill
 * (an IPv4 one writes only 4 of the 16 bytes). Returns -1 past
 * DECODE_MAX_DEPTH levels.
 */
static int
decode_tunnel(struct segment *seg, enum tunnel_type t, uint32_t id, uint8_t flags)
{
	struct tunnel *tun = &seg->tun;

	if (tun->depth >= DECODE_MAX_DEPTH)
		return -1;
	tun->depth++;
	tun->type = (uint8_t)t;
	tun->family = seg->family;
	tun->flags = flags;
	tun->id = id;
	memcpy(tun->saddr, seg->saddr, sizeof(tun->saddr));
	memcpy(tun->daddr, seg->daddr, sizeof(tun->daddr));
	memset(seg->saddr, 0, sizeof(seg->saddr));
	memset(seg->daddr, 0, sizeof(seg->daddr));
	return 0;
}

/* Decode the Ethernet frame at f + off (one a tunnel carries, or the link's). */
static enum decode_result
decode_ether(const uint8_t *f, uint32_t caplen, uint32_t off, struct segment *seg)
{
	/* destination, source and type */
	if (caplen - off < ETHER_HDR_LEN)
		return DECODE_LINK_TRUNCATED;
	return decode_ethertype(f, caplen, off + ETHER_HDR_LEN, decode_be16(f + off + 12), seg);
}

/*
 * What a tunnel says it carries, by ethertype: a whole frame for transparent
 * Ethernet bridging, else the protocol itself (IP, MPLS, a VLAN tag, ...).
 */
static enum decode_result
decode_carried(const uint8_t *f, uint32_t caplen, uint32_t off, uint16_t type, struct segment *seg)
{
	if (type == ETHERTYPE_TEB)
		return decode_ether(f, caplen, off, seg);
	return decode_ethertype(f, caplen, off, type, seg);
}

/* VXLAN (RFC 7348) at f + off: the header, then an Ethernet frame. */
static enum decode_result
decode_vxlan(const uint8_t *f, uint32_t caplen, uint32_t off, struct segment *seg)
{
	/* flags, reserved bytes and the VNI */
	if (caplen - off < VXLAN_HDR_LEN)
		return DECODE_TUNNEL_TRUNCATED;
	/* without the I flag there is no VNI to keep the overlays apart */
	if (!(f[off] & VXLAN_F_VNI))
		return DECODE_TUNNEL_BAD;
	if (decode_tunnel(seg, TUN_VXLAN, decode_be32(f + off + 4) >> 8, TUNF_ID) == -1)
		return DECODE_TUNNEL_DEPTH;
	return decode_ether(f, caplen, off + VXLAN_HDR_LEN, seg);
}

/* Geneve (RFC 8926) at f + off: the header, its options, then the protocol it names. */
static enum decode_result
decode_geneve(const uint8_t *f, uint32_t caplen, uint32_t off, struct segment *seg)
{
	uint32_t optlen;

	/* version, option length, flags, protocol and the VNI */
	if (caplen - off < GENEVE_HDR_LEN)
		return DECODE_TUNNEL_TRUNCATED;
	/* version 0 is the only one defined; another may be laid out otherwise */
	if (f[off] >> 6 != 0)
		return DECODE_TUNNEL_BAD;
	optlen = (uint32_t)(f[off] & 0x3f) * 4;
	/* the options, all captured; their TLVs need not be read to skip them */
	if (optlen > caplen - off - GENEVE_HDR_LEN)
		return DECODE_TUNNEL_TRUNCATED;
	if (decode_tunnel(seg, TUN_GENEVE, decode_be32(f + off + 4) >> 8, TUNF_ID) == -1)
		return DECODE_TUNNEL_DEPTH;
	return decode_carried(f, caplen, off + GENEVE_HDR_LEN + optlen, decode_be16(f + off + 2),
	                      seg);
}

/*
 * Teredo (RFC 4380) at f + off: an optional authentication indicator, an
 * optional origin indication, then an IPv6 packet. A bubble is an IPv6
 * packet with no next header, so it ends as not_tcp like any other.
 */
static enum decode_result
decode_teredo(const uint8_t *f, uint32_t caplen, uint32_t off, struct segment *seg)
{
	uint32_t hlen;

	/* the first two bytes: an indicator (0x0001, 0x0000) or IPv6's version */
	if (caplen - off < 2)
		return DECODE_TUNNEL_TRUNCATED;
	if (f[off] == 0 && f[off + 1] == 1) {
		/* the indicator and the ID and AU lengths */
		if (caplen - off < 4)
			return DECODE_TUNNEL_TRUNCATED;
		hlen = TEREDO_AUTH_LEN + f[off + 2] + f[off + 3];
		/* the client id, authentication value, nonce and confirmation, and
		 * the two bytes after them that tell what follows */
		if (caplen - off < hlen + 2)
			return DECODE_TUNNEL_TRUNCATED;
		off += hlen;
	}
	if (f[off] == 0 && f[off + 1] == 0) {
		/* the origin indication's port and address, and two bytes after it */
		if (caplen - off < TEREDO_ORIGIN_LEN + 2)
			return DECODE_TUNNEL_TRUNCATED;
		off += TEREDO_ORIGIN_LEN;
	}
	/* Checked above: two bytes at off. Teredo carries IPv6 and nothing else. */
	if (f[off] >> 4 != 6)
		return DECODE_NOT_IP;
	if (decode_tunnel(seg, TUN_TEREDO, 0, 0) == -1)
		return DECODE_TUNNEL_DEPTH;
	return decode_ip(f, caplen, off, NET_IPV6, seg);
}

/*
 * GTP-U (3GPP TS 29.281) at f + off, len bytes of UDP payload: the header,
 * the optional word and the extension-header chain, then an IP packet. Only
 * a G-PDU carries one; echo, error indication and end marker do not.
 */
static enum decode_result
decode_gtpu(const uint8_t *f, uint32_t caplen, uint32_t off, uint32_t len, struct segment *seg)
{
	uint32_t rest, elen, teid;
	uint8_t flags, next;

	/* flags, message type, length and TEID */
	if (caplen - off < GTPU_HDR_LEN)
		return DECODE_TUNNEL_TRUNCATED;
	flags = f[off];
	/* version 1, protocol type GTP: GTP' and version 2 are not GTP-U */
	if ((flags & 0xf0) != GTPU_V1_PT)
		return DECODE_TUNNEL_BAD;
	if (f[off + 1] != GTPU_GPDU)
		return DECODE_NOT_IP;
	rest = decode_be16(f + off + 2);
	/* the GTP length counts what follows the 8 bytes and ends inside the datagram */
	if (len < GTPU_HDR_LEN || rest > len - GTPU_HDR_LEN)
		return DECODE_TUNNEL_BAD;
	teid = decode_be32(f + off + 4);
	off += GTPU_HDR_LEN;
	caplen = decode_end(caplen, off, rest);
	if (flags & GTPU_F_OPT) {
		/* the optional word fits the GTP length */
		if (rest < GTPU_OPT_LEN)
			return DECODE_TUNNEL_BAD;
		/* sequence number, N-PDU number and the next extension type */
		if (caplen - off < GTPU_OPT_LEN)
			return DECODE_TUNNEL_TRUNCATED;
		next = (flags & GTPU_F_EXT) ? f[off + 3] : 0;
		off += GTPU_OPT_LEN;
		rest -= GTPU_OPT_LEN;
		/* Each extension takes at least 4 bytes of rest: the chain ends. */
		while (next != 0) {
			/* the extension's length byte, in 4-byte units */
			if (caplen - off < 1)
				return DECODE_TUNNEL_TRUNCATED;
			elen = (uint32_t)f[off] * 4;
			/* a zero length would never advance; the extension fits the GTP length */
			if (elen == 0 || elen > rest)
				return DECODE_TUNNEL_BAD;
			/* the whole extension, whose last byte names the next */
			if (caplen - off < elen)
				return DECODE_TUNNEL_TRUNCATED;
			next = f[off + elen - 1];
			off += elen;
			rest -= elen;
		}
	}
	/* the version nibble: a G-PDU may carry Ethernet or PPP, which is not IP */
	if (caplen - off < 1)
		return DECODE_IP_TRUNCATED;
	if (f[off] >> 4 != 4 && f[off] >> 4 != 6)
		return DECODE_NOT_IP;
	if (decode_tunnel(seg, TUN_GTPU, teid, TUNF_ID) == -1)
		return DECODE_TUNNEL_DEPTH;
	return decode_ip(f, caplen, off, NET_GUESS, seg);
}

/* The tunnel type of UDP port `port` in cfg, TUN_NONE when it names none. */
static enum tunnel_type
decode_udp_port(const struct decode_config *cfg, uint16_t port)
{
	unsigned i;

	for (i = 0; i < cfg->nudp; i++)
		if (cfg->udp[i].port == port)
			return (enum tunnel_type)cfg->udp[i].type;
	return TUN_NONE;
}

/*
 * A UDP datagram at f + off of len bytes (the IP payload length): a tunnel
 * when its destination port, or else its source port, is one cfg names.
 * Replies of Teredo relays come from port 3544, so the source counts too.
 */
static enum decode_result
decode_udp(const uint8_t *f, uint32_t caplen, uint32_t off, uint32_t len,
           const struct decode_config *cfg, struct segment *seg)
{
	enum tunnel_type t;
	uint32_t ulen;

	/* the two ports */
	if (caplen - off < 4)
		return DECODE_NOT_TCP;
	t = decode_udp_port(cfg, decode_be16(f + off + 2));
	if (t == TUN_NONE)
		t = decode_udp_port(cfg, decode_be16(f + off));
	if (t == TUN_NONE || !(cfg->open & 1u << t))
		return DECODE_NOT_TCP;
	/* the length and checksum */
	if (caplen - off < UDP_HDR_LEN)
		return DECODE_TUNNEL_TRUNCATED;
	ulen = decode_be16(f + off + 4);
	/* the UDP length covers its header and ends inside the IP payload */
	if (ulen < UDP_HDR_LEN || ulen > len)
		return DECODE_TUNNEL_BAD;
	caplen = decode_end(caplen, off, ulen);
	off += UDP_HDR_LEN;
	switch (t) {
	case TUN_VXLAN:
		return decode_vxlan(f, caplen, off, seg);
	case TUN_GENEVE:
		return decode_geneve(f, caplen, off, seg);
	case TUN_TEREDO:
		return decode_teredo(f, caplen, off, seg);
	case TUN_GTPU:
		return decode_gtpu(f, caplen, off, ulen - UDP_HDR_LEN, seg);
	default: /* decode_config_udp() admits no other */
		return DECODE_NOT_TCP;
	}
}

/*
 * ERSPAN behind a GRE header whose flags were gre_flags: type I has no
 * header of its own (and GRE no sequence number), type II an 8-byte one,
 * type III a 12-byte one with an optional platform subheader. Each carries
 * a mirrored Ethernet frame; types II and III name their session.
 */
static enum decode_result
decode_erspan(const uint8_t *f, uint32_t caplen, uint32_t off, uint16_t proto, uint16_t gre_flags,
              struct segment *seg)
{
	uint32_t hlen, id = 0;
	uint8_t flags = 0;

	if (proto == ETHERTYPE_ERSPAN && !(gre_flags & GRE_F_SEQ)) {
		hlen = 0;
	} else {
		hlen = proto == ETHERTYPE_ERSPAN ? ERSPAN2_HDR_LEN : ERSPAN3_HDR_LEN;
		/* the type II or III header */
		if (caplen - off < hlen)
			return DECODE_TUNNEL_TRUNCATED;
		/* version 1 is type II, version 2 type III; each has its own layout */
		if (f[off] >> 4 != (proto == ETHERTYPE_ERSPAN ? 1 : 2))
			return DECODE_TUNNEL_BAD;
		if (proto == ETHERTYPE_ERSPAN3 && (f[off + 11] & 0x01)) {
			hlen += ERSPAN3_PLAT_LEN;
			/* the platform-specific subheader the O flag announces */
			if (caplen - off < hlen)
				return DECODE_TUNNEL_TRUNCATED;
		}
		id = decode_be16(f + off + 2) & 0x03ff;
		flags = TUNF_ID;
	}
	if (decode_tunnel(seg, TUN_ERSPAN, id, flags) == -1)
		return DECODE_TUNNEL_DEPTH;
	return decode_ether(f, caplen, off + hlen, seg);
}

/*
 * GRE (RFC 2784, with RFC 2890's key and sequence number) at f + off: the
 * header and its optional words, then what its protocol names, ERSPAN
 * among them.
 */
static enum decode_result
decode_gre(const uint8_t *f, uint32_t caplen, uint32_t off, const struct decode_config *cfg,
           struct segment *seg)
{
	uint16_t flags, proto;
	uint32_t hlen, key = 0;

	/* flags, version and protocol */
	if (caplen - off < GRE_HDR_LEN)
		return DECODE_TUNNEL_TRUNCATED;
	flags = decode_be16(f + off);
	proto = decode_be16(f + off + 2);
	/* version 1 is PPTP's enhanced GRE, which carries PPP, not IP */
	if (flags & GRE_VERSION)
		return DECODE_NOT_IP;
	/* RFC 1701's source routing, removed by RFC 2784: its length is not fixed */
	if (flags & GRE_F_ROUTING)
		return DECODE_TUNNEL_BAD;
	hlen = GRE_HDR_LEN + ((flags & GRE_F_CSUM) ? GRE_OPT_LEN : 0) +
	       ((flags & GRE_F_KEY) ? GRE_OPT_LEN : 0) + ((flags & GRE_F_SEQ) ? GRE_OPT_LEN : 0);
	/* the checksum, key and sequence words the flags announce */
	if (caplen - off < hlen)
		return DECODE_TUNNEL_TRUNCATED;
	if (flags & GRE_F_KEY)
		key = decode_be32(f + off + GRE_HDR_LEN + ((flags & GRE_F_CSUM) ? GRE_OPT_LEN : 0));
	off += hlen;
	if (proto == ETHERTYPE_ERSPAN || proto == ETHERTYPE_ERSPAN3) {
		if (!(cfg->open & 1u << TUN_ERSPAN))
			return DECODE_NOT_IP;
		return decode_erspan(f, caplen, off, proto, flags, seg);
	}
	if (!(cfg->open & 1u << TUN_GRE))
		return DECODE_NOT_IP;
	if (decode_tunnel(seg, TUN_GRE, key, (flags & GRE_F_KEY) ? TUNF_ID : 0) == -1)
		return DECODE_TUNNEL_DEPTH;
	return decode_carried(f, caplen, off, proto, seg);
}

/*
 * The payload of an IP packet that is not TCP but may carry a tunnel:
 * protocol proto at f + off, len bytes by the IP header, caplen already
 * where it ends. Tunnels cfg opens are followed, the rest is not TCP.
 */
static enum decode_result
decode_ip_payload(const uint8_t *f, uint32_t caplen, uint32_t off, uint32_t len, uint8_t proto,
                  const struct decode_config *cfg, struct segment *seg)
{
	switch (proto) {
	case NH_UDP:
		return decode_udp(f, caplen, off, len, cfg, seg);
	case NH_GRE:
		if (!(cfg->open & (1u << TUN_GRE | 1u << TUN_ERSPAN)))
			return DECODE_NOT_TCP;
		return decode_gre(f, caplen, off, cfg, seg);
	case NH_IPIP:
	case NH_IPV6:
		if (!(cfg->open & 1u << TUN_IPIP))
			return DECODE_NOT_TCP;
		if (decode_tunnel(seg, TUN_IPIP, 0, 0) == -1)
			return DECODE_TUNNEL_DEPTH;
		return decode_ip(f, caplen, off, proto == NH_IPIP ? NET_IPV4 : NET_IPV6, seg);
	default:
		return DECODE_NOT_TCP;
	}
}

/*
 * Open the tunnels around a payload decode_carrier() left in seg, one level
 * a round, until a TCP segment or a reason to skip comes out. Every round
 * but the last enters a tunnel, so DECODE_MAX_DEPTH bounds the loop. Not
 * inlined, so that decode_packet's plain path stays short.
 */
static __attribute__((noinline)) enum decode_result
decode_tunnels(const uint8_t *f, const struct decode_config *cfg, struct segment *seg)
{
	enum decode_result r;

	do
		r = decode_ip_payload(f, seg->ack, seg->seq, seg->len, seg->flags, cfg, seg);
	while (r == DECODE_CARRIED);
	return r;
}

/*
 * An IP payload that is not TCP: DECODE_NOT_TCP, unless its protocol can be
 * a tunnel. Then where it lies (at off, len bytes, captured up to caplen)
 * is left in the segment fields only a TCP header fills, for decode_packet
 * to pass to decode_tunnels(): seq the offset, ack the end of the capture,
 * len the length, flags the protocol. The TCP path thus never carries the
 * tunnel configuration and is as short as it was before tunnels.
 */
static enum decode_result
decode_carrier(uint32_t caplen, uint32_t off, uint32_t len, uint8_t proto, struct segment *seg)
{
	switch (proto) {
	case NH_UDP:
	case NH_GRE:
	case NH_IPIP:
	case NH_IPV6:
		seg->seq = off;
		seg->ack = decode_end(caplen, off, len);
		seg->len = len;
		seg->flags = proto;
		return DECODE_CARRIED;
	default: /* ICMP, SCTP, ... */
		return DECODE_NOT_TCP;
	}
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

	seg->family = 4;
	memcpy(seg->saddr, ip + 12, 4);
	memcpy(seg->daddr, ip + 16, 4);
	if (ip[9] != NH_TCP)
		return decode_carrier(caplen, off + hl, totlen - hl, ip[9], seg);
	return decode_tcp(f, caplen, off + hl, totlen - hl, seg);
}

/*
 * Decode an IPv6 header at f + off (version already checked), walk its
 * extension headers to TCP and decode that. The chain is bounded both by
 * DECODE_MAX_EXTHDRS and by the payload length.
 */
/* Not inlined into decode_ip: its loop would cost the IPv4 path a stack frame. */
static __attribute__((noinline)) enum decode_result
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
		case NH_UDP:
		case NH_GRE:
		case NH_IPIP:
		case NH_IPV6:
			return decode_carrier(caplen, off, rest, nh, seg);
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
	uint32_t hlen;
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
		case ETHERTYPE_PBB:   /* 802.1ah: a backbone tag, then the customer's frame */
		case ETHERTYPE_VNTAG: /* a tag of virtual interface ids */
			if (++tags > DECODE_MAX_TAGS)
				return DECODE_NOT_IP;
			hlen = type == ETHERTYPE_PBB ? PBB_ITAG_LEN : VNTAG_LEN;
			/* the tag, PBB's customer MACs, and the next type */
			if (caplen - off < hlen)
				return DECODE_LINK_TRUNCATED;
			off += hlen;
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
		return decode_ether(f, caplen, 0, seg);
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

/* Whether seg is from or to one of cfg's ports. */
static int
decode_port_wanted(const struct decode_config *cfg, const struct segment *seg)
{
	unsigned i;

	for (i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == seg->sport || cfg->ports[i] == seg->dport)
			return 1;
	return 0;
}

enum decode_result
decode_packet(int link, const uint8_t *frame, uint32_t caplen, const struct decode_config *cfg,
              struct segment *seg, struct decode_stats *st)
{
	enum decode_result r;

	/*
	 * Two memsets, the second to the end (padding too, so segments compare
	 * whole): GCC makes one of all 112 bytes a slow `rep stos`.
	 */
	memset((uint8_t *)seg + offsetof(struct segment, saddr), 0,
	       offsetof(struct segment, tun) - offsetof(struct segment, saddr));
	memset(&seg->tun, 0, sizeof(*seg) - offsetof(struct segment, tun));
	r = decode_link(link, frame, caplen, seg);
	if (r == DECODE_CARRIED)
		r = decode_tunnels(frame, cfg != NULL ? cfg : &decode_defaults, seg);
	if (r == DECODE_OK && cfg != NULL && cfg->nports != 0 && !decode_port_wanted(cfg, seg))
		r = DECODE_PORT_FILTERED;
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

const char *
decode_tunnel_name(enum tunnel_type t)
{
	if ((unsigned)t >= TUN_NTYPES)
		return "unknown";
	return tunnel_names[t];
}

enum tunnel_type
decode_tunnel_type(const char *name)
{
	unsigned t;

	for (t = TUN_NONE + 1; t < TUN_NTYPES; t++)
		if (strcmp(name, tunnel_names[t]) == 0)
			return (enum tunnel_type)t;
	return TUN_NONE;
}

void
decode_config_default(struct decode_config *cfg)
{
	*cfg = decode_defaults;
}

int
decode_config_udp(struct decode_config *cfg, uint16_t port, enum tunnel_type type)
{
	unsigned i;

	if (type != TUN_VXLAN && type != TUN_GENEVE && type != TUN_TEREDO && type != TUN_GTPU)
		return -1;
	for (i = 0; i < cfg->nudp && cfg->udp[i].port != port; i++)
		;
	if (i == DECODE_MAX_UDP_PORTS)
		return -1;
	cfg->udp[i].port = port;
	cfg->udp[i].type = (uint8_t)type;
	if (i == cfg->nudp)
		cfg->nudp++;
	return 0;
}
