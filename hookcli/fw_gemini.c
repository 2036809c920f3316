/*
 * fw_gemini.c: Gemini CLI's hooks, mapped from its hooks reference and
 * HookEventName in packages/core/src/hooks/types.ts (Gemini CLI 0.56.0:
 * 11 hook events).
 *
 * Gemini CLI waits for every command hook (it has no async hooks) and
 * reads a non-empty stdout as the hook's answer; hookcli prints nothing
 * and exits 0, which Gemini CLI takes as "no decision".
 */
#include "config.h"

#include <string.h>

#include "avjson.h"
#include "hookcli.h"

static const char *const gm_hook_keys[] = { "hook_event_name", NULL };
static const char *const gm_session_keys[] = { "session_id", NULL };
static const char *const gm_none[] = { NULL };
static const char *const gm_cwd_keys[] = { "cwd", NULL };

#define K(f)		{ f, NULL, 0 }
#define SECRET(f)	{ f, NULL, HK_KEEP_NOTEXT }
#define END		{ NULL, NULL, 0 }

static const struct hk_keep gm_common[] = {
	SECRET("transcript_path"), END
};

/* An MCP tool's server, without the command line it was started with. */
static void
gm_mcp(struct json_object *ev, struct json_object *md, struct json_object *p)
{
	struct json_object	*mcp;

	(void)ev;
	if (json_object_object_get_ex(p, "mcp_context", &mcp) &&
	    hk_str(mcp, "server_name") != NULL)
		hk_keep_value(md, EVT_AGENT_ACTIVATED, "mcp_server",
		    json_object_object_get(mcp, "server_name"));
}

/* AfterTool: a response with an error is a failed tool call. */
static void
gm_after_tool(struct json_object *ev, struct json_object *md,
    struct json_object *p)
{
	struct json_object	*resp, *err;
	const char		*text;
	size_t			 len;

	gm_mcp(ev, md, p);
	if (!json_object_object_get_ex(p, "tool_response", &resp) ||
	    !json_object_object_get_ex(resp, "error", &err) ||
	    json_object_is_type(err, json_type_null) ||
	    (json_object_is_type(err, json_type_boolean) &&
	    !json_object_get_boolean(err)) ||
	    (json_object_is_type(err, json_type_string) &&
	    json_object_get_string_len(err) == 0))
		return;
	json_object_object_add(ev, "event_type",
	    json_object_new_string(evt_types[EVT_TASK_FAILED].name));
	json_object_object_add(ev, "status", json_object_new_string(
	    evt_types[EVT_TASK_FAILED].status));
	if (json_object_is_type(err, json_type_string))
		hk_keep_value(md, EVT_TASK_FAILED, "error", err);
	else if (json_object_is_type(err, json_type_object) &&
	    hk_str(err, "message") != NULL)
		hk_keep_value(md, EVT_TASK_FAILED, "error",
		    json_object_object_get(err, "message"));
	else {
		text = avjson_str(err, &len);
		json_object_object_add(md, "error", json_object_new_string_len(
		    text, hk_cut(text, len, HK_TEXT_MAX)));
	}
}

/* BeforeModel, AfterModel, BeforeToolSelection: the model, not the text. */
static void
gm_model(struct json_object *ev, struct json_object *md, struct json_object *p)
{
	struct json_object	*req, *resp, *cands, *c0;

	(void)ev;
	if (json_object_object_get_ex(p, "llm_request", &req) &&
	    hk_str(req, "model") != NULL)
		hk_keep_value(md, EVT_AGENT_ACTIVATED, "model",
		    json_object_object_get(req, "model"));
	if (!json_object_object_get_ex(p, "llm_response", &resp))
		return;
	if (json_object_object_get_ex(resp, "usageMetadata", &c0))
		hk_keep_value(md, EVT_AGENT_ACTIVATED, "usage", c0);
	if (json_object_object_get_ex(resp, "candidates", &cands) &&
	    json_object_is_type(cands, json_type_array) &&
	    json_object_array_length(cands) > 0 &&
	    (c0 = json_object_array_get_idx(cands, 0)) != NULL &&
	    hk_str(c0, "finishReason") != NULL)
		hk_keep_value(md, EVT_AGENT_ACTIVATED, "finish_reason",
		    json_object_object_get(c0, "finishReason"));
}

/*
 * Notification: what the confirmation is about (the kind, its title, the
 * command, the tool or the file's name), never an edit's contents or an
 * info prompt's text.
 */
