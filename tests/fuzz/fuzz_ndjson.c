/*
 * fuzz_ndjson.c: the NDJSON reader under hostile bytes and hostile splits.
 *
 * The first input byte picks a line limit and a chunk pattern; the rest
 * is pushed twice, once whole and once in those chunks. Both runs must
 * return the same sequence of lines and over-long reports, every line
 * must be within the limit, newline-free and NUL-terminated, and the
 * buffer must stay within the limit plus one chunk.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* One result: status, length and a checksum of the bytes. */
struct fz_item {
	int		st;
	size_t		len;
	uint32_t	sum;
};

/* Record one result after checking the invariants; returns the new count. */
static size_t
fz_record(struct fz_item *items, size_t n, size_t cap, enum ndjson_status st,
    const char *line, size_t len, size_t max)
{
	uint32_t	sum = 2166136261u;
	size_t		i;

	if (st == NDJSON_LINE) {
		if (len == 0 || len > max || line[len] != '\0' ||
		    memchr(line, '\n', len) != NULL)
			abort();
		for (i = 0; i < len; i++)
			sum = (sum ^ (uint8_t)line[i]) * 16777619u;
	} else if (len <= max)
		abort();
	if (n < cap) {
		items[n].st = st;
		items[n].len = len;
		items[n].sum = st == NDJSON_LINE ? sum : 0;
	}
	return n + 1;
}

/* Run the reader over data in chunks of the given sizes (cycled). */
static size_t
fz_run(const uint8_t *data, size_t len, size_t max, const uint8_t *chunks,
    size_t nchunks, struct fz_item *items, size_t cap)
{
	struct ndjson		*r = ndjson_new(max);
	enum ndjson_status	 st;
	size_t			 off = 0, c = 0, n = 0, sz, llen;
	char			*line;

	while (off < len) {
		sz = nchunks == 0 ? len : (size_t)chunks[c++ % nchunks] + 1;
		if (sz > len - off)
			sz = len - off;
		ndjson_push(r, data + off, sz);
		off += sz;
		while ((st = ndjson_next(r, &line, &llen)) != NDJSON_AGAIN)
			n = fz_record(items, n, cap, st, line, llen, max);
		/* Drained: only an unfinished line within the limit may remain. */
		if (ndjson_pending(r) > max + 1)
			abort();
	}
	while ((st = ndjson_finish(r, &line, &llen)) != NDJSON_AGAIN)
		n = fz_record(items, n, cap, st, line, llen, max);
	if (ndjson_pending(r) != 0)
		abort();
	ndjson_free(r);
	return n;
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_item	a[4096], b[4096];
	size_t			max, na, nb, i;

	if (size < 2)
		return 0;
	max = 1 + data[0] % 32;
	/* Bytes 1..4 are the chunk pattern; all bytes are the input. */
	na = fz_run(data, size, max, NULL, 0, a, 4096);
	nb = fz_run(data, size, max, data + 1, size > 5 ? 4 : 1, b, 4096);
	if (na != nb)
		abort();
	for (i = 0; i < na && i < 4096; i++) {
		if (a[i].st != b[i].st || a[i].len != b[i].len || a[i].sum != b[i].sum)
			abort();
	}
	return 0;
}
