/*
 * out_queue.c - hand records to a logging library without ever blocking the
 * event loop: a bounded queue per receiver and one sender thread that calls
 * the library (sd_journal_sendv(3) for the journal, syslog(3) for syslog).
 *
 * Why the thread: both libraries write to a blocking unix datagram socket,
 * and a datagram receiver accepts only net.unix.max_dgram_qlen datagrams (10
 * by default) before the sender waits. Called on the capture path, a burst
 * of a few hundred RSTs against a busy journald would stall capture. Here the
 * event loop copies each record into a ring and returns; the thread calls
 * the library at the receiver's pace. Only a full ring drops records, and
 * those are counted.
 *
 * Why the probe: neither library says when nobody is listening.
 * sd_journal_sendv returns 0 when journald's socket does not exist (ENOENT,
 * journal-send.c "fail silently"), syslog(3) never reports anything. So the
 * thread checks the receiver's socket itself, by connecting to it at most
 * once a second while it has records to send; while nobody is there, records
 * stay queued (then drop, counted) instead of being lost unseen. The limit:
 * a receiver that goes away between two probes loses what was sent in that
 * second, and one that accepts and discards is invisible to us.
 *
 * A library error that the receiver explains (ECONNREFUSED: journald gone,
 * its socket left behind) is retried once a second like an absent receiver;
 * one about the record itself drops that record, counted. A send that hangs
 * (a stopped receiver) is reported after a second. At close, a thread whose
 * send has made no progress for a second is left behind, detached, so that a
 * wedged receiver cannot hang shutdown or a reload: what it still holds is
 * counted as not delivered, and it frees the queue itself when its send
 * returns. (Cancelling it instead would rely on cancellation safety that
 * libsystemd does not promise.)
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "out.h"

#define OUT_QUEUE_RETRY_S 1 /* between probes and retries while the receiver is away */
#define OUT_QUEUE_STUCK_S 1 /* a send waiting this long means the receiver is not reading */

struct out_queue {
	char name[16];
	struct sockaddr_un sun; /* the receiver's socket, probed by the thread */
	int (*send_cb)(int, char *, size_t);
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;  /* something queued, or stop */
	pthread_cond_t moved; /* a record left the queue, or the thread ended (for close) */

	/* Under mu: the ring and what the thread reports back. */
	char *slot; /* nslots * OUT_QUEUE_MAX bytes */
	size_t *len;
	int *tag;
	size_t nslots, head, count;
	int started; /* out_queue_start() made the thread */
	int stop;
	int exited;
	int abandoned; /* close gave up on the thread: it frees the queue */
	uint64_t written;
	uint64_t dropped;
	int away_errno;      /* why the receiver cannot take records; 0 while it can */
	int bad_errno;       /* why the library refused a record since the last tick */
	uint64_t busy_since; /* CLOCK_MONOTONIC ms when the send in progress began; 0 = none */
	uint64_t overflowed; /* dropped on a full ring since the last tick */

	/* Main thread only. */
	int reported;            /* a failure was said, its end not yet */
	uint64_t dropped_base;   /* dropped before the said failure began */
	uint64_t tick_dropped;   /* dropped at the last tick */
	uint64_t synced_written; /* what out_queue_stats() already added to the caller's stats */
	uint64_t synced_dropped;
};

static uint64_t
out_queue_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* An errno about the record itself: no retry can send it. */
static int
out_queue_bad_record(int e)
{
	return e == EINVAL || e == EMSGSIZE || e == E2BIG;
}

/*
 * Is anyone receiving on the socket? 0, or the errno a send would get
 * (ENOENT: no socket; ECONNREFUSED: nobody bound to it). A stream socket
 * (EPROTOTYPE) is a receiver too: syslog(3) falls back to it.
 */
static int
out_queue_probe(const struct out_queue *q)
{
	int fd, e = 0;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return errno;
	if (connect(fd, (const struct sockaddr *)&q->sun, sizeof(q->sun)) == -1 &&
	    errno != EPROTOTYPE)
		e = errno;
	close(fd);
	return e;
}

/* Wait OUT_QUEUE_RETRY_S or until stop; called and returns with mu held. */
static void
out_queue_pause(struct out_queue *q)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += OUT_QUEUE_RETRY_S;
	while (!q->stop) {
		if (pthread_cond_timedwait(&q->work, &q->mu, &until) == ETIMEDOUT)
			break;
	}
}

