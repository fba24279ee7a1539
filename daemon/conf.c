/*
 * conf.c - the daemon's settings: the documented defaults, the libconfig
 * file, and its validation.
 *
 * conf_load() never stops at the first problem: it reads the whole file and
 * reports every unknown key, wrong type and out-of-range value as
 * "file:line: message", the way ntpd's parser does, so that one `tcpstated -t`
 * run shows an operator everything to fix. The file is only trusted after a
 * lexical pre-scan of our own, because libconfig 1.5 silently truncates
 * integer literals that do not fit in 32 bits (4294967312 reads as 16).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "capture.h"
#include "conf.h"

#define CONF_MAX_BYTES (1024 * 1024) /* a config file larger than this is a mistake */
#define CONF_MAX_INCLUDE_DEPTH 5
#define CONF_MAX_BADLINES 64
#define CONF_MAX_SORTED 512 /* error lines put in file order; more stay as found */

/* Every error line found so far, in the caller's buffer. */
struct conf_errs {
	char *buf;
	size_t cap;
	size_t len;
	int n;
	int full;
	/* Where each line starts and its sort key: the main file first, by line. */
	size_t start[CONF_MAX_SORTED];
	uint64_t key[CONF_MAX_SORTED];
};

/*
 * Integer literals of the main file the pre-scan rejected: their line and the
 * value libconfig read instead, so that the walk does not report it again.
 */
struct conf_badlines {
	unsigned line[CONF_MAX_BADLINES];
	long long value[CONF_MAX_BADLINES];
	int n;
};

struct conf_load {
	const char *path;
	struct conf_errs errs;
	struct conf_badlines bad;
};

enum key_kind {
	K_GROUP,      /* a group of keys: sub */
	K_BOOL,       /* int, 0 or 1 */
	K_U32,        /* uint32_t in min..max */
	K_MB,         /* uint64_t bytes; the file says MiB in min..max */
	K_STR,        /* char[max + 1], at least min characters */
	K_EVENTS,     /* uint32_t mask of TEV_BIT()s */
	K_PORTS,      /* struct config ports/nports */
	K_NAMED,      /* int (or an enum): one of the names in names */
	K_MODE,       /* uint32_t, an octal string such as "0640" */
	K_FILTER,     /* char[1024], must compile as a pcap filter */
	K_USER,       /* char[64], must name an existing user */
	K_U32_OFF,    /* uint32_t: 0 (off) or min..max */
	K_PATH,       /* char[max + 1]: "" (off) or an absolute file name */
	K_PORT,       /* uint16_t in min..max */
	K_ALERT_NAME, /* char[ALERT_NAME_MAX + 1] of [A-Za-z0-9_.-], at least min characters */
	K_ALERT_KIND, /* struct alert_kind */
	K_ALERTS      /* the list of alert rules: struct config alerts/nalerts */
};

/*
 * One allowed key. The value lives at (base + off) where base is where the
 * enclosing group's values live; a group's off moves the base for its
 * members, so the same member table serves several groups.
 */
struct key {
	const char *name;
	enum key_kind kind;
	size_t off;
	uint64_t min, max;
	const void *arg; /* K_GROUP: its members, a struct key[]; K_NAMED: a struct conf_names */
};

/* The words a K_NAMED key accepts, the value each stands for, and how the error names them. */
struct conf_name_value {
	const char *name;
	int value;
};

