/*
 * bench_gatewayd_fanout.c: load client for bench_gatewayd.sh.
 *
 *   bench_gatewayd_fanout [-i] -p port -c conns [-r events/s] [-d secs]
 *                         [-b batch] [-T token-file]
 *
 * Opens conns WebSocket clients (plain sockets and epoll, one thread: a
 * client this cheap per message leaves the CPU to the server being
 * measured), waits until all are connected, then a second thread posts events to the ingest API
 * at the given rate in batches, each event carrying its send time
 * (metadata.t_us, wall clock). Every client notes, for every agent_event,
 * receive time minus send time; at the end the latency percentiles over
 * all deliveries are printed with the counts expected and received.
 * With -i the clients only connect and stay idle for -d seconds (the
 * script measures gatewayd's memory meanwhile); "connected N" is printed
 * once all are up. With -T the posts carry the ingest token of that file
 * (its first line that is not a comment), as collectord's do.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errno.h>
#include <fcntl.h>

#define HIST_MAX_US	10000000	/* 10 s, 10 us buckets */
#define HIST_STEP	10

static int		 port, nconns, rate = 200, secs = 5, batch = 10;
static int		 idle;
static char		 auth[340];	/* "Authorization: ..." line, or "" */
static int		 connected, failed, closed;
static volatile int	 done, posting_done;
static uint64_t		 received, posted;
static uint64_t		*hist;
static size_t		 nhist = HIST_MAX_US / HIST_STEP + 1;

/* The Authorization line from the token file path. */
static void
read_token(const char *path)
{
	FILE	*fp;
	char	 line[300];

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, " \t\r\n")] = '\0';
		snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n",
		    line);
		break;
	}
	fclose(fp);
}

/* Wall clock in microseconds (the sender's and receivers' common clock). */
static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Note one delivery from the message text. */
static void
deliver(const char *msg, size_t len)
{
	static const char	 key[] = "\"t_us\":";
	const char		*p;
	int64_t			 t, lat;

	if (len < 24 || memcmp(msg, "{\"type\":\"agent_event\"", 21) != 0)
		return;
	p = memmem(msg, len, key, sizeof key - 1);
	if (p == NULL)
		return;
	t = strtoll(p + sizeof key - 1, NULL, 10);
	lat = now_us() - t;
	if (lat < 0)
		lat = 0;
	if (lat > HIST_MAX_US)
		lat = HIST_MAX_US;
	hist[lat / HIST_STEP]++;
	received++;
}

/* One client: its socket and the bytes not yet parsed. */
struct conn {
	int		 fd;
	unsigned char	*buf;
	size_t		 len, cap;
};

