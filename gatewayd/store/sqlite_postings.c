/*
 * sqlite_postings.c: the SQLite store's index of the read API's filters
 * (type, agent, session, user, project): postings written in bulk, in
 * sorted order, once SQL_FLUSH_EVENTS events are pending, and walked by
 * queries; sqlite.c explains the layout.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "sqlite.h"
#include "xmalloc.h"

/* Free pending entries [from, npend) and forget them. */
void
sql_pend_truncate(struct sql_store *sql, size_t from)
{
	size_t	i;

	for (i = from; i < sql->npend; i++)
		free(sql->pend[i].buf);
	sql->npend = from;
}

/* Forget the first n pending entries (their postings are written). */
void
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
void
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
uint64_t
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
int
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
int
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


/* The values q asks for, in enum sql_kind order (NULL = any). */
void
sql_query_values(const struct store_query *q, const char *want[SQL_K__COUNT])
{
	want[SQL_K_TYPE] = q->type >= 0 ? evt_types[q->type].name : NULL;
	want[SQL_K_AGENT] = q->agent_id;
	want[SQL_K_SESSION] = q->session_id;
	want[SQL_K_USER] = q->user_id;
	want[SQL_K_PROJECT] = q->project;
}

/* Do the values v of an event pass the filters want? */
int
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


/*
 * Check the event seq against the filters (postings only say a hash
 * matched) and pass it on. 0, or -1 on an SQLite error. A row retention
 * removed meanwhile is simply not found.
 */
int
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
int
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
int
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
