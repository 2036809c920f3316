/*
 * sqlite.c: the default store, one SQLite file ("sqlite:PATH"); its
 * filter index is in sqlite_postings.c, its checkpointer in sqlite_ckpt.c.
 *
 * Durability: the database runs in WAL mode with synchronous=NORMAL. A
 * commit is then durable across a crash or kill -9 of gatewayd (the WAL
 * is written before COMMIT returns); only a power loss or kernel crash
 * can lose the last transactions, because the WAL is fsynced at
 * checkpoints rather than at every commit. gatewayd acknowledges a batch
 * only after its commit and collectord keeps it spooled until then, so
 * the window is small, while one fsync per batch (FULL) would cost most
 * of the ingest rate.
 *
 * Speed: a commit writes every page it dirtied to the WAL, so the cost of
 * a batch is the number of distinct B-tree pages it touches, not the
 * number of rows. The layout keeps that number small:
 *
 * - events is keyed by seq (the rowid), so rows are appended.
 * - Duplicates are found by a unique index on (ts, event_id): a
 *   redelivered event carries the same instant and event_id, which
 *   store_batch_new has put in their canonical forms (fixed-width UTC
 *   text, lower case), and keyed by time first the index grows at its
 *   end too. On event_id alone (random v4 UUIDs) every event would dirty
 *   a page of its own.
 * - The filters of the read API (type, agent, session, user, project) are
 *   not SQLite indexes, which would dirty the last page of every distinct
 *   value in every batch. They are postings written in bulk, sorted, once
 *   SQL_FLUSH_EVENTS events are pending: one integer-keyed row per filter
 *   value and block of 64 seqs, (hash of kind and value, seq / 64) -> a
 *   bitmap of the block's seqs that have the value. A type or project
 *   then costs a row per 64 events, not one per event. A hash may be
 *   shared by two values, so every row found is checked against its
 *   event. The pending events are kept in memory; a query reads the
 *   postings up to the flushed seq, then the pending list. After a crash
 *   the pending events are read back from the events table at open.
 * - Agents and counts per type are upserted once per batch and value, not
 *   once per event.
 *
 * Sequence numbers are assigned here, not by SQLite, because the stored
 * JSON carries its own seq. meta.last_seq, updated in every batch's
 * transaction, keeps seq increasing after retention deleted rows, even
 * all of them.
 *
 * Every statement is prepared once and kept for the life of the store.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "event.h"
#include "log.h"
#include "sqlite.h"
#include "timefmt.h"
#include "xmalloc.h"

static const char sql_schema[] =
	"CREATE TABLE events ("
	" seq INTEGER PRIMARY KEY,"	/* assigned by us; rowid */
	" event_id TEXT NOT NULL,"
	" event_type TEXT NOT NULL,"
	" agent_id TEXT NOT NULL,"
	" session_id TEXT,"
	" user_id TEXT,"
	" project TEXT,"
	" ts TEXT NOT NULL,"
	" received_at TEXT NOT NULL,"
	" json TEXT NOT NULL"		/* last: retention never reads it */
	");"
	"CREATE UNIQUE INDEX events_dedup ON events (ts, event_id);"
	/* key: bucket of (kind, value) and block; bits: seqs of the block. */
	"CREATE TABLE postings ("
	" key INTEGER PRIMARY KEY,"
	" bits INTEGER NOT NULL"
	");"
	/* Latest state per agent and project ('' = none). */
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
	/* Stored events per type: count(*) would read the whole table. */
	"CREATE TABLE counts ("
	" event_type TEXT PRIMARY KEY,"
	" n INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('last_seq', 0), ('indexed_seq', 0);";

static const char sql_insert_text[] =
	"INSERT INTO events (seq, event_id, event_type, agent_id, session_id,"
	" user_id, project, ts, received_at, json)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	/* Only a duplicate is skipped; anything else is an error. */
	" ON CONFLICT (ts, event_id) DO NOTHING";

