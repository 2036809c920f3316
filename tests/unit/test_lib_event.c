/*
 * test_lib_event.c: every rule of the event validator (agentvis-events(7)).
 *
 * The error paths and type tags asserted here are what gatewayd shows in
 * its 422 answers and collectord in its reply lines, so they are part of
 * the user-visible contract, not an implementation detail.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "event.h"
#include "uuidstr.h"

#define NERR 32

static struct evt_error	errs[NERR];
static int		nerrs;

/* The short top-level string fields, in the validator's order. */
static const char *const short_fields[] = {
	"event_type", "timestamp", "event_id", "agent_id", "agent_name",
	"agent_role", "operation", "status", NULL
};

/* Parse JSON text or fail the test. */
static struct json_object *
parse(const char *text)
{
	struct avjson_error	 err;
	struct json_object	*o;

	o = avjson_parse(text, strlen(text), &err);
	ck_assert_msg(o != NULL, "test JSON does not parse: %s at %zu", err.msg,
	    err.offset);
	return o;
}

/* A complete valid event of type t, with the type's required metadata. */
static struct json_object *
good(int t)
{
	struct json_object	*ev, *meta;
	char			 text[1024];

	snprintf(text, sizeof text,
	    "{\"event_type\":\"%s\",\"timestamp\":\"2026-11-26T16:35:09.123Z\","
	    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\","
	    "\"agent_id\":\"a1\",\"agent_name\":\"coder\",\"agent_role\":\"worker\","
	    "\"operation\":\"%s\",\"status\":\"%s\",\"metadata\":{"
	    "\"session_id\":\"s1\",\"project\":\"p\",\"free\":{\"x\":[1,2,{\"y\":null}]}}}",
	    evt_types[t].name, evt_types[t].operation, evt_types[t].status);
	ev = parse(text);
	meta = evt_metadata(ev);
	if (t == EVT_BUDGET_UPDATED) {
		json_object_object_add(meta, "budget_remaining", json_object_new_int(90));
		json_object_object_add(meta, "budget_total", json_object_new_double(100.5));
		json_object_object_add(meta, "budget_delta", json_object_new_int(-10));
	}
	if (t == EVT_TASK_FAILED)
		json_object_object_add(meta, "error", json_object_new_string("boom"));
	return ev;
}

/* Validate ev into the file's error array. */
static int
check(struct json_object *ev, unsigned flags)
{
	memset(errs, 0, sizeof errs);
	nerrs = evt_validate(ev, flags, errs, NERR);
	return nerrs;
}

/* Assert exactly one error, at field with the type tag; returns it. */
static const struct evt_error *
one_error(struct json_object *ev, unsigned flags, const char *field,
    const char *type)
{
	char	buf[512];
	int	i;

	check(ev, flags);
	for (i = 0; i < nerrs && i < NERR; i++) {
		evt_error_str(&errs[i], buf, sizeof buf);
		fprintf(stderr, "  error %d: %s [%s]\n", i, buf, errs[i].type);
	}
	ck_assert_int_eq(nerrs, 1);
	ck_assert_str_eq(errs[0].field, field);
	ck_assert_str_eq(errs[0].type, type);
	return &errs[0];
}

