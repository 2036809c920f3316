/*
 * door.c: gatewayd's front door. It owns the listening socket: it
 * accepts, counts connections per client address, looks at each new
 * connection's first request head (MSG_PEEK: it reads nothing) and
 * checks it, and only then hands the connection to libwebsockets
 * (lws_adopt_socket_vhost), which reads it as if it had accepted it.
 *
 * Why: lws 4.1.6 closes a connection without a word when a head does not
 * fit its header buffer, has more fields or query arguments than its
 * fragment table, or is otherwise not to its taste. A browser with large
 * cookies then cannot open the dashboard and learns nothing. Here every
 * such head gets a status (400, 408, 414, 431, 503, 505) and a JSON
 * {"detail":[...]} body that names the problem. A head that passes is
 * one lws can hold, since its buffer is sized from the door's limits.
 *
 * Owning accept also means backing off while descriptors run out
 * (EMFILE) instead of spinning, and a per-address connection cap.
 *
 * Later requests on a kept-alive connection are read by lws itself; the
 * same limits hold for them, but lws closes the connection on one that
 * breaks them instead of answering (gatewayd.8 says so).
 *
 * Every connection here is an lws "raw file" wsi on lws's own poll loop,
 * so the door costs no thread and no second loop. A connection's opaque
 * user data is its struct door_conn while the door reads its head, and
 * its struct door_peer once lws has it: door_release gives the place
 * back when lws destroys it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "avjson.h"
#include "door.h"
#include "gateway.h"
#include "log.h"
#include "xmalloc.h"

#define DOOR_NBUCKET	4096
#define DOOR_PEEK_MAX	(48 * 1024 + 1)	/* max_head_bytes' most, + 1 */
#define DOOR_PEEK_US	(50 * 1000)	/* between looks at a part head */
#define DOOR_ACCEPTS	64		/* accepts per wake-up */
#define DOOR_PAUSE_US	(100 * 1000)	/* out of descriptors: wait */
#define DOOR_LINGER_US	(2 * LWS_USEC_PER_SEC)
#define DOOR_LINGER_MAX	65536		/* bytes read after answering */
#define DOOR_RESERVE	32		/* descriptors kept for the store */

enum door_kind { DOOR_K_CONN = 1, DOOR_K_PEER };

/* One client address and how many connections it has open. */
struct door_peer {
	int			 kind;		/* DOOR_K_PEER */
	struct door_peer	*next;
	unsigned char		 addr[16];	/* IPv4 as v4-mapped */
	unsigned		 n;
};

/* A connection whose first head the door is reading. */
struct door_conn {
	int			 kind;		/* DOOR_K_CONN */
	struct door		*d;
	struct lws		*wsi;
	int			 fd;
	struct door_peer	*peer;
	lws_sorted_usec_list_t	 sul;		/* head timeout, then linger */
	lws_sorted_usec_list_t	 sul_peek;	/* look again for the rest */
	size_t			 seen;		/* bytes waiting at the last look */
	size_t			 drained;	/* bytes read after answering */
	int			 answered;
};

struct door {
	struct gw		*gw;
	struct lws		*listener;
	int			 fd;
	int			 paused;
	int			 timed;		/* paused for a while */
	lws_sorted_usec_list_t	 sul_resume;
	size_t			 nconns;	/* accepted and not destroyed */
	size_t			 maxconns;	/* what the descriptors allow */
	struct door_peer	*tab[DOOR_NBUCKET];
};

/* A problem with a head: the status, where, what. */
struct door_bad {
	int		 status;
	const char	*loc;		/* "header", "query", "path", … */
	const char	*type;
	char		 msg[160];
};

static int door_callback(struct lws *, enum lws_callback_reasons, void *,
    void *, size_t);

/* Fill the door's protocol entry. */
void
door_protocol(struct lws_protocols *p)
{
	memset(p, 0, sizeof *p);
	p->name = "agentvis-door";
	p->callback = door_callback;
}

