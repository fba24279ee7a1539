/*
 * control.c - the control socket: accept on the event loop, check who is
 * asking, read one request line, answer with the live list of connections
 * or the counters, close. See control.h for the protocol.
 *
 * Nothing here blocks: the listening socket and every connection are
 * non-blocking, answers go out through a bufferevent as the peer reads them,
 * and a peer that does not ask within CONTROL_REQUEST_MS, or does not read
 * its answer within CONTROL_ANSWER_S, is dropped. Slots are shared so that
 * no one uid but root can take them all (control.h). Memory is bounded: at
 * most CONTROL_CLIENTS_MAX answers in progress, a request line of
 * CONTROL_REQUEST_MAX bytes, and at most CONTROL_FLOWS_MAX connections in
 * one answer (the rest is counted): the first ones in the order asked for,
 * kept in a heap while the table is walked.
 */
#define _GNU_SOURCE /* struct ucred (SO_PEERCRED), accept4 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
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
#include "../lib/report.h"
#include "control.h"
#include "log.h"

#define CONTROL_ACCEPT_BATCH 16
#define CONTROL_RECORD_MAX 4096 /* one JSON line of --flows or --stats */

struct control_conn {
	struct control *ctl;
	struct bufferevent *bev;
	struct event *deadline;
	struct control_conn *prev, *next;
	uid_t uid;
	int answered;
};

struct control {
	struct event_base *base;
	int fd;
	struct event *ev;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	control_walk_cb *walk;
	control_insight_cb *cb;
	void *arg;
	struct control_conn *conns;
	int nconns;
	/* What --stats tells of the socket itself. */
	uint64_t answered; /* requests answered */
	uint64_t busy;     /* connections refused: no slot for that uid */
	uint64_t expired;  /* connections dropped at their deadline */
};

/* A flows request: what to list, and in which order. */
struct control_flows {
	struct control_net net; /* family 0: any address */
	int port;               /* -1: any */
	int state;              /* -1: any */
	int sort;               /* enum control_sort */
	int json;
	uint64_t now_us;
	/* The ones to list: a heap (the one that sorts last on top) while walking. */
	struct event *rows;
	uint32_t n, cap;
	uint64_t more; /* matched, but past CONTROL_FLOWS_MAX */
	int nomem;
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

int
control_parse_net(const char *s, struct control_net *net)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;
	char *end;
	int i, max;

	memset(net, 0, sizeof(*net));
	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, net->addr) == 1)
		net->family = 4;
	else if (inet_pton(AF_INET6, addr, net->addr) == 1)
		net->family = 6;
	else
		return -1;
	max = net->family == 4 ? 32 : 128;
	bits = (unsigned long)max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || errno != 0 || bits > (unsigned long)max)
			return -1;
	}
	net->prefix = (uint8_t)bits;
	/* Bits past the prefix are cleared: 10.1.2.3/8 means 10.0.0.0/8, as a filter should. */
	for (i = 0; i < 16; i++) {
		if (i * 8 >= (int)bits)
			net->addr[i] = 0;
		else if (i * 8 + 8 > (int)bits)
			net->addr[i] &= (uint8_t)(0xff00 >> (bits - (unsigned long)i * 8));
	}
	return 0;
}

int
control_parse_sort(const char *name)
{
	if (strcmp(name, "age") == 0)
		return CONTROL_SORT_AGE;
	if (strcmp(name, "bytes") == 0)
		return CONTROL_SORT_BYTES;
	return -1;
}

/* Is ip (of family) inside net? */
static int
control_net_match(const struct control_net *net, uint8_t family, const uint8_t *ip)
{
	unsigned full = net->prefix / 8u, rest = net->prefix % 8u;

	if (family != net->family || memcmp(ip, net->addr, full) != 0)
		return 0;
	return rest == 0 || ((ip[full] ^ net->addr[full]) & (0xff00u >> rest) & 0xffu) == 0;
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
	if (cc->deadline != NULL)
		event_free(cc->deadline);
	bufferevent_free(cc->bev);
	free(cc);
}

