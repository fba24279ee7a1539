/*
 * flowtab.h - the flow table: fixed-capacity storage for flows, O(1)
 * bidirectional lookup, and per-class expiry lists (lib-private).
 *
 * Everything is allocated once by flowtab_init(). Flows are addressed by a
 * 32-bit index; links are indices, not pointers, to keep struct flow small.
 * Within one expiry class every flow has the same timeout, so appending a
 * flow at the tail when it is touched keeps each list ordered by deadline:
 * expiry and eviction only ever look at list heads. Moving a flow reads its
 * list neighbours (cache misses on a large table), so a touch within
 * FLOWTAB_REQUEUE_US of the flow's last move leaves it in place: a head's
 * real deadline (touch_ts + timeout) is then at most that much later than
 * its place in the list says, which bounds how late anything behind it expires. A second list,
 * the update list, orders the open flows by when their next interim UPDATE
 * record is due; the tracker keeps it ordered the same way (see tracker.c).
 */
#ifndef TCPSTATED_FLOWTAB_H
#define TCPSTATED_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#define FLOW_NONE UINT32_MAX

/* Expiry classes, in eviction order: the first is the least valuable. */
enum flow_class {
	FC_LINGER = 0, /* reset: CLOSED reported; remembered briefly to absorb what trails a RST */
	FC_DONE,       /* CLOSED reported; remembered for TIME_WAIT and late retransmissions */
	FC_SYN,        /* handshake not complete */
	FC_CLOSING,    /* a FIN not yet acknowledged: the close is not complete */
	FC_HALF_CLOSED, /* one FIN acknowledged, the other side still open (CLOSE_WAIT) */
	FC_ESTABLISHED,
	FC_NCLASSES,
	FC_FREE = 0xff
};

/* Per-endpoint flags (struct endpoint.flags). */
#define EP_SYN 0x0001    /* sent a SYN (client) */
#define EP_SYNACK 0x0002 /* sent a SYN+ACK */
#define EP_FIN 0x0004    /* sent a FIN; fin_seq is valid */
#define EP_RST 0x0008    /* sent an accepted RST */
#define EP_SEQ 0x0010    /* isn/hi are known */
#define EP_ACKED 0x0020  /* has sent an ACK; ack_hi is valid */
#define EP_WSCALE 0x0040 /* sent the window scale option on its SYN */
#define EP_DATA 0x0080   /* sent payload */
#define EP_HIST_A 0x0100 /* Zeek history letters recorded once per direction */
#define EP_HIST_D 0x0200
#define EP_HIST_I 0x0400
#define EP_HIST_Q 0x0800
#define EP_HIST_S 0x1000    /* a SYN/SYN-ACK letter was recorded */
#define EP_HIST_R 0x2000    /* an R letter was recorded; last_rst valid */
#define EP_FIN_TAKEN 0x4000 /* has shown it received the peer's FIN */
#define EP_FIN_ACK 0x8000   /* its FIN segment carried an ACK: fin_ack is valid */

/*
 * One side of a connection as seen on the wire. No 64-bit fields, so that
 * two of them pack without padding (struct flow's size is the table's).
 */
struct endpoint {
	uint32_t isn;      /* initial sequence number (inferred on pickup) */
	uint32_t hi;       /* highest sequence number of payload end sent */
	uint32_t missed;   /* sequence space passed without its data seen: see ep_missed() */
	uint32_t fin_seq;  /* sequence number the FIN occupies */
	uint32_t ack_hi;   /* highest acknowledgment number sent */
	uint32_t win_max;  /* largest window advertised, scaled */
	uint32_t dup_sig;  /* signature of the last segment, for duplicate detection */
	uint32_t fin_ack;  /* acknowledgment number its FIN segment carried */
	uint32_t last_rst; /* seq of the last RST recorded in history */
	uint16_t wraps;    /* times hi - isn - 1 passed 2^32 (to 256 TB): see ep_bytes() in tracker.c */
	uint16_t missed_wraps; /* times missed passed 2^32 */
	uint16_t flags;    /* EP_* */
	uint16_t retx;     /* retransmissions, for history's logarithmic 't' */
	uint16_t zwin;     /* zero windows, for history's logarithmic 'w' */
	uint8_t state;     /* enum tcp_state */
	uint8_t wscale;    /* window scale this side announced (capped at 14) */
};

/* Flow flags (struct flow.flags). */
#define FL_PARTIAL 0x01     /* the client's SYN was not seen: roles inferred */
#define FL_FLIPPED 0x02     /* first packet was sent by the side we call server */
#define FL_CLOSED 0x04      /* CLOSED has been emitted */
#define FL_WSCALE_OK 0x08   /* both SYNs carried window scale */
#define FL_LAST_SERVER 0x10 /* the last segment came from the server */
#define FL_INFERRED 0x20    /* a handshake step was inferred, not seen */
#define FL_UPD 0x40         /* linked in the update list (uprev, unext, upd_ts valid) */

/*
 * 232 bytes. The first 64 hold what a lookup compares and the list links a
 * segment may move; the order of the rest keeps the struct free of padding.
 */
