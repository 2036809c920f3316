/*
 * server.c: the Unix socket, its clients and the reply-line protocol.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "avjson.h"
#include "collectord.h"
#include "log.h"
#include "ndjson.h"
#include "proto.h"
#include "server.h"
#include "xmalloc.h"

/*
 * Every client holds one of max_clients slots, so none may keep one for
 * nothing. A client at rest (no line begun, no reply unwritten) is closed
 * after client_idle_ms of silence: all it does then is keep others out.
 * hookcli writes its event as soon as it is connected, so this never cuts
 * it. A client in the middle of a line, or with replies still on their
 * way, is working: only this long a silence closes it, or this long
 * without reading any of its replies.
 */
#define CLIENT_STALL_SEC	300

/*
 * Connections accepted before the loop turns again. libevent accepts
 * until the backlog is empty, and in a burst of hooks that arrive as fast
 * as they are taken, that is one callback for as long as the burst lasts:
 * the clients accepted first are never read, hold every slot, and all the
 * others are answered busy. So accepting pauses for a turn after this
 * many, and when the last slot is taken: a connection is answered busy
 * only when the slots are still taken after their clients had a turn.
 */
#define SERVER_ACCEPT_BURST	16

/*
 * Descriptors kept free of clients. Serving the clients needs some of its
 * own: the connection to gatewayd, the spool's segments (the one written,
 * the one read, the next) and its ack.tmp, a fallback file and its
 * directory, the dead-letter file. If clients took them all, collectord
 * would ack events it can no longer forward, and parked events would wait
 * in the fallback directory. So a connection that gets a descriptor this
 * close to RLIMIT_NOFILE is answered busy (hookcli parks its event), as
 * past max_clients.
 */
#define SERVER_FD_RESERVE	16

/*
 * accept() failed for want of descriptors (EMFILE, ENFILE) or memory:
 * the listener stays readable, so accepting stops for this long, or until
 * a client closes and gives a descriptor back.
 */
#define SERVER_ACCEPT_PAUSE_MS	200

/* Pause reading a client whose unread replies pass this; resume below LOW. */
#define OUT_HIGH	(1024 * 1024)
#define OUT_LOW		(256 * 1024)

struct client {
	struct server		*srv;
	struct bufferevent	*bev;
	struct ndjson		*rd;
	struct evbuffer		*held;		/* replies awaiting the commit */
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	int			 waiting;	/* on srv->waiting */
	int			 eof;		/* no more requests will come */
	int			 paused;	/* reading off: replies unread */
	long long		 timeout_ms;	/* read timeout armed; 0: none */
	TAILQ_ENTRY(client)	 entry;
	TAILQ_ENTRY(client)	 wentry;
};
TAILQ_HEAD(client_list, client);

struct server {
	struct collectord	*cd;
	struct evconnlistener	*lev;
	char			*path;
	struct client_list	 clients;
	struct client_list	 waiting;	/* clients with held replies */
	struct event		*ev_commit;
	struct event		*ev_resume;	/* re-enable accept after a pause */
	size_t			 nclients;
	int			 naccepts;	/* since the last pause */
	int			 nofile;	/* RLIMIT_NOFILE at start; -1: none */
	int			 fd_ceiling;	/* refuse from this fd on; -1: none */
	int			 starved;	/* accept paused: out of fds */
};

static void	client_free(struct client *);
static void	server_pause(struct server *);

/*
 * Is c at rest: no line begun, no reply unwritten? Replies held for the
 * commit do not count: they go out at the end of this turn of the loop
 * (server_commit_cb), before any timeout can fire; so a one-event client
 * never changes state, and its timeouts are armed once.
 */