/* "192.0.2.1:80" or "[2001:db8::1]:80"; returns its length. */
static int
control_endpoint(char *buf, size_t cap, uint8_t family, const uint8_t *ip, uint16_t port)
{
	char a[64];
	int n;

	if (format_ip(family, ip, a, sizeof(a)) == 0)
		snprintf(a, sizeof(a), "?");
	n = snprintf(buf, cap, family == 6 ? "[%s]:%u" : "%s:%u", a, port);
	return n < 0 ? 0 : n;
}

static uint64_t
control_age_us(const struct event *e, uint64_t now_us)
{
	return now_us > e->start_us ? now_us - e->start_us : 0;
}

/* The order of the list: < 0 when a comes before b. Ties go by flow id, so the order is total. */
static int
control_cmp_age(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;

	if (a->start_us != b->start_us)
		return a->start_us < b->start_us ? -1 : 1;
	return a->flow_id < b->flow_id ? -1 : a->flow_id > b->flow_id;
}

static int
control_cmp_bytes(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;
	uint64_t ba = a->client.bytes + a->server.bytes, bb = b->client.bytes + b->server.bytes;

	if (ba != bb)
		return ba > bb ? -1 : 1;
	return control_cmp_age(pa, pb);
}

static int (*const control_cmp[])(const void *, const void *) = {
    [CONTROL_SORT_AGE] = control_cmp_age,
    [CONTROL_SORT_BYTES] = control_cmp_bytes,
};

/* Restore the heap below i: every row sorts no later than the one above it. */
static void
control_heap_down(struct control_flows *q, uint32_t i)
{
	int (*cmp)(const void *, const void *) = control_cmp[q->sort];
	struct event tmp;
	uint32_t top, l;

	for (;;) {
		top = i;
		l = 2 * i + 1;
		if (l < q->n && cmp(&q->rows[l], &q->rows[top]) > 0)
			top = l;
		if (l + 1 < q->n && cmp(&q->rows[l + 1], &q->rows[top]) > 0)
			top = l + 1;
		if (top == i)
			return;
		tmp = q->rows[i];
		q->rows[i] = q->rows[top];
		q->rows[top] = tmp;
		i = top;
	}
}

/*
 * Keep snap if it is among the first CONTROL_FLOWS_MAX in the order asked
 * for. Below the limit every row is kept; at it, the rows become a heap with
 * the one that sorts last on top, which a better row replaces.
 */
static void
control_flows_keep(struct control_flows *q, const struct event *snap)
{
	struct event *grown;
	uint32_t i, cap;

	if (q->n < CONTROL_FLOWS_MAX) {
		if (q->n == q->cap) {
			cap = q->cap == 0 ? 256 : q->cap * 2;
			if (cap > CONTROL_FLOWS_MAX)
				cap = CONTROL_FLOWS_MAX;
			if ((grown = realloc(q->rows, cap * sizeof(*grown))) == NULL) {
				q->nomem = 1;
				q->more++;
				return;
			}
			q->rows = grown;
			q->cap = cap;
		}
		q->rows[q->n++] = *snap;
		if (q->n == CONTROL_FLOWS_MAX)
			for (i = q->n / 2; i-- > 0;)
				control_heap_down(q, i);
		return;
	}
	q->more++;
	if (control_cmp[q->sort](snap, &q->rows[0]) < 0) {
		q->rows[0] = *snap;
		control_heap_down(q, 0);
	}
}

static int
control_flows_visit_cb(const struct event *snap, void *arg)
{
	struct control_flows *q = arg;
	int closed = snap->type == TEV_CLOSED;

	/* Closed and only remembered: shown while an endpoint is in TIME_WAIT, as ss does. */
	if (closed && snap->client_state != ST_TIME_WAIT && snap->server_state != ST_TIME_WAIT)
		return 0;
	if (q->net.family != 0 && !control_net_match(&q->net, snap->family, snap->client_ip) &&
	    !control_net_match(&q->net, snap->family, snap->server_ip))
		return 0;
	if (q->port >= 0 && snap->client_port != q->port && snap->server_port != q->port)
		return 0;
	if (q->state >= 0 && (int)snap->client_state != q->state &&
	    (int)snap->server_state != q->state)
		return 0;
	control_flows_keep(q, snap);
	return 0;
}

