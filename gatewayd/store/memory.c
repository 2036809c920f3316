/*
 * memory.c: the store without a disk ("memory"): per event type a FIFO
 * of at most memory_per_type events (1000), the oldest evicted first,
 * lost on restart. Sequence numbers are global and start again at 1 on each
 * start, which is the best a store without a disk can do: a client that
 * resumes with a seq above last_seq gets only live events.
 *
 * Duplicates are recognised as in the SQLite store, by the canonical
 * timestamp and event_id (store_batch_new), among the events still held;
 * an evicted event may be stored again.
 *
 * Events are kept as their serialised output form, so a query only
 * copies bytes out.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "event.h"
#include "store.h"
#include "timefmt.h"
#include "xmalloc.h"

/* Events kept per type when no memory_per_type is given. */
#define MEM_PER_TYPE_DEFAULT	1000
/* Agent rows kept; past it the least recently seen one is dropped. */
#define MEM_AGENTS_MAX		10000

/* One held event. */
struct mem_ev {
	int64_t		 seq;
	int64_t		 received_ms;
	int		 type;
	char		*event_id;
	char		*ts;		/* part of the duplicate key */
	char		*agent_id;
	char		*session_id;
	char		*user_id;
	char		*project;
	char		*json;
	size_t		 len;
};

/*
 * The FIFO of one type: v[(head + i) % alloc] is the i-th oldest. It
 * grows up to cap as events come, so a large memory_per_type costs
 * nothing until it is used.
 */
struct mem_ring {
	struct mem_ev	**v;
	size_t		  alloc;
	size_t		  cap;
	size_t		  head;
	size_t		  n;
};

/*
 * A set of pointers hashed by key: open addressing with linear probing and
 * backward-shift deletion, so the constant eviction of a full store leaves
 * no tombstones that would slow every lookup down.
 */
struct mem_set {
	void		**slot;
	size_t		  cap;		/* power of two */
	size_t		  n;
	uint64_t	(*hash)(const void *);
	int		(*eq)(const void *, const void *);
};

struct mem_store {
	struct store_opts opts;
	size_t		 per_type;
	struct mem_ring	 rings[EVT__COUNT];
	struct mem_set	 ids;		/* struct mem_ev by event_id, ts */
	struct mem_set	 agents;	/* struct store_agent by agent, project */
	int64_t		 last_seq;
	int64_t		 total;
};

/* FNV-1a of a string, continuing from h. */
static uint64_t
mem_fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Hash of an event's id. */
static uint64_t
mem_ev_hash(const void *p)
{
	return mem_fnv(0xcbf29ce484222325ULL, ((const struct mem_ev *)p)->event_id);
}

/* Same event_id and timestamp? */
static int
mem_ev_eq(const void *a1, const void *a2)
{
	const struct mem_ev	*a = a1, *b = a2;

	return strcmp(a->event_id, b->event_id) == 0 && strcmp(a->ts, b->ts) == 0;
}

/* Hash of an agent row's key. */
static uint64_t
mem_agent_hash(const void *p)
{
	const struct store_agent	*a = p;

	/* The 0xff between cannot occur in UTF-8, so keys cannot alias. */
	return mem_fnv(mem_fnv(mem_fnv(0xcbf29ce484222325ULL, a->agent_id),
	    "\xff"), a->project);
}

/* Same agent and project? */
static int
mem_agent_eq(const void *a1, const void *a2)
{
	const struct store_agent	*a = a1, *b = a2;

	return strcmp(a->agent_id, b->agent_id) == 0 &&
	    strcmp(a->project, b->project) == 0;
}

/* Empty set. */
static void
mem_set_init(struct mem_set *set, uint64_t (*hash)(const void *),
    int (*eq)(const void *, const void *))
{
	set->cap = 64;
	set->n = 0;
	set->slot = xcalloc(set->cap, sizeof *set->slot);
	set->hash = hash;
	set->eq = eq;
}

/* Index of the slot holding an element equal to key, or of the empty slot ending its probe. */
static size_t
mem_set_probe(const struct mem_set *set, const void *key)
{
	size_t	i, mask = set->cap - 1;

	for (i = set->hash(key) & mask; set->slot[i] != NULL; i = (i + 1) & mask)
		if (set->eq(set->slot[i], key))
			break;
	return i;
}

/* The element equal to key, or NULL. */
static void *
mem_set_find(const struct mem_set *set, const void *key)
{
	return set->slot[mem_set_probe(set, key)];
}

