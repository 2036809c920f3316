/*
 * test_gatewayd_ingest.c: the ingest body parser and the 422 detail
 * builder, on good, malformed, oversized-looking and hostile bodies. What
 * is asserted is the JSON a client would get back.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "ingest.h"
#include "xmalloc.h"

/* A valid event with event_id ending in n. */
static char *
event(int n)
{
	return xasprintf("{\"event_type\":\"task_started\","
	    "\"timestamp\":\"2026-11-26T16:35:09.123Z\","
	    "\"event_id\":\"00000000-0000-4000-8000-%012d\","
	    "\"agent_id\":\"a1\",\"agent_name\":\"coder\","
	    "\"agent_role\":\"worker\",\"operation\":\"write_file\","
	    "\"status\":\"success\",\"metadata\":{\"session_id\":\"s\"}}", n);
}

/* Parse text; return the status, fill b and the reply's text. */
static int
parse(const char *text, long long count, struct ingest_batch *b,
    char **reply_text)
{
	struct json_object	*reply = NULL;
	int			 st;

	st = ingest_parse(text, strlen(text), count, 0, b, &reply);
	*reply_text = NULL;
	if (reply != NULL) {
		*reply_text = xstrdup(avjson_str(reply, NULL));
		json_object_put(reply);
	}
	return st;
}

START_TEST(test_batch_body)
{
	struct ingest_batch	 b;
	char			*e1 = event(1), *e2 = event(2), *body, *r;

	body = xasprintf("{\"events\":[%s,%s],\"batch_id\":\"b-1\","
	    "\"timestamp\":\"2026-11-26T16:35:09.200Z\"}", e1, e2);
	ck_assert_int_eq(parse(body, 2, &b, &r), 0);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(b.n, 2);
	ck_assert_str_eq(b.batch_id, "b-1");
	ck_assert_int_eq(b.single, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    b.evs[1], "event_id")), "00000000-0000-4000-8000-000000000002");
	ingest_batch_free(&b);
	free(body);
	free(e1);
	free(e2);
}
END_TEST

START_TEST(test_single_event)
{
	struct ingest_batch	 b;
	char			*e = event(7), *r;

	ck_assert_int_eq(parse(e, -1, &b, &r), 0);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_int_eq(b.single, 1);
	ck_assert_uint_eq(strlen(b.batch_id), 36);	/* made up: a uuid */
	ingest_batch_free(&b);
	ck_assert_int_eq(parse(e, 2, &b, &r), 400);
	ck_assert_str_eq(r, "{\"detail\":\"X-Event-Count is 2 but the body "
	    "holds 1 events\"}");
	free(r);
	free(e);
}
END_TEST

START_TEST(test_empty_batch)
{
	struct ingest_batch	 b;
	char			*r;

	ck_assert_int_eq(parse("{\"events\":[]}", 0, &b, &r), 0);
	ck_assert_uint_eq(b.n, 0);
	ingest_batch_free(&b);
}
END_TEST

START_TEST(test_malformed)
{
	struct ingest_batch	 b;
	char			*r;

	ck_assert_int_eq(parse("{\"events\":[1,]}", -1, &b, &r), 400);
	ck_assert_ptr_nonnull(strstr(r, "\"position\":13"));
	ck_assert_ptr_nonnull(strstr(r, "malformed JSON at byte 13"));
	free(r);
	ck_assert_int_eq(parse("", -1, &b, &r), 400);
	ck_assert_ptr_nonnull(strstr(r, "\"position\":0"));
	free(r);
	ck_assert_int_eq(parse("{} trailing", -1, &b, &r), 400);
	free(r);
}
END_TEST

START_TEST(test_nul_byte)
{
	struct ingest_batch	 b;
	struct json_object	*reply = NULL;
	static const char	 body[] = "{\"events\":[]\0}";

	ck_assert_int_eq(ingest_parse(body, sizeof body - 1, -1, 0, &b, &reply),
	    400);
	json_object_put(reply);
}
END_TEST

START_TEST(test_deep_nesting)
{
	struct ingest_batch	 b;
	char			*body, *r;
	int			 i, n = 100000;

	/* Hostile: far deeper than any event may be. */
	body = xmalloc((size_t)n * 2 + 1);
	for (i = 0; i < n; i++) {
		body[i] = '[';
		body[n + i] = ']';
	}
	body[2 * n] = '\0';
	ck_assert_int_eq(parse(body, -1, &b, &r), 400);
	free(r);
	free(body);
}
END_TEST

