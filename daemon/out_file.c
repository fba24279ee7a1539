/*
 * out_file.c - the log file and standard output.
 *
 * Records collect in a 64 KiB buffer that only ever holds whole records, and
 * leave it in one write(2) when the next record would not fit, on
 * outputs_flush() and on every tick. A file never keeps half a record: a short
 * write (a full disk) is cut back to the last whole record with ftruncate(2),
 * and the records not written stay buffered; a write that SIGKILL cut short
 * is cut back the same way when the file is next opened. Should even that
 * fail, the next write starts with a newline so that the fragment stays a
 * line of its own.
 *
 * Size rotation happens between records: path.(keep-1) -> path.keep ...
 * path -> path.1, then a new path (keep = 0: the full file is deleted).
 *
 * When writing or opening fails (ENOSPC, EROFS, EIO, EACCES ...) the file is
 * suspended, in the manner of pflogd: capture and the other outputs go on,
 * records are buffered while there is room and dropped (and counted) after
 * that, it is said once, and a retry at most once a second says when it
 * works again and how much was lost.
 *
 * A file moved or removed with no signal to say so (a logrotate whose
 * postrotate failed, an operator's mv) is noticed on the next tick, when the
 * path no longer names the open file, and reopened as on SIGHUP.
 *
 * Standard output is the same buffer without rotation; a terminal gets each
 * record at once. When its reader goes away (EPIPE) it stops for good. The
 * daemon must ignore SIGPIPE for that to be seen.
 *
 * Reading a file (-r), each full buffer goes to a writer thread instead
 * (out_file_writer_*, below), so that its write(2) overlaps the making of
 * the next records on another core; what reaches the file, what is counted
 * and what is said stay as they were without it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "out.h"

#define OUT_FILE_BUF (64 * 1024)
#define OUT_FILE_RETRY_US 1000000ULL /* at most one retry of a suspended file per second */
#define OUT_FILE_RETRY_UNSET UINT64_MAX
/*
 * The writer thread (-r): at most OUT_FILE_RING full buffers wait for it
 * (1 MiB), and it is woken when OUT_FILE_WAKE of them do, so that a wake-up
 * (a futex call on each side) comes once per 512 KiB, not once per buffer.
 * Measured on two cores with 3.8M packets: 8 buffers woken one by one gained
 * less; 16 woken by 4, or 32 by 8, no more (within the noise).
 */
#define OUT_FILE_RING 16
#define OUT_FILE_WAKE 8

/*
 * Whole records on their way to the file: the sink's own buffer in
 * out_file_write(), or a full one handed to the writer thread.
 */
struct out_file_chunk {
	char *buf; /* OUT_FILE_BUF bytes */
	size_t len;
	uint64_t nrec;
	uint64_t landed;  /* bytes that reached the file, a fragment's ending newline too */
	uint64_t written; /* records that did */
	int err;          /* why the rest (buf, len, nrec) was not written; 0: all was */
};

struct out_file_writer;

struct out_file {
	char path[4096];
	int fd;        /* -1 while not open (suspended after an open failed) */
	int stream;    /* standard output: no rotation, no truncation, never closed */
	int line_mode; /* a terminal: write each record at once */
	int dead;      /* standard output went away: everything is dropped */
	uint64_t size; /* bytes in the file as far as we know */
	uint64_t max_size;
	uint32_t keep;
	uint32_t mode;

	char *buf; /* OUT_FILE_BUF bytes of whole records */
	size_t len;
	uint64_t nrec;

	int suspended;
	uint64_t dropped_base; /* st->dropped when the suspension began */
	uint64_t last_retry_us;
	int cut_tail;       /* a cut record could not be truncated away */
	int rotate_failing; /* renaming failed: said once, retried after a tick */
	int rotate_wait;    /* do not retry renaming before the next tick */
	struct output_stats *st;
	struct out_file_writer *w; /* -r: the writer thread; NULL: records are written here */
};

