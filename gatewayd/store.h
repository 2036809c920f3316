/*
 * store.h: where gatewayd keeps events, behind one small interface with
 * several back ends: "sqlite:PATH" (default; WAL), "memory" (the seed's
 * behaviour: at most 1000 per type, FIFO) and, later, "postgres://…".
 *
 * The store owns sequence numbers: seq is store-wide, strictly increasing
 * and never reused, also across restarts (SQLite) so clients resuming with
 * `since` never miss or repeat an event.
 *
 * All calls happen on gatewayd's service thread; a back end may block
 * (SQLite does, briefly).
 */
#ifndef AV_STORE_H
#define AV_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "event.h"

struct store;

/* Limits and policies given at open (and on SIGHUP via store_set_retention). */
struct store_opts {
	long long	retain_events;	/* keep at most this many events; 0 = no limit */
	long long	retain_days;	/* drop events older than this; 0 = keep */
	long long	memory_per_type; /* memory store: per-type cap (seed: 1000) */
};

/* A query of the read API and of the WebSocket `since` replay. */
struct store_query {
	int		 type;		/* enum evt_type, or -1 for any */
	const char	*agent_id;	/* NULL = any */
	const char	*session_id;	/* NULL = any (metadata.session_id) */
	const char	*user_id;	/* NULL = any (metadata.user_id) */
	const char	*project;	/* NULL = any (metadata.project); token scope */
	int64_t		 since;		/* only seq > since */
	int		 limit;		/* at most this many (1..1000) */
};

/*
 * Called once per matching event, ascending seq. json is the stored
 * output form of the event (with seq and received_at), not NUL-owned by
 * the callee: copy what you keep. Return non-zero to stop early.
 */
typedef int (*store_row_cb)(void *arg, int64_t seq, const char *json, size_t len);

/* Open spec ("sqlite:PATH", "memory"). NULL with *cause on failure. */
struct store *store_open(const char *spec, const struct store_opts *opts, char **cause);
/* Close and free. */
void store_close(struct store *st);
/* "sqlite", "memory", … for /api/v1/health. */
const char *store_kind(const struct store *st);
/* Update retention settings (SIGHUP). */
void store_set_opts(struct store *st, const struct store_opts *opts);

/*
 * Store a validated batch in one transaction. Events whose event_id is
 * already stored (or repeated within the batch) are duplicates: not
 * stored, seqs[i] = 0. Every stored event object gets "seq" and
 * "received_at" added in place (so the caller broadcasts exactly what was
 * stored). Returns the number stored, or -1 with *cause when the store is
 * unavailable (nothing of the batch stored: gatewayd answers 503).
 */
int store_insert(struct store *st, struct json_object **evs, size_t n,
    int64_t *seqs, char **cause);

/* Run q, calling cb per row. 0, or -1 with *cause. */
int store_query(struct store *st, const struct store_query *q,
    store_row_cb cb, void *arg, char **cause);

/* Highest seq ever assigned (0 when empty). */
int64_t store_last_seq(struct store *st);

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

/* Apply retention now (gatewayd calls it on a timer). Returns rows removed or -1. */
long long store_retain(struct store *st, char **cause);

#endif
