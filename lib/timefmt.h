/*
 * timefmt.h: RFC 3339 timestamps (milliseconds, UTC) and clocks.
 */
#ifndef AV_TIMEFMT_H
#define AV_TIMEFMT_H

#include <stdint.h>
#include <stddef.h>

/* "2026-11-26T16:35:09.123Z" plus NUL. */
#define TS_LEN 25

/* Wall-clock time in milliseconds since the epoch. */
int64_t ts_now_ms(void);
/* Monotonic time in microseconds (for timeouts and latency). */
int64_t ts_mono_us(void);
/* Format ms since epoch as RFC 3339 UTC with milliseconds; returns buf. */
char *ts_format(char buf[TS_LEN], int64_t ms);
/* Format the current time; returns buf. */
char *ts_now(char buf[TS_LEN]);
/*
 * Parse an RFC 3339 timestamp with zone (Z or +hh:mm; any fraction
 * digits; 'T' or 't'); store ms since epoch. Returns 0, or -1 with a
 * static reason in *why (e.g. "missing time zone").
 */
int ts_parse(const char *s, int64_t *ms, const char **why);

#endif
