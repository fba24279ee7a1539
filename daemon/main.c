/*
 * main.c - tcpstated: options, configuration, capture, outputs, privileges,
 * the event loop, shutdown; in that order, as OpenBSD's relayd and ntpd do.
 *
 * main owns the one libevent event_base and everything hung on it: the
 * signals, the housekeeping timer that advances the tracker on wall-clock
 * time when no packets come, the stats and metrics timers, the control
 * socket and the systemd watchdog. It is also the only place that reads the
 * clock. The tracker's events arrive in main_event_cb(): they feed the
 * per-port counters and the alert rules, and go to the outputs (and to the
 * ladder view). With --flows or --stats the same binary is a client of a
 * running daemon's control socket instead.
 */
#define _GNU_SOURCE /* struct ucred (SO_PEERCRED) */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libconfig.h>
#include <libgen.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/alert.h"
#include "../lib/decode.h"
#include "../lib/format.h"
#include "../lib/stats.h"
#include "../lib/tracker.h"
#include "capture.h"
#include "client.h"
#include "conf.h"
#include "control.h"
#include "insight.h"
#include "ladder.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "output.h"
#include "privs.h"
#include "summary.h"
#include "workers.h"

#ifndef TCPSTATED_VERSION
#define TCPSTATED_VERSION "unknown"
#endif

#define MAIN_OUT_LADDER FMT_NFORMATS /* -o ladder: not a record format */
#define MAIN_TICK_S 1                /* housekeeping period */
#define MAIN_STATUS_EVERY_S 10       /* STATUS= refresh when stats are rarer */
/*
 * The housekeeping timer expires flows on wall-clock time this far behind
 * now: the kernel hands frames over up to a block timeout late, and a flow
 * must not time out while its next segment still waits in the buffer.
 */
#define MAIN_ADVANCE_LAG_US 1000000u
#define MAIN_ERRLEN 16384
#define MAIN_COUNTERS_LINE 1024 /* one line of main_log_counters() */
#define MAIN_ERRLINE 5120 /* one config error line, or -F's (conf.c's lines are shorter) */
#define MAIN_ENDPOINTS_EVERY_US 1000000u /* the endpoint walk is reused this long */

/* Long options without a short one, past every short option's letter. */
enum {
	OPT_FLOWS = 256,
	OPT_IP,
	OPT_METRICS,
	OPT_OUTPUTS,
	OPT_PORT,
	OPT_SORT,
	OPT_STATE,
	OPT_STATS,
	OPT_WATCH
};

/* What the tracker must report for the counters and the alerts, whatever the config says. */
#define MAIN_INSIGHT_MASK \
	(TEV_BIT(TEV_SYN) | TEV_BIT(TEV_SYN_ACK) | TEV_BIT(TEV_ESTABLISHED) | TEV_BIT(TEV_CLOSED))

/* What the command line said; it overrides the file, also on reload. */
struct main_opts {
	const char *conf;     /* -c */
	const char *iface;    /* -i */
	const char *filter;   /* -F */
	uint16_t ports[CAPTURE_MAX_PORTS];
	size_t nports;
	int have_ports;       /* -p */
	int out;              /* -o: -1, FMT_JSON, FMT_TEXT or MAIN_OUT_LADDER */
	const char *rfile;    /* -r */
	int quiet;            /* -q: no summary at the end of -r */
	int check;            /* -t */
	int debug;            /* -d */
	const char *socket;   /* -S */
	const char *metrics;  /* --metrics: overrides metrics.path */
	int outputs;          /* --outputs: -o or -r also write the configured outputs */
	int flows;            /* --flows: ask the daemon */
	int stats;            /* --stats: ask the daemon; with -r, end with a STATS record */
	const char *ip;       /* --ip, or NULL */
	int port;             /* --port, or -1 */
	int state;            /* --state, or -1 */
	int sort;             /* --sort: enum control_sort */
	unsigned watch_ms;    /* --watch: 0 = once */
};

/* The running daemon. */
struct main_state {
	struct main_opts *opts;
	struct config cfg;
	uint32_t out_mask;     /* event types the config lets reach the outputs */
	struct event_base *base;
	struct tracker *tracker; /* NULL with capture.workers > 1: the workers' shards instead */
	struct capture *capture; /* likewise */
	struct workers *workers; /* NULL with one worker: today's single-threaded path */
	unsigned nworkers;       /* capture.workers resolved ("auto": the online CPUs) */
	struct tracker_stats ts_sum; /* the shards' counters, summed for main_insight() */
	struct outputs *outputs;
	struct ladder *ladder;
	struct summary *summary; /* -r without -q: progress and the summary on stderr */
	struct decode_stats dstats;
	uint64_t events;       /* delivered to the outputs */
	struct stats *stats;   /* the per-port counters */
	struct alerts *alerts; /* the alert rules (possibly none) */
	struct control *control;
	struct stats_endpoints *ep; /* the last walk of the table, for ep_at_us */
	uint64_t ep_at_us;
	uint64_t start_us;     /* live: the start; -r: the first packet */
	uint64_t last_us;      /* -r: the latest packet */
	int metrics_failing;   /* the metrics file could not be written; said once */
	/* The interface and the filter as STATUS= and --stats show them: escaped. */
	char iface_shown[4 * sizeof(((struct capture_config *)0)->interface)];
	char filter_shown[4 * 2048];
	struct event *ev_tick, *ev_stats, *ev_metrics, *ev_watchdog;
	struct event *ev_sig[4];
	unsigned ticks;
	int stopping;
};

static void __attribute__((noreturn))
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f, "usage: tcpstated [-dfhqtV] [-c file] [-F filter] [-i interface] [-o format]\n"
		   "                 [-p ports] [-r file] [-S socket] [--metrics file] [--outputs]\n"
		   "                 [--stats]\n"
		   "       tcpstated --flows [--ip address[/len]] [--port port] [--sort age|bytes]\n"
		   "                 [--state state] [--watch [seconds]] [-o json|text] [-S socket]\n"
		   "       tcpstated --stats [-o json|text] [-S socket]\n");
	if (status == 0)
		fprintf(f, "\n"
			   "  -c, --config file      configuration file (default %s)\n"
			   "  -d, --debug            debug diagnostics on standard error\n"
			   "  -F, --filter filter    pcap-filter(7) expression; overrides -p and the config\n"
			   "  -f, --foreground       foreground (tcpstated never forks; accepted for systemd)\n"
			   "  -h, --help             this help\n"
			   "  -i, --interface name   capture on this interface (\"any\" for every one)\n"
			   "  -o, --format format    print every event on standard output: json, text or\n"
			   "                         ladder (a sequence diagram per connection); the\n"
			   "                         configured outputs stay untouched without --outputs;\n"
			   "                         with --flows or --stats: json or text\n"
			   "  -p, --ports ports      capture only these TCP ports, comma-separated (80,443)\n"
			   "  -q, --quiet            with -r: no progress line, no summary at the end\n"
			   "  -r, --read file        read a pcap or pcapng file instead of capturing\n"
			   "  -S, --socket socket    the control socket (default $RUNTIME_DIRECTORY/control,\n"
			   "                         else /run/tcpstated/control)\n"
			   "  -t, --check-config     check the configuration and exit\n"
			   "  -V, --version          print versions and exit\n"
			   "      --flows            list the connections the running daemon tracks now\n"
			   "      --ip address[/len] with --flows: only those with a client or server in\n"
			   "                         this address or network\n"
			   "      --metrics file     write the Prometheus metrics there (overrides\n"
			   "                         metrics.path; with -r, once at the end of the file)\n"
			   "      --outputs          with -o or -r: also write the configured outputs\n"
			   "                         (journal, syslog, file, metrics, control socket)\n"
			   "      --port port        with --flows: only those with this client or server port\n"
			   "      --sort age|bytes   with --flows: the oldest first (default), or the most\n"
			   "                         bytes first\n"
			   "      --state state      with --flows: only those with an endpoint in this state\n"
			   "      --stats            print the running daemon's counters; with -r, end the\n"
			   "                         events with a STATS record of the whole file\n"
			   "      --watch [seconds]  with --flows: ask again every 2 (or seconds) seconds\n"
			   "                         until interrupted, like watch(1)\n",
		    CONF_PATH_DEFAULT);
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
	usage(2);
}

