/*
 * workers.c - capture.workers: N capture threads, one tracker shard each,
 * their events handed to the event loop through one ring per worker.
 *
 * A worker's loop: poll its handle (and the stop descriptor) for up to
 * WORKER_POLL_MS, then, under its shard's lock, read what is there, and
 * once a second expire on wall-clock time and check the interface. The
 * tracker's callback copies each event into the worker's ring (one
 * producer, one consumer: the event loop), and after the batch an eventfd
 * wakes the loop, which drains every ring into the caller's callback. The
 * lock is taken per batch of up to a thousand frames, and the event loop
 * takes it only for counters and --flows, so it is all but never contended.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "workers.h"

#define WORKER_RING 8192        /* events in flight per worker (a power of two): ~2 MB */
#define WORKER_POLL_MS 100      /* how long a worker sleeps without frames */
#define WORKER_TICK_US 1000000u /* expiry and the interface check, as main's tick */
#define WORKER_LAG_US 1000000u  /* expire this far behind now: main.c's MAIN_ADVANCE_LAG_US */
#define WORKER_ERRLEN 512

struct worker {
	struct workers *w;
	pthread_t tid;
	int started;
	pthread_mutex_t mu; /* the shard: tracker, handle, decode counters */
	struct tracker *tracker;
	struct capture *capture;
	struct decode_stats ds;
	struct event *ring;          /* WORKER_RING slots */
	_Atomic uint64_t head, tail; /* consumer's, producer's */
	_Atomic uint64_t dropped;    /* events lost to a full ring */
	int pushed; /* the worker put events in the ring since it last woke the loop */
	int direct; /* stopped: events go straight to the callback */
};

struct workers {
	struct event_base *base;
	struct event *ev_wake;
	int wakefd; /* the workers wake the loop */
	int stopfd; /* the loop stops the workers: readable from then on */
	tracker_emit_cb *cb;
	void *arg;
	uint64_t (*now_us)(void); /* main's clock */
	unsigned n;
	_Atomic unsigned up; /* handles still capturing */
	struct worker *wk;
};

/* The tracker's callback, on the worker's thread: into the ring, or counted as lost. */
static void
worker_emit(const struct event *ev, void *arg)
{
	struct worker *k = arg;
	uint64_t tail, head;

	if (k->direct) {
		k->w->cb(ev, k->w->arg);
		return;
	}
	tail = atomic_load_explicit(&k->tail, memory_order_relaxed);
	head = atomic_load_explicit(&k->head, memory_order_acquire);
	if (tail - head == WORKER_RING) {
		atomic_fetch_add_explicit(&k->dropped, 1, memory_order_relaxed);
		return;
	}
	k->ring[tail & (WORKER_RING - 1)] = *ev;
	atomic_store_explicit(&k->tail, tail + 1, memory_order_release);
	k->pushed = 1;
}

static void
worker_segments_cb(const struct segment *segs, size_t n, void *arg)
{
	struct worker *k = arg;

	tracker_segments(k->tracker, segs, n);
}

