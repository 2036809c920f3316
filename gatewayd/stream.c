/*
 * stream.c: the WebSocket stream /api/v1/agents/activity/stream and the
 * connection manager.
 *
 * Fan-out is built to be cheap per client: each broadcast message is
 * serialised once, as a complete WebSocket frame, into a refcounted
 * buffer, and every matching connection queues a pointer to it. When lws
 * says a connection is writable, its queued frames go out in one write.
 * The queue is bounded (ws_queue_len, checked as each ingest batch
 * arrives); a client that let it fill is dropped from the fan-out at once
 * (its queue freed, so it costs nobody anything), told
 * {"type":"lagged","resume_from":SEQ} and closed, and resumes with since.
 *
 * `since` replay pages through the store from the writable callback, a
 * page at a time while the queue has room. While a connection replays,
 * live broadcasts skip it: everything broadcast is already committed
 * (the writer commits, then this thread broadcasts), so the next page
 * brings it. When a page comes back short, the connection has read every
 * committed event it wants, which covers all broadcast ones (up to
 * gw->bcast_seq) and maybe some committed but not broadcast yet. It
 * switches to live with last_seq at the higher of bcast_seq and the last
 * seq it read; broadcasts come in seq order and skip seqs at or below a
 * connection's last_seq. Hence no gap and no duplicate at the switch.
 *
 * What lws 4.1.6 lets through of RFC 6455 is checked here: a handshake
 * without a key or of another version (400, where lws would close
 * without a word), a close frame of one byte (1002) or with a reason
 * that is not UTF-8 (1007), text that is not UTF-8 (1007), a frame
 * announcing more than max_ws_message_bytes (1009 at its first bytes),
 * and a close frame (1011) before the keepalive hangs up. lws does not
 * say whether a client frame was masked, so unmasked frames are taken.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

#include "access.h"
#include "door.h"
#include "http.h"
#include "ingest.h"
#include "avjson.h"
#include "gateway.h"
#include "log.h"
#include "timefmt.h"
#include "uuidstr.h"
#include "xmalloc.h"

#define STREAM_PATH		"/api/v1/agents/activity/stream"
#define STREAM_REPLAY_PAGE	256	/* events fetched per replay step */
#define STREAM_QUEUE_MIN	8	/* initial queue slots */
#define STREAM_HDR_MAX		10	/* longest WebSocket frame header */
#define STREAM_STAGE		65536	/* bytes of frames per send */
#define STREAM_HUP_EARLY_US	(500 * 1000) /* close frame before lws hangs up */
#define STREAM_PING_EARLY_US	(250 * 1000) /* our ping before lws's */
#define STREAM_PING_DATA	"agentvis"	/* our pings' payload */

/*
 * A message shared by every queue it sits on, kept as a complete
 * WebSocket text frame (server frames are not masked, so the frame is the
 * same for every client). Writing several queued frames in one send()
 * is what makes fan-out cheap: the cost is in syscalls, not bytes.
 */
struct gw_msg {
	unsigned	refs;
	int64_t		seq;		/* event seq, 0 for control messages */
	size_t		len;		/* payload bytes */
	size_t		flen;		/* frame bytes (header + payload) */
	unsigned char	*frame;		/* into buf, after LWS_PRE headroom */
	unsigned char	buf[];		/* LWS_PRE, header room, payload */
};

/* One WebSocket client: lws's per-session data of the stream protocol. */
struct gw_conn {
	TAILQ_ENTRY(gw_conn)	 entry;
	struct lws		*wsi;
	struct gw		*gw;
	char			*user;
	char			*project;	/* token scope, or NULL */
	char			*agent_id;	/* filter, or NULL */
	unsigned		 types;		/* filter mask, 0 = all */
	char			 id[UUIDSTR_LEN];
	char			 addr[48];
	int64_t			 connected_ms;
	struct gw_msg		**q;		/* ring of queued messages */
	uint32_t		 qhead, qlen, qcap;
	uint64_t		 sent, dropped;
	int64_t			 since;		/* as asked, -1 = none */
	int64_t			 last_seq;	/* highest event seq queued */
	int64_t			 written_seq;	/* highest event seq written */
	int64_t			 replay_next;	/* replay: events after this */
	char			*rx;		/* client message being read */
	size_t			 rxlen;
	uint32_t		 utf8;		/* utf8_check state of rx */
	lws_sorted_usec_list_t	 sul_hup;	/* keepalive: ping, then close */
	lws_usec_t		 hup_at;	/* close then, unless a pong */
	unsigned		 listed:1, replaying:1, lagged:1, closing:1;
	unsigned		 hup:1, ping:1;
};

/* Size of the per-session data. */
size_t
stream_pss_size(void)
{
	return sizeof(struct gw_conn);
}

/* New message with room for len bytes of payload, one reference. */
static struct gw_msg *
msg_new(size_t len, int64_t seq)
{
	struct gw_msg	*m;

	m = xmalloc(sizeof *m + LWS_PRE + STREAM_HDR_MAX + len);
	m->refs = 1;
	m->seq = seq;
	m->len = len;
	m->frame = NULL;
	m->flen = 0;
	return m;
}

/* The payload area of m. */
static char *
msg_data(struct gw_msg *m)
{
	return (char *)m->buf + LWS_PRE + STREAM_HDR_MAX;
}

