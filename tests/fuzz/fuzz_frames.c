/*
 * fuzz_frames.c - libFuzzer harness: a capture of hostile frames through
 * decode_packet, the tracker, every record format and the ladder view.
 *
 * Input (integers big-endian):
 *   byte 0     link type: fz_links[byte % FZ_NLINKS]
 *   byte 1     knobs: bits 0-2 max_flows = 1 << n (1..128, so eviction runs);
 *              bit 3 short timeouts (seconds, not hours); bit 4 TEV_SEGMENT on
 *              and the ladder fed; bit 5 reconfigure half way; bit 6 a live
 *              view (tracker_advance + tracker_foreach) after every frame;
 *              bit 7 tracked frames decoded with every tunnel closed (no
 *              segment may then say it came through one), else with the
 *              default tunnels plus VXLAN on 8472 and GTP-U on 2123
 *   bytes 2-9  the capture time of the first frame, microseconds
 *   then frames, each: 1 byte time step, 2 bytes caplen, caplen bytes (the
 *              last one may be cut short by the end of the input)
 * Time step b: (b & 15) << 2 * (b >> 4) microseconds forward, except b >> 4
 * == 15: (b & 15) << 16 microseconds backward (clocks do step back).
 *
 * Each frame is copied into a heap buffer of exactly caplen bytes, so ASan
 * catches a read past the capture. Invariants (fuzz_check.h, and below):
 * events well-formed and formatted; the tracker's counters agree with what
 * it emitted; one CLOSED per flow and nothing but its own segment after it;
 * after tracker_flush nothing is open and every flow was CLOSED once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "event.h"
#include "format.h"
#include "fuzz_check.h"
#include "ladder.h"
#include "tracker.h"

#define FZ_HDR 10
#define FZ_IDS 32768 /* flow ids remembered per input; inputs are a few KiB */

#define KNOB_SHORT_TIMEOUTS 0x08
#define KNOB_SEGMENTS 0x10
#define KNOB_RECONFIGURE 0x20
#define KNOB_LIVE_VIEW 0x40
#define KNOB_NO_TUNNELS 0x80

static const int fz_links[] = { LINK_ETHERNET, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_NULL,
	LINK_LOOP, LINK_RAW, LINK_RAW_DLT, LINK_RAW_DLT14, LINK_IPV4, LINK_IPV6 };
#define FZ_NLINKS (sizeof(fz_links) / sizeof(fz_links[0]))

/* What one flow id has done so far in this input. */
struct fz_id {
	uint64_t id;
	uint32_t closed_at; /* frame number of its CLOSED + 1; 0 while open */
	uint8_t used;
};

static struct fz_state {
	struct fz_id ids[FZ_IDS];
	uint32_t used[FZ_IDS];
	size_t nused;
	int ids_full;
	uint64_t nev[TEV_NTYPES];
	uint32_t frame; /* frames fed so far, the current one included */
	struct ladder *ladder;
} fz;

static FILE *fz_null;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_null = fopen("/dev/null", "w");
	if (fz_null == NULL)
		abort();
	return 0;
}

/* The slot of id, created on first sight; NULL once the table is too full. */
static struct fz_id *
fz_id_slot(uint64_t id)
{
	uint32_t h = (uint32_t)((id * 0x9e3779b97f4a7c15ULL) >> 49);
	struct fz_id *e;

	for (;;) {
		e = &fz.ids[h];
		if (!e->used) {
			if (fz.nused >= FZ_IDS * 3 / 4) {
				fz.ids_full = 1;
				return NULL;
			}
			e->used = 1;
			e->id = id;
			e->closed_at = 0;
			fz.used[fz.nused++] = h;
			return e;
		}
		if (e->id == id)
			return e;
		h = (h + 1) & (FZ_IDS - 1);
	}
}

static void
fz_emit_cb(const struct event *ev, void *arg)
{
	struct fz_id *e;

	(void)arg;
	fz_check_event_fields(ev, 0);
	fz_check_formats(ev);
	fz.nev[ev->type]++;
	if ((e = fz_id_slot(ev->flow_id)) != NULL) {
		/* After its CLOSED a flow is silent, but for the segment that closed it. */
		if (e->closed_at != 0)
			FZ_ASSERT(ev->type == TEV_SEGMENT && e->closed_at == fz.frame + 1);
		if (ev->type == TEV_CLOSED)
			e->closed_at = fz.frame + 1;
	}
	if (fz.ladder != NULL)
		ladder_event(fz.ladder, ev);
}