struct flow {
	uint8_t ip[2][16]; /* [SIDE_CLIENT], [SIDE_SERVER] */
	uint16_t port[2];
	uint8_t family;
	uint8_t cls;           /* enum flow_class, FC_FREE when unused */
	uint8_t flags;         /* FL_* */
	uint8_t closed_by;     /* enum side: first FIN or the RST */
	uint32_t hnext;        /* hash chain, or free list */
	uint32_t prev, next;   /* expiry list of cls */
	uint32_t uprev, unext; /* update list, while FL_UPD */
	uint32_t queued;       /* when last moved in its list, in 1/1024 s units (wrapping) */
	uint64_t id;
	uint64_t first_ts;
	uint64_t last_ts;  /* last segment: duration */
	uint64_t touch_ts; /* last refresh of the expiry deadline */
	uint64_t upd_ts;   /* when the next UPDATE record is due, while FL_UPD */
	uint64_t pkts[2];  /* segments each side sent, duplicates included */
	uint8_t hlen;      /* bytes used in history */
	char history[15];  /* Zeek's letters; real connections use about 12 */
	struct endpoint ep[2];
};

struct flowtab {
	struct flow *flows;
	uint32_t *bucket;
	uint32_t capacity;
	uint32_t nbuckets; /* as many as flows: chains average at most 1 */
	uint32_t used;
	uint32_t free_head;
	uint64_t key0, key1; /* hash key: flooding the table needs the key */
	uint32_t head[FC_NCLASSES], tail[FC_NCLASSES];
	uint32_t upd_head, upd_tail; /* the update list, oldest deadline first */
};

/* Allocate for capacity flows; returns -1 when memory cannot be had. */
int flowtab_init(struct flowtab *ft, uint32_t capacity, uint64_t seed);
void flowtab_free(struct flowtab *ft);
size_t flowtab_memory(const struct flowtab *ft);

/*
 * The keyed hash of the endpoint pair (a, ap), (b, bp): the same both ways
 * round, so a segment and its reply hash alike.
 */
uint32_t flowtab_hash(const struct flowtab *ft, const uint8_t *a, uint16_t ap, const uint8_t *b,
                      uint16_t bp);

/*
 * Find the flow of a segment from (sa, sp) to (da, dp), whose flowtab_hash()
 * is hash. Returns its index and sets *side to the sender's side, or FLOW_NONE.
 */
uint32_t flowtab_lookup(const struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *sa,
                        uint16_t sp, const uint8_t *da, uint16_t dp, int *side);

/*
 * Take a free slot for client (ca, cp) and server (sa, sp), whose
 * flowtab_hash() is hash, linked into the hash and at the tail of cls.
 * Returns FLOW_NONE when the table is full: the caller evicts first.
 */
uint32_t flowtab_insert(struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *ca,
                        uint16_t cp, const uint8_t *sa, uint16_t sp, enum flow_class cls);

/* The bucket of a hash: the high bits of hash * nbuckets, any count of buckets. */
static inline uint32_t
flowtab_bucket(const struct flowtab *ft, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * ft->nbuckets) >> 32);
}

/*
 * Start fetching from memory what a lookup of hash will read: first its
 * bucket, then (once the bucket has arrived) the flow it names. Hints only:
 * the table may change before the lookup, which is then merely slower.
 */
static inline void
flowtab_prefetch_bucket(const struct flowtab *ft, uint32_t hash)
{
	__builtin_prefetch(&ft->bucket[flowtab_bucket(ft, hash)]);
}

static inline void
flowtab_prefetch_lines(const struct flowtab *ft, uint32_t i)
{
	const char *p = (const char *)&ft->flows[i];

	__builtin_prefetch(p);
	__builtin_prefetch(p + 64);
	__builtin_prefetch(p + 128);
	__builtin_prefetch(p + 192);
	__builtin_prefetch(p + sizeof(struct flow) - 1);
}

static inline void
flowtab_prefetch_flow(const struct flowtab *ft, uint32_t hash)
{
	uint32_t i = ft->bucket[flowtab_bucket(ft, hash)];

	if (i == FLOW_NONE)
		i = ft->free_head; /* where a new flow would go */
	if (i != FLOW_NONE)
		flowtab_prefetch_lines(ft, i);
}

/* The second flow in the chain, once the first has arrived. */
static inline void
flowtab_prefetch_next(const struct flowtab *ft, uint32_t hash)
{
	uint32_t i = ft->bucket[flowtab_bucket(ft, hash)];

	if (i != FLOW_NONE && (i = ft->flows[i].hnext) != FLOW_NONE)
		__builtin_prefetch(&ft->flows[i]);
}

/* Unlink a flow from the hash and its class and return it to the free list. */
void flowtab_remove(struct flowtab *ft, uint32_t idx);

#define FLOWTAB_REQUEUE_US 1000000 /* see above */

/*
 * A flow of class cls was refreshed at its touch_ts: move it to the tail of
 * cls, unless it is already in cls and was moved less than
 * FLOWTAB_REQUEUE_US before.
 */
void flowtab_touch(struct flowtab *ft, uint32_t idx, enum flow_class cls);

/* Link a flow at the tail of the update list, due at upd_ts (which no other is due after). */
void flowtab_upd_append(struct flowtab *ft, uint32_t idx, uint64_t upd_ts);

/* Take a flow out of the update list; nothing if it is not in it. */
void flowtab_upd_unlink(struct flowtab *ft, uint32_t idx);

/* The oldest flow of a class, or FLOW_NONE. */
static inline uint32_t
flowtab_oldest(const struct flowtab *ft, enum flow_class cls)
{
	return ft->head[cls];
}

#endif
