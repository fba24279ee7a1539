/*
 * flowtab.h - the flow table: fixed-capacity storage for flows, O(1)
 * bidirectional lookup, and per-class expiry lists (lib-private).
 *
 * Everything is allocated once by flowtab_init(). Flows are addressed by a
 * 32-bit index; links are indices, not pointers, to keep struct flow small.
 *
 * The index that finds a flow from its endpoints is keyed: flowtab_hash() is
 * SipHash-1-3 under a secret key, so that nobody who cannot read the key can
 * choose endpoint pairs that share a place. And its worst case is bounded
 * whatever the key: each hash has two candidate buckets of FLOWTAB_SLOTS
 * slots (one cache line each), a slot holds a flow index and a tag of the
 * hash (so a slot of another flow is passed over without reading that flow),
 * and a new flow goes to the emptier of its two buckets. When both are full
 * (random tables never get there: buckets average FLOWTAB_LOAD entries at
 * most) it goes to a small shared overflow area, and when that is full too
 * it is refused. Either is counted (overflows, refused). A lookup therefore
 * reads at most 2 * FLOWTAB_SLOTS + FLOWTAB_STASH slots, whatever was sent.
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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "segment.h"
#include "siphash.h"

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
#define FL_TUNNEL 0x80      /* came through a tunnel the tracker's tunnel table names */

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
	uint32_t hash;         /* flowtab_hash() of its endpoints ^ flowtab_overlay() */
	uint32_t prev, next;   /* expiry list of cls, or the free list */
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

#define FLOWTAB_SLOTS 16 /* slots of a bucket: 64 bytes, one cache line */
#define FLOWTAB_LOAD 12  /* flows per bucket at capacity, at most */
#define FLOWTAB_STASH 16 /* the overflow area, for flows both of whose buckets are full */

struct flowtab {
	struct flow *flows;
	uint32_t *slot; /* nbuckets * FLOWTAB_SLOTS: 0 empty, else tag | (index + 1) */
	uint32_t capacity;
	uint32_t nbuckets; /* capacity / FLOWTAB_LOAD, rounded up */
	uint32_t idx_mask; /* the low bits of a slot, which hold index + 1; the tag is above */
	uint32_t used;
	uint32_t free_head;
	uint32_t nstash;
	uint32_t stash[FLOWTAB_STASH]; /* slots, as in a bucket */
	uint64_t overflows;            /* flows put in the stash */
	uint64_t refused;              /* flows refused: their buckets and the stash were full */
	struct siphash_key key;        /* secret: flooding the index needs it */
	uint32_t head[FC_NCLASSES], tail[FC_NCLASSES];
	uint32_t upd_head, upd_tail; /* the update list, oldest deadline first */
};

/*
 * Allocate for capacity flows, hashed under key (which must be secret where
 * the traffic is not trusted); returns -1 when memory cannot be had.
 */
int flowtab_init(struct flowtab *ft, uint32_t capacity, const struct siphash_key *key);
void flowtab_free(struct flowtab *ft);
size_t flowtab_memory(const struct flowtab *ft);

/*
 * The keyed hash of the endpoint pair (a, ap), (b, bp): the same both ways
 * round, so a segment and its reply hash alike. It is SipHash-1-3 of the
 * pair in a fixed order (the lesser endpoint first): the addresses, 16 bytes
 * each (4 each when both have zeros after their first 4 bytes, as IPv4
 * addresses do), then the two ports, little-endian; folded to 32 bits.
 */
uint32_t flowtab_hash(const struct flowtab *ft, const uint8_t *a, uint16_t ap, const uint8_t *b,
                      uint16_t bp);

/*
 * The overlay a tunnel puts its inner addresses in, as 32 bits that the
 * tracker xors into the flow's hash: a keyed digest of the tunnel's type,
 * its outer address pair in either order and its id, but not a GTP-U TEID,
 * which each end picks for what it receives. Never 0, which stands for no
 * tunnel. Two overlays share a value with odds of 2^-32, and cannot be made
 * to from outside without the key.
 */
