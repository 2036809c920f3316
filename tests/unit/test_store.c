/*
 * test_store.c: the gatewayd stores. Every behaviour test runs over each
 * back end ("sqlite:" on a fresh file in a mktemp directory, "memory"):
 * what a batch stores, duplicates, seq, queries, counts, agents and
 * retention must look the same whichever store gatewayd was given. Then
 * the things only one back end has: SQLite across restarts and failures,
 * the memory store's FIFO per type.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sqlite3.h>
#ifdef HAVE_PQ
#include <libpq-fe.h>
#endif

#include "avjson.h"
#include "event.h"
#include "store/store.h"
#include "xmalloc.h"

/* Back ends: 0 sqlite, 1 memory, 2 postgres (store_pg.sh). */
static const char *const kinds[] = { "sqlite", "memory", "postgres" };
static int	 first_backend = 0, end_backend = 2;

static char	 tmpdir[] = "/tmp/test_store.XXXXXX";
static char	*dbpath;
static int	 backend;	/* index in kinds[] */
static char	 spec[4096];
static int64_t	 fake_now;	/* ms, for store_set_clock */
static unsigned	 idseq;		/* makes event ids */

/* The test's clock. */
static int64_t
test_clock(void)
{
	return fake_now;
}

/* Drop the PostgreSQL tables: each test starts empty. */
static void
pg_drop(void)
{
#ifdef HAVE_PQ
	PGconn		*c;
	PGresult	*r;

	c = PQconnectdb(getenv("AV_TEST_PG"));
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	r = PQexec(c, "DROP TABLE IF EXISTS agentvis_events, agentvis_agents,"
	    " agentvis_counts, agentvis_meta");
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s",
	    PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
#endif
}

/* Fresh temp dir and spec for backend i. */
static void
setup_backend(int i)
{
	backend = i;
	ck_assert_ptr_nonnull(mkdtemp(strcpy(tmpdir, "/tmp/test_store.XXXXXX")));
	free(dbpath);
	dbpath = xasprintf("%s/events.db", tmpdir);
	if (i == 0)
		snprintf(spec, sizeof spec, "sqlite:%s", dbpath);
	else if (i == 1)
		snprintf(spec, sizeof spec, "memory");
	else {
		snprintf(spec, sizeof spec, "%s", getenv("AV_TEST_PG"));
		pg_drop();
	}
	fake_now = 1795000000000LL;	/* 2026-11-18 */
}

