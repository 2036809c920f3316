/*
 * store_sqlite.c: the default store, one SQLite file ("sqlite:PATH").
 *
 * Durability: the database runs in WAL mode with synchronous=NORMAL. A
 * commit is then durable across a crash or kill -9 of gatewayd (the WAL
 * is written before COMMIT returns), and only a power loss or kernel
 * crash can lose the last transactions, because the WAL is fsynced at
 * checkpoints rather than at every commit. gatewayd acknowledges a batch
 * only after its commit, and collectord keeps it spooled until then, so
 * the window is small and one fsync per batch (FULL) would cost most of
 * the ingest rate.
 *
 * Sequence numbers are assigned here, not by SQLite, because the stored
 * JSON carries its own seq: events.seq is the rowid, and meta.last_seq,
 * updated in every batch's transaction, keeps seq increasing after
 * retention deleted the newest rows' predecessors or all rows.
 *
 * Every statement is prepared once and kept for the life of the store;
 * the queries of the read API are prepared lazily, one per combination of
 * filters, so each gets a plan that uses the right index.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "avjson.h"
#include "event.h"
#include "log.h"
#include "store.h"
#include "timefmt.h"
#include "xmalloc.h"

/* PRAGMA user_version of the schema below; bump it with a migration. */
#define SQL_SCHEMA_VERSION	1

/*
 * How long a statement waits for a lock held by another process (the
 * sqlite3 shell, a backup). gatewayd's loop is blocked meanwhile, so short.
 */
#define SQL_BUSY_MS		500

/* Query filters, one bit each: they index sql->q[]. */
#define SQL_Q_TYPE	0x01
#define SQL_Q_AGENT	0x02
#define SQL_Q_SESSION	0x04
#define SQL_Q_USER	0x08
#define SQL_Q_PROJECT	0x10
#define SQL_Q_COMBOS	0x20

static const char sql_schema[] =
	"CREATE TABLE events ("
	" seq INTEGER PRIMARY KEY,"	/* assigned by us; rowid */
	" event_id TEXT NOT NULL UNIQUE,"
	" event_type TEXT NOT NULL,"
	" agent_id TEXT NOT NULL,"
	" session_id TEXT,"
	" user_id TEXT,"
	" project TEXT,"
	" ts TEXT NOT NULL,"
	" received_at TEXT NOT NULL,"
	" json TEXT NOT NULL"		/* last: retention never reads it */
	");"
	/* Each filter of the read API with seq, for "since" range scans. */
	"CREATE INDEX events_type ON events(event_type, seq);"
	"CREATE INDEX events_agent ON events(agent_id, seq);"
	/* Partial: many events have no session, user or project. */
	"CREATE INDEX events_session ON events(session_id, seq)"
	" WHERE session_id IS NOT NULL;"
	"CREATE INDEX events_user ON events(user_id, seq)"
	" WHERE user_id IS NOT NULL;"
	"CREATE INDEX events_project ON events(project, seq)"
	" WHERE project IS NOT NULL;"
	/* Latest state per agent and project ('' = none), kept on insert. */
	"CREATE TABLE agents ("
	" agent_id TEXT NOT NULL,"
	" project TEXT NOT NULL,"
	" agent_name TEXT, agent_role TEXT, last_event_type TEXT,"
	" last_operation TEXT, last_status TEXT, last_seen TEXT,"
	" last_seq INTEGER NOT NULL,"
	" events INTEGER NOT NULL,"
	" budget_remaining, budget_total,"	/* no affinity: int stays int */
	" budget_seq INTEGER,"
	" PRIMARY KEY (agent_id, project)"
	") WITHOUT ROWID;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('last_seq', 0);";

static const char sql_insert_text[] =
	"INSERT INTO events (seq, event_id, event_type, agent_id, session_id,"
	" user_id, project, ts, received_at, json)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	/* Only a duplicate event_id is skipped; anything else is an error. */
	" ON CONFLICT (event_id) DO NOTHING";

