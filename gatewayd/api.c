/*
 * api.c: the HTTP API (mounted at /api/v1 and /metrics): ingest, the read
 * endpoints, health and metrics, and the auth and limits in front of
 * them.
 *
 * Ingest is checked in the order a client can act on: token (401/403),
 * rate (429), media type (415), framing (411), size (413, answered
 * before reading the body so a huge body costs nothing), then the body
 * itself (400, 422), then the store (503).
 *
 * A valid batch goes to the writer thread (writer.h) and the request
 * waits: its answer is written only once the batch is committed and
 * broadcast, from the connection's writable callback (the memory and
 * PostgreSQL stores store at once, but their answer, like that of a bad
 * body, goes out the same way: see api_ingest_finish). The connection may
 * close meanwhile, so the waiting request is an api_wait on gw->waits,
 * found again by its id (a wsi pointer may be reused by then) and
 * removed when lws closes or rebinds the connection.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

#include "api.h"
#include "avjson.h"
#include "buf.h"
#include "gateway.h"
#include "ingest.h"
#include "log.h"
#include "ratelimit.h"
#include "timefmt.h"
#include "writer.h"
#include "xmalloc.h"

#define API_LIMIT_DEFAULT	100
#define API_LIMIT_MAX		1000

/* An ingest request whose batch is with the writer. */
struct api_wait {
	TAILQ_ENTRY(api_wait)	 entry;
	uint64_t		 id;
	struct lws		*wsi;		/* alive while on gw->waits */
	struct json_object	*reply;		/* NULL until committed */
	int			 status;
	const char		*hname, *hval;	/* static strings, or NULL */
	int			 orphan;	/* lws moved on: never answered */
	int64_t			 t0;		/* body complete, ts_mono_us */
};

/* A batch on its way through the writer (wj first: the writer hands it back). */
struct api_job {
	struct writer_job	 wj;
	struct ingest_batch	 b;
	size_t			 bytes;		/* body length, in gw->backlog */
};

/* Per-transaction state (lws zeroes it for every request). */
struct api_pss {
	char		*body;
	size_t		 len, cap;
	long long	 count;		/* X-Event-Count, -1 = absent */
	int		 ingest;	/* collecting an ingest body */
	struct api_wait	*wait;		/* waiting for the writer */
	size_t		 want;		/* Content-Length */
	int64_t		 deadline;	/* the whole body by then (ts_mono_us) */
};

/* Size of the per-session data. */
size_t
api_pss_size(void)
{
	return sizeof(struct api_pss);
}

/* Write status, headers and body. */
int
api_reply(struct lws *wsi, int status, const char *ctype, const char *body,
    size_t len, const char *hname, const char *hval)
{
	unsigned char	 hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE;
	unsigned char	*p = start, *end = hdr + sizeof hdr - 1;
	unsigned char	*out;
	int		 n;

	if (lws_add_http_common_headers(wsi, (unsigned)status, ctype,
	    (lws_filepos_t)len, &p, end) != 0)
		return -1;
	if (lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"cache-control:",
	    (const unsigned char *)"no-store", 8, &p, end) != 0)
		return -1;
	if (hname != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)hname, (const unsigned char *)hval,
	    (int)strlen(hval), &p, end) != 0)
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end) != 0)
		return -1;
	if (len == 0)
		return 0;
	out = xmalloc(LWS_PRE + len);
	memcpy(out + LWS_PRE, body, len);
	n = lws_write(wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
	free(out);
	return n < 0 ? -1 : 0;
}

/* Answer a JSON object and put it. */
static int
api_reply_json(struct lws *wsi, int status, struct json_object *o,
    const char *hname, const char *hval)
{
	const char	*s;
	size_t		 len;
	int		 rc;

	s = avjson_str(o, &len);
	rc = api_reply(wsi, status, "application/json", s, len, hname, hval);
	json_object_put(o);
	return rc;
}

/* {"detail": msg} */
int
api_reply_error(struct lws *wsi, int status, const char *msg)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "detail", json_object_new_string(msg));
	return api_reply_json(wsi, status, o, NULL, NULL);
}

/*
 * A query argument's value (lws copies "name=value" whole). The buffer
 * holds any fragment lws can have (its headers, URI included, fit in
 * 4096 bytes): lws_get_urlarg_by_name gives up at the first fragment
 * that does not fit, and so a long dummy argument would hide the ones
 * after it.
 */
int
api_arg(struct lws *wsi, const char *name, char *out, size_t outlen)
{
	char	 frag[4096 + 1];
	const char *v;

	v = lws_get_urlarg_by_name(wsi, name, frag, sizeof frag);
	if (v == NULL)
		return 0;
	if (strlen(v) >= outlen)
		return -1;
	strcpy(out, v);
	return 1;
}

