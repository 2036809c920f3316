/*
 * batch.h: one request's worth of spooled events.
 *
 * A batch is read from the spool's release point onwards: at most
 * max_events records and a body of at most max_bytes (a single record
 * larger than that still goes alone, and the gateway decides). It keeps
 * the records' text, so a retry resends the same bytes, and where each
 * record ends in the spool, so a part of it can be released.
 *
 * Records can be dropped from the batch (dead-lettered after a 422), and
 * the batch can be cut to its first n records (after a 413 or 400, to find
 * the one the gateway refuses): records after the cut are simply read
 * again for a later batch.
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
/* Records still to be sent (not dead). */
size_t batch_live(const struct batch *b);
/* Index in b->recs of the i-th live record, or -1. */
long batch_live_index(const struct batch *b, size_t i);
/* Mark record r (index in b->recs) dead-lettered. */
void batch_kill(struct batch *b, size_t r);
/* Keep only the first n records. */
void batch_truncate(struct batch *b, size_t n);
/* Spool position just after the batch's last record. */
struct spool_pos batch_end(const struct batch *b);
/*
 * The request body: {"events":[…],"batch_id":"…","timestamp":"…"} with
 * the live records. Returns a new string, *len its length.
 */
char *batch_body(const struct batch *b, const char *timestamp, size_t *len);

#endif
