/*
 * writer.h: gatewayd's store writer, a thread of its own that commits
 * ingest batches (store_insert_batches) so that the service thread can
 * parse the next request while the previous one is being committed.
 *
 * What crosses to the thread is a store_batch: the events flattened into
 * one block by the service thread, never their json-c trees. The trees
 * are hundreds of small allocations per event; walked from the other
 * core, every one of them was a cache miss, and an earlier writer that
 * took the trees spent 45 % more CPU per event than no writer at all.
 *
 * Jobs are committed and handed back strictly in the order they were
 * submitted, so seq order is submission order is completion order. The
 * writer takes every job queued since its last commit into one
 * transaction (group commit); when that fails it retries the jobs one
 * by one, so one bad batch fails only itself.
 *
 * The writer knows nothing of lws: it calls wake(arg) when a job is done
 * (gatewayd passes lws_cancel_service), and the service thread collects
 * finished jobs with writer_take.
 */
#ifndef GW_WRITER_H
#define GW_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

struct store;
struct store_batch;
struct writer;

/* One batch to store; the submitter owns it before and after. */
struct writer_job {
	TAILQ_ENTRY(writer_job)	  entry;
	uint64_t		  id;		/* for the submitter */
	struct store_batch	 *batch;	/* store_batch_new's */
	int			  stored;	/* events stored, -1 = failed */
	char			 *cause;	/* stored < 0: why (caller frees) */
	int64_t			  us;		/* time of the transaction */
	int			  shared;	/* us counted with an earlier job */
};

/* Start the thread. NULL with *cause if it cannot be started. */
struct writer *writer_start(struct store *st, void (*wake)(void *), void *arg,
    char **cause);
/* Queue j (n > 0) behind everything submitted before. */
void writer_submit(struct writer *w, struct writer_job *j);
/* The next finished job in submission order, or NULL. */
struct writer_job *writer_take(struct writer *w);
/* Wait until every submitted job is finished (not yet taken). */
void writer_flush(struct writer *w);
/* Finish every queued job and stop the thread (writer_take still works). */
void writer_stop(struct writer *w);
/* Free a stopped writer; jobs not taken are the caller's to free first. */
void writer_free(struct writer *w);

#endif
