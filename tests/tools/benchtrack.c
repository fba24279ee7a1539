/*
 * benchtrack.c - where tcpstated -r spends its time, stage by stage, with no
 * I/O in the way: the capture is read into memory once, then each stage runs
 * over it on its own and is timed.
 *
 *   benchtrack [-p] [-r RUNS] [-m MAX_FLOWS] [-w TIME_WAIT_S] FILE
 *
 * Stages (ns per packet; the best of RUNS runs, 3 by default):
 *   read      libpcap reading FILE with an empty callback (the bench's limit)
 *   decode    decode_packet() over the frames in memory
 *   hash      decode + tracker_prehash(), the keyed hash of each flow key:
 *             what -r's reader thread does besides reading and decoding
 *   track     decode + tracker_segment(), events counted but not formatted;
 *             once with only CLOSED emitted, once with every type
 *   format    the same, each event also formatted as JSON into a buffer
 * The differences are what decoding, tracking and formatting cost; writing
 * is what tcpstated -r takes beyond the last stage. It also prints
 * tracker_memory() per max_flows slot and the tracker's counters.
 *
 * -p runs only "decode+track, all events", once, and prints its tracker
 * counters: what a profiler (callgrind, perf) should look at, without the
 * other stages in the way.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "format.h"
#include "tracker.h"

/* The capture in memory: frames back to back, with their offsets and times. */
struct frames {
	uint8_t *arena;
	size_t used, cap;
	size_t *off;
	uint32_t *caplen;
	uint64_t *ts;
	size_t n, ncap;
	int link;
};

struct sink {
	int format; /* 0: count events only; 1: format each as JSON */
	uint64_t events;
	uint64_t bytes;
	char buf[2048];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		fprintf(stderr, "benchtrack: out of memory\n");
		exit(1);
	}
	return p;
}

/* Copy one frame into the arena. */
static void
frames_add_cb(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct frames *fr = (struct frames *)(void *)arg;

	if (fr->n == fr->ncap) {
		fr->ncap = fr->ncap ? fr->ncap * 2 : 1 << 20;
		fr->off = xrealloc(fr->off, fr->ncap * sizeof *fr->off);
		fr->caplen = xrealloc(fr->caplen, fr->ncap * sizeof *fr->caplen);
		fr->ts = xrealloc(fr->ts, fr->ncap * sizeof *fr->ts);
	}
	if (fr->used + h->caplen > fr->cap) {
		fr->cap = fr->cap ? fr->cap * 2 : 64 << 20;
		fr->arena = xrealloc(fr->arena, fr->cap);
	}
	memcpy(fr->arena + fr->used, bytes, h->caplen);
	fr->off[fr->n] = fr->used;
	fr->caplen[fr->n] = h->caplen;
	fr->ts[fr->n] = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	fr->used += h->caplen;
	fr->n++;
}

static void
empty_cb(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	(*(uint64_t *)(void *)arg)++;
}

static void
sink_cb(const struct event *ev, void *arg)
{
	struct sink *s = arg;

	s->events++;
	if (s->format)
		s->bytes += format_event(FMT_JSON, ev, s->buf, sizeof s->buf);
}

/* Seconds libpcap takes to read path with an empty callback. */
static double
stage_read(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	uint64_t n = 0;
	pcap_t *p;
	double t0;

	if ((p = pcap_open_offline(path, errbuf)) == NULL) {
		fprintf(stderr, "benchtrack: %s\n", errbuf);
		exit(1);
	}
	t0 = now_s();
	pcap_loop(p, -1, empty_cb, (u_char *)&n);
	t0 = now_s() - t0;
	pcap_close(p);
	return t0;
}

/*
 * Seconds to decode every frame (and, with t, to track it), in batches of
 * BATCH segments as tcpstated hands them to the tracker.
 */
#define BATCH 256

