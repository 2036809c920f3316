#!/bin/sh
# hookcli_prompts.sh: a permission prompt's answer, which no hook reports.
# A prompt the user allowed shows on the tool's PostToolUse as "granted";
# one still open at the user's next prompt (or the session's end) was
# refused, and becomes an operation_denied event sent just before it.
. "$top_srcdir/tests/integration/hookcli_common.sh"

ts_start ack
export AGENTVIS_STATE_DIR=$T/state
mkdir -m 700 "$AGENTVIS_STATE_DIR"

# Run one payload: hook FRAMEWORK PAYLOAD; must exit 0, quietly.
hook() {
	printf '%s' "$2" >"$T/payload.json"
	hk_in "$T/payload.json" -s "$SOCK" -F "$FB" "$1"
	expect_rc "$1 $2" 0
	expect_quiet "$1 $2"
}
# The Nth line from the end the server received (1 = the last).
rec_back() {
	tail -n "$1" "$REC" | head -n 1
}

A='"session_id":"sess-a","cwd":"/src/app","permission_mode":"default"'
RM='"tool_name":"Bash","tool_input":{"command":"rm -rf build"}'
WR='"tool_name":"Write","tool_input":{"file_path":"/src/app/x.c","content":"int x;"}'

note "a prompt, then the tool runs: granted"
hook claude-code '{'"$A"',"hook_event_name":"PreToolUse",'"$WR"',"tool_use_id":"t1"}'
hook claude-code '{'"$A"',"hook_event_name":"PermissionRequest",'"$WR"'}'
rec_is "PermissionRequest" '.event_type == "agent_activated" and .operation == "Write" and .metadata.permission == "requested" and .metadata.tool_input.file_path == "/src/app/x.c"'
hook claude-code '{'"$A"',"hook_event_name":"PostToolUse",'"$WR"',"tool_use_id":"t1","tool_response":{"ok":true}}'
rec_is "PostToolUse after the prompt" '.event_type == "task_completed" and .metadata.permission == "granted"'
hook claude-code '{'"$A"',"hook_event_name":"PostToolUse",'"$WR"',"tool_use_id":"t2"}'
rec_is "PostToolUse without a prompt" '.metadata | has("permission") | not'

note "a prompt, then nothing ran and the user typed again: denied"
hook claude-code '{'"$A"',"hook_event_name":"PermissionRequest",'"$RM"'}'
before=$(rec_count)
hook claude-code '{'"$A"',"hook_event_name":"UserPromptSubmit","prompt":"no, use make clean"}'
assert_eq "denial and prompt sent" $((before + 2)) "$(rec_count)"
rec_back 2 | jq -e '.event_type == "operation_denied" and .status == "denied"
    and .operation == "Bash" and .agent_id == "sess-a"
    and .metadata.permission == "denied" and .metadata.hook == "PermissionRequest"
    and .metadata.reason == "not allowed at the permission prompt"
    and .metadata.denial_seen_at == "UserPromptSubmit"
    and .metadata.tool_input.command == "rm -rf build"
    and .metadata.framework == "claude-code"' >/dev/null ||
    fail "denial: $(rec_back 2)"
rec_is "the prompt itself" '.event_type == "task_started"'
# A new event: its own id, not the request's.
[ "$(rec_back 2 | jq -r .event_id)" != "$(rec_back 3 | jq -r .event_id)" ] ||
	fail "the denial reuses an event_id"
before=$(rec_count)
hook claude-code '{'"$A"',"hook_event_name":"UserPromptSubmit","prompt":"again"}'
assert_eq "reported once" $((before + 1)) "$(rec_count)"

note "sessions are apart; the end of a session settles its prompts"
hook claude-code '{'"$A"',"hook_event_name":"PermissionRequest",'"$RM"'}'
before=$(rec_count)
hook claude-code '{"session_id":"sess-b","hook_event_name":"UserPromptSubmit","prompt":"x"}'
assert_eq "another session's prompt" $((before + 1)) "$(rec_count)"
hook claude-code '{'"$A"',"hook_event_name":"SessionEnd","reason":"logout"}'
assert_eq "denial at the end" $((before + 3)) "$(rec_count)"
rec_back 2 | jq -e '.event_type == "operation_denied" and .metadata.denial_seen_at == "SessionEnd"' >/dev/null ||
	fail "denial at SessionEnd: $(rec_back 2)"
[ -z "$(ls "$AGENTVIS_STATE_DIR")" ] || fail "notes left: $(ls -R "$AGENTVIS_STATE_DIR")"

note "Codex asks the same way"
C='"session_id":"cx-1","cwd":"/r/x","model":"gpt-5.5","permission_mode":"default","turn_id":"1"'
hook codex '{'"$C"',"hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"curl x"}}'
before=$(rec_count)
hook codex '{'"$C"',"hook_event_name":"UserPromptSubmit","prompt":"p"}'
assert_eq "codex denial" $((before + 2)) "$(rec_count)"
rec_back 2 | jq -e '.event_type == "operation_denied" and .operation == "Bash" and .metadata.framework == "codex"' >/dev/null ||
	fail "codex denial: $(rec_back 2)"

note "collectord away: the denial and the prompt are parked together"
hook claude-code '{'"$A"',"hook_event_name":"PermissionRequest",'"$RM"'}'
printf '%s' '{'"$A"',"hook_event_name":"UserPromptSubmit","prompt":"p"}' >"$T/payload.json"
hk_in "$T/payload.json" -s "$T/none.sock" -F "$FB" -q claude-code
expect_rc "parked" 0
assert_eq "parked lines" 2 "$(cat $(fb_files) | wc -l | tr -d ' ')"
cat $(fb_files) | head -n 1 | jq -e '.event_type == "operation_denied"' >/dev/null ||
	fail "parked denial: $(cat $(fb_files))"

note "a state dir that is not safe is not used, and costs nothing else"
chmod 777 "$AGENTVIS_STATE_DIR"
before=$(rec_count)
hook claude-code '{'"$A"',"hook_event_name":"PermissionRequest",'"$RM"'}'
hook claude-code '{'"$A"',"hook_event_name":"UserPromptSubmit","prompt":"p"}'
assert_eq "no notes, events still sent" $((before + 2)) "$(rec_count)"
[ -z "$(ls "$AGENTVIS_STATE_DIR")" ] || fail "a note in a world-writable dir"
AGENTVIS_STATE_DIR=$T/payload.json hook claude-code '{'"$A"',"hook_event_name":"PermissionRequest",'"$RM"'}'
exit 0
