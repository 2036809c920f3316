/*
 * xmalloc.h: allocation that cannot fail. Running out of memory is fatal
 * in all three programs: there is no sane partial state to go on from.
 */
#ifndef AV_XMALLOC_H
#define AV_XMALLOC_H

#include <stddef.h>
#include "log.h"

/* malloc or die; never returns NULL (size 0 gives a 1-byte block). */
void *xmalloc(size_t size);
/* calloc or die, with overflow check. */
void *xcalloc(size_t nmemb, size_t size);
/* reallocarray or die. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/* strdup or die. */
char *xstrdup(const char *s);
/* strndup or die. */
char *xstrndup(const char *s, size_t n);
/* asprintf or die; returns the new string. */
char *xasprintf(const char *fmt, ...) AV_PRINTF(1, 2);

#endif
