/*
 * ndjson.h: newline-delimited line reader with a hard line limit.
 *
 * Bytes are pushed in as they arrive (any split); complete lines come out
 * with "\n" or "\r\n" removed and a NUL appended. Memory stays bounded by
 * the limit: a line longer than it is discarded as it streams in, reported
 * once as NDJSON_TOOLONG, and reading resynchronises after its newline.
 * Empty lines (and lines of only "\r") are skipped.
 */
#ifndef AV_NDJSON_H
#define AV_NDJSON_H

#include <stddef.h>

enum ndjson_status {
	NDJSON_AGAIN = 0,	/* no complete line buffered */
	NDJSON_LINE,		/* *line, *len: one line */
	NDJSON_TOOLONG,		/* a line over the limit was dropped; *len = its length */
};

struct ndjson;

/* New reader accepting lines up to max_line bytes (without newline). */
struct ndjson *ndjson_new(size_t max_line);
/* Free the reader. */
void ndjson_free(struct ndjson *r);
/* Append n bytes. Never fails (allocation failure is fatal). */
void ndjson_push(struct ndjson *r, const void *data, size_t n);
/*
 * Take the next line. *line stays valid until the next ndjson_push or
 * ndjson_next call. A line may contain NUL bytes; *len is exact.
 */
enum ndjson_status ndjson_next(struct ndjson *r, char **line, size_t *len);
/*
 * At end of input: return the unterminated last line, if any, as
 * NDJSON_LINE (or NDJSON_TOOLONG), else NDJSON_AGAIN.
 */
enum ndjson_status ndjson_finish(struct ndjson *r, char **line, size_t *len);
/* Bytes buffered and not yet returned. */
size_t ndjson_pending(const struct ndjson *r);
/*
 * Is a line under way: once every complete line is taken, are bytes of
 * the next one buffered, or is an over-long one being skipped?
 */
int ndjson_midline(const struct ndjson *r);

#endif
