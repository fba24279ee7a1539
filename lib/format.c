/*
 * format.c - struct event to bytes: JSON Lines, one readable text line, and
 * key=value for syslog bodies.
 *
 * This runs for every event on every output, so it formats numbers, times and
 * addresses by hand: no printf, no locale, no allocation, no clock. Every
 * function writes into a caller buffer, NUL-terminates it, and returns the
 * length without the NUL; when the result and its NUL do not fit it returns 0
 * and the buffer holds no partial record (buf[0] is NUL when cap > 0).
 *
 * Event records, the hot path, are written by the put_* functions, which take
 * a pointer, write without checking and return the end. Every piece of an
 * event has a fixed bound (names are cut at NAME_LEN_MAX, strings at their
 * array size), so a record never needs more than FORMAT_EVENT_MAX bytes: the
 * size is checked once per record, not once per piece. The daemon's own
 * records (SUPPRESSED, STATS, ALERT) are rare and keep the checked writer,
 * struct wbuf, built on the same put_* functions.
 *
 * key=value values never need quoting: they are numbers, addresses and names
 * from fixed tables. A value that would be empty (history, conn_state before
 * anything was seen) is left out entirely instead of written as key="".
 */
#include <string.h>

#include "format.h"

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
 * Longest name copied from event.c's tables; "closing_timeout" (15) is the
 * longest today, and test_format checks that every name is written whole.
 */
#define NAME_LEN_MAX 16

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

static int
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
static char *
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
static char *
put_secs(char *p, uint64_t us, int decimals)
{
	unsigned frac = (unsigned)(us % 1000000);

	if (decimals == 3)
		frac /= 1000;
	p = put_u64(p, us / 1000000);
	*p++ = '.';
	return put_u64w(p, frac, decimals);
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
static void
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
static char *
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

static char *
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
static char *
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
static char *
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

/* tcpdump's flag letters, in tcpdump's order: "S." is a SYN+ACK; at most 8 bytes. */
static char *
put_tcpflags(char *p, uint8_t flags)
{
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {
	    {TH_FIN, 'F'}, {TH_SYN, 'S'}, {TH_RST, 'R'}, {TH_PSH, 'P'},
	    {TH_ACK, '.'}, {TH_URG, 'U'}, {TH_ECE, 'E'}, {TH_CWR, 'W'},
	};
	size_t i;

	if (flags == 0)
		return PUT_LIT(p, "none");
	for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
		if (flags & letters[i].bit)
			*p++ = letters[i].c;
	}
	return p;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), 0 if none. */
static size_t
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
static char *
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
static char *
put_json_bytes(char *p, const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		p = put_json_unit(p, s + i, n - i, &k);
		i += k;
	}
	return p;
}

/*
 * The separator and key before a value: "," "\"key\":" in JSON, " key=" in
 * key=value, one literal each. PUT_KEYQ also opens a JSON string value.
 * The first field, ts, has its own opening.
 */
#define PUT_KEY(p, json, key) ((json) ? PUT_LIT(p, ",\"" key "\":") : PUT_LIT(p, " " key "="))
#define PUT_KEYQ(p, json, key) ((json) ? PUT_LIT(p, ",\"" key "\":\"") : PUT_LIT(p, " " key "="))

/* Close a JSON string value; key=value values are bare. */
static inline char *
put_endq(char *p, int json)
{
	if (json)
		*p++ = '"';
	return p;
}

static inline char *
put_bool(char *p, int v)
{
	return v ? PUT_LIT(p, "true") : PUT_LIT(p, "false");
}

/* key=value keeps only the characters that cannot break the line apart. */
static char *
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
 * A short string from the tracker (conn_state, history) of n bytes: JSON
 * escapes it; key=value filters it and leaves the key out when it is empty.
 * The key comes already written in both forms, as literals.
 */
#define PUT_TEXT(p, json, key, s, n)                                                               \
	((json)    ? put_endq(put_json_bytes(PUT_LIT(p, ",\"" key "\":\""), (s), (n)), 1)          \
	 : (n) > 0 ? put_kv_safe(PUT_LIT(p, " " key "="), (s), (n))                                \
	           : (p))

