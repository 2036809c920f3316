/*
 * test_hookcli.c: hookcli's pieces that parse untrusted input: KEY=VALUE
 * values, the agent frameworks' payload mappings (every table row, and
 * malformed, oversized and hostile payloads), the bounded stdin reader, and delivery's fallback accounting.
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

/* Map a payload of framework fw, expecting an event; returns it. */
static struct json_object *
fw_map(const struct hk_framework *fw, const char *payload)
{
	struct json_object	*p = parse(payload), *ev;
	const struct hk_hook	*row;
	char			*cause = NULL;

	ev = hk_hook_event(fw, p, &row, &cause);
	ck_assert_msg(ev != NULL, "refused %s: %s", payload, cause);
	hk_hook_defaults(fw, ev, p);
	json_object_put(p);
	return ev;
}

/* Map a Claude Code payload. */
static struct json_object *
map_ok(const char *payload)
{
	return fw_map(&hk_fw_claude, payload);
}

/* An event passes the validator hookcli, collectord and gatewayd share. */
static void
assert_valid(struct json_object *ev, const char *what)
{
	struct evt_error	errs[4];

	ck_assert_msg(evt_validate(ev, 0, errs, 4) == 0, "%s: %s: %s: %s",
	    what, errs[0].field, errs[0].msg, avjson_str(ev, NULL));
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
		{ "9223372036854775807", json_type_int, "9223372036854775807" },
		{ "-9223372036854775808", json_type_int, "-9223372036854775808" },
		{ "-0.0", json_type_double, "-0.0" },
		/*
		 * A number no store keeps exactly stays the text it was: an
		 * integer outside 64 bits, -0, or out of double range.
		 */
		{ "9223372036854775808", json_type_string, "\"9223372036854775808\"" },
		{ "-9223372036854775809", json_type_string, "\"-9223372036854775809\"" },
		{ "18446744073709551615", json_type_string, "\"18446744073709551615\"" },
		{ "123456789012345678901234567890", json_type_string,
		    "\"123456789012345678901234567890\"" },
		{ "-0", json_type_string, "\"-0\"" },
		{ "1e999", json_type_string, "\"1e999\"" },
		{ "1e-999", json_type_string, "\"1e-999\"" },
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

START_TEST(test_numeric_options_exact)
{
	struct json_object	*ev = evt_new(EVT_BUDGET_UPDATED);
	struct hk_fields	 f;
	struct evt_error	 errs[4];

	/*
	 * An option that must be a number is never a string: a number no
	 * store keeps exactly is refused by name, as collectord would.
	 */
	memset(&f, 0, sizeof f);
	f.agent_id = "a";
	f.agent_name = "n";
	f.agent_role = "r";
	f.remaining = "99999999999999999999";
	f.total = "9223372036854775807";
	f.delta = "-0";
	hk_fields_apply(ev, &f, 1);
	ck_assert_int_eq(evt_validate(ev, 0, errs, 4), 2);
	ck_assert_str_eq(errs[0].field, "metadata.budget_remaining");
	ck_assert_str_eq(errs[0].type, "int_parsing_size");
	ck_assert_str_eq(errs[1].field, "metadata.budget_delta");
	ck_assert_str_eq(errs[1].type, "int_parsing_size");
	/* Whatever hookcli would send keeps the text as typed. */
	ck_assert_ptr_nonnull(strstr(avjson_str(ev, NULL),
	    "\"budget_remaining\":99999999999999999999,"
	    "\"budget_total\":9223372036854775807,\"budget_delta\":-0"));
	f.remaining = "1e400";
	f.delta = "-10";
	hk_fields_apply(ev, &f, 1);
	ck_assert_int_eq(evt_validate(ev, 0, errs, 4), 1);
	ck_assert_str_eq(errs[0].field, "metadata.budget_remaining");
	ck_assert_str_eq(errs[0].type, "finite_number");
	json_object_put(ev);
}
END_TEST

START_TEST(test_payload_inexact_values)
{
	struct json_object	*ev, *md, *v;

	/*
	 * A hook never refuses: what no store keeps exactly (an integer
	 * outside 64 bits, a NUL in a string) is sent as text instead.
	 */
	ev = map_ok("{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"s\","
	    "\"tool_name\":\"x\",\"tool_input\":{\"n\":99999999999999999999,"
	    "\"s\":\"a\\u0000b\"}}");
	assert_valid(ev, "inexact tool_input");
	md = evt_metadata(ev);
	ck_assert(json_object_object_get_ex(md, "tool_input", &v));
	ck_assert(json_object_is_type(v, json_type_string));
	ck_assert_str_eq(json_object_get_string(v),
	    "{\"n\":99999999999999999999,\"s\":\"a\\u0000b\"}");
	json_object_put(ev);

	ev = map_ok("{\"hook_event_name\":\"FutureHook\",\"session_id\":\"s\","
	    "\"status\":-0,\"source\":18446744073709551616,"
	    "\"message\":\"hi\\u0000there\",\"reason\":1e999}");
	assert_valid(ev, "inexact fields");
	md = evt_metadata(ev);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(md,
	    "status")), "-0");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(md,
	    "source")), "18446744073709551616");
	/* A string is cut at its NUL, and says so. */
	v = json_object_object_get(md, "message");
	ck_assert_int_eq(json_object_get_string_len(v), 2);
	ck_assert_str_eq(json_object_get_string(v), "hi");
	ck_assert(json_object_get_boolean(json_object_object_get(md,
	    "message_truncated")));
	json_object_put(ev);
}
END_TEST

