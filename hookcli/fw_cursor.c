/*
 * fw_cursor.c: Cursor's agent hooks (hooks.json), mapped from its hooks
 * documentation (cursor.com/docs/hooks as of August 2026, Cursor 3.x: 21
 * hook events).
 *
 * Cursor reads a hook's stdout as its decision, and on the events that
 * gate an action (preToolUse, beforeShellExecution, beforeMCPExecution,
 * beforeReadFile, subagentStart, beforeTabFileRead) there is no neutral
 * answer: "allow" may skip Cursor's own approval, and some builds block
 * on an empty answer. So "hookcli setup cursor" does not wire those (the
 * after* hooks report the same work), and hookcli maps them silently if an
 * operator wires them anyway. beforeSubmitPrompt gets the documented
 * neutral answer on stdout, {"continue":true}.
 */
#include "config.h"

#include <string.h>

#include "hookcli.h"

static const char *const cu_hook_keys[] = { "hook_event_name", NULL };
static const char *const cu_session_keys[] = {
	"conversation_id", "session_id", NULL
};
static const char *const cu_agent_keys[] = { "subagent_id", NULL };
/* subagentStop's subagent_type names the subagent, not the agent: none. */
static const char *const cu_agent_name_keys[] = { NULL };
static const char *const cu_cwd_keys[] = { "cwd", NULL };

#define K(f)		{ f, NULL, 0 }
#define KAS(f, t)	{ f, t, 0 }
#define SECRET(f)	{ f, NULL, HK_KEEP_NOTEXT }
#define END		{ NULL, NULL, 0 }

static const struct hk_keep cu_common[] = {
	K("generation_id"), K("model"), K("model_id"), K("cursor_version"),
	K("workspace_roots"), K("user_email"), SECRET("transcript_path"), END
};

/* The project is the first workspace root unless the hook named a cwd. */
static void
cu_refine(struct json_object *ev, struct json_object *md, struct json_object *p)
{
	struct json_object	*roots, *r0;

	(void)ev;
	if (json_object_object_get_ex(md, "project", NULL) ||
	    !json_object_object_get_ex(p, "workspace_roots", &roots) ||
	    !json_object_is_type(roots, json_type_array) ||
	    json_object_array_length(roots) == 0 ||
	    (r0 = json_object_array_get_idx(roots, 0)) == NULL ||
	    !json_object_is_type(r0, json_type_string) ||
	    json_object_get_string_len(r0) == 0)
		return;
	hk_project(md, json_object_get_string(r0));
}

/* Make ev a failure (task_failed) with the payload's message, if any. */
static void
cu_fail(struct json_object *ev, struct json_object *md, struct json_object *p,
    const char *fallback)
{
	json_object_object_add(ev, "event_type",
	    json_object_new_string(evt_types[EVT_TASK_FAILED].name));
	json_object_object_add(ev, "status", json_object_new_string(
	    evt_types[EVT_TASK_FAILED].status));
	if (hk_str(p, "error_message") != NULL)
		hk_keep_value(md, EVT_TASK_FAILED, "error",
		    json_object_object_get(p, "error_message"));
	else
		json_object_object_add(md, "error",
		    json_object_new_string(fallback));
}

/* postToolUseFailure: a permission refusal is a denial, not a failure. */
static void
cu_tool_failure(struct json_object *ev, struct json_object *md,
    struct json_object *p)
{
	const char	*ft = hk_str(p, "failure_type");

	if (ft == NULL || strcmp(ft, "permission_denied") != 0)
		return;
	json_object_object_add(ev, "event_type",
	    json_object_new_string(evt_types[EVT_OPERATION_DENIED].name));
	json_object_object_add(ev, "status", json_object_new_string(
	    evt_types[EVT_OPERATION_DENIED].status));
	json_object_object_del(md, "error");
	json_object_object_del(md, "error_truncated");
	if (hk_str(p, "error_message") != NULL)
		hk_keep_value(md, EVT_OPERATION_DENIED, "reason",
		    json_object_object_get(p, "error_message"));
}