/* The counters of CLOSED and UPDATE, duration to partial. */
static inline __attribute__((always_inline)) char *
put_rec_counts(char *p, const struct event *ev, int json)
{
	p = put_secs(PUT_KEY(p, json, "duration"), ev->duration_us, 6);
	p = put_u64(PUT_KEY(p, json, "client_bytes"), ev->client.bytes);
	p = put_u64(PUT_KEY(p, json, "server_bytes"), ev->server.bytes);
	p = put_u64(PUT_KEY(p, json, "client_pkts"), ev->client.pkts);
	p = put_u64(PUT_KEY(p, json, "server_pkts"), ev->server.pkts);
	return put_bool(PUT_KEY(p, json, "partial"), ev->partial);
}

/*
 * JSON and key=value: the field order of format.h. Always inlined, so each
 * format gets its own copy with `json` a constant and no branch per key.
 */
static inline __attribute__((always_inline)) char *
put_record(char *p, const struct event *ev, int json)
{
	size_t n;

	p = json ? PUT_LIT(p, "{\"ts\":\"") : PUT_LIT(p, "ts=");
	p = put_endq(put_ts(p, ev->ts_us), json);
	p = put_endq(put_name(PUT_KEYQ(p, json, "event"), event_type_name(ev->type)), json);
	p = put_endq(put_flow(PUT_KEYQ(p, json, "flow"), ev->flow_id), json);
	p = put_endq(put_name(PUT_KEYQ(p, json, "by"), side_name(ev->by)), json);
	p = put_endq(put_ip(PUT_KEYQ(p, json, "client_ip"), ev->family, ev->client_ip), json);
	p = put_u64(PUT_KEY(p, json, "client_port"), ev->client_port);
	p = put_endq(put_ip(PUT_KEYQ(p, json, "server_ip"), ev->family, ev->server_ip), json);
	p = put_u64(PUT_KEY(p, json, "server_port"), ev->server_port);
	p = put_endq(put_name(PUT_KEYQ(p, json, "client_state"), tcp_state_name(ev->client_state)),
	             json);
	p = put_endq(put_name(PUT_KEYQ(p, json, "server_state"), tcp_state_name(ev->server_state)),
	             json);
	switch (ev->type) {
	case TEV_SYN:
	case TEV_SYN_ACK:
		if (ev->opt.present & OPT_MSS)
			p = put_u64(PUT_KEY(p, json, "mss"), ev->opt.mss);
		if (ev->opt.present & OPT_WSCALE)
			p = put_u64(PUT_KEY(p, json, "wscale"), ev->opt.wscale);
		if (ev->opt.present & OPT_SACK_OK)
			p = put_bool(PUT_KEY(p, json, "sack_ok"), 1);
		if (ev->opt.present & OPT_TS)
			p = put_bool(PUT_KEY(p, json, "tsopt"), 1);
		break;
	case TEV_CLOSED:
		p = put_endq(put_name(PUT_KEYQ(p, json, "reason"), close_reason_name(ev->reason)),
		             json);
		p = put_bool(PUT_KEY(p, json, "abnormal"), ev->abnormal);
		p = put_endq(put_name(PUT_KEYQ(p, json, "closed_by"), side_name(ev->closed_by)),
		             json);
		p = put_rec_counts(p, ev, json);
		n = strnlen(ev->conn_state, sizeof(ev->conn_state));
		p = PUT_TEXT(p, json, "conn_state", ev->conn_state, n);
		n = strnlen(ev->history, sizeof(ev->history));
		p = PUT_TEXT(p, json, "history", ev->history, n);
		break;
	case TEV_UPDATE:
		p = put_rec_counts(p, ev, json);
		break;
	case TEV_SEGMENT:
		p = put_endq(put_tcpflags(PUT_KEYQ(p, json, "flags"), ev->seg_flags), json);
		p = put_u64(PUT_KEY(p, json, "seq"), ev->seg_rel_seq);
		p = put_u64(PUT_KEY(p, json, "ack"), ev->seg_rel_ack);
		p = put_u64(PUT_KEY(p, json, "len"), ev->seg_len);
		break;
	default:
		break;
	}
	return json ? PUT_LIT(p, "}\n") : PUT_LIT(p, "\n");
}

