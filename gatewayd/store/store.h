/*
 * store.h: where gatewayd keeps events, behind one small interface with
 * several back ends: "sqlite:PATH" (default; WAL), "memory" (at most
 * memory_per_type per type, FIFO, lost on restart) and "postgres://…"
 * (when built with libpq).
 *
 * The store owns sequence numbers: seq is store-wide, strictly increasing
 * and never reused, also across restarts (SQLite) so clients resuming with
 * `since` never miss or repeat an event.
 *
 * Calls may come from several threads (gatewayd inserts on its writer
 * thread, every back end alike, and queries on its service thread):
 * store.c serialises every call into a back end with one mutex, so back
 * ends stay single-threaded, unless the back end locks for itself
 * (PostgreSQL, whose reads must not wait for a commit on a busy
 * server). A back end may block (SQLite briefly, a PostgreSQL server for
 * as long as it is slow).
 *
 * There is one write path: a back end's insert_batch, which stores the
 * flattened batches of store_batch_new, every stored text made by
 * store_rec_text.
 */
#ifndef AV_STORE_H
#define AV_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "event.h"
#include "timefmt.h"

struct store;
struct store_batch;

/* Limits and policies given at open (and on SIGHUP via store_set_opts). */
struct store_opts {
	long long	retain_events;	/* keep at most this many events; 0 = no limit */
	long long	retain_days;	/* drop events older than this; 0 = keep */
	long long	memory_per_type; /* memory store: per-type cap (1000) */
};

/* A query of the read API and of the WebSocket `since` replay. */
struct store_query {
	int		 type;		/* enum evt_type, or -1 for any */
	const char	*agent_id;	/* NULL = any */
	const char	*session_id;	/* NULL = any (metadata.session_id) */
	const char	*user_id;	/* NULL = any (metadata.user_id) */
	const char	*project;	/* NULL = any (metadata.project); token scope */
	int64_t		 since;		/* only seq > since */
	int		 limit;		/* at most this many (1..1000; clamped) */
};

/* Most rows one store_query returns. */
#define STORE_QUERY_MAX		1000
/* Most rows one store_retain call removes (keeps each call short). */
#define STORE_RETAIN_CHUNK	5000

/*
 * Called once per matching event, ascending seq. json is the stored
 * output form of the event (with seq and received_at), not NUL-owned by
 * the callee: copy what you keep. Return non-zero to stop early.
 */
typedef int (*store_row_cb)(void *arg, int64_t seq, const char *json, size_t len);

/*
 * Open spec ("sqlite:PATH", "memory", "postgres://…" when built with
 * HAVE_PQ, else it fails with "PostgreSQL store not built in"). NULL
 * with *cause on failure.
 */
struct store *store_open(const char *spec, const struct store_opts *opts, char **cause);
/*
 * spec as it reads from any directory (a new string): a relative SQLite
 * path is made absolute, which needs the file to exist. NULL with *cause.
 */
char *store_spec_absolute(const char *spec, char **cause);
/* Close and free. */
void store_close(struct store *st);
/* "sqlite", "memory", … for /api/v1/health. */
const char *store_kind(const struct store *st);
/* Update retention settings (SIGHUP). */
void store_set_opts(struct store *st, const struct store_opts *opts);

/*
 * Store a validated batch in one transaction. Every event's event_id and
 * timestamp are first put in their canonical forms in place
 * (evt_canonical: lower case; UTC, milliseconds). An event whose
 * canonical event_id and timestamp are already stored (or repeated
 * within the batch) is a duplicate, however the client spelt them: not
 * stored, seqs[i] = 0. Every stored event object gets "seq" and
 * "received_at" added in place, and from then on serialises (json-c,
 * avjson_str, also nested in a larger object) to exactly the stored text
 * without serialising again: broadcast it, do not modify it. Returns the
 * number stored, or -1 with *cause when the store is unavailable (nothing
 * of the batch stored, no object changed but for the canonical forms:
 * gatewayd answers 503).
 */
int store_insert(struct store *st, struct json_object **evs, size_t n,
    int64_t *seqs, char **cause);

/*
 * The same in three steps, so that the middle one runs on gatewayd's
 * writer thread: store_batch_new canonicalises and flattens the events
 * (their indexed fields and their text, copied into the batch) on the
 * caller's thread;
 * store_insert_batches stores one or more batches in one transaction,
 * reading nothing but the batches (group commit; -1 stores none of
 * them); store_batch_finish then stamps and freezes the stored events as
 * store_insert does. The batch borrows the numbers of budget_updated
 * events from evs: keep evs, unmodified, until the batch is freed.
 */
struct store_batch *store_batch_new(struct json_object **evs, size_t n,
    char **cause);
int store_insert_batches(struct store *st, struct store_batch **bs,
    size_t nb, char **cause);
void store_batch_finish(struct store_batch *b, struct json_object **evs);
/* The same for evs[i] alone (obj), if it was stored. */
void store_batch_freeze(struct store_batch *b, size_t i,
    struct json_object *obj);
void store_batch_free(struct store_batch *b);

/* Run q, calling cb per row (cb must not call into the store). 0, or -1 with *cause. */
int store_query(struct store *st, const struct store_query *q,
    store_row_cb cb, void *arg, char **cause);

/* Highest seq ever assigned (0 when empty). */
int64_t store_last_seq(struct store *st);

/* The write-ahead log of a store that has one (SQLite), for /metrics. */
struct store_wal {
	int64_t	pages;		/* in the log after the last commit */
	int	pinned;		/* a reader keeps it from being checkpointed */
};
/* 0 with *w filled, or -1 when the store keeps no such log. */
int store_wal(struct store *st, struct store_wal *w);

