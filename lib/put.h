/*
 * put.h - the byte writers under every record: numbers, seconds, times,
 * addresses, flow ids, JSON string escapes. format.c (the event records, the
 * hot path) and report.c (the daemon's own records) share them.
 *
 * Two layers. The put_* functions take a pointer, write without checking and
 * return the end; each has a fixed bound (the *_MAX below), so a caller checks
 * the room once per record, not once per piece. struct wbuf, the checked
 * writer, refuses everything once something does not fit; it builds each
 * piece with a put_* function in a small array and copies it in.
 *
 * No printf, no locale, no allocation, no clock.
 */
#ifndef TCPSTATED_PUT_H
#define TCPSTATED_PUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The writers are static in each file that includes this one, as they were
 * when format.c was their only user, so the compiler inlines them there as
 * it did (the hot ones say always_inline). Not every file needs each one.
 */
#define PUT_STATIC static __attribute__((unused))

/* Copy n bytes; n is a constant at almost every call, so this compiles to a few moves. */
static inline __attribute__((always_inline)) char *
put_mem(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* A string literal: its length is known at compile time, no strlen. */
#define PUT_LIT(p, lit) put_mem((p), "" lit, sizeof(lit) - 1)

/*
 * Longest name copied from event.c's tables; "half_closed_timeout" (19) is the
 * longest today, and test_format checks that every name is written whole.
 */
#define NAME_LEN_MAX 24

/* A name from one of the tables: never needs escaping, at most NAME_LEN_MAX bytes. */
static inline char *
put_name(char *p, const char *s)
{
	size_t i;

	for (i = 0; i < NAME_LEN_MAX && s[i] != '\0'; i++)
		p[i] = s[i];
	return p + i;
}

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Two digits of v (< 100): one two-byte copy. */
static inline char *
put2(char *p, unsigned v)
{
	return put_mem(p, digit_pairs + v * 2, 2);
}

/* Longest decimal uint64_t: 18446744073709551615. */
#define U64_LEN_MAX 20

/* Decimal digits of v: a few comparisons, for the 32-bit values most numbers are. */
static inline int
dec_len32(uint32_t v)
{
	if (v < 100000)
		return v < 100 ? (v < 10 ? 1 : 2) : v < 1000 ? 3 : v < 10000 ? 4 : 5;
	return v < 10000000 ? (v < 1000000 ? 6 : 7) : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}

PUT_STATIC int
dec_len(uint64_t v)
{
	static const uint64_t pow10[U64_LEN_MAX] = {
	    1ULL,
	    10ULL,
	    100ULL,
	    1000ULL,
	    10000ULL,
	    100000ULL,
	    1000000ULL,
	    10000000ULL,
	    100000000ULL,
	    1000000000ULL,
	    10000000000ULL,
	    100000000000ULL,
	    1000000000000ULL,
	    10000000000000ULL,
	    100000000000000ULL,
	    1000000000000000ULL,
	    10000000000000000ULL,
	    100000000000000000ULL,
	    1000000000000000000ULL,
	    10000000000000000000ULL,
	};
	int n = 10;

	if (v <= UINT32_MAX)
		return dec_len32((uint32_t)v);
	while (n < U64_LEN_MAX && v >= pow10[n])
		n++;
	return n;
}

/*
 * Decimal, at least `width` digits (zero-padded, width <= U64_LEN_MAX).
 * Counting the digits first lets the pairs go straight to their place, from
 * the right; below 2^32 the divisions are the cheaper 32-bit ones.
 */
PUT_STATIC char *
put_u64w(char *p, uint64_t v, int width)
{
	int n = dec_len(v);
	char *q, *end;
	uint32_t v32;

	if (n < width)
		n = width;
	end = q = p + n;
	while (v > UINT32_MAX) {
		q -= 2;
		put2(q, (unsigned)(v % 100));
		v /= 100;
	}
	v32 = (uint32_t)v;
	while (v32 >= 100) {
		q -= 2;
		put2(q, v32 % 100);
		v32 /= 100;
	}
	if (v32 >= 10) {
		q -= 2;
		put2(q, v32);
	} else
		*--q = (char)('0' + v32);
	while (q > p)
		*--q = '0';
	return end;
}

static inline char *
put_u64(char *p, uint64_t v)
{
	return put_u64w(p, v, 1);
}

/* Longest put_secs(): the seconds of UINT64_MAX microseconds, '.', 6 decimals. */
#define SECS_LEN_MAX (14 + 1 + 6)

/* Seconds with `decimals` digits of the microsecond part (6 or 3: truncated). */
PUT_STATIC char *
put_secs(char *p, uint64_t us, int decimals)
{
	unsigned frac = (unsigned)(us % 1000000);

	if (decimals == 3)
		frac /= 1000;
	p = put_u64(p, us / 1000000);
	*p++ = '.';
	return put_u64w(p, frac, decimals);
}

/* Longest put_age(): the days of UINT64_MAX microseconds (9 digits), "d", "23h". */
#define AGE_LEN_MAX (9 + 1 + 3)

/*
 * A time span as people read it, as ss(8) and conntrack(8) users expect:
 * "0.004s", "34.2s", "5m07s", "2h03m", "3d04h". Milliseconds below a second,
 * where most connections end; cut, never rounded up, so that 59.99 s is
 * "59.9s", not "60.0s".
 */
PUT_STATIC char *
put_age(char *p, uint64_t us)
{
	uint64_t s = us / 1000000u;

	if (s == 0)
		p = put_u64w(PUT_LIT(p, "0."), us / 1000u, 3);
	else if (s < 60)
		p = put_u64w(PUT_LIT(put_u64(p, s), "."), us / 100000u % 10u, 1);
	else if (s < 3600)
		p = PUT_LIT(put_u64w(PUT_LIT(put_u64(p, s / 60), "m"), s % 60, 2), "s");
	else if (s < 86400)
		p = PUT_LIT(put_u64w(PUT_LIT(put_u64(p, s / 3600), "h"), s / 60 % 60, 2), "m");
	else
		p = PUT_LIT(put_u64w(PUT_LIT(put_u64(p, s / 86400), "d"), s / 3600 % 24, 2), "h");
	return s < 60 ? PUT_LIT(p, "s") : p;
}

/* Latest time ISO 8601's four-digit year can show: 9999-12-31T23:59:59.999999Z. */
#define TS_MAX_US 253402300799999999ULL
#define TS_LEN 27

/*
 * Days since 1970-01-01 to a proleptic Gregorian date. Counting from
 * 0000-03-01 puts the leap day at the end of each year, so a 400-year era is
 * 146097 days, a century 36524 and a four-year cycle 1461, and the month
 * lengths from March on follow (153 * m + 2) / 5. Up to year 9999 every
 * quantity fits 32 bits, and 32-bit divisions are the cheap ones.
 */
PUT_STATIC void
civil_from_days(unsigned days, unsigned *year, unsigned *month, unsigned *day)
{
	unsigned z = days + 719468; /* days from 0000-03-01 to 1970-01-01 */
	unsigned era = z / 146097;
	unsigned doe = z - era * 146097;                                      /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                    /* March = 0 */

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = yoe + era * 400 + (*month <= 2);
}

/*
 * "2024-06-21T09:26:15.123456Z", always TS_LEN bytes: times past year 9999
 * are clamped to its last microsecond so the record keeps its fixed shape.
 */
PUT_STATIC char *
put_ts(char *p, uint64_t ts_us)
{
	unsigned year, month, day, sod, us;
	uint64_t secs;

	if (ts_us > TS_MAX_US)
		ts_us = TS_MAX_US;
	secs = ts_us / 1000000;
	us = (unsigned)(ts_us % 1000000);
	civil_from_days((unsigned)(secs / 86400), &year, &month, &day);
	sod = (unsigned)(secs % 86400);
	put2(p, year / 100);
	put2(p + 2, year % 100);
	p[4] = '-';
	put2(p + 5, month);
	p[7] = '-';
	put2(p + 8, day);
	p[10] = 'T';
	put2(p + 11, sod / 3600);
	p[13] = ':';
	put2(p + 14, sod / 60 % 60);
	p[16] = ':';
	put2(p + 17, sod % 60);
	p[19] = '.';
	put2(p + 20, us / 10000);
	put2(p + 22, us / 100 % 100);
	put2(p + 24, us % 100);
	p[26] = 'Z';
	return p + TS_LEN;
}

/* One byte of a dotted quad, without leading zeros. */
static inline char *
put_octet(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		return put2(p, v % 100);
	}
	if (v >= 10)
		return put2(p, v);
	*p++ = (char)('0' + v);
	return p;
}