uint32_t flowtab_overlay(const struct flowtab *ft, const struct tunnel *tun);

/*
 * Find the flow of a segment from (sa, sp) to (da, dp), whose flowtab_hash()
 * xor flowtab_overlay() (0 outside a tunnel) is hash. The stored hash is
 * compared with the endpoints, so a flow of the same endpoints in another
 * overlay is not it. Returns its index and sets *side to the sender's side,
 * or FLOW_NONE.
 */
uint32_t flowtab_lookup(const struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *sa,
                        uint16_t sp, const uint8_t *da, uint16_t dp, int *side);

/*
 * flowtab_lookup(), trying flow hint first (what flowtab_prefetch_flow()
 * returned some segments before; the table may have changed since): when
 * the flow there is in use and its key is the segment's, it is the one, as
 * a key is in the table once. Otherwise, or with FLOW_NONE, the full lookup.
 * It saves the lookup's second pass over both buckets on a flow that exists.
 */
uint32_t flowtab_lookup_hinted(const struct flowtab *ft, uint32_t hint, uint32_t hash,
                               uint8_t family, const uint8_t *sa, uint16_t sp, const uint8_t *da,
                               uint16_t dp, int *side);

/*
 * flowtab_lookup(), and *touched set to how many flows it read to get there
 * (the slots whose tag matched): what a flood of colliding keys costs.
 */
uint32_t flowtab_lookup_counted(const struct flowtab *ft, uint32_t hash, uint8_t family,
                                const uint8_t *sa, uint16_t sp, const uint8_t *da, uint16_t dp,
                                int *side, uint32_t *touched);

/*
 * Take a free slot for client (ca, cp) and server (sa, sp), whose hash (as
 * flowtab_lookup() takes it) is hash, linked into the index and at the tail of cls.
 * Returns FLOW_NONE when the table is full (the caller evicts first), or
 * when the flow cannot be indexed (counted in refused).
 */
uint32_t flowtab_insert(struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *ca,
                        uint16_t cp, const uint8_t *sa, uint16_t sp, enum flow_class cls);

/* A hash's two buckets, as offsets of their first slot, and its tag. */
static inline uint32_t
flowtab_bucket1(const struct flowtab *ft, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * ft->nbuckets) >> 32) * FLOWTAB_SLOTS;
}

/*
 * A bijective mix of the hash (lowbias32): the second bucket and the tag
 * come from other bits than the first bucket.
 */
static inline uint32_t
flowtab_rehash(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352dU;
	h ^= h >> 15;
	h *= 0x846ca68bU;
	h ^= h >> 16;
	return h;
}

static inline uint32_t
flowtab_bucket2(const struct flowtab *ft, uint32_t hash)
{
	return (uint32_t)(((uint64_t)flowtab_rehash(hash) * ft->nbuckets) >> 32) * FLOWTAB_SLOTS;
}

static inline uint32_t
flowtab_tag(const struct flowtab *ft, uint32_t hash)
{
	return flowtab_rehash(hash) & ~ft->idx_mask;
}

/*
 * Start fetching from memory what a lookup of hash will read: first its
 * buckets, then (once they have arrived) the flow they name. Hints only:
 * the table may change before the lookup, which is then merely slower.
 *
 * Each helper must be inlined before GCC's early dead-code pass: a function
 * whose only effect is __builtin_prefetch is judged free of side effects,
 * and GCC 12 at -O2 deletes every call to it (the prefetches then vanish
 * from the binary without a word). always_inline puts the builtin in the
 * caller's own body, where it stays; tests/t_prefetch.sh checks the binary.
 */
#define FLOWTAB_PREFETCH static inline __attribute__((always_inline))

FLOWTAB_PREFETCH void
flowtab_prefetch_bucket(const struct flowtab *ft, uint32_t hash)
{
	__builtin_prefetch(&ft->slot[flowtab_bucket1(ft, hash)]);
	__builtin_prefetch(&ft->slot[flowtab_bucket2(ft, hash)]);
}