static int
client_at_rest(struct client *c)
{
	return !ndjson_midline(c->rd) &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

/* Arm c's timeouts for its state (see CLIENT_STALL_SEC). */
static void
client_arm(struct client *c)
{
	struct timeval	 rd, wr = { CLIENT_STALL_SEC, 0 };
	long long	 ms;

	ms = client_at_rest(c) ? c->srv->cd->conf.client_idle_ms :
	    CLIENT_STALL_SEC * 1000LL;
	if (ms == c->timeout_ms)
		return;
	c->timeout_ms = ms;
	rd.tv_sec = ms / 1000;
	rd.tv_usec = (ms % 1000) * 1000;
	/* The write timeout runs only while replies wait to be written. */
	bufferevent_set_timeouts(c->bev, &rd, &wr);
}

/* Try to connect to path: 1 if a server answers, 0 if not, -1 on error. */
int
server_probe(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, r;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (r == 0)
		return 1;
	if (errno == ECONNREFUSED || errno == ENOENT)
		return 0;
	return -1;
}

/* Create the socket's directory 0750 (group: socket_group) if missing. */
static int
server_mkdir(const char *path, gid_t gid, char **cause)
{
	char	*copy, *dir;
	int	 r = 0;

	copy = xstrdup(path);
	dir = dirname(copy);
	if (mkdir(dir, 0750) == 0) {
		if (chmod(dir, 0750) == -1 ||
		    (gid != (gid_t)-1 && chown(dir, -1, gid) == -1)) {
			*cause = xasprintf("%s: %s", dir, strerror(errno));
			r = -1;
		}
	} else if (errno != EEXIST) {
		*cause = xasprintf("mkdir %s: %s", dir, strerror(errno));
		r = -1;
	}
	free(copy);
	return r;
}

/* Bind and listen on path; returns the fd or -1 with *cause. */
static int
server_listen(const char *path, mode_t mode, gid_t gid, char **cause)
{
	struct sockaddr_un	sun;
	struct stat		st;
	mode_t			old;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		*cause = xasprintf("socket path too long (%zu bytes, at most "
		    "%zu): %s", strlen(path), sizeof sun.sun_path - 1, path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (server_mkdir(path, gid, cause) == -1)
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*cause = xasprintf("%s exists and is not a socket",
			    path);
			return -1;
		}
		switch (server_probe(path)) {
		case 1:
			*cause = xasprintf("another collectord is listening "
			    "on %s", path);
			return -1;
		case 0:
			/* Stale, left by a crash: nobody answers on it. */
			if (unlink(path) == -1 && errno != ENOENT) {
				*cause = xasprintf("unlink stale %s: %s", path,
				    strerror(errno));
				return -1;
			}
			log_info("removed stale socket %s", path);
			break;
		default:
			*cause = xasprintf("%s: %s", path, strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	/* Never a moment where the socket is more open than it should be. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(old);
		*cause = xasprintf("bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if ((gid != (gid_t)-1 && chown(path, -1, gid) == -1) ||
	    chmod(path, mode) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	if (listen(fd, SOMAXCONN) == -1) {
		*cause = xasprintf("listen %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Queue a reply line for c, behind the ones already held. */
static void
client_reply(struct client *c, const char *line, size_t len)
{
	struct server	*srv = c->srv;

	evbuffer_add(c->held, line, len);
	if (!c->waiting) {
		c->waiting = 1;
		TAILQ_INSERT_TAIL(&srv->waiting, c, wentry);
	}
	/* One commit at the end of this turn of the loop for everybody. */
	event_active(srv->ev_commit, EV_READ, 0);
}

/* Queue an error reply and count it. */
static void
client_error(struct client *c, enum proto_err e, const char *detail)
{
	char	buf[PROTO_REPLY_MAX];
	size_t	len;

	len = proto_reply_err(buf, sizeof buf, e, detail);
	client_reply(c, buf, len);
	c->srv->cd->st.rejected_events++;
}

/* Answer a control line. */
static void
client_control(struct client *c, enum proto_cmd cmd)
{
	struct json_object	*o;
	const char		*s;
	size_t			 len;

	switch (cmd) {
	case PROTO_CMD_PING:
		s = "{\"ok\":true,\"pong\":true}\n";
		client_reply(c, s, strlen(s));
		break;
	case PROTO_CMD_STATS:
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		json_object_object_add(o, "stats", cd_stats_json(c->srv->cd));
		s = avjson_str(o, &len);
		evbuffer_add(c->held, s, len);
		client_reply(c, "\n", 1);
		json_object_put(o);
		break;
	default:
		client_error(c, PROTO_VALIDATION,
		    "cmd: unknown command (known: stats, ping)");
		break;
	}
}

/* Handle one request line. */
static void
client_line(struct client *c, const char *line, size_t len)
{
	struct collectord	*cd = c->srv->cd;
	struct json_object	*ev = NULL;
	enum proto_cmd		 cmd = PROTO_CMD_NONE;
	enum proto_err		 e;
	char			 detail[256], buf[PROTO_REPLY_MAX];
	const char		*id;
	size_t			 n;
	int			 r;

	e = proto_parse_event(line, len, 0, &ev, &cmd, detail, sizeof detail);
	if (e != PROTO_OK) {
		client_error(c, e, detail);
		return;
	}
	if (ev == NULL) {
		client_control(c, cmd);
		return;
	}
	if (cd->stopping) {
		json_object_put(ev);
		client_error(c, PROTO_BUSY, "collectord is shutting down");
		return;
	}
	id = evt_get_str(ev, "event_id");
	n = proto_reply_ok(buf, sizeof buf, id != NULL ? id : "");
	r = cd_append_event(cd, ev, c->uid, c->gid, c->pid, "socket");
	json_object_put(ev);
	switch (r) {
	case 0:
		client_reply(c, buf, n);
		break;
	case 1:
		cd->st.busy_replies++;
		client_error(c, PROTO_BUSY, "spool full (spool_max_bytes)");
		break;
	default:
		client_error(c, PROTO_TOO_LARGE, "event too large for the spool");
		break;
	}
}

/* Take every complete line out of the reader. */
static void
client_drain(struct client *c)
{
	char		 detail[96];
	char		*line;
	size_t		 len;

	for (;;) {
		switch (ndjson_next(c->rd, &line, &len)) {
		case NDJSON_AGAIN:
			return;
		case NDJSON_LINE:
			client_line(c, line, len);
			break;
		case NDJSON_TOOLONG:
			snprintf(detail, sizeof detail,
			    "line of %zu bytes is over the limit of %lld",
			    len, c->srv->cd->conf.max_line_bytes);
			client_error(c, PROTO_TOO_LARGE, detail);
			break;
		}
	}
}

/* Bytes arrived from a client. */
static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct evbuffer_iovec v[16];
	int		 n, i;
	size_t		 total;

	while (evbuffer_get_length(in) > 0) {
		n = evbuffer_peek(in, -1, NULL, v, 16);
		if (n > 16)
			n = 16;
		total = 0;
		for (i = 0; i < n; i++) {
			ndjson_push(c->rd, v[i].iov_base, v[i].iov_len);
			client_drain(c);
			total += v[i].iov_len;
		}
		evbuffer_drain(in, total);
	}
	client_arm(c);
}

/* Close c once its replies are written, or now if there are none. */
static void
client_finish(struct client *c)
{
	if (c->waiting)
		return;		/* server_committed comes back to it */
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_free(c);
}

/* Output drained (below the low mark): resume reading or close. */
static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;
	size_t		 out = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->paused && out <= OUT_LOW && !c->eof) {
		c->paused = 0;
		bufferevent_enable(bev, EV_READ);
	}
	if (c->eof && out == 0 && !c->waiting)
		client_free(c);
	else if (out == 0)
		client_arm(c);
}

/*
 * A timeout on c: reading, it was silent for as long as its state allows
 * (client_arm); writing, it read none of its replies for CLIENT_STALL_SEC.
 */
static void
client_timeout(struct client *c, short what)
{
	int	n = 0;

	/*
	 * When the loop itself stalled past the timeout (a slow disk, a
	 * SIGSTOP), the timeout and the bytes that ended the silence come in
	 * the same turn, and libevent can report the timeout alone. Bytes
	 * waiting are not silence: read them.
	 */
	if ((what & BEV_EVENT_READING) &&
	    ioctl(bufferevent_getfd(c->bev), FIONREAD, &n) == 0 && n > 0) {
		bufferevent_enable(c->bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_READING)
		log_debug("client pid %d silent for %lld ms: closed",
		    (int)c->pid, c->timeout_ms);
	else
		log_debug("client pid %d read no reply for %d s: closed",
		    (int)c->pid, CLIENT_STALL_SEC);
	client_free(c);
}

/* EOF or error on a client. */
static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client	*c = arg;
	char		*line;
	size_t		 len;

	if (what & BEV_EVENT_TIMEOUT) {
		client_timeout(c, what);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		client_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* Read what is left, then answer a half-written last line. */
		client_read_cb(bev, c);
		switch (ndjson_finish(c->rd, &line, &len)) {
		case NDJSON_LINE:
			client_line(c, line, len);
			break;
		case NDJSON_TOOLONG:
			client_error(c, PROTO_TOO_LARGE,
			    "unterminated line over the limit");
			break;
		default:
			break;
		}
		c->eof = 1;
		bufferevent_disable(bev, EV_READ);
		client_finish(c);
	}
}

/* Free a client and its connection. */
static void
client_free(struct client *c)
{
	struct server	*srv = c->srv;

	if (c->waiting)
		TAILQ_REMOVE(&srv->waiting, c, wentry);
	TAILQ_REMOVE(&srv->clients, c, entry);
	srv->nclients--;
	srv->cd->st.clients = srv->nclients;
	bufferevent_free(c->bev);
	ndjson_free(c->rd);
	evbuffer_free(c->held);
	free(c);
	if (srv->starved && srv->lev != NULL) {
		/* A descriptor came back: accept again without waiting. */
		srv->starved = 0;
		server_pause(srv);
	}
}

/* Refuse a connection with one reply line and close it. */
static void
server_refuse(int fd, enum proto_err e, const char *detail)
{
	char	buf[PROTO_REPLY_MAX];
	size_t	len;
	int	i;

	/*
	 * Read what the client already sent: closing a Unix socket with
	 * unread data resets it, and the client would never see the reply.
	 */
	for (i = 0; i < 16 && recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0; i++)
		continue;
	len = proto_reply_err(buf, sizeof buf, e, detail);
	if (write(fd, buf, len) == -1) {
		/* The client went already; nothing to tell it. */
	}
	close(fd);
}

/*
 * Accept no more in this turn of the loop; the next accepts again. The
 * listener may be in its accept loop: libevent leaves it when the
 * callback disabled it.
 */
static void
server_pause(struct server *srv)
{
	struct timeval	tv = { 0, 0 };

	evconnlistener_disable(srv->lev);
	evtimer_add(srv->ev_resume, &tv);
}

/* A new connection. */
static void
server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server		*srv = arg;
	struct collectord	*cd = srv->cd;
	struct client		*c;
	struct ucred		 uc;
	socklen_t		 len = sizeof uc;
	char			 detail[64];

	if (++srv->naccepts >= SERVER_ACCEPT_BURST)
		server_pause(srv);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn_limited("SO_PEERCRED");
		close(fd);
		return;
	}
	if (!cd_allowed(cd, uc.uid, uc.gid)) {
		log_warnx_limited("refused connection from uid %u gid %u pid %d "
		    "(allow_uids, allow_gids)", (unsigned)uc.uid,
		    (unsigned)uc.gid, (int)uc.pid);
		snprintf(detail, sizeof detail, "uid %u is not allowed",
		    (unsigned)uc.uid);
		server_refuse(fd, PROTO_INTERNAL, detail);
		return;
	}
	if (srv->nclients >= (size_t)cd->conf.max_clients) {
		/* Not busy_replies: that counts events a full spool refused. */
		cd->st.busy_clients++;
		server_refuse(fd, PROTO_BUSY, "too many clients (max_clients)");
		return;
	}
	/*
	 * accept() gives the lowest free descriptor, so every one below fd
	 * is taken: this client would eat into SERVER_FD_RESERVE.
	 */
	if (srv->fd_ceiling != -1 && fd >= srv->fd_ceiling) {
		cd->st.busy_clients++;
		log_warnx_limited("out of file descriptors (%zu clients, "
		    "RLIMIT_NOFILE %d): answering busy", srv->nclients,
		    srv->nofile);
		server_refuse(fd, PROTO_BUSY, "out of file descriptors");
		return;
	}

	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->uid = uc.uid;
	c->gid = uc.gid;
	c->pid = uc.pid;
	c->bev = bufferevent_socket_new(cd->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx_limited("bufferevent_socket_new failed");
		close(fd);
		free(c);
		return;
	}
	c->rd = ndjson_new(cd->conf.max_line_bytes);
	if ((c->held = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb,
	    client_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, OUT_LOW, 0);
	client_arm(c);
	/*
	 * EV_WRITE is on by default and arms itself when a reply is queued;
	 * enabling it here would poll an empty buffer: two epoll_ctl calls
	 * and a wakeup for nothing on every connection.
	 */
	bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&srv->clients, c, entry);
	srv->nclients++;
	cd->st.clients = srv->nclients;
	cd->st.connections++;
	if (srv->nclients >= (size_t)cd->conf.max_clients)
		server_pause(srv);
}