static void
version(void)
{
	printf("tcpstated %s\n", TCPSTATED_VERSION);
	printf("%s\n", pcap_lib_version());
	printf("libevent %s\n", event_get_version());
	printf("libconfig %d.%d.%d\n", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
	    LIBCONFIG_VER_REVISION);
}

/* -p 80,443: 1..65535 each, at most CAPTURE_MAX_PORTS; a bad list is a usage error. */
static void
main_parse_ports(struct main_opts *o, const char *arg)
{
	const char *p = arg;
	unsigned long v;
	char *end;
	size_t i;

	o->nports = 0;
	o->have_ports = 1;
	for (;;) {
		if (*p < '0' || *p > '9')
			usage_error("-p %s: expected comma-separated port numbers", arg);
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || v < 1 || v > 65535)
			usage_error("-p %s: port %.*s is out of range (1..65535)", arg,
			    (int)(end - p), p);
		for (i = 0; i < o->nports && o->ports[i] != v; i++)
			;
		if (i == o->nports) {
			if (o->nports == CAPTURE_MAX_PORTS)
				usage_error("-p: more than %d ports (use -F for more)",
				    CAPTURE_MAX_PORTS);
			o->ports[o->nports++] = (uint16_t)v;
		}
		if (*end == '\0')
			break;
		if (*end != ',')
			usage_error("-p %s: expected comma-separated port numbers", arg);
		p = end + 1;
	}
}

/*
 * The name of the option getopt_long() stopped at, for a usage error: as
 * typed when the word it was in is a long option ("--config" needs an
 * argument, "--colour" is unknown), else the letter.
 */
static const char *
main_optname(int opt, char **argv)
{
	static char buf[64];
	const char *word = optind > 0 ? argv[optind - 1] : "?";

	if (strncmp(word, "--", 2) == 0 && strlen(word) > 2)
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(word, "="), word);
	else if (opt > 0 && opt < 256)
		snprintf(buf, sizeof(buf), "-%c", opt);
	else
		snprintf(buf, sizeof(buf), "%s", word);
	return buf;
}

/* Combinations that make no sense are usage errors, not silently ignored. */
static void
main_options_check(const struct main_opts *o)
{
	if (o->flows && o->stats)
		usage_error("--flows and --stats: one at a time");
	if ((o->ip != NULL || o->port >= 0 || o->sort != CONTROL_SORT_AGE || o->state >= 0 ||
	    o->watch_ms > 0) && !o->flows)
		usage_error("%s: only with --flows", o->ip != NULL ? "--ip" : o->port >= 0 ? "--port" :
		    o->sort != CONTROL_SORT_AGE ? "--sort" : o->state >= 0 ? "--state" : "--watch");
	if (o->flows && o->rfile != NULL)
		usage_error("--flows: not with -r (it asks a running daemon)");
	if ((o->flows || (o->stats && o->rfile == NULL)) &&
	    (o->conf != NULL || o->iface != NULL || o->filter != NULL || o->have_ports ||
	    o->check || o->metrics != NULL))
		usage_error("%s: takes only -o and -S (it asks the running daemon)",
		    o->flows ? "--flows" : "--stats");
	if ((o->flows || (o->stats && o->rfile == NULL)) && o->out == MAIN_OUT_LADDER)
		usage_error("-o ladder: not with %s (json or text)", o->flows ? "--flows" : "--stats");
	if (o->socket != NULL && o->rfile != NULL)
		usage_error("-S: not with -r (no control socket while reading a file)");
	if (o->metrics != NULL && o->metrics[0] != '/')
		usage_error("--metrics %s: an absolute path", o->metrics);
	if (o->outputs && o->out < 0 && o->rfile == NULL)
		usage_error("--outputs: only with -o or -r (the service writes its outputs anyway)");
}

static void
main_options(struct main_opts *o, int argc, char **argv)
{
	/* Sorted by name; a short option's long form returns its letter. */
	static const struct option longopts[] = {
		{ "check-config", no_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "filter", required_argument, NULL, 'F' },
		{ "flows", no_argument, NULL, OPT_FLOWS },
		{ "foreground", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "interface", required_argument, NULL, 'i' },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "outputs", no_argument, NULL, OPT_OUTPUTS },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "ports", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "read", required_argument, NULL, 'r' },
		{ "socket", required_argument, NULL, 'S' },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "version", no_argument, NULL, 'V' },
		{ "watch", optional_argument, NULL, OPT_WATCH },
		{ NULL, 0, NULL, 0 }
	};
	struct control_net net;
	unsigned long v;
	double secs;
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->out = -1;
	o->port = -1;
	o->state = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:dF:fhi:o:p:qr:S:tV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'd':
			o->debug = 1;
			log_init(1, "tcpstated");
			break;
		case 'F':
			if (strlen(optarg) >= sizeof(((struct capture_config *)0)->filter))
				usage_error("-F: filter longer than %zu characters",
				    sizeof(((struct capture_config *)0)->filter) - 1);
			o->filter = optarg;
			break;
		case 'f':
			break; /* tcpstated never forks */
		case 'h':
			usage(0);
		case 'i':
			if (*optarg == '\0' || strlen(optarg) > 15)
				usage_error("-i %s: an interface name has 1 to 15 characters",
				    optarg);
			o->iface = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0)
				o->out = FMT_JSON;
			else if (strcmp(optarg, "text") == 0)
				o->out = FMT_TEXT;
			else if (strcmp(optarg, "ladder") == 0)
				o->out = MAIN_OUT_LADDER;
			else
				usage_error("-o %s: unknown format (json, text or ladder)", optarg);
			break;
		case 'p':
			main_parse_ports(o, optarg);
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'r':
			o->rfile = optarg;
			break;
		case 'S':
			if (*optarg != '/' || strlen(optarg) >= 108)
				usage_error("-S %s: an absolute path of at most 107 characters", optarg);
			o->socket = optarg;
			break;
		case 't':
			o->check = 1;
			break;
		case 'V':
			version();
			exit(0);
		case OPT_FLOWS:
			o->flows = 1;
			break;
		case OPT_STATS:
			o->stats = 1;
			break;
		case OPT_PORT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || errno != 0 || v < 1 ||
			    v > 65535)
				usage_error("--port %s: a port number (1..65535)", optarg);
			o->port = (int)v;
			break;
		case OPT_STATE:
			if ((o->state = control_parse_state(optarg)) < 0)
				usage_error("--state %s: unknown state (ESTABLISHED, CLOSE_WAIT, TIME_WAIT, "
				    "FIN_WAIT_2, SYN_RCVD, ...)", optarg);
			break;
		case OPT_METRICS:
			o->metrics = optarg;
			break;
		case OPT_OUTPUTS:
			o->outputs = 1;
			break;
		case OPT_IP:
			if (control_parse_net(optarg, &net) == -1)
				usage_error("--ip %s: an IPv4 or IPv6 address, or a network such as "
				    "10.0.0.0/8 or 2001:db8::/32", optarg);
			o->ip = optarg;
			break;
		case OPT_SORT:
			if ((o->sort = control_parse_sort(optarg)) < 0)
				usage_error("--sort %s: age or bytes", optarg);
			break;
		case OPT_WATCH:
			/* watch(1)'s habit: the interval may also be the next word, "--watch 5". */
			if (optarg == NULL && optind < argc && argv[optind][0] >= '0' &&
			    argv[optind][0] <= '9')
				optarg = argv[optind++];
			secs = 2;
			if (optarg != NULL) {
				errno = 0;
				secs = strtod(optarg, &end);
				if (*end != '\0' || errno != 0 || !(secs >= 0.1 && secs <= 86400))
					usage_error("--watch %s: seconds, 0.1 to 86400", optarg);
			}
			o->watch_ms = (unsigned)(secs * 1000 + 0.5);
			break;
		case ':':
			usage_error("option %s needs an argument", main_optname(optopt, argv));
		default:
			usage_error("unknown option %s", main_optname(optopt, argv));
		}
	}
	if (optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	main_options_check(o);
}