static const char sql_agent_text[] =
	"INSERT INTO agents (agent_id, project, agent_name, agent_role,"
	" last_event_type, last_operation, last_status, last_seen, last_seq,"
	" events, budget_remaining, budget_total, budget_seq)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
	" ON CONFLICT (agent_id, project) DO UPDATE SET"
	" agent_name = excluded.agent_name, agent_role = excluded.agent_role,"
	" last_event_type = excluded.last_event_type,"
	" last_operation = excluded.last_operation,"
	" last_status = excluded.last_status, last_seen = excluded.last_seen,"
	" last_seq = excluded.last_seq, events = events + excluded.events,"
	" budget_remaining = CASE WHEN excluded.budget_seq IS NULL"
	"  THEN budget_remaining ELSE excluded.budget_remaining END,"
	" budget_total = CASE WHEN excluded.budget_seq IS NULL"
	"  THEN budget_total ELSE excluded.budget_total END,"
	" budget_seq = coalesce(excluded.budget_seq, budget_seq)";

static const char sql_agents_cols[] =
	"SELECT agent_id, project, agent_name, agent_role, last_event_type,"
	" last_operation, last_status, last_seen, last_seq, events,"
	" budget_remaining, budget_total, budget_seq FROM agents";

/* *cause = "sqlite PATH: what: errmsg". */
void
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
int
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

/* Set meta key to v (inside a transaction). */
int
sql_setmeta(struct sql_store *sql, const char *key, int64_t v)
{
	sql_bind_str(sql->setmeta, 1, key);
	sqlite3_bind_int64(sql->setmeta, 2, v);
	return sql_step_done(sql->setmeta);
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

/* Load seqs and counts, and read the events without postings back. */
static int
sql_load(struct sql_store *sql, char **cause)
{
	sqlite3_stmt	*stmt;
	const char	*v[SQL_K__COUNT];
	int		 rc, t, k;
	int64_t		 n;

	if (sql_int(sql, "SELECT max((SELECT value FROM meta"
	    " WHERE key = 'last_seq'), coalesce((SELECT max(seq)"
	    " FROM events), 0))", &sql->last_seq, cause) != 0 ||
	    sql_int(sql, "SELECT value FROM meta WHERE key = 'indexed_seq'",
	    &sql->indexed_seq, cause) != 0)
		return -1;

	if (sqlite3_prepare_v2(sql->db, "SELECT event_type, n FROM counts",
	    -1, &stmt, NULL) != SQLITE_OK) {
		sql_error(sql, "counts", cause);
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
		sql_error(sql, "counts", cause);
		return -1;
	}

	/* The events since the last flush: about SQL_FLUSH_EVENTS at most. */
	if (sqlite3_prepare_v2(sql->db, "SELECT seq, event_type, agent_id,"
	    " session_id, user_id, project FROM events WHERE seq > ?1"
	    " ORDER BY seq", -1, &stmt, NULL) != SQLITE_OK) {
		sql_error(sql, "pending", cause);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, sql->indexed_seq);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (k = 0; k < SQL_K__COUNT; k++)
			v[k] = (const char *)sqlite3_column_text(stmt, 1 + k);
		sql_pend_add(sql, sqlite3_column_int64(stmt, 0),
		    v[0] != NULL ? evt_type_lookup(v[0]) : -1, v);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		sql_error(sql, "pending", cause);
		return -1;
	}
	return 0;
}

/* Finalize the statements. */
static void
sql_finalize_all(struct sql_store *sql)
{
	sqlite3_stmt	**all[] = {
		&sql->begin, &sql->commit, &sql->rollback, &sql->insert,
		&sql->agent, &sql->count, &sql->setmeta, &sql->posting, &sql->postmany,
		&sql->unpost, &sql->oldest, &sql->delete,
		&sql->fetch, &sql->scan, &sql->all, &sql->agents_all,
		&sql->agents_project
	};
	size_t		  i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++) {
		sqlite3_finalize(*all[i]);
		*all[i] = NULL;
	}
}

