/*
 * test_lib_timefmt.c: RFC 3339 formatting and parsing (with offsets,
 * fractions and leap years), the clocks, and UUID text.
 */
#include "config.h"

#include <check.h>
#include <string.h>
#include <uuid/uuid.h>

#include "timefmt.h"
#include "uuidstr.h"

START_TEST(test_format)
{
	char	buf[TS_LEN];

	ck_assert_str_eq(ts_format(buf, 0), "1970-01-01T00:00:00.000Z");
	ck_assert_str_eq(ts_format(buf, 1795710909123LL), "2026-11-26T16:35:09.123Z");
	ck_assert_str_eq(ts_format(buf, -1), "1969-12-31T23:59:59.999Z");
	ck_assert_str_eq(ts_format(buf, 951782400000LL), "2000-02-29T00:00:00.000Z");
	ck_assert_str_eq(ts_format(buf, 253402300799999LL), "9999-12-31T23:59:59.999Z");
	ck_assert_uint_eq(strlen(buf), TS_LEN - 1);
}
END_TEST

START_TEST(test_parse_values)
{
	static const struct { const char *s; long long ms; } t[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:00.001Z", 1 },
		{ "2026-11-26T16:35:09.123Z", 1795710909123LL },
		{ "2026-11-26T22:05:09.123+05:30", 1795710909123LL },
		{ "2026-11-26T15:35:09.123-01:00", 1795710909123LL },
		{ "2026-11-26t16:35:09.123z", 1795710909123LL },
		{ "2026-11-26T16:35:09.1239999Z", 1795710909123LL },	/* truncated, not rounded */
		{ "2026-11-26T16:35:09.1Z", 1795710909100LL },
		{ "2024-02-29T00:00:00Z", 1709164800000LL },
		{ "2000-02-29T12:00:00Z", 951825600000LL },
		{ "2024-03-01T00:00:00+05:30", 1709231400000LL },
		{ "1969-12-31T23:59:59.999Z", -1 },
		{ "2016-12-31T23:59:60Z", 1483228800000LL },		/* leap second */
		/* The ends of what ts_format writes, reached through offsets too. */
		{ "0000-01-01T00:00:00Z", -62167219200000LL },
		{ "0000-01-01T00:00:00-23:59", -62167132860000LL },
		{ "9999-12-31T23:59:59.999Z", 253402300799999LL },
		{ "9999-12-31T23:59:59.999+23:59", 253402214459999LL },
	};
	int64_t		ms;
	const char	*why = NULL;
	size_t		i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_msg(ts_parse(t[i].s, &ms, &why) == 0, "%s: %s", t[i].s, why);
		ck_assert_msg(ms == t[i].ms, "%s: %lld want %lld", t[i].s,
		    (long long)ms, t[i].ms);
	}
}
END_TEST

START_TEST(test_parse_errors)
{
	static const struct { const char *s, *why; } t[] = {
		{ "2026-11-26T16:35:09", "missing time zone" },
		{ "2026-11-26T16:35:09.5", "missing time zone" },
		{ "2026-11-26T16:35:09 Z", "bad time zone" },
		{ "2026-11-26T16:35:09+05", "bad time zone offset" },
		{ "2026-11-26T16:35:09+24:00", "bad time zone offset" },
		{ "2026-11-26T16:35:09+05:60", "bad time zone offset" },
		{ "2026-13-01T00:00:00Z", "bad month" },
		{ "2026-1-01T00:00:00Z", "bad month" },
		{ "2023-02-29T00:00:00Z", "bad day" },
		{ "2100-02-29T00:00:00Z", "bad day" },
		{ "2026-04-31T00:00:00Z", "bad day" },
		{ "2026-11-00T00:00:00Z", "bad day" },
		{ "2026-11-26T25:00:00Z", "bad hour" },
		{ "2026-11-26T16:60:00Z", "bad minute" },
		{ "2026-11-26T16:35:61Z", "bad second" },
		{ "2026-11-26T16:35Z", "bad minute" },
		{ "2026-11-26T16:35:09.Z", "bad fraction of second" },
		{ "26-11-26T16:35:09Z", "bad year" },
		{ "garbage", "bad year" },
		{ "", "bad year" },
		{ "2026-11-26", "missing time" },
		{ "2026-11-26X16:35:09Z", "expected 'T' between date and time" },
		{ "2026-11-26T16:35:09Zjunk", "trailing characters" },
		{ "1795710909123", "bad year" },
		/* In UTC before year 0 or after 9999: no canonical form. */
		{ "0000-01-01T00:00:00+00:01", "out of range" },
		{ "0000-01-01T00:59:59.999+01:00", "out of range" },
		{ "9999-12-31T23:59:60Z", "out of range" },
		{ "9999-12-31T23:00:00-01:00", "out of range" },
	};
	int64_t		ms;
	const char	*why;
	size_t		i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		why = NULL;
		ck_assert_msg(ts_parse(t[i].s, &ms, &why) == -1, "accepted %s", t[i].s);
		ck_assert_msg(why != NULL && strcmp(why, t[i].why) == 0,
		    "%s: %s, want %s", t[i].s, why, t[i].why);
	}
	ck_assert_int_eq(ts_parse("x", &ms, NULL), -1);
}
END_TEST

