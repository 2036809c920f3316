/*
 * forward.c: the HTTP client side of collectord; see forward.h for what
 * each gateway answer does.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "answer.h"
#include "backoff.h"
#include "batch.h"
#include "collectord.h"
#include "forward.h"
#include "log.h"
#include "server.h"
#include "timefmt.h"
#include "xmalloc.h"

/* Most of an error answer we read (422 details). */
#define ANSWER_MAX (1024 * 1024)

/* Most requests in flight at once (max_inflight's upper bound). */
#define FWD_MAX_LANES 16

/*
 * A lane: one keep-alive connection and the batch it carries. Each batch
 * is the run of the spool after the one assigned before it; lanes are
 * released strictly in that order, so the release point only ever moves
 * over batches whose every event the gateway has taken.
 */
struct lane {
	struct fwd		*f;
	struct evhttp_connection *conn;
	struct evhttp_request	*req;		/* in flight, or NULL */
	struct batch		 batch;
	int			 have_batch;	/* batch holds unreleased records */
	uint64_t		 order;		/* place of the batch in the spool */
	int			 acked;		/* all taken; waits for those before */
	size_t			 limit;		/* live records to send; 0: all */
	size_t			 sent;		/* live events in the request */
	int			 renew;		/* new connection before next send */
	int			 pristine;	/* batch is a plain run of the spool */
	unsigned		 conn_reqs;	/* requests made on this connection */
	int			 quick;		/* a stale connection was retried */
	int			 neterr;	/* evhttp_request_error, or -1 */
};

struct fwd {
	struct collectord	*cd;
	struct lane		 lanes[FWD_MAX_LANES];
	uint64_t		 next_order;	/* order of the next batch read */
	uint64_t		 release_order;	/* order of the next to release */
	struct spool_pos	 cursor;	/* end of the last batch read */
	int64_t			 attempt;	/* failures since the last success */
	int			 backoff;	/* a retry is scheduled */
	struct event		*ev_retry;
	struct event		*ev_kick;
	struct event		*ev_flush;
	/*
	 * While a retry waits because the gateway is down (no answer, or a
	 * 5xx that gave no Retry-After), a GET of its health every
	 * probe_interval_ms ends the wait as soon as it answers 200, so
	 * delivery resumes within a probe of the gateway coming back
	 * rather than at the next backoff step (up to retry_max_ms later).
	 */
	int			 probing;
	struct evhttp_connection *pconn;
	struct evhttp_request	*preq;		/* probe in flight, or NULL */
	int			 prenew;	/* new probe connection next */
	struct event		*ev_probe;
};

static void	fwd_send(struct fwd *);

/* Name of a libevent request error. */
static const char *
fwd_errname(int e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid answer";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection failed";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "answer too long";
	default:
		return "connection failed";
	}
}

/* A (new) keep-alive connection to the gateway for lane l. */
static int
lane_connect(struct lane *l)
{
	struct collectord	*cd = l->f->cd;
	struct timeval		 tv;

	if (l->conn != NULL)
		evhttp_connection_free(l->conn);
	l->conn = evhttp_connection_base_new(cd->base, NULL, cd->set.gw_host,
	    cd->set.gw_port);
	if (l->conn == NULL) {
		cd_set_error(cd, "cannot create a connection to %s:%d",
		    cd->set.gw_host, cd->set.gw_port);
		return -1;
	}
	tv.tv_sec = cd->conf.request_timeout_ms / 1000;
	tv.tv_usec = (cd->conf.request_timeout_ms % 1000) * 1000;
	evhttp_connection_set_timeout_tv(l->conn, &tv);
	evhttp_connection_set_retries(l->conn, 0);
	evhttp_connection_set_max_body_size(l->conn, ANSWER_MAX);
	l->renew = 0;
	l->conn_reqs = 0;
	return 0;
}

/* Batches read and not yet released. */
static uint64_t
fwd_outstanding(const struct fwd *f)
{
	return f->next_order - f->release_order;
}

/*
 * Lane l's batch is all taken (or dead-lettered). Release it, and any
 * acked batches after it, from the spool once every batch before it is
 * released: the release point never passes an event still to deliver.
 */