/* Parse every complete frame in c's buffer. */
static void
conn_parse(struct conn *c)
{
	size_t		 off = 0, h, plen, i;
	unsigned char	*p;

	while (c->len - off >= 2) {
		p = c->buf + off;
		plen = p[1] & 0x7f;
		h = 2;
		if (plen == 126) {
			if (c->len - off < 4)
				break;
			plen = (size_t)p[2] << 8 | p[3];
			h = 4;
		} else if (plen == 127) {
			if (c->len - off < 10)
				break;
			for (plen = 0, i = 0; i < 8; i++)
				plen = plen << 8 | p[2 + i];
			h = 10;
		}
		if (c->len - off < h + plen) {
			if (h + plen > c->cap) {
				c->cap = (h + plen) * 2;
				memmove(c->buf, p, c->len - off);
				c->len -= off;
				off = 0;
				if ((c->buf = realloc(c->buf, c->cap)) == NULL)
					abort();
			}
			break;
		}
		if ((p[0] & 0x0f) == 0x1)
			deliver((const char *)p + h, plen);
		else if ((p[0] & 0x0f) == 0x8)
			closed++;
		off += h + plen;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

/* Connect and upgrade one client; -1 on failure. */
static int
conn_open(struct conn *c)
{
	static const char	 req[] =
	    "GET /api/v1/agents/activity/stream?user_id=bench HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	struct sockaddr_in	 sin;
	char			*end;
	ssize_t			 n;

	c->cap = 65536;
	c->buf = malloc(c->cap);
	c->len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c->buf == NULL || c->fd < 0 ||
	    connect(c->fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    write(c->fd, req, sizeof req - 1) != (ssize_t)sizeof req - 1)
		return -1;
	for (;;) {
		n = read(c->fd, c->buf + c->len, c->cap - 1 - c->len);
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		if ((end = strstr((char *)c->buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (strncmp((char *)c->buf, "HTTP/1.1 101", 12) != 0) {
		fprintf(stderr, "upgrade refused: %.40s\n", c->buf);
		return -1;
	}
	/* Frames may already follow the answer. */
	end += 4;
	c->len -= (size_t)(end - (char *)c->buf);
	memmove(c->buf, end, c->len);
	conn_parse(c);
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* Read what the kernel has for c and parse it. */
static void
conn_read(struct conn *c)
{
	ssize_t	n;

	for (;;) {
		if (c->cap - c->len < 4096) {
			c->cap *= 2;
			if ((c->buf = realloc(c->buf, c->cap)) == NULL)
				abort();
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			closed++;
			close(c->fd);
			c->fd = -1;
			return;
		}
		c->len += (size_t)n;
		conn_parse(c);
	}
}

/* Service every client for up to ms. */
static void
service(int ep, int ms)
{
	struct epoll_event	evs[256];
	int			n, i;

	n = epoll_wait(ep, evs, 256, ms);
	for (i = 0; i < n; i++)
		conn_read(evs[i].data.ptr);
}

/* Read one HTTP answer (headers + Content-Length body); its status. */
static int
read_answer(int fd)
{
	char	 buf[8192], *p;
	size_t	 have = 0, need;
	ssize_t	 n;
	long	 cl;
	int	 status;

	for (;;) {
		n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if ((p = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (have == sizeof buf - 1)
			return -1;
	}
	status = atoi(buf + 9);
	cl = 0;
	{
		char *h = strcasestr(buf, "content-length:");

		if (h != NULL)
			cl = atol(h + 15);
	}
	need = (size_t)(p + 4 - buf) + (size_t)cl;
	while (have < need) {
		n = read(fd, buf, sizeof buf);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return status;
}

/* Post batches at the rate until the time is up. */
static void *
poster(void *arg)
{
	struct sockaddr_in	 sin;
	char			*body, hdr[512];
	size_t			 cap = (size_t)batch * 512 + 256, len;
	int64_t			 start, next, interval;
	int			 fd, one = 1, i, st;
	uint64_t		 id = 0;
	unsigned		 run = (unsigned)(now_us() & 0xffff);

	body = malloc(cap);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		perror("poster connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	interval = 1000000LL * batch / rate;
	start = next = now_us();
	while (now_us() - start < (int64_t)secs * 1000000) {
		len = (size_t)snprintf(body, cap, "{\"events\":[");
		for (i = 0; i < batch; i++) {
			id++;
			len += (size_t)snprintf(body + len, cap - len,
			    "%s{\"event_type\":\"task_started\",\"timestamp\":"
			    "\"2026-11-26T16:35:09.123Z\",\"event_id\":"
			    "\"%08x-0000-4000-8000-%012llx\",\"agent_id\":\"a%d\","
			    "\"agent_name\":\"coder\",\"agent_role\":\"worker\","
			    "\"operation\":\"write_file\",\"status\":\"success\","
			    "\"metadata\":{\"t_us\":%lld}}", i ? "," : "", run,
			    (unsigned long long)id, i % 16, (long long)now_us());
		}
		len += (size_t)snprintf(body + len, cap - len, "]}");
		snprintf(hdr, sizeof hdr, "POST /api/v1/events/ingest HTTP/1.1\r\n"
		    "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
		    "%sContent-Length: %zu\r\n\r\n", auth, len);
		if (write(fd, hdr, strlen(hdr)) < 0 ||
		    write(fd, body, len) < 0) {
			perror("poster write");
			exit(1);
		}
		if ((st = read_answer(fd)) != 200) {
			fprintf(stderr, "poster: status %d\n", st);
			exit(1);
		}
		posted += (uint64_t)batch;
		next += interval;
		while (now_us() < next)
			usleep((useconds_t)(next - now_us() > 2000 ? 1000 :
			    next - now_us()));
	}
	close(fd);
	free(body);
	posting_done = 1;
	return NULL;
}

/* Latency at quantile q (0..1) over the histogram, in ms. */
static double
quantile(double q)
{
	uint64_t	want, seen = 0;
	size_t		i;

	if (received == 0)
		return 0;
	want = (uint64_t)(q * (double)received);
	if (want == 0)
		want = 1;
	for (i = 0; i < nhist; i++) {
		seen += hist[i];
		if (seen >= want)
			return (double)(i * HIST_STEP) / 1000.0;
	}
	return HIST_MAX_US / 1000.0;
}

/* Connect the clients, post at the rate, print the latency figures. */
int
main(int argc, char **argv)
{
	struct epoll_event	 ev;
	struct conn		*conns;
	pthread_t		 th;
	int64_t			 t0, deadline;
	int			 ch, i, ep;

	if (argc == 1) {
		/* run.sh runs every bench_* program: this one needs a server. */
		printf("bench_gatewayd_fanout: load client of "
		    "bench_gatewayd.sh, see there\n");
		return 0;
	}
	while ((ch = getopt(argc, argv, "b:c:d:ip:r:T:")) != -1) {
		switch (ch) {
		case 'b': batch = atoi(optarg); break;
		case 'c': nconns = atoi(optarg); break;
		case 'd': secs = atoi(optarg); break;
		case 'i': idle = 1; break;
		case 'p': port = atoi(optarg); break;
		case 'r': rate = atoi(optarg); break;
		case 'T': read_token(optarg); break;
		default:
			fprintf(stderr, "usage: bench_gatewayd_fanout [-i] -p port "
			    "-c conns [-r rate] [-d secs] [-b batch] "
			    "[-T token-file]\n");
			return 1;
		}
	}
	if (port <= 0 || nconns <= 0 || rate <= 0 || batch <= 0)
		return 1;
	hist = calloc(nhist, sizeof *hist);
	conns = calloc((size_t)nconns, sizeof *conns);
	if ((ep = epoll_create1(0)) < 0 || hist == NULL || conns == NULL)
		return 1;

	t0 = now_us();
	for (i = 0; i < nconns; i++) {
		if (conn_open(&conns[i]) != 0) {
			failed++;
			continue;
		}
		connected++;
		ev.events = EPOLLIN;
		ev.data.ptr = &conns[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
	}
	printf("connected %d (failed %d) in %.1f s\n", connected, failed,
	    (double)(now_us() - t0) / 1e6);
	fflush(stdout);
	if (connected == 0)
		return 1;

	if (idle) {
		deadline = now_us() + (int64_t)secs * 1000000;
		while (now_us() < deadline)
			service(ep, 100);
		return 0;
	}

	pthread_create(&th, NULL, poster, NULL);
	while (!posting_done)
		service(ep, 10);
	/* What is in flight still counts: drain for up to 3 s. */
	deadline = now_us() + 3000000;
	while (now_us() < deadline && received < posted * (uint64_t)connected)
		service(ep, 10);
	pthread_join(th, NULL);

	printf("fan-out: %d clients x %d events/s for %d s: posted %llu, "
	    "deliveries %llu of %llu expected (%.2f%%), %d closed\n",
	    connected, rate, secs, (unsigned long long)posted,
	    (unsigned long long)received,
	    (unsigned long long)(posted * (uint64_t)connected),
	    posted ? 100.0 * (double)received /
	    (double)(posted * (uint64_t)connected) : 0, closed);
	printf("delivery latency ms: p50 %.2f  p90 %.2f  p99 %.2f  "
	    "p99.9 %.2f  max %.2f\n", quantile(0.5), quantile(0.9),
	    quantile(0.99), quantile(0.999), quantile(1.0));
	printf("deliveries/s: %.0f\n", (double)received / secs);
	free(hist);
	return 0;
}
