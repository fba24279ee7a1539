/*
 * client.c - ask the running daemon over its control socket and print the
 * answer: the status line "OK" or "ERR message" first, then the text.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"

#define CLIENT_TIMEOUT_S 10

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

int
client_run(const char *path, const char *request)
{
	struct sockaddr_un sun;
	struct timeval tv = { CLIENT_TIMEOUT_S, 0 };
	char buf[8192], status[512];
	size_t slen = 0, len;
	ssize_t n;
	char *nl;
	int fd, have_status = 0, sent_errno = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: a socket path has at most %zu characters", path,
		    sizeof(sun.sun_path) - 1);
		return 1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warnx("cannot connect to %s: %s%s", path, strerror(errno),
		    errno == ENOENT || errno == ECONNREFUSED ?
		    " (is tcpstated running? -S names another socket)" : "");
		close(fd);
		return 1;
	}
	/* A daemon that refuses says why and closes: its line is read even if sending failed. */
	if (client_write_all(fd, request, strlen(request), 1) == -1 ||
	    client_write_all(fd, "\n", 1, 1) == -1)
		sent_errno = errno;
	shutdown(fd, SHUT_WR);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warnx("%s: %s", path, errno == EAGAIN || errno == EWOULDBLOCK ?
			    "no answer in time" : strerror(errno));
			close(fd);
			return 1;
		}
		if (n == 0)
			break;
		if (have_status) {
			if (client_write_all(STDOUT_FILENO, buf, (size_t)n, 0) == -1)
				break;
			continue;
		}
		/* The status line first; what follows it in this read is text already. */
		nl = memchr(buf, '\n', (size_t)n);
		len = nl != NULL ? (size_t)(nl - buf) : (size_t)n;
		if (len > sizeof(status) - 1 - slen)
			break; /* no status line of ours is that long */
		memcpy(status + slen, buf, len);
		slen += len;
		status[slen] = '\0';
		if (nl == NULL)
			continue;
		if (strncmp(status, "ERR ", 4) == 0) {
			log_warnx("%s", status + 4);
			close(fd);
			return 1;
		}
		if (strcmp(status, "OK") != 0)
			break;
		have_status = 1;
		if (client_write_all(STDOUT_FILENO, nl + 1, (size_t)(buf + n - (nl + 1)), 0) == -1)
			break;
	}
	close(fd);
	if (!have_status && sent_errno != 0) {
		log_warnx("%s: cannot send the request: %s", path, strerror(sent_errno));
		return 1;
	}
	if (!have_status) {
		log_warnx("%s: no answer (or not tcpstated's)", path);
		return 1;
	}
	return 0;
}
