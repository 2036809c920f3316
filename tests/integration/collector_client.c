/*
 * collector_client.c: a client of collectord's socket for tests and
 * benchmarks, speaking the NDJSON protocol of agentvis-events(7) directly.
 *
 *   collector_client -s SOCK [-n N] [-c CONNS] [-w WINDOW] [-1] [-R RATE]
 *                    [-o ACKED] [-T] [-p PREFIX] [-q]
 *       send N generated events over CONNS connections, at most WINDOW
 *       unanswered per connection (pipelining); -1 opens a connection per
 *       event (the hookcli pattern without the process spawn); -R paces
 *       to RATE events/s. Every acked event_id goes to ACKED (with -T
 *       followed by the ack's CLOCK_REALTIME in µs). Prints a summary:
 *       "sent N acked A errors E busy B seconds S rate R/s".
 *   collector_client -s SOCK -r
 *       send stdin as it is on one connection, half-close, and print
 *       every reply line to stdout.
 *   collector_client -g [-n N] [-p PREFIX]
 *       print N generated events (NDJSON) on stdout, for other clients.
 *   collector_client -N PATH
 *       bind a datagram socket at PATH (a stand-in for systemd's
 *       NOTIFY_SOCKET), print the first datagram received, exit.
 *
 * Exit 0 when every event was acked (or -r got replies), 1 otherwise,
 * 2 on a usage or connection error.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uuidstr.h"

struct conn {
	int	fd;
	char	out[4096 * 16];
	size_t	outlen, outoff;
	char	in[65536];
	size_t	inlen;
	long	outstanding;
	int	done;
};

static const char	*sockpath;
static long		 total = 1000, conns = 1, window = 64, rate = 0;
static int		 oneshot, quiet, stamp;
static const char	*prefix = "";
static FILE		*acked;
static long		 sent, nacked, nerrors, nbusy;

/* Wall-clock µs. */
static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Connect to the socket (blocking connect, then non-blocking I/O). */
static int
sock_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sockpath);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Append one generated event line to c's output. */
static void
gen_event(struct conn *c, long i)
{
	static const char *const types[] = { "agent_spawned",
	    "agent_activated", "operation_allowed", "task_started" };
	char		 id[UUIDSTR_LEN], ts[64];
	struct timespec	 t;
	struct tm	 tm;

	uuidstr_v4(id);
	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	c->outlen += snprintf(c->out + c->outlen, sizeof c->out - c->outlen,
	    "{\"event_type\":\"%s\",\"timestamp\":\"%s.%03ldZ\","
	    "\"event_id\":\"%s\",\"agent_id\":\"%sagent-%ld\","
	    "\"agent_name\":\"coder\",\"agent_role\":\"worker\","
	    "\"operation\":\"write_file\",\"status\":\"success\","
	    "\"metadata\":{\"session_id\":\"bench\",\"n\":%ld}}\n",
	    types[i % 4], ts, t.tv_nsec / 1000000, id, prefix, i % 16, i);
	c->outstanding++;
	sent++;
}

/* Handle the reply lines in c's input. */
static void
take_replies(struct conn *c)
{
	char	*nl, *p, *id;
	size_t	 len;

	p = c->in;
	while ((nl = memchr(p, '\n', c->inlen - (p - c->in))) != NULL) {
		*nl = '\0';
		c->outstanding--;
		if (strncmp(p, "{\"ok\":true", 10) == 0) {
			nacked++;
			if (acked != NULL &&
			    (id = strstr(p, "\"event_id\":\"")) != NULL) {
				id += 12;
				len = strcspn(id, "\"");
				if (stamp)
					fprintf(acked, "%.*s %lld\n", (int)len,
					    id, (long long)now_us());
				else
					fprintf(acked, "%.*s\n", (int)len, id);
			}
		} else {
			if (strstr(p, "\"busy\"") != NULL)
				nbusy++;
			nerrors++;
			if (!quiet)
				fprintf(stderr, "reply: %s\n", p);
		}
		p = nl + 1;
	}
	len = c->inlen - (p - c->in);
	memmove(c->in, p, len);
	c->inlen = len;
}

