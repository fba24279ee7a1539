/*
 * out_dgram.c - deliver datagrams to a local unix socket (journald, /dev/log)
 * without ever blocking the caller.
 *
 * Why a queue and a thread: a unix datagram receiver accepts only
 * net.unix.max_dgram_qlen datagrams (10 by default) before the sender blocks
 * or, non-blocking, gets EAGAIN. A burst of a few hundred RSTs therefore
 * either stalls capture (what sd_journal_sendv(3) and syslog(3) do: their
 * sockets are blocking) or loses most of the burst. Here the caller copies
 * each datagram into a bounded ring and returns; one thread per receiver
 * sends at the receiver's pace with a blocking socket. Only a full ring drops
 * records, and those are counted. A receiver that is absent (ENOENT,
 * ECONNREFUSED) is retried once a second; a send that waits more than a
 * second (SO_SNDTIMEO) is retried, so a wedged receiver cannot hang close.
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

#define OUT_DGRAM_RETRY_S 1    /* between attempts while the receiver is absent */
#define OUT_DGRAM_SNDTIMEO_S 1 /* longest a single send may wait for the receiver */

struct out_dgram {
	char name[16];
	struct sockaddr_un sun;
	int fd;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work; /* something queued, or stop */

	/* Under mu: the ring and what the thread reports back. */
	char *slot; /* nslots * OUT_DGRAM_MAX bytes */
	size_t *len;
	size_t nslots, head, count;
	int stop;
	uint64_t written;
	uint64_t dropped;
	int send_errno;      /* why the last send failed; 0 once one works */
	uint64_t overflowed; /* dropped on a full ring since the last tick */

	/* Main thread only. */
	int reported;            /* a failure was said, its end not yet */
	uint64_t dropped_base;   /* dropped when the failure was said */
	uint64_t synced_written; /* what out_dgram_stats() already added to the caller's stats */
	uint64_t synced_dropped;
};

/* A send error that no retry can fix: this datagram is dropped. */
static int
out_dgram_fatal_errno(int e)
{
	return e == EMSGSIZE || e == EINVAL;
}

/* Wait up to OUT_DGRAM_RETRY_S or until stop; called and returns with mu held. */
static void
out_dgram_pause(struct out_dgram *d)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += OUT_DGRAM_RETRY_S;
	while (!d->stop) {
		if (pthread_cond_timedwait(&d->work, &d->mu, &until) == ETIMEDOUT)
			break;
	}
}

