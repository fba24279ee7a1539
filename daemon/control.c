/*
 * control.c - the control socket: accept on the event loop, check who is
 * asking, read one request line, answer with the live list of connections
 * or the counters, close. See control.h for the protocol.
 *
 * Nothing here blocks: the listening socket and every connection are
 * non-blocking, answers go out through a bufferevent as the peer reads them,
 * and a peer that neither asks nor reads within CONTROL_TIMEOUT_S is
 * dropped. Memory is bounded: at most CONTROL_CLIENTS_MAX answers in
 * progress, a request line of CONTROL_REQUEST_MAX bytes, and at most
 * CONTROL_FLOWS_MAX connections in one answer (the rest is counted).
 */
#define _GNU_SOURCE /* struct ucred (SO_PEERCRED), accept4 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/format.h"
#include "control.h"
#include "log.h"

#define CONTROL_TIMEOUT_S 10
#define CONTROL_ACCEPT_BATCH 16

struct control_conn {
	struct control *ctl;
	struct bufferevent *bev;
	struct control_conn *prev, *next;
	int answered;
};

struct control {
	struct event_base *base;
	int fd;
	struct event *ev;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct tracker *t;
	control_insight_cb *cb;
	void *arg;
	struct control_conn *conns;
	int nconns;
};

/* A flows request: what to list. */
struct control_flows {
	struct evbuffer *out;
	int port;         /* -1: any */
	int state;        /* -1: any */
	uint32_t listed;
	uint32_t more;
};

int
control_default_path(char *buf, size_t cap)
{
	const char *rd = getenv("RUNTIME_DIRECTORY");
	size_t n;
	int len;

	if (rd != NULL && rd[0] == '/') {
		n = strcspn(rd, ":"); /* systemd lists several directories separated by ':' */
		len = snprintf(buf, cap, "%.*s/%s", (int)n, rd, CONTROL_NAME);
	} else
		len = snprintf(buf, cap, "%s/%s", CONTROL_DIR_DEFAULT, CONTROL_NAME);
	return len < 0 || (size_t)len >= cap ? -1 : 0;
}

/* "CLOSE_WAIT", "close_wait" or "close-wait" to a state; -1 when unknown. */
int
control_parse_state(const char *name)
{
	char up[32];
	size_t i;
	int s;

	for (i = 0; name[i] != '\0' && i + 1 < sizeof(up); i++)
		up[i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	if (name[i] != '\0')
		return -1;
	up[i] = '\0';
	for (s = 0; s < ST_NSTATES; s++)
		if (strcmp(up, tcp_state_name((enum tcp_state)s)) == 0)
			return s;
	return -1;
}

static void
control_conn_free(struct control_conn *cc)
{
	struct control *c = cc->ctl;

	if (cc->prev != NULL)
		cc->prev->next = cc->next;
	else
		c->conns = cc->next;
	if (cc->next != NULL)
		cc->next->prev = cc->prev;
	c->nconns--;
	bufferevent_free(cc->bev);
	free(cc);
}

/* "192.0.2.1:80" or "[2001:db8::1]:80". */
static void
control_endpoint(char *buf, size_t cap, uint8_t family, const uint8_t *ip, uint16_t port)
{
	char a[64];

	if (format_ip(family, ip, a, sizeof(a)) == 0)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, cap, family == 6 ? "[%s]:%u" : "%s:%u", a, port);
}

static int
control_flows_visit_cb(const struct event *snap, void *arg)
{
	struct control_flows *q = arg;
	char client[64], server[64], flow[16];
	int closed = snap->type == TEV_CLOSED;

	/* Reported closed and remembered: shown only while an endpoint is in TIME_WAIT, as ss does. */
	if (closed && snap->client_state != ST_TIME_WAIT && snap->server_state != ST_TIME_WAIT)
		return 0;
	if (q->port >= 0 && snap->client_port != q->port && snap->server_port != q->port)
		return 0;
	if (q->state >= 0 && (int)snap->client_state != q->state && (int)snap->server_state != q->state)
		return 0;
	if (q->listed >= CONTROL_FLOWS_MAX) {
		q->more++;
		return 0;
	}
	q->listed++;
	control_endpoint(client, sizeof(client), snap->family, snap->client_ip, snap->client_port);
	control_endpoint(server, sizeof(server), snap->family, snap->server_ip, snap->server_port);
	format_flow_id(snap->flow_id, flow, sizeof(flow));
	evbuffer_add_printf(q->out, "%-21s %-21s %-12s %-12s %9.1fs %10" PRIu64 " %10" PRIu64
	    " %8" PRIu64 " %8" PRIu64 " %s%s\n", client, server, tcp_state_name(snap->client_state),
	    tcp_state_name(snap->server_state), (double)snap->duration_us / 1e6, snap->client.bytes,
	    snap->server.bytes, snap->client.pkts, snap->server.pkts, flow,
	    closed ? " closed" : "");
	return 0;
}

