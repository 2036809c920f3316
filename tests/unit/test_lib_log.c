/*
 * test_lib_log.c: the rate limit of log lines: one line per interval and
 * call site, and the count of the held-back ones on the next.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define SEC	1000000LL

/* Send stderr to a fresh temporary file; returns it. */
static FILE *
capture(void)
{
	FILE	*f = tmpfile();

	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	ck_assert_int_ne(dup2(fileno(f), STDERR_FILENO), -1);
	log_init("t", LOG_TO_STDERR, 0);
	return f;
}

/* What was logged since capture(), NUL-terminated in buf. */
static const char *
captured(FILE *f, char *buf, size_t size)
{
	size_t	n;

	fflush(stderr);
	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	return buf;
}

START_TEST(test_pass)
{
	struct log_limit	l;
	unsigned long		held = 99;
	int64_t			since = 99, t = 1000 * SEC;
	int			i;

	memset(&l, 0, sizeof l);
	ck_assert_int_eq(log_limit_pass(&l, t, &held, &since), 1);
	ck_assert_uint_eq(held, 0);
	ck_assert_int_eq(since, 0);
	for (i = 0; i < 312; i++)
		ck_assert_int_eq(log_limit_pass(&l, t + i * 1000, &held,
		    &since), 0);
	/* The interval is LOG_LIMIT_SEC from the last line that went out. */
	ck_assert_int_eq(log_limit_pass(&l, t + LOG_LIMIT_SEC * SEC - 1, &held,
	    &since), 0);
	ck_assert_int_eq(log_limit_pass(&l, t + LOG_LIMIT_SEC * SEC, &held,
	    &since), 1);
	ck_assert_uint_eq(held, 313);
	ck_assert_int_eq(since, LOG_LIMIT_SEC * SEC);
	/* Quiet for a long time: the next goes out at once, nothing held. */
	t += 3600 * SEC;
	ck_assert_int_eq(log_limit_pass(&l, t, &held, &since), 1);
	ck_assert_uint_eq(held, 0);
	ck_assert_int_eq(since, 3600 * SEC - LOG_LIMIT_SEC * SEC);
	/* A clock that reads 0 still counts as a line that went out. */
	memset(&l, 0, sizeof l);
	ck_assert_int_eq(log_limit_pass(&l, 0, &held, &since), 1);
	ck_assert_int_eq(log_limit_pass(&l, 1, &held, &since), 0);
}
END_TEST

START_TEST(test_lines)
{
	struct log_limit	l;
	FILE			*f = capture();
	char			 buf[4096];
	int			 i;

	memset(&l, 0, sizeof l);
	for (i = 0; i < 100; i++) {
		errno = ENOSPC;
		log_limit_warn(&l, "spool: %s/ack.tmp", "/s");
		ck_assert_int_eq(errno, ENOSPC);
	}
	ck_assert_str_eq(captured(f, buf, sizeof buf),
	    "t: spool: /s/ack.tmp: No space left on device\n");
	/* As if the interval had passed: the next line tells the 99. */
	l.last_us -= (LOG_LIMIT_SEC + 1) * SEC;
	errno = EMFILE;
	log_limit_warn(&l, "accept");
	log_limit_warn(&l, "accept");
	ck_assert_str_eq(captured(f, buf, sizeof buf),
	    "t: spool: /s/ack.tmp: No space left on device\n"
	    "t: accept: Too many open files (99 more like this in the last "
	    "11 s)\n");
	fclose(f);
}
END_TEST

START_TEST(test_sites)
{
	FILE	*f = capture();
	char	 buf[4096];
	int	 i;

	/* Each call site has its own limit; lines of one do not hold others. */
	for (i = 0; i < 50; i++) {
		log_warnx_limited("bad line %d", i);
		log_info_limited("slow client %d", i);
	}
	ck_assert_str_eq(captured(f, buf, sizeof buf),
	    "t: bad line 0\nt: slow client 0\n");
	fclose(f);
}
END_TEST

/* The suite. */
static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("limit");

	tcase_add_test(tc, test_pass);
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_sites);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(log_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
