/*
 * flowtab.c - fixed-capacity flow table with keyed hashing and O(1) expiry
 * lists. See flowtab.h for the contract.
 */
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"

/* The table's cost per connection: keep it in view when adding a field. */
_Static_assert(sizeof(struct flow) == 232, "struct flow grew: see the comment above it");

static inline uint64_t
flowtab_mix(uint64_t h)
{
	/* splitmix64's finaliser: full avalanche, cheap. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static inline uint64_t
flowtab_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

/* 64x64->128 multiply, folded: one multiplication mixes two words (wyhash's "mum"). */
static inline uint64_t
flowtab_mum(uint64_t a, uint64_t b)
{
	__extension__ unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * Hash an endpoint pair independently of direction: the two endpoints are
 * hashed separately and combined with a commutative operation, so a reply
 * finds the flow without first ordering the addresses. Keyed, so that
 * colliding 4-tuples cannot be chosen from outside.
 */
uint32_t
flowtab_hash(const struct flowtab *ft, const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
	uint64_t ha, hb;

	ha = flowtab_mum(flowtab_load64(a) ^ ft->key0, flowtab_load64(a + 8) ^ ft->key1 ^ ap);
	hb = flowtab_mum(flowtab_load64(b) ^ ft->key0, flowtab_load64(b + 8) ^ ft->key1 ^ bp);
	return (uint32_t)flowtab_mum(ha + hb, ft->key0 ^ 0x9e3779b97f4a7c15ULL);
}

int
flowtab_init(struct flowtab *ft, uint32_t capacity, uint64_t seed)
{
	uint32_t i;

	memset(ft, 0, sizeof *ft);
	if (capacity == 0 || capacity > (1u << 30))
		return -1;
	/* One bucket per flow: chains average at most one, for 4 bytes a flow. */
	ft->flows = calloc(capacity, sizeof *ft->flows);
	ft->bucket = malloc((size_t)capacity * sizeof *ft->bucket);
	if (ft->flows == NULL || ft->bucket == NULL) {
		flowtab_free(ft);
		return -1;
	}
	memset(ft->bucket, 0xff, (size_t)capacity * sizeof *ft->bucket);
	ft->capacity = capacity;
	ft->nbuckets = capacity;
	ft->key0 = flowtab_mix(seed ^ 0x6a09e667f3bcc908ULL);
	ft->key1 = flowtab_mix(seed ^ 0xbb67ae8584caa73bULL);
	for (i = 0; i < capacity; i++) {
		ft->flows[i].cls = FC_FREE;
		ft->flows[i].hnext = i + 1 < capacity ? i + 1 : FLOW_NONE;
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
	free(ft->bucket);
	ft->flows = NULL;
	ft->bucket = NULL;
}

size_t
flowtab_memory(const struct flowtab *ft)
{
	return (size_t)ft->capacity * sizeof *ft->flows + (size_t)ft->nbuckets * sizeof *ft->bucket;
}

uint32_t
flowtab_lookup(const struct flowtab *ft, uint32_t hash, uint8_t family, const uint8_t *sa,
               uint16_t sp, const uint8_t *da, uint16_t dp, int *side)
{
	uint32_t i;
	const struct flow *f;

	i = ft->bucket[flowtab_bucket(ft, hash)];
	for (; i != FLOW_NONE; i = f->hnext) {
		f = &ft->flows[i];
		if (f->family != family)
			continue;
		if (f->port[0] == sp && f->port[1] == dp && memcmp(f->ip[0], sa, 16) == 0 &&
		    memcmp(f->ip[1], da, 16) == 0) {
			*side = 0;
			return i;
		}
		if (f->port[1] == sp && f->port[0] == dp && memcmp(f->ip[1], sa, 16) == 0 &&
		    memcmp(f->ip[0], da, 16) == 0) {
			*side = 1;
			return i;
		}
	}
	return FLOW_NONE;
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
	uint32_t idx, b;
	struct flow *f;

	if ((idx = ft->free_head) == FLOW_NONE)
		return FLOW_NONE;
	f = &ft->flows[idx];
	ft->free_head = f->hnext;
	memset(f, 0, sizeof *f);
	memcpy(f->ip[0], ca, 16);
	memcpy(f->ip[1], sa, 16);
	f->port[0] = cp;
	f->port[1] = sp;
	f->family = family;
	b = flowtab_bucket(ft, hash);
	f->hnext = ft->bucket[b];
	ft->bucket[b] = idx;
	flowtab_list_append(ft, idx, cls);
	ft->used++;
	return idx;
}

void
flowtab_remove(struct flowtab *ft, uint32_t idx)
{
	struct flow *f = &ft->flows[idx];
	uint32_t *pp;

	pp = &ft->bucket[flowtab_bucket(
	    ft, flowtab_hash(ft, f->ip[0], f->port[0], f->ip[1], f->port[1]))];
	while (*pp != idx)
		pp = &ft->flows[*pp].hnext;
	*pp = f->hnext;
	flowtab_list_unlink(ft, idx);
	flowtab_upd_unlink(ft, idx);
	f->cls = FC_FREE;
	f->hnext = ft->free_head;
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