/* A string of n copies of c; caller frees. */
static char *
repeat(char c, size_t n)
{
	char	*s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

START_TEST(test_each_type_valid)
{
	struct json_object	*ev = good(_i);

	ck_assert_int_eq(check(ev, 0), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_evt_new_defaults)
{
	struct json_object	*ev = evt_new(_i), *meta;
	const char		*id;

	ck_assert_str_eq(evt_get_str(ev, "event_type"), evt_types[_i].name);
	ck_assert_str_eq(evt_get_str(ev, "status"), evt_types[_i].status);
	ck_assert_str_eq(evt_get_str(ev, "operation"), evt_types[_i].operation);
	id = evt_get_str(ev, "event_id");
	ck_assert(uuidstr_valid(id));
	ck_assert_int_eq(id[14], '4');		/* version 4 */
	ck_assert_ptr_eq(strpbrk(id, "ABCDEF"), NULL);
	/* Only the caller's fields are missing. */
	check(ev, 0);
	ck_assert_int_ge(nerrs, 3);
	ck_assert_str_eq(errs[0].field, "agent_id");
	ck_assert_str_eq(errs[1].field, "agent_name");
	ck_assert_str_eq(errs[2].field, "agent_role");
	json_object_object_add(ev, "agent_id", json_object_new_string("a"));
	json_object_object_add(ev, "agent_name", json_object_new_string("n"));
	json_object_object_add(ev, "agent_role", json_object_new_string(""));
	meta = evt_metadata(ev);
	ck_assert_int_eq(json_object_object_length(meta), 0);
	if (_i == EVT_BUDGET_UPDATED) {
		ck_assert_int_eq(check(ev, 0), 3);
		json_object_object_add(meta, "budget_remaining", json_object_new_int(1));
		json_object_object_add(meta, "budget_total", json_object_new_int(2));
		json_object_object_add(meta, "budget_delta", json_object_new_int(3));
	}
	if (_i == EVT_TASK_FAILED) {
		one_error(ev, 0, "metadata.error", "missing");
		json_object_object_add(meta, "error", json_object_new_string("x"));
	}
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_default_statuses)
{
	ck_assert_str_eq(evt_types[EVT_OPERATION_DENIED].status, "denied");
	ck_assert_str_eq(evt_types[EVT_TASK_FAILED].status, "failure");
	ck_assert_str_eq(evt_types[EVT_AGENT_SPAWNED].status, "success");
	ck_assert_str_eq(evt_types[EVT_AGENT_SPAWNED].operation, "spawn_agent");
	ck_assert_str_eq(evt_types[EVT_BUDGET_UPDATED].operation, "budget_update");
}
END_TEST

START_TEST(test_type_lookup)
{
	int	i;

	for (i = 0; i < EVT__COUNT; i++) {
		ck_assert_int_eq(evt_type_lookup(evt_types[i].name), i);
		ck_assert_int_eq(evt_type_by_command(evt_types[i].command), i);
	}
	ck_assert_int_eq(evt_type_lookup("agent-spawned"), -1);
	ck_assert_int_eq(evt_type_by_command("agent_spawned"), -1);
	ck_assert_int_eq(evt_type_lookup(""), -1);
	ck_assert_int_eq(evt_type_lookup("AGENT_SPAWNED"), -1);
}
END_TEST

START_TEST(test_missing_field)
{
	struct json_object	*ev = good(EVT_TASK_STARTED);
	const struct evt_error	*e;
	char			 buf[256], want[64];

	json_object_object_del(ev, short_fields[_i]);
	e = one_error(ev, 0, short_fields[_i], "missing");
	ck_assert_str_eq(e->msg, "field required");
	evt_error_str(e, buf, sizeof buf);
	snprintf(want, sizeof want, "%s: field required", short_fields[_i]);
	ck_assert_str_eq(buf, want);
	json_object_put(ev);
}
END_TEST

START_TEST(test_mistyped_field)
{
	struct json_object	*ev = good(EVT_TASK_STARTED);
	struct json_object	*bad[] = {
		json_object_new_int(7), json_object_new_boolean(1),
		json_object_new_array(), json_object_new_object(), NULL
	};
	int			 k;

	for (k = 0; k < 5; k++) {
		json_object_object_add(ev, short_fields[_i], bad[k]);
		one_error(ev, 0, short_fields[_i], "string_type");
		bad[k] = NULL;
	}
	json_object_put(ev);
}
END_TEST

START_TEST(test_too_long_field)
{
	struct json_object	*ev = good(EVT_TASK_STARTED);
	char			*s = repeat('x', EVT_SHORT_MAX + 1);
	const struct evt_error	*e;

	json_object_object_add(ev, short_fields[_i], json_object_new_string(s));
	e = one_error(ev, 0, short_fields[_i], "string_too_long");
	ck_assert_str_eq(e->msg, "string longer than 256 bytes");
	free(s);
	json_object_put(ev);
}
END_TEST

START_TEST(test_free_fields_at_limit)
{
	static const char *const f[] = { "agent_id", "agent_name", "agent_role",
	    "operation", NULL };
	struct json_object	*ev = good(EVT_TASK_STARTED);
	char			*s = repeat('x', EVT_SHORT_MAX);
	int			 i;

	for (i = 0; f[i] != NULL; i++)
		json_object_object_add(ev, f[i], json_object_new_string(s));
	ck_assert_int_eq(check(ev, 0), 0);
	/* 256 bytes, not characters: 128 two-byte characters fill it exactly. */
	free(s);
	s = malloc(2 * 129 + 1);
	for (i = 0; i < 129; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);
	s[2 * 128] = '\0';
	json_object_object_add(ev, "agent_name", json_object_new_string(s));
	ck_assert_int_eq(check(ev, 0), 0);
	s[2 * 128] = '\xc3';
	s[2 * 129] = '\0';
	json_object_object_add(ev, "agent_name", json_object_new_string(s));
	one_error(ev, 0, "agent_name", "string_too_long");
	free(s);
	json_object_put(ev);
}
END_TEST

START_TEST(test_empty_strings)
{
	struct json_object	*ev = good(EVT_TASK_STARTED);

	/* agent_role and operation may be empty; the ids may not. */
	json_object_object_add(ev, "agent_role", json_object_new_string(""));
	json_object_object_add(ev, "operation", json_object_new_string(""));
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_object_add(ev, "agent_id", json_object_new_string(""));
	one_error(ev, 0, "agent_id", "string_too_short");
	json_object_object_add(ev, "agent_id", json_object_new_string("a"));
	json_object_object_add(ev, "agent_name", json_object_new_string(""));
	one_error(ev, 0, "agent_name", "string_too_short");
	json_object_put(ev);
}
END_TEST

START_TEST(test_null_is_mistyped)
{
	struct json_object	*ev = good(EVT_TASK_STARTED);

	json_object_object_add(ev, "agent_id", NULL);
	one_error(ev, 0, "agent_id", "string_type");
	json_object_object_add(ev, "agent_id", json_object_new_string("a"));
	json_object_object_add(ev, "metadata", NULL);
	one_error(ev, 0, "metadata", "dict_type");
	json_object_put(ev);
}
END_TEST

START_TEST(test_bad_event_type)
{
	struct json_object	*ev = good(EVT_TASK_STARTED);
	const struct evt_error	*e;
	int			 i;

	json_object_object_add(ev, "event_type", json_object_new_string("agent_exploded"));
	e = one_error(ev, 0, "event_type", "enum");
	for (i = 0; i < EVT__COUNT; i++)
		ck_assert_ptr_nonnull(strstr(e->msg, evt_types[i].name));
	ck_assert_str_eq(e->msg, "must be one of: agent_spawned, agent_activated, "
	    "operation_allowed, operation_denied, budget_updated, task_started, "
	    "task_completed, task_failed");
	json_object_put(ev);
}
END_TEST

START_TEST(test_bad_status)
{
	struct json_object	*ev = good(EVT_TASK_STARTED);
	const struct evt_error	*e;

	json_object_object_add(ev, "status", json_object_new_string("Success"));
	e = one_error(ev, 0, "status", "enum");
	ck_assert_str_eq(e->msg, "must be one of: success, failure, denied");
	json_object_put(ev);
}
END_TEST

START_TEST(test_timestamps)
{
	static const struct { const char *ts, *why; } bad[] = {
		{ "2026-11-26T16:35:09.123", "missing time zone" },
		{ "2026-11-26T16:35:09", "missing time zone" },
		{ "2026-13-26T16:35:09Z", "bad month" },
		{ "2026-00-26T16:35:09Z", "bad month" },
		{ "2026-02-29T16:35:09Z", "bad day" },
		{ "garbage", "bad year" },
		{ "", "bad year" },
		{ "2026-11-26", "missing time" },
		{ "2026-11-26 16:35:09Z", "expected 'T' between date and time" },
		{ "2026-11-26T24:00:00Z", "bad hour" },
		{ "2026-11-26T16:35:09.Z", "bad fraction of second" },
		{ "2026-11-26T16:35:09+0530", "bad time zone offset" },
		{ "2026-11-26T16:35:09Z ", "trailing characters" },
		{ "2026-11-26T16:35:09UTC", "bad time zone" },
		{ "9999-12-31T23:30:00-01:00", "out of range" },
	};
	static const char *const good_ts[] = {
		"2026-11-26T16:35:09Z", "2026-11-26T16:35:09.123456+05:30",
		"2024-02-29t00:00:00-00:00", "2026-11-26T16:35:09.1z",
	};
	struct json_object	*ev = good(EVT_TASK_STARTED);
	const struct evt_error	*e;
	char			 want[128];
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_object_object_add(ev, "timestamp", json_object_new_string(bad[i].ts));
		e = one_error(ev, 0, "timestamp", "datetime_parse");
		snprintf(want, sizeof want, "invalid RFC 3339 timestamp: %s", bad[i].why);
		ck_assert_str_eq(e->msg, want);
	}
	for (i = 0; i < sizeof good_ts / sizeof good_ts[0]; i++) {
		json_object_object_add(ev, "timestamp", json_object_new_string(good_ts[i]));
		ck_assert_int_eq(check(ev, 0), 0);
	}
	json_object_put(ev);
}
END_TEST

START_TEST(test_uuids)
{
	static const char *const bad[] = {
		"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f7",		/* short */
		"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f700",	/* long */
		"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f7g",		/* not hex */
		"3f1c2a4e08b7d-4c2e-9a1f-2b3c4d5e6f70",		/* no hyphen */
		"{3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70}",
		"3f1c2a4e8b7d4c2e9a1f2b3c4d5e6f70",
		"", "not-a-uuid",
	};
	struct json_object	*ev = good(EVT_TASK_STARTED);
	const struct evt_error	*e;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_object_object_add(ev, "event_id", json_object_new_string(bad[i]));
		e = one_error(ev, 0, "event_id", "uuid_parsing");
		ck_assert_str_eq(e->msg, "invalid UUID");
	}
	/* Any version and either case are accepted; hookcli makes v4 lower case. */
	json_object_object_add(ev, "event_id",
	    json_object_new_string("3F1C2A4E-8B7D-1C2E-9A1F-2B3C4D5E6F70"));
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_unknown_top_level)
{
	static const char *const extra[] = { "seq", "received_at", "foo", "Event_type" };
	struct json_object	*ev = good(EVT_TASK_STARTED);
	const struct evt_error	*e;
	size_t			 i;

	for (i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		json_object_object_add(ev, extra[i], json_object_new_int(1));
		e = one_error(ev, 0, extra[i], "extra_forbidden");
		ck_assert_str_eq(e->msg, "extra field not permitted");
		json_object_object_del(ev, extra[i]);
	}
	json_object_put(ev);
}
END_TEST

