/*
 * test_lib_proto.c: the reply lines and request parsing of the local
 * protocol (agentvis-events(7)): exact bytes, escaping, truncation, round
 * trips.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "proto.h"

static const char good_event[] =
    "{\"event_type\":\"task_started\",\"timestamp\":\"2026-11-26T16:35:09.123Z\","
    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\",\"agent_id\":\"a1\","
    "\"agent_name\":\"coder\",\"agent_role\":\"worker\",\"operation\":\"task\","
    "\"status\":\"success\",\"metadata\":{}}";

START_TEST(test_err_names)
{
	ck_assert_str_eq(proto_err_name(PROTO_VALIDATION), "validation");
	ck_assert_str_eq(proto_err_name(PROTO_TOO_LARGE), "too_large");
	ck_assert_str_eq(proto_err_name(PROTO_BUSY), "busy");
	ck_assert_str_eq(proto_err_name(PROTO_INTERNAL), "internal");
	ck_assert_int_eq(proto_err_lookup("validation"), PROTO_VALIDATION);
	ck_assert_int_eq(proto_err_lookup("too_large"), PROTO_TOO_LARGE);
	ck_assert_int_eq(proto_err_lookup("busy"), PROTO_BUSY);
	ck_assert_int_eq(proto_err_lookup("internal"), PROTO_INTERNAL);
	ck_assert_int_eq(proto_err_lookup("ok"), -1);
	ck_assert_int_eq(proto_err_lookup("nope"), -1);
}
END_TEST

START_TEST(test_reply_ok_bytes)
{
	char	buf[128];
	size_t	n;

	n = proto_reply_ok(buf, sizeof buf, "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70");
	ck_assert_str_eq(buf,
	    "{\"ok\":true,\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\"}\n");
	ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

START_TEST(test_reply_err_bytes)
{
	char	buf[PROTO_REPLY_MAX + 1];
	size_t	n;

	n = proto_reply_err(buf, sizeof buf, PROTO_VALIDATION, "agent_id: field required");
	ck_assert_str_eq(buf, "{\"ok\":false,\"error\":\"validation\","
	    "\"detail\":\"agent_id: field required\"}\n");
	ck_assert_uint_eq(n, strlen(buf));
	proto_reply_err(buf, sizeof buf, PROTO_BUSY, NULL);
	ck_assert_str_eq(buf, "{\"ok\":false,\"error\":\"busy\",\"detail\":\"\"}\n");
}
END_TEST

START_TEST(test_reply_err_escaping)
{
	char			 buf[PROTO_REPLY_MAX + 1];
	struct proto_reply	 r;
	const char		*detail = "bad \"key\"\\ \n\t\x01 caf\xc3\xa9";
	size_t			 n;

	n = proto_reply_err(buf, sizeof buf, PROTO_VALIDATION, detail);
	ck_assert_str_eq(buf, "{\"ok\":false,\"error\":\"validation\",\"detail\":"
	    "\"bad \\\"key\\\"\\\\ \\n\\t\\u0001 caf\xc3\xa9\"}\n");
	/* One line: the only newline is the terminator. */
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
	ck_assert_int_eq(proto_reply_parse(buf, n - 1, &r), 0);
	ck_assert_str_eq(r.detail, detail);
	json_object_put(r.body);
}
END_TEST

/* json-c's compact text of {"ok":false,"error":name,"detail":detail} plus "\n". */
static char *
jsonc_reply_err(const char *name, const char *detail)
{
	struct json_object	*o = json_object_new_object();
	char			*s;
	int			 n;

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(name));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	n = asprintf(&s, "%s\n", avjson_str(o, NULL));
	ck_assert_int_gt(n, 0);
	json_object_put(o);
	return s;
}

START_TEST(test_reply_matches_jsonc)
{
	static const char *const details[] = {
		"", "\"", "\\", "/", "a/b\\/c", "\x01\x02\x1f\x7f",
		"\b\f\n\r\t", "\xe2\x80\xa8\xe2\x80\xa9", "\xf0\x9f\x98\x80 \xc3\xa9",
		"\xff\x80", "</script><!--",
	};
	struct json_object	*o;
	char			 buf[PROTO_REPLY_MAX + 1], *want;
	size_t			 i, n;
	int			 e;

	/* The hand-written reply lines are byte for byte json-c's text. */
	for (e = PROTO_VALIDATION; e <= PROTO_INTERNAL; e++) {
		for (i = 0; i < sizeof details / sizeof details[0]; i++) {
			n = proto_reply_err(buf, sizeof buf, (enum proto_err)e,
			    details[i]);
			want = jsonc_reply_err(proto_err_name((enum proto_err)e),
			    details[i]);
			ck_assert_uint_eq(n, strlen(want));
			ck_assert_str_eq(buf, want);
			free(want);
		}
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "event_id",
	    json_object_new_string("3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70"));
	n = proto_reply_ok(buf, sizeof buf, "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70");
	ck_assert_uint_eq(buf[n - 1], '\n');
	buf[n - 1] = '\0';
	ck_assert_str_eq(buf, avjson_str(o, NULL));
	json_object_put(o);
}
END_TEST

