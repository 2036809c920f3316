/*
 * backoff.c: the retry schedule and Retry-After parsing; see backoff.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"

/* Wait in ms before retry number attempt. */
int64_t
backoff_delay(const struct backoff *b, int64_t attempt, double rnd,
    int64_t retry_after_ms)
{
	int64_t	d = b->base_ms, k;

	if (attempt < 1)
		attempt = 1;
	if (attempt > b->max_retries)
		d = b->max_ms;
	else {
		/* Doubling, stopping at the cap before it can overflow. */
		for (k = 1; k < attempt && d < b->max_ms; k++)
			d *= 2;
	}
	if (d > b->max_ms)
		d = b->max_ms;
	if (rnd < 0)
		rnd = 0;
	if (rnd >= 1)
		rnd = 0.999999;
	d = d - (int64_t)(d * 0.2 * rnd);
	if (retry_after_ms > d)
		d = retry_after_ms;
	if (d > b->max_ms)
		d = b->max_ms;
	return d;
}

/* Parse a Retry-After value. */
int64_t
backoff_retry_after(const char *value, int64_t now_ms)
{
	struct tm	 tm;
	const char	*p;
	char		*end;
	long long	 secs;
	time_t		 t;

	if (value == NULL)
		return -1;
	while (isspace((unsigned char)*value))
		value++;
	if (isdigit((unsigned char)*value)) {
		errno = 0;
		secs = strtoll(value, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (errno != 0 || *end != '\0' || secs < 0)
			return -1;
		if (secs > 86400 * 365)
			secs = 86400 * 365;
		return secs * 1000;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
	memset(&tm, 0, sizeof tm);
	p = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (p == NULL || *p != '\0')
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	if ((int64_t)t * 1000 <= now_ms)
		return 0;
	return (int64_t)t * 1000 - now_ms;
}