START_TEST(test_metadata_absent_is_empty)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED);

	json_object_object_del(ev, "metadata");
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_metadata_not_object)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED);
	const struct evt_error	*e;

	json_object_object_add(ev, "metadata", json_object_new_string("{}"));
	e = one_error(ev, 0, "metadata", "dict_type");
	ck_assert_str_eq(e->msg, "must be an object");
	json_object_object_add(ev, "metadata", json_object_new_array());
	one_error(ev, 0, "metadata", "dict_type");
	json_object_put(ev);
}
END_TEST

START_TEST(test_metadata_size)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED);
	struct json_object	*meta = json_object_new_object();
	const struct evt_error	*e;
	char			*s;

	/* {"x":"…"} is 8 bytes plus the string: exactly 16384 passes. */
	s = repeat('a', EVT_META_MAX_BYTES - 8);
	json_object_object_add(meta, "x", json_object_new_string(s));
	json_object_object_add(ev, "metadata", meta);
	ck_assert_int_eq(check(ev, 0), 0);
	free(s);
	s = repeat('a', EVT_META_MAX_BYTES - 7);
	json_object_object_add(meta, "x", json_object_new_string(s));
	e = one_error(ev, 0, "metadata", "too_large");
	ck_assert_str_eq(e->msg, "larger than 16384 bytes serialised");
	free(s);
	/* Escapes count as they are sent: 8200 newlines are 16400 bytes of "\n". */
	s = repeat('\n', 8200);
	json_object_object_add(meta, "x", json_object_new_string(s));
	one_error(ev, 0, "metadata", "too_large");
	free(s);
	json_object_put(ev);
}
END_TEST

/* The largest origin the shape allows (integers are kept up to 2^63-1). */
#define BIG_ORIGIN "{\"uid\":9223372036854775807,\"gid\":9223372036854775807," \
	"\"pid\":9223372036854775807,\"via\":\"fallback\"}"

/* Metadata {"x":"a…"} of exactly size bytes, origin added first or last. */
static struct json_object *
meta_of_size(size_t size, const char *origin, int origin_first)
{
	struct json_object	*meta = json_object_new_object();
	char			*s = repeat('a', size - 8);

	if (origin != NULL && origin_first)
		json_object_object_add(meta, "origin", parse(origin));
	json_object_object_add(meta, "x", json_object_new_string(s));
	if (origin != NULL && !origin_first)
		json_object_object_add(meta, "origin", parse(origin));
	free(s);
	return meta;
}

START_TEST(test_metadata_size_without_origin)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED), *meta;
	const struct evt_error	*e;
	size_t			 len;
	int			 first;

	/*
	 * origin, stamped by collectord after its check, is not counted:
	 * what collectord took at the limit, gatewayd takes too, wherever
	 * origin sits among the members.
	 */
	for (first = 0; first <= 1; first++) {
		meta = meta_of_size(EVT_META_MAX_BYTES, BIG_ORIGIN, first);
		json_object_object_add(ev, "metadata", meta);
		avjson_str(meta, &len);
		ck_assert_uint_gt(len, EVT_META_MAX_BYTES + 100);
		ck_assert_int_eq(check(ev, EVT_ALLOW_ORIGIN), 0);
		meta = meta_of_size(EVT_META_MAX_BYTES + 1, BIG_ORIGIN, first);
		json_object_object_add(ev, "metadata", meta);
		e = one_error(ev, EVT_ALLOW_ORIGIN, "metadata", "too_large");
		ck_assert_str_eq(e->msg, "larger than 16384 bytes serialised");
	}
	/* The same edges without origin, as a client sends them. */
	json_object_object_add(ev, "metadata",
	    meta_of_size(EVT_META_MAX_BYTES, NULL, 0));
	ck_assert_int_eq(check(ev, 0), 0);
	ck_assert_int_eq(check(ev, EVT_ALLOW_ORIGIN), 0);
	json_object_object_add(ev, "metadata",
	    meta_of_size(EVT_META_MAX_BYTES + 1, NULL, 0));
	one_error(ev, 0, "metadata", "too_large");
	one_error(ev, EVT_ALLOW_ORIGIN, "metadata", "too_large");
	/* A client's origin is refused as such, whatever the size. */
	json_object_object_add(ev, "metadata",
	    meta_of_size(EVT_META_MAX_BYTES, BIG_ORIGIN, 0));
	one_error(ev, 0, "metadata.origin", "extra_forbidden");
	json_object_put(ev);
}
END_TEST