/* Add p, which must not be there yet. */
static void
mem_set_add(struct mem_set *set, void *p)
{
	void	**old = set->slot;
	size_t	  i, oldcap = set->cap;

	/* Keep the load at most one half: probes stay short. */
	if ((set->n + 1) * 2 > set->cap) {
		set->cap *= 2;
		set->slot = xcalloc(set->cap, sizeof *set->slot);
		set->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				mem_set_add(set, old[i]);
		free(old);
	}
	set->slot[mem_set_probe(set, p)] = p;
	set->n++;
}

/* Remove p (the very pointer) if present. */
static void
mem_set_del(struct mem_set *set, const void *p)
{
	size_t	i, j, home, mask = set->cap - 1;

	i = mem_set_probe(set, p);
	if (set->slot[i] != p)
		return;
	set->slot[i] = NULL;
	set->n--;
	/*
	 * Backward shift: move up every later element of the cluster whose
	 * home slot is not in (i, j], so no probe meets a hole too early.
	 */
	for (j = (i + 1) & mask; set->slot[j] != NULL; j = (j + 1) & mask) {
		home = set->hash(set->slot[j]) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			set->slot[i] = set->slot[j];
			set->slot[j] = NULL;
			i = j;
		}
	}
}

/* Free one held event. */
static void
mem_ev_free(struct mem_ev *e)
{
	free(e->event_id);
	free(e->ts);
	free(e->agent_id);
	free(e->session_id);
	free(e->user_id);
	free(e->project);
	free(e->json);
	free(e);
}

/* The i-th oldest event of a ring. */
static struct mem_ev *
mem_ring_at(const struct mem_ring *r, size_t i)
{
	return r->v[(r->head + i) % r->alloc];
}

/* Move r's events into a new array of size alloc, oldest first. */
static void
mem_ring_realloc(struct mem_ring *r, size_t alloc)
{
	struct mem_ev	**v;
	size_t		  i;

	v = xcalloc(alloc, sizeof *v);
	for (i = 0; i < r->n; i++)
		v[i] = mem_ring_at(r, i);
	free(r->v);
	r->v = v;
	r->alloc = alloc;
	r->head = 0;
}

/* Drop the oldest event of ring r. */
static void
mem_evict(struct mem_store *mem, struct mem_ring *r)
{
	struct mem_ev	*e = r->v[r->head];

	r->v[r->head] = NULL;
	r->head = (r->head + 1) % r->alloc;
	r->n--;
	mem->total--;
	mem_set_del(&mem->ids, e);
	mem_ev_free(e);
}

/* Give every ring capacity cap, evicting the oldest beyond it. */
static void
mem_resize(struct mem_store *mem, size_t cap)
{
	struct mem_ring	*r;
	int		 t;

	for (t = 0; t < EVT__COUNT; t++) {
		r = &mem->rings[t];
		while (r->n > cap)
			mem_evict(mem, r);
		if (r->alloc > cap)
			mem_ring_realloc(r, cap);
		r->cap = cap;
	}
	mem->per_type = cap;
}

/* Apply opts (at open and on SIGHUP). */
static void
mem_set_opts(void *b, const struct store_opts *opts)
{
	struct mem_store	*mem = b;
	size_t			 cap;

	mem->opts = *opts;
	cap = opts->memory_per_type > 0 ? (size_t)opts->memory_per_type :
	    MEM_PER_TYPE_DEFAULT;
	if (cap != mem->per_type)
		mem_resize(mem, cap);
}

/* New empty store. */
static void *
mem_open(const char *arg, const struct store_opts *opts, char **cause)
{
	struct mem_store	*mem;

	mem = xcalloc(1, sizeof *mem);
	mem_set_init(&mem->ids, mem_ev_hash, mem_ev_eq);
	mem_set_init(&mem->agents, mem_agent_hash, mem_agent_eq);
	mem_set_opts(mem, opts);
	return mem;
}

/* Free everything. */
static void
mem_close(void *b)
{
	struct mem_store	*mem = b;
	struct store_agent	*a;
	size_t			 i;
	int			 t;

	for (t = 0; t < EVT__COUNT; t++) {
		while (mem->rings[t].n > 0)
			mem_evict(mem, &mem->rings[t]);
		free(mem->rings[t].v);
	}
	for (i = 0; i < mem->agents.cap; i++) {
		if ((a = mem->agents.slot[i]) != NULL)
			store_agents_free(a, 1);
	}
	free(mem->agents.slot);
	free(mem->ids.slot);
	free(mem);
}