static void
lane_acked(struct lane *l)
{
	struct fwd		*f = l->f;
	struct collectord	*cd = f->cd;
	struct spool_pos	 end;
	struct lane		*m;
	int			 i, found;

	l->acked = 1;
	f->attempt = 0;
	do {
		found = 0;
		for (i = 0; i < FWD_MAX_LANES; i++) {
			m = &f->lanes[i];
			if (!m->have_batch || !m->acked ||
			    m->order != f->release_order)
				continue;
			end = batch_end(&m->batch);
			spool_release(cd->spool, &end, m->batch.n);
			batch_clear(&m->batch);
			m->have_batch = 0;
			m->acked = 0;
			f->release_order++;
			found = 1;
		}
	} while (found);
}

/*
 * The gateway took the first l->sent live events of the batch: they leave
 * it (not dead-lettered, delivered), and the rest goes next, whole.
 */
static void
lane_delivered(struct lane *l)
{
	struct collectord	*cd = l->f->cd;
	size_t			 n = l->sent;
	long			 r;

	cd->st.delivered_events += n;
	while (n-- > 0 && (r = batch_live_index(&l->batch, 0)) >= 0)
		batch_kill(&l->batch, (size_t)r);
	l->limit = 0;
	if (batch_live(&l->batch) == 0)
		lane_acked(l);
}

/* Arm the next health probe. */
static void
fwd_probe_arm(struct fwd *f)
{
	struct timeval	tv;
	long long	ms = f->cd->conf.probe_interval_ms;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(f->ev_probe, &tv);
}

/* Stop probing (the wait is over, or was not for a down gateway). */
static void
fwd_probe_stop(struct fwd *f)
{
	f->probing = 0;
	evtimer_del(f->ev_probe);
	if (f->preq != NULL) {
		evhttp_cancel_request(f->preq);
		f->preq = NULL;
	}
}

/* A health probe's answer: 200 ends the wait at once. */
static void
fwd_probe_done_cb(struct evhttp_request *req, void *arg)
{
	struct fwd	*f = arg;
	int		 code;

	f->preq = NULL;
	code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (!f->probing || !f->backoff)
		return;
	if (code != 200) {
		/* Down, or up but unable to store: go on waiting. */
		if (code == 0)
			f->prenew = 1;	/* not freed inside its own callback */
		fwd_probe_arm(f);
		return;
	}
	log_info("gateway answers its health check; resending at once");
	fwd_probe_stop(f);
	evtimer_del(f->ev_retry);
	/* Not from inside libevent's HTTP callback: let the loop run it. */
	event_active(f->ev_retry, EV_TIMEOUT, 0);
}

/* The probe timer: GET the gateway's health, one probe at a time. */
static void
fwd_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd		*f = arg;
	struct collectord	*cd = f->cd;
	struct timeval		 tv;
	long long		 ms;

	if (!f->probing || !f->backoff || f->preq != NULL)
		return;
	if (f->pconn != NULL && f->prenew) {
		evhttp_connection_free(f->pconn);
		f->pconn = NULL;
	}
	f->prenew = 0;
	if (f->pconn == NULL) {
		f->pconn = evhttp_connection_base_new(cd->base, NULL,
		    cd->set.gw_host, cd->set.gw_port);
		if (f->pconn == NULL) {
			fwd_probe_arm(f);
			return;
		}
		/* A stopped gateway must not hold the probe for long. */
		ms = cd->conf.probe_interval_ms < 1000 ? 1000 :
		    cd->conf.probe_interval_ms;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evhttp_connection_set_timeout_tv(f->pconn, &tv);
		evhttp_connection_set_retries(f->pconn, 0);
		evhttp_connection_set_max_body_size(f->pconn, 64 * 1024);
	}
	f->preq = evhttp_request_new(fwd_probe_done_cb, f);
	if (f->preq == NULL)
		fatalx("evhttp_request_new");
	evhttp_add_header(evhttp_request_get_output_headers(f->preq), "Host",
	    cd->set.gw_hostheader);
	if (evhttp_make_request(f->pconn, f->preq, EVHTTP_REQ_GET,
	    cd->set.gw_health) == -1) {
		/* libevent freed the request. */
		f->preq = NULL;
		evhttp_connection_free(f->pconn);
		f->pconn = NULL;
		fwd_probe_arm(f);
	}
}

/*
 * Schedule the next try of the batches; cap: jump to the capped interval;
 * down: the gateway did not answer (or failed without a Retry-After), so
 * probe its health while waiting.
 */