START_TEST(test_origin_bounded_by_shape)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED), *meta, *o;
	char			*s;

	/* origin alone: metadata counts as {}. */
	meta = json_object_new_object();
	json_object_object_add(meta, "origin", parse(BIG_ORIGIN));
	json_object_object_add(ev, "metadata", meta);
	ck_assert_int_eq(check(ev, EVT_ALLOW_ORIGIN), 0);
	/* Not counted in the limit, origin cannot carry bulk either. */
	s = repeat('y', 2 * EVT_META_MAX_BYTES);
	o = parse("{\"uid\":0,\"gid\":0,\"pid\":1,\"via\":\"socket\"}");
	json_object_object_add(o, "bulk", json_object_new_string(s));
	json_object_object_add(meta, "origin", o);
	one_error(ev, EVT_ALLOW_ORIGIN, "metadata.origin.bulk", "extra_forbidden");
	json_object_object_add(meta, "origin", json_object_new_string(s));
	one_error(ev, EVT_ALLOW_ORIGIN, "metadata.origin", "dict_type");
	free(s);
	json_object_put(ev);
}
END_TEST

/* Metadata nested n containers deep, alternating objects and arrays. */
static struct json_object *
nested(int n)
{
	struct json_object	*top = json_object_new_object(), *cur = top, *c;
	int			 i;

	for (i = 0; i < n; i++) {
		c = i % 2 ? json_object_new_array() : json_object_new_object();
		if (json_object_is_type(cur, json_type_object))
			json_object_object_add(cur, "k", c);
		else
			json_object_array_add(cur, c);
		cur = c;
	}
	return top;
}

START_TEST(test_metadata_depth)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED);
	const struct evt_error	*e;

	json_object_object_add(ev, "metadata", nested(EVT_META_MAX_DEPTH));
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_object_add(ev, "metadata", nested(EVT_META_MAX_DEPTH + 1));
	e = one_error(ev, 0, "metadata", "too_deep");
	ck_assert_str_eq(e->msg, "nested deeper than 8 levels");
	/* Deeper still (as deep as the parser allows) is the same single error. */
	json_object_object_add(ev, "metadata", nested(AVJSON_MAX_DEPTH * 4));
	one_error(ev, 0, "metadata", "too_deep");
	json_object_put(ev);
}
END_TEST

START_TEST(test_metadata_depth_from_text)
{
	char			 text[1024];
	struct json_object	*ev;
	int			 n = EVT_META_MAX_DEPTH + 1, i;
	size_t			 off;

	off = (size_t)snprintf(text, sizeof text, "{\"event_type\":\"task_started\","
	    "\"timestamp\":\"2026-11-26T16:35:09Z\","
	    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\",\"agent_id\":\"a\","
	    "\"agent_name\":\"n\",\"agent_role\":\"\",\"operation\":\"o\","
	    "\"status\":\"success\",\"metadata\":{\"d\":");
	for (i = 0; i < n; i++)
		text[off++] = '[';
	for (i = 0; i < n; i++)
		text[off++] = ']';
	strcpy(text + off, "}}");
	ev = parse(text);
	one_error(ev, 0, "metadata", "too_deep");
	json_object_put(ev);
}
END_TEST

START_TEST(test_known_metadata_keys)
{
	static const char *const keys[] = { "session_id", "task_id", "project",
	    "trace_id", "user_id" };
	struct json_object	*ev = good(EVT_AGENT_SPAWNED), *meta = evt_metadata(ev);
	char			*s = repeat('s', EVT_SHORT_MAX + 1), field[64];
	size_t			 i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		snprintf(field, sizeof field, "metadata.%s", keys[i]);
		json_object_object_add(meta, keys[i], json_object_new_int(5));
		one_error(ev, 0, field, "string_type");
		json_object_object_add(meta, keys[i], json_object_new_string(s));
		one_error(ev, 0, field, "string_too_long");
		s[EVT_SHORT_MAX] = '\0';
		json_object_object_add(meta, keys[i], json_object_new_string(s));
		ck_assert_int_eq(check(ev, 0), 0);
		s[EVT_SHORT_MAX] = 's';
	}
	/* Other keys are free-form, including long strings. */
	json_object_object_add(meta, "notes", json_object_new_string(s));
	json_object_object_add(meta, "count", json_object_new_int(-3));
	ck_assert_int_eq(check(ev, 0), 0);
	free(s);
	json_object_put(ev);
}
END_TEST

START_TEST(test_budget_updated)
{
	static const char *const nums[] = { "budget_remaining", "budget_total",
	    "budget_delta" };
	struct json_object	*ev = good(EVT_BUDGET_UPDATED), *meta = evt_metadata(ev);
	const struct evt_error	*e;
	char			 field[64];
	size_t			 i;

	for (i = 0; i < 3; i++) {
		snprintf(field, sizeof field, "metadata.%s", nums[i]);
		json_object_object_add(meta, nums[i], json_object_new_string("90"));
		e = one_error(ev, 0, field, "float_type");
		ck_assert_str_eq(e->msg, "must be a number");
		json_object_object_add(meta, nums[i], json_object_new_boolean(1));
		one_error(ev, 0, field, "float_type");
		json_object_object_add(meta, nums[i], NULL);
		one_error(ev, 0, field, "float_type");
		json_object_object_del(meta, nums[i]);
		e = one_error(ev, 0, field, "missing");
		ck_assert_str_eq(e->msg, "field required");
		json_object_object_add(meta, nums[i], json_object_new_double(-0.5));
		ck_assert_int_eq(check(ev, 0), 0);
	}
	/* Without metadata at all: all three are named. */
	json_object_object_del(ev, "metadata");
	ck_assert_int_eq(check(ev, 0), 3);
	for (i = 0; i < 3; i++) {
		snprintf(field, sizeof field, "metadata.%s", nums[i]);
		ck_assert_str_eq(errs[i].field, field);
		ck_assert_str_eq(errs[i].type, "missing");
	}
	json_object_put(ev);
}
END_TEST

