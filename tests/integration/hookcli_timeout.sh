#!/bin/sh
# hookcli_timeout.sh: -t bounds the whole run when collectord never answers
# or stdin never ends. The bound checked is generous (t + 400 ms) so that a
# loaded machine does not fail it; a hang would.
. "$top_srcdir/tests/integration/hookcli_common.sh"

ID="--agent-id a1 --agent-name coder --agent-role worker"
SLACK=400

# Run hookcli and check the time it took: timed WHAT LIMIT_MS args...
timed() {
	local what=$1 limit=$2 t0 t1
	shift 2
	t0=$(now_ms)
	hk "$@"
	t1=$(now_ms)
	ELAPSED=$((t1 - t0))
	note "$what: exit $RC in $ELAPSED ms"
	[ "$ELAPSED" -lt $((limit + SLACK)) ] ||
		fail "$what: took $ELAPSED ms with -t $limit"
}

ts_start silent

note "collectord accepts but never answers: parked after -t"
timed "silent -t 300" 300 -s "$SOCK" -F "$FB" -t 300 task-started $ID
expect_rc "silent" 0
expect_err "silent" "no reply"
assert_eq "silent: the server got the line" 1 "$(rec_count)"
assert_eq "silent: parked once" 1 "$(fb_files | wc -l | tr -d ' ')"
# The copy carries the same event_id: gatewayd stores it once.
assert_eq "silent: same event parked" "$(rec_last | jq -r .event_id)" \
	"$(jq -r .event_id "$(fb_files)")"

timed "silent, default -t" 500 -s "$SOCK" -F "$FB" task-started $ID
expect_rc "silent, default -t" 0

timed "silent, --strict, nowhere to park" 200 -s "$SOCK" -F "$T/none" \
	-t 200 --strict task-started $ID
expect_rc "silent, --strict, nowhere to park" 69

note "send: many lines to a silent server, still bounded"
i=0
: >"$T/many.ndjson"
while [ $i -lt 50 ]; do
	printf '{"event_type":"task_started","timestamp":"2026-11-26T16:35:09.123Z","event_id":"%s","agent_id":"a","agent_name":"b","agent_role":"w","operation":"op","status":"success","metadata":{}}\n' \
		"$(printf '00000000-0000-4000-8000-%012d' $i)" >>"$T/many.ndjson"
	i=$((i + 1))
done
t0=$(now_ms)
hk_in "$T/many.ndjson" -s "$SOCK" -F "$FB" -t 300 send
t1=$(now_ms)
[ $((t1 - t0)) -lt $((300 + SLACK)) ] || fail "send to silent: $((t1 - t0)) ms"
expect_rc "send to silent" 0

note "claude-code: stdin that never ends"
# sleep keeps the pipe open with nothing in it; hookcli must give up.
sleep 2 | {
	t0=$(now_ms)
	rc=0
	"$HOOKCLI" -s "$SOCK" -F "$FB" -t 300 claude-code >"$T/out" 2>"$T/err" || rc=$?
	echo "$rc $(($(now_ms) - t0))" >"$T/res"
}
read -r rc ms <"$T/res"
note "stdin never closed: exit $rc in $ms ms"
[ "$ms" -lt $((300 + SLACK)) ] || fail "stdin never closed: took $ms ms"
assert_eq "stdin never closed: exit" 65 "$rc"
[ ! -s "$T/out" ] || fail "stdout: $(cat "$T/out")"

note "claude-code: a complete payload on a stdin that stays open"
{
	printf '{"hook_event_name":"Stop","session_id":"s-open","cwd":"/tmp/p"}'
	sleep 2
} | {
	t0=$(now_ms)
	rc=0
	"$HOOKCLI" -s "$T/nobody.sock" -F "$FB" -t 300 claude-code >"$T/out" 2>"$T/err" || rc=$?
	echo "$rc $(($(now_ms) - t0))" >"$T/res"
}
read -r rc ms <"$T/res"
[ "$ms" -lt $((300 + SLACK)) ] || fail "open stdin: took $ms ms"
assert_eq "open stdin: parked, exit" 0 "$rc"
grep -l '"s-open"' "$FB"/*.ndjson >/dev/null || fail "open stdin: event not parked"
exit 0
