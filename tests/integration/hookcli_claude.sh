#!/bin/sh
# hookcli_claude.sh: Claude Code hook payloads become the documented events;
# unknown hooks and odd fields are still recorded; malformed, oversized and
# hostile payloads are reported on stderr and never fail the hook.
. "$top_srcdir/tests/integration/hookcli_common.sh"

ts_start ack
SESS=5a3c1d2e-0000-4000-8000-00000000cafe
BASE='"session_id":"'$SESS'","transcript_path":"/home/u/.claude/t.jsonl","cwd":"/home/u/src/myproj/","permission_mode":"default"'

# Map one payload: cc WHAT PAYLOAD [hookcli options...]; checks common fields.
cc() {
	local what=$1 payload=$2 before
	shift 2
	printf '%s' "$payload" >"$T/payload.json"
	before=$(rec_count)
	hk_in "$T/payload.json" -s "$SOCK" -F "$FB" claude-code "$@"
	expect_rc "$what" 0
	expect_quiet "$what"
	assert_eq "$what: sent" $((before + 1)) "$(rec_count)"
	rec_is "$what: shape" "$EV_SHAPE"
	rec_is "$what: session" '.metadata.session_id == "'$SESS'" and .metadata.project == "myproj"'
}

note "the main session"
cc SessionStart '{'"$BASE"',"hook_event_name":"SessionStart","source":"startup","model":"claude-x"}'
rec_is SessionStart '.event_type == "agent_spawned" and .operation == "session_start" and .agent_id == "'$SESS'" and .agent_name == "claude" and .agent_role == "main" and .metadata.source == "startup" and .metadata.model == "claude-x" and .metadata.hook == "SessionStart"'

cc UserPromptSubmit '{'"$BASE"',"hook_event_name":"UserPromptSubmit","prompt":"secret plans"}'
rec_is UserPromptSubmit '.event_type == "task_started" and .operation == "user_prompt"'
rec_last | grep -q "secret plans" && fail "the prompt text must not be sent"

cc PreToolUse '{'"$BASE"',"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls -l","description":"list"},"tool_use_id":"toolu_01"}'
rec_is PreToolUse '.event_type == "operation_allowed" and .status == "success" and .operation == "Bash" and .metadata.tool_input == {"command":"ls -l","description":"list"} and .metadata.tool_use_id == "toolu_01" and (.metadata | has("tool_input_truncated") | not)'

cc "PreToolUse, numbers no store keeps" '{'"$BASE"',"hook_event_name":"PreToolUse","tool_name":"Calc","tool_input":{"n":99999999999999999999,"s":"a\u0000b"},"tool_use_id":"toolu_09"}'
rec_is "numbers no store keeps: as text" '.metadata.tool_input == "{\"n\":99999999999999999999,\"s\":\"a\\u0000b\"}"'

cc PostToolUse '{'"$BASE"',"hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{"file_path":"/x"},"tool_response":{"success":true},"tool_use_id":"toolu_02","duration_ms":37}'
rec_is PostToolUse '.event_type == "task_completed" and .status == "success" and .operation == "Write" and .metadata.duration_ms == 37 and .metadata.tool_use_id == "toolu_02" and (.metadata | has("tool_response") | not)'

cc PostToolUseFailure '{'"$BASE"',"hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_input":{"command":"false"},"tool_use_id":"toolu_03","error":"exit status 1","is_interrupt":false}'
rec_is PostToolUseFailure '.event_type == "task_failed" and .status == "failure" and .operation == "Bash" and .metadata.error == "exit status 1" and .metadata.is_interrupt == false'

cc PermissionDenied '{'"$BASE"',"hook_event_name":"PermissionDenied","tool_name":"Bash","tool_input":{"command":"rm -rf /"},"tool_use_id":"toolu_04","reason":"denied by rule"}'
rec_is PermissionDenied '.event_type == "operation_denied" and .status == "denied" and .operation == "Bash" and .metadata.reason == "denied by rule" and .metadata.tool_input.command == "rm -rf /"'

cc Stop '{'"$BASE"',"hook_event_name":"Stop","stop_hook_active":false}'
rec_is Stop '.event_type == "task_completed" and .operation == "stop" and .agent_id == "'$SESS'"'

cc SessionEnd '{'"$BASE"',"hook_event_name":"SessionEnd","reason":"logout"}'
rec_is SessionEnd '.event_type == "task_completed" and .operation == "session_end" and .metadata.reason == "logout"'

