/*
 * test_hookcli.c: hookcli's pieces that parse untrusted input: KEY=VALUE
 * values, the Claude Code payload mapping (malformed, oversized and hostile
 * payloads), the bounded stdin reader, and delivery's fallback accounting.
 * What goes over the wire is tested end to end in tests/integration.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avjson.h"
#include "hookcli.h"
#include "timefmt.h"

/* Parse JSON text that the test knows to be valid. */
static struct json_object *
parse(const char *text)
{
	struct json_object	*o = avjson_parse(text, strlen(text), NULL);

	ck_assert_msg(o != NULL, "test JSON invalid: %s", text);
	return o;
}

/* Map a payload, expecting success; returns the event. */
static struct json_object *
map_ok(const char *payload)
{
	struct json_object	*p = parse(payload), *ev;
	char			*cause = NULL;

	ev = hk_claude_event(p, &cause);
	ck_assert_msg(ev != NULL, "refused %s: %s", payload, cause);
	hk_claude_defaults(ev, p);
	json_object_put(p);
	return ev;
}

/* Map a payload, expecting refusal with a message containing want. */
static void
map_bad(const char *payload, const char *want)
{
	struct json_object	*p = parse(payload), *ev;
	char			*cause = NULL;

	ev = hk_claude_event(p, &cause);
	ck_assert_msg(ev == NULL, "accepted %s", payload);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, want) != NULL, "%s: cause \"%s\"",
	    payload, cause);
	free(cause);
	json_object_put(p);
}

/* String at a path "a" or "metadata.b" of ev, or NULL. */
static const char *
str_at(struct json_object *ev, const char *key)
{
	if (strncmp(key, "metadata.", 9) == 0)
		return evt_get_str(evt_metadata(ev), key + 9);
	return evt_get_str(ev, key);
}

START_TEST(test_is_number)
{
	const char	*yes[] = { "0", "-0", "42", "-3", "2.50", "1e3",
	    "1E+3", "-1.5e-7", "123456789012345678901234567890", NULL };
	const char	*no[] = { "", "-", "007", "01", "1.", ".5", "1e",
	    "1e+", "+1", "0x10", "1 ", " 1", "NaN", "inf", "true", "null",
	    "1,5", "--1", "1.2.3", NULL };
	int		 i;

	for (i = 0; yes[i] != NULL; i++)
		ck_assert_msg(hk_is_number(yes[i]), "%s is a number", yes[i]);
	for (i = 0; no[i] != NULL; i++)
		ck_assert_msg(!hk_is_number(no[i]), "%s is no number", no[i]);
}
END_TEST

START_TEST(test_value)
{
	struct {
		const char	*in;
		json_type	 type;
		const char	*json;
	} cases[] = {
		{ "42", json_type_int, "42" },
		{ "-10", json_type_int, "-10" },
		{ "2.50", json_type_double, "2.50" },
		{ "1e3", json_type_double, "1e3" },
		/* Too big for int64: a double, still printed as typed. */
		{ "123456789012345678901234567890", json_type_double,
		    "123456789012345678901234567890" },
		/* Out of double range: a string, never infinity. */
		{ "1e999", json_type_string, "\"1e999\"" },
		{ "true", json_type_string, "\"true\"" },
		{ "007", json_type_string, "\"007\"" },
		{ "", json_type_string, "\"\"" },
		{ "a\"b", json_type_string, "\"a\\\"b\"" },
	};
	struct json_object	*v;
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = hk_value(cases[i].in);
		ck_assert_msg(json_object_is_type(v, cases[i].type),
		    "%s: type %d", cases[i].in, json_object_get_type(v));
		ck_assert_str_eq(avjson_str(v, NULL), cases[i].json);
		json_object_put(v);
	}
}
END_TEST

START_TEST(test_pairs)
{
	const char	*why;

	ck_assert_int_eq(hk_pair_check("k=v", &why), 0);
	ck_assert_int_eq(hk_pair_check("k=", &why), 0);
	ck_assert_int_eq(hk_pair_check("k=a=b", &why), 0);
	ck_assert_int_eq(hk_pair_check("k", &why), -1);
	ck_assert_int_eq(hk_pair_check("=v", &why), -1);
	ck_assert_str_eq(why, "empty key");
}
END_TEST