static void
gm_notification(struct json_object *ev, struct json_object *md,
    struct json_object *p)
{
	static const char *const safe[] = {
		"type", "title", "fileName", "filePath", "isModifying",
		"command", "rootCommand", "serverName", "toolName",
		"toolDisplayName", "urls", NULL
	};
	struct json_object	*d, *out, *v;
	size_t			 i;

	(void)ev;
	if (!json_object_object_get_ex(p, "details", &d) ||
	    !json_object_is_type(d, json_type_object))
		return;
	out = json_object_new_object();
	for (i = 0; safe[i] != NULL; i++)
		if (json_object_object_get_ex(d, safe[i], &v))
			hk_keep_value(out, EVT_AGENT_ACTIVATED, safe[i], v);
	hk_keep_value(md, EVT_AGENT_ACTIVATED, "details", out);
	json_object_put(out);
}

static const struct hk_hook gm_hooks[] = {
	{ "SessionStart", EVT_AGENT_SPAWNED, "session_start", NULL,
	    (const struct hk_keep[]){ K("source"), END }, 0, NULL, NULL },
	{ "SessionEnd", EVT_TASK_COMPLETED, "session_end", NULL,
	    (const struct hk_keep[]){ K("reason"), END }, HK_HOOK_TURN, NULL,
	    NULL },
	{ "BeforeAgent", EVT_TASK_STARTED, "user_prompt", NULL,
	    (const struct hk_keep[]){ SECRET("prompt"), END }, HK_HOOK_TURN,
	    NULL, NULL },
	{ "AfterAgent", EVT_TASK_COMPLETED, "stop", NULL,
	    (const struct hk_keep[]){ K("stop_hook_active"), SECRET("prompt"),
	    SECRET("prompt_response"), END }, 0, NULL, NULL },
	{ "BeforeModel", EVT_AGENT_ACTIVATED, "model_request", NULL,
	    (const struct hk_keep[]){ SECRET("llm_request"), END }, 0,
	    gm_model, NULL },
	/* Once per streamed chunk of every reply: too many to wire by default. */
	{ "AfterModel", EVT_AGENT_ACTIVATED, "model_response", NULL,
	    (const struct hk_keep[]){ SECRET("llm_request"),
	    SECRET("llm_response"), END }, HK_HOOK_NOSETUP, gm_model, NULL },
	{ "BeforeToolSelection", EVT_AGENT_ACTIVATED, "tool_selection", NULL,
	    (const struct hk_keep[]){ SECRET("llm_request"), END }, 0,
	    gm_model, NULL },
	{ "BeforeTool", EVT_OPERATION_ALLOWED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("tool_input"),
	    K("original_request_name"), SECRET("mcp_context"), END },
	    HK_HOOK_TOOL, gm_mcp, NULL },
	{ "AfterTool", EVT_TASK_COMPLETED, "tool", "tool_name",
	    (const struct hk_keep[]){ K("original_request_name"),
	    SECRET("tool_input"), SECRET("tool_response"),
	    SECRET("mcp_context"), END }, HK_HOOK_TOOL, gm_after_tool, NULL },
	{ "PreCompress", EVT_AGENT_ACTIVATED, "compact", NULL,
	    (const struct hk_keep[]){ K("trigger"), END }, 0, NULL, NULL },
	{ "Notification", EVT_AGENT_ACTIVATED, "notification", NULL,
	    (const struct hk_keep[]){ K("notification_type"), K("message"),
	    END }, 0, gm_notification, NULL },
};

/* Gemini CLI: timeouts in milliseconds; a name for /hooks disable. */
static void
gm_setup(FILE *fp, const struct hk_framework *fw, const char *cmd,
    const char *const *argv)
{
	(void)argv;
	hk_setup_json_nested(fp, fw, cmd, 0, 2000, "agentvis");
}

const struct hk_framework hk_fw_gemini = {
	.name = "gemini-cli",
	.agent_name = "gemini",
	.mapped = "Gemini CLI 0.56.0",
	.hook_keys = gm_hook_keys,
	.session_keys = gm_session_keys,
	.agent_keys = gm_none,
	.agent_name_keys = gm_none,
	.cwd_keys = gm_cwd_keys,
	.common = gm_common,
	.hooks = gm_hooks,
	.nhooks = sizeof gm_hooks / sizeof gm_hooks[0],
	.quiet = 1,		/* stderr on exit 0 is read as "allow" */
	.setup = gm_setup,
};
