/*
 * outdrive.c - drive daemon/output.c with synthetic events, for the shell
 * tests t_output_*.sh.
 *
 *   outdrive [-c CONF] [-o json|text|kv] [-d] [-R] [-s KEY=VALUE ...] < commands
 *
 * The config starts with every output off (or from CONF through conf_load())
 * and -s changes one setting: journal=on|off, syslog=on|off, file=PATH|off,
 * and OUT.events=RST,CLOSED|all  OUT.rate_limit=N  OUT.rate_interval=S
 * (OUT is journal, syslog or file), file.format=json|text, file.max_size=BYTES,
 * file.keep=N, file.mode=0640, syslog.format=kv|cee, syslog.facility=local0,
 * syslog.ident=NAME. -R starts the outputs as -r does (outputs_start()'s replay:
 * the log file and standard output write on a thread of their own).
 *
 * Commands, one per line on standard input:
 *   emit TYPE N        N events of TYPE (SYN ... CLOSED, SEGMENT, or "mix": SYN..CLOSED in turn)
 *   ts US | step US    the next event's time, and the increment after each event
 *   reason NAME        close reason of the CLOSED events that follow (fin, rst, ...)
 *   family 4|6         address family of the events that follow
 *   tick [US]          outputs_tick() at US (default: the next event's time)
 *   flush | reopen     outputs_flush() | outputs_reopen()
 *   reconfigure K=V .. apply -s style settings to the running outputs
 *   await OUT N [MS]   wait until OUT has written or dropped N records in all
 *   stats              one line per output on stderr
 *   sync FILE          create FILE (the shell test waits for it)
 *   sleep MS
 * At the end of input: stats, then outputs_close().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../../daemon/conf.h"
#include "../../daemon/log.h"
#include "../../daemon/out.h"
#include "../../daemon/output.h"
#include "event.h"
#include "format.h"


struct drive {
	struct config cfg;
	struct outputs *o;
	uint64_t ts_us;
	uint64_t step_us;
	uint64_t n; /* events emitted so far: varies ids, addresses, ports */
	enum close_reason reason;
	int family;
};

static void
usage(void)
{
	fprintf(stderr, "usage: outdrive [-c conf] [-o json|text|kv] [-d] [-R] [-s key=value ...] "
	                "< commands\n");
	exit(2);
}

static int
kind_from_name(const char *name)
{
	int k;

	for (k = 0; k <= OUT_NKINDS; k++) {
		if (strcmp(name, outputs_name(k)) == 0)
			return k;
	}
	return -1;
}

static int
parse_events(const char *list, uint32_t *mask)
{
	char buf[256], *tok, *save = NULL;
	int t;

	if (strcmp(list, "all") == 0) {
		*mask = TEV_MASK_DEFAULT;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if ((t = event_type_from_name(tok)) == -1)
			return -1;
		*mask |= TEV_BIT(t);
	}
	return 0;
}

