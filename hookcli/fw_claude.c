/*
 * fw_claude.c: Claude Code's hooks, mapped from its hooks reference and
 * the Agent SDK's hook input types (@anthropic-ai/claude-agent-sdk 0.3.334,
 * for Claude Code 2.1.334: 34 hook events).
 *
 * One row per hook; hookcli(1) documents each. To follow a new hook, add a
 * row: the engine (hooks.c) copies the listed fields with its bounds, and
 * a hook without a row is still recorded, as agent_activated.
 *
 * What an agent said or was told (prompts, tool responses, assistant
 * messages, summaries) is never sent: HK_KEEP_NOTEXT marks those fields.
 */
#include "config.h"

#include <string.h>

#include "hookcli.h"

static const char *const cc_hook_keys[] = { "hook_event_name", NULL };
static const char *const cc_session_keys[] = { "session_id", NULL };
static const char *const cc_agent_keys[] = { "agent_id", NULL };
static const char *const cc_agent_name_keys[] = { "agent_type", NULL };
static const char *const cc_cwd_keys[] = { "cwd", NULL };

static const struct hk_keep cc_common[] = {
	{ "permission_mode", NULL, 0 },
	{ "prompt_id", NULL, 0 },
	{ "effort", NULL, 0 },
	{ "transcript_path", NULL, HK_KEEP_NOTEXT },
	{ NULL, NULL, 0 }
};

#define K(f)		{ f, NULL, 0 }
#define KAS(f, t)	{ f, t, 0 }
#define SECRET(f)	{ f, NULL, HK_KEEP_NOTEXT }
#define END		{ NULL, NULL, 0 }

static const struct hk_keep cc_tool[] = {
	K("tool_input"), K("tool_use_id"), K("mcp_server"), END
};
static const struct hk_keep cc_switch[] = {
	K("from_model"), K("to_model"), K("requested_model"), K("source"),
	K("context_tokens"), K("prompt_cache_warm"), K("cache_ttl"),
	K("estimated_cache_write_usd"), K("pricing"), END
};

/* PostToolBatch: the names of the tools called, not what they returned. */
static void
cc_tool_batch(struct json_object *ev, struct json_object *md,
    struct json_object *p)
{
	struct json_object	*calls, *names;
	const char		*s;
	size_t			 i, n;

	(void)ev;
	if (!json_object_object_get_ex(p, "tool_calls", &calls) ||
	    !json_object_is_type(calls, json_type_array))
		return;
	n = json_object_array_length(calls);
	names = json_object_new_array();
	for (i = 0; i < n && i < 64; i++)
		if ((s = hk_str(json_object_array_get_idx(calls, i),
		    "tool_name")) != NULL)
			json_object_array_add(names,
			    json_object_new_string_len(s, hk_cut(s,
			    strlen(s), 128)));
	json_object_object_add(md, "tool_count",
	    json_object_new_int64((int64_t)n));
	hk_keep_value(md, EVT_AGENT_ACTIVATED, "tool_names", names);
	json_object_put(names);
}

/* StopFailure: "error" is the API's error kind; keep the details beside. */
static void
cc_stop_failure(struct json_object *ev, struct json_object *md,
    struct json_object *p)
{
	(void)ev;
	(void)p;
	if (hk_str(md, "error") == NULL)
		json_object_object_add(md, "error",
		    json_object_new_string("API error"));
}