/* The payload is in: put the text frame header right before it. */
static struct gw_msg *
msg_seal(struct gw_msg *m)
{
	unsigned char	*p = (unsigned char *)msg_data(m);
	size_t		 h, i;

	if (m->len < 126)
		h = 2;
	else if (m->len < 65536)
		h = 4;
	else
		h = 10;
	m->frame = p - h;
	m->flen = h + m->len;
	m->frame[0] = 0x81;		/* FIN, text */
	if (h == 2)
		m->frame[1] = (unsigned char)m->len;
	else if (h == 4) {
		m->frame[1] = 126;
		m->frame[2] = (unsigned char)(m->len >> 8);
		m->frame[3] = (unsigned char)m->len;
	} else {
		m->frame[1] = 127;
		for (i = 0; i < 8; i++)
			m->frame[2 + i] = (unsigned char)
			    ((uint64_t)m->len >> (56 - 8 * i));
	}
	return m;
}

/* Drop one reference. */
static void
msg_unref(struct gw_msg *m)
{
	if (--m->refs == 0)
		free(m);
}

/* A message from text. */
static struct gw_msg *
msg_text(const char *s, size_t len, int64_t seq)
{
	struct gw_msg	*m;

	m = msg_new(len, seq);
	memcpy(msg_data(m), s, len);
	return msg_seal(m);
}

/*
 * {"type":"agent_event","event":EV,"timestamp":"…"}, the original shape,
 * from the event's stored JSON text.
 */
static struct gw_msg	*msg_event_at(const char *, size_t,
			    const struct store_rec *, const char *, int64_t,
			    const char *);

static struct gw_msg *
msg_event(const char *ev, size_t evlen, int64_t seq)
{
	char	ts[TS_LEN];

	return msg_event_at(ev, evlen, NULL, NULL, seq, ts_now(ts));
}

/*
 * The same at time now, from text or from a store batch's record r
 * (received_at): then the stored text is written straight into the
 * message, never made on its own. Spliced by hand because this runs for
 * every event and client: what goes between the pieces is JSON already
 * (the stored text) or a time of ts_format's fixed form, which needs no
 * escaping.
 */
static struct gw_msg *
msg_event_at(const char *ev, size_t evlen, const struct store_rec *r,
    const char *received_at, int64_t seq, const char *now)
{
	static const char	 pre[] = "{\"type\":\"agent_event\",\"event\":";
	static const char	 mid[] = ",\"timestamp\":\"";
	struct gw_msg		*m;
	char			*p;
	size_t			 tl;

	tl = strlen(now);
	m = msg_new(sizeof pre - 1 + (r != NULL ? r->len + STORE_STAMP_MAX :
	    evlen) + sizeof mid - 1 + tl + 2, seq);
	p = msg_data(m);
	memcpy(p, pre, sizeof pre - 1);
	p += sizeof pre - 1;
	if (r != NULL)
		p += store_rec_text(r, seq, received_at, p);
	else {
		memcpy(p, ev, evlen);
		p += evlen;
	}
	memcpy(p, mid, sizeof mid - 1);
	p += sizeof mid - 1;
	memcpy(p, now, tl);
	p += tl;
	memcpy(p, "\"}", 2);
	p += 2;
	m->len = (size_t)(p - msg_data(m));
	return msg_seal(m);
}

/* A message from a JSON object (control messages, notifications). */
static struct gw_msg *
msg_json(struct json_object *o, int64_t seq)
{
	const char	*s;
	size_t		 len;

	s = avjson_str(o, &len);
	return msg_text(s, len, seq);
}