/*
 * An interactive run (-o asks for standard output, -r reads a file) is
 * someone trying something, often beside the service: it prints, and leaves
 * the service's journal, syslog, log file, metrics file and control socket
 * alone unless --outputs asks for them. --metrics and -S still name theirs.
 */
static void
main_interactive(const struct main_opts *o, struct config *c)
{
	int k;

	if ((o->out < 0 && o->rfile == NULL) || o->outputs || o->check)
		return;
	for (k = 0; k < OUT_NKINDS; k++)
		c->out[k].enabled = 0;
	if (o->metrics == NULL)
		c->metrics.path[0] = '\0';
	if (o->socket == NULL)
		c->daemon.control = 0;
}

/* The command line wins over the file, at start and on every reload. */
static void
main_overrides(const struct main_opts *o, struct config *c)
{
	if (o->iface != NULL)
		snprintf(c->capture.interface, sizeof(c->capture.interface), "%s", o->iface);
	if (o->have_ports) {
		memcpy(c->capture.ports, o->ports, sizeof(c->capture.ports));
		c->capture.nports = o->nports;
		c->capture.filter[0] = '\0'; /* -p is more specific than the file's filter */
	}
	if (o->filter != NULL)
		snprintf(c->capture.filter, sizeof(c->capture.filter), "%s", o->filter);
	if (o->metrics != NULL)
		snprintf(c->metrics.path, sizeof(c->metrics.path), "%s", o->metrics);
	main_interactive(o, c);
}

/* One line of -t's report on standard error, escaped as the diagnostics are. */
static void
main_check_line(const char *line)
{
	char shown[4 * MAIN_ERRLINE];

	log_escape(shown, sizeof(shown), line);
	fprintf(stderr, "%s\n", shown);
}

/* Print config errors: bare "file:line: message" lines for -t, diagnostics otherwise. */
static void
main_print_errors(const char *err, int check)
{
	const char *p = err, *nl;
	char line[MAIN_ERRLINE];

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (check)
			main_check_line(line);
		else
			log_warnx("%s", line);
		p = *nl == '\n' ? nl + 1 : nl;
	}
}

/*
 * daemon.user "nobody" (or uid 65534) is shared with other programs: each
 * of them could read --flows, take the control socket's slots and write the
 * log directory. NULL when the account is not shared.
 */
static const char *
main_shared_user(const struct config *c)
{
	struct passwd *pw;

	if (c->daemon.user[0] == '\0')
		return NULL;
	pw = getpwnam(c->daemon.user);
	if (strcmp(c->daemon.user, "nobody") != 0 && (pw == NULL || pw->pw_uid != 65534))
		return NULL;
	return "daemon.user: \"nobody\" (uid 65534) is shared with other programs, which "
	       "could then read --flows and the log directory; use a dedicated account";
}

/* One line of -t's report about the world, with the config file's name in front. */
static void __attribute__((format(printf, 2, 3)))
main_check_world_line(const struct config *c, const char *fmt, ...)
{
	char line[MAIN_ERRLINE];
	size_t len;
	va_list ap;

	len = (size_t)snprintf(line, sizeof(line), "%s: ", c->path[0] != '\0' ? c->path : "-");
	va_start(ap, fmt);
	vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	main_check_line(line);
}

/* -t on the file output's or the metrics' path: 1 if the start would refuse it. */
static int
main_check_file(const struct config *c, const char *key, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		main_check_world_line(c, "%s: %s is %s; tcpstated writes only a regular file", key,
		    path, S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
		return 1;
	}
	return 0;
}

/*
 * -t, past the file's syntax: what the start would meet. An interface that is
 * not there (it may appear later) and a log directory tcpstated will create
 * are warnings; a log or metrics path that is not a regular file and a
 * metrics directory that is missing or not writable are errors. Returns the
 * number of errors.
 */
static int
main_check_world(const struct config *c)
{
	const char *path = c->out[OUT_FILE].path, *why;
	char dir[4096];
	struct stat st;
	int errors = 0;

	if (strcmp(c->capture.interface, "any") != 0 && if_nametoindex(c->capture.interface) == 0)
		main_check_world_line(c, "warning: capture.interface: no interface \"%s\" now; "
		    "tcpstated does not start until it exists", c->capture.interface);
	if (c->out[OUT_FILE].enabled) {
		snprintf(dir, sizeof(dir), "%s", path);
		if (stat(dirname(dir), &st) == -1)
			main_check_world_line(c, "warning: outputs.file.path: the directory %s does not "
			    "exist; tcpstated will create it (mode 0750)", dir);
		else if (!S_ISDIR(st.st_mode) && ++errors)
			main_check_world_line(c, "outputs.file.path: %s is not a directory", dir);
		errors += main_check_file(c, "outputs.file.path", path);
	}
	if (c->metrics.path[0] != '\0') {
		snprintf(dir, sizeof(dir), "%s", c->metrics.path);
		if (access(dirname(dir), W_OK) == -1 && ++errors)
			main_check_world_line(c, "metrics.path: cannot write in the directory %s: %s", dir,
			    strerror(errno));
		errors += main_check_file(c, "metrics.path", c->metrics.path);
	}
	if (c->capture.workers != 1 && strcmp(c->capture.interface, "any") == 0)
		main_check_world_line(c, "warning: capture.workers: \"any\" cannot be split between "
		    "workers (no fanout across interfaces); tcpstated runs one");
	if ((why = main_shared_user(c)) != NULL)
		main_check_world_line(c, "warning: %s", why);
	return errors;
}

/*
 * Load the configuration for the start: the file (the default one may be
 * missing with -r), then the command line. Exits 1 on any error.
 */
