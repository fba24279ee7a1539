/*
 * workers.h - capture.workers: N capture threads on one interface, each
 * with its own handle in one PACKET_FANOUT group, its own tracker shard and
 * its own expiry, whose events reach the event loop's thread in order per
 * worker.
 *
 * The kernel's flow hash sends both directions of a TCP connection to the
 * same handle, so a shard sees every segment of its connections and no
 * other. A worker holds its shard's lock while it reads a batch (never per
 * packet); the event loop takes it only to read the shard's counters or
 * walk its table, briefly. Events go to the event loop through a
 * single-producer ring per worker, drained when an eventfd wakes the loop;
 * a full ring drops the event and counts it.
 */
#ifndef TCPSTATED_WORKERS_H
#define TCPSTATED_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/decode.h"
#include "../lib/tracker.h"
#include "capture.h"

struct event_base;
struct workers;

/*
 * Open n fanout handles on cfg's interface and n tracker shards of
 * tc->max_flows / n flows each (before the privileges are dropped). Events
 * will be given to cb on base's thread; the workers expire on now_us()'s
 * time (main's clock, called from their threads). Returns NULL with a
 * one-line reason in err.
 */
struct workers *workers_open(struct event_base *base, const struct capture_config *cfg, unsigned n,
                             const struct tracker_config *tc, tracker_emit_cb *cb, void *arg,
                             uint64_t (*now_us)(void), char *err, size_t errlen);

/* Start the threads (after the privileges are dropped: threads inherit them). */
int workers_start(struct workers *w, char *err, size_t errlen);

/*
 * Stop the threads after each has read what its handle already holds, and
 * deliver every event still in the rings. From then on the shards emit
 * straight to cb, on the caller's thread.
 */
void workers_stop(struct workers *w);

/* End every open connection of every shard (after workers_stop()). */
void workers_flush(struct workers *w, uint64_t now_us, enum close_reason reason);

/* A new tracker configuration for every shard (max_flows and the keys stay). */
void workers_reconfigure(struct workers *w, const struct tracker_config *tc);

/* The shards' counters, summed. */
void workers_tracker_stats(struct workers *w, struct tracker_stats *ts);
void workers_decode_stats(struct workers *w, struct decode_stats *ds);
void workers_capture_stats(struct workers *w, struct capture_stats *cs);

/* Events lost to a full ring, across the workers. */
uint64_t workers_dropped(const struct workers *w);

/* Handles still capturing (a failed one is not reopened), and how many there are. */
unsigned workers_up(const struct workers *w);
unsigned workers_count(const struct workers *w);

/* The filter expression in force. */
const char *workers_filter(const struct workers *w);

/* Visit every shard's table in turn, each under its lock (see tracker_foreach()). */
void workers_foreach(struct workers *w, uint64_t now_us, tracker_visit_cb *cb, void *arg);

/* Call fn on every shard in turn, under its lock. */
void workers_each(struct workers *w, void (*fn)(const struct tracker *t, void *arg), void *arg);

/* Close the handles and free the shards (after workers_stop(), or if never started). */
void workers_close(struct workers *w);

#endif
