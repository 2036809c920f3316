#!/bin/sh
# hookcli_fallback.sh: with collectord unreachable the event is parked in
# the fallback dir: one finished file, mode 0640, one valid event a line.
. "$top_srcdir/tests/integration/hookcli_common.sh"

ID="--agent-id a1 --agent-name coder --agent-role worker"

# The one fallback file must hold N valid lines: check_parked WHAT N
check_parked() {
	local f
	assert_eq "$1: files" 1 "$(fb_files | wc -l | tr -d ' ')"
	f=$(fb_files)
	assert_eq "$1: mode" 640 "$(stat -c %a "$f")"
	assert_eq "$1: lines" "$2" "$(wc -l <"$f" | tr -d ' ')"
	jq -e "$EV_SHAPE" "$f" >/dev/null || fail "$1: not valid events: $(cat "$f")"
	[ -z "$(find "$FB" -name '.tmp*')" ] || fail "$1: temporary file left"
	PARKED=$f
}

note "no socket at all (ENOENT)"
hk -s "$T/nobody.sock" -F "$FB" task-completed $ID --duration-ms 12 k=v
expect_rc ENOENT 0
expect_err ENOENT "parked"
check_parked ENOENT 1
jq -e '.event_type == "task_completed" and .metadata == {"duration_ms":12,"k":"v"}' "$PARKED" >/dev/null ||
	fail "parked event: $(cat "$PARKED")"

note "the parked file is valid for collectord: replay it through send"
ts_start ack
hk -s "$SOCK" -F "$T/none" send "$PARKED"
expect_rc "replay" 0
assert_eq "replay: the server validated and acked it" 1 "$(rec_count)"
assert_eq "replay: same event" "$(jq -c . "$PARKED")" "$(rec_last | jq -c .)"
rm -f "$PARKED"

note "a stale socket file (ECONNREFUSED)"
ts_start ack stale
kill -KILL "$TS_PID"
wait "$TS_PID" 2>/dev/null
[ -S "$SOCK" ] || fail "stale socket should remain"
hk -s "$SOCK" -F "$FB" task-started $ID
expect_rc ECONNREFUSED 0
expect_err ECONNREFUSED "refused"
check_parked ECONNREFUSED 1
rm -f "$PARKED"

note "collectord closes the connection at once"
ts_start close closer
hk -s "$SOCK" -F "$FB" --strict task-started $ID
expect_rc "closed" 0
expect_err "closed" "parked"
check_parked "closed" 1
rm -f "$PARKED"

note "-q: parked silently"
hk -s "$T/nobody.sock" -F "$FB" -q task-started $ID
expect_rc "-q" 0
expect_quiet "-q"
check_parked "-q" 1
rm -f "$PARKED"

note "stdin, stdout and stderr closed: still parked, and only the event in the file"
rc=0
"$HOOKCLI" -s "$T/nobody.sock" -F "$FB" task-started $ID <&- >&- 2>&- || rc=$?
assert_eq "closed fds: exit" 0 "$rc"
check_parked "closed fds" 1
rm -f "$PARKED"

note "send: the good lines are parked together, the bad one is not"
{
	printf '{"event_type":"task_started","timestamp":"2026-11-26T16:35:09.123Z","event_id":"11111111-1111-4111-8111-111111111111","agent_id":"a","agent_name":"b","agent_role":"w","operation":"op","status":"success","metadata":{}}\n'
	printf '{"not":"an event"}\n'
	printf '{"event_type":"task_started","timestamp":"2026-11-26T16:35:09.123Z","event_id":"22222222-2222-4222-8222-222222222222","agent_id":"a","agent_name":"b","agent_role":"w","operation":"op","status":"success","metadata":{}}\n'
} >"$T/mix.ndjson"
hk -s "$T/nobody.sock" -F "$FB" send "$T/mix.ndjson"
expect_rc "send parked" 65
expect_err "send parked" "line 2"
check_parked "send parked" 2
assert_eq "send parked: in order" "11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222" \
	"$(jq -r .event_id "$PARKED" | tr '\n' ' ' | sed 's/ $//')"
exit 0