static void out_file_configure(struct out_file *f, const struct out_config *oc);
static void out_file_flush(struct out_file *f);
static void out_file_record(struct out_file *f, const char *rec, size_t len);
static uint64_t out_file_writer_queued(const struct out_file *f);
static int out_file_writer_put(struct out_file *f);
static int out_file_writer_wait(struct out_file *f);
static void out_file_writer_end(struct out_file *f);

/*
 * Where the last whole line of the file at fd ends, read through rfd, another
 * descriptor of the same file: *end itself if the file ends with a newline.
 * A record is shorter than OUT_FILE_BUF, so the search goes no further back;
 * returns -1 if no newline is that close to the end, or reading fails.
 */
static int
out_file_last_line(int rfd, uint64_t *end)
{
	char chunk[4096];
	uint64_t pos = *end;
	size_t n, i;

	while (pos > 0 && *end - pos <= OUT_FILE_BUF) {
		n = pos > sizeof(chunk) ? sizeof(chunk) : (size_t)pos;
		if (pread(rfd, chunk, n, (off_t)(pos - n)) != (ssize_t)n)
			return -1;
		for (i = n; i > 0; i--) {
			if (chunk[i - 1] == '\n') {
				*end = pos - n + i;
				return 0;
			}
		}
		pos -= n;
	}
	return -1;
}

/*
 * SIGKILL cuts a write(2) to a file between two pages: a kill -9 while the
 * buffer was being written leaves part of a record at the end of the file.
 * Before appending, cut the file at path (open on fd, write-only) back to its
 * last whole line. Returns 1 if it still ends inside a line (a file that
 * cannot be read, or no line near its end: left as it is), else 0.
 */
static int
out_file_mend(int fd, const char *path, uint64_t *size)
{
	struct stat a, b;
	uint64_t end = *size;
	int rfd, cut = 1;

	if (*size == 0)
		return 0;
	rfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd == -1)
		return 1;
	if (fstat(fd, &a) == 0 && fstat(rfd, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino && out_file_last_line(rfd, &end) == 0) {
		if (end == *size)
			cut = 0;
		else if (ftruncate(fd, (off_t)end) == 0) {
			log_warnx("file output: %s ended inside a record (a write cut short, as by "
			          "kill -9): %" PRIu64 " bytes of the unfinished record removed",
			          path, *size - end);
			*size = end;
			cut = 0;
		}
	}
	close(rfd);
	return cut;
}

/*
 * Open path for appending, refusing symbolic links and anything but a regular
 * file; *cut is set when the file ends inside a line that could not be mended.
 */
static int
out_file_openpath(const char *path, uint32_t mode, uint64_t *size, int *cut, char *err,
                  size_t errlen)
{
	struct stat sb;
	int fd;

	/* O_NONBLOCK: a FIFO at the path must not hang the event loop (ENXIO without a reader). */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
	          (mode_t)mode);
	if (fd == -1) {
		if (errno == ELOOP)
			snprintf(err, errlen, "cannot open %s: it is a symbolic link", path);
		else if (errno == ENXIO)
			snprintf(err, errlen, "%s is not a regular file", path);
		else
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	*size = (uint64_t)sb.st_size;
	*cut = out_file_mend(fd, path, size);
	/* After the mend, whose close would drop it: a second tcpstated sees who writes here. */
	if (fcntl(fd, F_SETLK, &(struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET}) == -1 &&
	    (errno == EAGAIN || errno == EACCES)) {
		snprintf(err, errlen, "%s is written by another tcpstated", path);
		close(fd);
		return -1;
	}
	return fd;
}

static struct out_file *
out_file_alloc(struct output_stats *st)
{
	struct out_file *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->buf = malloc(OUT_FILE_BUF)) == NULL) {
		free(f);
		return NULL;
	}
	f->fd = -1;
	f->st = st;
	f->last_retry_us = OUT_FILE_RETRY_UNSET;
	return f;
}