static double
stage_run(const struct frames *fr, struct tracker *t, uint64_t *bad, int hash_only)
{
	static struct segment seg[BATCH];
	double t0 = now_s();
	size_t i, n = 0;

	*bad = 0;
	for (i = 0; i < fr->n; i++) {
		if (decode_packet(fr->link, fr->arena + fr->off[i], fr->caplen[i], NULL, &seg[n], NULL) !=
		    DECODE_OK) {
			(*bad)++;
			continue;
		}
		seg[n].ts_us = fr->ts[i];
		if (++n == BATCH) {
			if (t != NULL && hash_only)
				tracker_prehash(t, seg, n);
			else if (t != NULL)
				tracker_segments(t, seg, n);
			n = 0;
		}
	}
	if (t != NULL && hash_only) {
		tracker_prehash(t, seg, n);
	} else if (t != NULL) {
		tracker_segments(t, seg, n);
		tracker_flush(t, fr->ts[fr->n - 1], CR_SHUTDOWN);
	}
	return now_s() - t0;
}

/* The best time of runs runs of one tracking stage; *last gets the last run's sink. */
static double
stage_track(const struct frames *fr, const struct tracker_config *cfg, int runs, int format,
            struct sink *last, struct tracker_stats *st, size_t *mem)
{
	char err[256];
	struct tracker *t;
	uint64_t bad;
	double best = 0, s;
	int r;

	for (r = 0; r < runs; r++) {
		memset(last, 0, sizeof *last);
		last->format = format;
		if ((t = tracker_new(cfg, sink_cb, last, err, sizeof err)) == NULL) {
			fprintf(stderr, "benchtrack: %s\n", err);
			exit(1);
		}
		s = stage_run(fr, t, &bad, 0);
		*st = *tracker_stats(t);
		*mem = tracker_memory(t);
		tracker_free(t);
		if (r == 0 || s < best)
			best = s;
	}
	return best;
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	static struct frames fr;
	struct tracker_config cfg;
	struct tracker_stats st;
	struct sink sk;
	double t_read = 0, t_decode = 0, t_hash = 0, s, t_track[2], t_format[2];
	struct tracker *ht;
	uint64_t bad;
	size_t mem = 0;
	pcap_t *p;
	int ch, runs = 3, r, all, profile = 0;
	unsigned long v;
	char *end;