/* A live-view snapshot: a CLOSED-shaped event without a reason, counted. */
static int
fz_visit_cb(const struct event *snap, void *arg)
{
	size_t *n = arg;

	fz_check_event_fields(snap, 1);
	fz_check_formats(snap);
	(*n)++;
	return 0;
}

static uint64_t
fz_step(uint64_t now, uint8_t b)
{
	unsigned e = b >> 4, m = b & 15;

	if (e == 15)
		return now - ((uint64_t)m << 16);
	return now + ((uint64_t)m << (2 * e));
}

/* The tracker's counters agree with each other and with what was emitted. */
static void
fz_check_stats(const struct tracker *t, const struct tracker_config *cfg)
{
	const struct tracker_stats *st = tracker_stats(t);
	uint64_t open = 0, closed = 0;
	int i;

	for (i = 0; i < ST_NSTATES; i++) {
		FZ_ASSERT(st->open_by_state[i] <= 2 * (uint64_t)cfg->max_flows);
		open += st->open_by_state[i];
	}
	FZ_ASSERT(open == 2 * st->flows_active);
	FZ_ASSERT(st->flows_active <= cfg->max_flows);
	FZ_ASSERT(st->flows_active <= st->flows_created);
	FZ_ASSERT(st->closed[CR_NONE] == 0);
	for (i = 0; i < CR_NREASONS; i++)
		closed += st->closed[i];
	FZ_ASSERT(closed == fz.nev[TEV_CLOSED]);
	FZ_ASSERT(st->closed[CR_EVICTED] == st->flows_evicted);
	/* Flows not yet CLOSED are all still in the table. */
	FZ_ASSERT(st->flows_created - closed <= st->flows_active);
	for (i = 0; i < TEV_NTYPES; i++)
		if (cfg->event_mask & TEV_BIT(i))
			FZ_ASSERT(st->events[i] == fz.nev[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tracker_config cfg, cfg2;
	struct decode_config dcfg, dcfg_all;
	struct decode_stats ds, dsall;
	struct segment seg, seg2;
	const struct tracker_stats *st;
	struct tracker *t;
	const uint8_t *p, *end;
	enum decode_result r;
	uint64_t now, nseg = 0, sum;
	uint8_t knobs, *frame;
	uint32_t len;
	size_t i, nsnap;
	char err[128];
	int link, reconfigured = 0;

	if (size < FZ_HDR)
		return 0;
	link = fz_links[data[0] % FZ_NLINKS];
	knobs = data[1];
	now = fz_be64(data + 2);

	memset(fz.nev, 0, sizeof(fz.nev));
	fz.frame = 0;
	fz.ids_full = 0;
	tracker_config_default(&cfg);
	cfg.max_flows = 1u << (knobs & 7);
	cfg.id_seed = data[0];
	if (knobs & KNOB_SHORT_TIMEOUTS) {
		cfg.timeout_syn_s = 2;
		cfg.timeout_established_s = 16;
		cfg.timeout_closing_s = 4;
		cfg.timeout_time_wait_s = 1;
	}
	if (knobs & KNOB_SEGMENTS) {
		cfg.event_mask |= TEV_BIT(TEV_SEGMENT);
		fz.ladder = ladder_new(fz_null);
		FZ_ASSERT(fz.ladder != NULL);
	}
	t = tracker_new(&cfg, fz_emit_cb, NULL, err, sizeof(err));
	FZ_ASSERT(t != NULL);
	memset(&ds, 0, sizeof(ds));
	memset(&dsall, 0, sizeof(dsall));
	decode_config_default(&dcfg_all);
	FZ_ASSERT(decode_config_udp(&dcfg_all, 8472, TUN_VXLAN) == 0);
	FZ_ASSERT(decode_config_udp(&dcfg_all, 2123, TUN_GTPU) == 0);
	FZ_ASSERT(decode_config_udp(&dcfg_all, 2123, TUN_GRE) == -1);
	dcfg = dcfg_all;
	if (knobs & KNOB_NO_TUNNELS)
		dcfg.open = 0;

	p = data + FZ_HDR;
	end = data + size;
	while (end - p >= 3) {
		now = fz_step(now, p[0]);
		len = fz_be16(p + 1);
		p += 3;
		if (len > (size_t)(end - p))
			len = (uint32_t)(end - p);
		frame = malloc(len);
		FZ_ASSERT(frame != NULL || len == 0);
		if (len > 0)
			memcpy(frame, p, len);
		p += len;
		fz.frame++;

		/* Every link type reads the same bytes: decode alone, no tracking. */
		for (i = 0; i < FZ_NLINKS; i++)
			if (decode_packet(fz_links[i], frame, len, NULL, &seg2, &dsall) == DECODE_OK)
				fz_check_segment(&seg2);
		FZ_ASSERT(decode_packet(4242, frame, len, NULL, &seg2, NULL) ==
		          DECODE_LINK_UNSUPPORTED);

		r = decode_packet(link, frame, len, &dcfg, &seg, &ds);
		free(frame);
		FZ_ASSERT((unsigned)r < DECODE_NREASONS);
		FZ_ASSERT(strcmp(decode_result_name(r), "unknown") != 0);
		if (r == DECODE_OK) {
			fz_check_segment(&seg);
			if (knobs & KNOB_NO_TUNNELS)
				FZ_ASSERT(seg.tun.type == TUN_NONE);
			seg.ts_us = now;
			tracker_segment(t, &seg);
			nseg++;
		}

		st = tracker_stats(t);
		FZ_ASSERT(st->segments == nseg);
		FZ_ASSERT(ds.frames == fz.frame);
		for (sum = 0, i = 0; i < DECODE_NREASONS; i++)
			sum += ds.result[i];
		FZ_ASSERT(sum == ds.frames);
		FZ_ASSERT(ds.opt_malformed <= ds.result[DECODE_OK]);
		fz_check_stats(t, &cfg);

		if (knobs & KNOB_LIVE_VIEW) {
			tracker_advance(t, now);
			fz_check_stats(t, &cfg);
			nsnap = 0;
			tracker_foreach(t, now, fz_visit_cb, &nsnap);
			FZ_ASSERT(nsnap == tracker_stats(t)->flows_active);
		}
		if (fz.ladder != NULL)
			ladder_tick(fz.ladder);
		if ((knobs & KNOB_RECONFIGURE) && !reconfigured && p - data >= (ptrdiff_t)(size / 2)) {
			/* Swap the timeout sets; max_flows and id_seed cannot change. */
			reconfigured = 1;
			cfg2 = cfg;
			cfg2.timeout_syn_s = knobs & KNOB_SHORT_TIMEOUTS ? TRACKER_TIMEOUT_SYN_S : 1;
			cfg2.timeout_established_s =
			    knobs & KNOB_SHORT_TIMEOUTS ? TRACKER_TIMEOUT_ESTABLISHED_S : 3;
			cfg2.timeout_closing_s = knobs & KNOB_SHORT_TIMEOUTS ? TRACKER_TIMEOUT_CLOSING_S : 2;
			cfg2.timeout_time_wait_s =
			    knobs & KNOB_SHORT_TIMEOUTS ? TRACKER_TIMEOUT_TIME_WAIT_S : 1;
			FZ_ASSERT(tracker_reconfigure(t, &cfg2) == 0);
			cfg = cfg2;
			cfg2.max_flows++;
			FZ_ASSERT(tracker_reconfigure(t, &cfg2) == -1); /* the rest still applies */
		}
	}

	fz.frame++;
	tracker_flush(t, now, CR_SHUTDOWN);
	st = tracker_stats(t);
	fz_check_stats(t, &cfg);
	FZ_ASSERT(st->flows_active == 0);
	for (i = 0; i < ST_NSTATES; i++)
		FZ_ASSERT(st->open_by_state[i] == 0);
	/* Every flow ever created was CLOSED exactly once. */
	FZ_ASSERT(st->flows_created == fz.nev[TEV_CLOSED]);
	if (!fz.ids_full)
		for (i = 0; i < fz.nused; i++)
			FZ_ASSERT(fz.ids[fz.used[i]].closed_at != 0);
	nsnap = 0;
	tracker_foreach(t, now, fz_visit_cb, &nsnap);
	FZ_ASSERT(nsnap == 0);

	if (fz.ladder != NULL) {
		ladder_free(fz.ladder);
		fz.ladder = NULL;
	}
	tracker_free(t);
	for (i = 0; i < fz.nused; i++)
		fz.ids[fz.used[i]].used = 0;
	fz.nused = 0;
	return 0;
}
