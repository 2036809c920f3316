/*
 * timefmt.h: RFC 3339 timestamps (milliseconds, UTC) and clocks.
 */
#ifndef AV_TIMEFMT_H
#define AV_TIMEFMT_H

#include <stdint.h>
#include <stddef.h>

/* "2026-11-26T16:35:09.123Z" plus NUL. */
#define TS_LEN 25

/* The instants ts_format writes: 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. */
#define TS_MIN_MS	(-62167219200000LL)
#define TS_MAX_MS	253402300799999LL

/* Wall-clock time in milliseconds since the epoch. */
int64_t ts_now_ms(void);
/* Monotonic time in microseconds (for timeouts and latency). */
int64_t ts_mono_us(void);
/* Format ms since epoch as RFC 3339 UTC with milliseconds; returns buf. */
char *ts_format(char buf[TS_LEN], int64_t ms);
/* Format the current time; returns buf. */
char *ts_now(char buf[TS_LEN]);
/*
 * Parse an RFC 3339 timestamp with zone (Z, +hh:mm or -hh:mm; any
 * fraction digits, cut to milliseconds; 'T' or 't'); store ms since
 * epoch, which ts_format writes back in the canonical form. Returns 0, or
 * -1 with a static reason in *why (e.g. "missing time zone"; "out of
 * range" outside TS_MIN_MS..TS_MAX_MS).
 */
int ts_parse(const char *s, int64_t *ms, const char **why);

#endif
