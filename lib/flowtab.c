/*
 * flowtab.c - fixed-capacity flow table with a keyed, bounded index and O(1)
 * expiry lists. See flowtab.h for the contract.
 */
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"

/* The table's cost per connection: keep it in view when adding a field. */
_Static_assert(sizeof(struct flow) == 232, "struct flow grew: see the comment above it");

/*
 * SipHash-1-3 of the endpoint pair, lesser endpoint first (see flowtab.h).
 * An IPv4 address is stored as 4 bytes and 12 zeros; when both are, the
 * zeros are left out of the message (its length tells the two forms apart).
 * The order is chosen without branches: which endpoint is lesser is a coin
 * toss per packet, and a mispredicted branch costs more than the selects.
 */
uint32_t
flowtab_hash(const struct flowtab *ft, const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
	uint64_t a0 = siphash_le64(a), a1 = siphash_le64(a + 8);
	uint64_t b0 = siphash_le64(b), b1 = siphash_le64(b + 8);
	uint64_t swap, t, h;
	struct siphash_state s;

	swap = (uint64_t)0 -
	       (uint64_t)((a0 > b0) | ((a0 == b0) & ((a1 > b1) | ((a1 == b1) & (ap > bp)))));
	t = (a0 ^ b0) & swap;
	a0 ^= t;
	b0 ^= t;
	t = (a1 ^ b1) & swap;
	a1 ^= t;
	b1 ^= t;
	t = (uint64_t)(ap ^ bp) & swap;
	ap = (uint16_t)(ap ^ t);
	bp = (uint16_t)(bp ^ t);
	siphash_init(&s, &ft->key);
	if (((a0 >> 32) | a1 | (b0 >> 32) | b1) == 0) {
		/* Two IPv4 addresses: 4 bytes each, 12 in all, 5 rounds instead of 8. */
		siphash_word(&s, a0 | b0 << 32, 1);
		h = siphash_final(&s, (uint64_t)ap | (uint64_t)bp << 16 | (uint64_t)12 << 56, 1, 3);
	} else {
		siphash_word(&s, a0, 1);
		siphash_word(&s, a1, 1);
		siphash_word(&s, b0, 1);
		siphash_word(&s, b1, 1);
		h = siphash_final(&s, (uint64_t)ap | (uint64_t)bp << 16 | (uint64_t)36 << 56, 1, 3);
	}
	return (uint32_t)(h ^ h >> 32);
}

/*
 * SipHash-1-3 of the tunnel's outer pair, lesser address first, then its id
 * (none for GTP-U), type, family and flags: 39 bytes, a message length the
 * endpoint hash never has, so the two cannot be made to cancel.
 */
uint32_t
flowtab_overlay(const struct flowtab *ft, const struct tunnel *tun)
{
	const uint8_t *lo = tun->saddr, *hi = tun->daddr;
	uint64_t last, h;
	struct siphash_state s;

	if (memcmp(lo, hi, 16) > 0) {
		lo = tun->daddr;
		hi = tun->saddr;
	}
	siphash_init(&s, &ft->key);
	siphash_word(&s, siphash_le64(lo), 1);
	siphash_word(&s, siphash_le64(lo + 8), 1);
	siphash_word(&s, siphash_le64(hi), 1);
	siphash_word(&s, siphash_le64(hi + 8), 1);
	last = (uint64_t)(tun->type == TUN_GTPU ? 0 : tun->id) | (uint64_t)tun->type << 32 |
	       (uint64_t)tun->family << 40 | (uint64_t)tun->flags << 48 | (uint64_t)39 << 56;
	h = siphash_final(&s, last, 1, 3);
	return (uint32_t)(h ^ h >> 32) | 1;
}

int
flowtab_init(struct flowtab *ft, uint32_t capacity, const struct siphash_key *key)
{
	uint32_t i;

	memset(ft, 0, sizeof *ft);
	if (capacity == 0 || capacity > (1u << 30))
		return -1;
	ft->capacity = capacity;
	ft->nbuckets = (capacity + FLOWTAB_LOAD - 1) / FLOWTAB_LOAD;
	/* index + 1 fits under the mask; the bits above it are the tag. */
	ft->idx_mask = 1;
	while (ft->idx_mask < capacity)
		ft->idx_mask = ft->idx_mask << 1 | 1;
	ft->flows = calloc(capacity, sizeof *ft->flows);
	ft->slot = aligned_alloc(64, (size_t)ft->nbuckets * FLOWTAB_SLOTS * sizeof *ft->slot);
	if (ft->flows == NULL || ft->slot == NULL) {
		flowtab_free(ft);
		return -1;
	}
	memset(ft->slot, 0, (size_t)ft->nbuckets * FLOWTAB_SLOTS * sizeof *ft->slot);
	ft->key = *key;
	for (i = 0; i < capacity; i++) {
		ft->flows[i].cls = FC_FREE;
		ft->flows[i].next = i + 1 < capacity ? i + 1 : FLOW_NONE;
	}
	ft->free_head = 0;
	for (i = 0; i < FC_NCLASSES; i++)
		ft->head[i] = ft->tail[i] = FLOW_NONE;
	ft->upd_head = ft->upd_tail = FLOW_NONE;
	return 0;
}