/* Remove the temp dir. */
static void
teardown_backend(void)
{
	char	*cmd;

	cmd = xasprintf("rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* Open the backend of this run with opts (NULL = defaults). */
static struct store *
open_store(const struct store_opts *opts)
{
	struct store_opts	 def = { 0, 0, 1000 };
	struct store		*st;
	char			*cause = NULL;

	st = store_open(spec, opts != NULL ? opts : &def, &cause);
	ck_assert_msg(st != NULL, "store_open %s: %s", spec, cause);
	store_set_clock(st, test_clock);
	return st;
}

/* A valid event of type t by agent, with event id number id (0 = new). */
static struct json_object *
mkev(int t, const char *agent, unsigned id)
{
	struct json_object	*o, *md;
	char			 uuid[64];

	if (id == 0)
		id = ++idseq + 100000;
	snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012x", id);
	o = json_object_new_object();
	json_object_object_add(o, "event_type",
	    json_object_new_string(evt_types[t].name));
	json_object_object_add(o, "timestamp",
	    json_object_new_string("2026-11-26T16:35:09.123Z"));
	json_object_object_add(o, "event_id", json_object_new_string(uuid));
	json_object_object_add(o, "agent_id", json_object_new_string(agent));
	json_object_object_add(o, "agent_name", json_object_new_string("coder"));
	json_object_object_add(o, "agent_role", json_object_new_string("worker"));
	json_object_object_add(o, "operation",
	    json_object_new_string(evt_types[t].operation));
	json_object_object_add(o, "status",
	    json_object_new_string(evt_types[t].status));
	md = json_object_new_object();
	json_object_object_add(o, "metadata", md);
	return o;
}

/* Set metadata.key = s on ev; returns ev. */
static struct json_object *
setmd(struct json_object *ev, const char *key, const char *s)
{
	struct json_object	*md;

	ck_assert(json_object_object_get_ex(ev, "metadata", &md));
	json_object_object_add(md, key, json_object_new_string(s));
	return ev;
}

/* budget_updated event with integer numbers. */
static struct json_object *
mkbudget(const char *agent, int remaining, int total)
{
	struct json_object	*ev, *md;

	ev = mkev(EVT_BUDGET_UPDATED, agent, 0);
	ck_assert(json_object_object_get_ex(ev, "metadata", &md));
	json_object_object_add(md, "budget_remaining",
	    json_object_new_int(remaining));
	json_object_object_add(md, "budget_total", json_object_new_int(total));
	json_object_object_add(md, "budget_delta", json_object_new_int(-10));
	return ev;
}

/* Free n events. */
static void
putall(struct json_object **evs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		json_object_put(evs[i]);
}

/* Insert n events, expect want stored; fills seqs; frees the events. */
static void
insert_ok(struct store *st, struct json_object **evs, size_t n, int want,
    int64_t *seqs)
{
	int64_t	 local[128];
	char	*cause = NULL;
	int	 rc;

	if (seqs == NULL) {
		ck_assert_uint_le(n, 128);
		seqs = local;
	}
	rc = store_insert(st, evs, n, seqs, &cause);
	ck_assert_msg(rc == want, "store_insert: %d, want %d (%s)", rc, want,
	    cause != NULL ? cause : "");
	putall(evs, n);
}

/* What a query returned. */
struct rows {
	int64_t	 seq[STORE_QUERY_MAX + 1];
	char	*json[STORE_QUERY_MAX + 1];
	int	 n;
	int	 stop_after;	/* non-zero: stop early */
};

/* store_row_cb collecting rows. */
static int
collect(void *arg, int64_t seq, const char *json, size_t len)
{
	struct rows	*r = arg;

	ck_assert_int_le(r->n, STORE_QUERY_MAX);
	ck_assert_uint_eq(strlen(json), len);
	r->seq[r->n] = seq;
	r->json[r->n] = xstrndup(json, len);
	r->n++;
	return r->stop_after != 0 && r->n >= r->stop_after;
}

/* Free collected rows. */
static void
rows_free(struct rows *r)
{
	int	i;

	for (i = 0; i < r->n; i++)
		free(r->json[i]);
	free(r);
}

/* Run q; returns rows (free with rows_free). */
static struct rows *
query(struct store *st, const struct store_query *q)
{
	struct rows	*r;
	char		*cause = NULL;

	r = xcalloc(1, sizeof *r);
	ck_assert_msg(store_query(st, q, collect, r, &cause) == 0, "query: %s",
	    cause);
	return r;
}

/* Query everything after since. */
static struct rows *
query_all(struct store *st, int64_t since)
{
	struct store_query	q = { -1, NULL, NULL, NULL, NULL, since, 1000 };

	return query(st, &q);
}

/* Total stored per store_counts. */
static int64_t
total(struct store *st)
{
	int64_t	 counts[EVT__COUNT], t;
	char	*cause = NULL;

	ck_assert(store_counts(st, counts, &t, &cause) == 0);
	return t;
}

/* The object of agent id in store_agents' answer, or NULL. */
static struct json_object *
agent_of(struct json_object *arr, const char *id)
{
	struct json_object	*a, *v;
	size_t			 i;

	for (i = 0; i < json_object_array_length(arr); i++) {
		a = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(a, "agent_id", &v) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return a;
	}
	return NULL;
}

/* Member key of o as text ("null" when null). */
static const char *
member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v == NULL ? "null" : json_object_get_string(v);
}

START_TEST(test_insert_stamps_and_stores_broadcast_form)
{
	struct store		*st;
	struct json_object	*evs[3], *msg;
	struct rows		*r;
	int64_t			 seqs[3];
	char			*cause = NULL, *want[3];
	const char		*text;
	size_t			 len;
	int			 i;

	setup_backend(_i);
	st = open_store(NULL);
	ck_assert_str_eq(store_kind(st), kinds[_i]);
	ck_assert_int_eq(store_last_seq(st), 0);
	evs[0] = mkev(EVT_AGENT_SPAWNED, "a1", 0);
	evs[1] = mkev(EVT_TASK_STARTED, "a1", 0);
	evs[2] = mkev(EVT_TASK_FAILED, "a2", 0);
	/* The stored form: the event as sent, then seq and received_at. */
	for (i = 0; i < 3; i++) {
		text = avjson_str(evs[i], &len);
		want[i] = xasprintf("%.*s,\"seq\":%d,\"received_at\":"
		    "\"2026-11-18T11:06:40.000Z\"}", (int)len - 1, text, i + 1);
	}
	ck_assert_int_eq(store_insert(st, evs, 3, seqs, &cause), 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(seqs[i], i + 1);
		ck_assert_int_eq(atoll(member(evs[i], "seq")), i + 1);
		/* 2026-11-18 from the test clock, RFC 3339 ms UTC. */
		ck_assert_str_eq(member(evs[i], "received_at"),
		    "2026-11-18T11:06:40.000Z");
		ck_assert_str_eq(avjson_str(evs[i], NULL), want[i]);
	}
	/* Nested in gatewayd's message, the same bytes. */
	msg = json_object_new_object();
	json_object_object_add(msg, "type",
	    json_object_new_string("agent_event"));
	json_object_object_add(msg, "event", json_object_get(evs[1]));
	text = avjson_str(msg, NULL);
	ck_assert_ptr_nonnull(strstr(text, want[1]));
	json_object_put(msg);
	putall(evs, 3);
	ck_assert_int_eq(store_last_seq(st), 3);

	r = query_all(st, 0);
	ck_assert_int_eq(r->n, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(r->seq[i], i + 1);
		/* Byte for byte what gatewayd broadcasts. */
		ck_assert_str_eq(r->json[i], want[i]);
		free(want[i]);
	}
	rows_free(r);
	ck_assert_int_eq(store_insert(st, evs, 0, seqs, &cause), 0);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_dedup_within_and_across_batches)
{
	struct store		*st;
	struct json_object	*evs[4];
	struct rows		*r;
	int64_t			 seqs[4];
	char			*cause = NULL;

	setup_backend(_i);
	st = open_store(NULL);
	evs[0] = mkev(EVT_AGENT_SPAWNED, "a", 1);
	evs[1] = mkev(EVT_AGENT_ACTIVATED, "a", 2);
	evs[2] = mkev(EVT_AGENT_SPAWNED, "a", 1);	/* repeat in batch */
	ck_assert_int_eq(store_insert(st, evs, 3, seqs, &cause), 2);
	ck_assert_int_eq(seqs[0], 1);
	ck_assert_int_eq(seqs[1], 2);
	ck_assert_int_eq(seqs[2], 0);
	/* A duplicate is not stamped: it is neither stored nor broadcast. */
	ck_assert(!json_object_object_get_ex(evs[2], "seq", NULL));
	ck_assert(!json_object_object_get_ex(evs[2], "received_at", NULL));
	ck_assert_ptr_null(strstr(avjson_str(evs[2], NULL), "received_at"));
	putall(evs, 3);

	/* The same batch again (collectord retried): nothing new. */
	evs[0] = mkev(EVT_AGENT_SPAWNED, "a", 1);
	evs[1] = mkev(EVT_AGENT_ACTIVATED, "a", 2);
	insert_ok(st, evs, 2, 0, seqs);
	ck_assert_int_eq(seqs[0], 0);
	ck_assert_int_eq(seqs[1], 0);

	/* Half old, half new: the new one takes the next seq, no gap. */
	evs[0] = mkev(EVT_AGENT_ACTIVATED, "a", 2);
	evs[1] = mkev(EVT_TASK_STARTED, "a", 3);
	insert_ok(st, evs, 2, 1, seqs);
	ck_assert_int_eq(seqs[0], 0);
	ck_assert_int_eq(seqs[1], 3);
	ck_assert_int_eq(store_last_seq(st), 3);
	ck_assert_int_eq(total(st), 3);
	r = query_all(st, 0);
	ck_assert_int_eq(r->n, 3);
	rows_free(r);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_seq_monotonic)
{
	struct store		*st;
	struct json_object	*evs[50];
	struct rows		*r;
	int64_t			 seqs[50], last = 0;
	int			 b, i;

	setup_backend(_i);
	st = open_store(NULL);
	for (b = 0; b < 20; b++) {
		for (i = 0; i < 50; i++)
			evs[i] = mkev(i % EVT__COUNT, "a", 0);
		insert_ok(st, evs, 50, 50, seqs);
		for (i = 0; i < 50; i++) {
			ck_assert_int_eq(seqs[i], last + 1);
			last = seqs[i];
		}
	}
	ck_assert_int_eq(store_last_seq(st), 1000);
	r = query_all(st, 990);
	ck_assert_int_eq(r->n, 10);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(r->seq[i], 991 + i);
	rows_free(r);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_query_filters)
{
	struct store		*st;
	struct json_object	*evs[8];
	struct store_query	 q;
	struct rows		*r;
	int			 i;

	setup_backend(_i);
	st = open_store(NULL);
	/* seq: 1..8 */
	evs[0] = setmd(mkev(EVT_AGENT_SPAWNED, "a1", 0), "session_id", "s1");
	evs[1] = setmd(mkev(EVT_TASK_STARTED, "a2", 0), "session_id", "s2");
	evs[2] = setmd(setmd(mkev(EVT_TASK_STARTED, "a1", 0), "session_id",
	    "s1"), "user_id", "alice");
	evs[3] = setmd(mkev(EVT_TASK_FAILED, "a1", 0), "project", "p1");
	evs[4] = setmd(setmd(mkev(EVT_TASK_STARTED, "a1", 0), "project",
	    "p1"), "user_id", "bob");
	evs[5] = mkev(EVT_OPERATION_DENIED, "a3", 0);
	evs[6] = setmd(mkev(EVT_TASK_STARTED, "a2", 0), "project", "p2");
	evs[7] = setmd(mkev(EVT_TASK_COMPLETED, "a1", 0), "user_id", "alice");
	insert_ok(st, evs, 8, 8, NULL);

#define Q(t, ag, se, us, pr, si, li) do {				\
	q = (struct store_query){ t, ag, se, us, pr, si, li };		\
	r = query(st, &q);						\
} while (0)
#define SEQS(...) do {							\
	int64_t want[] = { -1, ##__VA_ARGS__ };				\
	ck_assert_int_eq(r->n, (int)(sizeof want / sizeof want[0]) - 1); \
	for (i = 0; i < r->n; i++)					\
		ck_assert_int_eq(r->seq[i], want[i + 1]);		\
	rows_free(r);							\
} while (0)

	Q(EVT_TASK_STARTED, NULL, NULL, NULL, NULL, 0, 100);
	SEQS(2, 3, 5, 7);
	Q(-1, "a1", NULL, NULL, NULL, 0, 100);
	SEQS(1, 3, 4, 5, 8);
	Q(-1, NULL, "s1", NULL, NULL, 0, 100);
	SEQS(1, 3);
	Q(-1, NULL, NULL, "alice", NULL, 0, 100);
	SEQS(3, 8);
	Q(-1, NULL, NULL, NULL, "p1", 0, 100);
	SEQS(4, 5);
	Q(EVT_TASK_STARTED, "a1", NULL, NULL, NULL, 0, 100);
	SEQS(3, 5);
	Q(EVT_TASK_STARTED, "a1", "s1", "alice", NULL, 0, 100);
	SEQS(3);
	Q(EVT_TASK_STARTED, NULL, NULL, NULL, NULL, 3, 100);	/* since */
	SEQS(5, 7);
	Q(-1, NULL, NULL, NULL, NULL, 2, 3);			/* limit */
	SEQS(3, 4, 5);
	Q(-1, NULL, NULL, NULL, NULL, 8, 100);			/* nothing after */
	SEQS();
	Q(-1, "nobody", NULL, NULL, NULL, 0, 100);
	SEQS();
	Q(EVT_BUDGET_UPDATED, NULL, NULL, NULL, NULL, 0, 100);
	SEQS();
	Q(-1, NULL, NULL, NULL, NULL, 0, 0);	/* limit clamped to 1 */
	SEQS(1);
	Q(-1, NULL, NULL, NULL, NULL, -5, 100000); /* clamped to 0, 1000 */
	SEQS(1, 2, 3, 4, 5, 6, 7, 8);

	/* The callback stops early. */
	r = xcalloc(1, sizeof *r);
	r->stop_after = 2;
	q = (struct store_query){ -1, NULL, NULL, NULL, NULL, 0, 100 };
	ck_assert_int_eq(store_query(st, &q, collect, r, NULL), 0);
	SEQS(1, 2);
#undef Q
#undef SEQS
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_query_limit_max)
{
	struct store		*st;
	struct json_object	*evs[100];
	struct rows		*r;
	int			 b, i;

	setup_backend(_i);
	st = open_store(NULL);
	for (b = 0; b < 12; b++) {
		for (i = 0; i < 100; i++)
			evs[i] = mkev((b + i) % EVT__COUNT, "a", 0);
		insert_ok(st, evs, 100, 100, NULL);
	}
	r = query_all(st, 0);
	ck_assert_int_eq(r->n, STORE_QUERY_MAX);
	/* Ascending across types (the memory store merges its FIFOs). */
	for (i = 0; i < r->n; i++)
		ck_assert_int_eq(r->seq[i], i + 1);
	rows_free(r);
	r = query_all(st, 1000);
	ck_assert_int_eq(r->n, 200);
	ck_assert_int_eq(r->seq[0], 1001);
	rows_free(r);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_counts)
{
	struct store		*st;
	struct json_object	*evs[6];
	int64_t			 counts[EVT__COUNT], t;
	char			*cause = NULL;

	setup_backend(_i);
	st = open_store(NULL);
	ck_assert(store_counts(st, counts, &t, &cause) == 0);
	ck_assert_int_eq(t, 0);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	evs[1] = mkev(EVT_TASK_STARTED, "a", 0);
	evs[2] = mkev(EVT_TASK_FAILED, "a", 0);
	evs[3] = mkev(EVT_AGENT_SPAWNED, "a", 7);
	evs[4] = mkev(EVT_AGENT_SPAWNED, "a", 7);	/* duplicate */
	evs[5] = mkbudget("a", 5, 10);
	insert_ok(st, evs, 6, 5, NULL);
	ck_assert(store_counts(st, counts, &t, &cause) == 0);
	ck_assert_int_eq(t, 5);
	ck_assert_int_eq(counts[EVT_TASK_STARTED], 2);
	ck_assert_int_eq(counts[EVT_TASK_FAILED], 1);
	ck_assert_int_eq(counts[EVT_AGENT_SPAWNED], 1);
	ck_assert_int_eq(counts[EVT_BUDGET_UPDATED], 1);
	ck_assert_int_eq(counts[EVT_TASK_COMPLETED], 0);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_agents)
{
	struct store		*st;
	struct json_object	*evs[4], *arr, *a;
	struct json_object	*md;
	char			*cause = NULL;

	setup_backend(_i);
	st = open_store(NULL);
	arr = store_agents(st, NULL, &cause);
	ck_assert_ptr_nonnull(arr);
	ck_assert_int_eq(json_object_array_length(arr), 0);
	json_object_put(arr);

	evs[0] = mkev(EVT_AGENT_SPAWNED, "coder-1", 0);
	evs[1] = mkev(EVT_AGENT_SPAWNED, "tester-1", 0);
	insert_ok(st, evs, 2, 2, NULL);
	arr = store_agents(st, NULL, &cause);
	ck_assert_int_eq(json_object_array_length(arr), 2);
	a = agent_of(arr, "coder-1");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(member(a, "agent_name"), "coder");
	ck_assert_str_eq(member(a, "agent_role"), "worker");
	ck_assert_str_eq(member(a, "last_event_type"), "agent_spawned");
	ck_assert_str_eq(member(a, "last_seen"), "2026-11-26T16:35:09.123Z");
	ck_assert_str_eq(member(a, "last_seq"), "1");
	ck_assert_str_eq(member(a, "events"), "1");
	/* null until a budget_updated */
	ck_assert_str_eq(member(a, "budget_remaining"), "null");
	ck_assert_str_eq(member(a, "budget_total"), "null");
	json_object_put(arr);

	evs[0] = mkbudget("coder-1", 90, 100);
	evs[1] = mkev(EVT_TASK_FAILED, "coder-1", 0);
	json_object_object_add(evs[1], "agent_name",
	    json_object_new_string("coder2"));
	insert_ok(st, evs, 2, 2, NULL);
	arr = store_agents(st, NULL, &cause);
	a = agent_of(arr, "coder-1");
	ck_assert_str_eq(member(a, "agent_name"), "coder2");
	ck_assert_str_eq(member(a, "last_event_type"), "task_failed");
	ck_assert_str_eq(member(a, "last_status"), "failure");
	ck_assert_str_eq(member(a, "last_seq"), "4");
	ck_assert_str_eq(member(a, "events"), "3");
	/* The budget survives a later event of another type; ints stay ints. */
	ck_assert_str_eq(member(a, "budget_remaining"), "90");
	ck_assert_str_eq(member(a, "budget_total"), "100");
	json_object_put(arr);

	/* Doubles stay doubles. */
	evs[0] = mkbudget("coder-1", 0, 0);
	ck_assert(json_object_object_get_ex(evs[0], "metadata", &md));
	json_object_object_add(md, "budget_remaining",
	    json_object_new_double(12.5));
	insert_ok(st, evs, 1, 1, NULL);
	arr = store_agents(st, NULL, &cause);
	a = agent_of(arr, "coder-1");
	ck_assert_str_eq(member(a, "budget_remaining"), "12.5");
	ck_assert_str_eq(member(a, "budget_total"), "0");
	json_object_put(arr);

	/* Project scope: only events of that project count. */
	evs[0] = setmd(mkev(EVT_TASK_STARTED, "coder-1", 0), "project", "p1");
	evs[1] = setmd(mkev(EVT_TASK_STARTED, "other", 0), "project", "p2");
	evs[2] = setmd(mkbudget("coder-1", 7, 8), "project", "p1");
	evs[3] = setmd(mkev(EVT_TASK_COMPLETED, "coder-1", 0), "project", "p2");
	insert_ok(st, evs, 4, 4, NULL);
	arr = store_agents(st, "p1", &cause);
	ck_assert_int_eq(json_object_array_length(arr), 1);
	a = agent_of(arr, "coder-1");
	ck_assert_str_eq(member(a, "events"), "2");
	ck_assert_str_eq(member(a, "last_event_type"), "budget_updated");
	ck_assert_str_eq(member(a, "budget_remaining"), "7");
	json_object_put(arr);
	arr = store_agents(st, "nope", &cause);
	ck_assert_int_eq(json_object_array_length(arr), 0);
	json_object_put(arr);
	/* Unscoped: one entry per agent, newest event and budget win. */
	arr = store_agents(st, NULL, &cause);
	ck_assert_int_eq(json_object_array_length(arr), 3);
	a = agent_of(arr, "coder-1");
	ck_assert_str_eq(member(a, "events"), "7");
	ck_assert_str_eq(member(a, "last_event_type"), "task_completed");
	ck_assert_str_eq(member(a, "last_seq"), "9");
	ck_assert_str_eq(member(a, "budget_remaining"), "7");
	ck_assert_str_eq(member(a, "budget_total"), "8");
	json_object_put(arr);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_agents_budget_exact)
{
	struct store		*st;
	struct json_object	*evs[1], *arr, *a, *md, *v;
	char			*cause = NULL;

	/*
	 * What the validator lets through every store keeps: the edges of
	 * the signed 64-bit range to the digit, a double as the same double.
	 */
	setup_backend(_i);
	st = open_store(NULL);
	evs[0] = mkbudget("edge", 0, 0);
	ck_assert(json_object_object_get_ex(evs[0], "metadata", &md));
	json_object_object_add(md, "budget_remaining",
	    json_object_new_int64(INT64_MAX));
	json_object_object_add(md, "budget_total",
	    json_object_new_int64(INT64_MIN));
	ck_assert_int_eq(evt_validate(evs[0], 0, NULL, 0), 0);
	insert_ok(st, evs, 1, 1, NULL);
	arr = store_agents(st, NULL, &cause);
	a = agent_of(arr, "edge");
	ck_assert_str_eq(member(a, "budget_remaining"), "9223372036854775807");
	ck_assert_str_eq(member(a, "budget_total"), "-9223372036854775808");
	json_object_put(arr);

	evs[0] = mkbudget("edge", 0, 0);
	ck_assert(json_object_object_get_ex(evs[0], "metadata", &md));
	json_object_object_add(md, "budget_remaining",
	    avjson_parse("1.50", 4, NULL));
	json_object_object_add(md, "budget_total",
	    avjson_parse("-0.0", 4, NULL));
	ck_assert_int_eq(evt_validate(evs[0], 0, NULL, 0), 0);
	insert_ok(st, evs, 1, 1, NULL);
	arr = store_agents(st, NULL, &cause);
	a = agent_of(arr, "edge");
	ck_assert(json_object_object_get_ex(a, "budget_remaining", &v));
	ck_assert(json_object_is_type(v, json_type_double));
	ck_assert(json_object_get_double(v) == 1.5);
	ck_assert(json_object_object_get_ex(a, "budget_total", &v));
	ck_assert(json_object_is_type(v, json_type_double));
	ck_assert(json_object_get_double(v) == 0 &&
	    1 / json_object_get_double(v) < 0);
	json_object_put(arr);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_retain_by_count)
{
	struct store_opts	 o = { 3, 0, 1000 };
	struct store		*st;
	struct json_object	*evs[5];
	struct rows		*r;
	int64_t			 seqs[5];
	char			*cause = NULL;
	int			 i;

	setup_backend(_i);
	st = open_store(&o);
	for (i = 0; i < 5; i++)
		evs[i] = mkev(i % 2 ? EVT_TASK_STARTED : EVT_TASK_FAILED, "a", 0);
	insert_ok(st, evs, 5, 5, NULL);
	ck_assert_int_eq(store_retain(st, &cause), 2);
	ck_assert_int_eq(store_retain(st, &cause), 0);
	ck_assert_int_eq(total(st), 3);
	r = query_all(st, 0);
	ck_assert_int_eq(r->n, 3);
	ck_assert_int_eq(r->seq[0], 3);
	rows_free(r);
	/* seq goes on after the deletes. */
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 1, 1, seqs);
	ck_assert_int_eq(seqs[0], 6);

	/* SIGHUP: no limit any more. */
	o.retain_events = 0;
	store_set_opts(st, &o);
	ck_assert_int_eq(store_retain(st, &cause), 0);
	ck_assert_int_eq(total(st), 4);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_retain_by_age)
{
	struct store_opts	 o = { 0, 2, 1000 };
	struct store		*st;
	struct json_object	*evs[3];
	struct rows		*r;
	int64_t			 seqs[3], counts[EVT__COUNT], t;
	char			*cause = NULL;

	setup_backend(_i);
	st = open_store(&o);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	evs[1] = mkev(EVT_TASK_FAILED, "a", 0);
	insert_ok(st, evs, 2, 2, NULL);			/* day 0 */
	fake_now += 86400000LL;
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 1, 1, NULL);			/* day 1 */
	ck_assert_int_eq(store_retain(st, &cause), 0);
	fake_now += 86400000LL + 1;				/* day 2 + 1 ms */
	ck_assert_int_eq(store_retain(st, &cause), 2);
	ck_assert(store_counts(st, counts, &t, &cause) == 0);
	ck_assert_int_eq(t, 1);
	ck_assert_int_eq(counts[EVT_TASK_FAILED], 0);
	ck_assert_int_eq(counts[EVT_TASK_STARTED], 1);
	r = query_all(st, 0);
	ck_assert_int_eq(r->n, 1);
	ck_assert_int_eq(r->seq[0], 3);
	rows_free(r);
	fake_now += 86400000LL;
	ck_assert_int_eq(store_retain(st, &cause), 1);
	ck_assert_int_eq(total(st), 0);
	/* Empty store, seq still goes on. */
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 1, 1, seqs);
	ck_assert_int_eq(seqs[0], 4);
	/* Agents outlive their events. */
	evs[0] = (struct json_object *)store_agents(st, NULL, &cause);
	ck_assert_int_eq(json_object_array_length(evs[0]), 1);
	json_object_put(evs[0]);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_retain_chunked)
{
	struct store_opts	 o = { 10, 0, 100000 };
	struct store		*st;
	struct json_object	*evs[100];
	char			*cause = NULL;
	int			 b, i;
	long long		 n;

	setup_backend(_i);
	st = open_store(&o);
	for (b = 0; b < STORE_RETAIN_CHUNK / 100 + 5; b++) {
		for (i = 0; i < 100; i++)
			evs[i] = mkev(EVT_TASK_STARTED, "a", 0);
		insert_ok(st, evs, 100, 100, NULL);
	}
	ck_assert_int_eq(store_retain(st, &cause), STORE_RETAIN_CHUNK);
	n = store_retain(st, &cause);
	ck_assert_int_eq(n, 500 - 10);
	ck_assert_int_eq(total(st), 10);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_bad_event_stores_nothing)
{
	struct store		*st;
	struct json_object	*evs[3];
	int64_t			 seqs[3];
	char			*cause = NULL;

	setup_backend(_i);
	st = open_store(NULL);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	evs[1] = mkev(EVT_TASK_STARTED, "a", 0);
	json_object_object_del(evs[1], "event_id");
	evs[2] = mkev(EVT_TASK_STARTED, "a", 0);
	ck_assert_int_eq(store_insert(st, evs, 3, seqs, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert(strstr(cause, "event 1") != NULL);
	free(cause);
	ck_assert(!json_object_object_get_ex(evs[0], "seq", NULL));
	putall(evs, 3);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	json_object_object_add(evs[0], "event_type",
	    json_object_new_string("nonsense"));
	cause = NULL;
	ck_assert_int_eq(store_insert(st, evs, 1, seqs, &cause), -1);
	free(cause);
	putall(evs, 1);
	ck_assert_int_eq(total(st), 0);
	ck_assert_int_eq(store_last_seq(st), 0);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_hostile_strings)
{
	static const char *ids[] = {
		"'; DROP TABLE events; --",
		"a\" OR \"1\"=\"1",
		"%", "_", "a%", "\\", "?1",
		"\xf0\x9f\xa4\x96 robot",		/* emoji */
		"\xe2\x80\xae" "evil",			/* RIGHT-TO-LEFT OVERRIDE */
		"e\xcc\x81",				/* e + combining acute */
		"line\xe2\x80\xa8sep",			/* U+2028 */
		"tab\there\nnewline",
	};
	struct store		*st;
	struct json_object	*evs[16], *arr;
	struct store_query	 q;
	struct rows		*r;
	char			*big, *want;
	size_t			 i, n = sizeof ids / sizeof ids[0];

	setup_backend(_i);
	st = open_store(NULL);
	for (i = 0; i < n; i++)
		evs[i] = setmd(mkev(EVT_TASK_STARTED, ids[i], 0), "session_id",
		    ids[i]);
	insert_ok(st, evs, n, (int)n, NULL);
	/* Each one matches itself only: no injection, no LIKE wildcard. */
	for (i = 0; i < n; i++) {
		q = (struct store_query){ -1, ids[i], NULL, NULL, NULL, 0, 100 };
		r = query(st, &q);
		ck_assert_msg(r->n == 1, "agent_id %s: %d rows", ids[i], r->n);
		ck_assert_int_eq(r->seq[0], (int64_t)i + 1);
		rows_free(r);
		q = (struct store_query){ -1, NULL, ids[i], NULL, NULL, 0, 100 };
		r = query(st, &q);
		ck_assert_int_eq(r->n, 1);
		rows_free(r);
	}
	arr = store_agents(st, NULL, NULL);
	ck_assert_int_eq(json_object_array_length(arr), n);
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(agent_of(arr, ids[i]));
	json_object_put(arr);
	ck_assert_int_eq(total(st), (int64_t)n);

	/* A 1 MiB string comes back byte for byte. */
	big = xmalloc(1 << 20);
	memset(big, 'x', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	memcpy(big, "\xe2\x82\xac\"\\", 5);
	evs[0] = setmd(mkev(EVT_TASK_FAILED, big, 0), "error", big);
	insert_ok(st, evs, 1, 1, NULL);
	evs[0] = NULL;
	q = (struct store_query){ EVT_TASK_FAILED, big, NULL, NULL, NULL, 0, 1 };
	r = query(st, &q);
	ck_assert_int_eq(r->n, 1);
	evs[0] = avjson_parse(r->json[0], strlen(r->json[0]), NULL);
	ck_assert_ptr_nonnull(evs[0]);
	ck_assert_str_eq(member(evs[0], "agent_id"), big);
	want = xstrdup(member(evs[0], "agent_id"));
	ck_assert_uint_eq(strlen(want), (1 << 20) - 1);
	free(want);
	json_object_put(evs[0]);
	rows_free(r);
	free(big);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_dedup_key_is_timestamp_and_id)
{
	struct store		*st;
	struct json_object	*evs[2];
	int64_t			 seqs[2];

	setup_backend(_i);
	st = open_store(NULL);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 42);
	evs[1] = mkev(EVT_TASK_STARTED, "a", 42);
	/* Not a redelivery: a client reused the id for another event. */
	json_object_object_add(evs[1], "timestamp",
	    json_object_new_string("2026-11-26T16:35:10.000Z"));
	insert_ok(st, evs, 2, 2, seqs);
	ck_assert_int_eq(seqs[1], 2);
	store_close(st);
	teardown_backend();
}
END_TEST

/* Set the string member key of ev to s; returns ev. */
static struct json_object *
setstr(struct json_object *ev, const char *key, const char *s)
{
	json_object_object_add(ev, key, json_object_new_string(s));
	return ev;
}

START_TEST(test_dedup_whatever_the_spelling)
{
	/* One instant, 2026-11-26T16:35:09.123Z, as clients write it. */
	static const char *const ts[] = {
		"2026-11-26T17:35:09.123+01:00",
		"2026-11-26T16:35:09.123Z",
		"2026-11-26T16:35:09.123+00:00",	/* Python's isoformat() */
		"2026-11-26T16:35:09.123000Z",
		"2026-11-26T11:05:09.123-05:30",
		"2026-11-26t16:35:09.123z",
		"2026-11-26T16:35:09.123-00:00",
		"2026-11-26T16:35:09.1239Z",		/* below a millisecond */
	};
	static const char up[] = "3F1C2A4E-8B7D-4C2E-9A1F-2B3C4D5E6F70";
	static const char low[] = "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70";
	const size_t		 n = sizeof ts / sizeof ts[0];
	struct store		*st;
	struct json_object	*evs[16];
	struct rows		*r;
	int64_t			 seqs[16];
	char			*cause = NULL;
	size_t			 i;

	setup_backend(_i);
	st = open_store(NULL);
	/* The first spelling to arrive is stored, in the canonical form. */
	evs[0] = setstr(setstr(mkev(EVT_TASK_STARTED, "a", 0), "event_id", up),
	    "timestamp", ts[0]);
	ck_assert_int_eq(store_insert(st, evs, 1, seqs, &cause), 1);
	ck_assert_str_eq(member(evs[0], "event_id"), low);
	ck_assert_str_eq(member(evs[0], "timestamp"), "2026-11-26T16:35:09.123Z");
	ck_assert_ptr_nonnull(strstr(avjson_str(evs[0], NULL),
	    "\"timestamp\":\"2026-11-26T16:35:09.123Z\","
	    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\""));
	putall(evs, 1);

	/* Every other spelling, in either case, is a duplicate. */
	for (i = 0; i < n; i++)
		evs[i] = setstr(setstr(mkev(EVT_TASK_STARTED, "a", 0),
		    "event_id", i % 2 ? up : low), "timestamp", ts[i]);
	insert_ok(st, evs, n, 0, seqs);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(seqs[i], 0);

	/* Within one batch too. */
	evs[0] = setstr(mkev(EVT_TASK_STARTED, "a", 0), "event_id",
	    "ABCDEF00-0000-4000-8000-000000000001");
	evs[1] = setstr(mkev(EVT_TASK_STARTED, "a", 0), "event_id",
	    "abcdef00-0000-4000-8000-000000000001");
	setstr(evs[1], "timestamp", "2026-11-26T18:35:09.123+02:00");
	insert_ok(st, evs, 2, 1, seqs);
	ck_assert_int_eq(seqs[1], 0);

	/* Another millisecond is another event. */
	evs[0] = setstr(setstr(mkev(EVT_TASK_STARTED, "a", 0), "event_id", up),
	    "timestamp", "2026-11-26T16:35:09.124Z");
	insert_ok(st, evs, 1, 1, seqs);

	ck_assert_int_eq(total(st), 3);
	r = query_all(st, 0);
	ck_assert_int_eq(r->n, 3);
	ck_assert_ptr_nonnull(strstr(r->json[0],
	    "\"timestamp\":\"2026-11-26T16:35:09.123Z\","
	    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\""));
	ck_assert_ptr_nonnull(strstr(r->json[1],
	    "\"event_id\":\"abcdef00-0000-4000-8000-000000000001\""));
	rows_free(r);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_sqlite_dedup_index_in_time_order)
{
	static const char *const ts[] = {
		"2026-11-26T16:00:00Z",			/* 16:00:00.000Z */
		"2026-11-26T16:35:09.5+01:00",		/* 15:35:09.500Z */
		"2026-11-26T15:59:59.999999-00:00",	/* 15:59:59.999Z */
		"2026-11-26T10:30:00-05:00",		/* 15:30:00.000Z */
	};
	struct store		*st;
	struct json_object	*evs[4];
	sqlite3			*db;
	sqlite3_stmt		*s;
	char			 order[16] = "";
	size_t			 i;

	/* The key's text sorts as the instants do: the index grows at its end. */
	setup_backend(0);
	st = open_store(NULL);
	for (i = 0; i < 4; i++)
		evs[i] = setstr(mkev(EVT_TASK_STARTED, "a", 0), "timestamp",
		    ts[i]);
	insert_ok(st, evs, 4, 4, NULL);
	store_close(st);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT seq, ts FROM events"
	    " INDEXED BY events_dedup ORDER BY ts, event_id", -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(order + strlen(order), sizeof order - strlen(order),
		    "%d", sqlite3_column_int(s, 0));
		ck_assert_int_eq(sqlite3_column_bytes(s, 1), 24);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	ck_assert_str_eq(order, "4231");
	teardown_backend();
}
END_TEST

/* The attributes of model event i (seq i + 1). */
#define M_N		6000	/* crosses the SQLite postings flush */
#define M_TYPE(i)	((int)((i) * 7 % EVT__COUNT))
#define M_AGENT(i)	((i) % 13)
#define M_SESSION(i)	((i) % 29)
#define M_USER(i)	((i) % 5)	/* 0 = none */
#define M_PROJECT(i)	((i) % 3)	/* 0 = none */

/* Model event i. */
static struct json_object *
model_event(int i)
{
	struct json_object	*ev;
	char			 buf[64];

	snprintf(buf, sizeof buf, "agent-%d", M_AGENT(i));
	ev = mkev(M_TYPE(i), buf, 0);
	snprintf(buf, sizeof buf, "s%d", M_SESSION(i));
	setmd(ev, "session_id", buf);
	if (M_USER(i) != 0) {
		snprintf(buf, sizeof buf, "u%d", M_USER(i));
		setmd(ev, "user_id", buf);
	}
	if (M_PROJECT(i) != 0) {
		snprintf(buf, sizeof buf, "p%d", M_PROJECT(i));
		setmd(ev, "project", buf);
	}
	return ev;
}

/* Does model event i pass q (values as model_event writes them)? */
static int
model_match(int i, const struct store_query *q)
{
	char	buf[64];

	if (q->type >= 0 && M_TYPE(i) != q->type)
		return 0;
	if (q->agent_id != NULL) {
		snprintf(buf, sizeof buf, "agent-%d", M_AGENT(i));
		if (strcmp(buf, q->agent_id) != 0)
			return 0;
	}
	if (q->session_id != NULL) {
		snprintf(buf, sizeof buf, "s%d", M_SESSION(i));
		if (strcmp(buf, q->session_id) != 0)
			return 0;
	}
	if (q->user_id != NULL) {
		snprintf(buf, sizeof buf, "u%d", M_USER(i));
		if (M_USER(i) == 0 || strcmp(buf, q->user_id) != 0)
			return 0;
	}
	if (q->project != NULL) {
		snprintf(buf, sizeof buf, "p%d", M_PROJECT(i));
		if (M_PROJECT(i) == 0 || strcmp(buf, q->project) != 0)
			return 0;
	}
	return 1;
}

/* Run q on st and compare with the model's answer for events [first, n). */
static void
model_check(struct store *st, const struct store_query *q, int first, int n)
{
	struct rows	*r;
	int		 i, want = 0;

	r = query(st, q);
	for (i = first; i < n && want < q->limit; i++) {
		if (i + 1 <= q->since || !model_match(i, q))
			continue;
		ck_assert_msg(want < r->n, "query t=%d a=%s s=%s u=%s p=%s "
		    "since=%lld: %d rows, model has more", q->type,
		    q->agent_id, q->session_id, q->user_id, q->project,
		    (long long)q->since, r->n);
		ck_assert_int_eq(r->seq[want], i + 1);
		want++;
	}
	ck_assert_int_eq(r->n, want);
	rows_free(r);
}

/* A spread of queries over every filter combination and since. */
static void
model_queries(struct store *st, int first, int n)
{
	static const char *agents[] = { NULL, "agent-3", "agent-12", "none" };
	static const char *sessions[] = { NULL, "s7" };
	static const char *users[] = { NULL, "u2" };
	static const char *projects[] = { NULL, "p1" };
	static const int types[] = { -1, EVT_TASK_FAILED };
	/* SQLite postings blocks are 64 seqs; the first flush is at 4100. */
	static const int64_t sinces[] = { 0, 100, 1087, 1088, 4095, 4096,
	    4099, 4100, 4101, 4400, 5800 };
	struct store_query	 q;
	size_t			 a, se, u, p, t, si;

	for (a = 0; a < 4; a++)
	for (se = 0; se < 2; se++)
	for (u = 0; u < 2; u++)
	for (p = 0; p < 2; p++)
	for (t = 0; t < 2; t++)
	for (si = 0; si < sizeof sinces / sizeof sinces[0]; si++) {
		q = (struct store_query){ types[t], agents[a], sessions[se],
		    users[u], projects[p], sinces[si], 1000 };
		model_check(st, &q, first, n);
		q.limit = 7;
		model_check(st, &q, first, n);
	}
}

/* Insert model events [0, n) in batches of 100. */
static void
model_insert(struct store *st, int n)
{
	struct json_object	*evs[100];
	int			 i, b;

	for (i = 0; i < n; i += b) {
		for (b = 0; b < 100 && i + b < n; b++)
			evs[b] = model_event(i + b);
		insert_ok(st, evs, (size_t)b, b, NULL);
	}
}

START_TEST(test_query_model)
{
	struct store_opts	 o = { 0, 0, 100000 };
	struct store		*st;

	setup_backend(_i);
	st = open_store(&o);
	model_insert(st, M_N);
	model_queries(st, 0, M_N);
	store_close(st);
	if (_i == 0) {
		/* The same answers from the postings written at close. */
		st = open_store(&o);
		model_queries(st, 0, M_N);
		store_close(st);
	}
	teardown_backend();
}
END_TEST

START_TEST(test_query_model_after_retention)
{
	struct store_opts	 o = { M_N - 1500, 0, 100000 };
	struct store		*st;
	char			*cause = NULL;

	setup_backend(_i);
	st = open_store(&o);
	model_insert(st, M_N);
	ck_assert_int_eq(store_retain(st, &cause), 1500);
	model_queries(st, 1500, M_N);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_odd_opts)
{
	/* Negative: off; a huge age: keep; a huge cap: allocated as used. */
	struct store_opts	 o = { -5, 1000000000000000LL, 1000000000000LL };
	struct store		*st;
	struct json_object	*evs[100];
	char			*cause = NULL;
	int			 b, i;

	setup_backend(_i);
	st = open_store(&o);
	for (b = 0; b < 20; b++) {
		for (i = 0; i < 100; i++)
			evs[i] = mkev(EVT_TASK_STARTED, "a", 0);
		insert_ok(st, evs, 100, 100, NULL);
	}
	fake_now += 10000LL * 86400000LL;
	ck_assert_int_eq(store_retain(st, &cause), 0);
	ck_assert_int_eq(total(st), 2000);
	o.retain_days = -1;
	store_set_opts(st, &o);
	ck_assert_int_eq(store_retain(st, &cause), 0);
	store_close(st);
	teardown_backend();
}
END_TEST

/* Test cases looping over both back ends. */
static TCase *
tcase_both(const char *name)
{
	TCase	*tc;

	tc = tcase_create(name);
	tcase_set_timeout(tc, 60);
	return tc;
}

/* --- SQLite only ------------------------------------------------------ */

START_TEST(test_sqlite_reopen_keeps_seq)
{
	struct store_opts	 o = { 0, 1, 1000 };
	struct store		*st;
	struct json_object	*evs[3];
	struct rows		*r;
	int64_t			 seqs[3], counts[EVT__COUNT], t;
	char			*cause = NULL;

	setup_backend(0);
	st = open_store(&o);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 1);
	evs[1] = mkbudget("a", 1, 2);
	insert_ok(st, evs, 2, 2, NULL);
	store_close(st);

	st = open_store(&o);
	ck_assert_int_eq(store_last_seq(st), 2);
	ck_assert(store_counts(st, counts, &t, &cause) == 0);
	ck_assert_int_eq(t, 2);
	ck_assert_int_eq(counts[EVT_BUDGET_UPDATED], 1);
	/* Dedup survives a restart. */
	evs[0] = mkev(EVT_TASK_STARTED, "a", 1);
	evs[1] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 2, 1, seqs);
	ck_assert_int_eq(seqs[1], 3);
	/* Everything expires: seq still survives the next restart. */
	fake_now += 2 * 86400000LL;
	ck_assert_int_eq(store_retain(st, &cause), 3);
	store_close(st);

	st = open_store(&o);
	ck_assert_int_eq(store_last_seq(st), 3);
	ck_assert_int_eq(total(st), 0);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 1, 1, seqs);
	ck_assert_int_eq(seqs[0], 4);
	r = query_all(st, 0);
	ck_assert_int_eq(r->n, 1);
	ck_assert_int_eq(r->seq[0], 4);
	rows_free(r);
	evs[0] = store_agents(st, NULL, &cause);
	ck_assert_str_eq(member(json_object_array_get_idx(evs[0], 0),
	    "budget_total"), "2");
	json_object_put(evs[0]);
	store_close(st);
	teardown_backend();
}
END_TEST