static struct out_file *
out_file_open(const struct out_config *oc, struct output_stats *st, char *err, size_t errlen)
{
	struct out_file *f;

	if (oc->path[0] == '\0') {
		snprintf(err, errlen, "file output: no path");
		return NULL;
	}
	if ((f = out_file_alloc(st)) == NULL) {
		snprintf(err, errlen, "file output: out of memory");
		return NULL;
	}
	snprintf(f->path, sizeof(f->path), "%s", oc->path);
	out_file_configure(f, oc);
	f->fd = out_file_openpath(f->path, f->mode, &f->size, &f->cut_tail, err, errlen);
	if (f->fd == -1) {
		free(f->buf);
		free(f);
		return NULL;
	}
	return f;
}

static struct out_file *
out_file_stdout(struct output_stats *st)
{
	struct out_file *f;

	if ((f = out_file_alloc(st)) == NULL)
		return NULL;
	snprintf(f->path, sizeof(f->path), "standard output");
	f->fd = STDOUT_FILENO;
	f->stream = 1;
	f->line_mode = isatty(STDOUT_FILENO);
	return f;
}

static void
out_file_configure(struct out_file *f, const struct out_config *oc)
{
	f->max_size = oc->max_size_bytes;
	f->keep = oc->keep;
	f->mode = oc->mode;
}

static const char *
out_file_path(const struct out_file *f)
{
	return f->path;
}

static uint64_t
out_file_count_lines(const char *p, size_t n)
{
	uint64_t lines = 0;
	size_t i;

	for (i = 0; i < n; i++)
		lines += p[i] == '\n';
	return lines;
}

/*
 * Write c out, whole records only. Returns 0 when it is empty, -1 with errno
 * (and c->err) set when writing failed: what made it is in c->landed and
 * c->written, the rest stays in c. While the writer thread has buffers, it
 * alone calls this, and it alone touches f->fd and f->cut_tail.
 */
static int
out_file_write_chunk(struct out_file *f, struct out_file_chunk *c)
{
	size_t landed, recs;
	struct stat sb;
	ssize_t n;

	if (f->cut_tail) {
		/* End the fragment a failed truncation left, so it is a line of its own. */
		if ((n = write(f->fd, "\n", 1)) != 1) {
			if (n == 0)
				errno = ENOSPC;
			c->err = errno;
			return -1;
		}
		f->cut_tail = 0;
		c->landed++;
	}
	while (c->len > 0) {
		n = write(f->fd, c->buf, c->len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			c->err = errno;
			return -1;
		}
		landed = (size_t)n;
		if (!f->stream) {
			/* A file gets whole records: back to the last newline that made it. */
			while (landed > 0 && c->buf[landed - 1] != '\n')
				landed--;
			if (landed < (size_t)n &&
			    (fstat(f->fd, &sb) == -1 ||
			     ftruncate(f->fd, sb.st_size - (off_t)((size_t)n - landed)) == -1))
				f->cut_tail = 1;
		}
		if (landed == 0) {
			/* No whole record fits: the disk is full (or the file at its limit). */
			errno = c->err = f->stream ? EAGAIN : ENOSPC;
			return -1;
		}
		/* The usual case, everything written, needs no scan for record ends. */
		recs = landed == c->len ? c->nrec : out_file_count_lines(c->buf, landed);
		c->written += recs;
		c->nrec -= recs;
		c->landed += landed;
		memmove(c->buf, c->buf + landed, c->len - landed);
		c->len -= landed;
	}
	return 0;
}

/* Count what of c reached the file. */
static void
out_file_landed(struct out_file *f, const struct out_file_chunk *c)
{
	f->size += c->landed;
	f->st->written += c->written;
}

/*
 * Write the buffer out, whole records only. Returns 0 when it is empty, -1
 * with errno set when writing failed; the records that made it are counted
 * as written and the rest stays buffered.
 */
static int
out_file_write(struct out_file *f)
{
	struct out_file_chunk c = {.buf = f->buf, .len = f->len, .nrec = f->nrec};
	int rc;

	rc = out_file_write_chunk(f, &c);
	out_file_landed(f, &c);
	f->len = c.len;
	f->nrec = c.nrec;
	if (rc == -1)
		errno = c.err; /* counting may have touched it */
	return rc;
}

