#!/bin/sh
# gatewayd against clients that misbehave on purpose (found by a review
# that attacked a running gatewayd): a WebSocket client that pings and
# never reads, a browser page reaching gatewayd through DNS rebinding or
# with an Origin too long to read, an empty ingest body, a body dribbled
# a byte at a time, filter values too long (once dropped in silence, so
# that the answer held every event), a since beyond the store, an
# Authorization header too long, pages of the read API too large, read
# requests beyond the rate limit, and a batch_id with a NUL in it.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

[ -n "${NODE:-}" ] || skip "node missing"
RAW="$NODE $top_srcdir/tests/integration/rawclient.js"
S=/api/v1/agents/activity/stream

cat >"$T/gw.conf" <<EOC
rate_limit = 0
ws_queue_len = 16
body_timeout = 1s
max_response_bytes = 4K
allow_origins = https://dash.example.com
EOC
gw_start -c "$T/gw.conf" --store memory

# status URL [curl args...]: the status of a GET; the answer in $T/resp.
status() {
	local u=$1
	shift
	"$CURL" -s -m 10 -o "$T/resp" -w '%{http_code}' "$@" "$URL$u"
}
# upgrade NAME PATH: a raw upgrade request; the answer in $T/NAME.
upgrade() {
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' \
	    "$2" "$PORT" >"$T/$1.req"
	$RAW request "$PORT" "$T/$1.req" >"$T/$1" 2>&1
}

note "a client that pings and never reads lags like one that does not read events"
out=$($RAW pingflood "$PORT" 3000000)
note "ping flood: $out"
assert_contains "ping flood: cut off" "$out" "(server hung up)"
assert_eq "metrics" 200 "$(status /metrics)"
assert_contains "ping flood: lagged" "$(cat "$T/resp")" 'agentvis_ws_lagged_total 1'
assert_contains "ping flood: logged" "$(cat "$T/gatewayd.log")" '(flood) lagged at seq'

note "DNS rebinding: without tokens, only loopback names and allow_origins hosts"
assert_eq "Host: evil.example" 403 "$(status /api/v1/health -H "Host: evil.example:$PORT")"
assert_contains "says why" "$(cat "$T/resp")" 'DNS rebinding'
assert_eq "read API, Host: evil.example" 403 "$(status /api/v1/events -H 'Host: evil.example')"
for h in "localhost:$PORT" "127.0.0.1:$PORT" "[::1]:$PORT" "LOCALHOST" \
    "dash.example.com"; do
	assert_eq "Host: $h" 200 "$(status /api/v1/health -H "Host: $h")"
done
printf 'GET %s?user_id=1 HTTP/1.1\r\nHost: evil.example:%s\r\nOrigin: http://evil.example:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' \
    "$S" "$PORT" "$PORT" >"$T/rebind.req"
$RAW request "$PORT" "$T/rebind.req" >"$T/rebind"
assert_contains "stream, Host = Origin = evil.example" "$(head -n 1 "$T/rebind")" ' 403 '

note "an Origin too long to read is not a missing one"
long=$(printf '%0300d' 0 | tr 0 a)
printf 'GET %s?user_id=1 HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nOrigin: http://%s.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' \
    "$S" "$PORT" "$long" >"$T/origin.req"
$RAW request "$PORT" "$T/origin.req" >"$T/origin"
assert_contains "long Origin" "$(head -n 1 "$T/origin")" ' 403 '
sed "s|Origin: http://$long.example|Origin: http://localhost:3000|" "$T/origin.req" >"$T/origin2.req"
$RAW request "$PORT" "$T/origin2.req" >"$T/origin2"
assert_contains "loopback Origin still served" "$(head -n 1 "$T/origin2")" 'HTTP/1.1 101'

note "Content-Length: 0 is answered at once"
st=$("$CURL" -s -m 4 -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary '' "$URL/api/v1/events/ingest")
assert_eq "empty body" 400 "$st"
assert_contains "empty body says so" "$(cat "$T/resp")" 'detail'

note "a body dribbled a byte at a time is cut off after body_timeout"
batch 1 1 >"$T/one"
out=$($RAW trickle "$PORT" "$T/one" 100)
note "trickle: $out"
assert_contains "trickled body" "$out" "closed after"
assert_contains "logged" "$(cat "$T/gatewayd.log")" '(body_timeout): closing'

