/*
 * fake_gateway.c: a stand-in for gatewayd's ingest endpoint, for the
 * collectord tests and benchmarks (libevent evhttp, 127.0.0.1 only).
 *
 *   fake_gateway -p PORT -d DIR [-T] [-B]
 *
 * What it answers is read from DIR/mode before every request (and every
 * 50 ms, for "down"), so a test switches it while it runs:
 *   200                 accept (the default when DIR/mode is absent)
 *   422 ID [ID…]        refuse batches holding these event_ids, with a
 *                       FastAPI detail naming each as events[i].agent_id
 *   429 SECS            Too Many Requests with Retry-After: SECS
 *   500 | 503 | 401 …   that status, no body to speak of
 *   hang                never answer
 *   hang ID [ID…]       never answer batches holding these event_ids;
 *                       accept the others
 *   close               close the connection mid-request
 *   down                stop listening (connections refused)
 * Every event_id of an accepted batch is appended to DIR/events (with -T
 * followed by the arrival time in µs, CLOCK_REALTIME), duplicates
 * included; with -B every accepted body is appended to DIR/bodies, one a
 * line; every request adds a line to DIR/requests:
 *   STATUS COUNT auth=… count=… source=… type=… t=MS (arrival, wall clock)
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "avjson.h"

static struct evhttp		*http;
static struct evhttp_bound_socket *bound;
static int			 port, stamp, bodies;
static const char		*dir;
static char			 mode[4096];

/* Wall-clock µs. */
static long long
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Read DIR/mode (first line). */
static void
read_mode(void)
{
	char	 path[4096];
	FILE	*fp;

	snprintf(path, sizeof path, "%s/mode", dir);
	strcpy(mode, "200");
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(mode, sizeof mode, fp) == NULL)
		strcpy(mode, "200");
	mode[strcspn(mode, "\r\n")] = '\0';
	fclose(fp);
}

/* Listen or stop listening as the mode says. */
static void
apply_listen(void)
{
	int	down = strcmp(mode, "down") == 0;

	if (down && bound != NULL) {
		evhttp_del_accept_socket(http, bound);
		bound = NULL;
	} else if (!down && bound == NULL) {
		bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", port);
		if (bound == NULL)
			fprintf(stderr, "fake_gateway: cannot bind %d\n", port);
	}
}

/* Periodic look at the mode file. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	read_mode();
	apply_listen();
}

/* Append a line to DIR/name. */
static void
log_to(const char *name, const char *text)
{
	char	 path[4096];
	FILE	*fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fp = fopen(path, "a")) != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
}

/* Header value or "-". */
static const char *
hdr(struct evhttp_request *req, const char *name)
{
	const char	*v;

	v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	return v != NULL ? v : "-";
}

/* Is id listed in the mode line after its first word? */
static int
poisoned(const char *id)
{
	const char	*list = strchr(mode, ' '), *p;
	size_t		 len = strlen(id);

	if (list == NULL)
		return 0;
	p = ++list;
	while ((p = strstr(p, id)) != NULL) {
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == '\0' || p[len] == ' '))
			return 1;
		p += len;
	}
	return 0;
}

