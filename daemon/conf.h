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
#include "capture.h"

#define CONF_PATH_DEFAULT "/etc/tcpstated/tcpstated.conf"

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

/* The daemon group: main's own settings. */
struct daemon_config {
	char user[64];             /* drop to this user after opening everything; "" = stay */
	int close_on_shutdown;     /* emit CLOSED reason=shutdown for open connections at exit */
	uint32_t stats_interval_s; /* STATS records and the counters line; 0 = off */
	int control;               /* serve the control socket (--flows, --stats) */
};

/* The metrics group: main writes the file on a timer with metrics_write(). */
struct metrics_config {
	char path[4096];     /* "" = off */
	uint32_t interval_s; /* between two writes */
};

/*
 * The whole configuration, one group per owner (as relayd's struct relay
 * holds a struct relay_config): a reload compares each group with the one
 * in force and hands it over whole.
 */
struct config {
	char path[4096];                 /* the file this came from ("" if none) */
	struct capture_config capture;   /* capture.c's */
	struct tracker_config tracking;  /* the tracker's; also the top-level events */
	struct daemon_config daemon;     /* main's */
	struct out_config out[OUT_NKINDS]; /* each output's */
	struct metrics_config metrics;   /* the Prometheus textfile */
	struct alert_rule alerts[ALERT_MAX_RULES];
	size_t nalerts;
};

/* Fill *c with the defaults of the key table. */
void conf_defaults(struct config *c);

/*
 * Read path into *c (on top of defaults). On error returns -1 and writes every
 * problem found, one "file:line: message" per line, into err (cap errlen).
 * *c is only changed on success.
 */
int conf_load(const char *path, struct config *c, char *err, size_t errlen);

/*
 * Every key of the file, in the table's order: fn gets its dotted name, its
 * default as the file writes it, its range and its one-line documentation.
 */
typedef void conf_key_cb(const char *name, const char *def, const char *range, const char *doc,
    void *arg);
void conf_keys(conf_key_cb *fn, void *arg);

#endif