/* The address key of a peer: IPv4 mapped into IPv6. */
static void
door_addr_key(const struct sockaddr_storage *ss, unsigned char key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12,
		    &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

/* FNV-1a of the key: bucket of an address. */
static unsigned
door_bucket(const unsigned char key[16])
{
	uint32_t	h = 2166136261u;
	int		i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % DOOR_NBUCKET;
}

/* The peer entry of key, made if new. */
static struct door_peer *
door_peer_get(struct door *d, const unsigned char key[16])
{
	struct door_peer	*p;
	unsigned		 b = door_bucket(key);

	for (p = d->tab[b]; p != NULL; p = p->next)
		if (memcmp(p->addr, key, 16) == 0)
			return p;
	p = xcalloc(1, sizeof *p);
	p->kind = DOOR_K_PEER;
	memcpy(p->addr, key, 16);
	p->next = d->tab[b];
	d->tab[b] = p;
	return p;
}

/* One connection of p is gone; forget p with its last. */
static void
door_peer_put(struct door *d, struct door_peer *p)
{
	struct door_peer	**pp;

	if (--p->n > 0)
		return;
	for (pp = &d->tab[door_bucket(p->addr)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

/* Accept again (after a pause for descriptors). */
static void
door_resume(lws_sorted_usec_list_t *sul)
{
	struct door	*d = lws_container_of(sul, struct door, sul_resume);

	d->timed = 0;
	if (d->paused && d->listener != NULL) {
		d->paused = 0;
		lws_rx_flow_control(d->listener, 1);
	}
}

/*
 * Stop accepting: for a moment when the system is out of descriptors
 * (the listening socket would stay readable and the loop would spin),
 * or until a connection closes when the door holds all it may.
 */
static void
door_pause(struct door *d, int timed)
{
	if (!d->paused) {
		d->paused = 1;
		lws_rx_flow_control(d->listener, 0);
	}
	if (timed) {
		d->timed = 1;
		lws_sul_schedule(lws_get_context(d->listener), 0,
		    &d->sul_resume, door_resume, DOOR_PAUSE_US);
	}
}

/* A connection is gone from the count: accept again if that was why not. */
static void
door_conn_gone(struct door *d, struct door_peer *p)
{
	door_peer_put(d, p);
	d->nconns--;
	if (d->paused && !d->timed && d->nconns < d->maxconns &&
	    d->listener != NULL) {
		d->paused = 0;
		lws_rx_flow_control(d->listener, 1);
	}
}

/* Write a whole answer straight to the socket (it is small). */
static void
door_send(struct gw *gw, int fd, const struct door_bad *b)
{
	struct json_object	*o, *a, *e, *loc;
	const char		*body, *reason, *extra = "";
	char			 head[512];
	size_t			 blen;
	int			 hlen;

	switch (b->status) {
	case 400: reason = "Bad Request"; break;
	case 408: reason = "Request Timeout"; break;
	case 414: reason = "URI Too Long"; break;
	case 431: reason = "Request Header Fields Too Large"; break;
	case 503: reason = "Service Unavailable"; extra = "retry-after: 1\r\n";
		break;
	case 505: reason = "HTTP Version Not Supported"; break;
	default: reason = "Error"; break;
	}
	o = json_object_new_object();
	a = json_object_new_array();
	e = json_object_new_object();
	loc = json_object_new_array();
	json_object_array_add(loc, json_object_new_string(b->loc));
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(b->msg));
	json_object_object_add(e, "type", json_object_new_string(b->type));
	json_object_array_add(a, e);
	json_object_object_add(o, "detail", a);
	body = avjson_str(o, &blen);
	hlen = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n"
	    "server: gatewayd/" PACKAGE_VERSION "\r\n"
	    "content-type: application/json\r\n"
	    "content-length: %zu\r\n"
	    "cache-control: no-store\r\n"
	    "%s"
	    "connection: close\r\n\r\n", b->status, reason, blen, extra);
	/*
	 * A fresh socket's send buffer holds far more than this: one send
	 * each, and what does not go is lost with a peer that reads nothing.
	 */
	(void)send(fd, head, (size_t)hlen, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)send(fd, body, blen, MSG_NOSIGNAL | MSG_DONTWAIT);
	json_object_put(o);
	gw->m.http_responses[gw_status_slot(b->status)]++;
}

/* Answer a conn being read, then linger (door_read drains it). */
static void
door_answer(struct door_conn *c, const struct door_bad *b)
{
	door_send(c->d->gw, c->fd, b);

	/*
	 * Then read and drop what the client still sends, for a while, before
	 * closing: closing with unread bytes would reset the connection, and
	 * the client could lose the answer with them.
	 */
	shutdown(c->fd, SHUT_WR);
	c->answered = 1;
}

/* The head timeout or the linger ran out: close. */
static void
door_timeout(lws_sorted_usec_list_t *sul)
{
	struct door_conn	*c = lws_container_of(sul, struct door_conn,
	    sul);
	struct door_bad		 b;

	if (!c->answered) {
		memset(&b, 0, sizeof b);
		b.status = 408;
		b.loc = "header";
		b.type = "timeout";
		snprintf(b.msg, sizeof b.msg, "request head not complete "
		    "within %lld ms (head_timeout)",
		    c->d->gw->conf.head_timeout);
		door_answer(c, &b);
		lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul,
		    door_timeout, DOOR_LINGER_US);
		return;
	}
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_SYNC);
}