START_TEST(test_apply_precedence)
{
	struct json_object	*ev = evt_new(EVT_TASK_STARTED);
	struct hk_fields	 low, high;
	static char		 p1[] = "project=pair", p2[] = "n=5";
	char			*pairs[] = { p1, p2 };

	memset(&low, 0, sizeof low);
	memset(&high, 0, sizeof high);
	low.agent_id = "low-id";
	low.project = "low-proj";
	low.agent_name = "low-name";
	high.agent_id = "high-id";
	high.project = "high-proj";
	high.pairs = pairs;
	high.npairs = 2;

	json_object_object_add(ev, "agent_name",
	    json_object_new_string("payload"));
	hk_fields_apply(ev, &low, 0);	/* fills gaps only */
	ck_assert_str_eq(str_at(ev, "agent_name"), "payload");
	ck_assert_str_eq(str_at(ev, "agent_id"), "low-id");
	hk_fields_apply(ev, &high, 1);	/* wins, pairs last */
	ck_assert_str_eq(str_at(ev, "agent_id"), "high-id");
	ck_assert_str_eq(str_at(ev, "metadata.project"), "pair");
	ck_assert_str_eq(avjson_str(evt_metadata(ev), NULL),
	    "{\"project\":\"pair\",\"n\":5}");
	json_object_put(ev);
}
END_TEST

START_TEST(test_claude_map_all)
{
	static const struct {
		const char	*hook;
		const char	*type;
		const char	*operation;
		const char	*status;
	} rows[] = {
		{ "SessionStart", "agent_spawned", "session_start", "success" },
		{ "SubagentStart", "agent_spawned", "subagent_start", "success" },
		{ "UserPromptSubmit", "task_started", "user_prompt", "success" },
		{ "PreToolUse", "operation_allowed", "Bash", "success" },
		{ "PermissionDenied", "operation_denied", "Bash", "denied" },
		{ "PostToolUse", "task_completed", "Bash", "success" },
		{ "PostToolUseFailure", "task_failed", "Bash", "failure" },
		{ "Stop", "task_completed", "stop", "success" },
		{ "SubagentStop", "task_completed", "subagent_stop", "success" },
		{ "SessionEnd", "task_completed", "session_end", "success" },
	};
	struct json_object	*ev;
	struct evt_error	 errs[4];
	char			 payload[512];
	size_t			 i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(payload, sizeof payload, "{\"hook_event_name\":\"%s\","
		    "\"session_id\":\"s1\",\"cwd\":\"/src/proj\","
		    "\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"ls\"}}",
		    rows[i].hook);
		ev = map_ok(payload);
		ck_assert_str_eq(str_at(ev, "event_type"), rows[i].type);
		ck_assert_str_eq(str_at(ev, "operation"), rows[i].operation);
		ck_assert_str_eq(str_at(ev, "status"), rows[i].status);
		ck_assert_str_eq(str_at(ev, "agent_id"), "s1");
		ck_assert_str_eq(str_at(ev, "agent_name"), "claude");
		ck_assert_str_eq(str_at(ev, "agent_role"), "main");
		ck_assert_str_eq(str_at(ev, "metadata.session_id"), "s1");
		ck_assert_str_eq(str_at(ev, "metadata.project"), "proj");
		ck_assert_str_eq(str_at(ev, "metadata.hook"), rows[i].hook);
		/* Every mapped event is valid as it stands. */
		ck_assert_msg(evt_validate(ev, 0, errs, 4) == 0, "%s: %s: %s",
		    rows[i].hook, errs[0].field, errs[0].msg);
		json_object_put(ev);
	}
}
END_TEST