/* The bearer token of the request, or of token= when allowed. */
static int
api_token(struct lws *wsi, int query_ok, char *buf, size_t len)
{
	char	hdr[512];

	buf[0] = '\0';
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0) {
		/* Present: a header too long to copy is a bad one. */
		if (lws_hdr_copy(wsi, hdr, sizeof hdr,
		    WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
			return -1;
		if (strncasecmp(hdr, "Bearer ", 7) != 0)
			return -1;
		if (strlen(hdr + 7) >= len)
			return -1;
		strcpy(buf, hdr + 7);
		return 0;
	}
	if (query_ok && api_arg(wsi, "token=", buf, len) != 1)
		buf[0] = '\0';
	return 0;
}

/* Decide who is asking. */
int
api_who(struct gw *gw, struct lws *wsi, enum gw_tokkind need,
    struct api_who *who, const char **msg)
{
	const struct gw_token	*t;
	char			 tok[300], quser[EVT_SHORT_MAX + 1];
	int			 has_quser;

	memset(who, 0, sizeof *who);
	switch (api_arg(wsi, "user_id=", quser, sizeof quser)) {
	case -1:
		*msg = "user_id: longer than 256 bytes";
		return 400;
	case 1:
		has_quser = quser[0] != '\0';
		break;
	default:
		has_quser = 0;
		break;
	}
	if (!gw->auth_on) {
		/* Loopback without tokens: the seed's trust model. */
		who->admin = 1;
		strcpy(who->user, has_quser ? quser : "anonymous");
		return 0;
	}
	if (api_token(wsi, need != GW_TOK_INGEST, tok, sizeof tok) != 0) {
		*msg = "Authorization: want Bearer TOKEN";
		return 401;
	}
	if (tok[0] == '\0') {
		*msg = "missing token";
		return 401;
	}
	if ((t = auth_find(&gw->auth, tok)) == NULL) {
		*msg = "unknown token";
		return 401;
	}
	snprintf(who->ratekey, sizeof who->ratekey, "t:%zu",
	    (size_t)(t - gw->auth.v));
	switch (need) {
	case GW_TOK_INGEST:
		if (t->kind != GW_TOK_INGEST) {
			*msg = "not an ingest token";
			return 403;
		}
		strcpy(who->user, "ingest");
		return 0;
	case GW_TOK_ADMIN:
		if (t->kind != GW_TOK_ADMIN) {
			*msg = "not an admin token";
			return 403;
		}
		who->admin = 1;
		strcpy(who->user, has_quser ? quser : "admin");
		return 0;
	case GW_TOK_USER:
		if (t->kind == GW_TOK_ADMIN) {
			who->admin = 1;
			strcpy(who->user, has_quser ? quser : "admin");
			return 0;
		}
		if (t->kind != GW_TOK_USER) {
			*msg = "not a user token";
			return 403;
		}
		if (has_quser && strcmp(quser, t->user) != 0) {
			*msg = "user_id is not the token's user";
			return 403;
		}
		snprintf(who->user, sizeof who->user, "%s", t->user);
		if (t->project != NULL)
			snprintf(who->project, sizeof who->project, "%s",
			    t->project);
		return 0;
	}
	*msg = "forbidden";
	return 403;
}

/*
 * DNS rebinding: without tokens, on loopback, a web page from a name made
 * to resolve to 127.0.0.1 would be same-origin with gatewayd in the
 * browser of anyone on this machine, and could read everything. Every
 * browser sends Host, so it must name a loopback host or the host of one
 * of allow_origins. With tokens, or beyond loopback (--insecure), any
 * Host is served.
 */
int
api_host_ok(struct gw *gw, struct lws *wsi)
{
	char	host[256];
	size_t	i;

	if (gw->auth_on || !gw->loopback)
		return 1;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HOST) <= 0)
		return 1;	/* HTTP/1.0 and scripts: not a browser */
	if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
		return 0;
	if (gwconf_is_loopback_host(host))
		return 1;
	for (i = 0; i < gw->conf.allow_origins.n; i++)
		if (gwconf_origin_host_is(gw->conf.allow_origins.v[i], host))
			return 1;
	return 0;
}

/* Spend one request of the address and of the token; 0 or seconds to wait. */
int
api_rate(struct gw *gw, struct lws *wsi, const struct api_who *who)
{
	char	addr[64], key[80];
	int	wait;

	lws_get_peer_simple(wsi, addr, sizeof addr);
	snprintf(key, sizeof key, "a:%s", addr);
	wait = ratelimit_take(gw->rl, key, ts_mono_us());
	if (wait == 0 && who->ratekey[0] != '\0')
		wait = ratelimit_take(gw->rl, who->ratekey, ts_mono_us());
	return wait;
}

