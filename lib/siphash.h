/*
 * siphash.h - SipHash (Aumasson and Bernstein, 2012), the keyed PRF that
 * Python and Rust key their hash tables with: 64-bit output, 128-bit key,
 * c compression rounds per 8-byte word and d finalisation rounds.
 * SipHash-2-4 is the conservative PRF; SipHash-1-3 is the lighter variant
 * meant for hash tables, where an attacker sees no output, only timing.
 *
 * The word-at-a-time helpers are inline so that a caller hashing a fixed
 * number of words (the flow table's endpoint pair) gets straight-line code;
 * siphash() hashes any byte string and is what the test vectors check.
 */
#ifndef TCPSTATED_SIPHASH_H
#define TCPSTATED_SIPHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct siphash_key {
	uint64_t k0, k1; /* the key's bytes 0-7 and 8-15, little-endian */
};

struct siphash_state {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t
siphash_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* Eight bytes as a little-endian word, whatever the host's order. */
static inline uint64_t
siphash_le64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void
siphash_round(struct siphash_state *s)
{
	s->v0 += s->v1;
	s->v1 = siphash_rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = siphash_rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = siphash_rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = siphash_rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = siphash_rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = siphash_rotl(s->v2, 32);
}

/* The state before the first word: the key xored with "somepseudorandomlygeneratedbytes". */
static inline void
siphash_init(struct siphash_state *s, const struct siphash_key *k)
{
	s->v0 = k->k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k->k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k->k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k->k1 ^ 0x7465646279746573ULL;
}

/* Absorb one message word with c rounds. */
static inline void
siphash_word(struct siphash_state *s, uint64_t m, int c)
{
	int i;

	s->v3 ^= m;
	for (i = 0; i < c; i++)
		siphash_round(s);
	s->v0 ^= m;
}

/*
 * Absorb the last word (the message's 0-7 trailing bytes, its length mod 256
 * in the top byte) with c rounds, then finalise with d.
 */
static inline uint64_t
siphash_final(struct siphash_state *s, uint64_t last, int c, int d)
{
	int i;

	siphash_word(s, last, c);
	s->v2 ^= 0xff;
	for (i = 0; i < d; i++)
		siphash_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* SipHash-c-d of len bytes at msg. */
uint64_t siphash(const struct siphash_key *k, int c, int d, const void *msg, size_t len);

#endif
