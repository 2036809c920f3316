/*
 * hooks.c: one engine that turns any agent framework's hook payload (JSON
 * on stdin) into one event, driven by that framework's table (fw_*.c).
 *
 * A hook runs inside the agent it observes, so nothing here refuses: a
 * hook the table does not know becomes a generic agent_activated event
 * naming it, a field of the wrong type is left out, and every value taken
 * from the payload is bounded (strings and tool inputs cut to 2 KiB, the
 * identity fields to the schema's 256 bytes, the whole metadata to
 * HK_META_BUDGET), so a hostile or huge payload still makes a valid event.
 * What the schema refuses in any value is not passed on as it is either:
 * a string is cut at a NUL, and a number no store keeps exactly (or an
 * object or array holding one) is sent as its JSON text.
 * Only a payload that is not a JSON object at all is given up on.
 *
 * Precedence, as for every hookcli command: what the payload says, under
 * the command line; the AGENTVIS_* environment fills what the payload
 * left unsaid (hookcli.c), and hk_hook_defaults() what is still missing.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hookcli.h"
#include "avjson.h"
#include "xmalloc.h"

/* Deepest object or array kept as it is (metadata allows 8 levels). */
#define HK_KEEP_DEPTH		6
/* What a value is cut to when the metadata would pass HK_META_BUDGET. */
#define HK_SQUEEZE_MAX		256

/* Fields kept for a hook the table does not know, when present. */
static const struct hk_keep hk_unknown_keep[] = {
	{ "tool_name", NULL, 0 }, { "tool_input", NULL, 0 },
	{ "tool_use_id", NULL, 0 }, { "notification_type", NULL, 0 },
	{ "message", NULL, 0 }, { "reason", NULL, 0 }, { "error", NULL, 0 },
	{ "trigger", NULL, 0 }, { "source", NULL, 0 }, { "status", NULL, 0 },
	{ NULL, NULL, 0 }
};

/* Non-empty string member of obj, or NULL. */
const char *
hk_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;
	const char		*s;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return *s == '\0' ? NULL : s;
}

/* Length of s cut to at most max bytes, not inside a UTF-8 sequence. */
size_t
hk_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* A new string of s cut to max bytes (whole UTF-8 characters). */
static struct json_object *
hk_str_cut(const char *s, size_t max, int *cut)
{
	size_t	len = strlen(s), n = hk_cut(s, len, max);

	if (cut != NULL)
		*cut = n < len;
	return json_object_new_string_len(s, n);
}

/* Nesting depth of a JSON value (a scalar is 0). */
static int
hk_depth(struct json_object *v)
{
	int	 d = 0, c;
	size_t	 i, n;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, child) {
			(void)key;
			if ((c = hk_depth(child)) > d)
				d = c;
		}
		return d + 1;
	}
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if ((c = hk_depth(json_object_array_get_idx(v, i))) > d)
				d = c;
		return d + 1;
	}
	return 0;
}

/* Set md.key_truncated = true. */
static void
hk_mark_cut(struct json_object *md, const char *key)
{
	char	mark[128];

	snprintf(mark, sizeof mark, "%.100s_truncated", key);
	json_object_object_add(md, mark, json_object_new_boolean(1));
}

/* 1 if key is in the NULL-ended list. */
static int
hk_in(const char *const *list, const char *key)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

/*
 * Put value v (borrowed) into md under key, within the schema's rules for
 * that key in an event of type t: a key the schema types (error, reason,
 * duration_ms, session_id, …) takes only a value of that type, and every
 * value is bounded.
 */