/* Stored events per type and in total. 0, or -1 with *cause. */
int store_counts(struct store *st, int64_t counts[EVT__COUNT], int64_t *total,
    char **cause);

/*
 * Latest state per agent as a new JSON array of objects:
 * {"agent_id","agent_name","agent_role","last_event_type","last_operation",
 *  "last_status","last_seen","last_seq","events",
 *  "budget_remaining","budget_total" (null until a budget_updated)}.
 * project (if not NULL) limits to events of that metadata.project.
 */
struct json_object *store_agents(struct store *st, const char *project, char **cause);

/*
 * Apply retention now (gatewayd calls it on a timer). Removes at most
 * STORE_RETAIN_CHUNK rows per call, oldest first: call again soon when it
 * returned that many. Returns rows removed or -1 with *cause.
 */
long long store_retain(struct store *st, char **cause);

/* Replace the clock (ms since the epoch) used for received_at and retain_days; for tests. */
void store_set_clock(struct store *st, int64_t (*now_ms)(void));

/*
 * Back ends. Only gatewayd/store/ uses what follows: store.c parses the
 * spec and dispatches through a struct store_ops, so a new back end is one
 * more file and one more line in store_open.
 */

/* The fields of a (validated) event that the back ends index. */
struct store_ev {
	int		 type;		/* enum evt_type */
	const char	*event_id;
	const char	*agent_id;	/* strings end at their first NUL */
	const char	*agent_name;
	const char	*agent_role;
	const char	*operation;
	const char	*status;
	const char	*timestamp;
	const char	*session_id;	/* metadata.session_id if a string, else NULL */
	const char	*user_id;	/* metadata.user_id, likewise */
	const char	*project;	/* metadata.project, likewise */
	struct json_object *budget_remaining; /* numbers of budget_updated, else NULL */
	struct json_object *budget_total;
};

/* One event of a store_batch: its indexed fields and its text. */
struct store_rec {
	struct store_ev	 ev;		/* strings point into the batch */
	const char	*text;		/* the event as sent, serialised: */
	size_t		 len;		/* without seq and received_at */
};

/* A batch for a back end's insert_batch (see store_batch_new). */
struct store_batch {
	struct store_rec *recs;
	size_t		  n;
	char		 *arena;	/* the strings of recs */
	int64_t		 *seqs;		/* out: seq of recs[i], 0 = duplicate */
	int		  stored;	/* out: how many stored */
	char		  received_at[TS_LEN];	/* out */
};

/* Most bytes store_rec_text adds to a record's len. */
#define STORE_STAMP_MAX		(sizeof ",\"seq\":,\"received_at\":\"\"}" + 20 + TS_LEN)

/*
 * The stored text of r as seq (received_at from its batch) into out,
 * which has r->len + STORE_STAMP_MAX bytes; its length.
 */
size_t store_rec_text(const struct store_rec *r, int64_t seq,
    const char *received_at, char *out);

/* Latest state of one agent within one project ("" = no project). */
struct store_agent {
	char		*agent_id;
	char		*project;
	char		*agent_name;
	char		*agent_role;
	char		*last_event_type;
	char		*last_operation;
	char		*last_status;
	char		*last_seen;	/* timestamp of the last event */
	int64_t		 last_seq;
	int64_t		 events;	/* events seen, retention does not lower it */
	struct json_object *budget_remaining; /* NULL until a budget_updated */
	struct json_object *budget_total;
	int64_t		 budget_seq;	/* seq of that budget_updated */
};

/* One back end's operations; b is what its open returned. */
struct store_ops {
	const char	*kind;
	/*
	 * 0: store.c holds one mutex around every call. 1: the back end
	 * locks for itself (PostgreSQL: one connection for the writer, one
	 * for readers), and calls may come from two threads at once.
	 */
	int		 locks_itself;
	void		*(*open)(const char *arg, const struct store_opts *opts,
			    char **cause);
	void		 (*close)(void *b);
	void		 (*set_opts)(void *b, const struct store_opts *opts);
	/*
	 * Store batches in one transaction (store_insert_batches): fill
	 * each batch's seqs, stored and received_at, with every stored text
	 * made by store_rec_text; 0, or -1 with *cause and nothing stored.
	 */
	int		 (*insert_batch)(void *b, struct store_batch **bs,
			    size_t nb, int64_t now_ms, char **cause);
	int		 (*query)(void *b, const struct store_query *q,
			    store_row_cb cb, void *arg, char **cause);
	int64_t		 (*last_seq)(void *b);
	int		 (*counts)(void *b, int64_t counts[EVT__COUNT],
			    int64_t *total, char **cause);
	/* Fill *rows (xmalloc'd, freed by the caller with store_agents_free). */
	int		 (*agents)(void *b, const char *project,
			    struct store_agent **rows, size_t *nrows, char **cause);
	long long	 (*retain)(void *b, int64_t now_ms, char **cause);
	void		 (*wal)(void *b, struct store_wal *w);	/* or NULL */
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_memory_ops;
extern const struct store_ops store_postgres_ops;	/* with HAVE_PQ */

/* Fill ev from the event object evs[i]; -1 with *cause if a field is missing. */
int store_ev_get(struct json_object *obj, size_t i, struct store_ev *ev,
    char **cause);
/* Add "seq" and "received_at" to obj. */
void store_ev_stamp(struct json_object *obj, int64_t seq, const char *received_at);
/* Update a from event ev stored as seq (the in-memory twin of the SQL upsert). */
void store_agent_apply(struct store_agent *a, const struct store_ev *ev,
    int64_t seq);
/* Free the strings and numbers of n rows and the array. */
void store_agents_free(struct store_agent *rows, size_t n);

#endif
