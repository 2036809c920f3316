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

struct fwd {
	struct collectord	*cd;
	struct evhttp_connection *conn;
	struct evhttp_request	*req;		/* in flight, or NULL */
	struct batch		 batch;
	int			 have_batch;	/* batch holds unreleased records */
	size_t			 sent;		/* live events in the request */
	int64_t			 attempt;	/* failures of this batch so far */
	int			 backoff;	/* a retry is scheduled */
	int			 renew;		/* new connection before next send */
	int			 pristine;	/* batch is a plain prefix of the spool */
	unsigned		 conn_reqs;	/* requests made on this connection */
	int			 quick;		/* a stale connection was retried */
	int			 neterr;	/* evhttp_request_error, or -1 */
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

/* A (new) keep-alive connection to the gateway. */
static int
fwd_connect(struct fwd *f)
{
	struct collectord	*cd = f->cd;
	struct timeval		 tv;

	if (f->conn != NULL)
		evhttp_connection_free(f->conn);
	f->conn = evhttp_connection_base_new(cd->base, NULL, cd->set.gw_host,
	    cd->set.gw_port);
	if (f->conn == NULL) {
		cd_set_error(cd, "cannot create a connection to %s:%d",
		    cd->set.gw_host, cd->set.gw_port);
		return -1;
	}
	tv.tv_sec = cd->conf.request_timeout_ms / 1000;
	tv.tv_usec = (cd->conf.request_timeout_ms % 1000) * 1000;
	evhttp_connection_set_timeout_tv(f->conn, &tv);
	evhttp_connection_set_retries(f->conn, 0);
	evhttp_connection_set_max_body_size(f->conn, ANSWER_MAX);
	f->renew = 0;
	f->conn_reqs = 0;
	return 0;
}

/* Release the whole batch from the spool and forget it. */
static void
fwd_release(struct fwd *f)
{
	struct collectord	*cd = f->cd;
	struct spool_pos	 end = batch_end(&f->batch);

	cd->st.delivered_events += batch_live(&f->batch);
	spool_release(cd->spool, &end, f->batch.n);
	batch_clear(&f->batch);
	f->have_batch = 0;
	f->attempt = 0;
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
 * Schedule the next try of the batch; cap: jump to the capped interval;
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
fwd_unprocessable(struct fwd *f, struct evbuffer *in)
{
	struct collectord	*cd = f->cd;
	struct batch		*b = &f->batch;
	const char		*body;
	char			**reasons;
	size_t			 len = evbuffer_get_length(in), i, named = 0;
	size_t			 nnamed;
	long			*map;
	long			 r;

	body = (const char *)evbuffer_pullup(in, -1);
	reasons = answer_422(body, len, f->sent, &nnamed);
	if (reasons == NULL)
		return 0;
	/* Indexes in the answer are positions in the body we sent. */
	map = xcalloc(f->sent + 1, sizeof *map);
	for (i = 0; i < f->sent; i++)
		map[i] = batch_live_index(b, i);
	for (i = 0; i < f->sent; i++) {
		if (reasons[i] == NULL || (r = map[i]) < 0)
			continue;
		if (deadletter_write(cd, reasons[i], 422,
		    b->buf + b->recs[r].off, b->recs[r].len) == 0) {
			batch_kill(b, r);
			f->pristine = 0;
			cd->st.dropped_events++;
			named++;
		}
	}
	free(map);
	answer_free(reasons, f->sent);
	return named;
}

/* 400 or 413: halve the batch, or dead-letter the one refused event. */
static void
fwd_refused(struct fwd *f, int code, struct evbuffer *in)
{
	struct collectord	*cd = f->cd;
	struct batch		*b = &f->batch;
	char			*reason, excerpt[200];
	size_t			 n;
	long			 r;

	if (batch_live(b) > 1) {
		batch_truncate(b, b->n / 2 > 0 ? b->n / 2 : 1);
		f->pristine = 0;
		log_warnx("gateway: HTTP %d for a batch, resending %zu events "
		    "to find the refused one", code, batch_live(b));
		if (batch_live(b) == 0)
			fwd_release(f);
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
		cd->st.dropped_events++;
		fwd_release(f);
	} else
		fwd_retry(f, -1, 1, 0);
	free(reason);
}

/* The answer to the request in flight (req NULL: no answer). */
static void
fwd_done_cb(struct evhttp_request *req, void *arg)
{
	struct fwd		*f = arg;
	struct collectord	*cd = f->cd;
	struct evbuffer		*in;
	const char		*ra;
	int64_t			 ra_ms;
	int			 code;

	f->req = NULL;		/* f->sent stays: a 422 names positions in it */
	code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (code == 0 && f->conn_reqs > 1 && !f->quick && !cd->stopping) {
		/*
		 * The gateway may have closed an idle keep-alive connection
		 * just as we reused it: try once more at once on a new one
		 * before calling it an outage.
		 */
		f->quick = 1;
		f->renew = 1;
		cd->st.retries++;
		log_debug("gateway: %s on a reused connection, resending",
		    fwd_errname(f->neterr));
		goto out;
	}
	if (code == 0) {
		cd->st.gateway_up = 0;
		cd_set_error(cd, "gateway %s:%d: %s", cd->set.gw_host,
		    cd->set.gw_port, fwd_errname(f->neterr));
		if (f->attempt == 0)
			log_warnx("%s", cd->st.last_error);
		f->renew = 1;
		fwd_retry(f, -1, 0, 1);
		goto out;
	}
	in = evhttp_request_get_input_buffer(req);
	if (code >= 200 && code < 300) {
		if (!cd->st.gateway_up && f->attempt > 0)
			log_info("gateway answers again; delivering");
		cd->st.gateway_up = 1;
		f->quick = 0;
		cd->st.flushed_batches++;
		fwd_release(f);
		goto out;
	}
	cd_set_error(cd, "gateway answered HTTP %d", code);
	if (code == 422) {
		if (fwd_unprocessable(f, in) > 0) {
			log_warnx("gateway: HTTP 422, refused events written "
			    "to %s", cd->conf.dead_letter);
			if (batch_live(&f->batch) == 0)
				fwd_release(f);
			goto out;
		}
		fwd_refused(f, code, in);
		goto out;
	}
	if (code == 400 || code == 413) {
		fwd_refused(f, code, in);
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
	f->sent = 0;
	cd_check_done(cd);
	if (!f->backoff)
		fwd_kick(f);
}

/* Remember why a request failed (called just before fwd_done_cb). */
static void
fwd_error_cb(enum evhttp_request_error e, void *arg)
{
	struct fwd	*f = arg;

	f->neterr = e;
}

/*
 * Nagle's algorithm would hold the last small segment of a request until
 * the previous one is acknowledged, and the gateway delays that ack: 40 ms
 * lost per batch. The socket exists once evhttp_make_request has started
 * connecting (a numeric or locally resolved host), so set it here, and let
 * a whole request go out in one write.
 */
static void
fwd_nodelay(struct fwd *f)
{
	struct bufferevent	*bev;
	evutil_socket_t		 fd;
	int			 one = 1;

	bev = evhttp_connection_get_bufferevent(f->conn);
	if (bev == NULL || (fd = bufferevent_getfd(bev)) == -1)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
		log_debug("gateway: TCP_NODELAY: %s", strerror(errno));
	bufferevent_set_max_single_write(bev, 1024 * 1024);
}

/* Send the current batch, or a new one, if nothing is in flight. */
static void
fwd_send(struct fwd *f)
{
	struct collectord	*cd = f->cd;
	struct evkeyvalq	*h;
	struct evbuffer		*out;
	char			*cause = NULL, *body, ts[TS_LEN], num[32];
	char			*auth;
	size_t			 len;
	int			 n;

	if (f->req != NULL || f->backoff)
		return;
	for (;;) {
		if (!f->have_batch) {
			n = batch_fill(&f->batch, cd->spool,
			    cd->conf.batch_max_events, cd->conf.batch_max_bytes,
			    &cause);
			if (n == -1) {
				cd_set_error(cd, "spool: %s", cause);
				log_warnx_limited("spool: %s", cause);
				free(cause);
				return;
			}
			if (n == 0)
				return;
			f->have_batch = 1;
			f->pristine = 1;
			f->attempt = 0;
		}
		if (batch_live(&f->batch) > 0)
			break;
		fwd_release(f);
	}
	if ((f->conn == NULL || f->renew) && fwd_connect(f) == -1) {
		fwd_retry(f, -1, 0, 1);
		return;
	}

	f->neterr = -1;
	f->req = evhttp_request_new(fwd_done_cb, f);
	if (f->req == NULL)
		fatalx("evhttp_request_new");
	evhttp_request_set_error_cb(f->req, fwd_error_cb);
	f->sent = batch_live(&f->batch);
	h = evhttp_request_get_output_headers(f->req);
	snprintf(num, sizeof num, "%zu", f->sent);
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
	body = batch_body(&f->batch, ts_now(ts), &len);
	out = evhttp_request_get_output_buffer(f->req);
	evbuffer_add(out, body, len);
	free(body);
	if (f->attempt > 0)
		cd->st.retries++;
	f->conn_reqs++;
	if (evhttp_make_request(f->conn, f->req, EVHTTP_REQ_POST,
	    cd->set.gw_path) == -1) {
		/* libevent freed the request. */
		f->req = NULL;
		f->sent = 0;
		f->renew = 1;
		cd_set_error(cd, "cannot send a request to the gateway");
		fwd_retry(f, -1, 0, 1);
		return;
	}
	fwd_nodelay(f);
	log_debug("gateway: POST %zu events (batch %s)", f->sent, f->batch.id);
}

/* The backoff is over: try again. */
static void
fwd_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd	*f = arg;
	char		*cause = NULL;

	f->backoff = 0;
	fwd_probe_stop(f);
	/*
	 * A batch nobody cut or dropped from is just the head of the spool:
	 * read it again, so that what came during the wait goes along
	 * (a batch first sent with one event does not stay that small).
	 */
	if (f->have_batch && f->pristine) {
		batch_clear(&f->batch);
		f->have_batch = 0;
		if (batch_fill(&f->batch, f->cd->spool,
		    f->cd->conf.batch_max_events, f->cd->conf.batch_max_bytes,
		    &cause) > 0)
			f->have_batch = 1;
		else
			free(cause);
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

	f = xcalloc(1, sizeof *f);
	f->cd = cd;
	f->neterr = -1;
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
	if (f == NULL)
		return;
	if (f->req != NULL)
		evhttp_cancel_request(f->req);
	if (f->conn != NULL)
		evhttp_connection_free(f->conn);
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
	batch_free(&f->batch);
	free(f);
}

/* New records are in the spool: send now if idle. */
void
fwd_kick(struct fwd *f)
{
	if (f->req == NULL && !f->backoff)
		event_active(f->ev_kick, EV_READ, 0);
}

/* Events in the request in flight. */
size_t
fwd_inflight(const struct fwd *f)
{
	return f->req != NULL ? f->sent : 0;	/* sent is stale once answered */
}

/* 1 while a request is in flight or a retry is scheduled. */
int
fwd_busy(const struct fwd *f)
{
	return f->req != NULL || f->backoff;
}

/* The gateway or token changed: use a new connection, retry at once. */
void
fwd_reconfigure(struct fwd *f)
{
	struct timeval	tv;

	f->renew = 1;
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
