/*
 * test_gatewayd_limits.c: the token-bucket rate limiter (time driven by
 * the test), the listen-address parser and loopback rule, and the token
 * table built from gatewayd.conf (formats, refusals, lookups).
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "ratelimit.h"
#include "xmalloc.h"

#define SEC 1000000LL

START_TEST(test_burst_then_refill)
{
	struct ratelimit	*rl = ratelimit_new(2, 3, 16);
	int64_t			 t = 5 * SEC;

	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	/* Burst spent: one more comes back in half a second -> 1 s. */
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 1);
	/* Another key is not affected. */
	ck_assert_int_eq(ratelimit_take(rl, "b", t), 0);
	ck_assert_int_eq(ratelimit_take(rl, "a", t + SEC / 2), 0);
	ck_assert_int_eq(ratelimit_take(rl, "a", t + SEC / 2), 1);
	/* Long idle refills to the burst, not beyond. */
	t += 100 * SEC;
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 0);
	ck_assert_int_eq(ratelimit_take(rl, "a", t), 1);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_retry_after_seconds)
{
	struct ratelimit	*rl = ratelimit_new(0.2, 1, 16);

	ck_assert_int_eq(ratelimit_take(rl, "k", 0), 0);
	/* 0.2/s: the next one in 5 s. */
	ck_assert_int_eq(ratelimit_take(rl, "k", 0), 5);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_unlimited)
{
	struct ratelimit	*rl = ratelimit_new(0, 1, 16);
	int			 i;

	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(ratelimit_take(rl, "k", 0), 0);
	ck_assert_uint_eq(ratelimit_count(rl), 0);
	ratelimit_set(rl, 1, 1);
	ck_assert_int_eq(ratelimit_take(rl, "k", 0), 0);
	ck_assert_int_ne(ratelimit_take(rl, "k", 0), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_table_bounded)
{
	struct ratelimit	*rl = ratelimit_new(1, 2, 8);
	char			 key[32];
	int			 i;

	/* Eight busy clients fill the table; a ninth is refused... */
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof key, "10.0.0.%d", i);
		ck_assert_int_eq(ratelimit_take(rl, key, 0), 0);
	}
	ck_assert_int_eq(ratelimit_take(rl, "10.0.1.1", 0), 1);
	ck_assert_uint_eq(ratelimit_count(rl), 8);
	/* ...until the others went quiet long enough to be forgotten. */
	ck_assert_int_eq(ratelimit_take(rl, "10.0.1.1", 10 * SEC), 0);
	ck_assert_uint_eq(ratelimit_count(rl), 1);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_listen)
{
	char	 addr[64], *cause = NULL;
	int	 port;

	ck_assert_int_eq(gwconf_listen("127.0.0.1:8000", addr, sizeof addr,
	    &port, &cause), 0);
	ck_assert_str_eq(addr, "127.0.0.1");
	ck_assert_int_eq(port, 8000);
	ck_assert_int_eq(gwconf_listen("[::1]:9", addr, sizeof addr, &port,
	    &cause), 0);
	ck_assert_str_eq(addr, "::1");
	ck_assert_int_eq(port, 9);
	ck_assert_int_eq(gwconf_listen("0.0.0.0:65535", addr, sizeof addr,
	    &port, &cause), 0);
	ck_assert_int_eq(gwconf_is_loopback(addr), 0);
	ck_assert_int_eq(gwconf_is_loopback("127.0.0.2"), 1);
	ck_assert_int_eq(gwconf_is_loopback("::1"), 1);
	ck_assert_int_eq(gwconf_is_loopback("localhost"), 1);
	ck_assert_int_eq(gwconf_is_loopback("128.0.0.1"), 0);
	ck_assert_int_eq(gwconf_is_loopback("::ffff:127.0.0.1"), 1);
	ck_assert_int_eq(gwconf_is_loopback("LocalHost"), 1);
	/* Names that merely look like loopback are not. */
	ck_assert_int_eq(gwconf_is_loopback("127.0.0.1.evil.example"), 0);
	ck_assert_int_eq(gwconf_is_loopback("localhost.evil.example"), 0);
	ck_assert_int_eq(gwconf_is_loopback("::2"), 0);
	ck_assert_int_eq(gwconf_is_loopback(""), 0);
	ck_assert_int_eq(gwconf_listen("127.0.0.1", addr, sizeof addr,
	    &port, &cause), -1);
	free(cause);
	ck_assert_int_eq(gwconf_listen("127.0.0.1:0", addr, sizeof addr,
	    &port, &cause), -1);
	free(cause);
	ck_assert_int_eq(gwconf_listen("127.0.0.1:70000", addr, sizeof addr,
	    &port, &cause), -1);
	free(cause);
	ck_assert_int_eq(gwconf_listen("127.0.0.1:80x", addr, sizeof addr,
	    &port, &cause), -1);
	free(cause);
	ck_assert_int_eq(gwconf_listen("[::1:80", addr, sizeof addr, &port,
	    &cause), -1);
	free(cause);
	ck_assert_int_eq(gwconf_listen("a-very-long-host-name-that-does-not-"
	    "fit-in-the-buffer-at-all.example:80", addr, 16, &port, &cause),
	    -1);
	free(cause);
}
END_TEST

