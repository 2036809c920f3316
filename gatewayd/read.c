/*
 * read.c: the read endpoints: stored events (GET /api/v1/events, paged
 * by since and next, never over max_response_bytes), agents, stats,
 * health, /metrics and the connection manager. routes.c has checked
 * each request's token and rate before it comes here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "access.h"
#include "buf.h"
#include "gateway.h"
#include "http.h"
#include "log.h"
#include "read.h"
#include "timefmt.h"

#define READ_LIMIT_DEFAULT	100
#define READ_LIMIT_MAX		1000

/* State of GET /api/v1/events while the store calls back. */
struct read_rows {
	struct gwbuf	b;
	int		n;
	int64_t		last;
	size_t		max;		/* max_response_bytes */
	int		cut;		/* stopped at max */
};

/* Append one stored event to the answer; stop before max_response_bytes. */
static int
read_events_row(void *arg, int64_t seq, const char *json, size_t len)
{
	struct read_rows	*r = arg;

	/* Room for the tail; a first event always goes, however large. */
	if (r->n > 0 && r->b.len + len + 64 > r->max) {
		r->cut = 1;
		return 1;
	}
	if (r->n++ > 0)
		gwbuf_add(&r->b, ",", 1);
	gwbuf_add(&r->b, json, len);
	r->last = seq;
	return 0;
}

/* GET /api/v1/events: stored events after since, ascending. */
int
read_events(struct gw *gw, struct lws *wsi, const struct access_who *who)
{
	struct store_query	 q;
	struct read_rows		 r;
	char			 type[64], agent[EVT_SHORT_MAX + 1];
	char			 session[EVT_SHORT_MAX + 1];
	char			 project[EVT_SHORT_MAX + 1];
	char			*cause = NULL;
	long long		 v;
	int			 rc;

	memset(&q, 0, sizeof q);
	q.type = -1;
	q.limit = READ_LIMIT_DEFAULT;
	switch (http_arg(wsi, "event_type=", type, sizeof type)) {
	case 1:
		if (type[0] == '\0' || (q.type = evt_type_lookup(type)) >= 0)
			break;
		/* FALLTHROUGH */
	case -1:
		return http_bad_query(wsi, "event_type", "unknown event type");
	}
	if ((rc = http_arg_int(wsi, "since=", &v)) < 0)
		return http_bad_query(wsi, "since", "want a sequence number");
	if (rc > 0)
		q.since = v;
	if ((rc = http_arg_int(wsi, "limit=", &v)) < 0 || (rc > 0 &&
	    (v < 1 || v > READ_LIMIT_MAX)))
		return http_bad_query(wsi, "limit", "want 1 to 1000");
	if (rc > 0)
		q.limit = (int)v;
	if ((q.agent_id = http_arg_str(wsi, "agent_id=", agent,
	    sizeof agent, &rc)) == NULL && rc < 0)
		return http_bad_query(wsi, "agent_id", "longer than 256 bytes");
	if ((q.session_id = http_arg_str(wsi, "session_id=", session,
	    sizeof session, &rc)) == NULL && rc < 0)
		return http_bad_query(wsi, "session_id", "longer than 256 bytes");
	if ((q.project = http_arg_str(wsi, "project=", project,
	    sizeof project, &rc)) == NULL && rc < 0)
		return http_bad_query(wsi, "project", "longer than 256 bytes");
	/* A token bound to a project decides it, whatever the query says. */
	if (who->project[0] != '\0')
		q.project = who->project;

	memset(&r, 0, sizeof r);
	r.max = (size_t)gw->conf.max_response_bytes;
	gwbuf_init(&r.b, 0);
	gwbuf_puts(&r.b, "{\"events\":[");
	if (store_query(gw->store, &q, read_events_row, &r, &cause) != 0) {
		gwbuf_free(&r.b);
		log_warnx_limited("events: %s", cause);
		free(cause);
		gw->m.store_errors++;
		return http_reply_error(wsi, 503, "store unavailable");
	}
	if (r.n == q.limit || r.cut)
		gwbuf_printf(&r.b, "],\"next\":%lld}", (long long)r.last);
	else
		gwbuf_puts(&r.b, "],\"next\":null}");
	rc = http_reply(wsi, 200, "application/json", gwbuf_data(&r.b),
	    r.b.len, NULL, NULL);
	gwbuf_free(&r.b);
	return rc;
}