START_TEST(test_budget_from_text)
{
	struct json_object	*ev = good(EVT_BUDGET_UPDATED), *m;

	/* Numbers as the wire carries them: ints, fractions, exponents. */
	m = parse("{\"budget_remaining\":9e1,\"budget_total\":100,\"budget_delta\":-10.25}");
	json_object_object_add(ev, "metadata", m);
	ck_assert_int_eq(check(ev, 0), 0);
	/* Valid JSON, but not a number anyone can store or add up. */
	m = parse("{\"budget_remaining\":1e400,\"budget_total\":100,\"budget_delta\":0}");
	json_object_object_add(ev, "metadata", m);
	one_error(ev, 0, "metadata.budget_remaining", "finite_number");
	json_object_put(ev);
}
END_TEST

START_TEST(test_task_failed)
{
	struct json_object	*ev = good(EVT_TASK_FAILED), *meta = evt_metadata(ev);
	const struct evt_error	*e;
	char			*s;

	json_object_object_del(meta, "error");
	e = one_error(ev, 0, "metadata.error", "missing");
	ck_assert_str_eq(e->msg, "field required");
	json_object_object_add(meta, "error", json_object_new_string(""));
	one_error(ev, 0, "metadata.error", "string_too_short");
	json_object_object_add(meta, "error", json_object_new_int(1));
	one_error(ev, 0, "metadata.error", "string_type");
	/* An error message may be long: only the metadata cap applies. */
	s = repeat('e', 10000);
	json_object_object_add(meta, "error", json_object_new_string(s));
	ck_assert_int_eq(check(ev, 0), 0);
	free(s);
	json_object_object_del(ev, "metadata");
	one_error(ev, 0, "metadata.error", "missing");
	json_object_put(ev);
}
END_TEST

START_TEST(test_task_completed)
{
	struct json_object	*ev = good(EVT_TASK_COMPLETED), *meta = evt_metadata(ev);
	const struct evt_error	*e;

	json_object_object_add(meta, "duration_ms", json_object_new_int(-1));
	e = one_error(ev, 0, "metadata.duration_ms", "greater_than_equal");
	ck_assert_str_eq(e->msg, "must be >= 0");
	json_object_object_add(meta, "duration_ms", json_object_new_double(-0.1));
	one_error(ev, 0, "metadata.duration_ms", "greater_than_equal");
	json_object_object_add(meta, "duration_ms", json_object_new_string("5"));
	one_error(ev, 0, "metadata.duration_ms", "float_type");
	json_object_object_add(meta, "duration_ms", json_object_new_int(0));
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_object_add(meta, "duration_ms", json_object_new_double(2500.5));
	ck_assert_int_eq(check(ev, 0), 0);
	/* Other types do not give duration_ms a meaning, so they do not check it. */
	json_object_put(ev);
	ev = good(EVT_TASK_STARTED);
	json_object_object_add(evt_metadata(ev), "duration_ms", json_object_new_string("x"));
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_operation_denied_reason)
{
	struct json_object	*ev = good(EVT_OPERATION_DENIED), *meta = evt_metadata(ev);

	json_object_object_add(meta, "reason", json_object_new_int(3));
	one_error(ev, 0, "metadata.reason", "string_type");
	json_object_object_add(meta, "reason", json_object_new_string("rbac: not allowed"));
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_origin_refused_from_clients)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED);
	const struct evt_error	*e;
	char			 buf[256];

	json_object_object_add(evt_metadata(ev), "origin",
	    parse("{\"uid\":0,\"gid\":0,\"pid\":1,\"via\":\"socket\"}"));
	e = one_error(ev, 0, "metadata.origin", "extra_forbidden");
	ck_assert_str_eq(e->msg, "set by collectord, not accepted from clients");
	evt_error_str(e, buf, sizeof buf);
	ck_assert_str_eq(buf, "metadata.origin: set by collectord, not accepted from clients");
	ck_assert_int_eq(check(ev, EVT_ALLOW_ORIGIN), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_origin_shape)
{
	static const struct { const char *origin, *field, *type; } bad[] = {
		{ "{\"gid\":0,\"pid\":1,\"via\":\"socket\"}", "metadata.origin.uid", "missing" },
		{ "{\"uid\":0,\"gid\":0,\"pid\":-1,\"via\":\"socket\"}", "metadata.origin.pid", "greater_than_equal" },
		{ "{\"uid\":\"0\",\"gid\":0,\"pid\":1,\"via\":\"socket\"}", "metadata.origin.uid", "int_type" },
		{ "{\"uid\":0,\"gid\":1.5,\"pid\":1,\"via\":\"socket\"}", "metadata.origin.gid", "int_type" },
		{ "{\"uid\":0,\"gid\":0,\"pid\":1,\"via\":\"tcp\"}", "metadata.origin.via", "enum" },
		{ "{\"uid\":0,\"gid\":0,\"pid\":1,\"via\":3}", "metadata.origin.via", "string_type" },
		{ "{\"uid\":0,\"gid\":0,\"pid\":1}", "metadata.origin.via", "missing" },
		{ "{\"uid\":0,\"gid\":0,\"pid\":1,\"via\":\"socket\",\"host\":\"x\"}", "metadata.origin.host", "extra_forbidden" },
		{ "[0,0,1,\"socket\"]", "metadata.origin", "dict_type" },
	};
	struct json_object	*ev = good(EVT_AGENT_SPAWNED);
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_object_object_add(evt_metadata(ev), "origin", parse(bad[i].origin));
		one_error(ev, EVT_ALLOW_ORIGIN, bad[i].field, bad[i].type);
	}
	json_object_object_add(evt_metadata(ev), "origin",
	    parse("{\"uid\":1000,\"gid\":1000,\"pid\":4242,\"via\":\"fallback\"}"));
	ck_assert_int_eq(check(ev, EVT_ALLOW_ORIGIN), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_all_errors_collected)
{
	struct json_object	*ev = good(EVT_BUDGET_UPDATED);
	struct evt_error	 few[2];

	json_object_object_del(ev, "agent_id");
	json_object_object_add(ev, "status", json_object_new_string("ok"));
	json_object_object_add(ev, "seq", json_object_new_int(9));
	json_object_object_del(evt_metadata(ev), "budget_total");
	ck_assert_int_eq(check(ev, 0), 4);
	ck_assert_str_eq(errs[0].field, "agent_id");
	ck_assert_str_eq(errs[1].field, "status");
	ck_assert_str_eq(errs[2].field, "metadata.budget_total");
	ck_assert_str_eq(errs[3].field, "seq");
	/* A short array still learns the total; nothing is written past it. */
	memset(few, 0x55, sizeof few);
	ck_assert_int_eq(evt_validate(ev, 0, few, 1), 4);
	ck_assert_str_eq(few[0].field, "agent_id");
	ck_assert_int_eq((unsigned char)few[1].field[0], 0x55);
	ck_assert_int_eq(evt_validate(ev, 0, NULL, 0), 4);
	json_object_put(ev);
}
END_TEST