/*
 * The WAL stays bounded under a steady stream of commits: the checkpointer
 * thread (or, behind it, the committing thread) copies it back and SQLite
 * restarts it. 144 MB go through, back to back; without checkpoints the
 * WAL would hold all of it. The committing thread checkpoints itself at
 * 4 x 4000 pages (the SQLite store's last resort), and SQLite starts the WAL
 * over at the next commit that finds it fully copied; under this load that
 * can take a few dozen batches of ~300 pages (100 events of 2.4 KB, their
 * index entries and postings), so the bound allows 8000 pages over it.
 */
/* Run sql on the test's own connection to the store's file. */
static sqlite3 *
side_exec(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;

	if (db == NULL)
		ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", sql, msg);
	return db;
}

/* Store 100 events of about 2 KiB each: 50 pages of WAL and more. */
static void
insert_fat_batch(struct store *st)
{
	static char		 pad[2049];
	struct json_object	*evs[100];
	int			 i;

	if (pad[0] == '\0')
		memset(pad, 'x', sizeof pad - 1);
	for (i = 0; i < 100; i++)
		evs[i] = setmd(mkev(EVT_TASK_STARTED, "a", 0), "note", pad);
	insert_ok(st, evs, 100, 100, NULL);
}

/*
 * Another program's read transaction pins the WAL: once the last-resort
 * checkpoint finds it in the way, the store says so (pinned) and stops
 * trying for a while, rather than wait 500 ms after every commit. When
 * the reader is gone, the next try after the hold (1 s the first time)
 * checkpoints and the log starts over.
 */