/* "192.0.2.1:80" or "[2001:db8::1]:80". */
static char *
put_endpoint(char *p, uint8_t family, const uint8_t *addr, uint16_t port)
{
	if (family == 6)
		*p++ = '[';
	p = put_ip(p, family, addr);
	if (family == 6)
		*p++ = ']';
	*p++ = ':';
	return put_u64(p, port);
}

/* "ESTABLISHED" or, when the event moved it, "SYN_RCVD->ESTABLISHED". */
static char *
put_state_change(char *p, enum tcp_state was, enum tcp_state now)
{
	if (was != now)
		p = PUT_LIT(put_name(p, tcp_state_name(was)), "->");
	return put_name(p, tcp_state_name(now));
}

/* "3B/6p": one side's counters. */
static char *
put_counts(char *p, const struct endpoint_counts *c)
{
	p = PUT_LIT(put_u64(p, c->bytes), "B/");
	p = put_u64(p, c->pkts);
	*p++ = 'p';
	return p;
}

/* "0.123s client 3B/6p server 492B/5p" */
static char *
put_text_counts(char *p, const struct event *ev)
{
	p = PUT_LIT(put_secs(p, ev->duration_us, 3), "s client ");
	p = PUT_LIT(put_counts(p, &ev->client), " server ");
	return put_counts(p, &ev->server);
}

/*
 * "  mss=1460 wscale=7 sack_ok tsopt": the options present, each after a
 * space, and one more space before the first.
 */
static char *
put_text_opts(char *p, const struct tcpopts *opt)
{
	if (opt->present & (OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TS))
		*p++ = ' ';
	if (opt->present & OPT_MSS)
		p = put_u64(PUT_LIT(p, " mss="), opt->mss);
	if (opt->present & OPT_WSCALE)
		p = put_u64(PUT_LIT(p, " wscale="), opt->wscale);
	if (opt->present & OPT_SACK_OK)
		p = PUT_LIT(p, " sack_ok");
	if (opt->present & OPT_TS)
		p = PUT_LIT(p, " tsopt");
	return p;
}

/* Spaces up to `to`, for the text line's columns. */
static inline char *
put_pad(char *p, const char *to)
{
	while (p < to)
		*p++ = ' ';
	return p;
}

/*
 * The line for people, read like tcpdump: time, flow, event, then the client
 * always on the left, with an arrow showing who acted ('>' client, '<' server,
 * '-' neither: a timeout), then what changed.
 */
static char *
put_text(char *p, const struct event *ev)
{
	const char *col;
	size_t n;

	p = put_ts(p, ev->ts_us);
	*p++ = ' ';
	col = p;
	p = put_pad(put_flow(p, ev->flow_id), col + FLOW_LEN_MAX);
	*p++ = ' ';
	col = p;
	p = put_pad(put_name(p, event_type_name(ev->type)), col + 11); /* "ESTABLISHED" */
	*p++ = ' ';
	p = put_endpoint(p, ev->family, ev->client_ip, ev->client_port);
	if (ev->by == SIDE_CLIENT)
		p = PUT_LIT(p, " > ");
	else if (ev->by == SIDE_SERVER)
		p = PUT_LIT(p, " < ");
	else
		p = PUT_LIT(p, " - ");
	p = put_endpoint(p, ev->family, ev->server_ip, ev->server_port);
	p = PUT_LIT(p, "  ");
	switch (ev->type) {
	case TEV_CLOSED:
		p = put_name(PUT_LIT(p, "reason="), close_reason_name(ev->reason));
		p = put_name(PUT_LIT(p, " closed_by="), side_name(ev->closed_by));
		*p++ = ' ';
		p = put_text_counts(p, ev);
		n = strnlen(ev->conn_state, sizeof(ev->conn_state));
		if (n > 0) {
			*p++ = ' ';
			p = put_json_bytes(p, ev->conn_state, n);
		}
		n = strnlen(ev->history, sizeof(ev->history));
		if (n > 0) {
			*p++ = ' ';
			p = put_json_bytes(p, ev->history, n);
		}
		break;
	case TEV_SEGMENT:
		*p++ = '[';
		p = PUT_LIT(put_tcpflags(p, ev->seg_flags), "] seq ");
		p = PUT_LIT(put_u64(p, ev->seg_rel_seq), " ack ");
		p = PUT_LIT(put_u64(p, ev->seg_rel_ack), " len ");
		p = PUT_LIT(put_u64(p, ev->seg_len), "  ");
		/* FALLTHROUGH */
	default:
		p = put_state_change(PUT_LIT(p, "client "), ev->client_state_was, ev->client_state);
		p = put_state_change(PUT_LIT(p, "  server "), ev->server_state_was,
		                     ev->server_state);
		if (ev->type == TEV_SYN || ev->type == TEV_SYN_ACK)
			p = put_text_opts(p, &ev->opt);
		if (ev->type == TEV_UPDATE)
			p = put_text_counts(PUT_LIT(p, "  "), ev);
		break;
	}
	if (ev->partial)
		p = PUT_LIT(p, " partial");
	*p++ = '\n';
	return p;
}