static void
main_config(const struct main_opts *o, struct config *c)
{
	char *err, why[PCAP_ERRBUF_SIZE], line[MAIN_ERRLINE];
	const char *path = o->conf != NULL ? o->conf : CONF_PATH_DEFAULT;
	struct stat st;

	conf_defaults(c);
	if (o->rfile != NULL && o->conf == NULL && !o->check && stat(path, &st) == -1 &&
	    errno == ENOENT) {
		log_debug("%s does not exist: using the defaults", path);
	} else {
		err = malloc(MAIN_ERRLEN);
		if (err == NULL)
			fatalx("out of memory");
		if (conf_load(path, c, err, MAIN_ERRLEN) == -1) {
			main_print_errors(err, o->check);
			exit(1);
		}
		free(err);
	}
	main_overrides(o, c);
	if (o->filter != NULL && capture_filter_check(o->filter, why, sizeof(why)) == -1) {
		snprintf(line, sizeof(line), "-F: bad filter \"%s\": %s", o->filter, why);
		if (o->check)
			main_check_line(line);
		else
			log_warnx("%s", line);
		exit(1);
	}
}

static uint64_t
main_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Every event of the tracker: to the counters and the alert rules, to the
 * ladder, and to the outputs if the config wants it.
 */
static void
main_event_cb(const struct event *ev, void *arg)
{
	struct main_state *m = arg;

	stats_event(m->stats, ev);
	if (m->summary != NULL)
		summary_event(m->summary, ev);
	if (m->ladder != NULL)
		ladder_event(m->ladder, ev);
	if ((m->out_mask & TEV_BIT(ev->type)) && m->outputs != NULL) {
		m->events++;
		outputs_event(m->outputs, ev);
	}
	/* After the record: an ALERT follows the CLOSED that set it off. */
	if (ev->type == TEV_CLOSED)
		alerts_event(m->alerts, ev);
}

/* A rule fired or recovered: an ALERT record to every output. */
static void
main_alert_cb(const struct alert_report *r, void *arg)
{
	struct main_state *m = arg;

	if (m->outputs != NULL)
		outputs_report(m->outputs, REPORT_ALERT_OF(r));
}

/* Packet time drives the alert windows too, so that a replay alerts as live capture did. */
/* -r: n more packets for the progress line, with the file position when it is redrawn. */
static void
main_progress(struct main_state *m, size_t n)
{
	uint64_t pos = 0, size = 0;

	if (summary_due(m->summary))
		capture_file_progress(m->capture, &pos, &size);
	summary_packets(m->summary, n, pos, size);
}

static void
main_segments(struct main_state *m, const struct segment *segs, size_t n, int prehashed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (m->start_us == 0)
			m->start_us = segs[i].ts_us;
		if (segs[i].ts_us > m->last_us)
			m->last_us = segs[i].ts_us;
	}
	if (prehashed)
		tracker_segments_prehashed(m->tracker, segs, n);
	else
		tracker_segments(m->tracker, segs, n);
	alerts_advance(m->alerts, m->last_us);
	if (m->summary != NULL)
		main_progress(m, n);
}

static void
main_segments_cb(const struct segment *segs, size_t n, void *arg)
{
	main_segments(arg, segs, n, 0);
}

/* -r: the reader thread hashed each batch (main_prehash_cb) while the last was tracked. */
static void
main_file_segments_cb(const struct segment *segs, size_t n, void *arg)
{
	main_segments(arg, segs, n, 1);
}

/* On capture_run_file()'s reader thread: reads nothing but the tracker's key. */
static void
main_prehash_cb(struct segment *segs, size_t n, void *arg)
{
	const struct main_state *m = arg;

	tracker_prehash(m->tracker, segs, n);
}

/*
 * The tracker's configuration: the file's, plus what the ladder view, the
 * counters and the alerts need (main_event_cb() keeps the outputs to the
 * file's selection).
 */
static void
main_tracker_config(const struct main_state *m, struct tracker_config *tc)
{
	*tc = m->cfg.tracking;
	tc->event_mask |= MAIN_INSIGHT_MASK;
	if (m->opts->out == MAIN_OUT_LADDER)
		tc->event_mask |= TEV_BIT(TEV_SEGMENT) | TEV_BIT(TEV_CLOSED);
}

/* Ports that always get a row of counters: the capture's and the alert rules'. */
static void
main_pin_ports(struct main_state *m)
{
	size_t i;

	for (i = 0; i < m->cfg.capture.nports; i++)
		stats_pin(m->stats, m->cfg.capture.ports[i]);
	for (i = 0; i < m->cfg.nalerts; i++)
		if (m->cfg.alerts[i].port != 0)
			stats_pin(m->stats, m->cfg.alerts[i].port);
}

/* The counters and the alert rules, before the tracker makes its first event. */
static void
main_insight_open(struct main_state *m)
{
	if ((m->stats = malloc(sizeof(*m->stats))) == NULL ||
	    (m->ep = malloc(sizeof(*m->ep))) == NULL)
		fatalx("out of memory");
	stats_init(m->stats);
	main_pin_ports(m);
	m->alerts = alerts_new(m->cfg.alerts, m->cfg.nalerts, main_alert_cb, m);
	if (m->alerts == NULL)
		fatalx("alerts: out of memory");
}

static void
main_insight_close(struct main_state *m)
{
	alerts_free(m->alerts);
	free(m->ep);
	free(m->stats);
	m->alerts = NULL;
	m->ep = NULL;
	m->stats = NULL;
}

static uint64_t
main_output_drops(const struct main_state *m)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k < OUT_NKINDS; k++)
		if (m->cfg.out[k].enabled)
			n += outputs_stats(m->outputs, (enum out_kind)k)->dropped;
	return n;
}

/*
 * What is captured as the operator asked for it, for STATUS= and --stats:
 * the ports or the filter of the config, not the expression compiled from
 * them (with its VLAN alternatives, some 150 characters for two ports).
 */
static void
main_capture_shown(const struct capture_config *cc, char *buf, size_t cap)
{
	size_t i, len;

	if (cc->filter[0] != '\0') {
		snprintf(buf, cap, "filter %s", cc->filter);
		return;
	}
	if (cc->nports == 0) {
		snprintf(buf, cap, "every tcp port");
		return;
	}
	len = (size_t)snprintf(buf, cap, "tcp port");
	for (i = 0; i < cc->nports && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%u", i > 0 ? "," : " ",
		    cc->ports[i]);
}

/* The tracker's counters: the one tracker's, or the shards' summed. */
static const struct tracker_stats *
main_tracker_stats(struct main_state *m)
{
	if (m->workers == NULL)
		return tracker_stats(m->tracker);
	workers_tracker_stats(m->workers, &m->ts_sum);
	return &m->ts_sum;
}

/* The capture's counters, and whether it captures now (with workers: every handle does). */
static void
main_capture_stats(struct main_state *m, int *up, struct capture_stats *cs)
{
	if (m->workers != NULL) {
		*up = workers_up(m->workers) == m->nworkers;
		workers_capture_stats(m->workers, cs);
	} else if (m->capture != NULL) {
		*up = capture_is_up(m->capture);
		capture_stats(m->capture, cs);
	} else {
		*up = 0;
		memset(cs, 0, sizeof(*cs));
	}
}

struct main_endpoints_walk {
	struct main_state *m;
	uint64_t now_us;
};

static void
main_endpoints_shard(const struct tracker *t, void *arg)
{
	struct main_endpoints_walk *w = arg;

	stats_endpoints_add(w->m->stats, t, w->now_us, w->m->ep);
}

/* m->ep: the endpoints in each state now, over the one table or every shard. */
static void
main_endpoints(struct main_state *m, uint64_t now_us)
{
	struct main_endpoints_walk w = { m, now_us };

	if (m->workers == NULL) {
		stats_endpoints(m->stats, m->tracker, now_us, m->ep);
		return;
	}
	memset(m->ep, 0, sizeof(*m->ep));
	workers_each(m->workers, main_endpoints_shard, &w);
}