/* GET /api/v1/agents: latest state per agent. */
int
read_agents(struct gw *gw, struct lws *wsi, const struct access_who *who)
{
	struct json_object	*a, *o;
	char			*cause = NULL;

	a = store_agents(gw->store, who->project[0] ? who->project : NULL,
	    &cause);
	if (a == NULL) {
		log_warnx_limited("agents: %s", cause);
		free(cause);
		gw->m.store_errors++;
		return http_reply_error(wsi, 503, "store unavailable");
	}
	o = json_object_new_object();
	json_object_object_add(o, "agents", a);
	return http_reply_json(wsi, 200, o, NULL, NULL);
}

/*
 * GET /api/v1/health: 200 "ok", or 503 "degraded" while the store
 * refuses writes (the last commit failed: a full disk, a lock held, a
 * database away), so that a load balancer stops sending ingest here.
 */
int
read_health(struct gw *gw, struct lws *wsi, const struct access_who *who)
{
	struct json_object	*o;
	int			 writable = gw->store_error[0] == '\0';

	o = json_object_new_object();
	json_object_object_add(o, "status",
	    json_object_new_string(writable ? "ok" : "degraded"));
	json_object_object_add(o, "store",
	    json_object_new_string(store_kind(gw->store)));
	json_object_object_add(o, "version",
	    json_object_new_string(PACKAGE_VERSION));
	/* Lets a dashboard ask for a token before it is refused for lack of one. */
	json_object_object_add(o, "auth", json_object_new_boolean(gw->auth_on));
	json_object_object_add(o, "last_seq",
	    json_object_new_int64(store_last_seq(gw->store)));
	json_object_object_add(o, "connections",
	    json_object_new_int64((int64_t)gw->nconns));
	json_object_object_add(o, "uptime_s", json_object_new_int64(
	    (ts_now_ms() - gw->started_ms) / 1000));
	json_object_object_add(o, "store_writable",
	    json_object_new_boolean(writable));
	json_object_object_add(o, "store_error", writable ? NULL :
	    json_object_new_string(gw->store_error));
	return http_reply_json(wsi, writable ? 200 : 503, o, NULL, NULL);
}

/* GET /metrics */
int
read_metrics(struct gw *gw, struct lws *wsi, const struct access_who *who)
{
	char	*text;
	size_t	 len;
	int	 rc;

	/* Every figure here is the gateway's whole: not for one project. */
	if (who->project[0] != '\0')
		return http_reply_error(wsi, 403, "metrics are the whole "
		    "gateway's: a token bound to a project cannot read them");
	text = metrics_text(gw, &len);
	rc = http_reply(wsi, 200, "text/plain; version=0.0.4", text, len,
	    NULL, NULL);
	free(text);
	return rc;
}

/*
 * GET /api/v1/events/stats. A token bound to a project sees the totals
 * of its project only: its agents' events (from the agents view, which
 * retention does not lower) and last_seq, which every client needs to go
 * live; the store's counts by type and the ingest and stream figures are
 * the whole gateway's, and left out.
 */
int
read_stats(struct gw *gw, struct lws *wsi, const struct access_who *who)
{
	struct json_object	*o, *agents, *a;
	char			*cause = NULL;
	int64_t			 total = 0;
	size_t			 i, n;

	if (who->project[0] == '\0')
		return http_reply_json(wsi, 200, metrics_stats(gw), NULL,
		    NULL);
	if ((agents = store_agents(gw->store, who->project, &cause)) == NULL) {
		log_warnx_limited("stats: %s", cause);
		free(cause);
		gw->m.store_errors++;
		return http_reply_error(wsi, 503, "store unavailable");
	}
	n = json_object_array_length(agents);
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(agents, i);
		total += json_object_get_int64(json_object_object_get(a,
		    "events"));
	}
	json_object_put(agents);
	o = json_object_new_object();
	json_object_object_add(o, "project",
	    json_object_new_string(who->project));
	json_object_object_add(o, "events_seen", json_object_new_int64(total));
	json_object_object_add(o, "last_seq",
	    json_object_new_int64(store_last_seq(gw->store)));
	return http_reply_json(wsi, 200, o, NULL, NULL);
}

/* GET /api/v1/agents/activity/connections: the connection manager. */
int
read_connections(struct gw *gw, struct lws *wsi, const struct access_who *who)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "count",
	    json_object_new_int64((int64_t)gw->nconns));
	json_object_object_add(o, "connections", stream_connections(gw));
	return http_reply_json(wsi, 200, o, NULL, NULL);
}

/* GET /api/v1/agents/activity/stream without the upgrade. */
int
read_stream_http(struct gw *gw, struct lws *wsi, const struct access_who *who)
{
	return http_reply_error(wsi, 426, "WebSocket upgrade required");
}