note "subagents: the agent is the subagent"
cc SubagentStart '{'"$BASE"',"hook_event_name":"SubagentStart","agent_id":"agent-7","agent_type":"Explore"}'
rec_is SubagentStart '.event_type == "agent_spawned" and .operation == "subagent_start" and .agent_id == "agent-7" and .agent_name == "Explore" and .agent_role == "subagent"'
cc SubagentStop '{'"$BASE"',"hook_event_name":"SubagentStop","agent_id":"agent-7","agent_type":"Explore","last_assistant_message":"done"}'
rec_is SubagentStop '.event_type == "task_completed" and .operation == "subagent_stop" and .agent_id == "agent-7" and .agent_name == "Explore" and .agent_role == "subagent"'
cc "tool use inside a subagent" '{'"$BASE"',"hook_event_name":"PreToolUse","agent_id":"agent-7","agent_type":"Explore","tool_name":"Read","tool_input":{"file_path":"/a"},"tool_use_id":"t"}'
rec_is "tool use inside a subagent" '.agent_id == "agent-7" and .agent_role == "subagent" and .operation == "Read"'

note "precedence: payload over environment, options over both"
AGENTVIS_AGENT_NAME=env-name AGENTVIS_AGENT_ROLE=env-role AGENTVIS_USER_ID=u9 \
	cc "env fills the gaps" '{'"$BASE"',"hook_event_name":"Stop"}'
rec_is "env fills the gaps" '.agent_name == "env-name" and .agent_role == "env-role" and .metadata.user_id == "u9"'
AGENTVIS_AGENT_NAME=env-name AGENTVIS_PROJECT=env-proj \
	cc "payload beats env" '{'"$BASE"',"hook_event_name":"SubagentStop","agent_id":"x","agent_type":"Plan"}'
rec_is "payload beats env" '.agent_name == "Plan" and .metadata.project == "myproj"'
AGENTVIS_AGENT_NAME=env-name \
	cc "options beat both" '{'"$BASE"',"hook_event_name":"SubagentStop","agent_id":"x","agent_type":"Plan"}' \
	--agent-name opt-name --agent-role reviewer team=blue
rec_is "options beat both" '.agent_name == "opt-name" and .agent_role == "reviewer" and .metadata.team == "blue"'

note "large and deep tool_input is cut, not sent whole"
content=$(head -c 100000 /dev/zero | tr '\0' a)
cc "huge tool_input" '{'"$BASE"',"hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"/big","content":"'"$content"'"},"tool_use_id":"t"}'
rec_is "huge tool_input" '(.metadata.tool_input | type == "string" and length <= 2048 and startswith("{\"file_path\":\"/big\"")) and .metadata.tool_input_truncated == true'
[ "$(rec_last | wc -c)" -lt 8192 ] || fail "huge tool_input: line of $(rec_last | wc -c) bytes"
deep='{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}'
cc "deep tool_input" '{'"$BASE"',"hook_event_name":"PreToolUse","tool_name":"mcp__x__y","tool_input":'"$deep"',"tool_use_id":"t"}'
rec_is "deep tool_input" '.metadata.tool_input == "'"$(printf '%s' "$deep" | sed 's/"/\\"/g')"'" and .metadata.tool_input_truncated == true'
# A cut never splits a UTF-8 character: 3-byte characters across the 2 KiB mark.
euro=$(printf '\342\202\254%.0s' $(seq 1 1000))
cc "utf-8 tool_input" '{'"$BASE"',"hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"content":"'"$euro"'"},"tool_use_id":"t"}'
rec_is "utf-8 tool_input" '.metadata.tool_input_truncated == true and (.metadata.tool_input | endswith("€"))'
longerr=$(head -c 5000 /dev/zero | tr '\0' e)
cc "long error" '{'"$BASE"',"hook_event_name":"PostToolUseFailure","tool_name":"Bash","error":"'"$longerr"'"}'
rec_is "long error" '(.metadata.error | length == 2048) and .metadata.error_truncated == true'

note "the hooks Claude Code added since: what each becomes"
cc Notification '{'"$BASE"',"hook_event_name":"Notification","notification_type":"permission_prompt","message":"Claude needs your permission to use Bash","title":"Permission needed"}'
rec_is Notification '.event_type == "agent_activated" and .operation == "notification" and .metadata.notification_type == "permission_prompt" and .metadata.message == "Claude needs your permission to use Bash" and .metadata.framework == "claude-code"'
cc PreCompact '{'"$BASE"',"hook_event_name":"PreCompact","trigger":"manual","custom_instructions":"keep the API notes"}'
rec_is PreCompact '.event_type == "agent_activated" and .operation == "compact" and .metadata.trigger == "manual"'
cc StopFailure '{'"$BASE"',"hook_event_name":"StopFailure","error":"rate_limit","error_details":"429","last_assistant_message":"API Error: Rate limit reached"}'
rec_is StopFailure '.event_type == "task_failed" and .status == "failure" and .metadata.error == "rate_limit" and .metadata.error_details == "429" and (.metadata | has("last_assistant_message") | not)'
cc TaskCreated '{'"$BASE"',"hook_event_name":"TaskCreated","task_id":"t-9","task_subject":"Write the parser","teammate_name":"ann"}'
rec_is TaskCreated '.event_type == "task_started" and .metadata.task == "Write the parser" and .metadata.task_id == "t-9" and .metadata.teammate_name == "ann"'
cc TeammateIdle '{'"$BASE"',"hook_event_name":"TeammateIdle","teammate_name":"bob","team_name":"core"}'
rec_is TeammateIdle '.event_type == "agent_activated" and .operation == "teammate_idle" and .metadata.teammate_name == "bob"'

