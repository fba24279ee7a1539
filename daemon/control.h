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
 * The protocol: the client sends one line, "flows [port=P] [state=S]" or
 * "stats"; the daemon answers "OK\n" and the text to print, or
 * "ERR message\n".
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
#define CONTROL_CLIENTS_MAX 4   /* answers in progress at once */

struct event_base;
struct control;

/*
 * The counters for an answer: fill *in (with the endpoints walked when
 * endpoints is set) and return; the pointers in it must stay valid until the
 * callback is called again.
 */
typedef void control_insight_cb(struct insight *in, int endpoints, void *arg);

/*
 * The socket's path when -S does not say: $RUNTIME_DIRECTORY (its first
 * entry) + "/control", else /run/tcpstated/control. Returns -1 when it does
 * not fit in cap.
 */
int control_default_path(char *buf, size_t cap);

/* "CLOSE_WAIT", "close_wait" or "close-wait" to an enum tcp_state; -1 when unknown. */
int control_parse_state(const char *name);

/*
 * Listen on path (a stale socket left there is replaced; a live one is an
 * error). The directory is created (0755; the socket is 0600) when missing.
 * Started as root with user set, the directory and the socket are given to
 * that user.
 * Returns NULL with a one-line reason in err.
 */
struct control *control_open(struct event_base *base, const char *path, const char *user,
    const struct tracker *t, control_insight_cb *cb, void *arg, char *err, size_t errlen);

/* Stop listening, end the connections, remove the socket. */
void control_close(struct control *c);

#endif
