/*
 * postgres.c: the shared store ("postgres://…", a libpq URI), for
 * several gatewayd behind a load balancer.
 *
 * Several writers share one seq: each batch takes the row lock of
 * agentvis_meta.last_seq first (SELECT … FOR UPDATE) and holds it to its
 * commit, so batches commit one after the other in seq order and a reader
 * resuming with `since` never meets a lower seq committed later.
 * last_seq and the counts are therefore read from the database, not
 * cached: another gatewayd may have moved them.
 *
 * The layout follows the SQLite store (duplicates by the canonical
 * timestamp and event_id, agents upserted in the batch's transaction),
 * with plain B-tree indexes for the filters: PostgreSQL's costs differ,
 * and this back end is for sharing, not for the last event per second.
 *
 * Compiled only with HAVE_PQ (configure found libpq and the program
 * links $(PQ_LIBS)); otherwise this file is empty.
 */
#include "config.h"

#ifdef HAVE_PQ

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "avjson.h"
#include "event.h"
#include "log.h"
#include "store.h"
#include "timefmt.h"
#include "xmalloc.h"

/* agentvis_meta.schema_version of the tables below. */
#define PG_SCHEMA_VERSION	1

/* Serialises schema creation by several gatewayd starting at once. */
#define PG_SCHEMA_LOCK		"SELECT pg_advisory_xact_lock(1635149417)"

static const char pg_schema[] =
	"CREATE TABLE IF NOT EXISTS agentvis_meta ("
	" key text PRIMARY KEY, value bigint NOT NULL);"
	"INSERT INTO agentvis_meta VALUES ('schema_version', 1),"
	" ('last_seq', 0) ON CONFLICT DO NOTHING;"
	"CREATE TABLE IF NOT EXISTS agentvis_events ("
	" seq bigint PRIMARY KEY,"
	" event_id text NOT NULL,"
	" event_type text NOT NULL,"
	" agent_id text NOT NULL,"
	" session_id text,"
	" user_id text,"
	" project text,"
	" ts text NOT NULL,"
	" received_at text NOT NULL,"
	" json text NOT NULL,"
	" UNIQUE (ts, event_id));"
	/*
	 * md5() of the value: a B-tree entry must fit in a page, and metadata
	 * strings may be kilobytes long. Queries check the value too.
	 */
	"CREATE INDEX IF NOT EXISTS agentvis_events_type"
	" ON agentvis_events (event_type, seq);"
	"CREATE INDEX IF NOT EXISTS agentvis_events_agent"
	" ON agentvis_events (md5(agent_id), seq);"
	"CREATE INDEX IF NOT EXISTS agentvis_events_session"
	" ON agentvis_events (md5(session_id), seq)"
	" WHERE session_id IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS agentvis_events_user"
	" ON agentvis_events (md5(user_id), seq) WHERE user_id IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS agentvis_events_project"
	" ON agentvis_events (md5(project), seq) WHERE project IS NOT NULL;"
	/* Budgets as their JSON text: an int stays an int. */
	"CREATE TABLE IF NOT EXISTS agentvis_agents ("
	" agent_id text NOT NULL,"
	" project text NOT NULL,"
	" agent_name text, agent_role text, last_event_type text,"
	" last_operation text, last_status text, last_seen text,"
	" last_seq bigint NOT NULL,"
	" events bigint NOT NULL,"
	" budget_remaining text, budget_total text, budget_seq bigint);"
	"CREATE UNIQUE INDEX IF NOT EXISTS agentvis_agents_key"
	" ON agentvis_agents (md5(agent_id), md5(project));"
	"CREATE TABLE IF NOT EXISTS agentvis_counts ("
	" event_type text PRIMARY KEY, n bigint NOT NULL);";