note "a hook hookcli does not know is recorded, not refused"
cc "unknown hook" '{'"$BASE"',"hook_event_name":"HookOfTomorrow","message":"hi","prompt":"private"}'
rec_is "unknown hook" '.event_type == "agent_activated" and .operation == "HookOfTomorrow" and .metadata.hook == "HookOfTomorrow" and .metadata.hook_unknown == true and .metadata.message == "hi"'
rec_last | grep -q private && fail "an unknown hook's prompt must not be sent"
cc "no hook_event_name" '{'"$BASE"'}'
rec_is "no hook_event_name" '.operation == "unnamed" and .metadata.hook_unknown == true'
cc "hook_event_name not a string" '{'"$BASE"',"hook_event_name":42}'
rec_is "hook_event_name not a string" '.operation == "unnamed"'
cc "PreToolUse without tool_name" '{'"$BASE"',"hook_event_name":"PreToolUse","tool_input":{}}'
rec_is "PreToolUse without tool_name" '.event_type == "operation_allowed" and .operation == "tool"'

# No session: the framework stands in for the agent (cc checks the session).
nosess() {
	local before
	printf '%s' "$2" >"$T/payload.json"
	before=$(rec_count)
	hk_in "$T/payload.json" -s "$SOCK" -F "$FB" claude-code
	expect_rc "$1" 0
	expect_quiet "$1"
	assert_eq "$1: sent" $((before + 1)) "$(rec_count)"
	rec_is "$1" "$3"
}
nosess "no session, no agent" '{"hook_event_name":"Stop","cwd":"/"}' \
	'.agent_id == "claude-code" and .metadata.project == "/" and (.metadata | has("session_id") | not)'
nosess "session_id too long for agent_id" \
	'{"hook_event_name":"Stop","session_id":"'"$(head -c 400 /dev/zero | tr '\0' s)"'"}' \
	'(.agent_id | length) == 256 and (.metadata.session_id | length) == 256'

# A payload hookcli cannot read at all: unreadable WHAT PAYLOAD_FILE MESSAGE.
# An observer exits 0 with the reason on stderr (none with -q); --strict
# makes it 65; nothing is ever sent.
unreadable() {
	local before
	before=$(rec_count)
	hk_in "$2" -s "$SOCK" -F "$FB" claude-code
	expect_rc "$1" 0
	expect_err "$1" "$3"
	hk_in "$2" -s "$SOCK" -F "$FB" -q claude-code
	expect_rc "$1 (-q)" 0
	expect_quiet "$1 (-q)"
	hk_in "$2" -s "$SOCK" -F "$FB" --strict -q claude-code
	expect_rc "$1 (--strict -q)" 65
	expect_err "$1 (--strict -q)" "$3"
	assert_eq "$1: nothing sent" "$before" "$(rec_count)"
	[ -z "$(ls "$FB")" ] || fail "$1: something was parked"
}

note "unreadable payloads: exit 0, the reason on stderr, nothing sent"
printf '{"hook_event_name":"Stop", "session_id": ' >"$T/p"
unreadable "malformed JSON" "$T/p" "invalid JSON"
printf '{"hook_event_name":"Stop"} trailing' >"$T/p"
unreadable "trailing garbage" "$T/p" "invalid JSON"
printf '["SessionStart"]' >"$T/p"
unreadable "not an object" "$T/p" "not a JSON object"
: >"$T/p"
unreadable "empty stdin" "$T/p" "empty payload"
printf 'SessionStart\n' >"$T/p"
unreadable "not JSON" "$T/p" "invalid JSON"
printf '{"hook_event_name":"Stop","session_id":"\377\376"}' >"$T/p"
unreadable "invalid UTF-8" "$T/p" "invalid JSON"
{
	printf '{%s,"hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"content":"' "$BASE"
	head -c 1100000 /dev/zero | tr '\0' a
	printf '"}}'
} >"$T/p"
unreadable "payload over 1 MiB" "$T/p" "over 1048576 bytes"
printf '{"hook_event_name":"Stop","session_id":"s\000x"}' >"$T/p"
unreadable "NUL byte" "$T/p" "invalid JSON"
head -c 5000 /dev/zero | tr '\0' '[' >"$T/p"
unreadable "deeply nested" "$T/p" "invalid JSON"
exit 0