/* Answer 429: wait seconds before trying again. 0 or -1. */
int
api_reply_rate(struct lws *wsi, int wait)
{
	char	num[16];

	snprintf(num, sizeof num, "%d", wait);
	return api_reply_json(wsi, 429, ingest_error("rate limit: retry in "
	    "%d s", wait), "retry-after:", num);
}

/* Finish a transaction: 0 keeps the connection, -1 closes it. */
static int
api_done(struct lws *wsi)
{
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Count an ingest answer and send it. */
static int
api_ingest_answer(struct gw *gw, struct lws *wsi, int status,
    struct json_object *o, const char *hname, const char *hval)
{
	gw->m.ingest_requests[gw_status_slot(status)]++;
	if (status != 200)
		log_debug("ingest: %d %s", status, avjson_str(o, NULL));
	return api_reply_json(wsi, status, o, hname, hval);
}

/* Is the request's Content-Type application/json (any parameters)? */
static int
api_is_json(struct lws *wsi)
{
	char	ct[128];
	size_t	n = strlen("application/json");

	if (lws_hdr_copy(wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE) <= 0)
		return 0;
	return strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Answer "100 Continue" ourselves: lws 4.1.6 never does. */
static int
api_continue(struct lws *wsi)
{
	static const char	 cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	unsigned char		 buf[LWS_PRE + sizeof cont];
	char			 ex[64];

	if (lws_hdr_copy(wsi, ex, sizeof ex, WSI_TOKEN_HTTP_EXPECT) <= 0 ||
	    strcasecmp(ex, "100-continue") != 0)
		return 0;
	memcpy(buf + LWS_PRE, cont, sizeof cont - 1);
	return lws_write(wsi, buf + LWS_PRE, sizeof cont - 1,
	    LWS_WRITE_HTTP) < 0 ? -1 : 0;
}

/* The 200 answer to a stored batch. */
static struct json_object *
api_ingest_accepted(const struct ingest_batch *b, int stored, int64_t first,
    int64_t last)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("accepted"));
	json_object_object_add(o, "batch_id",
	    json_object_new_string(b->batch_id));
	json_object_object_add(o, "accepted", json_object_new_int(stored));
	json_object_object_add(o, "duplicates",
	    json_object_new_int((int)(b->n - (size_t)stored)));
	json_object_object_add(o, "first_seq",
	    first ? json_object_new_int64(first) : NULL);
	json_object_object_add(o, "last_seq",
	    last ? json_object_new_int64(last) : NULL);
	return o;
}

static int	api_ingest_reply(struct gw *, struct lws *, struct api_pss *);
static void	api_wait_free(struct gw *, struct api_wait *);
static void	api_ingest_wake(struct gw *, uint64_t, int, struct json_object *,
		    const char *, const char *);
static void	api_ingest_committed(struct gw *, struct api_job *);

/* Free a job whose answer is made. */
static void
api_job_free(struct api_job *j)
{
	free(j->wj.cause);
	store_batch_free(j->wj.batch);
	ingest_batch_free(&j->b);
	free(j);
}

/*
 * 1 if a body of len bytes must be refused because the writer is behind:
 * it already holds more than max_ingest_backlog bytes of bodies. A body
 * always goes to an idle writer, so a limit below max_body_bytes slows
 * ingest down but never stops it. Logged when refusing starts; the end
 * is logged by api_ingest_collect.
 */
static int
api_ingest_busy(struct gw *gw, size_t len)
{
	long long	cap = gw->conf.max_ingest_backlog;

	if (gw->writer == NULL || cap == 0 || gw->backlog == 0 ||
	    gw->backlog + len <= (unsigned long long)cap)
		return 0;
	if (gw->busy++ == 0)
		log_warnx("ingest: the store is behind, %zu bytes wait for "
		    "it (max_ingest_backlog %lld): answering 503", gw->backlog,
		    cap);
	return 1;
}