/* The sender thread: take the oldest datagram, send it, account for it. */
static void *
out_dgram_main(void *arg)
{
	struct out_dgram *d = arg;
	char buf[OUT_DGRAM_MAX];
	size_t n;
	ssize_t r;
	int e;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (d->count == 0 && !d->stop)
			pthread_cond_wait(&d->work, &d->mu);
		if (d->count == 0)
			break;
		n = d->len[d->head];
		memcpy(buf, d->slot + d->head * OUT_DGRAM_MAX, n);
		pthread_mutex_unlock(&d->mu);
		r = sendto(d->fd, buf, n, MSG_NOSIGNAL, (const struct sockaddr *)&d->sun,
		           sizeof(d->sun));
		e = errno;
		pthread_mutex_lock(&d->mu);
		if (r >= 0 || out_dgram_fatal_errno(e)) {
			d->head = (d->head + 1) % d->nslots;
			d->count--;
			if (r >= 0) {
				d->written++;
				d->send_errno = 0;
			} else {
				d->dropped++;
			}
			continue;
		}
		if (e == EINTR)
			continue;
		/* Absent (ENOENT, ECONNREFUSED ...) or not reading (EAGAIN after SO_SNDTIMEO). */
		d->send_errno = e;
		if (d->stop)
			break;
		if (e != EAGAIN && e != EWOULDBLOCK)
			out_dgram_pause(d);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

struct out_dgram *
out_dgram_open(const char *name, const char *path, size_t nslots, char *err, size_t errlen)
{
	struct timeval tv = {OUT_DGRAM_SNDTIMEO_S, 0};
	struct out_dgram *d;
	sigset_t all, old;
	int e;

	if (strlen(path) >= sizeof(d->sun.sun_path)) {
		snprintf(err, errlen, "%s output: socket path too long: %s", name, path);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->slot = malloc(nslots * OUT_DGRAM_MAX)) == NULL ||
	    (d->len = calloc(nslots, sizeof(*d->len))) == NULL) {
		snprintf(err, errlen, "%s output: out of memory", name);
		goto fail_mem;
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->sun.sun_family = AF_UNIX;
	memcpy(d->sun.sun_path, path, strlen(path) + 1);
	d->nslots = nslots;
	d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->fd == -1) {
		snprintf(err, errlen, "%s output: socket: %s", name, strerror(errno));
		goto fail_mem;
	}
	if (setsockopt(d->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		snprintf(err, errlen, "%s output: SO_SNDTIMEO: %s", name, strerror(errno));
		goto fail_fd;
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	/* Signals are the event loop's business: the thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&d->thread, NULL, out_dgram_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		snprintf(err, errlen, "%s output: cannot start its thread: %s", name, strerror(e));
		pthread_cond_destroy(&d->work);
		pthread_mutex_destroy(&d->mu);
		goto fail_fd;
	}
	return d;

fail_fd:
	close(d->fd);
fail_mem:
	if (d != NULL) {
		free(d->len);
		free(d->slot);
		free(d);
	}
	return NULL;
}

void
out_dgram_send(struct out_dgram *d, const char *buf, size_t len)
{
	size_t tail;

	pthread_mutex_lock(&d->mu);
	if (len > OUT_DGRAM_MAX) {
		d->dropped++;
	} else if (d->count == d->nslots) {
		d->dropped++;
		d->overflowed++;
	} else {
		tail = (d->head + d->count) % d->nslots;
		memcpy(d->slot + tail * OUT_DGRAM_MAX, buf, len);
		d->len[tail] = len;
		d->count++;
		pthread_cond_signal(&d->work);
	}
	pthread_mutex_unlock(&d->mu);
}

size_t
out_dgram_pending(struct out_dgram *d)
{
	size_t n;

	pthread_mutex_lock(&d->mu);
	n = d->count;
	pthread_mutex_unlock(&d->mu);
	return n;
}

/* Add what was written and dropped since the last call to *st; returns the thread's last errno. */
static int
out_dgram_sync(struct out_dgram *d, struct output_stats *st, uint64_t *overflowed,
               uint64_t *dropped)
{
	int e;

	pthread_mutex_lock(&d->mu);
	st->written += d->written - d->synced_written;
	st->dropped += d->dropped - d->synced_dropped;
	d->synced_written = d->written;
	d->synced_dropped = d->dropped;
	*dropped = d->dropped;
	e = d->send_errno;
	if (overflowed != NULL) {
		*overflowed = d->overflowed;
		d->overflowed = 0;
	}
	pthread_mutex_unlock(&d->mu);
	return e;
}

void
out_dgram_stats(struct out_dgram *d, struct output_stats *st)
{
	uint64_t dropped;

	out_dgram_sync(d, st, NULL, &dropped);
}

/*
 * Said once when records stop going out (receiver absent, or a full queue),
 * and once more when sending works again with nothing lost since the last tick.
 */
void
out_dgram_tick(struct out_dgram *d, struct output_stats *st)
{
	uint64_t overflowed, dropped;
	int e;

	e = out_dgram_sync(d, st, &overflowed, &dropped);
	if (!d->reported && (e != 0 || overflowed != 0)) {
		if (e == EAGAIN || e == EWOULDBLOCK)
			log_warnx("%s output suspended: %s is not reading (a send waited %d s); "
			          "records are queued, then dropped and counted",
			          d->name, d->sun.sun_path, OUT_DGRAM_SNDTIMEO_S);
		else if (e != 0)
			log_warnx("%s output suspended: cannot send to %s: %s; records are queued, "
			          "then dropped and counted",
			          d->name, d->sun.sun_path, strerror(e));
		else
			log_warnx("%s output: %s is not keeping up: queue full, %llu records "
			          "dropped and counted",
			          d->name, d->sun.sun_path, (unsigned long long)overflowed);
		d->reported = 1;
		d->dropped_base = dropped - overflowed;
	} else if (d->reported && e == 0 && overflowed == 0) {
		log_info("%s output resumed, %llu records dropped", d->name,
		         (unsigned long long)(dropped - d->dropped_base));
		d->reported = 0;
	}
}

void
out_dgram_close(struct out_dgram *d, struct output_stats *st)
{
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	/* What the thread could not send before it gave up. */
	d->dropped += d->count;
	if (d->count > 0)
		log_warnx("%s output: %zu queued records not delivered at close", d->name,
		          d->count);
	st->written += d->written - d->synced_written;
	st->dropped += d->dropped - d->synced_dropped;
	pthread_cond_destroy(&d->work);
	pthread_mutex_destroy(&d->mu);
	close(d->fd);
	free(d->len);
	free(d->slot);
	free(d);
}