static const struct hk_hook cc_hooks[] = {
	/* Session */
	{ "SessionStart", EVT_AGENT_SPAWNED, "session_start", NULL,
	    (const struct hk_keep[]){ K("source"), K("model"),
	    K("session_title"), END }, 0, NULL, NULL },
	{ "Setup", EVT_AGENT_ACTIVATED, "setup", NULL,
	    (const struct hk_keep[]){ K("trigger"), END }, 0, NULL, NULL },
	/* Not async: Claude Code may end before an async hook has run. */
	{ "SessionEnd", EVT_TASK_COMPLETED, "session_end", NULL,
	    (const struct hk_keep[]){ K("reason"), END },
	    HK_HOOK_TURN | HK_HOOK_SYNC, NULL, NULL },
	{ "InstructionsLoaded", EVT_AGENT_ACTIVATED, "instructions_loaded",
	    NULL, (const struct hk_keep[]){ K("file_path"), K("memory_type"),
	    K("load_reason"), K("globs"), K("trigger_file_path"),
	    K("parent_file_path"), END }, 0, NULL, NULL },
	{ "ConfigChange", EVT_AGENT_ACTIVATED, "config_change", NULL,
	    (const struct hk_keep[]){ K("source"), K("file_path"), END }, 0,
	    NULL, NULL },
	{ "CwdChanged", EVT_AGENT_ACTIVATED, "cwd_changed", NULL,
	    (const struct hk_keep[]){ K("old_cwd"), K("new_cwd"), END }, 0,
	    NULL, NULL },
	/* Fires only for the files its matcher names: wire it by hand. */
	{ "FileChanged", EVT_AGENT_ACTIVATED, "file_changed", NULL,
	    (const struct hk_keep[]){ K("file_path"), K("event"), END },
	    HK_HOOK_NOSETUP, NULL, NULL },
	{ "DirectoryAdded", EVT_AGENT_ACTIVATED, "directory_added", NULL,
	    (const struct hk_keep[]){ K("directory"), K("source"), END }, 0,
	    NULL, NULL },
	/* Claude Code takes the new worktree's path from this hook's stdout. */
	{ "WorktreeCreate", EVT_AGENT_ACTIVATED, "worktree_create", NULL,
	    (const struct hk_keep[]){ K("name"), END }, HK_HOOK_NOSETUP, NULL,
	    NULL },
	{ "WorktreeRemove", EVT_AGENT_ACTIVATED, "worktree_remove", NULL,
	    (const struct hk_keep[]){ K("worktree_path"), END }, 0, NULL,
	    NULL },

	/* Prompt and turn */
	{ "UserPromptSubmit", EVT_TASK_STARTED, "user_prompt", NULL,
	    (const struct hk_keep[]){ SECRET("prompt"), K("source"), END },
	    HK_HOOK_TURN, NULL, NULL },
	{ "UserPromptExpansion", EVT_AGENT_ACTIVATED, "prompt_expansion", NULL,
	    (const struct hk_keep[]){ K("expansion_type"), K("command_name"),
	    K("command_source"), SECRET("command_args"), SECRET("prompt"),
	    END }, 0, NULL, NULL },
	{ "Stop", EVT_TASK_COMPLETED, "stop", NULL,
	    (const struct hk_keep[]){ K("stop_hook_active"),
	    SECRET("last_assistant_message"), END }, 0, NULL, NULL },
	{ "StopFailure", EVT_TASK_FAILED, "stop", NULL,
	    (const struct hk_keep[]){ K("error"), K("error_details"),
	    SECRET("last_assistant_message"), END }, 0, cc_stop_failure, NULL },
	/* Once per streamed piece of a reply: too many to wire by default. */
	{ "MessageDisplay", EVT_AGENT_ACTIVATED, "message_display", NULL,
	    (const struct hk_keep[]){ K("message_id"), K("final"),
	    SECRET("delta"), END }, HK_HOOK_NOSETUP, NULL, NULL },
	{ "Notification", EVT_AGENT_ACTIVATED, "notification", NULL,
	    (const struct hk_keep[]){ K("notification_type"), K("title"),
	    K("message"), END }, 0, NULL, NULL },

	/* Tools */
	{ "PreToolUse", EVT_OPERATION_ALLOWED, "tool", "tool_name", cc_tool,
	    HK_HOOK_TOOL, NULL, NULL },
	{ "PermissionRequest", EVT_AGENT_ACTIVATED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_input"), K("mcp_server"),
	    K("permission_suggestions"), END }, HK_HOOK_TOOL | HK_HOOK_ASKS,
	    NULL, NULL },
	{ "PermissionDenied", EVT_OPERATION_DENIED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_input"), K("tool_use_id"),
	    K("mcp_server"), K("reason"), END },
	    HK_HOOK_TOOL | HK_HOOK_DENIES, NULL, NULL },
	{ "PostToolUse", EVT_TASK_COMPLETED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_use_id"), K("duration_ms"),
	    K("mcp_server"), SECRET("tool_input"), SECRET("tool_response"),
	    END }, HK_HOOK_TOOL | HK_HOOK_RAN, NULL, NULL },
	{ "PostToolUseFailure", EVT_TASK_FAILED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_use_id"), K("error"),
	    K("is_interrupt"), K("duration_ms"), K("mcp_server"),
	    SECRET("tool_input"), END }, HK_HOOK_TOOL | HK_HOOK_RAN, NULL,
	    NULL },
	{ "PostToolBatch", EVT_AGENT_ACTIVATED, "tool_batch", NULL,
	    (const struct hk_keep[]){ SECRET("tool_calls"), END }, 0,
	    cc_tool_batch, NULL },
	{ "PreSkillShellCommand", EVT_OPERATION_ALLOWED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_input"), K("tool_use_id"),
	    K("command_name"), K("command_source"), K("invoked_by"), END }, 0,
	    NULL, NULL },

	/* Subagents, teams, tasks */
	{ "SubagentStart", EVT_AGENT_SPAWNED, "subagent_start", NULL, NULL, 0,
	    NULL, NULL },
	{ "SubagentStop", EVT_TASK_COMPLETED, "subagent_stop", NULL,
	    (const struct hk_keep[]){ K("stop_hook_active"),
	    SECRET("last_assistant_message"), SECRET("agent_transcript_path"),
	    END }, 0, NULL, NULL },
	{ "TaskCreated", EVT_TASK_STARTED, NULL, NULL,
	    (const struct hk_keep[]){ K("task_id"), KAS("task_subject", "task"),
	    K("task_description"), K("teammate_name"), K("team_name"), END },
	    0, NULL, NULL },
	{ "TaskCompleted", EVT_TASK_COMPLETED, NULL, NULL,
	    (const struct hk_keep[]){ K("task_id"), KAS("task_subject", "task"),
	    K("task_description"), K("teammate_name"), K("team_name"), END },
	    0, NULL, NULL },
	{ "TeammateIdle", EVT_AGENT_ACTIVATED, "teammate_idle", NULL,
	    (const struct hk_keep[]){ K("teammate_name"), K("team_name"), END },
	    0, NULL, NULL },

	/* Context and model */
	{ "PreCompact", EVT_AGENT_ACTIVATED, "compact", NULL,
	    (const struct hk_keep[]){ K("trigger"),
	    SECRET("custom_instructions"), END }, 0, NULL, NULL },
	{ "PostCompact", EVT_AGENT_ACTIVATED, "compacted", NULL,
	    (const struct hk_keep[]){ K("trigger"), SECRET("compact_summary"),
	    END }, 0, NULL, NULL },
	{ "PreModelSwitch", EVT_AGENT_ACTIVATED, "model_switch", NULL,
	    cc_switch, 0, NULL, NULL },
	{ "PostModelSwitch", EVT_AGENT_ACTIVATED, "model_switched", NULL,
	    cc_switch, 0, NULL, NULL },

	/* MCP servers asking the user */
	{ "Elicitation", EVT_AGENT_ACTIVATED, "elicitation", NULL,
	    (const struct hk_keep[]){ K("mcp_server_name"), K("message"),
	    K("mode"), K("url"), K("elicitation_id"), END }, 0, NULL, NULL },
	{ "ElicitationResult", EVT_AGENT_ACTIVATED, "elicitation_result", NULL,
	    (const struct hk_keep[]){ K("mcp_server_name"), K("action"),
	    K("mode"), K("elicitation_id"), SECRET("content"), END }, 0, NULL,
	    NULL },
};

/* Claude Code: async command hooks, so the agent never waits on us. */
static void
cc_setup(FILE *fp, const struct hk_framework *fw, const char *cmd,
    const char *const *argv)
{
	(void)argv;
	hk_setup_json_nested(fp, fw, cmd, 1, 5, NULL);
}

const struct hk_framework hk_fw_claude = {
	.name = "claude-code",
	.agent_name = "claude",
	.mapped = "Claude Code 2.1.334 (Agent SDK 0.3.334)",
	.hook_keys = cc_hook_keys,
	.session_keys = cc_session_keys,
	.agent_keys = cc_agent_keys,
	.agent_name_keys = cc_agent_name_keys,
	.cwd_keys = cc_cwd_keys,
	.common = cc_common,
	.hooks = cc_hooks,
	.nhooks = sizeof cc_hooks / sizeof cc_hooks[0],
	.setup = cc_setup,
};