START_TEST(test_not_an_object)
{
	static const char *const texts[] = { "[]", "\"x\"", "1", "null", "true" };
	struct json_object	*o;
	char			 buf[128];
	size_t			 i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		o = avjson_parse(texts[i], strlen(texts[i]), NULL);
		one_error(o, 0, "", "dict_type");
		evt_error_str(&errs[0], buf, sizeof buf);
		ck_assert_str_eq(buf, "event must be a JSON object");
		json_object_put(o);
	}
	/* An empty object is every required field missing. */
	o = parse("{}");
	ck_assert_int_eq(check(o, 0), 8);
	json_object_put(o);
}
END_TEST

START_TEST(test_nul_in_string)
{
	struct json_object	*ev;

	ev = parse("{\"event_type\":\"task_started\",\"timestamp\":\"2026-11-26T16:35:09Z\","
	    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\",\"agent_id\":\"a\\u0000b\","
	    "\"agent_name\":\"n\",\"agent_role\":\"\",\"operation\":\"o\",\"status\":\"success\"}");
	one_error(ev, 0, "agent_id", "string_pattern_mismatch");
	json_object_put(ev);
}
END_TEST

/* A valid event of type type (a name) whose metadata members are text. */
static struct json_object *
with_meta(const char *type, const char *members)
{
	char	text[2048];

	snprintf(text, sizeof text, "{\"event_type\":\"%s\","
	    "\"timestamp\":\"2026-11-26T16:35:09Z\","
	    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\",\"agent_id\":\"a\","
	    "\"agent_name\":\"n\",\"agent_role\":\"\",\"operation\":\"o\","
	    "\"status\":\"success\",\"metadata\":{%s}}", type, members);
	return parse(text);
}

/* Numbers no store keeps exactly, as sent, and what the validator calls them. */
static const struct {
	const char	*text, *type, *msg;
} inexact[] = {
	{ "9223372036854775808", "int_parsing_size",
	    "integer outside the signed 64-bit range" },
	{ "-9223372036854775809", "int_parsing_size",
	    "integer outside the signed 64-bit range" },
	{ "18446744073709551615", "int_parsing_size",
	    "integer outside the signed 64-bit range" },
	{ "18446744073709551616", "int_parsing_size",
	    "integer outside the signed 64-bit range" },
	{ "1234567890123456789012345", "int_parsing_size",
	    "integer outside the signed 64-bit range" },
	{ "-1234567890123456789012345", "int_parsing_size",
	    "integer outside the signed 64-bit range" },
	{ "-0", "int_parsing_size", "-0 is not a 64-bit integer; send 0" },
	{ "1e400", "finite_number", "must be a finite number" },
	{ "-1.5E309", "finite_number", "must be a finite number" },
	{ "1e-400", "float_underflow", "too small for a double: it would be 0" },
	{ "-2e-324", "float_underflow", "too small for a double: it would be 0" },
};

START_TEST(test_numbers_not_kept_exactly)
{
	struct json_object	*ev;
	const struct evt_error	*e;
	char			 members[512];
	size_t			 i;

	for (i = 0; i < sizeof inexact / sizeof inexact[0]; i++) {
		snprintf(members, sizeof members, "\"n\":%s", inexact[i].text);
		ev = with_meta("task_started", members);
		e = one_error(ev, 0, "metadata.n", inexact[i].type);
		ck_assert_str_eq(e->msg, inexact[i].msg);
		json_object_put(ev);
		/* At any depth, the path names it. */
		snprintf(members, sizeof members,
		    "\"a\":{\"b\":[1,{\"c\":%s}]},\"z\":2", inexact[i].text);
		ev = with_meta("task_started", members);
		one_error(ev, 0, "metadata.a.b.1.c", inexact[i].type);
		json_object_put(ev);
	}
}
END_TEST

START_TEST(test_numbers_kept_exactly)
{
	static const char *const texts[] = {
		"9223372036854775807", "-9223372036854775808", "0", "-1",
		"0.0", "-0.0", "0e0", "-0E-5", "1.50", "0.1",
		"1.7976931348623157e308", "-1.7976931348623157E+308",
		"2.2250738585072014e-308", "4.9e-324", "1e-323",
		"123456789012345678901234567890.0", "1e30",
	};
	struct json_object	*ev;
	char			 members[256];
	size_t			 i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		snprintf(members, sizeof members, "\"n\":%s,\"l\":[%s]",
		    texts[i], texts[i]);
		ev = with_meta("task_started", members);
		ck_assert_msg(check(ev, 0) == 0, "%s: %s", texts[i], errs[0].msg);
		json_object_put(ev);
	}
}
END_TEST