/*
 * One JSON object per connection: the record the outputs would write for it
 * now (an UPDATE for an open one, a CLOSED without a reason for one only
 * remembered), same field names, plus "age": seconds since its first packet.
 */
static void
control_flows_json(const struct control_flows *q, struct evbuffer *out)
{
	char rec[CONTROL_RECORD_MAX];
	const struct event *e;
	uint64_t age;
	size_t len;
	uint32_t i;

	for (i = 0; i < q->n; i++) {
		e = &q->rows[i];
		len = format_event(FMT_JSON, e, rec, sizeof(rec));
		if (len < 2 || rec[len - 2] != '}')
			continue; /* no format can show it (a bad address family) */
		age = control_age_us(e, q->now_us);
		evbuffer_add(out, rec, len - 2);
		evbuffer_add_printf(out, ",\"age\":%" PRIu64 ".%06" PRIu64 "}\n", age / 1000000u,
		                    age % 1000000u);
	}
}

/* The table, like ss(8): the address columns as wide as their longest entry. */
static void
control_flows_text(const struct control_flows *q, struct evbuffer *out)
{
	char client[64], server[64], flow[16], age[24];
	const struct event *e;
	int cw = (int)strlen("CLIENT"), sw = (int)strlen("SERVER"), n;
	uint32_t i;

	for (i = 0; i < q->n; i++) {
		e = &q->rows[i];
		if ((n = control_endpoint(client, sizeof(client), e->family, e->client_ip,
		                          e->client_port)) > cw)
			cw = n;
		if ((n = control_endpoint(server, sizeof(server), e->family, e->server_ip,
		                          e->server_port)) > sw)
			sw = n;
	}
	evbuffer_add_printf(out, "%-*s %-*s %-12s %-12s %7s %10s %10s %8s %8s %s\n", cw, "CLIENT",
	                    sw, "SERVER", "CLIENT_STATE", "SERVER_STATE", "AGE", "C_BYTES",
	                    "S_BYTES", "C_PKTS", "S_PKTS", "FLOW");
	for (i = 0; i < q->n; i++) {
		e = &q->rows[i];
		control_endpoint(client, sizeof(client), e->family, e->client_ip, e->client_port);
		control_endpoint(server, sizeof(server), e->family, e->server_ip, e->server_port);
		format_flow_id(e->flow_id, flow, sizeof(flow));
		format_age(control_age_us(e, q->now_us), age, sizeof(age));
		evbuffer_add_printf(out,
		                    "%-*s %-*s %-12s %-12s %7s %10" PRIu64 " %10" PRIu64
		                    " %8" PRIu64 " %8" PRIu64 " %s%s\n",
		                    cw, client, sw, server, tcp_state_name(e->client_state),
		                    tcp_state_name(e->server_state), age, e->client.bytes,
		                    e->server.bytes, e->client.pkts, e->server.pkts, flow,
		                    e->type == TEV_CLOSED ? " closed" : "");
	}
}

/* "format=json" or "format=text" (the default); 1 when it was that argument, -1 when bad. */
static int
control_parse_format(const char *tok, int *json, struct evbuffer *out)
{
	if (strncmp(tok, "format=", 7) != 0)
		return 0;
	if (strcmp(tok + 7, "json") == 0 || strcmp(tok + 7, "text") == 0) {
		*json = tok[7] == 'j';
		return 1;
	}
	evbuffer_add_printf(out, "ERR unknown format \"%.16s\" (json or text)\n", tok + 7);
	return -1;
}