/* Write what is pending and free everything; safe on a half-opened store. */
static void
sql_close(void *b)
{
	struct sql_store	*sql = b;
	char			*cause = NULL;

	if (sql == NULL)
		return;
	/* Not needed for correctness (open reads them back), only quicker. */
	if (sql->begin != NULL && sql_flush_now(sql, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
	sql_ckpt_stop(sql);
	sql_pend_truncate(sql, 0);
	free(sql->pend);
	free(sql->tbuf);
	sql_finalize_all(sql);
	if (sql->db != NULL) {
		/* Cheap, and keeps the planner's statistics fresh. */
		sqlite3_exec(sql->db, "PRAGMA optimize", NULL, NULL, NULL);
		if (sqlite3_close(sql->db) != SQLITE_OK)
			log_warnx("sqlite %s: close: %s", sql->path,
			    sqlite3_errmsg(sql->db));
	}
	pthread_cond_destroy(&sql->ck_cond);
	pthread_mutex_destroy(&sql->ck_lock);
	free(sql->path);
	free(sql);
}

/* The text of the upsert of SQL_POST_ROWS postings rows. */
static char *
sql_postmany_text(void)
{
	char	*text, *more;
	int	 i;

	text = xstrdup("INSERT INTO postings VALUES (?1, ?2)");
	for (i = 1; i < SQL_POST_ROWS; i++) {
		more = xasprintf("%s, (?%d, ?%d)", text, 2 * i + 1, 2 * i + 2);
		free(text);
		text = more;
	}
	more = xasprintf("%s ON CONFLICT (key) DO UPDATE SET"
	    " bits = bits | excluded.bits", text);
	free(text);
	return more;
}

/* Prepare the statements every store needs. */
static int
sql_prepare_all(struct sql_store *sql, char **cause)
{
	char	*text;
	int	 rc;

	if (sql_prepare(sql, "BEGIN IMMEDIATE", &sql->begin, cause) != 0 ||
	    sql_prepare(sql, "COMMIT", &sql->commit, cause) != 0 ||
	    sql_prepare(sql, "ROLLBACK", &sql->rollback, cause) != 0 ||
	    sql_prepare(sql, sql_insert_text, &sql->insert, cause) != 0 ||
	    sql_prepare(sql, sql_agent_text, &sql->agent, cause) != 0 ||
	    sql_prepare(sql, "INSERT INTO counts VALUES (?1, ?2)"
	    " ON CONFLICT (event_type) DO UPDATE SET n = n + excluded.n",
	    &sql->count, cause) != 0 ||
	    sql_prepare(sql, "UPDATE meta SET value = ?2 WHERE key = ?1",
	    &sql->setmeta, cause) != 0 ||
	    sql_prepare(sql, "INSERT INTO postings VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET bits = bits | excluded.bits",
	    &sql->posting, cause) != 0 ||
	    sql_prepare(sql, "DELETE FROM postings WHERE key BETWEEN ?1 AND ?2",
	    &sql->unpost, cause) != 0 ||
	    sql_prepare(sql, "SELECT seq, received_at, event_type, agent_id,"
	    " session_id, user_id, project FROM events ORDER BY seq LIMIT ?1",
	    &sql->oldest, cause) != 0 ||
	    sql_prepare(sql, "DELETE FROM events WHERE seq <= ?1",
	    &sql->delete, cause) != 0 ||
	    sql_prepare(sql, "SELECT json, event_type, agent_id, session_id,"
	    " user_id, project FROM events WHERE seq = ?1",
	    &sql->fetch, cause) != 0 ||
	    sql_prepare(sql, "SELECT key, bits FROM postings"
	    " WHERE key BETWEEN ?1 AND ?2 ORDER BY key",
	    &sql->scan, cause) != 0 ||
	    sql_prepare(sql, "SELECT seq, json FROM events WHERE seq > ?1"
	    " ORDER BY seq LIMIT ?2", &sql->all, cause) != 0 ||
	    sql_prepare(sql, sql_agents_cols, &sql->agents_all, cause) != 0)
		return -1;
	text = xasprintf("%s WHERE project = ?1", sql_agents_cols);
	rc = sql_prepare(sql, text, &sql->agents_project, cause);
	free(text);
	if (rc != 0)
		return -1;
	text = sql_postmany_text();
	rc = sql_prepare(sql, text, &sql->postmany, cause);
	free(text);
	return rc;
}

/*
 * Process-wide SQLite settings, once, before SQLite initialises: no memory
 * statistics (nobody reads them, and they take a global mutex around every
 * allocation, a dozen per inserted row).
 */
static pthread_once_t	sql_config_once = PTHREAD_ONCE_INIT;

static void
sql_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Open (creating if needed) the database file at path. */
static void *
sql_open(const char *path, const struct store_opts *opts, char **cause)
{
	struct sql_store	*sql;
	char			*pragma;
	int			 rc;

	sql = xcalloc(1, sizeof *sql);
	sql->path = xstrdup(path);
	sql->opts = *opts;
	pthread_mutex_init(&sql->ck_lock, NULL);
	pthread_cond_init(&sql->ck_cond, NULL);

	pthread_once(&sql_config_once, sql_config);
	/* NOMUTEX: one thread uses the store; SQLite's mutexes are not needed. */
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
	/* The WAL file keeps its size after a checkpoint; cap what it keeps. */
	pragma = xasprintf("PRAGMA journal_size_limit = %d",
	    SQL_WAL_PAGES * 4096 * 2);
	rc = sql_exec(sql, "PRAGMA journal_mode = WAL", "journal_mode",
	    cause) != 0 ||
	    sql_exec(sql, "PRAGMA synchronous = NORMAL", "synchronous",
	    cause) != 0 ||
	    sql_exec(sql, pragma, "journal_size_limit", cause) != 0;
	free(pragma);
	if (rc != 0)
		goto fail;
	/* Replaces SQLite's autocheckpoint; see SQL_WAL_PAGES. */
	sqlite3_wal_hook(sql->db, sql_wal_hook, sql);
	if (sql_schema_init(sql, cause) != 0 || sql_load(sql, cause) != 0 ||
	    sql_prepare_all(sql, cause) != 0 || sql_flush_now(sql, cause) != 0)
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

/* Insert one event as seq. 1 stored, 0 duplicate, -1 error. */
static int
sql_insert_one(struct sql_store *sql, const struct store_rec *r, int64_t seq,
    const char *received_at)
{
	sqlite3_stmt		*s = sql->insert;
	const struct store_ev	*ev = &r->ev;
	size_t			 len;
	int			 rc;

	if (sql->tcap < r->len + STORE_STAMP_MAX) {
		sql->tcap = r->len + STORE_STAMP_MAX + 1024;
		free(sql->tbuf);
		sql->tbuf = xmalloc(sql->tcap);
	}
	len = store_rec_text(r, seq, received_at, sql->tbuf);
	sqlite3_bind_int64(s, 1, seq);
	sql_bind_str(s, 2, ev->event_id);
	sql_bind_str(s, 3, evt_types[ev->type].name);
	sql_bind_str(s, 4, ev->agent_id);
	sql_bind_str(s, 5, ev->session_id);
	sql_bind_str(s, 6, ev->user_id);
	sql_bind_str(s, 7, ev->project);
	sql_bind_str(s, 8, ev->timestamp);
	sql_bind_str(s, 9, received_at);
	sqlite3_bind_text(s, 10, sql->tbuf, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(sql->db) != 0;
}

/* A stored event of the batch, for the per-batch upserts. */
struct sql_done {
	const struct store_ev	*ev;
	int64_t			 seq;
};

/* qsort order: agent, project, seq. */
static int
sql_done_cmp(const void *a1, const void *a2)
{
	const struct sql_done	*a = a1, *b = a2;
	const char		*pa, *pb;
	int			 c;

	if ((c = strcmp(a->ev->agent_id, b->ev->agent_id)) != 0)
		return c;
	pa = a->ev->project != NULL ? a->ev->project : "";
	pb = b->ev->project != NULL ? b->ev->project : "";
	if ((c = strcmp(pa, pb)) != 0)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Same agent row? */
static int
sql_done_same(const struct sql_done *a, const struct sql_done *b)
{
	const char	*pa, *pb;

	pa = a->ev->project != NULL ? a->ev->project : "";
	pb = b->ev->project != NULL ? b->ev->project : "";
	return strcmp(a->ev->agent_id, b->ev->agent_id) == 0 &&
	    strcmp(pa, pb) == 0;
}

/* One upsert per agent row touched by the batch (done is sorted). */
static int
sql_agents_upsert(struct sql_store *sql, const struct sql_done *done,
    size_t n)
{
	sqlite3_stmt		*s = sql->agent;
	const struct store_ev	*last, *budget;
	int64_t			 budget_seq;
	size_t			 i, j, k;

	for (i = 0; i < n; i = j) {
		budget = NULL;
		budget_seq = 0;
		for (j = i; j < n && sql_done_same(&done[i], &done[j]); j++)
			;
		for (k = i; k < j; k++) {
			if (done[k].ev->budget_remaining != NULL &&
			    done[k].ev->budget_total != NULL) {
				budget = done[k].ev;
				budget_seq = done[k].seq;
			}
		}
		last = done[j - 1].ev;
		sql_bind_str(s, 1, last->agent_id);
		sql_bind_str(s, 2, last->project != NULL ? last->project : "");
		sql_bind_str(s, 3, last->agent_name);
		sql_bind_str(s, 4, last->agent_role);
		sql_bind_str(s, 5, evt_types[last->type].name);
		sql_bind_str(s, 6, last->operation);
		sql_bind_str(s, 7, last->status);
		sql_bind_str(s, 8, last->timestamp);
		sqlite3_bind_int64(s, 9, done[j - 1].seq);
		sqlite3_bind_int64(s, 10, (int64_t)(j - i));
		if (budget != NULL) {
			sql_bind_num(s, 11, budget->budget_remaining);
			sql_bind_num(s, 12, budget->budget_total);
			sqlite3_bind_int64(s, 13, budget_seq);
		} else {
			sqlite3_bind_null(s, 11);
			sqlite3_bind_null(s, 12);
			sqlite3_bind_null(s, 13);
		}
		if (sql_step_done(s) != 0)
			return -1;
	}
	return 0;
}

/* Add delta[t] to the stored count of each type t. */
static int
sql_counts_add(struct sql_store *sql, const int64_t delta[EVT__COUNT])
{
	int	t;

	for (t = 0; t < EVT__COUNT; t++) {
		if (delta[t] == 0)
			continue;
		sql_bind_str(sql->count, 1, evt_types[t].name);
		sqlite3_bind_int64(sql->count, 2, delta[t]);
		if (sql_step_done(sql->count) != 0)
			return -1;
	}
	return 0;
}

/* Store batches in one transaction (the writer's group commit). */
static int
sql_insert_batch(void *b, struct store_batch **bs, size_t nb, int64_t now_ms,
    char **cause)
{
	struct sql_store	*sql = b;
	struct store_batch	*bt;
	const struct store_ev	*ev;
	struct sql_done		*done;
	const char		*v[SQL_K__COUNT];
	char			 received_at[TS_LEN];
	int64_t			 seq = sql->last_seq, delta[EVT__COUNT];
	int64_t			 flushed_seq = 0;
	size_t			 i, k, n = 0, ndone = 0, npend0 = sql->npend;
	size_t			 nflushed = 0;
	int			 rc, t;

	memset(delta, 0, sizeof delta);
	ts_format(received_at, now_ms);
	if (sql->ck_state == 0)
		sql_ckpt_start(sql);
	for (k = 0; k < nb; k++)
		n += bs[k]->n;
	done = xreallocarray(NULL, n ? n : 1, sizeof *done);

	if (sql->last_seq > SQL_SEQ_MAX - (int64_t)n) {
		*cause = xasprintf("sqlite %s: sequence numbers exhausted",
		    sql->path);
		goto fail;
	}
	if (sql_step_done(sql->begin) != 0) {
		sql_error(sql, "begin", cause);
		goto fail;
	}
	if (sql->npend >= SQL_FLUSH_EVENTS) {
		if (sql_flush(sql, cause) != 0)
			goto fail;
		nflushed = sql->npend;
		flushed_seq = sql->pend[nflushed - 1].seq;
	}
	for (k = 0; k < nb; k++) {
		bt = bs[k];
		for (i = 0; i < bt->n; i++) {
			ev = &bt->recs[i].ev;
			rc = sql_insert_one(sql, &bt->recs[i], seq + 1,
			    received_at);
			if (rc < 0) {
				sql_error(sql, "insert", cause);
				goto fail;
			}
			if (rc == 0)
				continue;	/* duplicate */
			bt->seqs[i] = ++seq;
			delta[ev->type]++;
			done[ndone].ev = ev;
			done[ndone].seq = seq;
			ndone++;
			v[SQL_K_TYPE] = NULL;	/* sql_pend_add takes it from type */
			v[SQL_K_AGENT] = ev->agent_id;
			v[SQL_K_SESSION] = ev->session_id;
			v[SQL_K_USER] = ev->user_id;
			v[SQL_K_PROJECT] = ev->project;
			sql_pend_add(sql, seq, ev->type, v);
		}
	}
	if (ndone > 0) {
		qsort(done, ndone, sizeof *done, sql_done_cmp);
		if (sql_agents_upsert(sql, done, ndone) != 0) {
			sql_error(sql, "agents", cause);
			goto fail;
		}
		if (sql_counts_add(sql, delta) != 0 ||
		    sql_setmeta(sql, "last_seq", seq) != 0) {
			sql_error(sql, "counts", cause);
			goto fail;
		}
	}
	if (sql_step_done(sql->commit) != 0) {
		sql_error(sql, "commit", cause);
		goto fail;
	}
	if (nflushed > 0) {
		sql_pend_shift(sql, nflushed);
		sql->indexed_seq = flushed_seq;
	}
	sql->last_seq = seq;
	for (t = 0; t < EVT__COUNT; t++)
		sql->counts[t] += delta[t];
	sql->total += (int64_t)ndone;
	for (k = 0; k < nb; k++) {
		bs[k]->stored = 0;
		for (i = 0; i < bs[k]->n; i++)
			bs[k]->stored += bs[k]->seqs[i] != 0;
		memcpy(bs[k]->received_at, received_at, TS_LEN);
	}
	free(done);
	return 0;

fail:
	/* Some errors (I/O, full disk) already rolled SQLite back. */
	if (!sqlite3_get_autocommit(sql->db) &&
	    sql_step_done(sql->rollback) != 0)
		log_warnx("sqlite %s: rollback: %s", sql->path,
		    sqlite3_errmsg(sql->db));
	sql_pend_truncate(sql, npend0);
	for (k = 0; k < nb; k++)
		memset(bs[k]->seqs, 0, bs[k]->n * sizeof *bs[k]->seqs);
	free(done);
	return -1;
}

/* Run a query; rows in ascending seq. */
static int
sql_query(void *b, const struct store_query *q, store_row_cb cb, void *arg,
    char **cause)
{
	/* Which filter's postings to walk: the likely most selective. */
	static const int	 order[] = { SQL_K_AGENT, SQL_K_SESSION,
	    SQL_K_USER, SQL_K_PROJECT, SQL_K_TYPE };
	struct sql_store	*sql = b;
	struct sql_walk		 w;
	sqlite3_stmt		*s = sql->all;
	size_t			 i, lo, hi, mid;
	int			 drive = -1, rc;

	memset(&w, 0, sizeof w);
	sql_query_values(q, w.want);
	w.cb = cb;
	w.arg = arg;
	w.limit = q->limit;
	for (i = 0; i < sizeof order / sizeof order[0] && drive < 0; i++)
		if (w.want[order[i]] != NULL)
			drive = order[i];

	if (drive < 0) {
		/* No filter: every row is in events, a rowid range. */
		sqlite3_bind_int64(s, 1, q->since);
		sqlite3_bind_int(s, 2, q->limit);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (cb(arg, sqlite3_column_int64(s, 0),
			    (const char *)sqlite3_column_text(s, 1),
			    (size_t)sqlite3_column_bytes(s, 1)) != 0) {
				rc = SQLITE_DONE;
				break;
			}
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			sql_error(sql, "query", cause);
			return -1;
		}
		return 0;
	}

	/* First what the postings cover, then the pending events. */
	if (q->since < sql->indexed_seq) {
		if (sql_walk_postings(sql, &w, drive, q->since,
		    sql->indexed_seq, cause) != 0)
			return -1;
		if (w.stop || w.sent >= w.limit)
			return 0;
	}
	lo = 0;
	hi = sql->npend;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sql->pend[mid].seq <= q->since)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < sql->npend && !w.stop && w.sent < w.limit; lo++) {
		if (!sql_match(sql->pend[lo].v, w.want))
			continue;
		if (sql_walk_seq(sql, &w, sql->pend[lo].seq, cause) != 0)
			return -1;
	}
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
	uint64_t		*bk = NULL;
	char			 cutoff[TS_LEN];
	const char		*at, *val;
	int64_t			 excess = 0, cut = 0, ndel = 0, seq;
	int64_t			 delta[EVT__COUNT];
	size_t			 nbk = 0, cap = 0, npend;
	int			 rc, t, k, aging;

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
		if (ndel >= excess && !(aging && at != NULL &&
		    strcmp(at, cutoff) < 0))
			break;
		seq = cut = sqlite3_column_int64(s, 0);
		ndel++;
		t = evt_type_lookup((const char *)sqlite3_column_text(s, 2));
		if (t >= 0)
			delta[t]--;
		if (seq > sql->indexed_seq)
			continue;	/* pending: no postings yet */
		for (k = 0; k < SQL_K__COUNT; k++) {
			if ((val = (const char *)sqlite3_column_text(s,
			    2 + k)) == NULL)
				continue;
			if (nbk == cap) {
				cap = cap == 0 ? 1024 : cap * 2;
				bk = xreallocarray(bk, cap, sizeof *bk);
			}
			bk[nbk++] = sql_bucket(k, val);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sql_error(sql, "retain", cause);
		goto fail;
	}
	if (ndel == 0) {
		sql_step_done(sql->rollback);
		free(bk);
		return 0;
	}
	if (sql_unpost(sql, bk, nbk, cut) != 0) {
		sql_error(sql, "retain postings", cause);
		goto fail;
	}
	sqlite3_bind_int64(sql->delete, 1, cut);
	if (sql_step_done(sql->delete) != 0 || sql_counts_add(sql, delta) != 0) {
		sql_error(sql, "retain", cause);
		goto fail;
	}
	if (sql_step_done(sql->commit) != 0) {
		sql_error(sql, "commit", cause);
		goto fail;
	}
	free(bk);
	for (npend = 0; npend < sql->npend && sql->pend[npend].seq <= cut;
	    npend++)
		;
	sql_pend_shift(sql, npend);
	for (t = 0; t < EVT__COUNT; t++)
		sql->counts[t] += delta[t];
	sql->total -= ndel;
	return ndel;

fail:
	free(bk);
	if (!sqlite3_get_autocommit(sql->db))
		sql_step_done(sql->rollback);
	return -1;
}

/* The WAL as the last commit left it. */
static void
sql_wal(void *b, struct store_wal *w)
{
	struct sql_store	*sql = b;

	w->pages = sql->wal_pages;
	w->pinned = sql->ck_hold_us != 0;
}

const struct store_ops store_sqlite_ops = {
	.kind = "sqlite",
	.open = sql_open,
	.close = sql_close,
	.set_opts = sql_set_opts,
	.insert_batch = sql_insert_batch,
	.query = sql_query,
	.last_seq = sql_last_seq,
	.counts = sql_counts,
	.agents = sql_agents,
	.retain = sql_retain,
	.wal = sql_wal,
};