/* The prepared statements: name and text. */
static const char *const pg_stmts[][2] = {
	{ "lock", "SELECT value FROM agentvis_meta WHERE key = 'last_seq'"
	    " FOR UPDATE" },
	{ "setseq", "UPDATE agentvis_meta SET value = $1"
	    " WHERE key = 'last_seq'" },
	{ "insert", "INSERT INTO agentvis_events (seq, event_id, event_type,"
	    " agent_id, session_id, user_id, project, ts, received_at, json)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
	    " ON CONFLICT (ts, event_id) DO NOTHING" },
	{ "agent", "INSERT INTO agentvis_agents (agent_id, project,"
	    " agent_name, agent_role, last_event_type, last_operation,"
	    " last_status, last_seen, last_seq, events, budget_remaining,"
	    " budget_total, budget_seq)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11,"
	    " CASE WHEN $10::text IS NULL THEN NULL ELSE $9::bigint END)"
	    " ON CONFLICT (md5(agent_id), md5(project)) DO UPDATE SET"
	    " agent_name = excluded.agent_name,"
	    " agent_role = excluded.agent_role,"
	    " last_event_type = excluded.last_event_type,"
	    " last_operation = excluded.last_operation,"
	    " last_status = excluded.last_status,"
	    " last_seen = excluded.last_seen, last_seq = excluded.last_seq,"
	    " events = agentvis_agents.events + 1,"
	    " budget_remaining = coalesce(excluded.budget_remaining,"
	    "  agentvis_agents.budget_remaining),"
	    " budget_total = coalesce(excluded.budget_total,"
	    "  agentvis_agents.budget_total),"
	    " budget_seq = coalesce(excluded.budget_seq,"
	    "  agentvis_agents.budget_seq)" },
	{ "count", "INSERT INTO agentvis_counts VALUES ($1, $2)"
	    " ON CONFLICT (event_type) DO UPDATE"
	    " SET n = agentvis_counts.n + excluded.n" },
	{ "oldest", "SELECT seq, received_at FROM agentvis_events"
	    " ORDER BY seq LIMIT $1" },
	{ "delete", "DELETE FROM agentvis_events WHERE seq <= $1"
	    " RETURNING event_type" },
	{ "lastseq", "SELECT value FROM agentvis_meta WHERE key = 'last_seq'" },
	{ "counts", "SELECT event_type, n FROM agentvis_counts" },
};

/* Query filters, one bit each. */
#define PG_Q_TYPE	0x01
#define PG_Q_AGENT	0x02
#define PG_Q_SESSION	0x04
#define PG_Q_USER	0x08
#define PG_Q_PROJECT	0x10
#define PG_Q_COMBOS	0x20

/* One connection and what is prepared on it; used under its lock. */
struct pg_conn {
	PGconn		*conn;
	int		 prepared[PG_Q_COMBOS];
	pthread_mutex_t	 lock;
};

/*
 * Two connections: the writer's (inserts, retention) and the readers'
 * (queries, counts, agents, last_seq), each under its own lock, so that
 * a commit waiting on the server (another instance holding the seq lock,
 * a slow disk) never holds up a read on gatewayd's service thread.
 */
struct pg_store {
	struct pg_conn	 w, r;
	char		*conninfo;	/* for messages: the URI, password cut */
	struct store_opts opts;		/* the service thread's */
	_Atomic int64_t	 last_seq;	/* last one seen; answer when down */
};

/* *cause = "postgres: what: message" (message without its newline). */
static void
pg_error(struct pg_conn *c, const char *what, PGresult *res, char **cause)
{
	const char	*msg;
	size_t		 len;

	msg = res != NULL ? PQresultErrorMessage(res) : "";
	if (*msg == '\0')
		msg = PQerrorMessage(c->conn);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	*cause = xasprintf("postgres: %s: %.*s", what, (int)len, msg);
}