START_TEST(test_typed_numbers_not_kept_exactly)
{
	struct json_object	*ev;
	char			 members[256];
	size_t			 i;

	/* The schema's own numbers: the same rule, one error each. */
	for (i = 0; i < sizeof inexact / sizeof inexact[0]; i++) {
		snprintf(members, sizeof members, "\"budget_remaining\":1,"
		    "\"budget_total\":%s,\"budget_delta\":0", inexact[i].text);
		ev = with_meta("budget_updated", members);
		one_error(ev, 0, "metadata.budget_total", inexact[i].type);
		json_object_put(ev);
		if (inexact[i].text[0] == '-')
			continue;	/* negative is its own error */
		snprintf(members, sizeof members, "\"duration_ms\":%s",
		    inexact[i].text);
		ev = with_meta("task_completed", members);
		one_error(ev, 0, "metadata.duration_ms", inexact[i].type);
		json_object_put(ev);
	}
	ev = with_meta("budget_updated", "\"budget_remaining\":9223372036854775807,"
	    "\"budget_total\":-9223372036854775808,\"budget_delta\":-0.0");
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_origin_not_kept_exactly)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED);

	json_object_object_add(evt_metadata(ev), "origin", parse("{\"uid\":"
	    "4294967296000000000000,\"gid\":0,\"pid\":1,\"via\":\"socket\"}"));
	one_error(ev, EVT_ALLOW_ORIGIN, "metadata.origin.uid", "int_parsing_size");
	json_object_object_add(evt_metadata(ev), "origin", parse("{\"uid\":0,"
	    "\"gid\":-0,\"pid\":1,\"via\":\"socket\"}"));
	one_error(ev, EVT_ALLOW_ORIGIN, "metadata.origin.gid", "int_parsing_size");
	json_object_put(ev);
}
END_TEST

START_TEST(test_built_numbers_not_kept_exactly)
{
	struct json_object	*ev = good(EVT_AGENT_SPAWNED), *meta = evt_metadata(ev);

	/* Numbers made in code rather than parsed obey the same rule. */
	json_object_object_add(meta, "u", json_object_new_uint64(UINT64_MAX));
	one_error(ev, 0, "metadata.u", "int_parsing_size");
	json_object_object_add(meta, "u", json_object_new_uint64(INT64_MAX));
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_object_add(meta, "u", json_object_new_double(1.0 / 0.0));
	one_error(ev, 0, "metadata.u", "finite_number");
	json_object_object_add(meta, "u", json_object_new_double(-0.0));
	ck_assert_int_eq(check(ev, 0), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_nul_anywhere)
{
	static const struct {
		const char	*type, *members, *field;
	} cases[] = {
		{ "task_started", "\"x\":\"a\\u0000b\"", "metadata.x" },
		{ "task_started", "\"x\":{\"y\":[\"ok\",\"\\u0000\"]}", "metadata.x.y.1" },
		{ "task_started", "\"session_id\":\"s\\u0000\"", "metadata.session_id" },
		{ "task_failed", "\"error\":\"boom\\u0000\"", "metadata.error" },
		{ "operation_denied", "\"reason\":\"\\u0000\"", "metadata.reason" },
	};
	struct json_object	*ev;
	const struct evt_error	*e;
	size_t			 i;

	/* One rule for every string of an event, one error for each. */
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ev = with_meta(cases[i].type, cases[i].members);
		e = one_error(ev, 0, cases[i].field, "string_pattern_mismatch");
		ck_assert_str_eq(e->msg, "must not contain NUL bytes");
		json_object_put(ev);
	}
	ev = good(EVT_AGENT_SPAWNED);
	json_object_object_add(evt_metadata(ev), "origin", parse("{\"uid\":0,"
	    "\"gid\":0,\"pid\":1,\"via\":\"socket\\u0000\"}"));
	one_error(ev, EVT_ALLOW_ORIGIN, "metadata.origin.via",
	    "string_pattern_mismatch");
	json_object_put(ev);
}
END_TEST

START_TEST(test_long_number_text_counts)
{
	static const char	 head[] = "{\"event_type\":\"task_started\","
	    "\"timestamp\":\"2026-11-26T16:35:09Z\","
	    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\","
	    "\"agent_id\":\"a\",\"agent_name\":\"n\",\"agent_role\":\"\","
	    "\"operation\":\"o\",\"status\":\"success\",\"metadata\":{\"n\":1.";
	struct json_object	*ev;
	char			*text;
	size_t			 n = sizeof head - 1;

	/*
	 * A number prints as the text it was read from, so that text counts
	 * toward the size limit at its length: 1.000…0001, 16 KiB of it.
	 */
	text = malloc(n + EVT_META_MAX_BYTES + 8);
	ck_assert_ptr_nonnull(text);
	memcpy(text, head, n);
	memset(text + n, '0', EVT_META_MAX_BYTES);
	strcpy(text + n + EVT_META_MAX_BYTES, "1}}");
	ev = parse(text);
	one_error(ev, 0, "metadata", "too_large");
	json_object_put(ev);
	free(text);
}
END_TEST

START_TEST(test_validate_does_not_modify)
{
	struct json_object	*ev = good(EVT_BUDGET_UPDATED);
	char			*before;

	json_object_object_add(ev, "extra", json_object_new_int(1));
	before = strdup(avjson_str(ev, NULL));
	check(ev, 0);
	check(ev, EVT_ALLOW_ORIGIN);
	ck_assert_str_eq(avjson_str(ev, NULL), before);
	free(before);
	json_object_put(ev);
}
END_TEST