/*
 * Every row of every table, given a payload with every field it keeps
 * (as a string, a number and an object in turn), is a valid event naming
 * the framework and the hook: no table can emit what the schema refuses.
 */
START_TEST(test_tables_valid)
{
	static const char *const values[] = {
		"\"x\"", "-5", "{\"deep\":[1,2,{\"a\":null}]}", "true",
	};
	const struct hk_framework	*fws[] = {
		&hk_fw_claude, &hk_fw_gemini, &hk_fw_cursor, &hk_fw_codex,
	};
	const struct hk_framework	*fw;
	const struct hk_keep		*k;
	struct json_object		*p, *ev;
	const struct hk_hook		*row;
	char				*cause;
	size_t				 f, i, v;

	for (f = 0; f < sizeof fws / sizeof fws[0]; f++) {
		fw = fws[f];
		ck_assert_ptr_eq(hk_framework_find(fw->name), fw);
		for (i = 0; i < fw->nhooks; i++) {
			ck_assert_ptr_eq(hk_hook_find(fw, fw->hooks[i].name),
			    &fw->hooks[i]);
			for (v = 0; v < sizeof values / sizeof values[0]; v++) {
				p = json_object_new_object();
				json_object_object_add(p, fw->hook_keys[0],
				    json_object_new_string(fw->hooks[i].name));
				json_object_object_add(p, fw->session_keys[0],
				    json_object_new_string("s-1"));
				for (k = fw->hooks[i].keep; k != NULL &&
				    k->from != NULL; k++)
					json_object_object_add(p, k->from,
					    parse(values[v]));
				for (k = fw->common; k != NULL &&
				    k->from != NULL; k++)
					json_object_object_add(p, k->from,
					    parse(values[v]));
				json_object_object_add(p, "tool_name",
				    json_object_new_string("Bash"));
				ev = hk_hook_event(fw, p, &row, &cause);
				ck_assert_ptr_nonnull(ev);
				ck_assert_ptr_eq(row, &fw->hooks[i]);
				hk_hook_defaults(fw, ev, p);
				assert_valid(ev, fw->hooks[i].name);
				ck_assert_str_eq(str_at(ev, "metadata.framework"),
				    fw->name);
				ck_assert_str_eq(str_at(ev, "metadata.hook"),
				    fw->hooks[i].name);
				ck_assert(!json_object_object_get_ex(
				    evt_metadata(ev), "hook_unknown", NULL));
				/* What the table marks as not sent is not. */
				for (k = fw->hooks[i].keep; k != NULL &&
				    k->from != NULL; k++)
					if (k->flags & HK_KEEP_NOTEXT)
						ck_assert_msg(
						    !json_object_object_get_ex(
						    evt_metadata(ev), k->from,
						    NULL), "%s sent %s",
						    fw->hooks[i].name, k->from);
				json_object_put(ev);
				json_object_put(p);
			}
		}
	}
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
		{ "Notification", "agent_activated", "notification", "success" },
		{ "PreCompact", "agent_activated", "compact", "success" },
		{ "PermissionRequest", "agent_activated", "Bash", "success" },
		{ "StopFailure", "task_failed", "stop", "failure" },
		{ "TaskCreated", "task_started", "task", "success" },
		{ "TaskCompleted", "task_completed", "task", "success" },
		{ "TeammateIdle", "agent_activated", "teammate_idle", "success" },
		{ "PostModelSwitch", "agent_activated", "model_switched",
		    "success" },
	};
	struct json_object	*ev;
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
		ck_assert_str_eq(str_at(ev, "metadata.framework"),
		    "claude-code");
		assert_valid(ev, rows[i].hook);
		json_object_put(ev);
	}
}
END_TEST

