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
 *   collector_client -s SOCK -H N [-P | -W PINGS] [-k MS]
 *       hold N connections, each answered one ping first (so it holds a
 *       client slot), then silent; -P sends the first half of an event
 *       line and stops there, -W sends PINGS ping lines and reads none
 *       of the replies, -k sends a ping every MS ms and reads its pong
 *       (a client that is never idle). Prints "held N" once all are
 *       open, and "closed K MS" each time collectord closes one (K left
 *       open, MS since it last heard from collectord). SIGUSR1 ends it:
 *       the rest of each -P line is sent, every reply read to the end,
 *       then "done open O acked A pongs P errors E" (counting from
 *       "held"), exit 0.
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

/* One connection of -H. */
struct hold {
	int	 fd;
	char	*out;		/* to send: out[outoff, outlen) */
	size_t	 outlen, outoff;
	char	*rest;		/* -P: the second half of the line */
	size_t	 restlen;
	char	 in[4096];	/* a reply line not yet complete */
	size_t	 inlen;
	int	 reading;	/* its replies are read (not -W before the end) */
	int	 shut;		/* all sent, write side shut */
	long	 waiting;	/* pings without their pong */
	int64_t	 heard_us;	/* when collectord last wrote to it */
};

static volatile sig_atomic_t	 hold_finish;
static long			 hold_acks, hold_pongs, hold_errors;
static int			 hold_counting;	/* after "held" */

/* SIGUSR1: finish -H. */
static void
hold_sigusr1(int sig)
{
	(void)sig;
	hold_finish = 1;
}

/* Append len bytes to h's output. */
static void
hold_queue(struct hold *h, const char *s, size_t len)
{
	h->out = realloc(h->out, h->outlen + len);
	if (h->out == NULL) {
		perror("realloc");
		exit(2);
	}
	memcpy(h->out + h->outlen, s, len);
	h->outlen += len;
}

/* Count the complete reply lines in h->in; 1 if one was an error. */
static int
hold_replies(struct hold *h)
{
	char	*nl, *p = h->in;
	int	 bad = 0;

	while ((nl = memchr(p, '\n', h->inlen - (p - h->in))) != NULL) {
		*nl = '\0';
		if (strstr(p, "\"pong\":true") != NULL) {
			h->waiting--;
			hold_pongs += hold_counting;
		} else if (strncmp(p, "{\"ok\":true", 10) == 0)
			hold_acks += hold_counting;
		else {
			hold_errors++;
			bad = 1;
			fprintf(stderr, "reply: %s\n", p);
		}
		p = nl + 1;
	}
	h->inlen -= p - h->in;
	memmove(h->in, p, h->inlen);
	return bad;
}

/*
 * Write what h has to send and read what came; -1 once collectord has
 * closed it (or on an error), 1 if it answered an error, else 0.
 */
static int
hold_io(struct hold *h, short revents)
{
	ssize_t	n;

	if ((revents & POLLOUT) && h->outoff < h->outlen) {
		n = write(h->fd, h->out + h->outoff, h->outlen - h->outoff);
		if (n > 0)
			h->outoff += n;
		else if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if (!h->reading)
		return (revents & (POLLHUP | POLLERR)) ? -1 : 0;
	n = read(h->fd, h->in + h->inlen, sizeof h->in - h->inlen);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n > 0) {
		h->inlen += n;
		h->heard_us = now_us();
		if (hold_replies(h))
			return 1;
		if (h->inlen == sizeof h->in) {
			fprintf(stderr, "reply line too long\n");
			return -1;
		}
	}
	return 0;
}