START_TEST(test_canonical)
{
	/* Every spelling the validator accepts of one instant and one id. */
	static const struct { const char *ts, *id; } same[] = {
		{ "2026-11-26T16:35:09.123Z", "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70" },
		{ "2026-11-26T16:35:09.123+00:00", "3F1C2A4E-8B7D-4C2E-9A1F-2B3C4D5E6F70" },
		{ "2026-11-26T17:35:09.123+01:00", "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70" },
		{ "2026-11-26T16:35:09.123000Z", "3F1c2A4e-8b7D-4c2E-9a1F-2b3C4d5E6f70" },
		{ "2026-11-26T11:05:09.123-05:30", "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70" },
		{ "2026-11-26t16:35:09.123999z", "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70" },
		{ "2026-11-26T16:35:09.123-00:00", "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70" },
		{ "2026-11-27T00:05:09.123+07:30", "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70" },
	};
	struct json_object	*ev;
	const char		*why = NULL;
	char			*text;
	size_t			 i;

	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		ev = good(EVT_TASK_STARTED);
		json_object_object_add(ev, "timestamp",
		    json_object_new_string(same[i].ts));
		json_object_object_add(ev, "event_id",
		    json_object_new_string(same[i].id));
		ck_assert_int_eq(check(ev, 0), 0);
		ck_assert_msg(evt_canonical(ev, &why) == 0, "%s: %s",
		    same[i].ts, why);
		ck_assert_str_eq(evt_get_str(ev, "timestamp"),
		    "2026-11-26T16:35:09.123Z");
		ck_assert_str_eq(evt_get_str(ev, "event_id"),
		    "3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70");
		/* Still valid, and canonical is a fixed point. */
		ck_assert_int_eq(check(ev, 0), 0);
		text = strdup(avjson_str(ev, NULL));
		ck_assert_int_eq(evt_canonical(ev, &why), 0);
		ck_assert_str_eq(avjson_str(ev, NULL), text);
		free(text);
		json_object_put(ev);
	}
	/* Whole seconds gain their milliseconds. */
	ev = good(EVT_TASK_STARTED);
	json_object_object_add(ev, "timestamp",
	    json_object_new_string("2026-11-26T16:35:09+01:00"));
	ck_assert_int_eq(evt_canonical(ev, &why), 0);
	ck_assert_str_eq(evt_get_str(ev, "timestamp"), "2026-11-26T15:35:09.000Z");
	json_object_put(ev);

	/* What the validator refuses is refused, and nothing is changed. */
	ev = good(EVT_TASK_STARTED);
	json_object_object_add(ev, "event_id",
	    json_object_new_string("3F1C2A4E-8B7D-4C2E-9A1F-2B3C4D5E6F70"));
	json_object_object_add(ev, "timestamp",
	    json_object_new_string("2026-11-26T16:35:09"));
	text = strdup(avjson_str(ev, NULL));
	ck_assert_int_eq(evt_canonical(ev, &why), -1);
	ck_assert_str_eq(why, "timestamp missing or not RFC 3339");
	ck_assert_str_eq(avjson_str(ev, NULL), text);
	free(text);
	json_object_object_add(ev, "timestamp",
	    json_object_new_string("2026-11-26T16:35:09Z"));
	json_object_object_add(ev, "event_id",
	    json_object_new_string("3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f7"));
	ck_assert_int_eq(evt_canonical(ev, &why), -1);
	ck_assert_str_eq(why, "event_id missing or not a UUID");
	ck_assert_str_eq(evt_get_str(ev, "timestamp"), "2026-11-26T16:35:09Z");
	json_object_object_del(ev, "event_id");
	ck_assert_int_eq(evt_canonical(ev, &why), -1);
	json_object_put(ev);
	ev = parse("[1]");
	ck_assert_int_eq(evt_canonical(ev, &why), -1);
	ck_assert_str_eq(why, "not an object");
	json_object_put(ev);
}
END_TEST

START_TEST(test_error_str)
{
	struct evt_error	 e = { "metadata.budget_total", "must be a number", "float_type" };
	char			 buf[16];
	size_t			 n;

	n = evt_error_str(&e, buf, sizeof buf);
	ck_assert_uint_eq(n, strlen("metadata.budget_total: must be a number"));
	ck_assert_str_eq(buf, "metadata.budget");	/* cut, terminated */
}
END_TEST

START_TEST(test_metadata_helpers)
{
	struct json_object	*ev = parse("{\"a\":1,\"metadata\":[]}");

	ck_assert_ptr_null(evt_metadata(ev));
	ck_assert_ptr_null(evt_get_str(ev, "a"));
	ck_assert_ptr_null(evt_get_str(ev, "b"));
	json_object_object_del(ev, "metadata");
	ck_assert_ptr_nonnull(evt_metadata(ev));
	ck_assert(json_object_is_type(evt_metadata(ev), json_type_object));
	json_object_put(ev);
}
END_TEST

/* The suite: one test case per rule family. */
static Suite *
event_suite(void)
{
	Suite	*s = suite_create("event");
	TCase	*tc = tcase_create("validate");

	tcase_add_loop_test(tc, test_each_type_valid, 0, EVT__COUNT);
	tcase_add_loop_test(tc, test_evt_new_defaults, 0, EVT__COUNT);
	tcase_add_test(tc, test_default_statuses);
	tcase_add_test(tc, test_type_lookup);
	tcase_add_loop_test(tc, test_missing_field, 0, 8);
	tcase_add_loop_test(tc, test_mistyped_field, 0, 8);
	tcase_add_loop_test(tc, test_too_long_field, 0, 8);
	tcase_add_test(tc, test_free_fields_at_limit);
	tcase_add_test(tc, test_empty_strings);
	tcase_add_test(tc, test_null_is_mistyped);
	tcase_add_test(tc, test_bad_event_type);
	tcase_add_test(tc, test_bad_status);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_uuids);
	tcase_add_test(tc, test_unknown_top_level);
	tcase_add_test(tc, test_metadata_absent_is_empty);
	tcase_add_test(tc, test_metadata_not_object);
	tcase_add_test(tc, test_metadata_size);
	tcase_add_test(tc, test_metadata_size_without_origin);
	tcase_add_test(tc, test_origin_bounded_by_shape);
	tcase_add_test(tc, test_metadata_depth);
	tcase_add_test(tc, test_metadata_depth_from_text);
	tcase_add_test(tc, test_known_metadata_keys);
	tcase_add_test(tc, test_budget_updated);
	tcase_add_test(tc, test_budget_from_text);
	tcase_add_test(tc, test_task_failed);
	tcase_add_test(tc, test_task_completed);
	tcase_add_test(tc, test_operation_denied_reason);
	tcase_add_test(tc, test_origin_refused_from_clients);
	tcase_add_test(tc, test_origin_shape);
	tcase_add_test(tc, test_all_errors_collected);
	tcase_add_test(tc, test_not_an_object);
	tcase_add_test(tc, test_nul_in_string);
	tcase_add_test(tc, test_numbers_not_kept_exactly);
	tcase_add_test(tc, test_numbers_kept_exactly);
	tcase_add_test(tc, test_typed_numbers_not_kept_exactly);
	tcase_add_test(tc, test_origin_not_kept_exactly);
	tcase_add_test(tc, test_built_numbers_not_kept_exactly);
	tcase_add_test(tc, test_nul_anywhere);
	tcase_add_test(tc, test_long_number_text_counts);
	tcase_add_test(tc, test_validate_does_not_modify);
	tcase_add_test(tc, test_canonical);
	tcase_add_test(tc, test_error_str);
	tcase_add_test(tc, test_metadata_helpers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(event_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
