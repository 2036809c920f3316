/*
 * routes.c: gatewayd's HTTP API (mounted at /api/v1 and /metrics): one
 * table says, for every endpoint, which methods it takes, what token it
 * needs and whether it spends the rate limit, and the router applies
 * that policy the same way for all before the handler (read.c, ingest.c)
 * sees the request. The WebSocket stream's upgrade is stream.c's.
 *
 * Every request is checked in this order: a URI that fits (400), the
 * Host (403, access.c), the path (404), the method (405 with Allow;
 * HEAD is taken wherever GET is, and answered without a body), the
 * token (401 with WWW-Authenticate, 403), the rate (429 with
 * Retry-After), then the handler's own checks.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "access.h"
#include "gateway.h"
#include "http.h"
#include "ingest.h"
#include "read.h"

/* Per-transaction state (lws zeroes it for every request). */
struct routes_pss {
	struct ingest_req	 in;
};

/* Methods, one bit each. HEAD goes wherever GET does (http.c). */
#define R_GET		(1u << LWSHUMETH_GET)
#define R_POST		(1u << LWSHUMETH_POST)

/* One endpoint and what it needs. */
struct route {
	const char		*path;
	unsigned		 methods;
	enum gw_tokkind		 token;		/* GW_TOK_NONE: anyone */
	int			 rate;		/* spends the rate limit */
	/* One of these handles it. */
	int	(*read)(struct gw *, struct lws *, const struct access_who *);
	int	(*ingest)(struct gw *, struct lws *, struct ingest_req *);
	/* Counts the router's own answers (ingest's metrics), or NULL. */
	void	(*count)(struct gw *, int);
};

/* Every endpoint. What reads the store spends the limit, as ingest does. */
static const struct route routes[] = {
	{ "/api/v1/events/ingest", R_POST, GW_TOK_INGEST, 1,
	    NULL, ingest_start, ingest_count },
	{ "/api/v1/events", R_GET, GW_TOK_USER, 1, read_events, NULL, NULL },
	{ "/api/v1/events/stats", R_GET, GW_TOK_USER, 0, read_stats, NULL,
	    NULL },
	{ "/api/v1/agents", R_GET, GW_TOK_USER, 1, read_agents, NULL, NULL },
	{ "/api/v1/agents/activity/connections", R_GET, GW_TOK_ADMIN, 0,
	    read_connections, NULL, NULL },
	{ "/api/v1/agents/activity/stream", R_GET, GW_TOK_USER, 0,
	    read_stream_http, NULL, NULL },
	{ "/api/v1/health", R_GET, GW_TOK_NONE, 0, read_health, NULL, NULL },
	{ "/metrics", R_GET, GW_TOK_USER, 0, read_metrics, NULL, NULL },
};

/* Size of the per-session data. */
size_t
routes_pss_size(void)
{
	return sizeof(struct routes_pss);
}

/* The route of path, or NULL. */
static const struct route *
routes_find(const char *path)
{
	size_t	i;

	for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(routes[i].path, path) == 0)
			return &routes[i];
	return NULL;
}

/* The Allow header of a route: its methods. */
static const char *
routes_allow(const struct route *r)
{
	return r->methods == R_POST ? "POST" : "GET, HEAD";
}

/* Answer the router's refusal of r's request: counted, then done. */
static int
routes_refuse(struct gw *gw, struct lws *wsi, const struct route *r,
    int status, const char *msg, const char *hname, const char *hval)
{
	if (r != NULL && r->count != NULL)
		r->count(gw, status);
	if (http_reply_json(wsi, status, http_detail_str(msg), hname,
	    hval) != 0)
		return -1;
	return http_done(wsi);
}

/* Route a request whose headers are complete. */
static int
routes_request(struct gw *gw, struct lws *wsi, struct routes_pss *pss)
{
	const struct route	*r;
	struct access_who	 who;
	const char		*msg;
	char			*uri, path[256], num[16], why[64];
	int			 meth, ulen, status, wait, rc;

	meth = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	if (meth < 0 || ulen <= 0 || (size_t)ulen >= sizeof path)
		return routes_refuse(gw, wsi, NULL, 400, "bad request", NULL,
		    NULL);
	memcpy(path, uri, (size_t)ulen);
	path[ulen] = '\0';
	while (ulen > 1 && path[ulen - 1] == '/')
		path[--ulen] = '\0';
	r = routes_find(path);
	if (!access_host_ok(gw, wsi))
		return routes_refuse(gw, wsi, r, 403, ACCESS_HOST_REFUSED,
		    NULL, NULL);
	if (r == NULL)
		return routes_refuse(gw, wsi, NULL, 404, "Not Found", NULL,
		    NULL);
	if (meth == LWSHUMETH_HEAD && (r->methods & R_GET))
		meth = LWSHUMETH_GET;
	if (meth >= 32 || !(r->methods & (1u << meth)))
		return routes_refuse(gw, wsi, r, 405, "Method Not Allowed",
		    "allow:", routes_allow(r));
	if (r->token != GW_TOK_NONE &&
	    (status = access_who(gw, wsi, r->token, &who, &msg)) != 0)
		return routes_refuse(gw, wsi, r, status, msg, status == 401 ?
		    "www-authenticate:" : NULL, "Bearer");
	if (r->rate && (wait = access_rate(gw, wsi, &who)) != 0) {
		snprintf(num, sizeof num, "%d", wait);
		snprintf(why, sizeof why, "rate limit: retry in %d s", wait);
		return routes_refuse(gw, wsi, r, 429, why, "retry-after:",
		    num);
	}
	if (r->ingest != NULL) {
		pss->in.collectord = who.collectord;
		return r->ingest(gw, wsi, &pss->in);
	}
	if (r->token == GW_TOK_NONE)
		memset(&who, 0, sizeof who);
	rc = r->read(gw, wsi, &who);
	return rc != 0 ? -1 : http_done(wsi);
}

/* The API protocol callback. */
int
routes_callback(struct lws *wsi, int reason, void *user, void *in,
    size_t len)
{
	struct routes_pss	*pss = user;
	struct gw		*gw;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return -1;	/* not a WebSocket subprotocol */
	case LWS_CALLBACK_HTTP:
		if (ingest_pipelined(gw_from_wsi(wsi), wsi))
			return -1;
		return routes_request(gw_from_wsi(wsi), wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		if (pss == NULL || !pss->in.ingest)
			return 0;
		return ingest_body(gw_from_wsi(wsi), wsi, &pss->in, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss == NULL || !pss->in.ingest)
			break;
		gw = gw_from_wsi(wsi);
		return ingest_finish(gw, wsi, &pss->in);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss == NULL || !ingest_answer_ready(&pss->in))
			break;
		return ingest_reply(gw_from_wsi(wsi), wsi, &pss->in);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss != NULL)
			ingest_body_done(gw_from_wsi(wsi), &pss->in);
		ingest_wait_drop(gw_from_wsi(wsi), wsi,
		    pss != NULL ? &pss->in : NULL,
		    reason == LWS_CALLBACK_CLOSED_HTTP);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason,
	    user, in, len);
}
