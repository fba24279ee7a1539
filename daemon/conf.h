/*
 * conf.h - the daemon's settings: defaults, the libconfig file, the command
 * line on top. conf.c owns parsing and validation; everything else reads a
 * finished struct config and never a config_t.
 */
#ifndef TCPSTATED_CONF_H
#define TCPSTATED_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/alert.h"
#include "../lib/format.h"
#include "../lib/tracker.h"

#define CONF_PATH_DEFAULT "/etc/tcpstated/tcpstated.conf"
#define CONF_MAX_PORTS 64
#define CONF_UPDATE_INTERVAL_S 3600 /* tracking.update_interval: an UPDATE an hour */
#define CONF_METRICS_INTERVAL_S 15

enum out_kind { OUT_JOURNAL = 0, OUT_SYSLOG, OUT_FILE, OUT_NKINDS };

/* One output (journal, syslog or file); which fields matter depends on the kind. */
struct out_config {
	int enabled;
	uint32_t event_mask;      /* TEV_BIT()s this output receives */
	uint32_t rate_limit;      /* records per rate_interval_s; 0 = unlimited */
	uint32_t rate_interval_s;
	enum format format;       /* file: FMT_JSON or FMT_TEXT; syslog: FMT_KV or FMT_JSON (@cee:) */
	/* file */
	char path[4096];
	uint64_t max_size_bytes;  /* rotate when the file would grow past this; 0 = never */
	uint32_t keep;            /* rotated files kept: path.1 ... path.keep */
	uint32_t mode;            /* creation mode, e.g. 0640 */
	/* syslog */
	int facility;             /* LOG_DAEMON, LOG_LOCAL0, ... */
	char ident[64];
};

struct config {
	char path[4096];          /* the file this came from ("" if none) */
	/* capture */
	char interface[64];
	uint16_t ports[CONF_MAX_PORTS];
	size_t nports;            /* 0 = every TCP port */
	char filter[1024];        /* raw pcap-filter(7) expression; overrides ports */
	uint32_t snaplen;
	uint32_t buffer_size_kb;
	int promiscuous;
	int immediate;
	/* tracking */
	struct tracker_config tracking;
	/* daemon */
	char user[64];            /* drop to this user after opening everything; "" = stay */
	int close_on_shutdown;    /* emit CLOSED reason=shutdown for open connections at exit */
	uint32_t stats_interval_s; /* STATS records and the counters line; 0 = off */
	int control;              /* serve the control socket (--flows, --stats) */
	struct out_config out[OUT_NKINDS];
	/* metrics: the Prometheus textfile */
	char metrics_path[4096];  /* "" = off */
	uint32_t metrics_interval_s;
	/* alerts */
	struct alert_rule alerts[ALERT_MAX_RULES];
	size_t nalerts;
};

/* Fill *c with the documented defaults. */
void conf_defaults(struct config *c);

/*
 * Read path into *c (on top of defaults). On error returns -1 and writes every
 * problem found, one "file:line: message" per line, into err (cap errlen).
 * *c is only changed on success.
 */
int conf_load(const char *path, struct config *c, char *err, size_t errlen);

#endif
