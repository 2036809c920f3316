/*
 * test_server.c: a stand-in for collectord's socket side (the local
 * protocol of agentvis-events(7)), for hookcli's integration tests and
 * benchmark.
 *
 *   test_server [-m MODE] [-r RECORD] SOCKET
 *
 * Every request line received is appended to RECORD (one line each, as
 * received) before it is answered, so a test sees exactly what went over
 * the wire. MODE decides the answers:
 *   ack       validate with lib as collectord does; ack, or say why not;
 *             {"cmd":"stats"} gets {"ok":true,"stats":{…}}
 *   silent    read, never answer, and keep a connection the client
 *             half-closed (as a collectord that hangs would)
 *   busy      answer every line {"ok":false,"error":"busy",…}
 *   reject    answer every line with a validation error
 *   internal  answer every line with an internal error
 *   close     close each connection as soon as it is accepted
 *
 * The socket appears only once it is listening (bind to a temporary name,
 * then rename), so a test waiting for the file never races the listen.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avjson.h"
#include "event.h"
#include "log.h"
#include "ndjson.h"
#include "proto.h"
#include "xmalloc.h"

#define TS_MAX_CLIENTS 64

enum ts_mode { TS_ACK, TS_SILENT, TS_BUSY, TS_REJECT, TS_INTERNAL, TS_CLOSE };

static const char *ts_modes[] = {
	"ack", "silent", "busy", "reject", "internal", "close", NULL
};

struct ts_client {
	int		 fd;
	struct ndjson	*rd;
	int		 eof;		/* silent: half-closed, kept */
};

static enum ts_mode	 ts_mode;
static FILE		*ts_record;
static long long	 ts_total, ts_rejected, ts_lines;

/* Write all of buf to fd (the replies are small; blocking is fine). */
static void
ts_write(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* the client went away */
		buf += n;
		len -= n;
	}
}

/* The stats reply: counters in collectord's names, plus our mode. */
static void
ts_stats(int fd)
{
	struct json_object	*r = json_object_new_object();
	struct json_object	*s = json_object_new_object();
	const char		*text;
	size_t			 len;

	json_object_object_add(s, "totalEvents", json_object_new_int64(ts_total));
	json_object_object_add(s, "rejectedEvents",
	    json_object_new_int64(ts_rejected));
	json_object_object_add(s, "flushedBatches", json_object_new_int(0));
	json_object_object_add(s, "droppedEvents", json_object_new_int(0));
	json_object_object_add(s, "server",
	    json_object_new_string("test_server"));
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	json_object_object_add(r, "stats", s);
	text = avjson_str(r, &len);
	ts_write(fd, text, len);
	ts_write(fd, "\n", 1);
	json_object_put(r);
}

/* Answer one request line according to the mode. */
static void
ts_line(int fd, enum ndjson_status st, const char *line, size_t len)
{
	struct json_object	*ev;
	enum proto_cmd		 cmd;
	enum proto_err		 e;
	char			 reply[PROTO_REPLY_MAX], detail[256];
	size_t			 n;

	ts_lines++;
	if (ts_record != NULL) {
		if (st == NDJSON_TOOLONG)
			fprintf(ts_record, "TOOLONG %zu\n", len);
		else {
			fwrite(line, 1, len, ts_record);
			fputc('\n', ts_record);
		}
		fflush(ts_record);
	}
	switch (ts_mode) {
	case TS_SILENT:
	case TS_CLOSE:
		return;
	case TS_BUSY:
		n = proto_reply_err(reply, sizeof reply, PROTO_BUSY,
		    "spool full (test server)");
		break;
	case TS_REJECT:
		n = proto_reply_err(reply, sizeof reply, PROTO_VALIDATION,
		    "agent_id: rejected by test server");
		break;
	case TS_INTERNAL:
		n = proto_reply_err(reply, sizeof reply, PROTO_INTERNAL,
		    "spool write failed (test server)");
		break;
	default:
		if (st == NDJSON_TOOLONG) {
			n = proto_reply_err(reply, sizeof reply,
			    PROTO_TOO_LARGE, "line over the limit");
			break;
		}
		e = proto_parse_event(line, len, 0, &ev, &cmd, detail,
		    sizeof detail);
		if (e != PROTO_OK) {
			ts_rejected++;
			n = proto_reply_err(reply, sizeof reply, e, detail);
		} else if (cmd == PROTO_CMD_STATS) {
			ts_stats(fd);
			return;
		} else if (cmd == PROTO_CMD_PING) {
			n = snprintf(reply, sizeof reply,
			    "{\"ok\":true,\"pong\":true}\n");
		} else if (cmd != PROTO_CMD_NONE) {
			n = proto_reply_err(reply, sizeof reply,
			    PROTO_VALIDATION, "cmd: unknown command");
		} else {
			ts_total++;
			n = proto_reply_ok(reply, sizeof reply,
			    evt_get_str(ev, "event_id"));
			json_object_put(ev);
		}
		break;
	}
	ts_write(fd, reply, n);
}

