/*
 * timefmt.c: RFC 3339 timestamps and the two clocks.
 *
 * Events carry wall-clock time as "YYYY-MM-DDTHH:MM:SS.mmmZ"; timeouts and
 * latencies use the monotonic clock so that a clock step cannot fire or
 * stall them. Conversion to and from the epoch is done by hand with the
 * civil-calendar formulas rather than timegm(3), which is not in POSIX and
 * would make parsing depend on the process time zone state.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

/* Wall-clock time in milliseconds since the epoch. */
int64_t
ts_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic time in microseconds. */
int64_t
ts_mono_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Inverse of ts_days_from_civil. */
static void
ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era;
	unsigned	doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Write v as exactly n zero-padded decimal digits at buf + at. */
static void
ts_put(char *buf, int at, int n, unsigned v)
{
	for (at += n - 1; n > 0; n--, at--, v /= 10)
		buf[at] = (char)('0' + v % 10);
}

/* Format ms since the epoch as RFC 3339 UTC with milliseconds. */
char *
ts_format(char buf[TS_LEN], int64_t ms)
{
	int64_t		days, secs, y;
	int		msec;
	unsigned	m, d;

	/* Floor division, so that times before 1970 format correctly. */
	msec = (int)(ms % 1000);
	if (msec < 0)
		msec += 1000;
	secs = (ms - msec) / 1000;
	days = secs / 86400;
	secs %= 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	ts_civil_from_days(days, &y, &m, &d);
	/* Keep the fixed width; ts_parse refuses the times that land here. */
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	ts_put(buf, 0, 4, (unsigned)y);
	buf[4] = '-';
	ts_put(buf, 5, 2, m);
	buf[7] = '-';
	ts_put(buf, 8, 2, d);
	buf[10] = 'T';
	ts_put(buf, 11, 2, (unsigned)(secs / 3600));
	buf[13] = ':';
	ts_put(buf, 14, 2, (unsigned)(secs / 60 % 60));
	buf[16] = ':';
	ts_put(buf, 17, 2, (unsigned)(secs % 60));
	buf[19] = '.';
	ts_put(buf, 20, 3, (unsigned)msec);
	buf[23] = 'Z';
	buf[24] = '\0';
	return buf;
}

/* Format the current time. */
char *
ts_now(char buf[TS_LEN])
{
	return ts_format(buf, ts_now_ms());
}

/* Read exactly n decimal digits at *s into *out; advances *s. 0 or -1. */
static int
ts_digits(const char **s, int n, int *out)
{
	int	v = 0;

	for (; n > 0; n--, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 0;
}

/* 1 for leap years of the Gregorian calendar. */
static int
ts_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parse an RFC 3339 date-time with zone into ms since the epoch. */
int
ts_parse(const char *s, int64_t *ms, const char **why)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int		 y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0, sign = 0, n;
	int64_t		 v;
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	if (ts_digits(&s, 4, &y) != 0 || *s++ != '-') {
		*why = "bad year";
		return -1;
	}
	if (ts_digits(&s, 2, &mo) != 0 || *s++ != '-' || mo < 1 || mo > 12) {
		*why = "bad month";
		return -1;
	}
	if (ts_digits(&s, 2, &d) != 0 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && ts_leap(y))) {
		*why = "bad day";
		return -1;
	}
	if (*s != 'T' && *s != 't') {
		*why = *s == '\0' ? "missing time" : "expected 'T' between date and time";
		return -1;
	}
	s++;
	if (ts_digits(&s, 2, &h) != 0 || *s++ != ':' || h > 23) {
		*why = "bad hour";
		return -1;
	}
	if (ts_digits(&s, 2, &mi) != 0 || *s++ != ':' || mi > 59) {
		*why = "bad minute";
		return -1;
	}
	/* 60 is a leap second; it is counted as the next second, like timegm. */
	if (ts_digits(&s, 2, &sec) != 0 || sec > 60) {
		*why = "bad second";
		return -1;
	}
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9') {
			*why = "bad fraction of second";
			return -1;
		}
		/* Any number of digits; milliseconds keep the first three. */
		for (n = 0; *s >= '0' && *s <= '9'; s++, n++) {
			if (n < 3)
				frac = frac * 10 + (*s - '0');
		}
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (ts_digits(&s, 2, &oh) != 0 || *s++ != ':' ||
		    ts_digits(&s, 2, &om) != 0 || oh > 23 || om > 59) {
			*why = "bad time zone offset";
			return -1;
		}
	} else {
		*why = *s == '\0' ? "missing time zone" : "bad time zone";
		return -1;
	}
	if (*s != '\0') {
		*why = "trailing characters";
		return -1;
	}
	v = ((ts_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60)) * 1000) + frac;
	/*
	 * An offset or a leap second can carry the instant out of the four
	 * digit years, where ts_format has no form for it: two such times
	 * would print alike.
	 */
	if (v < TS_MIN_MS || v > TS_MAX_MS) {
		*why = "out of range";
		return -1;
	}
	*ms = v;
	return 0;
}