/* One -s setting; returns -1 (and says why) when it makes no sense. */
static int
apply_setting(struct config *c, const char *kv)
{
	char key[64];
	const char *eq = strchr(kv, '='), *v, *dot;
	struct out_config *oc;
	int k;

	if (eq == NULL || (size_t)(eq - kv) >= sizeof(key))
		goto bad;
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	v = eq + 1;
	if ((k = kind_from_name(key)) >= 0 && k < OUT_NKINDS) {
		if (k == OUT_FILE && strcmp(v, "off") != 0) {
			snprintf(c->out[k].path, sizeof(c->out[k].path), "%s", v);
			c->out[k].enabled = 1;
		} else
			c->out[k].enabled = strcmp(v, "on") == 0;
		return 0;
	}
	if ((dot = strchr(key, '.')) == NULL)
		goto bad;
	key[dot - key] = '\0';
	if ((k = kind_from_name(key)) < 0 || k >= OUT_NKINDS)
		goto bad;
	oc = &c->out[k];
	dot = key + strlen(key) + 1;
	if (strcmp(dot, "events") == 0)
		return parse_events(v, &oc->event_mask) == 0
		           ? 0
		           : (fprintf(stderr, "bad events %s\n", v), -1);
	if (strcmp(dot, "rate_limit") == 0)
		oc->rate_limit = (uint32_t)strtoul(v, NULL, 10);
	else if (strcmp(dot, "rate_interval") == 0)
		oc->rate_interval_s = (uint32_t)strtoul(v, NULL, 10);
	else if (strcmp(dot, "format") == 0)
		oc->format = strcmp(v, "cee") == 0 ? FMT_JSON : (enum format)format_from_name(v);
	else if (strcmp(dot, "max_size") == 0)
		oc->max_size_bytes = strtoull(v, NULL, 10);
	else if (strcmp(dot, "keep") == 0)
		oc->keep = (uint32_t)strtoul(v, NULL, 10);
	else if (strcmp(dot, "mode") == 0)
		oc->mode = (uint32_t)strtoul(v, NULL, 8);
	else if (strcmp(dot, "facility") == 0)
		oc->facility = strcmp(v, "local0") == 0 ? LOG_LOCAL0
		               : strcmp(v, "user") == 0 ? LOG_USER
		                                        : LOG_DAEMON;
	else if (strcmp(dot, "ident") == 0)
		snprintf(oc->ident, sizeof(oc->ident), "%s", v);
	else
		goto bad;
	if ((int)oc->format < 0) {
		fprintf(stderr, "bad format %s\n", v);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "outdrive: bad setting %s\n", kv);
	return -1;
}

/* Every output off, the rest as conf.c's defaults would have it. */
static void
config_base(struct config *c)
{
	int k;

	conf_defaults(c);
	for (k = 0; k < OUT_NKINDS; k++) {
		c->out[k].enabled = 0;
		c->out[k].event_mask = TEV_MASK_DEFAULT;
		c->out[k].rate_limit = 0;
		c->out[k].rate_interval_s = 10;
	}
	c->out[OUT_FILE].format = FMT_JSON;
	c->out[OUT_FILE].max_size_bytes = 0;
	c->out[OUT_FILE].keep = 5;
	c->out[OUT_SYSLOG].format = FMT_KV;
}