/* For the control socket's --flows: every flow, of the one table or of every shard. */
static void
main_walk_cb(uint64_t now_us, tracker_visit_cb *visit, void *visit_arg, void *arg)
{
	struct main_state *m = arg;

	if (m->workers != NULL)
		workers_foreach(m->workers, now_us, visit, visit_arg);
	else
		tracker_foreach(m->tracker, now_us, visit, visit_arg);
}

/*
 * capture.workers as it runs: "auto" is the online CPUs; "any" has no
 * fanout of its own (one socket for every interface), so it gets one.
 */
static unsigned
main_workers(const struct capture_config *cc)
{
	long n = cc->workers;

	if (n == 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	if (n > CAPTURE_MAX_WORKERS)
		n = CAPTURE_MAX_WORKERS;
	if (n > 1 && strcmp(cc->interface, "any") == 0) {
		log_warnx("capture.workers: \"any\" cannot be split between workers (no fanout "
		    "across interfaces); running one");
		n = 1;
	}
	return (unsigned)n;
}

/*
 * Everything the STATS record, STATUS, the metrics and --stats show. With
 * endpoints, the table is walked for the states of its endpoints, at most
 * once per MAIN_ENDPOINTS_EVERY_US (the walk visits every slot).
 */
static void
main_insight(struct main_state *m, struct insight *in, int endpoints)
{
	char what[sizeof(m->cfg.capture.filter) + 16];
	int k;

	memset(in, 0, sizeof(*in));
	in->now_us = m->opts->rfile != NULL ? m->last_us : main_now_us();
	in->start_us = m->start_us;
	if (m->opts->rfile == NULL) {
		/* From outside: a name may hold any byte but "/", ":", "%" and white space. */
		log_escape(m->iface_shown, sizeof(m->iface_shown), m->cfg.capture.interface);
		main_capture_shown(&m->cfg.capture, what, sizeof(what));
		log_escape(m->filter_shown, sizeof(m->filter_shown), what);
		in->interface = m->iface_shown;
		in->filter = m->filter_shown;
		main_capture_stats(m, &in->capture_up, &in->cap);
	} else
		in->cap.received = m->dstats.frames;
	if (m->workers != NULL)
		workers_decode_stats(m->workers, &m->dstats);
	in->frames = m->dstats.frames;
	in->ts = main_tracker_stats(m);
	in->max_flows = m->cfg.tracking.max_flows;
	in->stats = m->stats;
	if (endpoints) {
		if (m->ep_at_us == 0 || in->now_us < m->ep_at_us ||
		    in->now_us - m->ep_at_us >= MAIN_ENDPOINTS_EVERY_US || m->opts->rfile != NULL) {
			main_endpoints(m, in->now_us);
			m->ep_at_us = in->now_us;
		}
		in->ep = m->ep;
	}
	for (k = 0; k < INSIGHT_NOUTS && m->outputs != NULL; k++) {
		/* Standard output: -o, or -r (JSON when -o does not say); never the ladder. */
		if (k < OUT_NKINDS ? !m->cfg.out[k].enabled : m->opts->out == MAIN_OUT_LADDER ||
		    (m->opts->out < 0 && m->opts->rfile == NULL))
			continue;
		in->out_on[k] = 1;
		in->out[k] = *outputs_stats(m->outputs, (enum out_kind)k);
	}
	in->alerts = m->alerts;
	in->events = m->events;
	if (m->workers != NULL) {
		in->workers = m->nworkers;
		in->worker_lost = workers_dropped(m->workers);
	}
}

/* For the control socket: the same, through its callback. */
static void
main_control_insight_cb(struct insight *in, int endpoints, void *arg)
{
	main_insight(arg, in, endpoints);
}

/*
 * The STATUS= line of systemctl status. It comes often (every 10 s), so it
 * takes the endpoint counts from the tracker instead of walking its table.
 */
static void
main_status(struct main_state *m, int ready)
{
	struct insight in;
	char buf[1024];

	main_insight(m, &in, 0);
	insight_status(&in, buf, sizeof(buf));
	if (ready)
		notify_ready(buf);
	else
		notify_status(buf);
}

/* The STATS record to every output (when daemon.stats_interval is not 0, or --stats with -r). */
static void
main_stats_record(struct main_state *m)
{
	struct stats_record r;
	struct insight in;

	if (m->outputs == NULL)
		return;
	main_insight(m, &in, 1);
	insight_record(&in, &r);
	outputs_report(m->outputs, REPORT_STATS_OF(&r));
}

/* The metrics file, if configured; a failure is said once, and its end too. */
static void
main_metrics(struct main_state *m)
{
	struct evbuffer *buf;
	struct insight in;
	char err[4400];

	if (m->cfg.metrics.path[0] == '\0')
		return;
	if ((buf = evbuffer_new()) == NULL) {
		log_warnx("metrics: out of memory");
		return;
	}
	main_insight(m, &in, 1);
	metrics_render(&in, buf);
	if (metrics_write(m->cfg.metrics.path, buf, err, sizeof(err)) == -1) {
		if (!m->metrics_failing)
			log_warnx("metrics: %s; trying again every %u s", err,
			    m->cfg.metrics.interval_s);
		m->metrics_failing = 1;
	} else if (m->metrics_failing) {
		log_info("metrics: writing %s again", m->cfg.metrics.path);
		m->metrics_failing = 0;
	}
	evbuffer_free(buf);
}

/* " 1234" appended to the line in arg: a shard's segments, to see how the traffic is split. */
static void
main_shard_segments(const struct tracker *t, void *arg)
{
	char *buf = arg;
	size_t len = strlen(buf);

	snprintf(buf + len, MAIN_COUNTERS_LINE - len, " %" PRIu64, tracker_stats(t)->segments);
}

/* The counters, as diagnostics lines: periodically (final = 0) and at stop. */
static void
main_log_counters(struct main_state *m, int final)
{
	const struct tracker_stats *ts = main_tracker_stats(m);
	const struct output_stats *os;
	struct capture_stats cs;
	char buf[MAIN_COUNTERS_LINE];
	size_t len;
	int i, k, up;

	main_capture_stats(m, &up, &cs);
	if (m->workers != NULL)
		workers_decode_stats(m->workers, &m->dstats);
	if (!final) {
		log_info("stats: %" PRIu64 " packets, %" PRIu64 " dropped by the kernel, %" PRIu64
			 " by the interface; %" PRIu64 " connections tracked; %" PRIu64
			 " events; %" PRIu64 " output drops",
		    cs.received, cs.dropped, cs.ifdropped, ts->flows_active, m->events,
		    m->outputs != NULL ? main_output_drops(m) : 0);
		return;
	}
	if (m->opts->rfile == NULL)
		log_info("capture: %" PRIu64 " packets received, %" PRIu64
			 " dropped by the kernel, %" PRIu64 " dropped by the interface",
		    cs.received, cs.dropped, cs.ifdropped);
	if (m->workers != NULL) {
		len = (size_t)snprintf(buf, sizeof(buf), "workers: %u capture threads, segments",
		    m->nworkers);
		workers_each(m->workers, main_shard_segments, buf);
		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "; %" PRIu64 " events lost to a full ring",
		    workers_dropped(m->workers));
		log_info("%s", buf);
	}
	len = (size_t)snprintf(buf, sizeof(buf), "decode: %" PRIu64 " frames, %" PRIu64 " segments",
	    m->dstats.frames, m->dstats.result[DECODE_OK]);
	for (i = 1; i < DECODE_NREASONS && len < sizeof(buf); i++)
		if (m->dstats.result[i] > 0)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, ", %s %" PRIu64,
			    decode_result_name((enum decode_result)i), m->dstats.result[i]);
	log_info("%s", buf);
	len = (size_t)snprintf(buf, sizeof(buf),
	    "tracker: %" PRIu64 " segments, %" PRIu64 " connections seen (%" PRIu64 " evicted), %" PRIu64
	    " out-of-window RSTs, %" PRIu64 " duplicates, %" PRIu64 " stray, %" PRIu64
	    " bad flags; closed:",
	    ts->segments, ts->flows_created, ts->flows_evicted, ts->rst_out_of_window,
	    ts->duplicates, ts->stray, ts->bad_flags);
	for (i = CR_FIN; i < CR_NREASONS && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %s %" PRIu64,
		    close_reason_name((enum close_reason)i), ts->closed[i]);
	log_info("%s", buf);
	if (m->outputs == NULL)
		return;
	for (k = 0; k < OUT_NKINDS; k++) {
		if (!m->cfg.out[k].enabled)
			continue;
		os = outputs_stats(m->outputs, (enum out_kind)k);
		log_info("output %s: %" PRIu64 " written, %" PRIu64 " filtered, %" PRIu64
			 " suppressed, %" PRIu64 " dropped, %" PRIu64 " rotations",
		    outputs_name(k), os->written, os->filtered, os->suppressed, os->dropped,
		    os->rotations);
	}
}