/* Free every queued message. Returns how many there were. */
static uint32_t
conn_flush_queue(struct gw_conn *c)
{
	uint32_t	n = c->qlen;

	while (c->qlen > 0) {
		msg_unref(c->q[c->qhead]);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	c->qhead = 0;
	return n;
}

/*
 * The client let its queue fill: stop queueing for it, free what it
 * holds, and have the writable callback tell it where to resume.
 */
static void
conn_lag(struct gw_conn *c)
{
	uint32_t	n;

	n = conn_flush_queue(c);
	c->dropped += n;
	c->gw->m.ws_queue_drops += n;
	c->gw->m.ws_lagged++;
	c->lagged = 1;
	free(c->q);
	c->q = NULL;
	c->qcap = 0;
	log_info_limited("stream: %s (%s) lagged at seq %lld, %u messages "
	    "dropped", c->id, c->user, (long long)c->written_seq, n);
	lws_callback_on_writable(c->wsi);
}

/*
 * Queue m for c (taking a reference). The queue grows as needed here: a
 * whole ingest batch is queued in one go, before any client could take
 * any of it. Whether a client lags is decided when the next batch comes
 * (stream_broadcast), by what it left unread since.
 */
static void
conn_push(struct gw_conn *c, struct gw_msg *m)
{
	uint32_t	ncap, i;
	struct gw_msg	**nq;

	if (c->lagged || c->closing || c->hup)
		return;
	if (c->qlen == c->qcap) {
		/* Grow, unrolling the ring so it starts at 0 again. */
		ncap = c->qcap ? c->qcap * 2 : STREAM_QUEUE_MIN;
		nq = xcalloc(ncap, sizeof *nq);
		for (i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qhead = 0;
		c->qcap = ncap;
	}
	m->refs++;
	c->q[(c->qhead + c->qlen) % c->qcap] = m;
	if (c->qlen++ == 0)
		lws_callback_on_writable(c->wsi);
}

/* Queue a one-off message made from o. */
static void
conn_push_json(struct gw_conn *c, struct json_object *o)
{
	struct gw_msg	*m;

	m = msg_json(o, 0);
	conn_push(c, m);
	msg_unref(m);
	json_object_put(o);
}

/* Does an event of this type, agent and project pass c's filters? */
static int
conn_match(const struct gw_conn *c, int type, const char *agent,
    const char *project)
{
	if (c->types != 0 && (type < 0 || !(c->types & (1u << type))))
		return 0;
	if (c->agent_id != NULL && (agent == NULL ||
	    strcmp(agent, c->agent_id) != 0))
		return 0;
	if (c->project != NULL && (project == NULL ||
	    strcmp(project, c->project) != 0))
		return 0;
	return 1;
}

/* metadata.<key> of ev as a string, or NULL. */
static const char *
ev_meta_str(struct json_object *ev, const char *key)
{
	struct json_object	*md, *v;

	if (!json_object_object_get_ex(ev, "metadata", &md) ||
	    !json_object_object_get_ex(md, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* metadata.<key> of ev as a number, or NAN-ish absent flag. */
static int
ev_meta_num(struct json_object *ev, const char *key, double *out)
{
	struct json_object	*md, *v;

	if (!json_object_object_get_ex(ev, "metadata", &md) ||
	    !json_object_object_get_ex(md, key, &v) ||
	    (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)))
		return 0;
	*out = json_object_get_double(v);
	return 1;
}

/*
 * The notification for ev. Its title is the dashboard's title(e), word
 * for word (gatewayd/www/js/wording.js is the table, and
 * tests/browser/dashboard.js checks the two agree): for the three types
 * below, the feed line without its "[type] " tag, by the same rules; for
 * the others, the line's head, "[type] name". As there, a string counts
 * only when it is not empty, and a number is written the way JavaScript
 * writes it: the fewest digits that read back the same, positional from
 * 1e-6 to below 1e21 (so a budget of a million is "1000000", not
 * "1e+06"), with an exponent beyond ("1e+21", "1.5e-7").
 */
static struct json_object *
stream_notification(struct json_object *ev, int type, const char *user)
{
	/* The metadata the titles use, each a string or a number. */
	enum { M_REASON, M_ERROR, M_TASK, M_DESCRIPTION, M_TASK_ID,
	    M_LEFT, M_TOTAL, M_DELTA, M__COUNT };
	static const char *const keys[M__COUNT] = { "reason", "error",
	    "task", "description", "task_id", "budget_remaining",
	    "budget_total", "budget_delta" };
	static const char zeros[] = "000000000000000000000";
	struct json_object	*o;
	const char		*m[M__COUNT], *name, *op, *task, *sign;
	const char		*level = "info";
	double			 d[M__COUNT];
	unsigned		 isnum = 0;
	char			 num[M__COUNT][32], sci[32], digits[17], *p;
	char			*title, ts[TS_LEN];
	int			 i, k, n, prec, total, delta;

	for (i = 0; i < M__COUNT; i++) {
		if ((m[i] = ev_meta_str(ev, keys[i])) != NULL) {
			if (*m[i] == '\0')
				m[i] = NULL;
			continue;
		}
		if (!ev_meta_num(ev, keys[i], &d[i]))
			continue;
		isnum |= 1u << i;
		m[i] = num[i];
		if (d[i] == 0) {		/* -0 too */
			snprintf(num[i], sizeof num[i], "0");
			continue;
		}
		/* The fewest significant digits that read back as d[i]. */
		for (prec = 1; prec <= 17; prec++) {
			snprintf(sci, sizeof sci, "%.*e", prec - 1, d[i]);
			if (prec == 17 || strtod(sci, NULL) == d[i])
				break;
		}
		/* sci is "-D.DDDe-XX": k digits, the point after digit n. */
		for (k = 0, p = sci; *p != 'e'; p++)
			if (*p >= '0' && *p <= '9')
				digits[k++] = *p;
		n = atoi(p + 1) + 1;
		sign = d[i] < 0 ? "-" : "";
		if (k <= n && n <= 21)		/* 1000000 */
			snprintf(num[i], sizeof num[i], "%s%.*s%.*s", sign,
			    k, digits, n - k, zeros);
		else if (n > 0 && n <= 21)	/* 12.5 */
			snprintf(num[i], sizeof num[i], "%s%.*s.%.*s", sign,
			    n, digits, k - n, digits + n);
		else if (n > -6 && n <= 0)	/* 0.0025 */
			snprintf(num[i], sizeof num[i], "%s0.%.*s%.*s", sign,
			    -n, zeros, k, digits);
		else				/* 1.5e+21, 2e-7 */
			snprintf(num[i], sizeof num[i], "%s%c%s%.*se%+d", sign,
			    digits[0], k > 1 ? "." : "", k - 1, digits + 1,
			    n - 1);
	}

	name = evt_get_str(ev, "agent_name");
	if (name == NULL || *name == '\0')
		name = evt_get_str(ev, "agent_id");
	if (name == NULL || *name == '\0')
		name = "agent";
	op = evt_get_str(ev, "operation");
	if (op != NULL && *op == '\0')
		op = NULL;
	switch (type) {
	case EVT_OPERATION_DENIED:
		level = "warning";
		title = xasprintf("%s denied %s%s%s", name,
		    op != NULL ? op : "operation", m[M_REASON] ? ": " : "",
		    m[M_REASON] ? m[M_REASON] : "");
		break;
	case EVT_TASK_FAILED:
		level = "error";
		task = m[M_TASK] ? m[M_TASK] : m[M_DESCRIPTION] ?
		    m[M_DESCRIPTION] : op ? op : m[M_TASK_ID] ? m[M_TASK_ID] :
		    "a task";
		title = xasprintf("%s failed %s%s%s", name, task,
		    m[M_ERROR] ? ": " : "", m[M_ERROR] ? m[M_ERROR] : "");
		break;
	case EVT_BUDGET_UPDATED:
		if (!(isnum & (1u << M_LEFT))) {
			title = xasprintf("%s budget updated", name);
			break;
		}
		total = (isnum & (1u << M_TOTAL)) != 0;
		delta = (isnum & (1u << M_DELTA)) != 0;
		title = xasprintf("%s budget: %s%s%s%s%s%s", name, m[M_LEFT],
		    total ? "/" : "", total ? m[M_TOTAL] : "",
		    !delta ? "" : d[M_DELTA] > 0 ? " (+" : " (",
		    delta ? m[M_DELTA] : "", delta ? ")" : "");
		if (total && d[M_TOTAL] > 0 && d[M_LEFT] <= d[M_TOTAL] * 0.1)
			level = "warning";
		break;
	default:
		title = xasprintf("[%s] %s", evt_types[type].name, name);
		break;
	}
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(
	    "notification"));
	json_object_object_add(o, "user_id", json_object_new_string(user));
	json_object_object_add(o, "level", json_object_new_string(level));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "event", json_object_get(ev));
	json_object_object_add(o, "timestamp", json_object_new_string(
	    ts_now(ts)));
	free(title);
	return o;
}

/*
 * Send stored events to every matching live client, notify their users.
 * The indexed fields and the stored text come from b, the store batch
 * they were stored from; only an event that goes out as a notification,
 * which embeds the object evs[i], has that object frozen to its stored
 * text.
 */
void
stream_broadcast(struct gw *gw, struct json_object **evs, size_t n,
    struct store_batch *b)
{
	struct gw_conn		*c;
	struct gw_msg		*m, *nm;
	struct json_object	*no;
	const struct store_ev	*ev;
	const int64_t		*seqs = b->seqs;
	char			 now[TS_LEN];
	size_t			 i;

	if (TAILQ_EMPTY(&gw->conns))
		return;
	/* A client still holding more than its queue's worth lags now. */
	TAILQ_FOREACH(c, &gw->conns, entry)
		if (!c->lagged && !c->closing &&
		    c->qlen > (uint32_t)gw->conf.ws_queue_len)
			conn_lag(c);
	ts_now(now);
	for (i = 0; i < n; i++) {
		if (seqs[i] == 0)
			continue;	/* duplicate: already sent once */
		ev = &b->recs[i].ev;
		m = NULL;
		TAILQ_FOREACH(c, &gw->conns, entry) {
			if (c->replaying || c->lagged || c->closing ||
			    seqs[i] <= c->last_seq ||
			    !conn_match(c, ev->type, ev->agent_id, ev->project))
				continue;
			if (m == NULL)
				m = msg_event_at(NULL, 0, &b->recs[i],
				    b->received_at, seqs[i], now);
			conn_push(c, m);
			c->last_seq = seqs[i];
		}
		if (m != NULL)
			msg_unref(m);

		if (!(gw->notify_mask & (1u << ev->type)) || ev->user_id == NULL)
			continue;
		nm = NULL;
		TAILQ_FOREACH(c, &gw->conns, entry) {
			if (strcmp(c->user, ev->user_id) != 0 || (c->project &&
			    (ev->project == NULL ||
			    strcmp(c->project, ev->project))))
				continue;
			if (nm == NULL) {
				store_batch_freeze(b, i, evs[i]);
				no = stream_notification(evs[i], ev->type,
				    ev->user_id);
				nm = msg_json(no, 0);
				json_object_put(no);
			}
			conn_push(c, nm);
		}
		if (nm != NULL)
			msg_unref(nm);
	}
}

/* Replay state carried through store_query. */
struct replay {
	struct gw_conn	*c;
	int		 rows;
	int64_t		 last;
};

/* One stored row during replay: filter (types beyond one) and queue. */
static int
stream_replay_row(void *arg, int64_t seq, const char *json, size_t len)
{
	struct replay		*r = arg;
	struct gw_conn		*c = r->c;
	struct json_object	*ev;
	struct gw_msg		*m;
	const char		*agent, *project;
	int			 type;

	r->rows++;
	r->last = seq;
	if (c->types != 0 && (c->types & (c->types - 1)) != 0) {
		/* Several types: the store filters one, we do the rest. */
		ev = avjson_parse(json, len, NULL);
		if (ev == NULL)
			return 0;
		type = evt_type_lookup(evt_get_str(ev, "event_type"));
		agent = evt_get_str(ev, "agent_id");
		project = ev_meta_str(ev, "project");
		if (!conn_match(c, type, agent, project)) {
			json_object_put(ev);
			return 0;
		}
		json_object_put(ev);
	}
	m = msg_event(json, len, seq);
	conn_push(c, m);
	msg_unref(m);
	return 0;
}

/* Fetch the next replay page; switch to live when it comes back short. */
static void
stream_replay_step(struct gw_conn *c)
{
	struct gw		*gw = c->gw;
	struct store_query	 q;
	struct replay		 r;
	char			*cause = NULL;
	int			 t, page;

	memset(&q, 0, sizeof q);
	q.type = -1;
	if (c->types != 0 && (c->types & (c->types - 1)) == 0)
		for (t = 0; t < EVT__COUNT; t++)
			if (c->types == 1u << t)
				q.type = t;
	q.agent_id = c->agent_id;
	q.project = c->project;
	q.since = c->replay_next;
	/* Half the queue at most, so a page never lags the client. */
	page = STREAM_REPLAY_PAGE;
	if (page > gw->conf.ws_queue_len / 2)
		page = (int)(gw->conf.ws_queue_len / 2);
	q.limit = page;
	memset(&r, 0, sizeof r);
	r.c = c;
	if (store_query(gw->store, &q, stream_replay_row, &r, &cause) != 0) {
		log_warnx_limited("stream: %s: replay: %s", c->id, cause);
		free(cause);
		gw->m.store_errors++;
		/* Unavailable store: go live rather than stall forever. */
		r.rows = 0;
	}
	if (r.rows > 0)
		c->replay_next = r.last;
	if (r.rows < page) {
		c->replaying = 0;
		c->last_seq = gw->bcast_seq;
		if (c->last_seq < c->replay_next)
			c->last_seq = c->replay_next;
		log_debug("stream: %s replayed up to %lld, live", c->id,
		    (long long)c->last_seq);
	} else
		lws_callback_on_writable(c->wsi);
}

/* Write queued messages while the socket takes them. -1 closes. */
static int
stream_writable(struct gw_conn *c)
{
	static unsigned char	 stream_stage[LWS_PRE + STREAM_STAGE];
	struct gw		*gw = c->gw;
	struct gw_msg		*m;
	unsigned char		*out;
	char			 buf[LWS_PRE + 64];
	size_t			 n;
	int			 rc, len;

	if (c->closing) {
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_GOINGAWAY,
		    (unsigned char *)"server shutdown", 15);
		return -1;
	}
	if (c->hup) {
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
		    (unsigned char *)"keepalive timeout", 17);
		return -1;
	}
	if (c->ping) {
		/* One write per callback: the queue waits for the next. */
		c->ping = 0;
		memcpy(buf + LWS_PRE, STREAM_PING_DATA,
		    sizeof STREAM_PING_DATA - 1);
		if (lws_write(c->wsi, (unsigned char *)buf + LWS_PRE,
		    sizeof STREAM_PING_DATA - 1, LWS_WRITE_PING) < 0)
			return -1;
		if (c->qlen > 0 || c->replaying || c->lagged)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->lagged) {
		len = snprintf(buf + LWS_PRE, sizeof buf - LWS_PRE,
		    "{\"type\":\"lagged\",\"resume_from\":%lld}",
		    (long long)c->written_seq);
		if (lws_write(c->wsi, (unsigned char *)buf + LWS_PRE,
		    (size_t)len, LWS_WRITE_TEXT) < 0)
			return -1;
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
		    (unsigned char *)"lagged", 6);
		return -1;
	}
	/*
	 * Gather queued frames into one send. The frames are complete, so
	 * they go out raw (LWS_WRITE_HTTP is lws's raw write); lws keeps
	 * whatever the kernel did not take and sends it before anything
	 * else, its own pings and close frame included.
	 */
	out = NULL;
	n = 0;
	while (c->qlen > 0) {
		m = c->q[c->qhead];
		if (n == 0 && m->flen >= STREAM_STAGE) {
			/* One big frame: straight from its buffer. */
			out = m->frame;
			n = m->flen;
		} else if (n + m->flen > STREAM_STAGE)
			break;
		else {
			memcpy(stream_stage + LWS_PRE + n, m->frame, m->flen);
			n += m->flen;
		}
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
		c->sent++;
		gw->m.ws_messages_sent++;
		if (m->seq > c->written_seq)
			c->written_seq = m->seq;
		if (out != NULL) {
			rc = lws_write(c->wsi, out, n, LWS_WRITE_HTTP);
			msg_unref(m);
			if (rc < 0)
				return -1;
			n = 0;
			break;
		}
		msg_unref(m);
	}
	if (n > 0 && lws_write(c->wsi, stream_stage + LWS_PRE, n,
	    LWS_WRITE_HTTP) < 0)
		return -1;
	if (c->qlen > 0)
		lws_callback_on_writable(c->wsi);
	else if (c->replaying)
		stream_replay_step(c);
	return 0;
}

