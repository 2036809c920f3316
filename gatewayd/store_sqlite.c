/*
 * store_sqlite.c: the default store, one SQLite file ("sqlite:PATH").
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
 *   redelivered event carries the same timestamp and event_id, and keyed
 *   by time first the index grows at its end too. On event_id alone
 *   (random v4 UUIDs) every event would dirty a page of its own.
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

/*
 * Events whose postings wait in memory before one sorted bulk write. More
 * makes ingest cheaper and each flush (and a filtered query's walk of the
 * pending list) longer.
 */
#define SQL_FLUSH_EVENTS	4096

/*
 * WAL pages before a checkpoint copies them into the database (SQLite's
 * default is 1000). A bigger WAL copies a page rewritten by many commits
 * once, not once per 1000 pages; 4000 pages of 4 KiB is 16 MiB of WAL.
 *
 * The checkpoint runs on a thread of its own with its own connection
 * (PASSIVE: it never blocks a commit), so the inserting thread does not
 * pay for it. Should that thread fall behind (SQL_WAL_PAGES_SYNC), or not
 * start, the inserting thread checkpoints after its commit as SQLite's
 * autocheckpoint would; that keeps the WAL bounded whatever happens.
 */
#define SQL_WAL_PAGES		4000
#define SQL_WAL_PAGES_SYNC	(4 * SQL_WAL_PAGES)

/* Postings rows written by one statement of a flush. */
#define SQL_POST_ROWS		32

/*
 * A posting's key: bucket << SQL_BLOCK_SHIFT | seq >> SQL_BLOCK_BITS, in
 * 63 bits. 2^25 buckets make shared hashes rare; seq may reach 2^44.
 */
#define SQL_BLOCK_BITS		6
#define SQL_BLOCK_SHIFT		38
#define SQL_BUCKET_MASK		((UINT64_C(1) << 25) - 1)
#define SQL_SEQ_MAX		((INT64_C(1) << (SQL_BLOCK_SHIFT + SQL_BLOCK_BITS)) - 1)

/* The filters; a query's mask has bit (1 << kind) for each one it uses. */
enum sql_kind {
	SQL_K_TYPE,
	SQL_K_AGENT,
	SQL_K_SESSION,
	SQL_K_USER,
	SQL_K_PROJECT,
	SQL_K__COUNT
};

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

/* A stored event whose postings are not written yet. */
struct sql_pend {
	int64_t		 seq;
	const char	*v[SQL_K__COUNT];	/* values; NULL = none */
	char		*buf;			/* holds v[1..] */
};

/* One posting, for sorting before a bulk write. */
struct sql_posting {
	uint64_t	 key;
	uint64_t	 bits;
};

struct sql_store {
	sqlite3		*db;
	char		*path;
	struct store_opts opts;
	int64_t		 last_seq;
	int64_t		 counts[EVT__COUNT];
	int64_t		 total;

	/* Postings exist for seq <= indexed_seq; pend holds the rest. */
	int64_t		 indexed_seq;
	struct sql_pend	*pend;
	size_t		 npend;
	size_t		 cappend;

	char		*tbuf;		/* an event's stored text, reused */
	size_t		 tcap;

	/* The checkpointer thread; started by the first insert (after fork). */
	pthread_t	 ck_thread;
	pthread_mutex_t	 ck_lock;
	pthread_cond_t	 ck_cond;
	sqlite3		*ck_db;		/* its own connection */
	int		 ck_state;	/* 0 not tried, 1 running, -1 none */
	int		 ck_want;	/* a checkpoint is due */
	int64_t		 ck_hold_until;	/* no RESTART before (ts_mono_us) */
	int64_t		 ck_hold_us;	/* how long the last hold was */
	int		 wal_pages;	/* after the last commit */
	int		 ck_stop;

