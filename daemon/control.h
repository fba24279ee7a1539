/*
 * control.h - the control socket: a live view of what the daemon sees, for
 * `tcpstated --flows` and `tcpstated --stats` (client.c).
 *
 * An AF_UNIX stream socket, mode 0600, in the runtime directory. The
 * control owns the listening socket and its connections, all served from the
 * event loop without ever blocking it: one request line per connection, one
 * bounded answer, then the connection is closed. A peer whose uid
 * (SO_PEERCRED) is neither 0 nor the daemon's own gets a one-line refusal.
 *
 * One local user cannot lock the live view out: a uid other than root holds
 * at most CONTROL_UID_MAX connections, and CONTROL_ROOT_SLOTS of the
 * CONTROL_CLIENTS_MAX are root's alone; a connection must send its request
 * within CONTROL_REQUEST_MS and read its answer within CONTROL_ANSWER_S, or
 * it is dropped (and counted: `--stats` shows it).
 *
 * The protocol: the client sends one line,
 *   "flows [ip=NET] [port=P] [state=S] [sort=age|bytes] [format=json|text]"
 * or "stats [format=json|text]"; the daemon answers "OK\n" (or
 * "OK more=N\n" when N more connections matched than one answer lists) and
 * the text to print, or "ERR message\n".
 */
#ifndef TCPSTATED_CONTROL_H
#define TCPSTATED_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/tracker.h"
#include "insight.h"

#define CONTROL_NAME "control"
#define CONTROL_DIR_DEFAULT "/run/tcpstated"
#define CONTROL_REQUEST_MAX 256 /* bytes of a request line */
#define CONTROL_FLOWS_MAX 50000 /* connections listed at most in one answer */
#define CONTROL_CLIENTS_MAX 8   /* connections served at once */
#define CONTROL_UID_MAX 2       /* of them held by one uid other than root */
#define CONTROL_ROOT_SLOTS 2    /* of them only root may take */
#define CONTROL_REQUEST_MS 2000 /* from accept to the whole request line */
#define CONTROL_ANSWER_S 10     /* from the request to the whole answer read */

/* The order of --flows. */
enum control_sort {
	CONTROL_SORT_AGE = 0, /* the oldest connection first */
	CONTROL_SORT_BYTES    /* the most bytes (both ways) first */
};

/* An address or a network to match either end of a connection with (--ip). */
struct control_net {
	uint8_t family; /* 4 or 6; 0 in a request without --ip: any */
	uint8_t prefix; /* bits that must match: 0..32 or 0..128 */
	uint8_t addr[16];
};

struct event_base;
struct control;

/*
 * The counters for an answer: fill *in (with the endpoints walked when
 * endpoints is set) and return; the pointers in it must stay valid until the
 * callback is called again.
 */
typedef void control_insight_cb(struct insight *in, int endpoints, void *arg);

/*
 * Visit every tracked flow at now_us, as tracker_foreach() does: the daemon
 * knows whether its table is one tracker or several shards.
 */
typedef void control_walk_cb(uint64_t now_us, tracker_visit_cb *visit, void *visit_arg, void *arg);

/*
 * The socket's path when -S does not say: $RUNTIME_DIRECTORY (its first
 * entry) + "/control", else /run/tcpstated/control. Returns -1 when it does
 * not fit in cap.
 */
int control_default_path(char *buf, size_t cap);

/* "CLOSE_WAIT", "close_wait" or "close-wait" to an enum tcp_state; -1 when unknown. */
int control_parse_state(const char *name);

/*
 * "192.0.2.7", "10.0.0.0/8", "2001:db8::1" or "2001:db8::/32" to a network
 * (bits past the prefix are ignored). Returns -1 when it is none of these.
 */
int control_parse_net(const char *s, struct control_net *net);

/* "age" or "bytes" to an enum control_sort; -1 when unknown. */
int control_parse_sort(const char *name);

/*
 * Listen on path (a stale socket left there is replaced; a live one is an
 * error). The directory is created (0755; the socket is 0600) when missing.
 * Started as root with user set, the directory and the socket are given to
 * that user.
 * Returns NULL with a one-line reason in err.
 */
struct control *control_open(struct event_base *base, const char *path, const char *user,
                             control_walk_cb *walk, control_insight_cb *cb, void *arg, char *err,
                             size_t errlen);

/* Stop listening, end the connections, remove the socket. */
void control_close(struct control *c);

#endif
