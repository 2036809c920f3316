/*
 * sqlite_ckpt.c: the SQLite store's checkpointer, a thread with its own
 * connection that copies the write-ahead log into the database whenever
 * it grows past SQL_WAL_PAGES, so that no commit pays for that (sqlite.c
 * explains when the inserting thread checkpoints itself instead).
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sqlite.h"
#include "timefmt.h"
#include "xmalloc.h"

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
int
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
void
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
void
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
