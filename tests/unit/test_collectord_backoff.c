/*
 * test_collectord_backoff.c: the retry schedule (1 s, 2 s, 4 s, then the
 * cap), its jitter bounds, Retry-After as a floor under the cap, and
 * parsing of Retry-After in both of its forms.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "backoff.h"

static const struct backoff defaults = { 1000, 30000, 3 };

START_TEST(test_schedule_no_jitter)
{
	/* rnd = 0: the top of each jitter range, the default 1 s, 2 s, 4 s. */
	ck_assert_int_eq(backoff_delay(&defaults, 1, 0, -1), 1000);
	ck_assert_int_eq(backoff_delay(&defaults, 2, 0, -1), 2000);
	ck_assert_int_eq(backoff_delay(&defaults, 3, 0, -1), 4000);
	/* After max_retries: the capped interval, for as long as it takes. */
	ck_assert_int_eq(backoff_delay(&defaults, 4, 0, -1), 30000);
	ck_assert_int_eq(backoff_delay(&defaults, 1000, 0, -1), 30000);
	ck_assert_int_eq(backoff_delay(&defaults, INT64_MAX / 2, 0, -1), 30000);
}
END_TEST

START_TEST(test_doubling_stops_at_cap)
{
	struct backoff	b = { 1000, 5000, 100 };

	ck_assert_int_eq(backoff_delay(&b, 3, 0, -1), 4000);
	ck_assert_int_eq(backoff_delay(&b, 4, 0, -1), 5000);
	ck_assert_int_eq(backoff_delay(&b, 99, 0, -1), 5000);
}
END_TEST

START_TEST(test_jitter_bounds)
{
	int64_t	d, lo = INT64_MAX, hi = 0;
	int	i, k;

	for (k = 1; k <= 5; k++) {
		int64_t top = k <= 3 ? 1000LL << (k - 1) : 30000;

		lo = INT64_MAX;
		hi = 0;
		for (i = 0; i < 1000; i++) {
			d = backoff_delay(&defaults, k, i / 1000.0, -1);
			ck_assert_int_le(d, top);
			ck_assert_int_ge(d, top * 8 / 10);
			if (d < lo)
				lo = d;
			if (d > hi)
				hi = d;
		}
		/* The jitter really spreads the retries. */
		ck_assert_int_gt(hi - lo, top / 10);
	}
	/* Out-of-range random numbers are clamped. */
	ck_assert_int_eq(backoff_delay(&defaults, 1, -5, -1), 1000);
	ck_assert_int_ge(backoff_delay(&defaults, 1, 7, -1), 800);
}
END_TEST

START_TEST(test_retry_after_floor_and_cap)
{
	/* Larger than the backoff: honoured. */
	ck_assert_int_eq(backoff_delay(&defaults, 1, 0.5, 5000), 5000);
	/* Smaller: the backoff wins (never sooner than our schedule). */
	ck_assert_int_eq(backoff_delay(&defaults, 3, 0, 1000), 4000);
	/* Beyond the cap: the cap, so a gateway cannot park us for hours. */
	ck_assert_int_eq(backoff_delay(&defaults, 1, 0, 3600000), 30000);
	ck_assert_int_eq(backoff_delay(&defaults, 1, 0, 0), 1000);
}
END_TEST

START_TEST(test_retry_after_parse)
{
	int64_t	now = 784111777000LL;	/* Sun, 06 Nov 1994 08:49:37 GMT */

	ck_assert_int_eq(backoff_retry_after("5", now), 5000);
	ck_assert_int_eq(backoff_retry_after(" 12 ", now), 12000);
	ck_assert_int_eq(backoff_retry_after("0", now), 0);
	ck_assert_int_eq(backoff_retry_after(NULL, now), -1);
	ck_assert_int_eq(backoff_retry_after("", now), -1);
	ck_assert_int_eq(backoff_retry_after("-3", now), -1);
	ck_assert_int_eq(backoff_retry_after("5s", now), -1);
	ck_assert_int_eq(backoff_retry_after("soon", now), -1);
	ck_assert_int_eq(backoff_retry_after(
	    "99999999999999999999999999", now), -1);
	/* Huge but numeric: clamped to a year, no overflow. */
	ck_assert_int_eq(backoff_retry_after("999999999999", now),
	    86400LL * 365 * 1000);
	/* HTTP dates. */
	ck_assert_int_eq(backoff_retry_after("Sun, 06 Nov 1994 08:49:47 GMT",
	    now), 10000);
	ck_assert_int_eq(backoff_retry_after("Sun, 06 Nov 1994 08:49:00 GMT",
	    now), 0);
	ck_assert_int_eq(backoff_retry_after("Sun, 06 Nov 1994 08:49:47 PST",
	    now), -1);
	ck_assert_int_eq(backoff_retry_after("Sun, 06 Nov 1994", now), -1);
}
END_TEST

static Suite *
backoff_suite(void)
{
	Suite	*s = suite_create("collectord backoff");
	TCase	*tc = tcase_create("backoff");

	tcase_add_test(tc, test_schedule_no_jitter);
	tcase_add_test(tc, test_doubling_stops_at_cap);
	tcase_add_test(tc, test_jitter_bounds);
	tcase_add_test(tc, test_retry_after_floor_and_cap);
	tcase_add_test(tc, test_retry_after_parse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(backoff_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