	sqlite3_stmt	*begin;
	sqlite3_stmt	*commit;
	sqlite3_stmt	*rollback;
	sqlite3_stmt	*insert;
	sqlite3_stmt	*agent;
	sqlite3_stmt	*count;
	sqlite3_stmt	*setmeta;
	sqlite3_stmt	*posting;
	sqlite3_stmt	*postmany;	/* SQL_POST_ROWS rows */
	sqlite3_stmt	*unpost;
	sqlite3_stmt	*oldest;
	sqlite3_stmt	*delete;
	sqlite3_stmt	*fetch;
	sqlite3_stmt	*scan;
	sqlite3_stmt	*all;
	sqlite3_stmt	*agents_all;
	sqlite3_stmt	*agents_project;
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
static int
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

/* Free pending entries [from, npend) and forget them. */
static void
sql_pend_truncate(struct sql_store *sql, size_t from)
{
	size_t	i;

	for (i = from; i < sql->npend; i++)
		free(sql->pend[i].buf);
	sql->npend = from;
}

/* Forget the first n pending entries (their postings are written). */
static void
sql_pend_shift(struct sql_store *sql, size_t n)
{
	size_t	i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		free(sql->pend[i].buf);
	memmove(sql->pend, sql->pend + n, (sql->npend - n) * sizeof *sql->pend);
	sql->npend -= n;
}

/* Add a pending entry for seq with the filter values v[] (copied). */
static void
sql_pend_add(struct sql_store *sql, int64_t seq, int type,
    const char *const v[SQL_K__COUNT])
{
	struct sql_pend	*p;
	size_t		 len[SQL_K__COUNT], total = 0;
	char		*at;
	int		 k;

	if (sql->npend == sql->cappend) {
		sql->cappend = sql->cappend == 0 ? 256 : sql->cappend * 2;
		sql->pend = xreallocarray(sql->pend, sql->cappend,
		    sizeof *sql->pend);
	}
	p = &sql->pend[sql->npend++];
	p->seq = seq;
	p->v[SQL_K_TYPE] = type >= 0 ? evt_types[type].name : NULL;
	/* One allocation for the strings: this runs for every event. */
	for (k = 1; k < SQL_K__COUNT; k++) {
		len[k] = v[k] != NULL ? strlen(v[k]) + 1 : 0;
		total += len[k];
	}
	p->buf = at = xmalloc(total);
	for (k = 1; k < SQL_K__COUNT; k++) {
		if (v[k] == NULL) {
			p->v[k] = NULL;
			continue;
		}
		memcpy(at, v[k], len[k]);
		p->v[k] = at;
		at += len[k];
	}
}

/* The bucket of a filter value: FNV-1a of kind and value. */
static uint64_t
sql_bucket(int kind, const char *value)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	h = (h ^ (uint64_t)kind) * UINT64_C(0x100000001b3);
	for (; *value != '\0'; value++)
		h = (h ^ (unsigned char)*value) * UINT64_C(0x100000001b3);
	return (h ^ (h >> 32)) & SQL_BUCKET_MASK;
}

/* The key of the postings row of bucket and seq's block. */
static int64_t
sql_key(uint64_t bucket, int64_t seq)
{
	return (int64_t)(bucket << SQL_BLOCK_SHIFT |
	    (uint64_t)seq >> SQL_BLOCK_BITS);
}

/* qsort order of postings: key. */
static int
sql_posting_cmp(const void *a1, const void *a2)
{
	const struct sql_posting	*a = a1, *b = a2;

	return (a->key > b->key) - (a->key < b->key);
}

/*
 * Write the postings of every pending event, sorted so each B-tree page
 * is visited once, inside the caller's transaction. The caller drops the
 * entries (sql_pend_shift) once that transaction committed.
 */