START_TEST(test_shapes)
{
	struct ingest_batch	 b;
	char			*r;

	ck_assert_int_eq(parse("[1,2]", -1, &b, &r), 422);
	ck_assert_str_eq(r, "{\"detail\":[{\"loc\":[\"body\"],\"msg\":\"Input "
	    "should be an object (a batch or one event)\",\"type\":"
	    "\"object_type\"}]}");
	free(r);
	ck_assert_int_eq(parse("{\"events\":{}}", -1, &b, &r), 422);
	ck_assert_ptr_nonnull(strstr(r, "\"loc\":[\"body\",\"events\"]"));
	free(r);
	ck_assert_int_eq(parse("{\"events\":[],\"batch_id\":5}", -1, &b, &r),
	    422);
	ck_assert_ptr_nonnull(strstr(r, "\"loc\":[\"body\",\"batch_id\"]"));
	free(r);
}
END_TEST

START_TEST(test_one_bad_refuses_all)
{
	struct ingest_batch	 b;
	char			*e1 = event(1), *body, *r;

	/* The third event has a bad type and no agent_name. */
	body = xasprintf("{\"events\":[%s,%s,{\"event_type\":\"nope\"}]}",
	    e1, e1);
	ck_assert_int_eq(parse(body, 3, &b, &r), 422);
	ck_assert_ptr_null(b.evs);	/* nothing handed back to store */
	ck_assert_ptr_nonnull(strstr(r, "{\"loc\":[\"events\",2,"
	    "\"event_type\"],\"msg\":"));
	ck_assert_ptr_nonnull(strstr(r, "{\"loc\":[\"events\",2,"
	    "\"agent_name\"],\"msg\":\"field required\",\"type\":"
	    "\"missing\"}"));
	ck_assert_ptr_null(strstr(r, "[\"events\",0"));
	ck_assert_ptr_nonnull(strstr(r, "\"rejected\":3,\"invalid\":1"));
	free(r);
	free(body);
	free(e1);
}
END_TEST

START_TEST(test_inexact_numbers)
{
	static const struct {
		const char	*metadata, *loc, *type;
	} t[] = {
		{ "{\"n\":1234567890123456789012345}",
		    "[\"events\",1,\"metadata\",\"n\"]", "int_parsing_size" },
		{ "{\"n\":18446744073709551615}",
		    "[\"events\",1,\"metadata\",\"n\"]", "int_parsing_size" },
		{ "{\"n\":-0}", "[\"events\",1,\"metadata\",\"n\"]",
		    "int_parsing_size" },
		{ "{\"x\":{\"y\":[1e400]}}",
		    "[\"events\",1,\"metadata\",\"x\",\"y\",\"0\"]",
		    "finite_number" },
		{ "{\"s\":\"\\u0000\"}", "[\"events\",1,\"metadata\",\"s\"]",
		    "string_pattern_mismatch" },
	};
	struct ingest_batch	 b;
	char			*e0 = event(1), *e1, *body, *r, *want;
	size_t			 i;

	/* 422 with the field's loc; the whole batch refused, nothing stored. */
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		e1 = event(2);
		*strstr(e1, "\"metadata\":") = '\0';
		body = xasprintf("{\"events\":[%s,%s\"metadata\":%s}]}", e0,
		    e1, t[i].metadata);
		ck_assert_int_eq(parse(body, 2, &b, &r), 422);
		ck_assert_ptr_null(b.evs);
		want = xasprintf("{\"loc\":%s,", t[i].loc);
		ck_assert_msg(strstr(r, want) != NULL, "%s: %s", body, r);
		free(want);
		want = xasprintf("\"type\":\"%s\"", t[i].type);
		ck_assert_msg(strstr(r, want) != NULL, "%s: %s", body, r);
		free(want);
		free(r);
		free(body);
		free(e1);
	}
	/* A single event: loc starts at body. */
	e1 = event(3);
	*strstr(e1, "\"metadata\":") = '\0';
	body = xasprintf("%s\"metadata\":{\"n\":9223372036854775808}}", e1);
	ck_assert_int_eq(parse(body, -1, &b, &r), 422);
	ck_assert_ptr_nonnull(strstr(r, "{\"loc\":[\"body\",\"metadata\",\"n\"],"
	    "\"msg\":\"integer outside the signed 64-bit range\","
	    "\"type\":\"int_parsing_size\"}"));
	free(r);
	free(body);
	free(e1);
	free(e0);
}
END_TEST