START_TEST(test_sqlite_reader_pins_wal)
{
	struct store		*st;
	struct json_object	*evs[1];
	struct store_wal	 w;
	sqlite3			*db;
	int			 k;

	setup_backend(0);
	st = open_store(NULL);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 1, 1, NULL);
	ck_assert_int_eq(store_wal(st, &w), 0);
	ck_assert_int_eq(w.pinned, 0);
	db = side_exec(NULL, "BEGIN; SELECT count(*) FROM events;");
	for (k = 0; k < 1000; k++) {
		insert_fat_batch(st);
		ck_assert_int_eq(store_wal(st, &w), 0);
		if (w.pinned)
			break;
	}
	ck_assert_msg(w.pinned, "not pinned after %d batches (%lld pages)",
	    k, (long long)w.pages);
	ck_assert_int_ge(w.pages, 4 * 4000);

	side_exec(db, "COMMIT;");
	sqlite3_close(db);
	usleep(1100 * 1000);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 1, 1, NULL);
	ck_assert_int_eq(store_wal(st, &w), 0);
	ck_assert_int_eq(w.pinned, 0);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 1, 1, NULL);
	ck_assert_int_eq(store_wal(st, &w), 0);
	ck_assert_msg(w.pages < 4000, "WAL not started over: %lld pages",
	    (long long)w.pages);
	ck_assert_int_eq(total(st), 3 + (k + 1) * 100);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_sqlite_wal_stays_bounded)
{
	struct store		*st;
	struct stat		 sb;
	char			*wal;
	int			 k;

	setup_backend(0);
	st = open_store(NULL);
	wal = xasprintf("%s-wal", dbpath);
	for (k = 0; k < 600; k++) {
		insert_fat_batch(st);
		ck_assert_int_eq(stat(wal, &sb), 0);
		ck_assert_msg(sb.st_size <= (4 * 4000 + 8000) * (4096 + 24),
		    "WAL of %lld bytes after %d batches",
		    (long long)sb.st_size, k + 1);
	}
	ck_assert_int_eq(total(st), 600 * 100);
	store_close(st);
	/* Closed cleanly: everything is in the database, no WAL left. */
	ck_assert_int_ne(stat(wal, &sb), 0);
	st = open_store(NULL);
	ck_assert_int_eq(total(st), 600 * 100);
	store_close(st);
	free(wal);
	teardown_backend();
}
END_TEST