/* Turn accepting on again after a burst or running out of descriptors. */
static void
server_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;

	srv->naccepts = 0;
	srv->starved = 0;
	if (srv->lev != NULL)
		evconnlistener_enable(srv->lev);
}

/*
 * accept() failed, and not for a reason worth trying again at once
 * (libevent retries EINTR, EAGAIN and ECONNABORTED itself): most likely
 * out of descriptors. The listener stays readable, so leaving it on
 * would spin; stop accepting for SERVER_ACCEPT_PAUSE_MS, or until a
 * client closes. The clients we have are served meanwhile.
 */
static void
server_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct server	*srv = arg;
	struct timeval	 tv;
	int		 e = errno;

	log_warnx_limited("accept: %s (%zu clients): pausing for %d ms",
	    strerror(e), srv->nclients, SERVER_ACCEPT_PAUSE_MS);
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)
		srv->starved = 1;
	tv.tv_sec = 0;
	tv.tv_usec = SERVER_ACCEPT_PAUSE_MS * 1000;
	evconnlistener_disable(lev);
	evtimer_add(srv->ev_resume, &tv);
}

/*
 * Read RLIMIT_NOFILE once, at start, and set the descriptor from which
 * clients are refused (SERVER_FD_RESERVE).
 */
static void
server_fd_limit(struct server *srv)
{
	struct rlimit	rl;

	srv->nofile = srv->fd_ceiling = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX)
		return;
	srv->nofile = (int)rl.rlim_cur;
	if (srv->nofile <= 2 * SERVER_FD_RESERVE)
		srv->fd_ceiling = srv->nofile / 2;	/* tiny: half each */
	else
		srv->fd_ceiling = srv->nofile - SERVER_FD_RESERVE;
}