/* POST /api/v1/events/ingest */
static void
ingest_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct evbuffer		*out;
	struct json_object	*body, *events = NULL, *ev, *id;
	struct bufferevent	*bev;
	char			 line[8192], *ids;
	size_t			 len = evbuffer_get_length(in), i, n = 0, idlen = 0;
	long long		 t = now_us();
	int			 status = 200;

	read_mode();
	if (strcmp(mode, "hang") == 0) {
		snprintf(line, sizeof line, "hang 0 t=%lld\n", t / 1000);
		log_to("requests", line);
		return;
	}
	if (strcmp(mode, "close") == 0 || strcmp(mode, "down") == 0) {
		bev = evhttp_connection_get_bufferevent(
		    evhttp_request_get_connection(req));
		shutdown(bufferevent_getfd(bev), SHUT_RDWR);
		snprintf(line, sizeof line, "close 0 t=%lld\n", t / 1000);
		log_to("requests", line);
		return;
	}
	body = avjson_parse((const char *)evbuffer_pullup(in, -1), len, NULL);
	if (body == NULL ||
	    !json_object_object_get_ex(body, "events", &events) ||
	    !json_object_is_type(events, json_type_array)) {
		evhttp_send_reply(req, 400, "Bad Request", NULL);
		log_to("requests", "400 0\n");
		json_object_put(body);
		return;
	}
	n = json_object_array_length(events);
	if (strncmp(mode, "hang ", 5) == 0) {
		for (i = 0; i < n; i++) {
			ev = json_object_array_get_idx(events, i);
			if (json_object_object_get_ex(ev, "event_id", &id) &&
			    poisoned(json_object_get_string(id))) {
				snprintf(line, sizeof line, "hang %zu t=%lld\n",
				    n, t / 1000);
				log_to("requests", line);
				json_object_put(body);
				return;
			}
		}
	}
	out = evbuffer_new();
	if (strncmp(mode, "422 ", 4) == 0) {
		evbuffer_add_printf(out, "{\"detail\":[");
		for (i = 0; i < n; i++) {
			ev = json_object_array_get_idx(events, i);
			if (!json_object_object_get_ex(ev, "event_id", &id) ||
			    !poisoned(json_object_get_string(id)))
				continue;
			evbuffer_add_printf(out, "%s{\"loc\":[\"events\",%zu,"
			    "\"agent_id\"],\"msg\":\"poisoned by the test\","
			    "\"type\":\"value_error\"}", status == 422 ? "," :
			    "", i);
			status = 422;
		}
		evbuffer_add_printf(out, "]}");
		if (status != 422)
			evbuffer_drain(out, evbuffer_get_length(out));
	} else if (strncmp(mode, "429", 3) == 0) {
		status = 429;
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", mode[3] == ' ' ? mode + 4 : "1");
	} else if (atoi(mode) >= 300)
		status = atoi(mode);

	if (status == 200) {
		/* Record what was accepted, one event_id a line. */
		ids = malloc(n * 64 + 1);
		for (i = 0; i < n; i++) {
			ev = json_object_array_get_idx(events, i);
			if (!json_object_object_get_ex(ev, "event_id", &id))
				continue;
			if (stamp)
				idlen += snprintf(ids + idlen, 64, "%s %lld\n",
				    json_object_get_string(id), t);
			else
				idlen += snprintf(ids + idlen, 64, "%s\n",
				    json_object_get_string(id));
		}
		ids[idlen] = '\0';
		log_to("events", ids);
		free(ids);
		if (bodies) {
			char *copy = malloc(len + 2);

			memcpy(copy, evbuffer_pullup(in, -1), len);
			memcpy(copy + len, "\n", 2);
			log_to("bodies", copy);
			free(copy);
		}
		evbuffer_add_printf(out, "{\"status\":\"accepted\","
		    "\"accepted\":%zu,\"duplicates\":0}", n);
	} else if (evbuffer_get_length(out) == 0)
		evbuffer_add_printf(out, "{\"detail\":\"mode %s\"}", mode);
	snprintf(line, sizeof line, "%d %zu auth=%s count=%s source=%s "
	    "type=%s t=%lld\n", status, n, hdr(req, "Authorization"),
	    hdr(req, "X-Event-Count"), hdr(req, "X-Event-Source"),
	    hdr(req, "Content-Type"), t / 1000);
	log_to("requests", line);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Refused", out);
	evbuffer_free(out);
	json_object_put(body);
}

/* Anything else: 404. */
static void
other_cb(struct evhttp_request *req, void *arg)
{
	evhttp_send_reply(req, 404, "Not Found", NULL);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct event		*tick;
	struct timeval		 tv = { 0, 50 * 1000 };
	int			 ch;

	while ((ch = getopt(argc, argv, "p:d:TB")) != -1) {
		switch (ch) {
		case 'p': port = atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 'T': stamp = 1; break;
		case 'B': bodies = 1; break;
		default:
			fprintf(stderr, "usage: fake_gateway -p PORT -d DIR [-T]\n");
			return 2;
		}
	}
	if (port <= 0 || dir == NULL) {
		fprintf(stderr, "usage: fake_gateway -p PORT -d DIR [-T]\n");
		return 2;
	}
	if ((base = event_base_new()) == NULL || (http = evhttp_new(base)) ==
	    NULL)
		return 1;
	evhttp_set_max_body_size(http, 1024 * 1024);
	evhttp_set_cb(http, "/api/v1/events/ingest", ingest_cb, NULL);
	evhttp_set_gencb(http, other_cb, NULL);
	read_mode();
	apply_listen();
	if (bound == NULL && strcmp(mode, "down") != 0)
		return 1;
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &tv);
	event_base_dispatch(base);
	event_free(tick);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
