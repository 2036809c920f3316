/*
 * test_gatewayd_writer.c: the store writer thread on a real SQLite store.
 * Jobs come back in submission order with ascending seqs; when a group
 * commit fails because of one batch, only that batch fails and the
 * others of its group are stored; writer_flush and writer_stop finish
 * everything queued.
 *
 * To make a group certain, jobs are submitted while the test holds the
 * store (inside a store_query callback, which runs under the store's
 * lock): the writer cannot commit until the callback returns, so every
 * job after its first pick waits in one queue.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avjson.h"
#include "store/store.h"
#include "writer.h"
#include "xmalloc.h"

#define NJOBS	6
#define NEV	10

/* A valid event (the writer stores what ingest validated). */
static struct json_object *
mkev(int n)
{
	char	buf[512];

	snprintf(buf, sizeof buf, "{\"event_type\":\"agent_spawned\","
	    "\"timestamp\":\"2026-11-26T16:35:09.123Z\","
	    "\"event_id\":\"00000000-0000-4000-8000-%012d\","
	    "\"agent_id\":\"agent-%d\",\"agent_name\":\"coder\","
	    "\"agent_role\":\"worker\",\"operation\":\"write_file\","
	    "\"status\":\"success\",\"metadata\":{\"session_id\":\"s1\"}}",
	    n, n % 3);
	return avjson_parse(buf, strlen(buf), NULL);
}

/* A job and the events its batch was made of. */
struct tjob {
	struct writer_job	 wj;		/* first: writer_take's pointer */
	struct json_object	*evs[NEV];
};

/*
 * A job of NEV events from first. bad: its last record loses its
 * event_id after flattening, so that batch fails inside the transaction
 * (NOT NULL), as no batch store_batch_new made can.
 */
static struct writer_job *
mkjob(int first, int bad)
{
	struct tjob	*t;
	char		*cause = NULL;
	int		 i;

	t = xcalloc(1, sizeof *t);
	for (i = 0; i < NEV; i++)
		t->evs[i] = mkev(first + i);
	t->wj.batch = store_batch_new(t->evs, NEV, &cause);
	ck_assert_msg(t->wj.batch != NULL, "store_batch_new: %s", cause);
	if (bad)
		t->wj.batch->recs[NEV - 1].ev.event_id = NULL;
	return &t->wj;
}

/* The events of a job. */
static struct json_object **
jobevs(struct writer_job *j)
{
	return ((struct tjob *)j)->evs;
}

/* Free a job and its events. */
static void
freejob(struct writer_job *j)
{
	size_t	i;

	for (i = 0; i < NEV; i++)
		json_object_put(jobevs(j)[i]);
	store_batch_free(j->batch);
	free(j->cause);
	free(j);
}

