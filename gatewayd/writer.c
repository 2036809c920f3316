/*
 * writer.c: the store writer thread (see writer.h).
 *
 * One mutex guards the two queues (todo, done) and the flags; the store
 * itself is called without it held, so the service thread can queue and
 * collect jobs while a commit runs (the store has its own lock, which
 * serialises the writer against the service thread's queries).
 *
 * Group commit: a commit costs about the same for one batch as for ten
 * (the same index pages are written to the WAL), so when batches queued
 * up while the last commit ran, they go into one store_insert. Storing
 * the concatenation is what storing them one after another would do:
 * seqs ascend in submission order, and an event repeated in a later
 * batch of the group is a duplicate there, as it would be after a
 * separate commit.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "timefmt.h"
#include "writer.h"
#include "xmalloc.h"

/* Most events stored in one group commit (keeps one transaction short). */
#define WRITER_GROUP_MAX	5000

TAILQ_HEAD(writer_jobq, writer_job);

struct writer {
	struct store		*st;
	void			(*wake)(void *);
	void			*arg;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* todo grew, or stop */
	pthread_cond_t		 idle;		/* a group finished */
	struct writer_jobq	 todo;
	struct writer_jobq	 done;
	size_t			 busy;		/* jobs taken off todo, not done */
	int			 stop;
	int			 running;	/* thread not yet joined */
};

/* Store one job on its own. */
static void
writer_one(struct writer *w, struct writer_job *j)
{
	int64_t	t0;

	t0 = ts_mono_us();
	j->cause = NULL;
	j->shared = 0;
	j->stored = store_insert_batches(w->st, &j->batch, 1, &j->cause) == 0 ?
	    j->batch->stored : -1;
	j->us = ts_mono_us() - t0;
}

/* Store a group of jobs in one transaction, or one by one if that fails. */
static void
writer_group(struct writer *w, struct writer_jobq *g, size_t njobs)
{
	struct writer_job	 *j;
	struct store_batch	**bs;
	int64_t			  t0, us;
	char			 *cause = NULL;
	size_t			  i = 0;

	if (njobs == 1) {
		writer_one(w, TAILQ_FIRST(g));
		return;
	}
	bs = xreallocarray(NULL, njobs, sizeof *bs);
	TAILQ_FOREACH(j, g, entry)
		bs[i++] = j->batch;
	t0 = ts_mono_us();
	if (store_insert_batches(w->st, bs, njobs, &cause) == 0) {
		us = ts_mono_us() - t0;
		TAILQ_FOREACH(j, g, entry) {
			j->stored = j->batch->stored;
			j->cause = NULL;
			j->us = us;
			j->shared = j != TAILQ_FIRST(g);
		}
	} else {
		/* Nothing of the group is stored: find which batch fails. */
		free(cause);
		TAILQ_FOREACH(j, g, entry)
			writer_one(w, j);
	}
	free(bs);
}

/* The thread: take what is queued, store it, hand it back, repeat. */
static void *
writer_main(void *arg)
{
	struct writer		*w = arg;
	struct writer_jobq	 g;
	struct writer_job	*j;
	size_t			 njobs, nev;

	TAILQ_INIT(&g);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (TAILQ_EMPTY(&w->todo) && !w->stop)
			pthread_cond_wait(&w->work, &w->lock);
		if (TAILQ_EMPTY(&w->todo))
			break;	/* stop, and nothing left to store */
		njobs = nev = 0;
		while ((j = TAILQ_FIRST(&w->todo)) != NULL &&
		    (njobs == 0 || nev + j->batch->n <= WRITER_GROUP_MAX)) {
			TAILQ_REMOVE(&w->todo, j, entry);
			TAILQ_INSERT_TAIL(&g, j, entry);
			njobs++;
			nev += j->batch->n;
		}
		w->busy = njobs;
		pthread_mutex_unlock(&w->lock);

		writer_group(w, &g, njobs);

		pthread_mutex_lock(&w->lock);
		while ((j = TAILQ_FIRST(&g)) != NULL) {
			TAILQ_REMOVE(&g, j, entry);
			TAILQ_INSERT_TAIL(&w->done, j, entry);
		}
		w->busy = 0;
		pthread_cond_broadcast(&w->idle);
		/* Unlocked, so the woken service thread does not wait for us. */
		pthread_mutex_unlock(&w->lock);
		w->wake(w->arg);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Start the writer thread. */
struct writer *
writer_start(struct store *st, void (*wake)(void *), void *arg, char **cause)
{
	struct writer	*w;
	sigset_t	 all, old;
	int		 error;

	w = xcalloc(1, sizeof *w);
	w->st = st;
	w->wake = wake;
	w->arg = arg;
	TAILQ_INIT(&w->todo);
	TAILQ_INIT(&w->done);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	/*
	 * Signals belong to the service thread: the thread inherits this
	 * mask, so a SIGHUP never interrupts a commit's system calls.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		*cause = xasprintf("writer thread: %s", strerror(error));
		pthread_cond_destroy(&w->idle);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	w->running = 1;
	return w;
}

/* Queue a job for the thread. */
void
writer_submit(struct writer *w, struct writer_job *j)
{
	pthread_mutex_lock(&w->lock);
	TAILQ_INSERT_TAIL(&w->todo, j, entry);
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
}

/* Collect the oldest finished job. */
struct writer_job *
writer_take(struct writer *w)
{
	struct writer_job	*j;

	pthread_mutex_lock(&w->lock);
	if ((j = TAILQ_FIRST(&w->done)) != NULL)
		TAILQ_REMOVE(&w->done, j, entry);
	pthread_mutex_unlock(&w->lock);
	return j;
}

/* Block until nothing is queued or being stored. */
void
writer_flush(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->running && (!TAILQ_EMPTY(&w->todo) || w->busy != 0))
		pthread_cond_wait(&w->idle, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

/* Let the thread finish its queue, then join it. */
void
writer_stop(struct writer *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = 0;
}

/* Free a stopped writer. */
void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	writer_stop(w);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