START_TEST(test_sqlite_failure_stores_nothing)
{
	struct store		*st;
	struct json_object	*evs[3];
	struct rows		*r;
	int64_t			 seqs[3];
	char			*cause = NULL;
	sqlite3			*db;

	setup_backend(0);
	st = open_store(NULL);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	insert_ok(st, evs, 1, 1, NULL);

	/* The third event of the batch fails inside SQLite. */
	db = side_exec(NULL, "CREATE TRIGGER boom BEFORE INSERT ON events"
	    " WHEN NEW.agent_id = 'boom' BEGIN SELECT RAISE(ABORT, 'injected');"
	    " END");
	evs[0] = mkev(EVT_TASK_STARTED, "a", 0);
	evs[1] = mkbudget("a", 1, 2);
	evs[2] = mkev(EVT_TASK_STARTED, "boom", 0);
	ck_assert_int_eq(store_insert(st, evs, 3, seqs, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, "injected") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(seqs[0], 0);
	ck_assert(!json_object_object_get_ex(evs[0], "seq", NULL));
	ck_assert(!json_object_object_get_ex(evs[1], "received_at", NULL));
	/* Nor does their text have them (no stale frozen form). */
	ck_assert_ptr_null(strstr(avjson_str(evs[0], NULL), "\"seq\""));
	ck_assert_ptr_null(strstr(avjson_str(evs[1], NULL), "received_at"));
	ck_assert_int_eq(store_last_seq(st), 1);
	ck_assert_int_eq(total(st), 1);
	r = query_all(st, 0);
	ck_assert_int_eq(r->n, 1);
	rows_free(r);
	/* Not even the agents row moved. */
	json_object_put(evs[2]);
	evs[2] = store_agents(st, NULL, &cause);
	ck_assert_str_eq(member(json_object_array_get_idx(evs[2], 0),
	    "budget_total"), "null");
	json_object_put(evs[2]);

	/* Another process holds the write lock: 503 after busy_timeout. */
	side_exec(db, "DROP TRIGGER boom; BEGIN IMMEDIATE");
	evs[2] = mkev(EVT_TASK_STARTED, "b", 0);
	ck_assert_int_eq(store_insert(st, evs, 3, seqs, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	free(cause);
	ck_assert_int_eq(store_last_seq(st), 1);
	side_exec(db, "ROLLBACK");
	sqlite3_close(db);

	/* The same batch once the store is back: seqs without a gap. */
	insert_ok(st, evs, 3, 3, seqs);
	ck_assert_int_eq(seqs[0], 2);
	ck_assert_int_eq(seqs[2], 4);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_sqlite_open_errors)
{
	struct store_opts	 o = { 0, 0, 1000 };
	struct store		*st;
	char			*cause = NULL, *s;
	FILE			*f;
	sqlite3			*db;

	setup_backend(0);
#define BAD(sp, want) do {						\
	cause = NULL;							\
	st = store_open(sp, &o, &cause);				\
	ck_assert_ptr_null(st);						\
	ck_assert_ptr_nonnull(cause);					\
	ck_assert_msg(strstr(cause, want) != NULL, "%s", cause);	\
	free(cause);							\
} while (0)
	BAD("", "empty");
	BAD("sqlite:", "path");
	BAD("mysql://x", "unknown store");
#ifndef HAVE_PQ
	BAD("postgres://u@localhost/agentvis", "PostgreSQL store not built in");
#endif
	BAD("memoryx", "unknown store");
	s = xasprintf("sqlite:%s/no/such/dir/x.db", tmpdir);
	BAD(s, "open");
	free(s);
	s = xasprintf("sqlite:%s", tmpdir);	/* a directory */
	BAD(s, tmpdir);
	free(s);
	/* Not a database. */
	ck_assert_ptr_nonnull(f = fopen(dbpath, "w"));
	fputs("this is not a database, it is plain text long enough\n", f);
	fclose(f);
	BAD(spec, "not a database");
	unlink(dbpath);
	/* A newer gatewayd's file. */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	BAD(spec, "schema version 99");
	unlink(dbpath);
	/* Someone else's database that has an events table. */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE events (x)", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	BAD(spec, "already exists");
#undef BAD
	teardown_backend();
}
END_TEST

/* In a child: open, insert model events [0, n), and die without closing. */
static void
crash_after_insert(int n)
{
	struct store_opts	 o = { 0, 0, 1000 };
	struct store		*st;
	pid_t			 pid;
	int			 status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		st = store_open(spec, &o, NULL);
		if (st == NULL)
			_exit(2);
		model_insert(st, n);
		kill(getpid(), SIGKILL);	/* no close, no flush */
		_exit(3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "child status %d", status);
}

START_TEST(test_sqlite_crash_recovers_pending)
{
	struct store		*st;
	sqlite3			*db;
	sqlite3_stmt		*s;

	/* Crash with postings unwritten and with a flush behind. */
	setup_backend(0);
	crash_after_insert(1000);
	st = open_store(NULL);
	ck_assert_int_eq(store_last_seq(st), 1000);
	model_queries(st, 0, 1000);
	store_close(st);
	teardown_backend();

	setup_backend(0);
	crash_after_insert(M_N);
	st = open_store(NULL);
	ck_assert_int_eq(store_last_seq(st), M_N);
	ck_assert_int_eq(total(st), M_N);
	model_queries(st, 0, M_N);
	store_close(st);
	/* Every event has its postings once open caught up. */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT value FROM meta"
	    " WHERE key = 'indexed_seq'", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int64(s, 0), M_N);
	sqlite3_finalize(s);
	sqlite3_close(db);
	teardown_backend();
}
END_TEST

START_TEST(test_sqlite_retention_removes_postings)
{
	struct store_opts	 o = { 100, 0, 1000 };
	struct store		*st;
	sqlite3			*db;
	sqlite3_stmt		*s;
	char			*cause = NULL;
	long long		 n, removed = 0;

	setup_backend(0);
	st = open_store(&o);
	model_insert(st, M_N);
	while ((n = store_retain(st, &cause)) > 0)
		removed += n;
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(removed, M_N - 100);
	model_queries(st, M_N - 100, M_N);
	store_close(st);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	/*
	 * Rows are (bucket << 38 | seq / 64): none is left for a block wholly
	 * below the first kept seq (5901, in block 92), some for the rest.
	 */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT"
	    " sum((key & ((1 << 38) - 1)) < (5901 / 64)),"
	    " sum((key & ((1 << 38) - 1)) >= (5901 / 64)) FROM postings",
	    -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int64(s, 0), 0);
	ck_assert_int_gt(sqlite3_column_int64(s, 1), 10);
	sqlite3_finalize(s);
	sqlite3_close(db);
	teardown_backend();
}
END_TEST

