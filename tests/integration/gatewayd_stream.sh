#!/bin/sh
# gatewayd stream: the message shapes of gatewayd(8), notifications only
# to the connections of their user (two users x two connections), filters,
# ping/pong, a wrong path refused, close 1001 on SIGTERM.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

S=/api/v1/agents/activity/stream

# The messages and notifications of one batch, on store $1. The memory
# store broadcasts the objects it stored; SQLite stores on the writer
# thread and gatewayd broadcasts from the flattened batch: both must send
# the same bytes.
messages() {
	gw_start --store "$1"

	ws_start u1a -n 5 -t 8000 "$PORT" "$S?user_id=1"
	ws_start u1b -n 5 -t 8000 "$PORT" "$S?user_id=1"
	ws_start u2a -n 5 -t 8000 "$PORT" "$S?user_id=2"
	ws_start u2b -n 5 -t 8000 "$PORT" "$S?user_id=2"
	ws_start flt -n 3 -t 8000 "$PORT" "$S?user_id=3&types=task_failed,operation_denied"
	ws_start agt -n 2 -t 8000 "$PORT" "$S?user_id=3&agent_id=agent-1"
	ws_wait_conns 6

	{
		printf '{"events":['
		ev 1 agent_spawned '"user_id":"1"'; printf ','
		ev 2 task_failed '"user_id":"1","error":"tests broke"'; printf ','
		ev 3 operation_denied '"user_id":"2","reason":"not allowed"'
		printf '],"batch_id":"b1","timestamp":"2026-11-26T16:35:09.200Z"}'
	} >"$T/b1"
	assert_eq "ingest" 200 "$(post "$T/b1" -H 'X-Event-Source: visibility-pipeline' -H 'X-Event-Count: 3')"

	for c in u1a u1b u2a u2b flt agt; do
		ws_wait $c
		assert_eq "$c exit" 0 "$(cat "$T/$c.rc")"
	done

	# The shapes of gatewayd(8), byte for byte where they are fixed.
	head -n 1 "$T/u1a.out" | grep -Eq '^\{"type":"connected","connection_id":"[0-9a-f-]{36}","user_id":"1","last_seq":0\}$' ||
	    fail "connected message: $(head -n 1 "$T/u1a.out")"
	sed -n 2p "$T/u1a.out" | grep -Eq '^\{"type":"agent_event","event":\{"event_type":"agent_spawned","timestamp":"2026-11-26T16:35:09.123Z","event_id":"00000000-0000-4000-8000-000000000001",.*"metadata":\{"session_id":"s1","user_id":"1"\},"seq":1,"received_at":"[0-9T:.-]+Z"\},"timestamp":"[0-9T:.-]+Z"\}$' ||
	    fail "agent_event message: $(sed -n 2p "$T/u1a.out")"

	# Every client of user 1 got the task_failed notification, none of user 2.
	for c in u1a u1b; do
		assert_eq "$c events" 3 "$(count "$T/$c.out" '"type":"agent_event"')"
		assert_eq "$c notifications" 1 "$(count "$T/$c.out" '"type":"notification"')"
		assert_contains "$c notification" "$(grep notification "$T/$c.out")" \
		    '{"type":"notification","user_id":"1","level":"error","title":"coder failed write_file: tests broke","event":{"event_type":"task_failed"'
	done
	for c in u2a u2b; do
		assert_eq "$c events" 3 "$(count "$T/$c.out" '"type":"agent_event"')"
		assert_eq "$c notifications" 1 "$(count "$T/$c.out" '"type":"notification"')"
		assert_contains "$c notification" "$(grep notification "$T/$c.out")" \
		    '"user_id":"2","level":"warning","title":"coder denied write_file: not allowed"'
	done
	# The notification carries the stored event, seq and all.
	assert_contains "notification event" "$(grep notification "$T/u1a.out")" \
	    '"metadata":{"session_id":"s1","user_id":"1","error":"tests broke"},"seq":2,"received_at":"'
	# Filters.
	assert_eq "types filter" 2 "$(count "$T/flt.out" '"type":"agent_event"')"
	assert_eq "types filter spawned" 0 "$(count "$T/flt.out" '"agent_spawned"')"
	assert_eq "notification for user 3" 0 "$(count "$T/flt.out" notification)"
	assert_eq "agent filter" 1 "$(count "$T/agt.out" '"agent_id":"agent-1"')"
	assert_eq "agent filter others" 1 "$(count "$T/agt.out" '"type":"agent_event"')"
}

messages "sqlite:$T/events.db"
gw_stop
messages memory

# ping -> pong.
"$WSCLIENT" -n 2 -t 5000 -s '{"type":"ping"}' "$PORT" "$S?user_id=1" >"$T/ping.out" ||
    fail "ping client"
assert_eq "pong" '{"type":"pong"}' "$(sed -n 2p "$T/ping.out")"

# A message over max_ws_message_bytes closes with 1009.
big=$(head -c 5000 /dev/zero | tr '\0' 'x')
"$WSCLIENT" -t 5000 -s "$big" "$PORT" "$S?user_id=1" >/dev/null 2>"$T/big.err"
assert_contains "1009" "$(cat "$T/big.err")" 'close 1009'

# Other paths do not upgrade; bad filters are refused.
"$WSCLIENT" -t 3000 "$PORT" /api/v1/nowhere >/dev/null 2>&1
assert_eq "wrong path refused" 2 $?
"$WSCLIENT" -t 3000 "$PORT" "$S?types=nope" >/dev/null 2>&1
assert_eq "bad types refused" 2 $?
assert_eq "plain GET of the stream" 426 "$(get "$S")"
# Without tokens a browser page from elsewhere may not open the stream;
# the dashboard's own origin may.
"$WSCLIENT" -t 3000 -H 'Origin: http://evil.example' "$PORT" "$S?user_id=1" >/dev/null 2>&1
assert_eq "cross-origin refused" 2 $?
"$WSCLIENT" -n 1 -t 3000 -H "Origin: http://127.0.0.1:$PORT" "$PORT" "$S?user_id=1" >"$T/o.out" 2>&1 ||
    fail "same origin refused"
"$WSCLIENT" -n 1 -t 3000 -H "Origin: http://localhost:3000" "$PORT" "$S?user_id=1" >"$T/o.out" 2>&1 ||
    fail "loopback origin (a dashboard served on :3000) refused"
"$WSCLIENT" -t 3000 -H 'Origin: null' "$PORT" "$S?user_id=1" >/dev/null 2>&1
assert_eq "null origin refused" 2 $?
"$WSCLIENT" -t 3000 -H 'Origin: http://localhost.evil.example' "$PORT" "$S?user_id=1" >/dev/null 2>&1
assert_eq "look-alike origin refused" 2 $?
"$WSCLIENT" -t 3000 -H 'Origin: http://127.0.0.1.evil.example' "$PORT" "$S?user_id=1" >/dev/null 2>&1
assert_eq "look-alike address refused" 2 $?

# SIGTERM: the client is told 1001 and gatewayd exits 0.
ws_start last -t 10000 "$PORT" "$S?user_id=1"
ws_wait_conns 1
gw_stop
ws_wait last
assert_contains "going away" "$(cat "$T/last.err")" 'close 1001'
assert_eq "client after 1001" 0 "$(cat "$T/last.rc")"
