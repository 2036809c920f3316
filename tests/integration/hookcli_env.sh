#!/bin/sh
# hookcli_env.sh: AGENTVIS_* defaults, and options winning over them.
. "$top_srcdir/tests/integration/hookcli_common.sh"

ts_start ack

note "every AGENTVIS_* variable lands where it should"
export AGENTVIS_SOCKET="$SOCK" AGENTVIS_FALLBACK_DIR="$FB" \
	AGENTVIS_AGENT_ID=env-id AGENTVIS_AGENT_NAME=env-name \
	AGENTVIS_AGENT_ROLE=env-role AGENTVIS_SESSION_ID=env-sess \
	AGENTVIS_PROJECT=env-proj AGENTVIS_TRACE_ID=env-trace \
	AGENTVIS_USER_ID=env-user
hk task-started
expect_rc "env only" 0
assert_eq "env only: sent" 1 "$(rec_count)"
rec_is "env only" '.agent_id == "env-id" and .agent_name == "env-name" and .agent_role == "env-role" and .metadata == {"session_id":"env-sess","project":"env-proj","trace_id":"env-trace","user_id":"env-user"}'

note "options override the environment"
hk task-started --agent-id opt-id --agent-name opt-name --agent-role opt-role \
	--session-id opt-sess --project opt-proj --trace-id opt-trace --user-id opt-user
expect_rc "options" 0
rec_is "options win" '.agent_id == "opt-id" and .agent_name == "opt-name" and .agent_role == "opt-role" and .metadata == {"session_id":"opt-sess","project":"opt-proj","trace_id":"opt-trace","user_id":"opt-user"}'

note "no role anywhere: an empty (unknown) role, not a refused event"
AGENTVIS_AGENT_ROLE= hk task-started
expect_rc "no role" 0
rec_is "no role" '.agent_role == "" and .agent_id == "env-id"'

note "-s overrides AGENTVIS_SOCKET"
ts_start ack other
OTHER=$SOCK
REC=$T/ts.rec
SOCK=$T/ts.sock
hk -s "$OTHER" task-started
expect_rc "-s" 0
assert_eq "-s: first server untouched" 3 "$(rec_count)"
assert_eq "-s: second server got it" 1 "$(wc -l <"$T/other.rec" | tr -d ' ')"

note "an empty variable counts as unset"
AGENTVIS_AGENT_ID= hk task-started
expect_rc "empty AGENTVIS_AGENT_ID" 65
expect_err "empty AGENTVIS_AGENT_ID" "invalid event: agent_id"
assert_eq "nothing sent when invalid" 3 "$(rec_count)"

note "AGENTVIS_FALLBACK_DIR is where events are parked"
AGENTVIS_SOCKET=$T/nobody.sock hk task-started
expect_rc "fallback via env" 0
assert_eq "fallback via env: one file" 1 "$(fb_files | wc -l | tr -d ' ')"
jq -e '.agent_id == "env-id"' "$(fb_files)" >/dev/null || fail "parked event: $(cat "$(fb_files)")"

note "-F overrides AGENTVIS_FALLBACK_DIR"
mkdir "$T/other-fb"
AGENTVIS_SOCKET=$T/nobody.sock hk -F "$T/other-fb" task-started
expect_rc "-F" 0
assert_eq "-F: one file there" 1 "$(find "$T/other-fb" -name '*.ndjson' | wc -l | tr -d ' ')"
assert_eq "-F: env dir unchanged" 1 "$(fb_files | wc -l | tr -d ' ')"
exit 0
