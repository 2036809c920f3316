/*
 * batch.h: one request's worth of spooled events.
 *
 * A batch is read from the spool's release point onwards: at most
 * max_events records and a body of at most max_bytes (a single record
 * larger than that still goes alone, and the gateway decides). It keeps
 * the records' text, so a retry resends the same bytes, and where each
 * record ends in the spool, so a part of it can be released.
 *
 * Records can be dropped from the batch (dead-lettered after a 422, or
 * delivered when only the first of them were sent, as after a 413 or 400
 * while looking for the one the gateway refuses): a batch always covers
 * the same run of the spool, so that several can be in flight, one after
 * another, and be released in order.
 */
#ifndef CD_BATCH_H
#define CD_BATCH_H

#include <stddef.h>

#include "spool.h"
#include "uuidstr.h"

/* Bytes of body besides the records: brackets, batch_id, timestamp. */
#define BATCH_OVERHEAD 128

struct batch_rec {
	size_t		 off, len;	/* the record's text in buf */
	struct spool_pos end;		/* spool position just after it */
	int		 dead;		/* dead-lettered: not sent again */
};

struct batch {
	char		*buf;		/* records' text, back to back */
	size_t		 len, cap;
	struct batch_rec *recs;
	size_t		 n, nalloc;
	char		 id[UUIDSTR_LEN]; /* batch_id, new when content changes */
};

/* Empty b (keeps its buffers). */
void batch_clear(struct batch *b);
/* Free b's buffers. */
void batch_free(struct batch *b);
/*
 * Fill an empty b from the spool's release point within the caps.
 * Returns the number of records (0 = nothing to send) or -1 with *cause.
 */
int batch_fill(struct batch *b, struct spool *s, size_t max_events,
    size_t max_bytes, char **cause);
/* The same from the spool position *from onwards (at least the release point). */
int batch_fill_from(struct batch *b, struct spool *s,
    const struct spool_pos *from, size_t max_events, size_t max_bytes,
    char **cause);
/* Records still to be sent (not dead). */
size_t batch_live(const struct batch *b);
/* Index in b->recs of the i-th live record, or -1. */
long batch_live_index(const struct batch *b, size_t i);
/* Mark record r (index in b->recs) dead-lettered. */
void batch_kill(struct batch *b, size_t r);
/* Spool position just after the batch's last record. */
struct spool_pos batch_end(const struct batch *b);
/*
 * The request body: {"events":[…],"batch_id":"…","timestamp":"…"} with
 * the live records. Returns a new string, *len its length.
 */
char *batch_body(const struct batch *b, const char *timestamp, size_t *len);
/* The same with only the first max live records. */
char *batch_body_first(const struct batch *b, const char *timestamp,
    size_t max, size_t *len);

#endif