/* Tell the event loop there are events to take. */
static void
worker_wake(struct worker *k)
{
	uint64_t one = 1;

	if (!k->pushed)
		return;
	k->pushed = 0;
	if (write(k->w->wakefd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("workers: waking the event loop");
}

static void *
worker_main(void *arg)
{
	struct worker *k = arg;
	struct workers *w = k->w;
	struct pollfd pfd[2];
	char err[WORKER_ERRLEN];
	uint64_t now, next_us = 0;
	int stop = 0, failed;

	pfd[0].fd = capture_fd(k->capture);
	pfd[0].events = POLLIN;
	pfd[1].fd = w->stopfd;
	pfd[1].events = POLLIN;
	while (!stop) {
		if (poll(pfd, 2, WORKER_POLL_MS) == -1 && errno != EINTR) {
			log_warn("workers: poll");
			break;
		}
		stop = (pfd[1].revents & POLLIN) != 0;
		pthread_mutex_lock(&k->mu);
		if (stop)
			capture_drain(
			    k->capture); /* what was captured before the stop still counts */
		failed = capture_read(k->capture, err, sizeof(err)) == -1;
		now = w->now_us();
		if (!stop && now >= next_us) {
			if (now > WORKER_LAG_US)
				tracker_advance(k->tracker, now - WORKER_LAG_US);
			failed = failed || capture_check(k->capture, err, sizeof(err)) == -1;
			next_us = now + WORKER_TICK_US;
		}
		pthread_mutex_unlock(&k->mu);
		worker_wake(k);
		if (failed) {
			/* Its connections still expire; only its share of the traffic is lost. */
			log_warnx("%s; this worker's share of the traffic is not captured until a "
			          "restart",
			          err);
			atomic_fetch_sub(&w->up, 1);
			pfd[0].fd = -1;
		}
	}
	return NULL;
}

/* Every event the workers left in their rings, to the callback, worker by worker. */
static void
workers_drain(struct workers *w)
{
	struct worker *k;
	uint64_t head, tail;
	unsigned i;

	for (i = 0; i < w->n; i++) {
		k = &w->wk[i];
		head = atomic_load_explicit(&k->head, memory_order_relaxed);
		tail = atomic_load_explicit(&k->tail, memory_order_acquire);
		for (; head != tail; head++) {
			w->cb(&k->ring[head & (WORKER_RING - 1)], w->arg);
			/* Every 64 events give the slots back, so that a long drain frees room
			 * early. */
			if ((head & 63) == 63)
				atomic_store_explicit(&k->head, head + 1, memory_order_release);
		}
		atomic_store_explicit(&k->head, head, memory_order_release);
	}
}

static void
workers_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct workers *w = arg;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("workers: eventfd");
	workers_drain(w);
}

struct workers *
workers_open(struct event_base *base, const struct capture_config *cfg, unsigned n,
             const struct tracker_config *tc, tracker_emit_cb *cb, void *arg,
             uint64_t (*now_us)(void), char *err, size_t errlen)
{
	struct tracker_config shard;
	struct workers *w;
	struct worker *k;
	unsigned i;

	if ((w = calloc(1, sizeof(*w))) == NULL || (w->wk = calloc(n, sizeof(*w->wk))) == NULL) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->base = base;
	w->cb = cb;
	w->arg = arg;
	w->now_us = now_us;
	w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wakefd == -1 || w->stopfd == -1) {
		snprintf(err, errlen, "workers: eventfd: %s", strerror(errno));
		goto fail;
	}
	w->ev_wake = event_new(base, w->wakefd, EV_READ | EV_PERSIST, workers_wake_cb, w);
	if (w->ev_wake == NULL || event_add(w->ev_wake, NULL) == -1) {
		snprintf(err, errlen, "workers: cannot add the wake event");
		goto fail;
	}
	for (i = 0; i < n; i++, w->n++) {
		k = &w->wk[i];
		k->w = w;
		pthread_mutex_init(&k->mu, NULL);
		shard = *tc;
		tracker_config_shard(&shard, i, n);
		if ((k->ring = calloc(WORKER_RING, sizeof(*k->ring))) == NULL) {
			snprintf(err, errlen, "workers: out of memory");
			goto fail_one;
		}
		if ((k->tracker = tracker_new(&shard, worker_emit, k, err, errlen)) == NULL)
			goto fail_one;
		/* The group: one per daemon, so that two daemons on one interface stay apart. */
		k->capture = capture_open_fanout(cfg, (unsigned)getpid(), worker_segments_cb, k,
		                                 &k->ds, err, errlen);
		if (k->capture == NULL)
			goto fail_one;
	}
	w->up = n;
	return w;
fail_one:
	w->n++; /* the one half made is freed with the rest */
fail:
	workers_close(w);
	return NULL;
}

int
workers_start(struct workers *w, char *err, size_t errlen)
{
	unsigned i;
	int e;

	for (i = 0; i < w->n; i++) {
		if ((e = pthread_create(&w->wk[i].tid, NULL, worker_main, &w->wk[i])) != 0) {
			snprintf(err, errlen, "workers: cannot start a thread: %s", strerror(e));
			return -1;
		}
		w->wk[i].started = 1;
	}
	return 0;
}

void
workers_stop(struct workers *w)
{
	uint64_t one = 1;
	unsigned i;

	if (write(w->stopfd, &one, sizeof(one)) == -1)
		log_warn("workers: stopping");
	for (i = 0; i < w->n; i++) {
		if (w->wk[i].started)
			pthread_join(w->wk[i].tid, NULL);
		w->wk[i].started = 0;
	}
	workers_drain(w);
	for (i = 0; i < w->n; i++)
		w->wk[i].direct = 1;
}

void
workers_flush(struct workers *w, uint64_t now_us, enum close_reason reason)
{
	unsigned i;

	for (i = 0; i < w->n; i++)
		tracker_flush(w->wk[i].tracker, now_us, reason);
}