/* "flows [port=P] [state=S]": the arguments after the word. Returns -1 with an error line. */
static int
control_parse_flows(char *args, struct control_flows *q, struct evbuffer *out)
{
	char *tok, *save = NULL, *end;
	unsigned long v;

	q->port = -1;
	q->state = -1;
	for (tok = strtok_r(args, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		if (strncmp(tok, "port=", 5) == 0) {
			errno = 0;
			v = strtoul(tok + 5, &end, 10);
			if (tok[5] == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 65535) {
				evbuffer_add_printf(out, "ERR bad port \"%.16s\" (1..65535)\n", tok + 5);
				return -1;
			}
			q->port = (int)v;
		} else if (strncmp(tok, "state=", 6) == 0) {
			if ((q->state = control_parse_state(tok + 6)) < 0) {
				evbuffer_add_printf(out, "ERR unknown state \"%.16s\"\n", tok + 6);
				return -1;
			}
		} else {
			evbuffer_add_printf(out, "ERR unknown argument \"%.32s\" (port=P, state=S)\n", tok);
			return -1;
		}
	}
	return 0;
}

/* Answer one request line into out. */
static void
control_answer(struct control *c, char *line, struct evbuffer *out)
{
	struct control_flows q;
	struct insight in;

	if (strcmp(line, "stats") == 0) {
		c->cb(&in, 1, c->arg);
		evbuffer_add_printf(out, "OK\n");
		insight_text(&in, out);
		return;
	}
	if (strncmp(line, "flows", 5) == 0 && (line[5] == '\0' || line[5] == ' ')) {
		memset(&q, 0, sizeof(q));
		q.out = out;
		if (control_parse_flows(line + 5, &q, out) == -1)
			return;
		c->cb(&in, 0, c->arg);
		evbuffer_add_printf(out, "OK\n%-21s %-21s %-12s %-12s %10s %10s %10s %8s %8s %s\n",
		    "CLIENT", "SERVER", "CLIENT_STATE", "SERVER_STATE", "AGE", "C_BYTES", "S_BYTES",
		    "C_PKTS", "S_PKTS", "FLOW");
		tracker_foreach(c->t, in.now_us, control_flows_visit_cb, &q);
		if (q.more > 0)
			evbuffer_add_printf(out, "... %" PRIu32 " more not shown (narrow the list with "
			    "--port or --state)\n", q.more);
		return;
	}
	evbuffer_add_printf(out, "ERR unknown request \"%.32s\" (flows or stats)\n", line);
}

static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	if (cc->answered)
		return;
	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) <= CONTROL_REQUEST_MAX)
			return; /* the rest of the line is on its way */
		evbuffer_add_printf(bufferevent_get_output(bev), "ERR request too long\n");
	} else if (n > CONTROL_REQUEST_MAX || strlen(line) != n) {
		evbuffer_add_printf(bufferevent_get_output(bev), "ERR bad request\n");
	} else {
		control_answer(cc->ctl, line, bufferevent_get_output(bev));
	}
	free(line);
	cc->answered = 1;
	bufferevent_disable(bev, EV_READ);
}

/* All of the answer went out: done. */
static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn *cc = arg;

	if (cc->answered && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		control_conn_free(cc);
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn *cc = arg;

	/* The client shut down its side after asking: the answer still goes out. */
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) && cc->answered)
		return;
	control_conn_free(cc);
}

