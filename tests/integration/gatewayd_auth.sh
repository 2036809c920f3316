#!/bin/sh
# gatewayd auth and limits: the auth matrix (no token, wrong token, a
# token of the wrong kind, a query user_id that is not the token's user),
# project scope, token files, the loopback rule, 429 with Retry-After
# after a SIGHUP that lowers the rate limit.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

S=/api/v1/agents/activity/stream
umask 077
cat >"$T/gatewayd.conf" <<EOC
# tokens for the test
ingest_tokens = ingest-token-1
user_tokens = alice-token-1:alice, bob-token-1:bob:projB
admin_tokens = admin-token-1
user_token_file = $T/users
EOC
echo 'carol-token-1 carol   # from the token file' >"$T/users"

# The configuration check, and refusals before listening.
"$GATEWAYD" -n -c "$T/gatewayd.conf" >"$T/n.out" 2>&1 || fail "-n: $(cat "$T/n.out")"
assert_eq "-n" "configuration OK" "$(cat "$T/n.out")"
"$GATEWAYD" -n -v -c "$T/gatewayd.conf" >"$T/n.out" 2>&1
assert_contains "-n -v hides tokens" "$(grep ingest_tokens "$T/n.out")" '(set)'
grep -q 'alice-token-1' "$T/n.out" && fail "-n -v printed a token"
echo 'listen = 0.0.0.0:1' >"$T/open.conf"
"$GATEWAYD" -n -c "$T/open.conf" >"$T/n.out" 2>&1
assert_eq "beyond loopback without tokens" 78 $?
assert_contains "says why" "$(cat "$T/n.out")" '--insecure'
"$GATEWAYD" -n --insecure -c "$T/open.conf" >"$T/n.out" 2>&1
assert_eq "--insecure" 0 $?
chmod 644 "$T/users"
"$GATEWAYD" -n -c "$T/gatewayd.conf" >"$T/n.out" 2>&1
assert_eq "token file readable by others" 78 $?
chmod 600 "$T/users"
echo 'nosuchkey = 1' >"$T/bad.conf"
"$GATEWAYD" -n -c "$T/bad.conf" >"$T/n.out" 2>&1
assert_eq "unknown key" 78 $?
assert_contains "unknown key named" "$(cat "$T/n.out")" 'nosuchkey'

gw_start -c "$T/gatewayd.conf" --store memory
{
	printf '{"events":['
	ev 1 agent_spawned '"user_id":"alice","project":"projA"'; printf ','
	ev 2 task_failed '"user_id":"bob","project":"projB","error":"x"'
	printf ']}'
} >"$T/b1"

# Ingest: 401 without or with a wrong token, 403 with a user token.
assert_eq "ingest no token" 401 "$(post "$T/b1")"
assert_eq "ingest wrong token" 401 "$(post "$T/b1" -H 'Authorization: Bearer nope-nope-1')"
assert_eq "ingest user token" 403 "$(post "$T/b1" -H 'Authorization: Bearer alice-token-1')"
assert_eq "ingest token in the query" 401 "$("$CURL" -s -o "$T/resp" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary "@$T/b1" \
    "$URL/api/v1/events/ingest?token=ingest-token-1")"

# Stream: refused without a token, with a wrong one, with the ingest
# token, and when user_id names someone else.
"$WSCLIENT" -t 3000 "$PORT" "$S?user_id=alice" >/dev/null 2>&1
assert_eq "stream no token" 2 $?
"$WSCLIENT" -t 3000 "$PORT" "$S?token=nope-nope-1" >/dev/null 2>&1
assert_eq "stream wrong token" 2 $?
"$WSCLIENT" -t 3000 "$PORT" "$S?token=ingest-token-1" >/dev/null 2>&1
assert_eq "stream ingest token" 2 $?
"$WSCLIENT" -t 3000 "$PORT" "$S?user_id=bob&token=alice-token-1" >/dev/null 2>&1
assert_eq "stream other user" 2 $?
"$WSCLIENT" -t 3000 -H 'Authorization: Bearer alice-token-1' "$PORT" "$S?user_id=bob" >/dev/null 2>&1
assert_eq "stream other user (header)" 2 $?

