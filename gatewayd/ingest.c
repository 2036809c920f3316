/*
 * ingest.c: POST /api/v1/events/ingest, from its headers to its answer;
 * ingest_parse.c reads and validates the body.
 *
 * Ingest is checked in the order a client can act on: token (401/403)
 * and rate (429) by the route (routes.c), then media type (415), framing
 * (411), size (413, answered before reading the body so a huge body
 * costs nothing), then the body itself (400, 422), then the store (503).
 *
 * A valid batch goes to the writer thread (writer.h) and the request
 * waits: its answer is written only once the batch is committed and
 * broadcast, from the connection's writable callback (so is that of a
 * bad body: see ingest_finish). The connection may close meanwhile, so
 * the waiting request is an ingest_wait on gw->waits, found again by its
 * id (a wsi pointer may be reused by then) and removed when lws closes
 * or rebinds the connection.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

#include "avjson.h"
#include "gateway.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "timefmt.h"
#include "writer.h"
#include "xmalloc.h"

/* An ingest request whose batch is with the writer. */
struct ingest_wait {
	TAILQ_ENTRY(ingest_wait)	 entry;
	uint64_t		 id;
	struct lws		*wsi;		/* alive while on gw->waits */
	struct json_object	*reply;		/* NULL until committed */
	int			 status;
	const char		*hname, *hval;	/* static strings, or NULL */
	int			 orphan;	/* lws moved on: never answered */
	int64_t			 t0;		/* body complete, ts_mono_us */
};

/* A batch on its way through the writer (wj first: the writer hands it back). */
struct ingest_job {
	struct writer_job	 wj;
	struct ingest_batch	 b;
	size_t			 bytes;		/* body length, in gw->backlog */
};

/* The body is done with, read or not: free it and what it promised. */
void
ingest_body_done(struct gw *gw, struct ingest_req *r)
{
	free(r->body);
	r->body = NULL;
	r->ingest = 0;
	gw->receiving -= r->promised;
	r->promised = 0;
}

/* Count an answer the route gave an ingest request. */
void
ingest_count(struct gw *gw, int status)
{
	gw->m.ingest_requests[gw_status_slot(status)]++;
}

/* Is the answer of a committed (or refused) body ready to write? */
int
ingest_answer_ready(const struct ingest_req *r)
{
	return r->wait != NULL && r->wait->reply != NULL;
}

/* Count an ingest answer and send it. */
static int
ingest_answer(struct gw *gw, struct lws *wsi, int status,
    struct json_object *o, const char *hname, const char *hval)
{
	ingest_count(gw, status);
	if (status != 200)
		log_debug("ingest: %d %s", status, avjson_str(o, NULL));
	return http_reply_json(wsi, status, o, hname, hval);
}