/*
 * Fill buf from the kernel's random pool, waiting for it only if it is not
 * initialised yet (early boot). Fails closed: the flow table's key is what
 * keeps its index from being flooded, and nothing else would be secret.
 */
static void
main_random(void *buf, size_t len)
{
	ssize_t n;

	while ((n = getrandom(buf, len, 0)) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)len)
		fatal("getrandom: cannot have a secret key for the flow table");
}

/* -r: the signal that stopped the reading, 0 if none. */
static volatile sig_atomic_t main_replay_sig;

static void
main_replay_stop(int sig)
{
	main_replay_sig = sig;
	capture_file_interrupt();
}

/*
 * -r: SIGINT and SIGTERM stop the reading as if the file ended there, so
 * that what was read is still reported, with the summary. Once: a second
 * one kills at once (a reader blocked on a silent pipe waits for its data).
 */
static void
main_replay_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_replay_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
		fatal("sigaction");
}

/* -r: read the file through the same path as live capture, then exit. */
static void __attribute__((noreturn))
main_replay(struct main_state *m)
{
	char err[1024];
	struct tracker_config tc;
	uint64_t last_ts;
	int rc;

	main_insight_open(m);
	main_random(&m->cfg.tracking.hash_key, sizeof(m->cfg.tracking.hash_key));
	main_tracker_config(m, &tc);
	m->tracker = tracker_new(&tc, main_event_cb, m, err, sizeof(err));
	if (m->tracker == NULL)
		fatalx("%s", err);
	m->capture = capture_open_file(m->opts->rfile, &m->cfg.capture, main_file_segments_cb, m,
	    &m->dstats, err, sizeof(err));
	if (m->capture == NULL)
		fatalx("%s", err);
	capture_file_prepare(m->capture, main_prehash_cb, m);
	if (!m->opts->quiet && (m->summary = summary_new(m->opts->rfile)) == NULL)
		fatalx("out of memory");
	m->outputs = outputs_open(&m->cfg,
	    m->opts->out == MAIN_OUT_LADDER ? -1 : m->opts->out < 0 ? FMT_JSON : m->opts->out, err,
	    sizeof(err));
	if (m->outputs == NULL)
		fatalx("%s", err);
	if (m->opts->out == MAIN_OUT_LADDER && (m->ladder = ladder_new(stdout)) == NULL)
		fatalx("out of memory");
	if (privs_drop(m->cfg.daemon.user, err, sizeof(err)) == -1)
		fatalx("cannot drop privileges: %s", err);
	if (outputs_start(m->outputs, 1, err, sizeof(err)) == -1)
		fatalx("%s", err);

	main_replay_signals();
	rc = capture_run_file(m->capture, &last_ts, err, sizeof(err));
	if (rc == 1)
		log_warnx("%s: stopped by %s after %" PRIu64 " frames: the rest is not read",
		    m->opts->rfile, main_replay_sig == SIGINT ? "SIGINT" : "SIGTERM",
		    m->dstats.frames);
	/* At the end of what could be read, every open connection ends. */
	tracker_flush(m->tracker, last_ts, CR_SHUTDOWN);
	ladder_free(m->ladder);
	m->ladder = NULL;
	if (m->opts->stats)
		main_stats_record(m); /* the counters of the whole file, after the last event */
	main_metrics(m);
	outputs_flush(m->outputs);
	if (m->opts->debug)
		main_log_counters(m, 1);
	outputs_close(m->outputs);
	capture_close(m->capture);
	tracker_free(m->tracker);
	if (fflush(stdout) == EOF)
		log_warn("standard output");
	/* After the events, the last screen; a file cut short gets its one error line instead. */
	if (m->summary != NULL)
		summary_print(m->summary, m->stats, m->dstats.frames, rc >= 0 ? stderr : NULL);
	summary_free(m->summary);
	main_insight_close(m);
	if (rc == -1)
		fatalx("%s", err);
	exit(0);
}

/* SIGHUP: reload the config; on any error keep everything as it was. */
static void
main_reload(struct main_state *m)
{
	struct config *n;
	struct tracker_config tc;
	char *err;
	int r;

	notify_reloading();
	n = malloc(sizeof(*n));
	err = malloc(MAIN_ERRLEN);
	if (n == NULL || err == NULL) {
		log_warnx("reload: out of memory; keeping the running configuration");
		goto out;
	}
	conf_defaults(n);
	if (conf_load(m->cfg.path, n, err, MAIN_ERRLEN) == -1) {
		main_print_errors(err, 0);
		log_warnx("reload of %s failed; keeping the running configuration", m->cfg.path);
		goto out;
	}
	main_overrides(m->opts, n);
	if (n->tracking.max_flows != m->cfg.tracking.max_flows)
		log_warnx("tracking.max_flows changed from %u to %u: that takes a restart; "
			  "keeping %u", m->cfg.tracking.max_flows, n->tracking.max_flows,
		    m->cfg.tracking.max_flows);
	n->tracking.max_flows = m->cfg.tracking.max_flows;
	n->tracking.id_seed = m->cfg.tracking.id_seed;
	n->tracking.hash_key = m->cfg.tracking.hash_key;
	if (strcmp(n->daemon.user, m->cfg.daemon.user) != 0)
		log_warnx("daemon.user changed: that takes a restart");
	snprintf(n->daemon.user, sizeof(n->daemon.user), "%s", m->cfg.daemon.user);

	if (outputs_reconfigure(m->outputs, n, err, MAIN_ERRLEN) == -1) {
		log_warnx("reload: %s; keeping the running configuration", err);
		goto out;
	}
	if (n->capture.workers != m->cfg.capture.workers)
		log_warnx("capture.workers changed: that takes a restart");
	n->capture.workers = m->cfg.capture.workers;
	if (m->workers != NULL) {
		r = capture_config_same(&n->capture, &m->cfg.capture) ? 0 : -1;
		snprintf(err, MAIN_ERRLEN, "with capture.workers > 1 a change of the capture "
		    "settings takes a restart");
	} else
		r = capture_reconfigure(m->capture, &n->capture, err, MAIN_ERRLEN);
	if (r == -1) {
		log_warnx("reload: %s; the capture keeps its old settings", err);
		n->capture = m->cfg.capture;
	} else if (r == 1)
		log_info("capture reopened on %s with filter \"%s\"", n->capture.interface,
		    capture_filter(m->capture));
	if (n->daemon.stats_interval_s != m->cfg.daemon.stats_interval_s) {
		event_del(m->ev_stats);
		if (n->daemon.stats_interval_s > 0) {
			struct timeval tv = { (time_t)n->daemon.stats_interval_s, 0 };

			event_add(m->ev_stats, &tv);
		}
	}
	if (n->metrics.interval_s != m->cfg.metrics.interval_s ||
	    strcmp(n->metrics.path, m->cfg.metrics.path) != 0) {
		struct timeval tv = { (time_t)n->metrics.interval_s, 0 };

		event_del(m->ev_metrics);
		m->metrics_failing = 0;
		if (n->metrics.path[0] != '\0')
			event_add(m->ev_metrics, &tv);
	}
	if (alerts_reconfigure(m->alerts, n->alerts, n->nalerts) == -1) {
		log_warnx("reload: alerts: out of memory; keeping the old rules");
		memcpy(n->alerts, m->cfg.alerts, sizeof(n->alerts));
		n->nalerts = m->cfg.nalerts;
	}
	m->cfg = *n;
	main_pin_ports(m);
	m->out_mask = m->cfg.tracking.event_mask;
	main_tracker_config(m, &tc);
	if (m->workers != NULL)
		workers_reconfigure(m->workers, &tc);
	else
		tracker_reconfigure(m->tracker, &tc);
	log_info("configuration reloaded from %s", m->cfg.path);
out:
	free(n);
	free(err);
	outputs_reopen(m->outputs);
	main_status(m, 1);
}

