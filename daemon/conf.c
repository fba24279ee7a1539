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
#include <strings.h>
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
	K_PORTS,      /* the struct capture_config at base: ports/nports */
	K_UDP_PORTS,  /* struct capture_udp_ports; def: the one port by default */
	K_NAMED,      /* int (or an enum): one of the names in names */
	K_MODE,       /* uint32_t, an octal string such as "0640" */
	K_FILTER,     /* char[max + 1], must compile as a pcap filter */
	K_USER,       /* char[max + 1], must name an existing user */
	K_U32_OFF,    /* uint32_t: 0 (off) or min..max */
	K_PATH,       /* char[max + 1]: "" (off) or an absolute file name */
	K_PORT,       /* uint16_t in min..max */
	K_TOKEN,      /* char[max + 1] of [A-Za-z0-9_.-], at least min characters */
	K_ALERT_KIND, /* struct alert_kind */
	K_ALERTS,     /* the list of alert rules: struct config alerts/nalerts */
	K_WORKERS     /* uint32_t in min..max, or the string "auto" (stored as 0) */
};

/*
 * One allowed key. The value lives at (base + off) where base is where the
 * enclosing group's values live; a group's off moves the base for its
 * members. def is the default of the numeric kinds (K_MB in MiB, K_EVENTS a
 * mask), defstr that of the string kinds and K_NAMED; nodef says the key has
 * none (it is required, or derived from another).
 */