void
hk_keep_value(struct json_object *md, enum evt_type t, const char *key,
    struct json_object *v)
{
	const struct evt_type_info	*ti = &evt_types[t];
	const char			*text;
	size_t				 len;
	int				 cut = 0, want_str, want_num;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return;
	want_str = evt_meta_is_short(key) || hk_in(ti->need_str, key) ||
	    hk_in(ti->opt_str, key);
	want_num = hk_in(ti->need_num, key) || hk_in(ti->opt_num, key);
	switch (json_object_get_type(v)) {
	case json_type_string:
		if (want_num)
			return;
		/* hk_str_cut stops at a NUL too: that is a cut as well. */
		text = json_object_get_string(v);
		json_object_object_add(md, key, hk_str_cut(text,
		    evt_meta_is_short(key) ? EVT_SHORT_MAX : HK_TEXT_MAX, &cut));
		if (strlen(text) < (size_t)json_object_get_string_len(v))
			cut = 1;
		break;
	case json_type_int:
	case json_type_double:
		if (want_str)
			return;
		/* Counts the schema allows (duration_ms) are never negative. */
		if (hk_in(ti->opt_num, key) && json_object_get_double(v) < 0)
			return;
		if (avjson_num_check(v) != AVJSON_NUM_EXACT) {
			/* As text: the schema's own numbers cannot be that. */
			if (want_num)
				return;
			json_object_object_add(md, key, json_object_new_string(
			    avjson_str(v, NULL)));
			break;
		}
		json_object_object_add(md, key, json_object_get(v));
		break;
	case json_type_boolean:
		if (want_str || want_num)
			return;
		json_object_object_add(md, key, json_object_get(v));
		break;
	default:			/* object or array */
		if (want_str || want_num)
			return;
		text = avjson_str(v, &len);
		if (len <= HK_TOOL_INPUT_MAX && hk_depth(v) <= HK_KEEP_DEPTH &&
		    evt_value_refusals(v) == 0) {
			json_object_object_add(md, key, json_object_get(v));
			break;
		}
		json_object_object_add(md, key, json_object_new_string_len(
		    text, hk_cut(text, len, HK_TOOL_INPUT_MAX)));
		cut = len > HK_TOOL_INPUT_MAX || hk_depth(v) > HK_KEEP_DEPTH;
		break;
	}
	if (cut)
		hk_mark_cut(md, key);
}

/* Copy the listed payload fields into md. */
static void
hk_keep_all(struct json_object *md, enum evt_type t, struct json_object *p,
    const struct hk_keep *keep)
{
	struct json_object	*v;

	for (; keep != NULL && keep->from != NULL; keep++) {
		if (!json_object_object_get_ex(p, keep->from, &v))
			continue;
		if (keep->flags & HK_KEEP_NOTEXT)
			continue;	/* what was said stays with the agent */
		hk_keep_value(md, t, keep->to != NULL ? keep->to : keep->from,
		    v);
	}
}

/* metadata.project: the last component of a directory, "/" for the root. */
void
hk_project(struct json_object *md, const char *dir)
{
	size_t		 len = strlen(dir);
	const char	*start;
	char		 name[EVT_SHORT_MAX + 1];

	while (len > 1 && dir[len - 1] == '/')
		len--;
	start = dir + len;
	while (start > dir && start[-1] != '/')
		start--;
	if (start == dir + len)		/* "/" itself */
		start = dir, len = 1;
	else
		len -= start - dir;
	len = hk_cut(start, len, EVT_SHORT_MAX);
	memcpy(name, start, len);
	name[len] = '\0';
	json_object_object_add(md, "project", json_object_new_string(name));
}

/*
 * Keep the metadata within HK_META_BUDGET bytes: while it is over, cut the
 * largest value that hookcli copied from the payload to a short text. The
 * identity keys (hook, framework, session, project) are never touched.
 */
static void
hk_squeeze(struct json_object *md)
{
	static const char *const keep[] = {
		"hook", "framework", "session_id", "project", "hook_unknown",
		NULL
	};
	struct json_object	*big, *s;
	const char		*text, *bigkey;
	size_t			 len, biglen, n;
	int			 rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		(void)avjson_str(md, &len);
		if (len <= HK_META_BUDGET)
			return;
		big = NULL;
		bigkey = NULL;
		biglen = 0;
		json_object_object_foreach(md, key, v) {
			if (hk_in(keep, key))
				continue;
			(void)avjson_str(v, &n);
			if (n > biglen) {
				big = v;
				bigkey = key;
				biglen = n;
			}
		}
		if (big == NULL || biglen <= HK_SQUEEZE_MAX)
			return;
		if (json_object_is_type(big, json_type_string))
			text = json_object_get_string(big);
		else
			text = avjson_str(big, NULL);
		s = hk_str_cut(text, HK_SQUEEZE_MAX, NULL);
		bigkey = xstrdup(bigkey);
		json_object_object_add(md, bigkey, s);	/* frees big */
		hk_mark_cut(md, bigkey);
		free((char *)bigkey);
	}
}

/* The hook's name: the first of the framework's hook keys present. */
static const char *
hk_hook_name(const struct hk_framework *fw, struct json_object *p)
{
	const char *const	*k;
	const char		*s;

	for (k = fw->hook_keys; *k != NULL; k++)
		if ((s = hk_str(p, *k)) != NULL)
			return s;
	return NULL;
}

/* The table's row for a hook name, or NULL. */
const struct hk_hook *
hk_hook_find(const struct hk_framework *fw, const char *name)
{
	size_t	i;

	for (i = 0; i < fw->nhooks; i++)
		if (strcmp(fw->hooks[i].name, name) == 0)
			return &fw->hooks[i];
	return NULL;
}