/* A complete message from the client: {"type":"ping"} gets a pong. */
static void
stream_client_message(struct gw_conn *c, const char *s, size_t len)
{
	struct json_object	*o, *t, *reply;

	o = avjson_parse(s, len, NULL);
	if (o == NULL)
		return;
	if (json_object_object_get_ex(o, "type", &t) &&
	    json_object_is_type(t, json_type_string) &&
	    strcmp(json_object_get_string(t), "ping") == 0 &&
	    !c->lagged && !c->closing) {
		/* Pinging without reading: its pongs pile up like events. */
		if (c->qlen > (uint32_t)c->gw->conf.ws_queue_len) {
			conn_lag(c);
			json_object_put(o);
			return;
		}
		reply = json_object_new_object();
		json_object_object_add(reply, "type",
		    json_object_new_string("pong"));
		conn_push_json(c, reply);
	}
	json_object_put(o);
}

/*
 * Check n more bytes of UTF-8 (RFC 3629) after *st, which carries a
 * character cut between fragments: the continuation bytes still owed
 * (the low two bits) and the range the next one must be in. 0, or -1
 * at a byte that cannot come there; the text is whole when the owed
 * count is 0.
 */
static int
utf8_check(uint32_t *st, const unsigned char *s, size_t n)
{
	unsigned	need = *st & 3, lo = (*st >> 8) & 0xff;
	unsigned	hi = (*st >> 16) & 0xff;
	unsigned char	ch;
	size_t		i;

	for (i = 0; i < n; i++) {
		ch = s[i];
		if (need > 0) {
			if (ch < lo || ch > hi)
				return -1;
			need--;
			lo = 0x80;
			hi = 0xbf;
			continue;
		}
		/* Not overlong, no surrogate, nothing past U+10FFFF. */
		lo = 0x80;
		hi = 0xbf;
		if (ch < 0x80)
			continue;
		if (ch >= 0xc2 && ch <= 0xdf)
			need = 1;
		else if (ch >= 0xe0 && ch <= 0xef) {
			need = 2;
			if (ch == 0xe0)
				lo = 0xa0;
			else if (ch == 0xed)
				hi = 0x9f;
		} else if (ch >= 0xf0 && ch <= 0xf4) {
			need = 3;
			if (ch == 0xf0)
				lo = 0x90;
			else if (ch == 0xf4)
				hi = 0x8f;
		} else
			return -1;
	}
	*st = need | lo << 8 | hi << 16;
	return 0;
}