/* The end of a turn of the loop: commit, then release the replies. */
static void
server_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;

	cd_commit(srv->cd);
}

/* After a spool commit: release (ok) or drop (!ok) the held replies. */
void
server_committed(struct server *srv, int ok)
{
	struct client	*c;
	struct evbuffer	*out;

	while ((c = TAILQ_FIRST(&srv->waiting)) != NULL) {
		TAILQ_REMOVE(&srv->waiting, c, wentry);
		c->waiting = 0;
		if (!ok) {
			/* No ack may go out: the client must try again. */
			client_free(c);
			continue;
		}
		out = bufferevent_get_output(c->bev);
		/*
		 * Nothing queued before: write now, in this turn of the loop,
		 * instead of arming the write event for the next (a reply is
		 * small and the socket buffer nearly always has room). Only
		 * what does not fit goes through the bufferevent.
		 */
		if (evbuffer_get_length(out) == 0 &&
		    evbuffer_write(c->held, bufferevent_getfd(c->bev)) == -1 &&
		    errno != EAGAIN && errno != EINTR) {
			client_free(c);
			continue;
		}
		evbuffer_add_buffer(out, c->held);
		if (!c->paused && !c->eof &&
		    evbuffer_get_length(out) > OUT_HIGH) {
			c->paused = 1;
			bufferevent_disable(c->bev, EV_READ);
		}
		if (c->eof)
			client_finish(c);
		else
			client_arm(c);
	}
}