/* stop, subagentStop, sessionEnd: "error" ends are failures. */
static void
cu_end(struct json_object *ev, struct json_object *md, struct json_object *p)
{
	const char	*st = hk_str(p, "status");
	const char	*why = hk_str(p, "reason");

	if ((st != NULL && strcmp(st, "error") == 0) ||
	    (why != NULL && strcmp(why, "error") == 0))
		cu_fail(ev, md, p, "ended with an error");
}

/* afterFileEdit, afterTabFileEdit: how many edits, not their text. */
static void
cu_edits(struct json_object *ev, struct json_object *md, struct json_object *p)
{
	struct json_object	*edits;

	(void)ev;
	if (json_object_object_get_ex(p, "edits", &edits) &&
	    json_object_is_type(edits, json_type_array))
		json_object_object_add(md, "edit_count", json_object_new_int64(
		    (int64_t)json_object_array_length(edits)));
}

/* subagentStart: the agent is the subagent, named by its type. */
static void
cu_subagent(struct json_object *ev, struct json_object *md,
    struct json_object *p)
{
	const char	*s;

	(void)md;
	if ((s = hk_str(p, "subagent_type")) != NULL)
		json_object_object_add(ev, "agent_name",
		    json_object_new_string_len(s, hk_cut(s, strlen(s),
		    EVT_SHORT_MAX)));
}

static const struct hk_keep cu_shell[] = {
	K("command"), K("cwd"), K("sandbox"), KAS("duration", "duration_ms"),
	SECRET("output"), END
};