/* Run text; 0 if it returned want (PGRES_COMMAND_OK / TUPLES_OK). */
static int
pg_exec(struct pg_conn *c, const char *text, ExecStatusType want,
    const char *what, char **cause)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(c->conn, text);
	if (PQresultStatus(res) != want) {
		pg_error(c, what, res, cause);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Run prepared statement name with n text parameters. Caller PQclears. */
static PGresult *
pg_run(struct pg_conn *c, const char *name, int n,
    const char *const *params)
{
	return PQexecPrepared(c->conn, name, n, params, NULL, NULL, 0);
}

/* Roll back whatever is open (errors ignored: the answer is -1 anyway). */
static void
pg_rollback(struct pg_conn *c)
{
	PQclear(PQexec(c->conn, "ROLLBACK"));
}

/* Prepare the fixed statements (again after a reconnect). */
static int
pg_prepare_all(struct pg_conn *c, char **cause)
{
	PGresult	*res;
	size_t		 i;

	memset(c->prepared, 0, sizeof c->prepared);
	for (i = 0; i < sizeof pg_stmts / sizeof pg_stmts[0]; i++) {
		res = PQprepare(c->conn, pg_stmts[i][0], pg_stmts[i][1], 0,
		    NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_error(c, pg_stmts[i][0], res, cause);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

/*
 * Make sure the connection is up: after a failure (server restarted)
 * reconnect once, so a 503 is followed by service when it is back.
 */
static int
pg_ready(struct pg_conn *c, char **cause)
{
	if (PQstatus(c->conn) == CONNECTION_OK)
		return 0;
	PQreset(c->conn);
	if (PQstatus(c->conn) != CONNECTION_OK) {
		pg_error(c, "connect", NULL, cause);
		return -1;
	}
	return pg_prepare_all(c, cause);
}

/* Create the tables if needed and check their version. */
static int
pg_schema_init(struct pg_conn *c, char **cause)
{
	PGresult	*res;
	long long	 version;

	if (pg_exec(c, "BEGIN", PGRES_COMMAND_OK, "begin", cause) != 0)
		return -1;
	if (pg_exec(c, PG_SCHEMA_LOCK, PGRES_TUPLES_OK, "lock", cause) != 0 ||
	    pg_exec(c, pg_schema, PGRES_COMMAND_OK, "create schema",
	    cause) != 0)
		goto fail;
	res = PQexec(c->conn, "SELECT value FROM agentvis_meta"
	    " WHERE key = 'schema_version'");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_error(c, "schema version", res, cause);
		PQclear(res);
		goto fail;
	}
	version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (version > PG_SCHEMA_VERSION) {
		*cause = xasprintf("postgres: schema version %lld is newer "
		    "than this gatewayd's (%d)", version, PG_SCHEMA_VERSION);
		goto fail;
	}
	return pg_exec(c, "COMMIT", PGRES_COMMAND_OK, "commit", cause);

fail:
	pg_rollback(c);
	return -1;
}

/* Close and free. */
static void
pg_close(void *b)
{
	struct pg_store	*pg = b;

	if (pg == NULL)
		return;
	PQfinish(pg->w.conn);
	PQfinish(pg->r.conn);
	pthread_mutex_destroy(&pg->w.lock);
	pthread_mutex_destroy(&pg->r.lock);
	free(pg->conninfo);
	free(pg);
}

/* Open one of the two connections; 0, or -1 with *cause. */
static int
pg_connect(struct pg_conn *c, const char *uri, char **cause)
{
	if ((c->conn = PQconnectdb(uri)) == NULL) {
		*cause = xstrdup("postgres: out of memory");
		return -1;
	}
	if (PQstatus(c->conn) != CONNECTION_OK) {
		pg_error(c, "connect", NULL, cause);
		return -1;
	}
	PQclear(PQexec(c->conn, "SET client_min_messages = warning"));
	return 0;
}

/* Connect to the URI twice and set the tables up. */
static void *
pg_open(const char *arg, const struct store_opts *opts, char **cause)
{
	struct pg_store	*pg;
	char		*at;

	pg = xcalloc(1, sizeof *pg);
	pg->opts = *opts;
	pthread_mutex_init(&pg->w.lock, NULL);
	pthread_mutex_init(&pg->r.lock, NULL);
	/* Never log a password: keep what follows the '@' only. */
	pg->conninfo = xstrdup((at = strrchr(arg, '@')) != NULL ? at + 1 : arg);
	if (pg_connect(&pg->w, arg, cause) != 0 ||
	    pg_schema_init(&pg->w, cause) != 0 ||
	    pg_prepare_all(&pg->w, cause) != 0 ||
	    pg_connect(&pg->r, arg, cause) != 0 ||
	    pg_prepare_all(&pg->r, cause) != 0)
		goto fail;
	log_debug("postgres %s: connected", pg->conninfo);
	return pg;

fail:
	pg_close(pg);
	return NULL;
}

/* New retention settings. */
static void
pg_set_opts(void *b, const struct store_opts *opts)
{
	struct pg_store	*pg = b;

	pg->opts = *opts;
}

/* Text of a JSON number, or NULL. */
static char *
pg_num_text(struct json_object *v)
{
	return v != NULL ? xstrdup(avjson_str(v, NULL)) : NULL;
}

/*
 * Insert one record as seq + 1 (its stored text in text, of its batch's
 * received_at) and fold it into its agent's row: 1 stored, 0 duplicate,
 * -1 with *cause.
 */
static int
pg_insert_rec(struct pg_conn *c, const struct store_rec *rec, int64_t seq,
    const char *received_at, char *text, char **cause)
{
	const struct store_ev	*ev = &rec->ev;
	PGresult		*res;
	const char		*p[11];
	char			 seqbuf[32], *rem = NULL, *tot = NULL;
	int			 ok;

	store_rec_text(rec, seq, received_at, text);
	snprintf(seqbuf, sizeof seqbuf, "%lld", (long long)seq);
	p[0] = seqbuf;
	p[1] = ev->event_id;
	p[2] = evt_types[ev->type].name;
	p[3] = ev->agent_id;
	p[4] = ev->session_id;
	p[5] = ev->user_id;
	p[6] = ev->project;
	p[7] = ev->timestamp;
	p[8] = received_at;
	p[9] = text;
	res = pg_run(c, "insert", 10, p);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_error(c, "insert", res, cause);
		PQclear(res);
		return -1;
	}
	ok = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (!ok)
		return 0;		/* duplicate */

	if (ev->budget_remaining != NULL && ev->budget_total != NULL) {
		rem = pg_num_text(ev->budget_remaining);
		tot = pg_num_text(ev->budget_total);
	}
	p[0] = ev->agent_id;
	p[1] = ev->project != NULL ? ev->project : "";
	p[2] = ev->agent_name;
	p[3] = ev->agent_role;
	p[4] = evt_types[ev->type].name;
	p[5] = ev->operation;
	p[6] = ev->status;
	p[7] = ev->timestamp;
	p[8] = seqbuf;
	p[9] = rem;
	p[10] = tot;
	res = pg_run(c, "agent", 11, p);
	free(rem);
	free(tot);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		pg_error(c, "agents", res, cause);
	PQclear(res);
	return ok ? 1 : -1;
}

/* Add delta[t] to the stored count of each type t (in a transaction). */
static int
pg_counts_add(struct pg_conn *c, const int64_t delta[EVT__COUNT],
    const char *what, char **cause)
{
	PGresult	*res;
	const char	*p[2];
	char		 nbuf[32];
	int		 t, ok;

	for (t = 0; t < EVT__COUNT; t++) {
		if (delta[t] == 0)
			continue;
		snprintf(nbuf, sizeof nbuf, "%lld", (long long)delta[t]);
		p[0] = evt_types[t].name;
		p[1] = nbuf;
		res = pg_run(c, "count", 2, p);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			pg_error(c, what, res, cause);
		PQclear(res);
		if (!ok)
			return -1;
	}
	return 0;
}

/*
 * Store batches in one transaction, holding the seq lock: every instance
 * on the database takes seqs from one counter, in commit order.
 */
static int
pg_insert_batch(void *b, struct store_batch **bs, size_t nb, int64_t now_ms,
    char **cause)
{
	struct pg_store		*pg = b;
	struct pg_conn		*c = &pg->w;
	struct store_batch	*bt;
	PGresult		*res;
	const char		*p[2];
	char			 nbuf[32], *text = NULL;
	int64_t			 seq, delta[EVT__COUNT];
	size_t			 i, k, cap = 0;
	int			 ok, rc;

	memset(delta, 0, sizeof delta);
	for (k = 0; k < nb; k++)
		ts_format(bs[k]->received_at, now_ms);
	pthread_mutex_lock(&c->lock);
	if (pg_ready(c, cause) != 0 ||
	    pg_exec(c, "BEGIN", PGRES_COMMAND_OK, "begin", cause) != 0) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	res = pg_run(c, "lock", 0, NULL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_error(c, "lock", res, cause);
		PQclear(res);
		goto fail;
	}
	seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	for (k = 0; k < nb; k++) {
		bt = bs[k];
		for (i = 0; i < bt->n; i++) {
			if (bt->recs[i].len + STORE_STAMP_MAX > cap) {
				cap = bt->recs[i].len + STORE_STAMP_MAX;
				free(text);
				text = xmalloc(cap);
			}
			rc = pg_insert_rec(c, &bt->recs[i], seq + 1,
			    bt->received_at, text, cause);
			if (rc < 0)
				goto fail;
			if (rc == 0)
				continue;
			bt->seqs[i] = ++seq;
			bt->stored++;
			delta[bt->recs[i].ev.type]++;
		}
	}
	if (pg_counts_add(c, delta, "counts", cause) != 0)
		goto fail;
	snprintf(nbuf, sizeof nbuf, "%lld", (long long)seq);
	p[0] = nbuf;
	res = pg_run(c, "setseq", 1, p);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		pg_error(c, "last_seq", res, cause);
	PQclear(res);
	if (!ok || pg_exec(c, "COMMIT", PGRES_COMMAND_OK, "commit",
	    cause) != 0)
		goto fail;
	pthread_mutex_unlock(&c->lock);
	pg->last_seq = seq;
	free(text);
	return 0;

fail:
	pg_rollback(c);
	pthread_mutex_unlock(&c->lock);
	free(text);
	for (k = 0; k < nb; k++) {
		memset(bs[k]->seqs, 0, bs[k]->n * sizeof *bs[k]->seqs);
		bs[k]->stored = 0;
	}
	return -1;
}

/* The statement for a combination of filters, prepared on first use. */
static const char *
pg_query_stmt(struct pg_conn *c, int mask, char *name, size_t namelen,
    char **cause)
{
	static const char *const col[] = { "event_type", "agent_id",
	    "session_id", "user_id", "project" };
	PGresult	*res;
	char		 text[1024];
	int		 k, param = 3;

	snprintf(name, namelen, "q%d", mask);
	if (c->prepared[mask])
		return name;
	snprintf(text, sizeof text, "SELECT seq, json FROM agentvis_events"
	    " WHERE seq > $1");
	for (k = 0; k < 5; k++) {
		if (!(mask & (1 << k)))
			continue;
		if (k == 0)
			snprintf(text + strlen(text), sizeof text -
			    strlen(text), " AND %s = $%d", col[k], param);
		else	/* the md5() of the index, then the value itself */
			snprintf(text + strlen(text), sizeof text -
			    strlen(text), " AND md5(%s) = md5($%d) AND %s = $%d",
			    col[k], param, col[k], param);
		param++;
	}
	snprintf(text + strlen(text), sizeof text - strlen(text),
	    " ORDER BY seq LIMIT $2");
	res = PQprepare(c->conn, name, text, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_error(c, "prepare query", res, cause);
		PQclear(res);
		return NULL;
	}
	PQclear(res);
	c->prepared[mask] = 1;
	return name;
}

/* Run a query; rows in ascending seq. */
static int
pg_query(void *b, const struct store_query *q, store_row_cb cb, void *arg,
    char **cause)
{
	struct pg_store	*pg = b;
	struct pg_conn	*c = &pg->r;
	const char	*p[7], *v[5];
	char		 name[16], since[32], limit[16];
	PGresult	*res;
	int		 mask = 0, np = 2, k, i, rows;

	v[0] = q->type >= 0 ? evt_types[q->type].name : NULL;
	v[1] = q->agent_id;
	v[2] = q->session_id;
	v[3] = q->user_id;
	v[4] = q->project;
	snprintf(since, sizeof since, "%lld", (long long)q->since);
	snprintf(limit, sizeof limit, "%d", q->limit);
	p[0] = since;
	p[1] = limit;
	for (k = 0; k < 5; k++) {
		if (v[k] != NULL) {
			mask |= 1 << k;
			p[np++] = v[k];
		}
	}
	pthread_mutex_lock(&c->lock);
	if (pg_ready(c, cause) != 0 ||
	    pg_query_stmt(c, mask, name, sizeof name, cause) == NULL) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	res = pg_run(c, name, np, p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		pg_error(c, "query", res, cause);
	pthread_mutex_unlock(&c->lock);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return -1;
	}
	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		if (cb(arg, strtoll(PQgetvalue(res, i, 0), NULL, 10),
		    PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1)) != 0)
			break;
	}
	PQclear(res);
	return 0;
}