FLOWTAB_PREFETCH void
flowtab_prefetch_lines(const struct flowtab *ft, uint32_t i)
{
	const char *p = (const char *)&ft->flows[i];

	__builtin_prefetch(p);
	__builtin_prefetch(p + 64);
	__builtin_prefetch(p + 128);
	__builtin_prefetch(p + 192);
	__builtin_prefetch(p + sizeof(struct flow) - 1);
}

/*
 * The slots k of the bucket at offset b with (slot & keep) == want, as bit k
 * of the result: four SSE2 compares where there is SSE2.
 */
_Static_assert(FLOWTAB_SLOTS == 16, "flowtab_lanes() compares four times four slots");
static inline uint32_t
flowtab_lanes(const struct flowtab *ft, uint32_t b, uint32_t keep, uint32_t want)
{
	const uint32_t *s = &ft->slot[b];
	uint32_t bits = 0;
#ifdef __SSE2__
	const __m128i k = _mm_set1_epi32((int)keep), w = _mm_set1_epi32((int)want);
	const __m128i *v = (const __m128i *)(const void *)s;

#define FLOWTAB_LANES4(q)                                                                          \
	((uint32_t)_mm_movemask_ps(                                                                \
	     _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(_mm_load_si128(v + (q)), k), w)))      \
	 << (4 * (q)))
	bits = FLOWTAB_LANES4(0) | FLOWTAB_LANES4(1) | FLOWTAB_LANES4(2) | FLOWTAB_LANES4(3);
#undef FLOWTAB_LANES4
#else
	uint32_t q;

	for (q = 0; q < FLOWTAB_SLOTS; q++)
		bits |= (uint32_t)((s[q] & keep) == want) << q;
#endif
	return bits;
}

/*
 * The slots of bucket b whose tag is tag: the flows a lookup reads. With a
 * tag of 0 it includes the empty slots (0), which hold no flow: skip them.
 */
static inline uint32_t
flowtab_tagged(const struct flowtab *ft, uint32_t b, uint32_t tag)
{
	return flowtab_lanes(ft, b, ~ft->idx_mask, tag);
}

/*
 * The tagged slots of both buckets of hash in one mask: bits 0-15 the first
 * bucket's, 16-31 the second's (none when both are the same bucket). One
 * mask, so that which bucket holds the flow is not a branch to mispredict.
 */
static inline uint32_t
flowtab_candidates(const struct flowtab *ft, uint32_t hash, uint32_t b1, uint32_t b2)
{
	uint32_t tag = flowtab_tag(ft, hash);

	return flowtab_tagged(ft, b1, tag) | (b2 != b1 ? flowtab_tagged(ft, b2, tag) << 16 : 0);
}

/* The slot of bit k of a flowtab_candidates() mask. */
static inline uint32_t
flowtab_candidate(const struct flowtab *ft, uint32_t b1, uint32_t b2, uint32_t k)
{
	return ft->slot[k < FLOWTAB_SLOTS ? b1 + k : b2 + k - FLOWTAB_SLOTS];
}

/*
 * The flow in either bucket (both have arrived by now), or the slot a new
 * one would take. Returns the flow fetched, FLOW_NONE for the free slot: a
 * hint for flowtab_lookup_hinted().
 */
FLOWTAB_PREFETCH uint32_t
flowtab_prefetch_flow(const struct flowtab *ft, uint32_t hash)
{
	uint32_t b1 = flowtab_bucket1(ft, hash), b2 = flowtab_bucket2(ft, hash);
	uint32_t bits = flowtab_candidates(ft, hash, b1, b2), i, hint = FLOW_NONE;

	i = ft->free_head;
	if (bits != 0)
		i = hint =
		    (flowtab_candidate(ft, b1, b2, (uint32_t)__builtin_ctz(bits)) & ft->idx_mask) -
		    1;
	if (i < ft->capacity)
		flowtab_prefetch_lines(ft, i);
	return hint;
}

/* Unlink a flow from the index and its class and return it to the free list. */
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
