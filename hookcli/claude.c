/*
 * claude.c: map a Claude Code hook payload (JSON on stdin) onto an event.
 *
 * The table below is the whole mapping; hookcli(1) documents it row by
 * row. Only facts found in the payload are set here. The caller then lays
 * the AGENTVIS_* environment under them and the command-line options over
 * them, and hk_claude_defaults() fills what is still missing.
 *
 * Payloads are untrusted and may be large (a Write tool's tool_input holds
 * the whole file): tool_input is kept as an object only while it is small
 * and shallow, otherwise as its text cut to HK_TOOL_INPUT_MAX bytes with
 * "tool_input_truncated": true, so an event stays far below the 16 KiB
 * metadata limit whatever the agent did.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hookcli.h"
#include "avjson.h"
#include "xmalloc.h"

/*
 * What each hook becomes. PreToolUse fires before Claude Code's permission
 * check, so its operation_allowed records an attempt, not an approval; a
 * denial follows as PermissionDenied with the same tool_use_id.
 */
struct claude_map {
	const char	*hook;		/* hook_event_name */
	enum evt_type	 type;
	const char	*operation;	/* NULL: the payload's tool_name */
};

static const struct claude_map claude_maps[] = {
	{ "SessionStart",	EVT_AGENT_SPAWNED,	"session_start" },
	{ "SubagentStart",	EVT_AGENT_SPAWNED,	"subagent_start" },
	{ "UserPromptSubmit",	EVT_TASK_STARTED,	"user_prompt" },
	{ "PreToolUse",		EVT_OPERATION_ALLOWED,	NULL },
	{ "PermissionDenied",	EVT_OPERATION_DENIED,	NULL },
	{ "PostToolUse",	EVT_TASK_COMPLETED,	NULL },
	{ "PostToolUseFailure",	EVT_TASK_FAILED,	NULL },
	{ "Stop",		EVT_TASK_COMPLETED,	"stop" },
	{ "SubagentStop",	EVT_TASK_COMPLETED,	"subagent_stop" },
	{ "SessionEnd",		EVT_TASK_COMPLETED,	"session_end" },
};

/* Deepest tool_input kept as an object (metadata allows 8 levels). */
#define CLAUDE_TOOL_INPUT_DEPTH 6

/* Non-empty string member of obj, or NULL. */
static const char *
claude_str(struct json_object *obj, const char *key)
{
	struct json_object	*v;
	const char		*s;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return *s == '\0' ? NULL : s;
}

/* Nesting depth of a JSON value (a scalar is 0). */
static int
claude_depth(struct json_object *v)
{
	int	 d = 0, c;
	size_t	 i, n;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, child) {
			(void)key;
			if ((c = claude_depth(child)) > d)
				d = c;
		}
		return d + 1;
	}
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if ((c = claude_depth(json_object_array_get_idx(v,
			    i))) > d)
				d = c;
		return d + 1;
	}
	return 0;
}

/* Length of s cut to at most max bytes, not inside a UTF-8 sequence. */
static size_t
claude_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* Copy string member key of p into md, cut to HK_TEXT_MAX with a marker. */
static void
claude_text(struct json_object *md, struct json_object *p, const char *key)
{
	const char	*s = claude_str(p, key);
	size_t		 len, cut;
	char		 mark[64];

	if (s == NULL)
		return;
	len = strlen(s);
	cut = claude_cut(s, len, HK_TEXT_MAX);
	json_object_object_add(md, key, json_object_new_string_len(s, cut));
	if (cut < len) {
		snprintf(mark, sizeof mark, "%s_truncated", key);
		json_object_object_add(md, mark, json_object_new_boolean(1));
	}
}

/* metadata.tool_input: the object when small, else its text cut short. */
static void
claude_tool_input(struct json_object *md, struct json_object *p)
{
	struct json_object	*ti;
	const char		*text;
	size_t			 len;

	if (!json_object_object_get_ex(p, "tool_input", &ti) || ti == NULL)
		return;
	text = avjson_str(ti, &len);
	if (len <= HK_TOOL_INPUT_MAX &&
	    claude_depth(ti) <= CLAUDE_TOOL_INPUT_DEPTH) {
		json_object_object_add(md, "tool_input", json_object_get(ti));
		return;
	}
	json_object_object_add(md, "tool_input", json_object_new_string_len(
	    text, claude_cut(text, len, HK_TOOL_INPUT_MAX)));
	json_object_object_add(md, "tool_input_truncated",
	    json_object_new_boolean(1));
}