/* Highest seq assigned by any gatewayd sharing the database. */
static int64_t
pg_last_seq(void *b)
{
	struct pg_store	*pg = b;
	struct pg_conn	*c = &pg->r;
	PGresult	*res;
	char		*cause = NULL;

	pthread_mutex_lock(&c->lock);
	if (pg_ready(c, &cause) != 0) {
		pthread_mutex_unlock(&c->lock);
		free(cause);
		return pg->last_seq;
	}
	res = pg_run(c, "lastseq", 0, NULL);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		pg->last_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	pthread_mutex_unlock(&c->lock);
	return pg->last_seq;
}

/* Counts per type, from the table the writers keep. */
static int
pg_counts(void *b, int64_t counts[EVT__COUNT], int64_t *total, char **cause)
{
	struct pg_store	*pg = b;
	struct pg_conn	*c = &pg->r;
	PGresult	*res;
	int64_t		 n;
	int		 i, t;

	memset(counts, 0, EVT__COUNT * sizeof counts[0]);
	*total = 0;
	pthread_mutex_lock(&c->lock);
	if (pg_ready(c, cause) != 0) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	res = pg_run(c, "counts", 0, NULL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		pg_error(c, "counts", res, cause);
	pthread_mutex_unlock(&c->lock);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return -1;
	}
	for (i = 0; i < PQntuples(res); i++) {
		n = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		if ((t = evt_type_lookup(PQgetvalue(res, i, 0))) >= 0)
			counts[t] += n;
		*total += n;
	}
	PQclear(res);
	return 0;
}

