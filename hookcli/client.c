/*
 * client.c: one connection to collectord (the local protocol of
 * agentvis-events(7)), bounded by the run's deadline.
 *
 * The socket is non-blocking from the start, so neither connect(2) nor a
 * write to a collectord that stopped reading can stall past the deadline.
 * Writing and reading share one poll loop: a client that wrote a long
 * pipeline before reading could deadlock against a server whose replies
 * have filled the socket buffer while it waits for us to read them.
 *
 * Once every line is written we shut our side for writing. collectord
 * then knows no more lines will come, and closes the connection as soon
 * as its replies are written: the client slot is free again at once,
 * not when this process next gets a CPU to read the reply and exit,
 * which in a burst of hundreds of hooks on a busy machine is much later.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hookcli.h"
#include "ndjson.h"
#include "timefmt.h"

/* Milliseconds left until deadline_us, rounded up; 0 when past. */
static int
client_left_ms(int64_t deadline_us)
{
	int64_t	left = deadline_us - ts_mono_us();

	return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

/*
 * Connect fd to path before the deadline. A Unix stream socket connects at
 * once or fails with EAGAIN when the listener's backlog is full (a very
 * busy collectord); then we try again in short steps until the deadline.
 */
static int
client_connect(int fd, const char *path, int64_t deadline_us, char *why,
    size_t whylen)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct pollfd		 pfd = { .fd = fd, .events = POLLOUT };
	socklen_t		 elen = sizeof(int);
	int			 err, ms;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(why, whylen, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if ((ms = client_left_ms(deadline_us)) == 0)
				goto timeout;
			poll(NULL, 0, ms < 2 ? ms : 2);
			continue;
		}
		if (errno != EINPROGRESS)
			break;
		/* Not seen for AF_UNIX on Linux, but POSIX allows it. */
		if (poll(&pfd, 1, client_left_ms(deadline_us)) == 0)
			goto timeout;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			break;
		if (err == 0)
			return 0;
		errno = err;
		break;
	}
	snprintf(why, whylen, "connect %s: %s", path, strerror(errno));
	return -1;

timeout:
	snprintf(why, whylen, "connect %s: timed out", path);
	return -1;
}

/* Hand every complete reply line buffered in rd to cb; returns the count. */
static size_t
client_replies(struct ndjson *rd, size_t done, size_t nreq, hk_reply_cb cb,
    void *arg)
{
	enum ndjson_status	 st;
	char			*line;
	size_t			 len, got = 0;

	while (done + got < nreq &&
	    (st = ndjson_next(rd, &line, &len)) != NDJSON_AGAIN) {
		if (cb != NULL)
			cb(arg, done + got, st == NDJSON_LINE ? line : NULL, len);
		got++;
	}
	return got;
}

/* Connect, write out (nreq lines), read nreq replies, before deadline_us. */
void
hk_exchange(const char *path, const char *out, size_t outlen, size_t nreq,
    int64_t deadline_us, hk_reply_cb cb, void *arg, struct hk_xresult *res)
{
	struct pollfd		 pfd;
	struct ndjson		*rd;
	char			 buf[16384], *line;
	size_t			 woff = 0, len;
	ssize_t			 n;
	int			 fd, ms, rerr, wdead = 0;

	memset(res, 0, sizeof *res);
	res->status = HK_X_NOCONNECT;
	/*
	 * With no time left (stdin took it all) do not send at all: an event
	 * sent and then parked for want of an ack would be delivered twice.
	 */
	if (client_left_ms(deadline_us) == 0) {
		res->timed_out = 1;
		snprintf(res->why, sizeof res->why,
		    "timed out before connecting to %s", path);
		return;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(res->why, sizeof res->why, "socket: %s",
		    strerror(errno));
		return;
	}
	if (client_connect(fd, path, deadline_us, res->why,
	    sizeof res->why) == -1) {
		res->timed_out = client_left_ms(deadline_us) == 0;
		close(fd);
		return;
	}

	res->status = HK_X_BROKEN;
	rd = ndjson_new(HK_REPLY_LINE_MAX);
	while (res->replies < nreq) {
		if ((ms = client_left_ms(deadline_us)) == 0) {
			res->timed_out = 1;
			snprintf(res->why, sizeof res->why,
			    "no reply from collectord in time");
			goto out;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (woff < outlen && !wdead)
			pfd.events |= POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, ms) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(res->why, sizeof res->why, "poll: %s",
			    strerror(errno));
			goto out;
		}
		if ((pfd.revents & POLLOUT) && woff < outlen && !wdead) {
			n = send(fd, out + woff, outlen - woff, MSG_NOSIGNAL);
			if (n > 0) {
				if ((woff += n) == outlen)
					shutdown(fd, SHUT_WR);
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				/*
				 * collectord went away mid-request. Replies
				 * it wrote before may still be readable, so
				 * keep reading until end of file.
				 */
				wdead = 1;
			}
		}
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		n = recv(fd, buf, sizeof buf, 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		rerr = errno;
		if (n <= 0) {
			/* A last reply without its newline still counts. */
			if (ndjson_finish(rd, &line, &len) == NDJSON_LINE &&
			    res->replies < nreq) {
				if (cb != NULL)
					cb(arg, res->replies, line, len);
				res->replies++;
			}
			if (res->replies == nreq)
				break;
			if (n == 0)
				snprintf(res->why, sizeof res->why,
				    "connection closed by collectord");
			else
				snprintf(res->why, sizeof res->why,
				    "connection to collectord lost: %s",
				    strerror(rerr));
			goto out;
		}
		ndjson_push(rd, buf, n);
		res->replies += client_replies(rd, res->replies, nreq, cb, arg);
	}
	res->status = HK_X_DONE;
out:
	ndjson_free(rd);
	close(fd);
}