/* Parse a complete ingest body; hand a valid batch to the writer. */
static int
api_ingest_finish(struct gw *gw, struct lws *wsi, struct api_pss *pss)
{
	struct ingest_batch	 b;
	struct json_object	*reply;
	struct api_job		*j;
	struct api_wait		*w;
	size_t			 len;
	int			 status;

	/*
	 * Every answer to a body goes out from the writable callback, never
	 * from this one: lws 4.1.6, given a request pipelined behind one
	 * answered here, mangled its body and then spun at 100 % CPU for
	 * good. Answered later, a pipelined request finds this one pending
	 * and closes the connection (api_pipelined).
	 */
	w = xcalloc(1, sizeof *w);
	w->id = ++gw->next_wait;
	w->wsi = wsi;
	w->t0 = ts_mono_us();
	TAILQ_INSERT_TAIL(&gw->waits, w, entry);
	pss->wait = w;

	if (api_ingest_busy(gw, pss->len)) {
		free(pss->body);
		pss->body = NULL;
		pss->ingest = 0;
		reply = ingest_error("store busy: %zu bytes of ingest wait to be "
		    "stored (max_ingest_backlog %lld); retry later", gw->backlog,
		    gw->conf.max_ingest_backlog);
		api_ingest_wake(gw, w->id, 503, reply, "retry-after:", "1");
		return 0;
	}
	len = pss->len;
	status = ingest_parse(pss->body, pss->len, pss->count, &b, &reply);
	free(pss->body);
	pss->body = NULL;
	pss->ingest = 0;
	if (status != 0) {
		if (status == 422)
			gw->m.ingest_rejected += (uint64_t)json_object_get_int64(
			    json_object_object_get(reply, "rejected"));
		api_ingest_wake(gw, w->id, status, reply, NULL, NULL);
		return 0;
	}
	if (b.n == 0) {
		/* Nothing to store. */
		reply = api_ingest_accepted(&b, 0, 0, 0);
		ingest_batch_free(&b);
		api_ingest_wake(gw, w->id, 200, reply, NULL, NULL);
		return 0;
	}

	j = xcalloc(1, sizeof *j);
	j->b = b;
	j->wj.id = w->id;
	if ((j->wj.batch = store_batch_new(b.evs, b.n, &j->wj.cause)) ==
	    NULL) {
		j->wj.stored = -1;
		api_ingest_committed(gw, j);
		api_job_free(j);
		return 0;
	}
	j->bytes = len;
	gw->backlog += len;
	writer_submit(gw->writer, &j->wj);
	return 0;
}

/*
 * Count the answer to the body of the request waiting as id, and give it
 * to the request if that is still there.
 */
static void
api_ingest_wake(struct gw *gw, uint64_t id, int status,
    struct json_object *reply, const char *hname, const char *hval)
{
	struct api_wait	*w;

	gw->m.ingest_requests[gw_status_slot(status)]++;
	if (status != 200)
		log_debug("ingest: %d %s", status, avjson_str(reply, NULL));

	/* Answers come in submission order: the one wanted is near the head. */
	TAILQ_FOREACH(w, &gw->waits, entry)
		if (w->id == id)
			break;
	if (w != NULL)
		metrics_observe(&gw->m.ingest_latency, ts_mono_us() - w->t0);
	if (w == NULL || w->orphan) {
		log_debug("ingest: request %llu gone before its answer",
		    (unsigned long long)id);
		json_object_put(reply);
		if (w != NULL && w->wsi == NULL)
			api_wait_free(gw, w);	/* its connection closed */
		else if (w != NULL)
			w->status = status;	/* freed when it closes */
		return;
	}
	w->status = status;
	w->reply = reply;
	w->hname = hname;
	w->hval = hval;
	lws_callback_on_writable(w->wsi);
}

/* Count, broadcast and answer one batch back from the writer. */
static void
api_ingest_committed(struct gw *gw, struct api_job *j)
{
	struct writer_job	*wj = &j->wj;
	struct json_object	*reply;
	const int64_t		*seqs;
	int64_t			 first = 0, last = 0;
	size_t			 i;

	if (!wj->shared)
		metrics_observe(&gw->m.store_latency, wj->us);
	if (wj->stored < 0) {
		log_warnx("ingest: store: %s", wj->cause);
		gw->m.store_errors++;
		reply = ingest_error("store unavailable: %s", wj->cause);
		api_ingest_wake(gw, wj->id, 503, reply, "retry-after:", "1");
		return;
	}
	seqs = wj->batch->seqs;
	for (i = 0; i < j->b.n; i++) {
		if (seqs[i] == 0)
			continue;
		if (first == 0)
			first = seqs[i];
		last = seqs[i];
		gw->m.ingest_by_type[wj->batch->recs[i].ev.type]++;
	}
	gw->m.ingest_events += (uint64_t)wj->stored;
	gw->m.ingest_duplicates += j->b.n - (size_t)wj->stored;
	stream_broadcast(gw, j->b.evs, j->b.n, wj->batch);
	if (last > gw->bcast_seq)
		gw->bcast_seq = last;
	log_debug("ingest: batch %s: %d stored, %zu duplicates", j->b.batch_id,
	    wj->stored, j->b.n - (size_t)wj->stored);
	reply = api_ingest_accepted(&j->b, wj->stored, first, last);
	api_ingest_wake(gw, wj->id, 200, reply, NULL, NULL);
}

/* Collect what the writer finished, in commit (= seq) order. */
void
api_ingest_collect(struct gw *gw)
{
	struct writer_job	*wj;
	struct api_job		*j;

	if (gw->writer == NULL)
		return;
	while ((wj = writer_take(gw->writer)) != NULL) {
		j = (struct api_job *)wj;
		gw->backlog -= j->bytes;
		api_ingest_committed(gw, j);
		api_job_free(j);
	}
	if (gw->busy != 0 && gw->backlog <=
	    (unsigned long long)gw->conf.max_ingest_backlog / 2) {
		log_warnx("ingest: the store caught up, %zu bytes wait for it; "
		    "%llu requests were answered 503", gw->backlog,
		    (unsigned long long)gw->busy);
		gw->busy = 0;
	}
}