static void
fwd_retry(struct fwd *f, int64_t retry_after_ms, int cap, int down)
{
	struct collectord	*cd = f->cd;
	struct backoff		 b;
	struct timeval		 tv;
	int64_t			 ms;

	/* A retry already waits: it resends every lane's batch. */
	if (f->backoff)
		return;
	b.base_ms = cd->conf.retry_base_ms;
	b.max_ms = cd->conf.retry_max_ms;
	b.max_retries = cd->conf.max_retries;
	f->attempt++;
	ms = backoff_delay(&b, cap ? b.max_retries + 1 : f->attempt,
	    (double)random() / ((double)RAND_MAX + 1), retry_after_ms);
	if (f->attempt == b.max_retries + 1) {
		struct spool_stats	ss;

		spool_stats(cd->spool, &ss);
		log_warnx("gateway: %" PRId64 " retries failed; %" PRIu64
		    " events stay spooled, retrying every %lld ms",
		    b.max_retries, ss.events, cd->conf.retry_max_ms);
	}
	log_debug("gateway: retry %" PRId64 " in %" PRId64 " ms", f->attempt,
	    ms);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	f->backoff = 1;
	evtimer_add(f->ev_retry, &tv);
	if (down && cd->conf.probe_interval_ms > 0 &&
	    ms > cd->conf.probe_interval_ms && !f->probing) {
		f->probing = 1;
		fwd_probe_arm(f);
	}
}

/*
 * 422: dead-letter the events named in detail. Returns how many were
 * named (0: the answer named none we could find).
 */
static size_t
fwd_unprocessable(struct lane *l, struct evbuffer *in)
{
	struct collectord	*cd = l->f->cd;
	struct batch		*b = &l->batch;
	const char		*body;
	char			**reasons;
	size_t			 len = evbuffer_get_length(in), i, named = 0;
	size_t			 nnamed;
	long			*map;
	long			 r;

	body = (const char *)evbuffer_pullup(in, -1);
	reasons = answer_422(body, len, l->sent, &nnamed);
	if (reasons == NULL)
		return 0;
	/* Indexes in the answer are positions in the body we sent. */
	map = xcalloc(l->sent + 1, sizeof *map);
	for (i = 0; i < l->sent; i++)
		map[i] = batch_live_index(b, i);
	for (i = 0; i < l->sent; i++) {
		if (reasons[i] == NULL || (r = map[i]) < 0)
			continue;
		if (deadletter_write(cd, reasons[i], 422,
		    b->buf + b->recs[r].off, b->recs[r].len) == 0) {
			batch_kill(b, r);
			l->pristine = 0;
			cd->st.dropped_events++;
			named++;
		}
	}
	free(map);
	answer_free(reasons, l->sent);
	return named;
}

/*
 * 400 or 413: send only the first half of what was sent, or dead-letter
 * the one refused event once it goes alone.
 */
static void
fwd_refused(struct lane *l, int code, struct evbuffer *in)
{
	struct fwd		*f = l->f;
	struct collectord	*cd = f->cd;
	struct batch		*b = &l->batch;
	char			*reason, excerpt[200];
	size_t			 n;
	long			 r;

	if (l->sent > 1) {
		l->limit = l->sent / 2;
		l->pristine = 0;
		uuidstr_v4(b->id);	/* another body, another batch_id */
		log_warnx("gateway: HTTP %d for a batch, resending %zu events "
		    "to find the refused one", code, l->limit);
		return;
	}
	n = evbuffer_copyout(in, excerpt, sizeof excerpt - 1);
	excerpt[n > 0 ? n : 0] = '\0';
	excerpt[strcspn(excerpt, "\r\n")] = '\0';
	reason = xasprintf("HTTP %d: %s", code, *excerpt ? excerpt :
	    (code == 413 ? "body too large" : "bad request"));
	if ((r = batch_live_index(b, 0)) >= 0 && deadletter_write(cd, reason,
	    code, b->buf + b->recs[r].off, b->recs[r].len) == 0) {
		batch_kill(b, r);
		l->pristine = 0;
		l->limit = 0;
		cd->st.dropped_events++;
		if (batch_live(b) == 0)
			lane_acked(l);
	} else
		fwd_retry(f, -1, 1, 0);
	free(reason);
}