START_TEST(test_reply_err_truncation)
{
	char			 buf[4096], *detail;
	struct proto_reply	 r;
	size_t			 n, i;

	/* A huge detail full of escapes and 2-byte characters is cut to fit. */
	detail = malloc(3001);
	for (i = 0; i < 3000; i += 3)
		memcpy(detail + i, "\n\xc3\xa9", 3);
	detail[3000] = '\0';
	n = proto_reply_err(buf, sizeof buf, PROTO_VALIDATION, detail);
	ck_assert_uint_le(n, PROTO_REPLY_MAX);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert_int_eq(buf[n - 2], '}');
	ck_assert_int_eq(proto_reply_parse(buf, n - 1, &r), 0);
	ck_assert_int_eq(r.ok, 0);
	ck_assert_int_eq(r.err, PROTO_VALIDATION);
	ck_assert_uint_gt(strlen(r.detail), 100);
	ck_assert_int_eq(strncmp(r.detail, detail, strlen(r.detail)), 0);
	json_object_put(r.body);
	/* A small buffer cuts sooner and stays valid. */
	n = proto_reply_err(buf, 64, PROTO_INTERNAL, detail);
	ck_assert_uint_lt(n, 64);
	ck_assert_int_eq(proto_reply_parse(buf, n - 1, &r), 0);
	ck_assert_int_eq(r.err, PROTO_INTERNAL);
	json_object_put(r.body);
	/* Too small for any reply: empty, not overflowing. */
	ck_assert_uint_eq(proto_reply_err(buf, 10, PROTO_BUSY, "x"), 0);
	ck_assert_str_eq(buf, "");
	free(detail);
}
END_TEST

START_TEST(test_reply_parse)
{
	struct proto_reply	 r;
	const char		*l;

	l = "{\"ok\":true,\"event_id\":\"abc\"}";
	ck_assert_int_eq(proto_reply_parse(l, strlen(l), &r), 0);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_str_eq(r.event_id, "abc");
	ck_assert_ptr_nonnull(r.body);
	json_object_put(r.body);

	l = "{\"ok\":true,\"stats\":{\"totalEvents\":3}}";
	ck_assert_int_eq(proto_reply_parse(l, strlen(l), &r), 0);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_str_eq(r.event_id, "");
	ck_assert(json_object_object_get_ex(r.body, "stats", NULL));
	json_object_put(r.body);

	/* An error name from a newer collectord is still an error. */
	l = "{\"ok\":false,\"error\":\"quota\",\"detail\":\"d\"}";
	ck_assert_int_eq(proto_reply_parse(l, strlen(l), &r), 0);
	ck_assert_int_eq(r.ok, 0);
	ck_assert_int_eq(r.err, PROTO_INTERNAL);
	ck_assert_str_eq(r.detail, "d");
	json_object_put(r.body);

	l = "{\"ok\":false,\"error\":\"busy\"}";
	ck_assert_int_eq(proto_reply_parse(l, strlen(l), &r), 0);
	ck_assert_int_eq(r.err, PROTO_BUSY);
	ck_assert_str_eq(r.detail, "");
	json_object_put(r.body);
}
END_TEST

START_TEST(test_reply_parse_bad)
{
	static const char *const bad[] = {
		"", "x", "[]", "{}", "{\"ok\":1}", "{\"ok\":\"true\"}",
		"{\"ok\":true} trailing", "{\"ok\":true,}",
	};
	struct proto_reply	 r;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(proto_reply_parse(bad[i], strlen(bad[i]), &r), -1);
		ck_assert_ptr_null(r.body);
	}
}
END_TEST