	tracker_config_default(&cfg);
	while ((ch = getopt(argc, argv, "pr:m:w:")) != -1) {
		if (ch == 'p') {
			profile = 1;
			continue;
		}
		if (ch == '?') {
			fprintf(stderr, "usage: benchtrack [-p] [-r RUNS] [-m MAX_FLOWS] [-w TIME_WAIT_S] FILE\n");
			return 2;
		}
		v = strtoul(optarg, &end, 10);
		if (*end != '\0' || end == optarg || v == 0 || v > 1u << 30) {
			fprintf(stderr, "benchtrack: -%c %s: expected a positive integer\n", ch,
			        optarg);
			return 2;
		}
		switch (ch) {
		case 'r':
			runs = (int)v;
			break;
		case 'm':
			cfg.max_flows = (uint32_t)v;
			break;
		case 'w':
			cfg.timeout_time_wait_s = (uint32_t)v;
			break;
		default:
			fprintf(
			    stderr,
			    "usage: benchtrack [-p] [-r RUNS] [-m MAX_FLOWS] [-w TIME_WAIT_S] FILE\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr,
		        "usage: benchtrack [-p] [-r RUNS] [-m MAX_FLOWS] [-w TIME_WAIT_S] FILE\n");
		return 2;
	}
	if ((p = pcap_open_offline(argv[optind], errbuf)) == NULL) {
		fprintf(stderr, "benchtrack: %s\n", errbuf);
		return 1;
	}
	fr.link = pcap_datalink(p);
	if (pcap_loop(p, -1, frames_add_cb, (u_char *)&fr) < 0 || fr.n == 0) {
		fprintf(stderr, "benchtrack: %s: %s\n", argv[optind],
		        fr.n == 0 ? "no packets" : pcap_geterr(p));
		return 1;
	}
	pcap_close(p);

	if (profile) {
		cfg.event_mask = TEV_MASK_DEFAULT;
		s = stage_track(&fr, &cfg, 1, 0, &sk, &st, &mem);
		printf("decode+track, all events %.1f ns/packet, %zu packets, %llu events, %llu "
		       "connections\n",
		       s * 1e9 / (double)fr.n, fr.n, (unsigned long long)sk.events,
		       (unsigned long long)st.flows_created);
		return 0;
	}
	for (r = 0; r < runs; r++) {
		s = stage_read(argv[optind]);
		if (r == 0 || s < t_read)
			t_read = s;
		s = stage_run(&fr, NULL, &bad, 0);
		if (r == 0 || s < t_decode)
			t_decode = s;
		if ((ht = tracker_new(&cfg, sink_cb, &sk, errbuf, sizeof errbuf)) == NULL) {
			fprintf(stderr, "benchtrack: %s\n", errbuf);
			return 1;
		}
		s = stage_run(&fr, ht, &bad, 1);
		tracker_free(ht);
		if (r == 0 || s < t_hash)
			t_hash = s;
	}
	for (all = 0; all < 2; all++) {
		cfg.event_mask = all ? TEV_MASK_DEFAULT : TEV_BIT(TEV_CLOSED);
		t_track[all] = stage_track(&fr, &cfg, runs, 0, &sk, &st, &mem);
		t_format[all] = stage_track(&fr, &cfg, runs, 1, &sk, &st, &mem);
		printf("%-8s events %llu (%.2f per packet), JSON %.1f bytes per event\n",
		       all ? "all" : "CLOSED", (unsigned long long)sk.events,
		       (double)sk.events / (double)fr.n,
		       sk.events ? (double)sk.bytes / (double)sk.events : 0.0);
	}

#define NS(x) ((x)*1e9 / (double)fr.n)
	printf("packets %zu (%llu not decoded), max_flows %u, time_wait %u s, best of %d\n", fr.n,
	       (unsigned long long)bad, cfg.max_flows, cfg.timeout_time_wait_s, runs);
	printf("stage                         ns/packet  Mpackets/s\n");
	printf("read (libpcap, empty loop)    %9.1f  %10.2f\n", NS(t_read), fr.n / t_read / 1e6);
	printf("decode                        %9.1f  %10.2f\n", NS(t_decode),
	       fr.n / t_decode / 1e6);
	printf("decode+hash                   %9.1f  %10.2f\n", NS(t_hash), fr.n / t_hash / 1e6);
	printf("decode+track, CLOSED          %9.1f  %10.2f\n", NS(t_track[0]),
	       fr.n / t_track[0] / 1e6);
	printf("decode+track+JSON, CLOSED     %9.1f  %10.2f\n", NS(t_format[0]),
	       fr.n / t_format[0] / 1e6);
	printf("decode+track, all events      %9.1f  %10.2f\n", NS(t_track[1]),
	       fr.n / t_track[1] / 1e6);
	printf("decode+track+JSON, all events %9.1f  %10.2f\n", NS(t_format[1]),
	       fr.n / t_format[1] / 1e6);
	printf("tracker_memory %zu bytes, %.1f per slot\n", mem, (double)mem / cfg.max_flows);
	printf("tracker: %llu connections, %llu evicted, closed fin %llu rst %llu refused %llu "
	       "syn_timeout %llu shutdown %llu\n",
	       (unsigned long long)st.flows_created, (unsigned long long)st.flows_evicted,
	       (unsigned long long)st.closed[CR_FIN], (unsigned long long)st.closed[CR_RST],
	       (unsigned long long)st.closed[CR_REFUSED],
	       (unsigned long long)st.closed[CR_SYN_TIMEOUT],
	       (unsigned long long)st.closed[CR_SHUTDOWN]);
	free(fr.arena);
	free(fr.off);
	free(fr.caplen);
	free(fr.ts);
	return 0;
}
