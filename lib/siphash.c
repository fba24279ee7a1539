/*
 * siphash.c - SipHash over a byte string. See siphash.h.
 */
#include "siphash.h"

uint64_t
siphash(const struct siphash_key *k, int c, int d, const void *msg, size_t len)
{
	const uint8_t *p = msg;
	struct siphash_state s;
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	size_t i, tail = len & 7;

	siphash_init(&s, k);
	for (i = 0; i + 8 <= len; i += 8)
		siphash_word(&s, siphash_le64(p + i), c);
	/* The trailing bytes, little-endian, below the length byte. */
	for (i = 0; i < tail; i++)
		last |= (uint64_t)p[len - tail + i] << (8 * i);
	return siphash_final(&s, last, c, d);
}