void
flowtab_free(struct flowtab *ft)
{
	free(ft->flows);
	free(ft->slot);
	ft->flows = NULL;
	ft->slot = NULL;
}

size_t
flowtab_memory(const struct flowtab *ft)
{
	return (size_t)ft->capacity * sizeof *ft->flows +
	       (size_t)ft->nbuckets * FLOWTAB_SLOTS * sizeof *ft->slot;
}

/*
 * Is flow i the one from (sa, sp) to (da, dp)? Sets *side. The stored hash
 * rejects almost every flow whose tag matched by chance before the addresses.
 */
static inline int
flowtab_match(const struct flowtab *ft, uint32_t i, uint32_t hash, uint8_t family,
              const uint8_t *sa, uint16_t sp, const uint8_t *da, uint16_t dp, int *side)
{
	const struct flow *f = &ft->flows[i];

	if (f->hash != hash || f->family != family)
		return 0;
	if (f->port[0] == sp && f->port[1] == dp && memcmp(f->ip[0], sa, 16) == 0 &&
	    memcmp(f->ip[1], da, 16) == 0) {
		*side = 0;
		return 1;
	}
	if (f->port[1] == sp && f->port[0] == dp && memcmp(f->ip[1], sa, 16) == 0 &&
	    memcmp(f->ip[0], da, 16) == 0) {
		*side = 1;
		return 1;
	}
	return 0;
}

/*
 * Both buckets, then the stash; *touched counts the flows read. Inline, so
 * that flowtab_lookup() counts nothing.
 */
static inline uint32_t
flowtab_find(const struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *sa,
             uint16_t sp, const uint8_t *da, uint16_t dp, int *side, uint32_t *touched)
{
	uint32_t b1 = flowtab_bucket1(ft, hash), b2 = flowtab_bucket2(ft, hash);
	uint32_t bits = flowtab_candidates(ft, hash, b1, b2), tag, i, k;

	for (; bits != 0; bits &= bits - 1) {
		i = (flowtab_candidate(ft, b1, b2, (uint32_t)__builtin_ctz(bits)) & ft->idx_mask) -
		    1;
		if (i == FLOW_NONE)
			continue; /* an empty slot, when the tag is 0 */
		(*touched)++;
		if (flowtab_match(ft, i, hash, family, sa, sp, da, dp, side))
			return i;
	}
	if (ft->nstash == 0)
		return FLOW_NONE;
	tag = flowtab_tag(ft, hash);
	for (k = 0; k < ft->nstash; k++) {
		if ((ft->stash[k] & ~ft->idx_mask) != tag)
			continue;
		i = (ft->stash[k] & ft->idx_mask) - 1;
		(*touched)++;
		if (flowtab_match(ft, i, hash, family, sa, sp, da, dp, side))
			return i;
	}
	return FLOW_NONE;
}

uint32_t
flowtab_lookup_counted(const struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *sa,
                       uint16_t sp, const uint8_t *da, uint16_t dp, int *side, uint32_t *touched)
{
	*touched = 0;
	return flowtab_find(ft, hash, family, sa, sp, da, dp, side, touched);
}

uint32_t
flowtab_lookup(const struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *sa,
               uint16_t sp, const uint8_t *da, uint16_t dp, int *side)
{
	uint32_t touched = 0;

	return flowtab_find(ft, hash, family, sa, sp, da, dp, side, &touched);
}

uint32_t
flowtab_lookup_hinted(const struct flowtab *ft, uint32_t hint, uint32_t hash, uint8_t family,
                      const uint8_t *sa, uint16_t sp, const uint8_t *da, uint16_t dp, int *side)
{
	uint32_t touched = 0;

	if (hint < ft->capacity && ft->flows[hint].cls != FC_FREE &&
	    flowtab_match(ft, hint, hash, family, sa, sp, da, dp, side))
		return hint;
	return flowtab_find(ft, hash, family, sa, sp, da, dp, side, &touched);
}

/* Empty slots of the bucket at offset b; *first gets the first of them. */
static uint32_t
flowtab_room(const struct flowtab *ft, uint32_t b, uint32_t *first)
{
	uint32_t bits = flowtab_lanes(ft, b, UINT32_MAX, 0);

	*first = bits ? b + (uint32_t)__builtin_ctz(bits) : FLOW_NONE;
	return (uint32_t)__builtin_popcount(bits);
}

/*
 * Where a new entry for hash goes: an empty slot of the emptier of its two
 * buckets, else of the stash (counted), else NULL (counted).
 */
