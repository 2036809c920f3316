#!/bin/sh
# hookcli_exit.sh: exit codes 0/64/65/69/75, with and without --strict, -q.
. "$top_srcdir/tests/integration/hookcli_common.sh"

ID="--agent-id a1 --agent-name coder --agent-role worker"

note "0: delivered"
ts_start ack
hk -s "$SOCK" -F "$FB" task-started $ID
expect_rc delivered 0
expect_quiet delivered
hk -s "$SOCK" -F "$FB" --strict task-started $ID
expect_rc "delivered, --strict" 0

note "64: usage errors, whatever the mode"
for args in "" "bogus-command" "--bogus task-started" "-t 0 task-started" \
	"-t abc task-started" "-t 600001 task-started" "-t" \
	"task-started --bogus" "task-started --agent-id" \
	"task-started --duration-ms abc" "task-started --remaining 1x" \
	"task-started --delta --5" "task-started notapair" "task-started =v" \
	"task-started --allow" "rbac-decision" "rbac-decision --allow --deny" \
	"emit" "emit not_a_type" "emit k=v" "send --agent-id x" "send a b" \
	"stats x" "stats --agent-id x" "-q --strict" \
	"-s $(printf '%0200d' 0) task-started"; do
	# shellcheck disable=SC2086
	hk -s "$SOCK" -F "$FB" $args
	expect_rc "usage: '$args'" 64
	expect_err "usage: '$args'" "usage: hookcli"
	hk -s "$SOCK" -F "$FB" -q $args
	expect_rc "usage -q: '$args'" 64
done
hk -s "$SOCK" -F "" task-started $ID
expect_rc "empty -F" 64
before=$(rec_count)
hk -s "$SOCK" -F "$FB" task-started --duration-ms abc $ID
expect_err "usage message names the option" "--duration-ms: not a number: abc"
assert_eq "usage errors send nothing" "$before" "$(rec_count)"

note "65: invalid events, never sent, with or without --strict"
hk -s "$SOCK" -F "$FB" task-started --agent-name coder
expect_rc "no agent_id" 65
expect_err "no agent_id" "hookcli: invalid event: agent_id"
hk -s "$SOCK" -F "$FB" -q task-started --agent-name coder
expect_rc "no agent_id, -q" 65
expect_err "no agent_id, -q" "agent_id"
hk -s "$SOCK" -F "$FB" task-started $ID --status maybe
expect_rc "bad status" 65
expect_err "bad status" "status"
long=$(head -c 300 /dev/zero | tr '\0' x)
hk -s "$SOCK" -F "$FB" task-started --agent-id a1 --agent-name "$long"
expect_rc "agent_name too long" 65
expect_err "agent_name too long" "agent_name"
big=$(head -c 20000 /dev/zero | tr '\0' x)
hk -s "$SOCK" -F "$FB" task-started $ID "big=$big"
expect_rc "metadata too big" 65
expect_err "metadata too big" "metadata"
hk -s "$SOCK" -F "$FB" task-started $ID origin=me
expect_rc "metadata.origin is not ours to set" 65
hk -s "$SOCK" -F "$FB" budget-updated $ID --remaining 5
expect_rc "budget without total" 65
expect_err "budget without total" "budget_"
assert_eq "invalid events are not sent" "$before" "$(rec_count)"
[ -z "$(fb_files)" ] || fail "invalid events must not be parked: $(fb_files)"
before=$(rec_count)
hk -s "$SOCK" -F "$FB" budget-updated $ID --remaining 9223372036854775808 --total 10 --delta 0
expect_rc "budget outside 64 bits" 65
expect_err "budget outside 64 bits" "hookcli: invalid event: metadata.budget_remaining: integer outside the signed 64-bit range"
hk -s "$SOCK" -F "$FB" task-completed $ID --duration-ms 1e400
expect_rc "infinite duration" 65
expect_err "infinite duration" "metadata.duration_ms: must be a finite number"
assert_eq "refused numbers send nothing" "$before" "$(rec_count)"

note "65: collectord refuses the event"
ts_start reject rej
for strict in "" --strict; do
	hk -s "$SOCK" -F "$FB" $strict task-started $ID
	expect_rc "refused $strict" 65
	expect_err "refused $strict" "rejected by test server"
done
[ -z "$(fb_files)" ] || fail "refused events must not be parked"

note "collectord busy: parked, exit 0 (--strict too)"
ts_start busy busy
hk -s "$SOCK" -F "$FB" task-started $ID
expect_rc "busy" 0
expect_err "busy" "collectord busy: spool full (test server); event parked in $FB"
hk -s "$SOCK" -F "$FB" -q task-started $ID
expect_rc "busy -q" 0
expect_quiet "busy -q"
hk -s "$SOCK" -F "$FB" --strict task-started $ID
expect_rc "busy --strict" 0
expect_err "busy --strict" "parked"
assert_eq "busy events are parked (hookcli(1), DELIVERY AND FALLBACK)" 3 \
    "$(fb_files | wc -l | tr -d ' ')"
rm -f "$FB"/*.ndjson

note "75: collectord busy and nowhere to park"
hk -s "$SOCK" -F "$T/no-such-dir" --strict task-started $ID
expect_rc "busy, no fallback, --strict" 75
expect_err "busy, no fallback, --strict" "busy"
expect_err "busy, no fallback, --strict: names the dir" "$T/no-such-dir"
hk -s "$SOCK" -F "$T/no-such-dir" --strict -q task-started $ID
expect_rc "busy, no fallback, --strict -q" 75
hk -s "$SOCK" -F "$T/no-such-dir" task-started $ID
expect_rc "busy, no fallback" 0
expect_err "busy, no fallback" "not delivered"

note "69: neither delivered nor parked"
NOFB=$T/no-such-dir
hk -s "$T/nobody.sock" -F "$NOFB" task-started $ID
expect_rc "unreachable, no fallback" 0
expect_err "unreachable, no fallback" "not delivered"
expect_err "unreachable, no fallback: names the socket" "$T/nobody.sock"
expect_err "unreachable, no fallback: names the dir" "$NOFB"
hk -s "$T/nobody.sock" -F "$NOFB" -q task-started $ID
expect_rc "unreachable, no fallback, -q" 0
expect_quiet "unreachable, no fallback, -q"
hk -s "$T/nobody.sock" -F "$NOFB" --strict task-started $ID
expect_rc "unreachable, no fallback, --strict" 69
hk -s "$T/nobody.sock" -F "$NOFB" --strict -q task-started $ID
expect_rc "unreachable, no fallback, --strict -q" 69
expect_err "--strict -q still says why it failed" "not delivered"

note "0: parked is as good as delivered, even with --strict"
hk -s "$T/nobody.sock" -F "$FB" --strict task-started $ID
expect_rc "parked --strict" 0
expect_err "parked" "parked"
hk -s "$T/nobody.sock" -F "$FB" -q task-started $ID
expect_rc "parked -q" 0
expect_quiet "parked -q"

note "internal error: parked"
ts_start internal int
rm -f "$FB"/*.ndjson
hk -s "$SOCK" -F "$FB" --strict task-started $ID
expect_rc "internal" 0
assert_eq "internal: parked" 1 "$(fb_files | wc -l | tr -d ' ')"

note "--help and --version exit 0 (they are asked for: stdout)"
hk_out --help
expect_rc "--help" 0
assert_contains "--help" "$(cat "$T/out")" "claude-code"
hk_out -h
expect_rc "-h" 0
hk_out task-started --help
expect_rc "command --help" 0
hk_out --version
expect_rc "--version" 0
assert_contains "--version" "$(cat "$T/out")" "hookcli"
exit 0