/* The wake callback: count calls (any thread; only read after stop). */
static void
wake(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

/* What the query callback needs to submit the jobs under the store lock. */
struct hold {
	struct writer		*w;
	struct writer_job	*jobs[NJOBS];
	int			 done;
};

/* Runs under the store's lock: queue every job, once. */
static int
hold_submit(void *arg, int64_t seq, const char *json, size_t len)
{
	struct hold	*h = arg;
	int		 i;

	(void)seq;
	(void)json;
	(void)len;
	if (h->done++ == 0)
		for (i = 0; i < NJOBS; i++)
			writer_submit(h->w, h->jobs[i]);
	return 1;
}

/* Open a fresh SQLite store under a temp dir. */
static struct store *
open_store(char *dir, size_t len)
{
	struct store_opts	 o;
	struct store		*st;
	char			 spec[512], *cause = NULL;

	snprintf(dir, len, "%s/writer.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(spec, sizeof spec, "sqlite:%s/events.db", dir);
	memset(&o, 0, sizeof o);
	st = store_open(spec, &o, &cause);
	ck_assert_msg(st != NULL, "store_open: %s", cause);
	return st;
}

/* Remove the temp dir of open_store. */
static void
rm_store(const char *dir)
{
	char	cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_group_with_a_bad_batch)
{
	struct store		*st;
	struct writer		*w;
	struct writer_job	*j, *prior;
	struct store_query	 q;
	struct hold		 h;
	char			 dir[400], *cause = NULL;
	int64_t			 next, total, seqs[1];
	int64_t			 counts[EVT__COUNT];
	int			 i, k, wakes = 0;

	st = open_store(dir, sizeof dir);
	/* One stored event, so the holding query has a row to call back on. */
	prior = mkjob(1000, 0);
	ck_assert_int_eq(store_insert(st, jobevs(prior), 1, seqs, &cause), 1);

	w = writer_start(st, wake, &wakes, &cause);
	ck_assert_msg(w != NULL, "writer_start: %s", cause);
	memset(&h, 0, sizeof h);
	h.w = w;
	for (i = 0; i < NJOBS; i++) {
		h.jobs[i] = mkjob(i * NEV + 1, i == 3);
		h.jobs[i]->id = (uint64_t)i + 1;
	}
	memset(&q, 0, sizeof q);
	q.type = -1;
	q.limit = 1;
	ck_assert_int_eq(store_query(st, &q, hold_submit, &h, &cause), 0);
	ck_assert_int_eq(h.done, 1);

	writer_flush(w);
	next = 2;	/* after the prior event */
	for (i = 0; i < NJOBS; i++) {
		j = writer_take(w);
		ck_assert_ptr_nonnull(j);
		ck_assert_uint_eq(j->id, (uint64_t)i + 1);
		/* Retried one by one: each job had its own transaction. */
		ck_assert_int_eq(j->shared, 0);
		if (i == 3) {
			/* The bad batch alone fails, and changed nothing. */
			ck_assert_int_lt(j->stored, 0);
			ck_assert_ptr_nonnull(j->cause);
			ck_assert_ptr_nonnull(strstr(j->cause, "NOT NULL"));
			for (k = 0; k < NEV; k++)
				ck_assert_int_eq(j->batch->seqs[k], 0);
		} else {
			ck_assert_int_eq(j->stored, NEV);
			for (k = 0; k < NEV; k++)
				ck_assert_int_eq(j->batch->seqs[k], next++);
		}
		freejob(j);
	}
	ck_assert_ptr_null(writer_take(w));
	writer_stop(w);
	writer_free(w);
	ck_assert_int_ge(wakes, 1);

	ck_assert_int_eq(store_counts(st, counts, &total, &cause), 0);
	ck_assert_int_eq(total, 1 + (NJOBS - 1) * NEV);
	ck_assert_int_eq(store_last_seq(st), 1 + (NJOBS - 1) * NEV);
	freejob(prior);
	store_close(st);
	rm_store(dir);
}
END_TEST

START_TEST(test_duplicates_across_a_group)
{
	struct store		*st;
	struct writer		*w;
	struct writer_job	*j, *prior;
	struct store_query	 q;
	struct hold		 h;
	char			 dir[400], *cause = NULL;
	int64_t			 seqs[1];
	int			 i, k, wakes = 0;

	st = open_store(dir, sizeof dir);
	prior = mkjob(1000, 0);
	ck_assert_int_eq(store_insert(st, jobevs(prior), 1, seqs, &cause), 1);
	w = writer_start(st, wake, &wakes, &cause);
	ck_assert_msg(w != NULL, "writer_start: %s", cause);
	memset(&h, 0, sizeof h);
	h.w = w;
	/* Every job carries the same events: the first stores them. */
	for (i = 0; i < NJOBS; i++)
		h.jobs[i] = mkjob(1, 0);
	memset(&q, 0, sizeof q);
	q.type = -1;
	q.limit = 1;
	ck_assert_int_eq(store_query(st, &q, hold_submit, &h, &cause), 0);
	/* writer_stop finishes the queue before the thread ends. */
	writer_stop(w);
	for (i = 0; i < NJOBS; i++) {
		j = writer_take(w);
		ck_assert_ptr_nonnull(j);
		ck_assert_int_eq(j->stored, i == 0 ? NEV : 0);
		/*
		 * One transaction is timed once: job 0 (picked alone or
		 * first) and at most the first of the rest are not shared.
		 */
		if (i == 0 || i >= 2)
			ck_assert_int_eq(j->shared, i >= 2);
		for (k = 0; k < NEV; k++)
			ck_assert_int_eq(j->batch->seqs[k], i == 0 ? 2 + k : 0);
		freejob(j);
	}
	ck_assert_ptr_null(writer_take(w));
	writer_free(w);
	ck_assert_int_eq(store_last_seq(st), 1 + NEV);
	freejob(prior);
	store_close(st);
	rm_store(dir);
}
END_TEST

/* The suite. */
static Suite *
writer_suite(void)
{
	Suite	*s = suite_create("writer");
	TCase	*tc = tcase_create("writer");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_group_with_a_bad_batch);
	tcase_add_test(tc, test_duplicates_across_a_group);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(writer_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