/* Copy of s or NULL. */
static char *
mem_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Drop the agent row seen least recently (the map is full). */
static void
mem_agent_evict(struct mem_store *mem)
{
	struct store_agent	*a, *old = NULL;
	size_t			 i;

	for (i = 0; i < mem->agents.cap; i++) {
		a = mem->agents.slot[i];
		if (a != NULL && (old == NULL || a->last_seq < old->last_seq))
			old = a;
	}
	if (old != NULL) {
		mem_set_del(&mem->agents, old);
		store_agents_free(old, 1);
	}
}

/* Fold ev into its agent row. */
static void
mem_agent_update(struct mem_store *mem, const struct store_ev *ev,
    int64_t seq)
{
	struct store_agent	 key, *a;

	memset(&key, 0, sizeof key);
	key.agent_id = (char *)ev->agent_id;
	key.project = (char *)(ev->project != NULL ? ev->project : "");
	if ((a = mem_set_find(&mem->agents, &key)) == NULL) {
		if (mem->agents.n >= MEM_AGENTS_MAX)
			mem_agent_evict(mem);
		a = xcalloc(1, sizeof *a);
		store_agent_apply(a, ev, seq);	/* sets the key first */
		mem_set_add(&mem->agents, a);
		return;
	}
	store_agent_apply(a, ev, seq);
}

/* Hold one record of a batch as seq, unless it is a duplicate. */
static int64_t
mem_insert_rec(struct mem_store *mem, const struct store_rec *rec,
    const char *received_at, int64_t now_ms)
{
	const struct store_ev	*ev = &rec->ev;
	struct mem_ev		*e, key;
	struct mem_ring		*r;
	size_t			 grow;

	key.event_id = (char *)ev->event_id;
	key.ts = (char *)ev->timestamp;
	if (mem_set_find(&mem->ids, &key) != NULL)
		return 0;	/* duplicate, also within the batch */
	r = &mem->rings[ev->type];
	if (r->n == r->cap)
		mem_evict(mem, r);
	if (r->n == r->alloc) {
		grow = r->alloc < 32 ? 64 : r->alloc * 2;
		mem_ring_realloc(r, grow < r->cap ? grow : r->cap);
	}

	e = xcalloc(1, sizeof *e);
	e->seq = ++mem->last_seq;
	e->received_ms = now_ms;
	e->type = ev->type;
	e->event_id = xstrdup(ev->event_id);
	e->ts = xstrdup(ev->timestamp);
	e->agent_id = xstrdup(ev->agent_id);
	e->session_id = mem_strdup(ev->session_id);
	e->user_id = mem_strdup(ev->user_id);
	e->project = mem_strdup(ev->project);
	e->json = xmalloc(rec->len + STORE_STAMP_MAX);
	e->len = store_rec_text(rec, e->seq, received_at, e->json);

	r->v[(r->head + r->n) % r->alloc] = e;
	r->n++;
	mem->total++;
	mem_set_add(&mem->ids, e);
	mem_agent_update(mem, ev, e->seq);
	return e->seq;
}

/* Store batches; holding them in memory cannot fail. */
static int
mem_insert_batch(void *b, struct store_batch **bs, size_t nb, int64_t now_ms,
    char **cause)
{
	struct mem_store	*mem = b;
	struct store_batch	*sb;
	size_t			 k, i;

	for (k = 0; k < nb; k++) {
		sb = bs[k];
		ts_format(sb->received_at, now_ms);
		for (i = 0; i < sb->n; i++) {
			sb->seqs[i] = mem_insert_rec(mem, &sb->recs[i],
			    sb->received_at, now_ms);
			if (sb->seqs[i] != 0)
				sb->stored++;
		}
	}
	return 0;
}

/* Does e pass the filters of q? */
static int
mem_match(const struct mem_ev *e, const struct store_query *q)
{
	if (q->agent_id != NULL && strcmp(e->agent_id, q->agent_id) != 0)
		return 0;
	if (q->session_id != NULL && (e->session_id == NULL ||
	    strcmp(e->session_id, q->session_id) != 0))
		return 0;
	if (q->user_id != NULL && (e->user_id == NULL ||
	    strcmp(e->user_id, q->user_id) != 0))
		return 0;
	if (q->project != NULL && (e->project == NULL ||
	    strcmp(e->project, q->project) != 0))
		return 0;
	return 1;
}

/* Index of the first event of r with seq > since (rings are in seq order). */
static size_t
mem_ring_after(const struct mem_ring *r, int64_t since)
{
	size_t	lo = 0, hi = r->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mem_ring_at(r, mid)->seq <= since)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Merge the rings in seq order, filtering. */
