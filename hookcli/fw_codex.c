/*
 * fw_codex.c: OpenAI Codex CLI's hooks (hooks.json or [hooks] in
 * config.toml), mapped from its hooks documentation and codex-rs/hooks
 * (Codex CLI 0.160.0: 12 hook events, and StopFailure from its schema),
 * and its older notify program, which gets one JSON argument whose "type"
 * is "agent-turn-complete".
 *
 * Codex adds a hook's plain stdout to the model's context on some events
 * and treats it as an error on others; hookcli prints nothing and exits 0.
 */
#include "config.h"

#include "hookcli.h"

/* hooks name the event in hook_event_name; notify in type. */
static const char *const cx_hook_keys[] = { "hook_event_name", "type", NULL };
static const char *const cx_session_keys[] = {
	"session_id", "thread-id", NULL
};
static const char *const cx_agent_keys[] = { "agent_id", NULL };
static const char *const cx_agent_name_keys[] = { "agent_type", NULL };
static const char *const cx_cwd_keys[] = { "cwd", NULL };

#define K(f)		{ f, NULL, 0 }
#define KAS(f, t)	{ f, t, 0 }
#define SECRET(f)	{ f, NULL, HK_KEEP_NOTEXT }
#define END		{ NULL, NULL, 0 }

static const struct hk_keep cx_common[] = {
	K("model"), K("permission_mode"), K("turn_id"),
	SECRET("transcript_path"), END
};

/* Interrupt: the user stopped the turn. */
static void
cx_interrupt(struct json_object *ev, struct json_object *md,
    struct json_object *p)
{
	(void)ev;
	(void)p;
	json_object_object_add(md, "error",
	    json_object_new_string("interrupted by the user"));
	json_object_object_add(md, "is_interrupt", json_object_new_boolean(1));
}

static const struct hk_hook cx_hooks[] = {
	{ "SessionStart", EVT_AGENT_SPAWNED, "session_start", NULL,
	    (const struct hk_keep[]){ K("source"), END }, 0, NULL, NULL },
	/* Not async: Codex aborts async hooks when the session ends. */
	{ "SessionEnd", EVT_TASK_COMPLETED, "session_end", NULL,
	    (const struct hk_keep[]){ K("reason"), END },
	    HK_HOOK_TURN | HK_HOOK_SYNC, NULL, NULL },
	{ "UserPromptSubmit", EVT_TASK_STARTED, "user_prompt", NULL,
	    (const struct hk_keep[]){ SECRET("prompt"), END }, HK_HOOK_TURN,
	    NULL, NULL },
	{ "PreToolUse", EVT_OPERATION_ALLOWED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_input"), K("tool_use_id"), END },
	    HK_HOOK_TOOL, NULL, NULL },
	{ "PermissionRequest", EVT_AGENT_ACTIVATED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_input"),
	    K("permission_suggestions"), END }, HK_HOOK_TOOL | HK_HOOK_ASKS,
	    NULL, NULL },
	{ "PostToolUse", EVT_TASK_COMPLETED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_use_id"), SECRET("tool_input"),
	    SECRET("tool_response"), END }, HK_HOOK_TOOL | HK_HOOK_RAN, NULL,
	    NULL },
	{ "PreCompact", EVT_AGENT_ACTIVATED, "compact", NULL,
	    (const struct hk_keep[]){ K("trigger"), END }, 0, NULL, NULL },
	{ "PostCompact", EVT_AGENT_ACTIVATED, "compacted", NULL,
	    (const struct hk_keep[]){ K("trigger"), END }, 0, NULL, NULL },
	{ "SubagentStart", EVT_AGENT_SPAWNED, "subagent_start", NULL, NULL, 0,
	    NULL, NULL },
	{ "SubagentStop", EVT_TASK_COMPLETED, "subagent_stop", NULL,
	    (const struct hk_keep[]){ K("stop_hook_active"),
	    SECRET("last_assistant_message"), SECRET("agent_transcript_path"),
	    END }, 0, NULL, NULL },
	{ "Stop", EVT_TASK_COMPLETED, "stop", NULL,
	    (const struct hk_keep[]){ K("stop_hook_active"),
	    SECRET("last_assistant_message"), END }, 0, NULL, NULL },
	/* In Codex's schema, not yet in a release: a hooks file naming it
	 * would not load in one that does not know it. */
	{ "StopFailure", EVT_TASK_FAILED, "stop", NULL,
	    (const struct hk_keep[]){ K("error"), K("error_details"),
	    SECRET("last_assistant_message"), END }, HK_HOOK_NOSETUP, NULL,
	    NULL },
	{ "Interrupt", EVT_TASK_FAILED, "interrupt", NULL, NULL, 0,
	    cx_interrupt, NULL },
	/* notify: the turn is over; what was said stays in Codex. */
	{ "agent-turn-complete", EVT_TASK_COMPLETED, "stop", NULL,
	    (const struct hk_keep[]){ KAS("turn-id", "turn_id"), K("client"),
	    SECRET("input-messages"), SECRET("last-assistant-message"), END },
	    HK_HOOK_NOSETUP, NULL, NULL },
};

const struct hk_framework hk_fw_codex = {
	.name = "codex",
	.agent_name = "codex",
	.mapped = "Codex CLI 0.160.0",
	.hook_keys = cx_hook_keys,
	.session_keys = cx_session_keys,
	.agent_keys = cx_agent_keys,
	.agent_name_keys = cx_agent_name_keys,
	.cwd_keys = cx_cwd_keys,
	.common = cx_common,
	.hooks = cx_hooks,
	.nhooks = sizeof cx_hooks / sizeof cx_hooks[0],
	.setup = hk_setup_codex,
};