/* Say once that the file stopped taking records. */
static void
out_file_suspend(struct out_file *f, const char *why)
{
	if (f->suspended)
		return;
	log_warnx("file output suspended: %s; records are dropped and counted until it works "
	          "again",
	          why);
	out_file_writer_end(f); /* idle (flushed, or failed): a suspended file is written here */
	f->suspended = 1;
	f->dropped_base = f->st->dropped;
	f->last_retry_us = OUT_FILE_RETRY_UNSET;
}

/* Standard output's reader is gone (or it broke): everything from now on is dropped. */
static void
out_file_kill_stream(struct out_file *f, int e)
{
	log_warnx("standard output: %s; events for it are dropped and counted from now on",
	          strerror(e));
	out_file_writer_end(f); /* idle (flushed, or failed) */
	f->dead = 1;
	f->st->dropped += f->nrec;
	f->len = 0;
	f->nrec = 0;
}

/* Writing failed with e: suspend the file, or stop or keep standard output. */
static void
out_file_failed(struct out_file *f, int e)
{
	char why[4200];

	if (f->stream) {
		/* A non-blocking descriptor we were handed: keep the records for the next flush. */
		if (e != EAGAIN && e != EWOULDBLOCK)
			out_file_kill_stream(f, e);
		return;
	}
	snprintf(why, sizeof(why), "cannot write %s: %s", f->path, strerror(e));
	out_file_suspend(f, why);
}

static void
out_file_flush(struct out_file *f)
{
	/* What the writer thread has goes first; the rest is written here, as always. */
	out_file_writer_wait(f);
	if (f->dead || f->suspended || f->fd == -1 || f->len == 0)
		return;
	if (out_file_write(f) == 0)
		return;
	out_file_failed(f, errno);
}

/* Try a suspended file again: open it if need be, then write what waits. */
static void
out_file_retry(struct out_file *f)
{
	char err[4200];

	if (f->fd == -1) {
		f->fd =
		    out_file_openpath(f->path, f->mode, &f->size, &f->cut_tail, err, sizeof(err));
		if (f->fd == -1)
			return;
	}
	if (out_file_write(f) == -1)
		return;
	log_info("file output resumed: %s, %llu records dropped", f->path,
	         (unsigned long long)(f->st->dropped - f->dropped_base));
	f->suspended = 0;
}

/* path.(keep-1) -> path.keep, ..., path -> path.1 (keep 0: delete path), then a new path. */
static void
out_file_rotate(struct out_file *f)
{
	char from[sizeof(f->path) + 16], to[sizeof(f->path) + 16], err[4200];
	uint32_t i;

	if (f->keep == 0) {
		if (unlink(f->path) == -1 && errno != ENOENT)
			goto fail;
	} else {
		for (i = f->keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%u", f->path, i);
			snprintf(to, sizeof(to), "%s.%u", f->path, i + 1);
			if (rename(from, to) == -1 && errno != ENOENT)
				goto fail;
		}
		snprintf(to, sizeof(to), "%s.1", f->path);
		if (rename(f->path, to) == -1 && errno != ENOENT)
			goto fail;
	}
	if (f->rotate_failing)
		log_info("file output: rotating %s works again", f->path);
	f->rotate_failing = 0;
	close(f->fd);
	f->st->rotations++;
	f->fd = out_file_openpath(f->path, f->mode, &f->size, &f->cut_tail, err, sizeof(err));
	if (f->fd == -1)
		out_file_suspend(f, err);
	return;

fail:
	/* Keep appending to the full file rather than lose records; try again after a tick. */
	if (!f->rotate_failing)
		log_warn("file output: cannot rotate %s (it keeps growing)", f->path);
	f->rotate_failing = 1;
	f->rotate_wait = 1;
}

/* Add one record to the buffer if it fits; else drop it (suspended, or a stuck pipe). */
static void
out_file_append(struct out_file *f, const char *rec, size_t len)
{
	if (f->len + len > OUT_FILE_BUF) {
		f->st->dropped++;
		return;
	}
	memcpy(f->buf + f->len, rec, len);
	f->len += len;
	f->nrec++;
}

