/*
 * fuzz_pcap.c - libFuzzer harness: arbitrary bytes as the file given to
 * `tcpstated -r`, through capture_open_file() and capture_run_file() (libpcap
 * reads it; our code checks the link type, builds the filter, converts the
 * timestamps and decodes), then the tracker, every format and the ladder.
 *
 * Inputs of odd size are read with `ports = [ 80, 443 ]`, so a BPF filter
 * built for the file's link type runs over every frame. Invariants: an
 * unusable file is refused with one printable line naming it; a usable one
 * is read to its end or to its damage (again one line naming it); every frame
 * libpcap delivered was offered to decode; every event is well-formed in
 * every format; at the end every flow was CLOSED once.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "conf.h"
#include "fuzz_check.h"
#include "ladder.h"
#include "tracker.h"

static const char *fz_path; /* the scratch file the target reads */
static FILE *fz_null;

static struct {
	struct tracker *t;
	struct ladder *ladder;
	uint64_t nseg;
	uint64_t nclosed;
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_path = fz_scratch_init("pcap", "capture.pcap");
	fz_null = fopen("/dev/null", "w");
	if (fz_null == NULL)
		abort();
	return 0;
}

static void
fz_emit_cb(const struct event *ev, void *arg)
{
	(void)arg;
	fz_check_event_fields(ev, 0);
	fz_check_formats(ev);
	if (ev->type == TEV_CLOSED)
		fz.nclosed++;
	ladder_event(fz.ladder, ev);
}

static void
fz_segments_cb(const struct segment *segs, size_t n, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++)
		fz_check_segment(&segs[i]);
	fz.nseg += n;
	tracker_segments(fz.t, segs, n);
	ladder_tick(fz.ladder);
}

/* One line of text that names the file. */
static void
fz_check_reason(const char *err, size_t cap)
{
	size_t n = strnlen(err, cap), i;

	FZ_ASSERT(n > 0 && n < cap);
	FZ_ASSERT(strncmp(err, fz_path, strlen(fz_path)) == 0);
	for (i = 0; i < n; i++)
		FZ_ASSERT((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	struct tracker_config tc;
	struct decode_stats ds;
	const struct tracker_stats *st;
	struct capture *c;
	uint64_t last_ts, sum;
	char err[512];
	size_t i;
	int rc;

	fz_scratch_write(data, size);

	conf_defaults(&cfg);
	if (size & 1) {
		cfg.capture.ports[0] = 80;
		cfg.capture.ports[1] = 443;
		cfg.capture.nports = 2;
	}
	memset(&ds, 0, sizeof(ds));
	memset(err, 0, sizeof(err));
	c = capture_open_file(fz_path, &cfg.capture, fz_segments_cb, NULL, &ds, err, sizeof(err));
	if (c == NULL) {
		fz_check_reason(err, sizeof(err));
		FZ_ASSERT(ds.frames == 0);
		return 0;
	}

	tracker_config_default(&tc);
	tc.max_flows = 64;
	tc.event_mask |= TEV_BIT(TEV_SEGMENT);
	fz.t = tracker_new(&tc, fz_emit_cb, NULL, err, sizeof(err));
	fz.ladder = ladder_new(fz_null);
	FZ_ASSERT(fz.t != NULL && fz.ladder != NULL);
	fz.nseg = fz.nclosed = 0;

	rc = capture_run_file(c, &last_ts, err, sizeof(err));
	FZ_ASSERT(rc == 0 || rc == -1);
	if (rc == -1)
		fz_check_reason(err, sizeof(err));
	for (sum = 0, i = 0; i < DECODE_NREASONS; i++)
		sum += ds.result[i];
	FZ_ASSERT(sum == ds.frames);
	FZ_ASSERT(ds.result[DECODE_OK] == fz.nseg);
	FZ_ASSERT(ds.result[DECODE_LINK_UNSUPPORTED] == 0);

	tracker_flush(fz.t, last_ts, CR_SHUTDOWN);
	st = tracker_stats(fz.t);
	FZ_ASSERT(st->segments == fz.nseg);
	FZ_ASSERT(st->flows_active == 0);
	FZ_ASSERT(st->flows_created == fz.nclosed);
	ladder_free(fz.ladder);
	tracker_free(fz.t);
	capture_close(c);
	return 0;
}