static const char sql_agent[] =
	"INSERT INTO agents (agent_id, project, agent_name, agent_role,"
	" last_event_type, last_operation, last_status, last_seen, last_seq,"
	" events, budget_remaining, budget_total, budget_seq)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11,"
	" CASE WHEN ?10 IS NULL THEN NULL ELSE ?9 END)"
	" ON CONFLICT (agent_id, project) DO UPDATE SET"
	" agent_name = excluded.agent_name, agent_role = excluded.agent_role,"
	" last_event_type = excluded.last_event_type,"
	" last_operation = excluded.last_operation,"
	" last_status = excluded.last_status, last_seen = excluded.last_seen,"
	" last_seq = excluded.last_seq, events = events + 1,"
	" budget_remaining = CASE WHEN excluded.budget_seq IS NULL"
	"  THEN budget_remaining ELSE excluded.budget_remaining END,"
	" budget_total = CASE WHEN excluded.budget_seq IS NULL"
	"  THEN budget_total ELSE excluded.budget_total END,"
	" budget_seq = coalesce(excluded.budget_seq, budget_seq)";

static const char sql_agents_cols[] =
	"SELECT agent_id, project, agent_name, agent_role, last_event_type,"
	" last_operation, last_status, last_seen, last_seq, events,"
	" budget_remaining, budget_total, budget_seq FROM agents";

struct sql_store {
	sqlite3		*db;
	char		*path;
	struct store_opts opts;
	int64_t		 last_seq;
	/* Kept in memory: count(*) would scan the table on every /stats. */
	int64_t		 counts[EVT__COUNT];
	int64_t		 total;

	sqlite3_stmt	*begin;
	sqlite3_stmt	*commit;
	sqlite3_stmt	*rollback;
	sqlite3_stmt	*insert;
	sqlite3_stmt	*agent;
	sqlite3_stmt	*setseq;
	sqlite3_stmt	*oldest;
	sqlite3_stmt	*delete;
	sqlite3_stmt	*agents_all;
	sqlite3_stmt	*agents_project;
	sqlite3_stmt	*q[SQL_Q_COMBOS];	/* prepared on first use */
};

/* *cause = "sqlite PATH: what: errmsg". */
static void
sql_error(struct sql_store *sql, const char *what, char **cause)
{
	*cause = xasprintf("sqlite %s: %s: %s", sql->path, what,
	    sqlite3_errmsg(sql->db));
}

/* Prepare a statement kept for the life of the store. */
static int
sql_prepare(struct sql_store *sql, const char *text, sqlite3_stmt **stmt,
    char **cause)
{
	if (sqlite3_prepare_v3(sql->db, text, -1, SQLITE_PREPARE_PERSISTENT,
	    stmt, NULL) != SQLITE_OK) {
		sql_error(sql, "prepare", cause);
		return -1;
	}
	return 0;
}