/*
 * Every piece of a record has a fixed bound, so the whole of it fits
 * FORMAT_EVENT_MAX bytes: written straight into a buffer that big, or into
 * one on the stack and copied when it fits the caller's. Either way the
 * bytes are the same, and a record too long for buf is refused whole.
 */
size_t
format_event(enum format f, const struct event *ev, char *buf, size_t cap)
{
	char tmp[FORMAT_EVENT_MAX];
	char *out = cap >= sizeof(tmp) ? buf : tmp;
	size_t len;

	if (!ip_family_ok(ev->family))
		goto refuse; /* not an address we know how to print */
	switch (f) {
	case FMT_JSON:
		len = (size_t)(put_record(out, ev, 1) - out);
		break;
	case FMT_KV:
		len = (size_t)(put_record(out, ev, 0) - out);
		break;
	case FMT_TEXT:
		len = (size_t)(put_text(out, ev) - out);
		break;
	default:
		goto refuse;
	}
	if (len >= cap)
		goto refuse;
	if (out != buf)
		memcpy(buf, out, len);
	buf[len] = '\0';
	return len;
refuse:
	if (cap > 0)
		buf[0] = '\0';
	return 0;
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

static void
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

static void
w_u64(struct wbuf *w, uint64_t v)
{
	char t[U64_LEN_MAX];

	w_mem(w, t, (size_t)(put_u64(t, v) - t));
}

static void
w_secs(struct wbuf *w, uint64_t us, int decimals)
{
	char t[SECS_LEN_MAX];

	w_mem(w, t, (size_t)(put_secs(t, us, decimals) - t));
}

static void
w_ts(struct wbuf *w, uint64_t ts_us)
{
	char t[TS_LEN];

	w_mem(w, t, (size_t)(put_ts(t, ts_us) - t));
}

static void
w_flow(struct wbuf *w, uint64_t id)
{
	char t[FLOW_LEN_MAX];

	w_mem(w, t, (size_t)(put_flow(t, id) - t));
}

static void
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
static void
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
static size_t
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

/*
 * One JSON object or one key=value line: the same keys in the same order.
 * `n` counts the fields written so far, for the separators.
 */
struct rec {
	struct wbuf w;
	enum format f;
	int n;
};

/* A key made of two parts, such as "closed_" and a counter's name. */
static void
r_key2(struct rec *r, const char *key, const char *key2)
{
	if (r->f == FMT_JSON) {
		w_str(&r->w, r->n++ == 0 ? "{\"" : ",\"");
		w_str(&r->w, key);
		w_str(&r->w, key2);
		w_str(&r->w, "\":");
	} else {
		if (r->n++ > 0)
			w_char(&r->w, ' ');
		w_str(&r->w, key);
		w_str(&r->w, key2);
		w_char(&r->w, '=');
	}
}

static void
r_key(struct rec *r, const char *key)
{
	r_key2(r, key, "");
}

/* A name from one of our tables: never needs escaping. */
static void
r_name(struct rec *r, const char *key, const char *val)
{
	r_key(r, key);
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
	w_str(&r->w, val);
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
}

static void
r_u64(struct rec *r, const char *key, uint64_t v)
{
	r_key(r, key);
	w_u64(&r->w, v);
}

static void
r_ts(struct rec *r, uint64_t ts_us)
{
	r_key(r, "ts");
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
	w_ts(&r->w, ts_us);
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
}

static size_t
r_end(struct rec *r)
{
	if (r->f == FMT_JSON)
		w_char(&r->w, '}');
	w_char(&r->w, '\n');
	return w_end(&r->w);
}

/* "suppressed 1532 events in 10 s (RST 1500, CLOSED 32)": also the journal's MESSAGE. */
static void
w_suppressed_sentence(struct wbuf *w, const struct suppressed *s)
{
	int t, n = 0;

	w_str(w, "suppressed ");
	w_u64(w, s->total);
	w_str(w, s->total == 1 ? " event in " : " events in ");
	w_u64(w, s->window_s);
	w_str(w, " s (");
	for (t = 0; t < TEV_NTYPES; t++) {
		if (s->by_type[t] == 0)
			continue;
		if (n++ > 0)
			w_str(w, ", ");
		w_str(w, event_type_name((enum event_type)t));
		w_char(w, ' ');
		w_u64(w, s->by_type[t]);
	}
	w_char(w, ')');
}

/*
 * Begin one of the daemon's own records (SUPPRESSED, STATS, ALERT): in text
 * the timestamp and a space, for the caller's sentence; in JSON and
 * key=value the ts and event fields. Returns 0 for text, 1 for the
 * structured formats, -1 for an unknown format (nothing written).
 */
static int
rec_begin(struct rec *r, enum format f, char *buf, size_t cap, uint64_t ts, const char *event)
{
	w_init(&r->w, buf, cap);
	r->f = f;
	r->n = 0;
	if (f == FMT_TEXT) {
		w_ts(&r->w, ts);
		w_char(&r->w, ' ');
		return 0;
	}
	if (f != FMT_JSON && f != FMT_KV)
		return -1;
	r_ts(r, ts);
	r_name(r, "event", event);
	return 1;
}

size_t
format_suppressed(enum format f, const struct suppressed *s, char *buf, size_t cap)
{
	struct rec r;
	int t, n = 0;

	switch (rec_begin(&r, f, buf, cap, s->ts_us, "SUPPRESSED")) {
	case 0:
		w_suppressed_sentence(&r.w, s);
		w_char(&r.w, '\n');
		/* FALLTHROUGH */
	case -1:
		return w_end(&r.w);
	}
	r_u64(&r, "suppressed", s->total);
	r_u64(&r, "window", s->window_s);
	r_key(&r, "types");
	if (f == FMT_JSON)
		w_char(&r.w, '{');
	for (t = 0; t < TEV_NTYPES; t++) {
		if (s->by_type[t] == 0)
			continue;
		if (n++ > 0)
			w_char(&r.w, ',');
		if (f == FMT_JSON)
			w_char(&r.w, '"');
		w_str(&r.w, event_type_name((enum event_type)t));
		w_str(&r.w, f == FMT_JSON ? "\":" : ":");
		w_u64(&r.w, s->by_type[t]);
	}
	if (f == FMT_JSON)
		w_char(&r.w, '}');
	return r_end(&r);
}

size_t
format_suppressed_message(const struct suppressed *s, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_suppressed_sentence(&w, s);
	return w_end(&w);
}

static void
w_stats_sentence(struct wbuf *w, const struct stats_record *r)
{
	uint64_t closed = stats_closed(r->closed, 0);

	w_u64(w, r->packets);
	w_str(w, " packets (");
	w_u64(w, r->kernel_drops);
	w_str(w, " dropped by the kernel, ");
	w_u64(w, r->interface_drops);
	w_str(w, " by the interface); ");
	w_u64(w, r->connections);
	w_str(w, " connections tracked; ");
	w_u64(w, r->opened);
	w_str(w, " opened, ");
	w_u64(w, closed);
	w_str(w, " closed (");
	w_u64(w, stats_closed(r->closed, 1));
	w_str(w, " abnormal); ");
	w_u64(w, r->endpoints[ST_CLOSE_WAIT]);
	w_str(w, " CLOSE_WAIT, ");
	w_u64(w, r->endpoints[ST_TIME_WAIT]);
	w_str(w, " TIME_WAIT; ");
	w_u64(w, r->output_dropped);
	w_str(w, " output drops, ");
	w_u64(w, r->suppressed);
	w_str(w, " suppressed; ");
	w_u64(w, r->alerts_firing);
	w_str(w, r->alerts_firing == 1 ? " alert firing" : " alerts firing");
}

size_t
format_stats(enum format f, const struct stats_record *sr, char *buf, size_t cap)
{
	struct rec r;
	int c, side;

	switch (rec_begin(&r, f, buf, cap, sr->ts_us, "STATS")) {
	case 0:
		w_str(&r.w, "stats: ");
		w_stats_sentence(&r.w, sr);
		w_char(&r.w, '\n');
		/* FALLTHROUGH */
	case -1:
		return w_end(&r.w);
	}
	r_u64(&r, "uptime", sr->uptime_s);
	r_u64(&r, "packets", sr->packets);
	r_u64(&r, "kernel_drops", sr->kernel_drops);
	r_u64(&r, "interface_drops", sr->interface_drops);
	r_u64(&r, "connections", sr->connections);
	r_u64(&r, "attempts", sr->attempts);
	r_u64(&r, "opened", sr->opened);
	r_u64(&r, "closed", stats_closed(sr->closed, 0));
	for (c = CR_FIN; c < CR_NREASONS; c++)
		for (side = 0; side < stats_close_sides((enum close_reason)c); side++) {
			r_key2(&r, "closed_", stats_close_name((enum close_reason)c, side));
			w_u64(&r.w, sr->closed[c][side]);
		}
	r_u64(&r, "handshakes", sr->handshakes);
	r_key(&r, "handshake_avg");
	w_secs(&r.w, sr->handshakes > 0 ? sr->handshake_sum_us / sr->handshakes : 0, 6);
	for (c = 0; c < ST_NSTATES; c++)
		if (tcp_states[c].key != NULL)
			r_u64(&r, tcp_states[c].key, sr->endpoints[c]);
	r_u64(&r, "events", sr->events);
	r_u64(&r, "output_dropped", sr->output_dropped);
	r_u64(&r, "suppressed", sr->suppressed);
	r_u64(&r, "alerts_firing", sr->alerts_firing);
	return r_end(&r);
}

size_t
format_stats_message(const struct stats_record *r, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_stats_sentence(&w, r);
	return w_end(&w);
}

/* The rule's name, kept to the characters a key=value value may hold. */
static void
w_alert_name(struct wbuf *w, const char *name)
{
	size_t i, n = strnlen(name, ALERT_NAME_MAX + 1);

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';

		w_char(w, safe ? (char)c : '?');
	}
}