PUT_STATIC char *
put_ipv4(char *p, const uint8_t *a)
{
	p = put_octet(p, a[0]);
	*p++ = '.';
	p = put_octet(p, a[1]);
	*p++ = '.';
	p = put_octet(p, a[2]);
	*p++ = '.';
	return put_octet(p, a[3]);
}

/* Lowercase hex without leading zeros (an IPv6 group). */
static inline char *
put_hex16(char *p, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	int n = v >= 0x1000 ? 4 : v >= 0x100 ? 3 : v >= 0x10 ? 2 : 1;
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = digits[v & 0xf];
		v >>= 4;
	}
	return p + n;
}

/* Longest address text: eight full IPv6 groups. */
#define IP_LEN_MAX 39

/*
 * RFC 5952: lowercase, no leading zeros, the longest (first if tied) run of
 * two or more zero groups as "::".
 */
PUT_STATIC char *
put_ipv6(char *p, const uint8_t *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned g[8];
	int i, best = -1, bestlen = 0, run = 0;

	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		return put_ipv4(PUT_LIT(p, "::ffff:"), a + 12);
	for (i = 0; i < 8; i++) {
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		run = g[i] == 0 ? run + 1 : 0;
		if (run > bestlen) {
			bestlen = run;
			best = i - run + 1;
		}
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8;) {
		if (i == best) {
			p = PUT_LIT(p, "::");
			i += bestlen;
			continue;
		}
		if (i > 0 && !(best >= 0 && i == best + bestlen))
			*p++ = ':';
		p = put_hex16(p, g[i]);
		i++;
	}
	return p;
}

