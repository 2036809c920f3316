/*
 * store.c: the store front: parses the --store spec, dispatches to a back
 * end through its struct store_ops, and holds what all back ends share
 * (the canonical duplicate key, reading the indexed fields of an event,
 * stamping seq and received_at, folding per-project agent rows into the
 * /api/v1/agents answer).
 *
 * Every call into a back end holds the store's mutex: gatewayd inserts
 * from its writer thread while its service thread queries, retains and
 * reloads settings, and SQLite (opened NOMUTEX) and the memory store
 * (plain lists) are not thread-safe by themselves. A query therefore
 * sees exactly the committed batches, never half of one. PostgreSQL
 * locks for itself: its readers have a connection of their own, and see
 * committed batches by the server's own isolation.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "event.h"
#include "store.h"
#include "timefmt.h"
#include "xmalloc.h"

struct store {
	const struct store_ops	*ops;
	void			*b;		/* the back end's own state */
	int64_t			(*now_ms)(void);
	pthread_mutex_t		 lock;		/* around every back end call */
};

/* Take and leave the store's mutex, unless the back end locks for itself. */
static void
store_lock(struct store *st)
{
	if (!st->ops->locks_itself)
		pthread_mutex_lock(&st->lock);
}

static void
store_unlock(struct store *st)
{
	if (!st->ops->locks_itself)
		pthread_mutex_unlock(&st->lock);
}

/* Most retain_days taken at its word (a million days): no overflow in ms. */
#define STORE_DAYS_MAX	1000000LL

/* opts with nonsense made harmless: negative means off, huge means keep. */
static void
store_opts_clean(const struct store_opts *in, struct store_opts *out)
{
	*out = *in;
	if (out->retain_events < 0)
		out->retain_events = 0;
	if (out->retain_days < 0 || out->retain_days > STORE_DAYS_MAX)
		out->retain_days = 0;
	if (out->memory_per_type < 0)
		out->memory_per_type = 0;
}

/* Open the back end named by spec. */
struct store *
store_open(const char *spec, const struct store_opts *opts, char **cause)
{
	struct store_opts	 o;
	const struct store_ops	*ops;
	const char		*arg;
	struct store		*st;
	void			*b;

	if (spec == NULL || *spec == '\0') {
		*cause = xstrdup("empty store spec");
		return NULL;
	}
	if (strncmp(spec, "sqlite:", 7) == 0) {
		ops = &store_sqlite_ops;
		arg = spec + 7;
		if (*arg == '\0') {
			*cause = xstrdup("sqlite: store needs a path");
			return NULL;
		}
	} else if (strcmp(spec, "memory") == 0) {
		ops = &store_memory_ops;
		arg = "";
	} else if (strncmp(spec, "postgres://", 11) == 0 ||
	    strncmp(spec, "postgresql://", 13) == 0) {
#ifdef HAVE_PQ
		ops = &store_postgres_ops;
		arg = spec;
#else
		*cause = xstrdup("PostgreSQL store not built in");
		return NULL;
#endif
	} else {
		*cause = xasprintf("unknown store \"%s\" (sqlite:PATH, memory)",
		    spec);
		return NULL;
	}

	store_opts_clean(opts, &o);
	if ((b = ops->open(arg, &o, cause)) == NULL)
		return NULL;
	st = xcalloc(1, sizeof *st);
	st->ops = ops;
	st->b = b;
	st->now_ms = ts_now_ms;
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

/* spec with a relative SQLite path made absolute; see store.h. */
char *
store_spec_absolute(const char *spec, char **cause)
{
	char	abs[PATH_MAX];

	if (strncmp(spec, "sqlite:", 7) != 0 || spec[7] == '/')
		return xstrdup(spec);
	if (realpath(spec + 7, abs) == NULL) {
		*cause = xasprintf("store %s: %s", spec, strerror(errno));
		return NULL;
	}
	return xasprintf("sqlite:%s", abs);
}

/* Close the back end and free st. */
void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->b);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* Back end name for the health answer. */
const char *
store_kind(const struct store *st)
{
	return st->ops->kind;
}

/* New retention settings (SIGHUP). */
void
store_set_opts(struct store *st, const struct store_opts *opts)
{
	struct store_opts	o;

	store_opts_clean(opts, &o);
	store_lock(st);
	st->ops->set_opts(st->b, &o);
	store_unlock(st);
}