/* Write the answer of a committed batch; the transaction ends. */
static int
api_ingest_reply(struct gw *gw, struct lws *wsi, struct api_pss *pss)
{
	struct api_wait	*w = pss->wait;
	int		 rc;

	TAILQ_REMOVE(&gw->waits, w, entry);
	pss->wait = NULL;
	rc = api_reply_json(wsi, w->status, w->reply, w->hname, w->hval);
	free(w);
	if (rc != 0)
		return -1;
	return api_done(wsi);
}

/* Take w off the list and free it. */
static void
api_wait_free(struct gw *gw, struct api_wait *w)
{
	TAILQ_REMOVE(&gw->waits, w, entry);
	if (w->reply != NULL)
		json_object_put(w->reply);
	free(w);
}

/*
 * The transaction ends before its answer went out. On a close the answer
 * has nowhere to go. On a rebind (lws went on to a pipelined request on
 * the same connection) it can no longer come in order: the wait stays,
 * an orphan, so that api_pipelined() closes the connection rather than
 * answer the next request first. Either way the batch is still stored.
 */
static void
api_wait_drop(struct gw *gw, struct lws *wsi, struct api_pss *pss,
    int closing)
{
	struct api_wait	*w, *next;

	if (pss != NULL && (w = pss->wait) != NULL) {
		pss->wait = NULL;
		if (closing)
			api_wait_free(gw, w);
		else {
			w->orphan = 1;
			if (w->reply != NULL) {
				json_object_put(w->reply);
				w->reply = NULL;
			}
		}
	}
	if (!closing)
		return;
	for (w = TAILQ_FIRST(&gw->waits); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->wsi != wsi || !w->orphan)
			continue;
		if (w->status != 0)
			api_wait_free(gw, w);	/* committed already */
		else
			w->wsi = NULL;		/* api_ingest_wake frees it */
	}
}

/*
 * A new request on a connection whose previous answer is still due: HTTP
 * pipelining, which lws 4.1.6 lets through before the answer. Answering
 * out of order would tell the client one batch's fate for another's.
 */
static int
api_pipelined(struct gw *gw, struct lws *wsi)
{
	struct api_wait	*w;

	TAILQ_FOREACH(w, &gw->waits, entry) {
		if (w->wsi == wsi && w->orphan) {
			log_warnx("ingest: a request pipelined behind an "
			    "unanswered one: closing the connection (the "
			    "earlier batch is stored; a retry is a duplicate)");
			return 1;
		}
	}
	return 0;
}

/* At exit, after lws closed every connection: free what still waits. */
void
api_ingest_forget(struct gw *gw)
{
	struct api_wait	*w;

	while ((w = TAILQ_FIRST(&gw->waits)) != NULL) {
		TAILQ_REMOVE(&gw->waits, w, entry);
		if (w->reply != NULL)
			json_object_put(w->reply);
		free(w);
	}
}