/* The family must be 4 or 6: callers check it first. */
static inline char *
put_ip(char *p, uint8_t family, const uint8_t *addr)
{
	return family == 4 ? put_ipv4(p, addr) : put_ipv6(p, addr);
}

static inline int
ip_family_ok(uint8_t family)
{
	return family == 4 || family == 6;
}

/* "C" and at most 11 base62 digits (62^11 > 2^64). */
#define FLOW_LEN_MAX 12
#define POW62_5 916132832U /* 62^5, below 2^32 */

static const char b62_digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Exactly 5 base62 digits of v (< 62^5), leading zeros included, ending at q. */
static inline char *
put_b62_5(char *q, uint32_t v)
{
	int i;

	for (i = 0; i < 5; i++) {
		*--q = b62_digits[v % 62];
		v /= 62;
	}
	return q;
}

/*
 * Flow ids are random 64-bit numbers, nearly all 11 digits long. Those are
 * split by 62^5 twice so that the digits come from cheap 32-bit divisions,
 * in fixed-length runs; shorter ids take the plain loop.
 */
PUT_STATIC char *
put_flow(char *p, uint64_t id)
{
	static const uint64_t pow62[FLOW_LEN_MAX - 1] = {
	    1ULL,
	    62ULL,
	    3844ULL,
	    238328ULL,
	    14776336ULL,
	    916132832ULL,
	    56800235584ULL,
	    3521614606208ULL,
	    218340105584896ULL,
	    13537086546263552ULL,
	    839299365868340224ULL,
	};
	int n = FLOW_LEN_MAX - 1;
	uint64_t hi;
	char *q;

	while (n > 1 && id < pow62[n - 1])
		n--;
	*p++ = 'C';
	q = p + n;
	if (n == FLOW_LEN_MAX - 1) {
		hi = id / POW62_5;
		q = put_b62_5(q, (uint32_t)(id % POW62_5));
		q = put_b62_5(q, (uint32_t)(hi % POW62_5));
		*--q = b62_digits[hi / POW62_5]; /* < 22 */
		return p + n;
	}
	while (q > p) {
		*--q = b62_digits[id % 62];
		id /= 62;
	}
	return p + n;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), 0 if none. */
PUT_STATIC size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0; /* below is overlong */
		if (s[0] == 0xed)
			hi = 0x9f; /* above are UTF-16 surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90; /* below is overlong */
		if (s[0] == 0xf4)
			hi = 0x8f; /* above is past U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return len;
}

/* Most bytes one step of put_json_unit() writes: "\u00XX". */
#define JSON_UNIT_MAX 6