/* Drop the oldest record from the ring, counted as written or dropped; mu held. */
static void
out_queue_pop(struct out_queue *q, int sent)
{
	q->head = (q->head + 1) % q->nslots;
	q->count--;
	if (sent)
		q->written++;
	else
		q->dropped++;
	if (q->stop)
		pthread_cond_signal(&q->moved);
}

static void
out_queue_free(struct out_queue *q)
{
	pthread_cond_destroy(&q->moved);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
	free(q->tag);
	free(q->len);
	free(q->slot);
	free(q);
}

/*
 * The sender thread: probe the receiver when a second has passed, hand the
 * oldest record to the library, account for it.
 */
static void *
out_queue_main(void *arg)
{
	struct out_queue *q = arg;
	char buf[OUT_QUEUE_MAX];
	uint64_t probed_ms = 0, now;
	size_t n;
	int tag, e;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->count == 0 && !q->stop)
			pthread_cond_wait(&q->work, &q->mu);
		if (q->count == 0)
			break;
		now = out_queue_now_ms();
		if (probed_ms == 0 || now - probed_ms >= OUT_QUEUE_RETRY_S * 1000) {
			probed_ms = now;
			pthread_mutex_unlock(&q->mu);
			e = out_queue_probe(q);
			pthread_mutex_lock(&q->mu);
			q->away_errno = e;
		}
		if (q->away_errno != 0) {
			if (q->stop)
				break;
			out_queue_pause(q);
			continue;
		}
		n = q->len[q->head];
		tag = q->tag[q->head];
		memcpy(buf, q->slot + q->head * OUT_QUEUE_MAX, n);
		q->busy_since = now;
		pthread_mutex_unlock(&q->mu);
		e = q->send_cb(tag, buf, n);
		pthread_mutex_lock(&q->mu);
		if (q->abandoned) {
			pthread_mutex_unlock(&q->mu);
			out_queue_free(q);
			return NULL;
		}
		q->busy_since = 0;
		if (e == 0) {
			out_queue_pop(q, 1);
		} else if (out_queue_bad_record(e)) {
			q->bad_errno = e;
			out_queue_pop(q, 0);
		} else {
			q->away_errno = e; /* kept; retried after a pause and a probe */
		}
	}
	q->exited = 1;
	pthread_cond_signal(&q->moved);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct out_queue *
out_queue_open(const char *name, const char *path, size_t nslots,
               int (*send_cb)(int, char *, size_t), char *err, size_t errlen)
{
	struct out_queue *q;

	if (strlen(path) >= sizeof(q->sun.sun_path)) {
		snprintf(err, errlen, "%s output: socket path too long: %s", name, path);
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->slot = malloc(nslots * OUT_QUEUE_MAX)) == NULL ||
	    (q->len = calloc(nslots, sizeof(*q->len))) == NULL ||
	    (q->tag = calloc(nslots, sizeof(*q->tag))) == NULL) {
		snprintf(err, errlen, "%s output: out of memory", name);
		goto fail;
	}
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->sun.sun_family = AF_UNIX;
	memcpy(q->sun.sun_path, path, strlen(path) + 1);
	q->nslots = nslots;
	q->send_cb = send_cb;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->moved, NULL);
	return q;

fail:
	if (q != NULL) {
		free(q->tag);
		free(q->len);
		free(q->slot);
		free(q);
	}
	return NULL;
}