/* --- PostgreSQL only ------------------------------------------------- */

START_TEST(test_pg_two_gatewayd)
{
	struct store		*st1, *st2;
	struct json_object	*evs[3];
	struct rows		*r;
	int64_t			 seqs[3];

	/* Two gatewayd on one database share seq, dedup and reads. */
	setup_backend(2);
	st1 = open_store(NULL);
	st2 = open_store(NULL);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 1);
	evs[1] = mkev(EVT_TASK_STARTED, "a", 2);
	insert_ok(st1, evs, 2, 2, seqs);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 2);	/* stored by st1 */
	evs[1] = mkev(EVT_TASK_FAILED, "b", 3);
	insert_ok(st2, evs, 2, 1, seqs);
	ck_assert_int_eq(seqs[0], 0);
	ck_assert_int_eq(seqs[1], 3);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 4);
	insert_ok(st1, evs, 1, 1, seqs);
	ck_assert_int_eq(seqs[0], 4);
	ck_assert_int_eq(store_last_seq(st2), 4);
	ck_assert_int_eq(total(st2), 4);
	r = query_all(st2, 0);
	ck_assert_int_eq(r->n, 4);
	ck_assert_int_eq(r->seq[3], 4);
	rows_free(r);
	store_close(st1);
	store_close(st2);
	teardown_backend();
}
END_TEST

