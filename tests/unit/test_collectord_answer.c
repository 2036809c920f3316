/*
 * test_collectord_answer.c: reading the gateway's 422 detail, which comes
 * from the network: well-formed answers, several entries for one event,
 * and malformed, out-of-range, hostile and oversized ones.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"

/* Parse s for a batch of n. */
static char **
parse(const char *s, size_t n, size_t *named)
{
	return answer_422(s, strlen(s), n, named);
}

START_TEST(test_named_events)
{
	char	**r;
	size_t	  named;

	r = parse("{\"detail\":[{\"loc\":[\"events\",1,\"agent_id\"],"
	    "\"msg\":\"field required\",\"type\":\"missing\"},"
	    "{\"loc\":[\"events\",3,\"metadata\",\"budget_total\"],"
	    "\"msg\":\"must be a number\",\"type\":\"float_type\"}]}", 5,
	    &named);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(named, 2);
	ck_assert_ptr_null(r[0]);
	ck_assert_str_eq(r[1], "agent_id: field required");
	ck_assert_ptr_null(r[2]);
	ck_assert_str_eq(r[3], "metadata.budget_total: must be a number");
	ck_assert_ptr_null(r[4]);
	answer_free(r, 5);
}
END_TEST

START_TEST(test_several_for_one)
{
	char	**r;
	size_t	  named;

	r = parse("{\"detail\":[{\"loc\":[\"events\",0,\"a\"],\"msg\":\"x\"},"
	    "{\"loc\":[\"events\",0],\"msg\":\"y\"}]}", 1, &named);
	ck_assert_uint_eq(named, 1);
	ck_assert_str_eq(r[0], "a: x; y");
	answer_free(r, 1);
}
END_TEST

START_TEST(test_not_an_answer)
{
	size_t	named;

	ck_assert_ptr_null(parse("", 3, &named));
	ck_assert_ptr_null(parse("not json", 3, &named));
	ck_assert_ptr_null(parse("{\"detail\":\"string\"}", 3, &named));
	ck_assert_ptr_null(parse("[1,2]", 3, &named));
	ck_assert_ptr_null(parse("{\"detail\":[]} trailing", 3, &named));
	ck_assert_ptr_null(answer_422(NULL, 0, 3, &named));
	ck_assert_uint_eq(named, 0);
}
END_TEST

START_TEST(test_hostile_entries)
{
	char	**r;
	size_t	  named, i;

	/* Nothing here names an event of a batch of 2. */
	r = parse("{\"detail\":["
	    "1, null, \"x\", {}, {\"loc\":\"events\"}, {\"loc\":[]},"
	    "{\"loc\":[\"events\"]},"
	    "{\"loc\":[\"body\",0]},"
	    "{\"loc\":[\"events\",-1]},"
	    "{\"loc\":[\"events\",2]},"
	    "{\"loc\":[\"events\",9223372036854775807]},"
	    "{\"loc\":[\"events\",1.0]},"
	    "{\"loc\":[\"events\",\"1\"]},"
	    "{\"loc\":[0,1]}"
	    "]}", 2, &named);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(named, 0);
	for (i = 0; i < 2; i++)
		ck_assert_ptr_null(r[i]);
	answer_free(r, 2);
	/* A message that is not a string, a path of odd parts. */
	r = parse("{\"detail\":[{\"loc\":[\"events\",0,{\"a\":1},7,null],"
	    "\"msg\":{\"evil\":true}}]}", 1, &named);
	ck_assert_uint_eq(named, 1);
	ck_assert_ptr_nonnull(strstr(r[0], "refused"));
	answer_free(r, 1);
}
END_TEST

START_TEST(test_oversized)
{
	char	**r, *body, *p;
	size_t	  named, i, cap = 4 * 1024 * 1024;

	/* 20,000 long messages for one event: the reason stays bounded. */
	p = body = malloc(cap);
	p += sprintf(p, "{\"detail\":[");
	for (i = 0; i < 20000; i++) {
		p += sprintf(p, "%s{\"loc\":[\"events\",0,\"f\"],\"msg\":\"", i ?
		    "," : "");
		memset(p, 'm', 100);
		p += 100;
		p += sprintf(p, "\"}");
	}
	p += sprintf(p, "]}");
	r = answer_422(body, p - body, 1, &named);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(named, 1);
	ck_assert_uint_le(strlen(r[0]), 1024);
	answer_free(r, 1);
	/* Deeply nested: refused by the parser's depth limit, no crash. */
	p = body;
	p += sprintf(p, "{\"detail\":");
	for (i = 0; i < 100000; i++)
		*p++ = '[';
	*p = '\0';
	ck_assert_ptr_null(answer_422(body, p - body, 1, &named));
	free(body);
}
END_TEST

static Suite *
answer_suite(void)
{
	Suite	*s = suite_create("collectord answer");
	TCase	*tc = tcase_create("422");

	/* Generous: sanitizers and valgrind on a busy machine are slow. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_named_events);
	tcase_add_test(tc, test_several_for_one);
	tcase_add_test(tc, test_not_an_answer);
	tcase_add_test(tc, test_hostile_entries);
	tcase_add_test(tc, test_oversized);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(answer_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