static void
out_file_record(struct out_file *f, const char *rec, size_t len)
{
	/* What the file will hold once the writer thread has written what it has. */
	uint64_t size = f->size + out_file_writer_queued(f);

	if (f->dead || len > OUT_FILE_BUF) {
		f->st->dropped++;
		return;
	}
	if (!f->stream && !f->suspended && !f->rotate_wait && f->max_size > 0 &&
	    size + f->len + len > f->max_size && size + f->len > 0) {
		out_file_flush(f);
		if (!f->suspended)
			out_file_rotate(f);
	}
	if (f->len + len > OUT_FILE_BUF) {
		if (f->w == NULL)
			out_file_flush(f);
		else if (out_file_writer_put(f) == -1) {
			/* A buffer handed over before failed: this record comes after it. */
			out_file_record(f, rec, len);
			return;
		}
	}
	out_file_append(f, rec, len);
	if (f->line_mode)
		out_file_flush(f);
}

static void
out_file_reopen(struct out_file *f)
{
	char err[4200];

	if (f->stream) {
		out_file_flush(f);
		return;
	}
	out_file_flush(f);
	if (f->fd != -1)
		close(f->fd);
	f->fd = out_file_openpath(f->path, f->mode, &f->size, &f->cut_tail, err, sizeof(err));
	if (f->fd == -1) {
		out_file_suspend(f, err);
		return;
	}
	if (f->suspended)
		out_file_retry(f); /* an operator asked: try at once */
}

/*
 * Has the open file left its path (an operator's mv, a logrotate whose
 * postrotate signal never came)? lstat, as the file is opened O_NOFOLLOW.
 */
static int
out_file_moved(const struct out_file *f)
{
	struct stat open_sb, path_sb;

	if (f->stream || f->fd == -1 || fstat(f->fd, &open_sb) == -1)
		return 0;
	if (lstat(f->path, &path_sb) == -1)
		return errno == ENOENT;
	return open_sb.st_dev != path_sb.st_dev || open_sb.st_ino != path_sb.st_ino;
}

static void
out_file_tick(struct out_file *f, uint64_t now_us)
{
	f->rotate_wait = 0;
	if (f->suspended) {
		if (f->last_retry_us == OUT_FILE_RETRY_UNSET || now_us < f->last_retry_us)
			f->last_retry_us = now_us;
		else if (now_us - f->last_retry_us >= OUT_FILE_RETRY_US) {
			f->last_retry_us = now_us;
			out_file_retry(f);
		}
		return;
	}
	if (out_file_moved(f)) {
		/* What is buffered goes after the rest in the moved file; the path starts anew. */
		log_info("file output: %s was moved or removed without a signal; reopened it",
		         f->path);
		out_file_reopen(f);
		return;
	}
	out_file_flush(f);
}

static void
out_file_close(struct out_file *f)
{
	/* What the writer thread has is written first; the rest as always, here. */
	out_file_writer_wait(f);
	out_file_writer_end(f);
	if (f->suspended && f->fd != -1 && out_file_write(f) == 0)
		f->suspended = 0;
	out_file_flush(f);
	/* Whatever could not be written is lost now: count it. */
	f->st->dropped += f->nrec;
	if (f->nrec > 0)
		log_warnx("%s: %llu buffered records not written at close", f->path,
		          (unsigned long long)f->nrec);
	if (f->fd != -1 && !f->stream)
		close(f->fd);
	free(f->buf);
	free(f);
}

/* --- the writer thread (-r) ---------------------------------------------- */