static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct main_state *m = arg;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading %s and reopening the log file", m->cfg.path);
		main_reload(m);
		break;
	case SIGUSR1:
		log_info("SIGUSR1: reopening the log file");
		outputs_reopen(m->outputs);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		m->stopping = 1;
		event_base_loopbreak(m->base);
		break;
	}
}

/* Once a second: expiry on wall-clock time, output windows, STATUS now and then. */
static void
main_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct main_state *m = arg;
	struct capture_stats cs;
	uint64_t now = main_now_us();
	int up;

	if (now > MAIN_ADVANCE_LAG_US) {
		if (m->tracker != NULL) /* the workers expire their shards themselves */
			tracker_advance(m->tracker, now - MAIN_ADVANCE_LAG_US);
		alerts_advance(m->alerts, now - MAIN_ADVANCE_LAG_US);
	}
	if (m->ladder != NULL)
		ladder_tick(m->ladder);
	outputs_tick(m->outputs, now);
	m->ticks++;
	if (m->ticks % MAIN_STATUS_EVERY_S == 0)
		main_status(m, 0);
	else
		main_capture_stats(m, &up, &cs); /* sample often: pcap's counters are 32-bit */
}

/* Every daemon.stats_interval: the STATS record, the counters line, STATUS. */
static void
main_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	struct main_state *m = arg;

	main_stats_record(m);
	main_log_counters(m, 0);
	main_status(m, 0);
}

static void
main_metrics_cb(evutil_socket_t fd, short what, void *arg)
{
	main_metrics(arg);
}

static void
main_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_watchdog();
}

/* A persistent timer every period_us; fatal if libevent cannot make one. */
static struct event *
main_timer(struct main_state *m, uint64_t period_us, event_callback_fn cb)
{
	struct timeval tv = { (time_t)(period_us / 1000000u), (suseconds_t)(period_us % 1000000u) };
	struct event *ev;

	ev = event_new(m->base, -1, EV_PERSIST, cb, m);
	if (ev == NULL)
		fatalx("cannot create a timer");
	if (period_us > 0 && event_add(ev, &tv) == -1)
		fatalx("cannot add a timer");
	return ev;
}

/*
 * At a stop or restart every open connection is reported CLOSED (reason
 * shutdown) at info level, and this one line says how many, so that
 * `journalctl -p warning` shows one line for a restart, not one per connection.
 */
static void
main_flush_shutdown(struct main_state *m)
{
	uint64_t before = main_tracker_stats(m)->closed[CR_SHUTDOWN];
	uint64_t n;

	if (m->workers != NULL)
		workers_flush(m->workers, main_now_us(), CR_SHUTDOWN);
	else
		tracker_flush(m->tracker, main_now_us(), CR_SHUTDOWN);
	n = main_tracker_stats(m)->closed[CR_SHUTDOWN] - before;
	if (n > 0)
		log_warnx("stopping: %" PRIu64 " open connection%s reported CLOSED with reason "
			  "shutdown", n, n == 1 ? "" : "s");
}

/* The control socket: -S, else the runtime directory's. */
static void
main_control_path(const struct main_state *m, char *path, size_t cap)
{
	if (m->opts->socket != NULL)
		snprintf(path, cap, "%s", m->opts->socket);
	else if (control_default_path(path, cap) == -1)
		snprintf(path, cap, "%s/%s", CONTROL_DIR_DEFAULT, CONTROL_NAME);
}

/* The pid of the process that answers on the socket at path; 0 if none does. */
static pid_t
main_socket_owner(const char *path)
{
	struct sockaddr_un sun;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	pid_t pid = 0;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0)
		pid = cr.pid > 0 ? cr.pid : 1;
	close(fd);
	return pid;
}

/* The pid of the process that holds the log file's write lock (out_file.c takes it); 0 if none. */
static pid_t
main_file_owner(const char *path)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	pid_t pid = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type != F_UNLCK)
		pid = lk.l_pid > 0 ? lk.l_pid : 1;
	close(fd);
	return pid;
}

/*
 * A second daemon must not share the first one's control socket or log
 * file: it refuses to start, naming the one that runs.
 */
static void
main_refuse_second(const struct main_state *m)
{
	char path[108];
	pid_t pid;

	if (m->cfg.daemon.control) {
		main_control_path(m, path, sizeof(path));
		if ((pid = main_socket_owner(path)) != 0)
			fatalx("another tcpstated (pid %ld) is running with the control socket %s",
			    (long)pid, path);
	}
	if (m->cfg.out[OUT_FILE].enabled &&
	    (pid = main_file_owner(m->cfg.out[OUT_FILE].path)) != 0)
		fatalx("another tcpstated (pid %ld) is running with the log file %s", (long)pid,
		    m->cfg.out[OUT_FILE].path);
}

static const int main_sigs[] = { SIGHUP, SIGUSR1, SIGTERM, SIGINT };