/* Say no on a connection that will not be served; never waits. */
static void
control_refuse(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
control_refuse(int fd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!send(fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void
control_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	struct control_conn *cc;
	struct timeval tv = { CONTROL_TIMEOUT_S, 0 };
	struct ucred cred;
	socklen_t len;
	int cfd, i;

	for (i = 0; i < CONTROL_ACCEPT_BATCH; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("control socket: accept");
			return;
		}
		len = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
			control_refuse(cfd, "ERR cannot tell who is asking\n");
			continue;
		}
		if (cred.uid != 0 && cred.uid != geteuid()) {
			control_refuse(cfd, "ERR permission denied: uid %u is not root nor "
			    "tcpstated's user (uid %u)\n", (unsigned)cred.uid, (unsigned)geteuid());
			continue;
		}
		if (c->nconns >= CONTROL_CLIENTS_MAX) {
			control_refuse(cfd, "ERR busy: %d requests in progress, try again\n",
			    c->nconns);
			continue;
		}
		if ((cc = calloc(1, sizeof(*cc))) == NULL ||
		    (cc->bev = bufferevent_socket_new(c->base, cfd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			free(cc);
			control_refuse(cfd, "ERR out of memory\n");
			continue;
		}
		cc->ctl = c;
		cc->next = c->conns;
		if (c->conns != NULL)
			c->conns->prev = cc;
		c->conns = cc;
		c->nconns++;
		bufferevent_setcb(cc->bev, control_read_cb, control_write_cb, control_event_cb, cc);
		bufferevent_set_timeouts(cc->bev, &tv, &tv);
		bufferevent_setwatermark(cc->bev, EV_READ, 0, CONTROL_REQUEST_MAX + 2);
		bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
	}
}

/* The directory of path, created (0755 like the unit's RuntimeDirectory, given to pw) when missing. */
static int
control_mkdir(const char *path, const struct passwd *pw, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0)
		return 0;
	if (mkdir(dir, 0755) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) == -1) {
		snprintf(err, errlen, "chown %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* A socket file left at path: removed when nobody answers on it, else an error. */
static int
control_stale(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd, live;

	if (lstat(sun->sun_path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", sun->sun_path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	if (live) {
		snprintf(err, errlen, "%s: another tcpstated answers there", sun->sun_path);
		return -1;
	}
	if (unlink(sun->sun_path) == -1) {
		snprintf(err, errlen, "cannot remove the stale %s: %s", sun->sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

struct control *
control_open(struct event_base *base, const char *path, const char *user,
    const struct tracker *t, control_insight_cb *cb, void *arg, char *err, size_t errlen)
{
	struct control *c;
	struct sockaddr_un sun;
	struct passwd *pw = NULL;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: an absolute path of at most %zu characters",
		    path, sizeof(sun.sun_path) - 1);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (user != NULL && user[0] != '\0' && geteuid() == 0 && (pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "daemon.user: no such user \"%s\"", user);
		return NULL;
	}
	if (control_mkdir(path, pw, err, errlen) == -1 || control_stale(&sun, err, errlen) == -1)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	c->t = t;
	c->cb = cb;
	c->arg = arg;
	memcpy(c->path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		free(c);
		return NULL;
	}
	/* Owner-only from the first moment: no window where others may connect. */
	old = umask(0177);
	if (bind(c->fd, (const struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "cannot bind %s: %s", path, strerror(errno));
		close(c->fd);
		free(c);
		return NULL;
	}
	umask(old);
	if (chmod(path, 0600) == -1 || (pw != NULL && chown(path, pw->pw_uid, pw->pw_gid) == -1) ||
	    listen(c->fd, 8) == -1 ||
	    (c->ev = event_new(base, c->fd, EV_READ | EV_PERSIST, control_accept_cb, c)) == NULL ||
	    event_add(c->ev, NULL) == -1) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    errno != 0 ? strerror(errno) : "cannot watch it");
		control_close(c);
		return NULL;
	}
	return c;
}

void
control_close(struct control *c)
{
	if (c == NULL)
		return;
	while (c->conns != NULL)
		control_conn_free(c->conns);
	if (c->ev != NULL)
		event_free(c->ev);
	close(c->fd);
	unlink(c->path);
	free(c);
}