/*
 * Reading a file, nothing is live and no record may be lost, and the
 * write(2)s of a busy replay are a sixth of its time on the thread that makes
 * the records. So a full buffer is handed to a writer thread, and records go
 * on into the next one while it is written; when OUT_FILE_RING buffers wait,
 * the hand-over waits for the writer. That hand-over, once per OUT_FILE_BUF,
 * is the only lock on the way of a record.
 *
 * Nothing else changes, so that the file is the same to the byte and so are
 * the counters and what is said: the buffers are cut at the same records as
 * without the thread, the writer writes each as out_file_write() does, a
 * flush (a rotation, the end) first waits for the writer and then writes the
 * rest here, and the counters (STATS, the metrics) are read once the writer
 * is through with what it has. The writer stops at its first failure (a
 * full disk, a reader gone); the caller, when it next hands over or waits,
 * takes that failure as its own, as out_file_flush() would have met it when
 * the failed buffer was handed over, and every record after it goes through
 * out_file_record() again, to be kept, dropped and counted as it would have
 * been. Only the moment moves: the failure is said a few buffers late, so
 * two outputs failing in one run may say so in the other order. From then on
 * the file is written here, as it always was; a live daemon, whose writes
 * are few and small, never has the thread.
 */
struct out_file_writer {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t work;                       /* a buffer was handed over, or stop */
	pthread_cond_t done;                       /* a buffer was written, or failed */
	struct out_file_chunk ring[OUT_FILE_RING]; /* each slot owns its buffer */
	unsigned head;  /* the oldest buffer handed over and not yet taken back */
	unsigned n;     /* buffers handed over and not taken back */
	unsigned ndone; /* of those, the first ndone are written or failed */
	int failed;     /* ring[head + ndone - 1] failed: the writer writes no more */
	int stop;
	/* The caller's alone: the bytes each buffer will add to the file, and their sum. */
	uint64_t given[OUT_FILE_RING];
	uint64_t queued;
};

static void *
out_file_writer_main(void *arg)
{
	struct out_file *f = arg;
	struct out_file_writer *w = f->w;
	struct out_file_chunk *c;
	int rc;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && (w->failed || w->ndone == w->n))
			pthread_cond_wait(&w->work, &w->mu);
		if (w->stop)
			break;
		c = &w->ring[(w->head + w->ndone) % OUT_FILE_RING];
		pthread_mutex_unlock(&w->mu);
		rc = out_file_write_chunk(f, c);
		pthread_mutex_lock(&w->mu);
		w->ndone++;
		w->failed = rc == -1;
		pthread_cond_signal(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Bytes handed to the writer and not yet taken back: the file holds them, or will. */
static uint64_t
out_file_writer_queued(const struct out_file *f)
{
	return f->w != NULL ? f->w->queued : 0;
}

/* The ring's buffers and the writer's locks; its thread is not, or no longer, running. */
static void
out_file_writer_free(struct out_file_writer *w)
{
	int i;

	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
	for (i = 0; i < OUT_FILE_RING; i++)
		free(w->ring[i].buf);
	free(w);
}

/*
 * Start the writer (f is open, not suspended, not a terminal). Returns -1
 * with a reason in err when no thread can be had.
 */
static int
out_file_writer_start(struct out_file *f, char *err, size_t errlen)
{
	struct out_file_writer *w;
	int i, e;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", f->path);
		return -1;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	for (i = 0; i < OUT_FILE_RING; i++) {
		if ((w->ring[i].buf = malloc(OUT_FILE_BUF)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", f->path);
			out_file_writer_free(w);
			return -1;
		}
	}
	f->w = w;
	if ((e = pthread_create(&w->tid, NULL, out_file_writer_main, f)) != 0) {
		snprintf(err, errlen, "%s: cannot start the writer thread: %s", f->path,
		         strerror(e));
		f->w = NULL;
		out_file_writer_free(w);
		return -1;
	}
	return 0;
}

/*
 * Take back, in order, the buffers the writer is through with, and count
 * what they wrote. Under w->mu. Returns -1 when one failed: it stays first,
 * and the writer writes no more.
 */
static int
out_file_writer_reap(struct out_file *f)
{
	struct out_file_writer *w = f->w;
	struct out_file_chunk *c;

	while (w->ndone > 0) {
		c = &w->ring[w->head];
		if (w->ndone == 1 && w->failed)
			return -1;
		out_file_landed(f, c);
		w->queued -= w->given[w->head];
		w->head = (w->head + 1) % OUT_FILE_RING;
		w->n--;
		w->ndone--;
	}
	return 0;
}

/* Stop the thread, which has nothing to write (or has failed): from now on w is the caller's. */
static void
out_file_writer_join(struct out_file_writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->tid, NULL);
}

/* Stop the writer, which has nothing to write (or has failed), and free it. */
static void
out_file_writer_end(struct out_file *f)
{
	if (f->w == NULL)
		return;
	out_file_writer_join(f->w);
	out_file_writer_free(f->w);
	f->w = NULL;
}

/*
 * Records from p, whole lines, as they came after a failed buffer. The first,
 * *next, is the one whose arrival handed that buffer over: out_file_flush()
 * would have failed for it, and it is only appended, if it fits.
 */
static void
out_file_writer_refeed(struct out_file *f, const char *p, size_t len, int *next)
{
	const char *end = p + len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (*next)
			out_file_append(f, p, n);
		else
			out_file_record(f, p, n);
		*next = 0;
		p += n;
	}
}

