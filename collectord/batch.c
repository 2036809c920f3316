/*
 * batch.c: batch assembly from the spool; see batch.h.
 *
 * The body is put together as text: every record already is one compact
 * JSON object (written by json-c when it was accepted), so joining them
 * with commas makes a valid array without parsing anything again. The
 * two strings around them are quoted by avjson_quote, as json-c would.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "batch.h"
#include "xmalloc.h"

/* Empty b. */
void
batch_clear(struct batch *b)
{
	b->len = 0;
	b->n = 0;
	b->id[0] = '\0';
}

/* Free b's buffers. */
void
batch_free(struct batch *b)
{
	free(b->buf);
	free(b->recs);
	memset(b, 0, sizeof *b);
}

/* Add one record's text to b. */
static void
batch_add(struct batch *b, const char *data, size_t len,
    const struct spool_pos *end)
{
	if (b->len + len > b->cap) {
		b->cap = b->cap ? b->cap : 64 * 1024;
		while (b->len + len > b->cap)
			b->cap *= 2;
		b->buf = xreallocarray(b->buf, b->cap, 1);
	}
	if (b->n == b->nalloc) {
		b->nalloc = b->nalloc ? b->nalloc * 2 : 128;
		b->recs = xreallocarray(b->recs, b->nalloc, sizeof *b->recs);
	}
	memcpy(b->buf + b->len, data, len);
	b->recs[b->n].off = b->len;
	b->recs[b->n].len = len;
	b->recs[b->n].end = *end;
	b->recs[b->n].dead = 0;
	b->n++;
	b->len += len;
}

/* Fill an empty b from the spool's release point within the caps. */
int
batch_fill(struct batch *b, struct spool *s, size_t max_events,
    size_t max_bytes, char **cause)
{
	struct spool_pos	head = spool_head(s);

	return batch_fill_from(b, s, &head, max_events, max_bytes, cause);
}

/* Fill an empty b from the spool at from onwards within the caps. */
int
batch_fill_from(struct batch *b, struct spool *s, const struct spool_pos *from,
    size_t max_events, size_t max_bytes, char **cause)
{
	struct spool_pos	 at, next;
	const char		*data;
	size_t			 len, body = BATCH_OVERHEAD;
	int			 r;

	batch_clear(b);
	at = *from;
	while (b->n < max_events) {
		r = spool_read(s, &at, &data, &len, &next, cause);
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		/* The first record always goes, whatever its size. */
		if (b->n > 0 && body + len + 1 > max_bytes)
			break;
		batch_add(b, data, len, &next);
		body += len + 1;
		at = next;
	}
	if (b->n > 0)
		uuidstr_v4(b->id);
	return b->n;
}

/* Records still to be sent. */
size_t
batch_live(const struct batch *b)
{
	size_t	i, n = 0;

	for (i = 0; i < b->n; i++)
		n += !b->recs[i].dead;
	return n;
}

/* Index of the i-th live record, or -1. */
long
batch_live_index(const struct batch *b, size_t i)
{
	size_t	r;

	for (r = 0; r < b->n; r++) {
		if (b->recs[r].dead)
			continue;
		if (i-- == 0)
			return r;
	}
	return -1;
}

/* Mark record r dead-lettered; the content changed, so a new batch_id. */
void
batch_kill(struct batch *b, size_t r)
{
	if (r < b->n && !b->recs[r].dead) {
		b->recs[r].dead = 1;
		uuidstr_v4(b->id);
	}
}

/* Spool position just after the batch's last record. */
struct spool_pos
batch_end(const struct batch *b)
{
	struct spool_pos	zero = { 0, 0 };

	return b->n > 0 ? b->recs[b->n - 1].end : zero;
}

/* The request body with the live records. */
char *
batch_body(const struct batch *b, const char *timestamp, size_t *len)
{
	return batch_body_first(b, timestamp, SIZE_MAX, len);
}

/* The request body with the first max live records. */
char *
batch_body_first(const struct batch *b, const char *timestamp, size_t max,
    size_t *len)
{
	static const char	 head[] = "{\"events\":[";
	static const char	 id[] = "],\"batch_id\":";
	static const char	 ts[] = ",\"timestamp\":";
	char			*body, *p;
	size_t			 i, cap, idlen, tslen, first = 1;

	idlen = avjson_quote(NULL, 0, b->id);
	tslen = avjson_quote(NULL, 0, timestamp);
	/* Records with a comma each, the quoted strings, '}' and the NUL. */
	cap = sizeof head - 1 + b->len + b->n + sizeof id - 1 + idlen +
	    sizeof ts - 1 + tslen + 2;
	p = body = xmalloc(cap);
	memcpy(p, head, sizeof head - 1);
	p += sizeof head - 1;
	for (i = 0; i < b->n && max > 0; i++) {
		if (b->recs[i].dead)
			continue;
		max--;
		if (!first)
			*p++ = ',';
		first = 0;
		memcpy(p, b->buf + b->recs[i].off, b->recs[i].len);
		p += b->recs[i].len;
	}
	memcpy(p, id, sizeof id - 1);
	p += sizeof id - 1;
	p += avjson_quote(p, idlen + 1, b->id);
	memcpy(p, ts, sizeof ts - 1);
	p += sizeof ts - 1;
	p += avjson_quote(p, tslen + 1, timestamp);
	*p++ = '}';
	*p = '\0';
	*len = p - body;
	return body;
}