/* --- memory only ------------------------------------------------------ */

START_TEST(test_memory_fifo_per_type)
{
	struct store		*st;
	struct json_object	*evs[100];
	struct rows		*r;
	struct store_query	 q;
	int64_t			 counts[EVT__COUNT], t, seqs[100];
	char			*cause = NULL;
	int			 b, i;

	setup_backend(1);
	st = open_store(NULL);		/* memory_per_type 1000 */
	evs[0] = mkev(EVT_AGENT_SPAWNED, "keep", 0);
	insert_ok(st, evs, 1, 1, NULL);			/* seq 1 */
	for (b = 0; b < 11; b++) {			/* seq 2..1101 */
		for (i = 0; i < 100; i++)
			evs[i] = mkev(EVT_TASK_STARTED, "a", 1 + b * 100 + i);
		insert_ok(st, evs, 100, 100, NULL);
	}
	ck_assert(store_counts(st, counts, &t, &cause) == 0);
	ck_assert_int_eq(counts[EVT_TASK_STARTED], 1000);
	ck_assert_int_eq(counts[EVT_AGENT_SPAWNED], 1);
	ck_assert_int_eq(t, 1001);
	/* The 100 oldest task_started (seq 2..101) went; the other type stayed. */
	q = (struct store_query){ EVT_TASK_STARTED, NULL, NULL, NULL, NULL,
	    0, 1000 };
	r = query(st, &q);
	ck_assert_int_eq(r->n, 1000);
	ck_assert_int_eq(r->seq[0], 102);
	ck_assert_int_eq(r->seq[999], 1101);
	rows_free(r);
	r = query_all(st, 0);
	ck_assert_int_eq(r->seq[0], 1);
	ck_assert_int_eq(r->seq[1], 102);
	rows_free(r);
	/* An evicted id is not held any more: it may come again. */
	evs[0] = mkev(EVT_TASK_STARTED, "a", 1);
	evs[1] = mkev(EVT_TASK_STARTED, "a", 500);	/* still held */
	insert_ok(st, evs, 2, 1, seqs);
	ck_assert_int_eq(seqs[0], 1102);

	/* SIGHUP with a smaller cap: the oldest go at once. */
	{
		struct store_opts o = { 0, 0, 10 };
		store_set_opts(st, &o);
	}
	ck_assert(store_counts(st, counts, &t, &cause) == 0);
	ck_assert_int_eq(counts[EVT_TASK_STARTED], 10);
	ck_assert_int_eq(t, 11);
	r = query(st, &q);
	ck_assert_int_eq(r->n, 10);
	ck_assert_int_eq(r->seq[0], 1093);
	rows_free(r);
	evs[0] = mkev(EVT_TASK_STARTED, "a", 1092 - 1);	/* seq 1092: evicted now */
	insert_ok(st, evs, 1, 1, NULL);
	store_close(st);
	teardown_backend();
}
END_TEST