START_TEST(test_round_trip)
{
	char	buf[TS_LEN];
	int64_t	ms, back;
	int	i;

	/* Every day boundary of a leap year and some odd milliseconds. */
	for (i = 0; i < 2 * 366; i++) {
		ms = 1704067200000LL + (int64_t)i * 43200000 + i * 7 % 1000;
		ts_format(buf, ms);
		ck_assert_int_eq(ts_parse(buf, &back, NULL), 0);
		ck_assert_int_eq(back, ms);
	}
}
END_TEST

START_TEST(test_clocks)
{
	char	buf[TS_LEN];
	int64_t	a, b, now, parsed;

	a = ts_mono_us();
	b = ts_mono_us();
	ck_assert_int_ge(b, a);
	now = ts_now_ms();
	/* Sanity: after 2020 and ts_now formats the same clock. */
	ck_assert_int_gt(now, 1577836800000LL);
	ts_now(buf);
	ck_assert_int_eq(ts_parse(buf, &parsed, NULL), 0);
	ck_assert_int_ge(parsed, now);
	ck_assert_int_eq(buf[TS_LEN - 2], 'Z');
}
END_TEST

START_TEST(test_uuid_v4)
{
	char	a[UUIDSTR_LEN], b[UUIDSTR_LEN];
	uuid_t	u;

	uuidstr_v4(a);
	uuidstr_v4(b);
	ck_assert_uint_eq(strlen(a), 36);
	ck_assert_str_ne(a, b);
	ck_assert(uuidstr_valid(a));
	ck_assert_int_eq(a[14], '4');
	ck_assert(strchr("89ab", a[19]) != NULL);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef-"), 36);
	ck_assert_int_eq(uuid_parse(a, u), 0);
}
END_TEST

START_TEST(test_uuid_valid)
{
	static const char *const good[] = {
		"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70",
		"3F1C2A4E-8B7D-4C2E-9A1F-2B3C4D5E6F70",
		"00000000-0000-0000-0000-000000000000",
	};
	static const char *const bad[] = {
		"", "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f7",
		"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f700",
		"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f7g",
		"3f1c2a4e_8b7d-4c2e-9a1f-2b3c4d5e6f70",
		"3f1c2a4e-8b7d-4c2e-9a1f2-b3c4d5e6f70",
		"{3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f7}",
		" 3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f7",
	};
	uuid_t	u;
	size_t	i;

	/* Same verdict as libuuid's own parser. */
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert(uuidstr_valid(good[i]));
		ck_assert_int_eq(uuid_parse(good[i], u), 0);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(!uuidstr_valid(bad[i]), "accepted %s", bad[i]);
		ck_assert_int_eq(uuid_parse(bad[i], u), -1);
	}
}
END_TEST

/* The suite. */
static Suite *
timefmt_suite(void)
{
	Suite	*s = suite_create("timefmt");
	TCase	*tc = tcase_create("time");

	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_parse_values);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_clocks);
	tcase_add_test(tc, test_uuid_v4);
	tcase_add_test(tc, test_uuid_valid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(timefmt_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