/*
 * The writer failed on the first buffer of its ring (out_file_writer_reap
 * said so): stop it, then meet the failure here as out_file_flush() would
 * have met it when that buffer was handed over, with what was not written of
 * it as the buffer; then every record handed over after it, and those
 * buffered since, go through out_file_record() again. From now on the file is
 * written here.
 */
static void
out_file_writer_unwind(struct out_file *f)
{
	struct out_file_writer *w = f->w;
	struct out_file_chunk *failed = &w->ring[w->head];
	char *cur = f->buf;
	size_t curlen = f->len;
	unsigned i;
	int next = 1;

	out_file_writer_join(w);
	f->w = NULL; /* from here on, out_file_record() writes itself */

	out_file_landed(f, failed);
	f->buf = failed->buf;
	f->len = failed->len;
	f->nrec = failed->nrec;
	failed->buf = cur; /* freed with the ring */
	out_file_failed(f, failed->err);
	for (i = 1; i < w->n; i++) {
		struct out_file_chunk *c = &w->ring[(w->head + i) % OUT_FILE_RING];

		out_file_writer_refeed(f, c->buf, c->len, &next);
	}
	out_file_writer_refeed(f, cur, curlen, &next);
	out_file_writer_free(w);
}

/*
 * With w->mu held: wait until the writer holds at most `most` buffers,
 * counting what it wrote meanwhile. Returns -1, with the lock released and
 * the writer unwound, when a buffer handed over before had failed.
 */
static int
out_file_writer_until(struct out_file *f, unsigned most)
{
	struct out_file_writer *w = f->w;

	for (;;) {
		if (out_file_writer_reap(f) == -1) {
			pthread_mutex_unlock(&w->mu);
			out_file_writer_unwind(f);
			return -1;
		}
		if (w->n <= most)
			return 0;
		pthread_cond_signal(&w->work); /* it may be waiting for OUT_FILE_WAKE buffers */
		pthread_cond_wait(&w->done, &w->mu);
	}
}

/*
 * Hand the full buffer to the writer and take an empty one, waiting while
 * the ring is full. Returns -1 when a buffer handed over before had failed:
 * the writer is gone (unwound) and this buffer is still f's.
 */
static int
out_file_writer_put(struct out_file *f)
{
	struct out_file_writer *w = f->w;
	struct out_file_chunk *c;
	unsigned slot;
	char *empty;

	pthread_mutex_lock(&w->mu);
	if (out_file_writer_until(f, OUT_FILE_RING - 1) == -1)
		return -1;
	slot = (w->head + w->n) % OUT_FILE_RING;
	c = &w->ring[slot];
	empty = c->buf;
	*c = (struct out_file_chunk){.buf = f->buf, .len = f->len, .nrec = f->nrec};
	/* An idle writer is in step: it will end a fragment first, as out_file_write() would. */
	w->given[slot] = f->len + (w->n == 0 && f->cut_tail);
	w->queued += w->given[slot];
	w->n++;
	if (w->n - w->ndone >= OUT_FILE_WAKE)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	f->buf = empty;
	f->len = 0;
	f->nrec = 0;
	return 0;
}