/* The answer to lane l's request, or its failure. */
static void
fwd_done_cb(struct evhttp_request *req, void *arg)
{
	struct lane		*l = arg;
	struct fwd		*f = l->f;
	struct collectord	*cd = f->cd;
	struct evbuffer		*in;
	const char		*ra;
	int64_t			 ra_ms;
	int			 code;

	l->req = NULL;		/* l->sent stays: a 422 names positions in it */
	code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (code == 0 && l->conn_reqs > 1 && !l->quick && !cd->stopping) {
		/*
		 * The gateway may have closed an idle keep-alive connection
		 * just as we reused it: try once more at once on a new one
		 * before calling it an outage.
		 */
		l->quick = 1;
		l->renew = 1;
		cd->st.retries++;
		log_debug("gateway: %s on a reused connection, resending",
		    fwd_errname(l->neterr));
		goto out;
	}
	if (code == 0) {
		cd->st.gateway_up = 0;
		cd_set_error(cd, "gateway %s:%d: %s", cd->set.gw_host,
		    cd->set.gw_port, fwd_errname(l->neterr));
		if (f->attempt == 0)
			log_warnx("%s", cd->st.last_error);
		l->renew = 1;
		fwd_retry(f, -1, 0, 1);
		goto out;
	}
	in = evhttp_request_get_input_buffer(req);
	if (code >= 200 && code < 300) {
		if (!cd->st.gateway_up && f->attempt > 0)
			log_info("gateway answers again; delivering");
		cd->st.gateway_up = 1;
		l->quick = 0;
		cd->st.flushed_batches++;
		lane_delivered(l);
		goto out;
	}
	cd_set_error(cd, "gateway answered HTTP %d", code);
	if (code == 422) {
		if (fwd_unprocessable(l, in) > 0) {
			log_warnx("gateway: HTTP 422, refused events written "
			    "to %s", cd->conf.dead_letter);
			if (batch_live(&l->batch) == 0)
				lane_acked(l);
			goto out;
		}
		fwd_refused(l, code, in);
		goto out;
	}
	if (code == 400 || code == 413) {
		fwd_refused(l, code, in);
		goto out;
	}
	if (code == 408 || code == 429 || code >= 500) {
		if (code >= 500)
			cd->st.gateway_up = 0;
		ra = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Retry-After");
		ra_ms = backoff_retry_after(ra, ts_now_ms());
		if (f->attempt == 0)
			log_warnx("gateway answered HTTP %d; retrying", code);
		fwd_retry(f, ra_ms, 0, code >= 500 && ra_ms < 0);
		goto out;
	}
	/* 401, 403, 404, 3xx…: only an operator can fix it. Keep, and say so. */
	log_warnx_limited("gateway answered HTTP %d (%s): check gateway and "
	    "ingest_token; the events stay spooled", code,
	    code == 401 || code == 403 ? "token refused" : "wrong URL?");
	fwd_retry(f, -1, 1, 0);
out:
	l->sent = 0;
	cd_check_done(cd);
	fwd_kick(f);
}

/* Remember why a request failed (called just before fwd_done_cb). */
static void
fwd_error_cb(enum evhttp_request_error e, void *arg)
{
	struct lane	*l = arg;

	l->neterr = e;
}

/*
 * Nagle's algorithm would hold the last small segment of a request until
 * the previous one is acknowledged, and the gateway delays that ack: 40 ms
 * lost per batch. The socket exists once evhttp_make_request has started
 * connecting (a numeric or locally resolved host), so set it here, and let
 * a whole request go out in one write.
 */
static void
fwd_nodelay(struct lane *l)
{
	struct bufferevent	*bev;
	evutil_socket_t		 fd;
	int			 one = 1;

	bev = evhttp_connection_get_bufferevent(l->conn);
	if (bev == NULL || (fd = bufferevent_getfd(bev)) == -1)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
		log_debug("gateway: TCP_NODELAY: %s", strerror(errno));
	bufferevent_set_max_single_write(bev, 1024 * 1024);
}

/*
 * Whether a further batch is worth a request of its own while others are
 * in flight: only a full one. A trickle of events keeps gathering behind
 * the one request in flight, as it always did; a backlog (a drain after
 * an outage, a burst) goes out over several connections at once.
 */
static int
fwd_full_batch_waits(struct fwd *f)
{
	struct collectord	*cd = f->cd;
	struct spool_stats	 ss;
	uint64_t		 events = 0, bytes = 0;
	int			 i;

	if (fwd_outstanding(f) == 0)
		return 1;
	for (i = 0; i < FWD_MAX_LANES; i++) {
		if (!f->lanes[i].have_batch)
			continue;
		events += f->lanes[i].batch.n;
		bytes += f->lanes[i].batch.len + f->lanes[i].batch.n * SPOOL_HDR;
	}
	spool_stats(cd->spool, &ss);
	return ss.events >= events + (uint64_t)cd->conf.batch_max_events ||
	    ss.bytes >= bytes + (uint64_t)cd->conf.batch_max_bytes;
}

