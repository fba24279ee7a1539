/*
 * tracker.h - the connection tracker: flow table, per-endpoint state
 * machines, timeouts and events.
 *
 * The tracker owns every flow. It allocates once, in tracker_new(), for
 * max_flows flows; after that it never allocates, never reads a clock (time
 * arrives with each segment and with tracker_advance()) and never logs:
 * per-packet problems are counters in struct tracker_stats. Events leave
 * through the callback given to tracker_new(), in the order they happen.
 */
#ifndef TCPSTATED_TRACKER_H
#define TCPSTATED_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "segment.h"
#include "siphash.h"

struct tracker_config {
	uint32_t max_flows;             /* capacity of the flow table, fixed at tracker_new() */
	uint32_t timeout_syn_s;         /* handshake not completed */
	uint32_t timeout_established_s; /* idle established connection */
	uint32_t timeout_closing_s;     /* a FIN not yet acknowledged */
	uint32_t timeout_half_closed_s; /* one FIN acknowledged, the other side still open */
	uint32_t timeout_time_wait_s;   /* how long a TIME_WAIT endpoint is remembered */
	uint32_t update_interval_s;     /* an TEV_UPDATE per open connection this often; 0 = never */
	uint32_t event_mask;            /* TEV_BIT()s of the types to emit */
	/*
	 * Flow ids are a bijective mix of a counter and this nonce: unique within
	 * a run, not secret. 0: the nonce is a hash of the first connection's
	 * first segment, so ids are the same for the same capture file and
	 * differ between files.
	 */
	uint64_t id_seed;
	struct siphash_key hash_key; /* the flow table's: secret, and unrelated to id_seed */
};

/* Defaults: what tcpstated uses when the config does not say. */
#define TRACKER_MAX_FLOWS_DEFAULT 262144
#define TRACKER_TIMEOUT_SYN_S 30
#define TRACKER_TIMEOUT_ESTABLISHED_S 7440 /* > Linux's 2 h keepalive */
#define TRACKER_TIMEOUT_CLOSING_S 240
#define TRACKER_TIMEOUT_HALF_CLOSED_S TRACKER_TIMEOUT_ESTABLISHED_S /* CLOSE_WAIT never times out  \
	                                                             */
#define TRACKER_TIMEOUT_TIME_WAIT_S 60
#define TRACKER_LINGER_S 10 /* a reset connection is remembered this long (conntrack's CLOSE) */

/*
 * update_interval_s is 0 here: a caller that wants interim records says so;
 * and hash_key is 0: one that faces traffic from outside sets a secret one.
 */
void tracker_config_default(struct tracker_config *cfg);

struct tracker_stats {
	uint64_t segments; /* offered to tracker_segment() */
	uint64_t flows_created;
	uint64_t flows_active; /* in the table now */
	uint64_t flows_evicted;
	uint64_t closed[CR_NREASONS];
	uint64_t events[TEV_NTYPES];
	uint64_t stray;       /* segments that neither belong to nor start a flow */
	uint64_t after_close; /* segments of a connection already reported CLOSED */
	uint64_t bad_flags;   /* SYN+FIN, SYN+RST, no flags ...: ignored */
	uint64_t rst_out_of_window;
	uint64_t out_of_window; /* other segments outside the connection's window: ignored */
	uint64_t syn_ignored;   /* SYN or SYN-ACK that opens nothing (RFC 5961 4 challenge) */
	uint64_t retransmits;   /* segments wholly below what the sender already sent */
	uint64_t duplicates;    /* the same segment captured twice */
	uint64_t clock_steps;    /* segments stamped before their flow's last one: taken at that time */
	uint64_t hash_overflows; /* new flows whose two index buckets were full (see flowtab.h) */
	uint64_t open_by_state[ST_NSTATES]; /* endpoints in each state now */
};

typedef void tracker_emit_cb(const struct event *ev, void *arg);

struct tracker;

/*
 * Make a tracker for cfg (copied). Returns NULL if max_flows is 0 or memory
 * cannot be had; errbuf then says why.
 */
struct tracker *tracker_new(const struct tracker_config *cfg, tracker_emit_cb *cb, void *arg,
                            char *errbuf, size_t errlen);
void tracker_free(struct tracker *t);

/*
 * Change timeouts, the update interval and the event mask of a running
 * tracker. max_flows, id_seed and hash_key are kept (the table is not
 * rebuilt); returns -1 if they differ, after applying the rest. A changed update interval
 * restarts every open connection's update clock at the latest time seen.
 */
int tracker_reconfigure(struct tracker *t, const struct tracker_config *cfg);

/* Feed one decoded segment. Segments must come in capture order. */
void tracker_segment(struct tracker *t, const struct segment *seg);

/*
 * Feed n segments, as tracker_segment() on each in turn, but faster on a
 * table larger than the CPU's caches: each flow is fetched from memory a few
 * segments before its turn.
 */
void tracker_segments(struct tracker *t, const struct segment *segs, size_t n);

/*
 * Split tracker_segments() in two for a pipeline: tracker_prehash() sets each
 * segment's hash field (the keyed hash of its flow key, a fifth of the
 * tracking work), tracker_segments_prehashed() then tracks them as
 * tracker_segments() would. tracker_prehash() only reads what
 * tracker_new() set and nothing tracking changes, so it may run on another
 * thread than the tracking, on the next batch while this one is tracked.
 * The hash is t's own: give tracker_segments_prehashed() only segments
 * that tracker_prehash() saw with the same t.
 */
void tracker_prehash(const struct tracker *t, struct segment *segs, size_t n);
void tracker_segments_prehashed(struct tracker *t, const struct segment *segs, size_t n);

/*
 * Expire everything whose timeout has passed at now_us (packet or wall time),
 * and emit the TEV_UPDATE records that are due by then: every
 * update_interval_s after a connection's first segment while it is open. An
 * UPDATE is stamped with the time it was due, and the expiries due before it
 * come first. Records missed in a jump of time (a gap in a capture) are
 * made up, each at its due time, for gaps of up to 16 intervals; after a
 * longer gap each connection due gets one record, at its due time, and its
 * next one update_interval_s after now_us.
 */
void tracker_advance(struct tracker *t, uint64_t now_us);

/* End every tracked connection with reason (normally CR_SHUTDOWN) at now_us. */
void tracker_flush(struct tracker *t, uint64_t now_us, enum close_reason reason);

/*
 * Make cfg the configuration of shard `shard` of nshards (at most 256)
 * trackers that split one table between them: max_flows is divided, and
 * id_seed (when not 0) moved so that no two shards ever give the same flow
 * id before one has made 2^56 of them.
 */
void tracker_config_shard(struct tracker_config *cfg, unsigned shard, unsigned nshards);

const struct tracker_stats *tracker_stats(const struct tracker *t);

/* Bytes the tracker allocated, for memory-per-flow reporting. */
size_t tracker_memory(const struct tracker *t);

/*
 * Visit every flow in the table (for a live view); fills a struct event
 * without emitting it: UPDATE-shaped (duration_us = age at now_us) for a
 * connection still open, CLOSED-shaped (reason CR_NONE, duration_us first to
 * last segment) for one already reported CLOSED and only remembered
 * (TIME_WAIT, or what trails a reset). start_us is the first segment in both,
 * so that now_us - start_us is the age.
 * Stops early if cb returns non-zero.
 */
typedef int tracker_visit_cb(const struct event *snapshot, void *arg);
void tracker_foreach(const struct tracker *t, uint64_t now_us, tracker_visit_cb *cb, void *arg);

#endif
