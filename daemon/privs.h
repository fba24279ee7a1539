/*
 * privs.h - giving up what capture no longer needs.
 *
 * Capture needs CAP_NET_RAW and nothing else, also later, to reopen the
 * interface after it went away or the filter changed on SIGHUP. Everything
 * else a root start brings is dropped once the capture and the outputs are
 * open, and the result is verified.
 */
#ifndef TCPSTATED_PRIVS_H
#define TCPSTATED_PRIVS_H

#include <stddef.h>

/*
 * Drop privileges. Started as root with user set: switch to that user and
 * its groups keeping only CAP_NET_RAW. Started as root without a user: stay
 * uid 0 but keep only CAP_NET_RAW (permitted, effective and bounding set).
 * Started unprivileged (systemd User= with AmbientCapabilities=CAP_NET_RAW):
 * reduce to CAP_NET_RAW. Always: no ambient capabilities, no_new_privs.
 * Returns -1 with a reason in err if a step or the final check failed.
 */
int privs_drop(const char *user, char *err, size_t errlen);

/*
 * Create the directory that will hold path (mkdir -p, mode 0750) when it is
 * missing, and give what was created to user (if set and running as root),
 * so that rotation keeps working after the drop. Returns -1 with err.
 */
int privs_logdir(const char *path, const char *user, char *err, size_t errlen);

/*
 * Give the log file at path, opened by root, to user so that it can be
 * reopened after SIGHUP. Symbolic links and files owned by others are left
 * alone. Returns -1 with err on failure.
 */
int privs_chown_file(const char *path, const char *user, char *err, size_t errlen);

#endif
