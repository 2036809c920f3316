/*
 * build.c: turn hookcli's options, the AGENTVIS_* environment and
 * KEY=VALUE pairs into the fields of an event made by evt_new().
 *
 * The event itself (ids, timestamp, per-type defaults) comes from lib; this
 * file only decides where each option lands and how a value on the command
 * line becomes JSON: text that is a JSON number becomes a number (so
 * "budget_delta=-10" arrives as -10), everything else stays a string.
 * true, false and null stay strings on purpose: a shell cannot say whether
 * "null" was meant as text, and metadata values are opaque to us. So do
 * numbers no store keeps exactly (see hk_value); the numeric options are
 * numbers whatever they say, and the validator refuses those by name.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "hookcli.h"
#include "log.h"
#include "xmalloc.h"

/* getenv, with an empty value counted as unset. */
static const char *
build_env(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

/* Fill f from the AGENTVIS_* variables. */
void
hk_fields_env(struct hk_fields *f)
{
	memset(f, 0, sizeof *f);
	f->agent_id = build_env("AGENTVIS_AGENT_ID");
	f->agent_name = build_env("AGENTVIS_AGENT_NAME");
	f->agent_role = build_env("AGENTVIS_AGENT_ROLE");
	f->session_id = build_env("AGENTVIS_SESSION_ID");
	f->project = build_env("AGENTVIS_PROJECT");
	f->trace_id = build_env("AGENTVIS_TRACE_ID");
	f->user_id = build_env("AGENTVIS_USER_ID");
}

/* 1 if s is a JSON number ("-12", "2.5", "1e3"), else 0. */
int
hk_is_number(const char *s)
{
	const char	*p = s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9') {
		while (isdigit((unsigned char)*p))
			p++;
	} else
		return 0;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/*
 * JSON value for a KEY=VALUE's text. A JSON number becomes a number kept
 * as typed ("2.50" is not re-printed as 2.5) when every store keeps it
 * exactly; one no store keeps (an integer outside the signed 64-bit
 * range, "-0", "1e999", "1e-999") stays the string it was typed as:
 * nothing the user wrote is changed, and a pair does not make the
 * whole event refused.
 */
struct json_object *
hk_value(const char *s)
{
	struct json_object	*n;

	if (hk_is_number(s)) {
		n = avjson_new_number(s);
		if (avjson_num_check(n) == AVJSON_NUM_EXACT)
			return n;
		json_object_put(n);
	}
	return json_object_new_string(s);
}

/* Check "KEY=VALUE": 0, or -1 with a static reason in *why. */
int
hk_pair_check(const char *pair, const char **why)
{
	const char	*eq = strchr(pair, '=');

	if (eq == NULL) {
		*why = "not KEY=VALUE";
		return -1;
	}
	if (eq == pair) {
		*why = "empty key";
		return -1;
	}
	return 0;
}

/* Set key on obj to a new value unless it is there and overwrite is 0. */
static void
build_set(struct json_object *obj, const char *key, struct json_object *val,
    int overwrite)
{
	if (!overwrite && json_object_object_get_ex(obj, key, NULL)) {
		json_object_put(val);
		return;
	}
	if (val == NULL)
		fatalx("out of memory");
	json_object_object_add(obj, key, val);
}

/* Set a string field when s is given. */
static void
build_str(struct json_object *obj, const char *key, const char *s,
    int overwrite)
{
	if (s != NULL)
		build_set(obj, key, json_object_new_string(s), overwrite);
}

/*
 * Set a numeric option's field when s is given: a number whenever s is
 * one (hk_num_opt saw to that), so that one no store keeps exactly is
 * refused by the validator naming the field, not sent as a string.
 */
static void
build_num(struct json_object *obj, const char *key, const char *s,
    int overwrite)
{
	if (s != NULL)
		build_set(obj, key, hk_is_number(s) ? avjson_new_number(s) :
		    json_object_new_string(s), overwrite);
}

/* Set the fields of f that are non-NULL on ev. */
void
hk_fields_apply(struct json_object *ev, const struct hk_fields *f,
    int overwrite)
{
	struct json_object	*md = evt_metadata(ev);
	size_t			 i;

	build_str(ev, "agent_id", f->agent_id, overwrite);
	build_str(ev, "agent_name", f->agent_name, overwrite);
	build_str(ev, "agent_role", f->agent_role, overwrite);
	build_str(ev, "operation", f->operation, overwrite);
	build_str(ev, "status", f->status, overwrite);

	build_str(md, "session_id", f->session_id, overwrite);
	build_str(md, "task_id", f->task_id, overwrite);
	build_str(md, "project", f->project, overwrite);
	build_str(md, "trace_id", f->trace_id, overwrite);
	build_str(md, "user_id", f->user_id, overwrite);
	build_num(md, "duration_ms", f->duration_ms, overwrite);
	build_num(md, "budget_remaining", f->remaining, overwrite);
	build_num(md, "budget_total", f->total, overwrite);
	build_num(md, "budget_delta", f->delta, overwrite);
	build_str(md, "error", f->error, overwrite);
	build_str(md, "reason", f->reason, overwrite);

	/* Pairs come last and win: they are the most specific thing said. */
	for (i = 0; i < f->npairs; i++) {
		const char	*eq = strchr(f->pairs[i], '=');
		char		*key;

		if (eq == NULL || eq == f->pairs[i])
			continue;	/* refused by hk_pair_check already */
		key = xstrndup(f->pairs[i], eq - f->pairs[i]);
		build_set(md, key, hk_value(eq + 1), 1);
		free(key);
	}
}