/* -H: hold n connections until SIGUSR1; see the top of the file. */
static int
hold_mode(long n, int partial, long pings, long every_ms)
{
	static const char	 ping[] = "{\"cmd\":\"ping\"}\n";
	struct sigaction	 sa;
	struct hold		*hs;
	struct pollfd		*pfd;
	struct conn		*ev;
	int64_t			 next_ping = 0, t, end;
	long			 i, j, open, held = 0;
	int			 r;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = hold_sigusr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	hs = calloc(n, sizeof *hs);
	pfd = calloc(n, sizeof *pfd);
	ev = calloc(1, sizeof *ev);
	if (hs == NULL || pfd == NULL || ev == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		if ((hs[i].fd = sock_connect()) == -1) {
			perror(sockpath);
			return 2;
		}
		hs[i].reading = 1;
		hs[i].waiting = 1;
		hold_queue(&hs[i], ping, sizeof ping - 1);
	}
	/* Every connection answered its ping: each holds a slot. */
	end = now_us() + 10000000;
	while (held < n) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = hs[i].fd;
			pfd[i].events = POLLIN |
			    (hs[i].outoff < hs[i].outlen ? POLLOUT : 0);
		}
		if (now_us() > end) {
			fprintf(stderr, "no pong in 10 s\n");
			return 1;
		}
		if (poll(pfd, n, 100) == -1 && errno != EINTR)
			return 2;
		for (i = 0; i < n; i++) {
			if (hs[i].waiting == 0)
				continue;
			if (hold_io(&hs[i], pfd[i].revents) != 0) {
				fprintf(stderr, "connection %ld refused\n", i);
				return 1;
			}
			if (hs[i].waiting > 0)
				continue;
			held++;
			if (partial) {
				ev->outlen = 0;
				gen_event(ev, i);
				hold_queue(&hs[i], ev->out, ev->outlen / 2);
				hs[i].rest = strdup(ev->out + ev->outlen / 2);
				hs[i].restlen = ev->outlen - ev->outlen / 2;
			}
			for (j = 0; j < pings; j++)
				hold_queue(&hs[i], ping, sizeof ping - 1);
			if (pings > 0) {
				hs[i].reading = 0;
				hs[i].waiting = pings;
			}
		}
	}
	hold_counting = 1;
	printf("held %ld\n", n);

	open = n;
	while (!hold_finish && open > 0) {
		t = now_us();
		if (every_ms > 0 && t >= next_ping) {
			for (i = 0; i < n; i++)
				if (hs[i].fd != -1 && hs[i].waiting == 0) {
					hs[i].waiting = 1;
					hold_queue(&hs[i], ping, sizeof ping - 1);
				}
			next_ping = t + every_ms * 1000;
		}
		for (i = 0; i < n; i++) {
			pfd[i].fd = hs[i].fd;
			pfd[i].events = (hs[i].reading ? POLLIN : 0) |
			    (hs[i].outoff < hs[i].outlen ? POLLOUT : 0);
		}
		if (poll(pfd, n, 100) == -1 && errno != EINTR)
			return 2;
		for (i = 0; i < n; i++) {
			if (hs[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (hold_io(&hs[i], pfd[i].revents) == -1) {
				close(hs[i].fd);
				hs[i].fd = -1;
				printf("closed %ld %lld\n", --open, (long long)
				    ((now_us() - hs[i].heard_us) / 1000));
			}
		}
	}

	/* The end: finish the lines, then read every reply. */
	for (i = 0; i < n; i++) {
		if (hs[i].fd == -1)
			continue;
		if (hs[i].rest != NULL)
			hold_queue(&hs[i], hs[i].rest, hs[i].restlen);
		hs[i].reading = 1;
	}
	end = now_us() + 30000000;
	j = open;
	while (j > 0 && now_us() < end) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = hs[i].fd;
			pfd[i].events = POLLIN |
			    (hs[i].outoff < hs[i].outlen ? POLLOUT : 0);
		}
		if (poll(pfd, n, 100) == -1 && errno != EINTR)
			return 2;
		for (i = 0; i < n; i++) {
			if (hs[i].fd == -1)
				continue;
			r = pfd[i].revents != 0 ? hold_io(&hs[i],
			    pfd[i].revents) : 0;
			if (r == -1) {
				close(hs[i].fd);
				hs[i].fd = -1;
				j--;
			} else if (!hs[i].shut && hs[i].outoff == hs[i].outlen) {
				/* All sent: collectord closes after the replies. */
				shutdown(hs[i].fd, SHUT_WR);
				hs[i].shut = 1;
			}
		}
	}
	printf("done open %ld acked %ld pongs %ld errors %ld\n", open,
	    hold_acks, hold_pongs, hold_errors);
	for (i = 0; i < n; i++) {
		free(hs[i].out);
		free(hs[i].rest);
	}
	free(hs);
	free(pfd);
	free(ev);
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
	int		 ch, raw = 0, gen = 0, partial = 0;
	const char	*notify = NULL;
	long		 hold = 0, pings = 0, every_ms = 0;

	while ((ch = getopt(argc, argv, "s:n:c:w:1R:o:Tp:qrgN:H:PW:k:")) != -1) {
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
		case 'H': hold = atol(optarg); break;
		case 'P': partial = 1; break;
		case 'W': pings = atol(optarg); break;
		case 'k': every_ms = atol(optarg); break;
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
	if (hold > 0)
		return hold_mode(hold, partial, pings, every_ms);
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