struct key {
	const char *name;
	enum key_kind kind;
	size_t off;
	uint64_t min, max;
	const void *arg; /* K_GROUP, K_ALERTS: the members, a struct key[]; K_NAMED: a struct conf_names */
	uint64_t def;
	const char *defstr;
	int nodef;
	const char *doc; /* one line, for conf_keys() */
	/* K_GROUP: what its members must agree on, checked once they are read */
	void (*check)(struct conf_load *cl, const config_setting_t *g, const char *prefix,
	    const char *base);
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
#define CAP(m) offsetof(struct capture_config, m)
#define TRK(m) offsetof(struct tracker_config, m)
#define DMN(m) offsetof(struct daemon_config, m)
#define MET(m) offsetof(struct metrics_config, m)
#define OUT(m) offsetof(struct out_config, m)
#define OUTBASE(k) (offsetof(struct config, out) + (k) * sizeof(struct out_config))
#define RULE(m) offsetof(struct alert_rule, m)
#define SIZE(t, m) (sizeof(((struct t *)0)->m) - 1) /* the characters a string member holds */
#define NOLIMIT 1000000000
#define YEAR_S 31536000

/*
 * The key table, as tmux's options-table.c: every key of the file with its
 * kind, range, default and one line of documentation. conf_defaults() and
 * conf_load() read it, conf_keys() shows it, and t_conf_table.sh holds the
 * commented conf/tcpstated.conf and tcpstated.conf(5) to it.
 */
static void conf_tunnels_check(struct conf_load *cl, const config_setting_t *g,
    const char *prefix, const char *base);

#define TUN(m) offsetof(struct capture_tunnels, m)
#define TUNNEL_UDP(name_, type, port, what)                                                  \
	{ .name = name_, .kind = K_UDP_PORTS, .off = TUN(udp[type]), .min = 1,                 \
	  .max = 65535, .def = (port), .doc = "the UDP ports of " what ", [ ] for off" }

static const struct key conf_tunnel_keys[] = {
	TUNNEL_UDP("vxlan", TUN_VXLAN, DECODE_PORT_VXLAN, "VXLAN"),
	TUNNEL_UDP("geneve", TUN_GENEVE, DECODE_PORT_GENEVE, "Geneve"),
	TUNNEL_UDP("teredo", TUN_TEREDO, DECODE_PORT_TEREDO, "Teredo (IPv6 in UDP)"),
	TUNNEL_UDP("gtpu", TUN_GTPU, DECODE_PORT_GTPU, "GTP-U"),
	{ .name = "gre", .kind = K_BOOL, .off = TUN(gre), .max = 1, .def = 1,
	  .doc = "decode GRE (IP protocol 47) and the ERSPAN inside it" },
	{ .name = "ipip", .kind = K_BOOL, .off = TUN(ipip), .max = 1, .def = 1,
	  .doc = "decode IP in IP and IPv6 in IP (IP protocols 4 and 41)" },
	{ .name = NULL }
};

static const struct key conf_capture_keys[] = {
	{ .name = "interface", .kind = K_STR, .off = CAP(interface), .min = 1, .max = 15,
	  .defstr = "any", .doc = "the interface to capture on, \"any\" for every one (-i)" },
	{ .name = "ports", .kind = K_PORTS, .min = 1, .max = 65535,
	  .doc = "the TCP ports to capture, [ ] for every port (-p)" },
	{ .name = "filter", .kind = K_FILTER, .off = CAP(filter), .max = SIZE(capture_config, filter),
	  .defstr = "", .doc = "a pcap-filter(7) expression used instead of ports (-F)" },
	{ .name = "snaplen", .kind = K_U32, .off = CAP(snaplen), .min = 64, .max = 262144,
	  .def = 160, .doc = "bytes captured per packet: the headers are enough" },
	{ .name = "buffer_size_kb", .kind = K_U32, .off = CAP(buffer_size_kb), .min = 64,
	  .max = 4194304, .def = 8192, .doc = "the kernel capture buffer in KiB" },
	{ .name = "promiscuous", .kind = K_BOOL, .off = CAP(promiscuous), .max = 1,
	  .doc = "also see traffic not addressed to this host (a mirror port)" },
	{ .name = "immediate", .kind = K_BOOL, .off = CAP(immediate), .max = 1,
	  .doc = "hand each packet over at once instead of in batches of up to 100 ms" },
	{ .name = "workers", .kind = K_WORKERS, .off = CAP(workers), .min = 1,
	  .max = CAPTURE_MAX_WORKERS, .def = 1,
	  .doc = "capture threads, each with its own share of the connections (\"auto\": one per CPU)" },
	{ .name = "tunnels", .kind = K_GROUP, .off = CAP(tunnels), .arg = conf_tunnel_keys,
	  .check = conf_tunnels_check },
	{ .name = NULL }
};

static const struct key conf_timeout_keys[] = {
	{ .name = "syn", .kind = K_U32, .off = TRK(timeout_syn_s), .min = 1, .max = YEAR_S,
	  .def = TRACKER_TIMEOUT_SYN_S, .doc = "seconds before an unfinished handshake is syn_timeout" },
	{ .name = "established", .kind = K_U32, .off = TRK(timeout_established_s), .min = 1,
	  .max = YEAR_S, .def = TRACKER_TIMEOUT_ESTABLISHED_S,
	  .doc = "seconds of silence before an established connection is idle_timeout" },
	{ .name = "closing", .kind = K_U32, .off = TRK(timeout_closing_s), .min = 1, .max = YEAR_S,
	  .def = TRACKER_TIMEOUT_CLOSING_S,
	  .doc = "seconds before a close that does not complete is closing_timeout" },
	{ .name = "half_closed", .kind = K_U32, .off = TRK(timeout_half_closed_s), .min = 1,
	  .max = YEAR_S, .def = TRACKER_TIMEOUT_HALF_CLOSED_S,
	  .doc = "seconds a half-closed connection (one FIN acknowledged) is kept before half_closed_timeout" },
	{ .name = "time_wait", .kind = K_U32, .off = TRK(timeout_time_wait_s), .min = 1,
	  .max = YEAR_S, .def = TRACKER_TIMEOUT_TIME_WAIT_S,
	  .doc = "seconds a TIME_WAIT endpoint is remembered" },
	{ .name = NULL }
};

static const struct key conf_tracking_keys[] = {
	{ .name = "max_flows", .kind = K_U32, .off = TRK(max_flows), .min = 16, .max = 67108864,
	  .def = TRACKER_MAX_FLOWS_DEFAULT,
	  .doc = "connections tracked at once, allocated at start (228 bytes each)" },
	{ .name = "update_interval", .kind = K_U32_OFF, .off = TRK(update_interval_s), .min = 10,
	  .max = YEAR_S, .def = 3600,
	  .doc = "seconds between two UPDATE records of a connection still open" },
	{ .name = "timeouts", .kind = K_GROUP, .arg = conf_timeout_keys },
	{ .name = NULL }
};

static const struct key conf_daemon_keys[] = {
	{ .name = "user", .kind = K_USER, .off = DMN(user), .max = SIZE(daemon_config, user),
	  .defstr = "", .doc = "the user to switch to after opening everything, \"\" to stay" },
	{ .name = "close_on_shutdown", .kind = K_BOOL, .off = DMN(close_on_shutdown), .max = 1,
	  .def = 1, .doc = "at stop, report every open connection as CLOSED shutdown" },
	{ .name = "stats_interval", .kind = K_U32, .off = DMN(stats_interval_s), .max = YEAR_S,
	  .def = 300, .doc = "seconds between two STATS records and counter lines, 0 = off" },
	{ .name = "control", .kind = K_BOOL, .off = DMN(control), .max = 1, .def = 1,
	  .doc = "serve tcpstated --flows and --stats on the control socket" },
	{ .name = NULL }
};

static const struct key conf_metrics_keys[] = {
	{ .name = "path", .kind = K_PATH, .off = MET(path), .max = SIZE(metrics_config, path),
	  .defstr = "", .doc = "the Prometheus textfile, \"\" = off" },
	{ .name = "interval", .kind = K_U32, .off = MET(interval_s), .min = 1, .max = 86400,
	  .def = 15, .doc = "seconds between two writes of the metrics file" },
	{ .name = NULL }
};

/* One alert rule; the values live in a struct alert_rule. */
static const struct key conf_alert_keys[] = {
	{ .name = "name", .kind = K_TOKEN, .off = RULE(name), .min = 1, .max = ALERT_NAME_MAX,
	  .nodef = 1, .doc = "the rule's name in its ALERT records (required)" },
	{ .name = "kind", .kind = K_ALERT_KIND, .off = RULE(kind), .nodef = 1,
	  .doc = "the kind of close the rule counts (required)" },
	{ .name = "port", .kind = K_PORT, .off = RULE(port), .min = 1, .max = 65535, .nodef = 1,
	  .doc = "the server port counted; every port when not given" },
	{ .name = "threshold", .kind = K_U32, .off = RULE(threshold), .max = NOLIMIT, .nodef = 1,
	  .doc = "closes within the window that fire the alert (required)" },
	{ .name = "window", .kind = K_U32, .off = RULE(window_s), .min = 1, .max = ALERT_WINDOW_MAX,
	  .def = 60, .doc = "seconds over which the closes are counted" },
	{ .name = "recover", .kind = K_U32, .off = RULE(recover), .max = NOLIMIT, .nodef = 1,
	  .doc = "the count at or below which it recovers; the threshold when not given" },
	{ .name = NULL }
};

/* Keys every output has, with that output's defaults. */
#define OUT_COMMON_KEYS(on, mask, limit)                                                       \
	{ .name = "enabled", .kind = K_BOOL, .off = OUT(enabled), .max = 1, .def = (on),         \
	  .doc = "whether this output is written" },                                             \
	{ .name = "events", .kind = K_EVENTS, .off = OUT(event_mask), .def = (mask),             \
	  .doc = "the event types it gets, among the top-level events" },                        \
	{ .name = "rate_limit", .kind = K_U32, .off = OUT(rate_limit), .max = 10000000,          \
	  .def = (limit), .doc = "records per rate_interval, 0 = no limit" },                    \
	{ .name = "rate_interval", .kind = K_U32, .off = OUT(rate_interval_s), .min = 1,         \
	  .max = 86400, .def = 10, .doc = "the seconds rate_limit counts over" }

#define OUT_ABNORMAL_EVENTS (TEV_BIT(TEV_RST) | TEV_BIT(TEV_CLOSED))

static const struct key conf_journal_keys[] = {
	OUT_COMMON_KEYS(1, OUT_ABNORMAL_EVENTS, 1000),
	{ .name = NULL }
};

static const struct key conf_syslog_keys[] = {
	OUT_COMMON_KEYS(0, OUT_ABNORMAL_EVENTS, 1000),
	{ .name = "facility", .kind = K_NAMED, .off = OUT(facility), .arg = &conf_facility,
	  .defstr = "daemon", .doc = "the syslog facility" },
	{ .name = "ident", .kind = K_TOKEN, .off = OUT(ident), .min = 1, .max = SIZE(out_config, ident),
	  .defstr = "tcpstated", .doc = "the program name of each message" },
	{ .name = "format", .kind = K_NAMED, .off = OUT(format), .arg = &conf_syslog_format,
	  .defstr = "kv", .doc = "the message body: key=value or @cee: JSON" },
	{ .name = NULL }
};

static const struct key conf_file_keys[] = {
	OUT_COMMON_KEYS(1, TEV_MASK_DEFAULT, 0),
	{ .name = "path", .kind = K_STR, .off = OUT(path), .min = 1, .max = SIZE(out_config, path),
	  .defstr = "/var/log/tcpstated/events.json", .doc = "the log file" },
	{ .name = "format", .kind = K_NAMED, .off = OUT(format), .arg = &conf_file_format,
	  .defstr = "json", .doc = "JSON Lines or text lines" },
	{ .name = "max_size_mb", .kind = K_MB, .off = OUT(max_size_bytes), .max = 1048576,
	  .def = 100, .doc = "rotate when the file would grow past this many MiB, 0 = never" },
	{ .name = "keep", .kind = K_U32, .off = OUT(keep), .max = 1000, .def = 5,
	  .doc = "rotated files kept" },
	{ .name = "mode", .kind = K_MODE, .off = OUT(mode), .max = 0777, .def = 0640,
	  .doc = "the permissions of a new file" },
	{ .name = NULL }
};

static const struct key conf_outputs_keys[] = {
	{ .name = "journal", .kind = K_GROUP, .off = OUTBASE(OUT_JOURNAL), .arg = conf_journal_keys },
	{ .name = "syslog", .kind = K_GROUP, .off = OUTBASE(OUT_SYSLOG), .arg = conf_syslog_keys },
	{ .name = "file", .kind = K_GROUP, .off = OUTBASE(OUT_FILE), .arg = conf_file_keys },
	{ .name = NULL }
};

static const struct key conf_top_keys[] = {
	{ .name = "events", .kind = K_EVENTS, .off = CFG(tracking.event_mask),
	  .def = TEV_MASK_DEFAULT, .doc = "the event types the tracker reports at all" },
	{ .name = "capture", .kind = K_GROUP, .off = CFG(capture), .arg = conf_capture_keys },
	{ .name = "tracking", .kind = K_GROUP, .off = CFG(tracking), .arg = conf_tracking_keys },
	{ .name = "daemon", .kind = K_GROUP, .off = CFG(daemon), .arg = conf_daemon_keys },
	{ .name = "outputs", .kind = K_GROUP, .arg = conf_outputs_keys },
	{ .name = "metrics", .kind = K_GROUP, .off = CFG(metrics), .arg = conf_metrics_keys },
	{ .name = "alerts", .kind = K_ALERTS, .arg = conf_alert_keys,
	  .doc = "alert rules, each a group of the keys alerts.*" },
	{ .name = NULL }
};

static void conf_default_walk(const struct key *tab, char *base);

/* Store k's default at dst; a key without one (nodef, ports, rules) keeps the zero. */
static void
conf_default(const struct key *k, char *dst)
{
	const struct conf_names *names;
	size_t i;

	if (k->nodef)
		return;
	switch (k->kind) {
	case K_GROUP:
		conf_default_walk(k->arg, dst);
		break;
	case K_BOOL:
		*(int *)(void *)dst = (int)k->def;
		break;
	case K_U32:
	case K_U32_OFF:
	case K_EVENTS:
	case K_MODE:
	case K_WORKERS:
		*(uint32_t *)(void *)dst = (uint32_t)k->def;
		break;
	case K_MB:
		*(uint64_t *)(void *)dst = k->def * 1024 * 1024;
		break;
	case K_PORT:
		*(uint16_t *)(void *)dst = (uint16_t)k->def;
		break;
	case K_STR:
	case K_USER:
	case K_PATH:
	case K_FILTER:
	case K_TOKEN:
		snprintf(dst, (size_t)k->max + 1, "%s", k->defstr != NULL ? k->defstr : "");
		break;
	case K_NAMED:
		names = k->arg;
		for (i = 0; i < names->n; i++)
			if (strcmp(k->defstr, names->v[i].name) == 0)
				*(int *)(void *)dst = names->v[i].value;
		break;
	case K_UDP_PORTS:
		((struct capture_udp_ports *)(void *)dst)->port[0] = (uint16_t)k->def;
		((struct capture_udp_ports *)(void *)dst)->n = 1;
		break;
	case K_PORTS:
	case K_ALERT_KIND:
	case K_ALERTS:
		break;
	}
}

static void
conf_default_walk(const struct key *tab, char *base)
{
	const struct key *k;

	for (k = tab; k->name != NULL; k++)
		conf_default(k, base + k->off);
}

void
conf_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	conf_default_walk(conf_top_keys, (char *)c);
}

