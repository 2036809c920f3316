#!/bin/sh
# hookcli_timeout.sh: -t bounds the whole run when collectord never answers
# or stdin never ends. The bound checked is generous (t + 1500 ms): CI runs
# this under ASan on 2 cores beside Chromium tests, and once took 885 ms for
# -t 300. What must fail is a hang, and every hang here lasts 30 s or for ever
# (a silent server never answers; an open stdin is held for 30 s).
. "$top_srcdir/tests/integration/hookcli_common.sh"

ID="--agent-id a1 --agent-name coder --agent-role worker"
SLACK=1500

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

# Run hookcli with a stdin that gets PAYLOAD and then stays open for 30 s:
# open_stdin WHAT PAYLOAD args... Sets RC and ELAPSED.
open_stdin() {
	local what=$1 payload=$2 holder t0
	shift 2
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	(printf '%s' "$payload"; exec sleep 30) >"$T/fifo" &
	holder=$!
	RC=0
	t0=$(now_ms)
	"$HOOKCLI" "$@" <"$T/fifo" >"$T/out" 2>"$T/err" || RC=$?
	ELAPSED=$(($(now_ms) - t0))
	kill "$holder" 2>/dev/null || :
	wait "$holder" 2>/dev/null || :
	note "$what: exit $RC in $ELAPSED ms"
	[ "$ELAPSED" -lt $((300 + SLACK)) ] || fail "$what: took $ELAPSED ms"
}

note "claude-code: stdin that never ends"
open_stdin "stdin never closed" "" -s "$SOCK" -F "$FB" -t 300 claude-code
# An observer: the agent goes on (0), hookcli says why.
expect_rc "stdin never closed" 0
expect_err "stdin never closed" "no payload on stdin in time"
[ ! -s "$T/out" ] || fail "stdout: $(cat "$T/out")"
open_stdin "stdin never closed, --strict" "" -s "$SOCK" -F "$FB" -t 300 \
	--strict claude-code
expect_rc "stdin never closed, --strict" 65

note "claude-code: a complete payload on a stdin that stays open"
open_stdin "open stdin" '{"hook_event_name":"Stop","session_id":"s-open","cwd":"/tmp/p"}' \
	-s "$T/nobody.sock" -F "$FB" -t 300 claude-code
expect_rc "open stdin: parked" 0
grep -l '"s-open"' "$FB"/*.ndjson >/dev/null || fail "open stdin: event not parked"
exit 0
