/*
 * fallback.c: the fallback drop directory (agentvis-events(7)).
 *
 * hookcli writes here only when collectord cannot be reached, so this is
 * the rare path and may afford fsync: an event parked here was promised
 * to the hook as delivered. The temp name starts with '.', which readers
 * skip; rename(2) then publishes the whole file at once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fallback.h"
#include "timefmt.h"
#include "uuidstr.h"
#include "xmalloc.h"

/* Write all of buf to fd, retrying short writes. 0 or -1. */
static int
fallback_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write data atomically into dir as a new fallback file. */
int
fallback_write(const char *dir, const char *data, size_t len, char **cause)
{
	char	 id[UUIDSTR_LEN], tmp[PATH_MAX], dst[PATH_MAX];
	int	 fd, dfd, n;

	uuidstr_v4(id);
	n = snprintf(tmp, sizeof tmp, "%s/.tmp-%s", dir, id);
	if (n < 0 || (size_t)n >= sizeof tmp ||
	    (n = snprintf(dst, sizeof dst, "%s/%lld-%ld-%s%s", dir,
	    (long long)ts_now_ms(), (long)getpid(), id, FALLBACK_SUFFIX)) < 0 ||
	    (size_t)n >= sizeof dst) {
		*cause = xasprintf("%s: path too long", dir);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* The umask must not widen or narrow what collectord expects. */
	if (fchmod(fd, 0640) == -1 || fallback_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, dst) == -1) {
		*cause = xasprintf("%s: %s", dst, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* Make the rename itself durable; failing here loses nothing yet. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* 1 if name is a finished fallback file. */
int
fallback_is_ready(const char *name)
{
	size_t	len = strlen(name), slen = sizeof FALLBACK_SUFFIX - 1;

	/* Temp files and anything hidden start with '.'. */
	if (name[0] == '.' || strchr(name, '/') != NULL || len <= slen)
		return 0;
	return strcmp(name + len - slen, FALLBACK_SUFFIX) == 0;
}
