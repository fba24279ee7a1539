/*
 * privs.c - giving up what capture no longer needs.
 *
 * The capability calls go straight to the capget/capset system calls with
 * the kernel's own <linux/capability.h>: two 32-bit words per set, nothing
 * that would justify a libcap dependency.
 *
 * Why a root start without daemon.user keeps uid 0: the outputs were opened
 * as root and must be reopened on SIGHUP; an invented uid could not. What
 * makes root dangerous is its capabilities, and those go: without
 * CAP_DAC_OVERRIDE, CAP_CHOWN, CAP_SYS_ADMIN, CAP_KILL ... uid 0 can touch
 * only files it owns, and with the bounding set reduced to CAP_NET_RAW and
 * no_new_privs even an exec could not get them back.
 */
#define _GNU_SOURCE /* setresuid, getresuid */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

#define PRIVS_KEEP (UINT64_C(1) << CAP_NET_RAW)

struct privs_caps {
	uint64_t effective, permitted, inheritable;
};

static int
privs_capget(struct privs_caps *c)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &hdr, d) == -1)
		return -1;
	c->effective = (uint64_t)d[1].effective << 32 | d[0].effective;
	c->permitted = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	c->inheritable = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

static int
privs_capset(const struct privs_caps *c)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	d[0].effective = (uint32_t)c->effective;
	d[1].effective = (uint32_t)(c->effective >> 32);
	d[0].permitted = (uint32_t)c->permitted;
	d[1].permitted = (uint32_t)(c->permitted >> 32);
	d[0].inheritable = (uint32_t)c->inheritable;
	d[1].inheritable = (uint32_t)(c->inheritable >> 32);
	return (int)syscall(SYS_capset, &hdr, d);
}

/*
 * Reduce the bounding set to CAP_NET_RAW. Needs CAP_SETPCAP, so only a root
 * start can; an unprivileged start inherits systemd's (already reduced) set.
 */
static int
privs_bounding(char *err, size_t errlen)
{
	int cap, r;

	for (cap = 0; cap < 64; cap++) {
		if (cap == CAP_NET_RAW)
			continue;
		r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r == -1 && errno == EINVAL)
			break; /* past the kernel's last capability */
		if (r != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			/*
			 * uid 0 without CAP_SETPCAP (some containers): the bounding
			 * set only matters across exec, which tcpstated never does
			 * and no_new_privs covers; the permitted set still goes.
			 */
			if (errno == EPERM) {
				log_debug("bounding set left as it is: no CAP_SETPCAP");
				return 0;
			}
			snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s",
			    cap, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Become pw's uid and groups, keeping the permitted capabilities across. */
static int
privs_setuser(const struct passwd *pw, char *err, size_t errlen)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1) {
		snprintf(err, errlen, "initgroups(%s): %s", pw->pw_name, strerror(errno));
		return -1;
	}
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1) {
		snprintf(err, errlen, "setresgid(%u): %s", (unsigned)pw->pw_gid, strerror(errno));
		return -1;
	}
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "setresuid(%u): %s", (unsigned)pw->pw_uid, strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Check that what privs_drop() promised holds. */
static int
privs_verify(const struct passwd *pw, char *err, size_t errlen)
{
	struct privs_caps c;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (privs_capget(&c) == -1) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	if ((c.permitted | c.effective | c.inheritable) & ~PRIVS_KEEP) {
		snprintf(err, errlen, "capabilities still held after the drop (permitted %#llx)",
		    (unsigned long long)c.permitted);
		return -1;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(err, errlen, "no_new_privs is not set");
		return -1;
	}
	if (pw == NULL)
		return 0;
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid || rg != pw->pw_gid ||
	    eg != pw->pw_gid || sg != pw->pw_gid) {
		snprintf(err, errlen, "still not running as %s after the switch", pw->pw_name);
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "could become root again after switching to %s",
		    pw->pw_name);
		return -1;
	}
	return 0;
}

int
privs_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	struct privs_caps c;

	if (user != NULL && *user != '\0') {
		if (geteuid() != 0)
			log_debug("not started as root: daemon.user %s ignored", user);
		else if ((pw = getpwnam(user)) == NULL) {
			snprintf(err, errlen, "daemon.user: no such user \"%s\"", user);
			return -1;
		}
	}
	if (geteuid() == 0 && privs_bounding(err, errlen) == -1)
		return -1;
	if (pw != NULL && privs_setuser(pw, err, errlen) == -1)
		return -1;
	if (privs_capget(&c) == -1) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	c.permitted &= PRIVS_KEEP;
	c.effective = c.permitted;
	c.inheritable = 0;
	if (privs_capset(&c) == -1) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 && errno != EINVAL) {
		snprintf(err, errlen, "cannot clear ambient capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	return privs_verify(pw, err, errlen);
}

/* Look up user for a chown; 0 with *pw NULL when there is nothing to do. */
static int
privs_owner(const char *user, struct passwd **pw, char *err, size_t errlen)
{
	*pw = NULL;
	if (user == NULL || *user == '\0' || geteuid() != 0)
		return 0;
	*pw = getpwnam(user);
	if (*pw == NULL) {
		snprintf(err, errlen, "daemon.user: no such user \"%s\"", user);
		return -1;
	}
	return 0;
}

int
privs_logdir(const char *path, const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	char dir[4096];
	char *slash, *p, c;
	struct stat st;

	if (privs_owner(user, &pw, err, errlen) == -1)
		return -1;
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0; /* the current or the root directory */
	*slash = '\0';
	if (stat(dir, &st) == 0)
		return 0;
	/* Create each missing component, parents first. */
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0750) == 0) {
			log_info("created log directory %s", dir);
			if (pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) == -1) {
				snprintf(err, errlen, "chown %s: %s", dir, strerror(errno));
				return -1;
			}
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "cannot create log directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int
privs_chown_file(const char *path, const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	struct stat st;
	int fd;

	if (privs_owner(user, &pw, err, errlen) == -1)
		return -1;
	if (pw == NULL)
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0; /* not created (yet): the output will create it as the user */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    fchown(fd, pw->pw_uid, pw->pw_gid) == -1) {
		snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