static void
w_alert_sentence(struct wbuf *w, const struct alert_report *a)
{
	const struct alert_rule *rule = a->rule;
	size_t i;

	w_str(w, "alert ");
	w_alert_name(w, rule->name);
	w_str(w, a->firing ? " firing: " : " recovered: ");
	w_u64(w, a->count);
	w_char(w, ' ');
	if (rule->kind.reason == CR_NONE)
		w_str(w, "abnormal closes");
	else if ((unsigned)rule->kind.reason < CR_NREASONS &&
	         close_reasons[rule->kind.reason].alert)
		w_str(w, close_reasons[rule->kind.reason].alert);
	else
		w_char(w, '?');
	if (rule->kind.side != SIDE_NONE) {
		w_str(w, " by the ");
		w_str(w, side_name(rule->kind.side));
	}
	if (rule->port != 0) {
		w_str(w, " to port ");
		w_u64(w, rule->port);
	} else
		w_str(w, " to any port");
	w_str(w, " in ");
	w_u64(w, rule->window_s);
	w_str(w, " s (");
	if (a->firing) {
		w_str(w, "threshold ");
		w_u64(w, rule->threshold);
		w_char(w, ')');
		for (i = 0; i < a->npeers; i++) {
			w_str(w, i == 0 ? "; top peers " : ", ");
			w_ip(w, a->peer[i].family, a->peer[i].ip);
			w_str(w, " (");
			w_u64(w, a->peer[i].count);
			w_char(w, ')');
		}
	} else {
		w_str(w, "recovery level ");
		w_u64(w, rule->recover);
		w_str(w, ", after ");
		w_u64(w, a->held_us / 1000000);
		w_str(w, " s)");
	}
}