START_TEST(test_memory_dedup_churn)
{
	struct store		*st;
	struct json_object	*evs[100];
	struct store_opts	 o = { 0, 0, 50 };
	int64_t			 t, counts[EVT__COUNT];
	int			 b, i;

	/* Many evictions through the id set, then ids still found. */
	setup_backend(1);
	st = open_store(&o);
	for (b = 0; b < 200; b++) {
		for (i = 0; i < 100; i++)
			evs[i] = mkev((b * 100 + i) % EVT__COUNT, "a",
			    1 + b * 100 + i);
		insert_ok(st, evs, 100, 100, NULL);
	}
	ck_assert(store_counts(st, counts, &t, NULL) == 0);
	ck_assert_int_eq(t, 400);
	/* The last 400 ids are held: all duplicates. */
	for (b = 0; b < 4; b++) {
		for (i = 0; i < 100; i++)
			evs[i] = mkev((19600 + b * 100 + i) % EVT__COUNT,
			    "a", 1 + 19600 + b * 100 + i);
		insert_ok(st, evs, 100, 0, NULL);
	}
	store_close(st);
	teardown_backend();
}
END_TEST

/* The suite. */
static Suite *
store_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("store");
	tc = tcase_both("both");
	tcase_add_loop_test(tc, test_insert_stamps_and_stores_broadcast_form,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_dedup_within_and_across_batches,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_seq_monotonic,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_query_filters,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_query_limit_max,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_counts,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_agents,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_agents_budget_exact,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_retain_by_count,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_retain_by_age,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_retain_chunked,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_bad_event_stores_nothing,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_hostile_strings,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_dedup_whatever_the_spelling,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_dedup_key_is_timestamp_and_id,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_query_model,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_odd_opts,
	    first_backend, end_backend);
	tcase_add_loop_test(tc, test_query_model_after_retention,
	    first_backend, end_backend);
	suite_add_tcase(s, tc);

	if (first_backend == 2) {
		tc = tcase_both("postgres");
		tcase_add_test(tc, test_pg_two_gatewayd);
		suite_add_tcase(s, tc);
		return s;
	}

	tc = tcase_both("sqlite");
	tcase_add_test(tc, test_sqlite_reopen_keeps_seq);
	tcase_add_test(tc, test_sqlite_dedup_index_in_time_order);
	tcase_add_test(tc, test_sqlite_failure_stores_nothing);
	tcase_add_test(tc, test_sqlite_open_errors);
	tcase_add_test(tc, test_sqlite_crash_recovers_pending);
	tcase_add_test(tc, test_sqlite_retention_removes_postings);
	tcase_add_test(tc, test_sqlite_wal_stays_bounded);
	tcase_add_test(tc, test_sqlite_reader_pins_wal);
	suite_add_tcase(s, tc);

	tc = tcase_both("memory");
	tcase_add_test(tc, test_memory_fifo_per_type);
	tcase_add_test(tc, test_memory_dedup_churn);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	if (getenv("AV_TEST_PG") != NULL) {
#ifdef HAVE_PQ
		/* store_pg.sh: the shared cases over PostgreSQL only. */
		first_backend = 2;
		end_backend = 3;
#else
		printf("test_store: built without PostgreSQL, skipped\n");
		return 77;
#endif
	}
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
