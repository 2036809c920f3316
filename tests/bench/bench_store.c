/*
 * bench_store.c: how fast the gatewayd stores take batches of 100 events
 * and answer the read API's queries (make bench, or run it directly:
 * bench_store [EVENTS [BATCH]]).
 *
 * Only store_insert is timed: building the json-c objects is the cost
 * of parsing the request, which gatewayd pays before the store. The
 * baseline, measured in the same run on the same disk, is the floor that
 * SQLite itself sets: the same JSON texts inserted in batches of 100 into
 * a table with no index, under the same pragmas. The gateway's target is
 * 100,000 events/s end to end, so the store alone must do well above.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "avjson.h"
#include "event.h"
#include "log.h"
#include "store/store.h"
#include "timefmt.h"
#include "uuidstr.h"
#include "xmalloc.h"

#define BATCH_MAX	1000
#define NAGENTS		50
#define NQUERIES	200

static unsigned long	batch = 100;	/* events per store_insert */

/* A realistic event number i: mixed types, 50 agents, sessions, a project. */
static struct json_object *
bench_event(unsigned long i)
{
	struct json_object	*o, *md;
	char			 buf[64];
	int			 t = (int)(i % EVT__COUNT);

	o = json_object_new_object();
	json_object_object_add(o, "event_type",
	    json_object_new_string(evt_types[t].name));
	/* Time moves on, 10 events a millisecond. */
	json_object_object_add(o, "timestamp",
	    json_object_new_string(ts_format(buf, 1795000000000LL +
	    (int64_t)i / 10)));
	/* Random like hookcli's: the event_id index gets no easy ride. */
	json_object_object_add(o, "event_id",
	    json_object_new_string(uuidstr_v4(buf)));
	snprintf(buf, sizeof buf, "agent-%lu", i % NAGENTS);
	json_object_object_add(o, "agent_id", json_object_new_string(buf));
	json_object_object_add(o, "agent_name", json_object_new_string("coder"));
	json_object_object_add(o, "agent_role", json_object_new_string("worker"));
	json_object_object_add(o, "operation",
	    json_object_new_string(evt_types[t].operation));
	json_object_object_add(o, "status",
	    json_object_new_string(evt_types[t].status));
	md = json_object_new_object();
	snprintf(buf, sizeof buf, "session-%lu", i % (NAGENTS * 4));
	json_object_object_add(md, "session_id", json_object_new_string(buf));
	json_object_object_add(md, "project", json_object_new_string("agentvis"));
	json_object_object_add(md, "task_id", json_object_new_string("T-1234"));
	if (t == EVT_BUDGET_UPDATED) {
		json_object_object_add(md, "budget_remaining",
		    json_object_new_int(90));
		json_object_object_add(md, "budget_total",
		    json_object_new_int(100));
		json_object_object_add(md, "budget_delta",
		    json_object_new_int(-10));
	}
	json_object_object_add(o, "metadata", md);
	return o;
}

static int bench_cmp(const void *, const void *);

/* CPU time of this process in microseconds. */
static int64_t
bench_cpu_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Insert n events in batches; returns seconds spent in store_insert and
 * the CPU seconds of it in *cpu (the machine is shared: wall time includes
 * other people's work, CPU time does not include waiting for the disk).
 */
static double
bench_insert(struct store *st, unsigned long n, double *cpu, int64_t *lat)
{
	struct json_object	*evs[BATCH_MAX];
	int64_t			 seqs[BATCH_MAX], t0, c0, us = 0, cus = 0, d;
	unsigned long		 i, j, k = 0;
	char			*cause = NULL;

	for (i = 0; i < n; i += batch) {
		for (j = 0; j < batch; j++)
			evs[j] = bench_event(i + j);
		t0 = ts_mono_us();
		c0 = bench_cpu_us();
		if (store_insert(st, evs, batch, seqs, &cause) != (int)batch)
			fatalx("store_insert: %s", cause != NULL ? cause :
			    "duplicates?");
		cus += bench_cpu_us() - c0;
		d = ts_mono_us() - t0;
		us += d;
		lat[k++] = d;
		for (j = 0; j < batch; j++)
			json_object_put(evs[j]);
	}
	*cpu = (double)cus / 1e6;
	return (double)us / 1e6;
}

/* The baseline: the same texts into an unindexed table, same pragmas. */
static double
bench_baseline(const char *path, unsigned long n)
{
	struct json_object	*evs[BATCH_MAX];
	sqlite3			*db;
	sqlite3_stmt		*ins;
	const char		*json;
	size_t			 len;
	int64_t			 t0, us = 0;
	unsigned long		 i, j;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
	    " PRAGMA synchronous = NORMAL;"
	    " CREATE TABLE t (seq INTEGER PRIMARY KEY, json TEXT NOT NULL)",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2)", -1, &ins,
	    NULL) != SQLITE_OK)
		fatalx("baseline: %s", sqlite3_errmsg(db));
	for (i = 0; i < n; i += batch) {
		for (j = 0; j < batch; j++) {
			evs[j] = bench_event(i + j);
			avjson_str(evs[j], NULL);	/* untimed, like parsing */
		}
		t0 = ts_mono_us();
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (j = 0; j < batch; j++) {
			json = avjson_str(evs[j], &len);
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)(i + j + 1));
			sqlite3_bind_text(ins, 2, json, (int)len, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				fatalx("baseline: %s", sqlite3_errmsg(db));
			sqlite3_reset(ins);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			fatalx("baseline: %s", sqlite3_errmsg(db));
		us += ts_mono_us() - t0;
		for (j = 0; j < batch; j++)
			json_object_put(evs[j]);
	}
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return (double)us / 1e6;
}