static int
mem_query(void *b, const struct store_query *q, store_row_cb cb, void *arg,
    char **cause)
{
	struct mem_store	*mem = b;
	struct mem_ring		*r;
	struct mem_ev		*e, *best;
	size_t			 pos[EVT__COUNT];
	int			 t, bt, sent = 0;

	for (t = 0; t < EVT__COUNT; t++) {
		r = &mem->rings[t];
		pos[t] = (q->type < 0 || q->type == t) ?
		    mem_ring_after(r, q->since) : r->n;
	}
	while (sent < q->limit) {
		best = NULL;
		bt = -1;
		for (t = 0; t < EVT__COUNT; t++) {
			r = &mem->rings[t];
			if (pos[t] >= r->n)
				continue;
			e = mem_ring_at(r, pos[t]);
			if (best == NULL || e->seq < best->seq) {
				best = e;
				bt = t;
			}
		}
		if (best == NULL)
			break;
		pos[bt]++;
		if (!mem_match(best, q))
			continue;
		sent++;
		if (cb(arg, best->seq, best->json, best->len) != 0)
			break;
	}
	return 0;
}

/* Highest seq assigned since start. */
static int64_t
mem_last_seq(void *b)
{
	struct mem_store	*mem = b;

	return mem->last_seq;
}

/* Events held per type. */
static int
mem_counts(void *b, int64_t counts[EVT__COUNT], int64_t *total, char **cause)
{
	struct mem_store	*mem = b;
	int			 t;

	for (t = 0; t < EVT__COUNT; t++)
		counts[t] = (int64_t)mem->rings[t].n;
	*total = mem->total;
	return 0;
}

/* Copies of the agent rows (of one project). */
static int
mem_agents(void *b, const char *project, struct store_agent **rowsp,
    size_t *np, char **cause)
{
	struct mem_store	*mem = b;
	struct store_agent	*rows, *a, *c;
	size_t			 i, n = 0;

	rows = xcalloc(mem->agents.n > 0 ? mem->agents.n : 1, sizeof *rows);
	for (i = 0; i < mem->agents.cap; i++) {
		if ((a = mem->agents.slot[i]) == NULL)
			continue;
		if (project != NULL && strcmp(a->project, project) != 0)
			continue;
		c = &rows[n++];
		*c = *a;
		c->agent_id = mem_strdup(a->agent_id);
		c->project = mem_strdup(a->project);
		c->agent_name = mem_strdup(a->agent_name);
		c->agent_role = mem_strdup(a->agent_role);
		c->last_event_type = mem_strdup(a->last_event_type);
		c->last_operation = mem_strdup(a->last_operation);
		c->last_status = mem_strdup(a->last_status);
		c->last_seen = mem_strdup(a->last_seen);
		if (a->budget_remaining != NULL)
			json_object_get(a->budget_remaining);
		if (a->budget_total != NULL)
			json_object_get(a->budget_total);
	}
	*rowsp = rows;
	*np = n;
	return 0;
}

/* Evict by retain_events and retain_days, oldest first, one chunk. */
static long long
mem_retain(void *b, int64_t now_ms, char **cause)
{
	struct mem_store	*mem = b;
	struct mem_ring		*r, *oldest;
	int64_t			 cutoff = 0;
	long long		 ndel = 0;
	int			 t, over, old;

	if (mem->opts.retain_days > 0)
		cutoff = now_ms - mem->opts.retain_days * 86400000LL;
	while (ndel < STORE_RETAIN_CHUNK) {
		oldest = NULL;
		for (t = 0; t < EVT__COUNT; t++) {
			r = &mem->rings[t];
			if (r->n > 0 && (oldest == NULL ||
			    r->v[r->head]->seq < oldest->v[oldest->head]->seq))
				oldest = r;
		}
		if (oldest == NULL)
			break;
		over = mem->opts.retain_events > 0 &&
		    mem->total > mem->opts.retain_events;
		old = mem->opts.retain_days > 0 &&
		    oldest->v[oldest->head]->received_ms < cutoff;
		if (!over && !old)
			break;
		mem_evict(mem, oldest);
		ndel++;
	}
	return ndel;
}

const struct store_ops store_memory_ops = {
	.kind = "memory",
	.open = mem_open,
	.close = mem_close,
	.set_opts = mem_set_opts,
	.insert_batch = mem_insert_batch,
	.query = mem_query,
	.last_seq = mem_last_seq,
	.counts = mem_counts,
	.agents = mem_agents,
	.retain = mem_retain,
};