/* "flows [ip=NET] [port=P] [state=S] [sort=age|bytes] [format=F]": the arguments after the word. */
static int
control_parse_flows(char *args, struct control_flows *q, struct evbuffer *out)
{
	char *tok, *save = NULL, *end;
	unsigned long v;
	int r;

	q->port = -1;
	q->state = -1;
	for (tok = strtok_r(args, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		if ((r = control_parse_format(tok, &q->json, out)) != 0) {
			if (r == -1)
				return -1;
		} else if (strncmp(tok, "ip=", 3) == 0) {
			if (control_parse_net(tok + 3, &q->net) == -1) {
				evbuffer_add_printf(out,
				                    "ERR bad address \"%.48s\" (an IPv4 or IPv6 "
				                    "address, or a network like 10.0.0.0/8)\n",
				                    tok + 3);
				return -1;
			}
		} else if (strncmp(tok, "port=", 5) == 0) {
			errno = 0;
			v = strtoul(tok + 5, &end, 10);
			if (tok[5] == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 65535) {
				evbuffer_add_printf(out, "ERR bad port \"%.16s\" (1..65535)\n",
				                    tok + 5);
				return -1;
			}
			q->port = (int)v;
		} else if (strncmp(tok, "state=", 6) == 0) {
			if ((q->state = control_parse_state(tok + 6)) < 0) {
				evbuffer_add_printf(out, "ERR unknown state \"%.16s\"\n", tok + 6);
				return -1;
			}
		} else if (strncmp(tok, "sort=", 5) == 0) {
			if ((q->sort = control_parse_sort(tok + 5)) < 0) {
				evbuffer_add_printf(
				    out, "ERR unknown order \"%.16s\" (age or bytes)\n", tok + 5);
				return -1;
			}
		} else {
			evbuffer_add_printf(out,
			                    "ERR unknown argument \"%.32s\" (ip=, port=, state=, "
			                    "sort=, format=)\n",
			                    tok);
			return -1;
		}
	}
	return 0;
}

/* "stats [format=F]". */
static void
control_stats(struct control *c, char *args, struct evbuffer *out)
{
	char rec[CONTROL_RECORD_MAX], *tok, *save = NULL;
	struct stats_record r;
	struct insight in;
	size_t len;
	int json = 0;

	for (tok = strtok_r(args, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		if (control_parse_format(tok, &json, out) == 0)
			evbuffer_add_printf(out, "ERR unknown argument \"%.32s\" (format=)\n", tok);
		if (evbuffer_get_length(out) > 0)
			return;
	}
	c->cb(&in, 1, c->arg);
	if (json) {
		/* The STATS record the outputs write, as of now. */
		insight_record(&in, &r);
		if ((len = report_format(FMT_JSON, REPORT_STATS_OF(&r), rec, sizeof(rec))) == 0) {
			evbuffer_add_printf(out, "ERR the counters do not fit a record\n");
			return;
		}
		evbuffer_add_printf(out, "OK\n");
		evbuffer_add(out, rec, len);
		return;
	}
	evbuffer_add_printf(out, "OK\n");
	insight_text(&in, out);
	evbuffer_add_printf(out,
	                    "\ncontrol socket: %" PRIu64 " answered, %" PRIu64
	                    " refused (no slot for that user), %" PRIu64
	                    " dropped at the deadline\n",
	                    c->answered, c->busy, c->expired);
}

/* "flows ...": walk the table, keep what matches in the order asked for, write it out. */
static void
control_flows(struct control *c, char *args, struct evbuffer *out)
{
	struct control_flows q;
	struct insight in;

	memset(&q, 0, sizeof(q));
	if (control_parse_flows(args, &q, out) == -1)
		return;
	c->cb(&in, 0, c->arg);
	q.now_us = in.now_us;
	c->walk(in.now_us, control_flows_visit_cb, &q, c->arg);
	if (q.n > 0)
		qsort(q.rows, q.n, sizeof(*q.rows), control_cmp[q.sort]);
	if (q.more > 0)
		evbuffer_add_printf(out, "OK more=%" PRIu64 "\n", q.more);
	else
		evbuffer_add_printf(out, "OK\n");
	if (q.json)
		control_flows_json(&q, out);
	else
		control_flows_text(&q, out);
	if (q.nomem)
		log_warnx("control socket: out of memory for --flows; the list is cut");
	free(q.rows);
}

/* Answer one request line into out. */
static void
control_answer(struct control *c, char *line, struct evbuffer *out)
{
	if (strncmp(line, "stats", 5) == 0 && (line[5] == '\0' || line[5] == ' '))
		control_stats(c, line + 5, out);
	else if (strncmp(line, "flows", 5) == 0 && (line[5] == '\0' || line[5] == ' '))
		control_flows(c, line + 5, out);
	else
		evbuffer_add_printf(out, "ERR unknown request \"%.32s\" (flows or stats)\n", line);
}

/* From the request on, the peer has CONTROL_ANSWER_S to read all of the answer. */
static void
control_arm(struct control_conn *cc, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000u), (suseconds_t)(ms % 1000u * 1000u)};

	event_add(cc->deadline, &tv);
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
	cc->ctl->answered++;
	bufferevent_disable(bev, EV_READ);
	control_arm(cc, (uint64_t)CONTROL_ANSWER_S * 1000u);
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

/* The peer did not ask, or did not read, in time: its slot goes to someone else. */
static void
control_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_conn *cc = arg;

	cc->ctl->expired++;
	control_conn_free(cc);
}