/* Nothing a payload says makes hookcli refuse to record the hook. */
START_TEST(test_claude_never_refused)
{
	static const char *const odd[][2] = {
		{ "{\"session_id\":\"s\"}", "unnamed" },
		{ "{\"session_id\":\"s\",\"hook_event_name\":null}", "unnamed" },
		{ "{\"session_id\":\"s\",\"hook_event_name\":\"\"}", "unnamed" },
		{ "{\"session_id\":\"s\",\"hook_event_name\":[\"Stop\"]}",
		    "unnamed" },
		{ "{\"session_id\":\"s\",\"hook_event_name\":\"stop\"}", "stop" },
		{ "{\"session_id\":\"s\",\"hook_event_name\":\"FutureHook\","
		    "\"message\":\"m\",\"prompt\":\"secret\"}", "FutureHook" },
	};
	struct json_object	*ev, *p;
	const struct hk_hook	*row;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		ev = map_ok(odd[i][0]);
		ck_assert_str_eq(str_at(ev, "event_type"), "agent_activated");
		ck_assert_str_eq(str_at(ev, "operation"), odd[i][1]);
		ck_assert_str_eq(str_at(ev, "metadata.hook"), odd[i][1]);
		ck_assert(json_object_get_boolean(json_object_object_get(
		    evt_metadata(ev), "hook_unknown")));
		ck_assert_ptr_null(strstr(avjson_str(ev, NULL), "secret"));
		assert_valid(ev, odd[i][0]);
		json_object_put(ev);
	}
	/* A tool hook without a tool: the operation says so. */
	ev = map_ok("{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"s\"}");
	ck_assert_str_eq(str_at(ev, "operation"), "tool");
	json_object_put(ev);
	ev = map_ok("{\"hook_event_name\":\"PreToolUse\",\"tool_name\":7}");
	ck_assert_str_eq(str_at(ev, "operation"), "tool");
	/* No session anywhere: the framework stands in for the agent. */
	ck_assert_str_eq(str_at(ev, "agent_id"), "claude-code");
	assert_valid(ev, "no session");
	json_object_put(ev);
	/* Only a payload that is not an object is given up on. */
	p = parse("[\"SessionStart\"]");
	ck_assert_ptr_null(hk_hook_event(&hk_fw_claude, p, &row, &cause));
	ck_assert_str_eq(cause, "payload is not a JSON object");
	free(cause);
	json_object_put(p);
}
END_TEST

START_TEST(test_claude_long_names_cut)
{
	char			*big = malloc(100100);
	struct json_object	*ev;
	size_t			 n;

	/* A huge hook name and session id are cut to the schema's limit. */
	n = snprintf(big, 100100, "{\"session_id\":\"");
	memset(big + n, 's', 1000);
	n += 1000;
	n += snprintf(big + n, 100100 - n, "\",\"hook_event_name\":\"");
	memset(big + n, 'x', 90000);
	n += 90000;
	strcpy(big + n, "\"}");
	ev = map_ok(big);
	ck_assert_uint_eq(strlen(str_at(ev, "operation")), EVT_SHORT_MAX);
	ck_assert_uint_eq(strlen(str_at(ev, "metadata.hook")), EVT_SHORT_MAX);
	ck_assert_uint_eq(strlen(str_at(ev, "agent_id")), EVT_SHORT_MAX);
	ck_assert_uint_eq(strlen(str_at(ev, "metadata.session_id")),
	    EVT_SHORT_MAX);
	assert_valid(ev, "long names");
	json_object_put(ev);
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

/* Many large fields at once: the metadata stays within its budget. */
START_TEST(test_metadata_budget)
{
	struct json_object	*p, *ev;
	char			 big[3000];
	size_t			 len;

	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	p = json_object_new_object();
	json_object_object_add(p, "hook_event_name",
	    json_object_new_string("ElicitationResult"));
	json_object_object_add(p, "session_id", json_object_new_string("s"));
	json_object_object_add(p, "mcp_server_name",
	    json_object_new_string(big));
	json_object_object_add(p, "action", json_object_new_string(big));
	json_object_object_add(p, "mode", json_object_new_string(big));
	json_object_object_add(p, "elicitation_id",
	    json_object_new_string(big));
	json_object_object_add(p, "permission_mode",
	    json_object_new_string(big));
	json_object_object_add(p, "prompt_id", json_object_new_string(big));
	ev = map_ok(avjson_str(p, NULL));
	(void)avjson_str(evt_metadata(ev), &len);
	ck_assert_uint_le(len, HK_META_BUDGET);
	ck_assert(json_object_get_boolean(json_object_object_get(
	    evt_metadata(ev), "mode_truncated")));
	assert_valid(ev, "budget");
	json_object_put(ev);
	json_object_put(p);
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
	    "\"tool_name\":\"Bash\",\"duration_ms\":-3}");
	ck_assert(!json_object_object_get_ex(evt_metadata(ev), "duration_ms",
	    NULL));
	json_object_put(ev);
	ev = map_ok("{\"hook_event_name\":\"PostToolUse\",\"session_id\":\"s\","
	    "\"tool_name\":\"Bash\",\"duration_ms\":12.5}");
	ck_assert(json_object_object_get_ex(evt_metadata(ev), "duration_ms",
	    &v));
	ck_assert(json_object_get_double(v) == 12.5);
	json_object_put(ev);
	/* An error that is not text is not an error message. */
	ev = map_ok("{\"hook_event_name\":\"PostToolUseFailure\","
	    "\"session_id\":\"s\",\"tool_name\":\"Bash\",\"error\":{\"a\":1}}");
	ck_assert_str_eq(str_at(ev, "metadata.error"), "tool failed");
	assert_valid(ev, "error object");
	json_object_put(ev);
}
END_TEST