struct conf_names {
	const char *what; /* "facility" */
	const char *hint; /* the choices, as the error lists them */
	const struct conf_name_value *v;
	size_t n;
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct conf_name_value conf_facility_values[] = {
	{ "auth", LOG_AUTH },     { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON },
	{ "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },           { "kern", LOG_KERN },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },     { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },     { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },     { "lpr", LOG_LPR },
	{ "mail", LOG_MAIL },     { "news", LOG_NEWS },         { "syslog", LOG_SYSLOG },
	{ "user", LOG_USER },     { "uucp", LOG_UUCP },
};
static const struct conf_names conf_facility = { "facility",
	"daemon, user, local0 ... local7, auth, authpriv, cron, ...", conf_facility_values,
	NELEM(conf_facility_values) };

static const struct conf_name_value conf_file_format_values[] = {
	{ "json", FMT_JSON }, { "text", FMT_TEXT },
};
static const struct conf_names conf_file_format = { "format", "json or text",
	conf_file_format_values, NELEM(conf_file_format_values) };

static const struct conf_name_value conf_syslog_format_values[] = {
	{ "kv", FMT_KV }, { "cee", FMT_JSON },
};
static const struct conf_names conf_syslog_format = { "format", "kv or cee",
	conf_syslog_format_values, NELEM(conf_syslog_format_values) };

#define CFG(m) offsetof(struct config, m)
#define OUT(m) offsetof(struct out_config, m)
#define OUTBASE(k) (offsetof(struct config, out) + (k) * sizeof(struct out_config))
#define RULE(m) offsetof(struct alert_rule, m)
#define CONF_ALERT_WINDOW_S 60 /* an alert rule's window when it does not say */

static const struct key conf_capture_keys[] = {
	{ "interface", K_STR, CFG(interface), 1, 15, NULL }, /* IFNAMSIZ - 1 */
	{ "ports", K_PORTS, 0, 1, 65535, NULL },
	{ "filter", K_FILTER, CFG(filter), 0, sizeof(((struct config *)0)->filter) - 1, NULL },
	{ "snaplen", K_U32, CFG(snaplen), 64, 262144, NULL },
	{ "buffer_size_kb", K_U32, CFG(buffer_size_kb), 64, 4194304, NULL },
	{ "promiscuous", K_BOOL, CFG(promiscuous), 0, 1, NULL },
	{ "immediate", K_BOOL, CFG(immediate), 0, 1, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct key conf_timeout_keys[] = {
	{ "syn", K_U32, CFG(tracking.timeout_syn_s), 1, 31536000, NULL },
	{ "established", K_U32, CFG(tracking.timeout_established_s), 1, 31536000, NULL },
	{ "closing", K_U32, CFG(tracking.timeout_closing_s), 1, 31536000, NULL },
	{ "half_closed", K_U32, CFG(tracking.timeout_half_closed_s), 1, 31536000, NULL },
	{ "time_wait", K_U32, CFG(tracking.timeout_time_wait_s), 1, 31536000, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct key conf_tracking_keys[] = {
	{ "max_flows", K_U32, CFG(tracking.max_flows), 16, 67108864, NULL },
	{ "update_interval", K_U32_OFF, CFG(tracking.update_interval_s), 10, 31536000, NULL },
	{ "timeouts", K_GROUP, 0, 0, 0, conf_timeout_keys },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct key conf_daemon_keys[] = {
	{ "user", K_USER, CFG(user), 0, sizeof(((struct config *)0)->user) - 1, NULL },
	{ "close_on_shutdown", K_BOOL, CFG(close_on_shutdown), 0, 1, NULL },
	{ "stats_interval", K_U32, CFG(stats_interval_s), 0, 31536000, NULL },
	{ "control", K_BOOL, CFG(control), 0, 1, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct key conf_metrics_keys[] = {
	{ "path", K_PATH, CFG(metrics_path), 0, sizeof(((struct config *)0)->metrics_path) - 1, NULL },
	{ "interval", K_U32, CFG(metrics_interval_s), 1, 86400, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

/* One alert rule; the values live in a struct alert_rule. */
static const struct key conf_alert_keys[] = {
	{ "name", K_ALERT_NAME, RULE(name), 1, ALERT_NAME_MAX, NULL },
	{ "kind", K_ALERT_KIND, RULE(kind), 0, 0, NULL },
	{ "port", K_PORT, RULE(port), 1, 65535, NULL },
	{ "threshold", K_U32, RULE(threshold), 0, 1000000000, NULL },
	{ "window", K_U32, RULE(window_s), 1, ALERT_WINDOW_MAX, NULL },
	{ "recover", K_U32, RULE(recover), 0, 1000000000, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

/* Keys every output has. */
#define OUT_COMMON_KEYS                                                    \
	{ "enabled", K_BOOL, OUT(enabled), 0, 1, NULL },                   \
	{ "events", K_EVENTS, OUT(event_mask), 0, 0, NULL },               \
	{ "rate_limit", K_U32, OUT(rate_limit), 0, 10000000, NULL },       \
	{ "rate_interval", K_U32, OUT(rate_interval_s), 1, 86400, NULL }

static const struct key conf_journal_keys[] = {
	OUT_COMMON_KEYS,
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct key conf_syslog_keys[] = {
	OUT_COMMON_KEYS,
	{ "facility", K_NAMED, OUT(facility), 0, 0, &conf_facility },
	{ "ident", K_STR, OUT(ident), 1, sizeof(((struct out_config *)0)->ident) - 1, NULL },
	{ "format", K_NAMED, OUT(format), 0, 0, &conf_syslog_format },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct key conf_file_keys[] = {
	OUT_COMMON_KEYS,
	{ "path", K_STR, OUT(path), 1, sizeof(((struct out_config *)0)->path) - 1, NULL },
	{ "format", K_NAMED, OUT(format), 0, 0, &conf_file_format },
	{ "max_size_mb", K_MB, OUT(max_size_bytes), 0, 1048576, NULL },
	{ "keep", K_U32, OUT(keep), 0, 1000, NULL },
	{ "mode", K_MODE, OUT(mode), 0, 0777, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct key conf_outputs_keys[] = {
	{ "journal", K_GROUP, OUTBASE(OUT_JOURNAL), 0, 0, conf_journal_keys },
	{ "syslog", K_GROUP, OUTBASE(OUT_SYSLOG), 0, 0, conf_syslog_keys },
	{ "file", K_GROUP, OUTBASE(OUT_FILE), 0, 0, conf_file_keys },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct key conf_top_keys[] = {
	{ "events", K_EVENTS, CFG(tracking.event_mask), 0, 0, NULL },
	{ "capture", K_GROUP, 0, 0, 0, conf_capture_keys },
	{ "tracking", K_GROUP, 0, 0, 0, conf_tracking_keys },
	{ "daemon", K_GROUP, 0, 0, 0, conf_daemon_keys },
	{ "outputs", K_GROUP, 0, 0, 0, conf_outputs_keys },
	{ "metrics", K_GROUP, 0, 0, 0, conf_metrics_keys },
	{ "alerts", K_ALERTS, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};


void
conf_defaults(struct config *c)
{
	struct out_config *o;
	int k;

	memset(c, 0, sizeof(*c));
	strcpy(c->interface, "any");
	c->snaplen = 160;
	c->buffer_size_kb = 8192;
	tracker_config_default(&c->tracking);
	c->tracking.max_flows = TRACKER_MAX_FLOWS_DEFAULT;
	c->tracking.timeout_syn_s = TRACKER_TIMEOUT_SYN_S;
	c->tracking.timeout_established_s = TRACKER_TIMEOUT_ESTABLISHED_S;
	c->tracking.timeout_closing_s = TRACKER_TIMEOUT_CLOSING_S;
	c->tracking.timeout_time_wait_s = TRACKER_TIMEOUT_TIME_WAIT_S;
	c->tracking.event_mask = TEV_MASK_DEFAULT;
	c->tracking.update_interval_s = CONF_UPDATE_INTERVAL_S;
	c->close_on_shutdown = 1;
	c->stats_interval_s = 300;
	c->control = 1;
	c->metrics_interval_s = CONF_METRICS_INTERVAL_S;

	for (k = 0; k < OUT_NKINDS; k++) {
		o = &c->out[k];
		o->event_mask = TEV_BIT(TEV_RST) | TEV_BIT(TEV_CLOSED);
		o->rate_limit = 1000;
		o->rate_interval_s = 10;
		o->format = FMT_TEXT;
		o->mode = 0640;
		o->facility = LOG_DAEMON;
		strcpy(o->ident, "tcpstated");
	}
	c->out[OUT_JOURNAL].enabled = 1;
	c->out[OUT_SYSLOG].format = FMT_KV;
	o = &c->out[OUT_FILE];
	o->enabled = 1;
	o->event_mask = TEV_MASK_DEFAULT;
	o->rate_limit = 0;
	o->format = FMT_JSON;
	strcpy(o->path, "/var/log/tcpstated/events.json");
	o->max_size_bytes = 100ULL * 1024 * 1024;
	o->keep = 5;
}

/* Bytes s takes once control characters are written as \xNN. */
static size_t
conf_escaped_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += (unsigned char)*s < 0x20 || *s == 0x7f ? 4 : 1;
	return n;
}

/*
 * Copy s to dst with control characters as \xNN: values quoted from the
 * file must neither break an error into several lines nor reach a terminal
 * raw. Returns the bytes written (no NUL).
 */
static size_t
conf_escape(char *dst, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[(unsigned char)*s >> 4];
			dst[n++] = hex[*s & 15];
		} else
			dst[n++] = *s;
	}
	return n;
}

/* Append one "file:line: message" line; line 0 means the file as a whole. */
static void __attribute__((format(printf, 4, 5)))
conf_error(struct conf_load *cl, const char *file, unsigned line, const char *fmt, ...)
{
	static const char more[] = ": ... more errors\n";
	struct conf_errs *e = &cl->errs;
	char text[4800];
	size_t hl, need, tail;
	va_list ap;

	e->n++;
	if (e->full || e->cap == 0)
		return;
	if (line > 0)
		snprintf(text, sizeof(text), "%s:%u: ", file, line);
	else
		snprintf(text, sizeof(text), "%s: ", file);
	hl = strlen(text);
	va_start(ap, fmt);
	vsnprintf(text + hl, sizeof(text) - hl, fmt, ap);
	va_end(ap);
	need = conf_escaped_len(text) + 1;
	/* Always keep room for a last "... more errors" line: no line is ever cut. */
	tail = conf_escaped_len(cl->path) + sizeof(more) - 1;
	if (e->len + need + tail + 1 > e->cap) {
		e->full = 1;
		if (e->len + tail + 1 <= e->cap) {
			e->len += conf_escape(e->buf + e->len, cl->path);
			memcpy(e->buf + e->len, more, sizeof(more));
			e->len += sizeof(more) - 1;
		}
		return;
	}
	if (e->n <= CONF_MAX_SORTED) {
		e->start[e->n - 1] = e->len;
		e->key[e->n - 1] = (uint64_t)(strcmp(file, cl->path) != 0) << 32 | line;
	}
	e->len += conf_escape(e->buf + e->len, text);
	e->buf[e->len++] = '\n';
	e->buf[e->len] = '\0';
}

/*
 * The pre-scan, libconfig and the walk find errors in different orders: put
 * them in the order of the file (a stable sort, so one line's errors keep
 * theirs). Left as found if there are too many to sort or memory is short.
 */
static void
conf_sort_errors(struct conf_errs *e)
{
	size_t order[CONF_MAX_SORTED], i, j, len, o;
	char *copy;
	int n = e->n;

	if (n < 2 || n > CONF_MAX_SORTED || e->full)
		return;
	for (i = 0; i < (size_t)n; i++) {
		for (j = i; j > 0 && e->key[order[j - 1]] > e->key[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	copy = malloc(e->len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, e->buf, e->len + 1);
	for (i = 0, o = 0; i < (size_t)n; i++) {
		j = order[i];
		len = (j + 1 < (size_t)n ? e->start[j + 1] : e->len) - e->start[j];
		memcpy(e->buf + o, copy + e->start[j], len);
		o += len;
	}
	free(copy);
}

/* The file a setting came from (an @include'd one, perhaps). */
static const char *
conf_file_of(struct conf_load *cl, const config_setting_t *s)
{
	const char *f = config_setting_source_file(s);

	return f != NULL ? f : cl->path;
}

/*
 * Was integer setting s one of the literals the pre-scan already reported?
 * Its value is what libconfig made of the literal, which may sit on a later
 * line than the setting's name.
 */
static int
conf_int_is_bad(struct conf_load *cl, const config_setting_t *s)
{
	unsigned line = config_setting_source_line(s);
	long long v = config_setting_get_int64(s);
	int i;

	if (strcmp(conf_file_of(cl, s), cl->path) != 0)
		return 0;
	for (i = 0; i < cl->bad.n; i++)
		if (cl->bad.value[i] == v && line <= cl->bad.line[i])
			return 1;
	return 0;
}

/*
 * Read a whole regular file of at most CONF_MAX_BYTES into a NUL-terminated
 * buffer. Returns NULL after reporting why (missing, a directory, a device,
 * too large, unreadable).
 */
static char *
conf_slurp(struct conf_load *cl, const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO given as a config must not hang -t. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		conf_error(cl, path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		conf_error(cl, path, 0, "cannot stat: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		conf_error(cl, path, 0, "is a directory, not a config file");
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_error(cl, path, 0, "not a regular file");
		close(fd);
		return NULL;
	}
	if (st.st_size > CONF_MAX_BYTES) {
		conf_error(cl, path, 0, "file too large (%jd bytes, at most %d)",
		    (intmax_t)st.st_size, CONF_MAX_BYTES);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		conf_error(cl, path, 0, "out of memory");
		close(fd);
		return NULL;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_error(cl, path, 0, "cannot read: %s", strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/*
 * Check one integer literal [s, e) found at line: libconfig 1.5 converts it
 * with atoi() (atoll() with the L suffix, strtoul() for hex), keeping only the
 * low 32 bits of a larger value without a word: 4294967312 becomes 16.
 */
static void
conf_prescan_int(struct conf_load *cl, const char *path, unsigned line, const char *s,
    const char *e)
{
	const char *p = s;
	int is64 = e > s && e[-1] == 'L', neg = 0, hex;
	unsigned long long v;
	long long seen;
	char *end;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	errno = 0;
	v = strtoull(p, &end, hex ? 16 : 10);
	if (end != e - is64)
		return; /* not an integer literal: libconfig reports the syntax error */
	if (errno != ERANGE &&
	    v <= (is64 ? (unsigned long long)INT64_MAX : (unsigned long long)INT32_MAX) + neg)
		return;
	conf_error(cl, path, line, "integer %.*s is too large", (int)(e - s < 40 ? e - s : 40), s);
	if (path != cl->path || cl->bad.n == CONF_MAX_BADLINES)
		return;
	/* What libconfig made of it, as the walk will see it. */
	if (is64)
		seen = strtoll(s, NULL, hex ? 16 : 10);
	else if (hex)
		seen = (int)strtoul(s, NULL, 16);
	else
		seen = (int)strtol(s, NULL, 10);
	cl->bad.line[cl->bad.n] = line;
	cl->bad.value[cl->bad.n++] = seen;
}

static int conf_prescan(struct conf_load *cl, const char *path, int depth);

/*
 * @include "file" in [q, e) at line of path: scan the included file too.
 * libconfig 1.5 resolves the name as given (relative to the working
 * directory); so does this.
 */
static int
conf_prescan_include(struct conf_load *cl, const char *path, unsigned line, const char *q,
    const char *e, int depth)
{
	const char *a, *b = NULL;
	char inc[4096];
	int fd;

	a = memchr(q, '"', (size_t)(e - q));
	if (a != NULL)
		b = memchr(a + 1, '"', (size_t)(e - a - 1));
	if (a == NULL || b == NULL || (size_t)(b - a) >= sizeof(inc))
		return 0; /* libconfig reports the syntax error */
	memcpy(inc, a + 1, (size_t)(b - a - 1));
	inc[b - a - 1] = '\0';
	if (depth >= CONF_MAX_INCLUDE_DEPTH) {
		conf_error(cl, path, line, "@include \"%s\": nested too deeply", inc);
		return -1;
	}
	fd = open(inc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		conf_error(cl, path, line, "@include \"%s\": %s", inc, strerror(errno));
		return -1;
	}
	close(fd);
	return conf_prescan(cl, inc, depth + 1);
}

/*
 * A lexical pass over path before libconfig sees it: reject binary files and
 * integer literals libconfig would silently truncate, and follow @include.
 * Only what libconfig's own lexer treats as tokens is looked at: comments and
 * strings are skipped, names may contain digits. Returns -1 when the file (or
 * an included one) cannot be read or is not text: parsing it is pointless.
 */
static int
conf_prescan(struct conf_load *cl, const char *path, int depth)
{
	char *buf, *p, *end, *q;
	unsigned line = 1;
	size_t len;
	int rc = 0;

	buf = conf_slurp(cl, path, &len);
	if (buf == NULL)
		return -1;
	if (memchr(buf, '\0', len) != NULL) {
		for (p = buf; *p != '\0'; p++)
			line += *p == '\n';
		conf_error(cl, path, line, "binary data (a NUL byte): not a config file");
		free(buf);
		return -1;
	}
	p = buf;
	end = buf + len;
	while (p < end) {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (p < end && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; p < end && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			p = p < end ? p + 2 : end;
		} else if (*p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				line += *p == '\n';
			}
			p = p < end ? p + 1 : end;
		} else if (*p == '@') {
			q = p;
			while (p < end && *p != '\n')
				p++;
			if (strncmp(q, "@include", 8) == 0 &&
			    conf_prescan_include(cl, path, line, q, p, depth) == -1)
				rc = -1;
		} else if (isalpha((unsigned char)*p) || *p == '*') {
			while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '_' ||
			    *p == '*'))
				p++;
		} else if (isdigit((unsigned char)*p) ||
		    ((*p == '-' || *p == '+') && p + 1 < end && isdigit((unsigned char)p[1]))) {
			q = p++;
			while (p < end && (isalnum((unsigned char)*p) || *p == '.' ||
			    ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E') &&
			    !(q[0] == '0' && (q[1] == 'x' || q[1] == 'X')))))
				p++;
			if (memchr(q, '.', (size_t)(p - q)) == NULL &&
			    ((q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) ||
			    (memchr(q, 'e', (size_t)(p - q)) == NULL &&
			    memchr(q, 'E', (size_t)(p - q)) == NULL)))
				conf_prescan_int(cl, path, line, q, p);
		} else
			p++;
	}
	free(buf);
	return rc;
}

static const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "nothing";
}

/* Levenshtein distance of two short names, to suggest the key that was meant. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, up;
	size_t row[64];

	if (la >= sizeof(row) / sizeof(row[0]) || lb >= sizeof(row) / sizeof(row[0]))
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			cur = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			row[j] = cur;
			prev = up;
		}
	}
	return row[lb];
}

static void
conf_unknown(struct conf_load *cl, const config_setting_t *s, const char *prefix,
    const struct key *tab)
{
	const char *name = config_setting_name(s), *best = NULL;
	size_t d, bestd = 3;
	const struct key *k;

	for (k = tab; k->name != NULL; k++) {
		d = conf_distance(name, k->name);
		/* "promisc" for "promiscuous": a prefix counts as close. */
		if (strlen(name) >= 4 && strncmp(k->name, name, strlen(name)) == 0)
			d = 1;
		if (d < bestd) {
			bestd = d;
			best = k->name;
		}
	}
	if (best != NULL)
		conf_error(cl, conf_file_of(cl, s), config_setting_source_line(s),
		    "unknown setting \"%s%s\" (did you mean \"%s%s\"?)", prefix, name, prefix,
		    best);
	else
		conf_error(cl, conf_file_of(cl, s), config_setting_source_line(s),
		    "unknown setting \"%s%s\"", prefix, name);
}

/* A helper for every per-setting message: file, line, the full dotted name. */
#define SETERR(s, fmt, ...)                                                   \
	conf_error(cl, conf_file_of(cl, s), config_setting_source_line(s), "%s%s: " fmt, \
	    prefix, config_setting_name(s), __VA_ARGS__)

static int
conf_get_int(struct conf_load *cl, const config_setting_t *s, const char *prefix,
    long long *v)
{
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		SETERR(s, "expected an integer, got %s", conf_type_name(t));
		return -1;
	}
	*v = config_setting_get_int64(s);
	if (conf_int_is_bad(cl, s))
		return -1;
	return 0;
}

static int
conf_get_string(struct conf_load *cl, const config_setting_t *s, const char *prefix,
    const char **v)
{
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_STRING) {
		SETERR(s, "expected a string, got %s", conf_type_name(t));
		return -1;
	}
	*v = config_setting_get_string(s);
	return 0;
}

/* An events list: [ "RST", "CLOSED" ]; every name must be an event type. */
static void
conf_events(struct conf_load *cl, const config_setting_t *s, const char *prefix, uint32_t *mask)
{
	const config_setting_t *e;
	uint32_t m = 0;
	int i, t, bad = 0;
	const char *name;
	char known[256];
	size_t len;

	t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		SETERR(s, "expected a list of event names such as [ \"RST\", \"CLOSED\" ], got %s",
		    conf_type_name(t));
		return;
	}
	for (i = 0; i < config_setting_length(s); i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			SETERR(s, "element %d: expected an event name, got %s", i + 1,
			    conf_type_name(config_setting_type(e)));
			bad = 1;
			continue;
		}
		name = config_setting_get_string(e);
		t = event_type_from_name(name);
		if (t < 0 || t >= TEV_NTYPES || event_types[t].internal) {
			for (t = 0, len = 0; t < TEV_NTYPES && len < sizeof(known); t++)
				if (!event_types[t].internal)
					len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s",
					    len == 0 ? "" : ", ", event_types[t].name);
			SETERR(s, "unknown event \"%s\" (known: %s)", name, known);
			bad = 1;
			continue;
		}
		m |= TEV_BIT(t);
	}
	if (!bad)
		*mask = m;
}

static void
conf_ports(struct conf_load *cl, const config_setting_t *s, const char *prefix,
    struct config *c, const struct key *k)
{
	const config_setting_t *e;
	uint16_t ports[CONF_MAX_PORTS];
	size_t n = 0, j;
	int i, t, len, bad = 0;
	long long v;

	t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		SETERR(s, "expected a list of ports such as [ 80, 443 ], got %s",
		    conf_type_name(t));
		return;
	}
	len = config_setting_length(s);
	if (len > CONF_MAX_PORTS) {
		SETERR(s, "%d ports, at most %d (use filter for more)", len, CONF_MAX_PORTS);
		return;
	}
	for (i = 0; i < len; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		t = config_setting_type(e);
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
			SETERR(s, "element %d: expected a port number, got %s", i + 1,
			    conf_type_name(t));
			bad = 1;
			continue;
		}
		if (conf_int_is_bad(cl, e)) {
			bad = 1;
			continue;
		}
		v = config_setting_get_int64(e);
		if (v < (long long)k->min || v > (long long)k->max) {
			SETERR(s, "port %lld is out of range (%" PRIu64 "..%" PRIu64 ")", v, k->min,
			    k->max);
			bad = 1;
			continue;
		}
		for (j = 0; j < n && ports[j] != v; j++)
			;
		if (j == n) /* a port listed twice is harmless: keep one */
			ports[n++] = (uint16_t)v;
	}
	if (bad)
		return;
	memcpy(c->ports, ports, n * sizeof(ports[0]));
	c->nports = n;
}

/* A pcap-filter(7) expression: it must compile (for Ethernet). */
static void
conf_filter(struct conf_load *cl, const config_setting_t *s, const char *prefix, char *dst,
    size_t cap)
{
	char why[PCAP_ERRBUF_SIZE];
	const char *v;

	if (conf_get_string(cl, s, prefix, &v) == -1)
		return;
	if (strlen(v) >= cap) {
		SETERR(s, "longer than %zu characters", cap - 1);
		return;
	}
	if (conf_escaped_len(v) != strlen(v)) {
		SETERR(s, "%s", "contains a control character (write whitespace as spaces)");
		return;
	}
	if (*v != '\0' && capture_filter_check(v, why, sizeof(why)) == -1) {
		SETERR(s, "bad filter \"%s\": %s", v, why);
		return;
	}
	memcpy(dst, v, strlen(v) + 1);
}

static void conf_walk(struct conf_load *cl, const config_setting_t *g, const char *prefix,
    const struct key *tab, struct config *c, char *base);

/*
 * alerts = ( { name = "pg-refused"; kind = "refused"; port = 5432;
 * threshold = 20; window = 60; }, ... ): each rule a group; name, kind and
 * threshold required, names unique, recover (default: the threshold) not
 * above the threshold. The rules are only taken when all of them are good.
 */
static void
conf_alerts(struct conf_load *cl, const config_setting_t *s, const char *prefix,
    struct config *c)
{
	static const char *const required[] = { "name", "kind", "threshold" };
	struct alert_rule rules[ALERT_MAX_RULES];
	const config_setting_t *e, *m;
	char sub[64];
	int i, j, n, t, errs = cl->errs.n;
	size_t q;

	t = config_setting_type(s);
	if (t != CONFIG_TYPE_LIST) {
		SETERR(s, "expected a list of rules such as ( { name = \"pg-refused\"; "
		    "kind = \"refused\"; port = 5432; threshold = 20; window = 60; } ), got %s",
		    conf_type_name(t));
		return;
	}
	n = config_setting_length(s);
	if (n > ALERT_MAX_RULES) {
		SETERR(s, "%d rules, at most %d", n, ALERT_MAX_RULES);
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		memset(&rules[i], 0, sizeof(rules[i]));
		rules[i].window_s = CONF_ALERT_WINDOW_S;
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			conf_error(cl, conf_file_of(cl, e), config_setting_source_line(e),
			    "%salerts[%d]: expected a group { name = ...; kind = ...; threshold = ...; }, "
			    "got %s", prefix, i + 1, conf_type_name(config_setting_type(e)));
			continue;
		}
		snprintf(sub, sizeof(sub), "%salerts[%d].", prefix, i + 1);
		conf_walk(cl, e, sub, conf_alert_keys, c, (char *)&rules[i]);
		for (q = 0; q < sizeof(required) / sizeof(required[0]); q++)
			if (config_setting_get_member(e, required[q]) == NULL)
				conf_error(cl, conf_file_of(cl, e), config_setting_source_line(e),
				    "%salerts[%d]: no %s (every rule needs a name, a kind and a "
				    "threshold)", prefix, i + 1, required[q]);
		if ((m = config_setting_get_member(e, "recover")) == NULL)
			rules[i].recover = rules[i].threshold;
		else if (rules[i].recover > rules[i].threshold)
			conf_error(cl, conf_file_of(cl, m), config_setting_source_line(m),
			    "%salerts[%d].recover: %u is above the threshold (%u)", prefix, i + 1,
			    rules[i].recover, rules[i].threshold);
		for (j = 0; j < i && rules[i].name[0] != '\0'; j++)
			if (strcmp(rules[j].name, rules[i].name) == 0)
				conf_error(cl, conf_file_of(cl, e), config_setting_source_line(e),
				    "%salerts[%d].name: \"%s\" is the name of alerts[%d] too", prefix,
				    i + 1, rules[i].name, j + 1);
	}
	if (cl->errs.n != errs)
		return;
	memcpy(c->alerts, rules, (size_t)n * sizeof(rules[0]));
	c->nalerts = (size_t)n;
}

/* "rst, rst_client, ... or abnormal": every alert kind, for an error message. */
static void
conf_alert_kinds(char *buf, size_t cap)
{
	struct alert_kind k, next;
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; alert_kind_nth(i, &k) == 0 && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
		    i == 0 ? "" : alert_kind_nth(i + 1, &next) == 0 ? ", " : " or ", alert_kind_name(k));
}

/* Check and store one leaf setting s described by k at dst. */
static void
conf_value(struct conf_load *cl, const config_setting_t *s, const char *prefix,
    const struct key *k, struct config *c, char *dst)
{
	const struct conf_names *names;
	struct alert_kind kind;
	char kinds[256];
	const char *v;
	long long n;
	size_t i, len;
	char *end;
	unsigned long m;

	switch (k->kind) {
	case K_GROUP:
		break; /* handled by conf_walk */
	case K_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			SETERR(s, "expected true or false, got %s",
			    conf_type_name(config_setting_type(s)));
			return;
		}
		*(int *)(void *)dst = config_setting_get_bool(s) ? 1 : 0;
		break;
	case K_U32:
	case K_MB:
		if (conf_get_int(cl, s, prefix, &n) == -1)
			return;
		if (n < (long long)k->min || n > (long long)k->max) {
			SETERR(s, "%lld is out of range (%" PRIu64 "..%" PRIu64 ")", n, k->min,
			    k->max);
			return;
		}
		if (k->kind == K_MB)
			*(uint64_t *)(void *)dst = (uint64_t)n * 1024 * 1024;
		else
			*(uint32_t *)(void *)dst = (uint32_t)n;
		break;
	case K_FILTER:
		conf_filter(cl, s, prefix, dst, (size_t)k->max + 1);
		break;
	case K_EVENTS:
		conf_events(cl, s, prefix, (uint32_t *)(void *)dst);
		break;
	case K_PORTS:
		conf_ports(cl, s, prefix, c, k);
		break;
	case K_NAMED:
		if (conf_get_string(cl, s, prefix, &v) == -1)
			return;
		names = k->arg;
		for (i = 0; i < names->n; i++)
			if (strcmp(v, names->v[i].name) == 0)
				break;
		if (i == names->n) {
			SETERR(s, "unknown %s \"%s\" (%s)", names->what, v, names->hint);
			return;
		}
		*(int *)(void *)dst = names->v[i].value;
		break;
	case K_U32_OFF:
		if (conf_get_int(cl, s, prefix, &n) == -1)
			return;
		if (n != 0 && (n < (long long)k->min || n > (long long)k->max)) {
			SETERR(s, "%lld is out of range (0 = off, or %" PRIu64 "..%" PRIu64 ")", n,
			    k->min, k->max);
			return;
		}
		*(uint32_t *)(void *)dst = (uint32_t)n;
		break;
	case K_PORT:
		if (conf_get_int(cl, s, prefix, &n) == -1)
			return;
		if (n < (long long)k->min || n > (long long)k->max) {
			SETERR(s, "port %lld is out of range (%" PRIu64 "..%" PRIu64 ")", n, k->min,
			    k->max);
			return;
		}
		*(uint16_t *)(void *)dst = (uint16_t)n;
		break;
	case K_STR:
	case K_USER:
	case K_PATH:
	case K_ALERT_NAME:
		if (conf_get_string(cl, s, prefix, &v) == -1)
			return;
		len = strlen(v);
		if (len < k->min) {
			SETERR(s, "%s", "must not be empty");
			return;
		}
		if (len > k->max) {
			SETERR(s, "longer than %" PRIu64 " characters", k->max);
			return;
		}
		for (i = 0; i < len; i++) {
			if (iscntrl((unsigned char)v[i])) {
				SETERR(s, "%s", "contains a control character");
				return;
			}
			if (k->kind == K_ALERT_NAME && !isalnum((unsigned char)v[i]) &&
			    strchr("_-.", v[i]) == NULL) {
				SETERR(s, "\"%s\": a name holds only letters, digits, '_', '-' and '.'",
				    v);
				return;
			}
		}
		if (k->kind == K_USER && len > 0 && getpwnam(v) == NULL) {
			SETERR(s, "no such user \"%s\"", v);
			return;
		}
		if (k->kind == K_PATH && len > 0 && v[0] != '/') {
			SETERR(s, "\"%s\" is not an absolute path (\"\" turns it off)", v);
			return;
		}
		if (k->kind == K_PATH && len > 0 && v[len - 1] == '/') {
			SETERR(s, "\"%s\" names a directory; give the file, such as "
			    "\"/var/lib/tcpstated/tcpstated.prom\"", v);
			return;
		}
		memcpy(dst, v, len + 1);
		break;
	case K_ALERT_KIND:
		if (conf_get_string(cl, s, prefix, &v) == -1)
			return;
		if (alert_kind_from_name(v, &kind) == -1) {
			conf_alert_kinds(kinds, sizeof(kinds));
			SETERR(s, "unknown kind \"%s\" (%s)", v, kinds);
			return;
		}
		*(struct alert_kind *)(void *)dst = kind;
		break;
	case K_ALERTS:
		conf_alerts(cl, s, prefix, c);
		break;
	case K_MODE:
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			SETERR(s, "expected an octal string such as \"0640\", got %s",
			    conf_type_name(config_setting_type(s)));
			return;
		}
		v = config_setting_get_string(s);
		errno = 0;
		m = strtoul(v, &end, 8);
		if (*v == '\0' || *end != '\0' || errno != 0 || strspn(v, "01234567") != strlen(v) ||
		    m > k->max) {
			SETERR(s, "bad mode \"%s\" (an octal string such as \"0640\")", v);
			return;
		}
		*(uint32_t *)(void *)dst = (uint32_t)m;
		break;
	}
}

/* Check every member of group g against tab; values live at base. */
static void
conf_walk(struct conf_load *cl, const config_setting_t *g, const char *prefix,
    const struct key *tab, struct config *c, char *base)
{
	const config_setting_t *s;
	const struct key *k;
	const char *name;
	char sub[256];
	int i;

	for (i = 0; i < config_setting_length(g); i++) {
		s = config_setting_get_elem(g, (unsigned)i);
		name = config_setting_name(s);
		for (k = tab; k->name != NULL; k++)
			if (strcmp(k->name, name) == 0)
				break;
		if (k->name == NULL) {
			conf_unknown(cl, s, prefix, tab);
			continue;
		}
		if (k->kind != K_GROUP) {
			conf_value(cl, s, prefix, k, c, base + k->off);
			continue;
		}
		if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
			SETERR(s, "expected a group { ... }, got %s",
			    conf_type_name(config_setting_type(s)));
			continue;
		}
		snprintf(sub, sizeof(sub), "%s%s.", prefix, name);
		conf_walk(cl, s, sub, k->arg, c, base + k->off);
	}
}

int
conf_load(const char *path, struct config *c, char *err, size_t errlen)
{
	struct conf_load cl;
	struct config *n;
	config_t cf;
	const char *f;

	memset(&cl, 0, sizeof(cl));
	cl.path = path;
	cl.errs.buf = err;
	cl.errs.cap = errlen;
	if (errlen > 0)
		err[0] = '\0';

	if (conf_prescan(&cl, path, 0) == -1)
		return -1; /* unreadable or not text: libconfig would only add noise */

	n = malloc(sizeof(*n));
	if (n == NULL) {
		conf_error(&cl, path, 0, "out of memory");
		return -1;
	}
	*n = *c;
	config_init(&cf);
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		f = config_error_file(&cf);
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO && f == NULL)
			conf_error(&cl, path, 0, "cannot read: %s", config_error_text(&cf));
		else
			conf_error(&cl, f != NULL ? f : path, (unsigned)config_error_line(&cf), "%s",
			    config_error_text(&cf));
	} else {
		conf_walk(&cl, config_root_setting(&cf), "", conf_top_keys, n, (char *)n);
	}
	config_destroy(&cf);
	if (cl.errs.n > 0) {
		conf_sort_errors(&cl.errs);
		free(n);
		return -1;
	}
	snprintf(n->path, sizeof(n->path), "%s", path);
	*c = *n;
	free(n);
	return 0;
}
