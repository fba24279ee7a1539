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
 * key=value values never need quoting: they are numbers, addresses and names
 * from fixed tables. A value that would be empty (history, conn_state before
 * anything was seen) is left out entirely instead of written as key="".
 */
#include <string.h>

#include "format.h"

/* A bounded writer: once something does not fit, everything after is refused. */
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

/*
 * Keep one byte for the NUL: n fits only if len + n < cap. The small writers
 * are forced inline so that strlen() of the literal keys folds at compile
 * time: formatting is per event, and these calls dominated its profile.
 */
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

/* Pad with spaces to reach column `to` counted from byte `from` of the buffer. */
static void
w_pad(struct wbuf *w, size_t from, size_t to)
{
	while (!w->full && w->len - from < to)
		w_char(w, ' ');
}

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal, at least `width` digits (zero-padded); two digits per division, it is on every record. */
static void
w_u64w(struct wbuf *w, uint64_t v, int width)
{
	char tmp[20];
	int i = sizeof(tmp);

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		tmp[--i] = digit_pairs[d + 1];
		tmp[--i] = digit_pairs[d];
	}
	if (v >= 10) {
		tmp[--i] = digit_pairs[v * 2 + 1];
		tmp[--i] = digit_pairs[v * 2];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	while ((int)sizeof(tmp) - i < width)
		tmp[--i] = '0';
	w_mem(w, tmp + i, sizeof(tmp) - (size_t)i);
}

static void
w_u64(struct wbuf *w, uint64_t v)
{
	w_u64w(w, v, 1);
}

/* Lowercase hex without leading zeros (an IPv6 group). */
static void
w_hex16(struct wbuf *w, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[4];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v & 0xf];
		v >>= 4;
	} while (v != 0);
	w_mem(w, tmp + i, sizeof(tmp) - (size_t)i);
}

/* Seconds with `decimals` digits of the microsecond part (6 or 3: truncated). */
static void
w_secs(struct wbuf *w, uint64_t us, int decimals)
{
	uint64_t frac = us % 1000000;
	int i;

	for (i = decimals; i < 6; i++)
		frac /= 10;
	w_u64(w, us / 1000000);
	w_char(w, '.');
	w_u64w(w, frac, decimals);
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

/*
 * The inside of a JSON string: quote and backslash escaped, control bytes and
 * bytes that are not valid UTF-8 as \u00XX of the byte, valid UTF-8 as is.
 */
static void
w_json_bytes(struct wbuf *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	char esc[6] = {'\\', 'u', '0', '0', 0, 0};

	while (i < n && !w->full) {
		if (u[i] == '"' || u[i] == '\\') {
			w_char(w, '\\');
			w_char(w, (char)u[i]);
			i++;
			continue;
		}
		k = u[i] < 0x20 || u[i] == 0x7f ? 0 : utf8_len(u + i, n - i);
		if (k == 0) {
			esc[4] = hex[u[i] >> 4];
			esc[5] = hex[u[i] & 0xf];
			w_mem(w, esc, sizeof(esc));
			i++;
			continue;
		}
		w_mem(w, s + i, k);
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

/* Latest time ISO 8601's four-digit year can show: 9999-12-31T23:59:59.999999Z. */
#define TS_MAX_US 253402300799999999ULL

/*
 * Days since 1970-01-01 to a proleptic Gregorian date. Counting from
 * 0000-03-01 puts the leap day at the end of each year, so a 400-year era is
 * 146097 days, a century 36524 and a four-year cycle 1461, and the month
 * lengths from March on follow (153 * m + 2) / 5.
 */
static void
civil_from_days(uint64_t days, unsigned *year, unsigned *month, unsigned *day)
{
	uint64_t z = days + 719468; /* days from 0000-03-01 to 1970-01-01 */
	uint64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                    /* March = 0 */

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (unsigned)(yoe + era * 400) + (*month <= 2);
}

/* Two digits of v (< 100) at p. */
static void
put2(char *p, unsigned v)
{
	p[0] = digit_pairs[v * 2];
	p[1] = digit_pairs[v * 2 + 1];
}

/*
 * Times past year 9999 are clamped to its last microsecond: the record keeps
 * its fixed shape, built in place and written once.
 */
static void
w_ts(struct wbuf *w, uint64_t ts_us)
{
	char t[27];
	unsigned year, month, day, sod, us;
	uint64_t secs;

	if (ts_us > TS_MAX_US)
		ts_us = TS_MAX_US;
	secs = ts_us / 1000000;
	us = (unsigned)(ts_us % 1000000);
	civil_from_days(secs / 86400, &year, &month, &day);
	sod = (unsigned)(secs % 86400);
	put2(t, year / 100);
	put2(t + 2, year % 100);
	t[4] = '-';
	put2(t + 5, month);
	t[7] = '-';
	put2(t + 8, day);
	t[10] = 'T';
	put2(t + 11, sod / 3600);
	t[13] = ':';
	put2(t + 14, sod / 60 % 60);
	t[16] = ':';
	put2(t + 17, sod % 60);
	t[19] = '.';
	put2(t + 20, us / 10000);
	put2(t + 22, us / 100 % 100);
	put2(t + 24, us % 100);
	t[26] = 'Z';
	w_mem(w, t, sizeof t);
}

static void
w_ipv4(struct wbuf *w, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			w_char(w, '.');
		w_u64(w, a[i]);
	}
}

/* RFC 5952: lowercase, no leading zeros, the longest (first if tied) run of >= 2 zero groups "::". */
static void
w_ipv6(struct wbuf *w, const uint8_t *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned g[8];
	int i, best = -1, bestlen = 0, run = 0;

	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		w_str(w, "::ffff:");
		w_ipv4(w, a + 12);
		return;
	}
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
			w_str(w, "::");
			i += bestlen;
			continue;
		}
		if (i > 0 && !(best >= 0 && i == best + bestlen))
			w_char(w, ':');
		w_hex16(w, g[i]);
		i++;
	}
}