/* store_row_cb that only counts. */
static int
bench_count(void *arg, int64_t seq, const char *json, size_t len)
{
	(*(int *)arg)++;
	return 0;
}

/* qsort of int64_t. */
static int
bench_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Time NQUERIES runs of q (since moving over the table); print mean and p99. */
static void
bench_query(struct store *st, const char *what, struct store_query q)
{
	int64_t		 us[NQUERIES], t0, sum = 0, last = store_last_seq(st);
	char		*cause = NULL;
	int		 i, rows = 0;

	for (i = 0; i < NQUERIES; i++) {
		if (q.since >= 0)
			q.since = (last - 2000) * i / NQUERIES;
		t0 = ts_mono_us();
		if (store_query(st, &q, bench_count, &rows, &cause) != 0)
			fatalx("query: %s", cause);
		us[i] = ts_mono_us() - t0;
		sum += us[i];
	}
	qsort(us, NQUERIES, sizeof us[0], bench_cmp);
	printf("  query %-34s %7.0f us mean, %7lld us p99, %5d rows/query\n",
	    what, (double)sum / NQUERIES, (long long)us[NQUERIES * 99 / 100],
	    rows / NQUERIES);
}

/* Queries of the read API and of a since replay. */
static void
bench_queries(struct store *st)
{
	struct store_query	q = { -1, NULL, NULL, NULL, NULL, 0, 1000 };

	bench_query(st, "since=S limit=1000 (replay)", q);
	q.limit = 100;
	q.agent_id = "agent-7";
	bench_query(st, "agent_id=X since=S limit=100", q);
	q.agent_id = NULL;
	q.type = EVT_TASK_FAILED;
	bench_query(st, "event_type=T since=S limit=100", q);
	q.type = -1;
	q.session_id = "session-42";
	bench_query(st, "session_id=X since=S limit=100", q);
}

/* Open spec, insert n, print the rate; returns events/s. */
static double
bench_store(const char *spec, unsigned long n, int queries)
{
	struct store_opts	 opts = { 0, 0, 1000 };
	struct store		*st;
	char			*cause = NULL;
	double			 s, cpu, rate;
	int64_t			*lat;
	size_t			 nb = n / batch;

	if ((st = store_open(spec, &opts, &cause)) == NULL)
		fatalx("%s", cause);
	lat = xcalloc(nb, sizeof *lat);
	s = bench_insert(st, n, &cpu, lat);
	rate = (double)n / s;
	qsort(lat, nb, sizeof *lat, bench_cmp);
	printf("store %-7s insert %lu events, batches of %d: %.3f s, "
	    "%.0f events/s (%.0f events/CPU-s)\n"
	    "  store_insert latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	    store_kind(st), n, (int)batch, s, rate, (double)n / cpu,
	    (double)lat[nb / 2] / 1000, (double)lat[nb * 99 / 100] / 1000,
	    (double)lat[nb - 1] / 1000);
	free(lat);
	if (queries)
		bench_queries(st);
	store_close(st);
	return rate;
}

int
main(int argc, char **argv)
{
	char		 dir[] = "/tmp/bench_store.XXXXXX", *spec, *base, *cmd;
	unsigned long	 n = 100000;
	double		 sqlite_rate, mem_rate, base_rate, s;

	log_init("bench_store", LOG_TO_STDERR, 0);
	if (argc > 2 && (batch = strtoul(argv[2], NULL, 10)) < 1)
		batch = 1;
	if (batch > BATCH_MAX)
		batch = BATCH_MAX;
	if (argc > 1 && (n = strtoul(argv[1], NULL, 10)) < batch)
		n = batch;
	n -= n % batch;
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	spec = xasprintf("sqlite:%s/events.db", dir);
	base = xasprintf("%s/baseline.db", dir);

	s = bench_baseline(base, n);
	base_rate = (double)n / s;
	printf("baseline sqlite, no index, same texts: %.3f s, %.0f events/s\n",
	    s, base_rate);
	sqlite_rate = bench_store(spec, n, 1);
	mem_rate = bench_store("memory", n, 1);
	printf("sqlite store / baseline: %.2f;  memory store / baseline: %.2f;"
	    "  target end to end: 100000 events/s\n", sqlite_rate / base_rate,
	    mem_rate / base_rate);

	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		log_warnx("could not remove %s", dir);
	free(cmd);
	free(spec);
	free(base);
	return 0;
}