/* Replace the clock; tests travel in time with it. */
void
store_set_clock(struct store *st, int64_t (*now_ms)(void))
{
	st->now_ms = now_ms != NULL ? now_ms : ts_now_ms;
}

/* Store a batch, the three steps in one; see store.h. */
int
store_insert(struct store *st, struct json_object **evs, size_t n,
    int64_t *seqs, char **cause)
{
	struct store_batch	*b;
	int			 rc;

	memset(seqs, 0, n * sizeof *seqs);
	if (n == 0)
		return 0;
	if ((b = store_batch_new(evs, n, cause)) == NULL)
		return -1;
	rc = store_insert_batches(st, &b, 1, cause);
	if (rc == 0) {
		store_batch_finish(b, evs);
		memcpy(seqs, b->seqs, n * sizeof *seqs);
		rc = b->stored;
	}
	store_batch_free(b);
	return rc;
}

/* Bytes s takes in a batch's arena (0 for NULL). */
static size_t
store_strsize(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* Copy s of size bytes to *at; the copy, or NULL. */
static const char *
store_strcopy(const char *s, size_t size, char **at)
{
	char	*d = *at;

	if (s == NULL)
		return NULL;
	memcpy(d, s, size);
	*at += size;
	return d;
}

/* The string fields of ev that a batch copies, in *sp; their count. */
#define STORE_EV_STRS	10
static void
store_ev_strs(struct store_ev *ev, const char **sp[STORE_EV_STRS])
{
	sp[0] = &ev->event_id;
	sp[1] = &ev->agent_id;
	sp[2] = &ev->agent_name;
	sp[3] = &ev->agent_role;
	sp[4] = &ev->operation;
	sp[5] = &ev->status;
	sp[6] = &ev->timestamp;
	sp[7] = &ev->session_id;
	sp[8] = &ev->user_id;
	sp[9] = &ev->project;
}

/*
 * Flatten evs into a new batch: a pass that canonicalises, reads the
 * fields and serialises each event, then one allocation and a pass that
 * copies.
 *
 * Duplicates are equal (timestamp, event_id) keys, so the key is made
 * here, the one way into every back end: event_id in lower case and the
 * timestamp in ts_format's UTC form, written into the event itself, so
 * that the stored and broadcast text carries the key the store compared.
 * A client that re-serialises on retry ("+00:00" for "Z", an upper-case
 * UUID) then sends a duplicate, not a second event; and the fixed-width
 * UTC text sorts as the instants do, so SQLite's unique index on the key
 * still grows at its end.
 */
struct store_batch *
store_batch_new(struct json_object **evs, size_t n, char **cause)
{
	struct store_batch	*b;
	struct store_rec	*r;
	const char		**sp[STORE_EV_STRS], *why;
	size_t			 i, k, total = 0;
	char			*at;

	b = xcalloc(1, sizeof *b);
	b->n = n;
	b->recs = xreallocarray(NULL, n ? n : 1, sizeof *b->recs);
	b->seqs = xcalloc(n ? n : 1, sizeof *b->seqs);
	for (i = 0; i < n; i++) {
		r = &b->recs[i];
		if (evt_canonical(evs[i], &why) != 0) {
			*cause = xasprintf("event %zu: %s", i, why);
			store_batch_free(b);
			return NULL;
		}
		if (store_ev_get(evs[i], i, &r->ev, cause) != 0) {
			store_batch_free(b);
			return NULL;
		}
		r->text = avjson_str(evs[i], &r->len);
		total += r->len + 1;
		store_ev_strs(&r->ev, sp);
		for (k = 0; k < STORE_EV_STRS; k++)
			total += store_strsize(*sp[k]);
	}
	b->arena = at = xmalloc(total ? total : 1);
	for (i = 0; i < n; i++) {
		r = &b->recs[i];
		r->text = store_strcopy(r->text, r->len + 1, &at);
		store_ev_strs(&r->ev, sp);
		for (k = 0; k < STORE_EV_STRS; k++)
			*sp[k] = store_strcopy(*sp[k], store_strsize(*sp[k]), &at);
	}
	return b;
}

/* Store batches in one transaction; see store.h. */
int
store_insert_batches(struct store *st, struct store_batch **bs, size_t nb,
    char **cause)
{
	size_t	i;
	int	rc;

	for (i = 0; i < nb; i++) {
		memset(bs[i]->seqs, 0, bs[i]->n * sizeof *bs[i]->seqs);
		bs[i]->stored = 0;
	}
	store_lock(st);
	rc = st->ops->insert_batch(st->b, bs, nb, st->now_ms(), cause);
	store_unlock(st);
	return rc;
}

/* Stamp and freeze the stored events of b (evs as given to store_batch_new). */
void
store_batch_finish(struct store_batch *b, struct json_object **evs)
{
	size_t	i;

	for (i = 0; i < b->n; i++)
		store_batch_freeze(b, i, evs[i]);
}

/* Stamp and freeze obj, event i of b, if it was stored. */
void
store_batch_freeze(struct store_batch *b, size_t i, struct json_object *obj)
{
	const struct store_rec	*r = &b->recs[i];
	char			*text;

	if (b->seqs[i] == 0 || json_object_get_userdata(obj) != NULL)
		return;		/* a duplicate, or frozen already */
	text = xmalloc(r->len + STORE_STAMP_MAX);
	store_rec_text(r, b->seqs[i], b->received_at, text);
	store_ev_stamp(obj, b->seqs[i], b->received_at);
	/* The serialiser takes text (NUL-terminated) and frees it. */
	json_object_set_serializer(obj, json_object_userdata_to_json_string,
	    text, json_object_free_userdata);
}

/* Free a batch. */
void
store_batch_free(struct store_batch *b)
{
	if (b == NULL)
		return;
	free(b->arena);
	free(b->seqs);
	free(b->recs);
	free(b);
}

/*
 * The stored form: the event as sent, then seq and received_at, exactly
 * what json-c writes for the event with those two members added last
 * (test_store holds it to that). Spliced by hand, for every stored event:
 * seq is digits and received_at of ts_format's fixed form, which need no
 * escaping.
 */
size_t
store_rec_text(const struct store_rec *r, int64_t seq,
    const char *received_at, char *out)
{
	static const char	 a[] = ",\"seq\":", b[] = ",\"received_at\":\"";
	char			 digits[24], *d = digits + sizeof digits, *p;
	uint64_t		 v = (uint64_t)seq;
	size_t			 n;

	/* Digits from the end: snprintf cost more than all the rest. */
	do {
		*--d = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	p = out;
	memcpy(p, r->text, r->len - 1);	/* all but the closing brace */
	p += r->len - 1;
	memcpy(p, a, sizeof a - 1);
	p += sizeof a - 1;
	n = (size_t)(digits + sizeof digits - d);
	memcpy(p, d, n);
	p += n;
	memcpy(p, b, sizeof b - 1);
	p += sizeof b - 1;
	n = strlen(received_at);
	memcpy(p, received_at, n);
	p += n;
	memcpy(p, "\"}", 3);		/* and the NUL */
	return (size_t)(p + 2 - out);
}

/* Run a query of the read API or of a since replay. */
int
store_query(struct store *st, const struct store_query *q, store_row_cb cb,
    void *arg, char **cause)
{
	struct store_query	qq = *q;
	int			rc;

	/* Clamp rather than refuse: gatewayd already checked what users sent. */
	if (qq.limit < 1)
		qq.limit = 1;
	if (qq.limit > STORE_QUERY_MAX)
		qq.limit = STORE_QUERY_MAX;
	if (qq.since < 0)
		qq.since = 0;
	if (qq.type >= EVT__COUNT)
		return 0;
	store_lock(st);
	rc = st->ops->query(st->b, &qq, cb, arg, cause);
	store_unlock(st);
	return rc;
}

/* Highest seq ever assigned. */
int64_t
store_last_seq(struct store *st)
{
	int64_t	seq;

	store_lock(st);
	seq = st->ops->last_seq(st->b);
	store_unlock(st);
	return seq;
}

/* The write-ahead log's state, if the back end has one. */
int
store_wal(struct store *st, struct store_wal *w)
{
	if (st->ops->wal == NULL)
		return -1;
	store_lock(st);
	st->ops->wal(st->b, w);
	store_unlock(st);
	return 0;
}

/* Stored events per type and in total. */
int
store_counts(struct store *st, int64_t counts[EVT__COUNT], int64_t *total,
    char **cause)
{
	int	rc;

	store_lock(st);
	rc = st->ops->counts(st->b, counts, total, cause);
	store_unlock(st);
	return rc;
}

/* Apply retention, one chunk. */
long long
store_retain(struct store *st, char **cause)
{
	long long	n;

	store_lock(st);
	n = st->ops->retain(st->b, st->now_ms(), cause);
	store_unlock(st);
	return n;
}

/* String value or NULL when v is not a string. */
static const char *
store_strval(struct json_object *v)
{
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Number value or NULL when v is not a number. */
static struct json_object *
store_numval(struct json_object *v)
{
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return NULL;
	return v;
}

/*
 * Read the indexed fields of evs[i]. One walk over the members rather than
 * a hash lookup per field: this runs for every stored event.
 */
int
store_ev_get(struct json_object *obj, size_t i, struct store_ev *ev,
    char **cause)
{
	struct json_object	*md = NULL, *brem = NULL, *btot = NULL;
	const char		*type = NULL;

	memset(ev, 0, sizeof *ev);
	if (!json_object_is_type(obj, json_type_object)) {
		*cause = xasprintf("event %zu: not an object", i);
		return -1;
	}
	json_object_object_foreach(obj, key, val) {
		/* The first byte picks the few names worth comparing. */
		switch (key[0]) {
		case 'a':
			if (strcmp(key, "agent_id") == 0)
				ev->agent_id = store_strval(val);
			else if (strcmp(key, "agent_name") == 0)
				ev->agent_name = store_strval(val);
			else if (strcmp(key, "agent_role") == 0)
				ev->agent_role = store_strval(val);
			break;
		case 'e':
			if (strcmp(key, "event_type") == 0)
				type = store_strval(val);
			else if (strcmp(key, "event_id") == 0)
				ev->event_id = store_strval(val);
			break;
		case 'm':
			if (strcmp(key, "metadata") == 0)
				md = val;
			break;
		case 'o':
			if (strcmp(key, "operation") == 0)
				ev->operation = store_strval(val);
			break;
		case 's':
			if (strcmp(key, "status") == 0)
				ev->status = store_strval(val);
			break;
		case 't':
			if (strcmp(key, "timestamp") == 0)
				ev->timestamp = store_strval(val);
			break;
		}
	}
	/*
	 * gatewayd validated the batch already; these checks only keep a
	 * caller's mistake from storing a row nobody can find.
	 */
	if (type == NULL || (ev->type = evt_type_lookup(type)) < 0) {
		*cause = xasprintf("event %zu: bad event_type", i);
		return -1;
	}
	if (ev->event_id == NULL || ev->agent_id == NULL ||
	    ev->timestamp == NULL) {
		*cause = xasprintf("event %zu: event_id, agent_id or timestamp "
		    "missing", i);
		return -1;
	}
	if (!json_object_is_type(md, json_type_object))
		return 0;
	json_object_object_foreach(md, mkey, mval) {
		switch (mkey[0]) {
		case 'b':
			if (strcmp(mkey, "budget_remaining") == 0)
				brem = store_numval(mval);
			else if (strcmp(mkey, "budget_total") == 0)
				btot = store_numval(mval);
			break;
		case 'p':
			if (strcmp(mkey, "project") == 0)
				ev->project = store_strval(mval);
			break;
		case 's':
			if (strcmp(mkey, "session_id") == 0)
				ev->session_id = store_strval(mval);
			break;
		case 'u':
			if (strcmp(mkey, "user_id") == 0)
				ev->user_id = store_strval(mval);
			break;
		}
	}
	if (ev->type == EVT_BUDGET_UPDATED) {
		ev->budget_remaining = brem;
		ev->budget_total = btot;
	}
	return 0;
}

/* Add the output fields gatewayd assigns. */
void
store_ev_stamp(struct json_object *obj, int64_t seq, const char *received_at)
{
	json_object_object_add(obj, "seq", json_object_new_int64(seq));
	json_object_object_add(obj, "received_at",
	    json_object_new_string(received_at));
}

/* Replace *dst with a copy of src (NULL stays NULL). */
static void
store_setstr(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

/* A new JSON number equal to v. */
static struct json_object *
store_numdup(struct json_object *v)
{
	if (json_object_is_type(v, json_type_double))
		return json_object_new_double(json_object_get_double(v));
	return json_object_new_int64(json_object_get_int64(v));
}

/* Fold one event into an agent's state. */
void
store_agent_apply(struct store_agent *a, const struct store_ev *ev,
    int64_t seq)
{
	if (a->agent_id == NULL)
		a->agent_id = xstrdup(ev->agent_id);
	if (a->project == NULL)
		a->project = xstrdup(ev->project != NULL ? ev->project : "");
	store_setstr(&a->agent_name, ev->agent_name);
	store_setstr(&a->agent_role, ev->agent_role);
	store_setstr(&a->last_event_type, evt_types[ev->type].name);
	store_setstr(&a->last_operation, ev->operation);
	store_setstr(&a->last_status, ev->status);
	store_setstr(&a->last_seen, ev->timestamp);
	a->last_seq = seq;
	a->events++;
	if (ev->budget_remaining != NULL && ev->budget_total != NULL) {
		json_object_put(a->budget_remaining);
		json_object_put(a->budget_total);
		a->budget_remaining = store_numdup(ev->budget_remaining);
		a->budget_total = store_numdup(ev->budget_total);
		a->budget_seq = seq;
	}
}

/* Free what one row holds. */
static void
store_agent_clear(struct store_agent *a)
{
	free(a->agent_id);
	free(a->project);
	free(a->agent_name);
	free(a->agent_role);
	free(a->last_event_type);
	free(a->last_operation);
	free(a->last_status);
	free(a->last_seen);
	json_object_put(a->budget_remaining);
	json_object_put(a->budget_total);
	memset(a, 0, sizeof *a);
}

/* Free n rows and the array. */
void
store_agents_free(struct store_agent *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		store_agent_clear(&rows[i]);
	free(rows);
}

/* qsort order: agent_id, then newest last. */
static int
store_agent_cmp(const void *a1, const void *a2)
{
	const struct store_agent	*a = a1, *b = a2;
	int				 c;

	if ((c = strcmp(a->agent_id, b->agent_id)) != 0)
		return c;
	return (a->last_seq > b->last_seq) - (a->last_seq < b->last_seq);
}

/* Add key: string or null. */
static void
store_addstr(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s != NULL ? json_object_new_string(s) :
	    NULL);
}

/* The JSON object of one (merged) agent. */
static struct json_object *
store_agent_json(const struct store_agent *a, int64_t events,
    const struct store_agent *budget)
{
	struct json_object	*o;

	o = json_object_new_object();
	store_addstr(o, "agent_id", a->agent_id);
	store_addstr(o, "agent_name", a->agent_name);
	store_addstr(o, "agent_role", a->agent_role);
	store_addstr(o, "last_event_type", a->last_event_type);
	store_addstr(o, "last_operation", a->last_operation);
	store_addstr(o, "last_status", a->last_status);
	store_addstr(o, "last_seen", a->last_seen);
	json_object_object_add(o, "last_seq", json_object_new_int64(a->last_seq));
	json_object_object_add(o, "events", json_object_new_int64(events));
	if (budget != NULL) {
		json_object_object_add(o, "budget_remaining",
		    store_numdup(budget->budget_remaining));
		json_object_object_add(o, "budget_total",
		    store_numdup(budget->budget_total));
	} else {
		json_object_object_add(o, "budget_remaining", NULL);
		json_object_object_add(o, "budget_total", NULL);
	}
	return o;
}

/*
 * Latest state per agent. Back ends keep one row per (agent, project) so
 * a project-scoped token sees only its project; without a scope the rows
 * of one agent fold together: names and last event from the newest row,
 * event counts summed, budget from the newest budget_updated.
 */
struct json_object *
store_agents(struct store *st, const char *project, char **cause)
{
	struct store_agent		*rows = NULL;
	const struct store_agent	*last, *budget;
	struct json_object		*arr;
	size_t				 n = 0, i, j;
	int64_t				 events;
	int				 rc;

	store_lock(st);
	rc = st->ops->agents(st->b, project, &rows, &n, cause);
	store_unlock(st);
	if (rc != 0)
		return NULL;
	if (n > 1)
		qsort(rows, n, sizeof *rows, store_agent_cmp);
	arr = json_object_new_array_ext(n > 0 ? (int)n : 1);
	for (i = 0; i < n; i = j) {
		events = 0;
		budget = NULL;
		for (j = i; j < n && strcmp(rows[j].agent_id,
		    rows[i].agent_id) == 0; j++) {
			events += rows[j].events;
			if (rows[j].budget_remaining != NULL &&
			    rows[j].budget_total != NULL &&
			    (budget == NULL ||
			    rows[j].budget_seq > budget->budget_seq))
				budget = &rows[j];
		}
		last = &rows[j - 1];	/* sorted: newest of the agent last */
		json_object_array_add(arr, store_agent_json(last, events,
		    budget));
	}
	store_agents_free(rows, n);
	return arr;
}