/* Set b and return 1 (for the checks below). */
static int
door_bad(struct door_bad *b, int status, const char *loc, const char *type,
    const char *fmt, ...)
{
	va_list	ap;

	b->status = status;
	b->loc = loc;
	b->type = type;
	va_start(ap, fmt);
	vsnprintf(b->msg, sizeof b->msg, fmt, ap);
	va_end(ap);
	return 1;
}

/* RFC 9110 token characters (methods, field names). */
static int
door_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* A hex digit? */
static int
door_hex(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

/* Check the request target s[0..n). 0, or 1 with *b. */
static int
door_check_target(const char *s, size_t n, struct door_bad *b)
{
	size_t	i, nargs = 0;
	int	query = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f)
			return door_bad(b, 400, "path", "value_error",
			    "byte 0x%02x in the request target", ch);
		if (ch == '%') {
			if (i + 2 >= n || !door_hex((unsigned char)s[i + 1]) ||
			    !door_hex((unsigned char)s[i + 2]))
				return door_bad(b, 400, "path", "value_error",
				    "'%%' in the request target is not "
				    "followed by two hex digits");
			if (s[i + 1] == '0' && s[i + 2] == '0')
				return door_bad(b, 400, query ? "query" :
				    "path", "value_error",
				    "NUL (%%00) in the request target");
		}
		if (ch == '?' && !query) {
			query = 1;
			nargs = 1;
		} else if (ch == '&' && query)
			nargs++;
	}
	if (nargs > DOOR_MAX_ARGS)
		return door_bad(b, 414, "query", "too_many",
		    "%zu query arguments: at most %d", nargs, DOOR_MAX_ARGS);
	return 0;
}

/*
 * Check a complete head h[0..n) (up to and without the empty line).
 * 0 if lws may have it, or 1 with *b.
 */
static int
door_check(struct door *d, const char *h, size_t n, struct door_bad *b)
{
	const char	*line, *end, *sp1, *sp2, *colon;
	size_t		 ll, nfields = 0, nhost = 0;
	int		 v11;

	(void)d;
	if (memchr(h, '\0', n) != NULL)
		return door_bad(b, 400, "header", "value_error",
		    "NUL byte in the request head");
	/* The request line. */
	end = memchr(h, '\n', n);
	ll = end != NULL ? (size_t)(end - h) : n;
	if (ll > 0 && h[ll - 1] == '\r')
		ll--;
	if ((sp1 = memchr(h, ' ', ll)) == NULL || sp1 == h ||
	    (sp2 = memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - h))) == NULL ||
	    sp2 == sp1 + 1)
		return door_bad(b, 400, "request_line", "value_error",
		    "malformed request line: want METHOD TARGET HTTP/1.1");
	for (line = h; line < sp1; line++)
		if (!door_tchar((unsigned char)*line))
			return door_bad(b, 400, "request_line",
			    "value_error", "malformed method");
	if ((size_t)(h + ll - (sp2 + 1)) != 8 || strncmp(sp2 + 1, "HTTP/", 5))
		return door_bad(b, 400, "request_line", "value_error",
		    "malformed request line: want METHOD TARGET HTTP/1.1");
	if (strncmp(sp2 + 1, "HTTP/1.1", 8) == 0)
		v11 = 1;
	else if (strncmp(sp2 + 1, "HTTP/1.0", 8) == 0)
		v11 = 0;
	else
		return door_bad(b, 505, "request_line", "value_error",
		    "HTTP version %.8s: only HTTP/1.0 and HTTP/1.1 are "
		    "served", sp2 + 1);
	if (ll > DOOR_MAX_LINE)
		return door_bad(b, 414, "request_line", "too_large",
		    "request line over %d bytes", DOOR_MAX_LINE);
	if (door_check_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), b))
		return 1;

	/* The fields. */
	for (line = end != NULL ? end + 1 : h + n; line < h + n;
	    line = end + 1) {
		if ((end = memchr(line, '\n', (size_t)(h + n - line))) == NULL)
			end = h + n;
		ll = (size_t)(end - line);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t')
			return door_bad(b, 400, "header", "value_error",
			    "obsolete line folding in a header field");
		if (++nfields > DOOR_MAX_FIELDS)
			return door_bad(b, 431, "header", "too_many",
			    "more than %d header fields", DOOR_MAX_FIELDS);
		if ((colon = memchr(line, ':', ll)) == NULL || colon == line)
			return door_bad(b, 400, "header", "value_error",
			    "header field without a name and ':'");
		for (sp1 = line; sp1 < colon; sp1++)
			if (!door_tchar((unsigned char)*sp1))
				return door_bad(b, 400, "header",
				    "value_error", "invalid header field "
				    "name (no space before ':')");
		if (colon - line == 4 && strncasecmp(line, "host", 4) == 0)
			nhost++;
	}
	if (nhost > 1)
		return door_bad(b, 400, "header", "value_error",
		    "more than one Host header");
	if (nhost == 0 && v11)
		return door_bad(b, 400, "header", "missing",
		    "Host header required in HTTP/1.1");
	return 0;
}

