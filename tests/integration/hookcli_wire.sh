#!/bin/sh
# hookcli_wire.sh: every event subcommand puts the right JSON on the wire.
. "$top_srcdir/tests/integration/hookcli_common.sh"

ts_start ack
A="-s $SOCK -F $FB"
ID="--agent-id a1 --agent-name coder --agent-role worker"

# One subcommand, then checks on the one line it sent.
sent() {
	local before
	before=$(rec_count)
	hk $A "$@"
	expect_rc "$*" 0
	expect_quiet "$*"
	assert_eq "$1: lines on the wire" $((before + 1)) "$(rec_count)"
	rec_is "$1: shape" "$EV_SHAPE"
	rec_is "$1: agent" '.agent_id == "a1" and .agent_name == "coder" and .agent_role == "worker"'
}

note "one subcommand per event type, with its defaults"
sent agent-spawned $ID
rec_is agent-spawned '.event_type == "agent_spawned" and .status == "success" and .metadata == {}'
sent agent-activated $ID
rec_is agent-activated '.event_type == "agent_activated" and .status == "success"'
sent operation-allowed $ID --operation write_file
rec_is operation-allowed '.event_type == "operation_allowed" and .status == "success" and .operation == "write_file"'
sent operation-denied $ID --operation rm_rf --reason "not in role"
rec_is operation-denied '.event_type == "operation_denied" and .status == "denied" and .operation == "rm_rf" and .metadata.reason == "not in role"'
sent budget-updated $ID --remaining 90 --total 100 --delta -10
rec_is budget-updated '.event_type == "budget_updated" and .status == "success" and .metadata.budget_remaining == 90 and .metadata.budget_total == 100 and .metadata.budget_delta == -10'
assert_contains "budget numbers are JSON numbers" "$(rec_last)" '"budget_delta":-10'
sent task-started $ID --task-id t-7
rec_is task-started '.event_type == "task_started" and .status == "success" and .metadata.task_id == "t-7"'
sent task-completed $ID --operation implement_auth --duration-ms 2500
rec_is task-completed '.event_type == "task_completed" and .status == "success" and .operation == "implement_auth" and .metadata.duration_ms == 2500'
sent task-failed $ID --error "tests failed"
rec_is task-failed '.event_type == "task_failed" and .status == "failure" and .metadata.error == "tests failed"'

note "rbac-decision and emit"
sent rbac-decision --allow $ID --operation write_file
rec_is rbac-allow '.event_type == "operation_allowed" and .status == "success"'
sent rbac-decision $ID --deny --operation write_file --reason "read-only role"
rec_is rbac-deny '.event_type == "operation_denied" and .status == "denied" and .metadata.reason == "read-only role"'
sent emit task_started $ID
rec_is "emit name" '.event_type == "task_started"'
sent emit task-completed $ID
rec_is "emit command" '.event_type == "task_completed"'

note "metadata options, --status, KEY=VALUE typing"
sent task-completed $ID --status failure --session-id s1 --task-id t1 \
	--project proj --trace-id tr1 --user-id u1
rec_is "metadata options" '.status == "failure" and .metadata == {"session_id":"s1","task_id":"t1","project":"proj","trace_id":"tr1","user_id":"u1"}'
sent task-started $ID n=42 f=2.50 neg=-3 e=1e3 s=hello t=true nul=null z=007 \
	empty= eq=a=b sp="two words"
rec_is "pair types" '.metadata.n == 42 and .metadata.neg == -3 and .metadata.e == 1000 and .metadata.s == "hello" and .metadata.t == "true" and .metadata.nul == "null" and .metadata.z == "007" and .metadata.empty == "" and .metadata.eq == "a=b" and .metadata.sp == "two words"'
assert_contains "decimal kept as typed" "$(rec_last)" '"f":2.50'
sent task-started $ID max=9223372036854775807 min=-9223372036854775808 \
	nz=-0.0 big=9223372036854775808 huge=123456789012345678901234567890 \
	mz=-0 inf=1e999 zero=1e-999
assert_contains "the edges of the 64-bit range are numbers" "$(rec_last)" \
	'"max":9223372036854775807,"min":-9223372036854775808,"nz":-0.0,'
rec_is "what no store keeps exactly stays text" '.metadata.big == "9223372036854775808" and .metadata.huge == "123456789012345678901234567890" and .metadata.mz == "-0" and .metadata.inf == "1e999" and .metadata.zero == "1e-999"'
sent task-started $ID --project from-option project=from-pair
rec_is "pairs win over options" '.metadata.project == "from-pair"'

note "each run makes a new event_id"
hk $A task-started $ID
id1=$(rec_last | jq -r .event_id)
hk $A task-started $ID
id2=$(rec_last | jq -r .event_id)
[ "$id1" != "$id2" ] || fail "event_id repeated: $id1"

note "global options may follow the command"
before=$(rec_count)
hk task-started $ID -s "$SOCK" -F "$FB" -t 1000
expect_rc "globals after command" 0
assert_eq "globals after command: sent" $((before + 1)) "$(rec_count)"
[ -z "$(fb_files)" ] || fail "nothing should have been parked: $(fb_files)"
exit 0