/* Fail the connection with code and reason (RFC 6455 7.1.7). -1. */
static int
stream_fail(struct gw_conn *c, enum lws_close_status code, const char *why)
{
	log_info_limited("stream: %s (%s): close %d: %s", c->id, c->user, (int)code,
	    why);
	lws_sul_cancel(&c->sul_hup);
	lws_close_reason(c->wsi, code, (unsigned char *)why, strlen(why));
	return -1;
}

/*
 * Collect a client message across fragments, within the size limit,
 * checking text as it comes (lws does not: see server.c). A frame that
 * announces more than the limit is refused at its first bytes, not read.
 */
static int
stream_receive(struct gw_conn *c, const void *in, size_t len)
{
	size_t	max = (size_t)c->gw->conf.max_ws_message_bytes;
	size_t	remain = lws_remaining_packet_payload(c->wsi);

	if (c->rxlen + len + remain > max) {
		log_info_limited("stream: %s sent a message over %zu bytes",
		    c->id, max);
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    (unsigned char *)"message too large", 17);
		return -1;
	}
	if (!lws_frame_is_binary(c->wsi) && utf8_check(&c->utf8, in, len) != 0)
		return stream_fail(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
		    "invalid UTF-8");
	if (c->rx == NULL)
		c->rx = xmalloc(max);
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (lws_is_final_fragment(c->wsi) && remain == 0) {
		if ((c->utf8 & 3) != 0)
			return stream_fail(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
			    "invalid UTF-8");
		stream_client_message(c, c->rx, c->rxlen);
		free(c->rx);
		c->rx = NULL;
		c->rxlen = 0;
		c->utf8 = 0;
	}
	return 0;
}