/* -r: stdin to the socket, replies to stdout. */
static int
raw_mode(void)
{
	char	buf[65536];
	ssize_t	n;
	int	fd, got = 0;

	if ((fd = sock_connect()) == -1) {
		perror(sockpath);
		return 2;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	while ((n = read(0, buf, sizeof buf)) > 0) {
		if (write(fd, buf, n) != n) {
			perror("write");	/* refused: read the reason */
			break;
		}
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		fwrite(buf, 1, n, stdout);
		got = 1;
	}
	close(fd);
	return got ? 0 : 1;
}

/* -N: receive one datagram on path and print it. */
static int
notify_mode(const char *path)
{
	struct sockaddr_un	sun;
	char			buf[4096];
	ssize_t			n;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		perror(path);
		return 2;
	}
	if ((n = recv(fd, buf, sizeof buf - 1, 0)) < 0) {
		perror("recv");
		return 2;
	}
	buf[n] = '\0';
	printf("%s\n", buf);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct conn	*cs;
	struct pollfd	*pfd;
	const char	*ackpath = NULL;
	int64_t		 t0, t1;
	long		 i, next = 0, active;
	ssize_t		 n;
	int		 ch, raw = 0, gen = 0;
	const char	*notify = NULL;

	while ((ch = getopt(argc, argv, "s:n:c:w:1R:o:Tp:qrgN:")) != -1) {
		switch (ch) {
		case 's': sockpath = optarg; break;
		case 'n': total = atol(optarg); break;
		case 'c': conns = atol(optarg); break;
		case 'w': window = atol(optarg); break;
		case '1': oneshot = 1; break;
		case 'R': rate = atol(optarg); break;
		case 'o': ackpath = optarg; break;
		case 'T': stamp = 1; break;
		case 'p': prefix = optarg; break;
		case 'q': quiet = 1; break;
		case 'r': raw = 1; break;
		case 'g': gen = 1; break;
		case 'N': notify = optarg; break;
		default:
			fprintf(stderr, "usage: see collector_client.c\n");
			return 2;
		}
	}
	if (notify != NULL)
		return notify_mode(notify);
	if (gen) {
		struct conn *c = calloc(1, sizeof *c);

		for (i = 0; i < total; i++) {
			c->outlen = 0;
			gen_event(c, i);
			fwrite(c->out, 1, c->outlen, stdout);
		}
		free(c);
		return 0;
	}
	if (sockpath == NULL || conns < 1 || window < 1)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (raw)
		return raw_mode();
	if (window > 256)
		window = 256;	/* a window of events must fit c->out */
	if (ackpath != NULL && (acked = fopen(ackpath, "w")) == NULL) {
		perror(ackpath);
		return 2;
	}
	if (acked != NULL)
		setvbuf(acked, NULL, _IOLBF, 0);	/* survive our kill */
	cs = calloc(conns, sizeof *cs);
	pfd = calloc(conns, sizeof *pfd);
	for (i = 0; i < conns; i++)
		cs[i].fd = -1;

	t0 = now_us();
	for (;;) {
		active = 0;
		for (i = 0; i < conns; i++) {
			struct conn *c = &cs[i];

			if (c->fd == -1 && !c->done) {
				if (next >= total) {
					c->done = 1;
					continue;
				}
				if ((c->fd = sock_connect()) == -1) {
					perror(sockpath);
					return 2;
				}
			}
			/* Queue more: up to the window, paced by -R. */
			while (c->fd != -1 && next < total &&
			    c->outstanding < (oneshot ? 1 : window) &&
			    c->outlen + 1024 < sizeof c->out &&
			    (rate == 0 || next * 1000000 / rate <=
			    now_us() - t0))
				gen_event(c, next++);
			pfd[i].fd = c->fd;
			pfd[i].events = POLLIN;
			if (c->outlen > c->outoff)
				pfd[i].events |= POLLOUT;
			if (c->fd != -1)
				active++;
		}
		if (active == 0)
			break;
		if (poll(pfd, conns, rate ? 1 : 1000) == -1 && errno != EINTR) {
			perror("poll");
			return 2;
		}
		for (i = 0; i < conns; i++) {
			struct conn *c = &cs[i];

			if (c->fd == -1)
				continue;
			if (pfd[i].revents & POLLOUT) {
				n = write(c->fd, c->out + c->outoff,
				    c->outlen - c->outoff);
				if (n > 0) {
					c->outoff += n;
					if (c->outoff == c->outlen)
						c->outoff = c->outlen = 0;
				}
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				n = read(c->fd, c->in + c->inlen,
				    sizeof c->in - c->inlen);
				if (n > 0) {
					c->inlen += n;
					take_replies(c);
				} else if (n == 0 || errno != EAGAIN) {
					/* Lost: what was unanswered is not acked. */
					close(c->fd);
					c->fd = -1;
					c->outlen = c->outoff = 0;
					if (c->outstanding > 0) {
						fprintf(stderr, "connection "
						    "closed with %ld unanswered\n",
						    c->outstanding);
						nerrors += c->outstanding;
					}
					c->outstanding = 0;
					c->done = !oneshot;
					continue;
				}
			}
			if (oneshot && c->outstanding == 0 && c->outlen == 0) {
				close(c->fd);
				c->fd = -1;
			} else if (!oneshot && next >= total &&
			    c->outstanding == 0 && c->outlen == 0) {
				close(c->fd);
				c->fd = -1;
				c->done = 1;
			}
		}
	}
	t1 = now_us();
	printf("sent %ld acked %ld errors %ld busy %ld seconds %.3f rate %.0f/s\n",
	    sent, nacked, nerrors, nbusy, (t1 - t0) / 1e6,
	    nacked / ((t1 - t0) / 1e6));
	if (acked != NULL)
		fclose(acked);
	free(cs);
	free(pfd);
	return nacked == total ? 0 : 1;
}