/*
 * Where the head in buf[0..len) ends (the byte after its empty line), or
 * 0 while it has not.
 */
static size_t
door_head_end(const char *buf, size_t len, size_t *headlen)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		/* A line ends at i: is the next one empty? */
		if (i + 1 < len && buf[i + 1] == '\n') {
			*headlen = i + 1;
			return i + 2;
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			*headlen = i + 1;
			return i + 3;
		}
	}
	return 0;
}

/*
 * Give the connection and what was read of it to lws. Returns -1: the
 * door's wsi must close at once (its callback returns it), or it would
 * go on reading the socket that lws now reads.
 */
static int
door_handoff(struct door_conn *c)
{
	struct door	*d = c->d;
	struct lws	*nw;
	int		 fd;

	/*
	 * The raw wsi owns c->fd and closes it with itself: lws gets a
	 * duplicate, and the door's wsi goes.
	 */
	if ((fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warnx_limited("door: dup: %s", strerror(errno));
		return -1;
	}
	lws_sul_cancel(&c->sul);
	lws_sul_cancel(&c->sul_peek);
	/* The peer's place goes with the connection to lws. */
	nw = lws_adopt_socket_vhost(d->gw->vhost, fd);
	if (nw != NULL)
		lws_set_opaque_user_data(nw, c->peer);
	else
		/* lws refused or already finished with it. */
		door_conn_gone(d, c->peer);
	c->peer = NULL;
	return -1;
}

/* Look at the socket again: the rest of a head may have come. */
static void
door_peek_again(lws_sorted_usec_list_t *sul)
{
	struct door_conn	*c = lws_container_of(sul, struct door_conn,
	    sul_peek);

	/* Waiting bytes make the socket readable at once: door_read. */
	lws_rx_flow_control(c->wsi, 1);
}

/* Answer b and linger. */
static int
door_refuse(struct door_conn *c, const struct door_bad *b)
{
	lws_sul_cancel(&c->sul_peek);
	lws_rx_flow_control(c->wsi, 1);
	door_answer(c, b);
	lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul, door_timeout,
	    DOOR_LINGER_US);
	return 0;
}

/*
 * The socket of a conn is readable. While the head is not complete the
 * door only peeks, so that lws later reads the whole request from the
 * socket itself, just as from a connection it accepted. Between looks
 * at a head that came in part, reading is paused for DOOR_PEEK_US (a
 * socket with bytes waiting would be readable without end). After an
 * answer it reads and drops. 0, or -1 to close the conn.
 */
