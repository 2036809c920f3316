#!/bin/sh
# pipeline_limits.sh: the metadata size limit means the same at every hop.
# Metadata of exactly 16384 bytes, one byte less and one byte more, sent
# through hookcli, straight to collectord's socket, through the fallback
# directory and straight to gatewayd: every event collectord acknowledges
# (or takes in from a fallback file) is stored, unchanged apart from the
# metadata.origin collectord adds; every event over the limit is refused
# before it is acknowledged, naming the limit; nothing is dead-lettered.
# Then the resend of a dead letter that collectord(8) gives works for an
# event at the limit.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"
CLIENT=$top_builddir/tests/integration/collector_client
[ -x "$CLIENT" ] || skip "$CLIENT not built"
command -v jq >/dev/null || skip "jq missing"

LIMIT=16384
DL=$T/dead.ndjson

# An event whose metadata, serialised compactly, is exactly SIZE bytes:
# event N CASE SIZE [ORIGIN-JSON]. With ORIGIN, metadata.origin is added
# on top (as collectord stamps it), not counted in SIZE.
event() {
	local n=$1 case=$2 size=$3 origin=${4:-} base pad
	base="{\"case\":\"$case\",\"pad\":\"\"}"
	pad=$(head -c $((size - ${#base})) /dev/zero | tr '\0' x)
	printf '{"event_type":"task_started","timestamp":"2026-11-26T16:35:09.123Z","event_id":"00000000-0000-4000-8000-%012d","agent_id":"limits","agent_name":"coder","agent_role":"worker","operation":"task","status":"success","metadata":{"case":"%s","pad":"%s"%s}}' \
	    "$n" "$case" "$pad" "${origin:+,\"origin\":$origin}"
}

# The event_id of event N.
id_of() {
	printf '00000000-0000-4000-8000-%012d' "$1"
}

# The stored metadata of event N without its origin, sorted, compact.
stored_meta() {
	stored "SELECT json FROM events WHERE event_id = '$(id_of "$1")'" |
	    jq -cS '.metadata | del(.origin)'
}

# The stored metadata.origin.via of event N.
stored_via() {
	stored "SELECT json_extract(json, '\$.metadata.origin.via') FROM events WHERE event_id = '$(id_of "$1")'"
}

# Assert event N is stored once, with the metadata of LINE and origin via VIA:
# assert_stored N LINE VIA
assert_stored() {
	local n=$1 line=$2 via=$3
	assert_eq "event $n stored" 1 \
	    "$(stored "SELECT count(*) FROM events WHERE event_id = '$(id_of "$n")'")"
	assert_eq "event $n metadata" "$(printf '%s' "$line" | jq -cS .metadata)" \
	    "$(stored_meta "$n")"
	assert_eq "event $n origin" "$via" "$(stored_via "$n")"
}

# A collectord statistic.
cd_stat() {
	"$HOOKCLI" --strict stats | jq ".$1"
}

# Until collectord has nothing left to deliver (up to 30 s).
wait_delivered() {
	av_wait_for 30 sh -c "[ \"\$(\"$HOOKCLI\" --strict stats | jq .spooledEvents)\" = 0 ]" ||
	    fail "collectord still has $(cd_stat spooledEvents) events spooled"
}

# The sizes land where they should.
for s in $((LIMIT - 1)) $LIMIT $((LIMIT + 1)); do
	assert_eq "metadata of $s bytes" $s \
	    "$(event 0 x $s | jq -jc .metadata | wc -c | tr -d ' ')"
done

gw_up
cd_up

note "hookcli send: under and at the limit acknowledged, over refused"
{
	event 1 under $((LIMIT - 1)); echo
	event 2 at $LIMIT; echo
	event 3 over $((LIMIT + 1)); echo
} >"$T/socket.ndjson"
rc=0
"$HOOKCLI" -t 5000 send "$T/socket.ndjson" >"$T/send.out" 2>"$T/send.err" || rc=$?
assert_eq "hookcli send exit status" 65 "$rc"
assert_contains "hookcli send refusal" "$(cat "$T/send.err")" \
    "line 3: metadata: larger than $LIMIT bytes"
assert_contains "hookcli send summary" "$(cat "$T/send.err")" "2 delivered"

note "straight to the socket: collectord itself refuses over the limit"
{
	event 4 raw-at $LIMIT; echo
	event 5 raw-over $((LIMIT + 1)); echo
} | "$CLIENT" -s "$SOCK" -r >"$T/replies"
assert_eq "raw replies" 2 "$(wc -l <"$T/replies" | tr -d ' ')"
assert_eq "raw at the limit" true "$(sed -n 1p "$T/replies" | jq .ok)"
assert_eq "raw over the limit" '"validation"' "$(sed -n 2p "$T/replies" | jq .error)"
assert_contains "raw over the limit" "$(sed -n 2p "$T/replies" | jq -r .detail)" \
    "metadata: larger than $LIMIT bytes"

note "through the fallback directory (origin via fallback)"
{
	event 6 fb-under $((LIMIT - 1)); echo
	event 7 fb-at $LIMIT; echo
} >"$T/fallback.ndjson"
rc=0
AGENTVIS_SOCKET=$T/run/nobody.sock "$HOOKCLI" send "$T/fallback.ndjson" \
    2>"$T/park.err" || rc=$?
assert_eq "parked exit status" 0 "$rc"

wait_stored 5 30 || fail "only $(stored 'SELECT count(*) FROM events') of 5 stored;" \
    "dead letters: $(jq -r .reason "$DL" 2>/dev/null)"
wait_delivered
assert_eq "stored rows" 5 "$(stored 'SELECT count(*) FROM events')"
assert_stored 1 "$(sed -n 1p "$T/socket.ndjson")" socket
assert_stored 2 "$(sed -n 2p "$T/socket.ndjson")" socket
assert_stored 4 "$(event 4 raw-at $LIMIT)" socket
assert_stored 6 "$(sed -n 1p "$T/fallback.ndjson")" fallback
assert_stored 7 "$(sed -n 2p "$T/fallback.ndjson")" fallback
[ ! -s "$DL" ] || fail "dead-lettered: $(cut -c 1-300 "$DL")"
assert_eq "droppedEvents" 0 "$(cd_stat droppedEvents)"

note "straight to gatewayd with collectord's token, with the largest uid and pid Linux gives"
BIG='{"uid":4294967294,"gid":4294967294,"pid":4194304,"via":"fallback"}'
for c in "8 $LIMIT 200" "9 $((LIMIT + 1)) 422"; do
	set -- $c
	event "$1" direct "$2" "$BIG" >"$T/direct.json"
	assert_eq "direct POST, metadata of $2 bytes and origin" "$3" \
	    "$(post "$T/direct.json" -H "$BEARER")"
done
assert_eq "direct over the limit: loc" '["body","metadata"]' \
    "$(jq -c '.detail[0].loc' "$T/resp")"
assert_eq "direct over the limit: type" '"too_large"' \
    "$(jq -c '.detail[0].type' "$T/resp")"
assert_contains "direct over the limit: message" "$(jq -r '.detail[0].msg' "$T/resp")" \
    "$LIMIT"
assert_stored 8 "$(event 8 direct $LIMIT)" fallback
# origin is bounded by its shape, not by the metadata limit.
event 10 direct 100 '{"uid":1,"gid":1,"pid":1,"via":"socket","x":"'"$(head -c 20000 /dev/zero | tr '\0' y)"'"}' >"$T/direct.json"
assert_eq "direct POST, origin with an extra member" 422 \
    "$(post "$T/direct.json" -H "$BEARER")"
assert_eq "direct POST, origin with an extra member: loc" \
    '["body","metadata","origin","x"]' "$(jq -c '.detail[0].loc' "$T/resp")"
assert_eq "stored rows" 6 "$(stored 'SELECT count(*) FROM events')"

note "a dead letter at the limit, resent as collectord(8) says"
# A gateway that takes no body of this size refuses the event for good
# (413): collectord dead-letters it with its origin.
gw_stop
printf 'max_body_bytes = 8K\ningest_token_file = %s\n' "$TOKEN_FILE" >"$T/small.conf"
av_start gatewayd-small "$GATEWAYD" -c "$T/small.conf" -l "127.0.0.1:$PORT" \
    --store "sqlite:$DB" --www "$T/www"
GWPID=$AV_LAST_PID
av_wait_http "$URL/api/v1/health"
event 11 dead-at $LIMIT >"$T/dead-at.json"
"$HOOKCLI" --strict -t 5000 send "$T/dead-at.json" || fail "event 11 not acknowledged"
av_wait_for 30 sh -c "[ -s '$DL' ]" || fail "event 11 was not dead-lettered"
wait_delivered
assert_eq "dead letters" 1 "$(wc -l <"$DL" | tr -d ' ')"
assert_eq "dead letter status" 413 "$(jq .status "$DL")"
assert_eq "dead letter origin" '"socket"' "$(jq .event.metadata.origin.via "$DL")"
gw_stop
gw_up
# The command of collectord(8), DIAGNOSTICS, as the page gives it.
FILTER='select(.event) | .event | del(.metadata.origin)'
for s in "jq -c '$FILTER'" "hookcli -t 10000 send -"; do
	grep -F -q -- "$s" "$top_srcdir/man/collectord.8" ||
	    fail "collectord.8 no longer says: $s"
done
rc=0
jq -c "$FILTER" "$DL" | "$HOOKCLI" -t 10000 send - 2>"$T/resend.err" || rc=$?
assert_eq "resend exit status" 0 "$rc"
wait_stored 7 30 || fail "the resent event was not stored: $(cut -c 1-300 "$DL")"
wait_delivered
assert_stored 11 "$(cat "$T/dead-at.json")" socket
assert_eq "dead letters after the resend" 1 "$(wc -l <"$DL" | tr -d ' ')"
assert_eq "stored rows" 7 "$(stored 'SELECT count(*) FROM events')"
exit 0