START_TEST(test_reply_parse_long_fields)
{
	struct proto_reply	 r;
	char			 l[2048], id[100];

	memset(id, 'i', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	snprintf(l, sizeof l, "{\"ok\":true,\"event_id\":\"%s\"}", id);
	ck_assert_int_eq(proto_reply_parse(l, strlen(l), &r), 0);
	ck_assert_uint_eq(strlen(r.event_id), sizeof r.event_id - 1);
	json_object_put(r.body);
}
END_TEST

START_TEST(test_round_trip_ok)
{
	char			 buf[128];
	struct proto_reply	 r;
	size_t			 n;

	n = proto_reply_ok(buf, sizeof buf, "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70");
	ck_assert_int_eq(proto_reply_parse(buf, n - 1, &r), 0);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_str_eq(r.event_id, "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70");
	json_object_put(r.body);
}
END_TEST

START_TEST(test_cmd_of)
{
	struct json_object	*o;
	static const struct { const char *text; enum proto_cmd cmd; } t[] = {
		{ "{\"cmd\":\"stats\"}", PROTO_CMD_STATS },
		{ "{\"cmd\":\"ping\"}", PROTO_CMD_PING },
		{ "{\"cmd\":\"reboot\"}", PROTO_CMD_UNKNOWN },
		{ "{\"cmd\":1}", PROTO_CMD_UNKNOWN },
		{ "{\"event_type\":\"x\"}", PROTO_CMD_NONE },
		{ "[\"cmd\"]", PROTO_CMD_NONE },
	};
	size_t	i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		o = avjson_parse(t[i].text, strlen(t[i].text), NULL);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(proto_cmd_of(o), t[i].cmd);
		json_object_put(o);
	}
}
END_TEST

START_TEST(test_parse_event_ok)
{
	struct json_object	*ev = NULL;
	enum proto_cmd		 cmd = PROTO_CMD_UNKNOWN;
	char			 detail[256];

	ck_assert_int_eq(proto_parse_event(good_event, strlen(good_event), 0, &ev,
	    &cmd, detail, sizeof detail), PROTO_OK);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(cmd, PROTO_CMD_NONE);
	ck_assert_str_eq(evt_get_str(ev, "agent_id"), "a1");
	json_object_put(ev);
}
END_TEST

START_TEST(test_parse_event_control)
{
	struct json_object	*ev = (void *)1;
	enum proto_cmd		 cmd;
	char			 detail[256];

	ck_assert_int_eq(proto_parse_event("{\"cmd\":\"ping\"}", 14, 0, &ev, &cmd,
	    detail, sizeof detail), PROTO_OK);
	ck_assert_ptr_null(ev);
	ck_assert_int_eq(cmd, PROTO_CMD_PING);
	ck_assert_int_eq(proto_parse_event("{\"cmd\":\"stats\"}", 15, 0, &ev, &cmd,
	    detail, sizeof detail), PROTO_OK);
	ck_assert_int_eq(cmd, PROTO_CMD_STATS);
	ck_assert_int_eq(proto_parse_event("{\"cmd\":\"halt\"}", 14, 0, &ev, &cmd,
	    detail, sizeof detail), PROTO_VALIDATION);
	ck_assert_int_eq(cmd, PROTO_CMD_UNKNOWN);
	ck_assert_ptr_null(ev);
	ck_assert_str_eq(detail, "cmd: unknown command");
}
END_TEST

START_TEST(test_parse_event_bad_json)
{
	struct json_object	*ev;
	enum proto_cmd		 cmd;
	char			 detail[256];

	ck_assert_int_eq(proto_parse_event("{\"a\":", 5, 0, &ev, &cmd, detail,
	    sizeof detail), PROTO_VALIDATION);
	ck_assert_ptr_null(ev);
	ck_assert_str_eq(detail, "invalid JSON at offset 5: unexpected end of text");
	ck_assert_int_eq(proto_parse_event("{\"a\":1}\0", 8, 0, &ev, &cmd, detail,
	    sizeof detail), PROTO_VALIDATION);
	ck_assert_str_eq(detail, "invalid JSON at offset 7: NUL byte");
}
END_TEST

START_TEST(test_parse_event_invalid)
{
	struct json_object	*ev, *o;
	enum proto_cmd		 cmd;
	char			 detail[256];
	const char		*text;

	o = avjson_parse(good_event, strlen(good_event), NULL);
	json_object_object_del(o, "agent_id");
	text = avjson_str(o, NULL);
	ck_assert_int_eq(proto_parse_event(text, strlen(text), 0, &ev, &cmd, detail,
	    sizeof detail), PROTO_VALIDATION);
	ck_assert_ptr_null(ev);
	ck_assert_str_eq(detail, "agent_id: field required");
	/* Several problems: the first, and how many more. */
	json_object_object_del(o, "agent_name");
	json_object_object_add(o, "seq", json_object_new_int(1));
	text = avjson_str(o, NULL);
	proto_parse_event(text, strlen(text), 0, &ev, &cmd, detail, sizeof detail);
	ck_assert_str_eq(detail, "agent_id: field required (and 2 more)");
	json_object_put(o);
}
END_TEST