START_TEST(test_other_frameworks)
{
	struct json_object	*ev;

	/* Gemini CLI: a tool response with an error is a failure. */
	ev = fw_map(&hk_fw_gemini, "{\"hook_event_name\":\"AfterTool\","
	    "\"session_id\":\"g\",\"cwd\":\"/w/p\",\"tool_name\":\"run_shell_command\","
	    "\"tool_response\":{\"llmContent\":\"x\",\"error\":\"exit 1\"}}");
	ck_assert_str_eq(str_at(ev, "event_type"), "task_failed");
	ck_assert_str_eq(str_at(ev, "metadata.error"), "exit 1");
	ck_assert_str_eq(str_at(ev, "agent_name"), "gemini");
	assert_valid(ev, "gemini AfterTool");
	json_object_put(ev);
	ev = fw_map(&hk_fw_gemini, "{\"hook_event_name\":\"AfterTool\","
	    "\"session_id\":\"g\",\"tool_name\":\"read_file\","
	    "\"tool_response\":{\"llmContent\":\"x\",\"error\":null}}");
	ck_assert_str_eq(str_at(ev, "event_type"), "task_completed");
	json_object_put(ev);

	/* Cursor: the project from the workspace; a permission failure. */
	ev = fw_map(&hk_fw_cursor, "{\"hook_event_name\":\"postToolUseFailure\","
	    "\"conversation_id\":\"c\",\"workspace_roots\":[\"/w/app\",\"/w/lib\"],"
	    "\"tool_name\":\"Shell\",\"failure_type\":\"permission_denied\","
	    "\"error_message\":\"not allowed\"}");
	ck_assert_str_eq(str_at(ev, "event_type"), "operation_denied");
	ck_assert_str_eq(str_at(ev, "status"), "denied");
	ck_assert_str_eq(str_at(ev, "metadata.reason"), "not allowed");
	ck_assert_str_eq(str_at(ev, "metadata.project"), "app");
	ck_assert_ptr_null(str_at(ev, "metadata.error"));
	assert_valid(ev, "cursor denial");
	json_object_put(ev);
	ev = fw_map(&hk_fw_cursor, "{\"hook_event_name\":\"stop\","
	    "\"conversation_id\":\"c\",\"status\":\"error\"}");
	ck_assert_str_eq(str_at(ev, "event_type"), "task_failed");
	assert_valid(ev, "cursor stop error");
	json_object_put(ev);
	ck_assert_str_eq(hk_hook_find(&hk_fw_cursor, "beforeSubmitPrompt")->reply,
	    "{\"continue\":true}");

	/* Codex: notify's JSON names the thread, not a session. */
	ev = fw_map(&hk_fw_codex, "{\"type\":\"agent-turn-complete\","
	    "\"thread-id\":\"t-1\",\"turn-id\":\"7\",\"cwd\":\"/r/x\","
	    "\"input-messages\":[\"secret\"],\"last-assistant-message\":\"done\"}");
	ck_assert_str_eq(str_at(ev, "agent_id"), "t-1");
	ck_assert_str_eq(str_at(ev, "metadata.turn_id"), "7");
	ck_assert_ptr_null(strstr(avjson_str(ev, NULL), "secret"));
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
	tcase_add_test(tc, test_numeric_options_exact);
	tcase_add_test(tc, test_payload_inexact_values);
	tcase_add_test(tc, test_tables_valid);
	tcase_add_test(tc, test_claude_map_all);
	tcase_add_test(tc, test_claude_never_refused);
	tcase_add_test(tc, test_claude_long_names_cut);
	tcase_add_test(tc, test_claude_subagent);
	tcase_add_test(tc, test_claude_project);
	tcase_add_test(tc, test_claude_tool_input_cut);
	tcase_add_test(tc, test_metadata_budget);
	tcase_add_test(tc, test_claude_failure_fields);
	tcase_add_test(tc, test_other_frameworks);
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