/*
 * k as conf_keys() shows it: its default as the file writes it ("" when it
 * has none) and its range of values, as the errors and tcpstated.conf(5)
 * give it.
 */
static void
conf_describe(const struct key *k, char *def, size_t dcap, char *range, size_t rcap)
{
	size_t len;
	int t;

	def[0] = range[0] = '\0';
	switch (k->kind) {
	case K_GROUP:
		break;
	case K_BOOL:
		snprintf(def, dcap, "%s", k->def ? "true" : "false");
		snprintf(range, rcap, "true or false");
		break;
	case K_U32:
	case K_U32_OFF:
	case K_MB:
	case K_PORT:
	case K_WORKERS:
		snprintf(def, dcap, "%" PRIu64, k->def);
		snprintf(range, rcap, "%s%" PRIu64 "..%" PRIu64 "%s",
		    k->kind == K_U32_OFF ? "0 (off) or " : "", k->min, k->max,
		    k->kind == K_WORKERS ? " or \"auto\"" : "");
		break;
	case K_MODE:
		snprintf(def, dcap, "\"%04" PRIo64 "\"", k->def);
		snprintf(range, rcap, "an octal string up to \"%04" PRIo64 "\", not world-writable",
		    k->max);
		break;
	case K_STR:
	case K_TOKEN:
	case K_USER:
	case K_PATH:
	case K_FILTER:
	case K_NAMED:
		snprintf(def, dcap, "\"%s\"", k->defstr != NULL ? k->defstr : "");
		if (k->kind == K_NAMED)
			snprintf(range, rcap, "%s", ((const struct conf_names *)k->arg)->hint);
		else if (k->kind == K_USER)
			snprintf(range, rcap, "an existing user, or \"\"");
		else if (k->kind == K_PATH)
			snprintf(range, rcap, "an absolute path, or \"\"");
		else
			snprintf(range, rcap, "%" PRIu64 "..%" PRIu64 " %s", k->min,
			    k->max, k->kind == K_TOKEN ? "letters, digits, '_', '-' or '.'" : "characters");
		break;
	case K_EVENTS:
		len = (size_t)snprintf(def, dcap, "[");
		for (t = 0; t < TEV_NTYPES && len < dcap; t++)
			if (k->def & TEV_BIT(t))
				len += (size_t)snprintf(def + len, dcap - len, "%s \"%s\"",
				    len > 1 ? "," : "", event_type_name((enum event_type)t));
		if (len < dcap)
			snprintf(def + len, dcap - len, " ]");
		snprintf(range, rcap, "event types");
		break;
	case K_PORTS:
		snprintf(def, dcap, "[ ]");
		snprintf(range, rcap, "at most %d ports, each %" PRIu64 "..%" PRIu64, CAPTURE_MAX_PORTS,
		    k->min, k->max);
		break;
	case K_UDP_PORTS:
		snprintf(def, dcap, "[ %" PRIu64 " ]", k->def);
		snprintf(range, rcap, "at most %d ports, each %" PRIu64 "..%" PRIu64 ", none of another type",
		    CAPTURE_MAX_TUNNEL_PORTS, k->min, k->max);
		break;
	case K_ALERT_KIND:
		snprintf(range, rcap, "a kind of close");
		break;
	case K_ALERTS:
		snprintf(def, dcap, "( )");
		snprintf(range, rcap, "at most %d rules", ALERT_MAX_RULES);
		break;
	}
	if (k->nodef)
		def[0] = '\0';
}

