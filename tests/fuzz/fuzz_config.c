/*
 * fuzz_config.c - libFuzzer harness: arbitrary bytes as the config file,
 * through conf_load() (the pre-scan, libconfig, the key tables, the range
 * checks, the filter compiler).
 *
 * The input is written to a file of its own, at a path as long as a real
 * one, and loaded twice with the daemon's error buffer size (16 KiB) or, for
 * odd-sized inputs, a small one, to reach the "more errors" cut-off.
 * Invariants: conf_load returns 0 or -1, the same both times, with the same
 * result. On -1 the config is untouched and the error text is whole lines,
 * each "file:line: message" or "file: message", naming the file (an included
 * one when the input has an @include), without control characters. On 0
 * every setting is inside its documented range.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz_check.h"

#define FZ_ERRLEN 16384 /* what tcpstated gives conf_load */
#define FZ_ERRLEN_SMALL 600

static const char *fz_path; /* the scratch file the target reads */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_path = fz_scratch_init("config", "tcpstated.conf");
	return 0;
}

static size_t
fz_strlen(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	FZ_ASSERT(n < cap);
	return n;
}

/* A string setting: NUL-terminated in its array, no control characters. */
static void
fz_check_str(const char *s, size_t cap, size_t min)
{
	size_t n = fz_strlen(s, cap), i;

	FZ_ASSERT(n >= min);
	for (i = 0; i < n; i++)
		FZ_ASSERT((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

/* Every setting of a config conf_load accepted, against tcpstated.conf(5). */
static void
fz_check_config(const struct config *c, const struct config *def)
{
	const struct out_config *o;
	size_t i, j;
	int k;

	FZ_ASSERT(strcmp(c->path, fz_path) == 0);
	fz_check_str(c->capture.interface, sizeof(c->capture.interface), 1);
	FZ_ASSERT(strlen(c->capture.interface) <= 15);
	FZ_ASSERT(c->capture.nports <= CAPTURE_MAX_PORTS);
	for (i = 0; i < c->capture.nports; i++) {
		FZ_ASSERT(c->capture.ports[i] >= 1);
		for (j = 0; j < i; j++)
			FZ_ASSERT(c->capture.ports[i] != c->capture.ports[j]);
	}
	fz_check_str(c->capture.filter, sizeof(c->capture.filter), 0);
	FZ_ASSERT(c->capture.snaplen >= 64 && c->capture.snaplen <= 262144);
	FZ_ASSERT(c->capture.buffer_size_kb >= 64 && c->capture.buffer_size_kb <= 4194304);
	FZ_ASSERT(c->capture.promiscuous == 0 || c->capture.promiscuous == 1);
	FZ_ASSERT(c->capture.immediate == 0 || c->capture.immediate == 1);
	FZ_ASSERT(c->tracking.max_flows >= 16 && c->tracking.max_flows <= 67108864);
	FZ_ASSERT(c->tracking.timeout_syn_s >= 1 && c->tracking.timeout_syn_s <= 31536000);
	FZ_ASSERT(c->tracking.timeout_established_s >= 1 &&
	    c->tracking.timeout_established_s <= 31536000);
	FZ_ASSERT(c->tracking.timeout_closing_s >= 1 && c->tracking.timeout_closing_s <= 31536000);
	FZ_ASSERT(c->tracking.timeout_time_wait_s >= 1 &&
	    c->tracking.timeout_time_wait_s <= 31536000);
	FZ_ASSERT((c->tracking.event_mask & ~(uint32_t)TEV_MASK_DEFAULT) == 0);
	FZ_ASSERT(c->tracking.id_seed == def->tracking.id_seed);
	fz_check_str(c->daemon.user, sizeof(c->daemon.user), 0);
	FZ_ASSERT(c->daemon.close_on_shutdown == 0 || c->daemon.close_on_shutdown == 1);
	FZ_ASSERT(c->daemon.stats_interval_s <= 31536000);
	for (k = 0; k < OUT_NKINDS; k++) {
		o = &c->out[k];
		FZ_ASSERT(o->enabled == 0 || o->enabled == 1);
		FZ_ASSERT((o->event_mask & ~(uint32_t)TEV_MASK_DEFAULT) == 0);
		FZ_ASSERT(o->rate_limit <= 10000000);
		FZ_ASSERT(o->rate_interval_s >= 1 && o->rate_interval_s <= 86400);
		fz_check_str(o->path, sizeof(o->path), 0);
		fz_check_str(o->ident, sizeof(o->ident), k == OUT_SYSLOG); /* only syslog has one */
		FZ_ASSERT(o->max_size_bytes % (1024 * 1024) == 0 &&
		    o->max_size_bytes <= 1048576ULL * 1024 * 1024);
		FZ_ASSERT(o->keep <= 1000);
		FZ_ASSERT(o->mode <= 0777);
		FZ_ASSERT((o->facility & 7) == 0 && o->facility >= LOG_KERN &&
		    o->facility <= LOG_LOCAL7);
	}
	FZ_ASSERT(c->out[OUT_FILE].format == FMT_JSON || c->out[OUT_FILE].format == FMT_TEXT);
	FZ_ASSERT(c->out[OUT_SYSLOG].format == FMT_KV || c->out[OUT_SYSLOG].format == FMT_JSON);
	if (c->out[OUT_FILE].enabled)
		FZ_ASSERT(c->out[OUT_FILE].path[0] != '\0');
}

/*
 * The error text: whole lines, each naming a file, then an optional line
 * number, then a message, all printable.
 */
static void
fz_check_errors(const char *err, size_t errlen, int includes)
{
	size_t n = fz_strlen(err, errlen), plen = strlen(fz_path);
	const char *line = err, *nl, *p;

	FZ_ASSERT(n > 0 && "an error says something");
	FZ_ASSERT(err[n - 1] == '\n' && "the error text ends with a whole line");
	for (; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		FZ_ASSERT(nl != NULL);
		if (strncmp(line, "    ", 4) == 0) {
			/* Under a syntax error: its line, or the caret below it. */
			for (p = line; p < nl; p++)
				FZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f &&
				    "no control character in a context line");
			continue;
		}
		if (strncmp(line, fz_path, plen) == 0 && line[plen] == ':')
			p = line + plen + 1;
		else {
			/* Another file: only one the input named with @include. */
			FZ_ASSERT(includes && "every error line starts with the config file's name");
			p = memchr(line, ':', (size_t)(nl - line));
			FZ_ASSERT(p != NULL && p > line);
			p++;
		}
		if (*p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++;
			FZ_ASSERT(*p == ':');
			p++;
		}
		FZ_ASSERT(*p == ' ' && p + 1 < nl);
		for (; p < nl; p++)
			FZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f &&
			    "no control character in an error line");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config def, c, c2;
	size_t errlen = size & 1 ? FZ_ERRLEN_SMALL : FZ_ERRLEN;
	char *err, *err2;
	int rc, rc2, includes;

	fz_scratch_write(data, size);
	includes = size > 0 && memchr(data, '@', size) != NULL;

	err = malloc(errlen);
	err2 = malloc(errlen);
	FZ_ASSERT(err != NULL && err2 != NULL);
	conf_defaults(&def);
	c = def;
	rc = conf_load(fz_path, &c, err, errlen);
	FZ_ASSERT(rc == 0 || rc == -1);
	if (rc == 0) {
		FZ_ASSERT(err[0] == '\0');
		fz_check_config(&c, &def);
	} else {
		FZ_ASSERT(memcmp(&c, &def, sizeof(c)) == 0);
		fz_check_errors(err, errlen, includes);
	}

	/* A reload of the same file gives the same answer. */
	c2 = def;
	rc2 = conf_load(fz_path, &c2, err2, errlen);
	FZ_ASSERT(rc2 == rc);
	FZ_ASSERT(memcmp(&c, &c2, sizeof(c)) == 0);
	FZ_ASSERT(strcmp(err, err2) == 0);
	free(err);
	free(err2);
	return 0;
}
