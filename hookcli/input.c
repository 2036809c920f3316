/*
 * input.c: read stdin (or a file) to its end, bounded in size and in time.
 *
 * A hook runs with whatever stdin its parent gave it: a pipe that is
 * closed at once, a pipe that is never closed, a terminal. poll(2) before
 * each read(2) keeps the wait within the run's deadline without putting
 * the descriptor in non-blocking mode, which would change it for every
 * other process sharing the open file (the agent, the terminal).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "hookcli.h"
#include "timefmt.h"
#include "xmalloc.h"

/* Read fd to its end, at most cap bytes, until deadline_us. */
enum hk_in
hk_read_input(int fd, size_t cap, int64_t deadline_us, char **buf,
    size_t *len, char **cause)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	size_t		 have = 0, size = 4096;
	char		*b = xmalloc(size + 1);
	int64_t		 left;
	ssize_t		 n;
	int		 r;

	*cause = NULL;
	for (;;) {
		left = deadline_us - ts_mono_us();
		if (left <= 0) {
			b[have] = '\0';
			*buf = b;
			*len = have;
			return HK_IN_TIMEOUT;
		}
		r = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*cause = xasprintf("poll: %s", strerror(errno));
			break;
		}
		if (r == 0)
			continue;	/* the deadline check above ends it */

		/* One byte past the cap is enough to know it is too much. */
		if (have == size) {
			size = size * 2 > cap + 1 ? cap + 1 : size * 2;
			b = xreallocarray(b, size + 1, 1);
		}
		n = read(fd, b + have, size - have);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			*cause = xasprintf("read: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			b[have] = '\0';
			*buf = b;
			*len = have;
			return HK_IN_OK;
		}
		have += n;
		if (have > cap) {
			b[have] = '\0';
			*buf = b;
			*len = have;
			return HK_IN_TOOBIG;
		}
	}
	b[have] = '\0';
	*buf = b;
	*len = have;
	return HK_IN_ERROR;
}