# Accepted: the token decides the user (query token or header).
ws_start alice -n 3 -t 8000 "$PORT" "$S?token=alice-token-1"
ws_start bob -n 3 -t 8000 -H 'Authorization: Bearer bob-token-1' "$PORT" "$S?user_id=bob"
ws_start carol -n 3 -t 8000 "$PORT" "$S?token=carol-token-1"
ws_wait_conns 3 -H "'Authorization: Bearer admin-token-1'"
assert_eq "ingest token" 200 "$(post "$T/b1" -H 'Authorization: Bearer ingest-token-1')"
ws_wait alice
ws_wait bob
ws_wait carol
assert_contains "alice is alice" "$(head -n 1 "$T/alice.out")" '"user_id":"alice"'
assert_eq "alice sees both events" 2 "$(count "$T/alice.out" '"type":"agent_event"')"
assert_eq "alice no notification" 0 "$(count "$T/alice.out" notification)"
# bob's token is scoped to projB: one event and his notification.
assert_eq "bob sees projB only" 1 "$(count "$T/bob.out" '"type":"agent_event"')"
assert_eq "bob notified" 1 "$(count "$T/bob.out" '"type":"notification","user_id":"bob"')"
assert_contains "carol from the token file" "$(head -n 1 "$T/carol.out")" '"user_id":"carol"'

# Read API: user tokens, not ingest tokens; connections need admin.
assert_eq "events no token" 401 "$(get /api/v1/events)"
assert_eq "events ingest token" 403 "$(get /api/v1/events -H 'Authorization: Bearer ingest-token-1')"
assert_eq "events user token" 200 "$(get /api/v1/events -H 'Authorization: Bearer alice-token-1')"
assert_contains "alice reads both" "$(cat "$T/resp")" '"seq":2,'
assert_eq "events other user" 403 "$(get '/api/v1/events?user_id=bob' -H 'Authorization: Bearer alice-token-1')"
assert_eq "events scoped" 200 "$(get '/api/v1/events?token=bob-token-1')"
case $(cat "$T/resp") in
*'"seq":1,'*) fail "bob read an event of projA" ;;
*'"seq":2,'*) ;;
*) fail "bob did not read his event" ;;
esac
assert_eq "connections user token" 403 "$(get /api/v1/agents/activity/connections -H 'Authorization: Bearer alice-token-1')"
assert_eq "connections admin" 200 "$(get /api/v1/agents/activity/connections -H 'Authorization: Bearer admin-token-1')"
assert_eq "metrics no token" 401 "$(get /metrics)"
grep -qi '^www-authenticate: Bearer' <<EOH || fail "401 without WWW-Authenticate"
$("$CURL" -s -D - -o /dev/null "$URL/metrics")
EOH
# A project-scoped token sees no global totals.
assert_eq "metrics scoped token" 403 "$(get '/metrics?token=bob-token-1')"
assert_contains "metrics scoped says why" "$(cat "$T/resp")" 'bound to a project'
assert_eq "metrics unscoped user" 200 "$(get '/metrics?token=alice-token-1')"
assert_eq "stats scoped" 200 "$(get '/api/v1/events/stats?token=bob-token-1')"
jq -e '.project == "projB" and .events_seen == 1 and .last_seq == 2
    and (has("total") or has("by_type") or has("ingest") or has("connections") | not)'     "$T/resp" >/dev/null || fail "scoped stats: $(cat "$T/resp")"
assert_eq "stats unscoped" 200 "$(get '/api/v1/events/stats?token=alice-token-1')"
jq -e '.total == 2 and .by_type.task_failed == 1' "$T/resp" >/dev/null ||
	fail "unscoped stats: $(cat "$T/resp")"
assert_eq "health needs nothing" 200 "$(get /api/v1/health)"
assert_contains "health says tokens are needed" "$(cat "$T/resp")" '"auth":true'

# SIGHUP: a lower rate limit and a new ingest token take effect.
cat >>"$T/gatewayd.conf" <<EOC
ingest_tokens = ingest-token-2
rate_limit = 1
rate_burst = 2
EOC
kill -HUP "$GWPID"
av_wait_for 10 grep -q 'SIGHUP: reloaded' "$T/gatewayd.log" || fail "no reload"
ev 3 >"$T/one"
# Three requests on one connection, well within the second the bucket
# needs to earn one back.
set -- -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
    -H 'Authorization: Bearer ingest-token-2' --data-binary "@$T/one"
"$CURL" "$@" "$URL/api/v1/events/ingest" --next "$@" "$URL/api/v1/events/ingest" \
    --next -D "$T/hdr" "$@" "$URL/api/v1/events/ingest" >"$T/codes"
assert_eq "new token, then 429" "200 200 429" "$(echo $(cat "$T/codes"))"
grep -qi '^retry-after: [0-9]' "$T/hdr" || fail "429 without Retry-After"
gw_stop