/* Read the next batch of the spool into idle lane l. 0: nothing to send. */
static int
lane_fill(struct lane *l)
{
	struct fwd		*f = l->f;
	struct collectord	*cd = f->cd;
	struct spool_pos	 from;
	char			*cause = NULL;
	int			 n;

	for (;;) {
		if (!fwd_full_batch_waits(f))
			return 0;
		from = fwd_outstanding(f) > 0 ? f->cursor : spool_head(cd->spool);
		n = batch_fill_from(&l->batch, cd->spool, &from,
		    cd->conf.batch_max_events, cd->conf.batch_max_bytes, &cause);
		if (n == -1) {
			cd_set_error(cd, "spool: %s", cause);
			log_warnx_limited("spool: %s", cause);
			free(cause);
			return 0;
		}
		if (n == 0)
			return 0;
		l->have_batch = 1;
		l->order = f->next_order++;
		l->acked = 0;
		l->limit = 0;
		l->pristine = 1;
		f->cursor = batch_end(&l->batch);
		if (batch_live(&l->batch) > 0)
			return 1;
		lane_acked(l);	/* nothing live: released in its turn */
	}
}

/* Send lane l's batch. */
static void
lane_send(struct lane *l)
{
	struct fwd		*f = l->f;
	struct collectord	*cd = f->cd;
	struct evkeyvalq	*h;
	struct evbuffer		*out;
	char			*body, ts[TS_LEN], num[32], *auth;
	size_t			 len, live;

	if ((l->conn == NULL || l->renew) && lane_connect(l) == -1) {
		fwd_retry(f, -1, 0, 1);
		return;
	}
	l->neterr = -1;
	l->req = evhttp_request_new(fwd_done_cb, l);
	if (l->req == NULL)
		fatalx("evhttp_request_new");
	evhttp_request_set_error_cb(l->req, fwd_error_cb);
	live = batch_live(&l->batch);
	l->sent = l->limit > 0 && l->limit < live ? l->limit : live;
	h = evhttp_request_get_output_headers(l->req);
	snprintf(num, sizeof num, "%zu", l->sent);
	evhttp_add_header(h, "Host", cd->set.gw_hostheader);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "X-Event-Source", "collectord");
	evhttp_add_header(h, "X-Event-Count", num);
	if (cd->set.token != NULL) {
		auth = xasprintf("Bearer %s", cd->set.token);
		evhttp_add_header(h, "Authorization", auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	body = batch_body_first(&l->batch, ts_now(ts), l->sent, &len);
	out = evhttp_request_get_output_buffer(l->req);
	evbuffer_add(out, body, len);
	free(body);
	if (f->attempt > 0)
		cd->st.retries++;
	l->conn_reqs++;
	if (evhttp_make_request(l->conn, l->req, EVHTTP_REQ_POST,
	    cd->set.gw_path) == -1) {
		/* libevent freed the request. */
		l->req = NULL;
		l->sent = 0;
		l->renew = 1;
		cd_set_error(cd, "cannot send a request to the gateway");
		fwd_retry(f, -1, 0, 1);
		return;
	}
	fwd_nodelay(l);
	log_debug("gateway: POST %zu events (batch %s)", l->sent, l->batch.id);
}

/*
 * Send what there is to send: the batches of idle lanes that still hold
 * events (a retry), then new batches while lanes are free.
 */
static void
fwd_send(struct fwd *f)
{
	struct collectord	*cd = f->cd;
	struct lane		*l;
	int			 i;

	if (f->backoff)
		return;
	for (i = 0; i < FWD_MAX_LANES && !f->backoff; i++) {
		l = &f->lanes[i];
		if (l->req == NULL && l->have_batch && !l->acked)
			lane_send(l);
	}
	for (i = 0; i < cd->conf.max_inflight && !f->backoff; i++) {
		l = &f->lanes[i];
		if (l->req != NULL || l->have_batch)
			continue;
		if (!lane_fill(l))
			break;
		lane_send(l);
	}
}

/* The backoff is over: try again. */
static void
fwd_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd	*f = arg;
	struct lane	*l = NULL;
	int		 i;

	f->backoff = 0;
	fwd_probe_stop(f);
	/*
	 * A lone batch nobody cut or dropped from is just the head of the
	 * spool: read it again, so that what came during the wait goes along
	 * (a batch first sent with one event does not stay that small).
	 */
	for (i = 0; i < FWD_MAX_LANES; i++) {
		if (f->lanes[i].have_batch)
			l = &f->lanes[i];
	}
	if (fwd_outstanding(f) == 1 && l != NULL && l->pristine &&
	    l->req == NULL && !l->acked) {
		f->next_order--;
		l->have_batch = 0;
		/*
		 * Its events are still in the spool, unreleased: should the
		 * read fail, the next batch starts from them again.
		 */
		(void)lane_fill(l);
	}
	fwd_send(f);
}