START_TEST(test_detail_paths)
{
	struct json_object	*d;
	struct evt_error	 errs[3];

	memset(errs, 0, sizeof errs);
	strcpy(errs[0].field, "metadata.budget_total");
	strcpy(errs[0].msg, "must be a number");
	errs[0].type = "float_type";
	strcpy(errs[1].field, "");
	strcpy(errs[1].msg, "must be an object");
	errs[1].type = NULL;
	strcpy(errs[2].field, "metadata..x.");
	strcpy(errs[2].msg, "m");
	errs[2].type = "t";
	d = json_object_new_array();
	ck_assert_int_eq(ingest_detail_add(d, 3, errs, 3), 3);
	ck_assert_int_eq(ingest_detail_add(d, -1, errs, 1), 1);
	ck_assert_str_eq(avjson_str(d, NULL), "["
	    "{\"loc\":[\"events\",3,\"metadata\",\"budget_total\"],"
	    "\"msg\":\"must be a number\",\"type\":\"float_type\"},"
	    "{\"loc\":[\"events\",3],\"msg\":\"must be an object\","
	    "\"type\":\"value_error\"},"
	    "{\"loc\":[\"events\",3,\"metadata\",\"x\"],\"msg\":\"m\","
	    "\"type\":\"t\"},"
	    "{\"loc\":[\"body\",\"metadata\",\"budget_total\"],"
	    "\"msg\":\"must be a number\",\"type\":\"float_type\"}]");
	json_object_put(d);
}
END_TEST

START_TEST(test_detail_capped)
{
	struct ingest_batch	 b;
	struct json_object	*reply = NULL, *d;
	char			*body;
	size_t			 i, len = 0, cap = 4096;

	/* 500 empty events: every field missing, detail stays bounded. */
	body = xmalloc(cap);
	len = (size_t)snprintf(body, cap, "{\"events\":[");
	for (i = 0; i < 500; i++) {
		if (len + 4 >= cap)
			body = xreallocarray(body, 1, cap *= 2);
		len += (size_t)snprintf(body + len, cap - len, "%s{}",
		    i ? "," : "");
	}
	body = xreallocarray(body, 1, len + 3);
	strcpy(body + len, "]}");
	ck_assert_int_eq(ingest_parse(body, strlen(body), -1, 0, &b, &reply),
	    422);
	d = json_object_object_get(reply, "detail");
	ck_assert_int_eq((int)json_object_array_length(d), INGEST_MAX_DETAIL);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(reply,
	    "invalid")), 500);
	json_object_put(reply);
	free(body);
}
END_TEST

START_TEST(test_origin_allowed_seq_refused)
{
	struct ingest_batch	 b;
	struct json_object	*reply = NULL;
	char			*e = event(1), *body, *r, *p;

	/* collectord stamps metadata.origin: gatewayd takes it from one. */
	p = strstr(e, "\"session_id\"");
	body = xasprintf("%.*s\"origin\":{\"uid\":1000,\"gid\":1000,"
	    "\"pid\":42,\"via\":\"socket\"},%s", (int)(p - e), e, p);
	ck_assert_int_eq(ingest_parse(body, strlen(body), -1, 1, &b, &reply),
	    0);
	ck_assert_ptr_null(reply);
	ingest_batch_free(&b);
	/* From anyone else it is refused, by name. */
	ck_assert_int_eq(parse(body, -1, &b, &r), 422);
	ck_assert_ptr_nonnull(strstr(r, "{\"loc\":[\"body\",\"metadata\","
	    "\"origin\"],\"msg\":\"origin may only be set by an "
	    "authenticated collectord"));
	free(r);
	free(body);
	/* seq is gatewayd's to assign. */
	body = xasprintf("{\"seq\":5,%s", e + 1);
	ck_assert_int_eq(parse(body, -1, &b, &r), 422);
	ck_assert_ptr_nonnull(strstr(r, "\"loc\":[\"body\",\"seq\"]"));
	free(r);
	free(body);
	free(e);
}
END_TEST

static Suite *
ingest_suite(void)
{
	Suite	*s = suite_create("gatewayd_ingest");
	TCase	*tc = tcase_create("parse");

	tcase_add_test(tc, test_batch_body);
	tcase_add_test(tc, test_single_event);
	tcase_add_test(tc, test_empty_batch);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_one_bad_refuses_all);
	tcase_add_test(tc, test_inexact_numbers);
	tcase_add_test(tc, test_detail_paths);
	tcase_add_test(tc, test_detail_capped);
	tcase_add_test(tc, test_origin_allowed_seq_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(ingest_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