static uint32_t *
flowtab_place(struct flowtab *ft, uint32_t hash)
{
	uint32_t s1, s2, n1, n2;

	n1 = flowtab_room(ft, flowtab_bucket1(ft, hash), &s1);
	n2 = flowtab_room(ft, flowtab_bucket2(ft, hash), &s2);
	if (n1 > 0 || n2 > 0)
		return &ft->slot[n1 >= n2 ? s1 : s2];
	if (ft->nstash < FLOWTAB_STASH) {
		ft->overflows++;
		return &ft->stash[ft->nstash++];
	}
	ft->refused++;
	return NULL;
}

static void
flowtab_list_unlink(struct flowtab *ft, uint32_t idx)
{
	struct flow *f = &ft->flows[idx];

	if (f->prev != FLOW_NONE)
		ft->flows[f->prev].next = f->next;
	else
		ft->head[f->cls] = f->next;
	if (f->next != FLOW_NONE)
		ft->flows[f->next].prev = f->prev;
	else
		ft->tail[f->cls] = f->prev;
}

static void
flowtab_list_append(struct flowtab *ft, uint32_t idx, enum flow_class cls)
{
	struct flow *f = &ft->flows[idx];

	f->cls = (uint8_t)cls;
	f->next = FLOW_NONE;
	f->prev = ft->tail[cls];
	if (f->prev != FLOW_NONE)
		ft->flows[f->prev].next = idx;
	else
		ft->head[cls] = idx;
	ft->tail[cls] = idx;
}

uint32_t
flowtab_insert(struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *ca, uint16_t cp,
               const uint8_t *sa, uint16_t sp, enum flow_class cls)
{
	uint32_t idx, *slot;
	struct flow *f;

	if ((idx = ft->free_head) == FLOW_NONE || (slot = flowtab_place(ft, hash)) == NULL)
		return FLOW_NONE;
	f = &ft->flows[idx];
	ft->free_head = f->next;
	memset(f, 0, sizeof *f);
	memcpy(f->ip[0], ca, 16);
	memcpy(f->ip[1], sa, 16);
	f->port[0] = cp;
	f->port[1] = sp;
	f->family = family;
	f->hash = hash;
	*slot = flowtab_tag(ft, hash) | (idx + 1);
	flowtab_list_append(ft, idx, cls);
	ft->used++;
	return idx;
}

/* Clear the slot of flow idx: in one of its buckets, or in the stash. */
static void
flowtab_unindex(struct flowtab *ft, uint32_t idx)
{
	uint32_t hash = ft->flows[idx].hash, want = flowtab_tag(ft, hash) | (idx + 1);
	uint32_t b, bits, k;

	b = flowtab_bucket1(ft, hash);
	if ((bits = flowtab_lanes(ft, b, UINT32_MAX, want)) == 0) {
		b = flowtab_bucket2(ft, hash);
		bits = flowtab_lanes(ft, b, UINT32_MAX, want);
	}
	if (bits != 0) {
		ft->slot[b + (uint32_t)__builtin_ctz(bits)] = 0;
		return;
	}
	for (k = 0; k < ft->nstash; k++) {
		if (ft->stash[k] == want) {
			ft->stash[k] = ft->stash[--ft->nstash];
			return;
		}
	}
}

void
flowtab_remove(struct flowtab *ft, uint32_t idx)
{
	struct flow *f = &ft->flows[idx];

	flowtab_unindex(ft, idx);
	flowtab_list_unlink(ft, idx);
	flowtab_upd_unlink(ft, idx);
	f->cls = FC_FREE;
	f->next = ft->free_head;
	ft->free_head = idx;
	ft->used--;
}

void
flowtab_touch(struct flowtab *ft, uint32_t idx, enum flow_class cls)
{
	struct flow *f = &ft->flows[idx];
	uint32_t now = (uint32_t)(f->touch_ts >> 10);

	if (f->cls == cls && (ft->tail[cls] == idx || now - f->queued < (FLOWTAB_REQUEUE_US >> 10)))
		return;
	f->queued = now;
	flowtab_list_unlink(ft, idx);
	flowtab_list_append(ft, idx, cls);
}

void
flowtab_upd_append(struct flowtab *ft, uint32_t idx, uint64_t upd_ts)
{
	struct flow *f = &ft->flows[idx];

	flowtab_upd_unlink(ft, idx);
	f->flags |= FL_UPD;
	f->upd_ts = upd_ts;
	f->unext = FLOW_NONE;
	f->uprev = ft->upd_tail;
	if (f->uprev != FLOW_NONE)
		ft->flows[f->uprev].unext = idx;
	else
		ft->upd_head = idx;
	ft->upd_tail = idx;
}

void
flowtab_upd_unlink(struct flowtab *ft, uint32_t idx)
{
	struct flow *f = &ft->flows[idx];

	if (!(f->flags & FL_UPD))
		return;
	if (f->uprev != FLOW_NONE)
		ft->flows[f->uprev].unext = f->unext;
	else
		ft->upd_head = f->unext;
	if (f->unext != FLOW_NONE)
		ft->flows[f->unext].uprev = f->uprev;
	else
		ft->upd_tail = f->uprev;
	f->flags &= (uint8_t)~FL_UPD;
}
