/*
 * buf.c: growable buffer with headroom (see buf.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

/* Empty buffer with headroom. */
void
gwbuf_init(struct gwbuf *b, size_t pre)
{
	b->pre = pre;
	b->len = 0;
	b->cap = 256;
	b->base = xmalloc(pre + b->cap + 1);
	b->base[pre] = '\0';
}

/* Data after the headroom. */
char *
gwbuf_data(const struct gwbuf *b)
{
	return b->base + b->pre;
}

/* Make room for need more bytes (plus a NUL). */
static void
gwbuf_reserve(struct gwbuf *b, size_t need)
{
	size_t	cap = b->cap;

	if (b->len + need <= b->cap)
		return;
	while (cap < b->len + need)
		cap *= 2;
	b->base = xreallocarray(b->base, 1, b->pre + cap + 1);
	b->cap = cap;
}

/* Append bytes. */
void
gwbuf_add(struct gwbuf *b, const void *data, size_t len)
{
	gwbuf_reserve(b, len);
	memcpy(b->base + b->pre + b->len, data, len);
	b->len += len;
	b->base[b->pre + b->len] = '\0';
}

/* Append a string. */
void
gwbuf_puts(struct gwbuf *b, const char *s)
{
	gwbuf_add(b, s, strlen(s));
}

/* Append formatted text. */
void
gwbuf_printf(struct gwbuf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	gwbuf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->base + b->pre + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Free. */
void
gwbuf_free(struct gwbuf *b)
{
	free(b->base);
	b->base = NULL;
	b->len = b->cap = 0;
}