static int
sql_flush(struct sql_store *sql, char **cause)
{
	struct sql_posting	*ps, *tab, *t;
	const struct sql_pend	*p;
	sqlite3_stmt		*s;
	uint64_t		 key, mask;
	size_t			 i, j, cap, nrows;
	unsigned		 shift;
	int			 k;

	if (sql->npend == 0)
		return 0;
	/*
	 * One row per key, the bits of its postings ORed together: merged in
	 * an open-addressing table first (a value's events of one block share
	 * its key, so there are far fewer keys than postings), then only the
	 * distinct keys sorted. Keys use 63 bits; bit 63 marks a used slot.
	 */
	for (cap = 64, shift = 58; cap < 2 * sql->npend * SQL_K__COUNT;
	    cap *= 2, shift--)
		;
	mask = cap - 1;
	tab = xcalloc(cap, sizeof *tab);
	nrows = 0;
	for (i = 0; i < sql->npend; i++) {
		p = &sql->pend[i];
		for (k = 0; k < SQL_K__COUNT; k++) {
			if (p->v[k] == NULL)
				continue;
			key = (uint64_t)sql_key(sql_bucket(k, p->v[k]), p->seq) |
			    UINT64_C(1) << 63;
			for (j = (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >>
			    shift);; j = (j + 1) & mask) {
				t = &tab[j];
				if (t->key == key || t->key == 0)
					break;
			}
			if (t->key == 0) {
				t->key = key;
				nrows++;
			}
			t->bits |= UINT64_C(1) << (p->seq &
			    ((1 << SQL_BLOCK_BITS) - 1));
		}
	}
	ps = xreallocarray(NULL, nrows ? nrows : 1, sizeof *ps);
	for (i = 0, j = 0; i < cap; i++) {
		if (tab[i].key == 0)
			continue;
		ps[j].key = tab[i].key & ~(UINT64_C(1) << 63);
		ps[j].bits = tab[i].bits;
		j++;
	}
	free(tab);
	qsort(ps, nrows, sizeof *ps, sql_posting_cmp);
	/* SQL_POST_ROWS rows a statement: the cost of a step is per row less. */
	for (i = 0; i < nrows; i += k) {
		s = nrows - i >= SQL_POST_ROWS ? sql->postmany : sql->posting;
		k = s == sql->postmany ? SQL_POST_ROWS : 1;
		for (j = 0; j < (size_t)k; j++) {
			sqlite3_bind_int64(s, 2 * (int)j + 1,
			    (int64_t)ps[i + j].key);
			sqlite3_bind_int64(s, 2 * (int)j + 2,
			    (int64_t)ps[i + j].bits);
		}
		if (sql_step_done(s) != 0)
			break;
	}
	free(ps);
	if (i < nrows || sql_setmeta(sql, "indexed_seq",
	    sql->pend[sql->npend - 1].seq) != 0) {
		sql_error(sql, "postings", cause);
		return -1;
	}
	return 0;
}

/* Flush in a transaction of its own (at open and close). */
static int
sql_flush_now(struct sql_store *sql, char **cause)
{
	size_t	n = sql->npend;
	int64_t	seq;

	if (n == 0)
		return 0;
	seq = sql->pend[n - 1].seq;
	if (sql_step_done(sql->begin) != 0) {
		sql_error(sql, "begin", cause);
		return -1;
	}
	if (sql_flush(sql, cause) != 0)
		goto fail;
	if (sql_step_done(sql->commit) != 0) {
		sql_error(sql, "commit", cause);
		goto fail;
	}
	sql_pend_shift(sql, n);
	sql->indexed_seq = seq;
	return 0;

fail:
	if (!sqlite3_get_autocommit(sql->db))
		sql_step_done(sql->rollback);
	return -1;
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

/* The checkpointer: PASSIVE checkpoints whenever the WAL asks for one. */
static void *
sql_ckpt_main(void *arg)
{
	struct sql_store	*sql = arg;
	int			 rc;

	pthread_mutex_lock(&sql->ck_lock);
	for (;;) {
		while (!sql->ck_want && !sql->ck_stop)
			pthread_cond_wait(&sql->ck_cond, &sql->ck_lock);
		if (sql->ck_stop)
			break;
		sql->ck_want = 0;
		pthread_mutex_unlock(&sql->ck_lock);
		rc = sqlite3_wal_checkpoint_v2(sql->ck_db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warnx("sqlite %s: checkpoint: %s", sql->path,
			    sqlite3_errmsg(sql->ck_db));
		pthread_mutex_lock(&sql->ck_lock);
	}
	pthread_mutex_unlock(&sql->ck_lock);
	return NULL;
}

/* After every commit: wake the checkpointer, or checkpoint here. */
static int
sql_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sql_store	*sql = arg;
	int			 rc, nlog, nckpt;

	sql->wal_pages = pages;
	if (pages < SQL_WAL_PAGES)
		return SQLITE_OK;
	if (sql->ck_state == 1 && pages < SQL_WAL_PAGES_SYNC) {
		pthread_mutex_lock(&sql->ck_lock);
		sql->ck_want = 1;
		pthread_cond_signal(&sql->ck_cond);
		pthread_mutex_unlock(&sql->ck_lock);
		return SQLITE_OK;
	}
	/*
	 * No checkpointer: as SQLite's own autocheckpoint does (BUSY only
	 * means "later"). A checkpointer that fell behind: RESTART, which
	 * waits (busy timeout) for its checkpoint to end rather than give
	 * up, and copies every frame, so the next commit starts the WAL
	 * over. Under back-to-back commits the checkpointer never catches up
	 * by itself, and a PASSIVE one here lost the race to it again and
	 * again.
	 */
	if (sql->ck_state != 1) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
		return SQLITE_OK;
	}
	pthread_mutex_lock(&sql->ck_lock);
	if (ts_mono_us() < sql->ck_hold_until) {
		/* A reader pins the WAL: the checkpointer does what it can. */
		sql->ck_want = 1;
		pthread_cond_signal(&sql->ck_cond);
		pthread_mutex_unlock(&sql->ck_lock);
		return SQLITE_OK;
	}
	/* No more checkpoints of its own in the way of the restart. */
	sql->ck_want = 0;
	pthread_mutex_unlock(&sql->ck_lock);
	rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART,
	    &nlog, &nckpt);
	if (rc == SQLITE_BUSY && nlog >= 0) {
		/*
		 * It ran, but a reader (an outside sqlite3, a backup) still
		 * reads the WAL, and one that outlived the busy timeout will
		 * outlive the next commit too: waiting 500 ms after every
		 * commit held ingest to two commits a second. Let the WAL
		 * grow, and try again in 1 s, doubling to 30 s.
		 */
		sql->ck_hold_us = sql->ck_hold_us == 0 ? 1000000 :
		    sql->ck_hold_us >= 15000000 ? 30000000 :
		    sql->ck_hold_us * 2;
		sql->ck_hold_until = ts_mono_us() + sql->ck_hold_us;
		log_warnx("sqlite %s: a reader keeps the WAL (%d pages) from "
		    "being checkpointed; trying again in %lld s", sql->path,
		    pages, (long long)(sql->ck_hold_us / 1000000));
	} else if (rc == SQLITE_OK && sql->ck_hold_us != 0) {
		log_info("sqlite %s: WAL checkpointed again", sql->path);
		sql->ck_hold_us = 0;
	}
	return SQLITE_OK;
}