/* Copy of a column, NULL for NULL. */
static char *
pg_col_str(PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return xstrdup(PQgetvalue(res, row, col));
}

/* A JSON number from its stored text, NULL for NULL. */
static struct json_object *
pg_col_num(PGresult *res, int row, int col)
{
	const char	*s;

	if (PQgetisnull(res, row, col))
		return NULL;
	s = PQgetvalue(res, row, col);
	return avjson_parse(s, strlen(s), NULL);
}

/* All agent rows, or those of one project. */
static int
pg_agents(void *b, const char *project, struct store_agent **rowsp,
    size_t *np, char **cause)
{
	struct pg_store		*pg = b;
	struct pg_conn		*c = &pg->r;
	struct store_agent	*rows, *a;
	PGresult		*res;
	const char		*p[1];
	int			 i, n;

	pthread_mutex_lock(&c->lock);
	if (pg_ready(c, cause) != 0) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	p[0] = project;
	res = PQexecParams(c->conn, project != NULL ?
	    "SELECT agent_id, project, agent_name, agent_role,"
	    " last_event_type, last_operation, last_status, last_seen,"
	    " last_seq, events, budget_remaining, budget_total, budget_seq"
	    " FROM agentvis_agents WHERE md5(project) = md5($1)"
	    " AND project = $1" :
	    "SELECT agent_id, project, agent_name, agent_role,"
	    " last_event_type, last_operation, last_status, last_seen,"
	    " last_seq, events, budget_remaining, budget_total, budget_seq"
	    " FROM agentvis_agents", project != NULL ? 1 : 0, NULL, p, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		pg_error(c, "agents", res, cause);
	pthread_mutex_unlock(&c->lock);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	rows = xcalloc(n > 0 ? (size_t)n : 1, sizeof *rows);
	for (i = 0; i < n; i++) {
		a = &rows[i];
		a->agent_id = pg_col_str(res, i, 0);
		a->project = pg_col_str(res, i, 1);
		a->agent_name = pg_col_str(res, i, 2);
		a->agent_role = pg_col_str(res, i, 3);
		a->last_event_type = pg_col_str(res, i, 4);
		a->last_operation = pg_col_str(res, i, 5);
		a->last_status = pg_col_str(res, i, 6);
		a->last_seen = pg_col_str(res, i, 7);
		a->last_seq = strtoll(PQgetvalue(res, i, 8), NULL, 10);
		a->events = strtoll(PQgetvalue(res, i, 9), NULL, 10);
		a->budget_remaining = pg_col_num(res, i, 10);
		a->budget_total = pg_col_num(res, i, 11);
		a->budget_seq = PQgetisnull(res, i, 12) ? 0 :
		    strtoll(PQgetvalue(res, i, 12), NULL, 10);
	}
	PQclear(res);
	*rowsp = rows;
	*np = (size_t)n;
	return 0;
}

/*
 * One chunk of retention, as in the SQLite store. The counts come from
 * the rows the DELETE really removed, so two gatewayd retaining at once
 * do not count a row twice. It runs on the writer's connection, and not
 * at all while that is busy committing (gatewayd calls again soon): the
 * service thread must not wait for a commit.
 */
static long long
pg_retain(void *b, int64_t now_ms, char **cause)
{
	struct pg_store	*pg = b;
	struct pg_conn	*c = &pg->w;
	PGresult	*res;
	const char	*p[2], *at;
	char		 cutoff[TS_LEN], buf[32];
	int64_t		 excess = 0, total, counts[EVT__COUNT], delta[EVT__COUNT];
	int64_t		 ndel = 0, cut = 0;
	int		 i, t, rows, aging;

	memset(delta, 0, sizeof delta);
	aging = pg->opts.retain_days > 0;
	if (aging)
		ts_format(cutoff, now_ms - pg->opts.retain_days * 86400000LL);
	if (pg->opts.retain_events > 0) {
		if (pg_counts(pg, counts, &total, cause) != 0)
			return -1;
		if (total > pg->opts.retain_events)
			excess = total - pg->opts.retain_events;
	}
	if (excess == 0 && !aging)
		return 0;
	if (pthread_mutex_trylock(&c->lock) != 0)
		return 0;
	if (pg_ready(c, cause) != 0 ||
	    pg_exec(c, "BEGIN", PGRES_COMMAND_OK, "begin", cause) != 0) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	snprintf(buf, sizeof buf, "%d", STORE_RETAIN_CHUNK);
	p[0] = buf;
	res = pg_run(c, "oldest", 1, p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error(c, "retain", res, cause);
		PQclear(res);
		goto fail;
	}
	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		at = PQgetvalue(res, i, 1);
		if (i >= excess && !(aging && strcmp(at, cutoff) < 0))
			break;
		cut = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	}
	PQclear(res);
	if (i == 0) {
		pg_rollback(c);
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	snprintf(buf, sizeof buf, "%lld", (long long)cut);
	p[0] = buf;
	res = pg_run(c, "delete", 1, p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error(c, "retain", res, cause);
		PQclear(res);
		goto fail;
	}
	ndel = PQntuples(res);
	for (i = 0; i < ndel; i++)
		if ((t = evt_type_lookup(PQgetvalue(res, i, 0))) >= 0)
			delta[t]--;
	PQclear(res);
	if (pg_counts_add(c, delta, "retain counts", cause) != 0)
		goto fail;
	if (pg_exec(c, "COMMIT", PGRES_COMMAND_OK, "commit", cause) != 0)
		goto fail;
	pthread_mutex_unlock(&c->lock);
	return ndel;

fail:
	pg_rollback(c);
	pthread_mutex_unlock(&c->lock);
	return -1;
}

const struct store_ops store_postgres_ops = {
	.kind = "postgres",
	.open = pg_open,
	.close = pg_close,
	.set_opts = pg_set_opts,
	.locks_itself = 1,
	.insert_batch = pg_insert_batch,
	.query = pg_query,
	.last_seq = pg_last_seq,
	.counts = pg_counts,
	.agents = pg_agents,
	.retain = pg_retain,
};

#endif /* HAVE_PQ */
