#!/bin/sh
# hookcli_stats.sh: stats prints collectord's statistics as JSON on stdout,
# the one command that writes there; failures are not hidden (no --strict
# needed: stats is not a hook command).
. "$top_srcdir/tests/integration/hookcli_common.sh"

ts_start ack
hk -s "$SOCK" task-started --agent-id a --agent-name b --agent-role w
hk -s "$SOCK" task-started --agent-id a --agent-name b --agent-role w

hk_out -s "$SOCK" stats
expect_rc "stats" 0
expect_quiet "stats"
jq -e '.totalEvents == 2 and .server == "test_server" and (.droppedEvents | type == "number")' "$T/out" >/dev/null ||
	fail "stats output: $(cat "$T/out")"
assert_eq "stats: the request on the wire" '{"cmd":"stats"}' "$(rec_last)"

AGENTVIS_SOCKET=$SOCK hk_out stats
expect_rc "stats via AGENTVIS_SOCKET" 0
jq -e '.totalEvents == 2' "$T/out" >/dev/null || fail "stats via env: $(cat "$T/out")"

note "unreachable: 69, nothing on stdout, even without --strict"
hk -s "$T/nobody.sock" stats
expect_rc "stats unreachable" 69
expect_err "stats unreachable" "unreachable"

note "busy: 75"
ts_start busy busy
hk -s "$SOCK" stats
expect_rc "stats busy" 75

note "no answer: 69 within -t"
ts_start silent silent
hk -s "$SOCK" -t 200 stats
expect_rc "stats silent" 69
exit 0