/*
 * The client sent a close frame: lws echoes it, or the code 1002 in it
 * when its code is not one a peer may send. What lws lets through, a
 * payload of one byte and a reason that is not UTF-8, fails the
 * connection here.
 */
static int
stream_peer_close(struct gw_conn *c, const unsigned char *in, size_t len)
{
	uint32_t	st = 0;

	if (len == 1)
		return stream_fail(c, LWS_CLOSE_STATUS_PROTOCOL_ERR,
		    "close frame of one byte");
	if (len > 2 && (utf8_check(&st, in + 2, len - 2) != 0 ||
	    (st & 3) != 0))
		return stream_fail(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
		    "close reason not UTF-8");
	return 0;
}

/*
 * lws hangs up on a client that answered no ping for hangup_timeout
 * (whole seconds, server.c) without a close frame; and its pings are
 * empty, so their pongs never reach this callback. Hence pings of our
 * own, a little before lws's would go (their pongs count for lws too,
 * so it does not ping as well), and just before lws would hang up, a
 * close 1011, so that the client knows why. Both count from the upgrade
 * and from the last pong.
 */
static void
stream_hup_cb(lws_sorted_usec_list_t *sul)
{
	struct gw_conn	*c = lws_container_of(sul, struct gw_conn, sul_hup);
	lws_usec_t	 now = lws_now_usecs();

	if (!c->listed || c->closing || c->lagged)
		return;
	if (now < c->hup_at) {
		c->ping = 1;
		lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul_hup,
		    stream_hup_cb, c->hup_at - now);
	} else {
		log_info_limited("stream: %s (%s) answered no ping: closing", c->id,
		    c->user);
		c->hup = 1;
		conn_flush_queue(c);
	}
	lws_callback_on_writable(c->wsi);
}

/* Arm the keepalive from now: a ping, then the close. */
static void
stream_hup_arm(struct gw_conn *c)
{
	const struct gw_config	*conf = &c->gw->conf;
	lws_usec_t		 hup, ping, early;

	hup = (lws_usec_t)(conf->hangup_timeout / 1000) * LWS_US_PER_SEC;
	ping = (lws_usec_t)(conf->ping_interval / 1000) * LWS_US_PER_SEC;
	if (hup == 0)
		return;
	/* Leave the client time to answer lws's ping. */
	early = STREAM_HUP_EARLY_US;
	if (hup > ping && (hup - ping) / 2 < early)
		early = (hup - ping) / 2;
	c->hup_at = lws_now_usecs() + hup - early;
	if (ping > STREAM_PING_EARLY_US && ping - STREAM_PING_EARLY_US <
	    hup - early)
		hup = ping - STREAM_PING_EARLY_US;
	else
		hup -= early;
	lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul_hup,
	    stream_hup_cb, hup);
}

/* Parse "a,b" of event type names into a mask. -1 on an unknown name. */
static int
stream_types(const char *s, unsigned *mask)
{
	char	 buf[512], *p, *save;
	int	 t;

	*mask = 0;
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	for (p = strtok_r(buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if ((t = evt_type_lookup(p)) < 0)
			return -1;
		*mask |= 1u << t;
	}
	return 0;
}

/*
 * Without tokens, a web page from anywhere could open the stream from a
 * browser on this machine (WebSockets are not bound by the same-origin
 * policy). A browser always sends Origin: it must name this host, a
 * loopback host (a dashboard under development, say on :3000) or
 * one of allow_origins. "null" (sandboxed frames, files) is refused.
 * Clients that send no Origin (wscat, scripts) are not browsers.
 */
static int
stream_origin_ok(struct gw *gw, struct lws *wsi)
{
	char		 origin[512], host[256];
	const char	*o;
	size_t		 i;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return 1;
	/* Present but too long to copy is not absent: refused. */
	if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0)
		return 0;
	for (i = 0; i < gw->conf.allow_origins.n; i++)
		if (strcasecmp(origin, gw->conf.allow_origins.v[i]) == 0)
			return 1;
	if ((o = gwconf_origin_hostport(origin)) == NULL)
		return 0;	/* "null", file:, ... */
	/* Served by us: access_host_ok has made sure Host is ours. */
	if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) > 0 &&
	    strcasecmp(o, host) == 0)
		return 1;
	return gwconf_is_loopback_host(o);
}