note "filter values too long are refused, not dropped"
batch 1 30 >"$T/b30"
assert_eq "30 events" 200 "$(post "$T/b30")"
for arg in agent_id session_id project; do
	assert_eq "long $arg" 422 "$(status "/api/v1/events?$arg=$long")"
	assert_contains "long $arg: loc" "$(cat "$T/resp")" "\"loc\":[\"query\",\"$arg\"]"
done
assert_eq "long event_type" 422 "$(status "/api/v1/events?event_type=$long")"
upgrade agent "$S?user_id=1&agent_id=$long"
assert_contains "stream, long agent_id" "$(head -n 1 "$T/agent")" ' 422 '
upgrade types "$S?user_id=1&types=$long$long"
assert_contains "stream, long types" "$(head -n 1 "$T/types")" ' 422 '
# A long argument before a filter once hid the filter.
pad=$(printf '%02000d' 0)
assert_eq "filter after a long argument" 200 \
    "$(status "/api/v1/events?x=$pad&agent_id=agent-1&limit=1")"
assert_contains "still filtered" "$(cat "$T/resp")" '"agent_id":"agent-1"'

note "pages end before max_response_bytes; next reads on"
assert_eq "first page" 200 "$(status '/api/v1/events?limit=1000')"
n1=$(grep -o '"seq":' "$T/resp" | wc -l | tr -d ' ')
[ "$n1" -gt 0 ] && [ "$n1" -lt 30 ] || fail "first page has $n1 of 30 events"
[ "$(wc -c <"$T/resp")" -le 4096 ] || fail "page of $(wc -c <"$T/resp") bytes"
since=0
got=0
while :; do
	assert_eq "page after $since" 200 "$(status "/api/v1/events?limit=1000&since=$since")"
	got=$((got + $(grep -o '"seq":' "$T/resp" | wc -l)))
	next=$(sed -n 's/.*"next":\([0-9null]*\)}$/\1/p' "$T/resp")
	[ "$next" = null ] && break
	[ "$next" -gt "$since" ] || fail "next $next after $since"
	since=$next
done
assert_eq "every event, page by page" 30 "$got"

note "since beyond the store means from now on"
ws_start ahead -n 2 -t 10000 "$PORT" "$S?user_id=1&since=99999999"
ws_wait_conns 1
batch 31 31 >"$T/b31"
assert_eq "event after" 200 "$(post "$T/b31")"
ws_wait ahead
assert_eq "since ahead: client" 0 "$(cat "$T/ahead.rc")"
assert_contains "since ahead: live event" "$(cat "$T/ahead.out")" '"seq":31,'

note "a batch_id with a NUL in it"
printf '{"events":[%s],"batch_id":"a\\u0000b"}' "$(ev 40)" >"$T/nul"
assert_eq "batch_id with NUL" 422 "$(post "$T/nul")"
assert_contains "loc" "$(cat "$T/resp")" '"loc":["body","batch_id"]'
gw_stop

note "with tokens: an Authorization too long is refused; reads are rate limited"
cat >"$T/gw.conf" <<EOC
rate_limit = 1
rate_burst = 1
user_tokens = alice-token-1:alice
ingest_tokens = ingest-token-1
EOC
gw_start -c "$T/gw.conf" --store memory
big=$(printf '%0600d' 0)
assert_eq "long Authorization, good token= in the query" 401 \
    "$(status '/api/v1/events?token=alice-token-1' -H "Authorization: Bearer $big")"
assert_eq "read 1" 200 "$(status /api/v1/events -H 'Authorization: Bearer alice-token-1')"
# One a second: of five reads at once, some must wait (even on a slow box).
: >"$T/reads"
for i in 1 2 3 4 5; do
	status /api/v1/agents -H 'Authorization: Bearer alice-token-1' >>"$T/reads"
	echo >>"$T/reads"
done
assert_contains "reads over the rate limit" "$(cat "$T/reads")" 429
assert_contains "with Retry-After" "$(cat "$T/resp")" 'rate limit: retry in'
assert_eq "health is not limited" 200 "$(status /api/v1/health)"
gw_stop