START_TEST(test_claude_refused)
{
	map_bad("[]", "not a JSON object");
	map_bad("\"PreToolUse\"", "not a JSON object");
	map_bad("{}", "hook_event_name: field required");
	map_bad("{\"hook_event_name\":null}", "hook_event_name");
	map_bad("{\"hook_event_name\":\"\"}", "hook_event_name");
	map_bad("{\"hook_event_name\":[\"Stop\"]}", "hook_event_name");
	map_bad("{\"hook_event_name\":\"Notification\"}",
	    "unknown hook \"Notification\"");
	map_bad("{\"hook_event_name\":\"stop\"}", "unknown hook \"stop\"");
	map_bad("{\"hook_event_name\":\"PreToolUse\"}", "tool_name");
	map_bad("{\"hook_event_name\":\"PreToolUse\",\"tool_name\":7}",
	    "tool_name");
}
END_TEST

START_TEST(test_claude_unknown_name_bounded)
{
	char			*big = malloc(100024), *cause = NULL;
	struct json_object	*p;

	/* A huge hook name is quoted, cut, in the message. */
	strcpy(big, "{\"hook_event_name\":\"");
	memset(big + 20, 'x', 100000);
	strcpy(big + 100020 - 2, "\"}");
	p = avjson_parse(big, strlen(big), NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(hk_claude_event(p, &cause));
	ck_assert_uint_lt(strlen(cause), 200);
	free(cause);
	json_object_put(p);
	free(big);
}
END_TEST

START_TEST(test_claude_subagent)
{
	struct json_object	*ev;

	ev = map_ok("{\"hook_event_name\":\"SubagentStop\",\"session_id\":\"s1\","
	    "\"agent_id\":\"ag\",\"agent_type\":\"Explore\"}");
	ck_assert_str_eq(str_at(ev, "agent_id"), "ag");
	ck_assert_str_eq(str_at(ev, "agent_name"), "Explore");
	ck_assert_str_eq(str_at(ev, "agent_role"), "subagent");
	ck_assert_str_eq(str_at(ev, "metadata.session_id"), "s1");
	json_object_put(ev);
	/* Wrongly typed fields are ignored, not trusted. */
	ev = map_ok("{\"hook_event_name\":\"Stop\",\"session_id\":\"s1\","
	    "\"agent_id\":5,\"agent_type\":{},\"cwd\":[]}");
	ck_assert_str_eq(str_at(ev, "agent_id"), "s1");
	ck_assert_str_eq(str_at(ev, "agent_name"), "claude");
	ck_assert_ptr_null(str_at(ev, "metadata.project"));
	json_object_put(ev);
}
END_TEST

START_TEST(test_claude_project)
{
	static const char *cwd[][2] = {
		{ "/home/u/src/proj", "proj" },
		{ "/home/u/src/proj/", "proj" },
		{ "/home/u/src/proj//", "proj" },
		{ "/", "/" },
		{ "//", "/" },
		{ "relative", "relative" },
		{ "/top", "top" },
	};
	struct json_object	*ev;
	char			 payload[256];
	size_t			 i;

	for (i = 0; i < sizeof cwd / sizeof cwd[0]; i++) {
		snprintf(payload, sizeof payload, "{\"hook_event_name\":"
		    "\"Stop\",\"session_id\":\"s\",\"cwd\":\"%s\"}", cwd[i][0]);
		ev = map_ok(payload);
		ck_assert_str_eq(str_at(ev, "metadata.project"), cwd[i][1]);
		json_object_put(ev);
	}
}
END_TEST

START_TEST(test_claude_tool_input_cut)
{
	struct json_object	*ev, *ti, *flag;
	char			*payload;
	size_t			 i, n = 200000;
	const char		*s;

	/* Large: cut to 2 KiB of its JSON text, flagged. */
	payload = malloc(n + 200);
	i = snprintf(payload, n + 200, "{\"hook_event_name\":\"PreToolUse\","
	    "\"session_id\":\"s\",\"tool_name\":\"Write\",\"tool_input\":"
	    "{\"content\":\"");
	memset(payload + i, 'a', n);
	strcpy(payload + i + n, "\"}}");
	ev = map_ok(payload);
	ck_assert(json_object_object_get_ex(evt_metadata(ev), "tool_input",
	    &ti));
	ck_assert(json_object_is_type(ti, json_type_string));
	ck_assert_uint_eq(json_object_get_string_len(ti), HK_TOOL_INPUT_MAX);
	ck_assert(json_object_object_get_ex(evt_metadata(ev),
	    "tool_input_truncated", &flag));
	ck_assert(json_object_get_boolean(flag));
	json_object_put(ev);

	/* UTF-8: never cut inside a character. */
	i = snprintf(payload, n + 200, "{\"hook_event_name\":\"PreToolUse\","
	    "\"session_id\":\"s\",\"tool_name\":\"Write\",\"tool_input\":"
	    "{\"c\":\"");
	for (n = 0; n < 3000; n++, i += 3)
		memcpy(payload + i, "\xe2\x82\xac", 3);
	strcpy(payload + i, "\"}}");
	ev = map_ok(payload);
	json_object_object_get_ex(evt_metadata(ev), "tool_input", &ti);
	s = json_object_get_string(ti);
	ck_assert_uint_le(strlen(s), HK_TOOL_INPUT_MAX);
	ck_assert_mem_eq(s + strlen(s) - 3, "\xe2\x82\xac", 3);
	json_object_put(ev);
	free(payload);

	/* Deep but small: a string too, so metadata stays within depth 8. */
	ev = map_ok("{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"s\","
	    "\"tool_name\":\"x\",\"tool_input\":[[[[[[[[[1]]]]]]]]]}");
	json_object_object_get_ex(evt_metadata(ev), "tool_input", &ti);
	ck_assert_str_eq(json_object_get_string(ti), "[[[[[[[[[1]]]]]]]]]");
	json_object_put(ev);

	/* Small and shallow: kept as it is. */
	ev = map_ok("{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"s\","
	    "\"tool_name\":\"x\",\"tool_input\":{\"a\":[1,{\"b\":null}]}}");
	json_object_object_get_ex(evt_metadata(ev), "tool_input", &ti);
	ck_assert_str_eq(avjson_str(ti, NULL), "{\"a\":[1,{\"b\":null}]}");
	ck_assert(!json_object_object_get_ex(evt_metadata(ev),
	    "tool_input_truncated", NULL));
	json_object_put(ev);
}
END_TEST

START_TEST(test_claude_failure_fields)
{
	struct json_object	*ev, *v;

	ev = map_ok("{\"hook_event_name\":\"PostToolUseFailure\","
	    "\"session_id\":\"s\",\"tool_name\":\"Bash\"}");
	ck_assert_str_eq(str_at(ev, "metadata.error"), "tool failed");
	json_object_put(ev);
	ev = map_ok("{\"hook_event_name\":\"PostToolUse\",\"session_id\":\"s\","
	    "\"tool_name\":\"Bash\",\"duration_ms\":\"12\"}");
	/* A duration that is not a number is dropped, not passed on. */
	ck_assert(!json_object_object_get_ex(evt_metadata(ev), "duration_ms",
	    NULL));
	json_object_put(ev);
	ev = map_ok("{\"hook_event_name\":\"PostToolUse\",\"session_id\":\"s\","
	    "\"tool_name\":\"Bash\",\"duration_ms\":12.5}");
	ck_assert(json_object_object_get_ex(evt_metadata(ev), "duration_ms",
	    &v));
	ck_assert(json_object_get_double(v) == 12.5);
	json_object_put(ev);
}
END_TEST

START_TEST(test_read_input)
{
	int		 fds[2];
	char		*buf, *cause;
	size_t		 len;
	enum hk_in	 r;

	/* Everything, then end of file. */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "hello", 5), 5);
	close(fds[1]);
	r = hk_read_input(fds[0], 100, ts_mono_us() + 1000000, &buf, &len,
	    &cause);
	ck_assert_int_eq(r, HK_IN_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(buf, "hello");
	free(buf);
	close(fds[0]);

	/* Over the cap. */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "0123456789", 10), 10);
	close(fds[1]);
	r = hk_read_input(fds[0], 9, ts_mono_us() + 1000000, &buf, &len,
	    &cause);
	ck_assert_int_eq(r, HK_IN_TOOBIG);
	free(buf);
	close(fds[0]);

	/* Exactly the cap is fine. */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "012345678", 9), 9);
	close(fds[1]);
	r = hk_read_input(fds[0], 9, ts_mono_us() + 1000000, &buf, &len,
	    &cause);
	ck_assert_int_eq(r, HK_IN_OK);
	ck_assert_uint_eq(len, 9);
	free(buf);
	close(fds[0]);

	/* Never closed: the deadline ends it, with what came so far. */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "{}", 2), 2);
	r = hk_read_input(fds[0], 100, ts_mono_us() + 20000, &buf, &len,
	    &cause);
	ck_assert_int_eq(r, HK_IN_TIMEOUT);
	ck_assert_str_eq(buf, "{}");
	free(buf);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* Count finished fallback files in dir. */
