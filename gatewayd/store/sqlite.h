/*
 * sqlite.h: what the SQLite store's files share (sqlite.c: the store;
 * sqlite_postings.c: its filter index; sqlite_ckpt.c: its checkpointer).
 * Only gatewayd/store/sqlite*.c include it.
 */
#ifndef AV_STORE_SQLITE_H
#define AV_STORE_SQLITE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

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

/* What a query walk carries. */
struct sql_walk {
	const char	*want[SQL_K__COUNT];
	store_row_cb	 cb;
	void		*arg;
	int		 limit;
	int		 sent;
	int		 stop;	/* the callback asked to stop */
};

/* sqlite.c */
/* *cause = "sqlite PATH: what: errmsg". */
void sql_error(struct sql_store *sql, const char *what, char **cause);
/* Run a statement that returns no rows, and reset it. */
int sql_step_done(sqlite3_stmt *stmt);
/* Set meta key to v (inside a transaction). */
int sql_setmeta(struct sql_store *sql, const char *key, int64_t v);

/* sqlite_postings.c */
/* Free pending entries [from, npend) and forget them. */
void sql_pend_truncate(struct sql_store *sql, size_t from);
/* Forget the first n pending entries (their postings are written). */
void sql_pend_shift(struct sql_store *sql, size_t n);
/* Add a pending entry for seq with the filter values v[] (copied). */
void sql_pend_add(struct sql_store *sql, int64_t seq, int type,
    const char *const v[SQL_K__COUNT]);
/* The bucket of a filter value: FNV-1a of kind and value. */
uint64_t sql_bucket(int kind, const char *value);
/*
 * Write the postings of every pending event, sorted so each B-tree page
 * is visited once, inside the caller's transaction. The caller drops the
 * entries (sql_pend_shift) once that transaction committed.
 */
int sql_flush(struct sql_store *sql, char **cause);
/* Flush in a transaction of its own (at open and close). */
int sql_flush_now(struct sql_store *sql, char **cause);
/* The values q asks for, in enum sql_kind order (NULL = any). */
void sql_query_values(const struct store_query *q,
    const char *want[SQL_K__COUNT]);
/* Do the values v of an event pass the filters want? */
int sql_match(const char *const v[SQL_K__COUNT],
    const char *const want[SQL_K__COUNT]);
/*
 * Check the event seq against the filters (postings only say a hash
 * matched) and pass it on. 0, or -1 on an SQLite error. A row retention
 * removed meanwhile is simply not found.
 */
int sql_walk_seq(struct sql_store *sql, struct sql_walk *w, int64_t seq,
    char **cause);
/*
 * Walk the postings of one filter value, seqs in (since, upto], checking
 * each event. The blocks come in key order, so seqs ascend.
 */
int sql_walk_postings(struct sql_store *sql, struct sql_walk *w, int kind,
    int64_t since, int64_t upto, char **cause);
/*
 * Delete the postings rows of the buckets of removed rows whose blocks
 * lie wholly at or below cut: one range delete per bucket, so a chunk
 * costs what it touches. The block holding cut keeps its stale bits until
 * a later chunk passes it; walks skip events that are gone.
 */
int sql_unpost(struct sql_store *sql, uint64_t *bk, size_t n, int64_t cut);

/* sqlite_ckpt.c */
/* The WAL hook: after every commit, wake the checkpointer or checkpoint. */
int sql_wal_hook(void *arg, sqlite3 *db, const char *name, int pages);
/*
 * Start the checkpointer. Not at open: gatewayd opens the store before it
 * forks into the background, and a thread does not survive the fork.
 */
void sql_ckpt_start(struct sql_store *sql);
/* Stop the checkpointer (if it ran) and close its connection. */
void sql_ckpt_stop(struct sql_store *sql);

#endif
