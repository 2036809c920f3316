#!/bin/sh
# pipeline_numbers.sh: numbers through every hop, hookcli -> collectord ->
# gatewayd -> SQLite and the stream. What every store keeps exactly (the
# signed 64-bit integers, doubles as written) arrives byte for byte; what
# it cannot keep is refused naming the field at whichever hop it enters,
# and never arrives changed.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"

CLIENT=$top_builddir/tests/integration/collector_client
[ -x "$CLIENT" ] || skip "collector_client not built"

gw_up
cd_up
ws_start w -n 3 -t 15000 "$PORT" "$STREAM?user_id=1"
ws_wait_conns 1

A="--agent-id num-1 --agent-name coder --agent-role worker --session-id s-num"
EDGES='"max":9223372036854775807,"min":-9223372036854775808,"f":1.50,"z":-0.0,"e":1E2'

# hookcli: the edges are numbers, kept as typed; what no store keeps
# exactly is a KEY=VALUE's text, and a numeric option's refusal.
"$HOOKCLI" --strict task-started $A max=9223372036854775807 \
    min=-9223372036854775808 f=1.50 z=-0.0 e=1E2 big=99999999999999999999 ||
    fail "task-started"
"$HOOKCLI" --strict budget-updated $A --remaining 9223372036854775807 \
    --total 9223372036854775807 --delta -9223372036854775808 || fail "budget-updated"
rc=0
"$HOOKCLI" --strict budget-updated $A --remaining 9223372036854775808 \
    --total 1 --delta 0 2>"$T/hk.err" || rc=$?
assert_eq "hookcli refuses" 65 "$rc"
assert_contains "hookcli names the field" "$(cat "$T/hk.err")" \
    'metadata.budget_remaining: integer outside the signed 64-bit range'

# collectord: a line from any other client is refused by name.
printf '{"event_type":"task_started","timestamp":"2026-11-26T16:35:09.123Z","event_id":"00000000-0000-4000-8000-00000000abcd","agent_id":"num-1","agent_name":"coder","agent_role":"worker","operation":"o","status":"success","metadata":{"n":-9223372036854775809}}\n' >"$T/line"
"$CLIENT" -s "$SOCK" -r <"$T/line" >"$T/reply" || fail "no reply"
assert_eq "collectord refuses" \
    '{"ok":false,"error":"validation","detail":"metadata.n: integer outside the signed 64-bit range"}' \
    "$(cat "$T/reply")"

# gatewayd: a direct POST is a 422 naming the field.
sed 's/-9223372036854775809/18446744073709551615/; s/^/{"events":[/; s/$/]}/' "$T/line" >"$T/body"
st=$("$CURL" -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "$BEARER" --data-binary "@$T/body" "$URL/api/v1/events/ingest")
assert_eq "gatewayd refuses" 422 "$st"
assert_contains "gatewayd names the field" "$(cat "$T/resp")" \
    '{"loc":["events",0,"metadata","n"],"msg":"integer outside the signed 64-bit range","type":"int_parsing_size"}'

# What was kept arrives as it was sent: on the stream, in the store, in
# the agents view. (jq would read the numbers as doubles: grep the text.)
ws_wait w
assert_eq "stream client" 0 "$(cat "$T/w.rc")"
grep '"type":"agent_event"' "$T/w.out" >"$T/events"
assert_eq "two events streamed" 2 "$(wc -l <"$T/events" | tr -d ' ')"
assert_contains "stream: edges" "$(sed -n 1p "$T/events")" "$EDGES,\"big\":\"99999999999999999999\","
assert_contains "stream: budget" "$(sed -n 2p "$T/events")" \
    '"budget_remaining":9223372036854775807,"budget_total":9223372036854775807,"budget_delta":-9223372036854775808,'
wait_stored 2 || fail "not stored"
assert_eq "stored: only the two" 2 "$(stored 'SELECT count(*) FROM events')"
assert_contains "stored: edges" "$(stored 'SELECT json FROM events ORDER BY seq LIMIT 1')" "$EDGES"
assert_eq "stored: budget columns" '9223372036854775807|9223372036854775807' \
    "$(stored "SELECT budget_remaining, budget_total FROM agents WHERE agent_id = 'num-1'")"
assert_contains "agents view" "$("$CURL" -s "$URL/api/v1/agents")" \
    '"budget_remaining":9223372036854775807,"budget_total":9223372036854775807'
