/*
 * fuzz_check.h - the invariants the fuzz harnesses assert on what tcpstated
 * produces: every event well-formed, every record in every format one whole
 * printable line (JSON checked by a strict parser, key=value token by
 * token), never truncated at any buffer size.
 *
 * A broken invariant aborts with a message on stderr, which libFuzzer reports
 * as a crash and saves with the input that caused it.
 */
#ifndef TCPSTATED_FUZZ_CHECK_H
#define TCPSTATED_FUZZ_CHECK_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "event.h"
#include "format.h"
#include "segment.h"

#define FZ_ASSERT(c)                                                       \
	do {                                                               \
		if (!(c))                                                  \
			fz_fail(#c, __FILE__, __LINE__);                   \
	} while (0)

static void __attribute__((noreturn))
fz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "invariant broken: %s (%s:%d)\n", what, file, line);
	abort();
}

static inline uint16_t
fz_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint64_t
fz_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- a strict JSON syntax check (RFC 8259), for one record ----------- */

struct fz_json {
	const unsigned char *p, *end;
	int depth;
};

static int fz_json_value(struct fz_json *j);

static void
fz_json_ws(struct fz_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
fz_json_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One UTF-8 sequence starting with lead byte c (>= 0x80): no overlongs, no surrogates. */
static int
fz_json_utf8(struct fz_json *j, unsigned char c)
{
	unsigned n, i;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else
		return -1;
	if ((size_t)(j->end - j->p) < n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((j->p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (j->p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	j->p += n;
	return 0;
}

static int
fz_json_string(struct fz_json *j)
{
	unsigned char c;
	int i;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end) {
		c = *j->p++;
		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (j->p >= j->end)
				return -1;
			c = *j->p++;
			if (c == 'u') {
				for (i = 0; i < 4; i++)
					if (j->p >= j->end || !fz_json_hex(*j->p++))
						return -1;
			} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
				return -1;
		} else if (c >= 0x80 && fz_json_utf8(j, c) == -1)
			return -1;
	}
	return -1;
}

static int
fz_json_digits(struct fz_json *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : -1;
}

static int
fz_json_number(struct fz_json *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (fz_json_digits(j) == -1)
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (fz_json_digits(j) == -1)
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (fz_json_digits(j) == -1)
			return -1;
	}
	return 0;
}

static int
fz_json_word(struct fz_json *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

/* An object or array; keys of an object must be distinct. */
static int
fz_json_container(struct fz_json *j, unsigned char close)
{
	const unsigned char *key[64];
	size_t klen[64], nk = 0, i, len;
	const unsigned char *k;

	if (++j->depth > 32)
		return -1;
	j->p++;
	fz_json_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		fz_json_ws(j);
		if (close == '}') {
			k = j->p;
			if (fz_json_string(j) == -1)
				return -1;
			len = (size_t)(j->p - k);
			for (i = 0; i < nk; i++)
				if (klen[i] == len && memcmp(key[i], k, len) == 0)
					return -1;
			if (nk < 64) {
				key[nk] = k;
				klen[nk++] = len;
			}
			fz_json_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -1;
			fz_json_ws(j);
		}
		if (fz_json_value(j) == -1)
			return -1;
		fz_json_ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int
fz_json_value(struct fz_json *j)
{
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		return fz_json_container(j, '}');
	case '[':
		return fz_json_container(j, ']');
	case '"':
		return fz_json_string(j);
	case 't':
		return fz_json_word(j, "true");
	case 'f':
		return fz_json_word(j, "false");
	case 'n':
		return fz_json_word(j, "null");
	default:
		return fz_json_number(j);
	}
}

/* A JSON Lines record: exactly one object, then the newline, then nothing. */
static inline int
fz_json_record(const char *s, size_t n)
{
	struct fz_json j = { (const unsigned char *)s, (const unsigned char *)s + n, 0 };

	if (n == 0 || s[0] != '{' || s[n - 1] != '\n')
		return -1;
	j.end--;
	if (fz_json_container(&j, '}') == -1)
		return -1;
	return j.p == j.end ? 0 : -1;
}

/*
 * A key=value record: tokens separated by one space, each a lower-case key,
 * '=', and a non-empty value without spaces, quotes or '='; no key twice.
 */
static inline int
fz_kv_record(const char *s, size_t n)
{
	const char *p = s, *end = s + n - 1, *k, *v, *keys[64];
	size_t klen[64], nk = 0, i;

	if (n == 0 || s[n - 1] != '\n')
		return -1;
	while (p < end) {
		k = p;
		while (p < end && ((*p >= 'a' && *p <= 'z') || *p == '_'))
			p++;
		if (p == k || p >= end || *p != '=')
			return -1;
		for (i = 0; i < nk; i++)
			if (klen[i] == (size_t)(p - k) && memcmp(keys[i], k, klen[i]) == 0)
				return -1;
		if (nk < 64) {
			keys[nk] = k;
			klen[nk++] = (size_t)(p - k);
		}
		v = ++p;
		while (p < end && *p != ' ') {
			if (*p == '"' || *p == '=' || *p < 0x21 || *p > 0x7e)
				return -1;
			p++;
		}
		if (p == v)
			return -1;
		if (p < end && ++p == end)
			return -1; /* a trailing space */
	}
	return 0;
}

/* ---- events ------------------------------------------------------------ */

/*
 * Every field of an event in its domain. A snapshot (tracker_foreach) is
 * CLOSED-shaped without a reason.
 */
static inline void
fz_check_event_fields(const struct event *ev, int snapshot)
{
	static const uint8_t zero[12];

	FZ_ASSERT((unsigned)ev->type < TEV_NTYPES);
	FZ_ASSERT((unsigned)ev->by <= SIDE_NONE);
	FZ_ASSERT((unsigned)ev->closed_by <= SIDE_NONE);
	FZ_ASSERT(ev->family == 4 || ev->family == 6);
	if (ev->family == 4) {
		FZ_ASSERT(memcmp(ev->client_ip + 4, zero, 12) == 0);
		FZ_ASSERT(memcmp(ev->server_ip + 4, zero, 12) == 0);
	}
	FZ_ASSERT((unsigned)ev->client_state < ST_NSTATES);
	FZ_ASSERT((unsigned)ev->server_state < ST_NSTATES);
	FZ_ASSERT((unsigned)ev->client_state_was < ST_NSTATES);
	FZ_ASSERT((unsigned)ev->server_state_was < ST_NSTATES);
	FZ_ASSERT(ev->partial <= 1 && ev->abnormal <= 1);
	FZ_ASSERT(memchr(ev->conn_state, '\0', sizeof(ev->conn_state)) != NULL);
	FZ_ASSERT(memchr(ev->history, '\0', sizeof(ev->history)) != NULL);
	if (ev->type == TEV_CLOSED && !snapshot) {
		FZ_ASSERT(ev->reason > CR_NONE && ev->reason < CR_NREASONS);
		FZ_ASSERT(ev->abnormal == (ev->reason != CR_FIN));
		FZ_ASSERT(ev->conn_state[0] != '\0');
	} else
		FZ_ASSERT(ev->reason == CR_NONE);
	FZ_ASSERT(ev->history[strspn(ev->history, "^SsHhAaDdFfRrTtWwIiQqCcGg")] == '\0');
}

/*
 * Format ev in every format and check each record: whole, one printable
 * line, NUL-free, syntactically valid; refused (not truncated) by a buffer
 * one byte short, reproduced exactly by a buffer of exactly the right size.
 * The exact-size buffers come from malloc so that ASan sees any overrun.
 */
static inline void
fz_check_formats(const struct event *ev)
{
	char buf[4096], *b;
	size_t n, i;
	int f;

	for (f = 0; f < FMT_NFORMATS; f++) {
		n = format_event((enum format)f, ev, buf, sizeof(buf));
		FZ_ASSERT(n > 0 && n < sizeof(buf));
		FZ_ASSERT(buf[n] == '\0' && strlen(buf) == n && buf[n - 1] == '\n');
		for (i = 0; i + 1 < n; i++)
			FZ_ASSERT(buf[i] >= 0x20 && buf[i] < 0x7f);
		if (f == FMT_JSON)
			FZ_ASSERT(fz_json_record(buf, n) == 0);
		else if (f == FMT_KV)
			FZ_ASSERT(fz_kv_record(buf, n) == 0);

		b = malloc(n + 1);
		FZ_ASSERT(b != NULL);
		FZ_ASSERT(format_event((enum format)f, ev, b, n + 1) == n);
		FZ_ASSERT(memcmp(b, buf, n + 1) == 0);
		free(b);
		b = malloc(n);
		FZ_ASSERT(b != NULL);
		FZ_ASSERT(format_event((enum format)f, ev, b, n) == 0 && b[0] == '\0');
		free(b);
	}
}

/* A segment decode_packet accepted: the fields it promises. */
static inline void
fz_check_segment(const struct segment *seg)
{
	static const uint8_t zero[12];

	FZ_ASSERT(seg->family == 4 || seg->family == 6);
	if (seg->family == 4) {
		FZ_ASSERT(memcmp(seg->saddr + 4, zero, 12) == 0);
		FZ_ASSERT(memcmp(seg->daddr + 4, zero, 12) == 0);
	}
	FZ_ASSERT(seg->len <= 65535 - 20);
	FZ_ASSERT(seg->vlan <= 0x0fff);
	FZ_ASSERT((seg->opt.present & ~(OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TS |
	    OPT_MALFORMED)) == 0);
	/* A tunnel is recorded exactly when one was opened, with its outer pair. */
	FZ_ASSERT(seg->tun.type < TUN_NTYPES && seg->tun.depth <= DECODE_MAX_DEPTH);
	FZ_ASSERT((seg->tun.type == TUN_NONE) == (seg->tun.depth == 0));
	if (seg->tun.type != TUN_NONE) {
		FZ_ASSERT(seg->tun.family == 4 || seg->tun.family == 6);
		if (seg->tun.family == 4) {
			FZ_ASSERT(memcmp(seg->tun.saddr + 4, zero, 12) == 0);
			FZ_ASSERT(memcmp(seg->tun.daddr + 4, zero, 12) == 0);
		}
		FZ_ASSERT((seg->tun.flags & ~TUNF_ID) == 0);
		if (seg->tun.type == TUN_VXLAN || seg->tun.type == TUN_GENEVE)
			FZ_ASSERT(seg->tun.id <= 0xffffff && seg->tun.flags == TUNF_ID);
		if (seg->tun.type == TUN_ERSPAN)
			FZ_ASSERT(seg->tun.id <= 0x3ff);
		if (seg->tun.type == TUN_IPIP || seg->tun.type == TUN_TEREDO)
			FZ_ASSERT(seg->tun.id == 0 && seg->tun.flags == 0);
	}
}

/*
 * A scratch file for harnesses whose target reads a path (the config parser,
 * libpcap's file reader): one file in a private temporary directory (under
 * $TMPDIR, else /tmp), both removed at exit.
 */
struct fz_scratch {
	char dir[256];
	char path[320];
};

static inline struct fz_scratch *
fz_scratch(void)
{
	static struct fz_scratch s;

	return &s;
}

static inline void
fz_scratch_cleanup(void)
{
	unlink(fz_scratch()->path);
	rmdir(fz_scratch()->dir);
}

/* Make the directory for tag and return the path of name in it. */
static inline const char *
fz_scratch_init(const char *tag, const char *name)
{
	struct fz_scratch *s = fz_scratch();
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 200)
		tmp = "/tmp";
	snprintf(s->dir, sizeof(s->dir), "%s/tcpstated-fuzz-%s.XXXXXX", tmp, tag);
	if (mkdtemp(s->dir) == NULL)
		abort();
	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, name);
	atexit(fz_scratch_cleanup);
	return s->path;
}

/* The scratch file now holds exactly data. */
static inline void
fz_scratch_write(const uint8_t *data, size_t size)
{
	size_t off;
	ssize_t w;
	int fd;

	fd = open(fz_scratch()->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FZ_ASSERT(fd != -1);
	for (off = 0; off < size; off += (size_t)w) {
		w = write(fd, data + off, size - off);
		FZ_ASSERT(w > 0);
	}
	close(fd);
}

#endif