/* Live, first: open the capture, the outputs and the control socket, then drop privileges. */
static void
main_live_open(struct main_state *m)
{
	struct tracker_config tc;
	struct stat st;
	char err[1024];

	main_refuse_second(m);
	if (main_shared_user(&m->cfg) != NULL)
		log_warnx("%s", main_shared_user(&m->cfg));
	main_random(&m->cfg.tracking.hash_key, sizeof(m->cfg.tracking.hash_key));
	main_random(&m->cfg.tracking.id_seed, sizeof(m->cfg.tracking.id_seed));
	m->base = event_base_new();
	if (m->base == NULL)
		fatalx("cannot create the event loop");
	m->start_us = main_now_us();
	main_insight_open(m);
	main_tracker_config(m, &tc);
	m->nworkers = main_workers(&m->cfg.capture);
	if (m->nworkers > 1) {
		m->workers = workers_open(m->base, &m->cfg.capture, m->nworkers, &tc, main_event_cb, m,
		    main_now_us, err, sizeof(err));
		if (m->workers == NULL)
			fatalx("%s", err);
		log_info("capturing on %s with filter \"%s\", %u workers", m->cfg.capture.interface,
		    workers_filter(m->workers), m->nworkers);
	} else {
		m->tracker = tracker_new(&tc, main_event_cb, m, err, sizeof(err));
		if (m->tracker == NULL)
			fatalx("%s", err);
		m->capture = capture_open(m->base, &m->cfg.capture, main_segments_cb, m, &m->dstats,
		    err, sizeof(err));
		if (m->capture == NULL)
			fatalx("%s", err);
		log_info("capturing on %s with filter \"%s\"", m->cfg.capture.interface,
		    capture_filter(m->capture));
	}

	if (m->cfg.out[OUT_FILE].enabled &&
	    privs_logdir(m->cfg.out[OUT_FILE].path, m->cfg.daemon.user, err, sizeof(err)) == -1)
		log_warnx("%s", err); /* the file output will say it cannot write; the rest runs */
	m->outputs = outputs_open(&m->cfg, m->opts->out == MAIN_OUT_LADDER ? -1 : m->opts->out,
	    err, sizeof(err));
	if (m->outputs == NULL && m->cfg.out[OUT_FILE].enabled &&
	    lstat(m->cfg.out[OUT_FILE].path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* Something not a regular file at the log path costs only the file output. */
		log_warnx("%s; running without the file output", err);
		m->cfg.out[OUT_FILE].enabled = 0;
		m->outputs = outputs_open(&m->cfg,
		    m->opts->out == MAIN_OUT_LADDER ? -1 : m->opts->out, err, sizeof(err));
	}
	if (m->outputs == NULL)
		fatalx("%s", err);
	if (m->cfg.out[OUT_FILE].enabled &&
	    privs_chown_file(m->cfg.out[OUT_FILE].path, m->cfg.daemon.user, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	if (m->opts->out == MAIN_OUT_LADDER && (m->ladder = ladder_new(stdout)) == NULL)
		fatalx("out of memory");
	/* Before the drop: /run/tcpstated may need creating. Without it, the rest runs. */
	if (m->cfg.daemon.control) {
		char path[108];

		main_control_path(m, path, sizeof(path));
		m->control = control_open(m->base, path, m->cfg.daemon.user, main_walk_cb,
		    main_control_insight_cb, m, err, sizeof(err));
		if (m->control == NULL)
			log_warnx("control socket: %s; --flows and --stats will not answer", err);
		else
			log_info("control socket %s", path);
	}

	if (privs_drop(m->cfg.daemon.user, err, sizeof(err)) == -1)
		fatalx("cannot drop privileges: %s", err);
	if (outputs_start(m->outputs, 0, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* After the drop, as the outputs' senders: a thread inherits the dropped privileges. */
	if (m->workers != NULL && workers_start(m->workers, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (geteuid() != 0 && m->cfg.daemon.user[0] != '\0')
		log_info("running as %s (uid %u) with only CAP_NET_RAW", m->cfg.daemon.user,
		    (unsigned)geteuid());
	else if (geteuid() != 0)
		log_info("running as uid %u with at most CAP_NET_RAW", (unsigned)geteuid());
	else
		log_info("running as root with only CAP_NET_RAW (set daemon.user to switch user)");
}

/* Live, then: the signals and the timers on the loop, READY=1, and the loop until a stop signal. */
static void
main_live_run(struct main_state *m)
{
	uint64_t wd;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(main_sigs) / sizeof(main_sigs[0]); i++) {
		m->ev_sig[i] = evsignal_new(m->base, main_sigs[i], main_signal_cb, m);
		if (m->ev_sig[i] == NULL || event_add(m->ev_sig[i], NULL) == -1)
			fatalx("cannot handle signal %d", main_sigs[i]);
	}
	m->ev_tick = main_timer(m, MAIN_TICK_S * 1000000u, main_tick_cb);
	m->ev_stats = main_timer(m, (uint64_t)m->cfg.daemon.stats_interval_s * 1000000u, main_stats_cb);
	m->ev_metrics = main_timer(m, m->cfg.metrics.path[0] != '\0' ?
	    (uint64_t)m->cfg.metrics.interval_s * 1000000u : 0, main_metrics_cb);
	wd = notify_watchdog_usec();
	if (wd > 0) {
		m->ev_watchdog = main_timer(m, wd / 2, main_watchdog_cb);
		notify_watchdog();
	}
	main_metrics(m);
	main_status(m, 1);

	if (event_base_dispatch(m->base) == -1)
		log_warnx("event loop failed");
}

/* Live, last: what was captured before the signal, the last records and counters, then close. */
static void __attribute__((noreturn))
main_live_shutdown(struct main_state *m)
{
	size_t i;

	notify_stopping();
	control_close(m->control);
	m->control = NULL;
	/* What was captured before the signal still counts. */
	if (m->workers != NULL)
		workers_stop(m->workers);
	else
		capture_drain(m->capture);
	if (m->cfg.daemon.close_on_shutdown)
		main_flush_shutdown(m);
	ladder_free(m->ladder);
	m->ladder = NULL;
	if (m->cfg.daemon.stats_interval_s > 0)
		main_stats_record(m); /* the last counters, as the catalog promises */
	main_metrics(m);
	outputs_flush(m->outputs);
	main_log_counters(m, 1);
	outputs_close(m->outputs);
	m->outputs = NULL;
	capture_close(m->capture);
	workers_close(m->workers);
	for (i = 0; i < sizeof(main_sigs) / sizeof(main_sigs[0]); i++)
		event_free(m->ev_sig[i]);
	event_free(m->ev_tick);
	event_free(m->ev_stats);
	event_free(m->ev_metrics);
	if (m->ev_watchdog != NULL)
		event_free(m->ev_watchdog);
	if (m->tracker != NULL)
		tracker_free(m->tracker);
	main_insight_close(m);
	event_base_free(m->base);
	if (fflush(stdout) == EOF && m->opts->out >= 0)
		log_warn("standard output");
	exit(0);
}

/* --flows, --stats: a client of the running daemon's control socket. */
static int
main_client(const struct main_opts *o)
{
	struct client_request r = { .stats = o->stats, .json = o->out == FMT_JSON, .ip = o->ip,
		.port = o->port, .state = o->state, .sort = o->sort, .watch_ms = o->watch_ms };
	char path[108];

	if (o->socket != NULL)
		snprintf(path, sizeof(path), "%s", o->socket);
	else if (control_default_path(path, sizeof(path)) == -1) {
		log_warnx("$RUNTIME_DIRECTORY is too long for a socket path: use -S");
		return 1;
	}
	return client_run(path, &r);
}

int
main(int argc, char **argv)
{
	static struct main_opts opts;
	static struct main_state m;

	log_init(0, "tcpstated");
	main_options(&opts, argc, argv);
	m.opts = &opts;
	if (opts.flows || (opts.stats && opts.rfile == NULL))
		return main_client(&opts);

	main_config(&opts, &m.cfg);
	if (opts.check) {
		if (main_check_world(&m.cfg) > 0)
			return 1;
		printf("configuration OK\n");
		return 0;
	}
	m.out_mask = m.cfg.tracking.event_mask;
	if (opts.rfile != NULL)
		main_replay(&m);
	main_live_open(&m);
	main_live_run(&m);
	main_live_shutdown(&m);
}
