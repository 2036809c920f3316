#!/bin/sh
# gatewayd ingest: the original prototype's exact POST, every status code
# gatewayd(8) lists for POST /api/v1/events/ingest, duplicates, a bad event refusing its whole batch, Expect: 100-continue
# and keep-alive.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

gw_start --store "sqlite:$T/events.db"

# The original prototype's POST: its headers and {events, batch_id,
# timestamp}.
batch 1 3 >"$T/b1"
st=$("$CURL" -s -o "$T/resp" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' \
    -H 'X-Event-Source: visibility-pipeline' -H 'X-Event-Count: 3' \
    --data-binary "@$T/b1" "$URL/api/v1/events/ingest")
assert_eq "prototype POST status" 200 "$st"
assert_eq "prototype POST answer" \
    '{"status":"accepted","batch_id":"batch-1-3","accepted":3,"duplicates":0,"first_seq":1,"last_seq":3}' \
    "$(cat "$T/resp")"

# The same batch again: stored once, counted as duplicates.
assert_eq "resend status" 200 "$(post "$T/b1")"
assert_contains "resend answer" "$(cat "$T/resp")" '"accepted":0,"duplicates":3,"first_seq":null'
assert_eq "stored once" 200 "$(get /api/v1/events/stats)"
assert_contains "stats total" "$(cat "$T/resp")" '"total":3,'

# A single event object on its own.
ev 4 task_started >"$T/one"
assert_eq "single event" 200 "$(post "$T/one")"
assert_contains "single answer" "$(cat "$T/resp")" '"accepted":1,"duplicates":0,"first_seq":4,"last_seq":4'

# 400: malformed JSON names the byte offset.
printf '{"events":[{"event_type":' >"$T/bad"
assert_eq "malformed" 400 "$(post "$T/bad")"
assert_contains "malformed position" "$(cat "$T/resp")" '"position":25'
# 400: X-Event-Count that does not match.
assert_eq "count mismatch" 400 "$(post "$T/b1" -H 'X-Event-Count: 2')"
assert_contains "count mismatch answer" "$(cat "$T/resp")" 'X-Event-Count'

# 422: one bad event refuses the whole batch, loc names it.
{
	printf '{"events":['
	ev 10; printf ','; ev 11; printf ','
	ev 12 | sed 's/"agent_name":"coder",//'
	printf '],"batch_id":"b-bad"}'
} >"$T/b422"
assert_eq "invalid batch" 422 "$(post "$T/b422")"
assert_contains "422 loc" "$(cat "$T/resp")" '{"loc":["events",2,"agent_name"],"msg":'
assert_contains "422 type" "$(cat "$T/resp")" '"type":"missing"'
assert_eq "stats after 422" 200 "$(get /api/v1/events/stats)"
assert_contains "nothing of it stored" "$(cat "$T/resp")" '"total":4,'
# A nested field path is split into loc elements.
ev 13 budget_updated '"budget_remaining":"x","budget_total":10,"budget_delta":1' \
    | sed 's/^/{"events":[/; s/$/]}/' >"$T/b422b"
assert_eq "invalid metadata" 422 "$(post "$T/b422b")"
assert_contains "nested loc" "$(cat "$T/resp")" '"loc":["events",0,"metadata","budget_remaining"]'

# 415: not JSON.
st=$("$CURL" -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary "@$T/b1" "$URL/api/v1/events/ingest")
assert_eq "415" 415 "$st"

# 411: no Content-Length; chunked is refused and the connection closed.
st=$("$CURL" -s -o "$T/resp" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' "$URL/api/v1/events/ingest")
assert_eq "411 without body" 411 "$st"
st=$("$CURL" -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary "@$T/b1" "$URL/api/v1/events/ingest")
assert_eq "411 chunked" 411 "$st"

# 413: over max_body_bytes, answered from the headers alone.
head -c 1100000 /dev/zero | tr '\0' ' ' >"$T/big"
assert_eq "413" 413 "$(post "$T/big")"
assert_contains "413 answer" "$(cat "$T/resp")" 'max_body_bytes'

# 405 on GET.
assert_eq "405" 405 "$(get /api/v1/events/ingest)"

# Expect: 100-continue (curl sends it for bodies over 1 KiB): answered.
batch 20 40 >"$T/b2"
[ "$(wc -c <"$T/b2")" -gt 1024 ] || fail "body too small for Expect"
"$CURL" -s -v -o "$T/resp" -H 'Content-Type: application/json' \
    -H 'Expect: 100-continue' --data-binary "@$T/b2" \
    "$URL/api/v1/events/ingest" 2>"$T/curl.err"
assert_contains "100 Continue seen" "$(cat "$T/curl.err")" 'HTTP/1.1 100 Continue'
assert_contains "accepted after 100" "$(cat "$T/resp")" '"accepted":21'

# Keep-alive: two requests on one connection.
"$CURL" -s -v -o /dev/null -o /dev/null "$URL/api/v1/health" "$URL/api/v1/health" \
    2>"$T/curl.err"
assert_contains "keep-alive" "$(cat "$T/curl.err")" 'Re-using existing connection'
batch 50 51 >"$T/b3"
batch 52 53 >"$T/b4"
"$CURL" -s -v -H 'Content-Type: application/json' --data-binary "@$T/b3" \
    "$URL/api/v1/events/ingest" --next -H 'Content-Type: application/json' \
    --data-binary "@$T/b4" "$URL/api/v1/events/ingest" >"$T/out" 2>"$T/curl.err"
assert_contains "keep-alive POSTs" "$(cat "$T/curl.err")" 'Re-using existing connection'
assert_eq "both POSTs accepted" 2 "$(grep -o '"accepted":2' "$T/out" | wc -l)"

# 503 when the store cannot write: another process holds the write lock.
if [ -n "${SQLITE3:-}" ]; then
	( echo 'BEGIN EXCLUSIVE;'; echo "SELECT 'locked';"; sleep 3; echo 'COMMIT;' ) |
	    "$SQLITE3" "$T/events.db" >"$T/lock.out" &
	lockpid=$!
	av_wait_for 10 grep -q locked "$T/lock.out" || fail "sqlite3 did not lock"
	batch 60 60 >"$T/b5"
	st=$(post "$T/b5")
	wait $lockpid
	assert_eq "503 store locked" 503 "$st"
	assert_eq "stored after unlock" 200 "$(post "$T/b5")"
else
	note "sqlite3 missing: 503 not tested"
fi

# Metrics count the answers by status.
assert_eq "metrics" 200 "$(get /metrics)"
assert_contains "metrics 422" "$(cat "$T/resp")" 'agentvis_ingest_requests_total{status="422"} 2'
assert_contains "metrics 200" "$(cat "$T/resp")" 'agentvis_ingest_events_total 30'

# A number no store keeps exactly, or a NUL in a string, is refused with
# the field's loc, never changed: integers outside 64 bits (json-c would
# clamp them), -0, and doubles that would be infinite or 0.
get /api/v1/events/stats >/dev/null
total=$(sed 's/.*"total":\([0-9]*\).*/\1/' "$T/resp")
i=70
for v in 9223372036854775808 -9223372036854775809 18446744073709551615 \
    18446744073709551616 1234567890123456789012345 -0 1e400 -1e400 1e-400 \
    '"a\u0000b"' '[0,{"deep":99999999999999999999}]'; do
	i=$((i + 1))
	{ printf '{"events":['; ev 69; printf ','; ev $i task_started "\"n\":$v"; printf ']}'; } >"$T/num"
	assert_eq "422 for $v" 422 "$(post "$T/num")"
	case $v in
	\[*) loc='["events",1,"metadata","n","1","deep"]' ;;
	*) loc='["events",1,"metadata","n"]' ;;
	esac
	assert_contains "loc for $v" "$(cat "$T/resp")" "{\"loc\":$loc,\"msg\":"
	assert_contains "only that one for $v" "$(cat "$T/resp")" '"rejected":2,"invalid":1}'
done
ev 89 task_started '"n":9223372036854775808' >"$T/num"
assert_eq "single event" 422 "$(post "$T/num")"
assert_contains "integer message" "$(cat "$T/resp")" \
    '{"loc":["body","metadata","n"],"msg":"integer outside the signed 64-bit range","type":"int_parsing_size"}'
# A NUL in a member name cannot even be parsed: json-c would cut the name.
ev 90 task_started '"a\u0000b":1' >"$T/num"
assert_eq "NUL in a member name" 400 "$(post "$T/num")"
assert_contains "NUL in a member name: where" "$(cat "$T/resp")" 'NUL character in member name'
assert_eq "none of them stored" 200 "$(get /api/v1/events/stats)"
assert_contains "none of them stored: total" "$(cat "$T/resp")" "\"total\":$total,"

# What is kept is kept to the byte: the edges of the 64-bit range, and
# fractions as they were written.
keep='"max":9223372036854775807,"min":-9223372036854775808,"f":1.50,"z":-0.0,"e":1E2,"big":1.7976931348623157e308,"tiny":5e-324'
ev 91 task_started "$keep" >"$T/num"
assert_eq "edges accepted" 200 "$(post "$T/num")"
ev 92 budget_updated '"budget_remaining":9223372036854775807,"budget_total":-9223372036854775808,"budget_delta":-0.0' >"$T/num"
assert_eq "budget edges accepted" 200 "$(post "$T/num")"
assert_eq "read back" 200 "$(get '/api/v1/events?limit=1000')"
assert_contains "stored text" "$(cat "$T/resp")" "$keep}"
assert_contains "stored budget" "$(cat "$T/resp")" '"budget_remaining":9223372036854775807,"budget_total":-9223372036854775808,"budget_delta":-0.0}'
assert_eq "agents" 200 "$(get /api/v1/agents)"
assert_contains "agents budget" "$(cat "$T/resp")" '"budget_remaining":9223372036854775807,"budget_total":-9223372036854775808'
if [ -n "${SQLITE3:-}" ]; then
	assert_eq "SQLite budget columns" '9223372036854775807|-9223372036854775808|integer' \
	    "$("$SQLITE3" "$T/events.db" "SELECT budget_remaining, budget_total, typeof(budget_remaining) FROM agents WHERE budget_seq IS NOT NULL")"
fi

gw_stop