void
workers_reconfigure(struct workers *w, const struct tracker_config *tc)
{
	struct tracker_config shard;
	unsigned i;

	for (i = 0; i < w->n; i++) {
		shard = *tc;
		tracker_config_shard(&shard, i, w->n);
		pthread_mutex_lock(&w->wk[i].mu);
		tracker_reconfigure(w->wk[i].tracker, &shard);
		pthread_mutex_unlock(&w->wk[i].mu);
	}
}

/* Add n counters of a to those of sum: structs whose every member is a uint64_t counter. */
static void
workers_sum(uint64_t *sum, const uint64_t *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum[i] += a[i];
}

_Static_assert(sizeof(struct tracker_stats) % sizeof(uint64_t) == 0,
               "struct tracker_stats holds only uint64_t counters");
_Static_assert(sizeof(struct decode_stats) % sizeof(uint64_t) == 0,
               "struct decode_stats holds only uint64_t counters");
_Static_assert(sizeof(struct capture_stats) % sizeof(uint64_t) == 0,
               "struct capture_stats holds only uint64_t counters");

void
workers_tracker_stats(struct workers *w, struct tracker_stats *ts)
{
	unsigned i;

	memset(ts, 0, sizeof(*ts));
	for (i = 0; i < w->n; i++) {
		pthread_mutex_lock(&w->wk[i].mu);
		workers_sum((uint64_t *)(void *)ts,
		            (const uint64_t *)(const void *)tracker_stats(w->wk[i].tracker),
		            sizeof(*ts) / sizeof(uint64_t));
		pthread_mutex_unlock(&w->wk[i].mu);
	}
}

void
workers_decode_stats(struct workers *w, struct decode_stats *ds)
{
	unsigned i;

	memset(ds, 0, sizeof(*ds));
	for (i = 0; i < w->n; i++) {
		pthread_mutex_lock(&w->wk[i].mu);
		workers_sum((uint64_t *)(void *)ds, (const uint64_t *)(const void *)&w->wk[i].ds,
		            sizeof(*ds) / sizeof(uint64_t));
		pthread_mutex_unlock(&w->wk[i].mu);
	}
}

void
workers_capture_stats(struct workers *w, struct capture_stats *cs)
{
	struct capture_stats one;
	unsigned i;

	memset(cs, 0, sizeof(*cs));
	for (i = 0; i < w->n; i++) {
		pthread_mutex_lock(&w->wk[i].mu);
		capture_stats(w->wk[i].capture, &one);
		pthread_mutex_unlock(&w->wk[i].mu);
		workers_sum((uint64_t *)(void *)cs, (const uint64_t *)(const void *)&one,
		            sizeof(*cs) / sizeof(uint64_t));
	}
}

uint64_t
workers_dropped(const struct workers *w)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < w->n; i++)
		n += atomic_load_explicit(&w->wk[i].dropped, memory_order_relaxed);
	return n;
}

unsigned
workers_up(const struct workers *w)
{
	return atomic_load(&w->up);
}

unsigned
workers_count(const struct workers *w)
{
	return w->n;
}

const char *
workers_filter(const struct workers *w)
{
	return capture_filter(w->wk[0].capture);
}

void
workers_each(struct workers *w, void (*fn)(const struct tracker *t, void *arg), void *arg)
{
	unsigned i;

	for (i = 0; i < w->n; i++) {
		pthread_mutex_lock(&w->wk[i].mu);
		fn(w->wk[i].tracker, arg);
		pthread_mutex_unlock(&w->wk[i].mu);
	}
}

struct workers_visit {
	uint64_t now_us;
	tracker_visit_cb *cb;
	void *arg;
};

static void
workers_visit_shard(const struct tracker *t, void *arg)
{
	struct workers_visit *v = arg;

	tracker_foreach(t, v->now_us, v->cb, v->arg);
}

void
workers_foreach(struct workers *w, uint64_t now_us, tracker_visit_cb *cb, void *arg)
{
	struct workers_visit v = {now_us, cb, arg};

	workers_each(w, workers_visit_shard, &v);
}

void
workers_close(struct workers *w)
{
	unsigned i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++) {
		capture_close(w->wk[i].capture);
		if (w->wk[i].tracker != NULL)
			tracker_free(w->wk[i].tracker);
		free(w->wk[i].ring);
		pthread_mutex_destroy(&w->wk[i].mu);
	}
	if (w->ev_wake != NULL)
		event_free(w->ev_wake);
	if (w->wakefd != -1)
		close(w->wakefd);
	if (w->stopfd != -1)
		close(w->stopfd);
	free(w->wk);
	free(w);
}