/* Say no on a connection that will not be served; never waits. */
static void control_refuse(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/*
 * May uid have one more connection? Root may take any free slot; any other
 * uid at most CONTROL_UID_MAX, and all of them together leave
 * CONTROL_ROOT_SLOTS free for root, so that root's --flows always gets in.
 * *mine is how many uid holds already.
 */
static int
control_slot_free(const struct control *c, uid_t uid, int *mine)
{
	const struct control_conn *cc;
	int others = 0;

	*mine = 0;
	for (cc = c->conns; cc != NULL; cc = cc->next) {
		*mine += cc->uid == uid;
		others += cc->uid != 0;
	}
	if (c->nconns >= CONTROL_CLIENTS_MAX)
		return 0;
	return uid == 0 ||
	       (*mine < CONTROL_UID_MAX && others < CONTROL_CLIENTS_MAX - CONTROL_ROOT_SLOTS);
}

static void
control_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	struct control_conn *cc;
	struct ucred cred;
	socklen_t len;
	int cfd, i, mine;

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
			control_refuse(cfd,
			               "ERR permission denied: uid %u is not root nor "
			               "tcpstated's user (uid %u)\n",
			               (unsigned)cred.uid, (unsigned)geteuid());
			continue;
		}
		if (!control_slot_free(c, cred.uid, &mine)) {
			c->busy++;
			if (cred.uid != 0 && mine >= CONTROL_UID_MAX)
				control_refuse(cfd,
				               "ERR busy: uid %u has %d requests in progress "
				               "already, try again\n",
				               (unsigned)cred.uid, mine);
			else
				control_refuse(cfd,
				               "ERR busy: %d requests in progress, try again\n",
				               c->nconns);
			continue;
		}
		if ((cc = calloc(1, sizeof(*cc))) == NULL ||
		    (cc->bev = bufferevent_socket_new(c->base, cfd, BEV_OPT_CLOSE_ON_FREE)) ==
		        NULL) {
			free(cc);
			control_refuse(cfd, "ERR out of memory\n");
			continue;
		}
		cc->ctl = c;
		cc->uid = cred.uid;
		cc->next = c->conns;
		if (c->conns != NULL)
			c->conns->prev = cc;
		c->conns = cc;
		c->nconns++;
		if ((cc->deadline = evtimer_new(c->base, control_deadline_cb, cc)) == NULL) {
			control_conn_free(cc); /* closes cfd */
			continue;
		}
		control_arm(cc, CONTROL_REQUEST_MS);
		bufferevent_setcb(cc->bev, control_read_cb, control_write_cb, control_event_cb, cc);
		bufferevent_setwatermark(cc->bev, EV_READ, 0, CONTROL_REQUEST_MAX + 2);
		bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
	}
}

/* The directory of path, created (0755 like the unit's RuntimeDirectory, given to pw) when missing.
 */
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
		snprintf(err, errlen, "cannot remove the stale %s: %s", sun->sun_path,
		         strerror(errno));
		return -1;
	}
	return 0;
}

struct control *
control_open(struct event_base *base, const char *path, const char *user, control_walk_cb *walk,
             control_insight_cb *cb, void *arg, char *err, size_t errlen)
{
	struct control *c;
	struct sockaddr_un sun;
	struct passwd *pw = NULL;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen,
		         "control socket %s: an absolute path of at most %zu characters", path,
		         sizeof(sun.sun_path) - 1);
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
	c->walk = walk;
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