/*
 * One step of the inside of a JSON string, at s (n > 0 bytes left): quote
 * and backslash escaped, control bytes and bytes that are not valid UTF-8 as
 * \u00XX of the byte, valid UTF-8 as is. Sets *used to the bytes consumed;
 * writes at most JSON_UNIT_MAX bytes, never more than it consumes times 6.
 */
PUT_STATIC char *
put_json_unit(char *p, const char *s, size_t n, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t k;

	*used = 1;
	if (u[0] >= 0x20 && u[0] < 0x7f && u[0] != '"' && u[0] != '\\') {
		*p++ = s[0]; /* the common case: printable ASCII */
		return p;
	}
	if (u[0] == '"' || u[0] == '\\') {
		*p++ = '\\';
		*p++ = s[0];
		return p;
	}
	k = u[0] < 0x20 || u[0] == 0x7f ? 0 : utf8_len(u, n);
	if (k == 0) {
		p = PUT_LIT(p, "\\u00");
		*p++ = hex[u[0] >> 4];
		*p++ = hex[u[0] & 0xf];
		return p;
	}
	*used = k;
	return put_mem(p, s, k);
}

/* n bytes as the inside of a JSON string: at most JSON_UNIT_MAX * n bytes. */
PUT_STATIC char *
put_json_bytes(char *p, const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		p = put_json_unit(p, s + i, n - i, &k);
		i += k;
	}
	return p;
}

/* key=value keeps only the characters that cannot break the line apart. */
PUT_STATIC char *
put_kv_safe(char *p, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';

		*p++ = safe ? (char)c : '?';
	}
	return p;
}

/*
 * The checked writer, for the daemon's own records: once something does not
 * fit, everything after is refused. Pieces are made by the put_* functions
 * in a small array and copied in.
 */
struct wbuf {
	char *p;
	size_t len;
	size_t cap;
	int full;
};

PUT_STATIC void
w_init(struct wbuf *w, char *buf, size_t cap)
{
	w->p = buf;
	w->len = 0;
	w->cap = cap;
	w->full = 0;
}

/* Keep one byte for the NUL: n fits only if len + n < cap. */
static inline __attribute__((always_inline)) void
w_mem(struct wbuf *w, const char *s, size_t n)
{
	if (w->full || n >= w->cap - w->len) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* Inlined, so that strlen() of a literal folds at compile time. */
static inline __attribute__((always_inline)) void
w_str(struct wbuf *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

static inline __attribute__((always_inline)) void
w_char(struct wbuf *w, char c)
{
	w_mem(w, &c, 1);
}

PUT_STATIC void
w_u64(struct wbuf *w, uint64_t v)
{
	char t[U64_LEN_MAX];

	w_mem(w, t, (size_t)(put_u64(t, v) - t));
}

PUT_STATIC void
w_secs(struct wbuf *w, uint64_t us, int decimals)
{
	char t[SECS_LEN_MAX];

	w_mem(w, t, (size_t)(put_secs(t, us, decimals) - t));
}

PUT_STATIC void
w_ts(struct wbuf *w, uint64_t ts_us)
{
	char t[TS_LEN];

	w_mem(w, t, (size_t)(put_ts(t, ts_us) - t));
}

PUT_STATIC void
w_flow(struct wbuf *w, uint64_t id)
{
	char t[FLOW_LEN_MAX];

	w_mem(w, t, (size_t)(put_flow(t, id) - t));
}

PUT_STATIC void
w_ip(struct wbuf *w, uint8_t family, const uint8_t *addr)
{
	char t[IP_LEN_MAX];

	if (!ip_family_ok(family)) {
		w->full = 1; /* not an address we know how to print */
		return;
	}
	w_mem(w, t, (size_t)(put_ip(t, family, addr) - t));
}

/* The inside of a JSON string, of any length: one escape step at a time. */
PUT_STATIC void
w_json_bytes(struct wbuf *w, const char *s, size_t n)
{
	char t[JSON_UNIT_MAX];
	size_t i = 0, k;

	while (i < n && !w->full) {
		w_mem(w, t, (size_t)(put_json_unit(t, s + i, n - i, &k) - t));
		i += k;
	}
}

/* Close the record: NUL-terminate, or report that it did not fit. */
PUT_STATIC size_t
w_end(struct wbuf *w)
{
	if (w->full) {
		if (w->cap > 0)
			w->p[0] = '\0';
		return 0;
	}
	w->p[w->len] = '\0';
	return w->len;
}

#endif