static void
w_ip(struct wbuf *w, uint8_t family, const uint8_t *addr)
{
	if (family == 4)
		w_ipv4(w, addr);
	else if (family == 6)
		w_ipv6(w, addr);
	else
		w->full = 1; /* not an address we know how to print */
}

static void
w_flow(struct wbuf *w, uint64_t id)
{
	static const char digits[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char tmp[12];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[id % 62];
		id /= 62;
	} while (id != 0);
	tmp[--i] = 'C';
	w_mem(w, tmp + i, sizeof(tmp) - (size_t)i);
}

/* tcpdump's flag letters, in tcpdump's order: "S." is a SYN+ACK. */
static void
w_tcpflags(struct wbuf *w, uint8_t flags)
{
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {
	    {TH_FIN, 'F'}, {TH_SYN, 'S'}, {TH_RST, 'R'}, {TH_PSH, 'P'},
	    {TH_ACK, '.'}, {TH_URG, 'U'}, {TH_ECE, 'E'}, {TH_CWR, 'W'},
	};
	size_t i;

	if (flags == 0) {
		w_str(w, "none");
		return;
	}
	for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
		if (flags & letters[i].bit)
			w_char(w, letters[i].c);
	}
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

static inline __attribute__((always_inline)) void
r_key(struct rec *r, const char *key)
{
	if (r->f == FMT_JSON) {
		w_str(&r->w, r->n++ == 0 ? "{\"" : ",\"");
		w_str(&r->w, key);
		w_str(&r->w, "\":");
	} else {
		if (r->n++ > 0)
			w_char(&r->w, ' ');
		w_str(&r->w, key);
		w_char(&r->w, '=');
	}
}

/* A name from one of our tables: never needs escaping. */
static inline __attribute__((always_inline)) void
r_name(struct rec *r, const char *key, const char *val)
{
	r_key(r, key);
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
	w_str(&r->w, val);
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
}

static inline __attribute__((always_inline)) void
r_u64(struct rec *r, const char *key, uint64_t v)
{
	r_key(r, key);
	w_u64(&r->w, v);
}

static inline __attribute__((always_inline)) void
r_bool(struct rec *r, const char *key, int v)
{
	r_key(r, key);
	w_str(&r->w, v ? "true" : "false");
}

/*
 * A short string from the tracker (conn_state, history), at most n bytes.
 * JSON escapes it; key=value keeps only characters that cannot break the
 * line apart and leaves the key out when the value is empty.
 */