/* Last path component of a directory, without trailing slashes. */
static void
claude_project(struct json_object *md, const char *cwd)
{
	size_t		 len = strlen(cwd);
	const char	*start;

	while (len > 1 && cwd[len - 1] == '/')
		len--;
	start = cwd + len;
	while (start > cwd && start[-1] != '/')
		start--;
	if (start == cwd + len)		/* "/" itself */
		start = cwd, len = 1;
	else
		len -= start - cwd;
	json_object_object_add(md, "project",
	    json_object_new_string_len(start, len));
}

/* Map a Claude Code hook payload onto a new event. */
struct json_object *
hk_claude_event(struct json_object *p, char **cause)
{
	const struct claude_map	*m = NULL;
	struct json_object	*ev, *md, *v;
	const char		*hook, *s;
	size_t			 i;

	*cause = NULL;
	if (!json_object_is_type(p, json_type_object)) {
		*cause = xstrdup("payload is not a JSON object");
		return NULL;
	}
	if ((hook = claude_str(p, "hook_event_name")) == NULL) {
		*cause = xstrdup("hook_event_name: field required (string)");
		return NULL;
	}
	for (i = 0; i < sizeof claude_maps / sizeof claude_maps[0]; i++) {
		if (strcmp(claude_maps[i].hook, hook) == 0) {
			m = &claude_maps[i];
			break;
		}
	}
	if (m == NULL) {
		*cause = xasprintf("hook_event_name: unknown hook \"%.64s\"",
		    hook);
		return NULL;
	}
	if (m->operation == NULL && claude_str(p, "tool_name") == NULL) {
		*cause = xasprintf("%s payload: tool_name: field required",
		    m->hook);
		return NULL;
	}

	ev = evt_new(m->type);
	md = evt_metadata(ev);
	json_object_object_add(md, "hook", json_object_new_string(m->hook));

	/* Inside a subagent the payload names it; else the session is the agent. */
	if ((s = claude_str(p, "agent_id")) != NULL ||
	    (s = claude_str(p, "session_id")) != NULL)
		json_object_object_add(ev, "agent_id",
		    json_object_new_string(s));
	if ((s = claude_str(p, "agent_type")) != NULL)
		json_object_object_add(ev, "agent_name",
		    json_object_new_string(s));
	if ((s = claude_str(p, "session_id")) != NULL)
		json_object_object_add(md, "session_id",
		    json_object_new_string(s));
	if ((s = claude_str(p, "cwd")) != NULL)
		claude_project(md, s);

	s = m->operation != NULL ? m->operation : claude_str(p, "tool_name");
	json_object_object_add(ev, "operation", json_object_new_string(s));
	if ((s = claude_str(p, "tool_use_id")) != NULL)
		json_object_object_add(md, "tool_use_id",
		    json_object_new_string(s));

	switch (m->type) {
	case EVT_AGENT_SPAWNED:
		if ((s = claude_str(p, "source")) != NULL)
			json_object_object_add(md, "source",
			    json_object_new_string(s));
		if ((s = claude_str(p, "model")) != NULL)
			json_object_object_add(md, "model",
			    json_object_new_string(s));
		break;
	case EVT_OPERATION_ALLOWED:
		claude_tool_input(md, p);
		break;
	case EVT_OPERATION_DENIED:
		claude_tool_input(md, p);
		claude_text(md, p, "reason");
		break;
	case EVT_TASK_COMPLETED:
		if (json_object_object_get_ex(p, "duration_ms", &v) &&
		    (json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)))
			json_object_object_add(md, "duration_ms",
			    json_object_get(v));
		claude_text(md, p, "reason");		/* SessionEnd */
		break;
	case EVT_TASK_FAILED:
		claude_text(md, p, "error");
		if (!json_object_object_get_ex(md, "error", NULL))
			json_object_object_add(md, "error",
			    json_object_new_string("tool failed"));
		if (json_object_object_get_ex(p, "is_interrupt", &v) &&
		    json_object_is_type(v, json_type_boolean))
			json_object_object_add(md, "is_interrupt",
			    json_object_get(v));
		break;
	default:
		break;
	}
	return ev;
}

/* Defaults for what neither payload, environment nor options said. */
void
hk_claude_defaults(struct json_object *ev, struct json_object *p)
{
	if (!json_object_object_get_ex(ev, "agent_name", NULL))
		json_object_object_add(ev, "agent_name",
		    json_object_new_string("claude"));
	/* A payload naming an agent_id comes from inside a subagent. */
	if (!json_object_object_get_ex(ev, "agent_role", NULL))
		json_object_object_add(ev, "agent_role", json_object_new_string(
		    claude_str(p, "agent_id") != NULL ? "subagent" : "main"));
}