/*
 * Check an upgrade request: path, draining, auth, filters, connection
 * limit. 0 when it may proceed, else the HTTP status with *msg, and for
 * a bad query argument (422) its name in *arg.
 */
static int
stream_check(struct gw *gw, struct lws *wsi, struct access_who *who,
    const char **msg, const char **arg)
{
	char	*uri;
	int	 ulen, status;
	char	 val[512];
	unsigned mask;
	long long since;

	*arg = NULL;
	if (lws_http_get_uri_and_method(wsi, &uri, &ulen) < 0 ||
	    (size_t)ulen != strlen(STREAM_PATH) ||
	    strncmp(uri, STREAM_PATH, (size_t)ulen) != 0) {
		*msg = "Not Found";
		return 404;
	}
	if (gw->draining) {
		*msg = "server shutting down";
		return 503;
	}
	if (!access_host_ok(gw, wsi)) {
		*msg = ACCESS_HOST_REFUSED;
		return 403;
	}
	if ((status = access_who(gw, wsi, GW_TOK_USER, who, msg)) != 0)
		return status;
	if (!gw->auth_on && !stream_origin_ok(gw, wsi)) {
		*msg = "cross-origin WebSocket refused (configure tokens)";
		return 403;
	}
	switch (http_arg(wsi, "types=", val, sizeof val)) {
	case 1:
		if (stream_types(val, &mask) == 0)
			break;
		/* FALLTHROUGH */
	case -1:
		*arg = "types";
		*msg = "unknown event type";
		return 422;
	}
	val[0] = '\0';
	if (http_arg(wsi, "agent_id=", val, sizeof val) < 0 ||
	    strlen(val) > EVT_SHORT_MAX) {
		*arg = "agent_id";
		*msg = "longer than 256 bytes";
		return 422;
	}
	if (http_arg_int(wsi, "since=", &since) < 0) {
		*arg = "since";
		*msg = "want a sequence number";
		return 422;
	}
	if (gw->nconns >= (size_t)gw->conf.max_connections) {
		*msg = "too many connections";
		return 503;
	}
	return 0;
}

/* A new client: copy what it asked for, greet it, start replay. */
static int
stream_established(struct gw *gw, struct gw_conn *c, struct lws *wsi)
{
	struct access_who		 who;
	struct json_object	*o;
	const char		*msg, *bad;
	char			 arg[512];
	long long		 since;
	int64_t			 last;

	memset(c, 0, sizeof *c);
	c->wsi = wsi;
	c->gw = gw;
	/* Checked at upgrade; the headers are still here, ask again. */
	if (stream_check(gw, wsi, &who, &msg, &bad) != 0) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
		    (unsigned char *)msg, strlen(msg));
		return -1;
	}
	c->user = xstrdup(who.user);
	c->project = who.project[0] != '\0' ? xstrdup(who.project) : NULL;
	if (http_arg(wsi, "types=", arg, sizeof arg) == 1)
		stream_types(arg, &c->types);
	if (http_arg(wsi, "agent_id=", arg, sizeof arg) == 1 && arg[0] != '\0')
		c->agent_id = xstrdup(arg);
	c->since = -1;
	if (http_arg_int(wsi, "since=", &since) == 1) {
		/*
		 * A seq the store never reached (a client of a store since
		 * reset) would hold back every live event up to it: it
		 * means "everything new".
		 */
		last = store_last_seq(gw->store);
		c->since = since < last ? since : last;
	}
	uuidstr_v4(c->id);
	lws_get_peer_simple(wsi, c->addr, sizeof c->addr);
	stream_hup_arm(c);
	c->connected_ms = ts_now_ms();
	TAILQ_INSERT_TAIL(&gw->conns, c, entry);
	c->listed = 1;
	gw->nconns++;
	gw->m.ws_connections_total++;

	/* Committed but not yet broadcast events will come live. */
	c->last_seq = gw->bcast_seq;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("connected"));
	json_object_object_add(o, "connection_id",
	    json_object_new_string(c->id));
	json_object_object_add(o, "user_id", json_object_new_string(c->user));
	json_object_object_add(o, "last_seq",
	    json_object_new_int64(c->last_seq));
	conn_push_json(c, o);
	if (c->since >= 0) {
		c->replaying = 1;
		c->replay_next = c->since;
		c->written_seq = c->since;
	} else
		c->written_seq = c->last_seq;
	log_debug("stream: %s connected: user %s from %s%s", c->id, c->user,
	    c->addr, c->replaying ? " (replaying)" : "");
	return 0;
}

/* The client is gone: unlist it and free what it holds. */
static void
stream_closed(struct gw *gw, struct gw_conn *c)
{
	if (!c->listed)
		return;
	TAILQ_REMOVE(&gw->conns, c, entry);
	c->listed = 0;
	lws_sul_cancel(&c->sul_hup);
	gw->nconns--;
	conn_flush_queue(c);
	free(c->q);
	free(c->rx);
	free(c->user);
	free(c->project);
	free(c->agent_id);
	log_debug("stream: %s closed after %llu messages", c->id,
	    (unsigned long long)c->sent);
}

