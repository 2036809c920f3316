#!/bin/sh
# demo-traffic.sh: a few agents going through their lives, reported with hookcli.
#
# Three agents of one session are spawned and activated, do operations (one is
# denied), spend budget, and run tasks (one fails); then a Claude Code session
# reports itself through its hooks. Events carrying user_id 1 also raise
# notifications for that user's dashboards.
#
#   AGENTVIS_SOCKET=/path/to/collectord.sock ./demo-traffic.sh
#
# HOOKCLI names the hookcli binary (default: hookcli on PATH); DEMO_DELAY the
# pause between events in seconds (default 0.15, so a watcher sees them arrive).
set -eu

H=${HOOKCLI:-hookcli}
D=${DEMO_DELAY:-0.15}
export AGENTVIS_SESSION_ID=${AGENTVIS_SESSION_ID:-demo-$(date +%H%M%S)}
export AGENTVIS_PROJECT=${AGENTVIS_PROJECT:-webshop}
export AGENTVIS_USER_ID=${AGENTVIS_USER_ID:-1}

n=0
ev() {
	"$H" --strict "$@"
	n=$((n + 1))
	sleep "$D"
}

for a in "coord-1 planner coordinator" "coder-1 coder worker" "tester-1 tester worker"; do
	set -- $a
	ev agent-spawned --agent-id "$1" --agent-name "$2" --agent-role "$3"
	ev agent-activated --agent-id "$1" --agent-name "$2" --agent-role "$3"
done

A="--agent-id coder-1 --agent-name coder --agent-role worker"
T="--agent-id tester-1 --agent-name tester --agent-role worker"
P="--agent-id coord-1 --agent-name planner --agent-role coordinator"

ev task-started $P --task-id T-1 --operation plan task="planning the auth feature"
ev task-started $A --task-id T-2 --operation implement task="implementing auth"
ev operation-allowed $A --operation write_file path=src/app.js
ev budget-updated $A --remaining 90 --total 100 --delta -10
ev operation-allowed $A --operation write_file path=src/auth.js
ev operation-denied $A --operation write_file --reason "path outside project" path=/etc/passwd
ev budget-updated $A --remaining 75 --total 100 --delta -15
ev task-completed $A --task-id T-2 --operation implement --duration-ms 2500 task="implemented auth"
ev task-started $T --task-id T-3 --operation test task="running the auth tests"
ev operation-allowed $T --operation run_command command="npm test"
ev budget-updated $T --remaining 40 --total 50 --delta -10
ev task-failed $T --task-id T-3 --operation test --error "2 of 48 tests failed" task="running the auth tests"
ev operation-allowed $P --operation spawn_agent target=fixer
ev task-completed $P --task-id T-1 --operation plan --duration-ms 8100 task="planned the auth feature"

# A Claude Code session as its hooks report it (hookcli claude-code reads
# the payload Claude Code writes on a hook's stdin), with a permission
# prompt the user refuses: it shows as operation_denied at the next prompt.
cc() {
	printf '{"session_id":"%s-claude","cwd":"/home/dev/webshop","hook_event_name":%s}' \
	    "$AGENTVIS_SESSION_ID" "$1" | "$H" --strict claude-code
	n=$((n + 1))
	sleep "$D"
}
cc '"SessionStart","source":"startup","model":"claude-sonnet"'
cc '"UserPromptSubmit","prompt":"add a login rate limit"'
cc '"PreToolUse","tool_name":"Read","tool_use_id":"t1","tool_input":{"file_path":"/home/dev/webshop/src/auth.js"}'
cc '"PostToolUse","tool_name":"Read","tool_use_id":"t1","tool_input":{"file_path":"/home/dev/webshop/src/auth.js"},"duration_ms":4'
cc '"PreToolUse","tool_name":"Bash","tool_use_id":"t2","tool_input":{"command":"rm -rf node_modules"}'
cc '"PermissionRequest","tool_name":"Bash","tool_input":{"command":"rm -rf node_modules"}'
cc '"Notification","notification_type":"permission_prompt","message":"Claude needs your permission to use Bash"'
cc '"UserPromptSubmit","prompt":"no, keep node_modules"'
n=$((n + 1))	# the refused prompt's operation_denied
cc '"Stop","stop_hook_active":false'
echo "demo: $n events sent (session $AGENTVIS_SESSION_ID)"
