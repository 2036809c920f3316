/*
 * buf.h: a growable byte buffer with LWS_PRE bytes of headroom, so what is
 * built in it (an HTTP answer, a stream message) can go to lws_write()
 * without another copy.
 */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stddef.h>

struct gwbuf {
	char	*base;		/* allocation; data starts at base + pre */
	size_t	 pre;		/* headroom */
	size_t	 len;		/* bytes of data */
	size_t	 cap;		/* bytes available after headroom */
};

/* Start an empty buffer with pre bytes of headroom. */
void gwbuf_init(struct gwbuf *b, size_t pre);
/* The data (after the headroom). */
char *gwbuf_data(const struct gwbuf *b);
/* Append len bytes. */
void gwbuf_add(struct gwbuf *b, const void *data, size_t len);
/* Append a NUL-terminated string. */
void gwbuf_puts(struct gwbuf *b, const char *s);
/* Append formatted text. */
void gwbuf_printf(struct gwbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Free the buffer. */
void gwbuf_free(struct gwbuf *b);

#endif