size_t
format_alert(enum format f, const struct alert_report *a, char *buf, size_t cap)
{
	struct rec r;
	size_t i;

	switch (rec_begin(&r, f, buf, cap, a->ts_us, "ALERT")) {
	case 0:
		w_alert_sentence(&r.w, a);
		w_char(&r.w, '\n');
		/* FALLTHROUGH */
	case -1:
		return w_end(&r.w);
	}
	r_key(&r, "alert");
	if (f == FMT_JSON)
		w_char(&r.w, '"');
	w_alert_name(&r.w, a->rule->name);
	if (f == FMT_JSON)
		w_char(&r.w, '"');
	r_name(&r, "state", a->firing ? "firing" : "recovered");
	r_name(&r, "kind", alert_kind_name(a->rule->kind));
	if (a->rule->port != 0)
		r_u64(&r, "port", a->rule->port);
	r_u64(&r, "count", a->count);
	r_u64(&r, "threshold", a->rule->threshold);
	r_u64(&r, "window", a->rule->window_s);
	if (a->firing && (f == FMT_JSON || a->npeers > 0)) {
		r_key(&r, "peers");
		if (f == FMT_JSON)
			w_char(&r.w, '{');
		for (i = 0; i < a->npeers; i++) {
			if (i > 0)
				w_char(&r.w, ',');
			if (f == FMT_JSON)
				w_char(&r.w, '"');
			w_ip(&r.w, a->peer[i].family, a->peer[i].ip);
			if (f == FMT_JSON) {
				w_str(&r.w, "\":");
				w_u64(&r.w, a->peer[i].count);
			} else {
				w_char(&r.w, '(');
				w_u64(&r.w, a->peer[i].count);
				w_char(&r.w, ')');
			}
		}
		if (f == FMT_JSON)
			w_char(&r.w, '}');
	} else if (!a->firing) {
		r_key(&r, "duration");
		w_secs(&r.w, a->held_us, 6);
	}
	return r_end(&r);
}

size_t
format_alert_message(const struct alert_report *a, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_alert_sentence(&w, a);
	return w_end(&w);
}

size_t
format_ts(uint64_t ts_us, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_ts(&w, ts_us);
	return w_end(&w);
}

size_t
format_flow_id(uint64_t id, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_flow(&w, id);
	return w_end(&w);
}

size_t
format_ip(uint8_t family, const uint8_t *addr, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_ip(&w, family, addr);
	return w_end(&w);
}

size_t
format_json_escape(const char *s, char *buf, size_t cap)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_json_bytes(&w, s, strlen(s));
	return w_end(&w);
}

static const char *const format_names[FMT_NFORMATS] = {
    [FMT_JSON] = "json",
    [FMT_TEXT] = "text",
    [FMT_KV] = "kv",
};

int
format_from_name(const char *name)
{
	int f;

	if (name == NULL)
		return -1;
	for (f = 0; f < FMT_NFORMATS; f++) {
		if (strcmp(name, format_names[f]) == 0)
			return f;
	}
	return -1;
}

const char *
format_name(enum format f)
{
	if ((unsigned)f >= FMT_NFORMATS)
		return "?";
	return format_names[f];
}