static const struct hk_hook cu_hooks[] = {
	{ "sessionStart", EVT_AGENT_SPAWNED, "session_start", NULL,
	    (const struct hk_keep[]){ K("is_background_agent"),
	    K("composer_mode"), END }, 0, NULL, NULL },
	{ "sessionEnd", EVT_TASK_COMPLETED, "session_end", NULL,
	    (const struct hk_keep[]){ K("reason"), K("duration_ms"),
	    K("final_status"), K("is_background_agent"), END }, HK_HOOK_TURN,
	    cu_end, NULL },
	{ "beforeSubmitPrompt", EVT_TASK_STARTED, "user_prompt", NULL,
	    (const struct hk_keep[]){ SECRET("prompt"), K("attachments"), END },
	    HK_HOOK_TURN, NULL, "{\"continue\":true}" },
	{ "stop", EVT_TASK_COMPLETED, "stop", NULL,
	    (const struct hk_keep[]){ K("status"), K("loop_count"), END }, 0,
	    cu_end, NULL },
	{ "afterAgentResponse", EVT_AGENT_ACTIVATED, "agent_response", NULL,
	    (const struct hk_keep[]){ SECRET("text"), END }, 0, NULL, NULL },
	{ "afterAgentThought", EVT_AGENT_ACTIVATED, "agent_thought", NULL,
	    (const struct hk_keep[]){ K("duration_ms"), SECRET("text"), END },
	    0, NULL, NULL },
	{ "preCompact", EVT_AGENT_ACTIVATED, "compact", NULL,
	    (const struct hk_keep[]){ K("trigger"), K("context_usage_percent"),
	    K("context_tokens"), K("context_window_size"), K("message_count"),
	    K("messages_to_compact"), K("is_first_compaction"), END }, 0, NULL,
	    NULL },

	{ "preToolUse", EVT_OPERATION_ALLOWED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_input"), K("tool_use_id"),
	    K("cwd"), SECRET("agent_message"), END },
	    HK_HOOK_TOOL | HK_HOOK_NOSETUP, NULL, NULL },
	{ "postToolUse", EVT_TASK_COMPLETED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_use_id"),
	    KAS("duration", "duration_ms"), SECRET("tool_input"),
	    SECRET("tool_output"), END }, HK_HOOK_TOOL, NULL, NULL },
	{ "postToolUseFailure", EVT_TASK_FAILED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_use_id"),
	    KAS("error_message", "error"), K("failure_type"),
	    KAS("duration", "duration_ms"), K("is_interrupt"),
	    SECRET("tool_input"), END }, HK_HOOK_TOOL, cu_tool_failure, NULL },

	{ "subagentStart", EVT_AGENT_SPAWNED, "subagent_start", NULL,
	    (const struct hk_keep[]){ K("task"), K("parent_conversation_id"),
	    K("tool_call_id"), K("subagent_model"), K("is_parallel_worker"),
	    K("git_branch"), END }, HK_HOOK_NOSETUP, cu_subagent, NULL },
	{ "subagentStop", EVT_TASK_COMPLETED, "subagent_stop", NULL,
	    (const struct hk_keep[]){ K("subagent_type"), K("status"), K("task"),
	    K("description"), K("duration_ms"), K("message_count"),
	    K("tool_call_count"), K("loop_count"), K("modified_files"),
	    SECRET("summary"), SECRET("agent_transcript_path"), END }, 0,
	    cu_end, NULL },

	{ "beforeShellExecution", EVT_OPERATION_ALLOWED, "shell", NULL,
	    cu_shell, HK_HOOK_NOSETUP, NULL, NULL },
	{ "afterShellExecution", EVT_TASK_COMPLETED, "shell", NULL, cu_shell,
	    0, NULL, NULL },
	{ "beforeMCPExecution", EVT_OPERATION_ALLOWED, "mcp", "tool_name",
	    (const struct hk_keep[]){ K("tool_input"), K("url"), K("command"),
	    END }, HK_HOOK_NOSETUP, NULL, NULL },
	{ "afterMCPExecution", EVT_TASK_COMPLETED, "mcp", "tool_name",
	    (const struct hk_keep[]){ KAS("duration", "duration_ms"),
	    SECRET("tool_input"), SECRET("result_json"), END }, 0, NULL, NULL },
	{ "beforeReadFile", EVT_OPERATION_ALLOWED, "read_file", NULL,
	    (const struct hk_keep[]){ K("file_path"), SECRET("content"),
	    K("attachments"), END }, HK_HOOK_NOSETUP, NULL, NULL },
	{ "afterFileEdit", EVT_TASK_COMPLETED, "edit_file", NULL,
	    (const struct hk_keep[]){ K("file_path"), SECRET("edits"), END }, 0,
	    cu_edits, NULL },

	/* Tab completion is the editor's, not an agent's: not wired. */
	{ "beforeTabFileRead", EVT_OPERATION_ALLOWED, "tab_read_file", NULL,
	    (const struct hk_keep[]){ K("file_path"), SECRET("content"), END },
	    HK_HOOK_NOSETUP, NULL, NULL },
	{ "afterTabFileEdit", EVT_TASK_COMPLETED, "tab_edit_file", NULL,
	    (const struct hk_keep[]){ K("file_path"), SECRET("edits"), END },
	    HK_HOOK_NOSETUP, cu_edits, NULL },
	/* Runs outside any agent session. */
	{ "workspaceOpen", EVT_AGENT_ACTIVATED, "workspace_open", NULL, NULL,
	    HK_HOOK_NOSETUP, NULL, NULL },
};

const struct hk_framework hk_fw_cursor = {
	.name = "cursor",
	.agent_name = "cursor",
	.mapped = "Cursor 3.x hooks (cursor.com/docs/hooks, August 2026)",
	.hook_keys = cu_hook_keys,
	.session_keys = cu_session_keys,
	.agent_keys = cu_agent_keys,
	.agent_name_keys = cu_agent_name_keys,
	.cwd_keys = cu_cwd_keys,
	.common = cu_common,
	.hooks = cu_hooks,
	.nhooks = sizeof cu_hooks / sizeof cu_hooks[0],
	.refine = cu_refine,
	.setup = hk_setup_cursor,
};