/* Headers of an ingest request are in: check everything but the body. */
static int
api_ingest_start(struct gw *gw, struct lws *wsi, struct api_pss *pss)
{
	struct api_who	 who;
	const char	*msg;
	char		 num[32], *ep;
	long long	 cl;
	int		 status, wait;
	struct json_object *o;
	struct ingest_batch b;

	if ((status = api_who(gw, wsi, GW_TOK_INGEST, &who, &msg)) != 0) {
		if (api_ingest_answer(gw, wsi, status, ingest_error("%s", msg),
		    status == 401 ? "www-authenticate:" : NULL, "Bearer") != 0)
			return -1;
		return api_done(wsi);
	}
	if ((wait = api_rate(gw, wsi, &who)) != 0) {
		snprintf(num, sizeof num, "%d", wait);
		if (api_ingest_answer(gw, wsi, 429, ingest_error("rate limit: "
		    "retry in %d s", wait), "retry-after:", num) != 0)
			return -1;
		return api_done(wsi);
	}
	if (!api_is_json(wsi)) {
		if (api_ingest_answer(gw, wsi, 415, ingest_error(
		    "Content-Type must be application/json"), NULL, NULL) != 0)
			return -1;
		return api_done(wsi);
	}
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		/* lws 4.1.6 does not de-chunk request bodies: refuse, close. */
		api_ingest_answer(gw, wsi, 411, ingest_error("chunked bodies "
		    "are not accepted: send Content-Length"), "connection:",
		    "close");
		return -1;
	}
	if (lws_hdr_copy(wsi, num, sizeof num,
	    WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
		if (api_ingest_answer(gw, wsi, 411, ingest_error(
		    "Content-Length required"), NULL, NULL) != 0)
			return -1;
		return api_done(wsi);
	}
	cl = strtoll(num, &ep, 10);
	if (*ep != '\0' || cl < 0) {
		api_ingest_answer(gw, wsi, 400, ingest_error("bad "
		    "Content-Length"), "connection:", "close");
		return -1;
	}
	if (cl > gw->conf.max_body_bytes) {
		/* Early: the body is drained by lws, never stored. */
		o = ingest_error("body of %lld bytes is over max_body_bytes "
		    "(%lld)", cl, gw->conf.max_body_bytes);
		if (api_ingest_answer(gw, wsi, 413, o, NULL, NULL) != 0)
			return -1;
		return api_done(wsi);
	}
	pss->count = -1;
	if (lws_hdr_custom_copy(wsi, num, sizeof num, "x-event-count:", 14) >
	    0) {
		pss->count = strtoll(num, &ep, 10);
		if (*ep != '\0' || pss->count < 0 || num[0] == '\0') {
			if (api_ingest_answer(gw, wsi, 400, ingest_error(
			    "X-Event-Count: want a number"), NULL, NULL) != 0)
				return -1;
			return api_done(wsi);
		}
	}
	if (cl == 0) {
		/* No body follows: answered here, like the checks above. */
		status = ingest_parse("", 0, pss->count, &b, &o);
		if (status == 0) {
			ingest_batch_free(&b);
			status = 400;
			o = ingest_error("empty body");
		}
		if (api_ingest_answer(gw, wsi, status, o, NULL, NULL) != 0)
			return -1;
		return api_done(wsi);
	}
	/* The buffer grows as the body comes: a promise costs nothing. */
	pss->want = (size_t)cl;
	pss->len = pss->cap = 0;
	pss->body = NULL;
	pss->deadline = ts_mono_us() + gw->conf.body_timeout * 1000;
	pss->ingest = 1;
	if (api_continue(wsi) != 0)
		return -1;
	return 0;
}

/*
 * A piece of an ingest body. lws times out a connection that stops
 * sending, but re-arms that timeout on every piece: a body dribbled a
 * byte at a time would hold its connection for ever, so the whole body
 * must come within body_timeout. -1 closes the connection.
 */
static int
api_ingest_body(struct gw *gw, struct lws *wsi, struct api_pss *pss,
    const void *in, size_t len)
{
	char	addr[64];
	size_t	ncap;

	if (len > pss->want - pss->len)
		return -1;	/* more than Content-Length said */
	if (ts_mono_us() > pss->deadline) {
		lws_get_peer_simple(wsi, addr, sizeof addr);
		log_info("ingest: %s sent %zu of %zu bytes in %lld ms "
		    "(body_timeout): closing", addr, pss->len, pss->want,
		    gw->conf.body_timeout);
		return -1;
	}
	if (pss->len + len > pss->cap) {
		ncap = pss->cap ? pss->cap * 2 : 65536;
		if (ncap < pss->len + len)
			ncap = pss->len + len;
		if (ncap > pss->want)
			ncap = pss->want;
		pss->body = xreallocarray(pss->body, ncap + 1, 1);
		pss->cap = ncap;
	}
	memcpy(pss->body + pss->len, in, len);
	pss->len += len;
	return 0;
}

/* Answer 422 for a bad query parameter. */
static int
api_bad_query(struct lws *wsi, const char *name, const char *msg)
{
	struct json_object	*o, *d, *e, *loc;

	loc = json_object_new_array();
	json_object_array_add(loc, json_object_new_string("query"));
	json_object_array_add(loc, json_object_new_string(name));
	e = json_object_new_object();
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(
	    "value_error"));
	d = json_object_new_array();
	json_object_array_add(d, e);
	o = json_object_new_object();
	json_object_object_add(o, "detail", d);
	return api_reply_json(wsi, 422, o, NULL, NULL);
}

/* State of GET /api/v1/events while the store calls back. */
struct api_rows {
	struct gwbuf	b;
	int		n;
	int64_t		last;
	size_t		max;		/* max_response_bytes */
	int		cut;		/* stopped at max */
};