START_TEST(test_parse_event_inexact)
{
	static const struct {
		const char	*members, *detail;
	} t[] = {
		{ "\"n\":1234567890123456789012345",
		    "metadata.n: integer outside the signed 64-bit range" },
		{ "\"n\":9223372036854775808",
		    "metadata.n: integer outside the signed 64-bit range" },
		{ "\"n\":-9223372036854775809",
		    "metadata.n: integer outside the signed 64-bit range" },
		{ "\"a\":[{\"n\":-0}]",
		    "metadata.a.0.n: -0 is not a 64-bit integer; send 0" },
		{ "\"n\":1e400", "metadata.n: must be a finite number" },
		{ "\"s\":\"x\\u0000y\"", "metadata.s: must not contain NUL bytes" },
	};
	struct json_object	*ev;
	enum proto_cmd		 cmd;
	char			 text[512], detail[256];
	size_t			 i;

	/* What collectord answers: the field by name, nothing changed or kept. */
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(text, sizeof text, "%.*s%s}}",
		    (int)(sizeof good_event - 3), good_event, t[i].members);
		ck_assert_int_eq(proto_parse_event(text, strlen(text), 0, &ev,
		    &cmd, detail, sizeof detail), PROTO_VALIDATION);
		ck_assert_ptr_null(ev);
		ck_assert_str_eq(detail, t[i].detail);
	}
	/* The edges of the range are kept as they are. */
	snprintf(text, sizeof text, "%.*s%s}}", (int)(sizeof good_event - 3),
	    good_event, "\"a\":9223372036854775807,\"b\":-9223372036854775808");
	ck_assert_int_eq(proto_parse_event(text, strlen(text), 0, &ev, &cmd,
	    detail, sizeof detail), PROTO_OK);
	ck_assert_str_eq(avjson_str(ev, NULL), text);
	json_object_put(ev);
}
END_TEST

START_TEST(test_parse_event_origin)
{
	struct json_object	*ev, *o;
	enum proto_cmd		 cmd;
	char			 detail[256];
	const char		*text;

	o = avjson_parse(good_event, strlen(good_event), NULL);
	text = "{\"uid\":0,\"gid\":0,\"pid\":1,\"via\":\"socket\"}";
	json_object_object_add(evt_metadata(o), "origin",
	    avjson_parse(text, strlen(text), NULL));
	text = avjson_str(o, NULL);
	/* A client cannot forge its identity; gatewayd, trusting collectord, can pass it. */
	ck_assert_int_eq(proto_parse_event(text, strlen(text), 0, &ev, &cmd, detail,
	    sizeof detail), PROTO_VALIDATION);
	ck_assert_str_eq(detail, "metadata.origin: set by collectord, not accepted from clients");
	ck_assert_int_eq(proto_parse_event(text, strlen(text), EVT_ALLOW_ORIGIN,
	    &ev, &cmd, detail, sizeof detail), PROTO_OK);
	json_object_put(ev);
	json_object_put(o);
}
END_TEST

START_TEST(test_parse_event_too_large)
{
	struct json_object	*ev;
	enum proto_cmd		 cmd;
	char			 detail[256], *big = malloc(EVT_LINE_MAX + 2);

	memset(big, ' ', EVT_LINE_MAX + 1);
	ck_assert_int_eq(proto_parse_event(big, EVT_LINE_MAX + 1, 0, &ev, &cmd,
	    detail, sizeof detail), PROTO_TOO_LARGE);
	ck_assert_ptr_null(ev);
	ck_assert_str_eq(detail, "line longer than 65536 bytes");
	free(big);
}
END_TEST

START_TEST(test_parse_event_small_detail)
{
	struct json_object	*ev;
	enum proto_cmd		 cmd;
	char			 detail[8];

	ck_assert_int_eq(proto_parse_event("{", 1, 0, &ev, &cmd, detail,
	    sizeof detail), PROTO_VALIDATION);
	ck_assert_str_eq(detail, "invalid");
}
END_TEST

/* The suite. */
static Suite *
proto_suite(void)
{
	Suite	*s = suite_create("proto");
	TCase	*tc = tcase_create("proto");

	tcase_add_test(tc, test_err_names);
	tcase_add_test(tc, test_reply_ok_bytes);
	tcase_add_test(tc, test_reply_err_bytes);
	tcase_add_test(tc, test_reply_err_escaping);
	tcase_add_test(tc, test_reply_matches_jsonc);
	tcase_add_test(tc, test_reply_err_truncation);
	tcase_add_test(tc, test_reply_parse);
	tcase_add_test(tc, test_reply_parse_bad);
	tcase_add_test(tc, test_reply_parse_long_fields);
	tcase_add_test(tc, test_round_trip_ok);
	tcase_add_test(tc, test_cmd_of);
	tcase_add_test(tc, test_parse_event_ok);
	tcase_add_test(tc, test_parse_event_control);
	tcase_add_test(tc, test_parse_event_bad_json);
	tcase_add_test(tc, test_parse_event_invalid);
	tcase_add_test(tc, test_parse_event_inexact);
	tcase_add_test(tc, test_parse_event_origin);
	tcase_add_test(tc, test_parse_event_too_large);
	tcase_add_test(tc, test_parse_event_small_detail);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(proto_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
