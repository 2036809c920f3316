/*
 * daemon.c: detaching, pid files and systemd readiness, shared by
 * collectord and gatewayd.
 *
 * sd_notify is a datagram to $NOTIFY_SOCKET; it is simple enough that
 * linking libsystemd for it would cost more than it saves.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "xmalloc.h"

/* Send a state line to $NOTIFY_SOCKET if set. */
int
sdnotify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 slen;
	size_t			 plen;
	ssize_t			 n;
	int			 fd;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof sun.sun_path) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	/* '@' names a socket in the abstract namespace: a leading NUL, no terminator. */
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '@' ? 0 : 1));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, slen);
	close(fd);
	return n == -1 ? -1 : 0;
}

/* Fork into the background, setsid, chdir /, stdio to /dev/null. */
int
daemon_detach(char **cause)
{
	pid_t	pid;
	int	fd;

	switch ((pid = fork())) {
	case -1:
		*cause = xasprintf("fork: %s", strerror(errno));
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1) {
		*cause = xasprintf("setsid: %s", strerror(errno));
		return -1;
	}
	if (chdir("/") == -1) {
		*cause = xasprintf("chdir /: %s", strerror(errno));
		return -1;
	}
	if ((fd = open("/dev/null", O_RDWR)) == -1) {
		*cause = xasprintf("/dev/null: %s", strerror(errno));
		return -1;
	}
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		*cause = xasprintf("dup2: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/* Create the pid file, refusing when a live process holds its lock. */
int
pidfile_create(const char *path, char **cause)
{
	struct flock	 fl;
	char		 buf[32];
	int		 fd, n;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	/*
	 * The lock, not the pid written in the file, says whether the owner
	 * is alive: it goes away with the process however it dies, and a
	 * recycled pid cannot fool it.
	 */
	if (fcntl(fd, F_SETLK, &fl) == -1) {
		if (errno == EACCES || errno == EAGAIN) {
			n = (int)read(fd, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			*cause = xasprintf("%s: held by running process %s", path,
			    buf[0] != '\0' ? buf : "(unknown)");
		} else
			*cause = xasprintf("%s: lock: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Remove the pid file at exit. */
void
pidfile_remove(const char *path)
{
	if (path != NULL)
		unlink(path);
}
