/*
 * test_siphash.c - SipHash against the published test vectors: key bytes
 * 00..0f, message i the bytes 00, 01, ..., i-1, for i = 0..63 (every tail
 * length, up to seven full words). SipHash-2-4's are the reference
 * implementation's (vectors.h of github.com/veorq/SipHash); SipHash-1-3's
 * are Rust's libcore test_siphash_1_3 (the hasher behind its HashMap).
 */
#include <stdint.h>
#include <string.h>

#include "../testhelp.h"
#include "siphash.h"

/* SipHash-2-4: the output read as a little-endian word. */
static const uint64_t vec24[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
    0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

/* SipHash-1-3: the output bytes in order, as hex. */
static const char *const vec13[64] = {
    "dcc40f055801acab", "93ca577df39bf4c9", "4dd4c74d029bcb82", "fbf7dde7b80af88b",
    "2883d388605775cf", "673b53492fd5f9de", "a7229fc5502b0dc5", "4011b19b987d92d3",
    "8e9a298d11959036", "e43d066cb38ea425", "7f09ff92ee85de79", "52c34df9c118c170",
    "a2d9b457b184a378", "a7ff29120c766f30", "345df9c011a15a60", "5699512a6dd820d3",
    "668b907d1add4fcc", "0cd8db639068f29c", "3ee673b49c38fc8f", "1c7d298de59d1ff2",
    "40e0cca6462fdcc0", "44f8452bfeab92b9", "2e8720a39b7bfe7f", "23c1e6da7f0e5a52",
    "8c9c3467b2ae64f4", "79095b702859cd45", "a51399cae3353e3a", "353bde4a4ec71da9",
    "0dd06cef02ed0bfb", "f4e1b14ab43cd988", "63e6c543d6110f54", "bcd1218c1fdd7023",
    "0db6a7166c7b1581", "bff98f7ae5b9544d", "3e752a1f78129f75", "916b18bfbea3a1ce",
    "0662a2add308f52c", "5730c3a32d1c10b6", "a1363aae9674f4b3", "9283107b54576b62",
    "3115e4993236d2c1", "44d91a3f92c17c66", "258813c8fe4f7065", "a64989c2d180f224",
    "6b87f8faed1ccac2", "9621049ffc4b16c2", "23d6b168939c6ea1", "fd14518b9c16fb49",
    "464c07dff843319f", "b386cc1224affdc6", "8f09520ad149af7e", "9a2f299d5513f31c",
    "121ff4a2dd304ac4", "d01ea74389e9fa36", "e6bcf0734cb38f31", "80e9a77036bf7aa2",
    "756d3c24dbc0bcb4", "1315b7fd52d8f823", "088a7da64d5f038f", "48f1e8b7e5d09cd8",
    "ee44a6f7bce6f4f6", "f237180fd89ac5ae", "e094664b15f6b2c3", "a8b3bbb76290199d",
};

/* "dcc40f05..." (bytes in order) as the little-endian word they spell. */
static uint64_t
le_hex(const char *s)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		char b[3] = {s[2 * i], s[2 * i + 1], '\0'};
		v = v << 8 | strtoull(b, NULL, 16);
	}
	return v;
}

int
main(void)
{
	struct siphash_key k = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	uint8_t msg[64];
	int i;

	for (i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;

	TEST_BEGIN("SipHash-2-4 reference vectors");
	for (i = 0; i < 64; i++)
		CHECK_EQ_U(siphash(&k, 2, 4, msg, (size_t)i), vec24[i]);
	TEST_END();

	TEST_BEGIN("SipHash-1-3 reference vectors");
	for (i = 0; i < 64; i++)
		CHECK_EQ_U(siphash(&k, 1, 3, msg, (size_t)i), le_hex(vec13[i]));
	TEST_END();

	TEST_BEGIN("the key changes the hash");
	{
		struct siphash_key k2 = {k.k0 ^ 1, k.k1};

		CHECK(siphash(&k, 1, 3, msg, 36) != siphash(&k2, 1, 3, msg, 36));
		k2 = k;
		k2.k1 ^= 1ULL << 63;
		CHECK(siphash(&k, 1, 3, msg, 36) != siphash(&k2, 1, 3, msg, 36));
	}
	TEST_END();
	TEST_EXIT();
}