int
out_queue_start(struct out_queue *q, char *err, size_t errlen)
{
	sigset_t all, old;
	int e;

	if (q->started)
		return 0;
	/* Signals are the event loop's business: the thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&q->thread, NULL, out_queue_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		snprintf(err, errlen, "%s output: cannot start its thread: %s", q->name, strerror(e));
		return -1;
	}
	q->started = 1;
	return 0;
}

void
out_queue_put(struct out_queue *q, int tag, const char *rec, size_t len)
{
	size_t tail;

	pthread_mutex_lock(&q->mu);
	if (len > OUT_QUEUE_MAX) {
		q->dropped++;
		q->bad_errno = EMSGSIZE;
	} else if (q->count == q->nslots) {
		q->dropped++;
		q->overflowed++;
	} else {
		tail = (q->head + q->count) % q->nslots;
		memcpy(q->slot + tail * OUT_QUEUE_MAX, rec, len);
		q->len[tail] = len;
		q->tag[tail] = tag;
		q->count++;
		pthread_cond_signal(&q->work);
	}
	pthread_mutex_unlock(&q->mu);
}

/* Add what was written and dropped since the last call to *st; mu held. */
static void
out_queue_sync(struct out_queue *q, struct output_stats *st)
{
	st->written += q->written - q->synced_written;
	st->dropped += q->dropped - q->synced_dropped;
	q->synced_written = q->written;
	q->synced_dropped = q->dropped;
}

void
out_queue_stats(struct out_queue *q, struct output_stats *st)
{
	pthread_mutex_lock(&q->mu);
	out_queue_sync(q, st);
	pthread_mutex_unlock(&q->mu);
}

/*
 * Said once when records stop going out (receiver absent or not reading,
 * records refused, a full queue), and once more when sending works again
 * with nothing lost since the last tick.
 */
void
out_queue_tick(struct out_queue *q, struct output_stats *st)
{
	uint64_t overflowed, dropped, busy;
	int away, bad;

	pthread_mutex_lock(&q->mu);
	out_queue_sync(q, st);
	away = q->away_errno;
	bad = q->bad_errno;
	busy = q->busy_since;
	overflowed = q->overflowed;
	dropped = q->dropped;
	q->bad_errno = 0;
	q->overflowed = 0;
	pthread_mutex_unlock(&q->mu);
	if (busy != 0 && out_queue_now_ms() - busy < OUT_QUEUE_STUCK_S * 1000)
		busy = 0;

	if (!q->reported && (away != 0 || busy != 0 || bad != 0 || overflowed != 0)) {
		if (away != 0)
			log_warnx("%s output suspended: cannot send to %s: %s; records are queued, "
			          "then dropped and counted",
			          q->name, q->sun.sun_path, strerror(away));
		else if (busy != 0)
			log_warnx(
			    "%s output suspended: %s is not reading (a send has waited %d s); "
			    "records are queued, then dropped and counted",
			    q->name, q->sun.sun_path, OUT_QUEUE_STUCK_S);
		else if (bad != 0)
			log_warnx("%s output: a record could not be sent: %s; it is dropped and "
			          "counted",
			          q->name, strerror(bad));
		else
			log_warnx("%s output: %s is not keeping up: queue full, %llu records "
			          "dropped and counted",
			          q->name, q->sun.sun_path, (unsigned long long)overflowed);
		q->reported = 1;
		q->dropped_base = q->tick_dropped;
	} else if (q->reported && away == 0 && busy == 0 && bad == 0 && overflowed == 0) {
		log_info("%s output resumed, %llu records dropped", q->name,
		         (unsigned long long)(dropped - q->dropped_base));
		q->reported = 0;
	}
	q->tick_dropped = dropped;
}

/*
 * Stop: the thread sends what is queued while the receiver takes it, and
 * gives up when the receiver is away. A thread whose send makes no progress
 * for OUT_QUEUE_STUCK_S is left behind (see the top of this file).
 */
int
out_queue_close(struct out_queue *q, struct output_stats *st)
{
	struct timespec until;
	char name[sizeof(q->name)];
	size_t left;
	int stuck = 0;

	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->work);
	if (!q->started)
		q->exited = 1; /* nothing was ever sent */
	while (!q->exited && !stuck) {
		left = q->count;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += OUT_QUEUE_STUCK_S;
		while (!q->exited && q->count == left) {
			if (pthread_cond_timedwait(&q->moved, &q->mu, &until) == ETIMEDOUT) {
				stuck = q->busy_since != 0 && q->count == left;
				break;
			}
		}
	}
	/* What the thread did not send, or (stuck) may never send: not delivered. */
	left = q->count;
	q->dropped += left;
	out_queue_sync(q, st);
	memcpy(name, q->name, sizeof(name));
	if (stuck) {
		q->abandoned = 1;
		pthread_detach(q->thread);
		pthread_mutex_unlock(&q->mu); /* q is the thread's from here on */
		log_warnx("%s output: %zu queued records not delivered at close; the receiver "
		          "is not reading",
		          name, left);
		return -1;
	}
	pthread_mutex_unlock(&q->mu);
	if (q->started)
		pthread_join(q->thread, NULL);
	if (left > 0)
		log_warnx("%s output: %zu queued records not delivered at close", name, left);
	out_queue_free(q);
	return 0;
}