/* Append one stored event to the answer; stop before max_response_bytes. */
static int
api_events_row(void *arg, int64_t seq, const char *json, size_t len)
{
	struct api_rows	*r = arg;

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

/* Read a non-negative integer query argument; 0 absent, 1 set, -1 bad. */
int
api_arg_int(struct lws *wsi, const char *name, long long *v)
{
	char	buf[32], *ep;

	switch (api_arg(wsi, name, buf, sizeof buf)) {
	case 0:
		return 0;
	case -1:
		return -1;
	}
	errno = 0;
	*v = strtoll(buf, &ep, 10);
	if (buf[0] == '\0' || *ep != '\0' || *v < 0 || errno != 0)
		return -1;
	return 1;
}

/*
 * A filter argument: out when present and not empty, else NULL with *rc
 * 0 (absent or empty) or -1 (too long: the caller answers 422, for a
 * filter dropped in silence would answer with every event).
 */
static const char *
api_arg_str(struct lws *wsi, const char *name, char *out, size_t outlen,
    int *rc)
{
	*rc = api_arg(wsi, name, out, outlen);
	if (*rc == 1 && out[0] != '\0')
		return out;
	if (*rc == 1)
		*rc = 0;
	return NULL;
}

/* GET /api/v1/events: stored events after since, ascending. */
static int
api_events(struct gw *gw, struct lws *wsi, const struct api_who *who)
{
	struct store_query	 q;
	struct api_rows		 r;
	char			 type[64], agent[EVT_SHORT_MAX + 1];
	char			 session[EVT_SHORT_MAX + 1];
	char			 project[EVT_SHORT_MAX + 1];
	char			*cause = NULL;
	long long		 v;
	int			 rc;

	memset(&q, 0, sizeof q);
	q.type = -1;
	q.limit = API_LIMIT_DEFAULT;
	switch (api_arg(wsi, "event_type=", type, sizeof type)) {
	case 1:
		if (type[0] == '\0' || (q.type = evt_type_lookup(type)) >= 0)
			break;
		/* FALLTHROUGH */
	case -1:
		return api_bad_query(wsi, "event_type", "unknown event type");
	}
	if ((rc = api_arg_int(wsi, "since=", &v)) < 0)
		return api_bad_query(wsi, "since", "want a sequence number");
	if (rc > 0)
		q.since = v;
	if ((rc = api_arg_int(wsi, "limit=", &v)) < 0 || (rc > 0 &&
	    (v < 1 || v > API_LIMIT_MAX)))
		return api_bad_query(wsi, "limit", "want 1 to 1000");
	if (rc > 0)
		q.limit = (int)v;
	if ((q.agent_id = api_arg_str(wsi, "agent_id=", agent,
	    sizeof agent, &rc)) == NULL && rc < 0)
		return api_bad_query(wsi, "agent_id", "longer than 256 bytes");
	if ((q.session_id = api_arg_str(wsi, "session_id=", session,
	    sizeof session, &rc)) == NULL && rc < 0)
		return api_bad_query(wsi, "session_id", "longer than 256 bytes");
	if ((q.project = api_arg_str(wsi, "project=", project,
	    sizeof project, &rc)) == NULL && rc < 0)
		return api_bad_query(wsi, "project", "longer than 256 bytes");
	/* A token bound to a project decides it, whatever the query says. */
	if (who->project[0] != '\0')
		q.project = who->project;

	memset(&r, 0, sizeof r);
	r.max = (size_t)gw->conf.max_response_bytes;
	gwbuf_init(&r.b, 0);
	gwbuf_puts(&r.b, "{\"events\":[");
	if (store_query(gw->store, &q, api_events_row, &r, &cause) != 0) {
		gwbuf_free(&r.b);
		log_warnx("events: %s", cause);
		free(cause);
		gw->m.store_errors++;
		return api_reply_error(wsi, 503, "store unavailable");
	}
	if (r.n == q.limit || r.cut)
		gwbuf_printf(&r.b, "],\"next\":%lld}", (long long)r.last);
	else
		gwbuf_puts(&r.b, "],\"next\":null}");
	rc = api_reply(wsi, 200, "application/json", gwbuf_data(&r.b),
	    r.b.len, NULL, NULL);
	gwbuf_free(&r.b);
	return rc;
}

/* GET /api/v1/agents: latest state per agent. */
static int
api_agents(struct gw *gw, struct lws *wsi, const struct api_who *who)
{
	struct json_object	*a, *o;
	char			*cause = NULL;

	a = store_agents(gw->store, who->project[0] ? who->project : NULL,
	    &cause);
	if (a == NULL) {
		log_warnx("agents: %s", cause);
		free(cause);
		gw->m.store_errors++;
		return api_reply_error(wsi, 503, "store unavailable");
	}
	o = json_object_new_object();
	json_object_object_add(o, "agents", a);
	return api_reply_json(wsi, 200, o, NULL, NULL);
}

/* GET /api/v1/health */
static int
api_health(struct gw *gw, struct lws *wsi)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
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
	return api_reply_json(wsi, 200, o, NULL, NULL);
}

/* GET /metrics */
static int
api_metrics(struct gw *gw, struct lws *wsi)
{
	char	*text;
	size_t	 len;
	int	 rc;

	text = metrics_text(gw, &len);
	rc = api_reply(wsi, 200, "text/plain; version=0.0.4", text, len,
	    NULL, NULL);
	free(text);
	return rc;
}

