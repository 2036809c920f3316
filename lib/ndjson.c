/*
 * ndjson.c: the line reader of the local protocol and of fallback files.
 *
 * One flat buffer holds the bytes not yet returned: [off, end) of buf.
 * ndjson_push appends, ndjson_next cuts lines out in place (the newline
 * becomes the NUL), so a line costs no allocation and no copy beyond the
 * append. "scan" remembers how far we already looked for a newline, so
 * byte-by-byte arrival is not quadratic.
 *
 * A line that grows past the limit is dropped as soon as that is known
 * and the reader goes into "skipping" mode, where pushed bytes are thrown
 * away up to the next newline; the buffer therefore never holds more than
 * max_line + 1 bytes of an unfinished line plus the chunk being pushed.
 * The dropped line is reported once, in its place in the order of lines.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "xmalloc.h"

struct ndjson {
	char	*buf;
	size_t	 cap;		/* allocated, always > end (room for a NUL) */
	size_t	 off;		/* first byte not yet returned */
	size_t	 end;		/* end of data */
	size_t	 scan;		/* no newline in [off, scan) */
	size_t	 max;		/* longest line accepted */
	int	 skipping;	/* dropping bytes of an over-long line */
	size_t	 skipped;	/* its length so far */
	char	 skiplast;	/* its last byte so far (a '\r' is not counted) */
	int	 toolong;	/* a dropped line ended and is still to report */
	size_t	 toolong_len;
};

/* New reader for lines of up to max_line bytes. */
struct ndjson *
ndjson_new(size_t max_line)
{
	struct ndjson	*r;

	r = xcalloc(1, sizeof *r);
	r->max = max_line;
	/* Start small: most connections carry short lines. */
	r->cap = max_line + 2 < 4096 ? max_line + 2 : 4096;
	r->buf = xmalloc(r->cap);
	return r;
}

/* Free the reader. */
void
ndjson_free(struct ndjson *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

/* Append n bytes to the buffer, moving pending bytes to the front first. */
static void
ndjson_append(struct ndjson *r, const char *data, size_t n)
{
	size_t	need;

	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->end - r->off);
		r->end -= r->off;
		r->scan -= r->off;
		r->off = 0;
	}
	need = r->end + n + 1;
	/*
	 * Shrink once a burst is drained: a connection that once pushed a
	 * big chunk should not pin that memory for the rest of its life.
	 */
	if (r->end == 0 && r->cap > 2 * (r->max + 2) && r->cap > 65536 &&
	    need <= r->max + 2) {
		r->cap = r->max + 2;
		r->buf = xreallocarray(r->buf, 1, r->cap);
	}
	if (need > r->cap) {
		while (r->cap < need)
			r->cap = r->cap < need / 2 ? need : r->cap * 2;
		r->buf = xreallocarray(r->buf, 1, r->cap);
	}
	memcpy(r->buf + r->end, data, n);
	r->end += n;
}

/* Append bytes as they arrive. */
void
ndjson_push(struct ndjson *r, const void *data, size_t n)
{
	const char	*p = data, *nl;

	if (r->skipping) {
		if ((nl = memchr(p, '\n', n)) == NULL) {
			r->skipped += n;
			if (n > 0)
				r->skiplast = p[n - 1];
			return;
		}
		r->skipped += (size_t)(nl - p);
		if (nl > p)
			r->skiplast = nl[-1];
		r->skipping = 0;
		r->toolong = 1;
		/* Report the length a line reader would: without "\r\n". */
		r->toolong_len = r->skipped - (r->skiplast == '\r');
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	if (n > 0)
		ndjson_append(r, p, n);
}

/* Take the next complete line. */
enum ndjson_status
ndjson_next(struct ndjson *r, char **line, size_t *len)
{
	char	*nl;
	size_t	 n;

	if (r->toolong) {
		r->toolong = 0;
		*len = r->toolong_len;
		*line = NULL;
		return NDJSON_TOOLONG;
	}
	for (;;) {
		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl == NULL) {
			r->scan = r->end;
			/*
			 * An unfinished line past max + 1 (room for a '\r')
			 * can only be too long: drop it now and skip the rest.
			 */
			if (r->end - r->off > r->max + 1) {
				r->skipping = 1;
				r->skipped = r->end - r->off;
				r->skiplast = r->buf[r->end - 1];
				r->off = r->end = r->scan = 0;
			}
			return NDJSON_AGAIN;
		}
		*line = r->buf + r->off;
		n = (size_t)(nl - *line);
		r->off = r->scan = (size_t)(nl - r->buf) + 1;
		if (n > 0 && (*line)[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		(*line)[n] = '\0';
		*len = n;
		if (n > r->max) {
			*line = NULL;
			return NDJSON_TOOLONG;
		}
		return NDJSON_LINE;
	}
}

/* At end of input, return the unterminated last line if any. */
enum ndjson_status
ndjson_finish(struct ndjson *r, char **line, size_t *len)
{
	enum ndjson_status	st;
	size_t			n;

	if ((st = ndjson_next(r, line, len)) != NDJSON_AGAIN)
		return st;
	if (r->skipping) {
		r->skipping = 0;
		*line = NULL;
		*len = r->skipped - (r->skiplast == '\r');
		return NDJSON_TOOLONG;
	}
	n = r->end - r->off;
	*line = r->buf + r->off;
	r->off = r->scan = r->end;
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	if (n == 0)
		return NDJSON_AGAIN;
	/* cap > end always, so there is room for the NUL. */
	(*line)[n] = '\0';
	*len = n;
	if (n > r->max) {
		*line = NULL;
		return NDJSON_TOOLONG;
	}
	return NDJSON_LINE;
}

/* Bytes buffered and not yet returned. */
size_t
ndjson_pending(const struct ndjson *r)
{
	return r->end - r->off;
}

/* Is a line under way? */
int
ndjson_midline(const struct ndjson *r)
{
	return r->end > r->off || r->skipping;
}