/* Set a top-level string field of ev, cut to the schema's 256 bytes. */
static void
hk_set_short(struct json_object *ev, const char *field, const char *s)
{
	json_object_object_add(ev, field, hk_str_cut(s, EVT_SHORT_MAX, NULL));
}

/* First non-empty string of the listed payload keys, or NULL. */
static const char *
hk_first(struct json_object *p, const char *const *keys)
{
	const char	*s;

	for (; keys != NULL && *keys != NULL; keys++)
		if ((s = hk_str(p, *keys)) != NULL)
			return s;
	return NULL;
}

/* Map a payload onto a new event by the framework's table. */
struct json_object *
hk_hook_event(const struct hk_framework *fw, struct json_object *p,
    const struct hk_hook **rowp, char **cause)
{
	const struct hk_hook	*row;
	struct hk_hook		 unknown;
	struct json_object	*ev, *md;
	const char		*hook, *s;

	*cause = NULL;
	*rowp = NULL;
	if (!json_object_is_type(p, json_type_object)) {
		*cause = xstrdup("payload is not a JSON object");
		return NULL;
	}
	if ((hook = hk_hook_name(fw, p)) == NULL) {
		/* Not even a name: still a trace that the hook ran. */
		hook = "unnamed";
	}
	if ((row = hk_hook_find(fw, hook)) == NULL) {
		memset(&unknown, 0, sizeof unknown);
		unknown.name = hook;
		unknown.type = EVT_AGENT_ACTIVATED;
		unknown.operation = hook;
		unknown.keep = hk_unknown_keep;
		row = &unknown;
	} else
		*rowp = row;

	ev = evt_new(row->type);
	md = evt_metadata(ev);
	json_object_object_add(md, "framework",
	    json_object_new_string(fw->name));
	json_object_object_add(md, "hook", hk_str_cut(hook, EVT_SHORT_MAX,
	    NULL));
	if (row == &unknown)
		json_object_object_add(md, "hook_unknown",
		    json_object_new_boolean(1));

	/* Inside a subagent the payload names it; else the session is the agent. */
	if ((s = hk_first(p, fw->agent_keys)) != NULL ||
	    (s = hk_first(p, fw->session_keys)) != NULL)
		hk_set_short(ev, "agent_id", s);
	if ((s = hk_first(p, fw->agent_name_keys)) != NULL)
		hk_set_short(ev, "agent_name", s);
	if ((s = hk_first(p, fw->session_keys)) != NULL)
		json_object_object_add(md, "session_id", hk_str_cut(s,
		    EVT_SHORT_MAX, NULL));
	if ((s = hk_first(p, fw->cwd_keys)) != NULL)
		hk_project(md, s);

	s = row->op_from != NULL ? hk_str(p, row->op_from) : NULL;
	if (s == NULL)
		s = row->operation;
	if (s == NULL)
		s = evt_types[row->type].operation;
	hk_set_short(ev, "operation", s);

	hk_keep_all(md, row->type, p, fw->common);
	hk_keep_all(md, row->type, p, row->keep);
	if (fw->refine != NULL)
		fw->refine(ev, md, p);
	if (row->refine != NULL)
		row->refine(ev, md, p);

	/* A failure always says what failed, as the schema requires. */
	if ((s = evt_get_str(ev, "event_type")) != NULL &&
	    evt_type_lookup(s) == EVT_TASK_FAILED && hk_str(md, "error") == NULL)
		json_object_object_add(md, "error", json_object_new_string(
		    row->op_from != NULL ? "tool failed" : "failed"));
	hk_squeeze(md);
	return ev;
}

/* Defaults for what neither payload, environment nor options said. */
void
hk_hook_defaults(const struct hk_framework *fw, struct json_object *ev,
    struct json_object *p)
{
	/* No session in the payload and none in the environment. */
	if (!json_object_object_get_ex(ev, "agent_id", NULL))
		json_object_object_add(ev, "agent_id",
		    json_object_new_string(fw->name));
	if (!json_object_object_get_ex(ev, "agent_name", NULL))
		json_object_object_add(ev, "agent_name",
		    json_object_new_string(fw->agent_name));
	/* A payload naming a subagent comes from inside one. */
	if (!json_object_object_get_ex(ev, "agent_role", NULL))
		json_object_object_add(ev, "agent_role", json_object_new_string(
		    hk_first(p, fw->agent_keys) != NULL ? "subagent" : "main"));
}

/* The framework a command names ("claude-code"), or NULL. */
const struct hk_framework *
hk_framework_find(const char *name)
{
	static const struct hk_framework *const all[] = {
		&hk_fw_claude, &hk_fw_gemini, &hk_fw_cursor, &hk_fw_codex,
	};
	size_t	i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