/*
 * A handshake lws would take but RFC 6455 4.2.1 does not: lws closes
 * without a word when the key is missing and takes any version as 13.
 * 0 when well formed, else 400 with *hdr and *msg.
 */
static int
stream_handshake_ok(struct lws *wsi, const char **hdr, const char **msg)
{
	char	buf[64];
	int	n;
	size_t	i;

	*hdr = "Sec-WebSocket-Key";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_KEY) <= 0) {
		*msg = "missing";
		return 400;
	}
	/* The base64 of 16 bytes: 22 digits and "==". */
	n = lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_KEY);
	if (n != 24 || buf[22] != '=' || buf[23] != '=' ||
	    strchr("AQgw", buf[21]) == NULL) {
		*msg = "want the base64 of 16 bytes";
		return 400;
	}
	for (i = 0; i < 22; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/", buf[i]) == NULL || buf[i] == '\0') {
			*msg = "want the base64 of 16 bytes";
			return 400;
		}
	*hdr = "Sec-WebSocket-Version";
	if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_VERSION) <= 0 ||
	    strcmp(buf, "13") != 0) {
		*msg = "want 13";
		return 400;
	}
	return 0;
}

/* Refuse an upgrade: status, its detail, the header it wants. 1 or -1. */
static int
stream_refuse(struct gw *gw, struct lws *wsi, int status,
    struct json_object *o, const char *hname, const char *hval)
{
	gw->m.ws_refused++;
	if (http_refuse_upgrade(wsi, status, o, hname, hval) != 0)
		return -1;
	return 1;	/* answered; lws completes it, and closes */
}

/* The stream protocol; also sees plain HTTP before a mount binds one. */
int
stream_callback(struct lws *wsi, int reason, void *user, void *in,
    size_t len)
{
	struct gw	*gw;
	struct gw_conn	*c = user;
	struct access_who	 who;
	const char	*msg, *arg;
	char		 num[16];
	int		 status, wait;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		gw = gw_from_wsi(wsi);
		if (strcasecmp(in, "websocket") != 0) {
			/* h2c and others: lws 4.1.6's h2 is not for us. */
			return stream_refuse(gw, wsi, 400, http_detail_str(
			    "only WebSocket upgrades are served"), NULL, NULL);
		}
		if ((status = stream_handshake_ok(wsi, &arg, &msg)) != 0)
			return stream_refuse(gw, wsi, status, http_detail(
			    "header", arg, msg), "sec-websocket-version:", "13");
		if ((status = stream_check(gw, wsi, &who, &msg, &arg)) != 0) {
			if (arg != NULL)
				return stream_refuse(gw, wsi, status,
				    http_detail("query", arg, msg), NULL, NULL);
			return stream_refuse(gw, wsi, status,
			    http_detail_str(msg), status == 401 ?
			    "www-authenticate:" : NULL, "Bearer");
		}
		if ((wait = access_rate(gw, wsi, &who)) != 0) {
			snprintf(num, sizeof num, "%d", wait);
			return stream_refuse(gw, wsi, 429, ingest_error(
			    "rate limit: retry in %d s", wait), "retry-after:",
			    num);
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		return stream_established(gw_from_wsi(wsi), c, wsi);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c == NULL || !c->listed)
			return 0;
		return stream_writable(c);
	case LWS_CALLBACK_RECEIVE:
		if (c == NULL || !c->listed)
			return -1;
		return stream_receive(c, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		if (c != NULL && c->listed)
			stream_hup_arm(c);
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (c == NULL || !c->listed)
			return 0;
		return stream_peer_close(c, in, len);
	case LWS_CALLBACK_CLOSED:
		if (c != NULL)
			stream_closed(gw_from_wsi(wsi), c);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		/* lws sends every connection's end here, protocols[0]. */
		door_release(wsi);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason,
	    user, in, len);
}

/* The connection manager's view of every client. */
struct json_object *
stream_connections(struct gw *gw)
{
	struct json_object	*a, *o;
	struct gw_conn		*c;
	char			 ts[TS_LEN];

	a = json_object_new_array();
	TAILQ_FOREACH(c, &gw->conns, entry) {
		o = json_object_new_object();
		json_object_object_add(o, "connection_id",
		    json_object_new_string(c->id));
		json_object_object_add(o, "user_id",
		    json_object_new_string(c->user));
		if (c->project != NULL)
			json_object_object_add(o, "project",
			    json_object_new_string(c->project));
		json_object_object_add(o, "address",
		    json_object_new_string(c->addr));
		json_object_object_add(o, "connected_at",
		    json_object_new_string(ts_format(ts, c->connected_ms)));
		json_object_object_add(o, "messages_sent",
		    json_object_new_int64((int64_t)c->sent));
		json_object_object_add(o, "queue_depth",
		    json_object_new_int64(c->qlen));
		json_object_object_add(o, "dropped",
		    json_object_new_int64((int64_t)c->dropped));
		json_object_object_add(o, "last_seq",
		    json_object_new_int64(c->written_seq));
		json_object_object_add(o, "state", json_object_new_string(
		    c->closing || c->hup ? "closing" : c->lagged ? "lagged" :
		    c->replaying ? "replaying" : "live"));
		json_object_array_add(a, o);
	}
	return a;
}

/* SIGTERM: every client gets close 1001 when next writable. */
void
stream_drain(struct gw *gw)
{
	struct gw_conn	*c;

	gw->draining = 1;
	TAILQ_FOREACH(c, &gw->conns, entry) {
		c->closing = 1;
		conn_flush_queue(c);
		lws_callback_on_writable(c->wsi);
	}
}