/*
 * Start the checkpointer. Not at open: gatewayd opens the store before it
 * forks into the background, and a thread does not survive the fork.
 */
static void
sql_ckpt_start(struct sql_store *sql)
{
	sigset_t	 all, old;
	const char	*file;
	int		 error;

	sql->ck_state = -1;
	/* The main connection's name for the file: absolute, whatever cwd is. */
	if ((file = sqlite3_db_filename(sql->db, "main")) == NULL ||
	    *file == '\0' || !sqlite3_threadsafe())
		return;		/* no file, or no threads: checkpoint inline */
	if (sqlite3_open_v2(file, &sql->ck_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("sqlite %s: checkpointer: %s", sql->path,
		    sql->ck_db != NULL ? sqlite3_errmsg(sql->ck_db) :
		    "out of memory");
		sqlite3_close(sql->ck_db);
		sql->ck_db = NULL;
		return;
	}
	sqlite3_busy_timeout(sql->ck_db, SQL_BUSY_MS);
	/* Reading the header tells the connection it is in WAL mode. */
	if (sqlite3_exec(sql->ck_db, "PRAGMA synchronous = NORMAL;"
	    " SELECT count(*) FROM meta", NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("sqlite %s: checkpointer: %s", sql->path,
		    sqlite3_errmsg(sql->ck_db));
		sqlite3_close(sql->ck_db);
		sql->ck_db = NULL;
		return;
	}
	/* Signals are the service thread's: the new thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&sql->ck_thread, NULL, sql_ckpt_main, sql);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		log_warnx("sqlite %s: checkpointer: %s", sql->path,
		    strerror(error));
		sqlite3_close(sql->ck_db);
		sql->ck_db = NULL;
		return;
	}
	sql->ck_state = 1;
}

/* Stop the checkpointer (if it ran) and close its connection. */
static void
sql_ckpt_stop(struct sql_store *sql)
{
	if (sql->ck_state == 1) {
		pthread_mutex_lock(&sql->ck_lock);
		sql->ck_stop = 1;
		pthread_cond_signal(&sql->ck_cond);
		pthread_mutex_unlock(&sql->ck_lock);
		pthread_join(sql->ck_thread, NULL);
		sql->ck_state = -1;
	}
	if (sql->ck_db != NULL) {
		sqlite3_close(sql->ck_db);
		sql->ck_db = NULL;
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

/* The values q asks for, in enum sql_kind order (NULL = any). */
static void
sql_query_values(const struct store_query *q, const char *want[SQL_K__COUNT])
{
	want[SQL_K_TYPE] = q->type >= 0 ? evt_types[q->type].name : NULL;
	want[SQL_K_AGENT] = q->agent_id;
	want[SQL_K_SESSION] = q->session_id;
	want[SQL_K_USER] = q->user_id;
	want[SQL_K_PROJECT] = q->project;
}

/* Do the values v of an event pass the filters want? */
static int
sql_match(const char *const v[SQL_K__COUNT],
    const char *const want[SQL_K__COUNT])
{
	int	k;

	for (k = 0; k < SQL_K__COUNT; k++) {
		if (want[k] != NULL && (v[k] == NULL ||
		    strcmp(v[k], want[k]) != 0))
			return 0;
	}
	return 1;
}

/* What a query walk carries. */
struct sql_walk {
	const char	*want[SQL_K__COUNT];
	store_row_cb	 cb;
	void		*arg;
	int		 limit;
	int		 sent;
	int		 stop;	/* the callback asked to stop */
};

/*
 * Check the event seq against the filters (postings only say a hash
 * matched) and pass it on. 0, or -1 on an SQLite error. A row retention
 * removed meanwhile is simply not found.
 */
static int
sql_walk_seq(struct sql_store *sql, struct sql_walk *w, int64_t seq,
    char **cause)
{
	sqlite3_stmt	*s = sql->fetch;
	const char	*v[SQL_K__COUNT];
	int		 rc, k;

	sqlite3_bind_int64(s, 1, seq);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (k = 0; k < SQL_K__COUNT; k++)
			v[k] = (const char *)sqlite3_column_text(s, 1 + k);
		if (sql_match(v, w->want)) {
			w->sent++;
			w->stop = w->cb(w->arg, seq,
			    (const char *)sqlite3_column_text(s, 0),
			    (size_t)sqlite3_column_bytes(s, 0)) != 0;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sql_error(sql, "query", cause);
		return -1;
	}
	return 0;
}

/*
 * Walk the postings of one filter value, seqs in (since, upto], checking
 * each event. The blocks come in key order, so seqs ascend.
 */
static int
sql_walk_postings(struct sql_store *sql, struct sql_walk *w, int kind,
    int64_t since, int64_t upto, char **cause)
{
	sqlite3_stmt	*s = sql->scan;
	uint64_t	 bucket, bits;
	int64_t		 block, seq;
	int		 rc, bit;

	bucket = sql_bucket(kind, w->want[kind]);
	sqlite3_bind_int64(s, 1, sql_key(bucket, since + 1));
	sqlite3_bind_int64(s, 2, sql_key(bucket, upto));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		block = sqlite3_column_int64(s, 0) &
		    ((INT64_C(1) << SQL_BLOCK_SHIFT) - 1);
		bits = (uint64_t)sqlite3_column_int64(s, 1);
		for (bit = 0; bit < (1 << SQL_BLOCK_BITS); bit++) {
			if (!(bits & (UINT64_C(1) << bit)))
				continue;
			seq = block << SQL_BLOCK_BITS | bit;
			if (seq <= since || seq > upto)
				continue;
			if (sql_walk_seq(sql, w, seq, cause) != 0) {
				sqlite3_reset(s);
				return -1;
			}
			if (w->stop || w->sent >= w->limit)
				break;
		}
		if (w->stop || w->sent >= w->limit) {
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

/* qsort order of buckets. */
static int
sql_bucket_cmp(const void *a1, const void *a2)
{
	uint64_t	a = *(const uint64_t *)a1, b = *(const uint64_t *)a2;

	return (a > b) - (a < b);
}

/*
 * Delete the postings rows of the buckets of removed rows whose blocks
 * lie wholly at or below cut: one range delete per bucket, so a chunk
 * costs what it touches. The block holding cut keeps its stale bits until
 * a later chunk passes it; walks skip events that are gone.
 */
static int
sql_unpost(struct sql_store *sql, uint64_t *bk, size_t n, int64_t cut)
{
	int64_t	top = ((cut + 1) >> SQL_BLOCK_BITS) - 1;	/* last whole block */
	size_t	i;

	if (n == 0 || top < 0)
		return 0;
	qsort(bk, n, sizeof *bk, sql_bucket_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && bk[i] == bk[i - 1])
			continue;
		sqlite3_bind_int64(sql->unpost, 1,
		    (int64_t)(bk[i] << SQL_BLOCK_SHIFT));
		sqlite3_bind_int64(sql->unpost, 2,
		    (int64_t)(bk[i] << SQL_BLOCK_SHIFT | (uint64_t)top));
		if (sql_step_done(sql->unpost) != 0)
			return -1;
	}
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