/* Deferred send (never from inside libevent's HTTP callbacks). */
static void
fwd_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	fwd_send(arg);
}

/* flush_interval_ms: whatever is pending goes out at least this often. */
static void
fwd_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	fwd_send(arg);
}

/* Create the forwarder. */
struct fwd *
fwd_new(struct collectord *cd, char **cause)
{
	struct fwd	*f;
	struct timeval	 tv;
	int		 i;

	f = xcalloc(1, sizeof *f);
	f->cd = cd;
	for (i = 0; i < FWD_MAX_LANES; i++) {
		f->lanes[i].f = f;
		f->lanes[i].neterr = -1;
	}
	f->ev_retry = evtimer_new(cd->base, fwd_retry_cb, f);
	f->ev_kick = event_new(cd->base, -1, 0, fwd_kick_cb, f);
	f->ev_flush = event_new(cd->base, -1, EV_PERSIST, fwd_flush_cb, f);
	f->ev_probe = evtimer_new(cd->base, fwd_probe_cb, f);
	if (f->ev_retry == NULL || f->ev_kick == NULL || f->ev_flush == NULL ||
	    f->ev_probe == NULL) {
		*cause = xstrdup("cannot create the forwarder's events");
		fwd_free(f);
		return NULL;
	}
	tv.tv_sec = cd->conf.flush_interval_ms / 1000;
	tv.tv_usec = (cd->conf.flush_interval_ms % 1000) * 1000;
	event_add(f->ev_flush, &tv);
	fwd_kick(f);
	return f;
}

/* Cancel what is in flight and free. */
void
fwd_free(struct fwd *f)
{
	struct lane	*l;
	int		 i;

	if (f == NULL)
		return;
	for (i = 0; i < FWD_MAX_LANES; i++) {
		l = &f->lanes[i];
		if (l->req != NULL)
			evhttp_cancel_request(l->req);
		if (l->conn != NULL)
			evhttp_connection_free(l->conn);
		batch_free(&l->batch);
	}
	if (f->preq != NULL)
		evhttp_cancel_request(f->preq);
	if (f->pconn != NULL)
		evhttp_connection_free(f->pconn);
	if (f->ev_probe != NULL)
		event_free(f->ev_probe);
	if (f->ev_retry != NULL)
		event_free(f->ev_retry);
	if (f->ev_kick != NULL)
		event_free(f->ev_kick);
	if (f->ev_flush != NULL)
		event_free(f->ev_flush);
	free(f);
}

/* New records are in the spool: send now if a lane is free. */
void
fwd_kick(struct fwd *f)
{
	if (!f->backoff)
		event_active(f->ev_kick, EV_READ, 0);
}

/* Events in the requests in flight. */
size_t
fwd_inflight(const struct fwd *f)
{
	size_t	n = 0;
	int	i;

	for (i = 0; i < FWD_MAX_LANES; i++) {
		if (f->lanes[i].req != NULL)
			n += f->lanes[i].sent;
	}
	return n;
}

/* 1 while a request is in flight or a retry is scheduled. */
int
fwd_busy(const struct fwd *f)
{
	int	i;

	if (f->backoff)
		return 1;
	for (i = 0; i < FWD_MAX_LANES; i++) {
		if (f->lanes[i].req != NULL)
			return 1;
	}
	return 0;
}

/* The gateway or token changed: use new connections, retry at once. */
void
fwd_reconfigure(struct fwd *f)
{
	struct timeval	tv;
	int		i;

	for (i = 0; i < FWD_MAX_LANES; i++)
		f->lanes[i].renew = 1;
	if (f->pconn != NULL) {
		fwd_probe_stop(f);
		evhttp_connection_free(f->pconn);
		f->pconn = NULL;
	}
	tv.tv_sec = f->cd->conf.flush_interval_ms / 1000;
	tv.tv_usec = (f->cd->conf.flush_interval_ms % 1000) * 1000;
	event_add(f->ev_flush, &tv);
	if (f->backoff) {
		evtimer_del(f->ev_retry);
		fwd_probe_stop(f);
		f->backoff = 0;
		f->attempt = 0;
	}
	fwd_kick(f);
}