/* Run a statement that returns no rows, and reset it. */
static int
sql_step_done(sqlite3_stmt *stmt)
{
	int	rc;

	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Run one or more statements of text. */
static int
sql_exec(struct sql_store *sql, const char *text, const char *what,
    char **cause)
{
	char	*msg = NULL;

	if (sqlite3_exec(sql->db, text, NULL, NULL, &msg) != SQLITE_OK) {
		*cause = xasprintf("sqlite %s: %s: %s", sql->path, what,
		    msg != NULL ? msg : sqlite3_errmsg(sql->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Single integer result of text (0 when no row). */
static int
sql_int(struct sql_store *sql, const char *text, int64_t *v, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (sqlite3_prepare_v2(sql->db, text, -1, &stmt, NULL) != SQLITE_OK) {
		sql_error(sql, text, cause);
		return -1;
	}
	*v = 0;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sql_error(sql, text, cause);
		return -1;
	}
	return 0;
}

/* Create the schema in a new file, or check an existing one's version. */
static int
sql_schema_init(struct sql_store *sql, char **cause)
{
	int64_t	version;
	char	*set;

	if (sql_int(sql, "PRAGMA user_version", &version, cause) != 0)
		return -1;
	if (version == SQL_SCHEMA_VERSION)
		return 0;
	if (version > SQL_SCHEMA_VERSION) {
		*cause = xasprintf("sqlite %s: schema version %lld is newer "
		    "than this gatewayd's (%d)", sql->path, (long long)version,
		    SQL_SCHEMA_VERSION);
		return -1;
	}
	/* version 0: a new file (or not ours: CREATE TABLE then fails). */
	if (sql_exec(sql, "BEGIN IMMEDIATE", "begin", cause) != 0)
		return -1;
	set = xasprintf("PRAGMA user_version = %d", SQL_SCHEMA_VERSION);
	if (sql_exec(sql, sql_schema, "create schema", cause) != 0 ||
	    sql_exec(sql, set, "set version", cause) != 0 ||
	    sql_exec(sql, "COMMIT", "commit", cause) != 0) {
		free(set);
		sqlite3_exec(sql->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	free(set);
	return 0;
}

/* Load last_seq and the counts per type. */
static int
sql_load(struct sql_store *sql, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc, t;
	int64_t		 n;

	if (sql_int(sql, "SELECT max((SELECT value FROM meta"
	    " WHERE key = 'last_seq'), coalesce((SELECT max(seq)"
	    " FROM events), 0))", &sql->last_seq, cause) != 0)
		return -1;
	if (sqlite3_prepare_v2(sql->db, "SELECT event_type, count(*)"
	    " FROM events GROUP BY event_type", -1, &stmt, NULL) != SQLITE_OK) {
		sql_error(sql, "count", cause);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		n = sqlite3_column_int64(stmt, 1);
		t = evt_type_lookup((const char *)sqlite3_column_text(stmt, 0));
		if (t >= 0)
			sql->counts[t] += n;
		sql->total += n;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		sql_error(sql, "count", cause);
		return -1;
	}
	return 0;
}

/* Free everything; safe on a half-opened store. */
static void
sql_close(void *b)
{
	struct sql_store	*sql = b;
	size_t			 i;

	if (sql == NULL)
		return;
	sqlite3_finalize(sql->begin);
	sqlite3_finalize(sql->commit);
	sqlite3_finalize(sql->rollback);
	sqlite3_finalize(sql->insert);
	sqlite3_finalize(sql->agent);
	sqlite3_finalize(sql->setseq);
	sqlite3_finalize(sql->oldest);
	sqlite3_finalize(sql->delete);
	sqlite3_finalize(sql->agents_all);
	sqlite3_finalize(sql->agents_project);
	for (i = 0; i < SQL_Q_COMBOS; i++)
		sqlite3_finalize(sql->q[i]);
	if (sql->db != NULL) {
		/* Cheap, and keeps the planner's statistics fresh. */
		sqlite3_exec(sql->db, "PRAGMA optimize", NULL, NULL, NULL);
		if (sqlite3_close(sql->db) != SQLITE_OK)
			log_warnx("sqlite %s: close: %s", sql->path,
			    sqlite3_errmsg(sql->db));
	}
	free(sql->path);
	free(sql);
}

/* Open (creating if needed) the database file at path. */
static void *
sql_open(const char *path, const struct store_opts *opts, char **cause)
{
	struct sql_store	*sql;
	char			*msg = NULL;
	int			 rc;

	sql = xcalloc(1, sizeof *sql);
	sql->path = xstrdup(path);
	sql->opts = *opts;

	/* NOMUTEX: one thread uses the store; SQLite's locks are not needed. */
	rc = sqlite3_open_v2(path, &sql->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (sql->db == NULL)
			*cause = xasprintf("sqlite %s: out of memory", path);
		else
			sql_error(sql, "open", cause);
		goto fail;
	}
	sqlite3_extended_result_codes(sql->db, 1);
	sqlite3_busy_timeout(sql->db, SQL_BUSY_MS);
	if (sqlite3_db_readonly(sql->db, "main") == 1) {
		*cause = xasprintf("sqlite %s: database is read-only", path);
		goto fail;
	}
	/* See the top of the file for why WAL and NORMAL. */
	if (sql_exec(sql, "PRAGMA journal_mode = WAL", "journal_mode",
	    cause) != 0 ||
	    sql_exec(sql, "PRAGMA synchronous = NORMAL", "synchronous",
	    cause) != 0)
		goto fail;
	if (sql_schema_init(sql, cause) != 0 || sql_load(sql, cause) != 0)
		goto fail;

	if (sql_prepare(sql, "BEGIN IMMEDIATE", &sql->begin, cause) != 0 ||
	    sql_prepare(sql, "COMMIT", &sql->commit, cause) != 0 ||
	    sql_prepare(sql, "ROLLBACK", &sql->rollback, cause) != 0 ||
	    sql_prepare(sql, sql_insert_text, &sql->insert, cause) != 0 ||
	    sql_prepare(sql, sql_agent, &sql->agent, cause) != 0 ||
	    sql_prepare(sql, "UPDATE meta SET value = ?1"
	    " WHERE key = 'last_seq'", &sql->setseq, cause) != 0 ||
	    sql_prepare(sql, "SELECT seq, received_at, event_type FROM events"
	    " ORDER BY seq LIMIT ?1", &sql->oldest, cause) != 0 ||
	    sql_prepare(sql, "DELETE FROM events WHERE seq <= ?1",
	    &sql->delete, cause) != 0 ||
	    sql_prepare(sql, sql_agents_cols, &sql->agents_all, cause) != 0)
		goto fail;
	msg = xasprintf("%s WHERE project = ?1", sql_agents_cols);
	rc = sql_prepare(sql, msg, &sql->agents_project, cause);
	free(msg);
	if (rc != 0)
		goto fail;
	log_debug("sqlite %s: last seq %lld, %lld events", path,
	    (long long)sql->last_seq, (long long)sql->total);
	return sql;

fail:
	sql_close(sql);
	return NULL;
}

/* New retention settings. */
static void
sql_set_opts(void *b, const struct store_opts *opts)
{
	struct sql_store	*sql = b;

	sql->opts = *opts;
}

/* Bind a C string or NULL. */
static int
sql_bind_str(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
}

/* Bind a JSON number (int stays int) or NULL. */
static int
sql_bind_num(sqlite3_stmt *stmt, int i, struct json_object *v)
{
	if (v == NULL)
		return sqlite3_bind_null(stmt, i);
	if (json_object_is_type(v, json_type_double))
		return sqlite3_bind_double(stmt, i, json_object_get_double(v));
	return sqlite3_bind_int64(stmt, i, json_object_get_int64(v));
}

/* Upsert the agent row of ev, stored as seq. */
static int
sql_agent_upsert(struct sql_store *sql, const struct store_ev *ev,
    int64_t seq)
{
	sqlite3_stmt	*s = sql->agent;

	sql_bind_str(s, 1, ev->agent_id);
	sql_bind_str(s, 2, ev->project != NULL ? ev->project : "");
	sql_bind_str(s, 3, ev->agent_name);
	sql_bind_str(s, 4, ev->agent_role);
	sql_bind_str(s, 5, evt_types[ev->type].name);
	sql_bind_str(s, 6, ev->operation);
	sql_bind_str(s, 7, ev->status);
	sql_bind_str(s, 8, ev->timestamp);
	sqlite3_bind_int64(s, 9, seq);
	if (ev->budget_remaining != NULL && ev->budget_total != NULL) {
		sql_bind_num(s, 10, ev->budget_remaining);
		sql_bind_num(s, 11, ev->budget_total);
	} else {
		sqlite3_bind_null(s, 10);
		sqlite3_bind_null(s, 11);
	}
	return sql_step_done(s);
}

/*
 * Insert one event as seq. 1 stored, 0 duplicate, -1 error. The object is
 * stamped first so the stored text is exactly what gatewayd broadcasts.
 */
static int
sql_insert_one(struct sql_store *sql, struct json_object *obj,
    const struct store_ev *ev, int64_t seq, const char *received_at)
{
	sqlite3_stmt	*s = sql->insert;
	const char	*json;
	size_t		 len;
	int		 rc;

	store_ev_stamp(obj, seq, received_at);
	json = avjson_str(obj, &len);
	sqlite3_bind_int64(s, 1, seq);
	sql_bind_str(s, 2, ev->event_id);
	sql_bind_str(s, 3, evt_types[ev->type].name);
	sql_bind_str(s, 4, ev->agent_id);
	sql_bind_str(s, 5, ev->session_id);
	sql_bind_str(s, 6, ev->user_id);
	sql_bind_str(s, 7, ev->project);
	sql_bind_str(s, 8, ev->timestamp);
	sql_bind_str(s, 9, received_at);
	sqlite3_bind_text(s, 10, json, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_ev_unstamp(obj);
		return -1;
	}
	if (sqlite3_changes(sql->db) == 0) {
		store_ev_unstamp(obj);
		return 0;
	}
	return 1;
}

/* Undo an open batch: roll back and take the stamps off. */
static void
sql_abort(struct sql_store *sql, struct json_object **evs, size_t n,
    int64_t *seqs)
{
	size_t	i;

	/* Some errors (I/O, full disk) already rolled SQLite back. */
	if (!sqlite3_get_autocommit(sql->db) && sql_step_done(sql->rollback) != 0)
		log_warnx("sqlite %s: rollback: %s", sql->path,
		    sqlite3_errmsg(sql->db));
	for (i = 0; i < n; i++) {
		if (seqs[i] != 0)
			store_ev_unstamp(evs[i]);
		seqs[i] = 0;
	}
}

/* Store a batch in one transaction. */
static int
sql_insert(void *b, struct json_object **evs, size_t n, int64_t *seqs,
    int64_t now_ms, char **cause)
{
	struct sql_store	*sql = b;
	struct store_ev		 ev;
	char			 received_at[TS_LEN];
	int64_t			 seq = sql->last_seq, delta[EVT__COUNT];
	size_t			 i;
	int			 stored = 0, rc, t;

	memset(delta, 0, sizeof delta);
	for (i = 0; i < n; i++)
		seqs[i] = 0;
	ts_format(received_at, now_ms);

	if (sql_step_done(sql->begin) != 0) {
		sql_error(sql, "begin", cause);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (store_ev_get(evs[i], i, &ev, cause) != 0)
			goto fail;
		rc = sql_insert_one(sql, evs[i], &ev, seq + 1, received_at);
		if (rc < 0) {
			sql_error(sql, "insert", cause);
			goto fail;
		}
		if (rc == 0)
			continue;	/* duplicate */
		seqs[i] = ++seq;
		stored++;
		delta[ev.type]++;
		if (sql_agent_upsert(sql, &ev, seq) != 0) {
			sql_error(sql, "agents", cause);
			goto fail;
		}
	}
	if (stored > 0) {
		sqlite3_bind_int64(sql->setseq, 1, seq);
		if (sql_step_done(sql->setseq) != 0) {
			sql_error(sql, "last_seq", cause);
			goto fail;
		}
	}
	if (sql_step_done(sql->commit) != 0) {
		sql_error(sql, "commit", cause);
		goto fail;
	}
	sql->last_seq = seq;
	for (t = 0; t < EVT__COUNT; t++)
		sql->counts[t] += delta[t];
	sql->total += stored;
	return stored;

fail:
	sql_abort(sql, evs, n, seqs);
	return -1;
}

/* The statement for a combination of filters, prepared on first use. */
static sqlite3_stmt *
sql_query_stmt(struct sql_store *sql, int mask, char **cause)
{
	char	text[512];

	if (sql->q[mask] != NULL)
		return sql->q[mask];
	/* Unused parameter numbers may still be bound: ?7 is the highest. */
	snprintf(text, sizeof text, "SELECT seq, json FROM events"
	    " WHERE seq > ?1%s%s%s%s%s ORDER BY seq LIMIT ?7",
	    (mask & SQL_Q_TYPE) ? " AND event_type = ?2" : "",
	    (mask & SQL_Q_AGENT) ? " AND agent_id = ?3" : "",
	    (mask & SQL_Q_SESSION) ? " AND session_id = ?4" : "",
	    (mask & SQL_Q_USER) ? " AND user_id = ?5" : "",
	    (mask & SQL_Q_PROJECT) ? " AND project = ?6" : "");
	if (sql_prepare(sql, text, &sql->q[mask], cause) != 0)
		return NULL;
	return sql->q[mask];
}

/* Run a query; rows in ascending seq. */
static int
sql_query(void *b, const struct store_query *q, store_row_cb cb, void *arg,
    char **cause)
{
	struct sql_store	*sql = b;
	sqlite3_stmt		*s;
	int			 mask = 0, rc;

	if (q->type >= 0)
		mask |= SQL_Q_TYPE;
	if (q->agent_id != NULL)
		mask |= SQL_Q_AGENT;
	if (q->session_id != NULL)
		mask |= SQL_Q_SESSION;
	if (q->user_id != NULL)
		mask |= SQL_Q_USER;
	if (q->project != NULL)
		mask |= SQL_Q_PROJECT;
	if ((s = sql_query_stmt(sql, mask, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, q->since);
	sql_bind_str(s, 2, q->type >= 0 ? evt_types[q->type].name : NULL);
	sql_bind_str(s, 3, q->agent_id);
	sql_bind_str(s, 4, q->session_id);
	sql_bind_str(s, 5, q->user_id);
	sql_bind_str(s, 6, q->project);
	sqlite3_bind_int(s, 7, q->limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cb(arg, sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		sql_error(sql, "query", cause);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* Highest seq assigned. */
static int64_t
sql_last_seq(void *b)
{
	struct sql_store	*sql = b;

	return sql->last_seq;
}

/* Counts per type, kept in memory. */
static int
sql_counts(void *b, int64_t counts[EVT__COUNT], int64_t *total, char **cause)
{
	struct sql_store	*sql = b;

	memcpy(counts, sql->counts, sizeof sql->counts);
	*total = sql->total;
	return 0;
}

/* Copy of a text column, NULL for NULL. */
static char *
sql_col_str(sqlite3_stmt *s, int i)
{
	const unsigned char	*t;

	if ((t = sqlite3_column_text(s, i)) == NULL)
		return NULL;
	return xstrdup((const char *)t);
}

/* A JSON number from a column, NULL for NULL. */
static struct json_object *
sql_col_num(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		return json_object_new_int64(sqlite3_column_int64(s, i));
	case SQLITE_FLOAT:
		return json_object_new_double(sqlite3_column_double(s, i));
	default:
		return NULL;
	}
}

/* All agent rows, or those of one project. */
static int
sql_agents(void *b, const char *project, struct store_agent **rowsp,
    size_t *np, char **cause)
{
	struct sql_store	*sql = b;
	struct store_agent	*rows = NULL, *a;
	sqlite3_stmt		*s;
	size_t			 n = 0, cap = 0;
	int			 rc;

	if (project != NULL) {
		s = sql->agents_project;
		sql_bind_str(s, 1, project);
	} else
		s = sql->agents_all;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			rows = xreallocarray(rows, cap, sizeof *rows);
		}
		a = &rows[n++];
		memset(a, 0, sizeof *a);
		a->agent_id = sql_col_str(s, 0);
		a->project = sql_col_str(s, 1);
		a->agent_name = sql_col_str(s, 2);
		a->agent_role = sql_col_str(s, 3);
		a->last_event_type = sql_col_str(s, 4);
		a->last_operation = sql_col_str(s, 5);
		a->last_status = sql_col_str(s, 6);
		a->last_seen = sql_col_str(s, 7);
		a->last_seq = sqlite3_column_int64(s, 8);
		a->events = sqlite3_column_int64(s, 9);
		a->budget_remaining = sql_col_num(s, 10);
		a->budget_total = sql_col_num(s, 11);
		a->budget_seq = sqlite3_column_int64(s, 12);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_agents_free(rows, n);
		sql_error(sql, "agents", cause);
		return -1;
	}
	*rowsp = rows;
	*np = n;
	return 0;
}

/*
 * One chunk of retention. Walks the oldest rows in seq order: those past
 * retain_events go, and so do leading rows received before the age limit.
 * received_at grows with seq (one clock, stamped at insert), so the walk
 * stops at the first young row instead of scanning the table; were the
 * clock set back, old rows behind a young one wait for it to expire.
 */
static long long
sql_retain(void *b, int64_t now_ms, char **cause)
{
	struct sql_store	*sql = b;
	sqlite3_stmt		*s = sql->oldest;
	char			 cutoff[TS_LEN];
	const char		*at;
	int64_t			 excess = 0, cut = 0, ndel = 0, i = 0;
	int64_t			 delta[EVT__COUNT];
	int			 rc, t, aging;

	memset(delta, 0, sizeof delta);
	if (sql->opts.retain_events > 0 && sql->total > sql->opts.retain_events)
		excess = sql->total - sql->opts.retain_events;
	aging = sql->opts.retain_days > 0;
	if (aging)
		ts_format(cutoff, now_ms - sql->opts.retain_days * 86400000LL);
	if (excess == 0 && !aging)
		return 0;

	if (sql_step_done(sql->begin) != 0) {
		sql_error(sql, "begin", cause);
		return -1;
	}
	sqlite3_bind_int64(s, 1, STORE_RETAIN_CHUNK);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		at = (const char *)sqlite3_column_text(s, 1);
		if (i >= excess && !(aging && at != NULL &&
		    strcmp(at, cutoff) < 0))
			break;
		i++;
		cut = sqlite3_column_int64(s, 0);
		t = evt_type_lookup((const char *)sqlite3_column_text(s, 2));
		if (t >= 0)
			delta[t]++;
		ndel++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sql_error(sql, "retain", cause);
		goto fail;
	}
	if (ndel == 0) {
		sql_step_done(sql->rollback);
		return 0;
	}
	sqlite3_bind_int64(sql->delete, 1, cut);
	if (sql_step_done(sql->delete) != 0) {
		sql_error(sql, "retain", cause);
		goto fail;
	}
	if (sql_step_done(sql->commit) != 0) {
		sql_error(sql, "commit", cause);
		goto fail;
	}
	for (t = 0; t < EVT__COUNT; t++)
		sql->counts[t] -= delta[t];
	sql->total -= ndel;
	return ndel;

fail:
	if (!sqlite3_get_autocommit(sql->db))
		sql_step_done(sql->rollback);
	return -1;
}

const struct store_ops store_sqlite_ops = {
	.kind = "sqlite",
	.open = sql_open,
	.close = sql_close,
	.set_opts = sql_set_opts,
	.insert = sql_insert,
	.query = sql_query,
	.last_seq = sql_last_seq,
	.counts = sql_counts,
	.agents = sql_agents,
	.retain = sql_retain,
};