/* conf_keys() for the keys of tab, their names under prefix ("outputs.file."). */
static void
conf_keys_walk(const struct key *tab, const char *prefix, conf_key_cb *fn, void *arg)
{
	char name[128], def[512], range[128];
	const struct key *k;

	for (k = tab; k->name != NULL; k++) {
		snprintf(name, sizeof(name), "%s%s", prefix, k->name);
		if (k->kind == K_GROUP) {
			snprintf(name, sizeof(name), "%s%s.", prefix, k->name);
			conf_keys_walk(k->arg, name, fn, arg);
			continue;
		}
		conf_describe(k, def, sizeof(def), range, sizeof(range));
		fn(name, def, range, k->doc, arg);
		if (k->kind == K_ALERTS) {
			snprintf(name, sizeof(name), "%s%s.", prefix, k->name);
			conf_keys_walk(k->arg, name, fn, arg);
		}
	}
}

void
conf_keys(conf_key_cb *fn, void *arg)
{
	conf_keys_walk(conf_top_keys, "", fn, arg);
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

/*
 * A list of at most max ports in k's range into dst[0 .. *ndst); `more` ends
 * the error for a list too long. Nothing is stored when any element is bad.
 */
static void
conf_ports(struct conf_load *cl, const config_setting_t *s, const char *prefix,
    uint16_t *dst, size_t *ndst, size_t max, const char *more, const struct key *k)
{
	const config_setting_t *e;
	uint16_t ports[CAPTURE_MAX_PORTS];
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
	if (len < 0 || (size_t)len > max) {
		SETERR(s, "%d ports, at most %zu%s", len, max, more);
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
	memcpy(dst, ports, n * sizeof(ports[0]));
	*ndst = n;
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
		conf_default_walk(conf_alert_keys, (char *)&rules[i]);
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
		conf_ports(cl, s, prefix, ((struct capture_config *)(void *)dst)->ports,
		    &((struct capture_config *)(void *)dst)->nports, CAPTURE_MAX_PORTS,
		    " (use filter for more)", k);
		break;
	case K_UDP_PORTS:
		conf_ports(cl, s, prefix, ((struct capture_udp_ports *)(void *)dst)->port,
		    &((struct capture_udp_ports *)(void *)dst)->n, CAPTURE_MAX_TUNNEL_PORTS, "", k);
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
	case K_WORKERS:
		if (config_setting_type(s) == CONFIG_TYPE_STRING) {
			if (strcmp(config_setting_get_string(s), "auto") != 0) {
				SETERR(s, "\"%s\": a number (%" PRIu64 "..%" PRIu64 ") or \"auto\"",
				    config_setting_get_string(s), k->min, k->max);
				return;
			}
			*(uint32_t *)(void *)dst = 0;
			break;
		}
		if (conf_get_int(cl, s, prefix, &n) == -1)
			return;
		if (n < (long long)k->min || n > (long long)k->max) {
			SETERR(s, "%lld is out of range (%" PRIu64 "..%" PRIu64 ", or \"auto\")", n,
			    k->min, k->max);
			return;
		}
		*(uint32_t *)(void *)dst = (uint32_t)n;
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
	case K_TOKEN:
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
			if (k->kind == K_TOKEN && !isalnum((unsigned char)v[i]) &&
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
		if (m & S_IWOTH) {
			SETERR(s, "mode \"%s\" lets every user write the file (such as \"0640\")", v);
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
		if (k->check != NULL)
			k->check(cl, s, sub, base + k->off);
	}
}

/*
 * No UDP port may stand for two tunnel types: said at the later of the two
 * lists in the file (one of them is, for the defaults are distinct).
 */
static void
conf_tunnels_check(struct conf_load *cl, const config_setting_t *g, const char *prefix,
    const char *base)
{
	const struct capture_tunnels *tun = (const void *)base;
	const config_setting_t *s, *sa, *sb;
	size_t i, j;
	int a, b;

	for (a = 0; a < TUN_NTYPES; a++)
		for (b = a + 1; b < TUN_NTYPES; b++)
			for (i = 0; i < tun->udp[b].n; i++)
				for (j = 0; j < tun->udp[a].n; j++) {
					if (tun->udp[a].port[j] != tun->udp[b].port[i])
						continue;
					sa = config_setting_get_member(g, decode_tunnel_name((enum tunnel_type)a));
					sb = config_setting_get_member(g, decode_tunnel_name((enum tunnel_type)b));
					s = sb == NULL || (sa != NULL && config_setting_source_line(sa) >
					                                     config_setting_source_line(sb)) ? sa : sb;
					SETERR(s, "port %u is also %s's", tun->udp[b].port[i],
					    decode_tunnel_name((enum tunnel_type)(s == sa ? b : a)));
				}
}

/*
 * libconfig 1.5 says only "syntax error" and stops at the first. When it
 * refuses a file, conf_syntax() reads it again with the same grammar
 * (libconfig's grammar.y and scanner.l: settings "name = value" or
 * "name: value", optionally ended by ';' or ','; scalars, [ arrays of
 * scalars ], ( lists ) and { groups }) to say what was expected where, with
 * the line and a caret, and goes on at the next line to find the others.
 */
#define CONF_MAX_SYNTAX 20 /* syntax errors reported for one file */
#define CONF_MAX_NESTING 64

enum conf_tok {
	CT_EOF, CT_NAME, CT_SCALAR, CT_STRING, CT_EQ, CT_END, CT_COMMA, CT_OPEN, CT_CLOSE,
	CT_BADSTR, CT_BAD
};

struct conf_token {
	enum conf_tok t;
	const char *p; /* in the text */
	size_t len;
	unsigned line;
	const char *bol; /* where its line begins */
};

struct conf_lexer {
	const char *p, *end, *bol;
	unsigned line;
};

/* Does [p, p + n) read as one of libconfig's number literals? */
static int
conf_is_number(const char *p, size_t n)
{
	char buf[64], *e;
	size_t l = n;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	while (l > 0 && buf[l - 1] == 'L')
		buf[--l] = '\0';
	if (n - l > 2 || l == 0)
		return 0;
	if (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
		return l > 2 && strspn(buf + 2, "0123456789abcdefABCDEF") == l - 2;
	if (strspn(buf + (buf[0] == '-' || buf[0] == '+'), "0123456789") ==
	    l - (buf[0] == '-' || buf[0] == '+'))
		return l > (size_t)(buf[0] == '-' || buf[0] == '+');
	if (n != l || strpbrk(buf, "0123456789") == NULL)
		return 0;
	errno = 0;
	(void)strtod(buf, &e);
	return *e == '\0';
}

/* The next token; comments, white space and @include lines are skipped. */
static void
conf_lex(struct conf_lexer *lx, struct conf_token *tk)
{
	const char *p = lx->p, *end = lx->end;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
		    *p == '\f' || *p == '\v')) {
			if (*p++ == '\n') {
				lx->line++;
				lx->bol = p;
			}
		}
		if (p < end && (*p == '#' || *p == '@' || (*p == '/' && p + 1 < end && p[1] == '/'))) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			for (p += 2; p < end && !(p[0] == '*' && p + 1 < end && p[1] == '/'); p++)
				if (*p == '\n') {
					lx->line++;
					lx->bol = p + 1;
				}
			p = p < end ? p + 2 : end;
			continue;
		}
		break;
	}
	tk->p = p;
	tk->line = lx->line;
	tk->bol = lx->bol;
	if (p >= end) {
		tk->t = CT_EOF;
		tk->len = 0;
	} else if (*p == '"') {
		/* A string may hold a newline, as libconfig's scanner allows. */
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (*p == '\n') {
				lx->line++;
				lx->bol = p + 1;
			}
		}
		tk->t = p < end ? CT_STRING : CT_BADSTR;
		p += tk->t == CT_STRING;
	} else if (isalpha((unsigned char)*p) || *p == '*') {
		while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '*'))
			p++;
		tk->t = ((p - tk->p == 4 && strncasecmp(tk->p, "true", 4) == 0) ||
		    (p - tk->p == 5 && strncasecmp(tk->p, "false", 5) == 0)) ? CT_SCALAR : CT_NAME;
	} else if (isdigit((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.') {
		for (p++; p < end && (isalnum((unsigned char)*p) || *p == '.' ||
		    ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E'))); p++)
			;
		tk->t = conf_is_number(tk->p, (size_t)(p - tk->p)) ? CT_SCALAR : CT_BAD;
	} else {
		tk->t = *p == '=' || *p == ':' ? CT_EQ : *p == ';' ? CT_END : *p == ',' ? CT_COMMA :
		    strchr("{[(", *p) != NULL ? CT_OPEN : strchr("}])", *p) != NULL ? CT_CLOSE : CT_BAD;
		p++;
	}
	tk->len = (size_t)(p - tk->p);
	lx->p = p;
}

/* The token as an error names it: 'x' for punctuation, "name", the end of the file. */
static void
conf_token_name(const struct conf_token *tk, char *buf, size_t cap)
{
	int n = tk->len > 40 ? 40 : (int)tk->len;

	switch (tk->t) {
	case CT_EOF:
		snprintf(buf, cap, "the end of the file");
		break;
	case CT_BADSTR:
		snprintf(buf, cap, "a string without its closing quote");
		break;
	case CT_NAME:
		snprintf(buf, cap, "\"%.*s%s\"", n, tk->p, (size_t)n < tk->len ? "..." : "");
		break;
	case CT_SCALAR:
	case CT_STRING:
		snprintf(buf, cap, "%.*s%s", n, tk->p, (size_t)n < tk->len ? "..." : "");
		break;
	default:
		snprintf(buf, cap, "'%.*s'", n, tk->p);
	}
}

/*
 * One more line under the last error: the offending line (tabs expanded, so
 * that the caret lines up) and a caret under the column col (in bytes).
 */
static void
conf_error_context(struct conf_load *cl, const char *bol, const char *end, size_t col)
{
	struct conf_errs *e = &cl->errs;
	char line[512], caret[512];
	size_t i, n = 0, at = 0;

	for (i = 0; bol + i < end && bol[i] != '\n' && n + 8 < sizeof(line); i++) {
		if (i == col)
			at = n;
		if (bol[i] == '\t')
			do
				line[n++] = ' ';
			while (n % 8 != 0);
		else if (bol[i] != '\r')
			line[n++] = bol[i];
	}
	if (col >= i)
		at = n;
	line[n] = '\0';
	memset(caret, ' ', at < sizeof(caret) - 2 ? at : sizeof(caret) - 2);
	caret[at < sizeof(caret) - 2 ? at : sizeof(caret) - 2] = '^';
	caret[(at < sizeof(caret) - 2 ? at : sizeof(caret) - 2) + 1] = '\0';
	if (e->full || e->len + 2 * (4 * sizeof(line) + 4) + 64 > e->cap)
		return;
	e->len += (size_t)snprintf(e->buf + e->len, e->cap - e->len, "    ");
	e->len += conf_escape(e->buf + e->len, line);
	e->len += (size_t)snprintf(e->buf + e->len, e->cap - e->len, "\n    %s\n", caret);
}

/* One syntax error at tk: what was expected (fmt), what was found, then the line and a caret. */
static void __attribute__((format(printf, 6, 7)))
conf_syntax_error(struct conf_load *cl, const char *file, const char *text, const char *end,
    const struct conf_token *tk, const char *fmt, ...)
{
	const char *p = tk->p, *bol = tk->bol;
	unsigned line = tk->line;
	char msg[1024], got[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_token_name(tk, got, sizeof(got));
	if (tk->t == CT_EOF) {
		/* Point just past the last character, not at an empty last line. */
		while (p > text && isspace((unsigned char)p[-1]))
			if (*--p == '\n')
				line--;
		for (bol = p; bol > text && bol[-1] != '\n'; bol--)
			;
	}
	conf_error(cl, file, line, "syntax error: %s, got %s", msg, got);
	conf_error_context(cl, bol, end, (size_t)(p - bol));
}

/* What a value may be, for the errors. */
#define CONF_A_VALUE "a value (a number, a string, true, false, [ ], ( ) or { })"

/*
 * Check text (the whole of file) against libconfig's grammar; report each
 * error and mark its line in bad[] (lines past nbad are not marked). Returns
 * the number of errors.
 */
static int
conf_syntax(struct conf_load *cl, const char *file, const char *text, size_t len,
    unsigned char *bad, size_t nbad)
{
	enum { S_SETTING, S_EQ, S_VALUE, S_AFTER } st = S_SETTING;
	struct {
		char kind; /* 'T' the file, '{', '[', '(' */
		unsigned line;
		size_t plen; /* the length of path outside it */
		int first;   /* nothing in it yet */
	} stk[CONF_MAX_NESTING + 1];
	struct conf_lexer lx = { text, text + len, text, 1 };
	struct conf_token tk, prev = { CT_EOF, text, 0, 1, text };
	char path[512], value_of[512], closer;
	size_t plen = 0, n;
	int top = 0, errors = 0, err, after = 0;
	unsigned line;

	stk[0].kind = 'T';
	stk[0].plen = 0;
	path[0] = '\0';
	for (;;) {
		conf_lex(&lx, &tk);
		err = 0;
		closer = stk[top].kind == '{' ? '}' : stk[top].kind == '[' ? ']' : ')';
		if (st == S_AFTER && (stk[top].kind == 'T' || stk[top].kind == '{')) {
			if (tk.t == CT_STRING && prev.t == CT_STRING)
				goto next; /* "a" "b" is one string */
			st = S_SETTING;
			after = tk.t != CT_END && tk.t != CT_COMMA;
			if (after)
				snprintf(value_of, sizeof(value_of), "%s", path);
			path[plen = stk[top].plen] = '\0';
			if (!after)
				goto next;
		}
		switch (st) {
		case S_SETTING:
			if (tk.t == CT_NAME) {
				n = (size_t)snprintf(path + plen, sizeof(path) - plen, "%s%.*s",
				    plen > 0 ? "." : "", (int)tk.len, tk.p);
				plen = plen + n < sizeof(path) ? plen + n : sizeof(path) - 1;
				st = S_EQ;
			} else if (tk.t == CT_EOF && stk[top].kind == 'T')
				return errors;
			else if (tk.t == CT_CLOSE && *tk.p == '}' && stk[top].kind == '{') {
				top--;
				st = S_AFTER;
			} else if (after)
				err = 1, conf_syntax_error(cl, file, text, lx.end, &tk,
				    "%s: expected ';' after its value, or the next setting", value_of);
			else if (stk[top].kind == '{')
				err = 1, conf_syntax_error(cl, file, text, lx.end, &tk,
				    "expected a setting name or '}' (the group opened on line %u)",
				    stk[top].line);
			else
				err = 1, conf_syntax_error(cl, file, text, lx.end, &tk,
				    "expected a setting name");
			after = 0;
			break;
		case S_EQ:
			if (tk.t == CT_EQ)
				st = S_VALUE;
			else
				err = 1, conf_syntax_error(cl, file, text, lx.end, &tk,
				    "%s: expected '=' or ':'", path);
			break;
		case S_VALUE:
			if (tk.t == CT_SCALAR || tk.t == CT_STRING) {
				st = S_AFTER;
				stk[top].first = 0;
			} else if (tk.t == CT_OPEN && stk[top].kind != '[' && top < CONF_MAX_NESTING) {
				stk[top].first = 0;
				top++;
				stk[top].kind = *tk.p;
				stk[top].line = tk.line;
				stk[top].first = 1;
				stk[top].plen = plen;
				st = *tk.p == '{' ? S_SETTING : S_VALUE;
			} else if (tk.t == CT_CLOSE && *tk.p == closer && stk[top].first &&
			    stk[top].kind != 'T' && stk[top].kind != '{') {
				top--; /* [ ] or ( ): empty */
				st = S_AFTER;
			} else if (stk[top].kind == '[')
				err = 1, conf_syntax_error(cl, file, text, lx.end, &tk,
				    "%s: expected a number, a string, true or false (an array holds "
				    "only those)", path);
			else
				err = 1, conf_syntax_error(cl, file, text, lx.end, &tk,
				    "%s: expected " CONF_A_VALUE, path);
			break;
		case S_AFTER: /* in an array or a list */
			if (tk.t == CT_STRING && prev.t == CT_STRING)
				break;
			if (tk.t == CT_COMMA)
				st = S_VALUE;
			else if (tk.t == CT_CLOSE && *tk.p == closer) {
				top--;
				st = S_AFTER;
			} else
				err = 1, conf_syntax_error(cl, file, text, lx.end, &tk,
				    "%s: expected ',' or '%c' (the %s opened on line %u)", path, closer,
				    closer == ']' ? "array" : "list", stk[top].line);
			break;
		}
		if (!err)
			goto next;
		if (tk.line - 1 < nbad)
			bad[tk.line - 1] = 1;
		if (++errors == CONF_MAX_SYNTAX || tk.t == CT_EOF)
			return errors;
		/*
		 * Go on at the next line, as the start of a setting or of an element;
		 * what the rest of this line opens or closes still counts.
		 */
		line = tk.line;
		do {
			if (tk.t == CT_OPEN && top < CONF_MAX_NESTING) {
				top++;
				stk[top].kind = *tk.p;
				stk[top].line = tk.line;
				stk[top].first = 0;
				stk[top].plen = plen;
			} else if (tk.t == CT_CLOSE) {
				for (n = (size_t)top; n > 0; n--)
					if ((stk[n].kind == '{' && *tk.p == '}') ||
					    (stk[n].kind == '[' && *tk.p == ']') ||
					    (stk[n].kind == '(' && *tk.p == ')'))
						break;
				if (n > 0)
					top = (int)n - 1;
			}
			conf_lex(&lx, &tk);
		} while (tk.t != CT_EOF && tk.line == line);
		if (tk.t == CT_EOF && top == 0)
			return errors;
		lx.p = tk.p;
		lx.line = tk.line;
		lx.bol = tk.bol;
		st = stk[top].kind == 'T' || stk[top].kind == '{' ? S_SETTING : S_VALUE;
		after = 0;
		path[plen = stk[top].plen] = '\0';
		prev.t = CT_EOF;
		continue;
next:
		prev = tk;
	}
}

/*
 * libconfig refused file: say why as conf_syntax() sees it, then (for the
 * main file, when only lines without brackets or quotes were wrong) check the rest of
 * the settings with those lines blanked out, so that one run shows every
 * error. Returns the number of syntax errors found; 0 leaves the report to
 * libconfig's own message.
 */
static int
conf_explain(struct conf_load *cl, const char *file, struct config *c)
{
	unsigned char *bad;
	size_t len, nlines = 1, i, line;
	config_t cf;
	char *text;
	int n, unsure = 0;

	if ((text = conf_slurp(cl, file, &len)) == NULL)
		return 1; /* it said why */
	for (i = 0; i < len; i++)
		nlines += text[i] == '\n';
	if ((bad = calloc(nlines, 1)) == NULL) {
		free(text);
		return 0;
	}
	n = conf_syntax(cl, file, text, len, bad, nlines);
	if (n > 0 && strcmp(file, cl->path) == 0) {
		for (i = 0, line = 0; i < len; i++) {
			if (text[i] == '\n')
				line++;
			else if (bad[line]) {
				/* A bracket or a quote blanked out would change the structure. */
				unsure |= strchr("{}[]()\"", text[i]) != NULL;
				text[i] = ' ';
			}
		}
		config_init(&cf);
		if (!unsure && config_read_string(&cf, text) == CONFIG_TRUE)
			conf_walk(cl, config_root_setting(&cf), "", conf_top_keys, c, (char *)c);
		config_destroy(&cf);
	}
	free(bad);
	free(text);
	return n;
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
		else if (conf_explain(&cl, f != NULL ? f : path, n) == 0)
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