/* A plausible event of type t: the n-th connection, its states as the tracker would report. */
static void
make_event(struct drive *d, enum event_type t, struct event *ev)
{
	uint64_t n = d->n++;

	memset(ev, 0, sizeof(*ev));
	ev->ts_us = d->ts_us;
	d->ts_us += d->step_us;
	ev->flow_id = (n + 1) * 0x9E3779B97F4A7C15ULL;
	ev->type = t;
	ev->family = (uint8_t)d->family;
	if (d->family == 4) {
		ev->client_ip[0] = 10;
		ev->client_ip[2] = (uint8_t)(n >> 8);
		ev->client_ip[3] = (uint8_t)n;
		ev->server_ip[0] = 192;
		ev->server_ip[2] = 2;
		ev->server_ip[3] = 10;
	} else {
		ev->client_ip[0] = 0x20;
		ev->client_ip[1] = 0x01;
		ev->client_ip[2] = 0x0d;
		ev->client_ip[3] = 0xb8;
		ev->client_ip[14] = (uint8_t)(n >> 8);
		ev->client_ip[15] = (uint8_t)n;
		memcpy(ev->server_ip, ev->client_ip, 14);
		ev->server_ip[15] = 1;
	}
	ev->client_port = (uint16_t)(32768 + n % 28000);
	ev->server_port = 5432;
	ev->by = SIDE_CLIENT;
	ev->client_state = ev->client_state_was = ST_ESTABLISHED;
	ev->server_state = ev->server_state_was = ST_ESTABLISHED;
	ev->closed_by = SIDE_NONE;
	switch (t) {
	case TEV_SYN:
		ev->client_state_was = ST_CLOSED;
		ev->client_state = ST_SYN_SENT;
		ev->server_state = ev->server_state_was = ST_LISTEN;
		ev->opt.present = OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TS;
		ev->opt.mss = 1460;
		ev->opt.wscale = 7;
		break;
	case TEV_SYN_ACK:
		ev->by = SIDE_SERVER;
		ev->client_state = ev->client_state_was = ST_SYN_SENT;
		ev->server_state_was = ST_LISTEN;
		ev->server_state = ST_SYN_RCVD;
		ev->opt.present = OPT_MSS;
		ev->opt.mss = 1400;
		break;
	case TEV_ESTABLISHED:
		ev->client_state_was = ST_SYN_SENT;
		ev->server_state = ev->server_state_was = ST_SYN_RCVD;
		break;
	case TEV_FIN:
		ev->client_state = ST_FIN_WAIT_1;
		break;
	case TEV_RST:
		ev->by = SIDE_SERVER;
		ev->client_state = ev->server_state = ST_CLOSED;
		break;
	case TEV_TIME_WAIT:
		ev->by = SIDE_SERVER;
		ev->client_state_was = ST_FIN_WAIT_2;
		ev->client_state = ST_TIME_WAIT;
		ev->server_state = ev->server_state_was = ST_LAST_ACK;
		break;
	case TEV_STATE:
		ev->client_state_was = ev->client_state = ST_TIME_WAIT;
		ev->server_state_was = ST_LAST_ACK;
		ev->server_state = ST_CLOSED;
		break;
	case TEV_CLOSED:
		ev->by = SIDE_NONE;
		ev->client_state = ev->client_state_was = ST_TIME_WAIT;
		ev->server_state = ev->server_state_was = ST_CLOSED;
		ev->reason = d->reason;
		ev->abnormal = d->reason != CR_FIN;
		ev->closed_by = d->reason == CR_FIN   ? SIDE_CLIENT
		                : d->reason == CR_RST ? SIDE_SERVER
		                                      : SIDE_NONE;
		ev->duration_us = 1500000 + n;
		ev->lifetime_us = ev->duration_us + 60000000; /* the close decided a minute on */
		ev->client.bytes = 517 + n;
		ev->client.pkts = 7;
		ev->server.bytes = 4096;
		ev->server.pkts = 6;
		memcpy(ev->conn_state, d->reason == CR_FIN ? "SF" : "RSTR",
		       d->reason == CR_FIN ? 3 : 5);
		memcpy(ev->history, "ShADadfF", 9);
		break;
	case TEV_SEGMENT:
		ev->seg_flags = TH_ACK | TH_PSH;
		ev->seg_rel_seq = 1;
		ev->seg_rel_ack = 1;
		ev->seg_len = 100;
		break;
	default:
		break;
	}
}