/* Load text as gatewayd.conf and build the token table. */
static int
tokens(const char *text, struct gw_auth *a, char **cause)
{
	struct gw_config	c;
	int			rc;

	memset(&c, 0, sizeof c);
	ck_assert_int_eq(conf_defaults(gw_conf_keys, &c, cause), 0);
	if (conf_load_buf("test.conf", text, strlen(text), gw_conf_keys, &c,
	    cause) != 0) {
		conf_free(gw_conf_keys, &c);
		return -1;
	}
	rc = auth_load(a, &c, cause);
	conf_free(gw_conf_keys, &c);
	return rc;
}

START_TEST(test_tokens)
{
	struct gw_auth		 a;
	const struct gw_token	*t;
	char			*cause = NULL;

	ck_assert_int_eq(tokens("ingest_tokens = ingest-aaaa1, ingest-bbbb2\n"
	    "user_tokens = usr1-token:alice\n"
	    "user_tokens = usr2-token:bob:projB\n"
	    "admin_tokens = admin-token\n", &a, &cause), 0);
	ck_assert_uint_eq(a.n, 5);
	ck_assert_uint_eq(a.ningest, 2);
	ck_assert_uint_eq(a.nuser, 2);
	ck_assert_uint_eq(a.nadmin, 1);
	t = auth_find(&a, "ingest-bbbb2");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->kind, GW_TOK_INGEST);
	t = auth_find(&a, "usr2-token");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->user, "bob");
	ck_assert_str_eq(t->project, "projB");
	t = auth_find(&a, "usr1-token");
	ck_assert_str_eq(t->user, "alice");
	ck_assert_ptr_null(t->project);
	ck_assert_ptr_null(auth_find(&a, "usr1-toke"));
	ck_assert_ptr_null(auth_find(&a, "usr1-tokenX"));
	ck_assert_ptr_null(auth_find(&a, ""));
	ck_assert_ptr_null(auth_find(&a, NULL));
	auth_free(&a);
}
END_TEST

START_TEST(test_tokens_refused)
{
	static const char	*bad[] = {
		"ingest_tokens = short\n",
		"user_tokens = no-user-here\n",
		"user_tokens = usr1-token:\n",
		"user_tokens = usr1-token:a:b:c\n",
		"user_tokens = :alice\n",
		"user_token_file = /nonexistent/users\n",
	};
	struct gw_auth	 a;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		ck_assert_msg(tokens(bad[i], &a, &cause) == -1, "accepted %s",
		    bad[i]);
		ck_assert_ptr_nonnull(cause);
		free(cause);
	}
}
END_TEST

START_TEST(test_token_files)
{
	char		 dir[] = "/tmp/test_gw_tokens.XXXXXX", path[256];
	char		 text[512], *cause = NULL;
	struct gw_auth	 a;
	FILE		*fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/users", dir);
	fp = fopen(path, "w");
	fputs("# user tokens\n\ncarol-token carol\n"
	    "dave-token  dave  projD  # scoped\n"
	    "erin-token:erin:projE\n", fp);	/* the configuration's form */
	fclose(fp);
	chmod(path, 0600);
	snprintf(text, sizeof text, "user_token_file = %s\n", path);
	ck_assert_int_eq(tokens(text, &a, &cause), 0);
	ck_assert_uint_eq(a.nuser, 3);
	ck_assert_str_eq(auth_find(&a, "dave-token")->project, "projD");
	ck_assert_str_eq(auth_find(&a, "erin-token")->user, "erin");
	auth_free(&a);

	/* Readable by others: refused. */
	chmod(path, 0644);
	ck_assert_int_eq(tokens(text, &a, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "readable by others"));
	free(cause);
	cause = NULL;

	/* A line with too many fields names its line. */
	fp = fopen(path, "w");
	fputs("ok-token-1 ok\nbad-token-1 a b c\n", fp);
	fclose(fp);
	chmod(path, 0600);
	ck_assert_int_eq(tokens(text, &a, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "users:2:"));
	free(cause);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite	*s = suite_create("gatewayd_limits");
	TCase	*tc = tcase_create("limits");

	tcase_add_test(tc, test_burst_then_refill);
	tcase_add_test(tc, test_retry_after_seconds);
	tcase_add_test(tc, test_unlimited);
	tcase_add_test(tc, test_table_bounded);
	tcase_add_test(tc, test_listen);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_tokens_refused);
	tcase_add_test(tc, test_token_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(limits_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
