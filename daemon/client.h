/*
 * client.h - the client side of the control socket: `tcpstated --flows`
 * and `tcpstated --stats` connect, ask, print the answer on standard output
 * and exit. No configuration is read and no privilege is needed beyond
 * being let in: root, or the daemon's own user.
 */
#ifndef TCPSTATED_CLIENT_H
#define TCPSTATED_CLIENT_H

/*
 * Send request (one line, without its newline) to the daemon listening on
 * path and print its answer. Returns the exit status: 0 when answered, 1
 * when the daemon cannot be reached or refuses (said on standard error, one
 * line).
 */
int client_run(const char *path, const char *request);

#endif