static void
print_stats(struct drive *d)
{
	const struct output_stats *st;
	int k;

	for (k = 0; k <= OUT_NKINDS; k++) {
		st = outputs_stats(d->o, (enum out_kind)k);
		fprintf(stderr,
		        "stats %s written=%llu filtered=%llu suppressed=%llu dropped=%llu "
		        "rotations=%llu\n",
		        outputs_name(k), (unsigned long long)st->written,
		        (unsigned long long)st->filtered, (unsigned long long)st->suppressed,
		        (unsigned long long)st->dropped, (unsigned long long)st->rotations);
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
command(struct drive *d, char *line)
{
	char *argv[32], *save = NULL, err[8192];
	const struct output_stats *st;
	struct event ev;
	int argc = 0, t, k;
	uint64_t i, n;
	long waited;

	for (argv[argc] = strtok_r(line, " \t\n", &save); argv[argc] != NULL && argc < 31;
	     argv[++argc] = strtok_r(NULL, " \t\n", &save))
		;
	if (argc == 0 || argv[0][0] == '#')
		return 0;
	if (strcmp(argv[0], "emit") == 0 && argc == 3) {
		n = strtoull(argv[2], NULL, 10);
		t = strcmp(argv[1], "mix") == 0 ? -2 : event_type_from_name(argv[1]);
		if (t == -1)
			return -1;
		for (i = 0; i < n; i++) {
			make_event(d,
			           t == -2 ? (enum event_type)(i % (TEV_CLOSED + 1)) : (enum event_type)t,
			           &ev);
			outputs_event(d->o, &ev);
		}
	} else if (strcmp(argv[0], "ts") == 0 && argc == 2)
		d->ts_us = strtoull(argv[1], NULL, 10);
	else if (strcmp(argv[0], "step") == 0 && argc == 2)
		d->step_us = strtoull(argv[1], NULL, 10);
	else if (strcmp(argv[0], "family") == 0 && argc == 2)
		d->family = atoi(argv[1]) == 6 ? 6 : 4;
	else if (strcmp(argv[0], "reason") == 0 && argc == 2) {
		for (t = 0; t < CR_NREASONS; t++) {
			if (strcmp(argv[1], close_reason_name((enum close_reason)t)) == 0)
				break;
		}
		if (t == CR_NREASONS)
			return -1;
		d->reason = (enum close_reason)t;
	} else if (strcmp(argv[0], "tick") == 0)
		outputs_tick(d->o, argc > 1 ? strtoull(argv[1], NULL, 10) : d->ts_us);
	else if (strcmp(argv[0], "flush") == 0)
		outputs_flush(d->o);
	else if (strcmp(argv[0], "reopen") == 0)
		outputs_reopen(d->o);
	else if (strcmp(argv[0], "reconfigure") == 0) {
		struct config c = d->cfg;

		for (k = 1; k < argc; k++) {
			if (apply_setting(&c, argv[k]) == -1)
				return -1;
		}
		if (outputs_reconfigure(d->o, &c, err, sizeof(err)) == -1)
			fprintf(stderr, "reconfigure failed: %s\n", err);
		else {
			d->cfg = c;
			fprintf(stderr, "reconfigure ok\n");
		}
	} else if (strcmp(argv[0], "await") == 0 && argc >= 3) {
		if ((k = kind_from_name(argv[1])) < 0)
			return -1;
		n = strtoull(argv[2], NULL, 10);
		for (waited = 0;; waited += 10) {
			st = outputs_stats(d->o, (enum out_kind)k);
			if (st->written + st->dropped >= n) {
				fprintf(stderr, "await ok\n");
				break;
			}
			if (waited >= (argc > 3 ? atol(argv[3]) : 5000)) {
				fprintf(stderr, "await timeout\n");
				break;
			}
			sleep_ms(10);
		}
	} else if (strcmp(argv[0], "stats") == 0)
		print_stats(d);
	else if (strcmp(argv[0], "sync") == 0 && argc == 2) {
		if ((k = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
			return -1;
		close(k);
	} else if (strcmp(argv[0], "sleep") == 0 && argc == 2)
		sleep_ms(atol(argv[1]));
	else
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct drive d;
	char err[8192], line[1024], copy[1024];
	const char *conf = NULL;
	int ch, stdout_fmt = -1, debug = 0, replay = 0;

	memset(&d, 0, sizeof(d));
	config_base(&d.cfg);
	d.ts_us = 1718961975123456ULL;
	d.step_us = 1000;
	d.reason = CR_FIN;
	d.family = 4;
	while ((ch = getopt(argc, argv, "c:o:dRs:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			if (conf_load(conf, &d.cfg, err, sizeof(err)) == -1) {
				fprintf(stderr, "%s", err);
				return 1;
			}
			break;
		case 'o':
			if ((stdout_fmt = format_from_name(optarg)) == -1)
				usage();
			break;
		case 'd':
			debug = 1;
			break;
		case 'R':
			replay = 1;
			break;
		case 's':
			if (apply_setting(&d.cfg, optarg) == -1)
				return 2;
			break;
		default:
			usage();
		}
	}
	log_init(debug, "outdrive");
	signal(SIGPIPE, SIG_IGN); /* as the daemon does: a closed stdout is an EPIPE, not a death */
	if ((d.o = outputs_open(&d.cfg, stdout_fmt, err, sizeof(err))) == NULL ||
	    outputs_start(d.o, replay, err, sizeof(err)) == -1) {
		fprintf(stderr, "outdrive: %s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		memcpy(copy, line, sizeof(copy));
		if (command(&d, line) == -1) {
			fprintf(stderr, "outdrive: bad command: %s", copy);
			outputs_close(d.o);
			return 2;
		}
	}
	outputs_flush(d.o);
	print_stats(&d);
	outputs_close(d.o);
	return 0;
}