/*
 * Wait until the writer has written everything handed to it, and count it.
 * Returns -1 when a buffer failed: the writer is gone (unwound). Nothing to
 * do without a writer.
 */
static int
out_file_writer_wait(struct out_file *f)
{
	struct out_file_writer *w = f->w;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->mu);
	if (out_file_writer_until(f, 0) == -1)
		return -1;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* --- as sinks ------------------------------------------------------------ */

/*
 * Open the log file of oc (created with oc->mode, appended to, never through a
 * symbolic link). Counters go to *st.
 */
static void *
out_file_sink_open(const struct out_config *oc, struct output_stats *st, char *err, size_t errlen)
{
	struct out_file *f;
	char why[4300];

	if ((f = out_file_open(oc, st, why, sizeof(why))) == NULL)
		snprintf(err, errlen, "file output: %s", why);
	return f;
}

/* Standard output (-o): no rotation; a closed pipe stops it for good. */
static void *
out_stdout_sink_open(const struct out_config *oc, struct output_stats *st, char *err, size_t errlen)
{
	struct out_file *f;

	if ((f = out_file_stdout(st)) == NULL)
		snprintf(err, errlen, "standard output: out of memory");
	return f;
}

/* The path is fixed per out_file: a new one is a new sink. */
static int
out_file_sink_takes(const void *s, const struct out_config *oc)
{
	return strcmp(out_file_path(s), oc->path) == 0;
}

/* Take rotation size, keep and mode from oc. */
static void
out_file_sink_configure(void *s, const struct out_config *oc)
{
	out_file_configure(s, oc);
}

/* Buffer one whole record (ending in '\n'); writes when the buffer is full. */
static int
out_file_sink_record(void *s, enum format f, struct out_rec *r)
{
	const char *rec;
	size_t len;

	if ((rec = out_rec_form(r, f, &len)) == NULL)
		return -1;
	out_file_record(s, rec, len);
	return 0;
}

/* Flush, and at most once a second retry a suspended file. */
static void
out_file_sink_tick(void *s, uint64_t now_us, struct output_stats *st)
{
	out_file_tick(s, now_us);
}

static void
out_file_sink_flush(void *s)
{
	out_file_flush(s);
}

/* Close and open the path again (after an external rotation); standard output only flushes. */
static void
out_file_sink_reopen(void *s)
{
	out_file_reopen(s);
}

/* -r: the writer thread; a terminal gets each record at once, with no need of one. */
static int
out_file_sink_start(void *s, int replay, char *err, size_t errlen)
{
	struct out_file *f = s;

	if (!replay || f->line_mode || f->w != NULL)
		return 0;
	return out_file_writer_start(f, err, errlen);
}

/* The counters are whole once the writer has written what it has. */
static void
out_file_sink_stats(void *s, struct output_stats *st)
{
	out_file_writer_wait(s);
}

static void
out_file_sink_close(void *s, struct output_stats *st)
{
	out_file_close(s);
}

static const char *
out_file_sink_path(const void *s)
{
	return out_file_path(s);
}

const struct sink_ops out_file_ops = {
    .name = "file",
    .open = out_file_sink_open,
    .takes = out_file_sink_takes,
    .configure = out_file_sink_configure,
    .record = out_file_sink_record,
    .tick = out_file_sink_tick,
    .flush = out_file_sink_flush,
    .reopen = out_file_sink_reopen,
    .stats = out_file_sink_stats,
    .start = out_file_sink_start,
    .close = out_file_sink_close,
    .path = out_file_sink_path,
};

const struct sink_ops out_stdout_ops = {
    .name = "stdout",
    .open = out_stdout_sink_open,
    .record = out_file_sink_record,
    .tick = out_file_sink_tick,
    .flush = out_file_sink_flush,
    .reopen = out_file_sink_reopen,
    .stats = out_file_sink_stats,
    .start = out_file_sink_start,
    .close = out_file_sink_close,
};