/* The settings changed: arm every client's timeouts afresh. */
void
server_reconfigure(struct server *srv)
{
	struct client	*c;

	TAILQ_FOREACH(c, &srv->clients, entry) {
		c->timeout_ms = 0;
		client_arm(c);
	}
}

/* Set up the socket and start accepting. */
struct server *
server_new(struct collectord *cd, char **cause)
{
	struct server	*srv;
	int		 fd;

	fd = server_listen(cd->conf.socket, cd->set.socket_mode,
	    cd->set.socket_gid, cause);
	if (fd == -1)
		return NULL;
	srv = xcalloc(1, sizeof *srv);
	srv->cd = cd;
	srv->path = xstrdup(cd->conf.socket);
	server_fd_limit(srv);
	TAILQ_INIT(&srv->clients);
	TAILQ_INIT(&srv->waiting);
	srv->ev_commit = event_new(cd->base, -1, 0, server_commit_cb, srv);
	srv->ev_resume = evtimer_new(cd->base, server_resume_cb, srv);
	srv->lev = evconnlistener_new(cd->base, server_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (srv->ev_commit == NULL || srv->ev_resume == NULL ||
	    srv->lev == NULL) {
		*cause = xstrdup("cannot set up the listener events");
		if (srv->lev == NULL)
			close(fd);
		server_free(srv);
		return NULL;
	}
	evconnlistener_set_error_cb(srv->lev, server_accept_error_cb);
	return srv;
}

/* Stop accepting; answer what was read, then close the clients. */
void
server_stop_accepting(struct server *srv)
{
	struct client	*c, *next;

	if (srv->lev != NULL) {
		evconnlistener_free(srv->lev);
		srv->lev = NULL;
		unlink(srv->path);
	}
	for (c = TAILQ_FIRST(&srv->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		c->eof = 1;
		bufferevent_disable(c->bev, EV_READ);
		client_finish(c);
	}
}

/* Close every client and the listener, unlink the socket, free. */
void
server_free(struct server *srv)
{
	struct client	*c;

	if (srv == NULL)
		return;
	while ((c = TAILQ_FIRST(&srv->clients)) != NULL)
		client_free(c);
	if (srv->lev != NULL) {
		evconnlistener_free(srv->lev);
		unlink(srv->path);
	}
	if (srv->ev_commit != NULL)
		event_free(srv->ev_commit);
	if (srv->ev_resume != NULL)
		event_free(srv->ev_resume);
	free(srv->path);
	free(srv);
}
