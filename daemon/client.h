/*
 * client.h - the client side of the control socket: `tcpstated --flows`
 * and `tcpstated --stats` connect, ask, print the answer on standard output
 * and exit; with --watch, ask again every interval until SIGINT. No
 * configuration is read and no privilege is needed beyond being let in:
 * root, or the daemon's own user.
 */
#ifndef TCPSTATED_CLIENT_H
#define TCPSTATED_CLIENT_H

/* What the command line asks the daemon. */
struct client_request {
	int stats;         /* --stats; else --flows */
	int json;          /* -o json: one JSON object per line */
	const char *ip;    /* --ip: an address or network (checked by control_parse_net) */
	int port;          /* --port, or -1 */
	int state;         /* --state (enum tcp_state), or -1 */
	int sort;          /* --sort: enum control_sort */
	unsigned watch_ms; /* --watch: ask again this often; 0: once */
};

/*
 * Ask the daemon listening on path and print its answer. Returns the exit
 * status: 0 when answered (or, with --watch, when stopped by SIGINT or
 * SIGTERM), 1 when the daemon cannot be reached or refuses (said on standard
 * error, one line).
 */
int client_run(const char *path, const struct client_request *r);

#endif
