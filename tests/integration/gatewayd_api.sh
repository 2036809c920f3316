#!/bin/sh
# gatewayd read API: /api/v1/events filters, since/limit/next and bad
# parameters, stats, agents (latest state and budget), health, the
# connection manager, /metrics, and the dashboard mount.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

mkdir -p "$T/www"
echo '<!doctype html><title>agentvis dashboard</title>' >"$T/www/index.html"
echo 'console.log(1)' >"$T/www/app.js"
printf '\0\0\1\0' >"$T/www/favicon.ico"
gw_start --store "sqlite:$T/events.db"

{
	printf '{"events":['
	ev 1 agent_spawned '"session_id2":"x"'; printf ','
	ev 2 task_started; printf ','
	ev 3 budget_updated '"budget_remaining":90,"budget_total":100,"budget_delta":-10'; printf ','
	ev 4 task_completed '"duration_ms":2500'; printf ','
	ev 5 task_failed '"error":"boom"'
	printf ']}'
} | sed 's/"session_id":"s1","session_id2":"x"/"session_id":"s2"/' >"$T/b1"
assert_eq "ingest" 200 "$(post "$T/b1")"

assert_eq "all events" 200 "$(get /api/v1/events)"
assert_eq "five" 5 "$(grep -o '"seq":' "$T/resp" | wc -l)"
assert_contains "no next" "$(cat "$T/resp")" '"next":null}'
assert_eq "by type" 200 "$(get '/api/v1/events?event_type=task_failed')"
assert_eq "one task_failed" 1 "$(grep -o '"seq":5,' "$T/resp" | wc -l)"
assert_eq "one type only" 1 "$(grep -o '"seq":' "$T/resp" | wc -l)"
assert_eq "by agent" 200 "$(get '/api/v1/events?agent_id=agent-1')"
assert_eq "agent-1 has 1 and 4" 2 "$(grep -o '"agent_id":"agent-1"' "$T/resp" | wc -l)"
assert_eq "by session" 200 "$(get '/api/v1/events?session_id=s2')"
assert_eq "session s2" 1 "$(grep -o '"seq":' "$T/resp" | wc -l)"
assert_eq "paged" 200 "$(get '/api/v1/events?since=1&limit=2')"
assert_contains "page" "$(cat "$T/resp")" '"seq":3,'
assert_contains "next" "$(cat "$T/resp")" '],"next":3}'
assert_eq "limit too big" 422 "$(get '/api/v1/events?limit=1001')"
assert_contains "422 loc" "$(cat "$T/resp")" '"loc":["query","limit"]'
assert_eq "limit zero" 422 "$(get '/api/v1/events?limit=0')"
assert_eq "since bad" 422 "$(get '/api/v1/events?since=abc')"
assert_eq "type bad" 422 "$(get '/api/v1/events?event_type=nope')"

assert_eq "stats" 200 "$(get /api/v1/events/stats)"
assert_contains "stats totals" "$(cat "$T/resp")" '"total":5,"by_type":{"agent_spawned":1,"agent_activated":0,"operation_allowed":0,"operation_denied":0,"budget_updated":1,"task_started":1,"task_completed":1,"task_failed":1}'
assert_contains "stats ingest" "$(cat "$T/resp")" '"ingest":{"requests":1,"accepted":5,"duplicates":0,"rejected":0}'

assert_eq "agents" 200 "$(get /api/v1/agents)"
assert_contains "agent-0 budget" "$(cat "$T/resp")" '"budget_remaining":90,"budget_total":100'

assert_eq "health" 200 "$(get /api/v1/health)"
assert_contains "health body" "$(cat "$T/resp")" '{"status":"ok","store":"sqlite","version":"'
assert_contains "health: no tokens" "$(cat "$T/resp")" '"auth":false'

ws_start c1 -t 10000 "$PORT" '/api/v1/agents/activity/stream?user_id=7'
ws_wait_conns 1
assert_eq "connections" 200 "$(get /api/v1/agents/activity/connections)"
assert_contains "connection entry" "$(cat "$T/resp")" '"user_id":"7","address":"127.0.0.1","connected_at":"'
assert_contains "connection counters" "$(cat "$T/resp")" '"messages_sent":1,"queue_depth":0,"dropped":0'

assert_eq "metrics" 200 "$(get /metrics)"
for m in 'agentvis_ingest_requests_total{status="200"} 1' \
    'agentvis_stored_events{type="task_failed"} 1' \
    'agentvis_ws_connections 1' 'agentvis_ws_queue_drops_total 0' \
    'agentvis_store_insert_seconds_count 1' \
    'agentvis_store_insert_seconds_bucket{le="+Inf"} 1' \
    'agentvis_ingest_seconds_count 1' \
    'agentvis_ingest_seconds_bucket{le="+Inf"} 1' \
    'agentvis_ingest_backlog_bytes 0' 'agentvis_store_wal_pinned 0'; do
	grep -qxF "$m" "$T/resp" || fail "metrics lack: $m"
done

# The dashboard.
assert_eq "index" 200 "$(get /)"
assert_contains "index body" "$(cat "$T/resp")" 'agentvis dashboard'
st=$("$CURL" -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/app.js")
assert_contains "app.js" "$st" '200 '
assert_contains "app.js type" "$st" 'javascript'
st=$("$CURL" -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/favicon.ico")
assert_eq "favicon" '200 image/x-icon' "$st"
assert_eq "missing file" 404 "$(get /nope.html)"
assert_eq "unknown API path" 404 "$(get /api/v1/nope)"
assert_eq "POST elsewhere" 405 "$("$CURL" -s -o /dev/null -w '%{http_code}' -d x "$URL/api/v1/events")"
assert_eq "POST elsewhere again" 405 "$("$CURL" -s -o /dev/null -w '%{http_code}' -d x "$URL/api/v1/agents")"
assert_eq "Host refused" 403 "$(get /api/v1/events -H 'Host: evil.example')"

# Every answer is counted, the router's refusals too.
assert_eq "metrics again" 200 "$(get /metrics)"
for m in 'agentvis_http_responses_total{status="405"} 2' \
    'agentvis_http_responses_total{status="403"} 1' \
    'agentvis_http_responses_total{status="404"} 1'; do
	grep -qxF "$m" "$T/resp" || fail "metrics lack: $m ($(grep http_responses "$T/resp" | tr '\n' ' '))"
done

gw_stop