/* Route a request whose headers are complete. */
static int
api_request(struct gw *gw, struct lws *wsi, struct api_pss *pss)
{
	struct api_who		 who;
	struct json_object	*o;
	const char		*msg;
	char			*uri, path[256];
	int			 meth, ulen, status, rc, wait;

	meth = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	if (meth < 0 || ulen <= 0 || (size_t)ulen >= sizeof path) {
		rc = api_reply_error(wsi, 400, "bad request");
		return rc != 0 ? -1 : api_done(wsi);
	}
	memcpy(path, uri, (size_t)ulen);
	path[ulen] = '\0';
	while (ulen > 1 && path[ulen - 1] == '/')
		path[--ulen] = '\0';
	if (!api_host_ok(gw, wsi)) {
		rc = api_reply_error(wsi, 403, API_HOST_REFUSED);
		return rc != 0 ? -1 : api_done(wsi);
	}

	if (strcmp(path, "/api/v1/events/ingest") == 0) {
		if (meth == LWSHUMETH_POST)
			return api_ingest_start(gw, wsi, pss);
		rc = api_reply(wsi, 405, "application/json",
		    "{\"detail\":\"Method Not Allowed\"}", 31, "allow:",
		    "POST");
		return rc != 0 ? -1 : api_done(wsi);
	}
	if (strcmp(path, "/api/v1/health") == 0 && meth == LWSHUMETH_GET) {
		rc = api_health(gw, wsi);
		return rc != 0 ? -1 : api_done(wsi);
	}
	if (meth != LWSHUMETH_GET) {
		rc = api_reply(wsi, 405, "application/json",
		    "{\"detail\":\"Method Not Allowed\"}", 31, "allow:", "GET");
		return rc != 0 ? -1 : api_done(wsi);
	}
	if (strcmp(path, "/api/v1/agents/activity/connections") == 0)
		status = api_who(gw, wsi, GW_TOK_ADMIN, &who, &msg);
	else
		status = api_who(gw, wsi, GW_TOK_USER, &who, &msg);
	if (status != 0) {
		rc = api_reply_error(wsi, status, msg);
		return rc != 0 ? -1 : api_done(wsi);
	}
	/* What reads the store is limited like ingest. */
	if ((strcmp(path, "/api/v1/events") == 0 ||
	    strcmp(path, "/api/v1/agents") == 0) &&
	    (wait = api_rate(gw, wsi, &who)) != 0) {
		rc = api_reply_rate(wsi, wait);
		return rc != 0 ? -1 : api_done(wsi);
	}

	if (strcmp(path, "/api/v1/events") == 0)
		rc = api_events(gw, wsi, &who);
	else if (strcmp(path, "/api/v1/events/stats") == 0)
		rc = api_reply_json(wsi, 200, metrics_stats(gw), NULL, NULL);
	else if (strcmp(path, "/api/v1/agents") == 0)
		rc = api_agents(gw, wsi, &who);
	else if (strcmp(path, "/api/v1/agents/activity/connections") == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "count",
		    json_object_new_int64((int64_t)gw->nconns));
		json_object_object_add(o, "connections",
		    stream_connections(gw));
		rc = api_reply_json(wsi, 200, o, NULL, NULL);
	} else if (strcmp(path, "/metrics") == 0)
		rc = api_metrics(gw, wsi);
	else if (strcmp(path, "/api/v1/agents/activity/stream") == 0)
		rc = api_reply_error(wsi, 426, "WebSocket upgrade required");
	else
		rc = api_reply_error(wsi, 404, "Not Found");
	return rc != 0 ? -1 : api_done(wsi);
}

/* The API protocol callback. */
int
api_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
	struct api_pss	*pss = user;
	struct gw	*gw;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return -1;	/* not a WebSocket subprotocol */
	case LWS_CALLBACK_HTTP:
		if (api_pipelined(gw_from_wsi(wsi), wsi))
			return -1;
		return api_request(gw_from_wsi(wsi), wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		if (pss == NULL || !pss->ingest)
			return 0;
		return api_ingest_body(gw_from_wsi(wsi), wsi, pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss == NULL || !pss->ingest)
			break;
		gw = gw_from_wsi(wsi);
		return api_ingest_finish(gw, wsi, pss);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss == NULL || pss->wait == NULL || pss->wait->reply == NULL)
			break;
		return api_ingest_reply(gw_from_wsi(wsi), wsi, pss);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss != NULL) {
			free(pss->body);
			pss->body = NULL;
			pss->ingest = 0;
		}
		api_wait_drop(gw_from_wsi(wsi), wsi, pss,
		    reason == LWS_CALLBACK_CLOSED_HTTP);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason,
	    user, in, len);
}