/* Is the request's Content-Type application/json (any parameters)? */
static int
ingest_is_json(struct lws *wsi)
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
ingest_continue(struct lws *wsi)
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
ingest_accepted(const struct ingest_batch *b, int stored, int64_t first,
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

static void	ingest_wait_free(struct gw *, struct ingest_wait *);
static void	ingest_wake(struct gw *, uint64_t, int, struct json_object *,
		    const char *, const char *);
static void	ingest_committed(struct gw *, struct ingest_job *);

/* Free a job whose answer is made. */
static void
ingest_job_free(struct ingest_job *j)
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
 * is logged by ingest_collect.
 */
static int
ingest_busy(struct gw *gw, size_t len)
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
int
ingest_finish(struct gw *gw, struct lws *wsi, struct ingest_req *pss)
{
	struct ingest_batch	 b;
	struct json_object	*reply;
	struct ingest_job		*j;
	struct ingest_wait		*w;
	size_t			 len;
	int			 status;

	/*
	 * Every answer to a body goes out from the writable callback, never
	 * from this one: lws 4.1.6, given a request pipelined behind one
	 * answered here, mangled its body and then spun at 100 % CPU for
	 * good. Answered later, a pipelined request finds this one pending
	 * and closes the connection (ingest_pipelined).
	 */
	w = xcalloc(1, sizeof *w);
	w->id = ++gw->next_wait;
	w->wsi = wsi;
	w->t0 = ts_mono_us();
	TAILQ_INSERT_TAIL(&gw->waits, w, entry);
	pss->wait = w;

	if (ingest_busy(gw, pss->len)) {
		ingest_body_done(gw, pss);
		reply = ingest_error("store busy: %zu bytes of ingest wait to be "
		    "stored (max_ingest_backlog %lld); retry later", gw->backlog,
		    gw->conf.max_ingest_backlog);
		ingest_wake(gw, w->id, 503, reply, "retry-after:", "1");
		return 0;
	}
	len = pss->len;
	status = ingest_parse(pss->body, pss->len, pss->count, pss->collectord,
	    &b, &reply);
	ingest_body_done(gw, pss);
	if (status != 0) {
		if (status == 422)
			gw->m.ingest_rejected += (uint64_t)json_object_get_int64(
			    json_object_object_get(reply, "rejected"));
		ingest_wake(gw, w->id, status, reply, NULL, NULL);
		return 0;
	}
	if (b.n == 0) {
		/* Nothing to store. */
		reply = ingest_accepted(&b, 0, 0, 0);
		ingest_batch_free(&b);
		ingest_wake(gw, w->id, 200, reply, NULL, NULL);
		return 0;
	}

	j = xcalloc(1, sizeof *j);
	j->b = b;
	j->wj.id = w->id;
	if ((j->wj.batch = store_batch_new(b.evs, b.n, &j->wj.cause)) ==
	    NULL) {
		j->wj.stored = -1;
		ingest_committed(gw, j);
		ingest_job_free(j);
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
ingest_wake(struct gw *gw, uint64_t id, int status,
    struct json_object *reply, const char *hname, const char *hval)
{
	struct ingest_wait	*w;

	ingest_count(gw, status);
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
			ingest_wait_free(gw, w);	/* its connection closed */
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
ingest_committed(struct gw *gw, struct ingest_job *j)
{
	struct writer_job	*wj = &j->wj;
	struct json_object	*reply;
	const int64_t		*seqs;
	int64_t			 first = 0, last = 0;
	size_t			 i;

	if (!wj->shared)
		metrics_observe(&gw->m.store_latency, wj->us);
	if (wj->stored < 0) {
		log_warnx_limited("ingest: store: %s", wj->cause);
		gw->m.store_errors++;
		snprintf(gw->store_error, sizeof gw->store_error, "%s",
		    wj->cause);
		reply = ingest_error("store unavailable: %s", wj->cause);
		ingest_wake(gw, wj->id, 503, reply, "retry-after:", "1");
		return;
	}
	gw->store_error[0] = '\0';
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
	reply = ingest_accepted(&j->b, wj->stored, first, last);
	ingest_wake(gw, wj->id, 200, reply, NULL, NULL);
}

/* Collect what the writer finished, in commit (= seq) order. */
void
ingest_collect(struct gw *gw)
{
	struct writer_job	*wj;
	struct ingest_job		*j;

	if (gw->writer == NULL)
		return;
	while ((wj = writer_take(gw->writer)) != NULL) {
		j = (struct ingest_job *)wj;
		gw->backlog -= j->bytes;
		ingest_committed(gw, j);
		ingest_job_free(j);
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
int
ingest_reply(struct gw *gw, struct lws *wsi, struct ingest_req *pss)
{
	struct ingest_wait	*w = pss->wait;
	int		 rc;

	TAILQ_REMOVE(&gw->waits, w, entry);
	pss->wait = NULL;
	rc = http_reply_json(wsi, w->status, w->reply, w->hname, w->hval);
	free(w);
	if (rc != 0)
		return -1;
	return http_done(wsi);
}

/* Take w off the list and free it. */
static void
ingest_wait_free(struct gw *gw, struct ingest_wait *w)
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
 * an orphan, so that ingest_pipelined() closes the connection rather than
 * answer the next request first. Either way the batch is still stored.
 */
void
ingest_wait_drop(struct gw *gw, struct lws *wsi, struct ingest_req *pss,
    int closing)
{
	struct ingest_wait	*w, *next;

	if (pss != NULL && (w = pss->wait) != NULL) {
		pss->wait = NULL;
		if (closing)
			ingest_wait_free(gw, w);
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
			ingest_wait_free(gw, w);	/* committed already */
		else
			w->wsi = NULL;		/* ingest_wake frees it */
	}
}

/*
 * A new request on a connection whose previous answer is still due: HTTP
 * pipelining, which lws 4.1.6 lets through before the answer. Answering
 * out of order would tell the client one batch's fate for another's.
 */
int
ingest_pipelined(struct gw *gw, struct lws *wsi)
{
	struct ingest_wait	*w;

	TAILQ_FOREACH(w, &gw->waits, entry) {
		if (w->wsi == wsi && w->orphan) {
			log_warnx_limited("ingest: a request pipelined behind "
			    "an unanswered one: closing the connection (the "
			    "earlier batch is stored; a retry is a duplicate)");
			return 1;
		}
	}
	return 0;
}

/* At exit, after lws closed every connection: free what still waits. */
void
ingest_forget(struct gw *gw)
{
	struct ingest_wait	*w;

	while ((w = TAILQ_FIRST(&gw->waits)) != NULL) {
		TAILQ_REMOVE(&gw->waits, w, entry);
		if (w->reply != NULL)
			json_object_put(w->reply);
		free(w);
	}
}

/*
 * Headers of an ingest request are in, its token and rate checked
 * (routes.c): check everything but the body.
 */
int
ingest_start(struct gw *gw, struct lws *wsi, struct ingest_req *pss)
{
	char		 num[32], *ep;
	long long	 cl;
	int		 status;
	struct json_object *o;
	struct ingest_batch b;

	if (!ingest_is_json(wsi)) {
		if (ingest_answer(gw, wsi, 415, ingest_error(
		    "Content-Type must be application/json"), NULL, NULL) != 0)
			return -1;
		return http_done(wsi);
	}
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		/* lws 4.1.6 does not de-chunk request bodies: refuse, close. */
		ingest_answer(gw, wsi, 411, ingest_error("chunked bodies "
		    "are not accepted: send Content-Length"), "connection:",
		    "close");
		return -1;
	}
	if (lws_hdr_copy(wsi, num, sizeof num,
	    WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
		if (ingest_answer(gw, wsi, 411, ingest_error(
		    "Content-Length required"), NULL, NULL) != 0)
			return -1;
		return http_done(wsi);
	}
	cl = strtoll(num, &ep, 10);
	if (*ep != '\0' || cl < 0) {
		ingest_answer(gw, wsi, 400, ingest_error("bad "
		    "Content-Length"), "connection:", "close");
		return -1;
	}
	if (cl > gw->conf.max_body_bytes) {
		/* Early: the body is drained by lws, never stored. */
		o = ingest_error("body of %lld bytes is over max_body_bytes "
		    "(%lld)", cl, gw->conf.max_body_bytes);
		if (ingest_answer(gw, wsi, 413, o, NULL, NULL) != 0)
			return -1;
		return http_done(wsi);
	}
	pss->count = -1;
	if (lws_hdr_custom_copy(wsi, num, sizeof num, "x-event-count:", 14) >
	    0) {
		pss->count = strtoll(num, &ep, 10);
		if (*ep != '\0' || pss->count < 0 || num[0] == '\0') {
			if (ingest_answer(gw, wsi, 400, ingest_error(
			    "X-Event-Count: want a number"), NULL, NULL) != 0)
				return -1;
			return http_done(wsi);
		}
	}
	if (cl == 0) {
		/* No body follows: answered here, like the checks above. */
		status = ingest_parse("", 0, pss->count, pss->collectord, &b,
		    &o);
		if (status == 0) {
			ingest_batch_free(&b);
			status = 400;
			o = ingest_error("empty body");
		}
		if (ingest_answer(gw, wsi, status, o, NULL, NULL) != 0)
			return -1;
		return http_done(wsi);
	}
	/*
	 * The buffer grows as the body comes, but what all bodies coming in
	 * at once may hold is bounded: past max_receiving a body is refused
	 * from its headers, before any of it is read, as a 413 is. Many
	 * connections each part-way through a large body would otherwise
	 * hold memory without bound.
	 */
	if (gw->conf.max_receiving > 0 && gw->receiving + (size_t)cl >
	    (size_t)gw->conf.max_receiving) {
		if (ingest_answer(gw, wsi, 503, ingest_error("busy: %zu bytes "
		    "of ingest bodies are being received (max_receiving "
		    "%lld); retry later", gw->receiving,
		    gw->conf.max_receiving), "retry-after:", "1") != 0)
			return -1;
		return http_done(wsi);
	}
	pss->promised = (size_t)cl;
	gw->receiving += pss->promised;
	pss->want = (size_t)cl;
	pss->len = pss->cap = 0;
	pss->body = NULL;
	pss->deadline = ts_mono_us() + gw->conf.body_timeout * 1000;
	pss->ingest = 1;
	if (ingest_continue(wsi) != 0)
		return -1;
	return 0;
}

/*
 * A piece of an ingest body. lws times out a connection that stops
 * sending, but re-arms that timeout on every piece: a body dribbled a
 * byte at a time would hold its connection for ever, so the whole body
 * must come within body_timeout. -1 closes the connection.
 */
int
ingest_body(struct gw *gw, struct lws *wsi, struct ingest_req *pss,
    const void *in, size_t len)
{
	char	addr[64];
	size_t	ncap;

	if (len > pss->want - pss->len)
		return -1;	/* more than Content-Length said */
	if (ts_mono_us() > pss->deadline) {
		lws_get_peer_simple(wsi, addr, sizeof addr);
		log_info_limited("ingest: %s sent %zu of %zu bytes in %lld ms "
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