/* Read what a client sent and answer each complete line. 0, or -1 at EOF. */
static int
ts_read(struct ts_client *c)
{
	enum ndjson_status	 st;
	char			 buf[16384], *line;
	size_t			 len;
	ssize_t			 n;

	n = recv(c->fd, buf, sizeof buf, 0);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == 0 && ts_mode == TS_SILENT && !c->eof) {
		/* No more requests: wait, unanswering, until it goes. */
		c->eof = 1;
		return 0;
	}
	if (n <= 0)
		return -1;
	ndjson_push(c->rd, buf, n);
	while ((st = ndjson_next(c->rd, &line, &len)) != NDJSON_AGAIN)
		ts_line(c->fd, st, line, len);
	return 0;
}

/* Listen on path; the file appears only when connect() can succeed. */
static int
ts_listen(const char *path)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	char			*tmp;
	int			 fd;

	tmp = xasprintf("%s.tmp", path);
	if (strlen(tmp) >= sizeof sun.sun_path)
		fatalx("socket path too long: %s", tmp);
	strcpy(sun.sun_path, tmp);
	unlink(tmp);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		fatal("bind %s", tmp);
	if (listen(fd, 128) == -1)
		fatal("listen");
	if (rename(tmp, path) == -1)
		fatal("rename %s", tmp);
	free(tmp);
	return fd;
}

/* Serve until killed. */
int
main(int argc, char **argv)
{
	struct pollfd		 pfd[TS_MAX_CLIENTS + 1];
	struct ts_client	 cl[TS_MAX_CLIENTS];
	const char		*record = NULL;
	int			 ch, i, j, n, lfd, fd, nc = 0;

	log_init("test_server", LOG_TO_STDERR, 0);
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "m:r:")) != -1) {
		switch (ch) {
		case 'm':
			for (i = 0; ts_modes[i] != NULL; i++)
				if (strcmp(ts_modes[i], optarg) == 0)
					break;
			if (ts_modes[i] == NULL)
				fatalx("unknown mode: %s", optarg);
			ts_mode = i;
			break;
		case 'r':
			record = optarg;
			break;
		default:
			fatalx("usage: test_server [-m MODE] [-r RECORD] "
			    "SOCKET");
		}
	}
	if (optind != argc - 1)
		fatalx("usage: test_server [-m MODE] [-r RECORD] SOCKET");
	if (record != NULL && (ts_record = fopen(record, "a")) == NULL)
		fatal("%s", record);
	lfd = ts_listen(argv[optind]);
	log_info("listening on %s, mode %s", argv[optind], ts_modes[ts_mode]);

	for (;;) {
		pfd[0].fd = lfd;
		pfd[0].events = nc < TS_MAX_CLIENTS ? POLLIN : 0;
		for (i = 0; i < nc; i++) {
			pfd[i + 1].fd = cl[i].fd;
			/* Half-closed: only POLLHUP, once it closes, is news. */
			pfd[i + 1].events = cl[i].eof ? 0 : POLLIN;
		}
		if ((n = poll(pfd, nc + 1, -1)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* Clients first: accepting may move the array. */
		for (i = nc - 1; i >= 0; i--) {
			if (pfd[i + 1].revents == 0)
				continue;
			if (!cl[i].eof && ts_read(&cl[i]) == 0)
				continue;
			close(cl[i].fd);
			ndjson_free(cl[i].rd);
			for (j = i; j < nc - 1; j++)
				cl[j] = cl[j + 1];
			nc--;
		}
		if (pfd[0].revents & POLLIN) {
			if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
				continue;
			if (ts_mode == TS_CLOSE) {
				close(fd);
				continue;
			}
			cl[nc].fd = fd;
			cl[nc].rd = ndjson_new(EVT_LINE_MAX);
			cl[nc].eof = 0;
			nc++;
		}
	}
}
