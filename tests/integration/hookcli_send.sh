#!/bin/sh
# hookcli_send.sh: send pipelines the good lines of an NDJSON file on one
# connection, reports each bad one by line number, and exits 65 if any.
. "$top_srcdir/tests/integration/hookcli_common.sh"

# A complete event line with a given id digit.
ev() {
	printf '{"event_type":"task_completed","timestamp":"2026-11-26T16:35:09.123Z","event_id":"%s","agent_id":"a%s","agent_name":"coder","agent_role":"worker","operation":"op","status":"success","metadata":{"n":%s}}' \
		"$(printf '%08d-0000-4000-8000-000000000000' "$1")" "$1" "$1"
}

ts_start ack

note "a mix of good and bad lines"
{
	ev 1; printf '\n'				# 1 good
	printf '\n'					# 2 empty: skipped
	printf '{"event_type":\n'			# 3 bad JSON
	printf '{"event_type":"task_started"}\n'	# 4 missing fields
	ev 5; printf '\r\n'				# 5 good, CRLF
	printf '{"cmd":"ping"}\n'			# 6 control line
	head -c 70000 /dev/zero | tr '\0' x; printf '\n'	# 7 too long
	ev 8; printf '\n'				# 8 good after the long one
	printf '{"event_type":"task_started","timestamp":"yesterday","event_id":"x","agent_id":"a","agent_name":"b","operation":"o","status":"success","metadata":{}}\n'	# 9 bad values
	ev 10						# 10 good, no final newline
} >"$T/mix.ndjson"
hk -s "$SOCK" -F "$FB" send "$T/mix.ndjson"
expect_rc "mix" 65
for n in 3 4 6 7 9; do
	expect_err "mix" "line $n:"
done
for n in 1 2 5 8 10; do
	grep -q "line $n:" "$T/err" && fail "line $n reported as bad: $(cat "$T/err")"
done
expect_err "mix: summary" "4 events: 4 delivered"
assert_eq "mix: good lines sent, in order" "a1 a5 a8 a10" \
	"$(jq -r .agent_id "$REC" | tr '\n' ' ' | sed 's/ $//')"
[ -z "$(fb_files)" ] || fail "mix: nothing to park"

note "numbers no store keeps exactly are refused by name, never changed"
before=$(rec_count)
{
	ev 1 | sed 's/"n":1/"n":18446744073709551616/'; printf '\n'
	ev 2 | sed 's/"n":2/"n":[-0]/'; printf '\n'
	ev 3 | sed 's/"n":3/"n":9223372036854775807/'; printf '\n'
} >"$T/num.ndjson"
hk -s "$SOCK" -F "$FB" send "$T/num.ndjson"
expect_rc "numbers" 65
expect_err "numbers" "line 1: metadata.n: integer outside the signed 64-bit range"
expect_err "numbers" "line 2: metadata.n.0: -0 is not a 64-bit integer; send 0"
assert_eq "numbers: only the good one sent" $((before + 1)) "$(rec_count)"
assert_contains "numbers: sent as it was" "$(rec_last)" '"n":9223372036854775807}'

note "all good, from stdin, with and without -"
{ ev 11; printf '\n'; ev 12; printf '\n'; } >"$T/good.ndjson"
hk_in "$T/good.ndjson" -s "$SOCK" -F "$FB" send -
expect_rc "stdin -" 0
expect_quiet "stdin -"
hk_in "$T/good.ndjson" -s "$SOCK" -F "$FB" send
expect_rc "stdin" 0
assert_eq "stdin: sent" 9 "$(rec_count)"

note "empty input is nothing to do"
hk -s "$SOCK" -F "$FB" send
expect_rc "empty" 0

note "a missing file"
hk -s "$SOCK" -F "$FB" send "$T/no-such-file"
expect_rc "missing file" 66
expect_err "missing file" "no-such-file"

note "a thousand lines on one connection"
i=0
while [ $i -lt 1000 ]; do ev $((i + 100)); printf '\n'; i=$((i + 1)); done >"$T/many.ndjson"
hk -s "$SOCK" -F "$FB" -t 5000 send "$T/many.ndjson"
expect_rc "many" 0
assert_eq "many: all received" 1009 "$(rec_count)"

note "collectord refuses: 65"
ts_start reject rej
hk -s "$SOCK" -F "$FB" send "$T/good.ndjson"
expect_rc "refused" 65
expect_err "refused" "line 1: collectord refused"
expect_err "refused" "line 2: collectord refused"

note "collectord busy: parked, exit 0 (--strict too); 75 with --strict if it cannot park"
ts_start busy busy
n=$(wc -l <"$T/good.ndjson" | tr -d ' ')
hk -s "$SOCK" -F "$FB" send "$T/good.ndjson"
expect_rc "busy" 0
expect_err "busy" "collectord busy"
expect_err "busy" "$n events parked in $FB"
hk -s "$SOCK" -F "$FB" --strict send "$T/good.ndjson"
expect_rc "busy --strict" 0
assert_eq "busy: parked, one file a run" 2 "$(fb_files | wc -l | tr -d ' ')"
for f in $(fb_files); do
	assert_eq "busy: parked as sent" "$(cat "$T/good.ndjson")" "$(cat "$f")"
done
hk -s "$SOCK" -F "$T/no-such-dir" --strict send "$T/good.ndjson"
expect_rc "busy, no fallback, --strict" 75
expect_err "busy, no fallback, --strict" "$n events not delivered"
exit 0
