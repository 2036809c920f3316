#!/bin/sh
# The original dashboard's five feed lines end to end: hookcli ->
# collectord -> gatewayd -> WebSocket, in order, in the agent_event shape
# of gatewayd(8), each once; then one event sent in two spellings through
# collectord, stored once.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"

gw_up
cd_up
ws_start w -n 6 -t 15000 "$PORT" "$STREAM?user_id=1"
ws_wait_conns 1

A="--agent-id coder-1 --agent-name coder --agent-role worker --session-id s-story"
"$HOOKCLI" --strict agent-spawned $A || fail "agent-spawned"
"$HOOKCLI" --strict agent-activated $A || fail "agent-activated"
"$HOOKCLI" --strict operation-allowed $A --operation write_file path=src/app.js ||
    fail "operation-allowed"
"$HOOKCLI" --strict budget-updated $A --remaining 90 --total 100 --delta -10 ||
    fail "budget-updated"
"$HOOKCLI" --strict task-completed $A --operation implement --duration-ms 2500 \
    task="implemented auth" || fail "task-completed"
ws_wait w
assert_eq "stream client" 0 "$(cat "$T/w.rc")"

# connected first, then the five events in the order they were fired.
assert_contains "connected" "$(sed -n 1p "$T/w.out")" '"type":"connected"'
grep '"type":"agent_event"' "$T/w.out" >"$T/events"
assert_eq "agent_event messages" 5 "$(wc -l <"$T/events" | tr -d ' ')"
i=0
for t in agent_spawned agent_activated operation_allowed budget_updated task_completed; do
	i=$((i + 1))
	line=$(sed -n "${i}p" "$T/events")
	assert_contains "event $i" "$line" "\"event_type\":\"$t\""
	# The shape: {"type":"agent_event","event":{...},"timestamp":...}
	echo "$line" | jq -e '.type == "agent_event" and (.event | type) == "object"
	    and (.timestamp | type) == "string" and .event.agent_name == "coder"
	    and .event.seq > 0 and (.event.received_at | type) == "string"
	    and .event.metadata.origin.via == "socket"' >/dev/null ||
	    fail "event $i not in the agent_event shape: $line"
done
assert_contains "path" "$(sed -n 3p "$T/events")" '"path":"src/app.js"'
sed -n 4p "$T/events" | jq -e '.event.metadata | .budget_remaining == 90 and
    .budget_total == 100 and .budget_delta == -10' >/dev/null || fail "budget numbers"
sed -n 5p "$T/events" | jq -e '.event.metadata.duration_ms == 2500' >/dev/null ||
    fail "duration"

# Stored once each, and the agents view has the budget.
assert_eq "stored" 5 "$(stored 'SELECT count(DISTINCT event_id) FROM events')"
"$CURL" -s "$URL/api/v1/agents" | jq -e '[.agents[]? // .[]? | select(.agent_id == "coder-1")][0]
    | .budget_remaining == 90 and .budget_total == 100' >/dev/null ||
    fail "agents view: $("$CURL" -s "$URL/api/v1/agents")"

# A client that spells one event two ways (an upper-case UUID and +01:00,
# then as hookcli writes them): collectord acks and forwards both as they
# came, gatewayd stores the first in the canonical form and drops the
# second as its duplicate.
E='"event_type":"task_started","agent_id":"coder-2","agent_name":"coder","agent_role":"worker","operation":"task","status":"success","metadata":{"session_id":"s-story"}'
{
	echo "{\"timestamp\":\"2026-11-26T17:35:09.123+01:00\",\"event_id\":\"3F1C2A4E-8B7D-4C2E-9A1F-2B3C4D5E6F70\",$E}"
	echo "{\"timestamp\":\"2026-11-26T16:35:09.123Z\",\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\",$E}"
} >"$T/spelt.ndjson"
"$HOOKCLI" --strict -t 5000 send "$T/spelt.ndjson" || fail "send the two spellings"
av_wait_for 10 sh -c "\"$CURL\" -s \"$URL/api/v1/events/stats\" | jq -e '.ingest.duplicates == 1' >/dev/null" ||
    fail "the second spelling was not a duplicate: $("$CURL" -s "$URL/api/v1/events/stats")"
assert_eq "stored once, canonical" \
    "1|2026-11-26T16:35:09.123Z|3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70" \
    "$(stored "SELECT count(*), ts, event_id FROM events WHERE agent_id = 'coder-2'")"
"$CURL" -s "$URL/api/v1/events?agent_id=coder-2" | jq -e '.events | length == 1 and
    (.[0] | .timestamp == "2026-11-26T16:35:09.123Z" and .agent_name == "coder"
    and .metadata.session_id == "s-story" and .metadata.origin.via == "socket")' \
    >/dev/null || fail "stored event: $("$CURL" -s "$URL/api/v1/events?agent_id=coder-2")"