static void
r_text(struct rec *r, const char *key, const char *s, size_t n)
{
	size_t len = strnlen(s, n), i;

	if (r->f == FMT_JSON) {
		r_key(r, key);
		w_char(&r->w, '"');
		w_json_bytes(&r->w, s, len);
		w_char(&r->w, '"');
		return;
	}
	if (len == 0)
		return;
	r_key(r, key);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';

		w_char(&r->w, safe ? (char)c : '?');
	}
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

static void
r_ip(struct rec *r, const char *key, uint8_t family, const uint8_t *addr)
{
	r_key(r, key);
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
	w_ip(&r->w, family, addr);
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
}

static void
r_flow(struct rec *r, uint64_t id)
{
	r_key(r, "flow");
	if (r->f == FMT_JSON)
		w_char(&r->w, '"');
	w_flow(&r->w, id);
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

/* JSON and key=value: the field order of format.h. */
static size_t
format_record(enum format f, const struct event *ev, char *buf, size_t cap)
{
	struct rec r;

	w_init(&r.w, buf, cap);
	r.f = f;
	r.n = 0;
	r_ts(&r, ev->ts_us);
	r_name(&r, "event", event_type_name(ev->type));
	r_flow(&r, ev->flow_id);
	r_name(&r, "by", side_name(ev->by));
	r_ip(&r, "client_ip", ev->family, ev->client_ip);
	r_u64(&r, "client_port", ev->client_port);
	r_ip(&r, "server_ip", ev->family, ev->server_ip);
	r_u64(&r, "server_port", ev->server_port);
	r_name(&r, "client_state", tcp_state_name(ev->client_state));
	r_name(&r, "server_state", tcp_state_name(ev->server_state));
	switch (ev->type) {
	case EV_SYN:
	case EV_SYN_ACK:
		if (ev->opt.present & OPT_MSS)
			r_u64(&r, "mss", ev->opt.mss);
		if (ev->opt.present & OPT_WSCALE)
			r_u64(&r, "wscale", ev->opt.wscale);
		if (ev->opt.present & OPT_SACK_OK)
			r_bool(&r, "sack_ok", 1);
		if (ev->opt.present & OPT_TS)
			r_bool(&r, "tsopt", 1);
		break;
	case EV_CLOSED:
		r_name(&r, "reason", close_reason_name(ev->reason));
		r_bool(&r, "abnormal", ev->abnormal);
		r_name(&r, "closed_by", side_name(ev->closed_by));
		r_key(&r, "duration");
		w_secs(&r.w, ev->duration_us, 6);
		r_u64(&r, "client_bytes", ev->client.bytes);
		r_u64(&r, "server_bytes", ev->server.bytes);
		r_u64(&r, "client_pkts", ev->client.pkts);
		r_u64(&r, "server_pkts", ev->server.pkts);
		r_bool(&r, "partial", ev->partial);
		r_text(&r, "conn_state", ev->conn_state, sizeof(ev->conn_state));
		r_text(&r, "history", ev->history, sizeof(ev->history));
		break;
	case EV_UPDATE:
		r_key(&r, "duration");
		w_secs(&r.w, ev->duration_us, 6);
		r_u64(&r, "client_bytes", ev->client.bytes);
		r_u64(&r, "server_bytes", ev->server.bytes);
		r_u64(&r, "client_pkts", ev->client.pkts);
		r_u64(&r, "server_pkts", ev->server.pkts);
		r_bool(&r, "partial", ev->partial);
		break;
	case EV_SEGMENT:
		r_key(&r, "flags");
		if (f == FMT_JSON)
			w_char(&r.w, '"');
		w_tcpflags(&r.w, ev->seg_flags);
		if (f == FMT_JSON)
			w_char(&r.w, '"');
		r_u64(&r, "seq", ev->seg_rel_seq);
		r_u64(&r, "ack", ev->seg_rel_ack);
		r_u64(&r, "len", ev->seg_len);
		break;
	default:
		break;
	}
	return r_end(&r);
}

/* "192.0.2.1:80" or "[2001:db8::1]:80". */
static void
w_endpoint(struct wbuf *w, uint8_t family, const uint8_t *addr, uint16_t port)
{
	if (family == 6)
		w_char(w, '[');
	w_ip(w, family, addr);
	if (family == 6)
		w_char(w, ']');
	w_char(w, ':');
	w_u64(w, port);
}

/* "client ESTABLISHED" or, when the event moved it, "server SYN_RCVD->ESTABLISHED". */
static void
w_side_state(struct wbuf *w, const char *side, enum tcp_state was, enum tcp_state now)
{
	w_str(w, side);
	w_char(w, ' ');
	if (was != now) {
		w_str(w, tcp_state_name(was));
		w_str(w, "->");
	}
	w_str(w, tcp_state_name(now));
}

static void
w_counts(struct wbuf *w, const char *side, const struct endpoint_counts *c)
{
	w_str(w, side);
	w_char(w, ' ');
	w_u64(w, c->bytes);
	w_str(w, "B/");
	w_u64(w, c->pkts);
	w_char(w, 'p');
}

/* "  mss=1460 wscale=7 sack_ok tsopt": the options present, two spaces before the first. */
static void
w_text_opts(struct wbuf *w, const struct tcpopts *opt)
{
	const char *sep = "  ";

	if (opt->present & OPT_MSS) {
		w_str(w, sep);
		w_str(w, "mss=");
		w_u64(w, opt->mss);
		sep = " ";
	}
	if (opt->present & OPT_WSCALE) {
		w_str(w, sep);
		w_str(w, "wscale=");
		w_u64(w, opt->wscale);
		sep = " ";
	}
	if (opt->present & OPT_SACK_OK) {
		w_str(w, sep);
		w_str(w, "sack_ok");
		sep = " ";
	}
	if (opt->present & OPT_TS) {
		w_str(w, sep);
		w_str(w, "tsopt");
	}
}

/*
 * The line for people, read like tcpdump: time, flow, event, then the client
 * always on the left, with an arrow showing who acted ('>' client, '<' server,
 * '-' neither: a timeout), then what changed.
 */
static size_t
format_text(const struct event *ev, char *buf, size_t cap)
{
	struct wbuf w;
	size_t col;

	w_init(&w, buf, cap);
	w_ts(&w, ev->ts_us);
	w_char(&w, ' ');
	col = w.len;
	w_flow(&w, ev->flow_id);
	w_pad(&w, col, 12); /* "C" + the 11 base62 digits of the largest id */
	w_char(&w, ' ');
	col = w.len;
	w_str(&w, event_type_name(ev->type));
	w_pad(&w, col, 11); /* "ESTABLISHED" */
	w_char(&w, ' ');
	w_endpoint(&w, ev->family, ev->client_ip, ev->client_port);
	w_str(&w, ev->by == SIDE_CLIENT ? " > " : ev->by == SIDE_SERVER ? " < " : " - ");
	w_endpoint(&w, ev->family, ev->server_ip, ev->server_port);
	w_str(&w, "  ");
	switch (ev->type) {
	case EV_CLOSED:
		w_str(&w, "reason=");
		w_str(&w, close_reason_name(ev->reason));
		w_str(&w, " closed_by=");
		w_str(&w, side_name(ev->closed_by));
		w_char(&w, ' ');
		w_secs(&w, ev->duration_us, 3);
		w_str(&w, "s ");
		w_counts(&w, "client", &ev->client);
		w_char(&w, ' ');
		w_counts(&w, "server", &ev->server);
		if (ev->conn_state[0] != '\0') {
			w_char(&w, ' ');
			w_json_bytes(&w, ev->conn_state,
			             strnlen(ev->conn_state, sizeof(ev->conn_state)));
		}
		if (ev->history[0] != '\0') {
			w_char(&w, ' ');
			w_json_bytes(&w, ev->history, strnlen(ev->history, sizeof(ev->history)));
		}
		break;
	case EV_SEGMENT:
		w_char(&w, '[');
		w_tcpflags(&w, ev->seg_flags);
		w_str(&w, "] seq ");
		w_u64(&w, ev->seg_rel_seq);
		w_str(&w, " ack ");
		w_u64(&w, ev->seg_rel_ack);
		w_str(&w, " len ");
		w_u64(&w, ev->seg_len);
		w_str(&w, "  ");
		/* FALLTHROUGH */
	default:
		w_side_state(&w, "client", ev->client_state_was, ev->client_state);
		w_str(&w, "  ");
		w_side_state(&w, "server", ev->server_state_was, ev->server_state);
		if (ev->type == EV_SYN || ev->type == EV_SYN_ACK)
			w_text_opts(&w, &ev->opt);
		if (ev->type == EV_UPDATE) {
			w_str(&w, "  ");
			w_secs(&w, ev->duration_us, 3);
			w_str(&w, "s ");
			w_counts(&w, "client", &ev->client);
			w_char(&w, ' ');
			w_counts(&w, "server", &ev->server);
		}
		break;
	}
	if (ev->partial)
		w_str(&w, " partial");
	w_char(&w, '\n');
	return w_end(&w);
}

size_t
format_event(enum format f, const struct event *ev, char *buf, size_t cap)
{
	switch (f) {
	case FMT_JSON:
	case FMT_KV:
		return format_record(f, ev, buf, cap);
	case FMT_TEXT:
		return format_text(ev, buf, cap);
	default:
		break;
	}
	if (cap > 0)
		buf[0] = '\0';
	return 0;
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
	for (t = 0; t < EV_NTYPES; t++) {
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
	for (t = 0; t < EV_NTYPES; t++) {
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

/* The STATS keys of the close reasons and of the endpoint states, as format.h lists them. */
static const char *const stats_close_keys[SC_NCLOSE] = {
    [SC_FIN] = "closed_fin",
    [SC_RST_CLIENT] = "closed_rst_client",
    [SC_RST_SERVER] = "closed_rst_server",
    [SC_REFUSED] = "closed_refused",
    [SC_SYN_TIMEOUT] = "closed_syn_timeout",
    [SC_IDLE_TIMEOUT] = "closed_idle_timeout",
    [SC_CLOSING_TIMEOUT] = "closed_closing_timeout",
    [SC_EVICTED] = "closed_evicted",
    [SC_REUSED] = "closed_reused",
    [SC_SHUTDOWN] = "closed_shutdown",
};

static const struct {
	enum tcp_state st;
	const char *key;
} stats_state_keys[] = {
    {ST_SYN_SENT, "syn_sent"},     {ST_SYN_RCVD, "syn_rcvd"},     {ST_ESTABLISHED, "established"},
    {ST_FIN_WAIT_1, "fin_wait_1"}, {ST_FIN_WAIT_2, "fin_wait_2"}, {ST_CLOSING, "closing"},
    {ST_TIME_WAIT, "time_wait"},   {ST_CLOSE_WAIT, "close_wait"}, {ST_LAST_ACK, "last_ack"},
};

static uint64_t
stats_closed_total(const struct stats_record *r)
{
	uint64_t n = 0;
	int c;

	for (c = 0; c < SC_NCLOSE; c++)
		n += r->closed[c];
	return n;
}

static void
w_stats_sentence(struct wbuf *w, const struct stats_record *r)
{
	uint64_t closed = stats_closed_total(r);

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
	w_u64(w, closed - r->closed[SC_FIN]);
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
	size_t i;
	int c;

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
	r_u64(&r, "closed", stats_closed_total(sr));
	for (c = 0; c < SC_NCLOSE; c++)
		r_u64(&r, stats_close_keys[c], sr->closed[c]);
	r_u64(&r, "handshakes", sr->handshakes);
	r_key(&r, "handshake_avg");
	w_secs(&r.w, sr->handshakes > 0 ? sr->handshake_sum_us / sr->handshakes : 0, 6);
	for (i = 0; i < sizeof(stats_state_keys) / sizeof(stats_state_keys[0]); i++)
		r_u64(&r, stats_state_keys[i].key, sr->endpoints[stats_state_keys[i].st]);
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

static const char *const alert_kind_phrases[AK_NKINDS] = {
    [AK_RST] = "resets",
    [AK_RST_CLIENT] = "resets by the client",
    [AK_RST_SERVER] = "resets by the server",
    [AK_REFUSED] = "refused connections",
    [AK_SYN_TIMEOUT] = "handshake timeouts",
    [AK_IDLE_TIMEOUT] = "idle timeouts",
    [AK_CLOSING_TIMEOUT] = "closing timeouts",
    [AK_ABNORMAL] = "abnormal closes",
};

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
	w_str(w, (unsigned)rule->kind < AK_NKINDS ? alert_kind_phrases[rule->kind] : "?");
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