static int
count_parked(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		 n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".ndjson") != NULL;
	closedir(d);
	return n;
}

/* Remove dir and the files in it. */
static void
remove_dir(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		 path[512];

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

START_TEST(test_deliver_unreachable)
{
	char		 dir[] = "/tmp/test_hookcli.XXXXXX", sock[64];
	struct hk_opts	 o;
	struct hk_batch	 b;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/none.sock", dir);
	memset(&o, 0, sizeof o);
	o.socket = sock;
	o.fallback_dir = dir;
	o.deadline_us = ts_mono_us() + 1000000;

	/* Nobody listening: both lines parked together. */
	hk_batch_init(&b);
	hk_batch_add(&b, "{\"a\":1}", 7, 1);
	hk_batch_add(&b, "{\"a\":2}", 7, 2);
	hk_deliver(&o, &b);
	ck_assert_uint_eq(b.count[HK_ST_PARKED], 2);
	ck_assert_ptr_nonnull(strstr(b.why, "collectord unreachable"));
	ck_assert_int_eq(count_parked(dir), 1);
	hk_batch_clear(&b);

	/* Nowhere to park either: failed, and the reason says both. */
	o.fallback_dir = "/nonexistent/hookcli-test";
	hk_batch_init(&b);
	hk_batch_add(&b, "{\"a\":3}", 7, 1);
	hk_deliver(&o, &b);
	ck_assert_uint_eq(b.count[HK_ST_FAILED], 1);
	ck_assert_ptr_nonnull(strstr(b.why, "fallback"));
	hk_batch_clear(&b);

	/* Out of time before connecting: parked without trying. */
	o.fallback_dir = dir;
	o.deadline_us = ts_mono_us() - 1;
	hk_batch_init(&b);
	hk_batch_add(&b, "{\"a\":4}", 7, 1);
	hk_deliver(&o, &b);
	ck_assert_uint_eq(b.count[HK_ST_PARKED], 1);
	ck_assert_ptr_nonnull(strstr(b.why, "timed out before connecting"));
	ck_assert_int_eq(count_parked(dir), 2);
	hk_batch_clear(&b);

	remove_dir(dir);
}
END_TEST

/* The suite. */
static Suite *
hookcli_suite(void)
{
	Suite	*s = suite_create("hookcli");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_is_number);
	tcase_add_test(tc, test_value);
	tcase_add_test(tc, test_pairs);
	tcase_add_test(tc, test_apply_precedence);
	tcase_add_test(tc, test_claude_map_all);
	tcase_add_test(tc, test_claude_refused);
	tcase_add_test(tc, test_claude_unknown_name_bounded);
	tcase_add_test(tc, test_claude_subagent);
	tcase_add_test(tc, test_claude_project);
	tcase_add_test(tc, test_claude_tool_input_cut);
	tcase_add_test(tc, test_claude_failure_fields);
	tcase_add_test(tc, test_read_input);
	tcase_add_test(tc, test_deliver_unreachable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(hookcli_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