static int
door_read(struct door_conn *c)
{
	static char	 peek[DOOR_PEEK_MAX];
	struct gw	*gw = c->d->gw;
	struct door_bad	 b;
	size_t		 max = (size_t)gw->conf.max_head_bytes, end, hl = 0;
	ssize_t		 n;
	int		 avail = 0;

	if (c->answered) {
		/* Lingering: drop it, up to a bound. */
		n = recv(c->fd, peek, sizeof peek, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (n > 0)
			c->drained += (size_t)n;
		return c->drained > DOOR_LINGER_MAX ? -1 : 0;
	}
	if (ioctl(c->fd, FIONREAD, &avail) == 0 && avail > 0 &&
	    (size_t)avail == c->seen) {
		/* Nothing new since the last look. */
		lws_rx_flow_control(c->wsi, 0);
		lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul_peek,
		    door_peek_again, DOOR_PEEK_US);
		return 0;
	}
	n = recv(c->fd, peek, max + 1 < sizeof peek ? max + 1 : sizeof peek,
	    MSG_PEEK);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n < 0)
		return 0;
	c->seen = (size_t)n;

	memset(&b, 0, sizeof b);
	end = door_head_end(peek, (size_t)n, &hl);
	if (end == 0 || hl > max) {
		const char *nl = memchr(peek, '\n', (size_t)n);

		if ((nl == NULL && (size_t)n > DOOR_MAX_LINE) ||
		    (nl != NULL && nl - peek > DOOR_MAX_LINE)) {
			door_bad(&b, 414, "request_line", "too_large",
			    "request line over %d bytes", DOOR_MAX_LINE);
			return door_refuse(c, &b);
		}
		if ((size_t)n > max) {
			door_bad(&b, 431, "header", "too_large",
			    "request head over %zu bytes (max_head_bytes)",
			    max);
			return door_refuse(c, &b);
		}
		/* Wait for the rest. */
		lws_rx_flow_control(c->wsi, 0);
		lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul_peek,
		    door_peek_again, DOOR_PEEK_US);
		return 0;
	}
	if (door_check(c->d, peek, hl, &b))
		return door_refuse(c, &b);
	return door_handoff(c);
}

/* Refuse fd at once (no slot for it): a 503 and close. */
static void
door_refuse_now(struct door *d, int fd, const char *why)
{
	struct door_bad	b;

	memset(&b, 0, sizeof b);
	door_bad(&b, 503, "connection", "busy", "%s", why);
	door_send(d->gw, fd, &b);
	close(fd);
}

/* Take in one accepted connection. */
static void
door_admit(struct door *d, int fd, const struct sockaddr_storage *ss)
{
	struct gw		*gw = d->gw;
	struct door_conn	*c;
	struct door_peer	*p;
	unsigned char		 key[16];
	lws_sock_file_fd_type	 u;
	char			 why[128];

	door_addr_key(ss, key);
	p = door_peer_get(d, key);
	p->n++;
	d->nconns++;
	if (gw->conf.max_conns_per_addr > 0 &&
	    p->n > (unsigned)gw->conf.max_conns_per_addr) {
		snprintf(why, sizeof why, "more than %lld connections from "
		    "your address (max_conns_per_addr)",
		    gw->conf.max_conns_per_addr);
		door_refuse_now(d, fd, why);
		log_warnx_limited("door: refused a connection: %s", why);
		door_conn_gone(d, p);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->kind = DOOR_K_CONN;
	c->d = d;
	c->fd = fd;
	c->peer = p;
	u.filefd = fd;
	c->wsi = lws_adopt_descriptor_vhost(gw->vhost, LWS_ADOPT_RAW_FILE_DESC,
	    u, "agentvis-door", NULL);
	if (c->wsi == NULL) {
		/* lws closed fd on the way out, or never took it. */
		log_warnx_limited("door: lws would not take a connection");
		door_conn_gone(d, p);
		free(c);
		return;
	}
	lws_set_opaque_user_data(c->wsi, c);
	lws_sul_schedule(gw->ctx, 0, &c->sul, door_timeout,
	    (lws_usec_t)gw->conf.head_timeout * 1000);
}

/* The listening socket is readable: accept what is there. */
static void
door_accept(struct door *d)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 fd, i;

	for (i = 0; i < DOOR_ACCEPTS; i++) {
		if (d->nconns >= d->maxconns) {
			log_warnx_limited("door: %zu connections, all the "
			    "descriptors allow: not accepting until one "
			    "closes", d->nconns);
			door_pause(d, 0);
			return;
		}
		sl = sizeof ss;
		fd = accept4(d->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			log_warnx_limited("door: accept: %s; pausing %d ms",
			    strerror(errno), DOOR_PAUSE_US / 1000);
			door_pause(d, 1);
			return;
		}
		door_admit(d, fd, &ss);
	}
}

