/*
 * client.c - ask the running daemon over its control socket and print the
 * answer: the status line "OK" or "ERR message" first, then the text.
 *
 * The whole answer is read into memory before any of it is printed: the
 * daemon then never waits on a slow terminal or a pager (it drops a reader
 * that lags past its deadline), and --watch draws each round at once.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/event.h"
#include "client.h"
#include "control.h"
#include "log.h"

#define CLIENT_TIMEOUT_S 10
#define CLIENT_ANSWER_MAX (64u << 20) /* bytes: far more than CONTROL_FLOWS_MAX lines */

/* One answer: its status line and what follows it, or why there is none. */
struct client_answer {
	char status[512];
	char *text;
	size_t len, cap;
	char error[1024];
};

/* Set by SIGINT and SIGTERM under --watch: finish the round being drawn, then stop. */
static volatile sig_atomic_t client_stop;

static void
client_stop_cb(int sig)
{
	client_stop = 1;
}

/* Write all of buf to fd, retrying short writes; a socket never raises SIGPIPE. */
static int
client_write_all(int fd, const char *buf, size_t len, int sock)
{
	ssize_t n;

	while (len > 0) {
		n = sock ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* How a request is spelled: on the control socket, or as the command that asked. */
struct client_words {
	const char *flows, *stats, *ip, *port, *state, *bytes, *json;
};

/* The request line, as control.h describes it. */
static const struct client_words client_protocol = {
    .flows = "flows",
    .stats = "stats",
    .ip = " ip=",
    .port = " port=",
    .state = " state=",
    .bytes = " sort=bytes",
    .json = " format=json",
};

/* The command being watched, for the first line of each round. */
static const struct client_words client_command = {
    .flows = "tcpstated --flows",
    .stats = "tcpstated --stats",
    .ip = " --ip ",
    .port = " --port ",
    .state = " --state ",
    .bytes = " --sort bytes",
    .json = " -o json",
};

static void
client_spell(const struct client_request *r, const struct client_words *w, char *buf, size_t cap)
{
	int len;

	len = snprintf(buf, cap, "%s", r->stats ? w->stats : w->flows);
	if (r->ip != NULL)
		len += snprintf(buf + len, cap - (size_t)len, "%s%s", w->ip, r->ip);
	if (r->port >= 0)
		len += snprintf(buf + len, cap - (size_t)len, "%s%d", w->port, r->port);
	if (r->state >= 0)
		len += snprintf(buf + len, cap - (size_t)len, "%s%s", w->state,
		                tcp_state_name((enum tcp_state)r->state));
	if (r->sort == CONTROL_SORT_BYTES)
		len += snprintf(buf + len, cap - (size_t)len, "%s", w->bytes);
	if (r->json)
		snprintf(buf + len, cap - (size_t)len, "%s", w->json);
}

/* Append n bytes to the answer's text. */
static int
client_append(struct client_answer *a, const char *p, size_t n)
{
	size_t cap;
	char *grown;

	if (a->len + n > CLIENT_ANSWER_MAX)
		return -1;
	if (a->len + n > a->cap) {
		for (cap = a->cap == 0 ? 65536 : a->cap; cap < a->len + n; cap *= 2)
			;
		if ((grown = realloc(a->text, cap)) == NULL)
			return -1;
		a->text = grown;
		a->cap = cap;
	}
	memcpy(a->text + a->len, p, n);
	a->len += n;
	return 0;
}

/* Why there is no answer, in a->error; returns -1. */
static int client_fail(struct client_answer *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
client_fail(struct client_answer *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->error, sizeof(a->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* Connect to path, or say why not in a->error. */
static int
client_connect(const char *path, struct client_answer *a)
{
	struct sockaddr_un sun;
	struct timeval tv = {CLIENT_TIMEOUT_S, 0};
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		return client_fail(a, "%s: a socket path has at most %zu characters", path,
		                   sizeof(sun.sun_path) - 1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		return client_fail(a, "socket: %s", strerror(errno));
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) == -1) {
		client_fail(a, "cannot connect to %s: %s%s", path, strerror(errno),
		            errno == ENOENT || errno == ECONNREFUSED
		                ? " (is tcpstated running? -S names another socket)"
		                : "");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Send one request line and read the whole answer into a. Returns 0 when
 * the daemon answered OK, -1 when not (why in a->error), -2 when a stop
 * signal came first.
 */
static int
client_fetch(const char *path, const char *line, struct client_answer *a)
{
	char buf[8192];
	size_t slen = 0, len;
	ssize_t n;
	char *nl;
	int fd, have_status = 0, sent_errno = 0, rc = 0;

	a->len = 0;
	a->status[0] = '\0';
	a->error[0] = '\0';
	if ((fd = client_connect(path, a)) == -1)
		return -1;
	/* A daemon that refuses says why and closes: its line is read even if sending failed. */
	if (client_write_all(fd, line, strlen(line), 1) == -1 ||
	    client_write_all(fd, "\n", 1, 1) == -1)
		sent_errno = errno;
	shutdown(fd, SHUT_WR);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR && !client_stop)
			continue;
		if (n == -1) {
			if (client_stop)
				rc = -2;
			else
				rc = client_fail(a, "%s: %s", path,
				                 errno == EAGAIN || errno == EWOULDBLOCK
				                     ? "no answer in time"
				                     : strerror(errno));
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		if (have_status) {
			if (client_append(a, buf, (size_t)n) == -1) {
				close(fd);
				return client_fail(a, "%s: the answer is too long", path);
			}
			continue;
		}
		/* The status line first; what follows it in this read is text already. */
		nl = memchr(buf, '\n', (size_t)n);
		len = nl != NULL ? (size_t)(nl - buf) : (size_t)n;
		if (len > sizeof(a->status) - 1 - slen)
			break; /* no status line of ours is that long */
		memcpy(a->status + slen, buf, len);
		slen += len;
		a->status[slen] = '\0';
		if (nl == NULL)
			continue;
		if (strncmp(a->status, "ERR ", 4) == 0) {
			close(fd);
			return client_fail(a, "%s", a->status + 4);
		}
		if (strcmp(a->status, "OK") != 0 && strncmp(a->status, "OK ", 3) != 0)
			break;
		have_status = 1;
		if (client_append(a, nl + 1, (size_t)(buf + n - (nl + 1))) == -1)
			break;
	}
	close(fd);
	if (!have_status && sent_errno != 0)
		return client_fail(a, "%s: cannot send the request: %s", path,
		                   strerror(sent_errno));
	if (!have_status)
		return client_fail(a, "%s: no answer (or not tcpstated's)", path);
	return 0;
}

/* "OK more=N": the daemon listed the first CONTROL_FLOWS_MAX; say so where scripts do not read. */
static void
client_note(const struct client_answer *a)
{
	unsigned long long more;

	if (sscanf(a->status, "OK more=%llu", &more) == 1 && more > 0)
		log_warnx("%llu more connections matched and are not shown (narrow the list "
		          "with --ip, --port or --state)",
		          more);
}

/* At most max lines of text: how many bytes that is. */
static size_t
client_lines(const char *text, size_t len, unsigned max)
{
	const char *p = text, *end = text + len, *nl;

	while (max-- > 0 && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl != NULL ? nl + 1 : end;
	}
	return (size_t)(p - text);
}

/*
 * One round of --watch on a terminal, as watch(1) draws it: clear, a title
 * line with the interval, the command and the time, then as much of the
 * answer as the screen holds, or why there is none (escaped as the
 * diagnostics are: it may quote what the socket said).
 */
static void
client_draw(const struct client_request *r, const struct client_answer *a, int ok)
{
	char title[512], head[640], when[64], why[4 * sizeof(a->error)];
	struct winsize ws;
	unsigned rows = 0, cols = 80;
	time_t now = time(NULL);
	struct tm tm;
	int len, pad;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	client_spell(r, &client_command, title, sizeof(title));
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		when[0] = '\0';
	len = snprintf(head, sizeof(head), "\033[H\033[2JEvery %u.%us: %s", r->watch_ms / 1000,
	               r->watch_ms / 100 % 10, title);
	pad = (int)cols - (len - 7) - (int)strlen(when); /* 7: the escape sequences */
	len += snprintf(head + len, sizeof(head) - (size_t)len, "%*s%s\n\n", pad > 1 ? pad : 1, "",
	                when);
	if (client_write_all(STDOUT_FILENO, head, (size_t)len, 0) == -1)
		return;
	if (!ok) {
		log_escape(why, sizeof(why), a->error);
		if (client_write_all(STDOUT_FILENO, "tcpstated: ", 11, 0) == 0 &&
		    client_write_all(STDOUT_FILENO, why, strlen(why), 0) == 0)
			client_write_all(STDOUT_FILENO, "\n", 1, 0);
		return;
	}
	client_write_all(STDOUT_FILENO, a->text,
	                 rows > 2 ? client_lines(a->text, a->len, rows - 2) : a->len, 0);
}

/* --watch: ask every r->watch_ms until SIGINT or SIGTERM. */
static int
client_watch(const char *path, const char *line, const struct client_request *r)
{
	struct sigaction sa;
	struct client_answer a;
	struct timespec ts;
	int tty = isatty(STDOUT_FILENO), rc, round;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = client_stop_cb; /* no SA_RESTART: the wait and the read end at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	memset(&a, 0, sizeof(a));
	for (round = 0; !client_stop; round++) {
		rc = client_fetch(path, line, &a);
		if (rc == -2 || client_stop)
			break;
		if (tty)
			client_draw(r, &a, rc == 0);
		else if (rc != 0)
			log_warnx("%s", a.error);
		else {
			/* Plain repeated output: text rounds apart by an empty line, JSON as is. */
			if (round > 0 && !r->json)
				client_write_all(STDOUT_FILENO, "\n", 1, 0);
			if (client_write_all(STDOUT_FILENO, a.text, a.len, 0) == -1)
				break;
		}
		if (rc == 0)
			client_note(&a);
		ts.tv_sec = (time_t)(r->watch_ms / 1000u);
		ts.tv_nsec = (long)(r->watch_ms % 1000u) * 1000000L;
		while (!client_stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	free(a.text);
	return 0;
}

int
client_run(const char *path, const struct client_request *r)
{
	char line[CONTROL_REQUEST_MAX];
	struct client_answer a;
	int rc;

	client_spell(r, &client_protocol, line, sizeof(line));
	if (r->watch_ms > 0)
		return client_watch(path, line, r);
	memset(&a, 0, sizeof(a));
	rc = client_fetch(path, line, &a) == 0 ? 0 : 1;
	if (rc != 0)
		log_warnx("%s", a.error);
	else if (client_write_all(STDOUT_FILENO, a.text, a.len, 0) == 0)
		client_note(&a);
	free(a.text);
	return rc;
}