/* Callbacks of the listener and of the conns being read. */
static int
door_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct gw		*gw = gw_from_wsi(wsi);
	struct door		*d = gw->door;
	struct door_conn	*c;

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (d != NULL && wsi == d->listener) {
			door_accept(d);
			return 0;
		}
		if ((c = lws_get_opaque_user_data(wsi)) != NULL &&
		    c->kind == DOOR_K_CONN)
			return door_read(c);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (d != NULL && wsi == d->listener) {
			d->listener = NULL;
			return 0;
		}
		if ((c = lws_get_opaque_user_data(wsi)) == NULL ||
		    c->kind != DOOR_K_CONN)
			return 0;
		lws_set_opaque_user_data(wsi, NULL);
		lws_sul_cancel(&c->sul);
		lws_sul_cancel(&c->sul_peek);
		if (c->peer != NULL)
			door_conn_gone(d, c->peer);
		free(c);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return -1;	/* not a subprotocol anyone may ask for */
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* A connection lws had from the door is being destroyed. */
void
door_release(struct lws *wsi)
{
	struct gw		*gw = gw_from_wsi(wsi);
	struct door_peer	*p = lws_get_opaque_user_data(wsi);

	if (gw == NULL || gw->door == NULL || p == NULL ||
	    p->kind != DOOR_K_PEER)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	door_conn_gone(gw->door, p);
}

/* Make the listening socket. -1 with *cause. */
static int
door_listen(const char *addr, int port, char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	char		 serv[16];
	int		 fd = -1, on = 1, e;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%d", port);
	if ((e = getaddrinfo(*addr != '\0' ? addr : NULL, serv, &hints,
	    &res)) != 0) {
		*cause = xasprintf("listen %s:%d: %s", addr, port,
		    gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	if (fd == -1)
		*cause = xasprintf("listen %s:%d: %s", addr, port,
		    strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Listen and put the listener on lws's loop. */
int
door_open(struct gw *gw, const char *addr, int port, char **cause)
{
	struct door		*d;
	lws_sock_file_fd_type	 u;
	unsigned		 fdmax = gw->fd_limit;

	d = xcalloc(1, sizeof *d);
	d->gw = gw;
	if ((d->fd = door_listen(addr, port, cause)) == -1) {
		free(d);
		return -1;
	}
	/*
	 * Accept no more than lws's descriptor table holds, less a reserve
	 * for the store's files, the listener and lws's own pipe: past it
	 * the door waits for a close rather than meet EMFILE.
	 */
	d->maxconns = fdmax > DOOR_RESERVE * 2 ? fdmax - DOOR_RESERVE :
	    fdmax / 2;
	gw->door = d;
	u.filefd = d->fd;
	d->listener = lws_adopt_descriptor_vhost(gw->vhost,
	    LWS_ADOPT_RAW_FILE_DESC, u, "agentvis-door", NULL);
	if (d->listener == NULL) {
		*cause = xasprintf("listen %s:%d: lws would not take the "
		    "socket", addr, port);
		gw->door = NULL;
		free(d);
		return -1;
	}
	return 0;
}

/* After the context is gone (every connection destroyed): free the door. */
void
door_free(struct gw *gw)
{
	struct door		*d = gw->door;
	struct door_peer	*p;
	size_t			 i;

	if (d == NULL)
		return;
	for (i = 0; i < DOOR_NBUCKET; i++)
		while ((p = d->tab[i]) != NULL) {
			d->tab[i] = p->next;
			free(p);
		}
	gw->door = NULL;
	free(d);
}

/* Stop accepting (SIGTERM). */
void
door_close(struct gw *gw)
{
	struct door	*d = gw->door;

	if (d == NULL || d->listener == NULL)
		return;
	lws_sul_cancel(&d->sul_resume);
	lws_set_timeout(d->listener, PENDING_TIMEOUT_CLOSE_SEND,
	    LWS_TO_KILL_SYNC);
}
